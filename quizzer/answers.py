"""Read a typed answer and compare it with the expected one.

A format error (AnswerFormatError, with a hint) is not a wrong answer: the session
re-prompts and no attempt is used. Nothing typed here ever reaches eval, sympify or
parse_expr: numbers go through a small whitelisted tokenizer and recursive-descent
evaluator (digits, + - * / ^ **, parentheses, sqrt, pi) with length, depth and
overflow limits.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from quizzer.errors import AnswerFormatError, UnknownFamily
from quizzer.question import Misconception, Question

MAX_LEN = 500
UNDEFINED_WORDS = {
    "error",
    "err",
    "undefined",
    "undef",
    "runtimeerror",
    "typeerror",
    "valueerror",
    "indexerror",
    "keyerror",
    "exception",
    "raises",
    "invalid",
    "none",
    "null",
    "not defined",
    "notdefined",
    "n/a",
    "na",
    "nan",  # torch's answer where it computes no number (std of one value, 0/0)
    "报错",
    "错误",
    "未定义",
    "无定义",
    "无法计算",
}

# Each hint shows example answers; the first example that is not this question's answer
# is used, so a format error never gives the answer away.
HINTS = {
    "int": ("type a whole number, e.g. {0}", "请输入整数，例如 {0}", [("28",), ("7",)]),
    "shape": (
        "type a shape, e.g. {0}, {1} or torch.Size([{2}])",
        "请输入形状，例如 {0}、{1} 或 torch.Size([{2}])",
        [
            ("(1, 6, 28, 28)", "1x6x28x28", "1, 6, 28, 28"),
            ("(2, 3, 5, 5)", "2x3x5x5", "2, 3, 5, 5"),
        ],
    ),
    "vector": (
        "type a vector, e.g. {0} or {1}",
        "请输入向量，例如 {0} 或 {1}",
        [("1 0 1 0", "[1, 0, 1, 0]"), ("0 1 0", "[0, 1, 0]")],
    ),
    "matrix": (
        "type a matrix, e.g. {0} or {1}",
        "请输入矩阵，例如 {0} 或 {1}",
        [("[[5,12],[21,32]]", "5 12; 21 32"), ("[[1,2],[3,4]]", "1 2; 3 4")],
    ),
    "number": (
        "type a number, e.g. {0} or an exact form such as {1}",
        "请输入数值，例如 {0}，也可以写精确形式，如 {1}",
        [("-0.71", "-1/sqrt(2)"), ("1.25", "sqrt(3)/2")],
    ),
    "choice": ("type one of: {choices}", "请输入以下之一：{choices}", [()]),
    "labels": (
        "type one category per feature, in order, separated by commas",
        "按特征顺序，每个特征写一个类别，用逗号分隔",
        [()],
    ),
}
UNDEFINED_HINT = {"en": ", or 'error' if it is undefined", "zh": "；若无定义（报错）请输入 error"}


@dataclass(frozen=True)
class Grade:
    correct: bool
    value: Any  # the parsed answer (None = "undefined")
    # every known mistake that gives this (wrong) answer, in the question's order: when two
    # mistakes coincide on a question, the learner may have made either
    misconceptions: tuple[Misconception, ...] = ()

    @property
    def mistake_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.misconceptions)


def hint(q: Question, lang: str = "en") -> str:
    """How to type an answer to q, with examples that are not q's answer."""
    en, zh, examples = HINTS[q.kind]
    chosen = examples[-1]
    for ex in examples:
        if not ex or not _is_answer(q, ex[0]):
            chosen = ex
            break
    text = (zh if lang == "zh" else en).format(*chosen, choices=", ".join(q.choices))
    if q.allow_undefined:
        text += UNDEFINED_HINT.get(lang, UNDEFINED_HINT["en"])
    return text


def _is_answer(q: Question, text: str) -> bool:
    try:
        return same_value(_PARSERS[q.kind](normalize(text), q), q.expected, q.tolerance)
    except (ValueError, ArithmeticError):
        return False


# ---------------------------------------------------------------- characters
#
# NFKC folds full-width forms (a Chinese IME's ２８) to ASCII, but it also folds characters
# whose meaning is not their digits: 3² would become 32, 10⁻³ 10-3, x₂ x2, ½ 1⁄2, ① 1.
# Superscript exponents are therefore read as powers before NFKC (3² is 3^(2)), decimal
# digits of any script are read as their digits (٣ is 3), and every other character that
# NFKC would turn into a digit, an operator or a separator is refused: a format error,
# never silently another number.

