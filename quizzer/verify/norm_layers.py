"""Torch check of `batchnorm-layernorm`: the real nn.BatchNorm1d/2d (training mode, as built)
and nn.LayerNorm in float64 on the question's tensor.

- value / vector: y = layer(x), the whole output and the asked entry or slice; a ValueError
  (BatchNorm with one value per channel) means "undefined".
- dims: the sets of dims D for which (x - x.mean(D)) / sqrt(x.var(D, correction=0) + eps)
  reproduces the layer's output; exactly one set must, and it is the answer.
- stats: layer.running_mean.shape after a forward pass on zeros of the input shape.
- running: layer.running_mean[c] / running_var[c] after one forward pass.
- inference: a BatchNorm1d given the question's running_mean / running_var, then y = layer(x)
  under torch.no_grad(), after layer.eval() or (the forgotten eval) still in training mode;
  a ValueError there (a batch of one sample) means "undefined".
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch import nn

from quizzer.generators.norm_layers import index_text, layer_call
from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

F64 = torch.float64
HEADER = "import torch\nfrom torch import nn\n\n"


def _layer(p: dict[str, Any]) -> nn.Module:
    if p["layer"] == "LayerNorm":
        return nn.LayerNorm(p["normalized_shape"], eps=p["eps"], dtype=F64)
    return getattr(nn, p["layer"])(p["num_features"], eps=p["eps"], dtype=F64)


def _call(p: dict[str, Any]) -> str:
    """The layer call of the snippet: as in the prompt, in float64."""
    return layer_call(p)[:-1] + ", dtype=torch.float64)"


def _setup(p: dict[str, Any]) -> str:
    return (
        f"x = torch.tensor({p['input']}, dtype=torch.float64)\n"
        f"layer = {_call(p)}  # training mode, as built\n"
    )


def _dims_check(q: Question, x: torch.Tensor, y: torch.Tensor, eps: float) -> Check:
    found = []
    for r in range(1, x.dim() + 1):
        for dims in itertools.combinations(range(x.dim()), r):
            mean = x.mean(dim=dims, keepdim=True)
            var = x.var(dim=dims, correction=0, keepdim=True)
            if torch.allclose((x - mean) / torch.sqrt(var + eps), y, rtol=0, atol=1e-9):
                found.append(list(dims))
    if len(found) != 1:
        raise ValueError(f"the output fits {len(found)} sets of dims: {found}")
    code = (
        f"import itertools\n\n{HEADER}{_setup(q.params)}with torch.no_grad():\n"
        "    y = layer(x)\n"
        "for r in range(1, x.dim() + 1):\n"
        "    for dims in itertools.combinations(range(x.dim()), r):\n"
        "        mean = x.mean(dim=dims, keepdim=True)\n"
        "        var = x.var(dim=dims, correction=0, keepdim=True)\n"
        "        z = (x - mean) / torch.sqrt(var + layer.eps)\n"
        "        if torch.allclose(z, y, rtol=0, atol=1e-9):\n"
        "            print(list(dims))\n"
    )
    method = (
        f"torch {torch_version()}: nn.{q.params['layer']} output reproduced by the mean and "
        "biased variance over exactly one set of dims"
    )
    return Check(found[0], found[0], code, str(found[0]), method)


def _stats_check(q: Question) -> Check:
    p = q.params
    layer = _layer(p)
    with torch.no_grad():
        layer(torch.zeros(p["input_shape"], dtype=F64))
    shape = layer.running_mean.shape
    sizes = ", ".join(map(str, p["input_shape"]))
    code = (
        f"{HEADER}layer = {_call(p)}\nx = torch.zeros({sizes}, dtype=torch.float64)\n"
        "with torch.no_grad():\n    layer(x)\nprint(layer.running_mean.shape)\n"
    )
    method = f"torch {torch_version()}: nn.{p['layer']}.running_mean after a forward pass"
    return Check(list(shape), list(shape), code, str(shape), method)


def _running_check(q: Question, x: torch.Tensor) -> Check:
    p = q.params
    layer = _layer(p)
    with torch.no_grad():
        layer(x)
    stat, c = p["stat"], p["index"][0]
    value = getattr(layer, stat)[c].item()
    code = (
        f"{HEADER}{_setup(p)}with torch.no_grad():\n    layer(x)\n"
        f'print(f"{{layer.{stat}[{c}].item():.6f}}")\n'
    )
    method = f"torch {torch_version()}: nn.{p['layer']}.{stat} after one training-mode forward pass"
    return Check(value, value, code, f"{value:.6f}", method)


def _inference_check(q: Question, x: torch.Tensor) -> Check:
    p = q.params
    layer = _layer(p)
    layer.running_mean = torch.tensor(p["running_mean"], dtype=F64)
    layer.running_var = torch.tensor(p["running_var"], dtype=F64)
    if p["eval"]:
        layer.eval()
    idx = index_text(p["index"])
    try:
        with torch.no_grad():
            y = layer(x)
    except ValueError as exc:  # training mode, one value per channel
        y, error = None, f"ValueError: {exc}"
    body = "with torch.no_grad():\n    y = layer(x)\n" + f'print(f"{{y[{idx}].item():.6f}}")\n'
    if not p["eval"] and len(p["input"]) == 1:
        body = "try:\n" + "".join(f"    {line}\n" for line in body.splitlines())
        body += 'except ValueError as e:\n    print(f"ValueError: {e}")\n'
    code = (
        f"{HEADER}x = torch.tensor({p['input']}, dtype=torch.float64)\n"
        f"layer = {_call(p)}\n"
        f"layer.running_mean = torch.tensor({p['running_mean']}, dtype=torch.float64)\n"
        f"layer.running_var = torch.tensor({p['running_var']}, dtype=torch.float64)\n"
        + ("layer.eval()\n" if p["eval"] else "# no layer.eval(): still in training mode\n")
        + body
    )
    mode = "eval mode (running statistics)" if p["eval"] else "training mode (no .eval())"
    method = f"torch {torch_version()}: trained nn.{p['layer']} forward pass in {mode} (float64)"
    if y is None:
        return Check(None, None, code, error, method)
    value = y[tuple(p["index"])].item()
    return Check(y.tolist(), value, code, f"{value:.6f}", method)


@checker("batchnorm-layernorm")
def check_norm_layers(q: Question) -> Check:
    p = q.params
    if q.ask == "stats":
        return _stats_check(q)
    x = torch.tensor(p["input"], dtype=F64)
    if q.ask == "running":
        return _running_check(q, x)
    if q.ask == "inference":
        return _inference_check(q, x)
    layer = _layer(p)
    try:
        with torch.no_grad():
            y = layer(x)
    except ValueError as exc:  # BatchNorm in training mode with one value per channel
        y, error = None, f"ValueError: {exc}"
    if q.ask == "dims":
        assert y is not None
        return _dims_check(q, x, y, p["eps"])
    idx = index_text(p["index"])
    if q.ask == "value":
        show = f'print(f"{{y[{idx}].item():.6f}}")\n'
    else:
        show = f"print([round(v, 6) for v in y[{idx}].tolist()])\n"
    body = "with torch.no_grad():\n    y = layer(x)\n" + show
    if p["input"] and len(p["input"]) == 1:  # a batch of one: BatchNorm may raise
        body = "try:\n" + "".join(f"    {line}\n" for line in body.splitlines())
        body += 'except ValueError as e:\n    print(f"ValueError: {e}")\n'
    code = f"{HEADER}{_setup(p)}{body}"
    method = f"torch {torch_version()}: nn.{p['layer']} forward pass in training mode (float64)"
    if y is None:
        return Check(None, None, code, error, method)
    result = y.tolist()
    part = y[tuple(slice(None) if i is None else i for i in p["index"])]
    if q.ask == "value":
        expected: Any = part.item()
        output = f"{expected:.6f}"
    else:
        expected = part.tolist()
        output = str([round(v, 6) for v in expected])
    return Check(result, expected, code, output, method)
