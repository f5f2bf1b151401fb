"""motion-blur: the point spread function (frequency response) of uniform linear motion.

Study notes (2023-09-07): motion of length R at angle θ during an exposure T gives
H(u, v) = T·sin(πa)/(πa)·exp(−jπa), a = uR cosθ + vR sinθ (the notes: "it didn't work" for
the author). sin(πa)/(πa) is the normalized sinc (torch.sinc, np.sinc), 1 at a = 0; H = 0
where a is a nonzero integer. The formula side is sympy (imported lazily on first use): exact
cos/sin of the nice angles, a as an exact expression, and, where a is rational, sin(πa)/(πa),
cos(πa) with sympy.pi reduced to a closed form (2*sqrt(3)/pi, -pi/2); where a has square
roots, the same formula evaluated to 30 digits (mpmath, sympy's numeric backend). The
misconception variants are plain float arithmetic. The checker runs torch.sinc and torch.exp
in complex128.
"""

from __future__ import annotations

import functools
import math
import random
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from quizzer.generators import Generator, register
from quizzer.question import Question

if TYPE_CHECKING:
    from sympy import Expr, Rational

# the question and solution texts (en, zh) and the misconception explanations are data
DATA: dict[str, Any] = tomllib.loads(
    Path(__file__).with_name("motion_blur.toml").read_text(encoding="utf-8")
)
TEXT: dict[str, dict[str, str]] = DATA["text"]

EXAMPLES = ("2*sqrt(3)/pi", "3*sqrt(2)/(4*pi)")
TOL = 1e-3
PRECISION = 30  # digits of sympy's evalf before a value becomes a float

# ---------------------------------------------------------------- exact (sympy)


@functools.lru_cache(maxsize=1024)
def rational(text: Any) -> Rational:
    """The exact number a param stands for: "0.05" is 1/20, "1/12" is 1/12."""
    import sympy

    return sympy.Rational(str(text))


@functools.cache
def trig(theta: int) -> tuple[Expr, Expr]:
    """(cos θ, sin θ) exactly, θ in degrees: sympy gives sqrt(3)/2, sqrt(2)/2, 1/2, 0, 1."""
    import sympy

    angle = sympy.pi * theta / 180
    return sympy.cos(angle), sympy.sin(angle)


@functools.cache
def trig_float(theta: int) -> tuple[float, float]:
    c, s = trig(theta)
    return float(c), float(s)  # exactly 0.0 where sympy's value is 0


@functools.lru_cache(maxsize=4096)
def _arg_exact(u: Any, v: Any, r: int, theta: int) -> Expr:
    import sympy

    c, s = trig(theta)
    a = sympy.Integer(0)
    for freq, f in ((u, c), (v, s)):
        if freq is not None:
            a += rational(freq) * r * f
    return a.expand()


def arg_exact(p: dict[str, Any]) -> Expr:
    """a = uR cosθ + vR sinθ as an exact sympy number (rational, or with square roots)."""
    return _arg_exact(p["u"], p["v"], p["R"], p["theta"])


def _to_float(x: Expr) -> float:
    return float(x.evalf(PRECISION))


class Exact(NamedTuple):
    """The formula side of one question, from sympy."""

    value: float  # the asked quantity
    result: Any  # [Re H, Im H], or the zero
    closed: str | None  # sympy's closed form of the answer, when it has one
    sinc: float  # sin(πa)/(πa), for the worked solution
    cos: float  # cos(πa)


def _phase_turns(a: Any, negative: bool, ceil: Any) -> Any:
    """arg H / π: −a, plus 1 where the amplitude T·sin(πa)/(πa) is negative, into (−1, 1]
    (a and ceil: sympy's, or mpmath's)."""
    q = -a + (1 if negative else 0)
    return q - 2 * ceil((q - 1) / 2)


