"""`quizzer verify`: re-verification of generators and of every stored question."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from quizzer.answers import typed_form
from quizzer.cli import cli
from quizzer.session import practice_plan
from quizzer.verify import draw


def practise(runner, db: Path) -> None:
    plan = practice_plan(["z-score", "conv-output"], 3, 9, 1)
    answers = [typed_form(draw(f, s, lvl)) for f, lvl, s in plan]
    result = runner.invoke(
        cli,
        [
            "--db",
            str(db),
            "quiz",
            "z-score",
            "conv-output",
            "-n",
            "3",
            "--seed",
            "9",
            "--level",
            "1",
        ],
        input="\n".join(answers) + "\n",
    )
    assert "Session over: 3 answered" in result.output


def test_everything_still_agrees(runner, db_path: Path):
    practise(runner, db_path)
    result = runner.invoke(cli, ["--db", str(db_path), "verify", "-n", "5"])
    assert result.exit_code == 0, result.output
    assert "z-score              level 3: 5 verified" in result.output
    assert (
        "stored questions: 3 regenerated, 0 with a changed answer, "
        "0 with only a reworded torch output" in result.output
    )


def test_a_changed_stored_answer_is_reported(runner, db_path: Path):
    practise(runner, db_path)
    con = sqlite3.connect(db_path)
    rid, question = con.execute("SELECT id, question FROM reviews ORDER BY id LIMIT 1").fetchone()
    q = json.loads(question)
    q["expected"] = q["result"] = (
        12345 if q["kind"] == "int" else [1, 2, 3] if isinstance(q["expected"], list) else 12345.0
    )
    con.execute("UPDATE reviews SET question = ? WHERE id = ?", (json.dumps(q), rid))
    con.commit()
    con.close()
    result = runner.invoke(cli, ["--db", str(db_path), "verify", "-n", "2"])
    assert result.exit_code == 1, result.output
    assert "3 regenerated, 1 with a changed answer" in result.output
    assert f"seed {q['seed']}: answer was" in result.output


def test_a_seed_that_torch_now_rejects_is_reported(runner, tmp_path: Path, monkeypatch):
    import quizzer.verify as verify

    verify._discover()
    real = verify._CHECKERS["z-score"]

    def upgraded_torch(q):  # a torch that now disagrees for seed 0's first variant
        c = real(q)
        return replace(c, result=c.result + 1) if (q.seed, q.attempt) == (0, 0) else c

    monkeypatch.setitem(verify._CHECKERS, "z-score", upgraded_torch)
    monkeypatch.delitem(verify._BATCH, "z-score", raising=False)
    result = runner.invoke(
        cli, ["--db", str(tmp_path / "q.db"), "verify", "z-score", "-n", "3", "--no-stored"]
    )
    assert result.exit_code == 1, result.output
    assert "first variant rejected for seeds [0]" in result.output
