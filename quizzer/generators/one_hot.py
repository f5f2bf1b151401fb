"""One-hot encoding of categorical features, its decoding, and one-hot versus ordinal codes.

Study notes' example: gender [male, female], grade [year-1, year-2, year-3] (初一/初二/初三),
school [school-1 .. school-4] (一中..四中); "male, year-1, school-2" encodes to
[1 0 | 1 0 0 | 0 1 0 0]. Ordered features get ordinal codes numbered from 1 instead,
like {X: 1, XL: 2, XXL: 3}. Levels 2 and 3 also ask what F.one_hot(torch.tensor(labels))
gives (its shape, a row, or an error): see _one_hot_torch.py.
"""

from __future__ import annotations

import math
import random
import tomllib
from pathlib import Path
from typing import Any

from quizzer.generators import Generator, naming_error, register
from quizzer.generators import _one_hot_torch as ft
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


# ---------------------------------------------------------------- text (English and Chinese)


def localize(
    features: Features, sample: list[str] | None, lang: str
) -> tuple[Features, list[str] | None]:
    """Features and sample with the catalog's Chinese names (zh); unchanged for en."""
    if lang != "zh":
        return features, sample
    shown: Features = []
    for f in features:
        entry = BY_NAME.get(f["name"], {})
        same = entry.get("categories") == f["categories"]
        cats = entry["categories_zh"] if same else f["categories"]
        shown.append({**f, "name": entry.get("zh", f["name"]), "categories": cats})
    if sample is None:
        return shown, None
    values = [
        z["categories"][f["categories"].index(v)]
        for f, z, v in zip(features, shown, sample, strict=True)
    ]
    return shown, values


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


def feature_lines(features: Features, lang: str = "en") -> str:
    if lang == "zh":
        return "\n".join(f"  {f['name']}：{'、'.join(f['categories'])}" for f in features)
    return "\n".join(f"  {f['name']}: {', '.join(f['categories'])}" for f in features)


def sample_text(features: Features, sample: list[str], lang: str = "en") -> str:
    sep = "，" if lang == "zh" else ", "
    return sep.join(f"{f['name']} = {v}" for f, v in zip(features, sample, strict=True))


RULE = {
    "en": (
        "Each feature becomes a block with one bit per category (in the order listed), the bit "
        "of the sample's category set to 1; the blocks are concatenated in the order the "
        "features are listed."
    ),
    "zh": (
        "每个特征对应一个块，每个类别占一位（按列出的顺序），样本所属类别的那一位为 1；"
        "各个块按特征列出的顺序拼接起来。"
    ),
}
CHOICE_ZH = {"one-hot": "one-hot（独热编码）", "ordinal": "ordinal（序数编码）"}
Texts = tuple[str, str, str]  # prompt, answer, solution


def _encode_text(
    features: Features, sample: list[str], vector: list[int], level: int, lang: str
) -> Texts:
    zh, rule, lines = lang == "zh", RULE[lang], feature_lines(features, lang)
    shown = sample_text(features, sample, lang)
    if zh:
        prompt = (
            f"对一个样本做独热编码。{rule}\n特征：\n{lines}\n样本：{shown}\n"
            "回答完整的 0/1 向量，例如 [0, 1, 0, 1, 0]（块之间的 | 可写可不写）。"
        )
    else:
        prompt = (
            f"One-hot encode a sample. {rule}\nFeatures:\n{lines}\nSample: {shown}\n"
            "Answer the whole vector of 0s and 1s, e.g. [0, 1, 0, 1, 0] "
            "(| between blocks is optional)."
        )
    steps = []
    for f, v in zip(features, sample, strict=True):
        i, n = f["categories"].index(v) + 1, len(f["categories"])
        bits = flat(encode([f], [v]) or [])
        if zh:
            steps.append(f"{f['name']} = {v}：{n} 个类别中的第 {i} 个 -> {bits}")
        else:
            steps.append(f"{f['name']} = {v}: category {i} of {n} -> {bits}")
    whole = grouped(features, vector)
    steps.append(f"拼接：{whole}" if zh else f"Concatenated: {whole}")
    return prompt, whole, "\n".join(steps)


