"""broadcasting: known shapes from real torch, the shape formula against torch on random
shape pairs, mm/bmm strictness, the misconception rules, how often each case is drawn, the
story code and the en/zh wording tables. (Every-seed verification, snippets, typed answers
and Chinese text are covered by test_generators.py.)"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter
from typing import Any

import pytest
import torch

from quizzer.answers import grade
from quizzer.generators import broadcasting as bc
from quizzer.generators import get, rng_for
from quizzer.question import Question
from quizzer.verify import draw_many, verify
from quizzer.verify.broadcasting import run

FAMILY = "broadcasting"
SEEDS = list(range(1000))


def _q(op: str, a: list[int], b: list[int], story: str | None = None, level: int = 2) -> Question:
    return verify(get(FAMILY).build(level, {"a": a, "b": b, "op": op, "story": story}))


def _mis(q: Question) -> dict[str, Any]:
    return {m.id: m.value for m in q.misconceptions}


# values printed by torch 2.13.0 for these products of torch.zeros (see the issue's examples)
KNOWN = [
    ("@", [8, 8], [4, 8, 16], "torch.Size([4, 8, 16])", [4, 8, 16]),  # (T, T) @ (B, T, C)
    ("@", [10, 5, 20], [10, 20],
     "RuntimeError: mat1 and mat2 shapes cannot be multiplied (50x20 and 10x20)", None),
    ("@", [3], [3, 4], "torch.Size([4])", [4]),
    ("@", [4, 3], [3], "torch.Size([4])", [4]),
    ("*", [3, 1], [1, 4], "torch.Size([3, 4])", [3, 4]),
    ("@", [3], [3], "torch.Size([])", []),
    ("@", [2, 1, 3, 4], [5, 4, 6], "torch.Size([2, 5, 3, 6])", [2, 5, 3, 6]),
    ("mm", [2, 3, 4], [4, 5], "RuntimeError: self must be a matrix", None),
    ("bmm", [2, 3, 4], [1, 4, 5], "RuntimeError: Expected size for first two dimensions of "
     "batch2 tensor to be: [2, 4] but got: [1, 4].", None),
    ("bmm", [2, 3, 4], [4, 5], "RuntimeError: batch2 must be a 3D tensor", None),
]  # fmt: skip


@pytest.mark.parametrize("op, a, b, output, shape", KNOWN)
def test_known_values_from_torch(op: str, a: list[int], b: list[int], output: str, shape: Any):
    q = _q(op, a, b)
    assert q.expected == q.result == shape
    assert q.answer == ("error" if shape is None else bc.fmt_shape(shape))
    assert q.torch_check is not None and q.torch_check.output == output
    assert grade(q, "error" if shape is None else q.answer).correct
    assert run(op, tuple(a), tuple(b)) == (shape, output)


def test_the_issue_examples_and_their_mistakes():
    q = _q("@", [8, 8], [4, 8, 16], "attention")
    assert "B, T, C = 4, 8, 16" in q.prompt and "out = wei @ x" in q.prompt
    assert _mis(q) == {
        "matmul-as-mul": None,  # (8, 8) and (4, 8, 16) do not broadcast
        "right-transposed": None,  # (16, 8): inner 8 vs 16
        "batch-no-broadcast": None,  # () vs (4,)
        "batch-of-a": [8, 16],
    }
    assert grade(q, "error").mistake_ids == (
        "matmul-as-mul",
        "right-transposed",
        "batch-no-broadcast",
    )
    q = _q("@", [10, 5, 20], [10, 20], level=3)
    assert _mis(q) == {"right-transposed": [10, 5, 10], "2d-as-vectors": [10, 5]}
    assert grade(q, "(10, 5)").mistake_ids == ("2d-as-vectors",)
    assert "one matrix of shape (10, 20)" in q.solution
    assert _q("@", [10, 5, 20], [20, 10], level=3).expected == [10, 5, 10]
    assert _mis(_q("@", [10, 5, 20], [20, 10], level=3))["2d-as-vectors"] is None
    q = _q("@", [3], [3, 4], level=1)
    assert _mis(q) == {"matmul-as-mul": None, "1d-kept": [1, 4], "right-transposed": None}
    assert grade(q, "(1, 4)").mistake_ids == ("1d-kept",) and grade(q, "(4)").correct
    q = _q("@", [4, 3], [3], level=1)
    assert _mis(q) == {"matmul-as-mul": [4, 3], "1d-kept": [4, 1]}
    q = _q("*", [3, 1], [1, 4], level=1)
    assert _mis(q) == {"mul-no-broadcast": None}  # (3, 1) @ (1, 4) is (3, 4) too: dropped
    q = _q("*", [2, 3], [2], level=1)  # a (2,) operand is (1, 2), not (2, 1)
    assert q.expected is None and _mis(q)["align-left"] == [2, 3]
    assert grade(q, "(2, 3)").mistake_ids == ("align-left", "any-size-broadcasts")
    q = _q("@", [4, 3, 2, 5], [4, 5, 6], level=3)  # batch (4, 3) vs (4,): 3 vs 4 clash
    assert q.expected is None and _mis(q)["align-left"] == [4, 3, 2, 6]
    q = _q("mm", [4, 3, 6], [6, 2], level=3)
    assert q.expected is None and _mis(q) == {"mm-broadcasts": [4, 3, 2]}
    q = _q("bmm", [4, 3, 6], [4, 6, 2], level=3)
    assert q.expected == [4, 3, 2] and q.torch_check.output == "torch.Size([4, 3, 2])"


def test_shape_formula_matches_torch_on_random_shapes():
    """result_shape equals torch's for 3,000 random pairs of 1-d to 4-d shapes, sizes 1-3
    (many clashes, many size-1 dims), for every op."""
    rng = random.Random(11)
    outcomes = Counter()
    for _ in range(3000):
        sa = tuple(rng.choice([1, 2, 3]) for _ in range(rng.randint(1, 4)))
        sb = tuple(rng.choice([1, 2, 3]) for _ in range(rng.randint(1, 4)))
        op = rng.choice(bc.OPS)
        fn = {"*": torch.mul, "@": torch.matmul, "matmul": torch.matmul}.get(op)
        fn = fn or {"mm": torch.mm, "bmm": torch.bmm}[op]
        try:
            want = tuple(fn(torch.zeros(sa), torch.zeros(sb)).shape)
        except RuntimeError:
            want = None
        assert bc.result_shape(op, sa, sb) == want, (op, sa, sb)
        outcomes[want is None] += 1
    assert min(outcomes.values()) > 600  # both outcomes well represented


def test_misconception_rules():
    assert bc.broadcast((2, 3), (3,)) == (2, 3)
    assert bc.broadcast((2, 3), (2,), left=True) == (2, 3)
    assert bc.broadcast((2, 3), (2,)) is None
    assert bc.broadcast((2, 3), (4, 3), any_size=True) == (4, 3)
    assert bc.broadcast((2, 3), (1, 3), strict=True) is None
    assert bc.matmul_shape((5, 4), (3, 4), transposed=True) == (5, 3)
    assert bc.matmul_shape((4,), (4, 7), keep_1d=True) == (1, 7)
    assert bc.matmul_shape((4,), (4,), keep_1d=True) == (1, 1)
    assert bc.matmul_shape((2, 1, 3, 4), (5, 4, 6), batch_of_a=True) == (2, 1, 3, 6)
    assert bc.matmul_shape((6, 6), (2, 6, 5), strict=True) is None
    assert bc.strict_shape("mm", (3, 4), (5, 4), transposed=True) == (3, 5)


@functools.cache
def _cases(level: int) -> tuple[Counter[str], list[Question]]:
    qs = draw_many(FAMILY, SEEDS, level)
    names = Counter(bc.draw_case(rng_for(FAMILY, q.seed, q.attempt), level)[0] for q in qs)
    return names, qs


MIN_PER_CASE = {1: 70, 2: 55, 3: 50}  # per 1,000 seeds; the sweep gives 68..167


@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_case_is_drawn_often(level: int):
    names, qs = _cases(level)
    assert set(names) == {c[0] for c in bc.CASES[level]}
    assert min(names.values()) >= MIN_PER_CASE[level], names
    errors = sum(q.expected is None for q in qs)
    assert 100 <= errors <= 600, errors  # both kinds of answer, at every level
    assert all(q.misconceptions for q in qs)  # every question names some mistake


def test_levels_use_their_ranks_and_ops():
    ranks = {lvl: {max(len(q.params["a"]), len(q.params["b"])) for q in _cases(lvl)[1]}
             for lvl in (1, 2, 3)}  # fmt: skip
    assert ranks == {1: {1, 2}, 2: {3}, 3: {2, 3, 4}}
    ops = {lvl: {q.params["op"] for q in _cases(lvl)[1]} for lvl in (1, 2, 3)}
    assert ops == {1: {"*", "@"}, 2: {"*", "@"}, 3: {"*", "@", "matmul", "mm", "bmm"}}


def test_story_code_builds_the_shapes():
    """The letters assigned in a story's code give exactly the params' shapes."""
    seen = set()
    for level in (2, 3):
        for q in _cases(level)[1]:
            p = q.params
            if p["story"] is None:
                continue
            seen.add(p["story"])
            env: dict[str, Any] = {"torch": torch}
            exec("\n".join(bc.code_lines(p)[:-1]), env)  # the code quizzer shows
            na, nb, _ = bc.names(p)
            assert list(env[na].shape) == p["a"] and list(env[nb].shape) == p["b"]
            assert len(set(bc.story_sizes(p).values())) == len(bc.story_sizes(p))
    assert seen == set(bc.STORIES)


def test_wording_tables_match():
    fields = re.compile(r"\{(\w*)")
    en, zh = bc.TEXT["en"], bc.TEXT["zh"]
    assert en.keys() == zh.keys()
    for key, text in en.items():
        if isinstance(text, str):
            assert set(fields.findall(text)) == set(fields.findall(zh[key])), key
    assert en["explain"].keys() == zh["explain"].keys()
    gen = get(FAMILY)
    assert gen.topic == get("hadamard-matmul").topic and gen.topic_zh == "张量"
