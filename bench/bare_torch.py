"""The bare torch calls of each family's check, with none of quizzer around them: the
reference loop of the generation benchmark (same params, same layers and ops)."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

NOT_ARGS = ("layer", "input_shape", "output_shape")


def conv_output(p: dict[str, Any], ask: str) -> Any:
    kwargs = {k: v for k, v in p.items() if k not in NOT_ARGS}
    x = torch.zeros(p["input_shape"])
    with torch.no_grad():
        try:  # torch refusing the layer or the input is the answer of some questions
            shape = getattr(nn, p["layer"])(**kwargs)(x).shape
        except (RuntimeError, ValueError):
            return None
        if ask in ("padding", "kernel_size"):  # the check also runs both neighbours
            for v in (p[ask] - 1, p[ask] + 1):
                if v >= (0 if ask == "padding" else 1):
                    try:
                        getattr(nn, p["layer"])(**(kwargs | {ask: v}))(x)
                    except RuntimeError:
                        pass
    return shape


def receptive_field(p: dict[str, Any], ask: str) -> int:
    mods = []
    for layer in p["layers"]:
        k, s, d = layer["kernel_size"], layer["stride"], layer["dilation"]
        if layer["layer"] == "Conv2d":
            m = nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False)
            with torch.no_grad():
                m.weight.fill_(1.0)
        else:
            m = nn.AvgPool1d(k, s)
        mods.append(m)
    net = nn.Sequential(*mods)
    strides = math.prod(x["stride"] for x in p["layers"])
    spans = sum((x["kernel_size"] - 1) * x["dilation"] + 1 for x in p["layers"])
    x = torch.ones(1, 1, min(2 * strides * spans + 1, 4096), requires_grad=True)
    y = net(x)
    y[0, 0, y.shape[-1] // 2].backward()
    hit = x.grad[0, 0].nonzero().flatten()
    return int(hit[-1] - hit[0] + 1)


def one_hot(p: dict[str, Any], ask: str) -> Any:
    if "labels" in p:  # F.one_hot as torch does it
        try:
            out = F.one_hot(torch.tensor(p["labels"]), num_classes=p["num_classes"] or -1)
        except RuntimeError:
            return None
        return out.tolist() if p.get("row") is None else out[p["row"]].tolist()
    feats = p["features"]
    if p.get("sample") is None:
        return [F.one_hot(torch.arange(len(f["categories"]))) for f in feats]
    parts = [
        F.one_hot(torch.tensor(f["categories"].index(s)), num_classes=len(f["categories"]))
        for f, s in zip(feats, p["sample"], strict=True)
    ]
    v = torch.cat(parts)
    if ask == "decode":
        sizes = [len(f["categories"]) for f in feats]
        return [int(chunk.argmax()) for chunk in torch.split(v, sizes)]
    return v.tolist()


def z_score(p: dict[str, Any], ask: str) -> float:
    t = torch.tensor(p["data"], dtype=torch.float64)
    with torch.no_grad():
        if ask == "code":  # torch.std(x), x.var(), np.std(a): NumPy's convention is correction 0
            fn = torch.var if "var" in p["call"] else torch.std
            return fn(t, correction=p["correction"]).item()
        if ask == "mean":
            return t.mean().item()
        if ask == "std":
            return t.std(correction=p["correction"]).item()
        return ((p["x"] - t.mean()) / t.std(correction=p["correction"])).item()


def hadamard_matmul(p: dict[str, Any], ask: str) -> Any:
    a = torch.tensor(p["a"], dtype=torch.int64)
    b = torch.tensor(p["b"], dtype=torch.int64)
    try:
        return (torch.mul if p["op"] == "mul" else torch.matmul)(a, b).tolist()
    except RuntimeError:
        return None


BARE = {
    "conv-output": conv_output,
    "receptive-field": receptive_field,
    "one-hot": one_hot,
    "z-score": z_score,
    "hadamard-matmul": hadamard_matmul,
}
