"""fsrs_parameters (parameters fitted by quizzer optimize, with their held-out figures) and
reviews.parameters_id (the parameters that scheduled each review; NULL: FSRS's defaults)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fsrs_parameters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("optimizer", sa.String(length=64), nullable=False),
        sa.Column("reviews_fitted", sa.Integer(), nullable=False),
        sa.Column("reviews_held_out", sa.Integer(), nullable=False),
        sa.Column("default_log_loss", sa.Double(), nullable=False),
        sa.Column("default_rmse_bins", sa.Double(), nullable=False),
        sa.Column("fitted_log_loss", sa.Double(), nullable=False),
        sa.Column("fitted_rmse_bins", sa.Double(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # added in place, not by batch mode's copy of the whole table (a million reviews):
    # SQLite adds a nullable REFERENCES column with ALTER TABLE
    op.execute(
        "ALTER TABLE reviews ADD COLUMN parameters_id INTEGER REFERENCES fsrs_parameters (id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("parameters_id")
    op.drop_table("fsrs_parameters")
