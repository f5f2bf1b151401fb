"""ten-x: reading "Nx" claims in papers. Study notes (2023-10-17): "10x" means ten times as
much; "10x less" means one tenth.

"Nx more / larger / higher" multiplies the baseline by N; "Nx less / fewer / smaller / lower"
and "reduces ... by Nx" divide it by N. "Nx faster" divides a time (hours, ms per image) and
multiplies a rate (images per second); "Nx slower" does the opposite. The claims are data
(ten_x_phrases.toml). Values are exact: Fractions on the formula side, printed as decimals.
"""

from __future__ import annotations

import random
import tomllib
from fractions import Fraction
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

FAMILY = "ten-x"
_DATA = tomllib.loads(Path(__file__).with_name("ten_x_phrases.toml").read_text(encoding="utf-8"))
QUANTITIES: dict[str, dict[str, Any]] = _DATA["quantity"]
PHRASES: dict[str, dict[str, Any]] = {p["id"]: p for p in _DATA["phrase"]}
FACTORS = {1: [2, 10], 2: [2, 3, 4, 5, 8, 10, 20, 100], 3: [1.5, 2, 2.5, 3, 4, 5, 10, 20]}

# ---------------------------------------------------------------- formula (pure Python)


def new_value(baseline: Fraction, factor: Fraction, op: str, mistake: str = "") -> Fraction:
    """The value a claim gives (mistake: "" for the right reading, else a misconception id)."""
    if mistake in ("factor-inverted", "time-vs-rate"):
        op = "div" if op == "mul" else "mul"
    if mistake == "plus-times":
        return baseline + factor * baseline
    if mistake == "minus-times":
        return baseline - factor * baseline
    if mistake == "minus-factor":
        return baseline - factor
    return baseline * factor if op == "mul" else baseline / factor


def factor_of(baseline: Fraction, new: Fraction, op: str, mistake: str = "") -> Fraction:
    """The N of a claim from the two values: new_value solved for the factor."""
    if mistake in ("factor-inverted", "time-vs-rate"):
        op = "div" if op == "mul" else "mul"
    if mistake == "plus-times":  # new = b + N·b
        return (new - baseline) / baseline
    if mistake == "minus-times":  # new = b − N·b
        return (baseline - new) / baseline
    if mistake == "minus-factor":  # new = b − N
        return baseline - new
    return new / baseline if op == "mul" else baseline / new


def mistakes(phrase: dict[str, Any]) -> list[str]:
    """The misconception ids that apply to a claim, in the order they are checked."""
    inverted = "time-vs-rate" if phrase.get("speed") else "factor-inverted"
    if phrase["op"] == "mul":
        return ["plus-times", inverted]
    return ["minus-times", "minus-factor", inverted]


def decimals(x: Fraction) -> int | None:
    """How many decimals x has (None if more than 6, or not a terminating decimal)."""
    for d in range(7):
        if (x * 10**d).denominator == 1:
            return d
    return None


def number(x: Fraction) -> int | float:
    """The JSON value of an exact decimal: an int when whole."""
    return int(x) if x.denominator == 1 else float(x)


def dec(x: Fraction) -> str:
    """An exact decimal as text: 12.5, 0.025, 3000 (rounded to 6 places if not terminating)."""
    if x.denominator == 1:
        return str(x.numerator)
    text = f"{float(x):.6f}".rstrip("0")
    return text if decimals(x) is not None else text + "…"


def tolerance_for(x: Fraction) -> float:
    d = decimals(x)
    return min(0.01, 10.0 ** -((d or 0) + 1))


