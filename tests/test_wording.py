"""What the terminal says, checked through the real CLI on a real SQLite file (issue 10,
part 5): topic and deck names in the learner's language in `stats`, columns padded by
terminal cells in `topics`, "1 review" / "1 card" in every count, `config` refusing a value
out of range in one line, `optimize` saying when its suggested retention sits at the
search's bound and stopping cleanly on Ctrl-C, and time spent in hours and days."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quizzer import decks, generators
from quizzer.cli import cli
from quizzer.db import connect
from quizzer.i18n import MESSAGES, TOPIC_NAMES, TOPICS_ZH, counted
from quizzer.schedule import Rating, make_scheduler
from quizzer.store import RANGES, Store
from quizzer.ui import cells
from quizzer.verify import draw
from tests.test_migrations import old_database
from tests.test_plurals import wrong_plurals

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
ONE_PLURAL = re.compile(r"(?<![\d.,])\b1 [a-z]+s\b")  # "1 reviews", "1 cards", "1 rows"
DECK = "2023-08-18"  # topic "Measurement error"


def record(store: Store, uid: str, when: datetime, correct: bool = True, ms: int = 20000) -> None:
    """One scheduled review of the card `uid`, through the real Store.record."""
    con = sqlite3.connect(store.path)
    card_id = con.execute("SELECT id FROM cards WHERE uid = ?", (uid,)).fetchone()[0]
    con.close()
    question = None
    if uid.startswith("skill:"):
        _, family, level = uid.split(":")
        question = draw(family, 1, int(level))
    store.record(
        card_id, "review", question=question, typed="x" if question else None,
        correct=correct, rating=Rating.GOOD if correct else Rating.AGAIN, duration_ms=ms,
        scheduler=make_scheduler(0.9, fuzz=False), now=when,
    )  # fmt: skip


def concept_uid(store: Store, deck: str) -> str:
    con = sqlite3.connect(store.path)
    try:
        return con.execute(
            "SELECT uid FROM cards WHERE uid LIKE ? ORDER BY id", (f"concept:{deck}/%",)
        ).fetchone()[0]
    finally:
        con.close()


# ---------------------------------------------------------------- 1. stats' names


@pytest.fixture
def three_topics(store: Store, db_path: Path) -> Path:
    now = datetime.now(UTC) - timedelta(minutes=5)
    record(store, "skill:activations:1", now)
    record(store, "skill:one-hot:1", now, correct=False)
    record(store, concept_uid(store, DECK), now)
    store.engine.dispose()
    return db_path


def test_chinese_stats_name_topics_and_decks_in_chinese(runner, three_topics: Path):
    result = runner.invoke(cli, ["--db", str(three_topics), "--lang", "zh", "stats"])
    out = result.output
    assert result.exit_code == 0, out
    for english in ("Activations", "Encoding", "Measurement error"):
        assert english not in out
        assert TOPICS_ZH[english] in out  # 激活函数, 编码, 观测误差
    assert TOPICS_ZH["Measurement error"] == "观测误差"
    assert f"concept:{DECK}" not in out and f"概念卡 {decks.deck_title(DECK, 'zh')}" in out
    assert "正确率（按题族，最近 30 天）" in out and "正确率（按主题，最近 30 天）" in out
    assert "） (" not in out and ") （" not in out  # one bracket style per heading


def test_english_stats_name_a_concept_deck_by_its_title(runner, three_topics: Path):
    out = runner.invoke(cli, ["--db", str(three_topics), "stats"]).output
    assert f"concept:{DECK}" not in out and f"concept {decks.deck_title(DECK, 'en')}" in out
    assert "Accuracy by family, last 30 days" in out and "Accuracy by topic, last 30 days" in out
    assert "Measurement error" in out and "Activations" in out


def test_stats_json_keeps_its_keys(runner, three_topics: Path):
    data = json.loads(runner.invoke(cli, ["--db", str(three_topics), "stats", "--json"]).output)
    assert set(data["accuracy_30d"]["by_family"]) == {"activations", "one-hot", f"concept:{DECK}"}
    assert set(data["accuracy_30d"]["by_topic"]) == {"Activations", "Encoding", "Measurement error"}
    assert set(data["time_spent_minutes"]) == {"all", "today", "7d", "30d"}


def test_chinese_topic_names_have_one_source():
    from quizzer.report_page import TEXT

    assert TEXT["zh"]["topics"] == TOPICS_ZH == TOPIC_NAMES["zh"]
    for family in generators.families():
        g = generators.get(family)
        assert TOPICS_ZH[g.topic] == g.topic_zh, family
    for deck in decks.load_decks():
        assert CJK.search(TOPICS_ZH[deck.topic]), deck.id


# ---------------------------------------------------------------- 2. topics' columns


def test_chinese_topics_columns_line_up_in_terminal_cells(runner, db_path: Path):
    out = runner.invoke(cli, ["--db", str(db_path), "--lang", "zh", "topics"]).output
    lines = out.splitlines()
    families = [ln for ln in lines if "难度 1-" in ln]
    deck_rows = [ln for ln in lines if "张卡片" in ln]
    assert len(families) == len(generators.families()) and len(deck_rows) == len(decks.load_decks())
    # the third column starts at one terminal cell in every row, whatever the topic's width
    assert len({cells(ln[: ln.index("难度 1-")]) for ln in families}) == 1
    assert len({cells(ln[: ln.index("张卡片")]) for ln in deck_rows}) == 1  # counts right-aligned
    shown = zip(deck_rows, decks.load_decks(), strict=True)
    assert len({cells(ln[: ln.rindex(d.title["zh"])]) for ln, d in shown}) == 1


# ---------------------------------------------------------------- 3. plurals


def test_every_counted_noun_has_its_singular():
    nouns = [k for k in MESSAGES if k.startswith("n_") and not k.endswith("_one")]
    assert len(nouns) >= 8
    for key in nouns:
        assert counted(key, 1) == MESSAGES[f"{key}_one"]["en"].format(n=1)
        assert not ONE_PLURAL.search(counted(key, 1)), key
        assert counted(key, 2).endswith("s") and counted(key, 1_208).startswith("1,208 ")
        assert CJK.search(counted(key, 3, "zh")), key


def test_check_and_backup_count_one_review_and_one_card(runner, store: Store, db_path, tmp_path):
    record(store, "skill:z-score:1", datetime(2026, 3, 1, 9, tzinfo=UTC))
    total_cards = sqlite3.connect(db_path).execute("SELECT COUNT(*) FROM cards").fetchone()[0]
    db = ["--db", str(db_path)]
    said = runner.invoke(cli, [*db, "check"]).output
    assert f"Schedule: {total_cards:,} cards, 1 scheduled review replayed." in said
    backup = runner.invoke(cli, [*db, "backup", str(tmp_path / "b.sqlite3")]).output
    assert f"Backed up 1 review of {total_cards:,} cards to " in backup
    # one card made to differ from its one review: listed and rebuilt as "1 card"
    con = sqlite3.connect(db_path)
    con.execute("UPDATE card_states SET stability = stability * 2 WHERE stability IS NOT NULL")
    con.commit()
    con.close()
    differ = runner.invoke(cli, [*db, "check"]).output
    assert "Differ from their reviews: 1 card\n" in differ
    assert "skill:z-score:1 (1 review): stability " in differ
    rebuilt = runner.invoke(cli, [*db, "check", "--repair"]).output
    assert "Rebuilt: 1 card\n" in rebuilt
    for text in (said, backup, differ, rebuilt):
        assert not ONE_PLURAL.search(text) and wrong_plurals(text) == [], text


def test_an_upgrade_backs_up_one_review(tmp_path: Path):
    path = tmp_path / "learner.sqlite3"
    old_database(path, "0003", reviews=1)
    said: list[str] = []
    connect(str(path), notify=said.append)
    assert said[0].startswith("Backed up your database (1 review, schema 0003) to ")
    assert not [s for s in said if ONE_PLURAL.search(s)]


def test_export_of_one_family_says_one_deck(runner, tmp_path: Path):
    db = ["--db", str(tmp_path / "q.sqlite3")]
    result = runner.invoke(
        cli, [*db, "export", "anki", str(tmp_path / "a.apkg"), "z-score", "--variants", "1"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r": 3 notes \(0 concept, 3 generated\) in 1 deck; ", result.output)
    csv = runner.invoke(cli, [*db, "export", "csv", str(tmp_path / "q.csv"), "z-score",
                              "--variants", "1"])  # fmt: skip
    assert csv.output.endswith(": 3 rows.\n")
    for text in (result.output, csv.output):
        assert not ONE_PLURAL.search(text) and wrong_plurals(text) == []


# ---------------------------------------------------------------- 4. config


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("new-per-day", "-3", "new-per-day must be a whole number from 0 to 1000"),
        ("new-per-day", "1.5", "new-per-day must be a whole number from 0 to 1000"),
        ("new-per-day", "1001", "new-per-day must be a whole number from 0 to 1000"),
        ("new-per-day", "many", "new-per-day must be a whole number from 0 to 1000"),
        ("retention", "junk", "retention must be a number from 0.70 to 0.99"),
        ("retention", "-0.9", "retention must be a number from 0.70 to 0.99"),
        ("retention", "0.995", "retention must be a number from 0.70 to 0.99"),
        ("retention", "nan", "retention must be a number from 0.70 to 0.99"),
        ("lang", "fr", "lang must be one of: en, zh"),
    ],
)
def test_config_refuses_a_value_out_of_range_in_one_line(runner, db_path, key, value, message):
    db = ["--db", str(db_path)]
    before = runner.invoke(cli, [*db, "config", key]).output
    result = runner.invoke(cli, [*db, "config", key, value])
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"
    assert runner.invoke(cli, [*db, "config", key]).output == before  # nothing saved


def test_config_range_is_the_stores_and_its_ends_are_accepted(runner, db_path: Path):
    db = ["--db", str(db_path)]
    assert RANGES == {"new-per-day": (0, 1000), "retention": (0.70, 0.99)}
    ends = [("new-per-day", "0", "0"), ("new-per-day", "1000", "1000"),
            ("retention", "0.70", "0.7"), ("retention", "0.99", "0.99")]  # fmt: skip
    for key, value, shown in ends:
        result = runner.invoke(cli, [*db, "config", key, value])
        assert (result.exit_code, result.output) == (0, f"{key} = {shown}\n")
    zh = runner.invoke(cli, [*db, "--lang", "zh", "config", "new-per-day", "-1"])
    assert (zh.exit_code, zh.output) == (1, "Error: new-per-day 必须是 0 到 1000 之间的整数\n")


# ---------------------------------------------------------------- 5. optimize


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "Suggested desired retention: 0.70, the lowest quizzer's search allows: your "
             "answers cost so little time"),
     ("zh", "建议的目标记忆保持率：0.70，这是 quizzer 搜索范围的下限")],
)  # fmt: skip
def test_a_suggested_retention_at_the_search_bound_says_so(runner, learner_db, lang, words):
    from quizzer import optimize

    store = Store(connect(str(learner_db)))
    history = optimize.load(store)
    # this learner's own answer times put fsrs-rs's optimum at the bound (0.69999998)
    assert optimize.optimal_retention(history, None, len(history), 10) == 0.70
    store.engine.dispose()
    args = ["--db", str(learner_db), "--lang", lang, "optimize", "--dry-run", "--retention"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert words in result.output and "quizzer config retention 0.70" in result.output
    assert "0.69999" not in result.output


INTERRUPTED = """
import sys
from pathlib import Path

