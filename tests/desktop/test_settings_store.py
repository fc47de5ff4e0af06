"""desktop.settings_store: what the window remembers between sessions."""

from __future__ import annotations

from desktop import settings_store as ss
from detector.chunking import ChunkSettings


def test_chunk_settings_round_trip_and_fall_back_on_a_hand_edited_value():
    ss.save_chunk_settings(ChunkSettings(chunk_duration=2.5, overlap=0.25))
    assert ss.load_chunk_settings() == ChunkSettings(chunk_duration=2.5, overlap=0.25)
    store = ss.app_settings()
    store.setValue(ss.KEY_CHUNK, "ninety")
    store.sync()
    assert ss.load_chunk_settings() == ChunkSettings()


def test_recent_files_newest_first_without_duplicates_and_capped(tmp_path):
    paths = [tmp_path / f"f{i}.wav" for i in range(ss.MAX_RECENT + 3)]
    ss.remember_recent(paths[:3])
    ss.remember_recent([paths[1]])
    recent = ss.recent_files()
    assert recent[:3] == [str(paths[1].resolve()), str(paths[0].resolve()), str(paths[2].resolve())]
    ss.remember_recent(paths)
    assert len(ss.recent_files()) == ss.MAX_RECENT
    ss.clear_recent()
    assert ss.recent_files() == []


def test_flags_read_back_from_the_ini_file_as_booleans():
    assert ss.load_flag("view/x", True) is True
    ss.save_flag("view/x", False)
    assert ss.load_flag("view/x", True) is False  # the INI file gives the string "false" back
    ss.save_flag("view/x", True)
    assert ss.load_flag("view/x", False) is True
