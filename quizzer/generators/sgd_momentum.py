"""sgd-momentum: a weight after k steps of SGD with given gradients.

Update rules (params use torch.optim.SGD's names lr, momentum, dampening, weight_decay,
nesterov):

- vanilla:  w_t = w_{t-1} - lr*g_t
- notes:    m_t = b1*m_{t-1} + b2*g_t from m_0 = 0, w_t = w_{t-1} - lr*m_t, with
            b1 = momentum and b2 = 1 - dampening (the study notes use b1 = 0.9, b2 = 0.1)
- torch:    d_t = g_t + weight_decay*w_{t-1} (the decay joins the gradient BEFORE the buffer);
            buf = d_1 on the FIRST step (no dampening), then buf = momentum*buf +
            (1 - dampening)*d_t; w_t = w_{t-1} - lr*buf, or with nesterov=True
            w_t = w_{t-1} - lr*(d_t + momentum*buf). momentum = 0 is vanilla SGD.

Forms: "vanilla", "notes", "torch" (momentum, dampening), "decay" (torch with weight_decay),
"nesterov" (torch with nesterov=True, weight decay or not), "forgot-backward" and
"forgot-backward-zeros" (the notes' bug: the first `backward` steps call loss.backward(),
the rest only zero_grad() and step(); by default zero_grad() sets w.grad = None and step()
skips w, with set_to_none=False w.grad = 0 and decay and momentum still move w), and the
difference question: w_1 by the notes' rule minus w_1 by torch's ("notes-vs-torch").

The formula side is exact decimal arithmetic (decimal.Decimal: every param is a short
decimal, so every step is exact); misconception values come from the same `trajectory`
with a flag switched on. Every sentence (en and zh) is in sgd_momentum.toml.
"""

from __future__ import annotations

import functools
import random
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

FAMILY = "sgd-momentum"
TOLERANCE = 1e-4
ZERO = Decimal(0)
# the rule each form follows, and what a step without loss.backward() sees in w.grad
RULE = {"vanilla": "vanilla", "notes": "notes"}
FORGOT = {"forgot-backward": "none", "forgot-backward-zeros": "zeros"}
DATA: dict[str, Any] = tomllib.loads(
    Path(__file__).with_name("sgd_momentum.toml").read_text(encoding="utf-8")
)
TEXT: dict[str, dict[str, str]] = DATA["text"]


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


@dataclass(frozen=True)
class Step:
    """One opt.step(): the gradient in w.grad (None: step() skips w), d = g + decay·w, the
    buffer after the step, the update u that lr multiplies, w after; first: buf created."""

    g: Decimal | None
    d: Decimal
    m: Decimal
    u: Decimal
    w: Decimal
    first: bool = False


def trajectory(
    p: dict[str, Any],
    rule: str | None = None,
    *,
    sign_flipped: bool = False,
    carry: bool = True,
    no_lr: bool = False,
    decay_after: bool = False,
    no_decay: bool = False,
    no_nesterov: bool = False,
    forgotten: str | None = None,
) -> list[Step]:
    """The steps under `rule` ("vanilla", "notes", "torch"; default: p's form's). A step
    after the first p["backward"] ones has no backward: w.grad is None ("none": skipped) or
    0 ("zeros"), or the learner applies g anyway ("applied"). The flags are misconceptions:
    w + lr*u, a buffer that restarts every step, no lr, decay added after the buffer,
    decay or nesterov left out."""
    form = p["form"]
    rule = rule or RULE.get(form, "torch")
    forgotten = forgotten or FORGOT.get(form, "applied")
    lr = Decimal(1) if no_lr else D(p["lr"])
    mu, tau = D(p["momentum"]), D(p["dampening"])
    wd = ZERO if no_decay else D(p.get("weight_decay", 0))
    nesterov = p.get("nesterov", False) and not no_nesterov
    backward = p.get("backward", len(p["grads"]))
    w, m, have_buf, out = D(p["w0"]), ZERO, rule == "notes", []
    for t, g in enumerate(p["grads"]):
        g = D(g)
        if t >= backward and forgotten == "none":
            out.append(Step(None, ZERO, m, ZERO, w))
            continue
        if t >= backward and forgotten == "zeros":
            g = ZERO
        d = g if decay_after else g + wd * w
        first = False
        if rule == "vanilla" or mu == 0:
            m = d
        elif have_buf and carry:
            m = mu * m + (1 - tau) * d
        elif rule == "notes":
            m = (1 - tau) * d  # m_0 = 0 (every step, when the buffer is not carried)
        else:
            m, first = d, True  # torch: buf = d.clone() when there is no buffer yet
        have_buf = True
        u = d + mu * m if nesterov else m
        if decay_after:
            u += wd * w
        w = w + lr * u if sign_flipped else w - lr * u
        out.append(Step(g, d, m, u, w, first))
    return out


