"""Opening the learner's database safely.

Before anything can change a file, it is looked at without writing (SQLite's immutable or
read-only mode, so no -wal or -shm file appears beside a file that is then refused):

- a directory, a device, a file that is not SQLite, a damaged file (`PRAGMA quick_check`)
  or the SQLite database of another program (its own tables, or another application's
  `alembic_version`) is refused with one line (DatabaseError) and left byte for byte;
- a file quizzer may read but not write is opened read-only: `stats`, `report`, `export`
  and `check` work, commands that must write say so in one line (DatabaseReadOnly).

A writable database runs in WAL mode with foreign keys on and `synchronous=FULL` (a
committed answer survives a power cut), and waits up to BUSY_TIMEOUT for another quizzer
that holds the write lock. Transactions are quizzer's own (the driver's implicit ones are
off): reads run in `BEGIN` (one consistent snapshot), writes in `BEGIN IMMEDIATE` (the write
lock is taken before anything is read, so no decision is ever made on a stale read). A new
or older database is created or upgraded in one such transaction (quizzer.migrate).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from quizzer.errors import DatabaseError, DatabaseReadOnly
from quizzer.location import ENV_VAR, FILENAME, Location, default_path, locate

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["ENV_VAR", "FILENAME", "connect", "default_path", "inspect", "locate"]

BUSY_TIMEOUT = 30.0  # seconds a write waits for another quizzer's write lock
QUIZZER_TABLES = frozenset(
    {"cards", "card_states", "reviews", "settings", "variants", "anki_notes", "fsrs_parameters",
     "alembic_version"}
)  # fmt: skip
CORE_TABLES = frozenset({"cards", "card_states", "reviews", "settings"})

Notify = Callable[[str], None]


@dataclass(frozen=True)
class Inspection:
    """What an existing file holds, read without changing it."""

    exists: bool  # an SQLite database with at least its header (an empty file is new)
    tables: frozenset[str] = frozenset()
    revision: str | None = None  # alembic_version, when there is one
    writable: bool = True  # the file and the place of its -wal/-shm files can be written

    @property
    def empty(self) -> bool:
        return not self.tables


def inspect(loc: Location) -> Inspection:
    """Check the file at loc.path without writing anything; DatabaseError if quizzer must
    not open it (not a file, not SQLite, damaged, another program's)."""
    try:
        return _inspect(loc)
    except OSError as exc:  # a name too long, a loop of links, a vanished directory...
        raise DatabaseError(f"cannot use {loc.path}: {exc.strerror or exc}") from None


def _inspect(loc: Location) -> Inspection:
    path = loc.path
    if path.is_dir():
        raise DatabaseError(f"{path} is a directory, not a database file")
    if not path.exists():
        if path.is_symlink():
            raise DatabaseError(f"{path} is a symbolic link to a file that does not exist")
        return Inspection(exists=False, writable=not loc.read_only)
    if not path.is_file():
        raise DatabaseError(f"{path} is not a regular file")
    if not os.access(path, os.R_OK):
        raise DatabaseError(f"cannot read {path}: Permission denied")
    if path.stat().st_size == 0:
        return Inspection(exists=False, writable=_writable(path) and not loc.read_only)
    tables, revision, unfinished = _schema_and_check(path)
    _refuse_foreign(path, tables, revision, unfinished)
    return Inspection(True, tables, revision, _writable(path) and not loc.read_only)


def _writable(path: Path) -> bool:
    """True if quizzer can write the file (and, in WAL mode, its -wal/-shm files)."""
    if not os.access(path, os.R_OK | os.W_OK):
        return False
    sidecars = [Path(f"{path}-wal"), Path(f"{path}-shm")]
    if all(p.exists() for p in sidecars):
        return all(os.access(p, os.R_OK | os.W_OK) for p in sidecars)
    return os.access(path.parent, os.W_OK | os.X_OK)


def _readonly_uri(path: Path) -> str:
    """A URI that reads the file and creates nothing beside it: immutable when no -wal file
    can hold newer pages (exact then), else read-only through the existing -wal/-shm.

    Every read of a database file goes through SQLite, never Python's open(): closing any
    descriptor of a file drops all of this process's POSIX locks on it, and another
    process could then take this process's open WAL database for unused and delete its
    -wal file (https://sqlite.org/howtocorrupt.html, 2.2)."""
    sidecars = Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()
    return f"file:{quote(str(path))}?{'mode=ro' if sidecars else 'immutable=1'}"


def reader_uri(path: Path) -> str:
    """A URI to read quizzer's own database at path with SQLite's locking (so a snapshot is
    consistent while other sessions write); read-only, creating nothing, when quizzer may
    not write there."""
    if _writable(path):
        return f"file:{quote(str(path))}?mode=rw"
    return _readonly_uri(path)


def _schema_and_check(path: Path) -> tuple[frozenset[str], str | None, bool]:
    """The file's tables and schema version, after `PRAGMA quick_check`. Read immutable
    (no locks, nothing created) when no -wal file exists; if another program is writing
    it in rollback-journal mode (a -journal file exists), a problem found that way is
    confirmed with SQLite's locks before the file is called damaged."""
    uri = _readonly_uri(path)
    found = _read_schema(path, uri)
    writing = Path(f"{path}-journal").exists()
    if isinstance(found, DatabaseError) and uri.endswith("immutable=1") and writing:
        found = _read_schema(path, uri.replace("immutable=1", "mode=ro"))
    if isinstance(found, DatabaseError):
        raise found
    return found


def _read_schema(path: Path, uri: str) -> tuple[frozenset[str], str | None, bool] | DatabaseError:
    try:
        with closing(sqlite3.connect(uri, uri=True)) as con:
            tables = frozenset(
                r[0]
                for r in con.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                )
            )
            revision = None
            if "alembic_version" in tables:
                row = con.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
            unfinished = (
                revision is None
                and tables <= QUIZZER_TABLES
                and unfinished_creation(lambda sql: con.execute(sql).fetchall(), tables)
            )
            problem = con.execute("PRAGMA quick_check(1)").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):  # SQLite cannot tell the two apart
            return DatabaseError(f"{path} is not an SQLite database (or its header is damaged)")
        return DatabaseError(f"{path} is damaged or not a usable SQLite database ({exc})")
    if problem != "ok":
        return DatabaseError(
            f"{path} is damaged ({' '.join(str(problem).split())[:120]}); restore a backup, "
            "or try `sqlite3 FILE .recover`"
        )
    return tables, revision, unfinished


