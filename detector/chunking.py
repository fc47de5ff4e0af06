"""Chunk plan: which sample ranges of a recording the model classifies.

The seed's loop ``range(0, len(audio) - chunk + 1, step)`` dropped the tail and
returned nothing for clips shorter than one chunk. Here the whole recording is
always covered:

* chunks start at ``0, step, 2*step, ...`` while they fit entirely;
* if the last regular chunk ends before the recording does, the tail is
  classified with a full-length window aligned to the end (``[n - chunk, n)``):
  when the uncovered rest is at most half a step, and the chunk before the last
  still reaches the new start, the last chunk is *moved* there; otherwise one
  more chunk is *added* there;
* a recording shorter than one chunk gets exactly one chunk, ``[0, n)``.

Why move: adding a chunk for a rest of a few milliseconds gave two chunks that
overlap by 99.8 % (a 7.51-s clip at 5 s / 50 %: 0-5, 2.5-7.5 *and* 2.51-7.51 s);
the window listed the same times twice and the tail counted twice in the mean
and the vote. Moving keeps every sample covered; at 50 % overlap or more the
last chunk then starts at least half a step after the one before. A rest longer
than the overlap cannot be taken by moving without leaving a gap (always so at
0 % overlap), so it gets a chunk of its own. The training recipes of models
up to v12 chunked with the older rule (always add); ``shift_tail=False`` keeps
it so that their recipes reproduce the shipped weights.

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
# Bumped when the plan's rule changes (2: the near-duplicate tail chunk is moved, not added), so that
# caches of file scores keyed by weights do not serve scores of the older rule.
PLAN_VERSION = 2


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


def plan_chunks(n_samples: int, sample_rate: int, settings: ChunkSettings,
                shift_tail: bool = True) -> list[ChunkSpan]:
    """Cover ``n_samples`` with chunks as described in the module docstring.

    Returns an empty list only for ``n_samples == 0``. ``shift_tail=False``: the rule of the
    training recipes up to v12 (an end-aligned chunk is always added, never moved).
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
        if shift_tail and _moves_tail(n_samples, chunk, step, len(starts)):
            starts[-1] = n_samples - chunk
        else:
            starts.append(n_samples - chunk)
    return [ChunkSpan(i, s, s + chunk, sample_rate) for i, s in enumerate(starts)]


def _moves_tail(n_samples: int, chunk: int, step: int, regular: int) -> bool:
    """Whether the uncovered rest after ``regular`` grid chunks is taken by moving the last one
    (module docstring): the rest is at most half a step, there is a chunk before the last, and
    that chunk's end still reaches the moved chunk's start (the rest is within the overlap)."""
    rest = n_samples - ((regular - 1) * step + chunk)
    return regular >= 2 and 2 * rest <= step and rest <= chunk - step


def count_chunks(n_samples: int, sample_rate: int, settings: ChunkSettings, shift_tail: bool = True) -> int:
    """Number of chunks :func:`plan_chunks` would return, without building them."""
    if n_samples <= 0:
        return 0
    chunk, step = chunk_geometry(settings, sample_rate)
    if n_samples <= chunk:
        return 1
    regular = (n_samples - chunk) // step + 1
    if (regular - 1) * step + chunk == n_samples or (shift_tail and _moves_tail(n_samples, chunk, step, regular)):
        return regular
    return regular + 1


def spread_windows(n_samples: int, window: int, count: int) -> list[tuple[int, int]]:
    """``count`` windows of ``window`` samples spread evenly from the start to the end of a signal,
    as ``(start, end)`` pairs: how the input checks sample a long recording cheaply. A signal no
    longer than one window is one window, the whole signal."""
    if n_samples <= window:
        return [(0, n_samples)]
    starts = np.linspace(0, n_samples - window, num=max(1, count)).astype(np.int64)
    return [(int(s), int(s) + window) for s in starts]
