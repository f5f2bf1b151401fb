"""Big learner histories for `check` and `upgrade`: every card's state is the replay of its
scheduled reviews (built through quizzer.schedule.review, as a session records them), so
`quizzer check` finds nothing; and the same history at the older schemas 0002 and 0003.

Each file is built once and kept in bench/out/ (git ignores it), its name carrying VERSION:
change VERSION when a builder changes, and the files are built again.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

VERSION = "v2"  # v2: the seeded fuzz became a blake2b hash of the review
RETENTION = 0.9
NOW = datetime(2026, 11, 1, tzinfo=UTC)  # fixed, so a rebuilt file is the same file
YEARS = 3  # cards were first seen over the three years before NOW
MISTAKES = ["padding-once", "floor-vs-ceil", "rf-no-strides", "z-wrong-correction"]


def _sql_time(dt: datetime) -> str:
    """SQLAlchemy's text form of a naive UTC datetime on SQLite."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _state(card, new: bool = False, due: datetime | None = None) -> dict:
    """A card_states row as quizzer.schedule.state_dict gives it (aware ISO times)."""
    if new:
        return {"state": 0, "step": None, "stability": None, "difficulty": None,
                "due": due.isoformat(), "last_review": None}  # fmt: skip
    return {"state": int(card.state), "step": card.step, "stability": card.stability,
            "difficulty": card.difficulty, "due": card.due.isoformat(),
            "last_review": card.last_review.isoformat() if card.last_review else None}  # fmt: skip


