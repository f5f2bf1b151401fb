"""Tensor shapes in numpy and torch: array literals, unsqueeze / squeeze / flatten / permute /
transpose / reshape / view (with -1), indexing and slicing, torch.Size arithmetic
((1, 1) + x.shape is tuple concatenation), numel, and the HWC (cv2.imread) <-> CHW (torch)
permutation.

The formula side (quizzer/generators/_shapes.py) tracks a tensor's (shape, strides) through
the ops in pure Python with torch's rules, so it knows where view raises; misconception values
come from running the chain with one op misread. None means torch raises.
"""

from __future__ import annotations

import math
import random
import tomllib
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.generators._shapes import (
    Shape,
    answer_of,
    contiguous,
    misconception_ids,
    permutation,
    shapes_of,
    step,
    trace,
)
from quizzer.question import Question

_TEXT = tomllib.loads(Path(__file__).with_name("tensor_shapes.toml").read_text(encoding="utf-8"))
T: dict[str, list[str]] = _TEXT["text"]  # key -> [English, Chinese]
EXPLAIN: dict[str, list[str]] = _TEXT["explain"]
LANG = {"en": 0, "zh": 1}

# ---------------------------------------------------------------- drawing

LAYOUTS = {  # (from, to): example shapes in the "from" layout, all sizes distinct
    ("HWC", "CHW"): [[480, 640, 3], [224, 320, 3], [28, 32, 1], [720, 1280, 3]],
    ("CHW", "HWC"): [[3, 224, 320], [3, 480, 640], [1, 28, 32]],
    ("NHWC", "NCHW"): [[8, 32, 48, 3], [16, 64, 96, 3], [4, 28, 30, 1]],
    ("NCHW", "NHWC"): [[8, 3, 32, 48], [16, 3, 64, 96], [2, 1, 28, 30]],
}
ARRAYS = ([1, 2, 3], [[1, 2, 3]], [[1], [2], [3]], [[1, 2, 3], [4, 5, 6]], [[1, 2], [3, 4], [5, 6]])


def _divisors(n: int) -> list[int]:
    return [k for k in range(2, n) if n % k == 0]


def rand_op(rng: random.Random, kind: str, shape: Shape, level: int) -> dict[str, Any]:
    n, numel = len(shape), math.prod(shape)
    if (
        (n < 2 and kind in ("transpose", "permute", "flatten"))
        or n == 0
        or (kind == "slice" and max(shape, default=0) < 2)
    ):
        kind = "unsqueeze"
    if kind == "unsqueeze":
        return {"op": kind, "dim": rng.choice([0, -1]) if level == 1 else rng.randint(-n - 1, n)}
    if kind == "squeeze":
        ones = [i for i in range(n) if shape[i] == 1]
        if level == 1 or (ones and rng.random() < 0.3):
            return {"op": kind, "dim": None}
        d = rng.choice(ones) if ones and rng.random() < 0.6 else rng.randrange(n)
        return {"op": kind, "dim": d - n if rng.random() < 0.3 else d}
    if kind == "flatten":
        start = (
            0
            if level == 1
            else rng.randint(1, max(1, n - 2))
            if level == 2
            else rng.randrange(n - 1)
        )
        end = -1 if level < 3 or rng.random() < 0.5 else rng.randint(start + 1, n - 1)
        return {"op": kind, "start_dim": start, "end_dim": end}
    if kind == "permute":
        dims = list(range(n))
        while dims == sorted(dims):
            rng.shuffle(dims)
        return {"op": kind, "dims": dims}
    if kind == "transpose":
        a, b = rng.sample(range(n), 2)
        return {"op": kind, "dim0": a, "dim1": b}
    if kind == "index":
        d = rng.randrange(n)
        return {"op": kind, "dim": d, "index": rng.randrange(-shape[d], shape[d])}
    if kind == "slice" and max(shape, default=0) >= 2:
        d = rng.choice([i for i in range(n) if shape[i] >= 2])
        while True:  # a slice that keeps at least one entry
            start, stop = rng.choice([None, 1, 0]), rng.choice([None, shape[d] - 1, -1, 2])
            size = len(range(*slice(start, stop).indices(shape[d])))
            if 1 <= size < shape[d]:
                return {"op": kind, "dim": d, "start": start, "stop": stop}
    # reshape / view with one -1; sometimes an invalid size
    divs = _divisors(numel) or [1]
    k = rng.choice(divs)
    if level > 1 and rng.random() < (0.25 if level == 2 else 0.15):
        k = rng.choice([v for v in range(2, 8) if numel % v] or [numel + 1])
    spec = [k, -1] if rng.random() < 0.5 else [-1, k]
    rest = numel // k
    if level == 3 and numel % k == 0 and _divisors(rest) and rng.random() < 0.5:
        spec = [-1, rng.choice(_divisors(rest)), k]
    if kind == "view" and level == 3 and rng.random() < 0.3:
        spec = [-1]
    return {"op": kind, "shape": spec}


