"""The tuned branch's fine-tuning (detector.training.tune_stem) on a tiny model and synthetic audio."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from transformers import AutoModelForAudioClassification

from detector.faik_whisper_model import FaikWhisperDetectorConfig, FaikWhisperDetectorForAudioClassification
from detector.training.experimental_model import (FaikWhisperExperimentConfig, FaikWhisperExperimentForAudioClassification,
                                                  loudest_frames, recipe_config, recipe_model)
from detector.training.train_whisper import chunk_batches
from detector.training.ct2_whisper import encoder_dims, read_ct2, trunk_state_dict
from detector.training.data import Clip, dev_folds
from detector.training.tune_stem import (
    chunk_mels,
    concat_mels,
    crossfit_soup,
    fit_start_probe,
    era_weights,
    group_weights,
    spec_augment,
    init_tuned_branch,
    load_tuned_stem,
    tune_stem,
    tune_stem_soup,
    tuned_state,
)
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


def _reloaded_scores_the_same(model, tmp_path, clip: np.ndarray) -> FaikWhisperDetectorForAudioClassification:
    """Save ``model`` as safetensors, load it back, check the tuned branch scores ``clip`` bit for bit alike."""
    model.save_pretrained(tmp_path / "saved", safe_serialization=True)
    back = AutoModelForAudioClassification.from_pretrained(tmp_path / "saved").eval()
    assert type(back) is type(model)
    x = torch.from_numpy(clip)[None]
    with torch.inference_mode():
        assert torch.equal(back.tuned_logit(x), model.tuned_logit(x))
    return back


def _wide_model(tmp_path, wide_heads: int = 2, wide_layers: int = 0, **config
                ) -> tuple[FaikWhisperDetectorForAudioClassification, dict[str, np.ndarray]]:
    """v10's layout in miniature: an 8-channel frozen trunk, a tuned stem from a 12-channel Whisper
    (with ``wide_layers`` transformer layers in the file; ``config`` adds to the model's settings: an experiment
    option gives the recipe's experiment class, detector.training.experimental_model)."""
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    wide = write_ct2_whisper(tmp_path / "wide.bin", d_model=12, heads=wide_heads, layers=wide_layers, seed=1)
    variables = read_ct2(tmp_path / "model.bin")
    config = recipe_config(d_model=8, encoder_heads=2, encoder_layers=0, pooled_layers=[0], tuned_weight=0.3,
                           tuned_d_model=12, **config)
    torch.manual_seed(0)
    model = recipe_model(config).eval()
    model.trunk.load_state_dict(trunk_state_dict(variables, 0), strict=False)
    model.feature_std.fill_(0.5)
    return model, wide


def test_a_tuned_stem_from_a_wider_whisper_gets_its_own_starting_probe_and_saves(tmp_path):
    model, wide = _wide_model(tmp_path)
    assert model.tuned_conv2.weight.shape == (12, 12, 3) and model.tuned_mean.shape == (24,)
    with pytest.raises(ValueError, match="not a copy of the frozen one"):
        init_tuned_branch(model)  # v9's start needs the trunk's own width
    load_tuned_stem(model, read_ct2(tmp_path / "wide.bin"))
    assert np.array_equal(model.tuned_conv2.weight.detach().numpy(), wide["encoder/conv2/weight"].astype(np.float32))
    clips, labels = _clips()
    mels = chunk_mels(model, [chunk_batches(c) for c in clips])
    fit_start_probe(model, [mels, mels], np.array(labels), C=1.0)
    with torch.inference_mode():
        logits = model.tuned_logit_from_mel(mels[0].float(), mels[1])
        features = model.tuned_features_from_mel(mels[0].float(), mels[1])
    # Standardised on the chunks it was fitted on, and already telling the whistle from speech.
    assert torch.allclose(model.tuned_mean, features.mean(0), rtol=1e-4, atol=1e-5)
    assert float(logits[:6].min()) > float(logits[6:].max())  # real (label 1) above AI
    tune_stem(model, [mels], np.array(labels), epochs=2, lr=1e-3, seed=0, log=lambda s: None)
    back = _reloaded_scores_the_same(model, tmp_path, clips[0])
    assert back.config.tuned_channels == 12 and back.config.d_model == 8
    with pytest.raises(ValueError, match="8 channels, the model's tuned branch 12"):
        load_tuned_stem(model, read_ct2(tmp_path / "model.bin"))


def test_a_ct2_file_split_in_parts_reads_as_the_whole(tmp_path):
    whole = write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    data = (tmp_path / "model.bin").read_bytes()
    (tmp_path / "part1").write_bytes(data[:1000])
    (tmp_path / "part2").write_bytes(data[1000:])
    parts = read_ct2([tmp_path / "part1", tmp_path / "part2"])
    assert parts.keys() == read_ct2(tmp_path / "model.bin").keys()
    assert all(np.array_equal(parts[k], v) for k, v in whole.items())


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


def test_crossfit_scores_each_fold_with_a_stem_that_never_saw_it_and_keeps_the_stem_that_saw_all(tmp_path):
    clips, labels = _clips()
    model = _model(tmp_path)
    init_tuned_branch(model)
    train = chunk_mels(model, [chunk_batches(c) for c in clips[::2]])
    y_train = np.array(labels[::2])
    dev_clips = [chunk_batches(c) for c in clips[1::2]]
    dev = chunk_mels(model, dev_clips)
    y_dev = np.array(labels[1::2])
    fold = np.array([0, 1, 0, 1, 0, 1])
    seen = {}

    def on_fold(k: int) -> None:
        seen[k] = tuned_state(model)

    losses = crossfit_soup(model, [train], y_train, [dev], y_dev, fold, on_fold, epochs=2, lr=3e-3, seed=5, runs=2,
                           log=lambda s: None)
    assert sorted(seen) == [0, 1] and len(losses) == 2

    def soup(dev_rows: np.ndarray) -> FaikWhisperDetectorForAudioClassification:
        m = _model(tmp_path)
        init_tuned_branch(m)
        rows = torch.from_numpy(dev_rows)
        tune_stem_soup(m, [concat_mels(train, (dev[0][rows], dev[1][rows]))], np.concatenate([y_train, y_dev[dev_rows]]),
                       epochs=2, lr=3e-3, seed=5, runs=2, log=lambda s: None)
        return m

    # Fold k's scores come from a soup of train + the other fold's dev chunks only ...
    for k in (0, 1):
        by_hand = soup(np.flatnonzero(fold != k))
        assert torch.equal(seen[k][1]["weight"], by_hand.tuned_conv2.weight)
    # ... and the stem the model keeps learnt from train and every dev chunk.
    assert torch.equal(model.tuned_conv2.weight, soup(np.arange(6)).tuned_conv2.weight)
    assert not torch.equal(seen[0][1]["weight"], seen[1][1]["weight"])
    with pytest.raises(ValueError, match="fold per dev chunk"):
        crossfit_soup(model, [train], y_train, [dev], y_dev, fold[:3], on_fold, epochs=1, lr=1e-4, seed=0)


def test_concat_mels_pads_the_narrower_with_the_padding_value():
    a = (torch.zeros(2, 80, 10, dtype=torch.float16), torch.tensor([5, 5]))
    b = (torch.ones(1, 80, 14, dtype=torch.float16), torch.tensor([7]))
    mels, frames = concat_mels(a, b)
    assert mels.shape == (3, 80, 14) and frames.tolist() == [5, 5, 7]
    assert float(mels[0, 0, 12]) == -1.5 and float(mels[2, 0, 12]) == 1.0


def _clip(family: str, label: str) -> Clip:
    return Clip(f"{family}.flac", label, family, family, "en", "train", 3.0)


def test_dev_folds_deal_whole_families_of_each_label_to_the_emptier_fold():
    dev = ([_clip("a", "fake")] * 5 + [_clip("b", "fake")] * 4 + [_clip("c", "fake")] * 3 + [_clip("d", "fake")] * 1
           + [_clip("r1", "real")] * 6 + [_clip("r2", "real")] * 2 + [_clip("r3", "real")] * 2)
    folds = dev_folds(dev)
    assert folds == [frozenset({"a", "d", "r1"}), frozenset({"b", "c", "r2", "r3"})]  # fakes 6 / 7, reals 6 / 4
    assert dev_folds(list(reversed(dev))) == folds  # the order of the index does not matter
    # One family per label (a smoke run's dev): the reals go to the fold the fakes left empty.
    assert dev_folds([_clip("a", "fake")] * 3 + [_clip("r1", "real")]) == [frozenset({"a"}), frozenset({"r1"})]
    with pytest.raises(ValueError, match="too few families"):
        dev_folds([_clip("a", "fake")] * 3)
    with pytest.raises(ValueError, match="at least 2"):
        dev_folds(dev, k=1)



def test_group_weights_run_from_every_chunk_alike_to_every_group_alike():
    labels = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    groups = ["real:a"] * 3 + ["real:b"] + ["fake:x"] * 4 + ["fake:y"] * 2
    assert np.allclose(group_weights(labels, groups, 0.0), 1.0)
    w = group_weights(labels, groups, 1.0)
    assert np.isclose(w.mean(), 1.0)
    mass = {g: w[[i for i, h in enumerate(groups) if h == g]].sum() for g in set(groups)}
    assert np.allclose([mass[g] for g in ("real:a", "real:b", "fake:x", "fake:y")], 2.5)  # a quarter each
    half = group_weights(labels, groups, 0.5)
    # In between: the lone real:b chunk weighs more than an every-chunk-alike draw, less than a balanced one.
    assert 1.0 < half[3] < w[3] and half[0] > w[0]
    with pytest.raises(ValueError, match="one group per label"):
        group_weights(labels, groups[:-1], 1.0)


def test_weighted_sampling_draws_chunks_in_proportion_and_zero_weight_chunks_never(tmp_path):
    clips, labels = _clips()
    y = np.array(labels)
    model = _model(tmp_path)
    init_tuned_branch(model)
    mels = chunk_mels(model, [chunk_batches(c) for c in clips])
    # Chunks with weight 0 never reach the loss: labelling them the other way round changes nothing.
    w = np.array([1.0] * 3 + [0.0] * 3 + [1.0] * 3 + [0.0] * 3)
    flipped = y.copy()
    flipped[w == 0] = 1 - flipped[w == 0]
    runs = []
    for labels_used in (y, flipped):
        m = _model(tmp_path)
        init_tuned_branch(m)
        tune_stem(m, [mels], labels_used, epochs=2, lr=3e-3, seed=1, log=lambda s: None, weights=w)
        runs.append(m)
    assert torch.equal(runs[0].tuned_conv2.weight, runs[1].tuned_conv2.weight)
    # Uniform weights draw with replacement: not the every-chunk-once epoch of weights=None.
    plain, drawn = _model(tmp_path), _model(tmp_path)
    for m, weights in ((plain, None), (drawn, np.ones(len(y)))):
        init_tuned_branch(m)
        tune_stem(m, [mels], y, epochs=2, lr=3e-3, seed=1, log=lambda s: None, weights=weights)
    assert not torch.equal(plain.tuned_conv2.weight, drawn.tuned_conv2.weight)
    with pytest.raises(ValueError, match="one non-negative number per chunk"):
        tune_stem(model, [mels], y, epochs=1, lr=1e-4, seed=0, weights=np.zeros(len(y)))


def test_loudest_frames_keeps_the_loud_fraction_of_each_rows_valid_frames():
    mel = torch.full((2, 80, 8), -1.0)
    mel[0, :, [0, 2, 4, 6]] = torch.tensor([0.1, 0.9, 0.5, 0.3])[None, :]  # stem frames 0..3, centred on 2t
    mel[1, :, [0, 2, 4, 6]] = torch.tensor([0.9, 0.8, 0.7, 0.6])[None, :]
    valid = torch.tensor([[True] * 4, [False, True, True, False]])  # row 1: frames 1, 2 only
    assert loudest_frames(mel, valid, 0.5).tolist() == [[False, True, True, False], [False, True, False, False]]
    assert loudest_frames(mel, valid, 1.0).tolist() == valid.tolist()
    assert loudest_frames(mel, valid, 0.01).sum(1).tolist() == [1, 1]  # never empty


def test_the_tuned_stem_pools_only_the_loud_frames_when_configured(tmp_path):
    model, wide = _wide_model(tmp_path, tuned_loud_fraction=0.99)
    assert isinstance(model, FaikWhisperExperimentForAudioClassification)
    model.config.tuned_loud_fraction = 1.0
    load_tuned_stem(model, wide)
    x = synth_speechlike(2.0, seed=4)
    x[: len(x) // 2] *= 0.01  # a quiet first half: a pause with a noise floor
    batch = torch.from_numpy(x)[None]
    with torch.inference_mode():
        mel, _, valid = model._levelled_logmel(batch, None)
        everything = model.tuned_features_from_mel(mel, valid)
        model.config.tuned_loud_fraction = 0.5
        loud = model.tuned_features_from_mel(mel, valid)
    assert not torch.allclose(everything, loud)
    model.save_pretrained(tmp_path / "loud", safe_serialization=True)
    back = AutoModelForAudioClassification.from_pretrained(tmp_path / "loud").eval()
    assert isinstance(back, FaikWhisperExperimentForAudioClassification)
    assert back.config.tuned_loud_fraction == 0.5
    with torch.inference_mode():
        assert torch.equal(back.tuned_features_from_mel(mel, valid), loud)
    with pytest.raises(ValueError, match="tuned_loud_fraction 0.0"):
        FaikWhisperExperimentConfig(tuned_loud_fraction=0.0)


@pytest.mark.parametrize("option, message", [
    (["--tuned-balance", "-1"], "--tuned-balance must be >= 0"),
    (["--tuned-balance", "0.5", "--tuned-dev", "crossfit"], "--tuned-dev none only"),
    (["--tuned-loud-fraction", "0"], "--tuned-loud-fraction 0.0: give a fraction in (0, 1]"),
    (["--tuned-layers", "1", "--tuned-stem", "frozen"], "--tuned-layers needs a Whisper"),
    (["--tuned-mixup", "0.4", "--tuned-dro", "0.1"], "--tuned-mixup must be >= 0"),
    (["--tuned-modern-weight", "0"], "--tuned-modern-weight must be > 0"),
    (["--tuned-specaugment", "16,40"], "give three whole numbers F,T,N"),
    (["--tuned-specaugment", "16,40,2", "--tuned-dev", "crossfit"], "--tuned-specaugment works with --tuned-dev none"),
    (["--tuned-modern-weight", "3", "--tuned-dev", "crossfit"], "--tuned-modern-weight must be > 0"),
])
def test_the_tuned_stem_options_are_refused_before_any_data_is_read(tmp_path, capsys, option, message):
    from detector.training.train_whisper import main

    # No index.csv in --data: the option is the first thing the recipe complains about.
    assert main(["--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "out"), *option]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _layered_model(tmp_path, pool: int = 1) -> tuple[FaikWhisperDetectorForAudioClassification, dict[str, np.ndarray]]:
    """The layered variant (tried after v10) in miniature: the tuned stem from a 12-channel Whisper plus its first layer."""
    return _wide_model(tmp_path, wide_heads=3, wide_layers=2, tuned_layers=1, tuned_heads=3, tuned_frame_pool=pool)


def test_the_tuned_branch_takes_whispers_first_layer_and_positions_and_saves(tmp_path):
    model, wide = _layered_model(tmp_path)
    load_tuned_stem(model, wide)
    block = model.tuned_blocks[0]
    assert np.array_equal(block.qkv.weight.detach().numpy(),
                          wide["encoder/layer_0/self_attention/linear_0/weight"].astype(np.float32))
    assert np.array_equal(block.fc2.bias.detach().numpy(), wide["encoder/layer_0/ffn/linear_1/bias"].astype(np.float32))
    assert np.array_equal(model.tuned_positions.numpy(), wide["encoder/position_encodings/encodings"].astype(np.float32))
    assert len(model.tuned_blocks) == 1  # the second layer of the file is not taken
    clips, labels = _clips()
    mels = chunk_mels(model, [chunk_batches(c) for c in clips])
    fit_start_probe(model, [mels], np.array(labels), C=1.0)
    back = _reloaded_scores_the_same(model, tmp_path, clips[0])
    assert back.config.tuned_layers == 1 and back.config.tuned_heads == 3
    with torch.inference_mode():
        # The layer changes what the probe reads: without it the features differ.
        with_layer = model.tuned_features_from_mel(mels[0][:1].float(), mels[1][:1])
        model.tuned_blocks = None
        assert not torch.allclose(model.tuned_features_from_mel(mels[0][:1].float(), mels[1][:1]), with_layer)


@pytest.mark.parametrize("pool", [1, 2])
def test_the_tuned_layer_ignores_frames_past_a_chunks_valid_ones(tmp_path, pool):
    """Training batches pad shorter chunks: the layer's attention (and the pooling) must not read the
    padding. Log-mel frames past the valid stem frames' receptive field (mel 2t - 2 .. 2t + 2) are
    changed; the features must not move."""
    model, wide = _layered_model(tmp_path, pool)
    load_tuned_stem(model, wide)
    mel, _ = chunk_mels(model, [chunk_batches(synth_speechlike(2.0, seed=5))])
    valid = torch.tensor([60])  # of 100 stem frames
    other = mel.clone()
    other[:, :, 2 * 60 + 3:] = 2.0
    with torch.inference_mode():
        a = model.tuned_features_from_mel(mel.float(), valid)
        b = model.tuned_features_from_mel(other.float(), valid)
        everything = model.tuned_features_from_mel(other.float(), torch.tensor([100]))
    assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(a, everything, atol=1e-3)


def test_the_tuned_layer_learns_at_its_own_rate_and_joins_the_soup(tmp_path):
    clips, labels = _clips()
    y = np.array(labels)
    model, wide = _layered_model(tmp_path, pool=2)
    load_tuned_stem(model, wide)
    mels = chunk_mels(model, [chunk_batches(c) for c in clips])
    fit_start_probe(model, [mels], y, C=1.0)
    start = tuned_state(model)
    tune_stem(model, [mels], y, epochs=2, lr=1e-3, seed=0, log=lambda s: None, block_lr=0.0)
    assert torch.equal(model.tuned_blocks[0].fc1.weight, start[3]["0.fc1.weight"])  # lr 0: the layer stays
    assert not torch.equal(model.tuned_conv2.weight, start[1]["weight"])
    losses = tune_stem_soup(model, [mels], y, epochs=2, lr=1e-3, seed=0, runs=2, log=lambda s: None, block_lr=1e-3)
    assert len(losses) == 2 and not torch.equal(model.tuned_blocks[0].fc1.weight, start[3]["0.fc1.weight"])


@pytest.mark.parametrize("kwargs, message", [
    ({"tuned_layers": 1, "tuned_heads": 5, "tuned_d_model": 12}, "tuned_heads 5 must divide"),
    ({"tuned_layers": 1, "tuned_heads": 0}, "tuned_heads 0 must divide"),
    ({"tuned_frame_pool": 0}, "tuned_frame_pool 0"),
    ({"tuned_layers": 1, "tuned_heads": 2, "tuned_loud_fraction": 0.5}, "works with the stem alone"),
])
def test_tuned_layer_settings_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FaikWhisperExperimentConfig(d_model=8, **kwargs)


def test_the_shipped_class_takes_only_what_the_shipped_model_uses():
    """The app's config class has exactly the fields of the built-in model's config.json; what the recipe
    tried and did not ship is refused there and lives in the recipe's experiment class."""
    import inspect
    import json

    from transformers import PretrainedConfig

    from detector.model_service import BUILTIN_MODEL_DIR

    fields = set(inspect.signature(FaikWhisperDetectorConfig.__init__).parameters) - {"self", "kwargs"}
    shipped = set(json.loads((BUILTIN_MODEL_DIR / "config.json").read_text())) - set(PretrainedConfig().to_dict())
    assert fields == shipped - {"model_type", "architectures"}
    with pytest.raises(ValueError, match="pooled_stats"):
        FaikWhisperDetectorConfig(pooled_stats=["mean", "dstd"])
    assert not hasattr(FaikWhisperDetectorConfig(), "tuned_layers")


def test_recipe_builds_the_shipped_class_unless_an_experiment_option_is_set():
    plain = recipe_config(d_model=8, encoder_heads=2, encoder_layers=0, pooled_layers=[0], tuned_weight=0.3,
                          tuned_loud_fraction=1.0, tuned_layers=0, tuned_heads=0, tuned_frame_pool=1)
    assert type(plain) is FaikWhisperDetectorConfig and type(recipe_model(plain)) is FaikWhisperDetectorForAudioClassification
    assert plain.architectures == ["FaikWhisperDetectorForAudioClassification"]
    for option in ({"tuned_loud_fraction": 0.5}, {"pooled_stats": ["mean", "std", "dstd"]}):
        config = recipe_config(d_model=8, encoder_heads=2, encoder_layers=0, pooled_layers=[0], tuned_weight=0.3, **option)
        assert type(config) is FaikWhisperExperimentConfig
        assert type(recipe_model(config)) is FaikWhisperExperimentForAudioClassification
        assert config.architectures == ["FaikWhisperExperimentForAudioClassification"]


def test_dstd_adds_the_frame_to_frame_change_in_the_experiment_class():
    config = recipe_config(d_model=8, encoder_heads=2, encoder_layers=0, pooled_layers=[0], pooled_stats=["mean", "std", "dstd"])
    model = recipe_model(config).eval()
    assert config.feature_dim == 24
    with torch.inference_mode():
        feats = model.pooled_features(torch.from_numpy(synth_speechlike(1.0, seed=2))[None])
    assert feats.shape == (1, 24) and torch.all(feats[:, 16:] >= 0)


def test_group_dro_with_one_group_is_plain_fine_tuning_and_checks_its_groups(tmp_path):
    clips, labels = _clips()
    model = _model(tmp_path)
    init_tuned_branch(model)
    mels, frames = chunk_mels(model, [chunk_batches(c) for c in clips])
    tune_stem(model, [(mels, frames)], np.array(labels), epochs=2, lr=3e-3, seed=0, log=lambda s: None)
    same = _model(tmp_path)
    init_tuned_branch(same)
    tune_stem(same, [(mels, frames)], np.array(labels), epochs=2, lr=3e-3, seed=0, log=lambda s: None,
              dro=(["all"] * len(labels), 0.5))
    assert torch.allclose(same.tuned_conv2.weight, model.tuned_conv2.weight, atol=1e-5)
    with pytest.raises(ValueError, match="one group per chunk"):
        tune_stem(same, [(mels, frames)], np.array(labels), epochs=1, lr=3e-3, seed=0, log=lambda s: None,
                  dro=(["all"] * 3, 0.5))


def test_group_dro_learns_a_small_hard_group_that_plain_fine_tuning_neglects(tmp_path):
    """Ten fakes with a 3-kHz whistle, two with a faint 5-kHz one: group DRO weights the small group up,
    so its loss ends lower than with every chunk alike."""
    t = np.arange(32000) / 16000
    real = [synth_speechlike(2.0, seed=s) for s in range(10)]
    big = [(synth_speechlike(2.0, seed=s) + 0.05 * np.sin(2 * np.pi * 3000 * t)).astype(np.float32) for s in range(10, 20)]
    small = [(synth_speechlike(2.0, seed=s) + 0.01 * np.sin(2 * np.pi * 5000 * t)).astype(np.float32) for s in (20, 21)]
    clips, labels = real + big + small, np.array([1] * 10 + [0] * 12)
    groups = ["real"] * 10 + ["big"] * 10 + ["small"] * 2

    def small_loss(dro):
        model = _model(tmp_path)
        init_tuned_branch(model)
        mels, frames = chunk_mels(model, [chunk_batches(c) for c in clips])
        tune_stem(model, [(mels, frames)], labels, epochs=4, lr=3e-3, seed=0, log=lambda s: None, dro=dro)
        with torch.inference_mode():
            logits = torch.cat([model.tuned_logit(torch.from_numpy(c)[None]) for c in small])
        return float(torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits)))

    assert small_loss((groups, 1.0)) < small_loss(None)


def test_sharpness_aware_steps_take_the_gradient_nearby_and_put_the_weights_back(tmp_path):
    clips, labels = _clips()
    model = _model(tmp_path)
    init_tuned_branch(model)
    mels, frames = chunk_mels(model, [chunk_batches(c) for c in clips])
    start = [p.detach().clone() for p in model.tuned_conv2.parameters()]
    # lr 0: the optimiser moves nothing, so the uphill excursion must be undone exactly
    tune_stem(model, [(mels, frames)], np.array(labels), epochs=1, lr=0.0, seed=0, log=lambda s: None, sam=0.5)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(start, model.tuned_conv2.parameters()))

    def trained(sam: float):
        m = _model(tmp_path)
        init_tuned_branch(m)
        losses = tune_stem(m, [(mels, frames)], np.array(labels), epochs=2, lr=3e-3, seed=0, log=lambda s: None,
                           sam=sam)
        return m.tuned_conv2.weight.detach(), losses

    plain, plain_losses = trained(0.0)
    sharp, sharp_losses = trained(0.05)
    assert np.all(np.isfinite(sharp_losses)) and not torch.allclose(plain, sharp)
    assert sharp_losses[0] == pytest.approx(plain_losses[0], rel=0.2)  # the same batches, the same first loss scale


def test_mixup_blends_batches_into_softer_scores_and_off_changes_nothing(tmp_path):
    clips, labels = _clips()
    model = _model(tmp_path)
    init_tuned_branch(model)
    mels, frames = chunk_mels(model, [chunk_batches(c) for c in clips])

    def trained(**kw):
        m = _model(tmp_path)
        init_tuned_branch(m)
        tune_stem(m, [(mels, frames)], np.array(labels), epochs=3, lr=3e-3, seed=0, log=lambda s: None, **kw)
        with torch.inference_mode():
            logits = torch.cat([m.tuned_logit(torch.from_numpy(c)[None]) for c in clips])
        return m.tuned_conv2.weight.detach(), logits

    plain, plain_logits = trained()
    off, _ = trained(mixup=0.0)
    mixed, mixed_logits = trained(mixup=1.0)
    assert torch.equal(plain, off)  # off draws nothing extra: the recipe's runs stay byte-identical
    assert not torch.allclose(plain, mixed)
    # Trained on blends with blended labels, it is less sure of the pure clips.
    assert float(mixed_logits.abs().mean()) < float(plain_logits.abs().mean())
    with pytest.raises(ValueError, match="not together with group DRO"):
        tune_stem(model, [(mels, frames)], np.array(labels), epochs=1, lr=3e-3, seed=0, log=lambda s: None,
                  mixup=0.4, dro=(["all"] * len(labels), 0.5))


def test_page_weights_give_each_page_as_much_real_as_fake():
    from detector.training.tune_stem import page_weights

    y = np.array([0, 0, 0, 1, 0, 0, 1, 1])
    pages = ["a", "a", "a", "a", "b", "b", "c", "c"]  # a: 3 fakes + 1 real; b: fakes only; c: real only
    w = page_weights(y, pages, alone=0.5)
    assert w.mean() == pytest.approx(1.0) and w[y == 0].sum() == pytest.approx(w[y == 1].sum())
    # within page a the one real chunk weighs as much as the three fakes together
    assert w[3] == pytest.approx(w[:3].sum())
    # a one-label page weighs `alone` against a two-label page's 1 (per label, before the label balance)
    assert w[4:6].sum() / w[:3].sum() == pytest.approx(0.5)
    assert np.all(page_weights(y, pages, alone=0.0)[4:] == 0)
    with pytest.raises(ValueError, match="no page gives label"):
        page_weights(np.array([0, 1]), ["a", "b"], alone=0.0)


def _saved_with_folds(tmp_path):
    """A saved tiny model whose training log names two dev folds, and each fold's stem (perturbed weights)."""
    from detector.training.train import write_feature_extractor
    from detector.training.train_whisper import save_fold_stem, save_folds_index
    from detector.training.tune_stem import tuned_weights

    model = _model(tmp_path)
    out = tmp_path / "model"
    model.save_pretrained(out, safe_serialization=True)
    write_feature_extractor(out, normalize=False)
    folds = [frozenset({"glow-tts", "mls"}), frozenset({"xtts", "daps"})]
    (out / "training_log.json").write_text(json.dumps({"tuned_dev_folds": [sorted(f) for f in folds]}))
    stems = {}
    for k, fams in enumerate(folds):
        with torch.no_grad():
            for p in model.tuned_probe.parameters():
                p.add_(0.5 * (k + 1))
        stems[k] = tuned_weights(model)
        save_fold_stem(tmp_path / "folds", k, stems[k])
    save_folds_index(tmp_path / "folds", folds)
    return out, folds, stems


def test_fold_models_carry_each_folds_tuned_stem_and_the_rest_unchanged(tmp_path):
    from safetensors.torch import load_file

    from detector.model_service import ModelService
    from detector.training.fit_evidence import fold_models

    out, folds, stems = _saved_with_folds(tmp_path)
    base = load_file(str(out / "model.safetensors"))
    made = fold_models(out, tmp_path / "folds", tmp_path / "tmp")
    assert [fams for _, fams in made] == folds
    x = synth_speechlike(2.0, seed=3)
    scores = []
    for k, (folder, _) in enumerate(made):
        w = load_file(str(folder / "model.safetensors"))
        assert set(w) == set(base) and set(stems[k]) and set(stems[k]) < set(w)
        assert all(torch.equal(w[n], stems[k][n]) for n in stems[k])
        assert all(torch.equal(w[n], base[n]) for n in base if n not in stems[k])
        svc = ModelService()
        svc.load(str(folder), "float32")
        scores.append(svc.predict_proba([x])[0])
    assert not np.allclose(scores[0], scores[1])  # each fold's stem is really the one scored


def test_fold_stems_of_other_folds_are_refused(tmp_path):
    from detector.errors import SettingsError
    from detector.training.fit_evidence import fold_models

    out, _, _ = _saved_with_folds(tmp_path)
    (out / "training_log.json").write_text(json.dumps({"tuned_dev_folds": [["a"], ["b"]]}))
    with pytest.raises(SettingsError, match="not the folds"):
        fold_models(out, tmp_path / "folds", tmp_path / "tmp")
    with pytest.raises(SettingsError, match="folds.json"):
        fold_models(out, tmp_path / "nowhere", tmp_path / "tmp2")


def test_fit_evidence_refuses_a_model_that_learnt_from_dev_without_its_fold_stems(tmp_path, capsys):
    """Its own dev scores are not held out: fitting the map on them would overstate the evidence."""
    from detector.training.fit_evidence import main

    out, _, _ = _saved_with_folds(tmp_path)
    assert main(["--model", str(out), "--data", str(tmp_path / "nodata"), "--cache", ""]) == 2
    assert "--fold-stems" in capsys.readouterr().err
    assert not (out / "evidence.json").exists()


def test_fold_stems_need_crossfit():
    from detector.errors import SettingsError
    from detector.training.train_whisper import build_parser, train

    args = build_parser().parse_args(["--data", "d", "--out", "o", "--fold-stems", "f"])
    with pytest.raises(SettingsError, match="crossfit"):
        train(args)


def test_one_class_margins_make_the_tuned_loss_the_one_class_softmax(tmp_path):
    """tuned_oc (tried after v12): the tuned logit is alpha * (cosine to the probe's direction - the margins'
    midpoint), and the training loss is the one-class softmax's: softplus(alpha (m_real - cos)) for a real
    chunk, softplus(alpha (cos - m_fake)) for a fake (one batch: the epoch's loss is the starting weights')."""
    clips, labels = _clips()
    y = np.array(labels)
    model, wide = _wide_model(tmp_path, tuned_oc=(20.0, 0.9, 0.2))
    load_tuned_stem(model, wide)
    mels = chunk_mels(model, [chunk_batches(c) for c in clips])
    fit_start_probe(model, [mels], y, C=1.0)
    with torch.inference_mode():
        x = (model.tuned_features_from_mel(mels[0].float(), mels[1]) - model.tuned_mean) / model.tuned_std
        cos = torch.nn.functional.cosine_similarity(x, model.tuned_probe.weight[:1], dim=1).double()
        assert torch.allclose(model.tuned_logit_from_mel(mels[0].float(), mels[1]).double(), 20 * (cos - 0.55), atol=1e-4)
    real = torch.as_tensor(y == 1)
    expected = torch.cat([torch.nn.functional.softplus(20 * (0.9 - cos[real])),
                          torch.nn.functional.softplus(20 * (cos[~real] - 0.2))]).mean()
    assert model.tuned_margin() == pytest.approx(7.0)
    losses = tune_stem(model, [mels], y, epochs=1, lr=3e-3, seed=0, log=lambda s: None)
    assert losses[0] == pytest.approx(float(expected), rel=1e-4)
    with pytest.raises(ValueError, match="tuned_oc"):
        FaikWhisperExperimentConfig(tuned_oc=(20.0, 0.2, 0.9))
    with pytest.raises(ValueError, match="without mixup"):
        tune_stem(model, [mels], y, epochs=1, lr=3e-3, seed=0, log=lambda s: None, mixup=0.4)


def test_era_weights_draw_modern_fakes_more_often_and_keep_each_labels_share():
    labels = np.array([0, 0, 0, 0, 1, 1])
    groups = ["fake:vall-e", "fake:wavenet", "fake:wavenet", "fake:vall-e", "real:ljspeech", "real:vctk"]
    w = era_weights(labels, groups, frozenset({"fake:vall-e"}), 3.0)
    assert w.mean() == pytest.approx(1.0)
    assert w[0] == pytest.approx(3 * w[1]) and w[0] == pytest.approx(w[3])
    assert w[labels == 0].sum() == pytest.approx(4.0) and w[4] == pytest.approx(1.0)  # the fakes keep their share
    assert np.allclose(era_weights(labels, groups, frozenset({"fake:vall-e"}), 1.0), 1.0)
    with pytest.raises(ValueError, match="factor > 0"):
        era_weights(labels, groups, frozenset(), 0.0)


def test_modern_train_families_are_train_families_outside_dev():
    import csv

    from detector.training.data import DEV_FAKE_FAMILIES, MODERN_TRAIN_FAMILIES
    from tests.faik_testkit import SHARED_DATA

    if not (SHARED_DATA / "index.csv").is_file():
        pytest.skip("needs ../shared/data")
    with open(SHARED_DATA / "index.csv", newline="", encoding="utf-8") as fh:
        train = {r["family"] for r in csv.DictReader(fh) if r["split"] == "train" and r["label"] == "fake"}
    assert MODERN_TRAIN_FAMILIES <= train - DEV_FAKE_FAMILIES


def test_spec_augment_masks_bands_and_frames_inside_the_valid_part_with_the_rows_mean():
    rng = np.random.default_rng(0)
    mel = torch.randn(3, 80, 60)
    mel[2, :, 30:] = -1.5  # padding after row 2's 30 valid frames
    valid = torch.tensor([60, 60, 30])
    out = spec_augment(mel, valid, (10, 8, 2), rng)
    assert out.shape == mel.shape and not torch.equal(out, mel)
    assert torch.equal(mel[2, :, 30:], out[2, :, 30:])  # the padding is never touched
    for b in range(3):
        n = int(valid[b])
        changed = out[b, :, :n] != mel[b, :, :n]
        assert torch.allclose(out[b, :, :n][changed], mel[b, :, :n].mean().expand(int(changed.sum())))
        bands = changed.all(1).sum() + 0
        frames = changed.all(0).sum() + 0
        assert bands <= 20 and frames <= 16  # at most two masks of each kind, each at most its widest
    assert torch.equal(spec_augment(mel, valid, (0, 0, 2), rng), mel)
    again = spec_augment(mel, valid, (10, 8, 2), np.random.default_rng(0))
    assert torch.equal(again, out)  # the same draws, the same masks
