"""The Question value object: what a generator produces and every later stage consumes.

A Question is immutable and JSON-round-trippable. Its identity (`uid`) comes from the
generator id, the generator version and the canonical JSON of its params, never from
its text, so a reworded prompt is still the same question.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# What kind of typed answer a question expects; quizzer.answers parses each one.
#   int     a whole number                      expected: int
#   shape   a tuple of ints (torch.Size)        expected: list[int]
#   vector  a flat list of numbers              expected: list[int | float]
#   matrix  a 2-d list of numbers               expected: list[list[int | float]]
#   number  a real number, with a tolerance     expected: float
#   choice  one word out of `choices`           expected: str
#   labels  a list of category names            expected: list[str]
# With `allow_undefined`, "error"/"undefined" is a valid answer and expected None means it.
ANSWER_KINDS = ("int", "shape", "vector", "matrix", "number", "choice", "labels")


def canonical_json(value: Any) -> str:
    """One fixed JSON text for a value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Misconception:
    """A named wrong way to compute, and the answer it leads to for one question."""

    id: str
    value: Any

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "value": self.value}


@dataclass(frozen=True)
class TorchCheck:
    """The torch side of verification: a runnable snippet and what it printed."""

    code: str
    output: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "output": self.output}


@dataclass(frozen=True)
class Question:
    generator: str
    version: int
    seed: int
    difficulty: int
    params: dict[str, Any]
    ask: str
    prompt: str
    kind: str
    expected: Any
    result: Any
    answer: str
    solution: str
    tags: tuple[str, ...] = ()
    tolerance: float | None = None
    choices: tuple[str, ...] = ()
    allow_undefined: bool = False
    misconceptions: tuple[Misconception, ...] = ()
    verified_by: tuple[str, ...] = ()
    torch_check: TorchCheck | None = None
    attempt: int = 0  # how many variants of this seed were rejected before this one
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ANSWER_KINDS:
            raise ValueError(f"unknown answer kind {self.kind!r}")
        if self.kind == "number" and self.tolerance is None:
            raise ValueError("a number question needs a tolerance")

    @property
    def verified(self) -> bool:
        return self.torch_check is not None and len(self.verified_by) >= 2

    @property
    def uid(self) -> str:
        ident = canonical_json([self.generator, self.version, self.ask, self.params])
        return hashlib.sha256(ident.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["tags"] = list(self.tags)
        d["choices"] = list(self.choices)
        d["verified_by"] = list(self.verified_by)
        d["misconceptions"] = [m.to_dict() for m in self.misconceptions]
        d["torch_check"] = self.torch_check.to_dict() if self.torch_check else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Question:
        d = dict(d)
        d["tags"] = tuple(d.get("tags", ()))
        d["choices"] = tuple(d.get("choices", ()))
        d["verified_by"] = tuple(d.get("verified_by", ()))
        d["misconceptions"] = tuple(Misconception(**m) for m in d.get("misconceptions", ()))
        tc = d.get("torch_check")
        d["torch_check"] = TorchCheck(**tc) if tc else None
        return cls(**d)

    def to_json(self) -> str:
        return canonical_json(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Question:
        return cls.from_dict(json.loads(text))

    def public_dict(self) -> dict[str, Any]:
        """The `quizzer generate --json` record."""
        return {
            "generator": self.generator,
            "version": self.version,
            "seed": self.seed,
            "difficulty": self.difficulty,
            "ask": self.ask,
            "params": self.params,
            "prompt": self.prompt,
            "answer": self.answer,
            "result": self.result,
            "verified_by": list(self.verified_by),
        }
