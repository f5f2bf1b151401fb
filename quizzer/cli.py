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
    ctx.obj = {"db": db, "lang": lang}


def _lang(ctx: click.Context) -> str:
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
    from quizzer.i18n import topic

    lang = _lang(ctx)
    fams = []
    for f in generators.families():
        g = generators.get(f)
        fams.append(
            {
                "id": f,
                "topic": g.topic_zh if lang == "zh" and g.topic_zh else g.topic,
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
    zh = lang == "zh"
    click.echo(
        "生成题族（quizzer quiz 题族）：" if zh else "Generator families (quizzer quiz FAMILY):"
    )
    for f in fams:
        levels = f"难度 1-{f['levels']}" if zh else f"levels 1-{f['levels']}"
        click.echo(f"  {f['id']:<20} {f['topic']:<24} {levels}  {f['title']}")
    click.echo(
        "概念卡组（quizzer review 复习）：" if zh else "Concept decks (reviewed by quizzer review):"
    )
    for d in dks:
        cards = f"{d['cards']:>3} 张" if zh else f"{d['cards']:>3} cards"
        click.echo(f"  {d['id']:<20} {d['topic']:<24} {cards}  {d['title']}")


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
    fam = _families((family,))[0]
    _check_level([fam], level)
    from quizzer.verify import draw_many

    lang = _lang(ctx)
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


# ---------------------------------------------------------------- sessions


def _once(fn: Any) -> Any:
    done: list[bool] = []

    def wrapper() -> None:
        if not done:
            done.append(True)
            fn()

    return wrapper


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
@click.option(
    "--weakest",
    is_flag=True,
    help="Drill your weakest skills first (lowest accuracy, then recall).",
)
@click.pass_context
def quiz(
    ctx: click.Context,
    families: tuple[str, ...],
    count: int,
    seed: int | None,
    level: int | None,
    weakest: bool,
) -> None:
    """Practise generated questions; recorded as practice, the schedule is left alone.

    With no FAMILY, questions mix every family. Keys: ? help, s skip, q quit.

    \b
    Example:
      quizzer quiz                          10 questions, all families
      quizzer quiz conv-output z-score -n 5 --level 2 --seed 42
      quizzer quiz --weakest -n 20          your five weakest skills, weakest first
    """
    from quizzer.prefetch import QuestionSource, Verifier
    from quizzer.session import Item, Session, practice_plan
    from quizzer.ui import Terminal

    fams = _families(families)
    _check_level(fams, level)
    store = _store(ctx)
    verifier = Verifier()
    source = QuestionSource(store, verifier)
    if weakest:
        plan = _weakest_plan(store, fams, count, seed)
    else:
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

    session = Session(store, Terminal(), "practice", lang=_lang(ctx))
    session.on_shown = _once(lambda: source.top_up(sorted(set(card_ids))))
    session.on_answer = source.keep_finished
    session.run(items(), total=count)
    _finish(session, store, source, verifier)


def _weakest_plan(store: Any, fams: list[str], count: int, seed: int | None) -> list[Any]:
    """The weakest skills in turn, weakest first; fresh seeds (or from --seed)."""
    import random

    from quizzer.stats import weakest_skills

    skills = [sk for sk in weakest_skills(store, top=100) if sk[0] in fams][:5]
    if not skills:
        raise click.ClickException(
            "no answers in the last 30 days to rank your skills by: practise first "
            "(quizzer quiz), then quizzer quiz --weakest"
        )
    rng = random.Random(f"weakest:{seed}") if seed is not None else random.Random()
    return [(*skills[i % len(skills)], rng.randrange(2**31)) for i in range(count)]


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
    session = Session(store, Terminal(), "review", scheduler=scheduler, lang=_lang(ctx))
    session.on_shown = _once(lambda: source.top_up(skills))
    session.on_answer = source.keep_finished
    session.run(items())
    if session.shown == 0:
        verifier.close()
        from quizzer.i18n import t
        from quizzer.models import utcnow
        from quizzer.session import when

        lang, due = _lang(ctx), store.next_due()
        later = t("later", lang, when=when(due, utcnow(), lang)) if due else ""
        click.echo(t("nothing_due", lang, later=later))
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


def _export_notes(
    ctx: click.Context, names: tuple[str, ...], variants: int, seed: int, lang: str | None
) -> list[Any]:
    from quizzer.export import notes

    lang = lang or _lang(ctx)
    try:
        families, deck_ids = notes.targets(names)
    except QuizzerError as exc:
        raise click.UsageError(str(exc)) from None
    concept = notes.concept_notes(deck_ids, lang)
    total = len(notes.variant_plan(families, variants, seed)) * variants
    if total < 150 or not sys.stderr.isatty():
        return concept + notes.generated_notes(families, variants, seed, lang=lang)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("verifying variants with torch", total=total)
        generated = notes.generated_notes(
            families, variants, seed, lang=lang, progress=lambda n: bar.advance(task, n)
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
        "export_lang",
        type=click.Choice(["en", "zh"]),
        help="Language of the cards [default: quizzer's language, see quizzer --help].",
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
    export_lang: str | None,
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

    notes = _export_notes(ctx, names, variants, seed, export_lang)
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
@click.pass_context
def export_csv(
    ctx: click.Context,
    out: Path,
    names: tuple[str, ...],
    variants: int,
    seed: int,
    export_lang: str | None,
) -> None:
    """Write the same notes as CSV, one row per note (plain text).

    Columns: source, deck, tags, question, answer, solution, torch_check.

    \b
    Example:
      quizzer export csv quizzer.csv
      quizzer export csv zscore.csv z-score --variants 20
    """
    from quizzer.export.files import atomic_write
    from quizzer.export.table import write_csv

    notes = _export_notes(ctx, names, variants, seed, export_lang)
    atomic_write(out, lambda tmp: write_csv(notes, tmp))
    click.echo(f"Wrote {out}: {len(notes)} rows.")


# ---------------------------------------------------------------- verify


@cli.command()
@click.argument("families", nargs=-1, metavar="[FAMILY]...")
@click.option(
    "-n",
    "--seeds",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Seeds per level to re-verify.",
)
@click.option(
    "--stored/--no-stored",
    default=True,
    show_default=True,
    help="Also regenerate every question stored with a review and compare.",
)
@click.pass_context
def verify(ctx: click.Context, families: tuple[str, ...], seeds: int, stored: bool) -> None:
    """Re-verify the generators and your stored questions against the installed torch.

    Run it after upgrading torch, sympy or quizzer. Each family is regenerated over N
    seeds per level (formula and torch must agree), and each question you were shown is
    regenerated from its seed: any answer, result or params that changed is listed.
    Exit status 1 if anything changed or was rejected.

    \b
    Example:
      quizzer verify
      quizzer verify conv-output -n 1000 --no-stored
    """
    from quizzer import reverify
    from quizzer.verify import torch_version

    fams = _families(families)
    click.echo(f"torch {torch_version()}; {seeds} seeds per level")
    bad = 0
    for r in reverify.check_generators(fams, seeds):
        note = (
            f", first variant rejected for seeds {r.rejected_seeds[:10]}"
            if r.rejected_seeds
            else ""
        )
        click.echo(f"  {r.family:<20} level {r.level}: {r.checked} verified{note}")
        bad += bool(r.rejected_seeds)
    if stored:
        rep = reverify.check_stored(_store(ctx).stored_questions())
        changed = {(c.family, c.level, c.seed) for c in rep.changes if c.what != "torch output"}
        reworded = {(c.family, c.level, c.seed) for c in rep.changes} - changed
        click.echo(
            f"stored questions: {rep.questions} regenerated, {len(changed)} with a changed "
            f"answer, {len(reworded)} with only a reworded torch output"
            + (
                f", {rep.other_version} from another generator version (not comparable)"
                if rep.other_version
                else ""
            )
        )
        for c in rep.changes:
            click.echo(
                f"  {c.family} level {c.level} seed {c.seed}: {c.what} was {c.before!r}, "
                f"now {c.after!r}"
            )
        bad += len(changed)
    if bad:
        ctx.exit(1)


# ---------------------------------------------------------------- stats and config


def _stats_help() -> str:
    from quizzer.figures import FIGURES

    lines = "\n".join(f"  {k}: {v}" for k, v in FIGURES.items())
    return (
        "Your progress: what is due, how much you remember, what to practise.\n\n"
        "\b\nFigures:\n" + lines + "\n\n\b\nExample:\n  quizzer stats\n"
        "  quizzer stats --json"
    )


@cli.command(help=_stats_help())
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    from quizzer.stats import compute
    from quizzer.stats_view import render

    figures = compute(_store(ctx))
    if as_json:
        click.echo(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        render(figures, _lang(ctx))


@cli.command()
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="Where to write the HTML file.",
)
@click.pass_context
def report(ctx: click.Context, out: Path) -> None:
    """Write a self-contained HTML progress report with charts (opens offline).

    Charts: answers per day, true retention per week, accuracy per family, due forecast,
    FSRS calibration (predicted recall vs actual, log loss, RMSE over bins), and the most
    common mistakes. quizzer --lang zh report writes it in Chinese.

    \b
    Example:
      quizzer report --out ~/quizzer-report.html
    """
    from quizzer.export.files import atomic_write
    from quizzer.report import build

    page = build(_store(ctx), _lang(ctx))
    atomic_write(out, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    charts = page.count("class=chart")
    click.echo(f"Wrote {out} ({charts} charts).")


@cli.command()
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.pass_context
def config(ctx: click.Context, key: str | None, value: str | None) -> None:
    """Show or change a setting: new-per-day, retention (0.70-0.99), lang (en or zh).

    \b
    Example:
      quizzer config                     show every setting
      quizzer config new-per-day 20
      quizzer config retention 0.85
      quizzer config lang zh             questions and messages in Chinese
    """
    from quizzer.store import SETTINGS

    if key is not None and key not in SETTINGS:
        raise click.UsageError(f"unknown setting {key!r}; choose from: {', '.join(SETTINGS)}")
    store = _store(ctx)
    if key is None or value is None:
        for k in [key] if key else SETTINGS:
            click.echo(f"{k} = {store.get_setting(k)}    ({SETTINGS[k][2]})")
        return
    kind = SETTINGS[key][1]
    try:
        parsed: float | int | str = {"int": int, "float": float, "str": str}[kind](value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number", param_hint=key) from None
    if key == "retention" and not 0.7 <= parsed <= 0.99:
        raise click.BadParameter("must be between 0.70 and 0.99", param_hint=key)
    if key == "new-per-day" and not 0 <= parsed <= 1000:
        raise click.BadParameter("must be between 0 and 1000", param_hint=key)
    if key == "lang" and parsed not in ("en", "zh"):
        raise click.BadParameter("must be en or zh", param_hint=key)
    store.set_setting(key, parsed)
    click.echo(f"{key} = {parsed}")


def main() -> None:
    """Entry point of the `quizzer` script and of python -m quizzer."""
    cli.main(prog_name="quizzer")