def build_replayable_db(path: Path, reviews: int = 1_000_000, seed: int = 1) -> str:
    """A database at the current schema with `reviews` scheduled reviews (mode 'review',
    rated), every card's state the replay of its reviews. Cards: the real catalog, then
    synthetic concept cards, each first seen at a random moment of the last YEARS years and
    reviewed when due (plus a few hours) until NOW or until its own quota (1-40 reviews)."""
    import fsrs

    from quizzer import schedule
    from quizzer.db import connect
    from quizzer.store import Store
    from quizzer.verify import draw

    rng = random.Random(seed)
    store = Store(connect(str(path)))
    store.sync_catalog()
    store.engine.dispose()
    con = sqlite3.connect(path)
    real = con.execute("SELECT id, kind, family, difficulty FROM cards ORDER BY id").fetchall()
    questions: dict[int, list[tuple]] = {}
    for cid, kind, fam, lvl in real:
        if kind == "skill":
            qs = [draw(fam, rng.randrange(2**31), lvl) for _ in range(3)]
            questions[cid] = [
                (q.version, q.seed, json.dumps(q.params), json.dumps(q.to_dict()), q.answer)
                for q in qs
            ]
    next_id = real[-1][0] + 1
    sched = schedule.make_scheduler(RETENTION)
    created_synthetic: list[tuple] = []
    updated_real: list[tuple] = []
    rows: list[tuple] = []
    done = 0
    cards_reviewed = 0
    rating_of = [1] * 10 + [2] * 8 + [3] * 72 + [4] * 10  # Again, Hard, Good, Easy in %

    def flush() -> None:
        con.executemany(
            "INSERT INTO reviews (card_id, mode, reviewed_at, generator_version, seed, params, "
            "question, typed_answer, correct, skipped, misconception, rating, duration_ms, "
            "state_before, session_id, prior_state, retrievability, desired_retention) "
            "VALUES (?, 'review', ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        rows.clear()

    real_ids = [r[0] for r in real]
    while done < reviews:
        if cards_reviewed < len(real_ids):
            cid = real_ids[cards_reviewed]
        else:
            cid = next_id
            next_id += 1
        cards_reviewed += 1
        first_seen = NOW - timedelta(seconds=rng.uniform(0, YEARS * 365 * 86400))
        first_seen = first_seen.replace(microsecond=rng.randrange(1_000_000))
        new_due = first_seen - timedelta(hours=1)
        before = _state(None, new=True, due=new_due)
        card = fsrs.Card(card_id=cid, state=fsrs.State.Learning, step=0)
        quota = min(rng.randint(1, 40), reviews - done)
        at = first_seen
        qs = questions.get(cid)
        for _ in range(quota):
            rating = rng.choice(rating_of)
            recall = schedule.recall_at(before, at)
            card = schedule.review(sched, card, rating, at)
            correct = rating != 1
            if qs:
                version, qseed, params, question, answer = rng.choice(qs)
                typed = answer if correct else "0"
                mistake = None if correct or rng.random() < 0.5 else rng.choice(MISTAKES)
            else:
                version = qseed = params = question = typed = mistake = None
            rows.append((cid, _sql_time(at), version, qseed, params, question, typed, correct,
                         mistake, rating, rng.randint(2000, 30000), json.dumps(before),
                         f"bench-{at:%Y%m%d}", before["state"], recall, RETENTION))  # fmt: skip
            done += 1
            before = _state(card)
            gap = card.due - at
            jitter = gap.total_seconds() * rng.uniform(0, 0.2) if gap < timedelta(days=1) else \
                rng.uniform(0, 8 * 3600)  # fmt: skip
            nxt = card.due + timedelta(seconds=jitter, microseconds=rng.randrange(1, 1_000_000))
            if nxt > NOW:
                break
            at = nxt
        last = card.last_review
        state = (int(card.state), card.step, card.stability, card.difficulty,
                 _sql_time(card.due), _sql_time(last))  # fmt: skip
        if cid < real[-1][0] + 1:
            updated_real.append((*state, cid))
        else:
            created_synthetic.append((cid, f"concept:bench/card-{cid}", _sql_time(first_seen),
                                      *state))  # fmt: skip
        if len(rows) >= 100_000:
            flush()
    flush()
    con.executemany(
        "UPDATE card_states SET state=?, step=?, stability=?, difficulty=?, due=?, "
        "last_review=? WHERE card_id=?",
        updated_real,
    )
    con.executemany(
        "INSERT INTO cards (id, uid, kind, family, difficulty, deck, active, created_at) "
        "VALUES (?, ?, 'concept', NULL, NULL, 'bench', 1, ?)",
        [c[:3] for c in created_synthetic],
    )
    con.executemany(
        "INSERT INTO card_states (card_id, state, step, stability, difficulty, due, "
        "last_review) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(c[0], *c[3:]) for c in created_synthetic],
    )
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file
    cards = con.execute("SELECT count(*) FROM cards").fetchone()[0]
    con.close()
    return f"{cards:,} cards ({cards_reviewed:,} reviewed), {done:,} scheduled reviews"


# columns of `reviews` at schema 0002 (0003 added prior_state and retrievability, 0004
# desired_retention); JSON null was then stored as the text 'null'
_COLUMNS_0002 = ("id, card_id, mode, reviewed_at, generator_version, seed, params, question, "
                 "typed_answer, correct, skipped, misconception, rating, duration_ms, "
                 "state_before, session_id")  # fmt: skip
_NULL_AS_JSON = {"params", "question", "state_before"}


def build_old_db(path: Path, source: Path, revision: str) -> str:
    """The history of `source` (a build_replayable_db file) at schema `revision` ("0002" or
    "0003"), rows as that schema kept them: created by Alembic up to `revision`, then filled
    from `source`; at 0003 the data step of 0003 is run too (by Alembic)."""
    from alembic import command
    from sqlalchemy import create_engine

    from quizzer.migrate import alembic_config

    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "0002")
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("ATTACH DATABASE ? AS src", (str(source),))
    con.execute("INSERT INTO cards SELECT * FROM src.cards")
    con.execute("INSERT INTO card_states SELECT * FROM src.card_states")
    con.execute("INSERT INTO settings SELECT * FROM src.settings")
    select = ", ".join(
        f"CASE WHEN {c} IS NULL THEN 'null' ELSE {c} END" if c in _NULL_AS_JSON else c
        for c in (c.strip() for c in _COLUMNS_0002.split(","))
    )
    con.execute(f"INSERT INTO reviews ({_COLUMNS_0002}) SELECT {select} FROM src.reviews")
    con.commit()
    con.execute("DETACH DATABASE src")
    con.execute("PRAGMA journal_mode=WAL")  # as quizzer left it
    con.close()
    if revision != "0002":
        engine = create_engine(f"sqlite:///{path}")
        with engine.begin() as c:
            cfg.attributes["connection"] = c
            command.upgrade(cfg, revision)
        engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    n = con.execute("SELECT count(*) FROM reviews").fetchone()[0]
    at = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    con.close()
    return f"schema {at}, {n:,} reviews"


def cached(name: str, build, *args) -> Path:
    """bench/out/<name>-<VERSION>.sqlite3, built (by build(path, *args)) if missing."""
    import time

    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    path = out / f"{name}-{VERSION}.sqlite3"
    if not path.exists():
        tmp = path.with_name(path.name + ".building")
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            p.unlink(missing_ok=True)
        t = time.perf_counter()
        info = build(tmp, *args)
        for suffix in ("-wal", "-shm"):  # left empty by the last checkpoint
            side = Path(f"{tmp}{suffix}")
            if side.exists() and (suffix == "-shm" or side.stat().st_size == 0):
                side.unlink()
        tmp.rename(path)
        print(f"  built {path.name}: {info} in {time.perf_counter() - t:.0f} s")
    return path
