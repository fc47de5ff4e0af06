"""Fit the neural-noise-suppressor check (:mod:`detector.suppression_check`) and measure it on val.

    python -m detector.training fit-suppression-check --data ../shared/data --out resources/checks/suppression-check.json

Train: every ``--stride``-th train clip (default every 2nd) in the copies ``faik evaluate --channel``
makes (rng seeded with the row number): clean, MP3 32 kbit/s, 8 kHz telephone, white noise at 20 dB SNR,
Opus 24 kbit/s, AAC 32 kbit/s, a synthetic room, a simulated call with a spectral-gate suppressor
(``voip``) — and the same call with the neural suppressor (``call-neural``), the copies to recognise.
:func:`detector.suppression_check.suppression_features` of each, then a class-balanced logistic regression
(C 0.1) of ``call-neural`` against the rest. The threshold flags ``FALSE_FLAGS`` of the other train copies.
Val: the same copies of every val clip (never fitted on), the share flagged per channel and class, stored
under ``measured``. Deterministic; about 15 minutes on 2 cores. Needs the train extra (scikit-learn,
pyrnnoise) and scipy.
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
from detector.linear_check import LinearCheck
from detector.suppression_check import CHANNEL, FEATURES, suppression_features

OTHER = ("clean", "mp3-32k", "phone-8k", "noise-20db", "opus-24k", "aac-32k", "reverb", "voip")
C = 0.1
FALSE_FLAGS = 0.02


def channel_features(index: Path, root: Path, split: str, stride: int = 1,
                     cache: Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, channel name, label 1 = AI-generated) for every ``stride``-th clip of ``split`` in each
    copy; clips too short for an estimate are left out. ``cache``: an .npz kept between runs."""
    if cache is not None and cache.is_file():
        d = np.load(cache)
        return d["features"], d["channels"], d["labels"]
    rows = read_index(index, split=split)
    feats, names, labels = [], [], []
    t0 = time.monotonic()
    for i, row in enumerate(rows):
        if i % stride:
            continue
        audio = load_audio(root / row["file"])
        for ch in OTHER + (CHANNEL,):
            x = apply_channel(audio.samples, audio.sample_rate, ch, rng=np.random.default_rng(i))
            f = suppression_features(x, audio.sample_rate)
            if f is not None:
                feats.append(f)
                names.append(ch)
                labels.append(int(row["label"] == "fake"))
        if i % 200 == 0:
            print(f"  {split}: {i}/{len(rows)} clips, {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    out = np.array(feats), np.array(names), np.array(labels)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, features=out[0], channels=out[1], labels=out[2])
    return out


def fit(features: np.ndarray, channels: np.ndarray, c: float = C, false_flags: float = FALSE_FLAGS) -> LinearCheck:
    """Logistic regression of the suppressed copies against the rest, threshold at ``false_flags``."""
    from sklearn.linear_model import LogisticRegression

    mean, std = features.mean(0), features.std(0) + 1e-6
    z = (features - mean) / std
    lr = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(z, channels == CHANNEL)
    check = LinearCheck(mean, std, lr.coef_[0].astype(np.float64), float(lr.intercept_[0]), 0.0, {}, FEATURES)
    scores = z[channels != CHANNEL] @ check.coef + check.intercept
    return replace(check, threshold=float(np.quantile(scores, 1.0 - false_flags)))


def flag_rates(check: LinearCheck, features: np.ndarray, channels: np.ndarray,
               labels: np.ndarray) -> dict[str, dict[str, float]]:
    """Share of clips flagged per channel copy and class."""
    flagged = ((features - check.mean) / check.std @ check.coef + check.intercept) > check.threshold
    return {ch: {cls: round(float(flagged[(channels == ch) & (labels == y)].mean()), 4)
                 for cls, y in (("real", 0), ("ai", 1))} for ch in OTHER + (CHANNEL,)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="folder with index.csv (../shared/data)")
    ap.add_argument("--out", type=Path, required=True, help="JSON file to write")
    ap.add_argument("--stride", type=int, default=2, help="use every N-th train clip (default %(default)s)")
    ap.add_argument("--cache", type=Path, default=None, help="folder for the features (.npz), reused by a rerun")
    args = ap.parse_args(argv)
    index = args.data / "index.csv"
    cache = (lambda name: args.cache / name) if args.cache else (lambda name: None)
    xt, ct, yt = channel_features(index, args.data, "train", args.stride, cache(f"train-s{args.stride}.npz"))
    check = fit(xt, ct)
    xv, cv, yv = channel_features(index, args.data, "val", 1, cache("val.npz"))
    measured = {
        "command": ("python -m detector.training fit-suppression-check --data ../shared/data --out "
                    f"{args.out} --stride {args.stride}"),
        "train_flagged": flag_rates(check, xt, ct, yt),
        "val_flagged": flag_rates(check, xv, cv, yv),
        "n_train_clips": int((ct == "clean").sum()), "n_val_clips": int((cv == "clean").sum()),
    }
    check = replace(check, measured=measured)
    atomic_write_text(args.out, json.dumps(check.to_dict()) + "\n")
    print(json.dumps(measured, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
