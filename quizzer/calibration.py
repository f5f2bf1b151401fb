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

from sqlalchemy import text

MIN_ELAPSED_DAYS = 1.0
PLOT_BINS = 10  # the report's chart: predicted recall in tenths

# One row per scored review's group of (whole elapsed days, review number, lapses so far),
# summed in SQL; reviews are read in each card's order through the window functions.
SCORED_SQL = """
SELECT CAST(elapsed AS INTEGER) AS days, i, lapses, COUNT(*), SUM(p), SUM(y),
       SUM(CASE WHEN y THEN ln(p) ELSE ln(1 - p) END),
       MIN(CAST(p * :plot AS INTEGER), :plot - 1) AS plot_bin
FROM (
  SELECT *, COALESCE(SUM(elapsed >= :min_days AND y = 0) OVER (
           PARTITION BY card_id ORDER BY reviewed_at, id
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS lapses
  FROM (
    SELECT card_id, reviewed_at, id, retrievability, correct AS y,
           MIN(0.999999, MAX(0.000001, retrievability)) AS p,
           julianday(reviewed_at) - julianday(LAG(reviewed_at) OVER w) AS elapsed,
           ROW_NUMBER() OVER w AS i
    FROM reviews INDEXED BY ix_reviews_stats
    WHERE mode = 'review' AND correct IS NOT NULL
    WINDOW w AS (PARTITION BY card_id ORDER BY reviewed_at, id)
  )
)
WHERE elapsed >= :min_days AND retrievability IS NOT NULL
GROUP BY days, i, lapses, plot_bin
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
    with store.engine.connect() as c:
        rows = c.execute(text(SCORED_SQL), {"plot": PLOT_BINS, "min_days": MIN_ELAPSED_DAYS}).all()
    n = sum(r[3] for r in rows)
    out: dict[str, Any] = {"reviews": n, "log_loss": None, "rmse_bins": None,
                           "parameters": parameters, "bins": []}  # fmt: skip
    if n == 0:
        return out
    groups: dict[tuple[float, float, float], list[float]] = {}
    plot: dict[int, list[float]] = {}
    ll = 0.0
    for days, i, lapses, count, sum_p, sum_y, sum_ln, plot_bin in rows:
        g = groups.setdefault(rmse_key(days, i, lapses), [0, 0.0, 0.0])
        g[0], g[1], g[2] = g[0] + count, g[1] + sum_p, g[2] + sum_y
        b = plot.setdefault(plot_bin, [0, 0.0, 0.0])
        b[0], b[1], b[2] = b[0] + count, b[1] + sum_p, b[2] + sum_y
        ll += sum_ln
    sq = sum(w * (sp / w - sy / w) ** 2 for w, sp, sy in groups.values())
    out["log_loss"] = -ll / n
    out["rmse_bins"] = math.sqrt(sq / n)
    out["bins"] = [{"bin": k, "n": w, "predicted": sp / w, "actual": sy / w}
                   for k, (w, sp, sy) in sorted(plot.items())]  # fmt: skip
    return out
