"""`quizzer quiz` and `quizzer review`: interactive sessions."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from itertools import chain, islice
from typing import Any

import click

from quizzer.cli_common import check_level, family_args, lang_of, open_store

TOP_UP_FROM = 20  # a quiz verifies spares for the skills of its first this many questions
AHEAD = 3  # with --seed: how many questions are verified ahead of the one on screen

# ---------------------------------------------------------------- sessions


def _once(fn: Any) -> Any:
    done: list[bool] = []

    def wrapper() -> None:
        if not done:
            done.append(True)
            fn()

    return wrapper


def _run(session: Any, items: Any, verifier: Any, total: int | None = None) -> None:
    """session.run; if it fails (e.g. the reader of a piped output has gone), stop the
    verifier first, so that the exit does not wait for the questions still queued."""
    try:
        session.run(items, total=total)
    except BaseException:
        verifier.close()
        raise


def _finish(session: Any, store: Any, source: Any, verifier: Any) -> None:

    try:
        source.keep_finished()
    finally:
        verifier.close()
    session.report(*_schedule_now(store, session))


def _schedule_now(store: Any, session: Any) -> tuple[Any, int | None]:
    """(next due time, cards due now) for the summary; (None, None) with a note when the
    database cannot be read any more (the summary is still shown)."""
    from sqlalchemy.exc import SQLAlchemyError

    from quizzer.errors import DatabaseError
    from quizzer.i18n import t
    from quizzer.models import utcnow
    from quizzer.store import describe_failure

    try:
        return store.next_due(), store.due_count(utcnow())
    except (SQLAlchemyError, DatabaseError) as exc:
        session.io.say(t("summary_unavailable", session.lang, reason=describe_failure(exc)))
        return None, None


@click.command()
@click.argument("families", nargs=-1, metavar="[FAMILY]...")
@click.option(
    "-n",
    "count",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many questions.",
)
@click.option("--seed", type=click.IntRange(min=0), help="Make the quiz reproducible.")
@click.option("--level", type=click.IntRange(min=1), help="Difficulty (default: mixed).")
@click.option(
    "--weakest",
    is_flag=True,
    help="Drill your weakest skills first (lowest accuracy, then recall).",
)
@click.pass_context
def quiz(
    ctx: click.Context,
    families: tuple[str, ...],
    count: int,
    seed: int | None,
    level: int | None,
    weakest: bool,
) -> None:
    """Practise generated questions; recorded as practice, the schedule is left alone.

    With no FAMILY, questions mix every family. Keys: ? help, s skip, q quit.

    \b
    Example:
      quizzer quiz                          10 questions, all families
      quizzer quiz conv-output z-score -n 5 --level 2 --seed 42
      quizzer quiz --weakest -n 20          your five weakest skills, weakest first
    """
    from quizzer.prefetch import QuestionSource, Verifier
    from quizzer.session import Session, practice_plan
    from quizzer.ui import Terminal

    fams = family_args(families)
    check_level(fams, level)
    store = open_store(ctx, write=True)
    if weakest:
        plan = _weakest_plan(store, fams, count, seed, level)
    else:
        plan = practice_plan(fams, count, seed, level)
    verifier = Verifier()
    source = QuestionSource(store, verifier)
    # the skills of the first questions get spares verified in the background; the plan
    # itself is drawn lazily, so -n 1000000000 starts as fast as -n 10
    first = list(islice(plan, TOP_UP_FROM))
    plan = chain(first, plan)
    session = Session(store, Terminal(), "practice", lang=lang_of(ctx))
    session.on_shown = _once(lambda: source.top_up(sorted({(f, lvl) for f, lvl, _ in first})))
    session.on_answer = source.keep_finished
    items = _practice_items(plan, store, source, verifier, seeded=seed is not None)
    _run(session, items, verifier, total=count)
    _finish(session, store, source, verifier)


def _practice_items(
    plan: Iterator[tuple[str, int, int]], store: Any, source: Any, verifier: Any, *, seeded: bool
) -> Iterator[Any]:
    """The session's items, one by one. With --seed, exactly the planned seeds, each
    verified AHEAD questions in advance; without, a kept variant or a fresh seed."""
    from quizzer.session import Item

    card_ids: dict[tuple[str, int], int] = {}

    def item(fam: str, lvl: int, fut: Any) -> Item:
        if (fam, lvl) not in card_ids:
            card_ids[fam, lvl] = store.skill_card(fam, lvl).id
        return Item(card_ids[fam, lvl], family=fam, difficulty=lvl, future=fut)

    if not seeded:
        for fam, lvl, _seed in plan:
            yield item(fam, lvl, source.for_skill(fam, lvl))
        return
    ahead: deque[tuple[str, int, Any]] = deque()
    for fam, lvl, s in plan:
        ahead.append((fam, lvl, verifier.draw(fam, s, lvl)))
        if len(ahead) > AHEAD:
            yield item(*ahead.popleft())
    while ahead:
        yield item(*ahead.popleft())


def _weakest_plan(
    store: Any, fams: list[str], count: int, seed: int | None, level: int | None = None
) -> Iterator[tuple[str, int, int]]:
    """The weakest skills (of `level`, if given) in turn, weakest first; fresh seeds (or
    from --seed). Drawn as they are asked for; an error (nothing answered yet) is raised
    at once."""
    import random

    from quizzer.stats import weakest_skills

    skills = [
        sk for sk in weakest_skills(store, top=100)
        if sk[0] in fams and (level is None or sk[1] == level)
    ][:5]  # fmt: skip
    if not skills:
        at = f" at level {level}" if level is not None else ""
        raise click.ClickException(
            f"no answers{at} in the last 30 days to rank your skills by: practise first "
            f"(quizzer quiz{' --level ' + str(level) if level is not None else ''}), then "
            "quizzer quiz --weakest"
        )
    rng = random.Random(f"weakest:{seed}") if seed is not None else random.Random()
    return ((*skills[i % len(skills)], rng.randrange(2**31)) for i in range(count))


@click.command()
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Stop after this many cards.",
)
@click.option(
    "--new",
    "new_cards",
    type=click.IntRange(min=0),
    help="New cards allowed today (default: the new-per-day setting).",
)
@click.pass_context
def review(ctx: click.Context, limit: int, new_cards: int | None) -> None:
    """Review the cards that are due, then new ones, with FSRS scheduling.

    Generated cards are skills: each review draws a fresh question. A right answer is
    rated Good (Enter keeps it, h makes it Hard, e Easy); a wrong one Again. Concept
    cards are self-graded. Keys: ? help, s skip, q quit.

    New cards (up to the new-per-day setting a day) take turns by topic, in the order
    of the notes, skills alternating with concept cards, so the first days reach every
    topic. A skill starts at level 1; its next level comes only once the level below is
    proven: answered right twice in review a day or more apart (FSRS's Review state),
    or remembered with a stability of 7 days or more.

    \b
    Example:
      quizzer review
      quizzer review --limit 20 --new 5
    """
    from quizzer.prefetch import QuestionSource, Verifier
    from quizzer.schedule import make_scheduler, parameters_in_use
    from quizzer.session import Session, review_items
    from quizzer.ui import Terminal

    store = open_store(ctx, write=True)
    with store.engine.connect() as c:  # quizzer optimize's fitted parameters, else defaults
        parameters = parameters_in_use(c)
    scheduler = make_scheduler(store.get_setting("retention"), parameters=parameters)
    new_per_day = store.get_setting("new-per-day") if new_cards is None else new_cards
    verifier = Verifier()
    source = QuestionSource(store, verifier)

    items = review_items(store, source, new_per_day, limit)

    from quizzer.store import catalog

    skills = [(e.family, e.difficulty) for e in catalog() if e.kind == "skill"]
    session = Session(store, Terminal(), "review", scheduler=scheduler, lang=lang_of(ctx))
    session.on_shown = _once(lambda: source.top_up(skills))
    session.on_answer = source.keep_finished
    _run(session, items, verifier)
    if session.shown == 0:
        verifier.close()
        from quizzer.i18n import t
        from quizzer.models import utcnow
        from quizzer.session import when

        lang, due = lang_of(ctx), store.next_due()
        later = t("later", lang, when=when(due, utcnow(), lang)) if due else ""
        click.echo(t("nothing_due", lang, later=later))
        return
    _finish(session, store, source, verifier)
