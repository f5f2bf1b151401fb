"""z-score family: formula vs torch on 1,000 seeds per level, sympy closed forms, grading."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
import sympy

from quizzer.answers import grade
from quizzer.generators import draft, get
from quizzer.generators import z_score as zs
from quizzer.question import Question
from quizzer.verify import draw, draw_many, verify
from quizzer.verify.z_score import check_z_score, check_z_score_batch

FAMILY = "z-score"
SEEDS = range(1000)


@pytest.fixture(scope="module")
def drawn() -> dict[int, list[Question]]:
    return {level: [draw(FAMILY, seed, level) for seed in SEEDS] for level in (1, 2, 3)}


def _build(
    data: list[int], x: int | None, c: int | None, ask: str = "z", tol: float = 0.01, level: int = 2
) -> Question:
    return verify(get(FAMILY).build(level, data, x, c, ask, tol))


def _sympy_value(q: Question) -> sympy.Expr:
    """The exact answer computed independently by sympy from the params."""
    data = [sympy.Integer(v) for v in q.params["data"]]
    mu = sum(data) / len(data)
    if q.ask == "mean":
        return mu
    c = q.params["correction"]
    sigma = sympy.sqrt(sum((v - mu) ** 2 for v in data) / (len(data) - c))
    return sigma if q.ask == "std" else (q.params["x"] - mu) / sigma


@pytest.mark.parametrize("level", [1, 2, 3])
def test_exact_forms_with_sympy(drawn: dict[int, list[Question]], level: int) -> None:
    for q in drawn[level]:
        exact = sympy.sympify(q.extra["exact"])
        assert abs(float(exact) - q.result) < 1e-9, (q.seed, q.extra["exact"], q.result)
        assert sympy.simplify(exact - _sympy_value(q)) == 0, (q.seed, q.extra["exact"])
        assert q.extra["exact"] in q.answer


def test_levels_differ(drawn: dict[int, list[Question]]) -> None:
    l1, l2, l3 = drawn[1], drawn[2], drawn[3]
    for q in l1:
        p = q.params
        assert len(p["data"]) == 4 and p["correction"] == 0 and p["x"] in p["data"]
        assert q.ask == "z" and q.tolerance == 0.01
    assert {len(q.params["data"]) for q in l2} == {5, 6}
    assert {q.params["correction"] for q in l2} == {0, 1}
    assert all(q.ask == "z" and q.params["x"] in q.params["data"] for q in l2)
    assert {q.ask for q in l3} == {"z", "mean", "std"}
    assert max(len(q.params["data"]) for q in l3) == 8
    assert any(q.ask == "z" and q.params["x"] not in q.params["data"] for q in l3)
    assert {q.tolerance for q in l3} == {0.01, 0.001}
    for q in l1 + l2 + l3:
        assert all(isinstance(v, int) and -10 <= v <= 15 for v in q.params["data"])
        assert q.ask != "z" or q.result != 0


@pytest.mark.parametrize("level", [1, 2, 3])
def test_batch_checker_matches_single(drawn: dict[int, list[Question]], level: int) -> None:
    """draw_many gives draw's questions, and the batched torch pass gives exactly the single
    checker's Checks: floats equal bit for bit, so the printed 6 decimals are the same too."""
    seeds = list(SEEDS)
    assert draw_many(FAMILY, seeds, level) == drawn[level]
    drafts = [draft(FAMILY, seed, level) for seed in seeds]
    batch = check_z_score_batch(drafts)
    for q, got in zip(drafts, batch, strict=True):
        want = check_z_score(q)
        assert isinstance(got, type(want)) and got == want, (q.seed, got, want)
        assert got.result.hex() == want.result.hex() and got.output == want.output


