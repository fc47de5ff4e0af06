"""Errors a user can act on.

Every error the library raises for a user's mistake (bad file, bad setting,
missing model) derives from :class:`FaikError` and carries a one-line message
that says what happened and what to do. The CLI and the window show
``str(err)`` and never a traceback for these.
"""


class FaikError(Exception):
    """Base class: a problem the user can fix; ``str()`` is the message to show."""


class SettingsError(FaikError, ValueError):
    """A parameter is out of range (chunk duration, overlap, batch size...)."""


class AudioDecodeError(FaikError):
    """The input could not be read as audio (empty, not audio, truncated, silent...)."""


class ModelLoadError(FaikError):
    """A model could not be loaded (missing files, no network for a hub id, bad labels)."""


class ModelNotReadyError(FaikError):
    """Analysis was asked for before a model finished loading."""


class AnalysisCancelled(FaikError):
    """The user cancelled an analysis; partial results are discarded."""


class OutputError(FaikError, OSError):
    """A result, report or table could not be written (disk full, read-only folder...); nothing half-written is left.

    Also an ``OSError`` (``errno`` is the file system's), so callers that catch write errors as
    ``OSError`` keep working; ``str()`` is the one-line message with what to do.
    """
