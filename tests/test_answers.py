"""Typed answers: the accepted forms, format errors versus wrong answers, and hostile input.

A format error (AnswerFormatError, with a hint) re-prompts without using an attempt; a wrong
but readable answer is graded incorrect. Nothing a learner types may reach eval, exec,
sympify or parse_expr.
"""

from __future__ import annotations

import ast
import builtins
import math
import os
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzer import answers
from quizzer.answers import Grade, evaluate, grade, hint, normalize, parse, same_value
from quizzer.errors import AnswerFormatError
from quizzer.question import ANSWER_KINDS, Misconception, Question

ROOT = Path(__file__).resolve().parents[1]

# deterministic property tests that leave no example database behind
PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=200)


def make_q(kind: str, expected: Any, **kw: Any) -> Question:
    """A minimal Question of one answer kind (number questions get tolerance 0.01)."""
    fields: dict[str, Any] = dict(
        generator="test",
        version=1,
        seed=0,
        difficulty=1,
        params={},
        ask="x",
        prompt="?",
        kind=kind,
        expected=expected,
        result=expected,
        answer=str(expected),
        solution="",
    )
    if kind == "number":
        fields["tolerance"] = 0.01
    fields.update(kw)
    return Question(**fields)


CHOICES = ("one-hot", "ordinal")
ALIASES = {
    "onehot": "one-hot",
    "one hot encoding": "one-hot",
    "独热": "one-hot",
    "integer": "ordinal",
}
LABELS = ["male", "year-1", "school-2"]
SHAPE = [1, 6, 28, 28]
MATRIX = [[5, 12], [21, 32]]
Z = -0.7071

QUESTIONS: dict[str, Question] = {
    "int": make_q("int", 28),
    "shape": make_q("shape", SHAPE),
    "vector": make_q("vector", [1, 0, 1, 0]),
    "matrix": make_q("matrix", MATRIX),
    "number": make_q("number", Z),
    "choice": make_q("choice", "one-hot", choices=CHOICES, extra={"aliases": ALIASES}),
    "labels": make_q("labels", LABELS),
    "matrix-or-error": make_q("matrix", None, allow_undefined=True),
    "number-or-error": make_q("number", None, allow_undefined=True),
}
assert {q.kind for q in QUESTIONS.values()} == set(ANSWER_KINDS)


def format_error(q: Question, text: Any) -> AnswerFormatError:
    with pytest.raises(AnswerFormatError) as info:
        parse(q, text)
    with pytest.raises(AnswerFormatError):
        grade(q, text)
    return info.value


# ---------------------------------------------------------------- 1. accepted forms

