"""Torch check of `motion-blur`: H = T·torch.sinc(a)·torch.exp(−jπa) in complex128.

a = u·R·cos θ + v·R·sin θ is computed by torch from θ in degrees (torch.deg2rad); torch.sinc
is the normalized sinc sin(πx)/(πx) with its limit 1 at 0, exactly the formula's factor.
The magnitude, real part and phase are H.abs(), H.real and torch.angle(H). The first zero
along an axis is found by torch too, without the formula's 1/(R·cos θ): H = A·exp(−jπa) with
the real amplitude A = T·torch.sinc(a), so H = 0 where A changes sign; the first change on a
grid of frequencies from 0 is bisected down to neighbouring float64 numbers, so the zero is
as exact as float64 allows (a grid alone would round it to the grid).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import torch

from quizzer.question import Question
from quizzer.verify import Check, checker, torch_version

_SHOW = {"magnitude": "H.abs()", "real": "H.real", "phase": "torch.angle(H)"}
_NAME = {"magnitude": "|H|", "real": "Re H", "phase": "arg H"}


def _float(text: str) -> float:
    return float(Fraction(text))


def value_snippet(p: dict[str, Any], ask: str) -> str:
    return f"""import math

import torch

u, v, R, T = {p["u"]}, {p["v"]}, {p["R"]}, {p["T"]}
theta = torch.deg2rad(torch.tensor({float(p["theta"])}, dtype=torch.float64))
a = u * R * torch.cos(theta) + v * R * torch.sin(theta)
H = T * torch.sinc(a) * torch.exp(-1j * math.pi * a)  # torch.sinc(x) = sin(pi x)/(pi x)
print(f"H = {{H.item():.6f}}")
print(f"{_NAME[ask]} = {{{_SHOW[ask]}.item():.6f}}")
"""


def zero_snippet(p: dict[str, Any]) -> str:
    on_u = p["u"] is None
    w, trig = ("u", "cos") if on_u else ("v", "sin")
    return f"""import math

import torch

R, T = {p["R"]}, {p["T"]}
theta = torch.deg2rad(torch.tensor({float(p["theta"])}, dtype=torch.float64))


def amplitude(w):  # H = amplitude * exp(-j*pi*a) along the {w} axis: |H| = |amplitude|
    return T * torch.sinc(torch.as_tensor(w, dtype=torch.float64) * R * torch.{trig}(theta))


def H(w):
    a = torch.as_tensor(w, dtype=torch.float64) * R * torch.{trig}(theta)
    return T * torch.sinc(a) * torch.exp(-1j * math.pi * a)


# H = 0 where the real amplitude changes sign: find the first change on a grid from 0,
# then bisect it down to neighbouring float64 numbers (the amplitude is > 0 before it)
w = torch.linspace(0.0, 2.0, 2001, dtype=torch.float64)
A = amplitude(w)
i = int(torch.nonzero(A[:-1] * A[1:] <= 0)[0])
lo, hi = w[i].item(), w[i + 1].item()
while lo < (mid := (lo + hi) / 2) < hi:
    lo, hi = (mid, hi) if amplitude(mid) > 0 else (lo, mid)
zero = lo if amplitude(lo).abs() <= amplitude(hi).abs() else hi
print(f"first zero at {w} = {{zero:.6f}}, |H| there = {{H(zero).abs().item():.6f}}")
"""


def _first_zero(p: dict[str, Any]) -> tuple[float, float]:
    """The first zero of H along the asked axis, and |H| there: the first sign change of the
    real amplitude T·torch.sinc(a) on a grid, bisected down to neighbouring float64s."""
    r, t = p["R"], _float(p["T"])
    theta = torch.deg2rad(torch.tensor(float(p["theta"]), dtype=torch.float64))
    trig = torch.cos(theta) if p["u"] is None else torch.sin(theta)

    def amplitude(w: Any) -> torch.Tensor:
        return t * torch.sinc(torch.as_tensor(w, dtype=torch.float64) * r * trig)

    w = torch.linspace(0.0, 2.0, 2001, dtype=torch.float64)
    amp = amplitude(w)
    i = int(torch.nonzero(amp[:-1] * amp[1:] <= 0)[0])
    lo, hi = w[i].item(), w[i + 1].item()
    while lo < (mid := (lo + hi) / 2) < hi:
        lo, hi = (mid, hi) if amplitude(mid) > 0 else (lo, mid)
    zero = lo if amplitude(lo).abs() <= amplitude(hi).abs() else hi
    a = torch.as_tensor(zero, dtype=torch.float64) * r * trig
    h = t * torch.sinc(a) * torch.exp(-1j * math.pi * a)
    return zero, h.abs().item()


@checker("motion-blur")
def check(q: Question) -> Check:
    p, version = q.params, torch_version()
    with torch.no_grad():
        if q.ask == "zero":
            w0, m0 = _first_zero(p)
            name = "u" if p["u"] is None else "v"
            return Check(
                result=w0,
                expected=w0,
                code=zero_snippet(p),
                output=f"first zero at {name} = {w0:.6f}, |H| there = {m0:.6f}",
                method=f"torch {version}: sign change of T*torch.sinc(a), bisected in float64",
            )
        u, v, r, t = _float(p["u"]), _float(p["v"]), p["R"], _float(p["T"])
        theta = torch.deg2rad(torch.tensor(float(p["theta"]), dtype=torch.float64))
        a = u * r * torch.cos(theta) + v * r * torch.sin(theta)
        h = t * torch.sinc(a) * torch.exp(-1j * math.pi * a)
        shown = {"magnitude": h.abs(), "real": h.real, "phase": torch.angle(h)}[q.ask].item()
        z = h.item()
    return Check(
        result=[z.real, z.imag],
        expected=shown,
        code=value_snippet(p, q.ask),
        output=f"H = {z:.6f}\n{_NAME[q.ask]} = {shown:.6f}",
        method=f"torch {version}: T * torch.sinc(a) * torch.exp(-1j*pi*a) in complex128",
    )
