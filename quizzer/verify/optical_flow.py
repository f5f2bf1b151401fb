"""Torch check of `optical-flow`: torch.linalg.solve on the constraint rows, in float64.

One pixel: the constraint row (I_x, I_y) and the known component as a second row
((1, 0) if u is known, (0, 1) if v is), right-hand side (−I_t, known); solving gives (u, v)
without the formula's rearrangement. Two pixels: the 2×2 system of their constraint rows.
"""

from __future__ import annotations

import torch

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version


def _system(q: Question) -> tuple[list[list[float]], list[float]]:
    p = q.params
    if q.ask == "uv":
        return [[float(r[0]), float(r[1])] for r in p["pixels"]], [
            -float(r[2]) for r in p["pixels"]
        ]
    known = "v" if q.ask == "u" else "u"
    row = [1.0, 0.0] if known == "u" else [0.0, 1.0]
    return [[float(p["Ix"]), float(p["Iy"])], row], [-float(p["It"]), float(p[known])]


def snippet(a: list[list[float]], b: list[float], ask: str) -> str:
    if ask == "uv":
        comment = "# two pixels: I_x*u + I_y*v = -I_t for each"
    else:
        known = "v" if ask == "u" else "u"
        comment = f"# I_x*u + I_y*v = -I_t, and {known} is known"
    return f"""import torch

{comment}
A = torch.tensor({a}, dtype=torch.float64)
b = torch.tensor({b}, dtype=torch.float64)
u, v = torch.linalg.solve(A, b).tolist()
print(f"u = {{u:.6f}}, v = {{v:.6f}}")
"""


@checker("optical-flow")
def check(q: Question) -> Check:
    a, b = _system(q)
    with torch.no_grad():
        u, v = torch.linalg.solve(
            torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
        ).tolist()
    result = [u, v]
    expected = result if q.ask == "uv" else result[0] if q.ask == "u" else result[1]
    return Check(
        result=result,
        expected=expected,
        code=snippet(a, b, q.ask),
        output=f"u = {u:.6f}, v = {v:.6f}",
        method=f"torch {torch_version()}: torch.linalg.solve of the constraint system in float64",
    )
