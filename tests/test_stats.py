"""`quizzer stats`: a simulated learner answers for 90 days with known patterns; every
figure of `stats --json` must equal the value this test computes from its own log."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from quizzer.cli import cli
from quizzer.db import connect
from quizzer.question import Misconception
from quizzer.stats import compute
from quizzer.store import Store
from tests.simulate import NOW, Learner, simulate


@pytest.fixture(params=["UTC", "Asia/Shanghai"])
def tz(request, monkeypatch):
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def local_date(dt: datetime) -> date:
    return dt.astimezone().date()


@pytest.fixture
def learner(tmp_path: Path, tz) -> Learner:
    return simulate(tmp_path / "sim.sqlite3")


def expected_streaks(days: list[date], today: date) -> tuple[int, int]:
    longest = run = 0
    for i, d in enumerate(days):
        run = run + 1 if i and (d - days[i - 1]).days == 1 else 1
        longest = max(longest, run)
    current = 0
    if days and (today - days[-1]).days <= 1:
        current = 1
        while current < len(days) and (days[-current] - days[-current - 1]).days == 1:
            current += 1
    return current, longest


def test_every_figure_matches_the_learners_own_log(learner: Learner):
    f = compute(learner.store, NOW)
    log = learner.log
    today = local_date(NOW)
    start = datetime.combine(today, datetime.min.time()).astimezone()
    d30 = NOW - timedelta(days=30)
    recent = [e for e in log if e["when"] >= d30]

    assert f["answers"] == {
        "total": len(log),
        "reviews": sum(e["mode"] == "review" for e in log),
        "practice": sum(e["mode"] == "practice" for e in log),
        "today": sum(e["when"] >= start for e in log),
    }
    per_day = Counter(local_date(e["when"]) for e in log)
    assert f["heatmap"] == [
        {"date": d.isoformat(), "answers": n}
        for d, n in sorted(per_day.items())
        if (today - d).days < 365
    ]
    current, longest = expected_streaks(sorted(per_day), today)
    assert f["streak"] == {"current": current, "longest": longest}
    assert (current, longest) == (3, 6)  # the known pattern: a rest day every 7th day
    minutes = {
        "all": sum(e["ms"] for e in log),
        "today": sum(e["ms"] for e in log if e["when"] >= start),
        "7d": sum(e["ms"] for e in log if e["when"] >= start - timedelta(days=6)),
        "30d": sum(e["ms"] for e in log if e["when"] >= start - timedelta(days=29)),
    }
    assert f["time_spent_minutes"] == {k: round(v / 60000, 1) for k, v in minutes.items()}
    counted = [e for e in recent if e["mode"] == "review" and e["state"] == 2]
    assert f["retention"]["reviews_counted"] == len(counted) > 0
    assert f["retention"]["true_30d"] == round(sum(e["correct"] for e in counted) / len(counted), 4)
    assert f["retention"]["desired"] == 0.9
    by_family = Counter(e["family"] for e in recent)
    right = Counter(e["family"] for e in recent if e["correct"])
    assert f["accuracy_30d"]["by_family"] == {
        fam: {"answered": n, "right": right[fam], "accuracy": round(right[fam] / n, 4)}
        for fam, n in sorted(by_family.items())
    }
    topics = {"conv-output": "Convolution", "z-score": "Normalization",
              "hadamard-matmul": "Tensors", "one-hot": "Encoding"}  # fmt: skip
    assert set(f["accuracy_30d"]["by_topic"]) == {topics[x] for x in by_family}
    wrong = sum(not e["correct"] for e in recent)
    # an answer two mistakes explain counts once for each
    mistakes = Counter(
        (e["family"], mid)
        for e in recent
        for mid in ((e["mistake"],) if isinstance(e["mistake"], str) else e["mistake"] or ())
    )
    assert mistakes["conv-output", "padding-once"] == mistakes["conv-output", "no-plus-one"] > 0
    assert [(m["family"], m["id"], m["count"]) for m in f["misconceptions"]] == [
        (fam, mid, n) for (fam, mid), n in sorted(mistakes.items(), key=lambda x: (-x[1], x[0]))
    ]
    assert f["misconceptions"][0]["share_of_wrong"] == round(
        mistakes.most_common(1)[0][1] / wrong, 4
    )
    skills = Counter((e["family"], e["level"]) for e in recent)
    skill_right = Counter((e["family"], e["level"]) for e in recent if e["correct"])
    weakest = sorted(skills, key=lambda s: (round(skill_right[s] / skills[s], 4), s))
    assert [(k["family"], k["level"]) for k in f["weakest_skills"]][:1] == weakest[:1]
    assert f["weakest_skills"][0] == {
        "skill": "hadamard-matmul:1", "family": "hadamard-matmul", "level": 1,
        "answered": skills["hadamard-matmul", 1], "right": 0, "accuracy": 0.0, "recall": None,
    }  # fmt: skip


def test_due_figures_and_forecast(learner: Learner):
    f = compute(learner.store, NOW)
    with learner.store.session() as s:
        from sqlalchemy import select

        from quizzer.models import Card, CardState

        dues = [d for (d,) in s.execute(
            select(CardState.due).join(Card).where(Card.active.is_(True), CardState.state != 0)
        )]  # fmt: skip
    today = local_date(NOW)
    start = datetime.combine(today, datetime.min.time()).astimezone()
    assert f["due"] == {
        "now": sum(d <= NOW for d in dues),
        "today": sum(d < start + timedelta(days=1) for d in dues),
        "overdue": sum(d < start for d in dues),
    }
    days = Counter(max(0, (local_date(d) - today).days) for d in dues)
    assert [x["due"] for x in f["forecast"]] == [days.get(i, 0) for i in range(30)]
    assert f["forecast"][0]["date"] == today.isoformat()


def test_stats_json_and_text_through_the_cli(runner, tmp_path: Path):
    db = tmp_path / "one.sqlite3"
    empty = runner.invoke(cli, ["--db", str(db), "stats"])
    assert empty.exit_code == 0 and "No answers yet" in empty.output
    data = json.loads(runner.invoke(cli, ["--db", str(db), "stats", "--json"]).output)
    assert data["answers"]["total"] == 0 and data["retention"]["true_30d"] is None
    Learner(Store(connect(str(db)))).answer("z-score", 1, 1, datetime.now(UTC), correct=True)
    one = runner.invoke(cli, ["--db", str(db), "stats"])
    assert one.exit_code == 0 and "Accuracy by family, last 30 days" in one.output
    zh = runner.invoke(cli, ["--db", str(db), "--lang", "zh", "stats"])
    assert "学习进度" in zh.output


def test_weakest_first(runner, learner: Learner, monkeypatch):
    from quizzer.stats import weakest_skills

    assert weakest_skills(learner.store, NOW)[0] == ("hadamard-matmul", 1)
    assert os.environ.get("TZ")  # the tz fixture ran


def test_quiz_weakest_drills_the_weakest_skill_first(runner, tmp_path: Path):
    db = tmp_path / "recent.sqlite3"
    simulate(db, now=datetime.now(UTC))
    result = runner.invoke(cli, ["--db", str(db), "quiz", "--weakest", "-n", "2"], input="q\n")
    assert result.exit_code == 0, result.output
    assert "1/2 · hadamard-matmul · level 1 · practice" in result.output
    fresh = runner.invoke(cli, ["--db", str(tmp_path / "new.sqlite3"), "quiz", "--weakest"])
    assert fresh.exit_code == 1 and "no answers in the last 30 days" in fresh.output
    # --level keeps to that level: z-score level 2 is the only level-2 skill answered
    two = ["--db", str(db), "quiz", "--weakest", "--level", "2", "-n", "2"]
    result = runner.invoke(cli, two, input="q\n")
    assert result.exit_code == 0, result.output
    assert "1/2 · z-score · level 2 · practice" in result.output
    three = runner.invoke(cli, ["--db", str(db), "quiz", "--weakest", "--level", "3"])
    assert three.exit_code == 1 and "no answers at level 3 in the last 30 days" in three.output


def test_help_defines_every_figure(runner):
    from quizzer.figures import FIGURES

    out = runner.invoke(cli, ["stats", "--help"]).output
    for key in FIGURES:
        assert key in out
    _ = Misconception  # the misconception ids above are the generators' own
