"""Interactive sessions: `review` (scheduled, FSRS) and `quiz` (practice, schedule untouched).

Each answer is committed the moment it is given. Keys at the answer prompt: `?` help,
`s` skip and show the answer, `q` quit. Ctrl-C or end of input ends the session with
its summary; nothing answered is lost.
"""

from __future__ import annotations

import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from quizzer import answers, decks, generators
from quizzer.errors import AnswerFormatError, DatabaseError, Rejected
from quizzer.i18n import t
from quizzer.models import utcnow
from quizzer.question import Question
from quizzer.schedule import Rating
from quizzer.ui import IO, cells, duration, indent, padded


def key_of(text: str) -> str:
    """A typed key as the prompts compare it: NFKC (a Chinese IME's full-width ？ｓｑ１ are
    ? s q 1), trimmed, lower case."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip().lower()


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
) -> Iterator[tuple[str, int, int]]:
    """(family, level, seed) of each question of a quiz, drawn as they are asked for (a quiz
    of -n 1000000000 starts at once and holds one at a time); reproducible with a seed."""
    import random

    rng = random.Random(f"quiz:{seed}") if seed is not None else random.Random()
    for _ in range(count):
        fam = rng.choice(families)
        lvl = level or rng.randint(1, generators.get(fam).levels)
        yield fam, lvl, rng.randrange(2**31)


def review_items(
    store: Any,
    source: Any,
    new_per_day: int,
    limit: int,
    clock: Callable[[], datetime] = utcnow,
) -> Iterator[Item]:
    """The cards of a `review` session, each chosen when the learner reaches it
    (Store.next_card): due cards, then new cards while today's `new_per_day` lasts (in
    quizzer.newcards' order), then learning cards due soon; at most `limit`. A skill's
    question comes from `source` (quizzer.prefetch.QuestionSource)."""
    for _ in range(limit):
        now = clock()
        card = store.next_card(now, new_per_day - store.new_introduced_today(now))
        if card is None:
            return
        if card.kind == "concept":
            yield Item(card.id, concept=decks.get_card(card.uid.removeprefix("concept:")))
        else:
            fut = source.for_skill(card.family, card.difficulty)
            yield Item(card.id, family=card.family, difficulty=card.difficulty, future=fut)


class Quit(Exception):
    """The learner typed q."""


class NotSaved(Exception):
    """An answer could not be committed; the session must end. The reason is the message;
    `what` is the i18n key of the line that says what was not saved."""

    def __init__(self, reason: str, what: str = "not_saved") -> None:
        super().__init__(reason)
        self.what = what


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
        lang: str = "en",
    ) -> None:
        self.store, self.io, self.mode, self.scheduler = store, io, mode, scheduler
        self.clock, self.lang = clock, lang
        self.id = uuid.uuid4().hex
        self.summary = Summary(mode)
        self.saved = 0  # answers committed to the database
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
        except NotSaved as exc:
            self.io.say("")
            self.io.say(t(exc.what, self.lang, reason=exc, saved=self.saved), "red")
        except Exception as exc:  # the database failed while choosing the next card
            from sqlalchemy.exc import SQLAlchemyError

            from quizzer.store import describe_failure

            if not isinstance(exc, SQLAlchemyError):
                raise
            reason = describe_failure(exc)
            self.io.say("")
            self.io.say(t("not_read", self.lang, reason=reason, saved=self.saved), "red")
        return self.summary

    def _now(self) -> datetime | None:
        """The time of an answer: None lets the store take it once the write lock is held
        (so reviews of one card are stored in time order); a test's clock is used as is."""
        return None if self.clock is utcnow else self.clock()

    def _save(self, group: str, **review: Any) -> int:
        """Commit one answer (quizzer.store.Store.record), then count it in the summary."""
        try:
            review_id = self.store.record(
                scheduler=self.scheduler, session_id=self.id, now=self._now(), **review
            )
        except DatabaseError as exc:
            raise NotSaved(str(exc)) from None
        self.saved += 1
        (self.summary.right if review["correct"] else self.summary.wrong)[group] += 1
        return review_id

    # ---------------------------------------------------------------- skills
    def _question(self, item: Item) -> Question:
        assert item.future is not None
        if not item.future.done():
            self.io.say(t("verifying", self.lang), style="dim")
        return item.future.result()

    def _confirmed(self, item: Item) -> bool:
        """Whether a question kept in the database still is what its generator makes
        (quizzer.prefetch.Kept: compared in the background while the learner answered).
        One that is not is dropped with one line, and nothing is recorded for it."""
        confirmed = getattr(item.future, "confirmed", None)
        if confirmed is None or confirmed.result():
            return True
        self.io.say(t("kept_changed", self.lang, family=item.family), "yellow")
        return False

    def ask_skill(self, item: Item, label: str) -> None:
        lang = self.lang
        try:
            q = self._question(item)
        except Rejected as exc:
            self.io.say(t("failed_verification", lang, family=item.family, error=exc))
            return
        text_of = generators.localized(q, lang)
        mode = t(f"mode_{self.mode}", lang)
        self.io.say("")
        self.io.say(
            t("header", lang, label=label, family=q.generator, level=q.difficulty, mode=mode),
            "cyan",
        )
        self.io.say(text_of["prompt"])
        self.on_shown()
        started = time.monotonic()
        while True:
            text = self.io.ask(t("answer_prompt", lang)).strip()
            key = key_of(text)
            if key == "?":
                self.io.say(t("help", lang, hint=answers.hint(q, lang)), "dim")
                continue
            if key == "q":
                raise Quit
            if key == "s":
                if not self._confirmed(item):
                    return
                self._record_skill(item, q, None, None, started, skipped=True)
                self.io.say(t("skipped", lang, answer=text_of["answer"]), "yellow")
                self.show_solution(q, text_of["solution"])
                return
            if not text:
                continue
            try:
                grade = answers.grade(q, text)
            except AnswerFormatError as exc:
                why = answers.hint(q, lang) if lang != "en" else str(exc)
                self.io.say(t("cant_read", lang, hint=why), "yellow")
                continue
            break
        if not self._confirmed(item):
            return
        review_id = self._record_skill(item, q, text, grade, started)
        if grade.correct:
            self.io.say(t("correct", lang, answer=text_of["answer"]), "green")
            if self.mode == "review":
                self.ask_rating(review_id)
        else:
            self.io.say(t("wrong", lang, answer=text_of["answer"]), "red")
            self.name_mistakes(q, grade.mistake_ids)
            self.show_solution(q, text_of["solution"])

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
        return self._save(
            item.family or "",
            card_id=item.card_id,
            mode=self.mode,
            question=q,
            typed=text,
            correct=correct,
            skipped=skipped,
            misconceptions=grade.mistake_ids if grade else (),
            rating=(Rating.GOOD if correct else Rating.AGAIN) if self.mode == "review" else None,
            duration_ms=int((time.monotonic() - started) * 1000),
        )

    def name_mistakes(self, q: Question, ids: tuple[str, ...]) -> None:
        """Each known mistake that gives the learner's answer: one, or "either … or …"."""
        lang = self.lang
        if len(ids) == 1:
            why = generators.explanation(q.generator, ids[0], lang)
            self.io.say(t("likely_mistake", lang, id=ids[0], why=why), "yellow")
        elif ids:
            self.io.say(t("likely_mistakes", lang, n=len(ids)), "yellow")
            for i, mid in enumerate(ids):
                why = generators.explanation(q.generator, mid, lang)
                key = "mistake_either" if i == 0 else "mistake_or"
                self.io.say(t(key, lang, id=mid, why=why), "yellow")

    def ask_rating(self, review_id: int) -> None:
        while True:
            key = key_of(self.io.ask(t("rating_prompt", self.lang)))
            if key == "q":  # the answer is saved, rated Good: quit as at any prompt
                raise Quit
            if key in RATING_KEYS:
                break
            if key == "?":
                self.io.say(t("rating_help", self.lang), "dim")
                continue
            self.io.say(t("rating_retry", self.lang), "yellow")
        rating = RATING_KEYS[key]
        if rating not in (None, Rating.GOOD):
            try:
                changed = self.store.change_rating(review_id, rating, self.scheduler)
            except DatabaseError as exc:
                raise NotSaved(str(exc), "rating_not_saved") from None
            if not changed:
                self.io.say(t("not_rerated", self.lang), "yellow")
                return
            name = t(f"rating_{rating.name.title()}", self.lang)
            self.io.say(t("rated", self.lang, rating=name), "dim")

    def show_solution(self, q: Question, solution: str) -> None:
        self.io.say(t("worked_solution", self.lang), "bold")
        self.io.say(indent(solution))
        if q.torch_check is not None:
            how = q.verified_by[-1]  # "torch 2.13.0: what was run" (English detail)
            how = how.split(":", 1)[0] if self.lang != "en" else how
            self.io.say(t("torch_check", self.lang, how=how), "bold")
            self.io.say(indent(q.torch_check.code))
            prints = t("prints", self.lang)
            self.io.say(indent(prints + q.torch_check.output.replace("\n", "\n# ")))

    # ---------------------------------------------------------------- concepts
    def ask_concept(self, item: Item, label: str) -> None:
        card = item.concept
        self.io.say("")
        mode = t(f"mode_{self.mode}", self.lang)
        deck = decks.deck_title(card.deck, self.lang)  # the section's subject, not its date
        self.io.say(t("concept_header", self.lang, label=label, deck=deck, mode=mode), "cyan")
        self.io.say(card.text("front", self.lang))
        self.on_shown()
        started = time.monotonic()
        key = key_of(self.io.ask(t("concept_show", self.lang)))
        while key == "?":
            self.io.say(t("concept_show_help", self.lang), "dim")
            key = key_of(self.io.ask(t("concept_show", self.lang)))
        if key == "q":
            raise Quit
        self.io.say(card.text("back", self.lang), "green")
        if key == "s":
            rating = Rating.AGAIN
        else:
            while True:
                key = key_of(self.io.ask(t("concept_grade", self.lang)))
                if key == "q":  # not graded: nothing is recorded for this card
                    raise Quit
                if key in SELF_GRADE:
                    rating = SELF_GRADE[key]
                    break
                if key == "?":
                    self.io.say(t("concept_help", self.lang), "dim")
                    continue
                self.io.say(t("concept_retry", self.lang), "yellow")
        correct = rating != Rating.AGAIN
        self._save(
            item.group,
            card_id=item.card_id,
            mode=self.mode,
            question=None,
            typed=None,
            correct=correct,
            skipped=key == "s",
            rating=rating if self.mode == "review" else None,
            duration_ms=int((time.monotonic() - started) * 1000),
        )

    # ---------------------------------------------------------------- summary
    def report(self, next_due: datetime | None, due_now: int | None) -> None:
        s, lang = self.summary, self.lang
        elapsed = duration(time.monotonic() - s.started)
        right, wrong = sum(s.right.values()), sum(s.wrong.values())
        self.io.say(
            t("session_over", lang, answered=s.answered, elapsed=elapsed, right=right, wrong=wrong),
            "bold",
        )
        names = {}
        for group in sorted(set(s.right) | set(s.wrong)):
            names[group] = group
            if group.startswith("concept "):
                deck = decks.deck_title(group.removeprefix("concept "), lang)
                names[group] = t("concept_group", lang, deck=deck)
        width = max([28, *map(cells, names.values())])  # the longest name sets the column
        for group, name in names.items():
            row = t("group_row", lang, group=padded(name, width), right=s.right[group],
                    wrong=s.wrong[group])  # fmt: skip
            self.io.say(row)
        if due_now is not None:
            self.io.say(t("due_now", lang, n=due_now))
        if next_due is not None:
            self.io.say(t("next_due", lang, when=when(next_due, self.clock(), lang)))
        else:
            self.io.say(t("nothing_scheduled", lang))
        if self.mode == "practice":
            self.io.say(t("practice_note", lang))
        if s.answered:
            self.io.say(t("see_stats", lang), "dim")


def when(dt: datetime, now: datetime, lang: str = "en") -> str:
    """A due time for people: "now", or local date and time."""
    from quizzer import days

    return t("now", lang) if dt <= now else days.local(dt).strftime("%Y-%m-%d %H:%M")
