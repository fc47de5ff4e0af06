"""Fit a model's evidence map (``evidence.json``) from its own held-out predictions, and measure it on val.

    python -m detector.training fit-evidence --model resources/models/faik-detector-v10 --data ../shared/data

What it does, per channel (default: clean, MP3 32 kbit/s, 8 kHz telephone band, Opus 24 kbit/s, AAC
32 kbit/s — the channels the app recognises from a file, :func:`detector.analysis.evidence_channel`):

1. runs the app over the **dev** recordings (train's held-out generator families and real sources,
   ``detector.training.data.DEV_FAKE_FAMILIES`` / ``DEV_REAL_FAMILIES``; never trained on) at the
   default chunk settings, each in that channel's copy (``faik evaluate --channel``'s copies), and fits
   :func:`detector.evidence.fit_channel_map` on the file scores (mean P(AI));
2. runs it over **val** the same way and measures the fitted map there: Cllr, min Cllr, EER; the
   strongest verbal band val shows the map earns in each direction on *every* channel
   (:func:`detector.evidence.earned_band`, never above "moderate" unless earned) becomes the map's
   ``max_band``; val's scores give the table behind the result's "N of M" sentence.

A model whose tuned stem also learnt from dev (``train-whisper --tuned-dev crossfit``, v12) has no
held-out dev scores of its own: ``--fold-stems DIR`` (written by that training run's ``--fold-stems``)
scores each dev family with the model whose tuned stem is the soup of the fold that left the family out,
and the map is fitted on those. Without it such a model is refused.

Writes ``evidence.json`` into the model folder (with what it was fitted on and the weights' SHA-256:
the model service ignores a map made for other weights) and prints the val table. Scores are cached
under ``--cache`` (default ``work_data/evidence``) per model weights, part and channel, so a rerun with
more channels only scores the new ones. 2 cores: ≈ 1–2 min per channel for v10.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from detector.errors import SettingsError
from detector.evidence import (AI, BANDS, DEFAULT_MAX_BAND, REAL, EvidenceMap, HeldOutTable, cllr, earned_band,
                               fit_channel_map, min_cllr, save_evidence, weaker)

DEFAULT_CHANNELS = ("clean", "mp3-32k", "phone-8k", "opus-24k", "aac-32k")


def part_rows(index_csv: Path, part: str) -> list[dict[str, str]]:
    """The index rows of one part ("dev" or "val", :attr:`detector.training.data.Clip.part`)."""
    from detector.training.data import DEV_FAKE_FAMILIES, DEV_REAL_FAMILIES

    with open(index_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if part == "val":
        return [r for r in rows if r["split"] == "val"]
    if part == "dev":
        return [r for r in rows if r["split"] != "val"
                and r["family"] in (DEV_FAKE_FAMILIES if r["label"] == "fake" else DEV_REAL_FAMILIES)]
    raise ValueError(f"unknown part {part!r}")


def score_part(service, data: Path, part: str, channel: str, cache: Path | None,
               families: frozenset[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """File scores (mean P(AI), as the app computes them) and labels (1 = AI-generated) of one part in
    one channel (only its clips of ``families`` if given), from the cache when it holds them for these weights."""
    from detector.chunking import PLAN_VERSION
    from detector.evaluate import evaluate_index

    sha = service.info.weights_sha256
    name = part if families is None else f"{part}-{hashlib.sha256(' '.join(sorted(families)).encode()).hexdigest()[:8]}"
    path = cache / f"{sha[:16]}-plan{PLAN_VERSION}" / f"{name}-{channel}.json" if cache is not None else None
    if path is not None and path.is_file():
        d = json.loads(path.read_text("utf-8"))
        return np.array(d["scores"]), np.array(d["labels"])
    rows = [r for r in part_rows(data / "index.csv", part) if families is None or r["family"] in families]
    if not rows:
        raise SettingsError(f"no {part} clips of the families {sorted(families or ())}")
    with tempfile.TemporaryDirectory() as tmp:
        idx = Path(tmp) / f"{part}.csv"
        with open(idx, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        rep = evaluate_index(idx, data, service, channel=channel,
                             progress=lambda i, n, f: print(f"\r{part} {channel}: {i}/{n}", end="", file=sys.stderr))
    print(file=sys.stderr)
    scores = np.array([it.prob_ai for it in rep.items])
    labels = np.array([it.label for it in rep.items])
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"scores": scores.tolist(), "labels": labels.tolist(),
                                    "files": [it.file for it in rep.items]}), "utf-8")
    return scores, labels


def fold_models(model_dir: Path, fold_stems: Path, tmp: Path) -> list[tuple[Path, frozenset[str]]]:
    """One model folder per dev fold, written under ``tmp``: ``model_dir``'s weights with the tuned stem
    of that fold's soup (``train-whisper --fold-stems``) in place, and the fold's families. Refuses
    stems that would replace anything but existing tensors of the same shape, or folds that do not
    match the training log's."""
    from safetensors.torch import load_file, save_file

    from detector.training.train_whisper import FOLD_STEM_FILE, FOLDS_FILE

    index = fold_stems / FOLDS_FILE
    if not index.is_file():
        raise SettingsError(f"no {FOLDS_FILE} in {fold_stems}: give the folder a train-whisper --fold-stems run wrote")
    folds = {int(k): frozenset(v) for k, v in json.loads(index.read_text("utf-8")).items()}
    logged = logged_folds(model_dir)
    if logged is not None and sorted(map(sorted, folds.values())) != sorted(map(sorted, logged)):
        raise SettingsError(f"the folds in {fold_stems} are not the folds {model_dir.name} was trained with")
    base = load_file(str(model_dir / "model.safetensors"))
    out = []
    for k in sorted(folds):
        stem = load_file(str(fold_stems / FOLD_STEM_FILE.format(k=k)))
        wrong = [n for n, t in stem.items() if n not in base or base[n].shape != t.shape]
        if wrong or not stem:
            raise SettingsError(f"fold {k}'s stem does not fit {model_dir.name} (tensors {wrong[:3]})")
        folder = tmp / f"fold-{k}"
        folder.mkdir(parents=True)
        for f in ("config.json", "preprocessor_config.json"):
            shutil.copy(model_dir / f, folder / f)
        save_file({**base, **stem}, str(folder / "model.safetensors"), metadata={"format": "pt"})
        out.append((folder, folds[k]))
    return out


