"""Helpers shared by the tests (a uniquely named module: sub-folders have conftest.py files of their own)."""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


class PeakService:
    """A stand-in model service whose P(AI) for a chunk is its peak amplitude: known scores per chunk.
    ``validation`` plays the model's ``validation.json`` (none by default)."""

    class _Info:
        sample_rate = 16000

        def __init__(self, validation: dict | None) -> None:
            self.validation = validation

        def to_dict(self) -> dict:
            return {"name": "peak-stub", "source_kind": "test", "validation": self.validation}

    def __init__(self, validation: dict | None = None) -> None:
        self.info = self._Info(validation)

    def is_ready(self) -> bool:
        return True

    def predict_proba(self, chunks) -> np.ndarray:
        p = np.array([float(np.max(np.abs(c))) for c in chunks])
        return np.stack([p, 1 - p], axis=1)


def synth_speechlike(duration_s: float, sr: int = 16000, seed: int = 0) -> np.ndarray:
    """A deterministic voiced-speech-like signal: harmonics with a wandering pitch and syllable envelope."""
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sr))
    t = np.arange(n) / sr
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    sig = sum(np.sin(k * phase) / k for k in range(1, 8))
    env = 0.5 * (1 + np.sin(2 * np.pi * 3.0 * t)) ** 2
    sig = sig * env + 0.01 * rng.standard_normal(n)
    return (0.3 * sig / (np.max(np.abs(sig)) + 1e-9)).astype(np.float32)


def save_tiny_wav2vec2(folder: Path, id2label: dict[int, str] | None = None,
                       conv: tuple[tuple[int, ...], tuple[int, ...]] = ((10, 32), (10, 32))) -> Path:
    """A tiny randomly initialised Wav2Vec2ForSequenceClassification with the seed's labels, saved as safetensors.
    ``conv``: the feature encoder's (kernels, strides); the default's receptive field is 320 samples."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

    torch.manual_seed(0)
    labels = id2label or {0: "fake", 1: "real"}
    cfg = Wav2Vec2Config(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        conv_dim=(16,) * len(conv[0]), conv_stride=conv[1], conv_kernel=conv[0], num_feat_extract_layers=len(conv[0]),
        num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2, classifier_proj_size=8,
        num_labels=len(labels), id2label=labels, label2id={v: k for k, v in labels.items()},
        do_stable_layer_norm=False, feat_extract_norm="group",
    )
    model = Wav2Vec2ForSequenceClassification(cfg).eval()
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True, return_attention_mask=True).save_pretrained(folder)
    return folder


def unshare_works() -> bool:
    """Whether this machine lets a test run a command in a namespace with no network (``unshare -rn``)."""
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def write_ct2_whisper(path: Path, d_model: int = 8, heads: int = 2, layers: int = 2, seed: int = 0) -> dict:
    """A random Whisper encoder in CTranslate2's binary format (as ``ctranslate2.specs`` writes it:
    float16 tensors, an int16 head count, one alias); returns the arrays written, by name."""
    import struct

    rng = np.random.default_rng(seed)

    def arr(*shape):
        return (rng.standard_normal(shape) * 0.2).astype(np.float16)

    v = {"encoder/conv1/weight": arr(d_model, 80, 3), "encoder/conv1/bias": arr(d_model),
         "encoder/conv2/weight": arr(d_model, d_model, 3), "encoder/conv2/bias": arr(d_model),
         "encoder/position_encodings/encodings": arr(1500, d_model),
         "encoder/layer_norm/gamma": arr(d_model), "encoder/layer_norm/beta": arr(d_model),
         "encoder/num_heads": np.array(heads, dtype=np.int16)}
    for i in range(layers):
        p = f"encoder/layer_{i}/"
        for name, shape in (("self_attention/layer_norm/gamma", (d_model,)), ("self_attention/layer_norm/beta", (d_model,)),
                            ("self_attention/linear_0/weight", (3 * d_model, d_model)),
                            ("self_attention/linear_0/bias", (3 * d_model,)),
                            ("self_attention/linear_1/weight", (d_model, d_model)), ("self_attention/linear_1/bias", (d_model,)),
                            ("ffn/layer_norm/gamma", (d_model,)), ("ffn/layer_norm/beta", (d_model,)),
                            ("ffn/linear_0/weight", (4 * d_model, d_model)), ("ffn/linear_0/bias", (4 * d_model,)),
                            ("ffn/linear_1/weight", (d_model, 4 * d_model)), ("ffn/linear_1/bias", (d_model,))):
            v[p + name] = arr(*shape)
    type_ids = {np.dtype(np.float32): 0, np.dtype(np.int8): 1, np.dtype(np.int16): 2, np.dtype(np.float16): 4}

    def string(s: str) -> bytes:
        return struct.pack("H", len(s) + 1) + s.encode() + b"\0"

    body = struct.pack("I", 6) + string("WhisperSpec") + struct.pack("I", 3) + struct.pack("I", len(v))
    for name, a in v.items():
        body += string(name) + struct.pack("B", a.ndim) + struct.pack("I" * a.ndim, *a.shape)
        body += struct.pack("B", type_ids[a.dtype]) + struct.pack("I", a.nbytes) + a.tobytes()
    # One alias, as CTranslate2 writes for shared tensors.
    body += struct.pack("I", 1) + string("decoder/alias_of_conv1_bias") + string("encoder/conv1/bias")
    Path(path).write_bytes(body)
    return v


def write_resemblyzer_checkpoint(path: Path, seed: int = 0) -> Path:
    """A checkpoint laid out like Resemblyzer's ``pretrained.pt`` (step, model_state with the GE2E
    similarity scalars, optimizer_state) with random encoder weights."""
    import torch

    from detector.speaker_frontend import SpeakerEncoder

    torch.manual_seed(seed)
    state = dict(SpeakerEncoder().state_dict())
    state["similarity_weight"] = torch.tensor([10.0])
    state["similarity_bias"] = torch.tensor([-5.0])
    torch.save({"step": 1, "model_state": state, "optimizer_state": {}}, path)
    return path


def read_png(data: bytes) -> np.ndarray:
    """Minimal reader for the writer's own output: checks every chunk's CRC and undoes filter 0."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF
        chunks[tag] = body
        pos += 12 + n
    w, h, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 0) and b"IEND" in chunks
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(h, w + 1)
    assert np.all(rows[:, 0] == 0)
    return rows[:, 1:]
