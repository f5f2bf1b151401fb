"""z-score standardisation z = (x - mu) / sigma of a value against a small sample.

sigma is either the population standard deviation (divide by n, torch correction=0) or the
sample one (divide by n - 1, torch.std's default correction=1). The formula side works in
exact fractions and also states the closed form a*sqrt(b)/c next to the decimal.
"""

from __future__ import annotations

import functools
import math
import random
import re
from fractions import Fraction
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

EXAMPLES = ("-sqrt(2)/2", "3*sqrt(5)/10", "2/sqrt(3)")  # exact forms shown in the prompt
EXAMPLE_VALUES = (-math.sqrt(2) / 2, 3 * math.sqrt(5) / 10, 2 / math.sqrt(3))
SIGMA_TEXT = {
    "en": {
        0: "the population standard deviation (divide the sum of squared deviations by n, "
        "like torch.std(correction=0))",
        1: "the sample standard deviation (divide the sum of squared deviations by n - 1, "
        "like torch.std's default correction=1)",
    },
    "zh": {
        0: "总体标准差（平方偏差之和除以 n，同 torch.std(correction=0)）",
        1: "样本标准差（平方偏差之和除以 n - 1，同 torch.std 的默认值 correction=1）",
    },
}

# ---------------------------------------------------------------- formula (pure Python)
# Everything is exact integer arithmetic on n, s = sum(v) and q = sum(v^2); a rational
# p/d is a reduced pair of ints (d > 0), printed like str(Fraction(p, d)).


def sums(data: list[int]) -> tuple[int, int, int]:
    """n, sum and sum of squares: integers, so mu and sigma^2 below are exact."""
    return len(data), sum(data), sum([v * v for v in data])


def _reduced(num: int, den: int) -> tuple[int, int]:
    g = math.gcd(num, den)
    return num // g, den // g


def _ratio_text(num: int, den: int) -> str:
    """str(Fraction(num, den)) for den > 0."""
    num, den = _reduced(num, den)
    return str(num) if den == 1 else f"{num}/{den}"


def _variance(n: int, s: int, q: int, correction: int) -> tuple[int, int]:
    """sigma^2 as num / den: (n*q - s^2) / (n * (n - correction))."""
    return n * q - s * s, n * (n - correction)


def mean(data: list[int]) -> Fraction:
    return Fraction(sum(data), len(data))


def variance(data: list[int], correction: int) -> Fraction:
    """sum((v - mu)^2) / (n - correction) = (n*sum(v^2) - sum(v)^2) / (n * (n - correction))"""
    return Fraction(*_variance(*sums(data), correction))


def std(data: list[int], correction: int, *, no_sqrt: bool = False) -> float:
    return _std(*sums(data), correction, no_sqrt=no_sqrt)


def _std(n: int, s: int, q: int, correction: int, *, no_sqrt: bool = False) -> float:
    num, den = _variance(n, s, q, correction)
    return num / den if no_sqrt else math.sqrt(num / den)  # int / int: correctly rounded


def z_score(
    data: list[int],
    x: int,
    correction: int,
    *,
    wrong_correction: bool = False,
    variance_instead: bool = False,
    no_centering: bool = False,
    flip_sign: bool = False,
) -> float:
    """z = (x - mu) / sigma; the flags are the misconception variants."""
    c = 1 - correction if wrong_correction else correction
    return _z(
        *sums(data),
        x,
        c,
        variance_instead=variance_instead,
        no_centering=no_centering,
        flip_sign=flip_sign,
    )


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
    """z_score from the sums. Exact integer sums, one rounding per division:
    (n*x - s) / n and (n*q - s^2) / (n*(n - c))."""
    diff = x if no_centering else (n * x - s) / n
    if flip_sign:
        diff = -diff
    var = (n * q - s * s) / (n * (n - c))
    return diff / var if variance_instead else diff / math.sqrt(var)


def sqrt_parts(r: Fraction) -> tuple[int, int, int]:
    """sqrt(r) = a*sqrt(b)/c with b squarefree and gcd(a, c) = 1 (r >= 0)."""
    return _sqrt_parts(r.numerator, r.denominator)


