"""Decode any audio (or the sound of a video) to 16 kHz mono float32.

Decoding uses PyAV, which bundles FFmpeg: wav, flac, ogg/vorbis, opus, mp3,
m4a/aac and the audio track of mp4/mov/webm/mkv work without a system FFmpeg,
also in the frozen app.

Memory: the file is decoded frame by frame; each frame is converted to float,
downmixed (mean of channels) and resampled to the target rate at once, and
only the resampled output is kept, never its decoding at the source rate. A
recording shorter than ``SPILL_AFTER_S`` (by its header) is kept in one
pre-sized buffer that grows in place. A longer one (3 h at 16 kHz float32 is
~690 MB, more than the model and its libraries together) is written block by
block to an unlinked temporary file (``FAIK_TEMP_DIR``, else the system's
temporary folder) and handed out memory-mapped: ``samples`` is then an
``np.memmap`` that reads like any array, and whole-file passes
(:func:`waveform_envelope`, the level checks here, the analysis's chunk loop)
go block by block and give the pages they read back (:class:`PageReleaser`),
so the process never holds the whole signal; the operating system keeps it in
its file cache while memory allows.

Every problem with the input raises :class:`AudioDecodeError` with a one-line
message; the original exception is kept as ``__cause__`` for logs. The input
file is only ever opened for reading.
"""

from __future__ import annotations

import hashlib
import math
import mmap
import os
import stat
import sys
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from detector.errors import AnalysisCancelled, AudioDecodeError

TARGET_SAMPLE_RATE = 16000

#: Extensions offered in file dialogs. Decoding sniffs the content, so a file
#: with another extension is still tried.
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac",
        ".wma", ".aif", ".aiff", ".aifc", ".caf", ".amr", ".ac3", ".mka",
        ".mp4", ".m4v", ".mov", ".webm", ".mkv", ".3gp", ".avi",
    }
)

#: Peak level below which a recording counts as silent (-60 dBFS).
SILENCE_PEAK_DBFS = -60.0
#: A truncated file is analysed only if at least this much decodes.
MIN_TRUNCATED_DURATION_S = 0.1
#: Shorter recordings are refused: too short for a model's first layers (a wav2vec2 front end needs 25 ms).
MIN_DURATION_S = 0.02
#: A declared source rate below this is a damaged header (it would "decode" to days of audio).
MIN_SOURCE_RATE = 1000
#: Share of non-finite (NaN/inf) source samples above which the file is refused.
MAX_NONFINITE_SHARE = 0.01
#: Decoded length below this share of the declared length (and more than
#: ``_TRUNCATION_SLACK_S`` short) counts as truncated.
_TRUNCATION_SHARE = 0.9
_TRUNCATION_SLACK_S = 0.5
#: This many undecodable packets in a row end decoding (the rest is not audio we can read).
_MAX_CONSECUTIVE_BAD_PACKETS = 20
#: Most samples reserved up front (~4.7 h at 16 kHz, 1 GiB of address space, not of RAM).
_MAX_PREALLOC_SAMPLES = 1 << 28
#: Source samples gathered before one resampler call: fewer Python calls per second of audio.
_BLOCK_SAMPLES = 65536
#: Recordings at least this long (by their header) are decoded to a memory-mapped temporary file.
SPILL_AFTER_S = 30 * 60
#: Samples a whole-file pass over a memory-mapped recording reads between two page releases (16 MiB).
PASS_BLOCK = 1 << 22

# Integer sample formats -> scale to [-1, 1); offset for unsigned 8-bit.
_INT_SCALE = {
    "u8": (128.0, 128.0),
    "s16": (0.0, 2.0**15),
    "s32": (0.0, 2.0**31),  # 24-bit PCM decodes as s32 (shifted up), so this scale fits it too
    "s64": (0.0, 2.0**63),
}


