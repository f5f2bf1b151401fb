"""Receptive field of one output unit of a stack of conv / pool layers (no padding).

Formula (study notes): walk from the input to the output with RF_0 = 1 and the jump
S_i = product of the strides of all EARLIER layers (not the current one):

    RF_{i+1} = RF_i + (k_i - 1) * d_i * S_i

The misconceptions are the same walk with one step done wrong (see `receptive_field`).
"""

from __future__ import annotations

import math
import random
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

Layer = dict[str, Any]

CONV, MAXPOOL, AVGPOOL = "Conv2d", "MaxPool2d", "AvgPool2d"
MAX_STRIDE_PRODUCT = 8  # keeps the torch check's input small


def receptive_field(
    layers: list[Layer],
    *,
    use_strides: bool = True,
    use_dilation: bool = True,
    own_stride: bool = False,
) -> int:
    """RF of one unit of the last layer, in input pixels (the width of the square).

    use_strides=False: every jump taken as 1 (strides ignored).
    use_dilation=False: every dilation taken as 1.
    own_stride=True: the jump wrongly includes the current layer's own stride.
    """
    rf, jump = 1, 1
    for layer in layers:
        k, s = layer["kernel_size"], layer["stride"]
        d = layer["dilation"] if use_dilation else 1
        if own_stride and use_strides:
            jump *= s
        rf += (k - 1) * d * (jump if use_strides else 1)
        if not own_stride and use_strides:
            jump *= s
    return rf


def sum_of_kernels(layers: list[Layer]) -> int:
    """The naive rule 'the receptive field is the sum of the kernel sizes'."""
    return sum(layer["kernel_size"] for layer in layers)


def layer_text(layer: Layer) -> str:
    k, s, d = layer["kernel_size"], layer["stride"], layer["dilation"]
    if layer["layer"] == CONV:
        return f"Conv2d(kernel_size={k}, stride={s}, dilation={d})"
    return f"{layer['layer']}(kernel_size={k}, stride={s})"


def _conv(k: int, s: int = 1, d: int = 1) -> Layer:
    return {"layer": CONV, "kernel_size": k, "stride": s, "dilation": d}


def _pool(rng: random.Random) -> Layer:
    kind = rng.choice([MAXPOOL, MAXPOOL, AVGPOOL])
    return {"layer": kind, "kernel_size": rng.choice([2, 2, 3]), "stride": 2, "dilation": 1}


def _level1(rng: random.Random) -> list[Layer]:
    return [_conv(rng.choice([3, 3, 5, 7])) for _ in range(rng.randint(2, 3))]


def _level2(rng: random.Random) -> list[Layer]:
    layers = [_conv(rng.choice([3, 5, 7]), rng.choice([1, 1, 2]))]
    for _ in range(rng.randint(2, 4)):
        if rng.random() < 0.4 and layers[-1]["layer"] == CONV:
            layers.append(_pool(rng))
        else:
            layers.append(_conv(rng.choice([1, 3, 3, 3, 5]), rng.choice([1, 1, 1, 2])))
    return layers


def _level3(rng: random.Random) -> list[Layer]:
    layers = [_conv(rng.choice([3, 5, 7]), rng.choice([1, 2]))]
    for _ in range(rng.randint(3, 5)):
        if rng.random() < 0.3 and layers[-1]["layer"] == CONV:
            layers.append(_pool(rng))
        elif rng.random() < 0.5:
            k = rng.choice([3, 3, 5])
            layers.append(_conv(k, 1, rng.choice([2, 3] if k == 3 else [2])))
        else:
            layers.append(_conv(rng.choice([1, 3, 3, 5]), rng.choice([1, 1, 2])))
    return layers


def _acceptable(layers: list[Layer], difficulty: int) -> bool:
    if difficulty == 1:
        return True
    if math.prod(layer["stride"] for layer in layers) > MAX_STRIDE_PRODUCT:
        return False
    if not any(layer["stride"] > 1 for layer in layers[:-1]):
        return False  # strides must matter
    if difficulty == 3:
        # a dilated layer after a strided one, so dilation and jump interact
        first_stride = next(i for i, layer in enumerate(layers) if layer["stride"] > 1)
        return any(layer["dilation"] > 1 for layer in layers[first_stride + 1 :])
    return True


def draw_layers(rng: random.Random, difficulty: int) -> list[Layer]:
    make = {1: _level1, 2: _level2, 3: _level3}[difficulty]
    while True:
        layers = make(rng)
        if _acceptable(layers, difficulty):
            return layers


SOLUTION_HEAD = {
    "en": (
        "Walk from the input to the output. RF starts at 1 pixel; S (the jump) is the product\n"
        "of the strides of all EARLIER layers, i.e. how many input pixels apart two neighbouring\n"
        "units of this layer's input are; it starts at 1. Each layer adds (k - 1) * d * S:"
    ),
    "zh": (
        "从输入走到输出。RF（感受野）从 1 个像素开始；S（跳距）是所有【之前】各层步幅的\n"
        "乘积，即本层输入中相邻两个单元在输入图像上相隔多少像素，S 从 1 开始。\n"
        "每一层增加 (k - 1) * d * S："
    ),
}
PROMPT = {
    "en": (
        "A 2-d image goes through this stack of layers (square kernels, no padding; "
        "pooling layers have dilation 1):\n{listing}\n"
        "One output unit of the last layer sees a square region of the input image: its "
        "receptive field. How wide is that region, in input pixels? Count the full span, "
        "including pixels skipped over by dilation. Answer one integer, e.g. 7 for a "
        "7 x 7 region."
    ),
    "zh": (
        "一幅二维图像依次通过下面这些层（方形卷积核，无填充；池化层的膨胀为 1）：\n{listing}\n"
        "最后一层的一个输出单元能看到输入图像上的一个方形区域，即它的感受野。这个区域有多宽"
        "（以输入像素计）？请按完整跨度计算，包括因膨胀而跳过的像素。回答一个整数，例如 "
        "7 × 7 的区域回答 7。"
    ),
}