def final_w(p: dict[str, Any], rule: str | None = None, **flags: Any) -> float:
    return float(trajectory(p, rule, **flags)[-1].w)


def first_step_difference(
    p: dict[str, Any], *, no_lr: bool = False, reverse: bool = False
) -> float:
    """w_1(notes) - w_1(torch) (reverse: torch - notes)."""
    one = dict(p, grads=p["grads"][:1])
    notes = trajectory(one, "notes", no_lr=no_lr)[0].w
    torch_ = trajectory(one, "torch", no_lr=no_lr)[0].w
    return float(torch_ - notes if reverse else notes - torch_)


# ---------------------------------------------------------------- drawing

LR = (0.1, 0.01, 0.5, 0.05, 0.2)
GRADS = [g for g in range(-5, 6) if g != 0]
HALVES = [x / 2 for x in range(-8, 9) if x % 2]  # -3.5 .. 3.5, odd halves
L3_BETAS = [(0.9, 0.8), (0.9, 0.5), (0.8, 0.8), (0.5, 0.5), (0.8, 0.5), (0.9, 0.0), (0.5, 0.0)]
WD = (0.5, 0.1, 0.2, 0.05)
# the form of a level-2 / level-3 question by a uniform draw r: the first whose bound exceeds r
L2_FORMS = (
    ("notes-vs-torch", 0.15),
    ("notes", 0.35),
    ("torch", 0.55),
    ("decay", 0.8),
    ("forgot-backward", 1.0),
)
L3_FORMS = (
    ("notes-vs-torch", 0.1),
    ("notes", 0.25),
    ("torch", 0.4),
    ("decay", 0.6),
    ("nesterov", 0.8),
    ("forgot-backward-zeros", 1.0),
)
# level 3, set_to_none=False: (momentum, weight_decay), not both 0 (then nothing would move w)
ZEROS_MW = [(m, d) for m in (0.0, 0.9, 0.5) for d in (0.0, *WD) if m or d]


def _forgot(rng: random.Random, p: dict[str, Any], form: str, least: int) -> dict[str, Any]:
    """A loop whose first `backward` (least..2) steps call loss.backward() and whose
    remaining 1 or 2 steps forget it."""
    n = rng.randint(least, 2)
    grads = [rng.choice(GRADS) for _ in range(n + rng.randint(1, 2))]
    return p | {"grads": grads, "backward": n, "form": form}


