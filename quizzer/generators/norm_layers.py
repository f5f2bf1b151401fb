"""BatchNorm versus LayerNorm: which values share a mean and variance, and what comes out.

In training mode nn.BatchNorm1d/2d normalizes each channel (dim 1) across the samples of the
batch (and the positions L or H, W): statistics over every dim but dim 1, one mean per channel.
nn.LayerNorm(normalized_shape) normalizes each sample over its last len(normalized_shape) dims.
Both compute y = (x - mean) / sqrt(var + eps) with the biased variance (divide by n); a fresh
layer has weight 1 and bias 0. BatchNorm's running_mean / running_var start at 0 / 1 and move
with momentum 0.1 towards the batch mean / the unbiased batch variance (divide by n - 1).

In eval mode (after layer.eval()) BatchNorm normalizes with running_mean / running_var instead;
the "inference" ask gives a trained layer's running statistics and shows prediction code with
or without layer.eval() (the classic forgotten model.eval(): torch.no_grad() does not switch
modes, so the batch's own statistics are used, and a batch of one sample raises).

A tensor is a flat row-major list plus its shape; a group is the flat positions that share one
mean. The answers (normalized values, running statistics) are sympy closed forms (sympy is
imported lazily, inside functions) and their floats; misconception values come from the same
rules in floats with the wrong dims, variance, eps or statistics.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import tomllib
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

MOMENTUM = 0.1
DEFAULT_EPS = 1e-5
SHORT = 20  # closed forms up to this many characters are shown next to the decimal

# ---------------------------------------------------------------- formula (pure Python)


def shape_of(x: Any) -> list[int]:
    shape = []
    while isinstance(x, list):
        shape.append(len(x))
        x = x[0]
    return shape


def flatten(x: Any) -> list[int]:
    return [v for item in x for v in flatten(item)] if isinstance(x, list) else [x]


def unflatten(flat: list[Any], shape: list[int]) -> Any:
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [unflatten(flat[i : i + step], shape[1:]) for i in range(0, len(flat), step)]


def k_of(p: dict[str, Any]) -> int:
    return len(p.get("normalized_shape") or [1])


def norm_dims(layer: str, ndim: int, k: int = 1, *, swapped: bool = False) -> list[int]:
    """The dims the statistics run over. BatchNorm: all but the channel dim 1; LayerNorm: the
    last k = len(normalized_shape). swapped: the other layer's rule (for LN, all but its first
    normalized dim, one mean per feature; for BN, all but the batch dim 0, one per sample)."""
    if layer.startswith("BatchNorm"):
        keep = 0 if swapped else 1
        return [d for d in range(ndim) if d != keep]
    if swapped:
        return [d for d in range(ndim) if d != ndim - k]
    return list(range(ndim - k, ndim))


@functools.cache
def groups(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """Flat positions grouped by their indices on the dims NOT in `dims` (one group per mean)."""
    out: dict[tuple[int, ...], list[int]] = {}
    for flat, idx in enumerate(itertools.product(*[range(s) for s in shape])):
        out.setdefault(tuple(i for d, i in enumerate(idx) if d not in dims), []).append(flat)
    return tuple(tuple(g) for g in out.values())


def moments(values: list[int], correction: int = 0) -> tuple[int, int, int, int]:
    """n, sum, and the variance (divide by n - correction) as num / den, exact integers."""
    n, s, q = len(values), sum(values), sum([v * v for v in values])
    return n, s, n * q - s * s, n * (n - correction)


def normalize(
    flat: list[int],
    gs: tuple[tuple[int, ...], ...],
    eps: float,
    *,
    correction: int = 0,
    running: bool = False,
    only: set[int] | None = None,
) -> list[float | None]:
    """(x - mean) / sqrt(var + eps) over each group; running=True uses a fresh layer's running
    statistics (mean 0, variance 1) instead of the batch's. With `only`, just the groups that
    hold those flat positions (the others stay None)."""
    out: list[float | None] = [None] * len(flat)
    for g in gs:
        if only is not None and only.isdisjoint(g):
            continue
        values = [flat[i] for i in g]
        n, s, num, den = (1, 0, 1, 1) if running else moments(values, correction)
        scale = math.sqrt(num / den + eps)
        for i, v in zip(g, values, strict=True):
            out[i] = (n * v - s) / n / scale
    return out


Flat = tuple[list[int], list[int]]  # (flat values, shape)


def layer_output(
    p: dict[str, Any],
    t: Flat | None = None,
    only: set[int] | None = None,
    *,
    swapped: bool = False,
    correction: int = 0,
    eps: float | None = None,
    running: bool = False,
) -> list[float | None] | None:
    """The layer's flat output (t: the input already flattened); swapped: the other layer's
    dims. None where BatchNorm in training mode has one value per channel (torch raises)."""
    flat, shape = t or (flatten(p["input"]), shape_of(p["input"]))
    dims = norm_dims(p["layer"], len(shape), k_of(p), swapped=swapped)
    size = math.prod([shape[d] for d in dims])
    if p["layer"].startswith("BatchNorm") and size == 1 and not running:
        return None  # torch: "Expected more than 1 value per channel when training"
    if size <= correction:
        return None
    eps = p["eps"] if eps is None else eps
    gs = groups(tuple(shape), tuple(dims))
    return normalize(flat, gs, eps, correction=correction, running=running, only=only)


def running_stat(p: dict[str, Any], *, momentum: float = MOMENTUM, biased: bool = False) -> float:
    """running_mean[c] or running_var[c] after one training-mode forward pass of a fresh layer:
    (1 - momentum) * start + momentum * batch statistic, the variance unbiased (n - 1)."""
    shape, flat = shape_of(p["input"]), flatten(p["input"])
    group = groups(tuple(shape), tuple(norm_dims(p["layer"], len(shape))))[p["index"][0]]
    n, s, num, den = moments([flat[i] for i in group], 0 if biased else 1)
    if p["stat"] == "running_mean":
        return momentum * s / n
    return (1 - momentum) * 1.0 + momentum * num / den


def inference_output(
    p: dict[str, Any], *, eval_mode: bool | None = None, sqrt: bool = True, eps: float | None = None
) -> list[float | None] | None:
    """The flat output of a trained BatchNorm1d with the given running statistics: in eval mode
    (x - running_mean) / sqrt(running_var + eps) per channel, in training mode the batch's own
    statistics (None for a batch of one). sqrt=False: divided by running_var + eps itself."""
    eval_mode = p["eval"] if eval_mode is None else eval_mode
    eps = p["eps"] if eps is None else eps
    if not eval_mode:
        return layer_output(p, eps=eps)
    flat, shape = flatten(p["input"]), shape_of(p["input"])
    out: list[float | None] = []
    for i, v in enumerate(flat):
        c = i % shape[1]
        scale = p["running_var"][c] + eps
        out.append((v - p["running_mean"][c]) / (math.sqrt(scale) if sqrt else scale))
    return out


# ---------------------------------------------------------------- exact forms (sympy)


def to_float(expr: Any) -> float:
    """The float nearest sympy's exact value (evaluated at 30 digits)."""
    return float(expr.evalf(30))


