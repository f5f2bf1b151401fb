"""optical-flow: the brightness-constancy constraint I_x·u + I_y·v + I_t = 0.

Study notes (2023-10-16): brightness constancy I(x, y, t) = I(x + dx, y + dy, t + dt) (the
notes write I(x, y, z) by mistake; the third variable is time) and a first-order Taylor
expansion give I_x·dx + I_y·dy + I_t·dt = 0, i.e. I_x·u + I_y·v + I_t = 0 with
(u, v) = (dx/dt, dy/dt). One pixel gives one equation: knowing u, solve for v (or the other
way round). Two pixels assumed to share (u, v) (Lucas–Kanade style) give a 2×2 system.
The formula side solves exactly with sympy (Rationals; for two pixels an LU solve over QQ),
imported lazily on first use; the checker solves with torch.linalg.solve in float64.
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
    Path(__file__).with_name("optical_flow.toml").read_text(encoding="utf-8")
)
TEXT: dict[str, dict[str, str]] = DATA["text"]

EXAMPLES = ("-3/2", "5/4")

# ---------------------------------------------------------------- formula (sympy, exact)


@functools.lru_cache(maxsize=1024)
def rational(value: Any) -> Rational:
    """The exact number a param stands for: 2.5 is 5/2, "-47/14" is -47/14."""
    import sympy

    return sympy.Rational(str(value))


@functools.lru_cache(maxsize=4096)
def solve_one(
    ix: Any,
    iy: Any,
    it: Any,
    known: Any,
    ask: str,
    *,
    it_sign: bool = False,
    swapped: bool = False,
    wrong_gradient: bool = False,
    lost_minus: bool = False,
) -> Rational:
    """The unknown component (ask "u" or "v") of I_x·u + I_y·v + I_t = 0 given the other,
    in sympy rationals; the flags are the misconception variants."""
    ix, iy, it, known = (rational(x) for x in (ix, iy, it, known))
    g_known, g_ask = (iy, ix) if ask == "u" else (ix, iy)  # gradient of the known / asked
    if swapped:  # u paired with I_y and v with I_x
        g_known, g_ask = g_ask, g_known
    rhs = (it if it_sign else -it) - g_known * known  # g_ask · w = rhs
    if lost_minus:
        rhs = it + g_known * known
    return rhs / (g_known if wrong_gradient else g_ask)


@functools.lru_cache(maxsize=4096)
def solve_two(
    pixels: tuple[tuple[Any, ...], ...],
    *,
    it_sign: bool = False,
    swapped: bool = False,
    transposed: bool = False,
) -> tuple[Rational, Rational] | None:
    """(u, v) from two pixels' constraints, solved exactly by sympy's rational linear algebra
    (a DomainMatrix over QQ, LU solve); None if the system is singular. The flags are the
    misconception variants."""
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    a = [[QQ.from_sympy(rational(x)) for x in row[:2]] for row in pixels]  # (I_x, I_y) rows
    b = [[QQ.from_sympy(rational(row[2]) if it_sign else -rational(row[2]))] for row in pixels]
    if swapped:  # u paired with I_y and v with I_x
        a = [row[::-1] for row in a]
    if transposed:
        a = [list(col) for col in zip(*a, strict=True)]
    m = DomainMatrix(a, (2, 2), QQ)
    if m.det() == 0:
        return None
    u, v = m.lu_solve(DomainMatrix(b, (2, 1), QQ)).to_Matrix()
    return u, v


def determinant(pixels: list[list[Any]]) -> Rational:
    """det of the (I_x, I_y) rows, by sympy."""
    import sympy

    return sympy.Matrix([[rational(x) for x in row[:2]] for row in pixels]).det()


def _key(pixels: list[list[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(row) for row in pixels)


# ---------------------------------------------------------------- text


def paren(x: Rational) -> str:
    return f"({x})" if x < 0 or x.q != 1 else str(x)


def decimal(x: Rational, lang: str = "en") -> str:
    """'2', '-1.5 (exactly -3/2)' or '0.3333 (exactly 1/3)'."""
    if x.q == 1:
        return str(x)
    text = f"{float(x):.4f}".rstrip("0")
    return f"{text} (exactly {x})" if lang == "en" else f"{text}（精确值 {x}）"


def pair_text(uv: tuple[Rational, ...]) -> str:
    """'(2, -3)' or '(9/5, -11/15) ≈ (1.8, -0.7333)'."""
    exact = f"({uv[0]}, {uv[1]})"
    if all(x.q == 1 for x in uv):
        return exact
    return exact + " ≈ (" + ", ".join(f"{float(x):.4f}".rstrip("0") for x in uv) + ")"


def _example(value: Any) -> str:
    return next(e for e in EXAMPLES if rational(e) != value)


def _eq(ix: Rational, iy: Rational, it: Rational, u: str, v: str) -> str:
    return f"{paren(ix)}·{u} + {paren(iy)}·{v} + {paren(it)}"


def prompt_text(p: dict[str, Any], ask: str, expected: Any, lang: str) -> str:
    t = TEXT[lang]
    if ask == "uv":
        (a0, a1, a2), (b0, b1, b2) = p["pixels"]
        ex = _example(expected[1])
        return t["intro"] + "\n" + t["two"].format(a0=a0, a1=a1, a2=a2, b0=b0, b1=b1, b2=b2, ex=ex)
    known = "v" if ask == "u" else "u"
    fields = {"ix": p["Ix"], "iy": p["Iy"], "it": p["It"], "known": known, "kv": p[known]}
    if p.get("frames"):
        i0, i1 = p["frames"]
        lines = [t["intro2"], t["frames"].format(i0=i0, i1=i1, **fields)]
    else:
        lines = [t["intro"], t["pixel"].format(**fields)]
    exact = p.get("frames") is None and p["tolerance"] < 0.01
    lines.append(t["ask1" if exact else "ask2"].format(ask=ask, ex=_example(expected)))
    return "\n".join(lines)


def solution_text(p: dict[str, Any], ask: str, lang: str) -> str:
    t = TEXT[lang]
    lines = [t["derive"]]
    if ask == "uv":
        (a, b, e), (c, d, f) = [[rational(x) for x in row] for row in p["pixels"]]
        u, v = solve_two(_key(p["pixels"]))  # type: ignore[misc]
        e1, e2 = _eq(a, b, e, "u", "v") + " = 0", _eq(c, d, f, "u", "v") + " = 0"
        lines.append(t["system"].format(e1=e1, e2=e2))
        det = determinant(p["pixels"])
        lines.append(t["det"].format(a=paren(a), b=paren(b), c=paren(c), d=paren(d), det=det))
        lines.append(
            t["cramer"].format(
                a=paren(a), b=paren(b), c=paren(c), d=paren(d), r1=paren(-e), r2=paren(-f), u=u, v=v
            )
        )
        lines.append(t["answer"].format(value=f"(u, v) = {pair_text((u, v))}"))
        return "\n".join(lines)
    ix, iy, it = rational(p["Ix"]), rational(p["Iy"]), rational(p["It"])
    if p.get("frames"):
        lines.append(t["it"].format(i0=p["frames"][0], i1=p["frames"][1], it=it))
    known = "v" if ask == "u" else "u"
    kv = rational(p[known])
    value = solve_one(p["Ix"], p["Iy"], p["It"], p[known], ask)
    shown = f"({p[known]})" if kv < 0 else str(p[known])  # as the prompt gives it
    eq = _eq(ix, iy, it, ask if ask == "u" else shown, shown if ask == "u" else ask)
    lines.append(t["plug"].format(eq=eq))
    g_known, g_ask = (iy, ix) if ask == "u" else (ix, iy)
    rhs = -it - g_known * kv
    lines.append(t["move"].format(g=paren(g_ask), ask=ask, rhs=rhs, prhs=paren(rhs), value=value))
    lines.append(t["answer"].format(value=f"{ask} = {decimal(value, lang)}"))
    return "\n".join(lines)


# ---------------------------------------------------------------- drawing


def _nonzero(rng: random.Random, lo: int, hi: int) -> int:
    return rng.choice([x for x in range(lo, hi + 1) if x != 0])


def _level1(rng: random.Random) -> tuple[dict[str, Any], str]:
    ix, iy = rng.randint(1, 6), rng.randint(1, 6)
    u, v = _nonzero(rng, -4, 4), _nonzero(rng, -4, 4)
    ask = rng.choice(["u", "v"])
    it = -(ix * u + iy * v)
    params = {"Ix": ix, "Iy": iy, "It": it, "u": None, "v": None, "frames": None}
    params["v" if ask == "u" else "u"] = v if ask == "u" else u
    params["tolerance"] = 1e-6
    return params, ask


def _level2(rng: random.Random) -> tuple[dict[str, Any], str]:
    while True:
        ix, iy = _nonzero(rng, -9, 9), _nonzero(rng, -9, 9)
        if abs(ix) == abs(iy):
            continue
        ask = rng.choice(["u", "v"])
        known = rng.choice([-2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2, 2.5])
        frames = None
        if rng.random() < 0.5:
            i0 = rng.randint(40, 220)
            i1 = i0 + _nonzero(rng, -20, 20)
            frames, it = [i0, i1], i1 - i0
        else:
            it = _nonzero(rng, -20, 20)
        params = {"Ix": ix, "Iy": iy, "It": it, "u": None, "v": None, "frames": frames}
        params["v" if ask == "u" else "u"] = known
        params["tolerance"] = 0.01
        value = solve_one(ix, iy, it, known, ask)
        if value.q != 1 and abs(value) <= 10:
            return params, ask


def _level3(rng: random.Random) -> tuple[dict[str, Any], str]:
    while True:
        rows = [[_nonzero(rng, -6, 6), _nonzero(rng, -6, 6), rng.randint(-15, 15)] for _ in "AB"]
        uv = solve_two(_key(rows))
        if uv is None or any(x == 0 or abs(x) > 6 for x in uv) or uv[0] == uv[1]:
            continue
        if all(x.q == 1 for x in uv) and rng.random() < 0.7:
            continue  # mostly fractional answers
        return {"pixels": rows, "tolerance": 0.01}, "uv"


# ---------------------------------------------------------------- generator


@register
class OpticalFlow(Generator):
    id = "optical-flow"
    version = 2
    topic = "Computer vision"
    topic_zh = "计算机视觉"
    title = "Optical flow constraint I_x·u + I_y·v + I_t = 0: solve for the flow"
    title_zh = "光流约束 I_x·u + I_y·v + I_t = 0：求解光流"
    formula_tex = r"I_x u + I_y v + I_t = 0"
    formula_by = "sympy"
    levels = 3
    explanations = DATA["explanations"]
    explanations_zh = DATA["explanations_zh"]

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        level = {1: _level1, 2: _level2, 3: _level3}[difficulty]
        params, ask = level(rng)
        return self.build(difficulty, params, ask)

    def build(self, difficulty: int, params: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        tol = params["tolerance"]
        if ask == "uv":
            rows = _key(params["pixels"])
            exact = solve_two(rows)
            assert exact is not None
            values = [float(x) for x in exact]
            wrong = [
                (mid, solve_two(rows, **{flag: True}))
                for mid, flag in (
                    ("it-sign", "it_sign"),
                    ("uv-swapped", "swapped"),
                    ("transposed", "transposed"),
                )
            ]
            return self.question(
                difficulty,
                params=params,
                ask=ask,
                prompt=prompt_text(params, ask, exact, "en"),
                kind="vector",
                expected=values,
                result=values,
                answer=pair_text(exact),
                solution=solution_text(params, ask, "en"),
                tolerance=tol,
                misconceptions=[(m, [float(x) for x in w]) for m, w in wrong if w is not None],
                extra={"exact": [str(x) for x in exact]},
            )
        ix, iy, it = params["Ix"], params["Iy"], params["It"]
        kv = params["v" if ask == "u" else "u"]
        value = solve_one(ix, iy, it, kv, ask)
        other = {"u": rational(kv), "v": value} if ask == "v" else {"u": value, "v": rational(kv)}
        flags = ("it_sign", "swapped", "wrong_gradient", "lost_minus")
        ids = ("it-sign", "uv-swapped", "wrong-gradient", "lost-minus")
        return self.question(
            difficulty,
            params=params,
            ask=ask,
            prompt=prompt_text(params, ask, value, "en"),
            kind="number",
            expected=float(value),
            result=[float(other["u"]), float(other["v"])],
            answer=decimal(value),
            solution=solution_text(params, ask, "en"),
            tolerance=tol,
            misconceptions=[
                (mid, float(solve_one(ix, iy, it, kv, ask, **{flag: True})))
                for mid, flag in zip(ids, flags, strict=True)
            ],
            extra={"exact": str(value)},
        )

    def zh(self, q: Question) -> dict[str, str]:
        if q.ask == "uv":
            exact: Any = tuple(rational(x) for x in q.extra["exact"])
            answer = pair_text(exact)
        else:
            exact = rational(q.extra["exact"])
            answer = decimal(exact, "zh")
        return {
            "prompt": prompt_text(q.params, q.ask, exact, "zh"),
            "answer": answer,
            "solution": solution_text(q.params, q.ask, "zh"),
        }
