"""Bandwidth's official SDKs against the emulator: the set-up both SDK test modules share, and the answers.

tests/test_sdk_bandwidth_python.py and tests/test_sdk_bandwidth_node.py each start one emulator per
module and run one SDK process per API version (the scripts in tests/sdk_scripts/). A script
records every call's answer under a step name; `CHECKS` says what each answer must be. Both
scripts record the same shapes, so one table serves both SDKs; a call one SDK does not offer is
simply not in that module's list.

Truth comes from outside the SDK under test: the emulator's own number pool says which city, rate
center, LATA and ZIP a number belongs to, so "matches the order's criteria" does not lean on the
`/tns` reads that are themselves under test.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from tnorder.sim.bandwidth_auth import Credentials
from tnorder.sim.pool import Exchange, Pool
from tnorder.sim.server import RunningServer, make_api, start

USER, PASSWORD = "rehearsal", "sdk-basic-secret-7"
CLIENT_ID, CLIENT_SECRET = "sdk-client", "sdk-oauth-secret-9"
ACCOUNTS = {"v1": "9900001", "v2": "9900002"}
RESERVATION_SECONDS = 4 * 3600
TOLL_FREE = ("800", "833", "844", "855", "866", "877", "888")


@dataclass
class Emulator:
    server: RunningServer
    log: io.StringIO
    pool: Pool

    @cached_property
    def exchanges(self) -> dict[str, Exchange]:
        return {e.npa + e.nxx: e for e in self.pool.exchanges}

    def token(self) -> str:
        grant = httpx.post(f"{self.server.base}/api/v1/oauth2/token", data={"grant_type": "client_credentials"},
                           auth=(CLIENT_ID, CLIENT_SECRET))
        return grant.json()["access_token"]

    def auth(self, version: str) -> dict[str, str]:
        """What the script authenticates with: Basic on v1 (plus a token to try), a token on v2."""
        token = self.token()
        if version == "v2":
            return {"token": token, "client_id": CLIENT_ID}
        return {"username": USER, "password": PASSWORD, "token": token, "client_id": CLIENT_ID}

    def url(self, version: str) -> str:
        return f"{self.server.base}{'/api/v2' if version == 'v2' else '/api'}"


@contextmanager
def serving(world: Path) -> Iterator[Emulator]:
    """The emulator with checked credentials (Basic user and OAuth client), orders complete at once."""
    credentials = Credentials(username=USER, password=PASSWORD, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    api = make_api(world, complete_after=0, credentials=credentials)
    log = io.StringIO()
    with start(api, log=log) as server:
        yield Emulator(server, log, api.world.pool)


@dataclass
class Run:
    """One SDK process's answers for one API version."""

    sdk: str  # "py" or "node": the prefix of the CustomerOrderIds the script makes
    version: str
    steps: dict[str, dict[str, Any]]
    stderr: str
    emulator: Emulator
    secrets: tuple[str, ...] = field(default=(PASSWORD, CLIENT_SECRET))

    @property
    def account(self) -> str:
        return ACCOUNTS[self.version]

    @property
    def tag(self) -> str:
        return f"{self.sdk}-{self.version}"

    def ok(self, name: str) -> Any:
        step = self.steps.get(name)
        if step is None:
            pytest.fail(f"{name}: the SDK script never made this call\n{self.stderr[-2000:]}")
        if "ok" not in step:
            pytest.fail(f"{name} ({self.version}): {json.dumps(step)[:1500]}")
        return step["ok"]

    def error(self, name: str) -> dict[str, Any]:
        step = self.steps.get(name, {})
        if "error" not in step:
            pytest.fail(f"{name} ({self.version}) should have been refused; it answered {json.dumps(step)[:800]}")
        return step["error"]

    def wire(self, digits: str) -> str:
        return f"+1{digits}" if self.version == "v2" else digits

    def is_wire(self, number: str) -> bool:
        return isinstance(number, str) and number == self.wire(number[-10:]) and number[-10:].isdigit()

    def place(self, number: str) -> Exchange:
        return self.emulator.exchanges[number[-10:][:6]]

    def found(self) -> list[str]:
        return self.ok("search_area_code")

    def ordered(self) -> set[str]:
        """Every number this run's orders completed (from the answers the SDK read back)."""
        got = {name: step["ok"] for name, step in self.steps.items()
               if name.startswith("order_get") and "after" not in name and "ok" in step}
        return {n for answer in got.values() for n in answer["completed"]}


