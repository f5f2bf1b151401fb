"""conv-params: weight shape, parameter count and output shape of multi-channel convolutions
and linear layers, and the total parameter count of a small conv + linear network.

Study notes: an input c_i × n_h × n_w convolved with one kernel c_i × k_h × k_w gives one
m_h × m_w map; c_o output channels need a kernel c_o × c_i × k_h × k_w (torch's conv.weight)
and give c_o × m_h × m_w. A conv layer has c_o·c_i·k_h·k_w weights (c_i / groups with groups)
plus c_o biases; a linear layer out·in weights plus out biases. Every function takes
misconception flags, so each misconception value is computed by running the buggy formula.
"""

from __future__ import annotations

import math
import random
from typing import Any

from quizzer.generators import Generator, register
from quizzer.generators._conv import conv_out, per_dim
from quizzer.question import Question

FAMILY = "conv-params"
CONV_DEFAULTS: dict[str, Any] = {"stride": 1, "padding": 0, "groups": 1, "bias": True}
Spec = dict[str, Any]  # one layer: "layer" plus torch's constructor arguments

# ---------------------------------------------------------------- formula (pure Python)


def is_conv(spec: Spec) -> bool:
    return spec["layer"].startswith("Conv")


def kernel(spec: Spec) -> list[int]:
    return per_dim(spec["kernel_size"], int(spec["layer"][-2]))


def weight_shape(
    spec: Spec,
    *,
    in_out_swapped: bool = False,
    in_channels_forgotten: bool = False,
    out_channels_forgotten: bool = False,
    groups_ignored: bool = False,
) -> list[int]:
    """layer.weight.shape: (c_o, c_i / groups, *kernel) or (out_features, in_features)."""
    if not is_conv(spec):
        out, inp = spec["out_features"], spec["in_features"]
        return [inp, out] if in_out_swapped else [out, inp]
    c_o, k = spec["out_channels"], kernel(spec)
    c_g = spec["in_channels"] // (1 if groups_ignored else spec["groups"])
    if in_channels_forgotten:
        return [c_o, *k]
    if out_channels_forgotten:
        return [c_g, *k]
    return [c_g, c_o, *k] if in_out_swapped else [c_o, c_g, *k]


def n_in(spec: Spec) -> int:
    return spec["in_channels"] if is_conv(spec) else spec["in_features"]


def n_out(spec: Spec) -> int:
    return spec["out_channels"] if is_conv(spec) else spec["out_features"]


def bias_params(
    spec: Spec,
    *,
    bias_per_weight: bool = False,
    bias_when_false: bool = False,
    bias_per_in_channel: bool = False,
) -> int:
    """How many numbers the bias holds: one per output channel / feature (0 with bias=False)."""
    if not spec["bias"] and not bias_when_false:
        return 0
    if bias_per_weight:
        return math.prod(weight_shape(spec))
    return n_in(spec) if bias_per_in_channel else n_out(spec)


def param_count(
    spec: Spec,
    *,
    bias_forgotten: bool = False,
    bias_per_weight: bool = False,
    bias_when_false: bool = False,
    in_channels_forgotten: bool = False,
    groups_ignored: bool = False,
    linear_plus_one_both: bool = False,
) -> int:
    """sum(p.numel() for p in layer.parameters())"""
    if linear_plus_one_both:
        return (n_in(spec) + 1) * (n_out(spec) + 1)
    shape = weight_shape(
        spec, in_channels_forgotten=in_channels_forgotten, groups_ignored=groups_ignored
    )
    bias = bias_params(spec, bias_per_weight=bias_per_weight, bias_when_false=bias_when_false)
    return math.prod(shape) + (0 if bias_forgotten else bias)