_EXPONENT = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾]+")
_EXPONENT_CHARS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾", "0123456789+-()")
# what the tokenizers below read, before and after the sign translations in normalize()
_MEANINGFUL = frozenset("0123456789+-*/^().,;|[]xXeE\u2212\u00d7\u221a")
# compatibility forms that are the same character in another width or size
_SAME_CHARACTER = frozenset({"<wide>", "<narrow>", "<small>", "<vertical>", "<noBreak>"})
_NUMBER_FORMS = frozenset({"<super>", "<sub>", "<circle>", "<square>", "<fraction>"})
# a thin or no-break space between digits is a thousands separator (1 000), not a list comma
_THOUSANDS = re.compile(r"\d[\u00a0\u2000-\u200a\u202f\u205f]\d")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # a decimal digit of another script or font


@lru_cache(maxsize=4096)
def _misread(c: str) -> bool:
    """Whether NFKC would make c read as something it does not mean (c not ASCII, not a
    superscript exponent): a subscript, circled or parenthesized number, vulgar fraction,
    Roman numeral, or a letter-like symbol such as ℯ or 𝐱 that would read as e or x."""
    category = unicodedata.category(c)
    if category == "Nd":  # a decimal digit in any script or font reads as its digit
        return False
    if category in ("No", "Nl"):
        return True
    folded = unicodedata.normalize("NFKC", c)
    if folded == c:
        return False
    tag = unicodedata.decomposition(c).partition(" ")[0]
    if not tag.startswith("<") or tag in _SAME_CHARACTER:
        return False
    return tag in _NUMBER_FORMS or any(ch in _MEANINGFUL for ch in folded)


def check_characters(text: str) -> None:
    """ValueError if text holds a character that NFKC would misread (see _misread), or a
    thin-space thousands separator; superscript exponents are fine (normalize reads them)."""
    if text.isascii():
        return
    for c in set(_EXPONENT.sub("", text)):
        if not c.isascii() and _misread(c):
            raise ValueError(f"cannot read {c!r}")
    if _THOUSANDS.search(text):
        raise ValueError("a thousands separator")


def normalize(text: str) -> str:
    """Superscript exponents to ^(...), NFKC (full-width to ASCII), digits of other scripts
    to ASCII, unify minus and times signs, trim. Call check_characters first on typed text."""
    if not text.isascii():
        text = _EXPONENT.sub(lambda m: "^(" + m.group().translate(_EXPONENT_CHARS) + ")", text)
        text = unicodedata.normalize("NFKC", text)
        text = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)
        text = text.replace("\u2212", "-").replace("\u00d7", "x").replace("\u221a", "sqrt")
    return text.strip()


def parse(q: Question, text: str) -> Any:
    """The value a typed answer stands for; raises AnswerFormatError with a hint."""
    if not isinstance(text, str):
        raise AnswerFormatError(hint(q))
    try:
        check_characters(text)
    except ValueError:
        raise AnswerFormatError(hint(q)) from None
    text = normalize(text)
    if not text or len(text) > MAX_LEN:
        raise AnswerFormatError(hint(q))
    if text.lower().rstrip(".!。！") in UNDEFINED_WORDS:
        if q.allow_undefined:
            return None
        raise AnswerFormatError(f"{text!r} is not an answer to this question: " + hint(q))
    try:
        return _PARSERS[q.kind](text, q)
    except BitCount as exc:
        raise AnswerFormatError(f"{exc}: {hint(q)}") from None
    except (ValueError, ArithmeticError, RecursionError, IndexError):
        raise AnswerFormatError(hint(q)) from None


def grade(q: Question, text: str) -> Grade:
    value = parse(q, text)
    if same_value(value, q.expected, q.tolerance, q.kind):
        return Grade(True, value)
    matching = tuple(m for m in q.misconceptions if same_value(value, m.value, q.tolerance, q.kind))
    return Grade(False, value, matching)


# ---------------------------------------------------------------- comparison


def _label(s: str) -> str:
    return re.sub(r"[\s_\-]+", "", normalize(str(s)).lower())


