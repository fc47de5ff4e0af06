"""ModelService: sources, states, label mapping by meaning, safetensors only, offline behaviour."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from faik_testkit import save_tiny_wav2vec2, synth_speechlike, unshare_works
from detector.errors import ModelLoadError, ModelNotReadyError
from detector.model_service import (
    BUILTIN_MODEL_DIR,
    SEED_HUB_MODEL_ID,
    ModelService,
    ModelState,
    classify_source,
    resolve_label_mapping,
)

REPO = Path(__file__).resolve().parents[1]


def _chunks(n=3, seconds=1.0):
    return [synth_speechlike(seconds, seed=i) for i in range(n)]


def test_load_tiny_seed_model_and_info(tiny_model_dir):
    svc = ModelService()
    assert svc.state is ModelState.NOT_LOADED and not svc.is_ready()
    info = svc.load(tiny_model_dir)
    assert svc.state is ModelState.READY and svc.is_ready() and svc.error is None
    assert info.source_kind == "folder"
    assert info.architecture == "Wav2Vec2ForSequenceClassification"
    assert info.sample_rate == 16000 and info.device == "cpu"
    assert info.labels == {0: "fake", 1: "real"} and (info.ai_index, info.real_index) == (0, 1)
    import hashlib

    assert info.weights_sha256 == hashlib.sha256((tiny_model_dir / "model.safetensors").read_bytes()).hexdigest()
    assert info.num_parameters > 1000 and info.load_time_s >= 0
    d = info.to_dict()
    json.dumps(d)
    assert d["labels"] == {"0": "fake", "1": "real"}


def test_predict_proba_shape_and_rows_sum_to_one(tiny_model_dir):
    svc = ModelService()
    svc.load(tiny_model_dir)
    p = svc.predict_proba(_chunks(3))
    assert p.shape == (3, 2)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert svc.predict_proba([]).shape == (0, 2)
    # Batching does not change a chunk's answer.
    single = svc.predict_proba(_chunks(3)[:1])
    assert np.allclose(single[0], p[0], atol=1e-5)


def test_predict_matches_manual_softmax_with_feature_extractor(tiny_model_dir):
    import torch
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    svc = ModelService()
    svc.load(tiny_model_dir)
    chunks = _chunks(2, 1.5)
    fe = AutoFeatureExtractor.from_pretrained(tiny_model_dir)
    model = AutoModelForAudioClassification.from_pretrained(tiny_model_dir).eval()
    with torch.no_grad():
        ref = torch.softmax(model(**fe(chunks, sampling_rate=16000, return_tensors="pt", padding=True)).logits, -1)
    assert np.allclose(svc.predict_proba(chunks), ref.numpy(), atol=1e-6)


def test_swapped_labels_reorder_columns(tmp_path, tiny_model_dir):
    seed = ModelService()
    seed.load(tiny_model_dir)
    swapped_dir = save_tiny_wav2vec2(tmp_path / "swapped", {0: "real", 1: "fake"})  # same weights, labels swapped
    swapped = ModelService()
    info = swapped.load(swapped_dir)
    assert (info.ai_index, info.real_index) == (1, 0)
    chunks = _chunks(3)
    a, b = seed.predict_proba(chunks), swapped.predict_proba(chunks)
    # Same logits: the seed model's P(AI) is column 0, the swapped one's comes from its column 1.
    assert not np.allclose(a[:, 0], a[:, 1])
    assert np.allclose(b[:, 0], a[:, 1]) and np.allclose(b[:, 1], a[:, 0])


@pytest.mark.parametrize(
    "labels, expected",
    [
        ({0: "fake", 1: "real"}, (0, 1)),
        ({0: "real", 1: "fake"}, (1, 0)),
        ({0: "LABEL_0", 1: "LABEL_1"}, (0, 1)),
        ({0: "bonafide", 1: "spoof"}, (1, 0)),
        ({0: "Bona Fide", 1: "Spoof"}, (1, 0)),
        ({0: "AI-generated", 1: "Human"}, (0, 1)),
        ({0: "genuine", 1: "Deepfake"}, (1, 0)),
        ({"0": "synthetic", "1": "authentic"}, (0, 1)),
        ({0: "ai_generated", 1: "REAL"}, (0, 1)),
    ],
)
def test_label_mapping_by_meaning(labels, expected):
    assert resolve_label_mapping(labels) == expected


@pytest.mark.parametrize(
    "labels",
    [
        {0: "cat", 1: "dog"},
        {0: "fake", 1: "spoof"},
        {0: "real", 1: "genuine"},
        {0: "fake", 1: "real", 2: "unknown"},
        {0: "fake"},
        {0: "LABEL_1", 1: "LABEL_0"},
        {0: "not real", 1: "real"},
        {},
        None,
    ],
)
def test_unreadable_label_mapping_is_an_error(labels):
    with pytest.raises(ModelLoadError):
        resolve_label_mapping(labels)


def test_unreadable_labels_fail_the_load(tmp_path):
    folder = save_tiny_wav2vec2(tmp_path / "pets", {0: "cat", 1: "dog"})
    svc = ModelService()
    with pytest.raises(ModelLoadError, match="cannot tell which class"):
        svc.load(folder)
    assert svc.state is ModelState.FAILED and "cat" in svc.error and svc.info is None
    with pytest.raises(ModelNotReadyError):
        svc.predict_proba(_chunks(1))


def test_missing_files_are_named(tmp_path, tiny_model_dir):
    svc = ModelService()
    no_cfg = tmp_path / "no-config"
    shutil.copytree(tiny_model_dir, no_cfg)
    (no_cfg / "config.json").unlink()
    with pytest.raises(ModelLoadError, match="no config.json"):
        svc.load(no_cfg)

    no_weights = tmp_path / "no-weights"
    shutil.copytree(tiny_model_dir, no_weights)
    (no_weights / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="no model.safetensors"):
        svc.load(no_weights)

    pickle_only = tmp_path / "pickle-only"
    shutil.copytree(tiny_model_dir, pickle_only)
    (pickle_only / "model.safetensors").rename(pickle_only / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match="only pytorch_model.bin.*safetensors"):
        svc.load(pickle_only)

    no_fe = tmp_path / "no-fe"
    shutil.copytree(tiny_model_dir, no_fe)
    (no_fe / "preprocessor_config.json").unlink()
    with pytest.raises(ModelLoadError, match="preprocessor_config.json"):
        svc.load(no_fe)

    with pytest.raises(ModelLoadError, match="does not exist"):
        svc.load(tmp_path / "nowhere")
    with pytest.raises(ModelLoadError, match="is a file"):
        svc.load(tiny_model_dir / "config.json")
    assert svc.state is ModelState.FAILED and "\n" not in svc.error


def test_classify_source():
    assert classify_source(None) == ("built-in", BUILTIN_MODEL_DIR)
    assert classify_source(SEED_HUB_MODEL_ID) == ("hub", SEED_HUB_MODEL_ID)
    assert classify_source("./some/folder")[0] == "folder"
    assert classify_source("/abs/folder")[0] == "folder"
    assert BUILTIN_MODEL_DIR.parts[-3:] == ("resources", "models", "faik-detector-v12")


def test_builtin_dir_inside_pyinstaller_bundle(tmp_path):
    code = textwrap.dedent(
        f"""
        import sys; sys._MEIPASS = {str(tmp_path)!r}
        from detector.model_service import BUILTIN_MODEL_DIR
        print(BUILTIN_MODEL_DIR)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(tmp_path / "resources" / "models" / "faik-detector-v12")


