"""`tnorder completion bash|zsh|fish`: print a shell completion script.

The root app is built with `add_completion=False` (no `--install-completion` options cluttering
every help screen); this command prints the script instead, and `enable()` lets the script's
callback (`_TNORDER_COMPLETE=complete_bash tnorder …`) answer.
"""

from enum import StrEnum
from typing import Annotated

import typer

COMPLETE_VAR = "_TNORDER_COMPLETE"


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def command(shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.", case_sensitive=False)]) -> None:
    """Print a completion script for your shell.

    Bash: `eval "$(tnorder completion bash)"` in ~/.bashrc. Zsh: `tnorder completion zsh > "${fpath[1]}/_tnorder"`.
    Fish: `tnorder completion fish > ~/.config/fish/completions/tnorder.fish`.
    """
    from typer._completion_shared import get_completion_script

    print(get_completion_script(prog_name="tnorder", complete_var=COMPLETE_VAR, shell=shell.value))


def enable() -> None:
    """Register the shells' completion answers (only when the completion script calls in)."""
    from typer._completion_classes import completion_init

    completion_init()
