"""network-shapes: the notes' LeNet, AlexNet and VGG-11 shapes (formula, meta check and a
real CPU forward pass at full size), print(net) text, misconceptions, grading.
The registry-wide checks (1,000 seeds per level, snippets, Chinese) are in
tests/test_generators.py."""

from __future__ import annotations

import contextlib
import copy
import io
from typing import Any

import pytest
import torch
from torch import nn

from quizzer.answers import grade
from quizzer.errors import Rejected
from quizzer.generators import draft, get
from quizzer.generators.network_shapes import (
    NETWORKS,
    conv,
    net_repr,
    pool,
    trace,
    vgg_blocks,
)
from quizzer.question import Question
from quizzer.verify import draw, verify
from quizzer.verify.network_shapes import module

FAMILY = "network-shapes"

# The study notes' printed shapes (C, H, W or features), every layer.
LENET = [
    [6, 28, 28], [6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 10, 10], [16, 5, 5],
    [400], [120], [120], [84], [84], [10],
]  # fmt: skip
ALEXNET = [
    [96, 54, 54], [96, 54, 54], [96, 26, 26], [256, 26, 26], [256, 26, 26], [256, 12, 12],
    [384, 12, 12], [384, 12, 12], [384, 12, 12], [384, 12, 12], [256, 12, 12], [256, 12, 12],
    [256, 5, 5], [6400], [4096], [4096], [4096], [4096], [4096], [4096], [10],
]  # fmt: skip
VGG11 = [
    [64, 112, 112], [128, 56, 56], [256, 28, 28], [512, 14, 14], [512, 7, 7],
    [25088], [4096], [4096], [4096], [4096], [4096], [4096], [10],
]  # fmt: skip
NOTES = {"LeNet": LENET, "AlexNet": ALEXNET, "VGG-11": VGG11}
FLAT = {"LeNet": 400, "AlexNet": 6400, "VGG-11": 25088}


def params_of(name: str, **more: Any) -> dict[str, Any]:
    net = NETWORKS[name]
    layers = copy.deepcopy(net["layers"])
    return {"network": name, "input_shape": net["input_shape"], "layers": layers} | more


def _q(params: dict[str, Any], ask: str, difficulty: int = 1) -> Question:
    return get(FAMILY).build(difficulty, params, ask)


def run(code: str) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {})
    return buf.getvalue().rstrip("\n")


# ---------------------------------------------------------------- the notes' networks


@pytest.mark.parametrize("name", NOTES)
def test_formula_reproduces_the_notes_shapes(name: str) -> None:
    shapes = trace(NETWORKS[name]["layers"], NETWORKS[name]["input_shape"])
    assert shapes == [[1, *s] for s in NOTES[name]]


@pytest.mark.parametrize("name", NOTES)
def test_real_cpu_forward_at_full_size(name: str) -> None:
    """The real network on the CPU (224×224 for AlexNet and VGG-11), as in the notes."""
    net = NETWORKS[name]
    torch_net = nn.Sequential(*(module(x) for x in net["layers"]))
    x = torch.zeros(net["input_shape"])
    shapes = []
    with torch.no_grad():
        for layer in torch_net:
            x = layer(x)
            shapes.append(list(x.shape)[1:])
    assert shapes == NOTES[name]
    # what print(net) shows, and the prompt's listing with F filled in
    assert net_repr(net["layers"], hide_first_linear=False) == str(torch_net)


@pytest.mark.parametrize("name", NOTES)
def test_checked_question_every_layer_and_flatten_size(name: str) -> None:
    q = verify(_q(params_of(name), "in_features"))
    assert q.verified and q.expected == FLAT[name] and q.answer == str(FLAT[name])
    assert q.result == [[1, *s] for s in NOTES[name]]
    assert "in_features=F," in q.prompt and str(FLAT[name]) not in q.prompt
    assert q.torch_check is not None
    lines = q.torch_check.output.splitlines()
    assert len(lines) == len(NOTES[name])
    assert all(
        line.endswith(f"torch.Size({[1, *s]})") for line, s in zip(lines, NOTES[name], strict=True)
    )
    assert run(q.torch_check.code) == q.torch_check.output  # the meta snippet is honest


def test_notes_printout_lines_for_lenet() -> None:
    q = verify(_q(params_of("LeNet", index=5), "shape"))
    assert q.expected == [1, 16, 5, 5] and q.answer == "(1, 16, 5, 5)"
    assert q.torch_check is not None
    assert q.torch_check.output.splitlines()[:3] == [
        "Conv2d output shape:\t torch.Size([1, 6, 28, 28])",
        "Sigmoid output shape:\t torch.Size([1, 6, 28, 28])",
        "AvgPool2d output shape:\t torch.Size([1, 6, 14, 14])",
    ]
    assert "(0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))" in q.prompt
    assert "(7): Linear(in_features=F, out_features=120, bias=True)" in q.prompt
    assert "400" not in q.prompt  # the flatten size is not given away


def test_vgg_blocks_are_d2l_conv_arch() -> None:
    blocks = vgg_blocks([[1, 64], [2, 128]], 1)
    assert blocks[1]["layers"] == [
        conv(64, 128, 3, 1, 1),
        {"layer": "ReLU"},
        conv(128, 128, 3, 1, 1),
        {"layer": "ReLU"},
        pool("MaxPool2d", 2, 2),
    ]
    assert NETWORKS["VGG-11"]["layers"][:5] == vgg_blocks(
        [[1, 64], [1, 128], [2, 256], [2, 512], [2, 512]], 1
    )


