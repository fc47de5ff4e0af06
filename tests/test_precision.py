"""The number format the model computes in (detector.precision): auto picks bfloat16 only with AMX,
every result says which format it used, and a wrong name is a usage error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detector import precision
from detector.errors import SettingsError
from detector.model_service import ModelService, ModelState

REAL_HAS_AMX = precision.has_amx  # taken before conftest's autouse fixture replaces it in each test


@pytest.mark.parametrize("amx, expected", [(True, "bfloat16"), (False, "float32")])
def test_auto_follows_amx(monkeypatch, amx, expected):
    monkeypatch.setattr(precision, "has_amx", lambda: amx)
    assert precision.resolve_precision("auto") == expected
    assert precision.resolve_precision(None) == expected
    assert precision.resolve_precision("float32") == "float32"
    assert precision.resolve_precision(" BFloat16 ") == "bfloat16"


def test_auto_keeps_float32_for_a_model_nobody_measured_in_bfloat16(monkeypatch, tiny_model_dir):
    """Only the built-in model's scores were compared in both formats; a folder or hub model someone brings
    stays float32 under auto, and gets bfloat16 only when asked."""
    monkeypatch.setattr(precision, "has_amx", lambda: True)
    assert precision.resolve_precision("auto", bfloat16_measured=False) == "float32"
    assert precision.resolve_precision("bfloat16", bfloat16_measured=False) == "bfloat16"
    assert ModelService().load(str(tiny_model_dir)).precision == "float32"
    assert ModelService().load(str(tiny_model_dir), "bfloat16").precision == "bfloat16"


def test_auto_picks_bfloat16_for_the_built_in_model_on_amx(monkeypatch):
    from detector.model_service import BUILTIN_MODEL_DIR

    if not (BUILTIN_MODEL_DIR / "model.safetensors").is_file():
        pytest.skip("the built-in model is not installed")
    monkeypatch.setattr(precision, "has_amx", lambda: True)
    assert ModelService().load(None).precision == "bfloat16"
    monkeypatch.setattr(precision, "has_amx", lambda: False)
    assert ModelService().load(None).precision == "float32"


@pytest.mark.parametrize("bad", ["fp16", "", "float64", "int8"])
def test_unknown_precision_is_a_settings_error(bad):
    with pytest.raises(SettingsError, match="precision must be one of auto, float32, bfloat16"):
        precision.resolve_precision(bad)


def test_has_amx_is_false_when_torch_cannot_tell(monkeypatch):
    import torch

    def broken():
        raise RuntimeError("no cpuinfo")

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", broken, raising=False)
    assert REAL_HAS_AMX() is False
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)
    assert REAL_HAS_AMX() is False


def test_bfloat16_changes_the_scores_a_little_and_says_so(tiny_model_dir, write_audio):
    chunks = [np.sin(np.linspace(0, 900, 16000)).astype(np.float32) * 0.3,
              np.random.default_rng(1).standard_normal(24000).astype(np.float32) * 0.1]
    exact, fast = ModelService(), ModelService()
    assert exact.load(str(tiny_model_dir), "float32").precision == "float32"
    assert fast.load(str(tiny_model_dir), "bfloat16").precision == "bfloat16"
    p32, p16 = exact.predict_proba(chunks), fast.predict_proba(chunks)
    assert not np.array_equal(p32, p16)  # the model really ran in bfloat16 ...
    np.testing.assert_allclose(p16, p32, atol=0.02)  # ... and answers nearly the same
    assert fast.info.to_dict()["precision"] == "bfloat16"


def test_a_wrong_precision_fails_the_load_clearly(tiny_model_dir):
    svc = ModelService()
    with pytest.raises(SettingsError, match="precision must be one of"):
        svc.load(str(tiny_model_dir), "half")
    assert svc.state is ModelState.FAILED and svc.info is None


def test_cli_records_the_precision_in_the_result(tiny_model_dir, write_audio, tmp_path, capsys):
    from detector.cli import main

    wav = write_audio("a.wav", 3.0)
    out = tmp_path / "out"
    assert main(["analyze", str(wav), "--model", str(tiny_model_dir), "--out", str(out), "-q",
                 "--precision", "bfloat16"]) == 0
    result = json.loads((out / "a.faik.json").read_text())
    assert result["provenance"]["model"]["precision"] == "bfloat16"
    assert main(["analyze", str(wav), "--model", str(tiny_model_dir), "--out", str(out), "-q"]) == 0
    assert json.loads((out / "a.faik.json").read_text())["provenance"]["model"]["precision"] == "float32"
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(wav), "--precision", "fp16"])
    assert exc.value.code == 2
    assert "invalid choice: 'fp16'" in capsys.readouterr().err


def test_measurements_default_to_float32_and_analysis_to_auto():
    """A figure from faik evaluate must not depend on the machine it was measured on; an analysis takes
    the faster format where the CPU has one."""
    from detector.cli import build_parser

    p = build_parser()
    assert p.parse_args(["evaluate", "index.csv"]).precision == "float32"
    assert p.parse_args(["analyze", "a.wav"]).precision == "auto"
    assert p.parse_args(["model-info"]).precision == "auto"
