"""Concept decks: question/answer cards kept as TOML data files, in English and Chinese.

One file per dated section of the study notes (``2023-08-16.toml``), read with the stdlib
``tomllib``. This module imports only the stdlib, so it is cheap to import and never pulls
in torch, sympy or sqlalchemy.

Card ids are permanent: once shipped, an id is never renamed or reused (an edited card
must keep its id so Anki and the review history update instead of duplicating).
``data/concept-ids.txt`` registers every shipped id and the tests check it.

File format::

    [deck]
    id = "2023-08-16"                 # must equal the file name without .toml
    topic = "Generalization"
    title = { en = "...", zh = "..." }

    [[cards]]
    id = "2023-08-16/validation-set"  # deck id + "/" + a lowercase-hyphenated slug
    tags = ["data-splits"]            # optional
    front = { en = "...", zh = "..." }
    back = { en = "...", zh = "..." }
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quizzer.errors import QuizzerError

__all__ = [
    "LANGUAGES",
    "ConceptCard",
    "Deck",
    "DeckError",
    "all_cards",
    "get_card",
    "load_decks",
]

DECKS_DIR = Path(__file__).resolve().parent
LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DECK_KEYS = frozenset({"id", "topic", "title"})
_CARD_KEYS = frozenset({"id", "tags", "front", "back"})
_TEXT_FIELDS = ("front", "back")

_cache: tuple[Deck, ...] | None = None


class DeckError(QuizzerError):
    """A deck file is malformed; the message names the file and, where known, the card."""


@dataclass(frozen=True)
class ConceptCard:
    """One question/answer card. `front` and `back` map a language code to plain text."""

    id: str
    deck: str
    topic: str
    front: dict[str, str]
    back: dict[str, str]
    tags: tuple[str, ...] = ()

    def __hash__(self) -> int:  # the dict fields are unhashable; the id is the identity
        return hash(self.id)

    def text(self, field: str, lang: str = DEFAULT_LANGUAGE) -> str:
        """The `front` or `back` text in `lang`, falling back to English when missing."""
        if field not in _TEXT_FIELDS:
            raise ValueError(f"field must be one of {_TEXT_FIELDS}, not {field!r}")
        texts: dict[str, str] = getattr(self, field)
        return texts.get(lang) or texts[DEFAULT_LANGUAGE]


@dataclass(frozen=True)
class Deck:
    """The cards of one section of the notes."""

    id: str
    topic: str
    title: dict[str, str]
    cards: tuple[ConceptCard, ...]

    def __hash__(self) -> int:
        return hash(self.id)


def load_decks(path: str | Path | None = None) -> list[Deck]:
    """All decks in `path` (default: the shipped decks), sorted by id.

    The shipped decks are read once and cached; an explicit `path` is read every time.
    Raises DeckError on the first problem found.
    """
    global _cache
    if path is not None:
        return list(_read_dir(Path(path)))
    if _cache is None:
        _cache = _read_dir(DECKS_DIR)
    return list(_cache)


def deck_title(deck_id: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A shipped deck's title in `lang` (English when missing; the id for an unknown deck)."""
    for deck in load_decks():
        if deck.id == deck_id:
            return deck.title.get(lang) or deck.title.get(DEFAULT_LANGUAGE) or deck_id
    return deck_id


def all_cards(path: str | Path | None = None) -> list[ConceptCard]:
    """Every card of every deck, in deck order then file order."""
    return [card for deck in load_decks(path) for card in deck.cards]


def get_card(card_id: str, path: str | Path | None = None) -> ConceptCard:
    """The card with this id; DeckError if there is none."""
    for card in all_cards(path):
        if card.id == card_id:
            return card
    raise DeckError(f"unknown concept card id {card_id!r}")


# --- reading and validation ------------------------------------------------------------


def _read_dir(directory: Path) -> tuple[Deck, ...]:
    if not directory.is_dir():
        raise DeckError(f"{directory}: deck directory not found")
    files = sorted(directory.glob("*.toml"))
    decks = [_read_file(file) for file in files]
    seen: dict[str, Path] = {}
    for deck, file in zip(decks, files, strict=True):
        for card in deck.cards:
            if card.id in seen:
                raise DeckError(
                    f"{file}: card {card.id!r}: duplicate card id (also in {seen[card.id]})"
                )
            seen[card.id] = file
    return tuple(sorted(decks, key=lambda d: d.id))


