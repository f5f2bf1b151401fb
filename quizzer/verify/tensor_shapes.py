"""Torch check of `tensor-shapes`: the question's code run for real. A torch tensor (zeros,
rand, or torch.from_numpy of a uint8 image array standing in for cv2.imread) goes through
the ops and its .shape / .numel() is read; a RuntimeError or IndexError from torch means
"error" (None). NumPy questions run NumPy (ValueError means "error"); torch.Size arithmetic
runs on x.shape. For the permute questions every permutation of the dims is tried and
exactly one must give the target layout's shape.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch

from quizzer.generators.tensor_shapes import expression, fmt_shape, result_name, setup_lines
from quizzer.question import Question
from quizzer.verify import Check, checker, raised, torch_version

ALL = slice(None)


def apply(t: Any, op: dict[str, Any]) -> Any:
    """One op on a torch tensor, a NumPy array or a torch.Size, as the snippet writes it."""
    kind = op["op"]
    if kind == "unsqueeze":
        return t.unsqueeze(op["dim"])
    if kind == "squeeze":
        return t.squeeze() if op["dim"] is None else t.squeeze(op["dim"])
    if kind == "flatten":
        return t.flatten(op["start_dim"], op["end_dim"])
    if kind == "permute":
        return t.permute(*op["dims"])
    if kind == "transpose":
        return t.transpose(op["dim0"], op["dim1"])
    if kind in ("reshape", "view"):
        return getattr(t, kind)(*op["shape"])
    if kind == "prepend":
        return t.reshape(tuple(op["sizes"]) + t.shape)
    if kind == "index":
        return t[(ALL,) * op["dim"] + (op["index"],)]
    if kind == "slice":
        return t[(ALL,) * op["dim"] + (slice(op["start"], op["stop"]),)]
    if kind == "float":
        return t.float()
    if kind == "T":
        return t.T
    if kind == "newaxis":
        return t[np.newaxis] if op["position"] == 0 else t[:, np.newaxis]
    if kind == "size_slice":
        return t[op["start"] : op["stop"]]
    if kind == "size_append":
        return t + tuple(op["sizes"])
    return tuple(op["sizes"]) + t  # size_prepend


def _start(p: dict[str, Any]) -> Any:
    if "array" in p:
        return np.array(p["array"])
    if p["init"] == "from_numpy":
        return torch.from_numpy(np.zeros(p["shape"], dtype=np.uint8))
    return torch.rand(p["shape"]) if p["init"] == "rand" else torch.zeros(p["shape"])


def _setup_code(p: dict[str, Any]) -> str:
    lines = setup_lines(p)
    if "array" in p:
        return "import numpy as np\n\n" + "\n".join(lines) + "\n"
    if p["init"] == "from_numpy":
        stand_in = f"np.zeros({fmt_shape(p['shape'])}, dtype=np.uint8)  # stands in for"
        lines[0] = f"img = {stand_in} cv2.imread(path)"
        return "import numpy as np\nimport torch\n\n" + "\n".join(lines) + "\n"
    return "import torch\n\n" + "\n".join(lines) + "\n"


def _permute_check(q: Question) -> Check:
    p = q.params
    src, dst, shape = p["layout"], p["target"], p["shape"]
    target = tuple(shape[src.index(c)] for c in dst)
    hwc = src == "HWC"
    x = torch.from_numpy(np.zeros(shape, dtype=np.uint8)) if hwc else torch.zeros(shape)
    found = [
        list(d) for d in itertools.permutations(range(x.dim())) if x.permute(d).shape == target
    ]
    if len(found) != 1:
        raise ValueError(f"{len(found)} permutations give {target}")
    if hwc:
        setup = (
            "import itertools\n\nimport numpy as np\nimport torch\n\n"
            f"img = np.zeros({fmt_shape(shape)}, dtype=np.uint8)  # stands in for cv2.imread\n"
            "x = torch.from_numpy(img)\n"
        )
    else:
        setup = f"import itertools\n\nimport torch\n\nx = torch.zeros({fmt_shape(shape)})\n"
    code = setup + (
        "for dims in itertools.permutations(range(x.dim())):\n"
        f"    if x.permute(dims).shape == {fmt_shape(target)}:  # {dst}\n"
        "        print(list(dims))\n"
    )
    method = f"torch {torch_version()}: every x.permute(dims) tried; one gives {dst}"
    return Check(found[0], found[0], code, str(found[0]), method)


@checker("tensor-shapes")
def check_tensor_shapes(q: Question) -> Check:
    if q.ask == "permute":
        return _permute_check(q)
    p = q.params
    numpy = "array" in p
    errors: tuple[type[Exception], ...] = (ValueError,) if numpy else (RuntimeError, IndexError)
    name = result_name(p, q.ask)
    t = _start(p)
    value: Any = t.shape if name == "s" else t
    error = ""
    try:
        for op in p["ops"]:
            value = apply(value, op)
    except errors as exc:
        value, error = None, raised(exc)
    show = f"{name}.numel()" if q.ask == "numel" else name if name == "s" else f"{name}.shape"
    assign = "" if name in ("x", "a") else f"{name} = {expression(p)}\n"
    body = f"{assign}print({show})\n"
    if q.allow_undefined and name != "s":
        names = "ValueError" if numpy else "(RuntimeError, IndexError)"
        report = 'print(f"{type(e).__name__}: {str(e).splitlines()[0]}")'
        body = "try:\n" + "".join(f"    {line}\n" for line in body.splitlines())
        body += f"except {names} as e:\n    {report}\n"
    code = _setup_code(p) + body
    lib = "NumPy" if numpy else "torch"
    method = (
        f"torch {torch_version()}: the ops run on a real {lib} {'array' if numpy else 'tensor'}"
    )
    if value is None:
        return Check(None, None, code, error, method)
    if q.ask == "numel":
        n = value.numel()
        return Check(n, n, code, str(n), method)
    shape = list(value) if name == "s" else list(value.shape)
    output = str(value) if name == "s" else str(value.shape)
    return Check(shape, shape, code, output, method)