def rand_shape(rng: random.Random, ndim: int, ones: bool = False) -> list[int]:
    shape = rng.sample(range(2, 8), ndim)  # distinct sizes: every permutation shows
    if ones:
        for i in rng.sample(range(ndim), rng.randint(1, 2)):
            shape[i] = 1
    return shape


def _chain(rng: random.Random, shape: list[int], kinds: list[str], level: int) -> list[Any]:
    ops, state = [], tuple(shape)
    for kind in kinds:
        op = rand_op(rng, kind, state, level)
        ops.append(op)
        nxt = step(op, (state, contiguous(state)), None)
        if nxt is None:
            break
        state = nxt[0]
    return ops


def draw_params(rng: random.Random, level: int) -> tuple[str, dict[str, Any]]:
    what = rng.choices(*zip(*WHAT[level], strict=True))[0]
    if what == "array":
        p: dict[str, Any] = {"array": rng.choice(ARRAYS), "ops": []}
        if level > 1:
            p["ops"] = [
                rng.choice(
                    [
                        {"op": "T"},
                        {"op": "newaxis", "position": rng.randint(0, 1)},
                        {"op": "reshape", "shape": rng.choice([[-1, 1], [1, -1], [-1], [2, -1]])},
                    ]
                )
            ]
        return "shape", p
    if what == "permute":
        pairs = [k for k in LAYOUTS if len(k[0]) == (3 if level == 2 else 4)]
        src, dst = rng.choice(pairs)
        return "permute", {"layout": src, "target": dst, "shape": rng.choice(LAYOUTS[src, dst])}
    if what == "cv2":
        shape = rng.choice(LAYOUTS["HWC", "CHW"])
        ops = [{"op": "permute", "dims": [2, 0, 1]}, {"op": "unsqueeze", "dim": 0}]
        return "shape", {"init": "from_numpy", "shape": shape, "ops": ops + [{"op": "float"}]}
    if what == "notes":
        side = rng.choice([8, 8, 4, 5, 6, 28])
        shape, op = [side, rng.choice([side, side, 3, 10])], {"op": "prepend", "sizes": [1, 1]}
        if rng.random() < 0.5:
            op = {"op": "size_prepend", "sizes": [1, 1]}
        return "shape", {"init": "rand", "shape": shape, "ops": [op]}
    if what == "size":
        shape = rand_shape(rng, rng.choice([3, 4]))
        a = {"op": "size_slice", "start": rng.choice([1, 2, None]), "stop": rng.choice([None, -1])}
        b = {"op": rng.choice(["size_prepend", "size_append"]), "sizes": rng.choice([[1], [1, 1]])}
        return "shape", {"init": "zeros", "shape": shape, "ops": [a, b]}
    ask = "numel" if what == "numel" else "shape"
    if level == 1:
        shape = rand_shape(rng, rng.choice([2, 3]), ones=what == "squeeze")
        kinds = [what] if what in ("squeeze", "numel") else [rng.choice(["unsqueeze", "flatten"])]
        if what == "numel":
            kinds = []
    elif level == 2:
        shape = rand_shape(rng, rng.choice([3, 4]), ones=rng.random() < 0.3)
        pool = ["index", "slice"] if ask == "numel" else list(L2_OPS)
        kinds = rng.sample(pool, 1 if ask == "numel" or rng.random() < 0.5 else 2)
    else:
        shape = rand_shape(rng, rng.choice([3, 4]), ones=rng.random() < 0.2)
        pool = ["index", "slice", "flatten", "reshape"] if ask == "numel" else list(L3_OPS)
        kinds = rng.sample(pool, rng.choice([2, 3]))
        if ask == "shape" and rng.random() < 0.2:  # view after a transpose/permute
            kinds = [rng.choice(["transpose", "permute"]), "view"]
    return ask, {"init": "zeros", "shape": shape, "ops": _chain(rng, shape, kinds, level)}


L2_OPS = ("unsqueeze", "squeeze", "flatten", "permute", "transpose", "reshape", "view")
L3_OPS = L2_OPS + ("index", "slice")
WHAT = {
    1: [("array", 3), ("notes", 2), ("unsqueeze", 2), ("squeeze", 1), ("numel", 1)],
    2: [("array", 2), ("ops", 5), ("permute", 2), ("cv2", 1), ("numel", 1)],
    3: [("ops", 6), ("permute", 1), ("size", 2), ("numel", 1)],
}


# ---------------------------------------------------------------- text (en and zh)


def tr(key: str, lang: str, **kw: Any) -> str:
    return T[key][LANG[lang]].format(**kw)


