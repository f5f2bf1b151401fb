"""conv-output: output shape of Conv1d/Conv2d, MaxPool1d/2d and AvgPool1d/2d layers.

The formula side is `conv_out` (one spatial dimension) and `output_shape` (a whole layer,
from torch-named params), in quizzer/generators/_conv.py. Both take misconception flags
that switch on a known wrong way of computing, so every misconception value is computed
by running the buggy formula.
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, naming_error, register
from quizzer.generators._conv import (
    DEFAULTS,
    conv_out,
    default,
    dim_args,
    is_conv,
    layer_args,
    output_shape,
    per_dim,
    refusal,
    same_pads,
    solve,
    spatial_dims,
    valid,
)
from quizzer.question import Question

FAMILY = "conv-output"
DIM_ASKS = {"height": -2, "width": -1, "length": -1}
MISSING_ASKS = ("padding", "kernel_size")
FORMULA = "out = floor((n + 2·padding − dilation·(kernel_size − 1) − 1) / stride) + 1"
CEIL_NOTE = " (ceil instead of floor: ceil_mode=True)"
ASK_ZH = {"height": "高度", "width": "宽度", "length": "长度"}
TEXT: dict[str, dict[str, Any]] = tomllib.loads(
    Path(__file__).with_name("conv_output.toml").read_text(encoding="utf-8")
)
ERROR_LEVELS = (2, 3)  # levels with questions whose answer is "error": every shape question
# of these levels says that "error" is a possible answer, so the prompt does not give it away


# ---------------------------------------------------------------- text (English and Chinese)


def fmt(value: Any) -> str:
    return "(" + ", ".join(str(v) for v in value) + ")" if isinstance(value, list) else str(value)


def layer_call(params: dict[str, Any], var: str | None = None) -> str:
    """nn.<Layer>(...) with the arguments that differ from torch's defaults."""
    layer = params["layer"]
    parts = []
    for arg in layer_args(layer):
        value = params[arg]
        if arg in ("in_channels", "out_channels"):
            parts.append(str(value))
        elif arg == var:
            parts.append(f"{arg}={arg}")
        elif isinstance(value, str):  # padding='same' / 'valid'
            parts.append(f"{arg}={value!r}")
        elif arg == "kernel_size" or value != default(layer, arg):
            parts.append(f"{arg}={fmt(value)}")
    return f"nn.{layer}({', '.join(parts)})"


def defaults_note(params: dict[str, Any], var: str | None, lang: str = "en") -> str:
    zh = lang == "zh"
    shown = layer_call(params, var)
    left = []
    for arg in layer_args(params["layer"]):
        if arg in DEFAULTS and arg != var and f"{arg}=" not in shown:
            if params[arg] is None:
                left.append(
                    "stride 未指定（stride=None）"
                    if zh
                    else "stride is left at its default (stride=None)"
                )
            else:
                left.append(f"{arg}={fmt(params[arg])}")
    if not left:
        return ""
    if zh:
        return "未写出的参数取 torch 的默认值：" + "，".join(left) + "。"
    return "Arguments not shown are at torch's defaults: " + ", ".join(left) + "."


def dim_names(layer: str) -> list[str]:
    return ["H", "W"] if spatial_dims(layer) == 2 else ["L"]


def dim_solution(params: dict[str, Any], lang: str = "en") -> list[str]:
    zh = lang == "zh"
    ceil = bool(params.get("ceil_mode"))
    lines = [FORMULA]
    if ceil:
        lines[0] += "（ceil_mode=True：用 ceil 代替 floor）" if zh else CEIL_NOTE
    if params["layer"].startswith("AvgPool"):
        lines.append(
            "AvgPool 没有 dilation 参数：dilation = 1。"
            if zh
            else "AvgPool has no dilation argument: dilation = 1."
        )
    if params.get("stride", 1) is None:
        k = fmt(params["kernel_size"])
        lines.append(
            f"stride 为 None，因此默认等于 kernel_size = {k}。"
            if zh
            else f"stride is None, so it defaults to kernel_size = {k}."
        )
    for name, (n, k, s, p, d) in zip(dim_names(params["layer"]), dim_args(params), strict=True):
        num = n + 2 * p - d * (k - 1) - 1
        raw = conv_out(n, k, s, p, d, ceil, last_window_rule=False)
        rnd = "ceil" if ceil else "floor"
        expr = f"{rnd}(({n} + 2·{p} − {d}·({k} − 1) − 1) / {s}) + 1"
        lines.append(f"{name}: {expr} = {rnd}({num}/{s}) + 1 = {raw}")
        if ceil:
            lines.append(_last_window(name, raw, s, n + p, lang))
    return lines


