"""Create a database, or bring an older one to the current schema, in ONE transaction.

The whole creation or upgrade runs inside a single `BEGIN IMMEDIATE` transaction (SQLite's
DDL is transactional once the driver no longer commits on its own, see quizzer.db): a kill,
a Ctrl-C, a full disk or an I/O error at any instant leaves the database exactly at its old
schema, usable, and the next start simply upgrades again. Other quizzer processes opening
the database meanwhile wait for the lock, then find it current and go on.

Before an older database that holds reviews is upgraded, a consistent copy is written
beside it with SQLite's online backup API (`quizzer.backup-0003-20261129T103000Z.sqlite3`
for `quizzer.sqlite3` at schema 0003), and the learner is told where it is. Each step is
reported with its time; long data steps report their progress.

Opening a database that is already current costs one small query and never imports
Alembic; nor does making a new one (create: the models' schema, stamped HEAD).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizzer.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from quizzer.location import Location

HEAD = "0005"  # tests/test_migrations.py checks this is Alembic's head
WAIT_FOR_OTHERS = 600.0  # seconds to wait, in BUSY_TIMEOUT steps, for another upgrade
MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config():  # -> alembic.config.Config
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def known_revisions() -> list[str]:
    """Every revision this quizzer knows, oldest first."""
    from alembic.script import ScriptDirectory

    walk = ScriptDirectory.from_config(alembic_config()).walk_revisions()
    return [s.revision for s in reversed(list(walk))]


def current_revision(engine: Engine | Connection) -> str | None:
    from sqlalchemy import text

    def read(con: Any) -> str | None:
        has = con.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
        ).first()
        if has is None:
            return None
        return con.execute(text("SELECT version_num FROM alembic_version")).scalar()

    if hasattr(engine, "connect"):
        with engine.connect() as con:
            return read(con)
    return read(engine)


class Progress:
    """Reports an upgrade: one line per step, and a line every few seconds in long steps."""

    EVERY = 2.0  # seconds between progress lines

    def __init__(self, notify: Callable[[str], None]) -> None:
        self.notify = notify
        self.started = self.step_started = self.last = time.monotonic()

    def step(self, revision: str, what: str, seconds: float) -> None:
        self.notify(f"  {revision}: {what} ({seconds:.1f} s)")

    def __call__(self, what: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= self.EVERY or (done == total and now - self.step_started > 1):
            self.last = now
            self.notify(f"    {what}: {done:,} of {total:,} ({100 * done // max(total, 1)}%)")


def upgrade(engine: Engine, loc: Location, notify: Callable[[str], None] | None = None) -> None:
    """Create or upgrade the database to HEAD in one transaction (see the module doc).
    Raises DatabaseError, one line, if it cannot be done; the database is then unchanged."""
    found = current_revision(engine)
    if found == HEAD:
        return
    from sqlalchemy.exc import SQLAlchemyError

    from quizzer.db import writer

    say = notify or (lambda _msg: None)
    deadline = time.monotonic() + WAIT_FOR_OTHERS
    # an older database held for over a second by another quizzer is being upgraded: say so
    # now, not after a write's whole wait (a new one is made in a moment: nothing to say)
    waiting = found is not None and _locked(loc.path)
    if waiting:
        say("Waiting for another quizzer to finish upgrading the database…")
    while True:
        backups: list[Path] = []  # the copy this attempt made, if it made one
        try:
            started = time.monotonic()
            with writer(engine).begin() as con:
                old = _upgrade_locked(con, loc, say, backups)
            if old is not None:  # said only once it is committed
                took = time.monotonic() - started
                say(f"Database upgraded to schema {HEAD} in {took:.1f} s; your history is intact.")
            return
        except KeyboardInterrupt:
            _drop(backups)
            raise DatabaseError(
                f"interrupted: {loc.path} was left as it was; it is upgraded at its next use"
            ) from None
        except SQLAlchemyError as exc:
            from quizzer.store import describe_failure

            _drop(backups)  # the database is unchanged: its copy would only take the room
            locked = "database is locked" in str(exc)
            if locked and time.monotonic() < deadline:  # another quizzer is upgrading it
                if not waiting:
                    say("Waiting for another quizzer to finish upgrading the database…")
                    waiting = True
                continue
            raise DatabaseError(
                f"could not create or upgrade {loc.path}: {describe_failure(exc)}; "
                "the database was left as it was"
            ) from None
        except Exception:
            _drop(backups)
            raise


def _locked(path: Path) -> bool:
    """True if another connection has held the database's write lock for a second."""
    import sqlite3
    from contextlib import closing
    from urllib.parse import quote

    try:
        uri = f"file:{quote(str(path))}?mode=rw"
        with closing(sqlite3.connect(uri, uri=True, timeout=1.0, isolation_level=None)) as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc)
    return False


