"""The main window: assembles the widgets and shows what the analysis controller reports.

Layout: the model panel across the top; on the left the file queue (a drop
zone while empty), the chunk settings, progress and Cancel; on the right the
result: verdict banner, waveform/lanes/P(AI) plots and the chunk table.

Files are queued here (drop, File → Open, recent files); running them is the
job of :class:`~desktop.analysis_controller.AnalysisController`, and what is
remembered between sessions is :mod:`desktop.settings_store`'s. Everything
shown comes from the :class:`~detector.result.AnalysisResult` as the detector
returned it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence,
                           QPalette)
from PySide6.QtWidgets import (QAbstractButton, QApplication, QCheckBox, QFileDialog, QHBoxLayout, QLabel, QMainWindow,
                               QMessageBox, QProgressBar, QPushButton, QSplitter, QStackedWidget, QVBoxLayout, QWidget)

from desktop import style
from desktop.chunk_table import ChunkTable
from desktop.file_queue import FileQueue, ItemState, QueueItem, supported_extensions
from desktop.model_panel import ModelPanel, ModelSourceDialog
from desktop.playback import ChunkPlayer
from desktop.playback_controls import PlaybackControls
from desktop import exports, settings_store
from desktop.analysis_controller import AnalysisController, limit_kept_audio
from desktop.help_text import about_html, format_eta, help_html
from desktop.settings_panel import SettingsPanel
from desktop.verdict_banner import VerdictBanner
from desktop.waveform_view import WaveformView
from detector.chunking import ChunkSettings
from detector.errors import FaikError

APP_TITLE = "fAIk Desktop"
DEFAULT_SIZE = QSize(1360, 860)
FRAME_MARGINS = (8, 32, 8, 8)      # room for a window manager's borders and title bar (left, top, right, bottom)
DROP_TEXT = "Drop audio or video files here, or File → Open"


def _legend_html() -> str:
    sw = "<span style='color:{c}; font-size:14pt;'>■</span>"
    return (f"{sw.format(c=style.AI_COLOR)} AI-sounding &nbsp; {sw.format(c=style.UNSURE_COLOR)} unsure &nbsp; "
            f"{sw.format(c=style.REAL_COLOR)} real-sounding "
            "&nbsp;·&nbsp; darker = further from 0.5 &nbsp;·&nbsp; - - - 0.5 threshold")


def fit_within(rect: QRect, avail: QRect) -> QRect:
    """``rect`` (a window's geometry, without its frame) shrunk and moved so the framed window fits ``avail``."""
    left, top, right, bottom = FRAME_MARGINS
    w = min(rect.width(), avail.width() - left - right)
    h = min(rect.height(), avail.height() - top - bottom)
    x = max(avail.left() + left, min(rect.x(), avail.left() + avail.width() - right - w))
    y = max(avail.top() + top, min(rect.y(), avail.top() + avail.height() - bottom - h))
    return QRect(x, y, w, h)


class DropZone(QLabel):
    """The queue's placeholder while it is empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(DROP_TEXT, parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self._palette = QApplication.palette()
        self.highlighted = False
        self.set_highlight(False)

    def apply_palette(self, palette: QPalette) -> None:
        self._palette = palette
        self.set_highlight(self.highlighted)

    def set_highlight(self, on: bool) -> None:
        """A frame in the palette's highlight colour while files are dragged over the window."""
        self.highlighted = on
        p = self._palette
        base, accent = p.base().color().name(), p.highlight().color().name()
        bg = style.mix(base, accent, 0.12) if on else base
        border = accent if on else style.mix(p.text().color().name(), base, 0.55)
        self.text_color = style.secondary_text(p, bg)
        self.setStyleSheet(f"QLabel {{ border: 2px dashed {border}; border-radius: 8px; color: {self.text_color}; "
                           f"font-size: 13pt; padding: 16px; background: {bg}; }}")


class MainWindow(QMainWindow):
    """fAIk Desktop's window. ``service`` is a :class:`detector.model_service.ModelService`."""

    model_state_changed = Signal(str)     # "loading" | "ready" | "failed"
    analysis_finished = Signal(object)    # QueueItem (done, error or cancelled)
    queue_idle = Signal()

    def __init__(self, service=None, *, model_source: str | None = None, batch_delay_s: float = 0.0) -> None:
        super().__init__()
        if service is None:
            from detector.model_service import ModelService

            service = ModelService()
        self.service = service
        self.model_source = model_source
        self._shown: QueueItem | None = None
        self._status_about: tuple[QueueItem | None, str] = (None, "")
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self._build_widgets()
        self.controller = AnalysisController(service, self.queue, self.settings_panel.chunk_settings,
                                             batch_delay_s=batch_delay_s, parent=self)
        self._connect_controller()
        self._build_menus()
        self._set_idle()
        self._place_on_screen()
        self.apply_palette()

    def _connect_controller(self) -> None:
        c = self.controller
        c.model_loading.connect(self._on_model_loading)
        c.model_ready.connect(self._on_model_ready)
        c.model_failed.connect(self._on_model_failed)
        c.waiting_for_model.connect(self._on_waiting_for_model)
        c.waiting_for_settings.connect(self._on_waiting_for_settings)
        c.run_started.connect(self._on_run_started)
        c.progress.connect(self._on_progress)
        c.audio_ready.connect(self._on_audio_ready)
        c.chunk_ready.connect(self._on_chunk)
        c.run_ended.connect(self._on_run_ended)
        c.queue_idle.connect(self._on_queue_idle)

    # -- construction -----------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.model_panel = ModelPanel()
        self.model_panel.retry_requested.connect(lambda: self.load_model(self.model_source))
        self.model_panel.choose_requested.connect(self.choose_model)

        self.queue = FileQueue()
        self.queue.item_selected.connect(self.show_item)
        self.queue.remove_requested.connect(self.remove_files)
        self.queue.rerun_requested.connect(self.analyse_again)
        self.queue.clear_finished_requested.connect(self.clear_finished)
        self.drop_zone = DropZone()
        self.queue_stack = QStackedWidget()
        self.queue_stack.addWidget(self.drop_zone)
        self.queue_stack.addWidget(self.queue)
        self.settings_panel = SettingsPanel(settings_store.load_chunk_settings())
        self.settings_panel.settings_changed.connect(settings_store.save_chunk_settings)
        self.settings_panel.validity_changed.connect(self._on_settings_validity)
        self.settings_panel.reanalyse_requested.connect(self.reanalyse_shown)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running analysis and the files still waiting")
        self.cancel_button.clicked.connect(self.cancel_analysis)
        # A cancelled or failed file on screen can be run again from here (the banner points at it).
        self.rerun_button = QPushButton("↻ Analyse again")
        self.rerun_button.setToolTip("Analyse the file on screen again with the chunk settings above; a cancelled file "
                                     "continues where it stopped if the settings and the model are unchanged")
        self.rerun_button.clicked.connect(self.reanalyse_shown)
        self.rerun_button.setVisible(False)
        prog_row = QHBoxLayout()
        prog_row.addWidget(self.progress, 1)
        prog_row.addWidget(self.rerun_button)
        prog_row.addWidget(self.cancel_button)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        queue_title = QLabel("<b>Files</b>")
        left_lay.addWidget(queue_title)
        left_lay.addWidget(self.queue_stack, 1)
        left_lay.addWidget(self.settings_panel)
        left_lay.addLayout(prog_row)

        self.banner = VerdictBanner()
        self.legend = QLabel(_legend_html())
        self.legend.setWordWrap(True)  # never widens the result area at the file list's expense
        # Kept to one line at 1366 px: how overlapping chunks are drawn goes in the tooltip.
        self.legend.setToolTip("Overlapping chunks are drawn on rows of their own · mouse wheel over the plots: "
                               "zoom · drag: pan · click a chunk: select and play it")
        self.play_button = QPushButton("▶ Play chunk")
        # The stretch note says "listen to it": one click plays the whole AI-sounding stretch.
        self.stretch_button = QPushButton("▶ Play stretch")
        self.stretch_button.setVisible(False)
        self.player = ChunkPlayer(self)
        # The spectrogram row can go on small screens; the choice is remembered.
        self.spectrogram_box = QCheckBox("Spectrogram")
        self.spectrogram_box.setToolTip("Show the spectrogram (0–8 kHz) under the waveform: band limits, codec "
                                        "cut-offs and changes of background at a splice show there")
        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend, 1)
        legend_row.addWidget(self.spectrogram_box)
        legend_row.addWidget(self.stretch_button)
        legend_row.addWidget(self.play_button)
        self.waveform = WaveformView()
        self.waveform.setMinimumHeight(260)
        self.spectrogram_box.setChecked(settings_store.load_flag(settings_store.SPECTROGRAM_KEY, True))
        self.waveform.set_spectrogram_visible(self.spectrogram_box.isChecked())
        self.spectrogram_box.toggled.connect(self._on_spectrogram_toggled)
        self.table = ChunkTable()
        self.waveform.chunk_selected.connect(self._on_plot_chunk)
        self.table.chunk_selected.connect(self._on_table_chunk)
        plots = QWidget()
        plots_lay = QVBoxLayout(plots)
        plots_lay.setContentsMargins(0, 0, 0, 0)
        plots_lay.addLayout(legend_row)
        plots_lay.addWidget(self.waveform, 1)
        self.right_split = right_split = QSplitter(Qt.Orientation.Vertical)
        right_split.addWidget(plots)
        right_split.addWidget(self.table)
        right_split.setStretchFactor(0, 3)
        right_split.setStretchFactor(1, 1)
        right_split.setSizes([520, 220])
        right = QWidget()
        right_lay = QVBoxLayout(right)
        right_lay.setContentsMargins(0, 0, 0, 0)
        right_lay.addWidget(self.banner)
        right_lay.addWidget(right_split, 1)

        self.main_split = split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([370, 990])
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addWidget(self.model_panel)
        lay.addWidget(split, 1)
        self.setCentralWidget(central)
        self.playback = PlaybackControls(self.player, self.waveform, self.play_button, self.stretch_button,
                                         lambda: self._shown, self)
        self._update_play_button()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open…", self, shortcut=QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_files_dialog)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        self.export_json_action = QAction("&Export JSON…", self, shortcut=QKeySequence("Ctrl+E"))
        self.export_json_action.triggered.connect(self.export_json_dialog)
        self.export_report_action = QAction("Export &Report (HTML)…", self, shortcut=QKeySequence("Ctrl+Shift+E"))
        self.export_report_action.triggered.connect(self.export_report_dialog)
        # Every file of the queue in one table: what the CLI's --summary writes.
        self.export_summary_action = QAction("Export &Summary of All Files (CSV)…", self,
                                             shortcut=QKeySequence("Ctrl+Shift+S"))
        self.export_summary_action.triggered.connect(self.export_summary_dialog)
        file_menu.addAction(self.export_json_action)
        file_menu.addAction(self.export_report_action)
        file_menu.addAction(self.export_summary_action)
        file_menu.addSeparator()
        self.clear_finished_action = QAction("C&lear Finished Files from the Queue", self)
        self.clear_finished_action.triggered.connect(self.clear_finished)
        file_menu.addAction(self.clear_finished_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        model_menu = self.menuBar().addMenu("&Model")
        choose = QAction("&Choose…", self)
        choose.triggered.connect(self.choose_model)
        model_menu.addAction(choose)
        view_menu = self.menuBar().addMenu("&View")
        self.play_action = QAction("&Play / Stop Selected Chunk", self, shortcut=QKeySequence(Qt.Key.Key_Space))
        self.play_action.triggered.connect(self._on_space)
        self.fit_action = QAction("Show the &Whole File", self, shortcut=QKeySequence(Qt.Key.Key_Home))
        self.fit_action.triggered.connect(self.fit_whole_file)
        for act in (self.play_action, self.fit_action):
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            view_menu.addAction(act)
        help_menu = self.menuBar().addMenu("&Help")
        self.help_action = QAction("fAIk Desktop &Help", self, shortcut=QKeySequence(Qt.Key.Key_F1))
        self.help_action.triggered.connect(self.show_help)
        help_menu.addAction(self.help_action)
        self.about_action = QAction("&About fAIk Desktop", self)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)
        self._update_export_actions()

    # -- model ------------------------------------------------------------------------------------
    def load_model(self, source: str | None = None) -> None:
        """Load a model in the background (None = built-in)."""
        if self.controller.model_loading_now():
            self.statusBar().showMessage("A model is already loading; wait for it to finish.", 5000)
            return
        if self.is_busy():
            QMessageBox.information(self, "Analysis running",
                                    "Wait for the running analysis to finish, or cancel it, before changing the model.")
            return
        self.model_source = source
        self.model_panel.set_loading("built-in model" if source is None else source)
        self.controller.load_model(source)

    def _on_model_loading(self, _source: str) -> None:
        self.model_state_changed.emit("loading")

    def _on_model_ready(self, info) -> None:
        self.model_panel.set_ready(info)
        self.statusBar().showMessage(f"Model {info.name} ready (loaded in {info.load_time_s:.1f} s)", 8000)
        self.model_state_changed.emit("ready")

    def _on_model_failed(self, reason: str) -> None:
        self.model_panel.set_failed(reason)
        if self._shown is not None and self._shown.state == ItemState.QUEUED:
            self.show_item(self._shown)
        self.model_state_changed.emit("failed")

    def choose_model(self) -> None:
        dlg = ModelSourceDialog(self, self.model_source)
        if dlg.exec():
            self.load_model(dlg.source())

    # -- input ------------------------------------------------------------------------------------
    def add_files(self, paths: Iterable[str | os.PathLike]) -> list[QueueItem]:
        """Queue files/folders (from a drop, File → Open or the recent list) and start if possible."""
        added = self.queue.add_paths(paths)
        again = []
        for _path, item in self.queue.duplicates:
            # Dropping a cancelled or failed file again means "try it again"; any other copy is skipped.
            if item.state in (ItemState.CANCELLED, ItemState.ERROR) and self.controller.requeue(item):
                again.append(item)
        skipped = [(p, it) for p, it in self.queue.duplicates if it not in again]
        if skipped:
            p, it = skipped[0]
            same = "" if p.resolve() == it.path.resolve() else f" (same content as {it.path.name})"
            more = f" and {len(skipped) - 1} more" if len(skipped) > 1 else ""
            self.statusBar().showMessage(f"Already in the queue: {p.name}{same}{more}; not added again.", 8000)
        if not added:
            if again:
                self.queue.select_item(again[0])
            elif not skipped:
                self.statusBar().showMessage("Nothing to add: no supported audio or video files there.", 6000)
            return added
        self.queue_stack.setCurrentWidget(self.queue)
        settings_store.remember_recent([it.path for it in added])
        if self._shown is None or self.controller.running is None:
            self.queue.select_item(added[0])
        self.controller.start_next()
        return added

    def handle_drop_urls(self, urls: Iterable[QUrl]) -> list[QueueItem]:
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        return self.add_files(paths) if paths else []

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            self._set_drop_highlight(True)

    def _set_drop_highlight(self, on: bool) -> None:
        """The drop zone, or the queue once it has files, shows that a drop will be taken."""
        self.drop_zone.set_highlight(on)
        self.queue.set_drop_highlight(on)

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._set_drop_highlight(False)

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self._set_drop_highlight(False)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            # Queue after the drop returns, so the source application is not kept waiting.
            urls = list(event.mimeData().urls())
            QTimer.singleShot(0, lambda: self.handle_drop_urls(urls))

    def open_files_dialog(self) -> None:
        exts = " ".join(f"*{e}" for e in sorted(supported_extensions()))
        files, _ = QFileDialog.getOpenFileNames(self, "Open audio or video files", self._last_dir(),
                                                f"Audio and video ({exts});;All files (*)")
        if files:
            self.add_files(files)

    def _last_dir(self) -> str:
        recent = self.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def recent_files(self) -> list[str]:
        return settings_store.recent_files()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        if not recent:
            act = self.recent_menu.addAction("(no recent files)")
            act.setEnabled(False)
            return
        for path in recent:
            act = self.recent_menu.addAction(path)
            act.triggered.connect(lambda _=False, p=path: self.add_files([p]))
        self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear list")
        clear.triggered.connect(lambda: settings_store.clear_recent())

    # -- analysis (run by the controller; the window shows what it reports) -----------------------
    def is_busy(self) -> bool:
        return self.controller.is_busy()

    def _on_waiting_for_settings(self) -> None:
        if self.controller.running is None:
            self.progress.setFormat("Waiting: correct the chunk settings")
            self.statusBar().showMessage("Files wait: " + " ".join(self.settings_panel.problems()), 10000)

    def _on_settings_validity(self, valid: bool) -> None:
        self._update_rerun_button()
        if self._shown is not None and self._shown.state == ItemState.QUEUED:
            self.show_item(self._shown)  # the banner says why it waits, or no longer does
        if valid:
            self.controller.start_next()
        else:
            self._set_idle()

    def _on_waiting_for_model(self) -> None:
        if self.controller.running is None:
            self.progress.setFormat("Waiting for the model…")

    def _on_run_started(self, item: QueueItem) -> None:
        s = item.extra.get("settings")
        used = f"{s.chunk_duration:g} s chunks, {s.overlap * 100:.0f} % overlap" if s is not None else ""
        self.statusBar().showMessage(f"Analysing {item.path.name} with {used}", 0)
        self.progress.setToolTip(f"{item.path.name}: {used}")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat(f"Decoding {item.path.name}… %p%")
        self.cancel_button.setEnabled(True)
        if self._shown is item or self._shown is None or self._shown.state != ItemState.DONE:
            self.queue.select_item(item)
            self.show_item(item)

    def _on_progress(self, item: QueueItem, stage: str, done: int, total: int) -> None:
        if stage == "decoding":
            self.progress.setRange(0, 1000)
            self.progress.setValue(done)
        else:
            self.progress.setRange(0, max(1, total))
            self.progress.setValue(done)
            eta = format_eta(self.controller.elapsed_s(), self.controller.remaining_s(done, total))
            self.progress.setFormat(f"{done}/{total} chunks · {eta}")

    def _on_audio_ready(self, item: QueueItem) -> None:
        if self._shown is item:
            self.waveform.set_audio(item.pyramid)
            self._update_play_button()

    def _on_chunk(self, item: QueueItem, chunk) -> None:
        if self._shown is item:
            self.waveform.add_chunk(chunk)
            self.table.table_model.stream(chunk)

    def _on_run_ended(self, item: QueueItem) -> None:
        limit_kept_audio(self.queue.items, keep=(item, self._shown))
        if self._shown is item:
            self.show_item(item)
        if item.state == ItemState.DONE:
            n = item.result.total_chunks
            done = f"analysed in {item.extra['elapsed_s']:.1f} s ({n} chunk{'s' if n != 1 else ''})"
            if self._shown is item:
                self.statusBar().showMessage(
                    f"{item.path.name}: {done}. "
                    "Tip: mouse wheel zooms the timeline, drag pans, click a chunk to select and play it.", 15000)
            else:
                # another file is on screen: say so, or "x.wav: analysed" reads as being about the one shown
                self.statusBar().showMessage(
                    f"{item.path.name} finished in the background: {done}. Select it in the list to see its result.",
                    15000)
        elif item.state == ItemState.ERROR:
            self.statusBar().showMessage(f"{item.path.name}: {item.message}", 10000)
        else:
            self.statusBar().showMessage("Analysis cancelled.", 6000)
        # a message about one file: cleared if another file is shown while it is still up
        self._status_about = (item, self.statusBar().currentMessage())
        self._set_idle()
        self.analysis_finished.emit(item)

    def _on_queue_idle(self) -> None:
        self._set_idle()
        self.queue_idle.emit()

    def cancel_analysis(self) -> None:
        """Stop the running file (between batches) and the files still waiting."""
        if self.controller.is_busy():
            self.cancel_button.setEnabled(False)
            self.progress.setFormat("Cancelling…")
        self.controller.cancel()

    def remove_files(self, items: list[QueueItem]) -> list[QueueItem]:
        """Take files out of the queue (Delete key, context menu); the running file stays until cancelled."""
        running = [it for it in items if it is self.controller.running]
        removed = self.queue.remove_items(it for it in items if it is not self.controller.running)
        if running:
            self.statusBar().showMessage(f"{running[0].path.name} is being analysed: Cancel it first to remove it.",
                                         8000)
        elif removed:
            self.statusBar().showMessage(f"Removed {len(removed)} file{'s' if len(removed) != 1 else ''} "
                                         "from the queue.", 5000)
        if any(it is self._shown for it in removed):
            self._shown = None
            current = self.queue.current_queue_item()
            if current is not None:
                self.show_item(current)
            else:
                self._show_nothing()
        if not self.queue.items:
            self.queue_stack.setCurrentWidget(self.drop_zone)
            self._show_nothing()
        self._set_idle()
        return removed

    def clear_finished(self) -> list[QueueItem]:
        """Remove every analysed, failed and cancelled file from the queue."""
        return self.remove_files(self.queue.finished_items())

    def analyse_again(self, items: list[QueueItem]) -> None:
        for it in items:
            self.controller.requeue(it)

    def _show_nothing(self) -> None:
        self._shown = None
        self.player.stop()
        self.waveform.clear_result()
        self.table.table_model.set_chunks([])
        self.settings_panel.set_result_settings(None)
        self.banner.show_message("No result yet", "Drop audio or video files here, or use File → Open.")
        self._update_export_actions()
        self._update_play_button()
        self._update_rerun_button()

    def reanalyse_shown(self) -> None:
        """Queue the file on screen again with the current chunk settings."""
        if self._shown is not None:
            self.controller.requeue(self._shown)

    def _set_idle(self) -> None:
        if self.controller.running is None:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            queued = self.queue.next_queued() is not None
            if queued and not self.service.is_ready():
                self.progress.setFormat("Waiting for the model…")
            elif queued and not self.settings_panel.is_valid():
                self.progress.setFormat("Waiting: correct the chunk settings")
            else:
                self.progress.setFormat("Idle")
            self.cancel_button.setEnabled(False)
        self._update_export_actions()

    # -- showing results --------------------------------------------------------------------------
    def show_item(self, item: QueueItem) -> None:
        """Show one queue entry: its result, its progress so far, or its error."""
        self._shown = item
        about, message = self._status_about
        if about is not None and about is not item and self.statusBar().currentMessage() == message:
            # "other.wav: analysed in 3 s" under this file's result reads as this file's
            self.statusBar().clearMessage()
            self._status_about = (None, "")
        self.player.stop()
        self.waveform.clear_result()
        self.table.table_model.set_chunks([])
        if item.pyramid is not None:
            self.waveform.set_audio(item.pyramid)
        name = item.path.name
        if item.state == ItemState.DONE and item.result is not None:
            r = item.result
            self.banner.show_result(r, name)
            self.waveform.set_chunks(r.chunks)
            self.waveform.set_stretches(r.provenance.get("ai_stretches") or [])
            self.table.table_model.set_chunks(r.chunks)
            self.settings_panel.set_result_settings(
                ChunkSettings(r.summary.chunk_duration_seconds, r.summary.overlap_ratio))
        else:
            self.settings_panel.set_result_settings(None)
            chunks = item.extra.get("chunks", [])
            if item.state == ItemState.RUNNING:
                for c in chunks:
                    self.waveform.add_chunk(c)
            elif item.state == ItemState.CANCELLED:
                self.waveform.set_chunks(chunks)  # the partial result, drawn at once
            if item.state in (ItemState.RUNNING, ItemState.CANCELLED):
                self.table.table_model.set_chunks(chunks)
            if item.state == ItemState.RUNNING:
                self.banner.show_message(f"Analysing {name}…", "Chunks appear on the timeline as they are classified.",
                                         icon="…")
            elif item.state == ItemState.ERROR:
                self.banner.show_message(f"Could not analyse {name}", item.message, color=style.FAIL_COLOR, icon="✖")
            elif item.state == ItemState.CANCELLED:
                total = item.extra.get("total_chunks")
                if chunks:
                    kept = (f"Partial: the {len(chunks)} chunks classified before Cancel"
                            + (f" (of {total})" if total else "") + " are kept below; no verdict for the file. ")
                else:
                    kept = "Stopped before any chunk was classified. "
                again = ("Use “Analyse again” (under the file list) to finish it: it continues after these chunks "
                         "if the chunk settings and the model are unchanged." if chunks else
                         "Use “Analyse again” (under the file list) to run it.")
                self.banner.show_message(f"Cancelled: {name}", kept + again, icon="■")
            else:
                if self.model_panel.state == "failed":
                    why = "The model failed to load: use Retry or Choose model… above."
                elif not self.settings_panel.is_valid():
                    why = " ".join(self.settings_panel.problems()) + " Correct it in Chunk settings to start."
                else:
                    why = "Queued; it starts when the model is ready and the files before it are done."
                self.banner.show_message(f"Waiting: {name}", why, icon="…")
        self._update_export_actions()
        self._update_play_button()
        self._update_rerun_button()

    def _update_rerun_button(self) -> None:
        item = self._shown
        show = item is not None and item.state in (ItemState.CANCELLED, ItemState.ERROR)
        self.rerun_button.setVisible(show)
        self.rerun_button.setEnabled(show and self.settings_panel.is_valid())

    def _on_plot_chunk(self, idx: int) -> None:
        self.table.select_chunk(idx)
        self._play_chunk(idx)

    def _on_table_chunk(self, idx: int) -> None:
        self.waveform.select_chunk(idx)
        self._update_play_button()

    # -- playback (PlaybackControls decides what plays) -------------------------------------------
    def _play_chunk(self, idx: int) -> None:
        self.playback.play_chunk(idx)

    def play_stretch(self) -> None:
        """Play the AI-sounding stretch under the selected chunk (else the first one) from start to end."""
        self.playback.play_stretch()

    def _on_space(self) -> None:
        """Space: a focused button or check box keeps its own Space (keyboard use); elsewhere play/stop."""
        focus = QApplication.focusWidget()
        if isinstance(focus, QAbstractButton) and focus.isEnabled() and focus.window() is self:
            focus.animateClick()
        else:
            self.toggle_playback()

    def toggle_playback(self) -> None:
        self.playback.toggle()

    def _update_play_button(self) -> None:
        self.playback.update_buttons()

    def set_spectrogram_visible(self, visible: bool) -> None:
        """Show or hide the spectrogram row, as the box does (and remembered the same way)."""
        self.spectrogram_box.setChecked(visible)

    def _on_spectrogram_toggled(self, visible: bool) -> None:
        self.waveform.set_spectrogram_visible(visible)
        settings_store.save_flag(settings_store.SPECTROGRAM_KEY, visible)

    # -- export -----------------------------------------------------------------------------------
    def _update_export_actions(self) -> None:
        has = self._shown is not None and self._shown.result is not None
        if hasattr(self, "export_json_action"):
            self.export_json_action.setEnabled(has)
            self.export_report_action.setEnabled(has)
            self.export_summary_action.setEnabled(self._any_result())

    def export_json(self, path: str | os.PathLike) -> Path:
        """Write the shown result's JSON (the contract + provenance), atomically, never over the input."""
        return exports.write_json(self._shown, path)

    def export_report(self, path: str | os.PathLike) -> Path:
        """Write the human-readable HTML report of the shown result."""
        return exports.write_report(self._shown, path)

    def export_summary(self, path: str | os.PathLike) -> Path:
        """Write one CSV row per finished file of the queue (analysed, failed or cancelled), atomically."""
        return exports.write_summary(self.queue.items, path)

    def _any_result(self) -> bool:
        return any(it.result is not None for it in self.queue.items)

    def export_summary_dialog(self) -> None:
        if not self._any_result():
            return
        first = self.queue.items[0].path
        path, _ = QFileDialog.getSaveFileName(self, "Export summary of all files",
                                              str(first.with_name("fAIk-summary.csv")), "CSV table (*.csv)")
        if not path:
            return
        try:
            out = self.export_summary(path)
        except FaikError as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"could not write {path}: {exc.strerror or exc}")
        else:
            waiting = sum(it.result is None and it.state in (ItemState.QUEUED, ItemState.RUNNING)
                          for it in self.queue.items)
            self.statusBar().showMessage(f"Saved {out}" + (f" ({waiting} files not analysed yet are not in it)"
                                                          if waiting else ""), 8000)

    def _export_dialog(self, kind: str) -> None:
        item = self._shown
        if item is None or item.result is None:
            return
        func = self.export_json if kind == "json" else self.export_report
        path, _ = QFileDialog.getSaveFileName(self, f"Export {kind.upper()}", str(exports.default_path(item, kind)),
                                              exports.KINDS[kind][1])
        if not path:
            return
        try:
            out = func(path)
        except FaikError as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"could not write {path}: {exc.strerror or exc}")
        else:
            self.statusBar().showMessage(f"Saved {out}", 8000)

    def export_json_dialog(self) -> None:
        self._export_dialog("json")

    def export_report_dialog(self) -> None:
        self._export_dialog("report")

    # -- misc -------------------------------------------------------------------------------------
    def _info(self):
        return self.service.info if self.service.is_ready() else None

    def show_about(self) -> None:
        """App and model versions, licences (Help → About)."""
        QMessageBox.about(self, "About fAIk Desktop", about_html(self._info()))

    def show_help(self) -> None:
        """What a verdict means, its limits, the keys and the model card (F1); not modal."""
        if getattr(self, "help_dialog", None) is None:
            self.help_dialog = QMessageBox(QMessageBox.Icon.NoIcon, "fAIk Desktop Help", "",
                                           QMessageBox.StandardButton.Close, self)
            self.help_dialog.setModal(False)
        self.help_dialog.setText(help_html(self._info()))
        self.help_dialog.show()
        self.help_dialog.raise_()

    def fit_whole_file(self) -> None:
        """Zoom out to the whole recording (Home)."""
        self.waveform.fit_all()

    def shutdown(self, timeout_ms: int = 60000) -> None:
        """Stop playback, cancel the analysis and join every worker thread."""
        self.player.stop()
        self.controller.shutdown(timeout_ms)

    # -- colours ----------------------------------------------------------------------------------
    def apply_palette(self) -> None:
        """Colours set by hand (drop zone, legend, banner, settings message) from the current palette."""
        palette = self.palette()
        self.drop_zone.apply_palette(palette)
        self.legend.setStyleSheet(f"color: {style.secondary_text(palette)};")
        self.banner.apply_palette()
        self.settings_panel.apply_palette(palette)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "banner"):
            self.apply_palette()

    # -- size and place ---------------------------------------------------------------------------
    def available_geometry(self) -> QRect:
        """The screen's room for windows (without panels and docks)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry()

    def _splitters(self) -> dict[str, QSplitter]:
        return {"main": self.main_split, "result": self.right_split}

    def _place_on_screen(self) -> None:
        """Last session's size, place and splitter positions, always within the screen's available room."""
        avail = self.available_geometry()
        geometry = settings_store.load_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(DEFAULT_SIZE)
            rect = fit_within(QRect(QPoint(0, 0), DEFAULT_SIZE), avail)
            rect.moveCenter(avail.center())
        else:
            rect = self.geometry()
        self.setGeometry(fit_within(rect, avail))
        for name, split in self._splitters().items():
            state = settings_store.load_splitter_state(name)
            if state is not None:
                split.restoreState(state)

    def save_window_state(self) -> None:
        settings_store.save_window_state(self.saveGeometry(),
                                         {name: s.saveState() for name, s in self._splitters().items()})

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_window_state()
        self.shutdown()
        super().closeEvent(event)

