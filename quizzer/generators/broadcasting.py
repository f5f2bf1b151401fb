"""broadcasting: the shape of `a * b`, `a @ b` / `torch.matmul`, `torch.mm` and `torch.bmm`
for 1-d to 4-d operands, or "error" when torch raises.

The formula side works on shapes only, with torch's rules:
- `*` broadcasts: align the shapes from the right (the shorter padded with 1s on the left);
  each pair of sizes must be equal or contain a 1.
- `@` (torch.matmul): a 1-d left operand is a row (1, n) and a 1-d right operand a column
  (n, 1), that 1 dropped again from the result; the last two dims are matrices whose inner
  sizes must match; the dims before them are batch dims that broadcast like `*`.
- torch.mm takes two 2-d matrices, torch.bmm two 3-d batches with the same batch size:
  neither broadcasts.
Each misconception is the same function with one rule changed by a flag. None = torch raises.
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

FAMILY = "broadcasting"
Shape = tuple[int, ...]
OPS = ("*", "@", "matmul", "mm", "bmm")
EXPR = {
    "*": "{a} * {b}",
    "@": "{a} @ {b}",
    "matmul": "torch.matmul({a}, {b})",
    "mm": "torch.mm({a}, {b})",
    "bmm": "torch.bmm({a}, {b})",
}

# ---------------------------------------------------------------- formula


def broadcast(
    sa: Shape, sb: Shape, *, left: bool = False, strict: bool = False, any_size: bool = False
) -> Shape | None:
    """torch's broadcast shape of sa and sb, or None. Flags (mistakes): left = pad the shorter
    shape with 1s on the right (align from the left); strict = no broadcasting (equal shapes
    only); any_size = differing sizes broadcast to the larger even when neither is 1."""
    if strict:
        return sa if sa == sb else None
    n = max(len(sa), len(sb))
    pa, pb = (
        (sa + (1,) * (n - len(sa)), sb + (1,) * (n - len(sb)))
        if left
        else ((1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb)
    )
    out = []
    for x, y in zip(pa, pb, strict=True):
        if x != y and 1 not in (x, y) and not any_size:
            return None
        out.append(max(x, y))
    return tuple(out)


def as_matrices(sa: Shape, sb: Shape, *, vectors: bool = False) -> tuple[Shape, Shape]:
    """The operands of torch.matmul as stacks of matrices: a 1-d a is a row (1, n), a 1-d b
    a column (n, 1). vectors (mistake): a 2-d b under a >= 3-d a is read as a batch of
    column vectors (B, m) -> (B, m, 1)."""
    ma = (1, *sa) if len(sa) == 1 else sa
    mb = (*sb, 1) if len(sb) == 1 or (vectors and len(sb) == 2 and len(sa) >= 3) else sb
    return ma, mb


def matmul_shape(
    sa: Shape,
    sb: Shape,
    *,
    left: bool = False,
    strict: bool = False,
    any_size: bool = False,
    keep_1d: bool = False,
    transposed: bool = False,
    vectors: bool = False,
    batch_of_a: bool = False,
) -> Shape | None:
    """torch.matmul's result shape, or None. Flags (mistakes): left / strict / any_size for
    the batch dims as in `broadcast`; keep_1d = a 1-d operand's added 1 is not dropped;
    transposed = b's last two dims read swapped; vectors = a 2-d b under a >= 3-d a is a
    batch of vectors; batch_of_a = the result takes a's batch dims only."""
    if not sa or not sb:
        return None
    ma, mb = as_matrices(sa, sb, vectors=vectors)
    b_vector = len(mb) != len(sb)
    if transposed and not b_vector:
        mb = (*mb[:-2], mb[-1], mb[-2])
    if ma[-1] != mb[-2]:
        return None
    if batch_of_a:
        batch: Shape | None = ma[:-2]
    else:
        batch = broadcast(ma[:-2], mb[:-2], left=left, strict=strict, any_size=any_size)
    if batch is None:
        return None
    rows = () if len(sa) == 1 and not keep_1d else (ma[-2],)
    cols = () if b_vector and not keep_1d else (mb[-1],)
    return batch + rows + cols


