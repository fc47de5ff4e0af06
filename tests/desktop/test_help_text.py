"""desktop.help_text: Help and About texts, the time estimate."""

from __future__ import annotations

from types import SimpleNamespace


def test_format_eta():
    from desktop.help_text import format_eta

    assert format_eta(14.2, None) == "00:14 elapsed"
    assert format_eta(75, 41) == "01:15 elapsed, about 00:41 left"


def test_help_points_at_the_model_card_of_a_folder_model(tmp_path):
    from desktop.help_text import help_html, model_card_path

    (tmp_path / "MODEL_CARD.md").write_text("# card")
    info = SimpleNamespace(source=str(tmp_path), source_kind="folder")
    assert model_card_path(info) == tmp_path / "MODEL_CARD.md"
    assert str(tmp_path / "MODEL_CARD.md") in help_html(info)
    assert model_card_path(SimpleNamespace(source="a/b", source_kind="hub")) is None
    assert "1–30 s" in help_html(None) and "0–90 %" in help_html(None)


def test_about_without_a_model_still_lists_versions_and_licences():
    from desktop.help_text import LIBRARIES, about_html

    text = about_html(None)
    assert "no model loaded yet" in text
    assert all(label in text for label, _dist, _licence in LIBRARIES)


def test_versions_without_package_metadata_come_from_the_loaded_module(monkeypatch):
    """The frozen app carries no dist-info for some packages: About still names the version."""
    from importlib import metadata

    import numpy

    from desktop import help_text

    def missing(_dist):
        raise metadata.PackageNotFoundError(_dist)

    monkeypatch.setattr(help_text.metadata, "version", missing)
    assert help_text._version("numpy") == numpy.__version__
    assert help_text._version("no-such-dist") == "bundled"
