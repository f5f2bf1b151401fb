"""z-score standardisation z = (x - mu) / sigma of a value against a small sample, and what
torch's and NumPy's std / var return when the estimator is not named.

sigma is either the population standard deviation (divide by n, torch correction=0, NumPy's
default ddof=0) or the sample one (divide by n - 1, torch.std's default correction=1).
Asks: "z", "mean", "std" (the estimator named in words) and "code": a call such as
`torch.std(x)`, `x.var()` or `np.std(a)` whose default the learner must know; with one value,
torch's n - 1 = 0 gives nan (undefined), NumPy's n gives 0.

The exact answer and the intermediate values the solution shows are sympy closed forms
(Rational, sqrt; sympy imported lazily, inside functions); `expected` is their float.
Misconception values run the buggy rule in floats on the exact integer sums.
"""

from __future__ import annotations

import functools
import math
import random
import re
import tomllib
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

EXAMPLES = ("-sqrt(2)/2", "3*sqrt(5)/10", "2/sqrt(3)")  # exact forms shown in the prompt
EXAMPLE_VALUES = (-math.sqrt(2) / 2, 3 * math.sqrt(5) / 10, 2 / math.sqrt(3))
# the calls of "code" questions -> the correction their default applies
CALLS = {
    "torch.std(x)": 1,
    "x.std()": 1,
    "torch.var(x)": 1,
    "x.var()": 1,
    "np.std(a)": 0,
    "np.var(a)": 0,
}
TEXT: dict[str, dict[str, str]] = tomllib.loads(
    Path(__file__).with_name("z_score.toml").read_text(encoding="utf-8")
)

# ---------------------------------------------------------------- misconceptions (floats)
# The buggy rules on exact integer sums n, s = sum(v), q = sum(v^2): one rounding per
# division, so a wrong answer is a float as close to its own exact value as the right one.


def sums(data: list[int]) -> tuple[int, int, int]:
    """n, sum and sum of squares: integers, so mu and sigma^2 below are exact."""
    return len(data), sum(data), sum([v * v for v in data])


def _std(n: int, s: int, q: int, correction: int, *, no_sqrt: bool = False) -> float | None:
    """sigma (or sigma^2 with no_sqrt); None when n - correction = 0 (torch's nan)."""
    if n == correction:
        return None
    num, den = n * q - s * s, n * (n - correction)
    return num / den if no_sqrt else math.sqrt(num / den)  # int / int: correctly rounded


def _z(
    n: int,
    s: int,
    q: int,
    x: int,
    c: int,
    *,
    variance_instead: bool = False,
    no_centering: bool = False,
    flip_sign: bool = False,
) -> float:
    """z = (x - mu) / sigma; the flags are the misconception variants."""
    diff = x if no_centering else (n * x - s) / n
    if flip_sign:
        diff = -diff
    var = (n * q - s * s) / (n * (n - c))
    return diff / var if variance_instead else diff / math.sqrt(var)


# ---------------------------------------------------------------- exact forms (sympy)


@functools.lru_cache(maxsize=4096)
def exact_stats(data: tuple[int, ...], correction: int) -> tuple[Any, Any, Any]:
    """sympy's mu, sum of squared deviations and sigma^2 = sum / (n - correction) (None when
    n - correction = 0)."""
    import sympy

    n = len(data)
    mu = sympy.Rational(sum(data), n)
    total = sum([(v - mu) ** 2 for v in data], sympy.Integer(0))
    return mu, total, None if n == correction else total / (n - correction)


@functools.lru_cache(maxsize=8192)
def exact_value(data: tuple[int, ...], x: int | None, correction: int | None, what: str) -> Any:
    """sympy's exact mean, sigma, sigma^2 ("var") or z; None where it is undefined (nan)."""
    import sympy

    mu, _, var = exact_stats(data, correction or 0)
    if what == "mean":
        return mu
    if var is None:
        return None
    if what == "var":
        return var
    sigma = sympy.sqrt(var)
    return sigma if what == "std" else (x - mu) / sigma


def to_float(expr: Any) -> float:
    """The float nearest sympy's exact value (evaluated at 30 digits)."""
    return float(expr.evalf(30))


def closed_form(expr: Any) -> str:
    """sympy's text of an exact value, in the forms the answer parser reads: 7/3,
    -sqrt(2)/2, 3*sqrt(14)/16."""
    import sympy

    return sympy.sstr(expr)


def example_for(value: float | None) -> str:
    """An exact form for the prompt's example that is not the answer itself."""
    if value is None:
        return EXAMPLES[0]
    return next(e for e, v in zip(EXAMPLES, EXAMPLE_VALUES, strict=True) if abs(v - value) > 1e-6)


