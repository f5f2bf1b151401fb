"""epochs-batches: hand-computed counts, misconception values, grading, torch and snippets."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest

from quizzer.answers import grade
from quizzer.generators import draft, get, localized
from quizzer.generators.epochs_batches import TEXT, count, no_batch, result_of
from quizzer.question import Question
from quizzer.verify import draw_many, verify

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
        assert not g.correct and g.mistake_ids == (mid,), text
    assert not grade(q, "159.99").correct and grade(q, "16").mistake_ids == ()
    last = _q(_p(1000, 64, False), "last_batch_size")
    assert last.kind == "int" and grade(last, "40").correct
    assert grade(last, "64").mistake_ids == ("floor-not-ceil",)


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
        assert q1.params["dataset_size"] >= 2 * q1.params["batch_size"]
        for q in (q1, q2, q3):
            p = q.params
            assert p["dataset_size"] >= 2 * p["batch_size"] or p["dataset_size"] < p["batch_size"]
            assert q.tolerance is None or q.tolerance < 1 / p["batch_size"]
            if no_batch(p):  # no batch: no last batch to ask about, no epochs to count
                assert q.ask not in ("last_batch_size", "epochs_needed")
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


# ---------------------------------------------------------------- edge cases (issue 9, item 4)


def test_known_torch_values_of_a_dataset_smaller_than_one_batch() -> None:
    """Literals obtained by running torch 2.13:
    len(DataLoader(range(10), batch_size=11, drop_last=True)) == 0, == 1 without drop_last,
    and list(DataLoader(range(10), batch_size=11)) is one batch of all 10 samples."""
    from torch.utils.data import DataLoader

    assert len(DataLoader(range(10), batch_size=11, drop_last=True)) == 0
    assert list(DataLoader(range(10), batch_size=11, drop_last=True)) == []
    assert len(DataLoader(range(10), batch_size=11)) == 1
    assert [len(x) for x in DataLoader(range(10), batch_size=11)] == [10]
    # the formula and the checker's DataLoader reproduce them
    drop = _q(_p(10, 11, True, 3), "batches_per_epoch")
    assert drop.expected == 0 and drop.result == {
        "batches_per_epoch": 0,
        "last_batch_size": None,
        "dropped": 10,
        "iterations": 0,
        "samples_seen": 0,
    }
    assert drop.torch_check.output == (
        "batches per epoch: 0 | batches iterated: 0\n"
        "last batch size: None | samples dropped: 10\n"
        "iterations: 0 | samples seen: 0"
    )
    assert _run(drop.torch_check.code) == drop.torch_check.output
    keep = _q(_p(10, 11, False, 3), "last_batch_size")
    assert keep.expected == 10 and keep.result == {
        "batches_per_epoch": 1,
        "last_batch_size": 10,
        "dropped": 0,
        "iterations": 3,
        "samples_seen": 30,
    }
    assert keep.torch_check.output.splitlines()[:2] == [
        "batches per epoch: 1 | batches iterated: 1",
        "last batch size: 10 | samples dropped: 0",
    ]
    assert _run(keep.torch_check.code) == keep.torch_check.output


def test_small_dataset_misconceptions_and_grading() -> None:
    q = _q(_p(40, 64, True, 5), "batches_per_epoch")
    assert q.expected == 0 and grade(q, "0").correct
    assert {m.id: m.value for m in q.misconceptions} == {
        "drop-last-ignored": 1,
        "fraction": 0.625,
    }
    assert grade(q, "1").mistake_ids == ("drop-last-ignored",)
    d = _q(_p(40, 64, True, 5), "dropped")  # every sample is dropped
    assert d.expected == 40
    assert {m.id: m.value for m in d.misconceptions} == {
        "drop-last-ignored": 0,
        "dropped-shortfall": 24,
    }
    it = _q(_p(40, 64, True, 5), "iterations")
    assert it.expected == 0
    # thinking one batch survives and thinking an epoch is one iteration coincide: both named
    assert grade(it, "5").mistake_ids == ("drop-last-ignored", "iterations-are-epochs")
    last = _q(_p(40, 64, False, 5), "last_batch_size")
    assert last.expected == 40
    assert grade(last, "64").mistake_ids == ("floor-not-ceil",)
    seen = _q(_p(40, 64, False, 5), "samples_seen", 3)
    assert seen.expected == 200
    assert {m.id: m.value for m in seen.misconceptions} == {
        "floor-not-ceil": 0,
        "full-last-batch": 320,
        "one-epoch": 40,
    }


def test_last_batch_is_full_when_b_divides_n() -> None:
    """640 = 10 * 64: the last batch holds 64 (torch: last batch size 64), not 0."""
    for dl in (False, True):
        q = _q(_p(640, 64, dl, 3), "last_batch_size")
        assert q.expected == 64 and "last batch size: 64 |" in q.torch_check.output
        assert grade(q, "0").mistake_ids == ("remainder-zero",)
        assert "Every batch, the last one too, holds B = 64 samples." in q.solution


def test_small_dataset_solution_text() -> None:
    q = _q(_p(40, 64, True, 5), "dropped")
    assert q.solution.splitlines()[1:] == [
        "drop_last=True drops an incomplete last batch: batches per epoch = floor(N / B) "
        "= floor(40 / 64) = floor(0.625) = 0.",
        "N = 40 < B = 64: the only batch would be incomplete, so drop_last=True drops it; "
        "the loader yields no batch at all (len(loader) = 0) and nothing is trained.",
        "All 40 samples are left out in every epoch.",
        "Answer: 40.",
    ]
    zh = localized(q, "zh")["solution"].splitlines()
    assert zh[2].startswith("N = 40 < B = 64：唯一的批次不完整")
    assert zh[3] == "每个 epoch 全部 40 个样本都没有参与训练。"
    keep = _q(_p(40, 64, False, 5), "last_batch_size")
    assert keep.solution.splitlines()[2] == (
        "N = 40 < B = 64: the whole training set fits in one batch, so that single, incomplete "
        "batch is also the last one and holds all 40 samples."
    )


def test_edge_cases_are_drawn() -> None:
    """How often the 1,000-seed sweep draws each edge case (verified by torch's DataLoader)."""
    counts: dict[tuple[int, str], int] = {}
    for level in (2, 3):
        for q in draw_many(FAMILY, list(range(1000)), level):
            p = q.params
            n, b = p["dataset_size"], p["batch_size"]
            cases = []
            if n < b:
                cases.append("no-batch" if p["drop_last"] else "one-batch")
                if q.ask == "last_batch_size":
                    cases.append("last-of-one-batch")
            if n % b == 0 and q.ask == "last_batch_size":
                cases.append("last-full")
            if n % b and n > b and q.ask == "last_batch_size" and not p["drop_last"]:
                cases.append("last-partial")
            for case in cases:
                counts[level, case] = counts.get((level, case), 0) + 1
    minimum = {  # measured on the sweep: 73, 61, 20, 36, ?, 57, 44
        (2, "no-batch"): 50,
        (2, "one-batch"): 40,
        (2, "last-of-one-batch"): 10,
        (2, "last-full"): 20,
        (2, "last-partial"): 60,
        (3, "no-batch"): 35,
        (3, "one-batch"): 30,
    }
    for key, least in minimum.items():
        assert counts.get(key, 0) >= least, (key, counts.get(key, 0), counts)


def test_text_tables_have_the_same_keys_and_fields() -> None:
    import string

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    assert TEXT["en"].keys() == TEXT["zh"].keys()
    for key, en in TEXT["en"].items():
        assert fields(en) == fields(TEXT["zh"][key]), key