def rational(num: int, den: int) -> str:
    """sympy's text of the rational num / den: 7/3, 2, -1/2."""
    import sympy

    return sympy.sstr(sympy.Rational(num, den))


@functools.lru_cache(maxsize=65536)
def _normalized(dev: int, n: int, var_num: int, var_den: int, eps: float) -> tuple[float, Any]:
    """sympy's y = (dev / n) / sqrt(var_num / var_den + eps): its float and expression."""
    import sympy

    expr = sympy.Rational(dev, n) * _inverse_scale(var_num, var_den, eps)
    return to_float(expr), expr


@functools.lru_cache(maxsize=16384)
def _inverse_scale(var_num: int, var_den: int, eps: float) -> Any:
    """1 / sqrt(var + eps), once per group's variance (sympy's radical simplification)."""
    import sympy

    return 1 / sympy.sqrt(sympy.Rational(var_num, var_den) + sympy.Rational(repr(eps)))


@functools.lru_cache(maxsize=65536)
def _normalized_eval(v: int, mean: float, var: float, eps: float) -> tuple[float, Any]:
    """sympy's y = (v - running_mean) / sqrt(running_var + eps) (decimals read exactly)."""
    import sympy

    r = sympy.Rational
    expr = (v - r(repr(mean))) / sympy.sqrt(r(repr(var)) + r(repr(eps)))
    return to_float(expr), expr