def display(value: float, exact: str, lang: str = "en") -> str:
    """'-0.7071 (exactly -sqrt(2)/2)', or just '-1' when the value is a whole number."""
    if "/" not in exact and "sqrt" not in exact:
        return exact
    return TEXT[lang]["exactly"].format(v=value, e=exact)


# ---------------------------------------------------------------- generation


def draw_data(
    rng: random.Random,
    n: int,
    lo: int,
    hi: int,
    mean_denominator: int,
    whole_variance: int | None = None,
) -> list[int]:
    """n integers in [lo, hi], not all equal, whose mean has the given denominator at most;
    with whole_variance=c, sigma^2 (correction c) is a whole number too. n = 1: one value."""
    if n == 1:
        return [rng.randint(lo, hi)]
    values = range(lo, hi + 1)  # at least n values, so every residue mod n is there
    last = _last_values(n, lo, hi, mean_denominator)
    while True:
        data = rng.choices(values, k=n - 1)
        # the last value makes the mean's denominator right: (sum + v) * d % n == 0
        data.append(rng.choice(last[sum(data) % n]))
        if len(set(data)) == 1:
            continue
        if whole_variance is None:
            return data
        _, s, q = sums(data)
        if (n * q - s * s) % (n * (n - whole_variance)) == 0:
            return data


@functools.cache
def _last_values(n: int, lo: int, hi: int, mean_denominator: int) -> list[list[int]]:
    """For each residue r of the first n - 1 values' sum mod n: the values v in [lo, hi],
    ascending, with (r + v) * mean_denominator % n == 0."""
    return [[v for v in range(lo, hi + 1) if (r + v) * mean_denominator % n == 0] for r in range(n)]


def draw_code(rng: random.Random, difficulty: int) -> tuple[list[int], str]:
    """The data and the call of a "code" question."""
    if difficulty == 1:
        call = rng.choice(["torch.std(x)", "x.std()", "np.std(a)"])
        return draw_data(rng, 4, 0, 10, 1, whole_variance=CALLS[call]), call
    call = rng.choice(list(CALLS))
    if difficulty == 2:
        return draw_data(rng, rng.randint(4, 6), 0, 12, 1), call
    lo, hi = rng.choice([(0, 12), (-6, 6), (-3, 9)])
    n = 1 if rng.random() < 0.25 else rng.randint(5, 8)
    return draw_data(rng, n, lo, hi, 2), call


def sum_text(values: list[int]) -> str:
    """'-5 - 5 + 2'"""
    text = str(values[0])
    for v in values[1:]:
        text += f" - {-v}" if v < 0 else f" + {v}"
    return text


_PLAIN = re.compile(r"\d+|sqrt\(\d+\)")


def paren(text: str) -> str:
    """Parenthesise a closed form unless it is a plain integer or sqrt(b)."""
    return text if _PLAIN.fullmatch(text) else f"({text})"


