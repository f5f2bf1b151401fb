"""Progress figures, computed by SQL aggregation (never a Python loop over all reviews)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select

from quizzer.models import Card, CardState, Review, utcnow
from quizzer.store import Store, local_day_start

STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}


def compute(store: Store, now=None) -> dict[str, Any]:
    now = now or utcnow()
    with store.session() as s:
        by_state = dict(
            s.execute(
                select(CardState.state, func.count())
                .join(Card)
                .where(Card.active.is_(True))
                .group_by(CardState.state)
            ).all()
        )
        reviews_total = s.scalar(select(func.count()).where(Review.mode == "review")) or 0
        reviews_today = (
            s.scalar(
                select(func.count()).where(
                    Review.mode == "review", Review.reviewed_at >= local_day_start(now)
                )
            )
            or 0
        )
        practice_total = s.scalar(select(func.count()).where(Review.mode == "practice")) or 0
        since = now - timedelta(days=30)
        group = func.coalesce(Card.family, "concept")
        rows = s.execute(
            select(group, func.count(), func.sum(case((Review.correct.is_(True), 1), else_=0)))
            .join(Card, Card.id == Review.card_id)
            .where(Review.reviewed_at >= since, Review.correct.is_not(None))
            .group_by(group)
            .order_by(group)
        ).all()
    accuracy = {
        name: {"answered": n, "right": int(r or 0), "accuracy": round((r or 0) / n, 4)}
        for name, n, r in rows
    }
    next_due = store.next_due()
    return {
        "cards": {STATE_NAMES[k]: by_state.get(k, 0) for k in STATE_NAMES},
        "due_now": store.due_count(now),
        "next_due": next_due.isoformat() if next_due else None,
        "reviews": {"total": reviews_total, "today": reviews_today},
        "practice": {"total": practice_total},
        "accuracy_30d": accuracy,
    }


def render(f: dict[str, Any]) -> str:
    cards = ", ".join(f"{v} {k}" for k, v in f["cards"].items())
    lines = [
        f"Cards: {cards}.",
        f"Due now: {f['due_now']}. Next due: {f['next_due'] or 'nothing scheduled yet'}.",
        f"Reviews: {f['reviews']['total']} in all, {f['reviews']['today']} today. "
        f"Practice answers: {f['practice']['total']}.",
    ]
    if f["accuracy_30d"]:
        lines.append("Accuracy, last 30 days (reviews and practice):")
        for name, a in f["accuracy_30d"].items():
            lines.append(f"  {name:<20} {a['right']:>4}/{a['answered']:<4} {a['accuracy']:.0%}")
    else:
        lines.append("No answers in the last 30 days yet: try quizzer quiz.")
    return "\n".join(lines)
