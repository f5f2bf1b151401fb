"""hadamard-matmul: formula, torch agreement over many seeds, snippets, grading."""

from __future__ import annotations

import re
from typing import Any

import pytest

from quizzer.answers import grade
from quizzer.errors import AnswerFormatError
from quizzer.generators import draft, get, rng_for
from quizzer.generators.hadamard_matmul import (
    VALUES,
    broadcast_shape,
    draws,
    matmul,
    mul,
    shape_of,
)
from quizzer.question import Question
from quizzer.verify import draw, draw_many, verify
from quizzer.verify.hadamard_matmul import check, check_batch

FAMILY = "hadamard-matmul"
SEEDS = range(1000)
LEVELS = (1, 2, 3)

A = [[1, 2], [3, 4]]  # the notes' example
B = [[5, 6], [7, 8]]
M23 = [[1, 2, 3], [4, 5, 6]]
M32 = [[1, 0], [0, 1], [2, -1]]


@pytest.fixture(scope="module")
def drawn() -> dict[int, list[Question]]:
    return {level: [draw(FAMILY, seed, level) for seed in SEEDS] for level in LEVELS}


def _q(a: Any, b: Any, op: str, ask: str = "result", difficulty: int = 2) -> Question:
    return verify(get(FAMILY).build(difficulty, a, b, op, ask))


def _typed(q: Question, value: Any) -> str:
    """A value typed the way a learner would."""
    if value is None:
        return "error"
    if q.kind == "shape":
        return "(" + ", ".join(map(str, value)) + ")"
    return str(value)


# ---------------------------------------------------------------- formula


def test_formula_known_values() -> None:
    assert mul(A, B) == [[5, 12], [21, 32]]
    assert matmul(A, B) == [[19, 22], [43, 50]]
    assert matmul(B, A) == [[23, 34], [31, 46]]
    assert matmul(M23, M32) == [[7, -1], [16, -1]]
    assert matmul(M23, M23) is None  # (2, 3) @ (2, 3)
    assert mul(M23, M32) is None  # (2, 3) * (3, 2)
    assert mul(M23, [[10, 20, 30]]) == [[10, 40, 90], [40, 100, 180]]  # (2, 3) * (1, 3)
    assert mul([[1], [2], [3]], [[4, 5]]) == [[4, 5], [8, 10], [12, 15]]  # (3, 1) * (1, 2)
    assert mul(M23, [1, 0, -1]) == [[1, 0, -3], [4, 0, -6]]  # a 1-d b is a row
    assert mul(M23, [1, 2]) is None  # (2, 3) * (2,): 3 != 2 at the right
    assert mul(M23, [[1, 2, 3]], strict=True) is None
    assert matmul([1, 2], [3, 4]) == 11
    assert matmul([1, 2], A) == [7, 10]
    assert matmul(A, [1, 2]) == [5, 11]
    assert matmul([[1], [2]], [[3, 4, 5]]) == [[3, 4, 5], [6, 8, 10]]  # outer product
    assert matmul(M23, [1, 2]) is None


def test_shapes() -> None:
    assert shape_of(M23) == (2, 3) and shape_of([1, 2]) == (2,) and shape_of(7) == ()
    assert broadcast_shape((3, 1), (1, 2)) == (3, 2)
    assert broadcast_shape((2, 3), (3,)) == (2, 3)
    assert broadcast_shape((2, 3), (2,)) is None
    assert broadcast_shape((2, 3), (2, 1)) == (2, 3)
    assert broadcast_shape((2, 3), (1, 3), strict=True) is None


# ---------------------------------------------------------------- torch, known values


