"""Benchmarks for the targets of the issues (figures, not pass/fail tests).

    python bench/run.py [help|first-prompt|generation|export|progress|all]

help          `quizzer --help` wall time vs `python -c "import click"`, side by side
first-prompt  `quizzer review` on a database of 10,000 cards (and 100,000 reviews): time
              from process start to the first prompt, in a real pseudo-terminal
progress      `quizzer stats` and `quizzer report` on 100,000 cards and 1,000,000 reviews:
              wall time and peak memory
export        `quizzer export anki` of ~1,000 generated notes vs genanki writing the same
              prepared notes (verification not timed), and the whole command's wall time
generation    verified generation rate (generate + formula + torch check + comparison) vs a
              bare loop of the same torch calls on the same params, per family; draw_many
              (batched torch checks, what `quizzer generate` and the spare-variant pool
              use) and, for comparison, draw one question at a time
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


def bench_first_prompt(runs: int = 5) -> dict:
    import pexpect

    sys.path.insert(0, str(HERE))
    from fixtures import build_review_db

    with tempfile.TemporaryDirectory() as tmp:
        master = Path(tmp) / "master.sqlite3"
        info = build_review_db(master, cards=10_000, reviews=100_000)
        results = {}
        for label, keep_spares in (
            ("with kept verified variants", True),
            ("empty variant pool (cold: waits for torch)", False),
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
                cmd = _quizzer()
                t = time.perf_counter()
                child = pexpect.spawn(
                    cmd[0],
                    [*cmd[1:], "--db", str(db), "review"],
                    encoding="utf-8",
                    timeout=60,
                    env={**os.environ, "NO_COLOR": "1"},
                )
                child.expect("answer> ")
                times.append(time.perf_counter() - t)
                child.sendintr()
                child.expect(pexpect.EOF)
                child.close()
            med = statistics.median(times)
            print(
                f"first prompt, {label}: median {med * 1000:.0f} ms "
                f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}; target <= 1000 ms)"
            )
            results[label] = med
        print(f"  database: {info}")
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
    model = _model(1_234_567, "bench", typed=False)
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
    with tempfile.NamedTemporaryFile("r") as out:
        t = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *cmd],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        wall = time.perf_counter() - t
        return wall, int(out.read().split()[-1]) / 1024


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


if __name__ == "__main__":
    main()
