"""batchnorm-layernorm: hand-computed normalizations, the axes of BN vs LN (the notes' point),
batches of one, running statistics, eps, eval mode and the forgotten eval(), sympy's closed
forms, grading. (Every-seed verification, snippets and typed answers are covered by
test_generators.py.)"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sympy

from quizzer.answers import grade
from quizzer.generators import draft, get, localized
from quizzer.generators import norm_layers as nl
from quizzer.question import Question
from quizzer.verify import verify
from quizzer.verify.norm_layers import check_norm_layers

FAMILY = "batchnorm-layernorm"
X = [[1, 2], [3, 5], [8, 0]]  # 3 samples × 2 features
EPS = 1e-5
BN1 = {"layer": "BatchNorm1d", "num_features": 2, "eps": EPS, "input": X}
LN3 = {"layer": "LayerNorm", "normalized_shape": [3], "eps": EPS, "input": [[9, 2, 4], [6, 8, 5]]}


def _q(ask: str, params: dict[str, Any], level: int = 2, tol: float = 0.01) -> Question:
    return verify(get(FAMILY).build(level, ask, dict(params), tol))


def _mis(q: Question) -> dict[str, Any]:
    return {m.id: m.value for m in q.misconceptions}


def test_batchnorm_by_hand() -> None:
    """BN normalizes one feature across the samples: column 0 = [1, 3, 8], mean 4, biased
    variance (9 + 1 + 16) / 3 = 26/3."""
    q = _q("value", BN1 | {"index": [1, 0]}, level=1)
    assert q.expected == pytest.approx(-1 / math.sqrt(26 / 3 + EPS)) and q.answer == "-0.3397"
    assert q.torch_check.output == "-0.339683"
    mis = _mis(q)
    assert mis["norm-unbiased-var"] == pytest.approx(-1 / math.sqrt(13))  # 26/2
    assert mis["norm-axes-swapped"] == pytest.approx(-1.0, abs=1e-4)  # row [3, 5]: ±1
    assert mis["bn-running-stats"] == pytest.approx(3 / math.sqrt(1 + EPS))  # eval mode
    assert "norm-eps-forgotten" not in mis  # eps = 1e-5 is far below the tolerance
    assert grade(q, "-0.34").correct and grade(q, "-1/sqrt(26/3)").correct
    assert grade(q, "-1/sqrt(13)").mistake_ids == ("norm-unbiased-var",)
    assert grade(q, "3").mistake_ids == ("bn-running-stats",)
    assert "x[:, 0] = [1, 3, 8] (n = 3)" in q.solution and "26/3" in q.solution


def test_layernorm_by_hand() -> None:
    """LN normalizes one sample across its features: row 0 = [9, 2, 4], mean 5, var 26/3."""
    q = _q("vector", LN3 | {"index": [0]})
    want = [v / math.sqrt(26 / 3 + EPS) for v in (4, -3, -1)]
    assert q.expected == pytest.approx(want) and q.answer == "[1.3587, -1.0190, -0.3397]"
    assert grade(q, "1.36 -1.02 -0.34").correct
    # BN's axes instead: each feature over the 2 samples is ±1
    assert _mis(q)["norm-axes-swapped"] == pytest.approx([1, -1, -1], abs=1e-4)
    assert "bn-running-stats" not in _mis(q)  # LayerNorm keeps no running statistics
    col = _q("vector", BN1 | {"index": [None, 1]})
    assert col.expected == pytest.approx(
        [v / math.sqrt(38 / 9 + EPS) for v in (-1 / 3, 8 / 3, -7 / 3)]  # [2, 5, 0]
    )


@pytest.mark.parametrize(
    "params, dims, wrong",
    [
        (BN1, [0], {"norm-axes-swapped": [1]}),
        (LN3, [1], {"norm-axes-swapped": [0]}),
        (
            {"layer": "BatchNorm2d", "num_features": 2, "eps": EPS},
            [0, 2, 3],
            {"norm-axes-swapped": [1, 2, 3], "bn-spatial-forgotten": [0]},
        ),
        (
            {"layer": "LayerNorm", "normalized_shape": [2, 2, 2], "eps": EPS},
            [1, 2, 3],
            {"norm-axes-swapped": [0, 2, 3], "ln-last-dim-only": [3]},
        ),
        (
            {"layer": "LayerNorm", "normalized_shape": [3], "eps": EPS},  # (N, L, C) tokens
            [2],
            {"norm-axes-swapped": [0, 1], "ln-whole-sample": [1, 2]},
        ),
    ],
)
def test_dims_of_the_statistics(params: dict[str, Any], dims: list[int], wrong: dict) -> None:
    """The notes: BN normalizes a channel across the batch, LN across the channels of a sample."""
    if "input" not in params:
        x4 = [[[[4, 6], [5, 8]], [[2, 5], [6, 7]]], [[[3, 2], [1, 0]], [[9, 6], [6, 5]]]]
        x3 = [[[1, 5, 2], [7, 0, 3], [4, 4, 9]], [[2, 8, 1], [5, 3, 6], [0, 9, 7]]]
        params = params | {"input": x3 if params.get("normalized_shape") == [3] else x4}
    q = _q("dims", params, level=3)
    assert q.expected == dims and q.torch_check.output == str(dims)
    assert _mis(q) == wrong
    assert grade(q, str(dims)).correct and grade(q, " ".join(map(str, dims))).correct
    if len(dims) > 1:
        assert not grade(q, str(dims[::-1])).correct  # in increasing order, as asked


def test_batch_of_one() -> None:
    """BN statistics need a batch: one sample gives torch's ValueError; LN does not care."""
    bn = _q("vector", {**BN1, "input": [[3, 4, 6]], "num_features": 3, "index": [0]})
    assert bn.expected is None and bn.answer == "error"
    assert bn.torch_check.output.startswith("ValueError: Expected more than 1 value per channel")
    assert grade(bn, "error").correct and grade(bn, "报错").correct
    assert grade(bn, "0 0 0").mistake_ids == ("bn-single-sample",)
    ln = _q("vector", {**LN3, "input": [[6, 0, 9]], "index": [0]})
    assert ln.expected == pytest.approx([v / math.sqrt(14 + EPS) for v in (1, -5, 4)])
    assert grade(ln, "error").mistake_ids == ("norm-batch-of-one",)
    x = [[[[7, 7], [0, 6]], [[5, 6], [4, 1]]]]  # BatchNorm2d still has H·W values per channel
    bn2 = _q(
        "value",
        {"layer": "BatchNorm2d", "num_features": 2, "eps": EPS, "input": x, "index": [0, 1, 1, 1]},
        level=3,
    )
    assert bn2.expected == pytest.approx((1 - 4) / math.sqrt(3.5 + EPS))


