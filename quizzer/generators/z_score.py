"""z-score standardisation z = (x - mu) / sigma of a value against a small sample.

sigma is either the population standard deviation (divide by n, torch correction=0) or the
sample one (divide by n - 1, torch.std's default correction=1). The formula side works in
exact fractions and also states the closed form a*sqrt(b)/c next to the decimal.
"""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction

from quizzer.generators import Generator, register
from quizzer.question import Question

EXAMPLES = ("-sqrt(2)/2", "3*sqrt(5)/10", "2/sqrt(3)")  # exact forms shown in the prompt
EXAMPLE_VALUES = (-math.sqrt(2) / 2, 3 * math.sqrt(5) / 10, 2 / math.sqrt(3))
SIGMA_TEXT = {
    0: "the population standard deviation (divide the sum of squared deviations by n, "
    "like torch.std(correction=0))",
    1: "the sample standard deviation (divide the sum of squared deviations by n - 1, "
    "like torch.std's default correction=1)",
}

# ---------------------------------------------------------------- formula (pure Python)


def sums(data: list[int]) -> tuple[int, int, int]:
    """n, sum and sum of squares: integers, so mu and sigma^2 below are exact."""
    return len(data), sum(data), sum(v * v for v in data)


def mean(data: list[int]) -> Fraction:
    return Fraction(sum(data), len(data))


def variance(data: list[int], correction: int) -> Fraction:
    """sum((v - mu)^2) / (n - correction) = (n*sum(v^2) - sum(v)^2) / (n * (n - correction))"""
    n, s, q = sums(data)
    return Fraction(n * q - s * s, n * (n - correction))


def std(data: list[int], correction: int, *, no_sqrt: bool = False) -> float:
    var = variance(data, correction)
    return float(var) if no_sqrt else math.sqrt(var)


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
    """z = (x - mu) / sigma; the flags are the misconception variants.

    Exact integer sums, one rounding per division: (n*x - s) / n and (n*q - s^2) / (n*(n - c)).
    """
    c = 1 - correction if wrong_correction else correction
    n, s, q = sums(data)
    diff = x if no_centering else (n * x - s) / n
    if flip_sign:
        diff = -diff
    var = (n * q - s * s) / (n * (n - c))
    return diff / var if variance_instead else diff / math.sqrt(var)


def sqrt_parts(r: Fraction) -> tuple[int, int, int]:
    """sqrt(r) = a*sqrt(b)/c with b squarefree and gcd(a, c) = 1 (r >= 0)."""
    n = r.numerator * r.denominator  # sqrt(p/q) = sqrt(p*q)/q
    a, b, k = 1, 1, 2
    while k * k <= n:
        while n % (k * k) == 0:
            a, n = a * k, n // (k * k)
        if n % k == 0:
            b, n = b * k, n // k
        k += 1
    b *= n
    c = r.denominator
    g = math.gcd(a, c)
    return a // g, b, c // g


def exact_text(value: Fraction, *, sqrt_of: bool = False) -> str:
    """The closed form of value (a rational) or of sign(value)*sqrt(|value|) if sqrt_of."""
    sign = "-" if value < 0 else ""
    if not sqrt_of:
        return str(value)
    a, b, c = sqrt_parts(abs(value))
    if b == 1:
        return sign + str(Fraction(a, c))
    num = f"sqrt({b})" if a == 1 else f"{a}*sqrt({b})"
    return sign + (num if c == 1 else f"{num}/{c}")


def exact_z(data: list[int], x: int, correction: int) -> str:
    n, s, _ = sums(data)
    diff = Fraction(n * x - s, n)
    square = diff * diff / variance(data, correction)
    return exact_text(square if diff >= 0 else -square, sqrt_of=True)


def example_for(value: float) -> str:
    """An exact form for the prompt's example that is not the answer itself."""
    return next(e for e, v in zip(EXAMPLES, EXAMPLE_VALUES, strict=True) if abs(v - value) > 1e-6)


def display(value: float, exact: str) -> str:
    """'-0.7071 (exactly -sqrt(2)/2)', or just '-1' when the value is a whole number."""
    if "/" not in exact and "sqrt" not in exact:
        return exact
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
    while True:
        data = rng.choices(values, k=n - 1)
        head = sum(data)  # the last value makes the mean's denominator right
        data.append(rng.choice([v for v in values if (head + v) * mean_denominator % n == 0]))
        _, s, q = sums(data)
        if len(set(data)) == 1:
            continue
        if whole_variance is None or (n * q - s * s) % (n * (n - whole_variance)) == 0:
            return data


