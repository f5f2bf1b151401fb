"""reviews.desired_retention (so every card's schedule replays exactly), SQL NULL for the
JSON null that empty questions, params and states were stored as

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("desired_retention", sa.Double(), nullable=True))
    op.execute(
        "UPDATE reviews SET"
        " question = CASE WHEN question = 'null' THEN NULL ELSE question END,"
        " params = CASE WHEN params = 'null' THEN NULL ELSE params END,"
        " state_before = CASE WHEN state_before = 'null' THEN NULL ELSE state_before END"
        " WHERE question = 'null' OR params = 'null' OR state_before = 'null'"
    )


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("desired_retention")
