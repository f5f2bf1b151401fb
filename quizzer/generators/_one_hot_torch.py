"""`F.one_hot` as torch does it, for the one-hot family's "shape" and "row" questions.

F.one_hot(t) gives every label (a class index counted from 0) a row with a single 1 at index
label, appended as a new last dimension: out.shape = t.shape + (width,). Without num_classes
the width is max(t) + 1, whichever labels occur (labels 1..C keep an all-0 column 0; a 0/255
mask gives 256 columns); with num_classes=k it is k, and a label >= k is an error.

The misconceptions are the same function with a `rule` switched on: width = number of distinct
labels (what sklearn's OneHotEncoder and pd.get_dummies count), width = max (no + 1), labels
read as 1-based, num_classes ignored (width inferred, no error), class dimension first.
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path
from typing import Any

TEXT: dict[str, dict[str, str]] = tomllib.loads(
    Path(__file__).with_name("one_hot.toml").read_text(encoding="utf-8")
)
ASKS = ("shape", "row")
MASK = 255
CASES_2 = ("from-0", "from-1", "num-classes", "too-big")
CASES_3 = ("mask", "mask-2d", "mask-num-classes", "2-d", "too-big-0")
RULES = {  # misconception id -> rule of one_hot()
    "one-hot-width-distinct": "distinct",
    "one-hot-width-max": "width-max",
    "one-hot-one-based": "one-based",
    "one-hot-num-classes-ignored": "num-classes-ignored",
    "one-hot-class-dim-first": "class-dim-first",
}
NOT_APPLICABLE = "n/a"  # a rule that says nothing about these labels (no misconception)

Labels = list[Any]  # 1-d list of ints, or 2-d (a mask)


# ---------------------------------------------------------------- formula (pure Python)


def flat(labels: Labels) -> list[int]:
    return [v for row in labels for v in row] if isinstance(labels[0], list) else list(labels)


def dims(labels: Labels) -> list[int]:
    return [len(labels), len(labels[0])] if isinstance(labels[0], list) else [len(labels)]


def one_hot(labels: Labels, num_classes: int | None, rule: str = "") -> Any:
    """{"shape", "hot"} of F.one_hot(torch.tensor(labels), num_classes), "hot" being the index
    of the 1 of each label; None where torch raises. A misconception `rule` computes it that
    wrong way (NOT_APPLICABLE if the rule does not apply to these labels)."""
    values, k = flat(labels), num_classes
    top = max(values)
    position = {v: v for v in values}
    if rule == "distinct":  # classes = the distinct labels, in sorted order
        seen = sorted(set(values))
        width = len(seen) if k is None else k
        position = {v: seen.index(v) for v in values}
    elif rule == "width-max":
        if k is not None:
            return NOT_APPLICABLE
        width = top
    elif rule == "one-based":
        if min(values) < 1:
            return NOT_APPLICABLE
        width = top if k is None else k
        position = {v: v - 1 for v in values}
    elif rule == "num-classes-ignored":
        if k is None:
            return NOT_APPLICABLE
        width = top + 1
    else:
        width = top + 1 if k is None else k
    fits = {v: 0 <= p < width for v, p in position.items()}
    if not all(fits.values()) and rule in ("", "distinct", "one-based"):
        return None  # torch raises (and these wrong rules would expect it to)
    # width-max: the largest label has no column; that row is NOT_APPLICABLE (None in hot)
    hot: Any = [position[v] if fits[v] else None for v in values]
    if isinstance(labels[0], list):
        hot = [hot[i : i + len(labels[0])] for i in range(0, len(hot), len(labels[0]))]
    return {"shape": [*dims(labels), width], "hot": hot}


def answer_of(out: Any, ask: str, row: int | None) -> Any:
    """The asked part: out.shape, or the row out[row] as a list of 0s and 1s (None: error)."""
    if out is None or out == NOT_APPLICABLE:
        return out
    if ask == "shape":
        return out["shape"]
    assert row is not None
    width, hot = out["shape"][-1], out["hot"][row]
    if hot is None:
        return NOT_APPLICABLE
    return [1 if j == hot else 0 for j in range(width)]


def misconceptions(labels: Labels, num_classes: int | None, ask: str, row: int | None) -> list:
    out: list[tuple[str, Any]] = []
    for mid, rule in RULES.items():
        if rule == "class-dim-first":
            right = one_hot(labels, num_classes)
            if ask != "shape" or len(dims(labels)) < 2 or right is None:
                continue
            out.append((mid, [right["shape"][-1], *right["shape"][:-1]]))
            continue
        value = answer_of(one_hot(labels, num_classes, rule), ask, row)
        if value != NOT_APPLICABLE:
            out.append((mid, value))
    return out


def case_of(labels: Labels, num_classes: int | None) -> str:
    """Which kind of F.one_hot question this is (for the tests' counts)."""
    values = flat(labels)
    if set(values) <= {0, MASK}:
        if num_classes is not None:
            return "mask-num-classes"
        return "mask-2d" if len(dims(labels)) == 2 else "mask"
    if len(dims(labels)) == 2:
        return "2-d"
    if num_classes is None:
        return "from-0" if min(values) == 0 else "from-1"
    if max(values) < num_classes:
        return "num-classes"
    return "too-big" if min(values) >= 1 else "too-big-0"


# ---------------------------------------------------------------- drawing params


def _with(rng: random.Random, n: int, lo: int, hi: int) -> list[int]:
    """n labels in lo..hi, both ends among them, in random order."""
    labels = [lo, hi] + [rng.randint(lo, hi) for _ in range(n - 2)]
    rng.shuffle(labels)
    return labels


def _mask(rng: random.Random, shape: list[int]) -> Labels:
    size = shape[0] * (shape[1] if len(shape) == 2 else 1)
    values = [v * MASK for v in _with(rng, size, 0, 1)]
    if len(shape) == 1:
        return values
    return [values[i : i + shape[1]] for i in range(0, size, shape[1])]


def draw(rng: random.Random, level: int) -> tuple[Labels, int | None, str, int | None]:
    """labels, num_classes, ask and the asked row of an F.one_hot question of `level` (2, 3)."""
    ask = rng.choice(ASKS)
    k: int | None = None
    if level == 2:
        case = rng.choice(CASES_2)
        n = rng.randint(3, 5)
        if case == "from-0":
            labels = _with(rng, n, 0, rng.randint(3, 6))
        elif case == "from-1":
            labels = _with(rng, n, 1, rng.randint(2, 6))
        elif case == "num-classes":
            labels = [rng.randint(0, 3) for _ in range(n)]
            k = max(labels) + rng.randint(1, 3)
        else:  # too-big: 1-based labels 1..k with num_classes=k
            k = rng.randint(3, 5)
            labels = _with(rng, n, 1, k)
    else:
        case = rng.choice(CASES_3)
        if case in ("mask", "mask-2d", "mask-num-classes", "2-d"):
            ask = "shape"
        if case == "too-big-0":  # num_classes = max: the + 1 forgotten
            k = rng.randint(3, 5)
            labels = _with(rng, rng.randint(4, 6), 0, k)
        elif case == "2-d":
            h, w, top = rng.randint(2, 3), rng.randint(2, 4), rng.randint(2, 5)
            values = _with(rng, h * w, 0, top)
            labels = [values[i : i + w] for i in range(0, h * w, w)]
        else:
            shape = [rng.randint(4, 6)]
            if case == "mask-2d" or (case == "mask-num-classes" and rng.random() < 0.5):
                shape = [rng.randint(2, 3), rng.randint(2, 4)]
            labels = _mask(rng, shape)
            k = 2 if case == "mask-num-classes" else None
    row = rng.randrange(len(labels)) if ask == "row" else None
    return labels, k, ask, row


# ---------------------------------------------------------------- text (English and Chinese)


def fmt_shape(shape: list[int]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def fmt_answer(value: Any, ask: str, lang: str = "en") -> str:
    if value is None:
        return "error" if lang == "en" else TEXT[lang]["error_answer"]
    return fmt_shape(value) if ask == "shape" else str(value)


def call(num_classes: int | None) -> str:
    return "t" if num_classes is None else f"t, num_classes={num_classes}"


def prompt_text(labels: Labels, num_classes: int | None, ask: str, row: int | None, lang: str):
    t = TEXT[lang]
    code = t["code"].format(labels=labels, call=call(num_classes))
    return code + "\n" + t[ask].format(i=row)


def solution_text(
    labels: Labels, num_classes: int | None, ask: str, row: int | None, lang: str
) -> str:
    t, values, k = TEXT[lang], flat(labels), num_classes
    top = max(values)
    out = one_hot(labels, k)
    lines = [t["rule"]]
    if k is None:
        lines.append(t["width_inferred"].format(m=top, w=top + 1))
        if set(values) <= {0, MASK}:
            lines.append(t["mask"].format(w=top + 1))
        elif min(values) >= 1:
            lines.append(t["from_one"])
    else:
        lines.append(t["width_given"].format(k=k, top=k - 1))
    if out is None:
        assert k is not None
        lines.append(t["error"].format(v=top, k=k))
        if set(values) <= {0, MASK}:
            lines.append(t["fix_mask"])
        elif min(values) >= 1:
            lines.append(t["fix_one_based"].format(k=k, w=top + 1))
        else:
            lines.append(t["fix"].format(w=top + 1))
    elif ask == "shape":
        shape = out["shape"]
        lines.append(
            t["shape_line"].format(
                tshape=fmt_shape(dims(labels)), w=shape[-1], shape=fmt_shape(shape)
            )
        )
        if len(shape) == 3:
            lines.append(t["shape_2d"])
    else:
        assert row is not None
        lines.append(t["row_line"].format(i=row, v=values[row], row=answer_of(out, ask, row)))
    lines.append(t["answer"].format(value=fmt_answer(answer_of(out, ask, row), ask, lang)))
    return "\n".join(lines)


def texts(labels: Labels, num_classes: int | None, ask: str, row: int | None, lang: str):
    """prompt, answer, solution."""
    answer = fmt_answer(answer_of(one_hot(labels, num_classes), ask, row), ask, lang)
    return (
        prompt_text(labels, num_classes, ask, row, lang),
        answer,
        solution_text(labels, num_classes, ask, row, lang),
    )
