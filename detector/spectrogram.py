"""A spectrogram for people to look at: any time range of a recording, in a bounded number of columns.

Why: an investigator reads a recording's spectrum as much as its waveform — a telephone band stops
at 3.4–4 kHz, a codec cuts the top off, a spliced passage can change the noise floor or the
bandwidth at its edges, and some vocoders leave stripes. This is a display, not a model input: the
detector never sees it.

Its cost depends on the number of columns asked for (a window's width in pixels), not on the
recording's length: each column averages the power of ``per_column`` short FFT frames spread over its
stretch of time, so a one-hour file zoomed out costs as much as a ten-second one, and a zoomed-out
column still represents its whole stretch rather than one 32-ms glimpse of it.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

N_FFT = 512  # 32 ms at 16 kHz: the frequency detail of a speech spectrogram (31 Hz bins)
MIN_HOP = N_FFT // 4  # finer columns than this repeat the same frames
DYNAMIC_RANGE_DB = 80.0


@dataclass(frozen=True)
class SpectrogramImage:
    """``db[column, frequency bin]`` in dB relative to a full-scale sine; columns span ``[t0, t1]``
    evenly, bins span 0 to ``max_hz`` (the Nyquist frequency) evenly."""

    t0: float
    t1: float
    max_hz: float
    db: np.ndarray

    @property
    def n_columns(self) -> int:
        return int(self.db.shape[0])


def spectrogram_image(samples: np.ndarray, sample_rate: int, t0: float, t1: float, n_columns: int,
                      n_fft: int = N_FFT, per_column: int = 4) -> SpectrogramImage | None:
    """The power spectrum of ``samples`` between ``t0`` and ``t1`` seconds in at most ``n_columns``
    columns (fewer when the range is too short for that many distinct frames); ``None`` when the range
    holds less than one frame."""
    n = len(samples)
    i0 = int(max(0, min(n, np.floor(t0 * sample_rate))))
    i1 = int(max(0, min(n, np.ceil(t1 * sample_rate))))
    if i1 - i0 < n_fft or n_columns < 1:
        return None
    cols = int(min(n_columns, max(1, (i1 - i0) // MIN_HOP)))
    edges = np.linspace(i0, i1, cols + 1)
    k = max(1, int(per_column))
    # Frame starts: k per column, spread over the column's stretch, never running past the end.
    frac = (np.arange(k) + 0.5) / k
    starts = edges[:-1, None] + frac[None, :] * (edges[1:] - edges[:-1])[:, None] - n_fft / 2
    starts = np.clip(np.round(starts).astype(np.int64), 0, n - n_fft)
    window = np.hanning(n_fft).astype(np.float32)
    # A full-scale sine's peak bin then reads 0 dB, whatever the window.
    scale = 4.0 / float(window.sum()) ** 2
    power = np.empty((cols, n_fft // 2 + 1), np.float32)
    from detector.audio import PageReleaser, is_mapped

    x = np.asarray(samples, np.float32)
    block = max(1, 8192 // k)  # bounded memory: at most ~8k frames gathered at once
    # A memory-mapped recording (detector.audio): every frame read maps the 64 KiB around it, so
    # the whole file's overview would make most of a long file resident; a few columns at a time,
    # their pages given back after them.
    pages = PageReleaser(samples) if is_mapped(samples) else None
    if pages is not None:
        block = max(1, 64 // k)
    offsets = np.arange(n_fft)
    for c0 in range(0, cols, block):
        s = starts[c0:c0 + block].reshape(-1)
        frames = x[s[:, None] + offsets[None, :]] * window
        # numpy, not scipy: the frozen app leaves scipy out (build.spec); numpy >= 2 keeps float32 here.
        spec = np.fft.rfft(frames, axis=1)
        p = (spec.real ** 2 + spec.imag ** 2).reshape(-1, k, n_fft // 2 + 1).mean(axis=1)
        power[c0:c0 + block] = p * scale
        if pages is not None and c0 + block < cols:
            pages.upto(int(starts[c0 + block].min()))
    db = 10.0 * np.log10(np.maximum(power, 1e-12))
    return SpectrogramImage(i0 / sample_rate, i1 / sample_rate, sample_rate / 2.0, db.astype(np.float32))


def display_levels(image: SpectrogramImage, dynamic_range_db: float = DYNAMIC_RANGE_DB) -> tuple[float, float]:
    """Colour levels for a whole recording: its loud end (99.5th percentile) down ``dynamic_range_db``.

    Computed once per recording (from its overview) so that zooming and panning keep one scale.
    """
    hi = float(np.percentile(image.db, 99.5)) if image.db.size else 0.0
    return hi - float(dynamic_range_db), hi


def grayscale_pixels(image: SpectrogramImage, levels: tuple[float, float], rows: int | None = None) -> np.ndarray:
    """``uint8`` pixels (rows, columns) for print: loud is dark, quiet is white, high frequencies on top.

    ``rows`` merges neighbouring frequency bins (their mean power) to that many rows.
    """
    db = image.db
    if rows is not None and 0 < rows < db.shape[1]:
        edges = np.linspace(0, db.shape[1], rows + 1).astype(np.int64)
        power = np.add.reduceat(10.0 ** (db / 10.0), edges[:-1], axis=1) / np.diff(edges)[None, :]
        db = 10.0 * np.log10(np.maximum(power, 1e-12))
    lo, hi = levels
    shade = np.clip((db - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    return np.round(255.0 * (1.0 - shade)).astype(np.uint8).T[::-1].copy()


def png_bytes(pixels: np.ndarray) -> bytes:
    """An 8-bit grayscale PNG of ``pixels`` (rows, columns).

    Written with the standard library (zlib, struct): the format needs four fields and a checksum per
    chunk, which does not justify an imaging library in the app for one picture in a report.
    """
    img = np.ascontiguousarray(pixels, dtype=np.uint8)
    if img.ndim != 2 or img.size == 0:
        raise ValueError("png_bytes needs a non-empty 2-D array")
    h, w = img.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), img], axis=1).tobytes()  # filter byte 0 per row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)  # 8-bit, grayscale, deflate, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
