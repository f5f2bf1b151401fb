"""Torch check of one-hot questions: F.one_hot per feature + torch.cat; torch.split + argmax.

The batch checker makes one F.one_hot call per distinct number of categories over the
category indices of all features of all encode/decode/length questions; each question's
vector is its features' rows concatenated (the blocks torch.cat joins), and a decode
question's categories are the argmax of those rows (the blocks torch.split gives back),
one argmax call per number of categories. The encoding/ordinal questions take
F.one_hot(torch.arange(n)) and torch.arange(n) + 1 once per n.

The "shape" and "row" questions call F.one_hot(torch.tensor(labels)[, num_classes=k]) itself,
one question at a time (the batch checker hands them to the single checker): torch's shape,
the index of the 1 in every row (argmax, after checking each row is 0s with a single 1), the
asked row, or the first line of the RuntimeError torch raises (result None).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from quizzer.generators._one_hot_torch import ASKS as CALL_ASKS
from quizzer.question import Question
from quizzer.verify import Check, batch_checker, checker, raised, torch_version

HEADER = "import torch\nimport torch.nn.functional as F\n\n"
_ENCODE_CODE = (
    "parts = [\n"
    "    F.one_hot(torch.tensor(cats.index(s)), num_classes=len(cats))\n"
    "    for (name, cats), s in zip(features, sample)\n"
    "]\n"
    "v = torch.cat(parts)\n"
    "print(v.tolist())\n"
)
_DECODE_CODE = (
    "blocks = torch.split(v, [len(cats) for name, cats in features])\n"
    "print([cats[int(b.argmax())] for (name, cats), b in zip(features, blocks)])\n"
)


def _features_code(features: list[dict[str, Any]]) -> str:
    rows = "".join(f"    ({f['name']!r}, {f['categories']!r}),\n" for f in features)
    return f"features = [\n{rows}]\n"


_CALL_CODE = """import torch
import torch.nn.functional as F

t = torch.tensor({labels})
try:
    out = F.one_hot({call})
    print(out.shape)
{row}except RuntimeError as e:
    print(f"RuntimeError: {{str(e).splitlines()[0]}}")
"""


def _call_check(q: Question, version: str) -> Check:
    """F.one_hot(torch.tensor(labels)[, num_classes=k]): its shape or a row, or torch's error."""
    labels, k, row = q.params["labels"], q.params["num_classes"], q.params["row"]
    code = _CALL_CODE.format(
        labels=labels,
        call="t" if k is None else f"t, num_classes={k}",
        row="" if row is None else f"    print(out[{row}].tolist())\n",
    )
    method = f"torch {version}: F.one_hot on torch.tensor(labels)"
    t = torch.tensor(labels)
    try:
        out = F.one_hot(t) if k is None else F.one_hot(t, num_classes=k)
    except RuntimeError as exc:
        return Check(None, None, code, raised(exc, "RuntimeError"), method)
    if not (bool(((out == 0) | (out == 1)).all()) and bool((out.sum(-1) == 1).all())):
        raise RuntimeError(f"F.one_hot gave rows that are not one-hot: {out.tolist()}")
    shape = list(out.shape)
    result = {"shape": shape, "hot": out.argmax(-1).tolist()}
    output = str(out.shape)
    expected: Any = shape
    if row is not None:
        expected = out[row].tolist()
        output += f"\n{expected}"
    return Check(result, expected, code, output, method)


@checker("one-hot")
def check_one_hot(q: Question) -> Check:
    if q.ask in CALL_ASKS:
        return _call_check(q, torch_version())
    features = q.params["features"]
    sample = q.params["sample"]
    version = torch_version()
    with torch.no_grad():
        if q.ask in ("encoding", "ordinal"):
            idx = torch.arange(len(features[0]["categories"]))
            onehot = F.one_hot(idx, num_classes=len(idx)).tolist()
            return _encodings(q, onehot, (idx + 1).tolist(), version)
        return _encode(features, sample, q.ask, version)


def _encode(features: list[dict[str, Any]], sample: list[str], ask: str, version: str) -> Check:
    """encode/length: F.one_hot per feature + torch.cat; decode: then split + argmax."""
    sizes = [len(f["categories"]) for f in features]
    parts = [
        F.one_hot(torch.tensor(f["categories"].index(s)), num_classes=n)
        for f, s, n in zip(features, sample, sizes, strict=True)
    ]
    v = torch.cat(parts)
    picked = None
    if ask == "decode":
        picked = [int(b.argmax()) for b in torch.split(v, sizes)]
    return _encode_check(features, sample, ask, v.tolist(), v.numel(), picked, version)


