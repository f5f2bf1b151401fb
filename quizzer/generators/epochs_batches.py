"""epochs-batches: batches per epoch, iterations, the last batch and the dropped samples of
DataLoader(dataset, batch_size=B, drop_last=...) over N samples, trained for E epochs.

Study notes (2023-09-01): an epoch is the whole training set passing forward and backward
once; a batch is one chunk of the training set; the batch size is the number of samples per
batch; an iteration is one batch trained, i.e. one parameter update.

Formula: batches per epoch = ceil(N / B), or floor(N / B) with drop_last=True; iterations =
batches per epoch * E. Every misconception value is computed by the same functions with a
flag that switches on the mistake.

Edge cases drawn on purpose: a training set smaller than one batch (N < B: one batch of N
samples, or none at all with drop_last=True, which then drops every sample), and B dividing N
(the last batch is full, nothing is dropped).
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path
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
    if ask == "last_batch_size":  # a batch exists: not asked when drop_last and n < b
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


def no_batch(p: dict[str, Any]) -> bool:
    """drop_last=True with fewer samples than one batch: the loader yields no batch at all."""
    return bool(p["drop_last"]) and p["dataset_size"] < p["batch_size"]


def result_of(p: dict[str, Any]) -> dict[str, int | None]:
    """Every count of a question: the full result torch reproduces (no last batch: None)."""
    asks = ASKS[:5] if p["epochs"] is not None else ASKS[:3] + ASKS[5:]
    out: dict[str, int | None] = {ask: int(count(p, ask)) for ask in asks}
    if no_batch(p):
        out["last_batch_size"] = None
    return out


def misconceptions(p: dict[str, Any], ask: str) -> list[tuple[str, Any]]:
    """(id, value) of each mistake that applies, computed with the buggy formula."""
    swap = SWAPS[1] if p["drop_last"] else SWAPS[0]
    return [(m, count(p, ask, m)) for m in [swap, *MISTAKES[ask]]]


# ---------------------------------------------------------------- text (en and zh in step)

# Every sentence a learner reads, English and Chinese, with the same keys (str.format fields).
TEXT: dict[str, dict[str, str]] = tomllib.loads(
    Path(__file__).with_name("epochs_batches.toml").read_text(encoding="utf-8")
)


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


def solution_text(p: dict[str, Any], ask: str, r: dict[str, Any], lang: str) -> str:
    t = TEXT[lang]
    n, b, dl, e = p["dataset_size"], p["batch_size"], p["drop_last"], p["epochs"]
    bpe, rem = r["batches_per_epoch"], n % b
    v: dict[str, Any] = {"n": n, "b": b, "e": e, "bpe": bpe, "r": rem, "frac": _frac(n, b)}
    lines = [t["terms"]]
    lines.append(t["exact"] if rem == 0 else t["floor" if dl else "ceil"])
    small = n < b
    if small:
        lines.append(t["small_drop" if dl else "small_keep"])
    if ask == "last_batch_size" and not small:
        if dl or rem == 0:
            lines.append(t["last_full"])
        else:
            full = bpe - 1
            v |= {"full": full, "used": full * b, "last": r["last_batch_size"]}
            lines.append(t["last_kept"])
    if ask in ("dropped", "samples_seen"):
        if r["dropped"]:
            key = "dropped_r_one" if rem == 1 else "dropped_r"
            lines.append(t["dropped_all" if r["dropped"] == n else key])
        else:
            lines.append(t["dropped_0"])
    if ask == "iterations":
        v["it"] = r["iterations"]
        lines.append(t["iter"])
    if ask == "samples_seen":
        v |= {"d": r["dropped"], "per": n - r["dropped"], "seen": r["samples_seen"]}
        lines.append(t["seen"])
    if ask == "epochs_needed":
        k, ep = p["target_iterations"], r["epochs_needed"]
        v |= {"k": k, "ep": ep, "done": ep * bpe, "below": ep - 1, "short": (ep - 1) * bpe}
        lines.append(t["needed_one" if ep == 2 else "needed"])  # below = ep - 1
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
        drop_last = rng.random() < 0.5
        case = rng.choices(["usual", "divisible", "small"], [70, 15, 15])[0]
        if case == "small":  # fewer samples than one batch
            n = rng.randint(b // 4, b - 1)
        else:
            n = _dataset_size(rng, b, 100, 1200, 1.0 if case == "divisible" else 0.0)
        p = {"dataset_size": n, "batch_size": b, "drop_last": drop_last}
        p["epochs"] = rng.randint(2, 30)
        asks = ["batches_per_epoch", "iterations", "last_batch_size", "dropped"]
        if no_batch(p):  # no batch, so no last batch to ask about
            asks.remove("last_batch_size")
        return p, rng.choice(asks)
    b = rng.choice([32, 64, 96, 100, 128, 200, 256, 500])
    if rng.random() < 0.1:  # fewer samples than one batch (no epochs_needed: maybe 0 batches)
        n = rng.randint(b // 4, b - 1)
        ask = rng.choice(["iterations", "samples_seen"])
    else:
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
    version = 2
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
