"""Fine-tune a copy of Whisper's conv stem and its probe end to end: faik-detector-v8 and v9's tuned branch (v9 averages three runs).

Why: every branch of v2-v7 reads *frozen* pretrained features through a linear probe, and ~40
variants of those probes had stopped moving the val EER (model cards v2-v7). Letting the stem's
two convolutions (535 k weights) move a little towards the task, starting from Whisper's weights
and from the frozen stem's trained probe, separates val's unseen generators better, most of all
within English; as one more branch beside the frozen ones (not instead of them) it keeps their
channel robustness (v8 card: the harness table and the figures of ``faik evaluate``).

How: every train chunk's levelled log-mel is computed once per channel copy (half precision, ~170 MB
per copy for the train part); each epoch visits every chunk once, in one randomly drawn copy, in
batches of ``BATCH``. AdamW, ``lr`` for the convolutions (no weight decay: they start from pretrained
weights) and ``10 * lr`` for the probe (weight decay 0.01); binary cross-entropy on the chunk's
label. The loss goes through the model's own :meth:`tuned_logit_from_mel`, so training and
inference pool the same frames the same way. On these 2 CPU cores an epoch over ~2 100 chunks takes
~15 s. Deterministic for a given seed, torch build and thread count. ``tune_stem_soup`` averages the
weights of several such runs from the same start (a "model soup"): one stem at run time, without the
run-to-run spread of a single run (v8 card, "Tried after v8 shipped"; v8 itself is one run).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from detector.faik_whisper_model import FaikWhisperDetectorForAudioClassification
from detector.training.ct2_whisper import trunk_state_dict
from detector.training.probe import fit_probe, load_probe

BATCH = 32
PAD_MEL = -1.5  # below any Whisper-normalised log-mel value ((log10 floor + 4) / 4 = -1.0 at most 8 below the max)


def chunk_mels(model: FaikWhisperDetectorForAudioClassification, chunk_batches: Sequence[torch.Tensor]
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Levelled log-mels of every chunk, padded to the longest: ((N, 80, M) float16, valid stem frames (N,)).

    ``chunk_batches``: per clip, its chunks as a (n_chunks, samples) batch (all of one length)."""
    mels, valid = [], []
    with torch.inference_mode():
        for batch in chunk_batches:
            mel, _, frames = model._levelled_logmel(batch, None)
            mels.extend(mel.half())
            valid.append(frames)
    return pad_mels(mels), torch.cat(valid)


def pad_mels(mels: Sequence[torch.Tensor]) -> torch.Tensor:
    """(80, M_i) log-mels -> one (N, 80, max M_i) float16 tensor, padded with ``PAD_MEL``."""
    width = max(m.shape[1] for m in mels)
    out = torch.full((len(mels), mels[0].shape[0], width), PAD_MEL, dtype=torch.float16)
    for i, m in enumerate(mels):
        out[i, :, :m.shape[1]] = m
    return out


