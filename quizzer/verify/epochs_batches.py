"""Torch check of `epochs-batches`: a real DataLoader over TensorDataset(torch.arange(N)).

len(loader) gives the batches per epoch; iterating the loader once gives the size of every
batch it yields, hence the last batch's size and the samples left out (N − their sum).
Iterations are len(loader) · epochs, the samples trained on sum(sizes) · epochs, and the
epochs for a target of K iterations ceil(K / len(loader)). N stays below a few thousand, so
one pass over the loader costs a few milliseconds. With drop_last=True and N < batch_size the
loader yields no batch: len(loader) is 0 and there is no last batch (None).
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version


def snippet(p: dict[str, Any]) -> str:
    n, b, dl, e, k = (
        p["dataset_size"],
        p["batch_size"],
        p["drop_last"],
        p["epochs"],
        p["target_iterations"],
    )
    code = f"""import torch
from torch.utils.data import DataLoader, TensorDataset

N = {n}
loader = DataLoader(TensorDataset(torch.arange(N)), batch_size={b}, drop_last={dl})
sizes = [len(x) for (x,) in loader]  # one epoch
print("batches per epoch:", len(loader), "| batches iterated:", len(sizes))
print("last batch size:", sizes[-1] if sizes else None, "| samples dropped:", N - sum(sizes))
"""
    if e is not None:
        code += f"""epochs = {e}
print("iterations:", len(loader) * epochs, "| samples seen:", sum(sizes) * epochs)
"""
    else:
        code += f"""target = {k}  # iterations
print("epochs needed:", -(-target // len(loader)))  # ceil(target / len(loader))
"""
    return code


@checker("epochs-batches")
def check(q: Question) -> Check:
    p = q.params
    n, e, k = p["dataset_size"], p["epochs"], p["target_iterations"]
    loader = DataLoader(
        TensorDataset(torch.arange(n)), batch_size=p["batch_size"], drop_last=p["drop_last"]
    )
    sizes = [len(x) for (x,) in loader]
    count, used = len(loader), sum(sizes)
    if len(sizes) != count:
        raise RuntimeError(f"len(loader) = {count} but the loader yielded {len(sizes)} batches")
    last = sizes[-1] if sizes else None
    result = {"batches_per_epoch": count, "last_batch_size": last, "dropped": n - used}
    lines = [
        f"batches per epoch: {count} | batches iterated: {len(sizes)}",
        f"last batch size: {last} | samples dropped: {n - used}",
    ]
    if e is not None:
        result |= {"iterations": count * e, "samples_seen": used * e}
        lines.append(f"iterations: {count * e} | samples seen: {used * e}")
    else:
        result["epochs_needed"] = -(-k // count)
        lines.append(f"epochs needed: {result['epochs_needed']}")
    return Check(
        result=result,
        expected=result[q.ask],
        code=snippet(p),
        output="\n".join(lines),
        method=f"torch {torch_version()}: len(DataLoader) and one pass over its batches "
        "(TensorDataset of torch.arange(N))",
    )
