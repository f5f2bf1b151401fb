"""Torch check of `hadamard-matmul`: torch.mul / torch.matmul on int64 tensors.

A RuntimeError from torch is a normal outcome here: it means the product is undefined
(result None). The snippet prints the result as a nested list (c.tolist(), the form the
learner types) and its shape, or the first line of torch's error message.
"""

from __future__ import annotations

from typing import Any

import torch

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

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


@checker("hadamard-matmul")
def check(q: Question) -> Check:
    a, b, op = q.params["a"], q.params["b"], q.params["op"]
    fn = _OPS[op][0]
    ta = torch.tensor(a, dtype=torch.int64)
    tb = torch.tensor(b, dtype=torch.int64)
    try:
        c = fn(ta, tb)
    except RuntimeError as exc:
        value, shape = None, None
        output = f"RuntimeError: {str(exc).splitlines()[0]}"
    else:
        value, shape = c.tolist(), list(c.shape)
        output = f"{value}\n{c.shape}"
    return Check(
        result=value,
        expected=_answer(q.ask, value, shape),
        code=snippet(a, b, op),
        output=output,
        method=f"torch {torch_version()}: torch.{op} on int64 tensors",
    )
