"""Record the verified variants shipped inside the package (quizzer/shipped_variants.json.gz).

    python scripts/record_shipped.py [--per-skill 5]

A new database is stocked with them (quizzer.prefetch.shipped_variants), so a new learner's
first questions appear at once instead of after torch's import (~1.5 s). Each skill (family
x level) gets `--per-skill` distinct questions, from seeds drawn from a fixed string (the
same file on every run with the same torch and sympy), verified here by real torch. The
file records the torch, sympy and Python versions that verified them: a database is stocked
only while the installed torch (and, for the families whose formula side is sympy's, the
installed sympy) is the recorded one. Re-record after upgrading torch or sympy, or after
changing a generator (tests/test_first_day.py re-verifies every shipped variant and says
which no longer reproduce).
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import random
from importlib import metadata

from quizzer import generators
from quizzer.prefetch import SHIPPED, SHIPPED_FORMAT
from quizzer.verify import draw_many, torch_version

TRIES = 40  # seeds tried per skill to find --per-skill distinct questions


def skill_variants(family: str, level: int, per_skill: int) -> list[dict]:
    """Up to per_skill verified questions of the skill, no two alike (a skill with fewer
    distinct questions gets fewer)."""
    rng = random.Random(f"quizzer:shipped:{family}:{level}")
    seeds = [rng.randrange(2**20, 2**31) for _ in range(TRIES)]
    kept: dict[str, dict] = {}
    for q in draw_many(family, seeds, level):
        if q.uid not in kept:  # with its Chinese text: shown without waiting for sympy
            kept[q.uid] = {**q.to_dict(), "texts": generators.texts(q)}
        if len(kept) == per_skill:
            break
    return list(kept.values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-skill", type=int, default=5)
    args = ap.parse_args()
    variants = []
    for family in generators.families():
        for level in range(1, generators.get(family).levels + 1):
            found = skill_variants(family, level, args.per_skill)
            if len(found) < args.per_skill:
                print(f"{family} level {level}: only {len(found)} distinct questions")
            variants += found
    record = {
        "format": SHIPPED_FORMAT,
        "recorded_with": {
            "torch": torch_version(),
            "sympy": metadata.version("sympy"),
            "python": platform.python_version(),
        },
        "variants": variants,
    }
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # mtime=0: the same variants give the same bytes, so a re-record changes the file only
    # when a question changed
    SHIPPED.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    kib = SHIPPED.stat().st_size / 1024
    print(f"{SHIPPED.name}: {len(variants)} variants, {kib:.0f} KiB, {record['recorded_with']}")


if __name__ == "__main__":
    main()
