"""The report of a learner at 1, 30 and 300 days of history, in English and Chinese, opened
in headless Chromium: every chart drawn, every bar of the accuracy chart labelled, no
English in the Chinese charts, and day one already telling what to practise.

The histories are simulated here, fast: a learner answers the cards due each day (FSRS's
own scheduler, same-day learning steps included, right with the chance FSRS predicts) and a
few practice questions, and the answers are written in one transaction through SQL, the
way bench/history.py writes its big histories."""

from __future__ import annotations

import html
import json
import random
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quizzer.cli import cli
from tests.test_report import chromium

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)
HARD = {"conv-output", "receptive-field", "z-score", "broadcasting"}  # answered worse
LATIN = re.compile(r"[A-Za-z]")


def _sql_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _state(card) -> dict:
    """A card_states row as quizzer.schedule.state_dict gives it."""
    return {"state": int(card.state), "step": card.step, "stability": card.stability,
            "difficulty": card.difficulty, "due": card.due.isoformat(),
            "last_review": card.last_review.isoformat() if card.last_review else None}  # fmt: skip


@dataclass
class History:
    """What the simulated learner did: one entry per answer (card kind, family or deck,
    level, local time, mode, right or not, the mistake named)."""

    db: Path
    days: int
    answers: list[dict] = field(default_factory=list)

    def topic_accuracy(self, since: datetime) -> dict[str, tuple[int, int]]:
        """{topic: (answered, right)} of the answers at or after `since`."""
        from quizzer import decks, generators

        deck_topic = {d.id: d.topic for d in decks.load_decks()}
        out: dict[str, list[int]] = {}
        for a in self.answers:
            if a["at"] < since:
                continue
            t = generators.get(a["family"]).topic if a["family"] else deck_topic[a["deck"]]
            n = out.setdefault(t, [0, 0])
            n[0] += 1
            n[1] += a["correct"]
        return {t: (n, r) for t, (n, r) in out.items()}


