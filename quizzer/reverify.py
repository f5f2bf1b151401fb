"""Re-verification after an upgrade of torch, sympy or quizzer (`quizzer verify`).

Two checks: every generator over N seeds per level (formula and the installed torch must
still agree; a seed whose first variant is now rejected is reported), and every question
stored with a review, regenerated from its seed and compared with what the learner was
shown and graded against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from quizzer import generators
from quizzer.answers import same_value
from quizzer.question import Question


@dataclass
class FamilyReport:
    family: str
    level: int
    checked: int
    rejected_seeds: list[int] = field(default_factory=list)


@dataclass
class Change:
    family: str
    level: int
    seed: int
    what: str  # "answer", "result", "params", "torch output"
    before: Any
    after: Any


@dataclass
class StoredReport:
    questions: int = 0  # distinct stored questions compared
    other_version: int = 0  # made by another generator version: not comparable
    unknown_family: int = 0
    unreadable: int = 0  # stored rows that are not a question (hand-edited or damaged)
    changes: list[Change] = field(default_factory=list)


def check_generators(
    families: list[str], seeds: int, progress: Callable[[int], None] = lambda n: None
) -> list[FamilyReport]:
    from quizzer.verify import draw_many

    out = []
    for fam in families:
        for lvl in range(1, generators.get(fam).levels + 1):
            qs = draw_many(fam, list(range(seeds)), lvl)
            out.append(FamilyReport(fam, lvl, len(qs), [q.seed for q in qs if q.attempt > 0]))
            progress(seeds)
    return out


def check_stored(questions: Iterable[dict[str, Any]]) -> StoredReport:
    """Regenerate each stored question from (generator, seed, level) and compare."""
    from quizzer.verify import draw_many

    report = StoredReport()
    known = set(generators.families())
    wanted: dict[tuple[str, int], dict[int, Question]] = defaultdict(dict)
    for d in questions:
        try:
            q = Question.from_dict(d)
        except (TypeError, KeyError, ValueError, AttributeError):
            report.unreadable += 1
            continue
        if q.generator not in known:
            report.unknown_family += 1
        elif q.version != generators.get(q.generator).version:
            report.other_version += 1
        else:
            wanted[q.generator, q.difficulty][q.seed] = q
    for (fam, lvl), by_seed in sorted(wanted.items()):
        seeds = sorted(by_seed)
        for new in draw_many(fam, seeds, lvl):
            old = by_seed[new.seed]
            report.questions += 1
            report.changes += _compare(old, new)
    return report


def _compare(old: Question, new: Question) -> list[Change]:
    changes = []

    def diff(what: str, a: Any, b: Any, equal: bool) -> None:
        if not equal:
            changes.append(Change(old.generator, old.difficulty, old.seed, what, a, b))

    diff("params", old.params, new.params, old.params == new.params)
    diff(
        "answer", old.expected, new.expected, same_value(old.expected, new.expected, old.tolerance)
    )
    diff("result", old.result, new.result, same_value(old.result, new.result, old.tolerance))
    old_out = old.torch_check.output if old.torch_check else None
    new_out = new.torch_check.output if new.torch_check else None
    diff("torch output", old_out, new_out, old_out == new_out)
    return changes
