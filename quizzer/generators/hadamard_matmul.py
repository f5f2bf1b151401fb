"""Hadamard (elementwise, broadcasting) product `a * b` versus matrix product `a @ b`.

Pure-Python formula side: torch's broadcasting rule (align shapes from the right; sizes
must be equal or 1) and torch.matmul's rules for 1-d and 2-d operands (a 1-d left operand
acts as a row, a 1-d right operand as a column, and that dimension is dropped again).
A value is a nested list: a 2-d matrix, a 1-d list, or an int for a 0-d result; None
means torch raises an error (undefined).
"""

from __future__ import annotations

import random
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

Shape = tuple[int, ...]
OPS = {"mul": "a * b", "matmul": "a @ b"}
ASKS = ("result", "shape", "defined")
YES_NO_ALIASES = {
    "y": "yes",
    "true": "yes",
    "t": "yes",
    "defined": "yes",
    "valid": "yes",
    "ok": "yes",
    "是": "yes",
    "是的": "yes",
    "对": "yes",
    "能": "yes",
    "可以": "yes",
    "有定义": "yes",
    "n": "no",
    "false": "no",
    "f": "no",
    "否": "no",
    "不": "no",
    "不是": "no",
    "不能": "no",
    "不可以": "no",
}


# ---------------------------------------------------------------- formula


def shape_of(x: Any) -> Shape:
    """The shape of a 0-d, 1-d or 2-d nested list (rows of equal length)."""
    if not isinstance(x, list):
        return ()
    if x and isinstance(x[0], list):
        return (len(x), len(x[0]))
    return (len(x),)


def broadcast_shape(sa: Shape, sb: Shape, *, strict: bool = False) -> Shape | None:
    """torch's broadcast shape, or None; strict=True demands equal shapes (no broadcasting)."""
    if strict:
        return sa if sa == sb else None
    out = []
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(reversed(out))


def expand(x: Any, out: Shape) -> list[list[int]]:
    """x broadcast to the shape `out`, as rows (a 1-d `out` gives a single row)."""
    n_rows, n_cols = out if len(out) == 2 else (1, out[0])
    rows = x if x and isinstance(x[0], list) else [x]
    if len(rows) < n_rows:
        rows = rows * n_rows
    return [r * n_cols if len(r) < n_cols else r for r in rows]


def mul(a: Any, b: Any, *, strict: bool = False) -> Any:
    """a * b with torch broadcasting (strict=True: no broadcasting); None if undefined."""
    out = broadcast_shape(shape_of(a), shape_of(b), strict=strict)
    if out is None:
        return None
    prod = [
        [x * y for x, y in zip(ra, rb, strict=True)]
        for ra, rb in zip(expand(a, out), expand(b, out), strict=True)
    ]
    return prod if len(out) == 2 else prod[0]


def matmul(a: Any, b: Any) -> Any:
    """torch.matmul for 1-d / 2-d operands; None if the sizes do not fit."""
    sa, sb = shape_of(a), shape_of(b)
    rows = a if len(sa) == 2 else [a]
    cols = b if len(sb) == 2 else [[v] for v in b]
    if len(rows[0]) != len(cols):
        return None
    columns = list(zip(*cols, strict=True))
    out = [[sum([x * y for x, y in zip(r, col, strict=True)]) for col in columns] for r in rows]
    if len(sb) == 1:
        out = [row[0] for row in out]
    if len(sa) == 1:
        out = out[0]
    return out


def compute(op: str, a: Any, b: Any) -> Any:
    return mul(a, b) if op == "mul" else matmul(a, b)


def answer_of(ask: str, value: Any) -> Any:
    """The asked part of a full result (None = undefined)."""
    if ask == "defined":
        return "no" if value is None else "yes"
    if ask == "shape":
        return None if value is None else list(shape_of(value))
    return value


# ---------------------------------------------------------------- drawing


VALUES = range(-5, 10)  # entries -5..9


