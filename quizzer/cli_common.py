"""Helpers shared by the command modules: the chosen language, the store, family names.

Only click is imported at module level (see quizzer.cli)."""

from __future__ import annotations

import os

import click


def lang_of(ctx: click.Context) -> str:
    """--lang, else $QUIZZER_LANG, else the saved setting (read without SQLAlchemy), else en."""
    obj = ctx.find_root().obj
    if obj.get("lang"):
        return obj["lang"]
    env = os.environ.get("QUIZZER_LANG", "")
    if env in ("en", "zh"):
        return env
    from quizzer.db import peek_setting

    saved = peek_setting(obj.get("db"), "lang")
    return saved if saved in ("en", "zh") else "en"


def open_store(ctx: click.Context, write: bool = False):
    """The learner's Store, checked, created or upgraded (progress on stderr), with the
    catalog synced. With write, a read-only database is refused in one line, before any
    question is shown: the command exists to save something."""
    from quizzer.db import connect
    from quizzer.errors import DatabaseReadOnly
    from quizzer.store import Store

    root = ctx.find_root()
    store = Store(connect(root.obj["db"], notify=lambda msg: click.echo(msg, err=True)))
    if write and store.read_only:
        raise DatabaseReadOnly(
            f"{store.path} is read-only: `{ctx.command_path}` must save to it; make it "
            "writable, or work on a copy (quizzer backup COPY, then quizzer --db COPY ...)"
        )
    store.sync_catalog()
    return store


def family_args(names: tuple[str, ...]) -> list[str]:
    from quizzer import generators

    known = generators.families()
    for name in names:
        if name not in known:
            raise click.UsageError(f"unknown family {name!r}; choose from: {', '.join(known)}")
    return list(dict.fromkeys(names)) or known


def check_level(families: list[str], level: int | None) -> None:
    from quizzer import generators

    if level is None:
        return
    too_high = [f for f in families if level > generators.get(f).levels]
    if not too_high:
        return
    if len(too_high) == len(families) and len(families) > 1:  # e.g. no family named
        top = max(generators.get(f).levels for f in families)
        raise click.UsageError(f"--level {level}: the families have levels 1..{top}")
    fam = too_high[0]
    raise click.UsageError(f"--level {level}: {fam} has levels 1..{generators.get(fam).levels}")
