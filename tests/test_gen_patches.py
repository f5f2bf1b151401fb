"""patches: the notes' 1024/256 example, overlap, F.unfold shapes, misconceptions, grading."""

from __future__ import annotations

import contextlib
import io
from typing import Any

from quizzer.answers import grade
from quizzer.generators import draft, get, localized
from quizzer.generators.patches import MAX_UNFOLD, axis_count, counts, unfold_shape
from quizzer.question import Question
from quizzer.verify import verify

FAMILY = "patches"


def _p(shape: list[int], kernel: Any, stride: Any) -> dict[str, Any]:
    return {"input_shape": shape, "kernel_size": kernel, "stride": stride}


def _q(params: dict[str, Any], ask: str, level: int = 2) -> Question:
    return verify(get(FAMILY).build(level, params, ask))


def _run(code: str) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {})  # the snippet shown to the learner
    return buf.getvalue().rstrip("\n")


def _wrong(q: Question) -> dict[str, Any]:
    return {m.id: m.value for m in q.misconceptions}


def test_notes_example_1024_by_256() -> None:
    """Study notes: 256×256 crops of a 1024×1024 image; a non-overlapping tiling gives 16."""
    p = _p([8, 3, 1024, 1024], 256, 256)
    assert counts(p) == {"per_axis": [4, 4], "per_image": 16, "per_batch": 128}
    q = _q(p, "per_image", 1)
    assert q.expected == 16 and q.answer == "16"
    assert _wrong(q) == {"no-plus-one": 9, "times-channels": 48, "times-batch": 128}
    b = _q(p, "per_batch", 1)
    assert b.expected == 128
    assert _wrong(b) == {"no-plus-one": 72, "batch-forgotten": 16, "times-channels": 384}
    assert q.torch_check.output == "(8, 3, 4, 4, 256, 256)\npatches per image: 16 | per batch: 128"
    assert _run(q.torch_check.code) == q.torch_check.output


def test_overlap_and_leftover() -> None:
    assert axis_count(1024, 256, 128) == 7  # (1024 - 256) / 128 + 1
    assert axis_count(1024, 256, 128, overlap_ignored=True) == 4
    assert axis_count(1024, 256, 128, by_stride=True) == 8
    assert axis_count(1024, 256, 128, no_plus_one=True) == 6
    assert axis_count(100, 32, 32) == 3  # 4 pixels left over at the edge
    q = _q(_p([4, 1, 1024, 1024], 256, 128), "per_image")
    assert q.expected == 49
    assert _wrong(q) == {
        "no-plus-one": 36,
        "overlap-ignored": 16,
        "divide-by-stride": 64,
        "times-batch": 196,
    }


def test_unfold_shapes() -> None:
    vit = _p([2, 3, 224, 224], 16, 16)  # ViT-B/16 patch embedding input
    assert unfold_shape(vit) == [2, 768, 196]
    q = _q(vit, "shape", 3)
    assert q.kind == "shape" and q.expected == [2, 768, 196] and q.answer == "(2, 768, 196)"
    assert _wrong(q)["channels-forgotten"] == [2, 256, 196]
    assert _wrong(q)["patches-dim-swapped"] == [2, 196, 768]
    assert q.torch_check.output.endswith("torch.Size([2, 768, 196])")
    assert _run(q.torch_check.code) == q.torch_check.output
    rect = _q(_p([4, 4, 36, 37], [2, 7], [2, 4]), "shape", 3)
    assert rect.result["per_axis"] == [18, 8] and rect.expected == [4, 56, 144]
    assert "(2, 27, 100)" in rect.prompt  # the format example is never the answer
    assert "(2, 27, 100)" not in _q(_p([2, 3, 12, 12], 3, 1), "shape", 3).prompt  # [2, 27, 100]


def test_grading() -> None:
    q = _q(_p([2, 3, 224, 224], 16, 16), "shape", 3)
    for text in ("(2, 768, 196)", "2x768x196", "torch.Size([2, 768, 196])", "2, 768, 196"):
        assert grade(q, text).correct, text
    assert grade(q, "(2, 196, 768)").mistake_ids == ("patches-dim-swapped",)
    assert grade(q, "(2, 256, 196)").mistake_ids == ("channels-forgotten",)
    c = _q(_p([8, 3, 1024, 1024], 256, 256), "per_image", 1)
    assert grade(c, "16").correct and grade(c, "128").mistake_ids == ("times-batch",)
    assert grade(c, "48").mistake_ids == ("times-channels",)


def test_levels_and_unfold_size() -> None:
    for seed in range(300):
        q1, q2, q3 = (draft(FAMILY, seed, level) for level in (1, 2, 3))
        b, c, h, w = q1.params["input_shape"]
        k = q1.params["kernel_size"]
        assert h == w and q1.params["stride"] == k and h % k == 0 and q1.ask != "shape"
        assert q2.ask in ("per_image", "per_batch")
        assert isinstance(q2.params["kernel_size"], int)
        assert q3.ask in ("shape", "per_batch")
        if q3.ask == "shape":
            s = q3.expected
            assert s[0] * s[1] * s[2] <= MAX_UNFOLD
        if q3.ask == "per_batch":
            assert q3.params["input_shape"][0] > 1
        for q in (q1, q2, q3):
            assert min(q.result["per_axis"]) >= 1


def test_chinese_text() -> None:
    q = _q(_p([8, 3, 1024, 1024], 256, 256), "per_image", 1)
    zh = localized(q, "zh")
    assert "图像块" in zh["prompt"] and "批大小 8" in zh["prompt"] and "步幅 256" in zh["prompt"]
    assert zh["solution"].endswith("答案：16。")
    s = localized(_q(_p([2, 3, 224, 224], 16, 16), "shape", 3), "zh")
    assert "F.unfold(x, kernel_size=16, stride=16)" in s["prompt"]
