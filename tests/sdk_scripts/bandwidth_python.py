"""Drives Bandwidth's Python SDK (`bandwidth_numbers`) against the emulator; prints one JSON document.

Run in the SDK's own venv (tests/test_sdk_bandwidth_python.py builds it):
    python bandwidth_python.py BASE_URL ACCOUNT VERSION AUTH_JSON
AUTH_JSON is {"username", "password", "token", "client_id"} (v1: Basic, the token for one call) or
{"token", "client_id"} (v2).

Every SDK call is one step: its answer as plain JSON under "ok", or the exception under "error",
so one call failing does not hide the others. Numbers are kept in the wire form the SDK saw.
The work-arounds for the SDK's own bugs are here, each marked SDK BUG; the test module lists them.
"""

import json
import sys
import time

import requests
from bandwidth_numbers import Account, Client, Tns
from bandwidth_numbers.models.reservation import Reservation
from bandwidth_numbers.utils.strings import Converter

URL, ACCOUNT, VERSION, AUTH = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
V2 = VERSION == "v2"
TAG = f"py-{VERSION}"
out = {}
LAST = {}  # the status of the SDK's last HTTP answer: its RestError keeps only the body
_request = requests.request


def recording_request(*args, **kwargs):
    response = _request(*args, **kwargs)
    LAST["status"] = response.status_code
    return response


requests.request = recording_request  # the SDK calls requests.request(...) for every call


def step(name, call, *needs):
    """Record one SDK call's answer (or its failure) under `name`; return the answer or None.

    A step whose inputs (`needs`) an earlier failed step should have made is recorded as skipped."""
    if any(need is None for need in needs):
        out[name] = {"skipped": "an earlier step it depends on failed"}
        return None
    LAST.clear()
    try:
        value = call()
    except Exception as exc:  # the SDK raises RestError, requests' HTTPError, ParseError, AttributeError…
        out[name] = {"error": {"status": LAST.get("status"), "text": f"{type(exc).__name__}: {exc}"[:600]}}
        return None
    out[name] = {"ok": value}
    return value


def whole(value):
    return None if value is None else int(value)


def make_client():
    if V2:
        # v2 takes Bearer tokens only. The SDK fetches tokens from Bandwidth's own host (hard-coded
        # in Client._refresh_oauth_token), so the test hands it one from the emulator. SDK BUG: a
        # note's UserId is taken from config.username, which a token-only client does not have, so
        # the client id (the user the emulator sees) goes in as username as well.
        return Client(url=URL, account_id=ACCOUNT, access_token=AUTH["token"], username=AUTH["client_id"],
                      access_token_expiration=int(time.time()) + 3600)
    return Client(url=URL, account_id=ACCOUNT, username=AUTH["username"], password=AUTH["password"])


CLIENT = make_client()
ACC = Account(client=CLIENT)
TNS = Tns(client=CLIENT)


# -- SDK BUG: snake_case -> CamelCase by rule ----------------------------------------------------
# models/maps/order.py names the fields npanxx_/lata_/zip_search_and_order_type and
# utils/strings.py turns them into NpanxxSearchAndOrderType, LataSearchAndOrderType and
# ZipSearchAndOrderType; the documented elements are NPANXX…, LATA… and ZIP…. The work-around
# names those three correctly and leaves every other conversion to the SDK.
DOCUMENTED = {"npanxx_search_and_order_type": "NPANXXSearchAndOrderType",
              "lata_search_and_order_type": "LATASearchAndOrderType",
              "zip_search_and_order_type": "ZIPSearchAndOrderType"}
_camel = Converter.to_camelcase


def documented_camelcase(self, string):
    return DOCUMENTED.get(string) or _camel(self, string)


def patched(switch_on):
    Converter.to_camelcase = documented_camelcase if switch_on else _camel


# -- search and reservations ---------------------------------------------------------------------
def search(params):
    if V2 and "areaCode" in params:
        params = {**params, "countryCodeA3": "USA"}
    return list(ACC.available_numbers.list(params).items)


