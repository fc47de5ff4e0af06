"""Neutral helpers on the time axis, shared by the report, the stretch notes and the window.

Nothing here imports another ``detector`` module, so any module may use it without closing an
import cycle (``tests/test_import_graph.py`` checks that there is none).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol


class _Span(Protocol):
    start_time: float
    end_time: float


def format_time(seconds: float) -> str:
    """``mm:ss.s`` (``h:mm:ss.s`` from one hour), as in the chunk table."""
    if not math.isfinite(seconds):
        return "?"
    tenths = int(round(max(0.0, seconds) * 10))
    s, t = divmod(tenths, 10)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}.{t}" if h else f"{m:02d}:{s:02d}.{t}"


def assign_lanes(chunks: Sequence[_Span], lane_ends: list[float] | None = None) -> list[int]:
    """Greedy lane per chunk (chunks in start order) so overlapping chunks never hide each other.

    A chunk goes to the first lane whose last chunk ended before it starts. ``lane_ends`` is
    updated in place, so chunks that stream in (the window) can be placed one by one with the
    same layout the report draws.
    """
    ends = lane_ends if lane_ends is not None else []
    out: list[int] = []
    for c in chunks:
        for i, end in enumerate(ends):
            if end <= c.start_time + 1e-9:
                ends[i] = c.end_time
                out.append(i)
                break
        else:
            ends.append(c.end_time)
            out.append(len(ends) - 1)
    return out
