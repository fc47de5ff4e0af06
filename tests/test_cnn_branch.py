"""detector.training.phase_cnn and cnn_branch: a candidate CNN branch measured in v11's fusion from cached logits."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from detector.faik_model import FaikDetectorConfig, FaikDetectorForAudioClassification
from detector.training.branch_scores import BranchScores, file_p_ai, score_files
from detector.training.cnn_branch import cnn_chunk_logits, evaluate_candidate, fit_file_calibration, fused_logits
from detector.training.phase_cnn import PhaseCnnForAudioClassification, cnn_model, load_cnn, phase_planes
from detector.training.train import Item, add_acoustic_variants, build_store, make_batch
from tests.faik_testkit import synth_speechlike, write_ct2_whisper
from tests.test_whisper_model import TINY_CNN, _model


def _stft(x: np.ndarray) -> torch.Tensor:
    return torch.stft(torch.tensor(x, dtype=torch.float32)[None], 512, 160, 400, torch.hann_window(400),
                      center=True, return_complex=True)


def test_phase_planes_read_a_tones_frequency_and_a_clicks_delay():
    one_bin = torch.zeros(1, 257)
    one_bin[0, 40] = 1.0
    t = np.arange(32000) / 16000
    tone = phase_planes(_stft(np.sin(2 * np.pi * 16000 / 512 * 40 * t)), one_bin, 160, 512)
    assert tone.shape == (1, 4, 1, 201)
    assert torch.allclose(tone[0, :2, 0, 5:195].mean(-1), torch.tensor([1.0, 0.0]), atol=1e-4)
    for delay in (0, 10):
        click = np.zeros(3200)
        click[1600 + delay] = 1.0  # frame 10 is centred on sample 1600
        gd = phase_planes(_stft(click), one_bin, 160, 512)[0, 2:, 0, 10]
        turn = -2 * np.pi * delay / 512
        assert torch.allclose(gd, torch.tensor([np.cos(turn), np.sin(turn)], dtype=torch.float32), atol=1e-4)


def test_the_phase_cnn_reads_six_planes_and_loads_by_its_own_type(tmp_path):
    plain = cnn_model(dict(TINY_CNN))
    assert type(plain) is FaikDetectorForAudioClassification and plain.stem[0].in_channels == 2
    model = cnn_model({**TINY_CNN, "phase_planes": 4}).eval()
    assert isinstance(model, PhaseCnnForAudioClassification) and model.stem[0].in_channels == 6
    x = torch.from_numpy(synth_speechlike(1.5, seed=3))[None]
    feats, mask = model.frame_features(x)
    ref, _ = plain.frame_features(x)
    assert feats.shape[1] == 6 and torch.equal(feats[:, :2], ref)  # the log bands as the shipped CNN's
    model.save_pretrained(tmp_path / "phase", safe_serialization=True)
    back = load_cnn(tmp_path / "phase").eval()
    assert type(back) is PhaseCnnForAudioClassification
    assert torch.allclose(back(x).logits, model(x).logits)
    # The shipped CNN class is untouched by the experiment.
    assert FaikDetectorForAudioClassification(FaikDetectorConfig(**TINY_CNN)).input_planes == 2


def test_a_cnn_scored_alone_reproduces_the_fusions_cnn_column(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    fused = _model(tmp_path, cnn=True)
    rows = []
    for i, (seconds, label) in enumerate([(3.0, "real"), (7.5, "fake"), (6.0, "real")]):
        sf.write(str(tmp_path / f"c{i}.wav"), synth_speechlike(seconds, seed=60 + i), 16000)
        rows.append({"file": f"c{i}.wav", "label": label, "family": "e1tts" if label == "fake" else "r"})
    for channel in ("clean", "phone-8k"):  # a channel copy depends on the file's position: same copies
        cached = score_files(fused, rows, tmp_path, channel)
        mine = cnn_chunk_logits(fused.cnn.eval(), cached.files, tmp_path, channel)
        assert np.allclose(mine / float(fused.branch_scale[1]), cached.logits[:, 1], atol=1e-5)


def _cached(n_files: int, seed: int, chunks: int = 2) -> BranchScores:
    rng = np.random.default_rng(seed)
    labels = np.arange(n_files) % 2
    file_of = np.repeat(np.arange(n_files), chunks)
    logits = rng.normal(size=(len(file_of), 6)) + (0.3 - 0.6 * labels[file_of])[:, None]
    fams = ["e1tts" if y else "real-src" for y in labels]
    return BranchScores([f"f{i}" for i in range(n_files)], labels, ["en"] * n_files, fams, file_of, logits,
                        torch.zeros(len(file_of), 80, 1), np.ones(len(file_of)), torch.ones(len(file_of)))


def test_the_cnns_own_column_in_place_of_the_cnn_is_the_reference():
    weights = [0.3, 0.1, 0.1, 0.1, 0.2, 0.2]
    dev = {ch: _cached(40, i) for i, ch in enumerate(("clean", "mp3-32k", "phone-8k"))}
    val = {ch: _cached(30, 10 + i) for i, ch in enumerate(("clean", "mp3-32k", "phone-8k"))}
    ref = evaluate_candidate("ref", dev, val, weights, "reference")
    # the cached CNN column itself, at its dev-clean spread: "replace" must give the reference's figures
    spread = dev["clean"].logits[:, 1].std()
    same = ({c: s.logits[:, 1] * spread for c, s in dev.items()}, {c: s.logits[:, 1] * spread for c, s in val.items()})
    again = evaluate_candidate("same", dev, val, weights, "replace", same)
    assert again.modern == pytest.approx(ref.modern) and again.dev == pytest.approx(ref.dev)
    assert again.scale == pytest.approx(ref.scale, rel=1e-3) and again.bias == pytest.approx(ref.bias, abs=1e-3)
    noise = ({c: np.random.default_rng(1).normal(size=len(s.file_of)) for c, s in dev.items()},
             {c: np.random.default_rng(2).normal(size=len(s.file_of)) for c, s in val.items()})
    alone = evaluate_candidate("noise", dev, val, weights, "alone", noise)
    assert min(alone.modern) > min(ref.modern)  # a column of noise separates nothing
    added = fused_logits(dev["clean"], weights, np.ones(80), "add", 0.25)
    assert np.allclose(added, dev["clean"].logits @ (np.array(weights) * 0.75) + 0.25)
    with pytest.raises(ValueError, match="needs a column"):
        fused_logits(dev["clean"], weights, None, "alone")


def test_file_calibration_recovers_a_known_scale_and_bias():
    rng = np.random.default_rng(0)
    file_of = np.arange(4000)
    z = rng.normal(scale=3.0, size=4000)
    p_ai = 1 / (1 + np.exp(z / 1.5))  # both classes equally common, so the class balancing changes nothing
    y = (rng.random(4000) < p_ai).astype(int)
    scale, bias = fit_file_calibration([(file_of, z, y)])
    assert scale == pytest.approx(1.5, rel=0.1) and bias == pytest.approx(0.0, abs=0.1)
    shifted = fit_file_calibration([(file_of, z + 2.0, y)])  # a logit offset comes back as the bias
    assert shifted[0] == pytest.approx(scale, rel=1e-3) and shifted[1] == pytest.approx(bias - 2.0 / scale, abs=1e-3)
    assert np.allclose(file_p_ai(np.array([0, 0, 1]), np.array([0.0, 0.0, 100.0]), 1.0, 0.0), [0.5, 0.0])


def test_acoustic_copies_become_variants_of_the_train_items(tmp_path, monkeypatch):
    import detector.training.train as recipe

    monkeypatch.setattr(recipe, "random_augment", lambda x, sr, rng, **kw: (x, ""))
    sig = {"a": synth_speechlike(2.0, seed=5)}
    train = build_store([(k, (lambda v=v: v)) for k, v in sig.items()], tmp_path / "train", workers=1,
                        log=lambda s: None)
    other = synth_speechlike(2.0, seed=6)
    build_store([("a", lambda: other)], tmp_path / "cache" / "acoustic-voip-seed0", workers=1, log=lambda s: None,
                variants=("clean",))
    stores = {"train": train}
    items, probs = add_acoustic_variants([Item("train", "a", 1, "g", ("clean",)), Item("extra", "b", 0, "h", ("clean",))],
                                         stores, ["voip"], tmp_path / "cache", 0, 1.0)
    assert items[0].variants == ("clean", "voip") and items[1].variants == ("clean",)
    assert stores["train:voip"] is not None and probs["voip"] == 1.0 and probs["clean"] == 0.4
    def corr(x: torch.Tensor, y: np.ndarray) -> float:
        return float(np.corrcoef(x.numpy(), y[: x.numel()])[0, 1])

    for variant, source in (("voip", other), ("clean", sig["a"])):
        x, _, _ = make_batch(items[:1], stores, np.random.default_rng(0), 2.0, 2.0, variant_probs={variant: 1.0})
        assert corr(x[0], source) > 0.99
    with pytest.raises(Exception, match="no acoustic copy"):
        add_acoustic_variants(items, stores, ["reverb"], tmp_path / "cache", 0, 0.1)
