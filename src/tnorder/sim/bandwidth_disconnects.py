"""Disconnect orders: `POST/GET /accounts/{id}/disconnects`, `GET …/disconnects/{id}` (bandwidth.md §5)."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from tnorder.sim.bandwidth_lists import DISCONNECTS, SELECT, check_params, narrowed, selecting
from tnorder.sim.bandwidth_orders import (
    check_customer_order_id,
    check_numbers,
    errors,
    last_modified,
    paged,
    request_root,
    with_status,
)
from tnorder.sim.bandwidth_xml import (
    Call,
    Reply,
    leaf,
    list_error,
    node,
    not_found,
    stamp,
    text,
    xml_reply,
)
from tnorder.sim.world import World, WorldOrder

RESPONSE = "DisconnectTelephoneNumberOrderResponse"
MODES = ("normal", "soft-remove", "purge")
PROTECTED = ("TRUE", "FALSE", "UNCHANGED")


def create_disconnect(world: World, call: Call) -> Reply:
    root = request_root(call.body, "DisconnectTelephoneNumberOrder", RESPONSE)
    coid = check_customer_order_id(text(root, "CustomerOrderId"), RESPONSE, root)
    name = text(root, "name", "Name") or None
    if name and len(name) > 50:
        raise list_error(RESPONSE, "5002", "Name may be at most 50 characters", root)
    wrapper = root.find("DisconnectTelephoneNumberOrderType")
    numbers = check_numbers(wrapper, RESPONSE, root, call)
    mode = (text(wrapper, "DisconnectMode") or "normal").lower()
    if mode not in MODES:
        raise list_error(RESPONSE, "5084", f"DisconnectMode {mode} is invalid. Valid values: {', '.join(MODES)}", root)
    protected = text(wrapper, "Protected")
    if protected and protected.upper() not in PROTECTED:
        raise list_error(RESPONSE, "5108", f"Protected value {protected} is invalid", root)
    extra = {"user": call.user, "customer_order_id": coid, "name": name, "mode": mode,
             "protected": protected.upper() if protected else None}
    order = world.disconnect(numbers, call.args["account"], coid or name, extra)
    location = f"{call.base}/accounts/{call.args['account']}/disconnects/{order.id}"
    body = node(RESPONSE, order_request(order, call), node("OrderStatus", "RECEIVED"))
    return xml_reply(201, body, {"Location": location})


def order_request(order: WorldOrder, call: Call) -> Element:
    request = order.request
    coid = request.get("customer_order_id", order.customer_order_id)
    numbers = [node("TelephoneNumber", call.out(n)) for n in request.get("numbers", [])]
    order_type = node("DisconnectTelephoneNumberOrderType", node("TelephoneNumberList", numbers),
                      leaf("Protected", request.get("protected")),
                      node("DisconnectMode", request.get("mode", "normal")))
    return node("orderRequest", leaf("CustomerOrderId", coid), leaf("name", request.get("name")), node("id", order.id),
                node("OrderCreateDate", stamp(order.created_at)), order_type)


def get_disconnect(world: World, call: Call) -> Reply:
    order = world.get(call.args["order"], call.args["account"], "disconnect")
    if order is None:
        raise not_found()
    done = [node("TelephoneNumber", call.out(n.number)) for n in order.completed]
    body = node(RESPONSE, node("DisconnectedTelephoneNumberList", done), errors(order, call),
                order_request(order, call), node("OrderStatus", order.status))
    return xml_reply(200, body)


def list_disconnects(world: World, call: Call) -> Reply:
    """Documented defaults page=1, size=300 (no redirect); 404 while the account has none at all."""
    check_params(call, DISCONNECTS, selecting(SELECT))
    everything = world.orders(call.args["account"], "disconnect")
    if not everything:
        empty = node("ListOrderIdUserIdDate", node("TotalCount", 0))
        return xml_reply(404, node("ResponseSelectWrapper", empty))
    return paged(call, narrowed(call, with_status(call, everything)), _list_entry, 5000)


def _list_entry(order: WorldOrder) -> Element:
    return node(
        # no CustomerOrderId: not one public sample of the disconnect list carries it
        "OrderIdUserIdDate", node("CountOfTNs", len(order.request.get("numbers", []))),
        node("userId", order.request.get("user", "apiuser")), node("lastModifiedDate", stamp(last_modified(order))),
        node("OrderId", order.id), node("OrderType", "disconnect"), node("OrderDate", stamp(order.created_at)),
        node("OrderStatus", order.status),
    )
