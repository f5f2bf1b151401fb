"""optical-flow: exact answers against sympy, hand-computed values, misconceptions,
grading and levels."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
import sympy

from quizzer.answers import grade
from quizzer.generators import get, localized
from quizzer.question import Question
from quizzer.verify import draw_many, verify

FAMILY = "optical-flow"
SEEDS = list(range(1000))


@pytest.fixture(scope="module")
def drawn() -> dict[int, list[Question]]:
    return {level: draw_many(FAMILY, SEEDS, level) for level in (1, 2, 3)}


def _one(ix: Any, iy: Any, it: Any, ask: str, known: Any, tol: float = 0.01) -> Question:
    p = {"Ix": ix, "Iy": iy, "It": it, "u": None, "v": None, "frames": None, "tolerance": tol}
    p["v" if ask == "u" else "u"] = known
    return verify(get(FAMILY).build(2, p, ask))


def _two(pixels: list[list[int]]) -> Question:
    return verify(get(FAMILY).build(3, {"pixels": pixels, "tolerance": 0.01}, "uv"))


def _sympy_answer(q: Question) -> Any:
    """The exact answer solved independently by sympy from the constraint equations."""
    u, v = sympy.symbols("u v")
    p = q.params
    if q.ask == "uv":
        eqs = [sympy.nsimplify(a) * u + sympy.nsimplify(b) * v + c for a, b, c in p["pixels"]]
        sol = sympy.solve(eqs, [u, v], dict=True)[0]
        return [sol[u], sol[v]]
    eq = p["Ix"] * u + p["Iy"] * v + p["It"]
    known = "v" if q.ask == "u" else "u"
    eq = eq.subs(sympy.Symbol(known), sympy.nsimplify(str(p[known])))
    (sol,) = sympy.solve(eq, sympy.Symbol(q.ask))
    return sol


@pytest.mark.parametrize("level", [1, 2, 3])
def test_exact_answers_with_sympy(drawn: dict[int, list[Question]], level: int) -> None:
    for q in drawn[level][:150]:
        want = _sympy_answer(q)
        if q.ask == "uv":
            got = [sympy.Rational(x) for x in q.extra["exact"]]
            assert got == want, (q.seed, got, want)
        else:
            assert sympy.Rational(q.extra["exact"]) == want, (q.seed, q.extra, want)
        if q.params.get("frames"):
            i0, i1 = q.params["frames"]
            assert q.params["It"] == i1 - i0


def test_hand_computed() -> None:
    q = _one(2, 3, -8, "v", 1)  # 2·1 + 3v − 8 = 0
    assert q.expected == 2 and q.result == [1, 2] and q.answer == "2"
    mis = {m.id: m.value for m in q.misconceptions}
    assert mis["it-sign"] == pytest.approx(-10 / 3)  # 2 + 3v = −8
    assert mis["uv-swapped"] == pytest.approx(5 / 2)  # 2v + 3·1 − 8 = 0
    assert mis["wrong-gradient"] == pytest.approx(3)  # 6 / 2
    assert mis["lost-minus"] == pytest.approx(-2)
    assert q.torch_check.output == "u = 1.000000, v = 2.000000"
    q = _one(-7, -3, -16, "u", 2.5)
    assert q.extra["exact"] == "-47/14" and q.answer == "-3.3571 (exactly -47/14)"
    q = _two([[1, 1, -3], [1, -1, -1]])  # u + v = 3, u − v = 1
    assert q.expected == [2, 1] and q.answer == "(2, 1)"
    mis = {m.id: m.value for m in q.misconceptions}
    assert mis == {"it-sign": [-2, -1], "uv-swapped": [1, 2]}  # A symmetric: transposed = A
    q = _two([[1, -3, -4], [-4, -3, 5]])
    assert q.extra["exact"] == ["9/5", "-11/15"]
    assert q.answer == "(9/5, -11/15) ≈ (1.8, -0.7333)"


def test_the_notes_mistake_is_corrected() -> None:
    q = _one(2, 3, -8, "v", 1)
    assert "I(x, y, t) = I(x + dx, y + dy, t + dt)" in q.prompt
    assert "I(x, y, z)" in q.solution and "time t" in q.solution
    zh = localized(q, "zh")
    assert "I(x, y, z)" in zh["solution"] and "时间 t" in zh["solution"]


def test_levels_differ(drawn: dict[int, list[Question]]) -> None:
    l1, l2, l3 = drawn[1], drawn[2], drawn[3]
    assert all(q.kind == "number" and q.tolerance == 1e-6 for q in l1)
    assert all(Fraction(q.extra["exact"]).denominator == 1 for q in l1)
    assert all(q.tolerance == 0.01 and Fraction(q.extra["exact"]).denominator > 1 for q in l2)
    assert 300 < sum(q.params["frames"] is not None for q in l2) < 700
    assert {q.ask for q in l1} == {q.ask for q in l2} == {"u", "v"}
    assert all(q.ask == "uv" and q.kind == "vector" for q in l3)


def test_misconceptions_cover_every_explanation(drawn: dict[int, list[Question]]) -> None:
    seen = {m.id for qs in drawn.values() for q in qs for m in q.misconceptions}
    assert seen == set(get(FAMILY).explanations)


def test_grading() -> None:
    q = _one(-7, -3, -16, "u", 2.5)  # −47/14 = −3.357
    for text in ("-47/14", "-3.36", "-3.357", "\u22123.357"):
        assert grade(q, text).correct, text
    assert grade(q, "47/14").mistake_ids == ("lost-minus",)
    q = _one(2, 3, -8, "v", 1, tol=1e-6)
    assert grade(q, "2").correct and not grade(q, "2.001").correct
    assert grade(q, "5/2").mistake_ids == ("uv-swapped",)
    q = _two([[1, -3, -4], [-4, -3, 5]])
    for text in ("(9/5, -11/15)", "1.8 -0.733", "[1.8, -0.7333]"):
        assert grade(q, text).correct, text
    assert grade(q, "(-11/15, 9/5)").mistake_ids == ("uv-swapped",)
    assert grade(q, "(-1.8, 0.7333)").mistake_ids == ("it-sign",)


def test_formula_side_is_sympy() -> None:
    """The exact answers are sympy's (issue 9 item 12): Rationals, an LU solve over QQ for two
    pixels; verified_by names sympy and torch; the hand-written Fraction code is gone."""
    from pathlib import Path

    from quizzer.generators import optical_flow as of

    assert of.solve_one(-7, -3, -16, 2.5, "u") == sympy.Rational(-47, 14)
    assert isinstance(of.solve_one(-7, -3, -16, 2.5, "u"), sympy.Rational)
    assert of.solve_two(((1, -3, -4), (-4, -3, 5))) == (
        sympy.Rational(9, 5),
        sympy.Rational(-11, 15),
    )
    assert of.solve_two(((1, 2, 3), (2, 4, 1))) is None  # singular
    assert of.determinant([[1, -3, -4], [-4, -3, 5]]) == -15
    q = _two([[1, -3, -4], [-4, -3, 5]])
    assert q.verified_by == (
        f"sympy {sympy.__version__}: exact closed forms",
        q.verified_by[1],
    ) and q.verified_by[1].startswith("torch ")
    assert q.torch_check.output == "u = 1.800000, v = -0.733333"  # real torch.linalg.solve
    assert q.result == [1.8, -0.7333333333333333]  # float(9/5), float(-11/15)
    source = Path(of.__file__).read_text(encoding="utf-8")
    assert "fractions" not in source and "Fraction" not in source
    assert get(FAMILY).formula_by == "sympy" and get(FAMILY).version == 2


def test_every_level_is_exact(drawn: dict[int, list[Question]]) -> None:
    """Every drawn question carries sympy's exact answer, and none was rejected."""
    for level in (1, 2, 3):
        assert all("exact" in q.extra and q.attempt == 0 for q in drawn[level]), level
    assert sum(q.params["frames"] is not None for q in drawn[2]) >= 400