def test_running_statistics() -> None:
    """running = 0.9·running + 0.1·batch statistic; running_var from the unbiased variance."""
    x = [[[[7, 7], [0, 6]], [[5, 6], [4, 1]]], [[[5, 9], [0, 3]], [[1, 9], [9, 7]]]]
    p = {"layer": "BatchNorm2d", "num_features": 2, "eps": EPS, "input": x, "index": [0]}
    m = _q("running", p | {"stat": "running_mean"}, level=3, tol=0.001)
    assert m.expected == pytest.approx(0.1 * 37 / 8) and m.torch_check.output == "0.462500"
    assert m.extra["exact"] == "37/80" and m.answer == "0.4625 (exactly 37/80)"
    assert _mis(m) == pytest.approx({"bn-momentum-forgotten": 4.625, "bn-momentum-swapped": 4.1625})
    v = _q("running", p | {"stat": "running_var"}, level=3, tol=0.001)
    values = [7, 7, 0, 6, 5, 9, 0, 3]
    unbiased = sum((a - 37 / 8) ** 2 for a in values) / 7
    assert v.expected == pytest.approx(0.9 + 0.1 * unbiased)
    assert v.extra["exact"] == "161/80"  # 9/10 + 1/10 * 89/8
    assert _mis(v)["bn-running-var-biased"] == pytest.approx(0.9 + 0.1 * unbiased * 7 / 8)
    s = _q(
        "stats",
        {"layer": "BatchNorm2d", "num_features": 64, "eps": EPS, "input_shape": [32, 64, 7, 7]},
        level=3,
    )
    assert s.expected == [64] and s.torch_check.output == "torch.Size([64])"
    assert _mis(s) == {"norm-axes-swapped": [32], "bn-per-position": [64, 7, 7]}
    assert grade(s, "(64,)").correct and grade(s, "64").correct


