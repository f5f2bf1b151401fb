"""Torch check of `network-shapes`: build the real nn.Sequential and run a zero tensor
through it layer by layer, like d2l's loop, recording every layer's output shape.

Big networks (AlexNet, VGG-11: over a million parameters) are built on the "meta" device:
torch computes every output shape (and raises where a layer does not fit) without
allocating weights or computing anything, so a check costs milliseconds instead of the
second that initialising VGG-11's 25088×4096 Linear alone takes. The shapes are the same
as on the CPU (tests/test_gen_network_shapes.py runs the notes' networks there too).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

META_ABOVE = 1_000_000  # parameters; bigger networks are checked on the meta device
Layer = dict[str, Any]


def module(layer: Layer) -> nn.Module:
    """The torch module of one layer dict (class and argument names are torch's)."""
    kind = layer["layer"]
    if kind == "Sequential":
        return nn.Sequential(*(module(x) for x in layer["layers"]))
    return getattr(nn, kind)(**{k: v for k, v in layer.items() if k != "layer"})


def param_count(layers: list[Layer]) -> int:
    """A size estimate from the params alone (to pick the device), not the checked value."""
    total = 0
    for x in layers:
        if x["layer"] == "Sequential":
            total += param_count(x["layers"])
        elif x["layer"] == "Linear":
            total += x["in_features"] * x["out_features"]
        elif x["layer"] == "Conv2d":
            total += x["in_channels"] * x["out_channels"] * x["kernel_size"] ** 2
    return total


def code_of(layer: Layer, indent: str) -> str:
    """The nn.<Layer>(...) expression of one layer, as a learner would write it."""
    kind = layer["layer"]
    if kind == "Sequential":
        inner = "".join(f"{indent}    {code_of(x, indent + '    ')},\n" for x in layer["layers"])
        return f"nn.Sequential(\n{inner}{indent})"
    if kind == "Conv2d":
        args = [str(layer["in_channels"]), str(layer["out_channels"])]
        args.append(f"kernel_size={layer['kernel_size']}")
    elif kind in ("MaxPool2d", "AvgPool2d"):
        args = [f"kernel_size={layer['kernel_size']}", f"stride={layer['stride']}"]
    elif kind == "Linear":
        args = [str(layer["in_features"]), str(layer["out_features"])]
    elif kind == "Dropout":
        args = [f"p={layer['p']}"]
    else:
        args = []
    if kind == "Conv2d" and layer["stride"] != 1:
        args.append(f"stride={layer['stride']}")
    if layer.get("padding"):
        args.append(f"padding={layer['padding']}")
    return f"nn.{kind}({', '.join(args)})"


def snippet(layers: list[Layer], input_shape: list[int], meta: bool) -> str:
    pad = "    " if meta else ""
    body = "".join(f"{pad}    {code_of(x, pad + '    ')},\n" for x in layers)
    dims = ", ".join(map(str, input_shape))
    net = f"{pad}net = nn.Sequential(\n{body}{pad})\n"
    if meta:
        net = (
            '# device "meta": torch works out every shape (and refuses layers that do not fit)\n'
            "# without allocating the weights or computing anything. Without it, on the CPU,\n"
            "# the shapes are the same; only building the network takes longer.\n"
            f'with torch.device("meta"):\n{net}X = torch.zeros({dims}, device="meta")\n'
        )
    else:
        net += f"X = torch.zeros({dims})\n"
    return (
        "import torch\nfrom torch import nn\n\n"
        f"{net}"
        "for layer in net:\n"
        "    X = layer(X)\n"
        "    print(layer.__class__.__name__, 'output shape:\\t', X.shape)\n"
    )


@checker("network-shapes")
def check(q: Question) -> Check:
    p = q.params
    layers, input_shape = p["layers"], p["input_shape"]
    meta = param_count(layers) > META_ABOVE
    device = torch.device("meta" if meta else "cpu")
    with device:
        net = nn.Sequential(*(module(x) for x in layers))
    x = torch.zeros(input_shape, device=device)
    shapes, lines = [], []
    with torch.no_grad():
        for layer in net:
            x = layer(x)
            shapes.append(list(x.shape))
            lines.append(f"{layer.__class__.__name__} output shape:\t {x.shape}")
    if q.ask == "shape":
        expected: Any = shapes[p["index"]]
    elif q.ask == "in_features":
        flat = next(i for i, m in enumerate(net) if isinstance(m, nn.Flatten))
        expected = math.prod(shapes[flat][1:])
    else:
        expected = next((i for i, s in enumerate(shapes) if s == p["target_shape"]), None)
    where = " on the meta device (shapes only)" if meta else " on the CPU"
    return Check(
        result=shapes,
        expected=expected,
        code=snippet(layers, input_shape, meta),
        output="\n".join(lines),
        method=f"torch {torch_version()}: nn.Sequential forward pass of a zero tensor,"
        f" layer by layer{where}",
    )
