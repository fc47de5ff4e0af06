"""The Play chunk / Play stretch buttons over a :class:`~desktop.playback.ChunkPlayer`, for the file on screen.

The window builds the buttons and says which queue item is on screen; this
object decides what a click plays (the selected chunk, or the AI-sounding
stretch under it), keeps the buttons' text, state and tooltips right, and
moves the waveform's play cursor.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QPushButton


class PlaybackControls(QObject):
    def __init__(self, player, waveform, play_button: QPushButton, stretch_button: QPushButton,
                 shown: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.player, self.waveform = player, waveform
        self.play_button, self.stretch_button = play_button, stretch_button
        self.shown = shown
        play_button.clicked.connect(self.toggle)
        stretch_button.clicked.connect(self.play_stretch)
        player.position_changed.connect(self.waveform.set_cursor)
        player.playing_changed.connect(self._on_playing_changed)

    def chunk(self, idx: int | None):
        """The shown item's chunk with this index (streamed chunks included), or None."""
        item = self.shown()
        if item is None or idx is None:
            return None
        chunks = item.result.chunks if item.result is not None else item.extra.get("chunks", [])
        return next((c for c in chunks if c.chunk_index == idx), None)

    def stretches(self) -> list[dict]:
        """The shown result's AI-sounding stretches, as the detector listed them."""
        item = self.shown()
        r = item.result if item is not None else None
        return list((r.provenance.get("ai_stretches") or []) if r is not None else [])

    def play_chunk(self, idx: int) -> None:
        chunk, item = self.chunk(idx), self.shown()
        if chunk is None or item is None or item.audio is None or not self.player.available:
            self.update_buttons()
            return
        self.player.play(item.audio.samples, item.audio.sample_rate, chunk.start_time, chunk.end_time)

    def play_stretch(self) -> None:
        """Play the AI-sounding stretch under the selected chunk (else the first one) from start to end."""
        stretches, item = self.stretches(), self.shown()
        if not stretches or item is None or item.audio is None or not self.player.available:
            self.update_buttons()
            return
        chosen = stretches[0]
        chunk = self.chunk(self.waveform.selected_chunk) if self.waveform.selected_chunk is not None else None
        if chunk is not None:
            mid = (chunk.start_time + chunk.end_time) / 2
            chosen = next((st for st in stretches if st["start_time"] <= mid <= st["end_time"]), chosen)
        self.player.play(item.audio.samples, item.audio.sample_rate, float(chosen["start_time"]),
                         float(chosen["end_time"]))

    def toggle(self) -> None:
        """Stop what plays, else play the selected chunk."""
        if self.player.is_playing():
            self.player.stop()
        elif self.waveform.selected_chunk is not None:
            self.play_chunk(self.waveform.selected_chunk)

    def _on_playing_changed(self, playing: bool) -> None:
        if not playing:
            self.waveform.set_cursor(None)
        self.update_buttons()

    def update_buttons(self) -> None:
        playing = self.player.is_playing()
        self.play_button.setText("■ Stop" if playing else "▶ Play chunk")
        item = self.shown()
        has_audio = item is not None and item.audio is not None
        stretches = self.stretches()
        self.stretch_button.setVisible(bool(stretches))
        if not self.player.available:
            for button in (self.play_button, self.stretch_button):
                button.setEnabled(False)
                button.setToolTip(self.player.unavailable_reason)
            return
        self.stretch_button.setEnabled(bool(stretches) and has_audio)
        self.stretch_button.setToolTip(
            f"Play the AI-sounding stretch under the selected chunk, or the first of the {len(stretches)} "
            "outlined on the waveform" if len(stretches) > 1 else "Play the AI-sounding stretch outlined on the waveform")
        ok = has_audio and self.waveform.selected_chunk is not None
        self.play_button.setEnabled(ok or playing)
        self.play_button.setToolTip("Play the selected chunk (clicking a chunk also plays it)" if ok
                                    else "Select a chunk of the file on screen to play it")
