"""Benchmarks for the targets of the issues (figures, not pass/fail tests).

    python bench/run.py [help|first-prompt|generation|export|progress|concurrency|check|upgrade|
                         optimize|all]

help          `quizzer --help` wall time vs `python -c "import click"`, side by side
first-prompt  `quizzer review`: time from process start to the first prompt, in a real
              pseudo-terminal, on a new database (a first session: shipped verified
              variants; and with a torch mismatch forced, so they are unused) and on a
              database of 10,000 cards and 100,000 reviews (kept variants, and none)
progress      `quizzer stats` and `quizzer report` on 100,000 cards and 1,000,000 reviews:
              wall time and peak memory
export        `quizzer export anki` of ~1,000 generated notes vs genanki writing the same
              prepared notes (verification not timed), and the whole command's wall time
generation    verified generation rate (generate + formula + torch check + comparison) vs a
              bare loop of the same torch calls on the same params, per family; draw_many
              (batched torch checks, what `quizzer generate` and the spare-variant pool
              use) and, for comparison, draw one question at a time
concurrency   answers per second with 1, 2 and 4 concurrent sessions on one file (real
              processes recording through quizzer.store on shared cards, with re-ratings):
              total and per process, median and p99 time to record one answer, 0 answers
              lost, `quizzer check` passing afterwards; synchronous=FULL (quizzer's) vs
              NORMAL; and real `quizzer quiz` sessions in ptys for comparison (~7 min)
check         `quizzer check` on 1,000,000 scheduled reviews whose card states are their
              replay (target <= 10 s): wall time, peak memory, and the time of its parts
              (SQLite's integrity check alone, the replay's query alone, fsrs alone)
upgrade       `quizzer --db COPY stats --json` upgrading a copy of a database of 1,000,000
              reviews from schema 0002, and from 0003: wall time (backup included), peak
              memory, the backup's size
optimize      `quizzer optimize` on 100,000 reviews of a simulated learner (target <= 60 s),
              and the fit itself by fsrs-rs-python next to py-fsrs's torch Optimizer on the
              same reviews, with both fits' held-out log loss (bench/optimize.py)

`all` runs every one but check and upgrade (their 1,000,000-review files take ~10 min to
build the first time, then each takes a few minutes); bench/out/ keeps the built files.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def _quizzer() -> list[str]:
    exe = shutil.which("quizzer", path=str(BIN))
    return [exe] if exe else [sys.executable, "-m", "quizzer"]


def _wall(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    return times


def bench_help(runs: int = 15) -> dict:
    click_cmd = [sys.executable, "-c", "import click"]
    help_cmd = [*_quizzer(), "--help"]
    _wall(click_cmd, 2), _wall(help_cmd, 2)  # warm the page cache
    a, b = [], []
    for _ in range(runs):  # interleaved, so both see the same machine load
        a += _wall(click_cmd, 1)
        b += _wall(help_cmd, 1)
    ma, mb = statistics.median(a), statistics.median(b)
    print(
        f"help: python -c 'import click' median {ma * 1000:.0f} ms; "
        f"quizzer --help median {mb * 1000:.0f} ms; ratio {mb / ma:.2f} (target <= 2.0)"
    )
    return {"click_ms": ma * 1000, "help_ms": mb * 1000, "ratio": mb / ma}


# `quizzer` with the installed torch's version read as 0.0.0: the shipped verified variants
# do not match it, so a new database gets none (the fallback: verify in the background)
TORCH_MISMATCH = (
    "import importlib.metadata as m, sys; real = m.version; "
    "m.version = lambda name: '0.0.0' if name == 'torch' else real(name); "
    "from quizzer.cli import main; main()"
)


def _first_prompt(cmd: list[str], db: Path, env: dict[str, str]) -> float:
    """Seconds from spawning `cmd --db db review` in a pseudo-terminal to its first
    `answer>` prompt; the session is then ended with Ctrl-C."""
    import pexpect

    t = time.perf_counter()
    child = pexpect.spawn(cmd[0], [*cmd[1:], "--db", str(db), "review"], encoding="utf-8",
                          timeout=60, env=env, cwd=str(db.parent))  # fmt: skip
    child.expect("answer> ")
    took = time.perf_counter() - t
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    return took


def _say_first_prompt(label: str, times: list[float], target_ms: int) -> float:
    med = statistics.median(times)
    print(
        f"first prompt, {label}: median {med * 1000:.0f} ms (min {min(times) * 1000:.0f}, "
        f"max {max(times) * 1000:.0f}, {len(times)} runs; target <= {target_ms} ms)"
    )
    return med


def bench_first_prompt(runs: int = 7) -> dict:
    """The first prompt of `quizzer review`: on a new database (a learner's first session:
    the shipped verified variants, and with a torch mismatch forced so that they are not
    used), and on a database of 10,000 cards (with kept variants, and with none).

    Python modules run from compiled bytecode, as `pip install` leaves them: the children
    get their own PYTHONPYCACHEPREFIX (warmed by one run) even where PYTHONDONTWRITEBYTECODE
    is set; the new-database case is also timed without bytecode (every module compiled at
    each start, as an editable install with PYTHONDONTWRITEBYTECODE=1 runs)."""
    sys.path.insert(0, str(HERE))
    from fixtures import build_review_db

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = {**os.environ, "NO_COLOR": "1"}
        for key in ("QUIZZER_DB", "QUIZZER_LANG", "PYTHONDONTWRITEBYTECODE"):
            base.pop(key, None)
        env = {**base, "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}
        plain = {**base, "PYTHONDONTWRITEBYTECODE": "1"}
        cases = {  # label: (command, environment, target ms); runs interleaved
            "new database, shipped variants": (_quizzer(), env, 500),
            "new database, torch mismatch forced (waits for torch)": (
                [sys.executable, "-c", TORCH_MISMATCH], env, 500),
            "new database, shipped variants, no bytecode cache": (_quizzer(), plain, 500),
        }  # fmt: skip
        times: dict[str, list[float]] = {label: [] for label in cases}
        for run in range(runs + 1):  # run 0 warms the bytecode cache and the page cache
            for n, (label, (cmd, child_env, _target)) in enumerate(cases.items()):
                took = _first_prompt(cmd, Path(tmp) / f"new-{run}-{n}.sqlite3", child_env)
                if run:
                    times[label].append(took)
        for label, (_cmd, _env, target) in cases.items():
            results[label] = _say_first_prompt(label, times[label], target)

        master = Path(tmp) / "master.sqlite3"
        info = build_review_db(master, cards=10_000, reviews=100_000)
        for label, keep_spares in (
            ("10,000 cards, kept verified variants", True),
            ("10,000 cards, empty variant pool (waits for torch)", False),
        ):
            times = []
            for _ in range(runs):
                db = Path(tmp) / "run.sqlite3"
                shutil.copy(master, db)
                if not keep_spares:
                    import sqlite3

                    con = sqlite3.connect(db)
                    con.execute("DELETE FROM variants")
                    con.commit()
                    con.close()
                times.append(_first_prompt(_quizzer(), db, env))
            results[label] = _say_first_prompt(label, times, 1000)
        print(f"  database: {info}; {_load()}")
        return results


def bench_generation(seeds: int = 300) -> dict:
    sys.path.insert(0, str(HERE))
    import torch
    from bare_torch import BARE

    from quizzer import generators
    from quizzer.verify import draw, draw_many

    torch.set_num_threads(1)  # as quizzer.verify does: the same footing for both sides
    out = {}
    for fam in generators.families():
        if fam not in BARE:
            print(f"generation {fam:<16} (no bare torch loop written for it: not measured)")
            continue
        levels = range(1, generators.get(fam).levels + 1)
        jobs = [(s, lvl) for lvl in levels for s in range(seeds)]
        qs = [draw(fam, s, lvl) for s, lvl in jobs]  # warm-up, and the params for the bare loop
        bare = BARE[fam]
        t = time.perf_counter()
        for q in qs:
            bare(q.params, q.ask)
        t_bare = time.perf_counter() - t
        t = time.perf_counter()
        for s, lvl in jobs:
            draw(fam, s, lvl)
        t_one = time.perf_counter() - t
        t = time.perf_counter()
        for lvl in levels:
            draw_many(fam, list(range(seeds)), lvl)
        t_many = time.perf_counter() - t
        print(
            f"generation {fam:<16} bare torch {len(jobs) / t_bare:7.0f}/s | draw_many "
            f"{len(jobs) / t_many:7.0f}/s ratio {t_bare / t_many:.2f} (target >= 0.50) | "
            f"one at a time {len(jobs) / t_one:7.0f}/s ratio {t_bare / t_one:.2f}"
        )
        out[fam] = t_bare / t_many
    return out


def bench_export(notes_wanted: int = 1000, runs: int = 5) -> dict:
    """Export of ~1,000 generated notes vs genanki writing the same prepared notes."""
    import genanki

    from quizzer import generators
    from quizzer.decks import all_cards
    from quizzer.export import notes as export_notes
    from quizzer.export.anki import _model, build_package, deck_id, note_guid, write_package
    from quizzer.export.html import fields

    fams = generators.families()
    skills = sum(generators.get(f).levels for f in fams)
    variants = -(-notes_wanted // skills)  # enough variants per skill for ~1,000 notes
    notes = export_notes.generated_notes(fams, variants, 0)  # verification: not timed
    model = _model(1_234_567, "bench")
    prepared = [(n.deck, fields(n), list(n.tags), note_guid(n.source)) for n in notes]
    ours, bare = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            t = time.perf_counter()
            decks: dict[str, genanki.Deck] = {}
            for deck, flds, tags, guid in prepared:
                d = decks.get(deck) or decks.setdefault(deck, genanki.Deck(deck_id(deck), deck))
                d.add_note(genanki.Note(model=model, fields=flds, tags=tags, guid=guid))
            genanki.Package(list(decks.values())).write_to_file(f"{tmp}/bare{i}.apkg", 1000)
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            package, _records = build_package(notes, 1000)
            write_package(package, Path(f"{tmp}/ours{i}.apkg"), 1000)
            ours.append(time.perf_counter() - t)
        mo, mb = statistics.median(ours), statistics.median(bare)
        print(
            f"export: {len(notes)} generated notes: quizzer {mo * 1000:.0f} ms, genanki with "
            f"prepared notes {mb * 1000:.0f} ms, ratio {mo / mb:.2f} (target <= 1.5)"
        )
        db, out = Path(tmp) / "e.db", Path(tmp) / "e.apkg"
        t = time.perf_counter()
        subprocess.run(
            [*_quizzer(), "--db", str(db), "export", "anki", str(out), "--variants", str(variants)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        whole = time.perf_counter() - t
        print(
            f"export: whole command `quizzer export anki --variants {variants}` "
            f"({len(notes) + len(all_cards())} notes, torch start and verification included): "
            f"{whole:.2f} s (target <= 10 s)"
        )
    return {"ratio": mo / mb, "whole_s": whole}


def _measured(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of one command. The peak comes from GNU time, run
    from a small process: a child forked from this (large) benchmark process would count
    this process's pages in its own max RSS until it execs."""
    m = _gnu_time(cmd)
    return m["wall"], m["peak"]


