"""ten-x: the notes' reading of "10x" and "10x less", the phrase table, misconception values,
grading, the batch checker and the Chinese text."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import pytest

from quizzer.answers import grade
from quizzer.generators import draft, get, localized
from quizzer.generators.ten_x import FACTORS, PHRASES, QUANTITIES, decimals, factor_of, new_value
from quizzer.question import Question
from quizzer.verify import verify
from quizzer.verify.ten_x import check, check_batch

FAMILY = "ten-x"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _q(phrase: str, baseline: Any, factor: Any = None, new: Any = None, level: int = 2):
    params: dict[str, Any] = {"phrase": phrase, "baseline": baseline}
    if new is None:
        params["factor"] = factor
        return verify(get(FAMILY).build(level, params, "value"))
    params["new"] = new
    return verify(get(FAMILY).build(level, params, "factor"))


def _wrong(q: Question) -> dict[str, float]:
    return {m.id: m.value for m in q.misconceptions}


def test_notes_ten_times_and_one_tenth() -> None:
    """Study notes: "10x" means ten times as much; "10x less" means one tenth."""
    more = _q("mem-more", 12, 10, level=1)
    assert more.expected == 120 and more.answer == "120"
    assert _wrong(more) == {"plus-times": 132, "factor-inverted": 1.2}
    less = _q("mem-less", 8, 10, level=1)
    assert less.expected == pytest.approx(0.8) and less.answer == "0.8"
    assert _wrong(less) == {"minus-times": -72, "minus-factor": -2, "factor-inverted": 80}


def test_exact_answers() -> None:
    q = _q("mem-reduce", 50, 4)  # "reduces memory use by 4x"
    assert q.expected == 12.5 and q.answer == "12.5" and q.tolerance == 0.01
    q = _q("params-fewer", 125, 10)
    assert q.expected == 12.5
    q = _q("error-reduce", 13.9, 5)
    assert q.answer == "2.78" and q.tolerance == 0.001
    assert new_value(Fraction(1), Fraction(8), "div") == Fraction(1, 8)
    assert decimals(Fraction(1, 8)) == 3 and decimals(Fraction(1, 3)) is None


def test_faster_divides_a_time_and_multiplies_a_rate() -> None:
    t = _q("train-faster", 36, 4, level=3)
    assert t.expected == 9 and _wrong(t)["time-vs-rate"] == 144
    r = _q("throughput-faster", 400, 2, level=3)
    assert r.expected == 800 and _wrong(r) == {"plus-times": 1200, "time-vs-rate": 200}
    s = _q("infer-slower", 20, 2.5, level=3)
    assert s.expected == 50 and _wrong(s)["time-vs-rate"] == 8


def test_asking_for_the_factor() -> None:
    q = _q("infer-faster", 120, new=30, level=3)
    assert q.expected == 4 and "Nx faster" in q.prompt
    assert _wrong(q) == {"minus-times": 0.75, "minus-factor": 90, "time-vs-rate": 0.25}
    m = _q("params-more", 50, new=500, level=3)
    assert m.expected == 10 and _wrong(m)["plus-times"] == 9
    assert factor_of(Fraction(50), Fraction(500), "mul", "plus-times") == 9


def test_grading() -> None:
    q = _q("mem-reduce", 50, 4)
    for text in ("12.5", "12.50", "50/4", "25/2"):
        assert grade(q, text).correct, text
    assert grade(q, "-150").mistake_ids == ("minus-times",)
    assert grade(q, "46").mistake_ids == ("minus-factor",)
    assert grade(q, "200").mistake_ids == ("factor-inverted",)
    assert not grade(q, "12.6").correct and grade(q, "12.6").misconceptions == ()
    f = _q("infer-faster", 120, new=30, level=3)
    assert grade(f, "4").correct and grade(f, "1/4").mistake_ids == ("time-vs-rate",)


def test_phrase_table() -> None:
    assert {p["level"] for p in PHRASES.values()} == {1, 2, 3}
    for pid, p in PHRASES.items():
        assert p["quantity"] in QUANTITIES, pid
        assert p["op"] in ("mul", "div") and "{f}" in p["en"] and "{f}" in p["zh"], pid
        assert CJK.search(p["zh"]), pid
        qty = QUANTITIES[p["quantity"]]
        if p.get("speed"):  # faster divides a time, multiplies a rate
            faster = "faster" in p["en"]
            assert qty["type"] in ("time", "rate"), pid
            assert p["op"] == ("div" if (qty["type"] == "time") == faster else "mul"), pid
        elif re.search(r"\b(less|fewer|smaller|lower|reduces|cheaper|shrinks)\b", p["en"]):
            assert p["op"] == "div", pid
        else:
            assert p["op"] == "mul", pid
    for qty in QUANTITIES.values():
        assert qty["type"] in ("amount", "time", "rate") and 0 < qty["lo"] < qty["hi"]


def test_levels() -> None:
    for seed in range(300):
        q1, q2, q3 = (draft(FAMILY, seed, level) for level in (1, 2, 3))
        assert q1.ask == "value" and PHRASES[q1.params["phrase"]]["level"] == 1
        assert q1.params["factor"] in FACTORS[1] and isinstance(q1.params["baseline"], int)
        assert q2.ask == "value"
        if PHRASES[q2.params["phrase"]]["level"] == 1:
            assert q2.params["factor"] not in FACTORS[1]
        if q3.ask == "value":
            assert PHRASES[q3.params["phrase"]]["level"] == 3
        else:
            assert "factor" not in q3.params and "new" in q3.params
        for q in (q1, q2, q3):
            assert q.result > 0 and decimals(Fraction(str(q.result))) is not None
            assert "new" not in q.params or q.ask == "factor"  # the answer is not in params


@pytest.mark.parametrize("level", [1, 2, 3])
def test_batch_checker_matches_single(level: int) -> None:
    drafts = [draft(FAMILY, seed, level) for seed in range(1000)]
    for q, got in zip(drafts, check_batch(drafts), strict=True):
        want = check(q)
        assert got == want and got.result.hex() == want.result.hex(), (q.seed, got, want)


def test_chinese_text() -> None:
    q = _q("mem-less", 8, 10, level=1)
    zh = localized(q, "zh")
    assert "`The new model uses 10x less memory than the baseline.`" in zh["prompt"]
    assert "少 10 倍" in zh["prompt"] and "8 GB" in zh["prompt"]
    assert "1/10" in zh["solution"] and zh["solution"].endswith("答案：0.8。")
    f = localized(_q("train-faster", 36, new=9, level=3), "zh")
    assert "N 是多少" in f["prompt"] and "用时更少" in f["solution"]
