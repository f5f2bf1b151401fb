"""one-hot family: formula vs torch on 1,000 seeds per level, the notes' example, grading."""

from __future__ import annotations

import pytest

from quizzer.answers import grade, parse
from quizzer.generators import draft, get
from quizzer.generators import one_hot as oh
from quizzer.question import Question
from quizzer.verify import draw, draw_many, verify
from quizzer.verify.one_hot import check_one_hot, check_one_hot_batch

FAMILY = "one-hot"
SEEDS = range(1000)
STUDENTS = [
    {
        "name": n,
        "categories": list(oh.BY_NAME[n]["categories"]),
        "ordered": oh.BY_NAME[n]["ordered"],
    }
    for n in oh.STUDENTS
]


@pytest.fixture(scope="module")
def drawn() -> dict[int, list[Question]]:
    return {level: [draw(FAMILY, seed, level) for seed in SEEDS] for level in (1, 2, 3)}


def _build(features: list[dict], sample: list[str] | None, ask: str, level: int = 2) -> Question:
    return verify(get(FAMILY).build(level, features, sample, ask))


def test_levels_differ(drawn: dict[int, list[Question]]) -> None:
    l1, l2, l3 = drawn[1], drawn[2], drawn[3]
    assert {q.ask for q in l1} == {"encode"}
    assert {len(q.params["features"]) for q in l1} == {1, 2}
    assert {q.ask for q in l2} == {"encode", "decode"}
    assert {len(q.params["features"]) for q in l2} == {3}
    assert any([f["name"] for f in q.params["features"]] == oh.STUDENTS for q in l2)
    assert any(q.params["sample"] == oh.NOTES_SAMPLE for q in l2)
    assert {q.ask for q in l3} == {"decode", "encoding", "ordinal", "length"}
    multi = [q for q in l3 if q.ask in ("decode", "length")]
    assert {len(q.params["features"]) for q in multi} == {3, 4, 5}
    choice = [q for q in l3 if q.ask == "encoding"]
    assert {q.expected for q in choice} == {"one-hot", "ordinal"}
    assert all(q.params["sample"] is None for q in choice)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_batch_checker_matches_single(drawn: dict[int, list[Question]], level: int) -> None:
    """draw_many gives draw's questions, and the batched torch pass (one F.one_hot per number
    of categories) gives exactly the single checker's Checks."""
    seeds = list(SEEDS)
    assert draw_many(FAMILY, seeds, level) == drawn[level]
    drafts = [draft(FAMILY, seed, level) for seed in seeds]
    for q, got in zip(drafts, check_one_hot_batch(drafts), strict=True):
        assert got == check_one_hot(q), (q.params, q.ask, got)


def test_notes_example() -> None:
    q = _build(STUDENTS, ["male", "year-1", "school-2"], "encode")
    assert q.expected == q.result == [1, 0, 1, 0, 0, 0, 1, 0, 0]
    assert q.answer == "[1, 0 | 1, 0, 0 | 0, 1, 0, 0]"
    d = _build(STUDENTS, ["male", "year-1", "school-2"], "decode")
    assert d.expected == ["male", "year-1", "school-2"]
    assert "[1, 0 | 1, 0, 0 | 0, 1, 0, 0]" in d.prompt
    assert _build(STUDENTS, ["female", "year-3", "school-4"], "length", 3).expected == 9
    assert oh.BY_NAME["grade"]["categories_zh"] == ["初一", "初二", "初三"]
    assert oh.BY_NAME["school"]["categories_zh"] == ["一中", "二中", "三中", "四中"]


def test_hand_computed() -> None:
    color = {"name": "color", "categories": ["red", "green", "blue"], "ordered": False}
    size = {"name": "size", "categories": ["S", "M", "L", "XL"], "ordered": True}
    assert _build([color, size], ["blue", "M"], "encode").expected == [0, 0, 1, 0, 1, 0, 0]
    assert oh.decode([color, size], [0, 1, 0, 0, 0, 0, 1]) == ["green", "XL"]
    notes = {"name": "size", "categories": ["X", "XL", "XXL"], "ordered": True}
    q = _build([notes], ["XL"], "ordinal", 3)
    assert q.expected == 2 and q.result == {"X": 1, "XL": 2, "XXL": 3}
    assert _build([color], None, "encoding", 3).expected == "one-hot"
    assert _build([notes], None, "encoding", 3).expected == "ordinal"
    # misconception variants of the formula
    assert oh.encode([color, size], ["blue", "M"], as_index=True) == [2, 1]
    assert oh.encode([color, size], ["blue", "M"], reverse_bits=True) == [1, 0, 0, 0, 0, 1, 0]
    assert oh.encode([color, size], ["blue", "M"], reverse_features=True) == [0, 1, 0, 0, 0, 0, 1]
    assert oh.encode([color], ["blue"], shift=1) is None


