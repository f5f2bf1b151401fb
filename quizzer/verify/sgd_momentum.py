"""Torch check of sgd-momentum: a real nn.Parameter stepped by a real torch.optim.SGD.

Each step sets p.grad to the given gradient (float64) and calls opt.step(). The notes'
form (m_0 = 0, every step dampened) is torch's SGD with momentum=b1, dampening=1 - b2 and a
zero momentum_buffer placed in opt.state before the first step: torch only treats the
first step specially when it finds no buffer. The difference question runs both optimizers.
weight_decay and nesterov are passed to torch.optim.SGD as they are.

The forgot-backward forms run the loop the learner sees: opt.zero_grad() (or
zero_grad(set_to_none=False)), loss = g * w, loss.backward() only in the first `backward`
steps, opt.step(). Nothing here models what step() does without a gradient: torch decides.
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
FORGOT = ("forgot-backward", "forgot-backward-zeros")


def sgd_kwargs(p: dict[str, Any], form: str) -> dict[str, Any]:
    """The keyword arguments of torch.optim.SGD for the question (zeros left out, except
    momentum and dampening of the forms that are about them)."""
    kw: dict[str, Any] = {"lr": p["lr"]}
    explicit = form in ("notes", "torch", "decay")
    for name in ("momentum", "dampening", "weight_decay", "nesterov"):
        if (explicit and name in ("momentum", "dampening")) or p.get(name):
            kw[name] = p[name]
    return kw


def _sgd_args(p: dict[str, Any], form: str) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sgd_kwargs(p, form).items())


def _param(p: dict[str, Any]) -> torch.nn.Parameter:
    return torch.nn.Parameter(torch.tensor(p["w0"], dtype=torch.float64))


def run(p: dict[str, Any], form: str, grads: list[Any]) -> list[float]:
    """w after each step of a real torch.optim.SGD, w.grad set to each gradient."""
    w = _param(p)
    opt = torch.optim.SGD([w], **sgd_kwargs(p, form))
    if form == "notes":
        opt.state[w]["momentum_buffer"] = torch.zeros_like(w)
    out = []
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(w.item())
    return out


def run_forgot(p: dict[str, Any]) -> tuple[list[float], list[str]]:
    """w after each pass of the loop whose later passes forget loss.backward(), and what
    print(w.grad) shows after each pass."""
    w = _param(p)
    opt = torch.optim.SGD([w], **sgd_kwargs(p, p["form"]))
    set_to_none = p["form"] == "forgot-backward"
    out, grads = [], []
    for t, g in enumerate(p["grads"]):
        opt.zero_grad(set_to_none=set_to_none)
        loss = g * w
        if t < p["backward"]:
            loss.backward()
        opt.step()
        out.append(w.item())
        grads.append(str(w.grad))
    return out, grads


def _block(p: dict[str, Any], form: str, grads: list[Any], name: str = "w") -> str:
    code = f"{name} = torch.nn.Parameter(torch.tensor({p['w0']!r}, dtype=torch.float64))\n"
    code += f"opt = torch.optim.SGD([{name}], {_sgd_args(p, form)})\n"
    if form == "notes":
        code += SEED_NOTE + f'opt.state[{name}]["momentum_buffer"] = torch.zeros_like({name})\n'
    code += f"for g in {grads!r}:\n"
    code += f"    {name}.grad = torch.tensor(g, dtype=torch.float64)\n    opt.step()\n"
    return code


def _forgot_block(p: dict[str, Any]) -> str:
    code = f"w = torch.nn.Parameter(torch.tensor({p['w0']!r}, dtype=torch.float64))\n"
    code += f"opt = torch.optim.SGD([w], {_sgd_args(p, p['form'])})\n"
    zero_grad = "opt.zero_grad()"
    if p["form"] == "forgot-backward-zeros":
        zero_grad = "opt.zero_grad(set_to_none=False)  # zeros, not None"
    n, grads = p["backward"], p["grads"]
    body = f"    {zero_grad}\n    loss = g * w\n"
    show = '    print(f"{w.item():.10g}")\n'
    if n:
        code += f"for g in {grads[:n]!r}:\n{body}    loss.backward()\n    opt.step()\n{show}"
    code += f"for g in {grads[n:]!r}:  # loss.backward() forgotten\n{body}    opt.step()\n"
    return code + '    print(f"{w.item():.10g}", w.grad)\n'


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
    if form in FORGOT:
        ws, grads = run_forgot(p)
        code = "import torch\n\n" + _forgot_block(p)
        n = p["backward"]
        lines = [_fmt(w) for w in ws[:n]]
        lines += [f"{_fmt(w)} {g}" for w, g in zip(ws[n:], grads[n:], strict=True)]
        how = "zero_grad(set_to_none=False)" if form != "forgot-backward" else "zero_grad()"
        method = (
            f"torch.optim.SGD({_sgd_args(p, form)}), {how} and step() with loss.backward() "
            f"in the first {n} of {len(ws)} steps only, float64"
        )
        return Check(ws, ws[-1], code, "\n".join(lines), f"torch {version}: {method}")
    ws = run(p, form, p["grads"])
    code = "import torch\n\n" + _block(p, form, p["grads"])
    code += '    print(f"{w.item():.10g}")\n'
    what = {"torch": " (fresh buffer)", "notes": " with a zero momentum_buffer"}.get(form, "")
    method = f"torch.optim.SGD({_sgd_args(p, form)}){what} on an nn.Parameter, float64"
    return Check(ws, ws[-1], code, "\n".join(_fmt(w) for w in ws), f"torch {version}: {method}")
