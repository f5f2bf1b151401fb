"""epochs-batches: batches per epoch, iterations, the last batch and the dropped samples of
DataLoader(dataset, batch_size=B, drop_last=...) over N samples, trained for E epochs.

Study notes (2023-09-01): an epoch is the whole training set passing forward and backward
once; a batch is one chunk of the training set; the batch size is the number of samples per
batch; an iteration is one batch trained, i.e. one parameter update.

Formula: batches per epoch = ceil(N / B), or floor(N / B) with drop_last=True; iterations =
batches per epoch * E. Every misconception value is computed by the same functions with a
flag that switches on the mistake.
"""

from __future__ import annotations

import random
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

FAMILY = "epochs-batches"
COUNT_ASKS = ("batches_per_epoch", "iterations", "epochs_needed")  # N/B may be typed: kind number
TOLERANCE = 0.001  # < 1/B for every B drawn, so no unrounded N/B is ever accepted

# ---------------------------------------------------------------- formula (pure Python)

ASKS = (
    "batches_per_epoch",
    "last_batch_size",
    "dropped",
    "iterations",
    "samples_seen",
    "epochs_needed",
)
SWAPS = ("floor-not-ceil", "drop-last-ignored")  # the other rounding than drop_last's
MISTAKES = {
    "batches_per_epoch": ["fraction"],
    "iterations": ["fraction", "iterations-are-epochs", "per-sample"],
    "last_batch_size": ["remainder-zero"],
    "dropped": ["dropped-shortfall"],
    "samples_seen": ["full-last-batch", "one-epoch"],
    "epochs_needed": ["epochs-rounded-down", "fraction"],
}


def count(p: dict[str, Any], ask: str, mistake: str = "") -> int | float:
    """The asked count for params p; `mistake` (a misconception id) computes it that wrong way.

    N samples in batches of B: ceil(N/B) batches per epoch, floor(N/B) with drop_last=True
    (then the N mod B leftover samples are dropped); iterations = batches per epoch · epochs;
    epochs for K iterations = ceil(K / batches per epoch)."""
    n, b, drop_last, e = p["dataset_size"], p["batch_size"], p["drop_last"], p["epochs"]
    if mistake in SWAPS:
        drop_last = not drop_last
    r = n % b
    per_epoch = n // b if drop_last else -(-n // b)
    used = n - r if drop_last else n  # samples trained on per epoch
    if ask == "batches_per_epoch":
        return n / b if mistake == "fraction" else per_epoch
    if ask == "last_batch_size":  # (n >= b)
        return r if mistake == "remainder-zero" else b if drop_last or r == 0 else r
    if ask == "dropped":  # the shortfall: what the last batch lacks, b - n mod b
        return (b - r) % b if mistake == "dropped-shortfall" else n - used
    if ask == "iterations":
        wrong = {"fraction": n * e / b, "iterations-are-epochs": e, "per-sample": n * e}
        return wrong.get(mistake, per_epoch * e)
    if ask == "samples_seen":
        if mistake == "full-last-batch":
            return per_epoch * b * e
        return used if mistake == "one-epoch" else used * e
    k = p["target_iterations"]
    if mistake == "fraction":
        return k * b / n  # k / (n / b): N/B batches per epoch, unrounded
    return k // per_epoch if mistake == "epochs-rounded-down" else -(-k // per_epoch)


def result_of(p: dict[str, Any]) -> dict[str, int]:
    """Every count of a question: the full result torch reproduces."""
    asks = ASKS[:5] if p["epochs"] is not None else ASKS[:3] + ASKS[5:]
    return {ask: int(count(p, ask)) for ask in asks}


def misconceptions(p: dict[str, Any], ask: str) -> list[tuple[str, Any]]:
    """(id, value) of each mistake that applies, computed with the buggy formula."""
    swap = SWAPS[1] if p["drop_last"] else SWAPS[0]
    return [(m, count(p, ask, m)) for m in [swap, *MISTAKES[ask]]]


