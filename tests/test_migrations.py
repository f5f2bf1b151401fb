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


# ---------------------------------------------------------------- one transaction, backups

import sqlite3  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from quizzer import db as quizzer_db  # noqa: E402
from quizzer.db import connect  # noqa: E402
from quizzer.errors import DatabaseError  # noqa: E402


def old_database(path: Path, revision: str, reviews: int = 50) -> None:
    """A database at an older schema, with cards, states and reviews as that version kept
    them (state_before JSON; the prior_state/retrievability columns only from 0003)."""
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, revision)
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO cards (id, uid, kind, family, difficulty, active, created_at) "
        "VALUES (1, 'skill:z-score:1', 'skill', 'z-score', 1, 1, '2026-01-01 00:00:00')"
    )
    con.execute(
        "INSERT INTO card_states (card_id, state, due) VALUES (1, 0, '2026-01-01 00:00:00')"
    )
    con.executemany(
        "INSERT INTO reviews (card_id, mode, reviewed_at, skipped, correct, question, "
        "state_before) VALUES (1, 'practice', ?, 0, 1, 'null', ?)",
        [
            (
                f"2026-01-01 00:00:{i % 60:02d}.{i:06d}",
                '{"state": 0, "step": null, "stability": null, "difficulty": null, '
                '"due": "2026-01-01T00:00:00+00:00", "last_review": null}',
            )
            for i in range(reviews)
        ],
    )
    con.commit()
    con.close()


