"""detector.evidence: the score-to-likelihood-ratio map, its caps, Cllr, and the chunk bands."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detector.evidence import (AI, REAL, ChannelMap, EvidenceMap, HeldOutTable, band_of, chunk_band,
                               chunk_band_counts, cllr, earned_band, fit_channel_map, fit_evidence_map,
                               load_evidence, min_cllr, save_evidence)
from detector.training.fit_evidence import build_map, part_rows


def _gaussian_scores(n: int = 2000, shift: float = 1.0, seed: int = 0):
    """x ~ N(+shift, 1) for AI-generated, N(-shift, 1) for real: the true log LR is 2 * shift * x; the
    score is sigmoid(x), so logit(score) = x."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n), np.zeros(n)].astype(int)
    x = rng.standard_normal(2 * n) + shift * (2 * y - 1)
    return 1 / (1 + np.exp(-x)), y


def test_the_fitted_map_recovers_a_known_likelihood_ratio_and_is_monotone():
    s, y = _gaussian_scores(shift=1.0)
    m = fit_channel_map(s, y)
    assert m.slope == pytest.approx(2.0, abs=0.15) and m.intercept == pytest.approx(0.0, abs=0.1)
    grid = np.linspace(0.01, 0.99, 50)
    assert np.all(np.diff(m.llr(grid)) > 0)
    # Scores that say nothing get LR ~ 1 everywhere.
    rng = np.random.default_rng(1)
    flat = fit_channel_map(rng.uniform(0, 1, 400), rng.integers(0, 2, 400))
    assert abs(flat.slope) < 0.2 and np.all(np.abs(flat.llr(grid)) < 0.5)
    # Reversed scores: never an anti-monotone map.
    assert fit_channel_map(1 - s, y).slope == 0.0


