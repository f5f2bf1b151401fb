"""`python traced_quizzer.py ARGS...` runs `quizzer ARGS...` with every SQL statement that
goes through the sqlite3 module traced, so that a test can kill it at a chosen statement.

QUIZZER_TRACE=FILE: after each statement (and each commit, rollback and online backup)
    one line is appended to FILE: the connection's number, then the statement's first line.
QUIZZER_STOP_AFTER=N: after writing the Nth line the process stops where it is (sleeps),
    so that the test can kill -9 it between that statement and the next.

Nothing else changes: the statements are quizzer's own, run in the same order.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import sys
import time

TRACE = os.environ["QUIZZER_TRACE"]
STOP_AFTER = int(os.environ.get("QUIZZER_STOP_AFTER", "0"))
_lines = itertools.count(1)
_numbers = itertools.count(1)


def _note(con: Connection, what: str) -> None:
    first = " ".join(str(what).strip().split("\n", 1)[0].split())[:100]
    with open(TRACE, "a", encoding="utf-8") as f:
        f.write(f"{con.number} {first}\n")
    if next(_lines) == STOP_AFTER:
        time.sleep(3600)


class Cursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        result = super().execute(sql, parameters)
        _note(self.connection, sql)
        return result

    def executemany(self, sql, seq_of_parameters, /):
        result = super().executemany(sql, seq_of_parameters)
        _note(self.connection, sql)
        return result

    def executescript(self, script, /):
        result = super().executescript(script)
        _note(self.connection, script)
        return result


class Connection(sqlite3.Connection):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.number = next(_numbers)

    def cursor(self, factory=None):
        return super().cursor(factory or Cursor)

    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, script, /):
        return self.cursor().executescript(script)

    def commit(self) -> None:
        super().commit()
        _note(self, "(commit)")

    def rollback(self) -> None:
        super().rollback()
        _note(self, "(rollback)")

    def backup(self, target, **kwargs) -> None:
        super().backup(target, **kwargs)
        _note(self, "(online backup)")


_connect = sqlite3.connect


def connect(*args, **kwargs):
    kwargs.setdefault("factory", Connection)
    return _connect(*args, **kwargs)


sqlite3.connect = connect

if __name__ == "__main__":
    from quizzer.cli import main

    sys.argv[0] = "quizzer"
    main()
