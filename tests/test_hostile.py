"""A hostile carrier: every answer that is not what Bandwidth documents is refused, reported, or
bounded; nothing of it lands in the store, and no outcome is exit 1 (issue 8).

The server (tests/hostile.py) runs on loopback in this process; tnorder runs in-process too.
"""

from __future__ import annotations

import json
import time

import pytest

from hostile import Answer, Drip, Hostile, Huge

ACCOUNT = "9900"
TYPE = "BW DIDs"
XML = {"Content-Type": "application/xml"}
SEARCH = r"/availableNumbers"
ORDERS = rf"/accounts/{ACCOUNT}/orders(\?|$)"
STATUS = rf"/accounts/{ACCOUNT}/orders/o-1"


def detail(number: str, rate_center: str = "DURHAM") -> str:
    return (f"<TelephoneNumberDetail><City>DURHAM</City><LATA>426</LATA><RateCenter>{rate_center}</RateCenter>"
            f"<State>NC</State><FullNumber>{number}</FullNumber></TelephoneNumberDetail>")


def search_result(*details: str) -> Answer:
    return Answer(200, f"<SearchResult><ResultCount>{len(details)}</ResultCount><TelephoneNumberDetailList>"
                  f"{''.join(details)}</TelephoneNumberDetailList></SearchResult>")


def order_response(status: str, completed: list[str] = (), failed: list[str] = ()) -> str:
    done = "".join(f"<TelephoneNumber><FullNumber>{n}</FullNumber></TelephoneNumber>" for n in completed)
    bad = "".join(f"<FullNumber>{n}</FullNumber>" for n in failed)
    return (f"<OrderResponse><Order><CustomerOrderId>k</CustomerOrderId></Order><OrderStatus>{status}</OrderStatus>"
            f"<CompletedNumbers>{done}</CompletedNumbers><FailedNumbers>{bad}</FailedNumbers></OrderResponse>")


def created(status: str = "RECEIVED", completed: list[str] = ()) -> Answer:
    return Answer(201, order_response(status, completed),
                  XML | {"Location": f"/api/accounts/{ACCOUNT}/orders/o-1"})


GARBAGE = ["+112345", "+442079460000", "abcdefghij", "0000000000", "9999999999", "９１９５５５０１００", "9195550142"]
HTML = "<!DOCTYPE html><html><head><title>Maintenance</title></head><body><p>back soon</p></body></html>"
BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><SearchResult>&lol3;</SearchResult>')
XXE = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><SearchResult>&x;</SearchResult>'


@pytest.fixture
def bandwidth(run, hostile, monkeypatch):
    """Carrier `bw` (kind bandwidth) at the hostile server, account `bwa`, inventory type `BW DIDs`."""
    monkeypatch.setenv("HU", "user")
    monkeypatch.setenv("HP", "secret-pass")
    monkeypatch.setenv("TNORDER_REQUEST_TIMEOUT", "2")
    monkeypatch.setenv("TNORDER_COMMAND_TIMEOUT", "4")
    # OAuth2 client credentials (Basic would add its retirement warning to every stderr checked here)
    hostile.on("POST", r"/oauth2/token$", Answer(200, '{"access_token": "tok", "token_type": "Bearer", '
                                                      '"expires_in": 3600}', {"Content-Type": "application/json"}))
    for args in (("config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", f"{hostile.url}/api",
                  "--option", "rate_limit_wait=3"),
                 ("config", "account", "add", "bwa", "--carrier", "bw", "--account-id", ACCOUNT, "--site-id", "1",
                  "--peer-id", "2", "--client-id-env", "HU", "--client-secret-env", "HP"),
                 ("config", "inventory-type", "add", TYPE, "--account", "bwa")):
        result = run(*args)
        assert result.code == 0, result.err
    return hostile


def lookup(*extra: str) -> tuple[str, ...]:
    return ("inventory", "lookup", "--type", TYPE, "--area-code", "919", "--quantity", "5", "--json", *extra)


def held(run, type_: str = TYPE) -> list[str]:
    result = run("inventory", "list", "--type", type_, "--json")
    assert result.code == 0, result.err
    return sorted(n["number"] for n in result.json())


def order_items(home) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(home / "tnorder.db") as conn:
        return conn.execute("SELECT number, status, code FROM order_items ORDER BY id").fetchall()