def search_detail():
    found = ACC.available_numbers.list({"state": "NC", "quantity": 2, "enableTNDetail": "true"})
    return [{"full_number": d.full_number, "city": d.city, "state": d.state, "rate_center": d.rate_center,
             "lata": d.lata} for d in found.items]


def reserve(number):
    held = Reservation(ACC)
    held.reserved_tn = number
    held.save()
    return {"reservation_id": held.id}


def reservation(rid):
    held = Reservation(ACC).get(rid)
    return {"reservation_id": held.reservation_id, "tn": held.reserved_tn,
            "expires": whole(held.reservation_expires), "account": held.account_id}


def unreserve(rid):
    held = Reservation(ACC)
    held.id = rid
    return held.delete()


# -- orders --------------------------------------------------------------------------------------
def order_existing(numbers, rid):
    order = ACC.orders.create({
        "name": "sdk existing", "site_id": "1", "customer_order_id": f"{TAG}-existing",
        "existing_telephone_number_order_type": {"telephone_number_list": {"telephone_number": numbers},
                                                 "reservation_id_list": {"reservation_id": [rid]}},
    })
    return {"id": order.id, "status": order.order_status}


def order_without_site(number):
    order = ACC.orders.create({"name": "no site", "existing_telephone_number_order_type": {
        "telephone_number_list": {"telephone_number": [number]}}})
    return {"id": order.id, "status": order.order_status}


def order_search(kind, fields, coid):
    # SDK BUG: set_from_dict drops values that are not str, dict or list: quantity 2 would vanish
    order = ACC.orders.create({"name": f"sdk {kind}", "site_id": "1", "customer_order_id": coid,
                               kind: {**fields, "quantity": "2"}})
    return {"id": order.id, "status": order.order_status}


def settled(order_id):
    """GET the order until it leaves RECEIVED (the emulator completes at once); its answer."""
    for _ in range(50):
        response = ACC.orders.get(order_id)
        if response.order_status != "RECEIVED":
            break
        time.sleep(0.1)
    return {"status": response.order_status, "customer_order_id": response.order.customer_order_id,
            "name": response.order.name, "site_id": response.order.site_id,
            "completed": list(response.completed_numbers.telephone_number.full_number.items),
            "completed_quantity": whole(response.completed_quantity),
            "failed_quantity": whole(response.failed_quantity)}


def listed(coid):
    return [{"order_id": o.order_id, "customer_order_id": o.customer_order_id, "status": o.order_status,
             "count": whole(o.count_of_tns)} for o in ACC.orders.list({"customerOrderId": coid}).items]


def order_of(order_id):
    return ACC.orders.get(order_id).order


def order_tns(order_id):
    tns = order_of(order_id).tns
    listed_numbers = list(tns.list().items)
    return {"count": whole(tns.count), "numbers": listed_numbers}


def notes_of(owner):
    return [{"id": n.id, "user_id": n.user_id, "description": n.description} for n in owner.notes.list().items]


def add_note(owner, text):
    note = owner.notes.create({"description": text})
    return {"id": note.id, "user_id": note.user_id, "description": note.description}


def put_note(owner, note_id, text):
    """Neither SDK has a method for PUT …/notes/{id}: the SDK's client sends the SDK's own Note XML."""
    note = owner.notes.create({"description": text, "user_id": CLIENT.config.username}, save=False)
    path = f"{owner.get_xpath()}/notes/{note_id}"
    CLIENT.put(section=path, data=note._serialize())
    return {}


def update_order(order_id, coid):
    order = order_of(order_id)
    order.customer_order_id = coid
    order.save()
    return {}


# -- telephone numbers ---------------------------------------------------------------------------
def tn(number):
    found = TNS.get(number)
    return {"telephone_number": getattr(found, "telephone_number", None), "status": found.status,
            "order_id": found.order_id, "order_type": found.order_type, "site_id": found.site_id,
            "account_id": found.account_id}


def tn_details(number):
    d = TNS.get(number).tndetails.get()
    return {"full_number": d.full_number, "city": d.city, "state": d.state, "rate_center": d.rate_center,
            "lata": d.lata, "status": d.status, "account_id": d.account_id}


def tn_site(number):
    site = TNS.get(number).site.get()
    return {"id": site.id, "name": site.name}