def build_history(db: Path, n_days: int, now: datetime = NOW, seed: int = 7) -> History:
    """`n_days` days of answers ending on `now`'s day: each day at 08:00 UTC a session that
    introduces up to 6 new cards (skills at levels 1 and 2 and concept cards, interleaved)
    and reviews every card due until the session's end, learning steps included; then
    three practice answers. Recorded as quizzer records them (state before, recall, the
    card's new FSRS state)."""
    import fsrs

    from quizzer import generators, schedule
    from quizzer.db import connect
    from quizzer.store import Store

    rng = random.Random(seed)
    store = Store(connect(str(db)))
    store.sync_catalog()
    store.engine.dispose()
    con = sqlite3.connect(db)
    skills = con.execute("SELECT id, family, difficulty FROM cards WHERE kind = 'skill' AND "
                         "difficulty <= 2 ORDER BY difficulty, family").fetchall()  # fmt: skip
    concepts = con.execute("SELECT id, deck FROM cards WHERE kind = 'concept' ORDER BY id "
                           "LIMIT 40").fetchall()  # fmt: skip
    queue = [("skill", *s) for s in skills] + [("concept", c, None, None, d) for c, d in concepts]
    queue = [(k, cid, fam, lvl, deck[0] if deck else None)
             for k, cid, fam, lvl, *deck in queue]  # fmt: skip
    rng.shuffle(queue)
    sched = schedule.make_scheduler(0.9, fuzz=False)
    cards: dict[int, fsrs.Card] = {}
    info = {q[1]: q for q in queue}
    hist = History(db, n_days)
    rows = []

    def answer(cid: int, at: datetime, mode: str) -> None:
        kind, _, family, level, deck = info[cid]
        card = cards.get(cid)
        before = _state(card) if card else {"state": 0, "step": None, "stability": None,
                                            "difficulty": None, "due": at.isoformat(),
                                            "last_review": None}  # fmt: skip
        recall = schedule.recall_at(before, at)
        chance = recall if recall is not None and before["state"] == 2 else 0.75
        correct = rng.random() < chance - (0.3 if family in HARD else 0.0)
        mistake = None
        if not correct and family and rng.random() < 0.7:
            mistake = rng.choice(sorted(generators.get(family).explanations))
        rating = None
        if mode == "review":
            rating = 3 if correct else 1
            cards[cid] = schedule.review(sched, card or fsrs.Card(card_id=cid), rating, at)
        rows.append((cid, mode, _sql_time(at), correct, mistake, rating, rng.randint(8000, 40000),
                     json.dumps(before), before["state"], recall,
                     0.9 if mode == "review" else None))  # fmt: skip
        hist.answers.append(
            {
                "kind": kind,
                "family": family,
                "level": level,
                "deck": deck,
                "at": at,
                "mode": mode,
                "correct": correct,
                "mistake": mistake,
            }
        )

    for d in range(n_days - 1, -1, -1):
        clock = datetime.combine((now - timedelta(days=d)).date(), datetime.min.time(),
                                 tzinfo=UTC) + timedelta(hours=8)  # fmt: skip
        end = clock + timedelta(hours=1)
        for _ in range(6):
            if queue:
                cid = queue.pop()[1]
                answer(cid, clock, "review")
                clock += timedelta(seconds=30)
        while True:
            due = [(c.due, cid) for cid, c in cards.items() if c.due <= end]
            if not due:
                break
            when, cid = min(due)
            clock = max(clock, when) + timedelta(seconds=30)
            answer(cid, clock, "review")
        skills_seen = sorted(cid for cid in cards if info[cid][0] == "skill")
        for cid in rng.sample(skills_seen, min(3, len(skills_seen))):
            clock += timedelta(seconds=40)
            answer(cid, clock, "practice")
    with con:
        con.executemany(
            "INSERT INTO reviews (card_id, mode, reviewed_at, correct, skipped, misconception, "
            "rating, duration_ms, state_before, prior_state, retrievability, desired_retention)"
            " VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        con.executemany(
            "UPDATE card_states SET state=?, step=?, stability=?, difficulty=?, due=?, "
            "last_review=? WHERE card_id=?",
            [
                (
                    int(c.state),
                    c.step,
                    c.stability,
                    c.difficulty,
                    _sql_time(c.due),
                    _sql_time(c.last_review),
                    cid,
                )
                for cid, c in cards.items()
            ],  # fmt: skip
        )
    con.close()
    return hist


@pytest.fixture(scope="module")
def utc():
    """Days are UTC days here (the learner's zone is $TZ)."""
    from quizzer import days

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "UTC")
        days.reset()
        yield
    days.reset()


@pytest.fixture(scope="module")
def histories(tmp_path_factory, utc) -> dict[int, History]:
    root = tmp_path_factory.mktemp("histories")
    return {n: build_history(root / f"h{n}.sqlite3", n) for n in (1, 30, 300)}


@pytest.fixture(scope="module")
def pages(histories, tmp_path_factory) -> dict[tuple[int, str], tuple[str, str]]:
    """{(days, lang): (the page, the DOM Chromium laid out with every <details> open)}."""
    from quizzer.db import connect
    from quizzer.report import build
    from quizzer.store import Store

    root = tmp_path_factory.mktemp("pages")
    out = {}
    for n, h in histories.items():
        store = Store(connect(str(h.db)))
        for lang in ("en", "zh"):
            page = build(store, lang, NOW)
            opened = root / f"r{n}-{lang}.html"
            opened.write_text(page.replace("<details ", "<details open "), encoding="utf-8")
            done = chromium(opened, root, "--dump-dom")
            assert done.returncode == 0, done.stderr[-2000:]
            out[n, lang] = page, done.stdout
        store.engine.dispose()
    return out


def svgs(page: str) -> dict[str, str]:
    """{data-chart: the whole <svg> element} of the page's charts."""
    return {m.group(1): m.group(0) for m in re.finditer(
        r'<svg class="chart" data-chart="([\w-]+)".*?</svg>', page, re.S)}  # fmt: skip


def svg_texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)]


def section(page: str, key: str) -> str:
    m = re.search(rf"<section id={key}>(.*?)</section>", page, re.S)
    assert m, f"no section {key}"
    return m.group(1)