def strict_shape(op: str, sa: Shape, sb: Shape, *, transposed: bool = False) -> Shape | None:
    """torch.mm (two 2-d matrices) or torch.bmm (two 3-d batches, equal batch size): no
    broadcasting, no 1-d operands. transposed (mistake): b's last two dims read swapped."""
    rank = 2 if op == "mm" else 3
    if len(sa) != rank or len(sb) != rank:
        return None
    if transposed:
        sb = (*sb[:-2], sb[-1], sb[-2])
    if sa[:-2] != sb[:-2] or sa[-1] != sb[-2]:
        return None
    return sa[:-1] + sb[-1:]


def result_shape(op: str, sa: Shape, sb: Shape) -> Shape | None:
    """The shape torch gives for `op` on operands of shapes sa and sb, or None if it raises."""
    if op == "*":
        return broadcast(sa, sb)
    if op in ("@", "matmul"):
        return matmul_shape(sa, sb)
    return strict_shape(op, sa, sb)


def mistakes(op: str, sa: Shape, sb: Shape) -> list[tuple[str, Shape | None]]:
    """(id, shape or None) of each misconception that applies to op, by the buggy rule."""
    if op == "*":
        return [
            ("align-left", broadcast(sa, sb, left=True)),
            ("mul-no-broadcast", broadcast(sa, sb, strict=True)),
            ("any-size-broadcasts", broadcast(sa, sb, any_size=True)),
            ("mul-as-matmul", matmul_shape(sa, sb)),
        ]
    if op in ("mm", "bmm"):
        return [
            ("mm-broadcasts", matmul_shape(sa, sb)),
            ("right-transposed", strict_shape(op, sa, sb, transposed=True)),
        ]
    out = [
        ("matmul-as-mul", broadcast(sa, sb)),
        ("1d-kept", matmul_shape(sa, sb, keep_1d=True)),
        ("right-transposed", matmul_shape(sa, sb, transposed=True)),
    ]
    if max(len(sa), len(sb)) > 2:  # batch dims exist
        out += [
            ("align-left", matmul_shape(sa, sb, left=True)),
            ("batch-no-broadcast", matmul_shape(sa, sb, strict=True)),
            ("any-size-broadcasts", matmul_shape(sa, sb, any_size=True)),
            ("batch-of-a", matmul_shape(sa, sb, batch_of_a=True)),
            ("2d-as-vectors", matmul_shape(sa, sb, vectors=True)),
        ]
    return out


# ---------------------------------------------------------------- drawing

