"""A retrained or new CNN branch measured inside v11's fusion, from v11's cached branch logits (tried after v11).

Why: v11's CNN branch is still the v1 CNN, trained before the train split grew, and no branch of v11 looks at
the STFT's phase, where a neural vocoder's trace may sit that magnitude features miss. Re-training the whole
built-in model per question costs ~30 minutes; the CNN is one column of the fusion, so a candidate CNN is
scored on exactly the chunks (and channel copies) of v11's cached branch logits
(:mod:`detector.training.branch_scores`) and fused in their place, or beside them.

Steps (each figure in v11's card came from these):

1. a CNN by the v1 recipe, e.g. ``python -m detector.training train --data ../shared/data --out DIR --threads 1``
   with ``--init-seed N`` (another start, same cached data), ``--acoustic noise,reverb,voip`` (the tuned
   stem's acoustic copies too), ``--extra klettres-espeak``, ``--model-config '{"phase_planes": 4}'`` (the phase planes of
   :mod:`detector.training.phase_cnn`) or ``'{"f_min": 4000}'`` (the 4-8 kHz band only);
2. v11's branch logits on dev and val, three channels: ``python -m detector.training branch-scores --model
   resources/models/faik-detector-v11 --index ../shared/data/index.csv --root ../shared/data --split S
   --channel C --out work_data/stack/faik-detector-v11-S-C.npz`` for S in dev, val and C in clean, mp3-32k,
   phone-8k;
3. the CNN's logits on the same chunks: ``python -m detector.training cnn-branch score --model DIR
   --scores 'work_data/stack/faik-detector-v11-{part}-{channel}.npz' --out 'work_data/cnn/NAME-{part}-{channel}.npy'``;
4. the table: ``python -m detector.training cnn-branch fuse --scores '…{part}-{channel}.npz' --column
   NAME='work_data/cnn/NAME-{part}-{channel}.npy' …``: each column alone, in place of v11's CNN, and added
   at weights 0.1-0.3; the calibration of every row (v11's included) refitted on dev's three channels, so
   that the rows differ only in their scores (v11's row reproduces its card's EERs).

Choose on val's modern row; dev (held-out train families) is printed beside it because the two disagree.
v11 has been retired since (v12 is built in, with the same six branches): its figures come back with its
folder, ``python -m detector.training retired --name faik-detector-v11``, as ``--model`` of step 2 and
``--reference`` of step 4 (which defaults to the built-in model).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from detector.chunking import ChunkSettings
from detector.faik_model import FaikDetectorForAudioClassification
from detector.faik_whisper_model import BRANCHES, standardise
from detector.training.branch_scores import BranchScores, file_chunks, file_p_ai
from detector.training.metrics import ece, eer
from detector.training.phase_cnn import load_cnn

CHANNELS = ("clean", "mp3-32k", "phone-8k")
CNN_COLUMN = BRANCHES.index("cnn")  # the CNN's column of the cached branch logits


def cnn_chunk_logits(model: FaikDetectorForAudioClassification, files: Sequence[str], root: str | Path,
                     channel: str, settings: ChunkSettings = ChunkSettings()) -> np.ndarray:
    """The CNN's logit of "real" minus "AI-generated" per chunk of ``files``, on the chunks and channel copies
    :func:`detector.training.branch_scores.score_files` analyses, its input standardised as v11 standardises
    its CNN branch's."""
    out = []
    for batch in file_chunks(files, root, channel, settings):
        with torch.inference_mode():
            lg = model(standardise(batch, None)).logits
        out.append((lg[:, 1] - lg[:, 0]).double().numpy())
    return np.concatenate(out)


@dataclass(frozen=True)
class FusedRow:
    """One candidate's figures: per channel (``CHANNELS``) dev EER, val modern-row EER, val pooled EER,
    false alarms at P(AI) 0.5 on val's real clips, ECE on the modern row; and the calibration used."""

    name: str
    dev: tuple[float, ...]
    modern: tuple[float, ...]
    pooled: tuple[float, ...]
    false_alarms: tuple[float, ...]
    ece_modern: tuple[float, ...]
    scale: float
    bias: float


