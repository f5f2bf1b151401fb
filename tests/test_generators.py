"""Every registered family, parametrized over the registry (a new family is covered by
adding its file): 1,000 seeds per level verify (formula == torch), the same seed gives the
same question, the shown torch snippet prints what was recorded, answers typed the way a
learner writes them grade correct, and each misconception is explained and wrong."""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest

from quizzer import generators
from quizzer.answers import grade, same_value, typed_form
from quizzer.question import Question
from quizzer.verify import draw, draw_many

SEEDS = list(range(1000))
CASES = [(f, lvl) for f in generators.families() for lvl in range(1, generators.get(f).levels + 1)]
IDS = [f"{f}-L{lvl}" for f, lvl in CASES]
_CACHE: dict[tuple[str, int], list[Question]] = {}


def drawn(family: str, level: int) -> list[Question]:
    if (family, level) not in _CACHE:
        _CACHE[family, level] = draw_many(family, SEEDS, level)
    return _CACHE[family, level]


def run_snippet(code: str) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {})  # the snippet quizzer shows the learner, not user input
    return buf.getvalue()


def test_at_least_the_first_five_families():
    assert {"conv-output", "receptive-field", "one-hot", "z-score", "hadamard-matmul"} <= set(
        generators.families()
    )


@pytest.mark.parametrize("family, level", CASES, ids=IDS)
def test_thousand_seeds_verify(family: str, level: int):
    qs = drawn(family, level)
    assert [q.seed for q in qs] == SEEDS
    assert all(q.verified and q.generator == family and q.difficulty == level for q in qs)
    first = "formula" if generators.get(family).formula_by == "formula" else "sympy "
    assert all(q.verified_by[0].startswith(first) for q in qs)
    assert all(q.verified_by[1].startswith("torch ") for q in qs)
    # verified means equal: a formula wrong on even 1 seed in 1,000 must show here
    rejected = [q.seed for q in qs if q.attempt]
    assert rejected == [], f"{len(rejected)} seeds had a variant rejected: {rejected[:10]}"


@pytest.mark.parametrize("family, level", CASES, ids=IDS)
def test_batch_equals_one_at_a_time(family: str, level: int):
    qs = drawn(family, level)
    for seed in SEEDS[::50]:
        assert draw(family, seed, level) == qs[seed]


@pytest.mark.parametrize("family, level", CASES, ids=IDS)
def test_same_seed_same_question_and_json_round_trip(family: str, level: int):
    for q in drawn(family, level)[:100]:
        again = generators.draft(family, q.seed, level, q.attempt)
        assert (again.prompt, again.params, again.expected) == (q.prompt, q.params, q.expected)
        assert Question.from_json(q.to_json()) == q
        json.dumps(q.public_dict())  # the `generate --json` record is plain JSON


@pytest.mark.parametrize("family, level", CASES, ids=IDS)
def test_typed_answers_grade_correct(family: str, level: int):
    for q in drawn(family, level)[:300]:
        g = grade(q, typed_form(q))
        assert g.correct, (q.seed, typed_form(q), q.expected)


@pytest.mark.parametrize("family, level", CASES, ids=IDS)
def test_misconceptions_are_wrong_and_explained(family: str, level: int):
    explanations = generators.get(family).explanations
    for q in drawn(family, level):
        for m in q.misconceptions:
            assert m.id in explanations and explanations[m.id].strip()
            assert not same_value(m.value, q.expected, q.tolerance), (q.seed, m)


@pytest.mark.parametrize("family", generators.families())
def test_every_misconception_occurs_and_grading_names_it(family: str):
    """Each explained misconception is offered by some question, and typing its value
    grades wrong with that misconception named."""
    from quizzer.answers import format_value

    gen = generators.get(family)
    seen = set()
    for level in range(1, gen.levels + 1):
        for q in drawn(family, level):
            for m in q.misconceptions:
                if m.id not in seen:
                    g = grade(q, format_value(m.value, q.kind))
                    assert not g.correct and m in g.misconceptions, (q.seed, m)
                seen.add(m.id)
    assert seen == set(gen.explanations) == set(gen.explanations_zh)


COINCIDING: dict[str, set[tuple[str, str]]] = {}


