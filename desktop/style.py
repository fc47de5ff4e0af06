"""Colours and small visual constants shared by the widgets.

Okabe-Ito colour-blind-safe palette: vermillion for AI-generated, blue for
real; every use of colour is paired with text or an icon, never colour alone.
"""

from __future__ import annotations

AI_COLOR = "#D55E00"        # vermillion
REAL_COLOR = "#0072B2"      # blue
INCONCLUSIVE_COLOR = "#8A6D00"  # dark amber, readable on light backgrounds
UNSURE_COLOR = "#8C8C8C"    # grey: chunks near the threshold (detector.evidence.chunk_band)
CANNOT_JUDGE_COLOR = "#555555"  # no verdict either way
BAND_COLOR = {"ai-sounding": AI_COLOR, "unsure": UNSURE_COLOR, "real-sounding": REAL_COLOR}
BAND_LABEL = {"ai-sounding": "AI-sounding", "unsure": "unsure", "real-sounding": "real-sounding"}
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


# -- colours from the palette (light and dark desktop themes) ---------------------------------------
# Text colours are checked against the background they sit on (WCAG 2.1 contrast ratio, AA: 4.5:1
# for normal text); a brand colour that is too dark on a dark theme, or too light on a light one, is
# moved toward white or black until it reads, keeping its hue.
WCAG_AA_TEXT = 4.5


def _rgb(color) -> tuple[int, int, int]:
    if isinstance(color, str):
        h = color.lstrip("#")
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    return color.red(), color.green(), color.blue()  # a QColor


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, int(round(c)))):02X}" for c in rgb)


def relative_luminance(color) -> float:
    """WCAG 2.1 relative luminance of ``#RRGGBB`` (or a QColor), 0 (black) to 1 (white)."""
    def lin(c: int) -> float:
        s = c / 255.0
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(color)
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast_ratio(fg, bg) -> float:
    """WCAG 2.1 contrast ratio of two colours, 1 to 21."""
    a, b = relative_luminance(fg), relative_luminance(bg)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def mix(a, b, t: float) -> str:
    """``a`` moved a fraction ``t`` toward ``b``."""
    ra, rb = _rgb(a), _rgb(b)
    return _hex(tuple(x + (y - x) * t for x, y in zip(ra, rb)))


def readable(color, background, minimum: float = WCAG_AA_TEXT) -> str:
    """``color`` itself when it meets ``minimum`` contrast on ``background``, else the nearest tint
    (toward white on a dark background, toward black on a light one) that does."""
    color = color if isinstance(color, str) else _hex(_rgb(color))
    if contrast_ratio(color, background) >= minimum:
        return color.upper()
    target = "#FFFFFF" if relative_luminance(background) < 0.18 else "#000000"
    for step in range(1, 21):
        tinted = mix(color, target, step / 20)
        if contrast_ratio(tinted, background) >= minimum:
            return tinted
    return target


def is_dark(palette) -> bool:
    """True for a dark theme (the window background darker than mid grey)."""
    return relative_luminance(palette.window().color()) < 0.18


def secondary_text(palette, background=None) -> str:
    """A quieter text colour (captions, legends, notes) that still meets AA on ``background``
    (default: the palette's window colour)."""
    bg = background if background is not None else palette.window().color()
    return readable(mix(palette.windowText().color(), bg, 0.3), bg)