def same_value(a: Any, b: Any, tolerance: float | None = None, kind: str | None = None) -> bool:
    """Equality for answers: lists elementwise, floats within tolerance, labels loosely."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:  # the common cases first: this runs for every misconception
        return a == b
    if ta is float or tb is float:
        if (ta is float or ta is int) and (tb is float or tb is int):
            if a != a or b != b:  # NaN
                return False
            if tolerance is not None:
                return abs(a - b) <= tolerance * (1 + 1e-9)
            return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return False
    if a is None or b is None:
        return a is None and b is None
    if ta in (list, tuple) and tb in (list, tuple):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            if not same_value(x, y, tolerance, kind):
                return False
        return True
    if ta in (list, tuple) or tb in (list, tuple):
        return False
    if ta is bool or tb is bool:
        return a is b
    if ta is str and tb is str:
        return a == b or _label(a) == _label(b)
    if ta is dict and tb is dict:
        return a.keys() == b.keys() and all(same_value(a[k], b[k], tolerance) for k in a)
    return False


# ---------------------------------------------------------------- parsers

_INT = re.compile(r"[+-]?[0-9]{1,30}")
_SPLIT = re.compile(r"[\s,xX*|]+")
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")


def _int(token: str) -> int:
    token = token.strip()
    if _INT.fullmatch(token):
        return int(token)
    if re.fullmatch(r"[+-]?[0-9]{1,30}\.0*", token):
        return int(token[: token.index(".")])
    raise ValueError(token)


def _element(token: str) -> str:
    """A list element as typed. One that starts with a zero and then a digit (024, 000) is
    what a thousands separator leaves when it splits a number (1,024 or 1 000): refused."""
    if _LEADING_ZERO.match(token):
        raise ValueError(f"leading zero in {token!r}")
    return token


# 3,144 or 1,234,567: a thousands separator where no list is expected (int and number)
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_SQUARE = re.compile(r"([0-9]{1,30})\s*[xX]\s*([0-9]{1,30})")  # 13 x 13 (× is x by now)


def _ungrouped(text: str) -> str:
    """3,144 -> 3144 when the commas group digits by three; anything else unchanged."""
    t = text.strip()
    return t.replace(",", "") if _GROUPED.fullmatch(t) else text


def _parse_int(text: str, q: Question) -> int:
    m = _SQUARE.fullmatch(text.strip())
    if m and _square_side(q):  # "13 x 13" for the side of a 13 x 13 region
        if m.group(1) != m.group(2):
            raise ValueError("not a square")
        return _int(m.group(1))
    return _int(_ungrouped(text))


def _bit_vector(q: Question) -> bool:
    from quizzer import generators  # lazy: quizzer.generators imports this module

    try:
        return generators.get(q.generator).bit_vector(q)
    except UnknownFamily:
        return False


def _square_side(q: Question) -> bool:
    from quizzer import generators  # lazy: quizzer.generators imports this module

    try:
        return generators.get(q.generator).square_side(q)
    except UnknownFamily:
        return False


def _wrapped(t: str, pairs: tuple[str, ...] = ("()", "[]")) -> bool:
    """Whether t is one bracketed group: its first bracket closes at its last character."""
    if len(t) < 2 or t[0] + t[-1] not in pairs:
        return False
    depth = 0
    for i, ch in enumerate(t):
        depth += ch == t[0]
        depth -= ch == t[-1]
        if depth == 0:
            return i == len(t) - 1
    return False


def _strip_wrappers(text: str) -> str:
    t = text.strip()
    m = re.fullmatch(r"(?:torch\.)?(?:size|tensor)\s*\((.*)\)", t, flags=re.IGNORECASE | re.DOTALL)
    if m:
        t = m.group(1).strip()
    while _wrapped(t):
        t = t[1:-1].strip()
    return t


def _parse_shape(text: str, q: Question) -> list[int]:
    inner = _strip_wrappers(text)
    if not inner:
        return []
    parts = [p for p in _SPLIT.split(inner) if p]
    if not parts:
        raise ValueError(text)
    return [_int(_element(p)) for p in parts]


def _num(token: str) -> int | float:
    try:
        return _int(token)
    except ValueError:
        value = evaluate(token)
        return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _numbers(text: str, separators: str) -> list[int | float]:
    """The numbers of a list, split at separators (and whitespace) outside parentheses, so
    1/(2+2) stays one expression; a parenthesized group of several, as in (1, 0), (0, 1),
    contributes its numbers."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced )")
        elif depth == 0 and (ch in separators or ch.isspace()):
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise ValueError("unbalanced (")
    parts.append(text[start:])
    out: list[int | float] = []
    for p in filter(None, parts):
        if _wrapped(p, ("()",)) and len(inner := _numbers(p[1:-1], separators)) > 1:
            out += inner
        else:
            out.append(_num(_element(p)))
    return out