SIZES = range(2, 8)
WIDE = {"vectors": range(2, 21)}  # like the (10, 5, 20) @ (10, 20)
# named shapes from a model's code: (name of a, its dims), (name of b, its dims), result name
STORIES: dict[str, tuple[tuple[str, str], tuple[str, str], str]] = {
    "attention": (("wei", "T T"), ("x", "B T C"), "out"),
    "linear": (("x", "B T C"), ("W", "C H"), "y"),
    "scores": (("q", "B T H"), ("k", "B T H"), "wei"),
    "heads": (("q", "B nh T hs"), ("kT", "B nh hs T"), "att"),
}
LETTERS = {  # the sizes a story's letter may take (distinct letters get distinct sizes), in
    "B": (2, 3, 4),  # the order the code assigns them: B, T, C = 4, 8, 16
    "nh": (2, 3, 4),
    "T": (5, 6, 8),
    "hs": (5, 6, 7),
    "C": (16, 32),
    "H": (10, 12, 24),
}
STORY = ["story"]
# level -> [(case, weight, ops, patterns)]. One pattern is drawn: "dims of a | dims of b",
# each dim a letter (distinct letters get distinct sizes from SIZES) or a literal 1; a
# trailing "~" puts the operands in either order. A story case takes its dims from STORIES.
CASES: dict[int, list[tuple[str, int, str, list[str]]]] = {
    1: [
        ("mul-outer", 1, "*", ["m 1 | 1 n"]),
        ("mul-row", 1, "*", ["m n | n ~", "m n | 1 n ~"]),
        ("mul-col", 1, "*", ["m n | m 1 ~"]),
        ("mul-vec-col", 1, "*", ["n | m 1 ~"]),
        ("mul-fail", 1, "*", ["m n | m ~", "m n | n m ~"]),
        ("vec-mat", 1, "@", ["n | n p"]),
        ("mat-vec", 1, "@", ["m n | n"]),
        ("vec-vec", 1, "@", ["n | n"]),
        ("mat-mat", 1, "@", ["m n | n p"]),
        # b given as (out, in) like nn.Linear's weight, without the transpose
        ("matmul-fail", 1, "@", ["m n | p n", "n | m n"]),
    ],
    2: [
        ("batched", 1, "@", ["b n m | b m p"]),
        ("attention", 1, "@", STORY),
        ("linear", 1, "@", STORY),
        ("batch-one", 1, "@", ["1 n m | b m p", "b n m | 1 m p"]),
        ("batch-mismatch", 1, "@", ["b n m | c m p"]),
        ("inner-mismatch", 1, "@", ["b n m | b p m"]),
        ("batch-vec", 1, "@", ["b n m | m"]),
        ("mul-bias", 1, "*", ["b t c | c ~", "b t c | 1 1 c ~", "b t c | t 1 ~"]),
        ("mul-mixed", 1, "*", ["b 1 c | t c ~"]),
        ("mul-outer-3d", 1, "*", ["b t 1 | b 1 c"]),
        ("mul-fail-3d", 1, "*", ["b t c | b c ~", "b t c | b 1 ~"]),
    ],
    3: [
        # (10, 5, 20) @ (10, 20) raises: b is one matrix, not 10 vectors; (10, 5, 20) @ (20, 10)
        # works
        ("vectors", 2, "@ matmul", ["b n m | b m", "b n m | m b"]),
        ("4d-broadcast", 1, "@ matmul", ["a 1 n m | b m p"]),
        ("4d-batch", 1, "@ matmul", ["a b n m | b m p", "b n m | a b m p"]),
        ("4d-left-fail", 1, "@ matmul", ["a b n m | a m p"]),
        ("4d-vec", 1, "@ matmul", ["m | a b m n", "a b n m | m"]),
        ("heads", 1, "@ matmul", STORY),
        ("scores", 1, "@", STORY),
        ("mm-batched", 1, "mm", ["b n m | m p"]),
        ("mm", 1, "mm", ["n m | m p", "m | m p"]),
        ("bmm", 1, "bmm", ["b n m | b m p"]),
        ("bmm-broadcast", 1, "bmm", ["b n m | 1 m p", "b n m | m p"]),
        ("mul-4d", 1, "*", ["a 1 t 1 | b 1 c ~", "a 1 t 1 | b 1 c ~", "a b t c | a 1 c ~"]),
    ],
}


