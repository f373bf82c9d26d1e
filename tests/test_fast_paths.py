"""Shortcuts taken for speed on every carrier answer give what the longer way gives."""

from __future__ import annotations

import httpx
import pytest

from tnorder.carriers.bandwidth import _url
from tnorder.carriers.validate import clean_text

ODD = ["", "a b", "ä€", "x/y?z#w", "%41", "+1 (919) 555", "k&e=y", "~._-", "\u00a0", "a;b,c:d@e$f!g'h(i)j*k"]


def _walked(value: object, limit: int = 500) -> str:
    """clean_text as it was: every character looked at."""
    text = " ".join("".join(c if c.isprintable() else " " for c in str(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def test_clean_text_skips_the_walk_only_where_it_changes_nothing():
    """The shortcut keeps the words when each is printable; that is the walk's result only because
    every character `split()` breaks at is unprintable, or the space itself (checked on them all)."""
    for code in range(0x110000):
        char = chr(code)
        if char.isspace():
            assert char == " " or not char.isprintable(), hex(code)
    for code in (*range(0x3100), 0x110000 - 1, 0xFEFF, 0x2028, 0x2029, 0x3000, 0xE000, 0xD800):
        text = f"a{chr(code)}b {chr(code)} \n<x>{chr(code)}</x>\t"
        assert clean_text(text) == _walked(text), hex(code)


def test_clean_text_of_an_xml_answer_is_the_same():
    raw = '<?xml version="1.0"?>\n<OrderResponse>\n  <OrderStatus>COMPLETE</OrderStatus>\r\n\x00\x1f</OrderResponse>'
    assert clean_text(raw, 4000) == _walked(raw, 4000)
    assert clean_text(raw * 100, 40) == _walked(raw * 100, 40)


@pytest.mark.parametrize("base", ["http://127.0.0.1:8799/api", "https://dashboard.bandwidth.com/api/",
                                  "http://[::1]:80/x y/"])
@pytest.mark.parametrize("path", ["/accounts/9900001/orders", "/tns/%2B19195550100/tnreservation", "/a b/ä"])
def test_a_bandwidth_request_goes_to_the_url_httpx_would_build(base, path):
    client = httpx.Client(base_url=base)
    for params in [None, {"tndetail": "true"}, *({"customerOrderId": odd, "page": "1", "size": "20"} for odd in ODD)]:
        expected = client.build_request("GET", path, params=params).url
        built = client.build_request("GET", _url(client, path, params)).url
        assert (str(built), built.raw_path) == (str(expected), expected.raw_path)


def test_requests_from_many_threads_borrow_a_bounded_set_of_clients(httpx_mock, home, monkeypatch):
    """Each request borrows a client of its own and gives it back: a poll's threads (and the next
    poll's, under `--wait`) reuse them, never more than were in use at once, one warning in all."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from tnorder.carriers.bandwidth import BandwidthCarrier
    from tnorder.settings import AccountConfig, CarrierConfig

    monkeypatch.setenv("BW_USER", "apiuser")
    monkeypatch.setenv("BW_PASS", "pa55-w0rd-secret")
    plugin = BandwidthCarrier(CarrierConfig("bw", "bandwidth", None, {}),
                              AccountConfig("main", "bw", "9900001", "12345", None,
                                            {"username_env": "BW_USER", "password_env": "BW_PASS"}), home)
    together = threading.Barrier(4)

    def answer(request: httpx.Request) -> httpx.Response:
        together.wait(5)  # four requests on the wire at once, each on its own client
        return httpx.Response(200, text="<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>0"
                                          "</TotalCount></ListOrderIdUserIdDate></ResponseSelectWrapper>")

    httpx_mock.add_callback(answer, is_reusable=True)
    for _ in range(3):  # three polls, each with new worker threads
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(plugin.find_order, ["k1", "k2", "k3", "k4"])) == [None] * 4
    assert len(plugin._clients) == 4
    plugin.close()


def test_the_sandbox_reads_back_the_exchanges_it_built(tmp_path):
    """The exchange cache is parsed once per process (by its text) into tuples: what a command reads
    is what the pool builds from phonenumbers' data, field for field, and a caller's list is its own."""
    from tnorder.sim.pool import Pool

    built = Pool(0)._build()
    cached = Pool(0, tmp_path)
    read = cached.exchanges  # built and written (or copied from the run's cache), then read
    again = Pool(0, tmp_path).exchanges
    assert read == built and again == built
    assert again is not read
    again.clear()
    assert Pool(0, tmp_path).exchanges == built
