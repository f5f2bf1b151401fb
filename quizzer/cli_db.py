"""`quizzer check` and `quizzer backup`: the database itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from quizzer.cli_common import open_store


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.4g}"
    return "none" if value is None else str(value)


@click.command()
@click.option("--repair", is_flag=True, help="Rebuild every differing card from its reviews.")
@click.pass_context
def check(ctx: click.Context, repair: bool) -> None:
    """Check the database: SQLite's integrity check, then the schedule's invariant.

    The invariant: every card's FSRS state (state, step, stability, difficulty, last
    review and due date) equals the replay of its scheduled reviews in the order they
    were recorded. A due date is compared when the card's last review was recorded by a
    quizzer that keeps the desired retention with each review (schema 0004 and later).
    --repair rebuilds every card that differs from its replay, under the write lock, and
    lists what it changed; your reviews are never changed. Exit status 1 if a problem
    remains.

    \b
    Example:
      quizzer check
      quizzer check --repair
    """
    from quizzer.check import check as run_check
    from quizzer.i18n import counted

    store = open_store(ctx, write=repair)
    click.echo(f"Checking {store.path}")
    report = run_check(store, repair=repair)
    if report.integrity:
        click.echo("SQLite integrity check: PROBLEMS")
        for line in report.integrity:
            click.echo("  " + " ".join(line.split())[:200])
        click.echo("Restore a backup (quizzer backup makes them), or try `sqlite3 FILE .recover`.")
        ctx.exit(1)
    click.echo("SQLite integrity check: ok")
    if report.foreign_keys:
        rows = counted("n_rows", report.foreign_keys)
        click.echo(f"Foreign keys: {rows} point to cards that do not exist")
    note = (
        f" ({report.due_not_compared:,} last reviewed before due dates were recorded "
        "replayably: their due dates were not compared)"
        if report.due_not_compared
        else ""
    )
    click.echo(
        f"Schedule: {counted('n_cards', report.cards)}, "
        f"{counted('n_scheduled_reviews', report.reviews)} replayed{note}."
    )
    if not report.differences:
        click.echo("Every card's state is the replay of its reviews.")
        if report.foreign_keys:
            ctx.exit(1)
        return
    verb = "Rebuilt" if report.repaired else "Differ from their reviews"
    click.echo(f"{verb}: {counted('n_cards', len(report.differences))}")
    for d in report.differences[:20]:
        changes = ", ".join(
            f"{name} {_shown(a)} → {_shown(b)}" for name, (a, b) in d.fields.items()
        )
        click.echo(f"  {d.uid} ({counted('n_reviews', d.reviews)}): {changes}")
    if len(report.differences) > 20:
        click.echo(f"  … and {len(report.differences) - 20:,} more")
    if not report.repaired:
        click.echo("Run quizzer check --repair to rebuild them from their reviews.")
        ctx.exit(1)
    if report.foreign_keys:
        ctx.exit(1)


@click.command()
@click.argument("out", metavar="OUT")
@click.pass_context
def backup(ctx: click.Context, out: str) -> None:
    """Write a consistent copy of your database to OUT (safe while sessions run).

    Uses SQLite's online backup API: copying the .sqlite3 file alone can miss your latest
    answers, which may still be in the -wal file beside it. OUT is a self-contained
    SQLite file; open it with quizzer --db OUT. A symbolic link is written through; a
    directory, pipe or device is refused, and so is any SQLite database that is not an
    untouched quizzer backup: a backup never replaces anyone's history.

    \b
    Example:
      quizzer backup ~/quizzer-2026-11-29.sqlite3
      quizzer --db ~/quizzer-2026-11-29.sqlite3 stats
    """
    from quizzer.backup import backup_to
    from quizzer.db import inspect, locate
    from quizzer.errors import DatabaseError
    from quizzer.i18n import counted

    loc = locate(ctx.obj["db"])
    if not inspect(loc).exists:  # checked like any database; an old schema is copied as is
        raise DatabaseError(f"{loc.path} holds no database yet: nothing to back up")
    written, copied = backup_to(loc.path, out)
    size = copied.bytes / 1e6
    click.echo(
        f"Backed up {counted('n_reviews', copied.reviews)} of "
        f"{counted('n_cards', copied.cards)} to {written} "
        f"({size:.1f} MB)."
    )
