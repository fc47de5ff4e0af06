"""The v1 CNN with phase planes beside its log bands, and the CNN factory of the v1 recipe (tried after v11).

Why: no branch of v11 looks at the STFT's phase, where a neural vocoder may leave a trace that magnitude
features miss (group delay and instantaneous frequency are classic anti-spoofing inputs). The class is a
recipe experiment with its own ``model_type`` (``faik-detector-phase-experiment``, registered with the Auto
classes when this module is imported); the app does not load it. Measured in v11's fusion by
:mod:`detector.training.cnn_branch`; what it gave is in v11's card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForAudioClassification

from detector.faik_model import FaikDetectorConfig, FaikDetectorForAudioClassification

PHASE_MODEL_TYPE = "faik-detector-phase-experiment"


def phase_planes(spec: torch.Tensor, band_fb: torch.Tensor, hop_length: int, n_fft: int) -> torch.Tensor:
    """Complex STFT (B, F, T) -> (B, 4, bands, T): the real and imaginary parts of band-pooled unit phasors of
    the instantaneous-frequency deviation (the phase advance over one hop, less the bin's own) and of the
    group delay (the phase step from one bin to the next, relative to the window centre), each weighted by
    magnitude within the bands of ``band_fb`` (bands, F). For a band of one bin: a steady tone at the bin's
    centre gives the frequency phasor (1, 0); a click at a frame's centre gives that frame's delay phasor
    (1, 0), and a click d samples later turns it by -2 pi d / n_fft. In wide bands the leakage into
    neighbouring bins turns the phasors too: these are features to learn from, not estimates."""
    k = torch.arange(spec.shape[1], device=spec.device, dtype=torch.float32)
    rot = torch.polar(torch.ones_like(k), -2 * torch.pi * k * hop_length / n_fft)
    d_t = spec[:, :, 1:] * spec[:, :, :-1].conj() * rot[None, :, None]
    d_t = torch.cat([torch.zeros_like(spec[:, :, :1]), d_t], dim=2)  # the first frame has no predecessor
    # torch.stft centres each window in its FFT frame: the centre's linear phase is (-1)^k, undone here.
    d_f = -(spec[:, 1:, :] * spec[:, :-1, :].conj())
    d_f = torch.cat([torch.zeros_like(spec[:, :1]), d_f], dim=1)
    out = []
    for d in (d_t, d_f):
        den = torch.matmul(band_fb, d.abs()) + 1e-8
        out += [torch.matmul(band_fb, d.real) / den, torch.matmul(band_fb, d.imag) / den]
    return torch.stack(out, dim=1)


class PhaseCnnConfig(FaikDetectorConfig):
    """The v1 CNN's config plus ``phase_planes`` (0-4): how many of :func:`phase_planes`' planes it reads."""

    model_type = PHASE_MODEL_TYPE

    def __init__(self, phase_planes: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.phase_planes = int(phase_planes)
        if not 0 <= self.phase_planes <= 4:
            raise ValueError(f"phase_planes {self.phase_planes}: 0 to 4")


class PhaseCnnForAudioClassification(FaikDetectorForAudioClassification):
    """The v1 CNN reading the phase planes beside its log bands (pooled in its linear bands)."""

    config_class = PhaseCnnConfig

    @property
    def input_planes(self) -> int:  # type: ignore[override]
        return 2 + self.config.phase_planes

    def frame_features(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        spec, lengths = self.spectrum(input_values, attention_mask)
        feats, mask = self.log_band_features(spec, lengths)
        c = self.config
        ph = phase_planes(spec, self.lin_fb, c.hop_length, c.n_fft)[:, : c.phase_planes]
        return torch.cat([feats, ph * mask[:, None, None, :].to(ph.dtype)], dim=1), mask


AutoConfig.register(PHASE_MODEL_TYPE, PhaseCnnConfig, exist_ok=True)
AutoModelForAudioClassification.register(PhaseCnnConfig, PhaseCnnForAudioClassification, exist_ok=True)


def cnn_model(config_kwargs: dict[str, Any]) -> FaikDetectorForAudioClassification:
    """A fresh CNN for the v1 recipe: the shipped class, or the phase experiment when the config asks for it."""
    if config_kwargs.get("phase_planes"):
        return PhaseCnnForAudioClassification(PhaseCnnConfig(**config_kwargs))
    return FaikDetectorForAudioClassification(FaikDetectorConfig(**config_kwargs))


def load_cnn(folder: str | Path) -> FaikDetectorForAudioClassification:
    """A CNN folder of either class (safetensors only)."""
    return AutoModelForAudioClassification.from_pretrained(folder, use_safetensors=True)