# ---------------------------------------------------------------- text (en and zh in step)

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "head": (
            "A training set of N = {n} samples is loaded with "
            "DataLoader(dataset, batch_size={b}, drop_last={dl}) (no other options)"
        ),
        "head_epochs": " and trained for {e} epochs, one parameter update per batch.",
        "head_plain": ", one parameter update per batch.",
        "batches_per_epoch": "How many batches (iterations) does one epoch have?",
        "iterations": "How many iterations (parameter updates) are done in all {e} epochs?",
        "last_batch_size": "How many samples are in the last batch of each epoch?",
        "dropped": "How many samples are left out of training in each epoch (0 if none)?",
        "samples_seen": (
            "How many samples does the model train on in all {e} epochs, counting a sample "
            "each time it is used?"
        ),
        "epochs_needed": (
            "The schedule asks for at least {k} iterations (parameter updates). "
            "How many whole epochs must be run?"
        ),
        "whole": " Answer a whole number.",
        "terms": (
            "Terms: an epoch is one pass of the whole training set (forward and backward); "
            "a batch is one chunk of it; the batch size is the samples per batch; an "
            "iteration is one batch trained, i.e. one parameter update."
        ),
        "ceil": (
            "drop_last=False keeps the last, smaller batch: batches per epoch = ceil(N / B) "
            "= ceil({n} / {b}) = ceil({frac}) = {bpe}."
        ),
        "floor": (
            "drop_last=True drops an incomplete last batch: batches per epoch = floor(N / B) "
            "= floor({n} / {b}) = floor({frac}) = {bpe}."
        ),
        "exact": "B divides N: {n} / {b} = {bpe} full batches per epoch, nothing left over.",
        "last_kept": "{full} full batches hold {full} × {b} = {used} samples; the last batch "
        "holds the remaining {n} − {used} = {last}.",
        "last_full": "Every batch, the last one too, holds B = {b} samples.",
        "dropped_r": "The {r} samples left over ({n} mod {b} = {r}) are skipped in every epoch "
        "(with shuffle=True a different {r} each epoch).",
        "dropped_0": "No sample is dropped: dropped = 0.",
        "iter": "iterations = batches per epoch × epochs = {bpe} × {e} = {it}.",
        "seen": "Each epoch trains on N − dropped = {n} − {d} = {per} samples; over {e} epochs: "
        "{per} × {e} = {seen}.",
        "needed": "epochs = ceil({k} / {bpe}) = {ep} ({ep} × {bpe} = {done} ≥ {k}; "
        "{below} epochs would give only {short}).",
        "answer": "Answer: {value}.",
    },
    "zh": {
        "head": (
            "训练集有 N = {n} 个样本，用 "
            "DataLoader(dataset, batch_size={b}, drop_last={dl}) 加载（没有其他选项）"
        ),
        "head_epochs": "，训练 {e} 个 epoch（轮次），每个批次（batch）做一次参数更新。",
        "head_plain": "，每个批次（batch）做一次参数更新。",
        "batches_per_epoch": "一个 epoch 有多少个批次（即多少次迭代）？",
        "iterations": "{e} 个 epoch 一共做多少次迭代（参数更新）？",
        "last_batch_size": "每个 epoch 的最后一个批次有多少个样本？",
        "dropped": "每个 epoch 有多少个样本没有参与训练（没有则答 0）？",
        "samples_seen": "{e} 个 epoch 里模型一共训练了多少个样本（同一个样本每用一次计一次）？",
        "epochs_needed": "训练计划要求至少 {k} 次迭代（参数更新）。至少要跑多少个完整的 epoch？",
        "whole": "请回答一个整数。",
        "terms": (
            "术语：epoch（轮次）指整个训练集完整地前向和反向传播一次；批次（batch）是训练集"
            "切成的一块；批大小（batch size）是每个批次的样本数；一次迭代（iteration）指训练"
            "一个批次，即一次参数更新。"
        ),
        "ceil": (
            "drop_last=False 保留最后那个较小的批次：每个 epoch 的批次数 = ceil(N / B) "
            "= ceil({n} / {b}) = ceil({frac}) = {bpe}。"
        ),
        "floor": (
            "drop_last=True 丢弃不完整的最后一个批次：每个 epoch 的批次数 = floor(N / B) "
            "= floor({n} / {b}) = floor({frac}) = {bpe}。"
        ),
        "exact": "B 整除 N：{n} / {b} = {bpe} 个完整批次，没有剩余样本。",
        "last_kept": "{full} 个完整批次共 {full} × {b} = {used} 个样本；最后一个批次是剩下的 "
        "{n} − {used} = {last} 个。",
        "last_full": "每个批次（包括最后一个）都有 B = {b} 个样本。",
        "dropped_r": "剩下的 {r} 个样本（{n} mod {b} = {r}）在每个 epoch 都被跳过"
        "（shuffle=True 时每个 epoch 跳过的是不同的 {r} 个）。",
        "dropped_0": "没有样本被丢弃：丢弃数 = 0。",
        "iter": "迭代次数 = 每个 epoch 的批次数 × epoch 数 = {bpe} × {e} = {it}。",
        "seen": "每个 epoch 训练 N − 丢弃数 = {n} − {d} = {per} 个样本；{e} 个 epoch 共 "
        "{per} × {e} = {seen} 个。",
        "needed": "epoch 数 = ceil({k} / {bpe}) = {ep}（{ep} × {bpe} = {done} ≥ {k}；"
        "{below} 个 epoch 只有 {short} 次）。",
        "answer": "答案：{value}。",
    },
}


