"""Exact figures, not labels: FSRS's recall at known stabilities and elapsed days, the whole
ordered weakest-skills list with its recall values, a streak that ended yesterday against one
that ended the day before, and the calibration's log loss through stats, `stats --json` and
the report. Each history is written through the real Store and FSRS scheduler at fixed
times; each expected figure is computed here from FSRS's own code (`fsrs.Scheduler`) or from
FSRS's formula, and also written out as a number, so a wrong formula in quizzer cannot pass
by agreeing with itself. bench/mutations.py shows that each mutation issue 10 lists fails
one of these tests.
"""

from __future__ import annotations

import json
import math
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fsrs
import pytest

from quizzer import report
from quizzer.cli import cli
from quizzer.db import connect
from quizzer.schedule import Rating, make_scheduler, recall_at
from quizzer.stats import compute, weakest_skills
from quizzer.store import Store

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)

# FSRS-6's forgetting curve with its default parameters (py-fsrs 6, "The Algorithm" on the
# open-spaced-repetition wiki): R(t, S) = (1 + FACTOR * t / S) ** DECAY, DECAY = -w20,
# FACTOR = 0.9 ** (1 / DECAY) - 1, so that R(S, S) = 0.9.
W20 = 0.1542
DECAY = -W20
FACTOR = 0.9 ** (1 / DECAY) - 1


def fsrs_recall(stability: float, days: int) -> float:
    return (1 + FACTOR * days / stability) ** DECAY


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    """Local days are UTC days here, so the streak's days are the dates written below."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def new_store(path: Path) -> Store:
    s = Store(connect(str(path)))
    s.sync_catalog()
    return s


@pytest.fixture
def store(tmp_path: Path, utc):
    s = new_store(tmp_path / "exact.sqlite3")
    yield s
    s.engine.dispose()


SCHEDULER = make_scheduler(0.9, fuzz=False)


def answer(store: Store, family: str, level: int, when: datetime, right: bool, mode="review"):
    card = store.skill_card(family, level)
    store.record(
        card.id, mode, question=None, typed="x", correct=right,
        rating=(Rating.GOOD if right else Rating.AGAIN) if mode == "review" else None,
        duration_ms=1000, scheduler=SCHEDULER, now=when,
    )  # fmt: skip


def fsrs_card(state: dict) -> fsrs.Card:
    return fsrs.Card(
        state=fsrs.State(state["state"]),
        step=state["step"],
        stability=state["stability"],
        difficulty=state["difficulty"],
        due=datetime.fromisoformat(state["due"]),
        last_review=datetime.fromisoformat(state["last_review"]),
    )


# ---------------------------------------------------------------- recall (schedule)


def test_the_formula_here_is_fsrs_own():
    """The constants above are py-fsrs's: its default w20 and its own retrievability."""
    sched = fsrs.Scheduler()
    assert sched.parameters[20] == W20
    last = NOW - timedelta(days=30)
    card = fsrs.Card(state=fsrs.State.Review, stability=10.0, difficulty=5.0, last_review=last)
    for days in (0, 1, 3, 10, 30):
        got = sched.get_card_retrievability(card, last + timedelta(days=days))
        assert got == pytest.approx(fsrs_recall(10.0, days), rel=1e-12)


@pytest.mark.parametrize(
    ("days", "recall"),
    [(0, 1.0), (1, 0.9856824), (3, 0.9610243), (10, 0.9), (30, 0.8093881), (100, 0.6928266)],
)
def test_recall_at_known_stability_and_elapsed_days(days: int, recall: float):
    """Stability 10 days: recall is exactly 0.9 after 10 days (FSRS's definition of
    stability), and FSRS's own curve on either side of it."""
    last = NOW - timedelta(days=days, hours=3)  # whole elapsed days count, as in fsrs
    before = {"state": 2, "step": None, "stability": 10.0, "difficulty": 5.0,
              "due": NOW.isoformat(), "last_review": last.isoformat()}  # fmt: skip
    got = recall_at(before, NOW)
    assert got == pytest.approx(recall, abs=5e-8)
    assert got == pytest.approx(fsrs_recall(10.0, days), rel=1e-12)
    card = fsrs.Card(state=fsrs.State.Review, stability=10.0, difficulty=5.0, last_review=last)
    assert got == pytest.approx(fsrs.Scheduler().get_card_retrievability(card, NOW), rel=1e-12)


