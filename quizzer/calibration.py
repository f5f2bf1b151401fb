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
"""

from __future__ import annotations

import math
from typing import Any

MIN_ELAPSED_DAYS = 1.0
PLOT_BINS = 10  # the report's chart: predicted recall in tenths

# Each card's scheduled reviews in order, read through the (card_id, reviewed_at) index:
# the bookkeeping per card (previous review, review number, lapses) is one pass in Python,
# which is twice as fast here as SQL window functions over a million reviews.
REVIEWS_SQL = """
SELECT card_id, julianday(reviewed_at), correct, retrievability
FROM reviews INDEXED BY ix_reviews_card_time
WHERE mode = 'review' AND correct IS NOT NULL
ORDER BY card_id, reviewed_at
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


def calibration(store: Any, parameters: str = "default") -> dict[str, Any]:
    """{reviews, log_loss, rmse_bins, parameters, bins}: `reviews` is the number scored;
    `bins` the report's chart (predicted recall in tenths: n, mean predicted, share
    recalled). log_loss and rmse_bins are None when no review qualifies."""
    groups: dict[tuple[int, int, int], list[float]] = {}  # (days, i, lapses): n, Σp, Σy
    plot = [[0, 0.0, 0.0] for _ in range(PLOT_BINS)]
    n, ll = 0, 0.0
    log = math.log
    with store.engine.connect() as c:
        card, prev, i, lapses = None, 0.0, 0, 0
        # the driver's own cursor: a million rows without SQLAlchemy's per-row processing
        for card_id, t, y, r in c.connection.driver_connection.execute(REVIEWS_SQL):
            if card_id != card:
                card, prev, i, lapses = card_id, t, 1, 0
                continue
            i += 1
            elapsed, prev = t - prev, t
            if elapsed < MIN_ELAPSED_DAYS or r is None:
                continue
            p = min(0.999999, max(0.000001, r))
            g = groups.setdefault((int(elapsed), i, lapses), [0, 0.0, 0.0])
            g[0], g[1], g[2] = g[0] + 1, g[1] + p, g[2] + y
            b = plot[min(int(p * PLOT_BINS), PLOT_BINS - 1)]
            b[0], b[1], b[2] = b[0] + 1, b[1] + p, b[2] + y
            ll += log(p) if y else log(1 - p)
            n += 1
            lapses += not y
    out: dict[str, Any] = {"reviews": n, "log_loss": None, "rmse_bins": None,
                           "parameters": parameters, "bins": []}  # fmt: skip
    if n == 0:
        return out
    binned: dict[tuple[float, float, float], list[float]] = {}
    for (days, i, lapses), (w, sp, sy) in groups.items():
        g = binned.setdefault(rmse_key(days, i, lapses), [0, 0.0, 0.0])
        g[0], g[1], g[2] = g[0] + w, g[1] + sp, g[2] + sy
    sq = sum(w * (sp / w - sy / w) ** 2 for w, sp, sy in binned.values())
    out["log_loss"] = -ll / n
    out["rmse_bins"] = math.sqrt(sq / n)
    out["bins"] = [{"bin": k, "n": w, "predicted": sp / w, "actual": sy / w}
                   for k, (w, sp, sy) in enumerate(plot) if w]  # fmt: skip
    return out
