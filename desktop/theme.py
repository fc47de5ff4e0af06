"""The window's colours from the desktop's palette, light or dark, with text kept readable.

:mod:`desktop.style` holds the brand colours and the contrast arithmetic
(WCAG 2.1); this module applies them to Qt: a delegate that keeps coloured
cell text readable on the view's background, the plot colours derived from
a palette, and a dark palette (Fusion) used to check and picture dark mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QStyledItemDelegate

from desktop import style


class ReadableDelegate(QStyledItemDelegate):
    """Cell text in its own colour (verdict, error) but never below AA contrast on the view's base."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 (Qt API)
        super().initStyleOption(option, index)
        fg = index.data(Qt.ItemDataRole.ForegroundRole)
        if fg is None:
            return
        color = fg.color() if isinstance(fg, QBrush) else QColor(fg)
        base = option.palette.color(QPalette.ColorRole.Base)
        option.palette.setColor(QPalette.ColorRole.Text, QColor(style.readable(color.name(), base.name())))


@dataclass(frozen=True)
class PlotColors:
    """Colours for the result plots, from a palette."""

    background: str
    text: str        # axis labels and ticks
    waveform: str
    curve: str       # the P(AI) line
    threshold: str   # the 0.5 line
    bar_outline: str

    @classmethod
    def from_palette(cls, palette: QPalette) -> "PlotColors":
        base = palette.base().color().name()
        text = style.readable(palette.text().color().name(), base)
        return cls(background=base, text=text, waveform=style.mix(text, base, 0.25),
                   curve=style.mix(text, base, 0.45), threshold=style.mix(text, base, 0.55), bar_outline=base)


def dark_palette() -> QPalette:
    """A dark palette like GNOME's Adwaita-dark (for the Fusion style): checks and screenshots."""
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#242424", QPalette.ColorRole.WindowText: "#FFFFFF",
        QPalette.ColorRole.Base: "#1E1E1E", QPalette.ColorRole.AlternateBase: "#2A2A2A",
        QPalette.ColorRole.Text: "#FFFFFF", QPalette.ColorRole.Button: "#303030",
        QPalette.ColorRole.ButtonText: "#FFFFFF", QPalette.ColorRole.ToolTipBase: "#303030",
        QPalette.ColorRole.ToolTipText: "#FFFFFF", QPalette.ColorRole.Highlight: "#3584E4",
        QPalette.ColorRole.HighlightedText: "#FFFFFF", QPalette.ColorRole.Link: "#78AEED",
        QPalette.ColorRole.PlaceholderText: "#9A9A9A", QPalette.ColorRole.Mid: "#3A3A3A",
        QPalette.ColorRole.Dark: "#151515", QPalette.ColorRole.Light: "#404040",
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#8A8A8A"))
    return p
