"""Train faik-detector v1, the CNN branch of v2-v10: ``python -m detector.training train --data ../shared/data --out DIR``.

Recipe (every choice is measured on val in the model card):

1. decode every train clip once into a cache (``--cache``), with one MP3 / Opus / AAC /
   phone-band copy per clip at random settings (seeded), so codec augmentation costs nothing per step;
2. optionally add "vocoded real" fakes: real train clips resynthesised with WORLD / Griffin-Lim
   (``--vocoded``), cached the same way;
   and/or language-balanced extra material (``--extra klettres-espeak``: real letters/syllables in
   20 languages vs espeak-ng reading the same, ``detector.training.extra``), training only;
3. hold out *dev* (a fixed group of train families and real sources, ``detector.training.data``)
   for early stopping and temperature calibration; val is never touched by training;
4. batches balanced by label and, within a label, by family/source (so no corpus, language or
   generator dominates), random crop length 1-5 s per batch at a random offset (clip length and
   leading silence are not features), channel copy drawn per crop, then cheap on-the-fly EQ /
   noise / reverb for both classes alike;
5. AdamW + one-cycle schedule, the best dev epoch (EER, then loss) is kept; a temperature fitted
   on dev chunk logits is stored in the model (``logit_scale``) so P(AI) is calibrated;
6. the folder gets config.json, model.safetensors, preprocessor_config.json and training_log.json.

Scores everywhere are file-level: mean P(AI) over 5-s chunks with 50 % overlap (the product's
default chunking, ``detector.chunking``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from detector.channels import random_augment
from detector.chunking import ChunkSettings, plan_chunks
from detector.errors import FaikError, SettingsError
from detector.faik_model import FaikDetectorForAudioClassification, count_parameters
from detector.training.data import (
    CODEC_VARIANTS,
    SR,
    AudioStore,
    Clip,
    build_store,
    read_index,
    store_items,
)
from detector.training.metrics import ece, eer, false_alarm_rate
from detector.training.phase_cnn import cnn_model

DEFAULT_CACHE = Path(__file__).resolve().parents[2] / "work_data" / "cache"


# --------------------------------------------------------------------------------------------
# preprocessing shared by training and scoring (= Wav2Vec2FeatureExtractor(do_normalize=True))
def normalise(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance, exactly as the shipped feature extractor does it."""
    x = np.asarray(x, dtype=np.float32)
    return (x - x.mean()) / np.sqrt(x.var() + 1e-7)


def write_feature_extractor(folder: Path, normalize: bool = True) -> None:
    """A stock Wav2Vec2FeatureExtractor config: AutoFeatureExtractor loads it with no custom code.

    ``normalize=False`` for models that level their input themselves (faik-detector v2)."""
    from transformers import Wav2Vec2FeatureExtractor

    Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=SR, padding_value=0.0, do_normalize=normalize, return_attention_mask=True
    ).save_pretrained(folder)


def limit_clips(clips: Sequence[Clip], limit: int, seed: int) -> list[Clip]:
    """Smoke runs: ``limit`` clips per label from the train and dev parts, drawn with ``seed``."""
    r = random.Random(seed)
    pick: list[Clip] = []
    for part in ("train", "dev"):
        for lab in ("fake", "real"):
            pool = [c for c in clips if c.part == part and c.label == lab]
            pick += r.sample(pool, min(limit, len(pool)))
    return pick


def option_list(value: str) -> list[str]:
    """A comma-separated command-line list (``--extra``, ``--vocoded``); empty and "none" entries dropped."""
    return [m for m in value.split(",") if m and m != "none"]


def run_recipe(parser: argparse.ArgumentParser, recipe: Callable[..., dict], argv: Sequence[str] | None) -> int:
    """Command-line entry of a training recipe: exit 0, or 2 with a one-line error."""
    args = parser.parse_args(argv)
    try:
        recipe(args, log=lambda s: print(s, flush=True))
    except FaikError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


