"""Metric functions against hand-computed values and scikit-learn."""

from __future__ import annotations

import json

import numpy as np
import pytest

from faik_testkit import PeakService
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


# --------------------------------------------------------------------------- evaluate_index on a toy set

TOY = [  # file, label, family, language, peak amplitude (= P(AI))
    ("real/a1.flac", "real", "corpA", "en", 0.12),
    ("real/a2.flac", "real", "corpA", "en", 0.25),
    ("real/b1.flac", "real", "corpB", "fr", 0.62),
    ("fake/x1.flac", "fake", "genX", "en", 0.42),
    ("fake/x2.flac", "fake", "genX", "en", 0.72),
    ("fake/y1.flac", "fake", "genY", "zh", 0.92),
]


@pytest.fixture
def toy_set(tmp_path):
    import soundfile as sf

    root = tmp_path / "data"
    t = np.arange(2 * 16000) / 16000
    lines = ["file,label,system,family,language,split"]
    for f, label, fam, lang, amp in TOY:
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(root / f), (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
        lines.append(f"{f},{label},{fam}-sys,{fam},{lang},val")
    lines.append("fake/train-only.flac,fake,genZ-sys,genZ,en,train")
    (root / "fake/train-only.flac").write_bytes(b"%PDF-1.4 not audio" * 100)
    index = tmp_path / "index.csv"
    index.write_text("\n".join(lines) + "\n")
    return index, root


def test_evaluate_index_toy_figures(toy_set):
    from detector.evaluate import evaluate_index, format_report

    index, root = toy_set
    rep = evaluate_index(index, root, PeakService(), split="val")
    assert (rep.n, rep.n_real, rep.n_fake) == (6, 3, 3) and not rep.failed
    assert [it.prob_ai for it in rep.items] == pytest.approx([r[4] for r in TOY], abs=1e-3)
    assert rep.roc_auc == pytest.approx(8 / 9)
    assert rep.eer == pytest.approx(1 / 3) and rep.eer_threshold == pytest.approx(0.62, abs=1e-3)
    assert rep.accuracy == pytest.approx(4 / 6)  # b1 (real, 0.62) and x1 (fake, 0.42) are wrong
    assert rep.false_alarm_rate == pytest.approx(1 / 3) and rep.miss_rate == pytest.approx(1 / 3)
    # Each score in its own bin: ECE = mean |p - y|.
    assert rep.ece == pytest.approx((0.12 + 0.25 + 0.62 + 0.58 + 0.28 + 0.08) / 6, abs=1e-3)
    fam = rep.per_family
    assert fam["corpA"].accuracy == 1.0
    # One-class groups are scored against the other class: corpA (0.12, 0.25) vs all fakes is separable,
    # genX (0.42, 0.72) vs all reals (0.12, 0.25, 0.62) crosses at 1/3.
    assert fam["corpA"].eer == pytest.approx(0.0) and fam["genY"].eer == pytest.approx(0.0)
    assert fam["genX"].eer == pytest.approx(1 / 3)
    assert fam["corpB"].accuracy == 0.0 and fam["corpB"].mean_prob_ai == pytest.approx(0.62, abs=1e-3)
    assert fam["genX"].n == 2 and fam["genX"].accuracy == 0.5 and fam["genX"].mean_prob_ai == pytest.approx(0.57, abs=1e-3)
    assert rep.per_language_false_alarm == {"en": (2, 0.0), "fr": (1, 1.0)}
    assert rep.x_real_time > 0 and rep.audio_seconds == pytest.approx(12.0)
    text = format_report(rep)
    for needle in ("EER", "ROC AUC", "accuracy", "false alarms", "ECE", "corpB", "genX", "fr"):
        assert needle in text
    d = rep.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["per_family"]["corpA"]["eer"] == pytest.approx(0.0) and len(d["items"]) == 6


def test_evaluate_index_failures_and_limit(toy_set):
    from detector.evaluate import evaluate_index

    index, root = toy_set
    rep = evaluate_index(index, root, PeakService())  # all splits: the PDF is included and fails
    assert rep.n == 6 and len(rep.failed) == 1 and rep.failed[0][0] == "fake/train-only.flac"
    few = evaluate_index(index, root, PeakService(), limit=3)
    assert few.n + len(few.failed) == 3
    assert {it.label for it in few.items} == {0, 1}  # spread over the index, not its head


def test_evaluate_index_applies_channel(toy_set, monkeypatch):
    import detector.channels
    from detector.evaluate import evaluate_index

    calls = []

    def halve(x, sr, name, rng=None):
        calls.append(name)
        return x * 0.5

    monkeypatch.setattr(detector.channels, "apply_channel", halve)
    index, root = toy_set
    rep = evaluate_index(index, root, PeakService(), split="val", channel="mp3-32k")
    assert calls == ["mp3-32k"] * 6
    assert [it.prob_ai for it in rep.items] == pytest.approx([r[4] / 2 for r in TOY], abs=1e-3)


def test_evaluate_index_bad_inputs(toy_set, tmp_path):
    from detector.errors import FaikError, SettingsError
    from detector.evaluate import evaluate_index

    index, root = toy_set
    with pytest.raises(SettingsError, match="unknown channel"):
        evaluate_index(index, root, PeakService(), channel="carrier-pigeon")
    with pytest.raises(FaikError, match="not found"):
        evaluate_index(tmp_path / "nope.csv", root, PeakService())
    with pytest.raises(FaikError, match="not a folder"):
        evaluate_index(index, tmp_path / "nope", PeakService())
    with pytest.raises(FaikError, match="split 'test'"):
        evaluate_index(index, root, PeakService(), split="test")
    bad = tmp_path / "bad.csv"
    bad.write_text("file,label\nx.flac,real\n")
    with pytest.raises(FaikError, match="family"):
        evaluate_index(bad, root, PeakService())
    bad.write_text("file,label,family\nx.flac,maybe,f\n")
    with pytest.raises(FaikError, match="real' or 'fake"):
        evaluate_index(bad, root, PeakService())


def test_evaluate_index_eer_within_each_language_with_both_classes(toy_set, monkeypatch):
    import detector.evaluate as ev

    index, root = toy_set
    assert ev.evaluate_index(index, root, PeakService(), split="val").per_language_eer == {}  # < 5 per class
    monkeypatch.setattr(ev, "MIN_PER_CLASS", 2)
    rep = ev.evaluate_index(index, root, PeakService(), split="val")
    # English alone separates (reals 0.12, 0.25 < fakes 0.42, 0.72) although the pooled EER is 1/3:
    # fr has only a real clip and zh only a fake one, so they get no EER of their own.
    assert rep.eer == pytest.approx(1 / 3)
    assert rep.per_language_eer == {"en": (2, 2, pytest.approx(0.0))}
    assert "within en" in ev.format_report(rep)
    assert rep.to_dict()["per_language_eer"] == {"en": {"n_real": 2, "n_fake": 2, "eer": pytest.approx(0.0)}}


def _item(label: int, family: str, prob: float):
    from detector.evaluate import EvaluatedItem

    return EvaluatedItem(file=f"{family}-{prob}", label=label, family=family, language="en", prob_ai=prob,
                         is_deepfake=prob >= 0.5, verdict="real", duration_s=4.0)


def test_modern_row_scores_only_modern_fakes_against_all_reals():
    from detector.evaluate import EvaluationReport, format_report

    items = [
        _item(0, "vctk", 0.1), _item(0, "fleurs", 0.6),        # reals: one false alarm
        _item(1, "e1tts", 0.8), _item(1, "matcha-tts", 0.3),   # modern fakes: one miss
        _item(1, "univnet", 0.9), _item(1, "vits", 0.95),      # older fakes: not in the modern row
    ]
    rep = EvaluationReport.build(items, index="x", split="val", channel="clean", model={}, failed=[],
                                 audio_seconds=24.0, wall_seconds=1.0)
    assert (rep.modern.n_real, rep.modern.n_fake) == (2, 2)
    # modern scores 0.8, 0.3 vs real 0.1, 0.6: AUC 3/4 (the pooled AUC is higher: 7/8)
    assert rep.modern.roc_auc == pytest.approx(0.75)
    assert rep.roc_auc == pytest.approx(7 / 8)
    assert rep.modern.false_alarm_rate == pytest.approx(0.5) and rep.modern.miss_rate == pytest.approx(0.5)
    assert "modern row" in format_report(rep)
    assert rep.to_dict()["modern"]["n_fake"] == 2


def test_no_modern_row_without_modern_fakes():
    from detector.evaluate import EvaluationReport, format_report

    items = [_item(0, "vctk", 0.1), _item(1, "vits", 0.9)]
    rep = EvaluationReport.build(items, index="x", split="val", channel="clean", model={}, failed=[],
                                 audio_seconds=8.0, wall_seconds=1.0)
    assert rep.modern is None and "modern row" not in format_report(rep)


def test_evaluate_prints_cllr_from_the_models_evidence_map_or_from_p_ai(toy_set):
    from detector.evaluate import evaluate_index, format_report, stated_llrs
    from detector.evidence import AI, REAL, ChannelMap, EvidenceMap, _logit, cllr, min_cllr

    index, root = toy_set
    rep = evaluate_index(index, root, PeakService(), split="val")
    y = np.array([it.label for it in rep.items])
    s = np.array([it.prob_ai for it in rep.items])
    # No map: P(AI) read as posterior odds at an even prior.
    assert rep.cllr == pytest.approx(cllr(y, _logit(s))) and rep.min_cllr == pytest.approx(min_cllr(y, s))
    assert "P(AI) as posterior odds" in rep.cllr_basis
    text = format_report(rep)
    assert f"Cllr           {rep.cllr:.3f}   (min Cllr {rep.min_cllr:.3f}" in text
    assert rep.to_dict()["cllr"] == pytest.approx(rep.cllr)
    # With a map for the channel, its (capped) LRs are the ones scored.
    emap = EvidenceMap({"clean": ChannelMap(0.5, 0.1, 3, 3)}, {AI: "weak", REAL: "weak"})
    llr, basis = stated_llrs(s, {"evidence": emap.to_dict()}, "clean")
    assert basis == "the model's evidence map (clean)" and llr == pytest.approx(emap.llr(s, "clean"))
    assert np.all(np.abs(llr) < np.log(10))  # "weak" caps |LR| below 10
    assert "posterior odds" in stated_llrs(s, {"evidence": emap.to_dict()}, "phone-8k")[1]


def test_tippett_plot_is_a_png_of_the_asked_size():
    import struct

    from detector.tippett import tippett_png

    png = tippett_png([-1.0, 0.2, 0.5, 1.5, -0.3, 2.0], [0, 0, 1, 1, 0, 1], "v10 val clean")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    w, h, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (w, h, depth, colour) == (640, 420, 8, 2)
    with pytest.raises(ValueError):
        tippett_png([0.1, 0.2], [1, 1])


def test_headline_shares_count_what_the_user_reads_per_class():
    """The headline (evidence wording, with inconclusive and cannot-judge) is reported per class, apart
    from the seed's vote: a real clip the vote calls AI-generated may read "inconclusive"."""
    from dataclasses import replace

    from detector.evaluate import EvaluationReport, format_report

    items = [
        replace(_item(0, "vctk", 0.1), verdict="real"), replace(_item(0, "fleurs", 0.6), verdict="inconclusive"),
        replace(_item(0, "fsdd", 0.7), verdict="cannot-judge"), replace(_item(0, "esd", 0.9), verdict="ai-generated"),
        replace(_item(1, "e1tts", 0.3), verdict="real"), replace(_item(1, "vits", 0.95), verdict="ai-generated"),
    ]
    rep = EvaluationReport.build(items, index="x", split="val", channel="clean", model={}, failed=[],
                                 audio_seconds=24.0, wall_seconds=1.0)
    assert rep.false_alarm_rate == pytest.approx(3 / 4)  # the vote: three reals at P(AI) >= 0.5
    assert rep.headline["real"] == {"ai-generated": 0.25, "inconclusive": 0.25, "cannot-judge": 0.25, "real": 0.25}
    assert rep.headline["fake"] == {"ai-generated": 0.5, "inconclusive": 0.0, "cannot-judge": 0.0, "real": 0.5}
    assert rep.headline["modern fake"]["real"] == 1.0  # e1tts only
    text = format_report(rep)
    assert "supports AI-generated 25.0%" in text and "modern fake" in text
    assert rep.to_dict()["headline"]["real"]["cannot-judge"] == 0.25


def test_no_headline_group_without_its_items():
    from detector.evaluate import EvaluationReport

    rep = EvaluationReport.build([_item(0, "vctk", 0.1)], index="x", split="val", channel="clean", model={},
                                 failed=[], audio_seconds=4.0, wall_seconds=1.0)
    assert list(rep.headline) == ["real"]
