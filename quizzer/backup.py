"""Consistent copies of the learner's database, with SQLite's online backup API.

Copying the .sqlite3 file alone is not a backup: in WAL mode the latest answers may still
be in the -wal file beside it. The backup API copies one consistent snapshot of everything
committed, while other quizzer sessions go on answering, into a self-contained file (no
-wal needed) that quizzer opens like any database.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from quizzer.errors import DatabaseError, QuizzerError

BACKUP_EXAMPLE = "quizzer-backup.sqlite3"
# SQLite's application_id of a copy quizzer made ("qzbk"). quizzer.db clears it when a copy
# is opened for use: from then on it is someone's history, which `backup` never replaces.
BACKUP_ID = 0x717A626B


@dataclass(frozen=True)
class Copied:
    """What a backup holds."""

    reviews: int
    cards: int
    bytes: int


def copy_database(src: Path, dst: Path) -> Copied:
    """Copy the database at src into dst (a new or empty file) as one consistent snapshot,
    in rollback-journal mode, and check the copy (`PRAGMA quick_check`). Reads src without
    writing it. Raises DatabaseError on any failure (sqlite3 errors included)."""
    from quizzer.db import reader_uri

    try:
        with closing(sqlite3.connect(reader_uri(src), uri=True)) as source:
            with closing(sqlite3.connect(dst, isolation_level=None)) as copy:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
                copy.execute(f"PRAGMA application_id = {BACKUP_ID}")
                if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise DatabaseError(f"the copy of {src} does not check out")
                reviews = copy.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
                cards = copy.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
    except sqlite3.Error as exc:
        from quizzer.store import describe_failure

        raise DatabaseError(f"cannot copy {src}: {describe_failure(exc)}") from None
    return Copied(reviews, cards, dst.stat().st_size)


def backup_to(src: Path, out: str) -> tuple[str, Copied]:
    """Write a consistent copy of src to the output file out (quizzer.export.files rules:
    a regular file, written atomically, a symbolic link written through; not `-`). An
    existing file is replaced only if it is not an SQLite database, or is a copy quizzer
    made that nobody has opened for use since and that no -wal/-shm/-journal file is beside
    (so no one's history is ever replaced). Returns the name written and what it holds.
    Raises a QuizzerError, one line, for anything refused."""
    from quizzer.export.files import SQLITE_SIDECARS, Format, atomic_write, output_target

    fmt = Format(BACKUP_EXAMPLE, no_stdout="a database copy is a binary file", database=True)
    target = output_target(out, fmt)
    assert target is not None  # fmt refuses -
    if target.path == src.resolve():
        raise DatabaseError(f"{out} is the database itself; give another file name")
    if target.path.exists() and application_id(target.path) not in (None, BACKUP_ID):
        raise DatabaseError(
            f"{target.shown} is an SQLite database that is not a quizzer backup (perhaps "
            f"someone's history); it was left as it is: give a new file name"
        )
    if any(Path(f"{target.path}{s}").exists() for s in SQLITE_SIDECARS):
        raise DatabaseError(
            f"{target.shown} is in use (its -wal, -shm or -journal file is beside it); it "
            "was left as it is: give a new file name"
        )
    copied: list[Copied] = []
    written = atomic_write(out, lambda tmp: copied.append(copy_database(src, tmp)), fmt)
    return str(written), copied[0]


def application_id(path: Path) -> int | None:
    """SQLite's application_id of the database at path, or None if it is not one. Asked
    of SQLite, read-only (see quizzer.db on never reading a database with open())."""
    from quizzer.db import _readonly_uri

    try:
        with closing(sqlite3.connect(_readonly_uri(path), uri=True)) as con:
            return con.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.Error:
        return None


def backup_beside(path: Path, revision: str | None) -> Path:
    """The copy made before an upgrade: beside the database (quizzer.migrate.backup_name).
    Raises DatabaseError if it cannot be written (then nothing is upgraded)."""
    from quizzer.migrate import backup_name

    for stale in path.parent.glob(f".{path.stem}.backup-*.tmp*"):  # an interrupted one's
        stale.unlink(missing_ok=True)
    target = backup_name(path, revision)
    n = 1
    while target.exists():  # an earlier attempt in the same second: keep both
        n += 1
        target = target.with_name(f"{target.stem}-{n}{target.suffix}")
    try:
        backup_to(path, str(target))
    except QuizzerError as exc:
        raise DatabaseError(f"cannot back up {path} before upgrading it: {exc}") from None
    return target
