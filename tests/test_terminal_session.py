"""A scripted session in a real pseudo-terminal: a right answer, a wrong one, a malformed
one, then Ctrl-C. The database must then hold exactly the two answered reviews."""

from __future__ import annotations

import io
import os
import shutil
import sys
from pathlib import Path

import pexpect
import pytest
from sqlalchemy import select

from quizzer.answers import typed_form
from quizzer.db import connect
from quizzer.models import Review
from quizzer.session import practice_plan
from quizzer.store import Store
from quizzer.verify import draw


def quizzer_command() -> list[str]:
    exe = shutil.which("quizzer", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "quizzer"]


@pytest.mark.parametrize("color", [True, False])
def test_right_wrong_malformed_then_ctrl_c(db_path: Path, color: bool):
    plan = practice_plan(["z-score"], 5, 11, 1)
    qs = [draw(f, s, lvl) for f, lvl, s in plan]
    wrong = str(qs[1].expected + 5)
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    if not color:
        env["NO_COLOR"] = "1"
    cmd = quizzer_command()
    child = pexpect.spawn(
        cmd[0],
        [
            *cmd[1:],
            "--db",
            str(db_path),
            "quiz",
            "z-score",
            "-n",
            "5",
            "--seed",
            "11",
            "--level",
            "1",
        ],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
    )
    seen = io.StringIO()
    child.logfile_read = seen
    try:
        child.expect("answer> ")
        child.sendline(typed_form(qs[0]))
        child.expect("Correct")
        child.expect("answer> ")
        child.sendline(wrong)
        child.expect("Not quite")
        child.expect("Torch check")
        child.expect("answer> ")
        child.sendline("abc(")
        child.expect("Can't read that")
        child.expect("answer> ")
        child.sendintr()
        child.expect("Session over: 2 answered")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    green, red = "\x1b[32m", "\x1b[31m"  # rich's colours for right and wrong
    assert (green in seen.getvalue() and red in seen.getvalue()) == color
    with Store(connect(str(db_path))).session() as s:
        rows = s.scalars(select(Review).order_by(Review.id)).all()
    assert [(r.mode, r.correct, r.typed_answer) for r in rows] == [
        ("practice", True, typed_form(qs[0])),
        ("practice", False, wrong),
    ]
    assert [r.seed for r in rows] == [qs[0].seed, qs[1].seed]
    assert all(r.duration_ms is not None and r.duration_ms >= 0 for r in rows)


def test_ctrl_c_right_at_the_first_prompt_always_ends_the_session(db_path: Path):
    """The first prompt comes from a kept verified variant while torch starts loading in
    the background; a Ctrl-C sent the instant the prompt shows must still end the session
    (a signal landing just before readline's select() used to be lost)."""
    from quizzer.prefetch import installed_torch_version
    from quizzer.store import catalog

    store = Store(connect(str(db_path)))
    store.sync_catalog()
    skills = [(e.family, e.difficulty) for e in catalog() if e.kind == "skill"]
    store.add_variants([draw(f, s, lvl) for f, lvl in skills for s in range(3)],
                       installed_torch_version())  # fmt: skip
    store.engine.dispose()
    cmd = quizzer_command()
    for _ in range(5):
        child = pexpect.spawn(cmd[0], [*cmd[1:], "--db", str(db_path), "review"],
                              env={**os.environ, "NO_COLOR": "1"}, encoding="utf-8",
                              timeout=30)  # fmt: skip
        child.delaybeforesend = 0
        try:
            child.expect("answer> ")
            child.sendintr()
            child.expect("Session over: 0 answered", timeout=10)
            child.expect(pexpect.EOF)
        finally:
            child.close(force=True)
