"""The notes of an export: every concept card, and N frozen verified variants per skill.

A note's identity never comes from its text: a concept card's id, or generator, version,
level, seed and the question's uid (a hash of its params). Re-exporting after a wording or
solution change therefore gives the same source ids and Anki guids, and Anki updates the
notes in place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quizzer import decks, generators
from quizzer.errors import QuizzerError
from quizzer.export.html import duplicate_key
from quizzer.i18n import LANGUAGES

if TYPE_CHECKING:
    from quizzer.question import Question

DECK_ROOT = "quizzer"


@dataclass(frozen=True)
class ExportNote:
    source: (
        str  # the stable identity: concept:<id> or <generator>:v<version>:L<level>:s<seed>:<uid>
    )
    deck: str  # e.g. quizzer::Convolution
    tags: tuple[str, ...]
    question: str  # plain text; \( \) and \[ \] mark MathJax
    answer: str
    solution: str = ""
    formula: str = ""  # a display formula in LaTeX (without delimiters)
    torch_code: str = ""
    torch_output: str = ""
    typed: str | None = None  # the answer as typed, for type-in cards (generated only)
    lang: str = "en"  # the language of the text, and of the card's headings

    @property
    def generated(self) -> bool:
        return not self.source.startswith("concept:")


def targets(names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(families, deck ids) selected by FAMILY/DECK names; everything when none given."""
    fams = generators.families()
    deck_ids = [d.id for d in decks.load_decks()]
    if not names:
        return fams, deck_ids
    unknown = [n for n in names if n not in fams and n not in deck_ids]
    if unknown:
        raise QuizzerError(
            f"unknown family or deck {unknown[0]!r}; families: {', '.join(fams)}; "
            f"decks: {', '.join(deck_ids)}"
        )
    return [f for f in fams if f in names], [d for d in deck_ids if d in names]


def concept_notes(deck_ids: list[str], lang: str) -> list[ExportNote]:
    out = []
    for deck in decks.load_decks():
        if deck.id not in deck_ids:
            continue
        for card in deck.cards:
            out.append(
                ExportNote(
                    source=f"concept:{card.id}",
                    deck=f"{DECK_ROOT}::{deck.topic}",
                    tags=(
                        "quizzer::concept",
                        f"quizzer::deck::{deck.id}",
                        *(f"quizzer::{t}" for t in card.tags),
                    ),
                    question=card.text("front", lang),
                    answer=card.text("back", lang),
                    lang=lang,
                )
            )
    return out


def typeable(q, typed_form: Callable) -> str:
    """The answer as a learner would type it into Anki's exact-match type-in box: numbers
    rounded to the decimals the question's tolerance asks for."""
    if q.kind == "number" and q.tolerance and q.expected is not None:  # None: torch raises
        decimals = max(0, -math.floor(math.log10(q.tolerance)))
        return f"{q.expected:.{decimals}f}"
    return typed_form(q)


def skills(families: list[str]) -> list[tuple[str, int]]:
    """(family, level) of every skill of these families, in export order."""
    return [(fam, lvl) for fam in families for lvl in range(1, generators.get(fam).levels + 1)]


class ShownQuestions:
    """The questions an export already holds, as Anki's duplicate check sees them.

    "The same question" is the same question field once Anki strips its HTML (its first-field
    duplicate check) in any language quizzer exports, or the same Question.uid (generator,
    version, params). Checking every language keeps the chosen seeds, and so the notes and
    their guids, the same whatever --lang an export is in.
    """

    def __init__(self) -> None:
        self._keys: set[tuple[str, str]] = set()

    def add(self, keys: list[tuple[str, str]]) -> bool:
        """Take a question with these keys unless one of them is taken; True if taken now."""
        if any(k in self._keys for k in keys):
            return False
        self._keys.update(keys)
        return True

    @staticmethod
    def text_keys(texts: dict[str, str]) -> list[tuple[str, str]]:
        return [(lang, duplicate_key(t)) for lang, t in texts.items()]


def shown_concepts(deck_ids: list[str]) -> ShownQuestions:
    """The concept cards' questions (fronts) of these decks, as shown in every language."""
    shown = ShownQuestions()
    for deck in decks.load_decks():
        if deck.id in deck_ids:
            for card in deck.cards:
                shown.add(ShownQuestions.text_keys({g: card.text("front", g) for g in LANGUAGES}))
    return shown


def _question_keys(q: Question) -> list[tuple[str, str]]:
    texts = {lang: generators.localized(q, lang)["prompt"] for lang in LANGUAGES}
    return [("uid", f"{q.generator}:{q.uid}"), *ShownQuestions.text_keys(texts)]


@dataclass(frozen=True)
class Shortfall:
    """A skill with fewer distinct questions than the variants asked for."""

    family: str
    level: int
    found: int
    wanted: int
    tried: int  # seeds drawn before giving up


def distinct_questions(
    family: str, level: int, variants: int, seed: int, shown: ShownQuestions
) -> tuple[list[Question], int]:
    """(up to `variants` verified questions none of which `shown` holds yet, seeds drawn).

    Seeds are taken in order from `seed`; one whose question is already shown is skipped for
    the next, so the choice depends on the seeds and what came before, never on batching.
    The search ends once `patience` seeds in a row brought nothing new: the family has no
    more distinct questions at this level (or they are too rare to find)."""
    from quizzer.verify import draw_many

    patience = max(64, variants)
    chosen: list[Question] = []
    nxt, last_new, batch = seed, seed - 1, variants
    while True:
        for q in draw_many(family, list(range(nxt, nxt + batch)), level):
            if shown.add(_question_keys(q)):
                chosen.append(q)
                last_new = q.seed
                if len(chosen) == variants:
                    return chosen, q.seed - seed + 1
            elif q.seed - last_new >= patience:
                return chosen, q.seed - seed + 1
        nxt += batch
        batch = min(patience, 2 * (variants - len(chosen)) + 2)


def generated_notes(
    families: list[str],
    variants: int,
    seed: int,
    lang: str = "en",
    progress: Callable[[int], None] = lambda n: None,
    shown: ShownQuestions | None = None,
    shortfalls: list[Shortfall] | None = None,
) -> list[ExportNote]:
    """`variants` verified notes per skill, no two showing the same question, nor one that
    `shown` (e.g. the export's concept cards) holds: a seed whose question is already there
    gives way to the next seed (seed, seed + 1, ...: reproducible). Skills with fewer
    distinct questions are listed in `shortfalls`."""
    from quizzer.answers import typed_form

    shown = shown if shown is not None else ShownQuestions()
    out = []
    for fam, lvl in skills(families):
        gen = generators.get(fam)
        deck = f"{DECK_ROOT}::{gen.topic}"
        questions, tried = distinct_questions(fam, lvl, variants, seed, shown)
        if len(questions) < variants and shortfalls is not None:
            shortfalls.append(Shortfall(fam, lvl, len(questions), variants, tried))
        for q in questions:
            text = generators.localized(q, lang)
            out.append(
                ExportNote(
                    source=f"{q.generator}:v{q.version}:L{q.difficulty}:s{q.seed}:{q.uid}",
                    deck=deck,
                    tags=q.tags,
                    question=text["prompt"],
                    answer=text["answer"],
                    solution=text["solution"],
                    formula=getattr(gen, "formula_tex", ""),
                    torch_code=q.torch_check.code if q.torch_check else "",
                    torch_output=q.torch_check.output if q.torch_check else "",
                    typed=typeable(q, typed_form),
                    lang=lang,
                )
            )
        progress(variants)
    return out
