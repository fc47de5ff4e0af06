"""detector.chunking: validated settings and a chunk plan that covers the whole recording."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detector.chunking import (
    DEFAULT_CHUNK_DURATION_S,
    DEFAULT_OVERLAP,
    ChunkSettings,
    ChunkSpan,
    chunk_geometry,
    count_chunks,
    plan_chunks,
)
from detector.errors import FaikError, SettingsError

SR = 16000


# ----------------------------------------------------------------------------- settings


def test_defaults_are_the_seeds():
    s = ChunkSettings()
    assert (s.chunk_duration, s.overlap) == (DEFAULT_CHUNK_DURATION_S, DEFAULT_OVERLAP) == (5.0, 0.5)


@pytest.mark.parametrize("d", [1.0, 1, 5.0, 29.99, 30, 30.0])
def test_valid_durations(d):
    assert ChunkSettings(chunk_duration=d).chunk_duration == d


@pytest.mark.parametrize("d", [0.99, 0, -5, 30.01, 1e9, math.nan, math.inf, -math.inf, "5", None])
def test_invalid_durations(d):
    with pytest.raises(SettingsError) as ei:
        ChunkSettings(chunk_duration=d)
    msg = str(ei.value)
    assert "chunk duration must be between 1 and 30 seconds" in msg and "\n" not in msg
    assert isinstance(ei.value, FaikError) and isinstance(ei.value, ValueError)


@pytest.mark.parametrize("o", [0, 0.0, 0.25, 0.5, 0.9])
def test_valid_overlaps(o):
    assert ChunkSettings(overlap=o).overlap == o


@pytest.mark.parametrize("o", [-0.01, 0.91, 1.0, 50, math.nan, math.inf, "0.5", None])
def test_invalid_overlaps(o):
    with pytest.raises(SettingsError, match=r"overlap must be a ratio between 0 and 0.9 \(e.g. 0.5 for 50 %"):
        ChunkSettings(overlap=o)


def test_numpy_numbers_are_accepted_as_plain_floats():
    """Values from numpy (sliders, config arrays) are numbers too; they come out as Python floats."""
    s = ChunkSettings(chunk_duration=np.float32(2.5), overlap=np.float64(0.25))
    assert s == ChunkSettings(2.5, 0.25)
    assert type(s.chunk_duration) is float and type(s.overlap) is float
    assert ChunkSettings(chunk_duration=np.int64(5)).chunk_duration == 5.0


@pytest.mark.parametrize("field", ["chunk_duration", "overlap"])
def test_booleans_are_not_numbers_here(field):
    with pytest.raises(SettingsError):
        ChunkSettings(**{field: True})


def test_settings_are_frozen():
    s = ChunkSettings()
    with pytest.raises(AttributeError):
        s.overlap = 0.1  # type: ignore[misc]


# ----------------------------------------------------------------------------- geometry


@pytest.mark.parametrize(
    "d, o, chunk, step",
    [(5.0, 0.5, 80000, 40000), (5.0, 0.0, 80000, 80000), (1.0, 0.9, 16000, 1600), (2.5, 0.25, 40000, 30000),
     (30.0, 0.9, 480000, 48000), (1.0, 0.75, 16000, 4000)],
)
def test_geometry(d, o, chunk, step):
    assert chunk_geometry(ChunkSettings(d, o), SR) == (chunk, step)


def test_geometry_step_is_at_least_one_sample():
    assert chunk_geometry(ChunkSettings(1.0, 0.9), 5)[1] >= 1


# ----------------------------------------------------------------------------- plan


def test_empty_signal_has_no_chunks():
    assert plan_chunks(0, SR, ChunkSettings()) == []
    assert count_chunks(0, SR, ChunkSettings()) == 0


@pytest.mark.parametrize("n", [1, 400, 16000, 79999, 80000])
def test_short_clip_gets_exactly_one_chunk(n):
    spans = plan_chunks(n, SR, ChunkSettings())
    assert spans == [ChunkSpan(0, 0, n, SR)]


def test_seed_regression_tail_is_covered():
    """The seed's loop dropped the last 2 s of a 14.5-s file; here a chunk is added that ends at the last sample."""
    n = 14 * SR + SR // 2
    spans = plan_chunks(n, SR, ChunkSettings(5.0, 0.5))
    seed_starts = list(range(0, n - 80000 + 1, 40000))
    assert seed_starts[-1] + 80000 == n - 2 * SR
    assert [s.start for s in spans[:-1]] == seed_starts
    assert spans[-1].start == n - 80000 and spans[-1].end == n
    assert spans[-1].start_time == 9.5 and spans[-1].end_time == 14.5


def test_a_short_rest_moves_the_last_chunk_instead_of_adding_a_near_duplicate():
    """A 7.51-s clip at 5 s / 50 %: the grid leaves 10 ms; the last chunk moves to end there (0-5, 2.51-7.51 s)
    instead of a third chunk overlapping the second by 99.8 % (the old plan: 0-5, 2.5-7.5, 2.51-7.51)."""
    n = 7 * SR + 8160  # 7.51 s
    settings = ChunkSettings(5.0, 0.5)
    assert [(s.start, s.end) for s in plan_chunks(n, SR, settings)] == [(0, 80000), (n - 80000, n)]
    assert count_chunks(n, SR, settings) == 2
    # the training recipes' rule (v1-v12 were trained with it) is kept on request
    old = plan_chunks(n, SR, settings, shift_tail=False)
    assert [(s.start, s.end) for s in old] == [(0, 80000), (40000, 120000), (n - 80000, n)]
    assert count_chunks(n, SR, settings, shift_tail=False) == 3