def test_notes_example_through_torch() -> None:
    q = _q(A, B, "mul", difficulty=1)
    assert q.verified and q.result == [[5, 12], [21, 32]] and q.answer == "[[5, 12], [21, 32]]"
    assert q.torch_check is not None
    assert q.torch_check.output == "[[5, 12], [21, 32]]\ntorch.Size([2, 2])"
    assert "torch.mul(a, b)" in q.torch_check.code
    for text in ("[[5,12],[21,32]]", "5 12; 21 32", "[[5, 12], [21, 32]]", "5,12;21,32"):
        assert grade(q, text).correct, text
    g = grade(q, "[[19,22],[43,50]]")
    assert not g.correct and g.mistake_ids == ("mul-as-matmul",)

    q = _q(A, B, "matmul", difficulty=1)
    assert q.result == [[19, 22], [43, 50]]
    assert q.torch_check is not None
    assert q.torch_check.output == "[[19, 22], [43, 50]]\ntorch.Size([2, 2])"
    assert grade(q, "19 22; 43 50").correct
    ids = {m.id: m.value for m in q.misconceptions}
    assert ids == {"matmul-as-mul": [[5, 12], [21, 32]], "matmul-transposed": [[23, 34], [31, 46]]}
    assert grade(q, "5 12; 21 32").mistake_ids == ("matmul-as-mul",)
    assert "c[0][0] = 1*5 + 2*7 = 19" in q.solution


def test_undefined_through_torch() -> None:
    q = _q(M23, M23, "matmul")
    assert q.verified and q.result is None and q.expected is None and q.answer == "error"
    assert q.torch_check is not None
    assert q.torch_check.output == (
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"
    )
    for text in ("error", "undefined", "Error", "报错"):
        assert grade(q, text).correct
    assert grade(q, "1 4 9; 16 25 36").mistake_ids == ("matmul-as-mul",)  # M23 * M23

    q = _q(M23, M32, "mul", "shape")
    assert q.expected is None and q.answer == "error"
    assert q.torch_check is not None
    assert q.torch_check.output == (
        "RuntimeError: The size of tensor a (3) must match the size of tensor b (2) "
        "at non-singleton dimension 1"
    )
    assert grade(q, "(2, 2)").mistake_ids == ("mul-as-matmul",)  # M23 @ M32 is (2, 2)


def test_shape_questions() -> None:
    q = _q(M23, M32, "matmul", "shape")
    assert q.expected == [2, 2] and q.answer == "(2, 2)"
    for text in ("(2, 2)", "2x2", "[2, 2]", "torch.Size([2, 2])", "2×2"):
        assert grade(q, text).correct, text
    ids = {m.id: m.value for m in q.misconceptions}
    assert ids == {
        "matmul-as-mul": None,
        "matmul-transposed": [3, 3],
        "shape-inner": [3, 3],  # the same wrong shape as matmul-transposed: both are named
        "shape-as-a": [2, 3],
    }
    q = _q(M23, [[1, 2, 3]] * 3, "matmul", "shape")  # (2, 3) @ (3, 3) -> (2, 3)
    ids = {m.id: m.value for m in q.misconceptions}  # b @ a fails too: both named
    assert ids == {"matmul-as-mul": None, "matmul-transposed": None, "shape-inner": [3, 3]}
    q = _q(M32, M23, "matmul", "shape")  # (3, 2) @ (2, 3) -> (3, 3)
    assert grade(q, "(2, 2)").mistake_ids == ("matmul-transposed", "shape-inner")
    assert grade(q, "(3, 2)").mistake_ids == ("shape-as-a",)
    q = _q(M23, M32, "matmul", "shape")
    assert grade(q, "(2, 3)").mistake_ids == ("shape-as-a",)
    assert grade(q, "error").mistake_ids == ("matmul-as-mul",)

    q = _q([[1], [2], [3]], [[4, 5]], "mul", "shape", 3)  # (3, 1) * (1, 2) -> (3, 2)
    assert q.expected == [3, 2]
    assert grade(q, "error").mistake_ids == ("mul-no-broadcast",)
    assert grade(q, "(3, 1)").mistake_ids == ("shape-as-a",)

    q = _q([1, 2], [3, 4], "matmul", "shape", 3)  # a scalar
    assert q.expected == [] and q.answer == "()" and grade(q, "()").correct
    assert grade(q, "torch.Size([])").correct
    assert q.torch_check is not None and q.torch_check.output == "11\ntorch.Size([])"

    q = _q([1, 2], A, "matmul", "shape", 3)
    assert q.expected == [2] and q.answer == "(2,)"
    assert grade(q, "(2,)").correct and grade(q, "2").correct