def _decode_text(
    features: Features, sample: list[str], vector: list[int], level: int, lang: str
) -> Texts:
    zh, rule, lines = lang == "zh", RULE[lang], feature_lines(features, lang)
    shown = grouped(features, vector) if level < 3 else flat(vector)
    if zh:
        prompt = (
            f"一个样本经过了独热编码。{rule}\n特征：\n{lines}\n向量：{shown}\n"
            "这个样本在每个特征上分别是哪个类别？按特征的顺序回答类别名，用逗号分隔。"
        )
    else:
        prompt = (
            f"A sample was one-hot encoded. {rule}\nFeatures:\n{lines}\nVector: {shown}\n"
            "Which category does the sample have for each feature? Answer the categories in "
            "feature order, separated by commas."
        )
    steps, start = [], 0
    for f in features:
        n = len(f["categories"])
        block = vector[start : start + n]
        i = block.index(1)
        if zh:
            steps.append(
                f"{f['name']}：第 {start + 1}-{start + n} 位 = {flat(block)}，1 在第 {i + 1} 位"
                f" -> {f['categories'][i]}"
            )
        else:
            steps.append(
                f"{f['name']}: bits {start + 1}-{start + n} = {flat(block)}, the 1 is at "
                f"position {i + 1} -> {f['categories'][i]}"
            )
        start += n
    labels = decode(features, vector) or []
    return prompt, ("，" if zh else ", ").join(labels), "\n".join(steps)


def _length_text(
    features: Features, sample: list[str], vector: list[int], level: int, lang: str
) -> Texts:
    rule, lines, shown = (
        RULE[lang],
        feature_lines(features, lang),
        sample_text(features, sample, lang),
    )
    n = vector_length(features)
    sizes = " + ".join(str(len(f["categories"])) for f in features)
    whole = grouped(features, vector)
    if lang == "zh":
        prompt = (
            f"样本（{shown}）经过独热编码。{rule}\n特征：\n{lines}\n"
            "拼接后的向量一共有多少个元素？回答一个整数。"
        )
        solution = f"每个特征的每个类别各占一位：{sizes} = {n}。\n向量：{whole}"
    else:
        prompt = (
            f"The sample ({shown}) is one-hot encoded. {rule}\nFeatures:\n{lines}\n"
            "How many entries does the concatenated vector have? Answer a whole number."
        )
        solution = f"One bit per category of every feature: {sizes} = {n}.\nThe vector: {whole}"
    return prompt, str(n), solution


def _encoding_text(feat: dict[str, Any], lang: str) -> Texts:
    ordered, cats, name = bool(feat["ordered"]), feat["categories"], feat["name"]
    choice = choose_encoding(ordered)
    enc = both_encodings(cats)
    onehots = ", ".join(f"{c}={flat(v)}" for c, v in zip(cats, enc["one-hot"], strict=True))
    codes = ", ".join(f"{c}={v}" for c, v in zip(cats, enc["ordinal"], strict=True))
    if lang == "zh":
        prompt = (
            f"特征“{name}”的取值为：{'、'.join(cats)}。\n哪种编码适合它：独热编码（每个类别一个"
            " 0/1 位）还是序数编码（整数编码 1, 2, 3, ...）？回答 one-hot 或 ordinal"
            "（也可以写 独热编码 或 序号编码）。"
        )
        why = (
            "有自然的先后顺序，序数编码能保留这个顺序"
            if ordered
            else "没有自然的先后顺序，独热编码可以避免凭空引入顺序"
        )
        solution = (
            f"“{name}”的取值{why}：{CHOICE_ZH[choice]}。\n独热编码：{onehots}\n序数编码：{codes}"
        )
        return prompt, CHOICE_ZH[choice], solution
    prompt = (
        f"The feature {name} takes the values: {', '.join(cats)}.\n"
        "Which encoding fits it: one-hot (one 0/1 bit per category) or ordinal "
        "(integer codes 1, 2, 3, ...)? Answer one-hot or ordinal."
    )
    why = (
        "have a natural order, so ordinal codes keep it"
        if ordered
        else "have no natural order, so one-hot avoids inventing one"
    )
    solution = f"The values of {name} {why}: {choice}.\nOne-hot: {onehots}\nOrdinal: {codes}"
    return prompt, choice, solution


