"""The faik-whisper-detector with the options the recipe tried after v10 and did not ship.

The shipped class (:mod:`detector.faik_whisper_model`) holds only what the built-in model uses; a
recipe run that sets one of these options builds this subclass instead, saved with its own
``model_type`` (``faik-whisper-detector-experiment``, registered with the Auto classes when this
module is imported, so the recipe's harnesses load it; the app does not):

* ``tuned_loud_fraction`` < 1: the tuned stem pools only the loudest fraction of a chunk's frames (the
  speech, not the pauses whose noise floor tells studio TTS from recordings);
* ``tuned_layers`` > 0: the tuned stem followed by Whisper's first transformer layer(s), fine-tuned with
  it (``tuned_heads`` their attention heads), and ``tuned_frame_pool`` > 1: stem frames averaged in
  groups before those layers, dividing their cost;
* the pooled statistic ``dstd``: the frame-to-frame change of a layer's states (how smoothly the
  representation moves in time);
* ``tuned_oc`` = (alpha, m_real, m_fake): the tuned branch scores a chunk by the cosine between its
  standardised statistics and the probe's direction, trained with the one-class softmax's margins (Zhang et
  al., IEEE SPL 2021: real chunks pulled above cosine ``m_real``, fakes pushed below ``m_fake``; reported to
  carry to unseen spoofing attacks because only the real class is made compact); tried after v12;
* ``distil_speaker`` false: the distilled branch reads the stem and conv1 features only, so with
  ``speaker_weight`` 0 the model has no speaker encoder (its LSTM is ~45 % of analysis time; tried after v11:
  1.5x faster, about a point worse on val, v11's card).

What each gave is in the model cards (v10's "Tried after v10 shipped").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from transformers import AutoConfig, AutoModelForAudioClassification

from detector.faik_whisper_model import (
    FaikWhisperDetectorConfig,
    FaikWhisperDetectorForAudioClassification,
    _masked_mean_std,
)
from detector.whisper_frontend import MAX_POSITIONS, WhisperEncoderLayer, conv_stem, encode_layers

EXPERIMENT_MODEL_TYPE = "faik-whisper-detector-experiment"
#: each experiment option and its value in the shipped shape
EXPERIMENT_DEFAULTS: dict[str, Any] = {"tuned_loud_fraction": 1.0, "tuned_layers": 0, "tuned_heads": 0,
                                       "tuned_frame_pool": 1, "distil_speaker": True, "tuned_oc": ()}


class FaikWhisperExperimentConfig(FaikWhisperDetectorConfig):
    """The shipped config plus the tried-and-not-shipped options (module docstring)."""

    model_type = EXPERIMENT_MODEL_TYPE
    POOLED_STATS = ("mean", "std", "dstd")

    def __init__(self, tuned_loud_fraction: float = 1.0, tuned_layers: int = 0, tuned_heads: int = 0,
                 tuned_frame_pool: int = 1, distil_speaker: bool = True, tuned_oc: Any = (),
                 **kwargs: Any) -> None:
        self.distil_speaker = bool(distil_speaker)  # before the shipped checks, which read it
        super().__init__(**kwargs)
        self.tuned_loud_fraction = float(tuned_loud_fraction)
        self.tuned_layers = int(tuned_layers)
        self.tuned_heads = int(tuned_heads)
        self.tuned_frame_pool = int(tuned_frame_pool)
        self.tuned_oc = [float(v) for v in (tuned_oc or ())]
        if self.tuned_oc and (len(self.tuned_oc) != 3 or self.tuned_oc[0] <= 0
                              or not -1 <= self.tuned_oc[2] < self.tuned_oc[1] <= 1):
            raise ValueError(f"tuned_oc {self.tuned_oc}: (alpha > 0, m_real, m_fake) with -1 <= m_fake < m_real <= 1")
        if not 0 < self.tuned_loud_fraction <= 1:
            raise ValueError(f"tuned_loud_fraction {self.tuned_loud_fraction}: in (0, 1]")
        if self.tuned_layers < 0 or self.tuned_frame_pool < 1:
            raise ValueError(f"tuned_layers {self.tuned_layers} (>= 0), tuned_frame_pool {self.tuned_frame_pool} (>= 1)")
        if self.tuned_layers and (self.tuned_heads < 1 or self.tuned_channels % self.tuned_heads):
            raise ValueError(f"tuned_heads {self.tuned_heads} must divide the tuned stem's width when tuned_layers > 0")
        if self.tuned_loud_fraction < 1 and (self.tuned_layers or self.tuned_frame_pool > 1):
            raise ValueError("tuned_loud_fraction < 1 works with the stem alone (tuned_layers 0, tuned_frame_pool 1)")


def loudest_frames(mel: torch.Tensor, valid: torch.Tensor, fraction: float) -> torch.Tensor:
    """(B, T) mask of the ``fraction`` of each row's ``valid`` stem frames with the highest mean log-mel
    (at least one frame; ties kept). Stem frame t is centred on log-mel frame 2t (conv2's stride 2)."""
    energy = mel.mean(1)[:, ::2][:, :valid.shape[1]]
    energy = energy.masked_fill(~valid, float("-inf"))
    k = torch.ceil(fraction * valid.sum(1)).long().clamp_min(1)
    threshold = energy.sort(dim=1, descending=True).values.gather(1, (k - 1)[:, None])
    return valid & (energy >= threshold)


class FaikWhisperExperimentForAudioClassification(FaikWhisperDetectorForAudioClassification):
    """The shipped model plus the experiment options' parts and computations."""

    config_class = FaikWhisperExperimentConfig

    def __init__(self, config: FaikWhisperExperimentConfig) -> None:
        super().__init__(config)
        c = config
        self.tuned_blocks = None
        if c.tuned_weight > 0 and c.tuned_layers:
            # Whisper's sinusoidal positions (fixed, as in Whisper) for the tuned layers
            self.register_buffer("tuned_positions", torch.zeros(MAX_POSITIONS, c.tuned_channels))
            self.tuned_blocks = nn.ModuleList([WhisperEncoderLayer(c.tuned_channels, c.tuned_heads)
                                               for _ in range(c.tuned_layers)])

    def tuned_features_from_mel(self, mel: torch.Tensor, valid_frames: torch.Tensor) -> torch.Tensor:
        """As the shipped model's, with frame pooling, the loudest frames only, and the tuned layers."""
        c = self.config
        h = conv_stem(self.tuned_conv1, self.tuned_conv2, mel)[1]
        if c.tuned_frame_pool > 1:  # averaged neighbours: the layers below then cost 1 / pool
            h = F.avg_pool1d(h.transpose(1, 2), c.tuned_frame_pool, c.tuned_frame_pool).transpose(1, 2)
            valid_frames = torch.div(valid_frames, c.tuned_frame_pool, rounding_mode="floor").clamp_min(1)
        keep = torch.arange(h.shape[1], device=h.device)[None, :] < valid_frames[:, None]
        if c.tuned_loud_fraction < 1:
            keep = keep & loudest_frames(mel, keep, c.tuned_loud_fraction)
        if self.tuned_blocks is not None:
            h = encode_layers(h, self.tuned_positions, self.tuned_blocks, keep)[-1]
        return torch.cat(_masked_mean_std(h, keep[:, :, None].to(h.dtype)), dim=1)

    def tuned_logit_from_mel(self, mel: torch.Tensor, valid_frames: torch.Tensor) -> torch.Tensor:
        """As the shipped model's, or with ``tuned_oc``: alpha * (cosine to the probe's direction - the
        margins' midpoint), so that 0 is the boundary between them (the fusion rescales it anyway)."""
        if not self.config.tuned_oc:
            return super().tuned_logit_from_mel(mel, valid_frames)
        alpha, m_real, m_fake = self.config.tuned_oc
        x = (self.tuned_features_from_mel(mel, valid_frames) - self.tuned_mean) / self.tuned_std
        cos = F.cosine_similarity(x, self.tuned_probe.weight[:1].to(x.dtype), dim=1)
        return alpha * (cos - 0.5 * (m_real + m_fake))

    def tuned_margin(self) -> float:
        """The one-class softmax's margin in logit units (0 without ``tuned_oc``): a real chunk's training
        logit is lowered and a fake's raised by it, which turns the binary cross-entropy into that loss."""
        if not self.config.tuned_oc:
            return 0.0
        alpha, m_real, m_fake = self.config.tuned_oc
        return 0.5 * alpha * (m_real - m_fake)

    def _layer_stats(self, h: torch.Tensor, m: torch.Tensor) -> list[torch.Tensor]:
        out = super()._layer_stats(h, m)
        if "dstd" in self.config.pooled_stats:
            # Frame-to-frame change: how smoothly the representation moves in time
            # (vocoders and diffusion decoders tend to be smoother or jitterier than speech).
            dm = m[:, 1:] * m[:, :-1]
            d = (h[:, 1:] - h[:, :-1]) * dm
            out.append(((d**2).sum(1) / dm.sum(1).clamp_min(1)).sqrt())
        return out


def recipe_config(**kwargs: Any) -> FaikWhisperDetectorConfig:
    """The shipped config class when no experiment option is set (the run saves a model the app loads),
    else :class:`FaikWhisperExperimentConfig`; ``architectures`` names the matching model class."""
    shipped = (all(kwargs.get(k, v) == v for k, v in EXPERIMENT_DEFAULTS.items())
               and set(kwargs.get("pooled_stats", ())) <= set(FaikWhisperDetectorConfig.POOLED_STATS))
    if shipped:
        kwargs = {k: v for k, v in kwargs.items() if k not in EXPERIMENT_DEFAULTS}
        return FaikWhisperDetectorConfig(**{**kwargs, "architectures": [FaikWhisperDetectorForAudioClassification.__name__]})
    return FaikWhisperExperimentConfig(**{**kwargs, "architectures": [FaikWhisperExperimentForAudioClassification.__name__]})


def recipe_model(config: FaikWhisperDetectorConfig) -> FaikWhisperDetectorForAudioClassification:
    """A fresh model of the class that matches ``config`` (:func:`recipe_config`)."""
    if isinstance(config, FaikWhisperExperimentConfig):
        return FaikWhisperExperimentForAudioClassification(config)
    return FaikWhisperDetectorForAudioClassification(config)


AutoConfig.register(EXPERIMENT_MODEL_TYPE, FaikWhisperExperimentConfig, exist_ok=True)
AutoModelForAudioClassification.register(FaikWhisperExperimentConfig, FaikWhisperExperimentForAudioClassification,
                                         exist_ok=True)


def load_recipe_model(folder: str | Path) -> FaikWhisperDetectorForAudioClassification:
    """A recipe run's model folder, shipped class or experiment class alike (the harnesses' loader)."""
    return AutoModelForAudioClassification.from_pretrained(folder)
