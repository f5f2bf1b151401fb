"""Plain text to Anki field HTML: <, > and & escaped, line breaks kept, MathJax only with
\\( \\) and \\[ \\] (never $), code in <pre>."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quizzer.export.notes import ExportNote

_TAG = re.compile(r"<[^>]*>")


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
    (`typed`, for a generated note); on any other card it is empty and no box is shown."""
    solution = ""
    if note.formula:
        formula = html.escape(note.formula, quote=False)
        solution += f'<div class="formula">\\[ {formula} \\]</div>'
    if note.solution:
        solution += f'<div class="steps">{text(note.solution)}</div>'
    check = ""
    if note.torch_code:
        check = (
            code(note.torch_code) + '<div class="prints">prints:</div>' + code(note.torch_output)
        )
    type_in = html.escape(note.typed, quote=False) if typed and note.typed else ""
    source = html.escape(note.source, quote=False)
    return [text(note.question), text(note.answer), solution, check, source, type_in]