CASES = [(n, lang) for n in (1, 30, 300) for lang in ("en", "zh")]


@pytest.mark.parametrize(("n", "lang"), CASES)
def test_every_chart_is_drawn_in_chromium(pages, n, lang):
    page, dom = pages[n, lang]
    charts = svgs(page)
    expected = {"accuracy", "mistakes", "forecast", "daily"} | (
        {"retention", "calibration"} if n >= 30 else set()
    )
    assert expected <= set(charts)
    assert any(k.startswith("family-") for k in charts)
    rendered = dict(re.findall(r'data-chart="([\w-]+)"[^>]*data-rendered="([\dx:]+)"', dom))
    assert set(rendered) == set(charts)
    for key, size in rendered.items():
        w, h, drawn = map(int, re.split(r"[x:]", size))
        assert w > 300 and h > 100, (key, size)  # laid out at a readable size
        assert drawn >= 10, (key, size)  # axes, ticks, labels and the data itself


@pytest.mark.parametrize("n", [1, 30, 300])
def test_chinese_charts_have_no_english_words(pages, n):
    page, _ = pages[n, "zh"]
    for key, svg in svgs(page).items():
        texts = svg_texts(svg)
        assert texts, key
        assert not [t for t in texts if LATIN.search(t)], key


@pytest.mark.parametrize(("n", "lang"), CASES)
def test_every_bar_of_the_accuracy_chart_is_labelled_with_exact_figures(pages, histories,
                                                                        n, lang):  # fmt: skip
    from quizzer.report import TEXT

    w = TEXT[lang]
    page, _ = pages[n, lang]
    svg = svgs(page)["accuracy"]
    bars = re.findall(r'id="accuracy-bar-(\d+)"', svg)
    ticks = re.findall(r'id="accuracy-ytick_\d+">.*?<text\b[^>]*>([^<]*)</text>', svg, re.S)
    expected = histories[n].topic_accuracy(NOW - timedelta(days=30))
    order = sorted(expected, key=lambda t: (expected[t][1] / expected[t][0], t))
    assert len(bars) == len(ticks) == len(expected) >= 3
    assert [html.unescape(t) for t in ticks] == [w["topics"][t] for t in order]
    notes = [w["bar_value"].format(pct=f"{100 * r / a:.0f}%", n=a)
             for a, r in (expected[t] for t in order)]  # fmt: skip
    texts = svg_texts(svg)
    assert [t.strip() for t in texts if t.strip() in notes] == notes


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_day_one_shows_accuracy_mistakes_forecast_and_what_to_practise(pages, histories, lang):
    from quizzer.report import TEXT

    w = TEXT[lang]
    page, _ = pages[1, lang]
    body = page[page.index("<body>") :]
    assert body.index("<section id=practise>") < body.index("<section id=summary>")
    practise = section(page, "practise")
    assert "<code>quizzer quiz --weakest</code>" in practise and "<table class=weakest>" in practise
    for key in ("accuracy", "mistakes", "forecast"):
        assert '<svg class="chart"' in section(page, key), key
    wrong = [a for a in histories[1].answers if a["mistake"]]
    assert wrong, "the day-one history has named mistakes"
    # what needs more days says what it needs and from when
    retention, calibration = section(page, "retention"), section(page, "calibration")
    assert '<svg class="chart"' not in retention + calibration
    monday = NOW.date() - timedelta(days=NOW.weekday()) + timedelta(weeks=1)
    assert html.escape(w["date_long"].format(d=monday), quote=False) in retention
    assert w["params_default"].split("`")[0] in html.unescape(calibration)
    assert "Not enough history" not in page and "few" not in section(page, "accuracy")


