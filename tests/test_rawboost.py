"""RawBoost channel distortions (detector.training.rawboost) on synthetic speech-like audio."""

from __future__ import annotations

import numpy as np
import pytest

from detector.training.rawboost import ALGORITHMS, isd_additive, lnl_convolutive, rawboost, ssi_additive
from tests.faik_testkit import synth_speechlike

SR = 16000


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return (0.3 * synth_speechlike(2.0, SR, seed=3)).astype(np.float32)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_same_generator_same_copy_and_shape(speech, algorithm):
    a = rawboost(speech, SR, np.random.default_rng(7), algorithm)
    b = rawboost(speech, SR, np.random.default_rng(7), algorithm)
    c = rawboost(speech, SR, np.random.default_rng(8), algorithm)
    assert a.dtype == np.float32 and a.shape == speech.shape
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.all(np.isfinite(a)) and np.max(np.abs(a)) <= 1.0 + 1e-6
    assert not np.allclose(a, speech)


def test_drawn_algorithm_varies_with_the_generator(speech):
    copies = {rawboost(speech, SR, np.random.default_rng(s)).tobytes() for s in range(6)}
    assert len(copies) == 6


def test_convolutive_noise_keeps_the_signal_in_time(speech):
    # notch filters without delay: the copy still lines up with the original sample for sample
    y = lnl_convolutive(speech.astype(np.float64), SR, np.random.default_rng(0))
    lag = np.argmax(np.correlate(y[4000:12000], speech[4000 - 50:12000 + 50], mode="valid")) - 50
    assert lag == 0
    assert np.corrcoef(y, speech)[0, 1] > 0.5


def test_impulsive_noise_touches_at_most_ten_percent_of_samples(speech):
    x = 0.1 * speech.astype(np.float64) / np.max(np.abs(speech))  # quiet enough never to be rescaled
    fractions = []
    for seed in range(5):
        y = isd_additive(x, np.random.default_rng(seed))
        fractions.append(np.mean(y != x))
        assert np.max(np.abs(y - x)) <= 2 * np.max(np.abs(x)) + 1e-12
    assert 0 < max(fractions) <= 0.10


def test_stationary_noise_at_10_to_40_db_snr(speech):
    x = speech.astype(np.float64)
    for seed in range(5):
        noise = ssi_additive(x, SR, np.random.default_rng(seed)) - x
        snr = 10 * np.log10(np.sum(x ** 2) / np.sum(noise ** 2))
        assert 10.0 - 1e-6 <= snr <= 40.0 + 1e-6


def test_silence_stays_finite():
    silent = np.zeros(SR, dtype=np.float32)
    for algorithm in ALGORITHMS:
        assert np.all(np.isfinite(rawboost(silent, SR, np.random.default_rng(0), algorithm)))


def test_unknown_algorithm_is_refused(speech):
    with pytest.raises(ValueError, match="unknown RawBoost algorithm"):
        rawboost(speech, SR, np.random.default_rng(0), "echo")


def test_recipe_offers_rawboost_copies_but_reproduces_v9_without_them():
    from detector.training.train_whisper import ACOUSTIC_VARIANTS, build_parser

    args = build_parser().parse_args(["--data", "d", "--out", "o"])
    assert args.tuned_variants.split(",") == ["clean", "mp3", "opus", "aac", "phone", "noise", "reverb"]
    assert args.distil_variants == args.tuned_variants
    x = (0.3 * synth_speechlike(1.0, SR, seed=1)).astype(np.float32)
    copy = ACOUSTIC_VARIANTS["rawboost"](x, np.random.default_rng(5))
    assert np.array_equal(copy, rawboost(x, SR, np.random.default_rng(5)))
