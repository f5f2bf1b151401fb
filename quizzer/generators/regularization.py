"""regularization: L1 / L2 penalties of small weight vectors, their gradients, and torch's
SGD weight_decay.

- penalty:  L1 λ·Σ|w_i|, L2 λ·Σw_i² (or (λ/2)·Σw_i² when the prompt says so)
- total:    data loss + penalty
- grad:     d penalty / dw: λ·sign(w) (L1), 2λ·w (L2), λ·w ((λ/2) L2)
- wd-step:  one torch.optim.SGD(lr, weight_decay=λ) step: w - lr·(g + λ·w); weight_decay adds
            λ·w to the gradient, which is the gradient of (λ/2)·Σw², not of λ·Σw²

Exact arithmetic in sympy Rationals (every param is a short decimal: 0.1 is 1/10, not the
binary float), sympy imported lazily on first use; misconception values come from `penalty`,
`penalty_grad` and `wd_step` with a flag switched on.
"""

from __future__ import annotations

import functools
import random
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizzer.generators import Generator, register
from quizzer.question import Question

if TYPE_CHECKING:
    from sympy import Rational

# the question and solution texts (en, zh) and the misconception explanations are data
DATA: dict[str, Any] = tomllib.loads(
    Path(__file__).with_name("regularization.toml").read_text(encoding="utf-8")
)
TEXT: dict[str, dict[str, str]] = DATA["text"]

FAMILY = "regularization"
TOLERANCE = 1e-4
LAMBDAS = (0.1, 0.01, 0.5, 0.05, 0.2)


# ---------------------------------------------------------------- formula (sympy Rationals)


@functools.lru_cache(maxsize=1024)
def D(x: Any) -> Rational:
    """The exact number a param stands for: 0.1 is 1/10 (from its text), not the binary float."""
    import sympy

    return sympy.Rational(str(x))


def _sign(x: Rational) -> int:
    return 1 if x > 0 else -1 if x < 0 else 0


def penalty(
    weights: list[Any],
    lam: Any,
    norm: str,
    half: bool = False,
    *,
    swapped: bool = False,
    no_abs_or_square: bool = False,
    no_lambda: bool = False,
    half_flipped: bool = False,
    not_squared: bool = False,
) -> float:
    """λ·Σ|w| (l1), λ·Σw² (l2) or (λ/2)·Σw² (l2, half). The flags are the misconceptions."""
    import sympy

    ws = [D(w) for w in weights]
    norm = ("l2" if norm == "l1" else "l1") if swapped else norm
    scale = D(1) if no_lambda else D(lam)
    if norm == "l2" and (half != half_flipped):
        scale /= 2
    if no_abs_or_square:
        return float(scale * sum(ws))
    if norm == "l1":
        return float(scale * sum(abs(w) for w in ws))
    total = sum(w * w for w in ws)
    return float((scale * sympy.sqrt(total)).evalf(30)) if not_squared else float(scale * total)


def penalty_grad(
    weights: list[Any],
    lam: Any,
    norm: str,
    half: bool = False,
    *,
    swapped: bool = False,
    no_factor_2: bool = False,
    no_lambda: bool = False,
    half_flipped: bool = False,
) -> list[float]:
    """d penalty / dw: λ·sign(w) (l1; w != 0), 2λ·w (l2), λ·w (l2 with (λ/2))."""
    ws = [D(w) for w in weights]
    norm = ("l2" if norm == "l1" else "l1") if swapped else norm
    scale = D(1) if no_lambda else D(lam)
    if norm == "l1":
        return [float(scale * _sign(w)) for w in ws]
    factor = 1 if no_factor_2 or (half != half_flipped) else 2
    return [float(factor * scale * w) for w in ws]


def wd_step(
    p: dict[str, Any],
    *,
    factor_2: bool = False,
    no_decay: bool = False,
    sign_flipped: bool = False,
    no_lr: bool = False,
) -> list[Rational]:
    """w - lr·(g + λ·w), torch.optim.SGD with weight_decay=λ and no momentum."""
    lr = D(1) if no_lr else D(p["lr"])
    lam = 0 if no_decay else D(p["weight_decay"]) * (2 if factor_2 else 1)
    out = []
    for w, g in zip(p["weights"], p["grads"], strict=True):
        w, step = D(w), lr * (D(g) + lam * D(w))
        out.append(w + step if sign_flipped else w - step)
    return out


# ---------------------------------------------------------------- drawing

INTS = [-3, -2, -1, 1, 2, 3]
HALVES = [x / 2 for x in range(-5, 6) if x % 2]  # -2.5 .. 2.5, odd halves only
TENTHS = [x / 10 for x in range(-20, 21) if x % 10]  # -1.9 .. 1.9, not whole
DATA_LOSSES = (0.25, 0.5, 0.8, 1.2, 2.3, 0.69, 1.1)


