"""Reading and writing the learner's database.

Every write is one transaction that takes the write lock first (`BEGIN IMMEDIATE`, see
quizzer.db) and reads what it depends on inside it, so two quizzer processes on one
database never decide from a stale read: an answer's review row and the card's new FSRS
state are computed from the state as it is at that moment and committed together, at
once. A write that fails (disk full, I/O error, another process holding the lock past
quizzer.db.BUSY_TIMEOUT) raises WriteFailed and keeps nothing of it; a write to a
read-only database raises DatabaseReadOnly.

The catalog (every skill = generator family x difficulty, every concept card) is
synced into `cards` on open: cards a new version adds are inserted as new cards,
existing ones are left exactly as they are, and cards a version no longer ships are
marked inactive (their history is kept).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, case, delete, func, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from quizzer import schedule
from quizzer.db import is_read_only, writer
from quizzer.errors import DatabaseReadOnly, WriteFailed
from quizzer.models import (
    AnkiNote,
    Card,
    CardState,
    Review,
    Setting,
    Variant,
    join_mistakes,
    utcnow,
)
from quizzer.notices import warn
from quizzer.question import Question

LEARN_AHEAD = timedelta(minutes=20)
SETTINGS = {  # key: (default, parser, description)
    "new-per-day": (schedule.DEFAULT_NEW_PER_DAY, "int", "new cards introduced per day"),
    "retention": (schedule.DEFAULT_RETENTION, "float", "desired retention (0.70-0.99)"),
    "lang": ("en", "str", "language of questions and messages: en or zh"),
}
RANGES = {"new-per-day": (0, 1000), "retention": (0.70, 0.99)}  # inclusive bounds
CHOICES = {"lang": ("en", "zh")}
_VALID: dict[str, Callable[[Any], bool]] = {
    "new-per-day": lambda v: (
        type(v) is int and RANGES["new-per-day"][0] <= v <= RANGES["new-per-day"][1]
    ),
    "retention": lambda v: (
        type(v) in (int, float) and RANGES["retention"][0] <= v <= RANGES["retention"][1]
    ),
    "lang": lambda v: v in CHOICES["lang"],
}

_FAILURES = (  # what SQLite says -> what the learner reads
    ("database or disk is full", "the disk is full"),
    ("disk i/o error", "a disk I/O error"),
    ("database is locked", "another program (or quizzer) kept the database locked for 30 s"),
    ("readonly database", "the database is read-only"),
    ("unable to open database file", "the database file can no longer be opened"),
    ("malformed", "the database is damaged (run quizzer check)"),
    ("not a database", "the database is damaged (run quizzer check)"),
)


def describe_failure(exc: BaseException) -> str:
    """SQLite's reason for a failed operation, in the learner's words (one line)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).splitlines()[0] if str(orig) else orig.__class__.__name__
    low = text.lower()
    for needle, words in _FAILURES:
        if needle in low:
            return words
    return text


@dataclass(frozen=True)
class CatalogEntry:
    uid: str
    kind: str
    family: str | None = None
    difficulty: int | None = None
    deck: str | None = None


def catalog() -> list[CatalogEntry]:
    """Every card this version of quizzer ships."""
    from quizzer import decks, generators

    entries = [
        CatalogEntry(f"skill:{fam}:{lvl}", "skill", family=fam, difficulty=lvl)
        for fam in generators.families()
        for lvl in range(1, generators.get(fam).levels + 1)
    ]
    entries += [CatalogEntry(f"concept:{c.id}", "concept", deck=c.deck) for c in decks.all_cards()]
    return entries


