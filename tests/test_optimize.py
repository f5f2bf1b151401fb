"""`quizzer optimize`: on a simulated learner whose memory follows KNOWN FSRS parameters,
different from the defaults (tests.simulate.MemoryLearner, every answer through the real
Store.record), the parameters fitted on the earlier reviews predict the held-out ones
better than the defaults; the command keeps them, the next review is scheduled with them,
`quizzer check` still replays every card; too little history is refused cleanly."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import fsrs
import pytest
from sqlalchemy import func, select

from quizzer import optimize
from quizzer.calibration import Scores, calibration
from quizzer.cli import cli
from quizzer.db import connect
from quizzer.models import FsrsParameters, Review
from quizzer.schedule import Rating, review
from quizzer.store import Store
from tests.conftest import MEMORY_DAYS as DAYS  # the learner of the learner_db fixture
from tests.conftest import MEMORY_START as START
from tests.simulate import FORGETFUL, MemoryLearner


def open_store(path: Path) -> Store:
    store = Store(connect(str(path)))
    store.sync_catalog()
    return store


def rows(path: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_fitted_parameters_predict_held_out_reviews_better_than_the_defaults(learner_db: Path):
    store = open_store(learner_db)
    history = optimize.load(store)
    outcome = optimize.optimize(history)
    since = outcome.split_at
    long_term = optimize.long_term_times(history)
    held_out = [t for t in long_term if t >= since]
    assert len(long_term) >= optimize.MIN_LONG_TERM
    assert outcome.reviews_held_out == len(held_out) == outcome.default.n
    assert len(held_out) == len(long_term) - int(len(long_term) * 0.8)  # the newest 20 %
    assert outcome.reviews_fitted == sum(r.at < since for rs in history.values() for r in rs)
    assert outcome.fitted.log_loss < outcome.default.log_loss and outcome.kept
    assert len(outcome.parameters) == 21
    fsrs.Scheduler(parameters=outcome.parameters)  # within py-fsrs 6's bounds
    # the true parameters are better still than the defaults: the simulation is what it says
    truth = optimize.score(history, FORGETFUL, since)
    assert truth.log_loss < outcome.default.log_loss
    # the defaults' held-out figures are calibration's arithmetic on the recall quizzer
    # stored at each of those reviews (the learner was scheduled with the defaults): the
    # replay of each card's whole earlier history gives exactly those predictions
    stored = Scores()
    with store.session() as s:
        reviews = list(s.scalars(select(Review).order_by(Review.card_id, Review.reviewed_at)))
    by_card: dict[int, list[Review]] = {}
    for r in reviews:
        by_card.setdefault(r.card_id, []).append(r)
    for card_reviews in by_card.values():
        lapses = 0
        for i, (prev, r) in enumerate(zip(card_reviews, card_reviews[1:], strict=False), 2):
            days = (r.reviewed_at - prev.reviewed_at) / timedelta(days=1)
            if days < 1:
                continue
            if r.reviewed_at >= since:
                stored.add(r.retrievability, int(r.correct), int(days), i, lapses)
            lapses += not r.correct
    assert stored.n == outcome.default.n
    assert outcome.default.log_loss == pytest.approx(stored.log_loss, rel=1e-9)
    assert outcome.default.rmse_bins == pytest.approx(stored.rmse_bins, rel=1e-9)
    store.engine.dispose()


def test_the_command_keeps_them_and_the_next_review_uses_them(runner, learner_db: Path):
    db = ["--db", str(learner_db)]
    result = runner.invoke(cli, [*db, "optimize"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    kept = rows(learner_db, "SELECT id, parameters, kept, default_log_loss, fitted_log_loss, "
                "reviews_held_out, optimizer FROM fsrs_parameters")  # fmt: skip
    assert len(kept) == 1
    pid, text, is_kept, default_ll, fitted_ll, held_out, optimizer = kept[0]
    weights = json.loads(text)
    assert is_kept == 1 and fitted_ll < default_ll and optimizer.startswith("fsrs-rs-python ")
    assert f"log loss {fitted_ll:.4f} against {default_ll:.4f}" in result.output
    assert f"on the {held_out:,} reviews since" in result.output
    assert "Kept: the fitted parameters predict your held-out reviews better" in result.output
    store = open_store(learner_db)
    used = optimize.in_use(store)
    assert used is not None and used["parameters"] == weights
    assert used["fitted"]["log_loss"] == fitted_ll and used["reviews_held_out"] == held_out
    assert calibration(store)["parameters"] == "optimized"
    stats = json.loads(runner.invoke(cli, [*db, "stats", "--json"]).output)
    cal = stats["calibration"]
    assert cal["parameters"] == "optimized"
    # the scored predictions were all made before the fit, by the defaults: said so, and the
    # fitted parameters' own figures are the held-out ones, not the stored predictions'
    assert cal["predicted_by"] == {"default": cal["reviews"], "optimized": 0}
    assert cal["fitted"]["fitted"]["log_loss"] == fitted_ll
    assert cal["fitted"]["default"]["log_loss"] == default_ll
    assert cal["fitted"]["reviews_held_out"] == held_out
    text_out = runner.invoke(cli, [*db, "stats"], env={"COLUMNS": "300"}).output
    assert "predicted by FSRS's default parameters" in text_out
    assert f"log loss {fitted_ll:.4f} against {default_ll:.4f} for the defaults" in text_out
    store.engine.dispose()
    # the next review (a concept card, overdue since the simulation ended): Enter shows the
    # answer, Enter grades it Good
    result = runner.invoke(cli, [*db, "review", "--limit", "1"], input="\n\n")
    assert result.exit_code == 0, result.output
    store = open_store(learner_db)
    with store.session() as s:
        last = s.scalars(select(Review).order_by(Review.id.desc()).limit(1)).one()
    assert last.parameters_id == pid and last.rating == Rating.GOOD
    before = last.state_before
    card = fsrs.Card(
        card_id=last.card_id, state=fsrs.State(before["state"]), step=before["step"],
        stability=before["stability"], difficulty=before["difficulty"],
        due=datetime.fromisoformat(before["due"]),
        last_review=datetime.fromisoformat(before["last_review"]),
    )  # fmt: skip
    fitted = review(fsrs.Scheduler(parameters=weights), card, Rating.GOOD, last.reviewed_at)
    default = review(fsrs.Scheduler(), card, Rating.GOOD, last.reviewed_at)
    due = datetime.fromisoformat(store.card_state(last.card_id)["due"])
    assert due == fitted.due and fitted.due != default.due
    recall = fsrs.Scheduler(parameters=weights).get_card_retrievability(card, last.reviewed_at)
    assert math.isclose(last.retrievability, recall, rel_tol=1e-12)
    store.engine.dispose()


def test_check_replays_reviews_scheduled_before_and_after_an_optimize(runner, learner_db):
    """Review, optimize, review more: every card still replays exactly (each review with
    the parameters it recorded), and --repair rebuilds a damaged card with them."""
    db = ["--db", str(learner_db)]
    assert runner.invoke(cli, [*db, "optimize"]).exit_code == 0
    store = open_store(learner_db)
    MemoryLearner(store, seed=2).days(START + timedelta(days=DAYS), 20, new=0)
    store.engine.dispose()
    (pid,) = rows(learner_db, "SELECT id FROM fsrs_parameters WHERE kept")[0]
    after = rows(learner_db, f"SELECT COUNT(*) FROM reviews WHERE parameters_id = {pid}")
    assert after[0][0] > 50
    result = runner.invoke(cli, [*db, "check"])
    assert result.exit_code == 0, result.output
    assert "Every card's state is the replay of its reviews." in result.output
    # a card whose last review used the fitted parameters, damaged
    (card_id, stability) = rows(
        learner_db,
        f"SELECT s.card_id, s.stability FROM card_states s WHERE s.card_id = (SELECT card_id "
        f"FROM reviews WHERE parameters_id = {pid} ORDER BY id DESC LIMIT 1)",
    )[0]
    con = sqlite3.connect(learner_db)
    con.execute("UPDATE card_states SET stability = stability * 2 WHERE card_id = ?", (card_id,))
    con.commit()
    con.close()
    assert runner.invoke(cli, [*db, "check"]).exit_code == 1
    result = runner.invoke(cli, [*db, "check", "--repair"])
    assert result.exit_code == 0 and "Rebuilt: 1 card\n" in result.output, result.output
    assert rows(learner_db, f"SELECT stability FROM card_states WHERE card_id = {card_id}") == [
        (stability,)
    ]
    assert runner.invoke(cli, [*db, "check"]).exit_code == 0


@pytest.mark.parametrize("lang, words", [("en", "not enough history"), ("zh", "复习记录还不够")])
def test_too_little_history_is_refused_and_nothing_is_written(runner, db_path, lang, words):
    store = open_store(db_path)
    MemoryLearner(store).days(START, 8, new=3)
    have = len(optimize.long_term_times(optimize.load(store)))
    store.engine.dispose()
    assert 0 < have < optimize.MIN_LONG_TERM
    before = rows(db_path, "SELECT COUNT(*), MAX(id) FROM reviews")
    result = runner.invoke(cli, ["--db", str(db_path), "--lang", lang, "optimize"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0]
    assert str(optimize.MIN_LONG_TERM) in lines[0] and f" {have}" in lines[0]
    assert "Traceback" not in result.output
    assert rows(db_path, "SELECT COUNT(*) FROM fsrs_parameters") == [(0,)]
    assert rows(db_path, "SELECT COUNT(*), MAX(id) FROM reviews") == before


def test_a_database_without_reviews(runner, db_path):
    result = runner.invoke(cli, ["--db", str(db_path), "optimize", "--retention"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: not enough history to fit FSRS to your memory: ")
    assert (
        "needs 500 reviews made at least a day after the same card's previous review, and you "
        "have 0;" in result.output
    )
    assert rows(db_path, "SELECT COUNT(*) FROM fsrs_parameters") == [(0,)]
    store = open_store(db_path)
    assert optimize.in_use(store) is None and calibration(store)["parameters"] == "default"
    store.engine.dispose()


def test_dry_run_saves_nothing_and_retention_is_suggested(runner, learner_db: Path):
    db = ["--db", str(learner_db)]
    result = runner.invoke(cli, [*db, "optimize", "--dry-run", "--retention"])
    assert result.exit_code == 0, result.output
    assert "Would keep them" in result.output and "nothing was saved" in result.output
    suggested = result.output.split("Suggested desired retention: ")[1][:4]
    assert 0.70 <= float(suggested) <= 0.99
    assert f"quizzer config retention {suggested}" in result.output
    assert rows(learner_db, "SELECT COUNT(*) FROM fsrs_parameters") == [(0,)]


def test_fitted_parameters_not_better_are_recorded_but_not_kept(learner_db: Path, monkeypatch):
    """A fit that scores worse than the defaults (here: the defaults' own curve with far
    too slow a decay) is recorded with kept false, and the defaults stay in use."""
    store = open_store(learner_db)
    worse = list(fsrs.scheduler.DEFAULT_PARAMETERS)
    worse[0:4] = [50.0, 60.0, 70.0, 80.0]
    monkeypatch.setattr(optimize, "fit", lambda history, before: worse)
    history = optimize.load(store)
    outcome = optimize.optimize(history)
    assert not outcome.kept and outcome.fitted.log_loss > outcome.default.log_loss
    # --retention then simulates with the parameters still in use: the defaults
    assert 0.70 <= optimize.optimal_retention(history, None, len(history), 10) <= 0.99
    optimize.save(store, outcome)
    assert optimize.in_use(store) is None
    with store.engine.connect() as c:
        from quizzer.schedule import parameters_in_use

        assert parameters_in_use(c).id is None
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(FsrsParameters)) == 1
    store.engine.dispose()


REVIEWER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from quizzer.db import connect
    from quizzer.schedule import Rating, make_scheduler, parameters_in_use
    from quizzer.store import Store
    store = Store(connect(sys.argv[1]))
    stop = Path(sys.argv[2])
    with store.engine.connect() as c:
        scheduler = make_scheduler(0.9, parameters=parameters_in_use(c))
    card_ids = [int(x) for x in sys.argv[3].split(",")]
    at = datetime(2026, 6, 1, tzinfo=UTC)
    ids = []
    while not stop.exists() or len(ids) < 5:
        card = card_ids[len(ids) % len(card_ids)]
        at += timedelta(days=1)
        ids.append(store.record(card, "review", question=None, typed=None, correct=True,
                                rating=Rating.GOOD, duration_ms=5000, scheduler=scheduler,
                                now=at))
        if len(ids) == 1:
            print("started", flush=True)
    print(",".join(map(str, ids)), flush=True)
    """
)


