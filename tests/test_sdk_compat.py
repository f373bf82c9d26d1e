"""Bandwidth's own Python SDK (`bandwidth-numbers-sdk`, module `bandwidth_numbers`) works against the emulator.

The SDK pins old certifi/idna, so it lives in its own venv, built once in pytest's cache dir and
reused. Its OAuth token URL is hard-coded to Bandwidth's host, so the script uses Basic auth.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tnorder.sim.server import make_api, start

ACCOUNT = "9900001"

SCRIPT = r'''
import json, sys, time
from bandwidth_numbers import Account, Client
from bandwidth_numbers.utils.rest import RestError

url, account_id, token = sys.argv[1], sys.argv[2], sys.argv[3]
client = Client(url=url, account_id=account_id, username="rehearsal", password="secret")
account = Account(client=client)
out = {}

plain = account.available_numbers.list({"areaCode": "919", "quantity": 4})
out["search"] = list(plain.items)
detail = account.available_numbers.list({"state": "NC", "quantity": 2, "enableTNDetail": "true"})
out["detail"] = [{"full_number": d.full_number, "city": d.city, "state": d.state, "rate_center": d.rate_center,
                  "lata": getattr(d, "lata", None)} for d in detail.items]

reservation = account.tnreservation
reservation.reserved_tn = out["search"][0]
reservation.save()
out["reservation_id"] = reservation.id
held = account.tnreservation.get(reservation.id)
out["reservation"] = {"tn": held.reserved_tn, "expires": held.reservation_expires}

order = account.orders.create({
    "name": "sdk order",
    "site_id": "1",
    "customer_order_id": "sdk-order-1",
    "existing_telephone_number_order_type": {
        "telephone_number_list": {"telephone_number": out["search"][:2]},
        "reservation_id_list": {"reservation_id": [out["reservation_id"]]},
    },
})
out["order_id"], out["order_status"] = order.id, order.order_status

for _ in range(50):
    response = account.orders.get(out["order_id"])
    if response.order_status != "RECEIVED":
        break
    time.sleep(0.1)
out["read_status"] = response.order_status
out["completed"] = list(response.completed_numbers.telephone_number.full_number.items)
out["read_customer_order_id"] = response.order.customer_order_id

listed = account.orders.list({"customerOrderId": "sdk-order-1"})
out["listed"] = [{"order_id": o.order_id, "customer_order_id": o.customer_order_id, "status": o.order_status}
                 for o in listed.items]

disconnect = account.disconnects.create({
    "name": "sdk disconnect",
    "customer_order_id": "sdk-disconnect-1",
    "disconnect_telephone_number_order_type": {"telephone_number_list": {"telephone_number": [out["search"][0]]}},
})
out["disconnect_id"], out["disconnect_status"] = disconnect.id, disconnect.order_status
for _ in range(50):
    read = account.disconnects.get(out["disconnect_id"])
    if read.order_status != "RECEIVED":
        break
    time.sleep(0.1)
out["disconnect_read_status"] = read.order_status

out["in_service"] = list(account.in_service_numbers.list({"page": 1, "size": 10}).items)

try:
    account.orders.create({"name": "no site", "existing_telephone_number_order_type": {
        "telephone_number_list": {"telephone_number": [out["search"][3]]}}})
    out["refused"] = None
except RestError as exc:
    out["refused"] = str(exc)

# a token from the emulator's OAuth2 endpoint, handed to the SDK as an access token
bearer = Account(client=Client(url=url, account_id=account_id, access_token=token,
                               access_token_expiration=int(time.time()) + 3600))
out["bearer_search"] = list(bearer.available_numbers.list({"zip": "27601", "quantity": 1}).items)
print(json.dumps(out))
'''


@pytest.fixture(scope="session")
def sdk_python(request: pytest.FixtureRequest) -> Path:
    """A venv holding bandwidth-numbers-sdk, made once and kept in pytest's cache dir."""
    venv = Path(request.config.cache.mkdir("bandwidth-sdk-venv"))
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


def test_bandwidth_sdk_searches_orders_lists_and_disconnects(sdk_python: Path, tmp_path: Path):
    log = io.StringIO()
    script = tmp_path / "sdk_script.py"
    script.write_text(SCRIPT)
    with start(make_api(tmp_path / "world.sqlite", complete_after=0), log=log) as emulator:
        grant = httpx.post(f"{emulator.base}/api/v1/oauth2/token", data={"grant_type": "client_credentials"},
                           auth=("sdk-client", "sdk-secret"))
        token = grant.json()["access_token"]
        done = _run(sdk_python, script, emulator.url, ACCOUNT, token, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)

    assert len(out["search"]) == 4 and all(len(n) == 10 and n.isdigit() for n in out["search"])
    assert len(out["detail"]) == 2
    assert all(d["state"] == "NC" and d["city"] and d["rate_center"] and len(d["full_number"]) == 10
               for d in out["detail"])

    assert out["reservation_id"] and out["reservation"]["tn"] == out["search"][0]
    assert 14000 < int(out["reservation"]["expires"]) <= 4 * 3600

    assert out["order_id"] and out["order_status"] == "RECEIVED"  # id from the 201 body, as the SDK reads it
    assert out["read_status"] == "COMPLETE"
    assert sorted(out["completed"]) == sorted(out["search"][:2])
    assert out["read_customer_order_id"] == "sdk-order-1"
    assert out["listed"] == [{"order_id": out["order_id"], "customer_order_id": "sdk-order-1", "status": "COMPLETE"}]

    assert out["disconnect_id"] and out["disconnect_status"] == "RECEIVED"
    assert out["disconnect_read_status"] == "COMPLETE"
    assert out["in_service"] == [out["search"][1]]

    assert out["refused"] is not None and "5022" in out["refused"] and "SiteId is a required field" in out["refused"]
    assert len(out["bearer_search"]) == 1

    requests = log.getvalue()
    assert f"GET /api/accounts/{ACCOUNT}/orders?customerOrderId=sdk-order-1 303" in requests  # the SDK followed it
    assert "secret" not in requests and token not in requests
