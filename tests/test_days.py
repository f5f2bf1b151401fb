"""Days and clocks: every local-day boundary is computed per date in the learner's zone, so a
DST change neither moves an answer into the next day nor opens a second batch of new cards.

Histories are written at local wall-clock times (converted here with zoneinfo, not with
quizzer.days) and must give the same figures in a zone with DST as in one without."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from sqlalchemy import select

from quizzer import days
from quizzer.db import connect
from quizzer.models import Card, CardState, Review
from quizzer.report import weekly_retention
from quizzer.schedule import NEW, Rating, make_scheduler
from quizzer.stats import compute
from quizzer.store import Store, local_day_start

DST_ZONES = ["America/New_York", "Europe/Paris", "Australia/Lord_Howe"]  # Lord Howe: 30 min
ZONES = [*DST_ZONES, "Asia/Shanghai", "UTC", "Asia/Kathmandu"]


@pytest.fixture
def set_zone(monkeypatch):
    """Set the learner's zone as a user does (TZ), for the C library too, so that code
    still using the process's local time would see the same zone."""

    def set_to(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_to
    monkeypatch.undo()
    time.tzset()
    days.reset()


def at(d: date, hh: int, mm: int, zone: str) -> datetime:
    """The UTC instant of a local wall-clock time (one that exists and is not ambiguous)."""
    return datetime.combine(d, clock(hh, mm), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def offsets_differ(zone: str, first: date, last: date) -> bool:
    """Whether the zone's UTC offset changes between the two dates (a DST change)."""
    z = ZoneInfo(zone)
    return z.utcoffset(datetime.combine(first, clock(12))) != z.utcoffset(
        datetime.combine(last, clock(12))
    )


def new_store(path: Path) -> Store:
    store = Store(connect(str(path)))
    store.sync_catalog()
    return store


def answer(store: Store, card_id: int, when: datetime, *, mode: str = "review",
           correct: bool = True, ms: int = 1000) -> None:  # fmt: skip
    store.record(card_id, mode, question=None, typed="x", correct=correct, rating=None,
                 duration_ms=ms, now=when)  # fmt: skip


def put_in_review(store: Store, dues: list[datetime]) -> list[int]:
    """Put one active card per due time in the Review state, due then; the rest stay new."""
    with store.session.begin() as s:
        states = s.scalars(
            select(CardState).join(Card).where(Card.active.is_(True)).order_by(Card.id)
        ).all()
        assert len(states) >= len(dues)
        for st, due in zip(states, dues, strict=False):
            st.state, st.due, st.stability, st.difficulty = 2, due, 5.0, 5.0
            st.last_review = due - timedelta(days=3)
        return [st.card_id for st in states[: len(dues)]]


# ------------------------------------------------------------------ days.py itself


@pytest.mark.parametrize("zone", [*ZONES, "America/Santiago", "America/Havana"])
def test_every_day_begins_at_its_own_local_midnight(set_zone, zone):
    set_zone(zone)
    lengths = Counter()
    for i in range(366):
        d = date(2025, 1, 1) + timedelta(days=i)
        start, after = days.day_start(d), days.day_start(d + timedelta(days=1))
        assert start.tzinfo is UTC
        assert days.local_date(start) == d
        assert days.local_date(start - timedelta(microseconds=1)) == d - timedelta(days=1)
        assert days.local_date(after - timedelta(microseconds=1)) == d
        lengths[(after - start) / timedelta(hours=1)] += 1
    expected = {
        "America/New_York": {24: 364, 23: 1, 25: 1},
        "Europe/Paris": {24: 364, 23: 1, 25: 1},
        "Australia/Lord_Howe": {24: 364, 23.5: 1, 24.5: 1},
        "America/Santiago": {24: 364, 23: 1, 25: 1},  # where DST skips midnight itself
        "America/Havana": {24: 364, 23: 1, 25: 1},
    }.get(zone, {24: 366})
    assert lengths == expected


def test_a_dst_gap_at_midnight_starts_the_day_when_the_clock_does(set_zone):
    set_zone("America/Santiago")  # 2025-09-07: 00:00 -04 jumps to 01:00 -03
    start = days.day_start(date(2025, 9, 7))
    assert start == datetime(2025, 9, 7, 4, 0, tzinfo=UTC)
    assert days.local(start).strftime("%H:%M %z") == "01:00 -0300"


def test_local_day_start_of_the_store_is_per_date(set_zone):
    set_zone("America/New_York")
    # late on the day the clocks went back: midnight was still on summer time (-4)
    late = at(date(2025, 11, 2), 23, 30, "America/New_York")
    assert local_day_start(late) == datetime(2025, 11, 2, 4, 0, tzinfo=UTC)
    late = at(date(2025, 3, 9), 23, 30, "America/New_York")  # and on winter time (-5)
    assert local_day_start(late) == datetime(2025, 3, 9, 5, 0, tzinfo=UTC)


def test_the_zone_follows_tz_in_every_form(set_zone, capsys):
    set_zone(":Europe/Paris")  # the POSIX form
    assert days.zone_name() == "Europe/Paris"
    set_zone("Asia/Shanghai")  # read again when TZ changes, no stale zone
    assert days.zone_name() == "Asia/Shanghai"
    assert days.today(datetime(2026, 6, 30, 17, 0, tzinfo=UTC)) == date(2026, 7, 1)
    set_zone("")  # set but empty: UTC, as the C library reads it
    assert days.zone() is UTC
    assert capsys.readouterr().err == ""


def test_tz_may_name_a_tzif_file(set_zone, tmp_path: Path):
    import zoneinfo

    found = [Path(d, "America", "New_York") for d in zoneinfo.TZPATH]
    found = [f for f in found if f.is_file()]
    if not found:
        pytest.skip("no system time zone files here")
    copy = tmp_path / "my-zone"
    copy.write_bytes(found[0].read_bytes())
    set_zone(f":{copy}")
    assert days.zone_name() == str(copy)
    assert days.day_start(date(2025, 7, 1)) == datetime(2025, 7, 1, 4, 0, tzinfo=UTC)
    assert days.day_start(date(2025, 12, 1)) == datetime(2025, 12, 1, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["Nowhere/Atlantis", "Europe", "../etc/passwd",
                                 "CET-1CEST,M3.5.0,M10.5.0/3"])  # fmt: skip
def test_an_unknown_tz_falls_back_to_utc_with_one_warning(set_zone, capsys, bad):
    set_zone(bad)
    days.reset()
    for _ in range(3):
        assert days.zone() is UTC and days.zone_name() == "UTC"
    assert days.day_start(date(2026, 3, 29)) == datetime(2026, 3, 29, tzinfo=UTC)
    assert days.today(datetime(2026, 3, 29, 23, 59, tzinfo=UTC)) == date(2026, 3, 29)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and bad in err and "using UTC" in err, err


def test_an_unknown_tz_warns_once_in_a_whole_command(tmp_path: Path):
    env = {**os.environ, "TZ": "Nowhere/Atlantis", "QUIZZER_DB": str(tmp_path / "x.sqlite3")}
    done = subprocess.run([sys.executable, "-m", "quizzer", "--db", str(tmp_path / "x.sqlite3"),
                           "stats", "--json"], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == "quizzer: unknown time zone TZ='Nowhere/Atlantis'; using UTC\n"
    assert '"timezone": "UTC"' in done.stdout


def test_without_tz_the_system_zone_is_used(monkeypatch, capsys):
    import tzlocal

    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(tzlocal, "get_localzone", lambda: ZoneInfo("Asia/Tokyo"))
    days.reset()
    try:
        assert days.zone_name() == "Asia/Tokyo"

        def broken():
            raise ZoneInfoNotFoundError("Multiple conflicting time zone configurations found")

        monkeypatch.setattr(tzlocal, "get_localzone", broken)
        days.reset()
        assert days.zone() is UTC and days.zone_name() == "UTC"
        assert days.zone() is UTC
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "conflicting" in err
    finally:
        days.reset()


# ------------------------------------------------------------------ a learner's history

WINDOWS = {"spring": date(2025, 2, 27), "autumn": date(2025, 9, 28)}  # 41 days each
GAP = 30  # no answers on the 31st day: longest streak 30, current 10


def history(first: date) -> list[tuple[date, int, int, str, int]]:
    """(local date, hour, minute, mode, ms) of every answer: some days have one only at
    00:10, some one only at 23:50, so a day boundary off by up to an hour empties a day."""
    out = []
    for i in range(41):
        d = first + timedelta(days=i)
        if i == GAP:
            continue
        ms = 60_000 * (i % 7 + 1)
        if i % 2 == 0:
            out.append((d, 0, 10, "review", ms))
        if i % 5 == 0:
            out.append((d, 12, 0, "practice", ms))
        if i % 4 != 0:
            out.append((d, 23, 50, "review", ms))
    return out


@pytest.mark.parametrize("first", WINDOWS.values(), ids=list(WINDOWS))
@pytest.mark.parametrize("zone", ZONES)
def test_the_same_history_gives_the_same_days_in_every_zone(tmp_path, set_zone, zone, first):
    set_zone(zone)
    last = first + timedelta(days=40)
    assert offsets_differ(zone, first, last) == (zone in DST_ZONES)  # the window has a change
    store = new_store(tmp_path / "h.sqlite3")
    card = store.skill_card("conv-output", 1).id
    log = history(first)
    for d, hh, mm, mode, ms in log:
        answer(store, card, at(d, hh, mm, zone), mode=mode, ms=ms)

    f = compute(store, at(last, 23, 55, zone))

    per_day = Counter(d for d, *_ in log)
    assert f["heatmap"] == [
        {"date": d.isoformat(), "answers": n} for d, n in sorted(per_day.items())
    ]
    assert len(f["heatmap"]) == 40
    assert f["streak"] == {"current": 10, "longest": 30}
    assert f["answers"] == {"total": len(log), "reviews": sum(m == "review" for *_, m, _ in log),
                            "practice": sum(m == "practice" for *_, m, _ in log),
                            "today": per_day[last]}  # fmt: skip

    def minutes(since: date) -> float:
        return round(sum(ms for d, *_, ms in log if d >= since) / 60000, 1)

    assert f["time_spent_minutes"] == {
        "all": minutes(first),
        "today": minutes(last),
        "7d": minutes(last - timedelta(days=6)),
        "30d": minutes(last - timedelta(days=29)),
    }
    assert f["timezone"] == zone


CHANGE_DAYS = [
    ("America/New_York", date(2025, 3, 9)),  # spring forward
    ("America/New_York", date(2025, 11, 2)),  # fall back
    ("Europe/Paris", date(2025, 3, 30)),
    ("Europe/Paris", date(2025, 10, 26)),
]


def study(store: Store, now: datetime, limit: int = 2) -> int:
    """A review session at `now`, as `quizzer review` runs it; returns the new cards shown."""
    sched = make_scheduler(0.9, fuzz=False)
    shown = 0
    for _ in range(10):
        card = store.next_card(now, limit - store.new_introduced_today(now))
        if card is None:
            break
        assert store.card_state(card.id)["state"] == NEW  # nothing else is due
        store.record(card.id, "review", question=None, typed="x", correct=True,
                     rating=Rating.EASY, duration_ms=1000, scheduler=sched, now=now)  # fmt: skip
        shown += 1
    return shown


def new_cards_per_local_date(store: Store, zone: str) -> dict[date, int]:
    """First reviews of new cards, counted by local date (zoneinfo, not quizzer.days)."""
    with store.session() as s:
        whens = s.scalars(select(Review.reviewed_at).where(Review.prior_state == NEW)).all()
    return dict(Counter(w.astimezone(ZoneInfo(zone)).date() for w in whens))


@pytest.mark.parametrize(("zone", "day"), CHANGE_DAYS)
def test_at_most_the_daily_new_cards_on_a_dst_change_day(tmp_path, set_zone, zone, day):
    set_zone(zone)
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    evening = at(day, 23, 30, zone)
    # the evening before, the change day's first minutes and its evening, the next day
    store = new_store(tmp_path / "a.sqlite3")
    times = [at(before, 23, 30, zone), at(day, 0, 5, zone), evening, at(after, 0, 5, zone)]
    shown = []
    for now in times:
        if now == evening:
            assert store.new_introduced_today(now) == 2
        shown.append(study(store, now))
    assert shown == [2, 2, 0, 2]  # two on the change day, not four
    assert new_cards_per_local_date(store, zone) == {before: 2, day: 2, after: 2}
    # only in the evening: the evening before doesn't use up the change day's limit
    store = new_store(tmp_path / "b.sqlite3")
    assert study(store, at(before, 23, 30, zone)) == 2
    assert store.new_introduced_today(evening) == 0
    assert study(store, evening) == 2
    assert study(store, evening + timedelta(minutes=10)) == 0
    assert new_cards_per_local_date(store, zone) == {before: 2, day: 2}


@pytest.mark.parametrize(
    ("zone", "today"),
    [("America/New_York", date(2025, 2, 25)), ("America/New_York", date(2025, 10, 20)),
     ("Europe/Paris", date(2025, 3, 15)), ("Europe/Paris", date(2025, 10, 10)),
     ("Australia/Lord_Howe", date(2025, 3, 25)), ("Asia/Shanghai", date(2025, 2, 25))],
)  # fmt: skip
def test_the_forecast_counts_cards_by_local_date(tmp_path, set_zone, zone, today):
    set_zone(zone)
    last = today + timedelta(days=29)
    assert offsets_differ(zone, today, last) == (zone in DST_ZONES)
    now = at(today, 10, 0, zone)
    dates = [today + timedelta(days=i) for i in range(0, 30, 2)] + [last]
    dues = [at(d, hh, mm, zone) for d in dates for hh, mm in ((0, 10), (23, 50))]
    dues += [at(today - timedelta(days=1), 12, 0, zone), now - timedelta(hours=1)]  # overdue
    dues.append(at(last + timedelta(days=1), 0, 10, zone))  # beyond the horizon
    store = new_store(tmp_path / "f.sqlite3")
    put_in_review(store, dues)

    f = compute(store, now)

    expected = Counter({d: 2 for d in dates}) + Counter({today: 2})  # today has the overdue
    ahead = [today + timedelta(days=i) for i in range(30)]
    assert f["forecast"] == [{"date": d.isoformat(), "due": expected[d]} for d in ahead]
    assert f["due"] == {"now": 3, "today": 4, "overdue": 1}


WEEKS = {"spring": date(2025, 2, 17), "autumn": date(2025, 10, 6)}  # Mondays; 8 weeks each


@pytest.mark.parametrize("monday", WEEKS.values(), ids=list(WEEKS))
@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Paris", "Asia/Shanghai"])
def test_weekly_retention_counts_local_weeks_from_monday(tmp_path, set_zone, zone, monday):
    set_zone(zone)
    store = new_store(tmp_path / "w.sqlite3")
    (card,) = put_in_review(store, [datetime(2030, 1, 1, tzinfo=UTC)])
    mondays = [monday + timedelta(weeks=k) for k in range(8)]
    assert offsets_differ(zone, mondays[0], mondays[-1]) == (zone != "Asia/Shanghai")
    for k, m in enumerate(mondays):
        sunday = m + timedelta(days=6)
        answer(store, card, at(m, 0, 10, zone), correct=True)  # the week's first minutes
        answer(store, card, at(m + timedelta(days=2), 12, 0, zone), correct=k % 2 == 0)
        answer(store, card, at(sunday, 23, 50, zone), correct=False)  # and its last

    weeks = weekly_retention(store, at(mondays[-1] + timedelta(days=6), 23, 55, zone))

    assert weeks == [
        (m.isoformat(), 3, (2 if k % 2 == 0 else 1) / 3) for k, m in enumerate(mondays)
    ]