def fit_file_calibration(parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[float, float]:
    """(scale, bias) minimising the class-balanced log loss of the file scores over ``parts`` of
    (file_of, fused chunk logits, file labels 1 = fake); the scale is fitted as its log, so it stays positive."""
    log_inv = torch.zeros((), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros((), dtype=torch.float64, requires_grad=True)
    data = [(torch.from_numpy(fo), torch.from_numpy(z), torch.from_numpy(y).double()) for fo, z, y in parts]
    opt = torch.optim.LBFGS([log_inv, bias], max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.zeros((), dtype=torch.float64)
        for fo, z, y in data:
            p = torch.sigmoid(-(z * log_inv.exp() + bias))
            f = torch.zeros(int(fo.max()) + 1, dtype=torch.float64).index_add(0, fo, p) / torch.bincount(fo)
            f = f.clamp(1e-6, 1 - 1e-6)
            loss = loss - (y * f.log()).sum() / y.sum() - ((1 - y) * (1 - f).log()).sum() / (1 - y).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return float(1.0 / log_inv.detach().exp()), float(bias.detach())


def fused_logits(scores: BranchScores, weights: Sequence[float], column: np.ndarray | None, mode: str,
                 weight: float = 0.0) -> np.ndarray:
    """Fused chunk logits: ``mode`` "reference" (the cached branches at ``weights``), "alone" (``column``),
    "replace" (``column`` in place of the CNN's) or "add" (``column`` at ``weight``, the others scaled by
    1 - ``weight``). ``column`` is already divided by its spread."""
    w = np.asarray(weights, dtype=np.float64)
    if mode == "reference":
        return scores.logits @ w
    if column is None:
        raise ValueError(f"mode {mode!r} needs a column")
    if mode == "alone":
        return column
    if mode == "replace":
        lg = scores.logits.copy()
        lg[:, CNN_COLUMN] = column
        return lg @ w
    if mode == "add":
        return scores.logits @ (w * (1.0 - weight)) + column * weight
    raise ValueError(f"unknown mode {mode!r}")


def evaluate_candidate(name: str, dev: dict[str, BranchScores], val: dict[str, BranchScores], weights: Sequence[float],
                       mode: str, columns: tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None = None,
                       weight: float = 0.0, modern_families: frozenset[str] | None = None) -> FusedRow:
    """Fuse, calibrate on dev's channels together, score val. ``columns`` = (dev, val) chunk logits per channel
    (raw: divided here by their spread on dev clean, as the recipe scales a branch)."""
    if modern_families is None:
        from detector.evaluate import MODERN_FAMILIES as modern_families
    col_dev, col_val = columns if columns is not None else ({}, {})
    spread = float(np.std(col_dev["clean"])) if col_dev else 1.0
    fused_dev = {ch: fused_logits(dev[ch], weights, col_dev[ch] / spread if col_dev else None, mode, weight) for ch in dev}
    scale, bias = fit_file_calibration([(dev[ch].file_of, fused_dev[ch], dev[ch].labels) for ch in dev])
    dev_eer, modern, pooled, fa, ece_m = [], [], [], [], []
    for ch in CHANNELS:
        dev_eer.append(eer(dev[ch].labels, file_p_ai(dev[ch].file_of, fused_dev[ch], scale, bias)))
        s = val[ch]
        p = file_p_ai(s.file_of, fused_logits(s, weights, col_val[ch] / spread if col_val else None, mode, weight),
                      scale, bias)
        y = s.labels
        row = (y == 0) | np.isin(np.asarray(s.families), sorted(modern_families))
        modern.append(eer(y[row], p[row]))
        pooled.append(eer(y, p))
        fa.append(float(np.mean(p[y == 0] >= 0.5)))
        ece_m.append(ece(y[row], p[row]))
    return FusedRow(name, tuple(dev_eer), tuple(modern), tuple(pooled), tuple(fa), tuple(ece_m), scale, bias)


def format_row(r: FusedRow) -> str:
    def pc(v: tuple[float, ...]) -> str:
        return " / ".join(f"{100 * x:.1f}" for x in v)

    return (f"| {r.name} | {pc(r.dev)} | **{pc(r.modern)}** | {pc(r.pooled)} | {pc(r.false_alarms)} | "
            + " / ".join(f"{x:.3f}" for x in r.ece_modern) + " |")


HEADER = ("| candidate | dev EER % (clean / MP3 32k / phone band) | val modern row EER % | val pooled EER % | "
          "val false alarms % at 0.5 | ECE modern |\n|---|---|---|---|---|---|")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m detector.training cnn-branch score|fuse …`` (module docstring)."""
    p = argparse.ArgumentParser(prog="python -m detector.training cnn-branch", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="step", required=True)
    s = sub.add_parser("score", help="a CNN's chunk logits on the files of cached branch scores")
    s.add_argument("--model", required=True, help="CNN folder (faik-detector or the phase experiment)")
    s.add_argument("--scores", required=True, help="branch-score .npz pattern with {part} and {channel}")
    s.add_argument("--out", required=True, help=".npy pattern with {part} and {channel}")
    s.add_argument("--root", default="../shared/data")
    s.add_argument("--parts", default="dev,val")
    s.add_argument("--threads", type=int, default=1)
    f = sub.add_parser("fuse", help="the table: v11, then each column alone, in place of the CNN, and added")
    f.add_argument("--scores", required=True, help="branch-score .npz pattern with {part} and {channel}")
    f.add_argument("--column", action="append", default=[], metavar="NAME=PATTERN",
                   help=".npy pattern with {part} and {channel} from the score step (repeatable)")
    f.add_argument("--reference", default=None,
                   help="the model whose weights fuse the cached branches (default: the built-in model; v11's "
                        "figures: work_data/retired/faik-detector-v11, from 'python -m detector.training retired "
                        "--name faik-detector-v11')")
    f.add_argument("--weights", default="0.1,0.2,0.3", help="weights of an added column")
    a = p.parse_args(argv)
    torch.set_num_threads(getattr(a, "threads", 2))
    if a.step == "score":
        model = load_cnn(a.model).eval()
        for part in a.parts.split(","):
            for ch in CHANNELS:
                src = a.scores.format(part=part, channel=ch)
                cached = BranchScores.load(src)
                out = Path(a.out.format(part=part, channel=ch))
                out.parent.mkdir(parents=True, exist_ok=True)
                logits = cnn_chunk_logits(model, cached.files, a.root, ch)
                if len(logits) != len(cached.file_of):
                    raise SystemExit(f"{src}: {len(cached.file_of)} chunks cached, {len(logits)} scored: another chunk plan?")
                np.save(out, logits)
                print(f"{out}: {len(logits)} chunks")
        return 0
    from detector.training.branch_scores import model_weights
    from detector.training.experimental_model import load_recipe_model

    if a.reference is None:
        from detector.model_service import BUILTIN_MODEL_DIR

        a.reference = str(BUILTIN_MODEL_DIR)
    weights = model_weights(load_recipe_model(a.reference))
    dev = {ch: BranchScores.load(a.scores.format(part="dev", channel=ch)) for ch in CHANNELS}
    val = {ch: BranchScores.load(a.scores.format(part="val", channel=ch)) for ch in CHANNELS}
    print(HEADER)
    print(format_row(evaluate_candidate(Path(a.reference).name, dev, val, weights, "reference")))
    for spec in a.column:
        name, _, pattern = spec.partition("=")
        cols = tuple({ch: np.load(pattern.format(part=part, channel=ch)) for ch in CHANNELS} for part in ("dev", "val"))
        print(format_row(evaluate_candidate(f"{name} alone", dev, val, weights, "alone", cols)))
        print(format_row(evaluate_candidate(f"{name} in place of the CNN", dev, val, weights, "replace", cols)))
        for w in (float(x) for x in a.weights.split(",") if x):
            print(format_row(evaluate_candidate(f"{name} added at {w:g}", dev, val, weights, "add", cols, w)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
