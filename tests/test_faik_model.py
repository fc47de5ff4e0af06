"""The built-in architecture: loads through the Auto classes like a hub model, masks padding, any length."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification, Wav2Vec2FeatureExtractor

from detector.faik_model import (
    FaikDetectorConfig,
    FaikDetectorForAudioClassification,
    linear_filterbank,
    mel_filterbank,
)
from tests.conftest import synth_speechlike


def _small() -> FaikDetectorConfig:
    return FaikDetectorConfig(channels=[4, 8, 8, 8], embed_dim=16, attention_dim=8, n_mels=32, n_linear=32)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    torch.manual_seed(0)
    model = FaikDetectorForAudioClassification(_small()).eval()
    folder = tmp_path_factory.mktemp("faik")
    model.save_pretrained(folder, safe_serialization=True)
    Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True, return_attention_mask=True).save_pretrained(folder)
    return model, folder


def test_loads_through_auto_classes_without_remote_code(saved):
    model, folder = saved
    assert (folder / "model.safetensors").exists()
    cfg = AutoConfig.from_pretrained(folder)
    assert cfg.model_type == "faik-detector"
    assert cfg.id2label == {0: "ai-generated", 1: "real"}
    loaded = AutoModelForAudioClassification.from_pretrained(folder, use_safetensors=True).eval()
    assert isinstance(loaded, FaikDetectorForAudioClassification)
    fe = AutoFeatureExtractor.from_pretrained(folder)
    x = fe([synth_speechlike(2.0)], sampling_rate=16000, return_tensors="pt")
    with torch.inference_mode():
        a, b = model(**x).logits, loaded(**x).logits
    assert a.shape == (1, 2)
    torch.testing.assert_close(a, b)


def test_any_length_and_short_inputs(saved):
    model, _ = saved
    with torch.inference_mode():
        for n in (300, 8000, 16000 * 5 + 123):
            out = model(torch.from_numpy(synth_speechlike(n / 16000))[None, :] if n > 300 else torch.zeros(1, n))
            assert out.logits.shape == (1, 2) and torch.isfinite(out.logits).all()


def test_padding_is_masked(saved):
    """A short clip padded in a batch scores (almost) as it does alone: padding is not evidence."""
    model, folder = saved
    fe = AutoFeatureExtractor.from_pretrained(folder)
    long, short = synth_speechlike(4.0, seed=1), synth_speechlike(1.5, seed=2)
    with torch.inference_mode():
        batch = model(**fe([long, short], sampling_rate=16000, return_tensors="pt", padding=True)).logits
        alone = model(**fe([short], sampling_rate=16000, return_tensors="pt")).logits
        nomask = model(**{"input_values": fe([long, short], sampling_rate=16000, return_tensors="pt",
                                              padding=True)["input_values"]}).logits
    p_batch, p_alone = torch.softmax(batch[1], -1), torch.softmax(alone[0], -1)
    assert torch.allclose(p_batch, p_alone, atol=0.03)
    # ...and the mask really matters: without it the padded zeros change the features.
    feats_m, mask = model.frame_features(torch.stack([torch.zeros(16000), torch.zeros(16000)]),
                                         torch.tensor([[1] * 16000, [1] * 8000 + [0] * 8000]))
    assert mask[0].sum() > mask[1].sum()
    assert not torch.allclose(nomask[1], batch[1])


def test_front_end_is_level_invariant(saved):
    """Per-utterance mean normalisation of log energies: a gain change moves nothing (well above the floor)."""
    model, _ = saved
    x = synth_speechlike(2.0) + 0.01 * np.random.default_rng(0).standard_normal(32000).astype(np.float32)
    x = torch.from_numpy(x / x.std())[None, :]  # the feature extractor's do_normalize gives unit variance
    with torch.inference_mode():
        f1, _ = model.frame_features(x)
        f2, _ = model.frame_features(0.5 * x)
        f3, _ = model.frame_features(x.flip(-1))
    assert (f1 - f2).abs().max() < 1e-3
    assert (f1 - f3.flip(-1)).abs().mean() > 1e-3  # the check can fail: features do depend on the signal


def test_labels_give_a_loss_and_gradients():
    torch.manual_seed(0)
    model = FaikDetectorForAudioClassification(_small()).train()
    x = torch.from_numpy(np.stack([synth_speechlike(1.0, seed=s) for s in range(4)]))
    out = model(input_values=x, labels=torch.tensor([0, 1, 0, 1]))
    assert out.loss is not None and out.loss.item() > 0
    out.loss.backward()
    assert model.head[-1].weight.grad is not None


def test_temperature_divides_logits(saved):
    model, _ = saved
    x = torch.from_numpy(synth_speechlike(1.0))[None, :]
    with torch.inference_mode():
        a = model(x).logits
        model.logit_scale.fill_(2.0)
        b = model(x).logits
        model.logit_scale.fill_(1.0)
        model.logit_bias[0] = 1.5
        c = model(x).logits
        model.logit_bias.zero_()
    torch.testing.assert_close(a / 2.0, b)
    torch.testing.assert_close(c, a + torch.tensor([1.5, 0.0]))


def test_filterbanks_cover_the_band():
    mel, lin = mel_filterbank(64, 512, 16000, 20, 8000), linear_filterbank(64, 512, 16000, 20, 8000)
    assert mel.shape == lin.shape == (64, 257)
    # The linear bank has as many bands above 4 kHz as below (high-band resolution), mel far fewer.
    peaks_lin, peaks_mel = lin.argmax(1) * 31.25, mel.argmax(1) * 31.25
    assert (peaks_lin > 4000).sum() >= 30 and (peaks_mel > 4000).sum() < 20
    assert np.all(mel.sum(1) > 0) and np.all(lin.sum(1) > 0)


def test_inference_runs_on_channels_last_features_with_the_training_layouts_numbers(saved):
    """Inference hands the convolutions channels-last features (faster on oneDNN); the numbers must be
    those of the plain layout the network was trained in (training mode keeps that layout)."""
    model, _ = saved
    x = torch.from_numpy(np.stack([synth_speechlike(3.0, seed=s) for s in (1, 2)]))
    seen = []
    hook = model.stem.register_forward_pre_hook(lambda m, args: seen.append(args[0].is_contiguous()))
    try:
        with torch.no_grad():
            fast = model(x).logits
            model.train()
            for m in model.modules():  # only the layout switch sees training mode: no dropout, BN as in eval
                if m is not model:
                    m.eval()
            plain = model(x).logits
    finally:
        model.eval()
        hook.remove()
    assert seen == [False, True]  # channels-last in inference, the plain layout in training
    torch.testing.assert_close(fast, plain, rtol=1e-5, atol=1e-5)
