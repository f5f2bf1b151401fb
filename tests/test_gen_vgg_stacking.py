"""vgg-stacking: receptive fields and parameter counts of stacked 3×3 convs versus one big
kernel (hand-computed values, torch's counts and autograd), misconceptions, grading.
The registry-wide checks (1,000 seeds per level, snippets, Chinese) are in
tests/test_generators.py."""

from __future__ import annotations

from typing import Any

import pytest
from torch import nn

from quizzer.answers import grade
from quizzer.generators import draft, get
from quizzer.generators.vgg_stacking import conv_params, single_params, stack_params, stack_rf
from quizzer.question import Question
from quizzer.verify import verify
from quizzer.verify.vgg_stacking import receptive_field

FAMILY = "vgg-stacking"


def params(
    n: int, c: int, bias: bool = True, cin: int | None = None, c1: int | None = None
) -> dict[str, Any]:
    return {
        "num_convs": n,
        "in_channels": c if cin is None else cin,
        "out_channels": c,
        "kernel_size": 3,
        "bias": bias,
        "single_kernel_size": 2 * n + 1,
        "single_out_channels": c if c1 is None else c1,
    }


def _q(p: dict[str, Any], ask: str, difficulty: int = 2) -> Question:
    return get(FAMILY).build(difficulty, p, ask)


def ids(q: Question) -> dict[str, Any]:
    return {m.id: m.value for m in q.misconceptions}


# ---------------------------------------------------------------- formula


def test_receptive_fields() -> None:
    assert [stack_rf(n) for n in (1, 2, 3, 4)] == [3, 5, 7, 9]  # two 3×3 = 5×5, three = 7×7
    assert stack_rf(3, kernel_sum=True) == 9
    assert stack_rf(3, no_plus_one=True) == 6
    assert stack_rf(3, product=True) == 27
    assert [receptive_field([3] * n) for n in (1, 2, 3, 4)] == [3, 5, 7, 9]  # autograd
    assert receptive_field([7]) == 7


@pytest.mark.parametrize(
    ("n", "c", "bias", "stack", "single"),
    [
        (2, 64, True, 2 * (9 * 64 * 64 + 64), 25 * 64 * 64 + 64),  # 73856 vs 102464
        (3, 64, True, 3 * (9 * 64 * 64 + 64), 49 * 64 * 64 + 64),  # 110784 vs 200768
        (3, 64, False, 110592, 200704),
        (2, 1, True, 20, 26),
    ],
)
def test_parameter_counts(n: int, c: int, bias: bool, stack: int, single: int) -> None:
    p = params(n, c, bias)
    assert (stack_params(p), single_params(p)) == (stack, single)
    stack_net = nn.Sequential(*(nn.Conv2d(c, c, 3, bias=bias) for _ in range(n)))
    assert sum(x.numel() for x in stack_net.parameters()) == stack
    big = nn.Conv2d(c, c, 2 * n + 1, bias=bias)
    assert sum(x.numel() for x in big.parameters()) == single


def test_conv_params_mistakes() -> None:
    assert conv_params(64, 64, 3, True) == 36928
    assert conv_params(64, 64, 3, True, ignore_cin=True) == 9 * 64 + 64
    assert conv_params(64, 64, 3, True, bias_per_weight=True) == 2 * 36864
    assert conv_params(64, 64, 3, True, bias_flip=True) == 36864
    assert conv_params(64, 64, 3, False, bias_flip=True) == 36928
    assert conv_params(64, 64, 3, True, kernel_not_squared=True) == 3 * 4096 + 64


# ---------------------------------------------------------------- questions through torch


def test_stack_parameters_question() -> None:
    q = verify(_q(params(2, 64), "params_stack"))
    assert q.expected == 73856 and q.answer == "73856"
    assert q.result == {
        "rf_stack": 5,
        "rf_single": 5,
        "params_stack": 73856,
        "params_single": 102464,
    }
    assert ids(q) == {
        "params-ignore-cin": 2 * (9 * 64 + 64),
        "bias-per-weight": 2 * 2 * 36864,
        "bias-forgotten": 73728,
        "kernel-not-squared": 2 * (3 * 4096 + 64),
        "one-layer-only": 36928,
    }
    assert q.torch_check is not None
    assert q.torch_check.output.splitlines() == [
        "parameters, stack: 73856",
        "parameters, single: 102464",
        "receptive field, stack: 5",
        "receptive field, single: 5",
    ]
    g = grade(q, "36928")
    assert not g.correct and g.misconceptions
    assert g.mistake_ids == ("one-layer-only",)


