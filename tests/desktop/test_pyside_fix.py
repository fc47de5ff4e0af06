"""desktop._pyside_fix (applied by importing desktop): PySide6 6.12's leaked references."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)


def test_hundreds_of_thousands_of_qt_calls_do_not_abort_the_process():
    """PySide6 6.12.0 on Python 3.11 drops a reference to None/True per void call/emit (see
    desktop/_pyside_fix.py); without the workaround this loop aborts with 'deallocating None'."""
    import sys

    import desktop  # noqa: F401 - applies the workaround when this PySide6 needs it
    from desktop._pyside_fix import _Probe

    probe = _Probe()
    got = []
    probe.sig.connect(lambda: got.append(1))
    for _ in range(200_000):
        probe.setObjectName("x")
        probe.sig.emit()
    assert len(got) == 200_000
    assert sys.getrefcount(None) > 0 and sys.getrefcount(True) > 0