def conv_output_shape(
    spec: Spec,
    input_shape: list[int],
    *,
    in_channels_kept: bool = False,
    channels_multiplied: bool = False,
    padding_once: bool = False,
    no_plus_one: bool = False,
) -> list[int]:
    """The output shape for an input ([N,] c_i, *spatial), like torch's unbatched support."""
    k = kernel(spec)
    d = len(k)
    lead, spatial = input_shape[: -d - 1], input_shape[-d:]
    c_i, c_o = spec["in_channels"], spec["out_channels"]
    c = c_i if in_channels_kept else c_i * c_o if channels_multiplied else c_o
    s, p = per_dim(spec["stride"], d), per_dim(spec["padding"], d)
    sizes = [
        conv_out(*a, padding_once=padding_once, no_plus_one=no_plus_one)
        for a in zip(spatial, k, s, p, strict=True)
    ]
    return [*lead, c, *sizes]


def walk(
    params: dict[str, Any],
    *,
    bias_forgotten: bool = False,
    in_channels_forgotten: bool = False,
    flatten_channels_forgotten: bool = False,
    pool_ignored: bool = False,
    padding_once: bool = False,
    no_plus_one: bool = False,
    linear_plus_one_both: bool = False,
) -> list[tuple[Spec, list[int], int | None]]:
    """Each layer of a Sequential with its output shape and parameter count (None: has none).
    A LazyLinear is shown as the nn.Linear it becomes at the first forward pass."""
    shape, out = list(params["input_shape"]), []
    for spec in params["layers"]:
        count = None
        name = spec["layer"]
        if is_conv(spec):
            shape = conv_output_shape(
                spec, shape, padding_once=padding_once, no_plus_one=no_plus_one
            )
            flags = {
                "bias_forgotten": bias_forgotten,
                "in_channels_forgotten": in_channels_forgotten,
            }
            count = param_count(spec, **flags)
        elif name == "MaxPool2d" and not pool_ignored:
            k = spec["kernel_size"]
            shape = [*shape[:2], *(conv_out(n, k, k) for n in shape[2:])]
        elif name == "Flatten":
            shape = [shape[0], math.prod(shape[2:] if flatten_channels_forgotten else shape[1:])]
        elif name == "LazyLinear":
            spec = {"layer": "Linear", "in_features": shape[1]} | {
                k: spec[k] for k in ("out_features", "bias")
            }
            flags = {"bias_forgotten": bias_forgotten, "linear_plus_one_both": linear_plus_one_both}
            count = param_count(spec, **flags)
            shape = [shape[0], spec["out_features"]]
        out.append((spec, shape, count))
    return out


def stack_result(params: dict[str, Any], **flags: bool) -> dict[str, Any]:
    steps = walk(params, **flags)
    counts = [c for _, _, c in steps if c is not None]
    return {
        "params": sum(counts),
        "layer_params": counts,
        "in_features": steps[-1][0]["in_features"],
    }


def result(params: dict[str, Any]) -> dict[str, Any]:
    """What torch reports: the asked numbers and the rest of the layer's description."""
    if params["layer"] == "Sequential":
        return stack_result(params)
    out = {
        "weight_shape": weight_shape(params),
        "bias_params": bias_params(params),
        "params": param_count(params),
    }
    if "input_shape" in params:
        out["output_shape"] = conv_output_shape(params, params["input_shape"])
    return out


def asked(params: dict[str, Any], ask: str, **flags: bool) -> Any:
    """The asked value, by the (possibly buggy) formula."""
    if params["layer"] == "Sequential":
        return stack_result(params, **flags)["params"]
    if ask == "output_shape":
        return conv_output_shape(params, params["input_shape"], **flags)
    return {"weight_shape": weight_shape, "bias_params": bias_params, "params": param_count}[ask](
        params, **flags
    )


