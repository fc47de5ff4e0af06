"""The tuned branch's fine-tuning (detector.training.tune_stem) on a tiny model and synthetic audio."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detector.faik_whisper_model import FaikWhisperDetectorConfig, FaikWhisperDetectorForAudioClassification
from detector.train_whisper import chunk_batches
from detector.training.ct2_whisper import encoder_dims, read_ct2, trunk_state_dict
from detector.training.tune_stem import chunk_mels, init_tuned_branch, tune_stem, tune_stem_soup
from tests.faik_testkit import synth_speechlike, write_ct2_whisper


def _model(tmp_path) -> FaikWhisperDetectorForAudioClassification:
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    variables = read_ct2(tmp_path / "model.bin")
    d, h, _ = encoder_dims(variables)
    config = FaikWhisperDetectorConfig(d_model=d, encoder_heads=h, encoder_layers=0, pooled_layers=[0], tuned_weight=0.3)
    torch.manual_seed(0)
    model = FaikWhisperDetectorForAudioClassification(config).eval()
    model.trunk.load_state_dict(trunk_state_dict(variables, 0), strict=False)
    model.feature_std.fill_(0.5)
    return model


def _clips() -> tuple[list[np.ndarray], list[int]]:
    """'Real' clips: speech-like noise; 'AI' clips: the same with a steady 3-kHz whistle (easy to learn)."""
    t = np.arange(32000) / 16000
    real = [synth_speechlike(2.0, seed=s) for s in range(6)]
    fake = [(x + 0.05 * np.sin(2 * np.pi * 3000 * t)).astype(np.float32) for x in
            (synth_speechlike(2.0, seed=s) for s in range(6, 12))]
    return real + fake, [1] * 6 + [0] * 6


def test_fine_tuning_starts_from_the_frozen_stem_and_lowers_the_loss(tmp_path):
    model = _model(tmp_path)
    init_tuned_branch(model)
    x = torch.from_numpy(synth_speechlike(2.0, seed=3))[None]
    with torch.inference_mode():
        # At the start the tuned branch is the frozen stem's probe exactly.
        assert torch.allclose(model.tuned_logit(x), model.probe_logit(x), atol=1e-5)
    clips, labels = _clips()
    batches = [chunk_batches(c) for c in clips]
    mels, frames = chunk_mels(model, batches)
    assert mels.dtype == torch.float16 and mels.shape[:2] == (len(clips), 80) and frames.tolist() == [100] * len(clips)
    frozen = {k: v.clone() for k, v in model.trunk.state_dict().items()}
    losses = tune_stem(model, [(mels, frames)], np.array(labels), epochs=6, lr=3e-3, seed=0, log=lambda s: None)
    assert len(losses) == 6 and losses[-1] < losses[0]
    assert not torch.equal(model.tuned_conv1.weight, model.trunk.conv1.weight)
    assert all(torch.equal(v, model.trunk.state_dict()[k]) for k, v in frozen.items())  # the shared stem stays frozen
    assert not model.training  # back in inference mode
    # Same seed, same start: the same weights (the recipe's reproducibility rests on it).
    again = _model(tmp_path)
    init_tuned_branch(again)
    tune_stem(again, [(mels, frames)], np.array(labels), epochs=6, lr=3e-3, seed=0, log=lambda s: None)
    assert torch.equal(again.tuned_conv2.weight, model.tuned_conv2.weight)


def test_copies_must_hold_the_same_chunks(tmp_path):
    model = _model(tmp_path)
    mels, frames = chunk_mels(model, [chunk_batches(synth_speechlike(2.0, seed=1))])
    with pytest.raises(ValueError, match="same 2 chunks"):
        tune_stem(model, [(mels, frames)], np.array([0, 1]), epochs=1, lr=1e-4, seed=0)


def test_the_tuned_branch_needs_the_probes_stem_statistics(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    config = FaikWhisperDetectorConfig(d_model=8, encoder_heads=2, encoder_layers=1, pooled_layers=[1], tuned_weight=0.3)
    with pytest.raises(ValueError, match="needs layer 0"):
        init_tuned_branch(FaikWhisperDetectorForAudioClassification(config))


def test_a_soup_is_the_average_of_its_runs_and_one_run_is_plain_fine_tuning(tmp_path):
    clips, labels = _clips()
    model = _model(tmp_path)
    init_tuned_branch(model)
    mels = chunk_mels(model, [chunk_batches(c) for c in clips])
    y = np.array(labels)
    runs = []
    for seed in (3, 4):
        one = _model(tmp_path)
        init_tuned_branch(one)
        tune_stem(one, [mels], y, epochs=2, lr=3e-3, seed=seed, log=lambda s: None)
        runs.append(one)
    losses = tune_stem_soup(model, [mels], y, epochs=2, lr=3e-3, seed=3, runs=2, log=lambda s: None)
    assert len(losses) == 2 and all(len(run) == 2 for run in losses)
    for name in ("tuned_conv1", "tuned_conv2", "tuned_probe"):
        for key, value in getattr(model, name).state_dict().items():
            mean = (getattr(runs[0], name).state_dict()[key] + getattr(runs[1], name).state_dict()[key]) / 2
            assert torch.allclose(value, mean, atol=1e-6), (name, key)
    assert not torch.equal(model.tuned_conv2.weight, runs[0].tuned_conv2.weight)
    single = _model(tmp_path)
    init_tuned_branch(single)
    tune_stem_soup(single, [mels], y, epochs=2, lr=3e-3, seed=3, runs=1, log=lambda s: None)
    assert torch.equal(single.tuned_conv2.weight, runs[0].tuned_conv2.weight)
    with pytest.raises(ValueError, match="at least 1"):
        tune_stem_soup(single, [mels], y, epochs=1, lr=1e-4, seed=0, runs=0)
