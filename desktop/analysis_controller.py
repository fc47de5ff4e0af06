"""The queue and its analyses, without the window: which file runs next, on which thread, and what came back.

:class:`AnalysisController` owns the model-loading and analysis worker threads
(:mod:`desktop.workers`). Whenever the model is ready and nothing runs, the
next queued file of the :class:`~desktop.file_queue.FileQueue` goes to an
:class:`~desktop.workers.AnalysisWorker` with the chunk settings the window
gives it at that moment (none while the user's entry is out of range: the
file then waits). A failed file keeps its message and the queue goes
on; Cancel stops the running file and the files still waiting. The chunks a
cancelled file had already classified stay with it (``extra["chunks"]``,
``extra["partial"]``): shown, never turned into a verdict; analysed again with the same settings,
model and file, it continues after them (``resume`` of :func:`detector.analysis.analyze_audio`).

The controller changes queue items' states and tells the window by signals;
it never touches a widget other than the queue's rows. Everything it passes
on is the detector's objects unchanged.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from PySide6.QtCore import QObject, Signal, Slot

from desktop.file_queue import FileQueue, ItemState, QueueItem
from desktop.workers import AnalysisWorker, ModelLoadWorker, WorkerThread
from detector.chunking import ChunkSettings

KEEP_AUDIO_SAMPLES = 60 * 60 * 16000  # about one hour of 16 kHz float32 (230 MB) kept across files


class _JobRelay(QObject):
    """Receives one analysis worker's signals in the GUI thread and tags them with the queue item.

    Slots must be methods of an object living in the GUI thread: a lambda connected to a
    worker's signal would run in the worker's thread and touch the queue from there.
    """

    def __init__(self, controller: "AnalysisController", item: QueueItem) -> None:
        super().__init__(controller)
        self.controller, self.item = controller, item

    @Slot(str, int, int)
    def progress(self, stage: str, done: int, total: int) -> None:
        self.controller._on_progress(self.item, stage, done, total)

    @Slot(object, object)
    def audio_ready(self, audio, pyramid) -> None:
        self.controller._on_audio_ready(self.item, audio, pyramid)

    @Slot(object)
    def chunk_ready(self, chunk) -> None:
        self.controller._on_chunk(self.item, chunk)

    @Slot(object)
    def finished(self, result) -> None:
        self.controller._on_finished(self.item, result)

    @Slot(str)
    def failed(self, message: str) -> None:
        self.controller._on_failed(self.item, message)

    @Slot()
    def cancelled(self) -> None:
        self.controller._on_cancelled(self.item)


def limit_kept_audio(items: Iterable[QueueItem], keep: Iterable[QueueItem | None],
                     budget: int = KEEP_AUDIO_SAMPLES) -> None:
    """Keep decoded audio (for playback, zoomed waveform, report picture) of recent files only.

    A queue of long recordings would otherwise hold every file's samples; older files keep
    their coarse envelope (enough for the overview) and the items in ``keep`` are always kept.
    """
    kept = [k for k in keep if k is not None]
    for it in reversed(list(items)):
        if it.audio is None:
            continue
        n = len(it.audio.samples)
        if any(it is k for k in kept) or n <= budget:
            budget -= n
            continue
        it.audio = None
        if it.pyramid is not None:
            it.pyramid.samples = None


class AnalysisController(QObject):
    """Runs the queue's files one after another on a worker thread; ``service`` is a ModelService."""

    # The worker reports every batch of chunks (a 3-hour file: ~540 reports) and every decoded block; each
    # report repaints the progress bar and the queue's row. Passing on at most one per this many seconds
    # (and always the last) keeps that painting off the cores the model needs (issue 34: the window's
    # analysis must run at the command line's speed).
    PROGRESS_EVERY_S = 0.25

    model_loading = Signal(str)             # what is loading, in words
    model_ready = Signal(object)            # ModelInfo
    model_failed = Signal(str)              # reason
    run_started = Signal(object)            # QueueItem
    progress = Signal(object, str, int, int)  # QueueItem, stage ("decoding" | "analysing"), done, total
    audio_ready = Signal(object)            # QueueItem (its audio and pyramid are set)
    chunk_ready = Signal(object, object)    # QueueItem, ChunkResult
    run_ended = Signal(object)              # QueueItem: done, error or cancelled (its state says which)
    waiting_for_model = Signal()
    waiting_for_settings = Signal()         # the chunk settings on screen are out of range
    queue_idle = Signal()

    def __init__(self, service, queue: FileQueue, chunk_settings: Callable[[], ChunkSettings | None], *,
                 batch_delay_s: float = 0.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.queue = queue
        self.chunk_settings = chunk_settings
        self.batch_delay_s = batch_delay_s
        self.model_source: str | None = None
        self.running: QueueItem | None = None
        self._progress_at = float("-inf")  # when a progress report was last passed on (PROGRESS_EVERY_S)
        self.model_thread: WorkerThread | None = None
        self.analysis_thread: WorkerThread | None = None
        self._old_threads: list[WorkerThread] = []
        self._started_at = 0.0

    # -- model ------------------------------------------------------------------------------------
    def model_loading_now(self) -> bool:
        return self.model_thread is not None and self.model_thread.is_running()

    def is_busy(self) -> bool:
        return self.running is not None

    def load_model(self, source: str | None = None) -> None:
        """Load a model in the background (None = built-in). The caller checks ``model_loading_now``/``is_busy``."""
        self.model_source = source
        worker = ModelLoadWorker(self.service, source)
        wt = WorkerThread(worker, [worker.finished, worker.failed], self)
        worker.started.connect(self._on_model_loading)
        worker.finished.connect(self._on_model_ready)
        worker.failed.connect(self._on_model_failed)
        self._retire(self.model_thread)
        self.model_thread = wt
        wt.start()

    @Slot(str)
    def _on_model_loading(self, source: str) -> None:
        self.model_loading.emit(source)

    @Slot(object)
    def _on_model_ready(self, info) -> None:
        self.model_ready.emit(info)
        self.start_next()

    @Slot(str)
    def _on_model_failed(self, reason: str) -> None:
        self.model_failed.emit(reason)
        if self.running is None and self.queue.next_queued() is not None:
            self.waiting_for_model.emit()

    # -- the queue --------------------------------------------------------------------------------
    def start_next(self) -> None:
        """Start the next queued file if the model is ready and nothing runs; say why not otherwise."""
        if self.running is not None:
            return
        item = self.queue.next_queued()
        if item is None:
            self.queue_idle.emit()
            return
        if not self.service.is_ready():
            self.waiting_for_model.emit()
            return
        settings = self.chunk_settings()
        if settings is None:  # a field holds a value outside its limits: wait for the user's own value
            self.waiting_for_settings.emit()
            return
        self._start(item, settings)

    def _start(self, item: QueueItem, settings: ChunkSettings) -> None:
        from detector.analysis import AnalysisOptions

        options = AnalysisOptions(settings=settings)
        info = self.service.info
        weights = info.weights_sha256 if info is not None else None
        earlier = item.extra.pop("resume_from", None)
        # A cancelled run's chunks are reused only with the settings and the model they were made with.
        fits = earlier is not None and earlier["settings"] == settings and earlier["weights"] == weights
        worker = AnalysisWorker(item.path, self.service, options, batch_delay_s=self.batch_delay_s,
                                resume=earlier["chunks"] if fits else (),
                                resume_sha256=earlier["sha256"] if fits else None)
        wt = WorkerThread(worker, [worker.finished, worker.failed, worker.cancelled], self)
        relay = _JobRelay(self, item)
        worker.progress.connect(relay.progress)
        worker.audio_ready.connect(relay.audio_ready)
        worker.chunk_ready.connect(relay.chunk_ready)
        worker.finished.connect(relay.finished)
        worker.failed.connect(relay.failed)
        worker.cancelled.connect(relay.cancelled)
        wt.relay = relay
        self._retire(self.analysis_thread)
        self.analysis_thread = wt
        self.running = item
        self._progress_at = float("-inf")  # the first report of a run always gets through
        item.result, item.audio, item.pyramid = None, None, None
        item.extra["chunks"] = []
        for key in ("partial", "total_chunks", "rate_from"):
            item.extra.pop(key, None)
        item.extra["settings"] = options.settings
        item.extra["weights"] = weights
        self.queue.set_state(item, ItemState.RUNNING, "decoding…")
        self._started_at = time.perf_counter()
        self.run_started.emit(item)
        wt.start()

    def elapsed_s(self) -> float:
        """Seconds since the running file started (0 when none runs)."""
        return time.perf_counter() - self._started_at if self.running is not None else 0.0

    def remaining_s(self, done: int, total: int) -> float | None:
        """Seconds the running file still needs, from the chunk rate since classification began
        (None before two chunks have been timed, or when nothing runs)."""
        item = self.running
        if item is None or "rate_from" not in item.extra or total <= done:
            return None
        t0, done0 = item.extra["rate_from"]
        if done - done0 < 2:
            return None
        return (time.perf_counter() - t0) / (done - done0) * (total - done)

    def cancel(self) -> None:
        """Stop the running file (between batches) and the files still waiting."""
        if self.analysis_thread is not None and self.running is not None:
            self.analysis_thread.worker.cancel()
        else:
            self._cancel_waiting()

    def _cancel_waiting(self) -> None:
        for other in self.queue.items:
            if other.state == ItemState.QUEUED:
                self.queue.set_state(other, ItemState.CANCELLED, "")

    def requeue(self, item: QueueItem) -> bool:
        """Queue a finished, failed or cancelled file again (with the settings of the moment it starts)."""
        if item is self.running:
            return False
        item.result = None
        if item.state == ItemState.CANCELLED and item.extra.get("chunks") and item.extra.get("sha256"):
            # Analysing a cancelled file again continues after its classified chunks (analyze_audio's
            # resume) when the settings, the model and the file are unchanged when it starts.
            item.extra["resume_from"] = {"chunks": list(item.extra["chunks"]), "settings": item.extra.get("settings"),
                                         "weights": item.extra.get("weights"), "sha256": item.extra["sha256"]}
        else:
            item.extra.pop("resume_from", None)
        for key in ("chunks", "partial", "total_chunks"):
            item.extra.pop(key, None)
        self.queue.set_state(item, ItemState.QUEUED)
        self.start_next()
        return True

    # -- worker reports ---------------------------------------------------------------------------
    def _on_progress(self, item: QueueItem, stage: str, done: int, total: int) -> None:
        if self.running is not item:
            return
        now = time.perf_counter()
        first_of_analysis = stage != "decoding" and "rate_from" not in item.extra  # the ETA's rate starts here
        if done < total and not first_of_analysis and now - self._progress_at < self.PROGRESS_EVERY_S:
            return  # repainted a moment ago; the next report will do
        self._progress_at = now
        if stage != "decoding":
            if first_of_analysis:
                item.extra["rate_from"] = (now, done)
            item.extra["total_chunks"] = total
            self.queue.set_state(item, ItemState.RUNNING, f"analysing {done}/{total}")
        self.progress.emit(item, stage, done, total)

    def _on_audio_ready(self, item: QueueItem, audio, pyramid) -> None:
        item.audio, item.pyramid = audio, pyramid
        item.extra["sha256"] = audio.info.sha256  # the file as analysed: a resume needs it unchanged
        self.audio_ready.emit(item)

    def _on_chunk(self, item: QueueItem, chunk) -> None:
        item.extra.setdefault("chunks", []).append(chunk)
        self.chunk_ready.emit(item, chunk)

    def _on_finished(self, item: QueueItem, result) -> None:
        item.result = result
        item.extra["elapsed_s"] = time.perf_counter() - self._started_at
        self.queue.set_state(item, ItemState.DONE)
        self._end_run(item)

    def _on_failed(self, item: QueueItem, message: str) -> None:
        self.queue.set_state(item, ItemState.ERROR, message)
        self._end_run(item)

    def _on_cancelled(self, item: QueueItem) -> None:
        # The chunks classified so far stay with the item (a partial result, never a verdict).
        done, total = len(item.extra.get("chunks", [])), item.extra.get("total_chunks")
        item.extra["partial"] = bool(done)
        note = f"cancelled after {done} of {total} chunks" if done and total else "cancelled"
        self.queue.set_state(item, ItemState.CANCELLED, note)
        self._cancel_waiting()
        self._end_run(item)

    def _end_run(self, item: QueueItem) -> None:
        self.running = None
        self.run_ended.emit(item)
        self.start_next()

    # -- threads ----------------------------------------------------------------------------------
    def _retire(self, wt: WorkerThread | None) -> None:
        """Keep a finished pair until its thread has really ended, then drop it."""
        if wt is not None:
            self._old_threads.append(wt)
        self._old_threads = [t for t in self._old_threads if t.is_running()]

    def shutdown(self, timeout_ms: int = 60000) -> None:
        """Cancel the analysis and join every worker thread."""
        for wt in [self.analysis_thread, self.model_thread, *self._old_threads]:
            if wt is not None:
                wt.stop(timeout_ms)
        self._old_threads = []
