"""sgd-momentum: the study notes' worked example (torch vs the notes' form), the first-step
difference, weight decay with momentum and nesterov (the issue's 0.2875 and -0.107375), the
notes' forgotten loss.backward() (w.grad None vs 0), misconception values, levels, how often
the new forms are drawn, and an independent Fraction re-computation.

tests/test_generators.py covers 1,000 seeds per level, snippets, typed answers and Chinese.
"""

from __future__ import annotations

import string
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest
import torch

from quizzer.answers import grade
from quizzer.generators import draft, get
from quizzer.generators.sgd_momentum import TEXT
from quizzer.question import Question
from quizzer.verify import verify
from quizzer.verify.sgd_momentum import run

FAMILY = "sgd-momentum"
NOTES = {"w0": 1, "grads": [2, 4, -1], "lr": 0.1, "momentum": 0.9, "dampening": 0.9}
# the issue's example: lr 0.1, momentum 0.9, weight_decay 0.5, w = 1, gradient 2 twice
DECAY = {"w0": 1, "grads": [2, 2], "lr": 0.1, "momentum": 0.9, "dampening": 0.0}
DECAY |= {"weight_decay": 0.5}


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
    lr, mu, tau = (Fraction(str(p[k])) for k in ("lr", "momentum", "dampening"))
    wd = Fraction(str(p.get("weight_decay", 0)))
    form, w, m = p["form"], Fraction(str(p["w0"])), Fraction(0)
    have_buf = form == "notes"
    for t, g in enumerate(Fraction(str(g)) for g in p["grads"]):
        if form.startswith("forgot") and t >= p["backward"]:
            if form == "forgot-backward":
                continue  # w.grad is None: step() leaves w alone
            g = Fraction(0)  # set_to_none=False: w.grad is 0
        d = g + wd * w
        if form == "vanilla" or mu == 0:
            step = d
        else:
            m = mu * m + (1 - tau) * d if have_buf else d
            have_buf = True
            step = d + mu * m if p.get("nesterov") else m
        w -= lr * step
    return w


NEW_FORMS = {
    1: {"forgot-backward"},
    2: {"decay", "forgot-backward"},
    3: {"decay", "nesterov", "forgot-backward-zeros"},
}


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
        if p["form"] in ("notes", "notes-vs-torch"):
            assert p["dampening"] != 0  # else notes == torch
        if p.get("nesterov"):
            assert p["dampening"] == 0 and p["momentum"] != 0  # torch raises otherwise
    forms = {q.params["form"] for q in qs}
    betas = {(q.params["momentum"], q.params["dampening"]) for q in qs}
    old = {(q.params["momentum"], q.params["dampening"]) for q in qs if q.params["form"] in OLD}
    steps = {len(q.params["grads"]) for q in qs if q.params["form"] in ("vanilla", *OLD)}
    if level == 1:
        assert forms == {"vanilla"} | NEW_FORMS[1] and steps == {1, 2, 3}
        assert betas == {(0.0, 0.0)}
    elif level == 2:
        assert forms == {"notes", "torch", "notes-vs-torch"} | NEW_FORMS[2]
        assert old == {(0.9, 0.9)} and betas == {(0.9, 0.9), (0.9, 0.0)}
        assert steps == {2, 3}
    else:
        assert forms == {"notes", "torch", "notes-vs-torch"} | NEW_FORMS[3]
        assert steps == {3, 4} and (0.9, 0.9) not in betas
        assert (0.9, 0.0) in old  # torch's default dampening=0
        assert any(isinstance(g, float) for q in qs for g in q.params["grads"])


OLD = ("notes", "torch")