def draw_params(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    lr, w0 = rng.choice(LR), rng.randint(-3, 3)
    p: dict[str, Any] = {"w0": w0, "grads": [], "lr": lr, "momentum": 0.0, "dampening": 0.0}
    if difficulty == 1:
        if rng.random() < 0.3:
            return _forgot(rng, p | {"weight_decay": 0.0}, "forgot-backward", 0), "w"
        k = rng.randint(1, 3)
        return p | {"grads": [rng.choice(GRADS) for _ in range(k)], "form": "vanilla"}, "w"
    r = rng.random()
    form = next(f for f, bound in (L2_FORMS if difficulty == 2 else L3_FORMS) if r < bound)
    k, gvals = rng.randint(2, 3), GRADS
    if form == "forgot-backward":
        return _forgot(rng, p | {"momentum": 0.9, "weight_decay": 0.0}, form, 1), "w"
    if form == "forgot-backward-zeros":
        momentum, wd = rng.choice(ZEROS_MW)
        return _forgot(rng, p | {"momentum": momentum, "weight_decay": wd}, form, 1), "w"
    if difficulty == 2:
        p |= {"momentum": 0.9, "dampening": 0.0 if form == "decay" else 0.9}
    else:
        momentum, dampening = rng.choice(L3_BETAS)
        p |= {"momentum": momentum, "dampening": dampening}
        p["w0"] = rng.choice([w0, rng.choice(HALVES)])
        gvals = GRADS + HALVES
        if form in ("notes", "torch", "notes-vs-torch"):
            k = rng.randint(3, 4)
        if form == "nesterov":  # torch requires dampening = 0 with nesterov=True
            p |= {"momentum": rng.choice((0.9, 0.8, 0.5)), "dampening": 0.0}
    if form in ("notes", "notes-vs-torch") and p["dampening"] == 0.0:
        p["dampening"] = 0.5  # b2 = 1: the notes' rule would equal torch's
    if form == "decay":
        p["weight_decay"] = rng.choice(WD)
    if form == "nesterov":
        p |= {"weight_decay": rng.choice((0.0, *WD)), "nesterov": True}
    if form == "notes-vs-torch":
        return p | {"grads": [rng.choice(gvals)], "form": form}, "difference"
    return p | {"grads": [rng.choice(gvals) for _ in range(k)], "form": form}, "w"


# ---------------------------------------------------------------- text (en and zh)


def _n(x: Decimal) -> str:
    return f"({dec(x)})" if x < 0 else dec(x)


def sgd_args(p: dict[str, Any]) -> str:
    """The keyword arguments of the question's torch.optim.SGD, as the prompt shows them."""
    form, out = p["form"], [f"lr={dec(D(p['lr']))}"]
    explicit = form in ("notes", "torch", "decay", "notes-vs-torch")  # shown even when 0
    for name in ("momentum", "dampening", "weight_decay"):
        if (explicit and name != "weight_decay") or p.get(name):
            out.append(f"{name}={dec(D(p[name]))}")
    if p.get("nesterov"):
        out.append("nesterov=True")
    return ", ".join(out)


def loop_code(p: dict[str, Any], lang: str) -> str:
    """The training loop of a forgot-backward question: `backward` steps with
    loss.backward(), then the steps that forget it (indented for the prompt)."""
    T, n = TEXT[lang], p["backward"]
    zero_grad = "opt.zero_grad(set_to_none=False)" if FORGOT[p["form"]] == "zeros" else None
    body = [f"    {zero_grad or 'opt.zero_grad()'}", "    loss = g * w"]
    gs = [dec(D(g)) for g in p["grads"]]
    lines = []
    if n:
        lines += [f"for g in [{', '.join(gs[:n])}]:  {T['code_back']}", *body]
        lines += ["    loss.backward()", "    opt.step()"]
    lines += [f"for g in [{', '.join(gs[n:])}]:  {T['code_forgot']}", *body, "    opt.step()"]
    return "\n".join("    " + line for line in lines)


def prompt_text(p: dict[str, Any], ask: str, lang: str) -> str:
    T = TEXT[lang]
    lr, m, d = dec(D(p["lr"])), dec(D(p["momentum"])), dec(D(p["dampening"]))
    b2 = dec(1 - D(p["dampening"]))
    tol = f"{TOLERANCE:g}"
    if ask == "difference":
        return T["difference"].format(
            w0=dec(D(p["w0"])), g=dec(D(p["grads"][0])), lr=lr, m=m, d=d, b1=m, b2=b2, tol=tol
        )
    form, k, args = p["form"], len(p["grads"]), sgd_args(p)
    if form in FORGOT:
        return T["forgot"].format(w0=dec(D(p["w0"])), args=args, code=loop_code(p, lang), tol=tol)
    gs = ", ".join(f"g_{t} = {dec(D(g))}" for t, g in enumerate(p["grads"], 1))
    d_rule = T["d_rule_decay" if p.get("weight_decay") else "d_rule_plain"]
    rule = T[form].format(lr=lr, m=m, d=d, b1=m, b2=b2, args=args, d_rule=d_rule)
    steps = T["step_one" if k == 1 else "steps"].format(k=k)
    nxt = T["next_one" if k == 1 else "next"].format(k=k)
    head = T["head"].format(w0=dec(D(p["w0"])), next=nxt, gs=gs)
    return f"{head}\n{rule}\n" + T["ask_w"].format(k=k, steps=steps, tol=tol)


def step_line(
    T: dict[str, str], p: dict[str, Any], t: int, s: Step, wp: Decimal, mp: Decimal
) -> str:
    """The solution line of step t (1-based) of a torch-rule form (vanilla included)."""
    if s.g is None:
        return T["skip_step"].format(t=t, w=dec(s.w))
    lr, mu, wd = D(p["lr"]), D(p["momentum"]), D(p.get("weight_decay", 0))
    zero = t > p.get("backward", len(p["grads"]))
    if mu == 0 and wd == 0 and not zero:
        return T["vanilla_step"].format(t=t, wp=dec(wp), lr=dec(lr), g=_n(s.g), w=dec(s.w))
    src, parts = ("d" if wd else "g"), [T["zero_part"]] if zero else []
    if wd:
        parts.append(T["decay_part"].format(t=t, g=dec(s.g), wd=dec(wd), wpn=_n(wp), d=dec(s.d)))
    if mu:
        if s.first:
            parts.append(T["buf_first"].format(src=src, t=t, m=dec(s.m)))
        else:
            damp = dec(D(p["dampening"]))
            f = {"b1": dec(mu), "mp": _n(mp), "damp": damp, "dn": _n(s.d), "m": dec(s.m)}
            parts.append(T["buf_step"].format(**f))
        if p.get("nesterov"):
            f = {"src": src, "t": t, "b1": dec(mu), "dv": dec(s.d), "mn": _n(s.m), "u": dec(s.u)}
            parts.append(T["nesterov_part"].format(**f))
    parts.append(T["w_part"].format(t=t, wp=dec(wp), lr=dec(lr), un=_n(s.u), w=dec(s.w)))
    return T["step"].format(t=t, body=T["sep"].join(parts))


def solution_text(p: dict[str, Any], ask: str, lang: str) -> str:
    T = TEXT[lang]
    lr, b1, d = D(p["lr"]), D(p["momentum"]), D(p["dampening"])
    b2 = 1 - d
    if ask == "difference":
        one = dict(p, grads=p["grads"][:1])
        n, t = trajectory(one, "notes")[0], trajectory(one, "torch")[0]
        common = {"w0": dec(D(p["w0"])), "lr": dec(lr), "b1": dec(b1), "b2": dec(b2)}
        g = _n(D(p["grads"][0]))
        return "\n".join(
            [
                T["diff_notes"].format(g=g, m=dec(n.m), mn=_n(n.m), w=dec(n.w), **common),
                T["diff_torch"].format(m=dec(t.m), mn=_n(t.m), w=dec(t.w), **common),
                T["diff_total"].format(
                    a=dec(n.w), b=_n(t.w), d=dec(n.w - t.w), lr=dec(lr), g=g, b1d=_n(b2)
                ),
            ]
        )
    form, lines, k = p["form"], [], len(p["grads"])
    w_prev, m_prev = D(p["w0"]), ZERO
    for t, s in enumerate(trajectory(p), 1):
        if form == "notes":
            f = {"t": t, "wp": dec(w_prev), "lr": dec(lr), "g": _n(D(s.g)), "m": dec(s.m)}
            f |= {"mn": _n(s.m), "w": dec(s.w), "b1": dec(b1), "b2": dec(b2), "mp": _n(m_prev)}
            lines.append(T["notes_step"].format(**f))
        else:
            lines.append(step_line(T, p, t, s, w_prev, m_prev))
        w_prev, m_prev = s.w, s.m
    if form == "notes":
        lines.append(T["notes_note"].format(other=dec(trajectory(p, "torch")[-1].w)))
    if form in ("torch", "decay") and d:
        lines.append(T["torch_note"].format(other=dec(trajectory(p, "notes")[-1].w)))
    if form == "decay":
        lines.append(T["decay_note"].format(other=dec(trajectory(p, decay_after=True)[-1].w)))
    if form == "nesterov":
        other = trajectory(p, no_nesterov=True)[-1].w
        lines.append(T["nesterov_note"].format(k=k, other=dec(other)))
    if form in FORGOT:
        full = dec(trajectory(p, forgotten="applied")[-1].w)
        other = dec(trajectory(p, forgotten="none")[-1].w)
        key = "forgot_note" if form == "forgot-backward" else "zeros_note"
        lines.append(T[key].format(k=k, other=full if key == "forgot_note" else other, full=full))
    return "\n".join(lines)


def answer_text(p: dict[str, Any], ask: str, lang: str) -> str:
    if ask == "difference":
        one = dict(p, grads=p["grads"][:1])
        return dec(trajectory(one, "notes")[0].w - trajectory(one, "torch")[0].w)
    return TEXT[lang]["answer"].format(k=len(p["grads"]), w=dec(trajectory(p)[-1].w))


# ---------------------------------------------------------------- generator


def misconceptions(p: dict[str, Any], ask: str) -> list[tuple[str, float]]:
    """(id, value) of each mistake, computed by running the buggy rule."""
    if ask == "difference":
        return [
            ("torch-first-step-dampened", 0.0),  # torch = notes: no difference at all
            ("difference-reversed", first_step_difference(p, reverse=True)),
            ("lr-forgotten", first_step_difference(p, no_lr=True)),
        ]
    form, out = p["form"], []
    momentum, decay = p["momentum"] != 0, p.get("weight_decay", 0) != 0
    if form == "notes":
        out.append(("notes-first-step-undampened", final_w(p, "torch")))
    elif form != "vanilla" and momentum and p["dampening"] != 0:
        out.append(("torch-first-step-dampened", final_w(p, "notes")))
    if form in FORGOT:
        out.append(("backward-forgotten-applied", final_w(p, forgotten="applied")))
        if form == "forgot-backward":
            out.append(("grads-zeroed", final_w(p, forgotten="zeros")))
        else:
            out.append(("zeros-skipped", final_w(p, forgotten="none")))
    if p.get("nesterov"):
        out.append(("nesterov-ignored", final_w(p, no_nesterov=True)))
    if decay:
        out.append(("decay-after-buffer", final_w(p, decay_after=True)))
        out.append(("decay-ignored", final_w(p, no_decay=True)))
    out.append(("sign-flipped", final_w(p, sign_flipped=True)))
    if momentum:
        out.append(("buffer-not-carried", final_w(p, carry=False)))
    out.append(("lr-forgotten", final_w(p, no_lr=True)))
    return out


@register
class SgdMomentum(Generator):
    id = FAMILY
    version = 2
    topic = "Optimization"
    topic_zh = "优化"
    title = (
        "SGD steps: vanilla, the notes' momentum form, torch's SGD (momentum, dampening, "
        "weight_decay, nesterov) and a forgotten loss.backward()"
    )
    title_zh = (
        "随机梯度下降的若干步：普通形式、笔记中的动量形式、torch 的 SGD（momentum、dampening、"
        "weight_decay、nesterov）以及忘了 loss.backward() 的情形"
    )
    formula_tex = (
        r"d_t = g_t + \lambda w_{t-1},\quad m_t = \beta_1 m_{t-1} + \beta_2 d_t,\quad"
        r" w_t = w_{t-1} - \eta\, m_t\ (\text{nesterov: } \eta\,(d_t + \beta_1 m_t))"
        r"\quad(\text{torch: } m_1 = d_1,\ \beta_2 = 1 - \text{dampening})"
    )
    levels = 3
    explanations: dict[str, str] = DATA["explanations"]
    explanations_zh: dict[str, str] = DATA["explanations_zh"]

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        p, ask = draw_params(rng, difficulty)
        return self.build(difficulty, p, ask)

    def build(self, difficulty: int, p: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        result: Any
        if ask == "difference":
            one = dict(p, grads=p["grads"][:1])
            result = [float(trajectory(one, f)[0].w) for f in ("notes", "torch")]
            expected = first_step_difference(p)
        else:
            result = [float(s.w) for s in trajectory(p)]
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
