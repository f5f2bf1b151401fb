"""star-unpacking: what a call like f(*args, **kwargs) returns, or that it raises TypeError.

Study notes (2023-10-16): add(*[1, 2]) == 3, add(*(1, 2)) == 3, add(**{'x': 1, 'y': 2}) == 3,
and a dict's keys must match the parameter names. The formula side is `bind`, a pure-Python
model of how CPython binds a call's arguments to a signature (positional slots, *args,
keywords, **kwargs, defaults) including its TypeError messages; its flags are the
misconception variants. The checker (quizzer/verify/star_unpacking.py) runs the real call.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

# the question and solution texts (en, zh) and the misconception explanations are data
DATA: dict[str, Any] = tomllib.loads(
    Path(__file__).with_name("star_unpacking.toml").read_text(encoding="utf-8")
)
TEXT: dict[str, dict[str, str]] = DATA["text"]

# A call is a list of parts [op, value]:
#   ["pos", 1]  ["kw", ["z", 3]]  ["*list", [1, 2]]  ["*tuple", [1, 2]]
#   ["*dict", [[3, 1], [4, 2]]] (the dict {3: 1, 4: 2})  ["**dict", [["x", 1], ["y", 2]]]
Call = list[list[Any]]
STAR_OPS = ("*list", "*tuple", "*dict")


@dataclass(frozen=True)
class Sig:
    positional: tuple[str, ...]
    defaulted: tuple[str, ...]  # the parameters with a default (the family's `default`)
    varargs: bool
    kwonly: tuple[str, ...]
    varkw: bool
    head: str  # the def line, {d} = the default
    body: str


FUNCS = {
    name: Sig(**{k: tuple(v) if isinstance(v, list) else v for k, v in f.items()})
    for name, f in DATA["function"].items()
}
VECTOR_FUNCS = ("g", "h")


def source(fn: str, default: int | None) -> str:
    sig = FUNCS[fn]
    return f"{sig.head.format(d=default)}\n    {sig.body}"


# ---------------------------------------------------------------- formula (pure Python)


@dataclass
class Outcome:
    value: Any  # int, list of ints (a tuple result), or None if TypeError
    error: str | None = None  # CPython's message
    error_kind: str | None = None  # multiple / unexpected / too-many / missing
    positional: list[int] = field(default_factory=list)
    keywords: list[tuple[str, int]] = field(default_factory=list)
    bound: dict[str, int] = field(default_factory=dict)
    by_default: list[str] = field(default_factory=list)
    args: list[int] = field(default_factory=list)
    kwargs: dict[str, int] = field(default_factory=dict)


def flatten(
    call: Call, *, star_dict_values: bool = False, kwargs_by_order: bool = False
) -> tuple[list[int], list[tuple[str, int]]]:
    """The positional values and (name, value) keywords that the call's unpacking produces."""
    positional: list[int] = []
    keywords: list[tuple[str, int]] = []
    for op, value in call:
        if op == "pos":
            positional.append(value)
        elif op in ("*list", "*tuple"):
            positional += value
        elif op == "*dict":  # iterating a dict gives its keys
            positional += [v if star_dict_values else k for k, v in value]
        elif op == "kw":
            keywords.append((value[0], value[1]))
        elif kwargs_by_order:  # "**dict": the buggy reading fills slots in key order
            positional += [v for _, v in value]
        else:
            keywords += [(k, v) for k, v in value]
    return positional, keywords


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _names(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def bind(
    fn: str,
    default: int | None,
    call: Call,
    *,
    star_dict_values: bool = False,
    kwargs_override: bool = False,
    kwargs_by_order: bool = False,
    extra_key_ignored: bool = False,
    default_zero: bool = False,
    positional_reversed: bool = False,
    kwonly_positional: bool = False,
) -> Outcome:
    """Bind the call to fn's signature the way CPython does (same order of checks, same
    messages) and evaluate the body; the flags switch on the misconception variants."""
    sig = FUNCS[fn]
    positional, keywords = flatten(
        call, star_dict_values=star_dict_values, kwargs_by_order=kwargs_by_order
    )
    if positional_reversed:
        positional = positional[::-1]
    names, kwonly = list(sig.positional), list(sig.kwonly)
    if kwonly_positional:
        names, kwonly = names + kwonly, []
    out = Outcome(None, positional=positional, keywords=keywords)

    def fail(kind: str, message: str) -> Outcome:
        out.error, out.error_kind = f"{fn}() {message}", kind
        return out

    out.bound = dict(zip(names, positional, strict=False))
    out.args = positional[len(names) :]
    for name, value in keywords:
        if name in names or name in kwonly:
            if name in out.bound and not kwargs_override:
                return fail("multiple", f"got multiple values for argument '{name}'")
            out.bound[name] = value
        elif sig.varkw:
            out.kwargs[name] = value
        elif not extra_key_ignored:
            return fail("unexpected", f"got an unexpected keyword argument '{name}'")
    if out.args and not sig.varargs:
        total, required = len(names), len([n for n in names if n not in sig.defaulted])
        takes = f"from {required} to {total} positional arguments"
        if required == total:
            takes = _plural(total, "positional argument")
        given = len(positional)
        return fail(
            "too-many", f"takes {takes} but {given} {'was' if given == 1 else 'were'} given"
        )
    missing = [n for n in names if n not in out.bound and n not in sig.defaulted]
    if missing:
        return fail(
            "missing",
            f"missing {_plural(len(missing), 'required positional argument')}: {_names(missing)}",
        )
    for name in names + kwonly:
        if name not in out.bound:
            out.bound[name] = 0 if default_zero else default  # type: ignore[assignment]
            out.by_default.append(name)
    out.value = evaluate(fn, out.bound, out.args, out.kwargs)
    return out


def evaluate(fn: str, b: dict[str, int], args: list[int], kwargs: dict[str, int]) -> Any:
    if fn == "add":
        return b["x"] + b["y"]
    if fn == "f":
        return b["x"] + 10 * b["y"] + 100 * b["z"]
    if fn == "g":
        return [len(args), sum(args), len(kwargs)]
    return [b["x"], len(args), b["y"], len(kwargs)]


MISCONCEPTION_FLAGS = (
    ("star-dict-values", "star_dict_values"),
    ("kwargs-override", "kwargs_override"),
    ("kwargs-by-order", "kwargs_by_order"),
    ("extra-key-ignored", "extra_key_ignored"),
    ("default-ignored", "default_zero"),
    ("positional-reversed", "positional_reversed"),
    ("kwonly-positional", "kwonly_positional"),
)


def misconceptions(fn: str, default: int | None, call: Call) -> list[tuple[str, Any]]:
    return [
        (mid, bind(fn, default, call, **{flag: True}).value) for mid, flag in MISCONCEPTION_FLAGS
    ]


# ---------------------------------------------------------------- text


def part_text(op: str, value: Any) -> str:
    if op == "pos":
        return str(value)
    if op == "kw":
        return f"{value[0]}={value[1]}"
    if op == "*list":
        return f"*{value}"
    if op == "*tuple":
        return f"*({value[0]},)" if len(value) == 1 else f"*({', '.join(map(str, value))})"
    if op == "*dict":
        return "*{" + ", ".join(f"{k}: {v}" for k, v in value) + "}"
    return "**{" + ", ".join(f"'{k}': {v}" for k, v in value) + "}"


def call_text(fn: str, call: Call) -> str:
    return f"{fn}({', '.join(part_text(op, v) for op, v in call)})"


def value_text(value: Any) -> str:
    if value is None:
        return "error"
    return "(" + ", ".join(map(str, value)) + ")" if isinstance(value, list) else str(value)


def prompt_text(p: dict[str, Any], expected: Any, lang: str) -> str:
    t = TEXT[lang]
    fn, call = p["function"], p["call"]
    if fn in VECTOR_FUNCS:
        n = 3 if fn == "g" else 4
        example = next(e for e in ([5, 0, 2, 1][:n], [1, 3, 0, 2][:n]) if e != expected)
        form = t["form_vec"].format(example=value_text(example))
    else:
        form = t["form_int"]
    ask = t["ask"].format(call=call_text(fn, call))
    return f"{source(fn, p['default'])}\n\n{ask}\n{form}"


def _tuple(values: list[int]) -> str:
    return repr(tuple(values))


def _expr(fn: str, o: Outcome) -> str:
    b = o.bound
    if fn == "add":
        return f"{b['x']} + {b['y']}"
    if fn == "f":
        return f"{b['x']} + 10*{b['y']} + 100*{b['z']}"
    args, kwargs = _tuple(o.args), o.kwargs
    if fn == "g":
        return f"(len({args}), sum({args}), len({kwargs}))"
    return f"(x, len(args), y, len(kwargs)) = ({b['x']}, len({args}), {b['y']}, len({kwargs}))"


def solution_text(p: dict[str, Any], lang: str) -> str:
    t = TEXT[lang]
    fn, call = p["function"], p["call"]
    o = bind(fn, p["default"], call)
    lines = []
    for op, value in call:
        if op in ("*list", "*tuple", "*dict"):
            vals = [k for k, _ in value] if op == "*dict" else value
            lines.append(t[op].format(part=part_text(op, value), vals=", ".join(map(str, vals))))
        elif op == "**dict":
            vals = ", ".join(f"{k}={v}" for k, v in value)
            lines.append(t[op].format(part=part_text(op, value), vals=vals))
    flat = [str(v) for v in o.positional] + [f"{k}={v}" for k, v in o.keywords]
    lines.append(t["flat"].format(flat=f"{fn}({', '.join(flat)})"))
    names = list(FUNCS[fn].positional)
    pos_pairs = [f"{n} = {v}" for n, v in zip(names, o.positional, strict=False)]
    if pos_pairs:
        lines.append(t["by_pos"].format(pairs=", ".join(pos_pairs)))
    if o.error_kind == "multiple":
        name = o.error.split("'")[1]  # type: ignore[union-attr]
        lines.append(t["multiple"].format(name=name))
    elif o.error_kind == "unexpected":
        lines.append(t["unexpected"].format(fn=f"{fn}()", name=o.error.split("'")[1]))  # type: ignore[union-attr]
    elif o.error_kind == "too-many":
        lines.append(t["too-many"].format(fn=f"{fn}()"))
    else:
        if o.args:
            lines.append(t["args"].format(args=_tuple(o.args)))
        named = [f"{k} = {v}" for k, v in o.keywords if k not in o.kwargs]
        if named:
            lines.append(t["by_name"].format(pairs=", ".join(named)))
        if o.kwargs:
            lines.append(t["kwargs"].format(pairs=o.kwargs))
        if o.error_kind == "missing":
            missing = o.error.split(": ", 1)[1]  # type: ignore[union-attr]
            lines.append(t["missing"].format(names=missing))
    if o.error is not None:
        lines.append(t["raises"].format(msg=o.error))
        return "\n".join(lines)
    if o.by_default:
        lines.append(
            t["default"].format(pairs=", ".join(f"{n} = {p['default']}" for n in o.by_default))
        )
    lines.append(t["result"].format(expr=_expr(fn, o), value=value_text(o.value)))
    return "\n".join(lines)


def answer_text(o: Outcome, lang: str) -> str:
    if o.error is None:
        return value_text(o.value)
    return f"error (TypeError: {o.error})" if lang == "en" else f"error（TypeError: {o.error}）"


# ---------------------------------------------------------------- drawing


def _digits(rng: random.Random, k: int) -> list[int]:
    return rng.sample(range(1, 10), k)


def _star(rng: random.Random, op: str, values: list[int]) -> list[Any]:
    if op == "*dict":
        keys = rng.sample([d for d in range(1, 10) if d not in values], len(values))
        return [op, [[k, v] for k, v in zip(keys, values, strict=True)]]
    return [op, values]


def _level1(rng: random.Random) -> tuple[str, int | None, Call]:
    fn = rng.choice(["add", "f"])
    default = rng.choice([0, 0, 1, 2, 3]) if fn == "f" else None
    n = 2 if fn == "add" else rng.choice([2, 3])
    vals = _digits(rng, n)
    form = rng.choice(["*list", "*tuple", "**dict", "pos+*list", "*list+kw"])
    names = ["x", "y", "z"][:n]
    if form == "**dict":
        pairs = [[k, v] for k, v in zip(names, vals, strict=True)]
        rng.shuffle(pairs)
        return fn, default, [["**dict", pairs]]
    if form == "pos+*list":
        return fn, default, [["pos", vals[0]], ["*list", vals[1:]]]
    if form == "*list+kw" and n == 3:
        return fn, default, [["*list", vals[:2]], ["kw", ["z", vals[2]]]]
    return fn, default, [[form if form != "*list+kw" else "*list", vals]]


def _random_call(rng: random.Random, fn: str, max_parts: int) -> Call:
    """A random call: an optional literal, one star part, keywords as literals or **dict."""
    names = {
        "add": ["x", "y", "z"],
        "f": ["x", "y", "z", "w"],
        "g": ["a", "b", "c"],
        "h": ["x", "y", "w", "k"],
    }[fn]
    n_pos = rng.choice([0, 0, 1])
    n_star = rng.choice([0, 1, 2, 2, 3])
    n_kw = rng.choice([0, 1, 1, 2, 2, 3])
    vals = _digits(rng, n_pos + n_star + n_kw)
    call: Call = [["pos", v] for v in vals[:n_pos]]
    if n_star:
        op = rng.choice(["*list", "*list", "*tuple", "*dict"])
        call.append(_star(rng, op, vals[n_pos : n_pos + n_star]))
    keys = rng.sample(names, n_kw)
    kw_vals = vals[n_pos + n_star :]
    in_dict = [[k, v] for k, v in zip(keys, kw_vals, strict=True) if rng.random() < 0.7]
    call += [["kw", [k, v]] for k, v in zip(keys, kw_vals, strict=True) if [k, v] not in in_dict]
    if in_dict:
        call.append(["**dict", in_dict])
    return call if len(call) <= max_parts else call[:max_parts]


def _unpacks(call: Call) -> int:
    return sum(op.startswith("*") for op, _ in call)


def _level23(rng: random.Random, difficulty: int) -> tuple[str, int | None, Call]:
    if difficulty == 2:
        fn = rng.choices(["f", "g"], [3, 1])[0]
        want_error, min_unpacks, max_parts = rng.random() < 0.35, 1, 3
    else:
        fn = rng.choice(["f", "h"])
        want_error, min_unpacks, max_parts = rng.random() < 0.4, 2, 4
    default = rng.choice([0, 1, 2, 3, 5]) if fn in ("f", "h") else None
    if fn == "g":
        want_error = False  # g accepts any arguments
    while True:
        call = _random_call(rng, fn, max_parts)
        if _unpacks(call) < min_unpacks:
            continue
        o = bind(fn, default, call)
        if (o.error is not None) != want_error:
            continue
        if difficulty == 2 and not (
            len(call) >= 2 or o.error or call[0][0] == "*dict" or fn == "g"
        ):
            continue
        return fn, default, call


def draw_params(rng: random.Random, difficulty: int) -> dict[str, Any]:
    fn, default, call = _level1(rng) if difficulty == 1 else _level23(rng, difficulty)
    return {"function": fn, "default": default, "call": call}


# ---------------------------------------------------------------- generator


@register
class StarUnpacking(Generator):
    id = "star-unpacking"
    version = 1
    topic = "Python"
    topic_zh = "程序设计"  # as quizzer/report.toml names the topic (no Latin in zh charts)
    title = "Python star-unpacking: the result of f(*args, **kwargs), or its TypeError"
    title_zh = "Python 星号解包：f(*args, **kwargs) 的结果或它抛出的 TypeError"
    formula_tex = r"f(*[a, b], **\{'z': c\}) \equiv f(a, b, z=c)"
    levels = 3
    explanations = DATA["explanations"]
    explanations_zh = DATA["explanations_zh"]

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        return self.build(difficulty, draw_params(rng, difficulty))

    def build(self, difficulty: int, params: dict[str, Any]) -> Question:
        """The question for given params (also used by the tests for known values)."""
        fn, default, call = params["function"], params["default"], params["call"]
        o = bind(fn, default, call)
        return self.question(
            difficulty,
            params=params,
            ask="value",
            prompt=prompt_text(params, o.value, "en"),
            kind="vector" if fn in VECTOR_FUNCS else "int",
            expected=o.value,
            result=o.value,
            answer=answer_text(o, "en"),
            solution=solution_text(params, "en"),
            allow_undefined=True,
            misconceptions=misconceptions(fn, default, call),
            extra={"error": o.error} if o.error else {},
        )

    def zh(self, q: Question) -> dict[str, str]:
        o = bind(q.params["function"], q.params["default"], q.params["call"])
        return {
            "prompt": prompt_text(q.params, q.expected, "zh"),
            "answer": answer_text(o, "zh"),
            "solution": solution_text(q.params, "zh"),
        }
