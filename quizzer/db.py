"""Where the database is, and opening it safely.

The database is chosen by --db (a path or an SQLAlchemy URL), else $QUIZZER_DB, else
an SQLite file in the user's data directory. Before SQLAlchemy touches a file, it is
checked: a directory, a file that is not SQLite, an SQLite file of another program or
an unwritable place gives one clear DatabaseError and leaves the file as it was.
SQLite runs in WAL mode with foreign keys on. A new or older database is migrated to
the current schema by Alembic (quizzer.migrate).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizzer.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

ENV_VAR = "QUIZZER_DB"
FILENAME = "quizzer.sqlite3"
SQLITE_MAGIC = b"SQLite format 3\x00"


def default_path() -> Path:
    import platformdirs

    return platformdirs.user_data_path("quizzer", appauthor=False) / FILENAME


def resolve(db: str | None) -> tuple[str, Path | None]:
    """(SQLAlchemy URL, file path or None) for --db / $QUIZZER_DB / the default."""
    value = db or os.environ.get(ENV_VAR) or ""
    if not value:
        path = default_path()
        return f"sqlite:///{path}", path
    if "://" in value:
        if value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
            path = Path(value[len("sqlite:///") :].split("?", 1)[0])
            return value, path
        if value.startswith("sqlite://"):
            raise DatabaseError(f"{value}: an in-memory database would lose every review")
        return value, None
    path = Path(value).expanduser()
    return f"sqlite:///{path.absolute()}", path


def check_path(path: Path, create_parent: bool = False) -> None:
    """Refuse, with one line, a path quizzer must not or cannot use as its database."""
    if path.is_dir():
        raise DatabaseError(f"{path} is a directory, not a database file")
    if path.exists():
        if not path.is_file():
            raise DatabaseError(f"{path} is not a regular file")
        try:
            with open(path, "rb") as f:
                header = f.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise DatabaseError(f"cannot read {path}: {exc.strerror}") from None
        if header and header != SQLITE_MAGIC:
            raise DatabaseError(f"{path} is not an SQLite database")
        if not os.access(path, os.W_OK):
            raise DatabaseError(f"{path} is not writable")
        if header:
            _check_foreign_tables(path)
    parent = path.absolute().parent
    if not parent.exists():
        if not create_parent:
            raise DatabaseError(f"cannot create {path}: directory {parent} does not exist")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create directory {parent}: {exc.strerror}") from None
    if not parent.is_dir():
        raise DatabaseError(f"cannot create {path}: {parent} is not a directory")
    try:  # SQLite needs to write its -wal and -shm files beside the database
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise DatabaseError(f"cannot write in {parent}: {exc.strerror}") from None


def _check_foreign_tables(path: Path) -> None:
    """An SQLite file with tables but none of ours belongs to another program."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path} is not a usable SQLite database ({exc})") from None
    if names and "alembic_version" not in names:
        shown = ", ".join(sorted(names)[:5])
        raise DatabaseError(f"{path} is an SQLite database of another program (tables: {shown})")


def peek_setting(db: str | None, key: str) -> Any:
    """A saved setting read with the stdlib sqlite3, read-only, for commands that otherwise
    need no database (and so no SQLAlchemy); None when there is no such database or value."""
    try:
        _url, path = resolve(db)
    except DatabaseError:
        return None
    if path is None or not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return json.loads(row[0]) if row else None


def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def connect(db: str | None = None, migrate: bool = True) -> Engine:
    """An Engine on the chosen database, created and migrated to the current schema."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import SQLAlchemyError

    url, path = resolve(db)
    if path is not None:
        check_path(path, create_parent=not (db or os.environ.get(ENV_VAR)))
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise DatabaseError(f"cannot open database {url}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_connect)
    if migrate:
        from quizzer.migrate import upgrade

        try:
            upgrade(engine)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot use database {url}: {exc.__class__.__name__}") from None
    return engine