def draws(rng: random.Random, count: int) -> list[int]:
    """[rng.choice(VALUES) for _ in range(count)], drawn the way Random.choice draws
    (VALUES[_randbelow(15)]: getrandbits(4) until below 15) in one loop, several times
    faster; tests/test_gen_hadamard_matmul.py checks that it matches rng.choice."""
    getrandbits = rng.getrandbits
    n, k, lo = len(VALUES), len(VALUES).bit_length(), VALUES[0]
    out = []
    for _ in range(count):
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        out.append(lo + r)
    return out


def _matrix(rng: random.Random, shape: Shape) -> Any:
    if len(shape) == 1:
        return draws(rng, shape[0])
    m, n = shape
    flat = draws(rng, m * n)  # row by row, like the nested comprehension it replaces
    return [flat[i : i + n] for i in range(0, m * n, n)]


def _other(rng: random.Random, n: int) -> int:
    return rng.choice([x for x in (2, 3, 4) if x != n])


def _shapes_level2(rng: random.Random, op: str) -> tuple[Shape, Shape]:
    m, n, p = (rng.choice([2, 3]) for _ in range(3))
    while m == n == p:
        m, n, p = (rng.choice([2, 3]) for _ in range(3))
    defined = rng.random() < 0.6
    if op == "matmul":
        return ((m, n), (n, p)) if defined else ((m, n), (_other(rng, n), p))
    if m == n:
        m, n = n, _other(rng, n)
    if defined:
        return (m, n), (m, n)
    return rng.choice([((m, n), (n, m)), ((m, n), (m, _other(rng, n)))])


def _shapes_level3(rng: random.Random, op: str) -> tuple[Shape, Shape]:
    m, n = rng.choice([(2, 3), (3, 2), (2, 2), (3, 3), (3, 4)])
    k, k_rows = _other(rng, n), _other(rng, m)
    if op == "mul":
        pairs = [
            ((m, n), (1, n)),
            ((m, n), (m, 1)),
            ((m, 1), (1, n)),
            ((n,), (m, n)),
            ((m, n), (n,)),
            ((m, n), (1, k)),
            ((m, n), (k_rows, 1)),
            ((k,), (m, n)),
        ]
    else:
        pairs = [
            ((m, 1), (1, n)),
            ((n,), (n, m)),
            ((m, n), (n,)),
            ((n,), (n,)),
            ((m, n), (k,)),
            ((k,), (n, m)),
            ((m, n), (n, k)),
            ((m, n), (m, n)),
        ]
    sa, sb = rng.choice(pairs)
    if op == "mul" and rng.random() < 0.5:
        sa, sb = sb, sa
    return sa, sb


def draw_params(rng: random.Random, difficulty: int) -> tuple[Any, Any, str, str]:
    op = rng.choice(["mul", "matmul"])
    if difficulty == 1:
        return _matrix(rng, (2, 2)), _matrix(rng, (2, 2)), op, "result"
    sa, sb = (_shapes_level2 if difficulty == 2 else _shapes_level3)(rng, op)
    a, b = _matrix(rng, sa), _matrix(rng, sb)
    value = compute(op, a, b)
    asks = ASKS if value is None or len(shape_of(value)) == 2 else ASKS[1:]
    return a, b, op, rng.choice(asks)


# ---------------------------------------------------------------- text (English and Chinese)

ERROR = {"en": "error", "zh": "报错（error）"}
YES_NO_ZH = {"yes": "是（yes）", "no": "否（no）"}
OPERATION = {
    "en": {
        "mul": "a * b (torch.mul: the elementwise, Hadamard product, with broadcasting)",
        "matmul": "a @ b (torch.matmul: the matrix product)",
    },
    "zh": {
        "mul": "a * b（torch.mul：逐元素乘积，即哈达玛积，支持广播）",
        "matmul": "a @ b（torch.matmul：矩阵乘法）",
    },
}


def fmt_shape(shape: Any) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def fmt_value(value: Any, lang: str = "en") -> str:
    return ERROR[lang] if value is None else str(value)


def fmt_answer(ask: str, value: Any, lang: str = "en") -> str:
    if ask == "shape" and value is not None:
        return fmt_shape(value)
    if ask == "defined" and lang == "zh":
        return YES_NO_ZH[value]
    return fmt_value(value, lang)