@pytest.mark.parametrize(("n", "lang"), CASES)
def test_the_glossary_speaks_the_learners_words_and_only_of_the_page(pages, n, lang):
    from quizzer.report import TEXT

    w = TEXT[lang]
    page, _ = pages[n, lang]
    glossary = section(page, "glossary")
    terms = [html.unescape(t) for t in re.findall(r"<dt>(.*?)</dt>", glossary)]
    assert not [t for t in terms if re.search(r"[._]|\bdue\.|true_30d", t)]
    calibrated = '<svg class="chart" data-chart="calibration"' in page
    assert (w["terms"]["log_loss"] in terms) == calibrated
    assert (w["terms"]["stability"] in terms) and w["terms"]["skill"] in terms
    assert not re.search(r"\b(due\.now|retention\.true_30d|accuracy_30d|weakest_skills)\b", page)


def test_three_hundred_days_have_retention_calibration_and_a_weekly_drill_down(pages):
    page, _ = pages[300, "en"]
    retention = svgs(page)["retention"]
    # one point per week with enough reviews, the dates on the axis
    assert re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun) 2026\b", " ".join(svg_texts(retention)))
    families = re.findall(r"<details data-family=([\w-]+)>", page)
    assert len(families) >= 20
    assert "log loss" in section(page, "calibration")


def test_parameters_fitted_to_the_learner_are_shown_with_before_and_after(histories, monkeypatch):
    from quizzer import report_data
    from quizzer.db import connect
    from quizzer.report import build
    from quizzer.store import Store

    fitted = {
        "parameters": [0.3] * 21, "fitted_at": datetime(2026, 6, 20, 9, tzinfo=UTC),
        "optimizer": "fsrs-rs 4.1", "reviews_fitted": 4120, "reviews_held_out": 1030,
        "default": {"log_loss": 0.4123, "rmse_bins": 0.0871},
        "fitted": {"log_loss": 0.3581, "rmse_bins": 0.0412},
    }  # fmt: skip
    monkeypatch.setattr(report_data, "parameters_in_use", lambda store: fitted)
    store = Store(connect(str(histories[30].db)))
    en, zh = build(store, "en", NOW), build(store, "zh", NOW)
    cal = section(en, "calibration")
    assert ("fitted to your reviews on Sat Jun 20, 2026 by fsrs-rs 4.1, from 4,120 reviews, "
            "and tested on 1,030 later reviews") in cal  # fmt: skip
    assert "<td>log loss</td><td>0.412</td><td>0.358</td>" in cal
    assert "<td>RMSE (bins)</td><td>0.087</td><td>0.041</td>" in cal
    assert "<td>对数损失</td><td>0.412</td><td>0.358</td>" in section(zh, "calibration")
    assert "2026年6月20日" in section(zh, "calibration")
    monkeypatch.setattr(report_data, "parameters_in_use", lambda store: None)
    assert "Parameters in use: FSRS's defaults." in section(build(store, "en", NOW), "calibration")
    store.engine.dispose()


