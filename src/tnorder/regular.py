"""Files a person names for tnorder to read (the config, a batch file, an import): regular files only.

A FIFO would make the read wait for a writer for ever, and a link to `/dev/zero` would read without
end; a folder is no file. The file is opened without blocking, so that opening a FIFO does not wait,
and checked before anything is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tnorder.errors import BadInput


class NotRegular(OSError):
    """The path names something other than a regular file."""


def open_regular(path: str | Path) -> tuple[int, os.stat_result]:
    """A read-only descriptor of `path` (blocking again) and its status; `NotRegular` otherwise.
    Other `OSError`s (missing, not permitted) are the caller's to word."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotRegular(f"{path} is not a regular file")
    os.set_blocking(fd, True)
    return fd, info


def named_input(path: str) -> int:
    """`open_regular` for a file named on the command line (a batch file, an import): any failure
    is bad input, one line naming the file."""
    try:
        fd, _ = open_regular(path)
    except NotRegular:
        raise BadInput(f"cannot read {path}: not a regular file") from None
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    return fd