def _frac(n: int, b: int) -> str:
    """n / b exactly when it has at most 4 decimals, else to 2 decimals with an ellipsis."""
    if n * 10_000 % b == 0:
        return f"{n / b:.4f}".rstrip("0").rstrip(".")
    return f"{n / b:.2f}…"


def prompt_text(p: dict[str, Any], ask: str, lang: str) -> str:
    t = TEXT[lang]
    v = {"n": p["dataset_size"], "b": p["batch_size"], "dl": p["drop_last"], "e": p["epochs"]}
    v["k"] = p.get("target_iterations")
    head = t["head"] + (t["head_plain"] if ask == "epochs_needed" else t["head_epochs"])
    return (head + "\n" + t[ask] + t["whole"]).format(**v)


def solution_text(p: dict[str, Any], ask: str, r: dict[str, int], lang: str) -> str:
    t = TEXT[lang]
    n, b, dl, e = p["dataset_size"], p["batch_size"], p["drop_last"], p["epochs"]
    bpe, rem = r["batches_per_epoch"], n % b
    v: dict[str, Any] = {"n": n, "b": b, "e": e, "bpe": bpe, "r": rem, "frac": _frac(n, b)}
    lines = [t["terms"]]
    lines.append(t["exact"] if rem == 0 else t["floor" if dl else "ceil"])
    if ask == "last_batch_size":
        if dl or rem == 0:
            lines.append(t["last_full"])
        else:
            full = bpe - 1
            v |= {"full": full, "used": full * b, "last": r["last_batch_size"]}
            lines.append(t["last_kept"])
    if ask in ("dropped", "samples_seen"):
        lines.append(t["dropped_r"] if r["dropped"] else t["dropped_0"])
    if ask == "iterations":
        v["it"] = r["iterations"]
        lines.append(t["iter"])
    if ask == "samples_seen":
        v |= {"d": r["dropped"], "per": n - r["dropped"], "seen": r["samples_seen"]}
        lines.append(t["seen"])
    if ask == "epochs_needed":
        k, ep = p["target_iterations"], r["epochs_needed"]
        v |= {"k": k, "ep": ep, "done": ep * bpe, "below": ep - 1, "short": (ep - 1) * bpe}
        lines.append(t["needed"])
    v["value"] = r[ask]
    lines.append(t["answer"])
    return "\n".join(line.format(**v) for line in lines)


# ---------------------------------------------------------------- drawing params


