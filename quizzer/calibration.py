"""How well FSRS's predicted recall matched what happened: log loss and RMSE over bins.

Only reviews whose previous scheduled review of the same card was at least one day
earlier are scored. FSRS's memory model predicts recall across days; for a review minutes
after the last one it predicts ~0.999999, so one same-day slip would add ~13.8 to the log
loss and swamp every real figure. srs-benchmark and FSRS's optimizer leave such short-term
reviews out the same way.

RMSE (bins) follows srs-benchmark's `rmse_matrix`: reviews are grouped by the elapsed days
since the previous review, the review's number in the card's history and the card's lapses
so far (earlier reviews answered wrong at least a day after the one before them), each on
a logarithmic scale (2.48·3.62^k days, 1.99·1.89^k reviews, 1.65·1.73^k lapses, or 0);
within a group the mean prediction is compared with the share recalled, and the groups are
weighted by their number of reviews. Log loss is the mean of −[y·ln p + (1 − y)·ln(1 − p)],
p clamped to [1e-6, 1 − 1e-6].

The scored reviews' predictions are the `retrievability` quizzer stored at the moment of
each review (the recall of the state before it, with the parameters then in use).
`Scores` does the arithmetic for calibration() and for `quizzer optimize`, which scores
the predictions of replayed histories the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

MIN_ELAPSED_DAYS = 1.0
PLOT_BINS = 10  # the report's chart: predicted recall in tenths

# Every scheduled review, read in time order from the covering index ix_reviews_stats (one
# sequential scan: the (card_id, reviewed_at) index would fetch each row from the table in
# card order, a random read per review, 4x slower at a million reviews on a cold cache);
# numpy then orders them by card, stably (time order kept within each card), and does the
# bookkeeping per card (previous review, review number, lapses) on arrays.
REVIEWS_SQL = """
SELECT card_id, julianday(reviewed_at), correct, COALESCE(retrievability, -1)
FROM reviews INDEXED BY ix_reviews_stats
WHERE mode = 'review' AND correct IS NOT NULL
"""


def _log_bin(x: float, base: float, scale: float, digits: int) -> float:
    return round(scale * base ** math.floor(math.log(x) / math.log(base)), digits)


def rmse_key(days: int, i: int, lapses: int) -> tuple[float, float, float]:
    """srs-benchmark's bin of a review: (elapsed days, review number, lapses)."""
    return (
        _log_bin(max(days, 1e-6), 3.62, 2.48, 2),
        _log_bin(i, 1.89, 1.99, 0),
        _log_bin(lapses, 1.73, 1.65, 0) if lapses else 0,
    )