def _read_file(file: Path) -> Deck:
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise DeckError(f"{file}: malformed TOML: {_one_line(exc)}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DeckError(f"{file}: cannot read: {_one_line(exc)}") from exc

    unknown = set(data) - {"deck", "cards"}
    if unknown:
        raise DeckError(f"{file}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    header = data.get("deck")
    if not isinstance(header, dict):
        raise DeckError(f"{file}: missing [deck] table")
    _check_keys(header, _DECK_KEYS, file, "[deck]")
    deck_id = _required_str(header, "id", file, "[deck]")
    if deck_id != file.stem:
        raise DeckError(f"{file}: [deck] id {deck_id!r} does not match the file name")
    topic = _required_str(header, "topic", file, "[deck]")
    title = _texts(header, "title", file, "[deck]")

    raw_cards = data.get("cards")
    if not isinstance(raw_cards, list) or not raw_cards:
        raise DeckError(f"{file}: no [[cards]]")
    cards: list[ConceptCard] = []
    ids: set[str] = set()
    for number, raw in enumerate(raw_cards, start=1):
        card = _read_card(raw, number, deck_id, topic, file)
        if card.id in ids:
            raise DeckError(f"{file}: card {card.id!r}: duplicate card id")
        ids.add(card.id)
        cards.append(card)
    return Deck(id=deck_id, topic=topic, title=title, cards=tuple(cards))


def _read_card(raw: Any, number: int, deck_id: str, topic: str, file: Path) -> ConceptCard:
    where = f"card #{number}"
    if not isinstance(raw, dict):
        raise DeckError(f"{file}: {where}: not a table")
    card_id = _required_str(raw, "id", file, where)
    where = f"card {card_id!r}"
    prefix = deck_id + "/"
    if not card_id.startswith(prefix):
        raise DeckError(f"{file}: {where}: id must start with {prefix!r}")
    if not _SLUG.fullmatch(card_id.removeprefix(prefix)):
        raise DeckError(
            f"{file}: {where}: after {prefix!r} the id must be lowercase letters, digits "
            "and single hyphens"
        )
    _check_keys(raw, _CARD_KEYS, file, where)
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise DeckError(f"{file}: {where}: tags must be a list of non-empty strings")
    return ConceptCard(
        id=card_id,
        deck=deck_id,
        topic=topic,
        front=_texts(raw, "front", file, where),
        back=_texts(raw, "back", file, where),
        tags=tuple(tags),
    )


def _check_keys(table: dict[str, Any], allowed: frozenset[str], file: Path, where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise DeckError(f"{file}: {where}: unknown key(s): {', '.join(sorted(unknown))}")


def _required_str(table: dict[str, Any], key: str, file: Path, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DeckError(f"{file}: {where}: missing or empty {key!r}")
    return value.strip()


def _texts(table: dict[str, Any], key: str, file: Path, where: str) -> dict[str, str]:
    """A {language: text} table: known languages only, English required, no empty text."""
    value = table.get(key)
    if not isinstance(value, dict) or not value:
        raise DeckError(f"{file}: {where}: missing or empty {key!r}")
    unknown = [lang for lang in value if lang not in LANGUAGES]
    if unknown:
        raise DeckError(
            f"{file}: {where}: {key!r} has unknown language key(s) {', '.join(sorted(unknown))}"
            f" (allowed: {', '.join(LANGUAGES)})"
        )
    texts: dict[str, str] = {}
    for lang in LANGUAGES:
        if lang not in value:
            continue
        text = value[lang]
        if not isinstance(text, str) or not text.strip():
            raise DeckError(f"{file}: {where}: {key!r} has an empty {lang!r} text")
        texts[lang] = text.strip()
    if DEFAULT_LANGUAGE not in texts:
        raise DeckError(f"{file}: {where}: {key!r} has no {DEFAULT_LANGUAGE!r} text")
    return texts


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