def _last_window(name: str, raw: int, s: int, end: int, lang: str) -> str:
    """With ceil_mode: whether the last window starts in the right padding (then dropped)."""
    start = (raw - 1) * s
    if start < end:
        if lang == "zh":
            return f"   最后一个窗口从 {start} < n + padding = {end} 开始：保留"
        return f"   last window starts at {start} < n + padding = {end}: kept"
    if lang == "zh":
        return (
            f"   最后一个窗口将从 ({raw} − 1)·{s} = {start} ≥ n + padding = {end} 开始，"
            f"即落在右侧填充中，因此 torch 丢弃它：{name} = {raw - 1}"
        )
    return (
        f"   the last window would start at ({raw} − 1)·{s} = {start} ≥ n + padding"
        f" = {end}, i.e. in the right padding, so torch drops it: {name} = {raw - 1}"
    )


def _missing_step(params: dict[str, Any], ask: str, target: list[int], lang: str) -> str:
    """How the missing padding or kernel_size follows from the first spatial dimension."""
    n, k, s, p, d = dim_args(params)[0]
    name = dim_names(params["layer"])[0]
    if ask == "padding":
        eq = f"out = n + 2·padding − {d}·({k} − 1)"
        calc = (
            f"{target[2]} = {n} + 2·padding − {d * (k - 1)} → 2·padding ="
            f" {target[2] - n + d * (k - 1)} → padding = {p}"
        )
    else:
        eq = f"out = n + 2·{p} − {d}·(kernel_size − 1)"
        calc = (
            f"{d}·(kernel_size − 1) = {n} + {2 * p} − {target[2]} ="
            f" {n + 2 * p - target[2]} → kernel_size − 1 = {k - 1} → kernel_size = {k}"
        )
    if lang == "zh":
        return f"步幅为 1 时：{eq}。对 {name}：{calc}。"
    return f"With stride 1: {eq}. For {name}: {calc}."


