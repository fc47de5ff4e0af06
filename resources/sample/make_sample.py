"""Rebuild sample.flac from the shared data set (run from the repo root).

    python resources/sample/make_sample.py [--data ../shared/data]

Real LJSpeech recordings followed by DeepVoice3 text-to-speech in the same
voice (LJSpeech-trained), each clip level-matched (same RMS) with 10 ms fades
and 0.25 s of silence between clips, 16 kHz mono 16-bit FLAC. SAMPLE.md lists
the exact seconds each clip occupies; this script prints them.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 16000
GAP_S = 0.25
FADE_S = 0.01
TARGET_RMS_DBFS = -23.0

_DV3 = ("audio/fake/deepvoice3/deepvoice3-ljs-r9y9/"
        "docs_static_audio_deepvoice3_3_keithito_{}_checkpoint_step000210000.flac")
# (label, file under the data folder)
CLIPS = [
    ("real", "audio/real/ljspeech/ljspeech-coqui-testdata/tests_data_ljspeech_wavs_LJ001-0001.flac"),
    ("real", "audio/real/ljspeech/ljspeech-coqui-testdata/tests_data_ljspeech_wavs_LJ001-0004.flac"),
    ("real", "audio/real/ljspeech/ljspeech-coqui-testdata/tests_data_ljspeech_wavs_LJ001-0005.flac"),
    ("fake", _DV3.format(0)),
    ("fake", _DV3.format(1)),
    ("fake", _DV3.format(3)),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared" / "data"))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "sample.flac"))
    args = ap.parse_args()
    data = Path(args.data)
    parts, t = [], 0.0
    fade = np.linspace(0.0, 1.0, int(FADE_S * SR), dtype=np.float32)
    for i, (label, rel) in enumerate(CLIPS):
        x, sr = sf.read(str(data / rel), dtype="float32")
        assert sr == SR and x.ndim == 1, (rel, sr, x.shape)
        x = x * (10 ** (TARGET_RMS_DBFS / 20) / (np.sqrt(np.mean(x ** 2)) + 1e-12))
        x = x * min(1.0, 0.95 / np.max(np.abs(x)))
        x[: len(fade)] *= fade
        x[-len(fade):] *= fade[::-1]
        if i:
            parts.append(np.zeros(int(GAP_S * SR), np.float32))
            t += GAP_S
        start = t
        parts.append(x.astype(np.float32))
        t += len(x) / SR
        sha = hashlib.sha256((data / rel).read_bytes()).hexdigest()[:12]
        print(f"{start:6.2f}-{t:6.2f} s  {label:4}  {rel}  (flac sha256 {sha}...)")
    y = np.concatenate(parts)
    sf.write(args.out, y, SR, subtype="PCM_16", format="FLAC")
    print(f"wrote {args.out}: {len(y) / SR:.2f} s, {Path(args.out).stat().st_size} bytes")


if __name__ == "__main__":
    main()
