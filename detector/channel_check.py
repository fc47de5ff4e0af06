"""Recording-channel checks that change how far a verdict can be trusted.

Why: the model's error rates depend on the channel far more than on anything a user can see in
the verdict. On telephone-band audio (nothing above ~4 kHz) the built-in models called a third to a half of
real test recordings AI-generated (its ``validation.json``). A result on such a recording must say
so next to the verdict, with the measured figure when the model ships one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from detector.chunking import spread_windows
from detector.model_validation import channel_figures

NARROWBAND_CUTOFF_HZ = 4000.0
# Wideband speech has 0.1-5 % of its energy above 4 kHz (val: 25th percentile 0.18 %); audio that
# went through an 8 kHz telephone channel has ~0.001 % (rounding noise of the resampler).
NARROWBAND_FRACTION = 1e-4
_BLOCKS = 256  # one-second blocks spread over the recording: enough, and cheap for 3-hour files


def high_band_fraction(samples: np.ndarray, sample_rate: int, cutoff_hz: float = NARROWBAND_CUTOFF_HZ) -> float:
    """Share of the signal's energy above ``cutoff_hz`` (0..1), from up to 256 one-second blocks
    spread evenly over the recording; NaN for silence or an empty signal (no spectrum to judge)."""
    x = np.asarray(samples, dtype=np.float32)
    block = int(sample_rate)
    blocks = np.stack([x[a:b] for a, b in spread_windows(len(x), block, min(_BLOCKS, len(x) // block))])
    if blocks.size == 0:
        return float("nan")
    power = np.abs(np.fft.rfft(blocks, axis=1)) ** 2
    freqs = np.fft.rfftfreq(blocks.shape[1], 1.0 / sample_rate)
    total = float(power.sum())
    return float(power[:, freqs > cutoff_hz].sum() / total) if total > 0 else float("nan")


def narrowband_warning(samples: np.ndarray, sample_rate: int,
                       validation: Mapping[str, Any] | None = None) -> str | None:
    """A warning for telephone/narrow-band audio, quoting the model's measured false-alarm rate on
    such audio when ``validation`` (a model's ``validation.json``) has it; ``None`` otherwise."""
    if sample_rate <= 2 * NARROWBAND_CUTOFF_HZ:
        return None
    fraction = high_band_fraction(samples, sample_rate)
    if not fraction < NARROWBAND_FRACTION:  # wideband, or silence (NaN): nothing to say
        return None
    phone = channel_figures(validation, "phone-8k")
    if phone:
        tested = (f"in testing, this model called {phone['false_alarm_rate']:.0%} of real telephone-band "
                  f"recordings AI-generated")
    else:
        tested = "this model's error rate on such audio was not measured"
    return (f"almost no sound above {NARROWBAND_CUTOFF_HZ / 1000:g} kHz (telephone or other narrow-band "
            f"audio): {tested}; treat an AI-generated verdict with extra caution")
