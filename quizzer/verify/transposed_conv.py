"""torch check of transposed-conv: run the real ConvTranspose layer on a zero tensor.

torch builds a layer with any output_padding and refuses one >= max(stride, dilation) in
the forward pass: then the result is None and the output is torch's message (the snippet
catches and prints it).

For the "output_padding" ask, torch runs the layer with every output_padding below
max(stride, dilation) that it accepts, and the answer is the one value whose output has the
target shape.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from quizzer.generators.transposed_conv import layer_call
from quizzer.question import Question
from quizzer.verify import Check, checker, raised, torch_version

DIM_INDEX = {"height": -2, "width": -1, "length": -1}
NOT_ARGS = ("layer", "input_shape", "output_shape")
HEADER = "import torch\nfrom torch import nn\n\n"


def _layer(params: dict[str, Any], **override: Any) -> nn.Module:
    kwargs = {k: v for k, v in params.items() if k not in NOT_ARGS} | override
    return getattr(nn, params["layer"])(**kwargs)


def _zeros(params: dict[str, Any]) -> tuple[torch.Tensor, str]:
    shape = params["input_shape"]
    return torch.zeros(shape), f"x = torch.zeros({', '.join(map(str, shape))})\n"


def _shape_check(q: Question) -> Check:
    p = q.params
    x, make_x = _zeros(p)
    method = f"torch {torch_version()}: nn.{p['layer']} forward pass on a zero tensor"
    layer = _layer(p)
    try:
        with torch.no_grad():
            shape = layer(x).shape
    except RuntimeError as exc:  # torch refuses the layer (output_padding too large)
        code = (
            f"{HEADER}layer = {layer_call(p)}\n{make_x}try:\n"
            "    print(layer(x).shape)\n"
            "except RuntimeError as e:\n"
            '    print(f"RuntimeError: {str(e).splitlines()[0]}")\n'
        )
        output = raised(exc, "RuntimeError")
        return Check(result=None, expected=None, code=code, output=output, method=method)
    result = list(shape)
    expected = result if q.ask == "shape" else result[DIM_INDEX[q.ask]]
    code = f"{HEADER}layer = {layer_call(p)}\n{make_x}print(layer(x).shape)\n"
    return Check(result=result, expected=expected, code=code, output=str(shape), method=method)


def _missing_check(q: Question) -> Check:
    p = q.params
    stride, dilation = p["stride"], p["dilation"]
    limit = max(
        max(stride) if isinstance(stride, list) else stride,
        max(dilation) if isinstance(dilation, list) else dilation,
    )
    x, make_x = _zeros(p)
    shapes: dict[int, torch.Size] = {}
    with torch.no_grad():
        for v in range(limit):
            try:
                shapes[v] = _layer(p, output_padding=v)(x).shape
            except RuntimeError:  # torch refuses this value: it cannot give the target
                continue
    hits = [v for v, s in shapes.items() if list(s) == p["output_shape"]]
    if len(hits) != 1:
        raise ValueError(f"output_padding values {hits} give {p['output_shape']}: not one")
    tried = ", ".join(map(str, shapes)) + ("," if len(shapes) == 1 else "")
    code = (
        f"{HEADER}{make_x}for output_padding in ({tried}):\n"
        f"    layer = {layer_call(p, 'output_padding', 'output_padding')}\n"
        '    print(f"output_padding={output_padding}:", layer(x).shape)\n'
    )
    output = "\n".join(f"output_padding={v}: {s}" for v, s in shapes.items())
    method = (
        f"torch {torch_version()}: nn.{p['layer']} forward passes on a zero tensor with "
        f"every output_padding in 0..{limit - 1} it accepts; only {hits[0]} gives the target shape"
    )
    return Check(
        result=list(shapes[hits[0]]), expected=hits[0], code=code, output=output, method=method
    )


@checker("transposed-conv")
def check_transposed_conv(q: Question) -> Check:
    if q.ask == "output_padding":
        return _missing_check(q)
    return _shape_check(q)
