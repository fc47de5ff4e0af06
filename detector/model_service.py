"""The seed's ModelService, for a desktop: load a classifier once, answer P(AI) for chunks.

Sources (``ModelService.load(source)``):

* ``None`` — the built-in model, ``resources/models/faik-detector-v12`` next to the
  package (or inside a PyInstaller bundle, under ``sys._MEIPASS``);
* a local folder holding ``config.json``, ``preprocessor_config.json`` and
  ``model.safetensors`` (a ``save_pretrained`` folder or a hub snapshot);
* a Hugging Face repo id such as ``mo-thecreator/Deepfake-audio-detection``: the
  local cache is tried first; only when that has no copy and ``HF_HUB_OFFLINE`` is
  not set does it go online, with short timeouts, so an offline laptop gets a
  clear error in seconds instead of a hang.

Weights are read from safetensors only (a pickle ``pytorch_model.bin`` can run code
when loaded) and ``trust_remote_code`` is never enabled: the only custom
architecture is the built-in one, registered by :mod:`detector.faik_model`.

Which output column means "AI-generated" comes from ``config.id2label`` read by
meaning (see :func:`resolve_label_mapping`); ``predict_proba`` always returns the
columns ``[P(AI), P(real)]`` whatever the model's order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from detector.errors import FaikError, ModelLoadError, ModelNotReadyError
from detector.evidence import load_evidence
from detector.model_validation import load_validation

BUILTIN_MODEL_NAME = "faik-detector-v12"
SEED_HUB_MODEL_ID = "mo-thecreator/Deepfake-audio-detection"
EXPECTED_SAMPLE_RATE = 16000
# Seconds to wait for the hub to answer before calling it unreachable (per request).
HUB_TIMEOUT_S = 5.0

_FAKE_WORDS = {"fake", "spoof", "spoofed", "spoofing", "ai", "synthetic", "synthesized", "synthesised",
               "deepfake", "generated", "tts", "machine"}
_REAL_WORDS = {"real", "bonafide", "genuine", "human", "authentic", "natural"}
_NEGATIONS = {"not", "non", "no"}
_GENERIC_LABEL = re.compile(r"^label[_ ]?([01])$", re.IGNORECASE)
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def _resources_root() -> Path:
    """``resources/`` of a source checkout, or of a PyInstaller bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


BUILTIN_MODEL_DIR: Path = _resources_root() / "models" / BUILTIN_MODEL_NAME


