"""regularization: hand-computed penalties, gradients and a weight_decay step, misconception
values, levels, and an independent sympy re-computation of every drafted answer.

tests/test_generators.py covers 1,000 seeds per level, snippets, typed answers and Chinese.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy

from quizzer.answers import grade, same_value
from quizzer.generators import draft, get
from quizzer.question import Question
from quizzer.verify import verify

FAMILY = "regularization"
W = [1, -2, 3]


def _q(ask: str, difficulty: int = 2, **params: Any) -> Question:
    p = {"weights": W, "lam": 0.1, "norm": "l2", "half": False, "data_loss": None} | params
    return verify(get(FAMILY).build(difficulty, p, ask))


def _misconceptions(q: Question) -> dict[str, Any]:
    return {m.id: m.value for m in q.misconceptions}


def _close(a: Any, b: Any) -> bool:
    """Equal dicts / lists / numbers up to float rounding."""
    return same_value(a, b, 1e-12)


def test_penalties() -> None:
    q = _q("penalty", norm="l1")
    assert q.expected == pytest.approx(0.6) and q.answer == "0.6"
    assert q.torch_check is not None and q.torch_check.output == "0.6"
    assert "0.1 * w.abs().sum()" in q.torch_check.code
    assert _misconceptions(q) == pytest.approx(
        {"l1-l2-swapped": 1.4, "abs-forgotten": 0.2, "lambda-forgotten": 6.0}
    )
    q = _q("penalty")
    assert q.expected == pytest.approx(1.4) and q.torch_check.output == "1.4"
    assert "Σw_i² = 1² + (-2)² + 3² = 14" in q.solution
    assert _misconceptions(q) == pytest.approx(
        {
            "l1-l2-swapped": 0.6,
            "square-forgotten": 0.2,
            "l2-norm-not-squared": 0.1 * 14**0.5,
            "half-added": 0.7,
            "lambda-forgotten": 14.0,
        }
    )
    assert grade(q, "0.6").mistake_ids == ("l1-l2-swapped",)
    assert grade(q, "0.1*sqrt(14)").mistake_ids == ("l2-norm-not-squared",)
    q = _q("penalty", half=True)
    assert q.expected == pytest.approx(0.7) and "(λ/2)" in q.prompt
    assert _misconceptions(q)["half-ignored"] == pytest.approx(1.4)


def test_total_loss() -> None:
    q = _q("total", data_loss=0.5)
    assert q.expected == pytest.approx(1.9) and q.result == pytest.approx([1.4, 1.9])
    assert q.torch_check is not None and q.torch_check.output == "1.4 1.9"
    m = _misconceptions(q)
    assert m["data-loss-forgotten"] == pytest.approx(1.4)
    assert m["l1-l2-swapped"] == pytest.approx(1.1) and m["lambda-forgotten"] == pytest.approx(14.5)


def test_gradients() -> None:
    q = _q("grad", 3, norm="l1")
    assert q.kind == "vector" and q.expected == pytest.approx([0.1, -0.1, 0.1])
    assert q.torch_check is not None and q.torch_check.output == "[0.1, -0.1, 0.1]"
    assert "penalty.backward()" in q.torch_check.code
    assert _close(
        _misconceptions(q),
        {"grad-l1-l2-swapped": [0.2, -0.4, 0.6], "lambda-forgotten": [1.0, -1.0, 1.0]},
    )
    q = _q("grad", 3)
    assert q.expected == pytest.approx([0.2, -0.4, 0.6])
    for text in ("[0.2, -0.4, 0.6]", "0.2 -0.4 0.6", "0.2, -0.4, 0.6"):
        assert grade(q, text).correct, text
    assert grade(q, "[0.1, -0.2, 0.3]").mistake_ids == ("grad-factor-2-forgotten",)
    assert grade(q, "[0.1, -0.1, 0.1]").mistake_ids == ("grad-l1-l2-swapped",)
    q = _q("grad", 3, half=True)
    assert q.expected == pytest.approx([0.1, -0.2, 0.3])
    assert grade(q, "[0.2, -0.4, 0.6]").mistake_ids == ("grad-half-ignored",)


def test_weight_decay_step() -> None:
    p = {"weights": [1, -2], "grads": [0.5, 0.5], "lr": 0.1, "weight_decay": 0.1}
    q = verify(get(FAMILY).build(3, p, "wd-step"))
    assert q.expected == pytest.approx([0.94, -2.03]) and q.answer == "[0.94, -2.03]"
    assert q.torch_check is not None and q.torch_check.output == "[0.94, -2.03]\nTrue"
    assert "weight_decay=0.1" in q.torch_check.code
    assert "(λ/2)·Σw_i²" in q.solution
    assert _close(
        _misconceptions(q),
        {
            "wd-factor-2": [0.93, -2.01],
            "wd-ignored": [0.95, -2.05],
            "sign-flipped": [1.06, -1.97],
            "lr-forgotten": [0.4, -2.3],
        },
    )
    assert grade(q, "0.94, -2.03").correct
    assert grade(q, "[0.93, -2.01]").mistake_ids == ("wd-factor-2",)


def _sympy_answer(q: Question) -> Any:
    """Every answer again, from the params, in exact sympy rationals."""
    p = q.params
    ws = [sympy.Rational(str(w)) for w in p["weights"]]
    if q.ask == "wd-step":
        lr, lam = sympy.Rational(str(p["lr"])), sympy.Rational(str(p["weight_decay"]))
        gs = [sympy.Rational(str(g)) for g in p["grads"]]
        return [w - lr * (g + lam * w) for w, g in zip(ws, gs, strict=True)]
    x = sympy.symbols(f"x0:{len(ws)}", real=True)
    lam = sympy.Rational(str(p["lam"]))
    if p["norm"] == "l1":
        pen = lam * sum(sympy.Abs(v) for v in x)
    else:
        pen = (lam / 2 if p["half"] else lam) * sum(v**2 for v in x)
    at = dict(zip(x, ws, strict=True))
    if q.ask == "grad":
        return [sympy.diff(pen, v).subs(at) for v in x]
    value = pen.subs(at)
    return value + sympy.Rational(str(p["data_loss"])) if q.ask == "total" else value


@pytest.mark.parametrize("level", [1, 2, 3])
def test_sympy_agrees_and_levels_differ(level: int) -> None:
    qs = [draft(FAMILY, seed, level) for seed in range(300)]
    for q in qs:
        want = _sympy_answer(q)
        if isinstance(want, list):
            assert q.expected == pytest.approx([float(v) for v in want], abs=1e-12), q.params
        else:
            assert q.expected == pytest.approx(float(want), abs=1e-12), q.params
    asks = {q.ask for q in qs}
    if level == 1:
        assert asks == {"penalty"} and all(len(q.params["weights"]) == 3 for q in qs)
        assert not any(q.params["half"] for q in qs)
    elif level == 2:
        assert asks == {"penalty", "total"} and any(q.params["half"] for q in qs)
        assert all(len(q.params["weights"]) == 4 for q in qs)
    else:
        assert asks == {"grad", "wd-step"}
        assert all(0 not in q.params["weights"] for q in qs)  # sign(0): no L1 gradient


def test_chinese_text() -> None:
    zh = get(FAMILY).zh(_q("penalty", norm="l1"))
    assert "L1 正则化项为 λ·‖w‖₁" in zh["prompt"] and zh["answer"] == "0.6"
    p = {"weights": [1, -2], "grads": [0.5, 0.5], "lr": 0.1, "weight_decay": 0.1}
    zh = get(FAMILY).zh(verify(get(FAMILY).build(3, p, "wd-step")))
    assert "`torch.optim.SGD([w], lr=0.1, weight_decay=0.1)`" in zh["prompt"]
    assert "等价于 L2 正则化项 (λ/2)·Σw_i²" in zh["solution"]


def test_formula_side_is_sympy() -> None:
    """The answers are sympy Rationals from the short decimals; verified_by names sympy and
    torch; the Decimal code (borrowed from sgd_momentum) is gone; the wording is data."""
    import re
    from pathlib import Path

    from quizzer.generators import regularization as reg

    p = {"weights": [0.1, -0.5], "grads": [1, 2], "lr": 0.1, "weight_decay": 0.01}
    assert reg.exact_answer(p, "wd-step") == [
        sympy.Rational(-1, 10000),
        sympy.Rational(-1399, 2000),
    ]
    q = verify(get(FAMILY).build(3, p, "wd-step"))
    assert q.answer == "[-0.0001, -0.6995]" and q.expected == [-0.0001, -0.6995]
    assert q.torch_check is not None and q.torch_check.output == "[-0.0001, -0.6995]\nTrue"
    assert q.verified_by[0] == f"sympy {sympy.__version__}: exact closed forms"
    assert q.verified_by[1].startswith("torch ")
    pen = {"weights": [1, -2, 3], "lam": 0.1, "norm": "l2", "half": True, "data_loss": 0.69}
    assert reg.exact_answer(pen, "total") == sympy.Rational(139, 100)
    tenth = sympy.Rational(1, 10)
    assert reg.exact_answer(pen | {"norm": "l1"}, "grad") == [tenth, -tenth, tenth]
    for value, text in (((-1, 100000), "-0.00001"), ((14, 1), "14"), ((47, 50), "0.94")):
        assert reg.dec(sympy.Rational(*value)) == text
    source = Path(reg.__file__).read_text(encoding="utf-8")
    assert "Decimal" not in source and "sgd_momentum" not in source
    assert get(FAMILY).formula_by == "sympy" and get(FAMILY).version == 2
    fields = re.compile(r"\{(\w+)")
    en, zh = reg.TEXT["en"], reg.TEXT["zh"]
    assert set(en) == set(zh)
    for key in en:
        assert set(fields.findall(en[key])) == set(fields.findall(zh[key])), key
