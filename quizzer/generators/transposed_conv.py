"""transposed-conv: output size of nn.ConvTranspose1d / nn.ConvTranspose2d, and the
output_padding that reaches a target size.

torch: out = (n − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1.
The study notes' W' = (W − 1)·S + K − 2P is its special case dilation = 1, output_padding = 0
(level 1 uses it). torch requires output_padding < max(stride, dilation) in every dimension:
levels 2 and 3 ask about layers that break it too, whose answer is "error".
`tconv_out` takes misconception flags, so every misconception value is computed by running
the buggy formula.
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, naming_error, register
from quizzer.generators._conv import conv_out, per_dim
from quizzer.question import Question

FAMILY = "transposed-conv"
DIM_ARGS = ("kernel_size", "stride", "padding", "output_padding", "dilation")  # after channels
DEFAULTS: dict[str, int] = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1}
DIM_ASKS = {"height": -2, "width": -1, "length": -1}
DIM_ZH = {"height": "高度", "width": "宽度", "length": "长度"}
FORMULA = "out = (n − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1"
NOTES_FORMULA = "W' = (W − 1)·S + K − 2P"

# ---------------------------------------------------------------- formula (pure Python)


def tconv_out(
    n: int,
    k: int,
    s: int = 1,
    p: int = 0,
    op: int = 0,
    d: int = 1,
    *,
    conv_formula: bool = False,
    padding_added: bool = False,
    padding_once: bool = False,
    output_padding_ignored: bool = False,
    dilation_ignored: bool = False,
    w_times_s: bool = False,
    no_plus_one: bool = False,
) -> int:
    """Output size of one spatial dimension of a transposed convolution (flags: mistakes).

    conv_formula: the forward convolution's floor((n + 2p − d·(k − 1) − 1)/s) + 1 instead.
    padding_added: + 2p instead of − 2p.  padding_once: − p instead of − 2p.
    output_padding_ignored / dilation_ignored: the term is left out / the kernel spans k.
    w_times_s: n·s instead of (n − 1)·s.  no_plus_one: torch's formula without its + 1.
    """
    if conv_formula:
        return conv_out(n, k, s, p, d)
    span = (k if dilation_ignored else d * (k - 1) + 1) - (1 if no_plus_one else 0)
    crop = p if padding_once else 2 * p
    base = (n if w_times_s else n - 1) * s
    return base + (crop if padding_added else -crop) + span + (0 if output_padding_ignored else op)


def dim_args(params: dict[str, Any]) -> list[tuple[int, int, int, int, int, int]]:
    """(n, k, s, p, output_padding, d) for each spatial dimension."""
    spatial = params["input_shape"][2:]
    dims = len(spatial)
    k, s, p, op, d = (per_dim(params[a], dims) for a in DIM_ARGS)
    return list(zip(spatial, k, s, p, op, d, strict=True))


def output_shape(params: dict[str, Any], **flags: bool) -> list[int]:
    """The full output shape [N, out_channels, *spatial] (flags switch on mistakes)."""
    spatial = [tconv_out(*a, **flags) for a in dim_args(params)]
    return [params["input_shape"][0], params["out_channels"], *spatial]


def valid(params: dict[str, Any]) -> bool:
    """torch's constraints: output_padding < max(stride, dilation) and every size >= 1."""
    for n, k, s, p, op, d in dim_args(params):
        if min(n, k, s, d) < 1 or p < 0 or not 0 <= op < max(s, d):
            return False
        if tconv_out(n, k, s, p, op, d) < 1:
            return False
    return True


def refusal(params: dict[str, Any]) -> str | None:
    """Why torch refuses the layer on its input, or None: "output-padding" (output_padding
    >= max(stride, dilation) in some dimension), "too-small" (an output size below 1)."""
    if any(op >= max(s, d) for _, _, s, _, op, d in dim_args(params)):
        return "output-padding"
    if any(tconv_out(*a) < 1 for a in dim_args(params)):
        return "too-small"
    return None


def missing_output_padding(params: dict[str, Any], target: list[int], **flags: bool) -> int | None:
    """The one output_padding (the same in every dimension) that makes the (possibly buggy)
    formula give target; None if the dimensions disagree."""
    values = {
        t - tconv_out(n, k, s, p, 0, d, **flags)
        for (n, k, s, p, _, d), t in zip(dim_args(params), target[2:], strict=True)
    }
    return values.pop() if len(values) == 1 else None