# --------------------------------------------------------------------------------------------
# scoring
def chunk_logits(model: FaikDetectorForAudioClassification, signals: Sequence[np.ndarray],
                 settings: ChunkSettings = ChunkSettings(), batch: int = 16) -> list[torch.Tensor]:
    """Per-clip tensors of chunk logits (n_chunks, 2) under the product's chunking as the recipe has always
    used it (the tail chunk added, never moved: ``shift_tail=False``, :mod:`detector.chunking`)."""
    model.eval()
    jobs: dict[int, list[tuple[int, int, np.ndarray]]] = defaultdict(list)  # length -> (clip, k, chunk)
    counts = []
    for ci, x in enumerate(signals):
        spans = plan_chunks(len(x), SR, settings, shift_tail=False)  # the recipe's rule (chunking docstring)
        counts.append(len(spans))
        for k, sp in enumerate(spans):
            jobs[sp.length].append((ci, k, normalise(x[sp.start:sp.end])))
    out = [torch.zeros(n, 2) for n in counts]
    with torch.inference_mode():
        for _length, items in jobs.items():
            for i in range(0, len(items), batch):
                part = items[i:i + batch]
                logits = model(torch.from_numpy(np.stack([p[2] for p in part]))).logits
                for (ci, k, _), row in zip(part, logits):
                    out[ci][k] = row
    return out


def file_scores(chunk_logit_list: Sequence[torch.Tensor], temperature: float = 1.0, bias: float = 0.0) -> np.ndarray:
    """File-level P(AI): mean over chunks of softmax(logits / T + [bias, 0])[:, 0]."""
    shift = torch.tensor([bias, 0.0])
    return np.array([float(torch.softmax(c / temperature + shift, -1)[:, 0].mean()) for c in chunk_logit_list])


def fit_calibration(chunk_logit_list: Sequence[torch.Tensor], labels: Sequence[int],
                    with_bias: bool = True) -> tuple[float, float]:
    """(temperature, bias on the AI logit) minimising the NLL of the file-level P(AI) on held-out clips.

    The NLL is class-balanced (each class weighs one half): otherwise the bias absorbs the held-out
    set's share of fakes (2/3 on dev) and the app would start every recording from "probably fake"
    -- that raised false alarms on real val speech to 74 % at 0.5. A grid search: two parameters,
    a few hundred clips; robust and deterministic.
    """
    y = np.asarray(labels)  # 1 = fake
    w = np.where(y == 1, 0.5 / max(int((y == 1).sum()), 1), 0.5 / max(int((y == 0).sum()), 1))
    # Chunk log-odds of AI, flattened, with clip boundaries for per-clip means.
    d = np.concatenate([(c[:, 0] - c[:, 1]).double().numpy() for c in chunk_logit_list])
    counts = np.array([len(c) for c in chunk_logit_list])
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    best = (1.0, 0.0, math.inf)
    temps = np.exp(np.linspace(math.log(0.25), math.log(8.0), 41))
    biases = np.linspace(-3.0, 3.0, 61) if with_bias else np.array([0.0])
    for t in temps:
        for b in biases:
            p = np.add.reduceat(1.0 / (1.0 + np.exp(-(d / t + b))), starts) / counts
            p = np.clip(p, 1e-6, 1 - 1e-6)
            nll = -float(np.sum(w * (y * np.log(p) + (1 - y) * np.log(1 - p))))
            if nll < best[2]:
                best = (float(t), float(b), nll)
    return best[0], best[1]


def fit_temperature(chunk_logit_list: Sequence[torch.Tensor], labels: Sequence[int]) -> float:
    """Temperature only (no bias): see :func:`fit_calibration`."""
    return fit_calibration(chunk_logit_list, labels, with_bias=False)[0]