def _gnu_time(cmd: list[str]) -> dict:
    """_measured, with the CPU seconds (user + system: less disturbed by a loaded machine
    than wall time) and what the command wrote on stderr."""
    with tempfile.NamedTemporaryFile("r") as out:
        t = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", out.name, *cmd],
                              check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
        wall = time.perf_counter() - t
        peak, user, system = out.read().split()[-3:]
        return {"wall": wall, "peak": int(peak) / 1024, "cpu": float(user) + float(system),
                "stderr": done.stderr}  # fmt: skip


def bench_progress(cards: int = 100_000, reviews: int = 1_000_000, runs: int = 3) -> dict:
    """`quizzer stats` and `quizzer report` on a big learner database (built once and kept
    in bench/out/, which git ignores)."""
    sys.path.insert(0, str(HERE))
    from fixtures import build_review_db

    out = HERE / "out"
    out.mkdir(exist_ok=True)
    db = out / f"progress-{cards}-{reviews}.sqlite3"
    if not db.exists():
        t = time.perf_counter()
        info = build_review_db(db, cards=cards, reviews=reviews)
        print(f"progress: built {info} in {time.perf_counter() - t:.0f} s")
    results = {}
    for name, args in (("stats", ["stats"]), ("stats --json", ["stats", "--json"]),
                       ("report", ["report", "--out", str(out / "report.html")])):  # fmt: skip
        measured = [_measured([*_quizzer(), "--db", str(db), *args]) for _ in range(runs)]
        wall = statistics.median(m[0] for m in measured)
        peak = max(m[1] for m in measured)
        target = 2 if name.startswith("stats") else 10
        print(
            f"progress: quizzer {name} on {cards:,} cards / {reviews:,} reviews: median "
            f"{wall:.2f} s (target <= {target} s), peak RSS {peak:.0f} MB (target <= 500 MB)"
        )
        results[name] = (wall, peak)
    return results