def test_receptive_field_question() -> None:
    q = verify(_q(params(3, 8), "rf", 1))
    assert q.expected == 7
    assert ids(q) == {"rf-3n": 9, "rf-no-plus-one": 6, "rf-product": 27}
    assert grade(q, "7").correct
    g = grade(q, "9")
    assert g.mistake_ids == ("rf-3n",)


def test_num_convs_question() -> None:
    q = verify(_q({"num_convs": 4, "single_kernel_size": 9}, "num_convs"))
    assert q.expected == 4
    assert ids(q) == {"rf-3n": 3, "rf-product": 2}  # 3·3 = 9 and 3² = 9
    assert q.torch_check is not None
    assert q.torch_check.output.splitlines() == [
        "3 stacked 3x3 convs: receptive field 7",
        "4 stacked 3x3 convs: receptive field 9",
        "5 stacked 3x3 convs: receptive field 11",
        "one 9x9 conv: receptive field 9",
    ]


def test_ratio_question_without_bias() -> None:
    q = verify(_q(params(3, 64, bias=False), "ratio"))
    assert q.expected == pytest.approx(27 / 49) and q.answer == "0.5510"
    assert "27/49" in q.solution
    for typed in ("27/49", "0.551", "0.5510", "0.55102"):
        assert grade(q, typed).correct, typed
    assert not grade(q, "0.55").correct
    g = grade(q, "49/27")
    assert g.mistake_ids == ("ratio-inverted",)
    assert ids(q)["bias-when-off"] == pytest.approx(110784 / 200768)


def test_fewer_question_and_vgg_block_edge() -> None:
    q = verify(_q(params(3, 64), "fewer", 1))
    assert q.expected == "stack" and ids(q) == {"kernel-not-squared": "single"}  # 9 vs 7 · C²
    for typed in ("stack", "Stack", "the stack", "堆叠"):
        assert grade(q, typed).correct, typed
    # Conv2d(128, 256, 3) + Conv2d(256, 256, 3) against Conv2d(128, 256, 5), no bias:
    # 9·128·256 + 9·256·256 = 884736 > 25·128·256 = 819200
    edge = verify(_q(params(2, 256, bias=False, cin=128), "fewer", 3))
    assert edge.expected == "single"
    assert edge.result["params_stack"] == 884736 and edge.result["params_single"] == 819200
    assert "nn.Conv2d(128, 256, kernel_size=3), then 1 × nn.Conv2d(256, 256" in edge.prompt
    cin_all = _q(params(2, 256, bias=False, cin=128), "params_stack", 3)
    assert ids(cin_all)["cin-every-layer"] == 2 * 9 * 128 * 256
    narrow = verify(_q(params(3, 256, cin=128, c1=64), "fewer", 3))
    assert narrow.expected == "single"  # one 7×7 conv with only 64 output channels


def test_saved_question() -> None:
    q = verify(_q(params(3, 64), "saved", 3))
    assert q.expected == 200768 - 110784
    assert ids(q)["difference-reversed"] == 110784 - 200768


# ---------------------------------------------------------------- levels


def test_levels() -> None:
    qs = {lvl: [draft(FAMILY, s, lvl) for s in range(300)] for lvl in (1, 2, 3)}
    assert {q.ask for q in qs[1]} == {"rf", "params_stack", "params_single", "fewer"}
    assert all(q.params["out_channels"] <= 8 and q.params["bias"] for q in qs[1])
    assert {"num_convs", "ratio"} <= {q.ask for q in qs[2]}
    assert {q.params.get("bias") for q in qs[2]} == {True, False, None}
    assert all(q.params["in_channels"] != q.params["out_channels"] for q in qs[3])
    assert {q.expected for q in qs[3] if q.ask == "fewer"} == {"stack", "single"}
    assert "rf" not in {q.ask for q in qs[3]}