def logged_folds(model_dir: Path) -> list[list[str]] | None:
    """The dev folds the model's training log names (``tuned_dev_folds``: its tuned stem learnt from dev,
    ``--tuned-dev crossfit``), or ``None`` when it names none or there is no log."""
    log_path = model_dir / "training_log.json"
    return json.loads(log_path.read_text("utf-8")).get("tuned_dev_folds") or None if log_path.is_file() else None


def build_map(dev: dict[str, tuple[np.ndarray, np.ndarray]], val: dict[str, tuple[np.ndarray, np.ndarray]],
              *, weights_sha256: str = "", fitted_on: dict | None = None,
              ceiling: str = DEFAULT_MAX_BAND) -> EvidenceMap:
    """The map from dev scores per channel, capped and measured on val (both dicts: channel -> (scores, labels))."""
    from detector.evaluate import eer

    chans = {ch: fit_channel_map(s, y) for ch, (s, y) in dev.items()}
    uncapped = EvidenceMap(chans, {AI: BANDS[-1], REAL: BANDS[-1]})
    max_band = {AI: ceiling, REAL: ceiling}
    raw_val: dict[str, np.ndarray] = {}
    earned: dict[str, dict[str, str]] = {}
    for ch, (s, y) in val.items():
        raw_val[ch] = np.array([uncapped.log10_lr(float(v), ch)[1] for v in s])
        earned[ch] = {d: earned_band(raw_val[ch], y, d, ceiling) for d in (AI, REAL)}
        for d in (AI, REAL):
            max_band[d] = weaker(max_band[d], earned[ch][d])
    emap = EvidenceMap(chans, max_band, weights_sha256=weights_sha256, fitted_on=dict(fitted_on or {}))
    measured = {}
    held = {}
    for ch, (s, y) in val.items():
        llr = emap.llr(s, ch)
        measured[ch] = {"n_real": int((y == 0).sum()), "n_fake": int((y == 1).sum()),
                        "cllr": round(cllr(y, llr), 4), "min_cllr": round(min_cllr(y, s), 4),
                        "cllr_uncapped": round(cllr(y, raw_val[ch] * math.log(10)), 4),
                        "eer": round(eer(y, s)[0], 4), "earned_band": earned[ch]}
        held[ch] = HeldOutTable.build(s, y)
    return EvidenceMap(chans, max_band, held, {"split": "val", "channels": measured}, dict(fitted_on or {}),
                       weights_sha256)