def _drop(backups: list[Path]) -> None:
    for path in backups:
        path.unlink(missing_ok=True)


def _upgrade_locked(
    con: Connection, loc: Location, say: Callable[[str], None], backups: list[Path]
) -> str | None:
    """Create or upgrade inside the caller's write transaction; the revision it upgraded
    from (None if it created the schema, or found it current)."""
    from sqlalchemy import text

    tables = {
        r[0]
        for r in con.execute(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            )
        )
    }
    rev = current_revision(con)  # read again under the lock: another quizzer may have done it
    if rev == HEAD:
        return None
    if rev is None:  # a first start
        if tables:
            _clear_unfinished_creation(con, loc, tables)
        create(con)
        return None
    known = known_revisions()
    if rev is not None and rev not in known:
        raise DatabaseError(
            f"{loc.path} has schema {rev}, newer than this quizzer knows ({HEAD}): upgrade "
            "quizzer (pip install -U quizzer)"
        )
    reviews = con.execute(text("SELECT COUNT(*) FROM reviews")).scalar() if rev else 0
    progress = Progress(say)
    if reviews:
        from quizzer.backup import backup_beside

        target = backup_beside(loc.path, rev)
        backups.append(target)
        from quizzer.i18n import counted

        say(f"Backed up your database ({counted('n_reviews', reviews)}, schema {rev}) to {target}")
    if rev is not None:
        say(f"Upgrading database (schema {rev} → {HEAD})…")
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = con
    cfg.attributes["progress"] = progress
    if rev is not None:  # a first start says nothing; an upgrade reports each step
        cfg.attributes["on_step"] = progress.step
    command.upgrade(cfg, "head")
    return rev


def create(con: Connection) -> None:
    """Make a new database inside the caller's write transaction: the models' schema,
    stamped HEAD, without importing Alembic (a tenth of a second of a first start), and the
    verified variants shipped in the package (quizzer.prefetch.shipped_variants), so the
    first questions need not wait for torch. tests/test_migrations.py proves the models
    equal to the migrations' head, and tests/test_first_day.py a database made here equal
    to one made by `alembic upgrade head`: a migration that fills tables with data must
    fill them here too."""
    from sqlalchemy import insert

    from quizzer.models import Base, Variant
    from quizzer.prefetch import shipped_variants

    Base.metadata.create_all(con)
    con.exec_driver_sql(  # as Alembic makes it
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    con.exec_driver_sql(f"INSERT INTO alembic_version (version_num) VALUES ('{HEAD}')")
    rows = shipped_variants()
    if rows:
        con.execute(insert(Variant), rows)


def _clear_unfinished_creation(con: Connection, loc: Location, tables: set[str]) -> None:
    """An older quizzer committed each CREATE of a first start separately; a kill in between
    left some of its tables, empty, and no schema version. Checked again under the lock
    (quizzer.db.unfinished_creation), then dropped and made again."""
    from quizzer.db import unfinished_creation

    if not unfinished_creation(lambda sql: con.exec_driver_sql(sql).fetchall(), tables):
        raise DatabaseError(f"{loc.path} is an SQLite database of another program")
    for name in ("reviews", "card_states", "anki_notes", "variants", "settings", "cards",
                 "alembic_version"):  # fmt: skip
        if name in tables:
            con.exec_driver_sql(f'DROP TABLE "{name}"')


def backup_name(path: Path, revision: str | None, now: datetime | None = None) -> Path:
    """Where the copy made before an upgrade goes: beside the database, named by the schema
    it holds and the UTC time."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return path.with_name(f"{path.stem}.backup-{revision or 'none'}-{stamp}{path.suffix}")
