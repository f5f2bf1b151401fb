"""The shell of `quizzer report`'s page: its words (quizzer/report.toml, one table per
language), the page being built (sections, and the glossary words they use), and the HTML
document around it: styles, a Content-Security-Policy that forbids every outside source,
and a script that marks each chart with its laid-out size once the page has loaded.
"""

from __future__ import annotations

import html
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from quizzer import days
from quizzer.store import Store

TEXT: dict[str, dict[str, Any]] = tomllib.loads(
    Path(__file__).with_name("report.toml").read_text(encoding="utf-8")
)


def say(s: str) -> str:
    """Escaped text, with `backticked` commands as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(s, quote=False))


def plural(w: dict[str, Any], key: str, n: int, **fields: Any) -> str:
    """w[key], a table of plural forms, for the count n: "one" for 1 (where the language
    has it), else "other"; {n} is filled with the count."""
    forms = w[key]
    form = forms["one"] if n == 1 and "one" in forms else forms["other"]
    return form.format(n=num(n), **fields)


def num(n: int) -> str:
    """A count with thousands separators: 79,562."""
    return f"{n:,}"


def pct(x: float) -> str:
    return f"{100 * x:.0f}%"


class Page:
    """The page being built: its sections and the glossary words they use."""

    def __init__(self, store: Store, lang: str, now: datetime):
        self.store, self.lang, self.now, self.w = store, lang, now, TEXT[lang]
        self.today = days.today(now)
        self.parts: list[str] = []
        self.words: set[str] = set()

    def family(self, family: str | None) -> str:
        """A family's short name (its id if the page has none); a mistake recorded on a
        concept card has no family: "Other"."""
        if family is None:
            return self.w["topics"]["Other"]
        return self.w["families"].get(family, family)

    def skill(self, family: str, level: int) -> str:
        return self.w["skill_name"].format(family=self.family(family), level=level)

    def day(self, d: date) -> str:
        return self.w["date_long"].format(d=d)

    def section(self, key: str, title: str, body: str, words: tuple[str, ...] = ()) -> None:
        self.parts.append(f"<section id={key}><h2>{say(title)}</h2>{body}</section>")
        self.words.update(words)

    def p(self, s: str, cls: str = "") -> str:
        return f"<p{' class=' + cls if cls else ''}>{say(s)}</p>"


def page(pg: Page) -> str:
    """The whole HTML document around the sections built so far."""
    csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
    return f"""<!doctype html>
<html lang="{pg.lang}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(pg.w["title"])}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
  "PingFang SC", "Microsoft YaHei", sans-serif; max-width: 860px; margin: 2em auto;
  padding: 0 1em; color: #1d1d1f; line-height: 1.5; }}
svg.chart {{ max-width: 100%; height: auto; display: block; background: #fff; }}
.meta, .note, .few, dd {{ color: #555; }}
.empty, .few {{ padding: .8em 1em; background: #f4f4f6; border-radius: 6px; }}
table {{ border-collapse: collapse; }} td, th {{ padding: .2em .8em .2em 0; text-align: left; }}
details {{ margin: .3em 0; }} summary {{ cursor: pointer; }}
code {{ font-size: .9em; }} dt {{ font-weight: 600; margin-top: .4em; }}
@media (prefers-color-scheme: dark) {{ body {{ background: #1e1e1e; color: #e6e6e6; }}
  .meta, .note, .few, dd {{ color: #aaa; }} .empty, .few {{ background: #2b2b2e; }}
  svg.chart {{ border-radius: 4px; }} }}
</style></head>
<body>{"".join(pg.parts)}
<script>
// marks each chart once the page has loaded: its laid-out size and how many of its
// shapes and texts have a non-empty box (a chart inside a closed <details> has none)
window.addEventListener("load", () => {{
  for (const svg of document.querySelectorAll("svg.chart")) {{
    const box = svg.getBoundingClientRect();
    const drawn = [...svg.querySelectorAll("path, use, text")].filter(e => {{
      const b = e.getBBox(); return b.width > 0 || b.height > 0; }}).length;
    svg.dataset.rendered = Math.round(box.width) + "x" + Math.round(box.height) + ":" + drawn;
  }}
}});
</script>
</body></html>
"""
