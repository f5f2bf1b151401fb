"""The `quizzer` command: a thin click shell over the library.

Only click is imported at module level: torch, sympy, SQLAlchemy and the rest load
inside the commands that need them, so `quizzer --help` starts as fast as click does.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from quizzer import __version__, cli_db, cli_export, cli_optimize, cli_progress, cli_sessions
from quizzer.cli_common import check_level, family_args, lang_of, open_store
from quizzer.errors import QuizzerError

DB_HELP = "Database: a file path or SQLAlchemy URL [env QUIZZER_DB; default: your data dir]."


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head -1`


class Group(click.Group):
    """Turns the library's errors into one-line messages (exit 1), never tracebacks; a
    reader that stops early (quizzer ... | head) ends the command quietly."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:  # the top-level --help and --version print while the context is made
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            raise click.exceptions.Exit(_stop_writing()) from None

    def invoke(self, ctx: click.Context) -> Any:
        from quizzer.ui import printable

        try:
            return super().invoke(ctx)
        except QuizzerError as exc:
            raise click.ClickException(printable(str(exc))) from None
        except click.ClickException as exc:  # its message may quote stored text
            exc.message = printable(exc.message)
            raise
        except (click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            if os.environ.get("QUIZZER_DEBUG"):
                raise
            raise click.exceptions.Exit(_stop_writing()) from None
        except Exception as exc:  # a bug: still one line, unless debugging
            if os.environ.get("QUIZZER_DEBUG"):
                raise
            raise click.ClickException(
                printable(f"internal error: {exc.__class__.__name__}: {exc}", multiline=False)
                + " (QUIZZER_DEBUG=1 shows more)"
            ) from None


def _stop_writing() -> int:
    """The reader of standard output (or error) has gone. Point the closed stream at
    /dev/null, so that what is left in its buffer does not fail again at exit ("Exception
    ignored ... BrokenPipeError", exit status 120), and return the status to end with."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            try:
                fd = stream.fileno()
            except (AttributeError, OSError, ValueError):  # not a real file (under a test)
                continue
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except (AttributeError, OSError, ValueError):  # closed or missing: nothing to flush
            pass
    return EXIT_BROKEN_PIPE


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH|URL", help=DB_HELP)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    help="Language: en or zh [env QUIZZER_LANG; default: the saved setting, else en].",
)
@click.version_option(__version__, prog_name="quizzer")
@click.pass_context
def cli(ctx: click.Context, db: str | None, lang: str | None) -> None:
    """Drill the computations of deep learning, verified by real torch.

    \b
    Start here:
      quizzer quiz                 a practice quiz mixing every family
      quizzer review               today's scheduled cards (spaced repetition)
      quizzer topics               what can be drilled
    """
    if db is not None or os.environ.get("QUIZZER_DB"):
        from quizzer.location import locate

        locate(db)  # a name no command could use is refused by every command alike
    ctx.obj = {"db": db, "lang": lang}


# ---------------------------------------------------------------- topics


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def topics(ctx: click.Context, as_json: bool) -> None:
    """List the generator families and concept decks, with their card counts.

    A family's cards are its skills, one per level (each review draws a fresh question);
    a deck's cards are its concept cards. Shown in the chosen language (--lang).

    \b
    Example:
      quizzer topics
      quizzer --lang zh topics --json
    """
    from quizzer import decks, generators
    from quizzer.i18n import counted, t, topic
    from quizzer.ui import cells, padded

    lang = lang_of(ctx)
    fams = []
    for f in generators.families():
        g = generators.get(f)
        fams.append(
            {
                "id": f,
                "topic": topic(g.topic, lang),
                "title": g.title_zh if lang == "zh" and g.title_zh else g.title,
                "levels": g.levels,
                "cards": g.levels,
                "version": g.version,
            }
        )
    dks = [
        {
            "id": d.id,
            "topic": topic(d.topic, lang),
            "title": d.title.get(lang, d.title["en"]),
            "cards": len(d.cards),
        }
        for d in decks.load_decks()
    ]
    if as_json:
        out = {"lang": lang, "families": fams, "decks": dks}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    # columns padded by terminal cells (a Chinese character takes two), not characters
    id_width = max(20, *(len(x["id"]) for x in fams + dks))
    topic_width = max(24, *(cells(x["topic"]) for x in fams + dks))
    click.echo(t("topics_families", lang))
    for f in fams:
        levels = t("topics_levels", lang, top=f["levels"])
        click.echo(
            f"  {padded(f['id'], id_width)} {padded(f['topic'], topic_width)} {levels}  "
            f"{f['title']}"
        )
    click.echo(t("topics_decks", lang))
    count_width = max(cells(counted("n_cards", d["cards"], lang)) for d in dks)
    for d in dks:
        cards = padded(counted("n_cards", d["cards"], lang), count_width, right=True)
        click.echo(
            f"  {padded(d['id'], id_width)} {padded(d['topic'], topic_width)} {cards}  {d['title']}"
        )


# ---------------------------------------------------------------- generate


@cli.command()
@click.argument("family")
@click.option(
    "-n",
    "count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="How many questions.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="First seed; question i uses seed + i.",
)
@click.option(
    "--level",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Difficulty level, 1 to the family's highest (quizzer topics lists them).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def generate(
    ctx: click.Context, family: str, count: int, seed: int, level: int, as_json: bool
) -> None:
    """Print verified questions of FAMILY (no database involved).

    Each question is computed by the formula and again by real torch; only variants
    where both agree are printed.

    \b
    Example:
      quizzer generate conv-output -n 3 --seed 7 --level 2 --json
    """
    fam = family_args((family,))[0]
    check_level([fam], level)
    from quizzer.verify import draw_many

    lang = lang_of(ctx)
    chunk = 256  # verified in batches, printed as they come
    for start in range(seed, seed + count, chunk):
        for q in draw_many(fam, list(range(start, min(start + chunk, seed + count))), level):
            _print_question(q, as_json, lang)


def _print_question(q: Any, as_json: bool, lang: str) -> None:
    from quizzer.generators import localized

    text = localized(q, lang)
    if as_json:
        record = q.public_dict() | {"prompt": text["prompt"], "answer": text["answer"]}
        click.echo(json.dumps(record, ensure_ascii=False))
    else:
        click.echo(f"[{q.generator} level {q.difficulty} seed {q.seed}]\n{text['prompt']}")
        click.echo(("答案：" if lang == "zh" else "Answer: ") + text["answer"] + "\n")


@cli.command(context_settings={"ignore_unknown_options": True})  # -3 reaches the check
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.pass_context
def config(ctx: click.Context, key: str | None, value: str | None) -> None:
    """Show or change a setting: new-per-day (a whole number, 0-1000), retention
    (0.70-0.99), lang (en or zh). A value out of range is refused and nothing is saved.

    \b
    Example:
      quizzer config                     show every setting
      quizzer config new-per-day 20
      quizzer config retention 0.85
      quizzer config lang zh             questions and messages in Chinese
    """
    from quizzer.store import SETTINGS
    from quizzer.ui import printable

    if key is not None and key not in SETTINGS:
        raise click.UsageError(f"unknown setting {key!r}; choose from: {', '.join(SETTINGS)}")
    if key is None or value is None:
        store = open_store(ctx)
        for k in [key] if key else SETTINGS:
            shown = printable(str(store.get_setting(k)), multiline=False)  # as stored: any text
            click.echo(f"{k} = {shown}    ({SETTINGS[k][2]})")
        return
    parsed = _setting_value(key, value, lang_of(ctx))
    store = open_store(ctx, write=True)  # checked before the database is opened
    store.set_setting(key, parsed)
    click.echo(f"{key} = {printable(str(parsed), multiline=False)}")


def _setting_value(key: str, value: str, lang: str) -> float | int | str:
    """value, typed for setting `key`, parsed and checked against quizzer.store's RANGES
    and CHOICES; a ClickException saying what the setting accepts (one line, exit 1)."""
    import math

    from quizzer.i18n import t
    from quizzer.store import CHOICES, RANGES, SETTINGS

    kind = SETTINGS[key][1]
    if key in CHOICES:
        if value not in CHOICES[key]:
            raise click.ClickException(
                t("config_choice", lang, setting=key, choices=", ".join(CHOICES[key]))
            )
        return value
    lo, hi = RANGES[key]
    if kind == "int":
        try:
            number: float = int(value)
        except ValueError:
            number = math.nan
        message = t("config_whole_number", lang, setting=key, lo=lo, hi=hi)
    else:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        message = t("config_number", lang, setting=key, lo=f"{lo:.2f}", hi=f"{hi:.2f}")
    if not lo <= number <= hi:  # nan (not a number) fails this too
        raise click.ClickException(message)
    return number


for _command in (
    cli_sessions.quiz,
    cli_sessions.review,
    cli_export.export,
    cli_progress.verify,
    cli_progress.stats,
    cli_progress.report,
    cli_db.check,
    cli_db.backup,
    cli_optimize.optimize,
):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the `quizzer` script and of python -m quizzer. Libraries' warnings
    (SQLAlchemy's, matplotlib's ...) are for developers: a learner sees quizzer's own
    lines only, unless QUIZZER_DEBUG is set. (The tests run every warning as an error.)"""
    if not os.environ.get("QUIZZER_DEBUG"):
        import warnings

        warnings.simplefilter("ignore")
    try:
        try:
            cli.main(prog_name="quizzer")
        finally:  # what is still buffered must reach the reader now, not fail at exit
            if sys.stdout is not None and not sys.stdout.closed:
                sys.stdout.flush()
    except BrokenPipeError:  # e.g. a message for a closed stderr, or the final flush
        sys.exit(_stop_writing())