class ModelState(str, Enum):
    NOT_LOADED = "not-loaded"
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class ModelInfo:
    """What was loaded, for the window's model panel, ``faik model-info`` and provenance."""

    name: str
    source: str
    source_kind: str  # "built-in" | "folder" | "hub"
    architecture: str
    num_parameters: int
    sample_rate: int
    labels: dict[int, str]
    ai_index: int
    real_index: int
    weights_sha256: str
    load_time_s: float
    device: str
    #: The number format the model computes in, ``"float32"`` or ``"bfloat16"`` (:mod:`detector.precision`).
    precision: str = "float32"
    # Measured error rates on unseen data (``validation.json`` beside the weights), if shipped.
    validation: dict[str, Any] | None = None
    # The score-to-likelihood-ratio map fitted on held-out predictions (``evidence.json`` beside the
    # weights, :mod:`detector.evidence`), if shipped; a result's provenance carries it without its tables.
    evidence: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A fresh JSON-ready copy each call. Made once and copied after (every result's provenance
        holds one: ``asdict`` walking the validation and evidence blocks cost a batch of short files
        more than their decoding)."""
        import pickle

        made = self.__dict__.get("_as_dict")
        if made is None:
            d = asdict(self)
            d["labels"] = {str(k): v for k, v in self.labels.items()}  # JSON object keys are strings
            if self.evidence is not None:
                d["evidence"] = {k: v for k, v in self.evidence.items() if k != "held_out"}
            made = pickle.dumps(d, protocol=pickle.HIGHEST_PROTOCOL)
            object.__setattr__(self, "_as_dict", made)  # frozen: the cache is not a field
        return pickle.loads(made)


def _words(label: str) -> list[str]:
    text = label.lower().replace("bona fide", "bonafide").replace("bona-fide", "bonafide")
    return [w for w in re.split(r"[^a-z0-9]+", text) if w]


def _meaning(label: str) -> str | None:
    """'ai', 'real' or None (unreadable or contradictory) for one label name."""
    words = _words(label)
    if any(w in _NEGATIONS for w in words):
        return None  # "not real", "non-synthetic": too easy to get backwards; refuse
    fake = any(w in _FAKE_WORDS for w in words)
    real = any(w in _REAL_WORDS for w in words)
    if fake == real:
        return None
    return "ai" if fake else "real"


def resolve_label_mapping(id2label: Mapping[Any, str] | None) -> tuple[int, int]:
    """Return ``(ai_index, real_index)`` from a model's ``id2label``.

    Names are read by meaning, case-insensitively (fake/spoof/AI/synthetic/
    deepfake/generated vs real/bonafide/bona fide/genuine/human/authentic).
    transformers' generic ``LABEL_0``/``LABEL_1`` fall back to the seed's order
    (0 = AI-generated, 1 = real). Anything else — other names, more or fewer
    than two classes, both names meaning the same — raises
    :class:`ModelLoadError`: a wrong guess would invert every verdict.
    """
    if not id2label:
        raise ModelLoadError("the model's config.json has no id2label; add one that names the fake and real classes")
    try:
        labels = {int(k): str(v) for k, v in id2label.items()}
    except (TypeError, ValueError):
        raise ModelLoadError(f"the model's id2label has non-integer class ids: {dict(id2label)!r}") from None
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(labels.items()))
    if len(labels) != 2 or set(labels) != {0, 1}:
        raise ModelLoadError(
            f"the model has {len(labels)} classes ({shown}); fAIk needs a two-class fake/real detector"
        )
    if all(_GENERIC_LABEL.match(v.strip()) for v in labels.values()):
        generic = {int(_GENERIC_LABEL.match(v.strip()).group(1)): k for k, v in labels.items()}
        if generic == {0: 0, 1: 1}:
            return 0, 1  # the seed's order
    meanings = {k: _meaning(v) for k, v in labels.items()}
    ai = [k for k, m in meanings.items() if m == "ai"]
    real = [k for k, m in meanings.items() if m == "real"]
    if len(ai) != 1 or len(real) != 1:
        raise ModelLoadError(
            f"cannot tell which class is AI-generated from the model's labels ({shown}); "
            "name them e.g. 'fake' and 'real' in config.json's id2label"
        )
    return ai[0], real[0]


def _sha256_files(paths: Sequence[Path]) -> str:
    """sha256 of one weights file; for sharded weights, of the shards' names and hashes in order."""
    digests = []
    for p in paths:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        digests.append((p.name, h.hexdigest()))
    if len(digests) == 1:
        return digests[0][1]
    combined = hashlib.sha256("".join(f"{n}:{d}\n" for n, d in digests).encode())
    return combined.hexdigest()


def _weights_files(folder: Path) -> list[Path]:
    """The safetensors weights of ``folder``; a clear ModelLoadError when there are none."""
    single = folder / "model.safetensors"
    if single.is_file():
        return [single]
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        import json

        try:
            shards = sorted(set(json.loads(index.read_text("utf-8"))["weight_map"].values()))
        except (OSError, ValueError, KeyError) as exc:
            raise ModelLoadError(f"{index} is unreadable ({exc}); re-save the model") from None
        missing = [s for s in shards if not (folder / s).is_file()]
        if missing:
            raise ModelLoadError(f"{folder} lacks weight shard(s) {', '.join(missing)}; copy the whole model folder")
        return [folder / s for s in shards]
    if (folder / "pytorch_model.bin").exists() or list(folder.glob("pytorch_model-*.bin")):
        raise ModelLoadError(
            f"{folder} has only pytorch_model.bin (pickle weights, which can run code when loaded); "
            "fAIk reads safetensors only: convert it with model.save_pretrained(folder, safe_serialization=True)"
        )
    raise ModelLoadError(f"{folder} has no model.safetensors; copy the model's weights into the folder")


