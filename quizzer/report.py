"""`quizzer report`: one self-contained HTML page of the learner's progress.

First what to practise (cards due, the weakest skills and the command that drills them),
then a summary, accuracy by topic, the most common mistakes, the due forecast, answers per
day, true retention per week, FSRS's calibration and the parameters in use, and a
drill-down per family (accuracy and stability per week). A chart that needs more days says
what it needs and when it can appear; the glossary defines only the words the page shows.

Charts are inline SVG whose text the browser draws (quizzer.report_charts), so Chinese
shows in the reader's own fonts. Nothing is loaded from the network: a
Content-Security-Policy forbids every outside source. Every word is in quizzer/report.toml.
Figures come from quizzer.stats.compute and quizzer.report_data (SQL aggregation).
"""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from typing import Any

from quizzer import days
from quizzer import report_charts as charts
from quizzer import report_data as data
from quizzer.figures import WEAKEST_MIN_ANSWERS
from quizzer.models import utcnow
from quizzer.report_data import weekly_retention
from quizzer.report_page import TEXT, Page, num, page, pct, plural, say
from quizzer.stats import compute, weakest_skills
from quizzer.store import Store

__all__ = ["TEXT", "build", "weekly_retention"]

MIN_CALIBRATION = 20  # scored reviews before the calibration chart is drawn
MIN_RETENTION_WEEK = 5  # reviews of learned cards for a week's true retention
RETENTION_WEEKS = 52
WEAKEST_SHOWN = 5


def build(store: Store, lang: str = "en", now: datetime | None = None) -> str:
    """The report as one HTML page, in `lang` ("en" or "zh"), as of `now` (default: now)."""
    from quizzer import parallel

    now = now or utcnow()
    pg = Page(store, lang, now)
    w = pg.w
    stamp = f"{days.local(now):%Y-%m-%d %H:%M}"
    pg.parts.append(
        f"<h1>{say(w['title'])}</h1>"
        + pg.p(w["generated"].format(stamp=stamp, zone=days.zone_name()), "meta")
    )
    first = data.first_answer(store)
    if first is None:
        pg.parts.append(pg.p(w["empty"], "empty"))
        return page(pg)
    # stats' figures (a pass over every scheduled review) on the other core, where it is
    # safe to fork, while this process draws the drill-down's charts
    figures = parallel.start(compute, store, now)
    families = _families(pg, first)
    f = figures()
    _practise(pg, f)
    _summary(pg, f)
    _accuracy(pg, f)
    _mistakes(pg, f)
    _forecast(pg, f)
    _daily(pg, f, max(first, pg.today - timedelta(days=364)))
    _retention(pg, f)
    _calibration(pg, f)
    if families:
        pg.section("families", w["drill_title"], pg.p(w["drill_caption"], "note") + families,
                   ("stability", "accuracy"))  # fmt: skip
    terms = [k for k in w["glossary"] if k in pg.words]
    defs = "".join(f"<dt>{say(w['terms'][k])}</dt><dd>{say(w['glossary'][k])}</dd>" for k in terms)
    pg.section("glossary", w["glossary_title"], f"<dl>{defs}</dl>")
    return page(pg)


def _practise(pg: Page, f: dict[str, Any]) -> None:
    w, body = pg.w, []
    if f["due"]["now"]:
        body.append(pg.p(plural(w, "due_now", f["due"]["now"])))
    elif nxt := pg.store.next_due():
        when = f"{pg.day(days.local_date(nxt))} {days.local(nxt):%H:%M}"
        body.append(pg.p(w["next_due"].format(date=when)))
    else:
        body.append(pg.p(w["none_scheduled"]))
    words = ("due",)
    # the weakest skills by stats' own rule (at least WEAKEST_MIN_ANSWERS answers); before
    # any skill has that many, the skills answered wrong so far, never a skill always right
    sk = data.skills(pg.store, pg.now)
    order = [(s["family"], s["level"]) for s in f["weakest_skills"]]
    intro = "weakest_intro"
    if not order:
        order = [k for k in weakest_skills(pg.store, pg.now, top=len(sk) or 1)
                 if k in sk and sk[k].right < sk[k].answered][:WEAKEST_SHOWN]  # fmt: skip
        intro = "missed_intro"
    if order:
        words += ("skill", "accuracy", "recall")
        rows = []
        for family, level in order:
            s = sk[family, level]
            recall = "–" if s.recall is None else pct(s.recall)
            right = w["right_of"].format(right=num(s.right), n=num(s.answered))
            rows.append(
                f"<tr><td>{say(pg.skill(family, level))} <code>{html.escape(family)}:{level}"
                f"</code></td><td>{say(right)}</td>"
                f"<td>{pct(s.right / s.answered) if s.answered else '–'}</td><td>{recall}</td></tr>"
            )
        head = "".join(f"<th>{say(w[k])}</th>" for k in ("col_skill", "col_right",
                                                         "col_accuracy", "col_recall"))  # fmt: skip
        table = f"<table class=weakest><tr>{head}</tr>" + "".join(rows) + "</table>"
        body.append(pg.p(w[intro].format(n=WEAKEST_MIN_ANSWERS)) + table)
    elif sk and any(s.answered for s in sk.values()):
        body.append(pg.p(w["practise_no_mistakes"].format(n=WEAKEST_MIN_ANSWERS)))
    else:
        body.append(pg.p(w["no_skills"]))
    pg.section("practise", w["practise_title"], "".join(body), words)