def test_eps_counts_only_when_large() -> None:
    x = [[1, 2], [2, 5], [3, 0]]  # column 0: var 2/3, so eps = 1 changes the value
    q = _q(
        "value",
        {"layer": "BatchNorm1d", "num_features": 2, "eps": 1.0, "input": x, "index": [0, 0]},
        level=3,
    )
    assert q.expected == pytest.approx(-1 / math.sqrt(2 / 3 + 1))
    assert q.extra["exact"] == "-sqrt(15)/5" and q.answer == "-0.7746 (exactly -sqrt(15)/5)"
    assert _mis(q)["norm-eps-forgotten"] == pytest.approx(-1 / math.sqrt(2 / 3))
    assert "nn.BatchNorm1d(2, eps=1.0)" in q.prompt and "eps=1.0, dtype" in q.torch_check.code


def test_unique_dims_and_groups() -> None:
    assert nl.groups((3, 2), (0,)) == ((0, 2, 4), (1, 3, 5))
    assert nl.groups((2, 3), (1,)) == ((0, 1, 2), (3, 4, 5))
    same_stats = {"layer": "BatchNorm1d", "eps": EPS, "input": [[1, 3], [2, 2], [3, 1]]}
    assert not nl.unique_dims(same_stats, [0])  # both columns have mean 2, var 2/3
    assert nl.unique_dims(BN1, [0])


@pytest.mark.parametrize("level", [1, 2, 3])
def test_levels(level: int) -> None:
    qs = [draft(FAMILY, seed, level) for seed in range(300)]
    asks = {q.ask for q in qs}
    layers = {q.params["layer"] for q in qs}
    if level == 1:
        assert asks == {"value", "dims"} and layers == {"BatchNorm1d", "LayerNorm"}
        for q in qs:
            if q.ask == "value":  # the asked value's group has a whole-number mean
                shape = nl.shape_of(q.params["input"])
                dims = tuple(nl.norm_dims(q.params["layer"], 2))
                pos = nl.flat_index(shape, q.params["index"])
                g = next(g for g in nl.groups(tuple(shape), dims) if pos in g)
                flat = nl.flatten(q.params["input"])
                assert sum(flat[i] for i in g) % len(g) == 0
    elif level == 2:
        assert asks == {"vector", "value", "stats", "dims", "inference"}
        assert any(q.expected is None for q in qs)  # a BatchNorm batch of one
    else:
        assert asks == {"value", "dims", "stats", "running", "inference"}
        assert layers == {"BatchNorm1d", "BatchNorm2d", "LayerNorm"}
        assert {q.params["eps"] for q in qs} == {EPS, 0.1, 1.0}


def test_chinese() -> None:
    q = _q("value", BN1 | {"index": [1, 0]}, level=1)
    zh = localized(q, "zh")
    assert "`layer = nn.BatchNorm1d(2)`" in zh["prompt"] and "训练模式" in zh["prompt"]
    assert "（有偏：除以 n）" in zh["solution"] and zh["answer"] == "-0.3397"
    assert get(FAMILY).explanations_zh["norm-axes-swapped"].startswith("维度弄反了")


TRAINED = BN1 | {"running_mean": [2.0, 0.5], "running_var": [4.0, 0.25]}


def test_eval_mode_uses_the_running_statistics() -> None:
    """After layer.eval(): y = (x - running_mean) / sqrt(running_var + eps). Values from torch
    (float64) for x = [[1, 2], [3, 5], [8, 0]]: eval y[1, 1] = 8.999820005399819."""
    q = _q("inference", TRAINED | {"eval": True, "index": [1, 1]}, level=3, tol=0.001)
    assert q.expected == pytest.approx(8.999820005399819, rel=1e-15)
    assert q.torch_check.output == "8.999820" and "layer.eval()" in q.prompt
    assert "layer.eval()\nwith torch.no_grad()" in q.torch_check.code
    mis = _mis(q)
    assert mis["bn-eval-batch-stats"] == pytest.approx(1.2977698322143145)  # torch, train mode
    assert mis["bn-var-not-sqrt"] == pytest.approx(4.5 / (0.25 + EPS))
    assert "norm-eps-forgotten" not in mis  # 9.0: within 0.001 of the answer
    assert grade(q, "9").correct and grade(q, "1.298").mistake_ids == ("bn-eval-batch-stats",)
    assert "running statistics" in q.solution and "(5 - 0.5) / sqrt(0.25 + 1e-5)" in q.solution


