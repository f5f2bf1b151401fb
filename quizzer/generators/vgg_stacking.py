"""vgg-stacking: VGG's argument for stacks of 3×3 convolutions.

n stacked 3×3 convolutions (stride 1) see a (2n + 1)×(2n + 1) input region, as one
(2n + 1)×(2n + 1) convolution does (two 3×3 ≈ one 5×5, three 3×3 ≈ one 7×7), with fewer
parameters: for C channels in and out n·(9C² + C) against (2n + 1)²C² + C (bias=True).
A Conv2d(c_in, c_out, k) has k·k·c_in·c_out weights and c_out biases. Every misconception
value comes from running the formula functions below with a mistake flag.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

from quizzer.generators import Generator, register
from quizzer.question import Question

FAMILY = "vgg-stacking"
CHOICES = ("stack", "single", "same")
ALIASES = {
    "stacked": "stack",
    "the stack": "stack",
    "3x3": "stack",
    "3x3 stack": "stack",
    "small kernels": "stack",
    "堆叠": "stack",
    "小卷积核": "stack",
    "one": "single",
    "single conv": "single",
    "the single conv": "single",
    "large kernel": "single",
    "big kernel": "single",
    "单个": "single",
    "单个卷积": "single",
    "大卷积核": "single",
    "equal": "same",
    "tie": "same",
    "相同": "same",
    "一样": "same",
}
RATIO_TOLERANCE = 0.0005

# ---------------------------------------------------------------- formula (pure Python)


def stack_rf(
    n: int,
    k: int = 3,
    *,
    kernel_sum: bool = False,
    no_plus_one: bool = False,
    product: bool = False,
) -> int:
    """Receptive field of n stacked k×k convs, stride 1: 1 + n·(k − 1).

    kernel_sum: n·k (kernel sizes added up); no_plus_one: n·(k − 1); product: k**n."""
    if kernel_sum:
        return n * k
    if product:
        return k**n
    return n * (k - 1) + (0 if no_plus_one else 1)


def conv_params(
    cin: int,
    cout: int,
    k: int,
    bias: bool,
    *,
    ignore_cin: bool = False,
    bias_per_weight: bool = False,
    bias_flip: bool = False,
    kernel_not_squared: bool = False,
) -> int:
    """Parameters of nn.Conv2d(cin, cout, k, bias=bias): k·k·cin·cout + cout.

    ignore_cin: k·k·cout weights; bias_per_weight: one bias per weight; bias_flip: the bias
    forgotten (bias=True) or counted anyway (bias=False); kernel_not_squared: k·cin·cout."""
    weights = (k if kernel_not_squared else k * k) * (1 if ignore_cin else cin) * cout
    if bias == bias_flip:
        return weights
    return weights + (weights if bias_per_weight else cout)


def stack_params(
    p: dict[str, Any], *, one_layer: bool = False, cin_everywhere: bool = False, **flags: bool
) -> int:
    """The stack: Conv2d(in_channels, out_channels, 3), then n − 1 × Conv2d(out, out, 3).

    one_layer: only one layer counted; cin_everywhere: every layer taken as in → out."""
    c, n = p["out_channels"], p["num_convs"]
    total = conv_params(p["in_channels"], c, p["kernel_size"], p["bias"], **flags)
    later = p["in_channels"] if cin_everywhere else c
    later_params = conv_params(later, c, p["kernel_size"], p["bias"], **flags)
    return total + (0 if one_layer else (n - 1) * later_params)


def single_params(p: dict[str, Any], **flags: bool) -> int:
    """One Conv2d(in_channels, single_out_channels, single_kernel_size)."""
    k, c1 = p["single_kernel_size"], p["single_out_channels"]
    return conv_params(p["in_channels"], c1, k, p["bias"], **flags)


def fewer(stack: int, single: int) -> str:
    return "stack" if stack < single else "single" if single < stack else "same"


def answer_of(p: dict[str, Any], ask: str, **flags: bool) -> Any:
    """The asked value, computed with the (possibly buggy) formulas."""
    rf_flags = {k: v for k, v in flags.items() if k in ("kernel_sum", "no_plus_one", "product")}
    if ask == "rf":
        return stack_rf(p["num_convs"], **rf_flags)
    if ask == "num_convs":
        hits = [n for n in range(1, 40) if stack_rf(n, **rf_flags) == p["single_kernel_size"]]
        return hits[0] if len(hits) == 1 else None
    s_flags = {k: v for k, v in flags.items() if k not in ("one_layer", "cin_everywhere")}
    ps, p1 = stack_params(p, **flags), single_params(p, **s_flags)
    return {
        "params_stack": ps,
        "params_single": p1,
        "ratio": ps / p1,
        "saved": p1 - ps,
        "fewer": fewer(ps, p1),
    }[ask]


def result_of(p: dict[str, Any]) -> dict[str, int]:
    if "in_channels" not in p:
        return {"rf_stack": stack_rf(p["num_convs"]), "rf_single": p["single_kernel_size"]}
    return {
        "rf_stack": stack_rf(p["num_convs"]),
        "rf_single": p["single_kernel_size"],
        "params_stack": stack_params(p),
        "params_single": single_params(p),
    }


def misconceptions(p: dict[str, Any], ask: str) -> list[tuple[str, Any]]:
    if ask in ("rf", "num_convs"):
        variants = [("rf-3n", {"kernel_sum": True}), ("rf-no-plus-one", {"no_plus_one": True})]
        variants.append(("rf-product", {"product": True}))
    else:
        variants = [
            ("params-ignore-cin", {"ignore_cin": True}),
            ("bias-per-weight", {"bias_per_weight": True}),
            ("bias-forgotten" if p["bias"] else "bias-when-off", {"bias_flip": True}),
            ("kernel-not-squared", {"kernel_not_squared": True}),
        ]
        if ask != "params_single":
            variants.append(("one-layer-only", {"one_layer": True}))
            if p["in_channels"] != p["out_channels"]:
                variants.append(("cin-every-layer", {"cin_everywhere": True}))
    out: list[tuple[str, Any]] = []
    for mid, flags in variants:
        value = answer_of(p, ask, **flags)
        if value is not None:
            out.append((mid, value))
    if ask == "ratio":
        out.append(("ratio-inverted", 1 / answer_of(p, "ratio")))
    if ask == "saved":
        out.append(("difference-reversed", -answer_of(p, "saved")))
    return out


# ---------------------------------------------------------------- text


TEXT = {
    "en": {
        "intro": "VGG replaces one large convolution by a stack of 3×3 convolutions.",
        "same_c": "{n} stacked nn.Conv2d({c}, {c}, kernel_size=3) layers (stride 1, no "
        "pooling in between)",
        "diff_c": "{n} stacked 3×3 convolutions (stride 1, no pooling in between): "
        "nn.Conv2d({cin}, {c}, kernel_size=3), then {m} × nn.Conv2d({c}, {c}, kernel_size=3)",
        "compare": "Compare one nn.Conv2d({cin}, {c1}, kernel_size={k}) with {stack}.",
        "bias_on": "Every layer has a bias (bias=True, torch's default).",
        "bias_off": "Every layer is built with bias=False (no bias).",
        "rf": "What is the receptive field of one output unit of the stack, i.e. the width of "
        "the square input region it depends on? Answer one integer, e.g. 5 for 5×5.",
        "num_convs": "How many stacked 3×3 convolutions (stride 1, no dilation, no pooling in "
        "between) see the same input region (receptive field) as one {k}×{k} convolution? "
        "Answer a whole number.",
        "params_stack": "How many parameters (weights and biases) does the stack have in "
        "total? Answer a whole number.",
        "params_single": "How many parameters (weights and biases) does the single {k}×{k} "
        "convolution have? Answer a whole number.",
        "ratio": "What fraction of the single convolution's parameters does the stack need "
        "(parameters of the stack / parameters of the single convolution)? Answer a decimal "
        "with at least 3 places, or a fraction.",
        "saved": "How many parameters does the stack save compared with the single "
        "convolution (single − stack; negative if the stack has more)? Answer a whole number.",
        "fewer": "Which has fewer parameters: the stack or the single convolution? Answer "
        "stack, single or same.",
        "rf_rule": "Each 3×3 convolution with stride 1 widens the receptive field by 3 − 1 = 2, "
        "starting from 1 pixel: RF = 1 + 2·n.",
        "rf_n": "RF = 1 + 2·{n} = {rf}: the stack sees {rf}×{rf} input pixels.",
        "rf_solve": "1 + 2·n = {k} → n = ({k} − 1)/2 = {n}.",
        "param_rule": "nn.Conv2d(c_in, c_out, k) has k·k·c_in·c_out weights{bias}.",
        "plus_bias": " plus c_out biases",
        "no_bias": " (bias=False: no biases)",
        "first": "stack, layer 1: {expr} = {v}",
        "later": "stack, layers 2..{n}: {m} × ({expr}) = {m} × {v} = {t}",
        "later_one": "stack, layer 2: {expr} = {v}",
        "stack_total": "stack in total: {v}",
        "single": "single {k}×{k} convolution: {expr} = {v}",
        "ratio_line": "stack / single = {ps} / {p1} = {frac} ≈ {r}",
        "saved_line": "single − stack = {p1} − {ps} = {d}",
        "fewer_stack": "{ps} < {p1}: the stack has fewer parameters.",
        "fewer_single": "{p1} < {ps}: the single convolution has fewer parameters.",
        "fewer_same": "{ps} = {p1}: the same number of parameters.",
    },
    "zh": {
        "intro": "VGG 用若干个 3×3 卷积的堆叠代替一个大卷积核的卷积。",
        "same_c": "{n} 个堆叠的 nn.Conv2d({c}, {c}, kernel_size=3)（步幅 1，中间无池化）",
        "diff_c": "{n} 个堆叠的 3×3 卷积（步幅 1，中间无池化）：nn.Conv2d({cin}, {c}, "
        "kernel_size=3)，之后是 {m} 个 nn.Conv2d({c}, {c}, kernel_size=3)",
        "compare": "比较一个 nn.Conv2d({cin}, {c1}, kernel_size={k}) 与 {stack}。",
        "bias_on": "每一层都有偏置（bias=True，torch 的默认值）。",
        "bias_off": "每一层都设置 bias=False（无偏置）。",
        "rf": "堆叠输出中一个单元的感受野有多大，即它依赖的输入正方形区域的边长？"
        "请回答一个整数，例如 5×5 回答 5。",
        "num_convs": "需要堆叠多少个 3×3 卷积（步幅 1，无膨胀，中间无池化），才能与一个 "
        "{k}×{k} 卷积具有相同的感受野？请回答一个整数。",
        "params_stack": "这个堆叠共有多少个参数（权重与偏置）？请回答一个整数。",
        "params_single": "这个 {k}×{k} 卷积有多少个参数（权重与偏置）？请回答一个整数。",
        "ratio": "堆叠的参数量是单个卷积参数量的几分之几（堆叠参数量 / 单个卷积参数量）？"
        "请回答至少保留 3 位小数的小数，或一个分数。",
        "saved": "与单个卷积相比，堆叠少用多少个参数（单个卷积 − 堆叠；若堆叠更多则为负数）？"
        "请回答一个整数。",
        "fewer": "哪一个的参数更少：堆叠还是单个卷积？请回答 stack（堆叠）、single（单个卷积）"
        "或 same（相同）。",
        "rf_rule": "每个步幅为 1 的 3×3 卷积使感受野增加 3 − 1 = 2，从 1 个像素开始："
        "RF = 1 + 2·n。",
        "rf_n": "RF = 1 + 2·{n} = {rf}：堆叠看到 {rf}×{rf} 个输入像素。",
        "rf_solve": "1 + 2·n = {k} → n = ({k} − 1)/2 = {n}。",
        "param_rule": "nn.Conv2d(c_in, c_out, k) 有 k·k·c_in·c_out 个权重{bias}。",
        "plus_bias": "，外加 c_out 个偏置",
        "no_bias": "（bias=False：没有偏置）",
        "first": "堆叠第 1 层：{expr} = {v}",
        "later": "堆叠第 2..{n} 层：{m} × ({expr}) = {m} × {v} = {t}",
        "later_one": "堆叠第 2 层：{expr} = {v}",
        "stack_total": "堆叠合计：{v}",
        "single": "单个 {k}×{k} 卷积：{expr} = {v}",
        "ratio_line": "堆叠 / 单个 = {ps} / {p1} = {frac} ≈ {r}",
        "saved_line": "单个 − 堆叠 = {p1} − {ps} = {d}",
        "fewer_stack": "{ps} < {p1}：堆叠的参数更少。",
        "fewer_single": "{p1} < {ps}：单个卷积的参数更少。",
        "fewer_same": "{ps} = {p1}：参数量相同。",
    },
}


def _expr(cin: int, cout: int, k: int, bias: bool) -> str:
    return f"{k}·{k}·{cin}·{cout}" + (f" + {cout}" if bias else "")


def answer_text(ask: str, value: Any) -> str:
    if ask == "ratio":
        return f"{value:.4f}"
    return str(value)


def render(p: dict[str, Any], ask: str, lang: str) -> dict[str, str]:
    """prompt, answer and solution in lang ("en" or "zh")."""
    t, n, k = TEXT[lang], p["num_convs"], p["single_kernel_size"]
    if ask == "num_convs":
        prompt = t["intro"] + "\n" + t["num_convs"].format(k=k)
        lines = [t["rf_rule"], t["rf_solve"].format(k=k, n=n)]
        return {"prompt": prompt, "answer": str(n), "solution": "\n".join(lines)}
    cin, c, c1, bias = p["in_channels"], p["out_channels"], p["single_out_channels"], p["bias"]
    if cin == c:
        stack = t["same_c"].format(n=n, c=c)
    else:
        stack = t["diff_c"].format(n=n, cin=cin, c=c, m=n - 1)
    compare = t["compare"].format(stack=stack, cin=cin, c1=c1, k=k)
    head = ("" if lang == "zh" else " ").join(
        [t["intro"], compare, t["bias_on" if bias else "bias_off"]]
    )
    prompt = head + "\n" + t[ask].format(k=k)
    if ask == "rf":
        lines = [t["rf_rule"], t["rf_n"].format(n=n, rf=stack_rf(n))]
        return {"prompt": prompt, "answer": str(stack_rf(n)), "solution": "\n".join(lines)}
    ps, p1 = stack_params(p), single_params(p)
    first = conv_params(cin, c, 3, bias)
    later = conv_params(c, c, 3, bias)
    lines = [t["param_rule"].format(bias=t["plus_bias" if bias else "no_bias"])]
    if ask != "params_single":
        lines.append(t["first"].format(expr=_expr(cin, c, 3, bias), v=first))
        ex = _expr(c, c, 3, bias)
        key = "later_one" if n == 2 else "later"
        lines.append(t[key].format(n=n, m=n - 1, expr=ex, v=later, t=later * (n - 1)))
        lines.append(t["stack_total"].format(v=ps))
    if ask != "params_stack":
        lines.append(t["single"].format(k=k, expr=_expr(cin, c1, k, bias), v=p1))
    value = answer_of(p, ask)
    if ask == "ratio":
        r = f"{value:.4f}"
        lines.append(t["ratio_line"].format(ps=ps, p1=p1, frac=Fraction(ps, p1), r=r))
    elif ask == "saved":
        lines.append(t["saved_line"].format(ps=ps, p1=p1, d=value))
    elif ask == "fewer":
        lines.append(t[f"fewer_{value}"].format(ps=ps, p1=p1))
    return {"prompt": prompt, "answer": answer_text(ask, value), "solution": "\n".join(lines)}


# ---------------------------------------------------------------- drawing params

LEVEL_ASKS = {
    1: ["rf", "params_stack", "params_single", "fewer"],
    2: ["rf", "num_convs", "params_stack", "params_single", "ratio", "fewer"],
    3: ["params_stack", "params_single", "ratio", "saved", "fewer", "fewer"],
}


def draw_params(rng: random.Random, difficulty: int) -> tuple[dict[str, Any], str]:
    ask = rng.choice(LEVEL_ASKS[difficulty])
    if difficulty == 1:
        n, c, bias = rng.choice([2, 3]), rng.choice([1, 2, 3, 4, 8]), True
        cin = c1 = c
    elif difficulty == 2:
        n, c, bias = rng.randint(2, 4), rng.choice([16, 32, 64, 128]), rng.random() < 0.6
        cin = c1 = c
        if ask == "num_convs":
            n = rng.randint(2, 6)
            return {"num_convs": n, "single_kernel_size": 2 * n + 1}, ask
    else:
        n, bias = rng.randint(2, 5), rng.random() < 0.5
        c = rng.choice([64, 128, 256, 512])
        cin = rng.choice([c // 2, c // 2, 2 * c]) if c < 512 else c // 2  # VGG block edges
        c1 = c // rng.choice([2, 4]) if ask == "fewer" and rng.random() < 0.4 else c
    params = {
        "num_convs": n,
        "in_channels": cin,
        "out_channels": c,
        "kernel_size": 3,
        "bias": bias,
        "single_kernel_size": 2 * n + 1,
        "single_out_channels": c1,
    }
    return params, ask


@register
class VggStacking(Generator):
    id = FAMILY
    version = 1
    topic = "CNN architectures"
    topic_zh = "经典卷积网络"
    title = "VGG: stacked 3×3 convolutions versus one large kernel (receptive field, parameters)"
    title_zh = "VGG：堆叠 3×3 卷积与单个大卷积核的对比（感受野、参数量）"
    formula_tex = r"RF = 2n + 1,\quad n\,(9C^2 + C) \text{ vs } (2n+1)^2 C^2 + C"
    levels = 3
    explanations = {
        "rf-3n": "Stacked windows overlap: each 3×3 layer adds only 3 − 1 = 2 pixels to a "
        "receptive field that starts at 1, so n layers see 2n + 1, not 3n.",
        "rf-no-plus-one": "The receptive field starts at 1 pixel before any layer: 1 + 2n.",
        "rf-product": "Receptive fields grow additively with stride 1 (1 + 2n), not by "
        "multiplying the kernel sizes.",
        "params-ignore-cin": "Each output channel's kernel spans every input channel: "
        "k·k·c_in·c_out weights, not k·k·c_out.",
        "bias-per-weight": "There is one bias per output channel (c_out of them), not one per "
        "weight.",
        "bias-forgotten": "With bias=True (torch's default) each layer also has c_out biases.",
        "bias-when-off": "With bias=False the layer has no bias parameters at all.",
        "kernel-not-squared": "A k×k kernel has k·k weights per channel pair, not k.",
        "one-layer-only": "The stack has n layers: add up the parameters of every one.",
        "cin-every-layer": "Only the first layer of the stack takes in_channels inputs; the "
        "later layers take the out_channels of the layer before.",
        "ratio-inverted": "The question asks stack / single, not single / stack.",
        "difference-reversed": "The saving is single − stack (positive when the stack is smaller).",
    }
    explanations_zh = {
        "rf-3n": "堆叠的窗口相互重叠：每个 3×3 层只让感受野增加 3 − 1 = 2 个像素，"
        "感受野从 1 开始，所以 n 层为 2n + 1，而不是 3n。",
        "rf-no-plus-one": "在任何层之前感受野就是 1 个像素：1 + 2n。",
        "rf-product": "步幅为 1 时感受野按加法增长（1 + 2n），而不是把卷积核尺寸相乘。",
        "params-ignore-cin": "每个输出通道的卷积核覆盖所有输入通道：权重为 k·k·c_in·c_out，"
        "而不是 k·k·c_out。",
        "bias-per-weight": "每个输出通道有一个偏置（共 c_out 个），而不是每个权重一个。",
        "bias-forgotten": "bias=True（torch 的默认值）时，每层还有 c_out 个偏置。",
        "bias-when-off": "bias=False 时该层没有任何偏置参数。",
        "kernel-not-squared": "k×k 卷积核对每对通道有 k·k 个权重，而不是 k 个。",
        "one-layer-only": "堆叠有 n 层：要把每一层的参数量加起来。",
        "cin-every-layer": "只有堆叠的第一层输入 in_channels 个通道；后面各层的输入是前一层的 "
        "out_channels。",
        "ratio-inverted": "题目问的是 堆叠 / 单个，而不是 单个 / 堆叠。",
        "difference-reversed": "节省量是 单个 − 堆叠（堆叠更小时为正）。",
    }

    def generate(self, rng: random.Random, difficulty: int) -> Question:
        params, ask = draw_params(rng, difficulty)
        return self.build(difficulty, params, ask)

    def build(self, difficulty: int, params: dict[str, Any], ask: str) -> Question:
        """The question for given params (also used by the tests for known values)."""
        value = answer_of(params, ask)
        text = render(params, ask, "en")
        kind = {"ratio": "number", "fewer": "choice"}.get(ask, "int")
        return self.question(
            difficulty,
            params=params,
            ask=ask,
            prompt=text["prompt"],
            kind=kind,
            expected=value,
            result=result_of(params),
            answer=text["answer"],
            solution=text["solution"],
            tolerance=RATIO_TOLERANCE if ask == "ratio" else None,
            choices=CHOICES if ask == "fewer" else (),
            extra={"aliases": ALIASES} if ask == "fewer" else {},
            misconceptions=misconceptions(params, ask),
        )

    def square_side(self, q: Question) -> bool:
        return q.ask == "rf"  # "5 for 5×5": 5×5 is read as 5

    def zh(self, q: Question) -> dict[str, str]:
        return render(q.params, q.ask, "zh")