def notes_case(params: dict[str, Any]) -> bool:
    """dilation 1 and output_padding 0 everywhere: the notes' formula applies as it stands."""
    return all(a[4] == 0 and a[5] == 1 for a in dim_args(params))


# ---------------------------------------------------------------- text (en and zh)


def fmt(value: Any) -> str:
    return "(" + ", ".join(str(v) for v in value) + ")" if isinstance(value, list) else str(value)


def layer_call(params: dict[str, Any], hide: str | None = None, placeholder: str = "?") -> str:
    """nn.ConvTranspose<d>d(...) with the arguments that differ from torch's defaults."""
    parts = [str(params["in_channels"]), str(params["out_channels"])]
    for arg in DIM_ARGS:
        value = params[arg]
        if arg == hide:
            parts.append(f"{arg}={placeholder}")
        elif arg == "kernel_size" or value != DEFAULTS[arg]:
            parts.append(f"{arg}={fmt(value)}")
    return f"nn.{params['layer']}({', '.join(parts)})"


def conv_call(params: dict[str, Any]) -> str:
    """The forward nn.Conv<d>d that this transposed layer inverts (channels swapped)."""
    parts = [str(params["out_channels"]), str(params["in_channels"])]
    for arg in ("kernel_size", "stride", "padding", "dilation"):
        if arg == "kernel_size" or params[arg] != DEFAULTS[arg]:
            parts.append(f"{arg}={fmt(params[arg])}")
    return f"nn.{params['layer'].replace('Transpose', '')}({', '.join(parts)})"


def dim_names(params: dict[str, Any]) -> list[str]:
    return ["H", "W"] if len(params["input_shape"]) == 4 else ["L"]


TEXT: dict[str, dict[str, Any]] = tomllib.loads(
    Path(__file__).with_name("transposed_conv.toml").read_text(encoding="utf-8")
)
ERROR_LEVELS = (2, 3)  # levels with questions whose answer is "error": every shape question
# of these levels says that "error" is a possible answer, so the prompt does not give it away


def _t(lang: str, key: str, **kw: Any) -> str:
    return TEXT[lang][key].format(**kw)


def defaults_note(params: dict[str, Any], lang: str, hide: str | None = None) -> str:
    left = [f"{a}={params[a]}" for a in DIM_ARGS[1:] if a != hide and params[a] == DEFAULTS[a]]
    return _t(lang, "defaults", args=", ".join(left)) if left else ""


def dim_lines(params: dict[str, Any], lang: str) -> list[str]:
    """One worked line per spatial dimension, with the notes' formula where it applies."""
    pairs = list(zip(dim_names(params), dim_args(params), strict=True))
    if notes_case(params):
        lines = [_t(lang, "notes", notes=NOTES_FORMULA)]
        for name, (n, k, s, p, _, _) in pairs:
            lines.append(f"{name}: ({n} − 1)·{s} + {k} − 2·{p} = {tconv_out(n, k, s, p)}")
        return lines
    lines = [_t(lang, "torch", formula=FORMULA)]
    for name, (n, k, s, p, op, d) in pairs:
        out = tconv_out(n, k, s, p, op, d)
        lines.append(f"{name}: ({n} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {op} + 1 = {out}")
    return lines


def texts(
    params: dict[str, Any], ask: str, extra: dict[str, Any], lang: str, error_option: bool = False
) -> dict[str, str]:
    """prompt, answer and solution in lang, from a question's params, ask and extra only;
    error_option: the prompt says that "error" is a possible answer."""
    shape = output_shape(params)
    if ask == "output_padding":
        return _missing_texts(params, extra.get("sub", ""), lang, shape)
    if refusal(params):
        return _error_texts(params, ask, lang)
    head = _t(lang, "head", call=layer_call(params), shape=fmt(params["input_shape"]))
    question = _ask_line(params, ask, lang)
    if ask == "shape":
        answer, tail = fmt(shape), ""
    else:
        answer = str(shape[DIM_ASKS[ask]])
        tail = _t(lang, "dim", dim=DIM_ZH[ask] if lang == "zh" else ask, value=answer)
    if error_option:
        question += ("" if lang == "zh" else " ") + _t(lang, "ask-error")
    prompt = "\n".join(x for x in (head, defaults_note(params, lang), question) if x)
    lines = dim_lines(params, lang)
    for name, (_, _, s, _, op, d) in zip(dim_names(params), dim_args(params), strict=True):
        if s <= op < d:  # allowed only thanks to the dilation
            lines.append(_t(lang, "op-dilation", name=name, op=op, s=s, d=d, lim=max(s, d)))
    lines.append(_t(lang, "keep", n=shape[0], c=shape[1]))
    lines.append(_t(lang, "shape", shape=fmt(shape)) + tail)
    return {"prompt": prompt, "answer": answer, "solution": "\n".join(lines)}


