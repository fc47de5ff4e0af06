"""Atomic file output: a failed export never leaves a half-written file."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable

from detector.errors import FaikError


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, protect: Iterable[str | os.PathLike] = ()) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder + ``os.replace``.

    ``protect`` lists input files that must never be overwritten (the analysed
    recording): writing onto one of them raises :class:`FaikError` instead.
    On any failure the temp file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    for p in protect:
        try:
            if target.exists() and Path(p).exists() and os.path.samefile(target, p):
                raise FaikError(f"refusing to overwrite the input file {target}; choose another output name")
        except OSError:
            continue
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FaikError(f"output folder {folder} does not exist; create it or choose another")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        if hasattr(os, "fchmod"):
            # mkstemp makes 0600 files; an export should get the permissions any new file gets.
            os.fchmod(fd, _file_mode(target))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return target


def _umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (briefly process-wide)
    os.umask(mask)
    return mask


def _file_mode(target: Path) -> int:
    """An existing file keeps its permissions; a new one gets ``0o666 & ~umask``, like ``open()``."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def atomic_write_text(path: str | os.PathLike, text: str, *, protect: Iterable[str | os.PathLike] = ()) -> Path:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"), protect=protect)
