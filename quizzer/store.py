"""Reading and writing the learner's database. Every write commits at once.

The catalog (every skill = generator family x difficulty, every concept card) is
synced into `cards` on open: cards a new version adds are inserted as new cards,
existing ones are left exactly as they are, and cards a version no longer ships are
marked inactive (their history is kept).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from quizzer import schedule
from quizzer.models import AnkiNote, Card, CardState, Review, Setting, Variant, utcnow
from quizzer.question import Question

LEARN_AHEAD = timedelta(minutes=20)
SETTINGS = {  # key: (default, parser, description)
    "new-per-day": (schedule.DEFAULT_NEW_PER_DAY, "int", "new cards introduced per day"),
    "retention": (schedule.DEFAULT_RETENTION, "float", "desired retention (0.70-0.99)"),
    "lang": ("en", "str", "language of questions and messages: en or zh"),
}


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
        self.session = sessionmaker(engine, expire_on_commit=False)

    # ---------------------------------------------------------------- catalog
    def sync_catalog(self, entries: list[CatalogEntry] | None = None) -> int:
        """Insert the catalog's missing cards as new; return how many were added."""
        entries = catalog() if entries is None else entries
        digest = hashlib.sha256("\n".join(sorted(e.uid for e in entries)).encode()).hexdigest()
        if self.get_setting("catalog") == digest:
            return 0
        now = utcnow()
        wanted = {e.uid: e for e in entries}
        with self.session.begin() as s:
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
    def get_setting(self, key: str) -> Any:
        with self.session() as s:
            row = s.get(Setting, key)
            if row is not None:
                return row.value
        return SETTINGS[key][0] if key in SETTINGS else None

    def set_setting(self, key: str, value: Any) -> None:
        with self.session.begin() as s:
            _put_setting(s, key, value)

    # ---------------------------------------------------------------- queue
    def new_introduced_today(self, now: datetime) -> int:
        """Cards first reviewed (while new) today, local time."""
        q = select(func.count(func.distinct(Review.card_id))).where(
            Review.mode == "review",
            Review.reviewed_at >= local_day_start(now),
            func.json_extract(Review.state_before, "$.state") == schedule.NEW,
        )
        with self.session() as s:
            return s.scalar(q) or 0

    def next_card(self, now: datetime, new_left: int) -> Card | None:
        """Due cards first (oldest due first), then new cards while the daily limit lasts,
        then learning cards due within LEARN_AHEAD."""
        base = select(Card).join(CardState).where(Card.active.is_(True))
        queries = [
            base.where(CardState.state != schedule.NEW, CardState.due <= now).order_by(
                CardState.due
            )
        ]
        if new_left > 0:
            queries.append(
                base.where(CardState.state == schedule.NEW).order_by(
                    func.coalesce(Card.difficulty, 1), Card.id
                )
            )
        queries.append(
            base.where(CardState.state.in_((1, 3)), CardState.due <= now + LEARN_AHEAD).order_by(
                CardState.due
            )
        )
        with self.session() as s:
            for q in queries:
                card = s.scalars(q.limit(1)).first()
                if card is not None:
                    return card
        return None

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
        misconception: str | None = None,
        session_id: str | None = None,
        now: datetime | None = None,
    ) -> int:
        """Store one answer and, for a scheduled review, the card's next FSRS state.
        Committed before it returns."""
        now = now or utcnow()
        with self.session.begin() as s:
            st = s.get(CardState, card_id)
            before = schedule.state_dict(st)
            recall = schedule.recall_at(before, now)
            if mode == "review" and rating is not None:
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
                misconception=misconception,
                rating=int(rating) if rating is not None else None,
                duration_ms=duration_ms,
                state_before=before,
                prior_state=before["state"],
                retrievability=recall,
                session_id=session_id,
            )
            s.add(review)
            s.flush()
            return review.id

    def change_rating(self, review_id: int, rating: schedule.Rating, scheduler: Any) -> None:
        """Replace a review's rating (Good -> Hard/Easy) and recompute the card's state
        from the state before that review."""
        with self.session.begin() as s:
            review = s.get(Review, review_id)
            review.rating = int(rating)
            if review.mode == "review":
                st = s.get(CardState, review.card_id)
                after = schedule.next_state(
                    scheduler, review.card_id, review.state_before, rating, review.reviewed_at
                )
                _apply(st, after)

    def card_state(self, card_id: int) -> dict[str, Any]:
        with self.session() as s:
            return schedule.state_dict(s.get(CardState, card_id))

    # ---------------------------------------------------------------- verified variants
    def take_variant(
        self, family: str, difficulty: int, version: int, torch: str
    ) -> Question | None:
        """Pop a ready, torch-verified question for a skill, if one was kept."""
        with self.session.begin() as s:
            row = s.scalars(
                select(Variant)
                .where(
                    Variant.family == family,
                    Variant.difficulty == difficulty,
                    Variant.generator_version == version,
                    Variant.torch_version == torch,
                )
                .order_by(Variant.id)
                .limit(1)
            ).first()
            if row is None:
                return None
            s.delete(row)
            return Question.from_dict(row.question)

    def add_variants(self, questions: Iterable[Question], torch: str) -> None:
        with self.session.begin() as s:
            for q in questions:
                if not q.verified:
                    raise ValueError("only torch-verified questions are kept")
                s.add(
                    Variant(
                        family=q.generator,
                        difficulty=q.difficulty,
                        generator_version=q.version,
                        seed=q.seed,
                        question=q.to_dict(),
                        torch_version=torch,
                    )
                )

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
        gen = func.json_extract(Review.question, "$.generator")
        level = func.json_extract(Review.question, "$.difficulty")
        first = (
            select(func.min(Review.id))
            .where(Review.question.is_not(None))
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
        with self.session.begin() as s:
            for guid, content, mtime in records:
                s.merge(AnkiNote(guid=guid, content=content, mtime=mtime))


def _apply(st: CardState, new: dict[str, Any]) -> None:
    for key, value in new.items():
        setattr(st, key, value)


def _put_setting(s: Session, key: str, value: Any) -> None:
    row = s.get(Setting, key)
    if row is None:
        s.add(Setting(key=key, value=value))
    else:
        row.value = value
