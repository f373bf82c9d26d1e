"""One Typer sub-app per command group. These modules import only Typer at import time."""
