"""`quizzer verify`, `quizzer stats` and `quizzer report`."""

from __future__ import annotations

import click

from quizzer.cli_common import family_args, lang_of, open_store

# ---------------------------------------------------------------- verify


@click.command()
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

    fams = family_args(families)
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
        rep = reverify.check_stored(open_store(ctx).stored_questions())
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
        from quizzer.ui import printable

        for c in rep.changes:  # read back from the database: no raw control characters
            line = f"{c.family} level {c.level} seed {c.seed}: {c.what} was {c.before!r}, "
            click.echo("  " + printable(line + f"now {c.after!r}", multiline=False))
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


@click.command(help=_stats_help())
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    from quizzer.stats import compute
    from quizzer.stats_view import render

    figures = compute(open_store(ctx))
    if as_json:
        from quizzer.ui import json_text

        click.echo(json_text(figures, indent=2))
    else:
        render(figures, lang_of(ctx))


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(allow_dash=True),
    default="report.html",
    show_default=True,
    help="Where to write the HTML file (a regular file; not -).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    help="Language of the page (default: quizzer --lang, else your setting).",
)
@click.pass_context
def report(ctx: click.Context, out: str, lang: str | None) -> None:
    """Write a self-contained HTML progress report with charts (opens offline).

    First what to practise: cards due now and your weakest skills, with the command that
    drills them. Then accuracy by topic, the most common mistakes, the due forecast,
    answers per day, true retention per week, FSRS calibration (predicted recall vs
    actual, log loss, RMSE over bins, scoring only reviews at least a day after the
    card's previous one) with the FSRS parameters in use, and per family its accuracy
    and stability week by week. A chart that needs more days says so and when it can
    appear. Charts are SVG drawn by the browser, so Chinese (--lang zh) shows in your
    own fonts; the page loads nothing from the network.

    The file is replaced atomically; if it is a symbolic link, the file it points to is.
    A directory, pipe or device is refused, and so is - (the report is a page to open).

    \b
    Example:
      quizzer report --out ~/quizzer-report.html
      quizzer report --lang zh --out ~/report-zh.html
    """
    from quizzer.export.files import Format, atomic_write, output_target
    from quizzer.report import build

    fmt = Format("report.html", no_stdout="the report is a page to open in a browser")
    output_target(out, fmt)  # refuse a bad target before building the report
    page = build(open_store(ctx), lang or lang_of(ctx))
    target = atomic_write(out, lambda tmp: tmp.write_text(page, encoding="utf-8"), fmt)
    charts = page.count('<svg class="chart"')
    click.echo(f"Wrote {target} ({charts} chart{'' if charts == 1 else 's'}).")
