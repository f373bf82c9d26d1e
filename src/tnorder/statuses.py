"""Status words of numbers and orders (light: the read path checks them without the ORM)."""

NUMBER_STATUSES = ("pending", "available", "assigned", "disconnecting", "disconnected")
PENDING_ORDER_STATUSES = ("submitting", "pending")
FINAL_ORDER_STATUSES = ("complete", "partial", "failed")