def schema(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return sorted(con.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("revision", ["0001", "0002", "0003"])
def test_an_older_database_is_backed_up_then_upgraded_with_every_review(
    tmp_path: Path, revision: str
):
    path = tmp_path / "learner.sqlite3"
    old_database(path, revision)
    said: list[str] = []
    engine = connect(str(path), notify=said.append)
    with engine.connect() as con:
        assert con.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        assert con.execute(text("SELECT COUNT(*) FROM reviews")).scalar() == 50
        assert (
            con.execute(text("SELECT COUNT(*) FROM reviews WHERE question IS NULL")).scalar() == 50
        )
    backups = list(tmp_path.glob(f"learner.backup-{revision}-*.sqlite3"))
    assert len(backups) == 1
    copy = sqlite3.connect(backups[0])
    assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (revision,)
    assert copy.execute("SELECT COUNT(*) FROM reviews").fetchone() == (50,)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert said[0] == f"Backed up your database (50 reviews, schema {revision}) to {backups[0]}"
    assert said[1] == f"Upgrading database (schema {revision} → {HEAD})…"
    assert said[-1].startswith(f"Database upgraded to schema {HEAD} in ")
    assert any(line.startswith(f"  {HEAD}: ") for line in said)
    connect(str(path), notify=said.append)  # already current: nothing more said or copied
    assert len(list(tmp_path.glob("learner.backup-*"))) == 1 and said[-1].startswith("Database")


def test_a_database_without_reviews_is_upgraded_without_a_backup(tmp_path: Path):
    path = tmp_path / "learner.sqlite3"
    old_database(path, "0002", reviews=0)
    said: list[str] = []
    connect(str(path), notify=said.append)
    assert not list(tmp_path.glob("*.backup-*")) and not said[0].startswith("Backed up")


def test_a_failed_upgrade_leaves_the_old_schema_exactly(tmp_path: Path):
    """The last step fails (a trigger refuses the final version stamp): everything the
    earlier steps did, DDL and data, is rolled back, and the old schema stays usable."""
    path = tmp_path / "learner.sqlite3"
    old_database(path, "0002")
    con = sqlite3.connect(path)
    con.execute(
        f"CREATE TRIGGER boom BEFORE UPDATE ON alembic_version WHEN NEW.version_num = "
        f"'{HEAD}' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    )
    con.commit()
    con.close()
    before = schema(path)
    with pytest.raises(DatabaseError) as info:
        connect(str(path))
    assert "the database was left as it was" in str(info.value) and "\n" not in str(info.value)
    assert schema(path) == before
    assert not list(tmp_path.glob("*backup*"))  # its copy would only take the room
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == ("0002",)
    assert con.execute("SELECT COUNT(*) FROM reviews WHERE question = 'null'").fetchone() == (50,)
    con.execute("DROP TRIGGER boom")
    con.commit()
    con.close()
    connect(str(path))  # and the next start upgrades it
    assert schema(path) != before


def test_a_failed_first_start_leaves_no_half_made_schema(tmp_path: Path, monkeypatch):
    path = tmp_path / "new.sqlite3"
    made = quizzer_db._engine

    def failing(loc, info):
        engine = made(loc, info)

        @event.listens_for(engine, "before_cursor_execute")
        def fail(conn, cursor, statement, *args):
            if "CREATE TABLE reviews" in statement or "CREATE TABLE anki_notes" in statement:
                raise sqlite3.OperationalError("database or disk is full")

        return engine

    monkeypatch.setattr(quizzer_db, "_engine", failing)
    with pytest.raises(DatabaseError, match="the disk is full; the database was left as it was"):
        connect(str(path))
    tables = [r for r in schema(path) if r[0] == "table"]
    assert tables == []
    monkeypatch.undo()
    connect(str(path))
    assert {r[1] for r in schema(path) if r[0] == "table"} >= {"cards", "reviews"}


def test_an_unfinished_first_start_of_an_older_quizzer_is_redone(tmp_path: Path):
    """Older quizzers committed each CREATE of a first start on its own: a kill left some
    tables and no version. They hold no history, so the next start makes them again."""
    path = tmp_path / "learner.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    con.execute("CREATE TABLE cards (id INTEGER PRIMARY KEY, uid VARCHAR(200))")
    con.execute("CREATE TABLE settings (key VARCHAR(64) PRIMARY KEY, value JSON)")
    con.commit()
    con.close()
    engine = connect(str(path))
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        assert "kind" in {r[1] for r in c.execute(text("PRAGMA table_info(cards)"))}


def test_an_upgrade_waits_for_another_quizzer_that_holds_the_database(tmp_path, monkeypatch):
    """Another quizzer upgrading (or checking) holds the write lock longer than a write
    normally waits: the second one says it is waiting, then upgrades or finds it done."""
    import threading

    path = tmp_path / "learner.sqlite3"
    old_database(path, "0003")
    monkeypatch.setattr(quizzer_db, "BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.5, lambda: holder.execute("COMMIT"))
    release.start()
    said: list[str] = []
    try:
        connect(str(path), notify=said.append)
    finally:
        release.join()
        holder.close()
    assert said[0] == "Waiting for another quizzer to finish upgrading the database…"
    assert said.count(said[0]) == 1 and said[-1].startswith(f"Database upgraded to schema {HEAD}")


def test_an_interrupted_backups_temporary_files_are_cleared_by_the_next(tmp_path: Path):
    path = tmp_path / "learner.sqlite3"
    old_database(path, "0002")
    name = ".learner.backup-0002-20260101T000000Z.sqlite3.x1y2"
    stale = [tmp_path / f"{name}.tmp", tmp_path / f"{name}.tmp-journal"]
    unrelated = tmp_path / ".other.backup-0002.sqlite3.tmp"
    for f in [*stale, unrelated]:
        f.write_bytes(b"half a copy")
    connect(str(path))
    assert not any(f.exists() for f in stale) and unrelated.exists()
    assert len(list(tmp_path.glob("learner.backup-0002-*.sqlite3"))) == 1


def test_ctrl_c_during_an_upgrade_says_the_database_is_unchanged(tmp_path: Path):
    import signal
    import subprocess
    import sys

    path = tmp_path / "learner.sqlite3"
    old_database(path, "0002", reviews=200_000)
    before = schema(path)
    with subprocess.Popen(
        [sys.executable, "-m", "quizzer", "--db", str(path), "stats", "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    ) as proc:  # fmt: skip
        assert proc.stderr is not None
        for line in proc.stderr:  # interrupt it in the middle of the upgrade
            if line.startswith("Upgrading database"):
                proc.send_signal(signal.SIGINT)
                break
        rest = proc.stderr.read()
        assert proc.wait(timeout=120) == 1
    last = rest.strip().splitlines()[-1]
    assert last == f"Error: interrupted: {path} was left as it was; it is upgraded at its next use"
    assert "Traceback" not in rest and "Aborted" not in rest
    assert schema(path) == before and not list(tmp_path.glob("*backup*"))
    connect(str(path))  # and its next use upgrades it
    assert schema(path) != before


def test_0005_adds_fitted_parameters_and_a_null_parameters_id_without_copying_reviews(
    tmp_path: Path,
):
    """0005 adds fsrs_parameters and reviews.parameters_id (NULL: FSRS's defaults scheduled
    every older review) with ALTER TABLE, not by rebuilding the reviews table; its
    downgrade gives back 0004's schema with every review."""
    path = tmp_path / "learner.sqlite3"
    old_database(path, "0004")
    con = sqlite3.connect(path)
    old_sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'reviews'").fetchone()[0]
    old_rows = con.execute("SELECT * FROM reviews ORDER BY id").fetchall()
    con.close()
    said: list[str] = []
    connect(str(path), notify=said.append)
    assert said[0].startswith("Backed up your database (50 reviews, schema 0004) to ")
    assert len(list(tmp_path.glob("learner.backup-0004-*.sqlite3"))) == 1
    assert any(line.startswith("  0005: fsrs_parameters (parameters fitted") for line in said)
    con = sqlite3.connect(path)
    new_sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'reviews'").fetchone()[0]
    # altered in place: SQLite writes the new column after the last one, nothing else moves
    added = "desired_retention DOUBLE, parameters_id INTEGER REFERENCES fsrs_parameters (id)"
    assert new_sql == old_sql.replace("desired_retention DOUBLE", added)
    assert con.execute("SELECT * FROM reviews ORDER BY id").fetchall() == [
        (*r, None) for r in old_rows
    ]
    assert con.execute("SELECT COUNT(*) FROM fsrs_parameters").fetchone() == (0,)
    keys = {r[2:5] for r in con.execute("PRAGMA foreign_key_list(reviews)")}
    assert keys == {("cards", "card_id", "id"), ("fsrs_parameters", "parameters_id", "id")}
    con.close()
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0004")
    engine.dispose()
    con = sqlite3.connect(path)
    assert con.execute("SELECT * FROM reviews ORDER BY id").fetchall() == old_rows
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "fsrs_parameters" not in tables
    con.close()


def test_a_failed_0005_leaves_schema_0004_exactly(tmp_path: Path):
    """The step from 0004 fails after adding the table and the column (the version stamp
    is refused): both are rolled back with it, in the one transaction."""
    path = tmp_path / "learner.sqlite3"
    old_database(path, "0004")
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TRIGGER boom BEFORE UPDATE ON alembic_version WHEN NEW.version_num = '0005' "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    )
    con.commit()
    con.close()
    before = schema(path)
    with pytest.raises(DatabaseError):
        connect(str(path))
    assert schema(path) == before