def _ask_line(params: dict[str, Any], ask: str, lang: str) -> str:
    if ask == "shape":
        example = "(N, C, H, W)" if len(params["input_shape"]) == 4 else "(N, C, L)"
        return _t(lang, "ask-shape", example=example)
    return _t(lang, "ask-dim", dim=DIM_ZH[ask] if lang == "zh" else ask)


def _error_texts(params: dict[str, Any], ask: str, lang: str) -> dict[str, str]:
    """A layer torch refuses (output_padding too large): the answer is "error"."""
    head = _t(lang, "head", call=layer_call(params), shape=fmt(params["input_shape"]))
    question = _ask_line(params, ask, lang)
    question += ("" if lang == "zh" else " ") + _t(lang, "ask-error")
    prompt = "\n".join(x for x in (head, defaults_note(params, lang), question) if x)
    lines = [_t(lang, "op-rule")]
    for name, (_, _, s, _, op, d) in zip(dim_names(params), dim_args(params), strict=True):
        if op >= max(s, d):
            lines.append(_t(lang, "op-dim", name=name, op=op, s=s, d=d, lim=max(s, d)))
    lines.append(_t(lang, "refused"))
    lines.append(_t(lang, "would-give", shape=fmt(output_shape(params))))
    return {"prompt": prompt, "answer": "error", "solution": "\n".join(lines)}


def _missing_texts(params: dict[str, Any], sub: str, lang: str, shape: list[int]) -> dict[str, str]:
    target = params["output_shape"]
    call = layer_call(params, "output_padding")
    if sub == "inverse":
        head = _t(
            lang,
            "inverse",
            conv=conv_call(params),
            call=call,
            target=fmt(target),
            shape=fmt(params["input_shape"]),
        )
    else:
        head = _t(lang, "head", call=call, shape=fmt(params["input_shape"]))
    size = "×".join(str(v) for v in target[2:])
    every = _t(lang, "every") if len(target) > 3 else ""
    question = _t(lang, "ask-op", every=every, size=size, target=fmt(target))
    s = params["stride"]
    if sub != "inverse" and target[2:] == [s * n for n in params["input_shape"][2:]]:
        question = _t(lang, "upsample", s=s) + "\n" + question
    prompt = "\n".join(
        x for x in (head, defaults_note(params, lang, "output_padding"), question) if x
    )
    lines = [_t(lang, "torch", formula=FORMULA)]
    for name, (n, k, s, p, op, d), t in zip(
        dim_names(params), dim_args(params), target[2:], strict=True
    ):
        if sub == "inverse":
            num = t + 2 * p - d * (k - 1) - 1
            lines.append(_t(lang, "conv", n=t, p=p, d=d, k=k, s=s, m=n, r=num % s))
        out = tconv_out(n, k, s, p, 0, d)
        lines.append(_t(lang, "without", name=name, n=n, s=s, p=p, d=d, k=k, out=out, t=t, op=op))
    _, _, s, _, op, d = dim_args(params)[0]
    lines.append(_t(lang, "allowed", op=op, lim=max(s, d)))
    lines.append(_t(lang, "shape", shape=fmt(shape)))
    return {"prompt": prompt, "answer": str(params["output_padding"]), "solution": "\n".join(lines)}


# ---------------------------------------------------------------- building a question

FLAGS: dict[str, dict[str, bool]] = {
    "conv-formula": {"conv_formula": True},
    "padding-added": {"padding_added": True},
    "padding-once": {"padding_once": True},
    "output-padding-ignored": {"output_padding_ignored": True},
    "dilation-ignored": {"dilation_ignored": True},
    "notes-special-case": {"output_padding_ignored": True, "dilation_ignored": True},
    "w-times-s": {"w_times_s": True},
    "no-plus-one": {"no_plus_one": True},
}


def _applies(mid: str, params: dict[str, Any], ask: str) -> bool:
    dims = dim_args(params)
    pad, op, dil = (any(a[i] != v for a in dims) for i, v in ((3, 0), (4, 0), (5, 1)))
    return {
        "conv-formula": ask != "output_padding",
        "padding-added": pad,
        "padding-once": pad,
        "output-padding-ignored": op and ask != "output_padding",
        "dilation-ignored": dil,
        "notes-special-case": dil and op and ask != "output_padding",
        "w-times-s": True,
        "no-plus-one": ask == "output_padding" or not notes_case(params),
    }[mid]


