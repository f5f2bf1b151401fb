"""network-shapes: the output shape of every layer of a CNN, layer by layer.

The study notes' LeNet, AlexNet and VGG-11 (d2l's versions, in network_shapes.toml) and
random small stacks of Conv2d / MaxPool2d / AvgPool2d / ReLU followed by Flatten and
Linear. Asks: the output shape of layer i, the flatten size F the first Linear needs
(its in_features), and for the named networks which layer first outputs a given shape.
Layers are dicts with torch's class and argument names; a VGG block is a nested
{"layer": "Sequential", "layers": [...]}. `trace` runs the shape arithmetic of
quizzer/generators/_conv.py through the network, with misconception flags.
"""

from __future__ import annotations

import copy
import math
import random
import tomllib
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.generators._conv import output_shape, valid
from quizzer.question import Question

Layer = dict[str, Any]
Shape = list[int]
FAMILY = "network-shapes"
POOLS = ("MaxPool2d", "AvgPool2d")
SAME = ("ReLU", "Sigmoid", "Dropout")  # layers that keep the shape
ASKS = ("shape", "in_features", "first_layer")
MAX_CONV_COST = 2_000_000  # multiply-adds of a random stack's convs: keeps the torch check fast
MAX_FLAT = 20_000


def conv(cin: int, cout: int, k: int, s: int = 1, p: int = 0) -> Layer:
    return {
        "layer": "Conv2d",
        "in_channels": cin,
        "out_channels": cout,
        "kernel_size": k,
        "stride": s,
        "padding": p,
    }


def pool(kind: str, k: int, s: int, p: int = 0) -> Layer:
    return {"layer": kind, "kernel_size": k, "stride": s, "padding": p}


def vgg_blocks(conv_arch: list[list[int]], in_channels: int) -> list[Layer]:
    """d2l's vgg_block for each (num_convs, out_channels): 3×3 convs (padding 1) + ReLU,
    then MaxPool2d(2, 2), as one nn.Sequential each."""
    blocks = []
    for num_convs, out in conv_arch:
        layers: list[Layer] = []
        for _ in range(num_convs):
            layers += [conv(in_channels, out, 3, 1, 1), {"layer": "ReLU"}]
            in_channels = out
        blocks.append({"layer": "Sequential", "layers": [*layers, pool("MaxPool2d", 2, 2)]})
    return blocks


DATA: dict[str, Any] = tomllib.loads(
    Path(__file__).with_name("network_shapes.toml").read_text(encoding="utf-8")
)
TEXT: dict[str, dict[str, str]] = DATA["text"]  # str.format templates per language


def _load() -> dict[str, dict[str, Any]]:
    nets = {}
    for net in DATA["network"]:
        if "conv_arch" in net:
            net["layers"] = vgg_blocks(net["conv_arch"], net["input_shape"][1]) + net["head"]
        nets[net["name"]] = net
    return nets


NETWORKS = _load()
BY_LEVEL = {net["level"]: name for name, net in NETWORKS.items()}

# ---------------------------------------------------------------- formula (pure Python)


def flat_size(dims: list[int], mode: str = "right") -> int:
    """Features per sample after Flatten; the modes other than "right" are mistakes."""
    if mode == "sum":  # C + H + W
        return sum(dims)
    if mode == "spatial":  # H·W, the channels forgotten
        return math.prod(dims[1:]) if len(dims) > 1 else dims[0]
    return math.prod(dims)


def layer_out(layer: Layer, shape: Shape, strict: bool = True, **flags: Any) -> Shape:
    """The output shape of one layer (a Sequential runs its layers in turn).

    Flags (mistakes): padding_once, no_plus_one (from _conv.conv_out); pool_stride_1 (a
    pool moves by 1); channels_kept (a conv keeps the input's channels); flatten="sum" |
    "spatial" | "batch" (C + H + W, H·W, or the batch dimension flattened in too).
    strict: raise ValueError where torch would refuse the layer."""
    kind = layer["layer"]
    if kind == "Sequential":
        for sub in layer["layers"]:
            shape = layer_out(sub, shape, strict, **flags)
        return shape
    if kind in SAME:
        return shape
    if kind == "Flatten":
        mode = flags.get("flatten", "right")
        if mode == "batch":
            return [math.prod(shape)]
        return [shape[0], flat_size(shape[1:], mode)]
    if kind == "Linear":
        if strict and shape[-1] != layer["in_features"]:
            raise ValueError(f"Linear expects {layer['in_features']} features, gets {shape}")
        return [*shape[:-1], layer["out_features"]]
    params = {**layer, "input_shape": shape}
    if strict and (len(shape) != 4 or (kind == "Conv2d" and shape[1] != layer["in_channels"])):
        raise ValueError(f"{kind} cannot take shape {shape}")
    if strict and not valid(params):
        raise ValueError(f"{kind} does not fit shape {shape}")
    if flags.get("pool_stride_1") and kind in POOLS:
        params["stride"] = 1
    out = output_shape(
        params,
        padding_once=flags.get("padding_once", False),
        no_plus_one=flags.get("no_plus_one", False),
    )
    if flags.get("channels_kept"):
        out[1] = shape[1]
    return out


