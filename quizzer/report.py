"""`quizzer report`: one self-contained HTML file with charts (matplotlib, embedded as PNG).

Nothing is loaded from the network: images are data: URIs and a Content-Security-Policy
forbids every other source. A section with too little history says so instead of drawing
an empty chart. Calibration follows the srs-benchmark: the FSRS-predicted probability of
recall at each review against what happened, with log loss and RMSE over bins.
"""

from __future__ import annotations

import base64
import html
import io
import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from quizzer import days
from quizzer.figures import FIGURES
from quizzer.models import utcnow
from quizzer.stats import PERIODS, REVIEWS, bounds_json, compute
from quizzer.store import Store

MIN_ANSWERS = 5  # below this, the page says so instead of drawing charts
MIN_CALIBRATION = 20
MIN_RETENTION_WEEK = 5

T = {
    "en": {
        "title": "quizzer progress report", "generated": "Generated",
        "empty": "Too little history yet: {n} answers so far, charts need {min}. Answer a "
        "few questions (quizzer quiz, quizzer review) and run quizzer report again.",
        "daily": "Answers per day (last 90 days)", "retention": "True retention per week",
        "accuracy": "Accuracy per family (last 30 days)", "forecast": "Due forecast (30 days)",
        "calibration": "FSRS calibration: predicted recall vs actual",
        "mistakes": "Most common mistakes (last 30 days)",
        "few": "Not enough history for this chart yet.",
        "cal_numbers": "{n} reviews scored; log loss {ll:.3f}; RMSE (bins) {rmse:.3f}.",
        "cal_what": "Each review at least a day after the card's previous review is binned by "
        "the recall probability FSRS predicted for that moment; the dots show how often you "
        "were actually right. On the diagonal the schedule is calibrated. Reviews the same "
        "day are left out, as FSRS and srs-benchmark do: FSRS predicts recall across days, "
        "not minutes. Log loss and RMSE over srs-benchmark's bins (elapsed days, review "
        "number, lapses; weighted by reviews) are computed as srs-benchmark does.",
        "ret_what": "Share of reviews of Review-state cards answered right, per week; the "
        "dashed line is the desired retention ({desired:.0%}).",
        "definitions": "What the numbers mean", "summary": "Summary",
        "due_now": "Due now", "streak": "Current streak (days)", "true_ret": "True retention, "
        "30 days", "desired": "desired", "answers": "Answers in all", "weakest": "Weakest skills",
        "practise": "Practise them with: quizzer quiz --weakest",
    },
    "zh": {
        "title": "quizzer 学习报告", "generated": "生成时间",
        "empty": "历史记录还太少：目前作答 {n} 次，图表至少需要 {min} 次。"
        "先做几道题（quizzer quiz、quizzer review），再运行 quizzer report。",
        "daily": "每天的作答数（最近 90 天）", "retention": "每周的真实记忆保持率",
        "accuracy": "各题族正确率（最近 30 天）", "forecast": "到期预测（30 天）",
        "calibration": "FSRS 校准：预测的回忆概率与实际结果",
        "mistakes": "最常见的错误（最近 30 天）",
        "few": "这张图的数据还不够。",
        "cal_numbers": "共计入 {n} 次复习；对数损失 {ll:.3f}；分箱 RMSE {rmse:.3f}。",
        "cal_what": "距该卡片上一次复习至少一天的每次复习，按 FSRS 当时预测的回忆概率分箱，"
        "点表示你实际答对的比例；落在对角线上说明调度是校准的。与 FSRS 和 srs-benchmark "
        "一样，不计同一天内的复习：FSRS 预测的是以天计的遗忘，而不是几分钟内的。对数损失和"
        "按 srs-benchmark 的分箱（间隔天数、复习序号、遗忘次数；按复习次数加权）计算的 RMSE "
        "与 srs-benchmark 的算法相同。",
        "ret_what": "复习状态卡片的复习中答对的比例（按周）；虚线为目标保持率（{desired:.0%}）。",
        "definitions": "各项数字的含义", "summary": "概览",
        "due_now": "当前到期", "streak": "当前连续天数", "true_ret": "真实记忆保持率（30 天）",
        "desired": "目标", "answers": "累计作答", "weakest": "最薄弱的技能",
        "practise": "针对练习：quizzer quiz --weakest",
    },
}  # fmt: skip


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _figure(width: float = 7.5, height: float = 2.8) -> tuple[Any, Any]:
    import logging

    # matplotlib's notes to developers (e.g. no writable cache directory) are not the
    # learner's business: only its errors are shown
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(width, height))
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts; ratio charts reset it
    return fig, ax


