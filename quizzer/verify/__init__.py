"""Verification: every answer computed a second time, independently, by real torch.

Each family has a checker module here (the only place torch is imported at module
top). A checker receives the formula-side Question and runs the real torch layer or
op on its params, returning what torch computed and a runnable snippet with what it
printed. `verify` accepts the question only when torch's result and torch's answer
to the asked part both equal the formula's; otherwise, or when torch raises where the
formula expected a value, the variant is rejected and `draw` moves to the next one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from quizzer import generators
from quizzer.errors import Rejected
from quizzer.question import Question, TorchCheck

MAX_ATTEMPTS = 50


@dataclass(frozen=True)
class Check:
    """What torch computed for one question."""

    result: Any  # torch's full result, comparable to Question.result
    expected: Any  # torch's answer to the asked part, comparable to Question.expected
    code: str  # a runnable snippet that reproduces the check
    output: str  # what that snippet prints
    method: str  # e.g. "torch 2.13.0: nn.Conv2d forward pass"


Checker = Callable[[Question], Check]
_CHECKERS: dict[str, Checker] = {}
_DISCOVERED = False


def checker(family: str) -> Callable[[Checker], Checker]:
    def deco(fn: Checker) -> Checker:
        if family in _CHECKERS:
            raise RuntimeError(f"checker for {family!r} registered twice")
        _CHECKERS[family] = fn
        return fn

    return deco


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    import torch

    # the checks run tiny tensors: one thread is faster than waking a pool, and keeps
    # timings steady when the machine is busy
    torch.set_num_threads(1)
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _DISCOVERED = True


def torch_version() -> str:
    import torch

    return torch.__version__.split("+")[0]


def verify(q: Question) -> Question:
    """Return q with verified_by and torch_check set, or raise Rejected."""
    from quizzer.answers import same_value

    _discover()
    try:
        fn = _CHECKERS[q.generator]
    except KeyError:
        raise Rejected(f"no torch checker for {q.generator}") from None
    try:
        c = fn(q)
    except Rejected:
        raise
    except Exception as exc:  # torch refused the variant
        raise Rejected(f"torch rejected {q.generator} seed {q.seed}: {exc}") from exc
    if not same_value(c.result, q.result, q.tolerance):
        raise Rejected(f"{q.generator} seed {q.seed}: formula {q.result!r} != torch {c.result!r}")
    if not same_value(c.expected, q.expected, q.tolerance):
        raise Rejected(
            f"{q.generator} seed {q.seed}: formula answer {q.expected!r} != torch {c.expected!r}"
        )
    return replace(
        q,
        verified_by=("formula", c.method),
        torch_check=TorchCheck(code=c.code, output=c.output),
    )


def draw(family: str, seed: int, difficulty: int) -> Question:
    """The verified question for (family, seed, difficulty): the first variant that passes."""
    last: Rejected | None = None
    for attempt in range(MAX_ATTEMPTS):
        q = generators.draft(family, seed, difficulty, attempt)
        try:
            return verify(q)
        except Rejected as exc:
            last = exc
    raise Rejected(f"{family} seed {seed}: no variant passed verification ({last})")