def trace(layers: list[Layer], input_shape: Shape, **flags: Any) -> list[Shape] | None:
    """The output shape of every top-level layer; None if torch would refuse the network
    (without flags) or a dimension drops below 1 (with flags)."""
    shapes, shape = [], list(input_shape)
    try:
        for layer in layers:
            shape = layer_out(layer, shape, strict=not flags, **flags)
            if min(shape) < 1:
                return None
            shapes.append(shape)
    except ValueError:
        return None
    return shapes


def flatten_index(layers: list[Layer]) -> int:
    return next(i for i, x in enumerate(layers) if x["layer"] == "Flatten")


def asked_value(params: dict[str, Any], ask: str, shapes: list[Shape] | None) -> Any:
    """The answer to `ask` read off a list of layer output shapes (None if there is none)."""
    if shapes is None:
        return None
    if ask == "shape":
        return shapes[params["index"]]
    if ask == "in_features":
        return shapes[flatten_index(params["layers"])][-1]
    target = params["target_shape"]
    return next((i for i, s in enumerate(shapes) if s == target), None)


# in order of precedence: where two mistakes give the same value, the first one's
# explanation is shown
MISTAKES: list[tuple[str, dict[str, Any]]] = [
    ("flatten-sum", {"flatten": "sum"}),
    ("flatten-no-channels", {"flatten": "spatial"}),
    ("flatten-batch", {"flatten": "batch"}),
    ("padding-once", {"padding_once": True}),
    ("no-plus-one", {"no_plus_one": True}),
    ("pool-stride-1", {"pool_stride_1": True}),
    ("channels-not-updated", {"channels_kept": True}),
]


def misconceptions(params: dict[str, Any], ask: str) -> list[tuple[str, Any]]:
    """Each mistake's answer, by tracing the network with the buggy arithmetic."""
    out = []
    for mid, flags in MISTAKES:
        value = asked_value(params, ask, trace(params["layers"], params["input_shape"], **flags))
        if value is not None:
            out.append((mid, value))
    if ask == "first_layer":
        out.append(("counted-from-one", asked_value(params, ask, trace_of(params)) + 1))
    return out


def trace_of(params: dict[str, Any]) -> list[Shape]:
    shapes = trace(params["layers"], params["input_shape"])
    if shapes is None:
        raise ValueError("torch would refuse this network")
    return shapes


# ---------------------------------------------------------------- text


def fmt(shape: Shape) -> str:
    return "(" + ", ".join(str(v) for v in shape) + ")"


def _pair(v: int) -> str:
    return f"({v}, {v})"


def module_repr(layer: Layer, hide_in_features: bool = False) -> str:
    """What print(net) shows for one (non-Sequential) layer."""
    kind = layer["layer"]
    if kind == "Conv2d":
        p = layer["padding"]
        text = f"Conv2d({layer['in_channels']}, {layer['out_channels']}, kernel_size="
        text += f"{_pair(layer['kernel_size'])}, stride={_pair(layer['stride'])}"
        return text + (f", padding={_pair(p)})" if p else ")")
    if kind in POOLS:
        text = f"{kind}(kernel_size={layer['kernel_size']}, stride={layer['stride']}"
        text += f", padding={layer['padding']}"
        return text + (", dilation=1, ceil_mode=False)" if kind == "MaxPool2d" else ")")
    if kind == "Linear":
        f = "F" if hide_in_features else layer["in_features"]
        return f"Linear(in_features={f}, out_features={layer['out_features']}, bias=True)"
    if kind == "Flatten":
        return "Flatten(start_dim=1, end_dim=-1)"
    if kind == "Dropout":
        return f"Dropout(p={layer['p']}, inplace=False)"
    return f"{kind}()"


