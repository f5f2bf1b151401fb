"""Crashes and concurrent processes on one real database file (issue 8).

Everything here runs real `quizzer` processes on real SQLite files: kill -9 at many
instants of a first start and of an upgrade of 100,000 reviews, eight processes creating
one database at once, two and four sessions answering the same cards at once, the
re-rating race, and kill -9 in the middle of a session. The oracle is the database
itself: its schema, every review (count and checksum), and quizzer.check (every card's
FSRS state is the replay of its reviews).

No assertion depends on timing. Most kills of a first start and of an upgrade are exact:
the process runs under tests/drivers/traced_quizzer.py, which lists each SQL statement as
it completes and halts after the Nth, where it is killed; the statements are taken from
an uninterrupted run, so the kills fall after chosen statements of the creation or
upgrade transaction, whose outcome is then known (not committed: the old schema). The
others are anchored on what an untraced process is seen doing (a file appears, the -wal
file fills, a line on stderr) plus delays spread over the uninterrupted run's timeline,
so that some land inside a long statement, a commit or the backup.

Subprocesses run `python -m quizzer` with this interpreter and environment, so the tests
can be pointed at a modified copy of the package with PYTHONPATH.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pexpect
import pytest
from sqlalchemy import select

from quizzer import generators, schedule
from quizzer.answers import typed_form
from quizzer.check import check
from quizzer.db import QUIZZER_TABLES, connect
from quizzer.migrate import HEAD, alembic_config
from quizzer.models import Card, Review, utcnow
from quizzer.prefetch import installed_torch_version
from quizzer.schedule import Rating
from quizzer.store import Store, catalog
from quizzer.verify import draw

TIMEOUT = 120  # seconds any one process may take (generous: 2 cores, others testing)
POLL = 0.0003  # seconds between looks at a process's files while waiting to kill it
OLD = "0002"  # the schema the upgrade fixture is built at
FULL_TABLES = frozenset(QUIZZER_TABLES)
OLD_TABLES = FULL_TABLES - {"fsrs_parameters"}  # 0002 has the others; 0005 adds it

# what must never reach the learner's terminal or stderr (questions and cards may say
# "cannot" or "TypeError:", so only quizzer's own words for trouble are looked for)
FORBIDDEN = re.compile(
    r"Traceback|\b[A-Z]\w*Warning\b|warning:|locked|internal error|NOT saved"
    r"|(?<!\w)Error:|could not (create|upgrade)|another quizzer"
)


# ---------------------------------------------------------------- running quizzer


def quizzer_cmd() -> list[str]:
    return [sys.executable, "-m", "quizzer"]


def child_env() -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1"}
    for key in ("QUIZZER_DB", "QUIZZER_LANG", "QUIZZER_DEBUG"):
        env.pop(key, None)
    return env


def run_quizzer(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*quizzer_cmd(), "--db", str(db), *args],
        cwd=str(db.parent),  # never the repository: `python -m` imports from the cwd
        env=child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


DRIVER = Path(__file__).with_name("drivers") / "traced_quizzer.py"


class Watched:
    """A quizzer command running in the background, its stderr lines collected as they
    arrive, so that a test can wait for a stage, then kill it.

    With `trace`, it runs under tests/drivers/traced_quizzer.py: every SQL statement it
    runs is listed in that file as it completes, and with `stop_after` N it halts right
    after the Nth one, to be killed there."""

    def __init__(self, db: Path, *args: str, trace: Path | None = None, stop_after: int = 0):
        self.db = db
        self.trace = trace
        cmd, env = quizzer_cmd(), child_env()
        if trace is not None:
            cmd = [sys.executable, str(DRIVER)]
            env |= {"QUIZZER_TRACE": str(trace), "QUIZZER_STOP_AFTER": str(stop_after)}
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [*cmd, "--db", str(db), *args],
            cwd=str(db.parent),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        with self.proc.stderr:
            for raw in self.proc.stderr:
                self.lines.append(raw.decode("utf-8", "replace"))

    def said(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def statements(self) -> list[str]:
        """The statements traced so far: "CONNECTION STATEMENT" (see the driver)."""
        assert self.trace is not None
        try:
            return self.trace.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    def done(self, n: int) -> Callable[[], bool]:
        """A stage: the first n statements have run."""
        assert self.trace is not None
        trace = self.trace

        def holds() -> bool:
            try:
                return trace.read_bytes().count(b"\n") >= n
            except FileNotFoundError:
                return False

        return holds

    def stderr(self) -> str:
        self._reader.join(TIMEOUT)
        return "".join(self.lines)

    def kill_at(self, stage: Callable[[], bool], delay: float = 0.0) -> bool:
        """Wait until stage() holds, then `delay` seconds, then SIGKILL. True if the kill
        ended the process, False if it had ended on its own first."""
        deadline = time.monotonic() + TIMEOUT
        while not stage():
            if self.proc.poll() is not None:
                break
            assert time.monotonic() < deadline, "stage never reached"
            time.sleep(POLL)
        if delay and self.proc.poll() is None:
            time.sleep(delay)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(TIMEOUT)
        self._reader.join(TIMEOUT)
        return self.proc.returncode == -signal.SIGKILL

    def timeline(self, stages: dict[str, Callable[[], bool]]) -> dict[str, float]:
        """Run to the end; the time (from the start) at which each stage was first seen."""
        seen: dict[str, float] = {}
        deadline = self.started + TIMEOUT
        while self.proc.poll() is None:
            now = time.monotonic() - self.started
            for name, holds in stages.items():
                if name not in seen and holds():
                    seen[name] = now
            assert time.monotonic() < deadline, "an uninterrupted run took too long"
            time.sleep(POLL)
        seen["exit"] = time.monotonic() - self.started
        self._reader.join(TIMEOUT)
        assert self.proc.returncode == 0, self.stderr()
        return seen


@dataclass(frozen=True)
class Kill:
    """One kill -9 of a run: right after a traced statement (whose outcome is known: the
    transaction it is in is committed or not), or at a stage of an untraced run plus a
    delay (either outcome allowed; such a kill can land inside a statement or a commit)."""

    label: str
    statement: int = 0  # > 0: kill right after this statement of the traced calibration
    committed: bool | None = None  # for a statement: whether the schema change is committed
    stage: str = ""
    delay: float = 0.0

    def where(self, i: int, lines: list[str]) -> str:
        if self.statement:
            return f"run {i}: after statement {self.statement} ({lines[self.statement - 1][:60]})"
        return f"run {i}: {self.label} ({self.stage} +{self.delay * 1000:.1f} ms)"


def migration(lines: list[str]) -> tuple[int, int]:
    """The numbers (from 1) of the first and last statements of a trace that belong to the
    creation or upgrade: from the BEGIN IMMEDIATE that opens it (or, were there none, its
    first statement that changes the schema) to the commit after the version becomes HEAD."""
    at_head = next(
        i for i, s in enumerate(lines, 1) if f"version_num='{HEAD}'" in s or f"('{HEAD}')" in s
    )
    commit = next((i for i, s in enumerate(lines, 1) if i > at_head and s.endswith(" (commit)")))
    begins = [i for i, s in enumerate(lines[:at_head], 1) if s.endswith(" BEGIN IMMEDIATE")]
    changes = [i for i, s in enumerate(lines, 1) if re.search(r" (CREATE|ALTER) ", s)]
    return (begins[-1] if begins else changes[0]), commit


def spread(first: int, last: int, n: int) -> list[int]:
    """n whole numbers spread evenly over first..last, both included."""
    if last - first + 1 <= n:
        return list(range(first, last + 1))
    return sorted({first + round(k * (last - first) / (n - 1)) for k in range(n)})


def size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return -1


def sidecar(db: Path, suffix: str) -> Path:
    return Path(f"{db}{suffix}")


def on_a_copy(db: Path, scratch: Path, read: Callable[[Path], Any]) -> Any:
    """read(path) of a copy of db with its -wal or journal (as a kill left them), so that
    the original is left exactly as it was for the next quizzer to open."""
    scratch.mkdir()
    try:
        for suffix in ("", "-wal", "-journal"):
            src = sidecar(db, suffix)
            if src.exists():
                shutil.copyfile(src, scratch / f"{db.name}{suffix}")
        return read(scratch / db.name)
    finally:
        shutil.rmtree(scratch)


Schema = frozenset[tuple[str, str, str]]


def schema_of(con: sqlite3.Connection) -> tuple[Schema, str | None]:
    """Every table and index (type, name, the SQL that makes it, so an added column
    shows) and the schema version."""
    found = frozenset(
        con.execute(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
    )
    revision = None
    if "alembic_version" in tables_in(found):
        rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
        revision = rows[0][0] if len(rows) == 1 else f"{len(rows)} rows"
    return found, revision


def tables_in(schema: Schema) -> frozenset[str]:
    return frozenset(name for kind, name, _ in schema if kind == "table")


def schema_and_revision(path: Path) -> tuple[Schema, str | None]:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        return schema_of(con)
    finally:
        con.close()


def left_behind(db: Path, scratch: Path) -> tuple[Schema, str | None] | None:
    """The schema and its version that a kill left at db (None: no file)."""
    return on_a_copy(db, scratch, schema_and_revision) if db.exists() else None


def open_and_check(db: Path) -> tuple[str | None, int]:
    """Open db as quizzer does, in this process; check it; (schema, active cards)."""
    store = Store(connect(str(db)))
    try:
        store.sync_catalog()
        report = check(store)
        assert report.ok, report
        with store.session() as s:
            cards = len(list(s.scalars(select(Card.id).where(Card.active.is_(True)))))
    finally:
        store.engine.dispose()
    con = sqlite3.connect(db)
    try:
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        con.close()
    return revision, cards


class FollowUps:
    """Each kill's follow-up (the next start and what is checked after it) runs in the
    background while the next kill runs: one at a time, each once the previous is done.
    A follow-up returns the problems it found; an exception is one too."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(1)
        self.pending = None
        self.problems: list[str] = []

    def then(self, where: str, fn: Callable[[], list[str]]) -> None:
        self.wait()

        def run() -> list[str]:
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001 - every run is reported
                return [f"{where}: {exc!r}"]

        self.pending = self.pool.submit(run)

    def wait(self) -> list[str]:
        if self.pending is not None:
            self.problems += self.pending.result()
            self.pending = None
        return self.problems

    def __enter__(self) -> FollowUps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------- 1. kill -9 during a first start


