"""Bad input exits 2 with one line on stderr, calls no carrier, and leaves the store unchanged.

Every case runs against a home that already holds one completed order (so "unchanged" is not
trivially true of an empty store), with every carrier-facing method of the sandbox carrier
replaced by a recorder that fails loudly if it is reached.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from tnorder.carriers.base import AvailableNumber
from tnorder.carriers.sandbox import SandboxCarrier

FAST = "Fast DIDs"
HELD = "{held}"  # replaced by a number the setup order put in the inventory
ASSIGNED = "{assigned}"  # replaced by the setup's number on customer ACME's line "main"
BAD_CSV = "{bad_csv}"  # replaced by the path of a CSV file with a bad row

CARRIER_METHODS = (
    "search", "reserve", "release", "order", "search_and_order", "order_status", "find_order",
    "disconnect", "disconnect_status", "find_disconnect", "in_service", "check_access",
)
STORE_TABLES = {"numbers", "number_events", "orders", "order_items", "migrations", "customers", "service_lines"}
WORLD_TABLES = {"holds", "orders"}


def lookup(*args: str) -> tuple[str, ...]:
    return ("inventory", "lookup", "--type", FAST, *args)


def order(*args: str) -> tuple[str, ...]:
    return ("inventory", "order", "--type", FAST, *args)


def case(id_: str, args: tuple[str, ...], *keywords: str, bug: str | None = None):
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(args, keywords, id=id_, marks=marks)


CASES = [
    # area codes that cannot exist
    case("npa-0xx", lookup("--area-code", "019"), "area code 019", "0 or 1"),
    case("npa-1xx", lookup("--area-code", "123"), "area code 123", "0 or 1"),
    case("npa-n11", lookup("--area-code", "411"), "area code 411", "N11"),
    case("npa-x9x", lookup("--area-code", "290"), "area code 290", "second digit"),
    case("npa-37x", lookup("--area-code", "375"), "area code 375", "37X"),
    case("npa-96x", lookup("--area-code", "962"), "area code 962", "96X"),
    case("npa-letters", lookup("--area-code", "9a9"), "area code", "3 digits"),
    case("npa-4-digits", lookup("--area-code", "9190"), "area code", "3 digits"),
    case("npa-2-digits", order("--area-code", "91", "--all", "--yes"), "area code", "3 digits"),
    # state, rate center, city
    case("state-unknown", lookup("--state", "XX"), "unknown state", "XX"),
    case("state-unknown-name", lookup("--state", "Atlantis"), "unknown state"),
    case("rate-center-without-state", lookup("--rate-center", "RALEIGH"), "--rate-center", "--state"),
    case("city-without-state", lookup("--city", "Raleigh"), "--city", "--state"),
    case("rate-center-empty", lookup("--rate-center", "", "--state", "NC"), "rate center"),
    case("rate-center-bad-chars", lookup("--rate-center", "RAL@IGH", "--state", "NC"), "rate center"),
    case("city-too-long", lookup("--city", "X" * 41, "--state", "NC"), "city"),
    # criteria that exclude each other, or none at all
    case("area-code-and-zip", lookup("--area-code", "919", "--zip", "27601"),
         "--area-code", "--zip", "cannot be combined"),
    case("toll-free-and-vanity", lookup("--toll-free", "8**", "--vanity", "FLOWERS"),
         "--toll-free", "--vanity", "cannot be combined"),
    case("state-and-zip", lookup("--state", "NC", "--zip", "27601"), "--state", "--zip", "cannot be combined"),
    case("state-and-area-code", order("--state", "NC", "--area-code", "919", "--all", "--yes"),
         "--state", "--area-code", "cannot be combined"),
    case("no-criteria", lookup(), "no lookup criteria"),
    # zip, LATA, toll-free, vanity
    case("zip-4-digits", lookup("--zip", "2760"), "zip", "2760"),
    case("zip-plus-2", lookup("--zip", "27601-12"), "zip", "27601-12"),
    case("zip-letters", lookup("--zip", "abcde"), "zip", "abcde"),
    case("lata-2-digits", lookup("--lata", "42"), "LATA", "42"),
    case("lata-letters", lookup("--lata", "abc"), "LATA", "abc"),
    case("lata-6-digits", lookup("--lata", "123456"), "LATA", "123456"),
    case("toll-free-not-8", lookup("--toll-free", "9**"), "toll-free pattern", "9**"),
    case("toll-free-too-long", lookup("--toll-free", "8***"), "toll-free pattern", "8***"),
    case("toll-free-letter", lookup("--toll-free", "8a*"), "toll-free pattern", "8a*"),
    case("vanity-too-short", lookup("--vanity", "CAT"), "vanity word", "4 to 7"),
    case("vanity-too-long", lookup("--vanity", "ABCDEFGH"), "vanity word", "4 to 7"),
    case("vanity-not-alnum", lookup("--vanity", "FLO-WER"), "vanity word", "letters and digits"),
    # quantity
    case("lookup-quantity-0", lookup("--area-code", "919", "--quantity", "0"), "--quantity", "500"),
    case("lookup-quantity-negative", lookup("--area-code", "919", "--quantity", "-3"), "--quantity", "500"),
    case("lookup-quantity-above-max", lookup("--area-code", "919", "--quantity", "501"), "--quantity", "500"),
    case("order-quantity-0", order("--area-code", "919", "--quantity", "0", "--all", "--yes"), "--quantity"),
    case("order-quantity-above-max", order("--area-code", "919", "--quantity", "1000", "--all", "--yes"),
         "--quantity", "500"),
    case("quantity-not-a-number", lookup("--area-code", "919", "--quantity", "ten"), "--quantity", "integer"),
    # inventory type
    case("lookup-type-missing-with-two-types", ("inventory", "lookup", "--area-code", "919"), "--type"),
    case("lookup-type-unknown", ("inventory", "lookup", "--type", "Nope", "--area-code", "919"),
         "inventory type", "Nope"),
    case("order-type-unknown",
         ("inventory", "order", "--type", "Nope", "--area-code", "919", "--all", "--yes"),
         "inventory type", "Nope"),
    # --pick
    case("pick-0", order("--area-code", "919", "--quantity", "2", "--pick", "0", "--yes"), "selection", "1-2"),
    case("pick-above-quantity", order("--area-code", "919", "--quantity", "2", "--pick", "3", "--yes"),
         "selection", "1-2"),
    case("pick-range-reversed", order("--area-code", "919", "--quantity", "5", "--pick", "4-2", "--yes"),
         "selection", "4-2"),
    case("pick-malformed", order("--area-code", "919", "--quantity", "2", "--pick", "1,x", "--yes"),
         "selection", "x"),
    # --numbers
    case("numbers-too-short", order("--numbers", "12345", "--yes"), "12345"),
    case("numbers-not-north-american", order("--numbers", "+442071234567", "--yes"),
         "North American", "+442071234567"),
    case("numbers-letters", order("--numbers", "919-555-01xx", "--yes"), "919-555-01xx"),
    case("numbers-empty", order("--numbers", " , ", "--yes"), "no telephone numbers"),
    case("numbers-with-criteria", order("--numbers", "+19195550142", "--area-code", "919", "--yes"),
         "--numbers", "criteria"),
    case("numbers-already-held", order("--numbers", HELD, "--yes"), "already in inventory type", FAST),
    # --key
    case("key-bad-characters", order("--area-code", "919", "--all", "--yes", "--key", "batch/7"), "--key"),
    case("key-too-long", order("--area-code", "919", "--all", "--yes", "--key", "k" * 41), "--key", "40"),
    case("key-empty", order("--area-code", "919", "--all", "--yes", "--key", ""), "--key"),
    case("key-only-spaces", order("--area-code", "919", "--all", "--yes", "--key", "   "), "--key"),
    case("key-reused-for-another-request", order("--area-code", "415", "--all", "--yes", "--key", "setup-1"),
         "setup-1", "ORD-000001", "another request"),
    # setup method
    case("select-and-all", order("--area-code", "919", "--select", "--all", "--yes"),
         "--select", "--all", "cannot be combined"),
    case("all-and-pick", order("--area-code", "919", "--all", "--pick", "1", "--yes"),
         "--all", "--pick", "cannot be combined"),
    case("pick-and-numbers", order("--pick", "1", "--numbers", "+19195550142", "--yes"),
         "--pick", "--numbers", "cannot be combined"),
    case("all-without-criteria", order("--all", "--yes"), "--all", "criteria"),
    case("order-nothing-given", order("--yes"), "criteria", "--numbers"),
    case("no-method-no-terminal", order("--area-code", "919", "--yes"), "--pick", "--all", "terminal"),
    case("select-no-terminal", order("--area-code", "919", "--select", "--yes"), "--select", "terminal"),
    case("all-without-yes-no-terminal", order("--area-code", "919", "--all"), "--yes"),
    case("pick-without-yes-no-terminal", order("--area-code", "919", "--pick", "1"), "--yes"),
    case("numbers-without-yes-no-terminal", order("--numbers", "+19195550142"), "--yes"),
    case("timeout-0", order("--area-code", "919", "--all", "--yes", "--wait", "--timeout", "0"), "--timeout"),
    case("timeout-negative", order("--area-code", "919", "--all", "--yes", "--wait", "--timeout", "-5"),
         "--timeout"),
    case("unknown-option", order("--area-code", "919", "--all", "--yes", "--bogus"), "--bogus"),
    # inventory list / show
    case("list-status-bogus", ("inventory", "list", "--status", "bogus"), "status", "bogus"),
    case("list-area-code-111", ("inventory", "list", "--area-code", "111"), "area code 111"),
    case("list-json-and-csv", ("inventory", "list", "--json", "--csv"), "--json", "--csv"),
    case("list-limit-0", ("inventory", "list", "--limit", "0"), "--limit"),
    case("list-type-unknown", ("inventory", "list", "--type", "Nope"), "inventory type", "Nope"),
    case("list-type-unknown-json", ("inventory", "list", "--type", "Nope", "--json"), "inventory type", "Nope"),
    case("list-type-unknown-csv", ("inventory", "list", "--type", "Nope", "--csv"), "inventory type", "Nope"),
    case("sandbox-option-not-a-number", ("config", "carrier", "add", "y", "--kind", "sandbox", "--option",
                                         "complete_after=abc"), "complete_after"),
    case("show-not-a-number", ("inventory", "show", "12345"), "12345"),
    case("show-not-in-inventory", ("inventory", "show", "+19195550199"), "not in the inventory"),
    # orders
    case("orders-show-unknown-ref", ("orders", "show", "ORD-999999"), "ORD-999999"),
    case("orders-list-status-bogus", ("orders", "list", "--status", "bogus"), "status", "bogus"),
    case("orders-list-limit-0", ("orders", "list", "--limit", "0"), "--limit"),
    case("orders-poll-timeout-0", ("orders", "poll", "--timeout", "0"), "--timeout"),
    # config
    case("carrier-add-unknown-kind", ("config", "carrier", "add", "x", "--kind", "nosuch"), "nosuch"),
    case("carrier-add-empty-name", ("config", "carrier", "add", "", "--kind", "sandbox"), "name"),
    case("carrier-add-duplicate", ("config", "carrier", "add", "fast", "--kind", "sandbox"), "fast"),
    case("carrier-add-option-without-value",
         ("config", "carrier", "add", "x", "--kind", "sandbox", "--option", "complete_after"),
         "--option", "KEY=VALUE"),
    case("carrier-add-option-without-key",
         ("config", "carrier", "add", "x", "--kind", "sandbox", "--option", "=5"), "--option", "KEY=VALUE"),
    case("carrier-remove-in-use", ("config", "carrier", "remove", "fast"), "fast"),
    case("carrier-remove-unknown", ("config", "carrier", "remove", "nosuch"), "nosuch"),
    case("account-add-unknown-carrier", ("config", "account", "add", "a2", "--carrier", "nosuch"), "nosuch"),
    case("account-add-empty-name", ("config", "account", "add", "", "--carrier", "fast"), "name"),
    case("account-add-mixed-credentials",
         ("config", "account", "add", "a2", "--carrier", "fast", "--username-env", "U", "--password-env", "P",
          "--client-id-env", "C", "--client-secret-env", "S"), "--username-env", "--client-id-env"),
    case("account-add-half-credentials",
         ("config", "account", "add", "a2", "--carrier", "fast", "--username-env", "U"),
         "--username-env", "--password-env"),
    case("inventory-type-add-unknown-account",
         ("config", "inventory-type", "add", "T2", "--account", "nosuch"), "nosuch"),
    case("inventory-type-add-empty-name", ("config", "inventory-type", "add", "", "--account", "fast"), "name"),
    case("inventory-type-remove-holding-numbers", ("config", "inventory-type", "remove", FAST), FAST),
    case("config-test-unknown-account", ("config", "test", "nosuch"), "nosuch"),
    # customers and their lines
    case("customer-add-empty", ("customer", "add", " ", "--name", "X"), "customer account", "empty"),
    case("customer-add-too-long", ("customer", "add", "A" * 65, "--name", "X"), "customer account", "64"),
    case("customer-add-newline", ("customer", "add", "AC\nME", "--name", "X"), "customer account"),
    case("customer-add-zero-width", ("customer", "add", "\u200b", "--name", "X"), "customer account"),
    case("customer-add-duplicate", ("customer", "add", "ACME", "--name", "Again"), "ACME", "exists"),
    case("customer-add-no-name", ("customer", "add", "NEW"), "--name"),
    case("customer-add-empty-name", ("customer", "add", "NEW", "--name", ""), "customer name"),
    case("customer-show-unknown", ("customer", "show", "ACNE"), "no customer", "ACME"),
    case("customer-show-unknown-json", ("customer", "show", "ACNE", "--json"), "no customer", "ACME"),
    case("customer-remove-unknown", ("customer", "remove", "NOBODY"), "no customer", "NOBODY"),
    case("customer-remove-with-numbers", ("customer", "remove", "ACME"), "ACME", "1 number"),
    case("line-add-unknown-customer", ("customer", "line", "add", "NOBODY", "main"), "no customer"),
    case("line-add-duplicate", ("customer", "line", "add", "ACME", "main"), "main", "already"),
    case("line-add-empty", ("customer", "line", "add", "ACME", ""), "service line", "empty"),
    case("line-list-unknown-customer", ("customer", "line", "list", "NOBODY"), "no customer"),
    case("line-remove-unknown", ("customer", "line", "remove", "ACME", "mian"), "mian", "main"),
    case("line-remove-with-numbers", ("customer", "line", "remove", "ACME", "main"), "main", "1 number"),
    # add from carrier
    case("add-dids-unknown-customer", ("customer", "add-dids", "NOBODY", "--line", "main", "--type", FAST,
                                       "--area-code", "919", "--all", "--yes"), "no customer", "NOBODY"),
    case("add-dids-unknown-line", ("customer", "add-dids", "ACME", "--line", "mian", "--type", FAST,
                                   "--area-code", "919", "--all", "--yes"), "mian", "main"),
    case("add-dids-no-line", ("customer", "add-dids", "ACME", "--type", FAST, "--area-code", "919", "--all",
                              "--yes"), "--line"),
    case("add-dids-no-method", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST, "--yes"),
         "criteria", "--numbers"),
    case("add-dids-all-no-yes", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                 "--area-code", "919", "--all"), "--yes"),
    case("add-dids-numbers-held", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                   "--numbers", HELD, "--yes"), "already in inventory type"),
    case("add-dids-bad-area-code", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                    "--area-code", "123", "--all", "--yes"), "area code 123"),
    case("from-inventory-0", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                              "--from-inventory", "0"), "--from-inventory", "at least 1"),
    case("from-inventory-too-many", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                     "--from-inventory", "5"), "only 1 available", "nothing assigned"),
    case("from-inventory-with-all", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                     "--from-inventory", "1", "--all"), "--from-inventory", "--all"),
    case("from-inventory-with-zip", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                     "--from-inventory", "1", "--zip", "27601"), "--from-inventory", "--zip"),
    case("from-inventory-bad-state", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                      "--from-inventory", "1", "--state", "XX"), "unknown state"),
    case("from-inventory-unknown-line", ("customer", "add-dids", "ACME", "--line", "fax", "--type", FAST,
                                         "--from-inventory", "1"), "fax"),
    case("remove-dids-unknown-customer", ("customer", "remove-dids", "NOBODY", ASSIGNED, "--yes"), "no customer"),
    case("remove-dids-not-assigned", ("customer", "remove-dids", "ACME", HELD, "--yes"), HELD, "not on a line"),
    case("remove-dids-not-held", ("customer", "remove-dids", "ACME", "+19195550199", "--yes"),
         "not in the inventory"),
    case("remove-dids-bad-number", ("customer", "remove-dids", "ACME", "12345", "--yes"), "12345"),
    case("remove-dids-no-yes", ("customer", "remove-dids", "ACME", ASSIGNED), "--yes"),
    case("remove-dids-reason-and-disconnect", ("customer", "remove-dids", "ACME", ASSIGNED, "--disconnect",
                                               "--reason", "x", "--yes"), "--reason"),
    case("remove-dids-key-without-disconnect", ("customer", "remove-dids", "ACME", ASSIGNED, "--key", "k1",
                                                "--yes"), "--key", "--disconnect"),
    case("remove-dids-disconnect-no-yes", ("customer", "remove-dids", "ACME", ASSIGNED, "--disconnect"), "--yes"),
    # numbers already held
    case("disconnect-assigned-without-force", ("inventory", "disconnect", ASSIGNED, "--yes"),
         "assigned to customer ACME line main", "--force"),
    case("assign-unknown-customer", ("inventory", "assign", HELD, "--customer", "NOBODY", "--line", "main"),
         "no customer"),
    case("assign-unknown-line", ("inventory", "assign", HELD, "--customer", "ACME", "--line", "mian"), "mian"),
    case("assign-no-line", ("inventory", "assign", HELD, "--customer", "ACME"), "--line"),
    case("assign-already-assigned", ("inventory", "assign", ASSIGNED, "--customer", "ACME", "--line", "main"),
         "assigned to customer ACME", "unassign"),
    case("assign-not-held", ("inventory", "assign", "+19195550199", "--customer", "ACME", "--line", "main"),
         "not in the inventory"),
    case("unassign-available", ("inventory", "unassign", HELD), "available", "not assigned"),
    case("unassign-empty-reason", ("inventory", "unassign", ASSIGNED, "--reason", " "), "reason", "empty"),
    case("move-unknown-type", ("inventory", "move", HELD, "--to-type", "Nope"), "inventory type", "Nope"),
    case("move-same-type", ("inventory", "move", HELD, "--to-type", FAST), FAST, "already"),
    case("move-other-account", ("inventory", "move", HELD, "--to-type", "Sandbox DIDs"), "account", "fast"),
    case("move-not-held", ("inventory", "move", "+19195550199", "--to-type", FAST), "not in the inventory"),
    case("move-no-numbers", ("inventory", "move", "--to-type", FAST), "NUMBERS"),
    case("list-customer-unknown", ("inventory", "list", "--customer", "ACNE"), "no customer", "ACME"),
    # import and reconcile
    case("import-missing-file", ("inventory", "import", "--type", FAST, "/nonexistent/dids.csv"),
         "cannot read", "/nonexistent/dids.csv"),
    case("import-bad-row", ("inventory", "import", "--type", FAST, BAD_CSV), "line 3", "nothing imported"),
    case("import-unknown-type", ("inventory", "import", "--type", "Nope", BAD_CSV), "inventory type", "Nope"),
    case("import-directory", ("inventory", "import", "--type", FAST, "/"), "cannot read"),
    case("reconcile-unknown-type", ("inventory", "reconcile", "--type", "Nope"), "inventory type", "Nope"),
    case("reconcile-fix-no-yes", ("inventory", "reconcile", "--type", FAST, "--fix"), "--yes"),
    # --- issue 8: digits in other scripts, whitespace, non-finite and unbounded numbers, at every door ---
    case("i8-npa-fullwidth", lookup("--area-code", "９１９"), "--area-code", "ASCII"),
    case("i8-npa-arabic-indic", lookup("--area-code", "٩١٩"), "--area-code", "ASCII"),
    case("i8-npa-devanagari", lookup("--area-code", "९१९"), "--area-code", "ASCII"),
    case("i8-npa-equals-fullwidth", lookup("--area-code=９１９"), "--area-code", "ASCII"),
    case("i8-npa-fullwidth-order-all", order("--area-code", "９１９", "--all", "--yes"), "--area-code", "ASCII"),
    case("i8-npa-space-then-bad", lookup("--area-code", " 111 "), "area code 111"),
    case("i8-lata-fullwidth", lookup("--lata", "９１９"), "--lata", "ASCII"),
    case("i8-zip-fullwidth", lookup("--zip", "２７６０１"), "--zip", "ASCII"),
    case("i8-toll-free-fullwidth", lookup("--toll-free", "８**"), "--toll-free", "ASCII"),
    case("i8-quantity-fullwidth", lookup("--area-code", "919", "--quantity", "５"), "--quantity", "ASCII"),
    case("i8-quantity-short-arabic", lookup("--area-code", "919", "-q٣"), "-q", "ASCII"),
    case("i8-quantity-huge", lookup("--area-code", "919", "--quantity", "99999999999999999999"), "--quantity"),
    case("i8-order-quantity-huge", order("--area-code", "919", "--quantity", "99999999999999999999", "--all",
                                         "--yes"), "--quantity"),
    case("i8-state-fullwidth", lookup("--state", "ＮＣ"), "unknown state"),
    case("i8-vanity-fullwidth", lookup("--vanity", "ＦＬＯＷＥＲＳ"), "vanity word"),
    case("i8-rate-center-zero-width", lookup("--rate-center", "RALEIGH\u200b", "--state", "NC"), "rate center"),
    case("i8-city-escape", lookup("--city", "RAL\x1bEIGH", "--state", "NC"), "city"),
    case("i8-numbers-fullwidth", order("--numbers", "９１９５５５０１４２", "--yes"), "ASCII"),
    case("i8-numbers-devanagari", order("--numbers", "९१९५५५०१४२", "--yes"), "ASCII"),
    case("i8-pick-fullwidth", order("--area-code", "919", "--quantity", "2", "--pick", "１", "--yes"), "--pick",
         "ASCII"),
    case("i8-key-fullwidth", order("--area-code", "919", "--all", "--yes", "--key", "k１"), "--key"),
    case("i8-key-zero-width", order("--area-code", "919", "--all", "--yes", "--key", "k\u200b1"), "--key"),
    case("i8-timeout-nan", order("--area-code", "919", "--all", "--yes", "--wait", "--timeout", "nan"), "--timeout"),
    case("i8-timeout-inf", order("--area-code", "919", "--all", "--yes", "--wait", "--timeout", "inf"), "--timeout"),
    case("i8-timeout-huge", order("--area-code", "919", "--all", "--yes", "--timeout", "1e300"), "--timeout"),
    case("i8-timeout-fullwidth", order("--area-code", "919", "--all", "--yes", "--timeout", "５"), "--timeout",
         "ASCII"),
    case("i8-list-area-code-fullwidth", ("inventory", "list", "--area-code", "９１９"), "--area-code", "ASCII"),
    case("i8-list-limit-huge", ("inventory", "list", "--limit", "99999999999999999999"), "--limit"),
    case("i8-list-limit-fullwidth", ("inventory", "list", "--limit", "５"), "--limit", "ASCII"),
    case("i8-list-limit-nan", ("inventory", "list", "--limit", "nan"), "--limit"),
    case("i8-list-status-fullwidth", ("inventory", "list", "--status", "ａｖａｉｌａｂｌｅ"), "status"),
    case("i8-list-customer-zero-width", ("inventory", "list", "--customer", "ACME\u200b"), "no customer"),
    case("i8-show-fullwidth", ("inventory", "show", "９１９５５５０１４２"), "ASCII"),
    case("i8-orders-list-limit-huge", ("orders", "list", "--limit", "99999999999999999999"), "--limit"),
    case("i8-orders-list-status-space-bogus", ("orders", "list", "--status", " bogus "), "status", "bogus"),
    case("i8-orders-poll-timeout-nan", ("orders", "poll", "--wait", "--timeout", "nan"), "--timeout"),
    case("i8-orders-poll-timeout-inf", ("orders", "poll", "--timeout", "inf"), "--timeout"),
    case("i8-orders-show-zero-width", ("orders", "show", "ORD-000001\u200b"), "no order"),
    case("i8-disconnect-fullwidth", ("inventory", "disconnect", "９１９５５５０１４２", "--yes"), "ASCII"),
    case("i8-disconnect-timeout-nan", ("inventory", "disconnect", HELD, "--yes", "--wait", "--timeout", "nan"),
         "--timeout"),
    case("i8-assign-fullwidth", ("inventory", "assign", "９１９５５５０１４２", "--customer", "ACME", "--line", "main"),
         "ASCII"),
    case("i8-unassign-arabic-indic", ("inventory", "unassign", "٩١٩٥٥٥٠١٤٢"), "ASCII"),
    case("i8-move-fullwidth", ("inventory", "move", "９１９５５５０１４２", "--to-type", FAST), "ASCII"),
    case("i8-move-type-zero-width", ("inventory", "move", HELD, "--to-type", FAST + "\u200b"), "inventory type"),
    case("i8-remove-dids-fullwidth", ("customer", "remove-dids", "ACME", "９１９５５５０１４２", "--yes"), "ASCII"),
    case("i8-add-dids-npa-fullwidth", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                       "--area-code", "９１９", "--all", "--yes"), "--area-code", "ASCII"),
    case("i8-add-dids-from-inventory-huge", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                             "--from-inventory", "99999999999999999999"), "--from-inventory"),
    case("i8-add-dids-from-inventory-fullwidth", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                                  "--from-inventory", "１"), "--from-inventory", "ASCII"),
    case("i8-add-dids-timeout-nan", ("customer", "add-dids", "ACME", "--line", "main", "--type", FAST,
                                     "--area-code", "919", "--all", "--yes", "--wait", "--timeout", "nan"),
         "--timeout"),
    case("i8-customer-add-newline-name", ("customer", "add", "NEW", "--name", "a\nb"), "customer name"),
    case("i8-line-add-zero-width", ("customer", "line", "add", "ACME", "\u200b"), "service line"),
    case("i8-carrier-add-misspelled-option", ("config", "carrier", "add", "y", "--kind", "sandbox", "--option",
                                              "complete_afer=1"), "complete_afer"),
    case("i8-carrier-add-option-nan", ("config", "carrier", "add", "y", "--kind", "sandbox", "--option",
                                       "complete_after=nan"), "complete_after"),
    case("i8-carrier-add-url-credentials", ("config", "carrier", "add", "y", "--kind", "bandwidth", "--url",
                                            "https://u:pw@example.com/api"), "url"),
    case("i8-carrier-add-url-ftp", ("config", "carrier", "add", "y", "--kind", "bandwidth", "--url",
                                    "ftp://example.com/api"), "url"),
    case("i8-carrier-add-url-empty", ("config", "carrier", "add", "y", "--kind", "bandwidth", "--url", ""), "url"),
    case("i8-carrier-add-zero-width-name", ("config", "carrier", "add", "\u200b", "--kind", "sandbox"), "name"),
    case("i8-carrier-add-long-name", ("config", "carrier", "add", "c" * 5000, "--kind", "sandbox"), "name"),
    case("i8-account-add-bad-env-name", ("config", "account", "add", "a2", "--carrier", "fast", "--username-env",
                                         "BAD NAME", "--password-env", "P"), "username_env"),
    case("i8-account-add-empty-id", ("config", "account", "add", "a2", "--carrier", "fast", "--account-id", ""),
         "account_id"),
    case("i8-inventory-type-add-newline", ("config", "inventory-type", "add", "T\n2", "--account", "fast"), "name"),
    case("i8-db-in-memory", ("--db", "sqlite:///:memory:", "orders", "list"), "memory"),
    case("i8-reconcile-type-zero-width", ("inventory", "reconcile", "--type", FAST + "\u200b"), "inventory type"),
]


def tables(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows (sorted, so the comparison does not depend on scan order)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}
    finally:
        conn.close()


def snapshot(home: Path) -> dict[str, object]:
    return {
        "store": tables(home / "tnorder.db"),
        "world": tables(home / "sandbox" / "world.sqlite"),
        "config": (home / "config.toml").read_bytes(),
    }


@pytest.fixture(scope="module")
def pool_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sandbox's exchange cache, built once (building it in every home costs ~1.5 s a case)."""
    from tnorder.sim.pool import Pool

    path = tmp_path_factory.mktemp("pool")
    Pool(0, path).exchanges  # noqa: B018 - builds and writes the cache file
    return path


