"""Torch check of regularization questions, in float64.

penalty / total: w.abs().sum() and w.pow(2).sum() times λ (or λ/2); grad: autograd of that
penalty (w.grad after penalty.backward()); wd-step: a real torch.optim.SGD(weight_decay=λ)
step on an nn.Parameter, and, as the equivalence the solution states, a plain SGD step on
a copy whose gradient is g plus autograd's gradient of (λ/2)·Σw² — both must agree.
"""

from __future__ import annotations

from typing import Any

import torch

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

F64 = "dtype=torch.float64"


def _num(x: float) -> str:
    return f"{x:.10g}"


def _vec(xs: list[float]) -> str:
    return "[" + ", ".join(_num(x) for x in xs) + "]"


VEC_PRINT = 'print("[" + ", ".join(f"{{v:.10g}}" for v in {0}.tolist()) + "]")\n'


def _penalty_expr(p: dict[str, Any]) -> tuple[str, float]:
    """The snippet's penalty expression of tensor `w`, and the scale it multiplies."""
    lam = p["lam"]
    if p["norm"] == "l1":
        return f"{lam} * w.abs().sum()", lam
    if p["half"]:
        return f"{lam} / 2 * w.pow(2).sum()", lam / 2
    return f"{lam} * w.pow(2).sum()", lam


def _penalty(p: dict[str, Any], w: torch.Tensor) -> torch.Tensor:
    lam = p["lam"]
    if p["norm"] == "l1":
        return lam * w.abs().sum()
    return (lam / 2 if p["half"] else lam) * w.pow(2).sum()


def _check_wd(q: Question, version: str) -> Check:
    p = q.params
    lr, wd = p["lr"], p["weight_decay"]
    w = torch.nn.Parameter(torch.tensor(p["weights"], dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=lr, weight_decay=wd)
    w.grad = torch.tensor(p["grads"], dtype=torch.float64)
    opt.step()
    v = torch.nn.Parameter(torch.tensor(p["weights"], dtype=torch.float64))
    (wd / 2 * v.pow(2).sum()).backward()
    v.grad += torch.tensor(p["grads"], dtype=torch.float64)
    torch.optim.SGD([v], lr=lr).step()
    same = torch.allclose(w, v, rtol=0, atol=1e-12)
    if not same:  # the equivalence the solution teaches must hold
        raise ValueError(f"weight_decay step {w.tolist()} != (λ/2)Σw² step {v.tolist()}")
    new = w.tolist()
    code = f"""import torch

w = torch.nn.Parameter(torch.tensor({p["weights"]!r}, {F64}))
opt = torch.optim.SGD([w], lr={lr}, weight_decay={wd})
w.grad = torch.tensor({p["grads"]!r}, {F64})  # the data-loss gradient
opt.step()
{VEC_PRINT.format("w")}
# the same step as plain SGD on the loss data + ({wd}/2)·Σw²:
v = torch.nn.Parameter(torch.tensor({p["weights"]!r}, {F64}))
({wd} / 2 * v.pow(2).sum()).backward()
v.grad += torch.tensor({p["grads"]!r}, {F64})
torch.optim.SGD([v], lr={lr}).step()
print(torch.allclose(w, v, rtol=0, atol=1e-12))
"""
    method = f"torch.optim.SGD(lr={lr}, weight_decay={wd}) step, and the (λ/2)Σw² equivalent"
    return Check(new, new, code, f"{_vec(new)}\n{same}", f"torch {version}: {method}")


@checker("regularization")
def check_regularization(q: Question) -> Check:
    p, version = q.params, torch_version()
    if q.ask == "wd-step":
        return _check_wd(q, version)
    expr, _ = _penalty_expr(p)
    code = "import torch\n\n"
    if q.ask == "grad":
        w = torch.tensor(p["weights"], dtype=torch.float64, requires_grad=True)
        _penalty(p, w).backward()
        assert w.grad is not None
        grad = w.grad.tolist()
        code += f"w = torch.tensor({p['weights']!r}, {F64}, requires_grad=True)\n"
        code += f"penalty = {expr}\npenalty.backward()\n" + VEC_PRINT.format("w.grad")
        method = f"autograd of {expr} in float64"
        return Check(grad, grad, code, _vec(grad), f"torch {version}: {method}")
    with torch.no_grad():
        w = torch.tensor(p["weights"], dtype=torch.float64)
        pen = _penalty(p, w)
        code += f"w = torch.tensor({p['weights']!r}, {F64})\npenalty = {expr}\n"
        if q.ask == "penalty":
            value = pen.item()
            code += 'print(f"{penalty.item():.10g}")\n'
            return Check(value, value, code, _num(value), f"torch {version}: {expr} in float64")
        total = (p["data_loss"] + pen).item()
    code += f"loss = {p['data_loss']} + penalty  # data loss + penalty\n"
    code += 'print(f"{penalty.item():.10g} {loss.item():.10g}")\n'
    output = f"{_num(pen.item())} {_num(total)}"
    method = f"{p['data_loss']} + {expr} in float64"
    return Check([pen.item(), total], total, code, output, f"torch {version}: {method}")
