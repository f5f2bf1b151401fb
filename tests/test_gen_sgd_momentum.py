"""sgd-momentum: the study notes' worked example (torch vs the notes' form), the first-step
difference, misconception values, levels, and an independent Fraction re-computation.

tests/test_generators.py covers 1,000 seeds per level, snippets, typed answers and Chinese.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
import torch

from quizzer.answers import grade
from quizzer.generators import draft, get
from quizzer.question import Question
from quizzer.verify import verify
from quizzer.verify.sgd_momentum import run

FAMILY = "sgd-momentum"
NOTES = {"w0": 1, "grads": [2, 4, -1], "lr": 0.1, "momentum": 0.9, "dampening": 0.9}


def _q(ask: str = "w", difficulty: int = 2, **params: Any) -> Question:
    return verify(get(FAMILY).build(difficulty, NOTES | params, ask))


def _misconceptions(q: Question) -> dict[str, Any]:
    return {m.id: m.value for m in q.misconceptions}


def test_notes_example_torch_form() -> None:
    q = _q(form="torch")
    assert q.result == pytest.approx([0.8, 0.58, 0.392], abs=1e-12)
    assert q.answer == "w_3 = 0.392"
    assert q.torch_check is not None and q.torch_check.output == "0.8\n0.58\n0.392"
    assert "momentum_buffer" not in q.torch_check.code
    assert "buf = g_1 = 2 (no dampening)" in q.solution and "0.8798" in q.solution
    assert _misconceptions(q) == pytest.approx(
        {
            "torch-first-step-dampened": 0.8798,
            "sign-flipped": 1.608,
            "buffer-not-carried": 0.5,  # every step restarts: buf = g, i.e. vanilla SGD
            "lr-forgotten": -5.08,
        }
    )
    for text in ("0.392", "0.39200", "392/1000"):
        assert grade(q, text).correct, text
    assert grade(q, "0.8798").mistake_ids == ("torch-first-step-dampened",)
    assert not grade(q, "0.39").correct  # the tolerance is 1e-4, as the prompt says


def test_notes_example_notes_form() -> None:
    q = _q(form="notes")
    assert q.result == pytest.approx([0.98, 0.922, 0.8798], abs=1e-12)
    assert q.answer == "w_3 = 0.8798"
    assert q.torch_check is not None and q.torch_check.output == "0.98\n0.922\n0.8798"
    assert 'opt.state[w]["momentum_buffer"] = torch.zeros_like(w)' in q.torch_check.code
    assert "m_1 = 0.9·0 + 0.1·2 = 0.2; w_1 = 1 - 0.1·0.2 = 0.98" in q.solution
    assert _misconceptions(q) == pytest.approx(
        {
            "notes-first-step-undampened": 0.392,
            "sign-flipped": 1.1202,
            "buffer-not-carried": 0.95,  # m_t = 0.1·g_t each step: 1 - 0.01·(2 + 4 - 1)
            "lr-forgotten": -0.202,
        }
    )
    assert grade(q, "0.392").mistake_ids == ("notes-first-step-undampened",)


def test_pre_seeded_buffer_makes_torch_follow_the_notes() -> None:
    p = NOTES | {"form": "torch"}
    assert run(p, "torch", p["grads"]) == pytest.approx([0.8, 0.58, 0.392], abs=1e-12)
    assert run(p, "notes", p["grads"]) == pytest.approx([0.98, 0.922, 0.8798], abs=1e-12)
    # the same by hand, without quizzer: torch only special-cases a missing buffer
    w = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.9)
    opt.state[w]["momentum_buffer"] = torch.zeros_like(w)
    w.grad = torch.tensor(2.0, dtype=torch.float64)
    opt.step()
    assert w.item() == pytest.approx(0.98, abs=1e-12)


def test_vanilla() -> None:
    q = _q(form="vanilla", momentum=0.0, dampening=0.0, difficulty=1)
    assert q.result == pytest.approx([0.8, 0.4, 0.5], abs=1e-12)
    assert q.torch_check is not None and "lr=0.1)" in q.torch_check.code
    assert _misconceptions(q) == pytest.approx({"sign-flipped": 1.5, "lr-forgotten": -4.0})
    assert grade(q, "1.5").mistake_ids == ("sign-flipped",)


def test_first_step_difference() -> None:
    q = _q("difference", form="notes-vs-torch", grads=[2])
    assert q.expected == pytest.approx(0.18) and q.answer == "0.18"
    assert q.result == pytest.approx([0.98, 0.8])
    assert q.torch_check is not None and q.torch_check.output == "0.98 0.8\n0.18"
    assert _misconceptions(q) == pytest.approx(
        {"torch-first-step-dampened": 0.0, "difference-reversed": -0.18, "lr-forgotten": 1.8}
    )
    assert grade(q, "0").mistake_ids == ("torch-first-step-dampened",)
    q = _q("difference", 3, form="notes-vs-torch", grads=[-3.5], lr=0.05, dampening=0.5)
    assert q.expected == pytest.approx(0.05 * -3.5 * 0.5)  # η·g_1·(1 - β2)


def _by_hand(p: dict[str, Any]) -> Fraction:
    """The update rules again, with Fractions: an independent second formula side."""
    lr, b1, b2 = (Fraction(str(p[k])) for k in ("lr", "momentum", "dampening"))
    b2 = 1 - b2
    w, m = Fraction(str(p["w0"])), Fraction(0)
    for t, g in enumerate(Fraction(str(g)) for g in p["grads"]):
        if p["form"] == "vanilla":
            m = g
        elif p["form"] == "torch":
            m = g if t == 0 else b1 * m + b2 * g
        else:
            m = b1 * m + b2 * g
        w -= lr * m
    return w


@pytest.mark.parametrize("level", [1, 2, 3])
def test_formula_matches_fractions_and_levels_differ(level: int) -> None:
    qs = [draft(FAMILY, seed, level) for seed in range(300)]
    for q in qs:
        p = q.params
        if q.ask == "w":
            assert q.expected == float(_by_hand(p)), p
        else:
            notes, torch_ = (_by_hand(dict(p, form=f)) for f in ("notes", "torch"))
            assert q.expected == float(notes - torch_) != 0, p
        assert p["form"] in ("torch", "vanilla") or p["dampening"] != 0  # else notes == torch
    forms = {q.params["form"] for q in qs}
    betas = {(q.params["momentum"], q.params["dampening"]) for q in qs}
    steps = {len(q.params["grads"]) for q in qs if q.ask == "w"}
    if level == 1:
        assert forms == {"vanilla"} and steps == {1, 2, 3}
    elif level == 2:
        assert forms == {"notes", "torch", "notes-vs-torch"} and betas == {(0.9, 0.9)}
        assert steps == {2, 3}
    else:
        assert forms == {"notes", "torch", "notes-vs-torch"} and (0.9, 0.9) not in betas
        assert steps == {3, 4} and (0.9, 0.0) in betas  # torch's default dampening=0
        assert any(isinstance(g, float) for q in qs for g in q.params["grads"])


def test_chinese_text() -> None:
    zh = get(FAMILY).zh(_q(form="torch"))
    assert "`torch.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.9)`" in zh["prompt"]
    assert "第一步" in zh["prompt"] and zh["answer"] == "w_3 = 0.392"
    assert "第 1 步：torch 还没有缓冲区" in zh["solution"]
    zh = get(FAMILY).zh(_q("difference", form="notes-vs-torch", grads=[2]))
    assert "w_1(笔记) - w_1(torch)" in zh["prompt"] and zh["answer"] == "0.18"