def sum_text(values: list[int]) -> str:
    """'-5 - 5 + 2'"""
    text = str(values[0])
    for v in values[1:]:
        text += f" - {-v}" if v < 0 else f" + {v}"
    return text


def paren(text: str) -> str:
    """Parenthesise a closed form unless it is a plain integer or sqrt(b)."""
    return text if re.fullmatch(r"\d+|sqrt\(\d+\)", text) else f"({text})"


@register
class ZScore(Generator):
    id = "z-score"
    version = 1
    topic = "Normalization"
    title = "z-score (x - mean) / std of a value, with population or sample std"
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
        mu = mean(data)
        x: int | None = None
        if ask == "z":
            if difficulty < 3 or rng.random() < 0.5:
                x = rng.choice([v for v in data if v != mu])
            else:
                x = rng.choice(
                    [v for v in range(min(data) - 3, max(data) + 4) if v not in data and v != mu]
                )
        return self.build(difficulty, data, x, correction, ask, tolerance)

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
        n, mu = len(data), mean(data)
        tol = f"{tolerance:g}"
        listed = ", ".join(str(v) for v in data)
        steps = [f"mu = ({sum_text(data)}) / {n} = {mu}"]
        if ask == "mean":
            value, exact = float(mu), exact_text(mu)
            example = "5/3" if mu == Fraction(7, 3) else "7/3"
            prompt = (
                f"Data: {listed} (n = {n})\nWhat is the mean mu of the data? "
                f"Give it to within +-{tol}; an exact fraction such as {example} is accepted too."
            )
            params = {"data": data, "x": None, "correction": None}
            return self.question(
                difficulty,
                params=params,
                ask="mean",
                prompt=prompt,
                kind="number",
                expected=value,
                result=value,
                answer=display(value, exact),
                solution="\n".join(steps),
                tolerance=tolerance,
                extra={"exact": exact},
            )
        var = variance(data, correction)
        if mu.denominator == 1:
            squares: list[int] | list[Fraction] = [(v - mu.numerator) ** 2 for v in data]
        else:
            squares = [(v - mu) ** 2 for v in data]
        divisor = n - correction
        steps.append(
            f"squared deviations: {', '.join(str(s) for s in squares)}; sum = {sum(squares)}"
        )
        sigma, sigma_exact = math.sqrt(var), exact_text(var, sqrt_of=True)
        steps.append(
            f"sigma^2 = {sum(squares)} / {divisor} = {var}, sigma = {display(sigma, sigma_exact)}"
        )
        params = {"data": data, "x": x, "correction": correction}
        if ask == "std":
            prompt = (
                f"Data: {listed} (n = {n})\nWhat is sigma, {SIGMA_TEXT[correction]}? "
                f"Give it to within +-{tol}; an exact form such as {example_for(sigma)} is "
                "accepted too."
            )
            return self.question(
                difficulty,
                params=params,
                ask="std",
                prompt=prompt,
                kind="number",
                expected=sigma,
                result=sigma,
                answer=display(sigma, sigma_exact),
                solution="\n".join(steps),
                tolerance=tolerance,
                extra={"exact": sigma_exact},
                misconceptions=[
                    ("z-wrong-correction", std(data, 1 - correction)),
                    ("std-no-sqrt", std(data, correction, no_sqrt=True)),
                ],
            )
        assert x is not None
        z, exact = z_score(data, x, correction), exact_z(data, x, correction)
        where = "" if x in data else " (a new value, not one of the data)"
        prompt = (
            f"Data: {listed} (n = {n})\n"
            f"Compute the z-score of x = {x}{where}: z = (x - mu) / sigma, where mu is the mean "
            f"of the data and sigma is {SIGMA_TEXT[correction]}.\n"
            f"Give z to within +-{tol}; an exact form such as {example_for(z)} is accepted too."
        )
        mu_text = f"({mu})" if mu < 0 else str(mu)
        steps.append(f"z = ({x} - {mu_text}) / {paren(sigma_exact)} = {display(z, exact)}")
        return self.question(
            difficulty,
            params=params,
            ask="z",
            prompt=prompt,
            kind="number",
            expected=z,
            result=z,
            answer=display(z, exact),
            solution="\n".join(steps),
            tolerance=tolerance,
            extra={"exact": exact},
            misconceptions=[
                ("z-wrong-correction", z_score(data, x, correction, wrong_correction=True)),
                ("z-variance", z_score(data, x, correction, variance_instead=True)),
                ("z-no-centering", z_score(data, x, correction, no_centering=True)),
                ("z-sign", z_score(data, x, correction, flip_sign=True)),
            ],
        )
