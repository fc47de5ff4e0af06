"""desktop.main_window, as a user drives it: start-up, drop → analysis → plot, export, errors, cancel, settings."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

pytestmark = pytest.mark.timeout(180)


def _analyse(qtbot, window, paths, timeout=60000):
    """Queue files and wait until the queue has nothing left to do."""
    with qtbot.waitSignal(window.queue_idle, timeout=timeout):
        window.add_files(paths)
    return window.queue.items


def _cancel_after(qtbot, window, rows: int) -> None:
    """Press Cancel once the running file has at least ``rows`` chunks in the table; wait for it to stop."""
    qtbot.waitUntil(lambda: window.table.model().rowCount() >= rows, timeout=30000)
    with qtbot.waitSignal(window.analysis_finished, timeout=30000):
        window.cancel_analysis()


def test_window_shows_before_model_is_loaded(qtbot, make_window, tiny_model_dir):
    window = make_window(load=False)
    assert window.isVisible()
    assert window.model_panel.state == "not-loaded"
    states = []
    window.model_state_changed.connect(states.append)
    t0 = time.perf_counter()
    window.load_model(str(tiny_model_dir))
    returned_after = time.perf_counter() - t0
    # load_model only starts a thread: the panel says "loading" at once and the UI thread is free.
    assert window.model_panel.state == "loading"
    assert window.model_panel.busy.isVisibleTo(window)
    assert returned_after < 0.5
    with qtbot.waitSignal(window.model_state_changed, timeout=60000, check_params_cb=lambda s: s == "ready"):
        pass
    assert states == ["loading", "ready"]
    assert window.model_panel.state == "ready"
    assert window.model_panel.field_text("Architecture") == "Wav2Vec2ForSequenceClassification"
    assert window.model_panel.field_text("Labels").startswith("0: fake, 1: real")
    assert len(window.model_panel.field_text("Weights SHA-256")) == 64
    assert not window.model_panel.busy.isVisibleTo(window)


def test_failing_model_shows_reason_and_retry_recovers(qtbot, make_window, tiny_model_dir, tmp_path, write_audio):
    window = make_window(load=False)
    missing = tmp_path / "no-such-model"
    with qtbot.waitSignal(window.model_state_changed, timeout=30000, check_params_cb=lambda s: s == "failed"):
        window.load_model(str(missing))
    panel = window.model_panel
    assert panel.state == "failed"
    assert panel.retry_button.isVisibleTo(window)
    assert "does not exist" in panel.error.text() and "Traceback" not in panel.error.text()
    # A file dropped now waits, and the banner says why.
    (item,) = window.add_files([write_audio("waiting.wav", 3.0)])
    assert item.state.value == "queued" and "Retry" in window.banner.details_text()
    # The user fixes the problem (the folder appears) and presses Retry: the same source loads
    # and the waiting file is analysed.
    shutil.copytree(tiny_model_dir, missing)
    with qtbot.waitSignal(window.queue_idle, timeout=60000):
        qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    assert panel.state == "ready" and not panel.retry_button.isVisibleTo(window)
    assert item.state.value == "done"


def test_drop_analyses_and_draws_one_region_per_chunk_coloured_by_verdict(qtbot, make_window, write_audio,
                                                                          pattern_service):
    from desktop import style

    window = make_window(pattern_service)
    path = write_audio("speech.wav", 16.0)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(window.analysis_finished, timeout=60000):
        window.dropEvent(drop)  # the handler Qt calls on a drop (offscreen Qt has no drag manager)
    assert drop.isAccepted()
    item = window.queue.items[0]
    result = item.result
    assert result is not None and item.state.value == "done"
    assert result.total_chunks == 5  # 16 s at 5 s / 50 %: 0, 2.5, 5, 7.5 and the last moved to 11–16 (1-s rest)
    window.waveform.flush()
    regions = window.waveform.regions()
    assert len(regions) == result.total_chunks
    by_index = {c.chunk_index: c for c in result.chunks}
    for r in regions:
        c = by_index[r["chunk_index"]]
        assert r["color"] == style.BAND_COLOR[c.band]
        assert r["start"] == pytest.approx(c.start_time) and r["end"] == pytest.approx(c.end_time)
    # P(AI) 0.55 is "unsure" (grey), not AI-generated: chunk bands, not the 0.5 threshold, colour the lanes.
    colours = {r["chunk_index"]: r["color"] for r in regions}
    assert colours[4] == style.UNSURE_COLOR and colours[0] == style.AI_COLOR
    alpha = {r["chunk_index"]: r["alpha"] for r in regions}
    assert alpha[0] > alpha[4]  # P(AI) 0.92 vs 0.55
    # Overlapping chunks never share a lane.
    for a in regions:
        for b in regions:
            if a is not b and a["lane"] == b["lane"]:
                assert a["end"] <= b["start"] + 1e-9 or b["end"] <= a["start"] + 1e-9
    # The banner and the table show the detector's fields.
    from detector.wording import describe

    words = describe(result)
    assert window.banner.title_text() == words.headline and window.banner.details_text() == words.explanation
    assert words.chunks in window.banner.evidence_text()
    assert window.table.model().rowCount() == result.total_chunks
    assert window.queue.row_texts(item)[2].startswith(("⚠", "✔", "?", "⊘"))


def test_click_on_a_chunk_selects_it_in_the_table_and_back(qtbot, make_window, write_audio, pattern_service):
    window = make_window(pattern_service)
    _analyse(qtbot, window, [write_audio("speech.wav", 16.0)])
    wf = window.waveform
    wf.flush()
    regions = wf.regions()
    target = next(r for r in regions if r["chunk_index"] == 3)
    # Click in the middle of chunk 3's bar in the lanes plot, through the real mouse path.
    vb = wf.lane_plot.vb
    scene_pt = vb.mapViewToScene(QPointF((target["start"] + target["end"]) / 2, target["lane"] + 0.4))
    widget_pt = wf.mapFromScene(scene_pt)
    qtbot.mouseClick(wf.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(int(widget_pt.x()), int(widget_pt.y())))
    assert wf.selected_chunk == 3
    assert window.table.selected_chunk() == 3
    # And the other way: picking a row highlights the chunk on the plot.
    window.table.selectRow(1)
    assert wf.selected_chunk == 1


def test_exported_json_validates_and_equals_the_result(qtbot, make_window, write_audio, tmp_path):
    from detector.errors import FaikError
    from detector.result import validate_result_dict

    window = make_window()
    src = write_audio("clip.flac", 7.0)
    _analyse(qtbot, window, [src])
    result = window.queue.items[0].result
    out = window.export_json(tmp_path / "clip.faik.json")
    exported = json.loads(out.read_text("utf-8"))
    validate_result_dict(exported)
    assert exported == json.loads(result.to_json())
    assert exported["total_chunks"] == result.total_chunks
    before = src.read_bytes()
    with pytest.raises(FaikError):
        window.export_json(src)  # never over the input
    assert src.read_bytes() == before


def test_summary_of_all_files_lists_results_and_failures(qtbot, make_window, write_audio, tmp_path):
    import csv

    from detector.errors import FaikError

    window = make_window()
    assert not window.export_summary_action.isEnabled()
    with pytest.raises(FaikError, match="no results"):
        window.export_summary(tmp_path / "none.csv")
    bad = tmp_path / "notes.wav"
    bad.write_bytes(b"not audio at all" * 10)
    a, b = write_audio("a.wav", 6.0), write_audio("b.flac", 3.0)
    items = _analyse(qtbot, window, [a, bad, b])
    assert window.export_summary_action.isEnabled()
    out = window.export_summary(tmp_path / "summary.csv")
    rows = {r["file"]: r for r in csv.DictReader(out.read_text("utf-8")[1:].splitlines())}
    assert list(rows) == [str(it.path) for it in items]  # queue order, failures included
    assert rows[str(bad)]["verdict"] == "failed" and rows[str(bad)]["error"]
    for it in (items[0], items[2]):
        row = rows[str(it.path)]
        assert row["verdict"] == it.result.verdict.value and int(row["total_chunks"]) == it.result.total_chunks
    before = a.read_bytes()
    with pytest.raises(FaikError):
        window.export_summary(a)  # never over an input
    assert a.read_bytes() == before


def test_spectrogram_row_can_be_hidden_and_the_choice_is_remembered(qtbot, make_window, write_audio):
    window = make_window()
    _analyse(qtbot, window, [write_audio("s.wav", 6.0)])
    wf = window.waveform
    assert window.spectrogram_box.isChecked() and wf.spectrogram_visible
    assert wf._spec_image.image is not None
    window.resize(1280, 700)
    qtbot.wait(50)
    wave_h = wf.wave_plot.geometry().height()
    window.spectrogram_box.setChecked(False)
    qtbot.waitUntil(lambda: wf.wave_plot.geometry().height() > wave_h + 10, timeout=3000)  # its room goes to the others
    assert not wf.spectrogram_visible
    later = make_window(load=False)  # a new session starts as the user left it
    assert not later.spectrogram_box.isChecked() and not later.waveform.spectrogram_visible
    later.set_spectrogram_visible(True)
    assert later.spectrogram_box.isChecked() and later.waveform.spectrogram_visible


def test_bad_files_show_an_error_and_the_queue_goes_on(qtbot, make_window, write_audio, tmp_path):
    pdf = tmp_path / "report.mp3"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n" * 20)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    good = write_audio("good.wav", 6.0)
    window = make_window()
    items = _analyse(qtbot, window, [pdf, empty, good])
    states = {it.path.name: it.state.value for it in items}
    assert states == {"report.mp3": "error", "empty.wav": "error", "good.wav": "done"}
    for it in items[:2]:
        assert it.message and "Traceback" not in it.message
        assert window.queue.row_texts(it)[1] == "error"
        assert window.queue.row_texts(it)[2] == it.message
    # Selecting a failed file shows its message in the banner; the app stays usable.
    window.queue.select_item(items[0])
    assert items[0].message in window.banner.details_text()
    assert not window.export_json_action.isEnabled()
    window.queue.select_item(items[2])
    assert window.export_json_action.isEnabled()


def test_cancel_stops_the_worker_and_returns_to_idle(qtbot, make_window, write_audio):
    window = make_window(batch_delay_s=0.3)
    long_file = write_audio("long.wav", 120.0)
    second = write_audio("second.wav", 5.0)
    with qtbot.waitSignal(window.model_state_changed, timeout=100, raising=False):
        pass
    got_chunk = []
    window.add_files([long_file, second])
    qtbot.waitUntil(lambda: window.table.model().rowCount() > 0, timeout=30000)
    got_chunk.append(window.table.model().rowCount())
    assert window.cancel_button.isEnabled()
    thread = window.controller.analysis_thread.thread
    with qtbot.waitSignal(window.analysis_finished, timeout=30000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    first, waiting = window.queue.items
    assert first.state.value == "cancelled" and waiting.state.value == "cancelled"
    assert first.result is None
    assert not window.is_busy()
    assert window.progress.format() == "Idle" and not window.cancel_button.isEnabled()
    assert thread.wait(10000)
    # 120 s at 5 s / 50 % is 47 chunks: cancelling stopped it long before the end.
    assert window.table.model().rowCount() < 47


def test_chunk_settings_persist_and_offer_reanalysis(qtbot, make_window, write_audio):
    window = make_window()
    _analyse(qtbot, window, [write_audio("a.wav", 8.0)])
    panel = window.settings_panel
    assert not panel.reanalyse.isVisibleTo(window)
    panel.duration.setValue(2.0)
    panel.overlap.setValue(25)
    assert panel.reanalyse.isVisibleTo(window)  # the result on screen used 5 s / 50 %
    with qtbot.waitSignal(window.queue_idle, timeout=60000):
        qtbot.mouseClick(panel.reanalyse, Qt.MouseButton.LeftButton)
    s = window.queue.items[0].result.summary
    assert (s.chunk_duration_seconds, s.overlap_ratio) == (2.0, 0.25)
    assert not panel.reanalyse.isVisibleTo(window)
    window.close()
    again = make_window(load=False)
    assert again.settings_panel.chunk_settings().chunk_duration == 2.0
    assert again.settings_panel.chunk_settings().overlap == 0.25
    assert again.recent_files()[0].endswith("a.wav")


def test_export_report_writes_html_with_the_verdict_and_hash(qtbot, make_window, write_audio, tmp_path):
    window = make_window()
    src = write_audio("clip.wav", 6.0)
    _analyse(qtbot, window, [src])
    result = window.queue.items[0].result
    out = window.export_report(tmp_path / "clip.html")
    html = out.read_text("utf-8")
    assert "<svg" in html  # the waveform picture (the decoded audio was passed along)
    from detector.audio import file_sha256

    assert file_sha256(src) in html
    assert result.verdict_reason.split(":")[0] in html


def test_dropping_a_folder_queues_its_audio_files_only(qtbot, make_window, write_audio, tmp_path):
    window = make_window(load=False)  # no model: files wait in the queue
    a = write_audio("a.wav", 1.0)
    b = write_audio("b.flac", 1.0)
    (tmp_path / "notes.txt").write_text("not audio")
    assert window.queue_stack.currentWidget() is window.drop_zone
    added = window.handle_drop_urls([QUrl.fromLocalFile(str(tmp_path))])
    assert sorted(it.path.name for it in added) == sorted([a.name, b.name])
    assert window.queue_stack.currentWidget() is window.queue
    assert all(it.state.value == "queued" for it in added)
    assert "Waiting" in window.banner.title_text()


def test_cancel_right_after_start_cancels_before_any_chunk(qtbot, make_window, write_audio):
    window = make_window()
    path = write_audio("minute.wav", 60.0)
    with qtbot.waitSignal(window.analysis_finished, timeout=30000):
        window.add_files([path])
        assert window.is_busy()
        window.cancel_analysis()  # while decoding: the flag is checked between decoded blocks
    item = window.queue.items[0]
    assert item.state.value == "cancelled" and item.result is None
    assert "Cancelled" in window.banner.title_text()
    # The app stays usable: the same file analyses fine afterwards.
    window.queue.select_item(item)
    with qtbot.waitSignal(window.queue_idle, timeout=60000):
        window.reanalyse_shown()
    assert item.state.value == "done" and item.result.total_chunks == 23


def test_clicking_a_chunk_plays_it_when_audio_output_exists(qtbot, make_window, write_audio, monkeypatch):
    """Skipped without an audio output (the default in tests); run with a PulseAudio null sink."""
    monkeypatch.delenv("FAIK_NO_AUDIO", raising=False)
    window = make_window()
    if not window.player.available:
        pytest.skip(window.player.unavailable_reason)
    _analyse(qtbot, window, [write_audio("speech.wav", 12.0)])
    positions = []
    window.player.position_changed.connect(positions.append)
    window.waveform.chunk_selected.emit(2)  # what a click on chunk 2 emits
    assert window.player.is_playing() and window.play_button.text() == "■ Stop"
    with qtbot.waitSignal(window.player.playing_changed, timeout=15000, check_params_cb=lambda on: not on):
        pass
    chunk = window.queue.items[0].result.chunks[2]
    assert chunk.start_time <= positions[0] and positions[-1] == pytest.approx(chunk.end_time, abs=0.05)
    assert window.play_button.text() == "▶ Play chunk"


def test_closing_during_an_analysis_joins_the_worker(qtbot, make_window, write_audio):
    from desktop.workers import running_threads

    window = make_window(batch_delay_s=0.2)
    window.add_files([write_audio("long.wav", 90.0)])
    qtbot.waitUntil(lambda: window.table.model().rowCount() > 0, timeout=30000)
    assert running_threads()
    t0 = time.perf_counter()
    window.close()
    assert running_threads() == []  # joined in closeEvent, not left to die with the process
    assert time.perf_counter() - t0 < 10


def test_open_recent_menu_lists_and_reopens_files(qtbot, make_window, write_audio):
    window = make_window(load=False)
    a = write_audio("first.wav", 1.0)
    window.add_files([a])
    window.recent_menu.aboutToShow.emit()
    actions = [act for act in window.recent_menu.actions() if act.text().endswith("first.wav")]
    assert len(actions) == 1
    actions[0].trigger()  # a second copy of the file is already waiting: not queued twice
    assert [it.path.name for it in window.queue.items] == ["first.wav"]
    # Done: re-opening it adds no second row (Analyse again re-runs it); cancelled: it is queued again.
    item = window.queue.items[0]
    window.queue.set_state(item, item.state.__class__.DONE)
    actions[0].trigger()
    assert window.queue.items == [item] and item.state.value == "done"
    window.queue.set_state(item, item.state.__class__.CANCELLED)
    actions[0].trigger()
    assert window.queue.items == [item] and item.state.value == "queued"


def test_model_details_show_the_models_measured_error_rates(qtbot, make_window):
    import dataclasses

    w = make_window(load=True)  # the tiny test model ships no figures
    assert "No measured error rates" in w.model_panel.field_text("Measured errors")
    info = dataclasses.replace(w.service.info, validation={
        "n": 757, "n_real": 345, "n_fake": 412,
        "channels": {"clean": {"eer": 0.27, "false_alarm_rate": 0.223, "miss_rate": 0.318, "ece": 0.09}}})
    w.model_panel.set_ready(info)
    text = w.model_panel.field_text("Measured errors")
    assert "757 recordings" in text and "called 22% of real recordings AI-generated" in text


def test_an_ai_sounding_stretch_of_a_mostly_real_file_is_outlined_named_and_playable(
        qtbot, make_window, write_audio, pattern_service_with, monkeypatch):
    from desktop.playback import ChunkPlayer

    monkeypatch.setattr(ChunkPlayer, "available", property(lambda self: True))  # no sound device needed
    # 30 s = 11 chunks of 5 s every 2.5 s; chunks 3-5 sound AI-generated, the rest real
    window = make_window(pattern_service_with((0.1, 0.1, 0.1, 0.9, 0.8, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1)))
    played = []
    monkeypatch.setattr(window.player, "play", lambda samples, sr, a, b: played.append((a, b)) or True)
    [item] = _analyse(qtbot, window, [write_audio("interview.wav", 30.0)])
    assert not item.result.is_deepfake
    assert item.result.provenance["ai_stretches"][0]["chunks"] == 3
    assert window.waveform.stretches == [(7.5, 17.5)]
    [edges] = window.waveform._spec_stretch_items  # the same stretch's edges over the spectrogram
    assert tuple(edges.getRegion()) == (7.5, 17.5) and edges in window.waveform.spec_plot.items
    assert "00:07.5–00:17.5 sounds AI-generated (at least 3 AI-sounding chunks in a row" in window.banner.source_text()
    assert window.stretch_button.isVisible() and window.stretch_button.isEnabled()
    qtbot.mouseClick(window.stretch_button, Qt.MouseButton.LeftButton)
    assert played == [(7.5, 17.5)]  # the whole stretch, not one chunk
    # a file without a stretch (the pattern goes on: its one chunk sounds real) hides the button
    [_, short] = _analyse(qtbot, window, [write_audio("short.wav", 4.0)])
    window.show_item(short)
    assert short.result.provenance["ai_stretches"] == [] and not window.stretch_button.isVisible()
    assert window.waveform.stretches == [] and window.waveform._spec_stretch_items == []
    assert edges not in window.waveform.spec_plot.items


def test_playback_unavailable_disables_the_button_with_a_reason(qtbot, monkeypatch):
    from desktop.main_window import MainWindow

    monkeypatch.setenv("FAIK_NO_AUDIO", "1")
    w = MainWindow()
    qtbot.addWidget(w)
    assert not w.player.available
    assert not w.play_button.isEnabled()
    assert "disabled" in w.play_button.toolTip()


def test_streamed_chunks_are_drawn_before_the_result_arrives(qtbot, make_window, write_audio):
    window = make_window(batch_delay_s=0.05)
    seen = []

    def on_chunk_drawn(*_):
        if window.is_busy():
            seen.append(len(window.waveform.regions()))

    window.waveform._chunk_timer.timeout.connect(on_chunk_drawn)
    with qtbot.waitSignal(window.queue_idle, timeout=60000):
        # 90 s = 35 chunks of 5 s: three model calls of up to 16 (one call would leave nothing to stream)
        window.add_files([write_audio("stream.wav", 90.0)])
    assert seen and max(seen) > 0  # regions appeared while the worker was still running
    assert len(window.waveform.regions()) == window.queue.items[0].result.total_chunks


def test_window_opens_within_a_small_screen_and_reopens_as_it_was_left(qtbot, make_window, monkeypatch):
    from PySide6.QtCore import QRect

    from desktop.main_window import MainWindow

    laptop = QRect(0, 0, 1366, 768 - 27)  # a 1366×768 screen less a top panel
    monkeypatch.setattr(MainWindow, "available_geometry", lambda self: laptop)
    first = make_window(load=False)
    g = first.geometry()
    assert laptop.contains(g.adjusted(0, -32, 0, 0)), g  # title bar included
    assert g.height() <= 741 - 40 and g.width() <= 1366
    # The user makes it smaller, moves it and drags the splitters; a restart brings all of it back.
    first.setGeometry(QRect(100, 80, 700, 560))
    first.main_split.setSizes([300, 400])
    first.right_split.setSizes([200, 250])
    sizes = (first.main_split.sizes(), first.right_split.sizes())
    first.close()
    again = make_window(load=False)
    assert again.geometry() == QRect(100, 80, 700, 560)
    assert (again.main_split.sizes(), again.right_split.sizes()) == sizes
    # Next time on a smaller screen: shrunk and moved inside it, never off the edge.
    again.close()
    small = QRect(0, 0, 1024, 600)
    monkeypatch.setattr(MainWindow, "available_geometry", lambda self: small)
    third = make_window(load=False)
    assert small.contains(third.geometry().adjusted(-8, -32, 8, 8)), third.geometry()


def test_every_control_is_reachable_at_1280x720(qtbot, make_window):
    window = make_window(load=True)
    window.resize(1280, 720 - 40)
    qtbot.wait(50)
    assert window.height() <= 720 - 40  # the layout's minimum does not force it taller
    rect = window.rect()
    for widget in (window.settings_panel.duration, window.settings_panel.overlap, window.progress,
                   window.cancel_button, window.statusBar(), window.table, window.play_button,
                   window.model_panel.choose_button):
        assert widget.isVisible(), widget
        box = widget.rect().translated(widget.mapTo(window, widget.rect().topLeft()))
        assert rect.contains(box), (widget, box, rect)


def test_an_out_of_range_entry_is_refused_and_files_wait_for_the_users_own_value(qtbot, make_window, write_audio):
    window = make_window()
    panel = window.settings_panel
    panel.duration.lineEdit().selectAll()
    qtbot.keyClicks(panel.duration.lineEdit(), "40")
    assert panel.duration.value() == 40.0 and "outside 1–30 s" in panel.problem.text()
    (item,) = window.add_files([write_audio("a.wav", 6.0)])
    qtbot.wait(200)
    assert item.state.value == "queued" and not window.is_busy()  # never run with 4 s or 30 s
    assert "correct the chunk settings" in window.progress.format()
    assert "outside 1–30 s" in window.banner.details_text()
    with qtbot.waitSignal(window.queue_idle, timeout=60000):
        panel.duration.lineEdit().selectAll()
        qtbot.keyClicks(panel.duration.lineEdit(), "3")  # the user's own value: now it runs
    assert item.result.summary.chunk_duration_seconds == 3.0
    from desktop.settings_store import load_chunk_settings

    assert load_chunk_settings().chunk_duration == 3.0  # the refused 40 was never stored


def test_cancel_keeps_the_chunks_already_classified_and_offers_to_analyse_again(qtbot, make_window, write_audio):
    window = make_window(batch_delay_s=0.2)
    window.add_files([write_audio("long.wav", 60.0)])
    _cancel_after(qtbot, window, 3)
    (item,) = window.queue.items
    kept = len(item.extra["chunks"])
    assert item.state.value == "cancelled" and item.result is None and item.extra["partial"]
    assert kept >= 3 and window.table.model().rowCount() == kept and len(window.waveform.regions()) == kept
    assert f"{kept} chunks classified before Cancel (of 23)" in window.banner.details_text()
    assert "no verdict" in window.banner.details_text()
    assert item.message == f"cancelled after {kept} of 23 chunks"
    assert window.rerun_button.isVisibleTo(window) and window.rerun_button.isEnabled()
    assert "it continues after these chunks" in window.banner.details_text()
    window.controller.batch_delay_s = 0.0
    asked, predict = [], window.service.predict_proba
    window.service.predict_proba = lambda chunks: asked.append(len(chunks)) or predict(chunks)
    with qtbot.waitSignal(window.queue_idle, timeout=60000):
        qtbot.mouseClick(window.rerun_button, Qt.MouseButton.LeftButton)
    assert item.state.value == "done" and item.result.total_chunks == 23 and "partial" not in item.extra
    assert not window.rerun_button.isVisibleTo(window)
    # it continued after the kept chunks: only the rest went to the model, and the result says so
    assert sum(asked) == 23 - kept and item.result.provenance["resumed_chunks"] == kept
    assert window.table.model().rowCount() == 23 and len(window.waveform.regions()) == 23


def test_a_cancelled_file_starts_over_when_the_settings_changed_meanwhile(qtbot, make_window, write_audio):
    window = make_window(batch_delay_s=0.2)
    window.add_files([write_audio("long.wav", 60.0)])
    _cancel_after(qtbot, window, 2)
    (item,) = window.queue.items
    assert item.extra["chunks"]
    window.controller.batch_delay_s = 0.0
    window.settings_panel.duration.setValue(4.0)  # the kept 5-s chunks no longer fit
    with qtbot.waitSignal(window.queue_idle, timeout=60000):
        qtbot.mouseClick(window.rerun_button, Qt.MouseButton.LeftButton)
    assert item.state.value == "done" and item.result.summary.chunk_duration_seconds == 4.0
    assert "resumed_chunks" not in item.result.provenance
    assert [c.chunk_index for c in item.result.chunks] == list(range(item.result.total_chunks))


def test_a_duplicate_drop_is_ignored_and_the_queue_lights_up_under_a_drag(qtbot, make_window, write_audio):
    window = make_window()
    path = write_audio("speech.wav", 4.0)
    _analyse(qtbot, window, [path])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert window.queue_stack.currentWidget() is window.queue and window.queue.drop_highlighted
    window.dragLeaveEvent(None)
    assert not window.queue.drop_highlighted
    assert window.handle_drop_urls([QUrl.fromLocalFile(str(path))]) == []
    assert len(window.queue.items) == 1 and window.queue.items[0].state.value == "done"
    assert "Already in the queue: speech.wav" in window.statusBar().currentMessage()


def test_delete_removes_finished_files_and_an_empty_queue_shows_the_drop_zone(qtbot, make_window, write_audio):
    window = make_window()
    a, b = _analyse(qtbot, window, [write_audio("a.wav", 3.0), write_audio("b.wav", 3.5)])
    window.queue.select_item(b)
    window.queue.setFocus()
    qtbot.keyClick(window.queue, Qt.Key.Key_Delete)
    assert window.queue.items == [a]
    assert window.banner.title_text() != "" and window._shown is not b
    window.clear_finished()
    assert window.queue.items == [] and window.queue_stack.currentWidget() is window.drop_zone
    assert window.banner.title_text() == "No result yet" and not window.export_json_action.isEnabled()


def test_dark_theme_text_and_plots_take_their_colours_from_the_palette(qtbot, make_window, qapp, tmp_path):
    import re

    from desktop import style
    from desktop.theme import dark_palette

    def css_color(widget):
        return re.search(r"color:\s*(#[0-9A-Fa-f]{6})", widget.styleSheet()).group(1)

    light = qapp.palette()
    qapp.setPalette(dark_palette())
    try:
        window = make_window(load=False)
        window.apply_palette()
        bg = window.palette().window().color().name()
        assert style.is_dark(window.palette())
        assert style.contrast_ratio(css_color(window.legend), bg) >= 4.5
        assert style.contrast_ratio(window.drop_zone.text_color, window.palette().base().color().name()) >= 4.5
        banner = window.banner.text_colors
        assert style.contrast_ratio(banner["evidence"], banner["background"]) >= 4.5
        assert style.contrast_ratio(banner["source"], banner["background"]) >= 4.5
        assert style.contrast_ratio(banner["title"], banner["background"]) >= 3.0  # 22-pt title: large text
        assert style.contrast_ratio(window.settings_panel.problem_color, bg) >= 4.5
        plots = window.waveform.plot_colors
        assert plots.background == window.palette().base().color().name()  # not white
        assert window.waveform.backgroundBrush().color().name() == plots.background
        assert style.contrast_ratio(plots.text, plots.background) >= 4.5
    finally:
        qapp.setPalette(light)


def test_desktop_keys_space_home_f1_and_the_export_summary_shortcut(qtbot, make_window, write_audio, monkeypatch):
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QApplication

    window = make_window()
    assert window.play_action.shortcut() == QKeySequence(Qt.Key.Key_Space)
    assert window.fit_action.shortcut() == QKeySequence(Qt.Key.Key_Home)
    assert window.help_action.shortcut() == QKeySequence(Qt.Key.Key_F1)
    assert window.export_summary_action.shortcut() == QKeySequence("Ctrl+Shift+S")
    _analyse(qtbot, window, [write_audio("a.wav", 30.0)])
    window.activateWindow()
    window.waveform.wave_plot.setXRange(10.0, 12.0, padding=0)
    toggled = []
    monkeypatch.setattr(window, "toggle_playback", lambda: toggled.append(1))
    window.table.setFocus()
    window.play_action.trigger()  # Space goes through the action (a real key press reaches it the same way)
    assert toggled == [1]
    # A focused check box keeps Space for itself (keyboard use): it toggles, nothing plays.
    monkeypatch.setattr(QApplication, "focusWidget", staticmethod(lambda: window.spectrogram_box))
    shown = window.spectrogram_box.isChecked()
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.spectrogram_box.isChecked() != shown, timeout=2000)
    assert toggled == [1]
    monkeypatch.undo()
    qtbot.keyClick(window.table, Qt.Key.Key_Home)
    window.fit_action.trigger()
    lo, hi = window.waveform.wave_plot.viewRange()[0]
    assert lo == pytest.approx(0.0, abs=0.01) and hi == pytest.approx(30.0, abs=0.05)
    window.help_action.trigger()
    text = window.help_dialog.text()
    assert "evidence, not proof" in text and "MODEL_CARD.md" in text and "Space" in text
    window.help_dialog.close()


def test_about_names_app_and_model_versions_and_the_licences(qtbot, make_window):
    from desktop.help_text import about_html

    window = make_window()
    text = about_html(window.service.info)
    assert "fAIk Desktop 0.1.0" in text and window.service.info.name in text
    assert "MIT licence" in text and "LGPL-3.0" in text and "PyTorch" in text


def test_progress_shows_elapsed_and_remaining_time_on_a_long_analysis(qtbot, make_window, write_audio):
    # batches slower than the controller's PROGRESS_EVERY_S, so every report reaches the bar
    window = make_window(batch_delay_s=0.3)
    formats = []
    window.controller.progress.connect(lambda *_: formats.append(window.progress.format()))
    _analyse(qtbot, window, [write_audio("long.wav", 60.0)])
    assert any("elapsed, about" in f and "left" in f for f in formats), formats[-3:]
    assert all(f.startswith("Decoding") or "chunks ·" in f for f in formats)


def test_fast_progress_reports_are_thinned_but_the_last_one_always_arrives(qtbot, make_window, write_audio):
    """A long file's ~500 batch reports each repainted the bar and the queue row; the window passes on
    at most one per PROGRESS_EVERY_S (issue 34: window as fast as the command line)."""
    window = make_window()
    reports = []
    window.controller.progress.connect(lambda item, stage, done, total: reports.append((stage, done, total)))
    items = _analyse(qtbot, window, [write_audio("long.wav", 120.0)])
    analysing = [r for r in reports if r[0] == "analysing"]
    total = items[0].result.total_chunks
    assert total >= 40 and analysing[-1] == ("analysing", total, total)
    assert len(analysing) < total / 8  # fewer than one per batch of 8 chunks
    assert items[0].extra["rate_from"][1] == analysing[0][1]  # the first report still starts the ETA's clock


def test_the_model_is_warmed_up_before_the_window_says_ready(qtbot, make_window):
    from detector.model_service import ModelService

    class Counting(ModelService):
        warmed = 0

        def warm_up(self, seconds: float = 5.0) -> None:
            super().warm_up(seconds)
            Counting.warmed += 1

    window = make_window(Counting())
    assert window.model_panel.state == "ready" and Counting.warmed == 1


def test_a_finished_files_status_message_goes_when_another_file_is_shown(qtbot, make_window, write_audio):
    window = make_window()
    a, b = write_audio("first.wav", 3.0), write_audio("second.wav", 4.0)
    items = _analyse(qtbot, window, [a, b])
    # first.wav stayed on screen (a finished file is not replaced by the next one running), so the
    # message about second.wav says it finished in the background, not "second.wav: analysed in"
    assert window._shown is items[0]
    message = window.statusBar().currentMessage()
    assert message.startswith("second.wav finished in the background: analysed in") and "Select it" in message
    assert items[1].result.total_chunks == 1 and "s (1 chunk)." in message and "Tip" not in message
    window.show_item(items[1])  # the file it is about: the message stays
    assert window.statusBar().currentMessage() == message
    window.show_item(items[0])
    assert "second.wav" not in window.statusBar().currentMessage()
    window.statusBar().showMessage("Saved report.html", 8000)  # not about a file: selection leaves it
    window.show_item(items[1])
    assert window.statusBar().currentMessage() == "Saved report.html"


def test_the_file_on_screen_finishing_gets_the_timing_and_the_tip(qtbot, make_window, write_audio):
    window = make_window()
    item = _analyse(qtbot, window, [write_audio("only.wav", 3.0)])[0]
    assert window._shown is item
    message = window.statusBar().currentMessage()
    assert message.startswith("only.wav: analysed in") and "(1 chunk). Tip: mouse wheel zooms" in message


def test_a_cancelled_file_that_changed_on_disk_is_analysed_from_the_start(qtbot, make_window, write_audio):
    import soundfile as sf

    window = make_window(batch_delay_s=0.2)
    path = write_audio("edited.wav", 60.0)
    window.add_files([path])
    _cancel_after(qtbot, window, 2)
    x, sr = sf.read(path, dtype="float32")
    sf.write(path, x[::-1].copy(), sr)  # the recording was edited meanwhile: its old chunks say nothing now
    window.controller.batch_delay_s = 0.0
    with qtbot.waitSignal(window.queue_idle, timeout=60000):
        qtbot.mouseClick(window.rerun_button, Qt.MouseButton.LeftButton)
    (item,) = window.queue.items
    assert item.state.value == "done" and "resumed_chunks" not in item.result.provenance
