"""Reverberant speech gets a warning: a room's echo makes the detector miss fakes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from detector.channels import reverb
from detector.reverb_check import (
    MIN_SECONDS,
    ReverbCheck,
    load_reverb_check,
    reverb_features,
    reverb_warning,
)
from detector.training.fit_reverb_check import fit

VALIDATION = {"channels": {"reverb": {"eer": 0.26, "false_alarm_rate": 0.003, "miss_rate": 0.85, "ece": 0.3}}}


def _sample() -> np.ndarray:
    return sf.read(Path(__file__).resolve().parents[1] / "resources" / "sample" / "sample.flac", dtype="float32")[0]


def _room(x: np.ndarray, rt60: float = 0.5) -> np.ndarray:
    return reverb(x, 16000, rt60, np.random.default_rng(0))


def test_features_need_a_second_of_sound_at_16_khz():
    x = _sample()
    assert reverb_features(x[: int(MIN_SECONDS * 16000) - 1]) is None
    assert reverb_features(np.zeros(32000, np.float32)) is None  # digital silence
    assert reverb_features(x, 8000) is None
    f = reverb_features(x)
    assert f.shape == (320,) and np.isfinite(f).all()
    np.testing.assert_array_equal(f, reverb_features(x.copy()))  # deterministic
    # level does not matter (the check normalises it)
    np.testing.assert_allclose(reverb_features(x * 0.1), f, atol=1e-4)


def test_shipped_check_flags_the_sample_in_a_room_and_not_dry():
    check = load_reverb_check()
    assert check is not None, "resources/checks/reverb-check.json is missing"
    x = _sample()
    assert reverb_warning(x, 16000, VALIDATION, check) is None
    w = reverb_warning(_room(x), 16000, VALIDATION, check)
    assert w is not None and "room echo" in w and "85%" in w
    assert "not measured" in reverb_warning(_room(x), 16000, None, check)


def test_shipped_check_carries_its_measured_rates():
    measured = load_reverb_check().measured
    assert "fit_reverb_check" in measured["command"]
    val = measured["val_flagged"]
    assert val["reverb"] > 0.5 and val["clean"] < 0.05  # what the README and the module doc claim


def test_a_missing_or_broken_check_file_means_no_warning_not_a_crash(tmp_path: Path):
    assert load_reverb_check(str(tmp_path / "missing.json")) is None
    bad = tmp_path / "bad.json"
    bad.write_text('{"mean": [1, 2], "std": [1], "coef": [1, 2], "intercept": 0, "threshold": 0}')
    assert load_reverb_check(str(bad)) is None
    bad.write_text("not json")
    assert load_reverb_check(str(bad)) is None


def test_fit_separates_and_sets_the_threshold_at_one_percent_of_dry_copies():
    rng = np.random.default_rng(0)
    dry = rng.standard_normal((600, 5))
    room = rng.standard_normal((100, 5)) + np.array([5.0, 0, 0, 0, 0])
    check = fit(np.r_[dry, room], np.array(["clean"] * 600 + ["reverb"] * 100))
    flagged = np.array([check.score(f) > check.threshold for f in np.r_[dry, room]])
    assert flagged[:600].mean() == pytest.approx(0.01, abs=0.005)
    assert flagged[600:].mean() > 0.95
    again = ReverbCheck.from_dict(check.to_dict())
    assert again.score(room[0]) == pytest.approx(check.score(room[0]))