def mistakes(params: dict[str, Any], ask: str) -> list[tuple[str, dict[str, bool]]]:
    """The applicable misconceptions: (id, flags of the buggy formula)."""
    if params["layer"] == "Sequential":
        layers = params["layers"]
        ids = ["bias-forgotten", "in-channels-forgotten", "flatten-channels-forgotten"]
        ids += ["pool-ignored"] if any(s["layer"] == "MaxPool2d" for s in layers) else []
        ids += ["padding-once"] if any(is_conv(s) and s["padding"] for s in layers) else []
        ids += ["no-plus-one", "linear-plus-one-both"]
        return [(i, {i.replace("-", "_"): True}) for i in ids]
    conv, bias = is_conv(params), params["bias"]
    grouped = conv and params["groups"] > 1
    if ask == "weight_shape":
        ids = ["in-out-swapped"]
        ids += ["in-channels-forgotten", "out-channels-forgotten"] if conv else []
        ids += ["groups-ignored"] if grouped else []
    elif ask == "params":
        ids = ["bias-forgotten", "bias-per-weight"] if bias else ["bias-when-false"]
        ids += ["in-channels-forgotten"] if conv else ["linear-plus-one-both"]
        ids += ["groups-ignored"] if grouped else []
    elif ask == "bias_params":
        ids = ["bias-per-weight", "bias-per-in-channel"] if bias else ["bias-when-false"]
    else:
        ids = ["in-channels-kept", "channels-multiplied"]
        ids += ["padding-once"] if params["padding"] else []
        ids += ["no-plus-one"]
    return [(i, {i.replace("-", "_"): True}) for i in ids]


# ---------------------------------------------------------------- text (en and zh)


def fmt(value: Any) -> str:
    return "(" + ", ".join(str(v) for v in value) + ")" if isinstance(value, list) else str(value)


def call(spec: Spec) -> str:
    """nn.<Layer>(...) with the arguments that differ from torch's defaults."""
    name = spec["layer"]
    if is_conv(spec):
        parts = [str(spec["in_channels"]), str(spec["out_channels"])]
        parts.append(f"kernel_size={fmt(spec['kernel_size'])}")
        parts += [f"{a}={fmt(spec[a])}" for a, v in CONV_DEFAULTS.items() if spec[a] != v]
    elif name == "Linear":
        parts = [str(spec["in_features"]), str(spec["out_features"])]
    elif name == "LazyLinear":
        parts = [str(spec["out_features"])]
    else:
        parts = [str(spec["kernel_size"])] if "kernel_size" in spec else []
    if not is_conv(spec) and spec.get("bias") is False:
        parts.append("bias=False")
    return f"nn.{name}({', '.join(parts)})"


def sequential(params: dict[str, Any]) -> str:
    return "nn.Sequential(\n" + "".join(f"    {call(s)},\n" for s in params["layers"]) + ")"


