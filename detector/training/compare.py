"""Compare a recipe run's tuned stem with the shipped model's on val, with paired bootstrap intervals.

Why: a recipe change that only touches the tuned branch (its training data, loss, schedule) and the
calibration keeps every frozen branch, so the shipped model's cached branch scores
(:mod:`detector.training.branch_scores`, one ``.npz`` per channel) need only their tuned column
re-scored: a candidate is measured in about a minute instead of ~15 minutes of ``faik evaluate``. Val
is small (757 files, whole families), so single EERs move by a point between runs: each difference
comes with a paired bootstrap interval over val files (the same files resampled for both models, in
every channel at once), the way the model cards report them.

    python -m detector.training compare --reference resources/models/faik-detector-v10 \\
        --scores 'val-{channel}.npz' work_data/candidate [more candidates]

A candidate whose frozen branches differ too (other copies, other regressions) is scored on its own
(``branch_scores --model CANDIDATE``, per channel) and compared with ``--candidate-scores 'c-{channel}.npz'``.

"modern row" is val's modern families against all real clips, as ``faik evaluate`` prints it (choose on
it: model issue of 2026-12-07); "over 4" is one EER over the clean, MP3, 8 kHz and noise copies together (one threshold for every
everyday channel); "EN" is within English. Choose on val, never fit on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from detector.evaluate import MODERN_FAMILIES
from detector.faik_whisper_model import FaikWhisperDetectorForAudioClassification
from detector.training.branch_scores import BranchScores, file_scores, model_weights, tuned_logits
from detector.training.experimental_model import load_recipe_model
from detector.training.metrics import ece
from detector.training.metrics import eer as eer_or_nan

CHANNELS = ("clean", "mp3-32k", "phone-8k", "noise-20db", "reverb")
EVERYDAY = ("clean", "mp3-32k", "phone-8k", "noise-20db")  # "over 4": one threshold for all of them


def frozen_mismatch(reference: FaikWhisperDetectorForAudioClassification,
                    candidate: FaikWhisperDetectorForAudioClassification) -> list[str]:
    """Names of the weights (outside the tuned branch, its spread and the calibration) in which the
    two models differ; empty when re-scoring the tuned column alone measures the candidate.

    Equal means equal to float32 rounding (relative 1e-5): a recipe run reuses the cached frozen
    features, so its regressions come out bit for bit, but it recomputes the branch spreads from dev
    audio, and on another machine's CPU those differ in the last digit (1e-7 relative, seen)."""
    free = ("tuned_", "logit_scale", "logit_bias")
    ref = reference.state_dict()
    out = [k for k, v in candidate.state_dict().items()
           if not k.startswith(free) and (k not in ref or ref[k].shape != v.shape
                                          or not torch.allclose(ref[k], v, rtol=1e-5, atol=0.0))]
    if reference.fusion_weights().tolist() != candidate.fusion_weights().tolist():
        out.append("fusion weights (config)")
    return out


def candidate_file_scores(scores: BranchScores, candidate: FaikWhisperDetectorForAudioClassification,
                          rescore: bool = True) -> np.ndarray:
    """File P(AI) of ``candidate`` from branch scores cached with a model that shares its frozen branches
    (check with :func:`frozen_mismatch`): its own tuned stem, tuned spread, weights and calibration.
    ``rescore=False`` uses the cached tuned column (the reference itself)."""
    logits = scores.logits
    if rescore:
        logits = logits.copy()
        logits[:, -1] = tuned_logits(candidate, scores)
    return file_scores(scores, model_weights(candidate), float(candidate.logit_scale), float(candidate.logit_bias),
                       logits)


@dataclass(frozen=True)
class Difference:
    """EER of the candidate minus the reference's (negative = better), with a 90 % bootstrap interval."""

    reference: float
    candidate: float
    low: float
    high: float

    @property
    def delta(self) -> float:
        return self.candidate - self.reference


