"""conv-output: formula functions, torch agreement over many seeds, snippets, grading."""

from __future__ import annotations

import contextlib
import io
import re
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from quizzer.answers import grade, hint
from quizzer.errors import AnswerFormatError, Rejected
from quizzer.generators import get, localized
from quizzer.generators._conv import per_dim, refusal, same_pads
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
            if q.expected is None:
                forms = ["error", "Error", "RuntimeError", "报错"]
            elif q.kind == "shape":
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
                g = grade(q, "error" if m.value is None else fmt(m.value))
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


# ---------------------------------------------------------------- torch refuses: "error"


def _verified(params: dict[str, Any], ask: str = "shape", level: int = 3) -> Question:
    q = verify(_q(params, ask, level))
    assert q.verified and q.torch_check is not None
    return q


def test_refusal_conditions() -> None:
    """The formula side of torch's checks (each is confirmed by torch below)."""
    assert refusal(build_params("MaxPool2d", [1, 1, 20, 20], 2, None, 1)) is None
    assert refusal(build_params("MaxPool2d", [1, 1, 20, 20], 2, None, 2)) == "pool-padding"
    assert refusal(build_params("AvgPool2d", [1, 1, 10, 10], [4, 2], None, [1, 2])) == (
        "pool-padding"  # every dimension on its own: 2 > 2 // 2 in the width
    )
    assert refusal(build_params("Conv2d", [1, 3, 8, 8], 3, 2, "same")) == "same-strided"
    assert refusal(build_params("Conv2d", [1, 3, 8, 8], 4, 1, "same")) is None
    assert refusal(build_params("Conv1d", [1, 3, 6], 7, 1, "valid")) == "too-small"
    assert refusal(build_params("Conv1d", [1, 8, 5], 4, 2, 0, 2)) == "too-small"
    assert refusal(build_params("Conv1d", [1, 8, 5], 4, 2, 1, 2)) is None  # 5 + 2 = 7 fits
    assert same_pads(4) == (1, 2) and same_pads(6, 3) == (7, 8) and same_pads(3, 2) == (2, 2)
    same = build_params("Conv2d", [1, 3, 20, 30], 7, 2, "same")
    assert output_shape(same) == [1, 8, 10, 15]  # what 'same' padding would give: ceil(n / s)


# Messages recorded by running torch 2.13 on these layers (the checker must reproduce them).
POOL_MESSAGE = "RuntimeError: pad should be at most half of effective kernel size, but got "
REFUSED = [
    (
        build_params("MaxPool2d", [1, 1, 20, 20], 2, None, 2),
        POOL_MESSAGE + "pad=2, kernel_size=2 and dilation=1",
        {"pool-padding-limit": [1, 1, 12, 12]},
    ),
    (
        build_params("AvgPool1d", [1, 1, 20], 2, None, 2),
        POOL_MESSAGE + "pad=2, kernel_size=2 and dilation=1",
        {"pool-padding-limit": [1, 1, 12]},
    ),
    (
        build_params("MaxPool1d", [1, 1, 20], 3, None, 2),
        "RuntimeError: max_pool1d() padding should be at most half of kernel size, but got "
        "padding=2 and kernel_size=3",
        {"pool-padding-limit": [1, 1, 8]},
    ),
    (  # padding 2 <= half the dilated span 5, but > half of kernel_size 3: still refused
        build_params("MaxPool2d", [1, 1, 20, 20], 3, None, 2, 2),
        "RuntimeError: pad should be smaller than or equal to half of kernel size, but got "
        "padW = 2, padH = 2, kW = 3, kH = 3",
        {"pool-padding-limit": [1, 1, 7, 7]},
    ),
    (
        build_params("Conv1d", [1, 8, 5], 4, 2, 0, 2),
        "RuntimeError: Calculated padded input size per channel: (5). Kernel size: (7). "
        "Kernel size can't be greater than actual input size",
        {"output-below-one": [1, 8, 0], "dilation-ignored": [1, 8, 1]},
    ),
    (
        build_params("MaxPool2d", [1, 3, 5, 5], 3, None, 0, 3),
        "RuntimeError: Given input size: (3x5x5). Calculated output size: (3x0x0). "
        "Output size is too small",
        {"output-below-one": [1, 3, 0, 0], "dilation-ignored": [1, 3, 1, 1]},
    ),
    (
        build_params("Conv2d", [2, 3, 20, 30], 7, 2, "same"),
        "ValueError: padding='same' is not supported for strided convolutions",
        {"same-strided": [2, 8, 20, 30], "tf-same": [2, 8, 10, 15]},
    ),
]


