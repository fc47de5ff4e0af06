"""desktop.analysis_controller: the queue runs without the window, one file at a time."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from desktop.analysis_controller import AnalysisController, limit_kept_audio
from desktop.file_queue import FileQueue, ItemState, QueueItem
from detector.chunking import ChunkSettings

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def controller(qtbot, tiny_model_dir):
    from detector.model_service import ModelService

    queue = FileQueue()
    qtbot.addWidget(queue)
    settings = {"now": ChunkSettings(chunk_duration=2.0, overlap=0.0)}
    c = AnalysisController(ModelService(), queue, lambda: settings["now"])
    c.settings = settings
    with qtbot.waitSignal(c.model_ready, timeout=60000):
        c.load_model(str(tiny_model_dir))
    yield c
    c.shutdown()


def test_files_run_in_order_with_the_settings_of_the_moment_and_a_bad_file_does_not_stop_the_queue(
        qtbot, controller, write_audio, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio at all")
    events = []
    controller.run_started.connect(lambda it: events.append(("start", it.path.name)))
    controller.run_ended.connect(lambda it: events.append(("end", it.path.name, it.state)))
    chunks = []
    controller.chunk_ready.connect(lambda it, ch: chunks.append((it.path.name, ch.chunk_index)))
    controller.queue.add_paths([write_audio("a.wav", 6.0), bad, write_audio("c.wav", 4.0)])
    with qtbot.waitSignal(controller.queue_idle, timeout=60000):
        controller.start_next()
    assert events == [("start", "a.wav"), ("end", "a.wav", ItemState.DONE),
                      ("start", "broken.wav"), ("end", "broken.wav", ItemState.ERROR),
                      ("start", "c.wav"), ("end", "c.wav", ItemState.DONE)]
    a, broken, c = controller.queue.items
    assert a.result.summary.chunk_duration_seconds == 2.0 and a.result.total_chunks == 3
    assert [i for name, i in chunks if name == "a.wav"] == [0, 1, 2]  # streamed before the result
    assert broken.message and broken.result is None
    assert not controller.is_busy()


def test_waits_for_the_model_and_says_so(qtbot, write_audio):
    from detector.model_service import ModelService

    queue = FileQueue()
    qtbot.addWidget(queue)
    c = AnalysisController(ModelService(), queue, ChunkSettings)
    queue.add_paths([write_audio("a.wav", 3.0)])
    with qtbot.waitSignal(c.waiting_for_model, timeout=1000):
        c.start_next()
    assert queue.items[0].state == ItemState.QUEUED and not c.is_busy()


def test_requeue_runs_a_finished_file_again_with_new_settings(qtbot, controller, write_audio):
    controller.queue.add_paths([write_audio("a.wav", 6.0)])
    with qtbot.waitSignal(controller.queue_idle, timeout=60000):
        controller.start_next()
    (item,) = controller.queue.items
    controller.settings["now"] = ChunkSettings(chunk_duration=3.0, overlap=0.0)
    with qtbot.waitSignal(controller.queue_idle, timeout=60000):
        assert controller.requeue(item)
    assert item.result.summary.chunk_duration_seconds == 3.0 and item.result.total_chunks == 2


def test_limit_kept_audio_drops_old_samples_but_keeps_the_shown_and_newest():
    def item(n):
        it = QueueItem(path=__import__("pathlib").Path(f"{n}.wav"))
        it.audio = SimpleNamespace(samples=np.zeros(n, dtype=np.float32))
        it.pyramid = SimpleNamespace(samples=it.audio.samples)
        return it

    old, shown, newest = item(600), item(500), item(300)
    limit_kept_audio([old, shown, newest], keep=(newest, shown), budget=1000)
    assert newest.audio is not None and shown.audio is not None
    assert old.audio is None and old.pyramid.samples is None  # the envelope stays for the overview
