"""A simulated learner for the stats and report tests: 90 days of answers with known
patterns, recorded through the real store and FSRS scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from quizzer.db import connect
from quizzer.schedule import Rating, make_scheduler
from quizzer.store import Store
from quizzer.verify import draw

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)


class Learner:
    """Answers through the real store and scheduler; logs what it did and when."""

    def __init__(self, store: Store):
        self.store = store
        store.sync_catalog()
        self.sched = make_scheduler(0.9, fuzz=False)
        self.log: list[dict] = []

    def answer(self, family, level, seed, when, correct, mode="review", mistake=None, ms=20000):
        card = self.store.skill_card(family, level)
        q = draw(family, seed, level)
        state = self.store.card_state(card.id)["state"]
        self.store.record(
            card.id, mode, question=q, typed="x", correct=correct,
            rating=(Rating.GOOD if correct else Rating.AGAIN) if mode == "review" else None,
            duration_ms=ms, scheduler=self.sched, now=when,
            misconceptions=(mistake,) if isinstance(mistake, str) else tuple(mistake or ()),
        )  # fmt: skip
        self.log.append({"family": family, "level": level, "when": when, "correct": correct,
                         "mode": mode, "mistake": mistake, "ms": ms, "state": state})  # fmt: skip


def simulate(db: Path, now: datetime = NOW) -> Learner:
    store = Store(connect(str(db)))
    store.sync_catalog()
    who = Learner(store)
    for d in range(90, -1, -1):
        if d % 7 == 3 or d in (40, 41):  # a rest day every week, and a two-day break
            continue
        day = now - timedelta(days=d, hours=2)
        who.answer("conv-output", 1, d, day, correct=d % 2 == 0,
                   mistake=("padding-once", "no-plus-one") if d % 4 == 1 else None)  # fmt: skip
        who.answer("z-score", 2, d, day + timedelta(minutes=5), correct=d % 3 != 0,
                   mistake="z-wrong-correction" if d % 3 == 0 else None)  # fmt: skip
        if d % 5 == 0:
            who.answer("hadamard-matmul", 1, d, day + timedelta(minutes=9), correct=False,
                       mode="practice", mistake="mul-as-matmul", ms=45000)  # fmt: skip
        if d < 20:
            who.answer("one-hot", 1, d, day + timedelta(minutes=12), correct=True,
                       mode="practice", ms=8000)  # fmt: skip
    return who
