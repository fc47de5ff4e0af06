"""Training data: the index, the train/dev/val partition, a decoded-audio cache with channel copies.

Why a cache: decoding 2 700 FLACs and running MP3/Opus/AAC encoders on the fly would dominate
training time on 2 cores. Every clip is decoded once, and each *train* clip gets one copy per codec
channel (random bitrate, seeded per clip); cheap effects (EQ, noise, reverb, gain) and random
cropping stay on the fly. Audio is stored as int16 in one flat array per variant plus offsets
(memory-mapped when read), under a scratch folder (never committed).

Dev: training picks its stopping epoch and calibration temperature on *dev*, a fixed group of
train families/real sources held out from training, never on val (val is for choosing between
recipes and for the reported figures).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detector.channels import CHANNEL_NAMES, aac, apply_channel, mp3, opus, phone

SR = 16000

# Held out from training for early stopping and temperature calibration (chosen for diversity:
# GAN/flow vocoders, VC, zero-shot TTS; and real sources in several languages and conditions).
DEV_FAKE_FAMILIES = frozenset(
    {"waveglow", "parallel-wavegan", "freevc", "xtts", "glow-tts", "stargan-vc", "spark-tts"}
)
DEV_REAL_FAMILIES = frozenset({"tortoise-voices", "mls", "librivox", "daps", "jsut", "e2tts-page-prompts"})

# Train's generator families published in 2023 or later (zero-shot codec-language-model, flow-matching and
# diffusion TTS, neural codecs), the era of val's modern row and of the generators users meet now; the
# rest of train is 2016-2022 (WaveNet ... YourTTS). Used only by ``train-whisper --tuned-modern-weight``
# (tried after v12).
MODERN_TRAIN_FAMILIES = frozenset({
    "bark", "chattts", "chatterbox", "clam-tts", "cosyvoice", "dac", "ditto-tts", "e2-tts", "f5-tts", "fish-speech",
    "gpt-sovits", "kokoro", "llasa", "openvoice", "simple-tts", "simplespeech", "snac", "sq-codec", "styletts2",
    "vall-e", "whisperspeech",
})

# Codec copies precomputed for every train clip: name -> fn(x, sr, rng).
CODEC_VARIANTS: dict[str, Callable[[np.ndarray, int, np.random.Generator], np.ndarray]] = {
    "mp3": lambda x, sr, r: mp3(x, sr, int(r.choice([24, 32, 48, 64]))),
    "opus": lambda x, sr, r: opus(x, sr, int(r.choice([12, 16, 24, 32]))),
    "aac": lambda x, sr, r: aac(x, sr, int(r.choice([24, 32, 48]))),
    "phone": lambda x, sr, r: phone(x, sr, mulaw=bool(r.random() < 0.5),
                                    low_hz=float(r.uniform(100, 400)), high_hz=float(r.uniform(3200, 3700))),
}


@dataclass(frozen=True)
class Clip:
    """One row of ``index.csv`` with the fields training uses."""

    file: str
    label: str  # "fake" | "real"
    family: str
    system: str
    language: str
    split: str  # "train" | "val"
    duration_s: float

    @property
    def y(self) -> int:
        """Model class: 0 = ai-generated, 1 = real (the seed's order)."""
        return 0 if self.label == "fake" else 1

    @property
    def part(self) -> str:
        """"train", "dev" (held-out train groups) or "val"."""
        if self.split == "val":
            return "val"
        fams = DEV_FAKE_FAMILIES if self.label == "fake" else DEV_REAL_FAMILIES
        return "dev" if self.family in fams else "train"


def dev_folds(dev: Sequence[Clip], k: int = 2) -> list[frozenset[str]]:
    """Split the dev part into ``k`` folds of whole families, each label's families dealt out
    separately (largest first, each to the fold holding fewest clips of that label, then fewest clips;
    ties by name), so every fold holds fakes and reals where there are enough families. Families, not
    clips: a fold must be unseen the way val's families are.

    Why: a recipe step that also *learns* from dev (the tuned stem, ``--tuned-dev crossfit``) still
    needs held-out scores on dev for the branch spread and the calibration; each fold's are taken from
    a run that did not see that fold."""
    if k < 2:
        raise ValueError(f"k {k}: cross-fitting needs at least 2 folds")
    folds: list[set[str]] = [set() for _ in range(k)]
    total = [0] * k
    for label in ("fake", "real"):
        sizes = Counter(c.family for c in dev if c.label == label)
        load = [0] * k
        for fam, n in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
            i = min(range(k), key=lambda j: (load[j], total[j], j))
            folds[i].add(fam)
            load[i] += n
            total[i] += n
    if sum(1 for f in folds if f) < k:
        raise ValueError(f"dev has too few families for {k} folds")
    return [frozenset(f) for f in folds]


def read_index(path: str | Path) -> list[Clip]:
    """Rows of ``index.csv`` as :class:`Clip` objects, in file order."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            Clip(r["file"], r["label"], r["family"], r["system"], r["language"] or "und", r["split"],
                 float(r["duration_s"] or 0.0))
            for r in csv.DictReader(fh)
        ]


def decode_file(path: str | Path) -> np.ndarray:
    """Float32 mono 16 kHz samples of one file (soundfile for FLAC/WAV, resampled if needed)."""
    import soundfile as sf

    from detector.channels import resample

    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    return resample(x, sr, SR) if sr != SR else x.astype(np.float32)


def _to_int16(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)


class AudioStore:
    """Flat int16 arrays per variant + offsets; ``get(variant, i)`` returns float32 samples."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        meta = json.loads((self.folder / "meta.json").read_text())
        self.keys: list[str] = meta["keys"]
        self.offsets = np.asarray(meta["offsets"], dtype=np.int64)
        self.variants: list[str] = meta["variants"]
        self._arrays = {v: np.load(self.folder / f"{v}.npy", mmap_mode="r") for v in self.variants}
        self._pos = {k: i for i, k in enumerate(self.keys)}

    def __contains__(self, key: str) -> bool:
        return key in self._pos

    def get(self, variant: str, key: str) -> np.ndarray:
        i = self._pos[key]
        a, b = self.offsets[i], self.offsets[i + 1]
        return np.asarray(self._arrays[variant][a:b], dtype=np.float32) / 32767.0


def build_store(
    items: Iterable[tuple[str, Callable[[], np.ndarray]]],
    folder: str | Path,
    variants: Sequence[str] = ("clean", *CODEC_VARIANTS),
    seed: int = 0,
    workers: int = 2,
    log: Callable[[str], None] = print,
) -> AudioStore:
    """Decode ``items`` (key, loader) and write every variant into ``folder``; returns the store.

    A variant is ``"clean"``, a key of ``CODEC_VARIANTS`` (random settings, seeded from ``seed``,
    the variant and the clip key) or a ``detector.channels`` name such as ``"mp3-32k"`` (the
    deterministic evaluation channels).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    keys: list[str] = []
    signals: list[np.ndarray] = []
    for key, load in items:
        keys.append(key)
        signals.append(load())
    log(f"decoded {len(keys)} clips ({sum(map(len, signals)) / SR / 3600:.2f} h)")
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in signals])]).astype(np.int64)
    for v in variants:
        flat = np.zeros(int(offsets[-1]), dtype=np.int16)
        if v == "clean":
            results: Iterable[np.ndarray] = signals
        else:
            vi = sorted(set(CODEC_VARIANTS) | set(CHANNEL_NAMES)).index(v) + 1
            jobs = [(v, s, seed * 1000 + vi, k) for k, s in zip(keys, signals)]
            with ProcessPoolExecutor(max_workers=workers) as ex:
                results = list(ex.map(_one_variant, jobs, chunksize=16))
        for i, y in enumerate(results):
            flat[offsets[i]:offsets[i + 1]] = _to_int16(np.asarray(y)[: offsets[i + 1] - offsets[i]])
        np.save(folder / f"{v}.npy", flat)
        log(f"variant {v} written")
    (folder / "meta.json").write_text(json.dumps({"keys": keys, "offsets": offsets.tolist(),
                                                  "variants": list(variants), "seed": seed}))
    return AudioStore(folder)


def _one_variant(job: tuple[str, np.ndarray, int, str]) -> np.ndarray:
    v, x, seed, key = job
    if v not in CODEC_VARIANTS:
        return apply_channel(x, SR, v)
    # Seed from the variant, the recipe seed and a stable digest of the key (Python's hash() is salted).
    digest = int.from_bytes(hashlib.sha1(key.encode()).digest()[:4], "little")
    return CODEC_VARIANTS[v](x, SR, np.random.default_rng([seed, digest]))


def store_items(clips: Sequence[Clip], root: str | Path) -> list[tuple[str, Callable[[], np.ndarray]]]:
    """(key, loader) pairs for :func:`build_store`; the key is the index's ``file`` column."""
    root = Path(root)
    return [(c.file, (lambda p=root / c.file: decode_file(p))) for c in clips]
