"""Torch check of `affine`: a real nn.Linear(n, m) in float64 with weight = A and bias = b
copied in, applied to x (or to the rows of X), next to torch.matmul(A, x) + b; both must agree
exactly (small integers are exact in float64). The weight shape is read from a fresh
nn.Linear(in_features, out_features); linearity is tested on the layer itself: f(0) = 0,
f(u + v) = f(u) + f(v) and f(2u) = 2 f(u)."""

from __future__ import annotations

import torch
from torch import nn

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

F64 = torch.float64
HEADER = "import torch\nfrom torch import nn\n\n"


def _layer(a: list[list[int]], b: list[int]) -> nn.Linear:
    layer = nn.Linear(len(a[0]), len(a), dtype=F64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(a, dtype=F64))
        layer.bias.copy_(torch.tensor(b, dtype=F64))
    return layer


def _setup(a: list[list[int]], b: list[int]) -> str:
    return (
        f"{HEADER}A = torch.tensor({a}, dtype=torch.float64)\n"
        f"b = torch.tensor({b}, dtype=torch.float64)\n"
        f"layer = nn.Linear({len(a[0])}, {len(a)}, dtype=torch.float64)\n"
        "with torch.no_grad():\n"
        "    layer.weight.copy_(A)\n"
        "    layer.bias.copy_(b)\n"
    )


def _shape_check(q: Question, version: str) -> Check:
    n, m = q.params["in_features"], q.params["out_features"]
    shape = nn.Linear(n, m).weight.shape
    code = (
        f"{HEADER}layer = nn.Linear(in_features={n}, out_features={m})\nprint(layer.weight.shape)\n"
    )
    method = f"torch {version}: nn.Linear({n}, {m}).weight.shape"
    return Check(list(shape), list(shape), code, str(shape), method)


def _linear_check(q: Question, version: str) -> Check:
    a, b = q.params["weight"], q.params["bias"]
    n = len(a[0])
    layer = _layer(a, b)
    with torch.no_grad():
        u = torch.arange(1, n + 1, dtype=F64)
        v = torch.ones(n, dtype=F64)
        f0 = layer(torch.zeros(n, dtype=F64)).tolist()
        additive = torch.equal(layer(u + v), layer(u) + layer(v))
        homogeneous = torch.equal(layer(2 * u), 2 * layer(u))
    answer = "yes" if additive and homogeneous and not any(f0) else "no"
    code = _setup(a, b) + (
        f"    u = torch.arange(1, {n + 1}, dtype=torch.float64)\n"
        f"    v = torch.ones({n}, dtype=torch.float64)\n"
        f"    f0 = layer(torch.zeros({n}, dtype=torch.float64))\n"
        "    additive = torch.equal(layer(u + v), layer(u) + layer(v))\n"
        "    homogeneous = torch.equal(layer(2 * u), 2 * layer(u))\n"
        'print("f(0) =", f0.tolist())\n'
        'print("f(u + v) == f(u) + f(v):", additive)\n'
        'print("f(2u) == 2 f(u):", homogeneous)\n'
    )
    output = f"f(0) = {f0}\nf(u + v) == f(u) + f(v): {additive}\nf(2u) == 2 f(u): {homogeneous}"
    method = f"torch {version}: nn.Linear tested for f(0) = 0, additivity and homogeneity"
    return Check(answer, answer, code, output, method)


@checker("affine")
def check_affine(q: Question) -> Check:
    version = torch_version()
    if q.ask == "weight_shape":
        return _shape_check(q, version)
    if q.ask == "linear":
        return _linear_check(q, version)
    p = q.params
    a, b, x = p["weight"], p["bias"], p["input"]
    batch = q.ask == "batch"
    layer = _layer(a, b)
    ta, tb, tx = (torch.tensor(v, dtype=F64) for v in (a, b, x))
    with torch.no_grad():
        y = layer(tx)
        by_matmul = torch.matmul(tx, ta.T) + tb if batch else torch.matmul(ta, tx) + tb
    if not torch.equal(y, by_matmul):
        raise ValueError(f"nn.Linear {y.tolist()} != torch.matmul {by_matmul.tolist()}")
    result = y.tolist()
    expected = result[p["index"]] if q.ask == "component" else result
    name = "X" if batch else "x"
    matmul = "torch.matmul(X, A.T) + b" if batch else "torch.matmul(A, x) + b"
    code = _setup(a, b).replace(
        "layer = nn.Linear", f"{name} = torch.tensor({x}, dtype=torch.float64)\nlayer = nn.Linear"
    )
    code += f"    y = layer({name})\nprint(y.tolist())\nprint(({matmul}).tolist())\n"
    if q.ask == "component":
        code += f"print(y[{p['index']}].item())\n"
    output = f"{result}\n{by_matmul.tolist()}"
    if q.ask == "component":
        output += f"\n{expected}"
    method = f"torch {version}: nn.Linear forward pass (float64) and {matmul}"
    return Check(result, expected, code, output, method)
