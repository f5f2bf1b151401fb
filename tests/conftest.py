from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
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


# A simulated learner whose memory follows known FSRS parameters (tests/simulate.py
# MemoryLearner): ~1,500 scheduled reviews, ~1,000 of them a day or more after the previous
MEMORY_START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
MEMORY_DAYS = 120


@pytest.fixture(scope="session")
def history_file(tmp_path_factory) -> Path:
    """The simulated learner's database, made once: copied for each test (learner_db)."""
    from quizzer.db import connect
    from quizzer.store import Store
    from tests.simulate import MemoryLearner

    path = tmp_path_factory.mktemp("learner") / "learner.sqlite3"
    store = Store(connect(str(path)))
    store.sync_catalog()
    MemoryLearner(store).days(MEMORY_START, MEMORY_DAYS, new=3)
    store.engine.dispose()
    return path


@pytest.fixture
def learner_db(history_file: Path, tmp_path: Path) -> Path:
    """A copy of history_file the test may change."""
    path = tmp_path / "learner.sqlite3"
    with sqlite3.connect(history_file) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    return path
