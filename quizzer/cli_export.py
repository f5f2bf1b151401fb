"""`quizzer export anki|csv`."""

from __future__ import annotations

import sys
from typing import Any

import click

from quizzer.cli_common import lang_of, open_store
from quizzer.errors import QuizzerError
from quizzer.i18n import counted

# ---------------------------------------------------------------- export


@click.group()
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
    """The concept cards and generated variants selected, no two showing the same question;
    a skill with fewer distinct questions than `variants` is named on standard error."""
    from quizzer.export import notes

    lang = lang or lang_of(ctx)
    try:
        families, deck_ids = notes.targets(names)
    except QuizzerError as exc:
        raise click.UsageError(str(exc)) from None
    concept = notes.concept_notes(deck_ids, lang)
    shown = notes.shown_concepts(deck_ids)  # a variant never repeats a concept card either
    short: list[notes.Shortfall] = []
    total = len(notes.skills(families)) * variants
    kwargs: dict[str, Any] = {"lang": lang, "shown": shown, "shortfalls": short}
    if total < 150 or not sys.stderr.isatty():
        generated = notes.generated_notes(families, variants, seed, **kwargs)
    else:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("verifying variants with torch", total=total)
            generated = notes.generated_notes(
                families, variants, seed, progress=lambda n: bar.advance(task, n), **kwargs
            )
    for s in short:
        click.echo(
            f"{s.family} level {s.level}: only {counted('n_distinct_questions', s.found)} in "
            f"{s.tried:,} seeds from {seed}, so {counted('n_variants', s.found)} instead of "
            f"{s.wanted}.",
            err=True,
        )
    return concept + generated


def _export_options(fn: Any) -> Any:
    fn = click.argument("names", nargs=-1, metavar="[FAMILY|DECK]...")(fn)
    fn = click.option(
        "--variants",
        type=click.IntRange(min=1, max=1000),
        default=5,
        show_default=True,
        help="Frozen verified variants per skill (family x level), no two alike.",
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
@click.argument("out", type=click.Path(allow_dash=True))
@_export_options
@click.option(
    "--type-answer",
    is_flag=True,
    help="Computed questions become type-in cards (turned on or off later, a re-import "
    "updates the same notes).",
)
@click.pass_context
def export_anki(
    ctx: click.Context,
    out: str,
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
    No two notes show the same question: a seed whose question is already in the export
    gives way to the next seed.

    OUT is replaced atomically; if it is a symbolic link, the file it points to is. A
    directory, pipe or device is refused, and so is - (a package is a binary file).

    \b
    Example:
      quizzer export anki ~/quizzer.apkg
      quizzer export anki conv.apkg conv-output receptive-field --variants 10 --type-answer
    """
    import time

    from quizzer.export.anki import (
        NoteRecord,
        build_package,
        made_for_older_note_type,
        write_package,
    )
    from quizzer.export.files import Format, atomic_write, output_target

    fmt = Format("quizzer.apkg", no_stdout="an Anki package is a binary file (a zip archive)")
    output_target(out, fmt)  # refuse a bad target before the slow part
    store = open_store(ctx)  # ...and a database that cannot be opened
    notes = _export_notes(ctx, names, variants, seed, export_lang)
    previous = {g: NoteRecord(g, c, m) for g, (c, m) in store.anki_notes().items()}
    # Anki updates a note only from a newer one: changed notes get a time later than any before
    stamp = max(int(time.time()), max((r.mtime for r in previous.values()), default=0) + 1)
    package, records = build_package(notes, stamp, previous, type_answer=type_answer)
    target = atomic_write(out, lambda tmp: write_package(package, tmp, stamp), fmt)
    if store.read_only:
        click.echo(
            f"({store.path} is read-only: this export's note times are not remembered, so "
            "the next export marks these notes as changed again.)",
            err=True,
        )
    else:
        store.save_anki_notes((r.guid, r.content, r.mtime) for r in records)
    changed = sum(1 for r in records if r.mtime == stamp)
    n_gen = sum(1 for n in notes if n.generated)
    click.echo(
        f"Wrote {target}: {counted('n_notes', len(notes))} ({len(notes) - n_gen} concept, "
        f"{n_gen} generated) in {counted('n_decks', len({n.deck for n in notes}))}; {changed} "
        "new or changed since the last export."
    )
    if made_for_older_note_type(previous):
        click.echo(
            "The quizzer note type has a new field (TypeIn) since your last export. Import "
            'this file once with Anki\'s import options "Merge note types" ticked and "Update '
            'notes" set to "Always" (Anki 23.10 or later): your notes are then updated in '
            "place, with their review history. With the default options Anki skips them as "
            '"conflicting" and changes nothing.',
            err=True,
        )


@export.command("csv")
@click.argument("out", type=click.Path(allow_dash=True))
@_export_options
@click.pass_context
def export_csv(
    ctx: click.Context,
    out: str,
    names: tuple[str, ...],
    variants: int,
    seed: int,
    export_lang: str | None,
) -> None:
    """Write the same notes as CSV, one row per note (plain text).

    Columns: source, deck, tags, question, answer, solution, torch_check.

    With - as OUT the CSV goes to standard output, and the count of rows to standard error.
    A file is replaced atomically; if it is a symbolic link, the file it points to is. A
    directory, pipe or device is refused.

    \b
    Example:
      quizzer export csv quizzer.csv
      quizzer export csv zscore.csv z-score --variants 20
      quizzer export csv - z-score | less
    """
    from quizzer.export.files import Format, atomic_write, output_target, write_stdout
    from quizzer.export.table import write_csv

    fmt = Format("quizzer.csv")
    to_file = output_target(out, fmt) is not None  # refuse a bad target before the slow part
    notes = _export_notes(ctx, names, variants, seed, export_lang)
    if to_file:
        target = atomic_write(out, lambda tmp: write_csv(notes, tmp), fmt)
        click.echo(f"Wrote {target}: {counted('n_rows', len(notes))}.")
        return
    # a reader that stops early (| head) raises BrokenPipeError: quizzer.cli ends quietly
    write_stdout(lambda tmp: write_csv(notes, tmp), sys.stdout.buffer)
    click.echo(f"Wrote {counted('n_rows', len(notes))} to standard output.", err=True)
