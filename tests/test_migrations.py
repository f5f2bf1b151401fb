"""`alembic upgrade head` on an empty file gives exactly the schema of the models."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from quizzer.migrate import HEAD, alembic_config
from quizzer.models import Base


def upgraded_engine(path: Path):
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "head")
    return engine


def test_head_constant_matches_alembic():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [HEAD]


def test_upgrade_head_equals_models(tmp_path: Path):
    engine = upgraded_engine(tmp_path / "m.db")
    with engine.connect() as con:
        ctx = MigrationContext.configure(con, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
    tables = set(inspect(engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_downgrade_and_upgrade_again(tmp_path: Path):
    engine = upgraded_engine(tmp_path / "m.db")
    cfg = alembic_config()
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "head")
    assert "reviews" in inspect(engine).get_table_names()