def exact_output(p: dict[str, Any]) -> list[tuple[float, Any]] | None:
    """Each flat output value's float and sympy expression; None where torch raises.
    The layer of a value / vector question is fresh and in training mode; an inference
    question's is trained, in eval mode or not."""
    flat, shape = flatten(p["input"]), shape_of(p["input"])
    if p.get("eval"):
        c = shape[1]
        rm, rv, eps = p["running_mean"], p["running_var"], p["eps"]
        return [_normalized_eval(v, rm[i % c], rv[i % c], eps) for i, v in enumerate(flat)]
    dims = norm_dims(p["layer"], len(shape), k_of(p))
    if p["layer"].startswith("BatchNorm") and math.prod([shape[d] for d in dims]) == 1:
        return None  # torch: "Expected more than 1 value per channel when training"
    out: list[tuple[float, Any]] = [(0.0, None)] * len(flat)
    for g in groups(tuple(shape), tuple(dims)):
        n, s, num, den = moments([flat[i] for i in g])
        for i in g:
            out[i] = _normalized(n * flat[i] - s, n, num, den, p["eps"])
    return out


def closed_form(expr: Any) -> str:
    """sympy's text of an exact value, in forms the answer parser reads: -sqrt(5)/5, 37/80."""
    import sympy

    return sympy.sstr(expr)


def running_exact(p: dict[str, Any]) -> tuple[float, str]:
    """sympy's running_mean[c] = 1/10 * mean or running_var[c] = 9/10 * 1 + 1/10 * unbiased
    variance after one training-mode pass of a fresh layer: its float and closed form."""
    import sympy

    shape, flat = shape_of(p["input"]), flatten(p["input"])
    group = groups(tuple(shape), tuple(norm_dims(p["layer"], len(shape))))[p["index"][0]]
    n, s, num, den = moments([flat[i] for i in group], 1)
    m = sympy.Rational(repr(MOMENTUM))
    if p["stat"] == "running_mean":
        expr = m * sympy.Rational(s, n)
    else:
        expr = (1 - m) * 1 + m * sympy.Rational(num, den)
    return to_float(expr), closed_form(expr)


def flat_index(shape: list[int], index: list[int]) -> int:
    flat = 0
    for size, i in zip(shape, index, strict=True):
        flat = flat * size + i
    return flat


def unravel(shape: list[int], flat: int) -> list[int]:
    index = []
    for size in reversed(shape):
        flat, i = divmod(flat, size)
        index.append(i)
    return index[::-1]


def positions(p: dict[str, Any], shape: list[int], ask: str) -> list[int]:
    """The flat positions of the asked part: y[index], a row y[i] or a column y[:, j]."""
    index = p["index"]
    if ask == "value":
        return [flat_index(shape, index)]
    if index[0] is not None:
        return [index[0] * shape[1] + j for j in range(shape[1])]
    return [i * shape[1] + index[1] for i in range(shape[0])]


def part(p: dict[str, Any], out: list[float | None] | None, ask: str, where: list[int]) -> Any:
    """The asked part of a flat output (where: its flat positions)."""
    if out is None:
        return None
    return out[where[0]] if ask == "value" else [out[i] for i in where]


