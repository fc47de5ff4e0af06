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