def tn_sip_peer(number):
    peer = TNS.get(number).sip_peer.get()
    return {"id": getattr(peer, "id", None), "name": peer.name}


def tn_rate_center(number):
    found = TNS.get(number).tn_rate_center.get()
    return {"state": found.state, "rate_center": found.rate_center}


def tn_lata(number):
    return TNS.get(number).tn_lata.get().lata


def tn_lca(number):
    lca = TNS.get(number).lca.get()
    return {"npanxx": list(lca.listof_npanxx.items),
            "rate_centers": [{"state": rc.state, "rcs": list(rc.rcs.items)} for rc in lca.location.rate_centers.items]}


def tns_list(params):
    found = Tns(client=CLIENT)
    listed_numbers = [{"full_number": t.full_number, "city": t.city, "state": t.state, "rate_center": t.rate_center,
                       "lata": t.lata, "status": t.status, "account_id": t.account_id}
                      for t in found.list(params).items]
    return {"count": whole(found.telephone_number_count), "numbers": listed_numbers}


# -- disconnects and in-service ------------------------------------------------------------------
def disconnect(numbers):
    made = ACC.disconnects.create({
        "name": "sdk disconnect", "customer_order_id": f"{TAG}-disconnect",
        "disconnect_telephone_number_order_type": {"telephone_number_list": {"telephone_number": numbers}},
    })
    return {"id": made.id, "status": made.order_status}


def disconnect_read(order_id):
    for _ in range(50):
        read = ACC.disconnects.get(order_id)
        if read.order_status != "RECEIVED":
            break
        time.sleep(0.1)
    return {"status": read.order_status}


def disconnects_listed():
    return [{"order_id": o.order_id, "status": o.order_status, "type": o.order_type}
            for o in ACC.disconnects.list({"page": 1, "size": 300}).items]


def disconnect_of(order_id):
    made = ACC.disconnects.create(save=False)
    made.id = order_id
    return made


def in_service(params):
    found = Account(client=CLIENT).in_service_numbers
    listed_numbers = list(found.list(params).items)
    return {"total": whole(found.total_count), "numbers": listed_numbers}


def in_service_number(number):
    """No SDK method reads …/inserviceNumbers/{tn}: the SDK's client does (200 and no body, or an error)."""
    CLIENT.get(section=f"{ACC.get_xpath()}/inserviceNumbers/{number}")
    return {}


def in_service_totals():
    return whole(ACC.in_service_numbers.totals.get().count)


# -- the run -------------------------------------------------------------------------------------
def run_searches_and_reservations():
    plain = step("search_area_code", lambda: search({"areaCode": "919", "quantity": 6})) or []
    step("search_detail", search_detail)
    rid = (step("reservation_create", lambda: reserve(plain[0])) or {}).get("reservation_id")
    step("reservation_get", lambda: reservation(rid), rid)
    spare = (step("reservation_create_spare", lambda: reserve(plain[5])) or {}).get("reservation_id")
    step("reservation_delete", lambda: unreserve(spare), spare)
    step("reservation_get_deleted", lambda: reservation(spare), spare)
    return plain, rid


def run_existing_order(plain, rid):
    made = step("order_create_existing", lambda: order_existing(plain[:2], rid)) or {}
    oid = made.get("id")
    step("order_get", lambda: settled(oid), oid)
    step("order_list", lambda: listed(f"{TAG}-existing"))
    step("order_tns", lambda: order_tns(oid), oid)
    note = step("order_note_post", lambda: add_note(order_of(oid), "first note from the SDK"), oid) or {}
    nid = note.get("id")
    step("order_notes_get", lambda: notes_of(order_of(oid)), oid)
    step("order_note_put", lambda: put_note(order_of(oid), nid, "edited note from the SDK"), oid, nid)
    step("order_notes_get_after_put", lambda: notes_of(order_of(oid)), oid, nid)
    step("order_update", lambda: update_order(oid, f"{TAG}-updated"), oid)
    step("order_get_after_update", lambda: settled(oid), oid)
    step("order_list_after_update", lambda: listed(f"{TAG}-updated"))
    step("order_create_without_site", lambda: order_without_site(plain[3]))
    return oid