def creation_plan(lines: list[str], t: dict[str, float]) -> list[Kill]:
    """30 kills of a first start: after 20 statements spread over the creation transaction
    (from its BEGIN IMMEDIATE to its commit), 2 before it and 2 after it (in the catalog
    sync); and 6 untraced ones at stages: the start, the file appearing, the first write
    of the -wal (a commit under way) and later."""
    begin, commit = migration(lines)
    plan = [Kill("before", n, False) for n in (max(begin - 8, 1), begin - 1)]
    plan += [Kill("creating", n, False) for n in spread(begin, commit - 1, 19)]
    plan += [Kill("creating", commit, True)]
    plan += [Kill("catalog", n, True) for n in spread(commit + 1, len(lines) - 1, 4)[1:3]]
    rest = max(t["exit"] - t.get("wal_data", 0), 0.05)
    plan += [Kill("start", stage="start"), Kill("file", stage="db")]
    plan += [Kill("commit", stage="wal_data", delay=d) for d in (0, 0.0005, 0.002)]
    plan += [Kill("after", stage="wal_data", delay=rest / 2)]
    assert len(plan) == 30, plan
    return plan


@pytest.mark.slow
def test_kill_during_first_start_never_leaves_a_half_created_database(tmp_path: Path):
    """kill -9 of `quizzer stats --json` on a new file at 30 instants: what is left is no
    database, an empty one, or the whole schema at HEAD, never part of it (after any
    statement of the creation transaction but its commit: none of it); `quizzer check`
    then exits 0 with nothing on stderr, and the database opens and checks out."""

    def stages(db: Path) -> dict[str, Callable[[], bool]]:
        wal = sidecar(db, "-wal")
        return {
            "start": lambda: True,
            "db": lambda: size(db) >= 0,
            "wal_data": lambda: size(wal) > 0,
        }

    calibration = tmp_path / "calibration" / "new.sqlite3"
    calibration.parent.mkdir()
    w = Watched(calibration, "stats", "--json", trace=tmp_path / "calibration.trace")
    timeline = w.timeline(stages(calibration))
    lines = w.statements()
    full = schema_and_revision(calibration)
    assert tables_in(full[0]) == FULL_TABLES and full[1] == HEAD
    assert open_and_check(calibration) == (HEAD, len(catalog()))

    def follow_up(db: Path, where: str) -> list[str]:
        done = run_quizzer(db, "check")
        if done.returncode != 0 or done.stderr:
            return [f"{where}: check exit {done.returncode}: {done.stderr}{done.stdout}"]
        assert open_and_check(db) == (HEAD, len(catalog())), where
        shutil.rmtree(db.parent)
        return []

    outcomes: dict[str, int] = defaultdict(int)
    with FollowUps() as later:
        for i, kill in enumerate(creation_plan(lines, timeline)):
            db = tmp_path / f"run{i}" / "new.sqlite3"
            db.parent.mkdir()
            where = kill.where(i, lines)
            if kill.statement:
                w = Watched(db, "stats", "--json", trace=tmp_path / f"run{i}.trace",
                            stop_after=kill.statement)  # fmt: skip
                if not w.kill_at(w.done(kill.statement)):
                    later.problems.append(f"{where}: ended before it, {len(w.statements())}")
            else:
                w = Watched(db, "stats", "--json")
                w.kill_at(stages(db)[kill.stage], kill.delay)
            try:
                left = left_behind(db, tmp_path / f"scratch{i}")
            except (sqlite3.Error, AssertionError) as exc:
                left = (frozenset({("unreadable", repr(exc), "")}), None)
            if left is None or not left[0]:
                outcome = "none"
            elif left == full:
                outcome = "all"
            else:
                outcome = "part"
                tables = sorted(tables_in(left[0]))
                later.problems.append(f"{where}: left tables {tables} at schema {left[1]}")
            if kill.committed is not None and outcome != ("all" if kill.committed else "none"):
                later.problems.append(f"{where}: left {outcome} of the schema")
            outcomes[f"{kill.label}: {outcome}"] += 1
            later.then(where, lambda db=db, where=where: follow_up(db, where))
        problems = later.wait()
    print(f"\n30 kills during a first start: {dict(outcomes)}; timeline {timeline}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- 2. kill -9 during an upgrade


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def build_old_database(path: Path, reviews: int = 100_000, seed: int = 8) -> None:
    """A learner's database at schema 0002 (WAL mode, checkpointed into one file): the
    whole catalog, `reviews` reviews over 400 days, 2,000 of them scheduled reviews of 40
    skills whose card states are exactly their replay (so it passes quizzer check), the
    rest practice."""
    from alembic import command
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, OLD)
    engine.dispose()

    import fsrs

    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    start = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
    con.executemany(
        "INSERT INTO cards (uid, kind, family, difficulty, deck, active, created_at) "
        "VALUES (?, ?, ?, ?, ?, 1, ?)",
        [(e.uid, e.kind, e.family, e.difficulty, e.deck, _ts(start)) for e in catalog()],
    )
    ids = [r[0] for r in con.execute("SELECT id FROM cards ORDER BY id")]
    skills = [r[0] for r in con.execute("SELECT id FROM cards WHERE kind = 'skill' ORDER BY id")]
    events: list[tuple[datetime, int, str]] = []
    for card_id in rng.sample(skills, 40):
        at = start + timedelta(hours=rng.uniform(0, 24))
        for _ in range(50):
            events.append((at, card_id, "review"))
            at += timedelta(hours=rng.uniform(0.1, 24 * 7))
    while len(events) < reviews:
        at = start + timedelta(seconds=rng.uniform(0, 400 * 86400))
        events.append((at, rng.choice(ids), "practice"))
    events.sort()
    scheduler = schedule.make_scheduler(schedule.DEFAULT_RETENTION)
    cards: dict[int, fsrs.Card] = {}
    new = {"state": 0, "step": None, "stability": None, "difficulty": None, "due": None,
           "last_review": None}  # fmt: skip
    rows = []
    for n, (at, card_id, mode) in enumerate(events):
        ok = rng.random() < 0.8
        if mode == "review":
            rating = rng.choice((2, 3, 4)) if ok else 1
            card = cards.get(card_id)
            before = new
            if card is None:
                card = fsrs.Card(card_id=card_id, state=fsrs.State.Learning, step=0)
            else:
                st = schedule.fsrs_state(card)
                before = st | {"due": st["due"].isoformat(),
                               "last_review": st["last_review"].isoformat()}  # fmt: skip
            cards[card_id] = schedule.review(scheduler, card, rating, at)
        else:
            rating = None
            last = at - timedelta(days=rng.randint(1, 30))
            before = {"state": 2, "step": None, "stability": rng.uniform(1, 60),
                      "difficulty": 5.0, "due": at.isoformat(),
                      "last_review": last.isoformat()}  # fmt: skip
        rows.append((card_id, mode, _ts(at), ok, rating, rng.randint(2000, 30000),
                     json.dumps(before), f"old-session-{n // 40}"))  # fmt: skip
    con.executemany(
        "INSERT INTO reviews (card_id, mode, reviewed_at, correct, skipped, rating, "
        "duration_ms, state_before, session_id) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)",
        rows,
    )
    states = []
    for card_id in ids:
        if card_id in cards:
            st = schedule.fsrs_state(cards[card_id])
            states.append((card_id, st["state"], st["step"], st["stability"], st["difficulty"],
                           _ts(st["due"]), _ts(st["last_review"])))  # fmt: skip
        else:
            states.append((card_id, 0, None, None, None, _ts(start), None))
    con.executemany(
        "INSERT INTO card_states (card_id, state, step, stability, difficulty, due, "
        "last_review) VALUES (?, ?, ?, ?, ?, ?, ?)",
        states,
    )
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def history(con: sqlite3.Connection) -> tuple[int, str]:
    """The number of reviews and a checksum of (id, card_id, reviewed_at, rating)."""
    rows = con.execute(
        "SELECT id, card_id, reviewed_at, rating FROM reviews ORDER BY id"
    ).fetchall()
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def schema_and_history(
    path: Path, uri: bool = False, quick: bool = True
) -> tuple[Schema, str | None, tuple[int, str]]:
    """Schema, schema version and history (history()) of the database at path, after
    SQLite's quick_check (unless quick is False); uri: read-only."""
    con = sqlite3.connect(f"file:{path}?mode=ro" if uri else path, uri=uri)
    try:
        if quick:
            assert con.execute("PRAGMA quick_check").fetchone()[0] == "ok", path
        return (*schema_of(con), history(con))
    finally:
        con.close()


