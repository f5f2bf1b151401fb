"""motion-blur: the point spread function (frequency response) of uniform linear motion.

Study notes (2023-09-07): motion of length R at angle θ during an exposure T gives
H(u, v) = T·sin(πa)/(πa)·exp(−jπa), a = uR cosθ + vR sinθ (the notes: "it didn't work" for
the author). sin(πa)/(πa) is the normalized sinc (torch.sinc, np.sinc), 1 at a = 0; H = 0
where a is a nonzero integer. The formula side uses exact cos/sin of the nice angles, exact
closed forms where a is rational, and math for the decimals; the checker runs torch.sinc
and torch.exp in complex128.
"""

from __future__ import annotations

import math
import random
import tomllib
from fractions import Fraction as F
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

# the question and solution texts (en, zh) and the misconception explanations are data
DATA: dict[str, Any] = tomllib.loads(
    Path(__file__).with_name("motion_blur.toml").read_text(encoding="utf-8")
)
TEXT: dict[str, dict[str, str]] = DATA["text"]

ANGLES = (0, 30, 45, 60, 90)
COS = {0: (F(1), 1), 30: (F(1, 2), 3), 45: (F(1, 2), 2), 60: (F(1, 2), 1), 90: (F(0), 1)}
SIN = {t: COS[90 - t] for t in ANGLES}  # exact c·sqrt(k)
SIN_DEG = {0: (F(0), 1), 30: (F(1, 2), 1), 45: (F(1, 2), 2), 60: (F(1, 2), 3), 90: (F(1), 1)}
EXAMPLES = ("2*sqrt(3)/pi", "3*sqrt(2)/(4*pi)")
TOL = 1e-3

# ---------------------------------------------------------------- formula (pure Python)


def _f(text: Any) -> F:
    return F(str(text))


def _exact(c: F, k: int) -> float:
    return float(c) * math.sqrt(k)


def arg(p: dict[str, Any], *, degrees: bool = False, swapped: bool = False) -> float:
    """a = uR cosθ + vR sinθ; degrees=True feeds θ in degrees to cos/sin (a bug)."""
    u, v, r, t = float(_f(p["u"])), float(_f(p["v"])), p["R"], p["theta"]
    if degrees:
        c, s = math.cos(t), math.sin(t)
    else:
        c, s = _exact(*COS[t]), _exact(*SIN[t])
    if swapped:
        c, s = s, c
    return u * r * c + v * r * s


def sinc(a: float, *, no_pi: bool = False) -> float:
    x = a if no_pi else math.pi * a
    return 1.0 if x == 0 else math.sin(x) / x


def response(p: dict[str, Any], **flags: bool) -> tuple[float, float]:
    """(Re H, Im H) with the arg/sinc bugs of flags applied."""
    a = arg(p, degrees=flags.get("degrees", False), swapped=flags.get("swapped", False))
    s = float(_f(p["T"])) * sinc(a, no_pi=flags.get("no_pi", False))
    return s * math.cos(math.pi * a), -s * math.sin(math.pi * a)


def value(p: dict[str, Any], ask: str, **flags: bool) -> float | None:
    """The asked quantity; the flags are the misconception variants."""
    if ask == "zero":  # the first zero along the axis of the unknown frequency
        t, use_cos = p["theta"], (p["u"] is None) != flags.get("swapped", False)
        if flags.get("degrees"):
            c = math.cos(t) if use_cos else math.sin(t)
        else:
            c = _exact(*(COS if use_cos else SIN)[t])
        if abs(c) < 1e-12:
            return None
        first = 0.5 if flags.get("zero_half") else math.pi if flags.get("no_pi") else 1.0
        return first / (p["R"] * abs(c))
    re, im = response(p, **flags)
    a = arg(p, degrees=flags.get("degrees", False), swapped=flags.get("swapped", False))
    if ask == "magnitude":
        t_sinc = float(_f(p["T"])) * sinc(a, no_pi=flags.get("no_pi", False))
        if flags.get("signed"):
            return t_sinc
        if flags.get("as_real"):
            return re
        return math.hypot(re, im)
    if ask == "real":
        if flags.get("no_exp"):
            return float(_f(p["T"])) * sinc(a, no_pi=flags.get("no_pi", False))
        return re
    if flags.get("no_wrap"):
        return -math.pi * a
    if flags.get("phase_sign"):
        return math.atan2(-im, re)
    return math.atan2(im, re)