# ---------------------------------------------------------------- text (en and zh in step)

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "claim": 'A paper says: "The new model {quote}."',
        "base": "The baseline's {q} is {b} {unit}.",
        "value": "Reading the claim the way papers use it, what is the new model's {q}? "
        "Answer a number in {unit_in} (within ±{tol}).",
        "both": "The baseline's {q} is {b} {unit}; the new model's is {n} {unit}.",
        "factor": "What is N? Answer a number (within ±{tol}).",
        "mul": '"{quote}" means {f} times the baseline: multiply by {f}.',
        "div": '"{quote}" means 1/{f} of the baseline: divide by {f} (do not subtract).',
        "speed_time": "Faster means less time: a time is divided by the speed-up factor, and "
        "a slow-down multiplies it.",
        "speed_rate": "Faster means more images per second: a rate is multiplied by the "
        "speed-up factor, and a slow-down divides it.",
        "calc_mul": "{b} × {f} = {n} {unit}.",
        "calc_div": "{b} / {f} = {n} {unit}.",
        "solve_mul": "new = baseline × N, so N = new / baseline = {n} / {b} = {f}.",
        "solve_div": "new = baseline / N, so N = baseline / new = {b} / {n} = {f}.",
        "answer": "Answer: {value}.",
    },
    "zh": {
        "claim": "一篇论文写道：`The new model {quote}.`（新模型{claim}）。",
        "base": "基线的{q}为 {b} {unit}。",
        "value": "按论文中这种说法的通常含义，新模型的{q}是多少？请以{unit_in}为单位回答一个数"
        "（误差 ±{tol} 以内）。",
        "both": "基线的{q}为 {b} {unit}，新模型为 {n} {unit}。",
        "factor": "N 是多少？请回答一个数（误差 ±{tol} 以内）。",
        "mul": "`{quote}` 的意思是基线的 {f} 倍：乘以 {f}。",
        "div": "`{quote}` 的意思是基线的 1/{f}：除以 {f}（不是减去）。",
        "speed_time": "更快意味着用时更少：时间要除以加速倍数，变慢则乘以倍数。",
        "speed_rate": "更快意味着每秒处理的图像更多：速率要乘以加速倍数，变慢则除以倍数。",
        "calc_mul": "{b} × {f} = {n} {unit}。",
        "calc_div": "{b} / {f} = {n} {unit}。",
        "solve_mul": "新值 = 基线 × N，所以 N = 新值 / 基线 = {n} / {b} = {f}。",
        "solve_div": "新值 = 基线 / N，所以 N = 基线 / 新值 = {b} / {n} = {f}。",
        "answer": "答案：{value}。",
    },
}


def _values(p: dict[str, Any], lang: str) -> dict[str, Any]:
    phrase = PHRASES[p["phrase"]]
    qty = QUANTITIES[phrase["quantity"]]
    f = dec(Fraction(str(p["factor"]))) if "factor" in p else "N"
    key = "" if lang == "en" else "_zh"
    b = Fraction(str(p["baseline"]))
    return {
        "quote": phrase["en"].format(f=f),
        "claim": phrase["en" if lang == "en" else "zh"].format(f=f),
        "q": qty["en" if lang == "en" else "zh"],
        "unit": qty["unit" + key],
        "unit_in": qty["unit_in" if lang == "en" else "unit_zh"],
        "b": dec(b),
        "f": f,
    }


def prompt_text(p: dict[str, Any], ask: str, tol: float, lang: str) -> str:
    t, v = TEXT[lang], _values(p, lang)
    v["tol"] = f"{tol:g}"
    if ask == "factor":
        v["n"] = dec(Fraction(str(p["new"])))
        lines = [t["claim"], t["both"], t["factor"]]
    else:
        lines = [t["claim"], t["base"], t["value"]]
    return "\n".join(lines).format(**v)


def solution_text(p: dict[str, Any], ask: str, lang: str) -> str:
    t, v = TEXT[lang], _values(p, lang)
    phrase = PHRASES[p["phrase"]]
    qty = QUANTITIES[phrase["quantity"]]
    op = phrase["op"]
    b = Fraction(str(p["baseline"]))
    if ask == "factor":
        n = Fraction(str(p["new"]))
    else:
        n = new_value(b, Fraction(str(p["factor"])), op)
    lines = []
    if phrase.get("speed"):
        lines.append(t["speed_time" if qty["type"] == "time" else "speed_rate"])
    if ask == "factor":
        v |= {"n": dec(n), "f": dec(factor_of(b, n, op))}
        lines += [t["solve_" + op]]
        value = v["f"]
    else:
        v["n"] = dec(n)
        lines += [t[op], t["calc_" + op]]
        value = v["n"]
    v["value"] = value
    lines.append(t["answer"])
    return "\n".join(lines).format(**v)


# ---------------------------------------------------------------- drawing params


def _baseline(rng: random.Random, qty: dict[str, Any], tenths: bool) -> Fraction:
    lo, hi = qty["lo"], qty["hi"]
    if tenths and hi <= 1000 and rng.random() < 0.4:
        return Fraction(rng.randint(lo * 10, hi * 10), 10)
    return Fraction(rng.randint(lo, hi))


def _nice(x: Fraction, qty: dict[str, Any], places: int) -> bool:
    d = decimals(x)
    if qty.get("integer"):
        return d == 0
    return d is not None and d <= places and x > 0