def prompt_text(a: Any, b: Any, op: str, ask: str, lang: str = "en") -> str:
    sa, sb, expr = fmt_shape(shape_of(a)), fmt_shape(shape_of(b)), OPS[op]
    if lang == "zh":
        head = (
            f"a = {a}   （形状 {sa}）\nb = {b}   （形状 {sb}）\n"
            f"两者都是 int64 类型的 torch 张量。考虑 {OPERATION[lang][op]}。\n"
        )
        if ask == "result":
            return head + (
                f"{expr} 的结果是什么？回答完整的矩阵，例如 [[1, 2], [3, 4]] 或 1 2; 3 4；"
                "如果 torch 报错，回答 error（或“报错”）。"
            )
        if ask == "shape":
            return head + (
                f"{expr} 的形状是什么？按 (2, 3)、(3,) 这样的格式回答，标量回答 ()；"
                "如果 torch 报错，回答 error（或“报错”）。"
            )
        return head + f"{expr} 有定义吗，即 torch 能否不报错地算出它？回答 yes 或 no（或 是/否）。"
    head = (
        f"a = {a}   (shape {sa})\n"
        f"b = {b}   (shape {sb})\n"
        "Both are int64 torch tensors. Consider " + OPERATION[lang][op] + ".\n"
    )
    if ask == "result":
        return head + (
            f"What is {expr}? Answer the full matrix, e.g. [[1, 2], [3, 4]] or 1 2; 3 4, "
            "or 'error' if torch raises an error."
        )
    if ask == "shape":
        return head + (
            f"What is the shape of {expr}? Answer like (2, 3), (3,) or () for a scalar, "
            "or 'error' if torch raises an error."
        )
    return (
        head + f"Is {expr} defined, i.e. does torch compute it without an error? Answer yes or no."
    )


MUL_TEXT = {
    "en": (
        "a * b multiplies matching entries. Shapes {sa} and {sb}, aligned from the right: each "
        "pair of sizes must be equal or contain a 1 (a missing size counts as 1).",
        "Some pair differs and neither is 1, so torch raises an error: undefined.",
        "Every pair fits; size-1 (or missing) dimensions are repeated: {out}.",
        "The shapes are equal, so the result has shape {out}.",
    ),
    "zh": (
        "a * b 把对应位置的元素相乘。形状 {sa} 和 {sb} 从右对齐：每一对尺寸必须相等，或者其中"
        "一个为 1（缺失的维度按 1 计）。",
        "有一对尺寸不相等且都不为 1，所以 torch 报错：无定义。",
        "每一对都匹配；大小为 1（或缺失）的维度被重复（广播）：{out}。",
        "两个形状相同，所以结果的形状为 {out}。",
    ),
}


def _mul_steps(a: Any, b: Any, value: Any, lang: str) -> list[str]:
    sa, sb = shape_of(a), shape_of(b)
    head, error, broadcast, same = MUL_TEXT[lang]
    lines = [head.format(sa=fmt_shape(sa), sb=fmt_shape(sb))]
    if value is None:
        lines.append(error)
        return lines
    out = shape_of(value)
    lines.append((broadcast if sa != sb else same).format(out=fmt_shape(out)))
    for i, (ra, rb) in enumerate(zip(expand(a, out), expand(b, out), strict=True)):
        row_index = f"[{i}]" if len(out) == 2 else ""
        for j, (x, y) in enumerate(zip(ra, rb, strict=True)):
            lines.append(f"  c{row_index}[{j}] = {_n(x)} * {_n(y)} = {x * y}")
    return lines


