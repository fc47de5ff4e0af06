"""desktop.app: the start-up entry point and the hidden self-test."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)


def test_self_test_passes_and_fails_with_a_message(tiny_model_dir, write_audio, monkeypatch, capsys, tmp_path):
    from desktop import app

    sample = write_audio("sample.flac", 6.0)
    monkeypatch.setattr(app, "sample_path", lambda: sample)
    assert app.main(["--self-test", "--model", str(tiny_model_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("self-test OK") and "JSON valid" in out and out.count("\n") == 1
    # The outcome in the words the window and the report use (not the seed's bare "confidence").
    assert "confidence" not in out
    assert any(w in out for w in ("support for", "Inconclusive", "Cannot judge")) and "chunks:" in out
    assert app.main(["--self-test", "--model", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("self-test FAILED") and "Traceback" not in err
