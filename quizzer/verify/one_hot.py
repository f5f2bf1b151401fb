"""Torch check of one-hot questions: F.one_hot per feature + torch.cat; torch.split + argmax."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

HEADER = "import torch\nimport torch.nn.functional as F\n\n"


def _features_code(features: list[dict[str, Any]]) -> str:
    rows = "".join(f"    ({f['name']!r}, {f['categories']!r}),\n" for f in features)
    return f"features = [\n{rows}]\n"


@checker("one-hot")
def check_one_hot(q: Question) -> Check:
    features = q.params["features"]
    sample = q.params["sample"]
    with torch.no_grad():
        if q.ask == "encoding":
            return _encodings(features[0], None)
        if q.ask == "ordinal":
            return _encodings(features[0], sample[0])
        return _encode(features, sample, q.ask)


def _encode(features: list[dict[str, Any]], sample: list[str], ask: str) -> Check:
    """encode/length: F.one_hot per feature + torch.cat; decode: then split + argmax."""
    sizes = [len(f["categories"]) for f in features]
    parts = [
        F.one_hot(torch.tensor(f["categories"].index(s)), num_classes=n)
        for f, s, n in zip(features, sample, sizes, strict=True)
    ]
    v = torch.cat(parts)
    vector = v.tolist()
    output = str(vector)
    code = (
        HEADER
        + _features_code(features)
        + f"sample = {sample!r}\n"
        + "parts = [\n"
        + "    F.one_hot(torch.tensor(cats.index(s)), num_classes=len(cats))\n"
        + "    for (name, cats), s in zip(features, sample)\n"
        + "]\n"
        + "v = torch.cat(parts)\n"
        + "print(v.tolist())\n"
    )
    expected: Any = vector
    method = "F.one_hot per feature, then torch.cat"
    if ask == "length":
        expected = v.numel()
        output += f"\n{expected}"
        code += "print(v.numel())\n"
        method += ", then numel()"
    elif ask == "decode":
        blocks = torch.split(v, sizes)
        expected = [f["categories"][int(b.argmax())] for f, b in zip(features, blocks, strict=True)]
        output += f"\n{expected}"
        code += (
            "blocks = torch.split(v, [len(cats) for name, cats in features])\n"
            "print([cats[int(b.argmax())] for (name, cats), b in zip(features, blocks)])\n"
        )
        method += "; decoded with torch.split and argmax"
    return Check(vector, expected, code, output, f"torch {torch_version()}: {method}")


def _encodings(feature: dict[str, Any], value: str | None) -> Check:
    categories, ordered = feature["categories"], bool(feature["ordered"])
    n = len(categories)
    idx = torch.arange(n)
    onehot = F.one_hot(idx, num_classes=n).tolist()
    codes = (idx + 1).tolist()
    kind = "ordered" if ordered else "unordered"
    code = (
        HEADER
        + f"# {feature['name']}: {kind} categories (from the catalog)\n"
        + f"categories = {categories!r}\n"
        + "idx = torch.arange(len(categories))\n"
        + "print('one-hot:', F.one_hot(idx, num_classes=len(categories)).tolist())\n"
        + "print('ordinal:', (idx + 1).tolist())\n"
    )
    output = f"one-hot: {onehot}\nordinal: {codes}"
    if value is None:  # which encoding fits: the catalog says whether the feature is ordered
        result: Any = {"one-hot": onehot, "ordinal": codes}
        expected: Any = "ordinal" if ordered else "one-hot"
        method = "F.one_hot and torch.arange + 1 codes of every category"
    else:
        result = dict(zip(categories, codes, strict=True))
        expected = (idx + 1)[categories.index(value)].item()
        code += f"print((idx + 1)[categories.index({value!r})].item())\n"
        output += f"\n{expected}"
        method = "torch.arange + 1 ordinal codes"
    return Check(result, expected, code, output, f"torch {torch_version()}: {method}")
