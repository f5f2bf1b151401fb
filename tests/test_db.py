"""Opening databases: the checks, WAL mode, UTC round trips, migrations on first use."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from quizzer.db import connect, locate
from quizzer.errors import DatabaseError
from quizzer.migrate import HEAD
from quizzer.models import Card, CardState, Review
from quizzer.store import Store, catalog


def test_new_file_is_created_migrated_and_in_wal_mode(db_path: Path):
    engine = connect(str(db_path))
    with engine.connect() as con:
        assert con.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert con.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert con.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD


def test_resolve_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("QUIZZER_DB", str(tmp_path / "env.db"))
    assert locate(None).path == tmp_path / "env.db"
    assert locate(str(tmp_path / "x.db")).path == tmp_path / "x.db"
    assert locate(f"sqlite:///{tmp_path}/u.db").path == tmp_path / "u.db"
    monkeypatch.delenv("QUIZZER_DB")
    loc = locate(None)
    assert loc.default and loc.path.name == "quizzer.sqlite3" and "quizzer" in str(loc.path.parent)


def test_in_memory_url_is_refused():
    with pytest.raises(DatabaseError, match="in-memory"):
        connect("sqlite://")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b"just some notes\n" * 20), "not an SQLite database"),
        (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\x01" * 200), "header is damaged"),
    ],
)
def test_bad_files_are_refused_and_left_byte_for_byte(tmp_path: Path, make, message):
    target = tmp_path / "thing.db"
    make(target)
    before = target.read_bytes() if target.is_file() else None
    with pytest.raises(DatabaseError, match=message) as info:
        connect(str(target))
    assert "\n" not in str(info.value)
    if before is not None:
        assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing.db"]


def test_sqlite_file_of_another_program_is_left_alone(tmp_path: Path):
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE recipes (name TEXT)")
    con.commit()
    con.close()
    before = other.read_bytes()
    with pytest.raises(DatabaseError, match="another program"):
        connect(str(other))
    assert other.read_bytes() == before


@pytest.mark.parametrize(
    "where, message",
    [
        ("missing-dir/sub/x.db", "does not exist"),
        ("a-file/x.db", "not a directory"),
        ("/proc/quizzer-test.db", "cannot write"),
    ],
)
def test_unusable_places(tmp_path: Path, where: str, message: str):
    (tmp_path / "a-file").write_text("x")
    target = Path(where) if where.startswith("/") else tmp_path / where
    with pytest.raises(DatabaseError, match=message):
        connect(str(target))
    assert not (tmp_path / "missing-dir").exists()


def test_aware_utc_datetimes_survive_the_round_trip(store: Store):
    tz = timezone(timedelta(hours=8))  # a learner in Beijing
    when = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=tz)
    with store.session.begin() as s:
        card = s.scalars(select(Card).limit(1)).one()
        s.add(Review(card_id=card.id, mode="practice", reviewed_at=when, correct=True))
    with store.session() as s:
        got = s.scalars(select(Review)).one().reviewed_at
    assert got.tzinfo is UTC
    assert got == when and got.hour == 1


def test_naive_datetimes_are_refused(store: Store):
    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError, match="naive datetime"):
        with store.session.begin() as s:
            card = s.scalars(select(Card).limit(1)).one()
            s.add(Review(card_id=card.id, mode="practice", reviewed_at=datetime(2026, 1, 1)))


def test_first_use_holds_every_card_as_new(store: Store):
    with store.session() as s:
        uids = set(s.scalars(select(Card.uid)))
        states = set(s.scalars(select(CardState.state)))
    assert uids == {e.uid for e in catalog()}
    assert states == {0}
    assert any(u.startswith("skill:conv-output:") for u in uids)
    assert any(u.startswith("concept:2023-08-16/") for u in uids)


def test_later_version_adds_cards_without_touching_existing(store: Store):
    from quizzer.schedule import Rating, make_scheduler

    card = store.next_card(datetime.now(UTC), new_left=1)
    t0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    store.record(
        card.id,
        "review",
        question=None,
        typed=None,
        correct=True,
        rating=Rating.GOOD,
        duration_ms=900,
        scheduler=make_scheduler(fuzz=False),
        now=t0,
    )
    before = store.card_state(card.id)
    entries = catalog()
    from quizzer.store import CatalogEntry

    newer = [*entries, CatalogEntry("concept:2099-01-01/new-idea", "concept", deck="2099-01-01")]
    assert store.sync_catalog(newer) == 1
    assert store.card_state(card.id) == before
    assert store.sync_catalog(newer) == 0
    # a card a version no longer ships is kept (with its history) but not shown
    assert store.sync_catalog(entries) == 0
    with store.session() as s:
        gone = s.scalars(select(Card).where(Card.uid == "concept:2099-01-01/new-idea")).one()
        assert gone.active is False


def test_a_database_at_an_older_schema_is_upgraded(db_path: Path):
    from alembic import command

    from quizzer.migrate import alembic_config

    engine = create_engine(f"sqlite:///{db_path}")
    cfg = alembic_config()
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "0001")
    connect(str(db_path))
    with create_engine(f"sqlite:///{db_path}").connect() as con:
        assert con.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        con.execute(text("SELECT guid, content, mtime FROM anki_notes")).all()


def test_a_database_from_a_newer_quizzer_is_refused(db_path: Path):
    connect(str(db_path))
    with create_engine(f"sqlite:///{db_path}").begin() as con:
        con.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseError, match="newer than this quizzer knows"):
        connect(str(db_path))


@pytest.mark.parametrize(
    "schema",
    [
        # another program's tables that happen to have quizzer's names: never taken over
        ["CREATE TABLE settings (theme TEXT, api_key TEXT)",
         "INSERT INTO settings VALUES ('dark', 'k-123')"],
        ["CREATE TABLE cards (id INTEGER PRIMARY KEY, front TEXT, back TEXT)"]
        + [f"INSERT INTO cards (front, back) VALUES ('q{i}', 'a{i}')" for i in range(50)],
        ["CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
         "CREATE TABLE settings (key VARCHAR(64) PRIMARY KEY, value JSON)",
         "INSERT INTO settings VALUES ('theme', '\"dark\"')"],
        ["CREATE TABLE reviews (id INTEGER PRIMARY KEY, stars INTEGER)"],  # empty, not ours
    ],
    ids=["settings-with-rows", "cards-with-rows", "empty-version-and-settings", "other-columns"],
)  # fmt: skip
def test_tables_named_like_quizzers_are_another_programs(tmp_path: Path, schema: list[str]):
    """Only an older quizzer's interrupted first start (its own columns, every table empty)
    is made again; anything else with quizzer's table names is left byte for byte."""
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    for sql in schema:
        con.execute(sql)
    con.commit()
    con.close()
    before = other.read_bytes()
    with pytest.raises(DatabaseError, match="another program"):
        connect(str(other))
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]
