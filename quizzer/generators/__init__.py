"""Generator registry. Adding a family = adding a module in this package.

Each family module defines a subclass of `Generator` decorated with `@register`.
Modules are discovered with pkgutil on first use, so importing this package is cheap
and importing a family never imports torch (torch lives in quizzer.verify only).

A generator's `generate(rng, difficulty)` draws params from the given
`random.Random` only (never the global one), computes the answer by the formula,
and returns a Question with its misconception variants. The same seed gives the
same question on any machine: the rng is seeded from a string (sha512-based in
CPython, independent of PYTHONHASHSEED).
"""

from __future__ import annotations

import importlib
import pkgutil
import random
from typing import Any, ClassVar

from quizzer.errors import UnknownFamily
from quizzer.question import Misconception, Question

_REGISTRY: dict[str, Generator] = {}
_DISCOVERED = False


class Generator:
    """Base class of a generator family."""

    id: ClassVar[str]
    version: ClassVar[int] = 1
    topic: ClassVar[str]  # e.g. "Convolution"; the Anki sub-deck and report group
    title: ClassVar[str]  # one line for `quizzer topics`
    topic_zh: ClassVar[str] = ""  # the same in Chinese, e.g. "卷积"
    title_zh: ClassVar[str] = ""
    levels: ClassVar[int] = 3
    formula_tex: ClassVar[str] = ""  # the family's formula in LaTeX, for exports (MathJax)
    # what computes the formula side: "formula" (pure Python arithmetic) or "sympy" (exact
    # closed forms; sympy imported lazily inside the family's functions, never at module
    # top). It is the first entry of a verified question's verified_by.
    formula_by: ClassVar[str] = "formula"
    # misconception id -> one-sentence explanation shown when a wrong answer matches it
    explanations: ClassVar[dict[str, str]] = {}
    explanations_zh: ClassVar[dict[str, str]] = {}  # the same ids, in Chinese

    def generate(self, rng: random.Random, difficulty: int) -> Question:  # pragma: no cover
        raise NotImplementedError

    def zh(self, q: Question) -> dict[str, str]:  # pragma: no cover
        """The question's "prompt", "answer" and "solution" in Chinese, built from q's params,
        ask, expected, result and extra (never from a new random draw). English is built in
        generate(); Chinese only when it is shown, so generation stays fast."""
        raise NotImplementedError

    def answer_aliases(self, q: Question) -> dict[str, str]:
        """Other accepted spellings of q's answer -> the expected spelling, on top of
        q.extra["aliases"] (e.g. Chinese category names); computed when grading, not stored."""
        return {}

    def bit_vector(self, q: Question) -> bool:
        """Whether q's vector answer is a run of 0/1 bits (a one-hot code), so that bits
        typed without separators (00011000) are read one by one."""
        return False

    def square_side(self, q: Question) -> bool:
        """Whether q's int answer is the side of a square region (a receptive field), so
        that "13 x 13" (or 13×13) reads as 13."""
        return False

    def question(self, difficulty: int, **fields: Any) -> Question:
        """Build a Question of this family; seed and attempt are filled in by `draw`."""
        tags = (
            f"quizzer::{self.id}",
            f"quizzer::difficulty::{difficulty}",
            *fields.pop("tags", ()),
        )
        misconceptions = _distinct_misconceptions(fields.pop("misconceptions", ()), fields)
        return Question(
            generator=self.id,
            version=self.version,
            seed=0,
            difficulty=difficulty,
            tags=tags,
            misconceptions=misconceptions,
            **fields,
        )


def naming_error(mistakes: list[Any], expected: Any, mid: str = "torch-accepts") -> list[Any]:
    """mistakes, plus (mid, None) when the right answer is a value and no named mistake
    already leads to "error": at a level where "error" may be the answer, a learner who
    types it where torch computes a value is told why torch accepts (the family explains
    mid). mistakes are (id, value) pairs or Misconceptions."""
    if expected is None:
        return list(mistakes)
    values = [m.value if isinstance(m, Misconception) else m[1] for m in mistakes]
    if any(v is None for v in values):
        return list(mistakes)
    return [*mistakes, (mid, None)]


