"""Terminal input and output for sessions: colour via rich on a terminal (rich honours
NO_COLOR), plain text otherwise. Nothing typed is ever interpreted as markup, and no
control character reaches the terminal raw (see printable)."""

from __future__ import annotations

import errno
import os
import re
import signal
import sys
import threading
import time
from typing import Any, Protocol

# C0 and C1 control characters (ESC sequences, carriage return, bell, backspace, CSI),
# DEL, and the invisible characters that reorder or break lines: bidirectional marks,
# embeddings, overrides and isolates, and the Unicode line and paragraph separators
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_CONTROLS}]")
_UNSAFE_IN_LINE = re.compile(f"[\t\n{_CONTROLS}]")


def printable(text: str, multiline: bool = True) -> str:
    """text made safe to write to a terminal: each control character is shown as its
    escape (ESC as \\x1b, a carriage return as \\r), so text read back from a database or
    file can neither move the cursor, retitle the window nor hide what precedes it.
    Newlines and tabs are kept if multiline (a CRLF becomes a newline)."""
    if multiline:
        text = text.replace("\r\n", "\n")
    pattern = _UNSAFE if multiline else _UNSAFE_IN_LINE
    return pattern.sub(lambda m: repr(m.group())[1:-1], text)


def json_text(value: Any, **options: Any) -> str:
    """value as JSON (non-ASCII text kept readable), with every character printable()
    would escape written as a \\uXXXX escape: JSON itself escapes only C0 controls, so
    C1 controls, DEL and bidi overrides from the database would otherwise reach the
    terminal raw."""
    import json

    text = json.dumps(value, ensure_ascii=False, **options)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def rich_console(**options: Any) -> Any:
    """A rich Console whose output to a closed pipe raises BrokenPipeError, as print does
    (rich's own handling exits with status 1 itself), so quizzer.cli ends every command
    alike when the reader has gone."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return _Console(**options)


class IO(Protocol):
    def say(self, text: str = "", style: str | None = None) -> None: ...

    def ask(self, prompt: str) -> str: ...


class Terminal:
    def __init__(self, color: bool | None = None) -> None:
        self.rich = sys.stdout.isatty() if color is None else color
        self.console = None
        if self.rich:
            self.console = rich_console(highlight=False, emoji=False)
        self._waiting = 0  # > 0: the number of the input() the main thread is blocked in
        self._asks = 0
        if sys.stdin.isatty():
            try:
                import readline  # noqa: F401  (line editing and history for input())
            except ImportError:  # pragma: no cover - not on every platform
                pass
            _CtrlC(self).start()

    def say(self, text: str = "", style: str | None = None) -> None:
        text = printable(text)
        if self.console is not None:
            self.console.print(text, style=style, markup=False, highlight=False, emoji=False)
        else:
            print(text, flush=True)

    def ask(self, prompt: str) -> str:
        # the prompt goes through input() itself: readline must know it, or an empty
        # answer is not echoed as a new line and the next output lands on the prompt line
        self._asks += 1
        self._waiting = self._asks
        try:
            return input(printable(prompt, multiline=False))
        finally:
            self._waiting = 0


class _CtrlC(threading.Thread):
    """Makes Ctrl-C always end a blocked input().

    Python runs its SIGINT handler between bytecodes and interrupts a blocking read only
    when the signal lands during it. A Ctrl-C that arrives in the instant between the
    prompt and readline's select() is therefore noted but not acted on until the next
    key. This thread hears every signal through the wakeup fd and, if the main thread is
    still blocked in the same input() a moment later, delivers SIGINT to it again.
    """

    GRACE = 0.15  # seconds

    def __init__(self, term: Terminal) -> None:
        super().__init__(name="quizzer-ctrl-c", daemon=True)
        self.term = term
        self.main = threading.main_thread().ident
        self.rfd, wfd = os.pipe()
        os.set_blocking(wfd, False)
        try:
            signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
        except ValueError:  # not in the main thread: nothing to guard
            self.rfd = -1

    def start(self) -> None:
        if self.rfd < 0 or not hasattr(signal, "pthread_sigmask"):
            return
        # created with SIGINT blocked, so no Ctrl-C is ever delivered to this thread
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            super().start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def run(self) -> None:
        while True:
            data = os.read(self.rfd, 64)
            if not data:
                return
            if signal.SIGINT not in data:
                continue
            blocked_in = self.term._waiting
            if not blocked_in:
                continue
            time.sleep(self.GRACE)
            if self.term._waiting == blocked_in:  # the first Ctrl-C was not acted on
                signal.pthread_kill(self.main, signal.SIGINT)


def cells(text: str) -> int:
    """The terminal cells text takes: a Chinese character takes two."""
    from rich.cells import cell_len

    return cell_len(text)


def padded(text: str, width: int, right: bool = False) -> str:
    """text padded with spaces to `width` terminal cells (on the left when `right`, to
    right-align it); text already as wide is returned as it is."""
    space = " " * max(0, width - cells(text))
    return space + text if right else text + space


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
