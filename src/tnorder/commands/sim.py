"""`tnorder sim …`: the carrier emulator, for rehearsals and end-to-end tests."""


import sys
from typing import Annotated

import typer

app = typer.Typer(help="Run the carrier emulator (the simulated world over HTTP).", no_args_is_help=True)

_AUTH = "Credentials (none given: any are accepted)"


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0 picks a free one).")] = 8735,
    latency_ms: Annotated[int, typer.Option("--latency-ms", min=0, help="Delay every request by N ms.")] = 0,
    complete_after: Annotated[
        float, typer.Option("--complete-after", min=0, help="Seconds before an order completes.")
    ] = 3.0,
    fail_rate: Annotated[
        float, typer.Option("--fail-rate", min=0, max=1, help="Share of API calls that fail (500, 429, bad XML).")
    ] = 0.0,
    rate_limit: Annotated[
        int, typer.Option("--rate-limit", min=0, help="Requests per second per API group before 429 (0: none).")
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the number pool and of fault injection.")] = 0,
    username: Annotated[str | None, typer.Option("--username", help="Basic auth user.", rich_help_panel=_AUTH)] = None,
    password: Annotated[
        str | None,
        typer.Option("--password", envvar="TNORDER_SIM_PASSWORD", help="Basic auth password.", rich_help_panel=_AUTH),
    ] = None,
    client_id: Annotated[
        str | None, typer.Option("--client-id", help="OAuth2 client id.", rich_help_panel=_AUTH)
    ] = None,
    client_secret: Annotated[
        str | None,
        typer.Option("--client-secret", envvar="TNORDER_SIM_CLIENT_SECRET", help="OAuth2 client secret.",
                     rich_help_panel=_AUTH),
    ] = None,
    telnyx_key: Annotated[
        str | None,
        typer.Option("--telnyx-key", envvar="TNORDER_SIM_TELNYX_KEY",
                     help="The Bearer key the Telnyx face (/telnyx/v2) requires.", rich_help_panel=_AUTH),
    ] = None,
    no_default_peer: Annotated[
        bool, typer.Option("--no-default-peer", help="Orders without PeerId fail with 5020.")
    ] = False,
    short_fill: Annotated[
        bool, typer.Option("--short-fill", help="Search-and-order fills ~3/5 of the quantity, still COMPLETE.")
    ] = False,
    weird_status: Annotated[
        str | None, typer.Option("--weird-status", help="Unsettled orders read as this OrderStatus.")
    ] = None,
    drop_rate: Annotated[float, typer.Option(
        "--drop-rate", min=0, max=1, help="Share of API calls whose connection drops unanswered, before or "
        "after the world acts (a create that happened, its answer lost).")] = 0.0,
    pause_at: Annotated[str | None, typer.Option(
        "--pause-at", help="Crash-safety rehearsals: creates stop at 'received' or 'answered' while "
        "--pause-file's marker (PATH.<step>) exists.")] = None,
    pause_file: Annotated[str | None, typer.Option("--pause-file", help="Marker path for --pause-at.")] = None,
) -> None:
    """Serve Bandwidth's Dashboard API (v1 under /api, v2 under /api/v2), the modeled Broadvox SOAP
    interface at /broadvox and Telnyx's API v2 at /telnyx/v2 over the sandbox's simulated world, until
    Ctrl-C. --username/--password also guard the Broadvox face; --telnyx-key guards the Telnyx face."""
    import signal

    from tnorder.errors import BadInput, TnorderError
    from tnorder.sim.bandwidth_auth import Credentials
    from tnorder.sim.server import make_api
    from tnorder.sim.server import serve as run

    if (username is None) != (password is None):
        raise BadInput("--username and --password go together")
    if (client_id is None) != (client_secret is None):
        raise BadInput("--client-id and --client-secret go together")
    credentials = Credentials(username, password, client_id, client_secret)
    from pathlib import Path

    from tnorder.sim.chaos import STEPS, Chaos

    if pause_at is not None and (pause_at not in STEPS or pause_file is None):
        raise BadInput(f"--pause-at takes {' or '.join(STEPS)}, with --pause-file")
    chaos = Chaos(drop_rate, pause_at, Path(pause_file) if pause_file else None, seed)
    api = make_api(chaos=chaos, complete_after=complete_after, seed=seed, credentials=credentials,
                   latency_ms=latency_ms, fail_rate=fail_rate, default_peer=not no_default_peer, rate_limit=rate_limit,
                   short_fill=short_fill, weird_status=weird_status, telnyx_key=telnyx_key)
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.stderr.write(f"warning: {host} is not loopback; the emulator has no TLS and is for rehearsal only\n")

    def ready(url: str) -> None:
        sys.stderr.write(f"Bandwidth API emulator on {url} (accounts: any; {credentials.describe()}; "
                         f"world {api.world.path}; Ctrl-C stops)\n")
        checked = f"AuthHeader user {username}" if username is not None else "AuthHeader: any user"
        sys.stderr.write(f"Broadvox SOAP emulator on {url.removesuffix('/api')}/broadvox ({checked})\n")
        keyed = "Bearer key checked" if telnyx_key is not None else "any Bearer key"
        sys.stderr.write(f"Telnyx API v2 emulator on {url.removesuffix('/api')}/telnyx/v2 ({keyed})\n")
        sys.stderr.flush()

    from tnorder import interrupts

    interrupts.restore()  # a server stops on Ctrl-C at once: it has no order of its own to finish
    previous = signal.signal(signal.SIGTERM, _stop)  # `kill` from a script stops it as cleanly as Ctrl-C
    try:
        run(api, host, port, ready=ready)
    except OSError as exc:
        raise TnorderError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    sys.stderr.write("emulator stopped\n")


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
