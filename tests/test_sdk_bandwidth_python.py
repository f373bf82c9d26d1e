"""Bandwidth's own Python SDK (`bandwidth-numbers-sdk` on PyPI, module `bandwidth_numbers`) against the emulator.

The SDK pins old certifi/idna, so it lives in its own venv, built once in pytest's cache dir and
reused. One emulator serves the module; tests/sdk_scripts/bandwidth_python.py runs once per API
version and records every call; each test below checks one call's answer (tests/sdk_bandwidth.py
holds the expected answers, shared with the Node client's tests).

Versions: v1 at `<emulator>/api` with Basic auth (the API user); v2 at `<emulator>/api/v2` with a
Bearer token only, E.164 numbers. The SDK takes any base URL, so it reaches v2 unchanged; its
OAuth token URL is hard-coded to Bandwidth's host (`Client._refresh_oauth_token`), so the test
fetches a token from the emulator's `POST /api/v1/oauth2/token` and hands it in as `access_token`.

What the SDK offers for numbers, and the endpoint each call hits (v1 and v2 alike):
    account.available_numbers.list(params)         GET  /accounts/{a}/availableNumbers (plain, enableTNDetail)
    Reservation(account).save() / .get(id) / .delete()
                                                   POST/GET/DELETE /accounts/{a}/tnreservation[/{id}]
    account.orders.create({...})                   POST /accounts/{a}/orders with ExistingTelephoneNumberOrderType
        (+ReservationIdList), AreaCode…, RateCenter…, NPANXX…, State…, City…, ZIP…, LATA… (child <Lata>),
        TollFreeWildChar…, TollFreeVanity… SearchAndOrderType; a refusal (no SiteId: 5022)
    account.orders.get(id)                         GET  /accounts/{a}/orders/{id}
    account.orders.list({"customerOrderId": …})    GET  /accounts/{a}/orders (v1: the 303 to page/size, followed)
    order.save() on an order read back            PUT  /accounts/{a}/orders/{id} (CustomerOrderId changed)
    order.tns.list()                               GET  /accounts/{a}/orders/{id}/tns
    order.notes.create({...}) / .list()            POST/GET /accounts/{a}/orders/{id}/notes
    client.put(…/notes/{id}, Note XML)             PUT  /accounts/{a}/orders/{id}/notes/{id}: no SDK method,
                                                   so the SDK's own client sends the SDK's own Note XML
    Tns(client).get(tn)                            GET  /tns/{tn}
    tn.tndetails / site / sip_peer / tn_rate_center / tn_lata / lca .get()
                                                   GET  /tns/{tn}/tndetails, sites, sippeers, ratecenter, lata, lca
    Tns(client).list(params)                       GET  /tns?accountId= and ?npaNxx=
    client.get(…/inserviceNumbers/{tn})            GET  /accounts/{a}/inserviceNumbers/{tn} (owned: 200; not: 404):
                                                   no SDK method, so the SDK's own client sends it
    account.disconnects.create / get / list        POST/GET /accounts/{a}/disconnects[/{id}]
    disconnect.notes.create / list                 POST/GET /accounts/{a}/disconnects/{id}/notes
    account.in_service_numbers.list(params)        GET  /accounts/{a}/inserviceNumbers (no paging, paged,
                                                   by area code: v1 `areacode`, v2 `areaCode`+`countryCodeA3`)
    account.in_service_numbers.totals.get()        GET  /accounts/{a}/inserviceNumbers/totals
Not offered by this SDK, so not tested here (the Node tests cover them): CombinedSearchAndOrderType
(models/maps/order.py has no field for it), order history, areaCodes/npaNxx/totals.

The SDK's own bugs, worked around in the script (never in the emulator):
- it camel-cases `npanxx_search_and_order_type`, `lata_…` and `zip_…` by rule into
  `NpanxxSearchAndOrderType`, `LataSearchAndOrderType` and `ZipSearchAndOrderType`; the documented
  elements are `NPANXX…`, `LATA…` and `ZIP…`. The script sends one NPA-NXX order as shipped (the
  emulator must refuse it, test `order_create_npanxx_as_shipped`) and then names the three right.
- a note's `UserId` comes from `config.username`, which a token-only client lacks; on v2 the script
  passes the OAuth client id as username too, so the note names the caller.
- `set_from_dict` keeps strings, dicts and lists and silently drops anything else, so an order's
  `quantity` must be given as "2", not 2 (else no `<Quantity>` is sent).
Seen in its source, not exercised: `enable_lca` goes out as `<EnableLca>` (documented `EnableLCA`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from sdk_bandwidth import ACCOUNTS, CHECKS, SEARCH_KINDS, Runs, serving

SCRIPT = Path(__file__).parent / "sdk_scripts" / "bandwidth_python.py"
CALLS = [
    "search_area_code", "search_detail", "reservation_create", "reservation_get", "reservation_delete",
    "order_create_existing", "order_get", "order_list", "order_create_without_site", "order_create_npanxx_as_shipped",
    *(f"search_and_order_{kind}" for kind in SEARCH_KINDS),
    "order_tns", "order_note_post", "order_notes_get", "order_note_put", "order_update", "order_list_after_update",
    "tn_get", "tn_get_foreign", "tn_details", "tn_sites", "tn_sippeers", "tn_ratecenter", "tn_lata", "tn_lca",
    "tns_list", "tns_list_npanxx", "in_service_get",
    "disconnect", "disconnect_note_post", "disconnect_notes_get",
    "in_service_list", "in_service_list_paged", "in_service_list_area_code", "in_service_totals",
]


@pytest.fixture(scope="session")
def sdk_python(request: pytest.FixtureRequest) -> Path:
    """A venv holding bandwidth-numbers-sdk, made once and kept in pytest's cache dir."""
    venv = Path(request.config.cache.mkdir("bandwidth-sdk-venv"))
    with FileLock(venv.with_name("bandwidth-sdk-venv.lock")):  # xdist workers: one builds, the others wait
        return _built(venv)


