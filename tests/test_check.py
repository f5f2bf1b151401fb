"""`quizzer check`: the replay invariant, --repair, seeded fuzz, the re-rating rule, backups,
and the settings and stored rows a damaged or hand-edited database may hold."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quizzer.check import check
from quizzer.cli import cli
from quizzer.db import connect
from quizzer.schedule import Rating, make_scheduler, next_state
from quizzer.store import Store

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def history(store: Store, card_id: int, ratings: list[Rating], retention: float = 0.9) -> None:
    """Scheduled reviews of one card, a few days apart (fuzz on, as in real sessions)."""
    sched = make_scheduler(retention)
    t = T0
    for r in ratings:
        store.record(
            card_id,
            "review",
            question=None,
            typed=None,
            correct=r != Rating.AGAIN,
            rating=r,
            duration_ms=1000,
            scheduler=sched,
            now=t,
        )
        t = datetime.fromisoformat(store.card_state(card_id)["due"]) + timedelta(hours=3)


@pytest.fixture
def reviewed(store: Store) -> Store:
    ids = [store.skill_card(f, 1).id for f in ("conv-output", "z-score", "one-hot")]
    history(store, ids[0], [Rating.GOOD] * 8)
    history(store, ids[1], [Rating.GOOD, Rating.AGAIN, Rating.GOOD, Rating.EASY, Rating.HARD])
    history(store, ids[2], [Rating.EASY] * 6, retention=0.8)
    return store


def test_a_consistent_database_checks_out(reviewed: Store):
    report = check(reviewed)
    assert report.ok, report.differences
    assert report.reviews == 8 + 5 + 6
    with sqlite3.connect(reviewed.path) as con:
        assert report.cards == con.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
    assert report.due_not_compared == 0


def test_fuzz_is_seeded_by_the_review_so_replay_is_exact(store: Store):
    sched = make_scheduler(0.9)
    before = {
        "state": 2,
        "step": None,
        "stability": 40.0,
        "difficulty": 5.0,
        "due": T0.isoformat(),
        "last_review": (T0 - timedelta(days=40)).isoformat(),
    }
    dues = {next_state(sched, 1, before, Rating.GOOD, T0)["due"] for _ in range(20)}
    assert len(dues) == 1  # the same review always gets the same fuzz
    unfuzzed = next_state(make_scheduler(0.9, fuzz=False), 1, before, Rating.GOOD, T0)["due"]
    spread = {
        next_state(sched, 1, before, Rating.GOOD, T0 + timedelta(seconds=s))["due"]
        - timedelta(seconds=s)
        for s in range(40)
    }
    assert len(spread) > 3  # ...but different reviews are still spread out
    assert any(d != unfuzzed for d in spread)
    import fsrs.scheduler

    outside = {fsrs.scheduler.random() for _ in range(5)}  # outside a review: random as ever
    assert len(outside) == 5 and all(0 <= x < 1 for x in outside)


@pytest.mark.parametrize(
    "column, value",
    [
        ("stability", 123.0),
        ("difficulty", 9.5),
        ("state", 3),
        ("step", 1),
        ("due", "2030-01-01 00:00:00.000000"),
        ("last_review", "2020-01-01 00:00:00.000000"),
    ],
)
def test_a_state_that_is_not_the_replay_is_found_and_repaired(
    reviewed: Store, db_path: Path, column: str, value: object, runner
):
    card_id = reviewed.skill_card("z-score", 1).id
    right = reviewed.card_state(card_id)
    con = sqlite3.connect(db_path)
    con.execute(f"UPDATE card_states SET {column} = ? WHERE card_id = ?", (value, card_id))
    con.commit()
    con.close()
    result = runner.invoke(cli, ["--db", str(db_path), "check"])
    assert result.exit_code == 1, result.output
    assert "skill:z-score:1 (5 reviews)" in result.output
    assert f"{column} " in result.output and "quizzer check --repair" in result.output
    result = runner.invoke(cli, ["--db", str(db_path), "check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt: 1 card\n" in result.output
    store = Store(connect(str(db_path)))
    assert store.card_state(card_id) == right
    assert check(store).ok


def test_the_replay_split_across_processes_finds_and_repairs_the_same(
    reviewed: Store, db_path: Path, monkeypatch
):
    """Long histories are replayed by several processes, each over a range of cards."""
    import quizzer.check

    monkeypatch.setattr(quizzer.check, "PARALLEL_FROM", 1)
    ids = sorted(reviewed.skill_card(f, 1).id for f in ("conv-output", "z-score", "one-hot"))
    ranges = quizzer.check._ranges(quizzer.db.reader_uri(db_path), 3)
    assert len(ranges) == 3 and ranges[0].lo == 0 and ranges[-1].hi == 2**62
    assert all(a.hi + 1 == b.lo for a, b in zip(ranges, ranges[1:], strict=False))
    assert sum(any(r.lo <= i <= r.hi for i in ids) for r in ranges) >= 2  # really split
    whole = check(reviewed, workers=1)
    split = check(reviewed, workers=3)
    assert whole.ok and split.ok and (whole.cards, whole.reviews) == (split.cards, split.reviews)
    con = sqlite3.connect(db_path)
    con.execute("UPDATE card_states SET stability = 1.5 WHERE card_id IN (?, ?)", ids[::2])
    con.commit()
    con.close()
    report = check(reviewed, repair=True, workers=3)
    assert sorted(d.card_id for d in report.differences) == ids[::2] and report.repaired == 2
    assert check(reviewed, workers=3).ok


def test_a_new_card_with_a_state_but_no_reviews_is_reset(store: Store, db_path: Path):
    card_id = store.skill_card("affine", 1).id
    con = sqlite3.connect(db_path)
    con.execute(
        "UPDATE card_states SET state=2, stability=3.0, difficulty=4.0, "
        "last_review='2026-01-01 00:00:00.000000' WHERE card_id=?",
        (card_id,),
    )
    con.commit()
    con.close()
    report = check(store, repair=True)
    assert [d.uid for d in report.differences] == ["skill:affine:1"]
    assert report.repaired == 1
    assert store.card_state(card_id)["state"] == 0
    assert check(store).ok


def test_reviews_recorded_before_retention_was_kept_compare_memory_only(
    reviewed: Store, db_path: Path
):
    """Reviews from before schema 0004 have no desired_retention and were fuzzed at random:
    their memory state must still replay, their due date cannot."""
    card_id = reviewed.skill_card("conv-output", 1).id
    con = sqlite3.connect(db_path)
    con.execute("UPDATE reviews SET desired_retention = NULL WHERE card_id = ?", (card_id,))
    con.execute(
        "UPDATE card_states SET due = '2031-05-05 05:05:05.000000' WHERE card_id = ?", (card_id,)
    )
    con.commit()
    con.close()
    report = check(reviewed)
    assert report.ok and report.due_not_compared == 1
    con = sqlite3.connect(db_path)
    con.execute("UPDATE card_states SET stability = stability * 2 WHERE card_id = ?", (card_id,))
    con.commit()
    con.close()
    report = check(reviewed, repair=True)
    assert [d.uid for d in report.differences] == ["skill:conv-output:1"]
    assert set(report.differences[0].fields) == {"stability"}
    assert check(reviewed).ok


def test_damage_sqlite_finds_is_reported_and_not_repaired(runner, db_path: Path):
    store = Store(connect(str(db_path)))
    store.sync_catalog()
    history(store, store.skill_card("conv-output", 1).id, [Rating.GOOD] * 3)
    store.engine.dispose()
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA writable_schema=ON")  # an index that no longer matches its table
    con.execute(
        "UPDATE sqlite_master SET sql = replace(sql, 'due', 'state') "
        "WHERE name = 'ix_card_states_due'"
    )
    con.commit()
    con.close()
    result = runner.invoke(cli, ["--db", str(db_path), "check", "--repair"])
    assert result.exit_code == 1
    assert "PROBLEMS" in result.output or "damaged" in result.output


def test_rerating_applies_only_to_the_cards_latest_review(store: Store):
    sched = make_scheduler(0.9)
    card_id = store.skill_card("z-score", 1).id
    first, second = (
        store.record(card_id, "review", question=None, typed="1", correct=True,
                     rating=Rating.GOOD, duration_ms=1, scheduler=sched, now=when)
        for when in (T0, T0 + timedelta(minutes=15))
    )  # fmt: skip
    after_second = store.card_state(card_id)
    assert store.change_rating(first, Rating.EASY, sched) is False  # another session's since
    assert store.card_state(card_id) == after_second
    assert check(store).ok
    assert store.change_rating(second, Rating.HARD, sched) is True
    assert store.card_state(card_id) != after_second
    assert check(store).ok
    from sqlalchemy import select

    from quizzer.models import Review

    with store.session() as s:
        ratings = s.scalars(select(Review.rating).order_by(Review.id)).all()
    assert ratings == [Rating.GOOD, Rating.HARD]


@pytest.mark.parametrize(
    "key, stored, default",
    [("retention", v, "0.9") for v in ("null", '"abc"', "5", "0.2", "[1]", '{"a": 1}', "true")]
    + [("new-per-day", v, "10") for v in ("null", '"7"', "2.5", "-3", "1000000", "false")]
    + [("lang", v, "en") for v in ("null", '"fr"', "1", '"\u001b[2J"')],
)
def test_a_damaged_setting_falls_back_to_its_default_with_a_warning(
    db_path: Path, runner, key: str, stored: str, default: str
):
    Store(connect(str(db_path))).sync_catalog()
    con = sqlite3.connect(db_path)
    con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, stored))
    con.commit()
    con.close()
    result = runner.invoke(cli, ["--db", str(db_path), "config", key])
    assert result.exit_code == 0, result.output
    assert f"{key} = {default} " in result.output
    assert f"warning: the saved setting {key}" in result.stderr
    assert "\x1b" not in result.output
    result = runner.invoke(cli, ["--db", str(db_path), "review", "--limit", "1"], input="s\n")
    assert result.exit_code == 0 and "internal error" not in result.output


def test_verify_after_reviewing_concept_cards(runner, db_path: Path):
    """Concept cards store no question: `quizzer verify` used to crash on the stored nulls."""
    runner.invoke(cli, ["--db", str(db_path), "config", "new-per-day", "200"])
    store = Store(connect(str(db_path)))
    concept = [c for c in [store.next_card(T0, 1)] if c is not None]
    assert concept
    result = runner.invoke(
        cli, ["--db", str(db_path), "review", "--limit", "250"], input="s\n" * 250
    )
    assert "concept" in result.output
    con = sqlite3.connect(db_path)
    nulls = con.execute("SELECT COUNT(*) FROM reviews WHERE question IS NULL").fetchone()[0]
    assert con.execute("SELECT COUNT(*) FROM reviews WHERE question = 'null'").fetchone()[0] == 0
    con.close()
    assert nulls > 0
    result = runner.invoke(cli, ["--db", str(db_path), "verify", "-n", "1", "z-score"])
    assert result.exit_code == 0, result.output
    assert "stored questions:" in result.output


def test_backup_is_consistent_while_answers_sit_in_the_wal(reviewed: Store, db_path, runner):
    """Copying the .sqlite3 file alone loses what is still in the -wal file; backup does not."""
    import shutil

    con = sqlite3.connect(db_path)
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.close()
    keep = sqlite3.connect(db_path)  # holds the WAL open: nothing is checkpointed
    keep.execute("PRAGMA wal_autocheckpoint=0")
    history(reviewed, reviewed.skill_card("affine", 1).id, [Rating.GOOD] * 6)
    total = keep.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    out = db_path.with_name("copy.sqlite3")
    result = runner.invoke(cli, ["--db", str(db_path), "backup", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Backed up {total} reviews" in result.output
    naive = db_path.with_name("naive.sqlite3")
    shutil.copyfile(db_path, naive)
    got = sqlite3.connect(out).execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    try:
        lost = sqlite3.connect(naive).execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    except sqlite3.OperationalError:  # even the tables are still in the -wal file
        lost = 0
    keep.close()
    assert got == total and lost < total
    assert not Path(f"{out}-wal").exists()
    copy = Store(connect(str(out)))
    assert check(copy).ok


def test_backup_refuses_the_database_itself(runner, db_path: Path):
    runner.invoke(cli, ["--db", str(db_path), "stats"])
    result = runner.invoke(cli, ["--db", str(db_path), "backup", str(db_path)])
    assert result.exit_code == 1 and "the database itself" in result.output


def test_a_backup_never_replaces_anyones_history(reviewed: Store, db_path: Path):
    """backup OUT replaces an untouched quizzer backup (a nightly copy), never a database a
    learner answers in, one with a -wal file beside it, or another program's. Real
    processes, as a learner runs them one after another."""
    import subprocess

    from tests.test_terminal_session import quizzer_command

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([*quizzer_command(), *args], input=stdin, capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    out = db_path.with_name("nightly.sqlite3")
    assert run("--db", str(db_path), "backup", str(out)).returncode == 0
    assert run("--db", str(out), "stats").returncode == 0  # looked at: still a backup
    assert run("--db", str(db_path), "backup", str(out)).returncode == 0
    quiz = run("--db", str(out), "quiz", "-n", "1", stdin="s\n")
    assert "Session over: 1 answered" in quiz.stdout
    before = out.read_bytes()  # answered in: now someone's history
    result = run("--db", str(db_path), "backup", str(out))
    assert result.returncode == 1 and "not a quizzer backup" in result.stderr
    assert out.read_bytes() == before
    other = db_path.with_name("other.sqlite3")
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE notes (body TEXT)")
    result = run("--db", str(db_path), "backup", str(other))
    assert result.returncode == 1 and "not a quizzer backup" in result.stderr
    fresh = db_path.with_name("fresh.sqlite3")
    assert run("--db", str(db_path), "backup", str(fresh)).returncode == 0
    Path(f"{fresh}-wal").write_bytes(b"")
    result = run("--db", str(db_path), "backup", str(fresh))
    assert result.returncode == 1 and "is in use" in result.stderr
    result = run("--db", str(db_path), "backup", "-")
    assert result.returncode == 1 and "binary file" in result.stderr
    missing = db_path.with_name("none.db")
    result = run("--db", str(missing), "backup", str(db_path.with_name("x.sqlite3")))
    assert result.returncode == 1 and "holds no database yet" in result.stderr
    assert not missing.exists()


@pytest.mark.parametrize("family", ["z-score", "affine"])  # reviewed, and never reviewed
def test_a_card_whose_state_row_is_gone_is_found_and_made_again(
    reviewed: Store, db_path: Path, family: str
):
    card_id = reviewed.skill_card(family, 1).id
    right = reviewed.card_state(card_id)
    con = sqlite3.connect(db_path)
    con.execute("DELETE FROM card_states WHERE card_id = ?", (card_id,))
    con.commit()
    con.close()
    report = check(reviewed)
    assert [(d.card_id, list(d.fields)) for d in report.differences] == [
        (card_id, ["no state row"])
    ]
    assert check(reviewed, repair=True).repaired == 1
    made = reviewed.card_state(card_id)
    if family == "z-score":
        assert made == right
    else:
        assert made["state"] == 0 and made["stability"] is None
    assert check(reviewed).ok


def test_a_card_row_this_quizzer_does_not_ship_is_never_shown(runner, store: Store, db_path):
    """A hand-edited (or newer quizzer's) active card of an unknown family, due first."""
    con = sqlite3.connect(db_path)
    con.execute(
        "INSERT INTO cards (uid, kind, family, difficulty, active, created_at) VALUES "
        "('skill:no-such-family:1', 'skill', 'no-such-family', 1, 1, '2026-01-01')"
    )
    cid = con.execute("SELECT id FROM cards WHERE family = 'no-such-family'").fetchone()[0]
    con.execute("INSERT INTO card_states (card_id, state, due, stability, difficulty, step, "
                "last_review) VALUES (?, 2, '2020-01-01 00:00:00.000000', 3, 5, NULL, "
                "'2019-12-28 00:00:00.000000')", (cid,))  # fmt: skip
    con.commit()
    con.close()
    result = runner.invoke(cli, ["--db", str(db_path), "review", "--limit", "1"], input="s\n")
    assert result.exit_code == 0, result.output
    assert "no-such-family" not in result.output and "Session over: 1 answered" in result.output


def test_each_review_is_replayed_with_the_parameters_it_recorded(store: Store):
    """Reviews scheduled by fitted parameters (quizzer optimize) replay with them: the
    check passes; the same history replayed with the defaults would not (a hand edit of
    reviews.parameters_id makes it differ), and --repair rebuilds with what is recorded."""
    import json

    from quizzer.models import FsrsParameters
    from quizzer.schedule import Parameters

    weights = (0.05, 0.25, 0.6, 2.5, 7.0, 0.6, 2.5, 0.02, 1.0, 0.2, 0.8, 2.0, 0.1, 0.3, 1.5,
               0.5, 2.0, 0.5, 0.1, 0.1, 0.45)  # fmt: skip
    with store.write() as s:
        row = FsrsParameters(
            parameters=json.dumps(weights), optimizer="test", reviews_fitted=1,
            reviews_held_out=1, default_log_loss=0.5, default_rmse_bins=0.1,
            fitted_log_loss=0.4, fitted_rmse_bins=0.05, kept=True,
        )  # fmt: skip
        s.add(row)
        s.flush()
        pid = row.id
    card = store.skill_card("conv-output", 1).id
    history(store, card, [Rating.GOOD] * 3)  # the defaults, then the fitted parameters
    fitted = make_scheduler(0.9, parameters=Parameters(weights, pid))
    t = datetime.fromisoformat(store.card_state(card)["due"]) + timedelta(hours=3)
    for rating in (Rating.GOOD, Rating.AGAIN, Rating.GOOD, Rating.GOOD):
        store.record(card, "review", question=None, typed=None, correct=rating > 1,
                     rating=rating, duration_ms=1000, scheduler=fitted, now=t)  # fmt: skip
        t = datetime.fromisoformat(store.card_state(card)["due"]) + timedelta(hours=3)
    with sqlite3.connect(store.path) as con:
        assert con.execute(
            "SELECT COUNT(*) FROM reviews WHERE parameters_id = ?", (pid,)
        ).fetchone() == (4,)
    assert check(store).ok
    good = store.card_state(card)
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE reviews SET parameters_id = NULL")
    report = check(store)
    assert not report.ok and {"stability", "due"} <= set(report.differences[0].fields)
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE reviews SET parameters_id = ? WHERE id > 3", (pid,))
        con.execute("UPDATE card_states SET stability = 99 WHERE card_id = ?", (card,))
    report = check(store, repair=True)
    assert report.repaired == 1 and store.card_state(card) == good
    assert check(store).ok
