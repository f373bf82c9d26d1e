"""One or two examples at the end of every command's `--help` (kept here, apart from the commands,
so that the help of every command reads alike and a test can check none is missing)."""

from __future__ import annotations

import typer

EXAMPLES: dict[str, list[str]] = {
    "config path": ["tnorder config path"],
    "config carrier add": ["tnorder config carrier add bw --kind bandwidth",
                           "tnorder config carrier add fast --kind sandbox --option complete_after=0"],
    "config carrier list": ["tnorder config carrier list --json"],
    "config carrier set": ["tnorder config carrier set bw --url https://dashboard.bandwidth.com/api/v2 "
                           "--option api=v2"],
    "config carrier remove": ["tnorder config carrier remove bw"],
    "config account add": ["tnorder config account add main --carrier bw --account-id 9900001 "
                           "--client-id-env BW_ID --client-secret-env BW_SECRET"],
    "config account list": ["tnorder config account list"],
    "config account set": ["tnorder config account set main --client-secret-env BW_SECRET_2"],
    "config account remove": ["tnorder config account remove main"],
    "config inventory-type add": ["tnorder config inventory-type add 'Raleigh DIDs' --account main"],
    "config inventory-type list": ["tnorder config inventory-type list --json"],
    "config inventory-type remove": ["tnorder config inventory-type remove 'Raleigh DIDs'"],
    "config test": ["tnorder config test", "tnorder config test main"],
    "inventory lookup": ["tnorder inventory lookup --area-code 919 --quantity 5",
                         "tnorder inventory lookup --toll-free '8**' --json"],
    "inventory order": ["tnorder inventory order --area-code 919 --quantity 3 --all --yes",
                        "tnorder inventory order --from-file orders.csv --yes --json"],
    "inventory disconnect": ["tnorder inventory disconnect +19195550142 --yes"],
    "inventory list": ["tnorder inventory list --status available --area-code 919",
                       "tnorder inventory list --all-statuses --csv > inventory.csv"],
    "inventory show": ["tnorder inventory show '(919) 555-0142'"],
    "inventory summary": ["tnorder inventory summary", "tnorder inventory summary --json"],
    "inventory reservations": ["tnorder inventory reservations", "tnorder inventory reservations --release --json"],
    "inventory import": ["tnorder inventory import --type 'Raleigh DIDs' numbers.csv"],
    "inventory reconcile": ["tnorder inventory reconcile --type 'Raleigh DIDs'",
                            "tnorder inventory reconcile --fix --yes"],
    "inventory move": ["tnorder inventory move +19195550142 --to-type 'Spare DIDs'"],
    "inventory assign": ["tnorder inventory assign +19195550142 --customer ACME --line sales"],
    "inventory unassign": ["tnorder inventory unassign +19195550142 --reason 'line closed'"],
    "customer add": ["tnorder customer add ACME --name 'Acme Corp'"],
    "customer list": ["tnorder customer list --json"],
    "customer show": ["tnorder customer show ACME"],
    "customer remove": ["tnorder customer remove ACME"],
    "customer line add": ["tnorder customer line add ACME sales --description 'Sales team'"],
    "customer line list": ["tnorder customer line list ACME"],
    "customer line remove": ["tnorder customer line remove ACME sales"],
    "customer add-dids": ["tnorder customer add-dids ACME --line sales --area-code 919 --quantity 2 --all --yes",
                          "tnorder customer add-dids ACME --line sales --from-file dids.csv --yes"],
    "customer remove-dids": ["tnorder customer remove-dids ACME +19195550142 --yes"],
    "orders pending": ["tnorder orders pending"],
    "orders list": ["tnorder orders list --status failed", "tnorder orders list --jsonl >> orders.log"],
    "orders show": ["tnorder orders show 42", "tnorder orders show ORD-000042 --json"],
    "orders poll": ["tnorder orders poll --jsonl >> poll.log    # from cron",
                    "tnorder orders poll --wait --timeout 120"],
    "sim serve": ["tnorder sim serve --port 8735 --latency-ms 50"],
    "completion bash": ['eval "$(tnorder completion bash)"'],
    "completion zsh": ["tnorder completion zsh > ~/.zfunc/_tnorder"],
    "completion fish": ["tnorder completion fish > ~/.config/fish/completions/tnorder.fish"],
    "completion install": ["tnorder completion install", "tnorder completion install zsh"],
}


def epilog(path: str) -> str | None:
    examples = EXAMPLES.get(path)
    if not examples:
        return None
    # one paragraph per example: Rich help re-flows the lines of a paragraph into one
    return "Examples:\n\n" + "\n\n".join(f"  $ {example}" for example in examples)


def attach(app: typer.Typer, prefix: str = "") -> list[str]:
    """Give every command of `app` (and of its sub-apps) its examples; returns the paths seen."""
    seen = []
    for command in app.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        path = f"{prefix}{name}"
        command.epilog = command.epilog or epilog(path)
        seen.append(path)
    for group in app.registered_groups:
        seen += attach(group.typer_instance, f"{prefix}{group.name} ")
    return seen
