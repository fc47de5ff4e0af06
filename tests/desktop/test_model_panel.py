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
