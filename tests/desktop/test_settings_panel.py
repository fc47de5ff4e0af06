"""desktop.settings_panel: the chunk-settings fields and the offer to re-analyse."""

from __future__ import annotations

from detector.chunking import ChunkSettings


def test_starts_from_the_given_settings_and_announces_each_change(qtbot):
    from desktop.settings_panel import SettingsPanel

    panel = SettingsPanel(ChunkSettings(chunk_duration=3.0, overlap=0.2))
    qtbot.addWidget(panel)
    assert panel.chunk_settings() == ChunkSettings(chunk_duration=3.0, overlap=0.2)
    with qtbot.waitSignal(panel.settings_changed, timeout=1000) as blocker:
        panel.duration.setValue(4.0)
    assert blocker.args == [ChunkSettings(chunk_duration=4.0, overlap=0.2)]


def test_offers_reanalysis_only_when_the_shown_result_used_other_settings(qtbot):
    from desktop.settings_panel import SettingsPanel

    panel = SettingsPanel(ChunkSettings())
    qtbot.addWidget(panel)
    panel.show()
    panel.set_result_settings(ChunkSettings())
    assert not panel.reanalyse.isVisible()
    panel.overlap.setValue(25)
    assert panel.reanalyse.isVisible() and "50% overlap" in panel.hint.text()
    panel.set_result_settings(None)  # nothing analysed on screen: nothing to offer
    assert not panel.reanalyse.isVisible()


def test_out_of_range_entries_stay_as_typed_with_a_message_and_give_no_settings(qtbot):
    from PySide6.QtCore import Qt

    from desktop.settings_panel import SettingsPanel

    panel = SettingsPanel(ChunkSettings())
    qtbot.addWidget(panel)
    panel.show()
    assert panel.duration_limits.text() == "1–30 s" and panel.overlap_limits.text() == "0–90 %"
    saved, validity = [], []
    panel.settings_changed.connect(saved.append)
    panel.validity_changed.connect(validity.append)
    for field, typed, value in ((panel.duration, "40", 40.0), (panel.duration, "0.5", 0.5),
                                (panel.overlap, "95", 95)):
        field.lineEdit().selectAll()
        qtbot.keyClicks(field.lineEdit(), typed)
        qtbot.keyClick(field.lineEdit(), Qt.Key.Key_Return)
        field.clearFocus()
        assert field.value() == value, (typed, field.text())  # not 4 s, not 1 s, not 9 %
        assert panel.chunk_settings() is None
        assert panel.problem.isVisible() and ("1–30 s" in panel.problem.text() or "0–90 %" in panel.problem.text())
        field.setValue(5.0 if field is panel.duration else 50)
    assert validity[0] is False and validity[-1] is True
    assert all(ChunkSettings(s.chunk_duration, s.overlap) == s for s in saved)  # only valid values announced
    assert all(1.0 <= s.chunk_duration <= 30.0 and s.overlap <= 0.9 for s in saved)
    # The arrows stop at the limits.
    panel.duration.setValue(30.0)
    panel.duration.stepBy(3)
    assert panel.duration.value() == 30.0 and panel.is_valid()
