"""The report's charts: matplotlib figures written as SVG whose text stays text
(`svg.fonttype = 'none'`), inlined into the page. The browser draws every label with the
reader's own fonts (Chinese included), and the page stays one offline file.

matplotlib measures text with its own font, which may lack the glyphs of the label (CJK):
so margins are set from an estimate of each label's width (a wide East Asian character
is 1 em, any other about 0.6 em), not from matplotlib's measurement, and its
missing-glyph warnings are silenced. Each chart's ids get a prefix of their own, so that
several SVGs in one page never resolve each other's clip paths or markers.

Every function takes the language's words `w` (quizzer/report.toml) for axis labels,
legends and date formats, and returns the <svg> element as a string.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

WIDTH = 7.5  # inches; the page is ~860 px wide
FONT = 9  # points
RC = {
    "svg.fonttype": "none",  # text as <text>, drawn by the browser
    "svg.hashsalt": "quizzer-report",  # ids derived from content: the same page twice
    "font.size": FONT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": FONT,
    "legend.fontsize": FONT - 1,
    "legend.frameon": False,
}
BLUE, GREEN, ORANGE, PURPLE, RED, GREY = (
    "#3b7dd8", "#2a9d55", "#d8833b", "#7a5cd6", "#b83280", "#888888",
)  # fmt: skip
LEVEL_COLORS = ["#3b7dd8", "#d8833b", "#2a9d55", "#7a5cd6", "#b83280"]


def text_width(s: str, points: float = FONT) -> float:
    """Estimated width of `s` in inches at `points`: 1 em per wide (CJK) character, 0.6 em
    per other character (DejaVu Sans and system UI fonts are narrower on average)."""
    ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in s)
    return ems * points / 72


def _figure(height: float, left: float, right: float = 0.25, bottom: float = 0.5,
            top: float = 0.15) -> tuple[Any, Any]:  # fmt: skip
    """A figure WIDTH x height inches with one axes, margins in inches."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height))
    ax = fig.add_axes((left / WIDTH, bottom / height, 1 - (left + right) / WIDTH,
                       1 - (bottom + top) / height))  # fmt: skip
    return fig, ax


def to_svg(fig: Any, key: str, label: str) -> str:
    """The figure as an inline <svg class=chart data-chart=key> with ids prefixed by key,
    its font left to the page (the style's font-family removed), `label` its accessible
    name."""
    buf = io.StringIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"font-family: [^;\"]*;? ?", "", svg)
    svg = svg.replace('id="', f'id="{key}-').replace("url(#", f"url(#{key}-")
    svg = svg.replace('href="#', f'href="#{key}-')
    from html import escape

    return svg.replace(
        "<svg ",
        f'<svg class="chart" data-chart="{key}" role="img" aria-label="{escape(label)}" ',
        1,
    )