def format_table(emap: EvidenceMap) -> str:
    lines = [f"{'channel':<10} {'n':>5} {'Cllr':>6} {'min Cllr':>9} {'EER':>7}   (val; map fitted on dev)"]
    for ch, m in emap.measured.get("channels", {}).items():
        lines.append(f"{ch:<10} {m['n_real'] + m['n_fake']:>5} {m['cllr']:>6.3f} {m['min_cllr']:>9.3f} "
                     f"{100 * m['eer']:>6.1f}%")
    lines.append("earned on val: " + "; ".join(f"{ch} AI {m['earned_band'][AI]!r} / real {m['earned_band'][REAL]!r}"
                                               for ch, m in emap.measured.get("channels", {}).items()))
    lines.append(f"strongest band stated: for AI-generated {emap.max_band[AI]!r}, for real {emap.max_band[REAL]!r} "
                 f"(earned on val on every channel, at most {DEFAULT_MAX_BAND!r} unless earned)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="model folder: evidence.json is written into it")
    p.add_argument("--data", default="../shared/data", help="shared data folder with index.csv and audio/")
    p.add_argument("--channels", default=",".join(DEFAULT_CHANNELS),
                   help="comma-separated evaluation channels (default %(default)s)")
    p.add_argument("--cache", default="work_data/evidence", help="score cache folder ('' for none)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--fold-stems", default="",
                   help="the folds' tuned stems of a --tuned-dev crossfit model (train-whisper --fold-stems): dev "
                        "is scored with the soup that left each family out")
    args = p.parse_args(argv)
    from detector.chunking import ChunkSettings
    from detector.model_service import ModelService

    model_dir = Path(args.model)
    if logged_folds(model_dir) and not args.fold_stems:
        print(f"error: {model_dir.name}'s tuned stem learnt from dev (--tuned-dev crossfit), so its own dev scores are "
              "not held out: pass --fold-stems with the folder its training run wrote (train-whisper --fold-stems)",
              file=sys.stderr)
        return 2

    def service(folder: Path) -> ModelService:
        svc = ModelService()
        svc.load(str(folder), "float32")  # a recipe step gives the same numbers on every machine
        if args.threads:
            svc.set_num_threads(args.threads)
        return svc

    svc = service(model_dir)
    info = svc.info
    data = Path(args.data)
    cache = Path(args.cache) if args.cache else None
    channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        if args.fold_stems:
            try:
                folds = [(service(folder), fams) for folder, fams in fold_models(model_dir, Path(args.fold_stems), Path(tmp))]
            except SettingsError as err:
                print(f"error: {err}", file=sys.stderr)
                return 2
            dev = {}
            for ch in channels:
                parts = [score_part(s, data, "dev", ch, cache, fams) for s, fams in folds]
                dev[ch] = (np.concatenate([a for a, _ in parts]), np.concatenate([b for _, b in parts]))
        else:
            dev = {ch: score_part(svc, data, "dev", ch, cache) for ch in channels}
    val = {ch: score_part(svc, data, "val", ch, cache) for ch in channels}
    s = ChunkSettings()
    fitted_on = {
        "part": "dev (train's held-out generator families and real sources: detector.training.data)"
                + (", each family scored with the tuned stem of the fold that left it out (--fold-stems)" if args.fold_stems else ""),
        "n_real": int((dev[channels[0]][1] == 0).sum()), "n_fake": int((dev[channels[0]][1] == 1).sum()),
        "channels": channels, "chunk_duration": s.chunk_duration, "overlap": s.overlap,
        "measured_on": "val", "command": "python -m detector.training fit-evidence --model MODEL --data DATA "
                                         f"--channels {','.join(channels)}" + (" --fold-stems FOLDS" if args.fold_stems else ""),
    }
    emap = build_map(dev, val, weights_sha256=info.weights_sha256, fitted_on=fitted_on)
    out = save_evidence(args.model, emap)
    print(format_table(emap))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
