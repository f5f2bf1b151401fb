"""torch check of conv-output: run the real layer on a zero tensor and read its shape.

When torch refuses the layer (padding='same' with a stride: a ValueError when it is built)
or the input (a RuntimeError in the forward pass), the result is None and the output is
torch's message, quoted to the learner; the snippet then catches and prints it.

For the missing-parameter asks ("padding", "kernel_size") the layer is run with the
formula's value and with its neighbours (value − 1, value + 1): the answer counts only if
torch gives the stated target shape with it and with neither neighbour.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn

from quizzer.generators.conv_output import layer_call
from quizzer.question import Question
from quizzer.verify import Check, checker, raised, torch_version

DIM_INDEX = {"height": -2, "width": -1, "length": -1}
NOT_ARGS = ("layer", "input_shape", "output_shape")
HEADER = "import torch\nfrom torch import nn\n\n"
TORCH = f"torch {torch_version()}"


def _layer(params: dict[str, Any], **override: Any) -> nn.Module:
    kwargs = {k: v for k, v in params.items() if k not in NOT_ARGS} | override
    return getattr(nn, params["layer"])(**kwargs)


def _shape_check(q: Question, x: torch.Tensor) -> Check:
    p = q.params
    make_x = f"x = torch.zeros({', '.join(map(str, p['input_shape']))})\n"
    method = f"{TORCH}: nn.{p['layer']} forward pass on a zero tensor"
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # padding='same' with an even kernel warns that it copies the input: not our point
            warnings.simplefilter("ignore", UserWarning)
            shape = _layer(p)(x).shape
    except (RuntimeError, ValueError) as exc:  # torch refuses the layer or the input
        code = (
            f"{HEADER}{make_x}try:\n"
            f"    layer = {layer_call(p)}\n"
            "    print(layer(x).shape)\n"
            "except (RuntimeError, ValueError) as e:\n"
            '    print(f"{type(e).__name__}: {str(e).splitlines()[0]}")\n'
        )
        output = raised(exc)
        return Check(result=None, expected=None, code=code, output=output, method=method)
    result = list(shape)
    expected = result if q.ask == "shape" else result[DIM_INDEX[q.ask]]
    code = f"{HEADER}layer = {layer_call(p)}\n{make_x}print(layer(x).shape)\n"
    return Check(result=result, expected=expected, code=code, output=str(shape), method=method)


def _missing_check(q: Question, x: torch.Tensor) -> Check:
    p, name = q.params, q.ask
    value, target = p[name], p["output_shape"]
    lowest = 0 if name == "padding" else 1
    shapes: dict[int, torch.Size] = {}
    with torch.no_grad():
        shapes[value] = _layer(p)(x).shape
        for v in (value - 1, value + 1):
            if v < lowest:
                continue
            try:
                shapes[v] = _layer(p, **{name: v})(x).shape
            except RuntimeError:  # torch refuses this value: it cannot give the target
                continue
    others = [v for v, s in shapes.items() if v != value and list(s) == target]
    if others:
        raise ValueError(f"{name}={others[0]} also gives {target}: the answer is not unique")
    result = list(shapes[value])
    tried = sorted(shapes)
    code = (
        f"{HEADER}x = torch.zeros({', '.join(map(str, p['input_shape']))})\n"
        f"for {name} in ({', '.join(map(str, tried))}{',' if len(tried) == 1 else ''}):\n"
        f"    layer = {layer_call(p, var=name)}\n"
        f'    print(f"{name}={{{name}}}:", layer(x).shape)\n'
    )
    output = "\n".join(f"{name}={v}: {shapes[v]}" for v in tried)
    method = (
        f"{TORCH}: nn.{p['layer']} forward passes on a zero tensor"
        f" with {name} in {tried}; only {value} gives the target shape"
    )
    expected = value if result == target else None
    return Check(result=result, expected=expected, code=code, output=output, method=method)


@checker("conv-output")
def check_conv_output(q: Question) -> Check:
    x = torch.zeros(q.params["input_shape"])
    if q.ask in ("padding", "kernel_size"):
        return _missing_check(q, x)
    return _shape_check(q, x)