def paired_bootstrap(labels: np.ndarray, reference: np.ndarray, candidate: np.ndarray, blocks: int,
                     metric: Callable[[np.ndarray, np.ndarray], float] = eer_or_nan, resamples: int = 200,
                     seed: int = 0, mask: np.ndarray | None = None) -> Difference:
    """``metric(candidate) - metric(reference)`` with its 5-95 % bootstrap interval.

    The rows are ``blocks`` equal blocks of the same files in the same order (one block per channel),
    so a resample draws file indices once and takes them in every block: a file and its channel copies
    stay together, as in the model cards. ``mask`` (per row) keeps a subset (e.g. English) after
    resampling."""
    n = len(labels) // blocks
    if n * blocks != len(labels) or len(reference) != len(labels) or len(candidate) != len(labels):
        raise ValueError("labels and both score arrays need the same rows: blocks of the same files")
    keep = np.ones(len(labels), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)

    def diff(files: np.ndarray) -> tuple[float, float]:
        rows = (files[None, :] + n * np.arange(blocks)[:, None]).ravel()
        rows = rows[keep[rows]]
        return metric(labels[rows], reference[rows]), metric(labels[rows], candidate[rows])

    ref, cand = diff(np.arange(n))
    rng = np.random.default_rng(seed)
    deltas = np.array([b - a for a, b in (diff(rng.integers(0, n, n)) for _ in range(resamples))])
    low, high = np.nanpercentile(deltas, [5, 95])
    return Difference(ref, cand, float(low), float(high))


def compare(reference: FaikWhisperDetectorForAudioClassification, candidate: FaikWhisperDetectorForAudioClassification,
            scores: dict[str, BranchScores], resamples: int = 200) -> dict[str, dict[str, object]]:
    """Per channel in ``scores`` (and "over 4" where all four everyday channels are there): pooled and
    English EER differences, ECE and false alarms at 0.5 of both models."""
    problems = frozen_mismatch(reference, candidate)
    if problems:
        raise ValueError(f"the candidate's frozen branches differ from the reference's ({', '.join(problems[:5])}); "
                         "re-scoring the tuned stem alone would not measure it: score it on its own "
                         "(compare_scored, --candidate-scores)")
    first = _same_files(scores)
    ref = {ch: candidate_file_scores(s, reference, rescore=False) for ch, s in scores.items()}
    cand = {ch: candidate_file_scores(s, candidate) for ch, s in scores.items()}
    return _compare_file_scores(first, ref, cand, resamples)


def compare_scored(reference: FaikWhisperDetectorForAudioClassification, reference_scores: dict[str, BranchScores],
                   candidate: FaikWhisperDetectorForAudioClassification, candidate_scores: dict[str, BranchScores],
                   resamples: int = 200) -> dict[str, dict[str, object]]:
    """As :func:`compare`, for a candidate whose frozen branches differ too (e.g. refitted on other
    copies): each model is measured on its own branch scores of the same files and channels."""
    if set(reference_scores) != set(candidate_scores):
        raise ValueError("both models need branch scores of the same channels")
    first = _same_files({**{f"reference {k}": v for k, v in reference_scores.items()},
                         **{f"candidate {k}": v for k, v in candidate_scores.items()}})
    ref = {ch: candidate_file_scores(s, reference, rescore=False) for ch, s in reference_scores.items()}
    cand = {ch: candidate_file_scores(candidate_scores[ch], candidate, rescore=False) for ch in reference_scores}
    return _compare_file_scores(first, ref, cand, resamples)


def _same_files(scores: dict[str, BranchScores]) -> BranchScores:
    """The first of ``scores``, after checking that every one is of the same files in the same order."""
    first = next(iter(scores.values()))
    for ch, s in scores.items():
        if s.files != first.files:
            raise ValueError(f"the {ch} scores are of other files than the {next(iter(scores))} ones")
    return first


