"""Metric functions against hand-computed values and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from detector.evaluate import accuracy, eer, expected_calibration_error, false_alarm_rate, miss_rate, roc_auc


def test_roc_auc_hand_example():
    # The textbook case: 3 of 4 (real, fake) pairs ordered correctly.
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_roc_auc_ties_count_half():
    assert roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert roc_auc([0, 0, 1], [0.2, 0.7, 0.7]) == pytest.approx(0.75)


def test_eer_hand_examples():
    assert eer([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == (pytest.approx(0.5), pytest.approx(0.4))
    rate, thr = eer([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert rate == pytest.approx(0.0) and thr == pytest.approx(0.8)
    # Inverted scorer: every fake below every real.
    assert eer([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])[0] == pytest.approx(1.0)


def test_eer_interpolates_between_roc_points():
    # 1 of 4 real above every fake; 1 of 4 fake below every real -> FPR = FNR = 0.25.
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.95, 0.05, 0.6, 0.7, 0.8]
    rate, thr = eer(labels, scores)
    assert rate == pytest.approx(0.25)
    assert 0.05 <= thr <= 0.95


def test_metrics_match_sklearn_on_random_scores():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(10, 300))
        y = rng.integers(0, 2, n)
        y[0], y[1] = 0, 1
        s = np.clip(rng.normal(0.5 + 0.2 * (y - 0.5), 0.25), 0, 1).round(2)  # rounding makes ties
        assert roc_auc(y, s) == pytest.approx(sk.roc_auc_score(y, s), abs=1e-12)
        fpr, tpr, thresholds = sk.roc_curve(y, s, drop_intermediate=False)
        fnr = 1 - tpr
        rate, thr = eer(y, s)
        # Between the last ROC point with FNR > FPR and the first with FNR <= FPR,
        # the EER is bounded by the larger of the smaller rates and the smaller of the larger.
        k = int(np.argmax(fnr <= fpr))
        assert max(fpr[k - 1], fnr[k]) - 1e-12 <= rate <= min(fnr[k - 1], fpr[k]) + 1e-12
        assert thr in (thresholds[k - 1], thresholds[k])


def test_ece_hand_example():
    # bin (0.8,0.867]: mean p .85, half fake -> .35 * 2/4; bin (0.133,0.2]: mean p .15, none fake -> .15 * 2/4.
    assert expected_calibration_error([1, 0, 0, 0], [0.85, 0.85, 0.15, 0.15]) == pytest.approx(0.25)
    # Perfectly calibrated: p = 0.5, half fake.
    assert expected_calibration_error([1, 0], [0.5, 0.5]) == pytest.approx(0.0)
    # Confident and right: small; confident and wrong: large.
    assert expected_calibration_error([1, 0], [1.0, 0.0]) == pytest.approx(0.0)
    assert expected_calibration_error([0, 1], [1.0, 0.0]) == pytest.approx(1.0)


def test_ece_rejects_non_probabilities():
    with pytest.raises(ValueError):
        expected_calibration_error([1], [1.5])


def test_false_alarm_and_miss_rates():
    labels = [0, 0, 0, 0, 1, 1]
    scores = [0.1, 0.5, 0.7, 0.2, 0.9, 0.3]
    assert false_alarm_rate(labels, scores) == pytest.approx(0.5)  # 0.5 and 0.7 are called fake
    assert false_alarm_rate(labels, scores, threshold=0.6) == pytest.approx(0.25)
    assert miss_rate(labels, scores) == pytest.approx(0.5)
    assert np.isnan(false_alarm_rate([1, 1], [0.2, 0.9]))
    assert accuracy(labels, scores) == pytest.approx(3 / 6)


def test_metrics_need_both_classes():
    with pytest.raises(ValueError, match="both"):
        eer([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="both"):
        roc_auc([0, 0], [0.2, 0.3])
    with pytest.raises(ValueError):
        roc_auc([0, 2], [0.2, 0.3])