@pytest.mark.parametrize(("params", "output", "mistakes"), REFUSED)
def test_torch_refuses_known_layers(
    params: dict[str, Any], output: str, mistakes: dict[str, Any]
) -> None:
    q = _verified(params)
    assert q.expected is None and q.result is None and q.answer == "error" and q.allow_undefined
    assert q.torch_check is not None and q.torch_check.output == output
    assert {m.id: m.value for m in q.misconceptions} == mistakes
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(q.torch_check.code, {})  # the snippet shown to the learner
    assert buf.getvalue().rstrip("\n") == output
    assert "torch raises an error" in q.solution and "answer error" in q.prompt
    assert grade(q, "error").correct and grade(q, "报错").correct
    g = grade(q, fmt(next(iter(mistakes.values()))))
    assert not g.correct and g.mistake_ids[0] == next(iter(mistakes))


@pytest.mark.parametrize(
    ("params", "ask", "expected", "mistakes"),
    [
        (  # an even kernel: 'same' pads 1 before and 2 after
            build_params("Conv1d", [1, 3, 10], 4, 1, "same"),
            "length",
            10,
            {
                "same-half-kernel": 11,
                "same-symmetric": 9,
                "same-valid-swapped": 7,
                "same-even-refused": None,
            },
        ),
        (  # dilation 2: 'same' pads 2·(3 − 1) = 4, not 3 // 2 = 1 on each side
            build_params("Conv1d", [1, 3, 10], 3, 1, "same", 2),
            "length",
            10,
            {"same-half-kernel": 8, "same-valid-swapped": 6, "torch-accepts": None},
        ),
        (
            build_params("Conv2d", [1, 1, 19, 7], 5, 3, "valid", out_channels=16),
            "height",
            5,
            {"no-plus-one": 4, "floor-vs-ceil": 6, "valid-refused": None},
        ),
        (  # padding = kernel_size // 2 is allowed, with any dilation
            build_params("MaxPool2d", [1, 1, 20, 20], 4, None, 2, 2),
            "width",
            5,
            {
                "padding-once": 4,
                "dilation-ignored": 6,
                "no-plus-one": 4,
                "floor-vs-ceil": 6,
                "pool-stride-1": 18,
                "pool-padding-at-half": None,  # "error" typed here: p = k/2 is allowed
            },
        ),
    ],
)
def test_torch_accepts_known_layers(
    params: dict[str, Any], ask: str, expected: int, mistakes: dict[str, Any]
) -> None:
    q = _verified(params, ask)
    assert q.expected == expected and q.torch_check is not None
    assert q.torch_check.output == f"torch.Size({q.result})"
    assert {m.id: m.value for m in q.misconceptions} == mistakes
    assert not grade(q, "error").correct
    if "same-even-refused" in mistakes:
        assert grade(q, "error").mistake_ids == ("same-even-refused",)


