"""The session's own lines: a concept card's header names its deck's subject (not the
date of the notes), and the summary's columns line up in Chinese too (padding counts
terminal cells: a Chinese character takes two)."""

from __future__ import annotations

from datetime import timedelta

from rich.cells import cell_len

from quizzer.decks import all_cards, deck_title
from quizzer.models import utcnow
from quizzer.session import Session, padded


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, text: str = "", style: str | None = None) -> None:
        self.lines.append(text)

    def ask(self, prompt: str) -> str:  # pragma: no cover - the summary asks nothing
        raise AssertionError(prompt)


def summary(lang: str) -> list[str]:
    io = Recorder()
    s = Session(store=None, io=io, mode="practice", lang=lang)
    deck = all_cards()[0].deck
    s.summary.right.update({"conv-output": 3, f"concept {deck}": 2})
    s.summary.wrong.update({"z-score": 1, f"concept {deck}": 1})
    s.report(utcnow() + timedelta(days=1), 0)
    return [line for line in io.lines if " 对 " in line or " right " in line]


def test_summary_rows_line_up_in_chinese_and_in_english():
    for lang, word in (("zh", " 对 "), ("en", " right ")):
        rows = summary(lang)
        assert len(rows) == 3
        columns = {cell_len(row[: row.index(word)]) for row in rows}
        assert len(columns) == 1, (lang, rows)


def test_a_concept_group_is_named_by_its_deck_title():
    deck = all_cards()[0].deck
    rows = summary("zh")
    assert any(deck_title(deck, "zh") in row for row in rows)
    assert deck_title(deck, "zh") != deck and deck_title(deck, "en") != deck
    assert deck_title("no-such-deck", "zh") == "no-such-deck"


def test_padded_counts_cells():
    assert cell_len(padded("概念卡 数据集划分", 28)) == 28
    assert padded("conv-output", 14) == "conv-output   "
    assert padded("x" * 30, 28) == "x" * 30
