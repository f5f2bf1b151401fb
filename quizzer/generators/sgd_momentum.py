"""sgd-momentum: a weight after k steps of SGD with given gradients.

Three update rules (params use torch.optim.SGD's names lr, momentum, dampening):

- vanilla:  w_t = w_{t-1} - lr*g_t
- notes:    m_t = b1*m_{t-1} + b2*g_t from m_0 = 0, w_t = w_{t-1} - lr*m_t, with
            b1 = momentum and b2 = 1 - dampening (the study notes use b1 = 0.9, b2 = 0.1)
- torch:    buf = g_1 on the FIRST step (no dampening), then
            buf = momentum*buf + (1 - dampening)*g_t; w_t = w_{t-1} - lr*buf

and the difference question: w_1 by the notes' rule minus w_1 by torch's (form
"notes-vs-torch"). The formula side is exact decimal arithmetic (decimal.Decimal: every
param is a short decimal, so every step is exact); misconception values come from the same
`trajectory` with a flag switched on.
"""

from __future__ import annotations

import functools
import random
from decimal import Decimal
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

FAMILY = "sgd-momentum"
TOLERANCE = 1e-4
FORMS = ("vanilla", "notes", "torch")
ZERO = Decimal(0)


# ---------------------------------------------------------------- formula


def D(x: float | int | str | Decimal) -> Decimal:
    """The exact decimal a param stands for (0.1 is 0.1, not the binary float)."""
    return x if isinstance(x, Decimal) else _decimal(x)


@functools.cache  # the same few param values are converted many times per question
def _decimal(x: float | int | str) -> Decimal:
    return Decimal(repr(x) if isinstance(x, float) else x)


def dec(x: Decimal) -> str:
    """An exact decimal without trailing zeros or exponent: 0.8, -1.25, 3."""
    return "0" if x == 0 else format(x.normalize(), "f")


def trajectory(
    p: dict[str, Any],
    form: str | None = None,
    *,
    sign_flipped: bool = False,
    carry: bool = True,
    no_lr: bool = False,
) -> list[tuple[Decimal, Decimal]]:
    """[(m_t, w_t) for t = 1..k] under `form` (default: p["form"]). The flags are the
    misconceptions: w + lr*m, a buffer that restarts every step, the learning rate left out."""
    form = form or p["form"]
    lr = Decimal(1) if no_lr else D(p["lr"])
    b1, b2 = D(p["momentum"]), 1 - D(p["dampening"])
    w, m, out = D(p["w0"]), ZERO, []
    for t, g in enumerate(p["grads"]):
        g = D(g)
        first = t == 0 or not carry
        if form == "vanilla":
            m = g
        elif form == "torch" and first:
            m = g  # torch: buf = g.clone() when there is no buffer yet
        else:
            m = (ZERO if first else b1 * m) + b2 * g
        w = w + lr * m if sign_flipped else w - lr * m
        out.append((m, w))
    return out


def final_w(p: dict[str, Any], form: str | None = None, **flags: bool) -> float:
    return float(trajectory(p, form, **flags)[-1][1])


def first_step_difference(
    p: dict[str, Any], *, no_lr: bool = False, reverse: bool = False
) -> float:
    """w_1(notes) - w_1(torch) (reverse: torch - notes)."""
    one = dict(p, grads=p["grads"][:1])
    notes = trajectory(one, "notes", no_lr=no_lr)[0][1]
    torch_ = trajectory(one, "torch", no_lr=no_lr)[0][1]
    return float(torch_ - notes if reverse else notes - torch_)


# ---------------------------------------------------------------- drawing

LR = (0.1, 0.01, 0.5, 0.05, 0.2)
GRADS = [g for g in range(-5, 6) if g != 0]
HALVES = [x / 2 for x in range(-8, 9) if x % 2]  # -3.5 .. 3.5, odd halves
L3_BETAS = [(0.9, 0.8), (0.9, 0.5), (0.8, 0.8), (0.5, 0.5), (0.8, 0.5), (0.9, 0.0), (0.5, 0.0)]