# true retention per period: a range search of the covering index per week
WEEKS_SQL = f"""{PERIODS}
SELECT i, (SELECT json_array(COUNT(*), SUM(correct)) FROM {REVIEWS}
           WHERE reviewed_at >= p.lo AND reviewed_at < p.hi AND mode = 'review'
           AND prior_state = 2 AND correct IS NOT NULL)
FROM p WHERE hi IS NOT NULL"""


def weekly_retention(store: Store, now: datetime, weeks: int = 26) -> list[tuple[str, int, float]]:
    """(Monday, reviews counted, true retention) per local week, Monday to Sunday, of the
    last `weeks` weeks (this one included), as in stats; weeks without reviews are left out."""
    first = days.week_start(days.today(now)) - timedelta(weeks=weeks - 1)
    mondays = [first + timedelta(weeks=i) for i in range(weeks + 1)]
    bounds = bounds_json([days.day_start(d) for d in mondays])
    with store.engine.connect() as c:
        found = [(i, json.loads(agg)) for i, agg in c.execute(text(WEEKS_SQL), {"bounds": bounds})]
    return [(mondays[i].isoformat(), n, right / n) for i, (n, right) in found if n]


def matplotlib_auto() -> Any:
    from matplotlib.ticker import AutoLocator

    return AutoLocator()


def _chart_daily(f: dict[str, Any]) -> str | None:
    today = date.fromisoformat(f["forecast"][0]["date"])
    counts = {h["date"]: h["answers"] for h in f["heatmap"]}
    days = [today - timedelta(days=i) for i in range(89, -1, -1)]
    ys = [counts.get(d.isoformat(), 0) for d in days]
    if sum(1 for y in ys if y) < 2:
        return None
    fig, ax = _figure()
    ax.bar(days, ys, width=0.9, color="#3b7dd8")
    ax.set_ylabel("answers")
    fig.autofmt_xdate()
    return _png(fig)


def _chart_retention(weeks: list[tuple[str, int, float]], desired: float) -> str | None:
    pts = [(date.fromisoformat(w), a) for w, n, a in weeks if n >= MIN_RETENTION_WEEK]
    if len(pts) < 2:
        return None
    fig, ax = _figure()
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color="#2a9d55")
    ax.axhline(desired, linestyle="--", color="#888")
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_locator(matplotlib_auto())
    ax.set_ylabel("retention")
    fig.autofmt_xdate()
    return _png(fig)


def _chart_accuracy(f: dict[str, Any]) -> str | None:
    acc = f["accuracy_30d"]["by_family"]
    if not acc:
        return None
    names = list(acc)
    fig, ax = _bars(names, [acc[n]["accuracy"] for n in names], "#d8833b")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share right")
    return _png(fig)


def _bars(names: list[str], values: list[float], color: str) -> tuple[Any, Any]:
    """A horizontal bar chart with every bar labelled, top to bottom in the given order
    (_figure's whole-number locator is for counts: here it goes on the value axis)."""
    from matplotlib.ticker import MaxNLocator

    fig, ax = _figure(7.5, 0.45 * len(names) + 0.8)
    ax.barh(range(len(names)), values, color=color)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=all(float(v).is_integer() for v in values)))
    return fig, ax


def _chart_forecast(f: dict[str, Any]) -> str | None:
    ys = [x["due"] for x in f["forecast"]]
    if not any(ys):
        return None
    fig, ax = _figure()
    ax.bar(range(30), ys, color="#7a5cd6")
    ax.set_xlabel("days from today")
    ax.set_ylabel("cards due")
    return _png(fig)


def _chart_calibration(cal: dict[str, Any]) -> str | None:
    if cal["n"] < MIN_CALIBRATION:
        return None
    fig, ax = _figure(4.8, 4.2)
    ax.plot([0, 1], [0, 1], linestyle="--", color="#888")
    b = cal["bins"]
    ax.scatter([x["predicted"] for x in b], [x["actual"] for x in b],
               s=[20 + 180 * x["n"] / cal["n"] for x in b], color="#c2410c")  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_locator(matplotlib_auto())
    ax.set_xlabel("predicted recall")
    ax.set_ylabel("actual recall")
    return _png(fig)


def _chart_mistakes(f: dict[str, Any]) -> str | None:
    ms = f["misconceptions"]
    if not ms:
        return None
    names = [f"{m['family']}: {m['id']}" for m in ms]
    fig, ax = _bars(names, [m["count"] for m in ms], "#b83280")  # counts: whole numbers
    ax.set_xlabel("wrong answers explained")
    return _png(fig)


