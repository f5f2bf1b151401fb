"""star-unpacking: the study notes' examples, the binder against the real interpreter
(values and TypeError messages), misconception values, grading and levels."""

from __future__ import annotations

import random
from typing import Any

import pytest

from quizzer.answers import grade
from quizzer.generators import get, localized
from quizzer.generators import star_unpacking as su
from quizzer.question import Question
from quizzer.verify import draw_many, verify
from quizzer.verify.star_unpacking import check

FAMILY = "star-unpacking"
SEEDS = list(range(1000))


@pytest.fixture(scope="module")
def drawn() -> dict[int, list[Question]]:
    return {level: draw_many(FAMILY, SEEDS, level) for level in (1, 2, 3)}


def _q(fn: str, call: list[list[Any]], default: int | None = None, level: int = 2) -> Question:
    return verify(get(FAMILY).build(level, {"function": fn, "default": default, "call": call}))


def _mis(q: Question) -> dict[str, Any]:
    return {m.id: m.value for m in q.misconceptions}


def test_study_notes_examples() -> None:
    assert _q("add", [["*list", [1, 2]]]).expected == 3
    assert _q("add", [["*tuple", [1, 2]]]).expected == 3
    q = _q("add", [["**dict", [["x", 1], ["y", 2]]]])
    assert q.expected == 3 and q.torch_check.output == "3"
    assert "add(**{'x': 1, 'y': 2})" in q.prompt
    # the keys must match the parameter names
    bad = _q("add", [["**dict", [["x", 1], ["z", 2]]]])
    assert bad.expected is None and bad.answer.startswith("error")
    assert bad.extra["error"] == "add() got an unexpected keyword argument 'z'"
    assert bad.torch_check.output == "TypeError: add() got an unexpected keyword argument 'z'"
    assert _mis(bad) == {"kwargs-by-order": 3}
    extra = _q("add", [["pos", 1], ["**dict", [["y", 2], ["w", 5]]]])
    assert extra.expected is None and _mis(extra)["extra-key-ignored"] == 3


def test_hand_computed_values_and_misconceptions() -> None:
    q = _q("f", [["*list", [1, 2]]], default=3)  # x=1, y=2, z=3
    assert q.expected == 321
    assert _mis(q) == {"default-ignored": 21, "positional-reversed": 312}
    q = _q("f", [["*dict", [[3, 1], [4, 2]]]], default=0)  # the keys 3, 4
    assert q.expected == 43 and _mis(q)["star-dict-values"] == 21
    q = _q("f", [["*list", [1, 2]], ["**dict", [["y", 5]]]], default=0)
    assert q.expected is None and "multiple values for argument 'y'" in q.extra["error"]
    assert _mis(q)["kwargs-override"] == 51
    q = _q("f", [["**dict", [["y", 1], ["x", 2]]]], default=0)
    assert q.expected == 12 and _mis(q)["kwargs-by-order"] == 21
    q = _q("f", [["*list", [1, 2, 3, 4]]], default=0)
    assert q.extra["error"] == "f() takes from 2 to 3 positional arguments but 4 were given"
    q = _q("add", [["*list", [1]]])
    assert q.extra["error"] == "add() missing 1 required positional argument: 'y'"
    q = _q("h", [["*list", [1, 2, 3]]], default=5)
    assert q.kind == "vector" and q.expected == [1, 2, 5, 0]
    assert _mis(q)["kwonly-positional"] == [1, 1, 2, 0]
    assert q.torch_check.output == "(1, 2, 5, 0)"
    q = _q("g", [["*list", [1, 2]], ["**dict", [["a", 3]]]])
    assert q.expected == [2, 3, 1]


def test_binder_matches_the_interpreter_on_random_calls() -> None:
    """Beyond the drawn questions: 3,000 random calls (errors included) bound by the model
    and run by CPython give the same value and the same TypeError message."""
    rng = random.Random(7)
    for _ in range(3000):
        fn = rng.choice(list(su.FUNCS))
        default = rng.choice([0, 1, 2]) if fn in ("f", "h") else None
        call = su._random_call(rng, fn, 4)
        o = su.bind(fn, default, call)
        q = Question(
            FAMILY, 1, 0, 2, {"function": fn, "default": default, "call": call}, "value",
            "", "int", o.value, o.value, "", "",
        )  # fmt: skip
        c = check(q)
        assert c.result == o.value, (fn, call)
        want = f"TypeError: {o.error}" if o.error else su.value_text(o.value)
        assert c.output == want, (fn, call)


def test_drawn_errors_match_python_messages(drawn: dict[int, list[Question]]) -> None:
    for qs in drawn.values():
        for q in qs:
            if q.expected is None:
                assert q.torch_check.output == f"TypeError: {q.extra['error']}"
                assert q.extra["error"] in q.solution
            else:
                assert q.torch_check.output == su.value_text(q.expected)


def test_levels_differ(drawn: dict[int, list[Question]]) -> None:
    l1, l2, l3 = drawn[1], drawn[2], drawn[3]
    assert all(q.kind == "int" and q.expected is not None for q in l1)
    assert {q.params["function"] for q in l1} == {"add", "f"}
    assert all(su._unpacks(q.params["call"]) == 1 for q in l1)
    assert {q.params["function"] for q in l2} == {"f", "g"}
    assert 200 < sum(q.expected is None for q in l2) < 450
    assert {q.params["function"] for q in l3} == {"f", "h"}
    assert all(su._unpacks(q.params["call"]) >= 2 for q in l3)
    assert 300 < sum(q.expected is None for q in l3) < 500
    assert any(op == "*dict" for q in l3 for op, _ in q.params["call"])


def test_misconceptions_cover_every_explanation(drawn: dict[int, list[Question]]) -> None:
    seen = {m.id for qs in drawn.values() for q in qs for m in q.misconceptions}
    assert seen == set(get(FAMILY).explanations)


def test_grading() -> None:
    q = _q("f", [["*dict", [[3, 1], [4, 2]]]], default=0)
    assert grade(q, "43").correct and not grade(q, "error").correct
    g = grade(q, "21")
    assert not g.correct and g.mistake_ids == ("star-dict-values",)
    e = _q("f", [["*list", [1, 2]], ["**dict", [["y", 5]]]], default=0)
    assert grade(e, "error").correct and grade(e, "undefined").correct
    assert grade(e, "51").mistake_ids == ("kwargs-override",)
    v = _q("h", [["*list", [1, 2, 3]]], default=5)
    for text in ("(1, 2, 5, 0)", "[1, 2, 5, 0]", "1 2 5 0"):
        assert grade(v, text).correct, text
    assert grade(v, "(1, 1, 2, 0)").mistake_ids == ("kwonly-positional",)


def test_chinese_text() -> None:
    q = _q("f", [["*list", [1, 2]], ["**dict", [["y", 5]]]], default=0)
    zh = localized(q, "zh")
    assert "def f(x, y, z=0):" in zh["prompt"] and "调用" in zh["prompt"]
    assert "TypeError: f() got multiple values for argument 'y'" in zh["solution"]
    assert zh["answer"].startswith("error")
