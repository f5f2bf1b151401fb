"""Torch check of `vgg-stacking`: real layers, counted and back-propagated.

Parameters: the stack nn.Sequential(n × nn.Conv2d(·, C, 3)) and the single
nn.Conv2d(C_in, C', 2n + 1) are built on the "meta" device (parameter shapes without
memory, so 512-channel layers cost nothing) and sum(p.numel()) counts them.
Receptive fields: the same stacks on one channel with all-ones weights and no bias get an
input of ones; the centre output unit is back-propagated and the input pixels with a
non-zero gradient are exactly the ones it depends on (as in verify/receptive_field.py).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

RF_FUNCTION = '''def receptive_field(net, size):
    """Width of the input square the centre output unit depends on (autograd)."""
    for conv in net:
        nn.init.ones_(conv.weight)
    x = torch.ones(1, 1, size, size, requires_grad=True)
    y = net(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = x.grad[0, 0].sum(1).nonzero().flatten()
    cols = x.grad[0, 0].sum(0).nonzero().flatten()
    assert rows[-1] - rows[0] == cols[-1] - cols[0]  # a square
    return int(cols[-1] - cols[0] + 1)
'''


def receptive_field(kernels: list[int]) -> int:
    """Measured RF of stacked Conv2d(1, 1, k) layers (all-ones weights, stride 1)."""
    net = nn.Sequential(*(nn.Conv2d(1, 1, k, bias=False) for k in kernels))
    for conv in net:
        nn.init.ones_(conv.weight)
    size = 2 * sum(kernels) + 1  # loose: any input that yields an output works
    x = torch.ones(1, 1, size, size, requires_grad=True)
    y = net(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = x.grad[0, 0].sum(1).nonzero().flatten()
    cols = x.grad[0, 0].sum(0).nonzero().flatten()
    if rows[-1] - rows[0] != cols[-1] - cols[0]:
        raise ValueError("the receptive field is not square")
    return int(cols[-1] - cols[0] + 1)


def _rf_call(n: int, k: int) -> str:
    if n == 1:
        return f"receptive_field(nn.Sequential(nn.Conv2d(1, 1, {k}, bias=False)), {2 * k + 1})"
    convs = f"*[nn.Conv2d(1, 1, {k}, bias=False) for _ in range({n})]"
    return f"receptive_field(nn.Sequential({convs}), {2 * n * k + 1})"


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _num_convs_check(p: dict[str, Any]) -> Check:
    n, k = p["num_convs"], p["single_kernel_size"]
    tried = [m for m in (n - 1, n, n + 1) if m >= 1]
    rfs = {m: receptive_field([3] * m) for m in tried}
    rf_single = receptive_field([k])
    hits = [m for m in tried if rfs[m] == rf_single]
    code = [
        f"for n in ({', '.join(map(str, tried))}):",
        "    net = nn.Sequential(*[nn.Conv2d(1, 1, 3, bias=False) for _ in range(n)])",
        '    print(f"{n} stacked 3x3 convs: receptive field", receptive_field(net, 6 * n + 1))',
        f'print("one {k}x{k} conv: receptive field", {_rf_call(1, k)})',
    ]
    out = [f"{m} stacked 3x3 convs: receptive field {rfs[m]}" for m in tried]
    out.append(f"one {k}x{k} conv: receptive field {rf_single}")
    return Check(
        result={"rf_stack": rfs[n], "rf_single": rf_single},
        expected=hits[0] if len(hits) == 1 else None,
        code=_snippet(code),
        output="\n".join(out),
        method=f"torch {torch_version()}: autograd receptive fields of stacks of 3x3 convs"
        f" with n in {tried} and of one {k}x{k} conv (one channel, all-ones weights)",
    )


def _snippet(lines: list[str]) -> str:
    return (
        "import torch\nfrom torch import nn\n\n\n" + RF_FUNCTION + "\n\n" + "\n".join(lines) + "\n"
    )


@checker("vgg-stacking")
def check(q: Question) -> Check:
    p = q.params
    if q.ask == "num_convs":
        return _num_convs_check(p)
    n, cin, c, bias = p["num_convs"], p["in_channels"], p["out_channels"], p["bias"]
    k, c1 = p["single_kernel_size"], p["single_out_channels"]
    with torch.device("meta"):
        stack = nn.Sequential(*(nn.Conv2d(cin if i == 0 else c, c, 3, bias=bias) for i in range(n)))
        single = nn.Conv2d(cin, c1, k, bias=bias)
    ps, p1 = _count(stack), _count(single)
    rf_stack, rf_single = receptive_field([3] * n), receptive_field([k])
    result = {"rf_stack": rf_stack, "rf_single": rf_single, "params_stack": ps, "params_single": p1}
    fewer = "stack" if ps < p1 else "single" if p1 < ps else "same"
    expected = {
        "rf": rf_stack,
        "params_stack": ps,
        "params_single": p1,
        "ratio": ps / p1,
        "saved": p1 - ps,
        "fewer": fewer,
    }[q.ask]
    b = "" if bias else ", bias=False"
    first = f"{cin} if i == 0 else {c}" if cin != c else str(c)
    code = [
        '# device "meta": the layers get their parameter shapes but no memory;',
        "# numel() counts the same as on the CPU",
        'with torch.device("meta"):',
        f"    stack = nn.Sequential(*[nn.Conv2d({first}, {c}, 3{b}) for i in range({n})])",
        f"    single = nn.Conv2d({cin}, {c1}, {k}{b})",
        'print("parameters, stack:", sum(p.numel() for p in stack.parameters()))',
        'print("parameters, single:", sum(p.numel() for p in single.parameters()))',
        "# receptive fields: the same kernels on one channel, all-ones weights, no bias",
        f'print("receptive field, stack:", {_rf_call(n, 3)})',
        f'print("receptive field, single:", {_rf_call(1, k)})',
    ]
    out = [
        f"parameters, stack: {ps}",
        f"parameters, single: {p1}",
        f"receptive field, stack: {rf_stack}",
        f"receptive field, single: {rf_single}",
    ]
    return Check(
        result=result,
        expected=expected,
        code=_snippet(code),
        output="\n".join(out),
        method=f"torch {torch_version()}: sum(p.numel()) of the real nn.Conv2d layers (meta"
        " device) and receptive fields by autograd (one channel, all-ones weights)",
    )
