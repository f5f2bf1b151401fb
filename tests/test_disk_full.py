"""The disk fills up in the middle of a real session (issue 8, item 5).

A session runs in a real pseudo-terminal on a database that lives on a small tmpfs. While
it waits at its prompt, the test fills the file system; the next answer cannot be saved.
The session must then say so in ONE line ("Your last answer was NOT saved: ... Answers
saved in this session: N. The session ends here."), print its usual summary, and end
without a traceback or an internal error. Once space is freed, the database opens,
`quizzer check` passes, and it holds exactly the N answers the session said were saved.

Where a tmpfs cannot be mounted (not root), the same is done with a file size limit
(RLIMIT_FSIZE, lowered with prlimit while the session waits, SIGXFSZ ignored): writes
past the limit fail with EFBIG, which SQLite reports as a disk I/O error. That variant
runs everywhere.
"""

from __future__ import annotations

import errno
import io
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pexpect
import pytest

SEED = 11
QUIZ_ARGS = ["quiz", "z-score", "-n", "6", "--seed", str(SEED), "--level", "1"]
PROMPT = r"answer> |\(Enter shows the answer; s skip, q quit\) "
# seconds the learner thinks before the answer that cannot be saved: meanwhile the session
# verifies spare questions in the background, which it keeps in the database too
THINK = 4.0
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NOT_SAVED = re.compile(
    r"^Your last answer was NOT saved: (?P<why>[^\n]+)\. Answers saved in this session: "
    r"(?P<n>\d+)\. The session ends here\.$",
    re.M,
)


def quizzer_command() -> list[str]:
    return [sys.executable, "-m", "quizzer"]


@pytest.fixture(scope="module")
def quiz_answers() -> list[str]:
    """The right answers of QUIZ_ARGS's questions, as a learner types them."""
    from quizzer.answers import typed_form
    from quizzer.session import practice_plan
    from quizzer.verify import draw

    return [typed_form(draw(f, s, lvl)) for f, lvl, s in practice_plan(["z-score"], 6, SEED, 1)]


@contextmanager
def small_tmpfs(size: str = "8m") -> Iterator[Path]:
    mnt = Path(tempfile.mkdtemp(prefix="quizzer-full-"))
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mnt)],
            capture_output=True,
            text=True,
        )
        if mounted.returncode != 0:
            pytest.skip(
                f"cannot mount a tmpfs here ({mounted.stderr.strip()}); "
                "test_file_size_limit_mid_session covers the same"
            )
        try:
            yield mnt
        finally:
            subprocess.run(["umount", "-l", str(mnt)], check=True)
    finally:
        mnt.rmdir()