def test_issue_example_weight_decay_with_momentum() -> None:
    """lr 0.1, momentum 0.9, weight_decay 0.5, w = 1, gradient 2 twice: 0.2875 (real torch
    2.13 printed 0.75 then 0.2875); the decay joins the gradient before the buffer."""
    p = DECAY | {"form": "decay"}
    q = _q(**p)
    assert q.expected == pytest.approx(0.2875, abs=1e-12)
    assert q.result == pytest.approx([0.75, 0.2875], abs=1e-12)
    assert q.torch_check is not None and q.torch_check.output == "0.75\n0.2875"
    assert "weight_decay=0.5" in q.torch_check.code
    assert run(p, "decay", p["grads"]) == pytest.approx([0.75, 0.2875], abs=1e-15)
    assert "d_2 = 2 + 0.5·0.75 = 2.375; buf = 0.9·2.5 + (1 - 0)·2.375 = 4.625" in q.solution
    assert _misconceptions(q) == pytest.approx(
        {
            "decay-after-buffer": 0.3325,  # buf from g alone, then w - lr·(buf + 0.5·w)
            "decay-ignored": 0.42,  # plain momentum: 0.8, then 0.8 - 0.1·3.8
            "sign-flipped": 1.7375,
            "buffer-not-carried": 0.5125,
            "lr-forgotten": -5.0,
        }
    )
    assert grade(q, "0.3325").mistake_ids == ("decay-after-buffer",)
    # the same by hand in torch, without quizzer
    w = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5)
    for _ in range(2):
        w.grad = torch.tensor(2.0, dtype=torch.float64)
        opt.step()
    assert w.item() == pytest.approx(0.2875, abs=1e-15)


def test_issue_example_nesterov() -> None:
    """The same with nesterov=True: -0.107375 (torch 2.13 printed 0.525, then
    -0.10737500000000005)."""
    p = DECAY | {"form": "nesterov", "nesterov": True}
    q = _q(difficulty=3, **p)
    assert q.expected == pytest.approx(-0.107375, abs=1e-12)
    assert q.result == pytest.approx([0.525, -0.107375], abs=1e-12)
    assert q.torch_check is not None and q.torch_check.output == "0.525\n-0.107375"
    assert "nesterov=True" in q.torch_check.code
    assert run(p, "nesterov", p["grads"]) == pytest.approx([0.525, -0.107375], abs=1e-15)
    assert "d_2 + 0.9·buf = 2.2625 + 0.9·4.5125 = 6.32375" in q.solution
    assert _misconceptions(q) == pytest.approx(
        {
            "nesterov-ignored": 0.2875,
            "decay-after-buffer": -0.0005,
            "decay-ignored": 0.078,
            "sign-flipped": 2.197625,
            "buffer-not-carried": 0.095125,
            "lr-forgotten": -6.0125,
        }
    )
    assert grade(q, "0.2875").mistake_ids == ("nesterov-ignored",)
    w = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5, nesterov=True)
    for _ in range(2):
        w.grad = torch.tensor(2.0, dtype=torch.float64)
        opt.step()
    assert w.item() == pytest.approx(-0.107375, abs=1e-15)


def test_decay_with_dampening_first_step() -> None:
    q = _q(difficulty=3, **(DECAY | {"form": "decay", "dampening": 0.5, "grads": [2, 2, -1]}))
    # torch: buf = d_1 = 2.5 undamped, then 0.9·buf + 0.5·d_t
    assert q.expected == float(_by_hand(q.params)) and q.result[0] == 0.75
    assert "torch-first-step-dampened" in _misconceptions(q)
    assert "(1 - 0.5)·" in q.solution and "torch does not dampen its first step" in q.solution


def test_forgot_backward_leaves_w_alone() -> None:
    """The notes' pseudo-code without loss.backward(): zero_grad() sets w.grad = None in
    torch 2.x, and step() skips w, momentum buffer and all (torch 2.13 printed 0.8 None)."""
    p = NOTES | {"dampening": 0.0, "weight_decay": 0.0, "backward": 1, "form": "forgot-backward"}
    q = _q(**p)
    assert q.expected == 0.8 and q.result == [0.8, 0.8, 0.8]
    assert q.torch_check is not None and q.torch_check.output == "0.8\n0.8 None\n0.8 None"
    assert "loss.backward()" in q.prompt and "opt.zero_grad()" in q.prompt
    assert _misconceptions(q) == pytest.approx(
        {
            "backward-forgotten-applied": -0.202,  # as if backward ran: g = 2, 4, -1
            "grads-zeroed": 0.458,  # zero grads: buf = 1.8, 1.62 keeps moving w
            "sign-flipped": 1.2,
            "lr-forgotten": -1.0,
        }
    )
    assert grade(q, "-0.202").mistake_ids == ("backward-forgotten-applied",)
    # by hand: a fresh w, zero_grad() and step() without backward change nothing
    w = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5)
    opt.zero_grad()
    loss = 2 * w
    opt.step()  # loss.backward() forgotten
    assert w.item() == 1.0 and w.grad is None and not opt.state and loss.item() == 2.0
    opt.zero_grad(set_to_none=False)  # a None grad stays None: there is nothing to zero
    opt.step()
    assert w.item() == 1.0 and w.grad is None
    # level 1, the notes exactly: no backward at all, w stays w_0
    q = _q(difficulty=1, **(p | {"momentum": 0.0, "backward": 0}))
    assert q.expected == 1 and q.answer == "w_3 = 1"
    assert _misconceptions(q) == pytest.approx({"backward-forgotten-applied": 0.5})


