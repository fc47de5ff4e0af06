"""Chunk plan: which sample ranges of a recording the model classifies.

The seed's loop ``range(0, len(audio) - chunk + 1, step)`` dropped the tail and
returned nothing for clips shorter than one chunk. Here the whole recording is
always covered:

* chunks start at ``0, step, 2*step, ...`` while they fit entirely;
* if the last regular chunk ends before the recording does, one more chunk is
  added, aligned to the end (``[n - chunk, n)``), so the tail is classified
  with a full-length window;
* a recording shorter than one chunk gets exactly one chunk, ``[0, n)``.

Boundaries are integers in samples, so times (``sample / sample_rate``) are
exact to the sample.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from detector.errors import SettingsError

MIN_CHUNK_DURATION_S = 1.0
MAX_CHUNK_DURATION_S = 30.0
MIN_OVERLAP = 0.0
MAX_OVERLAP = 0.9
DEFAULT_CHUNK_DURATION_S = 5.0
DEFAULT_OVERLAP = 0.5


@dataclass(frozen=True)
class ChunkSettings:
    """The seed's two user-tunable parameters, validated on construction."""

    chunk_duration: float = DEFAULT_CHUNK_DURATION_S
    overlap: float = DEFAULT_OVERLAP

    def __post_init__(self) -> None:
        d, o = self.chunk_duration, self.overlap
        if not _is_number(d) or not math.isfinite(d) or not (
            MIN_CHUNK_DURATION_S <= d <= MAX_CHUNK_DURATION_S
        ):
            raise SettingsError(
                f"chunk duration must be between {MIN_CHUNK_DURATION_S:g} and "
                f"{MAX_CHUNK_DURATION_S:g} seconds (got {d!r})"
            )
        if not _is_number(o) or not math.isfinite(o) or not (
            MIN_OVERLAP <= o <= MAX_OVERLAP
        ):
            raise SettingsError(
                f"overlap must be a ratio between {MIN_OVERLAP:g} and {MAX_OVERLAP:g} "
                f"(e.g. 0.5 for 50 %; got {o!r})"
            )
        # Store plain floats: numpy scalars would leak into JSON (np.float32 is not serialisable).
        object.__setattr__(self, "chunk_duration", float(d))
        object.__setattr__(self, "overlap", float(o))


def _is_number(x: object) -> bool:
    """A real number (numpy scalars included), but not a bool (``True`` is not a duration)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


@dataclass(frozen=True)
class ChunkSpan:
    """One chunk: samples ``[start, end)`` of the 16 kHz mono signal."""

    index: int
    start: int
    end: int
    sample_rate: int

    @property
    def start_time(self) -> float:
        return self.start / self.sample_rate

    @property
    def end_time(self) -> float:
        return self.end / self.sample_rate

    @property
    def length(self) -> int:
        return self.end - self.start


def chunk_geometry(settings: ChunkSettings, sample_rate: int) -> tuple[int, int]:
    """Return ``(chunk_samples, step_samples)`` for the settings; step is at least 1."""
    chunk = int(round(settings.chunk_duration * sample_rate))
    step = max(1, chunk - int(round(settings.overlap * chunk)))
    return chunk, step


def plan_chunks(n_samples: int, sample_rate: int, settings: ChunkSettings) -> list[ChunkSpan]:
    """Cover ``n_samples`` with chunks as described in the module docstring.

    Returns an empty list only for ``n_samples == 0``.
    """
    if n_samples < 0 or sample_rate <= 0:
        raise SettingsError(f"invalid signal: {n_samples} samples at {sample_rate} Hz")
    if n_samples == 0:
        return []
    chunk, step = chunk_geometry(settings, sample_rate)
    if n_samples <= chunk:
        return [ChunkSpan(0, 0, n_samples, sample_rate)]
    starts = list(range(0, n_samples - chunk + 1, step))
    if starts[-1] + chunk < n_samples:
        starts.append(n_samples - chunk)
    return [ChunkSpan(i, s, s + chunk, sample_rate) for i, s in enumerate(starts)]


def count_chunks(n_samples: int, sample_rate: int, settings: ChunkSettings) -> int:
    """Number of chunks :func:`plan_chunks` would return, without building them."""
    if n_samples <= 0:
        return 0
    chunk, step = chunk_geometry(settings, sample_rate)
    if n_samples <= chunk:
        return 1
    regular = (n_samples - chunk) // step + 1
    return regular + (1 if (regular - 1) * step + chunk < n_samples else 0)


def spread_windows(n_samples: int, window: int, count: int) -> list[tuple[int, int]]:
    """``count`` windows of ``window`` samples spread evenly from the start to the end of a signal,
    as ``(start, end)`` pairs: how the input checks sample a long recording cheaply. A signal no
    longer than one window is one window, the whole signal."""
    if n_samples <= window:
        return [(0, n_samples)]
    starts = np.linspace(0, n_samples - window, num=max(1, count)).astype(np.int64)
    return [(int(s), int(s) + window) for s in starts]