def concat_mels(a: tuple[torch.Tensor, torch.Tensor], b: tuple[torch.Tensor, torch.Tensor]
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Two ``chunk_mels`` results as one: (log-mels padded to the wider with ``PAD_MEL``, valid frames)."""
    width = max(a[0].shape[2], b[0].shape[2])

    def widen(m: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.pad(m, (0, width - m.shape[2]), value=PAD_MEL)

    return torch.cat([widen(a[0]), widen(b[0])]), torch.cat([a[1], b[1]])


def init_tuned_branch(model: FaikWhisperDetectorForAudioClassification) -> None:
    """Start the tuned branch from the frozen stem and the Whisper probe fitted on it (standardisation
    included, which stays fixed): the probe's weights on the stem's mean and standard deviation, where
    the probe also pools later layers. (v8, v9; v10 starts from another Whisper: :func:`load_tuned_stem`.)"""
    c = model.config
    if c.tuned_channels != c.d_model:
        raise ValueError(f"the tuned stem ({c.tuned_channels} channels) is not a copy of the frozen one ({c.d_model}): "
                         "start it with load_tuned_stem and fit_start_probe")
    if 0 not in c.pooled_layers or list(c.pooled_stats) != ["mean", "std"]:
        raise ValueError("the tuned branch starts from the Whisper probe's stem statistics: it needs layer 0 "
                         f"pooled with mean,std (pooled_layers {c.pooled_layers}, pooled_stats {c.pooled_stats})")
    stem = slice(c.pooled_layers.index(0) * c.tuned_dim, (c.pooled_layers.index(0) + 1) * c.tuned_dim)
    with torch.no_grad():
        model.tuned_conv1.load_state_dict(model.trunk.conv1.state_dict())
        model.tuned_conv2.load_state_dict(model.trunk.conv2.state_dict())
        model.tuned_mean.copy_(model.feature_mean[stem])
        model.tuned_std.copy_(model.feature_std[stem])
        model.tuned_probe.weight.copy_(model.probe.weight[:, stem])
        model.tuned_probe.bias.copy_(model.probe.bias)


def load_tuned_stem(model: FaikWhisperDetectorForAudioClassification, variables: dict[str, np.ndarray]) -> None:
    """Put the conv stem of another Whisper (CTranslate2 ``variables``, e.g. base for v10) into the tuned
    branch; its probe is then fitted by :func:`fit_start_probe`.

    Why (v10): Whisper base's stem (multilingual, 512 channels) read by a frozen probe was already
    better on val than tiny.en's (v3 card), and fine-tuning it beat v9's tuned tiny.en copy on every
    channel (v10 card)."""
    width = int(variables["encoder/conv1/bias"].shape[0])
    if width != model.config.tuned_channels:
        raise ValueError(f"the Whisper stem has {width} channels, the model's tuned branch {model.config.tuned_channels}")
    layers = getattr(model.config, "tuned_layers", 0)  # an experiment option (detector.training.experimental_model)
    stem = trunk_state_dict(variables, layers)  # the conv stem (and layers), as the frozen trunk loads them
    for conv, module in (("conv1", model.tuned_conv1), ("conv2", model.tuned_conv2)):
        module.load_state_dict({k: stem[f"{conv}.{k}"] for k in ("weight", "bias")})
    if layers:  # tried after v10: Whisper's first transformer layer(s) and their positional table too
        with torch.no_grad():
            model.tuned_positions.copy_(stem["positions"])
        for i, block in enumerate(model.tuned_blocks):
            prefix = f"layers.{i}."
            block.load_state_dict({k[len(prefix):]: v for k, v in stem.items() if k.startswith(prefix)})


def tuned_features(model: FaikWhisperDetectorForAudioClassification, mels: tuple[torch.Tensor, torch.Tensor],
                   batch: int = 64) -> np.ndarray:
    """The tuned stem's pooled statistics (n_chunks, ``tuned_dim``) of ``chunk_mels`` output, float64."""
    mel, valid = mels
    out = []
    with torch.inference_mode():
        for start in range(0, len(mel), batch):
            frames = valid[start:start + batch]
            out.append(model.tuned_features_from_mel(mel[start:start + batch, :, :2 * int(frames.max())].float(), frames))
    return torch.cat(out).double().numpy()


def fit_start_probe(model: FaikWhisperDetectorForAudioClassification, copies: Sequence[tuple[torch.Tensor, torch.Tensor]],
                    labels: np.ndarray, C: float) -> None:
    """The tuned branch's starting probe, as branch 1's: standardisation and an L2 logistic regression
    (inverse strength ``C``, lbfgs, deterministic) on the tuned stem's pooled statistics of the chunks
    in ``copies`` (each copy all chunks, in the order of ``labels``: 1 = real)."""
    X = np.concatenate([tuned_features(model, c) for c in copies])
    load_probe(fit_probe(X, np.tile(np.asarray(labels), len(copies)), C),
               model.tuned_mean, model.tuned_std, model.tuned_probe)


def tune_stem(model: FaikWhisperDetectorForAudioClassification, copies: Sequence[tuple[torch.Tensor, torch.Tensor]],
              labels: np.ndarray, epochs: int, lr: float, seed: int,
              log: Callable[[str], None] = print, weights: np.ndarray | None = None,
              block_lr: float | None = None, dro: tuple[Sequence[str], float] | None = None,
              sam: float = 0.0, mixup: float = 0.0, specaugment: tuple[int, int, int] = (0, 0, 0)) -> list[float]:
    """Fine-tune ``model``'s tuned branch in place; returns the mean training loss per epoch.

    ``specaugment``: (widest frequency mask in mel bands, widest time mask in log-mel frames, masks of each
    kind per chunk) — SpecAugment (Park et al. 2019; tried after v12, (0, 0, 0) = off): each chunk's log-mel
    gets that many bands and stretches of frames set to its own mean, so that no single band or moment (a
    vocoder's line, a pause's noise floor) can carry the decision. Draws from their own generator: off, the
    run is exactly the one without it.

    ``mixup``: alpha of mixup (Zhang et al. 2018; tried after v11, 0 = off): each batch is blended with a
    shuffled copy of itself, log-mels and labels alike, at a weight drawn from Beta(alpha, alpha) — a
    smoother boundary between the classes, reported to improve calibration (Thulasidasan et al. 2019)
    and tried for the unseen generators. Not with ``dro``. Off, the draws are exactly those without it.

    ``sam``: radius rho of sharpness-aware minimisation (Foret et al. 2021; tried after v11, 0 = off): each
    step takes its gradient at the worst nearby weights (``rho * g / |g|`` uphill), seeking a flat minimum —
    reported to carry anti-spoofing models to unseen attacks (Shim et al., Interspeech 2023). Twice the cost.

    ``dro``: ``(group of each chunk, eta)`` for group DRO (Sagawa et al. 2020; tried after v11): each
    group (generator family or real source) carries a weight q, raised by ``exp(eta * its loss)`` at every
    batch it appears in, and the loss is the q-weighted mean of the groups' losses in the batch — the
    stem is pushed towards the families it does worst on instead of the easy, large ones.

    ``block_lr``: learning rate of the transformer layers after the stem, if the branch has them
    (tried after v10; default ``lr``): they learn the train families fast, so they move more gently than the stem.

    ``copies``: per channel copy, ``chunk_mels`` of the same chunks in the same order; ``labels``:
    per chunk, 1 = real, 0 = AI-generated (the model's logit is that of "real"). ``weights`` (per
    chunk, optional): each epoch then draws its ``len(labels)`` chunks with replacement in proportion
    to them (e.g. :func:`group_weights`) instead of visiting every chunk once."""
    n = len(labels)
    if not copies or any(len(m) != n or len(v) != n for m, v in copies):
        raise ValueError(f"every copy needs the same {n} chunks as the labels")
    if mixup < 0 or (mixup > 0 and dro is not None):
        raise ValueError(f"mixup {mixup}: give alpha >= 0, and not together with group DRO")
    if weights is not None and (len(weights) != n or not np.all(np.asarray(weights) >= 0) or not np.sum(weights) > 0):
        raise ValueError(f"weights need one non-negative number per chunk ({n}), not all zero")
    margin = model.tuned_margin() if hasattr(model, "tuned_margin") else 0.0  # tried after v12 (one-class softmax)
    if margin and mixup > 0:
        raise ValueError("the one-class margins (tuned_oc) work without mixup")
    if min(specaugment) < 0:
        raise ValueError(f"specaugment {specaugment}: widths and count >= 0")
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    mask_rng = np.random.default_rng(seed + 7919)
    y = torch.as_tensor(labels, dtype=torch.float32)
    stem = [*model.tuned_conv1.parameters(), *model.tuned_conv2.parameters()]
    groups = [{"params": stem, "lr": lr, "weight_decay": 0.0},
              {"params": list(model.tuned_probe.parameters()), "lr": 10 * lr, "weight_decay": 1e-2}]
    if getattr(model, "tuned_blocks", None) is not None:
        groups.append({"params": list(model.tuned_blocks.parameters()), "lr": lr if block_lr is None else block_lr,
                       "weight_decay": 0.0})
    opt = torch.optim.AdamW(groups)
    losses = []
    if dro is not None:
        if len(dro[0]) != n or dro[1] <= 0:
            raise ValueError(f"dro needs one group per chunk ({n}) and eta > 0")
        number = {g: i for i, g in enumerate(sorted(set(dro[0])))}
        gid = torch.as_tensor([number[g] for g in dro[0]])
        q = torch.full((len(number),), 1.0 / len(number), dtype=torch.float64)
    model.train()
    try:
        for epoch in range(epochs):
            t0 = time.time()
            order = (torch.randperm(n, generator=gen) if weights is None else
                     torch.multinomial(torch.as_tensor(weights, dtype=torch.float64), n, replacement=True, generator=gen))
            which = rng.integers(0, len(copies), n)
            total = 0.0
            for start in range(0, n, BATCH):
                idx = order[start:start + BATCH]
                frames = torch.stack([copies[which[i]][1][i] for i in idx.tolist()])
                width = 2 * int(frames.max())  # mel frames needed for the longest chunk's stem frames
                mel = torch.stack([copies[which[i]][0][i, :, :width] for i in idx.tolist()]).float()
                if specaugment[2] and max(specaugment[:2]):
                    mel = spec_augment(mel, 2 * frames, specaugment, mask_rng)
                w = None
                target = y[idx]
                if mixup > 0:
                    lam = float(rng.beta(mixup, mixup))
                    partner = torch.randperm(len(idx), generator=gen)
                    mel = lam * mel + (1 - lam) * mel[partner]
                    frames = torch.maximum(frames, frames[partner])
                    target = lam * target + (1 - lam) * target[partner]
                shift = margin * (2.0 * target - 1.0)  # 0 unless tuned_oc: the one-class softmax's margins
                if dro is None:
                    loss = F.binary_cross_entropy_with_logits(model.tuned_logit_from_mel(mel, frames) - shift, target)
                else:
                    per = F.binary_cross_entropy_with_logits(model.tuned_logit_from_mel(mel, frames) - shift, y[idx],
                                                             reduction="none")
                    g = gid[idx]
                    present, inv, count = torch.unique(g, return_inverse=True, return_counts=True)
                    group_loss = torch.zeros(len(present)).index_add(0, inv, per.detach()) / count
                    with torch.no_grad():
                        q[present] *= torch.exp(dro[1] * group_loss.double())
                        q /= q.sum()
                    w = (q[present] / q[present].sum()).float()[inv] / count[inv]
                    loss = (w * per).sum()
                opt.zero_grad()
                loss.backward()
                if sam > 0:
                    params = [p for grp in groups for p in grp["params"] if p.grad is not None]
                    with torch.no_grad():
                        norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])) + 1e-12
                        steps = [sam * p.grad / norm for p in params]
                        for p, e in zip(params, steps):
                            p.add_(e)
                    opt.zero_grad()
                    out = model.tuned_logit_from_mel(mel, frames) - shift
                    if w is None:
                        again = F.binary_cross_entropy_with_logits(out, target)
                    else:
                        again = (w * F.binary_cross_entropy_with_logits(out, y[idx], reduction="none")).sum()
                    again.backward()  # the gradient at the worst nearby weights ...
                    with torch.no_grad():
                        for p, e in zip(params, steps):
                            p.sub_(e)  # ... applied to the weights themselves
                opt.step()
                total += float(loss.detach()) * len(idx)
            losses.append(total / n)
            log(f"tuned stem: epoch {epoch + 1}/{epochs}, loss {losses[-1]:.3f} ({time.time() - t0:.0f} s)")
    finally:
        model.eval()
    return losses


