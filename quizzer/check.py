"""`quizzer check`: Anki's "Check Database", for quizzer.

1. SQLite's own `PRAGMA integrity_check` and `PRAGMA foreign_key_check`.
2. The schedule's invariant: every card's FSRS state (state, step, stability, difficulty,
   last review, due) equals the replay of its scheduled reviews, in the order they were
   recorded, from a new card. A card never reviewed must still be new. The due date is
   compared for cards whose last review was recorded with its desired retention (schema
   0004 and later); an older one's fuzz was not seeded, so only its memory state is.

`repair` rebuilds every card whose state differs from its replay, in one write
transaction that re-runs the replay under the lock, and reports each change. Reviews are
never changed: the history is the truth the states are rebuilt from.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from quizzer import schedule

FIELDS = ("state", "step", "stability", "difficulty", "last_review", "due")
MEMORY = FIELDS[:-1]  # what replays exactly whatever the fuzz


@dataclass
class Difference:
    """A card whose stored state is not the replay of its reviews."""

    card_id: int
    uid: str
    reviews: int
    fields: dict[str, tuple[Any, Any]]  # field -> (stored, replayed)


@dataclass
class Report:
    integrity: list[str] = field(default_factory=list)  # [] when SQLite finds nothing
    foreign_keys: int = 0  # rows whose card does not exist
    cards: int = 0
    reviews: int = 0  # scheduled reviews replayed
    due_not_compared: int = 0  # cards last reviewed before due dates were replayable
    differences: list[Difference] = field(default_factory=list)
    repaired: int = 0

    @property
    def ok(self) -> bool:
        return not self.integrity and not self.foreign_keys and not self.differences


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _schedulers(default_retention: float) -> Callable[[float | None], Any]:
    cache: dict[float, Any] = {}

    def get(retention: float | None) -> Any:
        r = default_retention if retention is None else retention
        if r not in cache:
            cache[r] = schedule.make_scheduler(r)
        return cache[r]

    return get


def _replay(
    con: sqlite3.Connection, default_retention: float, progress: Callable[[int], None] | None
) -> Iterator[tuple[int, int, Any, bool]]:
    """(card_id, reviews, replayed fsrs.Card or None if never reviewed, due comparable) for
    every card that has scheduled reviews, in card order."""
    import fsrs

    scheduler = _schedulers(default_retention)
    rows = con.execute(
        "SELECT card_id, rating, reviewed_at, desired_retention FROM reviews "
        "WHERE mode = 'review' AND rating IS NOT NULL ORDER BY card_id, id"
    )
    current, card, n, retention, done = None, None, 0, None, 0
    for card_id, rating, at, retention_then in rows:
        if card_id != current:
            if current is not None:
                yield current, n, card, retention is not None
            current, n = card_id, 0
            card = fsrs.Card(card_id=card_id, state=fsrs.State.Learning, step=0)
        card = schedule.review(scheduler(retention_then), card, rating, _time(at))
        retention = retention_then
        n += 1
        done += 1
        if progress is not None and done % 50_000 == 0:
            progress(done)
    if current is not None:
        yield current, n, card, retention is not None


def _stored(con: sqlite3.Connection) -> dict[int, tuple[str, tuple[Any, ...]]]:
    return {
        cid: (uid, (state, step, stab, diff, _time(last), _time(due)))
        for cid, uid, state, step, stab, diff, last, due in con.execute(
            "SELECT s.card_id, c.uid, s.state, s.step, s.stability, s.difficulty, "
            "s.last_review, s.due FROM card_states s JOIN cards c ON c.id = s.card_id"
        )
    }


def replay_differences(
    con: sqlite3.Connection,
    default_retention: float,
    report: Report,
    progress: Callable[[int], None] | None = None,
) -> dict[int, dict[str, Any]]:
    """Fill report (cards, reviews, differences); return the replayed state of every card
    that differs, as card_states fields."""
    stored = _stored(con)
    report.cards = len(stored)
    fixes: dict[int, dict[str, Any]] = {}
    reviewed: set[int] = set()
    for card_id, n, card, due_comparable in _replay(con, default_retention, progress):
        reviewed.add(card_id)
        report.reviews += n
        if card_id not in stored:
            continue  # a review of a card that is gone: foreign_key_check reports it
        uid, have = stored[card_id]
        want = schedule.fsrs_state(card)
        wanted = tuple(want[f] for f in FIELDS)
        names = FIELDS if due_comparable else MEMORY
        diff = {
            f: (have[i], wanted[i])
            for i, f in enumerate(FIELDS)
            if f in names and not _same(have[i], wanted[i])
        }
        if not due_comparable:
            report.due_not_compared += 1
        if diff:
            report.differences.append(Difference(card_id, uid, n, diff))
            if not due_comparable and "due" not in diff:
                want["due"] = have[5]  # keep a due date that cannot be replayed...
                if any(f in diff for f in MEMORY):  # ...unless the memory state was wrong
                    want["due"] = wanted[5]
            fixes[card_id] = want
    for card_id, (uid, have) in stored.items():
        if card_id in reviewed or have[0] == schedule.NEW and have[1:5] == (None,) * 4:
            continue
        new = {"state": schedule.NEW, "step": None, "stability": None, "difficulty": None,
               "last_review": None, "due": have[5]}  # fmt: skip
        diff = {f: (have[i], new[f]) for i, f in enumerate(MEMORY) if have[i] != new[f]}
        report.differences.append(Difference(card_id, uid, 0, diff))
        fixes[card_id] = new
    return fixes


def check(
    store: Any, repair: bool = False, progress: Callable[[str, int], None] | None = None
) -> Report:
    """Check the database behind store (see the module doc); with repair, rebuild every
    differing card's state from its replay, under the write lock. Raises
    quizzer.errors.DatabaseReadOnly for repair on a read-only database."""
    report = Report()
    retention = store.get_setting("retention")
    raw = store.engine.raw_connection()
    try:
        con = raw.driver_connection
        con.execute("BEGIN")  # one snapshot for the whole check
        try:
            report.integrity = [
                r[0] for r in con.execute("PRAGMA integrity_check(20)") if r[0] != "ok"
            ]
            report.foreign_keys = len(con.execute("PRAGMA foreign_key_check").fetchall())
            if report.integrity:
                return report
            step = (lambda n: progress("replayed", n)) if progress else None
            fixes = replay_differences(con, retention, report, step)
        finally:
            con.execute("ROLLBACK")
    finally:
        raw.close()
    if repair and fixes:
        report.repaired = _repair(store, retention)
    return report


def _repair(store: Any, retention: float) -> int:
    """Rebuild, under the write lock, every card whose state is not its replay (the replay
    is run again inside the transaction, so a session answering meanwhile is waited for)."""
    from sqlalchemy import update

    from quizzer.models import CardState

    with store.write() as s:
        con = s.connection().connection.driver_connection
        fixes = replay_differences(con, retention, Report())
        for card_id, values in fixes.items():
            s.execute(update(CardState).where(CardState.card_id == card_id).values(**values))
    return len(fixes)
