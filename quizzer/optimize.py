"""FSRS parameters fitted to the learner's own reviews (`quizzer optimize`).

The history is every scheduled review (mode 'review', rated), card by card in time order.
Reviews a day or more after the card's previous review are the *long-term* ones, the only
ones FSRS's memory model is scored on (quizzer.calibration says why). They are ordered by
time and split: the parameters are fitted on every review before the first of the last
HELD_OUT share of them (the earlier ~80 %), and the default and the fitted parameters are
both scored on that last share (the held-out reviews), each held-out review predicted by
replaying its card's whole earlier history with those parameters through py-fsrs's own
Scheduler, the code that schedules the learner. The fitted parameters are kept only when
their held-out log loss is lower than the defaults'.

The parameters kept are exactly the ones scored (fitted on the earlier ~80 %): they are not
fitted again on all reviews, so the figures stored with them are those parameters' honest
held-out figures. The newest reviews join the fit the next time `quizzer optimize` runs.

The fit is fsrs-rs (the Rust optimizer behind Anki) through its Python binding,
fsrs-rs-python: it returns FSRS-6's 21 parameters, the vector py-fsrs 6's
fsrs.Scheduler(parameters=...) takes, and fits 100,000 reviews in seconds (bench/optimize.py
measures it against py-fsrs's own torch Optimizer). It is imported only here, inside the
functions that fit.

Nothing is written until the end: `save` is one short write transaction, so sessions
answering meanwhile lose nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from quizzer.calibration import MIN_ELAPSED_DAYS, Scores

HELD_OUT = 0.2  # the newest share of the long-term reviews, scored and not fitted on
MIN_FIT = 400  # long-term reviews needed to fit on
MIN_HELD_OUT = 100  # long-term reviews needed to score on
MIN_LONG_TERM = MIN_FIT + MIN_HELD_OUT  # what `quizzer optimize` asks of a history
OPTIMIZER = "fsrs-rs-python"
RETENTIONS = (0.70, 0.99)  # what `quizzer config retention` accepts

# (card_id, reviewed_at as stored, rating, duration_ms), card by card, in time order
HISTORY_SQL = """
SELECT card_id, reviewed_at, rating, duration_ms FROM reviews
WHERE mode = 'review' AND rating IS NOT NULL ORDER BY card_id, reviewed_at, id
"""

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Review:
    at: datetime  # aware UTC
    rating: int  # 1 Again .. 4 Easy
    duration_ms: int | None


History = dict[int, list[Review]]  # card_id -> its scheduled reviews, oldest first


@dataclass
class Outcome:
    """What `quizzer optimize` found: the fitted parameters and both sets' held-out figures."""

    parameters: list[float]
    optimizer: str
    reviews_fitted: int  # scheduled reviews before the split (every one the fit saw)
    reviews_held_out: int  # long-term reviews scored
    default: Scores = field(repr=False)
    fitted: Scores = field(repr=False)
    split_at: datetime

    @property
    def kept(self) -> bool:
        """The fitted parameters predicted the held-out reviews better (lower log loss)."""
        return self.fitted.log_loss < self.default.log_loss  # type: ignore[operator]


class NotEnoughHistory(Exception):
    """Fewer long-term reviews than MIN_LONG_TERM: `have` of them."""

    def __init__(self, have: int) -> None:
        super().__init__(f"{have} long-term reviews, {MIN_LONG_TERM} needed")
        self.have = have


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def load(store: Any) -> History:
    """Every scheduled review of the learner, card by card, in time order (one read)."""
    history: History = {}
    with store.engine.connect() as c:
        rows = c.connection.driver_connection.execute(HISTORY_SQL).fetchall()
    parse = datetime.fromisoformat
    for card_id, at, rating, ms in rows:
        history.setdefault(card_id, []).append(Review(parse(at).replace(tzinfo=UTC), rating, ms))
    return history


def long_term_times(history: History) -> list[datetime]:
    """The times of the long-term reviews (a day or more after the card's previous one),
    oldest first."""
    day = timedelta(days=MIN_ELAPSED_DAYS)
    return sorted(
        r.at
        for reviews in history.values()
        for p, r in zip(reviews, reviews[1:], strict=False)
        if r.at - p.at >= day
    )


def split_time(history: History) -> datetime:
    """The first held-out moment: the time of the first of the newest HELD_OUT share of the
    long-term reviews. Raises NotEnoughHistory below MIN_LONG_TERM of them."""
    times = long_term_times(history)
    if len(times) < MIN_LONG_TERM:
        raise NotEnoughHistory(len(times))
    return times[min(int(len(times) * (1 - HELD_OUT)), len(times) - MIN_HELD_OUT)]