def _story_sizes(rng: random.Random, letters: list[str]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for letter in LETTERS:
        if letter in letters:
            sizes[letter] = rng.choice([v for v in LETTERS[letter] if v not in sizes.values()])
    return sizes


def draw_case(rng: random.Random, level: int) -> tuple[str, dict[str, Any]]:
    """(case name, params): the first draws `generate` makes, so tests can count the cases."""
    cases = CASES[level]
    name, _, ops, patterns = cases[rng.choices(range(len(cases)), [c[1] for c in cases])[0]]
    pattern = rng.choice(patterns)
    story = name if pattern == "story" else None
    if story is not None:
        (_, da), (_, db), _ = STORIES[story]
        pattern = f"{da} | {db}"
    either = pattern.endswith("~")
    left, right = (side.split() for side in pattern.rstrip(" ~").split("|"))
    letters = list(dict.fromkeys(x for x in left + right if x != "1"))
    if story is not None:
        sizes = _story_sizes(rng, letters)
    else:
        sizes = dict(zip(letters, rng.sample(WIDE.get(name, SIZES), len(letters)), strict=True))
    sa = [1 if x == "1" else sizes[x] for x in left]
    sb = [1 if x == "1" else sizes[x] for x in right]
    op = rng.choice(ops.split())
    if either and rng.random() < 0.5:
        sa, sb = sb, sa
    return name, {"a": sa, "b": sb, "op": op, "story": story}


# ---------------------------------------------------------------- text (en and zh)

TEXT: dict[str, dict[str, Any]] = tomllib.loads(
    Path(__file__).with_name("broadcasting.toml").read_text(encoding="utf-8")
)


def fmt_shape(shape: Any) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def names(p: dict[str, Any]) -> tuple[str, str, str]:
    """The variable names of a, b and the result in the shown code."""
    if p["story"] is None:
        return "a", "b", "c"
    (na, _), (nb, _), out = STORIES[p["story"]]
    return na, nb, out


def story_sizes(p: dict[str, Any]) -> dict[str, int]:
    """letter -> size of a story's shapes, in the order of LETTERS."""
    (_, da), (_, db), _ = STORIES[p["story"]]
    pairs = list(zip(da.split(), p["a"], strict=True)) + list(zip(db.split(), p["b"], strict=True))
    sizes = dict(pairs)
    return {x: sizes[x] for x in LETTERS if x in sizes}


def code_lines(p: dict[str, Any]) -> list[str]:
    """The question's code: the tensors (zeros of the shapes) and the product."""
    na, nb, out = names(p)
    expr = EXPR[p["op"]].format(a=na, b=nb)
    if p["story"] is None:
        sizes_a, sizes_b = ", ".join(map(str, p["a"])), ", ".join(map(str, p["b"]))
        return [
            f"{na} = torch.zeros({sizes_a})",
            f"{nb} = torch.zeros({sizes_b})",
            f"{out} = {expr}",
        ]
    (_, da), (_, db), _ = STORIES[p["story"]]
    sizes = story_sizes(p)
    return [
        f"{', '.join(sizes)} = {', '.join(map(str, sizes.values()))}",
        f"{na} = torch.zeros({', '.join(da.split())})",
        f"{nb} = torch.zeros({', '.join(db.split())})",
        f"{out} = {expr}",
    ]


def answer_text(value: Any, lang: str = "en") -> str:
    return TEXT[lang]["error"] if value is None else fmt_shape(value)


def prompt(p: dict[str, Any], expected: Any, lang: str) -> str:
    T = TEXT[lang]
    lines = [line if lang == "en" else f"`{line}`" for line in code_lines(p)]
    if p["story"] is not None:
        lines.insert(0, T[f"story_{p['story']}"])
    out = names(p)[2]
    ex = next(e for e in ([2, 3, 4], [5, 1, 7]) if e != expected)
    what = f"{out}.shape" if lang == "en" else f"`{out}.shape`"
    lines.append(T["ask"].format(what=what, ex=fmt_shape(ex)))
    return "\n".join(lines)


def _pair_bad(pa: Shape, pb: Shape) -> tuple[int, int, int]:
    """(k: the dim counted from the right, size in a, size in b) of the first clash."""
    for k in range(1, len(pa) + 1):
        x, y = pa[-k], pb[-k]
        if x != y and 1 not in (x, y):
            return k, x, y
    raise ValueError("no clash")  # pragma: no cover


def _broadcast_lines(sa: Shape, sb: Shape, T: dict[str, str], key: str) -> list[str]:
    """Aligning two shapes (whole operands for *, batch dims for @) and the outcome."""
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    out = broadcast(sa, sb)
    lines = [
        T[f"{key}_align"].format(
            sa=fmt_shape(sa), sb=fmt_shape(sb), pa=fmt_shape(pa), pb=fmt_shape(pb)
        )
    ]
    if out is None:
        k, x, y = _pair_bad(pa, pb)
        lines.append(T["clash"].format(k=k, x=x, y=y))
    else:
        lines.append(T[f"{key}_ok"].format(out=fmt_shape(out)))
    return lines


def _matmul_lines(p: dict[str, Any], T: dict[str, str]) -> list[str]:
    sa, sb = tuple(p["a"]), tuple(p["b"])
    na, nb, _ = names(p)
    ma, mb = as_matrices(sa, sb)
    key = "matmul" if p["op"] == "@" else "matmul_call"
    lines = [T[key].format(expr=EXPR[p["op"]].format(a=na, b=nb), at=EXPR["@"].format(a=na, b=nb))]
    if len(sa) == 1:
        lines.append(T["a_1d"].format(a=na, n=sa[0]))
    if len(sb) == 1:
        lines.append(T["b_1d"].format(b=nb, n=sb[0]))
    if len(sb) == 2 and len(sa) >= 3:
        lines.append(T["b_2d_shared"].format(b=nb, sb=fmt_shape(sb)))
    n, k, k2, q = ma[-2], ma[-1], mb[-2], mb[-1]
    if k != k2:
        lines.append(T["inner_bad"].format(n=n, k=k, k2=k2, q=q))
        return lines
    lines.append(T["inner_ok"].format(n=n, k=k, q=q))
    ba, bb = ma[:-2], mb[:-2]
    batch: Shape | None = ba
    if ba == bb and ba:
        lines.append(T["batch_same"].format(sa=fmt_shape(ba)))
    elif ba or bb:
        lines += _broadcast_lines(ba, bb, T, "batch")
        batch = broadcast(ba, bb)
        if batch is None:
            return lines
    full = (*batch, n, q)
    value = matmul_shape(sa, sb)
    if batch:
        lines.append(T["result"].format(batch=fmt_shape(batch), n=n, q=q, full=fmt_shape(full)))
    if value != full:
        lines.append(T["dropped"].format(out=fmt_shape(value)))
    return lines


def _strict_lines(p: dict[str, Any], T: dict[str, str]) -> list[str]:
    op, sa, sb = p["op"], tuple(p["a"]), tuple(p["b"])
    rank = 2 if op == "mm" else 3
    lines = [T[op]]
    for name, s in zip(names(p)[:2], (sa, sb), strict=True):
        if len(s) != rank:
            lines.append(T["rank_bad"].format(x=name, k=len(s), rank=rank, s=fmt_shape(s)))
            return lines
    if sa[:-2] != sb[:-2]:
        lines.append(T["bmm_batch_bad"].format(x=sa[0], y=sb[0]))
        return lines
    n, k, k2, q = sa[-2], sa[-1], sb[-2], sb[-1]
    if k != k2:
        lines.append(T["inner_bad"].format(n=n, k=k, k2=k2, q=q))
        return lines
    lines.append(T["inner_ok"].format(n=n, k=k, q=q))
    if op == "bmm":
        full = (sa[0], n, q)
        lines.append(T["result"].format(batch=fmt_shape(sa[:1]), n=n, q=q, full=fmt_shape(full)))
    return lines


def solution(p: dict[str, Any], value: Any, lang: str) -> str:
    T = TEXT[lang]
    lines = []
    if p["story"] is not None:
        sizes = ", ".join(f"{k} = {v}" for k, v in story_sizes(p).items())
        lines.append(T["sizes"].format(sizes=sizes))
    if p["op"] == "*":
        na, nb, _ = names(p)
        lines.append(T["mul"].format(expr=EXPR["*"].format(a=na, b=nb)))
        lines += _broadcast_lines(tuple(p["a"]), tuple(p["b"]), T, "mul")
    elif p["op"] in ("@", "matmul"):
        lines += _matmul_lines(p, T)
    else:
        lines += _strict_lines(p, T)
    lines.append(T["answer"].format(a=answer_text(value, lang)))
    return "\n".join(lines)


# ---------------------------------------------------------------- generator


def _listed(shape: Shape | None) -> list[int] | None:
    return None if shape is None else list(shape)


@register
class Broadcasting(Generator):
    id = FAMILY
    version = 1
    topic = "Tensors"
    topic_zh = "张量"
    title = "Shapes of broadcasting a * b and batched a @ b (1-d to 4-d), torch.mm and torch.bmm"
    title_zh = "广播 a * b 与批量矩阵乘法 a @ b（一维到四维）、torch.mm 和 torch.bmm 的结果形状"
    formula_tex = (
        r"(\ldots, n, m) \,@\, (\ldots, m, p) \to "
        r"(\operatorname{broadcast}(\ldots, \ldots), n, p)"
    )
    levels = 3
    explanations = dict(TEXT["en"]["explain"])
    explanations_zh = dict(TEXT["zh"]["explain"])

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        _, p = draw_case(rng, difficulty)
        return self.build(difficulty, p)

    def build(self, difficulty: int, p: dict[str, Any]) -> Question:
        """The question for given params (also used by the tests for known values)."""
        sa, sb = tuple(p["a"]), tuple(p["b"])
        value = _listed(result_shape(p["op"], sa, sb))
        return self.question(
            difficulty,
            params=p,
            ask="shape",
            prompt=prompt(p, value, "en"),
            kind="shape",
            expected=value,
            result=value,
            answer=answer_text(value),
            solution=solution(p, value, "en"),
            allow_undefined=True,
            misconceptions=[(i, _listed(v)) for i, v in mistakes(p["op"], sa, sb)],
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt(q.params, q.expected, "zh"),
            "answer": answer_text(q.expected, "zh"),
            "solution": solution(q.params, q.result, "zh"),
        }
