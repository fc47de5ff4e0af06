"""desktop.file_queue: folders expanded, states shown per row, the current row reported."""

from __future__ import annotations


def test_folders_expand_to_supported_files_and_named_files_are_kept(qtbot, tmp_path, write_audio):
    from desktop.file_queue import FileQueue, ItemState

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.txt").write_text("x")
    a = write_audio("in/a.wav", 1.0)
    odd = tmp_path / "odd.xyz"
    odd.write_text("x")
    q = FileQueue()
    qtbot.addWidget(q)
    added = q.add_paths([folder, odd])
    assert [it.path for it in added] == [a, odd]  # the folder's text file is skipped, the named one kept
    assert q.row_texts(added[0]) == ("a.wav", "queued", "")
    q.set_state(added[1], ItemState.ERROR, "unsupported format")
    assert q.row_texts(added[1])[1:] == ("error", "unsupported format")
    assert q.next_queued() is added[0]


def test_selecting_a_row_reports_its_item(qtbot, write_audio):
    from desktop.file_queue import FileQueue

    q = FileQueue()
    qtbot.addWidget(q)
    items = q.add_paths([write_audio("a.wav", 1.0), write_audio("b.wav", 1.0)])
    got = []
    q.item_selected.connect(got.append)
    q.select_item(items[1])
    assert got == [items[1]] and q.current_queue_item() is items[1]
