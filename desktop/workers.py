"""Background work: QObjects moved to QThreads that talk to the window by signals.

* :class:`ModelLoadWorker` runs ``ModelService.load(source)``.
* :class:`AnalysisWorker` decodes a file (``detector.audio.load_audio``),
  builds the waveform envelope, then runs ``detector.analysis.analyze_audio``,
  streaming each chunk. ``cancel()`` sets a thread-safe flag that the decoder
  and the analysis check between blocks/batches.

:class:`WorkerThread` owns one QThread + worker pair and joins the thread on
``stop()``, so no "QThread destroyed while running" at exit.

A user's mistake (``FaikError``) is reported with its one-line message; any
other exception is reported as an unexpected error with its type and message
(the traceback goes to stderr, never into the window).
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import weakref

from PySide6.QtCore import QObject, QThread, Signal, Slot

from detector.errors import AnalysisCancelled, FaikError

_ALL_THREADS: "weakref.WeakSet[QThread]" = weakref.WeakSet()


def running_threads() -> list[QThread]:
    """Worker threads (started here) that are still running: empty after a clean shutdown."""
    return [t for t in list(_ALL_THREADS) if t.isRunning()]


def user_message(exc: BaseException) -> str:
    """The text to show for an exception: the FaikError's message, or a short unexpected-error line."""
    if isinstance(exc, FaikError):
        return str(exc) or exc.__class__.__name__
    traceback.print_exception(exc, file=sys.stderr)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"unexpected error ({exc.__class__.__name__}{': ' + text if text else ''}); please report it"


class ModelLoadWorker(QObject):
    """Loads a model source (None = built-in) into a ModelService.

    A failed *switch* leaves the service's previous model loaded and in use (see
    :meth:`detector.model_service.ModelService.load`): the worker then emits ``failed`` with
    the reason and, right after it, ``finished`` with the kept model's info, so the window
    shows why the switch failed and goes on with the model that works.
    """

    started = Signal(str)        # source text
    finished = Signal(object)    # ModelInfo
    failed = Signal(str)         # reason

    def __init__(self, service: Any, source: str | Path | None) -> None:
        super().__init__()
        self.service = service
        self.source = source

    @Slot()
    def run(self) -> None:
        self.started.emit("built-in" if self.source is None else str(self.source))
        from detector.analysis import THREADS, warm_up

        # The thread governor's first look spans the load (as faik analyze does), so the first file's
        # first batch need not stop 0.1 s to look at the machine (detector.threads).
        THREADS.prime()
        try:
            info = self.service.load(self.source)
            warm_up(self.service)  # "ready" = loaded and a first chunk answered, as on the command line
        except BaseException as exc:  # noqa: BLE001 (everything goes back to the window)
            reason = user_message(exc)
            kept = self.service.info if self.service.is_ready() else None
            if kept is not None:
                self.failed.emit(f"could not switch to {self.source or 'the built-in model'}: {reason}")
                self.finished.emit(kept)
            else:
                self.failed.emit(reason)
            return
        self.finished.emit(info)


class AnalysisWorker(QObject):
    """Decode + analyse one file. Signals carry detector objects unchanged."""

    started = Signal(str)              # path
    progress = Signal(str, int, int)   # stage ("decoding" | "analysing"), done, total
    audio_ready = Signal(object, object)  # DecodedAudio, EnvelopePyramid
    chunk_ready = Signal(object)       # ChunkResult
    finished = Signal(object)          # AnalysisResult
    failed = Signal(str)               # one-line reason
    cancelled = Signal()

    def __init__(self, path: str | Path, service: Any, options: Any, *, batch_delay_s: float = 0.0,
                 resume: Any = (), resume_sha256: str | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.service = service
        self.options = options
        # Chunks a cancelled run of this file classified (same model and settings: the caller checks);
        # kept only if the file still has the hash it had then.
        self.resume = tuple(resume)
        self.resume_sha256 = resume_sha256
        self._cancel = threading.Event()
        # Only for tests/demos: a pause per batch so a short file takes long enough to cancel.
        self._batch_delay_s = batch_delay_s

    def cancel(self) -> None:
        """Thread-safe: the worker stops at the next block or batch."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    @Slot()
    def run(self) -> None:
        from detector.analysis import analyze_audio
        from detector.audio import load_audio

        from desktop.waveform_view import EnvelopePyramid

        self.started.emit(str(self.path))
        try:
            if self.is_cancelled():
                raise AnalysisCancelled("cancelled")
            audio = load_audio(
                self.path,
                progress=lambda f: self.progress.emit("decoding", int(round(1000 * f)), 1000),
                cancel=self.is_cancelled,
            )
            if self.is_cancelled():
                raise AnalysisCancelled("cancelled")
            pyramid = EnvelopePyramid.build(audio.samples, audio.sample_rate)
            self.audio_ready.emit(audio, pyramid)

            def on_progress(done: int, total: int) -> None:
                self.progress.emit("analysing", done, total)
                if self._batch_delay_s:
                    time.sleep(self._batch_delay_s)

            resume = self.resume if self.resume and audio.info.sha256 == self.resume_sha256 else ()
            result = analyze_audio(audio, self.service, self.options, progress=on_progress,
                                   cancel=self.is_cancelled, on_chunk=self.chunk_ready.emit, resume=resume)
        except AnalysisCancelled:
            self.cancelled.emit()
            return
        except BaseException as exc:  # noqa: BLE001
            if self.is_cancelled():
                self.cancelled.emit()
            else:
                self.failed.emit(user_message(exc))
            return
        if self.is_cancelled():
            self.cancelled.emit()
        else:
            self.finished.emit(result)


class WorkerThread(QObject):
    """One worker on its own QThread; the thread quits when the worker reports an end signal."""

    def __init__(self, worker: QObject, end_signals: list[Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(type(worker).__name__)
        _ALL_THREADS.add(self.thread)
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        for sig in end_signals:
            sig.connect(self.thread.quit)

    def start(self) -> None:
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def stop(self, timeout_ms: int = 60000) -> bool:
        """Cancel (if the worker can) and join the thread; True when it has ended."""
        cancel = getattr(self.worker, "cancel", None)
        if cancel is not None:
            cancel()
        if self.thread.isRunning():
            self.thread.quit()
            return self.thread.wait(timeout_ms)
        return True
