"""transposed-conv: the notes' W' = (W − 1)·S + K − 2P and torch's full formula on known
values, the misconception formulas, the output_padding questions, and what each level asks.
(Every family's 1,000-seed, snippet, grading and Chinese checks are in test_generators.py.)"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from quizzer.answers import grade, hint
from quizzer.errors import AnswerFormatError, Rejected
from quizzer.generators import get, localized
from quizzer.generators.transposed_conv import (
    build_params,
    make_question,
    missing_output_padding,
    output_shape,
    refusal,
    tconv_out,
    valid,
)
from quizzer.question import Question
from quizzer.verify import draw_many, verify

FAMILY = "transposed-conv"
SEEDS = list(range(300))


@pytest.fixture(scope="module")
def drawn() -> dict[int, list[Question]]:
    return {level: draw_many(FAMILY, SEEDS, level) for level in (1, 2, 3)}


def _q(params: dict[str, Any], ask: str = "shape", difficulty: int = 1, sub: str = "") -> Question:
    return make_question(get(FAMILY), params, ask, difficulty, sub)


# ---------------------------------------------------------------- formula


@pytest.mark.parametrize(
    ("w", "k", "s", "p", "out"),
    [
        (4, 3, 1, 0, 6),  # stride 1, no padding: W + K − 1
        (3, 3, 2, 1, 5),  # (3 − 1)·2 + 3 − 2
        (7, 4, 2, 1, 14),  # kernel 4, stride 2, padding 1 doubles the size exactly
        (4, 2, 2, 0, 8),  # kernel = stride: every input pixel becomes a 2×2 block
        (12, 4, 2, 0, 26),
        (5, 5, 3, 2, 13),
    ],
)
def test_notes_formula_is_torchs_with_dilation_1_and_no_output_padding(w, k, s, p, out) -> None:
    notes = (w - 1) * s + k - 2 * p  # the notes' W' = (W − 1)·S + K − 2P
    assert notes == tconv_out(w, k, s, p) == out
    q = verify(_q(build_params("ConvTranspose2d", [1, 3, w, w], k, s, p, out_channels=4)))
    assert q.result == [1, 4, out, out]
    assert q.torch_check is not None and q.torch_check.output == f"torch.Size([1, 4, {out}, {out}])"
    assert "W' = (W − 1)·S + K − 2P" in q.solution


def test_full_formula_known_values() -> None:
    assert tconv_out(7, 3, 2, 1, 1) == 14  # output_padding 1 restores a stride-2 conv's 14
    assert tconv_out(8, 5, 2, 2, 1, 2) == 20  # (8 − 1)·2 − 4 + 2·4 + 1 + 1
    assert tconv_out(3, 3, 1, 0, 1, 2) == 8  # output_padding 1 < dilation 2 although stride 1
    params = build_params("ConvTranspose1d", [2, 8, 8], 5, 2, 2, 1, 2, out_channels=8)
    q = verify(_q(params, "length", 3))
    assert q.expected == 20 and q.result == [2, 8, 20]
    assert "+ 1 + 1 = 20" in q.solution and "W' =" not in q.solution


def test_misconception_formulas() -> None:
    assert tconv_out(7, 3, 2, 1) == 13
    assert tconv_out(7, 3, 2, 1, conv_formula=True) == 4  # floor((7 + 2 − 3)/2) + 1
    assert tconv_out(7, 3, 2, 1, padding_added=True) == 17
    assert tconv_out(7, 3, 2, 1, padding_once=True) == 14
    assert tconv_out(7, 3, 2, 1, w_times_s=True) == 15
    assert tconv_out(7, 3, 2, 1, 1, output_padding_ignored=True) == 13
    assert tconv_out(7, 3, 2, 1, 0, 2) == 15
    assert tconv_out(7, 3, 2, 1, 0, 2, dilation_ignored=True) == 13
    assert tconv_out(7, 3, 2, 1, 0, 2, no_plus_one=True) == 14
    params = build_params("ConvTranspose2d", [1, 4, 7, 7], 3, 2, 1, 1, 2)
    values = {m.id: m.value for m in _q(params, "height", 3).misconceptions}
    assert values == {
        "conv-formula": 3,  # floor((7 + 2 − 5)/2) + 1
        "padding-added": 20,
        "padding-once": 17,
        "output-padding-ignored": 15,
        "dilation-ignored": 14,
        "notes-special-case": 13,
        "w-times-s": 18,
        "no-plus-one": 15,  # the same wrong answer as output-padding-ignored: both are named
        "torch-accepts": None,  # level 3 may answer "error": typing it here is named too
    }


def test_validity_matches_torch() -> None:
    ok = build_params("ConvTranspose2d", [1, 2, 3, 3], 3, 1, 0, 1, 2)
    assert valid(ok) and refusal(ok) is None
    assert verify(_q(ok)).result == [1, 8, 8, 8]
    too_big = build_params("ConvTranspose2d", [1, 2, 3, 3], 3, 2, 0, 2)  # op 2 = stride
    assert not valid(too_big) and refusal(too_big) == "output-padding"
    # a level-1 question claims a shape: torch raises, so the variant is rejected
    with pytest.raises(Rejected, match=r"formula \[1, 8, 9, 9\] != torch None"):
        verify(replace(_q(ok), params=too_big, result=output_shape(too_big)))
    cropped = build_params("ConvTranspose2d", [1, 2, 3, 3], 2, 1, 2)  # (3 − 1) + 2 − 4 = 0
    assert not valid(cropped) and refusal(cropped) == "too-small"


# ---------------------------------------------------------------- output_padding questions


def test_output_padding_that_inverts_a_stride_2_conv() -> None:
    params = build_params("ConvTranspose2d", [1, 8, 7, 7], 3, 2, 1, 1, out_channels=4)
    params |= {"output_shape": [1, 4, 14, 14]}
    q = verify(_q(params, "output_padding", 3, "inverse"))
    assert q.expected == 1 and q.answer == "1"
    assert "nn.Conv2d(4, 8, kernel_size=3, stride=2, padding=1)" in q.prompt
    assert "output_padding=?" in q.prompt and "max(stride, dilation)" in q.prompt
    assert q.torch_check is not None
    assert q.torch_check.output.splitlines() == [
        "output_padding=0: torch.Size([1, 4, 13, 13])",
        "output_padding=1: torch.Size([1, 4, 14, 14])",
    ]
    assert "remainder 1" in q.solution
    zh = localized(q, "zh")
    assert "卷积层 nn.Conv2d(4, 8" in zh["prompt"] and "余数 1" in zh["solution"]


def test_output_padding_for_an_exact_upsampling() -> None:
    params = build_params("ConvTranspose1d", [1, 4, 5], 2, 3, 0, 1, out_channels=2)
    params |= {"output_shape": [1, 2, 15]}  # (5 − 1)·3 + 2 + 1 = 15 = 3·5
    q = verify(_q(params, "output_padding", 3, "target"))
    assert q.expected == 1
    assert "upsampling by 3" in q.prompt and "every dimension" not in q.prompt
    assert missing_output_padding(params, [1, 2, 15], w_times_s=True) == -2  # not offered
    assert {m.id: m.value for m in q.misconceptions} == {"no-plus-one": 2}


def test_missing_output_padding_misconceptions() -> None:
    params = build_params("ConvTranspose2d", [1, 8, 6, 6], 3, 3, 1, 2, out_channels=8)
    params |= {"output_shape": [1, 8, 18, 18]}  # (6 − 1)·3 − 2 + 2 + 2 + 1
    q = verify(_q(params, "output_padding", 3, "target"))
    assert q.expected == 2
    values = {m.id: m.value for m in q.misconceptions}
    assert values == {"padding-once": 1, "no-plus-one": 3}  # the others would be < 0
    assert missing_output_padding(params, [1, 8, 18, 18], padding_added=True) == -2
    assert missing_output_padding(params, [1, 8, 18, 19]) is None  # dims disagree


# ---------------------------------------------------------------- levels and grading


def test_levels(drawn: dict[int, list[Question]]) -> None:
    one, two, three = drawn[1], drawn[2], drawn[3]
    for q in one:
        p = q.params
        assert p["layer"] == "ConvTranspose2d" and p["input_shape"][0] == 1
        assert p["output_padding"] == 0 and p["dilation"] == 1 and q.ask != "output_padding"
        assert "W' = (W − 1)·S + K − 2P" in q.solution
    assert {q.params["layer"] for q in two} == {"ConvTranspose1d", "ConvTranspose2d"}
    assert any(q.params["output_padding"] for q in two)
    assert all(q.params["dilation"] == 1 for q in two)
    assert any(q.params["dilation"] not in (1, [1, 1]) for q in three)
    assert any(isinstance(q.params["kernel_size"], list) for q in three)
    assert {q.extra.get("sub") for q in three} == {None, "inverse", "target"}
    assert any(q.params["output_padding"] >= q.params["stride"] for q in three if q.ask == "length")
    assert any("upsampling by" in q.prompt for q in three)


def test_grading(drawn: dict[int, list[Question]]) -> None:
    for level in (1, 2, 3):
        for q in drawn[level][:30]:
            if q.expected is None:
                forms = ["error", " Error ", "RuntimeError", "报错"]
            elif q.kind == "shape":
                shape = q.expected
                forms = ["x".join(map(str, shape)), str(shape), f"torch.Size({shape})"]
            else:
                forms = [str(q.expected), f" {q.expected}.0 "]
            assert all(grade(q, text).correct for text in forms), (q.seed, forms)
            for m in q.misconceptions:
                g = grade(q, "error" if m.value is None else str(m.value))
                assert not g.correct and m in g.misconceptions


def test_prompt_states_every_default() -> None:
    params = build_params("ConvTranspose1d", [2, 2, 11], 7, 3, 0, 1, out_channels=8)
    q = _q(params, "shape", 2)
    assert "nn.ConvTranspose1d(2, 8, kernel_size=7, stride=3, output_padding=1)" in q.prompt
    assert "Arguments not shown are at torch's defaults: padding=0, dilation=1." in q.prompt
    assert "未写出的参数取 torch 的默认值：padding=0, dilation=1。" in localized(q, "zh")["prompt"]


def test_chinese_prompt() -> None:
    q = _q(build_params("ConvTranspose2d", [1, 3, 7, 7], 4, 2, 1, out_channels=4), "width")
    zh = localized(q, "zh")
    assert zh["prompt"].startswith("转置卷积层 nn.ConvTranspose2d(3, 4, kernel_size=4, stride=2")
    assert "输出的宽度是多少" in zh["prompt"] and "笔记中的公式" in zh["solution"]
    assert zh["answer"] == q.answer == "14"


# ---------------------------------------------------------------- torch refuses: "error"

OP_MESSAGE = "RuntimeError: output padding must be smaller than either stride or dilation, but got "


@pytest.mark.parametrize(
    ("params", "level", "output", "formula"),
    [  # messages recorded by running torch 2.13 on these layers
        (
            build_params("ConvTranspose2d", [1, 2, 3, 3], 3, 2, 0, 2),  # output_padding = stride
            2,
            OP_MESSAGE + "output_padding_height: 2 output_padding_width: 2 stride_height: 2 "
            "stride_width: 2 dilation_height: 1 dilation_width: 1",
            [1, 8, 9, 9],
        ),
        (
            build_params("ConvTranspose1d", [1, 2, 5], 3, 1, 0, 1),  # any output_padding, stride 1
            2,
            OP_MESSAGE + "output_padding_height: 0 output_padding_width: 1 stride_height: 1 "
            "stride_width: 1 dilation_height: 1 dilation_width: 1",
            [1, 8, 8],
        ),
        (
            build_params("ConvTranspose1d", [2, 4, 8], 2, 2, 1, 3, 3, out_channels=1),
            3,
            OP_MESSAGE + "output_padding_height: 0 output_padding_width: 3 stride_height: 1 "
            "stride_width: 2 dilation_height: 1 dilation_width: 3",
            [2, 1, 19],
        ),
        (  # only the width breaks the rule
            build_params(
                "ConvTranspose2d", [2, 8, 11, 16], 2, [1, 3], 2, [0, 3], 2, out_channels=3
            ),
            3,
            OP_MESSAGE + "output_padding_height: 0 output_padding_width: 3 stride_height: 1 "
            "stride_width: 3 dilation_height: 2 dilation_width: 2",
            [2, 3, 9, 47],
        ),
    ],
)
def test_torch_refuses_output_padding(
    params: dict[str, Any], level: int, output: str, formula: list[int]
) -> None:
    q = verify(_q(params, "shape", level))
    assert q.expected is None and q.result is None and q.answer == "error" and q.allow_undefined
    assert q.torch_check is not None and q.torch_check.output == output
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(q.torch_check.code, {})  # the snippet shown to the learner
    assert buf.getvalue().rstrip("\n") == output
    assert [(m.id, m.value) for m in q.misconceptions] == [("output-padding-limit", formula)]
    assert grade(q, "error").correct
    assert grade(q, str(formula)).mistake_ids == ("output-padding-limit",)
    assert "torch raises an error" in q.solution and "answer error" in q.prompt
    zh = localized(q, "zh")
    assert zh["answer"] == "error" and "torch 拒绝" in zh["solution"]


def test_output_padding_below_the_dilation_is_allowed() -> None:
    """output_padding 1 >= stride 1 but < dilation 2: torch accepts it."""
    params = build_params("ConvTranspose1d", [1, 2, 5], 3, 1, 0, 1, 2, out_channels=4)
    q = verify(_q(params, "length", 3))
    assert q.expected == 10 and q.torch_check is not None
    assert q.torch_check.output == "torch.Size([1, 4, 10])"
    assert grade(q, "error").mistake_ids == ("output-padding-refused",)
    assert "L: output_padding = 1 ≥ stride = 1, but < max(1, 2) = 2: torch accepts it" in q.solution


def test_error_cases_are_drawn_and_announced(drawn: dict[int, list[Question]]) -> None:
    for q in drawn[1]:
        assert not q.allow_undefined and "error" not in q.prompt
        with pytest.raises(AnswerFormatError):
            grade(q, "error")
    for level in (2, 3):
        errors = Counter(refusal(q.params) for q in drawn[level] if q.expected is None)
        assert set(errors) == {"output-padding"}
        assert 30 <= errors["output-padding"] <= 75, errors  # 10–25% of 300 seeds
        assert sum(q.attempt for q in drawn[level]) == 0  # torch never disagreed
        for q in drawn[level]:
            shape_ask = q.ask != "output_padding"
            assert q.allow_undefined == shape_ask and ("answer error" in q.prompt) == shape_ask
            if shape_ask:
                assert "'error'" in hint(q)
    assert all(q.params["dilation"] == 1 for q in drawn[2])  # level 2: output_padding >= stride
    dilated = [
        q for q in drawn[3] if q.expected is None and q.params["dilation"] not in (1, [1, 1])
    ]
    assert len(dilated) >= 30
    assert any(isinstance(q.params["output_padding"], list) for q in dilated)


def test_error_cases_over_a_thousand_seeds() -> None:
    for level in (2, 3):
        qs = draw_many(FAMILY, list(range(1000)), level)
        errors = sum(q.expected is None for q in qs)
        assert 150 <= errors <= 250, (level, errors)
        assert sum(q.attempt for q in qs) == 0
