"""A new learner's first day: verified variants shipped in the package
(quizzer/shipped_variants.json.gz, scripts/record_shipped.py), stocked into a new database in
its first start's transaction (quizzer.migrate.create), used only with the torch and sympy
that verified them, each shown at most once; and a real first `quizzer review`.

Speed is measured in bench/run.py (first-prompt), not asserted here.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest
from alembic import command
from sqlalchemy import create_engine, select

from quizzer import generators, prefetch
from quizzer.answers import typed_form
from quizzer.db import connect
from quizzer.migrate import HEAD, alembic_config
from quizzer.models import Review, Variant
from quizzer.prefetch import SHIPPED, QuestionSource, Verifier, shipped_variants
from quizzer.question import Question
from quizzer.store import Store
from quizzer.verify import draw, sympy_version, torch_version

TIMEOUT = 60
DRIVER = Path(__file__).with_name("drivers") / "traced_quizzer.py"
SKILL_HEADER = r"── #(\d+) · ([a-z0-9-]+) · level (\d+) · review ──"


def shipped() -> dict:
    return json.loads(gzip.decompress(SHIPPED.read_bytes()))


def shipped_keys() -> set[tuple[str, int, int]]:
    return {(q["generator"], q["difficulty"], q["seed"]) for q in shipped()["variants"]}


def variants_in(db: Path) -> list[tuple[str, int, int, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT family, difficulty, seed, torch_version FROM variants ORDER BY id"
        ).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- the shipped file


def test_every_skill_ships_distinct_current_verified_variants():
    record = shipped()
    assert set(record["recorded_with"]) == {"torch", "sympy", "python"}
    by_skill: dict[tuple[str, int], list[Question]] = {}
    for d in record["variants"]:
        q = Question.from_dict({k: v for k, v in d.items() if k != "texts"})
        assert q.verified and q.version == generators.get(q.generator).version, d["generator"]
        by_skill.setdefault((q.generator, q.difficulty), []).append(q)
    skills = {(f, lvl) for f in generators.families()
              for lvl in range(1, generators.get(f).levels + 1)}  # fmt: skip
    assert set(by_skill) == skills
    for skill, qs in by_skill.items():
        assert len(qs) >= prefetch.SPARES_PER_SKILL, skill  # enough for the first sessions
        assert len({q.uid for q in qs}) == len(qs), f"{skill}: a question shipped twice"


@pytest.mark.parametrize("family", generators.families())
def test_shipped_variants_reverify_with_the_installed_torch(family: str):
    """Each shipped variant is drawn again from its seed and verified by the installed torch:
    the formula side must be identical on any machine; while torch (and, for a sympy
    family, sympy) are the recorded versions, the torch check too. After an upgrade the
    test names what moved, and scripts/record_shipped.py records them again."""
    record = shipped()
    recorded = record["recorded_with"]
    moved = []
    for d in record["variants"]:
        if d["generator"] != family:
            continue
        want = Question.from_dict({k: v for k, v in d.items() if k != "texts"})
        got = draw(family, want.seed, want.difficulty)
        # its Chinese text, shown without building it (and importing sympy) again
        assert d["texts"] == generators.texts(got), f"{family} seed {want.seed}: zh text"
        got_d, want_d = got.to_dict(), want.to_dict()
        for key in ("verified_by", "torch_check"):
            got_d.pop(key), want_d.pop(key)
        assert got_d == want_d, f"{family} seed {want.seed} level {want.difficulty} changed"
        if (got.torch_check, got.verified_by) != (want.torch_check, want.verified_by):
            moved.append((want.seed, want.difficulty))
    same = torch_version() == recorded["torch"]
    if generators.get(family).formula_by == "sympy":
        same = same and sympy_version() == recorded["sympy"]
    if same:
        assert moved == []
    elif moved:
        pytest.fail(f"{family}: verification changed for (seed, level) {moved[:10]}: re-record")


# ---------------------------------------------------------------- stocking a new database


def test_a_new_database_is_stocked_once_with_the_shipped_variants(tmp_path: Path):
    db = tmp_path / "learner.sqlite3"
    Store(connect(str(db))).engine.dispose()
    rows = variants_in(db)
    recorded = shipped()["recorded_with"]["torch"]
    assert {(f, lvl, seed) for f, lvl, seed, _ in rows} == shipped_keys()
    assert len(rows) == len(shipped()["variants"])
    assert {torch for *_, torch in rows} == {recorded} == {prefetch.installed_torch_version()}
    Store(connect(str(db))).engine.dispose()  # opening it again adds nothing
    assert variants_in(db) == rows


def test_a_torch_mismatch_leaves_the_shipped_variants_unused(tmp_path: Path, monkeypatch):
    """A new database made under another torch gets none; a database stocked under the
    recorded torch, opened after a torch upgrade, keeps them but never shows one: the
    session verifies its own question instead."""
    stocked = tmp_path / "stocked.sqlite3"
    Store(connect(str(stocked))).engine.dispose()
    before = variants_in(stocked)
    assert before

    monkeypatch.setattr(prefetch, "installed_torch_version", lambda: "2.99.0")
    fresh = tmp_path / "fresh.sqlite3"
    Store(connect(str(fresh))).engine.dispose()
    assert variants_in(fresh) == []
    assert shipped_variants() == []

    store = Store(connect(str(stocked)))
    verifier = Verifier()
    try:
        source = QuestionSource(store, verifier)
        assert source.torch == "2.99.0"
        future = source.for_skill("conv-output", 1)
        q = future.result(timeout=TIMEOUT)  # drawn and verified now, by the real torch
        assert (q.generator, q.difficulty, q.seed) not in shipped_keys() and q.verified
        assert not isinstance(future, prefetch.Kept)
    finally:
        verifier.close()
        store.engine.dispose()
    assert variants_in(stocked) == before


def test_a_sympy_mismatch_stocks_only_the_families_sympy_does_not_compute(
    tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(prefetch, "installed_sympy_version", lambda: "0.1")
    db = tmp_path / "learner.sqlite3"
    Store(connect(str(db))).engine.dispose()
    families = {f for f, *_ in variants_in(db)}
    formula = {f for f in generators.families() if generators.get(f).formula_by != "sympy"}
    assert families == formula and len(formula) < len(generators.families())


def test_a_missing_or_damaged_file_stocks_nothing(tmp_path: Path):
    bad = tmp_path / "shipped.json.gz"
    assert shipped_variants(bad) == []  # missing
    bad.write_bytes(SHIPPED.read_bytes()[:500])  # cut short
    assert shipped_variants(bad) == []
    bad.write_bytes(b"not gzip at all")
    assert shipped_variants(bad) == []
    record = shipped() | {"format": 99}
    bad.write_bytes(gzip.compress(json.dumps(record).encode()))
    assert shipped_variants(bad) == []
    old = shipped()
    old["variants"][0]["version"] = -1  # an older generator version: that one is left out
    bad.write_bytes(gzip.compress(json.dumps(old).encode()))
    assert len(shipped_variants(bad)) == len(old["variants"]) - 1


def test_a_kept_variant_is_taken_before_the_shipped_ones_and_each_only_once(tmp_path: Path):
    db = tmp_path / "learner.sqlite3"
    store = Store(connect(str(db)))
    try:
        mine = draw("z-score", 7, 1)
        store.add_variants([mine], prefetch.installed_torch_version())
        torch, version = prefetch.installed_torch_version(), mine.version
        taken = [store.take_variant("z-score", 1, version, torch) for _ in range(7)]
        assert taken[0] == mine
        seeds = [q.seed for q in taken[1:6]]
        assert {("z-score", 1, s) for s in seeds} <= shipped_keys() and len(set(seeds)) == 5
        assert taken[6] is None  # five shipped, each once
    finally:
        store.engine.dispose()


# ---------------------------------------------------------------- the creation transaction


def structure(path: Path) -> dict[str, tuple]:
    """Every table's columns, indexes and foreign keys, as SQLite describes them."""
    con = sqlite3.connect(path)
    try:
        out = {}
        names = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        for (name,) in names:
            cols = {c[1:] for c in con.execute(f'PRAGMA table_info("{name}")')}
            indexes = {
                (i[1], i[2], tuple(c[2] for c in con.execute(f'PRAGMA index_info("{i[1]}")')))
                for i in con.execute(f'PRAGMA index_list("{name}")')
            }
            fks = {f[2:5] for f in con.execute(f'PRAGMA foreign_key_list("{name}")')}
            out[name] = (cols, indexes, fks)
        return out
    finally:
        con.close()


