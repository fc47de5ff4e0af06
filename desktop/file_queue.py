"""The queue of files to analyse: one row per file with its state and verdict.

Folders are expanded to the supported audio/video files inside them; files
named explicitly are always queued (a broken or unsupported one then shows its
error in its row instead of disappearing silently).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from desktop import style
from detector.result import AnalysisResult, Verdict


class ItemState(str, Enum):
    QUEUED = "queued"
    RUNNING = "analysing"
    DONE = "done"
    ERROR = "error"
    CANCELLED = "cancelled"


_VERDICT_LABEL = {
    Verdict.AI_GENERATED: ("⚠ Likely AI-generated", style.AI_COLOR),
    Verdict.REAL: ("✔ Likely real", style.REAL_COLOR),
    Verdict.INCONCLUSIVE: ("? Inconclusive", style.INCONCLUSIVE_COLOR),
}


@dataclass(eq=False)
class QueueItem:
    """One file and what happened to it; ``pyramid``/``samples`` are kept for redrawing."""

    path: Path
    state: ItemState = ItemState.QUEUED
    message: str = ""
    result: AnalysisResult | None = None
    pyramid: Any = None          # waveform_view.EnvelopePyramid, kept so a done file redraws at once
    audio: Any = None            # detector.audio.DecodedAudio of the latest analysis (for playback/report)
    extra: dict = field(default_factory=dict)


def supported_extensions() -> frozenset[str]:
    from detector.audio import SUPPORTED_EXTENSIONS

    return frozenset(e.lower() for e in SUPPORTED_EXTENSIONS)


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given; folders → their supported files (recursively, sorted)."""
    exts = supported_extensions()
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in exts))
        else:
            out.append(p)
    return out


class FileQueue(QTreeWidget):
    """A flat list (QTreeWidget for columns); emits ``item_selected(QueueItem)``."""

    item_selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels(["File", "State", "Verdict"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # File name takes the room; state fits its text; the verdict/error column is fixed and
        # elided (full text in its tooltip and in the banner), so no sideways scrolling.
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        self.header().resizeSection(2, 190)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.items: list[QueueItem] = []
        self._rows: dict[int, QTreeWidgetItem] = {}
        self.currentItemChanged.connect(self._on_current)

    def add_paths(self, paths: Iterable[str | os.PathLike]) -> list[QueueItem]:
        """Queue files (folders expanded); a file already waiting is not queued twice."""
        waiting = {it.path.resolve() for it in self.items if it.state == ItemState.QUEUED}
        added = []
        for p in expand_paths(paths):
            if p.resolve() in waiting:
                continue
            item = QueueItem(path=p)
            self.items.append(item)
            row = QTreeWidgetItem([p.name, "", ""])
            row.setToolTip(0, str(p))
            self.addTopLevelItem(row)
            self._rows[id(item)] = row
            self.update_item(item)
            added.append(item)
        return added

    def next_queued(self) -> QueueItem | None:
        return next((it for it in self.items if it.state == ItemState.QUEUED), None)

    def set_state(self, item: QueueItem, state: ItemState, message: str = "") -> None:
        item.state = state
        item.message = message
        self.update_item(item)

    def update_item(self, item: QueueItem) -> None:
        row = self._rows[id(item)]
        state_text = {ItemState.QUEUED: "queued", ItemState.RUNNING: "analysing…", ItemState.DONE: "done",
                      ItemState.ERROR: "error", ItemState.CANCELLED: "cancelled"}[item.state]
        if item.state == ItemState.RUNNING and item.message:
            state_text = item.message
        row.setText(1, state_text)
        row.setForeground(1, QBrush(QColor(style.FAIL_COLOR if item.state == ItemState.ERROR else "#333333")))
        if item.state == ItemState.ERROR:
            row.setText(2, item.message)
            row.setToolTip(2, item.message)
            row.setForeground(2, QBrush(QColor(style.FAIL_COLOR)))
        elif item.result is not None and item.state == ItemState.DONE:
            label, color = _VERDICT_LABEL[item.result.verdict]
            row.setText(2, f"{label} ({item.result.overall_confidence:.0%})")
            row.setToolTip(2, item.result.verdict_reason)
            row.setForeground(2, QBrush(QColor(color)))
        else:
            row.setText(2, "")
            row.setToolTip(2, "")

    def select_item(self, item: QueueItem) -> None:
        self.setCurrentItem(self._rows[id(item)])

    def current_queue_item(self) -> QueueItem | None:
        row = self.currentItem()
        return next((it for it in self.items if self._rows[id(it)] is row), None) if row else None

    def row_texts(self, item: QueueItem) -> tuple[str, str, str]:
        row = self._rows[id(item)]
        return row.text(0), row.text(1), row.text(2)

    def _on_current(self, current: QTreeWidgetItem | None, _prev: QTreeWidgetItem | None) -> None:
        item = self.current_queue_item()
        if item is not None:
            self.item_selected.emit(item)