def fsrs_items(history: History, before: datetime) -> list[Any]:
    """fsrs-rs training items from the reviews before `before`: one per long-term review,
    its card's reviews up to it, as (rating, whole days since the previous review) — the
    whole 24-hour periods py-fsrs's Scheduler counts. Ordered by the time of their last
    review."""
    from fsrs_rs_python import FSRSItem, FSRSReview

    dated: list[tuple[datetime, Any]] = []
    for reviews in history.values():
        steps: list[Any] = []
        prev: datetime | None = None
        for r in reviews:
            if r.at >= before:
                break
            days = 0 if prev is None else (r.at - prev).days
            steps.append(FSRSReview(r.rating, days))
            if prev is not None and days > 0:
                dated.append((r.at, FSRSItem(list(steps))))
            prev = r.at
    dated.sort(key=lambda d: d[0])
    return [item for _, item in dated]


def fit(history: History, before: datetime) -> list[float]:
    """FSRS-6's 21 parameters fitted by fsrs-rs to the reviews before `before`, brought
    within py-fsrs's bounds (fsrs-rs computes in 32-bit floats: its 0.8 is 0.80000001)."""
    import fsrs
    from fsrs_rs_python import DEFAULT_PARAMETERS, FSRS

    items = fsrs_items(history, before)
    weights = FSRS(DEFAULT_PARAMETERS).compute_parameters(items, enable_short_term=True)
    lo, hi = fsrs.scheduler.LOWER_BOUNDS_PARAMETERS, fsrs.scheduler.UPPER_BOUNDS_PARAMETERS
    return [min(h, max(w_lo, w)) for w, w_lo, h in zip(weights, lo, hi, strict=True)]


def score(
    history: History,
    weights: Sequence[float] | None,
    since: datetime,
    progress: Progress = _quiet,
    stage: str = "",
) -> Scores:
    """Log loss and RMSE (bins) of `weights` (None: FSRS's defaults) on the long-term
    reviews at or after `since`: each predicted by replaying its card's whole earlier
    history through py-fsrs's Scheduler with those parameters, and binned as
    quizzer.calibration bins (review number, lapses and elapsed days of the card)."""
    import fsrs

    from quizzer.schedule import Parameters, make_scheduler

    params = Parameters(None if weights is None else tuple(weights))
    scheduler = make_scheduler(fuzz=False, parameters=params)
    recall, review = scheduler.get_card_retrievability, scheduler.review_card
    ratings = {r: fsrs.Rating(r) for r in (1, 2, 3, 4)}
    day = timedelta(days=MIN_ELAPSED_DAYS)
    scores, total = Scores(), len(history)
    for k, reviews in enumerate(history.values()):
        if reviews[-1].at < since:
            continue  # nothing of this card is held out
        card = fsrs.Card(card_id=k, state=fsrs.State.Learning, step=0)
        prev, lapses, scored = None, 0, []
        for i, r in enumerate(reviews, 1):
            if prev is not None and r.at - prev >= day:
                y = int(r.rating > 1)
                if r.at >= since:
                    scored.append((recall(card, r.at), y, (r.at - prev).days, i, lapses))
                lapses += 1 - y
            card, _log = review(card, ratings[r.rating], r.at)
            prev = r.at
        scores.extend(scored)
        if k % 64 == 0:
            progress(stage, k, total)
    progress(stage, total, total)
    return scores


def optimizer_name() -> str:
    """The fitting library and its version, as stored with the parameters."""
    from importlib.metadata import version

    return f"{OPTIMIZER} {version(OPTIMIZER)}"


def reviews_before(history: History, since: datetime) -> int:
    """The scheduled reviews before `since`: every one the fit saw."""
    return sum(r.at < since for reviews in history.values() for r in reviews)


def optimize(history: History, progress: Progress = _quiet) -> Outcome:
    """Fit on the earlier reviews, score the defaults and the fit on the held-out ones
    (module doc). Raises NotEnoughHistory."""
    since = split_time(history)
    progress("fit", 0, 1)
    weights = fit(history, since)
    progress("fit", 1, 1)
    default = score(history, None, since, progress, "default")
    fitted = score(history, weights, since, progress, "fitted")
    return Outcome(
        parameters=weights,
        optimizer=optimizer_name(),
        reviews_fitted=reviews_before(history, since),
        reviews_held_out=fitted.n,
        default=default,
        fitted=fitted,
        split_at=since,
    )


