"""The queue of files to analyse: one row per file with its state and verdict.

Folders are expanded to the supported audio/video files inside them; files
named explicitly are always queued (a broken or unsupported one then shows its
error in its row instead of disappearing silently). A file already in the
queue, by path or by content (a copy under another name), is not added twice:
:attr:`FileQueue.duplicates` lists what the last :meth:`FileQueue.add_paths`
skipped. Rows can be removed (Delete key, context menu); names are elided in
the middle, so the start and the extension stay readable.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Iterable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from desktop import style
from desktop.theme import ReadableDelegate
from detector.result import AnalysisResult, Verdict
from detector.wording import describe


class ItemState(str, Enum):
    QUEUED = "queued"
    RUNNING = "analysing"
    DONE = "done"
    ERROR = "error"
    CANCELLED = "cancelled"


_VERDICT_LOOK = {
    Verdict.AI_GENERATED: ("⚠", style.AI_COLOR),
    Verdict.REAL: ("✔", style.REAL_COLOR),
    Verdict.INCONCLUSIVE: ("?", style.INCONCLUSIVE_COLOR),
    Verdict.CANNOT_JUDGE: ("⊘", style.CANNOT_JUDGE_COLOR),
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


def file_sha256(path: Path, block: int = 1 << 20) -> str | None:
    """The file's SHA-256 (None when it cannot be read: the analysis will say why)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(block):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


class _MiddleElide(ReadableDelegate):
    """File names elided in the middle: 'interview-2024-…-final.wav', not 'interview-2024-03-…'."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 (Qt API)
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class FileQueue(QTreeWidget):
    """A flat list (QTreeWidget for columns); emits ``item_selected(QueueItem)``.

    The context menu and the Delete key do not change the queue themselves: they ask, with
    ``remove_requested(list)``, ``rerun_requested(list)`` and ``clear_finished_requested()``,
    and the window decides (a running file is cancelled first, never dropped silently).
    """

    item_selected = Signal(object)
    remove_requested = Signal(object)      # list[QueueItem]
    rerun_requested = Signal(object)       # list[QueueItem]
    clear_finished_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels(["File", "State", "Verdict"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # File name takes the room; state fits its text; the verdict/error column is fixed and
        # elided (full text in its tooltip and in the banner), so no sideways scrolling.
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        self.header().resizeSection(2, 220)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setItemDelegate(ReadableDelegate(self))  # coloured text readable on light and dark themes
        self._name_delegate = _MiddleElide(self)
        self.setItemDelegateForColumn(0, self._name_delegate)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.duplicates: list[tuple[Path, QueueItem]] = []
        self.drop_highlighted = False
        self.items: list[QueueItem] = []
        self._rows: dict[int, QTreeWidgetItem] = {}
        self.currentItemChanged.connect(self._on_current)

    def add_paths(self, paths: Iterable[str | os.PathLike]) -> list[QueueItem]:
        """Queue files (folders expanded); a file already in the queue (same path or same content) is skipped.

        Skipped files are listed in :attr:`duplicates` as ``(path, the item already there)``.
        Content is compared only between files of the same size, so adding files stays quick.
        """
        self.duplicates = []
        added = []
        for p in expand_paths(paths):
            same = self.find_duplicate(p)
            if same is not None:
                self.duplicates.append((p, same))
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

    def find_duplicate(self, path: Path) -> QueueItem | None:
        """The item already queued for this file: the same path, or a file of the same size and SHA-256."""
        resolved = path.resolve()
        for it in self.items:
            if it.path.resolve() == resolved:
                return it
        size = _size(path)
        if size is None:
            return None
        digest = None
        for it in self.items:
            if it.extra.get("size", _size(it.path)) != size:
                continue
            it.extra["size"] = size
            if digest is None:
                digest = file_sha256(path)
                if digest is None:
                    return None
            if "sha256" not in it.extra:
                it.extra["sha256"] = file_sha256(it.path)
            if it.extra["sha256"] == digest:
                return it
        return None

    def remove_items(self, items: Iterable[QueueItem]) -> list[QueueItem]:
        """Take rows out of the queue (a running item is left in: cancel it first); the removed ones."""
        removed = []
        for it in list(items):
            if it.state == ItemState.RUNNING or id(it) not in self._rows:
                continue
            row = self._rows.pop(id(it))
            self.takeTopLevelItem(self.indexOfTopLevelItem(row))
            self.items.remove(it)
            removed.append(it)
        return removed

    def finished_items(self) -> list[QueueItem]:
        return [it for it in self.items if it.state in (ItemState.DONE, ItemState.ERROR, ItemState.CANCELLED)]

    def selected_queue_items(self) -> list[QueueItem]:
        rows = set(map(id, self.selectedItems()))
        return [it for it in self.items if id(self._rows[id(it)]) in rows]

    def set_drop_highlight(self, on: bool) -> None:
        """Show that files dragged over the window will be added (the queue stands in for the drop zone)."""
        self.drop_highlighted = on
        color = self.palette().highlight().color().name()
        self.setStyleSheet(f"QTreeWidget {{ border: 2px dashed {color}; }}" if on else "")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selected_queue_items():
            self.remove_requested.emit(self.selected_queue_items())
            return
        super().keyPressEvent(event)

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.build_context_menu()
        menu.exec(self.viewport().mapToGlobal(pos))

    def build_context_menu(self) -> QMenu:
        """Analyse again / Remove for the selected rows, Clear finished for the queue."""
        menu = QMenu(self)
        chosen = self.selected_queue_items()
        again = menu.addAction("Analyse again")
        again.setEnabled(any(it.state != ItemState.RUNNING for it in chosen))
        again.triggered.connect(lambda: self.rerun_requested.emit(chosen))
        remove = menu.addAction("Remove from queue\tDel")
        remove.setEnabled(any(it.state != ItemState.RUNNING for it in chosen))
        remove.triggered.connect(lambda: self.remove_requested.emit(chosen))
        menu.addSeparator()
        clear = menu.addAction("Clear finished files")
        clear.setEnabled(bool(self.finished_items()))
        clear.triggered.connect(self.clear_finished_requested)
        return menu

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
        row.setForeground(1, QBrush(QColor(style.FAIL_COLOR)) if item.state == ItemState.ERROR else QBrush())
        if item.state == ItemState.ERROR:
            row.setText(2, item.message)
            row.setToolTip(2, item.message)
            row.setForeground(2, QBrush(QColor(style.FAIL_COLOR)))
        elif item.result is not None and item.state == ItemState.DONE:
            icon, color = _VERDICT_LOOK[item.result.verdict]
            words = describe(item.result)  # the banner's and the report's words
            row.setText(2, f"{icon} {words.short}")
            row.setToolTip(2, f"{words.headline}\n{words.explanation}")
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
