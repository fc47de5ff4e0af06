"""desktop.theme and desktop.style's contrast arithmetic: colours from the palette, text readable (WCAG AA)."""

from __future__ import annotations

import pytest

from desktop import style


def test_contrast_ratio_matches_wcag_reference_values():
    assert style.contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert style.contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic near-miss
    assert style.contrast_ratio("#0072B2", "#FFFFFF") == pytest.approx(style.contrast_ratio("#FFFFFF", "#0072B2"))


@pytest.mark.parametrize("bg", ["#FFFFFF", "#F6F5F4", "#242424", "#1E1E1E"])
@pytest.mark.parametrize("color", [style.AI_COLOR, style.REAL_COLOR, style.INCONCLUSIVE_COLOR, style.FAIL_COLOR,
                                   style.NEUTRAL_COLOR, style.OK_COLOR, "#444444"])
def test_readable_meets_aa_on_light_and_dark_backgrounds_and_keeps_good_colours(color, bg):
    out = style.readable(color, bg)
    assert style.contrast_ratio(out, bg) >= 4.5
    if style.contrast_ratio(color, bg) >= 4.5:
        assert out == color.upper()


def test_plot_colours_come_from_the_palette(qtbot):
    from PySide6.QtGui import QColor, QPalette

    from desktop.theme import PlotColors, dark_palette

    dark = PlotColors.from_palette(dark_palette())
    assert dark.background == "#1e1e1e" and style.contrast_ratio(dark.text, dark.background) >= 4.5
    light = QPalette(QColor("#EFEFEF"))
    light.setColor(QPalette.ColorRole.Base, QColor("#FFFFFF"))
    light.setColor(QPalette.ColorRole.Text, QColor("#000000"))
    lp = PlotColors.from_palette(light)
    assert lp.background == "#ffffff" and style.contrast_ratio(lp.text, lp.background) >= 4.5
    assert style.contrast_ratio(dark.waveform, dark.background) >= 3.0  # a line, not text: 3:1


def test_readable_delegate_lifts_coloured_cell_text_on_a_dark_base(qtbot):
    from PySide6.QtGui import QBrush, QColor, QPalette
    from PySide6.QtWidgets import QStyleOptionViewItem, QTreeWidget, QTreeWidgetItem

    from desktop.theme import ReadableDelegate, dark_palette

    tree = QTreeWidget()
    qtbot.addWidget(tree)
    tree.setPalette(dark_palette())
    row = QTreeWidgetItem(["error text"])
    row.setForeground(0, QBrush(QColor(style.FAIL_COLOR)))
    tree.addTopLevelItem(row)
    delegate = ReadableDelegate(tree)
    option = QStyleOptionViewItem()
    option.palette = tree.palette()
    delegate.initStyleOption(option, tree.model().index(0, 0))
    text = option.palette.color(QPalette.ColorRole.Text).name()
    assert style.contrast_ratio(text, "#1E1E1E") >= 4.5
    assert style.contrast_ratio(style.FAIL_COLOR, "#1E1E1E") < 4.5  # the brand colour alone was not
