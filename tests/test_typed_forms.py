"""Answers people type that are right and must not be refused (issue 9, item 10): bits
without separators, '13 x 13' for a square region's side, thousands separators where no
list is expected, 'Yes.'/'no.'; and the ones that must stay refused."""

from __future__ import annotations

from typing import Any

import pytest

from quizzer.answers import grade, parse
from quizzer.errors import AnswerFormatError
from quizzer.generators import draft
from quizzer.question import Question


def make_q(kind: str, expected: Any, **kw: Any) -> Question:
    fields: dict[str, Any] = dict(
        generator="test", version=1, seed=0, difficulty=1, params={}, ask="x", prompt="?",
        kind=kind, expected=expected, result=expected, answer=str(expected), solution="",
    )  # fmt: skip
    if kind == "number":
        fields["tolerance"] = 0.01
    return Question(**(fields | kw))


ONE_HOT = make_q("vector", [0, 0, 0, 1, 1, 0, 0, 0], generator="one-hot")


@pytest.mark.parametrize(
    "text", ["00011000", "000 110 00", "0001 | 1000", "[00011000]", "0 0 0 1 1 0 0 0"]
)
def test_bits_without_separators_when_the_length_matches(text: str):
    assert grade(ONE_HOT, text).correct


@pytest.mark.parametrize("text", ["0001100", "000110000", "11000", "100", "0", "1"])
def test_bits_of_another_length_are_a_format_error_not_a_wrong_answer(text: str):
    with pytest.raises(AnswerFormatError, match=f"{len(text)} bits? typed; the answer has 8"):
        grade(ONE_HOT, text)


def test_bits_as_long_as_a_known_mistake_grade_as_that_mistake():
    """F.one_hot without the + 1: [0, 1, 0] for [0, 1, 0, 0], typed as 010."""
    from quizzer.question import Misconception

    mistake = (Misconception("width-max", [0, 1, 0]),)
    q = make_q("vector", [0, 1, 0, 0], generator="one-hot", misconceptions=mistake)
    g = grade(q, "010")
    assert not g.correct and g.mistake_ids == ("width-max",)


def test_a_number_made_of_ones_and_zeros_is_a_number_where_the_answer_is_not_bits():
    q = make_q("vector", [10, 3])
    assert grade(q, "10 3").correct and grade(q, "100").value == [100]
    # a vector that happens to be 0s and 1s outside one-hot (A·x + b): 10 is ten, and a
    # lone 1 is a wrong answer, not a hint that the answer is made of bits
    affine = make_q("vector", [1, 0], generator="affine")
    assert grade(affine, "10").value == [10] and not grade(affine, "1").correct


def test_bits_are_wrong_when_they_are_wrong():
    assert grade(ONE_HOT, "00011001").value == [0, 0, 0, 1, 1, 0, 0, 1]
    assert not grade(ONE_HOT, "00011001").correct


def receptive_field() -> Question:
    return draft("receptive-field", 0, 1)


@pytest.mark.parametrize("form", ["{n} x {n}", "{n}x{n}", "{n}×{n}", "{n} X {n}"])
def test_a_square_region_typed_as_its_size(form: str):
    q = receptive_field()
    assert grade(q, form.format(n=q.expected)).correct
    rf = next(q for s in range(200) if (q := draft("vgg-stacking", s, 1)).ask == "rf")
    assert grade(rf, form.format(n=rf.expected)).correct


def test_a_region_that_is_not_square_or_another_int_question_is_not_read_as_a_side():
    q = receptive_field()
    with pytest.raises(AnswerFormatError):
        parse(q, f"{q.expected} x {q.expected + 2}")
    other = next(q for s in range(200) if (q := draft("vgg-stacking", s, 1)).ask != "rf")
    if other.kind == "int":
        with pytest.raises(AnswerFormatError):  # "3 x 3" is not 3 for a count of layers
            parse(other, "3 x 3")
    with pytest.raises(AnswerFormatError):
        parse(make_q("int", 13), "13 x 13")
    with pytest.raises(AnswerFormatError):  # * multiplies elsewhere: 5*5 is not read as 5
        parse(q, f"{q.expected}*{q.expected}")


@pytest.mark.parametrize("text", ["TypeError", "typeerror", "TypeError.", "ValueError",
                                  "error。", "报错。", "RuntimeError！"])  # fmt: skip
def test_the_name_of_the_exception_and_a_chinese_full_stop_mean_error(text: str):
    q = make_q("shape", None, allow_undefined=True)
    assert grade(q, text).correct


@pytest.mark.parametrize(
    "kind, expected, text",
    [("int", 3144, "3,144"), ("int", 1234567, "1,234,567"), ("int", -3144, "-3,144"),
     ("number", 3144.5, "3,144.5"), ("number", 12345.0, "12,345")],
)  # fmt: skip
def test_thousands_separators_where_no_list_is_expected(kind: str, expected: Any, text: str):
    assert grade(make_q(kind, expected), text).correct


@pytest.mark.parametrize("kind, text", [("int", "3,14"), ("int", "31,44"), ("int", "3,1444")])
def test_commas_that_do_not_group_by_three_are_refused(kind: str, text: str):
    with pytest.raises(AnswerFormatError):
        parse(make_q(kind, 3144), text)


def test_a_comma_in_a_shape_is_still_a_list():
    assert parse(make_q("shape", [3, 144]), "3,144") == [3, 144]


@pytest.mark.parametrize("text", ["Yes.", "yes!", "YES", "yes。"])
def test_yes_with_a_full_stop(text: str):
    q = make_q("choice", "yes", choices=("yes", "no"))
    assert grade(q, text).correct and not grade(q, "no.").correct
    assert grade(make_q("choice", "no", choices=("yes", "no")), "no.").correct
