"""A hostile Telnyx, through the CLI: every answer that is not what Telnyx documents is refused,
reported or bounded, nothing of it lands in the store, no outcome is exit 1, and no create is
ever sent twice (Telnyx has no idempotency key: a blind retry is a second order).

test_hostile.py has the Telnyx rows that mirror Bandwidth's (garbage numbers, a web page, JSON cut
short, over the cap, a drip, unknown statuses); this file adds what only Telnyx has: 429s and their
reset, orders found again by `customer_reference` (exactly, once), statuses decided by each
number, error envelopes, the in-service list.

The server (tests/hostile.py) runs on loopback in this process; tnorder runs in-process too, its
carrier `tx` (kind telnyx) pointed at `<server>/v2`.
"""

from __future__ import annotations

import json
import time

import pytest

from hostile import Answer, Hostile, Huge

TYPE = "TX DIDs"
SECRET = "KEYhostile-s3cret"
JSON = {"Content-Type": "application/json"}
SEARCH = r"/v2/available_phone_numbers"
ORDERS = r"/v2/number_orders(\?|$)"
STATUS = r"/v2/number_orders/ord-1$"
NUMBERS = r"/v2/phone_numbers(\?|$)"
HTML = "<!DOCTYPE html><html><head><title>Maintenance</title></head><body><p>back soon</p></body></html>"


def region(rate_center: str = "RALEIGH", state: str = "NC") -> list[dict]:
    return [{"region_type": "rate_center", "region_name": rate_center}, {"region_type": "state", "region_name": state},
            {"region_type": "country_code", "region_name": "US"}]


def available(*numbers: object, rate_center: str = "RALEIGH") -> Answer:
    data = [{"record_type": "available_phone_number", "phone_number": n, "best_effort": False, "reservable": True,
             "quickship": False, "region_information": region(rate_center),
             "features": [{"name": "voice"}]} for n in numbers]
    meta = {"total_results": len(data), "best_effort_results": 0}
    return Answer(200, json.dumps({"data": data, "meta": meta, "metadata": meta}), JSON)


def order_record(status: str, lines: dict[str, str], reference: str | None = None, oid: str = "ord-1") -> dict:
    return {"id": oid, "record_type": "number_order", "status": status, "phone_numbers_count": len(lines),
            "customer_reference": reference, "requirements_met": True, "sub_number_orders_ids": [],
            "created_at": "2026-11-15T10:00:00.000000Z", "updated_at": "2026-11-15T10:00:00.000000Z",
            "phone_numbers": [{"id": f"line-{i}", "record_type": "number_order_phone_number", "phone_number": n,
                               "status": s} for i, (n, s) in enumerate(lines.items())]}


def answered(status: str, lines: dict[str, str], reference: str | None = None) -> Answer:
    return Answer(200, json.dumps({"data": order_record(status, lines, reference)}), JSON)


def created(method: str, path: str, body: bytes) -> Answer:
    """The create answered as Telnyx does: pending, each asked-for number pending, the reference echoed."""
    asked = json.loads(body)
    lines = {p["phone_number"]: "pending" for p in asked["phone_numbers"]}
    return answered("pending", lines, asked.get("customer_reference"))


