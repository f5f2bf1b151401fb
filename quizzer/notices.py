"""Warnings for the learner: one line on stderr, each at most once per process.

For what the learner should know but that does not stop the command (a damaged setting
replaced by its default, an unknown time zone). Library code calls warn(); nothing here
imports anything heavy.
"""

from __future__ import annotations

import sys

_said: set[str] = set()


def warn(message: str) -> None:
    """Print `quizzer: warning: MESSAGE` on stderr, once per distinct message."""
    if message in _said:
        return
    _said.add(message)
    try:
        print(f"quizzer: warning: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed or gone: the warning is not worth a crash
        pass
