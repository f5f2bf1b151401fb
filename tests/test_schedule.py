"""FSRS scheduling through the store, at fixed UTC times (fuzzing off), exact values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from quizzer.models import Review
from quizzer.schedule import Rating, make_scheduler
from quizzer.store import Store

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def sched():
    return make_scheduler(0.9, fuzz=False)


def answer(store: Store, sched, card_id: int, rating, now, mode="review", correct=True) -> int:
    return store.record(
        card_id,
        mode,
        question=None,
        typed="x",
        correct=correct,
        rating=rating,
        duration_ms=1000,
        scheduler=sched,
        now=now,
    )


def first_new(store: Store):
    return store.next_card(T0, new_left=1)


@pytest.mark.parametrize(
    "rating, state, due_after, stability",
    [
        (Rating.AGAIN, 1, timedelta(minutes=1), 0.212),
        (Rating.HARD, 1, timedelta(minutes=5, seconds=30), 1.2931),
        (Rating.GOOD, 1, timedelta(minutes=10), 2.3065),
        (Rating.EASY, 2, timedelta(days=8), 8.2956),
    ],
)
def test_first_review_of_a_new_card(store: Store, sched, rating, state, due_after, stability):
    card = first_new(store)
    answer(store, sched, card.id, rating, T0)
    s = store.card_state(card.id)
    assert s["state"] == state
    assert datetime.fromisoformat(s["due"]) == T0 + due_after
    assert s["stability"] == pytest.approx(stability, abs=1e-4)


def test_a_whole_history_good_good_good(store: Store, sched):
    card = first_new(store)
    t = T0
    dues = []
    for _ in range(4):
        answer(store, sched, card.id, Rating.GOOD, t)
        t = datetime.fromisoformat(store.card_state(card.id)["due"])
        dues.append(t - T0)
    # learning step 10 min, then graduated: intervals grow
    assert dues[0] == timedelta(minutes=10)
    assert dues[1] > timedelta(days=1)
    assert dues[3] - dues[2] > dues[2] - dues[1] > timedelta(days=1)


def test_changing_good_to_easy_recomputes_from_the_state_before(store: Store, sched):
    card = first_new(store)
    rid = answer(store, sched, card.id, Rating.GOOD, T0)
    store.change_rating(rid, Rating.EASY, sched)
    s = store.card_state(card.id)
    assert s["state"] == 2 and datetime.fromisoformat(s["due"]) == T0 + timedelta(days=8)
    with store.session() as db:
        review = db.get(Review, rid)
        assert review.rating == 4 and review.state_before["state"] == 0


def test_practice_is_recorded_but_leaves_the_schedule_alone(store: Store, sched):
    card = first_new(store)
    before = store.card_state(card.id)
    answer(store, sched, card.id, None, T0, mode="practice", correct=False)
    assert store.card_state(card.id) == before
    with store.session() as db:
        assert db.scalars(select(Review.mode)).all() == ["practice"]


def test_daily_new_card_limit(store: Store, sched):
    now = datetime.now(UTC)
    for _ in range(3):
        card = store.next_card(now, new_left=3 - store.new_introduced_today(now))
        answer(store, sched, card.id, Rating.EASY, now)
    assert store.new_introduced_today(now) == 3
    assert store.next_card(now, new_left=3 - store.new_introduced_today(now)) is None
    assert store.next_card(now, new_left=4 - store.new_introduced_today(now)) is not None


def test_due_cards_come_before_new_ones_and_learning_cards_are_learned_ahead(store: Store, sched):
    a = first_new(store)
    answer(store, sched, a.id, Rating.AGAIN, T0, correct=False)
    # due at T0 + 1 min: before then a new card comes first; with no new cards left, it is
    # learned ahead; once due, it beats new cards
    assert store.next_card(T0, new_left=5).id != a.id
    assert store.next_card(T0, new_left=0).id == a.id
    assert store.next_card(T0 + timedelta(minutes=2), new_left=5).id == a.id


def test_settings_defaults_and_changes(store: Store):
    assert store.get_setting("new-per-day") == 10
    assert store.get_setting("retention") == 0.9
    store.set_setting("retention", 0.85)
    assert store.get_setting("retention") == 0.85
