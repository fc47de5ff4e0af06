"""desktop.waveform_view: envelope pyramid, lanes, time axis, spectrogram."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytestmark = pytest.mark.timeout(120)


def _brute(samples, i0, i1):
    seg = samples[i0:i1]
    return float(seg.min()), float(seg.max())


def test_envelope_pyramid_bounds_and_size():
    from desktop.waveform_view import BASE_BIN, EnvelopePyramid

    rng = np.random.default_rng(1)
    sr = 16000
    x = (rng.standard_normal(sr * 600) * 0.1).astype(np.float32)  # 10 minutes
    x[sr * 300] = 0.99  # one spike in the middle must survive any zoom level
    pyr = EnvelopePyramid.build(x, sr)
    assert len(pyr.mins) == int(np.ceil(len(x) / BASE_BIN))
    for keep in (True, False):
        p = pyr if keep else EnvelopePyramid(pyr.mins, pyr.maxs, pyr.n_samples, sr, None)
        t, mins, maxs = p.view(0.0, 600.0, 2000)
        assert len(t) <= 2000 and len(mins) == len(maxs) == len(t)
        assert maxs.max() == pytest.approx(0.99) and mins.min() == pytest.approx(x.min())
        assert np.all(np.diff(t) > 0) and t[0] >= 0 and t[-1] <= 600
    # Zoomed in: envelope from the samples; spans contain the true extremes of the window.
    t, mins, maxs = pyr.view(299.9, 300.1, 400)
    lo, hi = _brute(x, int(299.9 * sr), int(300.1 * sr))
    assert maxs.max() == pytest.approx(hi) and mins.min() == pytest.approx(lo)
    # Closer than one sample per bin: the samples themselves.
    t, mins, maxs = pyr.view(300.0, 300.01, 400)
    assert mins is maxs and len(t) == 160


def test_three_hour_overview_draws_from_the_pyramid_quickly():
    """A 3-hour file: the full view reduces the base level (~675k bins), not 173 M samples."""
    from desktop.waveform_view import EnvelopePyramid

    sr = 16000
    n = 3 * 3600 * sr
    n_base = n // 256
    rng = np.random.default_rng(0)
    mins = -np.abs(rng.standard_normal(n_base)).astype(np.float32) * 0.1
    maxs = -mins
    pyr = EnvelopePyramid(mins, maxs, n, sr, samples=None)
    t0 = time.perf_counter()
    t, lo, hi = pyr.view(0, 3 * 3600, 2800)
    elapsed = time.perf_counter() - t0
    assert len(t) == 2800
    assert elapsed < 0.5, f"overview took {elapsed:.3f} s"


def test_lanes_keep_overlapping_chunks_apart():
    from detector.timeline import assign_lanes
    from detector.chunking import ChunkSettings, plan_chunks
    from detector.result import ChunkResult

    spans = plan_chunks(16000 * 61, 16000, ChunkSettings(5.0, 0.5))
    chunks = [ChunkResult.from_probabilities(s, 0.3, 0.7) for s in spans]
    lanes = assign_lanes(chunks)
    assert set(lanes) <= {0, 1, 2}
    for i, a in enumerate(chunks):
        for j, b in enumerate(chunks):
            if i < j and lanes[i] == lanes[j]:
                assert a.end_time <= b.start_time or b.end_time <= a.start_time


def test_time_axis_is_mm_ss():
    from desktop.style import format_mmss
    from desktop.waveform_view import TimeAxis

    assert format_mmss(75.3) == "01:15"
    assert format_mmss(75.3, precise=True) == "01:15.3"
    assert format_mmss(3723) == "1:02:03"
    axis = TimeAxis()
    assert axis.tickStrings([0, 60, 125], 1, 5) == ["00:00", "01:00", "02:05"]
    major = axis.tickSpacing(0, 3 * 3600, 1000)[0][0]
    assert major in (900, 1800)  # clock-friendly steps for a 3-hour view


def test_spectrogram_shows_the_visible_range_and_outlives_the_samples(qtbot):
    from desktop.waveform_view import SPECTROGRAM_COLUMNS, EnvelopePyramid, WaveformView

    sr = 16000
    t = np.arange(sr * 60) / sr
    # A minute of 1 kHz tone with a 6 kHz passage from 30 to 40 s: the image must put it there.
    x = (0.5 * np.sin(2 * np.pi * np.where((t >= 30) & (t < 40), 6000, 1000) * t)).astype(np.float32)
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    pyr = EnvelopePyramid.build(x, sr)
    view.set_audio(pyr)
    img = view._spec_image
    assert img.image is not None and img.image.shape[0] == SPECTROGRAM_COLUMNS  # the whole file's overview
    assert img.mapRectToParent(img.boundingRect()).right() == pytest.approx(60.0, abs=0.05)
    peak_hz = img.image.argmax(axis=1) * (sr / 2) / (img.image.shape[1] - 1)
    cols = np.linspace(0, 60, SPECTROGRAM_COLUMNS + 1)[:-1] + 30 / SPECTROGRAM_COLUMNS
    inside = (cols > 31) & (cols < 39)
    assert np.all(np.abs(peak_hz[inside] - 6000) < 40) and np.all(np.abs(peak_hz[cols < 29] - 1000) < 40)
    levels = img.getLevels()
    # Zoomed in: computed from the samples for the visible range, on the same colour scale.
    view.wave_plot.setXRange(35.0, 37.0, padding=0)
    view._envelope_timer.timeout.emit()
    rect = img.mapRectToParent(img.boundingRect())
    assert rect.left() == pytest.approx(35.0, abs=0.01) and rect.right() == pytest.approx(37.0, abs=0.01)
    assert np.allclose(img.getLevels(), levels)
    # The samples of an older file are dropped: the overview is still drawn when it is shown again.
    pyr.samples = None
    view.set_audio(pyr)
    assert img.image is not None and img.image.shape[0] == SPECTROGRAM_COLUMNS
    # A recording shorter than one FFT frame: no image, no error.
    view.set_audio(EnvelopePyramid.build(np.zeros(100, np.float32), sr))
    assert img.image is None


def test_streamed_chunks_are_redrawn_less_often_as_the_redraw_gets_slower(qtbot, monkeypatch):
    """Each redraw draws every chunk so far: at a fixed 100 ms a 3-hour file's redraws slowed its analysis
    in the window by ~40 % (issue 34). After a redraw the next waits STREAM_REDRAW_SHARE times as long."""
    from desktop import waveform_view as wv

    view = wv.WaveformView()
    qtbot.addWidget(view)
    monkeypatch.setattr(view, "_redraw_chunks", lambda: time.sleep(0.02))
    view._redraw_streamed_chunks()
    assert view._chunk_timer.interval() >= wv.STREAM_REDRAW_SHARE * 20 * 0.9
    monkeypatch.setattr(view, "_redraw_chunks", lambda: None)
    view._redraw_streamed_chunks()
    assert view._chunk_timer.interval() == wv.STREAM_REDRAW_MIN_MS