def search_orders(npanxx):
    return {
        "area_code": ("area_code_search_and_order_type", {"area_code": "919"}),
        "rate_center": ("rate_center_search_and_order_type", {"rate_center": "RALEIGH", "state": "NC"}),
        "npanxx": ("npanxx_search_and_order_type", {"npa_nxx": npanxx}),
        "state": ("state_search_and_order_type", {"state": "NC"}),
        "city": ("city_search_and_order_type", {"city": "RALEIGH", "state": "NC"}),
        "zip": ("zip_search_and_order_type", {"zip": "27601"}),
        "lata": ("lata_search_and_order_type", {"lata": "426"}),  # sent as <Lata>, the spec examples' spelling
        "toll_free_wildcard": ("toll_free_wild_char_search_and_order_type", {"toll_free_wild_card_pattern": "8**"}),
        "toll_free_vanity": ("toll_free_vanity_search_and_order_type", {"toll_free_vanity": "NEWCARS"}),
    }


def run_search_orders(npanxx):
    kinds = search_orders(npanxx)
    patched(False)  # first as shipped: the camel-cased element the SDK really sends
    step("order_create_npanxx_as_shipped", lambda: order_search(*kinds["npanxx"], f"{TAG}-npanxx-as-shipped"))
    patched(True)
    for name, (kind, fields) in kinds.items():
        coid = f"{TAG}-{name.replace('_', '-')}"
        made = step(f"order_create_{name}", lambda k=kind, f=fields, c=coid: order_search(k, f, c)) or {}
        step(f"order_get_{name}", lambda oid=made.get("id"): settled(oid), made.get("id"))


def run_tns(plain, foreign):
    number = plain[0]
    step("tn_get", lambda: tn(number))
    step("tn_get_foreign", lambda: tn(foreign))
    step("tn_details", lambda: tn_details(number))
    step("tn_sites", lambda: tn_site(number))
    step("tn_sippeers", lambda: tn_sip_peer(number))
    step("tn_ratecenter", lambda: tn_rate_center(number))
    step("tn_lata", lambda: tn_lata(number))
    step("tn_lca", lambda: tn_lca(number))
    step("tns_list", lambda: tns_list({"accountId": ACCOUNT}))
    step("tns_list_npanxx", lambda: tns_list({"npaNxx": number[-10:-4]}))
    step("in_service_get", lambda: in_service_number(number))
    step("in_service_get_foreign", lambda: in_service_number(foreign))


def run_disconnect(plain):
    made = step("disconnect_create", lambda: disconnect([plain[1]])) or {}
    did = made.get("id")
    step("disconnect_get", lambda: disconnect_read(did), did)
    step("disconnect_list", disconnects_listed)
    step("disconnect_note_post", lambda: add_note(disconnect_of(did), "disconnect note from the SDK"), did)
    step("disconnect_notes_get", lambda: notes_of(disconnect_of(did)), did)


def search_with_token():
    """v1 with a token from the emulator's OAuth2 endpoint, as the SDK takes one (its own fetch goes to Bandwidth)."""
    bearer = Client(url=URL, account_id=ACCOUNT, access_token=AUTH["token"],
                    access_token_expiration=int(time.time()) + 3600)
    return list(Account(client=bearer).available_numbers.list({"zip": "27601", "quantity": 1}).items)


def run_in_service():
    step("in_service_list", lambda: in_service({}))
    step("in_service_list_paged", lambda: in_service({"page": 1, "size": 2}))
    area = {"areaCode": "919", "countryCodeA3": "USA"} if V2 else {"areacode": "919"}
    step("in_service_list_area_code", lambda: in_service(area))
    step("in_service_totals", in_service_totals)
    if not V2:
        step("search_with_token", search_with_token)


def main():
    plain, rid = run_searches_and_reservations()
    if len(plain) < 6:
        print(json.dumps(out))
        return
    run_existing_order(plain, rid)
    run_search_orders(plain[2][-10:-4])  # an exchange the search found
    run_tns(plain, plain[4])  # plain[4] was found but never ordered: not the account's
    run_disconnect(plain)
    run_in_service()
    print(json.dumps(out))


main()
