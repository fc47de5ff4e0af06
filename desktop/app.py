"""``faik-desktop`` / ``python -m desktop``: start the window (or run the hidden self-test).

The window is shown before anything heavy is imported or loaded; the model
loads on a worker thread right after the event loop starts.

Hidden options: ``--self-test`` (no window: load the model, analyse the
bundled sample, validate the JSON, print one line; used by the PyInstaller
bundle), ``--screenshot PNG`` (analyse the given files, save a picture of
the window when the queue is done, quit) and ``--timings`` (print start-up and
analysis times to stderr).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

_T0 = time.perf_counter()


def resources_dir() -> Path:
    """``resources/`` in a source checkout or a PyInstaller bundle (the same place the model service uses)."""
    from detector.model_service import BUILTIN_MODEL_DIR

    return BUILTIN_MODEL_DIR.parents[1]


def sample_path() -> Path:
    return resources_dir() / "sample" / "sample.flac"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="faik-desktop", description="fAIk Desktop: is this speech AI-generated?")
    p.add_argument("files", nargs="*", help="audio or video files (or folders) to analyse at start")
    p.add_argument("--model", metavar="SRC", default=None,
                   help="model folder or Hugging Face hub id (default: the built-in model)")
    p.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--screenshot", metavar="PNG", default=None, help=argparse.SUPPRESS)
    p.add_argument("--timings", action="store_true", help=argparse.SUPPRESS)
    return p


def self_test(model: str | None) -> int:
    """Load the model, analyse the sample, validate the JSON, print a one-line summary."""
    try:
        from detector.analysis import analyze_file
        from detector.errors import FaikError
        from detector.model_service import ModelService
        from detector.result import validate_result_dict
        from detector.wording import describe

        sample = sample_path()
        if not sample.is_file():
            print(f"self-test FAILED: sample file {sample} is missing", file=sys.stderr)
            return 2
        t0 = time.perf_counter()
        service = ModelService()
        info = service.load(model)
        t1 = time.perf_counter()
        result = analyze_file(sample, service)
        t2 = time.perf_counter()
        d = result.to_dict()
        validate_result_dict(d)
    except FaikError as exc:
        print(f"self-test FAILED: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 (a bundle missing a module must say so, not crash silently)
        print(f"self-test FAILED: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    words = describe(result)  # the window's, the report's and the command line's words
    print(f"self-test OK: model {info.name} ({info.source_kind}) loaded in {t1 - t0:.1f} s; "
          f"{sample.name}: {words.short}; {words.chunks}; analysed in {t2 - t1:.1f} s; JSON valid")
    return 0


def show_note(window, title: str, text: str):
    """A note beside the window that does not block it (the window stays usable); returns the box."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, window)
    box.setModal(False)
    box.show()
    return box


def _import_model_code_meanwhile():
    """Start importing torch and the model code on a thread while Qt builds and shows the window; returns it.

    Why: those imports are most of the model's load (torch 0.7 s, transformers and the model code 1.3 s here),
    and the loader starts only after the window's first paint. Overlapping them with the window's set-up,
    measured offscreen with a file queued (three alternating runs each, issue 34): model ready at 2.65-2.71 s
    instead of 2.93-2.97 s, the window shown at 0.63-0.66 s instead of 0.32-0.33 s — still well under a second.
    The loader's own imports then find the modules loaded, or wait for this thread (Python's per-module locks).
    """
    import threading

    def run() -> None:
        import detector.faik_whisper_model  # noqa: F401  (torch, transformers and the built-in model's code)
        import detector.model_service  # noqa: F401

    thread = threading.Thread(target=run, name="faik-import-model-code", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        return self_test(args.model)

    import os

    preimport = _import_model_code_meanwhile()
    # QtMultimedia reports at start-up which audio back-ends it could not load (PipeWire when
    # PulseAudio is used, ...): noise for a user; real playback problems show in the Play tooltip.
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false;qt.multimedia.ffmpeg=false")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.main_window import APP_TITLE, MainWindow
    from desktop.settings_store import APPLICATION, ORGANIZATION

    def log(event: str) -> None:
        if args.timings:
            print(f"[timing] {event}: {time.perf_counter() - _T0:.2f} s after start (unix {time.time():.3f})",
                  file=sys.stderr, flush=True)

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APP_TITLE)
    icon = resources_dir() / "icons" / "faik-256.png"
    if icon.is_file():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    from desktop.settings_store import recover_damaged_settings

    note = recover_damaged_settings()  # before the window reads its settings
    window = MainWindow(model_source=args.model)
    window.show()
    if note:
        print(f"faik-desktop: {note}", file=sys.stderr)
        show_note(window, "Settings reset", note)
    QTimer.singleShot(0, lambda: log("window shown"))
    window.model_state_changed.connect(lambda s: log(f"model {s}"))
    window.analysis_finished.connect(lambda it: log(f"{it.path.name} {it.state.value} "
                                                    f"({it.extra.get('elapsed_s', 0):.2f} s analysing)"))
    # Start loading after the first paint so the window never waits for torch.
    QTimer.singleShot(0, lambda: window.load_model(args.model))
    if args.files:
        QTimer.singleShot(0, lambda: window.add_files(args.files))
    if args.screenshot:
        def snap() -> None:
            window.waveform.flush()
            app.processEvents()
            window.grab().save(args.screenshot)
            log(f"screenshot saved to {args.screenshot}")
            from detector.memory import peak_rss_mib

            peak = peak_rss_mib()
            if peak is not None:  # read by tests/benchmarks/bench_analyze.py (the window's row)
                log(f"peak RSS {peak:.0f} MiB")
            window.close()

        window.queue_idle.connect(lambda: QTimer.singleShot(500, snap))
        # A model that fails to load leaves the queue waiting: picture the failure instead of hanging.
        window.model_state_changed.connect(lambda s: s == "failed" and QTimer.singleShot(500, snap))
    code = app.exec()
    window.shutdown()
    preimport.join()  # a window closed within its first seconds: let the imports end before Python does
    return code


if __name__ == "__main__":
    raise SystemExit(main())