ACCEPTED: list[tuple[str, str, Any]] = [
    ("int", "28", 28),
    ("int", " 28 ", 28),
    ("int", "+28", 28),
    ("int", "28.0", 28),
    ("int", "２８", 28),
    ("shape", "(1, 6, 28, 28)", SHAPE),
    ("shape", "[1,6,28,28]", SHAPE),
    ("shape", "1x6x28x28", SHAPE),
    ("shape", "1×6×28×28", SHAPE),
    ("shape", "1 x 6 x 28 x 28", SHAPE),
    ("shape", "1X6X28X28", SHAPE),
    ("shape", "torch.Size([1, 6, 28, 28])", SHAPE),
    ("shape", "1, 6, 28, 28", SHAPE),
    ("shape", "（１，６，２８，２８）", SHAPE),
    ("shape", "torch.Size（［１，６，２８，２８］）", SHAPE),
    ("vector", "1 0 1 0", [1, 0, 1, 0]),
    ("vector", "[1,0,1,0]", [1, 0, 1, 0]),
    ("vector", "［１，０，１，０］", [1, 0, 1, 0]),
    ("vector", "[1 0 | 1 0 0]", [1, 0, 1, 0, 0]),
    ("vector", "1/sqrt(2), -sqrt(2)/2", [1 / math.sqrt(2), -math.sqrt(2) / 2]),
    ("matrix", "[[5,12],[21,32]]", MATRIX),
    ("matrix", "5 12; 21 32", MATRIX),
    ("matrix", "5 12\n21 32", MATRIX),
    ("matrix", "tensor([[5, 12], [21, 32]])", MATRIX),
    ("matrix", "［［５，１２］，［２１，３２］］", MATRIX),
    ("matrix", "[[1/sqrt(2), 0], [0, 1]]", [[1 / math.sqrt(2), 0], [0, 1]]),
    ("number", "-0.71", -0.71),
    ("number", "-1/sqrt(2)", -1 / math.sqrt(2)),
    ("number", "-sqrt(2)/2", -math.sqrt(2) / 2),
    ("number", "\u22120.71", -0.71),  # unicode minus sign
    ("number", "－０.７１", -0.71),  # full-width, as a Chinese IME types it
    ("number", "－０．７１", -0.71),
    ("number", "-√2/2", -math.sqrt(2) / 2),
    ("number", "-2^-0.5", -(2**-0.5)),
    ("number", "-(1/2)**0.5", -(0.5**0.5)),
    ("number", "-.71", -0.71),
    # superscript exponents are powers (read before NFKC, which would make 3² 32)
    ("number", "3²", 9.0),
    ("number", "10⁻³", 0.001),
    ("number", "2⁻¹", 0.5),
    ("number", "-2⁻¹", -0.5),
    ("number", "(1+1)²", 4.0),
    ("number", "2⁽⁻¹⁾", 0.5),
    ("number", "１０⁻³", 0.001),
    ("vector", "[3², 10⁻¹]", [9, 0.1]),
    ("matrix", "[[2⁻¹, 1], [1, 3²]]", [[0.5, 1], [1, 9]]),
    # decimal digits of any script or font are their digits
    ("int", "٢٨", 28),  # Arabic-Indic
    ("int", "۲۸", 28),  # Persian
    ("int", "२८", 28),  # Devanagari
    ("int", "𝟐𝟖", 28),  # mathematical bold
    ("shape", "(١, ٦, ٢٨, ٢٨)", SHAPE),
    ("number", "-٠.٧١", -0.71),
    # parentheses inside a list element group its expression
    ("vector", "[1/(2+2), 1]", [0.25, 1]),
    ("vector", "[2(1+1), 0]", [4, 0]),
    ("vector", "(1, 0), (1, 0, 0)", [1, 0, 1, 0, 0]),
    ("matrix", "[[1/(1+1), 0], [0, 1]]", [[0.5, 0], [0, 1]]),
    ("number-or-error", "error", None),
    ("number-or-error", "Error!", None),
    ("number-or-error", "undefined", None),
    ("number-or-error", "报错", None),
    ("number-or-error", "未定义", None),
    ("matrix-or-error", "ERROR", None),
    ("matrix-or-error", "RuntimeError", None),
    ("choice", "one-hot", "one-hot"),
    ("choice", "One Hot", "one-hot"),
    ("choice", "ONE_HOT", "one-hot"),
    ("choice", "onehot", "one-hot"),
    ("choice", "one-hot encoding", "one-hot"),
    ("choice", "独热", "one-hot"),
    ("labels", "male, year-1, school-2", LABELS),
    ("labels", "male year-1 school-2", LABELS),
    ("labels", "male、year-1、school-2", LABELS),
    ("labels", "male，year-1，school-2", LABELS),
    ("labels", "male; year-1; school-2", LABELS),
    ("labels", "['male', 'year-1', 'school-2']", LABELS),
]


@pytest.mark.parametrize(("name", "text", "value"), ACCEPTED)
def test_accepted_form_parses_and_grades_correct(name: str, text: str, value: Any):
    q = QUESTIONS[name]
    parsed = parse(q, text)
    if q.kind in ("choice", "labels") or value is None:
        assert parsed == value
    else:
        assert same_value(parsed, value, tolerance=1e-12)
    q = make_q(q.kind, value, **{k: getattr(q, k) for k in ("choices", "extra", "allow_undefined")})
    assert grade(q, text) == Grade(True, parsed)


def test_int_answers_are_ints_and_exact():
    q = QUESTIONS["int"]
    assert type(parse(q, "28.000")) is int
    assert parse(q, "123456789012345678901234567890.0") == 123456789012345678901234567890
    assert parse(QUESTIONS["shape"], "[3, 4]") == [3, 4]
    assert all(type(x) is int for x in parse(QUESTIONS["vector"], "[1, 0, 2.0]"))


def test_labels_compare_loosely_but_in_order():
    q = QUESTIONS["labels"]
    assert grade(q, "Male, Year 1, school_2").correct
    assert grade(q, "MALE YEAR-1 SCHOOL-2").correct
    assert not grade(q, "year-1, male, school-2").correct


