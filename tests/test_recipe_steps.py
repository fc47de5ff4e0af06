"""The v10 recipe's named steps (detector.training.train_whisper), each on a tiny model and synthetic audio."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from detector.faik_model import FaikDetectorConfig, FaikDetectorForAudioClassification
from detector.faik_whisper_model import class_logits
from detector.training.train import file_scores, summarise
from detector.training.train_whisper import (assemble_model, build_parser, calibrate, chunk_batches, fit_branch_spreads,
                                             write_model_folder)
from tests.faik_testkit import synth_speechlike, write_ct2_whisper, write_resemblyzer_checkpoint

TINY_CNN = {"channels": [4, 8, 8, 8], "embed_dim": 16, "attention_dim": 8}


@pytest.fixture()
def assembled(tmp_path):
    write_ct2_whisper(tmp_path / "model.bin", d_model=8, heads=2, layers=1)
    write_ct2_whisper(tmp_path / "wide.bin", d_model=12, heads=2, layers=0, seed=1)
    FaikDetectorForAudioClassification(FaikDetectorConfig(**TINY_CNN)).save_pretrained(tmp_path / "cnn")
    speaker = write_resemblyzer_checkpoint(tmp_path / "pretrained.pt")
    args = build_parser().parse_args([
        "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--whisper", str(tmp_path / "model.bin"),
        "--layers", "0", "--cnn", str(tmp_path / "cnn"), "--speaker-encoder", str(speaker),
        "--distil-weight", "0", "--tuned-stem", str(tmp_path / "wide.bin")])
    torch.manual_seed(0)
    return assemble_model(args), tmp_path


def test_assemble_model_loads_the_frozen_parts_and_fits_nothing(assembled):
    a, tmp_path = assembled
    m = a.model
    assert a.whisper_path == tmp_path / "model.bin" and a.teacher_path is None
    assert a.tuned_vars is not None and m.config.tuned_d_model == 12  # the tuned stem's source: the wider Whisper
    cnn = FaikDetectorForAudioClassification.from_pretrained(tmp_path / "cnn")
    assert all(torch.equal(v, m.cnn.state_dict()[k]) for k, v in cnn.state_dict().items())
    assert m.speaker is not None and m.conv1_probe is not None and m.distil_probe is None
    assert float(m.logit_scale) == 1.0 and float(m.branch_scale[0]) == 1.0  # nothing fitted yet
    assert type(m).__name__ == "FaikWhisperDetectorForAudioClassification"  # the shipped class


def test_branch_spreads_make_each_branch_unit_spread_on_dev(assembled):
    m = assembled[0].model.eval()
    dev_chunks = [chunk_batches(synth_speechlike(6.0, seed=s)) for s in range(3)]
    spreads = fit_branch_spreads(m, dev_chunks)
    assert len(spreads) == 5  # probe, cnn, speaker, conv1, tuned
    with torch.inference_mode():
        scaled = torch.cat([m.scaled_branch_logits(c) for c in dev_chunks])
    for col in (0, 1, 2, 3, 5):  # every branch the model has, divided by its own spread
        assert float(scaled[:, col].std()) == pytest.approx(1.0, rel=1e-4)
    held_out = torch.tensor([0.0, 2.0, 4.0])
    assert fit_branch_spreads(m, dev_chunks, held_out)[-1] == pytest.approx(float(held_out.std()))


def test_calibrate_stores_the_fitted_temperature_and_bias(assembled):
    m = assembled[0].model
    rng = np.random.default_rng(0)
    dev_y = np.array([0, 1] * 20)  # 1 = fake: its "real" logits are lower
    dev_logits = [class_logits(torch.tensor(rng.normal(4.0 * (0.5 - y), 3.0, size=3), dtype=torch.float32)) for y in dev_y]
    temperature, bias, before, after = calibrate(m, dev_logits, dev_y)
    assert float(m.logit_scale) == pytest.approx(temperature) and float(m.logit_bias) == pytest.approx(-bias)
    assert before == summarise(dev_y, file_scores(dev_logits))
    assert after == summarise(dev_y, file_scores(dev_logits, temperature, bias))


def test_write_model_folder_gives_a_folder_the_app_loads(assembled):
    from detector.model_service import ModelService

    a, tmp_path = assembled
    write_model_folder(tmp_path / "out", a.model, {"temperature": 1.0})
    assert json.loads((tmp_path / "out" / "training_log.json").read_text()) == {"temperature": 1.0}
    info = ModelService().load(tmp_path / "out")
    assert info.architecture == "FaikWhisperDetectorForAudioClassification"


def test_tune_seed_defaults_to_the_copies_seed_and_can_differ():
    from detector.training.train_whisper import build_parser, tune_seed

    base = ["--data", "d", "--out", "o"]
    assert tune_seed(build_parser().parse_args(base + ["--seed", "4"])) == 4
    assert tune_seed(build_parser().parse_args(base + ["--seed", "4", "--tune-seed", "7"])) == 7
