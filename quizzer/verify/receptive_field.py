"""Torch check of `receptive-field`: the receptive field measured by autograd.

The stack is built from real layers with one channel and all-ones weights, an input of
ones goes through it, and one output unit near the centre is back-propagated: the input
pixels with a non-zero gradient are exactly the ones that unit depends on. Square kernels
act on rows and columns independently, so the 1-d version of the stack (Conv1d /
AvgPool1d) gives the width and the height alike; 2-d layers would give the same answer
but cost milliseconds per question on one channel. A max pool routes its gradient to a
single argmax, so an average pool with the same window stands in for it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

MAX_INPUT = 4096


def input_size(layers: list[dict]) -> int:
    """A loose upper bound on the receptive field that does not use the RF formula."""
    strides = math.prod(x["stride"] for x in layers)
    spans = sum((x["kernel_size"] - 1) * x["dilation"] + 1 for x in layers)
    return min(2 * strides * spans + 1, MAX_INPUT)


def _module(layer: dict) -> tuple[nn.Module, str]:
    k, s, d = layer["kernel_size"], layer["stride"], layer["dilation"]
    if layer["layer"] == "Conv2d":
        m = nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False)
        with torch.no_grad():
            m.weight.fill_(1.0)
        return m, f"nn.Conv1d(1, 1, {k}, stride={s}, dilation={d}, bias=False),"
    if d != 1:
        raise ValueError(f"{layer['layer']} with dilation {d} is not supported here")
    if layer["layer"] == "MaxPool2d":
        return nn.AvgPool1d(k, s), f"nn.AvgPool1d({k}, {s}),  # stands in for MaxPool2d({k}, {s})"
    if layer["layer"] == "AvgPool2d":
        return nn.AvgPool1d(k, s), f"nn.AvgPool1d({k}, {s}),"
    raise ValueError(f"unknown layer {layer['layer']!r}")


def snippet(lines: list[str], n: int) -> str:
    how = "2 * product of strides * sum of dilated kernel spans + 1"
    if n == MAX_INPUT:
        how = "a cap on 2 * product of strides * sum of dilated kernel spans + 1"
    body = "\n".join(f"    {line}" for line in lines)
    return f"""import torch
from torch import nn

# Square kernels act on rows and columns independently, so the 1-d version of the
# stack gives the receptive field's width and height alike.
# A max pool routes its gradient to a single argmax, so an average pool with the
# same window stands in for it: its gradient reaches every pixel of the window.
net = nn.Sequential(
{body}
)
with torch.no_grad():
    for m in net:
        if isinstance(m, nn.Conv1d):
            m.weight.fill_(1.0)
# No padding, so any input long enough for one output unit works:
# {n} = {how}.
x = torch.ones(1, 1, {n}, requires_grad=True)
y = net(x)
y[0, 0, y.shape[-1] // 2].backward()
hit = x.grad[0, 0].nonzero().flatten()
rf = int(hit[-1] - hit[0] + 1)
print(f"receptive field: {{rf}} x {{rf}}")
"""


@checker("receptive-field")
def check(q: Question) -> Check:
    layers = q.params["layers"]
    built = [_module(layer) for layer in layers]
    net = nn.Sequential(*(m for m, _ in built))
    n = input_size(layers)
    x = torch.ones(1, 1, n, requires_grad=True)
    y = net(x)
    y[0, 0, y.shape[-1] // 2].backward()
    hit = x.grad[0, 0].nonzero().flatten()
    rf = int(hit[-1] - hit[0] + 1)
    return Check(
        result=rf,
        expected=rf,
        code=snippet([line for _, line in built], n),
        output=f"receptive field: {rf} x {rf}",
        method=f"torch {torch_version()}: autograd through the 1-d stack (all-ones weights)",
    )