def test_pool_padding_limit_is_half_the_kernel_whatever_the_dilation() -> None:
    """torch raises exactly where refusal() says so (verify rejects any disagreement)."""
    refused = 0
    for k in range(2, 6):
        for d in (1, 2, 3):
            for p in range(k + 1):
                params = build_params("MaxPool2d", [1, 1, 24, 24], k, 1, p, d)
                q = _verified(params)
                assert (q.expected is None) == (p > k // 2), (k, d, p)
                refused += q.expected is None
    assert refused == 3 * (1 + 2 + 2 + 3)


def test_conv_same_strided_and_too_small_inputs_against_torch() -> None:
    for layer in ("Conv1d", "Conv2d"):
        for n in range(1, 9):
            for k, s, p, d in [(3, 1, 0, 2), (4, 2, 1, 2), (5, 1, "valid", 1), (3, 2, "same", 1)]:
                shape = [1, 2, n] if layer == "Conv1d" else [1, 2, n, 9]
                q = _verified(build_params(layer, shape, k, s, p, d))
                assert (q.expected is None) == (refusal(q.params) is not None)


def test_error_option_in_every_shape_question_of_levels_2_and_3(
    drawn: dict[int, list[Question]],
) -> None:
    for q in drawn[1]:
        assert not q.allow_undefined and "error" not in q.prompt
        with pytest.raises(AnswerFormatError):
            grade(q, "error")
    for level in (2, 3):
        for q in drawn[level]:
            shape_ask = q.ask not in ("padding", "kernel_size")
            assert q.allow_undefined == shape_ask
            assert ("answer error" in q.prompt) == shape_ask
            assert ("回答 error" in localized(q, "zh")["prompt"]) == shape_ask
            if shape_ask:
                assert "'error'" in hint(q)


def _case(q: Question) -> str:
    pad, reason = q.params.get("padding"), refusal(q.params)
    if reason:
        return reason + ("+dilation" if q.params.get("dilation", 1) not in (1, [1, 1]) else "")
    if pad == "same":
        ks = q.params["kernel_size"]
        return "same-even" if any(k % 2 == 0 for k in per_dim(ks, 2)) else "same"
    return "valid" if pad == "valid" else "textbook"


def test_every_new_case_is_drawn_dozens_of_times(drawn: dict[int, list[Question]]) -> None:
    counts = {level: Counter(_case(q) for q in drawn[level]) for level in LEVELS}
    assert counts[1] == {"textbook": 1000}
    two, three = counts[2], counts[3]
    assert min(two["pool-padding"], two["same-strided"], two["same"], two["valid"]) >= 50
    assert min(three["too-small+dilation"], three["pool-padding+dilation"]) >= 50
    assert three["same-even"] >= 100
    for level in (2, 3):
        errors = sum(q.expected is None for q in drawn[level])
        assert 100 <= errors <= 250, (level, errors)  # 10–25% of the draws
        assert sum(q.attempt for q in drawn[level]) == 0  # torch never disagreed
    for q in drawn[3]:
        if _case(q) == "same-even":
            left, right = same_pads(*_first(q.params["kernel_size"], q.params["dilation"]))
            assert f"{left} before and {right} after" in q.solution


def _first(k: Any, d: Any) -> tuple[int, int]:
    ks = k if isinstance(k, list) else [k]
    return ks[0], d


def test_chinese_text_of_an_error_question() -> None:
    gen = get(FAMILY)
    q = _q(build_params("MaxPool1d", [1, 3, 34], 5, 2, 5, 3), "shape", 3)
    zh = gen.zh(q)
    assert zh["answer"] == "error"
    assert zh["prompt"].endswith(
        "回答完整形状，例如 (N, C, L)。如果 torch 拒绝这个层或这个输入（报错），回答 error。"
    )
    assert zh["solution"].splitlines() == [
        "torch 要求池化层在每个维度上 padding 不超过 kernel_size / 2。",
        "L：padding = 5 > 5 / 2：torch 拒绝。",
        "dilation 不会放宽这个限制：上限是 kernel_size = 5 的一半，而不是膨胀后跨度 "
        "3·(5 − 1) + 1 = 13 的一半。",
        "所以 torch 报错，而不是算出一个形状：答案是 error。",
        "如果没有这项检查，公式会得到 (1, 3, 16)。",
    ]
    assert q.solution.splitlines()[1] == "L: padding = 5 > 5 / 2: torch refuses it."


def test_error_typed_where_torch_accepts_names_why():
    """At the levels whose questions may answer "error", typing it for a layer torch
    computes names the stricter rule the learner assumed (or that torch accepts)."""
    from quizzer.answers import grade
    from quizzer.generators import get

    gen = get("conv-output")
    cases = [
        # AvgPool1d(kernel_size=4, stride=2, padding=2) on length 58: padding = k/2 is allowed
        (build_params("AvgPool1d", [2, 8, 58], 4, 2, 2), "length", ("pool-padding-at-half",)),
        # a dilated kernel exactly as long as the padded input: out = 1
        (build_params("Conv1d", [1, 3, 7], 3, 1, 0, 3), "length", ("kernel-fills-input",)),
        (build_params("Conv2d", [1, 3, 9, 9], 3, 1, "valid"), "shape", ("valid-refused",)),
        (build_params("Conv2d", [1, 3, 9, 9], 3, 2, 1), "shape", ("torch-accepts",)),
    ]
    for params, ask, named in cases:
        q = verify(make_question(gen, params, ask, 2))
        assert q.expected is not None and q.allow_undefined
        g = grade(q, "error")
        assert not g.correct and g.mistake_ids == named, (params, g.mistake_ids)
