"""desktop.playback: the chunk player, and what happens without QtMultimedia or an audio output."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.timeout(120)


def test_playback_survives_a_broken_qtmultimedia(monkeypatch):
    import builtins

    from desktop import playback

    monkeypatch.delenv("FAIK_NO_AUDIO", raising=False)
    real_import = builtins.__import__

    def fake_import(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "PySide6" and fromlist and "QtMultimedia" in fromlist:
            raise ImportError("libpulse.so.0: cannot open shared object file")
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    mm, reason = playback._probe_multimedia()
    assert mm is None and "libpulse" in reason


def test_player_plays_a_span_and_stops_at_its_end(qtbot, monkeypatch):
    """Runs only where an audio output exists (e.g. a PulseAudio null sink); skipped otherwise."""
    from desktop.playback import ChunkPlayer

    monkeypatch.delenv("FAIK_NO_AUDIO", raising=False)
    player = ChunkPlayer()
    if not player.available:
        pytest.skip(player.unavailable_reason)
    sr = 16000
    tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(sr * 3) / sr)).astype(np.float32)
    positions = []
    player.position_changed.connect(positions.append)
    with qtbot.waitSignal(player.playing_changed, timeout=10000, check_params_cb=lambda on: not on):
        assert player.play(tone, sr, 1.0, 1.5)
    assert positions and 1.0 <= positions[0] <= positions[-1] <= 1.5
    assert positions[-1] == pytest.approx(1.5, abs=0.05)
    assert not player.is_playing()
