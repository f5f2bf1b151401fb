"""Questions for a session: torch-verified, without making the learner wait for torch.

Torch takes over a second to import. A session therefore (1) takes a question that an
earlier session already verified and kept in the `variants` table, when one was kept
for the same generator version and the same installed torch, and (2) verifies fresh
variants on a background thread while the learner reads and types, keeping the spares
for next time. A question is shown only once it is verified, either way.

A new database starts with verified variants shipped inside the package (SHIPPED, written
by scripts/record_shipped.py with the torch and sympy that verified them): a new learner's
first questions appear at once too, while the installed torch (and sympy, for the families
whose formula side is sympy's) is the one that verified them (shipped_variants).
"""

from __future__ import annotations

import functools
import gzip
import json
import random
import signal
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from quizzer.question import Question

SPARES_PER_SKILL = 3
SHIPPED = Path(__file__).with_name("shipped_variants.json.gz")
SHIPPED_FORMAT = 1  # the layout of SHIPPED: {"format", "recorded_with", "variants"}


@functools.cache
def installed_torch_version() -> str:
    """torch's version without importing torch (about 1.4 s); read once (a few ms)."""
    return metadata.version("torch").split("+")[0]


@functools.cache
def installed_sympy_version() -> str:
    """sympy's version without importing sympy (about 0.3 s); read once."""
    return metadata.version("sympy")


def shipped_variants(path: Path = SHIPPED) -> list[dict[str, Any]]:
    """The rows of the `variants` table a new database is stocked with: the verified
    questions shipped in `path` whose verification holds on this installation. None when
    the installed torch is not the one that verified them; for a family whose formula side
    is sympy's, none unless the installed sympy is the recorded one too; for every family,
    only those of its current generator version. Versions are read from the installed
    packages' metadata, never by importing torch or sympy. [] when the file is missing or
    unreadable: sessions then verify in the background, as they do without it."""
    from quizzer import generators
    from quizzer.errors import UnknownFamily

    try:
        record = json.loads(gzip.decompress(path.read_bytes()))
        if record["format"] != SHIPPED_FORMAT:
            return []
        recorded = record["recorded_with"]
        if recorded["torch"] != installed_torch_version():
            return []
        sympy_ok = recorded["sympy"] == installed_sympy_version()
        rows = []
        for q in record["variants"]:
            try:
                gen = generators.get(q["generator"])
            except UnknownFamily:  # a family this version no longer has
                continue
            if q["version"] != gen.version or (gen.formula_by == "sympy" and not sympy_ok):
                continue
            rows.append({"family": q["generator"], "difficulty": q["difficulty"],
                         "generator_version": q["version"], "seed": q["seed"],
                         "question": q, "torch_version": recorded["torch"]})  # fmt: skip
        return rows
    except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError,
            metadata.PackageNotFoundError):  # fmt: skip
        return []


def _block_signals() -> None:
    """Keep SIGINT for the main thread. A signal delivered to this thread would not wake
    the main thread's input(), so Ctrl-C would seem to do nothing; threads torch starts
    from here inherit the mask."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _warm_up() -> None:
    import quizzer.verify as verify

    verify._discover()


def _draw(family: str, seed: int, difficulty: int) -> Question:
    from quizzer.verify import draw

    return draw(family, seed, difficulty)


class Verifier:
    """A single background thread that imports torch once and verifies questions in order."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="quizzer-verify", initializer=_block_signals
        )
        self._started = False

    def start(self) -> None:
        """Begin importing torch in the background (idempotent)."""
        if not self._started:
            self._submit(_warm_up)

    def draw(self, family: str, seed: int, difficulty: int) -> Future[Question]:
        return self._submit(_draw, family, seed, difficulty)

    def run(self, fn: Any, *args: Any) -> Future[Any]:
        """fn(*args) on this thread, after what is queued before it."""
        return self._submit(fn, *args)

    def _submit(self, fn: Any, *args: Any) -> Future[Any]:
        if self._started or not hasattr(signal, "pthread_sigmask"):
            self._started = True
            return self._executor.submit(fn, *args)
        # the first submit creates the thread: create it with SIGINT already blocked, so
        # there is no moment in which Ctrl-C could land on it instead of the main thread
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            self._started = True
            return self._executor.submit(fn, *args)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def plausible(q: Question, family: str, difficulty: int) -> bool:
    """The cheap half of as_generated: the kept row is of this skill and carries a
    verification of the right types."""
    try:
        if (q.generator, q.difficulty) != (family, difficulty) or not q.verified:
            return False
        return all(isinstance(x, str) for x in (*q.verified_by, q.torch_check.code,
                                                q.torch_check.output))  # fmt: skip
    except Exception:  # anything a damaged row can hold
        return False


