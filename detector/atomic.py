"""Atomic file output: a failed export never leaves a half-written file.

A write that fails (a full disk, a read-only or foreign folder, a file name the
file system refuses) raises :class:`~detector.errors.OutputError` with a
one-line message that says what to do; the temporary file is removed and a
file already at the target keeps its old content.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable

from detector.errors import FaikError, OutputError


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, protect: Iterable[str | os.PathLike] = ()) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder + ``os.replace``.

    ``protect`` lists input files that must never be overwritten (the analysed
    recording): writing onto one of them raises :class:`FaikError` instead.
    On any failure the temp file is removed and ``path`` is left as it was; an
    ``OSError`` becomes :class:`OutputError` (see :func:`write_error_message`).
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
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _output_error(target, exc) from exc
    try:
        if hasattr(os, "fchmod"):
            # mkstemp makes 0600 files; an export should get the permissions any new file gets.
            os.fchmod(fd, _file_mode(target))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise _output_error(target, exc) from exc
        raise
    return target


def _output_error(target: Path, exc: OSError) -> OutputError:
    err = OutputError(write_error_message(target, exc))
    err.errno = exc.errno
    return err


def write_error_message(target: str | os.PathLike, exc: OSError) -> str:
    """One line for a failed write: what happened, that nothing was written, what to do."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG):
        why = "the disk is full (no space left on the device)"
        todo = "free some space or choose a folder on another disk"
    elif code == errno.EROFS:
        why = f"the folder {folder} is on a read-only disk"
        todo = "choose a folder you can write to"
    elif code in (errno.EACCES, errno.EPERM):
        why = f"permission denied: the folder {folder} cannot be written by you"
        todo = "choose a folder you can write to"
    elif code == errno.ENAMETOOLONG:
        why = "the file name is too long for this file system"
        todo = "choose a shorter name or folder"
    elif code == errno.EIO:
        why = "the disk reported an input/output error (a removed or failing drive?)"
        todo = "check the drive and choose another folder"
    else:
        why = exc.strerror or str(exc)
        todo = "choose another folder"
    return f"could not write {target}: {why}; no file was changed; {todo}"


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