@pytest.mark.parametrize(
    ("name", "target", "index"),
    [("AlexNet", [1, 384, 12, 12], 6), ("VGG-11", [1, 4096], 6), ("LeNet", [1, 120], 7)],
)
def test_first_layer_with_a_shape(name: str, target: list[int], index: int) -> None:
    q = verify(_q(params_of(name, target_shape=target), "first_layer"))
    assert q.expected == index
    ids = {m.id: m.value for m in q.misconceptions}
    assert ids["counted-from-one"] == index + 1
    assert grade(q, str(index)).correct
    g = grade(q, str(index + 1))
    assert not g.correct and g.misconceptions
    assert g.mistake_ids == ("counted-from-one",)


# ---------------------------------------------------------------- misconceptions


def test_lenet_flatten_misconceptions() -> None:
    ids = {m.id: m.value for m in _q(params_of("LeNet"), "in_features").misconceptions}
    assert ids == {
        "flatten-sum": 26,  # 16 + 5 + 5
        "flatten-no-channels": 25,  # 5·5
        "channels-not-updated": 25,  # 1·5·5: the same number, both named
        "padding-once": 256,  # 28 + 2 − 5 + 1 = 26 → 13 → 9 → 4: 16·4·4
        "no-plus-one": 64,  # 27 → 12 → 7 → 2: 16·2·2
        "pool-stride-1": 7744,  # 28 → 27 → 23 → 22: 16·22·22
    }


def test_alexnet_and_vgg_misconceptions() -> None:
    alex = {m.id: m.value for m in _q(params_of("AlexNet"), "in_features").misconceptions}
    assert alex["flatten-sum"] == 266 and alex["flatten-no-channels"] == 25
    assert alex["pool-stride-1"] == 256 * 48 * 48  # 54 → 52 → 52 → 50 → 50 → 48
    vgg = {m.id: m.value for m in _q(params_of("VGG-11", index=1), "shape").misconceptions}
    assert vgg == {
        "padding-once": [1, 128, 55, 55],  # 224 + 1 − 3 + 1 = 223 → 111 → 110 → 55
        "no-plus-one": [1, 128, 53, 53],  # 223 → 110 → 109 → 53
        "pool-stride-1": [1, 128, 222, 222],  # 224 → 223 → 223 → 222
        "channels-not-updated": [1, 1, 56, 56],
    }


def test_random_stack_misconceptions_and_grading() -> None:
    layers = [
        conv(3, 8, 5, 2, 1),
        {"layer": "ReLU"},
        pool("MaxPool2d", 2, 2),
        {"layer": "Flatten"},
        {"layer": "Linear", "in_features": 8 * 7 * 7, "out_features": 10},
    ]
    params = {"input_shape": [4, 3, 32, 32], "layers": layers}
    q = verify(_q(params | {"index": 2}, "shape", 2))
    assert q.expected == [4, 8, 7, 7]  # ⌊(32 + 2 − 5)/2⌋ + 1 = 15, then ⌊(15 − 2)/2⌋ + 1 = 7
    assert {m.id: m.value for m in q.misconceptions} == {
        # padding once: ⌊(32 + 1 − 5)/2⌋ + 1 = 15 as well, so it is no mistake here
        "no-plus-one": [4, 8, 6, 6],  # 14, then 6
        "pool-stride-1": [4, 8, 14, 14],  # 15, then 14
        "channels-not-updated": [4, 3, 7, 7],
    }
    for typed in ("(4, 8, 7, 7)", "4x8x7x7", "torch.Size([4, 8, 7, 7])", "[4, 8, 7, 7]"):
        assert grade(q, typed).correct, typed
    g = grade(q, "4, 3, 7, 7")
    assert g.mistake_ids == ("channels-not-updated",)
    f = verify(_q(params, "in_features", 2))
    assert f.expected == 392
    got = {m.id: m.value for m in f.misconceptions}
    assert got["flatten-batch"] == 4 * 392 and got["flatten-sum"] == 22
    assert got["flatten-no-channels"] == 49


def test_checker_rejects_a_wrong_flatten_size() -> None:
    q = _q(params_of("LeNet"), "in_features")
    bad = params_of("LeNet")
    bad["layers"][7]["in_features"] = 256  # torch cannot multiply (1, 400) by a 256-input Linear
    with pytest.raises(Rejected):
        verify(Question.from_dict(q.to_dict() | {"params": bad}))


# ---------------------------------------------------------------- levels


@pytest.fixture(scope="module")
def drafted() -> dict[int, list[Question]]:
    return {lvl: [draft(FAMILY, s, lvl) for s in range(300)] for lvl in (1, 2, 3)}


def test_levels(drafted: dict[int, list[Question]]) -> None:
    for level, name in ((1, "LeNet"), (2, "AlexNet"), (3, "VGG-11")):
        qs = drafted[level]
        named = [q for q in qs if "network" in q.params]
        assert {q.params["network"] for q in named} == {name}
        assert 0.15 < len(named) / len(qs) < 0.45  # the named network is a minority
        assert {q.ask for q in named} == {"shape", "in_features", "first_layer"}
        assert {q.ask for q in qs if "network" not in q.params} == {"shape", "in_features"}
    random1 = [q for q in drafted[1] if "network" not in q.params]
    assert all(q.params["input_shape"][0] == 1 for q in random1)
    assert all(q.params["input_shape"][2] == q.params["input_shape"][3] for q in random1)
    random3 = [q for q in drafted[3] if "network" not in q.params]
    assert all(q.params["input_shape"][2] != q.params["input_shape"][3] for q in random3)
    assert any(x["layer"] == "AvgPool2d" for q in random3 for x in q.params["layers"])
    assert all(4 <= len(q.params["layers"]) - 2 <= 5 for q in random3)


def test_draw_is_deterministic_and_verified() -> None:
    for level in (1, 2, 3):
        for seed in (0, 7, 99):
            a, b = draw(FAMILY, seed, level), draw(FAMILY, seed, level)
            assert a == b and a.verified