def _encode_check(
    features: list[dict[str, Any]],
    sample: list[str],
    ask: str,
    vector: list[int],
    numel: int,
    picked: list[int] | None,
    version: str,
) -> Check:
    """The Check of an encode/decode/length question from torch's vector, its numel and (for
    decode) the argmax of each feature's block."""
    output = str(vector)
    code = HEADER + _features_code(features) + f"sample = {sample!r}\n" + _ENCODE_CODE
    expected: Any = vector
    method = "F.one_hot per feature, then torch.cat"
    if ask == "length":
        expected = numel
        output += f"\n{expected}"
        code += "print(v.numel())\n"
        method += ", then numel()"
    elif ask == "decode":
        assert picked is not None
        expected = [f["categories"][k] for f, k in zip(features, picked, strict=True)]
        output += f"\n{expected}"
        code += _DECODE_CODE
        method += "; decoded with torch.split and argmax"
    return Check(vector, expected, code, output, f"torch {version}: {method}")


def _encodings(q: Question, onehot: list[list[int]], codes: list[int], version: str) -> Check:
    """The Check of an encoding or ordinal question from torch's one-hot rows of every
    category, F.one_hot(torch.arange(n)), and their codes torch.arange(n) + 1."""
    feature = q.params["features"][0]
    value = q.params["sample"][0] if q.ask == "ordinal" else None
    categories, ordered = feature["categories"], bool(feature["ordered"])
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
        expected = codes[categories.index(value)]  # (idx + 1)[categories.index(value)]
        code += f"print((idx + 1)[categories.index({value!r})].item())\n"
        output += f"\n{expected}"
        method = "torch.arange + 1 ordinal codes"
    return Check(result, expected, code, output, f"torch {version}: {method}")


@batch_checker("one-hot")
def check_one_hot_batch(qs: list[Question]) -> list[Check | Exception]:
    """One F.one_hot (and one argmax) call per number of categories for the whole batch."""
    version = torch_version()
    # (n, index) of every feature of every encode/decode/length question -> its one-hot row
    slots: dict[int, list[int]] = {}  # n -> category indices
    where: list[list[tuple[int, int]]] = []  # per question: (n, position in slots[n])
    ns: set[int] = set()  # sizes of the encoding/ordinal questions
    for q in qs:
        if q.ask in CALL_ASKS:
            where.append([])
            continue
        features = q.params["features"]
        if q.ask in ("encoding", "ordinal"):
            ns.add(len(features[0]["categories"]))
            where.append([])
            continue
        spots = []
        for f, s in zip(features, q.params["sample"], strict=True):
            cats = f["categories"]
            indices = slots.setdefault(len(cats), [])
            spots.append((len(cats), len(indices)))
            indices.append(cats.index(s))
        where.append(spots)
    rows: dict[int, list[list[int]]] = {}
    picked: dict[int, list[int]] = {}
    tables: dict[int, tuple[list[list[int]], list[int]]] = {}
    with torch.no_grad():
        for n, indices in slots.items():
            oh = F.one_hot(torch.tensor(indices), num_classes=n)
            rows[n] = oh.tolist()
            picked[n] = oh.argmax(dim=1).tolist()
        for n in ns:
            idx = torch.arange(n)
            tables[n] = (F.one_hot(idx, num_classes=n).tolist(), (idx + 1).tolist())
    out: list[Check | Exception] = []
    for q, spots in zip(qs, where, strict=True):
        if q.ask in CALL_ASKS:  # one F.one_hot call each, as the single checker makes
            out.append(_call_check(q, version))
            continue
        features, sample = q.params["features"], q.params["sample"]
        if q.ask in ("encoding", "ordinal"):
            onehot, codes = tables[len(features[0]["categories"])]
            # each question its own lists, as the single checker gives
            out.append(_encodings(q, [r[:] for r in onehot], codes[:], version))
            continue
        vector: list[int] = []
        for n, k in spots:
            vector += rows[n][k]
        blocks = [picked[n][k] for n, k in spots] if q.ask == "decode" else None
        out.append(_encode_check(features, sample, q.ask, vector, len(vector), blocks, version))
    return out