def spec_augment(mel: torch.Tensor, valid_mel: torch.Tensor, widths: tuple[int, int, int],
                 rng: np.random.Generator) -> torch.Tensor:
    """``mel`` (B, bands, M) with, per row, ``widths[2]`` frequency masks of 0..``widths[0]`` bands and as many
    time masks of 0..``widths[1]`` frames inside the row's ``valid_mel`` frames, each set to the row's mean
    over its valid frames (SpecAugment; see :func:`tune_stem`). A new tensor."""
    out = mel.clone()
    bands = mel.shape[1]
    for b in range(mel.shape[0]):
        n = max(1, min(int(valid_mel[b]), mel.shape[2]))
        fill = out[b, :, :n].mean()
        for _ in range(widths[2]):
            f = int(rng.integers(0, widths[0] + 1))
            f0 = int(rng.integers(0, bands - f + 1))
            out[b, f0:f0 + f, :n] = fill
            t = int(rng.integers(0, min(widths[1], n) + 1))
            t0 = int(rng.integers(0, n - t + 1))
            out[b, :, t0:t0 + t] = fill
    return out


def group_weights(labels: Sequence[int], groups: Sequence[str], power: float) -> np.ndarray:
    """Per-chunk sampling weights between "every chunk alike" (``power`` 0) and "each label half the
    mass, each group (generator family or real source) an equal share of its label's" (``power`` 1),
    mean 1. In between (e.g. 0.5), a group's share grows with the square root of its size.

    Why (tried after v10): train's groups range from 2 clips (chatterbox) to 190 (the game dubbing);
    with every chunk alike, a few big families and real sources dominate what the stem learns, and
    val's families are all unseen."""
    labels = np.asarray(labels)
    if len(labels) != len(groups) or power < 0:
        raise ValueError("one group per label, and power >= 0")
    per_group = Counter(groups)
    groups_per_label = Counter(lab for lab, g in set(zip(labels.tolist(), groups)))
    w = np.array([(1.0 / (per_group[g] * groups_per_label[lab])) ** power for lab, g in zip(labels.tolist(), groups)])
    return w * len(w) / w.sum()