@pytest.mark.parametrize("family, level", CASES, ids=IDS)
def test_every_mistake_that_gives_a_wrong_answer_is_named(family: str, level: int):
    """When several known mistakes give the same wrong answer, typing it names each of them,
    in the question's order, and the question keeps every id."""
    from quizzer.answers import format_value

    for q in drawn(family, level):
        ids = [m.id for m in q.misconceptions]
        assert len(ids) == len(set(ids)), (q.seed, ids)
        for m in q.misconceptions:
            same = tuple(
                k.id for k in q.misconceptions if same_value(k.value, m.value, q.tolerance, q.kind)
            )
            g = grade(q, format_value(m.value, q.kind))
            assert not g.correct and g.mistake_ids == same, (q.seed, m, g.mistake_ids)
            if len(same) > 1:
                COINCIDING.setdefault(family, set()).add(same)


def test_coinciding_mistakes_are_found():
    """The issue's case: Conv2d(1, 8, kernel_size=5, padding=1) on 15×15 and answer 12 is
    'padding counted once' or 'forgot the + 1', and the families the issue counted have
    such pairs."""
    from quizzer.generators.conv_output import build_params, make_question

    gen = generators.get("conv-output")
    q = make_question(gen, build_params("Conv2d", [1, 1, 15, 15], 5, 1, 1), "height", 1)
    assert grade(q, "12").mistake_ids == ("padding-once", "no-plus-one")
    for family in ("conv-output", "network-shapes", "transposed-conv", "hadamard-matmul"):
        for level in range(1, generators.get(family).levels + 1):
            test_every_mistake_that_gives_a_wrong_answer_is_named(family, level)
        assert COINCIDING.get(family), family


@pytest.mark.parametrize("family, level", CASES, ids=IDS)
def test_the_shown_torch_snippet_prints_what_was_recorded(family: str, level: int):
    for q in drawn(family, level)[:: len(SEEDS) // 8]:
        assert run_snippet(q.torch_check.code).rstrip("\n") == q.torch_check.output


@pytest.mark.parametrize("family, level", CASES, ids=IDS)
def test_text_fields(family: str, level: int):
    for q in drawn(family, level)[:50]:
        assert q.prompt.strip() and q.solution.strip() and q.answer.strip()
        assert f"quizzer::{family}" in q.tags and f"quizzer::difficulty::{level}" in q.tags


def test_levels_really_differ():
    for family in generators.families():
        levels = range(1, generators.get(family).levels + 1)
        prompts = [{q.params.__repr__() for q in drawn(family, lvl)[:200]} for lvl in levels]
        for a, b in zip(prompts, prompts[1:], strict=False):
            assert len(a & b) < 20, family  # few identical params across levels


ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[ \t]+[A-Za-z]{2,}){2,}\b")  # 3+ English words


def english_sentences(text: str) -> list[str]:
    """Runs of three or more English words outside code (`...`) and torch calls."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\b(?:torch|nn|F|np|x|a|b|t|layer|net)\.[\w.]*\([^()]*\)", " ", text)
    return ENGLISH_RUN.findall(text)


@pytest.mark.parametrize("family", generators.families())
def test_every_family_speaks_english_and_chinese(family: str):
    gen = generators.get(family)
    assert gen.title.strip() and gen.topic.strip()
    assert CJK.search(gen.title_zh) and CJK.search(gen.topic_zh)
    assert set(gen.explanations) == set(gen.explanations_zh)
    assert all(CJK.search(v) for v in gen.explanations_zh.values())


@pytest.mark.parametrize("family, level", CASES, ids=IDS)
def test_chinese_text_of_every_question(family: str, level: int):
    for q in drawn(family, level)[:200]:
        zh = generators.localized(q, "zh")
        assert set(zh) == {"prompt", "answer", "solution"}
        assert all(zh[k].strip() for k in zh), (q.seed, zh)
        assert CJK.search(zh["prompt"]) and CJK.search(zh["solution"]), (q.seed, zh["prompt"])
        assert english_sentences(zh["prompt"]) == [], (q.seed, english_sentences(zh["prompt"]))
        assert generators.localized(q, "zh") == zh  # deterministic


CJK = re.compile(r"[\u4e00-\u9fff]")
