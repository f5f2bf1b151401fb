"""Opening the learner's database through the real CLI (issue 8, items 4 and 5).

Every name --db or $QUIZZER_DB may take goes through one parser (quizzer.location) and
then the same checks (quizzer.db). What each test asserts, wherever something is refused:
exit status 1, exactly one line on stderr and no traceback, nothing on stdout (no question
shown), and the refused file byte for byte as it was, with no -wal, -shm, -journal or
temporary file beside it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pexpect
import pytest

from quizzer.cli import cli

ROOT = os.geteuid() == 0
NOBODY = 65534
REVIEWS = 7  # answers in the template database: 4 scheduled reviews, 3 practice answers
FOREIGN_REVISION = "a1b2c3d4e5f6"  # what Alembic names another application's revisions


# ---------------------------------------------------------------- helpers


def snapshot(top: Path) -> dict[str, object]:
    """Every entry under top (or top itself, if it is a file): bytes of files, "dir" for
    directories. Equal snapshots: nothing written, created or removed."""
    if top.is_file():
        return {top.name: top.read_bytes()}
    found: dict[str, object] = {}
    for p in sorted(top.rglob("*")):
        found[str(p.relative_to(top))] = p.read_bytes() if p.is_file() else "dir"
    return found


def one_error_line(result) -> str:
    """The message of a refused command run by CliRunner: exit 1 through click (not a
    crash), nothing on stdout, exactly one line on stderr."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == "", result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0].removeprefix("Error: ")


