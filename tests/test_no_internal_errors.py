"""No internal errors: a reader that stops early, text from the database, huge counts.

- A closed pipe (quizzer ... | head) ends any command quietly with status 141, as Unix
  tools end; never "internal error: BrokenPipeError", never "Exception ignored" at exit.
- Text read back from the database never reaches the terminal raw: control characters
  (ESC sequences, carriage returns, bells, C1 codes, bidi overrides) are shown escaped.
- -n 1000000000 starts a quiz as fast as -n 10 and holds one question at a time.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

import click
import pexpect
import pytest
from click.testing import CliRunner

from quizzer.answers import typed_form
from quizzer.cli import EXIT_BROKEN_PIPE, Group, cli
from quizzer.errors import QuizzerError
from quizzer.session import practice_plan
from quizzer.ui import printable
from tests.test_terminal_session import quizzer_command

# planted in the database: retitle the window, clear the screen, overwrite a line, ring the
# bell, a C1 control sequence introducer, a right-to-left override, rich markup and emoji
EVIL = "\x1b]0;PWNED\x07\x1b[2J\rOVERWRITE\x9b31m\u202eLIVE[/]:x:[bold]"
RAW = ["\x1b]0;PWNED", "\x1b[2J", "\rOVERWRITE", "\x07", "\x9b", "\u202e"]


def assert_no_raw_controls(output: str, shown: bool = True) -> None:
    """None of EVIL's control characters in output; if shown, all of EVIL, escaped."""
    for raw in RAW:
        assert raw not in output, (raw, output)
    escaped = "\\x1b]0;PWNED\\x07\\x1b[2J\\rOVERWRITE\\x9b31m\\u202eLIVE[/]:x:[bold]"
    assert not shown or escaped in output


def run(args: list[str], db: Path, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "QUIZZER_DB": str(db), "NO_COLOR": "1"}
    cmd = quizzer_command()
    return subprocess.run([*cmd, *args], env=env, timeout=120, **kwargs)


def closed_pipe() -> int:
    """The write end of a pipe whose reader has already gone: every write fails (EPIPE)."""
    r, w = os.pipe()
    os.close(r)
    return w


# ---------------------------------------------------------------- 1. broken pipes

PIPED = [
    ["topics"],
    ["topics", "--json"],
    ["--help"],
    ["--version"],
    ["quiz", "--help"],
    ["config"],
    ["config", "retention"],
    ["stats"],
    ["stats", "--json"],
    ["generate", "z-score", "-n", "3"],
    ["generate", "z-score", "--json"],
    ["quiz", "z-score", "-n", "3", "--seed", "1"],  # the session's own output
    ["review", "--limit", "2"],
]