def era_weights(labels: Sequence[int], groups: Sequence[str], modern: frozenset[str], factor: float) -> np.ndarray:
    """Per-chunk sampling weights: a fake chunk whose group is in ``modern`` weighs ``factor`` times another
    fake's, the fakes together keep their share (real chunks 1); mean 1.

    Why (tried after v12): a third of train's fakes come from 2016-2019 vocoders and TTS whose traces are
    loud (buzz, phase smear); a small stem learns "audible artefact = fake" from them first, and the
    modern generators of val's modern row, which leave no such artefact, then pass as real."""
    labels = np.asarray(labels)
    if len(labels) != len(groups) or factor <= 0:
        raise ValueError("one group per label, and factor > 0")
    fake = labels == 0
    w = np.ones(len(labels))
    w[fake & np.array([g in modern for g in groups])] = factor
    if fake.any():
        w[fake] *= fake.sum() / w[fake].sum()
    return w * len(w) / w.sum()


def page_weights(labels: Sequence[int], pages: Sequence[str], alone: float) -> np.ndarray:
    """Per-chunk sampling weights that give each demo page (``pages``: its source repository) as much real
    speech as fake: within a page holding both labels each label's chunks share a mass of 1; a page with
    one label only gets a mass of ``alone`` (0: left out); then each label half of all the mass; mean 1.

    Why (tried after v11): a page shows a ground-truth recording beside its synthetic copies, and a
    zero-shot TTS copies its prompt's voice and room. Val's E1-TTS fakes clone the LibriTTS prompts whose
    real recordings train holds; where one page's fakes outnumber its real clips (or come alone), the stem
    can learn the page's voices and recording set-up as "fake". Balanced per page, only what differs
    between a page's real and fake speech (the generator's trace) predicts the label."""
    labels = np.asarray(labels)
    if len(labels) != len(pages) or alone < 0:
        raise ValueError("one page per label, and alone >= 0")
    cells = Counter(zip(pages, labels.tolist()))
    both = {pg for pg, lab in cells if lab == 0 and (pg, 1) in cells}
    w = np.array([(1.0 if pg in both else alone) / cells[pg, lab] for pg, lab in zip(pages, labels.tolist())])
    for lab in (0, 1):
        mass = w[labels == lab].sum()
        if not mass > 0:
            raise ValueError(f"no page gives label {lab} any weight: raise alone above 0")
        w[labels == lab] /= mass
    return w * len(w) / w.sum()