def _compare_file_scores(first: BranchScores, ref: dict[str, np.ndarray], cand: dict[str, np.ndarray],
                         resamples: int) -> dict[str, dict[str, object]]:
    """Per channel of ``ref`` / ``cand`` (file P(AI) of the two models, files as in ``first``) and "over 4"."""
    english = np.array([lang == "en" for lang in first.languages])
    # val's modern row (faik evaluate's): the modern families' fakes against every real clip
    modern = np.array([y == 0 or fam in MODERN_FAMILIES for y, fam in zip(first.labels, first.families)])
    out: dict[str, dict[str, object]] = {}
    groups = [(ch, (ch,)) for ch in ref]
    if all(ch in ref for ch in EVERYDAY):
        groups.append(("over 4", EVERYDAY))
    for name, chans in groups:
        y = np.concatenate([first.labels] * len(chans))
        a = np.concatenate([ref[c] for c in chans])
        b = np.concatenate([cand[c] for c in chans])
        en = np.concatenate([english] * len(chans))
        row: dict[str, object] = {
            "pooled": paired_bootstrap(y, a, b, len(chans), resamples=resamples),
            "english": paired_bootstrap(y, a, b, len(chans), resamples=resamples, mask=en),
        }
        if modern.all() or not (np.asarray(first.labels)[modern] == 1).any():
            row["modern"] = None  # no modern families among these files
        else:
            row["modern"] = paired_bootstrap(y, a, b, len(chans), resamples=resamples,
                                             mask=np.concatenate([modern] * len(chans)))
        if len(chans) == 1:
            row["ece"] = (ece(y, a), ece(y, b))
            row["false_alarms"] = (float(np.mean(a[y == 0] >= 0.5)), float(np.mean(b[y == 0] >= 0.5)))
        out[name] = row
    return out


def format_comparison(result: dict[str, dict[str, object]]) -> str:
    """The table ``main`` prints: EER reference -> candidate, difference [90 %], in points."""
    def pts(d: Difference) -> str:
        return (f"{d.reference * 100:5.1f} -> {d.candidate * 100:5.1f}  {d.delta * 100:+.1f} "
                f"[{d.low * 100:+.1f}, {d.high * 100:+.1f}]")

    lines = [f"{'channel':11s} {'EER modern row (points)':33s} {'EER pooled':33s} {'EER within English':33s} "
             f"ECE          false alarms"]
    for name, row in result.items():
        extra = ""
        if "ece" in row:
            (e0, e1), (f0, f1) = row["ece"], row["false_alarms"]
            extra = f" {e0:.3f}->{e1:.3f}  {f0 * 100:4.1f}->{f1 * 100:4.1f} %"
        modern = pts(row["modern"]) if row.get("modern") is not None else "-"
        lines.append(f"{name:11s} {modern:33s} {pts(row['pooled']):33s} {pts(row['english']):33s}{extra}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m detector.training compare", description=__doc__.split("\n")[0])
    p.add_argument("--reference", required=True, help="the model the scores were cached with (e.g. the shipped one)")
    p.add_argument("--scores", required=True,
                   help="its branch_scores .npz files, with {channel} in the name (e.g. 'val-{channel}.npz')")
    p.add_argument("--channels", default=",".join(CHANNELS))
    p.add_argument("--candidate-scores", default="",
                   help="the candidate's own branch_scores files ({channel} in the name), for a candidate whose "
                        "frozen branches differ from the reference's (one candidate)")
    p.add_argument("--resamples", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("candidates", nargs="+", help="recipe output folders to compare with the reference")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    scores = {ch: BranchScores.load(a.scores.format(channel=ch)) for ch in a.channels.split(",") if ch}
    reference = load_recipe_model(a.reference).eval()
    if a.candidate_scores and len(a.candidates) != 1:
        p.error("--candidate-scores goes with exactly one candidate")
    for folder in a.candidates:
        candidate = load_recipe_model(folder).eval()  # an experiment option's run too
        print(f"{Path(folder).name} against {Path(a.reference).name} (90 % paired bootstrap, {a.resamples} resamples):")
        if a.candidate_scores:
            own = {ch: BranchScores.load(a.candidate_scores.format(channel=ch)) for ch in scores}
            print(format_comparison(compare_scored(reference, scores, candidate, own, a.resamples)))
        else:
            print(format_comparison(compare(reference, candidate, scores, a.resamples)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