def draw_params(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    lr = rng.choice(LR)
    if difficulty == 1:
        k = rng.randint(1, 3)
        grads = [rng.choice(GRADS) for _ in range(k)]
        p = {"w0": rng.randint(-3, 3), "grads": grads, "lr": lr, "momentum": 0.0}
        return p | {"dampening": 0.0, "form": "vanilla"}, "w"
    if difficulty == 2:
        momentum, dampening, w0 = 0.9, 0.9, rng.randint(-3, 3)
        k, gvals = rng.randint(2, 3), GRADS
    else:
        momentum, dampening = rng.choice(L3_BETAS)
        w0 = rng.choice([rng.randint(-3, 3), rng.choice(HALVES)])
        k, gvals = rng.randint(3, 4), GRADS + HALVES
    p = {"w0": w0, "grads": [], "lr": lr, "momentum": momentum, "dampening": dampening}
    form = "notes-vs-torch" if rng.random() < 0.2 else rng.choice(["notes", "torch"])
    if form != "torch" and dampening == 0.0:  # b2 = 1: the notes' rule would equal torch's
        p["dampening"] = 0.5
    if form == "notes-vs-torch":
        return p | {"grads": [rng.choice(gvals)], "form": form}, "difference"
    return p | {"grads": [rng.choice(gvals) for _ in range(k)], "form": form}, "w"


# ---------------------------------------------------------------- text (en and zh)


def _n(x: Decimal) -> str:
    return f"({dec(x)})" if x < 0 else dec(x)


TEXT = {
    "en": {
        "head": "A single weight starts at w_0 = {w0}. The gradients of the loss at the next "
        "{steps} are given (take them as fixed numbers): {gs}.",
        "vanilla": "It is updated by plain (vanilla) SGD, w_t = w_(t-1) - η·g_t, with learning "
        "rate η = {lr} (in torch: optim.SGD([w], lr={lr})).",
        "notes": "It is updated by momentum SGD in the study notes' form: "
        "m_t = β1·m_(t-1) + β2·g_t, starting from m_0 = 0, then w_t = w_(t-1) - η·m_t, "
        "with η = {lr}, β1 = {b1}, β2 = {b2}.",
        "torch": "It is updated by a new torch.optim.SGD([w], lr={lr}, momentum={m}, "
        "dampening={d}) (no momentum buffer yet); before each opt.step(), w.grad is set to g_t. "
        "torch's rule: buf = momentum·buf + (1 - dampening)·g_t, then w = w - lr·buf; "
        "think about what buf is at the first step.",
        "ask_w": "What is w after {steps}, i.e. w_{k}? Give it to within ±{tol}.",
        "difference": "A weight w_0 = {w0} gets the gradient g_1 = {g} at its first step. "
        "Compare one step of momentum SGD in the study notes' form (m_t = β1·m_(t-1) + "
        "β2·g_t from m_0 = 0, w_t = w_(t-1) - η·m_t) with one step of a new "
        "torch.optim.SGD([w], lr={lr}, momentum={m}, dampening={d}), where η = {lr}, "
        "β1 = {b1}, β2 = 1 - dampening = {b2}.\n"
        "What is w_1(notes) - w_1(torch)? Give it to within ±{tol}.",
        "vanilla_step": "step {t}: w_{t} = {wp} - {lr}·{g} = {w}",
        "notes_step": "step {t}: m_{t} = {b1}·{mp} + {b2}·{g} = {m}; "
        "w_{t} = {wp} - {lr}·{mn} = {w}",
        "torch_first": "step 1: torch has no buffer yet, so buf = g_1 = {m} (no dampening); "
        "w_1 = {wp} - {lr}·{mn} = {w}",
        "torch_step": "step {t}: buf = {b1}·{mp} + (1 - {d})·{g} = {m}; "
        "w_{t} = {wp} - {lr}·{mn} = {w}",
        "notes_note": "(A plain torch.optim.SGD with these arguments gives {other}: its first "
        "step sets buf = g_1 undamped. Pre-seeding opt.state[w]['momentum_buffer'] with zeros "
        "makes torch follow the notes.)",
        "torch_note": "(The notes' form, m_0 = 0 and m_1 = β2·g_1, would give {other}: torch "
        "does not dampen its first step.)",
        "diff_notes": "notes: m_1 = {b1}·0 + {b2}·{g} = {m}; w_1 = {w0} - {lr}·{mn} = {w}",
        "diff_torch": "torch: buf = g_1 = {m} (first step, no dampening); "
        "w_1 = {w0} - {lr}·{mn} = {w}",
        "diff_total": "w_1(notes) - w_1(torch) = {a} - {b} = {d} "
        "(= η·g_1·(1 - β2) = {lr}·{g}·{b1d})",
        "answer": "w_{k} = {w}",
    },
    "zh": {
        "head": "一个权重的初始值为 w_0 = {w0}。"
        "接下来 {k} 步的损失梯度已经给定（视为固定的数）：{gs}。",
        "vanilla": "用普通（vanilla）随机梯度下降更新：w_t = w_(t-1) - η·g_t，学习率 η = {lr}"
        "（torch 中为 `optim.SGD([w], lr={lr})`）。",
        "notes": "用笔记中的动量随机梯度下降形式更新：m_t = β1·m_(t-1) + β2·g_t，从 m_0 = 0 开始，"
        "然后 w_t = w_(t-1) - η·m_t，其中 η = {lr}，β1 = {b1}，β2 = {b2}。",
        "torch": "用一个新建的 `torch.optim.SGD([w], lr={lr}, momentum={m}, dampening={d})` 更新"
        "（还没有动量缓冲区）；每次 `opt.step()` 之前把 `w.grad` 设为 g_t。"
        "torch 的规则：`buf = momentum·buf + (1 - dampening)·g_t`，然后 `w = w - lr·buf`；"
        "想一想第一步时 buf 是什么。",
        "ask_w": "{k} 步之后 w（即 w_{k}）是多少？误差在 ±{tol} 以内即可。",
        "difference": "权重 w_0 = {w0} 在第一步得到梯度 g_1 = {g}。比较笔记中的动量随机梯度下降"
        "（m_t = β1·m_(t-1) + β2·g_t，m_0 = 0，w_t = w_(t-1) - η·m_t）的一步，与新建的 "
        "`torch.optim.SGD([w], lr={lr}, momentum={m}, dampening={d})` 的一步，其中 η = {lr}，"
        "β1 = {b1}，β2 = 1 - dampening = {b2}。\n"
        "w_1(笔记) - w_1(torch) 是多少？误差在 ±{tol} 以内即可。",
        "vanilla_step": "第 {t} 步：w_{t} = {wp} - {lr}·{g} = {w}",
        "notes_step": "第 {t} 步：m_{t} = {b1}·{mp} + {b2}·{g} = {m}；"
        "w_{t} = {wp} - {lr}·{mn} = {w}",
        "torch_first": "第 1 步：torch 还没有缓冲区，所以 buf = g_1 = {m}（不乘 1 - dampening）；"
        "w_1 = {wp} - {lr}·{mn} = {w}",
        "torch_step": "第 {t} 步：buf = {b1}·{mp} + (1 - {d})·{g} = {m}；"
        "w_{t} = {wp} - {lr}·{mn} = {w}",
        "notes_note": "（同样参数的普通 `torch.optim.SGD` 得到 {other}：它的第一步令 buf = g_1，"
        "没有阻尼。事先把 `opt.state[w]['momentum_buffer']` 设为零，torch 就与笔记完全一致。）",
        "torch_note": "（按笔记的形式，m_0 = 0、m_1 = β2·g_1，会得到 {other}："
        "torch 的第一步不做阻尼。）",
        "diff_notes": "笔记：m_1 = {b1}·0 + {b2}·{g} = {m}；w_1 = {w0} - {lr}·{mn} = {w}",
        "diff_torch": "torch：buf = g_1 = {m}（第一步，无阻尼）；w_1 = {w0} - {lr}·{mn} = {w}",
        "diff_total": "w_1(笔记) - w_1(torch) = {a} - {b} = {d}"
        "（= η·g_1·(1 - β2) = {lr}·{g}·{b1d}）",
        "answer": "w_{k} = {w}",
    },
}


def prompt_text(p: dict[str, Any], ask: str, lang: str) -> str:
    T = TEXT[lang]
    lr, m, d = dec(D(p["lr"])), dec(D(p["momentum"])), dec(D(p["dampening"]))
    b2 = dec(1 - D(p["dampening"]))
    tol = f"{TOLERANCE:g}"
    if ask == "difference":
        return T["difference"].format(
            w0=dec(D(p["w0"])), g=dec(D(p["grads"][0])), lr=lr, m=m, d=d, b1=m, b2=b2, tol=tol
        )
    k = len(p["grads"])
    gs = ", ".join(f"g_{t} = {dec(D(g))}" for t, g in enumerate(p["grads"], 1))
    rule = T[p["form"]].format(lr=lr, m=m, d=d, b1=m, b2=b2)
    steps = f"{k} step" if k == 1 else f"{k} steps"
    head = T["head"].format(w0=dec(D(p["w0"])), k=k, steps=steps, gs=gs)
    return f"{head}\n{rule}\n" + T["ask_w"].format(k=k, steps=steps, tol=tol)


def solution_text(p: dict[str, Any], ask: str, lang: str) -> str:
    T = TEXT[lang]
    lr, b1, d = D(p["lr"]), D(p["momentum"]), D(p["dampening"])
    b2 = 1 - d
    if ask == "difference":
        one = dict(p, grads=p["grads"][:1])
        (mn, wn), (mt, wt) = trajectory(one, "notes")[0], trajectory(one, "torch")[0]
        common = {"w0": dec(D(p["w0"])), "lr": dec(lr), "b1": dec(b1), "b2": dec(b2)}
        g = _n(D(p["grads"][0]))
        return "\n".join(
            [
                T["diff_notes"].format(g=g, m=dec(mn), mn=_n(mn), w=dec(wn), **common),
                T["diff_torch"].format(m=dec(mt), mn=_n(mt), w=dec(wt), **common),
                T["diff_total"].format(
                    a=dec(wn), b=_n(wt), d=dec(wn - wt), lr=dec(lr), g=g, b1d=_n(b2)
                ),
            ]
        )
    form, lines = p["form"], []
    w_prev, m_prev = D(p["w0"]), ZERO
    for t, ((m, w), g) in enumerate(zip(trajectory(p), p["grads"], strict=True), 1):
        f = {"t": t, "wp": dec(w_prev), "lr": dec(lr), "g": _n(D(g)), "m": dec(m), "mn": _n(m)}
        f |= {"w": dec(w), "b1": dec(b1), "b2": dec(b2), "d": dec(d), "mp": _n(m_prev)}
        if form == "vanilla":
            lines.append(T["vanilla_step"].format(**f))
        elif form == "notes":
            lines.append(T["notes_step"].format(**f))
        else:
            lines.append(T["torch_first" if t == 1 else "torch_step"].format(**f))
        w_prev, m_prev = w, m
    if form != "vanilla":
        other = trajectory(p, "torch" if form == "notes" else "notes")[-1][1]
        lines.append(T[f"{form}_note"].format(other=dec(other)))
    return "\n".join(lines)


def answer_text(p: dict[str, Any], ask: str, lang: str) -> str:
    if ask == "difference":
        one = dict(p, grads=p["grads"][:1])
        return dec(trajectory(one, "notes")[0][1] - trajectory(one, "torch")[0][1])
    return TEXT[lang]["answer"].format(k=len(p["grads"]), w=dec(trajectory(p)[-1][1]))


# ---------------------------------------------------------------- generator


def misconceptions(p: dict[str, Any], ask: str) -> list[tuple[str, float]]:
    """(id, value) of each mistake, computed by running the buggy rule."""
    if ask == "difference":
        return [
            ("torch-first-step-dampened", 0.0),  # torch = notes: no difference at all
            ("difference-reversed", first_step_difference(p, reverse=True)),
            ("lr-forgotten", first_step_difference(p, no_lr=True)),
        ]
    form = p["form"]
    out = []
    if form == "torch":
        out.append(("torch-first-step-dampened", final_w(p, "notes")))
    elif form == "notes":
        out.append(("notes-first-step-undampened", final_w(p, "torch")))
    out.append(("sign-flipped", final_w(p, sign_flipped=True)))
    if form != "vanilla":
        out.append(("buffer-not-carried", final_w(p, carry=False)))
    out.append(("lr-forgotten", final_w(p, no_lr=True)))
    return out


@register
class SgdMomentum(Generator):
    id = FAMILY
    version = 1
    topic = "Optimization"
    topic_zh = "优化"
    title = "SGD steps: vanilla, the notes' momentum form, and torch's SGD(momentum, dampening)"
    title_zh = (
        "随机梯度下降的若干步：普通形式、笔记中的动量形式与 torch 的 SGD(momentum, dampening)"
    )
    formula_tex = (
        r"m_t = \beta_1 m_{t-1} + \beta_2 g_t,\quad w_t = w_{t-1} - \eta\, m_t"
        r"\quad(\text{torch: } m_1 = g_1,\ \beta_2 = 1 - \text{dampening})"
    )
    levels = 3
    explanations = {
        "torch-first-step-dampened": (
            "torch.optim.SGD does not dampen its first step: with no buffer yet it sets "
            "buf = g_1; only later steps use buf = momentum·buf + (1 - dampening)·g_t."
        ),
        "notes-first-step-undampened": (
            "In the notes' form m_0 = 0, so m_1 = β2·g_1: the first step is scaled by β2 too; "
            "starting with m_1 = g_1 is what torch does."
        ),
        "sign-flipped": "Gradient descent steps against the gradient: w - η·m, not w + η·m.",
        "buffer-not-carried": (
            "The momentum buffer carries over from step to step (m_t = β1·m_(t-1) + ...), so "
            "earlier gradients keep contributing; it does not restart at every step."
        ),
        "lr-forgotten": "Every step is scaled by the learning rate: w - η·m, not w - m.",
        "difference-reversed": (
            "The question asks notes minus torch: the notes' first step moves w by η·β2·g_1, "
            "torch's by η·g_1, so w_1(notes) - w_1(torch) = η·g_1·(1 - β2)."
        ),
    }
    explanations_zh = {
        "torch-first-step-dampened": (
            "torch.optim.SGD 的第一步不做阻尼：还没有缓冲区时它令 buf = g_1；"
            "之后的步才用 buf = momentum·buf + (1 - dampening)·g_t。"
        ),
        "notes-first-step-undampened": (
            "笔记的形式从 m_0 = 0 开始，所以 m_1 = β2·g_1，第一步同样乘以 β2；"
            "第一步直接取 m_1 = g_1 是 torch 的做法。"
        ),
        "sign-flipped": "梯度下降沿梯度的反方向走：w - η·m，而不是 w + η·m。",
        "buffer-not-carried": (
            "动量缓冲区会一步步累积（m_t = β1·m_(t-1) + ...），之前的梯度仍有贡献；"
            "它不会在每一步重新开始。"
        ),
        "lr-forgotten": "每一步都要乘以学习率：w - η·m，而不是 w - m。",
        "difference-reversed": (
            "题目问的是笔记减 torch：笔记的第一步让 w 移动 η·β2·g_1，torch 的移动 η·g_1，"
            "所以 w_1(笔记) - w_1(torch) = η·g_1·(1 - β2)。"
        ),
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        p, ask = draw_params(rng, difficulty)
        return self.build(difficulty, p, ask)

    def build(self, difficulty: int, p: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        result: Any
        if ask == "difference":
            one = dict(p, grads=p["grads"][:1])
            result = [float(trajectory(one, f)[0][1]) for f in ("notes", "torch")]
            expected = first_step_difference(p)
        else:
            result = [float(w) for _, w in trajectory(p)]
            expected = result[-1]
        return self.question(
            difficulty,
            params=p,
            ask=ask,
            prompt=prompt_text(p, ask, "en"),
            kind="number",
            expected=expected,
            result=result,
            answer=answer_text(p, ask, "en"),
            solution=solution_text(p, ask, "en"),
            tolerance=TOLERANCE,
            misconceptions=misconceptions(p, ask),
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt_text(q.params, q.ask, "zh"),
            "answer": answer_text(q.params, q.ask, "zh"),
            "solution": solution_text(q.params, q.ask, "zh"),
        }
