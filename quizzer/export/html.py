"""Plain text to Anki field HTML: <, > and & escaped, line breaks kept, MathJax only with
\\( \\) and \\[ \\] (never $), code in <pre>. A card's headings (HEADINGS, in the note's
language) are part of the fields they head, not of the note type's template, so one note type
serves every language and a re-export in another language updates the notes in place."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quizzer.export.notes import ExportNote

_TAG = re.compile(r"<[^>]*>")

# every heading a card shows, per language (the same keys in each)
HEADINGS: dict[str, dict[str, str]] = {
    "en": {"solution": "Worked solution", "torch_check": "Torch check", "prints": "prints:"},
    "zh": {"solution": "解题过程", "torch_check": "torch 验证", "prints": "输出："},
}


def text(s: str) -> str:
    """Escape a plain-text field; MathJax delimiters \\( \\) \\[ \\] pass through unchanged."""
    return html.escape(s, quote=False).replace("\n", "<br>")


def code(s: str) -> str:
    return f"<pre><code>{html.escape(s, quote=False)}</code></pre>"


def duplicate_key(question: str) -> str:
    """What Anki's duplicate check compares of a plain-text question: its field with the HTML
    tags stripped and entities decoded (so a line break counts for nothing), here also with
    runs of white space made one space, as the learner would hardly tell them apart."""
    return " ".join(html.unescape(_TAG.sub("", text(question))).split())


def fields(note: ExportNote, typed: bool = False) -> list[str]:
    """[Question, Answer, Solution, TorchCheck, Source, TypeIn] of the quizzer note type.
    TypeIn, the answer as typed into Anki's type-in box, is filled only on a type-in card
    (`typed`, for a generated note); on any other card it is empty and no box is shown.
    Solution and TorchCheck open with their heading in the note's language (HEADINGS)."""
    words = HEADINGS[note.lang]
    solution = ""
    if note.formula:
        formula = html.escape(note.formula, quote=False)
        solution += f'<div class="formula">\\[ {formula} \\]</div>'
    if note.solution:
        solution += f'<div class="steps">{text(note.solution)}</div>'
    if solution:
        solution = _heading(words["solution"]) + solution
    check = ""
    if note.torch_code:
        prints = f'<div class="prints">{html.escape(words["prints"], quote=False)}</div>'
        check = (
            _heading(words["torch_check"])
            + code(note.torch_code)
            + prints
            + code(note.torch_output)
        )
    type_in = html.escape(note.typed, quote=False) if typed and note.typed else ""
    source = html.escape(note.source, quote=False)
    return [text(note.question), text(note.answer), solution, check, source, type_in]


def _heading(words: str) -> str:
    return f'<div class="label">{html.escape(words, quote=False)}</div>'
