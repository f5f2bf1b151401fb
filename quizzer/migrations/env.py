"""Alembic environment: runs on the connection quizzer.migrate passes in (inside its one
transaction), or on sqlalchemy.url when run from the alembic command line."""

import time

from alembic import context
from sqlalchemy import engine_from_config, pool

from quizzer.models import Base

config = context.config
target_metadata = Base.metadata


def _step_reporter():
    """on_version_apply hook: each applied step reported with its time (quizzer.migrate)."""
    on_step = config.attributes.get("on_step")
    if on_step is None:
        return None
    last = [time.monotonic()]

    def report(*, ctx, step, heads, run_args) -> None:
        now = time.monotonic()
        script = step.up_revision if step.is_upgrade else step.down_revision
        doc = (getattr(script, "doc", "") or "").strip().split("\n\n")[0]  # its first paragraph
        on_step(getattr(script, "revision", "?"), " ".join(doc.split()), now - last[0])
        last[0] = now

    return report


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        on_version_apply=_step_reporter(),
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as con:
        run(con)
