"""activations: sigmoid / tanh / ReLU / leaky ReLU values and derivatives, and why two
linear layers with no activation between them collapse into one.

- value / derivative of fn at x, by sympy (imported lazily on first use): the function as a
  sympy expression, sympy.diff for the derivative, evaluated at x = ±ln r (and 0 = ln 1),
  where sympy simplifies it to a fraction (sigmoid(ln r) = r/(1 + r), tanh(ln r) =
  (r² - 1)/(r² + 1), ...), or at a short decimal (a Rational), evaluated to 30 digits.
- collapse: nn.Sequential(nn.Linear(W1, b1), nn.Linear(W2, b2)) equals one nn.Linear with
  W = W2·W1 and b = W2·b1 + b2 (ask "weight" or "bias"), small integers throughout.

Misconception values come from `act`, `dact` (floats) and `collapse` with a flag switched on.
"""

from __future__ import annotations

import functools
import math
import random
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizzer.generators import Generator, register
from quizzer.question import Question

if TYPE_CHECKING:
    from sympy import Expr, Rational

FAMILY = "activations"
TOLERANCE = 1e-3
NICE = ("0", "ln 2", "ln 3", "ln 4", "-ln 2", "-ln 3", "-ln 4")
DECIMALS = [x / 10 for x in range(-30, 31) if x % 5]  # -2.9 .. 2.9, not whole or half
HALVES = [x / 2 for x in range(-6, 7) if x]  # -3 .. 3 in halves, without 0
QUARTERS = [x / 4 for x in range(-12, 13) if x % 2]  # ±0.25, ±0.75, .. ±2.75
SLOPES = (0.01, 0.1, 0.2, 0.05)
Matrix = list[list[int]]

# ---------------------------------------------------------------- formula: activations


def x_value(x_text: str) -> float:
    """The float x the params carry (and torch gets): ln 3 is math.log(3)."""
    if "ln" not in x_text:
        return float(x_text)
    ln = math.log(int(x_text.split()[-1]))
    return -ln if x_text.startswith("-") else ln


def x_exact(x_text: str) -> Expr:
    """x as sympy writes it: "ln 3" is log(3), "-ln 2" is -log(2), "0.3" is 3/10."""
    import sympy

    if "ln" not in x_text:
        return sympy.Rational(x_text)
    ln = sympy.log(int(x_text.split()[-1]))
    return -ln if x_text.startswith("-") else ln


@functools.cache
def _function(fn: str, slope: float | None) -> tuple[Expr, Expr, Expr]:
    """(x, f(x), f'(x)) as sympy expressions; f' by sympy.diff."""
    import sympy

    x = sympy.Symbol("x", real=True)
    f = {
        "sigmoid": lambda: 1 / (1 + sympy.exp(-x)),
        "tanh": lambda: sympy.tanh(x),
        "relu": lambda: sympy.Max(0, x),
        "leaky_relu": lambda: sympy.Piecewise((x, x >= 0), (sympy.Rational(str(slope)) * x, True)),
    }[fn]()
    return x, f, sympy.diff(f, x)


@functools.lru_cache(maxsize=1024)
def exact_point(fn: str, ask: str, x_text: str, slope: float | None = None) -> Expr:
    """fn(x) or fn'(x) exactly: a fraction at x = ±ln r, else sympy's unevaluated value."""
    import sympy

    x, f, df = _function(fn, slope)
    value = (f if ask == "value" else df).subs(x, x_exact(x_text))
    if value.has(sympy.exp, sympy.tanh) and "ln" in x_text:  # e^(ln r) = r: a fraction
        value = sympy.simplify(value.rewrite(sympy.exp))
    return value


def ratio(x_text: str) -> Rational:
    """r = e^x for x = ±ln r (sympy simplifies exp(-log(2)) to 1/2)."""
    import sympy

    return sympy.exp(x_exact(x_text))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def act(
    fn: str,
    x: float,
    slope: float | None = None,
    *,
    swapped: bool = False,
    abs_negative: bool = False,
    as_relu: bool = False,
) -> float:
    """fn(x); flags: sigmoid <-> tanh swapped, ReLU of a negative taken as |x|, leaky as ReLU."""
    if swapped:
        fn = {"sigmoid": "tanh", "tanh": "sigmoid"}[fn]
    if fn == "sigmoid":
        return sigmoid(x)
    if fn == "tanh":
        return math.tanh(x)
    if x >= 0:
        return x
    if abs_negative:
        return -x
    return 0.0 if fn == "relu" or as_relu else slope * x  # type: ignore[operator]


