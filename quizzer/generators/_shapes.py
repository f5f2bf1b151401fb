"""Shapes (and strides) of tensors through torch and NumPy ops, in pure Python: the formula
side of the tensor-shapes family.

A tensor is tracked as (shape, strides) with torch's own rules: unsqueeze's new stride,
squeeze, permute / transpose reorder, integer indexing drops a dim and slicing keeps it,
reshape is a view when torch's computeStride allows one (a contiguous copy otherwise), and
view raises where computeStride fails. A misconception flag switches one op to a known wrong
reading (dim off by one, permutation inverted, -1 computed wrong, ...). None means torch
raises. tests/test_gen_tensor_shapes.py checks the strides against torch's on random chains.
"""

from __future__ import annotations

import math
from typing import Any

Shape = tuple[int, ...]
State = tuple[Shape, Shape] | None  # (shape, strides); None: torch raises
# which misconception flags can change the result of an op
FLAGS = {
    "unsqueeze": ("unsqueeze-off-by-one",),
    "squeeze": ("squeeze-not-one",),
    "flatten": ("flatten-start-ignored",),
    "permute": ("permute-inverted",),
    "reshape": ("reshape-minus-one-numel", "reshape-floor"),
    "view": ("reshape-minus-one-numel", "reshape-floor", "view-like-reshape"),
    "prepend": ("size-plus-elementwise",),
    "index": ("index-keeps-dim",),
    "slice": ("slice-inclusive",),
    "size_prepend": ("size-plus-elementwise",),
    "size_append": ("size-plus-elementwise",),
    "T": ("np-1d-transpose",),
    "newaxis": ("np-newaxis-position",),
}


def contiguous(shape: Shape) -> Shape:
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


def view_strides(shape: Shape, strides: Shape, new: Shape) -> Shape | None:
    """torch's computeStride: the strides of `new` as a view of (shape, strides), or None."""
    if not shape:
        return contiguous(new)
    out = [0] * len(new)
    view_d, base = len(new) - 1, strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                out[view_d] = view_numel * base
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base, tensor_numel, view_numel = strides[d - 1], 1, 1
    return tuple(out) if view_d == -1 else None


def infer(spec: list[int], numel: int, flag: str | None = None) -> Shape | None:
    """A reshape target with at most one -1 filled in; None if torch rejects it."""
    known = math.prod([s for s in spec if s != -1])
    if spec.count(-1) > 1:
        return None
    if -1 not in spec:
        return tuple(spec) if known == numel else None
    if flag == "reshape-minus-one-numel":
        fill = numel
    elif numel % known == 0:
        fill = numel // known
    elif flag == "reshape-floor":
        return tuple(numel // known if s == -1 else s for s in spec)
    else:
        return None
    return tuple(fill if s == -1 else s for s in spec)


def _wrap(dim: int, n: int) -> int | None:
    n = max(n, 1)
    return dim % n if -n <= dim < n else None


def elementwise(a: Shape, b: Shape) -> Shape:
    """a + b read as an elementwise (broadcast) sum; a plain concatenation if impossible."""
    if not a or not b or (len(a) != len(b) and 1 not in (len(a), len(b))):
        return a + b
    n = max(len(a), len(b))
    a, b = (a * n if len(a) == 1 else a), (b * n if len(b) == 1 else b)
    return tuple(x + y for x, y in zip(a, b, strict=True))


def step(op: dict[str, Any], st: tuple[Shape, Shape], flag: str | None) -> State:
    """One op on (shape, strides); flag: one misconception applied to this op."""
    shape, strides = st
    n, kind = len(shape), op["op"]
    if kind in ("unsqueeze", "newaxis"):
        d = op["dim"] if kind == "unsqueeze" else op["position"]
        if not -(n + 1) <= d <= n:
            return None
        pos = d if d >= 0 else d + n + 1
        if flag in ("unsqueeze-off-by-one", "np-newaxis-position"):
            pos = (d + 1 if d >= 0 else d + n) if kind == "unsqueeze" else (n if pos == 0 else 0)
            if not 0 <= pos <= n:
                return None
        new = 1 if pos >= n else shape[pos] * strides[pos]
        return shape[:pos] + (1,) + shape[pos:], strides[:pos] + (new,) + strides[pos:]
    if kind == "squeeze":
        d = None if op["dim"] is None else _wrap(op["dim"], n)
        if op["dim"] is None:
            keep = [i for i in range(n) if shape[i] != 1]
        elif d is None:
            return None
        else:  # squeeze(d) of a size other than 1 changes nothing (and does not raise)
            drop = shape[d] == 1 or flag == "squeeze-not-one"
            keep = [i for i in range(n) if not (drop and i == d)]
        return tuple(shape[i] for i in keep), tuple(strides[i] for i in keep)
    if kind == "T" and n == 1:  # numpy: .T of a 1-d array is the same array
        return ((shape[0], 1), (1, 1)) if flag == "np-1d-transpose" else st
    if kind in ("permute", "transpose", "T"):
        if kind == "permute":
            wrapped = [_wrap(d, n) for d in op["dims"]]
            if sorted(wrapped, key=lambda d: -1 if d is None else d) != list(range(n)):
                return None
            dims = [d for d in wrapped if d is not None]
        elif kind == "T":
            dims = list(range(n - 1, -1, -1))
        else:
            dims = list(range(n))
            a, b = _wrap(op["dim0"], n), _wrap(op["dim1"], n)
            if a is None or b is None:
                return None
            dims[a], dims[b] = dims[b], dims[a]
        if flag == "permute-inverted":
            dims = [dims.index(i) for i in range(n)]
        return tuple(shape[d] for d in dims), tuple(strides[d] for d in dims)
    if kind == "float":
        return st
    if kind in ("index", "slice"):
        d = _wrap(op["dim"], n)
        if d is None or n == 0:
            return None
        if kind == "index":
            if not -shape[d] <= op["index"] < shape[d]:
                return None
            if flag == "index-keeps-dim":
                return shape[:d] + (1,) + shape[d + 1 :], strides
            return shape[:d] + shape[d + 1 :], strides[:d] + strides[d + 1 :]
        stop = op["stop"]
        if flag == "slice-inclusive" and stop is not None:
            stop = stop + 1 if stop != -1 else None
        size = len(range(*slice(op["start"], stop).indices(shape[d])))
        return shape[:d] + (size,) + shape[d + 1 :], strides
    numel = math.prod(shape)
    if kind == "flatten":
        s, e = (0, n - 1) if flag == "flatten-start-ignored" else (op["start_dim"], op["end_dim"])
        s, e = _wrap(s, n), _wrap(e, n)
        if s is None or e is None or s > e:
            return None
        if s == e:
            return shape, strides
        new = shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :]
    elif kind == "prepend":
        new = tuple(op["sizes"]) + shape
        if flag == "size-plus-elementwise":
            new = elementwise(tuple(op["sizes"]), shape)
            return new, contiguous(new)
        if math.prod(new) != numel:
            return None
    else:  # reshape, view
        found = infer(op["shape"], numel, flag)
        if found is None:
            return None
        new = found
        if math.prod(new) != numel:  # a misconception's wrong size: no view to speak of
            return new, contiguous(new)
    view = view_strides(shape, strides, new)
    if view is None and kind == "view" and flag != "view-like-reshape":
        return None  # view needs compatible strides
    return new, view or contiguous(new)


