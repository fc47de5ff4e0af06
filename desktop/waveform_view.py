"""Waveform, chunk lanes and P(AI)-over-time, drawn with pyqtgraph.

Four plots share one time axis (mm:ss):

* the waveform as a min/max envelope recomputed for the visible range, from a
  coarse :class:`EnvelopePyramid` level when zoomed out (a 3-hour file draws
  a few thousand points, not 170 million) and from the samples when zoomed in;
* a spectrogram (0 to the Nyquist frequency) of the visible range, one column per pixel
  (:mod:`detector.spectrogram`), on one colour scale per file;
* chunk *lanes*: overlapping chunks go to different rows, so every chunk stays
  visible; all chunks are one ``BarGraphItem`` (one brush per bar: vermillion
  AI-sounding / grey unsure / blue real-sounding, opacity by confidence) instead of hundreds of items;
* P(AI) per chunk (at its centre) with the 0.5 decision threshold.

Clicking anywhere selects the chunk under the cursor (in the lanes, the chunk
of that lane). Nothing here derives a number from the audio: the chunk fields
are drawn as the detector gave them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from desktop import style
from detector.timeline import assign_lanes
from detector.result import DEFAULT_THRESHOLD, ChunkResult
from detector.spectrogram import SpectrogramImage, display_levels, spectrogram_image

BASE_BIN = 256  # samples per bin of the pyramid's base level (16 ms at 16 kHz)
SPECTROGRAM_COLUMNS = 1200  # the whole file's overview; zoomed views get one column per pixel
LEVEL_STEP = 32  # each coarser level merges this many bins of the one below
STREAM_REDRAW_MIN_MS = 100  # chunks streamed in during an analysis are drawn at most this often...
STREAM_REDRAW_SHARE = 20  # ...and after a redraw, not again for this many times as long as it took


@lru_cache(maxsize=512)
def _brush_for(band: str, alpha_step: int):
    return pg.mkBrush(*style.rgba(style.BAND_COLOR[band], alpha_step / 100.0))


def _chunk_brush(chunk: ChunkResult):
    """Shared brushes (one per band colour and 1 % of opacity): thousands of chunks, few objects. Colour
    by the chunk's band (AI-sounding / unsure / real-sounding); unsure chunks half-tone."""
    alpha = 0.5 if chunk.band == "unsure" else style.confidence_alpha(chunk.confidence)
    return _brush_for(chunk.band, int(round(100 * alpha)))


_POINT_BRUSH = {band: pg.mkBrush(color) for band, color in style.BAND_COLOR.items()}


