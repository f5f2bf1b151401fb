"""patches: how many kh×kw patches, taken with a stride, a batch of images gives, and the shape
of F.unfold's result. Study notes (2023-10-18, patch_size vs batch_size): the batch size is how
many images go into one training step; a patch is an image block, e.g. 256×256 crops of a
1024×1024 image (a non-overlapping tiling gives 16).

Formula, per axis: floor((size − patch) / stride) + 1 (no padding: a patch lies fully inside
the image). Patches per image = rows × columns (channels add none: a patch keeps all C
channels); per batch = B × that; F.unfold(x, kernel_size, stride) has shape (B, C·kh·kw, L).
"""

from __future__ import annotations

import random
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

FAMILY = "patches"
SHAPE_EXAMPLES = ([2, 27, 100], [4, 48, 64])
MAX_UNFOLD = 200_000  # elements of an F.unfold result the torch check materializes

# ---------------------------------------------------------------- formula (pure Python)


def pair(v: int | list[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def axis_count(
    n: int,
    k: int,
    s: int,
    *,
    no_plus_one: bool = False,
    overlap_ignored: bool = False,
    by_stride: bool = False,
) -> int:
    """Patches along one axis; the flags are the misconception variants."""
    if overlap_ignored:
        s = k  # a tiling: stride taken as the patch size
    if by_stride:
        return n // s  # size / stride, the patch size forgotten
    return (n - k) // s + (0 if no_plus_one else 1)


def counts(p: dict[str, Any], **flags: bool) -> dict[str, Any]:
    b, c, h, w = p["input_shape"]
    (kh, kw), (sh, sw) = pair(p["kernel_size"]), pair(p["stride"])
    rows, cols = axis_count(h, kh, sh, **flags), axis_count(w, kw, sw, **flags)
    return {"per_axis": [rows, cols], "per_image": rows * cols, "per_batch": b * rows * cols}


def unfold_shape(
    p: dict[str, Any], *, channels_forgotten: bool = False, **flags: bool
) -> list[int]:
    """F.unfold's (B, C·kh·kw, L)."""
    b, c, _, _ = p["input_shape"]
    kh, kw = pair(p["kernel_size"])
    return [b, (1 if channels_forgotten else c) * kh * kw, counts(p, **flags)["per_image"]]


def result_of(p: dict[str, Any], ask: str) -> dict[str, Any]:
    out = counts(p)
    if ask == "shape":
        out["unfold_shape"] = unfold_shape(p)
    return out


def misconceptions(p: dict[str, Any], ask: str) -> list[tuple[str, Any]]:
    b, c, _, _ = p["input_shape"]
    variants = [("no-plus-one", "no_plus_one"), ("overlap-ignored", "overlap_ignored")]
    variants.append(("divide-by-stride", "by_stride"))
    if ask == "shape":
        right = unfold_shape(p)
        out = [(mid, unfold_shape(p, **{flag: True})) for mid, flag in variants]
        return out + [
            ("channels-forgotten", unfold_shape(p, channels_forgotten=True)),
            ("patches-dim-swapped", [right[0], right[2], right[1]]),
        ]
    out = [(mid, counts(p, **{flag: True})[ask]) for mid, flag in variants]
    per_image = counts(p)["per_image"]
    if ask == "per_image":
        return out + [("times-channels", c * per_image), ("times-batch", b * per_image)]
    return out + [("batch-forgotten", per_image), ("times-channels", b * c * per_image)]


# ---------------------------------------------------------------- text (en and zh in step)

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "images": "A batch of B = {b} images ({kind}), a tensor x of shape {shape} (batch size "
        "{b}: images per training step),",
        "images_one": "A batch of B = {b} image ({kind}), a tensor x of shape {shape} (batch "
        "size {b}: images per training step),",
        "gray": "grayscale",
        "rgb": "RGB",
        "chan": "{c} channels",
        "tiling": " is cut into non-overlapping {kh}×{kw} patches (patch size {ps}, stride {st}).",
        "strided": " is cut into {kh}×{kw} patches (patch size {ps}), a new patch every {down} "
        "and {across} (stride {st}).",
        "down": "{n} rows",
        "down_one": "{n} row",
        "across": "{n} columns",
        "across_one": "{n} column",
        "rules": "No padding: every patch lies fully inside the image; leftover pixels at the "
        "edge are not used.",
        "per_image": "How many patches does one image give? Answer a whole number.",
        "per_batch": "How many patches does the whole batch give? Answer a whole number.",
        "shape": "x is unfolded with F.unfold(x, kernel_size={ks}, stride={st}), which puts "
        "each patch (all channels) in one column. What is the shape of the result? Answer the "
        "full shape, e.g. {example}.",
        "rule": "Patches along an axis: floor((size − patch) / stride) + 1.",
        "rows": "rows: floor(({h} − {kh}) / {sh}) + 1 = floor({rh}/{sh}) + 1 = {nh}",
        "cols": "columns: floor(({w} − {kw}) / {sw}) + 1 = floor({rw}/{sw}) + 1 = {nw}",
        "image": "Per image: {nh} × {nw} = {l} patches. Channels add no patches: each patch "
        "keeps every channel (C = {c}).",
        "batch": "Per batch: batch size × per image = {b} × {l} = {total}.",
        "unfold": "F.unfold gives (N, C·kh·kw, L) = ({b}, {c}·{kh}·{kw}, {l}) = {shape}.",
        "contrast": "The batch size ({b}) counts images per step; the patch size ({ps}) is the "
        "size of one image block: two different things.",
        "answer": "Answer: {value}.",
    },
    "zh": {
        "images": "一个批次有 B = {b} 张图像（{kind}），即形状为 {shape} 的张量 x（批大小 {b}："
        "每个训练步输入的图像数），",
        "images_one": "一个批次有 B = {b} 张图像（{kind}），即形状为 {shape} 的张量 x（批大小 {b}："
        "每个训练步输入的图像数），",
        "gray": "灰度",
        "rgb": "RGB",
        "chan": "{c} 个通道",
        "tiling": "把它切成互不重叠的 {kh}×{kw} 图像块（patch 大小 {ps}，步幅 {st}）。",
        "strided": "把它切成 {kh}×{kw} 的图像块（patch 大小 {ps}），每隔 {down}、{across}取"
        "一个新的图像块（步幅 {st}）。",
        "down": "{n} 行",
        "down_one": "{n} 行",
        "across": "{n} 列",
        "across_one": "{n} 列",
        "rules": "没有填充：每个图像块都完全在图像内部，边缘剩下的像素不使用。",
        "per_image": "一张图像能切出多少个图像块？请回答一个整数。",
        "per_batch": "整个批次一共能切出多少个图像块？请回答一个整数。",
        "shape": "用 F.unfold(x, kernel_size={ks}, stride={st}) 展开 x，它把每个图像块（含所有"
        "通道）放进一列。结果的形状是什么？请回答完整的形状，例如 {example}。",
        "rule": "沿一个轴的图像块数：floor((尺寸 − 块大小) / 步幅) + 1。",
        "rows": "行方向：floor(({h} − {kh}) / {sh}) + 1 = floor({rh}/{sh}) + 1 = {nh}",
        "cols": "列方向：floor(({w} − {kw}) / {sw}) + 1 = floor({rw}/{sw}) + 1 = {nw}",
        "image": "每张图像：{nh} × {nw} = {l} 个图像块。{c} 个通道不会增加图像块数：每个图像块"
        "包含所有通道。",
        "batch": "每个批次：批大小 × 每张图像的块数 = {b} × {l} = {total}。",
        "unfold": "F.unfold 的结果形状为 (N, C·kh·kw, L) = ({b}, {c}·{kh}·{kw}, {l}) = {shape}。",
        "contrast": "批大小（{b}）是每步输入的图像数；patch 大小（{ps}）是一个图像块的大小："
        "两者完全不同。",
        "answer": "答案：{value}。",
    },
}


