"""Bring a database to the current schema with Alembic.

Opening a database that is already at HEAD costs one small query and never imports
Alembic; only a new or older database pays for the upgrade.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from quizzer.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

HEAD = "0003"  # tests/test_migrations.py checks this is Alembic's head
MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config():  # -> alembic.config.Config
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy import inspect, text

    with engine.connect() as con:
        if not inspect(con).has_table("alembic_version"):
            return None
        return con.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    rev = current_revision(engine)
    if rev == HEAD:
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config()
    known = {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}
    if rev is not None and rev not in known:
        raise DatabaseError(
            f"the database has schema {rev}, newer than this quizzer knows: upgrade quizzer"
        )
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "head")
