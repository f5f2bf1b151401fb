"""FSRS calibration scores only reviews at least a day after the card's previous review
(same-day relearning steps are left out, as FSRS and srs-benchmark do), with log loss and
srs-benchmark's RMSE over bins; the figures equal this test's own computation."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from quizzer.calibration import calibration
from quizzer.db import connect
from quizzer.models import Review
from quizzer.schedule import Rating, make_scheduler
from quizzer.stats import compute
from quizzer.store import Store
from tests.simulate import NOW

# (card, minutes after the start, right?) — with same-day relearning after each lapse
PLAN = {
    ("conv-output", 1): [(0, False), (10, True), (1440, True), (4320, False), (4330, True),
                         (4345, True), (14400, True), (30240, True)],
    ("z-score", 1): [(5, True), (2885, True), (10085, False), (10095, True), (20160, True)],
    ("one-hot", 1): [(7, True), (17, False), (27, True)],  # all on day one: none scored
}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path):
    s = Store(connect(str(tmp_path / "learner.sqlite3")))
    s.sync_catalog()
    scheduler = make_scheduler(0.9, fuzz=False)
    start = NOW - timedelta(days=30)
    events = sorted(
        (minutes, family, level, right)
        for (family, level), steps in PLAN.items()
        for minutes, right in steps
    )
    for minutes, family, level, right in events:
        card = s.skill_card(family, level)
        s.record(
            card.id, "review", question=None, typed=None, correct=right,
            rating=Rating.GOOD if right else Rating.AGAIN, duration_ms=1000,
            scheduler=scheduler, now=start + timedelta(minutes=minutes),
        )  # fmt: skip
    yield s
    s.engine.dispose()


def bin_of(x: float, base: float, scale: float, digits: int) -> float:
    return round(scale * base ** math.floor(math.log(x) / math.log(base)), digits)


def expected_figures(store: Store) -> dict:
    """The test's own computation, from the stored reviews."""
    with store.session() as s:
        rows = list(s.scalars(select(Review).order_by(Review.card_id, Review.reviewed_at)))
    by_card = defaultdict(list)
    for r in rows:
        by_card[r.card_id].append(r)
    scored = []  # (p, y, elapsed days, review number, lapses before)
    for reviews in by_card.values():
        lapses = 0
        for i, r in enumerate(reviews, 1):
            elapsed = None
            if i > 1:
                elapsed = (r.reviewed_at - reviews[i - 2].reviewed_at) / timedelta(days=1)
            if elapsed is not None and elapsed >= 1:
                p = min(0.999999, max(0.000001, r.retrievability))
                scored.append((p, int(r.correct), int(elapsed), i, lapses))
                if not r.correct:
                    lapses += 1
    n = len(scored)
    log_loss = -sum(math.log(p) if y else math.log(1 - p) for p, y, *_ in scored) / n
    groups = defaultdict(list)
    for p, y, days, i, lapses in scored:
        key = (
            bin_of(days, 3.62, 2.48, 2),
            bin_of(i, 1.89, 1.99, 0),
            bin_of(lapses, 1.73, 1.65, 0) if lapses else 0,
        )
        groups[key].append((p, y))
    sq = sum(
        len(g) * (sum(p for p, _ in g) / len(g) - sum(y for _, y in g) / len(g)) ** 2
        for g in groups.values()
    )
    return {"reviews": n, "log_loss": log_loss, "rmse_bins": math.sqrt(sq / n)}


def test_only_reviews_a_day_or_more_apart_are_scored(store: Store):
    got = calibration(store)
    want = expected_figures(store)
    # conv-output: 2 days (a lapse), 7 and 11 days after the previous step (not the 23 h 50
    # after the first day's relearning step); z-score: 2 days, 5 days (a lapse), 7 days
    assert want["reviews"] == got["reviews"] == 6
    assert got["log_loss"] == pytest.approx(want["log_loss"], rel=1e-9)
    assert got["rmse_bins"] == pytest.approx(want["rmse_bins"], rel=1e-9)
    assert 0 < got["log_loss"] < 1.5 and got["parameters"] == "default"
    assert sum(b["n"] for b in got["bins"]) == 6


def test_same_day_steps_would_swamp_the_log_loss(store: Store):
    """What the issue reported: scoring the same-day steps (FSRS predicts ~1 there) makes
    the log loss several times worse; the scored figure leaves them out."""
    with store.session() as s:
        same_day = [r for r in s.scalars(select(Review)) if r.retrievability is not None]
    everything = -sum(
        math.log(min(0.999999, max(1e-6, r.retrievability)))
        if r.correct
        else math.log(1 - min(0.999999, max(1e-6, r.retrievability)))
        for r in same_day
    ) / len(same_day)
    assert calibration(store)["log_loss"] < everything


def test_stats_json_carries_the_calibration(store: Store):
    cal = compute(store, now=NOW)["calibration"]
    assert {"reviews", "log_loss", "rmse_bins", "parameters"} <= cal.keys()
    assert cal["reviews"] == 6 and cal["parameters"] == "default"


def test_no_review_a_day_apart_gives_no_figures(tmp_path: Path):
    s = Store(connect(str(tmp_path / "new.sqlite3")))
    s.sync_catalog()
    try:
        cal = calibration(s)
    finally:
        s.engine.dispose()
    assert (cal["reviews"], cal["log_loss"], cal["rmse_bins"], cal["bins"]) == (0, None, None, [])


def test_predictions_are_counted_by_the_parameters_that_made_them(store: Store):
    """A fit kept in the middle of the history: the scored reviews after it were predicted by
    the fitted parameters, those before by the defaults (the figures score the stored
    predictions, so stats says whose they are)."""
    import json as _json

    from fsrs.scheduler import DEFAULT_PARAMETERS

    from quizzer.models import FsrsParameters

    start = NOW - timedelta(days=30)
    fit_at = start + timedelta(minutes=12000)  # between the z-score reviews at 10085 and 20160
    scored_after = [(f, lvl, m) for (f, lvl), steps in PLAN.items() for m, _ in steps if m > 12000]
    assert calibration(store)["predicted_by"] == {"default": 6, "optimized": 0}
    with store.write() as s:
        s.add(FsrsParameters(
            fitted_at=fit_at, parameters=_json.dumps(list(DEFAULT_PARAMETERS)), optimizer="test",
            reviews_fitted=1, reviews_held_out=1, default_log_loss=0.5, default_rmse_bins=0.1,
            fitted_log_loss=0.4, fitted_rmse_bins=0.1, kept=True,
        ))  # fmt: skip
    cal = calibration(store)
    # after 12000 min: conv-output at 14400 and 30240, z-score at 20160 (all scored)
    assert len(scored_after) == 3
    assert cal["predicted_by"] == {"default": 3, "optimized": 3}
    assert cal["parameters"] == "optimized"
