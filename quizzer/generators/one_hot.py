"""One-hot encoding of categorical features, its decoding, and one-hot versus ordinal codes.

Study notes' example: gender [male, female], grade [year-1, year-2, year-3] (初一/初二/初三),
school [school-1 .. school-4] (一中..四中); "male, year-1, school-2" encodes to
[1 0 | 1 0 0 | 0 1 0 0]. Ordered features get ordinal codes numbered from 1 instead,
like {X: 1, XL: 2, XXL: 3}.
"""

from __future__ import annotations

import math
import random
import tomllib
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

# The features (name, zh, categories, categories_zh, ordered, ask_encoding) are data.
CATALOG: list[dict[str, Any]] = tomllib.loads(
    Path(__file__).with_name("one_hot_features.toml").read_text(encoding="utf-8")
)["feature"]
BY_NAME = {f["name"]: f for f in CATALOG}
NAMES = list(BY_NAME)
ENCODING_POOL = [f["name"] for f in CATALOG if f.get("ask_encoding", True)]
ORDINAL_POOL = [n for n in ENCODING_POOL if BY_NAME[n]["ordered"]]
STUDENTS = ["gender", "grade", "school"]  # the study notes' example
NOTES_SAMPLE = ["male", "year-1", "school-2"]

CHOICES = ("one-hot", "ordinal")
ALIASES = {
    "onehot": "one-hot",
    "one hot": "one-hot",
    "one-hot encoding": "one-hot",
    "dummy": "one-hot",
    "独热": "one-hot",
    "独热编码": "one-hot",
    "ordinal encoding": "ordinal",
    "序号": "ordinal",
    "序号编码": "ordinal",
    "integer": "ordinal",
    "integer encoding": "ordinal",
    "label": "ordinal",
    "label encoding": "ordinal",
    "有序编码": "ordinal",
}

Features = list[dict[str, Any]]


# ---------------------------------------------------------------- formula (pure Python)


def encode(
    features: Features,
    sample: list[str],
    *,
    shift: int = 0,
    as_index: bool = False,
    reverse_bits: bool = False,
    reverse_features: bool = False,
) -> list[int] | None:
    """The concatenated one-hot vector; the flags are the misconception variants."""
    pairs = list(zip(features, sample, strict=True))
    if reverse_features:
        pairs.reverse()
    out: list[int] = []
    for feat, value in pairs:
        cats = feat["categories"]
        i = cats.index(value)
        if as_index:
            out.append(i)
            continue
        pos = len(cats) - 1 - i if reverse_bits else i + shift
        if not 0 <= pos < len(cats):
            return None
        block = [0] * len(cats)
        block[pos] = 1
        out += block
    return out


def decode(
    features: Features,
    vector: list[int],
    *,
    shift: int = 0,
    reverse_bits: bool = False,
    reverse_features: bool = False,
) -> list[str] | None:
    """The category of each feature, in feature order; flags are misconception variants."""
    out: list[str] = []
    start = 0
    for feat in features:
        cats = feat["categories"]
        block = vector[start : start + len(cats)]
        start += len(cats)
        i = block.index(1)
        pos = len(cats) - 1 - i if reverse_bits else i + shift
        if not 0 <= pos < len(cats):
            return None
        out.append(cats[pos])
    return out[::-1] if reverse_features else out


def vector_length(features: Features, *, product: bool = False, count: bool = False) -> int:
    sizes = [len(f["categories"]) for f in features]
    if count:
        return len(sizes)
    return math.prod(sizes) if product else sum(sizes)


def choose_encoding(ordered: bool, *, flipped: bool = False) -> str:
    return "ordinal" if ordered != flipped else "one-hot"


def ordinal_code(categories: list[str], value: str, *, zero_based: bool = False) -> int:
    return categories.index(value) + (0 if zero_based else 1)


def both_encodings(categories: list[str]) -> dict[str, Any]:
    n = len(categories)
    return {
        "one-hot": [[1 if k == i else 0 for k in range(n)] for i in range(n)],
        "ordinal": list(range(1, n + 1)),
    }


# ---------------------------------------------------------------- text


def grouped(features: Features, vector: list[int]) -> str:
    """[1, 0 | 1, 0, 0 | 0, 1, 0, 0]"""
    parts, start = [], 0
    for f in features:
        n = len(f["categories"])
        parts.append(", ".join(map(str, vector[start : start + n])))
        start += n
    return "[" + " | ".join(parts) + "]"


def flat(vector: list[int]) -> str:
    return "[" + ", ".join(map(str, vector)) + "]"


def feature_lines(features: Features) -> str:
    return "\n".join(f"  {f['name']}: {', '.join(f['categories'])}" for f in features)


