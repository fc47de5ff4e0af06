"""The window under faults: a model switch that fails, exports to a full or read-only disk, a damaged
settings file. The window keeps working through each."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from detector.errors import FaikError, OutputError


def _analyse(qtbot, window, paths, timeout=60000):
    with qtbot.waitSignal(window.queue_idle, timeout=timeout):
        window.add_files(paths)
    return window.queue.items


def _settled(qtbot) -> None:
    """Wait until the first load's worker thread has ended (a second load is refused while it runs)."""
    from desktop.workers import running_threads

    qtbot.waitUntil(lambda: not running_threads(), timeout=30000)


def _truncated_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    w = dst / "model.safetensors"
    data = w.read_bytes()
    w.write_bytes(data[: len(data) // 3])
    return dst


def test_failed_model_switch_keeps_the_working_model_in_use(qtbot, make_window, tiny_model_dir, write_audio,
                                                            tmp_path):
    window = make_window()
    good = window.service.info
    states: list[str] = []
    window.model_state_changed.connect(states.append)
    broken = _truncated_copy(tiny_model_dir, tmp_path / "broken-model")
    _settled(qtbot)
    with qtbot.waitSignal(window.model_state_changed, timeout=60000, check_params_cb=lambda s: s == "ready"):
        window.load_model(str(broken))
    assert states[-2:] == ["failed", "ready"]
    # The old model is still loaded, shown and in use; the panel says why the switch failed.
    assert window.service.is_ready() and window.service.info is good
    panel = window.model_panel
    assert panel.state == "ready" and panel.field_text("Weights SHA-256") == good.weights_sha256
    assert panel.error.isVisibleTo(window)
    assert "damaged or incomplete" in panel.error.text() and "still loaded and in use" in panel.error.text()
    items = _analyse(qtbot, window, [write_audio("after-switch.wav", 4.0)])
    assert items[0].state.value == "done"
    assert items[0].result.provenance["model"]["weights_sha256"] == good.weights_sha256


def test_hub_model_offline_keeps_the_working_model(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    window = make_window()
    good = window.service.info
    _settled(qtbot)
    with qtbot.waitSignal(window.model_state_changed, timeout=60000, check_params_cb=lambda s: s == "ready"):
        window.load_model("someone/not-cached-anywhere")
    assert window.service.info is good and window.model_panel.state == "ready"
    assert "not in the local Hugging Face cache" in window.model_panel.error.text()


def _enospc_from_now(monkeypatch):
    import detector.atomic as atomic

    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", fsync)


def test_exports_on_a_full_disk_fail_cleanly_and_the_window_goes_on(qtbot, make_window, write_audio, tmp_path,
                                                                     monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    window = make_window()
    _analyse(qtbot, window, [write_audio("clip.wav", 4.0)])
    out = tmp_path / "exports"
    out.mkdir()
    earlier = window.export_json(out / "clip.faik.json")
    before = earlier.read_bytes()
    with monkeypatch.context() as m:
        _enospc_from_now(m)
        for export, name in ((window.export_json, "clip.faik.json"), (window.export_report, "clip.html"),
                             (window.export_summary, "all.csv")):
            with pytest.raises(OutputError, match="disk is full"):
                export(out / name)
        # Through the menu: a warning with the reason, no crash.
        warnings: list[str] = []
        m.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out / "clip.faik.json"), "")))
        m.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: warnings.append(text)))
        window.export_json_dialog()
        assert len(warnings) == 1 and "disk is full" in warnings[0] and "free some space" in warnings[0]
    assert earlier.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["clip.faik.json"]  # no partial or temp file
    # The window is still usable: another file is analysed and exported once space is back.
    items = _analyse(qtbot, window, [write_audio("next.wav", 3.0)])
    assert items[-1].state.value == "done"
    window.show_item(items[-1])
    assert json.loads(window.export_json(out / "next.faik.json").read_text("utf-8"))["total_chunks"] >= 1


def test_export_into_a_read_only_folder_is_a_clear_message(qtbot, make_window, write_audio, tmp_path, monkeypatch):
    import detector.atomic as atomic

    window = make_window()
    _analyse(qtbot, window, [write_audio("clip.wav", 3.0)])

    def refuse(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    with pytest.raises(FaikError, match="read-only"):
        window.export_report(tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_damaged_settings_file_does_not_stop_the_window(qtbot, isolated_settings, tiny_model_dir, tmp_path, capsys):
    from desktop import app
    from desktop.settings_store import app_settings, load_chunk_settings

    ini = Path(app_settings().fileName())
    ini.parent.mkdir(parents=True, exist_ok=True)
    damaged = b"[analysis]\nchunk_duration_s=\x00\xff\xfe" + os.urandom(2000)
    ini.write_bytes(damaged)
    shot = tmp_path / "window.png"
    assert app.main(["--model", str(tiny_model_dir), "--screenshot", str(shot)]) == 0
    assert shot.is_file() and shot.stat().st_size > 0  # the window started and was drawn
    err = capsys.readouterr().err
    assert "was damaged" in err and "default settings" in err
    assert ini.with_name(ini.name + ".damaged").read_bytes() == damaged  # kept for the user
    assert app_settings().status() == app_settings().status().NoError
    assert load_chunk_settings().chunk_duration == 5.0
