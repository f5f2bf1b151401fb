"""Terminal input and output for sessions: colour via rich on a terminal (rich honours
NO_COLOR), plain text otherwise. Nothing typed is ever interpreted as markup."""

from __future__ import annotations

import sys
from typing import Protocol


class IO(Protocol):
    def say(self, text: str = "", style: str | None = None) -> None: ...

    def ask(self, prompt: str) -> str: ...


class Terminal:
    def __init__(self, color: bool | None = None) -> None:
        self.rich = sys.stdout.isatty() if color is None else color
        self.console = None
        if self.rich:
            from rich.console import Console

            self.console = Console(highlight=False)
        if sys.stdin.isatty():
            try:
                import readline  # noqa: F401  (line editing and history for input())
            except ImportError:  # pragma: no cover - not on every platform
                pass

    def say(self, text: str = "", style: str | None = None) -> None:
        if self.console is not None:
            self.console.print(text, style=style, markup=False, highlight=False)
        else:
            print(text, flush=True)

    def ask(self, prompt: str) -> str:
        # the prompt goes through input() itself: readline must know it, or an empty
        # answer is not echoed as a new line and the next output lands on the prompt line
        return input(prompt)


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
