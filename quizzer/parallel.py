"""Run a long read-only computation on the other core while the caller goes on.

`quizzer stats` reads every scheduled review for its calibration (a million rows at
100,000 cards): in a thread that work would share the interpreter's lock with the other
figures, so where it is safe, it runs in a forked child process instead, on its own
connection, and sends its (small, picklable) result back through a pipe.

Forking is safe only when this process has a single thread (no other thread can hold a
lock the child would inherit) and on Linux; otherwise, or if the child fails in any way,
the function runs in the caller's process, so its result or its exception is exactly what
a plain call would give.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def start(fn: Callable[..., T], store: Any, *args: Any, **kwargs: Any) -> Callable[[], T]:
    """Start fn(store, *args, **kwargs); returns a function that waits for its result.
    `fn` must only read, through its own connections of `store.engine`."""
    if sys.platform != "linux" or threading.active_count() != 1:
        return lambda: fn(store, *args, **kwargs)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own connections, never the parent's pooled ones
        os.close(r)
        code = 1
        try:
            store.engine.dispose(close=False)
            data = pickle.dumps(fn(store, *args, **kwargs))
            with os.fdopen(w, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(w)

    def result() -> T:
        with os.fdopen(r, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0 and data:
            return pickle.loads(data)
        return fn(store, *args, **kwargs)  # the child failed: the plain call decides

    return result