def build(store: Store, lang: str = "en", now: datetime | None = None) -> str:
    now = now or utcnow()
    w = T[lang]
    f = compute(store, now)
    e = html.escape
    stamp = f"{days.local(now):%Y-%m-%d %H:%M} ({f['timezone']})"  # the learner's clock
    parts = [f"<h1>{e(w['title'])}</h1><p class=meta>{e(w['generated'])}: {e(stamp)}</p>"]
    if f["answers"]["total"] < MIN_ANSWERS:
        msg = w["empty"].format(n=f["answers"]["total"], min=MIN_ANSWERS)
        parts.append(f"<p class=empty>{e(msg)}</p>")
        return _page(w, "".join(parts), lang)
    r = f["retention"]
    true_ret = "–" if r["true_30d"] is None else f"{r['true_30d']:.0%}"
    parts.append(
        f"<h2>{e(w['summary'])}</h2><ul class=summary>"
        f"<li>{e(w['due_now'])}: <b>{f['due']['now']}</b></li>"
        f"<li>{e(w['streak'])}: <b>{f['streak']['current']}</b></li>"
        f"<li>{e(w['true_ret'])}: <b>{true_ret}</b> ({e(w['desired'])} {r['desired']:.0%})</li>"
        f"<li>{e(w['answers'])}: <b>{f['answers']['total']}</b></li></ul>"
    )
    if f["weakest_skills"]:
        items = "".join(
            f"<li>{e(k['skill'])}: {k['accuracy']:.0%}</li>" for k in f["weakest_skills"]
        )
        parts.append(f"<h3>{e(w['weakest'])}</h3><ol>{items}</ol><p>{e(w['practise'])}</p>")
    cal = {**f["calibration"], "n": f["calibration"]["reviews"]}
    sections = [
        ("daily", _chart_daily(f), ""),
        ("retention", _chart_retention(weekly_retention(store, now), r["desired"]),
         w["ret_what"].format(desired=r["desired"])),
        ("accuracy", _chart_accuracy(f), ""),
        ("forecast", _chart_forecast(f), ""),
        ("calibration", _chart_calibration(cal),
         w["cal_what"] + (" " + w["cal_numbers"].format(n=cal["n"], ll=cal["log_loss"],
                                                        rmse=cal["rmse_bins"])
                          if cal["n"] >= MIN_CALIBRATION else "")),
        ("mistakes", _chart_mistakes(f), ""),
    ]  # fmt: skip
    for key, png, note in sections:
        parts.append(f"<section id={key}><h2>{e(w[key])}</h2>")
        if png is None:
            parts.append(f"<p class=few>{e(w['few'])}</p>")
        else:
            parts.append(f'<img class=chart alt="{e(w[key])}" src="data:image/png;base64,{png}">')
        if note:
            parts.append(f"<p class=note>{e(note)}</p>")
        parts.append("</section>")
    defs = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in FIGURES.items())
    parts.append(f"<h2>{e(w['definitions'])}</h2><dl>{defs}</dl>")
    return _page(w, "".join(parts), lang)


def _page(w: dict[str, str], body: str, lang: str) -> str:
    csp = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
           "script-src 'unsafe-inline'")  # fmt: skip
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(w["title"])}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC",
  "Microsoft YaHei", sans-serif; max-width: 860px; margin: 2em auto; padding: 0 1em;
  color: #1d1d1f; line-height: 1.5; }}
img.chart {{ max-width: 100%; height: auto; display: block; }}
.meta, .note, .few, dd {{ color: #555; }}
.empty, .few {{ padding: .8em 1em; background: #f4f4f6; border-radius: 6px; }}
@media (prefers-color-scheme: dark) {{ body {{ background: #1e1e1e; color: #e6e6e6; }}
  .meta, .note, .few, dd {{ color: #aaa; }} .empty, .few {{ background: #2b2b2e; }}
  img.chart {{ background: #fff; border-radius: 4px; }} }}
</style></head>
<body>{body}
<script>
// marks each chart once the page has loaded: its decoded size, or "failed"
window.addEventListener("load", () => {{
  for (const img of document.querySelectorAll("img.chart")) {{
    img.dataset.decoded = img.complete && img.naturalWidth > 0
      ? img.naturalWidth + "x" + img.naturalHeight : "failed";
  }}
}});
</script>
</body></html>
"""