@pytest.fixture
def placed(run, home: Path, home_templates, request: pytest.FixtureRequest) -> dict[str, object]:
    """A home holding one completed order of two numbers; returns the store's snapshot.

    Built once per worker (`home_templates`); every later case starts from a copy of that home,
    checked equal to the snapshot taken when it was built."""
    (home.parent / "bad.csv").write_text("number\n9195550100\nnot-a-number\n", encoding="utf-8")
    before = home_templates.home("bad-input-placed", home, lambda: _place(run, home, request))
    assert snapshot(home) == before
    return before


def _place(run, home: Path, request: pytest.FixtureRequest) -> dict[str, object]:
    fast_sandbox = request.getfixturevalue("fast_sandbox")
    shutil.copytree(request.getfixturevalue("pool_cache"), home / "sandbox", dirs_exist_ok=True)
    result = run("inventory", "order", "--type", fast_sandbox, "--area-code", "919", "--quantity", "2",
                 "--all", "--yes", "--key", "setup-1")
    assert result.code == 0, result.err
    result = run("orders", "poll")
    assert result.code == 0, result.err
    assert run("customer", "add", "ACME", "--name", "Acme Corp").code == 0
    assert run("customer", "line", "add", "ACME", "main").code == 0
    numbers = sorted(n["number"] for n in run("inventory", "list", "--json").json())
    assert run("inventory", "assign", numbers[1], "--customer", "ACME", "--line", "main").code == 0
    before = snapshot(home)
    assert set(before["store"]) >= STORE_TABLES
    assert set(before["world"]) >= WORLD_TABLES
    assert len(before["store"]["numbers"]) == 2 and len(before["store"]["orders"]) == 1
    assert before["world"]["orders"]
    return before