def run_script(command: list[str], env: dict[str, str] | None = None, timeout: float = 300) -> tuple[dict, str] | str:
    """The script's answers, or why there are none (kept, so a broken script fails each test at once)."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=os.environ | (env or {}), stdin=subprocess.DEVNULL)
    if done.returncode != 0 or not done.stdout.strip():
        return f"the SDK script failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return json.loads(done.stdout), done.stderr


class Runs:
    """Runs the SDK script once per version, on first use, against the module's emulator."""

    def __init__(self, emulator: Emulator, sdk: str, command: list[str], env: dict[str, str] | None = None) -> None:
        self.emulator, self.sdk, self.command, self.env = emulator, sdk, command, env
        self.done: dict[str, Run | str] = {}

    def __call__(self, version: str) -> Run:
        if version not in self.done:
            argv = [self.emulator.url(version), ACCOUNTS[version], version, json.dumps(self.emulator.auth(version))]
            answered = run_script([*self.command, *argv], self.env)
            self.done[version] = answered if isinstance(answered, str) else Run(
                self.sdk, version, *answered, emulator=self.emulator)
        run = self.done[version]
        if isinstance(run, str):
            pytest.fail(run)
        return run


# -- the expected answers ----------------------------------------------------------------------------
def _search_area_code(run: Run) -> None:
    found = run.ok("search_area_code")
    assert len(found) == len(set(found)) == 6
    assert all(run.is_wire(n) and n[-10:].startswith("919") for n in found), found


def _search_detail(run: Run) -> None:
    details = run.ok("search_detail")
    assert len(details) == 2
    for d in details:
        place = run.place(d["full_number"])
        assert run.is_wire(d["full_number"]) and d["state"] == "NC"
        assert (d["city"], d["rate_center"], d["lata"]) == (place.city, place.rate_center, place.lata)


def _reservation_create(run: Run) -> None:
    assert run.ok("reservation_create")["reservation_id"]


def _reservation_get(run: Run) -> None:
    held = run.ok("reservation_get")
    assert held["reservation_id"] == run.ok("reservation_create")["reservation_id"]
    assert held["tn"] == run.found()[0] and str(held["account"]) == run.account
    assert RESERVATION_SECONDS - 120 < int(held["expires"]) <= RESERVATION_SECONDS


def _reservation_delete(run: Run) -> None:
    run.ok("reservation_delete")
    gone = run.error("reservation_get_deleted")
    assert gone["status"] == 404 and "5043" in gone["text"]


def _reservation_delete_as_shipped(run: Run) -> None:
    """The Node client's bug, shown: it deletes …/tnreservation/undefined (see the Node module)."""
    assert run.ok("reservation_create")["id"] is None  # the reservation it reads has no `id`
    assert run.error("reservation_delete_as_shipped")["status"] == 404
    assert f"DELETE /api{'/v2' if run.version == 'v2' else ''}/accounts/{run.account}/tnreservation/undefined 404" \
        in run.emulator.log.getvalue()


def _order_create_existing(run: Run) -> None:
    made = run.ok("order_create_existing")
    assert made["id"] and made["status"] == "RECEIVED"


def _order_get(run: Run) -> None:
    read = run.ok("order_get")
    assert read["status"] == "COMPLETE"
    assert sorted(read["completed"]) == sorted(run.found()[:2])
    assert (read["customer_order_id"], read["name"], read["site_id"]) == (f"{run.tag}-existing", "sdk existing", "1")
    assert (int(read["completed_quantity"]), int(read["failed_quantity"])) == (2, 0)


def _order_list(run: Run) -> None:
    oid = run.ok("order_create_existing")["id"]
    assert run.ok("order_list") == [{"order_id": oid, "customer_order_id": f"{run.tag}-existing",
                                     "status": "COMPLETE", "count": 2}]