#: Largest safetensors header accepted (the real ones are a few hundred KB at most).
_MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024
_RECOPY = "an interrupted download or copy leaves such a file: copy the model folder again from its source"


def check_safetensors(path: Path) -> None:
    """Raise :class:`ModelLoadError` when ``path`` is not a whole safetensors file.

    The format is an 8-byte header length, a JSON header giving each tensor's byte range, then
    the data; a cut-off or overwritten file fails one of these checks. Read before torch and
    transformers see the file, so the user learns what is wrong and what to do, not a parser's
    complaint.
    """
    import json
    import struct

    where = f"{path.name} in {path.parent}"
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise ModelLoadError(f"{where} is damaged or incomplete ({size} bytes, no header); {_RECOPY}")
            n = struct.unpack("<Q", head)[0]
            if n > min(_MAX_SAFETENSORS_HEADER, size - 8):
                raise ModelLoadError(f"{where} is damaged or incomplete (its header is unreadable); {_RECOPY}")
            header = json.loads(fh.read(n).decode("utf-8"))
    except PermissionError:
        raise ModelLoadError(f"cannot read {where}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise ModelLoadError(f"cannot read {where}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError):
        raise ModelLoadError(f"{where} is damaged or incomplete (its header is unreadable); {_RECOPY}") from None
    try:
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        raise ModelLoadError(f"{where} is damaged or incomplete (its header is unreadable); {_RECOPY}") from None
    expected = 8 + n + end
    if size != expected:
        raise ModelLoadError(f"{where} is damaged or incomplete ({size:,} bytes where its header promises "
                             f"{expected:,}); {_RECOPY}")


def check_config(folder: Path) -> None:
    """Raise :class:`ModelLoadError` when ``config.json`` is not a config this installation can load as an audio classifier."""
    import json

    path = folder / "config.json"
    try:
        config = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelLoadError(f"{path} is damaged (not valid JSON: {_first_line(exc)}); "
                             "copy the model folder again from its source") from None
    if not isinstance(config, dict) or not config.get("model_type"):
        raise ModelLoadError(f"{path} names no model_type: not a Hugging Face model config, or a damaged one; "
                             "copy the model folder again from its source")
    model_type = str(config["model_type"])
    import detector.transformers_lean  # noqa: F401 - before transformers' model code: see its docstring
    import transformers
    from transformers import CONFIG_MAPPING
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES

    known = model_type in CONFIG_MAPPING
    if not known:
        raise ModelLoadError(
            f"{path} names model_type {model_type!r}, which this installation cannot load "
            f"(transformers {transformers.__version__}); choose an audio-classification model of a supported "
            "type (e.g. wav2vec2, wavlm, hubert, whisper) or the built-in model"
        )
    try:
        from transformers import AutoModelForAudioClassification

        audio = (model_type in MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES
                 or CONFIG_MAPPING[model_type] in AutoModelForAudioClassification._model_mapping)
    except Exception:  # noqa: BLE001 - transformers internals moved: let from_pretrained decide
        audio = True
    if not audio:
        raise ModelLoadError(
            f"{folder} holds a {model_type!r} model, which is not an audio classifier; fAIk needs a two-class "
            "audio-classification model (e.g. Wav2Vec2ForSequenceClassification): choose another model or the "
            "built-in one"
        )