def as_generated(q: Question, family: str, difficulty: int) -> bool:
    """True if a kept question is exactly what the generator makes from its seed and
    carries its verification: a row changed in the database since (by hand, or by
    damage) is dropped, never shown. A pure-Python draft takes microseconds; a sympy
    family's first draft in a process imports sympy (~0.3 s): see QuestionSource."""
    from quizzer import generators

    if not plausible(q, family, difficulty):
        return False
    try:
        fresh = generators.draft(family, q.seed, difficulty, q.attempt).to_dict()
    except Exception:  # anything a damaged row can make a generator raise
        return False
    mine = q.to_dict()
    if not all(mine[k] == v for k, v in fresh.items() if k not in ("verified_by", "torch_check")):
        return False
    kept = generators.kept_texts(q)  # the Chinese text stored with it, if any
    try:
        return kept is None or kept == generators.get(family).zh(q)
    except Exception:  # a damaged row's params
        return False


class Kept(Future):
    """A kept question, ready at once, whose comparison with its generator (as_generated)
    runs on a background thread: `confirmed` says whether it may be graded. Used for the
    families whose generator needs sympy, so the first prompt does not wait for its
    import; the session waits for `confirmed` only after the learner has answered."""

    def __init__(self, question: Question, confirmed: Future[bool]) -> None:
        super().__init__()
        self.confirmed = confirmed
        self.set_result(question)


class QuestionSource:
    """Hands out verified questions for skills; keeps spares in the store."""

    def __init__(self, store, verifier: Verifier, rng: random.Random | None = None) -> None:
        self.store = store
        self.verifier = verifier
        self.rng = rng or random.Random()
        self.torch = installed_torch_version()
        self._spares: list[Future[Question]] = []
        self._confirming: Verifier | None = None

    def _confirmer(self) -> Verifier:
        """The thread that compares kept sympy-family questions with their generator (not
        the verifier's: that one is busy importing torch)."""
        if self._confirming is None:
            self._confirming = Verifier()
        return self._confirming

    def fresh_seed(self) -> int:
        return self.rng.randrange(2**31)

    def for_skill(self, family: str, difficulty: int) -> Future[Question]:
        """A verified question for the skill: a kept one at once, or one drawn now."""
        from quizzer import generators

        gen = generators.get(family)
        for _ in range(SPARES_PER_SKILL + 1):
            kept = self.store.take_variant(family, difficulty, gen.version, self.torch)
            if kept is None:
                break
            if gen.formula_by == "sympy" and plausible(kept, family, difficulty):
                return Kept(kept, self._confirmer().run(as_generated, kept, family, difficulty))
            if as_generated(kept, family, difficulty):
                done: Future[Question] = Future()
                done.set_result(kept)
                return done
        return self.verifier.draw(family, self.fresh_seed(), difficulty)

    def top_up(self, skills: list[tuple[str, int]]) -> None:
        """Verify spares in the background until each skill has SPARES_PER_SKILL kept."""
        self.verifier.start()
        counts = self.store.variant_counts(self.torch)
        for family, difficulty in skills:
            for _ in range(SPARES_PER_SKILL - counts.get((family, difficulty), 0)):
                self._spares.append(self.verifier.draw(family, self.fresh_seed(), difficulty))

    def keep_finished(self) -> int:
        """Store the spares verified so far; return how many were kept. Spares are a cache:
        when they cannot be stored (a full disk...), they are dropped, and the session,
        whose own answers report such failures, goes on."""
        from quizzer.errors import DatabaseError

        done = [f for f in self._spares if f.done() and not f.cancelled()]
        self._spares = [f for f in self._spares if not f.done()]
        good = [f.result() for f in done if f.exception() is None]
        if good:
            try:
                self.store.add_variants(good, self.torch)
            except DatabaseError:
                return 0
        return len(good)