def _asked(params: dict[str, Any], ask: str) -> Any:
    shape = output_shape(params)
    return shape if ask == "shape" else shape[DIM_ASKS[ask]]


def misconceptions(params: dict[str, Any], ask: str) -> list[tuple[str, Any]]:
    """(id, value) of each applicable mistake, computed with the buggy formula."""
    if ask != "output_padding" and refusal(params) == "output-padding":
        return [("output-padding-limit", _asked(params, ask))]  # the formula without the check
    out: list[tuple[str, Any]] = []
    if ask != "output_padding" and any(s <= op < d for _, _, s, _, op, d in dim_args(params)):
        out.append(("output-padding-refused", None))  # thinks the limit is the stride alone
    for mid in FLAGS:
        if not _applies(mid, params, ask):
            continue
        if ask == "output_padding":
            value = missing_output_padding(params, params["output_shape"], **FLAGS[mid])
        else:
            shape = output_shape(params, **FLAGS[mid])
            if min(shape) < 1:
                continue
            value = shape if ask == "shape" else shape[DIM_ASKS[ask]]
        if value is not None and (ask != "output_padding" or value >= 0):
            out.append((mid, value))
    return out


def make_question(
    gen: Generator, params: dict[str, Any], ask: str, difficulty: int, sub: str = ""
) -> Question:
    """The Question for fully drawn params (for ask "output_padding", params hold the answer
    and the target "output_shape")."""
    shape: list[int] | None = None if refusal(params) else output_shape(params)
    error_option = difficulty in ERROR_LEVELS and ask != "output_padding"
    assert error_option or shape is not None
    if ask == "output_padding":
        expected: Any = params["output_padding"]
        kind = "int"
    elif ask == "shape":
        expected, kind = shape, "shape"
    else:
        expected, kind = None if shape is None else shape[DIM_ASKS[ask]], "int"
    extra = {"sub": sub} if sub else {}
    return gen.question(
        difficulty,
        params=params,
        ask=ask,
        kind=kind,
        expected=expected,
        result=shape,
        allow_undefined=error_option,
        misconceptions=naming_error(misconceptions(params, ask), expected)
        if error_option
        else misconceptions(params, ask),
        extra=extra,
        **texts(params, ask, extra, "en", error_option),
    )


# ---------------------------------------------------------------- drawing params


def build_params(
    layer: str,
    input_shape: list[int],
    kernel_size: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    out_channels: int = 8,
) -> dict[str, Any]:
    """Params with torch's argument names (in_channels is the input's channel count)."""
    return {
        "layer": layer,
        "input_shape": input_shape,
        "in_channels": input_shape[1],
        "out_channels": out_channels,
        "kernel_size": kernel_size,
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
    }


Draft = tuple[dict[str, Any], str, str]  # params, ask, sub-kind


def _dim_ask(rng: random.Random, layer: str) -> str:
    return rng.choice(["shape", "height", "width"] if layer.endswith("2d") else ["shape", "length"])


def _level1(rng: random.Random) -> Draft:
    n, k = rng.randint(2, 16), rng.choice([2, 3, 4, 5])
    shape = [1, rng.choice([1, 3, 4, 8]), n, n]
    s, p = rng.choice([1, 2, 2, 3]), rng.choice([0, 0, 1, 2])
    params = build_params("ConvTranspose2d", shape, k, s, p, out_channels=rng.choice([1, 3, 4, 8]))
    return params, rng.choice(["shape", "height", "width"]), "basic"


def _op_error(rng: random.Random, dilated: bool) -> Draft:
    """output_padding >= max(stride, dilation) (in one dimension at least): torch refuses."""
    layer = rng.choice(["ConvTranspose2d", "ConvTranspose1d"])
    dims = int(layer[-2])
    shape = [
        rng.choice([1, 2, 4]),
        rng.choice([2, 4, 8]),
        *[rng.randint(2, 16) for _ in range(dims)],
    ]
    k, p = rng.randint(2, 5), rng.randint(0, 2)
    d = rng.randint(2, 3) if dilated else 1
    if dilated and dims == 2 and rng.random() < 0.4:  # per dimension: one of them breaks it
        ss = [rng.randint(1, 3), rng.randint(1, 3)]
        ops = [rng.randint(0, max(s, d) - 1) for s in ss]
        bad = rng.randint(0, 1)
        ops[bad] = max(ss[bad], d) + rng.choice([0, 0, 1])
        params = build_params(layer, shape, k, ss, p, ops, d, rng.choice([1, 3, 8]))
    else:
        s = rng.randint(1, 3)
        op = max(s, d) + rng.choice([0, 0, 1])
        params = build_params(layer, shape, k, s, p, op, d, rng.choice([1, 3, 8]))
    return params, _dim_ask(rng, layer), "op-error"