def test_normalize_and_evaluate():
    assert normalize(" （１，６）\u2212３ ") == "(1,6)-3"
    assert normalize("2×3") == "2x3"
    assert evaluate("2sqrt(2)") == pytest.approx(2 * math.sqrt(2))
    assert evaluate("3(1+1)") == 6
    assert evaluate("2 pi") == pytest.approx(2 * math.pi)
    assert evaluate("2^3^2") == 512  # right-associative
    assert evaluate("-2^2") == -4
    assert evaluate("2^-1") == 0.5
    assert evaluate("1e-3") == 0.001
    assert normalize("3²") == "3^(2)" and normalize("10⁻³") == "10^(-3)"
    assert normalize("x¹⁰+1") == "x^(10)+1"
    assert normalize("٢٨ ۲۸ २८ 𝟐𝟖") == "28 28 28 28"
    assert evaluate("3²") == 9 and evaluate("10⁻³") == 0.001
    for text in ("x₂", "½", "①", "1ℯ3", "1 000"):
        with pytest.raises(ValueError):
            evaluate(text)


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_hint_for_every_kind(name: str):
    q = QUESTIONS[name]
    text = hint(q)
    assert "e.g." in text or all(c in text for c in q.choices) or q.kind == "labels"
    assert ("'error'" in text) == q.allow_undefined


def test_hint_examples():
    assert "one-hot, ordinal" in hint(QUESTIONS["choice"])
    assert "one category per feature" in hint(QUESTIONS["labels"])
    assert "e.g. 28" in hint(make_q("int", 3))
    assert "e.g. 7" in hint(make_q("int", 28))


@pytest.mark.parametrize(
    "kind, expected, leak",
    [
        ("int", 28, "28"),
        ("shape", [1, 6, 28, 28], "6, 28"),
        ("vector", [1, 0, 1, 0], "1 0 1 0"),
        ("matrix", [[5, 12], [21, 32]], "21"),
        ("number", -(2**-0.5), "sqrt(2)"),
        ("labels", ["male", "year-1", "school-2"], "male"),
    ],
)
def test_a_hint_never_gives_the_answer_away(kind, expected, leak):
    q = make_q(kind, expected, tolerance=0.01 if kind == "number" else None)
    assert leak not in hint(q)


# ---------------------------------------------------------------- 2. format errors

FORMAT_ERRORS: list[tuple[str, Any]] = [
    ("int", ""),
    ("int", "   "),
    ("int", None),
    ("int", "abc"),
    ("int", "twenty-eight"),
    ("int", "28.5"),
    ("int", "1e3"),
    ("shape", ""),
    ("shape", "a, b"),
    ("shape", "(1, 6)(28)"),
    ("shape", "{1, 6}"),
    ("vector", "[]"),
    ("vector", "1 - 2"),
    ("vector", "1, two"),
    ("matrix", "[[1,2],[3]]"),
    ("matrix", "1 2; 3"),
    ("matrix", "[[]]"),
    ("matrix", "x[[1,2],[3,4]]"),
    ("number", "1+"),
    ("number", "-0.71 *"),
    ("number", "2/"),
    ("number", "1 2"),  # not an implicit product: two numbers typed side by side
    ("number", "0.7 1"),
    ("number", "sqrt(-1)"),
    ("number", "(-8)^(1/3)"),
    ("number", "1/0"),
    ("number", "0^-1"),
    ("number", "9**9**9"),
    ("number", "(10**60)**60"),
    ("number", "10^1000"),
    ("number", "1e400"),
    ("number", "1/1e999"),  # an overflow is not silently zero
    ("number", "1e300*1e300-1e300*1e300"),
    ("number", "nan"),
    ("number", "inf"),
    ("number", "x"),
    ("number", "()"),
    ("number", "sqrt"),
    ("number", "0,71"),
    ("number", "(" * 10_000 + "1" + ")" * 10_000),
    ("number", "(" * 150 + "1" + ")" * 150),  # short enough, too deep
    ("number", "-" * 400 + "1"),
    ("number", "sqrt " * 99 + "2" + "^2" * 20),
    ("choice", "maybe"),
    ("choice", "one-hot-ish"),
    ("labels", ","),
    ("labels", " ; , "),
    ("labels", "gender: male"),
    ("number-or-error", "error?"),
    # a power where a whole number or a shape is asked for; a superscript that is no power
    ("int", "3²"),
    ("int", "2¹⁰"),
    ("shape", "1x6x28²"),
    ("shape", "(1, 6, 28²)"),
    ("number", "x¹⁰"),
    ("number", "2⁻"),
    ("number", "⁻3"),
    ("number", "1e³"),
    ("number", "2ⁿ"),
    ("shape", "2ˣ3"),
    # what NFKC would misread: subscripts, fractions, circled, parenthesized and full-stop
    # digits, Roman numerals, letter-like e and x
    ("number", "x₂"),
    ("int", "2₈"),
    ("number", "½"),
    ("number", "3½"),
    ("number", "-¾"),
    ("int", "①"),
    ("int", "⑫"),
    ("shape", "1x①"),
    ("number", "⑴"),
    ("number", "1⒈"),
    ("shape", "2Ⅹ3"),
    ("int", "Ⅻ"),
    ("number", "1ℯ3"),
    ("number", "2ⅇ"),
    ("shape", "2𝐱3"),
    ("number", "∞"),
    ("number", "-∞"),
    ("number", "٣٫٥"),  # with the Arabic decimal separator
    # thousands separators, and decimal commas, that would split a number in two (an int
    # or number answer reads 1,000 as 1000: tests/test_typed_forms.py)
    ("int", "1,00"),
    ("int", "1 000"),
    ("shape", "1,024"),
    ("shape", "(1, 6, 28,000)"),
    ("shape", "12\u2009345"),  # thin space
    ("vector", "1,000"),
    ("vector", "[1\u202f000, 2]"),  # narrow no-break space
    ("vector", "[0,05, 1]"),
    ("matrix", "1,000 2; 3 4"),
    ("matrix", "[[1, 05], [1, 2]]"),
]
FORMAT_ERRORS += [(name, "1" * 10_000) for name in QUESTIONS]
FORMAT_ERRORS += [(name, "1, " * 3_400) for name in QUESTIONS]