def _built(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if python.exists() and _run(python, "-c", "import bandwidth_numbers").returncode == 0:
        return python
    made = _run(sys.executable, "-m", "venv", "--clear", str(venv), timeout=300)
    if made.returncode != 0:
        pytest.fail(f"cannot create a venv for the SDK: {made.stderr[-2000:]}")
    installed = _run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "bandwidth-numbers-sdk",
                     timeout=600)
    if installed.returncode != 0:
        pytest.skip(f"cannot install bandwidth-numbers-sdk from PyPI: {installed.stderr[-2000:]}")
    return python


def _run(*args: object, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def runs(sdk_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    with serving(tmp_path_factory.mktemp("bandwidth-python-sdk") / "world.sqlite") as emulator:
        yield Runs(emulator, "py", [str(sdk_python), str(SCRIPT)])


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("call", CALLS)
def test_python_sdk_call(runs: Runs, version: str, call: str):
    CHECKS[call](runs(version))


def test_python_sdk_takes_a_token_on_v1_too(runs: Runs):
    CHECKS["search_with_token"](runs("v1"))


def test_python_sdk_follows_the_v1_redirect_and_no_secret_reaches_the_log(runs: Runs):
    v1, v2 = runs("v1"), runs("v2")
    requests = v1.emulator.log.getvalue()
    assert f"GET /api/accounts/{ACCOUNTS['v1']}/orders?customerOrderId=py-v1-existing 303" in requests
    assert f"GET /api/accounts/{ACCOUNTS['v1']}/orders?customerOrderId=py-v1-existing&page=1&size=300 200" in requests
    assert all(secret not in requests for secret in (*v1.secrets, *v2.secrets))
    assert all(secret not in f"{v1.steps}{v2.steps}" for secret in v1.secrets)
