"""Torch check of `broadcasting`: the product run for real on zero tensors of the question's
shapes. The answer is the shape torch gives, or None when torch raises a RuntimeError; the
snippet prints `c.shape` or "RuntimeError: <first line of torch's message>".

The outcome depends on (op, shape of a, shape of b) only, so it is cached per shape triple:
the 1,000-seed sweeps repeat the same few hundred shapes, and each is run by torch once.
"""

from __future__ import annotations

import functools

import torch

from quizzer.generators.broadcasting import code_lines, names
from quizzer.question import Question
from quizzer.verify import Check, checker, raised, torch_version

_OPS = {
    "*": torch.mul,
    "@": torch.matmul,
    "matmul": torch.matmul,
    "mm": torch.mm,
    "bmm": torch.bmm,
}


def snippet(q: Question) -> str:
    *setup, product = code_lines(q.params)
    out = names(q.params)[2]
    return (
        "import torch\n\n"
        + "\n".join(setup)
        + "\ntry:\n"
        + f"    {product}\n"
        + f"    print({out}.shape)\n"
        + "except RuntimeError as e:\n"
        + '    print(f"RuntimeError: {str(e).splitlines()[0]}")\n'
    )


@functools.lru_cache(maxsize=4096)
def run(op: str, sa: tuple[int, ...], sb: tuple[int, ...]) -> tuple[list[int] | None, str]:
    """(torch's result shape or None, what the snippet prints) for op on zeros of sa, sb."""
    try:
        c = _OPS[op](torch.zeros(sa), torch.zeros(sb))
    except RuntimeError as exc:
        return None, raised(exc, "RuntimeError")
    return list(c.shape), str(c.shape)


@checker("broadcasting")
def check(q: Question) -> Check:
    p = q.params
    shape, output = run(p["op"], tuple(p["a"]), tuple(p["b"]))
    return Check(
        result=shape,
        expected=shape,
        code=snippet(q),
        output=output,
        method=f"torch {torch_version()}: {p['op']} on torch.zeros of the shapes",
    )