def test_hand_computed() -> None:
    q = _build([1, 2, 3, 4, 5], 2, 0)  # mu 3, sigma^2 = 10/5 = 2
    assert q.result == pytest.approx(-math.sqrt(2) / 2)
    assert q.extra["exact"] == "-sqrt(2)/2"
    assert q.answer == "-0.7071 (exactly -sqrt(2)/2)"
    assert "-sqrt(2)/2" not in q.prompt  # the example form must not give the answer away
    q = _build([2, 4, 4, 4, 5, 5, 7, 9], 9, 0)  # mu 5, population sigma 2
    assert q.result == 2 and q.answer == "2"
    q = _build([2, 4, 4, 4, 5, 5, 7, 9], 9, 1)  # sample sigma^2 = 32/7
    assert q.result == pytest.approx(4 / math.sqrt(32 / 7)) and q.extra["exact"] == "sqrt(14)/2"
    assert _build([1, 2, 4], None, None, "mean").extra["exact"] == "7/3"
    s = _build([2, 4, 4, 6], None, 1, "std")  # sigma^2 = 8/3
    assert s.result == pytest.approx(math.sqrt(8 / 3)) and s.extra["exact"] == "2*sqrt(6)/3"
    assert zs.sqrt_parts(Fraction(1, 2)) == (1, 2, 2)
    assert zs.sqrt_parts(Fraction(12)) == (2, 3, 1)
    assert zs.sqrt_parts(Fraction(9, 4)) == (3, 1, 2)
    assert zs.sqrt_parts(Fraction(50, 3)) == (5, 6, 3)
    assert zs.sqrt_parts(Fraction(72, 49)) == (6, 2, 7)


def test_grade_z() -> None:
    q = _build([1, 2, 3, 4, 5], 2, 0)
    for text in ("-0.71", "-1/sqrt(2)", "-sqrt(2)/2", "-0.7071", "\u22120.707", "-(2^0.5)/2"):
        assert grade(q, text).correct, text
    assert not grade(q, "-0.8").correct and grade(q, "-0.8").misconception is None
    cases = {
        "-0.63": "z-wrong-correction",  # sample sigma sqrt(5/2): -1/1.581
        "-1/sqrt(10/4)": "z-wrong-correction",
        "-0.5": "z-variance",  # -1 / 2
        "sqrt(2)": "z-no-centering",  # 2 / sqrt(2)
        "0.71": "z-sign",
    }
    for text, mid in cases.items():
        g = grade(q, text)
        assert not g.correct and g.misconception is not None and g.misconception.id == mid, text


def test_grade_std_and_mean() -> None:
    s = _build([2, 4, 4, 6], None, 1, "std")  # 1.633
    assert grade(s, "1.63").correct and grade(s, "2sqrt(6)/3").correct
    assert grade(s, "sqrt(2)").mistake_ids == ("z-wrong-correction",)
    assert grade(s, "8/3").mistake_ids == ("std-no-sqrt",)
    m = _build([1, 2, 4], None, None, "mean", 0.001)
    assert grade(m, "7/3").correct and grade(m, "2.333").correct and not grade(m, "2.33").correct


NUMBER = re.compile(r"\d+(?:\.\d+)?")


def test_chinese_text(drawn: dict[int, list[Question]]) -> None:
    gen = get(FAMILY)
    zh = gen.zh(_build([1, 2, 3, 4, 5], 2, 0))
    assert zh["answer"] == "-0.7071（精确值为 -sqrt(2)/2）"
    assert zh["prompt"] == (
        "数据：1, 2, 3, 4, 5（n = 5）\n计算 x = 2 的 z 分数：z = (x - mu) / sigma，其中 mu 是数据"
        "的均值，sigma 是总体标准差（平方偏差之和除以 n，同 torch.std(correction=0)）。\n"
        "z 的误差需在 ±0.01 以内；也接受精确形式，例如 3*sqrt(5)/10。"
    )
    assert zh["solution"].splitlines() == [
        "均值 mu = (1 + 2 + 3 + 4 + 5) / 5 = 3",
        "平方偏差：4, 1, 0, 1, 4；总和 = 10",
        "sigma^2 = 10 / 5 = 2，sigma = 1.4142（精确值为 sqrt(2)）",
        "z = (2 - 3) / sqrt(2) = -0.7071（精确值为 -sqrt(2)/2）",
    ]
    s = gen.zh(_build([2, 4, 4, 6], 9, 1, "std"))
    assert "样本标准差" in s["prompt"] and "n - 1" in s["prompt"]
    assert "（x 是一个新值，不在数据中）" in gen.zh(_build([2, 4, 4, 6], 9, 1))["prompt"]
    assert gen.zh(_build([1, 2, 4], None, None, "mean"))["answer"] == "2.3333（精确值为 7/3）"
    # the same numbers as the English text, in the same order, for every kind of question
    for level in (1, 2, 3):
        for q in drawn[level][::10]:
            zh = gen.zh(q)
            for key in ("prompt", "answer", "solution"):
                assert NUMBER.findall(zh[key]) == NUMBER.findall(getattr(q, key)), (q.seed, key)
    assert (gen.topic_zh, set(gen.explanations_zh)) == ("归一化", set(gen.explanations))