def _order_tns(run: Run) -> None:
    tns = run.ok("order_tns")
    assert sorted(tns["numbers"]) == sorted(run.found()[:2]) and int(tns["count"]) == 2


def _order_history(run: Run) -> None:
    history = run.ok("order_history")
    assert history and history[-1]["status"] == "COMPLETE", history
    assert all(h["date"] for h in history)


def _order_history_after_update(run: Run) -> None:
    history = run.ok("order_history_after_update")
    assert len(history) > len(run.ok("order_history"))
    changed = [h for h in history if f"{run.tag}-updated" in f"{h['difference']} {h['note']}"]
    assert changed, history


def _order_area_codes(run: Run) -> None:
    assert run.ok("order_area_codes") == [{"key": "919", "count": 2}]


def _order_npanxx(run: Run) -> None:
    expected = Counter(n[-10:][:6] for n in run.found()[:2])
    assert {r["key"]: int(r["count"]) for r in run.ok("order_npanxx")} == expected


def _order_totals(run: Run) -> None:
    totals = run.ok("order_totals")
    assert totals and sum(int(r["count"]) for r in totals) == 2


def _note_post(run: Run, step: str, text: str) -> None:
    note = run.ok(step)
    assert note["id"] and note["description"] == text and note["user_id"] == _user(run)


def _notes_get(run: Run, step: str, posted: str, text: str) -> None:
    note = run.ok(posted)
    assert {"id": str(note["id"]), "user_id": _user(run), "description": text} in [
        {**n, "id": str(n["id"])} for n in run.ok(step)]


def _order_update(run: Run) -> None:
    run.ok("order_update")
    read = run.ok("order_get_after_update")
    assert read["customer_order_id"] == f"{run.tag}-updated"
    assert read["status"] == "COMPLETE" and sorted(read["completed"]) == sorted(run.found()[:2])


def _order_list_after_update(run: Run) -> None:
    listed = run.ok("order_list_after_update")
    assert [o["order_id"] for o in listed] == [run.ok("order_create_existing")["id"]]
    assert listed[0]["customer_order_id"] == f"{run.tag}-updated"


def _order_without_site(run: Run) -> None:
    refused = run.error("order_create_without_site")
    assert refused["status"] == 400 and "5022" in refused["text"] and "SiteId" in refused["text"]


def _npanxx_as_shipped(run: Run) -> None:
    """The Python SDK's bug, shown: it sends <NpanxxSearchAndOrderType>, which is no order type."""
    refused = run.error("order_create_npanxx_as_shipped")
    assert refused["status"] == 400 and "5002" in refused["text"]


def _criteria(run: Run) -> dict[str, Callable[[str], bool]]:
    owner = run.emulator.pool.zip_owner("27601")
    npanxx = run.found()[2][-10:][:6]

    def at(number: str) -> tuple[str, str, str, str]:
        place = run.place(number)
        return place.state, place.city, place.rate_center, place.lata

    return {
        "area_code": lambda n: n[-10:].startswith("919"),
        "rate_center": lambda n: (at(n)[0], at(n)[2]) == ("NC", "RALEIGH"),
        "npanxx": lambda n: n[-10:].startswith(npanxx),
        "state": lambda n: at(n)[0] == "NC",
        "city": lambda n: at(n)[:2] == ("NC", "RALEIGH"),
        "zip": lambda n: (at(n)[0], at(n)[2]) == owner,
        "lata": lambda n: at(n)[3] == "426",
        "toll_free_wildcard": lambda n: n[-10:][:3] in TOLL_FREE,
        "toll_free_vanity": lambda n: n[-10:][:3] in TOLL_FREE and n.endswith("6392277"),  # NEWCARS
        "combined_area_code_city": lambda n: n[-10:].startswith("919") and at(n)[:2] == ("NC", "RALEIGH"),
        "combined_state_lata": lambda n: (at(n)[0], at(n)[3]) == ("NC", "426"),
    }