def sample_text(features: Features, sample: list[str]) -> str:
    return ", ".join(f"{f['name']} = {v}" for f, v in zip(features, sample, strict=True))


RULE = (
    "Each feature becomes a block with one bit per category (in the order listed), the bit of "
    "the sample's category set to 1; the blocks are concatenated in the order the features "
    "are listed."
)


@register
class OneHot(Generator):
    id = "one-hot"
    version = 1
    topic = "Encoding"
    title = "One-hot encode and decode categorical features; one-hot versus ordinal codes"
    formula_tex = r"\mathbf{v} = [\, \mathrm{onehot}(c_1) \mid \mathrm{onehot}(c_2) \mid \dots \,]"
    levels = 3
    explanations = {
        "one-hot-zero-based-index": (
            "One-hot writes a block of 0/1 bits per feature with the 1 at the category's "
            "position (first category = first bit), not the category's index number and not "
            "shifted by one."
        ),
        "one-hot-reversed": (
            "Bits go in the order the categories are listed: the first category is the "
            "leftmost bit of its block, not the rightmost."
        ),
        "one-hot-feature-order": (
            "The feature blocks are concatenated in the order the features are listed."
        ),
        "ordinal-for-unordered": (
            "These categories have no natural order, so integer codes would invent one; "
            "one-hot keeps them equally distant."
        ),
        "one-hot-for-ordered": (
            "These categories have a natural order, which ordinal codes (1, 2, 3, ...) keep "
            "and one-hot throws away."
        ),
        "ordinal-zero-based": "Here the ordinal codes start at 1 (X: 1, XL: 2, XXL: 3), not 0.",
        "one-hot-length-product": (
            "Blocks are concatenated, so the lengths add up; multiplying them counts the "
            "possible combinations instead."
        ),
        "one-hot-length-features": (
            "Each feature contributes one bit per category, not a single entry."
        ),
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        if difficulty == 1:
            names = rng.sample(NAMES, rng.choice([1, 2]))
            ask = "encode"
        elif difficulty == 2:
            names = STUDENTS if rng.random() < 0.3 else rng.sample(NAMES, 3)
            ask = rng.choice(["encode", "decode"])
        else:
            ask = rng.choices(["decode", "encoding", "ordinal", "length"], [4, 3, 2, 2])[0]
            if ask in ("encoding", "ordinal"):
                names = [rng.choice(ORDINAL_POOL if ask == "ordinal" else ENCODING_POOL)]
            else:
                names = rng.sample(NAMES, rng.randint(3, 5))
        features = [
            {
                "name": n,
                "categories": list(BY_NAME[n]["categories"]),
                "ordered": BY_NAME[n]["ordered"],
            }
            for n in names
        ]
        if ask == "encoding":
            sample = None
        else:
            sample = [rng.choice(f["categories"]) for f in features]
        return self.build(difficulty, features, sample, ask)

    def build(
        self, difficulty: int, features: Features, sample: list[str] | None, ask: str
    ) -> Question:
        """The question for given params (also used by tests for the notes' example)."""
        params = {"features": features, "sample": sample}
        if ask == "encoding":
            return self.question(difficulty, params=params, **_encoding(features[0]))
        assert sample is not None
        if ask == "ordinal":
            return self.question(difficulty, params=params, **_ordinal(features[0], sample[0]))
        builders = {"encode": _encode, "decode": _decode, "length": _length}
        vector = encode(features, sample)
        assert vector is not None
        fields = builders[ask](features, sample, vector, difficulty)
        return self.question(difficulty, params=params, **fields)


def _encode(features: Features, sample: list[str], vector: list[int], level: int) -> dict[str, Any]:
    prompt = (
        f"One-hot encode a sample. {RULE}\nFeatures:\n{feature_lines(features)}\n"
        f"Sample: {sample_text(features, sample)}\n"
        "Answer the whole vector of 0s and 1s, e.g. [0, 1, 0, 1, 0] "
        "(| between blocks is optional)."
    )
    steps = [
        f"{f['name']} = {v}: category {f['categories'].index(v) + 1} of "
        f"{len(f['categories'])} -> {flat(encode([f], [v]) or [])}"
        for f, v in zip(features, sample, strict=True)
    ]
    solution = "\n".join(steps) + f"\nConcatenated: {grouped(features, vector)}"
    return dict(
        ask="encode",
        prompt=prompt,
        kind="vector",
        expected=vector,
        result=vector,
        answer=grouped(features, vector),
        solution=solution,
        misconceptions=[
            ("one-hot-zero-based-index", encode(features, sample, as_index=True)),
            ("one-hot-zero-based-index", encode(features, sample, shift=1)),
            ("one-hot-reversed", encode(features, sample, reverse_bits=True)),
            ("one-hot-feature-order", encode(features, sample, reverse_features=True)),
        ],
    )


def _decode(features: Features, sample: list[str], vector: list[int], level: int) -> dict[str, Any]:
    shown = grouped(features, vector) if level < 3 else flat(vector)
    labels = decode(features, vector)
    prompt = (
        f"A sample was one-hot encoded. {RULE}\nFeatures:\n{feature_lines(features)}\n"
        f"Vector: {shown}\n"
        "Which category does the sample have for each feature? Answer the categories in "
        "feature order, separated by commas."
    )
    steps, start = [], 0
    for f in features:
        n = len(f["categories"])
        block = vector[start : start + n]
        steps.append(
            f"{f['name']}: bits {start + 1}-{start + n} = {flat(block)}, the 1 is at "
            f"position {block.index(1) + 1} -> {f['categories'][block.index(1)]}"
        )
        start += n
    return dict(
        ask="decode",
        prompt=prompt,
        kind="labels",
        expected=labels,
        result=vector,
        answer=", ".join(labels or []),
        solution="\n".join(steps),
        misconceptions=[
            ("one-hot-zero-based-index", decode(features, vector, shift=-1)),
            ("one-hot-reversed", decode(features, vector, reverse_bits=True)),
            ("one-hot-feature-order", decode(features, vector, reverse_features=True)),
        ],
    )


def _length(features: Features, sample: list[str], vector: list[int], level: int) -> dict[str, Any]:
    n = vector_length(features)
    prompt = (
        f"The sample ({sample_text(features, sample)}) is one-hot encoded. {RULE}\n"
        f"Features:\n{feature_lines(features)}\n"
        "How many entries does the concatenated vector have? Answer a whole number."
    )
    sizes = " + ".join(str(len(f["categories"])) for f in features)
    solution = (
        f"One bit per category of every feature: {sizes} = {n}.\n"
        f"The vector: {grouped(features, vector)}"
    )
    return dict(
        ask="length",
        prompt=prompt,
        kind="int",
        expected=n,
        result=vector,
        answer=str(n),
        solution=solution,
        misconceptions=[
            ("one-hot-length-product", vector_length(features, product=True)),
            ("one-hot-length-features", vector_length(features, count=True)),
        ],
    )


def _encoding(feat: dict[str, Any]) -> dict[str, Any]:
    ordered = bool(feat["ordered"])
    choice = choose_encoding(ordered)
    cats = feat["categories"]
    prompt = (
        f"The feature {feat['name']} takes the values: {', '.join(cats)}.\n"
        "Which encoding fits it: one-hot (one 0/1 bit per category) or ordinal "
        "(integer codes 1, 2, 3, ...)? Answer one-hot or ordinal."
    )
    why = (
        "have a natural order, so ordinal codes keep it"
        if ordered
        else "have no natural order, so one-hot avoids inventing one"
    )
    enc = both_encodings(cats)
    onehots = ", ".join(f"{c}={flat(v)}" for c, v in zip(cats, enc["one-hot"], strict=True))
    codes = ", ".join(f"{c}={v}" for c, v in zip(cats, enc["ordinal"], strict=True))
    solution = (
        f"The values of {feat['name']} {why}: {choice}.\nOne-hot: {onehots}\nOrdinal: {codes}"
    )
    wrong = "one-hot-for-ordered" if ordered else "ordinal-for-unordered"
    return dict(
        ask="encoding",
        prompt=prompt,
        kind="choice",
        expected=choice,
        result=enc,
        answer=choice,
        solution=solution,
        choices=CHOICES,
        extra={"aliases": ALIASES},
        misconceptions=[(wrong, choose_encoding(ordered, flipped=True))],
    )


def _ordinal(feat: dict[str, Any], value: str) -> dict[str, Any]:
    cats = feat["categories"]
    code = ordinal_code(cats, value)
    codes = dict(zip(cats, both_encodings(cats)["ordinal"], strict=True))
    prompt = (
        f"The ordered feature {feat['name']} takes the values: {', '.join(cats)} (in "
        "order).\nIt gets ordinal codes numbered from 1 in that order, like "
        "{X: 1, XL: 2, XXL: 3}. What is the code of " + f"{value}? Answer a whole number."
    )
    solution = f"Codes: {codes}; {value} is number {code} in the list, so its code is {code}."
    return dict(
        ask="ordinal",
        prompt=prompt,
        kind="int",
        expected=code,
        result=codes,
        answer=str(code),
        solution=solution,
        misconceptions=[("ordinal-zero-based", ordinal_code(cats, value, zero_based=True))],
    )