def test_a_new_database_has_exactly_the_schema_alembic_makes(tmp_path: Path):
    """quizzer makes a new database from the models without Alembic: it must be what
    `alembic upgrade head` makes, and later migrations must apply to it."""
    made = tmp_path / "made.sqlite3"
    Store(connect(str(made))).engine.dispose()
    reference = tmp_path / "alembic.sqlite3"
    engine = create_engine(f"sqlite:///{reference}")
    cfg = alembic_config()
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "head")
    engine.dispose()
    assert structure(made) == structure(reference)
    con = sqlite3.connect(made)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    con.close()
    engine = create_engine(f"sqlite:///{made}")
    with engine.begin() as con:  # down to nothing and up again, migration by migration
        cfg.attributes["connection"] = con
        command.downgrade(cfg, "base")
        command.upgrade(cfg, "head")
    engine.dispose()
    assert structure(made) == structure(reference)


def opener(db: Path) -> subprocess.Popen:
    code = "import sys; from quizzer.db import connect; connect(sys.argv[1]).dispose()"
    return subprocess.Popen([sys.executable, "-c", code, str(db)], cwd=str(db.parent),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_four_processes_making_one_new_database_stock_it_once(tmp_path: Path):
    db = tmp_path / "new.sqlite3"
    procs = [opener(db) for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0 and not err, err
    rows = variants_in(db)
    assert len(rows) == len(shipped()["variants"])
    assert {(f, lvl, seed) for f, lvl, seed, _ in rows} == shipped_keys()


def traced(db: Path, trace: Path, stop_after: int = 0) -> subprocess.Popen:
    env = {**os.environ, "QUIZZER_TRACE": str(trace), "QUIZZER_STOP_AFTER": str(stop_after)}
    env.pop("QUIZZER_DB", None)
    return subprocess.Popen([sys.executable, str(DRIVER), "--db", str(db), "stats", "--json"],
                            cwd=str(db.parent), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip


def lines_of(trace: Path) -> list[str]:
    try:
        return trace.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def test_kill_9_while_stocking_leaves_no_variant_or_all_of_them(tmp_path: Path):
    """A first start killed right after it inserted the shipped variants (before its
    commit) leaves no schema and no variant; killed right after the commit, the schema and
    every variant. Either way the next start makes it whole, each variant once."""
    calibration = tmp_path / "calibration.sqlite3"
    p = traced(calibration, tmp_path / "calibration.trace")
    assert p.wait(TIMEOUT) == 0
    lines = lines_of(tmp_path / "calibration.trace")
    insert = next(i for i, s in enumerate(lines, 1) if "INSERT INTO variants" in s)
    commit = next(i for i, s in enumerate(lines, 1) if i > insert and s.endswith("(commit)"))
    for n, committed in ((insert, False), (commit, True)):
        db = tmp_path / f"killed-{n}" / "new.sqlite3"
        db.parent.mkdir()
        trace = db.with_suffix(".trace")
        p = traced(db, trace, stop_after=n)
        deadline = time.monotonic() + TIMEOUT
        while len(lines_of(trace)) < n:
            assert p.poll() is None and time.monotonic() < deadline, "never got there"
            time.sleep(0.01)
        p.send_signal(signal.SIGKILL)
        p.wait(TIMEOUT)
        con = sqlite3.connect(db)
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        count = con.execute("SELECT count(*) FROM variants").fetchone()[0] if tables else 0
        con.close()
        if committed:
            assert "variants" in tables and count == len(shipped()["variants"])
        else:
            assert tables == set() and count == 0
        Store(connect(str(db))).engine.dispose()
        assert len(variants_in(db)) == len(shipped()["variants"])


# ---------------------------------------------------------------- a real first session


def quizzer_command() -> list[str]:
    exe = shutil.which("quizzer", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "quizzer"]


def spawn(db: Path, *args: str) -> pexpect.spawn:
    env = {**os.environ, "NO_COLOR": "1"}
    for key in ("QUIZZER_DB", "QUIZZER_LANG", "QUIZZER_DEBUG"):
        env.pop(key, None)
    cmd = quizzer_command()
    child = pexpect.spawn(cmd[0], [*cmd[1:], "--db", str(db), *args], env=env,
                          cwd=str(db.parent), encoding="utf-8", timeout=TIMEOUT,
                          dimensions=(50, 200))  # fmt: skip
    child.logfile_read = io.StringIO()
    return child


def the_shipped_question_on_screen(screen: str) -> Question:
    screen = screen.replace("\r\n", "\n")
    found = [Question.from_dict({k: v for k, v in d.items() if k != "texts"})
             for d in shipped()["variants"] if d["prompt"] in screen]  # fmt: skip
    assert len(found) == 1, screen
    return found[0]


def reviews_in(db: Path) -> list[Review]:
    store = Store(connect(str(db)))
    try:
        with store.session() as s:
            return list(s.scalars(select(Review).order_by(Review.id)))
    finally:
        store.engine.dispose()


def test_a_first_review_shows_a_shipped_question_at_once_and_never_again(tmp_path: Path):
    """`quizzer review` on a new database: the first question is a shipped one, on screen
    without waiting for torch (no "verifying" line); answered, it is stored as shown and
    gone from the pool. The next session, on the same skill (its learning step, learned
    ahead), shows another question."""
    db = tmp_path / "learner.sqlite3"
    child = spawn(db, "review")
    child.expect(SKILL_HEADER)
    family, level = child.match.group(2), int(child.match.group(3))
    child.expect_exact("answer> ")
    screen = child.logfile_read.getvalue()
    assert "verifying" not in screen, screen
    first = the_shipped_question_on_screen(screen)
    assert (first.generator, first.difficulty) == (family, level)
    child.sendline(typed_form(first))
    child.expect_exact("Correct: ")
    child.expect_exact("Rated Good. Enter keeps it; h Hard, e Easy: ")
    child.sendline("")
    child.expect(["answer> ", r"\(Enter shows the answer; s skip, q quit\) "])
    child.sendline("q")
    child.expect_exact("Session over: 1 answered")
    child.expect(pexpect.EOF, timeout=5 * TIMEOUT)
    child.close()
    assert child.exitstatus == 0, child.logfile_read.getvalue()

    [review] = reviews_in(db)
    assert review.question == first.to_dict() and review.correct
    key = (first.generator, first.difficulty, first.seed)
    assert key not in {(f, lvl, s) for f, lvl, s, _ in variants_in(db)}

    child = spawn(db, "review", "--new", "0")  # only the card's learning step is left
    child.expect(SKILL_HEADER)
    assert (child.match.group(2), int(child.match.group(3))) == (family, level)
    child.expect_exact("answer> ")
    child.sendline("s")  # Again: its next learning step is due at once, learned ahead
    child.expect_exact("Skipped.")
    child.expect(SKILL_HEADER)
    child.expect_exact("answer> ")
    child.sendline("q")
    child.expect_exact("Session over: 1 answered")
    child.expect(pexpect.EOF, timeout=5 * TIMEOUT)
    child.close()
    assert child.exitstatus == 0, child.logfile_read.getvalue()
    second = reviews_in(db)[1]
    assert (second.question["generator"], second.question["difficulty"]) == (family, level)
    assert second.question["seed"] != first.seed
    assert second.question["prompt"] != first.prompt


CHINESE_WITHOUT_SYMPY = """
import sys
from quizzer import generators
from quizzer.db import connect
from quizzer.store import Store

store = Store(connect(sys.argv[1]))
q = store.take_variant("regularization", 1, generators.get("regularization").version,
                       sys.argv[2])
shown = generators.localized(q, "zh")
assert "sympy" not in sys.modules, "the Chinese text waited for sympy"
assert shown == generators.get("regularization").zh(q)  # builds it (imports sympy) to compare
print("ok")
"""


def test_a_kept_variant_is_shown_in_chinese_without_importing_sympy(tmp_path: Path):
    """regularization (a sympy family, and the first new card) keeps its Chinese text with
    its variant: `--lang zh` shows it at once, and the text is the one zh() builds."""
    out = subprocess.run(
        [sys.executable, "-c", CHINESE_WITHOUT_SYMPY, str(tmp_path / "new.sqlite3"),
         prefetch.installed_torch_version()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_a_kept_chinese_text_that_differs_from_the_generator_is_refused(tmp_path: Path):
    """A variant row whose stored Chinese text was changed (by hand, or damage) fails the
    comparison with its generator, as a changed question does: never shown."""
    store = Store(connect(str(tmp_path / "learner.sqlite3")))
    torch = prefetch.installed_torch_version()
    version = generators.get("regularization").version
    q = store.take_variant("regularization", 1, version, torch)
    assert q is not None and prefetch.as_generated(q, "regularization", 1)
    with store.write() as s:
        row = s.scalars(select(Variant).where(Variant.family == "regularization",
                                              Variant.difficulty == 1)
                        .order_by(Variant.id.desc())).first()  # the one taken next  # fmt: skip
        data = dict(row.question)
        data["texts"] = {"zh": {**data["texts"]["zh"], "answer": "42"}}
        row.question = data
    q = store.take_variant("regularization", 1, version, torch)
    assert q is not None and not prefetch.as_generated(q, "regularization", 1)
    store.engine.dispose()
