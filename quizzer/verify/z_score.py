"""Torch check of z-score questions: (x - t.mean()) / t.std(correction=c) in float64, and for
"code" questions the real call the prompt shows.

- torch calls (torch.std(x), x.std(), torch.var(x), x.var()) run as written, with their
  default correction, on a float64 tensor. With one value torch returns nan and warns
  ("std(): degrees of freedom is <= 0"); the check records that warning and returns None
  (undefined), as the formula does.
- NumPy calls (np.std(a), np.var(a)) run in real NumPy with its default ddof, and torch's
  torch.std / torch.var(t, correction=0) on the same values must agree: both values are
  printed, and the method names both.

The batch checker stacks the samples of one size into a (G, n) tensor and reproduces, row
by row and bit for bit, what the single checker's full reductions compute:

- t.mean() is a sum over the contiguous last dim divided by n: t.mean(dim=1) runs the same
  kernel on every row.
- t.std(correction=c) of a whole tensor is torch's two-pass all-reduce: a sequential sum of
  (v - mean)^2 in double, divided by n - c, then std::sqrt. t.std(dim=1) would take another
  algorithm (Welford) and differs in the last ulp for about 1 row in 5, so the batch writes
  the two passes out: d = t - mean, (d * d).cumsum(dim=1)[:, -1] (a sequential sum), / (n - c).
- torch.sqrt on float64 goes through MKL's vector math and is off by one ulp for about 1
  value in 100 against the correctly rounded std::sqrt that t.std() uses; math.sqrt is
  correctly rounded too, so the batch takes math.sqrt of torch's variances.
- z = (x - mean) / sigma is the same pair of IEEE operations in both.
"code" questions are few and run the single checker.
tests/test_gen_z_score.py compares the batch's Checks with the single ones exactly.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

from quizzer.question import Question
from quizzer.verify import Check, batch_checker, checker, torch_version


def _check(q: Question, value: float, version: str) -> Check:
    """The Check of one question from torch's value: the snippet, its output and the method."""
    p = q.params
    c = p["correction"]
    code = f"import torch\n\nt = torch.tensor({p['data']!r}, dtype=torch.float64)\n"
    if q.ask == "mean":
        code += 'print(f"{t.mean().item():.6f}")\n'
        method = "Tensor.mean in float64"
    elif q.ask == "std":
        code += f'print(f"{{t.std(correction={c}).item():.6f}}")\n'
        method = f"Tensor.std(correction={c}) in float64"
    else:
        code += f"x = {p['x']}\nz = (x - t.mean()) / t.std(correction={c})\n"
        code += 'print(f"{z.item():.6f}")\n'
        method = f"(x - t.mean()) / t.std(correction={c}) in float64"
    return Check(value, value, code, f"{value:.6f}", f"torch {version}: {method}")


def _torch_call(call: str, x: torch.Tensor) -> tuple[float, list[str]]:
    """The value of a torch call as the prompt writes it, and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with torch.no_grad():
            value = {
                "torch.std(x)": lambda: torch.std(x),
                "x.std()": lambda: x.std(),
                "torch.var(x)": lambda: torch.var(x),
                "x.var()": lambda: x.var(),
            }[call]().item()
    return value, [f"{w.category.__name__}: {str(w.message).split('.')[0]}" for w in caught]


def _code_check(q: Question) -> Check:
    p = q.params
    data, call = p["data"], p["call"]
    version = torch_version()
    fn = "var" if "var" in call else "std"
    if call.startswith("np."):
        a = np.array(data)
        value = float(getattr(np, fn)(a))
        t = torch.tensor(data, dtype=torch.float64)
        with torch.no_grad():
            by_torch = getattr(torch, fn)(t, correction=0).item()
        if not math.isclose(value, by_torch, rel_tol=1e-12, abs_tol=1e-12):
            raise ValueError(f"NumPy {call} = {value!r} but torch correction=0 gives {by_torch!r}")
        code = (
            "import numpy as np\nimport torch\n\n"
            f"a = np.array({data!r})\n"
            f'print(f"{{np.{fn}(a):.6f}}")\n'
            f"t = torch.tensor({data!r}, dtype=torch.float64)\n"
            f'print(f"{{torch.{fn}(t, correction=0).item():.6f}}")\n'
        )
        output = f"{value:.6f}\n{by_torch:.6f}"
        method = (
            f"torch {version}: torch.{fn}(t, correction=0) in float64 agrees with "
            f"NumPy {np.__version__}'s {call} (its default ddof=0)"
        )
        return Check(value, value, code, output, method)
    x = torch.tensor(data, dtype=torch.float64)
    value, caught = _torch_call(call, x)
    code = (
        "import warnings\n\nimport torch\n\n"
        f"x = torch.tensor({data!r}, dtype=torch.float64)\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        '    warnings.simplefilter("always")\n'
        f"    value = {call}.item()\n"
        'print(f"{value:.6f}")\n'
        "for w in caught:\n"
        "    print(f\"{w.category.__name__}: {str(w.message).split('.')[0]}\")\n"
    )
    output = "\n".join([f"{value:.6f}", *caught])
    method = f"torch {version}: {call} with its default correction=1, in float64"
    if math.isnan(value):  # n = 1: torch returns nan (with a warning), counted as undefined
        return Check(None, None, code, output, method)
    return Check(value, value, code, output, method)


@checker("z-score")
def check_z_score(q: Question) -> Check:
    if q.ask == "code":
        return _code_check(q)
    data, x, c = q.params["data"], q.params["x"], q.params["correction"]
    t = torch.tensor(data, dtype=torch.float64)
    with torch.no_grad():
        if q.ask == "mean":
            value = t.mean().item()
        elif q.ask == "std":
            value = t.std(correction=c).item()
        else:
            value = ((x - t.mean()) / t.std(correction=c)).item()
    return _check(q, value, torch_version())


@batch_checker("z-score")
def check_z_score_batch(qs: list[Question]) -> list[Check | Exception]:
    """One (G, n) float64 tensor per (n, correction, ask): a handful of torch calls per group."""
    groups: dict[tuple[int, int | None, str], list[int]] = {}
    out: list[Check | Exception] = [None] * len(qs)  # type: ignore[list-item]
    for i, q in enumerate(qs):
        if q.ask == "code":
            try:
                out[i] = _code_check(q)
            except Exception as exc:
                out[i] = exc
            continue
        p = q.params
        groups.setdefault((len(p["data"]), p["correction"], q.ask), []).append(i)
    version = torch_version()
    with torch.no_grad():
        for (n, c, ask), idx in groups.items():
            t = torch.tensor([qs[i].params["data"] for i in idx], dtype=torch.float64)
            mean = t.mean(dim=1)
            if ask == "mean":
                values = mean.tolist()
            else:
                assert c is not None
                d = t - mean[:, None]
                var = (d * d).cumsum(dim=1)[:, -1] / (n - c)
                values = [math.sqrt(v) for v in var.tolist()]
                if ask == "z":
                    x = torch.tensor([qs[i].params["x"] for i in idx], dtype=torch.float64)
                    values = ((x - mean) / torch.tensor(values, dtype=torch.float64)).tolist()
            for i, value in zip(idx, values, strict=True):
                out[i] = _check(qs[i], value, version)
    return out