TEXT: dict[str, dict[str, str]] = {
    "en": {
        "head": "Consider the layer {call}.",
        "head-input": "Consider the layer {call}, which receives an input of shape {shape}{note}.",
        "unbatched": " (c_i × n_h × n_w, no batch dimension)",
        "groups": "groups={g} splits the channels into {g} groups: each output channel sees only "
        "the c_i / groups = {cg} input channel(s) of its own group.",
        "ask-weight_shape": "What is the shape of its weight tensor (layer.weight.shape)? Answer "
        "the shape as a tuple of whole numbers.",
        "ask-params": "How many learnable parameters does it have in total (weights and biases, "
        "i.e. sum(p.numel() for p in layer.parameters()))? Answer a whole number.",
        "ask-bias_params": "How many numbers does its bias hold (0 if the layer has no bias)? "
        "Answer a whole number.",
        "ask-output_shape": "What is the output shape? Answer the full shape, e.g. {example}.",
        "stack-head": "The network\n{code}\nreceives an input of shape {shape}. {lazy} is "
        "nn.Linear(in_features, {out}{bias}) with in_features set from its input at the first "
        "forward pass.",
        "ask-stack": "How many learnable parameters does the network have in total (after that "
        "first forward pass)? Answer a whole number.",
        "w-conv": "weight: c_o × c_i × {kdims} = {expr} = {n}; layer.weight.shape = {shape}",
        "w-groups": "weight: c_o × (c_i / groups) × {kdims} = {expr} = {n}; layer.weight.shape = "
        "{shape}",
        "w-linear": "weight: out_features × in_features = {expr} = {n}; torch stores it as "
        "(out_features, in_features) = {shape}",
        "b-conv": "bias: one number per output channel: {n}",
        "b-linear": "bias: one number per output feature: {n}",
        "b-none": "bias=False: the layer has no bias (0 numbers)",
        "total": "total: {w} + {b} = {t}",
        "no-change": "stride and padding do not change the number of parameters.",
        "out-rule": "In each spatial dimension "
        "m = floor((n + 2·padding − kernel_size) / stride) + 1:",
        "out-ch": "Each of the c_o = {co} kernels (c_i × {kdims}, summed over the c_i = {ci} "
        "input channels) gives one output channel.",
        "out-batch": "The batch size {n} is unchanged.",
        "out-shape": "Output shape: {shape}",
        "s-conv": "{call}: output {shape}; parameters: {co}·{ci}·{kk} + {b} = {p}",
        "s-free": "{call}: output {shape}; no parameters",
        "s-flat": "nn.Flatten(): output {shape}, i.e. {expr} = {f} features per sample; no "
        "parameters",
        "s-linear": "{call}: in_features = {f}, output {shape}; parameters: {o}·{f} + {b} = {p}",
        "s-total": "total: {expr} = {t}",
    },
    "zh": {
        "head": "考虑层 {call}。",
        "head-input": "考虑层 {call}，它的输入形状为 {shape}{note}。",
        "unbatched": "（c_i × n_h × n_w，没有批维度）",
        "groups": "groups={g} 把通道分成 {g} 组：每个输出通道只看到本组的 c_i / groups = {cg} "
        "个输入通道。",
        "ask-weight_shape": "它的权重张量形状（layer.weight.shape）是多少？请以整数元组的形式写出形"
        "状。",
        "ask-params": "它一共有多少个可学习参数（权重加偏置，即 sum(p.numel() for p in "
        "layer.parameters())）？请填一个整数。",
        "ask-bias_params": "它的偏置一共有多少个数（没有偏置则为 0）？请填一个整数。",
        "ask-output_shape": "输出形状是多少？请写出完整形状，例如 {example}。",
        "stack-head": "网络\n{code}\n的输入形状为 {shape}。{lazy} 就是 nn.Linear(in_features, "
        "{out}{bias})，其 in_features 在第一次前向传播时由输入确定。",
        "ask-stack": "（第一次前向传播之后）这个网络一共有多少个可学习参数？请填一个整数。",
        "w-conv": "权重：c_o × c_i × {kdims} = {expr} = {n}；layer.weight.shape = {shape}",
        "w-groups": "权重：c_o × (c_i / groups) × {kdims} = {expr} = {n}；layer.weight.shape = "
        "{shape}",
        "w-linear": "权重：out_features × in_features = {expr} = {n}；torch 按 (out_features, "
        "in_features) 存储，即 {shape}",
        "b-conv": "偏置：每个输出通道一个数：{n}",
        "b-linear": "偏置：每个输出特征一个数：{n}",
        "b-none": "bias=False：该层没有偏置（0 个数）",
        "total": "合计：{w} + {b} = {t}",
        "no-change": "步幅和填充不改变参数量。",
        "out-rule": "每个空间维度上 m = floor((n + 2·padding − kernel_size) / stride) + 1：",
        "out-ch": "c_o = {co} 个卷积核（每个为 c_i × {kdims}，对全部 {ci} 个输入通道求和）各产生一"
        "个输出通道。",
        "out-batch": "批大小 {n} 不变。",
        "out-shape": "输出形状：{shape}",
        "s-conv": "{call}：输出 {shape}；参数量：{co}·{ci}·{kk} + {b} = {p}",
        "s-free": "{call}：输出 {shape}；没有参数",
        "s-flat": "nn.Flatten()：输出 {shape}，即每个样本 {expr} = {f} 个特征；没有参数",
        "s-linear": "{call}：in_features = {f}，输出 {shape}；参数量：{o}·{f} + {b} = {p}",
        "s-total": "合计：{expr} = {t}",
    },
}


def _t(lang: str, key: str, **kw: Any) -> str:
    return TEXT[lang][key].format(**kw)


def _times(values: list[Any], sep: str = " × ") -> str:
    return sep.join(str(v) for v in values)