@pytest.mark.parametrize("args", PIPED, ids=" ".join)
def test_a_closed_pipe_ends_a_command_quietly(args: list[str], db_path: Path):
    w = closed_pipe()
    try:
        out = run(args, db_path, stdout=w, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    finally:
        os.close(w)
    assert out.stderr == b""
    assert out.returncode == EXIT_BROKEN_PIPE


def test_csv_to_a_closed_pipe_is_quiet(db_path: Path):
    """quizzer export csv - | head: quiet too, with the same status as every command."""
    w = closed_pipe()
    try:
        out = run(["export", "csv", "-", "z-score", "--variants", "1"], db_path,
                  stdout=w, stderr=subprocess.PIPE)  # fmt: skip
    finally:
        os.close(w)
    assert out.stderr == b""
    assert out.returncode == EXIT_BROKEN_PIPE


@pytest.mark.parametrize("args", [["no-such-command"], ["quiz", "--level", "0"], ["topics"]])
def test_a_closed_stderr_too(args: list[str], db_path: Path):
    """2>&1 | head: an error message for a closed pipe, then exit without another error
    (Python's own exit flush failing would give status 120)."""
    w = closed_pipe()
    try:
        out = run(args, db_path, stdout=w, stderr=w)
    finally:
        os.close(w)
    assert out.returncode == EXIT_BROKEN_PIPE


@pytest.mark.parametrize("count", ["1000", "1000000000"])
def test_a_reader_that_stops_after_one_line(count: str, db_path: Path):
    """quizzer generate z-score -n N | head -1: N = 1000 is 360 kB, more than a pipe holds,
    so the reader leaves while quizzer is still writing."""
    env = {**os.environ, "QUIZZER_DB": str(db_path)}
    cmd = quizzer_command()
    with subprocess.Popen([*cmd, "generate", "z-score", "-n", count], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:  # fmt: skip
        assert p.stdout is not None and p.stderr is not None
        assert p.stdout.readline().startswith(b"[z-score level 1 seed 0]")
        p.stdout.close()
        assert p.wait(timeout=120) == EXIT_BROKEN_PIPE
        assert p.stderr.read() == b""


def test_a_broken_pipe_inside_a_command_is_not_an_internal_error():
    """The same through click's test runner: the command's BrokenPipeError ends it with
    status 141 and no message (stdout is not a real file here: nothing to redirect)."""
    group = Group("demo")

    @group.command()
    def pipe() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    result = CliRunner().invoke(group, ["pipe"])
    assert (result.exit_code, result.output) == (EXIT_BROKEN_PIPE, "")


# ---------------------------------------------------------------- 2. stored text


def test_printable():
    assert printable("a\x1b[2Jb\r\nc\rd\x07\x9b\u202e\u2066\u2028\te\nf") == (
        "a\\x1b[2Jb\nc\\rd\\x07\\x9b\\u202e\\u2066\\u2028\te\nf"
    )
    assert printable("a\tb\nc", multiline=False) == "a\\tb\\nc"
    text = "y = A·x + b\n  (N, C, H, W) 形状 😀 [bold] :x:"
    assert printable(text) == text


@pytest.mark.parametrize(
    "family, color, tampered, shown",
    [("conv-output", True, "text", 0), ("conv-output", False, "text", 0),
     ("z-score", True, "text", 1), ("z-score", False, "text", 1),
     ("z-score", True, "torch", 2), ("z-score", False, "torch", 2)],
)  # fmt: skip
def test_a_kept_variant_never_writes_control_characters(
    db_path: Path, family: str, color: bool, tampered: str, shown: int
):
    """A question kept in the variants table, tampered with, in a real session in a
    pseudo-terminal. Its prompt, answer or solution changed: it is not what the generator
    makes from its seed, so it is dropped: before it is shown for a pure-Python family;
    for a sympy family (compared in the background, so the first prompt does not wait for
    sympy's import) its prompt is shown with escapes, and once answered it is dropped with
    one line and nothing recorded. Its torch output and verification note changed (the
    generator cannot re-make them without torch): shown with escapes, not obeyed."""
    from quizzer.db import connect
    from quizzer.prefetch import installed_torch_version
    from quizzer.question import TorchCheck
    from quizzer.store import Store
    from quizzer.verify import draw

    q = draw(family, 1, 1)
    if tampered == "text":
        q = replace(q, prompt=q.prompt + EVIL, answer=q.answer + EVIL, solution=EVIL)
    else:
        q = replace(
            q,
            torch_check=TorchCheck(q.torch_check.code, q.torch_check.output + EVIL),
            verified_by=(*q.verified_by[:-1], q.verified_by[-1] + EVIL),
        )
    store = Store(connect(str(db_path)))
    store.sync_catalog()
    store.add_variants([q], installed_torch_version())
    store.engine.dispose()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200"}
    env.pop("NO_COLOR", None)
    if not color:
        env["NO_COLOR"] = "1"
    cmd = quizzer_command()
    args = [*cmd[1:], "--db", str(db_path), "quiz", family, "--level", "1", "-n", "1"]
    child = pexpect.spawn(cmd[0], args, env=env, encoding="utf-8", timeout=60,
                          dimensions=(40, 200))  # fmt: skip
    seen = io.StringIO()
    child.logfile_read = seen
    try:
        child.expect("answer> ")
        child.sendline("s")
        dropped = family == "z-score" and tampered == "text"
        if dropped:
            child.expect("changed in the database since it was verified")
        child.expect(f"Session over: {0 if dropped else 1} answered")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert seen.getvalue().count("PWNED") == shown  # torch output and how it was checked
    assert_no_raw_controls(seen.getvalue(), shown=bool(shown))


def practise_once(db_path: Path) -> None:
    q = draw_first("z-score", 2)
    result = CliRunner().invoke(
        cli,
        ["--db", str(db_path), "quiz", "z-score", "--level", "1", "-n", "1", "--seed", "2"],
        input=typed_form(q) + "\n",
    )
    assert "Session over: 1 answered" in result.output, result.output


def draw_first(family: str, seed: int) -> Any:
    from quizzer.verify import draw

    fam, lvl, s = next(iter(practice_plan([family], 1, seed, 1)))
    return draw(fam, s, lvl)


def test_stats_shows_stored_names_as_plain_text(runner, db_path: Path):
    practise_once(db_path)
    with sqlite3.connect(db_path) as con:
        con.execute("UPDATE reviews SET misconception = ?, correct = 0", (EVIL,))
    result = runner.invoke(cli, ["--db", str(db_path), "stats"], env={"COLUMNS": "200"},
                           catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_no_raw_controls(result.output)


def test_stats_json_escapes_what_json_itself_would_leave_raw(runner, db_path: Path):
    """JSON escapes C0 controls only: C1 controls, DEL and bidi overrides need \\uXXXX."""
    practise_once(db_path)
    with sqlite3.connect(db_path) as con:
        con.execute("UPDATE reviews SET misconception = ?, correct = 0", (EVIL + "\x7f",))
    result = runner.invoke(cli, ["--db", str(db_path), "stats", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert_no_raw_controls(result.output, shown=False)
    assert "\x7f" not in result.output
    mistakes = json.loads(result.output)["misconceptions"]
    assert mistakes[0]["id"] == EVIL + "\x7f"  # the same text, once decoded


@pytest.mark.parametrize("args", [["config"], ["config", "lang"]])
def test_config_shows_a_stored_setting_escaped(runner, db_path: Path, args: list[str]):
    runner.invoke(cli, ["--db", str(db_path), "config", "lang", "en"], catch_exceptions=False)
    with sqlite3.connect(db_path) as con:
        con.execute("UPDATE settings SET value = ? WHERE key = 'lang'", (json.dumps(EVIL),))
    result = runner.invoke(cli, ["--db", str(db_path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "lang = " in result.output and "PWNED" in result.output  # the invalid value
    assert_no_raw_controls(result.output, shown=False)  # shown escaped, perhaps shortened


def test_verify_shows_a_stored_question_escaped(runner, db_path: Path):
    practise_once(db_path)
    with sqlite3.connect(db_path) as con:
        con.execute("UPDATE reviews SET question = json_set(question, '$.torch_check.output', ?)",
                    (EVIL,))  # fmt: skip
    args = ["--db", str(db_path), "verify", "z-score", "-n", "1"]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert "torch output was" in result.output, result.output
    assert_no_raw_controls(result.output)


@pytest.mark.parametrize(
    "exc", [QuizzerError(EVIL), ValueError(EVIL), click.ClickException(EVIL)], ids=repr
)
def test_error_messages_are_escaped(exc: Exception):
    group = Group("demo")

    @group.command()
    def fail() -> None:
        raise exc

    result = CliRunner().invoke(group, ["fail"])
    assert result.exit_code == 1
    assert result.output.startswith(("Error: \\x1b", "Error: internal error: ValueError: \\x1b"))
    assert_no_raw_controls(result.output)


# ---------------------------------------------------------------- 3. huge counts


def at_most(calls: int, fn: Any) -> Any:
    """fn, failing the test once called more than `calls` times (an eager plan would be
    drawn whole before anything is asked)."""
    count = [0]

    def wrapper(*args: Any) -> Any:
        count[0] += 1
        assert count[0] <= calls, "drawn eagerly"
        return fn(*args)

    return wrapper


def test_practice_plan_is_drawn_lazily_and_unchanged(monkeypatch: pytest.MonkeyPatch):
    from quizzer import generators

    monkeypatch.setattr(generators, "get", at_most(10, generators.get))
    plan = practice_plan(["z-score", "conv-output"], 10**18, 9, None)
    assert list(islice(plan, 4)) == [  # the same seed gives the same quiz as before
        ("conv-output", 2, 824867122),
        ("conv-output", 2, 1630919392),
        ("z-score", 3, 429209886),
        ("z-score", 1, 17007148),
    ]
    assert list(practice_plan(["z-score"], 3, 11, 1)) == [
        ("z-score", 1, 2001201142),
        ("z-score", 1, 180448539),
        ("z-score", 1, 1787348686),
    ]


class FakeVerifier:
    def __init__(self) -> None:
        self.drawn: list[tuple[str, int, int]] = []
        self.draw = at_most(100, self._draw)

    def _draw(self, family: str, seed: int, difficulty: int) -> Any:
        self.drawn.append((family, difficulty, seed))
        return ("future", seed)


class FakeStore:
    def __init__(self) -> None:
        self.lookups = 0

    def skill_card(self, family: str, difficulty: int) -> Any:
        self.lookups += 1
        return type("Card", (), {"id": hash((family, difficulty)) % 1000})()


def test_a_seeded_quiz_verifies_a_few_questions_ahead_only():
    from quizzer.cli_sessions import AHEAD, _practice_items

    verifier, store = FakeVerifier(), FakeStore()
    plan = practice_plan(["z-score", "conv-output"], 10**18, 9, None)
    items = _practice_items(plan, store, None, verifier, seeded=True)
    first = next(items)
    assert len(verifier.drawn) == AHEAD + 1
    shown = [first, *islice(items, 9)]
    assert len(verifier.drawn) == 10 + AHEAD
    want = list(practice_plan(["z-score", "conv-output"], 10, 9, None))
    assert verifier.drawn[:10] == want
    assert [(i.family, i.difficulty, i.future) for i in shown] == [
        (f, lvl, ("future", s)) for f, lvl, s in want
    ]
    assert store.lookups == len({(f, lvl) for f, lvl, _ in want})  # card ids are cached


def test_a_seeded_quiz_shorter_than_the_window_draws_each_question_once():
    from quizzer.cli_sessions import _practice_items

    verifier = FakeVerifier()
    plan = practice_plan(["z-score"], 2, 4, 1)
    items = list(_practice_items(plan, FakeStore(), None, verifier, seeded=True))
    assert verifier.drawn == list(practice_plan(["z-score"], 2, 4, 1))
    assert [i.future for i in items] == [("future", s) for _f, _l, s in verifier.drawn]


def limit_memory() -> None:
    """In the child: 2 GB of address space (torch loaded takes under 1 GB), so that a plan
    built whole fails at once instead of filling the machine's memory."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


HUGE = [
    ["quiz", "-n", "1000000000"],
    ["quiz", "z-score", "--level", "1", "-n", "1000000000", "--seed", "2"],
    ["quiz", "--weakest", "-n", "1000000000", "--seed", "2"],
    ["review", "--limit", "1000000000"],
]


@pytest.mark.parametrize("args", HUGE, ids=" ".join)
def test_a_huge_count_starts_at_once(args: list[str], db_path: Path):
    """The first question shows well within the 60 s timeout (building the whole plan
    took 37 s for -n 100000 and never ended for -n 1000000000), one is answered, and
    Ctrl-C ends the session with its summary."""
    if "--weakest" in args:
        practise_once(db_path)  # something to rank
    env = {**os.environ, "NO_COLOR": "1"}
    cmd = quizzer_command()
    child = pexpect.spawn(cmd[0], [*cmd[1:], "--db", str(db_path), *args], env=env,
                          encoding="utf-8", timeout=60, preexec_fn=limit_memory)  # fmt: skip
    prompt = "answer> |Enter shows the answer"  # a skill's or a concept card's
    try:
        if args[0] == "quiz":
            child.expect(r"1/1000000000 ")
        child.expect(prompt)
        if "--seed" in args and "--weakest" not in args:
            child.sendline(typed_form(draw_first("z-score", 2)))
            child.expect("Correct")
        else:
            child.sendline("s")
        child.expect(prompt)
        child.sendintr()
        child.expect("Session over: 1 answered")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
