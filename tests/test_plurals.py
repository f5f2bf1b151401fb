"""No "1 samples", "1 dim(s)" or "all 1 of them" in what a learner reads in English: every
family x level over a few hundred seeds (prompt, answer, solution and the explanation of each
known mistake), and `quizzer stats` with one of everything. Singular forms are data: a
wording table's `KEY_one` entry is used when the count is 1 (Chinese has no plural, so its
`_one` entries repeat the general text)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quizzer import generators
from quizzer.cli import cli
from quizzer.db import connect
from quizzer.generators import draft, explanation
from quizzer.schedule import Rating, make_scheduler
from quizzer.store import Store

SEEDS = range(300)

# "1 <word>s" where the word is a verb, not a plural noun ("each 1 is repeated")
VERBS = {"is", "does", "has", "goes", "acts", "keeps", "removes", "widens", "gets", "divides",
         "blurs", "was", "stands", "means", "stays"}  # fmt: skip
# "n + 1 positions", "(k − 1)·d + 1 pixels": a 1 inside a sum counts nothing on its own
OPERATORS = {"+", "−", "-", "·", "*", "/", "×"}
ONE_PLURAL = re.compile(r"(?:(\S+) )?(?<![\w./−-])1 ([a-z]+s)\b")
OTHER = re.compile(
    r"\b(?:all|next|these|those|each of the) 1\b(?! ?[)\]:,/×x*·−+-])"  # all 1 of them
    r"|\b1 [a-z]+\(s\)"  # 1 dim(s)
)


def wrong_plurals(text: str) -> list[str]:
    found = [
        m.group(0)
        for m in ONE_PLURAL.finditer(text)
        if m.group(2) not in VERBS and (m.group(1) or "") not in OPERATORS
    ]
    return found + [m.group(0) for m in OTHER.finditer(text)]


def test_the_scan_finds_what_it_looks_for():
    assert wrong_plurals("The 1 samples left over") == ["The 1 samples"]
    assert wrong_plurals("a new patch every 1 rows") == ["every 1 rows"]
    assert wrong_plurals("at the next 1 step") == ["next 1"]
    assert wrong_plurals("over its last 1 dim(s) [1]") == ["1 dim(s)"]
    assert wrong_plurals("in all 1 of them") == ["all 1"]
    assert wrong_plurals("each 1 is repeated; k + 1 positions; (1, 7); 0/1 bits; 11 rows") == []


def english_texts(family: str, level: int, seed: int) -> dict[str, str]:
    q = draft(family, seed, level)
    texts = {"prompt": q.prompt, "answer": q.answer, "solution": q.solution}
    for m in q.misconceptions:
        texts[f"mistake {m.id}"] = explanation(family, m.id, "en")
    return texts


@pytest.mark.parametrize("family", generators.families())
def test_no_plural_after_one_in_any_question(family: str):
    bad = []
    for level in range(1, generators.get(family).levels + 1):
        for seed in SEEDS:
            for part, text in english_texts(family, level, seed).items():
                bad += [(level, seed, part, w) for w in wrong_plurals(text)]
    assert bad == [], f"{family}: {len(bad)} texts, e.g. {bad[:5]}"


# (family, level, seed): what the first seed that counts one of something now says; each of
# these said "1 ...s" or "1 ...(s)" before
SINGULAR = [
    ("epochs-batches", 2, 97, "solution", "The 1 sample left over (1089 mod 16 = 1) is skipped"),
    ("epochs-batches", 3, 318, "solution", "1 epoch would give only 58"),
    ("patches", 2, 9, "prompt", "a new patch every 1 row and 1 column (stride 1)"),
    ("patches", 3, 1, "prompt", "A batch of B = 1 image (4 channels)"),
    ("conv-output", 3, 55, "solution", "H: 1·(2 − 1) = 1 zero: 0 before and 1 after"),
    ("tensor-shapes", 3, 249, "solution", ".reshape(1, -1): 1 element; -1 = 1 / 1 = 1"),
    ("tensor-shapes", 1, 57, "solution", "1 level of brackets → 1 dim;"),
    ("batchnorm-layernorm", 1, 0, "solution", "over its last 1 dim [1]:"),
]


@pytest.mark.parametrize(("family", "level", "seed", "part", "words"), SINGULAR)
def test_one_of_something_is_singular(family, level, seed, part, words):
    assert words in english_texts(family, level, seed)[part]


@pytest.mark.parametrize(("family", "level", "seed", "part", "words"), SINGULAR)
def test_chinese_is_left_as_it_was(family, level, seed, part, words):
    """The Chinese text of the same questions: no singular form, no English count word."""
    q = draft(family, seed, level)
    zh = generators.localized(q, "zh")[part]
    assert not re.search(r"\b1 [a-z]+s?\b(?!\()", zh.replace("1 / 1", "")), zh


def test_stats_with_one_of_everything(runner, tmp_path: Path):
    """One card, reviewed twice two days apart: 1 scored review, a streak of 1 day."""
    db = tmp_path / "one.sqlite3"
    store = Store(connect(str(db)))
    store.sync_catalog()
    card = store.skill_card("z-score", 1).id
    now = datetime.now(UTC)
    for when in (now - timedelta(days=3), now - timedelta(days=1)):
        store.record(
            card, "review", question=None, typed="x", correct=True, rating=Rating.GOOD,
            duration_ms=60000, scheduler=make_scheduler(0.9, fuzz=False), now=when,
        )  # fmt: skip
    store.engine.dispose()
    out = runner.invoke(cli, ["--db", str(db), "stats"], env={"COLUMNS": "300"})
    assert out.exit_code == 0, out.output
    assert "over 1 review at least a day" in out.output
    assert "1 day (current)" in out.output
    assert wrong_plurals(out.output) == []
