"""activations: exact values at x = ln r, derivatives, leaky ReLU, the collapse of two linear
layers, misconception values, levels, and an independent sympy re-computation.

tests/test_generators.py covers 1,000 seeds per level, snippets, typed answers and Chinese.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy

from quizzer.answers import grade
from quizzer.generators import draft, get
from quizzer.generators.activations import x_value
from quizzer.question import Question
from quizzer.verify import verify

FAMILY = "activations"
LAYERS = {"weight1": [[1, 2], [3, 4]], "bias1": [1, 2], "weight2": [[0, 1], [1, 0]]}


def _point(fn: str, x_text: str, ask: str = "value", slope: float | None = None) -> Question:
    p = {"fn": fn, "x": x_value(x_text), "x_text": x_text, "negative_slope": slope}
    return verify(get(FAMILY).build(2, p, ask))


def _misconceptions(q: Question) -> dict[str, Any]:
    return {m.id: m.value for m in q.misconceptions}


def test_exact_values() -> None:
    q = _point("sigmoid", "ln 3")
    assert q.expected == 0.75 and q.answer == "0.75 (exactly 3/4)" and q.extra["exact"] == "3/4"
    assert q.torch_check is not None and q.torch_check.output == "0.75"
    assert "math.log(3)" in q.torch_check.code
    for text in ("0.75", "3/4", "0.7505"):
        assert grade(q, text).correct, text
    assert grade(q, "0.8").mistake_ids == ("sigmoid-tanh-swapped",)  # tanh(ln 3) = 4/5
    assert _point("tanh", "ln 3").expected == pytest.approx(0.8)
    assert _point("sigmoid", "0").expected == 0.5
    assert _point("tanh", "0").answer == "0"
    q = _point("sigmoid", "-ln 2")
    assert q.expected == pytest.approx(1 / 3) and q.answer == "0.3333 (exactly 1/3)"
    assert "1/3" not in q.prompt  # the example fraction is never the answer
    assert _point("tanh", "ln 4").extra["exact"] == "15/17"


def test_derivatives() -> None:
    q = _point("sigmoid", "ln 3", "derivative")
    assert q.expected == pytest.approx(3 / 16) and q.extra["exact"] == "3/16"
    assert q.torch_check is not None and q.torch_check.output == "0.75 0.1875"
    assert "y.backward()" in q.torch_check.code
    assert _misconceptions(q) == pytest.approx(
        {
            "sigmoid-tanh-swapped": 9 / 25,  # tanh'(ln 3) = 1 - (4/5)²
            "derivative-as-value": 0.75,
            "derivative-factor-dropped": 0.25,
        }
    )
    assert grade(q, "0.75").mistake_ids == ("derivative-as-value",)
    q = _point("tanh", "ln 2", "derivative")
    assert q.expected == pytest.approx(16 / 25) and q.answer == "0.64 (exactly 16/25)"
    q = _point("relu", "-1.7", "derivative")
    assert q.expected == 0 and _misconceptions(q) == {"relu-abs": -1.0}
    assert _point("relu", "0.4", "derivative").expected == 1


def test_relu_and_leaky_relu() -> None:
    q = _point("relu", "-2")
    assert q.expected == 0 and q.torch_check is not None and q.torch_check.output == "0"
    assert grade(q, "2").mistake_ids == ("relu-abs",)
    q = _point("leaky_relu", "-2", slope=0.1)
    assert q.expected == pytest.approx(-0.2) and q.answer == "-0.2"
    assert q.torch_check is not None and "F.leaky_relu(x, negative_slope=0.1)" in q.torch_check.code
    assert grade(q, "0").mistake_ids == ("leaky-as-relu",)
    assert grade(q, "2").mistake_ids == ("relu-abs",)
    q = _point("leaky_relu", "-2", "derivative", 0.1)
    assert q.expected == pytest.approx(0.1) and q.torch_check.output == "-0.2 0.1"


def _collapse(ask: str, bias2: list[int] | None = None) -> Question:
    p = LAYERS | {"bias2": bias2 or [1, -1]}
    return verify(get(FAMILY).build(2, p, ask))


def test_collapse() -> None:
    q = _collapse("weight")
    assert q.kind == "matrix" and q.expected == [[3, 4], [1, 2]]  # W2·W1 swaps W1's rows
    assert q.result == [[[3, 4], [1, 2]], [3, 0]]
    assert q.torch_check is not None
    assert q.torch_check.output == "True\n[[3.0, 4.0], [1.0, 2.0]]\n[3.0, 0.0]"
    assert "nn.Sequential(nn.Linear(2, 2, dtype=torch.float64)" in q.torch_check.code
    assert _misconceptions(q) == {"composed-wrong-order": [[2, 1], [4, 3]]}
    for text in ("[[3, 4], [1, 2]]", "3 4; 1 2"):
        assert grade(q, text).correct
    assert grade(q, "[[2, 1], [4, 3]]").mistake_ids == ("composed-wrong-order",)
    q = _collapse("bias")
    assert q.kind == "vector" and q.expected == [3, 0]  # W2·b1 + b2 = [2, 1] + [1, -1]
    assert _misconceptions(q) == {"bias-sum": [2, 1], "bias-b2-only": [1, -1]}
    assert grade(q, "2 1").mistake_ids == ("bias-sum",)
    p = {
        "weight1": [[3, 0], [-1, 2], [0, 2]],
        "bias1": [1, -2, 2],
        "weight2": [[-2, 1, 3], [2, 3, -1]],
        "bias2": [-2, 0],
    }
    q = verify(get(FAMILY).build(3, p, "weight"))  # (2 -> 3 -> 2): W is 2x2
    assert q.expected == [[-7, 8], [3, 4]]
    assert _misconceptions(q)["composed-wrong-order"] == [[-6, 3, 9], [6, 5, -5], [4, 6, -2]]


def _sympy_answer(q: Question) -> Any:
    """The answer again from the params, by sympy: exact where x = ln r."""
    p = q.params
    if q.ask in ("weight", "bias"):
        w1, w2 = sympy.Matrix(p["weight1"]), sympy.Matrix(p["weight2"])
        if q.ask == "weight":
            return [[int(v) for v in row] for row in (w2 * w1).tolist()]
        return [int(v) for v in w2 * sympy.Matrix(p["bias1"]) + sympy.Matrix(p["bias2"])]
    x = sympy.Symbol("x", real=True)
    slope = sympy.Rational(str(p["negative_slope"] or 0))
    f = {
        "sigmoid": 1 / (1 + sympy.exp(-x)),
        "tanh": sympy.tanh(x),
        "relu": sympy.Max(0, x),
        "leaky_relu": sympy.Piecewise((x, x >= 0), (slope * x, True)),
    }[p["fn"]]
    if q.ask == "derivative":
        f = sympy.diff(f, x)
    xt = p["x_text"]
    if "ln" in xt:
        at = sympy.log(sympy.Integer(xt.split()[-1])) * (-1 if xt.startswith("-") else 1)
        return sympy.simplify(f.subs(x, at).rewrite(sympy.exp))
    return f.subs(x, sympy.Rational(xt))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_sympy_agrees_and_levels_differ(level: int) -> None:
    qs = [draft(FAMILY, seed, level) for seed in range(150)]
    for q in qs:
        want = _sympy_answer(q)
        if isinstance(want, list):
            assert q.expected == want, q.params
        else:
            assert q.expected == pytest.approx(float(want), abs=1e-12), q.params
            if "exact" in q.extra:
                assert sympy.Rational(q.extra["exact"]) - want == 0, q.params
    asks, fns = {q.ask for q in qs}, {q.params.get("fn") for q in qs}
    if level == 1:
        assert asks == {"value"} and fns == {"sigmoid", "tanh", "relu"}
        assert all(
            "ln" in q.params["x_text"] or q.params["x_text"] == "0"
            for q in qs
            if q.params["fn"] != "relu"
        )
    elif level == 2:
        assert asks == {"value", "derivative", "weight", "bias"} and "leaky_relu" not in fns
        assert all(len(q.params["weight1"]) == 2 for q in qs if q.ask in ("weight", "bias"))
    else:
        assert asks == {"value", "derivative", "weight", "bias"} and "leaky_relu" in fns
        assert "relu" not in fns
        assert all(
            (len(q.params["weight1"][0]), len(q.params["weight1"]), len(q.params["weight2"]))
            != (2, 2, 2)
            for q in qs
            if q.ask in ("weight", "bias")
        )


def test_chinese_text() -> None:
    zh = get(FAMILY).zh(_point("sigmoid", "ln 3", "derivative"))
    assert zh["prompt"].startswith("x = ln 3（≈ 1.0986） 时，sigmoid(x) 的导数是多少？")
    assert zh["answer"] == "0.1875 (精确值 3/16)"
    zh = get(FAMILY).zh(_collapse("weight"))
    assert "`net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))`" in zh["prompt"]
    assert "W = W2·W1 = [[3, 4], [1, 2]]" in zh["solution"]


def test_formula_side_is_sympy() -> None:
    """Values and derivatives come from sympy (sympy.diff, simplify at x = ln r); verified_by
    names sympy and torch; the hand-written Fraction formulas are gone."""
    from pathlib import Path

    from quizzer.generators import activations as act

    assert act.exact_point("sigmoid", "value", "-ln 2") == sympy.Rational(1, 3)
    assert act.exact_point("tanh", "value", "ln 4") == sympy.Rational(15, 17)
    assert act.exact_point("tanh", "derivative", "ln 4") == sympy.Rational(64, 289)
    assert act.exact_point("sigmoid", "derivative", "ln 3") == sympy.Rational(3, 16)
    assert sympy.sstr(act.exact_point("sigmoid", "value", "0.3")) == "1/(exp(-3/10) + 1)"
    assert act.exact_point("leaky_relu", "value", "-2.9", 0.1) == sympy.Rational(-29, 100)
    assert act.ratio("-ln 2") == sympy.Rational(1, 2)
    q = _point("tanh", "ln 4", "derivative")
    assert q.answer == "0.2215 (exactly 64/289)" and q.extra["exact"] == "64/289"
    assert q.torch_check is not None and q.torch_check.output == "0.8823529412 0.2214532872"
    assert q.verified_by[0] == f"sympy {sympy.__version__}: exact closed forms"
    assert q.verified_by[1].startswith("torch ")
    assert "tanh(ln 4) = 15/17" in q.solution
    source = Path(act.__file__).read_text(encoding="utf-8")
    assert "fractions" not in source and "Fraction" not in source
    assert not hasattr(act, "ln_ratio") and not hasattr(act, "exact")
    assert get(FAMILY).formula_by == "sympy" and get(FAMILY).version == 2


def test_exact_answers_per_level() -> None:
    """How many of 1,000 seeds have sympy's exact fraction: most of level 1 (x = ln r), some
    of level 2 (derivatives at ln r), none at level 3 (decimals)."""
    counts = [
        sum("exact" in draft(FAMILY, seed, level).extra for seed in range(1000))
        for level in (1, 2, 3)
    ]
    assert counts[0] >= 600 and counts[1] >= 150 and counts[2] == 0, counts