def tuned_state(model: FaikWhisperDetectorForAudioClassification) -> list[dict[str, torch.Tensor]]:
    """A copy of the tuned branch's trainable weights (its two convolutions and its probe)."""
    return [{k: v.detach().clone() for k, v in m.state_dict().items()} for m in _tuned_modules(model)]


def load_tuned_state(model: FaikWhisperDetectorForAudioClassification, state: Sequence[dict[str, torch.Tensor]]) -> None:
    """Put ``state`` (from :func:`tuned_state`) back into the tuned branch."""
    for m, st in zip(_tuned_modules(model), state, strict=True):
        m.load_state_dict(st)


def tuned_weights(model: FaikWhisperDetectorForAudioClassification) -> dict[str, torch.Tensor]:
    """The tuned branch's trainable weights under their names in the model's own state dict
    (``tuned_conv1.weight``, ...): what a fold's soup changes in a saved model folder."""
    mine = {id(m) for m in _tuned_modules(model)}
    return {f"{name}.{k}": v.detach().clone().contiguous() for name, m in model.named_children() if id(m) in mine
            for k, v in m.state_dict().items()}


def _tuned_modules(model: FaikWhisperDetectorForAudioClassification) -> tuple[torch.nn.Module, ...]:
    blocks = () if getattr(model, "tuned_blocks", None) is None else (model.tuned_blocks,)
    return model.tuned_conv1, model.tuned_conv2, model.tuned_probe, *blocks