_BITS = re.compile(r"[01]+(?:[\s|]+[01]+)*")


def _bits(text: str, q: Question) -> list[int] | None:
    """A one-hot vector (a question whose generator says its answer is bits) typed as bits
    without separators (00011000, or grouped by feature as 10 100 0100): read bit by bit
    when the bits are exactly as many as the answer's elements (or as a known mistake's)
    and some group has two or more, or it is one run; a format error (BitCount) when one
    run of bits has another length; None otherwise (read as numbers)."""
    t = text.strip()
    if not _BITS.fullmatch(t) or not isinstance(q.expected, list) or not _bit_vector(q):
        return None
    groups = re.split(r"[\s|]+", t)
    digits = "".join(groups)
    lengths = {len(v) for v in (q.expected, *(m.value for m in q.misconceptions))
               if isinstance(v, list)}  # fmt: skip
    if len(digits) in lengths and (len(groups) == 1 or max(map(len, groups)) > 1):
        return [int(d) for d in digits]  # the answer's length, or a known mistake's
    one_hot = len(q.expected) > 1 and all(v in (0, 1) for v in q.expected)
    if len(groups) == 1 and one_hot:  # a lone run of bits of another length: a typo
        raise BitCount(len(digits), len(q.expected))
    return None


class BitCount(ValueError):
    """A one-hot answer typed as a run of bits, but not as many as the answer's elements."""

    def __init__(self, got: int, want: int) -> None:
        super().__init__(f"{got} bit{'s' * (got != 1)} typed; the answer has {want} elements")


def _parse_vector(text: str, q: Question) -> list[int | float]:
    bits = _bits(_strip_wrappers(text), q)
    if bits is not None:
        return bits
    inner = _strip_wrappers(text)
    inner = re.sub(r"[\[\]]", " ", inner)
    values = _numbers(inner, ",;|")
    if not values:
        raise ValueError(text)
    return values


def _parse_matrix(text: str, q: Question) -> list[list[int | float]]:
    t = text.strip()
    if t.count("[") >= 2:
        rows_text = re.findall(r"\[([^\[\]]*)\]", t)
        rest = re.sub(r"\[([^\[\]]*)\]", "", t)
        if re.sub(r"[\s,\[\]()]|tensor", "", rest):
            raise ValueError(text)
    else:
        t = _strip_wrappers(t)
        rows_text = [r for r in re.split(r"[;\n]", t)]
    rows = [_numbers(r.strip(), ",") for r in rows_text]
    if not rows or not rows[0] or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError(text)
    return rows


def _parse_number(text: str, q: Question) -> float:
    return evaluate(_ungrouped(text))


def _aliases(q: Question) -> dict[str, str]:
    """Accepted spellings -> the expected one: q.extra["aliases"], plus those the question's
    generator derives from q (Generator.answer_aliases, e.g. Chinese category names)."""
    from quizzer import generators  # lazy: quizzer.generators imports this module

    table = q.extra.get("aliases", {})
    try:
        table = {**table, **generators.get(q.generator).answer_aliases(q)}
    except UnknownFamily:
        pass
    return {_label(k): v for k, v in table.items()}


def _parse_choice(text: str, q: Question) -> str:
    aliases = _aliases(q)
    key = _label(text.strip().rstrip(".!。！"))  # "Yes." and "no." are yes and no
    for c in q.choices:
        if key == _label(c):
            return c
    if key in aliases:
        return aliases[key]
    raise ValueError(text)


_LABEL = re.compile(r"[\w .+-]+")  # category names: no brackets, quotes, operators


def _parse_labels(text: str, q: Question) -> list[str]:
    t = _strip_wrappers(text)
    parts = re.split(r"\s*[,;|\u3001]\s*", t)
    if len(parts) == 1:
        parts = t.split()
    parts = [p.strip().strip("'\"") for p in parts if p.strip()]
    if not parts or not all(_LABEL.fullmatch(p) and re.search(r"\w", p) for p in parts):
        raise ValueError(text)
    aliases = _aliases(q)
    return [aliases.get(_label(p), p) for p in parts]


_PARSERS = {
    "int": _parse_int,
    "shape": _parse_shape,
    "vector": _parse_vector,
    "matrix": _parse_matrix,
    "number": _parse_number,
    "choice": _parse_choice,
    "labels": _parse_labels,
}