def _load() -> str:
    sys.path.insert(0, str(HERE))
    from machine import load

    return load()


def _timed(fn, runs: int) -> float:
    """Median wall seconds of fn() over runs."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_check(reviews: int = 1_000_000, runs: int = 3) -> dict:
    """`quizzer check` on a database whose every card state is the replay of its reviews
    (bench/history.py; built once into bench/out/)."""
    import sqlite3

    sys.path.insert(0, str(HERE))
    import history

    db = history.cached(f"check-{reviews}", history.build_replayable_db, reviews)
    print(f"check: {_load()}")
    cmd = [*_quizzer(), "--db", str(db), "check"]
    said = subprocess.run(cmd, capture_output=True, text=True)
    ok = said.returncode == 0 and "Every card's state is the replay" in said.stdout
    schedule_line = [x for x in said.stdout.splitlines() if x.startswith("Schedule:")]
    print(f"check: it says {'OK' if ok else 'PROBLEMS'}: {' '.join(schedule_line)}")
    measured = [_gnu_time(cmd) for _ in range(runs)]
    walls = [m["wall"] for m in measured]
    wall, cpu = statistics.median(walls), statistics.median(m["cpu"] for m in measured)
    peak = max(m["peak"] for m in measured)
    size = db.stat().st_size / 1e6
    print(
        f"check: quizzer check on {reviews:,} scheduled reviews ({size:.0f} MB file): median "
        f"{wall:.2f} s (min {min(walls):.2f}, max {max(walls):.2f}; target <= 10 s), CPU "
        f"median {cpu:.2f} s, peak RSS {peak:.0f} MB"
    )

    def pragma(sql: str):
        def run() -> None:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            con.execute(sql).fetchall()
            con.close()

        return run

    replay_sql = ("SELECT card_id, rating, reviewed_at, desired_retention FROM reviews "
                  "WHERE mode = 'review' AND rating IS NOT NULL ORDER BY card_id, id")  # fmt: skip
    stats = [*_quizzer(), "--db", str(db), "stats", "--json"]
    parts = {
        "PRAGMA integrity_check(20) alone (sqlite3)": pragma("PRAGMA integrity_check(20)"),
        "PRAGMA foreign_key_check alone": pragma("PRAGMA foreign_key_check"),
        "PRAGMA quick_check(1) alone (every command's open)": pragma("PRAGMA quick_check(1)"),
        "the replay's SELECT alone (all rows fetched)": pragma(replay_sql),
        "`quizzer stats --json` (open + catalog sync + stats)": lambda: _wall(stats, 1),
    }
    split = {}
    for name, fn in parts.items():
        split[name] = _timed(fn, runs)
        print(f"check: part: {name}: median {split[name]:.2f} s")
    replay = _replay_floor(db, replay_sql)
    for name, (secs, cpu_secs) in replay.items():
        print(f"check: part (in-process, one run): {name}: {secs:.2f} s, CPU {cpu_secs:.2f} s")
    print(f"check: done; {_load()}")
    return {"wall": wall, "cpu": cpu, "peak": peak, **split, **replay}


def _replay_floor(db: Path, sql: str) -> dict:
    """The replay's work in this process, once: parsing the rows' times, then fsrs's own
    review_card with unseeded fuzz (the floor), then quizzer.schedule.review (seeded fuzz,
    what check does); (wall, CPU) seconds of each."""
    import sqlite3
    from datetime import UTC, datetime

    import fsrs

    from quizzer import schedule

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    t, c = time.perf_counter(), time.process_time()
    rows = [(c, r, datetime.fromisoformat(a).replace(tzinfo=UTC)) for c, r, a, _ in
            con.execute(sql)]  # fmt: skip
    out = {"fetch and parse the times of every row": (time.perf_counter() - t,
                                                      time.process_time() - c)}  # fmt: skip
    con.close()
    sched = schedule.make_scheduler(0.9)
    for name, review in (
        ("fsrs Scheduler.review_card alone (unseeded fuzz)",
         lambda card, r, at: sched.review_card(card, fsrs.Rating(r), at)[0]),
        ("quizzer.schedule.review (seeded fuzz, as check runs it)",
         lambda card, r, at: schedule.review(sched, card, r, at)),
    ):  # fmt: skip
        t, c = time.perf_counter(), time.process_time()
        current = card = None
        for cid, rating, at in rows:
            if cid != current:
                current, card = cid, fsrs.Card(card_id=cid, state=fsrs.State.Learning, step=0)
            card = review(card, rating, at)
        out[name] = (time.perf_counter() - t, time.process_time() - c)
    return out


def _fresh_copy(src: Path, dst: Path) -> None:
    for p in dst.parent.glob(dst.name + "*"):
        p.unlink()
    for p in dst.parent.glob(f"{dst.stem}.backup-*"):
        p.unlink()
    shutil.copy(src, dst)


def bench_upgrade(reviews: int = 1_000_000, runs: int = 3) -> dict:
    """`quizzer --db COPY stats --json` on a fresh copy of a 1,000,000-review database at
    schema 0002, then 0003: the upgrade (backup included) is the command minus the same
    command on the upgraded copy."""
    import re

    sys.path.insert(0, str(HERE))
    import history

    current = history.cached(f"check-{reviews}", history.build_replayable_db, reviews)
    results = {}
    for rev in ("0002", "0003"):
        old = history.cached(f"schema{rev}-{reviews}", history.build_old_db, current, rev)
        print(f"upgrade: {_load()}")
        with tempfile.TemporaryDirectory(dir=HERE / "out") as tmp:
            copy = Path(tmp) / "learner.sqlite3"
            cmd = [*_quizzer(), "--db", str(copy), "stats", "--json"]
            walls, cpus, peaks, backups, steps, stats_after = [], [], [], [], [], []
            for _ in range(runs):
                _fresh_copy(old, copy)
                m = _gnu_time(cmd)
                err = m["stderr"]
                found = list(Path(tmp).glob(f"learner.backup-{rev}-*.sqlite3"))
                if len(found) != 1 or "Database upgraded to schema" not in err:
                    raise RuntimeError(f"upgrade from {rev} did not happen as expected:\n{err}")
                walls.append(m["wall"])
                cpus.append(m["cpu"])
                peaks.append(m["peak"])
                backups.append(found[0].stat().st_size / 1e6)
                steps.append(re.findall(r"^  (\d{4}): .*\((\d+\.\d) s\)$", err, re.M))
                took = float(re.search(r"upgraded to schema \S+ in (\d+\.\d) s", err).group(1))
                rest = took - sum(float(secs) for _name, secs in steps[-1])
                steps[-1] += [("backup and Alembic's start (the rest)", rest), ("all", took)]
                stats_after.append(_measured(cmd)[0])
            wall, after = statistics.median(walls), statistics.median(stats_after)
            source_mb = old.stat().st_size / 1e6
            print(
                f"upgrade: {rev} -> head, {reviews:,} reviews ({source_mb:.0f} MB): "
                f"`quizzer stats --json` median {wall:.1f} s (min {min(walls):.1f}, max "
                f"{max(walls):.1f}; CPU {statistics.median(cpus):.1f} s), the same on the "
                f"upgraded copy {after:.1f} s, so the upgrade ~{wall - after:.1f} s; peak RSS "
                f"{max(peaks):.0f} MB; backup "
                f"{statistics.median(backups):.0f} MB"
            )
            by_step: dict[str, list[float]] = {}
            for run in steps:
                for name, secs in run:
                    by_step.setdefault(name, []).append(float(secs))
            print("upgrade:   steps as quizzer reports them (median): " + "; ".join(
                f"{name} {statistics.median(v):.1f} s" for name, v in by_step.items()))  # fmt: skip
            results[rev] = {"wall": wall, "upgrade": wall - after, "peak": max(peaks),
                            "backup_mb": statistics.median(backups)}  # fmt: skip
    print(f"upgrade: done; {_load()}")
    return results


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("help", "all"):
        bench_help()
    if what in ("first-prompt", "all"):
        bench_first_prompt()
    if what in ("generation", "all"):
        bench_generation()
    if what in ("export", "all"):
        bench_export()
    if what in ("progress", "all"):
        bench_progress()
    if what in ("concurrency", "all"):
        sys.path.insert(0, str(HERE))
        from concurrency import bench_concurrency

        bench_concurrency()
    if what == "check":
        bench_check()
    if what == "upgrade":
        bench_upgrade()
    if what in ("optimize", "all"):
        sys.path.insert(0, str(HERE))
        from optimize import bench_optimize

        bench_optimize()


if __name__ == "__main__":
    main()