def one_line(result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err and "unexpected Error" not in result.err
    return lines[0]


# -- reads that answer something else than the API documents: exit 3, nothing shown ----------------
READS = [
    pytest.param(search_result(detail("numbers;--")), "number", id="lookup-garbage-number"),
    pytest.param(search_result(detail("+442079460000")), "North American", id="lookup-foreign-number"),
    pytest.param(search_result(detail("9999999999")), "not a valid", id="lookup-invalid-nanp"),
    pytest.param(search_result(detail("９１９５５５０１００")), "number", id="lookup-fullwidth-digits"),
    pytest.param(search_result(detail("9195550100", "X" * 5000)), "rate_center", id="lookup-5000-char-rate-center"),
    pytest.param(search_result(detail("9195550100", "A&#x202E;B")), "rate_center", id="lookup-control-characters"),
    pytest.param(search_result(*(detail(f"91955501{i:02d}") for i in range(6))), "6 numbers",
                 id="lookup-more-than-asked"),
    pytest.param(Answer(200, HTML, {"Content-Type": "text/html"}), "web page", id="lookup-html-200"),
    pytest.param(Answer(200, HTML.replace("<!DOCTYPE html>", ""), XML), "web page", id="lookup-html-root-as-xml"),
    pytest.param(Answer(200, "<Notice><Text>quota</Text></Notice>"), "SearchResult", id="lookup-wrong-root"),
    pytest.param(Answer(200, BOMB), "unexpected", id="lookup-xml-bomb"),
    pytest.param(Answer(200, XXE), "unexpected", id="lookup-xxe"),
]


@pytest.mark.parametrize(("answer", "word"), READS)
def test_a_read_answering_garbage_is_an_error_never_a_result(run, bandwidth, answer, word):
    bandwidth.on("GET", SEARCH, answer)
    result = run(*lookup())
    assert result.code == 3, result.err
    assert result.out == ""
    line = one_line(result)
    assert "unexpected" in line and word.lower() in line.lower(), line


def test_config_test_on_a_web_page_is_an_error_not_a_missing_peer(run, bandwidth):
    bandwidth.on("GET", ORDERS, Answer(200, HTML, {"Content-Type": "text/html"}))  # its read: a page of orders
    result = run("config", "test", "bwa")
    assert result.code == 3, result.err
    assert "web page" in one_line(result) and "SIP peer" not in result.err


# -- creates answering garbage: outcome unknown, nothing stored ------------------------------------
def test_search_and_order_completing_garbage_stores_nothing(run, bandwidth, home):
    bandwidth.on("POST", ORDERS, created("COMPLETE", GARBAGE))
    result = run("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "2", "--all", "--yes")
    assert result.code == 5, result.err  # outcome unknown: the order stays for `orders poll`
    assert "outcome unknown" in one_line(result)
    assert held(run) == []
    orders = run("orders", "list", "--json").json()
    assert [o["status"] for o in orders] == ["submitting"]  # `orders poll` settles it by key
    assert order_items(home) == []


def test_a_status_with_garbage_failed_numbers_is_refused_and_the_order_stays_pending(run, bandwidth, home):
    bandwidth.on("POST", ORDERS, created())
    bandwidth.on("GET", STATUS, Answer(200, order_response("FAILED", failed=["+1numbers;--", "12345"])))
    assert run("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "2", "--all",
               "--yes").code == 0
    result = run("orders", "poll")
    assert result.code == 3, result.err
    assert "unexpected" in result.err
    assert [o["status"] for o in run("orders", "list", "--json").json()] == ["pending"]
    assert order_items(home) == []


def test_a_number_held_under_another_carrier_is_not_moved_and_the_order_is_flagged(run, bandwidth, home):
    (home.parent / "held.csv").write_text("number\n9195550142\n", encoding="utf-8")
    assert run("inventory", "import", "--type", "Sandbox DIDs", str(home.parent / "held.csv")).code == 0
    bandwidth.on("POST", ORDERS, created())
    bandwidth.on("GET", STATUS, Answer(200, order_response("COMPLETE", ["9195550142", "9195550143"])))
    assert run("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "2", "--all",
               "--yes").code == 0
    result = run("orders", "poll", "--json")
    assert result.code == 4, result.err  # the poll applied an order that ended partial
    assert held(run, "Sandbox DIDs") == ["+19195550142"]  # still where it was
    assert held(run) == ["+19195550143"]
    doc = run("orders", "show", "ORD-000001", "--json").json()
    assert doc["status"] == "partial"
    assert doc["conflicts"] == [{"number": "+19195550142", "code": "held-elsewhere",
                                 "reason": doc["conflicts"][0]["reason"]}]
    assert "Sandbox DIDs" in doc["conflicts"][0]["reason"] and "conflict" in doc["error"]
    assert run("inventory", "show", "+19195550142", "--json").json()["carrier"] == "sandbox"


def test_numbers_completed_beyond_the_quantity_are_reported_not_added(run, bandwidth):
    bandwidth.on("POST", ORDERS, created())
    bandwidth.on("GET", STATUS, Answer(200, order_response("COMPLETE", ["9195550150", "9195550151", "9195550152"])))
    assert run("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "1", "--all",
               "--yes").code == 0
    assert run("orders", "poll").code == 4  # partial: conflicts
    assert held(run) == ["+19195550150"]
    doc = run("orders", "show", "ORD-000001", "--json").json()
    assert [c["number"] for c in doc["conflicts"]] == ["+19195550151", "+19195550152"]
    assert {c["code"] for c in doc["conflicts"]} == {"not-requested"}
    assert doc["status"] == "partial"


def test_numbers_completed_that_were_not_in_numbers_are_reported_not_added(run, bandwidth):
    bandwidth.on("POST", ORDERS, created())
    bandwidth.on("GET", STATUS, Answer(200, order_response("COMPLETE", ["9195550160", "9195550161"])))
    assert run("inventory", "order", "--type", TYPE, "--numbers", "9195550160", "--yes").code == 0
    assert run("orders", "poll").code == 4  # partial: conflicts
    assert held(run) == ["+19195550160"]
    doc = run("orders", "show", "ORD-000001", "--json").json()
    assert doc["numbers"] == ["+19195550160"]
    assert [(c["number"], c["code"]) for c in doc["conflicts"]] == [("+19195550161", "not-requested")]
    text = run("orders", "show", "ORD-000001")
    assert "+19195550161 not taken" in text.out


def test_recovery_reading_a_web_page_does_not_conclude_never_reached(run, bandwidth, monkeypatch):
    from datetime import timedelta

    from tnorder.services import orders

    bandwidth.on("POST", ORDERS, Answer(500, "<x/>"))  # outcome unknown: the row stays `submitting`
    assert run("inventory", "order", "--type", TYPE, "--area-code", "919", "--all", "--yes").code == 5
    monkeypatch.setattr(orders, "SUBMIT_GRACE", timedelta(0))
    bandwidth.on("GET", ORDERS, Answer(200, HTML, {"Content-Type": "text/html"}))
    result = run("orders", "poll")
    assert result.code == 3, result.err
    assert "web page" in result.err
    assert [o["status"] for o in run("orders", "list", "--json").json()] == ["submitting"]


# -- bounded HTTP --------------------------------------------------------------------------------
DRIP = Drip(search_result(detail("9195550100")).body.encode(), every=0.3)


@pytest.mark.parametrize("command", ["lookup", "order", "poll"])
def test_a_dripping_server_cannot_keep_a_command_past_its_deadline(run, bandwidth, command):
    if command == "poll":  # an order placed, then its status drips
        bandwidth.on("POST", ORDERS, created())
        assert run("inventory", "order", "--type", TYPE, "--area-code", "919", "--all", "--yes").code == 0
        bandwidth.on("GET", STATUS, DRIP)
        args: tuple[str, ...] = ("orders", "poll")
    elif command == "order":
        bandwidth.on("POST", ORDERS, DRIP)
        args = ("inventory", "order", "--type", TYPE, "--area-code", "919", "--all", "--yes")
    else:
        bandwidth.on("GET", SEARCH, DRIP)
        args = lookup()
    started = time.monotonic()
    result = run(*args)
    # a read past its deadline did not complete (3); a create past it has an unknown outcome (5)
    assert result.code == (5 if command == "order" else 3), result.err
    assert time.monotonic() - started < 9  # TNORDER_COMMAND_TIMEOUT=4, plus one last read and retries' pauses
    assert "did not complete" in result.err


def test_a_huge_answer_is_cut_at_the_cap(run, bandwidth):
    bandwidth.on("GET", SEARCH, Huge(40 * 1024 * 1024))
    result = run(*lookup())
    assert result.code == 3, result.err
    assert "AnswerTooLarge" in one_line(result)


def test_a_307_never_resends_an_order_to_another_host(run, bandwidth, home):
    elsewhere = Hostile()
    try:
        elsewhere.on("POST", ".*", created("COMPLETE", ["9195550170"]))
        bandwidth.on("POST", ORDERS, Answer(307, "", {"Location": f"{elsewhere.url}/api/accounts/{ACCOUNT}/orders"}))
        result = run("inventory", "order", "--type", TYPE, "--area-code", "919", "--all", "--yes")
        assert result.code == 3, result.err
        assert elsewhere.requests == []
        assert held(run) == []
    finally:
        elsewhere.stop()


def test_a_get_redirect_is_followed_on_the_same_origin_only(run, bandwidth):
    bandwidth.on("GET", SEARCH, Answer(302, "", {"Location": "/api/moved/search"}))
    bandwidth.on("GET", "/api/moved/search", search_result(detail("9195550180")))
    result = run(*lookup())
    assert result.code == 0, result.err
    assert [n["number"] for n in result.json()] == ["+19195550180"]
    elsewhere = Hostile()
    try:
        elsewhere.on("GET", ".*", search_result(detail("9195550181")))
        bandwidth.on("GET", SEARCH, Answer(302, "", {"Location": f"{elsewhere.url}/api/x"}))
        result = run(*lookup())
        assert result.code == 3, result.err
        assert elsewhere.requests == []
    finally:
        elsewhere.stop()


def test_a_nan_rate_limit_reset_is_not_a_crash(run, bandwidth):
    bandwidth.on("GET", SEARCH, Answer(429, "", {"X-RateLimit-Reset": "nan"}), search_result(detail("9195550190")))
    result = run(*lookup())
    assert result.code == 0, result.err
    assert [n["number"] for n in result.json()] == ["+19195550190"]


def test_expires_in_that_is_not_a_number_is_not_a_crash(run, hostile, monkeypatch):
    monkeypatch.setenv("CI_ID", "client")
    monkeypatch.setenv("CI_SECRET", "s3cret")
    assert run("config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", f"{hostile.url}/api").code == 0
    assert run("config", "account", "add", "oa", "--carrier", "bw", "--account-id", ACCOUNT, "--site-id", "1",
               "--client-id-env", "CI_ID", "--client-secret-env", "CI_SECRET").code == 0
    assert run("config", "inventory-type", "add", TYPE, "--account", "oa").code == 0
    hostile.on("POST", "/oauth2/token", Answer(200, json.dumps({"access_token": "t", "expires_in": "abc"}),
                                               {"Content-Type": "application/json"}))
    hostile.on("GET", SEARCH, search_result(detail("9195550191")))
    result = run(*lookup())
    assert result.code == 0, result.err
    assert [n["number"] for n in result.json()] == ["+19195550191"]


# -- the same checks for another plugin: they live at the plugin boundary, not in Bandwidth's code --
@pytest.fixture
def broadvox(run, hostile, monkeypatch):
    monkeypatch.setenv("BU", "user")
    monkeypatch.setenv("BP", "secret-pass")
    monkeypatch.setenv("TNORDER_REQUEST_TIMEOUT", "2")
    for args in (("config", "carrier", "add", "bv", "--kind", "broadvox", "--url", f"{hostile.url}/broadvox"),
                 ("config", "account", "add", "bva", "--carrier", "bv", "--username-env", "BU", "--password-env", "BP"),
                 ("config", "inventory-type", "add", "BV DIDs", "--account", "bva")):
        result = run(*args)
        assert result.code == 0, result.err
    return hostile


def did_search(*numbers: str) -> Answer:
    from tnorder.carriers import broadvox_soap as soap

    dids = [("DID", [("Number", n), ("RateCenter", "DURHAM"), ("State", "NC")]) for n in numbers]
    return Answer(200, soap.response(soap.DEFAULT_NAMESPACE, "DIDSearch", dids), {"Content-Type": soap.CONTENT_TYPE})


@pytest.mark.parametrize(("answer", "word"), [
    pytest.param(did_search("9195550100", "+1numbers;--"), "unexpected", id="garbage-number"),
    pytest.param(did_search("+442079460000"), "unexpected", id="foreign-number"),
    pytest.param(Answer(200, HTML, {"Content-Type": "text/html"}), "unreadable", id="html-200"),
])
def test_broadvox_answers_are_checked_too(run, broadvox, answer, word):
    broadvox.on("POST", "/broadvox", answer)
    result = run("inventory", "lookup", "--type", "BV DIDs", "--area-code", "919", "--quantity", "5", "--json")
    assert result.code == 3, result.err
    assert result.out == ""
    assert word in one_line(result)


# -- Telnyx: the same rules for a JSON carrier -----------------------------------------------------
TX = "TX DIDs"
TX_KEY = "KEYhostile-secret_77"
TX_SEARCH = r"/telnyx/v2/available_phone_numbers"
TX_ORDERS = r"/telnyx/v2/number_orders$"
TX_STATUS = r"/telnyx/v2/number_orders/o-1$"
JSON_TYPE = {"Content-Type": "application/json"}


@pytest.fixture
def telnyx(run, hostile, monkeypatch):
    """Carrier `tx` (kind telnyx) at the hostile server, account `txa`, inventory type `TX DIDs`."""
    monkeypatch.setenv("TX_KEY", TX_KEY)
    monkeypatch.setenv("TNORDER_REQUEST_TIMEOUT", "2")
    monkeypatch.setenv("TNORDER_COMMAND_TIMEOUT", "4")
    for args in (("config", "carrier", "add", "tx", "--kind", "telnyx", "--url", f"{hostile.url}/telnyx/v2",
                  "--option", "rate_limit_wait=3"),
                 ("config", "account", "add", "txa", "--carrier", "tx", "--api-key-env", "TX_KEY"),
                 ("config", "inventory-type", "add", TX, "--account", "txa")):
        result = run(*args)
        assert result.code == 0, result.err
    return hostile


def tx_json(document: object, status: int = 200) -> Answer:
    return Answer(status, json.dumps(document), JSON_TYPE)


def tx_found(*numbers: str, **fields: object) -> Answer:
    regions = [{"region_type": "state", "region_name": "NC"}, {"region_type": "rate_center", "region_name": "DURHAM"}]
    return tx_json({"data": [{"phone_number": n, "record_type": "available_phone_number", "best_effort": False,
                              "region_information": regions} | fields for n in numbers],
                    "meta": {"total_results": len(numbers), "best_effort_results": 0}})


def tx_order(status: str, lines: list[tuple[str, str]]) -> Answer:
    return tx_json({"data": {"id": "o-1", "record_type": "number_order", "status": status, "customer_reference": "k",
                             "phone_numbers": [{"phone_number": n, "status": s} for n, s in lines]}})


def statuses(run) -> dict[str, str]:
    return {n["number"]: n["status"] for n in run("inventory", "list", "--type", TX, "--json").json()}


def tx_lookup() -> tuple[str, ...]:
    return ("inventory", "lookup", "--type", TX, "--area-code", "919", "--quantity", "5", "--json")


def tx_order_all(quantity: int = 1) -> tuple[str, ...]:
    return ("inventory", "order", "--type", TX, "--area-code", "919", "--quantity", str(quantity), "--all", "--yes")


@pytest.mark.parametrize(("answer", "word"), [
    pytest.param(tx_found("numbers;--"), "number", id="tx-garbage-number"),
    pytest.param(tx_found("+442079460000"), "North American", id="tx-foreign-number"),
    pytest.param(tx_found("+19999999999"), "not a valid", id="tx-invalid-nanp"),
    pytest.param(tx_found(*(f"+191955501{i:02d}" for i in range(6))), "6 numbers", id="tx-more-than-asked"),
    pytest.param(tx_found("+19195550100", "+19195550100"), "twice", id="tx-same-number-twice"),
    pytest.param(tx_found("+19195550100", region_information=[{"region_type": "rate_center",
                                                              "region_name": "X" * 5000}]),
                 "rate_center", id="tx-5000-char-rate-center"),
    pytest.param(Answer(200, HTML, {"Content-Type": "text/html"}), "web page", id="tx-html-200"),
    pytest.param(Answer(200, '{"data": [{"phone_number": "+1919', JSON_TYPE), "not JSON", id="tx-json-cut-short"),
    pytest.param(Answer(200, "[" * 200_000, JSON_TYPE), "not JSON", id="tx-json-nested-too-deep"),
    pytest.param(tx_json({"data": {"phone_number": "+19195550100"}}), "not a list", id="tx-data-not-a-list"),
    pytest.param(tx_json({"errors": [{"code": "10007"}]}), "error envelope", id="tx-errors-in-a-200"),
])
def test_a_telnyx_read_answering_garbage_is_an_error_never_a_result(run, telnyx, answer, word):
    telnyx.on("GET", TX_SEARCH, answer)
    result = run(*tx_lookup())
    assert result.code == 3, result.err
    assert result.out == ""
    line = one_line(result)
    assert "unexpected" in line and word.lower() in line.lower(), line
    assert TX_KEY not in result.err


def test_a_telnyx_answer_over_the_cap_is_cut_there(run, telnyx):
    telnyx.on("GET", TX_SEARCH, Huge(40 * 1024 * 1024))
    result = run(*tx_lookup())
    assert result.code == 3, result.err
    assert "AnswerTooLarge" in one_line(result)


TX_DRIP = Drip(tx_found("+19195550100").body.encode(), every=0.3)


@pytest.mark.parametrize("command", ["lookup", "order", "poll"])
def test_a_dripping_telnyx_cannot_keep_a_command_past_its_deadline(run, telnyx, command):
    telnyx.on("GET", TX_SEARCH, tx_found("+19195550100"))
    if command == "poll":
        telnyx.on("POST", TX_ORDERS, tx_order("pending", [("+19195550100", "pending")]))
        assert run(*tx_order_all()).code == 0
        telnyx.on("GET", TX_STATUS, TX_DRIP)
        args: tuple[str, ...] = ("orders", "poll")
    elif command == "order":
        telnyx.on("POST", TX_ORDERS, TX_DRIP)
        args = tx_order_all()
    else:
        telnyx.on("GET", TX_SEARCH, TX_DRIP)
        args = tx_lookup()
    started = time.monotonic()
    result = run(*args)
    assert result.code == (5 if command == "order" else 3), result.err
    assert time.monotonic() - started < 9
    assert "did not complete" in result.err
    if command == "order":
        assert [r.method for r in telnyx.requests].count("POST") == 1  # a create is never sent twice


def test_a_504_on_a_telnyx_order_is_sent_once_and_settled_by_key(run, telnyx, home):
    telnyx.on("GET", TX_SEARCH, tx_found("+19195550100"))
    telnyx.on("POST", TX_ORDERS, Answer(504, "<html>Gateway Timeout</html>", {"Content-Type": "text/html"}))
    result = run(*tx_order_all())
    assert result.code == 5 and "outcome unknown" in one_line(result)
    assert [r.method for r in telnyx.requests if "number_orders" in r.path] == ["POST"]
    assert [o["status"] for o in run("orders", "list", "--json").json()] == ["submitting"]
    assert statuses(run) == {"+19195550100": "pending"}  # nothing moved without an explicit success


@pytest.mark.parametrize(("status", "line"), [
    pytest.param("on_hold", "on_hold", id="tx-unknown-statuses"),
    pytest.param("x" * 5000, "pending", id="tx-5000-char-order-status"),
    pytest.param("\x1b[31mred\x1b[0m", "pending", id="tx-escape-in-order-status"),
])
def test_an_unknown_telnyx_status_is_kept_pending_and_said(run, telnyx, status, line):
    telnyx.on("GET", TX_SEARCH, tx_found("+19195550100"))
    telnyx.on("POST", TX_ORDERS, tx_order(status, [("+19195550100", line)]))
    placed = run(*tx_order_all())
    assert placed.code == 0, placed.err
    telnyx.on("GET", TX_STATUS, tx_order(status, [("+19195550100", line)]))
    polled = run("orders", "poll", "--json")
    assert polled.code == 0, polled.err
    assert "is unknown to tnorder; kept pending" in polled.err and "\x1b" not in polled.err
    assert max(len(text) for text in polled.err.splitlines()) < 400
    assert [o["status"] for o in run("orders", "list", "--json").json()] == ["pending"]
    assert statuses(run) == {"+19195550100": "pending"}  # nothing moved without an explicit success


def test_a_telnyx_status_with_garbage_numbers_is_refused_and_the_order_stays_pending(run, telnyx, home):
    telnyx.on("GET", TX_SEARCH, tx_found("+19195550100"))
    telnyx.on("POST", TX_ORDERS, tx_order("pending", [("+19195550100", "pending")]))
    assert run(*tx_order_all()).code == 0
    telnyx.on("GET", TX_STATUS, tx_order("success", [("+1numbers;--", "success"), ("12345", "success")]))
    result = run("orders", "poll")
    assert result.code == 3, result.err
    assert "unexpected" in result.err
    assert [o["status"] for o in run("orders", "list", "--json").json()] == ["pending"]
    assert order_items(home) == [("+19195550100", "requested", None)]


def test_a_nan_telnyx_rate_limit_reset_is_not_a_crash(run, telnyx):
    telnyx.on("GET", TX_SEARCH, Answer(429, "", {"x-ratelimit-reset": "nan"}), tx_found("+19195550190"))
    result = run(*tx_lookup())
    assert result.code == 0, result.err
    assert [n["number"] for n in result.json()] == ["+19195550190"]
