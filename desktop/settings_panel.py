"""Chunk settings (duration, overlap): the fields, their limits, and the offer to re-analyse.

The limits (1–30 s, 0–90 %) are written beside the fields. A value outside
them stays as typed, in red, with a message saying what is allowed: it is
never rounded or replaced behind the user's back, and while it is there
:meth:`SettingsPanel.chunk_settings` returns None, so no analysis starts with
a value the user did not choose. The panel keeps nothing itself: it starts from the settings it is given and
announces each change with ``settings_changed``, which the window stores
with :mod:`desktop.settings_store`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from desktop import style
from detector.chunking import MAX_CHUNK_DURATION_S, MAX_OVERLAP, MIN_CHUNK_DURATION_S, MIN_OVERLAP, ChunkSettings


def _limits(lo: float, hi: float, unit: str) -> str:
    return f"{lo:g}–{hi:g} {unit}"


DURATION_LIMITS = _limits(MIN_CHUNK_DURATION_S, MAX_CHUNK_DURATION_S, "s")
OVERLAP_LIMITS = _limits(MIN_OVERLAP * 100, MAX_OVERLAP * 100, "%")


class _FreeDoubleSpinBox(QDoubleSpinBox):
    """Takes any number typed (the panel judges it against the limits); the arrows stop at the limits."""

    def __init__(self, lo: float, hi: float) -> None:
        super().__init__()
        self.limits = (lo, hi)
        self.setRange(0.0, 9999.9)   # wide: "40" stays 40 (refused with a message), never becomes 4
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt API)
        lo, hi = self.limits
        self.setValue(min(hi, max(lo, self.value() + steps * self.singleStep())))


class _FreeSpinBox(QSpinBox):
    def __init__(self, lo: int, hi: int) -> None:
        super().__init__()
        self.limits = (lo, hi)
        self.setRange(0, 999)        # "95" stays 95 (refused with a message), never becomes 9

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt API)
        lo, hi = self.limits
        self.setValue(min(hi, max(lo, self.value() + steps * self.singleStep())))


class SettingsPanel(QGroupBox):
    """Chunk duration 1–30 s and overlap 0–90 %; refuses other values visibly; offers re-analysis."""

    settings_changed = Signal(object)      # ChunkSettings, only valid ones
    validity_changed = Signal(bool)        # False while a field holds a value outside its limits
    reanalyse_requested = Signal()

    def __init__(self, initial: ChunkSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Chunk settings", parent)
        initial = initial or ChunkSettings()
        self.duration = _FreeDoubleSpinBox(MIN_CHUNK_DURATION_S, MAX_CHUNK_DURATION_S)
        self.duration.setDecimals(1)
        self.duration.setSingleStep(0.5)
        self.duration.setSuffix(" s")
        self.duration.setValue(initial.chunk_duration)
        self.duration.setToolTip(f"Length of each piece of audio the model judges: {DURATION_LIMITS} (default 5 s).")
        self.overlap = _FreeSpinBox(int(MIN_OVERLAP * 100), int(MAX_OVERLAP * 100))
        self.overlap.setSingleStep(5)
        self.overlap.setSuffix(" %")
        self.overlap.setValue(int(round(initial.overlap * 100)))
        self.overlap.setToolTip(f"How much consecutive chunks overlap: {OVERLAP_LIMITS} (default 50 %).")
        self.duration_limits = QLabel(DURATION_LIMITS)
        self.overlap_limits = QLabel(OVERLAP_LIMITS)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setObjectName("settingsProblem")
        self.problem.setVisible(False)
        self.reanalyse = QPushButton("Re-analyse with these settings")
        self.reanalyse.setVisible(False)
        self.reanalyse.clicked.connect(self.reanalyse_requested)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setVisible(False)
        form = QFormLayout()
        form.addRow("Chunk duration", self._with_limits(self.duration, self.duration_limits))
        form.addRow("Overlap", self._with_limits(self.overlap, self.overlap_limits))
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.problem)
        lay.addWidget(self.hint)
        lay.addWidget(self.reanalyse)
        self._shown_settings: ChunkSettings | None = None
        self._valid = True
        self.apply_palette(QApplication.palette())
        self.duration.valueChanged.connect(self._on_changed)
        self.overlap.valueChanged.connect(self._on_changed)

    def apply_palette(self, palette: QPalette) -> None:
        """Message and hint colours from the palette, readable on light and dark themes."""
        window = palette.window().color().name()
        self.problem_color = style.readable(style.FAIL_COLOR, window)
        self.problem.setStyleSheet(f"color: {self.problem_color};")
        self.hint.setStyleSheet(f"color: {style.secondary_text(palette)};")
        quiet = style.secondary_text(palette)
        self.duration_limits.setStyleSheet(f"color: {quiet};")
        self.overlap_limits.setStyleSheet(f"color: {quiet};")

    @staticmethod
    def _with_limits(field: QWidget, limits: QLabel) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(field, 1)
        row.addWidget(limits)
        return box

    def problems(self) -> list[str]:
        """What is wrong with the values on screen, in words (empty when both are within limits)."""
        out = []
        d = float(self.duration.value())
        if not MIN_CHUNK_DURATION_S <= d <= MAX_CHUNK_DURATION_S:
            out.append(f"Chunk duration {d:g} s is outside {DURATION_LIMITS}.")
        o = self.overlap.value()
        if not MIN_OVERLAP * 100 <= o <= MAX_OVERLAP * 100:
            out.append(f"Overlap {o} % is outside {OVERLAP_LIMITS}.")
        return out

    def is_valid(self) -> bool:
        return not self.problems()

    def chunk_settings(self) -> ChunkSettings | None:
        """The settings on screen, or None while one of them is outside its limits."""
        if not self.is_valid():
            return None
        return ChunkSettings(chunk_duration=float(self.duration.value()), overlap=self.overlap.value() / 100.0)

    def set_chunk_settings(self, settings: ChunkSettings) -> None:
        self.duration.setValue(settings.chunk_duration)
        self.overlap.setValue(int(round(settings.overlap * 100)))

    def set_result_settings(self, settings: ChunkSettings | None) -> None:
        """Tell the panel which settings produced the result on screen (None: no result)."""
        self._shown_settings = settings
        self._update_offer()

    def _on_changed(self) -> None:
        problems = self.problems()
        for field, bad in ((self.duration, any(p.startswith("Chunk") for p in problems)),
                           (self.overlap, any(p.startswith("Overlap") for p in problems))):
            field.setProperty("invalid", bad)
            field.setStyleSheet(f"QAbstractSpinBox {{ border: 2px solid {self.problem_color}; }}" if bad else "")
        self.problem.setText(" ".join(problems) + " Correct it to analyse; files wait until then." if problems
                             else "")
        self.problem.setVisible(bool(problems))
        self._update_offer()
        if self._valid != (not problems):
            self._valid = not problems
            self.validity_changed.emit(self._valid)
        if not problems:
            self.settings_changed.emit(self.chunk_settings())  # the window keeps it for the next session

    def _update_offer(self) -> None:
        current = self.chunk_settings()
        differs = self._shown_settings is not None and current is not None and self._shown_settings != current
        self.reanalyse.setVisible(differs)
        self.hint.setVisible(differs)
        if differs:
            s = self._shown_settings
            self.hint.setText(f"The result shown used {s.chunk_duration:g} s chunks, "
                              f"{s.overlap:.0%} overlap.")
