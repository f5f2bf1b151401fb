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