def search_order_check(kind: str) -> Callable[[Run], None]:
    def check(run: Run) -> None:
        made = run.ok(f"order_create_{kind}")
        assert made["id"] and made["status"] == "RECEIVED"
        read = run.ok(f"order_get_{kind}")
        assert read["status"] == "COMPLETE" and len(read["completed"]) == 2, read
        assert read["customer_order_id"] == f"{run.tag}-{kind.replace('_', '-')}"
        matches = _criteria(run)[kind]
        assert all(run.is_wire(n) and matches(n) for n in read["completed"]), read["completed"]

    return check


def _tn_get(run: Run) -> None:
    number = run.found()[0]
    assert run.ok("tn_get") == {"telephone_number": number, "status": "Inservice",
                                "order_id": run.ok("order_create_existing")["id"], "order_type": "NEW_NUMBER_ORDER",
                                "site_id": "1", "account_id": run.account}


def _tn_get_foreign(run: Run) -> None:
    assert run.error("tn_get_foreign")["status"] in (400, 403, 404)


def _tn_details(run: Run) -> None:
    number = run.found()[0]
    place = run.place(number)
    assert run.ok("tn_details") == {"full_number": number, "city": place.city, "state": place.state,
                                    "rate_center": place.rate_center, "lata": place.lata, "status": "Inservice",
                                    "account_id": run.account}


def _site_and_peer(run: Run) -> tuple[dict[str, str], dict[str, str]]:
    """The site the orders named (1) and the peer they fell to (the default), as the emulator lists them."""
    base, auth = f"{run.emulator.server.base}/api/accounts/{run.account}", (USER, PASSWORD)
    site = ElementTree.fromstring(httpx.get(f"{base}/sites", auth=auth).content).find("Sites/Site[Id='1']")
    peers = ElementTree.fromstring(httpx.get(f"{base}/sites/1/sippeers", auth=auth).content)
    peer = peers.find("SipPeers/SipPeer[IsDefaultPeer='true']")
    assert site is not None and peer is not None
    return ({"id": "1", "name": site.findtext("Name")},
            {"id": peer.findtext("PeerId"), "name": peer.findtext("PeerName")})


def _tn_sites(run: Run) -> None:
    assert run.ok("tn_sites") == _site_and_peer(run)[0]


def _tn_sippeers(run: Run) -> None:
    assert run.ok("tn_sippeers") == _site_and_peer(run)[1]


def _tn_ratecenter(run: Run) -> None:
    place = run.place(run.found()[0])
    assert run.ok("tn_ratecenter") == {"state": place.state, "rate_center": place.rate_center}


def _tn_lata(run: Run) -> None:
    assert run.ok("tn_lata") == run.place(run.found()[0]).lata


def _tn_lca(run: Run) -> None:
    number = run.found()[0]
    place = run.place(number)
    lca = run.ok("tn_lca")
    assert number[-10:][:6] in lca["npanxx"]  # an exchange is in its own local calling area
    assert any(rc["state"] == place.state and place.rate_center in rc["rcs"] for rc in lca["rate_centers"]), lca


def _tns_list(run: Run) -> None:
    listed = run.ok("tns_list")
    before_disconnect = run.ordered()
    assert {t["full_number"] for t in listed["numbers"]} == before_disconnect
    assert int(listed["count"]) == len(before_disconnect)
    assert all(t["status"] == "Inservice" and str(t["account_id"]) == run.account for t in listed["numbers"])
    for t in listed["numbers"]:
        if t["full_number"][-10:][:3] not in TOLL_FREE:
            place = run.place(t["full_number"])
            assert (t["city"], t["state"], t["rate_center"], t["lata"]) == (
                place.city, place.state, place.rate_center, place.lata)


def _tns_list_npanxx(run: Run) -> None:
    exchange = run.found()[0][-10:][:6]
    numbers = [t["full_number"] for t in run.ok("tns_list_npanxx")["numbers"]]
    assert run.found()[0] in numbers and all(n[-10:].startswith(exchange) for n in numbers)


def _in_service_get(run: Run) -> None:
    assert run.ok("in_service_get") == {}  # 200, no body: the client answers {}
    assert run.error("in_service_get_foreign")["status"] == 404