def _special_lines(params: dict[str, Any], lang: str) -> list[str] | None:
    """The per-dimension solution of a padding string or of a layer torch refuses (None for
    the textbook formula, dim_solution)."""
    t = TEXT[lang]
    reason, pad = refusal(params), params.get("padding", 0)
    names = dim_names(params["layer"])
    if pad == "valid":
        return [t["valid"], *dim_solution({**params, "padding": 0}, lang)]
    if pad == "same":
        args = dim_args({**params, "padding": 0})
        if reason == "same-strided":
            lines = [t["same_strided"].format(s=args[0][2])]
            for name, (n, _, s, _, _) in zip(names, args, strict=True):
                lines.append(t["same_strided_dim"].format(name=name, s=s, n=n, out=-(-n // s)))
            return lines
        lines = [t["same"]]
        for name, (n, k, _, _, d) in zip(names, args, strict=True):
            left, right = same_pads(k, d)
            total = left + right
            lines.append(
                t["same_dim_one" if total == 1 else "same_dim"].format(
                    name=name, d=d, k=k, total=total, left=left, right=right, n=n
                )
            )
        return lines
    args = dim_args(params)
    if reason == "pool-padding":
        lines = [t["pool_padding"]]
        over = [(name, a) for name, a in zip(names, args, strict=True) if a[3] > a[1] // 2]
        for name, (_, k, _, p, _) in over:
            lines.append(t["pool_padding_dim"].format(name=name, p=p, k=k))
        _, (_, k, _, _, d) = over[0]
        if d > 1:
            lines.append(t["pool_dilation"].format(k=k, d=d, span=d * (k - 1) + 1))
        return lines
    if reason == "too-small":
        ceil = bool(params.get("ceil_mode"))
        lines = [t["too_small"]]
        for name, (n, k, s, p, d) in zip(names, args, strict=True):
            out = conv_out(n, k, s, p, d, ceil)
            kw = {"name": name, "d": d, "k": k, "span": d * (k - 1) + 1, "n": n, "p": p}
            kw |= {"padded": n + 2 * p, "s": s, "out": out, "rnd": "ceil" if ceil else "floor"}
            lines.append(t["too_small_dim" if out < 1 else "fits_dim"].format(**kw))
        return lines
    return None


def texts(
    params: dict[str, Any], ask: str, shape: list[int] | None, lang: str, error_option: bool
) -> tuple[str, str]:
    """The prompt and the solution of a question in lang ("en" or "zh"); shape None: torch
    refuses. error_option: the prompt says that "error" is a possible answer."""
    zh = lang == "zh"
    layer = params["layer"]
    var = ask if ask in MISSING_ASKS else None
    call, in_shape = layer_call(params, var), fmt(params["input_shape"])
    if zh:
        head = f"层 {call} 接收形状为 {in_shape} 的输入。"
    else:
        head = f"A layer {call} receives an input of shape {in_shape}."
    note = defaults_note(params, var, lang)
    lines = _special_lines(params, lang) or dim_solution(params, lang)
    if var:
        target = params["output_shape"]
        size, out = "×".join(str(v) for v in target[2:]), fmt(target)
        keeps = target[2:] == params["input_shape"][2:]
        if zh:
            if keeps:
                question = f"哪个 {ask} 值能保持空间尺寸 {size} 不变，即输出形状为 {out}？"
            else:
                question = f"哪个 {ask} 值使输出的空间尺寸为 {size}，即输出形状为 {out}？"
            if ask == "padding":
                question += "（padding 是一个整数，每一侧都加这么多。）"
            question += "回答一个整数。"
            check, unique = "逐个维度验证：", "其他取值都得不到这个形状。"
        else:
            what = "padding (one int, added on every side)" if ask == "padding" else "kernel_size"
            if keeps:
                question = f"Which {what} keeps the spatial size {size}, i.e. gives shape"
            else:
                question = f"Which {what} gives an output of spatial size {size}, i.e. shape"
            question += f" {out}? Answer a whole number."
            check, unique = "Check, every dimension:", "No other value gives this shape."
        lines = [_missing_step(params, ask, target, lang), check, *lines, unique]
    else:
        example = "(N, C, H, W)" if spatial_dims(layer) == 2 else "(N, C, L)"
        batch, c_in = params["input_shape"][:2]
        if shape is None:
            shown = fmt(output_shape(params))
            refused = [TEXT[lang]["refused"], TEXT[lang]["would_give"].format(shape=shown)]
        c_out = params["out_channels"] if is_conv(layer) else c_in
        value = "" if ask == "shape" or shape is None else str(shape[DIM_ASKS[ask]])
        if zh:
            if ask == "shape":
                question = f"输出形状是什么？回答完整形状，例如 {example}。"
            else:
                question = f"输出的{ASK_ZH[ask]}（{ask}）是多少？回答一个整数。"
            chan = f"out_channels = {c_out}" if is_conv(layer) else f"池化保持 {c_in} 个通道不变"
            if shape is None:
                lines += refused
            else:
                lines.append(f"批大小 {batch} 不变；通道数：{chan}。")
                lines.append(
                    f"输出形状：{fmt(shape)}" + (f"；{ASK_ZH[ask]} = {value}。" if value else "。")
                )
        else:
            if ask == "shape":
                question = f"What is the output shape? Answer the full shape, e.g. {example}."
            else:
                question = f"What is the output {ask}? Answer a whole number."
            chan = (
                f"out_channels = {c_out}"
                if is_conv(layer)
                else f"pooling keeps the {c_in} channel{'s' * (c_in != 1)}"
            )
            if shape is None:
                lines += refused
            else:
                lines.append(f"Batch size {batch} is unchanged; channels: {chan}.")
                lines.append(
                    f"Output shape: {fmt(shape)}" + (f"; {ask} = {value}." if value else "")
                )
        if error_option:
            question += ("" if zh else " ") + TEXT[lang]["error_option"]
    prompt = "\n".join(x for x in (head, note, question) if x)
    return prompt, "\n".join(lines)


# ---------------------------------------------------------------- building a question


def _asked(params: dict[str, Any], ask: str, **flags: Any) -> Any:
    shape = output_shape(params, **flags)
    return shape if ask == "shape" else shape[DIM_ASKS[ask]]


def _special_misconceptions(params: dict[str, Any], ask: str) -> list[tuple[str, Any]] | None:
    """The mistakes of a padding string or of a layer torch refuses (None: the textbook ones).
    Each value is computed: the formula without torch's check, or the buggy padding."""
    reason, pad = refusal(params), params.get("padding", 0)
    if reason == "same-strided":  # 'same' kept the size / TensorFlow's ceil(n / stride)
        return [
            ("same-strided", _asked({**params, "stride": 1}, ask)),
            ("tf-same", _asked(params, ask)),
        ]
    if reason == "pool-padding":
        return [("pool-padding-limit", _asked(params, ask))]
    if reason == "too-small":
        out = [("output-below-one", _asked(params, ask))]
        if min(output_shape(params, dilation_ignored=True)[2:]) >= 1:
            out.append(("dilation-ignored", _asked(params, ask, dilation_ignored=True)))
        return out
    if pad == "valid":
        out = _misconceptions({**params, "padding": 0}, ask)
        if refusal({**params, "padding": "same"}) is None:
            out.append(("same-valid-swapped", _asked({**params, "padding": "same"}, ask)))
        return out
    if pad == "same":
        ks = per_dim(params["kernel_size"], spatial_dims(params["layer"]))
        ds = per_dim(params["dilation"], len(ks))
        half = [k // 2 for k in ks]
        even = [(d * (k - 1)) // 2 for k, d in zip(ks, ds, strict=True)]
        out = [
            ("same-half-kernel", _asked({**params, "padding": half}, ask)),
            ("same-symmetric", _asked({**params, "padding": even}, ask)),
            ("same-valid-swapped", _asked({**params, "padding": 0}, ask)),
        ]
        if any(k % 2 == 0 for k in ks):
            out.append(("same-even-refused", None))
        return out
    return None


def _misconceptions(params: dict[str, Any], ask: str) -> list[tuple[str, Any]]:
    """(id, value) of each applicable mistake, computed with the buggy formula."""
    special = _special_misconceptions(params, ask) if ask not in MISSING_ASKS else None
    if special is not None:
        return special
    dims = dim_args(params)
    pool = not is_conv(params["layer"])
    ceil_mode = bool(params.get("ceil_mode"))
    variants: list[tuple[str, dict[str, Any]]] = []
    if any(a[3] for a in dims) or ask == "padding":
        pid = "notes-total-padding" if ask == "padding" else "padding-once"
        variants.append((pid, {"padding_once": True}))
    if any(a[4] > 1 for a in dims):
        variants.append(("dilation-ignored", {"dilation_ignored": True}))
    variants.append(("no-plus-one", {"no_plus_one": True}))
    if ask not in MISSING_ASKS:
        variants.append(("floor-vs-ceil", {"ceil": not ceil_mode, "last_window_rule": False}))
        if ceil_mode:
            variants.append(("ceil-last-window", {"last_window_rule": False}))
        if pool and params.get("stride", 1) is None:
            variants.append(("pool-stride-1", {"pool_stride_1": True}))
    out = []
    for mid, flags in variants:
        if ask in MISSING_ASKS:
            value = solve(params, ask, params["output_shape"], **flags)
        else:
            shape = output_shape(params, **flags)
            value = shape if ask == "shape" else shape[DIM_ASKS[ask]]
        if value is not None:
            out.append((mid, value))
    return out


def _wrong_refusals(params: dict[str, Any]) -> list[tuple[str, Any]]:
    """For a layer torch accepts, at a level whose questions may answer "error": the
    stricter (wrong) rules under which a learner would expect an error, each checked on
    the params; the answer "error" they lead to is None. (When none applies,
    naming_error names "error" torch-accepts, which says what torch checks.)"""
    pad = params.get("padding")
    out: list[tuple[str, Any]] = []
    if pad != "same":  # 'same' with stride 1 pads the input to fit the kernel
        dims = dim_args({**params, "padding": 0} if pad == "valid" else params)
        if not is_conv(params["layer"]) and pad != "valid":
            if any(2 * p >= k > 1 and p > 0 for _, k, _, p, _ in dims):  # p = k/2 is allowed
                out.append(("pool-padding-at-half", None))
        if any(n + 2 * p == d * (k - 1) + 1 for n, k, _, p, d in dims):  # fits exactly once
            out.append(("kernel-fills-input", None))
    if pad == "valid":
        out.append(("valid-refused", None))
    return out


def make_question(gen: Generator, params: dict[str, Any], ask: str, difficulty: int) -> Any:
    """The Question for fully drawn params (for missing asks, params hold the answer value).
    When torch refuses the layer or the input, the answer is "error" (expected None)."""
    shape: list[int] | None = None if refusal(params) else output_shape(params)
    error_option = difficulty in ERROR_LEVELS and ask not in MISSING_ASKS
    if ask in MISSING_ASKS:
        assert params["output_shape"] == shape
        expected: Any = params[ask]
        kind, answer = "int", str(expected)
    elif ask == "shape":
        expected, kind = shape, "shape"
        answer = "error" if shape is None else fmt(shape)
    else:
        expected = None if shape is None else shape[DIM_ASKS[ask]]
        kind, answer = "int", "error" if shape is None else str(expected)
    assert error_option or shape is not None
    prompt, solution = texts(params, ask, shape, "en", error_option)
    mistakes = _misconceptions(params, ask)
    if error_option and shape is not None and all(v is not None for _, v in mistakes):
        mistakes += _wrong_refusals(params)  # what makes a learner answer "error" here
    if error_option:
        mistakes = naming_error(mistakes, expected)
    return gen.question(
        difficulty,
        params=params,
        ask=ask,
        prompt=prompt,
        kind=kind,
        expected=expected,
        result=shape,
        answer=answer,
        solution=solution,
        allow_undefined=error_option,
        misconceptions=mistakes,
    )


# ---------------------------------------------------------------- drawing params


def build_params(
    layer: str,
    input_shape: list[int],
    kernel_size: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    out_channels: int = 8,
) -> dict[str, Any]:
    """Params with exactly the arguments `layer` takes (and torch's names)."""
    given = {
        "in_channels": input_shape[1],
        "out_channels": out_channels,
        "kernel_size": kernel_size,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": ceil_mode,
    }
    return {"layer": layer, "input_shape": input_shape} | {a: given[a] for a in layer_args(layer)}


def _pool_stride(rng: random.Random, lo: int = 1, hi: int = 3) -> int | None:
    return None if rng.random() < 0.5 else rng.randint(lo, hi)


def _dim_ask(rng: random.Random, layer: str) -> str:
    return rng.choice(
        ["shape", "height", "width"] if spatial_dims(layer) == 2 else ["shape", "length"]
    )


Draft = tuple[dict[str, Any], str, str]  # params, ask, sub-kind


def _spatial(rng: random.Random, layer: str, lo: int, hi: int) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(spatial_dims(layer))]


def _level1(rng: random.Random) -> Draft:
    layer = rng.choice(["Conv2d", "MaxPool2d"])
    n = rng.randint(5, 32)
    shape = [1, rng.choice([1, 3]), n, n]
    if is_conv(layer):
        k, s, p = rng.choice([1, 3, 3, 5, 5, 7]), rng.choice([1, 1, 2]), rng.choice([0, 0, 1, 2])
        params = build_params(layer, shape, k, s, p, out_channels=rng.choice([4, 6, 8, 16]))
    else:
        k = rng.choice([2, 2, 3])
        params = build_params(layer, shape, k, rng.choice([1, 2, 2, 3]), rng.choice([0, 0, k // 2]))
    return params, rng.choice(["shape", "height", "width"]), "basic"


L2_SUBS = {  # sub-kind -> weight; the error cases are about a sixth of the draws
    "channels": 4,
    "pool": 4,
    "1d": 4,
    "ceil": 4,
    "missing-padding": 4,
    "padding-string": 4,
    "pool-padding-error": 2,
    "same-strided-error": 2,
}
L3_SUBS = {
    "dilation": 4,
    "asymmetric": 4,
    "ceil-edge": 4,
    "missing-kernel": 4,
    "missing-padding": 4,
    "same-even": 4,
    "too-small-error": 3,
    "pool-dilation-error": 2,
}


def _sub(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _padding_string(rng: random.Random) -> Draft:
    """padding='same' (stride 1, odd kernel) or 'valid' (any stride) on a Conv layer."""
    layer = rng.choice(["Conv2d", "Conv1d"])
    shape = [rng.choice([1, 2, 4]), rng.choice([1, 3, 8]), *_spatial(rng, layer, 6, 48)]
    pad = rng.choice(["same", "valid"])
    s = 1 if pad == "same" else rng.randint(1, 3)
    params = build_params(
        layer, shape, rng.choice([3, 5, 7]), s, pad, out_channels=rng.choice([8, 16])
    )
    return params, _dim_ask(rng, layer), "padding-string"


def _same_strided(rng: random.Random) -> Draft:
    """padding='same' with stride 2 or 3: torch refuses it when the layer is built."""
    layer = rng.choice(["Conv2d", "Conv1d"])
    shape = [rng.choice([1, 2, 4]), rng.choice([1, 3, 8]), *_spatial(rng, layer, 6, 48)]
    k, s = rng.choice([3, 5, 7]), rng.choice([2, 2, 3])
    params = build_params(layer, shape, k, s, "same", out_channels=rng.choice([8, 16]))
    return params, _dim_ask(rng, layer), "same-strided-error"


def _pool_padding(rng: random.Random) -> Draft:
    """A pool with padding > kernel_size / 2 (level 2, no dilation): torch refuses it."""
    layer = rng.choice(["MaxPool2d", "AvgPool2d", "MaxPool1d", "AvgPool1d"])
    shape = [rng.choice([1, 2, 4]), rng.choice([3, 8, 16]), *_spatial(rng, layer, 6, 40)]
    k = rng.choice([2, 3, 3, 4])
    params = build_params(layer, shape, k, _pool_stride(rng), rng.randint(k // 2 + 1, k))
    return params, _dim_ask(rng, layer), "pool-padding-error"


def _level2(rng: random.Random) -> Draft:
    sub = _sub(rng, L2_SUBS)
    if sub == "padding-string":
        return _padding_string(rng)
    if sub == "same-strided-error":
        return _same_strided(rng)
    if sub == "pool-padding-error":
        return _pool_padding(rng)
    if sub == "channels":
        shape = [rng.choice([2, 4, 8]), rng.choice([3, 8, 16]), *_spatial(rng, "Conv2d", 8, 40)]
        k, s, p = rng.choice([3, 5, 7]), rng.choice([1, 2]), rng.randint(0, 3)
        params = build_params("Conv2d", shape, k, s, p, out_channels=rng.choice([8, 16, 32]))
        return params, "shape", sub
    if sub == "missing-padding":
        layer = rng.choice(["Conv2d", "Conv1d", "MaxPool2d", "MaxPool1d"])
        k = rng.choice([3, 5, 7] if is_conv(layer) else [3, 5])
        shape = [rng.choice([1, 2, 4]), rng.choice([1, 3, 8]), *_spatial(rng, layer, 8, 48)]
        params = build_params(layer, shape, k, 1, (k - 1) // 2, out_channels=rng.choice([8, 16]))
        return params | {"output_shape": output_shape(params)}, "padding", sub
    if sub == "1d":
        layer = rng.choice(["Conv1d", "MaxPool1d", "AvgPool1d"])
    else:
        layer = rng.choice(["MaxPool2d", "AvgPool2d", "MaxPool1d", "AvgPool1d"])
    shape = [rng.choice([1, 2, 4]), rng.choice([3, 8, 16]), *_spatial(rng, layer, 6, 60)]
    if is_conv(layer):
        k, s, p = rng.choice([3, 5, 7, 9]), rng.randint(1, 3), rng.randint(0, 4)
        params = build_params(layer, shape, k, s, p, out_channels=rng.choice([8, 16]))
        return params, rng.choice(["shape", "length"]), sub
    k = rng.choice([2, 3, 4])
    p = rng.choice([0, 0, rng.randint(0, k // 2)])
    s = _pool_stride(rng) if sub != "ceil" else _pool_stride(rng, 2, 3)
    return build_params(layer, shape, k, s, p, ceil_mode=sub == "ceil"), _dim_ask(rng, layer), sub


def _same_even(rng: random.Random) -> Draft:
    """padding='same' with an even kernel (odd dilation): torch pads one more zero after."""
    layer = rng.choice(["Conv2d", "Conv1d"])
    shape = [rng.choice([1, 2, 4]), rng.choice([1, 3, 8]), *_spatial(rng, layer, 5, 40)]
    k: Any = rng.choice([2, 4, 4, 6])
    if layer == "Conv2d" and rng.random() < 0.3:
        k = [k, rng.choice([3, 5])] if rng.random() < 0.5 else [rng.choice([3, 5]), k]
    d = rng.choice([1, 1, 1, 3])
    params = build_params(layer, shape, k, 1, "same", d, out_channels=rng.choice([4, 8, 16]))
    return params, _dim_ask(rng, layer), "same-even"


def _too_small(rng: random.Random) -> Draft:
    """An input shorter than the dilated kernel (though longer than the kernel itself)."""
    layer = rng.choice(["Conv2d", "Conv1d", "MaxPool2d", "MaxPool1d"])
    k, d = rng.choice([3, 4, 5]), rng.choice([2, 2, 3])
    p = rng.choice([0, 0, 1]) if is_conv(layer) else rng.randint(0, k // 2)
    span = d * (k - 1) + 1
    small = rng.randint(max(1, k - 2 * p), span - 2 * p - 1)
    spatial = (
        [small]
        if layer.endswith("1d")
        else rng.choice(
            [[small, rng.randint(span, 40)], [rng.randint(span, 40), small], [small, small]]
        )
    )
    shape = [rng.choice([1, 2]), rng.choice([3, 8]), *spatial]
    s = rng.randint(1, 2) if is_conv(layer) else _pool_stride(rng)
    return build_params(layer, shape, k, s, p, d), _dim_ask(rng, layer), "too-small-error"


def _pool_dilation(rng: random.Random) -> Draft:
    """A dilated MaxPool with kernel_size / 2 < padding <= half its dilated span: torch
    still refuses (the limit counts kernel_size, whatever the dilation)."""
    layer = rng.choice(["MaxPool2d", "MaxPool1d"])
    shape = [rng.choice([1, 2]), rng.choice([3, 8]), *_spatial(rng, layer, 10, 48)]
    k, d = rng.choice([3, 4, 5]), rng.randint(2, 3)
    p = rng.randint(k // 2 + 1, (d * (k - 1) + 1) // 2)
    return (
        build_params(layer, shape, k, _pool_stride(rng), p, d),
        _dim_ask(rng, layer),
        "pool-dilation-error",
    )


def _level3(rng: random.Random) -> Draft:
    sub = _sub(rng, L3_SUBS)
    if sub == "same-even":
        return _same_even(rng)
    if sub == "too-small-error":
        return _too_small(rng)
    if sub == "pool-dilation-error":
        return _pool_dilation(rng)
    if sub.startswith("missing"):
        layer = rng.choice(["Conv2d", "Conv1d"])
        shape = [rng.choice([1, 2, 4]), rng.choice([1, 3, 8]), *_spatial(rng, layer, 8, 40)]
        d = rng.randint(1, 3) if sub == "missing-kernel" else rng.randint(2, 3)
        k = rng.randint(2, 7)
        p = rng.randint(0, 3) if sub == "missing-kernel" else rng.randint(1, 5)
        params = build_params(layer, shape, k, 1, p, d, out_channels=rng.choice([4, 8, 16]))
        return (
            params | {"output_shape": output_shape(params)},
            ("padding" if sub == "missing-padding" else "kernel_size"),
            sub,
        )
    if sub == "dilation":
        layer = rng.choice(["Conv2d", "Conv1d", "MaxPool2d", "MaxPool1d"])
        shape = [rng.choice([1, 2]), rng.choice([3, 8]), *_spatial(rng, layer, 10, 64)]
        k, d = rng.choice([2, 3, 5]), rng.randint(2, 3)
        if is_conv(layer):
            params = build_params(layer, shape, k, rng.randint(1, 3), rng.randint(0, 4), d)
        else:
            p = rng.randint(0, k // 2)
            params = build_params(layer, shape, k, _pool_stride(rng), p, d, rng.random() < 0.3)
        return params, _dim_ask(rng, layer), sub
    if sub == "asymmetric":
        layer = rng.choice(["Conv2d", "MaxPool2d", "AvgPool2d"])
        shape = [rng.choice([1, 2]), rng.choice([3, 8]), *_spatial(rng, layer, 8, 48)]
        conv = is_conv(layer)
        ks = [rng.randint(1, 7) if conv else rng.randint(2, 5) for _ in range(2)]
        k: Any = ks if rng.random() < 0.7 else ks[0]
        s: Any = rng.choice([[rng.randint(1, 3), rng.randint(1, 3)], rng.randint(1, 3)])
        if not conv and rng.random() < 0.4:
            s = None
        pads = list(range(4 if conv else min(ks) // 2 + 1))
        ph = rng.choice(pads)
        pw = rng.choice([v for v in pads if v != ph])
        d: Any = 1 if layer == "AvgPool2d" or rng.random() < 0.5 else [rng.randint(1, 3), 1]
        params = build_params(layer, shape, k, s, [ph, pw], d, rng.random() < 0.3)
        return params, _dim_ask(rng, layer), sub
    layer = rng.choice(["MaxPool2d", "AvgPool2d", "MaxPool1d", "AvgPool1d"])
    shape = [rng.choice([1, 2]), rng.choice([3, 8]), *_spatial(rng, layer, 3, 30)]
    k = rng.randint(2, 4)
    params = build_params(layer, shape, k, _pool_stride(rng, 2, 4), rng.randint(1, k // 2), 1, True)
    return params, _dim_ask(rng, layer), sub


ERROR_SUBS = {  # sub-kind -> why torch refuses it (quizzer.generators._conv.refusal)
    "same-strided-error": "same-strided",
    "pool-padding-error": "pool-padding",
    "pool-dilation-error": "pool-padding",
    "too-small-error": "too-small",
}


def _acceptable(params: dict[str, Any], ask: str, sub: str) -> bool:
    """torch's validity, plus what makes each kind of question worth asking."""
    reason = refusal(params)
    if sub in ERROR_SUBS:
        if reason != ERROR_SUBS[sub]:
            return False
        if reason == "pool-padding":  # without the check, the formula gives a real shape
            return min(output_shape(params)[2:]) >= 1
        if reason == "too-small":  # the kernel fits when dilation is forgotten
            return min(output_shape(params, dilation_ignored=True)[2:]) >= 1
        return True
    if reason is not None:
        return False
    if isinstance(params.get("padding"), str):
        return True
    if not valid(params):
        return False
    if sub == "ceil":  # ceil matters, but the last-window rule does not (that is level 3)
        return (
            _asked(params, ask)
            == _asked(params, ask, last_window_rule=False)
            != _asked(params, ask, ceil=False)
        )
    if sub == "ceil-edge":  # the last window would start in the padding: torch drops it
        return _asked(params, ask) != _asked(params, ask, last_window_rule=False)
    if ask in MISSING_ASKS:
        return solve(params, ask, params["output_shape"]) == params[ask]
    return True


@register
class ConvOutput(Generator):
    id = FAMILY
    version = 2
    topic = "Convolution"
    title = "Output shape of Conv/MaxPool/AvgPool 1d/2d layers (and the missing padding or kernel)"
    formula_tex = r"\text{out} = \left\lfloor \frac{n + 2p - d\,(k-1) - 1}{s} \right\rfloor + 1"
    levels = 3
    explanations = {
        "padding-once": "torch's padding=p adds p rows/columns on each side, so the input grows "
        "by 2p, not by p.",
        "notes-total-padding": "The notes' formula counts padding rows in total (both sides); "
        "torch's padding argument is per side, so it is half of that total.",
        "floor-vs-ceil": "The division by the stride rounds down (floor); only a pooling layer "
        "with ceil_mode=True rounds up.",
        "dilation-ignored": "With dilation d a kernel of size k spans d·(k − 1) + 1 input "
        "positions, not k.",
        "pool-stride-1": "A pooling layer's stride defaults to its kernel_size, not to 1.",
        "no-plus-one": "The formula ends with + 1: the first window position counts too.",
        "ceil-last-window": "With ceil_mode=True torch drops a last window that would start in "
        "the right padding, i.e. when (out − 1)·stride ≥ n + padding.",
        **TEXT["en"]["explain"],
    }

    topic_zh = "卷积"
    title_zh = "Conv/MaxPool/AvgPool 1d/2d 层的输出形状（以及求缺失的 padding 或卷积核大小）"
    explanations_zh = {
        "padding-once": "torch 的 padding=p 在每一侧各加 p 行/列，所以输入增大 2p，而不是 p。",
        "notes-total-padding": "笔记里的公式按两侧合计的填充行数计算；torch 的 padding 参数是每一侧"
        "的填充量，只有合计的一半。",
        "floor-vs-ceil": "除以步幅后向下取整（floor）；只有 ceil_mode=True 的池化层才向上取整。",
        "dilation-ignored": "膨胀为 d 时，大小为 k 的卷积核覆盖 d·(k − 1) + 1 个输入位置，"
        "而不是 k 个。",
        "pool-stride-1": "池化层的步幅默认等于 kernel_size，而不是 1。",
        "no-plus-one": "公式最后要 + 1：第一个窗口位置也要算上。",
        "ceil-last-window": "ceil_mode=True 时，如果最后一个窗口会从右侧填充中开始，即 "
        "(out − 1)·stride ≥ n + padding，torch 会丢弃这个窗口。",
        **TEXT["zh"]["explain"],
    }

    def zh(self, q: Question) -> dict[str, str]:
        prompt, solution = texts(q.params, q.ask, q.result, "zh", q.allow_undefined)
        return {"prompt": prompt, "answer": q.answer, "solution": solution}

    def generate(self, rng: random.Random, difficulty: int) -> Any:
        draw = {1: _level1, 2: _level2, 3: _level3}[difficulty]
        for _ in range(1000):
            params, ask, sub = draw(rng)
            if _acceptable(params, ask, sub):
                return make_question(self, params, ask, difficulty)
        raise RuntimeError(f"{FAMILY}: no valid variant drawn")  # pragma: no cover
