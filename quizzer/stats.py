"""Progress figures, computed by SQL aggregation (never a Python loop over all reviews).

Every figure is defined in FIGURES (shown by `quizzer stats --help` and in the report),
so a learner never has to guess what a number means. Days are the learner's local days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from quizzer.figures import WEAKEST_MIN_ANSWERS
from quizzer.models import utcnow
from quizzer.store import Store

STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}


def _offset_minutes(now: datetime) -> int:
    off = now.astimezone().utcoffset()
    return int(off.total_seconds() // 60) if off else 0


def local_day(now: datetime) -> tuple[datetime, datetime]:
    """Start of the local day of `now` and of the next one, as UTC datetimes."""
    local = now.astimezone()
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def _naive(dt: datetime) -> str:
    """A UTC datetime in the form SQLAlchemy stores it in SQLite."""
    from datetime import UTC

    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def compute(store: Store, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    off = _offset_minutes(now)
    shift = f"{off:+d} minutes"
    start, end = local_day(now)
    p = {
        "now": _naive(now),
        "start": _naive(start),
        "end": _naive(end),
        "d7": _naive(start - timedelta(days=6)),
        "d30": _naive(now - timedelta(days=30)),
        "y1": _naive(start - timedelta(days=364)),
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
            f"SELECT MAX(0, CAST(julianday(date(s.due, :shift)) - julianday(date(:now, :shift))"
            f" AS INTEGER)) AS d, COUNT(*) {active_due} AND s.due < :horizon GROUP BY d",
            horizon=_naive(start + timedelta(days=30)),
        ))  # fmt: skip
        heat = rows(
            "SELECT date(reviewed_at, :shift) AS d, COUNT(*) FROM reviews "
            "WHERE reviewed_at >= :y1 GROUP BY d ORDER BY d"
        )
        all_days = [r[0] for r in rows(
            "SELECT DISTINCT date(reviewed_at, :shift) AS d FROM reviews ORDER BY d"
        )]  # fmt: skip
        spent = rows(
            "SELECT SUM(duration_ms), SUM(CASE WHEN reviewed_at >= :start THEN duration_ms END),"
            " SUM(CASE WHEN reviewed_at >= :d7 THEN duration_ms END),"
            " SUM(CASE WHEN reviewed_at >= :d30 THEN duration_ms END) FROM reviews"
        )[0]
        answers = rows(
            "SELECT COUNT(*), SUM(mode = 'review'), SUM(mode = 'practice'),"
            " SUM(reviewed_at >= :start) FROM reviews"
        )[0]
        ret_n, ret_right = rows(
            "SELECT COUNT(*), SUM(correct) FROM reviews WHERE mode = 'review'"
            " AND reviewed_at >= :d30 AND json_extract(state_before, '$.state') = 2"
            " AND correct IS NOT NULL"
        )[0]
        acc_rows = rows(
            "SELECT COALESCE(c.family, 'concept:' || c.deck), c.difficulty, COUNT(*),"
            " SUM(r.correct) FROM reviews r JOIN cards c ON c.id = r.card_id"
            " WHERE r.reviewed_at >= :d30 AND r.correct IS NOT NULL"
            " GROUP BY c.family, c.deck, c.difficulty"
        )
        recall_rows = rows(
            "SELECT c.family, c.difficulty, s.stability,"
            " CAST(julianday(:now) - julianday(s.last_review) AS INTEGER)"
            " FROM cards c JOIN card_states s ON s.card_id = c.id"
            " WHERE c.kind = 'skill' AND c.active AND s.state != 0 AND s.stability IS NOT NULL"
        )
        mis_rows = rows(
            "SELECT c.family, r.misconception, COUNT(*) FROM reviews r"
            " JOIN cards c ON c.id = r.card_id WHERE r.reviewed_at >= :d30"
            " AND r.misconception IS NOT NULL GROUP BY c.family, r.misconception"
        )
        wrong_30d = one("SELECT COUNT(*) FROM reviews WHERE reviewed_at >= :d30 AND correct = 0")
    today = now.astimezone().date()
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
        "heatmap": [{"date": d, "answers": n} for d, n in heat],
        "streak": _streaks(all_days, today),
        "time_spent_minutes": {
            k: round((v or 0) / 60000, 1)
            for k, v in zip(("all", "today", "7d", "30d"), spent, strict=True)
        },
        "answers": {
            "total": answers[0] or 0,
            "reviews": answers[1] or 0,
            "practice": answers[2] or 0,
            "today": answers[3] or 0,
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
    p = {"d30": _naive(now - timedelta(days=30)), "now": _naive(now)}
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


def render(f: dict[str, Any]) -> str:
    """Plain-text rendering (the rich one is quizzer.stats_view)."""
    cards = ", ".join(f"{f['cards'][k]} {k}" for k in STATE_NAMES.values())
    lines = [
        f"Cards: {cards}.",
        f"Due now: {f['due']['now']}; by the end of today: {f['due']['today']} "
        f"(overdue: {f['due']['overdue']}).",
        f"Answers: {f['answers']['total']} in all ({f['answers']['reviews']} reviews, "
        f"{f['answers']['practice']} practice), {f['answers']['today']} today.",
    ]
    return "\n".join(lines)
