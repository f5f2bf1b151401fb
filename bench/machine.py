"""The machine's load, printed with the figures it may have disturbed."""

from __future__ import annotations

import os


def load() -> str:
    one, five, fifteen = os.getloadavg()
    cores = os.cpu_count()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {cores} cores"