def _fake_hub_cache(cache: Path, model_dir: Path, repo_id: str = SEED_HUB_MODEL_ID) -> Path:
    """The layout huggingface_hub writes: blobs + snapshots/<commit>/ symlinks + refs/main."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snap = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True)
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    import hashlib

    for f in model_dir.iterdir():
        blob = repo / "blobs" / hashlib.sha256(f.read_bytes()).hexdigest()
        shutil.copy(f, blob)
        (snap / f.name).symlink_to(os.path.relpath(blob, snap))
    return snap


def test_hub_id_loads_unchanged_from_cache_offline(tmp_path, tiny_model_dir, monkeypatch):
    cache = tmp_path / "hf" / "hub"
    _fake_hub_cache(cache, tiny_model_dir)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    svc = ModelService()
    info = svc.load(SEED_HUB_MODEL_ID)
    assert info.source_kind == "hub" and info.name == SEED_HUB_MODEL_ID
    assert (info.ai_index, info.real_index) == (0, 1)
    ref = ModelService()
    ref.load(tiny_model_dir)
    assert info.weights_sha256 == ref.info.weights_sha256
    assert np.allclose(svc.predict_proba(_chunks(2)), ref.predict_proba(_chunks(2)))


def test_hub_id_via_hf_home(tmp_path, tiny_model_dir, monkeypatch):
    _fake_hub_cache(tmp_path / "home" / "hub", tiny_model_dir)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert ModelService().load(SEED_HUB_MODEL_ID).source_kind == "hub"


def test_uncached_hub_id_offline_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    svc = ModelService()
    t0 = time.monotonic()
    with pytest.raises(ModelLoadError, match="needs network or a cached copy"):
        svc.load("someone/not-cached-model")
    assert time.monotonic() - t0 < 5
    assert svc.state is ModelState.FAILED


@pytest.mark.skipif(not unshare_works(), reason="unshare -rn (network namespace) not available")
def test_uncached_hub_id_without_network_fails_fast(tmp_path):
    """HF_HUB_OFFLINE unset: the service tries the hub, which is unreachable, and says so quickly."""
    env = {k: v for k, v in os.environ.items() if k not in {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"}}
    env["HF_HUB_CACHE"] = str(tmp_path / "empty")
    code = textwrap.dedent(
        """
        import sys
        from detector.model_service import ModelService
        from detector.errors import ModelLoadError
        try:
            ModelService().load("someone/not-cached-model")
        except ModelLoadError as e:
            print(e); sys.exit(3)
        """
    )
    t0 = time.monotonic()
    out = subprocess.run(["unshare", "-rn", sys.executable, "-c", code], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - t0
    assert out.returncode == 3, out.stderr
    assert "needs network or a cached copy" in out.stdout
    assert elapsed < 15  # includes starting Python; huggingface_hub alone would retry for ~25 s


def test_builtin_missing_is_clear(monkeypatch, tmp_path):
    import detector.model_service as ms

    monkeypatch.setattr(ms, "BUILTIN_MODEL_DIR", tmp_path / "absent")
    with pytest.raises(ModelLoadError, match="built-in model .* not installed"):
        ms.ModelService().load(None)


def test_state_is_loading_while_loading_and_readable_from_other_threads(tiny_model_dir, monkeypatch):
    import detector.model_service as ms

    svc = ModelService()
    gate, seen = threading.Event(), []
    real_check = ms._check_folder

    def slow_check(folder):
        gate.wait(5)
        return real_check(folder)

    monkeypatch.setattr(ms, "_check_folder", slow_check)
    t = threading.Thread(target=svc.load, args=(tiny_model_dir,))
    t.start()
    for _ in range(100):
        if svc.state is ModelState.LOADING:
            break
        time.sleep(0.01)
    seen.append(svc.state)
    with pytest.raises(ModelNotReadyError):
        svc.predict_proba(_chunks(1))
    gate.set()
    t.join(10)
    assert seen == [ModelState.LOADING] and svc.state is ModelState.READY


def test_concurrent_predictions_agree(tiny_model_dir):
    svc = ModelService()
    svc.load(tiny_model_dir)
    chunks = _chunks(2)
    ref = svc.predict_proba(chunks)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(svc.predict_proba(chunks))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(results) == 20
    assert all(np.allclose(r, ref, atol=1e-6) for r in results)


def test_failed_load_then_good_load_recovers(tmp_path, tiny_model_dir):
    svc = ModelService()
    with pytest.raises(ModelLoadError):
        svc.load(tmp_path / "nowhere")
    assert svc.state is ModelState.FAILED
    svc.load(tiny_model_dir)
    assert svc.state is ModelState.READY and svc.error is None


def test_thread_setting(tiny_model_dir):
    import torch

    from detector.errors import SettingsError

    before = torch.get_num_threads()
    try:
        ModelService.set_num_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(SettingsError):
        ModelService.set_num_threads(0)


def test_builtin_model_loads_if_present():
    if not (BUILTIN_MODEL_DIR / "config.json").is_file():
        pytest.skip("built-in model not installed yet")
    svc = ModelService()
    info = svc.load(None)
    assert info.source_kind == "built-in" and info.name == "faik-detector-v12"
    p = svc.predict_proba(_chunks(2, 5.0))
    assert p.shape == (2, 2) and np.allclose(p.sum(1), 1)


def test_cached_hub_copy_with_pickle_weights_only_is_refused(tmp_path, tiny_model_dir, monkeypatch):
    """A cache filled by the seed app (pytorch_model.bin only) gets the safetensors message, not a load."""
    src = tmp_path / "pickle-src"
    shutil.copytree(tiny_model_dir, src)
    (src / "model.safetensors").rename(src / "pytorch_model.bin")
    _fake_hub_cache(tmp_path / "hub", src)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="only pytorch_model.bin"):
        ModelService().load(SEED_HUB_MODEL_ID)


def test_a_chunk_shorter_than_the_encoders_receptive_field_is_padded(tmp_path, write_audio):
    """wav2vec2-base's feature encoder needs 400 samples (25 ms); a 20-ms recording, which the decoder
    accepts, used to end as an unexpected error on such a model instead of a result that says it
    cannot judge so little sound."""
    from detector.analysis import analyze_file
    from detector.model_service import min_input_samples

    base_like = ((10, 3, 3, 3, 3, 2, 2), (5, 2, 2, 2, 2, 2, 2))  # wav2vec2-base's kernels and strides
    svc = ModelService()
    svc.load(save_tiny_wav2vec2(tmp_path / "base-like", conv=base_like))
    assert min_input_samples(svc._model.config) == 400
    probs = svc.predict_proba([np.full(320, 0.1, np.float32), np.full(401, 0.1, np.float32)])
    assert probs.shape == (2, 2) and np.allclose(probs.sum(axis=1), 1.0)
    result = analyze_file(write_audio("twenty-ms.wav", 0.02), svc)
    assert result.total_chunks == 1
    assert result.provenance["evidence"]["outcome"] == "cannot-judge"
    assert min_input_samples(object()) == 1  # no convolutional encoder: nothing to pad


def test_loading_a_model_imports_neither_scikit_learn_nor_scipy():
    """transformers imports sklearn.metrics and scipy.optimize with its model base classes when they are
    installed (librosa installs both): ~0.6 s of CPU before the model is ready, for code an audio
    classifier never runs (detector.transformers_lean)."""
    code = textwrap.dedent("""
        import sys
        from detector.model_service import ModelService
        ModelService().load(None)
        print(sorted(m for m in ("sklearn", "scipy") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