@pytest.mark.parametrize(("name", "text"), FORMAT_ERRORS, ids=lambda x: repr(x)[:30])
def test_format_error_carries_the_hint(name: str, text: Any):
    q = QUESTIONS[name]
    start = time.perf_counter()
    err = format_error(q, text)
    assert time.perf_counter() - start < 1
    assert hint(q) in str(err)


@pytest.mark.parametrize("name", [n for n, q in QUESTIONS.items() if not q.allow_undefined])
@pytest.mark.parametrize("text", ["error", "undefined", "报错", "None"])
def test_undefined_is_a_format_error_when_the_answer_is_defined(name: str, text: str):
    err = format_error(QUESTIONS[name], text)
    # neutral wording: "this one is defined" would answer a yes/no "is it defined?" question
    assert str(err) == f"{text!r} is not an answer to this question: " + hint(QUESTIONS[name])


# ---------------------------------------------------------------- 3. wrong answers

WRONG: list[tuple[str, str, Any]] = [
    ("int", "27", 27),
    ("int", "-28", -28),
    ("shape", "(1, 6, 26, 26)", [1, 6, 26, 26]),
    ("shape", "1x6x28", [1, 6, 28]),
    ("shape", "()", []),
    ("vector", "0 1 0 1", [0, 1, 0, 1]),
    ("vector", "1 0 1", [1, 0, 1]),
    ("matrix", "[[5,12],[21,33]]", [[5, 12], [21, 33]]),
    ("matrix", "5 21; 12 32", [[5, 21], [12, 32]]),
    ("matrix", "[5, 12]", [[5, 12]]),
    ("number", "0.71", 0.71),
    ("number", "1/sqrt(2)", 1 / math.sqrt(2)),
    ("choice", "ordinal", "ordinal"),
    ("choice", "integer", "ordinal"),
    ("labels", "female, year-1, school-2", ["female", "year-1", "school-2"]),
    ("labels", "male, year-1", ["male", "year-1"]),
    ("labels", "1; import os", ["1", "import os"]),  # readable as two (wrong) labels
    ("matrix-or-error", "[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
    ("number-or-error", "0", 0),
]


@pytest.mark.parametrize(("name", "text", "value"), WRONG)
def test_wrong_but_readable_answer_is_graded_incorrect(name: str, text: str, value: Any):
    q = QUESTIONS[name]
    g = grade(q, text)
    assert g.correct is False and g.misconceptions == ()
    assert g.value == pytest.approx(value) if isinstance(value, float) else g.value == value


def test_error_for_a_defined_answer_is_wrong_not_a_format_error():
    q = make_q("matrix", MATRIX, allow_undefined=True)
    assert grade(q, "error") == Grade(False, None)
    assert grade(q, "[[5,12],[21,32]]").correct


@pytest.mark.parametrize(
    ("text", "correct"),
    [
        ("-0.71", True),
        ("-0.70", True),
        ("-0.7071", True),
        ("-1/sqrt(2)", True),
        ("-0.7171", True),  # the tolerance is inclusive
        ("-0.72", False),
        ("-0.69", False),
        ("0.71", False),
    ],
)
def test_number_tolerance(text: str, correct: bool):
    q = QUESTIONS["number"]
    assert q.expected == Z and q.tolerance == 0.01
    g = grade(q, text)
    assert g.correct is correct
    assert g.value == pytest.approx(evaluate(text))


def test_misconception_is_reported():
    padding_once = Misconception("padding-once", 30)
    q = make_q("int", 28, misconceptions=(padding_once,))
    assert grade(q, "30") == Grade(False, 30, (padding_once,))
    assert grade(q, "30.0").misconceptions == (padding_once,)
    assert grade(q, "29") == Grade(False, 29, ())
    assert grade(q, "28") == Grade(True, 28, ())


def test_every_mistake_that_gives_the_answer_is_named():
    """Two known mistakes that give the same wrong number are both named, in order."""
    once, no_plus = Misconception("padding-once", 12), Misconception("no-plus-one", 12)
    other = Misconception("floor-vs-ceil", 14)
    q = make_q("int", 13, misconceptions=(once, no_plus, other))
    assert grade(q, "12").misconceptions == (once, no_plus)
    assert grade(q, "12").mistake_ids == ("padding-once", "no-plus-one")
    assert grade(q, "14").mistake_ids == ("floor-vs-ceil",)


def test_misconception_of_a_shape_and_of_undefined():
    inner = Misconception("inner", [1, 6, 30, 30])
    crash = Misconception("thinks-it-crashes", None)
    q = make_q("shape", SHAPE, misconceptions=(inner, crash), allow_undefined=True)
    assert grade(q, "1x6x30x30").misconceptions == (inner,)
    assert grade(q, "error").misconceptions == (crash,)
    assert grade(q, "(1, 6, 28, 28)").correct


def test_same_value():
    assert same_value([1, 2], (1, 2.0))
    assert not same_value([1, 2], [1, 2, 3])
    assert not same_value([1], 1)
    assert same_value(None, None) and not same_value(None, 0) and not same_value(0, None)
    assert not same_value(float("nan"), float("nan"))
    assert same_value(-0.71, Z, tolerance=0.01) and not same_value(-0.72, Z, tolerance=0.01)
    assert same_value("Year 1", "year-1") and not same_value("year-1", "year-2")
    assert not same_value(True, 1)


# ---------------------------------------------------------------- 4. hostile input


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("answer text reached a code-executing function")


@contextmanager
def no_code_execution() -> Iterator[None]:
    """Make eval, exec, compile, os.system, sympify and parse_expr fail loudly if called."""
    import sympy
    import sympy.parsing.sympy_parser

    real_import = builtins.__import__

    def guarded_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in ("sympy", "subprocess"):
            raise AssertionError(f"answers imported {name}")
        return real_import(name, *args, **kwargs)

    targets = [
        (builtins, "eval", _boom),
        (builtins, "exec", _boom),
        (builtins, "compile", _boom),
        (builtins, "__import__", guarded_import),
        (os, "system", _boom),
        (sympy, "sympify", _boom),
        (sympy, "parse_expr", _boom),
        (sys.modules["sympy.core.sympify"], "sympify", _boom),
        (sympy.parsing.sympy_parser, "parse_expr", _boom),
    ]
    with ExitStack() as stack:
        for obj, name, new in targets:
            stack.enter_context(mock.patch.object(obj, name, new))
        yield


def hostile_strings(sentinel: Path) -> list[str]:
    return [
        f"__import__('os').system('touch {sentinel}')",
        "eval('1')",
        f"exec(\"open('{sentinel}', 'w').close()\")",
        "lambda: 1",
        "().__class__.__bases__",
        "${7*7}",
        "{{7*7}}",
        "1; import os",
        "open('/etc/passwd').read()",
        f"__import__('subprocess').run(['touch', '{sentinel}'])",
        "Symbol('x')",
        "(lambda: 7)()",
    ]


READABLE_AS_LABELS = {"1; import os": ["1", "import os"]}


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_hostile_strings_are_format_errors_and_run_nothing(name: str, tmp_path: Path):
    sentinel = tmp_path / "PWNED_x"
    q = QUESTIONS[name]
    for text in hostile_strings(sentinel):
        with no_code_execution():
            if q.kind == "labels" and text in READABLE_AS_LABELS:
                assert grade(q, text) == Grade(False, READABLE_AS_LABELS[text])
            else:
                format_error(q, text)
        assert not sentinel.exists()


@settings(PROPERTY, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=st.text(max_size=12),
    code=st.integers(0, len(hostile_strings(Path("x"))) - 1),
    suffix=st.text(max_size=12),
)
def test_hostile_strings_with_any_surroundings(tmp_path: Path, prefix: str, code: int, suffix: str):
    sentinel = tmp_path / "PWNED_x"
    text = prefix + hostile_strings(sentinel)[code] + suffix
    with no_code_execution():
        for q in QUESTIONS.values():
            if q.kind == "labels" and ";" in text:
                continue  # "1; import os" splits into readable labels
            with pytest.raises(AnswerFormatError):
                grade(q, text)
    assert not sentinel.exists()


ANSWERISH = st.lists(
    st.sampled_from(
        list("0123456789+-*/^()[]., ;x|eE\n'")
        + ["sqrt", "pi", "**", "tensor", "torch.Size", "×", "−", "（", "）", "，", "、", "１"]
        + ["male", "year-1", "one-hot", "error", "__", "import", "lambda"]
        + ["²", "⁻", "⁽", "₂", "½", "①", "⑴", "Ⅹ", "ℯ", "٣", "𝟐", "\u2009", "∞", "ˣ"]
    ),
    max_size=25,
).map("".join)


def _check_value(q: Question, value: Any) -> None:
    """A parsed value has the shape its kind promises."""
    number = (int, float)
    if value is None:
        assert q.allow_undefined
    elif q.kind == "int":
        assert type(value) is int
    elif q.kind == "shape":
        assert all(type(x) is int for x in value)
    elif q.kind == "vector":
        assert value and all(isinstance(x, number) and math.isfinite(x) for x in value)
    elif q.kind == "matrix":
        assert value and value[0] and all(len(row) == len(value[0]) for row in value)
        assert all(isinstance(x, number) and math.isfinite(x) for row in value for x in row)
    elif q.kind == "number":
        assert type(value) is float and math.isfinite(value)
    elif q.kind == "choice":
        assert value in q.choices
    else:
        assert value and all(isinstance(x, str) and x for x in value)


@settings(PROPERTY, max_examples=500)
@given(st.one_of(st.text(), ANSWERISH))
def test_any_text_is_a_value_or_a_format_error(text: str):
    with no_code_execution():
        for q in QUESTIONS.values():
            try:
                g = grade(q, text)
            except AnswerFormatError as err:
                assert hint(q) in str(err)
                continue
            assert isinstance(g, Grade)
            assert g.correct == same_value(g.value, q.expected, q.tolerance)
            _check_value(q, g.value)
            assert parse(q, text) == g.value


def test_answers_never_imports_or_calls_an_evaluator():
    tree = ast.parse(Path(answers.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"eval", "exec", "compile", "__import__", "getattr"}
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"sympify", "parse_expr", "literal_eval", "system"}
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            assert not any(n.split(".")[0] in {"sympy", "ast", "os", "subprocess"} for n in names)


def test_answers_does_not_import_sympy():
    """In a fresh interpreter, parsing every kind of answer leaves sympy unimported."""
    code = (
        "import sys\n"
        "from tests.test_answers import ACCEPTED, QUESTIONS, hostile_strings\n"
        "from pathlib import Path\n"
        "assert 'sympy' not in sys.modules\n"
        "from quizzer.answers import grade\n"
        "from quizzer.errors import AnswerFormatError\n"
        "texts = [t for _, t, _ in ACCEPTED] + hostile_strings(Path('/nonexistent/x'))\n"
        "for q in QUESTIONS.values():\n"
        "    for t in texts + ['-1/sqrt(2)', '9**9**9', '1/0']:\n"
        "        try:\n"
        "            grade(q, t)\n"
        "        except AnswerFormatError:\n"
        "            pass\n"
        "print('sympy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- 4b. round trips

INTS = st.integers(-(10**30) + 1, 10**30 - 1)


@settings(PROPERTY, max_examples=300)
@given(st.lists(INTS, min_size=1, max_size=8))
def test_int_lists_round_trip(xs: list[int]):
    shape = QUESTIONS["shape"]
    for text in (
        "(" + ", ".join(map(str, xs)) + ")",
        "x".join(map(str, xs)),
        "[" + ",".join(map(str, xs)) + "]",
        f"torch.Size([{', '.join(map(str, xs))}])",
    ):
        assert parse(shape, text) == xs
        assert grade(make_q("shape", xs), text).correct
    # (where the answer is a one-hot vector, a lone run of 0s and 1s reads as bits:
    # tests/test_typed_forms.py; here the answer is a vector of other numbers)
    vector = make_q("vector", [7, 8, 9])
    for text in ("[" + ",".join(map(str, xs)) + "]", " ".join(map(str, xs))):
        assert parse(vector, text) == xs


@settings(PROPERTY, max_examples=200)
@given(
    st.integers(1, 5).flatmap(
        lambda cols: st.lists(st.lists(INTS, min_size=cols, max_size=cols), min_size=1, max_size=5)
    )
)
def test_int_matrices_round_trip(rows: list[list[int]]):
    q = QUESTIONS["matrix"]
    nested = "[" + ", ".join("[" + ", ".join(map(str, r)) + "]" for r in rows) + "]"
    for text in (nested, "; ".join(" ".join(map(str, r)) for r in rows), f"tensor({nested})"):
        assert parse(q, text) == rows
        assert grade(make_q("matrix", rows), text).correct


@settings(PROPERTY, max_examples=300)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_round_trip(x: float):
    text = repr(x)
    assert math.isclose(parse(QUESTIONS["number"], text), x, rel_tol=1e-9, abs_tol=1e-9)
    assert grade(make_q("number", x), text).correct
    (value,) = parse(QUESTIONS["vector"], f"[{text}]")
    assert math.isclose(value, x, rel_tol=1e-9, abs_tol=1e-9)


# ---------------------------------------------------------------- 4c. unusual characters
#
# NFKC folds 3² to 32, 10⁻³ to 10-3, x₂ to x2, ½ to 1⁄2 and ① to 1. No answer may be read
# as a value other than the one its characters mean: each reads as what it means or is a
# format error. Checked over every numeric character Unicode has.

NUMERIC_KINDS = ["int", "shape", "vector", "matrix", "number"]
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
ALL_CHARS = [chr(cp) for cp in range(0x80, sys.maxunicode + 1) if not 0xD800 <= cp < 0xE000]
NUMERIC_CHARS = {c for c in ALL_CHARS if unicodedata.numeric(c, None) is not None}
DECIMAL_DIGITS = {c for c in NUMERIC_CHARS if unicodedata.category(c) == "Nd"}


def test_every_decimal_digit_reads_as_its_digit():
    assert len(DECIMAL_DIGITS) > 600  # every script's and font's 0-9
    for c in sorted(DECIMAL_DIGITS):
        d = unicodedata.decimal(c)
        assert parse(QUESTIONS["int"], "1" + c) == 10 + d, c
        assert parse(QUESTIONS["shape"], f"{c}x{c}") == [d, d], c
        assert parse(QUESTIONS["number"], f"-{c}.5") == -(d + 0.5), c


def test_superscript_digits_are_powers_where_a_power_can_be():
    for c in SUPERSCRIPT_DIGITS:
        d = unicodedata.digit(c)
        assert parse(QUESTIONS["number"], "2" + c) == 2.0**d
        assert parse(QUESTIONS["number"], "2⁻" + c) == 2.0**-d
        assert parse(QUESTIONS["vector"], f"[2{c}, 1]") == [2**d, 1]
        for name in ("int", "shape"):
            format_error(QUESTIONS[name], "2" + c)


def test_every_other_numeric_character_is_a_format_error():
    """Subscripts, fractions, circled and parenthesized numbers, Roman numerals, digits
    with a full stop, and the like: never read as the digits NFKC turns them into."""
    others = NUMERIC_CHARS - DECIMAL_DIGITS - set(SUPERSCRIPT_DIGITS)
    assert {"₂", "½", "①", "⑴", "⒈", "Ⅻ", "⅟", "〇"} <= others
    for c in sorted(others):
        for text in (c, "1" + c, c + "1", "2x" + c, "-" + c):
            for name in NUMERIC_KINDS:
                format_error(QUESTIONS[name], text)


# what the answer parsers read: digits, operators, separators, e (exponent), x (times)
MEANINGFUL = set("0123456789+-*/^().,;|[]xXeE\u2212\u00d7\u221a")
WIDTH_FORMS = ("<wide>", "<narrow>", "<small>", "<vertical>", "<noBreak>")


def _same_character(c: str) -> bool:
    """A width or size variant of its fold, or canonically equivalent to it (U+037E ;)."""
    decomposition = unicodedata.decomposition(c)
    return decomposition.startswith(WIDTH_FORMS) or not decomposition.startswith("<")


def _folds_to_meaningful(c: str) -> bool:
    folded = unicodedata.normalize("NFKC", c)
    return folded != c and bool(set(folded) & MEANINGFUL)


def test_characters_that_fold_into_operators_read_as_what_they_are():
    """A full-width, small or vertical form, or a canonical equivalent, is the same
    character: it reads like its ASCII fold. Any other character NFKC turns into a digit,
    an operator, e or x (ℯ, 𝐱, ₊, ˣ, ⒜, ℀, …) is a format error, except the superscript
    signs and parentheses of an exponent."""
    folding = [c for c in ALL_CHARS if c not in NUMERIC_CHARS and _folds_to_meaningful(c)]
    same = [c for c in folding if _same_character(c)]
    assert {"＋", "－", "（", "，", "ｘ", "﹣", "\u037e"} <= set(same)
    refused = [c for c in folding if c not in same and c not in "⁺⁻⁽⁾"]
    assert {"ℯ", "ⅇ", "𝐱", "ˣ", "ₓ", "₊", "₋", "⒜", "℀", "…"} <= set(refused)
    for c in refused:
        for name in NUMERIC_KINDS:
            format_error(QUESTIONS[name], "2" + c + "3")
    for c in same:
        ascii_text = "2" + unicodedata.normalize("NFKC", c) + "3"
        for name in NUMERIC_KINDS:
            try:
                want = parse(QUESTIONS[name], ascii_text)
            except AnswerFormatError:
                format_error(QUESTIONS[name], "2" + c + "3")
            else:
                assert parse(QUESTIONS[name], "2" + c + "3") == want


ZEROS = ["0", "٠", "۰", "०", "০", "๐", "０", "𝟎", "𝟘", "᠐"]  # each script's 0; 1-9 follow it


@settings(PROPERTY)
@given(st.integers(-(10**12), 10**12), st.sampled_from(ZEROS))
def test_numbers_in_any_script_read_as_themselves(n: int, zero: str):
    text = str(n).translate({ord("0") + i: ord(zero) + i for i in range(10)})
    assert parse(QUESTIONS["int"], text) == n
    assert parse(QUESTIONS["number"], text) == n
    assert parse(QUESTIONS["vector"], f"[{text}, {text}]") == [n, n]


def superscript(n: int) -> str:
    return str(n).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


@settings(PROPERTY)
@given(st.integers(0, 60), st.integers(-12, 12))
def test_a_superscript_is_the_power_it_shows(base: int, exp: int):
    text = f"{base}{superscript(exp)}"
    try:
        want = evaluate(f"{base}^({exp})")
    except ValueError:  # 0⁻¹
        format_error(QUESTIONS["number"], text)
    else:
        assert parse(QUESTIONS["number"], text) == want
    for name in ("int", "shape"):
        format_error(QUESTIONS[name], text)


READABLE = [(n, t) for n, t, _ in ACCEPTED if QUESTIONS[n].kind in NUMERIC_KINDS]
UNREADABLE = list("₀₂₊₋½¼⅓⅟①⑫⑴⒈ⅫⅩⅹ〇ℯⅇˣⁿᵉₓ⒜℀…∞𝐱")


@settings(PROPERTY)
@given(st.sampled_from(READABLE), st.sampled_from(UNREADABLE), st.integers(0, 100))
def test_an_unreadable_character_anywhere_is_a_format_error(
    case: tuple[str, str], char: str, at: int
):
    name, text = case
    at %= len(text) + 1
    format_error(QUESTIONS[name], text[:at] + char + text[at:])
