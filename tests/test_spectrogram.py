"""The display spectrogram: right frequencies and levels, bounded work, edges handled."""

from __future__ import annotations

import numpy as np
import pytest

from detector.spectrogram import N_FFT, display_levels, spectrogram_image
from faik_testkit import read_png

SR = 16000


def _tone(hz: float, seconds: float, amp: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_a_full_scale_tone_reads_0_db_at_its_frequency():
    img = spectrogram_image(_tone(1000.0, 2.0), SR, 0.0, 2.0, 100)
    assert img.n_columns == 100 and img.db.shape[1] == N_FFT // 2 + 1 and img.max_hz == 8000.0
    peak = img.db.argmax(axis=1)
    assert np.all(np.abs(peak * img.max_hz / (img.db.shape[1] - 1) - 1000.0) <= 16.0)
    assert np.allclose(img.db.max(axis=1), 0.0, atol=0.2)
    quiet = spectrogram_image(_tone(1000.0, 2.0, amp=0.01), SR, 0.0, 2.0, 100)
    assert np.allclose(quiet.db.max(axis=1), -40.0, atol=0.2)


def test_columns_follow_the_time_range():
    # 1 kHz for a second, then 4 kHz: the columns of each half show their own tone.
    x = np.concatenate([_tone(1000.0, 1.0), _tone(4000.0, 1.0)])
    img = spectrogram_image(x, SR, 0.0, 2.0, 40)
    hz = img.db.argmax(axis=1) * img.max_hz / (img.db.shape[1] - 1)
    assert np.all(np.abs(hz[:19] - 1000) <= 16) and np.all(np.abs(hz[21:] - 4000) <= 16)
    late = spectrogram_image(x, SR, 1.5, 3.0, 10)  # clipped to the recording's end
    assert late.t0 == 1.5 and late.t1 == 2.0
    assert np.all(np.abs(late.db.argmax(axis=1) * late.max_hz / (late.db.shape[1] - 1) - 4000) <= 16)


def test_a_long_recording_gets_the_columns_asked_for_each_averaging_its_stretch():
    long = np.random.default_rng(0).standard_normal(SR * 600).astype(np.float32) * 0.1
    img = spectrogram_image(long, SR, 0.0, 600.0, 300, per_column=4)
    assert img.n_columns == 300
    # white noise is flat: no column or band stands out
    assert np.ptp(img.db.mean(axis=1)) < 2.0 and np.ptp(img.db[:, 5:-5].mean(axis=0)) < 3.0
    # a range too short for many distinct frames gets fewer columns, one too short for a frame none
    assert spectrogram_image(long, SR, 0.0, 0.1, 1000).n_columns == int(0.1 * SR) // (N_FFT // 4)
    assert spectrogram_image(long, SR, 0.0, 0.01, 100) is None
    assert spectrogram_image(long[:100], SR, 0.0, 1.0, 100) is None
    assert spectrogram_image(long, SR, 5.0, 4.0, 100) is None


def test_levels_span_the_dynamic_range_below_the_loud_end():
    img = spectrogram_image(_tone(500.0, 1.0, amp=0.5), SR, 0.0, 1.0, 50)
    lo, hi = display_levels(img)
    assert hi == pytest.approx(np.percentile(img.db, 99.5)) and hi - lo == pytest.approx(80.0)
    silent = spectrogram_image(np.zeros(SR, np.float32), SR, 0.0, 1.0, 20)
    assert np.all(silent.db == pytest.approx(-120.0))


def test_print_pixels_put_loud_dark_and_high_frequencies_on_top_and_the_png_round_trips():
    from detector.spectrogram import grayscale_pixels, png_bytes

    img = spectrogram_image(_tone(6000.0, 1.0), SR, 0.0, 1.0, 30)
    px = grayscale_pixels(img, display_levels(img), rows=64)
    assert px.shape == (64, 30) and px.dtype == np.uint8
    darkest_row = int(np.median(px.argmin(axis=0)))
    assert darkest_row == 63 - int(6000 / 8000 * 64)  # 6 kHz, counted from the top
    assert px.max() == 255  # the quiet bins are white
    assert np.array_equal(read_png(png_bytes(px)), px)
    with pytest.raises(ValueError):
        png_bytes(np.zeros((0, 3), np.uint8))
