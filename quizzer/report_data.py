"""The report's own figures, beyond quizzer.stats.compute: SQL aggregation over index range
searches (never a Python loop over every review), so a report of 1,000,000 reviews stays
within seconds.

Weeks are the learner's local weeks, Monday to Sunday (quizzer.days); instants are compared
in UTC as the database stores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from quizzer import days
from quizzer.stats import PERIODS, REVIEWS, bounds_json, naive_utc
from quizzer.store import Store

# true retention per period: a range search of the covering index per week
WEEKS_SQL = f"""{PERIODS}
SELECT i, (SELECT json_array(COUNT(*), SUM(correct)) FROM {REVIEWS}
           WHERE reviewed_at >= p.lo AND reviewed_at < p.hi AND mode = 'review'
           AND prior_state = 2 AND correct IS NOT NULL)
FROM p WHERE hi IS NOT NULL"""

# per week, skill card (family x level): answers, right ones, mean stability before the
# review (FSRS stability in days; NULL for a card never reviewed). One range search of
# (card_id, reviewed_at) per skill card and week: the skill cards are a few dozen rows.
FAMILY_WEEKS_SQL = f"""{PERIODS},
sk AS MATERIALIZED (SELECT id, family, difficulty FROM cards WHERE kind = 'skill')
SELECT p.i, sk.family, sk.difficulty, COUNT(*), SUM(r.correct),
       AVG(json_extract(r.state_before, '$.stability'))
FROM p JOIN sk JOIN reviews r INDEXED BY ix_reviews_card_time
  ON r.card_id = sk.id AND r.reviewed_at >= p.lo AND r.reviewed_at < p.hi
WHERE p.hi IS NOT NULL AND r.correct IS NOT NULL
GROUP BY p.i, sk.family, sk.difficulty"""

# answers per skill in the last 30 days, and the FSRS state each skill is in now
SKILLS_SQL = """
SELECT c.family, c.difficulty, COUNT(r.id), SUM(r.correct), s.state, s.stability,
       CAST(julianday(:now) - julianday(s.last_review) AS INTEGER)
FROM cards c JOIN card_states s ON s.card_id = c.id
LEFT JOIN reviews r INDEXED BY ix_reviews_card_time
  ON r.card_id = c.id AND r.reviewed_at >= :d30 AND r.correct IS NOT NULL
WHERE c.kind = 'skill'
GROUP BY c.id"""

# the first moment a learned card (FSRS Review state) falls due
NEXT_REVIEW_SQL = """
SELECT MIN(s.due) FROM card_states s JOIN cards c ON c.id = s.card_id
WHERE c.active AND s.state = 2"""


def first_answer(store: Store) -> date | None:
    """The learner's local date of their first answer (None before any): the covering
    index's first entry."""
    from quizzer.models import UTCDateTime

    with store.engine.connect() as c:
        raw = c.execute(text(f"SELECT MIN(reviewed_at) FROM {REVIEWS}")).scalar()
    if raw is None:
        return None
    return days.local_date(UTCDateTime().process_result_value(datetime.fromisoformat(raw), None))


def weekly_retention(store: Store, now: datetime, weeks: int = 26) -> list[tuple[str, int, float]]:
    """(Monday, reviews counted, true retention) per local week, Monday to Sunday, of the
    last `weeks` weeks (this one included), as in stats; weeks without reviews are left out."""
    first = days.week_start(days.today(now)) - timedelta(weeks=weeks - 1)
    mondays = [first + timedelta(weeks=i) for i in range(weeks + 1)]
    bounds = bounds_json([days.day_start(d) for d in mondays])
    with store.engine.connect() as c:
        found = [(i, json.loads(agg)) for i, agg in c.execute(text(WEEKS_SQL), {"bounds": bounds})]
    return [(mondays[i].isoformat(), n, right / n) for i, (n, right) in found if n]


@dataclass
class Week:
    """One local week of one family: answers, right answers, and per level the mean FSRS
    stability (days) at the week's reviews of that level."""

    monday: date
    answered: int = 0
    right: int = 0
    stability: dict[int, float] = field(default_factory=dict)


def family_weeks(
    store: Store, now: datetime, first: date, weeks: int = 52
) -> dict[str, list[Week]]:
    """{family: its weeks with answers, oldest first} over the local weeks from the week of
    `first` (the first answer) to this one, at most the last `weeks` of them."""
    this_week = days.week_start(days.today(now))
    start = max(days.week_start(first), this_week - timedelta(weeks=weeks - 1))
    n = (this_week - start).days // 7 + 1
    mondays = [start + timedelta(weeks=i) for i in range(n + 1)]
    bounds = bounds_json([days.day_start(d) for d in mondays])
    out: dict[str, dict[int, Week]] = {}
    with store.engine.connect() as c:
        rows = c.execute(text(FAMILY_WEEKS_SQL), {"bounds": bounds})
        for i, family, level, answered, right, stability in rows:
            wk = out.setdefault(family, {}).setdefault(i, Week(mondays[i]))
            wk.answered += answered
            wk.right += int(right or 0)
            if stability is not None:
                wk.stability[level] = stability
    return {f: [ws[i] for i in sorted(ws)] for f, ws in sorted(out.items())}


@dataclass(frozen=True)
class Skill:
    """A skill's last 30 days (answers, right ones) and FSRS's recall of it now (None while
    it was never reviewed on the schedule)."""

    family: str
    level: int
    answered: int
    right: int
    recall: float | None


def skills(store: Store, now: datetime) -> dict[tuple[str, int], Skill]:
    """Every skill card, by (family, level). Recall is FSRS's forgetting curve
    R = (1 + FACTOR * t / S) ** DECAY at whole elapsed days t, with the parameters in use,
    as quizzer.stats computes it."""
    from quizzer.schedule import decay_and_factor, parameters_in_use

    p = {"now": naive_utc(now), "d30": naive_utc(now - timedelta(days=30))}
    with store.engine.connect() as c:
        rows = list(c.execute(text(SKILLS_SQL), p))
        decay, factor = decay_and_factor(parameters_in_use(c).weights)
    out = {}
    for family, level, answered, right, state, stability, elapsed in rows:
        recall = None
        if state and stability and elapsed is not None:
            recall = (1 + factor * max(0, elapsed) / stability) ** decay
        out[family, level] = Skill(family, level, answered, int(right or 0), recall)
    return out


def next_review(store: Store) -> datetime | None:
    """When the first learned card (FSRS Review state) falls due, as an aware UTC time."""
    from quizzer.models import UTCDateTime

    with store.engine.connect() as c:
        raw = c.execute(text(NEXT_REVIEW_SQL)).scalar()
    if raw is None:
        return None
    return UTCDateTime().process_result_value(datetime.fromisoformat(raw), None)


def parameters_in_use(store: Store) -> dict[str, Any] | None:
    """quizzer.optimize.in_use(store): None while FSRS's default parameters are in use, else
    {parameters, fitted_at, optimizer, reviews_fitted, reviews_held_out, default: {log_loss,
    rmse_bins}, fitted: {log_loss, rmse_bins}} (the figures on the held-out reviews)."""
    try:
        from quizzer.optimize import in_use
    except ModuleNotFoundError as e:  # a quizzer without `quizzer optimize`: defaults
        if e.name != "quizzer.optimize":
            raise
        return None
    return in_use(store)