@dataclass(frozen=True)
class AudioInfo:
    """What the source file is (original values, before conversion)."""

    path: str
    name: str
    size_bytes: int
    sha256: str
    container: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DecodedAudio:
    """Mono float32 samples at ``sample_rate``, finite and within [-1, 1]."""

    samples: np.ndarray
    sample_rate: int
    info: AudioInfo
    warnings: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


# --------------------------------------------------------------------------- helpers


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of the file's bytes (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def broken_link_target(path: str | os.PathLike) -> str | None:
    """Where ``path`` points when it is a symbolic link to nothing (else None)."""
    try:
        if not os.path.islink(path) or os.path.exists(path):
            return None
        return os.readlink(path)
    except OSError:
        return None


def broken_link_reason(path: str | os.PathLike) -> str | None:
    """Why a symbolic link leads nowhere (a missing target, or a loop of links); None when it is not one."""
    target = broken_link_target(path)
    if target is None:
        return None
    try:
        os.stat(path)
    except OSError as exc:
        import errno

        if exc.errno == errno.ELOOP:
            return f"a loop of links (it points to {target}, which leads back to itself); nothing to read"
    return f"broken link: it points to {target}, which does not exist"


def _check_readable(path: Path) -> os.stat_result:
    """Stat and open-for-reading checks with a clear message for each failure."""
    name = path.name or str(path)
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        broken = broken_link_reason(path)
        if broken is not None:
            raise AudioDecodeError(f"{name}: {broken}") from exc
        raise AudioDecodeError(f"file not found: {path}; check the name and folder") from exc
    except PermissionError as exc:
        raise AudioDecodeError(f"cannot read {name}: permission denied; check the file's permissions") from exc
    except OSError as exc:
        raise AudioDecodeError(f"cannot read {name}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise AudioDecodeError(f"{name} is a folder, not an audio file; choose a file inside it")
    if not stat.S_ISREG(st.st_mode):
        raise AudioDecodeError(f"{name} is not a regular file; choose an audio or video file")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except PermissionError as exc:
        raise AudioDecodeError(f"cannot read {name}: permission denied; check the file's permissions") from exc
    except OSError as exc:
        raise AudioDecodeError(f"cannot read {name}: {exc.strerror or exc}") from exc
    if st.st_size == 0:
        raise AudioDecodeError(f"{name} is empty (0 bytes); choose a recording that contains audio")
    return st


def _open_container(path: Path):
    """Open read-only with PyAV; map FFmpeg's refusal to a user message."""
    import av

    try:
        return av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise AudioDecodeError(
            f"{path.name} is not an audio or video file that can be read (unknown or damaged format)"
        ) from exc
    except (OSError, UnicodeError) as exc:
        raise AudioDecodeError(f"cannot open {path.name}: {exc}") from exc


def _audio_stream(container, path: Path):
    audio = list(container.streams.audio)
    if not audio:
        has_video = any(
            s.type == "video" and s.codec_context is not None and s.codec_context.name not in {"ansi"}
            for s in container.streams
        )
        if has_video:
            raise AudioDecodeError(f"{path.name} has no audio track (a video without sound); nothing to analyse")
        raise AudioDecodeError(
            f"{path.name} is not an audio or video file that can be read (no audio stream found)"
        )
    # The default stream if FFmpeg marked one, else the first.
    return audio[0]


def _container_name(container, path: Path) -> str:
    names = [n for n in (container.format.name or "").split(",") if n]
    ext = path.suffix.lower().lstrip(".")
    if ext in names:
        return ext
    return names[0] if names else "unknown"


def _codec_name(cc) -> str:
    """The codec's name, not the decoder's ("mp3", not FFmpeg's "mp3float" decoder)."""
    name = (cc.name if cc is not None else None) or "unknown"
    if name.endswith("float") and name[: -len("float")] in {"mp1", "mp2", "mp3", "mp3adu", "mp3on4"}:
        name = name[: -len("float")]
    return name


def _declared_duration(container, stream) -> float:
    """Duration in seconds from the headers (0.0 when unknown)."""
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return float(container.duration) / 1_000_000.0  # AV_TIME_BASE
    return 0.0


def _hash(path: Path) -> str:
    """:func:`file_sha256`, with a user's message when the file went away or became unreadable."""
    try:
        return file_sha256(path)
    except FileNotFoundError as exc:
        raise AudioDecodeError(f"{path.name} was deleted or moved while it was being read; nothing was analysed") from exc
    except OSError as exc:
        raise AudioDecodeError(f"cannot read {path.name}: {exc.strerror or exc}") from exc


def _check_unchanged(path: Path, before: os.stat_result) -> None:
    """Refuse a result when the file changed while it was read: its hash and its samples would not match.

    A recording still being copied or recorded grows while it is decoded; a file replaced or removed
    meanwhile has another identity (or none). Size, modification time and inode are compared.
    """
    try:
        now = path.stat()
    except FileNotFoundError as exc:
        raise AudioDecodeError(f"{path.name} was deleted or moved while it was being read; nothing was analysed") from exc
    except OSError as exc:
        raise AudioDecodeError(f"cannot read {path.name} any more: {exc.strerror or exc}") from exc
    if (now.st_size, now.st_mtime_ns, now.st_ino) != (before.st_size, before.st_mtime_ns, before.st_ino):
        size = (f" (size {before.st_size:,} -> {now.st_size:,} bytes)" if now.st_size != before.st_size else "")
        raise AudioDecodeError(
            f"{path.name} changed while it was being read{size}; it may still be copying or recording: "
            "wait until it is complete, then analyse it again"
        )


def _info(path: Path, st: os.stat_result, container, stream) -> AudioInfo:
    cc = stream.codec_context
    return AudioInfo(
        path=str(path),
        name=path.name,
        size_bytes=int(st.st_size),
        sha256=_hash(path),
        container=_container_name(container, path),
        codec=_codec_name(cc),
        sample_rate=int(getattr(stream, "sample_rate", 0) or (cc.sample_rate if cc is not None else 0) or 0),
        channels=int(getattr(stream, "channels", 0) or (cc.channels if cc is not None else 0) or 0),
        duration_s=_declared_duration(container, stream),
    )


def _wav_declared_duration(path: Path, size: int) -> float:
    """Duration a RIFF/WAVE header promises (0.0 if not a plain WAVE or size unknown).

    FFmpeg's wav demuxer derives the duration from the bytes actually present,
    so a cut-off WAV looks complete; the header's ``data`` size says otherwise.
    """
    import struct

    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return 0.0
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return 0.0
    pos, byte_rate = 12, 0
    while pos + 8 <= len(head):
        cid, csize = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if cid == b"fmt " and pos + 20 <= len(head):
            byte_rate = struct.unpack("<I", head[pos + 16:pos + 20])[0]
        if cid == b"data":
            if csize in (0, 0xFFFFFFFF) or byte_rate <= 0:
                return 0.0  # streaming writers leave the size unset
            missing = pos + 8 + csize - size
            return csize / byte_rate if missing > 0.01 * csize else 0.0
        pos += 8 + csize + (csize & 1)
    return 0.0


def probe_audio(path: str | os.PathLike) -> AudioInfo:
    """Describe a file from its headers without decoding it (the SHA-256 reads its bytes once)."""
    p = Path(path)
    st = _check_readable(p)
    container = _open_container(p)
    try:
        stream = _audio_stream(container, p)
        return _info(p, st, container, stream)
    finally:
        container.close()


def _frame_to_mono(frame) -> tuple[np.ndarray, int]:
    """Float32 mono (mean of channels) of one decoded frame, and how many values were NaN/inf."""
    arr = frame.to_ndarray()
    n_ch = frame.layout.nb_channels
    fmt = frame.format.name.rstrip("p")  # planar and packed scale the same
    if not frame.format.is_planar:
        arr = arr.reshape(-1, n_ch).T  # packed: (1, n*ch) interleaved -> (ch, n)
    if fmt in _INT_SCALE:
        offset, scale = _INT_SCALE[fmt]
        x = arr.astype(np.float32)
        if offset:
            x -= offset
        x *= 1.0 / scale
        nonfinite = 0
    else:
        x = arr.astype(np.float32, copy=False)
        finite = np.isfinite(x)
        nonfinite = int(x.size - np.count_nonzero(finite))
        if nonfinite:
            # Replace before resampling: the resampler's filter would smear one NaN over many samples.
            x = np.where(finite, x, np.float32(0.0))
    mono = x[0] if n_ch == 1 else x.mean(axis=0, dtype=np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32), nonfinite


class _Output:
    """A float32 buffer that grows in place (realloc/mremap), so no second copy is ever made."""

    def __init__(self, capacity: int) -> None:
        self.buf = np.empty(max(capacity, 1024), dtype=np.float32)  # untouched pages cost no RSS
        self.n = 0

    def append(self, x: np.ndarray) -> None:
        need = self.n + len(x)
        if need > len(self.buf):
            self.buf.resize(max(need, int(len(self.buf) * 1.5)), refcheck=False)
        self.buf[self.n:need] = x
        self.n = need

    def finish(self) -> np.ndarray:
        self.buf.resize(self.n, refcheck=False)
        return self.buf


class _SpillOutput:
    """Decoded samples written block by block to a temporary file (no mapping while writing, so no
    resident pages), then memory-mapped; the file is unlinked at once where the system allows (POSIX),
    else removed when the mapping is released."""

    def __init__(self, folder: str | None = None) -> None:
        folder = folder or os.environ.get("FAIK_TEMP_DIR") or None
        fd, self.path = tempfile.mkstemp(prefix="faik-decoded-", suffix=".f32", dir=folder)
        self.fh = os.fdopen(fd, "wb")
        self.n = 0

    def append(self, x: np.ndarray) -> None:
        try:
            self.fh.write(memoryview(np.ascontiguousarray(x, dtype=np.float32)).cast("B"))
        except OSError as exc:  # not the input's fault: say where the room ran out
            self.discard()
            raise AudioDecodeError(
                f"no room for the decoded recording in the temporary folder {Path(self.path).parent} "
                f"({exc.strerror or exc}); free some disk space or set FAIK_TEMP_DIR to another folder"
            ) from exc
        self.n += len(x)

    def discard(self) -> None:
        self.fh.close()
        _remove_quietly(self.path)

    def finish(self) -> np.ndarray:
        self.fh.close()
        if self.n == 0:
            self.discard()
            return np.zeros(0, dtype=np.float32)
        samples = np.memmap(self.path, dtype=np.float32, mode="r+", shape=(self.n,))
        if sys.platform != "win32":
            _remove_quietly(self.path)  # the mapping keeps the data; the folder forgets it now
        else:  # pragma: no cover - Windows cannot remove a mapped file
            weakref.finalize(samples, _remove_quietly, self.path)
        return samples


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _new_output(declared_s: float, estimate: int, target_sr: int):
    """A :class:`_SpillOutput` for a recording of ``SPILL_AFTER_S`` or more, else an in-memory one
    (also when no temporary file can be made: memory still works for all but the longest)."""
    if declared_s >= SPILL_AFTER_S:
        try:
            return _SpillOutput()
        except OSError:
            pass
    return _Output(min(estimate, _MAX_PREALLOC_SAMPLES))


def is_mapped(samples: np.ndarray) -> bool:
    """True when ``samples`` is a memory-mapped recording (see the module docstring)."""
    return isinstance(getattr(samples, "_mmap", None), mmap.mmap)


class PageReleaser:
    """Gives back the pages of a memory-mapped recording behind a pass that moves forward through it.

    ``upto(i)``: samples before ``i`` will not be read again soon; their whole pages leave this
    process's resident set (``MADV_DONTNEED``; the data stays in the file and the system's cache).
    A no-op for an in-memory array, or where the system has no ``madvise``."""

    def __init__(self, samples: np.ndarray) -> None:
        self._mm = getattr(samples, "_mmap", None) if is_mapped(samples) else None
        if self._mm is not None and not hasattr(self._mm, "madvise"):  # pragma: no cover - Windows
            self._mm = None
        # Where ``samples`` starts inside the mapping (a slice of a mapped recording starts further in).
        self._offset = 0
        if self._mm is not None:
            import ctypes

            try:
                base = ctypes.addressof(ctypes.c_char.from_buffer(self._mm))
            except (TypeError, ValueError):  # pragma: no cover - a read-only or closed mapping
                self._mm = None
            else:
                self._offset = int(samples.ctypes.data) - base
        self._itemsize = samples.dtype.itemsize
        self._done = 0  # bytes of the mapping already given back
        self.released = 0  # samples given back so far (for tests)

    def upto(self, i: int) -> None:
        if self._mm is None:
            return
        end = (self._offset + int(i) * self._itemsize) // mmap.PAGESIZE * mmap.PAGESIZE
        if end > self._done:
            try:
                self._mm.madvise(mmap.MADV_DONTNEED, self._done, end - self._done)
            except (OSError, ValueError):  # pragma: no cover - a closed mapping: nothing to give back
                return
            self._done = end
            self.released = max(0, (end - self._offset) // self._itemsize)

    #: How far around a window the kernel may have mapped pages in: a read fault maps the whole
    #: page-cache folio it lands in, and on current Linux (large folios) that can be up to 2 MiB.
    READ_AROUND_BYTES = 2 * 2**20

    def release(self, start: int, end: int) -> None:
        """Give back the pages behind ``samples[start:end]`` and the kernel's read-around of them
        (``READ_AROUND_BYTES`` either side), for checks that read a few windows anywhere in the recording
        rather than one forward pass. Safe for pages another window shares: the data stays in the file
        and reads back on demand."""
        if self._mm is None or end <= start:
            return
        a = max(0, self._offset + int(start) * self._itemsize - self.READ_AROUND_BYTES)
        a = a // mmap.PAGESIZE * mmap.PAGESIZE
        b = min(len(self._mm), self._offset + int(end) * self._itemsize + self.READ_AROUND_BYTES)
        if b > a:
            try:
                self._mm.madvise(mmap.MADV_DONTNEED, a, b - a)
            except (OSError, ValueError):  # pragma: no cover - a closed mapping: nothing to give back
                pass


def copy_windows(samples: np.ndarray, spans) -> list[np.ndarray]:
    """Float32 copies of ``samples[a:b]`` for each ``(a, b)`` in ``spans``.

    Why copies: the input checks sample a few hundred short windows spread over a recording; read
    straight from a memory-mapped 3-hour file, every window's pages (and the kernel's read-around of
    them, ~100 MB in all) would stay in the resident set until the file is closed. Each window's pages
    are given back as soon as it is copied."""
    rel = PageReleaser(samples)
    out = []
    for a, b in spans:
        out.append(np.array(samples[a:b], dtype=np.float32))
        rel.release(a, b)
    return out


def _blocks(n: int, block: int = PASS_BLOCK):
    for a in range(0, n, block):
        yield a, min(n, a + block)


def _min_max(samples: np.ndarray) -> tuple[float, float]:
    """min and max (NaN and inf show through), block by block for a memory-mapped recording."""
    if not is_mapped(samples):
        return float(samples.min()), float(samples.max())
    lo, hi = math.inf, -math.inf
    rel = PageReleaser(samples)
    for a, b in _blocks(len(samples)):
        block = samples[a:b]
        lo, hi = min(lo, float(block.min())), max(hi, float(block.max()))
        rel.upto(b)
    return lo, hi


def _in_place(samples: np.ndarray, fn: Callable[[np.ndarray], None]) -> None:
    """``fn(block)`` on every block of ``samples`` (the whole array at once when it is in memory)."""
    if not is_mapped(samples):
        fn(samples)
        return
    rel = PageReleaser(samples)
    for a, b in _blocks(len(samples)):
        fn(samples[a:b])
        rel.upto(b)


class _Resampler:
    """Mono float block -> target-rate float32, rebuilt if the source rate changes mid-stream."""

    def __init__(self, target_sr: int) -> None:
        self.target_sr = target_sr
        self.src_sr: int | None = None
        self._r = None

    def _run(self, frame) -> list[np.ndarray]:
        return [f.to_ndarray()[0] for f in self._r.resample(frame)]

    def push(self, mono: np.ndarray, src_sr: int) -> list[np.ndarray]:
        import av

        out: list[np.ndarray] = []
        if src_sr != self.src_sr:
            out += self.flush()
            self.src_sr = src_sr
            self._r = None if src_sr == self.target_sr else av.AudioResampler(
                format="flt", layout="mono", rate=self.target_sr
            )
        if self._r is None:
            return out + [mono]
        frame = av.AudioFrame.from_ndarray(mono[None, :], format="flt", layout="mono")
        frame.sample_rate = src_sr
        return out + self._run(frame)

    def flush(self) -> list[np.ndarray]:
        if self._r is None:
            return []
        out = self._run(None)
        self._r = None
        self.src_sr = None
        return out


def load_audio(
    path: str | os.PathLike,
    target_sr: int = TARGET_SAMPLE_RATE,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> DecodedAudio:
    """Decode ``path`` to mono float32 at ``target_sr``, in blocks (see module docstring).

    ``progress(fraction)`` is called with 0..1 as decoding advances;
    ``cancel()`` returning True stops decoding with :class:`AnalysisCancelled`.
    """
    try:
        return _load_audio(path, target_sr, progress, cancel)
    except MemoryError as exc:
        name = Path(path).name
        raise AudioDecodeError(
            f"{name} is too long to decode in this computer's memory; split it into shorter files"
        ) from exc


def _load_audio(
    path: str | os.PathLike,
    target_sr: int,
    progress: Callable[[float], None] | None,
    cancel: Callable[[], bool] | None,
) -> DecodedAudio:
    import av

    if target_sr <= 0:
        raise ValueError(f"target_sr must be positive, got {target_sr}")
    p = Path(path)
    st = _check_readable(p)
    container = _open_container(p)
    spill = None
    try:
        stream = _audio_stream(container, p)
        info = _info(p, st, container, stream)
        if stream.codec_context is None:
            raise AudioDecodeError(f"{p.name} uses an audio codec this app cannot decode; convert it to WAV or FLAC")
        if 0 < info.sample_rate < MIN_SOURCE_RATE:
            raise AudioDecodeError(f"{p.name} declares a sample rate of {info.sample_rate} Hz, which no recording "
                                   "has: its header is damaged")
        # A cut-off WAV: its header promises more than the file holds.
        declared = max(info.duration_s, _wav_declared_duration(p, info.size_bytes))
        # Sized from the header, capped: a damaged header claiming days must not reserve that much.
        estimate = int(math.ceil((declared * 1.05 + 1.0) * target_sr)) if declared > 0 else 60 * target_sr
        out = _new_output(declared, estimate, target_sr)
        spill = out if isinstance(out, _SpillOutput) else None
        resampler = _Resampler(target_sr)
        # Decoded frames (~1 000 samples each) gather in FFmpeg's own FIFO and come out as one frame
        # of ~64 k samples: the per-frame work stays in C, numpy and the resampler see blocks.
        # A FIFO holds one format, layout and rate; a change mid-stream drains it first.
        fifo = None
        fifo_key: tuple = ()
        nonfinite = 0
        source_values = 0
        decode_error: BaseException | None = None
        last_reported = -1.0
        if progress is not None:
            progress(0.0)

        def drain() -> None:
            nonlocal nonfinite
            if fifo is not None and fifo.samples:
                mono, bad = _frame_to_mono(fifo.read())
                nonfinite += bad
                for y in resampler.push(mono, fifo.sample_rate):
                    out.append(y)

        def handle(frame) -> None:
            nonlocal fifo, fifo_key, source_values, last_reported
            if frame.samples == 0:
                return
            if progress is not None and declared > 0 and frame.time is not None:
                frac = min(1.0, max(0.0, float(frame.time) / declared))
                if frac - last_reported >= 0.01:
                    last_reported = frac
                    progress(frac)
            # Everything a FIFO is made for (PyAV does not check it all: a frame of another channel
            # count written into it crashes the process, so the key is exact).
            key = (frame.format.name, frame.layout.name, frame.layout.nb_channels, frame.sample_rate)
            if key != fifo_key:
                drain()
                fifo, fifo_key = av.AudioFifo(), key
            source_values += frame.samples * frame.layout.nb_channels
            frame.pts = None  # the FIFO would insist on gapless timestamps; gaps are the decoder's business
            fifo.write(frame)
            if fifo.samples >= _BLOCK_SAMPLES:
                drain()

        bad_packets = consecutive_bad = 0
        last_error: BaseException | None = None
        try:
            # Packet by packet, so one damaged packet (a glitch, a joint between two
            # concatenated files) is skipped as FFmpeg's own tools do, instead of ending the decode.
            for packet in container.demux(stream):
                if cancel is not None and cancel():
                    raise AnalysisCancelled("decoding cancelled")
                try:
                    frames = packet.decode()
                except (av.error.FFmpegError, ValueError) as exc:
                    bad_packets += 1
                    consecutive_bad += 1
                    last_error = exc
                    if consecutive_bad > _MAX_CONSECUTIVE_BAD_PACKETS:
                        decode_error = exc
                        break
                    continue
                consecutive_bad = 0
                for frame in frames:
                    handle(frame)
        except AnalysisCancelled:
            raise
        except (av.error.FFmpegError, ValueError, OSError) as exc:
            # The container itself broke off (cut-off file): keep what decoded; judged below.
            decode_error = exc
        drain()
        for y in resampler.flush():
            out.append(y)
    except BaseException:
        if spill is not None:
            spill.discard()  # cancelled or failed: no temporary file is left behind
        raise
    finally:
        container.close()

    samples = out.finish()
    _check_unchanged(p, st)
    return _finish(samples, target_sr, info, declared, nonfinite, source_values,
                   decode_error, last_error, bad_packets, progress)


def _finish(
    samples: np.ndarray,
    sr: int,
    info: AudioInfo,
    declared: float,
    nonfinite: int,
    source_values: int,
    decode_error: BaseException | None,
    last_error: BaseException | None,
    bad_packets: int,
    progress: Callable[[float], None] | None,
) -> DecodedAudio:
    """Validate decoded samples: truncation, zero length, damage, NaN share, level, silence."""
    name = info.name
    cause = decode_error or last_error
    warnings: list[str] = []
    got = len(samples) / sr
    truncated = decode_error is not None or (
        declared > 0 and got < declared * _TRUNCATION_SHARE and declared - got > _TRUNCATION_SLACK_S
    )
    if 0 < len(samples) < MIN_DURATION_S * sr and not truncated:
        raise AudioDecodeError(f"{name} is too short to analyse ({1000 * got:.0f} ms; at least "
                               f"{1000 * MIN_DURATION_S:.0f} ms of audio is needed)")
    if len(samples) == 0:
        if truncated or declared > 0:
            raise AudioDecodeError(
                f"{name} appears truncated or damaged: no audio could be decoded"
            ) from cause
        raise AudioDecodeError(f"{name} contains no audio (0 s); choose a recording with sound")
    if truncated:
        if got <= MIN_TRUNCATED_DURATION_S:
            raise AudioDecodeError(
                f"{name} appears truncated or damaged: only {got:.2f} s could be decoded"
            ) from cause
        warnings.append(f"file appears truncated; analysed the first {got:.1f} s")
    elif bad_packets:
        warnings.append(f"{bad_packets} damaged block(s) could not be decoded and were skipped")
    if nonfinite:
        share = nonfinite / max(source_values, 1)
        if share >= MAX_NONFINITE_SHARE:
            raise AudioDecodeError(
                f"{name} is damaged: {share:.1%} of its samples are not numbers (NaN/inf)"
            )
        warnings.append(f"{nonfinite} invalid samples (NaN/inf) were replaced by silence")
    # min/max propagate NaN and show inf, and need no full-size temporary (np.abs would).
    lo, hi = _min_max(samples)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        # Non-finite input is zeroed before resampling; this is only a safety net.
        _in_place(samples, lambda x: np.nan_to_num(x, copy=False, nan=0.0, posinf=0.0, neginf=0.0))
        lo, hi = _min_max(samples)
    peak = max(abs(lo), abs(hi))
    if peak < 10 ** (SILENCE_PEAK_DBFS / 20):
        level = "all samples are zero" if peak == 0 else f"peak level {20 * math.log10(peak):.0f} dBFS"
        raise AudioDecodeError(
            f"the recording is silent ({level}; below {SILENCE_PEAK_DBFS:.0f} dBFS); "
            "choose a recording with audible speech"
        )
    if peak > 1.0:
        # Float sources can exceed full scale; scale rather than clip, so the waveform keeps its shape.
        def fit(x: np.ndarray) -> None:
            x *= np.float32(1.0 / peak)
            np.clip(x, -1.0, 1.0, out=x)

        _in_place(samples, fit)
        if peak > 1.01:
            warnings.append(f"the recording exceeds full scale (peak {peak:.2f}); it was scaled down to fit")
    if progress is not None:
        progress(1.0)
    return DecodedAudio(samples=samples, sample_rate=sr, info=info, warnings=tuple(warnings))


def waveform_envelope(samples: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of ``samples`` in ``n_bins`` equal bins (for drawing a waveform).

    Vectorised with ``np.minimum.reduceat``: one pass over the data. When there
    are fewer samples than bins, a bin takes the sample at its position. An
    empty signal gives zeros.
    """
    if n_bins <= 0:
        raise ValueError(f"n_bins must be positive, got {n_bins}")
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"samples must be one-dimensional, got shape {x.shape}")
    n = len(x)
    if n == 0:
        z = np.zeros(n_bins, dtype=np.float32)
        return z, z.copy()
    idx = (np.arange(n_bins, dtype=np.int64) * n) // n_bins
    if not is_mapped(samples):
        return np.minimum.reduceat(x, idx), np.maximum.reduceat(x, idx)
    # A memory-mapped recording: bins a block at a time, each block's pages given back after it.
    mins, maxs = np.empty(n_bins, x.dtype), np.empty(n_bins, x.dtype)
    rel = PageReleaser(samples)
    per_block = max(1, (PASS_BLOCK * n_bins) // n)
    for b0 in range(0, n_bins, per_block):
        b1 = min(n_bins, b0 + per_block)
        s0, s1 = int(idx[b0]), (int(idx[b1]) if b1 < n_bins else n)
        seg, local = x[s0:max(s1, s0 + 1)], idx[b0:b1] - s0
        mins[b0:b1], maxs[b0:b1] = np.minimum.reduceat(seg, local), np.maximum.reduceat(seg, local)
        rel.upto(s1)
    return mins, maxs
