"""The path from a session into the database, end to end in a real terminal (issue 8).

Each test prepares a learner's database through the library (as earlier sessions would
have left it), drives the real `quizzer` command in a pseudo-terminal, then reads the
SQLite file and asserts exactly what was stored: the rating each key stands for and the
FSRS state it leads to, the misconception behind a wrong answer, what `config
new-per-day` and `config retention` do to the next session, and what practice, a skip
and `q` leave alone.

The command is this environment's `quizzer` script, which puts PYTHONPATH before the
editable install: `PYTHONPATH=/copy pytest` runs these tests against a copy of the
package (that is how each test here was shown to fail on a mutated copy).
"""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pexpect
import pytest
from sqlalchemy import select

from quizzer.answers import format_value, grade, typed_form
from quizzer.db import connect
from quizzer.models import Card, CardState, Review, utcnow
from quizzer.prefetch import installed_torch_version
from quizzer.question import Question
from quizzer.schedule import (
    DEFAULT_RETENTION,
    NEW,
    Rating,
    make_scheduler,
    next_state,
    recall_at,
)
from quizzer.session import practice_plan
from quizzer.store import Store, catalog
from quizzer.verify import draw

TIMEOUT = 60
SKILL_HEADER = r"── #(\d+) · ([a-z0-9-]+) · level (\d+) · review ──"
CONCEPT_HEADER = r"── #(\d+) · concept · (.+?) · review ──"
RATE_PROMPT = "Rated Good. Enter keeps it; h Hard, e Easy: "
SHOW_PROMPT = "(Enter shows the answer; s skip, q quit) "
GRADE_PROMPT = "Did you know it? 1 Again, 2 Hard, Enter Good, 4 Easy: "
REVIEW, RELEARNING = 2, 3  # fsrs.State


# ---------------------------------------------------------------- running quizzer


def quizzer_command() -> list[str]:
    exe = shutil.which("quizzer", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "quizzer"]


def child_env() -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1"}
    for key in ("QUIZZER_DB", "QUIZZER_LANG", "QUIZZER_DEBUG"):
        env.pop(key, None)
    return env


def spawn(db: Path, *args: str) -> pexpect.spawn:
    cmd = quizzer_command()
    child = pexpect.spawn(
        cmd[0],
        [*cmd[1:], "--db", str(db), *args],
        env=child_env(),
        cwd=str(db.parent),  # never the repository: `python -m` would import from the cwd
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(50, 200),  # wide: feedback lines are not wrapped
    )
    child.logfile_read = io.StringIO()
    return child


def finish(child: pexpect.spawn) -> str:
    """Wait for the session to end; its whole output. (After its summary quizzer still lets
    the background verifier finish the question or torch import it is on: usually a second,
    much longer on a machine short of memory, hence the long wait.)"""
    try:
        child.expect(pexpect.EOF, timeout=5 * TIMEOUT)
    finally:
        child.close()
    out = child.logfile_read.getvalue()
    assert child.exitstatus == 0, out
    return out


def config(db: Path, key: str, value: str) -> None:
    cmd = quizzer_command()
    done = subprocess.run(
        [*cmd, "--db", str(db), "config", key, value],
        env=child_env(),
        cwd=str(db.parent),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{key} = {float(value) if '.' in value else int(value)}"


def answer_skill(child: pexpect.spawn, q: Question, rating_key: str | None = None) -> None:
    """Answer the question on screen right; in review, then press `rating_key`."""
    child.expect_exact("answer> ")
    child.sendline(typed_form(q))
    child.expect_exact("Correct: ")
    if rating_key is not None:
        child.expect_exact(RATE_PROMPT)
        child.sendline(rating_key)


# ---------------------------------------------------------------- the learner's database


@dataclass
class Stored:
    reviews: list[Review]
    states: dict[int, CardState]
    uids: dict[int, str]
    retention: float


def read(db: Path) -> Stored:
    store = Store(connect(str(db)))
    try:
        with store.session() as s:
            reviews = list(s.scalars(select(Review).order_by(Review.id)))
            states = {st.card_id: st for st in s.scalars(select(CardState))}
            uids = {c.id: c.uid for c in s.scalars(select(Card))}
        retention = store.get_setting("retention")
    finally:
        store.engine.dispose()
    return Stored(reviews, states, uids, retention)


def snapshot(stored: Stored) -> dict[int, tuple]:
    return {
        cid: (st.state, st.step, st.stability, st.difficulty, st.due, st.last_review)
        for cid, st in stored.states.items()
    }


class Learner:
    """A database as earlier sessions would have left it, built through the library."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.store = Store(connect(str(db)))
        self.store.sync_catalog()
        with self.store.session() as s:
            self.ids = {c.uid: c.id for c in s.scalars(select(Card))}
        self.scheduler = make_scheduler(DEFAULT_RETENTION, fuzz=False)

    def mature(self, uid: str, due_at: datetime, interval: int = 40) -> int:
        """Good reviews, each on the day the card fell due, until FSRS gives an interval of at
        least `interval` days; the history is placed so that the card falls due at `due_at`."""
        card_id = self.ids[uid]
        before = {"state": NEW, "step": None, "stability": None, "difficulty": None}
        before |= {"due": None, "last_review": None}
        t, times = datetime(2000, 1, 1, tzinfo=UTC), []
        while True:  # FSRS depends only on time differences: simulate, then shift
            after = next_state(self.scheduler, card_id, before, Rating.GOOD, t)
            times.append(t)
            if after["due"] - t >= timedelta(days=interval):
                break
            before = after | {"due": after["due"].isoformat()}
            before["last_review"] = after["last_review"].isoformat()
            t = after["due"]
        shift = due_at - after["due"]
        for t in times:
            self.store.record(
                card_id,
                "review",
                question=None,
                typed=None,
                correct=True,
                rating=Rating.GOOD,
                duration_ms=3000,
                scheduler=self.scheduler,
                now=t + shift,
            )
        state = self.store.card_state(card_id)
        assert state["state"] == REVIEW and datetime.fromisoformat(state["due"]) == due_at
        return card_id

    def keep(self, *questions: Question) -> None:
        """Verified questions a session takes before drawing its own (kept variants)."""
        self.store.add_variants(questions, installed_torch_version())

    def close(self) -> None:
        self.store.engine.dispose()


def fuzz_bounds(days: int) -> tuple[int, int]:
    """The interval fsrs may choose when fuzzing an interval of `days` (fsrs 6's ranges;
    its rounding of a uniform draw over [lo, hi + 1) can reach hi + 1)."""
    if days < 2.5:
        return days, days
    delta = 1.0 + 0.15 * max(min(days, 7) - 2.5, 0) + 0.1 * max(min(days, 20) - 7, 0)
    delta += 0.05 * max(days - 20, 0)
    lo, hi = max(2, round(days - delta)), round(days + delta)
    return min(lo, hi), hi + 1


def assert_state_follows(review: Review, state: CardState, retention: float) -> None:
    """The card's state is what FSRS gives for the stored rating from the state before the
    review, at the time it was stored: due exactly, or in the Review state within fsrs's
    fuzz range and equal to quizzer's replay (its fuzz is seeded by the review itself). The
    review's prior state and predicted recall are those of the state before."""
    exp = next_state(
        make_scheduler(retention, fuzz=False),
        review.card_id,
        review.state_before,
        Rating(review.rating),
        review.reviewed_at,
    )
    assert review.prior_state == review.state_before["state"]
    recall = recall_at(review.state_before, review.reviewed_at)
    assert (review.retrievability is None) == (recall is None)
    assert recall is None or math.isclose(review.retrievability, recall, rel_tol=1e-12)
    assert (state.state, state.step) == (exp["state"], exp["step"])
    assert math.isclose(state.stability, exp["stability"], rel_tol=1e-12)
    assert math.isclose(state.difficulty, exp["difficulty"], rel_tol=1e-12)
    assert state.last_review == review.reviewed_at
    if exp["state"] == REVIEW:  # fuzzed: within fsrs's range, and as quizzer replays it
        interval = state.due - review.reviewed_at
        lo, hi = fuzz_bounds((exp["due"] - review.reviewed_at).days)
        assert interval == timedelta(days=interval.days) and lo <= interval.days <= hi
        replayed = next_state(
            make_scheduler(retention),
            review.card_id,
            review.state_before,
            Rating(review.rating),
            review.reviewed_at,
        )
        assert state.due == replayed["due"]
    else:
        assert state.due == exp["due"]


@pytest.fixture(scope="module")
def kept() -> dict[tuple[str, int], Question]:
    """A verified question (seed 0) for every skill."""
    skills = [(e.family, e.difficulty) for e in catalog() if e.kind == "skill"]
    return {(f, lvl): draw(f, 0, lvl) for f, lvl in skills}


def concept_uids() -> list[str]:
    return [e.uid for e in catalog() if e.kind == "concept"]


# ---------------------------------------------------------------- ratings in `review`

# every key the rating prompt takes after a right answer, and what it stores
RATING_CASES = [
    ("", Rating.GOOD),
    ("g", Rating.GOOD),
    ("good", Rating.GOOD),
    ("3", Rating.GOOD),
    ("h", Rating.HARD),
    ("hard", Rating.HARD),
    ("2", Rating.HARD),
    ("H", Rating.HARD),
    ("e", Rating.EASY),
    ("easy", Rating.EASY),
    ("4", Rating.EASY),
    ("E", Rating.EASY),
    # a Chinese IME types full-width keys: the same keys
    ("３", Rating.GOOD),
    ("２", Rating.HARD),
    ("ｈ", Rating.HARD),
    ("４", Rating.EASY),
    ("Ｅ", Rating.EASY),
]


def test_rating_keys_store_their_rating_and_fsrs_state(db_path: Path, kept):
    """Twelve due skills, each answered right and rated with one key: the review stores
    the key's rating, and the card's state is FSRS's for that rating from the state before.
    A key the prompt does not know is asked again and changes nothing."""
    skills = list(kept)[: len(RATING_CASES)]
    learner = Learner(db_path)
    start = utcnow() - timedelta(hours=3)
    for i, (fam, lvl) in enumerate(skills):  # due one minute apart: shown in this order
        learner.mature(f"skill:{fam}:{lvl}", start + timedelta(minutes=i))
        learner.keep(kept[fam, lvl])
    learner.close()
    before = snapshot(read(db_path))

    child = spawn(db_path, "review", "--limit", str(len(skills)))
    for i, ((fam, lvl), (key, rating)) in enumerate(zip(skills, RATING_CASES, strict=True)):
        child.expect(SKILL_HEADER)
        assert (child.match.group(2), int(child.match.group(3))) == (fam, lvl)
        if i == 4:  # an unknown key first: asked again
            answer_skill(child, kept[fam, lvl], "x")
            child.expect_exact("Press Enter to keep Good, or type h (Hard) or e (Easy)")
            child.expect_exact(RATE_PROMPT)
            child.sendline(key)
        else:
            answer_skill(child, kept[fam, lvl], key)
        if rating != Rating.GOOD:
            child.expect_exact(f"Rated {rating.name.title()}.")
    child.expect_exact(f"Session over: {len(skills)} answered")
    finish(child)

    stored = read(db_path)
    reviews = [r for r in stored.reviews if r.reviewed_at > start]
    assert [(stored.uids[r.card_id], r.rating) for r in reviews] == [
        (f"skill:{fam}:{lvl}", int(rating))
        for (fam, lvl), (_key, rating) in zip(skills, RATING_CASES, strict=True)
    ]
    for r, (fam, lvl) in zip(reviews, skills, strict=True):
        q = kept[fam, lvl]
        assert (r.mode, r.correct, r.skipped) == ("review", True, False)
        assert r.typed_answer == typed_form(q)
        assert r.question == q.to_dict() and (r.seed, r.generator_version) == (q.seed, q.version)
        assert r.state_before["state"] == REVIEW
        s0 = before[r.card_id]
        assert r.state_before["stability"] == s0[2] and r.state_before["difficulty"] == s0[3]
        assert_state_follows(r, stored.states[r.card_id], stored.retention)
    # the three ratings really lead to three different states
    stabilities = {r.rating: stored.states[r.card_id].stability for r in reviews}
    assert len(set(stabilities.values())) == 3


@pytest.mark.parametrize(
    "key, rating, state, step, due_in",
    [
        ("h", Rating.HARD, 1, 0, timedelta(minutes=5, seconds=30)),
        ("", Rating.GOOD, 1, 1, timedelta(minutes=10)),
        ("e", Rating.EASY, REVIEW, None, None),
    ],
    ids=["hard", "good", "easy"],
)
def test_rating_a_new_card(db_path: Path, kept, key, rating, state, step, due_in):
    """A new card answered right: Hard stays in learning (due half-way between the steps),
    Good takes the next learning step, Easy graduates to Review at once."""
    learner = Learner(db_path)
    first = learner.store.next_card(utcnow(), 1)
    assert first.kind == "skill"
    q = kept[first.family, first.difficulty]
    learner.keep(q)
    learner.close()

    child = spawn(db_path, "review", "--limit", "1")
    answer_skill(child, q, key)
    child.expect_exact("Session over: 1 answered")
    finish(child)

    stored = read(db_path)
    [r] = stored.reviews
    assert (r.card_id, r.rating, r.correct, r.prior_state) == (first.id, int(rating), True, NEW)
    st = stored.states[first.id]
    assert (st.state, st.step) == (state, step)
    if due_in is not None:
        assert st.due - r.reviewed_at == due_in
    assert_state_follows(r, st, stored.retention)


def test_wrong_answers_misconception_skip_and_quit_in_review(db_path: Path, kept):
    """Review: an answer a known mistake explains stores Again and that misconception,
    typed as given, and names it; an unexplained wrong answer stores Again and no
    misconception; `s` stores a skipped Again; `q` ends the session storing nothing for
    the question on screen, whose card keeps its state."""
    conv, other, skipped = kept["conv-output", 1], kept["z-score", 1], kept["one-hot", 1]
    mistake = next(m for m in conv.misconceptions if m.id == "no-plus-one")
    unexplained = unexplained_wrong(other)
    uids = ["skill:conv-output:1", "skill:z-score:1", "skill:one-hot:1", "skill:affine:1"]
    learner = Learner(db_path)
    start = utcnow() - timedelta(hours=3)
    for i, uid in enumerate(uids):
        learner.mature(uid, start + timedelta(minutes=i))
    learner.keep(conv, other, skipped, kept["affine", 1])
    learner.close()
    before = snapshot(read(db_path))

    child = spawn(db_path, "review")
    typed_mistake = format_value(mistake.value, conv.kind) + (".0" if conv.kind == "int" else "")
    child.expect_exact("answer> ")
    child.sendline(typed_mistake)
    child.expect_exact(f"Not quite. The answer is {conv.answer}.")
    child.expect_exact("Worked solution:")
    feedback = child.before
    child.expect_exact("answer> ")
    child.sendline(unexplained)
    child.expect_exact(f"Not quite. The answer is {other.answer}.")
    child.expect_exact("Worked solution:")
    feedback_unexplained = child.before
    child.expect_exact("answer> ")
    child.sendline("s")
    child.expect_exact(f"Skipped. The answer is {skipped.answer}.")
    child.expect(SKILL_HEADER)
    assert child.match.group(2) == "affine"
    child.expect_exact("answer> ")
    child.sendline("q")
    child.expect_exact("Session over: 3 answered")
    finish(child)

    assert "Likely mistake (no-plus-one): The formula ends with + 1" in feedback
    assert "Likely mistake" not in feedback_unexplained
    stored = read(db_path)
    reviews = [r for r in stored.reviews if r.reviewed_at > start]
    assert [
        (stored.uids[r.card_id], r.typed_answer, r.correct, r.skipped, r.misconception, r.rating)
        for r in reviews
    ] == [
        (uids[0], typed_mistake, False, False, "no-plus-one", 1),
        (uids[1], unexplained, False, False, None, 1),
        (uids[2], None, False, True, None, 1),
    ]
    for r in reviews:
        assert_state_follows(r, stored.states[r.card_id], stored.retention)
        assert stored.states[r.card_id].state == RELEARNING
    quit_card = learner.ids[uids[3]]
    assert snapshot(stored)[quit_card] == before[quit_card]
    assert len({r.session_id for r in reviews}) == 1 and reviews[0].session_id


def unexplained_wrong(q: Question) -> str:
    """A wrong answer to q that none of its misconceptions explains."""
    for value in (q.expected, *(m.value for m in q.misconceptions)):
        if q.kind in ("int", "number"):
            text = str(value + 1000)
        elif q.kind in ("shape", "vector"):
            text = format_value([v + 1000 for v in value], q.kind)
        else:
            continue
        g = grade(q, text)
        if not g.correct and g.misconceptions == ():
            return text
    raise AssertionError(f"no unexplained wrong answer for {q.generator} ({q.kind})")


# ---------------------------------------------------------------- concept cards

CONCEPT_CASES = [
    ("1", Rating.AGAIN),
    ("a", Rating.AGAIN),
    ("again", Rating.AGAIN),
    ("2", Rating.HARD),
    ("h", Rating.HARD),
    ("hard", Rating.HARD),
    ("", Rating.GOOD),
    ("3", Rating.GOOD),
    ("g", Rating.GOOD),
    ("good", Rating.GOOD),
    ("4", Rating.EASY),
    ("e", Rating.EASY),
    ("easy", Rating.EASY),
    ("１", Rating.AGAIN),  # full-width, as a Chinese IME types them
    ("２", Rating.HARD),
    ("３", Rating.GOOD),
    ("４", Rating.EASY),
    ("ａ", Rating.AGAIN),
    ("s", Rating.AGAIN),  # skipped at "Enter shows the answer"
    ("ｓ", Rating.AGAIN),
]


def test_concept_self_grading_keys(db_path: Path):
    """Due concept cards graded with every key (1/a/again, 2/h/hard, Enter/3/g/good,
    4/e/easy, and s to skip): each stores its rating and FSRS's state for it; `q` at the
    next card ends the session without storing it."""
    uids = concept_uids()[: len(CONCEPT_CASES) + 1]
    learner = Learner(db_path)
    start = utcnow() - timedelta(hours=3)
    for i, uid in enumerate(uids):
        learner.mature(uid, start + timedelta(minutes=i))
    learner.close()
    before = snapshot(read(db_path))

    child = spawn(db_path, "review")
    for i, (key, _rating) in enumerate(CONCEPT_CASES):
        child.expect(CONCEPT_HEADER)
        child.expect_exact(SHOW_PROMPT)
        if key in ("s", "ｓ"):
            child.sendline(key)
            continue
        child.sendline("")
        child.expect_exact(GRADE_PROMPT)
        if i == 2:  # an unknown key first: asked again
            child.sendline("x")
            child.expect_exact("Type 1, 2, 4, or press Enter for 3 (Good)")
            child.expect_exact(GRADE_PROMPT)
        child.sendline(key)
    child.expect(CONCEPT_HEADER)
    child.expect_exact(SHOW_PROMPT)
    child.sendline("q")
    child.expect_exact(f"Session over: {len(CONCEPT_CASES)} answered")
    finish(child)

    stored = read(db_path)
    reviews = [r for r in stored.reviews if r.reviewed_at > start]
    assert [(stored.uids[r.card_id], r.rating, r.correct, r.skipped) for r in reviews] == [
        (uid, int(rating), rating != Rating.AGAIN, key in ("s", "ｓ"))
        for uid, (key, rating) in zip(uids, CONCEPT_CASES, strict=False)
    ]
    for r in reviews:
        assert (r.mode, r.typed_answer, r.question, r.misconception) == ("review", None, None, None)
        assert r.duration_ms is not None and r.duration_ms >= 0
        assert_state_follows(r, stored.states[r.card_id], stored.retention)
    quit_card = learner.ids[uids[-1]]
    assert snapshot(stored)[quit_card] == before[quit_card]


# ---------------------------------------------------------------- practice (`quiz`)


def quiz_with_a_misconception() -> tuple[int, list[Question]]:
    """A --seed whose conv-output level-1 quiz starts with a question that has a named
    mistake, then one whose answer can be typed unusually (shape or whole number)."""
    for seed in range(200):
        plan = practice_plan(["conv-output"], 4, seed, 1)
        qs = [draw(f, s, lvl) for f, lvl, s in plan]
        if qs[0].misconceptions and qs[1].kind in ("int", "shape"):
            return seed, qs
    raise AssertionError("no such seed")


def unusual_form(q: Question) -> str:
    """A right answer typed unlike typed_form: 7.0 for 7, 1x6x28x28 for (1, 6, 28, 28)."""
    if q.kind == "int":
        return f"{q.expected}.0"
    return "x".join(str(v) for v in q.expected)


def test_practice_stores_answers_and_leaves_the_schedule_alone(db_path: Path):
    """`quiz`: a named mistake, a right answer typed unusually, an unexplained wrong
    answer and a skip are stored as practice (no rating), each as typed, with its
    misconception, its duration and one session id; no card's FSRS state changes. A
    second quiz has another session id, and `q` stores nothing for the question on screen."""
    seed, qs = quiz_with_a_misconception()
    mistake = qs[0].misconceptions[0]
    typed = [format_value(mistake.value, qs[0].kind), unusual_form(qs[1]), unexplained_wrong(qs[2])]
    assert typed[1] != typed_form(qs[1]) and grade(qs[1], typed[1]).correct
    learner = Learner(db_path)
    learner.mature("skill:conv-output:1", utcnow() - timedelta(days=2))  # a scheduled card
    learner.close()
    before = snapshot(read(db_path))

    args = ("quiz", "conv-output", "--level", "1", "--seed")
    child = spawn(db_path, *args, str(seed), "-n", "4")
    child.expect_exact("answer> ")
    waited = time.monotonic()
    time.sleep(1.0)  # the answer took at least a second
    waited = time.monotonic() - waited
    child.sendline(typed[0])
    child.expect_exact("Not quite")
    child.expect_exact("Worked solution:")
    assert f"Likely mistake ({mistake.id})" in child.before
    child.expect_exact("answer> ")
    child.sendline(typed[1])
    child.expect_exact("Correct")
    child.expect_exact("answer> ")
    assert RATE_PROMPT not in child.before  # practice asks for no rating
    child.sendline(typed[2])
    child.expect_exact("Not quite")
    child.expect_exact("answer> ")
    child.sendline("s")
    child.expect_exact("Skipped.")
    child.expect_exact("Session over: 4 answered")
    finish(child)

    seed2 = seed + 1
    q2 = [draw(f, s, lvl) for f, lvl, s in practice_plan(["conv-output"], 2, seed2, 1)]
    child = spawn(db_path, *args, str(seed2), "-n", "2")
    child.expect_exact("answer> ")
    child.sendline(typed_form(q2[0]))
    child.expect_exact("Correct")
    child.expect_exact("answer> ")
    child.sendline("q")
    child.expect_exact("Session over: 1 answered")
    finish(child)

    stored = read(db_path)
    practice = [r for r in stored.reviews if r.mode == "practice"]
    assert [
        (r.seed, r.typed_answer, r.correct, r.skipped, r.misconception, r.rating) for r in practice
    ] == [
        (qs[0].seed, typed[0], False, False, mistake.id, None),
        (qs[1].seed, typed[1], True, False, None, None),
        (qs[2].seed, typed[2], False, False, None, None),
        (qs[3].seed, None, False, True, None, None),
        (q2[0].seed, typed_form(q2[0]), True, False, None, None),
    ]
    assert [r.question for r in practice] == [q.to_dict() for q in (*qs, q2[0])]
    assert all(stored.uids[r.card_id] == "skill:conv-output:1" for r in practice)
    assert all(isinstance(r.duration_ms, int) and r.duration_ms >= 0 for r in practice)
    assert practice[0].duration_ms >= int(waited * 1000)
    first, second = {r.session_id for r in practice[:4]}, {practice[4].session_id}
    assert len(first) == 1 and None not in first and first != second and None not in second
    assert snapshot(stored) == before  # practice never touches the schedule


# ---------------------------------------------------------------- settings


def answer_every_card(child: pexpect.spawn, kept, cap: int = 6) -> list[str]:
    """Answer each card the session shows (a skill right, rated Easy; a concept card graded
    Easy: none comes back today) until it ends; the uids shown ("concept" for a concept
    card). Quits (q) at the card after `cap` cards."""
    shown = []
    patterns = [SKILL_HEADER, CONCEPT_HEADER, r"Session over: \d+ answered", "Nothing is due"]
    while True:
        i = child.expect(patterns)
        if i >= 2:
            return shown
        if len(shown) == cap:
            child.expect_exact(SHOW_PROMPT if i == 1 else "answer> ")
            child.sendline("q")
            child.expect_exact("Session over")
            return shown
        if i == 1:  # new concept cards take turns with skills (quizzer.newcards)
            child.expect_exact(SHOW_PROMPT)
            child.sendline("")
            child.expect_exact(GRADE_PROMPT)
            child.sendline("4")
            shown.append("concept")
            continue
        fam, lvl = child.match.group(2), int(child.match.group(3))
        answer_skill(child, kept[fam, lvl], "e")
        shown.append(f"skill:{fam}:{lvl}")


@pytest.mark.parametrize(
    "new_per_day, new_option, introduced_earlier, shown",
    [(2, None, 0, 2), (3, None, 0, 3), (3, None, 1, 2), (3, 1, 0, 1), (0, None, 0, 0)],
    ids=["setting-2", "setting-3", "setting-3-one-earlier-today", "option-overrides", "zero"],
)
def test_new_per_day_setting_limits_the_next_review(
    db_path: Path, kept, new_per_day, new_option, introduced_earlier, shown
):
    """`config new-per-day N`: the next `review` introduces N new cards, less those an
    earlier review introduced today (practice introduces none), then ends; `--new K`
    overrides the setting."""
    learner = Learner(db_path)
    now = utcnow()
    for _ in range(introduced_earlier):  # an earlier session today, rated Easy
        card = learner.store.next_card(now, 1)
        learner.store.record(card.id, "review", question=None, typed=None, correct=True,
                             rating=Rating.EASY, duration_ms=1000,
                             scheduler=learner.scheduler, now=now)  # fmt: skip
    # practice today, of the next new card and of one introduced only days from now
    for card_id in (learner.store.next_card(now, 1).id, learner.ids["skill:z-score:3"]):
        learner.store.record(card_id, "practice", question=None, typed=None, correct=True,
                             rating=None, duration_ms=1000, now=now)  # fmt: skip
    learner.keep(*kept.values())
    learner.close()
    config(db_path, "new-per-day", str(new_per_day))

    args = ["review"] if new_option is None else ["review", "--new", str(new_option)]
    child = spawn(db_path, *args)
    cards = answer_every_card(child, kept)
    out = finish(child)

    assert len(cards) == shown, out
    if shown == 0:
        assert "Nothing is due right now." in out
    stored = read(db_path)
    introduced = [r for r in stored.reviews if r.mode == "review" and r.prior_state == NEW]
    assert len(introduced) == introduced_earlier + shown
    uids = [stored.uids[r.card_id] for r in introduced[introduced_earlier:]]
    assert [u if u.startswith("skill:") else "concept" for u in uids] == cards
    assert all(r.rating == Rating.EASY for r in introduced)


def test_retention_setting_changes_the_next_interval(tmp_path: Path, kept):
    """`config retention`: the same right answer on the same mature card is scheduled
    much later at 0.70 than at 0.97, each as FSRS computes it for that retention."""
    q = kept["z-score", 1]
    due_at = utcnow() - timedelta(hours=1)
    intervals = {}
    for retention in ("0.70", "0.97"):
        db = tmp_path / retention / "learner.sqlite3"
        db.parent.mkdir()
        learner = Learner(db)
        learner.mature("skill:z-score:1", due_at, interval=60)
        learner.keep(q)
        learner.close()
        config(db, "retention", retention)

        child = spawn(db, "review", "--limit", "1")
        answer_skill(child, q, "")
        child.expect_exact("Session over: 1 answered")
        finish(child)

        stored = read(db)
        assert stored.retention == float(retention)
        r = stored.reviews[-1]
        assert (r.mode, r.correct, r.rating, r.state_before["state"]) == ("review", True, 3, REVIEW)
        st = stored.states[r.card_id]
        assert_state_follows(r, st, float(retention))
        intervals[retention] = (st.due - r.reviewed_at).days
    # fuzz moves an interval by at most about 5%: these differ several times over
    assert intervals["0.70"] > 3 * intervals["0.97"], intervals


def coinciding_conv_question() -> tuple[Question, tuple[str, ...]]:
    """A conv-output level-1 question two of whose known mistakes give the same answer."""
    for seed in range(1000):
        q = draw("conv-output", seed, 1)
        for m in q.misconceptions:
            same = tuple(k.id for k in q.misconceptions if k.value == m.value)
            if len(same) > 1 and q.kind == "int":
                return q, same
    raise AssertionError("no conv-output question with coinciding mistakes")


def test_an_answer_two_mistakes_explain_names_both_and_stores_both(db_path: Path):
    """'either … or …' on screen, both ids in the review row, and stats counts each."""
    q, ids = coinciding_conv_question()
    value = next(m.value for m in q.misconceptions if m.id == ids[0])
    learner = Learner(db_path)
    learner.mature("skill:conv-output:1", utcnow() - timedelta(hours=3))
    learner.keep(q)
    learner.close()

    child = spawn(db_path, "review", "--limit", "1")
    child.expect_exact("answer> ")
    child.sendline(str(value))
    child.expect_exact(f"Not quite. The answer is {q.answer}.")
    child.expect_exact("Worked solution:")
    feedback = child.before
    child.expect_exact("Session over: 1 answered")
    finish(child)

    assert f"{len(ids)} known mistakes give exactly this answer" in feedback
    assert f"either ({ids[0]}): " in feedback and f"or ({ids[1]}): " in feedback
    stored = read(db_path)
    last = stored.reviews[-1]
    assert (last.typed_answer, last.correct) == (str(value), False)
    assert last.misconception == " ".join(ids)
    store = Store(connect(str(db_path)))
    try:
        from quizzer.stats import compute

        counted = {m["id"]: m["count"] for m in compute(store)["misconceptions"]}
    finally:
        store.engine.dispose()
    assert all(counted[i] == 1 for i in ids)


@pytest.mark.parametrize("where", ["answer", "rating", "self-grade"])
def test_full_width_question_mark_and_q_at_every_prompt(db_path: Path, kept, where: str):
    """？ shows the help at every prompt (answer, rating, concept front and self-grade); ｑ
    ends the session at the answer, rating and self-grade prompts (the answer already
    given is kept, rated Good; an ungraded concept card stores nothing)."""
    q = kept["conv-output", 1]
    uid = concept_uids()[0] if where == "self-grade" else "skill:conv-output:1"
    learner = Learner(db_path)
    learner.mature(uid, utcnow() - timedelta(hours=3))
    learner.keep(q)
    learner.close()
    before = len(read(db_path).reviews)

    child = spawn(db_path, "review")
    if where == "self-grade":
        child.expect_exact(SHOW_PROMPT)
        child.sendline("？")  # help, not the answer
        child.expect_exact("Recall the answer, then press Enter")
        child.expect_exact(SHOW_PROMPT)
        child.sendline("")
        child.expect_exact(GRADE_PROMPT)
        child.sendline("？")
        child.expect_exact("Grade yourself against the answer shown")
        child.expect_exact(GRADE_PROMPT)
        child.sendline("ｑ")
        child.expect_exact("Session over: 0 answered")
    else:
        child.expect_exact("answer> ")
        child.sendline("？")
        child.expect_exact("type a")  # the hint of the answer format
        child.expect_exact("answer> ")
        if where == "answer":
            child.sendline("ｑ")
            child.expect_exact("Session over: 0 answered")
        else:
            child.sendline(typed_form(q))
            child.expect_exact(RATE_PROMPT)
            child.sendline("？")
            child.expect_exact("Your answer is saved, rated Good")
            child.expect_exact(RATE_PROMPT)
            child.sendline("ｑ")
            child.expect_exact("Session over: 1 answered")
    finish(child)
    reviews = read(db_path).reviews[before:]
    assert [r.rating for r in reviews] == ([int(Rating.GOOD)] if where == "rating" else [])