def test_each_reviews_stored_recall_is_fsrs_own(store: Store):
    """The recall stored with each review (what calibration scores) is FSRS's retrievability
    of the card as it was just before the review."""
    start = NOW - timedelta(days=40)
    plan = [(0, True), (1, True), (4, True), (15, False), (16, True), (33, True)]
    card_id = store.skill_card("conv-output", 1).id
    expected = []
    for day, right in plan:
        when = start + timedelta(days=day)
        before = store.card_state(card_id)
        if before["state"] != 0:
            expected.append(fsrs.Scheduler().get_card_retrievability(fsrs_card(before), when))
        answer(store, "conv-output", 1, when, right)
    with store.engine.connect() as c:
        stored = c.exec_driver_sql(
            "SELECT retrievability FROM reviews WHERE card_id = ? ORDER BY reviewed_at", (card_id,)
        ).scalars()
        stored = list(stored)
    assert stored[0] is None  # a new card has no recall yet
    assert stored[1:] == pytest.approx(expected, rel=1e-12)
    assert len(set(stored[1:])) == len(expected) and all(0 < p < 1 for p in stored[1:])


# ---------------------------------------------------------------- weakest skills (stats)

# (family, [(days before NOW, right, mode)]); every answer is within the last 30 days.
# A review of a new card makes it a Learning card with FSRS's first stability (Good: w2 =
# 2.3065 days, Again: w0 = 0.212 days); practice answers count for accuracy only.
WEAK_PLAN = {
    "patches": [(2, False, "review"), (1, False, "practice"), (1, False, "practice")],  # 0/3
    "one-hot": [(1, False, "practice"), (1, False, "practice")],  # 0/2: under the minimum
    "z-score": [(12, True, "review"), (1, False, "practice"), (1, False, "practice")],  # 1/3
    "conv-output": [(5, True, "review"), (1, False, "practice"), (1, False, "practice")],  # 1/3
    "hadamard-matmul": [(3, True, "review"), (1, True, "practice"), (1, False, "practice")],
    "affine": [(4, True, "review")] + [(1, True, "practice")] * 2 + [(1, False, "practice")],
    "tensor-shapes": [(6, True, "review")] + [(1, True, "practice")] * 4,  # 5/5: sixth
}


@pytest.fixture
def weak_store(store: Store) -> Store:
    for family, answers in WEAK_PLAN.items():
        for i, (days, right, mode) in enumerate(answers):
            answer(store, family, 1, NOW - timedelta(days=days, hours=1, minutes=i), right, mode)
    return store


def test_the_whole_weakest_list_in_order_with_its_recall(weak_store: Store):
    """Lowest accuracy first, ties (z-score and conv-output, 1 of 3 each) broken by the
    lower recall; one-hot's 0 of 2 is under the 3-answer minimum; five skills at most."""
    got = compute(weak_store, NOW)["weakest_skills"]
    rows = [(k["skill"], k["answered"], k["right"], k["accuracy"], k["recall"]) for k in got]
    assert rows == [
        ("patches:1", 3, 0, 0.0, 0.6985),
        ("z-score:1", 3, 1, 0.3333, 0.7567),
        ("conv-output:1", 3, 1, 0.3333, 0.8389),
        ("hadamard-matmul:1", 3, 2, 0.6667, 0.8809),
        ("affine:1", 4, 3, 0.75, 0.858),
    ]
    # each recall is FSRS's own, from the card's stored state and whole days elapsed
    sched = fsrs.Scheduler()
    for k in got:
        card = fsrs_card(weak_store.card_state(weak_store.skill_card(k["family"], 1).id))
        assert k["recall"] == round(sched.get_card_retrievability(card, NOW), 4)
    # and the formula's: Good on a new card gives stability w2, Again w0
    assert got[0]["recall"] == round(fsrs_recall(0.212, 2), 4)
    assert got[1]["recall"] == round(fsrs_recall(2.3065, 12), 4)
    assert got[2]["recall"] == round(fsrs_recall(2.3065, 5), 4)


def test_weakest_skills_for_drilling_in_order(weak_store: Store):
    """`quiz --weakest` takes any number of answers: one-hot's 0 of 2 ties patches' 0 of 3
    and comes after it, since a skill without recall (never reviewed) ranks as recall 2."""
    assert weakest_skills(weak_store, NOW, top=7) == [
        ("patches", 1),
        ("one-hot", 1),
        ("z-score", 1),
        ("conv-output", 1),
        ("hadamard-matmul", 1),
        ("affine", 1),
        ("tensor-shapes", 1),
    ]


# ---------------------------------------------------------------- streak (stats)


