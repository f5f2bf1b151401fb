"""tensor-shapes: the study notes' shape examples, the stride model against real torch,
view vs reshape, HWC/CHW, torch.Size arithmetic, misconceptions and grading. (Every-seed
verification, snippets and typed answers are covered by test_generators.py.)"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import torch

from quizzer.answers import grade
from quizzer.generators import _shapes as sh
from quizzer.generators import draft, get, localized
from quizzer.generators import tensor_shapes as ts
from quizzer.question import Question
from quizzer.verify import verify
from quizzer.verify.tensor_shapes import apply

FAMILY = "tensor-shapes"


def _q(ask: str, params: dict[str, Any], level: int = 2) -> Question:
    return verify(get(FAMILY).build(level, ask, params))


def _torch(shape: list[int], *ops: dict[str, Any]) -> dict[str, Any]:
    return {"init": "zeros", "shape": shape, "ops": list(ops)}


def _mis(q: Question) -> dict[str, Any]:
    return {m.id: m.value for m in q.misconceptions}


def test_study_notes_examples() -> None:
    """2023-09-02 and 2023-09-07: numpy literals, torch.rand((8, 8)) and (1, 1) + x.shape."""
    q = _q("shape", {"array": [1, 2, 3], "ops": []}, level=1)
    assert q.expected == [3] and q.answer == "(3,)" and q.torch_check.output == "(3,)"
    assert grade(q, "(3,)").correct and grade(q, "3").correct
    assert grade(q, "(1, 3)").mistake_ids == ("np-1d-as-row",)
    q = _q("shape", {"array": [[1, 2, 3]], "ops": []}, level=1)
    assert q.expected == [1, 3] and q.torch_check.output == "(1, 3)"
    assert _mis(q) == {"np-outer-bracket-ignored": [3], "np-shape-swapped": [3, 1]}
    notes = {"init": "rand", "shape": [8, 8]}
    q = _q("shape", notes | {"ops": [{"op": "size_prepend", "sizes": [1, 1]}]}, level=1)
    assert q.expected == [1, 1, 8, 8] and q.torch_check.output == "torch.Size([1, 1, 8, 8])"
    assert "x = torch.rand((8, 8))" in q.prompt and "s = (1, 1) + x.shape" in q.prompt
    assert grade(q, "(9, 9)").mistake_ids == ("size-plus-elementwise",)
    q = _q("shape", notes | {"ops": [{"op": "prepend", "sizes": [1, 1]}]}, level=1)
    assert "y = x.reshape((1, 1) + x.shape)" in q.prompt
    assert q.expected == [1, 1, 8, 8] and grade(q, "torch.Size([1, 1, 8, 8])").correct
    assert "rand" not in q.solution.replace("torch.rand", "")  # no claim about the values


def test_single_ops_and_their_misreadings() -> None:
    q = _q("shape", _torch([8, 8], {"op": "unsqueeze", "dim": -1}))
    assert q.expected == [8, 8, 1] and _mis(q) == {"unsqueeze-off-by-one": [8, 1, 8]}
    q = _q("shape", _torch([2, 3, 4], {"op": "unsqueeze", "dim": 1}))
    assert q.expected == [2, 1, 3, 4] and _mis(q) == {"unsqueeze-off-by-one": [2, 3, 1, 4]}
    q = _q("shape", _torch([2, 3, 4], {"op": "squeeze", "dim": 1}))
    assert q.expected == [2, 3, 4] and _mis(q) == {"squeeze-not-one": [2, 4]}  # no-op
    assert _q("shape", _torch([2, 1, 4, 1], {"op": "squeeze", "dim": None})).expected == [2, 4]
    q = _q("shape", _torch([2, 3, 4, 5], {"op": "flatten", "start_dim": 1, "end_dim": -1}))
    assert q.expected == [2, 60] and _mis(q) == {"flatten-start-ignored": [120]}
    assert "x.flatten(start_dim=1)" in q.prompt
    q = _q("shape", _torch([2, 3, 4, 5], {"op": "flatten", "start_dim": 1, "end_dim": 2}))
    assert q.expected == [2, 12, 5]
    q = _q("shape", _torch([2, 3, 4], {"op": "permute", "dims": [2, 0, 1]}))
    assert q.expected == [4, 2, 3] and _mis(q) == {"permute-inverted": [3, 4, 2]}
    q = _q("shape", _torch([2, 3, 4], {"op": "reshape", "shape": [4, -1]}))
    assert q.expected == [4, 6] and _mis(q) == {"reshape-minus-one-numel": [4, 24]}
    q = _q("shape", _torch([2, 3, 4], {"op": "reshape", "shape": [5, -1]}))
    assert q.expected is None and q.torch_check.output.startswith("RuntimeError: shape '[5, -1]'")
    assert _mis(q) == {"reshape-minus-one-numel": [5, 24], "reshape-floor": [5, 4]}
    assert grade(q, "error").correct and grade(q, "(5, 4)").mistake_ids == ("reshape-floor",)
    q = _q("shape", _torch([2, 3, 4], {"op": "index", "dim": 1, "index": -1}))
    assert q.expected == [2, 4] and "x[:, -1]" in q.prompt
    assert _mis(q) == {"index-keeps-dim": [2, 1, 4]}
    q = _q("shape", _torch([2, 5, 4], {"op": "slice", "dim": 1, "start": 1, "stop": 3}))
    assert q.expected == [2, 2, 4] and _mis(q) == {"slice-inclusive": [2, 3, 4]}


def test_view_needs_compatible_strides() -> None:
    t = {"op": "transpose", "dim0": 0, "dim1": 1}
    q = _q("shape", _torch([2, 3, 4], t, {"op": "view", "shape": [-1]}), level=3)
    assert q.expected is None and "view size is not compatible" in q.torch_check.output
    assert _mis(q) == {"view-like-reshape": [24]}
    assert _q("shape", _torch([2, 3, 4], t, {"op": "reshape", "shape": [-1]})).expected == [24]
    # splitting the last dim, or merging dims that stay in memory order, is still a view
    assert _q("shape", _torch([2, 3, 4], t, {"op": "view", "shape": [3, 2, 2, 2]})).expected == [
        3,
        2,
        2,
        2,
    ]
    ok = _q(
        "shape",
        _torch([2, 3, 4], {"op": "permute", "dims": [1, 0, 2]}, {"op": "view", "shape": [6, 4]}),
    )
    assert ok.expected is None  # dims 0 and 1 are swapped in memory: (3, 2) cannot merge


def test_stride_model_matches_torch() -> None:
    """The formula's (shape, strides) after every op equals torch's, for 600 random chains."""
    rng = random.Random(7)
    pool = list(ts.L3_OPS)
    for _ in range(600):
        shape = ts.rand_shape(rng, rng.choice([2, 3, 4]), ones=rng.random() < 0.3)
        ops = ts._chain(rng, shape, rng.sample(pool, 3), 3)
        st: Any = (tuple(shape), sh.contiguous(tuple(shape)))
        t = torch.zeros(shape)
        for op in ops:
            st = sh.step(op, st, None)
            try:
                t = apply(t, op)
            except RuntimeError:
                assert st is None, (shape, ops)
                break
            assert st is not None, (shape, ops)
            assert (list(st[0]), list(st[1])) == (list(t.shape), list(t.stride())), (shape, ops)


def test_view_strides_examples() -> None:
    assert sh.view_strides((2, 3, 4), (12, 4, 1), (6, 4)) == (4, 1)
    assert sh.view_strides((3, 2, 4), (4, 12, 1), (3, 8)) is None  # after transpose(0, 1)
    assert sh.view_strides((3, 2, 4), (4, 12, 1), (3, 2, 2, 2)) == (4, 12, 2, 1)
    assert sh.infer([-1, 4], 24) == (6, 4) and sh.infer([-1, 5], 24) is None
    assert sh.infer([-1, -1], 24) is None


def test_hwc_chw() -> None:
    """cv2.imread gives (H, W, C); torch wants (C, H, W): permute(2, 0, 1)."""
    q = _q("permute", {"layout": "HWC", "target": "CHW", "shape": [480, 640, 3]})
    assert q.expected == [2, 0, 1] and q.torch_check.output == "[2, 0, 1]"
    assert _mis(q) == {"permute-inverted": [1, 2, 0], "permute-reversed": [2, 1, 0]}
    assert grade(q, "2, 0, 1").correct and grade(q, "(2, 0, 1)").correct
    assert grade(q, "1 2 0").mistake_ids == ("permute-inverted",)
    assert "BGR" in q.prompt and "cv2.imread" in q.torch_check.code
    assert _q("permute", {"layout": "CHW", "target": "HWC", "shape": [3, 224, 320]}).expected == [
        1,
        2,
        0,
    ]
    q = _q("permute", {"layout": "NHWC", "target": "NCHW", "shape": [8, 32, 48, 3]}, level=3)
    assert q.expected == [0, 3, 1, 2] and _mis(q)["permute-inverted"] == [0, 2, 3, 1]
    ops = [{"op": "permute", "dims": [2, 0, 1]}, {"op": "unsqueeze", "dim": 0}, {"op": "float"}]
    q = _q("shape", {"init": "from_numpy", "shape": [480, 640, 3], "ops": ops})
    assert q.expected == [1, 3, 480, 640] and "np.zeros((480, 640, 3), dtype=np.uint8)" in (
        q.torch_check.code
    )


def test_numel_and_size_arithmetic() -> None:
    q = _q("numel", _torch([3, 4, 5], {"op": "index", "dim": 0, "index": 0}))
    assert q.expected == 20 and q.torch_check.output == "20"
    assert _mis(q) == {"numel-sum": 9}  # index-keeps-dim gives 20 too: dropped
    ops = [{"op": "size_slice", "start": 1, "stop": None}, {"op": "size_append", "sizes": [1]}]
    q = _q("shape", _torch([5, 4, 6, 7], *ops), level=3)
    assert q.expected == [4, 6, 7, 1] and "s = x.shape[1:] + (1,)" in q.prompt
    assert q.torch_check.output == "torch.Size([4, 6, 7, 1])"
    assert _mis(q) == {"size-plus-elementwise": [5, 7, 8]}


def test_numpy_ops() -> None:
    q = _q("shape", {"array": [1, 2, 3], "ops": [{"op": "T"}]})
    assert q.expected == [3] and _mis(q) == {"np-1d-transpose": [3, 1]}
    q = _q("shape", {"array": [1, 2, 3], "ops": [{"op": "newaxis", "position": 1}]})
    assert q.expected == [3, 1] and "b = a[:, np.newaxis]" in q.prompt
    assert _mis(q) == {"np-newaxis-position": [1, 3]}
    q = _q("shape", {"array": [1, 2, 3], "ops": [{"op": "reshape", "shape": [2, -1]}]})
    assert q.expected is None and q.torch_check.output.startswith("ValueError: cannot reshape")
    assert np.array([[1], [2], [3]]).shape == tuple(sh.array_shape([[1], [2], [3]]))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_levels(level: int) -> None:
    qs = [draft(FAMILY, seed, level) for seed in range(300)]
    asks = {q.ask for q in qs}
    kinds = {op["op"] for q in qs for op in q.params.get("ops", [])}
    if level == 1:
        assert asks == {"shape", "numel"} and not any(q.allow_undefined for q in qs)
        assert all(len(q.params.get("ops", [])) <= 1 for q in qs)
        assert any(q.params.get("shape") == [8, 8] and q.params.get("init") == "rand" for q in qs)
    elif level == 2:
        assert asks == {"shape", "numel", "permute"}
        assert {"view", "reshape", "squeeze", "permute", "T", "newaxis"} <= kinds
        assert {len(q.params["shape"]) for q in qs if q.ask == "permute"} == {3}
    else:
        assert asks == {"shape", "numel", "permute"}
        assert {"index", "slice", "size_slice", "view"} <= kinds
        assert {len(q.params["shape"]) for q in qs if q.ask == "permute"} == {4}
        undefined = sum(q.expected is None for q in qs)
        assert 0.05 * len(qs) < undefined < 0.3 * len(qs)


def test_chinese() -> None:
    q = _q("shape", _torch([2, 3, 4], {"op": "reshape", "shape": [5, -1]}))
    zh = localized(q, "zh")
    assert "`y = x.reshape(5, -1)`" in zh["prompt"] and "若报错，请回答 error" in zh["prompt"]
    assert "不是整数" in zh["solution"] and zh["answer"] == "error"
    p = localized(_q("permute", {"layout": "HWC", "target": "CHW", "shape": [480, 640, 3]}), "zh")
    assert "`nn.Conv2d`" in p["prompt"] and "C = dim 2" in p["solution"]
