"""Per-branch chunk logits of a faik-whisper-detector over an index split in one channel: the harness
for choosing fusion weights and comparing tuned-stem variants without a full ``faik evaluate`` each time.

Why: a ``faik evaluate`` run costs ~3 minutes a channel on 2 cores, and most recipe questions (how much
weight each branch gets, whether a differently trained tuned stem helps) change one branch or one number.
This module analyses each file once, exactly as ``faik evaluate`` does (same decoding, the same
deterministic channel per file, the app's chunk plan, all chunks of a file in one batch), and keeps every
branch's chunk logit (already divided by its spread) plus the chunks' levelled log-mels, so that

* :func:`file_scores` re-fuses them with any weights and calibration into file scores — with the
  model's own weights it reproduces ``faik evaluate``'s file scores (a test checks it);
* :func:`tuned_logits` re-scores only the tuned branch of another model on the stored log-mels.

Use from a notebook or script; choose on val, never fit on it (model cards).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from detector.chunking import ChunkSettings, plan_chunks
from detector.faik_whisper_model import BRANCHES, FaikWhisperDetectorForAudioClassification
from detector.training.experimental_model import load_recipe_model
from detector.training.tune_stem import pad_mels

__all__ = ["BRANCHES", "BranchScores", "branch_logits", "dev_rows", "file_chunks", "file_p_ai", "file_scores",
           "model_weights", "score_files", "tuned_logits"]


@dataclass
class BranchScores:
    """Chunk-level branch logits of "real" (each divided by its spread) for a list of files.

    ``logits`` (n_chunks, 6) in the order of ``BRANCHES``; ``file_of`` (n_chunks,) the file each chunk
    belongs to; ``labels`` per file, 1 = fake (as ``faik evaluate``); ``mels`` (n_chunks, 80, M) float16
    levelled log-mels padded to the longest, ``widths`` each one's own mel frames and ``frames`` its valid
    stem frames (for re-scoring a tuned stem)."""

    files: list[str]
    labels: np.ndarray
    languages: list[str]
    families: list[str]
    file_of: np.ndarray
    logits: np.ndarray
    mels: torch.Tensor
    widths: np.ndarray
    frames: torch.Tensor

    def save(self, path: str | Path) -> None:
        np.savez(path, files=np.array(self.files), labels=self.labels, languages=np.array(self.languages),
                 families=np.array(self.families), file_of=self.file_of, logits=self.logits,
                 mels=self.mels.numpy(), widths=self.widths, frames=self.frames.numpy())

    @classmethod
    def load(cls, path: str | Path) -> "BranchScores":
        z = np.load(path)
        return cls(list(z["files"]), z["labels"], list(z["languages"]), list(z["families"]), z["file_of"],
                   z["logits"], torch.from_numpy(z["mels"]), z["widths"], torch.from_numpy(z["frames"]))


def branch_logits(model: FaikWhisperDetectorForAudioClassification, chunks: torch.Tensor
                  ) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
    """(B, N) equal-length chunks -> ((B, 6) branch logits divided by their spreads (the model's own
    ``scaled_branch_logits``), (B, 80, M) float16 levelled log-mels, (B,) valid stem frames)."""
    mask = torch.ones_like(chunks, dtype=torch.long)  # what the app's feature extractor passes
    with torch.inference_mode():
        out = model.scaled_branch_logits(chunks, mask)
        mel, _, frames = model._levelled_logmel(chunks, mask)
    return out.double().numpy(), mel.half(), frames


def model_weights(model: FaikWhisperDetectorForAudioClassification) -> np.ndarray:
    """The model's fusion weights in the order of ``BRANCHES`` (the probe keeps the rest)."""
    return model.fusion_weights().double().numpy()


def file_chunks(files: Sequence[str], root: str | Path, channel: str = "clean",
                settings: ChunkSettings = ChunkSettings()) -> Iterator[torch.Tensor]:
    """Each file's chunks as one (n_chunks, chunk_len) float32 batch, as ``faik evaluate`` analyses them: the
    file at position i in ``channel``'s copy i (:func:`detector.evaluate.channel_copy`), the app's chunk plan."""
    from detector.audio import load_audio
    from detector.evaluate import channel_copy

    for i, f in enumerate(files):
        audio = load_audio(Path(root) / f)
        x = audio.samples if channel == "clean" else channel_copy(audio.samples, audio.sample_rate, channel, i)
        spans = plan_chunks(int(x.size), audio.sample_rate, settings)
        yield torch.from_numpy(np.stack([x[s.start:s.end] for s in spans]).astype(np.float32))