def render(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """fn(*args, **kwargs) under the report's matplotlib settings."""
    import logging

    # matplotlib's notes to developers (e.g. no writable cache directory) are not the
    # learner's business: only its errors are shown
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    import matplotlib

    with matplotlib.rc_context(RC):
        return fn(*args, **kwargs)


def _whole_numbers(axis: Any) -> None:
    """A count axis from 0 with whole-number ticks only."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, nbins=5, min_n_ticks=2))


def _percent(axis: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def date_ticks(first: date, last: date, w: dict[str, Any], width: float) -> tuple[list, list]:
    """Tick positions (dates) and labels for a time axis `width` inches wide from `first` to
    `last`: days (w["date_day"]) over two months or less, else the first of months
    (w["date_month"]); every k-th of them, the smallest k whose labels fit side by side."""
    span = (last - first).days
    if span <= 62:
        cands = [first + timedelta(days=k) for k in range(span + 1)]
        fmt, steps = w["date_day"], (1, 2, 3, 4, 5, 7, 10, 14, 21, 28, 31)
    else:
        cands, m = [], date(first.year, first.month, 1)
        while m <= last:
            if m >= first:
                cands.append(m)
            m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
        fmt, steps = w["date_month"], (1, 2, 3, 4, 6, 12, 24)
    labels = [fmt.format(d=d) for d in cands]
    room = max((text_width(t) for t in labels), default=0) + 0.25
    step = next((k for k in steps if len(cands[::k]) * room <= width), steps[-1])
    return cands[::step], labels[::step]


def _time_axis(ax: Any, first: date, last: date, w: dict[str, Any], pad: float = 0.6) -> None:
    from matplotlib.dates import date2num

    width = ax.get_position().width * ax.figure.get_figwidth()
    ticks, labels = date_ticks(first, last, w, width)
    ax.set_xticks([date2num(t) for t in ticks], labels)
    ax.set_xlim(date2num(first) - pad, date2num(last) + pad)


def hbars(key: str, label: str, names: Sequence[str], values: Sequence[float],
          notes: Sequence[str], xlabel: str, color: str, percent: bool) -> str:  # fmt: skip
    """Horizontal bars top to bottom, every bar labelled with its name on the axis and
    `notes[i]` after it; each bar's SVG group has the id `<key>-bar-<i>`. A share axis
    (percent) runs 0-100%; a count axis ticks whole numbers."""
    left = max(text_width(n) for n in names) + 0.25
    right = max(text_width(n, FONT - 1) for n in notes) + 0.3
    fig, ax = _figure(0.3 * len(names) + 0.75, left, right, bottom=0.5, top=0.1)
    bars = ax.barh(range(len(names)), values, color=color, height=0.7)
    for i, bar in enumerate(bars):
        bar.set_gid(f"bar-{i}")
    ax.set_yticks(range(len(names)), list(names))
    ax.set_ylim(len(names) - 0.5, -0.5)  # first name on top
    ax.tick_params(axis="y", length=0)
    top = max(values) if values else 1
    if percent:
        ax.set_xlim(0, 1)
        _percent(ax.xaxis)
    else:
        ax.set_xlim(0, max(1, top) * 1.02)
        _whole_numbers(ax.xaxis)
    for i, (v, note) in enumerate(zip(values, notes, strict=True)):
        ax.text(v, i, " " + note, va="center", ha="left", fontsize=FONT - 1, clip_on=False)
    ax.set_xlabel(xlabel)
    return to_svg(fig, key, label)


def day_bars(key: str, label: str, first: date, counts: Sequence[int], ylabel: str,
             color: str, w: dict[str, Any]) -> str:  # fmt: skip
    """One bar per day from `first` (counts[i] on first + i days), a date axis, a count
    axis in whole numbers."""
    from matplotlib.dates import date2num

    fig, ax = _figure(2.6, left=0.75, bottom=0.45)
    xs = [date2num(first + timedelta(days=i)) for i in range(len(counts))]
    ax.bar(xs, counts, width=0.8, color=color)
    _time_axis(ax, first, first + timedelta(days=len(counts) - 1), w)
    ax.set_ylim(0, max(1, max(counts)) * 1.05)
    _whole_numbers(ax.yaxis)
    ax.set_ylabel(ylabel)
    return to_svg(fig, key, label)


def retention_weeks(key: str, label: str, weeks: Sequence[tuple[date, float]], target: float,
                    w: dict[str, Any]) -> str:  # fmt: skip
    """True retention per week (a point on each week's Monday) against the target."""
    from matplotlib.dates import date2num

    fig, ax = _figure(2.6, left=0.75, bottom=0.45)
    xs = [date2num(d) for d, _ in weeks]
    ax.plot(xs, [r for _, r in weeks], marker="o", color=GREEN, label=w["legend_true_retention"])
    ax.axhline(target, linestyle="--", color=GREY, label=w["legend_target"])
    _time_axis(ax, weeks[0][0], weeks[-1][0], w, pad=3.5)
    ax.set_ylim(0, 1.02)
    _percent(ax.yaxis)
    ax.set_ylabel(w["axis_share_right"])
    ax.legend(loc="lower left")
    return to_svg(fig, key, label)


def calibration(key: str, label: str, bins: Sequence[dict[str, Any]], n: int,
                w: dict[str, Any]) -> str:  # fmt: skip
    """Predicted recall against the share recalled, one dot per bin sized by its reviews."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.6, 3.9))
    ax = fig.add_axes((0.75 / 4.6, 0.5 / 3.9, 1 - 1.0 / 4.6, 1 - 0.65 / 3.9))
    ax.plot([0, 1], [0, 1], linestyle="--", color=GREY)
    ax.scatter([b["predicted"] for b in bins], [b["actual"] for b in bins],
               s=[20 + 180 * b["n"] / n for b in bins], color="#c2410c", zorder=3)  # fmt: skip
    for axis in (ax.xaxis, ax.yaxis):
        _percent(axis)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(w["axis_predicted"])
    ax.set_ylabel(w["axis_actual"])
    return to_svg(fig, key, label)


def family_weeks(key: str, label: str, weeks: Sequence[Any], w: dict[str, Any]) -> str:
    """Two panels over the family's weeks: the share right per week, and per level the
    mean stability (days) at that week's reviews (report_data.Week)."""
    from matplotlib.dates import date2num
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, 2.3))
    h, b = 2.3, 0.45
    acc = fig.add_axes((0.7 / WIDTH, b / h, 2.65 / WIDTH, 1 - (b + 0.15) / h))
    stab = fig.add_axes((4.35 / WIDTH, b / h, 2.1 / WIDTH, 1 - (b + 0.15) / h))
    first, last = weeks[0].monday, weeks[-1].monday
    xs = [date2num(wk.monday) for wk in weeks]
    acc.plot(xs, [wk.right / wk.answered for wk in weeks], marker="o", color=ORANGE)
    acc.set_ylim(-0.02, 1.02)
    _percent(acc.yaxis)
    acc.set_ylabel(w["axis_share_right"])
    levels = sorted({lvl for wk in weeks for lvl in wk.stability})
    for k, lvl in enumerate(levels):
        pts = [(date2num(wk.monday), wk.stability[lvl]) for wk in weeks if lvl in wk.stability]
        stab.plot([x for x, _ in pts], [s for _, s in pts], marker="o", markersize=4,
                  color=LEVEL_COLORS[k % len(LEVEL_COLORS)],
                  label=w["legend_level"].format(n=lvl))  # fmt: skip
    stab.set_ylim(0, max([s for wk in weeks for s in wk.stability.values()] + [1]) * 1.1)
    stab.set_ylabel(w["axis_stability"])
    if levels:
        stab.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
    else:  # never reviewed on the schedule: the page says so instead of an empty panel
        stab.set_visible(False)
    for ax in (acc, stab):
        _time_axis(ax, first, last, w, pad=3.5)
    return to_svg(fig, key, label)
