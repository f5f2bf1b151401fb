"""`quizzer stats` in the terminal: the figures of quizzer.stats as rich tables, a 30-day
forecast strip and a year heatmap. Plain text (no colour codes) when not on a terminal.

Names read from the database (families, decks, mistake ids) are shown as plain text: never
as rich markup or emoji codes, and with control characters escaped (quizzer.ui.printable).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from quizzer import days

BLOCKS = " ▁▂▃▄▅▆▇█"
SHADES = "·░▒▓█"

WORDS = {
    "en": {
        "title": "Progress", "cards": "Cards", "new": "new", "learning": "learning",
        "review": "review", "relearning": "relearning", "due": "Due", "now": "now",
        "today": "by end of today", "on_day": "today", "overdue": "overdue",
        "forecast": "Next 30 days",
        "heatmap": "Answers per day, last 52 weeks", "streak": "Streak",
        "current": "current", "longest": "longest", "days": "days", "day": "day",
        "time": "Time spent",
        "minutes": "min", "all": "all", "7d": "7 days", "30d": "30 days",
        "hours": "{h} h", "days_hours": "{d} days {h} h", "span": "{what} ({when})",
        "retention": "True retention (30 days)", "desired": "desired",
        "no_retention": "no reviews of Review-state cards in the last 30 days yet",
        "of_reviews": "of {n}",
        "calibration": "FSRS calibration: log loss {ll:.3f}, RMSE (bins) {rmse:.3f} over {n} "
        "reviews at least a day after the card's previous one, {by}",
        "calibration_one": "FSRS calibration: log loss {ll:.3f}, RMSE (bins) {rmse:.3f} over "
        "{n} review at least a day after the card's previous one, {by}",
        "by_default": "predicted by FSRS's default parameters",
        "by_optimized": "predicted by your fitted parameters",
        "by_mixed": "{d} predicted by FSRS's default parameters and {o} by your fitted ones",
        "in_use": "Parameters in use: fitted to you by quizzer optimize on {date}; on the "
        "reviews held out from the fit, log loss {after:.4f} against {before:.4f} for the "
        "defaults.",
        "accuracy_family": "Accuracy by family, last 30 days",
        "accuracy_topic": "Accuracy by topic, last 30 days", "family": "family", "topic": "topic",
        "answered": "answered", "right": "right", "weakest": "Weakest skills",
        "skill": "skill", "recall": "recall", "right_share": "right",
        "mistakes": "Mistakes behind wrong answers",
        "mistake": "mistake", "count": "count", "share": "share of wrong",
        "empty": "No answers yet: start with quizzer quiz or quizzer review.",
        "help": "Every figure is defined in quizzer stats --help.",
        "practice": "skill = family:level; right = share answered right in the last 30 days; "
        "recall = FSRS's chance you remember the skill now (it rises with each right review, "
        "so a skill can be often wrong yet freshly reviewed). Practise them: quizzer quiz "
        "--weakest",
    },
    "zh": {
        "title": "学习进度", "cards": "卡片", "new": "新卡", "learning": "学习中",
        "review": "复习中", "relearning": "重学中", "due": "到期", "now": "现在",
        "today": "今天结束前", "on_day": "今天", "overdue": "已逾期", "forecast": "未来 30 天",
        "heatmap": "最近 52 周每天的作答数", "streak": "连续学习",
        "current": "当前", "longest": "最长", "days": "天", "day": "天", "time": "用时",
        "minutes": "分钟", "all": "全部", "7d": "7 天", "30d": "30 天",
        "hours": "{h} 小时", "days_hours": "{d} 天 {h} 小时", "span": "{what}（{when}）",
        "retention": "真实记忆保持率（30 天）", "desired": "目标",
        "no_retention": "最近 30 天还没有复习状态卡片的复习记录",
        "of_reviews": "（共 {n} 次）",
        "calibration": "FSRS 校准：对数损失 {ll:.3f}，分箱 RMSE {rmse:.3f}，计入 {n} 次距上次"
        "复习至少一天的复习，{by}",
        "calibration_one": "FSRS 校准：对数损失 {ll:.3f}，分箱 RMSE {rmse:.3f}，计入 {n} 次距"
        "上次复习至少一天的复习，{by}",
        "by_default": "均由 FSRS 默认参数预测",
        "by_optimized": "均由为你拟合的参数预测",
        "by_mixed": "其中 {d} 次由 FSRS 默认参数预测，{o} 次由为你拟合的参数预测",
        "in_use": "当前使用的参数：quizzer optimize 于 {date} 为你拟合；在拟合时留出的复习上，"
        "对数损失 {after:.4f}，默认参数为 {before:.4f}。",
        "accuracy_family": "正确率（按题族，最近 30 天）",
        "accuracy_topic": "正确率（按主题，最近 30 天）", "family": "题族", "topic": "主题",
        "answered": "作答", "right": "答对", "weakest": "最薄弱的技能",
        "skill": "技能", "recall": "回忆概率", "right_share": "答对率",
        "mistakes": "错误答案背后的常见错误",
        "mistake": "错误类型", "count": "次数", "share": "占错误比例",
        "empty": "还没有作答记录：先试试 quizzer quiz 或 quizzer review。",
        "help": "每个数字的含义见 quizzer stats --help。",
        "practice": "技能 = 题族:难度；答对率 = 最近 30 天答对的比例；回忆概率 = FSRS 估计你现在"
        "还记得该技能的概率（每次答对的复习都会提高它，所以常答错的技能也可能刚复习过）。"
        "针对练习：quizzer quiz --weakest",
    },
}  # fmt: skip


def strip(counts: list[int]) -> str:
    """A row of block characters, one per day, scaled to the largest count."""
    top = max(counts) if counts else 0
    if top == 0:
        return BLOCKS[1] * len(counts)
    return "".join(BLOCKS[0 if c == 0 else 1 + round(7 * c / top)] for c in counts)


def heatmap_rows(heat: list[dict[str, Any]], today: date) -> list[str]:
    """Seven rows (Monday..Sunday) of 52 weekly columns, shaded by quartile of the busiest day."""
    counts = {date.fromisoformat(h["date"]): h["answers"] for h in heat}
    top = max(counts.values(), default=0)
    start = today - timedelta(days=today.weekday() + 7 * 51)
    rows = []
    for wd in range(7):
        cells = []
        for week in range(52):
            d = start + timedelta(days=7 * week + wd)
            if d > today:
                cells.append(" ")
            else:
                n = counts.get(d, 0)
                cells.append(SHADES[0] if n == 0 else SHADES[min(4, 1 + (3 * n) // max(top, 1))])
        rows.append("".join(cells))
    return rows


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def spent(minutes: float, w: dict[str, str]) -> str:
    """Time spent for reading: minutes up to 120 ("95.5 min"), then hours ("2.1 h"), then
    from 48 hours on whole days and hours ("185 days 4.4 h" for 266,666.2 minutes)."""
    if minutes <= 120:
        return f"{minutes} {w['minutes']}"
    hours = round(minutes / 60, 1)
    if hours < 48:
        return w["hours"].format(h=f"{hours:.1f}")
    days, rest = divmod(hours, 24)
    return w["days_hours"].format(d=f"{int(days):,}", h=f"{rest:.1f}")


def group_name(table: str, group: str, lang: str) -> str:
    """A row name of stats' accuracy tables in `lang`: a topic's name (quizzer.i18n.topic),
    "concept" and the deck's title for "concept:DECK" (quizzer.decks.deck_title, named as
    the session summary names it), else the family id as typed (quizzer quiz FAMILY)."""
    if table == "by_topic":
        from quizzer.i18n import topic

        return topic(group, lang)
    if group.startswith("concept:"):
        from quizzer.decks import deck_title
        from quizzer.i18n import t

        return t("concept_group", lang, deck=deck_title(group.removeprefix("concept:"), lang))
    return group


def _cell(value: Any) -> Any:
    """A table cell for a name from the database: literal text on one line."""
    from rich.text import Text

    from quizzer.ui import printable

    return Text(printable(str(value), multiline=False))


def render(f: dict[str, Any], lang: str = "en", console: Any = None) -> None:
    from rich.table import Table

    from quizzer.ui import rich_console

    w = WORDS[lang]
    con = console or rich_console(highlight=False, emoji=False)
    con.print(f"[bold]{w['title']}[/bold] — {f['generated_at'][:10]}")
    c = f["cards"]
    con.print(
        f"{w['cards']}: {c['total']} — "
        + ", ".join(f"{c[k]} {w[k]}" for k in ("new", "learning", "review", "relearning"))
    )
    d = f["due"]
    con.print(f"{w['due']}: {d['now']} {w['now']} · {d['today']} {w['today']} · "
              f"{d['overdue']} {w['overdue']}")  # fmt: skip
    con.print(f"{w['forecast']}: [cyan]{strip([x['due'] for x in f['forecast']])}[/cyan] "
              f"({sum(x['due'] for x in f['forecast'])})")  # fmt: skip
    if f["answers"]["total"] == 0:
        con.print(w["empty"])
        con.print(f"[dim]{w['help']}[/dim]")
        return
    s, tm = f["streak"], f["time_spent_minutes"]

    def days_(n: int) -> str:
        return f"{n} {w['day'] if n == 1 else w['days']}"

    con.print(f"{w['streak']}: {w['span'].format(what=days_(s['current']), when=w['current'])}, "
              f"{w['span'].format(what=days_(s['longest']), when=w['longest'])}")  # fmt: skip
    spans = {"today": w["on_day"], "7d": w["7d"], "30d": w["30d"], "all": w["all"]}
    con.print(f"{w['time']}: " + " · ".join(w["span"].format(what=spent(tm[k], w), when=v)
                                             for k, v in spans.items()))  # fmt: skip
    r = f["retention"]
    if r["true_30d"] is None:
        target = f"{w['desired']} {pct(r['desired'])}"
        con.print(f"{w['retention']}: " + w["span"].format(what=w["no_retention"], when=target))
    else:
        con.print(f"{w['retention']}: [bold]{pct(r['true_30d'])}[/bold] "
                  + w["of_reviews"].format(n=r["reviews_counted"])
                  + f" · {w['desired']} {pct(r['desired'])}")  # fmt: skip
    cal = f["calibration"]
    if cal["reviews"]:
        d, o = cal["predicted_by"]["default"], cal["predicted_by"]["optimized"]
        by = w["by_mixed"].format(d=f"{d:,}", o=f"{o:,}") if d and o else (
            w["by_optimized"] if o else w["by_default"])  # fmt: skip
        line = w["calibration_one" if cal["reviews"] == 1 else "calibration"].format(
            n=f"{cal['reviews']:,}", ll=cal["log_loss"], rmse=cal["rmse_bins"], by=by
        )
        con.print(line)
    if fitted := cal.get("fitted"):
        con.print(w["in_use"].format(
            date=days.local_date(datetime.fromisoformat(fitted["fitted_at"])).isoformat(),
            after=fitted["fitted"]["log_loss"], before=fitted["default"]["log_loss"],
        ))  # fmt: skip
    con.print(f"\n{w['heatmap']}:")
    today = date.fromisoformat(f["forecast"][0]["date"])
    for row in heatmap_rows(f["heatmap"], today):
        con.print(f"  [green]{row}[/green]")
    for key, label in (("by_family", "family"), ("by_topic", "topic")):
        acc = f["accuracy_30d"][key]
        if acc:
            t = Table(title=w[f"accuracy_{label}"], title_justify="left")
            for col in (w[label], w["answered"], w["right"], "%"):
                t.add_column(col, justify="left" if col == w[label] else "right")
            for group, a in acc.items():
                name = group_name(key, group, lang)
                t.add_row(_cell(name), str(a["answered"]), str(a["right"]), pct(a["accuracy"]))
            con.print(t)
    if f["weakest_skills"]:
        t = Table(title=w["weakest"], title_justify="left")
        for col in (w["skill"], w["answered"], w["right_share"], w["recall"]):
            t.add_column(col)
        for k in f["weakest_skills"]:
            t.add_row(_cell(k["skill"]), str(k["answered"]), pct(k["accuracy"]), pct(k["recall"]))
        con.print(t)
        con.print(f"[dim]{w['practice']}[/dim]")
    if f["misconceptions"]:
        t = Table(title=w["mistakes"], title_justify="left")
        for col in (w["mistake"], w["count"], w["share"]):
            t.add_column(col)
        for m in f["misconceptions"]:
            t.add_row(_cell(f"{m['family']}: {m['id']}"), str(m["count"]), pct(m["share_of_wrong"]))
        con.print(t)
    con.print(f"[dim]{w['help']}[/dim]")
