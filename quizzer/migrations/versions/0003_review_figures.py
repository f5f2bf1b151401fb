"""reviews.prior_state and reviews.retrievability, and a covering index for the progress
figures (replaces ix_reviews_time)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
CHUNK = 20_000

STATS_COLUMNS = ["reviewed_at", "mode", "correct", "duration_ms", "prior_state",
                 "retrievability", "card_id", "misconception"]  # fmt: skip


def _recall(before: dict, reviewed_at: datetime) -> float | None:
    """FSRS retrievability at the review, from the state kept with it (default parameters)."""
    if not before or before.get("state") in (None, 0) or not before.get("stability"):
        return None
    last = before.get("last_review")
    if not last:
        return None
    decay = -0.1542
    factor = 0.9 ** (1 / decay) - 1
    days = max(0, (reviewed_at - datetime.fromisoformat(last).replace(tzinfo=None)).days)
    return (1 + factor * days / before["stability"]) ** decay


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("prior_state", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retrievability", sa.Double(), nullable=True))
        batch.drop_index("ix_reviews_time")
    con = op.get_bind()
    progress = context.config.attributes.get("progress") or (lambda *_: None)
    total = con.execute(sa.text("SELECT COUNT(*) FROM reviews")).scalar()
    last, done = 0, 0
    while True:  # in chunks of ids: memory stays flat, progress can be shown
        rows = con.execute(
            sa.text(
                "SELECT id, reviewed_at, state_before FROM reviews WHERE id > :last "
                "ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": CHUNK},
        ).all()
        if not rows:
            break
        updates = []
        for rid, at, before in rows:
            b = json.loads(before) if isinstance(before, str) else before
            at = datetime.fromisoformat(str(at))
            updates.append({"id": rid, "s": (b or {}).get("state"), "r": _recall(b, at)})
        con.execute(
            sa.text("UPDATE reviews SET prior_state = :s, retrievability = :r WHERE id = :id"),
            updates,
        )
        last, done = rows[-1][0], done + len(rows)
        progress("reviews given their recall", done, total)
    with op.batch_alter_table("reviews") as batch:  # indexed once the rows are final
        batch.create_index("ix_reviews_stats", STATS_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_index("ix_reviews_stats")
        batch.create_index("ix_reviews_time", ["reviewed_at"], unique=False)
        batch.drop_column("retrievability")
        batch.drop_column("prior_state")
