"""Write an output file atomically: into a temporary file beside it, then rename. A
failure (missing or unwritable directory, full disk) leaves no partial file behind."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from quizzer.errors import QuizzerError


class ExportError(QuizzerError):
    """The export file cannot be written."""


def atomic_write(out: Path, write: Callable[[Path], None]) -> None:
    """Call write(tmp) on a temporary path in out's directory, then rename it to out."""
    out = Path(out)
    parent = out.absolute().parent
    if out.is_dir():
        raise ExportError(f"{out} is a directory; give a file name such as {out / 'quizzer.apkg'}")
    if not parent.exists():
        raise ExportError(f"cannot write {out}: directory {parent} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise ExportError(f"cannot write in {parent}: {_why(exc)}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; the export is an ordinary file
    try:
        write(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {_why(exc)}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return exc.strerror or str(exc)
