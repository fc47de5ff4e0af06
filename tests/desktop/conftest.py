"""Fixtures for the window tests: isolated QSettings, no audio device, a loaded tiny model."""

from __future__ import annotations

import itertools
import os
import threading

import numpy as np
import pytest

os.environ.setdefault("FAIK_NO_AUDIO", "1")  # tests never need audio hardware

pytest.importorskip("pytestqt")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Point the app's INI settings at a temp folder so tests never touch the user's."""
    from PySide6.QtCore import QSettings

    folder = tmp_path / "qsettings"
    folder.mkdir()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture(autouse=True)
def no_thread_left_running(qapp):
    """Fail a test that leaves one of the app's worker QThreads running."""
    yield
    from desktop.workers import running_threads

    assert running_threads() == [], "a worker QThread is still running after the test"


class PatternService:
    """A real ModelService (tiny model) whose P(AI) follows a fixed pattern per chunk, in call order.

    The random tiny model gives every chunk the same class; the pattern gives both
    classes and known confidences, so the test can check the colours per chunk.
    """

    PATTERN = (0.92, 0.15, 0.71, 0.40, 0.55, 0.05)

    def __new__(cls, pattern: tuple[float, ...] | None = None):  # built at runtime: the import stays lazy
        from detector.model_service import ModelService

        use = tuple(pattern or PatternService.PATTERN)

        class _Svc(ModelService):
            def __init__(self) -> None:
                super().__init__()
                self._counter = itertools.count()
                self._clock = threading.Lock()

            def warm_up(self, seconds: float = 5.0) -> None:
                super().warm_up(seconds)
                self._counter = itertools.count()  # the pattern starts at the first analysed chunk

            def predict_proba(self, chunks):
                real = super().predict_proba(chunks)  # keeps the real path (readiness checks, shapes)
                with self._clock:
                    ks = [next(self._counter) for _ in chunks]
                p_ai = np.array([use[k % len(use)] for k in ks])
                assert real.shape == (len(chunks), 2)
                return np.stack([p_ai, 1.0 - p_ai], axis=1)

        return _Svc()


@pytest.fixture
def pattern_service():
    """A fresh :class:`PatternService` (not yet loaded)."""
    return PatternService()


@pytest.fixture
def pattern_service_with():
    """``pattern_service_with(pattern)`` → a fresh :class:`PatternService` with its own P(AI) pattern."""
    return PatternService


@pytest.fixture
def make_window(qtbot, tiny_model_dir):
    """``make_window(service=None, load=True, batch_delay_s=0.0)`` → a shown MainWindow."""
    from desktop.main_window import MainWindow

    windows = []

    def _make(service=None, *, load: bool = True, batch_delay_s: float = 0.0):
        w = MainWindow(service, model_source=str(tiny_model_dir), batch_delay_s=batch_delay_s)
        qtbot.addWidget(w)
        w.show()
        windows.append(w)
        if load:
            with qtbot.waitSignal(w.model_state_changed, timeout=60000,
                                  check_params_cb=lambda s: s in ("ready", "failed")) as blocker:
                w.load_model(str(tiny_model_dir))
            assert blocker.args == ["ready"], w.model_panel.error.text()
        return w

    yield _make
    for w in windows:
        w.close()