def dact(
    fn: str,
    x: float,
    slope: float | None = None,
    *,
    swapped: bool = False,
    as_value: bool = False,
    factor_dropped: bool = False,
    abs_negative: bool = False,
    as_relu: bool = False,
) -> float:
    """fn'(x) (x != 0 for ReLU); flags: the value instead, sigmoid <-> tanh swapped,
    σ' as 1 - σ and tanh' as 1 - tanh, d|x|/dx for a negative ReLU input, leaky as ReLU."""
    if as_value:
        return act(fn, x, slope)
    if swapped:
        fn = {"sigmoid": "tanh", "tanh": "sigmoid"}[fn]
    if fn == "sigmoid":
        s = sigmoid(x)
        return 1 - s if factor_dropped else s * (1 - s)
    if fn == "tanh":
        t = math.tanh(x)
        return 1 - t if factor_dropped else 1 - t * t
    if x > 0:
        return 1.0
    if abs_negative:
        return -1.0
    return 0.0 if fn == "relu" or as_relu else float(slope)  # type: ignore[arg-type]


# ---------------------------------------------------------------- formula: collapse


def matmul(a: Matrix, b: Matrix) -> Matrix | None:
    if len(a[0]) != len(b):
        return None
    return [
        [sum(x * y for x, y in zip(row, col, strict=True)) for col in zip(*b, strict=False)]
        for row in a
    ]


def collapse(
    p: dict[str, Any],
    *,
    wrong_order: bool = False,
    bias_sum: bool = False,
    bias_b2_only: bool = False,
) -> tuple[Matrix | None, list[int] | None]:
    """(W, b) of the single equivalent layer: W = W2·W1, b = W2·b1 + b2. Flags: W1·W2,
    b = b1 + b2, b = b2; None where the wrong formula does not even fit the shapes."""
    w1, b1, w2, b2 = p["weight1"], p["bias1"], p["weight2"], p["bias2"]
    w = matmul(w1, w2) if wrong_order else matmul(w2, w1)
    if bias_b2_only:
        return w, list(b2)
    if bias_sum:
        return w, [x + y for x, y in zip(b1, b2, strict=True)] if len(b1) == len(b2) else None
    wb1 = matmul(w2, [[v] for v in b1])
    assert wb1 is not None
    return w, [row[0] + c for row, c in zip(wb1, b2, strict=True)]


# ---------------------------------------------------------------- drawing


def _ints(rng: random.Random, n: int) -> list[int]:
    return [rng.randint(-2, 3) for _ in range(n)]


def draw_collapse(rng: random.Random, difficulty: int) -> dict[str, Any]:
    if difficulty == 2:
        n_in, hidden, n_out = 2, 2, 2
    else:
        n_in, hidden, n_out = rng.choice([(3, 2, 2), (2, 3, 2), (2, 2, 3), (3, 2, 3), (2, 3, 3)])
    return {
        "weight1": [_ints(rng, n_in) for _ in range(hidden)],
        "bias1": _ints(rng, hidden),
        "weight2": [_ints(rng, hidden) for _ in range(n_out)],
        "bias2": _ints(rng, n_out),
    }


def _point(fn: str, x_text: str, slope: float | None = None) -> dict[str, Any]:
    return {"fn": fn, "x": x_value(x_text), "x_text": x_text, "negative_slope": slope}


def _decimal_text(x: float) -> str:
    return f"{x:g}"