def fmt_shape(shape: Any) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def render(op: dict[str, Any]) -> str:
    """The method call or index of one op, as written after the tensor."""
    kind = op["op"]
    if kind in ("unsqueeze", "transpose", "permute"):
        args = {"unsqueeze": [op.get("dim")], "transpose": [op.get("dim0"), op.get("dim1")]}
        return f".{kind}({', '.join(map(str, args.get(kind, op.get('dims'))))})"
    if kind == "squeeze":
        return ".squeeze()" if op["dim"] is None else f".squeeze({op['dim']})"
    if kind == "flatten":
        s, e = op["start_dim"], op["end_dim"]
        if e == -1:
            return ".flatten()" if s == 0 else f".flatten(start_dim={s})"
        return f".flatten({s}, {e})"
    if kind in ("reshape", "view"):
        return f".{kind}({', '.join(map(str, op['shape']))})"
    if kind == "prepend":
        return f".reshape({fmt_shape(op['sizes'])} + x.shape)"
    if kind == "index":
        return "[" + ", ".join([":"] * op["dim"] + [str(op["index"])]) + "]"
    if kind == "slice":
        a, b = ("" if v is None else str(v) for v in (op["start"], op["stop"]))
        return "[" + ", ".join([":"] * op["dim"] + [f"{a}:{b}"]) + "]"
    if kind == "newaxis":
        return "[np.newaxis]" if op["position"] == 0 else "[:, np.newaxis]"
    return ".T" if kind == "T" else ".float()"


def expression(p: dict[str, Any]) -> str:
    if "array" in p:
        return "a" + "".join(render(op) for op in p["ops"])
    if not p["ops"] or not p["ops"][0]["op"].startswith("size_"):
        return "x" + "".join(render(op) for op in p["ops"])
    expr = "x.shape"
    for op in p["ops"]:
        if op["op"] == "size_slice":
            a, b = ("" if v is None else str(v) for v in (op["start"], op["stop"]))
            expr = f"({expr})[{a}:{b}]" if " + " in expr else f"{expr}[{a}:{b}]"
        elif op["op"] == "size_append":
            expr = f"{expr} + {fmt_shape(op['sizes'])}"
        else:
            expr = f"{fmt_shape(op['sizes'])} + {expr}"
    return expr


def setup_lines(p: dict[str, Any]) -> list[str]:
    """The code the question shows before the asked expression."""
    if "array" in p:
        return [f"a = np.array({p['array']})"]
    sizes = ", ".join(map(str, p["shape"]))
    if p["init"] == "from_numpy":
        return ["img = cv2.imread(path)", "x = torch.from_numpy(img)"]
    return [f"x = torch.rand(({sizes}))" if p["init"] == "rand" else f"x = torch.zeros({sizes})"]


def result_name(p: dict[str, Any], ask: str) -> str:
    if "array" in p:
        return "b" if p["ops"] else "a"
    if ask == "numel" and not p["ops"]:
        return "x"
    return "s" if p["ops"] and p["ops"][0]["op"].startswith("size_") else "y"


def prompt(p: dict[str, Any], ask: str, level: int, expected: Any, lang: str) -> str:
    def code(line: str) -> str:
        return line if lang == "en" else f"`{line}`"

    if ask == "permute":
        shape = fmt_shape(p["shape"])
        return tr(f"permute_{p['layout']}", lang, shape=shape, target=p["target"])
    lines = [code(line) for line in setup_lines(p)]
    if p.get("init") == "from_numpy":
        lines.insert(1, tr("cv2", lang, shape=fmt_shape(p["shape"])))
    name = result_name(p, ask)
    if name != "x" and name != "a":
        lines.append(code(f"{name} = {expression(p)}"))
    err = tr("err", lang) if level > 1 else ""
    if ask == "numel":
        lines.append(tr("ask_numel", lang, what=code(f"{name}.numel()"), err=err))
    else:
        ex = next(e for e in ([2, 3, 4], [5, 1, 7]) if e != expected)
        what = code(name if name == "s" else f"{name}.shape")
        lines.append(tr("ask_shape", lang, what=what, ex=fmt_shape(ex), err=err))
    return "\n".join(lines)


