"""The number format the model computes in: float32 everywhere, bfloat16 where the CPU has it in hardware.

Why: on a CPU with Intel AMX (Xeon Sapphire Rapids and later) the model's convolutions, LSTM and
linear layers run about 1.5x faster under bfloat16 autocast, and its answers barely move: on the 901
val recordings, clean, after MP3 and in the phone band, P(AI) changed by 0.0013 (median), 0.015 at most,
2 to 8 verdicts of 901 moved to a neighbouring band, every EER moved by 0.2 points or less and the
modern row not at all (model card, "Speed and size"). Without AMX bfloat16 is slower, not faster, measured
here by capping oneDNN's instruction set: with AVX512-BF16 only (as on AMD Zen 4) 0.75 s against
0.60 s for 47 chunks, with AVX2 only (most laptops) 8.8 s against 0.9 s. So ``auto`` picks bfloat16
only with AMX and only for the built-in model (the one measured in both formats), like faster-whisper's
``compute_type="default"`` picks by hardware; the format used is
recorded in every result's provenance, and ``float32`` reproduces a result bit for bit across machines
(up to the order of floating-point sums).
"""

from __future__ import annotations

import contextlib
from typing import Any

from detector.errors import SettingsError

#: What a user may ask for.
PRECISIONS = ("auto", "float32", "bfloat16")


def has_amx() -> bool:
    """True when this CPU has Intel AMX tiles (torch's own check; False if torch cannot tell)."""
    import torch

    try:
        return bool(torch.cpu._is_amx_tile_supported())  # private, but the only check torch offers
    except Exception:  # an older or newer torch without it: never guess bfloat16
        return False


def resolve_precision(requested: str | None, bfloat16_measured: bool = True) -> str:
    """``"float32"`` or ``"bfloat16"`` for a requested ``auto`` / ``float32`` / ``bfloat16`` (``None`` = auto).

    ``auto`` gives bfloat16 only on a CPU with AMX and only for a model whose scores were measured in both
    formats (``bfloat16_measured``: the built-in model; a model folder or hub id someone brings was not, so
    it stays float32 unless they ask). Raises :class:`SettingsError` for anything else."""
    choice = "auto" if requested is None else str(requested).strip().lower()
    if choice not in PRECISIONS:
        raise SettingsError(f"precision must be one of {', '.join(PRECISIONS)} (got {requested!r})")
    if choice == "auto":
        return "bfloat16" if bfloat16_measured and has_amx() else "float32"
    return choice


def compute_context(precision: str) -> Any:
    """A context manager the model call runs in: bfloat16 autocast on the CPU, or nothing for float32.
    Autocast keeps the STFTs, level and statistics in float32 and casts only the layers it lists
    (convolutions, LSTM, linear, matrix products)."""
    if precision == "float32":
        return contextlib.nullcontext()
    if precision == "bfloat16":
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)
    raise SettingsError(f"unknown compute precision {precision!r}")
