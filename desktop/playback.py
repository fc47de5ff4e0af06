"""Play the selected chunk with QtMultimedia (``QAudioSink`` over 16-bit PCM in memory).

QtMultimedia needs PulseAudio/PipeWire libraries on Linux and an output
device; when either is missing the player reports ``available == False``
with the reason (shown as the Play button's tooltip) and never raises.
Set ``FAIK_NO_AUDIO=1`` to disable playback explicitly (tests do).
"""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QTimer, Signal


def _probe_multimedia() -> tuple[object | None, str]:
    """Return (QtMultimedia module, "") or (None, reason)."""
    if os.environ.get("FAIK_NO_AUDIO"):
        return None, "Playback is disabled (FAIK_NO_AUDIO is set)."
    try:
        from PySide6 import QtMultimedia
    except Exception as exc:  # noqa: BLE001 (ImportError or a missing libpulse: OSError)
        return None, f"Playback is unavailable: QtMultimedia could not load ({exc}). On Linux install libpulse0."
    try:
        device = QtMultimedia.QMediaDevices.defaultAudioOutput()
    except Exception as exc:  # noqa: BLE001
        return None, f"Playback is unavailable: {exc}"
    if device.isNull():
        return None, "Playback is unavailable: no audio output device was found."
    return QtMultimedia, ""


class ChunkPlayer(QObject):
    """Plays ``samples[start:end]``; reports the play position in recording seconds."""

    position_changed = Signal(float)   # seconds in the recording
    playing_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._mm, self.unavailable_reason = _probe_multimedia()
        self._sink = None
        self._buffer: QBuffer | None = None
        self._start_s = 0.0
        self._end_s = 0.0
        self._timer = QTimer(self, interval=40)
        self._timer.timeout.connect(self._tick)

    @property
    def available(self) -> bool:
        return self._mm is not None

    def is_playing(self) -> bool:
        return self._sink is not None

    def play(self, samples: np.ndarray, sample_rate: int, start_s: float, end_s: float) -> bool:
        """Start playing a span (stops any current playback); False when playback is unavailable."""
        self.stop()
        if self._mm is None:
            return False
        mm = self._mm
        i0, i1 = int(start_s * sample_rate), int(end_s * sample_rate)
        pcm = (np.clip(samples[i0:i1], -1.0, 1.0) * 32767).astype("<i2").tobytes()
        fmt = mm.QAudioFormat()
        fmt.setSampleRate(int(sample_rate))
        fmt.setChannelCount(1)
        fmt.setSampleFormat(mm.QAudioFormat.SampleFormat.Int16)
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(pcm))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._sink = mm.QAudioSink(mm.QMediaDevices.defaultAudioOutput(), fmt, self)
        self._start_s, self._end_s = start_s, end_s
        self._sink.start(self._buffer)
        self._timer.start()
        self.playing_changed.emit(True)
        return True

    def stop(self) -> None:
        if self._sink is not None:
            sink, self._sink = self._sink, None
            sink.stop()
            sink.deleteLater()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None
        if self._timer.isActive():
            self._timer.stop()
            self.playing_changed.emit(False)

    def _tick(self) -> None:
        # Polled rather than connected to stateChanged: PySide6 6.12 cannot convert the
        # QAudio::State argument of that signal to Python ("Cannot call meta function").
        if self._sink is None:
            return
        played = self._start_s + self._sink.processedUSecs() / 1e6
        self.position_changed.emit(min(self._end_s, played))
        done = played >= self._end_s - 0.005
        if done or self._sink.state() in (self._mm.QAudio.State.IdleState, self._mm.QAudio.State.StoppedState):
            self.stop()
