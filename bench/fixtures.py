"""Build benchmark databases through quizzer's own schema and catalog."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


MISTAKES = ["padding-once", "floor-vs-ceil", "rf-no-strides", "z-wrong-correction"]


def build_review_db(path: Path, cards: int, reviews: int, seed: int = 1) -> str:
    """A learner's database of `cards` cards and `reviews` reviews: the real catalog (every
    skill due now, spare verified variants kept as a previous session leaves them), plus
    synthetic concept cards scheduled over the next two months."""
    from quizzer.db import connect
    from quizzer.prefetch import SPARES_PER_SKILL, installed_torch_version
    from quizzer.store import Store
    from quizzer.verify import draw

    rng = random.Random(seed)
    store = Store(connect(str(path)))
    store.sync_catalog()
    now = datetime.now(UTC)
    con = sqlite3.connect(path)
    skill_ids = [r[0] for r in con.execute("SELECT id FROM cards WHERE kind='skill'")]
    n_real = con.execute("SELECT count(*) FROM cards").fetchone()[0]
    # every real skill is in review and overdue: the first prompt needs a verified question
    con.executemany(
        "UPDATE card_states SET state=2, stability=5.0, difficulty=5.0, step=NULL, due=?, "
        "last_review=? WHERE card_id=?",
        [
            (_ts(now - timedelta(hours=i + 1)), _ts(now - timedelta(days=6)), cid)
            for i, cid in enumerate(skill_ids)
        ],
    )
    extra = cards - n_real
    con.executemany(
        "INSERT INTO cards (uid, kind, family, difficulty, deck, active, created_at) "
        "VALUES (?, 'concept', NULL, NULL, 'bench', 1, ?)",
        [(f"concept:bench/card-{i}", _ts(now - timedelta(days=400))) for i in range(extra)],
    )
    ids = [r[0] for r in con.execute("SELECT id FROM cards WHERE deck='bench'")]
    con.executemany(
        "INSERT INTO card_states (card_id, state, step, stability, difficulty, due, last_review) "
        "VALUES (?, 2, NULL, ?, ?, ?, ?)",
        [
            (
                cid,
                rng.uniform(1, 100),
                rng.uniform(1, 10),
                _ts(now + timedelta(days=rng.uniform(0.5, 60))),
                _ts(now - timedelta(days=3)),
            )
            for cid in ids
        ],
    )
    all_ids = skill_ids + ids

    from quizzer.schedule import recall_at

    def before(when: datetime) -> tuple[str, float | None]:
        """A card in the Review state, last reviewed 1-30 days earlier, and its recall."""
        last = when - timedelta(days=rng.randint(1, 30))
        state = {"state": 2, "step": None, "stability": rng.uniform(1, 60), "difficulty": 5.0,
                 "due": when.isoformat(), "last_review": last.isoformat()}  # fmt: skip
        return json.dumps(state), recall_at(state, when)

    for start in range(0, reviews, 100_000):  # in chunks, to keep the builder's memory flat
        rows = []
        for _ in range(min(100_000, reviews - start)):
            when = now - timedelta(days=rng.uniform(1, 365))
            ok = rng.random() < 0.85
            mistake = None if ok or rng.random() < 0.5 else rng.choice(MISTAKES)
            rows.append((rng.choice(all_ids), "review" if rng.random() < 0.8 else "practice",
                         _ts(when), ok, 3 if ok else 1, rng.randint(2000, 30000), *before(when),
                         mistake))  # fmt: skip
        con.executemany(
            "INSERT INTO reviews (card_id, mode, reviewed_at, correct, skipped, rating, "
            "duration_ms, state_before, retrievability, misconception, prior_state) "
            "VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, 2)",
            rows,
        )
    con.commit()
    con.close()
    # the spares a previous session leaves behind
    from quizzer.store import catalog

    skills = [(e.family, e.difficulty) for e in catalog() if e.kind == "skill"]
    qs = [draw(f, rng.randrange(2**31), d) for f, d in skills for _ in range(SPARES_PER_SKILL)]
    store.add_variants(qs, installed_torch_version())
    store.engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    total_cards = con.execute("SELECT count(*) FROM cards").fetchone()[0]
    con.close()
    return f"{total_cards} cards, {reviews} reviews, {len(qs)} kept variants"