class Scores:
    """Log loss and srs-benchmark's RMSE (bins) of recall predictions, one review at a time
    (`add`), for calibration() and for `quizzer optimize`'s held-out comparison."""

    def __init__(self) -> None:
        self.n = 0
        self.log_sum = 0.0  # Σ ln of the probability given to what happened
        self.groups: dict[tuple[int, int, int], list[float]] = {}  # (days, i, lapses): n, Σp, Σy

    def add(self, p: float, y: int, days: int, i: int, lapses: int) -> None:
        """Score a prediction p of recall against y (1 recalled, 0 not), for a review `days`
        whole days after the card's previous one, the card's i-th review (from 1), after
        `lapses` earlier scored lapses of the card. p is clamped to [1e-6, 1 - 1e-6]."""
        self.extend(((p, y, days, i, lapses),))

    def extend(self, scored: Iterable[tuple[float, int, int, int, int]]) -> None:
        """add() each (p, y, days, i, lapses) of `scored`, in one loop."""
        groups, log = self.groups, math.log
        n, total = self.n, self.log_sum
        for p, y, days, i, lapses in scored:
            p = min(0.999999, max(0.000001, p))
            g = groups.get((days, i, lapses))
            if g is None:
                groups[days, i, lapses] = [1, p, y]
            else:
                g[0], g[1], g[2] = g[0] + 1, g[1] + p, g[2] + y
            total += log(p) if y else log(1 - p)
            n += 1
        self.n, self.log_sum = n, total

    def extend_arrays(self, p: Any, y: Any, days: Any, i: Any, lapses: Any) -> None:
        """extend() from equal-length numpy arrays, grouped in numpy (a million reviews
        without a Python loop per review)."""
        import numpy as np

        if not len(p):
            return
        p = np.clip(p, 0.000001, 0.999999)
        self.log_sum += float(np.where(y > 0, np.log(p), np.log1p(-p)).sum())
        self.n += len(p)
        m = int(max(i.max(), lapses.max())) + 1  # one int64 key per (days, i, lapses)
        if (int(days.max()) + 1) * m * m >= 2**62:
            self.extend(zip(p.tolist(), y.tolist(), days.tolist(), i.tolist(), lapses.tolist(),
                            strict=True))  # fmt: skip
            return
        keys, inverse = np.unique((days * m + i) * m + lapses, return_inverse=True)
        inverse = inverse.reshape(-1)
        w = np.bincount(inverse).tolist()
        sp = np.bincount(inverse, weights=p).tolist()
        sy = np.bincount(inverse, weights=y).tolist()
        groups = self.groups
        for k, gw, gp, gy in zip(keys.tolist(), w, sp, sy, strict=True):
            key = (k // (m * m), k // m % m, k % m)
            g = groups.get(key)
            if g is None:
                groups[key] = [gw, gp, gy]
            else:
                g[0], g[1], g[2] = g[0] + gw, g[1] + gp, g[2] + gy

    @property
    def log_loss(self) -> float | None:
        """Mean of -[y ln p + (1 - y) ln(1 - p)]; None when nothing was scored."""
        return -self.log_sum / self.n if self.n else None

    @property
    def rmse_bins(self) -> float | None:
        """srs-benchmark's RMSE over bins (rmse_key), weighted by reviews; None when empty."""
        if not self.n:
            return None
        binned: dict[tuple[float, float, float], list[float]] = {}
        for (days, i, lapses), (w, sp, sy) in self.groups.items():
            g = binned.setdefault(rmse_key(days, i, lapses), [0, 0.0, 0.0])
            g[0], g[1], g[2] = g[0] + w, g[1] + sp, g[2] + sy
        sq = sum(w * (sp / w - sy / w) ** 2 for w, sp, sy in binned.values())
        return math.sqrt(sq / self.n)


# when fitted parameters first scheduled: every review from then on was predicted by them
FITTED_SINCE_SQL = "SELECT MIN(julianday(fitted_at)) FROM fsrs_parameters WHERE kept"


def calibration(store: Any, parameters: str | None = None) -> dict[str, Any]:
    """{reviews, log_loss, rmse_bins, parameters, predicted_by, bins}: `reviews` is the
    number scored; `parameters` is "optimized" when parameters fitted by `quizzer optimize`
    schedule now, else "default" (looked up when not given); `predicted_by` how many of the
    scored reviews' predictions were made by the default parameters and how many by fitted
    ones ({"default": n, "optimized": n}: the stored recall of each review is the one the
    parameters in use at that moment gave, so the figures score those, not the parameters in
    use now; a review counts as fitted when it came after the first kept fit); `bins` the
    report's chart (predicted recall in tenths: n, mean predicted, share recalled).
    log_loss and rmse_bins are None when no review qualifies."""
    import numpy as np

    with store.engine.connect() as c:
        if parameters is None:
            from quizzer.schedule import parameters_in_use

            parameters = "default" if parameters_in_use(c).id is None else "optimized"
        # the driver's own cursor: a million rows without SQLAlchemy's per-row processing
        raw = c.connection.driver_connection
        rows = raw.execute(REVIEWS_SQL).fetchall()
        fitted_since = raw.execute(FITTED_SINCE_SQL).fetchone()[0]
    a = np.array(rows, dtype=np.float64).reshape(-1, 4)
    del rows
    a = a[np.argsort(a[:, 0].astype(np.int64), kind="stable")]  # by card, then time
    card, t, y, r = a[:, 0], a[:, 1], a[:, 2], a[:, 3]
    first = np.ones(len(a), dtype=bool)  # each card's first review: nothing before it
    first[1:] = card[1:] != card[:-1]
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    number = np.arange(1, len(a) + 1) - starts[group]  # the review's number in its card
    elapsed = np.zeros(len(a))
    elapsed[1:] = t[1:] - t[:-1]
    scored = ~first & (elapsed >= MIN_ELAPSED_DAYS) & (r >= 0)  # -1: no stored recall
    lapse = (scored & (y == 0)).astype(np.int64)  # counts for the card's later reviews
    before = np.cumsum(lapse) - lapse
    lapses = before - before[starts][group]
    p, y = r[scored], y[scored]
    fitted = 0 if fitted_since is None else int((t[scored] >= fitted_since).sum())
    scores = Scores()
    scores.extend_arrays(p, y, elapsed[scored].astype(np.int64), number[scored], lapses[scored])
    p = np.clip(p, 0.000001, 0.999999)
    tenth = np.minimum((p * PLOT_BINS).astype(np.int64), PLOT_BINS - 1)
    plot = zip(
        *(np.bincount(tenth, weights=v, minlength=PLOT_BINS).tolist() for v in (None, p, y)),
        strict=True,
    )
    out: dict[str, Any] = {"reviews": scores.n, "log_loss": scores.log_loss,
                           "rmse_bins": scores.rmse_bins, "parameters": parameters,
                           "predicted_by": {"default": scores.n - fitted, "optimized": fitted},
                           "bins": []}  # fmt: skip
    out["bins"] = [{"bin": k, "n": w, "predicted": sp / w, "actual": sy / w}
                   for k, (w, sp, sy) in enumerate(plot) if w]  # fmt: skip
    return out
