"""conv-params: the notes' multi-channel shapes, known parameter counts (LeNet, AlexNet), the
misconception formulas, the network questions, and what each level asks.
(Every family's 1,000-seed, snippet, grading and Chinese checks are in test_generators.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from quizzer.answers import format_value, grade
from quizzer.generators import get, localized
from quizzer.generators.conv_params import (
    asked,
    conv_spec,
    linear_spec,
    param_count,
    weight_shape,
)
from quizzer.question import Question
from quizzer.verify import draw_many, verify

FAMILY = "conv-params"
SEEDS = list(range(300))


@pytest.fixture(scope="module")
def drawn() -> dict[int, list[Question]]:
    return {level: draw_many(FAMILY, SEEDS, level) for level in (1, 2, 3)}


def _q(params: dict[str, Any], ask: str, difficulty: int = 1) -> Question:
    return verify(get(FAMILY).build(params, ask, difficulty))


def _network(input_shape: list[int], *layers: dict[str, Any]) -> dict[str, Any]:
    return {"layer": "Sequential", "input_shape": input_shape, "layers": list(layers)}


RELU, POOL, FLAT = {"layer": "ReLU"}, {"layer": "MaxPool2d", "kernel_size": 2}, {"layer": "Flatten"}


def _lazy(out: int, bias: bool = True) -> dict[str, Any]:
    return {"layer": "LazyLinear", "out_features": out, "bias": bias}


# ---------------------------------------------------------------- the notes' shapes


def test_notes_multi_channel_shapes() -> None:
    """X c_i × n_h × n_w, kernel c_o × c_i × k_h × k_w, output c_o × m_h × m_w."""
    conv = conv_spec("Conv2d", 3, 2, 2)
    q = _q(conv, "weight_shape")
    assert q.expected == [2, 3, 2, 2] and q.answer == "(2, 3, 2, 2)"
    assert q.torch_check is not None and q.torch_check.output == "torch.Size([2, 3, 2, 2])"
    q = _q(conv | {"input_shape": [3, 5, 5]}, "output_shape")
    assert q.expected == [2, 4, 4] and q.result["output_shape"] == [2, 4, 4]
    assert "no batch dimension" in q.prompt
    one_out = _q(conv_spec("Conv2d", 2, 1, 2) | {"input_shape": [2, 3, 3]}, "output_shape")
    assert one_out.expected == [1, 2, 2]  # one output channel: an m_h × m_w map
    q = _q(conv_spec("Conv2d", 3, 16, 3), "weight_shape")
    assert {m.id: m.value for m in q.misconceptions} == {
        "in-out-swapped": [3, 16, 3, 3],
        "in-channels-forgotten": [16, 3, 3],
        "out-channels-forgotten": [3, 3, 3],  # the notes' one-output-channel kernel
    }


# ---------------------------------------------------------------- known counts through torch


@pytest.mark.parametrize(
    ("spec", "count"),
    [
        (conv_spec("Conv2d", 1, 6, 5, padding=2), 156),  # LeNet's first conv
        (conv_spec("Conv2d", 6, 16, 5), 2416),  # LeNet's second conv
        (linear_spec(400, 120), 48120),
        (linear_spec(120, 84), 10164),
        (linear_spec(84, 10), 850),
        (conv_spec("Conv2d", 1, 96, 11, 4, 1), 11712),  # AlexNet's first conv (1 channel)
        (conv_spec("Conv2d", 3, 16, 3, bias=False), 432),
        (conv_spec("Conv1d", 4, 8, 5), 168),
        (conv_spec("Conv2d", 8, 16, 3, groups=4), 304),  # 16 × 2 × 3 × 3 + 16
        (conv_spec("Conv2d", 8, 8, [3, 1], groups=8), 32),  # depthwise: 8 × 1 × 3 × 1 + 8
    ],
)
def test_known_parameter_counts(spec: dict[str, Any], count: int) -> None:
    q = _q(spec, "params", 2)
    assert q.expected == count and q.result["params"] == count
    assert q.torch_check is not None
    assert q.torch_check.output.splitlines()[-1] == f"total: {count}"


def test_lenet_like_network() -> None:
    net = _network(
        [1, 1, 28, 28], conv_spec("Conv2d", 1, 6, 5, padding=2), RELU, POOL, FLAT, _lazy(10)
    )
    q = _q(net, "params", 3)
    assert q.expected == 156 + 10 * 1176 + 10 == 11926
    assert q.result == {"params": 11926, "layer_params": [156, 11770], "in_features": 1176}
    assert "6·14·14 = 1176" in q.solution and "total: 156 + 11770 = 11926" in q.solution
    assert "nn.LazyLinear(10) is nn.Linear(in_features, 10)" in q.prompt
    assert q.torch_check is not None
    assert q.torch_check.output.splitlines() == [
        "0.weight (6, 1, 5, 5) 150",
        "0.bias (6,) 6",
        "4.weight (10, 1176) 11760",
        "4.bias (10,) 10",
        "total: 11926",
    ]
    # c_i = 1: forgetting it changes nothing; no-plus-one gives 27 → 13, like padding-once
    assert {m.id: m.value for m in q.misconceptions} == {
        "bias-forgotten": 150 + 11760,
        "flatten-channels-forgotten": 156 + 10 * 14 * 14 + 10,
        "pool-ignored": 156 + 10 * 6 * 28 * 28 + 10,
        "padding-once": 156 + 10 * 6 * 13 * 13 + 10,  # conv 26, pool 13
        "no-plus-one": 156 + 10 * 6 * 13 * 13 + 10,  # conv 27, pool 13: both named
        "linear-plus-one-both": 156 + 1177 * 11,
    }


def test_network_misconceptions() -> None:
    net = _network(
        [2, 3, 16, 16],
        conv_spec("Conv2d", 3, 8, 3, padding=1),
        RELU,
        POOL,
        conv_spec("Conv2d", 8, 16, 3, bias=False),
        RELU,
        FLAT,
        _lazy(5, bias=False),
    )
    q = _q(net, "params", 3)
    # 16 → conv 16 → pool 8 → conv 6: nn.Linear(16·6·6 = 576, 5, bias=False)
    assert q.result == {"params": 4256, "layer_params": [224, 1152, 2880], "in_features": 576}
    assert {m.id: m.value for m in q.misconceptions} == {
        "bias-forgotten": 216 + 1152 + 2880,
        "in-channels-forgotten": (8 * 9 + 8) + 16 * 9 + 2880,
        "flatten-channels-forgotten": 224 + 1152 + 5 * 36,
        "pool-ignored": 224 + 1152 + 5 * 16 * 14 * 14,
        "padding-once": 224 + 1152 + 5 * 16 * 5 * 5,  # 15 → 7 → 5
        "no-plus-one": 224 + 1152 + 5 * 16 * 4 * 4,  # 15 → 7 → 4
        "linear-plus-one-both": 224 + 1152 + 577 * 6,
    }


# ---------------------------------------------------------------- single-layer misconceptions


def test_layer_misconception_formulas() -> None:
    conv = conv_spec("Conv2d", 3, 16, 3)
    assert param_count(conv) == 448
    assert param_count(conv, bias_forgotten=True) == 432
    assert param_count(conv, bias_per_weight=True) == 864
    assert param_count(conv, in_channels_forgotten=True) == 160
    assert asked(conv, "bias_params", bias_per_in_channel=True) == 3
    grouped = conv_spec("Conv2d", 8, 16, 3, groups=4)
    assert weight_shape(grouped) == [16, 2, 3, 3]
    assert weight_shape(grouped, groups_ignored=True) == [16, 8, 3, 3]
    assert param_count(grouped, groups_ignored=True) == 1168
    lin = linear_spec(84, 10)
    assert weight_shape(lin) == [10, 84] and weight_shape(lin, in_out_swapped=True) == [84, 10]
    assert param_count(lin, bias_forgotten=True) == 840
    assert param_count(lin, linear_plus_one_both=True) == 935
    no_bias = linear_spec(84, 10, bias=False)
    assert param_count(no_bias) == 840 and param_count(no_bias, bias_when_false=True) == 850
    q = _q(no_bias, "bias_params", 2)
    assert q.expected == 0 and {m.id: m.value for m in q.misconceptions} == {"bias-when-false": 10}
    assert q.torch_check is not None and q.torch_check.output == "0"


def test_output_shape_misconceptions() -> None:
    conv = conv_spec("Conv2d", 3, 8, 3, 2, 1) | {"input_shape": [2, 3, 14, 9]}
    q = _q(conv, "output_shape", 2)
    assert q.expected == [2, 8, 7, 5]  # floor((14 + 2 − 3)/2) + 1, floor((9 + 2 − 3)/2) + 1
    assert "H: floor((14 + 2·1 − 3) / 2) + 1 = 7" in q.solution
    assert {m.id: m.value for m in q.misconceptions} == {
        "in-channels-kept": [2, 3, 7, 5],
        "channels-multiplied": [2, 24, 7, 5],
        "padding-once": [2, 8, 7, 4],
        "no-plus-one": [2, 8, 6, 4],
    }
    assert q.torch_check is not None and q.torch_check.output == "torch.Size([2, 8, 7, 5])"


# ---------------------------------------------------------------- levels and grading


def test_levels(drawn: dict[int, list[Question]]) -> None:
    one, two, three = drawn[1], drawn[2], drawn[3]
    for q in one:
        p = q.params
        assert p["layer"] in ("Conv2d", "Linear") and p["bias"]
        if p["layer"] == "Conv2d":
            assert isinstance(p["kernel_size"], int) and p["in_channels"] in (1, 3)
            assert (p["stride"], p["padding"], p["groups"]) == (1, 0, 1)
            assert len(p.get("input_shape", [3, 1, 1])) == 3  # c_i × n_h × n_w, as in the notes
    assert {q.ask for q in one} == {"weight_shape", "params", "bias_params", "output_shape"}
    assert {q.params["layer"] for q in two} == {"Conv1d", "Conv2d", "Linear"}
    assert any(not q.params["bias"] for q in two)
    assert any(isinstance(q.params.get("kernel_size"), list) for q in two)
    assert all(len(q.params["input_shape"]) in (3, 4) for q in two if "input_shape" in q.params)
    assert all(q.params.get("groups", 1) == 1 for q in one + two)
    assert {q.params["layer"] for q in three} == {"Conv2d", "Sequential"}
    assert all(q.params["groups"] > 1 for q in three if q.params["layer"] == "Conv2d")
    layers = {
        s["layer"] for q in three if q.params["layer"] == "Sequential" for s in q.params["layers"]
    }
    assert layers == {"Conv2d", "ReLU", "MaxPool2d", "Flatten", "LazyLinear"}


def test_grading(drawn: dict[int, list[Question]]) -> None:
    for level in (1, 2, 3):
        for q in drawn[level][:30]:
            if q.kind == "shape":
                shape = q.expected
                forms = ["x".join(map(str, shape)), str(shape), f"torch.Size({shape})"]
            else:
                forms = [str(q.expected), f" {q.expected}.0 "]
            assert all(grade(q, text).correct for text in forms), (q.seed, forms)
            for m in q.misconceptions:
                g = grade(q, format_value(m.value, q.kind))
                assert not g.correct and m in g.misconceptions


def test_chinese_text() -> None:
    q = _q(conv_spec("Conv2d", 8, 16, 3, groups=4), "params", 3)
    zh = localized(q, "zh")
    assert zh["prompt"].startswith("考虑层 nn.Conv2d(8, 16, kernel_size=3, groups=4)。")
    assert "groups=4 把通道分成 4 组" in zh["prompt"] and zh["answer"] == "304"
    assert "权重：c_o × (c_i / groups) × k_h × k_w = 16 × (8 / 4) × 3 × 3 = 288" in zh["solution"]
    net = _network([1, 1, 28, 28], conv_spec("Conv2d", 1, 6, 5, padding=2), FLAT, _lazy(10))
    zh = localized(_q(net, "params", 3), "zh")
    assert "nn.LazyLinear(10) 就是 nn.Linear(in_features, 10)" in zh["prompt"]
    assert "合计：156 + 47050 = 47206" in zh["solution"]