def test_grade_encode() -> None:
    q = _build(STUDENTS, ["male", "year-1", "school-2"], "encode")
    for text in (
        "1 0 1 0 0 0 1 0 0",
        "[1, 0, 1, 0, 0, 0, 1, 0, 0]",
        "[1 0 | 1 0 0 | 0 1 0 0]",
        "1,0,1,0,0,0,1,0,0",
        "(1, 0, 1, 0, 0, 0, 1, 0, 0)",
    ):
        assert grade(q, text).correct, text
    cases = {
        "0 0 1": "one-hot-zero-based-index",
        "0 1 0 1 0 0 0 1 0": "one-hot-zero-based-index",
        "0 1 | 0 0 1 | 0 0 1 0": "one-hot-reversed",
    }
    for text, mid in cases.items():
        g = grade(q, text)
        assert not g.correct and g.misconception is not None and g.misconception.id == mid, text
    # for the notes' sample, reversed bits and reversed feature order give the same vector
    q2 = _build(STUDENTS, ["female", "year-2", "school-3"], "encode")
    assert grade(q2, "0 1 0 1 0 0 0 1 0").correct
    assert grade(q2, "[0, 0, 1, 0 | 0, 1, 0 | 0, 1]").mistake_ids == ("one-hot-feature-order",)
    assert grade(q2, "[1, 0 | 0, 1, 0 | 0, 1, 0, 0]").mistake_ids == ("one-hot-reversed",)
    assert grade(q, "1 0 0 1 0 0 1 0 0").misconception is None


def test_grade_decode_and_choice() -> None:
    q = _build(STUDENTS, ["female", "year-2", "school-1"], "decode")
    for text in (
        "female, year-2, school-1",
        "Female, Year 2, School 1",
        "female year-2 school-1",
        "['female', 'year-2', 'school-1']",
    ):
        assert grade(q, text).correct, text
    assert grade(q, "school-1, year-2, female").mistake_ids == ("one-hot-feature-order",)
    assert grade(q, "male, year-2, school-4").mistake_ids == ("one-hot-reversed",)
    assert not grade(q, "female, year-1, school-1").correct

    color = {"name": "color", "categories": ["red", "green", "blue"], "ordered": False}
    c = _build([color], None, "encoding", 3)
    for text in ("one-hot", "onehot", "One Hot", "独热", "独热编码"):
        assert grade(c, text).correct, text
    for text in ("ordinal", "序号", "integer", "label encoding"):
        g = grade(c, text)
        assert not g.correct and g.mistake_ids == ("ordinal-for-unordered",), text
    rating = {"name": "rating", "categories": ["low", "medium", "high"], "ordered": True}
    r = _build([rating], None, "encoding", 3)
    assert grade(r, "Ordinal").correct and grade(r, "序号编码").correct
    assert grade(r, "one hot").mistake_ids == ("one-hot-for-ordered",)
    o = _build([rating], ["high"], "ordinal", 3)
    assert grade(o, "3").correct
    assert grade(o, "2").mistake_ids == ("ordinal-zero-based",)
    n = _build(STUDENTS, ["male", "year-1", "school-1"], "length", 3)
    assert grade(n, "9").correct
    assert grade(n, "24").mistake_ids == ("one-hot-length-product",)
    assert grade(n, "3").mistake_ids == ("one-hot-length-features",)


def test_catalog() -> None:
    for f in oh.CATALOG:
        assert {"name", "zh", "categories", "categories_zh", "ordered"} <= set(f)
        assert len(f["categories"]) == len(f["categories_zh"]) == len(set(f["categories"]))
        assert all(" " not in c and c for c in f["categories"] + [f["name"]])
    assert len({f["name"] for f in oh.CATALOG}) == len(oh.CATALOG)
    assert any(f["ordered"] for f in oh.CATALOG) and not all(f["ordered"] for f in oh.CATALOG)


# ---------------------------------------------------------------- Chinese