def test_the_rest_is_moved_up_to_half_a_step_and_added_beyond():
    settings = ChunkSettings(5.0, 0.5)  # step 2.5 s
    moved = plan_chunks(10 * SR + SR + SR // 4, SR, settings)  # rest 1.25 s = half a step
    assert [s.start_time for s in moved] == [0, 2.5, 6.25] and len({s.start for s in moved}) == 3
    added = plan_chunks(10 * SR + SR + SR // 4 + 1, SR, settings)  # one sample more
    assert [s.start for s in added][:-1] == [0, 40000, 80000] and added[-1].end == 11 * SR + SR // 4 + 1


def test_without_overlap_nothing_is_moved_so_no_sample_is_left_out():
    """At 0 % overlap moving the last chunk would open a gap, so a short rest still gets a chunk of its own."""
    n = 10 * SR + 160
    spans = plan_chunks(n, SR, ChunkSettings(5.0, 0.0))
    assert [(s.start, s.end) for s in spans] == [(0, 80000), (80000, 160000), (n - 80000, n)]


def test_a_single_grid_chunk_is_never_moved():
    """One grid chunk and a short rest: moving it would drop the start, so the tail chunk is added."""
    n = 5 * SR + 160
    spans = plan_chunks(n, SR, ChunkSettings(5.0, 0.5))
    assert [(s.start, s.end) for s in spans] == [(0, 80000), (160, n)]


def test_no_extra_chunk_when_grid_ends_exactly():
    spans = plan_chunks(20 * SR, SR, ChunkSettings(5.0, 0.5))
    assert [(s.start_time, s.end_time) for s in spans] == [(0, 5), (2.5, 7.5), (5, 10), (7.5, 12.5), (10, 15),
                                                           (12.5, 17.5), (15, 20)]


def test_times_are_exact_to_the_sample():
    spans = plan_chunks(123457, SR, ChunkSettings(1.0, 0.3))
    for s in spans:
        assert s.start_time == s.start / SR and s.end_time == s.end / SR
        assert s.length == s.end - s.start
    assert spans[-1].end_time == 123457 / 16000


@pytest.mark.parametrize("n", [1, 79_999, 80_000, 80_001, 119_999, 120_000, 160_000, 1_234_567, 16000 * 3600 + 7])
@pytest.mark.parametrize("d, o", [(5.0, 0.5), (1.0, 0.0), (1.0, 0.9), (3.3, 0.33), (30.0, 0.9), (7.0, 0.1)])
def test_plan_invariants(n, d, o):
    settings = ChunkSettings(d, o)
    spans = plan_chunks(n, SR, settings)
    chunk, step = chunk_geometry(settings, SR)
    assert count_chunks(n, SR, settings) == len(spans)
    assert [s.index for s in spans] == list(range(len(spans)))
    assert spans[0].start == 0 and spans[-1].end == n  # whole recording covered, both ends
    for a, b in zip(spans, spans[1:]):
        assert b.start > a.start and b.start <= a.end  # no gaps, strictly advancing
    if len(spans) >= 3 and o >= 0.5:  # no near-duplicate tail (below 50 %, a rest beyond the overlap is added)
        assert 2 * (spans[-1].start - spans[-2].start) >= step
    if n >= chunk:
        assert all(s.length == chunk for s in spans)  # every chunk full length (tail aligned to the end)
        assert all(0 <= s.start and s.end <= n for s in spans)
        regular = spans[:-1] if (spans[-1].start % step) else spans
        assert all(s.start % step == 0 for s in regular)
    else:
        assert len(spans) == 1


def test_count_chunks_matches_plan_exhaustively_for_small_sizes():
    for settings in (ChunkSettings(1.0, 0.5), ChunkSettings(1.0, 0.9), ChunkSettings(2.0, 0.0), ChunkSettings(1.0, 0.3)):
        for n in range(0, 3 * 16 * 100 + 7, 7):  # at 100 Hz: many boundary cases quickly
            for shift in (True, False):
                assert count_chunks(n, 100, settings, shift) == len(plan_chunks(n, 100, settings, shift))


@pytest.mark.parametrize("n, sr", [(-1, SR), (100, 0), (100, -16000)])
def test_invalid_signal(n, sr):
    with pytest.raises(SettingsError, match="invalid signal"):
        plan_chunks(n, sr, ChunkSettings())


def test_three_hour_plan_is_quick_and_small():
    import time

    t = time.perf_counter()
    spans = plan_chunks(16000 * 3 * 3600, SR, ChunkSettings())
    assert time.perf_counter() - t < 1.0
    assert len(spans) == 4319 and spans[-1].end_time == 10800.0


def test_spread_windows_reach_both_ends_and_keep_short_signals_whole():
    from detector.chunking import spread_windows

    w = spread_windows(100_000, 16_000, 6)
    assert w[0] == (0, 16_000) and w[-1] == (84_000, 100_000) and len(w) == 6
    assert all(b - a == 16_000 for a, b in w) and [a for a, _ in w] == sorted(a for a, _ in w)
    assert spread_windows(10_000, 16_000, 6) == [(0, 10_000)]
    assert spread_windows(0, 16_000, 0) == [(0, 0)]
    assert spread_windows(50_000, 16_000, 1) == [(0, 16_000)]
