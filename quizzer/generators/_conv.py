"""Convolution and pooling arithmetic, shared by the generator families that need it.

Pure Python, torch's semantics and argument names. Functions take misconception flags
that switch on a known wrong way of computing, so a misconception's answer is computed by
running the buggy formula, never written by hand.
"""

from __future__ import annotations

from typing import Any


def is_conv(layer: str) -> bool:
    return layer.startswith("Conv")


def spatial_dims(layer: str) -> int:
    return int(layer[-2])


def layer_args(layer: str) -> tuple[str, ...]:
    """The constructor arguments of a layer, in torch's order and with torch's names."""
    if is_conv(layer):
        return ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation")
    if layer.startswith("MaxPool"):
        return ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
    return ("kernel_size", "stride", "padding", "ceil_mode")


DEFAULTS: dict[str, Any] = {"stride": 1, "padding": 0, "dilation": 1, "ceil_mode": False}


def default(layer: str, arg: str) -> Any:
    """torch's default of a constructor argument (a pool's stride=None means kernel_size)."""
    return None if arg == "stride" and not is_conv(layer) else DEFAULTS.get(arg)


def conv_out(
    n: int,
    k: int,
    s: int = 1,
    p: int = 0,
    d: int = 1,
    ceil: bool = False,
    *,
    padding_once: bool = False,
    dilation_ignored: bool = False,
    no_plus_one: bool = False,
    last_window_rule: bool = True,
) -> int:
    """Output size of one spatial dimension, as torch computes it (flags switch on mistakes).

    padding_once: n + p instead of n + 2p (also the notes' total-padding formula misread).
    dilation_ignored: the kernel spans k instead of d·(k − 1) + 1.
    no_plus_one: the trailing + 1 is forgotten.
    last_window_rule=False: with ceil, keep a last window that starts in the right padding.
    """
    span = k if dilation_ignored else d * (k - 1) + 1
    num = n + (p if padding_once else 2 * p) - span
    out = (-(-num // s) if ceil else num // s) + (0 if no_plus_one else 1)
    if ceil and last_window_rule and (out - 1) * s >= n + p:
        out -= 1
    return out


def per_dim(value: Any, dims: int) -> list[int]:
    return value if isinstance(value, list) else [value] * dims


def dim_args(params: dict[str, Any], *, pool_stride_1: bool = False) -> list[tuple[int, ...]]:
    """(n, k, s, p, d) for each spatial dimension; a pool's stride None means kernel_size."""
    spatial = params["input_shape"][2:]
    dims = len(spatial)
    k = per_dim(params["kernel_size"], dims)
    stride = params.get("stride", 1)
    s = [1] * dims if stride is None and pool_stride_1 else per_dim(stride or k, dims)
    p = per_dim(params.get("padding", 0), dims)
    d = per_dim(params.get("dilation", 1), dims)
    return list(zip(spatial, k, s, p, d, strict=True))


def same_pads(k: int, d: int = 1) -> tuple[int, int]:
    """torch's padding='same' (a Conv layer, stride 1): d·(k − 1) zeros in total, the odd one
    (an even kernel with an odd dilation) on the right: (left, right)."""
    total = d * (k - 1)
    return total // 2, total - total // 2


def output_shape(
    params: dict[str, Any],
    *,
    ceil: bool | None = None,
    pool_stride_1: bool = False,
    **flags: bool,
) -> list[int]:
    """The full output shape [N, C_out, *spatial]; `ceil` overrides ceil_mode (a mistake).

    A Conv's padding may be the string 'valid' (no padding) or 'same' (same_pads in every
    dimension; with a stride torch refuses it, and this gives what the padding would give,
    ceil(n / stride), so see `refusal`)."""
    mode = params.get("ceil_mode", False) if ceil is None else ceil
    pad = params.get("padding", 0)
    if pad == "valid":
        params = {**params, "padding": 0}
    if pad == "same":
        args = dim_args({**params, "padding": 0})
        spatial = [(n + sum(same_pads(k, d)) - d * (k - 1) - 1) // s + 1 for n, k, s, _, d in args]
    else:
        args = dim_args(params, pool_stride_1=pool_stride_1)
        spatial = [conv_out(*a, mode, **flags) for a in args]
    n, c = params["input_shape"][:2]
    return [n, params["out_channels"] if is_conv(params["layer"]) else c, *spatial]


def refusal(params: dict[str, Any]) -> str | None:
    """Why torch refuses this layer on this input, or None when it computes a shape:
    "same-strided" (padding='same' with a stride > 1: a ValueError when the layer is built),
    "pool-padding" (a pool's padding > kernel_size / 2 in some dimension, whatever the
    dilation), "too-small" (an output size below 1: for a Conv, the dilated kernel
    d·(k − 1) + 1 is longer than the padded input n + 2p). Checked in that order."""
    pad = params.get("padding", 0)
    if pad == "same":  # with stride 1 it keeps every size
        strided = any(s > 1 for _, _, s, _, _ in dim_args({**params, "padding": 0}))
        return "same-strided" if strided else None
    if pad == "valid":
        params = {**params, "padding": 0}
    if not is_conv(params["layer"]) and any(p > k // 2 for _, k, _, p, _ in dim_args(params)):
        return "pool-padding"
    if min(output_shape(params)[2:]) < 1:
        return "too-small"
    return None


def valid(params: dict[str, Any]) -> bool:
    """torch's constraints: kernel fits the padded input, pool padding <= kernel_size // 2."""
    pool = not is_conv(params["layer"])
    for n, k, s, p, d in dim_args(params):
        if min(k, s, d) < 1 or p < 0 or n + 2 * p < d * (k - 1) + 1 or (pool and p > k // 2):
            return False
    return True  # the padded input holds one window, so every output size is >= 1


def solve(params: dict[str, Any], name: str, target: list[int], **flags: Any) -> int | None:
    """The unique int value of `name` for which the (possibly buggy) formula gives target.

    Without flags the value must also satisfy torch's constraints; None if not unique.
    Every output dimension grows with padding and shrinks with kernel_size, so the search
    stops once a dimension has passed its target.
    """
    sign = 1 if name == "padding" else -1
    hits = []
    for v in range(0 if name == "padding" else 1, 4 * max(params["input_shape"][2:]) + 20):
        trial = {**params, name: v}
        if not flags and not valid(trial):
            continue
        out = output_shape(trial, **flags)
        if out == target:
            hits.append(v)
        elif any(sign * (o - t) > 0 for o, t in zip(out[2:], target[2:], strict=True)):
            break
    return hits[0] if len(hits) == 1 else None
