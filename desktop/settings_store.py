"""What the window remembers between sessions, in one place: chunk settings, recent files, view choices.

Everything is kept in the app's QSettings INI file under the user's config
folder. Tests point QSettings at a temporary folder with
``QSettings.setPath(IniFormat, UserScope, tmp)``. No widgets here: the window
and the panels call these functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from PySide6.QtCore import QByteArray, QSettings

from detector.chunking import DEFAULT_CHUNK_DURATION_S, DEFAULT_OVERLAP, ChunkSettings

ORGANIZATION = "fAIk"
APPLICATION = "fAIk Desktop"
KEY_CHUNK = "analysis/chunk_duration_s"
KEY_OVERLAP = "analysis/overlap_percent"
RECENT_KEY = "recent/files"
SPECTROGRAM_KEY = "view/spectrogram"
MAX_RECENT = 10


def app_settings() -> QSettings:
    """The app's settings store (an INI file under the user's config folder)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def _looks_damaged(path: Path) -> bool:
    """Bytes no INI file QSettings writes can hold (it writes UTF-8 text, escaping the rest).

    QSettings reads garbage leniently (often with no error at all), so the bytes are checked too.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    if b"\x00" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def recover_damaged_settings(store: QSettings | None = None) -> str | None:
    """Set a damaged or unreadable settings file aside so the window starts with defaults; the note to show.

    QSettings reads what it can of a damaged INI and would write the rest back over it at the
    next change; instead the file is renamed ``<name>.damaged`` (kept for the user) and the app
    starts from the defaults. Returns None when the file is fine (or absent).
    """
    store = store or app_settings()
    status = store.status()
    path = Path(store.fileName())
    if status == QSettings.Status.NoError and not _looks_damaged(path):
        return None
    what = "unreadable" if status == QSettings.Status.AccessError else "damaged"
    aside = path.with_name(path.name + ".damaged")
    try:
        if aside.is_dir():
            raise OSError("a folder of that name is in the way")
        path.replace(aside)
    except OSError as exc:
        return (f"The settings file {path} is {what} and could not be set aside ({exc.strerror or exc}); "
                "fAIk Desktop uses its default settings this time.")
    return (f"The settings file {path} was {what}; fAIk Desktop started with its default settings "
            f"(the old file is kept as {aside.name}).")


def load_chunk_settings(store: QSettings | None = None) -> ChunkSettings:
    """Saved settings, or the seed's defaults when missing or invalid."""
    store = store or app_settings()
    try:
        return ChunkSettings(
            chunk_duration=float(store.value(KEY_CHUNK, DEFAULT_CHUNK_DURATION_S)),
            overlap=float(store.value(KEY_OVERLAP, DEFAULT_OVERLAP * 100)) / 100.0,
        )
    except (TypeError, ValueError):  # SettingsError is a ValueError: a hand-edited file falls back
        return ChunkSettings()


def save_chunk_settings(settings: ChunkSettings, store: QSettings | None = None) -> None:
    store = store or app_settings()
    store.setValue(KEY_CHUNK, float(settings.chunk_duration))
    store.setValue(KEY_OVERLAP, int(round(settings.overlap * 100)))
    store.sync()


def recent_files(store: QSettings | None = None) -> list[str]:
    """Recently queued files, newest first."""
    value = (store or app_settings()).value(RECENT_KEY, [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or [])]


def remember_recent(paths: Iterable[str | Path], store: QSettings | None = None) -> list[str]:
    """Put ``paths`` (resolved) at the top of the recent list, keeping at most MAX_RECENT."""
    store = store or app_settings()
    recent = recent_files(store)
    for p in reversed(list(paths)):
        s = str(Path(p).resolve())
        if s in recent:
            recent.remove(s)
        recent.insert(0, s)
    store.setValue(RECENT_KEY, recent[:MAX_RECENT])
    store.sync()
    return recent[:MAX_RECENT]


def clear_recent(store: QSettings | None = None) -> None:
    store = store or app_settings()
    store.remove(RECENT_KEY)
    store.sync()


def load_flag(key: str, default: bool, store: QSettings | None = None) -> bool:
    """A remembered on/off choice (QSettings gives strings back from INI files)."""
    value = (store or app_settings()).value(key, default)
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off")
    return bool(value)


def save_flag(key: str, value: bool, store: QSettings | None = None) -> None:
    store = store or app_settings()
    store.setValue(key, bool(value))
    store.sync()


GEOMETRY_KEY = "window/geometry"
SPLITTER_KEY = "window/splitter/"


def save_window_state(geometry: QByteArray, splitters: dict[str, QByteArray],
                      store: QSettings | None = None) -> None:
    """The window's ``saveGeometry()`` and each named splitter's ``saveState()``."""
    store = store or app_settings()
    store.setValue(GEOMETRY_KEY, geometry)
    for name, state in splitters.items():
        store.setValue(SPLITTER_KEY + name, state)
    store.sync()


def _bytes(value) -> QByteArray | None:
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    if isinstance(value, (bytes, bytearray)) and value:
        return QByteArray(bytes(value))
    return None  # missing, or something a hand edit left that Qt could not restore anyway


def load_geometry(store: QSettings | None = None) -> QByteArray | None:
    return _bytes((store or app_settings()).value(GEOMETRY_KEY))


def load_splitter_state(name: str, store: QSettings | None = None) -> QByteArray | None:
    return _bytes((store or app_settings()).value(SPLITTER_KEY + name))