def _as_english(q: Question, text: str) -> list[str]:
    """A typed Chinese decode answer mapped through the generator's aliases (what grading
    does once quizzer.answers consults Generator.answer_aliases)."""
    aliases = get(FAMILY).answer_aliases(q)
    return [aliases.get(label, label) for label in parse(q, text)]


def test_chinese_text_of_the_notes_example() -> None:
    gen = get(FAMILY)
    zh = gen.zh(_build(STUDENTS, ["male", "year-1", "school-2"], "encode"))
    assert (
        "特征：\n  性别：男、女\n  年级：初一、初二、初三\n  学校：一中、二中、三中、四中\n"
        in zh["prompt"]
    )
    assert "样本：性别 = 男，年级 = 初一，学校 = 二中\n" in zh["prompt"]
    assert zh["answer"] == "[1, 0 | 1, 0, 0 | 0, 1, 0, 0]"
    assert zh["solution"].splitlines() == [
        "性别 = 男：2 个类别中的第 1 个 -> [1, 0]",
        "年级 = 初一：3 个类别中的第 1 个 -> [1, 0, 0]",
        "学校 = 二中：4 个类别中的第 2 个 -> [0, 1, 0, 0]",
        "拼接：[1, 0 | 1, 0, 0 | 0, 1, 0, 0]",
    ]
    q = _build(STUDENTS, ["female", "year-2", "school-1"], "decode")
    zh = gen.zh(q)
    assert "向量：[0, 1 | 0, 1, 0 | 1, 0, 0, 0]" in zh["prompt"]
    assert zh["answer"] == "女，初二，一中"
    assert zh["solution"].splitlines()[1] == "年级：第 3-5 位 = [0, 1, 0]，1 在第 2 位 -> 初二"
    for text in (
        "女，初二，一中",
        "女, 初二, 一中",
        "女、初二、一中",
        "女 初二 一中",
        "女, year-2, 一中",
    ):
        assert _as_english(q, text) == q.expected, text
    assert grade(q, "female, year-2, school-1").correct  # English still works
    assert gen.answer_aliases(q)["一中"] == "school-1"


def test_chinese_text_of_the_other_asks() -> None:
    gen = get(FAMILY)
    color = {"name": "color", "categories": ["red", "green", "blue"], "ordered": False}
    c = _build([color], None, "encoding", 3)
    zh = gen.zh(c)
    assert zh["prompt"].startswith("特征“颜色”的取值为：红、绿、蓝。\n")
    assert zh["answer"] == "one-hot（独热编码）"
    assert zh["solution"].splitlines()[1:] == [
        "独热编码：红=[1, 0, 0], 绿=[0, 1, 0], 蓝=[0, 0, 1]",
        "序数编码：红=1, 绿=2, 蓝=3",
    ]
    assert grade(c, "独热编码").correct
    assert gen.answer_aliases(c)["序数编码"] == "ordinal"
    # not the catalog's categories: the Chinese feature name, the categories as given
    notes = {"name": "size", "categories": ["X", "XL", "XXL"], "ordered": True}
    zh = gen.zh(_build([notes], ["XL"], "ordinal", 3))
    assert zh["prompt"].startswith("有序特征“尺码”的取值依次为：X、XL、XXL。\n")
    assert (
        zh["solution"]
        == "编码：{'X': 1, 'XL': 2, 'XXL': 3}；“XL”在列表中排第 2 位，所以它的编码是 2。"
    )
    rating = {"name": "rating", "categories": ["low", "medium", "high"], "ordered": True}
    assert "“高”的编码是多少？" in gen.zh(_build([rating], ["high"], "ordinal", 3))["prompt"]
    n = gen.zh(_build(STUDENTS, ["male", "year-1", "school-1"], "length", 3))
    assert n["answer"] == "9" and n["solution"].startswith(
        "每个特征的每个类别各占一位：2 + 3 + 4 = 9。"
    )


def test_chinese_answers_match_the_english_ones(drawn: dict[int, list[Question]]) -> None:
    gen = get(FAMILY)
    for qs in drawn.values():
        for q in qs[::4]:
            zh = gen.zh(q)
            if q.ask == "decode":
                assert _as_english(q, zh["answer"]) == q.expected, q.seed
            elif q.ask == "encoding":
                assert zh["answer"].startswith(q.answer) and grade(q, q.answer).correct
            else:
                assert zh["answer"] == q.answer, q.seed
    assert (gen.topic_zh, set(gen.explanations_zh)) == ("编码", set(gen.explanations))