def unique_dims(p: dict[str, Any], dims: list[int]) -> bool:
    """True if normalizing over any other set of dims gives another output, so the answer to
    "which dims" can be read off the output."""
    shape, flat = shape_of(p["input"]), flatten(p["input"])
    want = normalize(flat, groups(tuple(shape), tuple(dims)), p["eps"])
    for r in range(1, len(shape) + 1):
        for other in itertools.combinations(range(len(shape)), r):
            if list(other) == dims:
                continue
            for g in groups(tuple(shape), other):  # the first group usually differs already
                got = normalize(flat, (g,), p["eps"], only=None)
                if any(abs(got[i] - want[i]) > 1e-6 for i in g):  # type: ignore[operator]
                    break
            else:
                return False
    return True


# ---------------------------------------------------------------- drawing

STATS_SHAPES = [[16, 32, 28, 28], [8, 3, 32, 32], [4, 12, 50], [32, 64, 7, 7], [2, 16, 10]]
LN_SHAPES = [([2, 2, 2, 2], 3), ([2, 3, 3], 1), ([2, 2, 3], 2), ([3, 2, 3], 1)]
BN_SHAPES = [[2, 2, 2, 2], [2, 1, 2, 3], [3, 2, 1, 2], [2, 2, 3], [3, 2, 2]]


def _bn(shape: list[int]) -> dict[str, Any]:
    return {"layer": "BatchNorm2d" if len(shape) == 4 else "BatchNorm1d", "num_features": shape[1]}


def _data(rng: random.Random, shape: list[int], p: dict[str, Any], whole: int | None) -> Any:
    """Integers 0..9 of the shape, no group of the layer constant; with whole=i, the group
    of flat position i has an integer mean (easy by hand)."""
    gs = groups(tuple(shape), tuple(norm_dims(p["layer"], len(shape), k_of(p))))
    while True:
        flat = [rng.randrange(10) for _ in range(math.prod(shape))]
        if any(len(g) > 1 and len({flat[i] for i in g}) == 1 for g in gs):
            continue
        g = next((g for g in gs if whole in g), None)
        if g is None or sum(flat[i] for i in g) % len(g) == 0:
            return unflatten(flat, shape)


def draw_params(rng: random.Random, difficulty: int) -> tuple[str, dict[str, Any], float]:
    eps, tol, ln = DEFAULT_EPS, 0.01, rng.random() < 0.5
    if difficulty == 1:
        ask = rng.choices(["value", "dims"], [3, 1])[0]
        shape = [2, 3] if ln else [3, 2]
        p = {"layer": "LayerNorm", "normalized_shape": [3]} if ln else _bn(shape)
    elif difficulty == 2:
        ask = rng.choices(
            ["vector", "value", "stats", "dims", "one", "inference"], [4, 2, 2, 1, 1, 2]
        )[0]
        if ask == "inference":
            return ask, draw_inference(rng, [DEFAULT_EPS]), tol
        shape = [rng.randint(3, 4), rng.randint(3, 4)]
        if ask == "stats":
            shape, ln = [rng.choice([8, 16, 32]), rng.choice([3, 10, 64])], False
        elif ask == "one":
            ask, shape = "vector", [1, shape[1]]
        p = {"layer": "LayerNorm", "normalized_shape": shape[1:]} if ln else _bn(shape)
    else:
        ask = rng.choices(["value", "dims", "stats", "running", "inference"], [3, 2, 1, 2, 2])[0]
        tol = rng.choice([0.01, 0.001])
        if ask == "inference":
            return ask, draw_inference(rng, [DEFAULT_EPS, DEFAULT_EPS, 1.0]), tol
        if ask == "stats":
            shape = rng.choice(STATS_SHAPES)
        elif ask == "running" or not ln:
            shapes = BN_SHAPES if ask != "dims" else [s for s in BN_SHAPES if 1 not in s]
            shape = [1, 2, 2, 2] if ask == "value" and rng.random() < 0.2 else rng.choice(shapes)
        else:
            shape, k = rng.choice(LN_SHAPES)
        ln = ln and ask in ("value", "dims")
        p = {"layer": "LayerNorm", "normalized_shape": shape[-k:]} if ln else _bn(shape)
        if ask == "value":
            eps = rng.choice([DEFAULT_EPS, DEFAULT_EPS, DEFAULT_EPS, 0.1, 1.0])
    p["eps"] = eps
    if ask == "stats":
        p["input_shape"] = shape
        return ask, p, tol
    whole = None
    if ask == "vector":
        p["index"] = (
            [rng.randrange(shape[0])] if ln or shape[0] == 1 else [None, rng.randrange(shape[1])]
        )
    elif ask == "value":
        p["index"] = [rng.randrange(s) for s in shape]
        whole = flat_index(shape, p["index"]) if difficulty == 1 else None
    elif ask == "running":
        p["index"] = [rng.randrange(shape[1])]
        p["stat"] = rng.choice(["running_mean", "running_var"])
    while True:
        p["input"] = _data(rng, shape, p, whole)
        if ask == "value" and part(p, layer_output(p), ask, positions(p, shape, ask)) == 0:
            continue  # the mean itself: an answer of 0 is too easy to guess
        if ask != "dims" or unique_dims(p, norm_dims(p["layer"], len(shape), k_of(p))):
            return ask, p, tol