def layer_lines(spec: Spec, lang: str, ask: str) -> list[str]:
    """The weight, bias and total lines of one conv or linear layer."""
    shape, bias = weight_shape(spec), bias_params(spec)
    n = math.prod(shape)
    if not is_conv(spec):
        w = _t(lang, "w-linear", expr=_times(shape), n=n, shape=fmt(shape))
    else:
        k = kernel(spec)
        kdims = "k_h × k_w" if len(k) == 2 else "k"
        g = spec["groups"]
        if g > 1:
            expr = _times([spec["out_channels"], f"({spec['in_channels']} / {g})", *k])
            w = _t(lang, "w-groups", kdims=kdims, expr=expr, n=n, shape=fmt(shape))
        else:
            w = _t(lang, "w-conv", kdims=kdims, expr=_times(shape), n=n, shape=fmt(shape))
    if ask == "weight_shape":
        return [w]
    b = (
        _t(lang, "b-none")
        if not spec["bias"]
        else _t(lang, "b-conv" if is_conv(spec) else "b-linear", n=bias)
    )
    if ask == "bias_params":
        return [b]
    lines = [w, b, _t(lang, "total", w=n, b=bias, t=n + bias)]
    if is_conv(spec) and (spec["stride"] != 1 or spec["padding"] != 0):
        lines.append(_t(lang, "no-change"))
    return lines


def output_lines(spec: Spec, lang: str) -> list[str]:
    inp = spec["input_shape"]
    out = conv_output_shape(spec, inp)
    k = kernel(spec)
    d = len(k)
    names = ["H", "W"] if d == 2 else ["L"]
    s, p = per_dim(spec["stride"], d), per_dim(spec["padding"], d)
    lines = [_t(lang, "out-rule")]
    for name, n, kk, ss, pp, m in zip(names, inp[-d:], k, s, p, out[-d:], strict=True):
        lines.append(f"{name}: floor(({n} + 2·{pp} − {kk}) / {ss}) + 1 = {m}")
    kdims = "k_h × k_w" if d == 2 else "k"
    lines.append(_t(lang, "out-ch", co=spec["out_channels"], ci=spec["in_channels"], kdims=kdims))
    if len(inp) == d + 2:
        lines.append(_t(lang, "out-batch", n=inp[0]))
    return lines + [_t(lang, "out-shape", shape=fmt(out))]


def stack_lines(params: dict[str, Any], lang: str) -> list[str]:
    lines, counts, prev = [], [], params["input_shape"]
    for spec, shape, count in walk(params):
        key, kw = "s-free", {"call": call(spec), "shape": fmt(shape), "p": count}
        if is_conv(spec):
            key, ks = "s-conv", _times(kernel(spec), "·")
            kw |= {"co": spec["out_channels"], "ci": spec["in_channels"], "kk": ks}
        elif spec["layer"] == "Linear":
            key = "s-linear"
            kw |= {"f": spec["in_features"], "o": spec["out_features"]}
        elif spec["layer"] == "Flatten":
            key = "s-flat"
            kw |= {"expr": _times(prev[1:], "·"), "f": shape[1]}
        if count is not None:
            counts.append(count)
        lines.append(_t(lang, key, b=bias_params(spec) if count else 0, **kw))
        prev = shape
    lines.append(_t(lang, "s-total", expr=" + ".join(map(str, counts)), t=sum(counts)))
    return lines


