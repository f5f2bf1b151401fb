"""Torch check of activations questions, in float64.

value: torch.sigmoid / torch.tanh / torch.relu / F.leaky_relu on a 0-d tensor; derivative:
autograd (x.grad after y.backward()). collapse: the real nn.Sequential(nn.Linear,
nn.Linear) with the given weights against one nn.Linear whose W = torch.matmul(W2, W1) and
b = torch.matmul(W2, b1) + b2, on a few integer inputs (so float64 is exact): their outputs
must be equal, else the variant is rejected.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

F64 = "dtype=torch.float64"
CALLS = {
    "sigmoid": "torch.sigmoid(x)",
    "tanh": "torch.tanh(x)",
    "relu": "torch.relu(x)",
    "leaky_relu": "F.leaky_relu(x, negative_slope={s})",
}


def _apply(fn: str, x: torch.Tensor, slope: float | None) -> torch.Tensor:
    if fn == "sigmoid":
        return torch.sigmoid(x)
    if fn == "tanh":
        return torch.tanh(x)
    if fn == "relu":
        return torch.relu(x)
    return F.leaky_relu(x, negative_slope=slope)  # type: ignore[arg-type]


def _x_literal(p: dict[str, Any]) -> str:
    """math.log(3) for x = ln 3, -math.log(2) for -ln 2, else the number."""
    xt = p["x_text"]
    if "ln" in xt:
        return f"{'-' if xt.startswith('-') else ''}math.log({xt.split()[-1]})"
    return repr(p["x"])


def check_point(q: Question) -> Check:
    p = q.params
    fn, slope, derivative = p["fn"], p["negative_slope"], q.ask == "derivative"
    x = torch.tensor(p["x"], dtype=torch.float64, requires_grad=derivative)
    if derivative:
        y = _apply(fn, x, slope)
        y.backward()
        assert x.grad is not None
        value, shown = x.grad.item(), f"{y.item():.10g} {x.grad.item():.10g}"
    else:
        with torch.no_grad():
            value = _apply(fn, x, slope).item()
        shown = f"{value:.10g}"
    literal = _x_literal(p)
    code = "import math\n\n" if "math." in literal else ""
    code += "import torch\n" + ("import torch.nn.functional as F\n" if fn == "leaky_relu" else "")
    grad = ", requires_grad=True" if derivative else ""
    code += f"\nx = torch.tensor({literal}, {F64}{grad})  # x = {p['x_text']}\n"
    code += f"y = {CALLS[fn].format(s=slope)}\n"
    if derivative:
        code += (
            'y.backward()\nprint(f"{y.item():.10g} {x.grad.item():.10g}")  # value, derivative\n'
        )
        method = f"autograd of {CALLS[fn].format(s=slope)} on a float64 tensor"
    else:
        code += 'print(f"{y.item():.10g}")\n'
        method = f"{CALLS[fn].format(s=slope)} on a float64 tensor"
    return Check(value, value, code, shown, f"torch {torch_version()}: {method}")


def inputs(n_in: int) -> list[list[int]]:
    """A few integer inputs: the unit vectors and two mixed ones."""
    eye = [[int(i == j) for j in range(n_in)] for i in range(n_in)]
    return eye + [[2, -3, 1][:n_in], [-1, 5, 4][:n_in]]


def check_collapse(q: Question) -> Check:
    p = q.params
    n_in, hidden, n_out = len(p["weight1"][0]), len(p["weight1"]), len(p["weight2"])
    xs = inputs(n_in)
    with torch.no_grad():
        w1, b1 = (
            torch.tensor(p["weight1"], dtype=torch.float64),
            torch.tensor(p["bias1"], dtype=torch.float64),
        )
        w2, b2 = (
            torch.tensor(p["weight2"], dtype=torch.float64),
            torch.tensor(p["bias2"], dtype=torch.float64),
        )
        net = nn.Sequential(
            nn.Linear(n_in, hidden, dtype=torch.float64),
            nn.Linear(hidden, n_out, dtype=torch.float64),
        )
        net[0].weight.copy_(w1)
        net[0].bias.copy_(b1)
        net[1].weight.copy_(w2)
        net[1].bias.copy_(b2)
        w = torch.matmul(w2, w1)
        b = torch.matmul(w2, b1) + b2
        one = nn.Linear(n_in, n_out, dtype=torch.float64)
        one.weight.copy_(w)
        one.bias.copy_(b)
        x = torch.tensor(xs, dtype=torch.float64)
        same = torch.equal(net(x), one(x))
    if not same:
        raise ValueError("the composed nn.Linear does not reproduce the two-layer net")
    wl, bl = w.tolist(), b.tolist()
    code = f"""import torch
from torch import nn

W1 = torch.tensor({p["weight1"]}, {F64})
b1 = torch.tensor({p["bias1"]}, {F64})
W2 = torch.tensor({p["weight2"]}, {F64})
b2 = torch.tensor({p["bias2"]}, {F64})
net = nn.Sequential(nn.Linear({n_in}, {hidden}, {F64}), nn.Linear({hidden}, {n_out}, {F64}))
one = nn.Linear({n_in}, {n_out}, {F64})  # the single equivalent layer
with torch.no_grad():
    net[0].weight.copy_(W1)
    net[0].bias.copy_(b1)
    net[1].weight.copy_(W2)
    net[1].bias.copy_(b2)
    W = torch.matmul(W2, W1)
    b = torch.matmul(W2, b1) + b2
    one.weight.copy_(W)
    one.bias.copy_(b)
    x = torch.tensor({xs}, {F64})
    print(torch.equal(net(x), one(x)))  # same outputs
print(W.tolist())
print(b.tolist())
"""
    method = "nn.Sequential(nn.Linear, nn.Linear) vs nn.Linear(W2·W1, W2·b1 + b2) in float64"
    expected = wl if q.ask == "weight" else bl
    output = f"{same}\n{wl}\n{bl}"
    return Check([wl, bl], expected, code, output, f"torch {torch_version()}: {method}")


@checker("activations")
def check_activations(q: Question) -> Check:
    if q.ask in ("weight", "bias"):
        return check_collapse(q)
    return check_point(q)
