"""`quizzer check`: Anki's "Check Database", for quizzer.

1. SQLite's own `PRAGMA integrity_check` and `PRAGMA foreign_key_check`.
2. The schedule's invariant: every card's FSRS state (state, step, stability, difficulty,
   last review, due) equals the replay of its scheduled reviews, in the order they were
   recorded, from a new card, each with the desired retention and FSRS parameters it was
   recorded with (reviews.parameters_id: `quizzer optimize`'s fitted ones, or defaults).
   A card never reviewed must still be new. The due date is
   compared for cards whose last review was recorded with its desired retention (schema
   0004 and later); an older one's fuzz was not seeded, so only its memory state is.

The integrity check runs on its own connection while the replay runs; a long history is
replayed by several processes, each over a range of cards in its own consistent snapshot
(a card's state and its reviews are always read together).

`repair` rebuilds every card whose state differs from its replay and reports each change.
The write lock is held only for re-replaying those cards (and any card answered since the
check read it), so sessions answering meanwhile wait milliseconds, not the whole check.
Reviews are never changed: the history is the truth the states are rebuilt from.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from quizzer import schedule

FIELDS = ("state", "step", "stability", "difficulty", "last_review", "due")
MEMORY = FIELDS[:-1]  # what replays exactly whatever the fuzz
PARALLEL_FROM = 100_000  # scheduled reviews; below this one process is quicker
SCHEDULED = "mode = 'review' AND rating IS NOT NULL"
MAX_IDS = 30_000  # SQLite's limit on an IN list's parameters is 32,766


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
    last_review_id: int = 0  # the newest review the replay saw

    @property
    def ok(self) -> bool:
        return not self.integrity and not self.foreign_keys and not self.differences

    def add(self, part: Report) -> None:
        self.cards += part.cards
        self.reviews += part.reviews
        self.due_not_compared += part.due_not_compared
        self.differences += part.differences
        self.last_review_id = max(self.last_review_id, part.last_review_id)


@dataclass(frozen=True)
class Cards:
    """Which cards to replay: ids from lo to hi (inclusive), or exactly `ids`."""

    lo: int = 0
    hi: int = 2**62
    ids: tuple[int, ...] | None = None

    def where(self, column: str) -> tuple[str, list[int]]:
        if self.ids is not None:
            return f"{column} IN ({','.join('?' * len(self.ids))})", list(self.ids)
        return f"{column} BETWEEN ? AND ?", [self.lo, self.hi]


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _schedulers(
    con: sqlite3.Connection, default_retention: float
) -> Callable[[float | None, int | None], Any]:
    """The scheduler a review was recorded with, from its desired retention and FSRS
    parameters (reviews.parameters_id, NULL: FSRS's defaults), made once each."""
    weights = {
        pid: tuple(json.loads(text))
        for pid, text in con.execute("SELECT id, parameters FROM fsrs_parameters")
    }
    cache: dict[tuple[float, int | None], Any] = {}

    def get(retention: float | None, parameters_id: int | None) -> Any:
        r = default_retention if retention is None else retention
        if (r, parameters_id) not in cache:
            params = schedule.DEFAULTS
            if parameters_id in weights:  # a row that is gone: foreign_key_check reports it
                params = schedule.Parameters(weights[parameters_id], parameters_id)
            cache[r, parameters_id] = schedule.make_scheduler(r, parameters=params)
        return cache[r, parameters_id]

    return get


def _replay(
    con: sqlite3.Connection, cards: Cards, default_retention: float, report: Report
) -> Iterator[tuple[int, int, Any, bool]]:
    """(card_id, reviews, replayed fsrs.Card, due comparable) for every card of `cards`
    that has scheduled reviews, in card order. Each review is replayed with the desired
    retention and the FSRS parameters it was recorded with."""
    import fsrs

    scheduler = _schedulers(con, default_retention)
    where, args = cards.where("card_id")
    rows = con.execute(
        f"SELECT card_id, rating, reviewed_at, desired_retention, parameters_id FROM reviews "
        f"WHERE {SCHEDULED} AND {where} ORDER BY card_id, id",
        args,
    )
    newest = con.execute(f"SELECT MAX(id) FROM reviews WHERE {where}", args).fetchone()[0]
    report.last_review_id = max(report.last_review_id, newest or 0)
    current, card, n, retention, sched = None, None, 0, None, scheduler(None, None)
    then: tuple[float | None, int | None] = (None, None)
    review, parse, new_card = schedule.review, datetime.fromisoformat, fsrs.Card
    learning = fsrs.State.Learning
    for card_id, rating, at, retention_then, parameters_then in rows:
        if card_id != current:
            if current is not None:
                yield current, n, card, retention is not None
            current, n = card_id, 0
            card = new_card(card_id=card_id, state=learning, step=0)
        if (retention_then, parameters_then) != then:
            then = (retention_then, parameters_then)
            sched = scheduler(*then)
        retention = retention_then
        card = review(sched, card, rating, parse(at).replace(tzinfo=UTC))
        n += 1
    if current is not None:
        yield current, n, card, retention is not None


MISSING = "no state row"  # the field a card without its card_states row differs in


def _stored(con: sqlite3.Connection, cards: Cards) -> dict[int, tuple[str, tuple[Any, ...]]]:
    """Every card of `cards` with its stored state; a card whose card_states row is gone
    (damage, a hand edit) has None for its state."""
    where, args = cards.where("c.id")
    return {
        cid: (uid, (state, step, stab, diff, _time(last), _time(due)) if has else None)
        for cid, uid, has, state, step, stab, diff, last, due in con.execute(
            "SELECT c.id, c.uid, s.card_id IS NOT NULL, s.state, s.step, s.stability, "
            f"s.difficulty, s.last_review, s.due FROM cards c LEFT JOIN card_states s "
            f"ON s.card_id = c.id WHERE {where}",
            args,
        )
    }


def replay_differences(
    con: sqlite3.Connection, cards: Cards, default_retention: float, report: Report
) -> dict[int, dict[str, Any]]:
    """Replay `cards` on con (inside the caller's transaction); fill report; return the
    replayed state, as card_states fields, of every card that differs."""
    stored = _stored(con, cards)
    report.cards += len(stored)
    fixes: dict[int, dict[str, Any]] = {}
    reviewed: set[int] = set()
    for card_id, n, card, due_comparable in _replay(con, cards, default_retention, report):
        reviewed.add(card_id)
        report.reviews += n
        if card_id not in stored:
            continue  # a review of a card that is gone: foreign_key_check reports it
        uid, have = stored[card_id]
        want = schedule.fsrs_state(card)
        if have is None:
            report.differences.append(Difference(card_id, uid, n, {MISSING: ("", "made")}))
            fixes[card_id] = want | {MISSING: True}
            continue
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
            if not due_comparable and not any(f in diff for f in MEMORY):
                want["due"] = have[5]  # keep a due date that cannot be replayed
            fixes[card_id] = want
    for card_id, (uid, have) in stored.items():
        if card_id in reviewed:
            continue
        if have is None:  # never reviewed, and its row gone: a new card again
            report.differences.append(Difference(card_id, uid, 0, {MISSING: ("", "made")}))
            fixes[card_id] = {"state": schedule.NEW, "due": datetime.now(UTC), MISSING: True}
            continue
        if have[0] == schedule.NEW and have[1:5] == (None,) * 4:
            continue
        new = {"state": schedule.NEW, "step": None, "stability": None, "difficulty": None,
               "last_review": None, "due": have[5]}  # fmt: skip
        diff = {f: (have[i], new[f]) for i, f in enumerate(MEMORY) if have[i] != new[f]}
        report.differences.append(Difference(card_id, uid, 0, diff))
        fixes[card_id] = new
    return fixes


def _replay_part(uri: str, cards: Cards, retention: float) -> tuple[Report, dict[int, Any]]:
    """One process's share: its cards, replayed in one snapshot of its own."""
    report = Report()
    with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as con:
        con.execute("BEGIN")
        try:
            return report, replay_differences(con, cards, retention, report)
        finally:
            con.execute("ROLLBACK")


def _integrity(uri: str, out: Report) -> None:
    try:
        with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as con:
            rows = con.execute("PRAGMA integrity_check(20)")
            out.integrity = [r[0] for r in rows if r[0] != "ok"]
            out.foreign_keys = len(con.execute("PRAGMA foreign_key_check").fetchall())
    except sqlite3.Error as exc:  # the check itself could not read the file
        out.integrity = [f"SQLite could not check the file: {exc}"]


def _ranges(uri: str, parts: int) -> list[Cards]:
    """Card ranges holding about equal numbers of reviews."""
    with closing(sqlite3.connect(uri, uri=True)) as con:
        total = con.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        if parts < 2 or total < PARALLEL_FROM:
            return [Cards()]
        cuts = []
        for k in range(1, parts):  # the card_id column alone: an index-only scan
            row = con.execute(
                "SELECT card_id FROM reviews INDEXED BY ix_reviews_card_time "
                "ORDER BY card_id LIMIT 1 OFFSET ?",
                (total * k // parts,),
            ).fetchone()
            cuts.append(row[0])
    bounds = [0, *sorted(set(cuts)), 2**62]
    return [Cards(lo, hi - 1 if i < len(bounds) - 2 else hi) for i, (lo, hi) in
            enumerate(zip(bounds, bounds[1:], strict=False))]  # fmt: skip


def check(store: Any, repair: bool = False, workers: int | None = None) -> Report:
    """Check the database behind store (see the module doc); with repair, rebuild every
    differing card's state from its replay, under the write lock. The replay is split
    across `workers` processes (default: one per core, at most 4) once the history holds
    PARALLEL_FROM reviews. Raises quizzer.errors.DatabaseReadOnly for repair on a
    read-only database."""
    import multiprocessing

    from quizzer.db import reader_uri

    retention = store.get_setting("retention")
    uri = reader_uri(store.file)
    report = Report()
    integrity = threading.Thread(target=_integrity, args=(uri, report), daemon=True)
    ranges = _ranges(uri, workers or min(4, os.cpu_count() or 1))
    try:
        if len(ranges) == 1:
            integrity.start()
            parts = [_replay_part(uri, ranges[0], retention)]
        else:  # spawned, not forked: a forked child would inherit SQLite's lock bookkeeping
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(len(ranges), mp_context=spawn) as pool:
                futures = [pool.submit(_replay_part, uri, r, retention) for r in ranges]
                integrity.start()
                parts = [f.result() for f in futures]
    except sqlite3.Error as exc:  # damage the replay ran into: SQLite's own check says more
        if integrity.ident is not None:  # started
            integrity.join()
        if report.integrity:
            return report
        from quizzer.errors import DatabaseError
        from quizzer.store import describe_failure

        raise DatabaseError(f"cannot read {store.path}: {describe_failure(exc)}") from None
    integrity.join()
    fixes = {}
    for part, part_fixes in parts:
        report.add(part)
        fixes |= part_fixes
    report.differences.sort(key=lambda d: d.card_id)
    if repair and fixes and not report.integrity:
        report.repaired = _repair(store, retention, set(fixes), report.last_review_id)
    return report


def _repair(store: Any, retention: float, differing: set[int], seen: int) -> int:
    """Rebuild, under the write lock, the cards that differed, and any card answered since
    the check read it (its new reviews are replayed too); return how many were rebuilt."""
    from sqlalchemy import insert, update

    from quizzer.models import CardState

    with store.write() as s:
        con = s.connection().connection.driver_connection
        since = {r[0] for r in con.execute("SELECT card_id FROM reviews WHERE id > ?", (seen,))}
        ids = differing | since
        cards = Cards(ids=tuple(sorted(ids))) if len(ids) <= MAX_IDS else Cards()
        fixes = replay_differences(con, cards, retention, Report())
        for card_id, values in fixes.items():
            if values.pop(MISSING, False):
                s.execute(insert(CardState).values(card_id=card_id, **values))
            else:
                s.execute(update(CardState).where(CardState.card_id == card_id).values(**values))
    return len(fixes)
