"""A database on a read-only file system: even root cannot write it, so this runs as any
user (tests/test_open_database.py also runs quizzer as the user nobody, where it can).
Reading commands work and change nothing; commands that must write say so in one line."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizzer.cli import cli
from quizzer.db import connect
from quizzer.schedule import Rating, make_scheduler
from quizzer.store import Store


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def read_only_db(tmp_path: Path) -> Iterator[Path]:
    source = tmp_path / "learner.sqlite3"
    store = Store(connect(str(source)))
    store.sync_catalog()
    sched = make_scheduler()
    for i, family in enumerate(["z-score", "conv-output", "one-hot"]):
        store.record(store.skill_card(family, 1).id, "review", question=None, typed="1",
                     correct=i != 1, rating=Rating.GOOD if i != 1 else Rating.AGAIN,
                     duration_ms=1000, scheduler=sched,
                     now=datetime(2026, 11, 1, 9, i, tzinfo=UTC))  # fmt: skip
    store.engine.dispose()
    mnt = Path(tempfile.mkdtemp(prefix="quizzer-rofs-"))
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)],
                          capture_output=True, text=True)  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        shutil.copyfile(source, mnt / "learner.sqlite3")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        yield mnt / "learner.sqlite3"
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)
        os.rmdir(mnt)


READS = [
    ["stats", "--json"],
    ["report", "--out", "{out}/report.html"],
    ["export", "csv", "{out}/cards.csv", "z-score", "--variants", "1"],
    ["export", "anki", "{out}/cards.apkg", "z-score", "--variants", "1"],
    ["check"],
    ["backup", "{out}/copy.sqlite3"],
    ["config"],
]
WRITES = [
    ["quiz", "-n", "1"],
    ["review"],
    ["config", "new-per-day", "5"],
    ["check", "--repair"],
]


def test_reading_commands_work_and_change_nothing(read_only_db: Path, tmp_path: Path):
    before = digest(read_only_db.parent)
    runner = CliRunner()
    for args in READS:
        args = [a.format(out=tmp_path) for a in args]
        result = runner.invoke(cli, ["--db", str(read_only_db), *args])
        assert result.exit_code == 0, (args, result.output)
    stats = runner.invoke(cli, ["--db", str(read_only_db), "stats", "--json"]).output
    assert '"reviews": 3' in stats
    copy = Store(connect(str(tmp_path / "copy.sqlite3")))
    with copy.engine.connect() as con:
        assert con.exec_driver_sql("SELECT COUNT(*) FROM reviews").scalar() == 3
    assert digest(read_only_db.parent) == before  # byte for byte, and no -wal/-shm beside it


@pytest.mark.parametrize("args", WRITES, ids=" ".join)
def test_commands_that_must_write_say_so_in_one_line(read_only_db: Path, args: list[str]):
    before = digest(read_only_db.parent)
    result = CliRunner().invoke(cli, ["--db", str(read_only_db), *args], input="s\n")
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: ") and "is read-only" in lines[-1]
    assert "answer>" not in result.output and "Did you know" not in result.output
    assert digest(read_only_db.parent) == before
