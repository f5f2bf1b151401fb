"""Progress figures, computed by SQL aggregation (never a Python loop over all reviews).

Every figure is defined in FIGURES (shown by `quizzer stats --help` and in the report),
so a learner never has to guess what a number means. Days are the learner's local days.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from quizzer.figures import WEAKEST_MIN_ANSWERS
from quizzer.models import utcnow
from quizzer.store import Store, local_day_start

STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}


def offset_minutes(now: datetime) -> int:
    off = now.astimezone().utcoffset()
    return int(off.total_seconds() // 60) if off else 0


def naive_utc(dt: datetime) -> str:
    """A UTC datetime in the form SQLAlchemy stores it in SQLite."""
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


REVIEWS = "reviews INDEXED BY ix_reviews_stats"  # every figure reads the covering index

# One row per local day since the first answer: answers, time, reviews, practice. A range
# search of the covering index per day, no sort of all reviews.
DAYS_SQL = f"""
WITH RECURSIVE d(i, lo, hi) AS (
  SELECT 0, :first_day, datetime(:first_day, '+1 day')
  UNION ALL SELECT i + 1, hi, datetime(hi, '+1 day') FROM d WHERE i < :ndays - 1)
SELECT i, (SELECT json_array(COUNT(*), SUM(duration_ms), SUM(mode = 'review'),
                             SUM(mode = 'practice'))
           FROM {REVIEWS} WHERE reviewed_at >= d.lo AND reviewed_at < d.hi) FROM d"""

# answers per card in the last 30 days, grouped on the small result, then by skill/deck
WINDOW_SQL = f"""
SELECT COALESCE(c.family, 'concept:' || c.deck), c.difficulty, SUM(x.n), SUM(x.r)
FROM (SELECT card_id, COUNT(*) AS n, SUM(correct) AS r FROM {REVIEWS}
      WHERE reviewed_at >= :d30 AND correct IS NOT NULL GROUP BY card_id) x
