"""affine: hand-computed y = A·x + b, nn.Linear's weight shape, linear vs affine, grading.
(Every-seed verification, snippets and typed answers are covered by test_generators.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from quizzer.answers import grade
from quizzer.generators import affine as af
from quizzer.generators import draft, get, localized
from quizzer.question import Question
from quizzer.verify import verify

FAMILY = "affine"
A = [[1, 2], [3, 4]]


def _q(ask: str, params: dict[str, Any], level: int = 2) -> Question:
    return verify(get(FAMILY).build(level, ask, params))


def _mis(q: Question) -> dict[str, Any]:
    return {m.id: m.value for m in q.misconceptions}


def test_formula_by_hand() -> None:
    assert af.affine(A, [5, 6], [1, -1]) == [18, 38]  # [1·5 + 2·6 + 1, 3·5 + 4·6 - 1]
    assert af.affine(A, [5, 6], [1, -1], transposed=True) == [24, 33]  # x·A + b
    assert af.affine(A, [5, 6], [1, -1], no_bias=True) == [17, 39]
    assert af.affine(A, [5, 6], [1, -1], bias_sign=-1) == [16, 40]
    m23 = [[1, 0, 2], [-1, 3, 1]]  # R^3 -> R^2
    assert af.affine(m23, [1, 2, 3], [0, 1]) == [7, 9]
    assert af.affine(m23, [1, 2, 3], [0, 1], transposed=True) is None  # x·A needs len(x) == 2
    assert af.affine_batch(A, [[1, 0], [0, 1]], [1, -1]) == [[2, 2], [3, 3]]  # columns of A + b
    assert af.weight_shape(784, 128) == [128, 784]
    assert af.weight_shape(784, 128, swapped=True) == [784, 128]
    assert af.is_linear([0, 0]) == "yes" and af.is_linear([0, 1]) == "no"


def test_output_question_and_misconceptions() -> None:
    q = _q("output", {"weight": A, "bias": [1, -1], "input": [5, 6]}, level=1)
    assert q.expected == [18, 38] and q.answer == "[18, 38]"
    assert q.verified and q.torch_check.output == "[18.0, 38.0]\n[18.0, 38.0]"
    assert _mis(q) == {
        "affine-transposed": [24, 33],
        "affine-no-bias": [17, 39],
        "affine-bias-subtracted": [16, 40],
    }
    for text in ("[18, 38]", "18 38", "18, 38", "(18, 38)"):
        assert grade(q, text).correct, text
    assert grade(q, "17 39").mistake_ids == ("affine-no-bias",)
    assert grade(q, "[24, 33]").mistake_ids == ("affine-transposed",)
    assert grade(q, "16, 40").mistake_ids == ("affine-bias-subtracted",)
    assert "e.g. [1, 2]" in q.prompt  # the example form is never the answer
    q2 = _q("output", {"weight": A, "bias": [0, -1], "input": [1, 0]}, level=1)
    assert q2.expected == [1, 2] and "e.g. [4, -1]" in q2.prompt


def test_component_batch_and_shape() -> None:
    p = {"weight": [[1, 0, 2], [-1, 3, 1]], "bias": [0, 1], "input": [1, 2, 3], "index": 1}
    q = _q("component", p)
    assert q.kind == "int" and q.expected == 9 and grade(q, "9").correct
    assert "affine-transposed" not in _mis(q)  # undefined for a 2 × 3 matrix
    assert _mis(q)["affine-no-bias"] == 8
    b = _q("batch", {"weight": A, "bias": [1, -1], "input": [[1, 0], [0, 1], [2, 1]]}, level=3)
    assert b.expected == [[2, 2], [3, 3], [5, 9]] and b.kind == "matrix"
    assert grade(b, "2 2; 3 3; 5 9").correct
    assert grade(b, "[[1, 3], [2, 4], [4, 10]]").mistake_ids == ("affine-no-bias",)
    s = _q("weight_shape", {"in_features": 784, "out_features": 128}, level=3)
    assert s.expected == [128, 784] and s.torch_check.output == "torch.Size([128, 784])"
    assert grade(s, "torch.Size([128, 784])").correct
    assert grade(s, "(784, 128)").mistake_ids == ("linear-weight-shape-swapped",)


def test_linear_or_affine() -> None:
    """The notes: an affine map is one linear map plus one translation; only b = 0 is linear."""
    no = _q("linear", {"weight": A, "bias": [1, 0]})
    assert no.expected == "no" and "f(0) = [1.0, 0.0]" in no.torch_check.output
    assert grade(no, "no").correct and grade(no, "否").correct and grade(no, "affine").correct
    assert grade(no, "yes").mistake_ids == ("affine-is-linear",)
    yes = _q("linear", {"weight": A, "bias": [0, 0]}, level=3)
    assert yes.expected == "yes" and "f(u + v) == f(u) + f(v): True" in yes.torch_check.output
    assert grade(yes, "是").correct and grade(yes, "no").mistake_ids == ("linear-denied",)
    assert "nn.Linear(2, 2)" in yes.prompt


@pytest.mark.parametrize("level", [1, 2, 3])
def test_levels(level: int) -> None:
    qs = [draft(FAMILY, seed, level) for seed in range(300)]
    asks = {q.ask for q in qs}
    if level == 1:
        assert asks == {"output"}
        assert all(len(q.params["weight"]) == len(q.params["weight"][0]) == 2 for q in qs)
    elif level == 2:
        assert asks == {"output", "component", "weight_shape", "linear"}
    else:
        assert asks == {"batch", "output", "weight_shape", "linear"}
        assert max(q.params.get("in_features", 0) for q in qs) == 784
    for q in qs:
        if "weight" in q.params:
            assert all(-3 <= v <= 5 for row in q.params["weight"] for v in row)
        if q.ask == "linear":
            assert q.expected == ("yes" if not any(q.params["bias"]) else "no")


def test_chinese() -> None:
    q = _q("output", {"weight": A, "bias": [1, -1], "input": [5, 6]}, level=3)
    zh = localized(q, "zh")
    assert "`layer = nn.Linear(2, 2)`" in zh["prompt"] and "请回答向量" in zh["prompt"]
    assert "y[0] = 1·5 + 2·6 + (1) = 18" in zh["solution"] and zh["answer"] == "[18, 38]"
    assert localized(q, "en")["solution"].endswith("Answer: [18, 38].")