MATMUL_TEXT = {
    "en": (
        "a @ b: a has shape {sa}, b has shape {sb}.",
        "A 1-d a acts as a single row (its dimension is dropped from the result).",
        "A 1-d b acts as a single column (its dimension is dropped from the result).",
        ("columns of a", "length of a", "rows of b", "length of b"),
        "The inner sizes ({wa} = {na}, {wb} = {nb}) differ, so torch raises an error: undefined.",
        "The inner sizes match ({wa} = {wb} = {na}) and disappear; the result has shape {out}"
        "{scalar}. Each entry is a row of a dotted with a column of b:",
        " (a scalar)",
    ),
    "zh": (
        "a @ b：a 的形状为 {sa}，b 的形状为 {sb}。",
        "一维的 a 当作一行（结果中去掉这一维）。",
        "一维的 b 当作一列（结果中去掉这一维）。",
        ("a 的列数", "a 的长度", "b 的行数", "b 的长度"),
        "内侧尺寸（{wa} = {na}，{wb} = {nb}）不相等，所以 torch 报错：无定义。",
        "内侧尺寸相等（{wa} = {wb} = {na}），相乘后消失；结果的形状为 {out}{scalar}。"
        "每个元素是 a 的一行与 b 的一列的点积：",
        "（标量）",
    ),
}


def _matmul_steps(a: Any, b: Any, value: Any, lang: str) -> list[str]:
    sa, sb = shape_of(a), shape_of(b)
    head, row_a, col_b, what, error, inner, scalar = MATMUL_TEXT[lang]
    lines = [head.format(sa=fmt_shape(sa), sb=fmt_shape(sb))]
    if len(sa) == 1:
        lines.append(row_a)
    if len(sb) == 1:
        lines.append(col_b)
    wa = what[0] if len(sa) == 2 else what[1]
    wb = what[2] if len(sb) == 2 else what[3]
    if value is None:
        lines.append(error.format(wa=wa, na=sa[-1], wb=wb, nb=sb[0]))
        return lines
    out = shape_of(value)
    lines.append(
        inner.format(wa=wa, wb=wb, na=sa[-1], out=fmt_shape(out), scalar="" if out else scalar)
    )
    rows = a if len(sa) == 2 else [a]
    cols = b if len(sb) == 2 else [[v] for v in b]
    columns = list(zip(*cols, strict=True))
    for i, r in enumerate(rows):
        row_index = f"[{i}]" if len(sa) == 2 else ""
        for j, col in enumerate(columns):
            terms = " + ".join([f"{_n(x)}*{_n(y)}" for x, y in zip(r, col, strict=True)])
            total = sum([x * y for x, y in zip(r, col, strict=True)])
            col_index = f"[{j}]" if len(sb) == 2 else ""
            lines.append(f"  c{row_index}{col_index} = {terms} = {total}")
    return lines


def _n(x: int) -> str:
    return f"({x})" if x < 0 else str(x)


def solution_text(a: Any, b: Any, op: str, ask: str, value: Any, lang: str = "en") -> str:
    steps = _mul_steps if op == "mul" else _matmul_steps
    lines = steps(a, b, value, lang)
    answer = fmt_answer(ask, answer_of(ask, value), lang)
    if lang == "zh":
        lines += [f"{OPS[op]} = {fmt_value(value, lang)}。", f"答案：{answer}。"]
    else:
        lines += [f"{OPS[op]} = {fmt_value(value)}.", f"Answer: {answer}."]
    return "\n".join(lines)


# ---------------------------------------------------------------- generator


def wrong_shape(a: Any, b: Any, op: str, rule: str) -> list[int] | None:
    """Shape answers of wrong shape rules: 'inner' keeps the inner sizes, 'as-a' copies a's."""
    sa, sb = shape_of(a), shape_of(b)
    if rule == "as-a":
        return list(sa)
    if op == "matmul" and len(sa) == len(sb) == 2:
        return [sa[1], sb[0]]
    return None