def test_defined_questions() -> None:
    q = _q(M23, [[1, 2, 3]], "mul", "defined", 3)  # (2, 3) * (1, 3): broadcasting
    assert q.kind == "choice" and q.expected == "yes" and q.result == [[1, 4, 9], [4, 10, 18]]
    for text in ("yes", "Yes", "y", "true", "是", "defined"):
        assert grade(q, text).correct, text
    for text in ("no", "n", "false", "否"):
        g = grade(q, text)
        assert not g.correct and g.mistake_ids == ("mul-no-broadcast", "mul-as-matmul")
    with pytest.raises(AnswerFormatError):
        grade(q, "maybe")

    q = _q(M23, M23, "matmul", "defined")
    assert q.expected == "no" and q.result is None
    assert grade(q, "No").correct and grade(q, "false").correct and grade(q, "否").correct
    assert grade(q, "yes").mistake_ids == ("matmul-as-mul",)


# ---------------------------------------------------------------- many seeds


def test_levels_differ(drawn: dict[int, list[Question]]) -> None:
    one, two, three = drawn[1], drawn[2], drawn[3]
    assert all(q.ask == "result" and q.result is not None for q in one)
    assert all(shape_of(q.params["a"]) == shape_of(q.params["b"]) == (2, 2) for q in one)
    assert {q.params["op"] for q in one} == {"mul", "matmul"}
    for qs in (two, three):
        assert {q.ask for q in qs} == {"result", "shape", "defined"}
        assert 0.2 < sum(q.result is None for q in qs) / len(qs) < 0.6
    shapes2 = {(shape_of(q.params["a"]), shape_of(q.params["b"])) for q in two}
    assert all(len(sa) == len(sb) == 2 and 1 not in sa + sb for sa, sb in shapes2)
    assert all(not (sa == sb and sa[0] == sa[1]) for sa, sb in shapes2)  # not both square
    assert ((2, 3), (2, 3)) in shapes2 and ((2, 3), (3, 2)) in shapes2
    shapes3 = {(shape_of(q.params["a"]), shape_of(q.params["b"])) for q in three}
    assert ((3, 1), (1, 2)) in shapes3 or ((1, 2), (3, 1)) in shapes3
    assert any(1 in sa + sb for sa, sb in shapes3)
    assert any(len(sa) == 1 or len(sb) == 1 for sa, sb in shapes3)
    broadcast = [q for q in three if q.params["op"] == "mul" and q.result is not None]
    assert any(shape_of(q.params["a"]) != shape_of(q.params["b"]) for q in broadcast)
    assert all(
        q.kind != "matrix" or q.result is None or len(shape_of(q.result)) == 2 for q in three
    )


def test_batch_checker_matches_single(drawn: dict[int, list[Question]]) -> None:
    """draw_many gives draw's questions, and the batched torch pass (stacked 2-d operands,
    shape groups torch refuses) gives exactly the single checker's Checks."""
    seeds = list(SEEDS)
    for level in LEVELS:
        assert draw_many(FAMILY, seeds, level) == drawn[level]
        drafts = [draft(FAMILY, seed, level) for seed in seeds]
        for q, got in zip(drafts, check_batch(drafts), strict=True):
            assert got == check(q), (q.params, got)
    # one batch of every level together, with the undefined and 1-d groups mixed in
    mixed = [draft(FAMILY, seed, level) for seed in range(200) for level in LEVELS]
    mixed += [
        get(FAMILY).build(2, M23, M23, "matmul", "result"),
        get(FAMILY).build(2, A, B, "mul", "shape"),
    ]
    assert check_batch(mixed) == [check(q) for q in mixed]


