"""Recording-channel checks that change how far a verdict can be trusted.

Why: the model's error rates depend on the channel far more than on anything a user can see in
the verdict. On telephone-band audio (nothing above ~4 kHz) the built-in models called a third to a half of
real test recordings AI-generated (its ``validation.json``); on Opus copies v10 called twice as many
real recordings AI-generated as on clean audio. A result on such a recording must say so next to the
verdict, with the measured figure when the model ships one.
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
_GROUP = 32  # blocks transformed together


def high_band_fraction(samples: np.ndarray, sample_rate: int, cutoff_hz: float = NARROWBAND_CUTOFF_HZ) -> float:
    """Share of the signal's energy above ``cutoff_hz`` (0..1), from up to 256 one-second blocks
    spread evenly over the recording; NaN for silence or an empty signal (no spectrum to judge)."""
    from detector.audio import copy_windows

    block = int(sample_rate)
    spans = spread_windows(len(samples), block, min(_BLOCKS, len(samples) // block))
    total = high = 0.0
    # A group of blocks at a time: the spectra of all 256 at once would be ~80 MB for a moment.
    for g in range(0, len(spans), _GROUP):
        blocks = np.stack(copy_windows(samples, spans[g:g + _GROUP]))
        if blocks.size == 0:
            return float("nan")
        power = np.abs(np.fft.rfft(blocks, axis=1)) ** 2
        freqs = np.fft.rfftfreq(blocks.shape[1], 1.0 / sample_rate)
        total += float(power.sum())
        high += float(power[:, freqs > cutoff_hz].sum())
    return high / total if total > 0 else float("nan")


# Telephone codecs a file can name in its header -> the evaluation channel that imitates it, and
# how the note names that audio (v10 called 38 % of real mu-law and 31 % of real AMR-NB copies
# AI-generated, against 30 % for the plain band: its card, "More channels").
_PHONE_CODECS: dict[str, tuple[str, str]] = {
    "pcm_mulaw": ("phone-8k-mulaw", "G.711 telephone"),
    "pcm_alaw": ("phone-8k-mulaw", "G.711 telephone"),  # A-law: mu-law's European twin, same 8-bit companding
    "amrnb": ("amr-12k", "AMR mobile-phone"),
    "amr_nb": ("amr-12k", "AMR mobile-phone"),
    "libopencore_amrnb": ("amr-12k", "AMR mobile-phone"),
}


def narrowband_warning(samples: np.ndarray, sample_rate: int,
                       validation: Mapping[str, Any] | None = None, codec: str = "",
                       fraction: float | None = None) -> str | None:
    """A warning for telephone/narrow-band audio, quoting the model's measured false-alarm rate on
    such audio when ``validation`` (a model's ``validation.json``) has it; ``None`` otherwise.
    Where the file's own ``codec`` is a telephone codec the model was measured on (G.711, AMR-NB),
    that channel's figure is quoted instead of the plain telephone band's. ``fraction``: the
    recording's :func:`high_band_fraction` where the caller has it already."""
    if sample_rate <= 2 * NARROWBAND_CUTOFF_HZ:
        return None
    if fraction is None:
        fraction = high_band_fraction(samples, sample_rate)
    if not fraction < NARROWBAND_FRACTION:  # wideband, or silence (NaN): nothing to say
        return None
    channel, kind = _PHONE_CODECS.get((codec or "").lower(), ("phone-8k", "telephone-band"))
    phone = channel_figures(validation, channel)
    if not phone and channel != "phone-8k":
        channel, kind = "phone-8k", "telephone-band"
        phone = channel_figures(validation, channel)
    if phone:
        tested = (f"in testing, this model called {phone['false_alarm_rate']:.0%} of real {kind} "
                  f"recordings AI-generated")
    else:
        tested = "this model's error rate on such audio was not measured"
    return (f"almost no sound above {NARROWBAND_CUTOFF_HZ / 1000:g} kHz (telephone or other narrow-band "
            f"audio): {tested}; treat an AI-generated verdict with extra caution")


# The file's own codec (from its header, ``AudioInfo.codec``) -> how the note names it, and the
# evaluation channels that imitate it (``faik evaluate --channel``).
LOSSY_CODECS: dict[str, tuple[str, tuple[str, ...]]] = {
    "opus": ("Opus", ("opus-24k",)),
    "mp3": ("MP3", ("mp3-32k", "mp3-64k")),
    "aac": ("AAC", ("aac-32k",)),
}
# Messenger and meeting apps send speech as Opus (after noise suppression, gain control, packet loss):
# an Opus recording may be such a call, so its note also quotes the simulated-call channels where measured
# (v10 called 85 % of real recorded calls AI-generated on the project's test set: model issue) — the worse
# of them: with a spectral gate ("voip") or with a neural noise suppressor ("call-neural"; v12: 66 %).
CALL_CHANNELS: dict[str, str] = {"voip": "a simulated messenger or meeting call",
                                 "call-neural": "a simulated call through a neural noise suppressor"}
# A codec gets a note when its measured false alarms are at least this much above clean audio's,
# in points and as a ratio: below that, the clean figure the report already quotes is close enough.
NOTABLE_POINTS = 0.05
NOTABLE_RATIO = 1.5


def lossy_codec_warning(codec: str, validation: Mapping[str, Any] | None) -> str | None:
    """A note for a recording stored with a lossy codec (``codec`` as ``AudioInfo.codec``: "opus",
    "mp3", "aac") on whose simulated copies the model called notably more real recordings
    AI-generated than on clean audio (its ``validation.json``) — for Opus, the codec of calls and voice
    messages, also when a simulated call did (:data:`CALL_CHANNELS`); ``None`` otherwise.

    Why (measured after v10 shipped): on val, v10 called 12 % of clean real recordings AI-generated,
    23.5 % of their Opus 24 kbit/s copies (WhatsApp and Telegram voice notes are Opus) and 19 % at MP3
    64 kbit/s. Only the codec is known from the file, not what happened before it was encoded, so
    the note quotes the measured figure (the highest where several bit rates were measured)."""
    name, channels = LOSSY_CODECS.get((codec or "").lower(), ("", ()))
    clean = channel_figures(validation, "clean")
    if not channels or not clean:
        return None
    measured = [f for f in (channel_figures(validation, ch) for ch in channels) if f]
    if not measured:
        return None
    worst = max(float(f["false_alarm_rate"]) for f in measured)
    base = float(clean["false_alarm_rate"])

    def notable(rate: float) -> bool:
        return rate >= base + NOTABLE_POINTS and rate >= NOTABLE_RATIO * base

    calls = [(float(f["false_alarm_rate"]), words) for ch, words in CALL_CHANNELS.items()
             if name == "Opus" and (f := channel_figures(validation, ch))]
    call = max(calls) if calls else None
    # an Opus file gets the note when either the codec or a call it may come from raises false alarms
    if not notable(worst) and not (call and notable(call[0])):
        return None
    rates = (f"up to {worst:.0%}" if len(measured) > 1 else f"{worst:.0%}")
    also = f", and {call[0]:.0%} of real speech passed through {call[1]}" if call else ""
    return (f"{name}-compressed audio: in testing, this model called {rates} of real {name}-compressed "
            f"recordings AI-generated{also} ({base:.0%} of uncompressed ones); treat an AI-generated verdict with "
            f"extra caution")


def recording_channel(samples: np.ndarray, sample_rate: int, codec: str = "",
                      fraction: float | None = None, suppressed: bool = False) -> str:
    """The evaluation channel (``faik evaluate --channel``) a recording looks like, for choosing the
    model's measured evidence map: "call-neural" when ``suppressed`` (the caller's
    :func:`detector.suppression_check.looks_suppressed`: the model's worst case comes first), else
    "phone-8k" for telephone-band audio (nothing above 4 kHz), else the first channel that imitates the
    file's lossy codec ("mp3-32k", "opus-24k", "aac-32k"), else "clean".
    ``fraction``: the recording's :func:`high_band_fraction` where the caller has it already."""
    if suppressed:
        return "call-neural"
    if sample_rate > 2 * NARROWBAND_CUTOFF_HZ:
        if fraction is None:
            fraction = high_band_fraction(samples, sample_rate)
        if fraction < NARROWBAND_FRACTION:
            return "phone-8k"
    channels = LOSSY_CODECS.get((codec or "").lower(), ("", ()))[1]
    return channels[0] if channels else "clean"