def test_a_session_reviewing_while_optimize_runs_loses_nothing(learner_db: Path, tmp_path):
    """Two real processes: one records reviews in a loop while `quizzer optimize` runs;
    optimize writes once, at the end, in one short transaction: every review is there."""
    card_ids = ",".join(
        str(r[0]) for r in rows(learner_db, "SELECT id FROM cards WHERE kind = 'skill' LIMIT 5")
    )
    stop = tmp_path / "stop"
    with subprocess.Popen(
        [sys.executable, "-c", REVIEWER, str(learner_db), str(stop), card_ids],
        stdout=subprocess.PIPE, text=True,
    ) as reviewer:  # fmt: skip
        assert reviewer.stdout is not None
        assert reviewer.stdout.readline().strip() == "started"
        done = subprocess.run(
            [sys.executable, "-m", "quizzer", "--db", str(learner_db), "optimize"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        stop.touch()
        ids = [int(x) for x in reviewer.stdout.readline().split(",")]
        assert reviewer.wait(timeout=60) == 0
    assert done.returncode == 0, done.stderr
    # what the fit saw depends on how far the other process had got: kept or not, one row
    assert "Kept" in done.stdout or "Not kept" in done.stdout
    assert rows(learner_db, "SELECT COUNT(*) FROM fsrs_parameters") == [(1,)]
    have = {r[0] for r in rows(learner_db, f"SELECT id FROM reviews WHERE card_id IN ({card_ids})")}
    assert set(ids) <= have and len(ids) >= 5
    check = subprocess.run(
        [sys.executable, "-m", "quizzer", "--db", str(learner_db), "check"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout
