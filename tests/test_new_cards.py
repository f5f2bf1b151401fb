"""The order of new cards (quizzer.newcards, through Store.next_card).

The main test is a learner who reviews every morning for 30 days with the default
new-per-day limit, driven through the real review code: quizzer.session.Session and
review_items (what `quizzer review` runs), QuestionSource (shipped, kept and torch-verified
questions), the store and FSRS, on a real SQLite file, at simulated times. It answers 85%
right (the rest skipped: Again). Afterwards the database says when each card was first
reviewed, and the test checks the policy on that history.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from quizzer import decks, generators, newcards
from quizzer.answers import typed_form
from quizzer.db import connect
from quizzer.i18n import t
from quizzer.models import Card, CardState, Review
from quizzer.prefetch import QuestionSource, Verifier
from quizzer.schedule import DEFAULT_NEW_PER_DAY, NEW, Rating, make_scheduler
from quizzer.session import Item, Session, review_items
from quizzer.store import Store, catalog

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # the first morning (TZ=UTC)
DAYS = 30
SESSION_LIMIT = 50  # `quizzer review`'s default --limit
REVIEW_STATE = 2


def topic_of(uid: str) -> str:
    kind, rest = uid.split(":", 1)
    if kind == "skill":
        return generators.get(rest.rsplit(":", 1)[0]).topic
    deck = rest.split("/", 1)[0]
    return next(d.topic for d in decks.load_decks() if d.id == deck)


def all_topics() -> set[str]:
    return {topic_of(e.uid) for e in catalog()}


# ---------------------------------------------------------------- a simulated learner


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Learner:
    """The terminal of a session: reads each prompt and answers it, 20 s a keypress."""

    def __init__(self, clock: Clock, rng: random.Random, right: float = 0.85) -> None:
        self.clock, self.rng, self.right = clock, rng, right
        self.item: Item | None = None  # the item on screen

    def say(self, text: str = "", style: str | None = None) -> None:
        pass

    def ask(self, prompt: str) -> str:
        self.clock.now += timedelta(seconds=20)
        if prompt == t("answer_prompt", "en"):
            q = self.item.future.result()
            return typed_form(q) if self.rng.random() < self.right else "s"
        if prompt in (t("rating_prompt", "en"), t("concept_show", "en")):
            return ""  # Good; show the answer
        if prompt == t("concept_grade", "en"):
            return "" if self.rng.random() < self.right else "1"
        raise AssertionError(f"unexpected prompt {prompt!r}")


def review_session(store: Store, when: datetime, rng: random.Random) -> int:
    """One `quizzer review` session at `when`, wired as the command wires it; the number
    of cards answered."""
    clock = Clock(when)
    learner = Learner(clock, rng)
    verifier = Verifier()
    source = QuestionSource(store, verifier, rng=random.Random(rng.random()))
    session = Session(store, learner, "review", scheduler=make_scheduler(0.9), clock=clock)
    skills = [(e.family, e.difficulty) for e in catalog() if e.kind == "skill"]
    topped: list[bool] = []  # top up once per session, when the first prompt shows

    def top_up() -> None:
        if not topped:
            topped.append(True)
            source.top_up(skills)

    session.on_shown = top_up
    session.on_answer = source.keep_finished

    def shown():
        new_per_day = store.get_setting("new-per-day")
        for item in review_items(store, source, new_per_day, SESSION_LIMIT, clock):
            learner.item = item
            yield item

    try:
        session.run(shown())
        source.keep_finished()
    finally:
        verifier.close()
    return session.saved


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> tuple[Path, list[Review], dict[int, str], dict[int, CardState]]:
    """30 mornings of review on a new database: its reviews, card uids and final states."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "UTC")
    db = tmp_path_factory.mktemp("month") / "learner.sqlite3"
    store = Store(connect(str(db)))
    store.sync_catalog()
    rng = random.Random(2026)
    try:
        for day in range(DAYS):
            review_session(store, START + timedelta(days=day), rng)
        with store.session() as s:
            reviews = list(s.scalars(select(Review).order_by(Review.reviewed_at, Review.id)))
            uids = {c.id: c.uid for c in s.scalars(select(Card))}
            states = {st.card_id: st for st in s.scalars(select(CardState))}
    finally:
        store.engine.dispose()
        mp.undo()
    return db, reviews, uids, states


def introductions(reviews: list[Review], uids: dict[int, str]) -> list[tuple[int, datetime, str]]:
    """(day, time, uid) of each card's first review, in order."""
    return [
        ((r.reviewed_at - START).days, r.reviewed_at, uids[r.card_id])
        for r in reviews
        if r.mode == "review" and r.prior_state == NEW
    ]


def test_at_most_the_daily_limit_and_the_first_day_full(month):
    _db, reviews, uids, _states = month
    per_day: dict[int, int] = defaultdict(int)
    for day, _when, _uid in introductions(reviews, uids):
        per_day[day] += 1
    assert max(per_day.values()) <= DEFAULT_NEW_PER_DAY
    assert per_day[0] == per_day[1] == DEFAULT_NEW_PER_DAY


def test_the_first_day_interleaves_topics_and_concept_decks(month):
    _db, reviews, uids, _states = month
    first_day = [uid for day, _when, uid in introductions(reviews, uids) if day == 0]
    topics = [topic_of(uid) for uid in first_day]
    assert len(set(topics)) == len(topics), topics  # ten cards, ten topics
    assert any(uid.startswith("concept:") for uid in first_day[:5]), first_day
    assert any(uid.startswith("skill:") for uid in first_day[:2]), first_day


def test_every_topic_appears_in_the_first_week(month):
    _db, reviews, uids, _states = month
    week = {topic_of(uid) for day, _when, uid in introductions(reviews, uids) if day < 7}
    assert week == all_topics()
    assert len(week) >= 15  # the catalog's topics, concept decks' own among them


def test_no_level_comes_before_the_level_below_is_proven(month):
    """Every level 2 or 3 was introduced only once its level below had been answered right
    twice in FSRS's Review state, or held a stability of 7 days or more; and the month
    did climb (levels 2 and 3 were introduced), so the check is not vacuous."""
    _db, reviews, uids, states = month
    ids = {uid: cid for cid, uid in uids.items()}
    by_card: dict[int, list[Review]] = defaultdict(list)
    for r in reviews:
        by_card[r.card_id].append(r)
    climbed = []
    for _day, when, uid in introductions(reviews, uids):
        if not uid.startswith("skill:") or uid.endswith(":1"):
            continue
        family, level = uid.split(":")[1], int(uid.split(":")[2])
        below = by_card[ids[f"skill:{family}:{level - 1}"]]
        before = [r for r in below if r.reviewed_at < when]
        rights = sum(
            r.mode == "review" and r.correct and r.prior_state == REVIEW_STATE for r in before
        )
        later = [r for r in below if r.reviewed_at >= when and r.rating is not None]
        stability = later[0].state_before["stability"] if later else None
        if stability is None:
            stability = states[ids[f"skill:{family}:{level - 1}"]].stability
        assert before, f"{uid} came before {family} level {level - 1} was ever reviewed"
        assert rights >= 2 or stability >= 7, (uid, when, rights, stability)
        climbed.append(level)
    assert 2 in climbed and 3 in climbed, climbed


def test_level_1_and_concept_cards_come_in_the_plans_order(month):
    """Cards that are always eligible (level 1, concept cards) are introduced exactly in
    the plan's order, across the whole month."""
    _db, reviews, uids, _states = month
    rank = newcards.ranks(catalog())
    firsts = [uid for _day, _when, uid in introductions(reviews, uids)
              if not uid.startswith("skill:") or uid.endswith(":1")]  # fmt: skip
    assert len(firsts) > 100
    assert [rank[u] for u in firsts] == sorted(rank[u] for u in firsts)


# ---------------------------------------------------------------- the rules, one by one


def test_the_plan_gives_every_topic_a_turn_before_any_second_turn():
    entries = catalog()
    rank = newcards.ranks(entries)
    plan = sorted((u for u in rank if not u.startswith("skill:") or u.endswith(":1")),
                  key=rank.get)  # fmt: skip
    n = len(all_topics())
    first_turns = [topic_of(u) for u in plan[:n]]
    assert sorted(first_turns) == sorted(all_topics())
    # topics in the notes' order: the first deck's topic first
    assert first_turns[0] == decks.load_decks()[0].topic
    # within a topic, a skill first, then its concept cards alternate with its skills
    conv = [u for u in plan if topic_of(u) == "Convolution"]
    assert conv[:4] == [
        "skill:conv-output:1",
        "concept:2023-09-06/output-no-padding",
        "skill:conv-params:1",
        "concept:2023-09-06/output-with-padding",
    ]
    # a deck's cards keep their file order
    deck = [u for u in plan if u.startswith("concept:2023-08-16/")]
    assert deck == [f"concept:{c.id}" for c in decks.load_decks()[0].cards]
    # a level above 1 takes its family's turn in the next round, before the topic's card
    for e in entries:
        if e.kind == "skill" and e.difficulty > 1:
            below = rank[f"skill:{e.family}:{e.difficulty - 1}"]
            assert below < rank[e.uid] < below + 2 * n + 1


def eligible_now(store: Store) -> set[str]:
    with store.session() as s:
        q = select(Card.uid).join(CardState).where(CardState.state == NEW, newcards.eligible())
        return set(s.scalars(q))


def test_a_level_is_proven_by_two_right_answers_in_review_state_or_7_days(store: Store):
    sched = make_scheduler(0.9, fuzz=False)
    t0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    conv1, conv2 = store.skill_card("conv-output", 1), store.skill_card("conv-output", 2)

    def answer(card, rating, when, correct=True, mode="review"):
        store.record(card.id, mode, question=None, typed="x", correct=correct,
                     rating=rating if mode == "review" else None, duration_ms=1000,
                     scheduler=sched, now=when)  # fmt: skip

    fresh = eligible_now(store)
    assert "skill:conv-output:1" in fresh and "concept:2023-09-06/output-no-padding" in fresh
    assert not any(u.startswith("skill:") and not u.endswith(":1") for u in fresh)
    # right twice the first day (new, then its learning step): not yet proven
    answer(conv1, Rating.GOOD, t0)
    answer(conv1, Rating.GOOD, t0 + timedelta(minutes=10))
    answer(conv1, None, t0 + timedelta(minutes=11), mode="practice")  # practice: no
    assert store.card_state(conv1.id)["state"] == REVIEW_STATE
    assert store.card_state(conv1.id)["stability"] < 7
    assert "skill:conv-output:2" not in eligible_now(store)
    # one right answer in the Review state, rated Hard so the stability stays under 7
    with store.write() as s:  # a short stability, as a lapse would leave
        s.execute(update(CardState).where(CardState.card_id == conv1.id).values(stability=1.0))
    answer(conv1, Rating.HARD, t0 + timedelta(days=2))
    assert store.card_state(conv1.id)["stability"] < 7
    assert "skill:conv-output:2" not in eligible_now(store)
    # a wrong answer in the Review state does not count
    answer(conv1, Rating.AGAIN, t0 + timedelta(days=3), correct=False)
    answer(conv1, Rating.GOOD, t0 + timedelta(days=3, minutes=10))  # relearning step
    assert store.card_state(conv1.id)["stability"] < 7
    assert "skill:conv-output:2" not in eligible_now(store)
    with store.write() as s:  # back in Review with a short stability
        s.execute(update(CardState).where(CardState.card_id == conv1.id)
                  .values(state=REVIEW_STATE, stability=1.0))  # fmt: skip
    answer(conv1, Rating.HARD, t0 + timedelta(days=5))
    assert store.card_state(conv1.id)["stability"] < 7
    now = eligible_now(store)
    assert "skill:conv-output:2" in now and "skill:conv-output:3" not in now
    # the stability rule alone, on another family: 7 days proves, a little less does not
    z1 = store.skill_card("z-score", 1)
    answer(z1, Rating.GOOD, t0)
    for stability, proven in ((6.99, False), (7.0, True)):
        with store.write() as s:
            s.execute(update(CardState).where(CardState.card_id == z1.id)
                      .values(stability=stability))  # fmt: skip
        assert ("skill:z-score:2" in eligible_now(store)) is proven
    # next_card offers what the plan puts first among the eligible cards
    assert store.next_card(t0, new_left=1).uid == min(
        eligible_now(store), key=newcards.ranks(catalog()).get
    )
    assert conv2.uid in eligible_now(store)
