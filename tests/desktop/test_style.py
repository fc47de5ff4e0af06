"""desktop.style: colours, opacity by confidence, and the mm:ss clock."""

from __future__ import annotations

from desktop import style


def test_rgba_and_confidence_alpha():
    assert style.rgba("#D55E00", 0.5) == (213, 94, 0, 128)
    assert style.rgba("#0072B2", 2.0)[3] == 255  # alpha clipped to [0, 1]
    assert style.confidence_alpha(0.5) == 0.25 and style.confidence_alpha(1.0) == 1.0
    assert style.confidence_alpha(0.1) == 0.25  # never invisible


def test_format_mmss():
    assert style.format_mmss(75.3) == "01:15"
    assert style.format_mmss(75.3, precise=True) == "01:15.3"
    assert style.format_mmss(3723) == "1:02:03"
    assert style.format_mmss(-5) == "-00:05"