@functools.lru_cache(maxsize=4096)
def _exact(u: Any, v: Any, r: int, theta: int, t: str, ask: str) -> Exact:
    import sympy

    pi = sympy.pi
    if ask == "zero":  # the first zero along the axis of the unknown frequency: a = 1
        c, s = trig(theta)
        w = sympy.radsimp(1 / (r * (c if u is None else s)))
        return Exact(_to_float(w), _to_float(w), sympy.sstr(w), 0.0, 0.0)
    a = _arg_exact(u, v, r, theta)
    if a.is_Rational:  # sympy evaluates sin(πa), cos(πa) at these angles: closed forms
        sinc = sympy.Integer(1) if a == 0 else sympy.sin(pi * a) / (pi * a)
        amp, cos, sin = rational(t) * sinc, sympy.cos(pi * a), sympy.sin(pi * a)
        value = {
            "magnitude": -amp if amp.is_negative else amp,
            "real": amp * cos,
            "phase": _phase_turns(a, bool(amp.is_negative), sympy.ceiling) * pi,
        }[ask]
        if not value.has(sympy.sin, sympy.cos):
            h = [_to_float(amp * cos), _to_float(-amp * sin)]
            closed = sympy.sstr(value)
            return Exact(_to_float(value), h, closed, _to_float(sinc), _to_float(cos))
    # no closed form (a has square roots): the same formula at a's value, evaluated with
    # mpmath (sympy's arbitrary-precision backend) to PRECISION digits
    import mpmath

    with mpmath.workdps(PRECISION):
        x = mpmath.mpf(a.evalf(PRECISION))
        sinc_n = mpmath.sinpi(x) / (mpmath.pi * x)
        big_t = rational(t)
        amp_n, cos_n = mpmath.mpf(big_t.p) / big_t.q * sinc_n, mpmath.cospi(x)
        turns = _phase_turns(x, amp_n < 0, mpmath.ceil)
        value_n = {"magnitude": abs(amp_n), "real": amp_n * cos_n, "phase": turns * mpmath.pi}
        h = [float(amp_n * cos_n), float(-amp_n * mpmath.sinpi(x))]
        return Exact(float(value_n[ask]), h, None, float(sinc_n), float(cos_n))


def exact(p: dict[str, Any], ask: str) -> Exact:
    """The answer, full result and closed form of the question with params p."""
    return _exact(p["u"], p["v"], p["R"], p["theta"], str(p["T"]), ask)


# ---------------------------------------------------------------- misconceptions (floats)


def arg(p: dict[str, Any], *, degrees: bool = False, swapped: bool = False) -> float:
    """a = uR cosθ + vR sinθ in floats; degrees=True feeds θ in degrees to cos/sin (a bug)."""
    u, v, r, t = float(rational(p["u"])), float(rational(p["v"])), p["R"], p["theta"]
    c, s = (math.cos(t), math.sin(t)) if degrees else trig_float(t)
    if swapped:
        c, s = s, c
    return u * r * c + v * r * s


def sinc(a: float, *, no_pi: bool = False) -> float:
    x = a if no_pi else math.pi * a
    return 1.0 if x == 0 else math.sin(x) / x


def response(p: dict[str, Any], **flags: bool) -> tuple[float, float]:
    """(Re H, Im H) with the arg/sinc bugs of flags applied."""
    a = arg(p, degrees=flags.get("degrees", False), swapped=flags.get("swapped", False))
    s = float(rational(p["T"])) * sinc(a, no_pi=flags.get("no_pi", False))
    return s * math.cos(math.pi * a), -s * math.sin(math.pi * a)


def value(p: dict[str, Any], ask: str, **flags: bool) -> float | None:
    """The asked quantity computed in floats with the misconception flags switched on."""
    if ask == "zero":  # the first zero along the axis of the unknown frequency
        t, use_cos = p["theta"], (p["u"] is None) != flags.get("swapped", False)
        if flags.get("degrees"):
            c = math.cos(t) if use_cos else math.sin(t)
        else:
            c = trig_float(t)[0 if use_cos else 1]
        if abs(c) < 1e-12:
            return None
        first = 0.5 if flags.get("zero_half") else math.pi if flags.get("no_pi") else 1.0
        return first / (p["R"] * abs(c))
    re, im = response(p, **flags)
    a = arg(p, degrees=flags.get("degrees", False), swapped=flags.get("swapped", False))
    if ask == "magnitude":
        t_sinc = float(rational(p["T"])) * sinc(a, no_pi=flags.get("no_pi", False))
        if flags.get("signed"):
            return t_sinc
        if flags.get("as_real"):
            return re
        return math.hypot(re, im)
    if ask == "real":
        if flags.get("no_exp"):
            return float(rational(p["T"])) * sinc(a, no_pi=flags.get("no_pi", False))
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


def _arg_text(a: Expr) -> str:
    """a as sympy writes it, with its decimal when it is irrational: sqrt(3)/10 + 1/5 ≈ 0.3732."""
    import sympy

    return sympy.sstr(a) if a.is_Rational else f"{sympy.sstr(a)} ≈ {_to_float(a):.6f}"


