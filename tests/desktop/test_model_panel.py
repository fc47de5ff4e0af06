"""desktop.model_panel: the model source dialog and the status panel."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)


def test_model_source_dialog_maps_choices_to_sources(qtbot, tmp_path):
    from desktop.model_panel import ModelSourceDialog
    from detector.model_service import SEED_HUB_MODEL_ID

    d = ModelSourceDialog(None, None)
    qtbot.addWidget(d)
    assert d.source() is None  # built-in by default
    d.folder.setChecked(True)
    d.folder_edit.setText(str(tmp_path))
    assert d.source() == str(tmp_path)
    d.hub.setChecked(True)
    assert d.source() == SEED_HUB_MODEL_ID  # the placeholder is the seed's hub model
    d.hub_edit.setText("someone/other-model")
    assert d.source() == "someone/other-model"
    again = ModelSourceDialog(None, str(tmp_path))  # reopening shows the current folder
    qtbot.addWidget(again)
    assert again.folder.isChecked() and again.source() == str(tmp_path)


def test_details_open_in_their_own_window_and_never_push_the_work_area_down(qtbot):
    from types import SimpleNamespace

    from PySide6.QtCore import Qt

    from desktop.model_panel import ModelPanel

    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show()
    info = SimpleNamespace(name="faik-x", source="/m", source_kind="folder", architecture="Arch",
                           num_parameters=1234567, labels={0: "fake", 1: "real"}, ai_index=0, real_index=1,
                           sample_rate=16000, weights_sha256="ab" * 32, load_time_s=1.5, device="cpu",
                           precision="bfloat16", validation=None)
    panel.set_ready(info)
    height = panel.sizeHint().height()
    assert height < 80  # one line: dot, name, buttons
    qtbot.mouseClick(panel.details_button, Qt.MouseButton.LeftButton)
    assert panel.details.isVisible() and panel.details.isWindow()
    assert panel.sizeHint().height() == height
    assert panel.field_text("Parameters") == "1 234 567"
    assert panel.field_text("Device").startswith("cpu, computing in bfloat16 (the fast format of this CPU's AMX")
    assert "No measured error rates" in panel.field_text("Measured errors")
    panel.details.close()


def test_long_details_scroll_inside_a_window_that_fits_the_screen(qtbot):
    """The built-in model's measured errors run to ~40 lines: on a 768-pixel screen the dialog was cut
    off. It now opens at most 85 % of the screen tall and scrolls."""
    from types import SimpleNamespace

    from desktop.model_panel import ModelPanel
    from detector.model_service import BUILTIN_MODEL_DIR
    from detector.model_validation import load_validation

    validation = load_validation(BUILTIN_MODEL_DIR)
    if validation is None:
        pytest.skip("the built-in model ships no validation summary")
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_ready(SimpleNamespace(name="v", source="/m", source_kind="built-in", architecture="A", num_parameters=1,
                                    labels={0: "fake", 1: "real"}, ai_index=0, real_index=1, sample_rate=16000,
                                    weights_sha256="ab" * 32, load_time_s=1.0, device="cpu", precision="float32",
                                    validation=validation))
    panel.show_details()
    avail = panel.details.screen().availableGeometry()
    assert panel.details.height() <= 0.85 * avail.height() + 1
    assert panel.details.width() <= 0.85 * avail.width() + 1
    qtbot.waitUntil(lambda: panel.details.scroll.verticalScrollBar().maximum() > 0)  # the rest is a scroll away
    assert "\n\nclean audio:" in panel.field_text("Measured errors")
    panel.details.close()