@dataclass(frozen=True)
class OldDatabase:
    path: Path
    schema: Schema
    history: tuple[int, str]


@pytest.fixture(scope="session")
def old_database(tmp_path_factory: pytest.TempPathFactory) -> OldDatabase:
    """One database at schema 0002 holding 100,000 reviews, its schema and history."""
    path = tmp_path_factory.mktemp("old") / "fixture.sqlite3"
    build_old_database(path)
    schema, revision, digest = schema_and_history(path)
    assert (tables_in(schema), revision, digest[0]) == (OLD_TABLES, OLD, 100_000)
    return OldDatabase(path, schema, digest)


def upgrade_plan(lines: list[str], t: dict[str, float]) -> list[Kill]:
    """30 kills of an upgrade: after each of 18 statements spread over the upgrade
    transaction (from its BEGIN IMMEDIATE, through the backup, to its commit) and 2 after
    it; and 10 untraced ones at stages (which can land
    inside the long statements): the start, the backup's file appearing, throughout the
    upgrade, and after."""
    begin, commit = migration(lines)
    plan = [Kill("upgrading", n, False) for n in spread(begin, commit - 1, 17)]
    plan += [Kill("upgrading", commit, True)]
    plan += [Kill("after", n, True) for n in spread(commit + 1, len(lines) - 1, 3)[:2]]
    tmp_at = t.get("tmp", t.get("backed", 0.5) / 2)
    backing = max(t.get("backed", tmp_at) - tmp_at, 0.01)
    upgrading = max(t.get("upgraded", t["exit"]) - t.get("upgrading", 0), 0.05)
    rest = max(t["exit"] - t.get("upgraded", 0), 0.05)
    plan += [Kill("start", stage="start", delay=f * tmp_at) for f in (0, 0.5)]
    plan += [Kill("backing up", stage="tmp", delay=backing * f) for f in (0, 0.5)]
    plan += [Kill("upgrading", stage="upgrading", delay=upgrading * f)
             for f in (0.2, 0.45, 0.7, 0.9)]  # fmt: skip
    plan += [Kill("after", stage="upgraded", delay=d) for d in (0.001, rest * 0.6)]
    assert len(plan) == 30, plan
    return plan


