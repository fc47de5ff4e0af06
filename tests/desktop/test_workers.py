"""desktop.workers: messages for the user, and a worker thread that always ends."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)


def test_user_message_keeps_faik_errors_and_names_the_unexpected(capsys):
    from desktop.workers import user_message
    from detector.errors import FaikError

    assert user_message(FaikError("file is empty")) == "file is empty"
    msg = user_message(KeyError("boom"))
    assert msg.startswith("unexpected error (KeyError") and "please report it" in msg
    assert "KeyError" in capsys.readouterr().err  # the details go to stderr, not the window


def test_analysis_worker_streams_chunks_and_cancel_stops_it(qtbot, tiny_model_dir, write_audio):
    from desktop.workers import AnalysisWorker, WorkerThread, running_threads
    from detector.analysis import AnalysisOptions
    from detector.model_service import ModelService

    service = ModelService()
    service.load(str(tiny_model_dir))
    worker = AnalysisWorker(write_audio("a.wav", 6.0), service, AnalysisOptions())
    wt = WorkerThread(worker, [worker.finished, worker.failed, worker.cancelled])
    chunks = []
    worker.chunk_ready.connect(chunks.append)
    with qtbot.waitSignal(worker.finished, timeout=60000) as blocker:
        wt.start()
    assert [c.chunk_index for c in chunks] == [c.chunk_index for c in blocker.args[0].chunks]
    assert wt.stop(10000)
    long = AnalysisWorker(write_audio("b.wav", 60.0), service, AnalysisOptions(), batch_delay_s=0.2)
    wt2 = WorkerThread(long, [long.finished, long.failed, long.cancelled])
    with qtbot.waitSignal(long.cancelled, timeout=30000):
        wt2.start()
        long.cancel()
    assert wt2.stop(10000) and running_threads() == []