RUNNING_MEANS = [k / 2 for k in range(13)]  # 0, 0.5, .. 6
RUNNING_VARS = [0.25, 1.0, 2.25, 4.0, 6.25, 9.0]  # squares: sqrt(running_var) is easy


def draw_inference(rng: random.Random, eps_choices: list[float]) -> dict[str, Any]:
    """A trained BatchNorm1d (given running statistics) applied at prediction time to an
    (N, C) batch, with or without layer.eval(); N = 1 in about 3 draws in 10."""
    n, c = (1 if rng.random() < 0.3 else rng.randint(2, 4)), rng.randint(2, 3)
    p = _bn([n, c]) | {
        "eps": rng.choice(eps_choices),
        "running_mean": [rng.choice(RUNNING_MEANS) for _ in range(c)],
        "running_var": [rng.choice(RUNNING_VARS) for _ in range(c)],
        "eval": rng.random() < 0.5,
        "index": [rng.randrange(n), rng.randrange(c)],
    }
    while True:
        p["input"] = _data(rng, [n, c], p, None)
        out = inference_output(p)
        if out is None or out[flat_index([n, c], p["index"])] != 0:
            return p  # an answer of 0 (the value is the mean) is too easy to guess


# ---------------------------------------------------------------- text (en and zh)

_TEXT = tomllib.loads(Path(__file__).with_name("norm_layers.toml").read_text(encoding="utf-8"))
T: dict[str, list[str]] = _TEXT["text"]  # key -> [English, Chinese]
EXPLAIN: dict[str, list[str]] = _TEXT["explain"]
LANG = {"en": 0, "zh": 1}


def tr(key: str, lang: str, **kw: Any) -> str:
    return T[key][LANG[lang]].format(**kw)


def eps_text(eps: float) -> str:
    return "1e-5" if eps == DEFAULT_EPS else f"{eps:g}"