def _ordinal_text(feat: dict[str, Any], value: str, lang: str) -> Texts:
    cats, name = feat["categories"], feat["name"]
    code = ordinal_code(cats, value)
    codes = dict(zip(cats, both_encodings(cats)["ordinal"], strict=True))
    if lang == "zh":
        prompt = (
            f"有序特征“{name}”的取值依次为：{'、'.join(cats)}。\n按这个顺序从 1 开始编号，"
            "得到序数编码，例如 {X: 1, XL: 2, XXL: 3}。" + f"“{value}”的编码是多少？回答一个整数。"
        )
        solution = f"编码：{codes}；“{value}”在列表中排第 {code} 位，所以它的编码是 {code}。"
    else:
        prompt = (
            f"The ordered feature {name} takes the values: {', '.join(cats)} (in "
            "order).\nIt gets ordinal codes numbered from 1 in that order, like "
            "{X: 1, XL: 2, XXL: 3}. What is the code of " + f"{value}? Answer a whole number."
        )
        solution = f"Codes: {codes}; {value} is number {code} in the list, so its code is {code}."
    return prompt, str(code), solution


TEXTS = {"encode": _encode_text, "decode": _decode_text, "length": _length_text}
TORCH_SHARE = 0.3  # of the level 2 and 3 questions: what F.one_hot gives


