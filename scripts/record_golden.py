"""Record golden verified variants into data/golden/<family>.jsonl.

    python scripts/record_golden.py [--seeds 20]

Each line is one verified question with the torch, sympy and Python versions that produced
it. tests/test_golden.py regenerates every one and compares: the formula side must match
on any machine; the torch side must match while the installed torch is the recorded one,
and after an upgrade the test names every variant whose torch output changed.
"""

from __future__ import annotations

import argparse
import json
import platform
from importlib import metadata
from pathlib import Path

from quizzer import generators
from quizzer.verify import draw_many, torch_version

OUT = Path(__file__).resolve().parents[1] / "data" / "golden"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args()
    versions = {
        "torch": torch_version(),
        "sympy": metadata.version("sympy"),
        "python": platform.python_version(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for family in generators.families():
        gen = generators.get(family)
        path = OUT / f"{family}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for level in range(1, gen.levels + 1):
                for q in draw_many(family, list(range(args.seeds)), level):
                    rec = {"recorded_with": versions, "question": q.to_dict()}
                    f.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
        print(f"{path.relative_to(OUT.parents[1])}: {gen.levels * args.seeds} variants")


if __name__ == "__main__":
    main()
