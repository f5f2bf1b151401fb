"""one-hot family: formula vs torch on 1,000 seeds per level, the notes' example, grading."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest

from quizzer.answers import grade, parse
from quizzer.generators import _one_hot_torch as ft
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
    assert {q.ask for q in l2} == {"encode", "decode", "shape", "row"}
    l2 = [q for q in l2 if q.ask not in ft.ASKS]
    assert {len(q.params["features"]) for q in l2} == {3}
    assert any([f["name"] for f in q.params["features"]] == oh.STUDENTS for q in l2)
    assert any(q.params["sample"] == oh.NOTES_SAMPLE for q in l2)
    assert {q.ask for q in l3} == {"decode", "encoding", "ordinal", "length", "shape", "row"}
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
        "0 0 1": ("one-hot-zero-based-index",),
        "0 1 0 1 0 0 0 1 0": ("one-hot-off-by-one",),
        # for this sample, reversed bits and reversed blocks coincide: both are named
        "0 1 | 0 0 1 | 0 0 1 0": ("one-hot-reversed", "one-hot-feature-order"),
    }
    for text, ids in cases.items():
        g = grade(q, text)
        assert not g.correct and g.mistake_ids == ids, text
    # for the notes' sample, reversed bits and reversed feature order give the same vector
    q2 = _build(STUDENTS, ["female", "year-2", "school-3"], "encode")
    assert grade(q2, "0 1 0 1 0 0 0 1 0").correct
    assert grade(q2, "[0, 0, 1, 0 | 0, 1, 0 | 0, 1]").mistake_ids == ("one-hot-feature-order",)
    assert grade(q2, "[1, 0 | 0, 1, 0 | 0, 1, 0, 0]").mistake_ids == ("one-hot-reversed",)
    assert grade(q, "1 0 0 1 0 0 1 0 0").mistake_ids == ()


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
            elif q.expected is None:  # F.one_hot raises
                assert (q.answer, zh["answer"]) == ("error", "报错（error）")
                assert grade(q, "报错").correct
            else:
                assert zh["answer"] == q.answer, q.seed
    assert (gen.topic_zh, set(gen.explanations_zh)) == ("编码", set(gen.explanations))


# ---------------------------------------------------------------- F.one_hot (issue 9, item 3)

ERROR = "RuntimeError: Class values must be smaller than num_classes."


def _call(labels: list, num_classes: int | None, ask: str, row: int | None = None) -> Question:
    return verify(get(FAMILY).build_torch(2, labels, num_classes, ask, row))


def _run(code: str) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {})  # the snippet shown to the learner
    return buf.getvalue().rstrip("\n")


def test_known_torch_values_of_f_one_hot() -> None:
    """Literals obtained by running torch 2.13, then reproduced by formula and checker."""
    import torch
    import torch.nn.functional as F

    assert F.one_hot(torch.tensor([1, 3])).shape == (2, 4)
    assert F.one_hot(torch.tensor([0, 255, 0])).shape == (3, 256)
    assert F.one_hot(torch.tensor([[0, 255], [255, 0]])).shape == (2, 2, 256)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(torch.tensor([1, 4]), num_classes=4)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(torch.tensor([0, 255]), num_classes=2)

    q = _call([1, 3], None, "shape")
    assert (q.expected, q.answer, q.result) == ([2, 4], "(2, 4)", {"shape": [2, 4], "hot": [1, 3]})
    assert q.torch_check.output == "torch.Size([2, 4])"
    mask = _call([0, 255, 0], None, "shape")
    assert mask.expected == [3, 256] and mask.torch_check.output == "torch.Size([3, 256])"
    mask2 = _call([[0, 255], [255, 0]], None, "shape")
    assert mask2.expected == [2, 2, 256]
    for labels, k in (([1, 4], 4), ([0, 255], 2)):
        e = _call(labels, k, "shape")
        assert e.expected is None and e.result is None and e.answer == "error"
        assert e.torch_check.output == ERROR and e.allow_undefined
        assert grade(e, "error").correct and grade(e, "报错").correct
    for x in (q, mask, mask2, e):
        assert _run(x.torch_check.code) == x.torch_check.output


def specific(q: Question) -> dict[str, Any]:
    """q's mistakes but the generic one that names "error" typed where torch accepts
    (tests/test_gen_one_hot.py::test_error_typed_where_f_one_hot_accepts)."""
    return {m.id: m.value for m in q.misconceptions if m.id != "one-hot-torch-accepts"}


def test_error_typed_where_f_one_hot_accepts() -> None:
    q = _call([1, 3], None, "shape")
    assert grade(q, "error").mistake_ids == ("one-hot-torch-accepts",)
    refused = _call([1, 3], 3, "shape")  # 3 is not below num_classes: torch raises
    assert refused.expected is None and grade(refused, "error").correct
    assert "one-hot-torch-accepts" not in {m.id for m in refused.misconceptions}


def test_f_one_hot_shape_misconceptions() -> None:
    q = _call([1, 3], None, "shape")
    assert [(m.id, m.value) for m in q.misconceptions] == [
        ("one-hot-width-distinct", [2, 2]),
        ("one-hot-width-max", [2, 3]),
        ("one-hot-one-based", [2, 3]),
        ("one-hot-torch-accepts", None),  # "error" typed here: every label fits
    ]
    assert grade(q, "(2, 4)").correct and grade(q, "torch.Size([2, 4])").correct
    assert grade(q, "(2, 2)").mistake_ids == ("one-hot-width-distinct",)
    # width = max and 1-based labels give the same shape here: both are named
    assert grade(q, "(2, 3)").mistake_ids == ("one-hot-width-max", "one-hot-one-based")
    mask = _call([0, 255, 0, 0], None, "shape")
    assert specific(mask) == {
        "one-hot-width-distinct": [4, 2],
        "one-hot-width-max": [4, 255],
    }
    # 1-based labels 1..4 with num_classes=4: torch raises, the wrong rules do not
    e = _call([2, 4, 1], 4, "shape")
    assert e.expected is None
    assert specific(e) == {
        "one-hot-width-distinct": [3, 4],
        "one-hot-one-based": [3, 4],
        "one-hot-num-classes-ignored": [3, 5],
    }
    assert grade(e, "(3, 5)").mistake_ids == ("one-hot-num-classes-ignored",)
    assert "shift them with t - 1, or pass num_classes=5." in e.solution
    k = _call([0, 2, 2], 5, "shape")  # num_classes wider than max + 1
    assert k.expected == [3, 5]
    assert specific(k) == {"one-hot-num-classes-ignored": [3, 3]}
    grid = _call([[0, 2, 1], [2, 0, 0]], None, "shape")
    assert grid.expected == [2, 3, 3]
    assert grade(grid, "(3, 2, 3)").mistake_ids == ("one-hot-class-dim-first",)
    assert "out.permute(2, 0, 1)" in grid.solution


def test_f_one_hot_rows() -> None:
    q = _call([1, 3], None, "row", 0)
    assert q.expected == [0, 1, 0, 0] and q.torch_check.output == "torch.Size([2, 4])\n[0, 1, 0, 0]"
    assert _run(q.torch_check.code) == q.torch_check.output
    assert specific(q) == {
        "one-hot-width-distinct": [1, 0],
        "one-hot-width-max": [0, 1, 0],
        "one-hot-one-based": [1, 0, 0],
    }
    assert grade(q, "[0, 1, 0, 0]").correct and grade(q, "0 1 0 0").correct
    assert grade(q, "[1, 0, 0]").mistake_ids == ("one-hot-one-based",)
    # the largest label has no column if the width were max: that rule offers no row
    last = _call([1, 3], None, "row", 1)
    assert last.expected == [0, 0, 0, 1]
    assert "one-hot-width-max" not in {m.id for m in last.misconceptions}
    # num_classes wider than needed: label 2 is at index 2, not at its rank among the labels
    k = _call([0, 2, 2], 5, "row", 1)
    assert k.expected == [0, 0, 1, 0, 0]
    assert specific(k) == {
        "one-hot-width-distinct": [0, 1, 0, 0, 0],
        "one-hot-num-classes-ignored": [0, 0, 1],
    }
    e = _call([0, 3, 1], 3, "row", 2)
    assert e.expected is None and e.torch_check.output == ERROR
    assert grade(e, "error").correct and grade(e, "[0, 1, 0, 0]").mistake_ids == (
        "one-hot-num-classes-ignored",
    )


def test_f_one_hot_text() -> None:
    q = _call([1, 3], None, "shape")
    assert q.prompt.startswith(
        "import torch\nimport torch.nn.functional as F\n\nt = torch.tensor([1, 3])\n"
        "out = F.one_hot(t)\n\nWhat is out.shape?"
    )
    assert q.solution.splitlines()[1:] == [
        "Without num_classes the width is max(t) + 1 = 3 + 1 = 4: one column for each class "
        "0..3, whether or not it occurs.",
        "The labels start at 1, yet column 0 is still there (all 0s): classes are counted from 0.",
        "out.shape = t.shape + (width,) = (2,) + (4,) = (2, 4): the class dimension is "
        "appended last.",
        "Answer: (2, 4).",
    ]
    e = _call([0, 255], 2, "shape")
    assert "out = F.one_hot(t, num_classes=2)\n" in e.prompt
    zh = get(FAMILY).zh(e)
    assert zh["answer"] == "报错（error）" and "out.shape 是什么？" in zh["prompt"]
    assert zh["solution"].splitlines()[-2:] == [
        "先把掩码变成 0/1（t // 255），num_classes=2 才合适。",
        "答案：报错（error）。",
    ]
    assert ft.TEXT["en"].keys() == ft.TEXT["zh"].keys()
    for key, en in ft.TEXT["en"].items():
        assert _fields(en) == _fields(ft.TEXT["zh"][key]), key


def _fields(text: str) -> set[str]:
    import string

    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_f_one_hot_cases_are_drawn(drawn: dict[int, list[Question]]) -> None:
    """How often the 1,000-seed sweep draws each F.one_hot case (all verified by torch)."""
    counts: dict[tuple[int, str, str], int] = {}
    for level, qs in drawn.items():
        for q in qs:
            if q.ask in ft.ASKS:
                key = (level, ft.case_of(q.params["labels"], q.params["num_classes"]), q.ask)
                counts[key] = counts.get(key, 0) + 1
    assert not any(level == 1 for level, _, _ in counts)
    minimum = {  # measured: 43, 36, 47, 35, 32, 35, 33, 34; 65, 68, 53, 53, 30, 26
        (2, "from-0", "row"): 25,
        (2, "from-0", "shape"): 20,
        (2, "from-1", "row"): 25,
        (2, "from-1", "shape"): 20,
        (2, "num-classes", "row"): 20,
        (2, "num-classes", "shape"): 20,
        (2, "too-big", "row"): 20,
        (2, "too-big", "shape"): 20,
        (3, "mask", "shape"): 40,
        (3, "mask-2d", "shape"): 40,
        (3, "mask-num-classes", "shape"): 35,
        (3, "2-d", "shape"): 35,
        (3, "too-big-0", "row"): 15,
        (3, "too-big-0", "shape"): 15,
    }
    for key, least in minimum.items():
        assert counts.get(key, 0) >= least, (key, counts.get(key, 0))
    errors = sum(q.expected is None for qs in drawn.values() for q in qs if q.ask in ft.ASKS)
    assert errors >= 150  # measured: 67 at level 2, 109 at level 3