def fill(directory: Path) -> Path:
    """Write a file in directory until its file system has not one byte left."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1):
            block = b"\xff" * size
            while True:
                try:
                    os.write(fd, block)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    finally:
        os.close(fd)
    assert os.statvfs(directory).f_bavail == 0
    return filler


class Session:
    """A quizzer session in a pseudo-terminal; `screen` is everything it printed."""

    def __init__(self, db: Path, home: Path, *args: str, limit_files: bool = False) -> None:
        env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "HOME": str(home)}
        env.pop("QUIZZER_DB", None)
        cmd = quizzer_command()
        kw = {}
        if limit_files:  # a write past RLIMIT_FSIZE fails with EFBIG instead of killing us
            kw["preexec_fn"] = lambda: signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        self.seen = io.StringIO()
        # wide, so that no line of the session is wrapped
        self.child = pexpect.spawn(
            cmd[0],
            [*cmd[1:], "--db", str(db), *args],
            env=env,
            encoding="utf-8",
            timeout=90,
            dimensions=(50, 400),
            **kw,
        )
        self.child.logfile_read = self.seen

    def prompt(self) -> str:
        """Wait for the next prompt; return which one it is."""
        self.child.expect(PROMPT)
        return self.child.after

    def answer(self, text: str) -> None:
        self.child.sendline(text)

    def end(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus

    @property
    def screen(self) -> str:
        return ANSI.sub("", self.seen.getvalue()).replace("\r\n", "\n")


def reviews_in(db: Path) -> list[tuple[str, int, str | None]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT mode, skipped, typed_answer FROM reviews ORDER BY id").fetchall()


def check_passes(db: Path) -> None:
    """`quizzer check` in a process of its own: integrity ok, every state its replay."""
    proc = subprocess.run(
        [*quizzer_command(), "--db", str(db), "check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(db.parent.parent)},
    )
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert "SQLite integrity check: ok" in proc.stdout
    assert "Every card's state is the replay of its reviews." in proc.stdout


def assert_ends_with_not_saved(screen: str, saved: int, why: str, status: int) -> None:
    """After the failed answer: ONE line saying it was not saved and how many were, then
    the summary of exactly those answers; no error, no traceback."""
    assert "Traceback" not in screen and "internal error" not in screen, screen
    assert "Error:" not in screen, screen
    found = NOT_SAVED.findall(screen)
    assert len(found) == 1, screen
    assert found[0] == (why, str(saved)), found
    after = screen[screen.index("Your last answer was NOT saved") :].splitlines()
    assert after[1].startswith(f"Session over: {saved} answered in "), after
    assert "answer>" not in "\n".join(after), after  # nothing asked after it
    assert status in (0, 1), status


def run_quiz(
    db: Path, home: Path, answers: list[str], break_it, limit_files: bool = False
) -> tuple[int, str]:
    """A practice quiz: a right answer, a skip, then the disk fails at the third prompt."""
    s = Session(db, home, *QUIZ_ARGS, limit_files=limit_files)
    try:
        assert s.prompt() == "answer> "
        s.answer(answers[0])
        s.child.expect("Correct")
        assert s.prompt() == "answer> "
        s.answer("s")
        s.child.expect("Skipped")
        assert s.prompt() == "answer> "
        break_it(s.child.pid)
        time.sleep(THINK)
        s.answer(answers[2])
        status = s.end()
    finally:
        s.child.close(force=True)
    return status, s.screen


def run_review(db: Path, home: Path, break_it, limit_files: bool = False) -> tuple[int, str]:
    """A review: two cards skipped (graded Again), then the disk fails at the third."""
    s = Session(db, home, "review", "--limit", "6", limit_files=limit_files)
    try:
        for _ in range(2):
            s.prompt()
            s.answer("s")
        s.prompt()
        break_it(s.child.pid)
        time.sleep(THINK)
        s.answer("s")
        status = s.end()
    finally:
        s.child.close(force=True)
    return status, s.screen


def test_disk_full_mid_session(tmp_path: Path, quiz_answers: list[str]):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; test_file_size_limit_mid_session runs instead")
    statuses = {}
    for mode in ("quiz", "review"):
        with small_tmpfs() as mnt:
            db = mnt / "learner.sqlite3"
            filler: list[Path] = []

            def break_it(_pid: int, mnt=mnt, filler=filler) -> None:
                filler.append(fill(mnt))

            if mode == "quiz":
                status, screen = run_quiz(db, tmp_path, quiz_answers, break_it)
            else:
                status, screen = run_review(db, tmp_path, break_it)
            assert filler, "the disk was never filled"
            assert_ends_with_not_saved(screen, 2, "the disk is full", status)
            statuses[mode] = status
            filler[0].unlink()  # space again: everything said to be saved is there
            check_passes(db)
            rows = reviews_in(db)
            if mode == "quiz":
                assert rows == [("practice", 0, quiz_answers[0]), ("practice", 1, None)]
            else:
                assert [(m, skipped) for m, skipped, _ in rows] == [("review", 1)] * 2
    assert statuses["quiz"] == statuses["review"], statuses  # one behaviour, both sessions


def test_file_size_limit_mid_session(tmp_path: Path, quiz_answers: list[str]):
    """The same failure without root: the session may not make any file longer."""
    statuses = {}
    for mode in ("quiz", "review"):
        d = tmp_path / mode
        d.mkdir()
        db = d / "learner.sqlite3"
        limited: list[int] = []

        def break_it(pid: int, db=db, limited=limited) -> None:
            size = max(Path(f"{db}-wal").stat().st_size, 1)
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (size, size))
            limited.append(size)

        if mode == "quiz":
            status, screen = run_quiz(db, tmp_path, quiz_answers, break_it, limit_files=True)
        else:
            status, screen = run_review(db, tmp_path, break_it, limit_files=True)
        assert limited, "the limit was never set"
        assert_ends_with_not_saved(screen, 2, "a disk I/O error", status)
        statuses[mode] = status
        check_passes(db)
        rows = reviews_in(db)
        if mode == "quiz":
            assert rows == [("practice", 0, quiz_answers[0]), ("practice", 1, None)]
        else:
            assert [(m, skipped) for m, skipped, _ in rows] == [("review", 1)] * 2
        assert sorted(p.name for p in d.iterdir() if p.name != "learner.sqlite3") in (
            [],
            ["learner.sqlite3-shm", "learner.sqlite3-wal"],
        )
    assert statuses["quiz"] == statuses["review"], statuses


def test_tmpfs_can_be_filled_and_freed():
    """The tool the test above relies on: a full tmpfs refuses one more byte, even to root,
    and takes it again once the filler is gone."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    with small_tmpfs("1m") as mnt:
        filler = fill(mnt)
        with pytest.raises(OSError) as exc:
            (mnt / "one-more").write_bytes(b"x" * 4096)
        assert exc.value.errno == errno.ENOSPC
        filler.unlink()
        (mnt / "one-more").write_bytes(b"x" * 4096)


def test_a_change_of_rating_that_cannot_be_saved_says_just_that(tmp_path: Path):
    """The disk fails while the learner is at the rating prompt of a right answer: that
    answer is saved (Good); only the change to Hard is not, and the line says exactly that."""
    from quizzer.answers import typed_form
    from quizzer.db import connect
    from quizzer.prefetch import installed_torch_version
    from quizzer.store import Store
    from quizzer.verify import draw

    db = tmp_path / "learner.sqlite3"
    store = Store(connect(str(db)))
    store.sync_catalog()
    first = store.next_card(datetime.now(UTC), new_left=1)
    q = draw(first.family, 5, first.difficulty)
    store.add_variants([q], installed_torch_version())
    store.engine.dispose()
    s = Session(db, tmp_path, "review", "--limit", "3", limit_files=True)
    try:
        assert s.prompt() == "answer> "
        s.answer(typed_form(q))
        s.child.expect("Enter keeps it; h Hard, e Easy: ")
        size = max(Path(f"{db}-wal").stat().st_size, 1)
        resource.prlimit(s.child.pid, resource.RLIMIT_FSIZE, (size, size))
        s.answer("h")
        status = s.end()
    finally:
        s.child.close(force=True)
    screen = s.screen
    assert "Traceback" not in screen and "Error:" not in screen, screen
    line = ("Your change of rating was NOT saved: a disk I/O error. Your answer is saved, "
            "rated Good. Answers saved in this session: 1. The session ends here.")  # fmt: skip
    assert screen.count(line) == 1, screen
    assert "Session over: 1 answered" in screen and "Your last answer was NOT" not in screen
    assert status in (0, 1)
    check_passes(db)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT correct, rating FROM reviews").fetchall() == [(1, 3)]