def prompt_text(layers: list[Layer], lang: str = "en") -> str:
    listing = "\n".join(f"  {i}. {layer_text(x)}" for i, x in enumerate(layers, 1))
    return PROMPT[lang].format(listing=listing)


def solution_text(layers: list[Layer], lang: str = "en") -> str:
    zh = lang == "zh"
    lines = [SOLUTION_HEAD[lang]]
    rf, jump = 1, 1
    for i, layer in enumerate(layers, 1):
        k, s, d = layer["kernel_size"], layer["stride"], layer["dilation"]
        new = rf + (k - 1) * d * jump
        step = f"  {i}. {layer_text(layer)}: RF = {rf} + ({k} - 1) * {d} * {jump} = {new}"
        if i < len(layers):
            step += (
                f"；然后 S = {jump} * {s} = {jump * s}"
                if zh
                else f"; then S = {jump} * {s} = {jump * s}"
            )
        lines.append(step)
        rf, jump = new, jump * s
    if layers[-1]["stride"] > 1:
        lines.append(
            "最后一层自身的步幅不会改变其输出单元的感受野。"
            if zh
            else "The last layer's own stride does not change its units' receptive field."
        )
    if zh:
        lines.append(f"感受野是 {rf} × {rf} 个输入像素：答案为 {rf}。")
    else:
        lines.append(f"The receptive field is {rf} x {rf} input pixels: answer {rf}.")
    return "\n".join(lines)


@register
class ReceptiveField(Generator):
    id = "receptive-field"
    version = 1
    topic = "Receptive field"
    title = "Receptive field of a stack of conv / pooling layers (stride, dilation)"
    formula_tex = r"RF_{i+1} = RF_i + (k_i - 1)\, d_i \prod_{j<i} s_j, \quad RF_0 = 1"
    levels = 3
    explanations = {
        "rf-no-strides": (
            "Each layer's (k - 1) * d must be multiplied by the product of the strides of the "
            "earlier layers, because after a stride a step of one unit spans several input pixels."
        ),
        "rf-dilation-ignored": (
            "A dilated kernel spans (k - 1) * d + 1 pixels, so each layer adds (k - 1) * d * S, "
            "not (k - 1) * S."
        ),
        "rf-own-stride": (
            "A layer's own stride only spaces out its output units; the jump S_i that scales its "
            "kernel is the product of the strides of the earlier layers only."
        ),
        "rf-sum-kernels": (
            "Kernel sizes do not simply add up: stacked windows overlap, so each layer adds "
            "(k - 1) * d * S pixels to a receptive field that starts at 1."
        ),
    }

    topic_zh = "感受野"
    title_zh = "卷积层 / 池化层堆叠的感受野（步幅、膨胀）"
    explanations_zh = {
        "rf-no-strides": (
            "每一层的 (k - 1) * d 都要乘以之前各层步幅的乘积：经过步幅之后，相邻一个单元在输入上"
            "跨越好几个像素。"
        ),
        "rf-dilation-ignored": (
            "膨胀后的卷积核覆盖 (k - 1) * d + 1 个像素，所以每一层增加 (k - 1) * d * S，"
            "而不是 (k - 1) * S。"
        ),
        "rf-own-stride": (
            "一层自身的步幅只拉开它的输出单元之间的距离；放大其卷积核的跳距 S_i 只是之前各层"
            "步幅的乘积。"
        ),
        "rf-sum-kernels": (
            "卷积核大小不能简单相加：堆叠的窗口相互重叠，所以感受野从 1 开始，每一层增加 "
            "(k - 1) * d * S 个像素。"
        ),
    }

    def square_side(self, q: Question) -> bool:
        return True  # "7 for a 7 x 7 region": 7 x 7 is read as 7

    def zh(self, q: Question) -> dict[str, str]:
        layers = q.params["layers"]
        return {
            "prompt": prompt_text(layers, "zh"),
            "answer": q.answer,
            "solution": solution_text(layers, "zh"),
        }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        return self.build(difficulty, draw_layers(rng, difficulty))

    def build(self, difficulty: int, layers: list[Layer]) -> Question:
        """The question for a given stack (also used by the tests for known values)."""
        rf = receptive_field(layers)
        prompt = prompt_text(layers)
        misconceptions = [
            ("rf-no-strides", receptive_field(layers, use_strides=False)),
            ("rf-dilation-ignored", receptive_field(layers, use_dilation=False)),
            ("rf-own-stride", receptive_field(layers, own_stride=True)),
            ("rf-sum-kernels", sum_of_kernels(layers)),
        ]
        return self.question(
            difficulty,
            params={"layers": layers},
            ask="result",
            prompt=prompt,
            kind="int",
            expected=rf,
            result=rf,
            answer=str(rf),
            solution=solution_text(layers),
            misconceptions=misconceptions,
        )