def one_error_line_of(proc: subprocess.CompletedProcess) -> str:
    """The same for a real process."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout == "", proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    return lines[0].removeprefix("Error: ")


def reviews_in(path: Path) -> int:
    with sqlite3.connect(path) as con:
        return con.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]


def header_journal_bytes(path: Path) -> tuple[int, int]:
    """Bytes 18 and 19 of the header: (1, 1) rollback journal, (2, 2) WAL."""
    head = path.read_bytes()[:20]
    return head[18], head[19]


def build_quizzer_db(path: Path) -> None:
    """A real quizzer database at path with REVIEWS answers, closed (no -wal/-shm left)."""
    from sqlalchemy import select

    from quizzer.db import connect
    from quizzer.models import Card, utcnow
    from quizzer.schedule import Rating, make_scheduler
    from quizzer.store import Store

    engine = connect(str(path))
    store = Store(engine)
    store.sync_catalog()
    with store.session() as s:
        concepts = s.scalars(select(Card.id).where(Card.kind == "concept").limit(4)).all()
        skills = s.scalars(select(Card.id).where(Card.kind == "skill").limit(3)).all()
    scheduler = make_scheduler(0.9)
    then = utcnow() - timedelta(days=2)  # so that the reviewed concept cards are due now
    for i, cid in enumerate(concepts):
        rating = Rating.GOOD if i % 2 else Rating.AGAIN
        store.record(
            cid,
            "review",
            question=None,
            typed=None,
            correct=i % 2 == 1,
            rating=rating,
            duration_ms=1500,
            scheduler=scheduler,
            now=then + timedelta(minutes=i),
        )
    for i, cid in enumerate(skills):
        store.record(
            cid,
            "practice",
            question=None,
            typed="1",
            correct=False,
            rating=None,
            duration_ms=900,
            now=then + timedelta(hours=1, minutes=i),
        )
    engine.dispose()
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    assert reviews_in(path) == REVIEWS


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "quizzer.sqlite3"
    build_quizzer_db(path)
    return path


@pytest.fixture(scope="module")
def z_score_answer() -> str:
    """The right answer to `quiz z-score -n 1 --seed 3 --level 1`, as a learner types it."""
    from quizzer.answers import typed_form
    from quizzer.session import practice_plan
    from quizzer.verify import draw

    [(fam, lvl, seed)] = list(practice_plan(["z-score"], 1, 3, 1))
    return typed_form(draw(fam, seed, lvl))


QUIZ = ["quiz", "z-score", "-n", "1", "--seed", "3", "--level", "1"]


# ---------------------------------------------------------------- files quizzer must refuse


def other_program_db(
    path: Path, wal: bool = False, alembic: bool = False, overlapping: bool = False
) -> None:
    """Another program's SQLite database: its own tables (and, for an SQLAlchemy
    application, its own alembic_version)."""
    con = sqlite3.connect(path)
    try:
        if wal:
            assert con.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        if overlapping:  # another flashcard program: some table names are quizzer's
            con.execute("CREATE TABLE cards (id INTEGER PRIMARY KEY, front TEXT, back TEXT)")
            con.execute("CREATE TABLE card_states (card_id INTEGER PRIMARY KEY, box INTEGER)")
            con.execute("CREATE TABLE reviews (id INTEGER PRIMARY KEY, card_id INTEGER)")
            con.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)")
            con.execute("INSERT INTO cards VALUES (1, 'front', 'back')")
        con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT)")
        con.executemany("INSERT INTO users (name) VALUES (?)", [(f"user{i}",) for i in range(50)])
        if alembic:
            con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            con.execute("INSERT INTO alembic_version VALUES (?)", (FOREIGN_REVISION,))
        con.commit()
    finally:
        con.close()


def corrupt_page(template: Path, path: Path) -> None:
    """A copy of the quizzer database whose b-tree page in the middle is overwritten with
    garbage, checked to be one SQLite's `PRAGMA quick_check` reports."""
    data = template.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    count = len(data) // page
    for n in [*range(count // 2, count), *range(3, count // 2)]:
        bad = bytearray(data)
        start = (n - 1) * page
        bad[start : start + 64] = b"\xa5\x5a" * 32  # the page header and cell pointers
        path.write_bytes(bytes(bad))
        if quick_check_problem(path):
            return
    raise AssertionError("no page whose damage quick_check reports")


def quick_check_problem(path: Path) -> str | None:
    """What sqlite3's `PRAGMA quick_check` says is wrong (None if it says ok), read from a
    copy so that the file under test is not touched."""
    with tempfile.TemporaryDirectory() as d:
        copy = Path(d) / "copy.db"
        shutil.copyfile(path, copy)
        try:
            with sqlite3.connect(f"file:{copy}?immutable=1", uri=True) as con:
                result = con.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return str(exc)
    return None if result == "ok" else result


def make_target(kind: str, path: Path, template: Path) -> str:
    """Create at path a file (or directory) quizzer must refuse; return the start of the
    message it must be refused with."""
    if kind == "other-program":
        other_program_db(path)
        return f"{path} is an SQLite database of another program"
    if kind == "sqlalchemy-app":
        other_program_db(path, alembic=True)
        return f"{path} is an SQLite database of another program"
    if kind == "sqlalchemy-app-wal":  # in WAL mode, its -wal/-shm cleaned up on close
        other_program_db(path, wal=True, alembic=True)
        return f"{path} is an SQLite database of another program"
    if kind == "flashcard-app":  # quizzer's core table names, an Alembic revision of its own
        other_program_db(path, alembic=True, overlapping=True)
        return f"{path} is an SQLite database of another program"
    if kind == "newer-quizzer":  # quizzer's own, at a revision this quizzer does not know
        shutil.copyfile(template, path)
        set_revision(path, "9999")
        return f"{path} has schema 9999, newer than this quizzer"
    if kind == "newer-quizzer-backup":  # the same, in rollback-journal mode (as backups are)
        shutil.copyfile(template, path)
        with sqlite3.connect(path) as con:
            con.execute("PRAGMA journal_mode=DELETE")
        set_revision(path, "9999")
        return f"{path} has schema 9999, newer than this quizzer"
    if kind == "corrupt-page":
        corrupt_page(template, path)
        return f"{path} is damaged"
    if kind == "truncated":  # half of it, on a page boundary
        data = template.read_bytes()
        page = int.from_bytes(data[16:18], "big")
        path.write_bytes(data[: len(data) // page // 2 * page])
        assert quick_check_problem(path)
        return f"{path} is damaged"
    if kind == "truncated-header":  # SQLite's magic, then the file ends
        path.write_bytes(template.read_bytes()[:60])
        return f"{path} is damaged"
    if kind == "header-then-garbage":  # SQLite's magic, then no valid header
        path.write_bytes(template.read_bytes()[:16] + bytes((i * 37) % 251 for i in range(8176)))
        return f"{path} is not an SQLite database (or its header is damaged)"
    if kind == "text-file":
        path.write_text("not a database\n" * 20)
        return f"{path} is not an SQLite database"
    if kind == "directory":
        path.mkdir()
        (path / "inside.txt").write_text("keep me\n")
        return f"{path} is a directory, not a database file"
    raise ValueError(kind)


def set_revision(path: Path, revision: str) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        con.commit()
    finally:
        con.close()
    assert not Path(f"{path}-wal").exists()


# ---------------------------------------------------------------- 1. every form of a name

# name: (template, base). {p} is the database path: absolute for "abs", relative to the
# working directory for "cwd", relative to $HOME for "home"; percent-encoded in URIs.
FORMS: dict[str, tuple[str, str]] = {
    "path": ("{p}", "abs"),
    "relative-path": ("{p}", "cwd"),
    "tilde-path": ("~/{p}", "home"),
    "sqlite:///relative": ("sqlite:///{p}", "cwd"),
    "sqlite:////absolute": ("sqlite:///{p}", "abs"),
    "sqlite+pysqlite:////absolute": ("sqlite+pysqlite:///{p}", "abs"),
    "file:/absolute": ("file:{p}", "abs"),
    "file:///absolute": ("file://{p}", "abs"),
    "file://localhost/absolute": ("file://localhost{p}", "abs"),
    "file:relative": ("file:{p}", "cwd"),
    "sqlite:///file:relative?uri=true": ("sqlite:///file:{p}?uri=true", "cwd"),
    "sqlite:///file:/absolute?uri=true": ("sqlite:///file:{p}?uri=true", "abs"),
    "file:/absolute?mode=rwc": ("file:{p}?mode=rwc", "abs"),
}
RO_FORMS: dict[str, tuple[str, str]] = {
    "file:/absolute?mode=ro": ("file:{p}?mode=ro", "abs"),
    "file:///absolute?mode=ro": ("file://{p}?mode=ro", "abs"),
    "file:relative?mode=ro": ("file:{p}?mode=ro", "cwd"),
    "sqlite:////absolute?mode=ro": ("sqlite:///{p}?mode=ro", "abs"),
    "sqlite:///relative?mode=ro": ("sqlite:///{p}?mode=ro", "cwd"),
    "sqlite:///file:/absolute?mode=ro&uri=true": ("sqlite:///file:{p}?mode=ro&uri=true", "abs"),
}


class Places:
    """A working directory, a home directory and a third directory for absolute paths,
    all empty, with the process in the first and $HOME at the second."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.cwd, self.home, self.abs = (tmp_path / n for n in ("cwd", "home", "abs"))
        for d in (self.cwd, self.home, self.abs):
            d.mkdir()
        monkeypatch.chdir(self.cwd)
        monkeypatch.setenv("HOME", str(self.home))

    def path(self, base: str, name: str) -> Path:
        return {"abs": self.abs, "cwd": self.cwd, "home": self.home}[base] / name

    def name(self, form: tuple[str, str], path: Path) -> str:
        template, base = form
        if base == "abs":
            p = str(path)
        else:
            p = str(path.relative_to(self.cwd if base == "cwd" else self.home))
        if "file:" in template:
            p = quote(p)
        return template.format(p=p)

    def everything(self) -> dict[str, object]:
        return {
            n: snapshot(d) for n, d in (("cwd", self.cwd), ("home", self.home), ("abs", self.abs))
        }


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Places:
    return Places(tmp_path, monkeypatch)


@pytest.mark.parametrize("form", FORMS)
def test_each_form_creates_a_database_that_works(
    runner, places: Places, form: str, z_score_answer: str
):
    path = places.path(FORMS[form][1], "learner.sqlite3")
    db = places.name(FORMS[form], path)
    result = runner.invoke(cli, ["--db", db, *QUIZ], input=z_score_answer + "\n")
    assert result.exit_code == 0, result.output
    assert "Correct" in result.stdout and "Session over: 1 answered" in result.stdout
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["--db", db, "stats", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answers"]["total"] == 1
    # the file the form names, and nothing else anywhere (not a file called "file:...")
    assert reviews_in(path) == 1
    made = {(d, n) for d, files in places.everything().items() for n in files}
    home_or_cwd = {"abs": "abs", "cwd": "cwd", "home": "home"}[FORMS[form][1]]
    allowed = {(home_or_cwd, path.name + s) for s in ("", "-wal", "-shm")}
    assert made <= allowed and (home_or_cwd, path.name) in made, made


PERCENT_FORMS = {  # a file named "my quiz.sqlite3", its space percent-encoded
    "file:/absolute": "file:{d}/my%20quiz.sqlite3",
    "file:///absolute": "file://{d}/my%20quiz.sqlite3",
    "sqlite:///file:/absolute?uri=true": "sqlite:///file:{d}/my%20quiz.sqlite3?uri=true",
    # SQLAlchemy decodes %XX in a URL's database part (make_url("sqlite:////t/a%20b.db")
    # .database == "/t/a b.db"): an SQLAlchemy URL must name the same file here
    "sqlite:////absolute": "sqlite:///{d}/my%20quiz.sqlite3",
    "sqlite+pysqlite:////absolute": "sqlite+pysqlite:///{d}/my%20quiz.sqlite3",
}


@pytest.mark.parametrize("form", PERCENT_FORMS)
def test_percent_encoded_names_are_decoded(runner, places: Places, form: str):
    db = PERCENT_FORMS[form].format(d=places.abs)
    result = runner.invoke(cli, ["--db", db, "stats", "--json"])
    assert result.exit_code == 0, result.output
    assert sorted(snapshot(places.abs))[:1] == ["my quiz.sqlite3"], sorted(snapshot(places.abs))
    assert not any("%" in n for n in snapshot(places.abs))


@pytest.mark.parametrize("form", [*FORMS, *RO_FORMS])
@pytest.mark.parametrize("kind", ["other-program", "corrupt-page", "directory"])
def test_each_form_refuses_what_the_plain_path_refuses(
    runner, places: Places, template: Path, form: str, kind: str
):
    spec = {**FORMS, **RO_FORMS}[form]
    path = places.path(spec[1], "target.sqlite3")
    expected = make_target(kind, path, template)
    before = places.everything()
    for command in (["stats"], QUIZ):
        plain = one_error_line(runner.invoke(cli, ["--db", str(path), *command], input="q\n"))
        assert plain.startswith(expected), plain
        given = places.name(spec, path)
        message = one_error_line(runner.invoke(cli, ["--db", given, *command], input="q\n"))
        assert message == plain, given
    assert places.everything() == before  # byte for byte; no -wal, -shm or -journal


@pytest.mark.parametrize("form", RO_FORMS)
def test_mode_ro_forms_open_read_only(runner, places: Places, template: Path, form: str):
    path = places.path(RO_FORMS[form][1], "learner.sqlite3")
    db = places.name(RO_FORMS[form], path)
    message = one_error_line(runner.invoke(cli, ["--db", db, "stats"]))
    assert message == f"{path} does not exist (and mode=ro cannot create it)"
    assert places.everything() == {"cwd": {}, "home": {}, "abs": {}}
    shutil.copyfile(template, path)
    before = places.everything()
    result = runner.invoke(cli, ["--db", db, "stats", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answers"]["total"] == REVIEWS
    message = one_error_line(runner.invoke(cli, ["--db", db, *QUIZ], input="q\n"))
    assert message.startswith(f"{path} is read-only"), message
    assert places.everything() == before


IN_MEMORY = [
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite+pysqlite://",
    "sqlite+pysqlite:///:memory:",
    "file::memory:",
    "file::memory:?cache=shared",
    "file:x.db?mode=memory",
    "file:///tmp/x.db?mode=memory",
    "sqlite:///file:x?mode=memory&uri=true",
    ":memory:",
]
COMMANDS = {
    "quiz": QUIZ,
    "review": ["review"],
    "stats": ["stats"],
    "config": ["config"],
    "config-set": ["config", "new-per-day", "5"],
    "export-anki": ["export", "anki", "OUT/q.apkg", "z-score", "--variants", "1"],
    "export-csv": ["export", "csv", "OUT/q.csv", "z-score", "--variants", "1"],
    "report": ["report", "--out", "OUT/report.html"],
    "check": ["check"],
    "backup": ["backup", "OUT/copy.sqlite3"],
}


def command(name: str, out: Path) -> list[str]:
    return [a.replace("OUT", str(out)) for a in COMMANDS[name]]


def each_command(names, check: Callable[[str], None]) -> None:
    """check(name) for every command name; one failure listing every command that failed."""
    problems = []
    for name in names:
        try:
            check(name)
        except AssertionError as exc:
            problems.append(f"{name}: {' '.join(str(exc).split())[:300]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("db", IN_MEMORY)
def test_in_memory_databases_are_refused(runner, places: Places, tmp_path: Path, db: str):
    def check(name: str) -> None:
        out = tmp_path / "out" / name
        out.mkdir(parents=True)
        result = runner.invoke(cli, ["--db", db, *command(name, out)], input="q\n")
        message = one_error_line(result)
        assert message == f"{db} is an in-memory database, which would lose every answer", message
        assert places.everything() == {"cwd": {}, "home": {}, "abs": {}}
        assert snapshot(out) == {}
        # and the same through $QUIZZER_DB
        result = runner.invoke(cli, command(name, out), input="q\n", env={"QUIZZER_DB": db})
        assert one_error_line(result) == message
        assert places.everything() == {"cwd": {}, "home": {}, "abs": {}}
        assert snapshot(out) == {}

    each_command(COMMANDS, check)


BAD_NAMES = {  # --db value: the message (with {d} the directory of absolute paths)
    "": "--db is empty: give a database file path or sqlite:/// URL",
    "   ": "--db is empty: give a database file path or sqlite:/// URL",
    "x\x00y.db": "--db contains a NUL byte: give a database file path",
    "file:{d}/x%00y.db": "file:{d}/x%00y.db contains a NUL byte: give a database file path",
    "sqlite:///file:{d}/x%00y.db?uri=true": (
        "sqlite:///file:{d}/x%00y.db?uri=true contains a NUL byte: give a database file path"
    ),
    "sqlite:///{d}/x.db?timeout=5": (
        "sqlite:///{d}/x.db?timeout=5: unsupported parameter timeout; only mode=ro is understood"
    ),
    "file:{d}/x.db?cache=shared": (
        "file:{d}/x.db?cache=shared: unsupported parameter cache; only mode=ro is understood"
    ),
    "file:{d}/x.db?immutable=1": (
        "file:{d}/x.db?immutable=1: unsupported parameter immutable; only mode=ro is understood"
    ),
    "file:{d}/x.db?vfs=unix-dotfile": (
        "file:{d}/x.db?vfs=unix-dotfile: unsupported parameter vfs; only mode=ro is understood"
    ),
    "sqlite:///{d}/x.db?mode=memory": (
        "sqlite:///{d}/x.db?mode=memory: mode=memory is not supported; use mode=ro or leave it out"
    ),
    "file:{d}/x.db?mode=rox": (
        "file:{d}/x.db?mode=rox: mode=rox is not supported; use mode=ro or leave it out"
    ),
    "file://otherhost{d}/x.db": (
        "file://otherhost{d}/x.db: a file: URI names a file on this machine only"
    ),
    "sqlite://somehost/x.db": (
        "sqlite://somehost/x.db: an SQLite URL has no host; write sqlite:////somehost/..."
    ),
    "sqlite:x.db": (
        "sqlite:x.db: not a valid URL; write sqlite:///relative.db or sqlite:////absolute/path.db"
    ),
    "sqlite+aiosqlite:///x.db": (
        "sqlite+aiosqlite:///x.db: unsupported SQLite driver 'sqlite+aiosqlite'; use sqlite:///PATH"
    ),
    "postgresql://learner:s3cret@localhost/quizzer": (
        "postgresql: databases are not supported; quizzer keeps your history in an SQLite "
        "file: give its path or an sqlite:/// URL"
    ),
    "mysql://root@localhost/quizzer": (
        "mysql: databases are not supported; quizzer keeps your history in an SQLite "
        "file: give its path or an sqlite:/// URL"
    ),
    "mysql+pymysql://root@localhost/quizzer": (
        "mysql+pymysql: databases are not supported; quizzer keeps your history in an "
        "SQLite file: give its path or an sqlite:/// URL"
    ),
    "-": "'-' is not a database file name; give one such as ~/quizzer.sqlite3",
    "--": "'--' is not a database file name; give one such as ~/quizzer.sqlite3",
    "new.sqlite3/": (
        "'new.sqlite3/' is not a database file name; give one such as ~/quizzer.sqlite3"
    ),
    "~no-such-user-q/x.db": "~no-such-user-q/x.db: no such user's home directory",
    "{d}/" + "a" * 300 + ".db": "cannot use {d}/" + "a" * 300 + ".db: File name too long",
}


@pytest.mark.parametrize("db", BAD_NAMES, ids=lambda s: repr(s)[1:-1] or "empty")
def test_names_quizzer_cannot_use_are_refused_in_one_line(runner, places: Places, db: str):
    given = db.format(d=places.abs)

    def check(name: str) -> None:
        result = runner.invoke(cli, ["--db", given, *command(name, places.cwd)], input="q\n")
        assert one_error_line(result) == BAD_NAMES[db].format(d=places.abs)
        assert "s3cret" not in result.output
        assert places.everything() == {"cwd": {}, "home": {}, "abs": {}}

    each_command(["quiz", "review", "stats", "config-set", "check", "backup"], check)


def quizzer_command() -> list[str]:
    return [sys.executable, "-m", "quizzer"]


def test_a_percent_encoded_nul_through_a_real_process(tmp_path: Path):
    """A NUL byte cannot be passed in argv or the environment, but %00 in a URI can."""
    for db in (f"file:{tmp_path}/x%00y.db", f"sqlite:///file:{tmp_path}/x%00y.db?uri=true"):
        env = {**os.environ, "HOME": str(tmp_path)}
        proc = subprocess.run(
            [*quizzer_command(), "--db", db, "stats"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            cwd=tmp_path,
        )
        assert one_error_line_of(proc) == f"{db} contains a NUL byte: give a database file path"
        proc = subprocess.run(
            [*quizzer_command(), "stats"],
            capture_output=True,
            text=True,
            env={**env, "QUIZZER_DB": db},
            timeout=60,
            cwd=tmp_path,
        )
        assert one_error_line_of(proc) == f"{db} contains a NUL byte: give a database file path"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("xdg", [True, False], ids=["XDG_DATA_HOME", "HOME"])
def test_an_empty_quizzer_db_means_the_default_file(runner, tmp_path: Path, xdg: bool):
    from quizzer.location import default_path

    real = default_path()  # the user's real file: must not be created or touched
    real_before = real.stat() if real.exists() else None
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    env = {"QUIZZER_DB": "", "HOME": str(home), "XDG_DATA_HOME": str(data) if xdg else None}
    result = runner.invoke(cli, ["stats", "--json"], env=env)
    assert result.exit_code == 0, result.output
    expected = (data if xdg else home / ".local" / "share") / "quizzer" / "quizzer.sqlite3"
    assert expected.is_file() and reviews_in(expected) == 0
    assert (real.stat() if real.exists() else None) == real_before
    # whereas an empty --db is a mistake
    assert one_error_line(runner.invoke(cli, ["--db", "", "stats"], env=env)) == (
        "--db is empty: give a database file path or sqlite:/// URL"
    )


# ---------------------------------------------------------------- 2. another program's file

FOREIGN = [
    "other-program",
    "sqlalchemy-app",
    "sqlalchemy-app-wal",
    "flashcard-app",
    "newer-quizzer",
    "newer-quizzer-backup",
]


@pytest.mark.parametrize("kind", FOREIGN)
def test_another_programs_database_is_refused_untouched(
    runner, tmp_path: Path, template: Path, kind: str
):
    def check(name: str) -> None:
        d, out = tmp_path / name / "d", tmp_path / name / "out"
        d.mkdir(parents=True)
        out.mkdir()
        path = d / "app.db"
        expected = make_target(kind, path, template)
        journal = header_journal_bytes(path)
        before = snapshot(d)
        result = runner.invoke(cli, ["--db", str(path), *command(name, out)], input="q\n")
        message = one_error_line(result)
        assert message.startswith(expected), message
        if "newer" not in kind:
            assert "newer" not in message
        assert header_journal_bytes(path) == journal, "journal mode changed"
        assert snapshot(d) == before, f"changed: {sorted(snapshot(d))}"
        assert snapshot(out) == {}

    # (export csv is left out: it never opens the database)
    each_command([n for n in COMMANDS if n != "export-csv"], check)


@pytest.mark.parametrize("sidecars", ["kept", "absent"])
def test_another_programs_wal_database_with_its_wal_and_shm(runner, tmp_path: Path, sidecars: str):
    """An SQLAlchemy application's database in WAL mode, copied while that application had
    it open (its -wal holds committed rows not yet in the main file), or without them."""
    live, d = tmp_path / "live", tmp_path / "d"
    live.mkdir()
    d.mkdir()
    other_program_db(live / "app.db", wal=True, alembic=True)
    con = sqlite3.connect(live / "app.db")
    try:
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute("INSERT INTO posts (user_id, body) VALUES (1, 'in the wal')")
        con.commit()
        for suffix in ("", "-wal", "-shm") if sidecars == "kept" else ("",):
            shutil.copyfile(live / f"app.db{suffix}", d / f"app.db{suffix}")
    finally:
        con.close()
    path = d / "app.db"
    assert header_journal_bytes(path) == (2, 2)
    before = without_shm(snapshot(d))
    for cmd in (["stats"], QUIZ, ["check"], ["review"]):
        message = one_error_line(runner.invoke(cli, ["--db", str(path), *cmd], input="q\n"))
        assert message.startswith(f"{path} is an SQLite database of another program"), message
        # the file and its -wal byte for byte (no checkpoint); the -shm, SQLite's index of
        # the -wal that every reader may rewrite, is still there
        assert without_shm(snapshot(d)) == before
        assert (d / "app.db-shm").exists() == (sidecars == "kept")


def without_shm(files: dict[str, object]) -> dict[str, object]:
    return {n: b for n, b in files.items() if not n.endswith("-shm")} | {
        n: "present" for n in files if n.endswith("-shm")
    }


# ---------------------------------------------------------------- 3. damaged files

DAMAGED = ["corrupt-page", "truncated", "truncated-header", "header-then-garbage", "text-file"]


@pytest.mark.parametrize("kind", DAMAGED)
def test_a_damaged_file_is_refused_at_open(runner, tmp_path: Path, template: Path, kind: str):
    def check(name: str) -> None:
        d, out = tmp_path / name / "d", tmp_path / name / "out"
        d.mkdir(parents=True)
        out.mkdir()
        path = d / "learner.sqlite3"
        expected = make_target(kind, path, template)
        before = snapshot(d)
        result = runner.invoke(cli, ["--db", str(path), *command(name, out)], input="q\n")
        message = one_error_line(result)
        assert message.startswith(expected), message
        assert snapshot(d) == before, f"changed: {sorted(snapshot(d))}"
        assert snapshot(out) == {}

    each_command(["stats", "check", "config-set", "backup", "report", "quiz", "review"], check)


@pytest.mark.parametrize("session", [QUIZ, ["review"]], ids=["quiz", "review"])
@pytest.mark.parametrize("kind", ["corrupt-page", "truncated", "header-then-garbage"])
def test_a_damaged_file_ends_a_session_before_its_first_question(
    tmp_path: Path, template: Path, kind: str, session: list[str]
):
    """In a real terminal: the only thing on the screen is the one line of the error."""
    d = tmp_path / "d"
    d.mkdir()
    path = d / "learner.sqlite3"
    expected = make_target(kind, path, template)
    before = snapshot(d)
    cmd = quizzer_command()
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "HOME": str(tmp_path)}
    env.pop("QUIZZER_DB", None)
    child = pexpect.spawn(
        cmd[0],
        [*cmd[1:], "--db", str(path), *session],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    seen = io.StringIO()
    child.logfile_read = seen
    try:
        child.expect(pexpect.EOF)
    finally:
        child.close()
    screen = seen.getvalue()
    assert "answer>" not in screen and "Enter shows the answer" not in screen, screen
    lines = screen.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {expected}"), screen
    assert child.exitstatus == 1
    assert snapshot(d) == before


# ---------------------------------------------------------------- 4. read-only databases


def _site_packages() -> str:
    import sqlalchemy

    return str(Path(sqlalchemy.__file__).parent.parent)


def _runs_quizzer(cmd: list[str], as_nobody: bool) -> bool:
    kw = dict(user=NOBODY, group=NOBODY, extra_groups=[]) if as_nobody else {}
    try:
        proc = subprocess.run(
            [*cmd, "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
            **kw,
        )
    except OSError:
        return False
    return proc.returncode == 0 and proc.stdout.startswith("quizzer")


@pytest.fixture(scope="module")
def nobody_command() -> list[str]:
    """A command line that runs this quizzer as the unprivileged user nobody: this
    interpreter if nobody can run it, else the system's Python of the same version with
    this environment's site-packages (a virtualenv's interpreter often lives under a
    root-only directory such as /root/.pyenv)."""
    candidates = [quizzer_command()]
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for exe in (f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"):
        code = (
            f"import site, sys; site.addsitedir({_site_packages()!r}); "
            "sys.argv[0] = 'quizzer'; from quizzer.cli import main; main()"
        )
        candidates.append([exe, "-S", "-c", code])
    for cmd in candidates:
        if _runs_quizzer(cmd, as_nobody=True):
            return cmd
    pytest.skip("no Python interpreter that the user nobody may run")


class ReadOnlyDb:
    """A real quizzer database (with REVIEWS answers) that the learner may read, not write,
    and the processes that use it."""

    def __init__(self, template: Path, scenario: str, nobody: list[str] | None) -> None:
        self.scenario = scenario
        self.made: list[Path] = []
        self.dir = self._mkdtemp(0o1777 if scenario == "file-ro-dir-rw" else 0o755)
        self.out = self._mkdtemp(0o777)  # where the learner may write a report or a copy
        self.home = self._mkdtemp(0o700)  # nobody cannot use it
        self.path = self.dir / "learner.sqlite3"
        self.reviews = REVIEWS
        if scenario == "wal-leftovers":
            self.reviews += self._crash_copy(template)
        else:
            shutil.copyfile(template, self.path)
        self.as_nobody = ROOT and scenario != "mode=ro"
        self.cmd = (nobody or []) if self.as_nobody else quizzer_command()
        if scenario != "mode=ro":
            for f in self.dir.iterdir():
                f.chmod(0o444)
            if not ROOT and scenario != "file-ro-dir-rw":
                self.dir.chmod(0o555)
        self.db = (
            f"file:{quote(str(self.path))}?mode=ro" if scenario == "mode=ro" else str(self.path)
        )

    def _mkdtemp(self, mode: int) -> Path:
        d = Path(tempfile.mkdtemp(prefix="quizzer-ro-"))
        d.chmod(mode)
        self.made.append(d)
        return d

    def _crash_copy(self, template: Path) -> int:
        """Copy the database with its -wal and -shm while a quizzer has it open, as a crash
        leaves them: the -wal holds answers the main file does not have yet."""
        from quizzer.db import connect
        from quizzer.store import Store

        live = self._mkdtemp(0o700) / "learner.sqlite3"
        shutil.copyfile(template, live)
        holder = sqlite3.connect(live)  # keeps the -wal from being checkpointed away
        try:
            holder.execute("SELECT COUNT(*) FROM cards").fetchone()
            store = Store(connect(str(live)))
            card = store.skill_card("z-score", 1).id
            for _ in range(3):
                store.record(
                    card,
                    "practice",
                    question=None,
                    typed="0",
                    correct=False,
                    rating=None,
                    duration_ms=100,
                )
            store.engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                shutil.copyfile(f"{live}{suffix}", f"{self.path}{suffix}")
        finally:
            holder.close()
        assert Path(f"{self.path}-wal").stat().st_size > 0
        return 3

    def run(self, *args: str, stdin: str = "q\n") -> subprocess.CompletedProcess:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "NO_COLOR": "1",
        }
        kw = dict(user=NOBODY, group=NOBODY, extra_groups=[]) if self.as_nobody else {}
        return subprocess.run(
            [*self.cmd, "--db", self.db, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=self.out,
            timeout=120,
            **kw,
        )

    def close(self) -> None:
        for d in self.made:
            d.chmod(0o755)
            shutil.rmtree(d)


SCENARIOS = ["file-ro", "mode=ro", "wal-leftovers", "file-ro-dir-rw"]


@pytest.fixture
def ro_db(request, template: Path) -> Iterator[ReadOnlyDb]:
    nobody = None
    if ROOT and request.param != "mode=ro":
        nobody = request.getfixturevalue("nobody_command")
    db = ReadOnlyDb(template, request.param, nobody)
    yield db
    db.close()


def works(proc: subprocess.CompletedProcess) -> str:
    """stdout of a command that worked (a notice on stderr is fine, an error is not)."""
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    for bad in ("Traceback", "Error", "error", "read-only database"):
        assert bad not in proc.stderr, proc.stderr
    return proc.stdout


READ_ONLY_WORKS: dict[str, tuple[list[str], Callable[[ReadOnlyDb, str], None]]] = {
    "stats": (["stats"], lambda db, out: None),
    "stats-json": (
        ["stats", "--json"],
        lambda db, out: _equal(json.loads(out)["answers"]["total"], db.reviews),
    ),
    "report": (["report", "--out", "OUT/r.html"], lambda db, out: _html(db.out / "r.html")),
    "topics": (["topics"], lambda db, out: _equal(out.splitlines()[0][:17], "Generator familie")),
    "export-csv": (
        ["export", "csv", "OUT/q.csv", "z-score", "--variants", "1"],
        lambda db, out: _equal(out, f"Wrote {db.out}/q.csv: 3 rows.\n"),
    ),
    "export-anki": (
        ["export", "anki", "OUT/q.apkg", "z-score", "--variants", "1"],
        lambda db, out: _equal(out.startswith(f"Wrote {db.out}/q.apkg: 3 notes"), True),
    ),
    "check": (
        ["check"],
        lambda db, out: _equal(
            out.splitlines()[1:2] + out.splitlines()[-1:],
            ["SQLite integrity check: ok", "Every card's state is the replay of its reviews."],
        ),
    ),
    "backup": (
        ["backup", "OUT/copy.sqlite3"],
        lambda db, out: _equal(reviews_in(db.out / "copy.sqlite3"), db.reviews),
    ),
}


def _equal(a, b) -> None:
    assert a == b, (a, b)


def _html(path: Path) -> None:
    assert path.read_text().lstrip().lower().startswith("<!doctype html")


# (scenario, command): the pairs run; every command on the two main scenarios, the
# commands that read the database on the others
READ_ONLY_CASES = [
    *[("file-ro", n) for n in READ_ONLY_WORKS],
    *[("wal-leftovers", n) for n in READ_ONLY_WORKS],
    *[("mode=ro", n) for n in READ_ONLY_WORKS if n not in ("topics", "export-csv")],
    *[("file-ro-dir-rw", n) for n in ("stats-json", "check", "backup")],
]


@pytest.mark.parametrize(("ro_db", "name"), READ_ONLY_CASES, indirect=["ro_db"])
def test_reading_commands_work_on_a_read_only_database(ro_db: ReadOnlyDb, name: str):
    args, check = READ_ONLY_WORKS[name]
    before = snapshot(ro_db.dir)
    out = works(ro_db.run(*[a.replace("OUT", str(ro_db.out)) for a in args]))
    check(ro_db, out)
    assert snapshot(ro_db.dir) == before  # byte for byte; no -wal/-shm created
    assert not [p for p in ro_db.out.iterdir() if p.name.startswith(".") or "tmp" in p.name]


READ_ONLY_REFUSES = {
    "quiz": QUIZ,
    "review": ["review"],
    "config-set": ["config", "new-per-day", "5"],
    "check-repair": ["check", "--repair"],
}


@pytest.mark.parametrize("ro_db", SCENARIOS, indirect=True)
@pytest.mark.parametrize("name", READ_ONLY_REFUSES)
def test_writing_commands_refuse_a_read_only_database_in_one_line(ro_db: ReadOnlyDb, name: str):
    before = snapshot(ro_db.dir)
    message = one_error_line_of(ro_db.run(*READ_ONLY_REFUSES[name]))
    assert message.startswith(f"{ro_db.path} is read-only"), message
    assert snapshot(ro_db.dir) == before
    assert list(ro_db.out.iterdir()) == []
