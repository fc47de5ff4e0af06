"""fAIk Desktop: the PySide6 window, a thin layer over :mod:`detector`."""

# Before any widget or pyqtgraph emits a signal: PySide6 6.12's emit leaks a reference (see the module).
from desktop import _pyside_fix  # noqa: F401
