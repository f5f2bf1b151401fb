"""receptive-field: formula, torch agreement over many seeds, snippets, grading."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from quizzer.answers import grade
from quizzer.generators import get
from quizzer.generators.receptive_field import receptive_field, sum_of_kernels
from quizzer.question import Question
from quizzer.verify import draw, verify

FAMILY = "receptive-field"
SEEDS = range(1000)
LEVELS = (1, 2, 3)


def conv(k: int, s: int = 1, d: int = 1) -> dict[str, Any]:
    return {"layer": "Conv2d", "kernel_size": k, "stride": s, "dilation": d}


def pool(k: int, s: int, kind: str = "MaxPool2d") -> dict[str, Any]:
    return {"layer": kind, "kernel_size": k, "stride": s, "dilation": 1}


ALEXNET = [conv(11, 4), pool(3, 2), conv(5)]  # conv1, pool1, conv2 (padding never matters)
VGG = [conv(3), conv(3), pool(2, 2), conv(3)]
DILATED = [conv(3, 1, 1), conv(3, 1, 2), conv(3, 1, 4)]


@pytest.fixture(scope="module")
def drawn() -> dict[int, list[Question]]:
    return {level: [draw(FAMILY, seed, level) for seed in SEEDS] for level in LEVELS}


def _q(layers: list[dict[str, Any]], difficulty: int = 2) -> Question:
    return get(FAMILY).build(difficulty, layers)


# ---------------------------------------------------------------- formula


def test_formula_known_values() -> None:
    assert receptive_field([conv(3), conv(3)]) == 5
    assert receptive_field([conv(3), conv(3), conv(3)]) == 7  # the notes' 7 x 7
    assert receptive_field(VGG) == 10  # 1 + 2 + 2 + 1, then 2 * 2 after the stride-2 pool
    assert receptive_field(ALEXNET) == 51  # 11, then 19, then 19 + 4 * 8
    assert receptive_field(ALEXNET[:2]) == 19
    assert receptive_field(DILATED) == 15  # 1 + 2 + 4 + 8
    assert receptive_field([conv(3, 2), conv(3, 2)]) == 7  # the last stride never counts


def test_formula_misconceptions() -> None:
    assert receptive_field(ALEXNET, use_strides=False) == 17  # 1 + 10 + 2 + 4
    assert receptive_field(ALEXNET, own_stride=True) == 89  # jumps 4, 8, 8: 41, 57, 89
    assert receptive_field(DILATED, use_dilation=False) == 7
    assert receptive_field(VGG, own_stride=True) == 11  # jumps 1, 1, 2, 2: 3, 5, 7, 11
    assert sum_of_kernels(ALEXNET) == 19
    assert sum_of_kernels([conv(3), conv(3), conv(3)]) == 9


# ---------------------------------------------------------------- torch, known values


@pytest.mark.parametrize(
    ("layers", "rf"),
    [([conv(3)] * 3, 7), (VGG, 10), (ALEXNET, 51), (DILATED, 15), ([conv(3, 2), conv(3, 2)], 7)],
)
def test_known_values_through_torch(layers: list[dict[str, Any]], rf: int) -> None:
    q = verify(_q(layers))
    assert q.verified and q.result == rf and q.expected == rf and q.answer == str(rf)
    assert q.torch_check is not None
    assert q.torch_check.output == f"receptive field: {rf} x {rf}"


def test_prompt_and_misconceptions_of_a_known_stack() -> None:
    q = _q(ALEXNET)
    assert "Conv2d(kernel_size=11, stride=4, dilation=1)" in q.prompt
    assert "MaxPool2d(kernel_size=3, stride=2)" in q.prompt
    assert "no padding" in q.prompt and "7 x 7" in q.prompt
    ids = {m.id: m.value for m in q.misconceptions}
    assert ids == {"rf-no-strides": 17, "rf-own-stride": 89, "rf-sum-kernels": 19}
    assert "RF = 19 + (5 - 1) * 1 * 8 = 51" in q.solution
    assert grade(q, "51").correct
    assert grade(q, "89").mistake_ids == ("rf-own-stride",)


def _rf_2d(layers: list[dict[str, Any]]) -> tuple[int, int]:
    """The full 2-d measurement (rows and columns), slower than the 1-d checker."""
    mods: list[nn.Module] = []
    for x in layers:
        k, s, d = x["kernel_size"], x["stride"], x["dilation"]
        if x["layer"] == "Conv2d":
            m = nn.Conv2d(1, 1, k, stride=s, dilation=d, bias=False)
            with torch.no_grad():
                m.weight.fill_(1.0)
            mods.append(m)
        else:
            mods.append(nn.AvgPool2d(k, s))
    n = receptive_field(layers) + 6
    inp = torch.ones(1, 1, n, n, requires_grad=True)
    out = nn.Sequential(*mods)(inp)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    g = inp.grad[0, 0]
    rows, cols = g.sum(1).nonzero().flatten(), g.sum(0).nonzero().flatten()
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def test_one_dimensional_check_matches_two_dimensional(drawn: dict[int, list[Question]]) -> None:
    for level in LEVELS:
        for q in drawn[level][:4]:
            assert _rf_2d(q.params["layers"]) == (q.result, q.result)


# ---------------------------------------------------------------- many seeds


def test_levels_differ(drawn: dict[int, list[Question]]) -> None:
    def layers(level: int) -> list[list[dict[str, Any]]]:
        return [q.params["layers"] for q in drawn[level]]

    for stack in layers(1):
        assert 2 <= len(stack) <= 3
        assert all(x["stride"] == 1 and x["dilation"] == 1 for x in stack)
    for stack in layers(2):
        assert 3 <= len(stack) <= 5
        assert any(x["stride"] > 1 for x in stack[:-1])
        assert all(x["dilation"] == 1 for x in stack)
    for stack in layers(3):
        assert 4 <= len(stack) <= 6
        assert any(x["stride"] > 1 for x in stack[:-1])
        assert any(x["dilation"] > 1 for x in stack)
    for level in (2, 3):
        kinds = {x["layer"] for stack in layers(level) for x in stack}
        assert kinds == {"Conv2d", "MaxPool2d", "AvgPool2d"}
        pools = [x for stack in layers(level) for x in stack if x["layer"] != "Conv2d"]
        assert all(x["stride"] == 2 and x["dilation"] == 1 for x in pools)
    assert max(q.result for q in drawn[1]) < max(q.result for q in drawn[3])


def test_grading(drawn: dict[int, list[Question]]) -> None:
    for level in LEVELS:
        for q in drawn[level][:40]:
            for text in (str(q.expected), f" {q.expected} ", f"{q.expected}.0"):
                assert grade(q, text).correct, (q.prompt, text)
            assert not grade(q, str(q.expected + 1)).correct
            for m in q.misconceptions:
                g = grade(q, str(m.value))
                assert not g.correct and m in g.misconceptions


# ---------------------------------------------------------------- Chinese


def test_chinese_text() -> None:
    gen = get(FAMILY)
    zh = gen.zh(_q(ALEXNET))
    assert zh["answer"] == "51"
    assert "  2. MaxPool2d(kernel_size=3, stride=2)\n" in zh["prompt"]
    assert "无填充" in zh["prompt"] and "感受野" in zh["prompt"]
    assert zh["solution"].splitlines()[3:] == [
        "  1. Conv2d(kernel_size=11, stride=4, dilation=1): RF = 1 + (11 - 1) * 1 * 1 = 11；"
        "然后 S = 1 * 4 = 4",
        "  2. MaxPool2d(kernel_size=3, stride=2): RF = 11 + (3 - 1) * 1 * 4 = 19；"
        "然后 S = 4 * 2 = 8",
        "  3. Conv2d(kernel_size=5, stride=1, dilation=1): RF = 19 + (5 - 1) * 1 * 8 = 51",
        "感受野是 51 × 51 个输入像素：答案为 51。",
    ]
    strided_last = gen.zh(_q([conv(3), conv(3, 2)]))["solution"]
    assert "最后一层自身的步幅不会改变其输出单元的感受野。" in strided_last
    # the English steps, line by line, with the same numbers
    q = _q(DILATED)
    en_steps = [line.split(": RF")[1].split(";")[0] for line in q.solution.splitlines()[3:-1]]
    zh_steps = [
        line.split(": RF")[1].split("；")[0] for line in gen.zh(q)["solution"].splitlines()[3:-1]
    ]
    assert (
        en_steps
        == zh_steps
        == [
            " = 1 + (3 - 1) * 1 * 1 = 3",
            " = 3 + (3 - 1) * 2 * 1 = 7",
            " = 7 + (3 - 1) * 4 * 1 = 15",
        ]
    )
    assert (gen.topic_zh, set(gen.explanations_zh)) == ("感受野", set(gen.explanations))
