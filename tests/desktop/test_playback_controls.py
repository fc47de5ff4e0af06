"""desktop.playback_controls: what Play chunk / Play stretch play, and the buttons' state."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPushButton

from desktop.playback_controls import PlaybackControls
from detector.chunking import ChunkSettings, plan_chunks
from detector.result import ChunkResult


class FakePlayer(QObject):
    position_changed = Signal(float)
    playing_changed = Signal(bool)

    def __init__(self):
        super().__init__()
        self.available, self.unavailable_reason, self.played, self._on = True, "", [], False

    def play(self, samples, sr, t0, t1):
        self.played.append((t0, t1))
        self._on = True
        self.playing_changed.emit(True)
        return True

    def stop(self):
        self._on = False
        self.playing_changed.emit(False)

    def is_playing(self):
        return self._on


class FakeWaveform:
    def __init__(self):
        self.selected_chunk, self.cursor = None, "unset"

    def set_cursor(self, s):
        self.cursor = s


def _setup(qtbot, stretches=()):
    spans = plan_chunks(16000 * 20, 16000, ChunkSettings(5.0, 0.0))
    chunks = [ChunkResult.from_probabilities(s, 0.9, 0.1) for s in spans]
    item = SimpleNamespace(result=SimpleNamespace(chunks=chunks, provenance={"ai_stretches": list(stretches)}),
                           audio=SimpleNamespace(samples=np.zeros(16000 * 20, np.float32), sample_rate=16000),
                           extra={})
    play, stretch = QPushButton(), QPushButton()
    qtbot.addWidget(play)
    qtbot.addWidget(stretch)
    player, wave = FakePlayer(), FakeWaveform()
    controls = PlaybackControls(player, wave, play, stretch, lambda: item)
    return controls, player, wave, play, stretch


def test_play_toggles_the_selected_chunk_and_the_button_says_stop(qtbot):
    controls, player, wave, play, _ = _setup(qtbot)
    controls.update_buttons()
    assert not play.isEnabled()  # nothing selected
    wave.selected_chunk = 2
    controls.update_buttons()
    play.click()
    assert player.played == [(10.0, 15.0)] and play.text() == "■ Stop"
    play.click()
    assert not player.is_playing() and play.text() == "▶ Play chunk" and wave.cursor is None


def test_play_stretch_plays_the_stretch_under_the_selected_chunk_whole(qtbot):
    stretches = [{"start_time": 0.0, "end_time": 5.0}, {"start_time": 10.0, "end_time": 20.0}]
    controls, player, wave, _, stretch = _setup(qtbot, stretches)
    controls.update_buttons()
    assert stretch.isEnabled() and "first of the 2" in stretch.toolTip()
    wave.selected_chunk = 3  # 15–20 s, inside the second stretch
    stretch.click()
    assert player.played == [(10.0, 20.0)]