def test_cllr_and_min_cllr():
    y = np.array([1, 1, 0, 0])
    assert cllr(y, np.zeros(4)) == pytest.approx(1.0)  # LR 1 everywhere costs exactly 1 bit
    assert cllr(y, np.array([20, 20, -20, -20])) < 1e-6
    assert cllr(y, np.array([-3, -3, 3, 3])) > 1  # confidently wrong: misleading evidence
    s, yy = _gaussian_scores(shift=1.0)
    m = fit_channel_map(s, yy)
    c, mc = cllr(yy, m.llr(s)), min_cllr(yy, s)
    assert 0 < mc <= c < 1 and c - mc < 0.02  # a well-fitted map is close to the best monotone one
    assert min_cllr(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        cllr(np.ones(3), np.zeros(3))


def test_verbal_bands_follow_the_enfsi_edges():
    assert band_of(0.0) == band_of(math.log10(1.9)) == band_of(-0.2) == "none"
    assert band_of(math.log10(2.0)) == band_of(-0.9) == "weak"
    assert band_of(1.0) == band_of(-1.5) == "moderate"
    assert band_of(2.5) == "moderately strong" and band_of(-3.2) == "strong"


def test_the_map_never_states_more_than_its_cap():
    emap = EvidenceMap({"clean": ChannelMap(3.0, 0.0, 10, 10)}, {AI: "moderate", REAL: "weak"})
    stated, raw, capped = emap.log10_lr(0.999, "clean")
    assert raw > 2 and capped and band_of(stated) == "moderate" and stated < 2
    stated, raw, capped = emap.log10_lr(0.001, "clean")
    assert raw < -2 and capped and band_of(stated) == "weak"
    stated, raw, capped = emap.log10_lr(0.6, "clean")
    assert not capped and stated == raw


def test_a_band_is_earned_only_where_held_out_data_show_it():
    s, y = _gaussian_scores(shift=1.0, seed=3)
    v = fit_channel_map(s, y).llr(s) / math.log(10)
    # A calibrated map on well-separated data earns up to the default ceiling, and no further without asking.
    assert earned_band(v, y, AI) == "moderate" and earned_band(v, y, REAL) == "moderate"
    # The same LRs on data they do not describe (labels shuffled) earn nothing.
    shuffled = np.random.default_rng(0).permutation(y)
    assert earned_band(v, shuffled, AI) == "none" and earned_band(v, shuffled, REAL) == "none"
    # LRs that overstate weak evidence tenfold are cut back to what the data show.
    sw, yw = _gaussian_scores(shift=0.3, seed=4)
    overstated = 10 * fit_channel_map(sw, yw).llr(sw) / math.log(10)
    assert earned_band(overstated, yw, AI, ceiling="strong") in ("none", "weak")


def test_build_map_caps_with_val_and_measures_cllr_per_channel():
    dev = {"clean": _gaussian_scores(shift=1.0, seed=5), "phone-8k": _gaussian_scores(shift=0.15, seed=6)}
    val = {"clean": _gaussian_scores(shift=1.0, seed=7), "phone-8k": _gaussian_scores(shift=0.15, seed=8)}
    emap = build_map(dev, val, weights_sha256="ab")
    # The weak phone channel limits both directions for every channel.
    assert emap.max_band[AI] in ("none", "weak") and emap.max_band[REAL] in ("none", "weak")
    m = emap.measured["channels"]
    assert set(m) == {"clean", "phone-8k"} and all(v["cllr"] < 1 and v["min_cllr"] <= v["cllr"] + 1e-9
                                                   for v in m.values())
    assert emap.held_out["clean"].lookup(0.9)["m"] >= 10


def test_held_out_table_counts_recordings_that_scored_near_the_score():
    t = HeldOutTable.build([0.9, 0.85, 0.8, 0.2, 0.1, 0.82] * 3, [1, 1, 0, 0, 0, 1] * 3)
    # 0.85-0.90 holds 3 files, too few; widened edge by edge: 0.80-0.95 holds 12, 9 of them AI-generated.
    assert t.lookup(0.87) == {"low": 0.8, "high": 0.95, "n": 9, "m": 12, "share": 0.5}
    near_half = t.lookup(0.5)  # nothing scored near 0.5: widened until 10 recordings are in
    assert near_half["m"] >= 10 and near_half["low"] < 0.5 < near_half["high"]
    assert t.lookup(1.0)["high"] == 1.0 and t.lookup(0.0)["low"] == 0.0
    assert HeldOutTable.build([0.9] * 9, [1] * 9).lookup(0.9) is None  # too few measured in all to say


def test_saved_maps_round_trip_and_damaged_ones_are_ignored(tmp_path):
    s, y = _gaussian_scores(n=200)
    emap = fit_evidence_map(s, y)
    save_evidence(tmp_path, emap)
    back = load_evidence(tmp_path)
    assert back is not None and back.channels["clean"] == emap.channels["clean"] and back.max_band == emap.max_band
    assert load_evidence(tmp_path / "missing") is None
    (tmp_path / "evidence.json").write_text("{not json", "utf-8")
    assert load_evidence(tmp_path) is None


def test_chunk_bands_put_chunks_near_the_threshold_in_unsure():
    assert chunk_band(0.55) == chunk_band(0.45) == chunk_band(0.35) == chunk_band(0.6499) == "unsure"
    assert chunk_band(0.65) == "ai-sounding" and chunk_band(0.3499) == "real-sounding"
    assert chunk_band_counts([0.55, 0.6, 0.68, 0.9, 0.1]) == {"ai-sounding": 2, "unsure": 2, "real-sounding": 1}


def test_dev_rows_are_the_held_out_train_families(tmp_path):
    from detector.training.data import DEV_FAKE_FAMILIES, DEV_REAL_FAMILIES

    index = tmp_path / "index.csv"
    index.write_text("file,label,family,split\n"
                     f"a,fake,{sorted(DEV_FAKE_FAMILIES)[0]},train\nb,fake,other,train\n"
                     f"c,real,{sorted(DEV_REAL_FAMILIES)[0]},train\nd,real,x,val\n", "utf-8")
    assert [r["file"] for r in part_rows(index, "dev")] == ["a", "c"]
    assert [r["file"] for r in part_rows(index, "val")] == ["d"]
