"""Torch check of `patches`: Tensor.unfold twice (rows, then columns) on a zero image batch,
and F.unfold for the shape questions.

x is torch.zeros(1).expand(B, C, H, W): a view of one zero with the batch's shape, so even a
batch of 1024×1024 images costs no memory, and x.unfold(2, kh, sh).unfold(3, kw, sw) is a view
of shape (B, C, rows, columns, kh, kw) too. F.unfold materializes its (B, C·kh·kw, L) result:
the generator keeps that below 200,000 elements.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def _arg(v: Any) -> str:
    return str(v) if isinstance(v, int) else f"({v[0]}, {v[1]})"


def snippet(p: dict[str, Any], ask: str) -> str:
    (kh, kw), (sh, sw) = _pair(p["kernel_size"]), _pair(p["stride"])
    b, c, h, w = p["input_shape"]
    code = f"""import torch
import torch.nn.functional as F

x = torch.zeros(1).expand({b}, {c}, {h}, {w})  # a zero image batch (a view: no memory)
patches = x.unfold(2, {kh}, {sh}).unfold(3, {kw}, {sw})  # (B, C, rows, cols, kh, kw)
print(tuple(patches.shape))
rows, cols = patches.shape[2], patches.shape[3]
print("patches per image:", rows * cols, "| per batch:", x.shape[0] * rows * cols)
"""
    if ask == "shape":
        k, s = _arg(p["kernel_size"]), _arg(p["stride"])
        code += f"""unfolded = F.unfold(x, kernel_size={k}, stride={s})  # (B, C*kh*kw, L)
print(unfolded.shape)
"""
    return code


@checker("patches")
def check(q: Question) -> Check:
    p = q.params
    (kh, kw), (sh, sw) = _pair(p["kernel_size"]), _pair(p["stride"])
    x = torch.zeros(1).expand(*p["input_shape"])
    patches = x.unfold(2, kh, sh).unfold(3, kw, sw)
    shape = tuple(patches.shape)
    rows, cols = shape[2], shape[3]
    result: dict[str, Any] = {
        "per_axis": [rows, cols],
        "per_image": rows * cols,
        "per_batch": shape[0] * rows * cols,
    }
    lines = [str(shape), f"patches per image: {rows * cols} | per batch: {shape[0] * rows * cols}"]
    method = "Tensor.unfold on rows and columns of a zero image batch"
    if q.ask == "shape":
        with torch.no_grad():
            unfolded = F.unfold(x, kernel_size=p["kernel_size"], stride=p["stride"])
        result["unfold_shape"] = list(unfolded.shape)
        lines.append(str(unfolded.shape))
        method += ", and F.unfold"
    return Check(
        result=result,
        expected=result["unfold_shape"] if q.ask == "shape" else result[q.ask],
        code=snippet(p, q.ask),
        output="\n".join(lines),
        method=f"torch {torch_version()}: {method}",
    )
