"""Fit the reverberation check (:mod:`detector.reverb_check`) and measure it on val.

    python -m detector.training fit-reverb-check --data ../shared/data --out resources/checks/reverb-check.json

Train: every train clip in seven copies made like ``faik evaluate --channel`` makes them (clean,
MP3 32 kbit/s, 8 kHz telephone, white noise at 20 dB SNR, Opus 24 kbit/s, AAC 32 kbit/s, and a
synthetic room; rng seeded with the row number), :func:`detector.reverb_check.reverb_features` of
each, then a class-balanced logistic regression (C 0.1) of "room" against the other six. The
threshold flags 1 % of the six non-room train copies. Val: the same copies of the val clips (never
fitted on), the share flagged per channel, stored under ``measured``. Deterministic; about 8 minutes
on 2 cores. Needs the train extra (scikit-learn) and scipy (the channel simulation).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from detector.atomic import atomic_write_text
from detector.audio import load_audio
from detector.channels import apply_channel
from detector.evaluate import read_index
from detector.reverb_check import ReverbCheck, reverb_features

DRY = ("clean", "mp3-32k", "phone-8k", "noise-20db", "opus-24k", "aac-32k")
ROOM = "reverb"
C = 0.1
FALSE_FLAGS = 0.01


def channel_features(index: Path, root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(features, channel name) for every clip of ``split`` in each of the seven copies; clips too
    short for an estimate are left out."""
    rows = read_index(index, split=split)
    feats, names = [], []
    t0 = time.monotonic()
    for i, row in enumerate(rows):
        audio = load_audio(root / row["file"])
        for ch in DRY + (ROOM,):
            x = apply_channel(audio.samples, audio.sample_rate, ch, rng=np.random.default_rng(i))
            f = reverb_features(x, audio.sample_rate)
            if f is not None:
                feats.append(f)
                names.append(ch)
        if i % 200 == 0:
            print(f"  {split}: {i}/{len(rows)} clips, {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    return np.array(feats), np.array(names)


def fit(features: np.ndarray, channels: np.ndarray) -> ReverbCheck:
    """Logistic regression of the room copies against the rest, threshold at ``FALSE_FLAGS``."""
    from sklearn.linear_model import LogisticRegression

    mean, std = features.mean(0), features.std(0) + 1e-6
    z = (features - mean) / std
    lr = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(z, channels == ROOM)
    check = ReverbCheck(mean, std, lr.coef_[0].astype(np.float64), float(lr.intercept_[0]), 0.0, {})
    scores = np.array([check.score(f) for f in features[channels != ROOM]])
    return replace(check, threshold=float(np.quantile(scores, 1.0 - FALSE_FLAGS)))


def flag_rates(check: ReverbCheck, features: np.ndarray, channels: np.ndarray) -> dict[str, float]:
    """Share of clips flagged per channel copy."""
    flagged = np.array([check.score(f) > check.threshold for f in features])
    return {ch: round(float(flagged[channels == ch].mean()), 4) for ch in DRY + (ROOM,)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="folder with index.csv (../shared/data)")
    ap.add_argument("--out", type=Path, required=True, help="JSON file to write")
    args = ap.parse_args(argv)
    index = args.data / "index.csv"
    xt, ct = channel_features(index, args.data, "train")
    check = fit(xt, ct)
    xv, cv = channel_features(index, args.data, "val")
    measured = {
        "command": "python -m detector.training fit-reverb-check --data ../shared/data --out " + str(args.out),
        "train_flagged": flag_rates(check, xt, ct),
        "val_flagged": flag_rates(check, xv, cv),
        "n_train_clips": int((ct == "clean").sum()), "n_val_clips": int((cv == "clean").sum()),
    }
    check = replace(check, measured=measured)
    atomic_write_text(args.out, json.dumps(check.to_dict()) + "\n")
    print(json.dumps(measured, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