def test_fast_draws_match_rng_choice() -> None:
    """draws() takes the same random numbers as rng.choice(VALUES), so questions stay put."""
    for seed in range(50):
        fast, slow = rng_for(FAMILY, seed), rng_for(FAMILY, seed)
        assert draws(fast, 40) == [slow.choice(VALUES) for _ in range(40)]
        assert fast.random() == slow.random()


def test_grading(drawn: dict[int, list[Question]]) -> None:
    for level in LEVELS:
        for q in drawn[level][:60]:
            assert grade(q, _typed(q, q.expected)).correct, (q.prompt, q.expected)
            assert grade(q, q.answer).correct, (q.prompt, q.answer)
            if q.kind == "matrix" and q.expected is not None:
                rows = "; ".join(" ".join(map(str, row)) for row in q.expected)
                assert grade(q, rows).correct
            for m in q.misconceptions:
                g = grade(q, _typed(q, m.value))
                assert not g.correct and m in g.misconceptions


# ---------------------------------------------------------------- Chinese


def test_chinese_text() -> None:
    gen = get(FAMILY)
    zh = gen.zh(_q(A, B, "mul", difficulty=1))
    assert zh["prompt"].splitlines()[:3] == [
        "a = [[1, 2], [3, 4]]   （形状 (2, 2)）",
        "b = [[5, 6], [7, 8]]   （形状 (2, 2)）",
        "两者都是 int64 类型的 torch 张量。考虑 a * b（torch.mul：逐元素乘积，即哈达玛积，"
        "支持广播）。",
    ]
    assert zh["answer"] == "[[5, 12], [21, 32]]"
    assert "  c[1][0] = 3 * 7 = 21" in zh["solution"]
    assert zh["solution"].endswith("a * b = [[5, 12], [21, 32]]。\n答案：[[5, 12], [21, 32]]。")
    zh = gen.zh(_q(A, B, "matmul", difficulty=1))
    assert "torch.matmul：矩阵乘法" in zh["prompt"] and "c[0][0] = 1*5 + 2*7 = 19" in zh["solution"]
    zh = gen.zh(_q(M23, M23, "matmul"))
    assert zh["answer"] == "报错（error）"
    assert (
        "内侧尺寸（a 的列数 = 3，b 的行数 = 2）不相等，所以 torch 报错：无定义。" in zh["solution"]
    )
    assert "error（或“报错”）" in zh["prompt"]
    zh = gen.zh(_q([1, 2], [3, 4], "matmul", "shape", 3))
    assert zh["answer"] == "()" and "结果的形状为 ()（标量）。" in zh["solution"]
    assert "一维的 a 当作一行" in zh["solution"] and "一维的 b 当作一列" in zh["solution"]
    q = _q(M23, [[1, 2, 3]], "mul", "defined", 3)
    zh = gen.zh(q)
    assert zh["answer"] == "是（yes）" and "回答 yes 或 no（或 是/否）" in zh["prompt"]
    assert "每一对都匹配；大小为 1（或缺失）的维度被重复（广播）：(2, 3)。" in zh["solution"]
    assert (
        grade(q, "是").correct and gen.zh(_q(M23, M23, "matmul", "defined"))["answer"] == "否（no）"
    )
    assert (gen.topic_zh, set(gen.explanations_zh)) == ("张量", set(gen.explanations))


def test_chinese_text_has_the_english_numbers(drawn: dict[int, list[Question]]) -> None:
    """The same operands, entries and answer as the English text (the solution differs
    only where English writes 1-d for 一维)."""
    gen = get(FAMILY)
    number = re.compile(r"\d+")
    for level in LEVELS:
        for q in drawn[level][::10]:
            zh = gen.zh(q)
            assert number.findall(zh["prompt"]) == number.findall(q.prompt), q.seed
            en_solution = q.solution.replace("1-d", "")
            assert number.findall(zh["solution"]) == number.findall(en_solution), q.seed
            if q.ask != "defined":
                assert zh["answer"] == q.answer or q.expected is None
