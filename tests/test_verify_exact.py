"""Verified means equal: torch must compute exactly what the formula did (integers and
shapes equal, floats to 1e-9 relative), however tolerant grading is. Both halves of the
check (torch's full result, and torch's answer to the asked part) are tried with a
deliberately wrong formula."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from quizzer import generators
from quizzer.errors import Rejected
from quizzer.verify import agree, verify


def number_question():
    """A number question graded with a tolerance (±0.01 or so)."""
    for family in ("z-score", "activations", "regularization"):
        for seed in range(200):
            q = generators.draft(family, seed, 1)
            if q.kind == "number" and q.tolerance and isinstance(q.result, float):
                return q
    raise AssertionError("no number question with a tolerance")


def test_a_right_formula_verifies():
    q = number_question()
    assert verify(q).verified


@pytest.mark.parametrize("part", ["result", "expected", "both"])
def test_a_formula_off_by_less_than_the_grading_tolerance_is_rejected(part: str):
    q = number_question()
    off = q.tolerance * 0.9  # a learner typing this would be graded right
    wrong = {
        "result": {"result": q.result + off},
        "expected": {"expected": q.expected + off},
        "both": {"result": q.result + off, "expected": q.expected + off},
    }[part]
    with pytest.raises(Rejected, match="!= torch"):
        verify(replace(q, **wrong))


@pytest.mark.parametrize("part", ["result", "expected"])
def test_a_shape_formula_wrong_in_one_half_is_rejected(part: str):
    q = next(q for s in range(100) if (q := generators.draft("conv-output", s, 1)).ask == "height")
    assert verify(q).verified
    bad = [*q.result[:-2], q.result[-2] + 1, q.result[-1]]
    wrong = {"result": {"result": bad}, "expected": {"expected": q.expected + 1}}[part]
    with pytest.raises(Rejected, match="!= torch"):
        verify(replace(q, **wrong))


def test_agree_is_exact_for_integers_and_shapes_and_tight_for_floats():
    assert agree(3, 3) and not agree(3, 4)
    assert agree([1, 8, 13, 13], [1, 8, 13, 13]) and not agree([1, 8, 13, 13], [1, 8, 13])
    assert agree(0.1 + 0.2, 0.3)  # rounding only
    assert not agree(0.3, 0.3 + 1e-7) and not agree(0.3, 0.309)
    assert agree(0.0, 1e-13) and not agree(0.0, 1e-9)
    assert agree(math.nan, math.nan) and not agree(math.nan, 0.0)
    assert agree(None, None) and not agree(None, 0) and not agree(0, None)
    assert agree("yes", "yes") and not agree("yes", "Yes")
    assert not agree(True, 1) and not agree(1, 1.0000001)