def unfinished_creation(query: Callable[[str], list[Any]], tables: Iterable[str]) -> bool:
    """True if `tables` (read through query(sql) -> rows) are what an older quizzer's
    interrupted first start left: quizzer's table names with no more than quizzer's
    columns, every one of them empty. Anything else with those names is another
    program's, and is never dropped."""
    from quizzer.models import Base

    for name in tables:
        expected = (
            {"version_num"}
            if name == "alembic_version"
            else set(Base.metadata.tables[name].columns.keys())
        )
        columns = {row[1] for row in query(f'PRAGMA table_info("{name}")')}
        if not columns <= expected or query(f'SELECT 1 FROM "{name}" LIMIT 1'):
            return False
    return True


def _refuse_foreign(
    path: Path, tables: frozenset[str], revision: str | None, unfinished: bool
) -> None:
    """An SQLite file whose tables or schema version are not quizzer's belongs to another
    program; a quizzer database of a newer schema than this quizzer knows is refused too.
    Decided here, before anything can change the file."""
    from quizzer.migrate import HEAD

    if not tables:
        return
    ours = revision is not None and len(revision) == 4 and revision.isdigit()
    if ours and CORE_TABLES <= tables:
        if revision > HEAD:
            raise DatabaseError(
                f"{path} has schema {revision}, newer than this quizzer knows ({HEAD}): "
                "upgrade quizzer (pip install -U quizzer)"
            )
        return
    if unfinished:
        return  # the unfinished first start of an older quizzer (quizzer.migrate redoes it)
    shown = ", ".join(sorted(tables - QUIZZER_TABLES)[:5] or sorted(tables)[:5])
    raise DatabaseError(f"{path} is an SQLite database of another program (tables: {shown})")


