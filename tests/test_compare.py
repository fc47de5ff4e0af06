"""detector.training.compare: a candidate tuned stem measured on the reference's cached branch scores."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import soundfile as sf
import torch

from detector.training.branch_scores import file_scores, model_weights, score_files
from detector.training.compare import (candidate_file_scores, compare, compare_scored, format_comparison, frozen_mismatch,
                                       paired_bootstrap)
from detector.training.metrics import eer
from tests.faik_testkit import synth_speechlike, write_ct2_whisper
from tests.test_whisper_model import _model


def test_paired_bootstrap_keeps_files_together_and_signs_the_difference():
    rng = np.random.default_rng(1)
    y = np.tile(np.r_[np.zeros(40), np.ones(40)], 2)  # two blocks (channels) of the same 80 files
    weak = rng.random(160)
    strong = np.clip(0.5 * y + 0.5 * rng.random(160), 0, 1)
    same = paired_bootstrap(y, weak, weak, blocks=2, resamples=50)
    assert same.delta == same.low == same.high == 0.0
    better = paired_bootstrap(y, weak, strong, blocks=2, resamples=50)
    assert better.reference == pytest.approx(eer(y, weak)) and better.candidate == pytest.approx(eer(y, strong))
    assert better.delta < 0 and better.high < 0
    half = np.tile(np.arange(80) % 2 == 0, 2)
    sub = paired_bootstrap(y, weak, strong, blocks=2, resamples=10, mask=half)
    assert sub.candidate == pytest.approx(eer(y[half], strong[half]))
    with pytest.raises(ValueError, match="blocks of the same files"):
        paired_bootstrap(y[:-1], weak[:-1], strong[:-1], blocks=2)


def test_a_candidate_is_measured_by_rescoring_its_tuned_stem_only(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    reference = _model(tmp_path, cnn=True, speaker=True, conv1=True, distil=True, tuned=True)
    rows = []
    for i, (seconds, label) in enumerate([(3.0, "real"), (7.5, "fake"), (6.0, "real"), (2.0, "fake")]):
        sf.write(str(tmp_path / f"c{i}.wav"), synth_speechlike(seconds, seed=40 + i), 16000)
        family = "e1tts" if i == 1 else f"f{i}"  # one fake of a modern val family
        rows.append({"file": f"c{i}.wav", "label": label, "family": family, "language": "en", "split": "val"})
    scores = score_files(reference, rows, tmp_path)
    candidate = copy.deepcopy(reference)
    torch.nn.init.normal_(candidate.tuned_probe.weight, std=0.3)
    candidate.tuned_scale.fill_(0.8)
    candidate.logit_scale.fill_(0.7)
    assert frozen_mismatch(reference, candidate) == []
    direct = score_files(candidate, rows, tmp_path)  # what faik evaluate would give the candidate
    truth = file_scores(direct, model_weights(candidate), 0.7, float(candidate.logit_bias))
    mine = candidate_file_scores(scores, candidate)
    assert np.allclose(mine, truth, atol=5e-3)  # the cached log-mels are half precision
    assert not np.allclose(mine, candidate_file_scores(scores, reference, rescore=False), atol=5e-3)
    result = compare(reference, candidate, {"clean": scores}, resamples=5)
    assert set(result) == {"clean"} and set(result["clean"]) == {"pooled", "english", "modern", "ece", "false_alarms"}
    # the modern row: the modern family's fake against every real clip (files 0, 1, 2)
    ref_p = candidate_file_scores(scores, reference, rescore=False)
    assert result["clean"]["modern"].reference == pytest.approx(eer(np.array([0, 1, 0]), ref_p[:3]))
    assert "modern row" in format_comparison(result)
    # A spread recomputed on another CPU differs in its last digits: still the same frozen branches.
    candidate.conv1_scale.mul_(1 + 1e-7)
    assert frozen_mismatch(reference, candidate) == []
    candidate.conv1_scale.mul_(1 + 1e-3)
    assert frozen_mismatch(reference, candidate) == ["conv1_scale"]
    candidate.conv1_scale.copy_(reference.conv1_scale)
    # Another frozen branch is another model: re-scoring the tuned column alone would mismeasure it.
    candidate.probe.weight.data.add_(0.1)
    assert frozen_mismatch(reference, candidate) == ["probe.weight"]
    with pytest.raises(ValueError, match="frozen branches differ"):
        compare(reference, candidate, {"clean": scores})

    # Frozen branches changed as well: compare refuses; each model on its own branch scores instead.
    with pytest.raises(ValueError, match="score it on its own"):
        compare(reference, candidate, {"clean": scores}, resamples=5)
    own = score_files(candidate, rows, tmp_path)
    separately = compare_scored(reference, {"clean": scores}, candidate, {"clean": own}, resamples=5)
    cand_eer = eer(np.asarray(own.labels), candidate_file_scores(own, candidate, rescore=False))
    assert separately["clean"]["pooled"].candidate == pytest.approx(cand_eer)
    assert separately["clean"]["pooled"].reference == result["clean"]["pooled"].reference
    itself = compare_scored(reference, {"clean": scores}, reference, {"clean": scores}, resamples=5)
    assert itself["clean"]["pooled"].delta == 0.0
    with pytest.raises(ValueError, match="same channels"):
        compare_scored(reference, {"clean": scores}, candidate, {"mp3-32k": own})
