"""anki_notes: content hash and modification time of each exported Anki note

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anki_notes",
        sa.Column("guid", sa.String(length=64), nullable=False),
        sa.Column("content", sa.String(length=64), nullable=False),
        sa.Column("mtime", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("guid"),
    )


def downgrade() -> None:
    op.drop_table("anki_notes")