def local_day_start(now: datetime) -> datetime:
    from quizzer import days

    return days.day_start(days.local_date(now))  # per date: right on a DST change's day


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.read_only = is_read_only(engine)
        self.session = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(writer(engine), expire_on_commit=False)
        self._claimed = False  # see write()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE), committed on leaving the block. A failure
        to commit raises WriteFailed (nothing of the transaction is kept)."""
        if self.read_only:
            raise DatabaseReadOnly(f"{self.path} is read-only")
        try:
            with self._writer.begin() as s:
                if not self._claimed:  # a backup written to becomes someone's history
                    _claim(s)
                    self._claimed = True
                yield s
        except OperationalError as exc:
            raise WriteFailed(describe_failure(exc)) from None
        except SQLAlchemyError as exc:
            if "malformed" in str(exc).lower() or "not a database" in str(exc).lower():
                raise WriteFailed(describe_failure(exc)) from None
            raise

    @property
    def path(self) -> str:
        """The database file's path, for messages."""
        return str(self.engine.get_execution_options().get("quizzer_path", self.engine.url))

    @property
    def file(self) -> Path:
        return Path(self.path)

    # ---------------------------------------------------------------- catalog
    def sync_catalog(self, entries: list[CatalogEntry] | None = None) -> int:
        """Insert the catalog's missing cards as new; return how many were added. Does
        nothing on a read-only database (its cards are shown as they are)."""
        entries = catalog() if entries is None else entries
        digest = hashlib.sha256("\n".join(sorted(e.uid for e in entries)).encode()).hexdigest()
        if self.read_only or self._raw_setting("catalog")[1] == digest:
            return 0
        now = utcnow()
        wanted = {e.uid: e for e in entries}
        with self.write() as s:
            row = s.get(Setting, "catalog")
            if row is not None and row.value == digest:  # another quizzer just did it
                return 0
            have = set(s.scalars(select(Card.uid)))
            added = [e for e in entries if e.uid not in have]
            for e in added:
                card = Card(
                    uid=e.uid,
                    kind=e.kind,
                    family=e.family,
                    difficulty=e.difficulty,
                    deck=e.deck,
                    active=True,
                    created_at=now,
                )
                card.state = CardState(state=schedule.NEW, due=now)
                s.add(card)
            s.execute(update(Card).where(Card.uid.not_in(wanted)).values(active=False))
            s.execute(update(Card).where(Card.uid.in_(wanted)).values(active=True))
            _put_setting(s, "catalog", digest)
        return len(added)

    # ---------------------------------------------------------------- settings
    def _raw_setting(self, key: str) -> tuple[bool, Any]:
        """(saved?, value) of a setting, in one read: a null saved value is not a missing
        one, and another quizzer saving it meanwhile cannot make the two disagree."""
        with self.session() as s:
            row = s.get(Setting, key)
            return (False, None) if row is None else (True, row.value)

    def get_setting(self, key: str) -> Any:
        """A setting's saved value, or its default. A saved value that is not valid (null,
        not a number, out of range: a hand-edited or damaged database) gives the default,
        with a warning on stderr."""
        saved, value = self._raw_setting(key)
        if key not in SETTINGS:
            return value
        default = SETTINGS[key][0]
        if not saved:
            return default
        if not _VALID[key](value):
            shown = str(value)[:40].encode("unicode_escape").decode("ascii")
            warn(f"the saved setting {key} = {shown} is not valid; using {default} "
                 f"(fix it with: quizzer config {key} VALUE)")  # fmt: skip
            return default
        return value

    def set_setting(self, key: str, value: Any) -> None:
        with self.write() as s:
            _put_setting(s, key, value)

    # ---------------------------------------------------------------- queue
    def new_introduced_today(self, now: datetime) -> int:
        """Cards first reviewed (while new) today, local time."""
        q = select(func.count(func.distinct(Review.card_id))).where(
            Review.mode == "review",
            Review.reviewed_at >= local_day_start(now),
            Review.prior_state == schedule.NEW,
        )
        with self.session() as s:
            return s.scalar(q) or 0

    def next_card(self, now: datetime, new_left: int) -> Card | None:
        """Due cards first (oldest due first), then new cards while the daily limit lasts,
        in quizzer.newcards' order (topics take turns; a family's next level only once the
        level below is proven), then learning cards due within LEARN_AHEAD."""
        from quizzer import newcards

        entries = catalog()
        shipped = [e.uid for e in entries]  # a row this quizzer cannot show is never chosen
        base = select(Card).join(CardState).where(Card.active.is_(True), Card.uid.in_(shipped))
        due = base.where(CardState.state != schedule.NEW, CardState.due <= now)
        learning = base.where(CardState.state.in_((1, 3)), CardState.due <= now + LEARN_AHEAD)
        with self.session() as s:
            card = s.scalars(due.order_by(CardState.due).limit(1)).first()
            if card is None and new_left > 0:
                # the new cards that may come now (a few hundred rows at most, one query);
                # the plan's order is the catalog's, so it is applied here, not in SQL
                new = base.with_only_columns(Card.id, Card.uid).where(
                    CardState.state == schedule.NEW, newcards.eligible()
                )
                rank = newcards.ranks(entries)
                last = float("inf")  # a card the plan does not place comes after the others
                first = min(s.execute(new), key=lambda r: (rank.get(r.uid, last), r.id),
                            default=None)  # fmt: skip
                card = None if first is None else s.get(Card, first.id)
            if card is None:
                card = s.scalars(learning.order_by(CardState.due).limit(1)).first()
            return card

    def due_count(self, now: datetime) -> int:
        q = (
            select(func.count())
            .select_from(Card)
            .join(CardState)
            .where(Card.active.is_(True), CardState.state != schedule.NEW, CardState.due <= now)
        )
        with self.session() as s:
            return s.scalar(q) or 0

    def next_due(self) -> datetime | None:
        q = (
            select(func.min(CardState.due))
            .join(Card)
            .where(Card.active.is_(True), CardState.state != schedule.NEW)
        )
        with self.session() as s:
            return s.scalar(q)

    def skill_card(self, family: str, difficulty: int) -> Card:
        with self.session() as s:
            card = s.scalars(select(Card).where(Card.uid == f"skill:{family}:{difficulty}")).one()
            return card

    # ---------------------------------------------------------------- reviews
    def record(
        self,
        card_id: int,
        mode: str,
        *,
        question: Question | None,
        typed: str | None,
        correct: bool | None,
        rating: schedule.Rating | None,
        duration_ms: int | None,
        scheduler: Any = None,
        skipped: bool = False,
        misconceptions: tuple[str, ...] = (),
        session_id: str | None = None,
        now: datetime | None = None,
    ) -> int:
        """Store one answer and, for a scheduled review (mode "review" with a rating), the
        card's next FSRS state, computed from the state read inside the same write
        transaction; the review keeps the scheduler's desired retention and parameters
        (`scheduler.parameters_id`, see quizzer.schedule.make_scheduler). Committed before
        it returns; returns the review's id. `now` defaults to the moment the write lock is
        held. `misconceptions`: the ids of every known mistake
        that gives this wrong answer (stored space-separated, see join_mistakes).
        Raises WriteFailed / DatabaseReadOnly."""
        with self.write() as s:
            now = now or utcnow()
            st = s.get(CardState, card_id)
            before = schedule.state_dict(st)
            scheduled = mode == "review" and rating is not None
            # the recall predicted by the parameters in use: the scheduler's, or for practice
            # the newest kept fitted ones (quizzer optimize), read in this transaction
            weights = (
                scheduler.parameters
                if scheduler is not None
                else schedule.parameters_in_use(s).weights
            )
            recall = schedule.recall_at(before, now, weights)
            if scheduled:
                _apply(st, schedule.next_state(scheduler, card_id, before, rating, now))
            review = Review(
                card_id=card_id,
                mode=mode,
                reviewed_at=now,
                generator_version=question.version if question else None,
                seed=question.seed if question else None,
                params=question.params if question else None,
                question=question.to_dict() if question else None,
                typed_answer=typed,
                correct=correct,
                skipped=skipped,
                misconception=join_mistakes(misconceptions),
                rating=int(rating) if rating is not None else None,
                duration_ms=duration_ms,
                state_before=before,
                prior_state=before["state"],
                retrievability=recall,
                desired_retention=scheduler.desired_retention if scheduled else None,
                parameters_id=getattr(scheduler, "parameters_id", None) if scheduled else None,
                session_id=session_id,
            )
            s.add(review)
            s.flush()
            return review.id

    def change_rating(self, review_id: int, rating: schedule.Rating, scheduler: Any) -> bool:
        """Replace a review's rating (Good -> Hard/Easy) and recompute the card's state from
        the state before that review, in one write transaction. Applies only while the
        review is still the card's latest scheduled review (another session may have
        reviewed the card since): returns False, changing nothing, otherwise."""
        with self.write() as s:
            review = s.get(Review, review_id)
            if review is None:
                return False
            if review.mode != "review" or review.rating is None:
                review.rating = int(rating)
                return True
            latest = s.scalar(
                select(func.max(Review.id)).where(
                    Review.card_id == review.card_id,
                    Review.mode == "review",
                    Review.rating.is_not(None),
                )
            )
            if latest != review.id:
                return False
            review.rating = int(rating)
            st = s.get(CardState, review.card_id)
            after = schedule.next_state(
                scheduler, review.card_id, review.state_before, rating, review.reviewed_at
            )
            _apply(st, after)
            review.desired_retention = scheduler.desired_retention
            review.parameters_id = getattr(scheduler, "parameters_id", None)
            return True

    def card_state(self, card_id: int) -> dict[str, Any]:
        with self.session() as s:
            return schedule.state_dict(s.get(CardState, card_id))

    # ---------------------------------------------------------------- verified variants
    def take_variant(
        self, family: str, difficulty: int, version: int, torch: str
    ) -> Question | None:
        """Pop a ready, torch-verified question for a skill, if one was kept: the newest
        first (kept by this installation's sessions before those shipped in the package,
        stocked when the database was made). Under the write lock: two sessions never get
        the same one."""
        with self.write() as s:
            row = s.execute(
                select(Variant.id, Variant.question)
                .where(
                    Variant.family == family,
                    Variant.difficulty == difficulty,
                    Variant.generator_version == version,
                    Variant.torch_version == torch,
                )
                .order_by(Variant.id.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            s.execute(delete(Variant).where(Variant.id == row.id))
        try:
            data = dict(row.question)
            kept_texts = data.pop("texts", None)  # its Chinese text (generators.texts)
            q = Question.from_dict(data)
        except (TypeError, KeyError, ValueError, AttributeError):
            return None  # a damaged row: dropped, and the session verifies a fresh question
        from quizzer import generators

        generators.remember_texts(q, kept_texts)
        return q

    def add_variants(self, questions: Iterable[Question], torch: str) -> None:
        """Keep verified questions for later sessions, each with its Chinese text
        (generators.texts), so that showing it never waits for sympy."""
        from quizzer import generators

        rows = []
        for q in questions:
            if not q.verified:
                raise ValueError("only torch-verified questions are kept")
            rows.append(
                Variant(
                    family=q.generator,
                    difficulty=q.difficulty,
                    generator_version=q.version,
                    seed=q.seed,
                    question={**q.to_dict(), "texts": generators.texts(q)},
                    torch_version=torch,
                )
            )
        if rows:
            with self.write() as s:
                s.add_all(rows)

    def variant_counts(self, torch: str) -> dict[tuple[str, int], int]:
        q = (
            select(Variant.family, Variant.difficulty, func.count())
            .where(Variant.torch_version == torch)
            .group_by(Variant.family, Variant.difficulty)
        )
        with self.session() as s:
            return {(f, d): n for f, d, n in s.execute(q)}

    def stored_questions(self) -> list[dict[str, Any]]:
        """One stored question per (generator, version, level, seed) ever shown."""
        valid = case((func.json_valid(Review.question), Review.question), else_="{}")
        gen = func.json_extract(valid, "$.generator")
        level = func.json_extract(valid, "$.difficulty")
        first = (
            select(func.min(Review.id))
            .where(Review.question.is_not(None), gen.is_not(None))
            .group_by(gen, Review.generator_version, level, Review.seed)
        )
        with self.session() as s:
            return list(s.scalars(select(Review.question).where(Review.id.in_(first))))

    # ---------------------------------------------------------------- Anki exports
    def anki_notes(self) -> dict[str, tuple[str, int]]:
        """guid -> (content hash, modification time) of every note exported so far."""
        with self.session() as s:
            return {
                g: (c, m)
                for g, c, m in s.execute(select(AnkiNote.guid, AnkiNote.content, AnkiNote.mtime))
            }

    def save_anki_notes(self, records: Iterable[tuple[str, str, int]]) -> None:
        with self.write() as s:
            for guid, content, mtime in records:
                s.merge(AnkiNote(guid=guid, content=content, mtime=mtime))


def _claim(s: Session) -> None:
    """Clear the mark of a copy quizzer made (quizzer.backup.BACKUP_ID): once anything is
    written to it, it is a learner's history, which `quizzer backup` never replaces."""
    from quizzer.backup import BACKUP_ID

    con = s.connection()
    if con.exec_driver_sql("PRAGMA application_id").scalar() == BACKUP_ID:
        con.exec_driver_sql("PRAGMA application_id = 0")


def _apply(st: CardState, new: dict[str, Any]) -> None:
    for key, value in new.items():
        setattr(st, key, value)


def _put_setting(s: Session, key: str, value: Any) -> None:
    row = s.get(Setting, key)
    if row is None:
        s.add(Setting(key=key, value=value))
    else:
        row.value = value
