"""Progress figures, computed by SQL aggregation (never a Python loop over all reviews).

Every figure is defined in FIGURES (shown by `quizzer stats --help` and in the report),
so a learner never has to guess what a number means. Days are the learner's local days.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from quizzer import days, parallel
from quizzer.calibration import calibration
from quizzer.figures import WEAKEST_MIN_ANSWERS
from quizzer.models import split_mistakes, utcnow
from quizzer.store import Store

STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}


def naive_utc(dt: datetime) -> str:
    """A UTC datetime in the form SQLAlchemy stores it in SQLite."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def bounds_json(instants: list[datetime]) -> str:
    """Period boundaries (e.g. days.day_starts) for PERIODS as SQL parameter :bounds."""
    return json.dumps([naive_utc(t) for t in instants])


REVIEWS = "reviews INDEXED BY ix_reviews_stats"  # every figure reads the covering index

# Periods [lo, hi) from consecutive boundaries computed in Python (days.day_starts: local
# days are 23 to 25 hours long across a DST change); i is the period's index.
PERIODS = (
    "WITH p(i, lo, hi) AS (SELECT key, value, lead(value) OVER (ORDER BY key) FROM"
    " json_each(:bounds))"
)

# One row per local day since the first answer: answers, time, reviews, practice. A range
# search of the covering index per day, no sort of all reviews.
DAYS_SQL = f"""{PERIODS}
SELECT i, (SELECT json_array(COUNT(*), SUM(duration_ms), SUM(mode = 'review'),
                             SUM(mode = 'practice'))
           FROM {REVIEWS} WHERE reviewed_at >= p.lo AND reviewed_at < p.hi)
FROM p WHERE hi IS NOT NULL"""

ACTIVE_DUE = "FROM card_states s JOIN cards c ON c.id = s.card_id WHERE c.active AND s.state != 0"

# cards due on each local day: a range search of ix_card_states_due per day
FORECAST_SQL = f"""{PERIODS}
SELECT i, (SELECT COUNT(*) {ACTIVE_DUE} AND s.due >= p.lo AND s.due < p.hi)
FROM p WHERE hi IS NOT NULL"""

# answers per card in the last 30 days, grouped on the small result, then by skill/deck
WINDOW_SQL = f"""
SELECT COALESCE(c.family, 'concept:' || c.deck), c.difficulty, SUM(x.n), SUM(x.r)
FROM (SELECT card_id, COUNT(*) AS n, SUM(correct) AS r FROM {REVIEWS}
      WHERE reviewed_at >= :d30 AND correct IS NOT NULL GROUP BY card_id) x
JOIN cards c ON c.id = x.card_id GROUP BY c.family, c.deck, c.difficulty"""