def solution_text(p: dict[str, Any], ask: str, lang: str) -> str:
    import sympy

    t = TEXT[lang]
    formula = exact(p, ask)
    expected, closed = formula.value, formula.closed
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
        a_ex = arg_exact(p)
        lines.append(
            t["a"].format(u=p["u"], v=p["v"], R=p["R"], theta=p["theta"], a=_arg_text(a_ex))
        )
        tt = p["T"]
        if a_ex == 0:
            lines.append(t["a0"].format(T=tt))
        elif a_ex.is_Integer:
            lines.append(t["aint"].format(a=a_ex))
        else:
            s = formula.sinc
            lines.append(t["sinc"].format(sinc=s))
            if ask == "magnitude":
                lines.append(t["mag"].format(T=tt, abs=abs(s), value=expected))
            elif ask == "real":
                cos = _factor(formula.cos)
                lines.append(t["real_s"].format(T=tt, sinc=_factor(s), cos=cos, value=expected))
            else:
                raw = _to_float(-sympy.pi * a_ex)
                lines.append(t["phase_s"].format(raw=raw))
                if s < 0:
                    lines.append(t["phase_neg"])
                shifted = raw + (math.pi if s < 0 else 0)
                key = "phase_ok" if abs(shifted - expected) < 1e-9 else "phase_wrap"
                lines.append(t[key].format(value=expected))
    if closed is not None and closed != _num(expected):
        lines.append(t["exact"].format(exact=closed))
    lines.append(t["sinc_note"])
    lines.append(t["answer"].format(answer=display(expected, closed, lang)))
    return "\n".join(lines)


# ---------------------------------------------------------------- drawing

NICE = ["1/6", "1/4", "1/3", "1/2", "2/3", "3/4", "5/6"]  # values of a
NICE_BIG = ["7/6", "5/4", "4/3", "3/2", "5/3", "7/4", "11/6", "9/4", "7/3"]
FREQS = ["0.02", "0.04", "0.05", "0.06", "0.08", "0.1", "0.125", "0.15", "0.2", "0.25"]
TIMES = ["1", "2", "0.5", "1.5"]


def freq_text(x: Rational) -> str:
    """A frequency as the learner reads it: 0.05, -0.125 or 1/12."""
    if (x * 1000).q == 1:
        return f"{float(x):g}" if x else "0"
    return str(x)


def _signed(rng: random.Random, x: Any, p_negative: float = 0.25) -> Rational:
    x = rational(x)
    return -x if rng.random() < p_negative else x


def _rational(
    rng: random.Random, a: Rational, thetas: tuple[int, ...], r_choices: list[int]
) -> dict[str, Any]:
    """Params with a rational a: the other frequency is multiplied by cos or sin = 0, or is 0."""
    theta, r = rng.choice(thetas), rng.choice(r_choices)
    on_u = theta in (0, 60) if theta != 90 else False
    c = trig(theta)[0 if on_u else 1]  # 1 or 1/2: rational
    main = freq_text(a / (r * c))
    other = "0" if theta in (30, 60) else rng.choice(["0", "0.1", "0.05", "0.2"])
    u, v = (main, other) if on_u else (other, main)
    return {"u": u, "v": v, "R": r, "theta": theta, "T": rng.choice(TIMES)}


def _generic(rng: random.Random, lo: float, hi: float, r_choices: list[int]) -> dict[str, Any]:
    while True:
        p = {
            "u": freq_text(_signed(rng, rng.choice(FREQS), 0.3)),
            "v": freq_text(_signed(rng, rng.choice(FREQS), 0.3)),
            "R": rng.choice(r_choices),
            "theta": rng.choice([30, 45, 60]),
            "T": rng.choice(TIMES),
        }
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
            return _rational(rng, rational(k), (0, 90, 30, 60), [2, 4, 5, 8, 10]), "magnitude"
        x, form = rng.choice(FREQS), rng.choice(["45", "0", "90"])
        u, v = {"45": (x, freq_text(-rational(x))), "0": ("0", x), "90": (x, "0")}[form]
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
    version = 2
    topic = "Computer vision"
    topic_zh = "计算机视觉"
    title = "Motion-blur point spread function H(u, v): magnitude, real part, phase and zeros"
    title_zh = "运动模糊的点扩散函数 H(u, v)：幅值、实部、相位与零点"
    formula_tex = (
        r"H(u,v) = T \frac{\sin[\pi(uR\cos\theta + vR\sin\theta)]}"
        r"{\pi(uR\cos\theta + vR\sin\theta)} e^{-j\pi(uR\cos\theta + vR\sin\theta)}"
    )
    formula_by = "sympy"
    levels = 3
    explanations = DATA["explanations"]
    explanations_zh = DATA["explanations_zh"]

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        params, ask = draw_params(rng, difficulty)
        return self.build(difficulty, params, ask)

    def build(self, difficulty: int, params: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        formula = exact(params, ask)
        expected, closed = formula.value, formula.closed
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
            result=formula.result,
            answer=display(expected, closed, "en"),
            solution=solution_text(params, ask, "en"),
            tolerance=TOL,
            allow_undefined=at_zero,
            misconceptions=wrong,
            extra={"exact": closed} if closed is not None else {},
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt_text(q.params, q.ask, q.expected, "zh"),
            "answer": display(q.expected, q.extra.get("exact"), "zh"),
            "solution": solution_text(q.params, q.ask, "zh"),
        }
