"""The `quizzer` command: a thin click shell over the library.

Only click is imported at module level: torch, sympy, SQLAlchemy and the rest load
inside the commands that need them, so `quizzer --help` starts as fast as click does.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from quizzer import __version__
from quizzer.errors import QuizzerError

DB_HELP = "Database: a file path or SQLAlchemy URL [env QUIZZER_DB; default: your data dir]."


class Group(click.Group):
    """Turns the library's errors into one-line messages (exit 1), never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QuizzerError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: still one line, unless debugging
            if os.environ.get("QUIZZER_DEBUG"):
                raise
            raise click.ClickException(
                f"internal error: {exc.__class__.__name__}: {exc} (QUIZZER_DEBUG=1 shows more)"
            ) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH|URL", help=DB_HELP)
@click.version_option(__version__, prog_name="quizzer")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Drill the computations of deep learning, verified by real torch.

    \b
    Start here:
      quizzer quiz                 a practice quiz mixing every family
      quizzer review               today's scheduled cards (spaced repetition)
      quizzer topics               what can be drilled
    """
    ctx.obj = {"db": db}


def _store(ctx: click.Context):
    from quizzer.db import connect
    from quizzer.store import Store

    store = Store(connect(ctx.obj["db"]))
    store.sync_catalog()
    return store


def _families(names: tuple[str, ...]) -> list[str]:
    from quizzer import generators

    known = generators.families()
    for name in names:
        if name not in known:
            raise click.UsageError(f"unknown family {name!r}; choose from: {', '.join(known)}")
    return list(dict.fromkeys(names)) or known


def _check_level(families: list[str], level: int | None) -> None:
    from quizzer import generators

    for fam in families:
        if level is not None and level > generators.get(fam).levels:
            raise click.UsageError(f"{fam} has levels 1..{generators.get(fam).levels}")


# ---------------------------------------------------------------- topics


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def topics(as_json: bool) -> None:
    """List the generator families and concept decks.

    \b
    Example:
      quizzer topics
      quizzer topics --json
    """
    from quizzer import decks, generators

    fams = [
        {"id": f, "topic": g.topic, "title": g.title, "levels": g.levels, "version": g.version}
        for f in generators.families()
        for g in [generators.get(f)]
    ]
    dks = [
        {"id": d.id, "topic": d.topic, "title": d.title.get("en"), "cards": len(d.cards)}
        for d in decks.load_decks()
    ]
    if as_json:
        click.echo(json.dumps({"families": fams, "decks": dks}, ensure_ascii=False, indent=2))
        return
    click.echo("Generator families (quizzer quiz FAMILY):")
    for f in fams:
        click.echo(f"  {f['id']:<18} {f['topic']:<16} levels 1-{f['levels']}  {f['title']}")
    click.echo("Concept decks (reviewed by quizzer review):")
    for d in dks:
        click.echo(f"  {d['id']:<18} {d['topic']:<16} {d['cards']:>3} cards  {d['title']}")


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
@click.option("--level", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def generate(family: str, count: int, seed: int, level: int, as_json: bool) -> None:
    """Print verified questions of FAMILY (no database involved).

    Each question is computed by the formula and again by real torch; only variants
    where both agree are printed.

    \b
    Example:
      quizzer generate conv-output -n 3 --seed 7 --level 2 --json
    """
    fam = _families((family,))[0]
    _check_level([fam], level)
    from quizzer.verify import draw_many

    chunk = 256  # verified in batches, printed as they come
    for start in range(seed, seed + count, chunk):
        for q in draw_many(fam, list(range(start, min(start + chunk, seed + count))), level):
            _print_question(q, as_json)


def _print_question(q: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(q.public_dict(), ensure_ascii=False))
    else:
        click.echo(f"[{q.generator} level {q.difficulty} seed {q.seed}]\n{q.prompt}")
        click.echo(f"Answer: {q.answer}\n")


# ---------------------------------------------------------------- sessions


def _once(fn: Any) -> Any:
    done: list[bool] = []

    def wrapper() -> None:
        if not done:
            done.append(True)
            fn()

    return wrapper


def _when(dt: Any) -> str:
    from quizzer.models import utcnow

    if dt <= utcnow():
        return "now"
    return dt.astimezone().strftime("%Y-%m-%d %H:%M")


def _finish(session: Any, store: Any, source: Any, verifier: Any) -> None:
    from quizzer.models import utcnow

    try:
        source.keep_finished()
    finally:
        verifier.close()
    now = utcnow()
    session.report(store.next_due(), store.due_count(now))


@cli.command()
@click.argument("families", nargs=-1, metavar="[FAMILY]...")
@click.option(
    "-n",
    "count",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many questions.",
)
@click.option("--seed", type=click.IntRange(min=0), help="Make the quiz reproducible.")
@click.option("--level", type=click.IntRange(min=1), help="Difficulty (default: mixed).")
@click.pass_context
def quiz(
    ctx: click.Context, families: tuple[str, ...], count: int, seed: int | None, level: int | None
) -> None:
    """Practise generated questions; recorded as practice, the schedule is left alone.

    With no FAMILY, questions mix every family. Keys: ? help, s skip, q quit.

    \b
    Example:
      quizzer quiz                          10 questions, all families
      quizzer quiz conv-output z-score -n 5 --level 2 --seed 42
    """
    from quizzer.prefetch import QuestionSource, Verifier
    from quizzer.session import Item, Session, practice_plan
    from quizzer.ui import Terminal

    fams = _families(families)
    _check_level(fams, level)
    store = _store(ctx)
    verifier = Verifier()
    source = QuestionSource(store, verifier)
    plan = practice_plan(fams, count, seed, level)
    card_ids = {(f, lvl): store.skill_card(f, lvl).id for f, lvl, _ in plan}
    if seed is not None:  # reproducible: exactly these seeds, verified in order
        futures = [verifier.draw(f, s, lvl) for f, lvl, s in plan]
    else:
        futures = [None] * count

    def items():
        for i, (fam, lvl, _s) in enumerate(plan):
            fut = futures[i] or source.for_skill(fam, lvl)
            yield Item(card_ids[fam, lvl], family=fam, difficulty=lvl, future=fut)

    session = Session(store, Terminal(), "practice")
    session.on_shown = _once(lambda: source.top_up(sorted(set(card_ids))))
    session.on_answer = source.keep_finished
    session.run(items(), total=count)
    _finish(session, store, source, verifier)


@cli.command()
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Stop after this many cards.",
)
@click.option(
    "--new",
    "new_cards",
    type=click.IntRange(min=0),
    help="New cards allowed today (default: the new-per-day setting).",
)
@click.pass_context
def review(ctx: click.Context, limit: int, new_cards: int | None) -> None:
    """Review the cards that are due, then new ones, with FSRS scheduling.

    Generated cards are skills: each review draws a fresh question. A right answer is
    rated Good (Enter keeps it, h makes it Hard, e Easy); a wrong one Again. Concept
    cards are self-graded. Keys: ? help, s skip, q quit.

    \b
    Example:
      quizzer review
      quizzer review --limit 20 --new 5
    """
    from quizzer import decks
    from quizzer.models import utcnow
    from quizzer.prefetch import QuestionSource, Verifier
    from quizzer.schedule import make_scheduler
    from quizzer.session import Item, Session
    from quizzer.ui import Terminal

    store = _store(ctx)
    scheduler = make_scheduler(store.get_setting("retention"))
    new_per_day = store.get_setting("new-per-day") if new_cards is None else new_cards
    verifier = Verifier()
    source = QuestionSource(store, verifier)

    def items():
        for _ in range(limit):
            now = utcnow()
            card = store.next_card(now, new_per_day - store.new_introduced_today(now))
            if card is None:
                return
            if card.kind == "concept":
                yield Item(card.id, concept=decks.get_card(card.uid.removeprefix("concept:")))
            else:
                fut = source.for_skill(card.family, card.difficulty)
                yield Item(card.id, family=card.family, difficulty=card.difficulty, future=fut)

    from quizzer.store import catalog

    skills = [(e.family, e.difficulty) for e in catalog() if e.kind == "skill"]
    session = Session(store, Terminal(), "review", scheduler=scheduler)
    session.on_shown = _once(lambda: source.top_up(skills))
    session.on_answer = source.keep_finished
    session.run(items())
    if session.shown == 0:
        verifier.close()
        when = store.next_due()
        later = f" Next review due: {_when(when)}." if when else ""
        click.echo(f"Nothing is due right now.{later} (quizzer quiz practises anyway.)")
        return
    _finish(session, store, source, verifier)


# ---------------------------------------------------------------- export


@cli.group()
def export() -> None:
    """Export cards for Anki (.apkg) or as CSV.

    \b
    Example:
      quizzer export anki quizzer.apkg
      quizzer export csv quizzer.csv conv-output 2023-08-16
    """


def _export_notes(names: tuple[str, ...], variants: int, seed: int, lang: str) -> list[Any]:
    from quizzer.export import notes

    try:
        families, deck_ids = notes.targets(names)
    except QuizzerError as exc:
        raise click.UsageError(str(exc)) from None
    concept = notes.concept_notes(deck_ids, lang)
    total = len(notes.variant_plan(families, variants, seed)) * variants
    if total < 150 or not sys.stderr.isatty():
        return concept + notes.generated_notes(families, variants, seed)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("verifying variants with torch", total=total)
        generated = notes.generated_notes(
            families, variants, seed, progress=lambda n: bar.advance(task, n)
        )
    return concept + generated


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _export_options(fn: Any) -> Any:
    fn = click.argument("names", nargs=-1, metavar="[FAMILY|DECK]...")(fn)
    fn = click.option(
        "--variants",
        type=click.IntRange(min=1, max=1000),
        default=5,
        show_default=True,
        help="Frozen verified variants per skill (family x level).",
    )(fn)
    fn = click.option(
        "--seed",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="First seed of the variants; the same seed gives the same notes.",
    )(fn)
    fn = click.option(
        "--lang",
        type=click.Choice(["en", "zh"]),
        default="en",
        show_default=True,
        help="Language of the cards.",
    )(fn)
    return fn


@export.command("anki")
@click.argument("out", type=click.Path(dir_okay=True, path_type=Path))
@_export_options
@click.option("--type-answer", is_flag=True, help="Computed questions become type-in cards.")
@click.pass_context
def export_anki(
    ctx: click.Context,
    out: Path,
    names: tuple[str, ...],
    variants: int,
    seed: int,
    lang: str,
    type_answer: bool,
) -> None:
    """Write an Anki package: concept cards and verified variants of each skill.

    One sub-deck per topic (quizzer::Convolution ...), tags quizzer::FAMILY and
    quizzer::difficulty::N. Notes keep their identity across exports: importing a newer
    export updates them in place, with their review history, and adds nothing twice.

    \b
    Example:
      quizzer export anki ~/quizzer.apkg
      quizzer export anki conv.apkg conv-output receptive-field --variants 10 --type-answer
    """
    import time

    from quizzer.export.anki import NoteRecord, build_package, write_package
    from quizzer.export.files import atomic_write

    notes = _export_notes(names, variants, seed, lang)
    store = _store(ctx)
    previous = {g: NoteRecord(g, c, m) for g, (c, m) in store.anki_notes().items()}
    # Anki updates a note only from a newer one: changed notes get a time later than any before
    stamp = max(int(time.time()), max((r.mtime for r in previous.values()), default=0) + 1)
    package, records = build_package(notes, stamp, previous, type_answer=type_answer)
    atomic_write(out, lambda tmp: write_package(package, tmp, stamp))
    store.save_anki_notes((r.guid, r.content, r.mtime) for r in records)
    changed = sum(1 for r in records if r.mtime == stamp)
    n_gen = sum(1 for n in notes if n.generated)
    click.echo(
        f"Wrote {out}: {len(notes)} notes ({len(notes) - n_gen} concept, {n_gen} generated) "
        f"in {_plural(len({n.deck for n in notes}), 'deck')}; {changed} new or changed since the "
        "last export."
    )


@export.command("csv")
@click.argument("out", type=click.Path(dir_okay=True, path_type=Path))
@_export_options
def export_csv(out: Path, names: tuple[str, ...], variants: int, seed: int, lang: str) -> None:
    """Write the same notes as CSV, one row per note (plain text).

    Columns: source, deck, tags, question, answer, solution, torch_check.

    \b
    Example:
      quizzer export csv quizzer.csv
      quizzer export csv zscore.csv z-score --variants 20
    """
    from quizzer.export.files import atomic_write
    from quizzer.export.table import write_csv

    notes = _export_notes(names, variants, seed, lang)
    atomic_write(out, lambda tmp: write_csv(notes, tmp))
    click.echo(f"Wrote {out}: {len(notes)} rows.")


# ---------------------------------------------------------------- stats and config


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Your progress: cards by state, what is due, reviews and accuracy per family.

    \b
    Figures:
      cards       active cards by FSRS state (new = never reviewed)
      due_now     cards whose review is due now
      reviews     scheduled reviews answered (all time / today)
      practice    practice answers (quizzer quiz), all time
      accuracy    share of right answers per family, reviews and practice, last 30 days
    \b
    Example:
      quizzer stats
      quizzer stats --json
    """
    from quizzer.stats import compute, render

    figures = compute(_store(ctx))
    if as_json:
        click.echo(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        click.echo(render(figures))


@cli.command()
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.pass_context
def config(ctx: click.Context, key: str | None, value: str | None) -> None:
    """Show or change a setting: new-per-day (new cards a day), retention (0.70-0.99).

    \b
    Example:
      quizzer config                     show every setting
      quizzer config new-per-day 20
      quizzer config retention 0.85
    """
    from quizzer.store import SETTINGS

    if key is not None and key not in SETTINGS:
        raise click.UsageError(f"unknown setting {key!r}; choose from: {', '.join(SETTINGS)}")
    store = _store(ctx)
    if key is None or value is None:
        for k in [key] if key else SETTINGS:
            click.echo(f"{k} = {store.get_setting(k)}    ({SETTINGS[k][2]})")
        return
    try:
        parsed: float | int = int(value) if SETTINGS[key][1] == "int" else float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number", param_hint=key) from None
    if key == "retention" and not 0.7 <= parsed <= 0.99:
        raise click.BadParameter("must be between 0.70 and 0.99", param_hint=key)
    if key == "new-per-day" and not 0 <= parsed <= 1000:
        raise click.BadParameter("must be between 0 and 1000", param_hint=key)
    store.set_setting(key, parsed)
    click.echo(f"{key} = {parsed}")


def main() -> None:
    """Entry point of the `quizzer` script and of python -m quizzer."""
    cli.main(prog_name="quizzer")