def _check_folder(folder: Path) -> list[Path]:
    if not (folder / "config.json").is_file():
        raise ModelLoadError(
            f"{folder} has no config.json: not a Hugging Face model folder "
            "(it needs config.json, preprocessor_config.json and model.safetensors)"
        )
    if not (folder / "preprocessor_config.json").is_file():
        raise ModelLoadError(
            f"{folder} has no preprocessor_config.json (the model's feature extractor); copy it from the model's source"
        )
    return _weights_files(folder)


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _hub_cache_dir() -> str:
    """The hub cache as the environment says *now* (huggingface_hub reads it only at import)."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return os.path.expanduser(os.environ[var])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
    )
    return os.path.join(os.path.expanduser(home), "hub")


def _is_offline() -> bool:
    return _env_true("HF_HUB_OFFLINE") or _env_true("TRANSFORMERS_OFFLINE")


def _hub_reachable(timeout: float = HUB_TIMEOUT_S) -> bool:
    """Can a TCP connection to the hub be opened within ``timeout`` seconds (DNS included)?

    huggingface_hub retries an unreachable host five times with back-off (about
    25 s); this probe answers "offline" at once when there is no route or no DNS,
    and within ``timeout`` on a network that silently drops packets.
    """
    import socket
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    ok: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                ok.append(True)
        except OSError:
            pass

    t = threading.Thread(target=probe, daemon=True, name="faik-hub-probe")
    t.start()
    t.join(timeout + 0.5)  # DNS lookups have no timeout of their own: bound them here
    return bool(ok)


def _hub_snapshot(repo_id: str) -> Path:
    """A local folder with the repo's files: from the cache, else (if allowed) downloaded."""
    from huggingface_hub import hf_hub_download, snapshot_download

    cache = _hub_cache_dir()
    try:
        folder = Path(snapshot_download(repo_id, cache_dir=cache, local_files_only=True))
        _check_folder(folder)
        return folder
    except ModelLoadError:
        if _is_offline():
            raise
    except Exception:  # noqa: BLE001 - any failure here just means "no usable cached copy"
        pass
    if _is_offline():
        raise ModelLoadError(
            f"{repo_id} is not in the local Hugging Face cache ({cache}) and HF_HUB_OFFLINE is set: "
            "loading it needs network or a cached copy; or load a local model folder instead"
        )
    if not _hub_reachable():
        raise ModelLoadError(
            f"{repo_id} is not in the local Hugging Face cache ({cache}) and the hub cannot be reached: "
            "loading it needs network or a cached copy; or load a local model folder instead"
        )
    # Online: fetch only the files we read (never pytorch_model.bin), each request with a short
    # timeout; repo_info / snapshot_download would wait without a timeout on a silent network.
    try:
        cfg = hf_hub_download(repo_id, "config.json", cache_dir=cache, etag_timeout=HUB_TIMEOUT_S)
        hf_hub_download(repo_id, "preprocessor_config.json", cache_dir=cache, etag_timeout=HUB_TIMEOUT_S)
        try:
            hf_hub_download(repo_id, "model.safetensors", cache_dir=cache, etag_timeout=HUB_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001
            if type(exc).__name__ != "EntryNotFoundError":
                raise
            import json

            idx = hf_hub_download(repo_id, "model.safetensors.index.json", cache_dir=cache,
                                  etag_timeout=HUB_TIMEOUT_S)
            for shard in sorted(set(json.loads(Path(idx).read_text("utf-8"))["weight_map"].values())):
                hf_hub_download(repo_id, shard, cache_dir=cache, etag_timeout=HUB_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - turn the hub's many error types into one message
        name = type(exc).__name__
        if name in {"RepositoryNotFoundError", "GatedRepoError"}:
            raise ModelLoadError(f"{repo_id} was not found on the Hugging Face hub (or is private)") from None
        if name == "EntryNotFoundError":
            raise ModelLoadError(f"{repo_id} has no model.safetensors; fAIk reads safetensors weights only") from None
        raise ModelLoadError(
            f"could not download {repo_id} ({name}): loading a hub model needs network or a cached copy; "
            "or load a local model folder instead"
        ) from None
    return Path(cfg).parent


def classify_source(source: str | os.PathLike | None) -> tuple[str, Path | str]:
    """``("built-in" | "folder" | "hub", folder path or repo id)`` for a user's ``source``."""
    if source is None or str(source).strip() in {"", "builtin", "built-in", BUILTIN_MODEL_NAME}:
        return "built-in", BUILTIN_MODEL_DIR
    if isinstance(source, Path):
        return "folder", source.expanduser()
    text = str(source).strip()
    path = Path(text).expanduser()
    if path.exists():
        return "folder", path
    looks_like_path = text.startswith((".", "/", "~", "\\")) or "\\" in text or (len(text) > 1 and text[1] == ":")
    if not looks_like_path and _HUB_ID.match(text):
        return "hub", text
    return "folder", path


class ModelService:
    """Holds one loaded model; thread-safe.

    ``load`` runs in the caller's thread (the window calls it from a worker);
    the state, error and info can be read from any thread while it runs.
    ``predict_proba`` uses the model that was ready when it was called, so a
    load started meanwhile never mixes two models in one answer.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._load_lock = threading.Lock()  # one load at a time
        self._state = ModelState.NOT_LOADED
        self._error: str | None = None
        self._info: ModelInfo | None = None
        self._model: Any = None
        self._extractor: Any = None

    # -- state -----------------------------------------------------------------
    @property
    def state(self) -> ModelState:
        with self._lock:
            return self._state

    @property
    def error(self) -> str | None:
        with self._lock:
            return self._error

    @property
    def info(self) -> ModelInfo | None:
        with self._lock:
            return self._info

    def is_ready(self) -> bool:
        return self.state is ModelState.READY

    def unload(self) -> None:
        with self._lock:
            self._state, self._error, self._info = ModelState.NOT_LOADED, None, None
            self._model = self._extractor = None

    @staticmethod
    def set_num_threads(n: int | None) -> None:
        """Limit torch's intra-op threads for calls made from the calling thread (torch keeps the count per
        thread: the analysis's worker threads set their own, :mod:`detector.parallel_calls`); ``None`` leaves
        torch's default."""
        if n is None:
            return
        if not isinstance(n, int) or n < 1:
            from detector.errors import SettingsError

            raise SettingsError(f"thread count must be a whole number of at least 1 (got {n!r})")
        import torch

        torch.set_num_threads(n)

    # -- loading ---------------------------------------------------------------
    def load(self, source: str | os.PathLike | None = None, precision: str | None = None) -> ModelInfo:
        """Load ``source`` (see the module docstring); blocking. Raises :class:`ModelLoadError`.

        ``precision`` is the number format the model will compute in: ``"auto"`` (the default, ``None``:
        bfloat16 for the built-in model on a CPU with AMX, float32 otherwise), ``"float32"`` or ``"bfloat16"``
        (:mod:`detector.precision`); ``info.precision`` says which one applies.

        A switch loads the new model beside the one in use and swaps only when it is ready: when
        the load fails, the previous model stays loaded and in use (state READY, ``info`` its own,
        ``error`` the failed load's reason). Analyses wait while a load runs (state LOADING).
        """
        with self._load_lock:
            with self._lock:
                had_model = self._state is ModelState.READY and self._model is not None
                self._state, self._error = ModelState.LOADING, None
            try:
                model, extractor, info = self._load(source, precision)
            except BaseException as exc:
                msg = str(exc) if isinstance(exc, FaikError) else f"could not load the model: {type(exc).__name__}: {exc}"
                msg = " ".join(msg.split())  # one line
                with self._lock:
                    if had_model:
                        self._state, self._error = ModelState.READY, msg  # keep the working model
                    else:
                        self._state, self._error, self._info = ModelState.FAILED, msg, None
                        self._model = self._extractor = None
                if isinstance(exc, FaikError):
                    raise
                if isinstance(exc, Exception):
                    raise ModelLoadError(msg) from exc
                raise
            with self._lock:
                self._model, self._extractor, self._info = model, extractor, info
                self._state, self._error = ModelState.READY, None
            return info

    def _load(self, source: str | os.PathLike | None, precision: str | None = None) -> tuple[Any, Any, ModelInfo]:
        t0 = time.perf_counter()
        from detector.precision import resolve_precision

        kind, where = classify_source(source)
        # A wrong name fails before any file is read. auto picks bfloat16 only for the built-in model, the one
        # whose scores were measured in both formats (its card); any other model computes in float32 unless
        # the user asks for bfloat16.
        precision = resolve_precision(precision, bfloat16_measured=kind == "built-in")
        if kind == "built-in":
            folder = Path(where)
            if not folder.is_dir():
                raise ModelLoadError(
                    f"the built-in model {BUILTIN_MODEL_NAME} is not installed (expected at {folder}); "
                    f"load a model folder or a hub id instead (e.g. --model {SEED_HUB_MODEL_ID})"
                )
            name, shown_source = BUILTIN_MODEL_NAME, str(folder)
        elif kind == "hub":
            folder = _hub_snapshot(str(where))
            name = shown_source = str(where)
        else:
            folder = Path(where)
            if not folder.exists():
                raise ModelLoadError(f"model folder {folder} does not exist; check the path or give a hub id (owner/name)")
            if not folder.is_dir():
                raise ModelLoadError(f"{folder} is a file; give the folder that holds config.json and model.safetensors")
            name, shown_source = folder.resolve().name, str(folder.resolve())
        weights = _check_folder(folder)
        for w in weights:
            check_safetensors(w)

        import torch

        import detector.transformers_lean  # noqa: F401 - before transformers' model code: see its docstring
        from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification

        try:
            import detector.faik_model  # noqa: F401 - registers the built-in architecture with the Auto classes
            import detector.faik_whisper_model  # noqa: F401 - and the v2-v8 (Whisper + speaker probe) architecture
            builtin_arch_missing = None
        except ModuleNotFoundError as exc:
            if exc.name != "detector.faik_model":
                raise
            builtin_arch_missing = "detector.faik_model is missing from this installation"
        if builtin_arch_missing is None:
            check_config(folder)

        try:
            config = AutoConfig.from_pretrained(folder, trust_remote_code=False, local_files_only=True)
        except (ValueError, KeyError, OSError) as exc:
            hint = f" ({builtin_arch_missing})" if builtin_arch_missing else ""
            raise ModelLoadError(f"unsupported or unreadable config.json in {folder}{hint}: {_first_line(exc)}") from None
        ai_index, real_index = resolve_label_mapping(getattr(config, "id2label", None))
        try:
            extractor = AutoFeatureExtractor.from_pretrained(folder, trust_remote_code=False, local_files_only=True)
        except (ValueError, KeyError, OSError) as exc:
            raise ModelLoadError(f"unreadable preprocessor_config.json in {folder}: {_first_line(exc)}") from None
        sr = int(getattr(extractor, "sampling_rate", 0) or 0)
        if sr != EXPECTED_SAMPLE_RATE:
            raise ModelLoadError(
                f"the model expects {sr or 'an unknown'} Hz audio; fAIk feeds 16000 Hz: use a 16 kHz model"
            )
        try:
            model = AutoModelForAudioClassification.from_pretrained(
                folder, config=config, use_safetensors=True, trust_remote_code=False, local_files_only=True
            )
        except (ValueError, KeyError, OSError, RuntimeError) as exc:
            raise ModelLoadError(f"could not read the weights in {folder}: {_first_line(exc)}") from None
        model.eval()
        model.to(torch.device("cpu"))
        info = ModelInfo(
            name=name,
            source=shown_source,
            source_kind=kind,
            architecture=type(model).__name__,
            num_parameters=int(sum(p.numel() for p in model.parameters())),
            sample_rate=sr,
            labels={int(k): str(v) for k, v in config.id2label.items()},
            ai_index=ai_index,
            real_index=real_index,
            weights_sha256=_sha256_files(weights),
            load_time_s=round(time.perf_counter() - t0, 3),
            device="cpu",
            precision=precision,
        )
        validation = load_validation(folder)
        # Quote figures only for the weights they were measured on (a retrained folder keeps none).
        if validation is not None and validation.get("weights_sha256") == info.weights_sha256:
            info = dataclasses.replace(info, validation=validation)
        evidence = load_evidence(folder)
        # Likewise the evidence map: one fitted on other weights would state strengths they never earned.
        if evidence is not None and evidence.weights_sha256 == info.weights_sha256:
            info = dataclasses.replace(info, evidence=evidence.to_dict())
        return model, extractor, info

    # -- inference -------------------------------------------------------------
    def warm_up(self, seconds: float = 5.0) -> None:
        """Answer one chunk of quiet noise and throw the answer away, so the first real batch does not
        pay for the model's first-call set-up ("ready" means loaded and a first chunk answered)."""
        noise = 0.01 * np.random.default_rng(0).standard_normal(int(seconds * 16000))
        self.predict_proba([noise.astype(np.float32)])

    def predict_proba(self, chunks: Sequence[np.ndarray]) -> np.ndarray:
        """Class probabilities for a batch of 16 kHz mono chunks: shape ``(n, 2)``, columns ``[P(AI), P(real)]``.

        The model's own feature extractor prepares the batch as the model expects
        (``sampling_rate`` from the extractor, padding, attention mask when the
        extractor returns one); softmax turns the logits into probabilities.
        """
        with self._lock:
            if self._state is not ModelState.READY:
                raise ModelNotReadyError(
                    "no model is loaded" + (f" (last load failed: {self._error})" if self._error else "")
                    + "; load a model first"
                )
            model, extractor, info = self._model, self._extractor, self._info
        if len(chunks) == 0:
            return np.empty((0, 2), dtype=np.float64)
        import torch

        from detector.precision import compute_context

        arrays = [np.ascontiguousarray(c, dtype=np.float32).reshape(-1) for c in chunks]
        if any(a.size == 0 for a in arrays):
            raise ValueError("empty chunk")
        # A chunk shorter than a convolutional encoder's receptive field (wav2vec2-base: 400 samples,
        # 25 ms) would make the model fail; silence after it lets it answer (and the verdict says that
        # so little sound cannot be judged).
        need = min_input_samples(getattr(model, "config", None))
        arrays = [a if a.size >= need else np.pad(a, (0, need - a.size)) for a in arrays]
        inputs = extractor(arrays, sampling_rate=extractor.sampling_rate, return_tensors="pt", padding=True)
        with torch.inference_mode(), compute_context(info.precision):
            logits = model(**dict(inputs)).logits
            probs = torch.softmax(logits.float(), dim=-1).cpu().numpy().astype(np.float64)
        if probs.shape != (len(arrays), 2) or not np.isfinite(probs).all():
            raise FaikError("the model returned invalid scores for this audio (non-finite or wrong shape)")
        return probs[:, [info.ai_index, info.real_index]]


def min_input_samples(config: Any) -> int:
    """The fewest samples a model takes: for a wav2vec2-style config (``conv_kernel``, ``conv_stride``:
    wav2vec2, HuBERT, WavLM, data2vec-audio...) the receptive field of its convolutional feature
    encoder, else 1."""
    kernels, strides = getattr(config, "conv_kernel", None), getattr(config, "conv_stride", None)
    try:
        pairs = list(zip(kernels, strides, strict=True)) if kernels and strides else []
        n, jump = 1, 1
        for k, s in pairs:
            n, jump = n + (int(k) - 1) * jump, jump * int(s)
    except (TypeError, ValueError):
        return 1
    return n


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