def draw_params(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    roll = rng.random()
    if difficulty == 1:
        fn = rng.choice(["sigmoid", "tanh", "relu"])
        if fn == "relu":
            return _point(fn, _decimal_text(rng.choice(HALVES))), "value"
        return _point(fn, rng.choice(NICE)), "value"
    if difficulty == 2:
        if roll < 0.3:
            return draw_collapse(rng, 2), rng.choice(["weight", "bias"])
        fn = rng.choice(["sigmoid", "tanh", "relu"])
        if roll < 0.65:
            return _point(fn, _decimal_text(rng.choice(DECIMALS))), "value"
        x_text = _decimal_text(rng.choice(DECIMALS)) if fn == "relu" else rng.choice(NICE)
        return _point(fn, x_text), "derivative"
    if roll < 0.35:
        return draw_collapse(rng, 3), rng.choice(["weight", "bias"])
    if roll < 0.65:
        x = rng.choice([v for v in DECIMALS if v < 0] * 2 + DECIMALS)
        ask = rng.choice(["value", "derivative"])
        return _point("leaky_relu", _decimal_text(x), rng.choice(SLOPES)), ask
    return _point(
        rng.choice(["sigmoid", "tanh"]), _decimal_text(rng.choice(QUARTERS))
    ), "derivative"


# ---------------------------------------------------------------- text (en and zh)


def _fmt(v: float) -> str:
    return f"{v:.6f}".rstrip("0").rstrip(".") if v != 0 else "0"


def fn_name(p: dict[str, Any], lang: str) -> str:
    fn = p["fn"]
    if fn == "leaky_relu":
        s = p["negative_slope"]
        if lang == "zh":
            return f"leaky ReLU（`F.leaky_relu(x, negative_slope={s})`）"
        return f"leaky ReLU with negative_slope = {s} (F.leaky_relu(x, negative_slope={s}))"
    return {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}[fn]


def answer_value(p: dict[str, Any], ask: str) -> tuple[float, Rational | None]:
    """The answer as a float (sympy's value to 30 digits) and, for sigmoid / tanh where sympy
    finds it rational (x = ±ln r), the exact fraction."""
    value = exact_point(p["fn"], ask, p["x_text"], p["negative_slope"])
    exact = value if value.is_Rational and p["fn"] in ("sigmoid", "tanh") else None
    return float(value.evalf(30)), exact


def answer_text(p: dict[str, Any], ask: str, lang: str) -> str:
    """[[..]] / [..] for collapse; an exact decimal, '0.2222 (exactly 2/9)' or '≈ 0.7311'."""
    if ask in ("weight", "bias"):
        w, b = collapse(p)
        return str(w if ask == "weight" else b)
    value, e = answer_value(p, ask)
    if e is None:
        return f"≈ {value:.4f}" if p["fn"] in ("sigmoid", "tanh") else _fmt(value)
    if e.q == 1:
        return str(e)
    short = _fmt(value) if len(_fmt(value)) <= 7 else f"{value:.4f}"
    return TEXT[lang]["exactly"].format(value=short, exact=e)


# en and zh text templates (the same keys), data beside the module
TEXT: dict[str, dict[str, str]] = tomllib.loads(
    Path(__file__).with_name("activations.toml").read_text(encoding="utf-8")
)


def _seq(p: dict[str, Any]) -> str:
    n_in, hidden, n_out = len(p["weight1"][0]), len(p["weight1"]), len(p["weight2"])
    return f"nn.Sequential(nn.Linear({n_in}, {hidden}), nn.Linear({hidden}, {n_out}))"


def prompt_text(p: dict[str, Any], ask: str, lang: str) -> str:
    T = TEXT[lang]
    if ask in ("weight", "bias"):
        i, o = len(p["weight1"][0]), len(p["weight2"])
        head = T["collapse"].format(
            seq=_seq(p), w1=p["weight1"], b1=p["bias1"], w2=p["weight2"], b2=p["bias2"], i=i, o=o
        )
        return head + T[ask].format(i=i, o=o)
    fn, xt = p["fn"], p["x_text"]
    approx = T["at"].format(x=p["x"]) if "ln" in xt else ""
    key = f"leaky_{ask}" if fn == "leaky_relu" else ask
    text = T[key].format(name=fn_name(p, lang), xt=xt, approx=approx)
    value, e = answer_value(p, ask)
    ex = "1/3" if abs(value - 2 / 3) < 0.01 else "2/3"
    return text + T["tol" if e is None else "tol_exact"].format(tol=f"{TOLERANCE:g}", ex=ex)


def solution_text(p: dict[str, Any], ask: str, lang: str) -> str:
    T = TEXT[lang]
    if ask in ("weight", "bias"):
        w, b = collapse(p)
        lines = [T["compose"]]
        if ask == "weight":
            lines.append(T["W"].format(w=w))
            for i, row in enumerate(p["weight2"]):
                for j, col in enumerate(zip(*p["weight1"], strict=False)):
                    terms = " + ".join(
                        f"{_paren(x)}·{_paren(y)}" for x, y in zip(row, col, strict=True)
                    )
                    lines.append(T["entry"].format(i=i, j=j, terms=terms, v=w[i][j]))  # type: ignore[index]
        else:
            wb1 = [row[0] for row in matmul(p["weight2"], [[v] for v in p["bias1"]]) or []]
            lines.append(T["b"].format(wb1=wb1, b2=p["bias2"], b=b))
        return "\n".join(lines)
    fn, xt = p["fn"], p["x_text"]
    value, e = answer_value(p, ask)
    shown = answer_text(p, ask, lang)
    lines = []
    if fn in ("sigmoid", "tanh"):
        key = "sig" if fn == "sigmoid" else "tanh"
        lines.append(T[key])
        if xt == "0" or "ln" in xt:  # x = ln r
            lines.append(T[f"{key}_ln"].format(r=ratio(xt)))
        f_value, f_exact = answer_value(p, "value")
        f_text = str(f_exact) if f_exact is not None else _fmt(f_value)
        lines.append(T["value_line"].format(name=fn, xt=xt, v=f_text))
        if ask == "derivative":
            eq = shown if shown.startswith("≈") else f"= {shown}"
            lines.append(T[f"d{key}"].format(s=f_text, t=f_text, eq=eq))
    elif fn == "relu":
        lines.append(T["relu" if ask == "value" else "drelu"].format(v=shown))
    else:
        lines.append(T["leaky" if ask == "value" else "dleaky"].format(v=shown))
    return "\n".join(lines)


def _paren(x: int) -> str:
    return f"({x})" if x < 0 else str(x)


# ---------------------------------------------------------------- generator


def misconceptions(p: dict[str, Any], ask: str) -> list[tuple[str, Any]]:
    """(id, value) of each mistake, computed by running the buggy formula."""
    if ask in ("weight", "bias"):
        part = 0 if ask == "weight" else 1
        if ask == "weight":
            return [("composed-wrong-order", collapse(p, wrong_order=True)[part])]
        return [
            ("bias-sum", collapse(p, bias_sum=True)[part]),
            ("bias-b2-only", collapse(p, bias_b2_only=True)[part]),
        ]
    fn, x, s = p["fn"], p["x"], p["negative_slope"]
    f = act if ask == "value" else dact
    out = []
    if fn in ("sigmoid", "tanh"):
        out.append(("sigmoid-tanh-swapped", f(fn, x, s, swapped=True)))
    if x < 0 and fn in ("relu", "leaky_relu"):
        out.append(("relu-abs", f(fn, x, s, abs_negative=True)))
        if fn == "leaky_relu":
            out.append(("leaky-as-relu", f(fn, x, s, as_relu=True)))
    if ask == "derivative":
        out.append(("derivative-as-value", dact(fn, x, s, as_value=True)))
        if fn in ("sigmoid", "tanh"):
            out.append(("derivative-factor-dropped", dact(fn, x, s, factor_dropped=True)))
    return out


@register
class Activations(Generator):
    id = FAMILY
    version = 2
    topic = "Activations"
    topic_zh = "激活函数"
    title = "sigmoid, tanh, ReLU, leaky ReLU: values, derivatives, and why linear layers collapse"
    title_zh = "sigmoid、tanh、ReLU、leaky ReLU：函数值、导数，以及线性层为何会合并成一层"
    formula_tex = (
        r"\sigma(x) = \frac{1}{1 + e^{-x}},\ \sigma' = \sigma(1 - \sigma),\ "
        r"\tanh' = 1 - \tanh^2;\quad W_2(W_1 x + b_1) + b_2 = (W_2 W_1)x + (W_2 b_1 + b_2)"
    )
    formula_by = "sympy"
    levels = 3
    explanations = {
        "sigmoid-tanh-swapped": (
            "sigmoid(x) = 1/(1 + e^(-x)) lies in (0, 1) with sigmoid(0) = 0.5; "
            "tanh(x) lies in (-1, 1) with tanh(0) = 0."
        ),
        "relu-abs": "ReLU(x) = max(0, x): negative inputs give 0, not |x|.",
        "leaky-as-relu": "leaky ReLU keeps a small slope for x < 0: negative_slope·x, not 0.",
        "derivative-as-value": "That is the function's value; the derivative is, e.g., "
        "sigmoid'(x) = sigmoid(x)·(1 - sigmoid(x)), tanh'(x) = 1 - tanh(x)².",
        "derivative-factor-dropped": (
            "sigmoid'(x) = sigmoid(x)·(1 - sigmoid(x)) and tanh'(x) = 1 - tanh(x)²: "
            "a factor (or the square) was dropped."
        ),
        "composed-wrong-order": (
            "Layer 1 acts first: y = W2·(W1·x), so the single weight is W2·W1, not W1·W2."
        ),
        "bias-sum": "b1 passes through layer 2 too: b = W2·b1 + b2, not b1 + b2.",
        "bias-b2-only": "b1 does not vanish: it passes through W2, so b = W2·b1 + b2.",
    }
    explanations_zh = {
        "sigmoid-tanh-swapped": (
            "sigmoid(x) = 1/(1 + e^(-x)) 的取值在 (0, 1)，sigmoid(0) = 0.5；"
            "tanh(x) 的取值在 (-1, 1)，tanh(0) = 0。"
        ),
        "relu-abs": "ReLU(x) = max(0, x)：负输入得到 0，而不是 |x|。",
        "leaky-as-relu": "leaky ReLU 在 x < 0 时保留一个小斜率：negative_slope·x，而不是 0。",
        "derivative-as-value": "这是函数值；导数是例如 sigmoid'(x) = sigmoid(x)·(1 - sigmoid(x))、"
        "tanh'(x) = 1 - tanh(x)²。",
        "derivative-factor-dropped": (
            "sigmoid'(x) = sigmoid(x)·(1 - sigmoid(x))，tanh'(x) = 1 - tanh(x)²："
            "漏掉了一个因子（或平方）。"
        ),
        "composed-wrong-order": (
            "第 1 层先作用：y = W2·(W1·x)，所以合并后的权重是 W2·W1，而不是 W1·W2。"
        ),
        "bias-sum": "b1 也要经过第 2 层：b = W2·b1 + b2，而不是 b1 + b2。",
        "bias-b2-only": "b1 不会消失：它要乘以 W2，所以 b = W2·b1 + b2。",
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        p, ask = draw_params(rng, difficulty)
        return self.build(difficulty, p, ask)

    def build(self, difficulty: int, p: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        extra: dict[str, Any] = {}
        if ask in ("weight", "bias"):
            w, b = collapse(p)
            expected: Any = w if ask == "weight" else b
            kind, result, tolerance = ("matrix" if ask == "weight" else "vector"), [w, b], None
        else:
            expected, e = answer_value(p, ask)
            kind, result, tolerance = "number", expected, TOLERANCE
            if e is not None:
                extra["exact"] = str(e)
        return self.question(
            difficulty,
            params=p,
            ask=ask,
            prompt=prompt_text(p, ask, "en"),
            kind=kind,
            expected=expected,
            result=result,
            answer=answer_text(p, ask, "en"),
            solution=solution_text(p, ask, "en"),
            tolerance=tolerance,
            misconceptions=misconceptions(p, ask),
            extra=extra,
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt_text(q.params, q.ask, "zh"),
            "answer": answer_text(q.params, q.ask, "zh"),
            "solution": solution_text(q.params, q.ask, "zh"),
        }
