"""The window's parts on their own: envelope pyramid, lanes, time axis, playback fallback, self-test."""

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


def test_playback_unavailable_disables_the_button_with_a_reason(qtbot, monkeypatch):
    from desktop.main_window import MainWindow

    monkeypatch.setenv("FAIK_NO_AUDIO", "1")
    w = MainWindow()
    qtbot.addWidget(w)
    assert not w.player.available
    assert not w.play_button.isEnabled()
    assert "disabled" in w.play_button.toolTip()


def test_playback_survives_a_broken_qtmultimedia(monkeypatch):
    import builtins

    from desktop import playback

    monkeypatch.delenv("FAIK_NO_AUDIO", raising=False)
    real_import = builtins.__import__

    def fake_import(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "PySide6" and fromlist and "QtMultimedia" in fromlist:
            raise ImportError("libpulse.so.0: cannot open shared object file")
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    mm, reason = playback._probe_multimedia()
    assert mm is None and "libpulse" in reason


def test_streamed_chunks_are_drawn_before_the_result_arrives(qtbot, make_window, write_audio):
    window = make_window(batch_delay_s=0.05)
    seen = []

    def on_chunk_drawn(*_):
        if window.is_busy():
            seen.append(len(window.waveform.regions()))

    window.waveform._chunk_timer.timeout.connect(on_chunk_drawn)
    with qtbot.waitSignal(window.queue_idle, timeout=60000):
        window.add_files([write_audio("stream.wav", 40.0)])
    assert seen and max(seen) > 0  # regions appeared while the worker was still running
    assert len(window.waveform.regions()) == window.queue.items[0].result.total_chunks


def test_self_test_passes_and_fails_with_a_message(tiny_model_dir, write_audio, monkeypatch, capsys, tmp_path):
    from desktop import app

    sample = write_audio("sample.flac", 6.0)
    monkeypatch.setattr(app, "sample_path", lambda: sample)
    assert app.main(["--self-test", "--model", str(tiny_model_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("self-test OK") and "JSON valid" in out and out.count("\n") == 1
    assert app.main(["--self-test", "--model", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("self-test FAILED") and "Traceback" not in err


def test_hundreds_of_thousands_of_qt_calls_do_not_abort_the_process():
    """PySide6 6.12.0 on Python 3.11 drops a reference to None/True per void call/emit (see
    desktop/_pyside_fix.py); without the workaround this loop aborts with 'deallocating None'."""
    import sys

    import desktop  # noqa: F401 - applies the workaround when this PySide6 needs it
    from desktop._pyside_fix import _Probe

    probe = _Probe()
    got = []
    probe.sig.connect(lambda: got.append(1))
    for _ in range(200_000):
        probe.setObjectName("x")
        probe.sig.emit()
    assert len(got) == 200_000
    assert sys.getrefcount(None) > 0 and sys.getrefcount(True) > 0


def test_model_source_dialog_maps_choices_to_sources(qtbot, tmp_path):
    from desktop.model_panel import ModelSourceDialog
    from detector.model_service import SEED_HUB_MODEL_ID

    d = ModelSourceDialog(None, None)
    qtbot.addWidget(d)
    assert d.source() is None  # built-in by default
    d.folder.setChecked(True)
    d.folder_edit.setText(str(tmp_path))
    assert d.source() == str(tmp_path)
    d.hub.setChecked(True)
    assert d.source() == SEED_HUB_MODEL_ID  # the placeholder is the seed's hub model
    d.hub_edit.setText("someone/other-model")
    assert d.source() == "someone/other-model"
    again = ModelSourceDialog(None, str(tmp_path))  # reopening shows the current folder
    qtbot.addWidget(again)
    assert again.folder.isChecked() and again.source() == str(tmp_path)


def test_player_plays_a_span_and_stops_at_its_end(qtbot, monkeypatch):
    """Runs only where an audio output exists (e.g. a PulseAudio null sink); skipped otherwise."""
    from desktop.playback import ChunkPlayer

    monkeypatch.delenv("FAIK_NO_AUDIO", raising=False)
    player = ChunkPlayer()
    if not player.available:
        pytest.skip(player.unavailable_reason)
    sr = 16000
    tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(sr * 3) / sr)).astype(np.float32)
    positions = []
    player.position_changed.connect(positions.append)
    with qtbot.waitSignal(player.playing_changed, timeout=10000, check_params_cb=lambda on: not on):
        assert player.play(tone, sr, 1.0, 1.5)
    assert positions and 1.0 <= positions[0] <= positions[-1] <= 1.5
    assert positions[-1] == pytest.approx(1.5, abs=0.05)
    assert not player.is_playing()


def test_banner_source_line_comes_from_provenance():
    from desktop.verdict_banner import source_line

    prov = {"input": {"duration_s": 75.25, "container": "ogg", "codec": "opus", "sample_rate": 44100,
                      "channels": 2, "sha256": "ab" * 32},
            "model": {"name": "faik-detector-v1"}, "warnings": ["audio is clipped in 3 % of samples"]}
    line = source_line(prov)
    assert line.startswith("01:15.2 · ogg opus, 44.1 kHz stereo · SHA-256 abababababab… · model faik-detector-v1")
    assert "⚠ audio is clipped" in line
    assert source_line({}) == ""
    assert "flac, 16 kHz mono ·" in source_line({"input": {"container": "flac", "codec": "flac",
                                                            "sample_rate": 16000, "channels": 1, "sha256": "0" * 64}})


def test_banner_says_chunk_for_a_one_chunk_result(qtbot):
    from desktop.verdict_banner import VerdictBanner
    from detector.chunking import ChunkSettings, plan_chunks
    from detector.result import ChunkResult, aggregate

    span = plan_chunks(16000 * 3, 16000, ChunkSettings())[0]
    result = aggregate([ChunkResult.from_probabilities(span, 0.9, 0.1)], ChunkSettings())
    banner = VerdictBanner()
    qtbot.addWidget(banner)
    banner.show_result(result, "clip.wav")
    assert "1 of 1 chunk sounds AI-generated (100%), 0 sound real" in banner.details_text()


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
