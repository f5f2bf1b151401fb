"""torch check of conv-params: build the real nn.Conv1d/Conv2d/Linear (or the Sequential
network, whose nn.LazyLinear gets its in_features at a first forward pass on zeros), then read
layer.weight.shape, the bias and sum(p.numel() for p in layer.parameters()); an output shape
comes from a forward pass on a zero tensor.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from quizzer.generators.conv_params import call, sequential
from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

HEADER = "import torch\nfrom torch import nn\n\n"
NOT_ARGS = ("layer", "input_shape")
COUNT = (
    "for name, p in {var}.named_parameters():\n"
    "    print(name, tuple(p.shape), p.numel())\n"
    'print("total:", sum(p.numel() for p in {var}.parameters()))\n'
)


def _module(spec: dict[str, Any]) -> nn.Module:
    return getattr(nn, spec["layer"])(**{k: v for k, v in spec.items() if k not in NOT_ARGS})


def _count(module: nn.Module) -> tuple[int, str]:
    """sum(p.numel()) and what the COUNT snippet prints for it."""
    lines, total = [], 0
    for name, p in module.named_parameters():
        lines.append(f"{name} {tuple(p.shape)} {p.numel()}")
        total += p.numel()
    return total, "\n".join([*lines, f"total: {total}"])


def _zeros(shape: list[int]) -> tuple[torch.Tensor, str]:
    return torch.zeros(shape), f"x = torch.zeros({', '.join(map(str, shape))})\n"


def _stack_check(q: Question) -> Check:
    p = q.params
    model = nn.Sequential(*(_module(s) for s in p["layers"]))
    x, make_x = _zeros(p["input_shape"])
    with torch.no_grad():
        model(x)  # the first forward pass gives LazyLinear its in_features
    total, output = _count(model)
    counts = [sum(t.numel() for t in m.parameters()) for m in model]
    result = {
        "params": total,
        "layer_params": [c for c in counts if c],
        "in_features": model[-1].in_features,
    }
    code = (
        f"{HEADER}model = {sequential(p)}\n{make_x}"
        "model(x)  # the first forward pass sets LazyLinear's in_features\n"
        + COUNT.format(var="model")
    )
    method = f"torch {torch_version()}: nn.Sequential forward pass on zeros, then its parameters"
    return Check(result=result, expected=total, code=code, output=output, method=method)


@checker("conv-params")
def check_conv_params(q: Question) -> Check:
    p, ask = q.params, q.ask
    if p["layer"] == "Sequential":
        return _stack_check(q)
    layer = _module(p)
    total, counted = _count(layer)
    bias = 0 if layer.bias is None else layer.bias.numel()
    result: dict[str, Any] = {
        "weight_shape": list(layer.weight.shape),
        "bias_params": bias,
        "params": total,
    }
    code = f"{HEADER}layer = {call(p)}\n"
    if "input_shape" in p:
        x, make_x = _zeros(p["input_shape"])
        with torch.no_grad():
            shape = layer(x).shape
        result["output_shape"] = list(shape)
    if ask == "weight_shape":
        code += "print(layer.weight.shape)\n"
        output, what = str(layer.weight.shape), "layer.weight.shape"
    elif ask == "bias_params":
        code += "print(0 if layer.bias is None else layer.bias.numel())\n"
        output, what = str(bias), "layer.bias.numel()"
    elif ask == "params":
        code += COUNT.format(var="layer")
        output, what = counted, "sum(p.numel() for p in layer.parameters())"
    else:
        code += f"{make_x}print(layer(x).shape)\n"
        output, what = str(shape), "a forward pass on a zero tensor"
    method = f"torch {torch_version()}: nn.{p['layer']}, {what}"
    return Check(result=result, expected=result[ask], code=code, output=output, method=method)
