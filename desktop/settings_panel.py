"""Chunk settings (duration, overlap): the fields, their limits, and the offer to re-analyse.

The values are validated by :class:`detector.chunking.ChunkSettings`. The
panel keeps nothing itself: it starts from the settings it is given and
announces each change with ``settings_changed``, which the window stores
with :mod:`desktop.settings_store`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from detector.chunking import MAX_CHUNK_DURATION_S, MAX_OVERLAP, MIN_CHUNK_DURATION_S, MIN_OVERLAP, ChunkSettings


class SettingsPanel(QGroupBox):
    """Chunk duration 1–30 s and overlap 0–90 %; offers re-analysis when they change."""

    settings_changed = Signal(object)      # ChunkSettings
    reanalyse_requested = Signal()

    def __init__(self, initial: ChunkSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Chunk settings", parent)
        initial = initial or ChunkSettings()
        self.duration = QDoubleSpinBox()
        self.duration.setRange(MIN_CHUNK_DURATION_S, MAX_CHUNK_DURATION_S)
        self.duration.setDecimals(1)
        self.duration.setSingleStep(0.5)
        self.duration.setSuffix(" s")
        self.duration.setValue(initial.chunk_duration)
        self.duration.setToolTip("Length of each piece of audio the model judges (default 5 s).")
        self.overlap = QSpinBox()
        self.overlap.setRange(int(MIN_OVERLAP * 100), int(MAX_OVERLAP * 100))
        self.overlap.setSingleStep(5)
        self.overlap.setSuffix(" %")
        self.overlap.setValue(int(round(initial.overlap * 100)))
        self.overlap.setToolTip("How much consecutive chunks overlap (default 50 %).")
        self.reanalyse = QPushButton("Re-analyse with these settings")
        self.reanalyse.setVisible(False)
        self.reanalyse.clicked.connect(self.reanalyse_requested)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #666;")
        self.hint.setVisible(False)
        form = QFormLayout()
        form.addRow("Chunk duration", self.duration)
        form.addRow("Overlap", self.overlap)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.hint)
        lay.addWidget(self.reanalyse)
        self._shown_settings: ChunkSettings | None = None
        self.duration.valueChanged.connect(self._on_changed)
        self.overlap.valueChanged.connect(self._on_changed)

    def chunk_settings(self) -> ChunkSettings:
        return ChunkSettings(chunk_duration=float(self.duration.value()), overlap=self.overlap.value() / 100.0)

    def set_chunk_settings(self, settings: ChunkSettings) -> None:
        self.duration.setValue(settings.chunk_duration)
        self.overlap.setValue(int(round(settings.overlap * 100)))

    def set_result_settings(self, settings: ChunkSettings | None) -> None:
        """Tell the panel which settings produced the result on screen (None: no result)."""
        self._shown_settings = settings
        self._update_offer()

    def _on_changed(self) -> None:
        current = self.chunk_settings()
        self._update_offer()
        self.settings_changed.emit(current)  # the window keeps it for the next session

    def _update_offer(self) -> None:
        differs = self._shown_settings is not None and self._shown_settings != self.chunk_settings()
        self.reanalyse.setVisible(differs)
        self.hint.setVisible(differs)
        if differs:
            s = self._shown_settings
            self.hint.setText(f"The result shown used {s.chunk_duration:g} s chunks, "
                              f"{s.overlap:.0%} overlap.")