def tune_stem_soup(model: FaikWhisperDetectorForAudioClassification, copies: Sequence[tuple[torch.Tensor, torch.Tensor]],
                   labels: np.ndarray, epochs: int, lr: float, seed: int, runs: int = 1,
                   log: Callable[[str], None] = print, weights: np.ndarray | None = None,
                   block_lr: float | None = None, dro: tuple[Sequence[str], float] | None = None,
                   sam: float = 0.0, mixup: float = 0.0, specaugment: tuple[int, int, int] = (0, 0, 0)
                   ) -> list[list[float]]:
    """``runs`` fine-tunings of the tuned branch from its current weights (seeds ``seed``,
    ``seed + 1``, ...), then their weights averaged into the model; returns each run's losses.
    ``runs=1`` is exactly :func:`tune_stem` (``weights`` and ``block_lr`` as there)."""
    if runs < 1:
        raise ValueError(f"runs {runs}: at least 1")
    start = tuned_state(model)
    finals, losses = [], []
    for run in range(runs):
        load_tuned_state(model, start)
        if runs > 1:
            log(f"tuned stem: run {run + 1}/{runs} (seed {seed + run})")
        losses.append(tune_stem(model, copies, labels, epochs, lr, seed + run, log, weights, block_lr, dro, sam,
                                mixup, specaugment))
        finals.append(tuned_state(model))
    load_tuned_state(model, [{k: sum(f[i][k] for f in finals) / runs for k in start[i]} for i in range(len(start))])
    return losses


def crossfit_soup(model: FaikWhisperDetectorForAudioClassification, copies: Sequence[tuple[torch.Tensor, torch.Tensor]],
                  labels: np.ndarray, dev_copies: Sequence[tuple[torch.Tensor, torch.Tensor]], dev_labels: np.ndarray,
                  dev_fold: np.ndarray, on_fold: Callable[[int], None], epochs: int, lr: float, seed: int,
                  runs: int = 1, log: Callable[[str], None] = print) -> list[list[float]]:
    """A tuned stem that also learns from held-out (dev) chunks, and held-out scores for them anyway.

    For each fold ``k`` of ``dev_fold`` (per dev chunk, its fold number), a soup is fine-tuned from the
    branch's current weights on ``copies`` plus the dev chunks of the other folds, and ``on_fold(k)`` is
    called while the model holds it (the caller scores fold ``k``'s clips: nobody saw them). Then the
    final soup learns from all of them and stays in the model; returns its runs' losses. ``dev_copies``
    are the dev chunks' ``chunk_mels`` in the same channel copies, in the same order, as ``copies``."""
    if len(dev_copies) != len(copies) or len(dev_fold) != len(dev_labels):
        raise ValueError("dev needs the same channel copies as the train chunks, and a fold per dev chunk")
    start = tuned_state(model)
    for k in np.unique(dev_fold):
        keep = torch.from_numpy(np.flatnonzero(dev_fold != k))
        fold = [concat_mels(c, (d[0][keep], d[1][keep])) for c, d in zip(copies, dev_copies)]
        log(f"tuned stem, fold {k + 1}: also learns from {len(keep)} dev chunks of the other folds")
        load_tuned_state(model, start)
        tune_stem_soup(model, fold, np.concatenate([labels, dev_labels[keep.numpy()]]), epochs, lr, seed, runs, log)
        del fold
        on_fold(int(k))
    load_tuned_state(model, start)
    log(f"tuned stem, final: also learns from all {len(dev_labels)} dev chunks")
    return tune_stem_soup(model, [concat_mels(c, d) for c, d in zip(copies, dev_copies)],
                          np.concatenate([labels, dev_labels]), epochs, lr, seed, runs, log)

