"""Anki packages with genanki: one note type, fixed ids, one sub-deck per topic.

The note type and deck ids are constants (a deck's id is fixed by its name), and a note's
guid comes from its source id, so re-importing a newer export updates notes in place and
keeps their review history. Anki updates a note only when the package's note is newer
than its own, so each export's timestamp is later than the last one's.

Plain and type-in cards share the one note type: its TypeIn field holds the answer to type
on a type-in card and is empty on a plain one, and the templates show the type-in box only
when it is filled. Switching --type-answer on or off therefore changes fields only, which
Anki's default import updates in place; a second note type would make Anki refuse the
update ("conflicting"), since it never moves a note to another note type on its own.
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
# Until TypeIn was added, type-in cards had a note type of their own, id 1_732_700_002 (never
# reuse it), and MODEL_ID had the first five fields only. Anki refuses to update notes of an
# older field list ("conflicting") unless "Merge note types" is ticked when importing: that
# adds TypeIn to the learner's note type and moves the old type-in notes onto it, in place.
# The merge also marks every note modified now, so that one import needs "Update notes:
# Always" too, or notes changed since the last import keep their old text.
FIELDS = ["Question", "Answer", "Solution", "TorchCheck", "Source", "TypeIn"]
NOTE_TYPE_VERSION = 2  # 1: five fields (and a second note type for type-in cards)

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
# Solution and TorchCheck carry their own headings, in the note's language (export.html);
# until they did, this template held them in English (Anki takes the newer template when a
# later export is imported: the note type's modification time is the export's).
REST = """
{{Solution}}
{{TorchCheck}}
<div class="src">{{Source}}</div>"""


TYPE_IN = "{{#TypeIn}}\n{{type:TypeIn}}\n{{/TypeIn}}"  # no box at all when TypeIn is empty
FRONT = QUESTION + "\n" + TYPE_IN
# as Anki's own note types lay it out; a type-in card shows the comparison, then the answer
BACK = QUESTION + "\n<hr id=answer>\n" + TYPE_IN + '\n<div class="a">{{Answer}}</div>' + REST


def _model(model_id: int = MODEL_ID, name: str = "quizzer"):
    import genanki

    return genanki.Model(
        model_id,
        name,
        fields=[{"name": f} for f in FIELDS],
        templates=[{"name": "Card 1", "qfmt": FRONT, "afmt": BACK}],
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


_CONTENT_PREFIX = f"nt{NOTE_TYPE_VERSION}:"


@dataclass(frozen=True)
class NoteRecord:
    guid: str
    content: str  # "nt2:" + sha256 of what Anki stores (note type, fields, tags, deck); 64 chars
    mtime: int


def made_for_older_note_type(previous: dict[str, NoteRecord]) -> bool:
    """True if the notes exported so far were all made for an older quizzer note type (their
    content lacks this version's prefix): the learner's Anki then needs "Merge note types"
    once, to take this export's notes as updates."""
    return bool(previous) and not any(
        r.content.startswith(_CONTENT_PREFIX) for r in previous.values()
    )


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
    model = _model()
    decks: dict[str, Any] = {}
    records = []
    for n in notes:
        values = fields(n, typed=type_answer and n.generated)
        guid = note_guid(n.source)
        digest = hashlib.sha256(
            "\x1f".join([str(model.model_id), *values, *sorted(n.tags), n.deck]).encode()
        ).hexdigest()
        content = _CONTENT_PREFIX + digest[len(_CONTENT_PREFIX) :]
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
