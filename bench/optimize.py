"""`quizzer optimize` on 100,000 reviews, and the two FSRS optimizers it was chosen between.

    python bench/run.py optimize        (or: python bench/optimize.py [REVIEWS])

A simulated learner whose memory follows known FSRS-6 parameters (TRUE, not the defaults)
answers cards scheduled by FSRS's defaults over two years; each answer is drawn from the
true model's recall at that moment. The same reviews go through:

- fsrs-rs (Anki's Rust optimizer) through fsrs-rs-python, as quizzer.optimize.fit calls it;
- py-fsrs's own Optimizer (`pip install "fsrs[optimizer]"`: torch, pandas, tqdm), on the
  same reviews as ReviewLogs; skipped, with a note, if pandas or tqdm is missing. It runs
  its full 5 epochs on TORCH_CAP reviews at most (it is slow): the time for 100,000 is then
  extrapolated (linear in reviews), and said so;
- the whole `quizzer --db FILE optimize --dry-run` command (wall time, peak memory).

Both fits are scored on the held-out reviews the command uses (log loss: lower is better).
The database is built once into bench/out/ (kept; its name carries VERSION).
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
VERSION = "v1"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 730
TORCH_CAP = 20_000  # reviews py-fsrs's Optimizer is timed on at most
# a learner who forgets faster at first than FSRS's defaults expect, and recovers more slowly
TRUE = (0.1, 0.6, 1.2, 4.0, 6.8, 0.5, 2.2, 0.01, 1.3, 0.25, 0.9, 1.9, 0.11, 0.33, 1.2, 0.4,
        2.2, 0.6, 0.1, 0.1, 0.35)  # fmt: skip


def _sql_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, reviews: int, seed: int = 7) -> str:
    """A database at quizzer's current schema holding `reviews` scheduled reviews of a
    simulated learner (module doc): synthetic concept cards, each first seen at a random
    moment of the last DAYS days and reviewed when due (plus a few hours), until NOW."""
    import fsrs

    from quizzer import schedule
    from quizzer.db import connect
    from quizzer.store import Store

    rng = random.Random(seed)
    Store(connect(str(path))).engine.dispose()
    sched = schedule.make_scheduler(0.9)
    truth = fsrs.Scheduler(parameters=TRUE, enable_fuzzing=False)
    con = sqlite3.connect(path)
    rows, cards, done, next_id = [], [], 0, 100_000
    while done < reviews:
        next_id += 1
        at = NOW - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        cards.append((next_id, f"concept:bench/opt-{next_id}", _sql_time(at)))
        card = fsrs.Card(card_id=next_id, state=fsrs.State.Learning, step=0)
        true = fsrs.Card(card_id=next_id, state=fsrs.State.Learning, step=0)
        while done < reviews and at < NOW:
            recalled = true.last_review is None or rng.random() < truth.get_card_retrievability(
                true, at
            )
            rating = rng.choice((2, 3, 3, 3, 3, 3, 3, 3, 4, 4)) if recalled else 1
            card = schedule.review(sched, card, rating, at)
            true, _ = truth.review_card(true, fsrs.Rating(rating), at)
            rows.append((next_id, _sql_time(at), int(recalled), rating, rng.randint(3000, 40000)))
            done += 1
            gap = card.due - at
            at = card.due + (
                gap * rng.uniform(0, 0.2)
                if gap < timedelta(days=1)
                else timedelta(seconds=rng.uniform(0, 8 * 3600))
            )
    con.executemany(
        "INSERT INTO cards (id, uid, kind, deck, active, created_at) "
        "VALUES (?, ?, 'concept', 'bench', 1, ?)",
        cards,
    )
    con.executemany(
        "INSERT INTO card_states (card_id, state, due) VALUES (?, 2, ?)",
        [(c[0], c[2]) for c in cards],
    )
    con.executemany(
        "INSERT INTO reviews (card_id, mode, reviewed_at, correct, skipped, rating, "
        "duration_ms, desired_retention) VALUES (?, 'review', ?, ?, 0, ?, ?, 0.9)",
        rows,
    )
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return f"{len(cards):,} cards, {done:,} scheduled reviews"


def _py_fsrs_fit(history: dict, before: datetime, cap: int) -> tuple[list[float], float, int]:
    """py-fsrs's Optimizer on the first `cap` (by card) of the reviews before `before`:
    (parameters, seconds, reviews used)."""
    import fsrs
    from fsrs import ReviewLog

    logs: list = []
    for card_id, reviews in history.items():
        mine = [r for r in reviews if r.at < before]
        if len(logs) + len(mine) > cap:
            break
        logs += [ReviewLog(card_id, fsrs.Rating(r.rating), r.at, r.duration_ms) for r in mine]
    t = time.perf_counter()
    weights = fsrs.Optimizer(logs).compute_optimal_parameters()
    return list(weights), time.perf_counter() - t, len(logs)


def bench_optimize(reviews: int = 100_000) -> dict:
    sys.path.insert(0, str(HERE))
    from run import _gnu_time, _load, _quizzer

    from quizzer import optimize
    from quizzer.db import connect
    from quizzer.store import Store

    OUT.mkdir(exist_ok=True)
    path = OUT / f"optimize-{reviews}-{VERSION}.sqlite3"
    if not path.exists():
        t = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        what = build(tmp, reviews)
        tmp.rename(path)
        print(f"optimize: built {path.name}: {what} in {time.perf_counter() - t:.0f} s")
    store = Store(connect(str(path)))
    history = optimize.load(store)
    since = optimize.split_time(history)
    fitted_on = sum(r.at < since for rs in history.values() for r in rs)
    results: dict = {}

    t = time.perf_counter()
    rust = optimize.fit(history, since)
    results["fsrs_rs_s"] = time.perf_counter() - t
    default = optimize.score(history, None, since)
    truth = optimize.score(history, TRUE, since)
    rust_scores = optimize.score(history, rust, since)
    print(
        f"optimize: fsrs-rs-python fit on {fitted_on:,} reviews: {results['fsrs_rs_s']:.1f} s; "
        f"held-out log loss ({default.n:,} reviews): defaults {default.log_loss:.4f}, "
        f"fsrs-rs {rust_scores.log_loss:.4f}, the true parameters {truth.log_loss:.4f}"
    )
    try:
        import pandas  # noqa: F401
        import tqdm  # noqa: F401
    except ImportError:
        print('optimize: py-fsrs Optimizer skipped: pip install "fsrs[optimizer]"')
    else:
        weights, secs, used = _py_fsrs_fit(history, since, TORCH_CAP)
        torch_scores = optimize.score(history, weights, since)
        per_review = secs / used
        results["py_fsrs_s"] = secs
        results["py_fsrs_100k_s"] = per_review * fitted_on
        print(
            f"optimize: py-fsrs Optimizer (torch) fit on {used:,} of them: {secs:.1f} s, "
            f"so ~{per_review * fitted_on:.0f} s for all {fitted_on:,} (linear); held-out "
            f"log loss {torch_scores.log_loss:.4f} (fitted on {used / fitted_on:.0%} of them)"
        )
    store.engine.dispose()
    m = _gnu_time([*_quizzer(), "--db", str(path), "optimize", "--dry-run"])
    results |= {"command_s": m["wall"], "command_cpu_s": m["cpu"], "command_peak_mb": m["peak"]}
    print(
        f"optimize: `quizzer optimize --dry-run` on {reviews:,} reviews: {m['wall']:.1f} s wall "
        f"(target <= 60), {m['cpu']:.1f} s CPU, peak {m['peak']:.0f} MB; {_load()}"
    )
    return results


if __name__ == "__main__":
    bench_optimize(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