def _step_text(op: dict[str, Any], before: Shape, after: Shape | None, lang: str) -> str:
    kind, n = op["op"], len(before)
    kw: dict[str, Any] = {"call": render(op), "out": "" if after is None else fmt_shape(after)}
    key = kind
    if kind in ("unsqueeze", "newaxis"):
        d = op.get("dim", op.get("position"))
        kw |= {"d": d, "n": n, "pos": d if d >= 0 else d + n + 1}
        key += "_neg" if d < 0 else ""
    elif kind == "squeeze" and op["dim"] is not None:
        d = op["dim"] % n
        kw |= {"d": op["dim"], "size": before[d]}
        key = "squeeze_one" if before[d] == 1 else "squeeze_keep"
    elif kind == "flatten":
        s, e = op["start_dim"] % n, op["end_dim"] % n
        kw |= {"s": s, "e": e, "size": math.prod(before[s : e + 1])}
    elif kind in ("reshape", "view"):
        spec, numel = op["shape"], math.prod(before)
        known = math.prod([v for v in spec if v != -1])
        kw |= {"numel": numel, "known": known, "fill": numel // known, "x": fmt_shape(before)}
        if after is None:
            key = "reshape_bad" if numel % known else "view_bad"
        elif -1 in spec:
            key = "reshape_fill"
        key += "_one" if numel == 1 else ""  # "the 1 element fills"
    elif kind in ("index", "slice"):
        kw |= {"d": op["dim"], "size": after[op["dim"]] if kind == "slice" and after else 0}
    elif kind == "T" and n == 1:
        key = "T_1d"
    elif kind.startswith("size_"):
        key = "size_slice" if kind == "size_slice" else "size_cat"
        kw["call"] = expression({"shape": before, "ops": [op]}).replace("x.shape", "")
    return tr(key, lang, **kw)


def solution(p: dict[str, Any], ask: str, expected: Any, lang: str) -> str:
    if ask == "permute":
        src, dst = p["layout"], p["target"]
        where = ", ".join(f"{c} = dim {src.index(c)}" for c in dst)
        out = [p["shape"][src.index(c)] for c in dst]
        lines = [tr("permute_sol", lang, src=src, dst=dst, where=where, out=fmt_shape(out))]
        return "\n".join([*lines, tr("answer", lang, a=str(expected))])
    shapes = shapes_of(trace(p))
    if "array" in p:
        k = len(shapes[0] or ())
        key = "np_literal_one" if k == 1 else "np_literal"
        lines = [tr(key, lang, k=k, shape=fmt_shape(shapes[0]))]
    else:
        lines = [tr("start", lang, shape=fmt_shape(p["shape"]))]
    for op, before, after in zip(p["ops"], shapes, shapes[1:], strict=False):
        if before is None:
            break
        lines.append(_step_text(op, before, after, lang))
    final = shapes[-1]
    if ask == "numel" and final is not None:
        product = " · ".join(map(str, final)) or "1"
        lines.append(tr("numel", lang, product=product, n=math.prod(final)))
    answer = "error" if expected is None else answer_text(ask, expected)
    lines.append(tr("answer", lang, a=answer))
    return "\n".join(lines)


def answer_text(ask: str, value: Any) -> str:
    if value is None:
        return "error"
    return fmt_shape(value) if ask == "shape" else str(value)


# ---------------------------------------------------------------- generator


@register
class TensorShapes(Generator):
    id = "tensor-shapes"
    version = 1
    topic = "Tensors"
    topic_zh = "张量"
    title = "numpy and torch shapes: unsqueeze, squeeze, flatten, permute, reshape/view, HWC/CHW"
    title_zh = "numpy 与 torch 的形状：unsqueeze、squeeze、flatten、permute、reshape/view、HWC/CHW"
    formula_tex = r"\text{numel} = \prod_i \text{shape}_i"
    levels = 3
    explanations = {k: v[0] for k, v in EXPLAIN.items()}
    explanations_zh = {k: v[1] for k, v in EXPLAIN.items()}

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        ask, p = draw_params(rng, difficulty)
        return self.build(difficulty, ask, p)

    def build(self, difficulty: int, ask: str, p: dict[str, Any]) -> Question:
        """The question for given params (also used by the tests for known values)."""
        ids = misconception_ids(p, ask)
        if ask == "permute":
            expected = permutation(p["layout"], p["target"])
            mis = [(i, permutation(p["layout"], p["target"], i)) for i in ids]
        else:
            base = trace(p)
            expected = answer_of(ask, shapes_of(base)[-1])
            values = [(i, answer_of(ask, shapes_of(trace(p, i, base))[-1], i)) for i in ids]
            mis = [(i, v) for i, v in values if v is not None]  # "error" is no misreading
        kinds = {"permute": "vector", "numel": "int", "shape": "shape"}
        return self.question(
            difficulty,
            params=p,
            ask=ask,
            prompt=prompt(p, ask, difficulty, expected, "en"),
            kind=kinds[ask],
            expected=expected,
            result=expected,
            answer=answer_text(ask, expected),
            solution=solution(p, ask, expected, "en"),
            allow_undefined=difficulty > 1 and ask != "permute",
            misconceptions=mis,
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt(q.params, q.ask, q.difficulty, q.expected, "zh"),
            "answer": answer_text(q.ask, q.expected),
            "solution": solution(q.params, q.ask, q.expected, "zh"),
        }
