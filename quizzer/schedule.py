"""Spaced repetition with FSRS (the `fsrs` package).

A card_states row is converted to an fsrs.Card, reviewed, and converted back. Our
state 0 means "new, never reviewed" (fsrs itself starts a new card in Learning, step 0).
A correct typed answer is Good (the learner may change it to Hard or Easy), a wrong
one or a skip is Again.

FSRS spreads due dates by a random "fuzz". quizzer draws that fuzz from a generator seeded
by the review itself (the state before it, the rating and the time), as Anki seeds its
fuzz from the card: the same history then always gives the same schedule, so a card's
state can be checked, and rebuilt, by replaying its reviews (quizzer.check).

The FSRS parameters are FSRS's defaults until `quizzer optimize` keeps parameters fitted to
the learner's own reviews (table fsrs_parameters): the newest kept row then schedules, and
each review records the row that scheduled it (reviews.parameters_id, NULL = defaults).
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

NEW = 0
DEFAULT_RETENTION = 0.9
DEFAULT_NEW_PER_DAY = 10


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


def state_dict(row: Any) -> dict[str, Any]:
    """A card_states row as JSON-able data (kept with each review as state_before)."""
    return {
        "state": row.state,
        "step": row.step,
        "stability": row.stability,
        "difficulty": row.difficulty,
        "due": row.due.isoformat() if row.due else None,
        "last_review": row.last_review.isoformat() if row.last_review else None,
    }


def _to_fsrs(card_id: int, s: dict[str, Any]):
    import fsrs

    if s["state"] == NEW:
        return fsrs.Card(card_id=card_id, state=fsrs.State.Learning, step=0)
    return fsrs.Card(
        card_id=card_id,
        state=fsrs.State(s["state"]),
        step=s["step"],
        stability=s["stability"],
        difficulty=s["difficulty"],
        due=datetime.fromisoformat(s["due"]),
        last_review=datetime.fromisoformat(s["last_review"]) if s["last_review"] else None,
    )


@dataclass(frozen=True)
class Parameters:
    """FSRS parameters: FSRS-6's 21 weights w[0..20] (`weights`, None for FSRS's defaults)
    and the fsrs_parameters row they come from (`id`, None for the defaults)."""

    weights: tuple[float, ...] | None = None
    id: int | None = None


DEFAULTS = Parameters()
IN_USE_SQL = "SELECT id, parameters FROM fsrs_parameters WHERE kept ORDER BY id DESC LIMIT 1"


def parameters_in_use(con: Any) -> Parameters:
    """The parameters that schedule from now on: the newest kept fsrs_parameters row, else
    FSRS's defaults. `con`: a SQLAlchemy Connection or Session (read inside its
    transaction), or a sqlite3 connection."""
    if hasattr(con, "cursor"):  # sqlite3
        row = con.execute(IN_USE_SQL).fetchone()
    else:
        from sqlalchemy import text

        row = con.execute(text(IN_USE_SQL)).first()
    if row is None:
        return DEFAULTS
    return Parameters(tuple(json.loads(row[1])), row[0])


def make_scheduler(
    desired_retention: float = DEFAULT_RETENTION,
    fuzz: bool = True,
    parameters: Parameters = DEFAULTS,
):
    """An fsrs.Scheduler with these parameters (default: FSRS's own); its `parameters_id`
    attribute is the fsrs_parameters row they come from, kept with each review it schedules
    (quizzer.store). Raises ValueError for weights outside py-fsrs's bounds."""
    import fsrs

    weights = (
        fsrs.scheduler.DEFAULT_PARAMETERS if parameters.weights is None else parameters.weights
    )
    scheduler = fsrs.Scheduler(
        parameters=weights, desired_retention=desired_retention, enable_fuzzing=fuzz
    )
    scheduler.parameters_id = parameters.id
    return scheduler


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class _ReviewFuzz:
    """Stands in for the module-level random() that fsrs.scheduler draws its fuzz from: a
    number in [0, 1) that is a hash of the review being scheduled (the card's stability,
    difficulty and last review, the rating, the time), so the same history always gets
    the same fuzz. Outside quizzer.schedule.review it is plain random.random()."""

    def __init__(self) -> None:
        self.review: tuple[Any, int, datetime] | None = None

    def __call__(self) -> float:
        if self.review is None:
            return random.random()
        card, rating, now = self.review
        last = card.last_review
        key = struct.pack(
            "<ddqqB",
            -1.0 if card.stability is None else card.stability,
            -1.0 if card.difficulty is None else card.difficulty,
            -1 if last is None else (last - _EPOCH) // _MICROSECOND,
            (now - _EPOCH) // _MICROSECOND,
            rating,
        )
        digest = hashlib.blake2b(key, digest_size=8, person=b"quizzer-fuzz").digest()
        return int.from_bytes(digest, "little") / 2**64


_FUZZ = _ReviewFuzz()
_fuzz_lock = threading.Lock()


def review(scheduler: Any, card: Any, rating: int, now: datetime) -> Any:
    """fsrs.Scheduler.review_card with the review's own seeded fuzz; the new fsrs.Card.
    `now` must be timezone-aware."""
    import fsrs.scheduler as fsrs_scheduler

    with _fuzz_lock:
        if fsrs_scheduler.random is not _FUZZ:
            fsrs_scheduler.random = _FUZZ
        _FUZZ.review = (card, rating, now)
        try:
            new, _log = scheduler.review_card(card, _ratings()[rating], now)
        finally:
            _FUZZ.review = None
    return new


@functools.cache
def _ratings() -> tuple[Any, ...]:
    import fsrs

    return (None, *(fsrs.Rating(r) for r in (1, 2, 3, 4)))


def next_state(
    scheduler: Any, card_id: int, before: dict[str, Any], rating: Rating, now: datetime
) -> dict[str, Any]:
    """The card state after a review with `rating` at `now`, from the state before it."""
    card = review(scheduler, _to_fsrs(card_id, before), int(rating), now)
    return fsrs_state(card)


def fsrs_state(card: Any) -> dict[str, Any]:
    """An fsrs.Card as the fields of a card_states row."""
    return {
        "state": int(card.state),
        "step": card.step,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "due": card.due,
        "last_review": card.last_review,
    }


def decay_and_factor(weights: Sequence[float] | None = None) -> tuple[float, float]:
    """FSRS-6's forgetting curve R(t, S) = (1 + FACTOR * t / S) ** DECAY, t and S in days:
    DECAY = -w[20] and FACTOR = 0.9 ** (1 / DECAY) - 1, so that R(S, S) = 0.9 (FSRS-6, as
    fsrs.Scheduler computes it). `weights`: the 21 parameters in use (None: defaults)."""
    return _curve(None if weights is None else float(weights[20]))


@functools.cache
def _curve(w20: float | None) -> tuple[float, float]:
    if w20 is None:
        import fsrs

        w20 = fsrs.scheduler.DEFAULT_PARAMETERS[20]
    decay = -w20
    return decay, 0.9 ** (1 / decay) - 1


def recall_at(
    before: dict[str, Any], now: datetime, weights: Sequence[float] | None = None
) -> float | None:
    """FSRS's predicted probability of recall at `now`, for a card in state `before`
    (whole elapsed days, as fsrs computes it), with the parameters `weights` (None:
    defaults); None for a card never reviewed."""
    if before["state"] == NEW or not before["stability"] or not before["last_review"]:
        return None
    decay, factor = decay_and_factor(weights)
    days = max(0, (now - datetime.fromisoformat(before["last_review"])).days)
    return (1 + factor * days / before["stability"]) ** decay
