"""epochs-batches: hand-computed counts, misconception values, grading, torch and snippets."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest

from quizzer.answers import grade
from quizzer.generators import draft, get, localized
from quizzer.generators.epochs_batches import count, result_of
from quizzer.question import Question
from quizzer.verify import verify

FAMILY = "epochs-batches"


def _p(n: int, b: int, drop_last: bool, epochs: int | None = 10, k: int | None = None):
    return {
        "dataset_size": n,
        "batch_size": b,
        "drop_last": drop_last,
        "epochs": epochs,
        "target_iterations": k,
    }


def _q(params: dict[str, Any], ask: str, level: int = 2) -> Question:
    return verify(get(FAMILY).build(level, params, ask))


def _run(code: str) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(code, {})  # the snippet shown to the learner
    return buf.getvalue().rstrip("\n")


def test_hand_computed_counts() -> None:
    # 1000 samples, batch size 64: 15 full batches (960) and a last batch of 40
    keep, drop = _p(1000, 64, False), _p(1000, 64, True)
    assert result_of(keep) == {
        "batches_per_epoch": 16,
        "last_batch_size": 40,
        "dropped": 0,
        "iterations": 160,
        "samples_seen": 10000,
    }
    assert result_of(drop) == {
        "batches_per_epoch": 15,
        "last_batch_size": 64,
        "dropped": 40,
        "iterations": 150,
        "samples_seen": 9600,
    }
    assert count(_p(1000, 64, False, None, 1000), "epochs_needed") == 63  # ceil(1000 / 16)
    assert count(_p(1000, 64, True, None, 1000), "epochs_needed") == 67  # ceil(1000 / 15)
    # B divides N: drop_last changes nothing, the last batch is full
    for dl in (False, True):
        assert result_of(_p(640, 64, dl, 3)) == {
            "batches_per_epoch": 10,
            "last_batch_size": 64,
            "dropped": 0,
            "iterations": 30,
            "samples_seen": 1920,
        }


def test_misconception_values() -> None:
    q = _q(_p(1000, 64, False), "iterations")
    assert {m.id: m.value for m in q.misconceptions} == {
        "floor-not-ceil": 150,
        "fraction": 156.25,
        "iterations-are-epochs": 10,
        "per-sample": 10000,
    }
    q = _q(_p(1000, 64, True), "dropped")
    assert {m.id: m.value for m in q.misconceptions} == {
        "drop-last-ignored": 0,
        "dropped-shortfall": 24,
    }
    q = _q(_p(640, 64, False), "last_batch_size")
    assert {m.id: m.value for m in q.misconceptions} == {"remainder-zero": 0}
    q = _q(_p(1000, 64, False), "samples_seen")
    assert {m.id: m.value for m in q.misconceptions} == {
        "floor-not-ceil": 9600,
        "full-last-batch": 10240,
        "one-epoch": 1000,
    }
    q = _q(_p(1000, 64, False, None, 1000), "epochs_needed", 3)
    assert {m.id: m.value for m in q.misconceptions} == {
        "floor-not-ceil": 67,
        "epochs-rounded-down": 62,
        "fraction": 64.0,
    }


def test_grading() -> None:
    q = _q(_p(1000, 64, False), "iterations")
    assert q.kind == "number" and q.expected == 160
    for text in ("160", "160.0", " 160 "):
        assert grade(q, text).correct
    cases = {
        "150": "floor-not-ceil",
        "156.25": "fraction",
        "1000/64*10": "fraction",
        "10": "iterations-are-epochs",
        "10000": "per-sample",
    }
    for text, mid in cases.items():
        g = grade(q, text)
        assert not g.correct and g.misconception is not None and g.misconception.id == mid, text
    assert not grade(q, "159.99").correct and grade(q, "16").misconception is None
    last = _q(_p(1000, 64, False), "last_batch_size")
    assert last.kind == "int" and grade(last, "40").correct
    assert grade(last, "64").misconception.id == "floor-not-ceil"


def test_torch_check_and_snippet() -> None:
    q = _q(_p(1000, 64, True, 10), "iterations")
    assert q.verified and q.torch_check is not None
    assert q.torch_check.output == (
        "batches per epoch: 15 | batches iterated: 15\n"
        "last batch size: 64 | samples dropped: 40\n"
        "iterations: 150 | samples seen: 9600"
    )
    assert _run(q.torch_check.code) == q.torch_check.output
    e = _q(_p(1000, 64, False, None, 1000), "epochs_needed", 3)
    assert e.torch_check.output.endswith("epochs needed: 63")
    assert _run(e.torch_check.code) == e.torch_check.output


def test_mnist_sized_dataset() -> None:
    q = _q(_p(60000, 128, False, 5), "iterations", 3)  # 468 full batches and one of 96
    assert q.result["batches_per_epoch"] == 469 and q.result["last_batch_size"] == 96
    assert q.expected == 2345


def test_levels() -> None:
    for seed in range(300):
        q1, q2, q3 = (draft(FAMILY, seed, level) for level in (1, 2, 3))
        assert q1.ask in ("batches_per_epoch", "iterations") and not q1.params["drop_last"]
        assert q1.params["dataset_size"] <= 300
        assert q2.ask in ("batches_per_epoch", "iterations", "last_batch_size", "dropped")
        assert q3.ask in ("iterations", "samples_seen", "epochs_needed")
        for q in (q1, q2, q3):
            p = q.params
            assert p["dataset_size"] >= 2 * p["batch_size"]
            assert q.tolerance is None or q.tolerance < 1 / p["batch_size"]
        if q3.ask == "epochs_needed":  # the rounding up always matters
            assert q3.params["target_iterations"] % q3.result["batches_per_epoch"] != 0


def test_chinese_text() -> None:
    q = _q(_p(1000, 64, True, 10), "dropped")
    zh = localized(q, "zh")
    assert "DataLoader(dataset, batch_size=64, drop_last=True)" in zh["prompt"]
    assert "没有参与训练" in zh["prompt"] and "epoch" in zh["prompt"]
    assert "40 个样本" in zh["solution"] and zh["answer"] == "40"


@pytest.mark.parametrize("ask", ["batches_per_epoch", "iterations", "last_batch_size", "dropped"])
def test_solution_states_the_answer(ask: str) -> None:
    q = _q(_p(1271, 128, False, 27), ask)
    assert q.solution.endswith(f"Answer: {q.answer}.")
    assert localized(q, "zh")["solution"].endswith(f"答案：{q.answer}。")
