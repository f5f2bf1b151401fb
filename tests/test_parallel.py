"""quizzer.parallel runs a read-only computation in a forked child when the process has one
thread, and otherwise (or when the child fails) gives exactly what a plain call gives."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from quizzer.db import connect
from quizzer.schedule import Rating, make_scheduler
from quizzer.store import Store
from tests.simulate import NOW

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, threading
    from quizzer import parallel
    from quizzer.calibration import calibration
    from quizzer.db import connect
    from quizzer.store import Store

    store = Store(connect(sys.argv[1]))
    mode = sys.argv[2]
    if mode == "thread":  # a second thread: no fork
        stop = threading.Event()
        t = threading.Thread(target=stop.wait)
        t.start()
    def pid_and_figures(store, fail=False):
        if fail and os.getpid() != PARENT:
            os._exit(3)  # the child dies without a result
        return os.getpid(), calibration(store)
    PARENT = os.getpid()
    pending = parallel.start(pid_and_figures, store, fail=(mode == "die"))
    pid, figures = pending()
    if mode == "thread":
        stop.set()
    print(json.dumps({"parent": PARENT, "pid": pid, "figures": figures,
                      "plain": calibration(store)}))
    """
)


@pytest.fixture(scope="module")
def learner(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parallel") / "learner.sqlite3"
    s = Store(connect(str(path)))
    s.sync_catalog()
    scheduler = make_scheduler(0.9, fuzz=False)
    for day, right in [(0, True), (1, True), (4, False), (4.01, True), (12, True), (30, False)]:
        card = s.skill_card("conv-output", 1)
        s.record(
            card.id, "review", question=None, typed=None, correct=right,
            rating=Rating.GOOD if right else Rating.AGAIN, duration_ms=1000,
            scheduler=scheduler, now=NOW - timedelta(days=40 - day),
        )  # fmt: skip
    s.engine.dispose()
    return path


def run(path: Path, mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), mode],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return json.loads(out.stdout)


def test_single_thread_forks_and_gives_the_plain_result(learner: Path) -> None:
    r = run(learner, "fork")
    assert r["pid"] != r["parent"]  # computed in the child
    assert r["figures"] == r["plain"]
    assert r["figures"]["reviews"] == 4  # 1, 3, 8 and 26 days after the previous review


def test_a_second_thread_means_no_fork(learner: Path) -> None:
    r = run(learner, "thread")
    assert r["pid"] == r["parent"]
    assert r["figures"] == r["plain"]


def test_a_child_that_dies_falls_back_to_the_plain_call(learner: Path) -> None:
    r = run(learner, "die")
    assert r["pid"] == r["parent"]
    assert r["figures"] == r["plain"]