def draw_params(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    if difficulty == 3 and rng.random() < 0.4:
        n = rng.randint(2, 3)
        p = {
            "weights": [rng.choice(TENTHS) for _ in range(n)],
            "grads": [rng.choice(HALVES + INTS) for _ in range(n)],
            "lr": rng.choice((0.1, 0.5, 0.01)),
            "weight_decay": rng.choice(LAMBDAS),
        }
        return p, "wd-step"
    norm, lam, half, data_loss = rng.choice(["l1", "l2"]), rng.choice(LAMBDAS), False, None
    if difficulty == 1:
        weights, ask = [rng.choice([*INTS, 0]) for _ in range(3)], "penalty"
        while not any(weights):
            weights = [rng.choice([*INTS, 0]) for _ in range(3)]
    elif difficulty == 2:
        weights = [rng.choice(HALVES + INTS) for _ in range(4)]
        ask = rng.choice(["penalty", "total"])
        half = norm == "l2" and rng.random() < 0.4
        data_loss = rng.choice(DATA_LOSSES) if ask == "total" else None
    else:
        weights, ask = [rng.choice(TENTHS + INTS) for _ in range(rng.randint(3, 4))], "grad"
        half = norm == "l2" and rng.random() < 0.4
    p = {"weights": weights, "lam": lam, "norm": norm, "half": half, "data_loss": data_loss}
    return p, ask


# ---------------------------------------------------------------- text (en and zh)


def dec(x: Rational) -> str:
    """An exact short decimal without trailing zeros or exponent: 0.8, -1.25, 3, -0.00001."""
    sign, x = ("-" if x < 0 else ""), abs(x)
    places = 0
    while (x * 10**places).q != 1:  # ends: every value is built from short decimals
        places += 1
    digits = str((x * 10**places).p).rjust(places + 1, "0")
    whole, frac = digits[: len(digits) - places], digits[len(digits) - places :]
    return sign + whole + ("." + frac if frac else "")


def _n(x: Rational) -> str:
    return f"({dec(x)})" if x < 0 else dec(x)


def vec(xs: list[Any]) -> str:
    return "[" + ", ".join(dec(D(x)) for x in xs) + "]"


def penalty_name(p: dict[str, Any]) -> str:
    if p["norm"] == "l1":
        return "λ·‖w‖₁"
    return "(λ/2)·‖w‖₂²" if p["half"] else "λ·‖w‖₂²"


def prompt_text(p: dict[str, Any], ask: str, lang: str) -> str:
    T, tol = TEXT[lang], f"{TOLERANCE:g}"
    if ask == "wd-step":
        return T["wd"].format(
            w=vec(p["weights"]), g=vec(p["grads"]), lr=p["lr"], wd=p["weight_decay"], tol=tol
        )
    kind = "l1" if p["norm"] == "l1" else "l2half" if p["half"] else "l2"
    head = T["weights"].format(w=vec(p["weights"]), lam=dec(D(p["lam"])))
    rule = T[kind].format(name=penalty_name(p))
    return f"{head}\n{rule}\n" + T[ask].format(tol=tol, data=p["data_loss"])


def _scale(p: dict[str, Any]) -> Rational:
    return D(p["lam"]) / 2 if p["norm"] == "l2" and p["half"] else D(p["lam"])


def solution_text(p: dict[str, Any], ask: str, lang: str) -> str:
    T = TEXT[lang]
    if ask == "wd-step":
        ws, gs, lam = [D(w) for w in p["weights"]], [D(g) for g in p["grads"]], D(p["weight_decay"])
        gw = [g + lam * w for w, g in zip(ws, gs, strict=True)]
        return T["wd_lines"].format(
            g=vec(gs), lam=dec(lam), w=vec(ws), gw=vec(gw), lr=dec(D(p["lr"])), v=vec(wd_step(p))
        )
    ws, scale = [D(w) for w in p["weights"]], _scale(p)
    if ask == "grad":
        if p["norm"] == "l1":
            signs = "[" + ", ".join(str(_sign(w)) for w in ws) + "]"
            v = vec([scale * _sign(w) for w in ws])
            return T["grad_l1"].format(scale=dec(scale), signs=signs, v=v)
        coef = "(λ/2)" if p["half"] else "λ"
        factor = scale * 2
        return T["grad_l2"].format(
            coef=coef, factor=dec(factor), w=vec(ws), v=vec([factor * w for w in ws])
        )
    if p["norm"] == "l1":
        s = sum(abs(w) for w in ws)
        line = T["sum_l1"].format(terms=" + ".join(dec(abs(w)) for w in ws), s=dec(s))
    else:
        s = sum(w * w for w in ws)
        line = T["sum_l2"].format(terms=" + ".join(f"{_n(w)}²" for w in ws), s=dec(s))
    scale_text = f"({dec(D(p['lam']))}/2)" if p["norm"] == "l2" and p["half"] else dec(scale)
    lines = [line, T["scaled"].format(scale=scale_text, s=dec(s), v=dec(scale * s))]
    if ask == "total":
        total = D(p["data_loss"]) + scale * s
        lines.append(T["total_line"].format(data=p["data_loss"], pen=dec(scale * s), v=dec(total)))
    return "\n".join(lines)


def exact_answer(p: dict[str, Any], ask: str) -> Any:
    """The answer as sympy Rational(s): a number, or a list for grad / wd-step."""
    if ask == "wd-step":
        return wd_step(p)
    ws, scale = [D(w) for w in p["weights"]], _scale(p)
    if ask == "grad":
        if p["norm"] == "l1":
            return [scale * _sign(w) for w in ws]
        return [2 * scale * w for w in ws]
    pen = scale * (sum(abs(w) for w in ws) if p["norm"] == "l1" else sum(w * w for w in ws))
    return pen + D(p["data_loss"]) if ask == "total" else pen


def answer_text(p: dict[str, Any], ask: str) -> str:
    value = exact_answer(p, ask)
    return vec(value) if isinstance(value, list) else dec(value)


# ---------------------------------------------------------------- generator


def misconceptions(p: dict[str, Any], ask: str) -> list[tuple[str, Any]]:
    """(id, value) of each mistake, computed by running the buggy formula."""
    if ask == "wd-step":
        return [
            ("wd-factor-2", [float(w) for w in wd_step(p, factor_2=True)]),
            ("wd-ignored", [float(w) for w in wd_step(p, no_decay=True)]),
            ("sign-flipped", [float(w) for w in wd_step(p, sign_flipped=True)]),
            ("lr-forgotten", [float(w) for w in wd_step(p, no_lr=True)]),
        ]
    args = (p["weights"], p["lam"], p["norm"], p["half"])
    if ask == "grad":
        out = [("grad-l1-l2-swapped", penalty_grad(*args, swapped=True))]
        if p["norm"] == "l2":
            flag = "grad-half-ignored" if p["half"] else "grad-factor-2-forgotten"
            out.append((flag, penalty_grad(*args, half_flipped=True)))
        return out + [("lambda-forgotten", penalty_grad(*args, no_lambda=True))]
    variants: list[tuple[str, dict[str, bool]]] = [("l1-l2-swapped", {"swapped": True})]
    if p["norm"] == "l1":
        variants.append(("abs-forgotten", {"no_abs_or_square": True}))
    else:
        variants.append(("square-forgotten", {"no_abs_or_square": True}))
        variants.append(("l2-norm-not-squared", {"not_squared": True}))
        variants.append(("half-ignored" if p["half"] else "half-added", {"half_flipped": True}))
    variants.append(("lambda-forgotten", {"no_lambda": True}))
    extra = float(D(p["data_loss"])) if ask == "total" else 0.0
    out = [(mid, penalty(*args, **flags) + extra) for mid, flags in variants]
    if ask == "total":
        out.append(("data-loss-forgotten", penalty(*args)))
    return out


@register
class Regularization(Generator):
    id = FAMILY
    version = 2
    topic = "Generalization"
    topic_zh = "泛化"
    title = "L1 / L2 regularization: penalty, training loss, gradient, and SGD weight_decay"
    title_zh = "L1 / L2 正则化：正则化项、训练损失、梯度，以及 SGD 的 weight_decay"
    formula_tex = (
        r"\lambda \sum_i |w_i|,\quad \lambda \sum_i w_i^2;\quad"
        r"\nabla = \lambda\,\mathrm{sign}(w),\ 2\lambda w;\quad"
        r"\text{weight\_decay: } w \leftarrow w - \eta\,(g + \lambda w)"
    )
    formula_by = "sympy"
    levels = 3
    explanations = DATA["explanations"]
    explanations_zh = DATA["explanations_zh"]

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        p, ask = draw_params(rng, difficulty)
        return self.build(difficulty, p, ask)

    def build(self, difficulty: int, p: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        value = exact_answer(p, ask)
        vector = isinstance(value, list)
        expected: Any = [float(v) for v in value] if vector else float(value)
        result: Any = expected
        if ask == "total":
            result = [penalty(p["weights"], p["lam"], p["norm"], p["half"]), expected]
        return self.question(
            difficulty,
            params=p,
            ask=ask,
            prompt=prompt_text(p, ask, "en"),
            kind="vector" if vector else "number",
            expected=expected,
            result=result,
            answer=answer_text(p, ask),
            solution=solution_text(p, ask, "en"),
            tolerance=TOLERANCE,
            misconceptions=misconceptions(p, ask),
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt_text(q.params, q.ask, "zh"),
            "answer": answer_text(q.params, q.ask),
            "solution": solution_text(q.params, q.ask, "zh"),
        }
