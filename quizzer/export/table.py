"""CSV export: one row per note, the same fields as the Anki note type, as plain text."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from quizzer.export.html import HEADINGS
from quizzer.export.notes import ExportNote

COLUMNS = ["source", "deck", "tags", "question", "answer", "solution", "torch_check"]


def write_csv(notes: Iterable[ExportNote], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for n in notes:
            prints = HEADINGS[n.lang]["prints"]
            check = f"{n.torch_code}\n# {prints}\n{n.torch_output}" if n.torch_code else ""
            solution = (f"{n.formula}\n" if n.formula else "") + n.solution
            w.writerow([n.source, n.deck, " ".join(n.tags), n.question, n.answer, solution, check])
