"""Interactive sessions: `review` (scheduled, FSRS) and `quiz` (practice, schedule untouched).

Each answer is committed the moment it is given. Keys at the answer prompt: `?` help,
`s` skip and show the answer, `q` quit. Ctrl-C or end of input ends the session with
its summary; nothing answered is lost.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from quizzer import answers, generators
from quizzer.errors import AnswerFormatError, Rejected
from quizzer.models import utcnow
from quizzer.question import Question
from quizzer.schedule import Rating
from quizzer.ui import IO, duration, indent

HELP = """Type your answer and press Enter.
  ?  this help
  s  skip: show the answer (counts as not known)
  q  quit: end the session (every answer so far is saved)
Ctrl-C or Ctrl-D also end the session with its summary."""

RATING_KEYS = {
    "": None,
    "g": Rating.GOOD,
    "good": Rating.GOOD,
    "3": Rating.GOOD,
    "h": Rating.HARD,
    "hard": Rating.HARD,
    "2": Rating.HARD,
    "e": Rating.EASY,
    "easy": Rating.EASY,
    "4": Rating.EASY,
}
SELF_GRADE = {
    "1": Rating.AGAIN,
    "a": Rating.AGAIN,
    "again": Rating.AGAIN,
    "2": Rating.HARD,
    "h": Rating.HARD,
    "hard": Rating.HARD,
    "": Rating.GOOD,
    "3": Rating.GOOD,
    "g": Rating.GOOD,
    "good": Rating.GOOD,
    "4": Rating.EASY,
    "e": Rating.EASY,
    "easy": Rating.EASY,
}


def practice_plan(
    families: list[str], count: int, seed: int | None, level: int | None
) -> list[tuple[str, int, int]]:
    """(family, level, seed) of each question of a quiz; reproducible with a seed."""
    import random

    rng = random.Random(f"quiz:{seed}") if seed is not None else random.Random()
    plan = []
    for _ in range(count):
        fam = rng.choice(families)
        lvl = level or rng.randint(1, generators.get(fam).levels)
        plan.append((fam, lvl, rng.randrange(2**31)))
    return plan


class Quit(Exception):
    """The learner typed q."""


@dataclass
class Item:
    """One thing to ask: a skill (with its question, maybe still being verified) or a concept."""

    card_id: int
    family: str | None = None
    difficulty: int | None = None
    concept: Any = None  # quizzer.decks.ConceptCard
    future: Future[Question] | None = None

    @property
    def group(self) -> str:
        return self.family or f"concept {self.concept.deck}"


@dataclass
class Summary:
    mode: str
    started: float = field(default_factory=time.monotonic)
    right: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)

    @property
    def answered(self) -> int:
        return sum(self.right.values()) + sum(self.wrong.values())


class Session:
    def __init__(
        self,
        store: Any,
        io: IO,
        mode: str,
        scheduler: Any = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store, self.io, self.mode, self.scheduler, self.clock = (
            store,
            io,
            mode,
            scheduler,
            clock,
        )
        self.id = uuid.uuid4().hex
        self.summary = Summary(mode)
        self.shown = 0  # items put on screen
        self.on_answer: Callable[[], None] = lambda: None
        # called once a prompt is on screen: background work (torch) starts then, not before,
        # so it does not compete with the first prompt for the interpreter
        self.on_shown: Callable[[], None] = lambda: None

    # ---------------------------------------------------------------- the loop
    def run(self, items: Iterator[Item], total: int | None = None) -> Summary:
        try:
            for n, item in enumerate(items, 1):
                self.shown = n
                label = f"{n}/{total}" if total else f"#{n}"
                if item.concept is not None:
                    self.ask_concept(item, label)
                else:
                    self.ask_skill(item, label)
                self.on_answer()
        except (Quit, KeyboardInterrupt, EOFError):
            self.io.say("")
        return self.summary

    # ---------------------------------------------------------------- skills
    def _question(self, item: Item) -> Question:
        assert item.future is not None
        if not item.future.done():
            self.io.say("(verifying the question with torch...)", style="dim")
        return item.future.result()

    def ask_skill(self, item: Item, label: str) -> None:
        try:
            q = self._question(item)
        except Rejected as exc:
            self.io.say(f"skipped a {item.family} question that failed verification: {exc}")
            return
        self.io.say("")
        self.io.say(f"── {label} · {q.generator} · level {q.difficulty} · {self.mode} ──", "cyan")
        self.io.say(q.prompt)
        self.on_shown()
        started = time.monotonic()
        while True:
            text = self.io.ask("answer> ").strip()
            key = text.lower()
            if key == "?":
                self.io.say(HELP + "\nAnswer forms: " + answers.hint(q) + ".", "dim")
                continue
            if key == "q":
                raise Quit
            if key == "s":
                self._record_skill(item, q, None, None, started, skipped=True)
                self.io.say(f"Skipped. The answer is {q.answer}.", "yellow")
                self.show_solution(q)
                return
            if not text:
                continue
            try:
                grade = answers.grade(q, text)
            except AnswerFormatError as exc:
                self.io.say(f"Can't read that: {exc}. (No attempt used; ? for help)", "yellow")
                continue
            break
        review_id = self._record_skill(item, q, text, grade, started)
        if grade.correct:
            self.io.say(f"✓ Correct: {q.answer}", "green")
            if self.mode == "review":
                self.ask_rating(review_id)
        else:
            self.io.say(f"✗ Not quite. The answer is {q.answer}.", "red")
            if grade.misconception is not None:
                why = generators.get(q.generator).explanations.get(grade.misconception.id, "")
                self.io.say(f"Likely mistake ({grade.misconception.id}): {why}", "yellow")
            self.show_solution(q)

    def _record_skill(
        self,
        item: Item,
        q: Question,
        text: str | None,
        grade: Any,
        started: float,
        skipped: bool = False,
    ) -> int:
        correct = bool(grade and grade.correct)
        group = item.family or ""
        (self.summary.right if correct else self.summary.wrong)[group] += 1
        return self.store.record(
            item.card_id,
            self.mode,
            question=q,
            typed=text,
            correct=correct,
            skipped=skipped,
            misconception=grade.misconception.id if grade and grade.misconception else None,
            rating=(Rating.GOOD if correct else Rating.AGAIN) if self.mode == "review" else None,
            duration_ms=int((time.monotonic() - started) * 1000),
            scheduler=self.scheduler,
            session_id=self.id,
            now=self.clock(),
        )

    def ask_rating(self, review_id: int) -> None:
        while True:
            key = self.io.ask("Rated Good. Enter keeps it; h Hard, e Easy: ").strip().lower()
            if key in RATING_KEYS:
                break
            self.io.say("Type Enter, h or e.", "yellow")
        if RATING_KEYS[key] not in (None, Rating.GOOD):
            self.store.change_rating(review_id, RATING_KEYS[key], self.scheduler)
            self.io.say(f"Rated {RATING_KEYS[key].name.title()}.", "dim")

    def show_solution(self, q: Question) -> None:
        self.io.say("Worked solution:", "bold")
        self.io.say(indent(q.solution))
        if q.torch_check is not None:
            self.io.say(f"Torch check ({q.verified_by[-1]}):", "bold")
            self.io.say(indent(q.torch_check.code))
            self.io.say(indent("# prints: " + q.torch_check.output.replace("\n", "\n# ")))

    # ---------------------------------------------------------------- concepts
    def ask_concept(self, item: Item, label: str) -> None:
        card = item.concept
        self.io.say("")
        self.io.say(f"── {label} · concept · {card.deck} · {self.mode} ──", "cyan")
        self.io.say(card.text("front", "en"))
        self.on_shown()
        started = time.monotonic()
        key = self.io.ask("(Enter shows the answer; s skip, q quit) ").strip().lower()
        if key == "q":
            raise Quit
        self.io.say(card.text("back", "en"), "green")
        if key == "s":
            rating = Rating.AGAIN
        else:
            while True:
                key = self.io.ask("Did you know it? 1 Again, 2 Hard, Enter Good, 4 Easy: ")
                key = key.strip().lower()
                if key in SELF_GRADE:
                    rating = SELF_GRADE[key]
                    break
                self.io.say("Type 1, 2, 3 (or Enter) or 4.", "yellow")
        correct = rating != Rating.AGAIN
        (self.summary.right if correct else self.summary.wrong)[item.group] += 1
        self.store.record(
            item.card_id,
            self.mode,
            question=None,
            typed=None,
            correct=correct,
            skipped=key == "s",
            rating=rating if self.mode == "review" else None,
            duration_ms=int((time.monotonic() - started) * 1000),
            scheduler=self.scheduler,
            session_id=self.id,
            now=self.clock(),
        )

    # ---------------------------------------------------------------- summary
    def report(self, next_due: datetime | None, due_now: int | None) -> None:
        s = self.summary
        elapsed = duration(time.monotonic() - s.started)
        right, wrong = sum(s.right.values()), sum(s.wrong.values())
        self.io.say(
            f"Session over: {s.answered} answered in {elapsed}, {right} right, {wrong} wrong.",
            "bold",
        )
        for group in sorted(set(s.right) | set(s.wrong)):
            self.io.say(f"  {group:<28} {s.right[group]:>3} right {s.wrong[group]:>3} wrong")
        if due_now is not None:
            self.io.say(f"Due now: {due_now}.")
        if next_due is not None:
            when = (
                "now"
                if next_due <= self.clock()
                else next_due.astimezone().strftime("%Y-%m-%d %H:%M")
            )
            self.io.say(f"Next review due: {when} (quizzer review).")
        else:
            self.io.say("Nothing scheduled yet: quizzer review introduces new cards each day.")
        if self.mode == "practice":
            self.io.say("Practice leaves the schedule as it was; quizzer stats shows progress.")
