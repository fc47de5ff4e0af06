"""Colours and small visual constants shared by the widgets.

Okabe-Ito colour-blind-safe palette: vermillion for AI-generated, blue for
real; every use of colour is paired with text or an icon, never colour alone.
"""

from __future__ import annotations

AI_COLOR = "#D55E00"        # vermillion
REAL_COLOR = "#0072B2"      # blue
INCONCLUSIVE_COLOR = "#8A6D00"  # dark amber, readable on light backgrounds
NEUTRAL_COLOR = "#555555"
OK_COLOR = "#009E73"        # bluish green (model ready)
FAIL_COLOR = "#CC3311"
BUSY_COLOR = "#E69F00"      # orange (model loading)

LIMITATION_STATEMENT = (
    "fAIk gives evidence, not proof. The model estimates, chunk by chunk, whether speech sounds "
    "AI-generated; it can be wrong, especially on voices, languages, codecs and generators it was "
    "not trained on, on phone or heavily compressed audio, music, noise and very short clips. "
    "A 'real' verdict does not show that a recording is authentic, and an 'AI-generated' verdict "
    "does not show who made it. Use it together with source checks and expert review."
)


def rgba(hex_color: str, alpha: float) -> tuple[int, int, int, int]:
    """``#RRGGBB`` + alpha in [0, 1] → an (r, g, b, a) tuple of 0–255 ints for pyqtgraph."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return r, g, b, int(round(255 * max(0.0, min(1.0, alpha))))


def confidence_alpha(confidence: float) -> float:
    """Opacity for a chunk: 0.5 → faint, 1.0 → solid; never invisible."""
    c = max(0.5, min(1.0, float(confidence)))
    return 0.25 + 0.75 * (c - 0.5) / 0.5


def format_mmss(seconds: float, *, precise: bool = False) -> str:
    """``75.3`` → ``01:15`` (``01:15.3`` when precise); hours appear past 60 minutes."""
    sign = "-" if seconds < 0 else ""
    s = abs(float(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    sec_txt = f"{sec:04.1f}" if precise else f"{int(sec):02d}"
    if h >= 1:
        return f"{sign}{int(h)}:{int(m):02d}:{sec_txt}"
    return f"{sign}{int(m):02d}:{sec_txt}"