def net_repr(layers: list[Layer], hide_first_linear: bool = True, indent: str = "  ") -> str:
    """print(net) of nn.Sequential(*layers); the first Linear's in_features shown as F."""
    first = next((i for i, x in enumerate(layers) if x["layer"] == "Linear"), None)
    lines = ["Sequential("]
    for i, layer in enumerate(layers):
        if layer["layer"] == "Sequential":
            inner = net_repr(layer["layers"], False, indent + "  ").splitlines()
            lines += [f"{indent}({i}): {inner[0]}", *inner[1:]]
        else:
            lines.append(f"{indent}({i}): {module_repr(layer, hide_first_linear and i == first)}")
    lines.append(indent[:-2] + ")")
    return "\n".join(lines)


def _dims(layer: Layer, shape: Shape, out: Shape) -> str:
    k, s, p = layer["kernel_size"], layer["stride"], layer["padding"]

    def one(n: int, o: int) -> str:
        return f"⌊({n} + 2·{p} − {k})/{s}⌋ + 1 = {o}"

    h, w = shape[2:]
    if h == w:
        return f"H = W = {one(h, out[2])}"
    return f"H = {one(h, out[2])}, W = {one(w, out[3])}"


KEYS = {"Conv2d": "conv", "MaxPool2d": "pool", "AvgPool2d": "pool", "Flatten": "flatten"}
KEYS["Linear"] = "linear"


def steps(layers: list[Layer], shape: Shape, upto: int, lang: str, pre: str = "") -> list[str]:
    """One solution line per layer (0..upto), in lang."""
    t, lines = TEXT[lang], []
    for i, layer in enumerate(layers[: upto + 1]):
        kind, label = layer["layer"], f"{pre}({i})"
        out = layer_out(layer, shape)
        if kind == "Sequential":
            lines.append(t["block"].format(label=label))
            sub = steps(layer["layers"], shape, len(layer["layers"]) - 1, lang, pre + "   ")
            lines += [*sub, t["block_out"].format(out=fmt(out))]
        else:
            fields = {"label": label, "kind": kind, "out": fmt(out), "o": out[-1]}
            if kind == "Conv2d" or kind in POOLS:
                fields |= {"k": layer["kernel_size"], "s": layer["stride"], "p": layer["padding"]}
                fields |= {"dims": _dims(layer, shape, out), "cin": shape[1], "cout": out[1]}
            elif kind == "Flatten":
                fields |= {"prod": "·".join(str(v) for v in shape[1:]), "f": out[1]}
            lines.append(t[KEYS.get(kind, "same")].format(**fields))
        shape = out
    return lines


def render(params: dict[str, Any], ask: str, lang: str) -> dict[str, str]:
    """prompt, answer and solution of a question in lang ("en" or "zh")."""
    t, layers = TEXT[lang], params["layers"]
    shapes = trace_of(params)
    value = asked_value(params, ask, shapes)
    shape = fmt(params["input_shape"])
    if "network" in params:
        net = NETWORKS[params["network"]]
        about = net["about_zh" if lang == "zh" else "about"]
        head = t["named"].format(shape=shape, name=net["name"], about=about)
    else:
        head = t["random"].format(shape=shape)
    target = fmt(params.get("target_shape", []))
    question = t[ask].format(i=params.get("index"), target=target)
    prompt = "\n".join([head, net_repr(layers), t["F"], question])
    upto = {"shape": params.get("index"), "in_features": flatten_index(layers)}.get(ask, value)
    lines = [t["formula"], *steps(layers, params["input_shape"], upto, lang)]
    if ask == "shape":
        lines.append(t["ans_shape"].format(i=params["index"], out=fmt(value)))
    elif ask == "in_features":
        lines.append(t["ans_in_features"].format(f=value))
    else:
        lines.append(t["ans_first_layer"].format(j=value, target=target))
    answer = fmt(value) if ask == "shape" else str(value)
    return {"prompt": prompt, "answer": answer, "solution": "\n".join(lines)}


# ---------------------------------------------------------------- drawing params

# per level: batch sizes, input channels, spatial size range, square input, body depth,
# conv kernels / strides / paddings, pool kinds / kernels / strides, conv out_channels
SPECS: dict[int, dict[str, Any]] = {int(k): v for k, v in DATA["level"].items()}
NEXT = {None: ["conv"], "Conv2d": ["relu", "pool", "conv"], "ReLU": ["pool", "conv"]}


