"""Telnyx's own Python SDK (`telnyx`, the test extra) against the emulator's Telnyx face.

A client no one here wrote checks the face: every call tnorder's plugin makes, through the SDK's
own serialisation (deepObject queries, comma-joined arrays, compact JSON) and parsing (its models,
its paginator, its error classes). The world's clock is pinned, so expiries are exact.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import telnyx  # ~2 s to import: once for the module

from tnorder.sim.chaos import Chaos
from tnorder.sim.pool import Pool
from tnorder.sim.server import make_api, start

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
KEY = "KEYsdk-4711"
TOLL_FREE = ("800", "833", "844", "855", "866", "877", "888")


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> float:
        return self.at


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Pool:
    shared = Pool(0, tmp_path_factory.mktemp("telnyx-sdk-pool"))
    shared.exchanges  # noqa: B018 - loaded once for the module
    return shared


@pytest.fixture
def emulator(tmp_path: Path, pool: Pool):
    running = []

    def launch(**options):
        options.setdefault("complete_after", 0)
        options.setdefault("telnyx_key", KEY)
        api = make_api(tmp_path / f"world-{uuid.uuid4().hex}.sqlite", **options)
        api.world.pool, api.world.clock = pool, Clock()
        log = io.StringIO()
        running.append(start(api, log=log))
        running[-1].log = log
        return running[-1]

    yield launch
    for emu in running:
        emu.stop()


def client(emu, key: str = KEY, retries: int = 0) -> telnyx.Telnyx:
    return telnyx.Telnyx(api_key=key, base_url=emu.telnyx_url, max_retries=retries)


def found(sdk: telnyx.Telnyx, **filters) -> list[str]:
    answer = sdk.available_phone_numbers.list(filter={"country_code": "US", **filters})
    assert answer.meta.total_results == len(answer.data) == answer.metadata.total_results
    assert all(r.record_type == "available_phone_number" and r.best_effort is False for r in answer.data)
    return [r.phone_number for r in answer.data]


def regions(sdk: telnyx.Telnyx, **filters) -> list[dict[str, str]]:
    answer = sdk.available_phone_numbers.list(filter={"country_code": "US", **filters})
    return [{r.region_type: r.region_name for r in record.region_information} for record in answer.data]


def settle(sdk: telnyx.Telnyx, numbers: list[str], reference: str = "tn-key-1") -> str:
    made = sdk.number_orders.create(phone_numbers=[{"phone_number": n} for n in numbers],
                                    customer_reference=reference)
    assert sdk.number_orders.retrieve(made.data.id).data.status == "success"
    return made.data.id


def at(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


# -- search ----------------------------------------------------------------------------------
def test_search_by_each_filter_the_plugin_uses(emulator):
    sdk = client(emulator())
    area = found(sdk, national_destination_code="919", phone_number_type="local", limit=5, features=["sms", "voice"],
                 best_effort=False, reservable=True, exclude_held_numbers=True)
    assert len(area) == 5 and all(n.startswith("+1919") for n in area)
    center = regions(sdk, rate_center="RALEIGH", administrative_area="NC", limit=3)
    assert len(center) == 3 and all(r["rate_center"] == "RALEIGH" and r["state"] == "NC" for r in center)
    state = regions(sdk, administrative_area="NC", limit=4)
    assert len(state) == 4 and {r["state"] for r in state} == {"NC"}
    city = regions(sdk, locality="Raleigh", administrative_area="NC", limit=3)
    assert len(city) == 3 and all(r["location"].startswith("RALEIGH (") for r in city)
    nxx = area[0][5:8]
    exchange = found(sdk, national_destination_code="919", phone_number={"starts_with": nxx}, limit=10)
    assert area[0] in exchange and all(n.startswith(f"+1919{nxx}") for n in exchange)


def test_toll_free_and_vanity_digits(emulator):
    sdk = client(emulator())
    code = found(sdk, phone_number_type="toll_free", national_destination_code="888", quickship=True, limit=5)
    assert len(code) == 5 and all(n.startswith("+1888") for n in code)
    words = found(sdk, phone_number_type="toll_free", phone_number={"contains": "3569377"}, limit=5)  # FLOWERS
    assert words and all("3569377" in n and n[2:5] in TOLL_FREE for n in words)
    head = code[0][5:8]
    starting = found(sdk, phone_number_type="toll_free", national_destination_code="888",
                     phone_number={"starts_with": head})
    assert code[0] in starting and all(n.startswith(f"+1888{head}") for n in starting)
    local = found(sdk, national_destination_code="919", limit=1)[0]
    inside = found(sdk, national_destination_code="919", phone_number={"contains": local[-4:]})
    assert local in inside and all(local[-4:] in n[5:] for n in inside)


# -- reservations ----------------------------------------------------------------------------
def test_reservation_create_retrieve_list_and_extend(emulator):
    emu = emulator()
    sdk = client(emu)
    first, second = found(sdk, national_destination_code="919", limit=2)
    made = sdk.number_reservations.create(phone_numbers=[{"phone_number": first}], customer_reference="tn-key-1")
    held = made.data
    assert (held.status, held.customer_reference, held.record_type) == ("success", "tn-key-1", "number_reservation")
    assert [(p.phone_number, p.status, p.expired_at) for p in held.phone_numbers] == [
        (first, "success", at(T0 + 1800))]
    again = sdk.number_reservations.create(phone_numbers=[{"phone_number": first}, {"phone_number": second}],
                                           customer_reference="tn-key-2").data
    assert again.status == "partial_success"
    assert [(p.status, p.errors) for p in again.phone_numbers] == [("failure", "Number is already on hold"),
                                                                    ("success", None)]
    assert sdk.number_reservations.retrieve(held.id).data.phone_numbers[0].phone_number == first
    listed = list(sdk.number_reservations.list(filter={"customer_reference": "tn-key-1"}))
    assert [r.id for r in listed] == [held.id]
    emu.api.world.clock.at = T0 + 900
    extended = sdk.number_reservations.actions.extend(held.id).data
    assert [p.expired_at for p in extended.phone_numbers] == [at(T0 + 3600)]


# -- orders ----------------------------------------------------------------------------------
def test_number_order_create_retrieve_and_find_by_reference(emulator):
    emu = emulator(complete_after=60)
    sdk = client(emu)
    wanted = found(sdk, national_destination_code="919", limit=3)
    made = sdk.number_orders.create(phone_numbers=[{"phone_number": n} for n in wanted[:2]], connection_id="123",
                                    messaging_profile_id="mp-1", billing_group_id="bg-1", customer_reference="tn-key-1")
    order = made.data
    assert order.status == "pending" and order.phone_numbers_count == 2 and order.record_type == "number_order"
    assert (order.connection_id, order.messaging_profile_id, order.billing_group_id) == ("123", "mp-1", "bg-1")
    assert [p.status for p in order.phone_numbers] == ["pending", "pending"]
    decoy = sdk.number_orders.create(phone_numbers=[{"phone_number": wanted[2]}], customer_reference="tn-key-10")
    assert decoy.data.id != order.id
    by_reference = list(sdk.number_orders.list(filter={"customer_reference": "tn-key-1"}))
    assert [o.id for o in by_reference] == [order.id]
    assert [p.phone_number for p in by_reference[0].phone_numbers] == wanted[:2]
    emu.api.world.clock.at = T0 + 60
    settled = sdk.number_orders.retrieve(order.id).data
    assert settled.status == "success" and [p.status for p in settled.phone_numbers] == ["success", "success"]
    subs = sdk.sub_number_orders.list(filter={"order_request_id": order.id}).data
    assert [(s.order_request_id, s.phone_numbers_count, s.status) for s in subs] == [(order.id, 2, "success")]


def test_a_partial_order_reads_partial_success(emulator):
    sdk = client(emulator())
    wanted = found(sdk, national_destination_code="919", limit=1)
    order = sdk.number_orders.create(phone_numbers=[{"phone_number": wanted[0]}, {"phone_number": "+19195550123"}],
                                     customer_reference="mixed").data
    settled = sdk.number_orders.retrieve(order.id).data
    assert settled.status == "partial_success"  # beyond SPEC's enum: the SDK keeps it as given
    assert [(p.phone_number, p.status) for p in settled.phone_numbers] == [(wanted[0], "success"),
                                                                           ("+19195550123", "failure")]


# -- phone numbers ---------------------------------------------------------------------------
def test_phone_numbers_every_page_retrieve_and_delete(emulator):
    emu = emulator()
    sdk = client(emu)
    mine = found(sdk, administrative_area="OH", limit=62)
    assert len(mine) == 62
    settle(sdk, mine)
    before = emu.log.getvalue().count("GET /telnyx/v2/phone_numbers?")
    listed = list(sdk.phone_numbers.list(filter={"status": "active"}, page_size=7))  # the SDK walks the pages
    assert sorted(r.phone_number for r in listed) == sorted(mine)
    assert emu.log.getvalue().count("GET /telnyx/v2/phone_numbers?") - before == 9  # ceil(62 / 7) pages
    assert {r.status for r in listed} == {"active"} and len({r.id for r in listed}) == 62
    one = sdk.phone_numbers.retrieve(listed[0].id).data
    assert (one.id, one.phone_number, one.status) == (listed[0].id, listed[0].phone_number, "active")
    gone = sdk.phone_numbers.delete(listed[0].id).data
    assert (gone.id, gone.status) == (listed[0].id, "deleted")
    page = sdk.phone_numbers.list(filter={"status": "active"}, page_size=250)
    assert page.meta.total_results == 61 and listed[0].phone_number not in {r.phone_number for r in page.data}


def test_bulk_delete_job_and_its_status(emulator):
    emu = emulator(complete_after=30)
    sdk = client(emu)
    mine = found(sdk, national_destination_code="919", limit=2)
    order = sdk.number_orders.create(phone_numbers=[{"phone_number": n} for n in mine], customer_reference="k")
    emu.api.world.clock.at = T0 + 30
    assert sdk.number_orders.retrieve(order.data.id).data.status == "success"
    job = sdk.phone_numbers.jobs.delete_batch(phone_numbers=mine).data
    assert (job.type, job.status, sorted(p.phone_number for p in job.pending_operations)) == (
        "delete_phone_numbers", "pending", sorted(mine))
    emu.api.world.clock.at = T0 + 60
    done = sdk.phone_numbers.jobs.retrieve(job.id).data
    assert done.status == "completed" and sorted(p.phone_number for p in done.successful_operations) == sorted(mine)
    assert list(sdk.phone_numbers.list()) == []


# -- errors ----------------------------------------------------------------------------------
def test_sdk_error_classes(emulator):
    emu = emulator()
    with pytest.raises(telnyx.AuthenticationError) as refused:
        client(emu, key="not-the-key").phone_numbers.list()
    assert refused.value.status_code == 401 and refused.value.body["errors"][0]["code"] == "10009"
    sdk = client(emu)
    with pytest.raises(telnyx.NotFoundError) as missing:
        sdk.number_orders.retrieve(str(uuid.uuid4()))
    assert missing.value.body["errors"][0]["code"] == "10005"
    with pytest.raises(telnyx.NotFoundError):
        sdk.phone_numbers.retrieve("1293384261075731499")
    with pytest.raises(telnyx.BadRequestError):
        sdk.available_phone_numbers.list(filter={"national_destination_code": "919"})  # no country_code
    with pytest.raises(telnyx.UnprocessableEntityError) as bad:
        sdk.number_orders.create(phone_numbers=[{"phone_number": "919-555-0142"}])
    assert bad.value.body["errors"][0]["code"] == "10016"


def test_the_sdks_own_retries_order_again_when_an_answer_is_lost(emulator):
    """telnyx.md §9: the SDK re-sends a create whose answer was lost; each copy is a new order."""
    seed = next(s for s in range(200) if draws(Chaos(drop_rate=1.0, seed=s), 3) == ["after"] * 3)
    emu = emulator(chaos=Chaos(drop_rate=0, seed=seed))
    sdk = client(emu, retries=2)
    wanted = found(sdk, national_destination_code="919", limit=3)
    emu.api.chaos.drop_rate = 1.0
    with pytest.raises(telnyx.APIConnectionError):
        sdk.number_orders.create(phone_numbers=[{"phone_number": n} for n in wanted], customer_reference="once")
    emu.api.chaos.drop_rate = 0
    made = list(sdk.number_orders.list(filter={"customer_reference": "once"}))
    assert len(made) == 3  # one call, three orders: the plugin must look the reference up, never retry blindly
    assert sorted(sdk.number_orders.retrieve(o.id).data.status for o in made) == ["failure", "failure", "success"]


def draws(chaos: Chaos, count: int) -> list[str | None]:
    return [chaos.drop() for _ in range(count)]
