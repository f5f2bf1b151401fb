"""Torch check of z-score questions: (x - t.mean()) / t.std(correction=c) in float64."""

from __future__ import annotations

import torch

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version


@checker("z-score")
def check_z_score(q: Question) -> Check:
    data, x, c = q.params["data"], q.params["x"], q.params["correction"]
    t = torch.tensor(data, dtype=torch.float64)
    code = f"import torch\n\nt = torch.tensor({data!r}, dtype=torch.float64)\n"
    with torch.no_grad():
        if q.ask == "mean":
            value = t.mean().item()
            code += 'print(f"{t.mean().item():.6f}")\n'
            method = "Tensor.mean in float64"
        elif q.ask == "std":
            value = t.std(correction=c).item()
            code += f'print(f"{{t.std(correction={c}).item():.6f}}")\n'
            method = f"Tensor.std(correction={c}) in float64"
        else:
            value = ((x - t.mean()) / t.std(correction=c)).item()
            code += f"x = {x}\nz = (x - t.mean()) / t.std(correction={c})\n"
            code += 'print(f"{z.item():.6f}")\n'
            method = f"(x - t.mean()) / t.std(correction={c}) in float64"
    return Check(value, value, code, f"{value:.6f}", f"torch {torch_version()}: {method}")