def draw_params(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    ask = "value"
    if difficulty == 3 and rng.random() < 0.3:
        ask = "factor"
        pool = [k for k, p in PHRASES.items() if p["level"] >= 2]
    else:
        pool = [k for k, p in PHRASES.items() if p["level"] <= difficulty]
        if difficulty == 3:
            pool = [k for k in pool if PHRASES[k]["level"] == 3]
    phrase_id = rng.choice(pool)
    phrase = PHRASES[phrase_id]
    qty = QUANTITIES[phrase["quantity"]]
    factors = FACTORS[difficulty]
    if difficulty == 2 and phrase["level"] == 1:  # level 1 already asks 2x and 10x
        factors = [f for f in factors if f not in FACTORS[1]]
    for _ in range(1000):
        f = Fraction(str(rng.choice(factors)))
        b = _baseline(rng, qty, difficulty > 1)
        n = new_value(b, f, phrase["op"])
        if _nice(n, qty, 2 if ask == "factor" else 3) and (ask == "value" or _nice(b, qty, 1)):
            if ask == "factor":
                return {"phrase": phrase_id, "baseline": number(b), "new": number(n)}, ask
            return {"phrase": phrase_id, "baseline": number(b), "factor": number(f)}, ask
    raise RuntimeError(f"{FAMILY}: no valid variant drawn")  # pragma: no cover


# ---------------------------------------------------------------- generator


@register
class TenX(Generator):
    id = FAMILY
    version = 1
    topic = "Reading papers"
    topic_zh = "论文用语"
    title = 'Reading "10x more", "10x less", "4x faster" in papers: compute the new value'
    title_zh = "读懂论文里的 “10x more”、“10x less”、“4x faster”：算出新的数值"
    formula_tex = (
        r"\text{Nx more: } b \cdot N, \quad \text{Nx less: } b / N, \quad "
        r"\text{Nx faster: } t / N \text{ (time)}, \ r \cdot N \text{ (rate)}"
    )
    levels = 3
    explanations = {
        "plus-times": 'In papers "10x more" means ten times as much (×10), not the baseline plus '
        "ten times it (×11).",
        "minus-times": '"10x less" means one tenth of the baseline (÷10); baseline − 10 × '
        "baseline would be negative.",
        "minus-factor": '"Nx less" (or "reduces by Nx") divides by N; it does not subtract N.',
        "factor-inverted": '"Nx more / larger / higher" multiplies by N and "Nx less / fewer / '
        'smaller / lower" divides by N: the direction was swapped.',
        "time-vs-rate": '"Nx faster" divides a time (hours, ms per image) by N but multiplies a '
        'rate (images per second) by N; "Nx slower" does the opposite.',
    }
    explanations_zh = {
        "plus-times": "论文里的 “10x more” 指是基线的 10 倍（×10），而不是在基线之上再加 10 倍"
        "（×11）。",
        "minus-times": "“10x less” 指基线的十分之一（÷10）；基线 − 10 × 基线 会得到负数。",
        "minus-factor": "“Nx less”（或 “reduces by Nx”）是除以 N，而不是减去 N。",
        "factor-inverted": "“Nx more / larger / higher” 是乘以 N，“Nx less / fewer / smaller / "
        "lower” 是除以 N：方向弄反了。",
        "time-vs-rate": "“Nx faster” 对时间（小时、每张图像的毫秒数）是除以 N，对速率（每秒图像数）"
        "是乘以 N；“Nx slower” 正好相反。",
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        params, ask = draw_params(rng, difficulty)
        return self.build(difficulty, params, ask)

    def build(self, difficulty: int, params: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        phrase = PHRASES[params["phrase"]]
        b = Fraction(str(params["baseline"]))
        if ask == "factor":
            n = Fraction(str(params["new"]))
            exact = factor_of(b, n, phrase["op"])
            wrong = [(m, factor_of(b, n, phrase["op"], m)) for m in mistakes(phrase)]
        else:
            f = Fraction(str(params["factor"]))
            exact = new_value(b, f, phrase["op"])
            wrong = [(m, new_value(b, f, phrase["op"], m)) for m in mistakes(phrase)]
        tol = tolerance_for(exact)
        value = float(exact)
        return self.question(
            difficulty,
            params=params,
            ask=ask,
            prompt=prompt_text(params, ask, tol, "en"),
            kind="number",
            expected=value,
            result=value,
            answer=dec(exact),
            solution=solution_text(params, ask, "en"),
            tolerance=tol,
            misconceptions=[(m, float(x)) for m, x in wrong],
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt_text(q.params, q.ask, q.tolerance or 0.01, "zh"),
            "answer": q.answer,
            "solution": solution_text(q.params, q.ask, "zh"),
        }