def _envelope(samples: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    from detector.audio import waveform_envelope

    n_bins = max(1, min(int(n_bins), len(samples)))
    return waveform_envelope(samples, n_bins)


@dataclass
class EnvelopePyramid:
    """Min/max levels: a base level (``BASE_BIN`` samples per bin), coarser levels
    (``LEVEL_STEP`` times coarser each) and, optionally, the samples.

    Built once per file (in the analysis worker, off the GUI thread); a redraw
    then reduces the finest level that still has at least two bins per pixel,
    so its cost depends on the window's width, not on the recording's length.
    """

    mins: np.ndarray
    maxs: np.ndarray
    n_samples: int
    sample_rate: int
    samples: np.ndarray | None = None
    levels: list = field(default_factory=list)  # [(samples per bin, mins, maxs)], coarser than the base
    # The whole file's spectrogram at a window's width, made the first time the file is drawn; it
    # outlives the samples (dropped for older files of a long queue), so a zoomed-out view stays.
    spectrogram: SpectrogramImage | None = None

    def __post_init__(self) -> None:
        if self.levels:
            return
        size, mins, maxs = BASE_BIN, self.mins, self.maxs
        while len(mins) > 2 * LEVEL_STEP:
            idx = np.arange(0, len(mins), LEVEL_STEP)
            mins, maxs = np.minimum.reduceat(mins, idx), np.maximum.reduceat(maxs, idx)
            size *= LEVEL_STEP
            self.levels.append((size, mins, maxs))

    @classmethod
    def build(cls, samples: np.ndarray, sample_rate: int, keep_samples: bool = True) -> "EnvelopePyramid":
        n = len(samples)
        mins, maxs = _envelope(samples, math.ceil(n / BASE_BIN)) if n else (np.zeros(0), np.zeros(0))
        return cls(np.asarray(mins, np.float32), np.asarray(maxs, np.float32), n, sample_rate,
                   samples if keep_samples else None)

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate if self.sample_rate else 0.0

    def view(self, t0: float, t1: float, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(times, mins, maxs)`` for ``[t0, t1]`` in about ``n_bins`` bins.

        When there are fewer samples than bins, ``mins == maxs == samples``.
        """
        sr, n = self.sample_rate, self.n_samples
        i0 = int(max(0, min(n, math.floor(t0 * sr))))
        i1 = int(max(0, min(n, math.ceil(t1 * sr))))
        span = i1 - i0
        empty = np.zeros(0, np.float32)
        if span <= 0 or n_bins <= 0:
            return empty, empty, empty
        if self.samples is not None and span <= n_bins:
            seg = self.samples[i0:i1]
            return (np.arange(i0, i1) / sr), seg, seg
        if self.samples is not None and span < n_bins * BASE_BIN * 2:
            mins, maxs = _envelope(self.samples[i0:i1], n_bins)
            k = len(mins)
            centres = i0 + (np.arange(k) + 0.5) * span / k
            return centres / sr, np.asarray(mins), np.asarray(maxs)
        # Zoomed out (or samples dropped): reduce the finest level with >= 2 bins per output bin.
        size, lmins, lmaxs = BASE_BIN, self.mins, self.maxs
        for lsize, lm, lx in self.levels:
            if span / lsize < 2 * n_bins:
                break
            size, lmins, lmaxs = lsize, lm, lx
        b0, b1 = i0 // size, min(len(lmins), math.ceil(i1 / size))
        if b1 <= b0:
            return empty, empty, empty
        k = min(n_bins, b1 - b0)
        edges = np.unique(np.linspace(0, b1 - b0, k + 1).astype(np.int64)[:-1])
        mins = np.minimum.reduceat(lmins[b0:b1], edges)
        maxs = np.maximum.reduceat(lmaxs[b0:b1], edges)
        ends = np.append(edges[1:], b1 - b0)
        centres = (b0 + (edges + ends) / 2.0) * size
        return centres / sr, mins, maxs


class TimeAxis(pg.AxisItem):
    """Bottom axis in mm:ss (h:mm:ss past an hour) with tick steps that suit clock time."""

    _STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)

    def __init__(self, **kwargs) -> None:
        super().__init__(orientation="bottom", **kwargs)

    def tickSpacing(self, minVal: float, maxVal: float, size: float):  # noqa: N802 (pyqtgraph API)
        span = maxVal - minVal
        if span <= 0 or size <= 0:
            return []
        target = span / max(2.0, size / 90.0)
        major = next((s for s in self._STEPS if s >= target), self._STEPS[-1])
        minor = next((s for s in reversed(self._STEPS) if s <= major / 4), major / 5)
        return [(major, 0), (minor, 0)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        precise = spacing < 1
        return [style.format_mmss(v, precise=precise) for v in values]


class WaveformView(pg.GraphicsLayoutWidget):
    """The result plots. Emits ``chunk_selected(chunk_index)`` on a click."""

    def apply_palette(self, palette=None) -> None:
        """Plot background, axes, waveform and lines from the palette (light or dark desktop theme)."""
        from desktop.theme import PlotColors

        colors = PlotColors.from_palette(palette or self.palette())
        self.plot_colors = colors
        self.setBackground(colors.background)
        for p in (self.wave_plot, self.spec_plot, self.lane_plot, self.prob_plot):
            for side in ("left", "bottom"):
                axis = p.getAxis(side)
                axis.setPen(pg.mkPen(colors.text))
                axis.setTextPen(pg.mkPen(colors.text))
        for curve in (self._wave_curve, self._wave_line):
            curve.setPen(pg.mkPen(colors.waveform, width=1))
        self._prob_curve.setPen(pg.mkPen(colors.curve, width=1))
        self._threshold.setPen(pg.mkPen(colors.threshold, width=1, style=Qt.PenStyle.DashLine))
        self._bars.setOpts(pen=pg.mkPen(colors.bar_outline, width=1))

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_bars"):
            self.apply_palette()

    chunk_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Background, axes and lines come from the palette (apply_palette, at the end and on a theme change).
        self.ci.setSpacing(2)
        self.ci.setContentsMargins(4, 4, 12, 4)
        self.wave_plot = self.addPlot(row=0, col=0)
        self.spec_plot = self.addPlot(row=1, col=0)
        self.lane_plot = self.addPlot(row=2, col=0)
        self.prob_plot = self.addPlot(row=3, col=0, axisItems={"bottom": TimeAxis()})
        for row, stretch in enumerate((5, 4, 2, 3)):
            self.ci.layout.setRowStretchFactor(row, stretch)
        for p, label in ((self.wave_plot, "Audio"), (self.spec_plot, "kHz"), (self.lane_plot, "Chunks"),
                         (self.prob_plot, "P(AI)")):
            p.setMenuEnabled(False)
            p.hideButtons()
            p.setMouseEnabled(x=True, y=False)
            p.getAxis("left").setWidth(58)
            p.getAxis("left").enableAutoSIPrefix(False)
            p.getAxis("bottom").enableAutoSIPrefix(False)
            p.setLabel("left", label)
            p.showGrid(x=True, y=False, alpha=0.15)
            if p is not self.prob_plot:
                p.getAxis("bottom").setStyle(showValues=False)
                p.getAxis("bottom").setHeight(4)
            if p is not self.wave_plot:
                p.setXLink(self.wave_plot)
        self.prob_plot.setLabel("bottom", "time (mm:ss)")
        self.setToolTip("Mouse wheel: zoom · drag: pan · click: select a chunk (and play it)")
        self.wave_plot.setYRange(-1.0, 1.0, padding=0.02)
        self.wave_plot.getAxis("left").setTicks([[(-1, "-1"), (0, "0"), (1, "1")]])
        self.prob_plot.setYRange(0.0, 1.0, padding=0.05)
        self.prob_plot.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])
        self.lane_plot.getAxis("left").setTicks([[]])
        # Spectrogram, 0 to 8 kHz: band limits (telephone, codecs), noise floors and splice edges show here.
        self.spec_plot.setYRange(0.0, 8000.0, padding=0)
        self.spec_plot.getAxis("left").setTicks([[(0, "0"), (4000, "4"), (8000, "8")], [(2000, ""), (6000, "")]])
        self._spec_image = pg.ImageItem(axisOrder="col-major")
        self._spec_image.setLookupTable(pg.colormap.get("inferno").getLookupTable(nPts=256))
        self.spec_plot.addItem(self._spec_image)
        self._spec_levels: tuple[float, float] | None = None
        self.lane_plot.invertY(True)  # first lane on top, reading order

        self._wave_curve = pg.PlotDataItem(pen=pg.mkPen("#444444", width=1), connect="pairs",
                                           antialias=False, skipFiniteCheck=True)
        self._wave_line = pg.PlotDataItem(pen=pg.mkPen("#444444", width=1), antialias=False)
        self.wave_plot.addItem(self._wave_curve)
        self.wave_plot.addItem(self._wave_line)
        self._bars = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[], brushes=[],
                                     pen=pg.mkPen(255, 255, 255, 255, width=1))
        self.lane_plot.addItem(self._bars)
        self._prob_curve = pg.PlotDataItem(pen=pg.mkPen("#666666", width=1))
        self._prob_points = pg.ScatterPlotItem(size=6, pen=None)
        self.prob_plot.addItem(self._prob_curve)
        self.prob_plot.addItem(self._prob_points)
        self._threshold = pg.InfiniteLine(pos=DEFAULT_THRESHOLD, angle=0, movable=False,
                                          pen=pg.mkPen("#888888", width=1, style=Qt.PenStyle.DashLine))
        self.prob_plot.addItem(self._threshold)
        self._selection = []
        for p in (self.wave_plot, self.spec_plot, self.lane_plot, self.prob_plot):
            region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(255, 200, 0, 70),
                                         pen=pg.mkPen(200, 140, 0, 255, width=1))
            # Behind the envelope; over the lanes' bars and the spectrogram's image (else it is hidden).
            region.setZValue(10 if p in (self.lane_plot, self.spec_plot) else -10)
            region.setVisible(False)
            p.addItem(region)
            self._selection.append(region)
        # AI-sounding stretches (runs of AI chunks, from the result's provenance): outlined on the
        # waveform, where the user listens, and kept behind the envelope and the chunk selection.
        self._stretch_items: list[pg.LinearRegionItem] = []
        self._spec_stretch_items: list[pg.LinearRegionItem] = []
        self._cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#009E73", width=2))
        self._cursor.setVisible(False)
        self.wave_plot.addItem(self._cursor)

        self.apply_palette()

        self._pyramid: EnvelopePyramid | None = None
        self._chunks: list[ChunkResult] = []
        self._lanes: list[int] = []
        self._lane_ends: list[float] = []
        self._duration = 0.0
        self.selected_chunk: int | None = None
        self._envelope_timer = QTimer(self, singleShot=True, interval=0)
        self._envelope_timer.timeout.connect(self._redraw_envelope)
        self._chunk_timer = QTimer(self, singleShot=True, interval=STREAM_REDRAW_MIN_MS)  # coalesce streamed chunks
        self._chunk_timer.timeout.connect(self._redraw_streamed_chunks)
        self.wave_plot.sigXRangeChanged.connect(lambda *_: self._envelope_timer.start())
        self.scene().sigMouseClicked.connect(self._on_click)
        self.clear_result()

    @property
    def spectrogram_visible(self) -> bool:
        return self.spec_plot.isVisible()

    def set_spectrogram_visible(self, visible: bool) -> None:
        """Show or hide the spectrogram row; hidden, its height goes to the other plots (small screens)."""
        self.spec_plot.setVisible(visible)
        self.spec_plot.setMaximumHeight(16777215 if visible else 0)  # a hidden layout item still takes room
        self.ci.layout.setRowStretchFactor(1, 4 if visible else 0)
        if visible:
            self._envelope_timer.start()  # draw what was skipped while hidden

    # -- data -------------------------------------------------------------------------------------
    def clear_result(self) -> None:
        """Back to empty plots."""
        self._pyramid = None
        self._chunks, self._lanes, self._lane_ends = [], [], []
        self._duration = 0.0
        self.selected_chunk = None
        for r in self._selection:
            r.setVisible(False)
        self._cursor.setVisible(False)
        self.set_stretches([])
        self._wave_curve.setData([], [])
        self._wave_line.setData([], [])
        self._spec_image.clear()
        self._spec_levels = None
        self._redraw_chunks()
        self._set_x_extent(60.0)  # an empty minute rather than a meaningless sub-second axis

    def set_audio(self, pyramid: EnvelopePyramid) -> None:
        """Draw a new recording's waveform (chunks arrive afterwards)."""
        self.clear_result()
        self._pyramid = pyramid
        self._set_x_extent(pyramid.duration_s)
        self._redraw_envelope()

    def add_chunk(self, chunk: ChunkResult) -> None:
        """A chunk streamed in from the worker; drawing is batched every 100 ms."""
        self._chunks.append(chunk)
        self._lanes.extend(assign_lanes([chunk], self._lane_ends))
        if chunk.end_time > self._duration:
            self._set_x_extent(chunk.end_time)
        if not self._chunk_timer.isActive():
            self._chunk_timer.start()

    def set_chunks(self, chunks: Sequence[ChunkResult]) -> None:
        """Replace all chunks (a finished result) and draw them now."""
        self._chunks = list(chunks)
        self._lane_ends = []
        self._lanes = assign_lanes(self._chunks, self._lane_ends)
        if self._chunks and self._pyramid is None:
            self._set_x_extent(max(c.end_time for c in self._chunks))
        self._chunk_timer.stop()
        self._redraw_chunks()

    def set_stretches(self, stretches: Sequence[Mapping]) -> None:
        """Outline the result's AI-sounding stretches (``provenance["ai_stretches"]``: dicts with
        ``start_time``, ``end_time``, ``chunks``) on the waveform; an empty list removes them."""
        for item in self._stretch_items:
            self.wave_plot.removeItem(item)
        for item in self._spec_stretch_items:
            self.spec_plot.removeItem(item)
        self._stretch_items, self._spec_stretch_items = [], []
        for st in stretches:
            fill = QColor(style.AI_COLOR)
            fill.setAlpha(40)
            item = pg.LinearRegionItem((float(st["start_time"]), float(st["end_time"])), movable=False,
                                       brush=pg.mkBrush(fill), pen=pg.mkPen(style.AI_COLOR, width=2))
            item.setZValue(-20)
            item.setToolTip(f"{int(st['chunks'])} AI-sounding chunks in a row: listen to this stretch")
            self.wave_plot.addItem(item)
            self._stretch_items.append(item)
            # The same edges over the spectrogram (no fill: it would tint the picture), so a change of
            # band or background at the stretch's ends is easy to line up.
            edges = pg.LinearRegionItem((float(st["start_time"]), float(st["end_time"])), movable=False,
                                        brush=pg.mkBrush(0, 0, 0, 0), pen=pg.mkPen(style.AI_COLOR, width=2))
            edges.setZValue(5)
            self.spec_plot.addItem(edges)
            self._spec_stretch_items.append(edges)

    @property
    def stretches(self) -> list[tuple[float, float]]:
        """The outlined stretches as drawn: (start, end) in seconds."""
        return [tuple(float(v) for v in item.getRegion()) for item in self._stretch_items]

    def flush(self) -> None:
        """Draw whatever is pending now (tests, and before a screenshot)."""
        self._chunk_timer.stop()
        self._redraw_chunks()
        self._redraw_envelope()

    def regions(self) -> list[dict]:
        """The chunk regions as drawn: ``chunk_index, start, end, lane, color (#rrggbb), alpha``."""
        o = self._bars.opts
        brushes = o.get("brushes") or []
        out = []
        for i, c in enumerate(self._drawn_chunks):
            col = pg.mkBrush(brushes[i]).color()
            out.append({"chunk_index": c.chunk_index, "start": float(o["x0"][i]), "end": float(o["x1"][i]),
                        "lane": int(o["y0"][i]), "color": col.name().upper(), "alpha": col.alphaF()})
        return out

    @property
    def lane_count(self) -> int:
        return len(self._lane_ends)

    # -- selection and playback cursor ------------------------------------------------------------
    def select_chunk(self, chunk_index: int | None) -> None:
        """Highlight a chunk (without emitting ``chunk_selected``)."""
        chunk = next((c for c in self._chunks if c.chunk_index == chunk_index), None)
        self.selected_chunk = chunk.chunk_index if chunk else None
        for r in self._selection:
            r.setVisible(chunk is not None)
            if chunk is not None:
                r.setRegion((chunk.start_time, chunk.end_time))

    def set_cursor(self, seconds: float | None) -> None:
        self._cursor.setVisible(seconds is not None)
        if seconds is not None:
            self._cursor.setValue(seconds)

    def chunk_at(self, seconds: float, lane: int | None = None) -> int | None:
        """Chunk under a time (in a lane, if given); among overlapping ones the nearest centre wins."""
        best, best_d = None, math.inf
        for c, ln in zip(self._chunks, self._lanes):
            if lane is not None and ln != lane:
                continue
            if c.start_time <= seconds <= c.end_time:
                d = abs((c.start_time + c.end_time) / 2 - seconds)
                if d < best_d:
                    best, best_d = c.chunk_index, d
        return best

    def _on_click(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or not self._chunks:
            return
        pos = ev.scenePos()
        for p in (self.wave_plot, self.spec_plot, self.lane_plot, self.prob_plot):
            if p.vb.sceneBoundingRect().contains(pos):
                pt = p.vb.mapSceneToView(pos)
                lane = int(math.floor(pt.y())) if p is self.lane_plot else None
                idx = self.chunk_at(pt.x(), lane)
                if idx is None and lane is not None:
                    idx = self.chunk_at(pt.x())
                if idx is not None:
                    self.select_chunk(idx)
                    self.chunk_selected.emit(idx)
                return

    def fit_all(self) -> None:
        """Zoom out to the whole recording."""
        if self._duration > 0:
            self.wave_plot.setXRange(0.0, self._duration, padding=0)

    # -- drawing ----------------------------------------------------------------------------------
    def _set_x_extent(self, duration: float) -> None:
        self._duration = max(float(duration), 1e-3)
        for p in (self.wave_plot, self.spec_plot, self.lane_plot, self.prob_plot):
            p.setLimits(xMin=0.0, xMax=self._duration, minXRange=min(0.05, self._duration))
        self.wave_plot.setXRange(0.0, self._duration, padding=0)

    def _redraw_spectrogram(self, t0: float, t1: float, width_px: int) -> None:
        """The visible range at one column per pixel from the samples, else the file's overview."""
        pyr = self._pyramid
        if not self.spec_plot.isVisible():
            return  # nothing computed for a hidden row
        if pyr is None or pyr.n_samples == 0:
            self._spec_image.clear()
            return
        if pyr.spectrogram is None and pyr.samples is not None:
            pyr.spectrogram = spectrogram_image(pyr.samples, pyr.sample_rate, 0.0, pyr.duration_s, SPECTROGRAM_COLUMNS)
        overview = pyr.spectrogram
        if overview is None:  # too short for one frame, or the samples went before it was made
            self._spec_image.clear()
            return
        if self._spec_levels is None:
            self._spec_levels = display_levels(overview)  # one colour scale per file, kept while zooming
        img = overview
        zoomed = (t1 - t0) < 0.9 * pyr.duration_s
        if zoomed and pyr.samples is not None:
            img = spectrogram_image(pyr.samples, pyr.sample_rate, t0, t1, width_px) or overview
        self._spec_image.setImage(img.db, levels=self._spec_levels, autoLevels=False)
        self._spec_image.setRect(QRectF(img.t0, 0.0, max(img.t1 - img.t0, 1e-6), img.max_hz))

    def _redraw_envelope(self) -> None:
        if self._pyramid is None:
            return
        (t0, t1), _ = self.wave_plot.vb.viewRange()
        width_px = max(200, int(self.wave_plot.vb.width()) or 1000)
        self._redraw_spectrogram(t0, t1, width_px)
        times, mins, maxs = self._pyramid.view(t0, t1, 2 * width_px)
        if len(times) and mins is maxs:  # few samples: a plain line
            self._wave_curve.setData([], [])
            self._wave_line.setData(times, mins)
            return
        self._wave_line.setData([], [])
        x = np.repeat(times, 2)
        y = np.empty(2 * len(times), np.float32)
        y[0::2], y[1::2] = mins, maxs
        self._wave_curve.setData(x, y, connect="pairs")

    def _redraw_streamed_chunks(self) -> None:
        """Redraw while chunks stream in, then wait ``STREAM_REDRAW_SHARE`` times as long as the redraw
        took before the next one. Why: each redraw draws every chunk so far, so at a fixed 100 ms a
        3-hour file's 4 300 chunks kept the window's thread busy and the analysis ran 41 % slower
        than on the command line (issue 34); this way drawing takes at most ~5 % of the time."""
        t = time.perf_counter()
        self._redraw_chunks()
        took_ms = 1000 * (time.perf_counter() - t)
        self._chunk_timer.setInterval(int(max(STREAM_REDRAW_MIN_MS, STREAM_REDRAW_SHARE * took_ms)))

    def _redraw_chunks(self) -> None:
        chunks, lanes = list(self._chunks), list(self._lanes)
        self._drawn_chunks = chunks
        n_lanes = max(1, len(self._lane_ends))
        brushes = [_chunk_brush(c) for c in chunks]
        self._bars.setOpts(
            x0=np.array([c.start_time for c in chunks], float), x1=np.array([c.end_time for c in chunks], float),
            y0=np.array(lanes, float), y1=np.array(lanes, float) + 0.85, brushes=brushes)
        self.lane_plot.setYRange(-0.05, n_lanes - 0.1, padding=0)
        centres = np.array([(c.start_time + c.end_time) / 2 for c in chunks], float)
        probs = np.array([c.prob_ai for c in chunks], float)
        order = np.argsort(centres, kind="stable")
        self._prob_curve.setData(centres[order], probs[order])
        self._prob_points.setData(
            x=centres, y=probs,
            brush=[_POINT_BRUSH[c.band] for c in chunks],
            size=6 if len(chunks) <= 600 else 3)