def _sqrt_parts(num: int, den: int) -> tuple[int, int, int]:
    """sqrt_parts of the reduced num / den."""
    n = num * den  # sqrt(p/q) = sqrt(p*q)/q
    a, b, k = 1, 1, 2
    while k * k <= n:
        while n % (k * k) == 0:
            a, n = a * k, n // (k * k)
        if n % k == 0:
            b, n = b * k, n // k
        k += 1
    b *= n
    g = math.gcd(a, den)
    return a // g, b, den // g


def _sqrt_text(num: int, den: int, negative: bool = False) -> str:
    """The closed form of -sqrt(num/den) (negative) or sqrt(num/den), num/den >= 0."""
    a, b, c = _sqrt_parts(*_reduced(num, den))
    sign = "-" if negative else ""
    if b == 1:
        return sign + (str(a) if c == 1 else f"{a}/{c}")  # a, c coprime
    text = f"sqrt({b})" if a == 1 else f"{a}*sqrt({b})"
    return sign + (text if c == 1 else f"{text}/{c}")


def exact_text(value: Fraction, *, sqrt_of: bool = False) -> str:
    """The closed form of value (a rational) or of sign(value)*sqrt(|value|) if sqrt_of."""
    if not sqrt_of:
        return str(value)
    return _sqrt_text(abs(value.numerator), value.denominator, value < 0)


def _exact_z(n: int, s: int, q: int, x: int, correction: int) -> str:
    """z^2 = ((n*x - s) / n)^2 / sigma^2, as a signed closed form."""
    num, den = _variance(n, s, q, correction)
    diff = n * x - s
    return _sqrt_text(diff * diff * den, n * n * num, diff < 0)


def exact_z(data: list[int], x: int, correction: int) -> str:
    return _exact_z(*sums(data), x, correction)


def example_for(value: float) -> str:
    """An exact form for the prompt's example that is not the answer itself."""
    return next(e for e, v in zip(EXAMPLES, EXAMPLE_VALUES, strict=True) if abs(v - value) > 1e-6)