def test_report_command_in_chinese(runner, histories, tmp_path):
    out = tmp_path / "zh.html"
    result = runner.invoke(cli, ["--db", str(histories[30].db), "report", "--lang", "zh",
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and "接下来练什么" in page
    assert result.output.strip() == f"Wrote {out} ({len(svgs(page))} charts)."


def test_wording_tables_match():
    """Both languages have the same keys, the same {fields}, and every family and topic
    the catalog has; Chinese names carry no Latin letters (they go into charts)."""
    import string

    from quizzer import decks, generators
    from quizzer.report import TEXT

    en, zh = TEXT["en"], TEXT["zh"]
    assert en.keys() == zh.keys()

    def fields(v) -> set[str]:
        forms = v.values() if isinstance(v, dict) else [v]
        return {re.split(r"[.\[]", f)[0] for s in forms
                for _, f, _, _ in string.Formatter().parse(s) if f}  # fmt: skip

    for k, v in en.items():
        if k in ("glossary", "terms", "families", "topics"):
            assert v.keys() == zh[k].keys(), k
        else:  # Chinese may leave a field out (a mistake's id in a chart label), not add one
            assert fields(zh[k]) <= fields(v) and (fields(zh[k]) == fields(v)) != (
                k == "mistake_bar"
            ), k
    assert set(en["families"]) == set(generators.families())
    topics = {generators.get(f).topic for f in generators.families()}
    topics |= {d.topic for d in decks.load_decks()} | {"Other"}
    assert set(en["topics"]) == topics
    assert not [v for v in [*zh["families"].values(), *zh["topics"].values()] if LATIN.search(v)]


def practise_rows(page: str) -> list[tuple[str, int, int, int, int]]:
    rows = re.findall(r"<code>([\w-]+):(\d)</code></td><td>(\d+) of (\d+)</td><td>(\d+)%</td>",
                      section(page, "practise"))  # fmt: skip
    return [(f, int(lvl), int(r), int(n), int(share)) for f, lvl, r, n, share in rows]


def test_the_weakest_skills_come_first_with_their_own_figures(pages, histories):
    """The page's list is `quizzer stats`' weakest skills (same rule: at least
    WEAKEST_MIN_ANSWERS answers, same order), and each row's answers are the history's own
    over the last 30 days."""
    from quizzer.db import connect
    from quizzer.stats import compute
    from quizzer.store import Store

    h = histories[30]
    page, _ = pages[30, "en"]
    rows = practise_rows(page)
    store = Store(connect(str(h.db)))
    stats_list = compute(store, NOW)["weakest_skills"]
    store.engine.dispose()
    assert len(rows) == 5
    assert [(f, lvl) for f, lvl, *_ in rows] == [(s["family"], s["level"]) for s in stats_list]
    for family, level, right, n, share in rows:
        mine = [a["correct"] for a in h.answers if a["family"] == family
                and a["level"] == level and a["at"] >= NOW - timedelta(days=30)]  # fmt: skip
        assert (right, n) == (sum(mine), len(mine))
        assert share == round(100 * sum(mine) / len(mine))


def test_day_one_lists_the_skills_missed_never_one_always_right(pages, histories):
    """Before any skill has WEAKEST_MIN_ANSWERS answers, the page lists the skills answered
    wrong so far, and says they are not ranked yet; a skill always right is never "weak"."""
    from quizzer.figures import WEAKEST_MIN_ANSWERS

    h = histories[1]
    page, _ = pages[1, "en"]
    counts: dict[tuple[str, int], list[int]] = {}
    for a in h.answers:
        if a["family"]:
            counts.setdefault((a["family"], a["level"]), []).append(a["correct"])
    ranked = [k for k, v in counts.items() if len(v) >= WEAKEST_MIN_ANSWERS]
    missed = {k for k, v in counts.items() if sum(v) < len(v)}
    rows = practise_rows(page)
    assert rows and all(right < n for _f, _l, right, n, _s in rows)
    if not ranked:
        assert {(f, lvl) for f, lvl, *_ in rows} == set(list(missed)[:5]) or (
            len(rows) == 5 and {(f, lvl) for f, lvl, *_ in rows} <= missed
        )
        assert f"No skill has {WEAKEST_MIN_ANSWERS} answers yet" in section(page, "practise")


def test_the_printed_log_loss_is_the_test_s_own_computation(pages, histories):
    """Reviews at least a day after the card's previous review, -mean(y ln p + (1-y)
    ln(1-p)) over the recall stored with each: computed here from the rows."""
    import math

    con = sqlite3.connect(histories[300].db)
    rows = con.execute(
        "SELECT card_id, julianday(reviewed_at), correct, retrievability "
        "FROM reviews WHERE mode = 'review' ORDER BY card_id, reviewed_at"
    )
    prev: dict[int, float] = {}
    losses = []
    for card, t, y, p in rows:
        if card in prev and t - prev[card] >= 1 and p is not None:
            p = min(max(p, 1e-6), 1 - 1e-6)
            losses.append(-math.log(p) if y else -math.log(1 - p))
        prev[card] = t
    con.close()
    page, _ = pages[300, "en"]
    assert len(losses) > 1000
    assert (f"{len(losses):,} reviews scored: log loss {sum(losses) / len(losses):.3f},"
            in section(page, "calibration"))  # fmt: skip
    # whose predictions these are: the history never ran quizzer optimize
    assert ("Each was predicted when it was answered, by FSRS's default parameters."
            in section(page, "calibration"))  # fmt: skip
