"""`quizzer report`: one self-contained HTML file, opened in headless Chromium (Debian's
chromium package, which .ci/run installs): it renders, every chart decodes and is not
blank, and the page loads nothing from the network."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
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


def test_report_of_a_learner_renders_offline_in_chromium(tmp_path: Path):
    page, html = learner_report(tmp_path)
    images = re.findall(r'<img class=chart alt="[^"]*" src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 6  # daily, retention, accuracy, forecast, calibration, mistakes
    assert all(not_blank(base64.b64decode(b)) for b in images)
    assert "default-src 'none'" in html  # the page may load nothing else
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    assert "log loss" in html and "RMSE (bins)" in html
    netlog = tmp_path / "netlog.json"
    done = chromium(page, tmp_path, f"--log-net-log={netlog}", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    decoded = re.findall(r'data-decoded="(\d+)x(\d+)"', done.stdout)
    assert len(decoded) == 6 and all(int(w) > 200 and int(h) > 150 for w, h in decoded)
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
    assert '<html lang="zh">' in html and "学习报告" in html and "FSRS 校准" in html


def test_report_command(runner, tmp_path: Path):
    simulate(tmp_path / "sim.sqlite3")
    result = runner.invoke(
        cli, ["--db", str(tmp_path / "sim.sqlite3"), "report", "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 0 and "Wrote" in result.output and "charts" in result.output
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")


@pytest.mark.parametrize("answers", [0, 1])
def test_little_history_gives_a_message_not_an_empty_chart(runner, tmp_path: Path, answers):
    db = tmp_path / "few.sqlite3"
    if answers:
        from quizzer.db import connect
        from quizzer.store import Store
        from tests.simulate import Learner

        Learner(Store(connect(str(db)))).answer("z-score", 1, 3, NOW, correct=True)
    html = write_report(runner, db, tmp_path / "r.html")
    assert "<img" not in html
    assert f"Too little history yet: {answers} answers so far, charts need 5." in html


def test_bar_charts_label_every_bar_and_count_in_whole_numbers():
    """22 families: every one labelled (matplotlib's default locator labelled 8 of them);
    a count axis ticks whole numbers only."""
    import matplotlib

    matplotlib.use("Agg")
    from quizzer import generators
    from quizzer.report import _bars

    names = generators.families()
    fig, ax = _bars(names, [0.5] * len(names), "#d8833b")
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    fig, ax = _bars(["a: x", "b: y"], [3, 1], "#b83280")
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if 0 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)