def _disconnect(run: Run) -> None:
    made = run.ok("disconnect_create")
    assert made["id"] and made["status"] == "RECEIVED"
    assert run.ok("disconnect_get") == {"status": "COMPLETE"}
    assert {"order_id": made["id"], "status": "COMPLETE", "type": "disconnect"} in run.ok("disconnect_list")


def _in_service(run: Run) -> set[str]:
    return run.ordered() - {run.found()[1]}  # found()[1] was disconnected


def _in_service_list(run: Run) -> None:
    listed = run.ok("in_service_list")
    assert set(listed["numbers"]) == _in_service(run) and len(listed["numbers"]) == len(_in_service(run))
    assert listed["total"] == len(_in_service(run))


def _in_service_list_paged(run: Run) -> None:
    listed = run.ok("in_service_list_paged")
    assert len(listed["numbers"]) == 2 and set(listed["numbers"]) <= _in_service(run)
    assert listed["total"] == len(_in_service(run))


def _in_service_list_area_code(run: Run) -> None:
    assert set(run.ok("in_service_list_area_code")["numbers"]) == {
        n for n in _in_service(run) if n[-10:].startswith("919")}


def _in_service_totals(run: Run) -> None:
    assert run.ok("in_service_totals") == len(_in_service(run))


def _search_with_token(run: Run) -> None:
    found = run.ok("search_with_token")
    assert len(found) == 1 and run.is_wire(found[0])


def _user(run: Run) -> str:
    return CLIENT_ID if run.version == "v2" else USER


SEARCH_KINDS = ("area_code", "rate_center", "npanxx", "state", "city", "zip", "lata", "toll_free_wildcard",
                "toll_free_vanity")
COMBINED_KINDS = ("combined_area_code_city", "combined_state_lata")
CHECKS: dict[str, Callable[[Run], None]] = {
    "search_area_code": _search_area_code,
    "search_detail": _search_detail,
    "search_with_token": _search_with_token,
    "reservation_create": _reservation_create,
    "reservation_get": _reservation_get,
    "reservation_delete": _reservation_delete,
    "reservation_delete_as_shipped": _reservation_delete_as_shipped,
    "order_create_existing": _order_create_existing,
    "order_get": _order_get,
    "order_list": _order_list,
    "order_create_without_site": _order_without_site,
    "order_create_npanxx_as_shipped": _npanxx_as_shipped,
    **{f"search_and_order_{kind}": search_order_check(kind) for kind in SEARCH_KINDS + COMBINED_KINDS},
    "order_tns": _order_tns,
    "order_history": _order_history,
    "order_history_after_update": _order_history_after_update,
    "order_area_codes": _order_area_codes,
    "order_npanxx": _order_npanxx,
    "order_totals": _order_totals,
    "order_note_post": lambda run: _note_post(run, "order_note_post", "first note from the SDK"),
    "order_notes_get": lambda run: _notes_get(run, "order_notes_get", "order_note_post", "first note from the SDK"),
    "order_note_put": lambda run: (run.ok("order_note_put"), _notes_get(
        run, "order_notes_get_after_put", "order_note_post", "edited note from the SDK")),
    "order_update": _order_update,
    "order_list_after_update": _order_list_after_update,
    "tn_get": _tn_get,
    "tn_get_foreign": _tn_get_foreign,
    "tn_details": _tn_details,
    "tn_sites": _tn_sites,
    "tn_sippeers": _tn_sippeers,
    "tn_ratecenter": _tn_ratecenter,
    "tn_lata": _tn_lata,
    "tn_lca": _tn_lca,
    "tns_list": _tns_list,
    "tns_list_npanxx": _tns_list_npanxx,
    "in_service_get": _in_service_get,
    "disconnect": _disconnect,
    "disconnect_note_post": lambda run: _note_post(run, "disconnect_note_post", "disconnect note from the SDK"),
    "disconnect_notes_get": lambda run: _notes_get(run, "disconnect_notes_get", "disconnect_note_post",
                                                   "disconnect note from the SDK"),
    "in_service_list": _in_service_list,
    "in_service_list_paged": _in_service_list_paged,
    "in_service_list_area_code": _in_service_list_area_code,
    "in_service_totals": _in_service_totals,
}
