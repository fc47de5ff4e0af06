"""desktop.chunk_table: rows in chunk order, streamed rows, selection without echo."""

from __future__ import annotations

from PySide6.QtCore import Qt

from detector.chunking import ChunkSettings, plan_chunks
from detector.result import ChunkResult


def _chunks(probs):
    spans = plan_chunks(16000 * 5 * len(probs), 16000, ChunkSettings(5.0, 0.0))
    return [ChunkResult.from_probabilities(s, p, 1 - p) for s, p in zip(spans, probs)]


def test_rows_show_times_and_what_each_chunk_sounds_like(qtbot):
    from desktop.chunk_table import ChunkTable

    table = ChunkTable()
    qtbot.addWidget(table)
    chunks = _chunks([0.9, 0.2])
    table.table_model.set_chunks(chunks[:1])
    table.table_model.append(chunks[1])  # a streamed chunk
    m = table.table_model
    assert m.rowCount() == 2
    assert [m.index(1, c).data() for c in range(m.columnCount())][:3] == ["1", "00:05.0", "00:10.0"]
    assert m.index(0, 4).data() == "0.900" and m.index(1, 4).data() == "0.200"
    assert m.index(0, 3).data(Qt.ItemDataRole.ForegroundRole).color().name() != \
        m.index(1, 3).data(Qt.ItemDataRole.ForegroundRole).color().name()  # AI and real differ


def test_select_chunk_from_the_plot_does_not_echo_but_a_user_pick_does(qtbot):
    from desktop.chunk_table import ChunkTable

    table = ChunkTable()
    qtbot.addWidget(table)
    table.table_model.set_chunks(_chunks([0.9, 0.2, 0.7]))
    picked = []
    table.chunk_selected.connect(picked.append)
    table.select_chunk(2)
    assert table.selected_chunk() == 2 and picked == []
    table.selectRow(1)
    assert picked == [1]
    table.select_chunk(99)  # unknown chunk: nothing happens
    assert table.selected_chunk() == 1


def test_streamed_chunks_arrive_together_and_a_new_result_drops_those_still_waiting(qtbot):
    """One row insert per streamed chunk slowed a 3-hour analysis in the window; rows now come in groups."""
    from desktop.chunk_table import ChunkTable

    table = ChunkTable()
    qtbot.addWidget(table)
    m = table.table_model
    inserts = []
    m.rowsInserted.connect(lambda parent, first, last: inserts.append((first, last)))
    chunks = _chunks([0.9, 0.2, 0.5, 0.7])
    for c in chunks[:3]:
        m.stream(c)
    assert m.rowCount() == 0  # not yet: they wait for the flush
    qtbot.waitUntil(lambda: m.rowCount() == 3, timeout=2000)
    assert inserts == [(0, 2)]  # one insert for the three
    m.stream(chunks[3])
    m.set_chunks(chunks[:1])  # another file shown: its rows only
    qtbot.wait(m.STREAM_FLUSH_MS + 100)
    assert m.rowCount() == 1
