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


# A learner who forgets faster than FSRS's defaults expect (smaller first stabilities, a
# steeper forgetting curve, slower growth after a success): the defaults over-predict recall.
FORGETFUL = (0.05, 0.25, 0.6, 2.5, 7.0, 0.6, 2.5, 0.02, 1.0, 0.2, 0.8, 2.0, 0.1, 0.3, 1.5,
             0.5, 2.0, 0.5, 0.1, 0.1, 0.45)  # fmt: skip


class MemoryLearner:
    """A learner whose memory follows KNOWN FSRS parameters (`true`): it reviews what the
    store schedules, with the scheduler a `quizzer review` would build at that moment (the
    parameters in use, fuzz seeded by the review), and each answer is right with the true
    model's recall at that moment (seeded draws). Every answer goes through the real
    Store.record at its real (simulated) time. Concept cards only: self-graded, Good or
    Again."""

    def __init__(self, store: Store, true=FORGETFUL, seed: int = 1, retention: float = 0.9):
        import random

        import fsrs

        self.store, self.retention = store, retention
        self.rng = random.Random(seed)
        self.truth = fsrs.Scheduler(parameters=true, enable_fuzzing=False)
        self.memory: dict[int, object] = {}  # card_id -> its true fsrs.Card
        with store.session() as s:
            from sqlalchemy import select

            from quizzer.models import Card

            self.new = list(s.scalars(select(Card.id).where(Card.kind == "concept")
                                      .order_by(Card.id)))  # fmt: skip
        self.reviews = 0

    def scheduler(self):
        from quizzer.schedule import parameters_in_use

        with self.store.engine.connect() as c:
            return make_scheduler(self.retention, parameters=parameters_in_use(c))

    def _due(self, before: datetime) -> int | None:
        from sqlalchemy import select

        from quizzer.models import CardState

        q = (select(CardState.card_id).where(CardState.state != 0, CardState.due <= before)
             .order_by(CardState.due, CardState.card_id).limit(1))  # fmt: skip
        with self.store.session() as s:
            return s.scalar(q)

    def answer(self, card_id: int, when: datetime, scheduler) -> None:
        import fsrs

        true = self.memory.get(card_id) or fsrs.Card(card_id=card_id)
        p = 1.0 if true.last_review is None else self.truth.get_card_retrievability(true, when)
        right = self.rng.random() < p
        rating = Rating.GOOD if right else Rating.AGAIN
        self.store.record(
            card_id, "review", question=None, typed=None, correct=right, rating=rating,
            duration_ms=self.rng.randint(4000, 30000), scheduler=scheduler, now=when,
        )  # fmt: skip
        self.memory[card_id], _ = self.truth.review_card(true, fsrs.Rating(int(rating)), when)
        self.reviews += 1

    def session(self, start: datetime, new: int = 5) -> None:
        """One sitting: every card due by then, `new` new cards, and the same-day learning
        steps as they fall due (the learner waits for them), 30 s an answer."""
        scheduler = self.scheduler()
        t = start
        while True:
            card_id = self._due(t)
            if card_id is None and new and self.new:
                card_id, new = self.new.pop(0), new - 1
            if card_id is None:
                soon = self._due(t + timedelta(minutes=30))
                if soon is None:
                    return
                t = datetime.fromisoformat(self.store.card_state(soon)["due"])
                continue
            self.answer(card_id, t, scheduler)
            t += timedelta(seconds=30)

    def days(self, first: datetime, n: int, new: int = 5) -> None:
        """A sitting a day for n days from `first`, at a seeded time within its morning."""
        for d in range(n):
            self.session(first + timedelta(days=d, minutes=self.rng.randrange(240)), new)