MISCONCEPTIONS = {
    "magnitude": (
        "sinc-no-pi",
        "degrees",
        "cos-sin-swapped",
        "magnitude-signed",
        "magnitude-as-real",
    ),
    "real": ("sinc-no-pi", "degrees", "cos-sin-swapped", "real-no-exp"),
    "phase": ("sinc-no-pi", "degrees", "cos-sin-swapped", "phase-no-wrap", "phase-sign"),
    "zero": ("sinc-no-pi", "degrees", "cos-sin-swapped", "zero-at-half"),
}
FLAGS = {
    "sinc-no-pi": "no_pi",
    "degrees": "degrees",
    "cos-sin-swapped": "swapped",
    "magnitude-signed": "signed",
    "magnitude-as-real": "as_real",
    "real-no-exp": "no_exp",
    "phase-no-wrap": "no_wrap",
    "phase-sign": "phase_sign",
    "zero-at-half": "zero_half",
}


# ---------------------------------------------------------------- exact closed forms


def arg_exact(p: dict[str, Any]) -> F | None:
    """a as a fraction when it is rational (the sqrt terms vanish), else None."""
    terms: dict[int, F] = {}
    for freq, (c, k) in ((p["u"], COS[p["theta"]]), (p["v"], SIN[p["theta"]])):
        if freq is not None:
            terms[k] = terms.get(k, F(0)) + _f(freq) * p["R"] * c
    terms = {k: c for k, c in terms.items() if c}
    if any(k != 1 for k in terms):
        return None
    return terms.get(1, F(0))


def sin_pi(a: F) -> tuple[F, int] | None:
    """sin(πa) = c·sqrt(k) when 180·a is a multiple of 30 or 45 degrees, else None."""
    d = a * 180
    if d.denominator != 1 or (d.numerator % 30 and d.numerator % 45):
        return None
    deg, sign = d.numerator % 360, 1
    if deg >= 180:
        deg, sign = deg - 180, -1
    if deg > 90:
        deg = 180 - deg
    c, k = SIN_DEG[deg]
    return sign * c, k


def surd(c: F, k: int, over_pi: bool = False) -> str:
    """c·sqrt(k) (/ pi) as a typed expression: 2*sqrt(3)/pi, -sqrt(2)/(4*pi), 3/2."""
    if c == 0:
        return "0"
    sign, c = ("-" if c < 0 else ""), abs(c)
    root = f"sqrt({k})" if k != 1 else ""
    top = (f"{c.numerator}*{root}" if c.numerator != 1 else root) if root else str(c.numerator)
    den = c.denominator
    if over_pi:
        bottom = "pi" if den == 1 else f"({den}*pi)"
        return f"{sign}{top}/{bottom}"
    return f"{sign}{top}" if den == 1 else f"{sign}{top}/{den}"


def pi_multiple(x: F) -> str:
    """x·π as text: -3*pi/4, pi/2, 0."""
    if x == 0:
        return "0"
    sign, x = ("-" if x < 0 else ""), abs(x)
    top = "pi" if x.numerator == 1 else f"{x.numerator}*pi"
    return sign + (top if x.denominator == 1 else f"{top}/{x.denominator}")


def closed_form(p: dict[str, Any], ask: str) -> str | None:
    t = _f(p["T"])
    if ask == "zero":
        c, k = (COS if p["u"] is None else SIN)[p["theta"]]
        return surd(1 / (p["R"] * c * k), k)  # 1/(R c sqrt(k)) = sqrt(k)/(R c k)
    a = arg_exact(p)
    if a is None:
        return None
    if a == 0:
        return {"magnitude": str(t), "real": str(t), "phase": "0"}[ask]
    if ask == "phase":  # -πa, plus π where the sinc factor is negative, into (-π, π]
        negative = (math.floor(a) % 2 == 1) != (a < 0)
        turn = (-a + (1 if negative else 0)) % 2
        return pi_multiple(turn - 2 if turn > 1 else turn)
    s = sin_pi(a if ask == "magnitude" else 2 * a)
    if s is None:
        return None
    c, k = s
    if ask == "magnitude":
        return surd(t * abs(c) / abs(a), k, over_pi=True)
    return surd(t * c / (2 * a), k, over_pi=True)


# ---------------------------------------------------------------- text

FORMULA = (
    "H(u, v) = T·sin[π(uR cosθ + vR sinθ)] / [π(uR cosθ + vR sinθ)] · exp(−jπ(uR cosθ + vR sinθ))"
)


def display(value: float, exact: str | None, lang: str) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if exact is None or exact == text:
        return text
    return TEXT[lang]["approx"].format(value=text, exact=exact)


def _example(value: float | None) -> str:
    return next(
        e
        for e, v in zip(
            EXAMPLES, (2 * math.sqrt(3) / math.pi, 3 * math.sqrt(2) / (4 * math.pi)), strict=True
        )
        if value is None or abs(v - value) > 0.01
    )


