"""One learner session hammering a shared database, for `python bench/run.py concurrency`.

    python bench/concurrency_driver.py DB SECONDS SEED CARDS.json [full|normal]

Opens DB as every command does (quizzer.db.connect, quizzer.store.Store), prints `ready`,
waits for one line on stdin (so all drivers start together), then records answers as fast
as it can for SECONDS through Store.record, exactly as a session does: on the shared cards
of CARDS.json (card id -> the question's dict, or null for a concept card), 70% scheduled
reviews (Good when right, Again when wrong) and 30% practice; a fifth of the right reviews
are then re-rated Hard or Easy with Store.change_rating (False, and nothing changed, when
another driver has reviewed the card since). Prints one JSON line: what it recorded, under
which session id, the rating each of its reviews must now have, and the time of each call.

With `normal`, its own connections run with PRAGMA synchronous=NORMAL instead of quizzer's
FULL (an SQLAlchemy connect event on the engine connect() returns; quizzer is unchanged).
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid


def main() -> None:
    db, seconds, seed, cards_file = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    sync = sys.argv[5] if len(sys.argv) > 5 else "full"
    from sqlalchemy import event

    from quizzer.db import connect
    from quizzer.errors import QuizzerError
    from quizzer.question import Question
    from quizzer.schedule import Rating, make_scheduler
    from quizzer.store import Store

    engine = connect(db)
    if sync == "normal":

        @event.listens_for(engine, "connect")
        def _normal(dbapi_con, _record) -> None:  # after quizzer's creator set FULL
            dbapi_con.execute("PRAGMA synchronous=NORMAL")

        engine.dispose()  # the connection connect() opened was made before the listener
    store = Store(engine)
    with engine.connect() as c:
        synchronous = c.exec_driver_sql("PRAGMA synchronous").scalar()  # 2 FULL, 1 NORMAL
    scheduler = make_scheduler(0.9)
    with open(cards_file) as f:
        cards = {int(k): (Question.from_dict(v) if v else None) for k, v in json.load(f).items()}
    ids = sorted(cards)
    rng = random.Random(seed)
    session = uuid.uuid4().hex
    record_ms: list[float] = []
    rerate_ms: list[float] = []
    ratings: dict[int, int | None] = {}  # review id -> the rating it must have (None: practice)
    rerated = not_rerated = failed = 0
    print("ready", flush=True)
    sys.stdin.readline()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        cid = rng.choice(ids)
        q = cards[cid]
        mode = "review" if rng.random() < 0.7 else "practice"
        correct = rng.random() < 0.8
        rating = (Rating.GOOD if correct else Rating.AGAIN) if mode == "review" else None
        t = time.perf_counter()
        try:
            rid = store.record(
                cid, mode, question=q, typed=(q.answer if correct else "0") if q else None,
                correct=correct, rating=rating, duration_ms=rng.randint(2000, 30000),
                scheduler=scheduler, session_id=session,
            )  # fmt: skip
        except QuizzerError:
            failed += 1
            continue
        record_ms.append((time.perf_counter() - t) * 1000)
        ratings[rid] = int(rating) if rating is not None else None
        if mode == "review" and correct and rng.random() < 0.2:
            new = rng.choice((Rating.HARD, Rating.EASY))
            t = time.perf_counter()
            try:
                changed = store.change_rating(rid, new, scheduler)
            except QuizzerError:
                failed += 1
                continue
            rerate_ms.append((time.perf_counter() - t) * 1000)
            if changed:
                ratings[rid] = int(new)
                rerated += 1
            else:
                not_rerated += 1
    print(json.dumps({
        "session": session, "seconds": seconds, "synchronous": synchronous,
        "answers": len(record_ms), "failed": failed, "rerated": rerated,
        "not_rerated": not_rerated, "record_ms": record_ms, "rerate_ms": rerate_ms,
        "ratings": ratings,
    }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