@pytest.mark.slow
def test_kill_during_upgrade_of_100k_reviews_keeps_every_review(
    tmp_path: Path, old_database: OldDatabase
):
    """kill -9 of `quizzer stats --json` at 30 instants of the upgrade of a schema-0002
    database holding 100,000 reviews. What is left opens at the old schema or the new one
    (no other revision, no leftover table; after any statement of the upgrade transaction
    but its commit: the old one), with every review (count and checksum); every complete
    backup beside it is a sound schema-0002 copy with every review, and once the upgrade
    has changed anything there is one; `quizzer check` then upgrades it if need be and
    exits 0, and the history is still intact."""
    fixture, old, digest = old_database.path, old_database.schema, old_database.history

    def stages(w: Watched, db: Path) -> dict[str, Callable[[], bool]]:
        def tmp() -> bool:  # the backup's file (a temporary one, or the backup itself)
            names = os.listdir(db.parent)
            return any(n.startswith((f".{db.stem}.backup", f"{db.stem}.backup")) for n in names)

        return {
            "start": lambda: True,
            "tmp": tmp,
            "backed": lambda: w.said("Backed up"),
            "upgrading": lambda: w.said("Upgrading database"),
            "upgraded": lambda: w.said("Database upgraded"),
        }

    def verify_backups(db: Path, where: str, skip: set = frozenset()) -> tuple[list[str], set]:
        """Problems with the complete backups beside db (but those in skip), and their keys."""
        found, keys = [], set()
        for p in sorted(db.parent.glob(f"{db.stem}.backup-*{db.suffix}")):
            key = (p.name, p.stat().st_mtime_ns, p.stat().st_size)
            keys.add(key)
            if key in skip:
                continue
            try:
                schema, revision, held = schema_and_history(p, uri=True)
            except (sqlite3.Error, AssertionError) as exc:
                found.append(f"{where}: backup {p.name} cannot be read: {exc!r}")
                continue
            if (schema, revision, held) != (old, OLD, digest):
                found.append(f"{where}: backup {p.name} holds {revision}, {held[0]} reviews")
        return found, keys

    calibration = tmp_path / "calibration" / "run.sqlite3"
    calibration.parent.mkdir()
    shutil.copyfile(fixture, calibration)
    w = Watched(calibration, "stats", "--json", trace=tmp_path / "calibration.trace")
    timeline = w.timeline(stages(w, calibration))
    lines = w.statements()
    new, revision, held = schema_and_history(calibration)
    assert (tables_in(new), revision, held) == (FULL_TABLES, HEAD, digest)
    found, backups = verify_backups(calibration, "calibration")
    assert found == [] and len(backups) == 1
    assert open_and_check(calibration) == (HEAD, len(catalog()))
    shutil.rmtree(calibration.parent)
    # the first change the upgrade makes to the database (after the backup is written)
    begin, _ = migration(lines)
    first_change = next(
        i for i, s in enumerate(lines, 1) if i > begin and re.search(r" (ALTER|CREATE|DROP) ", s)
    )

    leftovers: list[str] = []

    def follow_up(db: Path, where: str, verified: set) -> list[str]:
        done = run_quizzer(db, "check")
        if done.returncode != 0 or FORBIDDEN.search(done.stderr):
            return [f"{where}: check exit {done.returncode}: {done.stderr}{done.stdout}"]
        found = []
        if schema_and_history(db, quick=False) != (new, HEAD, digest):
            found.append(f"{where}: after check, the schema or the history differs")
        found += verify_backups(db, where + " after check", verified)[0]
        ours = {db.name, f"{db.name}-wal", f"{db.name}-shm"}
        leftovers.extend(
            n for n in os.listdir(db.parent) if n not in ours and not n.startswith(f"{db.stem}.")
        )
        shutil.rmtree(db.parent)
        return found

    outcomes: dict[str, int] = defaultdict(int)
    started = time.monotonic()
    with FollowUps() as later:
        for i, kill in enumerate(upgrade_plan(lines, timeline)):
            db = tmp_path / f"run{i}" / "run.sqlite3"
            db.parent.mkdir()
            shutil.copyfile(fixture, db)
            where = kill.where(i, lines)
            if kill.statement:
                w = Watched(db, "stats", "--json", trace=tmp_path / f"run{i}.trace",
                            stop_after=kill.statement)  # fmt: skip
                if not w.kill_at(w.done(kill.statement)):
                    later.problems.append(f"{where}: ended before it, {len(w.statements())}")
            else:
                w = Watched(db, "stats", "--json")
                w.kill_at(stages(w, db)[kill.stage], kill.delay)
            try:
                schema, revision, held = on_a_copy(db, tmp_path / f"s{i}", schema_and_history)
            except (sqlite3.Error, AssertionError) as exc:
                schema, revision, held = frozenset(), f"unreadable: {exc!r}", (0, "")
            outcomes[f"{kill.label}: {revision}"] += 1
            if (schema, revision) not in ((old, OLD), (new, HEAD)):
                changed = sorted(name for _, name, _ in schema ^ (new if revision == HEAD else old))
                later.problems.append(f"{where}: left schema {revision}, differing in {changed}")
            elif kill.committed is not None and revision != (HEAD if kill.committed else OLD):
                later.problems.append(f"{where}: left schema {revision}")
            if held != digest:
                later.problems.append(f"{where}: left {held[0]} reviews, or other ones")
            found, verified = verify_backups(db, where)
            later.problems.extend(found)
            if kill.statement >= first_change and not verified:
                later.problems.append(f"{where}: the upgrade began, and no backup is there")
            later.then(where, lambda db=db, where=where, v=verified: follow_up(db, where, v))
        problems = later.wait()
    took = time.monotonic() - started
    print(f"\n30 kills during an upgrade of 100,000 reviews: {took:.0f} s; left: {dict(outcomes)}")
    print(f"leftover files: {leftovers}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- 3. eight processes, one new file


MIXED_COMMANDS = [
    ["stats", "--json"],
    ["config"],
    ["stats", "--json"],
    ["config", "new-per-day", "12"],
    ["check"],
    ["quiz", "-n", "1"],  # stdin is empty: the session starts, then ends at end of input
    ["stats", "--json"],
    ["topics", "--json"],
]


@pytest.mark.parametrize("round_", range(3))
def test_eight_processes_opening_a_new_database_at_once(tmp_path: Path, round_: int):
    """Eight quizzer commands started back to back on a file that does not exist yet: every
    one exits 0 with nothing on stderr, and the database is whole and checks out."""
    db = tmp_path / "new.sqlite3"
    procs = [
        subprocess.Popen(
            [*quizzer_cmd(), "--db", str(db), *args],
            cwd=str(tmp_path),
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in MIXED_COMMANDS[round_:] + MIXED_COMMANDS[:round_]
    ]
    results = [(p.args[3:], *p.communicate(timeout=TIMEOUT), p.returncode) for p in procs]
    bad = [(args, rc, err, out[-300:]) for args, out, err, rc in results if rc != 0 or err]
    assert not bad, "\n".join(map(repr, bad))
    assert open_and_check(db) == (HEAD, len(catalog()))
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT value FROM settings WHERE key = 'new-per-day'").fetchone()
        assert row == (12,)
        assert con.execute("SELECT count(*) FROM cards").fetchone()[0] == len(catalog())
    finally:
        con.close()
    # backup refuses a database that does not exist yet, so it runs once the others are done
    copied = subprocess.run([*quizzer_cmd(), "--db", str(db), "backup", "copy.sqlite3"],
                            cwd=str(tmp_path), env=child_env(), capture_output=True, text=True,
                            timeout=TIMEOUT)  # fmt: skip
    assert copied.returncode == 0 and not copied.stderr, copied.stderr
    schema, revision, _ = schema_and_history(tmp_path / "copy.sqlite3", uri=True)
    assert (tables_in(schema), revision) == (FULL_TABLES, HEAD)


# ---------------------------------------------------------------- sessions, driven like a learner

SKILL_HEADER = r"── (?:#\d+|\d+/\d+) · ([a-z0-9-]+) · level (\d+) · (?:review|practice) ──"
CONCEPT_HEADER = r"── (?:#\d+|\d+/\d+) · concept · (.+?) · (?:review|practice) ──"
OVER = r"Session over: (\d+) answered"
NOTHING = r"Nothing is due"
ANSWER_PROMPT = "answer> "
RATE_PROMPT = "Rated Good. Enter keeps it; h Hard, e Easy: "
SHOW_PROMPT = "(Enter shows the answer; s skip, q quit) "
GRADE_PROMPT = "Did you know it? 1 Again, 2 Hard, Enter Good, 4 Easy: "
FEEDBACK = ["✓ Correct: ", "✗ Not quite", "Skipped. The answer is", "Can't read that"]
RERATED = ["Rated Hard.", "Rated Easy.", "Rating not changed"]
KEPT_SEEDS = range(4)  # the seeds of the verified questions kept for every skill


def words(text: str) -> str:
    return " ".join(text.split())


def spawn(db: Path, *args: str) -> pexpect.spawn:
    cmd = quizzer_cmd()
    child = pexpect.spawn(
        cmd[0],
        [*cmd[1:], "--db", str(db), *args],
        env=child_env(),
        cwd=str(db.parent),
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(50, 250),  # wide: prompts are not wrapped
    )
    child.logfile_read = io.StringIO()
    return child


def wrong_form(right: str) -> str:
    """A readable answer that is not the right one: its first number plus one."""
    m = re.search(r"\d+", right)
    if m is None:
        return "0"
    return right[: m.start()] + str(int(m.group()) + 1) + right[m.end() :]


@dataclass(frozen=True)
class Given:
    """An answer a session confirmed, as its review row must hold it."""

    uid: str  # skill:FAMILY:LEVEL, or "concept"
    mode: str
    typed: str | None
    skipped: bool
    correct: bool
    rating: int | None


def row_of(review: Review, uid: str) -> Given:
    return Given(
        uid if uid.startswith("skill:") else "concept",
        review.mode,
        review.typed_answer,
        review.skipped,
        review.correct,
        review.rating,
    )


@dataclass
class Action:
    kind: str  # "skip", "wrong" or "right"
    text: str = "s"
    rating_key: str = ""


class Learner:
    """Drives one session in a pty: reads each card, answers it, and keeps the answers the
    session confirmed (feedback printed; for a concept card, the next card shown)."""

    def __init__(self, child: pexpect.spawn, answers: dict[str, set[str]], mode: str, seed: int):
        self.child, self.answers, self.mode = child, answers, mode
        self.rng = random.Random(seed)
        self.given: list[Given] = []
        self.over: int | None = None
        self.not_rerated = 0

    def header(self) -> str | None:
        """Wait for the next card: its uid (or "concept"), None once the session is over."""
        i = self.child.expect([SKILL_HEADER, CONCEPT_HEADER, OVER, NOTHING])
        if i == 0:
            return f"skill:{self.child.match.group(1)}:{self.child.match.group(2)}"
        if i == 1:
            return "concept"
        self.over = int(self.child.match.group(1)) if i == 2 else 0
        return None

    def prompt(self) -> set[str]:
        """Wait for `answer>`; the right answers of the question on screen (none if it is
        not one of the kept questions whose answers the test knows)."""
        self.child.expect_exact(ANSWER_PROMPT)
        return self.answers.get(words(self.child.before), set())

    def choose(self, right: set[str]) -> Action:
        r = self.rng.random()
        if len(right) != 1 or r < 0.15:
            return Action("skip")
        (text,) = right
        if r < 0.35:
            return Action("wrong", wrong_form(text))
        return Action("right", text, self.rng.choice(["", "", "h", "e"]))

    def send(self, action: Action) -> None:
        self.child.sendline(action.text)

    def confirm(self, uid: str, action: Action) -> None:
        """Read the feedback to an answer sent; rate a right one in review."""
        i = self.child.expect_exact(FEEDBACK)
        assert i == 0 or action.kind != "right", self.output()[-2000:]
        if i == 3:  # not readable: no attempt used; skip it instead
            self.child.sendline("s")
            i = self.child.expect_exact(FEEDBACK[:3])
        review = self.mode == "review"
        if i == 2:
            self.given.append(Given(uid, self.mode, None, True, False, 1 if review else None))
            return
        typed = action.text
        if i == 1:
            self.given.append(Given(uid, self.mode, typed, False, False, 1 if review else None))
            return
        if not review:
            self.given.append(Given(uid, self.mode, typed, False, True, None))
            return
        self.child.expect_exact(RATE_PROMPT)
        self.child.sendline(action.rating_key)
        rating = 3
        if action.rating_key:
            j = self.child.expect_exact(RERATED)
            rating = (2, 4, 3)[j]
            self.not_rerated += j == 2
        self.given.append(Given(uid, self.mode, typed, False, True, rating))

    def concept(self) -> None:
        self.child.expect_exact(SHOW_PROMPT)
        if self.rng.random() < 0.1:
            self.child.sendline("s")
            self.given.append(Given("concept", self.mode, None, True, False, 1))
            return
        self.child.sendline("")
        self.child.expect_exact(GRADE_PROMPT)
        key = self.rng.choice(["1", "2", "", "4"])
        self.child.sendline(key)
        rating = {"1": 1, "2": 2, "": 3, "4": 4}[key]
        self.given.append(Given("concept", self.mode, None, False, rating != 1, rating))

    def run(self) -> None:
        """Answer every card until the session ends, then wait for the process to exit."""
        try:
            while (uid := self.header()) is not None:
                if uid == "concept":
                    self.concept()
                    continue
                action = self.choose(self.prompt())
                self.send(action)
                self.confirm(uid, action)
            self.child.expect(pexpect.EOF)
        except (pexpect.EOF, pexpect.TIMEOUT) as exc:
            tail = self.output()[-3000:]
            raise AssertionError(
                f"the session stopped answering ({exc.__class__.__name__}):\n{tail}"
            ) from None
        finally:
            self.child.close()

    def output(self) -> str:
        return self.child.logfile_read.getvalue()


def due_database(db: Path, concepts: int = 10) -> dict[str, set[str]]:
    """A database where every skill and `concepts` concept cards are due (one Again two
    hours ago: Learning, due since), with KEPT_SEEDS verified questions kept for every
    skill. Returns the right answers of each kept question, by its prompt."""
    store = Store(connect(str(db)))
    try:
        store.sync_catalog()
        scheduler = schedule.make_scheduler(store.get_setting("retention"))
        with store.session() as s:
            cards = list(s.scalars(select(Card).order_by(Card.id)))
        due = [c for c in cards if c.kind == "skill"] + [c for c in cards if c.kind == "concept"][
            :concepts
        ]
        past = utcnow() - timedelta(hours=2)
        for n, card in enumerate(due):
            store.record(card.id, "review", question=None, typed=None, correct=False,
                         rating=Rating.AGAIN, duration_ms=1000, scheduler=scheduler,
                         now=past + timedelta(seconds=n))  # fmt: skip
        skills = [(c.family, c.difficulty) for c in cards if c.kind == "skill"]
        kept = [draw(f, seed, lvl) for f, lvl in skills for seed in KEPT_SEEDS]
        store.add_variants(kept, installed_torch_version())
    finally:
        store.engine.dispose()
    answers: dict[str, set[str]] = defaultdict(set)
    for q in kept:
        answers[words(generators.localized(q, "en")["prompt"])].add(typed_form(q))
    return dict(answers)


def sessions_in(db: Path) -> tuple[dict[str, list[Given]], list[tuple]]:
    """The reviews of each session (by session id, in order), and the (generator, level,
    seed) of every kept question shown."""
    store = Store(connect(str(db)))
    try:
        with store.session() as s:
            uids = {c.id: c.uid for c in s.scalars(select(Card))}
            reviews = list(s.scalars(select(Review).order_by(Review.id)))
    finally:
        store.engine.dispose()
    by_session: dict[str, list[Given]] = defaultdict(list)
    shown = []
    for r in reviews:
        if r.session_id is not None:
            by_session[r.session_id].append(row_of(r, uids[r.card_id]))
        if r.question and r.question.get("seed") in KEPT_SEEDS:
            q = r.question
            shown.append((q["generator"], q["difficulty"], q["seed"]))
    return dict(by_session), shown


def assert_clean(output: str) -> None:
    bad = FORBIDDEN.search(output)
    assert bad is None, output[max(0, bad.start() - 1500) : bad.end() + 500]


def assert_checks_out(db: Path) -> None:
    store = Store(connect(str(db)))
    try:
        report = check(store)
    finally:
        store.engine.dispose()
    assert report.ok, report.differences[:5]
    done = run_quizzer(db, "check")
    assert done.returncode == 0 and not done.stderr, done.stdout + done.stderr
    assert "Every card's state is the replay of its reviews." in done.stdout


# ---------------------------------------------------------------- 4. sessions at once


@pytest.mark.parametrize(
    "commands",
    [
        [["review", "--limit", "45", "--new", "2"]] * 2,
        [["review", "--limit", "30", "--new", "2"]] * 3 + [["quiz", "-n", "30"]],
    ],
    ids=["two-reviews", "three-reviews-and-a-quiz"],
)
def test_sessions_answering_the_same_cards_at_once(tmp_path: Path, commands: list[list[str]]):
    """Sessions in ptys answer the same due cards at once (skips, wrong answers, right ones
    rated Good, Hard or Easy, self-graded concepts). Afterwards every answer each session
    confirmed is in the database, in its order, under that session; no kept question was
    shown twice; every card's state is the replay of its reviews; and the terminals show
    nothing but quizzer's own output."""
    db = tmp_path / "learner.sqlite3"
    answers = due_database(db)
    children = [spawn(db, *args) for args in commands]  # back to back: all start at once
    learners = [
        Learner(child, answers, args[0] if args[0] == "review" else "practice", seed=n)
        for n, (child, args) in enumerate(zip(children, commands, strict=True))
    ]
    with ThreadPoolExecutor(len(learners)) as pool:
        for fut in [pool.submit(learner.run) for learner in learners]:
            fut.result()

    for learner in learners:
        assert learner.child.exitstatus == 0, learner.output()[-3000:]
        assert learner.over == len(learner.given), learner.output()[-3000:]
        assert_clean(learner.output())
    by_session, shown = sessions_in(db)
    in_database = Counter(tuple(rows) for rows in by_session.values())
    assert in_database == Counter(tuple(x.given) for x in learners)
    assert len(shown) == len(set(shown)), "a kept question was given to two sessions"
    assert_checks_out(db)
    sessions_of = Counter(u for x in learners for u in {g.uid for g in x.given})
    print(
        f"\nanswers per session {[len(x.given) for x in learners]}, right "
        f"{[sum(g.correct for g in x.given) for x in learners]}, 'Rating not changed' "
        f"{[x.not_rerated for x in learners]}, cards answered in several sessions "
        f"{sum(n > 1 for u, n in sessions_of.items() if u != 'concept')}"
    )
    right = sum(g.correct for x in learners for g in x.given if g.uid != "concept")
    assert right >= 10, "the sessions hardly answered right: the test would prove little"


@pytest.mark.parametrize("interfere", [True, False], ids=["reviewed-meanwhile", "alone"])
def test_rerating_after_another_session_reviewed_the_card(tmp_path: Path, interfere: bool):
    """Session A answers a card right (Good); session B then reviews the same card; then
    A presses h. The rating must not change (A says so), and the card's state must still
    be the replay of its reviews. Alone, the same h rates the review Hard."""
    db = tmp_path / "learner.sqlite3"
    store = Store(connect(str(db)))
    try:
        store.sync_catalog()
        card = store.skill_card("conv-output", 1)
        scheduler = schedule.make_scheduler(store.get_setting("retention"))
        store.record(card.id, "review", question=None, typed=None, correct=False,
                     rating=Rating.AGAIN, duration_ms=1000, scheduler=scheduler,
                     now=utcnow() - timedelta(hours=2))  # fmt: skip
        kept = [draw("conv-output", seed, 1) for seed in KEPT_SEEDS]
        store.add_variants(kept, installed_torch_version())
    finally:
        store.engine.dispose()
    answers = {words(generators.localized(q, "en")["prompt"]): typed_form(q) for q in kept}

    def answer_right(child: pexpect.spawn) -> None:
        child.expect(SKILL_HEADER)
        assert child.match.group(1, 2) == ("conv-output", "1")
        child.expect_exact(ANSWER_PROMPT)
        child.sendline(answers[words(child.before)])
        child.expect_exact("✓ Correct: ")
        child.expect_exact(RATE_PROMPT)

    a = spawn(db, "review", "--new", "0", "--limit", "1")
    answer_right(a)  # A's Good is committed; A now waits at the rating prompt
    if interfere:
        b = spawn(db, "review", "--new", "0", "--limit", "1")
        answer_right(b)  # the card (Learning, due within 20 minutes) comes up for B too
        b.sendline("")
        b.expect(OVER)
        b.expect(pexpect.EOF)
        b.close()
        assert b.exitstatus == 0
    a.sendline("h")
    said = a.expect_exact(RERATED)
    a.expect(pexpect.EOF)
    a.close()
    out = a.logfile_read.getvalue()
    assert a.exitstatus == 0, out
    assert_clean(out)
    if interfere:
        assert said == 2, out
        assert "Rating not changed: this card was reviewed again in another session since." in out
    else:
        assert said == 0, out

    store = Store(connect(str(db)))
    try:
        with store.session() as s:
            ratings = [r.rating for r in s.scalars(
                select(Review).where(Review.card_id == card.id).order_by(Review.id))]  # fmt: skip
    finally:
        store.engine.dispose()
    assert ratings == ([1, 3, 3] if interfere else [1, 2])
    assert_checks_out(db)


# ---------------------------------------------------------------- 5. kill -9 in a session

# (answers confirmed before, what is under way at the kill, delay before the kill in s)
SESSION_KILLS = [
    (1, "answer sent", 0.0),
    (2, "waiting", 0.0),
    (3, "answer sent", 0.002),
    (2, "rating sent", 0.0),
    (4, "answer sent", 0.02),
    (5, "waiting", 0.0),
    (3, "rating sent", 0.05),
    (6, "answer sent", 0.001),
]


def test_kill_during_a_session_keeps_every_confirmed_answer(tmp_path: Path):
    """kill -9 of a review session after some answers (idle at the prompt, with an answer
    or a re-rating just sent, or a moment later): every answer the session confirmed is in
    the database as it was confirmed (an answer under way may be there or not), and every
    card's state is the replay of its reviews, after each kill."""
    db = tmp_path / "learner.sqlite3"
    answers = due_database(db, concepts=0)
    problems, outcomes = [], []
    for n, (confirmed, underway, delay) in enumerate(SESSION_KILLS):
        with sqlite3.connect(db) as con:
            last = con.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()[0]
        child = spawn(db, "review", "--new", "0", "--limit", "100")
        learner = Learner(child, answers, "review", seed=100 + n)
        for _ in range(confirmed):
            uid = learner.header()
            assert uid is not None and uid != "concept", child.logfile_read.getvalue()
            action = learner.choose(learner.prompt())
            learner.send(action)
            learner.confirm(uid, action)
        uid = learner.header()
        assert uid is not None
        right = learner.prompt()
        action, inflight = learner.choose(right), None
        if underway == "rating sent":
            assert len(right) == 1, "the test must know the answer to this question"
            action = Action("right", next(iter(right)), "h")
            learner.send(action)
            learner.child.expect_exact("✓ Correct: ")
            learner.child.expect_exact(RATE_PROMPT)
            learner.given.append(Given(uid, "review", action.text, False, True, 3))
            learner.child.sendline("h")
        elif underway == "answer sent":
            learner.send(action)
            skipped = action.kind == "skip"
            typed = None if skipped else action.text
            inflight = Given(uid, "review", typed, skipped, action.kind == "right",
                             3 if action.kind == "right" else 1)  # fmt: skip
        if delay:
            time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.close(force=True)
        assert child.signalstatus == signal.SIGKILL

        store = Store(connect(str(db)))
        try:
            with store.session() as s:
                uids = {c.id: c.uid for c in s.scalars(select(Card))}
                new = s.scalars(select(Review).where(Review.id > last).order_by(Review.id))
                rows = [row_of(r, uids[r.card_id]) for r in new]
            report = check(store)
        finally:
            store.engine.dispose()
        where = f"kill {n} ({confirmed} confirmed, {underway} +{delay * 1000:.0f} ms)"
        given, saved = learner.given, "nothing"
        if underway == "rating sent" and len(rows) == len(given) and rows[-1].rating == 2:
            rows[-1] = replace(rows[-1], rating=3)  # the re-rating under way was saved: allowed
            saved = "the rating"
        if inflight is not None and rows[len(given) :] == [inflight]:
            rows = rows[:-1]  # the answer under way was saved (as given): allowed
            saved = "the answer"
        outcomes.append(f"{underway}: {saved}")
        if rows != given:
            problems.append(f"{where}: database {rows} != confirmed {given}")
        if not report.ok:
            problems.append(f"{where}: check: {report.differences[:3]}")
        assert_clean(child.logfile_read.getvalue())
    print(f"\nkills in a session, and what was saved of what was under way: {outcomes}")
    assert not problems, "\n".join(problems)
    assert_checks_out(db)