def score_files(model: FaikWhisperDetectorForAudioClassification, rows: Sequence[dict[str, str]], root: str | Path,
                channel: str = "clean", settings: ChunkSettings = ChunkSettings(),
                progress: Callable[[int, int], None] | None = None) -> BranchScores:
    """Analyse ``rows`` (from :func:`detector.evaluate.read_index`, in that order: the channel's random
    settings depend on each file's position, as in ``faik evaluate``) and keep every branch's chunk logits."""
    files, labels, langs, fams, owner, logits, mels, frames = [], [], [], [], [], [], [], []
    for i, (r, batch) in enumerate(zip(rows, file_chunks([r["file"] for r in rows], root, channel, settings))):
        if progress is not None:
            progress(i, len(rows))
        lg, mel, fr = branch_logits(model, batch)
        files.append(r["file"])
        labels.append(1 if r["label"] == "fake" else 0)
        langs.append(r.get("language") or "?")
        fams.append(r.get("family") or "?")
        owner.extend([len(files) - 1] * len(batch))
        logits.append(lg)
        mels.extend(mel)
        frames.append(fr)
    return BranchScores(files, np.array(labels), langs, fams, np.array(owner), np.concatenate(logits), pad_mels(mels),
                        np.array([m.shape[1] for m in mels]), torch.cat(frames))


def file_scores(s: BranchScores, weights: Sequence[float], scale: float, bias: float,
                logits: np.ndarray | None = None) -> np.ndarray:
    """Mean P(AI) over each file's chunks (the app's file score) for fusion ``weights`` (order of
    ``BRANCHES``) and calibration ``z / scale + bias``; ``logits`` replaces ``s.logits`` (e.g. with a
    re-scored tuned column)."""
    lg = s.logits if logits is None else logits
    return file_p_ai(s.file_of, lg @ np.asarray(weights, dtype=np.float64), scale, bias)


def file_p_ai(file_of: np.ndarray, fused: np.ndarray, scale: float, bias: float) -> np.ndarray:
    """Mean P(AI) per file (the app's file score) from fused chunk logits of "real", calibrated
    ``z / scale + bias``; ``file_of`` numbers each chunk's file."""
    with np.errstate(over="ignore"):  # a huge logit gives P(AI) 0, as it should
        p_ai = 1.0 / (1.0 + np.exp(fused / scale + bias))
    return np.bincount(file_of, weights=p_ai) / np.bincount(file_of)


def tuned_logits(model: FaikWhisperDetectorForAudioClassification, s: BranchScores, batch: int = 64) -> np.ndarray:
    """``model``'s tuned-branch logits (divided by its spread) on the stored log-mels of ``s``, each
    chunk's log-mel at its own width (batched by width, as the app batches a file's equal chunks)."""
    out = np.zeros(len(s.frames))
    with torch.inference_mode():
        for w in np.unique(s.widths):
            idx = np.flatnonzero(s.widths == w)
            for start in range(0, len(idx), batch):
                part = torch.from_numpy(idx[start:start + batch])
                mel = s.mels[part, :, :int(w)].float()
                out[idx[start:start + batch]] = (model.tuned_logit_from_mel(mel, s.frames[part])
                                                 / model.tuned_scale).double().numpy()
    return out


def dev_rows(rows: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """The index rows of dev: train-split clips of the fake families and real sources every recipe holds out
    of training (for calibration and choices), in index order."""
    from detector.training.data import DEV_FAKE_FAMILIES, DEV_REAL_FAMILIES

    return [r for r in rows if r.get("split") == "train"
            and r["family"] in (DEV_FAKE_FAMILIES if r["label"] == "fake" else DEV_REAL_FAMILIES)]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m detector.training branch-scores --model DIR --index CSV --root DIR --split val --channel C --out F.npz``"""
    import argparse

    from detector.evaluate import read_index

    p = argparse.ArgumentParser(prog="python -m detector.training branch-scores", description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="faik-whisper-detector folder")
    p.add_argument("--index", required=True, help="index.csv")
    p.add_argument("--root", required=True, help="folder the index paths start from")
    p.add_argument("--split", default="val", help="an index split, or dev: the train rows of the families the "
                   "recipes hold out of training (detector.training.data)")
    p.add_argument("--channel", default="clean", help="as faik evaluate --channel")
    p.add_argument("--limit", type=int, default=0, help="first N files only (smoke test)")
    p.add_argument("--out", required=True, help=".npz to write")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = load_recipe_model(a.model).eval()  # the shipped class or the recipe's experiment class
    rows = dev_rows(read_index(a.index)) if a.split == "dev" else read_index(a.index, split=a.split)
    rows = rows[:a.limit] if a.limit else rows
    s = score_files(model, rows, a.root, a.channel,
                    progress=lambda i, n: print(f"{i}/{n}", flush=True) if i % 100 == 0 else None)
    s.save(a.out)
    print(f"{len(s.files)} files, {len(s.file_of)} chunks -> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
