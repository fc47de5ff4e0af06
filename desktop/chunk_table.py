"""Per-chunk table (times, verdict, probabilities), kept in sync with the plot selection."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (QAbstractTableModel, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt,
                            QTimer, Signal)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop import style
from desktop.theme import ReadableDelegate
from detector.result import ChunkResult

_COLUMNS = ("#", "Start", "End", "Sounds", "P(AI)", "P(real)")

Index = QModelIndex | QPersistentModelIndex


class ChunkTableModel(QAbstractTableModel):
    """Rows are :class:`ChunkResult` objects in arrival order (chunk_index order)."""

    #: Streamed chunks are added this often at most. Why: one row insert per chunk (4 300 for a 3-hour
    #: file) kept the window's thread busy enough to slow the analysis by ~6 % (issue 34).
    STREAM_FLUSH_MS = 250

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._chunks: list[ChunkResult] = []
        self._pending: list[ChunkResult] = []
        self._flush_timer = QTimer(self, singleShot=True, interval=self.STREAM_FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self._chunks)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 (Qt API)
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return _COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c = self._chunks[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                str(c.chunk_index),
                style.format_mmss(c.start_time, precise=True),
                style.format_mmss(c.end_time, precise=True),
                style.BAND_LABEL[c.band],
                f"{c.prob_ai:.3f}",
                f"{c.prob_real:.3f}",
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 3:
            return QBrush(QColor(style.BAND_COLOR[c.band]))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def set_chunks(self, chunks: list[ChunkResult] | tuple[ChunkResult, ...]) -> None:
        self._pending.clear()  # streamed rows of what was shown before are not wanted now
        self._flush_timer.stop()
        self.beginResetModel()
        self._chunks = list(chunks)
        self.endResetModel()

    def append(self, chunk: ChunkResult) -> None:
        self.extend([chunk])

    def extend(self, chunks: list[ChunkResult]) -> None:
        """Add rows now, in one insert."""
        if not chunks:
            return
        n = len(self._chunks)
        self.beginInsertRows(QModelIndex(), n, n + len(chunks) - 1)
        self._chunks.extend(chunks)
        self.endInsertRows()

    def stream(self, chunk: ChunkResult) -> None:
        """Add a chunk streamed in from an analysis: rows arrive together, ``STREAM_FLUSH_MS`` apart."""
        self._pending.append(chunk)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        """Add the streamed chunks still waiting."""
        self._flush_timer.stop()
        pending, self._pending = self._pending, []
        self.extend(pending)

    def row_of(self, chunk_index: int) -> int:
        """Row of a chunk index (rows are in chunk order, so usually ``row == chunk_index``)."""
        if 0 <= chunk_index < len(self._chunks) and self._chunks[chunk_index].chunk_index == chunk_index:
            return chunk_index
        for row, c in enumerate(self._chunks):
            if c.chunk_index == chunk_index:
                return row
        return -1

    def chunk_at(self, row: int) -> ChunkResult:
        return self._chunks[row]


class ChunkTable(QTableView):
    """The table; emits ``chunk_selected(chunk_index)`` when the user picks a row."""

    chunk_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table_model = ChunkTableModel(self)
        self.setItemDelegate(ReadableDelegate(self))  # the coloured "Sounds" text readable on any theme
        self.setModel(self.table_model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setAlternatingRowColors(True)
        self._syncing = False
        self.selectionModel().currentRowChanged.connect(self._on_current_row)

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        self.chunk_selected.emit(self.table_model.chunk_at(current.row()).chunk_index)

    def select_chunk(self, chunk_index: int) -> None:
        """Select a chunk's row without re-emitting ``chunk_selected`` (the plot asked)."""
        row = self.table_model.row_of(chunk_index)
        if row < 0:
            return
        self._syncing = True
        try:
            idx = self.table_model.index(row, 0)
            self.selectionModel().setCurrentIndex(
                idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.scrollTo(idx)
        finally:
            self._syncing = False

    def selected_chunk(self) -> int | None:
        idx = self.selectionModel().currentIndex()
        return self.table_model.chunk_at(idx.row()).chunk_index if idx.isValid() else None