def _level2(rng: random.Random) -> Draft:
    sub = rng.choice(["output-padding", "output-padding", "1d", "batch", "op-error"])
    if sub == "op-error":
        return _op_error(rng, dilated=False)
    layer = "ConvTranspose1d" if sub == "1d" else "ConvTranspose2d"
    spatial = [rng.randint(2, 16) for _ in range(1 if sub == "1d" else 2)]
    shape = [rng.choice([2, 3, 4]), rng.choice([2, 4, 6, 8]), *spatial]
    k, s, p = rng.randint(2, 7), rng.randint(1, 3), rng.randint(0, 3)
    if sub == "output-padding":
        s = rng.randint(2, 4)
    op = 0
    if sub != "batch" and s > 1:
        op = rng.randint(0 if sub == "1d" else 1, s - 1)
    params = build_params(layer, shape, k, s, p, op, out_channels=rng.choice([1, 3, 6, 8]))
    return params, _dim_ask(rng, layer), sub


def _level3(rng: random.Random) -> Draft:
    sub = rng.choice(["dilation", "asymmetric", "inverse", "target", "op-error"])
    if sub == "op-error":
        return _op_error(rng, dilated=True)
    if sub in ("inverse", "target"):
        return _level3_missing(rng, sub)
    if sub == "dilation":
        layer = rng.choice(["ConvTranspose2d", "ConvTranspose1d"])
        spatial = [rng.randint(2, 16) for _ in range(int(layer[-2]))]
        shape = [rng.choice([1, 2, 4]), rng.choice([2, 4, 8]), *spatial]
        k, s, p, d = rng.randint(2, 5), rng.randint(1, 3), rng.randint(0, 3), rng.randint(2, 3)
        op = rng.randint(0, max(s, d) - 1)
        params = build_params(layer, shape, k, s, p, op, d, rng.choice([1, 3, 8]))
        return params, _dim_ask(rng, layer), sub
    shape = [rng.choice([1, 2, 4]), rng.choice([2, 4, 8]), rng.randint(2, 16), rng.randint(2, 16)]
    ks = [rng.randint(1, 6), rng.randint(1, 6)]
    ss = [rng.randint(1, 3), rng.randint(1, 3)]
    ds = [rng.randint(1, 2), 1] if rng.random() < 0.4 else [1, 1]
    ps = [rng.randint(0, 3), rng.randint(0, 3)]
    ops = [rng.randint(0, max(s, d) - 1) for s, d in zip(ss, ds, strict=True)]
    k: Any = ks if ks[0] != ks[1] or rng.random() < 0.5 else ks[0]
    d: Any = ds if ds != [1, 1] else 1
    params = build_params("ConvTranspose2d", shape, k, ss, ps, ops, d, rng.choice([1, 3, 8]))
    return params, _dim_ask(rng, "ConvTranspose2d"), sub


def _level3_missing(rng: random.Random, sub: str) -> Draft:
    """The output_padding that inverts a strided conv, or reaches a target size."""
    layer = rng.choice(["ConvTranspose2d", "ConvTranspose2d", "ConvTranspose1d"])
    k, s, p = rng.randint(2, 5), rng.randint(2, 4), rng.randint(0, 2)
    d = rng.choice([1, 1, 1, 2])
    n, c_in, c_out = rng.randint(3, 16), rng.choice([4, 6, 8]), rng.choice([1, 3, 4, 8])
    if sub == "inverse":  # the conv's input sizes (the target) agree mod stride: one op for all
        big = rng.randint(d * (k - 1) + 1, 40)
        target = [big, big + s * rng.randint(-2, 3)] if layer.endswith("2d") else [big]
        small = [conv_out(t, k, s, p, d) for t in target]
        op = (target[0] + 2 * p - d * (k - 1) - 1) % s
    else:  # mostly "upsample exactly ×stride": n·s
        small = [n, rng.randint(3, 16)] if layer.endswith("2d") else [n]
        op = s + 2 * p - d * (k - 1) - 1
        if not 0 <= op < max(s, d) or rng.random() < 0.3:
            op = rng.randint(0, max(s, d) - 1)
    params = build_params(layer, [rng.choice([1, 2]), c_in, *small], k, s, p, op, d, c_out)
    return params | {"output_shape": output_shape(params)}, "output_padding", sub


