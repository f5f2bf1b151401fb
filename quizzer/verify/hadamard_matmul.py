"""Torch check of `hadamard-matmul`: torch.mul / torch.matmul on int64 tensors.

A RuntimeError from torch is a normal outcome here: it means the product is undefined
(result None). The snippet prints the result as a nested list (c.tolist(), the form the
learner types) and its shape, or the first line of torch's error message.

The batch checker groups questions by (shape of a, shape of b, op). Whether torch raises
depends on the shapes only: it is decided once per shape group, by torch itself on zero
tensors of those shapes, and an undefined group's output is torch's message (which names
only the shapes). A defined group of 2-d operands is stacked into (G, m, n) and (G, p, q)
tensors and multiplied with one call: on 3-d tensors torch.matmul multiplies matrix by
matrix and torch.mul broadcasts the last two dims exactly as for the 2-d pair, since the
leading batch dims are equal. Defined groups with a 1-d operand take the single checker.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from quizzer.question import Question
from quizzer.verify import Check, batch_checker, checker, raised, torch_version

_OPS = {"mul": (torch.mul, "a * b"), "matmul": (torch.matmul, "a @ b")}


def snippet(a: Any, b: Any, op: str) -> str:
    return f"""import torch

a = torch.tensor({a}, dtype=torch.int64)
b = torch.tensor({b}, dtype=torch.int64)
try:
    c = torch.{op}(a, b)  # {_OPS[op][1]}
    print(c.tolist())
    print(c.shape)
except RuntimeError as e:
    print(f"RuntimeError: {{str(e).splitlines()[0]}}")
"""


def _answer(ask: str, value: Any, shape: list[int] | None) -> Any:
    if ask == "defined":
        return "no" if value is None else "yes"
    if ask == "shape":
        return shape
    return value


def _check(q: Question, value: Any, shape: list[int] | None, output: str, version: str) -> Check:
    """The Check of one question from torch's result (None: torch raised, output its message)."""
    a, b, op = q.params["a"], q.params["b"], q.params["op"]
    return Check(
        result=value,
        expected=_answer(q.ask, value, shape),
        code=snippet(a, b, op),
        output=output,
        method=f"torch {version}: torch.{op} on int64 tensors",
    )


def _shape(x: Any) -> tuple[int, ...]:
    """The shape of a nested list of ints (0-d, 1-d or 2-d), as torch.tensor(x) would have."""
    if not isinstance(x, list):
        return ()
    return (len(x), len(x[0])) if x and isinstance(x[0], list) else (len(x),)


@checker("hadamard-matmul")
def check(q: Question) -> Check:
    a, b, op = q.params["a"], q.params["b"], q.params["op"]
    fn = _OPS[op][0]
    ta = torch.tensor(a, dtype=torch.int64)
    tb = torch.tensor(b, dtype=torch.int64)
    version = torch_version()
    try:
        c = fn(ta, tb)
    except RuntimeError as exc:
        return _check(q, None, None, raised(exc, "RuntimeError"), version)
    value = c.tolist()
    return _check(q, value, list(c.shape), f"{value}\n{c.shape}", version)


@functools.cache
def _undefined(sa: tuple[int, ...], sb: tuple[int, ...], op: str) -> str | None:
    """torch's output for op on int64 operands of these shapes if it raises, else None."""
    try:
        _OPS[op][0](torch.zeros(sa, dtype=torch.int64), torch.zeros(sb, dtype=torch.int64))
    except RuntimeError as exc:
        return raised(exc, "RuntimeError")
    return None


@batch_checker("hadamard-matmul")
def check_batch(qs: list[Question]) -> list[Check | Exception]:
    """One torch.mul / torch.matmul call per group of 2-d operands of the same shapes."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, q in enumerate(qs):
        p = q.params
        groups.setdefault((_shape(p["a"]), _shape(p["b"]), p["op"]), []).append(i)
    version = torch_version()
    out: list[Check | Exception] = [None] * len(qs)  # type: ignore[list-item]
    for (sa, sb, op), idx in groups.items():
        error = _undefined(sa, sb, op)
        if error is not None:
            for i in idx:
                out[i] = _check(qs[i], None, None, error, version)
        elif len(sa) == len(sb) == 2:
            ta = torch.tensor([qs[i].params["a"] for i in idx], dtype=torch.int64)
            tb = torch.tensor([qs[i].params["b"] for i in idx], dtype=torch.int64)
            c = _OPS[op][0](ta, tb)
            size = c.shape[1:]
            shown = str(size)  # torch.Size([m, p]), as print(c.shape) shows it
            for i, value in zip(idx, c.tolist(), strict=True):
                out[i] = _check(qs[i], value, list(size), f"{value}\n{shown}", version)
        else:
            for i in idx:
                out[i] = check(qs[i])
    return out