def fmt_shape(shape: list[int]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def answer_text(ask: str, value: Any, exact: str | None = None, lang: str = "en") -> str:
    """The answer as shown; a number with its closed form when that is short and not whole."""
    if value is None:
        return "error"
    if ask == "stats":
        return fmt_shape(value)
    if ask == "vector":
        return "[" + ", ".join(f"{v:.4f}" for v in value) + "]"
    if ask == "dims":
        return str(value)
    if exact and len(exact) <= SHORT and ("/" in exact or "sqrt" in exact):
        return tr("exactly", lang, v=value, e=exact)
    return f"{value:.4f}"


def layer_call(p: dict[str, Any]) -> str:
    eps = "" if p["eps"] == DEFAULT_EPS else f", eps={p['eps']}"
    if p["layer"] == "LayerNorm":
        return f"nn.LayerNorm({p['normalized_shape']}{eps})"
    return f"nn.{p['layer']}({p['num_features']}{eps})"


def index_text(index: list[int | None]) -> str:
    return ", ".join(":" if i is None else str(i) for i in index)


def _example(ask: str, expected: Any) -> str:
    forms = [[0, 2], [1, 3]] if ask == "dims" else [[0.5, -1.25, 0.75], [1.5, -0.5, -1.0]]
    return str(next(f for f in forms if f != expected))


def prompt(ask: str, p: dict[str, Any], level: int, expected: Any, tol: float, lang: str) -> str:
    call = layer_call(p)
    if ask == "stats":
        return tr("stats", lang, shape=fmt_shape(p["input_shape"]), layer=call)
    x = p["input"]
    text = tr("x", lang, x=x, shape=fmt_shape(shape_of(x)))
    text += f"layer = {call}\n" if lang == "en" else f"`layer = {call}`\n"
    if ask == "inference":
        rm, rv = p["running_mean"], p["running_var"]
        text += tr("trained", lang, rm=rm, rv=rv, eps=eps_text(p["eps"]))
        text += tr("code_eval" if p["eval"] else "code_train", lang)
        idx = index_text(p["index"])
        return text + tr("value", lang, idx=idx, tol=f"{tol:g}", err=tr("error", lang))
    if ask == "running":
        c = p["index"][0]
        return text + tr("running", lang, stat=p["stat"], c=c, tol=f"{tol:g}")
    text += tr("fresh", lang)
    eps = eps_text(p["eps"])
    text += tr("formula", lang, eps=eps) if level < 3 else tr("eps", lang, eps=eps)
    err = tr("error", lang) if level > 1 else ""
    idx = index_text(p.get("index") or [])
    if ask == "value":
        return text + tr("value", lang, idx=idx, tol=f"{tol:g}", err=err)
    if ask == "vector":
        i = p["index"]
        what = tr("row", lang, i=i[0]) if len(i) == 1 else tr("col", lang, j=i[1])
        ex = _example(ask, expected)
        return text + tr("vector", lang, idx=idx, what=what, tol=f"{tol:g}", ex=ex, err=err)
    return text + tr("dims", lang, ex=_example(ask, expected))


def _rule(p: dict[str, Any], nd: int, lang: str) -> str:
    dims = norm_dims(p["layer"], nd, k_of(p))
    if p["layer"] == "LayerNorm":
        k = k_of(p)
        return tr("ln_rule_one" if k == 1 else "ln_rule", lang, layer=layer_call(p), k=k, dims=dims)
    pos = tr("pos", lang) if nd > 2 else ""
    return tr("bn_rule", lang, layer=p["layer"], dims=dims, pos=pos)


def _inference_solution(p: dict[str, Any], expected: Any, exact: str | None, lang: str) -> str:
    if not p["eval"]:  # the forgotten eval(): training mode, the batch's own statistics
        return tr("train_sol", lang) + "\n" + solution("value", p, expected, lang, exact)
    i, c = p["index"]
    v = flatten(p["input"])[i * p["num_features"] + c]
    lines = [
        tr("eval_sol", lang),
        tr(
            "y_eval",
            lang,
            idx=index_text(p["index"]),
            v=v,
            rm=p["running_mean"][c],
            rv=p["running_var"][c],
            eps=eps_text(p["eps"]),
            y=expected,
        ),
        tr("answer", lang, a=answer_text("value", expected, exact, lang)),
    ]
    return "\n".join(lines)


def solution(
    ask: str, p: dict[str, Any], expected: Any, lang: str, exact: str | None = None
) -> str:
    if ask == "inference":
        return _inference_solution(p, expected, exact, lang)
    if ask == "stats":
        shape = p["input_shape"]
        dims = norm_dims(p["layer"], len(shape))
        lines = [tr("stats_sol", lang, c=shape[1], dims=dims)]
        return "\n".join([*lines, tr("answer", lang, a=answer_text(ask, expected))])
    shape, flat = shape_of(p["input"]), flatten(p["input"])
    dims = norm_dims(p["layer"], len(shape), k_of(p))
    lines = [_rule(p, len(shape), lang)]
    if ask == "dims":
        lines.append(tr("dims_sol", lang, t=tuple(dims) if len(dims) > 1 else dims[0]))
    elif expected is None:
        lines.append(tr("one", lang, layer=p["layer"]))
    else:
        if ask == "running":
            where = [flat_index(shape, [0, p["index"][0]] + [0] * (len(shape) - 2))]
        else:
            where = positions(p, shape, ask)
        group = next(g for g in groups(tuple(shape), tuple(dims)) if where[0] in g)
        first = unravel(shape, group[0])
        sl = ", ".join(":" if d in dims else str(first[d]) for d in range(len(shape)))
        vals = [flat[i] for i in group]
        n, s, num, den = moments(vals, 1 if p.get("stat") == "running_var" else 0)
        mean = rational(s, n)
        mean_steps = mean if f"{s}/{n}" == mean else f"{s}/{n} = {mean}"
        lines.append(tr("group", lang, sl=sl, vals=vals, n=n))
        if ask == "running":
            lines.append(tr("run_sol", lang))
            c, r = p["index"][0], expected
            key = "run_mean" if p["stat"] == "running_mean" else "run_var"
            lines.append(tr(key, lang, c=c, mean=mean, var=rational(num, den), r=r))
        else:
            bn, bd = moments(vals)[2:]
            var = rational(bn, bd)
            lines.append(tr("moments", lang, mean=mean_steps, var=var, varf=bn / bd))
            eps = eps_text(p["eps"])
            for i, y in zip(where, expected if ask == "vector" else [expected], strict=True):
                v, idx = flat[i], index_text(unravel(shape, i))
                lines.append(tr("y", lang, idx=idx, v=v, mean=mean, var=var, eps=eps, y=y))
    lines.append(tr("answer", lang, a=answer_text(ask, expected, exact, lang)))
    return "\n".join(lines)


# ---------------------------------------------------------------- generator


@register
class NormLayers(Generator):
    id = "batchnorm-layernorm"
    version = 2
    topic = "Normalization"
    topic_zh = "归一化"
    title = "BatchNorm vs LayerNorm: normalized values, the dims of the statistics, running stats"
    title_zh = "批量归一化与层归一化：归一化后的值、统计量所在的维度、running 统计量"
    formula_tex = r"y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}"
    formula_by = "sympy"
    levels = 3
    explanations = {k: v[0] for k, v in EXPLAIN.items()}
    explanations_zh = {k: v[1] for k, v in EXPLAIN.items()}

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        ask, p, tol = draw_params(rng, difficulty)
        return self.build(difficulty, ask, p, tol)

    def build(self, difficulty: int, ask: str, p: dict[str, Any], tol: float) -> Question:
        """The question for given params (also used by the tests for known values)."""
        layer, mis, fields = p["layer"], [], {}
        bn = layer.startswith("BatchNorm")
        if ask == "stats":
            shape = p["input_shape"]
            result = expected = [shape[1]]
            kind = "shape"
            mis += [("norm-axes-swapped", [shape[0]]), ("bn-per-position", shape[1:])]
        elif ask == "dims":
            nd, k = len(shape_of(p["input"])), k_of(p)
            result = expected = norm_dims(layer, nd, k)
            kind = "vector"
            mis.append(("norm-axes-swapped", norm_dims(layer, nd, k, swapped=True)))
            if bn and nd > 2:
                mis.append(("bn-spatial-forgotten", [0]))
            if not bn and k > 1:
                mis.append(("ln-last-dim-only", [nd - 1]))
            if not bn and k == 1 and nd > 2:
                mis.append(("ln-whole-sample", list(range(1, nd))))
        elif ask == "running":
            result, exact = running_exact(p)
            expected, fields["extra"] = result, {"exact": exact}
            kind, fields["tolerance"] = "number", tol
            mis.append(("bn-momentum-forgotten", running_stat(p, momentum=1.0)))
            mis.append(("bn-momentum-swapped", running_stat(p, momentum=1 - MOMENTUM)))
            if p["stat"] == "running_var":
                mis.append(("bn-running-var-biased", running_stat(p, biased=True)))
        elif ask == "inference":
            shape = shape_of(p["input"])
            where = flat_index(shape, p["index"])
            exact_out = exact_output(p)
            result = None if exact_out is None else unflatten([v for v, _ in exact_out], shape)
            expected = None if exact_out is None else exact_out[where][0]
            kind, fields = "number", {"tolerance": tol, "allow_undefined": True}
            if exact_out is not None:
                fields["extra"] = {"exact": closed_form(exact_out[where][1])}

            def at(out: list[float | None] | None) -> float | None:
                return None if out is None else out[where]

            if p["eval"]:
                mis.append(("bn-eval-batch-stats", at(inference_output(p, eval_mode=False))))
                mis.append(("bn-var-not-sqrt", at(inference_output(p, sqrt=False))))
                mis.append(("norm-eps-forgotten", at(inference_output(p, eps=0.0))))
            else:
                mis.append(("bn-eval-forgotten", at(inference_output(p, eval_mode=True))))
                mis.append(("norm-unbiased-var", at(layer_output(p, correction=1))))
                mis.append(("norm-eps-forgotten", at(inference_output(p, eps=0.0))))
                if expected is None:
                    mis.append(("bn-single-sample", 0.0))
        else:
            shape = shape_of(p["input"])
            t, where = (flatten(p["input"]), shape), positions(p, shape, ask)
            exact_out = exact_output(p)
            result = None if exact_out is None else unflatten([v for v, _ in exact_out], shape)
            expected = part(p, None if exact_out is None else [v for v, _ in exact_out], ask, where)
            kind = "number" if ask == "value" else "vector"
            fields = {"tolerance": tol, "allow_undefined": difficulty > 1}
            if ask == "value" and exact_out is not None:
                fields["extra"] = {"exact": closed_form(exact_out[where[0]][1])}
            only = set(where)
            variants = {
                "norm-axes-swapped": {"swapped": True},
                "norm-unbiased-var": {"correction": 1},
                "norm-eps-forgotten": {"eps": 0.0},
                "bn-running-stats": {"running": True},
            }
            for mid, flags in variants.items():
                if bn or mid != "bn-running-stats":
                    mis.append((mid, part(p, layer_output(p, t, only, **flags), ask, where)))
            if exact_out is None:
                mis.append(("bn-single-sample", [0.0] * shape[1]))
            elif shape[0] == 1:
                mis.append(("norm-batch-of-one", None))
        exact = fields.get("extra", {}).get("exact")
        return self.question(
            difficulty,
            params=p,
            ask=ask,
            prompt=prompt(ask, p, difficulty, expected, tol, "en"),
            kind=kind,
            expected=expected,
            result=result,
            answer=answer_text(ask, expected, exact),
            solution=solution(ask, p, expected, "en", exact),
            misconceptions=mis,
            **fields,
        )

    def zh(self, q: Question) -> dict[str, str]:
        tol = q.tolerance if q.tolerance is not None else 0.01
        exact = q.extra.get("exact")
        return {
            "prompt": prompt(q.ask, q.params, q.difficulty, q.expected, tol, "zh"),
            "answer": answer_text(q.ask, q.expected, exact, "zh"),
            "solution": solution(q.ask, q.params, q.expected, "zh", exact),
        }