def _acceptable(params: dict[str, Any], ask: str, sub: str) -> bool:
    if sub == "op-error":  # torch refuses it; without the check the formula gives a shape
        return refusal(params) == "output-padding" and min(output_shape(params)[2:]) >= 1
    if not valid(params):
        return False
    if ask == "output_padding":  # one op reaches the target in every dimension, as drawn,
        if missing_output_padding(params, params["output_shape"]) != params["output_padding"]:
            return False  # and torch accepts every output_padding below max(stride, dilation)
        return all(tconv_out(n, k, s, p, 0, d) >= 1 for n, k, s, p, _, d in dim_args(params))
    if sub == "dilation":
        return any(a[5] > 1 for a in dim_args(params))
    return True


@register
class TransposedConv(Generator):
    id = FAMILY
    version = 2
    topic = "Transposed convolution"
    topic_zh = "转置卷积"
    title = "Output shape of ConvTranspose1d/2d layers (and the output_padding for a target size)"
    title_zh = "ConvTranspose1d/2d 转置卷积层的输出形状（以及达到目标尺寸所需的 output_padding）"
    formula_tex = r"\text{out} = (n - 1)\,s - 2p + d\,(k - 1) + \text{output\_padding} + 1"
    levels = 3
    explanations = {
        "conv-formula": "That is the forward convolution's formula floor((W + 2P − K)/S) + 1; a "
        "transposed convolution enlarges: (W − 1)·S − 2P + D·(K − 1) + output_padding + 1.",
        "padding-added": "In a transposed convolution padding crops the output: 2·padding is "
        "subtracted, not added.",
        "padding-once": "padding=P crops P on each side, so the output loses 2P, not P.",
        "output-padding-ignored": "output_padding adds that many rows/columns to one side of "
        "the output; it must be added.",
        "dilation-ignored": "With dilation D the kernel spans D·(K − 1) + 1 positions, not K.",
        "notes-special-case": "The notes' W' = (W − 1)·S + K − 2P holds only for dilation = 1 "
        "and output_padding = 0; torch adds D·(K − 1) + 1 and output_padding.",
        "w-times-s": "n input positions placed stride apart span (n − 1)·S, not n·S.",
        "no-plus-one": "torch's formula ends with + 1: (W − 1)·S − 2P + D·(K − 1) + "
        "output_padding + 1 (with D = 1, K − 1 + 1 is the notes' K).",
        **TEXT["en"]["explain"],
    }
    explanations_zh = {
        "conv-formula": "这是普通（正向）卷积的公式 floor((W + 2P − K)/S) + 1；转置卷积是放大："
        "(W − 1)·S − 2P + D·(K − 1) + output_padding + 1。",
        "padding-added": "转置卷积中的填充会裁掉输出的边：要减去 2·padding，而不是加上。",
        "padding-once": "padding=P 在每一侧各裁掉 P，所以输出少 2P，而不是 P。",
        "output-padding-ignored": "output_padding 会在输出的一侧补上相应的行/列，必须加上。",
        "dilation-ignored": "膨胀率为 D 时，卷积核覆盖 D·(K − 1) + 1 个位置，而不是 K 个。",
        "notes-special-case": "笔记中的 W' = (W − 1)·S + K − 2P 只在 dilation = 1 且 "
        "output_padding = 0 时成立；torch 用 D·(K − 1) + 1 并加上 output_padding。",
        "w-times-s": "n 个输入位置以步幅 S 间隔排列，跨度是 (n − 1)·S，而不是 n·S。",
        "no-plus-one": "torch 的公式最后还要 + 1：(W − 1)·S − 2P + D·(K − 1) + output_padding + 1"
        "（D = 1 时，K − 1 + 1 就是笔记中的 K）。",
        **TEXT["zh"]["explain"],
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        draw = {1: _level1, 2: _level2, 3: _level3}[difficulty]
        for _ in range(1000):
            params, ask, sub = draw(rng)
            if _acceptable(params, ask, sub):
                keep = sub if ask == "output_padding" else ""
                return make_question(self, params, ask, difficulty, keep)
        raise RuntimeError(f"{FAMILY}: no valid variant drawn")  # pragma: no cover

    def zh(self, q: Question) -> dict[str, str]:
        return texts(q.params, q.ask, q.extra, "zh", q.allow_undefined)