def prompt_text(p: dict[str, Any], ask: str, expected: float | None, lang: str) -> str:
    t = TEXT[lang]
    lines = [t["setup"].format(R=p["R"], theta=p["theta"], T=p["T"], formula=FORMULA)]
    if ask == "zero":
        lines.append(t["zero_u" if p["u"] is None else "zero_v"])
    else:
        lines.append(t[ask].format(u=p["u"], v=p["v"]))
    lines.append(t["tol"].format(ex=_example(expected)))
    return "\n".join(lines)


def _factor(x: float) -> str:
    """A factor in a product: 0.190986 or (-0.866025)."""
    return f"({x:.6f})" if x < 0 else f"{x:.6f}"


def _num(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def solution_text(p: dict[str, Any], ask: str, lang: str) -> str:
    t = TEXT[lang]
    expected = value(p, ask)
    exact = closed_form(p, ask)
    lines = []
    if ask == "zero":
        on_u = p["u"] is None
        lines.append(
            t["zero_s"].format(
                w="u" if on_u else "v",
                R=p["R"],
                trig="cos" if on_u else "sin",
                theta=p["theta"],
                value=expected,
            )
        )
    else:
        a_ex, a = arg_exact(p), arg(p)
        a_text = str(a_ex) if a_ex is not None else f"{a:.6f}"
        lines.append(t["a"].format(u=p["u"], v=p["v"], R=p["R"], theta=p["theta"], a=a_text))
        s, tt = sinc(a), p["T"]
        if a_ex == 0:
            lines.append(t["a0"].format(T=tt))
        elif a_ex is not None and a_ex.denominator == 1:
            lines.append(t["aint"].format(a=a_ex))
        else:
            lines.append(t["sinc"].format(sinc=s))
            if ask == "magnitude":
                lines.append(t["mag"].format(T=tt, abs=abs(s), value=expected))
            elif ask == "real":
                lines.append(
                    t["real_s"].format(
                        T=tt, sinc=_factor(s), cos=_factor(math.cos(math.pi * a)), value=expected
                    )
                )
            else:
                raw = -math.pi * a
                lines.append(t["phase_s"].format(raw=raw))
                if s < 0:
                    lines.append(t["phase_neg"])
                shifted = raw + (math.pi if s < 0 else 0)
                key = "phase_ok" if abs(shifted - expected) < 1e-9 else "phase_wrap"  # type: ignore[operator]
                lines.append(t[key].format(value=expected))
    if exact is not None and exact != _num(expected):  # type: ignore[arg-type]
        lines.append(t["exact"].format(exact=exact))
    lines.append(t["sinc_note"])
    lines.append(t["answer"].format(answer=display(expected, exact, lang)))  # type: ignore[arg-type]
    return "\n".join(lines)


# ---------------------------------------------------------------- drawing

NICE = [F(1, 6), F(1, 4), F(1, 3), F(1, 2), F(2, 3), F(3, 4), F(5, 6)]
NICE_BIG = [F(7, 6), F(5, 4), F(4, 3), F(3, 2), F(5, 3), F(7, 4), F(11, 6), F(9, 4), F(7, 3)]
FREQS = ["0.02", "0.04", "0.05", "0.06", "0.08", "0.1", "0.125", "0.15", "0.2", "0.25"]
TIMES = ["1", "2", "0.5", "1.5"]


def freq_text(x: F) -> str:
    """A frequency as the learner reads it: 0.05, -0.125 or 1/12."""
    if (x * 1000).denominator == 1:
        return f"{float(x):g}" if x else "0"
    return str(x)


def _signed(rng: random.Random, x: F, p_negative: float = 0.25) -> F:
    return -x if rng.random() < p_negative else x


def _rational(
    rng: random.Random, a: F, thetas: tuple[int, ...], r_choices: list[int]
) -> dict[str, Any]:
    """Params with a rational a: the other frequency is multiplied by cos or sin = 0, or is 0."""
    theta, r = rng.choice(thetas), rng.choice(r_choices)
    on_u = theta in (0, 60) if theta != 90 else False
    c = COS[theta][0] if on_u else SIN[theta][0]
    main = freq_text(a / (r * c))
    other = "0" if theta in (30, 60) else rng.choice(["0", "0.1", "0.05", "0.2"])
    u, v = (main, other) if on_u else (other, main)
    return {"u": u, "v": v, "R": r, "theta": theta, "T": rng.choice(TIMES)}


def _generic(rng: random.Random, lo: float, hi: float, r_choices: list[int]) -> dict[str, Any]:
    while True:
        p = {
            "u": str(_signed(rng, F(rng.choice(FREQS)), 0.3)),
            "v": str(_signed(rng, F(rng.choice(FREQS)), 0.3)),
            "R": rng.choice(r_choices),
            "theta": rng.choice([30, 45, 60]),
            "T": rng.choice(TIMES),
        }
        p["u"], p["v"] = freq_text(F(p["u"])), freq_text(F(p["v"]))
        a = abs(arg(p))
        if lo <= a <= hi and abs(a - round(a)) > 0.05:
            return p


def draw_params(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    if difficulty == 1:
        if rng.random() < 0.15:
            p = {"u": "0", "v": "0", "R": rng.choice([4, 5, 8, 10]), "theta": rng.choice([0, 90])}
            return {**p, "T": rng.choice(TIMES)}, "magnitude"
        p = _rational(rng, _signed(rng, rng.choice(NICE), 0.2), (0, 90), [2, 3, 4, 5, 6, 8, 10, 12])
        return p, rng.choices(["magnitude", "real"], [3, 2])[0]
    if difficulty == 2:
        ask = rng.choice(["magnitude", "real", "phase"])
        if rng.random() < 0.5:
            return _rational(rng, _signed(rng, rng.choice(NICE)), (30, 60), [2, 3, 4, 5, 6, 8]), ask
        return _generic(rng, 0.1, 0.9, list(range(2, 11))), ask
    kind = rng.random()
    if kind < 0.3:
        on_u = rng.random() < 0.5
        theta = rng.choice([0, 30, 45, 60] if on_u else [30, 45, 60, 90])
        p = {"u": None if on_u else "0", "v": "0" if on_u else None, "R": rng.randint(2, 12)}
        return {**p, "theta": theta, "T": rng.choice(TIMES)}, "zero"
    if kind < 0.55:
        k = rng.choice([0, 0, 1, -1, 2])
        if k:
            return _rational(rng, F(k), (0, 90, 30, 60), [2, 4, 5, 8, 10]), "magnitude"
        x, form = rng.choice(FREQS), rng.choice(["45", "0", "90"])
        u, v = {"45": (x, freq_text(-F(x))), "0": ("0", x), "90": (x, "0")}[form]
        theta = {"45": 45, "0": 0, "90": 90}[form]
        return {
            "u": u,
            "v": v,
            "R": rng.randint(3, 12),
            "theta": theta,
            "T": rng.choice(TIMES),
        }, "magnitude"
    ask = rng.choice(["magnitude", "real", "phase"])
    if rng.random() < 0.5:
        return _rational(
            rng, _signed(rng, rng.choice(NICE_BIG)), (0, 30, 60, 90), [2, 3, 4, 6, 8]
        ), ask
    return _generic(rng, 1.05, 2.45, list(range(4, 17))), ask


# ---------------------------------------------------------------- generator


@register
class MotionBlur(Generator):
    id = "motion-blur"
    version = 1
    topic = "Computer vision"
    topic_zh = "计算机视觉"
    title = "Motion-blur point spread function H(u, v): magnitude, real part, phase and zeros"
    title_zh = "运动模糊的点扩散函数 H(u, v)：幅值、实部、相位与零点"
    formula_tex = (
        r"H(u,v) = T \frac{\sin[\pi(uR\cos\theta + vR\sin\theta)]}"
        r"{\pi(uR\cos\theta + vR\sin\theta)} e^{-j\pi(uR\cos\theta + vR\sin\theta)}"
    )
    levels = 3
    explanations = DATA["explanations"]
    explanations_zh = DATA["explanations_zh"]

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        params, ask = draw_params(rng, difficulty)
        return self.build(difficulty, params, ask)

    def build(self, difficulty: int, params: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        expected = value(params, ask)
        assert expected is not None
        exact = closed_form(params, ask)
        wrong: list[tuple[str, Any]] = [
            (mid, value(params, ask, **{FLAGS[mid]: True})) for mid in MISCONCEPTIONS[ask]
        ]
        at_zero = ask != "zero" and arg_exact(params) == 0
        if at_zero:
            wrong.append(("sinc-limit", None))
        wrong = [(m, w) for m, w in wrong if w is None or math.isfinite(w)]
        return self.question(
            difficulty,
            params=params,
            ask=ask,
            prompt=prompt_text(params, ask, expected, "en"),
            kind="number",
            expected=expected,
            result=expected if ask == "zero" else list(response(params)),
            answer=display(expected, exact, "en"),
            solution=solution_text(params, ask, "en"),
            tolerance=TOL,
            allow_undefined=at_zero,
            misconceptions=wrong,
            extra={"exact": exact} if exact is not None else {},
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt_text(q.params, q.ask, q.expected, "zh"),
            "answer": display(q.expected, q.extra.get("exact"), "zh"),
            "solution": solution_text(q.params, q.ask, "zh"),
        }
