"""`quizzer optimize`: FSRS parameters fitted to the learner's own reviews."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import click

from quizzer.cli_common import lang_of, open_store

EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for a command stopped by Ctrl-C


@click.command()
@click.option(
    "--retention",
    is_flag=True,
    help="Also suggest a desired retention: the one that costs you the least review time "
    "per card remembered, simulated by fsrs-rs from your own answer times.",
)
@click.option("--dry-run", is_flag=True, help="Fit and score, but save nothing.")
@click.pass_context
def optimize(ctx: click.Context, retention: bool, dry_run: bool) -> None:
    """Fit FSRS's parameters to your own review history, and keep them if they predict
    your memory better than FSRS's defaults.

    Your scheduled reviews (quizzer review; practice is not used) are split by time. The
    reviews that came a day or more after the card's previous review are ordered by time:
    the parameters are fitted (fsrs-rs, Anki's optimizer) on every review before the first
    of the newest 20 % of them, and FSRS's default and the fitted parameters are both
    scored on that newest 20 % (the held-out reviews), each predicted by replaying the
    card's whole earlier history with those parameters. Reviews less than a day after the
    card's previous one are not scored (FSRS's rule for same-day steps), as in quizzer
    stats' calibration. Shown: log loss and RMSE over bins of both.

    The fitted parameters are kept only if their held-out log loss is lower; they then
    schedule every review from the next one on (each review records the parameters that
    scheduled it, so quizzer check still replays every card exactly). What is kept is
    exactly what was scored, fitted on the earlier 80 %, not refitted on everything: the
    figures stored with it are its honest held-out figures, and your newest reviews join
    the fit the next time you run it.

    Ctrl-C stops it with nothing saved (exit status 130).

    It needs at least 500 reviews made at least a day after the same card's previous review
    (400 to fit, 100 to score); with fewer it says how many you have and changes nothing.

    \b
    Example:
      quizzer optimize
      quizzer optimize --dry-run --retention
    """
    from quizzer import optimize as opt
    from quizzer.i18n import t

    lang = lang_of(ctx)
    store = open_store(ctx, write=not dry_run)
    try:
        outcome, suggested = _fit(store, lang, retention)
        if not dry_run:
            opt.save(store, outcome)  # one transaction: an interrupt inside it rolls back
    except KeyboardInterrupt:  # Ctrl-C: what was fitted and scored is dropped
        click.echo(t("optimize_interrupted", lang), err=True)
        ctx.exit(EXIT_INTERRUPTED)
    _show(outcome, lang)
    figures = {
        "fitted": f"{outcome.fitted.log_loss:.4f}",
        "default": f"{outcome.default.log_loss:.4f}",
    }
    if dry_run:
        key = "optimize_would_keep" if outcome.kept else "optimize_would_not_keep"
        click.echo(t(key, lang, **figures))
    elif outcome.kept:
        click.echo(t("optimize_kept", lang, **figures))
    else:
        now_in_use = opt.in_use(store)
        staying = (
            t("optimize_staying_default", lang)
            if now_in_use is None
            else t("optimize_staying_fitted", lang, date=f"{now_in_use['fitted_at']:%Y-%m-%d}")
        )
        click.echo(t("optimize_not_kept", lang, staying=staying, **figures))
    if suggested is not None:
        current = f"{store.get_setting('retention'):.2f}"
        lowest = suggested <= opt.RETENTIONS[0]  # fsrs-rs's answer at the search's bound
        key = "optimize_retention_lowest" if lowest else "optimize_retention"
        click.echo(t(key, lang, suggested=f"{suggested:.2f}", current=current))


def _fit(store: Any, lang: str, retention: bool) -> tuple[Any, float | None]:
    """Fit and score, with a progress bar: the optimize.Outcome, and the suggested desired
    retention (None without --retention). Saves nothing."""
    from quizzer import optimize as opt
    from quizzer.i18n import t
    from quizzer.schedule import parameters_in_use

    with _progress() as bar:
        step = bar.stage(t("optimize_stage_read", lang))
        history = opt.load(store)
        step.done()
        try:
            since = opt.split_time(history)
        except opt.NotEnoughHistory as exc:
            raise click.ClickException(
                t("optimize_too_little", lang, needed=opt.MIN_LONG_TERM, have=exc.have)
            ) from None
        optimizer = opt.optimizer_name()
        step = bar.stage(t("optimize_stage_fit", lang, optimizer=optimizer))
        weights = opt.fit(history, since)
        step.done()
        step = bar.stage(t("optimize_stage_default", lang), total=len(history))
        default = opt.score(history, None, since, step.update)
        step = bar.stage(t("optimize_stage_fitted", lang), total=len(history))
        fitted = opt.score(history, weights, since, step.update)
        outcome = opt.Outcome(
            weights, optimizer, opt.reviews_before(history, since), fitted.n, default, fitted,
            since,
        )  # fmt: skip
        suggested = None
        if retention:
            step = bar.stage(t("optimize_stage_retention", lang))
            with store.engine.connect() as c:
                current = parameters_in_use(c).weights
            use = outcome.parameters if outcome.kept else current
            suggested = opt.optimal_retention(
                history, use, len(history), store.get_setting("new-per-day")
            )
            step.done()
    return outcome, suggested


def _show(outcome: Any, lang: str) -> None:
    """The split, then both sets' held-out figures as a small table (padded by display
    width, so the Chinese column lines up)."""
    from quizzer.i18n import counted, t
    from quizzer.ui import cells, padded

    click.echo(
        t(
            "optimize_split", lang, optimizer=outcome.optimizer,
            fitted=counted("n_scheduled_reviews", outcome.reviews_fitted, lang),
            held_out=counted("n_reviews", outcome.reviews_held_out, lang),
            split=f"{outcome.split_at:%Y-%m-%d %H:%M} UTC",
        )
    )  # fmt: skip

    rows = [
        (t("optimize_col_params", lang), t("optimize_col_log_loss", lang),
         t("optimize_col_rmse", lang)),
        (t("optimize_row_default", lang), f"{outcome.default.log_loss:.4f}",
         f"{outcome.default.rmse_bins:.4f}"),
        (t("optimize_row_fitted", lang), f"{outcome.fitted.log_loss:.4f}",
         f"{outcome.fitted.rmse_bins:.4f}"),
    ]  # fmt: skip
    widths = [max(cells(r[k]) for r in rows) for k in range(3)]
    for name, log_loss, rmse in rows:
        click.echo(
            f"  {padded(name, widths[0])}  {padded(log_loss, widths[1], True)}  "
            f"{padded(rmse, widths[2], True)}"
        )


class _Stage:
    def __init__(self, bar: Any, task: Any) -> None:
        self.bar, self.task = bar, task

    def update(self, _stage: str, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)

    def done(self) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=1, total=1)


class _Bar:
    """A rich progress bar on standard error, one line per stage; nothing when standard
    error is not a terminal (a pipe, a test)."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress

    def stage(self, label: str, total: int | None = None) -> _Stage:
        if self.progress is None:
            return _Stage(None, None)
        return _Stage(self.progress, self.progress.add_task(label, total=total))


def _progress() -> AbstractContextManager[_Bar]:
    if not sys.stderr.isatty():
        return nullcontext(_Bar(None))
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    @contextmanager
    def shown():
        columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            yield _Bar(progress)

    return shown()
