"""Verification: every answer computed a second time, independently, by real torch.

Each family has a checker module here (the only place torch is imported at module
top). A checker receives the formula-side Question and runs the real torch layer or
op on its params, returning what torch computed and a runnable snippet with what it
printed. `verify` accepts the question only when torch's result and torch's answer
to the asked part both equal the formula's; otherwise, or when torch raises where the
formula expected a value, the variant is rejected and `draw` moves to the next one.
"""

from __future__ import annotations

import functools
import importlib
import math
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
# A batch checker verifies many questions of its family with few, batched torch calls.
# It returns, for each question in order, its Check or the exception torch raised for it,
# and must give exactly the Check the single checker gives (tests compare them).
BatchChecker = Callable[[list[Question]], list["Check | Exception"]]
_CHECKERS: dict[str, Checker] = {}
_BATCH: dict[str, BatchChecker] = {}
_DISCOVERED = False


def checker(family: str) -> Callable[[Checker], Checker]:
    def deco(fn: Checker) -> Checker:
        if family in _CHECKERS:
            raise RuntimeError(f"checker for {family!r} registered twice")
        _CHECKERS[family] = fn
        return fn

    return deco


def batch_checker(family: str) -> Callable[[BatchChecker], BatchChecker]:
    def deco(fn: BatchChecker) -> BatchChecker:
        if family in _BATCH:
            raise RuntimeError(f"batch checker for {family!r} registered twice")
        _BATCH[family] = fn
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


def raised(exc: BaseException, name: str | None = None) -> str:
    """How a check quotes an error torch raised, as its snippet prints it: "<class>: <the
    message's first line>". name: the class the snippet's `except` clause prints (e.g.
    "RuntimeError" for `except RuntimeError`), by default the exception's own."""
    return f"{name or type(exc).__name__}: {str(exc).splitlines()[0]}"


def torch_version() -> str:
    import torch

    return torch.__version__.split("+")[0]


def verify(q: Question) -> Question:
    """Return q with verified_by and torch_check set, or raise Rejected."""
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
    return _accept(q, c)


REL_TOL = 1e-9  # floats: float64 on the torch side, so only rounding may differ
ABS_TOL = 1e-12  # for values that should be 0


def agree(formula: Any, torch_side: Any) -> bool:
    """Whether torch computed exactly what the formula did: integers, shapes, words and
    None equal; floats equal to REL_TOL relative (ABS_TOL near zero), NaN only to NaN.
    Deliberately independent of the question's grading tolerance: a formula off by less
    than the tolerance a learner is allowed is still a wrong formula."""
    a, b = formula, torch_side
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a != a or b != b:
            return a != a and b != b
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(agree(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(agree(a[k], b[k]) for k in a)
    if a is None or b is None:
        return a is None and b is None
    return type(a) is type(b) and a == b


def _accept(q: Question, c: Check | Exception, fresh: bool = False) -> Question:
    """The verified question if torch's check agrees with the formula; else Rejected.
    With fresh=True, q is a draft no one else holds and is completed in place."""
    if isinstance(c, Rejected):
        raise c
    if isinstance(c, Exception):
        raise Rejected(f"torch rejected {q.generator} seed {q.seed}: {c}") from c
    if not agree(c.result, q.result):
        raise Rejected(f"{q.generator} seed {q.seed}: formula {q.result!r} != torch {c.result!r}")
    if not agree(c.expected, q.expected):
        raise Rejected(
            f"{q.generator} seed {q.seed}: formula answer {q.expected!r} != torch {c.expected!r}"
        )
    verified_by = (_formula_by(q.generator), c.method)
    check = TorchCheck(code=c.code, output=c.output)
    if not fresh:
        return replace(q, verified_by=verified_by, torch_check=check)
    object.__setattr__(q, "verified_by", verified_by)
    object.__setattr__(q, "torch_check", check)
    return q


def _formula_by(family: str) -> str:
    """verified_by's first entry: "formula", or "sympy <version>: exact closed forms"."""
    if generators.get(family).formula_by != "sympy":
        return "formula"
    return f"sympy {sympy_version()}: exact closed forms"


@functools.cache
def sympy_version() -> str:
    """sympy's version without importing it, read once (it names every exact question)."""
    from importlib import metadata

    return metadata.version("sympy")


def verify_many(qs: list[Question], fresh: bool = False) -> list[Question | Rejected]:
    """verify() for many questions, with one batched torch pass per family where the
    family has a batch checker. Each item is the verified question or its Rejected.
    With fresh=True the questions are drafts no one else holds, completed in place."""
    _discover()
    checks: list[Check | Exception | None] = [None] * len(qs)
    by_family: dict[str, list[int]] = {}
    for i, q in enumerate(qs):
        by_family.setdefault(q.generator, []).append(i)
    for family, idx in by_family.items():
        batch = _BATCH.get(family)
        if batch is not None:
            try:
                for i, c in zip(idx, batch([qs[i] for i in idx]), strict=True):
                    checks[i] = c
                continue
            except Exception:  # a batch that fails as a whole: check one by one
                pass
        single = _CHECKERS.get(family)
        for i in idx:
            if single is None:
                checks[i] = Rejected(f"no torch checker for {family}")
                continue
            try:
                checks[i] = single(qs[i])
            except Exception as exc:
                checks[i] = exc
    out: list[Question | Rejected] = []
    for q, c in zip(qs, checks, strict=True):
        try:
            out.append(_accept(q, c, fresh))
        except Rejected as exc:
            out.append(exc)
    return out


def draw(family: str, seed: int, difficulty: int, first_attempt: int = 0) -> Question:
    """The verified question for (family, seed, difficulty): the first variant that passes."""
    last: Rejected | None = None
    for attempt in range(first_attempt, MAX_ATTEMPTS):
        q = generators.draft(family, seed, difficulty, attempt)
        try:
            return verify(q)
        except Rejected as exc:
            last = exc
    raise Rejected(f"{family} seed {seed}: no variant passed verification ({last})")


def draw_many(family: str, seeds: list[int], difficulty: int) -> list[Question]:
    """[draw(family, s, difficulty) for s in seeds], the same questions, verified in a batch."""
    drafts = [generators.draft(family, s, difficulty) for s in seeds]
    out = verify_many(drafts, fresh=True)
    return [
        q if isinstance(q, Question) else draw(family, seed, difficulty, first_attempt=1)
        for q, seed in zip(out, seeds, strict=True)
    ]
