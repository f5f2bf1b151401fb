from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A real SQLite file in a temporary directory (not created yet)."""
    return tmp_path / "learner.sqlite3"


@pytest.fixture
def store(db_path: Path):
    from quizzer.db import connect
    from quizzer.store import Store

    s = Store(connect(str(db_path)))
    s.sync_catalog()
    return s


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    # never touch the real user's data directory from a test
    monkeypatch.setenv("QUIZZER_DB", str(tmp_path / "env-default.sqlite3"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return CliRunner()


@pytest.fixture
def rng() -> random.Random:
    return random.Random(12345)


@pytest.fixture(autouse=True)
def _fresh_warnings():
    """quizzer.notices says each warning once per process; every test is a new process."""
    from quizzer import notices

    notices._said.clear()
