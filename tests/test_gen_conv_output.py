"""conv-output: formula functions, torch agreement over many seeds, snippets, grading."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from quizzer.answers import grade
from quizzer.errors import Rejected
from quizzer.generators import get
from quizzer.generators.conv_output import (
    build_params,
    conv_out,
    fmt,
    make_question,
    output_shape,
    solve,
)
from quizzer.question import Question
from quizzer.verify import draw, verify

FAMILY = "conv-output"
SEEDS = range(1000)
LEVELS = (1, 2, 3)


@pytest.fixture(scope="module")
def drawn() -> dict[int, list[Question]]:
    return {level: [draw(FAMILY, seed, level) for seed in SEEDS] for level in LEVELS}


def _q(params: dict[str, Any], ask: str = "shape", difficulty: int = 1) -> Question:
    return make_question(get(FAMILY), params, ask, difficulty)


# ---------------------------------------------------------------- formula


def test_formula_known_values() -> None:
    assert conv_out(4, 3, 3, 1) == 2  # the notes' nn.MaxPool2d(kernel_size=3, padding=1)
    assert conv_out(28, 5, 1, 2) == 28  # LeNet's first conv
    assert conv_out(224, 11, 4, 1) == 54  # AlexNet's first conv (padding=1)
    assert conv_out(54, 3, 2) == 26  # MaxPool2d(3, 2) after it
    assert conv_out(32, 5, 1, 2) == 32
    assert conv_out(10, 3, 1, 0, 2) == 6  # dilated kernel spans 5
    assert conv_out(7, 2, 2, 0, 1, ceil=True) == 4  # ceil((7 - 2) / 2) + 1
    assert conv_out(5, 2, 2, 1, 1, ceil=True) == 3  # last window would start in the padding


def test_formula_misconceptions() -> None:
    assert conv_out(32, 5, 1, 2, padding_once=True) == 30
    assert conv_out(32, 5, 1, 2, no_plus_one=True) == 31
    assert conv_out(10, 3, 1, 0, 2, dilation_ignored=True) == 8
    assert conv_out(224, 11, 4, 1, ceil=True) == 55  # floor-vs-ceil: ceil where torch floors
    assert conv_out(7, 2, 2, 0, 1, ceil=False) == 3  # floor-vs-ceil under ceil_mode=True
    assert conv_out(5, 2, 2, 1, 1, ceil=True, last_window_rule=False) == 4
    pool = build_params("MaxPool2d", [1, 1, 8, 8], 2, None)
    assert output_shape(pool) == [1, 1, 4, 4]
    assert output_shape(pool, pool_stride_1=True) == [1, 1, 7, 7]


def test_solve_missing_parameter() -> None:
    conv = build_params("Conv2d", [1, 3, 32, 32], 5, 1, 2, out_channels=16)
    target = [1, 16, 32, 32]
    assert solve(conv, "padding", target) == 2
    assert solve(conv, "padding", target, padding_once=True) == 4  # notes-total-padding
    assert solve(conv, "kernel_size", target) == 5
    dilated = build_params("Conv1d", [1, 3, 28], 3, 1, 1, 2, out_channels=8)
    assert solve(dilated, "kernel_size", [1, 8, 26]) == 3
    assert solve(dilated, "kernel_size", [1, 8, 26], dilation_ignored=True) == 5
    strided = build_params("Conv1d", [1, 3, 9], 3, 3, 0, out_channels=8)
    assert solve(strided, "padding", [1, 8, 3]) is None  # padding 0 and 1 both give 3


# ---------------------------------------------------------------- torch, known values


@pytest.mark.parametrize(
    ("params", "shape"),
    [
        (build_params("MaxPool2d", [1, 1, 4, 4], 3, None, 1), [1, 1, 2, 2]),
        (build_params("Conv2d", [1, 1, 28, 28], 5, 1, 2, out_channels=6), [1, 6, 28, 28]),
        (build_params("Conv2d", [1, 1, 224, 224], 11, 4, 1, out_channels=96), [1, 96, 54, 54]),
        (build_params("MaxPool2d", [1, 96, 54, 54], 3, 2), [1, 96, 26, 26]),
        (build_params("AvgPool1d", [2, 3, 5], 2, 2, 1, ceil_mode=True), [2, 3, 3]),
    ],
)
def test_known_values_through_torch(params: dict[str, Any], shape: list[int]) -> None:
    q = verify(_q(params))
    assert q.verified and q.result == shape and q.expected == shape
    assert q.torch_check is not None
    assert q.torch_check.output == f"torch.Size({shape})"


def test_notes_example_prompt_and_misconceptions() -> None:
    q = _q(build_params("MaxPool2d", [1, 1, 4, 4], 3, None, 1), "height")
    assert q.expected == 2
    assert "nn.MaxPool2d(kernel_size=3, padding=1)" in q.prompt
    assert "stride is left at its default" in q.prompt
    ids = {m.id: m.value for m in q.misconceptions}
    assert ids["pool-stride-1"] == 4  # stride 1: 4 + 2 - 3 + 1
    assert ids["padding-once"] == 1  # floor((4 + 1 - 3) / 3) + 1


def test_missing_padding_question() -> None:
    params = build_params("Conv2d", [1, 3, 32, 32], 5, 1, 2, out_channels=16)
    q = verify(_q(params | {"output_shape": [1, 16, 32, 32]}, "padding", 2))
    assert q.expected == 2 and q.answer == "2" and "keeps the spatial size 32×32" in q.prompt
    assert {m.id: m.value for m in q.misconceptions}["notes-total-padding"] == 4
    assert q.torch_check is not None
    assert q.torch_check.output.splitlines() == [
        "padding=1: torch.Size([1, 16, 30, 30])",
        "padding=2: torch.Size([1, 16, 32, 32])",
        "padding=3: torch.Size([1, 16, 34, 34])",
    ]


def test_checker_rejects_non_unique_missing_parameter() -> None:
    good = build_params("Conv1d", [1, 3, 9], 3, 1, 1, out_channels=8)
    q = _q(good | {"output_shape": [1, 8, 9]}, "padding", 2)
    bad = build_params("Conv1d", [1, 3, 9], 3, 3, 1, out_channels=8)  # padding 0 or 1: length 3
    with pytest.raises(Rejected, match="not unique"):
        verify(replace(q, params=bad | {"output_shape": [1, 8, 3]}, result=[1, 8, 3]))


# ---------------------------------------------------------------- many seeds


def test_levels_differ(drawn: dict[int, list[Question]]) -> None:
    def has_list(q: Question) -> bool:
        return any(isinstance(v, list) for k, v in q.params.items() if not k.endswith("_shape"))

    one, two, three = drawn[1], drawn[2], drawn[3]
    assert {q.params["layer"] for q in one} == {"Conv2d", "MaxPool2d"}
    assert {q.ask for q in one} == {"shape", "height", "width"}
    assert not any(has_list(q) or q.params.get("dilation", 1) != 1 for q in one)
    assert not any(q.params.get("ceil_mode") or q.params["stride"] is None for q in one)
    assert {q.params["layer"] for q in two} >= {"AvgPool2d", "Conv1d", "MaxPool1d", "AvgPool1d"}
    assert any(q.params.get("ceil_mode") for q in two)
    assert any(q.params.get("stride", 1) is None for q in two)
    assert {"padding", "length", "shape"} <= {q.ask for q in two}
    assert not any(has_list(q) or q.params.get("dilation", 1) != 1 for q in two)
    assert not any(m.id == "ceil-last-window" for q in two for m in q.misconceptions)
    assert any(q.params.get("dilation", 1) not in (1, [1, 1]) for q in three)
    assert any(has_list(q) for q in three)
    assert "kernel_size" in {q.ask for q in three}
    assert any(m.id == "ceil-last-window" for q in three for m in q.misconceptions)


def test_grading(drawn: dict[int, list[Question]]) -> None:
    for level in LEVELS:
        for q in drawn[level][:40]:
            if q.kind == "shape":
                forms = [
                    fmt(q.expected),
                    str(q.expected),
                    "x".join(map(str, q.expected)),
                    "×".join(map(str, q.expected)),
                    f"torch.Size({q.expected})",
                ]
            else:
                forms = [str(q.expected), f" {q.expected} ", f"{q.expected}.0"]
            for text in forms:
                assert grade(q, text).correct, (q.prompt, text)
            for m in q.misconceptions:
                g = grade(q, fmt(m.value))
                assert not g.correct and m in g.misconceptions


# ---------------------------------------------------------------- Chinese

NUMBER = re.compile(r"\d+")


def test_chinese_text_has_the_english_numbers(drawn: dict[int, list[Question]]) -> None:
    """zh() rebuilds the text from the question alone, with the same numbers in the same order."""
    gen = get(FAMILY)
    for level in LEVELS:
        for q in drawn[level][::5]:
            zh = gen.zh(q)
            for key in ("prompt", "answer", "solution"):
                assert NUMBER.findall(zh[key]) == NUMBER.findall(getattr(q, key)), (q.seed, key)


def test_chinese_text_of_known_questions() -> None:
    gen = get(FAMILY)
    zh = gen.zh(_q(build_params("MaxPool2d", [1, 1, 4, 4], 3, None, 1), "height"))
    assert zh["prompt"] == (
        "层 nn.MaxPool2d(kernel_size=3, padding=1) 接收形状为 (1, 1, 4, 4) 的输入。\n"
        "未写出的参数取 torch 的默认值：stride 未指定（stride=None），dilation=1，"
        "ceil_mode=False。\n输出的高度（height）是多少？回答一个整数。"
    )
    assert zh["answer"] == "2"
    assert "stride 为 None，因此默认等于 kernel_size = 3。" in zh["solution"]
    assert zh["solution"].endswith("池化保持 1 个通道不变。\n输出形状：(1, 1, 2, 2)；高度 = 2。")
    ceil = gen.zh(_q(build_params("AvgPool1d", [2, 3, 5], 2, 2, 1, ceil_mode=True)))
    assert "（ceil_mode=True：用 ceil 代替 floor）" in ceil["solution"]
    assert "即落在右侧填充中，因此 torch 丢弃它：L = 3" in ceil["solution"]
    params = build_params("Conv2d", [1, 3, 32, 32], 5, 1, 2, out_channels=16)
    pad = gen.zh(_q(params | {"output_shape": [1, 16, 32, 32]}, "padding", 2))
    assert (
        "哪个 padding 值能保持空间尺寸 32×32 不变，即输出形状为 (1, 16, 32, 32)？" in pad["prompt"]
    )
    assert pad["solution"].startswith(
        "步幅为 1 时：out = n + 2·padding − 1·(5 − 1)。对 H：32 = 32 + 2·padding − 4 → "
        "2·padding = 4 → padding = 2。\n逐个维度验证："
    )
    assert set(gen.explanations_zh) == set(gen.explanations)
    assert (gen.topic_zh, gen.title_zh.startswith("Conv/MaxPool/AvgPool")) == ("卷积", True)