def compute(store: Store, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    today = days.today(now)
    ahead = days.day_starts(today, today + timedelta(days=29))  # today and 29 more days
    p = {
        "now": naive_utc(now),
        "start": naive_utc(ahead[0]),
        "end": naive_utc(ahead[1]),
        "d30": naive_utc(now - timedelta(days=30)),
    }
    retention_target = store.get_setting("retention")
    # calibration reads every scheduled review: on the other core while the queries below
    # run (quizzer.parallel)
    cal = parallel.start(calibration, store)
    figures = _figures(store, now, today, ahead, p, retention_target)
    figures["calibration"] = cal()
    figures["calibration"]["fitted"] = _fitted(store)
    return figures


def _fitted(store: Store) -> dict[str, Any] | None:
    """The fitted parameters in use (quizzer optimize), with the held-out figures that had
    them kept; None while FSRS's defaults schedule."""
    from quizzer.optimize import in_use

    used = in_use(store)
    if used is None:
        return None
    return {
        "fitted_at": used["fitted_at"].isoformat(),
        "reviews_held_out": used["reviews_held_out"],
        "default": used["default"],
        "fitted": used["fitted"],
    }


def _figures(
    store: Store, now: datetime, today: date, ahead: list[datetime], p: dict[str, Any],
    retention_target: float,
) -> dict[str, Any]:  # fmt: skip
    with store.engine.connect() as c:

        def rows(sql: str, **extra: Any) -> list[Any]:
            return list(c.execute(text(sql), {**p, **extra}))

        def one(sql: str, **extra: Any) -> Any:
            return c.execute(text(sql), {**p, **extra}).scalar()

        by_state = dict(rows(
            "SELECT s.state, COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id "
            "WHERE c.active GROUP BY s.state"
        ))  # fmt: skip
        due = {
            "now": one(f"SELECT COUNT(*) {ACTIVE_DUE} AND s.due <= :now"),
            "today": one(f"SELECT COUNT(*) {ACTIVE_DUE} AND s.due < :end"),
            "overdue": one(f"SELECT COUNT(*) {ACTIVE_DUE} AND s.due < :start"),
        }
        # today's count includes the overdue cards; each later day counts its own
        later = dict(rows(FORECAST_SQL, bounds=bounds_json(ahead[1:])))
        forecast = [due["today"]] + [later.get(i, 0) for i in range(29)]
        first = one(f"SELECT MIN(reviewed_at) FROM {REVIEWS}")
        per_day: list[tuple[date, list[int]]] = []
        if first is not None:
            first_local = days.local_date(datetime.fromisoformat(first))
            bounds = bounds_json(days.day_starts(first_local, today))
            for i, agg in rows(DAYS_SQL, bounds=bounds):
                per_day.append((first_local + timedelta(days=i), json.loads(agg)))
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
        curve = _curve(c)
        mis_rows = rows(
            "SELECT c.family, x.m, SUM(x.n) FROM (SELECT card_id, misconception AS m, COUNT(*) AS n"
            f" FROM {REVIEWS} WHERE reviewed_at >= :d30 AND misconception IS NOT NULL"
            " GROUP BY card_id, misconception) x JOIN cards c ON c.id = x.card_id"
            " GROUP BY c.family, x.m"
        )
        wrong_30d = one(f"SELECT COUNT(*) FROM {REVIEWS} WHERE reviewed_at >= :d30 AND correct = 0")

    def total(since: date | None, k: int) -> int:
        return sum(agg[k] or 0 for d, agg in per_day if since is None or d >= since)

    return {
        "generated_at": now.isoformat(),
        "timezone": days.zone_name(),
        "cards": {name: by_state.get(k, 0) for k, name in STATE_NAMES.items()}
        | {"total": sum(by_state.values())},
        "due": due,
        "forecast": [
            {"date": (today + timedelta(days=i)).isoformat(), "due": n}
            for i, n in enumerate(forecast)
        ],
        "heatmap": [
            {"date": d.isoformat(), "answers": agg[0]}
            for d, agg in per_day
            if agg[0] and (today - d).days < 365
        ],
        "streak": _streaks([d.isoformat() for d, agg in per_day if agg[0]], today),
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
        "weakest_skills": _weakest(acc_rows, recall_rows, curve),
        "misconceptions": _misconceptions(mis_rows, wrong_30d or 0),
    }


def _streaks(dates: list[str], today: date) -> dict[str, int]:
    ds = [date.fromisoformat(d) for d in dates]
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


def _curve(c: Any) -> tuple[float, float]:
    """FSRS's forgetting curve (decay, factor) of the parameters in use (quizzer optimize's
    fitted ones, else the defaults), read on connection c."""
    from quizzer.schedule import decay_and_factor, parameters_in_use

    return decay_and_factor(parameters_in_use(c).weights)


def _recall(stability: float, elapsed_days: int, curve: tuple[float, float]) -> float:
    decay, factor = curve
    return (1 + factor * max(0, elapsed_days) / stability) ** decay


def _weakest(
    acc_rows: list[Any], recall_rows: list[Any], curve: tuple[float, float]
) -> list[dict[str, Any]]:
    recall = {(f, lvl): round(_recall(s, d, curve), 4) for f, lvl, s, d in recall_rows}
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
        if level is not None and n >= WEAKEST_MIN_ANSWERS and int(right or 0) < n
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
        curve = _curve(c)
    recall = {(f, lvl): _recall(s, d, curve) for f, lvl, s, d in recall_rows}
    ranked = sorted(
        acc_rows,
        key=lambda r: (int(r[3] or 0) / r[2], recall.get((r[0], r[1]), 2.0), r[0], r[1]),
    )
    return [(f, lvl) for f, lvl, _n, _r in ranked[:top]]


def _misconceptions(mis_rows: list[Any], wrong: int) -> list[dict[str, Any]]:
    from quizzer import generators

    counts: dict[tuple[str, str], int] = {}
    for family, ids, n in mis_rows:  # an answer two mistakes explain counts for each
        for mid in split_mistakes(ids):
            counts[family, mid] = counts.get((family, mid), 0) + n
    items = []
    known = set(generators.families())
    for (family, mid), n in counts.items():
        why = generators.explanation(family, mid, "en") if family in known else ""
        items.append({"id": mid, "family": family, "count": n,
                      "share_of_wrong": _ratio(n, wrong), "explanation": why})  # fmt: skip
    items.sort(key=lambda m: (-m["count"], m["family"], m["id"]))
    return items[:5]
