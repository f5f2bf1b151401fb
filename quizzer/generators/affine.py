"""Affine transformation y = A·x + b: one linear map (multiply by a matrix A) plus one
translation (add a vector b), as torch's nn.Linear computes it (y = x @ weight.T + bias).

Asks: the output vector, one component, a batch of inputs (rows of X: Y = X·Aᵀ + b), the
shape of nn.Linear(n, m).weight (a map from R^n to R^m: (m, n)), and whether x ↦ A·x + b is
linear (only when b = 0). Misconception values come from running the buggy formula: x·A
instead of A·x, b forgotten, b subtracted, the weight shape swapped.
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

Matrix = list[list[int]]
YES_NO = ("yes", "no")
YES_NO_ALIASES = {
    "y": "yes",
    "true": "yes",
    "linear": "yes",
    "是": "yes",
    "是的": "yes",
    "对": "yes",
    "线性": "yes",
    "n": "no",
    "false": "no",
    "not linear": "no",
    "nonlinear": "no",
    "affine": "no",
    "否": "no",
    "不是": "no",
    "不": "no",
    "非线性": "no",
}

# ---------------------------------------------------------------- formula (pure Python)


def matvec(a: Matrix, x: list[int], *, transposed: bool = False) -> list[int] | None:
    """A·x (row i of A dotted with x); transposed=True: x·A (x as a row times A), which is
    Aᵀ·x and needs len(x) == rows of A. None where the sizes do not fit."""
    rows = [list(col) for col in zip(*a, strict=True)] if transposed else a
    if len(rows[0]) != len(x):
        return None
    return [sum([r * v for r, v in zip(row, x, strict=True)]) for row in rows]


def affine(
    a: Matrix,
    x: list[int],
    b: list[int],
    *,
    transposed: bool = False,
    no_bias: bool = False,
    bias_sign: int = 1,
) -> list[int] | None:
    """y = A·x + b; the flags are the misconception variants."""
    ax = matvec(a, x, transposed=transposed)
    if ax is None or len(ax) != len(b):
        return None
    if no_bias:
        return ax
    return [v + bias_sign * c for v, c in zip(ax, b, strict=True)]


def affine_batch(a: Matrix, xs: Matrix, b: list[int], **flags: Any) -> Matrix | None:
    """Each row x of X mapped to A·x + b: Y = X·Aᵀ + b, what nn.Linear does to a batch."""
    rows = [affine(a, x, b, **flags) for x in xs]
    return None if any(r is None for r in rows) else rows  # type: ignore[return-value]


def weight_shape(in_features: int, out_features: int, *, swapped: bool = False) -> list[int]:
    """nn.Linear(in_features, out_features).weight.shape: (out, in), as A is m × n."""
    return [in_features, out_features] if swapped else [out_features, in_features]


def is_linear(b: list[int]) -> str:
    """x ↦ A·x + b is linear exactly when b = 0 (then f(0) = 0 and f(u + v) = f(u) + f(v))."""
    return "yes" if all(v == 0 for v in b) else "no"


# ---------------------------------------------------------------- drawing

VALUES = range(-3, 6)


def _matrix(rng: random.Random, rows: int, cols: int) -> Matrix:
    return [[rng.choice(VALUES) for _ in range(cols)] for _ in range(rows)]


def _vector(rng: random.Random, n: int, nonzero: bool = True) -> list[int]:
    while True:
        v = [rng.choice(VALUES) for _ in range(n)]
        if not nonzero or any(v):
            return v


def draw_params(rng: random.Random, difficulty: int) -> tuple[str, dict[str, Any]]:
    if difficulty == 1:
        m = n = 2
        ask = "output"
    elif difficulty == 2:
        m, n = rng.choice([(2, 3), (3, 2), (3, 3), (2, 2)])
        ask = rng.choices(["output", "component", "weight_shape", "linear"], [4, 3, 2, 2])[0]
    else:
        m, n = rng.choice([(3, 3), (2, 3), (3, 2), (2, 4), (4, 3)])
        ask = rng.choices(["batch", "output", "weight_shape", "linear"], [4, 2, 2, 2])[0]
    if ask == "weight_shape":
        if difficulty == 3:
            n, m = rng.choice([(784, 128), (128, 10), (512, 256), (3, 64), (20, 30)])
        return ask, {"in_features": n, "out_features": m}
    params: dict[str, Any] = {"weight": _matrix(rng, m, n)}
    if ask == "linear":
        params["bias"] = [0] * m if rng.random() < 0.5 else _vector(rng, m)
        return ask, params
    params["bias"] = _vector(rng, m)
    if ask == "batch":
        params["input"] = [_vector(rng, n, nonzero=False) for _ in range(2)]
    else:
        params["input"] = _vector(rng, n)
    if ask == "component":
        params["index"] = rng.randrange(m)
    return ask, params


# ---------------------------------------------------------------- text (en and zh)

_TEXT = tomllib.loads(Path(__file__).with_name("affine.toml").read_text(encoding="utf-8"))
T = {lang: {k: v[i] for k, v in _TEXT["text"].items()} for i, lang in enumerate(("en", "zh"))}


def _n(v: int) -> str:
    return f"({v})" if v < 0 else str(v)


def fmt_answer(ask: str, value: Any) -> str:
    if ask == "weight_shape":
        return "(" + ", ".join(map(str, value)) + ")"
    return str(value)


def example(ask: str, expected: Any) -> str:
    """An example answer form for the prompt that is not the answer itself."""
    if ask == "batch":
        forms = [[[1, 2], [3, 4]], [[0, 5], [2, -1]]]
    else:
        forms = [[1, 2], [4, -1]]
    return str(next(f for f in forms if f != expected))


def prompt_text(ask: str, p: dict[str, Any], difficulty: int, expected: Any, lang: str) -> str:
    t = T[lang]
    if ask == "weight_shape":
        key = "weight_shape3" if difficulty == 3 else "weight_shape2"
        return t[key].format(n=p["in_features"], m=p["out_features"])
    a, b = p["weight"], p["bias"]
    m, n = len(a), len(a[0])
    head = t["given"].format(A=a, b=b, m=m, n=n)
    ex = example(ask, expected)
    if ask == "linear":
        return head + t["linear3" if difficulty == 3 else "linear"].format(n=n, m=m)
    if ask == "batch":
        return (
            head
            + t["X"].format(X=p["input"], B=len(p["input"]))
            + t["batch"].format(n=n, m=m, ex=ex)
        )
    head += t["x"].format(x=p["input"])
    if ask == "component":
        return head + t["component"].format(i=p["index"])
    return head + t["output3" if difficulty == 3 else "output"].format(n=n, m=m, ex=ex)


def _rows(t: dict[str, str], a: Matrix, x: list[int], b: list[int], only: int | None) -> list[str]:
    lines = []
    for i, row in enumerate(a):
        if only is not None and i != only:
            continue
        terms = " + ".join(f"{_n(r)}·{_n(v)}" for r, v in zip(row, x, strict=True))
        yi = sum(r * v for r, v in zip(row, x, strict=True)) + b[i]
        lines.append("  " + t["sol_row"].format(i=i, terms=terms, bi=b[i], yi=yi))
    return lines


def solution_text(ask: str, p: dict[str, Any], expected: Any, lang: str) -> str:
    t = T[lang]
    if ask == "weight_shape":
        lines = [t["sol_shape"].format(n=p["in_features"], m=p["out_features"])]
    elif ask == "linear":
        lines = [t["sol_zero"] if is_linear(p["bias"]) == "yes" else t["sol_nonzero"]]
    elif ask == "batch":
        lines = [t["sol_batch"]]
        for k, x in enumerate(p["input"]):
            lines.append(t["sol_input"].format(k=k, x=x))
            lines += _rows(t, p["weight"], x, p["bias"], None)
    else:
        only = p["index"] if ask == "component" else None
        lines = [t["sol_ax"], *_rows(t, p["weight"], p["input"], p["bias"], only)]
    lines.append(t["answer"].format(a=fmt_answer(ask, expected)))
    return "\n".join(lines)


# ---------------------------------------------------------------- generator


@register
class Affine(Generator):
    id = "affine"
    version = 1
    topic = "Linear maps"
    topic_zh = "线性映射"
    title = "Affine map y = A·x + b (nn.Linear): output, weight shape, linear or not"
    title_zh = "仿射变换 y = A·x + b（nn.Linear）：输出、权重形状、是否线性"
    formula_tex = r"y = A x + b, \quad A \in \mathbb{R}^{m \times n},\ x \in \mathbb{R}^n"
    levels = 3
    explanations = {k: v[0] for k, v in _TEXT["explain"].items()}
    explanations_zh = {k: v[1] for k, v in _TEXT["explain"].items()}

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        ask, params = draw_params(rng, difficulty)
        return self.build(difficulty, ask, params)

    def build(self, difficulty: int, ask: str, p: dict[str, Any]) -> Question:
        """The question for given params (also used by the tests for known values)."""
        misconceptions: list[tuple[str, Any]] = []
        kind, choices, extra = "vector", (), {}
        if ask == "weight_shape":
            n, m = p["in_features"], p["out_features"]
            result = expected = weight_shape(n, m)
            kind = "shape"
            misconceptions.append(("linear-weight-shape-swapped", weight_shape(n, m, swapped=True)))
        elif ask == "linear":
            result = expected = is_linear(p["bias"])
            kind, choices, extra = "choice", YES_NO, {"aliases": dict(YES_NO_ALIASES)}
            wrong = "affine-is-linear" if expected == "no" else "linear-denied"
            misconceptions.append((wrong, "yes" if expected == "no" else "no"))
        else:
            a, b, x = p["weight"], p["bias"], p["input"]
            fn: Any = affine_batch if ask == "batch" else affine
            result = fn(a, x, b)
            variants = {
                "affine-transposed": fn(a, x, b, transposed=True),
                "affine-no-bias": fn(a, x, b, no_bias=True),
                "affine-bias-subtracted": fn(a, x, b, bias_sign=-1),
            }
            if ask == "component":
                i = p["index"]
                expected, kind = result[i], "int"
                variants = {k: None if v is None else v[i] for k, v in variants.items()}
            else:
                expected = result
                kind = "matrix" if ask == "batch" else "vector"
            misconceptions += [(k, v) for k, v in variants.items() if v is not None]
        return self.question(
            difficulty,
            params=p,
            ask=ask,
            prompt=prompt_text(ask, p, difficulty, expected, "en"),
            kind=kind,
            expected=expected,
            result=result,
            answer=fmt_answer(ask, expected),
            solution=solution_text(ask, p, expected, "en"),
            choices=choices,
            misconceptions=misconceptions,
            extra=extra,
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt_text(q.ask, q.params, q.difficulty, q.expected, "zh"),
            "answer": fmt_answer(q.ask, q.expected),
            "solution": solution_text(q.ask, q.params, q.expected, "zh"),
        }
