"""Mutation check for issue 10: each listed mistake in a figure's formula must make a test fail.

    python bench/mutations.py [--list] [--tests FILE]... [NAME ...]

Copies the project (without .venv, .git, bench/out) to a temporary directory, checks that
the unchanged copy passes the tests below, then applies one mutation at a time to the copy
(a regular expression that must match exactly as many times as stated, so a refactor that
moves the code shows up as "not found" rather than as a silent pass), runs the tests with
the copy first on PYTHONPATH, and restores the file. The working tree is never written.

Prints one line per mutation: caught (the first failing test named) or SURVIVED; exits 1 if
any survived or could not be applied. Takes ~15 s per mutation on 2 cores.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = [
    "tests/test_exact_figures.py",
    "tests/test_stats.py",
    "tests/test_calibration.py",
    "tests/test_schedule.py",
    "tests/test_report.py",
]


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    pattern: str  # a regular expression (re.MULTILINE)
    replacement: str
    count: int = 1  # how many times the pattern must match


MUTATIONS = [
    Mutation("recall-exponent-doubled", "quizzer/schedule.py",
             r"\) \*\* decay$", ") ** (2 * decay)"),
    Mutation("decay-doubled", "quizzer/schedule.py",
             r"^(\s+decay = )-(\S.*)$", r"\1-2 * \2"),  # decay = -w20 (or -parameters[20])
    Mutation("factor-without-minus-1", "quizzer/schedule.py",
             r"0\.9 \*\* \(1 / decay\) - 1", "0.9 ** (1 / decay)"),
    Mutation("stats-recall-times-stability", "quizzer/stats.py",
             r"/ stability\)", "* stability)"),
    Mutation("weakest-tie-break-reversed", "quizzer/stats.py",
             r's\["recall"\] if s\["recall"\] is not None else 2\b',
             '-s["recall"] if s["recall"] is not None else -2'),
    Mutation("drill-tie-break-reversed", "quizzer/stats.py",
             r"recall\.get\(\(r\[0\], r\[1\]\), 2\.0\)", "-recall.get((r[0], r[1]), 2.0)"),
    Mutation("weakest-minimum-ignored", "quizzer/stats.py",
             r"n >= WEAKEST_MIN_ANSWERS", "n >= 0"),
    Mutation("weakest-minimum-off-by-one", "quizzer/stats.py",
             r"n >= WEAKEST_MIN_ANSWERS", "n > WEAKEST_MIN_ANSWERS"),
    Mutation("weakest-minimum-lowered", "quizzer/figures.py",
             r"^WEAKEST_MIN_ANSWERS = 3$", "WEAKEST_MIN_ANSWERS = 2"),
    Mutation("streak-ending-yesterday-broken", "quizzer/stats.py",
             r"\(today - ds\[-1\]\)\.days <= 1", "(today - ds[-1]).days <= 0"),
    Mutation("streak-ending-two-days-ago-kept", "quizzer/stats.py",
             r"\(today - ds\[-1\]\)\.days <= 1", "(today - ds[-1]).days <= 2"),
    Mutation("current-streak-bridges-gaps", "quizzer/stats.py",
             r"\(b - a\)\.days != 1", "(b - a).days > 2"),
    Mutation("longest-streak-bridges-gaps", "quizzer/stats.py",
             r"\(d - prev\)\.days == 1", "(d - prev).days <= 2"),
    Mutation("log-loss-sign-flipped", "quizzer/calibration.py",
             r"(return |out\[\"log_loss\"\] = )-(self\.log_sum / self\.n|ll / n)", r"\1\2"),
    Mutation("same-day-reviews-scored", "quizzer/calibration.py",
             r"^MIN_ELAPSED_DAYS = 1\.0$", "MIN_ELAPSED_DAYS = 0.0"),
]  # fmt: skip


def copy_project(dest: Path) -> None:
    skip = shutil.ignore_patterns(".venv", ".git", "out", "__pycache__", ".pytest_cache")
    shutil.copytree(ROOT, dest, ignore=skip, dirs_exist_ok=True)


def run_tests(copy: Path, tests: list[str]) -> tuple[bool, str]:
    """(passed, the first failing test or the last line of pytest's output)."""
    env = {**_env(), "PYTHONPATH": str(copy)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    proc = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True)
    lines = proc.stdout.splitlines()
    failed = [ln.split(" - ")[0].removeprefix("FAILED ") for ln in lines
              if ln.startswith(("FAILED ", "ERROR "))]  # fmt: skip
    return proc.returncode == 0, failed[0] if failed else (lines[-1] if lines else proc.stderr)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def apply(copy: Path, m: Mutation) -> str | None:
    """Apply a mutation to the copy; the original text, or None if the pattern does not
    match exactly m.count times."""
    path = copy / m.path
    original = path.read_text()
    mutated, n = re.subn(m.pattern, m.replacement, original, flags=re.MULTILINE)
    if n != m.count:
        return None
    path.write_text(mutated)
    return original


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="mutations to run (default: all)")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    ap.add_argument(
        "--tests",
        action="append",
        metavar="FILE",
        help=f"a test file to run; repeat for more (default: {' '.join(TESTS)})",
    )
    args = ap.parse_args()
    args.tests = args.tests or TESTS
    chosen = [m for m in MUTATIONS if not args.names or m.name in args.names]
    if args.list or not chosen:
        for m in MUTATIONS:
            print(f"{m.name:34} {m.path}: /{m.pattern}/ -> {m.replacement}")
        return 0 if args.list else 2
    with tempfile.TemporaryDirectory(prefix="quizzer-mut-") as tmp:
        copy = Path(tmp)
        copy_project(copy)
        probe = subprocess.run(
            [sys.executable, "-c", "import quizzer; print(quizzer.__file__)"],
            cwd=copy, env={**_env(), "PYTHONPATH": str(copy)}, capture_output=True, text=True,
        )  # fmt: skip
        if not probe.stdout.strip().startswith(str(copy)):
            print(f"the copy is not what runs: quizzer is {probe.stdout.strip()}")
            return 1
        t0 = time.perf_counter()
        ok, why = run_tests(copy, args.tests)
        print(f"baseline (no mutation): {'passes' if ok else 'FAILS: ' + why} "
              f"({time.perf_counter() - t0:.0f} s)")  # fmt: skip
        if not ok:
            return 1
        bad = 0
        for m in chosen:
            original = apply(copy, m)
            if original is None:
                print(f"{m.name:34} NOT FOUND in {m.path} (update the pattern)")
                bad += 1
                continue
            try:
                t0 = time.perf_counter()
                passed, why = run_tests(copy, args.tests)
            finally:
                (copy / m.path).write_text(original)
            took = time.perf_counter() - t0
            if passed:
                print(f"{m.name:34} SURVIVED ({took:.0f} s)")
                bad += 1
            else:
                print(f"{m.name:34} caught by {why} ({took:.0f} s)")
        print(f"{len(chosen) - bad} of {len(chosen)} mutations caught")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