JOIN cards c ON c.id = x.card_id GROUP BY c.family, c.deck, c.difficulty"""


def compute(store: Store, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    off = offset_minutes(now)
    shift = f"{off:+d} minutes"
    start = local_day_start(now)
    end = start + timedelta(days=1)
    today = now.astimezone().date()
    p = {
        "now": naive_utc(now),
        "start": naive_utc(start),
        "end": naive_utc(end),
        "d30": naive_utc(now - timedelta(days=30)),
        "shift": shift,
    }
    retention_target = store.get_setting("retention")
    with store.engine.connect() as c:

        def rows(sql: str, **extra: Any) -> list[Any]:
            return list(c.execute(text(sql), {**p, **extra}))

        def one(sql: str, **extra: Any) -> Any:
            return c.execute(text(sql), {**p, **extra}).scalar()

        by_state = dict(rows(
            "SELECT s.state, COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id "
            "WHERE c.active GROUP BY s.state"
        ))  # fmt: skip
        active_due = (
            "FROM card_states s JOIN cards c ON c.id = s.card_id WHERE c.active AND s.state != 0"
        )
        due = {
            "now": one(f"SELECT COUNT(*) {active_due} AND s.due <= :now"),
            "today": one(f"SELECT COUNT(*) {active_due} AND s.due < :end"),
            "overdue": one(f"SELECT COUNT(*) {active_due} AND s.due < :start"),
        }
        forecast_rows = dict(rows(
            # whole days since the start of today (local midnight, in UTC); overdue -> 0
            f"SELECT MAX(0, CAST(julianday(s.due) - julianday(:start) AS INTEGER)) AS d,"
            f" COUNT(*) {active_due} AND s.due < :horizon GROUP BY d",
            horizon=naive_utc(start + timedelta(days=30)),
        ))  # fmt: skip
        first = one(f"SELECT MIN(reviewed_at) FROM {REVIEWS}")
        days: list[tuple[date, list[int]]] = []
        if first is not None:
            first_local = datetime.fromisoformat(first).replace(tzinfo=UTC).astimezone().date()
            first_day = start - timedelta(days=(today - first_local).days)
            ndays = (today - first_local).days + 1
            for i, agg in rows(DAYS_SQL, first_day=naive_utc(first_day), ndays=ndays):
                days.append((first_local + timedelta(days=i), json.loads(agg)))
        ret_n, ret_right = rows(
            f"SELECT COUNT(*), SUM(correct) FROM {REVIEWS} WHERE reviewed_at >= :d30"
            " AND mode = 'review' AND prior_state = 2 AND correct IS NOT NULL"
        )[0]
        acc_rows = rows(WINDOW_SQL)
        recall_rows = rows(
            "SELECT c.family, c.difficulty, s.stability,"
            " CAST(julianday(:now) - julianday(s.last_review) AS INTEGER)"
            " FROM cards c JOIN card_states s ON s.card_id = c.id"
            " WHERE c.kind = 'skill' AND c.active AND s.state != 0 AND s.stability IS NOT NULL"
        )
        mis_rows = rows(
            "SELECT c.family, x.m, SUM(x.n) FROM (SELECT card_id, misconception AS m, COUNT(*) AS n"
            f" FROM {REVIEWS} WHERE reviewed_at >= :d30 AND misconception IS NOT NULL"
            " GROUP BY card_id, misconception) x JOIN cards c ON c.id = x.card_id"
            " GROUP BY c.family, x.m"
        )
        wrong_30d = one(f"SELECT COUNT(*) FROM {REVIEWS} WHERE reviewed_at >= :d30 AND correct = 0")

    def total(since: date | None, k: int) -> int:
        return sum(agg[k] or 0 for d, agg in days if since is None or d >= since)

    return {
        "generated_at": now.isoformat(),
        "timezone_offset_minutes": off,
        "cards": {name: by_state.get(k, 0) for k, name in STATE_NAMES.items()}
        | {"total": sum(by_state.values())},
        "due": due,
        "forecast": [
            {"date": (today + timedelta(days=i)).isoformat(), "due": forecast_rows.get(i, 0)}
            for i in range(30)
        ],
        "heatmap": [
            {"date": d.isoformat(), "answers": agg[0]}
            for d, agg in days
            if agg[0] and (today - d).days < 365
        ],
        "streak": _streaks([d.isoformat() for d, agg in days if agg[0]], today),
        "time_spent_minutes": {
            k: round(total(since, 1) / 60000, 1)
            for k, since in (
                ("all", None),
                ("today", today),
                ("7d", today - timedelta(days=6)),
                ("30d", today - timedelta(days=29)),
            )
        },
        "answers": {
            "total": total(None, 0),
            "reviews": total(None, 2),
            "practice": total(None, 3),
            "today": total(today, 0),
        },
        "retention": {
            "true_30d": round(ret_right / ret_n, 4) if ret_n else None,
            "reviews_counted": ret_n or 0,
            "desired": retention_target,
        },
        "accuracy_30d": _accuracy(acc_rows),
        "weakest_skills": _weakest(acc_rows, recall_rows),
        "misconceptions": _misconceptions(mis_rows, wrong_30d or 0),
    }


def _streaks(days: list[str], today: Any) -> dict[str, int]:
    from datetime import date

    ds = [date.fromisoformat(d) for d in days]
    longest = run = 0
    prev = None
    for d in ds:
        run = run + 1 if prev is not None and (d - prev).days == 1 else 1
        longest = max(longest, run)
        prev = d
    current = 0
    if ds and (today - ds[-1]).days <= 1:  # answered today, or yesterday and today not yet
        current = 1
        for a, b in zip(reversed(ds[:-1]), reversed(ds[1:]), strict=True):
            if (b - a).days != 1:
                break
            current += 1
    return {"current": current, "longest": longest}


def _ratio(right: int, n: int) -> float:
    return round(right / n, 4) if n else 0.0


def _accuracy(acc_rows: list[Any]) -> dict[str, Any]:
    from quizzer import generators

    fam, topic = {}, {}
    for group, _level, n, right in acc_rows:
        right = int(right or 0)
        if group.startswith("concept:"):
            from quizzer import decks

            deck_id = group.removeprefix("concept:")
            t = next((d.topic for d in decks.load_decks() if d.id == deck_id), "Other")
        else:
            t = generators.get(group).topic if group in generators.families() else "Other"
        for table, key in ((fam, group), (topic, t)):
            a = table.setdefault(key, {"answered": 0, "right": 0})
            a["answered"] += n
            a["right"] += right
    for table in (fam, topic):
        for a in table.values():
            a["accuracy"] = _ratio(a["right"], a["answered"])
    return {"by_family": dict(sorted(fam.items())), "by_topic": dict(sorted(topic.items()))}


def _recall(stability: float, days: int) -> float:
    from quizzer.schedule import decay_and_factor

    decay, factor = decay_and_factor()
    return (1 + factor * max(0, days) / stability) ** decay


def _weakest(acc_rows: list[Any], recall_rows: list[Any]) -> list[dict[str, Any]]:
    recall = {(f, lvl): round(_recall(s, d), 4) for f, lvl, s, d in recall_rows}
    skills = [
        {
            "skill": f"{group}:{level}",
            "family": group,
            "level": level,
            "answered": n,
            "right": int(right or 0),
            "accuracy": _ratio(int(right or 0), n),
            "recall": recall.get((group, level)),
        }
        for group, level, n, right in acc_rows
        if level is not None and n >= WEAKEST_MIN_ANSWERS
    ]
    skills.sort(key=lambda s: (s["accuracy"], s["recall"] if s["recall"] is not None else 2,
                               s["skill"]))  # fmt: skip
    return skills[:5]


def weakest_skills(
    store: Store, now: datetime | None = None, top: int = 5
) -> list[tuple[str, int]]:
    """(family, level) of the skills to drill first: lowest accuracy in the last 30 days,
    then lowest recall (any number of answers); [] when there is no history."""
    now = now or utcnow()
    p = {"d30": naive_utc(now - timedelta(days=30)), "now": naive_utc(now)}
    with store.engine.connect() as c:
        acc_rows = list(
            c.execute(
                text(
                    "SELECT c.family, c.difficulty, COUNT(*), SUM(r.correct) FROM reviews r"
                    " JOIN cards c ON c.id = r.card_id WHERE r.reviewed_at >= :d30"
                    " AND r.correct IS NOT NULL AND c.kind = 'skill'"
                    " GROUP BY c.family, c.difficulty"
                ),
                p,
            )
        )
        recall_rows = list(c.execute(text(
            "SELECT c.family, c.difficulty, s.stability,"
            " CAST(julianday(:now) - julianday(s.last_review) AS INTEGER)"
            " FROM cards c JOIN card_states s ON s.card_id = c.id"
            " WHERE c.kind = 'skill' AND s.state != 0 AND s.stability IS NOT NULL"
        ), p))  # fmt: skip
    recall = {(f, lvl): _recall(s, d) for f, lvl, s, d in recall_rows}
    ranked = sorted(
        acc_rows,
        key=lambda r: (int(r[3] or 0) / r[2], recall.get((r[0], r[1]), 2.0), r[0], r[1]),
    )
    return [(f, lvl) for f, lvl, _n, _r in ranked[:top]]


def _misconceptions(mis_rows: list[Any], wrong: int) -> list[dict[str, Any]]:
    from quizzer import generators

    items = []
    for family, mid, n in mis_rows:
        why = generators.explanation(family, mid, "en") if family in generators.families() else ""
        items.append({"id": mid, "family": family, "count": n,
                      "share_of_wrong": _ratio(n, wrong), "explanation": why})  # fmt: skip
    items.sort(key=lambda m: (-m["count"], m["family"], m["id"]))
    return items[:5]