def size_step(op: dict[str, Any], shape: Shape, flag: str | None) -> Shape:
    """torch.Size arithmetic: tuple concatenation and slicing."""
    sizes = tuple(op.get("sizes", ()))
    if op["op"] == "size_slice":
        return shape[op["start"] : op["stop"]]
    if flag == "size-plus-elementwise":
        return (
            elementwise(sizes, shape) if op["op"] == "size_prepend" else elementwise(shape, sizes)
        )
    return sizes + shape if op["op"] == "size_prepend" else shape + sizes


def trace(p: dict[str, Any], flag: str | None = None, base: list[Any] | None = None) -> list[Any]:
    """The state (shape, strides) after each op, the start first; None from the op where torch
    raises. With base (the unflagged trace), a flagged run starts at the first op it changes."""
    ops, start = p["ops"], 0
    if base is not None and flag is not None and flag not in LITERAL_FLAGS:
        start = next((i for i, op in enumerate(ops) if flag in FLAGS.get(op["op"], ())), len(ops))
    if start:
        states = base[: start + 1]  # type: ignore[index]
    else:
        shape = tuple(array_shape(p["array"], flag)) if "array" in p else tuple(p["shape"])
        states = [(shape, contiguous(shape))]
    st = states[-1]
    for op in ops[start:]:
        if st is None:
            pass
        elif op["op"].startswith("size_"):
            st = (size_step(op, st[0], flag), ())
        else:
            st = step(op, st, flag if flag in FLAGS.get(op["op"], ()) else None)
        states.append(st)
    return states


def shapes_of(states: list[Any]) -> list[Shape | None]:
    return [None if st is None else st[0] for st in states]


LITERAL_FLAGS = ("np-1d-as-row", "np-outer-bracket-ignored", "np-shape-swapped")


def array_shape(array: Any, flag: str | None = None) -> list[int]:
    """np.array(literal).shape; flags: the misreadings of the brackets."""
    shape = []
    while isinstance(array, list):
        shape.append(len(array))
        array = array[0]
    if flag == "np-1d-as-row" and len(shape) == 1:
        return [1, shape[0]]
    if flag == "np-outer-bracket-ignored" and len(shape) == 2 and shape[0] == 1:
        return shape[1:]
    if flag == "np-shape-swapped" and len(shape) == 2:
        return shape[::-1]
    return shape


def answer_of(ask: str, shape: Shape | None, flag: str | None = None) -> Any:
    if shape is None:
        return None
    if ask == "numel":
        return sum(shape) if flag == "numel-sum" else math.prod(shape)
    return list(shape)


def permutation(src: str, dst: str, flag: str | None = None) -> list[int]:
    """The dims for .permute that turn layout src (e.g. "HWC") into dst ("CHW")."""
    dims = [src.index(c) for c in dst]
    if flag == "permute-inverted":
        return [dims.index(i) for i in range(len(dims))]
    if flag == "permute-reversed":
        return list(range(len(dims) - 1, -1, -1))
    return dims


def misconception_ids(p: dict[str, Any], ask: str) -> list[str]:
    if ask == "permute":
        return ["permute-inverted", "permute-reversed"]
    ids = [f for op in p["ops"] for f in FLAGS.get(op["op"], ())]
    if "array" in p and not p["ops"]:
        ids += LITERAL_FLAGS
    if ask == "numel":
        ids.append("numel-sum")
    return list(dict.fromkeys(ids))
