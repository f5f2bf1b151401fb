"""z-score family: formula vs torch on 1,000 seeds per level, sympy closed forms, grading, and
the "code" questions whose estimator is only implied by the call (torch vs NumPy defaults)."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

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


def _code(data: list[int], call: str, level: int = 3, tol: float = 0.01) -> Question:
    return verify(get(FAMILY).build(level, data, None, zs.CALLS[call], "code", tol, call))


def _sympy_value(q: Question) -> sympy.Expr | None:
    """The exact answer computed independently by sympy from the params (None: 0 / 0)."""
    data = [sympy.Integer(v) for v in q.params["data"]]
    n, mu = len(data), sum(data) / len(data)
    if q.ask == "mean":
        return mu
    c = q.params["correction"]
    if n == c:
        return None
    var = sum((v - mu) ** 2 for v in data) / (n - c)
    if q.ask == "code" and "var" in q.params["call"]:
        return var
    sigma = sympy.sqrt(var)
    return sigma if q.ask in ("std", "code") else (q.params["x"] - mu) / sigma


@pytest.mark.parametrize("level", [1, 2, 3])
def test_exact_forms_with_sympy(drawn: dict[int, list[Question]], level: int) -> None:
    for q in drawn[level]:
        want = _sympy_value(q)
        if want is None:  # torch's nan
            assert q.extra["exact"] is None and q.result is None and q.expected is None
            continue
        exact = sympy.sympify(q.extra["exact"])
        assert abs(float(exact) - q.result) < 1e-9, (q.seed, q.extra["exact"], q.result)
        assert sympy.simplify(exact - want) == 0, (q.seed, q.extra["exact"])
        assert q.extra["exact"] in q.answer
        assert q.verified_by[0] == f"sympy {sympy.__version__}: exact closed forms"
        assert q.verified_by[1].startswith("torch ")


def test_closed_forms_come_from_sympy_and_the_hand_written_code_is_gone() -> None:
    """sympy's text of known values, and no square-root simplifier or Fraction code left."""
    data = (2, 4, 4, 6)
    assert zs.closed_form(zs.exact_value(data, None, 1, "std")) == "2*sqrt(6)/3"
    assert zs.closed_form(zs.exact_value(data, None, 1, "var")) == "8/3"
    assert zs.closed_form(zs.exact_value((2, 4, 4, 4, 5, 5, 7, 9), 9, 1, "z")) == "sqrt(14)/2"
    assert zs.closed_form(zs.exact_value((1, 2, 3, 4, 5), 2, 0, "z")) == "-sqrt(2)/2"
    assert zs.closed_form(zs.exact_value((1, 2, 4), None, None, "mean")) == "7/3"
    assert zs.exact_value((5,), None, 1, "std") is None  # 0 / 0
    assert get(FAMILY).formula_by == "sympy"
    for gone in ("sqrt_parts", "_sqrt_parts", "_sqrt_text", "exact_text", "_exact_z", "Fraction"):
        assert not hasattr(zs, gone), gone
    source = Path(zs.__file__).read_text(encoding="utf-8")
    assert "fractions" not in source and "\nimport sympy" not in source  # lazy import only


def test_levels_differ(drawn: dict[int, list[Question]]) -> None:
    l1, l2, l3 = drawn[1], drawn[2], drawn[3]
    for q in l1:
        p = q.params
        assert len(p["data"]) == 4 and q.tolerance == 0.01
        if q.ask == "code":
            assert p["call"] in ("torch.std(x)", "x.std()", "np.std(a)")
        else:
            assert q.ask == "z" and p["correction"] == 0 and p["x"] in p["data"]
    z2 = [q for q in l2 if q.ask == "z"]
    assert {len(q.params["data"]) for q in z2} == {5, 6}
    assert {q.params["correction"] for q in z2} == {0, 1}
    assert all(q.params["x"] in q.params["data"] for q in z2)
    assert {q.ask for q in l2} == {"z", "code"}
    assert {len(q.params["data"]) for q in l2 if q.ask == "code"} == {4, 5, 6}
    assert {q.ask for q in l3} == {"z", "mean", "std", "code"}
    assert max(len(q.params["data"]) for q in l3) == 8
    assert any(q.ask == "z" and q.params["x"] not in q.params["data"] for q in l3)
    assert {q.tolerance for q in l3} == {0.01, 0.001}
    for q in l1 + l2 + l3:
        assert all(isinstance(v, int) and -10 <= v <= 15 for v in q.params["data"])
        assert q.ask != "z" or q.result != 0
        assert q.allow_undefined == (q.ask == "code" and q.difficulty == 3)


def test_how_often_each_new_case_is_drawn(drawn: dict[int, list[Question]]) -> None:
    """The "code" questions (the estimator implied by the call) per level in 1,000 seeds:
    each call, and at level 3 torch's nan and NumPy's 0 for one value, dozens of times."""
    counts = {}
    for level in (1, 2, 3):
        codes = [q for q in drawn[level] if q.ask == "code"]
        counts[level] = Counter(q.params["call"] for q in codes)
        one = [q for q in codes if len(q.params["data"]) == 1]
        counts[level]["nan"] = sum(q.expected is None for q in one)
        counts[level]["numpy one value"] = sum(q.expected == 0 for q in one)
    assert set(counts[1]) == {"torch.std(x)", "x.std()", "np.std(a)", "nan", "numpy one value"}
    assert min(counts[1][c] for c in ("torch.std(x)", "x.std()", "np.std(a)")) >= 40
    assert counts[1]["nan"] == counts[1]["numpy one value"] == 0
    assert min(counts[2][c] for c in zs.CALLS) >= 30 and counts[2]["nan"] == 0
    assert min(counts[3][c] for c in zs.CALLS) >= 30
    assert counts[3]["nan"] >= 30 and counts[3]["numpy one value"] >= 12


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
        assert got.output == want.output
        assert got.result is None or got.result.hex() == want.result.hex()


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
    assert _build([1, 2, 3, 4, 5], 2, 0).torch_check.output == "-0.707107"
    # torch (float64) gave -0.7071067811865475; sympy's float of -sqrt(2)/2 agrees
    assert _build([1, 2, 3, 4, 5], 2, 0).result == pytest.approx(-0.7071067811865475, rel=1e-15)