def listed(*records: dict) -> Answer:
    meta = {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": len(records)}
    return Answer(200, json.dumps({"data": list(records), "meta": meta}), JSON)


def problem(status: int, code: str, title: str, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, json.dumps({"errors": [{"code": code, "title": title, "detail": title}]}),
                  JSON | (headers or {}))


@pytest.fixture
def telnyx(run, hostile, monkeypatch):
    """Carrier `tx` at the hostile server, account `txa`, inventory type `TX DIDs`."""
    monkeypatch.setenv("TELNYX_API_KEY", SECRET)
    monkeypatch.setenv("TNORDER_REQUEST_TIMEOUT", "2")
    monkeypatch.setenv("TNORDER_COMMAND_TIMEOUT", "4")
    for args in (("config", "carrier", "add", "tx", "--kind", "telnyx", "--url", f"{hostile.url}/v2"),
                 ("config", "account", "add", "txa", "--carrier", "tx", "--api-key-env", "TELNYX_API_KEY"),
                 ("config", "inventory-type", "add", TYPE, "--account", "txa")):
        result = run(*args)
        assert result.code == 0, (args, result.err)
    return hostile


def lookup(*extra: str) -> tuple[str, ...]:
    return ("inventory", "lookup", "--type", TYPE, "--area-code", "919", "--quantity", "5", "--json", *extra)


def order(*extra: str) -> tuple[str, ...]:
    return ("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "2", "--all", "--yes",
            "--key", "k-1", *extra)


def held(run) -> list[str]:
    """The numbers tnorder holds as bought (a lookup-and-order's numbers wait as `pending` first)."""
    result = run("inventory", "list", "--type", TYPE, "--json")
    assert result.code == 0, result.err
    return sorted(n["number"] for n in result.json() if n["status"] in ("available", "assigned"))


def statuses(run) -> list[str]:
    return [o["status"] for o in run("orders", "list", "--json").json()]


def one_line(result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err and "unexpected Error" not in result.err
    assert SECRET not in result.err + result.out
    return lines[0]


def sent(hostile: Hostile, method: str, part: str) -> list[str]:
    return [r.path for r in hostile.requests if r.method == method and part in r.path]


def searched(hostile: Hostile, *numbers: str) -> None:
    hostile.on("GET", SEARCH, available(*numbers))


# -- reads that answer something else than Telnyx documents: exit 3, nothing shown -------------
READS = [  # beside test_hostile.py's Telnyx rows (garbage, foreign and invalid numbers, HTML, cut-short JSON…)
    pytest.param(available("9195550100"), id="not-e164"),
    pytest.param(available("+1９１９５５５０１００"), id="fullwidth-digits"),
    pytest.param(available(19195550100), id="number-as-json-number"),
    pytest.param(available("+19195550100", rate_center="A\u202eB\x1b[2J"), id="control-characters"),
    pytest.param(Answer(200, HTML, JSON), id="html-labelled-json"),
    pytest.param(Answer(200, '[{"phone_number": "+19195550100"}]', JSON), id="no-envelope"),
    pytest.param(Answer(200, "", JSON), id="empty-200"),
    pytest.param(Answer(200, '{"data": [{"phone_number": "+19195550100", "best_effort": "no"}]}', JSON),
                 id="best-effort-not-a-bool"),
    pytest.param(Answer(200, '{"data": [{"phone_number": "+19195550100", "record_type": "phone_number"}]}', JSON),
                 id="another-record-type"),
]


@pytest.mark.parametrize("answer", READS)
def test_a_search_answering_garbage_is_an_error_never_a_result(run, telnyx, answer):
    telnyx.on("GET", SEARCH, answer)
    result = run(*lookup())
    assert result.code == 3, result.err
    assert result.out == ""
    assert "unexpected" in one_line(result)
    assert 1 <= len(sent(telnyx, "GET", "/available_phone_numbers")) <= 3  # a body cut short is asked again, bounded


def test_an_error_envelope_is_one_line_naming_telnyx_code(run, telnyx):
    telnyx.on("GET", SEARCH, problem(422, "10015", "Bad Request"))
    result = run(*lookup())
    assert result.code == 3, result.err
    line = one_line(result)
    assert "10015" in line and "Bad Request" in line


def test_a_rejected_key_is_exit_6_and_never_shown(run, telnyx):
    telnyx.on("GET", SEARCH, problem(401, "10009", "Authentication failed"))
    result = run(*lookup())
    assert result.code == 6, result.err
    assert "TELNYX_API_KEY" in one_line(result)
    assert [r.path for r in telnyx.requests][:1] and len(telnyx.requests) == 1


# -- bounded HTTP --------------------------------------------------------------------------------
def test_an_order_answer_over_the_cap_is_an_unknown_outcome_not_a_refusal(run, telnyx):
    searched(telnyx, "+19195550100", "+19195550101")
    telnyx.on("POST", ORDERS, Huge(40 * 1024 * 1024, content_type="application/json"))
    result = run(*order())
    assert result.code == 5, result.err
    assert "outcome unknown" in one_line(result)
    assert statuses(run) == ["submitting"] and held(run) == []
    assert len(sent(telnyx, "POST", "/number_orders")) == 1


# -- 429: honoured, bounded ----------------------------------------------------------------------
def test_a_429_is_waited_out_as_its_reset_says(run, telnyx):
    telnyx.on("GET", SEARCH, problem(429, "10011", "Too many requests", {"x-ratelimit-reset": "1"}),
              available("+19195550100"))
    started = time.monotonic()
    result = run(*lookup())
    assert result.code == 0, result.err
    assert [n["number"] for n in result.json()] == ["+19195550100"]
    assert time.monotonic() - started >= 0.9  # it waited the second the reset named
    assert len(sent(telnyx, "GET", "/available_phone_numbers")) == 2


def test_a_429_storm_ends_in_exit_7_in_bounded_time(run, telnyx):
    telnyx.on("GET", SEARCH, problem(429, "10011", "Too many requests", {"x-ratelimit-reset": "1"}))
    started = time.monotonic()
    result = run(*lookup())
    assert result.code == 7, result.err
    assert "10011" in one_line(result) or "rate" in one_line(result).lower()
    assert time.monotonic() - started < 9
    assert 1 <= len(sent(telnyx, "GET", "/available_phone_numbers")) <= 6  # bounded retries, not a hammering


@pytest.mark.parametrize("reset", ["-5", "1e300", "soon", "", "inf"])
def test_a_nonsense_rate_limit_reset_is_not_a_crash(run, telnyx, reset):
    telnyx.on("GET", SEARCH, problem(429, "10011", "Too many requests", {"x-ratelimit-reset": reset}),
              available("+19195550100"))
    started = time.monotonic()
    result = run(*lookup())
    assert result.code in (0, 7), result.err
    assert time.monotonic() - started < 9
    if result.code == 7:
        one_line(result)


def test_a_429_storm_on_the_create_stores_nothing_and_orders_nothing_twice(run, telnyx):
    searched(telnyx, "+19195550100", "+19195550101")
    telnyx.on("POST", ORDERS, problem(429, "10011", "Too many requests", {"x-ratelimit-reset": "1"}))
    telnyx.on("GET", ORDERS, listed())
    result = run(*order())
    assert result.code in (5, 7), result.err
    one_line(result)
    assert held(run) == []
    assert statuses(run) in ([], ["submitting"])  # refused outright, or left for `orders poll` to settle


# -- creates whose answer is lost or garbage: found by customer_reference, never sent again --------
def test_a_504_on_the_create_is_not_retried_and_poll_finds_the_order_by_its_reference(run, telnyx):
    searched(telnyx, "+19195550100", "+19195550101")
    telnyx.on("POST", ORDERS, problem(504, "10007", "Gateway timeout"))
    result = run(*order())
    assert result.code == 5, result.err  # the create may have been taken: outcome unknown
    assert "outcome unknown" in one_line(result)
    assert len(sent(telnyx, "POST", "/number_orders")) == 1  # Telnyx's SDK would have sent it three times
    lines = {"+19195550100": "success", "+19195550101": "success"}
    telnyx.on("GET", ORDERS, listed(order_record("success", lines, "k-1")))
    telnyx.on("GET", STATUS, answered("success", lines, "k-1"))
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err
    assert any("customer_reference" in p and "k-1" in p for p in sent(telnyx, "GET", "/number_orders"))
    assert held(run) == sorted(lines)
    assert statuses(run) == ["complete"]
    assert len(sent(telnyx, "POST", "/number_orders")) == 1


def test_a_near_miss_customer_reference_is_not_taken_for_the_order(run, telnyx, monkeypatch):
    """Telnyx does not say whether its filter is exact: an order under `k-10` is not `k-1`'s."""
    from datetime import timedelta

    from tnorder.services import leases, orders

    searched(telnyx, "+19195550100", "+19195550101")
    telnyx.on("POST", ORDERS, problem(500, "10007", "Unexpected error"))
    assert run(*order()).code == 5
    others = {"+19195550100": "success", "+19195550101": "success"}
    telnyx.on("GET", ORDERS, listed(order_record("success", others, "k-10", "ord-9"),
                                    order_record("success", others, "K-1", "ord-8"),
                                    order_record("success", others, " k-1", "ord-7")))
    monkeypatch.setattr(orders, "SUBMIT_GRACE", timedelta(0))
    monkeypatch.setattr(leases, "alive", lambda *a: False)  # its sender is gone
    polled = run("orders", "poll")
    assert polled.code == 3, polled.err  # never reached: none of those is this order
    assert held(run) == [] and statuses(run) == ["failed"]
    assert sent(telnyx, "GET", "/number_orders/") == []  # none of them was even read as ours


def test_a_create_answering_garbage_numbers_stores_nothing(run, telnyx, home):
    searched(telnyx, "+19195550100", "+19195550101")
    telnyx.on("POST", ORDERS, answered("success", {"+1numbers;--": "success", "12345": "success"}, "k-1"))
    result = run(*order())
    assert result.code == 5, result.err
    assert "outcome unknown" in one_line(result)
    assert held(run) == [] and statuses(run) == ["submitting"]


def test_a_status_answering_a_web_page_leaves_the_order_pending(run, telnyx):
    searched(telnyx, "+19195550100", "+19195550101")
    telnyx.on("POST", ORDERS, created)
    assert run(*order()).code == 0
    telnyx.on("GET", STATUS, Answer(200, HTML, {"Content-Type": "text/html"}))
    result = run("orders", "poll")
    assert result.code == 3, result.err
    assert "unexpected" in result.err
    assert statuses(run) == ["pending"] and held(run) == []


# -- statuses: decided by each number, an unknown word shown as itself ----------------------------
def place(run, telnyx) -> None:
    searched(telnyx, "+19195550100", "+19195550101")
    telnyx.on("POST", ORDERS, created)
    placed = run(*order())
    assert placed.code == 0, placed.err


def test_an_unknown_order_status_is_shown_as_itself_and_moves_nothing(run, telnyx):
    place(run, telnyx)
    telnyx.on("GET", STATUS, answered("on_hold", {"+19195550100": "pending", "+19195550101": "pending"}))
    polled = run("orders", "poll")
    assert polled.code in (0, 5), polled.err
    assert statuses(run) == ["pending"] and held(run) == []
    assert "on_hold" in run("orders", "show", "ORD-000001").out + run("orders", "show", "ORD-000001").err


def test_an_unknown_number_status_does_not_complete_the_order(run, telnyx):
    place(run, telnyx)
    telnyx.on("GET", STATUS, answered("success", {"+19195550100": "success", "+19195550101": "teleported"}))
    polled = run("orders", "poll")
    assert polled.code in (0, 3, 4, 5), polled.err
    assert statuses(run) != ["complete"]
    assert "+19195550101" not in held(run)


def test_a_partial_success_ends_partial_with_the_numbers_that_succeeded(run, telnyx):
    place(run, telnyx)
    telnyx.on("GET", STATUS, answered("partial_success", {"+19195550100": "success", "+19195550101": "failure"}))
    polled = run("orders", "poll")
    assert polled.code == 4, polled.err
    assert statuses(run) == ["partial"] and held(run) == ["+19195550100"]
    doc = run("orders", "show", "ORD-000001", "--json").json()
    assert [f["number"] for f in doc["failed"]] == ["+19195550101"]


def test_success_said_over_a_failed_number_is_decided_by_the_numbers(run, telnyx):
    place(run, telnyx)
    telnyx.on("GET", STATUS, answered("success", {"+19195550100": "success", "+19195550101": "failure"}))
    assert run("orders", "poll").code == 4
    assert statuses(run) == ["partial"] and held(run) == ["+19195550100"]


def test_a_status_with_numbers_that_were_not_ordered_adds_none_of_them(run, telnyx):
    place(run, telnyx)
    telnyx.on("GET", STATUS, answered("success", {"+19195550100": "success", "+19195550101": "success",
                                                  "+19195550177": "success"}))
    polled = run("orders", "poll")
    assert polled.code in (3, 4), polled.err
    assert "+19195550177" not in held(run)


# -- the in-service list (reconcile) -------------------------------------------------------------
def test_an_in_service_list_with_garbage_is_an_error_not_a_difference(run, telnyx):
    record = {"id": "1293384261075731499", "record_type": "phone_number", "phone_number": "+1numbers;--",
              "status": "active"}
    telnyx.on("GET", NUMBERS, listed(record))
    result = run("inventory", "reconcile", "--type", TYPE, "--json")
    assert result.code == 3, result.err
    assert "unexpected" in one_line(result)


def test_a_paging_loop_in_the_in_service_list_ends(run, telnyx):
    """A server that answers page 1 for every page and claims a thousand pages does not keep
    reconcile going for ever."""
    record = {"id": "1293384261075731499", "record_type": "phone_number", "phone_number": "+19195550100",
              "status": "active"}
    meta = {"page_number": 1, "page_size": 1, "total_pages": 1000, "total_results": 1000}
    telnyx.on("GET", NUMBERS, Answer(200, json.dumps({"data": [record], "meta": meta}), JSON))
    started = time.monotonic()
    result = run("inventory", "reconcile", "--type", TYPE, "--json")
    assert result.code in (3, 8), result.err
    assert time.monotonic() - started < 9
    assert len(sent(telnyx, "GET", "/phone_numbers")) < 1000
