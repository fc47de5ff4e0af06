"""desktop.exports: what File → Export writes, never over an input, refused without a result."""

from __future__ import annotations

import json

import pytest

from desktop.exports import default_path, write_json, write_summary
from desktop.file_queue import ItemState, QueueItem
from detector.chunking import ChunkSettings, plan_chunks
from detector.errors import FaikError
from detector.result import ChunkResult, aggregate


def _item(path, p_ai=0.9):
    spans = plan_chunks(16000 * 6, 16000, ChunkSettings())
    item = QueueItem(path=path, state=ItemState.DONE)
    item.result = aggregate([ChunkResult.from_probabilities(s, p_ai, 1 - p_ai) for s in spans], ChunkSettings())
    return item


def test_json_beside_the_input_never_over_it(tmp_path):
    src = tmp_path / "clip.wav"
    src.write_bytes(b"RIFF")
    item = _item(src)
    assert default_path(item, "json") == tmp_path / "clip.faik.json"
    out = write_json(item, default_path(item, "json"))
    assert json.loads(out.read_text())["total_chunks"] == item.result.total_chunks
    with pytest.raises(FaikError):
        write_json(item, src)  # the input itself
    assert src.read_bytes() == b"RIFF"
    with pytest.raises(FaikError, match="no result"):
        write_json(QueueItem(path=src), tmp_path / "x.json")


def test_summary_lists_results_and_failures_and_needs_one_result(tmp_path):
    done = _item(tmp_path / "a.wav")
    failed = QueueItem(path=tmp_path / "b.wav", state=ItemState.ERROR, message="not audio")
    cancelled = QueueItem(path=tmp_path / "c.wav", state=ItemState.CANCELLED, message="cancelled after 3 of 9 chunks")
    waiting = QueueItem(path=tmp_path / "d.wav")
    with pytest.raises(FaikError):
        write_summary([failed], tmp_path / "s.csv")
    text = write_summary([done, failed, cancelled, waiting], tmp_path / "s.csv").read_text()
    assert "a.wav" in text and "not audio" in text and "cancelled after 3 of 9 chunks" in text
    assert "d.wav" not in text