def fmt(value: Any) -> str:
    return "(" + ", ".join(str(v) for v in value) + ")" if isinstance(value, list) else str(value)


def _values(p: dict[str, Any]) -> dict[str, Any]:
    b, c, h, w = p["input_shape"]
    (kh, kw), (sh, sw) = pair(p["kernel_size"]), pair(p["stride"])
    ps = str(kh) if kh == kw else f"{kh}×{kw}"
    return {
        "b": b,
        "c": c,
        "h": h,
        "w": w,
        "kh": kh,
        "kw": kw,
        "sh": sh,
        "sw": sw,
        "ps": ps,
        "ks": fmt(p["kernel_size"]),
        "st": fmt(p["stride"]),
        "shape": fmt(p["input_shape"]),
    }


def prompt_text(p: dict[str, Any], ask: str, lang: str) -> str:
    t, v = TEXT[lang], _values(p)
    c = v["c"]
    v["kind"] = t["gray"] if c == 1 else t["rgb"] if c == 3 else t["chan"].format(c=c)
    tiling = (v["kh"], v["kw"]) == (v["sh"], v["sw"])
    if ask == "shape":
        v["example"] = fmt(next(e for e in SHAPE_EXAMPLES if e != unfold_shape(p)))
    for key, n in (("down", v["sh"]), ("across", v["sw"])):  # "every 1 row and 2 columns"
        v[key] = t[key + "_one" if n == 1 else key].format(n=n)
    head = t["images_one" if v["b"] == 1 else "images"] + t["tiling" if tiling else "strided"]
    return "\n".join([head, t["rules"], t[ask]]).format(**v)