@pytest.mark.parametrize(
    ("answered_days_ago", "current", "longest"),
    [
        ((3, 2, 1), 3, 3),  # ended yesterday: still current until today ends
        ((4, 3, 2), 0, 3),  # ended the day before yesterday: broken
        ((2, 1, 0), 3, 3),  # answered today
        ((7, 6, 5, 4, 2, 1, 0), 3, 4),  # a gap: the current run starts after it
        ((9, 8, 6, 5, 4, 3, 1), 1, 4),  # yesterday alone after a gap
        ((0,), 1, 1),
    ],
)
def test_streak(store: Store, answered_days_ago, current, longest):
    # at 10:00 UTC; two answers on some days, at 00:30 and 23:30 (the day's edges)
    for ago in answered_days_ago:
        day = NOW.replace(hour=0, minute=30) - timedelta(days=ago)
        answer(store, "z-score", 1, day, True, mode="practice")
        if ago % 2 and ago:
            answer(store, "z-score", 1, day + timedelta(hours=23), True, mode="practice")
    assert compute(store, NOW)["streak"] == {"current": current, "longest": longest}


# ---------------------------------------------------------------- calibration's log loss

# 4 cards reviewed over 60 days; 23 of their reviews come at least a day after the card's
# previous one and are scored: not the 4 first reviews, nor the same-day steps, nor z-score's
# review on day 21, 0.98 days after its relearning step on day 20.02
CAL_PLAN = {
    "conv-output": [(0, 1), (0.01, 1), (2, 1), (5, 0), (5.01, 1), (7, 1), (13, 1),
                    (21, 0), (22, 1), (30, 1), (45, 1)],
    "z-score": [(0, 1), (1, 1), (3, 1), (8, 1), (20, 0), (20.02, 1), (21, 1), (26, 1),
                (40, 0), (41, 1)],
    "affine": [(1, 0), (1.01, 1), (2, 1), (4, 1), (10, 1), (25, 1), (55, 1)],
    "patches": [(3, 1), (6, 0), (7, 1), (9, 1), (14, 1)],
}  # fmt: skip
LOG_LOSS = 0.6519702  # -mean ln(p if recalled else 1 - p) over the 23 scored reviews


@pytest.fixture
def cal_store(tmp_path: Path, utc):
    s = new_store(tmp_path / "cal.sqlite3")
    start = NOW - timedelta(days=60)
    events = sorted(
        (day, family, right) for family, plan in CAL_PLAN.items() for day, right in plan
    )
    for day, family, right in events:
        answer(s, family, 1, start + timedelta(days=day), bool(right))
    yield s
    s.engine.dispose()


def expected_log_loss() -> tuple[int, float]:
    """Replays each card's reviews through fsrs itself (no fuzz) and scores, as FSRS's
    optimizer does, only the reviews a day or more after the card's previous one."""
    sched = fsrs.Scheduler(desired_retention=0.9, enable_fuzzing=False)
    start = NOW - timedelta(days=60)
    total, n = 0.0, 0
    for plan in CAL_PLAN.values():
        card, prev = fsrs.Card(), None
        for day, right in plan:
            when = start + timedelta(days=day)
            if prev is not None and when - prev >= timedelta(days=1):
                p = sched.get_card_retrievability(card, when)
                total += math.log(p) if right else math.log(1 - p)
                n += 1
            card, _ = sched.review_card(card, fsrs.Rating.Good if right else fsrs.Rating.Again,
                                        when)  # fmt: skip
            prev = when
    return n, -total / n


def test_log_loss_is_fsrs_own_and_positive(cal_store: Store):
    n, log_loss = expected_log_loss()
    cal = compute(cal_store, NOW)["calibration"]
    assert (n, cal["reviews"]) == (23, 23)
    assert cal["log_loss"] == pytest.approx(log_loss, rel=1e-9)
    assert cal["log_loss"] == pytest.approx(LOG_LOSS, abs=5e-8)
    assert cal["log_loss"] > 0


def test_log_loss_through_stats_json_and_the_report(cal_store: Store, runner, tmp_path: Path):
    db = str(cal_store.engine.url.database)
    out = runner.invoke(cli, ["--db", db, "stats", "--json"])
    assert out.exit_code == 0, out.output
    cal = json.loads(out.output)["calibration"]
    assert cal["reviews"] == 23
    assert cal["log_loss"] == pytest.approx(LOG_LOSS, abs=5e-8)
    page = report.build(cal_store, "en", NOW)
    shown = re.search(r"(\d+) reviews scored\W+log loss (-?\d+\.\d+)", page)
    assert shown is not None, "the report states no log loss"
    assert (int(shown[1]), float(shown[2])) == (23, round(LOG_LOSS, 3))