def test_code_defaults_torch_vs_numpy() -> None:
    """The call alone decides the estimator: torch's default correction=1 (n - 1), NumPy's
    ddof=0 (n). Values from real torch / NumPy (float64) on [2, 4, 4, 6] and [1, 2, 3, 4]."""
    t = _code([2, 4, 4, 6], "torch.std(x)", level=2)
    assert t.result == pytest.approx(1.632993161855452, rel=1e-15)  # torch.std
    assert t.extra["exact"] == "2*sqrt(6)/3" and t.answer == "1.6330 (exactly 2*sqrt(6)/3)"
    assert t.torch_check.output == "1.632993"
    assert "x = torch.tensor([2., 4., 4., 6.])" in t.prompt and "correction" not in t.prompt
    assert {m.id: m.value for m in t.misconceptions} == pytest.approx(
        {"torch-default-is-n": math.sqrt(2), "std-no-sqrt": 8 / 3}
    )
    assert grade(t, "sqrt(2)").mistake_ids == ("torch-default-is-n",)
    assert grade(t, "2*sqrt(6)/3").correct and not t.allow_undefined
    n = _code([2, 4, 4, 6], "np.std(a)", level=2)
    assert n.result == pytest.approx(1.4142135623730951, rel=1e-15)  # np.std
    assert n.extra["exact"] == "sqrt(2)" and n.torch_check.output == "1.414214\n1.414214"
    assert "NumPy" in n.verified_by[1] and "correction=0" in n.verified_by[1]
    assert grade(n, "1.633").mistake_ids == ("numpy-default-is-n-1",)
    v = _code([1, 2, 3, 4], "x.var()")
    assert v.result == pytest.approx(1.6666666666666667, rel=1e-15) and v.extra["exact"] == "5/3"
    assert grade(v, "1.25").mistake_ids == ("torch-default-is-n",)
    assert grade(v, "sqrt(5/3)").mistake_ids == ("var-is-std",)
    nv = _code([1, 2, 3, 4], "np.var(a)")
    assert nv.result == 1.25 and nv.extra["exact"] == "5/4"
    assert grade(nv, "5/3").mistake_ids == ("numpy-default-is-n-1",)
    assert check_z_score(v).result == v.result and check_z_score(nv).result == nv.result


def test_one_value_torch_nan_numpy_zero() -> None:
    """n = 1: torch's default divides 0 by n - 1 = 0 and returns nan with a warning (it does
    not raise): the answer is undefined. NumPy divides by n = 1: 0."""
    q = _code([5], "torch.std(x)")
    assert q.expected is None and q.result is None and q.allow_undefined
    assert q.answer == "nan (undefined)" and q.extra["exact"] is None
    assert q.torch_check.output == "nan\nUserWarning: std(): degrees of freedom is <= 0"
    assert "If it is nan, answer nan" in q.prompt
    assert grade(q, "nan").correct and grade(q, "undefined").correct and grade(q, "error").correct
    assert grade(q, "0").mistake_ids == ("torch-default-is-n",)
    assert "returns nan" in q.solution and "does not raise" in q.solution
    assert check_z_score(q).result is None
    v = _code([-3], "x.var()")
    assert v.expected is None and "var(): degrees of freedom" in v.torch_check.output
    z = _code([5], "np.std(a)")
    assert z.expected == 0 and z.answer == "0" and z.torch_check.output == "0.000000\n0.000000"
    assert grade(z, "0").correct
    assert grade(z, "undefined").mistake_ids == ("numpy-default-is-n-1",)


def test_grade_z() -> None:
    q = _build([1, 2, 3, 4, 5], 2, 0)
    for text in ("-0.71", "-1/sqrt(2)", "-sqrt(2)/2", "-0.7071", "\u22120.707", "-(2^0.5)/2"):
        assert grade(q, text).correct, text
    assert not grade(q, "-0.8").correct and grade(q, "-0.8").mistake_ids == ()
    cases = {
        "-0.63": "z-wrong-correction",  # sample sigma sqrt(5/2): -1/1.581
        "-1/sqrt(10/4)": "z-wrong-correction",
        "-0.5": "z-variance",  # -1 / 2
        "sqrt(2)": "z-no-centering",  # 2 / sqrt(2)
        "0.71": "z-sign",
    }
    for text, mid in cases.items():
        g = grade(q, text)
        assert not g.correct and g.mistake_ids == (mid,), text


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


def test_wording_tables_match() -> None:
    """z_score.toml: the same keys in English and Chinese, with the same {fields}."""
    fields = re.compile(r"\{(\w+)")
    en, zh = zs.TEXT["en"], zs.TEXT["zh"]
    assert set(en) == set(zh)
    for key in en:
        assert set(fields.findall(en[key])) == set(fields.findall(zh[key])), key
