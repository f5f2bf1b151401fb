"""The order in which `quizzer review` introduces new cards (used by Store.next_card).

Two rules:

1. **Topics take turns.** The new cards form one sequence. Topics come in the order of
   the notes (the date of a topic's first concept deck; topics that have no deck follow,
   alphabetically) and take turns: each turn gives one card of the topic. Within a topic
   its skills (families at level 1, alphabetically) alternate with its concept cards
   (decks by date, cards in file order). The first turn of every topic comes before any
   topic's second: with the default 10 new cards a day every topic appears in the first
   two days, concept decks among them.
2. **A skill is climbed, one proven level at a time.** A family's level n + 1 is
   introduced only once its level n is *proven*: answered right at least PROVEN_REVIEWS
   times while in FSRS's Review state (so each a day or more after the one before), or
   holding a stability of at least PROVEN_STABILITY days. The level then takes its
   family's turn one round after the level below (before the topic's next card there), and
   as it is usually proven days later, it comes next as soon as it is proven.

`ranks` computes each card's place in the sequence from the catalog alone (cached);
`eligible` is the SQL condition of rule 2, evaluated in next_card's one query.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quizzer.store import CatalogEntry

PROVEN_REVIEWS = 2  # right answers in FSRS's Review state that prove a level
PROVEN_STABILITY = 7.0  # days of FSRS stability that prove a level
REVIEW_STATE = 2  # fsrs.State.Review, as stored in card_states.state and reviews.prior_state


def ranks(entries: Iterable[CatalogEntry]) -> dict[str, int]:
    """uid -> the card's place in the new-card sequence (smaller first; the levels above
    1 of a family take their place once eligible). Pure: the catalog alone decides it."""
    return _ranks(tuple(entries))


@functools.lru_cache(maxsize=4)
def _ranks(entries: tuple[CatalogEntry, ...]) -> dict[str, int]:
    from quizzer import decks, generators

    deck_topic = {d.id: d.topic for d in decks.load_decks()}
    first_deck: dict[str, str] = {}
    for deck_id in sorted(deck_topic):
        first_deck.setdefault(deck_topic[deck_id], deck_id)
    skills: dict[str, list[CatalogEntry]] = defaultdict(list)
    concepts: dict[str, list[CatalogEntry]] = defaultdict(list)
    for e in entries:
        if e.kind == "skill" and e.difficulty == 1:
            skills[generators.get(e.family).topic].append(e)
        elif e.kind == "concept":
            concepts[deck_topic.get(e.deck or "", e.deck or "")].append(e)
    topics = sorted(
        set(skills) | set(concepts),
        key=lambda t: (t not in first_deck, first_deck.get(t, ""), t),
    )
    turn: dict[str, tuple[int, int]] = {}  # uid -> (round, topic's place)
    for place, topic in enumerate(topics):
        mine = sorted(skills[topic], key=lambda e: e.family or "")
        notes = sorted(concepts[topic], key=lambda e: e.deck or "")  # stable: file order
        queue = [e for pair in zip_longest(mine, notes) for e in pair if e is not None]
        for rnd, e in enumerate(queue):
            turn[e.uid] = (rnd, place)
    n = len(topics)
    out = {uid: (rnd * n + place) * 2 + 1 for uid, (rnd, place) in turn.items()}
    for e in entries:
        if e.kind == "skill" and (e.difficulty or 1) > 1:
            base = turn.get(f"skill:{e.family}:1")
            if base is not None:  # before the topic's own card of that round
                out[e.uid] = ((base[0] + e.difficulty - 1) * n + base[1]) * 2
    return out


def eligible() -> Any:
    """SQL: the new card (quizzer.models.Card, in the enclosing query) may be introduced
    now: a concept card, a skill at level 1, or a skill whose level below is proven (rule
    2). For a skill above level 1 it costs two primary-key lookups (the card below, by its
    uid, and its state) and a read of that card's reviews, by index, up to the second
    right one."""
    from sqlalchemy import exists, func, or_, select
    from sqlalchemy.orm import aliased

    from quizzer.models import Card, CardState, Review

    below, below_state = aliased(Card), aliased(CardState)
    enough_right = (  # the PROVEN_REVIEWS-th right answer in Review state, if there is one
        select(Review.id)
        .where(
            Review.card_id == below.id,
            Review.mode == "review",
            Review.correct.is_(True),
            Review.prior_state == REVIEW_STATE,
        )
        .limit(1)
        .offset(PROVEN_REVIEWS - 1)
        .scalar_subquery()
    )
    proven = exists().where(
        below.uid == func.printf("skill:%s:%d", Card.family, Card.difficulty - 1),
        below_state.card_id == below.id,
        or_(below_state.stability >= PROVEN_STABILITY, enough_right.is_not(None)),
    )
    return or_(Card.kind != "skill", Card.difficulty <= 1, proven)
