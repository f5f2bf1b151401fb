"""quizzer never reads its database with Python's open(): closing any descriptor of a file
drops every POSIX lock this process holds on it, and another process closing its own
connection would then take the database for unused and delete the -wal file under this
process's feet (https://sqlite.org/howtocorrupt.html, 2.2). Here a session's connection is
held open while each path that looks at the file runs; then another process opens and
closes the database: the -wal file must survive, so the lock was kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from quizzer.db import connect, locate, peek_setting, reader_uri
from quizzer.store import Store


def other_process_comes_and_goes(path: Path) -> None:
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('SELECT COUNT(*) FROM cards').fetchall(); c.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)


def _check(store: Store, path: Path) -> None:
    from quizzer.check import check

    assert check(store).ok


def _backup(store: Store, path: Path) -> None:
    from quizzer.backup import backup_to

    backup_to(path, str(path.with_name("copy.sqlite3")))


def _export_over_it(store: Store, path: Path) -> None:
    from quizzer.errors import QuizzerError
    from quizzer.export.files import Format, atomic_write

    with pytest.raises(QuizzerError, match="is an SQLite database"):
        atomic_write(path, lambda tmp: tmp.write_text("x"), Format("report.html"))


LOOKS = {
    "peek_setting": lambda store, path: peek_setting(str(path), "lang"),
    "connect_again": lambda store, path: connect(str(path)).dispose(),
    "reader_uri": lambda store, path: reader_uri(locate(str(path)).path),
    "check": _check,
    "backup": _backup,
    "export_refused": _export_over_it,
}


@pytest.mark.parametrize("look", sorted(LOOKS))
def test_looking_at_the_file_keeps_this_process_locks(db_path: Path, look: str):
    store = Store(connect(str(db_path)))
    store.sync_catalog()
    store.set_setting("lang", "zh")
    with store.session() as s:  # a session's connection, open as in a quiz
        s.connection().exec_driver_sql("SELECT COUNT(*) FROM cards").fetchall()
        wal = Path(f"{db_path}-wal")
        assert wal.exists()
        LOOKS[look](store, db_path)
        other_process_comes_and_goes(db_path)
        assert wal.exists(), f"{look} dropped this process's locks on the database"
    store.engine.dispose()