def _dataset_size(rng: random.Random, b: int, lo: int, hi: int, p_divisible: float) -> int:
    """N in [lo, hi], at least 2·b; a multiple of b with probability p_divisible."""
    lo = max(lo, 2 * b)
    if rng.random() < p_divisible:
        return b * rng.randint(-(-lo // b), hi // b)
    n = rng.randint(lo, hi)
    while n % b == 0:
        n = rng.randint(lo, hi)
    return n


def draw_params(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    if difficulty == 1:
        b = rng.choice([4, 5, 8, 10, 16, 20, 25, 32, 50, 64])
        n = _dataset_size(rng, b, 20, 300, 0.15)
        p = {"dataset_size": n, "batch_size": b, "drop_last": False, "epochs": rng.randint(2, 10)}
        return p, rng.choice(["batches_per_epoch", "iterations"])
    if difficulty == 2:
        b = rng.choice([16, 24, 32, 48, 50, 64, 100, 128])
        n = _dataset_size(rng, b, 100, 1200, 0.1)
        p = {"dataset_size": n, "batch_size": b, "drop_last": rng.random() < 0.5}
        p["epochs"] = rng.randint(2, 30)
        ask = rng.choice(["batches_per_epoch", "iterations", "last_batch_size", "dropped"])
        return p, ask
    b = rng.choice([32, 64, 96, 100, 128, 200, 256, 500])
    n = _dataset_size(rng, b, 500, 2000, 0.05)
    ask = rng.choice(["iterations", "samples_seen", "epochs_needed"])
    p = {"dataset_size": n, "batch_size": b, "drop_last": rng.random() < 0.5}
    if ask == "epochs_needed":
        per_epoch = count(p | {"epochs": None}, "batches_per_epoch")
        k = rng.choice([100, 250, 500, 1000, 2000, 5000, 10000])
        if k % per_epoch == 0:  # make the rounding up matter (per_epoch >= 2 divides no k + 1)
            k += next(d for d in (50, 10, 1) if (k + d) % per_epoch)
        p |= {"epochs": None, "target_iterations": k}
    else:
        p["epochs"] = rng.choice([10, 20, 30, 50, 90, 100, rng.randint(5, 120)])
    return p, ask


# ---------------------------------------------------------------- generator


@register
class EpochsBatches(Generator):
    id = FAMILY
    version = 1
    topic = "Training loop"
    topic_zh = "训练流程"
    title = "Epochs, batches and iterations of a DataLoader (batch_size, drop_last, epochs)"
    title_zh = "DataLoader 的 epoch、批次与迭代次数（batch_size、drop_last、epochs）"
    formula_tex = (
        r"\text{batches} = \left\lceil N / B \right\rceil \ (\text{or } \lfloor N / B \rfloor"
        r"\text{ with drop\_last}), \quad \text{iterations} = \text{batches} \cdot E"
    )
    levels = 3
    explanations = {
        "floor-not-ceil": "With drop_last=False the leftover samples still form a last, smaller "
        "batch: there are ceil(N/B) batches per epoch, not floor(N/B).",
        "drop-last-ignored": "drop_last=True drops the incomplete last batch: floor(N/B) batches "
        "of exactly B samples, and the N mod B leftover samples are skipped in that epoch.",
        "fraction": "A number of batches is a whole number: round N/B up (drop_last=False) or "
        "down (drop_last=True).",
        "iterations-are-epochs": "An epoch is one pass over the whole training set and holds "
        "many iterations (one per batch): iterations = batches per epoch × epochs.",
        "per-sample": "An iteration trains one whole batch (one parameter update), not one sample.",
        "remainder-zero": "N mod B = 0 means B divides N: the last batch is full and holds B "
        "samples.",
        "dropped-shortfall": "The dropped samples are the N mod B leftovers; B − N mod B is how "
        "many the last batch lacks, and nothing pads it.",
        "full-last-batch": "The last batch holds only the leftover samples, so an epoch trains "
        "on N samples, not batches × B.",
        "one-epoch": "Over E epochs every kept sample is used E times.",
        "epochs-rounded-down": "floor(K / batches) epochs give fewer than K updates; one more, "
        "partial epoch is needed, so round up.",
    }
    explanations_zh = {
        "floor-not-ceil": "drop_last=False 时剩下的样本仍组成最后一个较小的批次：每个 epoch 有 "
        "ceil(N/B) 个批次，而不是 floor(N/B)。",
        "drop-last-ignored": "drop_last=True 会丢弃不完整的最后一个批次：只有 floor(N/B) 个恰好 "
        "B 个样本的批次，剩下的 N mod B 个样本在该 epoch 中被跳过。",
        "fraction": "批次数是整数：N/B 要向上取整（drop_last=False）或向下取整（drop_last=True）。",
        "iterations-are-epochs": "一个 epoch 是整个训练集过一遍，里面有很多次迭代（每个批次一次）："
        "迭代次数 = 每个 epoch 的批次数 × epoch 数。",
        "per-sample": "一次迭代训练一整个批次（一次参数更新），而不是一个样本。",
        "remainder-zero": "N mod B = 0 说明 B 整除 N：最后一个批次是满的，有 B 个样本。",
        "dropped-shortfall": "被丢弃的是剩下的 N mod B 个样本；B − N mod B 是最后一个批次缺少的"
        "样本数，而不会有任何填充。",
        "full-last-batch": "最后一个批次只含剩下的样本，所以一个 epoch 训练 N 个样本，而不是"
        "批次数 × B。",
        "one-epoch": "E 个 epoch 中每个保留的样本都被用了 E 次。",
        "epochs-rounded-down": "floor(K / 批次数) 个 epoch 的更新次数不到 K；还要再跑一个"
        "（不完整的）epoch，所以向上取整。",
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        params, ask = draw_params(rng, difficulty)
        return self.build(difficulty, params, ask)

    def build(self, difficulty: int, params: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        params = {"target_iterations": None} | params
        result = result_of(params)
        expected = result[ask]
        count = ask in COUNT_ASKS
        return self.question(
            difficulty,
            params=params,
            ask=ask,
            prompt=prompt_text(params, ask, "en"),
            kind="number" if count else "int",
            expected=expected,
            result=result,
            answer=str(expected),
            solution=solution_text(params, ask, result, "en"),
            tolerance=TOLERANCE if count else None,
            misconceptions=misconceptions(params, ask),
        )

    def zh(self, q: Question) -> dict[str, str]:
        return {
            "prompt": prompt_text(q.params, q.ask, "zh"),
            "answer": str(q.expected),
            "solution": solution_text(q.params, q.ask, q.result, "zh"),
        }