@register
class ZScore(Generator):
    id = "z-score"
    version = 2
    topic = "Normalization"
    title = "z-score (x - mean) / std of a value, with population or sample std"
    formula_tex = (
        r"z = \frac{x - \mu}{\sigma}, \quad \sigma = \sqrt{\frac{1}{n - c} \sum_i (x_i - \mu)^2}"
    )
    formula_by = "sympy"
    levels = 3
    explanations = {
        "z-wrong-correction": (
            "The other standard deviation was used: population sigma divides the squared "
            "deviations by n (correction=0), sample sigma by n - 1 (correction=1)."
        ),
        "z-variance": "Divide by the standard deviation sigma, not by the variance sigma^2.",
        "z-no-centering": "Subtract the mean first: z = (x - mu) / sigma, not x / sigma.",
        "z-sign": "It is x - mu, not mu - x: values below the mean get a negative z.",
        "std-no-sqrt": "That is the variance; the standard deviation is its square root.",
        "torch-default-is-n": (
            "torch.std and torch.var (and x.std(), x.var()) default to correction=1: they "
            "divide by n - 1 (the sample estimator), unlike NumPy, which divides by n. With "
            "one value that is 0 / 0: torch returns nan."
        ),
        "numpy-default-is-n-1": (
            "np.std and np.var default to ddof=0: they divide by n (the population estimator), "
            "unlike torch, whose default correction=1 divides by n - 1."
        ),
        "var-is-std": "x.var() is the variance sigma^2, not the standard deviation sigma.",
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        ask, tolerance, call = "z", 0.01, None
        if difficulty == 1:
            if rng.random() < 0.2:
                ask, (data, call) = "code", draw_code(rng, difficulty)
            else:
                data, correction = draw_data(rng, 4, 0, 10, 1, whole_variance=0), 0
        elif difficulty == 2:
            if rng.random() < 0.3:
                ask, (data, call) = "code", draw_code(rng, difficulty)
            else:
                correction = rng.choice([1, 1, 0])
                data = draw_data(rng, rng.randint(5, 6), 0, 12, 1, whole_variance=correction)
        else:
            ask = rng.choices(["z", "mean", "std", "code"], [3, 1, 1, 2])[0]
            if ask == "code":
                data, call = draw_code(rng, difficulty)
            else:
                lo, hi = rng.choice([(0, 12), (-6, 6), (-3, 9)])
                data = draw_data(rng, rng.randint(5, 8), lo, hi, 2)
                correction = rng.choice([0, 1])
            tolerance = rng.choice([0.01, 0.001])
        if call is not None:
            return self.build(difficulty, data, None, CALLS[call], ask, tolerance, call)
        x: int | None = None
        if ask == "z":
            n, s = len(data), sum(data)  # v == mu exactly when v * n == s
            if difficulty < 3 or rng.random() < 0.5:
                x = rng.choice([v for v in data if v * n != s])
            else:
                x = rng.choice(
                    [v for v in range(min(data) - 3, max(data) + 4) if v not in data and v * n != s]
                )
        return self.build(difficulty, data, x, correction, ask, tolerance)

    topic_zh = "归一化"
    title_zh = "数值的 z 分数 (x - 均值) / 标准差，使用总体标准差或样本标准差"
    explanations_zh = {
        "z-wrong-correction": (
            "用错了标准差：总体标准差把平方偏差之和除以 n（correction=0），样本标准差除以 n - 1"
            "（correction=1）。"
        ),
        "z-variance": "要除以标准差 sigma，而不是方差 sigma^2。",
        "z-no-centering": "先减去均值：z = (x - mu) / sigma，而不是 x / sigma。",
        "z-sign": "是 x - mu，不是 mu - x：低于均值的数的 z 分数为负。",
        "std-no-sqrt": "这是方差；标准差是它的平方根。",
        "torch-default-is-n": (
            "torch.std、torch.var（以及 x.std()、x.var()）默认 correction=1：除以 n - 1"
            "（样本估计），与除以 n 的 NumPy 不同。只有一个值时是 0 / 0：torch 返回 nan。"
        ),
        "numpy-default-is-n-1": (
            "np.std、np.var 默认 ddof=0：除以 n（总体估计），与默认 correction=1、"
            "除以 n - 1 的 torch 不同。"
        ),
        "var-is-std": "x.var() 是方差 sigma^2，不是标准差 sigma。",
    }

    def zh(self, q: Question) -> dict[str, str]:
        p = q.params
        text = render(
            p["data"], p["x"], p["correction"], q.ask, q.tolerance or 0.01, "zh", p.get("call")
        )
        return {k: text[k] for k in ("prompt", "answer", "solution")}

    def build(
        self,
        difficulty: int,
        data: list[int],
        x: int | None,
        correction: int | None,
        ask: str,
        tolerance: float,
        call: str | None = None,
    ) -> Question:
        """The question for given params (also used by tests for known values)."""
        text = render(data, x, correction, ask, tolerance, "en", call)
        n, s, q = sums(data)
        misconceptions: list[tuple[str, float | None]] = []
        fields: dict[str, Any] = {}
        if ask == "mean":
            params: dict[str, Any] = {"data": data, "x": None, "correction": None}
        else:
            params = {"data": data, "x": x, "correction": correction}
        if ask == "std":
            misconceptions = [
                ("z-wrong-correction", _std(n, s, q, 1 - correction)),
                ("std-no-sqrt", _std(n, s, q, correction, no_sqrt=True)),
            ]
        elif ask == "z":
            misconceptions = [
                ("z-wrong-correction", _z(n, s, q, x, 1 - correction)),
                ("z-variance", _z(n, s, q, x, correction, variance_instead=True)),
                ("z-no-centering", _z(n, s, q, x, correction, no_centering=True)),
                ("z-sign", _z(n, s, q, x, correction, flip_sign=True)),
            ]
        elif ask == "code":
            params["call"] = call
            var = call.endswith(("var(x)", "var()", "var(a)"))
            other = "torch-default-is-n" if correction == 1 else "numpy-default-is-n-1"
            misconceptions = [(other, _std(n, s, q, 1 - correction, no_sqrt=var))]
            if var:
                misconceptions.append(("var-is-std", _std(n, s, q, correction)))
            else:
                misconceptions.append(("std-no-sqrt", _std(n, s, q, correction, no_sqrt=True)))
            # with one value torch's default gives nan, shown as "undefined"
            fields["allow_undefined"] = difficulty == 3
        return self.question(
            difficulty,
            params=params,
            ask=ask,
            prompt=text["prompt"],
            kind="number",
            expected=text["value"],
            result=text["value"],
            answer=text["answer"],
            solution=text["solution"],
            tolerance=tolerance,
            extra={"exact": text["exact"]},
            misconceptions=misconceptions,
            **fields,
        )


def render(
    data: list[int],
    x: int | None,
    correction: int | None,
    ask: str,
    tolerance: float,
    lang: str,
    call: str | None = None,
) -> dict[str, Any]:
    """The value, its closed form and the question's text in lang ("en" or "zh")."""
    T = TEXT[lang]
    key = tuple(data)
    n = len(data)
    tol = f"{tolerance:g}"
    head = T["head"].format(listed=", ".join([str(v) for v in data]), n=n)
    mu, total, var = exact_stats(key, correction or 0)
    mu_text = closed_form(mu)
    steps = [T["mu_step"].format(terms=sum_text(data), n=n, mu=mu_text)]
    if ask == "mean":
        value, exact = to_float(mu), mu_text
        example = "5/3" if mu_text == "7/3" else "7/3"
        return {
            "value": value,
            "exact": exact,
            "prompt": T["mean_prompt"].format(head=head, tol=tol, ex=example),
            "answer": display(value, exact, lang),
            "solution": "\n".join(steps),
        }
    squares = ", ".join([closed_form((v - mu) ** 2) for v in data])
    steps.append(T["squares"].format(squares=squares, total=closed_form(total)))
    divisor = n - correction
    if ask == "code":
        return _render_code(data, call, correction, tol, lang, steps, total)
    sigma_expr = exact_value(key, x, correction, "std")
    sigma, sigma_exact = to_float(sigma_expr), closed_form(sigma_expr)
    steps.append(
        T["sigma_step"].format(
            total=closed_form(total),
            div=divisor,
            var=closed_form(var),
            sigma=display(sigma, sigma_exact, lang),
        )
    )
    sigma_text = T[f"sigma{correction}"]
    if ask == "std":
        return {
            "value": sigma,
            "exact": sigma_exact,
            "prompt": T["std_prompt"].format(
                head=head, sigma=sigma_text, tol=tol, ex=example_for(sigma)
            ),
            "answer": display(sigma, sigma_exact, lang),
            "solution": "\n".join(steps),
        }
    assert x is not None
    z_expr = exact_value(key, x, correction, "z")
    z, exact = to_float(z_expr), closed_form(z_expr)
    where = "" if x in data else T["new_value"]
    prompt = T["z_prompt"].format(
        head=head, x=x, where=where, sigma=sigma_text, tol=tol, ex=example_for(z)
    )
    mu_shown = f"({mu_text})" if mu < 0 else mu_text
    steps.append(
        T["z_step"].format(x=x, mu=mu_shown, sigma=paren(sigma_exact), z=display(z, exact, lang))
    )
    return {
        "value": z,
        "exact": exact,
        "prompt": prompt,
        "answer": display(z, exact, lang),
        "solution": "\n".join(steps),
    }


def _render_code(
    data: list[int],
    call: str | None,
    correction: int,
    tol: str,
    lang: str,
    steps: list[str],
    total: Any,
) -> dict[str, Any]:
    """The text of a "code" question: the call is shown, its default estimator is not."""
    assert call is not None
    T = TEXT[lang]
    key, n = tuple(data), len(data)
    numpy = call.startswith("np.")
    fn = "var" if "var" in call else "std"
    value_expr = exact_value(key, None, correction, fn)
    value = None if value_expr is None else to_float(value_expr)
    exact = None if value_expr is None else closed_form(value_expr)
    if numpy:
        code = T["code_numpy"].format(ints=", ".join([str(v) for v in data]), call=call)
    else:
        code = T["code_torch"].format(floats=", ".join([f"{v}." for v in data]), call=call)
    prompt = code + T["code_prompt"].format(call=call, tol=tol, ex=example_for(value))
    if n == 1:
        prompt += T["nan_note"]
    lines = [T["default_numpy" if numpy else "default_torch"].format(call=call), *steps]
    div = n - correction
    if value is None:
        lines.append(T["nan_step"].format(call=call, fn=fn))
        answer = T["nan_answer"]
    else:
        var_expr = exact_value(key, None, correction, "var")
        shown = display(value, exact, lang)
        if fn == "var":
            lines.append(
                T["var_step"].format(call=call, total=closed_form(total), div=div, var=shown)
            )
        else:
            lines.append(
                T["std_step"].format(
                    call=call,
                    total=closed_form(total),
                    div=div,
                    var=closed_form(var_expr),
                    sigma=shown,
                )
            )
        answer = shown
    other_expr = exact_value(key, None, 1 - correction, fn)
    other = (
        T["nan_answer"]
        if other_expr is None
        else display(to_float(other_expr), closed_form(other_expr), lang)
    )
    lines.append(T["other_numpy" if numpy else "other_torch"].format(fn=fn, other=other))
    return {
        "value": value,
        "exact": exact,
        "prompt": prompt,
        "answer": answer,
        "solution": "\n".join(lines),
    }