import quizzer.optimize as opt
from quizzer.cli import main

real_fit = opt.fit
marker = Path(sys.argv[1])


def fit(history, before):  # the real fit, over and over, until Ctrl-C comes
    marker.write_text("fitting")
    while True:
        real_fit(history, before)


opt.fit = fit
sys.argv = ["quizzer", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize(
    ("lang", "line"),
    [("en", "quizzer optimize: interrupted; nothing was saved"),
     ("zh", "quizzer optimize：已中断；没有保存任何内容")],
)  # fmt: skip
def test_ctrl_c_while_fitting_says_nothing_was_saved(learner_db: Path, tmp_path, lang, line):
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(INTERRUPTED))
    marker = tmp_path / "fitting"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QUIZZER_DB": str(learner_db)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(marker), "--lang", lang, "optimize"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert (out, err) == ("", line + "\n")
    con = sqlite3.connect(learner_db)
    assert con.execute("SELECT COUNT(*) FROM fsrs_parameters").fetchone() == (0,)
    con.close()


# ---------------------------------------------------------------- 6. time spent


@pytest.mark.parametrize(
    ("lang", "line"),
    [("en", "Time spent: 2.5 h (today) · 2.5 h (7 days) · 4 days 6.5 h (30 days) · "
            "4 days 6.5 h (all)"),
     ("zh", "用时: 2.5 小时（今天） · 2.5 小时（7 天） · 4 天 6.5 小时（30 天） · "
            "4 天 6.5 小时（全部）")],
)  # fmt: skip
def test_time_spent_reads_in_hours_and_days(runner, store: Store, db_path, lang, line):
    now = datetime.now(UTC).replace(microsecond=0)
    record(store, "skill:z-score:1", now - timedelta(days=10), ms=100 * 3_600_000)  # 100 h
    record(store, "skill:z-score:1", now - timedelta(seconds=30), ms=150 * 60_000)  # 150 min
    out = runner.invoke(cli, ["--db", str(db_path), "--lang", lang, "stats"]).output
    assert " ".join(line.split()) in " ".join(out.split()), out  # the console wraps at 80
    data = json.loads(runner.invoke(cli, ["--db", str(db_path), "stats", "--json"]).output)
    assert data["time_spent_minutes"]["all"] == 100 * 60 + 150  # --json keeps minutes
