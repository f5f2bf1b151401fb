"""Check of `star-unpacking`: a second, real execution of the call by CPython itself.

There is no torch op for argument binding, so the independent computation here is the
interpreter: the def is built from the generator's own params (a fixed catalog of four
function bodies, an int default, int values and parameter names from a fixed list; never
user input), defined with exec, and the call expression is evaluated with the real * and **
unpacking. A TypeError means the answer is "error" (result None). Compiled code is cached
per source text, so a check costs one call.
"""

from __future__ import annotations

import functools
import platform
from types import CodeType
from typing import Any

from quizzer.generators.star_unpacking import call_text, source
from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version


def snippet(def_source: str, call: str) -> str:
    return f"""{def_source}


try:
    print({call})
except TypeError as e:
    print(f"TypeError: {{e}}")
"""


@functools.cache
def _function(def_source: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(def_source, namespace)  # the generator's own def (fixed bodies), not user input
    return next(v for k, v in namespace.items() if k != "__builtins__")


@functools.cache
def _compiled(call: str) -> CodeType:
    return compile(call, "<star-unpacking call>", "eval")


@checker("star-unpacking")
def check(q: Question) -> Check:
    p = q.params
    fn = p["function"]
    def_source, call = source(fn, p["default"]), call_text(fn, p["call"])
    func = _function(def_source)
    try:
        value = eval(_compiled(call), {fn: func})  # the real f(*..., **...) call
        output = str(value)
        result = list(value) if isinstance(value, tuple) else value
    except TypeError as exc:
        result, output = None, f"TypeError: {exc}"
    return Check(
        result=result,
        expected=result,
        code=snippet(def_source, call),
        output=output,
        method=(
            f"torch {torch_version()} checker without a torch op: CPython "
            f"{platform.python_version()} defines the function and runs the call itself"
        ),
    )
