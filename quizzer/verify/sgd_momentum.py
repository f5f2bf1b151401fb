"""Torch check of sgd-momentum: a real nn.Parameter stepped by a real torch.optim.SGD.

Each step sets p.grad to the given gradient (float64) and calls opt.step(). The notes'
form (m_0 = 0, every step dampened) is torch's SGD with momentum=b1, dampening=1 - b2 and a
zero momentum_buffer placed in opt.state before the first step: torch only treats the
first step specially when it finds no buffer. The difference question runs both optimizers.
"""

from __future__ import annotations

from typing import Any

import torch

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

SEED_NOTE = (
    "# the notes' form starts from m_0 = 0. torch sets buf = g (undamped) on a step that\n"
    "# finds no buffer; a zero buffer placed beforehand makes every step\n"
    "# buf = momentum*buf + (1 - dampening)*g, exactly the notes' rule\n"
)


def _sgd_args(p: dict[str, Any], form: str) -> str:
    if form == "vanilla":
        return f"lr={p['lr']}"
    return f"lr={p['lr']}, momentum={p['momentum']}, dampening={p['dampening']}"


def run(p: dict[str, Any], form: str, grads: list[Any]) -> list[float]:
    """w after each step of a real torch.optim.SGD."""
    w = torch.nn.Parameter(torch.tensor(p["w0"], dtype=torch.float64))
    if form == "vanilla":
        opt = torch.optim.SGD([w], lr=p["lr"])
    else:
        opt = torch.optim.SGD([w], lr=p["lr"], momentum=p["momentum"], dampening=p["dampening"])
        if form == "notes":
            opt.state[w]["momentum_buffer"] = torch.zeros_like(w)
    out = []
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(w.item())
    return out


def _block(p: dict[str, Any], form: str, grads: list[Any], name: str = "w") -> str:
    code = f"{name} = torch.nn.Parameter(torch.tensor({p['w0']!r}, dtype=torch.float64))\n"
    code += f"opt = torch.optim.SGD([{name}], {_sgd_args(p, form)})\n"
    if form == "notes":
        code += SEED_NOTE + f'opt.state[{name}]["momentum_buffer"] = torch.zeros_like({name})\n'
    code += f"for g in {grads!r}:\n"
    code += f"    {name}.grad = torch.tensor(g, dtype=torch.float64)\n    opt.step()\n"
    return code


def _fmt(x: float) -> str:
    return f"{x:.10g}"


@checker("sgd-momentum")
def check_sgd_momentum(q: Question) -> Check:
    p, version = q.params, torch_version()
    if q.ask == "difference":
        g1 = p["grads"][:1]
        notes, torch_ = run(p, "notes", g1)[0], run(p, "torch", g1)[0]
        diff = notes - torch_
        code = "import torch\n\n" + _block(p, "notes", g1, "w_notes")
        code += _block(p, "torch", g1, "w_torch")
        code += 'print(f"{w_notes.item():.10g} {w_torch.item():.10g}")\n'
        code += 'print(f"{(w_notes - w_torch).item():.10g}")\n'
        output = f"{_fmt(notes)} {_fmt(torch_)}\n{_fmt(diff)}"
        method = "torch.optim.SGD with a zero momentum_buffer (notes) vs a fresh one"
        return Check([notes, torch_], diff, code, output, f"torch {version}: {method}")
    form = p["form"]
    ws = run(p, form, p["grads"])
    code = "import torch\n\n" + _block(p, form, p["grads"])
    code += '    print(f"{w.item():.10g}")\n'
    what = {"vanilla": "", "torch": " (fresh buffer)", "notes": " with a zero momentum_buffer"}
    method = f"torch.optim.SGD({_sgd_args(p, form)}){what[form]} on an nn.Parameter, float64"
    return Check(ws, ws[-1], code, "\n".join(_fmt(w) for w in ws), f"torch {version}: {method}")
