"""English and Chinese: every message, topic and setting path."""

from __future__ import annotations

import re
import string

import pytest

from quizzer import decks, generators
from quizzer.cli import cli
from quizzer.i18n import LANGUAGES, MESSAGES, TOPICS_ZH

CJK = re.compile(r"[\u4e00-\u9fff]")


def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_with_the_same_fields(key: str):
    table = MESSAGES[key]
    assert set(table) == set(LANGUAGES)
    assert fields(table["en"]) == fields(table["zh"])
    if key not in ("prints",):
        assert CJK.search(table["zh"]) or key in ("header",), key


def test_every_topic_has_a_chinese_name():
    topics = {d.topic for d in decks.load_decks()}
    topics |= {generators.get(f).topic for f in generators.families()}
    assert topics <= set(TOPICS_ZH)


def test_language_comes_from_option_env_or_saved_setting(runner, db_path, monkeypatch):
    assert "Generator families" in runner.invoke(cli, ["--db", str(db_path), "topics"]).output
    assert "生成题族" in runner.invoke(cli, ["--db", str(db_path), "--lang", "zh", "topics"]).output
    monkeypatch.setenv("QUIZZER_LANG", "zh")
    assert "生成题族" in runner.invoke(cli, ["--db", str(db_path), "topics"]).output
    monkeypatch.delenv("QUIZZER_LANG")
    assert runner.invoke(cli, ["--db", str(db_path), "config", "lang", "zh"]).exit_code == 0
    out = runner.invoke(cli, ["--db", str(db_path), "topics"]).output
    assert "生成题族" in out and "概念卡组" in out
    out = runner.invoke(cli, ["--db", str(db_path), "--lang", "en", "topics"]).output
    assert "Generator families" in out


def test_topics_json_in_chinese(runner, db_path):
    import json

    data = json.loads(
        runner.invoke(cli, ["--db", str(db_path), "--lang", "zh", "topics", "--json"]).output
    )
    assert data["lang"] == "zh"
    assert all(CJK.search(f["title"]) and CJK.search(f["topic"]) for f in data["families"])
    assert all(CJK.search(d["title"]) and d["cards"] > 0 for d in data["decks"])


ENGLISH_UI = ["Worked solution", "Skipped", "Correct", "Not quite", "Session over", "answer>",
              "Due now", "Likely mistake", "Torch check"]  # fmt: skip


@pytest.mark.parametrize("family", generators.families())
def test_a_chinese_session_speaks_chinese(runner, db_path, family):
    from tests.test_generators import english_sentences

    result = runner.invoke(cli, ["--db", str(db_path), "--lang", "zh", "quiz", family, "-n", "2",
                                 "--seed", "3"], input="s\nabc-not-an-answer-123\ns\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "已跳过" in out and "解题过程" in out and "本次结束" in out
    assert not [w for w in ENGLISH_UI if w in out]
    prompts = [block.split("答案>")[0] for block in out.split("──")[2::2]]
    for prompt in prompts:
        assert CJK.search(prompt)
        assert english_sentences(prompt) == [], prompt