def display(value: float, exact: str, lang: str = "en") -> str:
    """'-0.7071 (exactly -sqrt(2)/2)', or just '-1' when the value is a whole number."""
    if "/" not in exact and "sqrt" not in exact:
        return exact
    if lang == "zh":
        return f"{value:.4f}（精确值为 {exact}）"
    return f"{value:.4f} (exactly {exact})"


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
    with whole_variance=c, sigma^2 (correction c) is a whole number too."""
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
    version = 1
    topic = "Normalization"
    title = "z-score (x - mean) / std of a value, with population or sample std"
    formula_tex = (
        r"z = \frac{x - \mu}{\sigma}, \quad \sigma = \sqrt{\frac{1}{n - c} \sum_i (x_i - \mu)^2}"
    )
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
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        ask, tolerance = "z", 0.01
        if difficulty == 1:
            data, correction = draw_data(rng, 4, 0, 10, 1, whole_variance=0), 0
        elif difficulty == 2:
            correction = rng.choice([1, 1, 0])
            data = draw_data(rng, rng.randint(5, 6), 0, 12, 1, whole_variance=correction)
        else:
            lo, hi = rng.choice([(0, 12), (-6, 6), (-3, 9)])
            data = draw_data(rng, rng.randint(5, 8), lo, hi, 2)
            correction = rng.choice([0, 1])
            ask = rng.choices(["z", "mean", "std"], [3, 1, 1])[0]
            tolerance = rng.choice([0.01, 0.001])
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
    }

    def zh(self, q: Question) -> dict[str, str]:
        p = q.params
        text = render(p["data"], p["x"], p["correction"], q.ask, q.tolerance or 0.01, "zh")
        return {k: text[k] for k in ("prompt", "answer", "solution")}

    def build(
        self,
        difficulty: int,
        data: list[int],
        x: int | None,
        correction: int,
        ask: str,
        tolerance: float,
    ) -> Question:
        """The question for given params (also used by tests for known values)."""
        text = render(data, x, correction, ask, tolerance, "en")
        n, s, q = text["sums"]
        misconceptions: list[tuple[str, float]] = []
        if ask == "mean":
            params = {"data": data, "x": None, "correction": None}
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
        )


def render(
    data: list[int], x: int | None, correction: int, ask: str, tolerance: float, lang: str
) -> dict[str, Any]:
    """The value, its closed form and the question's text in lang ("en" or "zh")."""
    zh = lang == "zh"
    n, s, q = sums(data)
    mu_num, mu_den = _reduced(s, n)  # mu = s / n
    mu_text = str(mu_num) if mu_den == 1 else f"{mu_num}/{mu_den}"
    tol = f"{tolerance:g}"
    listed = ", ".join([str(v) for v in data])
    head = f"数据：{listed}（n = {n}）\n" if zh else f"Data: {listed} (n = {n})\n"
    steps = [("均值 " if zh else "") + f"mu = ({sum_text(data)}) / {n} = {mu_text}"]
    out: dict[str, Any] = {"sums": (n, s, q)}
    if ask == "mean":
        value, exact = s / n, mu_text  # int / int: correctly rounded, like float(Fraction)
        example = "5/3" if (mu_num, mu_den) == (7, 3) else "7/3"
        if zh:
            prompt = (
                f"{head}数据的均值 mu 是多少？误差需在 ±{tol} 以内；也接受精确分数，"
                f"例如 {example}。"
            )
        else:
            prompt = (
                f"{head}What is the mean mu of the data? "
                f"Give it to within +-{tol}; an exact fraction such as {example} is accepted too."
            )
        return out | {
            "value": value,
            "exact": exact,
            "prompt": prompt,
            "answer": display(value, exact, lang),
            "solution": "\n".join(steps),
        }
    var_num, var_den = _variance(n, s, q, correction)
    # (v - mu)^2 = (v * mu_den - mu_num)^2 / mu_den^2, already in lowest terms
    deviations = [v * mu_den - mu_num for v in data]
    squares = [d * d for d in deviations]
    if mu_den == 1:
        squares_text = ", ".join([str(sq) for sq in squares])
        total = str(sum(squares))
    else:
        den = mu_den * mu_den
        squares_text = ", ".join([f"{sq}/{den}" for sq in squares])
        total = _ratio_text(sum(squares), den)
    divisor = n - correction
    if zh:
        steps.append(f"平方偏差：{squares_text}；总和 = {total}")
    else:
        steps.append(f"squared deviations: {squares_text}; sum = {total}")
    sigma, sigma_exact = _std(n, s, q, correction), _sqrt_text(var_num, var_den)
    steps.append(
        f"sigma^2 = {total} / {divisor} = {_ratio_text(var_num, var_den)}"
        + ("，" if zh else ", ")
        + f"sigma = {display(sigma, sigma_exact, lang)}"
    )
    sigma_text = SIGMA_TEXT[lang][correction]
    if ask == "std":
        example = example_for(sigma)
        if zh:
            prompt = (
                f"{head}求 sigma，这里 sigma 是{sigma_text}。误差需在 ±{tol} 以内；"
                f"也接受精确形式，例如 {example}。"
            )
        else:
            prompt = (
                f"{head}What is sigma, {sigma_text}? "
                f"Give it to within +-{tol}; an exact form such as {example} is "
                "accepted too."
            )
        return out | {
            "value": sigma,
            "exact": sigma_exact,
            "prompt": prompt,
            "answer": display(sigma, sigma_exact, lang),
            "solution": "\n".join(steps),
        }
    assert x is not None
    z, exact = _z(n, s, q, x, correction), _exact_z(n, s, q, x, correction)
    example = example_for(z)
    if zh:
        where = "" if x in data else "（x 是一个新值，不在数据中）"
        prompt = (
            f"{head}计算 x = {x} 的 z 分数{where}：z = (x - mu) / sigma，其中 mu 是数据的均值，"
            f"sigma 是{sigma_text}。\n"
            f"z 的误差需在 ±{tol} 以内；也接受精确形式，例如 {example}。"
        )
    else:
        where = "" if x in data else " (a new value, not one of the data)"
        prompt = (
            f"{head}"
            f"Compute the z-score of x = {x}{where}: z = (x - mu) / sigma, where mu is the mean "
            f"of the data and sigma is {sigma_text}.\n"
            f"Give z to within +-{tol}; an exact form such as {example} is accepted too."
        )
    mu_shown = f"({mu_text})" if mu_num < 0 else mu_text
    steps.append(f"z = ({x} - {mu_shown}) / {paren(sigma_exact)} = {display(z, exact, lang)}")
    return out | {
        "value": z,
        "exact": exact,
        "prompt": prompt,
        "answer": display(z, exact, lang),
        "solution": "\n".join(steps),
    }