@pytest.fixture
def carrier_calls(placed, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Once the setup order is placed, reaching the carrier is recorded and fails."""
    return recording_calls(monkeypatch, (SandboxCarrier,))


def recording_calls(monkeypatch: pytest.MonkeyPatch, classes: tuple[type, ...],
                    methods: tuple[str, ...] = CARRIER_METHODS) -> list[str]:
    """Calling any of `methods` on these carrier classes is recorded and fails (the other carriers'
    tables share it)."""
    calls: list[str] = []
    for cls in classes:
        for name in methods:
            def recorder(self, *args, _name=name, **kwargs):
                calls.append(_name)
                raise AssertionError(f"carrier called: {_name}")
            monkeypatch.setattr(cls, name, recorder)
    return calls


def configured(run, home: Path, setup: list[tuple[str, ...]], held: AvailableNumber, type_name: str,
               carrier: str) -> dict[str, object]:
    """Another carrier's set-up commands run, one number of its type in the store; the snapshot."""
    from tnorder.services import lifecycle
    from tnorder.services.context import Context

    for args in setup:
        result = run(*args)
        assert result.code == 0, (args, result.err)
    ctx = Context()
    try:
        with ctx.store.write() as s:
            lifecycle.add(s, [held], status="available", inventory_type=type_name, carrier=carrier, account=carrier,
                          ref=None, actor="tester", event="imported", note="imported for the test")
    finally:
        ctx.close()
    return snapshot(home)


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stdin is not a terminal, also under `pytest -s` from a shell."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


def assert_refused(result, keywords: list[str], secret: str | None = None) -> None:
    """Exit 2, one line on stderr naming the problem (each keyword in it, no secret), nothing on stdout."""
    lines = result.err.strip().splitlines()
    assert result.code == 2, result.err
    assert len(lines) == 1, result.err
    assert lines[0].strip()
    assert "Traceback" not in result.err and "unexpected" not in result.err
    assert result.out == ""
    for word in keywords:
        assert word.lower() in lines[0].lower(), (word, lines[0])
    assert secret is None or secret not in result.err


@pytest.mark.parametrize(("args", "keywords"), CASES)
def test_bad_input_exits_2_calls_no_carrier_changes_nothing(
    args, keywords, run, home: Path, placed, carrier_calls, no_terminal
):
    numbers = sorted(v for row in placed["store"]["numbers"] for v in row if isinstance(v, str) and v[:2] == "+1")
    given = {HELD: numbers[0], ASSIGNED: numbers[1], BAD_CSV: str(home.parent / "bad.csv")}
    args = tuple(given.get(a, a) for a in args)

    result = run(*args)

    # 1. exit 2, one line on stderr naming the problem, nothing on stdout
    assert_refused(result, [given.get(k, k) for k in keywords])
    # 2. no carrier call
    assert carrier_calls == []
    # 3. the store, the config and the sandbox world are as they were
    assert snapshot(home) == placed


def test_enough_distinct_bad_inputs():
    assert len({tuple(p.values[0]) for p in CASES}) >= 30
    assert len({p.id for p in CASES}) == len(CASES)


def test_recorder_catches_a_carrier_call(run, placed, carrier_calls, no_terminal):
    """The recorder is live: a valid lookup reaches the carrier and fails (not exit 2)."""
    result = run(*lookup("--area-code", "919", "--quantity", "1"))
    assert carrier_calls == ["search"]
    assert result.code == 1


def test_snapshot_sees_a_change(run, home: Path, placed, carrier_calls, no_terminal):
    """The store check is live: a valid order writes its row before the (failing) carrier call."""
    result = run(*order("--numbers", "+19195550142", "--yes"))
    assert carrier_calls == ["order"]
    assert result.code == 5  # the request may have left: outcome unknown, for `orders poll` to settle
    after = snapshot(home)
    assert after["store"]["orders"] != placed["store"]["orders"]
    assert run("config", "carrier", "add", "extra", "--kind", "sandbox").code == 0
    assert snapshot(home)["config"] != placed["config"]