def test_the_forgotten_eval() -> None:
    """No layer.eval(): torch.no_grad() does not switch modes, so the batch's statistics are
    used (torch, train mode: y[1, 0] = -0.3396829142725232), and a batch of one raises."""
    q = _q("inference", TRAINED | {"eval": False, "index": [1, 0]})
    assert q.expected == pytest.approx(-0.3396829142725232, rel=1e-15)
    assert "layer.eval()" not in q.prompt and "torch.no_grad()" in q.prompt
    assert "# no layer.eval()" in q.torch_check.code and q.torch_check.output == "-0.339683"
    mis = _mis(q)
    assert mis["bn-eval-forgotten"] == pytest.approx(0.49999937500117186)  # torch, eval mode
    assert mis["norm-unbiased-var"] == pytest.approx(-1 / math.sqrt(13))
    assert grade(q, "0.5").mistake_ids == ("bn-eval-forgotten",)
    assert "does not switch modes" in q.solution
    one = TRAINED | {"eps": 1.0, "input": [[6, 1]], "eval": False, "index": [0, 0]}
    e = _q("inference", one)
    assert e.expected is None and e.answer == "error" and e.allow_undefined
    assert e.torch_check.output.startswith("ValueError: Expected more than 1 value per channel")
    assert grade(e, "error").correct and grade(e, "0").mistake_ids == ("bn-single-sample",)
    # eval mode would have given torch's 1.7888543819998317 = 4/sqrt(5)
    assert _mis(e)["bn-eval-forgotten"] == pytest.approx(1.7888543819998317)
    ok = _q("inference", one | {"eval": True}, level=3)
    assert ok.expected == pytest.approx(1.7888543819998317, rel=1e-15)
    assert ok.extra["exact"] == "4*sqrt(5)/5" and ok.answer == "1.7889 (exactly 4*sqrt(5)/5)"
    mis = _mis(ok)
    assert mis["bn-eval-batch-stats"] is None  # "it raises": only in training mode
    assert mis["bn-var-not-sqrt"] == pytest.approx(0.8) and mis["norm-eps-forgotten"] == 2.0
    assert grade(ok, "error").mistake_ids == ("bn-eval-batch-stats",)
    torch_y = check_norm_layers(ok).result
    assert torch_y[0] == pytest.approx([1.7888543819998317, 0.4472135954999579], rel=1e-15)
    assert ok.result[0] == pytest.approx(torch_y[0], rel=1e-12)  # sympy's floats agree


def test_closed_forms_come_from_sympy() -> None:
    """The normalized values are sympy's: their text, their float, and torch agreeing."""
    assert get(FAMILY).formula_by == "sympy"
    f, expr = nl._normalized(-3, 3, 2, 9, 1.0)  # (-1) / sqrt(2/9 + 1) = -3*sqrt(11)/11
    assert nl.closed_form(expr) == "-3*sqrt(11)/11" and f == float(-3 * sympy.sqrt(11) / 11)
    f, expr = nl._normalized(-1, 1, 26, 3, EPS)  # eps = 1e-5 read exactly as 1/100000
    assert nl.closed_form(expr) == "-100*sqrt(78000090)/2600003"
    assert f == pytest.approx(-1 / math.sqrt(26 / 3 + EPS), rel=1e-15)
    q = _q("value", BN1 | {"index": [1, 0]}, level=1)
    assert q.extra["exact"] == "-100*sqrt(78000090)/2600003" and q.answer == "-0.3397"  # long
    assert q.verified_by[0] == f"sympy {sympy.__version__}: exact closed forms"
    assert nl.closed_form(nl._normalized_eval(0, 5.5, 1.0, 1.0)[1]) == "-11*sqrt(2)/4"
    assert nl.rational(26, 3) == "26/3" and nl.rational(8, 2) == "4"
    source = Path(nl.__file__).read_text(encoding="utf-8")
    assert "def frac(" not in source and "\nimport sympy" not in source  # lazy import only


def test_how_often_each_new_case_is_drawn() -> None:
    """The eval-mode / forgotten-eval questions, by mode and batch size, in 1,000 seeds."""
    for level, least in ((1, 0), (2, 20), (3, 20)):
        qs = [draft(FAMILY, seed, level) for seed in range(1000)]
        cases = Counter(
            ("eval" if q.params["eval"] else "train", len(q.params["input"]) == 1)
            for q in qs
            if q.ask == "inference"
        )
        if level == 1:
            assert not cases
            continue
        assert len(cases) == 4 and min(cases.values()) >= least, cases
        errors = sum(q.ask == "inference" and q.expected is None for q in qs)
        assert errors == cases["train", True]  # exactly the forgotten eval with one sample
