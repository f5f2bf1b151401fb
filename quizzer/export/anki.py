"""Anki packages with genanki: one note type, fixed ids, one sub-deck per topic.

The note type and deck ids are constants (a deck's id is fixed by its name), and a note's
guid comes from its source id, so re-importing a newer export updates notes in place and
keeps their review history. Anki updates a note only when the package's note is newer
than its own, so each export's timestamp is later than the last one's.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quizzer.export.html import fields
from quizzer.export.notes import ExportNote

MODEL_ID = 1_732_700_001  # the quizzer note type; never change it
TYPE_MODEL_ID = 1_732_700_002  # the same with a type-in answer box
FIELDS = ["Question", "Answer", "Solution", "TorchCheck", "Source"]

CSS = """
.card { font-family: -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC",
  "Microsoft YaHei", sans-serif; font-size: 19px; line-height: 1.45; text-align: left;
  color: #1d1d1f; background: #fff; padding: 0 4px; max-width: 42em; margin: 0 auto; }
.q, .steps { white-space: pre-wrap; }
.a { font-weight: 600; color: #0b6b2e; margin: .4em 0; white-space: pre-wrap; }
.label { font-size: .8em; text-transform: uppercase; letter-spacing: .04em; color: #777;
  margin-top: 1em; }
.formula { overflow-x: auto; }
pre { background: #f4f4f6; border-radius: 6px; padding: .6em; overflow-x: auto;
  font-size: 14px; line-height: 1.35; white-space: pre; }
.prints { font-size: .8em; color: #777; }
.src { font-size: 11px; color: #aaa; margin-top: 1.5em; word-break: break-all; }
.nightMode.card, .night_mode .card { color: #e6e6e6; background: #1e1e1e; }
.nightMode .a, .night_mode .a { color: #7fd69b; }
.nightMode pre, .night_mode pre { background: #2b2b2e; color: #e6e6e6; }
.nightMode .label, .night_mode .label, .nightMode .prints, .night_mode .prints { color: #aaa; }
@media (max-width: 480px) { .card { font-size: 17px; } pre { font-size: 12px; } }
"""

QUESTION = '<div class="q">{{Question}}</div>'
REST = """
{{#Solution}}<div class="label">Worked solution</div>{{Solution}}{{/Solution}}
{{#TorchCheck}}<div class="label">Torch check</div>{{TorchCheck}}{{/TorchCheck}}
<div class="src">{{Source}}</div>"""


def _model(model_id: int, name: str, typed: bool):
    import genanki

    if typed:  # as Anki's own "type in the answer" note type lays it out
        front = QUESTION + "\n\n{{type:Answer}}"
        back = QUESTION + "\n<hr id=answer>\n{{type:Answer}}" + REST
    else:
        front = QUESTION
        back = '{{FrontSide}}\n<hr id=answer>\n<div class="a">{{Answer}}</div>' + REST
    return genanki.Model(
        model_id,
        name,
        fields=[{"name": f} for f in FIELDS],
        templates=[{"name": "Card 1", "qfmt": front, "afmt": back}],
        css=CSS,
        sort_field_index=0,
    )


def deck_id(name: str) -> int:
    """A fixed id for a deck name (Anki deck ids are 64-bit; keep clear of small ids)."""
    return 1 << 40 | int(hashlib.sha256(name.encode()).hexdigest()[:10], 16)


def note_guid(source: str) -> str:
    """A note's Anki guid: a hash of its source id (never of its text); 12 characters."""
    digest = hashlib.sha256(f"quizzer:{source}".encode()).digest()
    return base64.b64encode(digest[:9], altchars=b"-_").decode()


def _timed_note_class():
    import genanki

    class TimedNote(genanki.Note):
        """A note written with its own modification time instead of the package's."""

        def __init__(self, *args: Any, mtime: int, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.mtime = mtime

        def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
            super().write_to_db(cursor, self.mtime, deck_id, id_gen)

    return TimedNote


@dataclass(frozen=True)
class NoteRecord:
    guid: str
    content: str  # sha256 of what Anki stores: note type, fields, tags, deck
    mtime: int


def build_package(
    notes: Iterable[ExportNote],
    stamp: int,
    previous: dict[str, NoteRecord] | None = None,
    type_answer: bool = False,
) -> tuple[Any, list[NoteRecord]]:
    """The package, and each note's record. A note whose content is what `previous` holds
    keeps its modification time; a new or changed one gets `stamp`, which must be later
    than every earlier export's, so that Anki updates exactly the changed notes."""
    import genanki

    previous = previous or {}
    note_cls = _timed_note_class()
    basic = _model(MODEL_ID, "quizzer", typed=False)
    typein = _model(TYPE_MODEL_ID, "quizzer (type the answer)", typed=True)
    decks: dict[str, Any] = {}
    records = []
    for n in notes:
        typed = type_answer and n.generated
        model = typein if typed else basic
        values = fields(n, typed=typed)
        guid = note_guid(n.source)
        content = hashlib.sha256(
            "\x1f".join([str(model.model_id), *values, *sorted(n.tags), n.deck]).encode()
        ).hexdigest()
        old = previous.get(guid)
        mtime = old.mtime if old is not None and old.content == content else stamp
        records.append(NoteRecord(guid, content, mtime))
        deck = decks.get(n.deck)
        if deck is None:
            deck = decks[n.deck] = genanki.Deck(deck_id(n.deck), n.deck)
        deck.add_note(
            note_cls(model=model, fields=values, tags=list(n.tags), guid=guid, mtime=mtime)
        )
    return genanki.Package(list(decks.values())), records


def write_package(package: Any, path: Path, stamp: int) -> None:
    package.write_to_file(str(path), timestamp=stamp)