# ---------------------------------------------------------------- safe arithmetic

_NUMBER = r"[0-9]+\.?[0-9]*(?:e[+-]?[0-9]+)?|\.[0-9]+(?:e[+-]?[0-9]+)?"
_TOKEN = re.compile(rf"\s*(?:({_NUMBER})|(\*\*|[-+*/^()])|(sqrt|pi))", re.IGNORECASE)
_MAX_DEPTH = 40


def _tokens(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"unexpected {text[pos : pos + 10]!r}")
        num, op, name = m.groups()
        out.append(("num", num) if num else ("op", op) if op else ("name", name.lower()))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


class _Parser:
    """expr := term (('+'|'-') term)* ; term := unary (('*'|'/'|implicit) unary)* ;
    unary := ('+'|'-') unary | power ; power := atom (('^'|'**') unary)? ;
    atom := number | 'pi' | 'sqrt' atom | '(' expr ')'"""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.toks, self.i, self.depth = tokens, 0, 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ValueError("unexpected end")
        self.i += 1
        return tok

    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ValueError("too deeply nested")

    def expr(self) -> float:
        self.enter()
        value = self.term()
        while (tok := self.peek()) and tok[1] in "+-" and tok[0] == "op":
            self.take()
            value = _finite(value + self.term() if tok[1] == "+" else value - self.term())
        self.depth -= 1
        return value

    def term(self) -> float:
        value = self.unary()
        while (tok := self.peek()) is not None:
            if tok == ("op", "*") or tok == ("op", "/"):
                self.take()
                rhs = self.unary()
                value = _finite(value * rhs if tok[1] == "*" else value / rhs)
            elif tok[0] == "name" or tok == ("op", "("):
                value = _finite(value * self.unary())  # implicit product: 2sqrt(2), 3(1+1)
            else:
                break
        return value

    def unary(self) -> float:
        self.enter()
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in "+-":
            self.take()
            value = self.unary()
            value = -value if tok[1] == "-" else value
        else:
            value = self.power()
        self.depth -= 1
        return value

    def power(self) -> float:
        base = self.atom()
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in ("^", "**"):
            self.take()
            exp = self.unary()
            if abs(exp) > 64:
                raise ValueError("exponent too large")
            value = base**exp
            if isinstance(value, complex):
                raise ValueError("not a real number")
            return float(value)
        return base

    def atom(self) -> float:
        kind, text = self.take()
        if kind == "num":
            return _finite(float(text))
        if kind == "name" and text == "pi":
            return math.pi
        if kind == "name" and text == "sqrt":
            arg = self.atom()
            if arg < 0:
                raise ValueError("sqrt of a negative number")
            return math.sqrt(arg)
        if (kind, text) == ("op", "("):
            self.enter()
            value = self.expr()
            if self.take() != ("op", ")"):
                raise ValueError("missing )")
            self.depth -= 1
            return value
        raise ValueError(f"unexpected {text!r}")


def evaluate(text: str) -> float:
    """A real number from a whitelisted arithmetic expression; ValueError if unreadable
    (1/0 and 0^-1 included)."""
    check_characters(text)
    text = normalize(text)
    if not text or len(text) > MAX_LEN:
        raise ValueError("empty or too long")
    p = _Parser(_tokens(text))
    try:
        value = p.expr()
    except ArithmeticError as exc:  # division by zero, overflow
        raise ValueError(str(exc)) from None
    if p.peek() is not None:
        raise ValueError("trailing input")
    if isinstance(value, complex) or not math.isfinite(value):
        raise ValueError("not a finite real number")
    return float(value)


def typed_form(q: Question) -> str:
    """The expected answer written the way a learner could type it (for tests and exports)."""
    return format_value(q.expected, q.kind)


def format_value(value: Any, kind: str) -> str:
    if value is None:
        return "error"
    if kind == "shape":
        return "(" + ", ".join(str(v) for v in value) + ")"
    if kind == "vector":
        return "[" + ", ".join(_fmt_num(v) for v in value) + "]"
    if kind == "matrix":
        return (
            "[" + ", ".join("[" + ", ".join(_fmt_num(v) for v in row) + "]" for row in value) + "]"
        )
    if kind == "labels":
        return ", ".join(str(v) for v in value)
    if kind == "number":
        return _fmt_num(value)
    return str(value)


def _fmt_num(v: Any) -> str:
    return repr(float(v)) if isinstance(v, float) and not v.is_integer() else str(int(v))
