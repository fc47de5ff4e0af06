"""A Tippett plot as a PNG, for a model card: no plotting library, no fonts.

A Tippett plot shows, for every value x of log10 LR, the share of AI-generated recordings whose LR is
at least x (vermillion) and the share of real recordings whose LR is at least x (blue). Good evidence
keeps the vermillion curve high to the right of 0 and the blue one low; where the blue curve runs
right of 0, real recordings got LRs that support "AI-generated" (misleading evidence), and vice versa.

Drawn with numpy into an RGB raster and written with the standard library (as
:func:`detector.spectrogram.png_bytes` does for grayscale), the labels in a built-in 5x7 pixel font.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

_W, _H = 640, 420
_L, _R, _T, _B = 70, 20, 40, 60  # margins
_AI = (0xD5, 0x5E, 0x00)
_REAL = (0x00, 0x72, 0xB2)
_GRID = (0xDD, 0xDD, 0xDD)
_INK = (0x22, 0x22, 0x22)

# 5x7 glyphs, one string of 7 rows of 5 bits each.
_FONT = {
    "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11110 00001 00001 01110 00001 00001 11110",
    "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
    "-": "00000 00000 00000 11111 00000 00000 00000", ".": "00000 00000 00000 00000 00000 01100 01100",
    ">": "01000 00100 00010 00001 00010 00100 01000", "=": "00000 00000 11111 00000 11111 00000 00000",
    " ": "00000 00000 00000 00000 00000 00000 00000", "(": "00010 00100 01000 01000 01000 00100 00010",
    ")": "01000 00100 00010 00010 00010 00100 01000", ":": "00000 01100 01100 00000 01100 01100 00000",
    ",": "00000 00000 00000 00000 01100 00100 01000", "/": "00001 00010 00010 00100 01000 01000 10000",
    "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11110 10001 10001 10001 10001 10001 11110",
    "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110", "K": "10001 10010 10100 11000 10100 10010 10001",
    "L": "10000 10000 10000 10000 10000 10000 11111", "M": "10001 11011 10101 10101 10001 10001 10001",
    "N": "10001 11001 10101 10011 10001 10001 10001", "O": "01110 10001 10001 10001 10001 10001 01110",
    "P": "11110 10001 10001 11110 10000 10000 10000", "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 01010 00100 00100 00100 00100",
}


def _png_rgb(img: np.ndarray) -> bytes:
    h, w, _ = img.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, w * 3)], axis=1).tobytes()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _text(img: np.ndarray, x: int, y: int, text: str, colour=_INK, scale: int = 2, anchor: str = "left") -> None:
    text = text.upper()
    width = len(text) * 6 * scale
    x0 = x - width if anchor == "right" else x - width // 2 if anchor == "centre" else x
    for i, ch in enumerate(text):
        rows = _FONT.get(ch, _FONT[" "]).split()
        for r, bits in enumerate(rows):
            for c, b in enumerate(bits):
                if b == "1":
                    yy, xx = y + r * scale, x0 + (i * 6 + c) * scale
                    img[max(0, yy):yy + scale, max(0, xx):xx + scale] = colour


def _line(img: np.ndarray, xs: np.ndarray, ys: np.ndarray, colour, width: int = 2) -> None:
    """A polyline through pixel points (x, y), drawn by dense sampling."""
    for (x0, y0), (x1, y1) in zip(zip(xs[:-1], ys[:-1]), zip(xs[1:], ys[1:])):
        n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        px = np.round(np.linspace(x0, x1, n)).astype(int)
        py = np.round(np.linspace(y0, y1, n)).astype(int)
        for d in range(width):
            img[np.clip(py + d - width // 2, 0, img.shape[0] - 1), np.clip(px, 0, img.shape[1] - 1)] = colour


def tippett_png(log10_lr: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray, title: str = "",
                x_range: tuple[float, float] = (-3.0, 3.0)) -> bytes:
    """The Tippett plot of ``log10_lr`` (labels: 1 = AI-generated, 0 = real) as PNG bytes."""
    v = np.asarray(log10_lr, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if v.size != y.size or not (y == 1).any() or not (y == 0).any():
        raise ValueError("a Tippett plot needs LRs of both AI-generated and real recordings")
    lo, hi = x_range
    img = np.full((_H, _W, 3), 255, np.uint8)
    pw, ph = _W - _L - _R, _H - _T - _B

    def px(x):
        return _L + (np.clip(x, lo, hi) - lo) / (hi - lo) * pw

    def py(p):
        return _T + (1.0 - np.asarray(p)) * ph

    for k in range(int(np.ceil(lo)), int(np.floor(hi)) + 1):  # grid, ticks and labels
        x = int(round(px(k)))
        img[_T:_T + ph, x] = _INK if k == 0 else _GRID
        _text(img, x, _T + ph + 8, str(k), anchor="centre")
    for p in (0.0, 0.25, 0.5, 0.75, 1.0):
        yy = int(round(py(p)))
        img[yy, _L:_L + pw] = _GRID
        _text(img, _L - 6, yy - 7, f"{p:.2f}", anchor="right")
    img[_T:_T + ph + 1, _L] = _INK
    img[_T + ph, _L:_L + pw + 1] = _INK
    grid = np.linspace(lo, hi, 600)
    for cls, colour in ((1, _AI), (0, _REAL)):
        share = np.array([(v[y == cls] >= g).mean() for g in grid])
        _line(img, px(grid), py(share), colour)
    _text(img, _L + pw // 2, _H - 24, "LOG10 LR  (RIGHT OF 0: SUPPORTS AI-GENERATED)", anchor="centre")
    _text(img, _L + pw - 4, _T + 8, "AI-GENERATED", _AI, anchor="right")
    _text(img, _L + pw - 4, _T + 28, "REAL", _REAL, anchor="right")
    _text(img, 6, 10, (title or "SHARE OF RECORDINGS WITH LOG10 LR >= X")[:52])
    return _png_rgb(img)