def _distinct_misconceptions(items: Any, fields: dict[str, Any]) -> tuple[Misconception, ...]:
    """The misconceptions whose answer differs from the right one, each id once (its first
    value). Two mistakes that give the same wrong answer are both kept: a learner who gives
    it may have made either, and grading names each (quizzer.answers.grade)."""
    from quizzer.answers import same_value

    kept: list[Misconception] = []
    for m in items:
        m = m if isinstance(m, Misconception) else Misconception(*m)
        if m.value is None and not fields.get("allow_undefined"):
            continue
        if same_value(m.value, fields["expected"], fields.get("tolerance")):
            continue
        if any(k.id == m.id for k in kept):
            continue
        kept.append(m)
    return tuple(kept)


def register(cls: type[Generator]) -> type[Generator]:
    if cls.id in _REGISTRY:
        raise RuntimeError(f"generator id {cls.id!r} registered twice")
    _REGISTRY[cls.id] = cls()
    return cls


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _DISCOVERED = True


def families() -> list[str]:
    _discover()
    return sorted(_REGISTRY)


def get(family: str) -> Generator:
    _discover()
    try:
        return _REGISTRY[family]
    except KeyError:
        raise UnknownFamily(
            f"unknown family {family!r}; choose from: {', '.join(sorted(_REGISTRY))}"
        ) from None


LANGUAGES = ("en", "zh")


# Chinese texts kept with a stored variant (quizzer.store.take_variant), by question: a sympy
# family builds its Chinese text with sympy (~0.4 s to import), which the first prompt of a
# session must not wait for. quizzer.prefetch.as_generated checks them against zh().
_TEXTS: dict[tuple[str, int, int, int, int], dict[str, str]] = {}
TEXT_KEYS = ("prompt", "answer", "solution")


def _identity(q: Question) -> tuple[str, int, int, int, int]:
    return (q.generator, q.version, q.difficulty, q.seed, q.attempt)


def texts(q: Question) -> dict[str, dict[str, str]]:
    """The texts to keep with a stored variant: {"zh": zh(q)}."""
    return {"zh": get(q.generator).zh(q)}


def remember_texts(q: Question, kept: Any) -> None:
    """Use `kept` (texts(q) as stored with q's variant) for localized(q, "zh"), when it has
    the right form; anything else is ignored (zh() then builds the text when shown)."""
    zh = kept.get("zh") if isinstance(kept, dict) else None
    if isinstance(zh, dict) and all(isinstance(zh.get(k), str) for k in TEXT_KEYS):
        _TEXTS[_identity(q)] = {k: zh[k] for k in TEXT_KEYS}


def kept_texts(q: Question) -> dict[str, str] | None:
    """The Chinese texts remembered for q (remember_texts), if any."""
    return _TEXTS.get(_identity(q))


def localized(q: Question, lang: str) -> dict[str, str]:
    """prompt, answer and solution of q in lang ("en" or "zh")."""
    if lang == "en":
        return {"prompt": q.prompt, "answer": q.answer, "solution": q.solution}
    if lang == "zh":
        kept = _TEXTS.get(_identity(q))
        return dict(kept) if kept is not None else get(q.generator).zh(q)
    raise ValueError(f"unknown language {lang!r}")


def explanation(family: str, misconception: str, lang: str) -> str:
    gen = get(family)
    table = gen.explanations_zh if lang == "zh" else gen.explanations
    return table.get(misconception) or gen.explanations.get(misconception, "")


def rng_for(family: str, seed: int, attempt: int = 0) -> random.Random:
    """The rng of one variant: a string seed, so it is the same on every machine."""
    return random.Random(f"quizzer:{family}:{seed}:{attempt}")


def draft(family: str, seed: int, difficulty: int, attempt: int = 0) -> Question:
    """An unverified question (formula side only). Use quizzer.verify.draw for a shown one."""
    gen = get(family)
    if not 1 <= difficulty <= gen.levels:
        raise ValueError(f"{family} has difficulty levels 1..{gen.levels}, not {difficulty}")
    q = gen.generate(rng_for(family, seed, attempt), difficulty)
    # q is a fresh object no one else holds: set its identity in place (dataclasses.replace
    # would rebuild and revalidate all twenty fields)
    object.__setattr__(q, "seed", seed)
    object.__setattr__(q, "attempt", attempt)
    return q
