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
    items = q.add_paths([write_audio("a.wav", 1.0), write_audio("b.wav", 1.5)])
    got = []
    q.item_selected.connect(got.append)
    q.select_item(items[1])
    assert got == [items[1]] and q.current_queue_item() is items[1]


def test_a_file_already_queued_by_path_or_content_is_not_added_twice(qtbot, write_audio, tmp_path):
    import shutil

    import numpy as np

    from desktop.file_queue import FileQueue

    q = FileQueue()
    qtbot.addWidget(q)
    a = write_audio("a.wav", 2.0)
    copy = tmp_path / "copy-of-a.wav"
    shutil.copy(a, copy)
    other = write_audio("other.wav", 2.0, signal=np.zeros(32000, dtype=np.float32))  # same size, other content
    (first,) = q.add_paths([a])
    added = q.add_paths([a, copy, other])
    assert [it.path for it in added] == [other]
    assert q.duplicates == [(a, first), (copy, first)]
    assert len(q.items) == 2 and q.topLevelItemCount() == 2


def test_rows_can_be_removed_but_not_the_running_one_and_delete_asks_for_the_selection(qtbot, write_audio):
    from PySide6.QtCore import Qt

    from desktop.file_queue import FileQueue, ItemState

    q = FileQueue()
    qtbot.addWidget(q)
    a, b, c = q.add_paths([write_audio(f"{n}.wav", 1.0 + i / 2) for i, n in enumerate("abc")])
    q.set_state(a, ItemState.RUNNING)
    q.set_state(b, ItemState.DONE)
    assert q.remove_items([a, b]) == [b] and q.items == [a, c] and q.topLevelItemCount() == 2
    asked = []
    q.remove_requested.connect(asked.append)
    q.select_item(c)
    qtbot.keyClick(q, Qt.Key.Key_Delete)
    assert asked == [[c]]
    menu = q.build_context_menu()
    labels = {act.text().split("\t")[0]: act.isEnabled() for act in menu.actions() if act.text()}
    assert labels == {"Analyse again": True, "Remove from queue": True, "Clear finished files": False}


def test_long_names_are_elided_in_the_middle_so_the_extension_stays(qtbot, write_audio):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QStyleOptionViewItem

    from desktop.file_queue import FileQueue

    q = FileQueue()
    qtbot.addWidget(q)
    (item,) = q.add_paths([write_audio("a-very-long-interview-recording-name-2024-03-07-final.wav", 1.0)])
    option = QStyleOptionViewItem()
    q.itemDelegateForColumn(0).initStyleOption(option, q.model().index(0, 0))
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
    assert q.itemDelegateForColumn(2) is None  # the verdict column keeps its start