@register
class OneHot(Generator):
    id = "one-hot"
    version = 2
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
        "one-hot-off-by-one": (
            "The 1 goes at the category's own position: the first category is the first bit "
            "of its block, not the second (positions are not shifted by one)."
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
        "one-hot-width-distinct": (
            "F.one_hot does not look at which values occur: each label is a column index, so "
            "the width is max + 1 (or num_classes), not the number of distinct labels, and "
            "label c has its 1 at index c. (Counting the distinct values is what sklearn's "
            "OneHotEncoder and pd.get_dummies do.)"
        ),
        "one-hot-width-max": (
            "Classes are indices counted from 0, so labels up to max need max + 1 columns "
            "(0..max); a width of max leaves no column for the largest label."
        ),
        "one-hot-one-based": (
            "F.one_hot counts classes from 0: label c puts its 1 at index c, so labels that "
            "start at 1 leave column 0 all 0s, and a label equal to num_classes is out of range."
        ),
        "one-hot-num-classes-ignored": (
            "num_classes fixes the width exactly: torch does not infer it from the labels or "
            "widen it to fit them, and a label >= num_classes raises a RuntimeError."
        ),
        "one-hot-class-dim-first": (
            "F.one_hot appends the class dimension last: labels of shape (H, W) give "
            "(H, W, C); a (C, H, W) layout needs out.permute(2, 0, 1)."
        ),
        "one-hot-torch-accepts": (
            "F.one_hot raises only for a label below 0 or not below num_classes; here every "
            "label fits (without num_classes the width is max + 1), so the answer is a value."
        ),
    }

    topic_zh = "编码"
    title_zh = "类别特征的独热编码与解码；独热编码与序数编码的选择"
    explanations_zh = {
        "one-hot-zero-based-index": (
            "独热编码为每个特征写一个 0/1 块，1 放在该类别的位置上（第一个类别 = 第一位），"
            "不是写类别的序号，也不能错开一位。"
        ),
        "one-hot-off-by-one": (
            "1 放在该类别自己的位置上：第一个类别就是块中的第一位，而不是第二位（不能错开一位）。"
        ),
        "one-hot-reversed": "各位按类别列出的顺序排列：第一个类别是块中最左边的一位，不是最右边。",
        "one-hot-feature-order": "各特征的块按特征列出的顺序拼接。",
        "ordinal-for-unordered": (
            "这些类别没有自然的顺序，整数编码会凭空引入一个顺序；独热编码让它们彼此距离相等。"
        ),
        "one-hot-for-ordered": (
            "这些类别有自然的顺序，序数编码（1, 2, 3, ...）能保留它，独热编码则会丢掉它。"
        ),
        "ordinal-zero-based": "这里的序数编码从 1 开始（X: 1, XL: 2, XXL: 3），而不是从 0 开始。",
        "one-hot-length-product": "各块是拼接起来的，所以长度相加；相乘算的是所有可能组合的个数。",
        "one-hot-length-features": "每个特征的每个类别各占一位，而不是每个特征只占一个元素。",
        "one-hot-width-distinct": (
            "F.one_hot 不看哪些值出现过：每个标签就是列下标，所以宽度是 max + 1（或 num_classes），"
            "而不是不同标签的个数，标签 c 的 1 在下标 c 处。（按出现过的不同值计数是 sklearn 的 "
            "OneHotEncoder 和 pd.get_dummies 的做法。）"
        ),
        "one-hot-width-max": (
            "类别是从 0 开始的下标，标签最大为 max 时需要 max + 1 列（0..max）；"
            "宽度取 max 的话，最大的标签就没有对应的列了。"
        ),
        "one-hot-one-based": (
            "F.one_hot 的类别从 0 开始计数：标签 c 的 1 在下标 c 处，所以从 1 开始的标签会留下"
            "全为 0 的第 0 列，而等于 num_classes 的标签超出范围。"
        ),
        "one-hot-num-classes-ignored": (
            "num_classes 精确地规定了宽度：torch 不会根据标签推断宽度，也不会为了容纳标签而加宽；"
            "标签 >= num_classes 时直接报 RuntimeError。"
        ),
        "one-hot-class-dim-first": (
            "F.one_hot 把类别维加在最后：形状为 (H, W) 的标签得到 (H, W, C)；"
            "要 (C, H, W) 的排列需要 out.permute(2, 0, 1)。"
        ),
        "one-hot-torch-accepts": (
            "只有标签小于 0 或不小于 num_classes 时 F.one_hot 才报错；这里每个标签都在范围内"
            "（不给 num_classes 时宽度是 max + 1），所以答案是一个值。"
        ),
    }

    def bit_vector(self, q: Question) -> bool:
        return isinstance(q.expected, list) and set(map(str, q.expected)) <= {"0", "1"}

    def zh(self, q: Question) -> dict[str, str]:
        if q.ask in ft.ASKS:
            p = q.params
            return _texts(*ft.texts(p["labels"], p["num_classes"], q.ask, p["row"], "zh"))
        features, sample = localize(q.params["features"], q.params["sample"], "zh")
        if q.ask == "encoding":
            texts = _encoding_text(features[0], "zh")
        elif q.ask == "ordinal":
            assert sample is not None
            texts = _ordinal_text(features[0], sample[0], "zh")
        else:
            assert sample is not None
            texts = TEXTS[q.ask](features, sample, q.result, q.difficulty, "zh")
        return _texts(*texts)

    def answer_aliases(self, q: Question) -> dict[str, str]:
        """Accepted spellings -> the expected one, beyond q.extra (which must not change: it is
        part of the question's JSON): the Chinese category names of q's features, so a decode
        answer may be typed in Chinese, and the standard term 序数编码. Grading uses it once
        quizzer.answers consults Generator.answer_aliases (proposed to the lead)."""
        if q.ask == "encoding":
            return {"序数编码": "ordinal", "序数": "ordinal"}
        if q.ask in ft.ASKS:
            return {}
        shown, _ = localize(q.params["features"], None, "zh")
        return {
            z: c
            for f, s in zip(q.params["features"], shown, strict=True)
            for z, c in zip(s["categories"], f["categories"], strict=True)
            if z != c
        }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        if difficulty >= 2 and rng.random() < TORCH_SHARE:
            return self.build_torch(difficulty, *ft.draw(rng, difficulty))
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

    def build_torch(
        self,
        difficulty: int,
        labels: ft.Labels,
        num_classes: int | None,
        ask: str,
        row: int | None = None,
    ) -> Question:
        """What F.one_hot(torch.tensor(labels), num_classes) gives: its shape or out[row]."""
        result = ft.one_hot(labels, num_classes)
        expected = ft.answer_of(result, ask, row)
        return self.question(
            difficulty,
            params={"labels": labels, "num_classes": num_classes, "row": row},
            ask=ask,
            kind="shape" if ask == "shape" else "vector",
            expected=expected,
            result=result,
            **_texts(*ft.texts(labels, num_classes, ask, row, "en")),
            allow_undefined=True,
            misconceptions=naming_error(
                ft.misconceptions(labels, num_classes, ask, row), expected, "one-hot-torch-accepts"
            ),
        )