def test_forgot_backward_zeros_still_moves_w() -> None:
    """zero_grad(set_to_none=False) leaves w.grad = 0: weight decay and momentum still move
    w (torch 2.13 printed 0.75, then 0.4875 and 0.226875 with grad tensor(0.))."""
    p = NOTES | {"dampening": 0.0, "weight_decay": 0.5, "backward": 1}
    q = _q(difficulty=3, **(p | {"form": "forgot-backward-zeros"}))
    assert q.result == pytest.approx([0.75, 0.4875, 0.226875], abs=1e-12)
    assert q.torch_check is not None
    zero = "tensor(0., dtype=torch.float64)"
    assert q.torch_check.output == f"0.75\n0.4875 {zero}\n0.226875 {zero}"
    assert "zero_grad(set_to_none=False)" in q.prompt
    assert _misconceptions(q) == pytest.approx(
        {
            "backward-forgotten-applied": -0.413125,
            "zeros-skipped": 0.75,  # as if the grad were None
            "decay-after-buffer": 0.343875,
            "decay-ignored": 0.458,
            "sign-flipped": 1.873125,
            "buffer-not-carried": 0.676875,
            "lr-forgotten": -2.85,
        }
    )
    # without momentum, only the decay moves w: w·(1 - lr·weight_decay) per step
    q = _q(difficulty=3, **(p | {"form": "forgot-backward-zeros", "momentum": 0.0}))
    assert q.result == pytest.approx([0.75, 0.7125, 0.676875], abs=1e-12)
    w = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=0.1, weight_decay=0.5)
    (2 * w).backward()
    opt.step()
    opt.zero_grad(set_to_none=False)
    opt.step()
    assert w.item() == pytest.approx(0.7125, abs=1e-15) and w.grad.item() == 0.0


def test_new_forms_and_mistakes_are_drawn_often() -> None:
    """1,000 seeds per level: each new form and each new mistake shows up dozens of times
    (counted 272; 253, 214; 206, 210, 214 for the forms)."""
    new_ids = ("decay-after-buffer", "decay-ignored", "nesterov-ignored")
    new_ids += ("backward-forgotten-applied", "grads-zeroed", "zeros-skipped")
    mistakes: Counter[str] = Counter()
    for level, forms in NEW_FORMS.items():
        qs = [draft(FAMILY, seed, level) for seed in range(1000)]
        counts = Counter(q.params["form"] for q in qs)
        for form in forms:
            assert counts[form] >= 150, (level, form, counts)
        mistakes.update(m.id for q in qs for m in q.misconceptions)
        if level == 3:
            decay = [q for q in qs if q.params["form"] == "decay"]
            damped = [q for q in decay if "torch-first-step-dampened" in _misconceptions(q)]
            assert len(damped) >= 100
    for mistake in new_ids:
        assert mistakes[mistake] >= 150, (mistake, mistakes)


def test_text_tables_match() -> None:
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    assert TEXT["en"].keys() == TEXT["zh"].keys()
    for key in TEXT["en"]:
        assert fields(TEXT["en"][key]) == fields(TEXT["zh"][key]), key
    gen = get(FAMILY)
    assert gen.explanations.keys() == gen.explanations_zh.keys()


def test_chinese_text() -> None:
    zh = get(FAMILY).zh(_q(form="torch"))
    assert "`torch.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.9)`" in zh["prompt"]
    assert "第一步" in zh["prompt"] and zh["answer"] == "w_3 = 0.392"
    assert "第 1 步：torch 还没有缓冲区" in zh["solution"]
    zh = get(FAMILY).zh(_q("difference", form="notes-vs-torch", grads=[2]))
    assert "w_1(笔记) - w_1(torch)" in zh["prompt"] and zh["answer"] == "0.18"
