"""The store's tables. Their DDL lives in `migrations.py`; these classes must match it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from tnorder.clock import iso, utcnow
from tnorder.statuses import FINAL_ORDER_STATUSES, NUMBER_STATUSES, PENDING_ORDER_STATUSES

__all__ = ["FINAL_ORDER_STATUSES", "NUMBER_STATUSES", "PENDING_ORDER_STATUSES", "Number", "NumberEvent", "Order",
           "OrderItem", "iso", "utcnow"]


class Number(SQLModel, table=True):
    __tablename__ = "numbers"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)  # E.164
    status: str  # pending | available | assigned | disconnecting | disconnected
    inventory_type: str
    carrier: str
    account: str
    customer: str | None = None
    line: str | None = None
    rate_center: str | None = None
    city: str | None = None
    state: str | None = None
    lata: str | None = None
    zip: str | None = None
    order_ref: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class NumberEvent(SQLModel, table=True):
    __tablename__ = "number_events"

    id: int | None = Field(default=None, primary_key=True)
    number: str
    at: datetime = Field(default_factory=utcnow)
    from_status: str | None = None
    to_status: str
    order_ref: str | None = None
    actor: str
    note: str | None = None
    event: str | None = None  # ordered | completed | assigned | unassigned | moved | imported | …


class Order(SQLModel, table=True):
    __tablename__ = "orders"

    id: int | None = Field(default=None, primary_key=True)
    ref: str | None = Field(default=None, unique=True)
    kind: str  # purchase | disconnect
    method: str  # lookup-and-select | lookup-and-order | numbers | select-and-disconnect
    carrier: str
    account: str
    inventory_type: str
    customer: str | None = None
    line: str | None = None
    criteria: str | None = None  # JSON
    quantity: int | None = None
    key: str = Field(unique=True)
    carrier_order_id: str | None = None
    status: str = "submitting"  # submitting | pending | complete | partial | failed
    raw: str | None = None  # the carrier's last answer, for audit
    error: str | None = None
    actor: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    sender: str | None = None  # host:pid of the process sending it, while it is `submitting`
    lease_until: datetime | None = None  # the sender may still send until then: no conclusion before
    recheck_until: datetime | None = None  # concluded "never reached": asked by key again until then
    poll_lease_until: datetime | None = None  # a poller is asking the carrier about it until then
    poller: str | None = None  # host:pid of the poller holding that claim (void once that process is gone)


class OrderItem(SQLModel, table=True):
    __tablename__ = "order_items"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    number: str
    status: str  # requested | complete | failed
    code: str | None = None
    reason: str | None = None

