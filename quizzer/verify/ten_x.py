"""Torch check of `ten-x`: the claim's arithmetic on float64 tensors.

The direction of a claim (multiply or divide by N) is the phrase's meaning, read from the
phrase table; torch computes baseline * N or baseline / N (or, for "what is N?", the ratio of
the two values) in float64. The batch checker does the same elementwise ops on one tensor per
operation: IEEE multiplication and division are correctly rounded elementwise, so each value
is bit for bit the single checker's (tests/test_gen_ten_x.py compares them).
"""

from __future__ import annotations

from typing import Any

import torch

from quizzer.generators.ten_x import PHRASES
from quizzer.question import Question
from quizzer.verify import Check, batch_checker, checker, torch_version

_SYMBOL = {"mul": "*", "div": "/"}


def _plan(q: Question) -> tuple[float, float, str]:
    """(left, right, op) of the one float64 operation that answers q."""
    p = q.params
    op = PHRASES[p["phrase"]]["op"]
    if q.ask == "factor":  # N = new / baseline (mul) or baseline / new (div)
        return (p["new"], p["baseline"], "div") if op == "mul" else (p["baseline"], p["new"], "div")
    return p["baseline"], p["factor"], op


def snippet(q: Question) -> str:
    p = q.params
    quote = PHRASES[p["phrase"]]["en"].format(f="N" if q.ask == "factor" else p["factor"])
    code = "import torch\n\n"
    code += f"baseline = torch.tensor({float(p['baseline'])!r}, dtype=torch.float64)\n"
    if q.ask == "factor":
        code += f"new = torch.tensor({float(p['new'])!r}, dtype=torch.float64)\n"
        left, right = (
            ("new", "baseline")
            if PHRASES[p["phrase"]]["op"] == "mul"
            else (
                "baseline",
                "new",
            )
        )
        code += f"n = {left} / {right}  # {quote}\nprint(n.item())\n"
    else:
        op = PHRASES[p["phrase"]]["op"]
        code += f"new = baseline {_SYMBOL[op]} {p['factor']!r}  # {quote}\nprint(new.item())\n"
    return code


def _check(q: Question, value: float, version: str) -> Check:
    what = "ratio of the two values" if q.ask == "factor" else "baseline * N or baseline / N"
    return Check(value, value, snippet(q), repr(value), f"torch {version}: {what} in float64")


@checker("ten-x")
def check(q: Question) -> Check:
    left, right, op = _plan(q)
    t = torch.tensor(left, dtype=torch.float64)
    value = (t * right if op == "mul" else t / right).item()
    return _check(q, value, torch_version())


@batch_checker("ten-x")
def check_batch(qs: list[Question]) -> list[Check | Exception]:
    """One float64 multiplication and one division for all the questions."""
    version = torch_version()
    plans = [_plan(q) for q in qs]
    values: list[Any] = [None] * len(qs)
    for op in ("mul", "div"):
        idx = [i for i, plan in enumerate(plans) if plan[2] == op]
        if not idx:
            continue
        left = torch.tensor([plans[i][0] for i in idx], dtype=torch.float64)
        right = torch.tensor([plans[i][1] for i in idx], dtype=torch.float64)
        for i, v in zip(idx, (left * right if op == "mul" else left / right).tolist(), strict=True):
            values[i] = v
    return [_check(q, v, version) for q, v in zip(qs, values, strict=True)]