@register
class HadamardMatmul(Generator):
    id = "hadamard-matmul"
    version = 1
    topic = "Tensors"
    title = "Elementwise (Hadamard) a * b with broadcasting versus the matrix product a @ b"
    formula_tex = r"(a \odot b)_{ij} = a_{ij} b_{ij}, \qquad (a b)_{ij} = \sum_k a_{ik} b_{kj}"
    levels = 3
    explanations = {
        "mul-as-matmul": (
            "a * b is the elementwise (Hadamard) product, not the matrix product a @ b."
        ),
        "matmul-as-mul": (
            "a @ b is the matrix product (rows of a dotted with columns of b), "
            "not the elementwise a * b."
        ),
        "matmul-transposed": (
            "The matrix product is not commutative: a @ b takes rows of a and columns of b, "
            "which is not b @ a."
        ),
        "mul-no-broadcast": (
            "a * b broadcasts: sizes aligned from the right may differ when one of them is 1 "
            "(or missing), and that dimension is repeated."
        ),
        "shape-inner": (
            "In (m, n) @ (n, p) the shared inner size n disappears; the result keeps the outer "
            "sizes: (m, p)."
        ),
        "shape-as-a": (
            "The result does not simply keep a's shape: a * b takes the broadcast shape, and "
            "(m, n) @ (n, p) gives (m, p)."
        ),
    }

    topic_zh = "张量"
    title_zh = "逐元素（哈达玛）乘积 a * b（含广播）与矩阵乘法 a @ b 的区别"
    explanations_zh = {
        "mul-as-matmul": "a * b 是逐元素乘积（哈达玛积），不是矩阵乘法 a @ b。",
        "matmul-as-mul": "a @ b 是矩阵乘法（a 的行与 b 的列做点积），不是逐元素的 a * b。",
        "matmul-transposed": "矩阵乘法不满足交换律：a @ b 取 a 的行和 b 的列，不等于 b @ a。",
        "mul-no-broadcast": (
            "a * b 会广播：从右对齐的尺寸可以不同，只要其中一个为 1（或缺失），这一维就会被重复。"
        ),
        "shape-inner": "(m, n) @ (n, p) 中共同的内侧尺寸 n 会消失；结果保留外侧尺寸：(m, p)。",
        "shape-as-a": (
            "结果并不简单地沿用 a 的形状：a * b 取广播后的形状，(m, n) @ (n, p) 得到 (m, p)。"
        ),
    }

    def zh(self, q: Question) -> dict[str, str]:
        a, b, op = q.params["a"], q.params["b"], q.params["op"]
        return {
            "prompt": prompt_text(a, b, op, q.ask, "zh"),
            "answer": fmt_answer(q.ask, q.expected, "zh"),
            "solution": solution_text(a, b, op, q.ask, q.result, "zh"),
        }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        a, b, op, ask = draw_params(rng, difficulty)
        return self.build(difficulty, a, b, op, ask)

    def build(self, difficulty: int, a: Any, b: Any, op: str, ask: str) -> Question:
        """The question for given operands (also used by the tests for known values)."""
        value = compute(op, a, b)
        expected = answer_of(ask, value)
        # order matters where two wrong rules give the same answer: the first one is kept
        misconceptions: list[tuple[str, Any]]
        if op == "matmul":
            misconceptions = [
                ("matmul-as-mul", answer_of(ask, mul(a, b))),
                ("matmul-transposed", answer_of(ask, matmul(b, a))),
            ]
        else:
            misconceptions = [
                ("mul-no-broadcast", answer_of(ask, mul(a, b, strict=True))),
                ("mul-as-matmul", answer_of(ask, matmul(a, b))),
            ]
        if ask == "shape" and value is not None:
            for rule in ("inner", "as-a"):
                wrong = wrong_shape(a, b, op, rule)
                if wrong is not None:
                    misconceptions.append((f"shape-{rule}", wrong))
        if ask == "result":  # a matrix question: keep only matrix (or "error") answers
            misconceptions = [m for m in misconceptions if m[1] is None or len(shape_of(m[1])) == 2]
        choice = ask == "defined"
        return self.question(
            difficulty,
            params={"a": a, "b": b, "op": op},
            ask=ask,
            prompt=prompt_text(a, b, op, ask),
            kind="choice" if choice else "shape" if ask == "shape" else "matrix",
            expected=expected,
            result=value,
            answer=fmt_answer(ask, expected),
            solution=solution_text(a, b, op, ask, value),
            choices=("yes", "no") if choice else (),
            allow_undefined=not choice,
            misconceptions=misconceptions,
            extra={"aliases": dict(YES_NO_ALIASES)} if choice else {},
        )
