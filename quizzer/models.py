"""The SQLite schema, as SQLAlchemy 2.x typed ORM models.

Every change to these models needs an Alembic migration in quizzer/migrations/versions
(tests/test_migrations.py compares `alembic upgrade head` with these models).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime. SQLite drops tzinfo, so it is stored naive in UTC
    and given back aware; a naive datetime is refused rather than guessed at."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: quizzer stores aware UTC datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Card(Base):
    """One schedulable card: a skill (generator family at a difficulty) or a concept card."""

    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(200), unique=True)  # skill:conv-output:2, concept:<id>
    kind: Mapped[str] = mapped_column(String(16))  # "skill" | "concept"
    family: Mapped[str | None] = mapped_column(String(64))  # generator id, for skills
    difficulty: Mapped[int | None] = mapped_column(Integer)  # level, for skills
    deck: Mapped[str | None] = mapped_column(String(200))  # deck id, for concept cards
    # False once a later version no longer ships the card: its history stays, it is not shown
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    state: Mapped[CardState] = relationship(back_populates="card", uselist=False)


class CardState(Base):
    """The FSRS state of a card (fsrs.Card's fields). state 0 = new (never reviewed);
    otherwise fsrs.State: 1 learning, 2 review, 3 relearning."""

    __tablename__ = "card_states"

    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), primary_key=True)
    state: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None]
    difficulty: Mapped[float | None]
    due: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime)

    card: Mapped[Card] = relationship(back_populates="state")

    __table_args__ = (Index("ix_card_states_due", "due"),)


class Review(Base):
    """Every answer a learner gives, scheduled review or free practice; never deleted."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    mode: Mapped[str] = mapped_column(String(16))  # "review" | "practice"
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    generator_version: Mapped[int | None] = mapped_column(Integer)
    seed: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    question: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))  # the Question shown
    typed_answer: Mapped[str | None] = mapped_column(Text)  # None: skipped or self-graded
    correct: Mapped[bool | None]
    skipped: Mapped[bool] = mapped_column(default=False)
    # every known mistake that explains this wrong answer, ids separated by one space
    # (join_mistakes / split_mistakes); NULL when none does
    misconception: Mapped[str | None] = mapped_column(String(64))
    rating: Mapped[int | None] = mapped_column(Integer)  # fsrs.Rating 1..4
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    # the card_states row before this review (None for practice of a never-reviewed card)
    state_before: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    session_id: Mapped[str | None] = mapped_column(String(40))
    # for the progress figures, kept as columns so they aggregate without parsing JSON:
    prior_state: Mapped[int | None] = mapped_column(Integer)  # FSRS state before (0 = new)
    retrievability: Mapped[float | None]  # FSRS-predicted recall at this moment (None if new)
    # the desired retention the scheduler used (scheduled reviews since schema 0004), so that
    # replaying a card's reviews gives exactly its state, due date included (quizzer check)
    desired_retention: Mapped[float | None]
    # the FSRS parameters that scheduled it (schema 0005; NULL: FSRS's defaults), so that a
    # card's replay uses the parameters each of its reviews was scheduled with
    parameters_id: Mapped[int | None] = mapped_column(ForeignKey("fsrs_parameters.id"))

    __table_args__ = (
        Index("ix_reviews_card_time", "card_id", "reviewed_at"),
        # covers every progress query: they read the index, never the wide rows
        Index(
            "ix_reviews_stats",
            "reviewed_at",
            "mode",
            "correct",
            "duration_ms",
            "prior_state",
            "retrievability",
            "card_id",
            "misconception",
        ),
    )


class FsrsParameters(Base):
    """FSRS parameters fitted to the learner's own reviews by `quizzer optimize`, with the
    held-out figures that decided whether they were kept. The newest kept row schedules
    from then on (quizzer.schedule.parameters_in_use); a row is never changed or deleted,
    since reviews refer to the parameters that scheduled them."""

    __tablename__ = "fsrs_parameters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    parameters: Mapped[str] = mapped_column(Text)  # JSON text: FSRS-6's 21 floats
    optimizer: Mapped[str] = mapped_column(String(64))  # name and version
    reviews_fitted: Mapped[int] = mapped_column(Integer)  # scheduled reviews fitted on
    reviews_held_out: Mapped[int] = mapped_column(Integer)  # held-out reviews scored
    # on the held-out reviews: FSRS's default parameters, then the fitted ones
    default_log_loss: Mapped[float]
    default_rmse_bins: Mapped[float]
    fitted_log_loss: Mapped[float]
    fitted_rmse_bins: Mapped[float]
    kept: Mapped[bool]  # True: the fitted parameters scored better and schedule from now on


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Variant(Base):
    """A torch-verified question kept ready, so a session can show its first prompt
    before torch has loaded. Each is used once; `versions` records what verified it."""

    __tablename__ = "variants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family: Mapped[str] = mapped_column(String(64))
    difficulty: Mapped[int] = mapped_column(Integer)
    generator_version: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    question: Mapped[Any] = mapped_column(JSON)
    torch_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_variants_skill", "family", "difficulty", "generator_version"),)


class AnkiNote(Base):
    """What each exported Anki note last looked like, and since when. A re-export gives an
    unchanged note its old modification time, a changed one a newer time, so Anki updates
    exactly the notes that changed (it updates a note only from a newer one)."""

    __tablename__ = "anki_notes"

    guid: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[str] = mapped_column(String(64))  # sha256 of note type, fields, tags
    mtime: Mapped[int] = mapped_column(Integer)  # seconds, as Anki stores note.mod


def join_mistakes(ids: tuple[str, ...] | list[str]) -> str | None:
    """The `reviews.misconception` text of these misconception ids (None for none)."""
    return " ".join(ids) or None


def split_mistakes(text: str | None) -> list[str]:
    """The misconception ids of a `reviews.misconception` text (an older row holds one)."""
    return [m for m in text.split(" ") if m] if text else []