def _random_body(rng: random.Random, spec: dict[str, Any]) -> tuple[Shape, list[Layer]]:
    lo, hi = spec["size"]
    h = rng.randint(lo, hi)
    w = h if spec["square"] else rng.choice([v for v in range(lo, hi + 1) if v != h])
    shape = [rng.choice(spec["batch"]), rng.choice(spec["chans"]), h, w]
    body: list[Layer] = []
    cin = shape[1]
    for _ in range(rng.randint(*spec["depth"])):
        step = rng.choice(NEXT.get(body[-1]["layer"] if body else None, ["conv"]))
        if step == "relu":
            body.append({"layer": "ReLU"})
        elif step == "pool":
            kinds, ks, ss = spec["pool"]
            k = rng.choice(ks)
            body.append(pool(rng.choice(kinds), k, rng.choice(ss), rng.choice([0, 0, k // 2])))
        else:
            ks, ss, ps = spec["conv"]
            cout, k = rng.choice(spec["outs"]), rng.choice(ks)
            p = rng.choice([v for v in ps if v <= k // 2])
            body.append(conv(cin, cout, k, rng.choice(ss), p))
            cin = cout
    return shape, body


def conv_cost(layers: list[Layer], shapes: list[Shape]) -> int:
    return sum(
        math.prod(out) * x["in_channels"] * x["kernel_size"] ** 2
        for x, out in zip(layers, shapes, strict=True)
        if x["layer"] == "Conv2d"
    )


def draw_random(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    spec = SPECS[difficulty]
    while True:
        shape, body = _random_body(rng, spec)
        shapes = trace([*body, {"layer": "Flatten"}], shape)
        if shapes is None or not 1 <= shapes[-1][1] <= MAX_FLAT:
            continue
        if conv_cost(body, shapes[:-1]) > MAX_CONV_COST:
            continue
        layers = [*body, {"layer": "Flatten"}]
        layers.append({"layer": "Linear", "in_features": shapes[-1][1], "out_features": 10})
        params: dict[str, Any] = {"input_shape": shape, "layers": layers}
        if rng.random() < 0.3:
            return params, "in_features"
        spots = [i for i, x in enumerate(layers[:-1]) if x["layer"] not in SAME]
        if difficulty > 1 and len(spots) > 2:
            spots = spots[1:]  # beyond the first layer
        return params | {"index": rng.choice(spots)}, "shape"


def draw_named(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    net = NETWORKS[BY_LEVEL[difficulty]]
    params: dict[str, Any] = {
        "network": net["name"],
        "input_shape": net["input_shape"],
        "layers": copy.deepcopy(net["layers"]),
    }
    ask = rng.choices(ASKS, weights=[5, 2, 3])[0]
    shapes = trace_of(params)
    if ask == "shape":
        spots = [i for i, x in enumerate(params["layers"]) if x["layer"] not in SAME]
        return params | {"index": rng.choice(spots)}, ask
    if ask == "first_layer":
        targets = [s for s in shapes if s != params["input_shape"]]
        return params | {"target_shape": rng.choice(targets)}, ask
    return params, ask


@register
class NetworkShapes(Generator):
    id = FAMILY
    version = 1
    topic = "CNN architectures"
    topic_zh = "经典卷积网络"
    title = "Layer-by-layer output shapes of LeNet, AlexNet, VGG-11 and small CNN stacks"
    title_zh = "LeNet、AlexNet、VGG-11 及小型卷积网络逐层的输出形状"
    formula_tex = r"\text{out} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1"
    levels = 3
    explanations = DATA["explanations"]["en"]
    explanations_zh = DATA["explanations"]["zh"]

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        named = rng.random() < 0.3
        params, ask = (draw_named if named else draw_random)(rng, difficulty)
        return self.build(difficulty, params, ask)

    def build(self, difficulty: int, params: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        shapes = trace_of(params)
        value = asked_value(params, ask, shapes)
        text = render(params, ask, "en")
        return self.question(
            difficulty,
            params=params,
            ask=ask,
            prompt=text["prompt"],
            kind="shape" if ask == "shape" else "int",
            expected=value,
            result=shapes,
            answer=text["answer"],
            solution=text["solution"],
            misconceptions=misconceptions(params, ask),
        )

    def zh(self, q: Question) -> dict[str, str]:
        return render(q.params, q.ask, "zh")
