"""Output files of `export` and `report`: which targets may be written, and writing them
atomically (into a temporary file beside the real file, then one rename).

Only regular files are written. A directory, named pipe, device or socket is refused and
left exactly as it was: a rename over `/dev/full` would replace the device with a file.
A symbolic link is written through: the file it points to is replaced, the link stays.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from quizzer.errors import QuizzerError

STDOUT = "-"
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


class ExportError(QuizzerError):
    """The output file cannot be written, or the target is not one quizzer may write."""


@dataclass(frozen=True)
class Format:
    """What a command writes, as far as its output file is concerned.

    example: a file name of this kind, suggested in hints ("quizzer.csv").
    no_stdout: why `-` (standard output) is refused for this format, or None when `-`
    means standard output.
    database: True if the file written is an SQLite database (a backup): then an existing
    SQLite database may be replaced; otherwise one never is (a report written over your
    quizzer history by a slip of the tab key would erase it).
    """

    example: str
    no_stdout: str | None = None
    database: bool = False


@dataclass(frozen=True)
class Target:
    """An output file: the name given, and the regular file that is really written."""

    name: str  # as given (on the command line)
    path: Path  # the real file: absolute, every symbolic link resolved
    link: bool  # name itself is a symbolic link: written through, kept as a link
    mode: int | None = None  # permission bits of the existing file, None if there is none

    def __str__(self) -> str:
        """The name for "Wrote ..." messages: the real file, and the link when there is one."""
        return f"{self.path} (through the link {self.name})" if self.link else self.name

    @property
    def shown(self) -> str:
        """The name for error messages: as given, and where a link points."""
        return f"{self.name} (a link to {self.path})" if self.link else self.name


def output_target(name: str, fmt: Format) -> Target | None:
    """Check an output argument before the work of producing the file begins.

    Returns None when name is `-` and fmt allows standard output, else the checked Target
    (see check_target). Raises ExportError, one line, for `-` when fmt refuses it (an
    Anki package is binary, ...), and for every target check_target refuses. A file
    literally named `-` is written as `./-`.
    """
    if name == STDOUT:
        if fmt.no_stdout is None:
            return None
        raise ExportError(
            f"cannot write to standard output (-): {fmt.no_stdout}; "
            f"give a file name such as {fmt.example}"
        )
    return check_target(name, fmt)


def check_target(out: str | os.PathLike[str], fmt: Format) -> Target:
    """Resolve out and make sure it may be written, without writing it.

    Accepted: a regular file (replaced), a name that does not exist yet in an existing
    directory, and a symbolic link to either (the file it points to is written). Raises
    ExportError, one line, for: a directory, named pipe, character or block device, socket
    or other special file (also behind a link), a loop of links, a missing directory, and
    a directory quizzer cannot create files in (learnt by creating and removing an empty
    temporary file there). Hints name a file of fmt's kind (DIR/report.html, quizzer.csv).
    Nothing existing is changed.
    """
    target = _resolve(out, fmt)
    try:
        fd, probe = tempfile.mkstemp(dir=target.path.parent, prefix=".quizzer-", suffix=".tmp")
    except OSError as exc:
        raise ExportError(f"cannot write in {target.path.parent}: {_why(exc)}") from None
    os.close(fd)
    os.unlink(probe)
    return target


def atomic_write(out: str | os.PathLike[str], write: Callable[[Path], None], fmt: Format) -> Target:
    """Write out through write(tmp), atomically; return the Target written.

    The target is checked as check_target does (same refusals, same ExportError). write is
    called with a temporary path in the real file's directory; the temporary file is then
    renamed over the real file, so readers see the old file or the new one, never half of
    one, and a symbolic link stays a link to the new file. Right before the rename the
    real file is checked again: if it has become anything but a regular file in the
    meantime, nothing is renamed and ExportError says so. (rename(2) has no flag for
    "replace only a regular file", so a swap in the instant between that check and the
    rename itself is the one case left.)

    Any failure, including a full disk ("the disk is full"), raises ExportError and
    leaves no temporary file behind; an exception from write propagates after the same
    clean-up. An existing file keeps its permission bits (a report made private with
    chmod 600 stays private); a new file gets 0o666 minus the umask, like any file a
    program creates. The new file belongs to whoever runs quizzer, and other hard links
    to the old file keep the old content.
    """
    target = _resolve(out, fmt)
    real = target.path
    if target.mode is not None:
        mode = target.mode
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask  # mkstemp makes it private; the export is an ordinary file
    try:
        fd, tmp_name = tempfile.mkstemp(
            dir=real.parent, prefix=f".{real.name[:80]}.", suffix=".tmp"
        )
    except OSError as exc:
        raise ExportError(f"cannot write in {real.parent}: {_why(exc)}") from None
    tmp = Path(tmp_name)
    try:
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        write(tmp)
        _check_still_regular(target)
        os.replace(tmp, real)
    except OSError as exc:
        raise ExportError(f"cannot write {target.shown}: {_why(exc)}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def write_stdout(write: Callable[[Path], None], stream: BinaryIO) -> None:
    """Call write(tmp) on a temporary file, then copy its bytes to stream (standard output).

    The bytes are those a file export would hold. Raises ExportError when the temporary
    file or stream cannot be written (a full disk: "the disk is full"); BrokenPipeError
    propagates, so that the command can stop quietly when the reader has gone
    (`quizzer export csv - | head`).
    """
    try:
        with tempfile.TemporaryDirectory(prefix="quizzer-") as tmpdir:
            tmp = Path(tmpdir) / "out"
            write(tmp)
            with open(tmp, "rb") as f:
                shutil.copyfileobj(f, stream)
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise ExportError(f"cannot write to standard output: {_why(exc)}") from None


def _resolve(out: str | os.PathLike[str], fmt: Format) -> Target:
    """The Target for out, or ExportError if out may not be written (see check_target)."""
    name = os.fspath(out)
    if not name:
        raise ExportError(f"no output file given; give a file name such as {fmt.example}")
    link = False
    try:
        link = stat.S_ISLNK(os.lstat(name).st_mode)
        st: os.stat_result | None = os.stat(name)
    except FileNotFoundError:
        st = None  # out, or the file a link points to, does not exist yet
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ExportError(f"cannot write {name}: it is a loop of symbolic links") from None
        raise ExportError(f"cannot write {name}: {_why(exc)}") from None
    target = Target(name, Path(os.path.realpath(name)), link)
    for suffix in SQLITE_SIDECARS:  # a file there is SQLite's: it would take it, or lose it
        base = str(target.path).removesuffix(suffix)
        if str(target.path).endswith(suffix) and os.path.exists(base):
            raise ExportError(
                f"{target.shown} is a name the SQLite database {base} uses for its own "
                f"files; nothing was written: give a file name such as {fmt.example}"
            )
    if st is None:
        parent = target.path.parent
        if name.endswith(os.sep) or not parent.is_dir():
            missing = name.rstrip(os.sep) if name.endswith(os.sep) else parent
            raise ExportError(f"cannot write {target.shown}: directory {missing} does not exist")
        return target
    if stat.S_ISREG(st.st_mode):
        if not fmt.database and st.st_size >= 100 and _is_sqlite(target.path):
            raise ExportError(
                f"{target.shown} is an SQLite database (perhaps your quizzer history); "
                f"it was left as it is: give a file name such as {fmt.example}"
            )
        return Target(name, target.path, link, stat.S_IMODE(st.st_mode) & 0o777)
    if stat.S_ISDIR(st.st_mode):
        suggestion = os.path.join(name, fmt.example)
        raise ExportError(f"{target.shown} is a directory; give a file name such as {suggestion}")
    alternative = ", or - for standard output" if fmt.no_stdout is None else ""
    raise ExportError(
        f"{target.shown} is {_kind(st.st_mode)}, not a regular file; "
        f"give a file name such as {fmt.example}{alternative}"
    )


def _is_sqlite(path: Path) -> bool:
    """True if path holds an SQLite database. Asked of SQLite itself, read-only: reading
    the header with open() and closing it would drop this process's POSIX locks on a
    database it has open (see quizzer.db)."""
    import sqlite3
    from contextlib import closing
    from urllib.parse import quote

    try:
        with closing(sqlite3.connect(f"file:{quote(str(path))}?immutable=1", uri=True)) as con:
            con.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error:
        return False
    return True


def _check_still_regular(target: Target) -> None:
    """Refuse to rename over the real file if it stopped being a regular file (or absent)."""
    try:
        mode = os.lstat(target.path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise ExportError(
            f"cannot write {target.shown}: it became {_kind(mode)} while being written; "
            "it was left as it is"
        )


def _kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return kind
    return "a special file"


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return exc.strerror or str(exc)