def _summary(pg: Page, f: dict[str, Any]) -> None:
    w, r = pg.w, f["retention"]
    rows = [
        ("sum_answers", f["answers"]["total"]), ("sum_today", f["answers"]["today"]),
        ("sum_streak", f["streak"]["current"]), ("sum_longest", f["streak"]["longest"]),
        ("sum_minutes", f["time_spent_minutes"]["30d"]),
        ("sum_retention", w["sum_no_retention"] if r["true_30d"] is None else pct(r["true_30d"])),
        ("sum_target", pct(r["desired"])),
    ]  # fmt: skip
    items = "".join(
        f"<li>{say(w[k])}: <b>{say(num(v) if isinstance(v, int) else str(v))}</b></li>"
        for k, v in rows
    )
    pg.section("summary", w["summary_title"], f"<ul class=summary>{items}</ul>",
               ("streak", "true_retention", "target_retention"))  # fmt: skip


def _accuracy(pg: Page, f: dict[str, Any]) -> None:
    w = pg.w
    topics = sorted(f["accuracy_30d"]["by_topic"].items(),
                    key=lambda kv: (kv[1]["accuracy"], kv[0]))  # weakest on top  # fmt: skip
    if not topics:  # answers older than 30 days only
        pg.section("accuracy", w["accuracy_title"], pg.p(w["no_skills"]), ("accuracy",))
        return
    names = [w["topics"].get(t, t) for t, _ in topics]
    svg = charts.render(
        charts.hbars, "accuracy", w["accuracy_title"], names,
        [a["accuracy"] for _, a in topics],
        [w["bar_value"].format(pct=pct(a["accuracy"]), n=num(a["answered"])) for _, a in topics],
        w["axis_share_right"], charts.ORANGE, percent=True,
    )  # fmt: skip
    pg.section("accuracy", w["accuracy_title"], svg + pg.p(w["accuracy_caption"], "note"),
               ("accuracy",))  # fmt: skip


def _mistakes(pg: Page, f: dict[str, Any]) -> None:
    from quizzer import generators

    w, ms = pg.w, f["misconceptions"]
    if not ms:
        wrong = any(a["right"] < a["answered"] for a in f["accuracy_30d"]["by_topic"].values())
        pg.section("mistakes", w["mistakes_title"], pg.p(w["no_mistakes" if wrong else "no_wrong"]))
        return
    known = set(generators.families())
    labels = [w["mistake_bar"].format(n=i + 1, family=pg.family(m["family"]), id=m["id"])
              for i, m in enumerate(ms)]  # fmt: skip
    svg = charts.render(charts.hbars, "mistakes", w["mistakes_title"], labels,
                        [m["count"] for m in ms], [num(m["count"]) for m in ms],
                        w["axis_wrong_answers"], charts.RED, percent=False)  # fmt: skip
    items = "".join(
        f"<li><b>{say(pg.family(m['family']))}</b> <code>{html.escape(m['id'])}</code>: "
        + say(w["mistake_item"].format(
            count=num(m["count"]), share=pct(m["share_of_wrong"]),
            why=generators.explanation(m["family"], m["id"], pg.lang)
            if m["family"] in known else m["id"]))
        + "</li>"
        for m in ms
    )  # fmt: skip
    pg.section("mistakes", w["mistakes_title"],
               svg + f"<ol class=mistakes>{items}</ol>" + pg.p(w["mistakes_caption"], "note"),
               ("mistake",))  # fmt: skip


def _forecast(pg: Page, f: dict[str, Any]) -> None:
    w, due = pg.w, [x["due"] for x in f["forecast"]]
    if not any(due):
        pg.section("forecast", w["forecast_title"], pg.p(w["none_scheduled"]), ("forecast",))
        return
    first = date.fromisoformat(f["forecast"][0]["date"])
    svg = charts.render(charts.day_bars, "forecast", w["forecast_title"], first, due,
                        w["axis_cards_due"], charts.PURPLE, w)  # fmt: skip
    pg.section("forecast", w["forecast_title"], svg + pg.p(w["forecast_caption"], "note"),
               ("forecast", "due"))  # fmt: skip


def _daily(pg: Page, f: dict[str, Any], first: date) -> None:
    w = pg.w
    start = min(first, pg.today - timedelta(days=13))  # at least two weeks wide
    counts = {h["date"]: h["answers"] for h in f["heatmap"]}
    ys = [counts.get((start + timedelta(days=i)).isoformat(), 0)
          for i in range((pg.today - start).days + 1)]  # fmt: skip
    svg = charts.render(charts.day_bars, "daily", w["daily_title"], start, ys,
                        w["axis_answers"], charts.BLUE, w)  # fmt: skip
    pg.section("daily", w["daily_title"], svg + pg.p(w["daily_caption"], "note"))


