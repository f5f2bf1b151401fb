"""Plain text to Anki field HTML: <, > and & escaped, line breaks kept, MathJax only with
\\( \\) and \\[ \\] (never $), code in <pre>."""

from __future__ import annotations

import html

from quizzer.export.notes import ExportNote


def text(s: str) -> str:
    """Escape a plain-text field; MathJax delimiters \\( \\) \\[ \\] pass through unchanged."""
    return html.escape(s, quote=False).replace("\n", "<br>")


def code(s: str) -> str:
    return f"<pre><code>{html.escape(s, quote=False)}</code></pre>"


def fields(note: ExportNote, typed: bool = False) -> list[str]:
    """[Question, Answer, Solution, TorchCheck, Source] of the quizzer note type."""
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
    answer = html.escape(note.typed, quote=False) if typed and note.typed else text(note.answer)
    return [text(note.question), answer, solution, check, html.escape(note.source, quote=False)]
