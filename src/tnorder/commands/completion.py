"""`tnorder completion bash|zsh|fish` prints a shell's completion script; `tnorder completion
install [SHELL]` writes it where that shell reads it.

The root app is built with `add_completion=False` (no `--install-completion` options cluttering
every help screen). The scripts call tnorder back with `_TNORDER_COMPLETE` set; `enabled()` then
sets up the answers (`completion_shells`), and the values come from `completing`.
"""

import contextlib
import os
import shlex
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tnorder import prune

COMPLETE_VAR = "_TNORDER_COMPLETE"
MARK = "# tnorder completion"

app = typer.Typer(help="Shell completion of commands, options and values.", no_args_is_help=True)


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


# bash: `mapfile` keeps each answer one word and unglobbed; the first line `::values` says the word
# is a value tnorder lists, so nothing found must not fall back to file names (`-o default`)
BASH = r"""_tnorder_completion() {
    local -a reply
    mapfile -t reply < <(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" \
        _TNORDER_COMPLETE=complete_bash "$1" 2>/dev/null)
    if [[ ${reply[0]} == "::values" ]]; then
        compopt +o default 2>/dev/null
        reply=("${reply[@]:1}")
    fi
    COMPREPLY=("${reply[@]}")
    return 0
}
complete -o default -F _tnorder_completion tnorder
"""

# zsh: works sourced (`eval "$(tnorder completion zsh)"`) and as `_tnorder` in a directory of $fpath.
# The function is `_tnorder` itself: autoloaded, the file's run defines it in place of the stub, so
# later Tabs call it directly (under another name, every later Tab re-ran the file and completed nothing)
ZSH = r"""#compdef tnorder

_tnorder() {
    eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _TNORDER_COMPLETE=complete_zsh tnorder 2>/dev/null)
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _tnorder "$@"
else
    compdef _tnorder tnorder
fi
"""

_FISH_CALL = ("env _TNORDER_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION={action} "
              "_TYPER_COMPLETE_ARGS=(commandline -cp) tnorder 2>/dev/null")
FISH = (f'complete --command tnorder --no-files --arguments "({_FISH_CALL.format(action="get-args")})" '
        f'--condition "{_FISH_CALL.format(action="is-args")}"\n')

SCRIPTS = {Shell.bash: BASH, Shell.zsh: ZSH, Shell.fish: FISH}
HOW = {
    Shell.bash: 'Bash: `eval "$(tnorder completion bash)"` in ~/.bashrc, or `tnorder completion install bash`.',
    Shell.zsh: 'Zsh: `tnorder completion zsh > ~/.zfunc/_tnorder` with ~/.zfunc in $fpath before compinit, '
               "or `tnorder completion install zsh`.",
    Shell.fish: "Fish: `tnorder completion fish > ~/.config/fish/completions/tnorder.fish`, "
                "or `tnorder completion install fish`.",
}


def _printer(shell: Shell) -> None:
    def show() -> None:
        print(SCRIPTS[shell], end="")

    show.__doc__ = f"Print the {shell.value} completion script.\n\n{HOW[shell]}"
    app.command(shell.value)(show)


for _shell in Shell:
    _printer(_shell)


@app.command("install")
def install(shell: Annotated[Shell | None, typer.Argument(
        help="bash, zsh or fish (default: the one $SHELL names).", case_sensitive=False)] = None) -> None:
    """Write the completion script where your shell reads it (again: only what changed)."""
    chosen = shell or detect()
    for line in INSTALLERS[chosen](home()):
        print(line)


def detect() -> Shell:
    """The shell `$SHELL` names."""
    from tnorder.errors import BadInput

    name = Path(os.environ.get("SHELL", "")).name
    if name not in Shell.__members__:
        raise BadInput(f"cannot tell your shell from $SHELL ({name or 'not set'}): "
                       "name it, as in `tnorder completion install bash` (bash, zsh or fish)")
    return Shell(name)


def home() -> Path:
    return Path(os.path.expanduser("~"))


def _xdg(variable: str, default: str) -> Path:
    given = os.environ.get(variable)
    return Path(given) if given and os.path.isabs(given) else home() / default


def write(path: Path, text: str) -> str:
    """`text` into `path` unless it already holds it; says which."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return f"{path} is up to date"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"wrote {path}"


def append_once(path: Path, line: str, what: str) -> str:
    """`line` at the end of `path` unless the file already has it."""
    have = path.read_text(encoding="utf-8") if path.is_file() else ""
    if line in have.splitlines():
        return f"{path} already {what}"
    with path.open("a", encoding="utf-8") as rc:
        rc.write(("" if not have or have.endswith("\n") else "\n") + line + "\n")
    return f"added to {path}: {line}"


def install_bash(user: Path) -> list[str]:
    script = _xdg("XDG_DATA_HOME", ".local/share") / "bash-completion" / "completions" / "tnorder"
    # bash-completion loads that file by itself when installed; the ~/.bashrc line covers shells without it
    source = f"[ -f {shlex.quote(str(script))} ] && . {shlex.quote(str(script))}  {MARK}"
    return [write(script, BASH), append_once(user / ".bashrc", source, "loads it"),
            "open a new bash (or `. ~/.bashrc`) to use it"]


def install_zsh(user: Path) -> list[str]:
    directory = Path(os.environ.get("ZDOTDIR") or user) / ".zfunc"
    done = [write(directory / "_tnorder", ZSH)]
    zshrc = Path(os.environ.get("ZDOTDIR") or user) / ".zshrc"
    if ".zfunc" not in (zshrc.read_text(encoding="utf-8") if zshrc.is_file() else ""):
        done.append(f"note: zsh reads it once {directory} is in $fpath: put `fpath=({directory} $fpath)` "
                    f"before `autoload -Uz compinit && compinit` in {zshrc}")
    return [*done, "open a new zsh to use it (after `rm ~/.zcompdump*` if compinit cached an older list)"]


def install_fish(user: Path) -> list[str]:
    target = _xdg("XDG_CONFIG_HOME", ".config") / "fish" / "completions" / "tnorder.fish"
    return [write(target, FISH), "fish reads it in new shells"]


INSTALLERS = {Shell.bash: install_bash, Shell.zsh: install_zsh, Shell.fish: install_fish}


@contextlib.contextmanager
def enabled(root: typer.Typer) -> Iterator[object]:
    """The whole command tree, ready to answer the shells' completion scripts (only when one calls in)."""
    from typer._completion_classes import completion_init

    from tnorder import completion_shells

    completion_init()
    completion_shells.register()
    with completion_shells.uncoerced():
        yield typer.main.get_command(prune.for_args(root, typed_words()))


def typed_words() -> list[str]:
    """The words before the one being completed, as the shell's script passed them.

    Only the command they name is built (`prune`): building all forty took most of a completion's
    own time. The word being completed is left out, so a partly typed command name still finds
    every command beside it."""
    from typer._click.shell_completion import split_arg_string

    if os.environ.get(COMPLETE_VAR, "").endswith("bash"):
        words = split_arg_string(os.environ.get("COMP_WORDS", ""))
        return words[1:int(os.environ.get("COMP_CWORD") or 0)]
    line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
    words = split_arg_string(line)[1:]
    return words if line.endswith(" ") else words[:-1]
