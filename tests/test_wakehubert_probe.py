"""The WakeHuBERT-tiny harness's pieces that decide what a figure means: whole families per fold, and the
pooled statistics (the model card quotes its result; the ONNX wheel itself is not needed here)."""

from __future__ import annotations

import numpy as np

from detector.training.wakehubert_probe import dev_folds, fit_predict, pooled_stats


def test_dev_folds_hold_out_whole_families_of_both_classes():
    fam = np.array(["a"] * 5 + ["b"] * 3 + ["c"] * 4 + ["r1"] * 6 + ["r2"] * 2 + ["r3"] * 3)
    y = np.array([1] * 12 + [0] * 11)
    fold = dev_folds(y, fam, k=3)
    for f in set(fam):
        assert len(set(fold[fam == f])) == 1  # a family never straddles folds
    assert set(fold[y == 1]) == {0, 1, 2} and set(fold[y == 0]) == {0, 1, 2}


def test_pooled_stats_and_a_tiny_network_run_on_frame_sequences():
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 128)).astype(np.float16) for n in (30, 1, 250, 80)]
    assert pooled_stats(seqs).shape == (4, 7 * 128)
    y = np.array([1, 0, 1, 0])
    fam = np.array(["f", "r", "f", "r"])
    scores, params = fit_predict("gru", 1, seqs * 8, np.tile(y, 8), np.tile(fam, 8), seqs)
    assert scores.shape == (4,) and np.isfinite(scores).all() and params > 10_000
