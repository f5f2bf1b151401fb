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

from quizzer import decks, generators
from quizzer.errors import QuizzerError

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
                )
            )
    return out


def typeable(q, typed_form: Callable) -> str:
    """The answer as a learner would type it into Anki's exact-match type-in box: numbers
    rounded to the decimals the question's tolerance asks for."""
    if q.kind == "number" and q.tolerance:
        decimals = max(0, -math.floor(math.log10(q.tolerance)))
        return f"{q.expected:.{decimals}f}"
    return typed_form(q)


def variant_plan(families: list[str], variants: int, seed: int) -> list[tuple[str, int, list[int]]]:
    """(family, level, seeds) of every skill: seeds seed, seed + 1, ... (reproducible)."""
    return [
        (fam, lvl, list(range(seed, seed + variants)))
        for fam in families
        for lvl in range(1, generators.get(fam).levels + 1)
    ]


def generated_notes(
    families: list[str],
    variants: int,
    seed: int,
    lang: str = "en",
    progress: Callable[[int], None] = lambda n: None,
) -> list[ExportNote]:
    from quizzer.answers import typed_form
    from quizzer.verify import draw_many

    out = []
    for fam, lvl, seeds in variant_plan(families, variants, seed):
        gen = generators.get(fam)
        deck = f"{DECK_ROOT}::{gen.topic}"
        for q in draw_many(fam, seeds, lvl):
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
                )
            )
        progress(len(seeds))
    return out