def _texts(prompt: str, answer: str, solution: str) -> dict[str, str]:
    return {"prompt": prompt, "answer": answer, "solution": solution}


def _encode(features: Features, sample: list[str], vector: list[int], level: int) -> dict[str, Any]:
    return dict(
        ask="encode",
        kind="vector",
        expected=vector,
        result=vector,
        **_texts(*_encode_text(features, sample, vector, level, "en")),
        misconceptions=[
            ("one-hot-zero-based-index", encode(features, sample, as_index=True)),
            ("one-hot-off-by-one", encode(features, sample, shift=1)),
            ("one-hot-reversed", encode(features, sample, reverse_bits=True)),
            ("one-hot-feature-order", encode(features, sample, reverse_features=True)),
        ],
    )


def _decode(features: Features, sample: list[str], vector: list[int], level: int) -> dict[str, Any]:
    return dict(
        ask="decode",
        kind="labels",
        expected=decode(features, vector),
        result=vector,
        **_texts(*_decode_text(features, sample, vector, level, "en")),
        misconceptions=[
            ("one-hot-zero-based-index", decode(features, vector, shift=-1)),
            ("one-hot-reversed", decode(features, vector, reverse_bits=True)),
            ("one-hot-feature-order", decode(features, vector, reverse_features=True)),
        ],
    )


def _length(features: Features, sample: list[str], vector: list[int], level: int) -> dict[str, Any]:
    n = vector_length(features)
    return dict(
        ask="length",
        kind="int",
        expected=n,
        result=vector,
        **_texts(*_length_text(features, sample, vector, level, "en")),
        misconceptions=[
            ("one-hot-length-product", vector_length(features, product=True)),
            ("one-hot-length-features", vector_length(features, count=True)),
        ],
    )


def _encoding(feat: dict[str, Any]) -> dict[str, Any]:
    ordered = bool(feat["ordered"])
    choice = choose_encoding(ordered)
    wrong = "one-hot-for-ordered" if ordered else "ordinal-for-unordered"
    return dict(
        ask="encoding",
        kind="choice",
        expected=choice,
        result=both_encodings(feat["categories"]),
        **_texts(*_encoding_text(feat, "en")),
        choices=CHOICES,
        extra={"aliases": ALIASES},
        misconceptions=[(wrong, choose_encoding(ordered, flipped=True))],
    )


def _ordinal(feat: dict[str, Any], value: str) -> dict[str, Any]:
    cats = feat["categories"]
    code = ordinal_code(cats, value)
    return dict(
        ask="ordinal",
        kind="int",
        expected=code,
        result=dict(zip(cats, both_encodings(cats)["ordinal"], strict=True)),
        **_texts(*_ordinal_text(feat, value, "en")),
        misconceptions=[("ordinal-zero-based", ordinal_code(cats, value, zero_based=True))],
    )