def texts(params: dict[str, Any], ask: str, lang: str) -> dict[str, str]:
    """prompt, answer and solution in lang, from a question's params and ask only."""
    value = asked(params, ask)
    answer = fmt(value)
    if params["layer"] == "Sequential":
        lazy = params["layers"][-1]
        kw = {"lazy": call(lazy), "out": lazy["out_features"], "shape": fmt(params["input_shape"])}
        bias = "" if lazy["bias"] else ", bias=False"
        head = _t(lang, "stack-head", code=sequential(params), bias=bias, **kw)
        solution = "\n".join(stack_lines(params, lang))
        return {
            "prompt": head + "\n" + _t(lang, "ask-stack"),
            "answer": answer,
            "solution": solution,
        }
    parts = []
    if "input_shape" in params:
        inp = params["input_shape"]
        unbatched = len(inp) == len(kernel(params)) + 1
        note = _t(lang, "unbatched") if unbatched else ""
        parts.append(_t(lang, "head-input", call=call(params), shape=fmt(inp), note=note))
        example = "(C, H, W)" if unbatched else "(N, C, H, W)" if len(inp) == 4 else "(N, C, L)"
    else:
        parts.append(_t(lang, "head", call=call(params)))
        example = ""
    if is_conv(params) and params["groups"] > 1:
        g = params["groups"]
        parts.append(_t(lang, "groups", g=g, cg=params["in_channels"] // g))
    parts.append(_t(lang, f"ask-{ask}", example=example))
    lines = output_lines(params, lang) if ask == "output_shape" else layer_lines(params, lang, ask)
    return {"prompt": "\n".join(parts), "answer": answer, "solution": "\n".join(lines)}


# ---------------------------------------------------------------- drawing params


def conv_spec(
    layer: str,
    in_channels: int,
    out_channels: int,
    kernel_size: Any,
    stride: Any = 1,
    padding: Any = 0,
    groups: int = 1,
    bias: bool = True,
) -> Spec:
    return {
        "layer": layer,
        "in_channels": in_channels,
        "out_channels": out_channels,
        "kernel_size": kernel_size,
        "stride": stride,
        "padding": padding,
        "groups": groups,
        "bias": bias,
    }


def linear_spec(in_features: int, out_features: int, bias: bool = True) -> Spec:
    return {
        "layer": "Linear",
        "in_features": in_features,
        "out_features": out_features,
        "bias": bias,
    }


Draft = tuple[dict[str, Any], str]  # params, ask


def _level1(rng: random.Random) -> Draft:
    """The notes' case: one Conv2d with a square kernel (or one Linear), bias on, no batch."""
    if rng.random() < 0.25:
        spec = linear_spec(rng.randint(2, 32), rng.randint(1, 16))
        return spec, rng.choice(["weight_shape", "params"])
    c_i, c_o, k = rng.choice([1, 3]), rng.choice([2, 4, 6, 8, 16]), rng.choice([1, 2, 3, 5])
    spec = conv_spec("Conv2d", c_i, c_o, k)
    ask = rng.choice(["weight_shape", "params", "params", "bias_params", "output_shape"])
    if ask == "output_shape":
        n = rng.randint(max(k, 4), 32)
        spec["input_shape"] = [c_i, n, rng.choice([n, rng.randint(k, 32)])]
    return spec, ask


def _level2(rng: random.Random) -> Draft:
    """bias on or off, stride and padding, rectangular kernels, Conv1d, batched inputs."""
    sub = rng.choice(["conv2d", "conv2d", "conv1d", "linear"])
    if sub == "linear":
        f_in = rng.choice([64, 84, 120, 256, 400, 512, 784, 1024])
        spec = linear_spec(f_in, rng.choice([10, 32, 64, 84, 120]), rng.random() < 0.5)
        return spec, rng.choice(["weight_shape", "params", "params", "bias_params"])
    ask = rng.choice(["weight_shape", "params", "params", "bias_params", "output_shape"])
    small = ask == "output_shape"  # a real forward pass: keep it cheap
    c_i = rng.choice([1, 2, 3, 4] if small else [3, 8, 16, 32, 64])
    c_o = rng.choice([2, 4, 8] if small else [8, 16, 32, 64, 128])
    if sub == "conv1d":
        layer, k = "Conv1d", rng.choice([2, 3, 5, 7])
    else:
        layer, ks = "Conv2d", [rng.randint(1, 5), rng.randint(1, 5)]
        k = ks if rng.random() < 0.5 else ks[0]
    stride, padding = rng.choice([1, 1, 2]), rng.randint(0, 2)
    spec = conv_spec(layer, c_i, c_o, k, stride, padding, bias=rng.random() < 0.6)
    if small:
        spatial = [rng.randint(6, 24) for _ in kernel(spec)]
        spec["input_shape"] = [rng.randint(1, 4), c_i, *spatial]
    return spec, ask


def _level3(rng: random.Random) -> Draft:
    """groups=..., and a conv + pool + flatten + linear network's total parameter count."""
    if rng.random() < 0.35:
        g = rng.choice([2, 4, 8])
        depthwise = rng.random() < 0.3
        c_i = g * (1 if depthwise else rng.choice([1, 2, 4]))
        c_o = c_i if depthwise else g * rng.choice([1, 2, 4])
        k = rng.choice([1, 3, 5, [3, 1], [1, 3]])
        spec = conv_spec("Conv2d", c_i, c_o, k, rng.choice([1, 2]), rng.randint(0, 2), g)
        spec["bias"] = rng.random() < 0.6
        return spec, rng.choice(["weight_shape", "params"])
    c_i, c1, k1 = rng.choice([1, 3]), rng.choice([4, 6, 8]), rng.choice([3, 5])
    layers = [conv_spec("Conv2d", c_i, c1, k1, 1, rng.choice([0, k1 // 2])), {"layer": "ReLU"}]
    if rng.random() < 0.6:
        layers.append({"layer": "MaxPool2d", "kernel_size": 2})
    if rng.random() < 0.4:
        c2 = rng.choice([8, 12, 16])
        conv2 = conv_spec("Conv2d", c1, c2, 3, 1, rng.choice([0, 1]), bias=rng.random() < 0.7)
        layers += [conv2, {"layer": "ReLU"}]
    lazy = {"layer": "LazyLinear", "out_features": rng.choice([2, 5, 10]), "bias": True}
    lazy["bias"] = rng.random() < 0.8
    layers += [{"layer": "Flatten"}, lazy]
    n = rng.randint(8, 28)
    shape = [rng.choice([1, 2, 4]), c_i, n, rng.choice([n, rng.randint(8, 28)])]
    return {"layer": "Sequential", "input_shape": shape, "layers": layers}, "params"


def _acceptable(params: dict[str, Any], ask: str) -> bool:
    if params["layer"] == "Sequential":
        steps = walk(params)
        return all(min(shape[1:]) >= 2 for _, shape, _ in steps[:-1])
    if ask == "output_shape":
        return min(conv_output_shape(params, params["input_shape"])) >= 1
    return True


@register
class ConvParams(Generator):
    id = FAMILY
    version = 1
    topic = "Convolution"
    topic_zh = "卷积"
    title = "Weight shape, parameter count and output shape of conv and linear layers"
    title_zh = "卷积层和全连接层的权重形状、参数量与输出形状"
    formula_tex = (
        r"\#\text{params} = c_o \cdot \frac{c_i}{g} \cdot k_h k_w + c_o, \quad"
        r" \text{Linear: } \text{out} \cdot \text{in} + \text{out}"
    )
    levels = 3
    explanations = {
        "bias-forgotten": "The bias counts too: one learnable number per output channel (or output "
        "feature) comes on top of the weights.",
        "bias-per-weight": "A layer has one bias per output channel (or output feature), not one "
        "per weight.",
        "bias-when-false": "With bias=False the layer has no bias at all: only the weights count.",
        "bias-per-in-channel": "The bias is added to each output channel, so there is one per "
        "output channel (c_o), not per input channel.",
        "in-channels-forgotten": "Each kernel spans all input channels: a conv weight is c_o × c_i "
        "× k_h × k_w, not c_o × k_h × k_w.",
        "out-channels-forgotten": "c_i × k_h × k_w is one kernel (one output channel); a layer "
        "with c_o output channels has c_o of them: c_o × c_i × k_h × k_w.",
        "in-out-swapped": "torch stores a weight output-first: conv.weight is (c_o, c_i, k_h, k_w) "
        "and linear.weight is (out_features, in_features).",
        "groups-ignored": "With groups=g each output channel sees only c_i / g input channels, so "
        "the weight is c_o × (c_i / g) × k_h × k_w.",
        "linear-plus-one-both": "Only the input side gets the extra bias term: a linear layer has "
        "(in_features + 1) · out_features parameters, not (in + 1)(out + 1).",
        "in-channels-kept": "A convolution's output has out_channels channels (one per kernel), "
        "not the input's channel count.",
        "channels-multiplied": "Each kernel sums over all input channels, so the output has c_o "
        "channels, not c_i · c_o.",
        "padding-once": "torch's padding=p adds p on each side, so the input grows by 2p, not "
        "by p.",
        "no-plus-one": "The output size formula ends with + 1: the first kernel position counts "
        "too.",
        "flatten-channels-forgotten": "nn.Flatten keeps every channel: the linear layer's "
        "in_features is C · H · W, not H · W.",
        "pool-ignored": "nn.MaxPool2d(2) halves the height and the width before Flatten, so the "
        "linear layer gets fewer in_features.",
    }
    explanations_zh = {
        "bias-forgotten": "偏置也要算：在权重之外，每个输出通道（或输出特征）还有一个可学习的数。",
        "bias-per-weight": "每个输出通道（或输出特征）只有一个偏置，而不是每个权重一个。",
        "bias-when-false": "bias=False 时该层完全没有偏置：只算权重。",
        "bias-per-in-channel": "偏置加在每个输出通道上，所以是每个输出通道（c_o）一个，而不是每个输"
        "入通道一个。",
        "in-channels-forgotten": "每个卷积核覆盖全部输入通道：卷积权重是 c_o × c_i × k_h × k_w，而"
        "不是 c_o × k_h × k_w。",
        "out-channels-forgotten": "c_i × k_h × k_w 只是一个卷积核（一个输出通道）；有 c_o 个输出通"
        "道的层有 c_o 个卷积核：c_o × c_i × k_h × k_w。",
        "in-out-swapped": "torch 的权重把输出维放在前面：conv.weight 是 (c_o, c_i, k_h, k_w)，"
        "linear.weight 是 (out_features, in_features)。",
        "groups-ignored": "groups=g 时每个输出通道只看到 c_i / g 个输入通道，所以权重是 c_o × (c_i "
        "/ g) × k_h × k_w。",
        "linear-plus-one-both": "只有输入一侧多出偏置项：全连接层的参数量是 (in_features + 1) · "
        "out_features，而不是 (in + 1)(out + 1)。",
        "in-channels-kept": "卷积的输出有 out_channels 个通道（每个卷积核一个），而不是输入的通道数"
        "。",
        "channels-multiplied": "每个卷积核对全部输入通道求和，所以输出有 c_o 个通道，而不是 c_i · "
        "c_o 个。",
        "padding-once": "torch 的 padding=p 在每一侧各填充 p，所以输入增大 2p，而不是 p。",
        "no-plus-one": "输出尺寸公式最后要 + 1：卷积核的第一个位置也要算上。",
        "flatten-channels-forgotten": "nn.Flatten 保留所有通道：全连接层的 in_features 是 C · H · W"
        "，而不是 H · W。",
        "pool-ignored": "nn.MaxPool2d(2) 在 Flatten 之前把高和宽都减半，所以全连接层的 in_features "
        "更少。",
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        draw = {1: _level1, 2: _level2, 3: _level3}[difficulty]
        for _ in range(1000):
            params, ask = draw(rng)
            if _acceptable(params, ask):
                return self.build(params, ask, difficulty)
        raise RuntimeError(f"{FAMILY}: no valid variant drawn")  # pragma: no cover

    def build(self, params: dict[str, Any], ask: str, difficulty: int) -> Question:
        """The question for given params and ask (also used by tests for known values)."""
        expected = asked(params, ask)
        return self.question(
            difficulty,
            params=params,
            ask=ask,
            kind="shape" if ask in ("weight_shape", "output_shape") else "int",
            expected=expected,
            result=result(params),
            misconceptions=[(i, asked(params, ask, **f)) for i, f in mistakes(params, ask)],
            **texts(params, ask, "en"),
        )

    def zh(self, q: Question) -> dict[str, str]:
        return texts(q.params, q.ask, "zh")
