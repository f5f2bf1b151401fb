"""`quizzer report`: one self-contained HTML file, opened in headless Chromium (Debian's
chromium package, which .ci/run installs): it renders, every chart is laid out and drawn,
and the page loads nothing from the network."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from quizzer.cli import cli
from tests.simulate import NOW, simulate

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
         "--virtual-time-budget=5000"]  # fmt: skip


def chromium(page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    assert CHROMIUM, "headless tests need Debian's chromium: apt-get install chromium"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *extra, page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def page_requests(netlog: Path) -> list[str]:
    """URLs the page itself asked for (browser-internal requests have no origin)."""
    log = json.loads(netlog.read_text())
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    starts = [e.get("params", {}) for e in log["events"]
              if names.get(e["type"]) == "URL_REQUEST_START_JOB"]  # fmt: skip
    return [
        p["url"]
        for p in starts
        if "url" in p
        and p.get("initiator") != "not an origin"
        and not p["url"].startswith(("data:", "file:"))
    ]


def not_blank(png: bytes) -> bool:
    import matplotlib.image as mpimg

    pixels = mpimg.imread(io.BytesIO(png), format="png")
    return float(pixels[..., :3].std()) > 0.02


def write_report(runner, db: Path, out: Path, *args: str) -> str:
    result = runner.invoke(cli, ["--db", str(db), *args, "report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def learner_report(tmp_path: Path, lang: str = "en") -> tuple[Path, str]:
    """The report of the simulated learner, as of the simulation's last day."""
    from quizzer.report import build

    page = build(simulate(tmp_path / "sim.sqlite3").store, lang, NOW)
    out = tmp_path / f"report-{lang}.html"
    out.write_text(page, encoding="utf-8")
    return out, page


def charts(page: str) -> list[str]:
    return re.findall(r'<svg class="chart" data-chart="([\w-]+)"', page)


MAIN = ["accuracy", "mistakes", "forecast", "daily", "retention", "calibration"]


def test_report_of_a_learner_renders_offline_in_chromium(tmp_path: Path):
    page, html = learner_report(tmp_path)
    found = charts(html)
    # the learner answered four families: one drill-down chart each
    assert found == [*MAIN, "family-0", "family-1", "family-2", "family-3"]
    assert "default-src 'none'" in html  # the page may load nothing else
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    assert "log loss" in html and "RMSE (bins)" in html
    netlog = tmp_path / "netlog.json"
    opened = tmp_path / "opened.html"  # the drill-down's <details> open, so it is laid out
    opened.write_text(html.replace("<details ", "<details open "), encoding="utf-8")
    done = chromium(opened, tmp_path, f"--log-net-log={netlog}", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    rendered = re.findall(r'data-rendered="(\d+)x(\d+):(\d+)"', done.stdout)
    assert len(rendered) == len(found)
    assert all(int(w) > 300 and int(h) > 100 and int(n) >= 10 for w, h, n in rendered)
    assert page_requests(netlog) == []
    shot = tmp_path / "shot.png"
    chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1000,3000")
    assert not_blank(shot.read_bytes())


def test_the_network_check_would_catch_a_remote_load(tmp_path: Path):
    page = tmp_path / "remote.html"
    page.write_text('<img src="http://127.0.0.1:9/x.png">')
    netlog = tmp_path / "netlog.json"
    chromium(page, tmp_path, f"--log-net-log={netlog}", "--dump-dom")
    assert page_requests(netlog) == ["http://127.0.0.1:9/x.png"]


def test_chinese_report(tmp_path: Path):
    _, html = learner_report(tmp_path, "zh")
    assert '<html lang="zh">' in html and "学习报告" in html and "FSRS 对你记忆的预测" in html
    assert charts(html)[:6] == MAIN


def test_the_calibration_figures_are_the_learners_own(tmp_path: Path):
    """The log loss and RMSE the page prints are calibration's, to three decimals, and a
    log loss is positive (the mean of -ln p)."""
    from quizzer.calibration import calibration

    who = simulate(tmp_path / "sim.sqlite3")
    from quizzer.report import build

    cal = calibration(who.store)
    html = build(who.store, "en", NOW)
    assert cal["log_loss"] > 0
    assert (f"{cal['reviews']:,} reviews scored: log loss {cal['log_loss']:.3f}, RMSE (bins) "
            f"{cal['rmse_bins']:.3f}") in html  # fmt: skip


def test_report_command(runner, tmp_path: Path):
    simulate(tmp_path / "sim.sqlite3")
    result = runner.invoke(
        cli, ["--db", str(tmp_path / "sim.sqlite3"), "report", "--out", str(tmp_path / "r.html")]
    )
    page = (tmp_path / "r.html").read_text()
    assert result.exit_code == 0 and page.startswith("<!doctype html>")
    assert result.output == f"Wrote {tmp_path / 'r.html'} ({len(charts(page))} charts).\n"


def test_no_answers_gives_a_message_not_an_empty_chart(runner, tmp_path: Path):
    html = write_report(runner, tmp_path / "none.sqlite3", tmp_path / "r.html")
    assert "<svg" not in html
    assert "No answers yet. Start with <code>quizzer quiz</code>" in html


def test_one_answer_already_gives_the_days_charts(tmp_path: Path):
    from quizzer.db import connect
    from quizzer.report import build
    from quizzer.store import Store
    from tests.simulate import Learner

    store = Store(connect(str(tmp_path / "one.sqlite3")))
    Learner(store).answer("z-score", 1, 3, NOW, correct=False, mistake="z-wrong-correction")
    html = build(store, "en", NOW + timedelta(minutes=5))
    assert charts(html) == ["accuracy", "mistakes", "forecast", "daily", "family-0"]
    assert "z-score, level 1 <code>z-score:1</code></td><td>0 of 1</td><td>0%</td>" in html
    assert "1 card is due now: <code>quizzer review</code> takes you through it." in html


def test_bar_charts_label_every_bar_and_count_in_whole_numbers():
    """22 families: every one labelled (matplotlib's default locator labelled 8 of them);
    a count axis ticks whole numbers only."""
    from quizzer import generators
    from quizzer.report_charts import BLUE, hbars, render

    names = generators.families()
    svg = render(hbars, "t", "t", names, [0.5] * len(names), ["50%"] * len(names), "share",
                 BLUE, percent=True)  # fmt: skip
    assert len(re.findall(r'id="t-bar-\d+"', svg)) == len(names)
    ticks = re.findall(r'id="t-ytick_\d+">.*?<text\b[^>]*>([^<]*)</text>', svg, re.S)
    assert ticks == names
    svg = render(hbars, "c", "c", ["a: x", "b: y"], [3, 1], ["3", "1"], "count", BLUE,
                 percent=False)  # fmt: skip
    xticks = re.findall(r'id="c-xtick_\d+">.*?<text\b[^>]*>([^<]*)</text>', svg, re.S)
    assert xticks and all(t.isdigit() for t in xticks), xticks


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("days", "width"), [(13, 6.5), (29, 6.5), (364, 6.5), (299, 2.1)])
def test_time_axes_show_dates_that_fit(lang, days, width):
    from datetime import date, timedelta

    from quizzer.report import TEXT
    from quizzer.report_charts import date_ticks, text_width

    first = date(2025, 9, 4)
    ticks, labels = date_ticks(first, first + timedelta(days=days), TEXT[lang], width)
    assert len(ticks) >= 2 and all(first <= t <= first + timedelta(days=days) for t in ticks)
    assert sum(text_width(t) + 0.25 for t in labels) <= width
    if lang == "zh":
        assert all("月" in t and not re.search("[A-Za-z]", t) for t in labels)