def solution_text(p: dict[str, Any], ask: str, r: dict[str, Any], lang: str) -> str:
    t, v = TEXT[lang], _values(p)
    nh, nw = r["per_axis"]
    v |= {"nh": nh, "nw": nw, "l": r["per_image"], "total": r["per_batch"]}
    v |= {"rh": v["h"] - v["kh"], "rw": v["w"] - v["kw"]}
    lines = [t["rule"], t["rows"], t["cols"], t["image"]]
    if ask == "per_batch":
        lines.append(t["batch"])
    if ask == "shape":
        v["shape"] = fmt(r["unfold_shape"])
        lines.append(t["unfold"])
    if ask != "shape":
        lines.append(t["contrast"])
    v["value"] = fmt(r["unfold_shape"] if ask == "shape" else r[ask])
    lines.append(t["answer"])
    return "\n".join(line.format(**v) for line in lines)


# ---------------------------------------------------------------- drawing params


def _level1(rng: random.Random) -> tuple[dict[str, Any], str]:
    """Square image, square patches, non-overlapping and fitting exactly."""
    size = rng.choice([32, 64, 128, 224, 256, 512, 1024])
    sides = (4, 8, 16, 32, 56, 64, 112, 128, 256)
    patch = rng.choice([k for k in sides if size % k == 0 and 2 <= size // k <= 8])
    shape = [rng.choice([2, 4, 8, 16, 32]), rng.choice([1, 3]), size, size]
    params = {"input_shape": shape, "kernel_size": patch, "stride": patch}
    return params, rng.choice(["per_image", "per_image", "per_batch"])


def _level2(rng: random.Random) -> tuple[dict[str, Any], str]:
    """Overlapping, gapped or not-fitting patches; square or rectangular images."""
    patch = rng.choice([3, 4, 5, 7, 8, 16, 32, 64])
    sub = rng.choice(["overlap", "overlap", "remainder", "gap"])
    if sub == "overlap":
        stride = rng.choice([s for s in (1, 2, patch // 4, patch // 2, patch - 1) if s >= 1])
    elif sub == "gap":
        stride = patch + rng.randint(1, max(1, patch // 2))
    else:
        stride = patch
    lo, hi = patch + 2 * stride, min(patch + 40 * stride, 1024)
    h = rng.randint(lo, hi)
    w = h if rng.random() < 0.5 else rng.randint(lo, hi)
    shape = [rng.choice([2, 4, 8, 16]), rng.choice([1, 3]), h, w]
    params = {"input_shape": shape, "kernel_size": patch, "stride": stride}
    return params, rng.choice(["per_image", "per_batch"])


def _level3(rng: random.Random) -> tuple[dict[str, Any], str]:
    """F.unfold's shape or the patches per batch, with rectangular patches and strides."""
    if rng.random() < 0.15:  # a ViT-style patch embedding
        size, patch = rng.choice([(224, 16), (224, 32), (96, 8), (128, 16), (64, 8)])
        shape = [rng.choice([1, 2]), 3, size, size]
        return {"input_shape": shape, "kernel_size": patch, "stride": patch}, "shape"
    kh, kw = rng.randint(2, 8), rng.randint(2, 8)
    kernel: Any = [kh, kw] if kh != kw or rng.random() < 0.5 else kh
    sh, sw = rng.randint(1, kh), rng.randint(1, kw)
    stride: Any = [sh, sw] if sh != sw or rng.random() < 0.5 else sh
    ask = rng.choice(["shape", "shape", "per_batch"])
    batch = rng.choice([1, 2, 4, 8] if ask == "shape" else [2, 4, 8])
    shape = [batch, rng.choice([1, 3, 4]), rng.randint(16, 96)]
    shape.append(rng.randint(16, 96))
    return {"input_shape": shape, "kernel_size": kernel, "stride": stride}, ask


def draw_params(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    draw = {1: _level1, 2: _level2, 3: _level3}[difficulty]
    for _ in range(1000):
        params, ask = draw(rng)
        if ask != "shape" or _numel(unfold_shape(params)) <= MAX_UNFOLD:
            return params, ask
    raise RuntimeError(f"{FAMILY}: no valid variant drawn")  # pragma: no cover


def _numel(shape: list[int]) -> int:
    return shape[0] * shape[1] * shape[2]


# ---------------------------------------------------------------- generator


@register
class Patches(Generator):
    id = FAMILY
    version = 1
    topic = "Training loop"
    topic_zh = "训练流程"
    title = "Patches of an image batch: patch size and stride vs batch size, F.unfold's shape"
    title_zh = "图像块（patch）与批次：patch 大小、步幅与批大小，F.unfold 的输出形状"
    formula_tex = (
        r"L = \left(\left\lfloor \frac{H - k_h}{s_h} \right\rfloor + 1\right)"
        r"\left(\left\lfloor \frac{W - k_w}{s_w} \right\rfloor + 1\right)"
    )
    levels = 3
    explanations = {
        "no-plus-one": "Count patch positions with floor((size − patch) / stride) + 1: the first "
        "position, at 0, counts too.",
        "overlap-ignored": "With a stride smaller (or larger) than the patch, patches overlap (or "
        "leave gaps): the count is not (size / patch) per axis.",
        "divide-by-stride": "size / stride counts start positions that run past the edge; the "
        "last patch must end inside the image: floor((size − patch) / stride) + 1.",
        "times-channels": "Channels add no patches: every patch keeps all C channels.",
        "times-batch": "That counts the whole batch; one image gives rows × columns patches.",
        "batch-forgotten": "Every image of the batch gives its own patches: multiply by the "
        "batch size.",
        "channels-forgotten": "Each column of F.unfold holds a whole patch over all channels: "
        "C·kh·kw values, not kh·kw.",
        "patches-dim-swapped": "F.unfold returns (N, C·kh·kw, L): the patches are the last "
        "dimension (transpose(1, 2) gives (N, L, C·kh·kw)).",
    }
    explanations_zh = {
        "no-plus-one": "图像块位置数用 floor((尺寸 − 块大小) / 步幅) + 1 计算：位于 0 的第一个"
        "位置也要算上。",
        "overlap-ignored": "步幅小于（或大于）块大小时，图像块会重叠（或留下间隙）：每个轴的块数"
        "不是 尺寸 / 块大小。",
        "divide-by-stride": "尺寸 / 步幅 会把超出边缘的起点也算进去；最后一个图像块必须完全在图像"
        "内：floor((尺寸 − 块大小) / 步幅) + 1。",
        "times-channels": "通道不会增加图像块数：每个图像块包含全部 C 个通道。",
        "times-batch": "这是整个批次的块数；一张图像的块数是 行数 × 列数。",
        "batch-forgotten": "批次中的每张图像都各自切出图像块：要乘以批大小。",
        "channels-forgotten": "F.unfold 的每一列是一个跨所有通道的完整图像块：C·kh·kw 个值，"
        "而不是 kh·kw。",
        "patches-dim-swapped": "F.unfold 返回 (N, C·kh·kw, L)：图像块在最后一维"
        "（transpose(1, 2) 之后才是 (N, L, C·kh·kw)）。",
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        params, ask = draw_params(rng, difficulty)
        return self.build(difficulty, params, ask)

    def build(self, difficulty: int, params: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        result = result_of(params, ask)
        expected = result["unfold_shape"] if ask == "shape" else result[ask]
        return self.question(
            difficulty,
            params=params,
            ask=ask,
            prompt=prompt_text(params, ask, "en"),
            kind="shape" if ask == "shape" else "int",
            expected=expected,
            result=result,
            answer=fmt(expected),
            solution=solution_text(params, ask, result, "en"),
            misconceptions=misconceptions(params, ask),
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt_text(q.params, q.ask, "zh"),
            "answer": fmt(q.expected),
            "solution": solution_text(q.params, q.ask, q.result, "zh"),
        }
