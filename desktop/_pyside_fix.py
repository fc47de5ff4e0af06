"""Work around PySide6 6.12.0's lost references to ``None``/``True``/``False`` on Python < 3.12.

PySide6 6.12.0 (abi3 wheels) returns ``None`` from every void method and
``True`` from ``Signal.emit`` without counting the reference, as if those
objects were immortal (they are on Python >= 3.12). On Python 3.11 each call
drops a reference: a few thousand calls (a zoom in pyqtgraph makes ~40) bring
the count to zero and the process aborts with ``Fatal Python error:
none_dealloc`` / ``bool_dealloc``. PySide6 6.11.3 does not have the bug.

The bug is *measured* at import, not assumed from a version number. When it
is present, the three singletons get a reference count so large that no
run can exhaust it: what Python 3.12 does by design ("immortal objects").
On a fixed PySide6, or on Python >= 3.12, nothing is changed.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

_APPLIED = False
_HEADROOM = 1 << 60  # decrements a process could never make


class _Probe(QObject):
    sig = Signal()


def loses_references(n: int = 32) -> bool:
    """True when ``n`` void calls or ``n`` emits drop about ``n`` references to None or True."""
    probe = _Probe()
    none0, true0 = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(n):
        probe.setObjectName("probe")  # void method → returns None
        probe.sig.emit()              # returns True
    return none0 - sys.getrefcount(None) >= n // 2 or true0 - sys.getrefcount(True) >= n // 2


def apply() -> bool:
    """Apply the workaround if this PySide6 needs it; returns whether it is active."""
    global _APPLIED
    if _APPLIED:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12) or not loses_references():
        return False
    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object; the GIL is held here.
        ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
    _APPLIED = True
    return True


apply()