def _prepare_new(loc: Location) -> None:
    """Make sure a new database file can be created at loc.path."""
    parent = loc.path.parent
    if not parent.exists():
        if not loc.default:
            raise DatabaseError(f"cannot create {loc.path}: directory {parent} does not exist")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create directory {parent}: {exc.strerror}") from None
    if not parent.is_dir():
        raise DatabaseError(f"cannot create {loc.path}: {parent} is not a directory")
    if loc.read_only:
        raise DatabaseError(f"{loc.path} does not exist (and mode=ro cannot create it)")
    try:  # SQLite must be able to create the file and its -wal and -shm files there
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise DatabaseError(f"cannot write in {parent}: {exc.strerror}") from None


def connect(db: str | None = None, migrate: bool = True, notify: Notify | None = None) -> Engine:
    """An Engine on the database named by `db` (see quizzer.location), checked, and created
    or upgraded to the current schema when `migrate` (progress and backups reported through
    `notify`). A read-only database is opened read-only: writing through it raises
    DatabaseReadOnly. Raises DatabaseError, one line, for anything unusable."""
    loc = locate(db)
    info = inspect(loc)
    if not info.exists:
        if loc.path.exists() and not info.writable:
            raise DatabaseError(f"{loc.path} is empty and read-only: nothing to read")
        _prepare_new(loc)
    engine = _engine(loc, info)
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect():  # the first connection: WAL mode set, pragmas checked
            pass
        if migrate:
            from quizzer.migrate import HEAD, upgrade

            if info.writable:
                upgrade(engine, loc, notify)
            elif info.revision != HEAD:
                raise DatabaseError(
                    f"{loc.path} is read-only and at schema {info.revision}; this quizzer "
                    f"needs {HEAD}: open it once with write access to upgrade it"
                )
    except SQLAlchemyError as exc:
        from quizzer.store import describe_failure

        engine.dispose()
        raise DatabaseError(f"cannot open {loc.path}: {describe_failure(exc)}") from None
    except BaseException:
        engine.dispose()  # no connection (nor -wal/-shm file) outlives a refusal
        raise
    return engine


def _engine(loc: Location, info: Inspection) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    read_only = not info.writable
    path = quote(str(loc.path))
    uri = _readonly_uri(loc.path) if read_only else f"file:{path}?mode=rwc"

    def creator() -> sqlite3.Connection:
        con = sqlite3.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT
        )
        con.execute("PRAGMA foreign_keys=ON")
        if not read_only:
            if con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
        return con

    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        creator=creator,
        poolclass=QueuePool,
        json_deserializer=_loads,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.get_execution_options().get("quizzer_write"):
            if read_only:
                raise DatabaseReadOnly(f"{loc.path} is read-only")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine.execution_options(quizzer_read_only=read_only, quizzer_path=str(loc.path))


def _loads(text: Any) -> Any:
    """JSON read back from the database; None for text that is not JSON (a hand-edited or
    damaged row), which every reader treats like a missing value. A JSON column has
    NUMERIC affinity in SQLite, so a number comes back as a number."""
    if isinstance(text, int | float):
        return text
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None


def is_read_only(engine: Engine) -> bool:
    return bool(engine.get_execution_options().get("quizzer_read_only"))


def writer(engine: Engine) -> Engine:
    """The same engine, its transactions taking the write lock at BEGIN (BEGIN IMMEDIATE)."""
    return engine.execution_options(quizzer_write=True)


def peek_setting(db: str | None, key: str) -> Any:
    """A saved setting read with the stdlib sqlite3, without writing anything, for commands
    that otherwise need no database (and so no SQLAlchemy); None when there is none."""
    try:
        loc = locate(db)
    except DatabaseError:
        return None
    path = loc.path
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        with closing(sqlite3.connect(_readonly_uri(path), uri=True)) as con:
            row = con.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row and row[0] is not None else None
    except (OSError, sqlite3.Error, ValueError, TypeError):
        return None