def _retention(pg: Page, f: dict[str, Any]) -> None:
    w, target = pg.w, f["retention"]["desired"]
    weeks = [(date.fromisoformat(m), r)
             for m, n, r in data.weekly_retention(pg.store, pg.now, RETENTION_WEEKS)
             if n >= MIN_RETENTION_WEEK]  # fmt: skip
    if len(weeks) >= 2:
        body = charts.render(charts.retention_weeks, "retention", w["retention_title"], weeks,
                             target, w) + pg.p(w["retention_caption"].format(target=pct(target)),
                                               "note")  # fmt: skip
    else:
        monday = days.week_start(pg.today)
        earliest = monday if weeks and weeks[0][0] < monday else monday + timedelta(weeks=1)
        body = pg.p(w["retention_wait"].format(min=MIN_RETENTION_WEEK, weeks=len(weeks),
                                               date=pg.day(earliest)), "few")  # fmt: skip
    pg.section("retention", w["retention_title"], body, ("true_retention", "target_retention"))


def _calibration(pg: Page, f: dict[str, Any]) -> None:
    w, cal = pg.w, f["calibration"]
    n = cal["reviews"]
    words: tuple[str, ...] = ("calibration", "fsrs_parameters")
    if n >= MIN_CALIBRATION:
        body = charts.render(charts.calibration, "calibration", w["calibration_title"],
                             cal.get("bins", []), n, w)  # fmt: skip
        d, o = cal["predicted_by"]["default"], cal["predicted_by"]["optimized"]
        by = w["cal_by_mixed"].format(d=num(d), o=num(o)) if d and o else (
            w["cal_by_optimized"] if o else w["cal_by_default"])  # fmt: skip
        numbers = w["cal_numbers"].format(
            n=num(n), ll=f"{cal['log_loss']:.3f}", rmse=f"{cal['rmse_bins']:.3f}", by=by
        )
        body += pg.p(w["calibration_caption"], "note") + pg.p(numbers)
        words += ("log_loss", "rmse_bins")
    else:
        nxt = data.next_review(pg.store)
        when = w["cal_next"].format(date=pg.day(max(days.local_date(nxt), pg.today))) if nxt else ""
        body = pg.p(w["cal_wait"].format(need=MIN_CALIBRATION, n=n, next=when,
                                         more=MIN_CALIBRATION - n), "few")  # fmt: skip
    params = data.parameters_in_use(pg.store)
    body += _parameters(pg, params)
    if params:
        words += ("log_loss", "rmse_bins")
    pg.section("calibration", w["calibration_title"], body, words)


def _parameters(pg: Page, params: dict[str, Any] | None) -> str:
    """Which FSRS parameters are in use; when fitted, their figures against the defaults'
    on the reviews held out of the fit."""
    w = pg.w
    if params is None:
        return pg.p(w["params_default"])
    fitted = days.local_date(params["fitted_at"])
    line = pg.p(w["params_optimized"].format(
        date=pg.day(fitted), optimizer=params["optimizer"], fitted=num(params["reviews_fitted"]),
        held=num(params["reviews_held_out"])))  # fmt: skip
    head = "".join(f"<th>{say(w[k])}</th>" for k in ("params_col_measure", "params_col_default",
                                                     "params_col_fitted"))  # fmt: skip
    rows = "".join(
        f"<tr><td>{say(w[label])}</td><td>{params['default'][k]:.3f}</td>"
        f"<td>{params['fitted'][k]:.3f}</td></tr>"
        for k, label in (("log_loss", "params_log_loss"), ("rmse_bins", "params_rmse"))
    )
    return line + f"<table class=parameters><tr>{head}</tr>{rows}</table>"


def _families(pg: Page, first: date) -> str:
    """Per family, a collapsed <details>: its answers, and its weeks' accuracy and
    stability as a chart."""
    from quizzer import generators

    w, out, known = pg.w, [], set(generators.families())
    for i, (family, weeks) in enumerate(data.family_weeks(pg.store, pg.now, first).items()):
        n, right = sum(wk.answered for wk in weeks), sum(wk.right for wk in weeks)
        name = pg.family(family)
        svg = charts.render(charts.family_weeks, f"family-{i}", name, weeks, w)
        note = "" if any(wk.stability for wk in weeks) else pg.p(w["drill_no_stability"], "note")
        head = say(w["drill_summary"].format(family=name, right=num(right), n=num(n)))
        if family in known:  # the family's own title, as `quizzer topics` shows it
            g = generators.get(family)
            note = pg.p({"en": g.title, "zh": g.title_zh or g.title}[pg.lang], "note") + note
        out.append(
            f"<details data-family={html.escape(family)}><summary>{head} "
            f"<code>{html.escape(family)}</code></summary>{svg}{note}</details>"
        )
    return "".join(out)
