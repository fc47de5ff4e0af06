"""fAIk Desktop: the PySide6 window, a thin layer over :mod:`detector`."""