def save(store: Any, outcome: Outcome, now: datetime | None = None) -> int:
    """Record the outcome (kept or not) in one write transaction; its fsrs_parameters id.
    From then on a kept row schedules every review (quizzer.schedule.parameters_in_use)."""
    from quizzer.models import FsrsParameters, utcnow

    row = FsrsParameters(
        fitted_at=now or utcnow(),
        parameters=json.dumps(outcome.parameters),
        optimizer=outcome.optimizer,
        reviews_fitted=outcome.reviews_fitted,
        reviews_held_out=outcome.reviews_held_out,
        default_log_loss=outcome.default.log_loss,
        default_rmse_bins=outcome.default.rmse_bins,
        fitted_log_loss=outcome.fitted.log_loss,
        fitted_rmse_bins=outcome.fitted.rmse_bins,
        kept=outcome.kept,
    )
    with store.write() as s:
        s.add(row)
        s.flush()
        return row.id


def optimal_retention(
    history: History, weights: Sequence[float] | None, cards: int, new_per_day: int
) -> float:
    """The desired retention that costs the learner the least time per card remembered,
    by fsrs-rs's simulator (a year of `cards` cards, `new_per_day` new a day), from the
    learner's own first-rating and review-rating shares and mean answer times per state
    and rating (the simulator's defaults where the learner has none); within RETENTIONS.
    `weights`: the parameters to simulate with (None: FSRS's defaults)."""
    import fsrs_rs_python as rs

    config = rs.default_simulator_config()
    first = [0] * 4
    recalled = [0] * 3  # Hard, Good, Easy of long-term reviews answered right
    costs: list[list[list[float]]] = [[[] for _ in range(4)] for _ in range(3)]
    day = timedelta(days=MIN_ELAPSED_DAYS)
    for reviews in history.values():
        first[reviews[0].rating - 1] += 1
        lapsed = False  # relearning: same-day steps after a long-term lapse
        for k, r in enumerate(reviews):
            long_term = k > 0 and r.at - reviews[k - 1].at >= day
            if long_term:
                lapsed = r.rating == 1
                if r.rating > 1:
                    recalled[r.rating - 2] += 1
            state = 1 if long_term else (2 if lapsed else 0)  # learning, review, relearning
            if r.duration_ms and r.duration_ms > 0:
                costs[state][r.rating - 1].append(r.duration_ms / 1000)
    if sum(first):
        config.first_rating_prob = [n / sum(first) for n in first]
    if sum(recalled):
        config.review_rating_prob = [n / sum(recalled) for n in recalled]
    config.state_rating_costs = [
        [sum(c) / len(c) if c else default for c, default in zip(row, defaults, strict=True)]
        for row, defaults in zip(costs, config.state_rating_costs, strict=True)
    ]
    config.deck_size = max(cards, 1)
    config.learn_limit = max(new_per_day, 1)
    best = rs.optimal_retention(config, list(rs.DEFAULT_PARAMETERS if weights is None else weights))
    return round(min(RETENTIONS[1], max(RETENTIONS[0], best)), 2)


def in_use(store: Any) -> dict[str, Any] | None:
    """The fitted parameters that schedule now (the newest kept fsrs_parameters row), with
    the held-out figures that had them kept; None while FSRS's defaults are in use.

    {"parameters": [21 floats], "fitted_at": aware UTC datetime, "optimizer": str,
     "reviews_fitted": int, "reviews_held_out": int,
     "default": {"log_loss": float, "rmse_bins": float},
     "fitted": {"log_loss": float, "rmse_bins": float}}
    """
    from sqlalchemy import select

    from quizzer.models import FsrsParameters

    newest_kept = (
        select(FsrsParameters)
        .where(FsrsParameters.kept.is_(True))
        .order_by(FsrsParameters.id.desc())
        .limit(1)
    )
    with store.session() as s:
        row = s.scalars(newest_kept).first()
    if row is None:
        return None
    return {
        "parameters": [float(w) for w in json.loads(row.parameters)],
        "fitted_at": row.fitted_at,
        "optimizer": row.optimizer,
        "reviews_fitted": row.reviews_fitted,
        "reviews_held_out": row.reviews_held_out,
        "default": {"log_loss": row.default_log_loss, "rmse_bins": row.default_rmse_bins},
        "fitted": {"log_loss": row.fitted_log_loss, "rmse_bins": row.fitted_rmse_bins},
    }