def summarise(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """EER, ECE and false alarms at 0.5 (labels 1 = fake, scores = P(AI))."""
    return {"eer": eer(labels, scores), "ece": ece(labels, scores),
            "false_alarm": false_alarm_rate(labels, scores), "miss": float((scores[labels == 1] < 0.5).mean())}


# --------------------------------------------------------------------------------------------
# sampling
@dataclass
class Item:
    """A training example: where its audio is and how to weigh it."""

    store: str  # "train" | "vocoded"
    key: str
    y: int  # 0 = ai-generated, 1 = real
    group: str  # family / source (balancing unit)
    variants: tuple[str, ...]


class BalancedSampler:
    """Half fake, half real per batch; within a label, groups drawn with weight ~ sqrt(size)."""

    def __init__(self, items: Sequence[Item], rng: np.random.Generator) -> None:
        self.rng = rng
        self.by_label: dict[int, list[list[Item]]] = {}
        self.weights: dict[int, np.ndarray] = {}
        for y in (0, 1):
            groups: dict[str, list[Item]] = defaultdict(list)
            for it in items:
                if it.y == y:
                    groups[it.group].append(it)
            if not groups:
                raise SettingsError("training data needs both real and AI-generated clips")
            names = sorted(groups)
            self.by_label[y] = [groups[g] for g in names]
            w = np.sqrt([len(groups[g]) for g in names])
            self.weights[y] = w / w.sum()

    def draw(self, n: int) -> list[Item]:
        out = []
        for i in range(n):
            y = i % 2
            g = self.by_label[y][int(self.rng.choice(len(self.by_label[y]), p=self.weights[y]))]
            out.append(g[int(self.rng.integers(len(g)))])
        return out


VARIANT_PROBS = {"clean": 0.4, "mp3": 0.15, "opus": 0.15, "aac": 0.15, "phone": 0.15}


def make_batch(items: Sequence[Item], stores: dict[str, AudioStore], rng: np.random.Generator,
               min_s: float, max_s: float, augment: bool = True,
               variant_probs: dict[str, float] = VARIANT_PROBS) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random-length crops (one length per batch) -> (input_values, attention_mask, labels).

    A variant outside the store's own codec copies (``noise``, ``reverb``, ``voip``) is read from the
    store ``"<store>:<variant>"`` (:func:`add_acoustic_variants`)."""
    length = int(rng.uniform(min_s, max_s) * SR)
    xs, masks, ys = [], [], []
    for it in items:
        names = [v for v in it.variants if v in variant_probs]
        p = np.array([variant_probs[v] for v in names])
        v = names[int(rng.choice(len(names), p=p / p.sum()))] if augment else "clean"
        acoustic = stores.get(f"{it.store}:{v}")
        x = acoustic.get("clean", it.key) if acoustic is not None else stores[it.store].get(v, it.key)
        if len(x) > length:
            s = int(rng.integers(0, len(x) - length + 1))
            x = x[s:s + length]
        if augment:
            x, _ = random_augment(x, SR, rng, with_codecs=False)
        x = normalise(x)
        m = np.zeros(length, np.int64)
        m[: len(x)] = 1
        if len(x) < length:
            x = np.concatenate([x, np.zeros(length - len(x), np.float32)])
        xs.append(x)
        masks.append(m)
        ys.append(it.y)
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(masks)), torch.tensor(ys)


# --------------------------------------------------------------------------------------------
# data preparation
def ensure_stores(clips: Sequence[Clip], data: Path, cache: Path, vocoded: Sequence[str], seed: int,
                  log: Callable[[str], None]) -> dict[str, AudioStore]:
    """Build (or reuse) the train cache and one cache per vocoder; returns the stores by name."""
    train_clips = [c for c in clips if c.split == "train"]
    stores: dict[str, AudioStore] = {}
    # Codec copies depend on the seed, so the cache is keyed by it (a rerun with the same seed reuses it).
    tdir = cache / f"train-seed{seed}"
    if not (tdir / "meta.json").exists():
        log(f"building the train cache in {tdir} (decode + codec copies; a few minutes)")
        build_store(store_items(train_clips, data), tdir, seed=seed, log=log)
    stores["train"] = AudioStore(tdir)
    missing = [c.file for c in train_clips if c.file not in stores["train"]]
    if missing:
        raise SettingsError(f"cache {tdir} is stale ({len(missing)} clips missing): delete it and rerun")
    for method in vocoded:
        vdir = cache / f"vocoded-{method}-seed{seed}"
        if not (vdir / "meta.json").exists():
            reals = [c for c in train_clips if c.label == "real" and c.part == "train"]
            log(f"vocoding {len(reals)} real train clips with {method} into {vdir}")
            st = stores["train"]
            # Two worker processes of one thread each: a neural vocoder costs ~1 CPU-second per second.
            with ProcessPoolExecutor(max_workers=2, initializer=torch.set_num_threads, initargs=(1,)) as ex:
                copies = list(ex.map(_vocode_job, [(st.get("clean", c.file), method) for c in reals], chunksize=4))
            items = [(c.file, (lambda y=y: y)) for c, y in zip(reals, copies)]
            build_store(items, vdir, seed=seed, log=log)
        stores[f"vocoded-{method}"] = AudioStore(vdir)
    return stores


def _vocode_job(job: tuple[np.ndarray, str]) -> np.ndarray:
    from detector.training.vocode import resynthesise

    x, method = job
    return resynthesise(x, SR, method)


def ensure_extra_stores(extra: Sequence[str], cache: Path, seed: int, stores: dict[str, AudioStore],
                        log: Callable[[str], None]) -> dict[str, list[tuple[str, int, str]]]:
    """Build (or reuse) one cache per extra material set (``detector.training.extra``); returns
    {store name: [(key, y, group), ...]}."""
    from detector.training.extra import EXTRA_SETS

    out: dict[str, list[tuple[str, int, str]]] = {}
    for name in extra:
        if name not in EXTRA_SETS:
            raise SettingsError(f"unknown --extra {name!r}; known: {', '.join(EXTRA_SETS)}")
        try:
            gen = EXTRA_SETS[name](seed=seed)
        except FileNotFoundError as err:  # a Debian package the material comes from is missing
            raise SettingsError(f"--extra {name}: {err}") from err
        edir = cache / f"extra-{name}-seed{seed}"
        if not (edir / "meta.json").exists():
            log(f"generating extra material {name} ({len(gen)} items) into {edir}")
            build_store([(k, load) for k, _, _, load in gen], edir, seed=seed, log=log)
        st = AudioStore(edir)
        missing = [k for k, *_ in gen if k not in st]
        if missing:
            raise SettingsError(f"cache {edir} is stale ({len(missing)} items missing): delete it and rerun")
        stores[f"extra-{name}"] = st
        out[f"extra-{name}"] = [(k, y, g) for k, y, g, _ in gen]
    return out


def build_items(clips: Sequence[Clip], stores: dict[str, AudioStore], vocoded: Sequence[str],
                extra: dict[str, list[tuple[str, int, str]]] | None = None) -> list[Item]:
    """Training items: train-part clips plus the vocoded copies of train-part real clips, plus
    extra material (training only; dev and val never see it)."""
    variants = ("clean", *CODEC_VARIANTS)
    items = [Item("train", c.file, c.y, f"{c.label}:{c.family}", variants)
             for c in clips if c.part == "train"]
    for method in vocoded:
        st = stores[f"vocoded-{method}"]
        items += [Item(f"vocoded-{method}", c.file, 0, f"fake:vocoded-{method}:{c.family}", variants)
                  for c in clips if c.part == "train" and c.label == "real" and c.file in st]
    for store, entries in (extra or {}).items():
        items += [Item(store, k, y, g, variants) for k, y, g in entries]
    return items


def add_acoustic_variants(items: Sequence[Item], stores: dict[str, AudioStore], variants: Sequence[str], cache: Path,
                          seed: int, probability: float) -> tuple[list[Item], dict[str, float]]:
    """The train clips' acoustic copies built by the Whisper recipe (``acoustic-<variant>-seed<seed>`` in
    ``cache``) as more variants of the ``train`` store's items, each drawn with ``probability`` (relative to
    ``VARIANT_PROBS``); returns the items and the variant probabilities. Adds the stores to ``stores``."""
    probs = dict(VARIANT_PROBS)
    for v in variants:
        folder = cache / f"acoustic-{v}-seed{seed}"
        if not (folder / "meta.json").exists():
            raise SettingsError(f"no acoustic copy {folder}: run the Whisper recipe with --tuned-variants ...,{v} once")
        stores[f"train:{v}"] = AudioStore(folder)
        probs[v] = probability
    extra = tuple(variants)
    return [Item(i.store, i.key, i.y, i.group, i.variants + extra) if i.store == "train" else i for i in items], probs


# --------------------------------------------------------------------------------------------
def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(args: argparse.Namespace, log: Callable[[str], None] = print) -> dict:
    """Run the recipe; returns the training log (also written next to the model)."""
    torch.set_num_threads(args.threads)
    # --seed keys the cached channel copies; --init-seed (default: the same) starts the weights and the
    # batch order, so another start of the same recipe reuses the cache.
    init_seed = args.seed if args.init_seed is None else args.init_seed
    seed_everything(init_seed)
    data, out, cache = Path(args.data), Path(args.out), Path(args.cache)
    index = data / "index.csv"
    if not index.is_file():
        raise SettingsError(f"no index.csv in {data}: pass --data pointing at the shared data folder")
    clips = read_index(index)
    if args.limit:
        clips = limit_clips(clips, args.limit, args.seed)
    vocoded = option_list(args.vocoded)
    stores = ensure_stores(clips, data, cache, vocoded, args.seed, log)
    extra_names = option_list(args.extra)
    extra = ensure_extra_stores(extra_names, cache, args.seed, stores, log) if extra_names else None
    items = build_items(clips, stores, vocoded, extra)
    items, variant_probs = add_acoustic_variants(items, stores, option_list(args.acoustic), cache, args.seed,
                                                 args.acoustic_prob)
    dev = [c for c in clips if c.part == "dev"]
    dev_x = [stores["train"].get("clean", c.file) for c in dev]
    dev_y = np.array([1 - c.y for c in dev])  # metrics use 1 = fake
    val_eval = None
    if args.eval_val:
        vstore = AudioStore(Path(args.eval_val))
        val = [c for c in read_index(index) if c.split == "val"]
        val_eval = ([vstore.get("clean", c.file) for c in val], np.array([1 - c.y for c in val]))
    log(f"{len(items)} training items ({sum(i.y == 0 for i in items)} fake), {len(dev)} dev clips")

    cfg_kwargs = json.loads(args.model_config) if args.model_config else {}
    model = cnn_model(cfg_kwargs)
    log(f"model: {count_parameters(model)} parameters")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    total = args.epochs * args.steps
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total, pct_start=0.15)
    rng = np.random.default_rng(init_seed)
    sampler = BalancedSampler(items, rng)
    # An exponential moving average of the weights (and BN statistics) is what gets evaluated and
    # shipped: single-epoch weights swung by +-10 points of val EER from one epoch to the next.
    ema = None
    if args.ema > 0:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema), use_buffers=True)
    history: list[dict] = []
    best: tuple[float, float] = (math.inf, math.inf)
    best_state = None
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        losses = []
        for _ in range(args.steps):
            x, m, y = make_batch(sampler.draw(args.batch), stores, rng, args.min_crop, args.max_crop,
                                 augment=not args.no_augment, variant_probs=variant_probs)
            logits = model(input_values=x, attention_mask=m).logits
            loss = F.cross_entropy(logits, y, label_smoothing=args.label_smoothing)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            if ema is not None:
                ema.update_parameters(model)
            losses.append(loss.item())
        scored = ema.module if ema is not None else model
        dev_logits = chunk_logits(scored, dev_x)
        dev_scores = file_scores(dev_logits)
        p = np.clip(dev_scores, 1e-6, 1 - 1e-6)
        dev_nll = -float(np.mean(dev_y * np.log(p) + (1 - dev_y) * np.log(1 - p)))
        rec = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "dev_nll": dev_nll,
               **{f"dev_{k}": v for k, v in summarise(dev_y, dev_scores).items()},
               "elapsed_s": round(time.time() - t0, 1)}
        if val_eval is not None:
            rec.update({f"val_{k}": v for k, v in summarise(val_eval[1], file_scores(chunk_logits(scored, val_eval[0]))).items()})
        history.append(rec)
        log(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rec.items()}))
        key = (round(rec["dev_eer"], 4), dev_nll)
        if key < best:
            best = key
            best_state = {k: v.detach().clone() for k, v in scored.state_dict().items()}
    assert best_state is not None
    model.load_state_dict(best_state)
    best_epoch = min(history, key=lambda r: (round(r["dev_eer"], 4), r["dev_nll"]))["epoch"]
    dev_logits = chunk_logits(model, dev_x)
    temperature, bias = fit_calibration(dev_logits, dev_y, with_bias=not args.no_bias)
    model.logit_scale.fill_(temperature)
    model.logit_bias.zero_()
    model.logit_bias[0] = bias
    dev_cal = summarise(dev_y, file_scores(dev_logits, temperature, bias))
    log(f"best epoch {best_epoch}; temperature {temperature:.3f}, bias {bias:.2f}; dev after calibration {dev_cal}")
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.save_pretrained(out, safe_serialization=True)
    write_feature_extractor(out)
    train_log = {
        "command": "python -m detector.training " + " ".join(sys.argv[1:]) if args.record_argv else None,
        "args": {k: v for k, v in vars(args).items() if k != "record_argv"},
        "best_epoch": best_epoch, "temperature": temperature, "bias": bias, "dev_calibrated": dev_cal,
        "history": history, "train_items": len(items), "dev_clips": len(dev),
        "parameters": count_parameters(model), "wall_s": round(time.time() - t0, 1),
        "torch": torch.__version__,
    }
    (out / "training_log.json").write_text(json.dumps(train_log, indent=1))
    return train_log


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m detector.training train", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="shared data folder with index.csv and audio/")
    p.add_argument("--out", required=True, help="model folder to write (config, weights, preprocessor)")
    p.add_argument("--seed", type=int, default=0, help="seed of the cached channel copies (and, by default, of the rest)")
    p.add_argument("--init-seed", type=int, default=None,
                   help="seed of the initial weights and the batch order (default: --seed); another start of the "
                        "same recipe on the same cached copies")
    p.add_argument("--acoustic", default="none",
                   help="the Whisper recipe's acoustic copies as more variants: comma list of noise,reverb,voip or none")
    p.add_argument("--acoustic-prob", type=float, default=0.15,
                   help="weight of each acoustic variant beside clean 0.4 and each codec 0.15")
    p.add_argument("--cache", default=str(DEFAULT_CACHE), help="scratch folder for decoded audio")
    p.add_argument("--vocoded", default="none", help="vocoded-real fakes: comma list of world,gl,melgl,hifigan or none")
    p.add_argument("--extra", default="none",
                   help="extra training material: klettres-espeak (real letters/syllables in 20 languages from "
                        "the klettres-data package vs espeak-ng/flite reading the same) or none")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--steps", type=int, default=120, help="optimiser steps per epoch")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=1e-3)
    p.add_argument("--label-smoothing", type=float, default=0.05)
    p.add_argument("--min-crop", type=float, default=1.0)
    p.add_argument("--max-crop", type=float, default=4.0)
    p.add_argument("--no-augment", action="store_true", help="no channel augmentation (ablation)")
    p.add_argument("--ema", type=float, default=0.995, help="weight EMA decay per step (0: off)")
    p.add_argument("--no-bias", action="store_true", help="calibrate with a temperature only")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (1: on a shared 2-core machine more threads spin and slow down)")
    p.add_argument("--limit", type=int, default=0, help="smoke test: this many clips per label and part")
    p.add_argument("--model-config", default="", help="JSON overrides for FaikDetectorConfig")
    p.add_argument("--eval-val", default="", help="(experiments only) val cache folder: log val metrics per epoch")
    p.set_defaults(record_argv=True)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return run_recipe(build_parser(), train, argv)

