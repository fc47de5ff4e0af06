"""Score a trained model folder on the cached val split: ``python -m detector.training report MODEL``.

For experiments during training (the model card's final table comes from ``faik evaluate``):
file-level P(AI) = mean over 5-s chunks with 50 % overlap, per channel (clean, mp3-32k,
phone-8k), EER / ECE / false alarms at 0.5, and per-family / per-language breakdowns.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from detector.training.train import chunk_logits, file_scores, summarise
from detector.training.data import AudioStore, read_index
from detector.training.metrics import eer

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def evaluate_folder(model_dir: str | Path, val_cache: str | Path, index: str | Path,
                    channels: tuple[str, ...] = ("clean", "mp3-32k", "phone-8k"), split: str = "val") -> dict:
    """Metrics of the model in ``model_dir`` on the cached clips of ``split``, per channel."""
    from transformers import AutoModelForAudioClassification

    import detector.faik_model  # noqa: F401  (registers the architecture)

    torch.set_num_threads(2)
    model = AutoModelForAudioClassification.from_pretrained(model_dir, use_safetensors=True).eval()
    store = AudioStore(val_cache)
    clips = [c for c in read_index(index) if c.split == split and c.file in store]
    y = np.array([1 - c.y for c in clips])  # 1 = fake
    out: dict = {"n_clips": len(clips), "channels": {}}
    for ch in channels:
        scores = file_scores(chunk_logits(model, [store.get(ch, c.file) for c in clips]))
        res = summarise(y, scores)
        fam: dict[str, list[float]] = defaultdict(list)
        for c, s in zip(clips, scores):
            fam[f"{c.label}:{c.family}"].append(float(s))
        # Per-family EER: that family against all real clips (for a fake family); for a real source,
        # its false-alarm rate at 0.5 and mean score.
        real_scores = scores[y == 0]
        per_family = {}
        for k, v in sorted(fam.items()):
            v_arr = np.array(v)
            if k.startswith("fake:"):
                yy = np.r_[np.ones(len(v_arr)), np.zeros(len(real_scores))]
                per_family[k] = {"n": len(v), "eer_vs_all_real": eer(yy, np.r_[v_arr, real_scores]),
                                 "detected_at_0.5": float((v_arr >= 0.5).mean()), "mean_p_ai": float(v_arr.mean())}
            else:
                per_family[k] = {"n": len(v), "false_alarm_at_0.5": float((v_arr >= 0.5).mean()),
                                 "mean_p_ai": float(v_arr.mean())}
        lang: dict[str, list[float]] = defaultdict(list)
        for c, s in zip(clips, scores):
            if c.label == "real":
                lang[c.language].append(float(s))
        res["per_family"] = per_family
        res["real_false_alarm_by_language"] = {k: {"n": len(v), "false_alarm": float((np.array(v) >= 0.5).mean())}
                                               for k, v in sorted(lang.items())}
        out["channels"][ch] = res
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m detector.training report", description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--val-cache", default=str(Path(__file__).resolve().parents[2] / "work_data" / "cache" / "val"))
    p.add_argument("--index", default=str(DEFAULT_DATA / "index.csv"))
    p.add_argument("--channels", default="clean,mp3-32k,phone-8k")
    p.add_argument("--json", default="")
    p.add_argument("--brief", action="store_true", help="only the headline figures")
    a = p.parse_args(argv)
    res = evaluate_folder(a.model, a.val_cache, a.index, tuple(a.channels.split(",")))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    for ch, r in res["channels"].items():
        print(f"{ch:10s} EER {r['eer']:.3f}  ECE {r['ece']:.3f}  false alarms {r['false_alarm']:.3f}  miss {r['miss']:.3f}")
        if not a.brief:
            for k, v in r["per_family"].items():
                print("   ", k, {kk: round(vv, 3) if isinstance(vv, float) else vv for kk, vv in v.items()})
            print("    by language:", {k: (v["n"], round(v["false_alarm"], 2)) for k, v in r["real_false_alarm_by_language"].items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
