"""`python bench/run.py concurrency`: answers per second with 1, 2 and 4 sessions on one file.

Each session is a real process (bench/concurrency_driver.py) recording answers through
quizzer.store.Store on a shared set of cards, so they contend for the write lock and for
the same card_states rows. After each run: every answer a driver was told was committed is
in the database under its session, with the rating the driver last gave it (0 lost), and
`quizzer check` finds every card's state to be the replay of its reviews. Run with
quizzer's synchronous=FULL and, for comparison, with the drivers' own connections set to
synchronous=NORMAL. For comparison too: real `quizzer quiz` sessions in pseudo-terminals,
skipping every question as fast as they are shown (torch verification included).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "concurrency_driver.py"
SHARED_SKILLS = 6  # skill cards every driver answers (with real, verified questions)
SHARED_CONCEPTS = 2  # and concept cards (no question)


def _quizzer() -> list[str]:
    exe = shutil.which("quizzer", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "quizzer"]


def _base_db(path: Path) -> Path:
    """A new database with the catalog, and the shared cards with a question each."""
    from quizzer.db import connect
    from quizzer.store import Store
    from quizzer.verify import draw

    store = Store(connect(str(path)))
    store.sync_catalog()
    store.engine.dispose()
    con = sqlite3.connect(path)
    skills = con.execute(
        "SELECT id, family, difficulty FROM cards WHERE kind = 'skill' ORDER BY id LIMIT ?",
        (SHARED_SKILLS,),
    ).fetchall()
    concepts = con.execute(
        "SELECT id FROM cards WHERE kind = 'concept' ORDER BY id LIMIT ?", (SHARED_CONCEPTS,)
    ).fetchall()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    cards = {cid: draw(fam, 7 + cid, lvl).to_dict() for cid, fam, lvl in skills}
    cards.update({cid: None for (cid,) in concepts})
    out = path.with_suffix(".cards.json")
    out.write_text(json.dumps(cards))
    return out


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def _run_drivers(db: Path, cards: Path, n: int, seconds: float, sync: str) -> list[dict]:
    def command(i: int) -> list[str]:
        return [sys.executable, str(DRIVER), str(db), str(seconds), str(1000 * n + i),
                str(cards), sync]  # fmt: skip

    procs = [
        subprocess.Popen(
            command(i),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(n)
    ]
    for p in procs:  # all imported and connected: start them together
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=seconds + 120)
        assert p.returncode == 0, f"driver exited {p.returncode}"
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _verify(db: Path, results: list[dict]) -> tuple[int, int, bool, str]:
    """(answers lost or unaccounted for, ratings wrong, check passed, check's last line)."""
    con = sqlite3.connect(db)
    lost = wrong = 0
    for r in results:
        stored = dict(
            con.execute("SELECT id, rating FROM reviews WHERE session_id = ?", (r["session"],))
        )
        want = {int(k): v for k, v in r["ratings"].items()}
        lost += len(set(want) - set(stored))  # committed, said the store, yet not there
        lost += len(set(stored) - set(want))  # there, yet the driver was told it failed
        wrong += sum(1 for k, v in want.items() if k in stored and stored[k] != v)
    con.close()
    check = subprocess.run(
        [*_quizzer(), "--db", str(db), "check"], capture_output=True, text=True
    )  # fmt: skip
    lines = check.stdout.strip().splitlines()
    ok = check.returncode == 0 and "Every card's state is the replay" in check.stdout
    return lost, wrong, ok, lines[-1] if lines else check.stderr.strip()[-200:]


def _pty_quiz(db: Path, n: int, seconds: float) -> tuple[int, int, list[float]]:
    """n `quizzer quiz` sessions in pseudo-terminals, each skipping every question as fast
    as it is shown, for `seconds` after all show their first prompt: each round sends an
    answer to every session at once, then awaits each one's next prompt. (answers reported
    by the sessions' summaries, rows stored, per-answer times in ms)."""
    import pexpect

    cmd = _quizzer()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    args = [*cmd[1:], "--db", str(db), "quiz", "z-score", "conv-output", "-n", "1000000"]
    kids = [
        pexpect.spawn(
            cmd[0],
            [*args, "--seed", str(i)],
            encoding="utf-8",
            timeout=60,
            env=env,
            dimensions=(40, 100),
        )  # fmt: skip
        for i in range(n)
    ]
    for k in kids:
        k.expect("answer> ")
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:  # each round: every session answers at once
        sent = []
        for k in kids:
            sent.append(time.perf_counter())
            k.sendline("s")
        for k, t in zip(kids, sent, strict=True):
            k.expect("answer> ")
            times.append((time.perf_counter() - t) * 1000)
    said = 0
    for k in kids:
        k.sendintr()
        k.expect(r"Session over: (\d+) answered")
        said += int(k.match.group(1))
        k.expect(pexpect.EOF)
        k.close()
    con = sqlite3.connect(db)
    rows = con.execute("SELECT count(*) FROM reviews WHERE mode = 'practice'").fetchone()[0]
    con.close()
    return said, rows, times


def bench_concurrency(seconds: float = 8.0, runs: int = 3, pty: bool = True) -> dict:
    sys.path.insert(0, str(HERE))
    from machine import load

    results: dict = {}
    with tempfile.TemporaryDirectory(dir=HERE / "out") as tmp:
        base = Path(tmp) / "base.sqlite3"
        cards = _base_db(base)
        print(f"concurrency: {SHARED_SKILLS} skill + {SHARED_CONCEPTS} concept cards shared; "
              f"{seconds:.0f} s per run, median of {runs} runs; {load()}")  # fmt: skip
        for sync in ("full", "normal"):
            for n in (1, 2, 4):
                per_run = []
                for _ in range(runs):
                    db = Path(tmp) / "run.sqlite3"
                    for side in ("", "-wal", "-shm"):
                        Path(f"{db}{side}").unlink(missing_ok=True)
                    shutil.copy(base, db)
                    rs = _run_drivers(db, cards, n, seconds, sync)
                    lost, wrong, ok, said = _verify(db, rs)
                    rec = [ms for r in rs for ms in r["record_ms"]]
                    rer = [ms for r in rs for ms in r["rerate_ms"]]
                    per_run.append({
                        "total": sum(r["answers"] for r in rs) / seconds,
                        "per_proc": [r["answers"] / seconds for r in rs],
                        "p50": _pct(rec, 50), "p99": _pct(rec, 99), "max": max(rec),
                        "rerate_p50": _pct(rer, 50), "rerate_p99": _pct(rer, 99),
                        "rerated": sum(r["rerated"] for r in rs),
                        "not_rerated": sum(r["not_rerated"] for r in rs),
                        "failed": sum(r["failed"] for r in rs),
                        "lost": lost, "wrong": wrong, "ok": ok, "said": said,
                        "sync": {r["synchronous"] for r in rs},
                    })  # fmt: skip
                med = {k: statistics.median(r[k] for r in per_run)
                       for k in ("total", "p50", "p99", "rerate_p50", "rerate_p99")}  # fmt: skip
                procs = [x for r in per_run for x in r["per_proc"]]
                per_proc = statistics.median(procs)
                lost = sum(r["lost"] for r in per_run)
                wrong = sum(r["wrong"] for r in per_run)
                failed = sum(r["failed"] for r in per_run)
                checks = sum(r["ok"] for r in per_run)
                pragma = {"full": 2, "normal": 1}[sync]
                assert all(r["sync"] == {pragma} for r in per_run), "synchronous not as asked"
                print(
                    f"concurrency: {n} session(s), synchronous={sync.upper()}: "
                    f"{med['total']:.0f} answers/s in all, {per_proc:.0f}/s per process "
                    f"(slowest process {min(procs):.0f}, fastest {max(procs):.0f}, over the runs); "
                    f"record one answer median {med['p50']:.1f} ms, p99 {med['p99']:.1f} ms, "
                    f"longest {max(r['max'] for r in per_run):.0f} ms; "
                    f"re-rate median {med['rerate_p50']:.1f} ms, p99 {med['rerate_p99']:.1f} ms "
                    f"({sum(r['rerated'] for r in per_run)} re-rated, "
                    f"{sum(r['not_rerated'] for r in per_run)} refused: card reviewed since); "
                    f"lost {lost}, wrong ratings {wrong}, failed writes {failed}; "
                    f"quizzer check passed {checks}/{runs}"
                )
                if checks < runs:
                    print(f"  quizzer check said: {[r['said'] for r in per_run if not r['ok']]}")
                results[(n, sync)] = med | {"per_proc": per_proc, "lost": lost, "ok": checks}
        if pty:
            for n in (1, 2, 4):
                totals, p50s, p99s, lost = [], [], [], 0
                for _ in range(runs):
                    db = Path(tmp) / "pty.sqlite3"
                    for side in ("", "-wal", "-shm"):
                        Path(f"{db}{side}").unlink(missing_ok=True)
                    shutil.copy(base, db)
                    said, rows, times = _pty_quiz(db, n, seconds)
                    totals.append(len(times) / seconds)
                    p50s.append(_pct(times, 50))
                    p99s.append(_pct(times, 99))
                    lost += said - rows
                print(
                    f"concurrency: {n} real `quizzer quiz` session(s) in ptys, skipping "
                    f"(synchronous=FULL): {statistics.median(totals):.0f} answers/s in all; "
                    f"answer to next prompt median {statistics.median(p50s):.1f} ms, "
                    f"p99 {statistics.median(p99s):.1f} ms; lost {lost}"
                )
                results[(n, "pty")] = statistics.median(totals)
        print(f"concurrency: done; {load()}")
    return results
