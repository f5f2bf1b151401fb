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


def test_a_saved_null_setting_warns_and_a_missing_one_is_silent(store: Store, capsys):
    """A null saved value is a damaged setting (warned, default used); a missing one is the
    default, silently. One read tells them apart, so another quizzer saving the setting
    between two reads cannot turn "missing" into a false warning (seen with 8 processes
    opening a new database at once)."""
    from quizzer.models import Setting

    assert store.get_setting("new-per-day") == 10
    assert capsys.readouterr().err == ""
    with store.write() as s:
        s.merge(Setting(key="new-per-day", value=None))
    assert store.get_setting("new-per-day") == 10
    assert "the saved setting new-per-day = None is not valid" in capsys.readouterr().err


def test_a_setting_saved_by_another_quizzer_while_reading_gives_no_false_warning(
    store: Store, capsys
):
    """Another quizzer saves the setting right after this one's first read: whatever this
    one then returns (default or the new value), it must not call the setting invalid."""
    from quizzer.models import Setting

    opened = []
    plain = store.session

    def session_then_another_quizzer_saves():
        if len(opened) == 1:  # after the first read: the other process commits its value
            with store.write() as w:
                w.merge(Setting(key="new-per-day", value=12))
        opened.append(1)
        return plain()

    store.session = session_then_another_quizzer_saves
    try:
        assert store.get_setting("new-per-day") in (10, 12)
    finally:
        store.session = plain
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- fitted parameters

FITTED = (0.05, 0.25, 0.6, 2.5, 7.0, 0.6, 2.5, 0.02, 1.0, 0.2, 0.8, 2.0, 0.1, 0.3, 1.5, 0.5,
          2.0, 0.5, 0.1, 0.1, 0.45)  # fmt: skip


def kept_parameters(store: Store, weights=FITTED) -> int:
    """A kept fsrs_parameters row, as quizzer optimize saves one; its id."""
    import json

    from quizzer.models import FsrsParameters

    with store.write() as s:
        row = FsrsParameters(
            parameters=json.dumps(list(weights)), optimizer="test", reviews_fitted=1,
            reviews_held_out=1, default_log_loss=0.5, default_rmse_bins=0.1,
            fitted_log_loss=0.4, fitted_rmse_bins=0.05, kept=True,
        )  # fmt: skip
        s.add(row)
        s.flush()
        return row.id


def test_recall_follows_the_decay_of_the_parameters_in_use():
    """FSRS-6: R(t, S) = (1 + F t / S) ** -w20 with F = 0.9 ** (-1 / w20) - 1: 0.9 at t = S
    whatever w20; elsewhere w20 bends the curve (exact values for S = 10, t = 30)."""
    from quizzer.schedule import decay_and_factor, recall_at

    before = {"state": 2, "stability": 10.0, "last_review": T0.isoformat()}
    at = T0 + timedelta(days=30)
    for weights, w20 in ((None, 0.1542), (FITTED, 0.45)):
        factor = 0.9 ** (-1 / w20) - 1
        assert decay_and_factor(weights) == pytest.approx((-w20, factor), rel=1e-12)
        assert recall_at(before, at, weights) == pytest.approx((1 + factor * 3) ** -w20, rel=1e-12)
        assert recall_at(before, T0 + timedelta(days=10), weights) == pytest.approx(0.9)
    assert recall_at(before, at) == pytest.approx(0.8093881, rel=1e-6)
    assert recall_at(before, at, FITTED) == pytest.approx(0.7692343, rel=1e-6)


def test_reviews_record_the_parameters_that_scheduled_them(store: Store):
    import fsrs

    from quizzer.schedule import Parameters, parameters_in_use

    pid = kept_parameters(store)
    with store.engine.connect() as c:
        params = parameters_in_use(c)
    assert params == Parameters(FITTED, pid)
    fitted = make_scheduler(0.9, fuzz=False, parameters=params)
    assert fitted.parameters == FITTED and fitted.parameters_id == pid
    card = first_new(store)
    rid = answer(store, fitted, card.id, Rating.EASY, T0)
    # Easy on a new card: the first stability is w[3] and the interval that of R = 0.9
    s = store.card_state(card.id)
    assert s["stability"] == pytest.approx(2.5)
    assert datetime.fromisoformat(s["due"]) == T0 + timedelta(days=2)  # round(S = 2.5)
    t = T0 + timedelta(days=5)
    rid = answer(store, fitted, card.id, Rating.GOOD, t)
    default_sched = make_scheduler(0.9, fuzz=False)
    practice = answer(store, None, card.id, None, t + timedelta(days=1), mode="practice")
    with store.session() as db:
        got = {r.id: r for r in db.scalars(select(Review))}
    assert got[rid].parameters_id == pid and got[practice].parameters_id is None
    expected = fsrs.Scheduler(parameters=FITTED).get_card_retrievability(
        fsrs.Card(state=fsrs.State.Review, stability=2.5, difficulty=1.0, last_review=T0), t
    )
    assert got[rid].retrievability == pytest.approx(expected, rel=1e-12)
    # practice's recall uses the parameters in use too (read in its transaction)
    after = store.card_state(card.id)
    assert got[practice].retrievability == pytest.approx(
        (1 + (0.9 ** (-1 / 0.45) - 1) * 1 / after["stability"]) ** -0.45, rel=1e-12
    )
    # re-rated with the default scheduler: the review now records the defaults
    assert store.change_rating(rid, Rating.EASY, default_sched)
    with store.session() as db:
        assert db.get(Review, rid).parameters_id is None
