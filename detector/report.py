"""A self-contained, printable HTML report of one analysis, for filing.

One file, no external assets, no JavaScript: inline CSS and an inline SVG of
the waveform (min/max envelope) with colour-coded chunk regions and a
P(AI)-over-time line. Every number is read from the :class:`AnalysisResult`
(and its ``provenance``); nothing is recomputed here. Every string that comes
from the user or a file (file names, paths, model sources, warnings) is
HTML-escaped.

Colours are colour-blind safe (Okabe-Ito): AI-generated = vermillion
``#D55E00``, real = blue ``#0072B2``; a region's opacity grows with the
chunk's confidence.
"""

from __future__ import annotations

import html
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from detector.atomic import atomic_write_text
from detector.chunking import ChunkSettings
from detector.model_validation import describe as describe_validation
from detector.result import AnalysisResult, ChunkResult, Verdict, of_chunks
from detector.evidence import CHUNK_AI_FROM, CHUNK_REAL_BELOW
from detector.wording import describe
from detector.timeline import assign_lanes, format_time

if TYPE_CHECKING:
    from detector.audio import DecodedAudio

AI_COLOUR = "#D55E00"
REAL_COLOUR = "#0072B2"
INCONCLUSIVE_COLOUR = "#5F5F5F"
CANNOT_JUDGE_COLOUR = "#333333"  # near black: no verdict either way
UNSURE_COLOUR = "#8C8C8C"       # chunks near the threshold
BAND_COLOUR = {"ai-sounding": AI_COLOUR, "unsure": UNSURE_COLOUR, "real-sounding": REAL_COLOUR}
BAND_LABEL = {"ai-sounding": "AI-sounding", "unsure": "unsure", "real-sounding": "real-sounding"}
DEFAULT_STATEMENT = (
    "A verdict is statistical evidence from one model, not proof: it can miss generators it has not "
    "seen and can flag real speech after heavy processing (compression, noise, editing); "
    "corroborate it with other evidence before publishing."
)

_SVG_W = 960
_WAVE_H = 120
_LANE_H = 14
_PLOT_H = 110
_SPEC_H = 90
_SPEC_COLUMNS, _SPEC_ROWS = 600, 96  # the report's spectrogram picture (about 60-90 kB in the page)
_PAD_L = 48
_PAD_R = 12


def _e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _human_size(n: Any) -> str:
    try:
        n = int(n)
    except (TypeError, ValueError):
        return "?"
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{n:,} bytes" if unit == "bytes" else f"{size:.1f} {unit} ({n:,} bytes)"
        size /= 1000
    return f"{n:,} bytes"


def _pct(x: Any) -> str:
    try:
        return f"{100 * float(x):.1f} %"
    except (TypeError, ValueError):
        return "?"


def _num(x: Any, fmt: str = ".3f") -> str:
    try:
        return format(float(x), fmt)
    except (TypeError, ValueError):
        return "?"


def _precision_words(precision: str | None) -> str:
    """The number format, and what it means for someone re-running the analysis elsewhere."""
    if precision == "bfloat16":
        return ("bfloat16 (chosen on a CPU with Intel AMX for speed; re-run with --precision float32 for "
                "scores that are the same on every machine: they differ by about 0.001 and at most 0.02 on val)")
    return precision or "float32"


def _labels(labels: Any) -> str:
    """``{0: "fake", 1: "real"}`` -> ``0 = fake, 1 = real``."""
    if isinstance(labels, dict) and labels:
        return ", ".join(f"{k} = {v}" for k, v in sorted(labels.items(), key=lambda kv: str(kv[0])))
    return "?" if labels is None else str(labels)


def _input_info(result: AnalysisResult, audio: "DecodedAudio | None") -> dict[str, Any]:
    """File facts: provenance ``input`` first (what was analysed), the decoded audio's info as fallback."""
    info: dict[str, Any] = {}
    if audio is not None:
        info.update({k: v for k, v in vars(audio.info).items()})
    prov = result.provenance.get("input")
    if isinstance(prov, dict):
        info.update({k: v for k, v in prov.items() if v is not None})
    return info


def _duration(result: AnalysisResult, audio: "DecodedAudio | None") -> float:
    dec = result.provenance.get("decoded")
    if isinstance(dec, dict) and isinstance(dec.get("duration_s"), (int, float)) and dec["duration_s"] > 0:
        return float(dec["duration_s"])
    if audio is not None and audio.duration_s > 0:
        return float(audio.duration_s)
    return max((c.end_time for c in result.chunks), default=0.0)


def _opacity(confidence: float) -> float:
    """0.5 confidence -> faint, 1.0 -> solid."""
    c = min(1.0, max(0.5, float(confidence)))
    return round(0.2 + 0.8 * (c - 0.5) / 0.5, 3)


def _chunk_opacity(c: ChunkResult) -> float:
    """Unsure chunks are drawn half-tone whatever their confidence; the others fade towards the threshold."""
    return 0.5 if c.band == "unsure" else _opacity(c.confidence)


def _time_ticks(duration: float) -> list[float]:
    if duration <= 0:
        return [0.0]
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration / step <= 10:
            break
    return [i * step for i in range(int(duration // step) + 1)]


def _spectrogram_svg(audio: "DecodedAudio", duration: float, top: float, inner_w: float) -> str:
    """The whole recording's spectrogram as an embedded grayscale PNG (dark = loud, for print), with
    a kHz scale; empty when the recording is shorter than one FFT frame."""
    import base64

    from detector.spectrogram import display_levels, grayscale_pixels, png_bytes, spectrogram_image

    img = spectrogram_image(audio.samples, audio.sample_rate, 0.0, duration, _SPEC_COLUMNS)
    if img is None:
        return ""
    png = png_bytes(grayscale_pixels(img, display_levels(img), rows=_SPEC_ROWS))
    width = inner_w * (img.t1 - img.t0) / duration if duration > 0 else inner_w
    ticks = "".join(
        f'<text x="{_PAD_L - 4}" y="{top + (1 - khz * 1000 / img.max_hz) * _SPEC_H + 4:.1f}" class="ax" '
        f'text-anchor="end">{khz:g}</text>'
        for khz in (0, img.max_hz / 2000, img.max_hz / 1000))
    return (f'<image class="spectrogram" x="{_PAD_L}" y="{top}" width="{width:.2f}" height="{_SPEC_H}" '
            f'preserveAspectRatio="none" href="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
            f"<title>Spectrogram, 0–{img.max_hz / 1000:g} kHz (darker = louder)</title></image>"
            f'<rect x="{_PAD_L}" y="{top}" width="{inner_w}" height="{_SPEC_H}" fill="none" stroke="#ccc"/>'
            f'{ticks}<text x="4" y="{top + _SPEC_H / 2 + 4:.0f}" class="ax">kHz</text>')


def render_svg(result: AnalysisResult, audio: "DecodedAudio | None" = None, n_bins: int = 900) -> str:
    """The waveform, its spectrogram, the chunk lanes and the P(AI) line as one inline SVG element."""
    from detector.audio import waveform_envelope

    duration = _duration(result, audio)
    chunks = sorted(result.chunks, key=lambda c: (c.start_time, c.chunk_index))
    lanes = assign_lanes(chunks)
    n_lanes = max(lanes, default=-1) + 1
    inner_w = _SVG_W - _PAD_L - _PAD_R
    scale = inner_w / duration if duration > 0 else 0.0

    def x(t: float) -> float:
        return round(_PAD_L + t * scale, 2)

    parts: list[str] = []
    drew_spec = False
    y0 = 6
    # Waveform (min/max envelope), drawn as one path of vertical strokes.
    if audio is not None and len(audio.samples):
        bins = min(n_bins, len(audio.samples))
        mins, maxs = waveform_envelope(audio.samples, bins)
        mid = y0 + _WAVE_H / 2
        # Drawn normalised to the loudest bin (like any waveform view), so quiet recordings stay readable.
        peak = float(max(np.max(np.abs(mins)), np.max(np.abs(maxs)), 1e-6))
        half = (_WAVE_H / 2 - 4) / min(1.0, peak)
        xs = _PAD_L + (np.arange(bins) + 0.5) * (inner_w / bins)
        d = " ".join(
            f"M{xv:.1f} {mid - hi * half:.1f}V{mid - lo * half:.1f}"
            for xv, lo, hi in zip(xs, np.clip(mins, -1, 1), np.clip(maxs, -1, 1))
        )
        parts.append(f'<rect x="{_PAD_L}" y="{y0}" width="{inner_w}" height="{_WAVE_H}" fill="#f6f6f6"/>')
        # AI-sounding stretches (provenance.ai_stretches), outlined behind the waveform as in the window.
        for st in result.provenance.get("ai_stretches") or []:
            a, b = float(st["start_time"]), float(st["end_time"])
            parts.append(
                f'<rect class="stretch" x="{x(a)}" y="{y0}" width="{max(0.8, (b - a) * scale):.2f}" height="{_WAVE_H}" '
                f'fill="{AI_COLOUR}" fill-opacity="0.15" stroke="{AI_COLOUR}" stroke-width="2">'
                f"<title>{format_time(a)}–{format_time(b)}: {int(st['chunks'])} AI-sounding chunks in a row</title></rect>"
            )
        parts.append(f'<path d="{d}" stroke="#333" stroke-width="{max(0.6, inner_w / bins):.2f}" fill="none"/>')
        parts.append(f'<text x="4" y="{mid + 4:.0f}" class="ax">audio</text>')
        y0 += _WAVE_H + 6
        spec = _spectrogram_svg(audio, duration, y0, inner_w)
        if spec:
            parts.append(spec)
            drew_spec = True
            y0 += _SPEC_H + 6
    # Chunk regions, one lane per overlap phase.
    lanes_top = y0
    for c, lane in zip(chunks, lanes):
        colour = BAND_COLOUR[c.band]
        w = max(0.8, (c.end_time - c.start_time) * scale)
        label = BAND_LABEL[c.band]
        parts.append(
            f'<rect x="{x(c.start_time)}" y="{lanes_top + lane * _LANE_H}" width="{w:.2f}" '
            f'height="{_LANE_H - 2}" fill="{colour}" fill-opacity="{_chunk_opacity(c)}" '
            f'stroke="#fff" stroke-width="1">'
            f"<title>chunk {c.chunk_index}: {format_time(c.start_time)}–{format_time(c.end_time)}, "
            f"{label}, P(AI) {c.prob_ai:.2f}</title></rect>"
        )
    if n_lanes:
        parts.append(f'<text x="4" y="{lanes_top + n_lanes * _LANE_H / 2 + 4:.0f}" class="ax">chunks</text>')
    y0 = lanes_top + n_lanes * _LANE_H + 8
    # P(AI) over time: one point per chunk at its centre, threshold line at 0.5.
    plot_top = y0
    parts.append(f'<rect x="{_PAD_L}" y="{plot_top}" width="{inner_w}" height="{_PLOT_H}" fill="#fbfbfb" '
                 f'stroke="#ccc"/>')
    for p in (0.0, 0.5, 1.0):
        yy = plot_top + (1 - p) * _PLOT_H
        dash = ' stroke-dasharray="5 4"' if p == 0.5 else ""
        parts.append(f'<line x1="{_PAD_L}" x2="{_PAD_L + inner_w}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#999"{dash}/>')
        parts.append(f'<text x="{_PAD_L - 4}" y="{yy + 4:.1f}" class="ax" text-anchor="end">{p:.1f}</text>')
    parts.append(f'<text x="4" y="{plot_top + _PLOT_H / 2 - 14:.0f}" class="ax">P(AI)</text>')
    if chunks:
        pts = " ".join(
            f"{x((c.start_time + c.end_time) / 2)},{plot_top + (1 - min(1.0, max(0.0, c.prob_ai))) * _PLOT_H:.1f}"
            for c in chunks
        )
        parts.append(f'<polyline points="{pts}" fill="none" stroke="#222" stroke-width="1.5"/>')
        if len(chunks) <= 400:
            for c in chunks:
                colour = BAND_COLOUR[c.band]
                cy = plot_top + (1 - min(1.0, max(0.0, c.prob_ai))) * _PLOT_H
                parts.append(f'<circle cx="{x((c.start_time + c.end_time) / 2)}" cy="{cy:.1f}" r="2.5" '
                             f'fill="{colour}" stroke="none"/>')
    y0 = plot_top + _PLOT_H
    for t in _time_ticks(duration):
        parts.append(f'<line x1="{x(t)}" x2="{x(t)}" y1="{y0}" y2="{y0 + 4}" stroke="#666"/>')
        parts.append(f'<text x="{x(t)}" y="{y0 + 16}" class="ax" text-anchor="middle">{format_time(t)[:-2]}</text>')
    height = y0 + 22
    title = f"Waveform, {'spectrogram, ' if drew_spec else ''}chunk verdicts and P(AI) over time"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_SVG_W} {height}" width="100%" '
        f'role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>'
        f'<style>.ax{{font:11px sans-serif;fill:#444}}</style>{"".join(parts)}</svg>'
    )


def _rows(pairs: Iterable[tuple[str, Any]]) -> str:
    return "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in pairs)


_CSS = """
@page { size: A4; margin: 14mm; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; max-width: 1000px;
       margin: 0 auto; padding: 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 22px 0 6px; border-bottom: 1px solid #ddd; }
.sub { color: #555; margin: 0 0 12px; }
.banner { color: #fff; padding: 14px 18px; border-radius: 6px; margin: 12px 0; print-color-adjust: exact;
          -webkit-print-color-adjust: exact; }
.banner .v { font-size: 22px; font-weight: 700; } .banner .r { margin-top: 4px; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 3px 8px; vertical-align: top; }
table.kv th { width: 190px; color: #444; font-weight: 600; }
table.chunks th { border-bottom: 2px solid #999; } table.chunks td { border-bottom: 1px solid #eee; }
table.chunks td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; } .mono { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 4px;
      print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.warn { background: #fff4e5; border-left: 4px solid #D55E00; padding: 6px 10px; margin: 8px 0; }
.statement { background: #f2f2f2; padding: 10px 14px; border-radius: 4px; }
svg { display: block; margin: 6px 0; } footer { color: #666; font-size: 12px; margin-top: 24px; }
"""

VERDICT_COLOUR = {
    Verdict.AI_GENERATED: AI_COLOUR,
    Verdict.REAL: REAL_COLOUR,
    Verdict.INCONCLUSIVE: INCONCLUSIVE_COLOUR,
    Verdict.CANNOT_JUDGE: CANNOT_JUDGE_COLOUR,
}


def evidence_quality(evidence: Any) -> str:
    """One sentence on how far the model's stated likelihood ratios held on val (Cllr per channel)."""
    measured = ((evidence or {}).get("measured") or {}).get("channels") if isinstance(evidence, dict) else None
    if not measured:
        return "No measured strength-of-evidence map ships with this model: it states no likelihood ratio."
    parts = ", ".join(f"{ch} {float(m['cllr']):.2f}" for ch, m in measured.items() if "cllr" in m)
    bands = evidence.get("max_band") or {}
    return (f"Its likelihood ratios were fitted on held-out recordings and checked on others (val): log-likelihood-"
            f"ratio cost Cllr {parts} (0 = perfect, 1 or more = misleading on average); the strongest support it "
            f"states is {bands.get('ai-generated', '?')} for AI-generated and {bands.get('real', '?')} for real speech.")


def render_html_report(result: AnalysisResult, audio: "DecodedAudio | None" = None) -> str:
    """The report as one HTML string (UTF-8 text, self-contained).

    ``audio`` (a :class:`detector.audio.DecodedAudio`) adds the waveform; without it the
    report still shows the chunk lanes, the P(AI) line and all tables.
    """
    prov = result.provenance
    info = _input_info(result, audio)
    name = info.get("name") or (Path(str(info["path"])).name if info.get("path") else "recording")
    model = prov.get("model") if isinstance(prov.get("model"), dict) else {}
    settings = prov.get("settings") if isinstance(prov.get("settings"), dict) else {}
    app = prov.get("app") if isinstance(prov.get("app"), dict) else {}
    decoded = prov.get("decoded") if isinstance(prov.get("decoded"), dict) else {}
    warnings = list(prov.get("warnings") or [])
    if audio is not None:
        warnings += [w for w in audio.warnings if w not in warnings]
    statement = prov.get("statement") or DEFAULT_STATEMENT
    s = result.summary
    words = describe(result)  # the same words as the window, the CLI and the batch table
    colour = VERDICT_COLOUR[result.verdict]
    ev = prov.get("evidence") if isinstance(prov.get("evidence"), dict) else {}

    fmt_bits = [info.get("container"), info.get("codec")]
    fmt = " / ".join(str(b) for b in fmt_bits if b)
    if info.get("sample_rate"):
        fmt += f", {int(info['sample_rate']):,} Hz"
    if info.get("channels"):
        ch = int(info["channels"])
        fmt += f", {ch} channel{'s' if ch != 1 else ''}"
    file_rows = _rows([
        ("File name", _e(name)),
        ("Location", f'<span class="mono">{_e(info.get("path", ""))}</span>'),
        ("SHA-256", f'<span class="mono">{_e(info.get("sha256", "?"))}</span>'),
        ("Size", _e(_human_size(info.get("size_bytes")))),
        ("Format", _e(fmt or "?")),
        ("Duration (file)", _e(format_time(float(info["duration_s"]))) if info.get("duration_s") else "?"),
        ("Duration analysed", _e(format_time(_duration(result, audio)))
         + (f" ({_e(decoded.get('num_samples'))} samples at {_e(decoded.get('sample_rate'))} Hz)"
            if decoded.get("num_samples") else "")),
    ])
    summary_rows = _rows([
        ("Outcome", _e(words.headline)),
        ("Strength of evidence", _e(words.explanation)),
        ("Held-out check", _e(words.held_out or "none for this model or channel")),
        ("Channel assumed", _e(ev.get("channel_name", "?"))),
        ("Verbal scale", _e(ev.get("scale", "not stated for this model"))),
        ("Mean P(AI) over chunks (file score)", _e(_num(result.mean_prob_ai))),
        ("Chunks", _e(words.chunks)),
        ("Majority vote (is_deepfake)", _e(f"{'yes' if result.is_deepfake else 'no'}: "
                                           f"{of_chunks(s.ai_generated_chunks, s.total_chunks)} at P(AI) ≥ "
                                           f"{settings.get('threshold', 0.5)} "
                                           f"(the seed's vote, kept for compatibility)")),
        ("overall_confidence", _e(f"{_pct(result.overall_confidence)}: the mean probability of the voted class "
                                  f"over chunks, not the chance that the outcome is right")),
    ])
    # The figures for this result's own chunk settings only; the intro sentence above the list.
    intro, *measured = describe_validation(model.get("validation"), ChunkSettings(s.chunk_duration_seconds,
                                                                                  s.overlap_ratio))
    reliability = f"<p>{_e(intro)}</p>" + (
        '<ul class="reliability">' + "".join(f"<li>{_e(line)}</li>" for line in measured) + "</ul>" if measured else "")
    reliability += f"<p>{_e(evidence_quality(model.get('evidence')))}</p>"
    model_rows = _rows([
        ("Model", _e(model.get("name", "?"))),
        ("Source", f'<span class="mono">{_e(model.get("source", "?"))}</span>'
         + (f" ({_e(model['source_kind'])})" if model.get("source_kind") else "")),
        ("Architecture", _e(model.get("architecture", "?"))),
        ("Parameters", _e(f"{int(model['num_parameters']):,}") if model.get("num_parameters") else "?"),
        ("Weights SHA-256", f'<span class="mono">{_e(model.get("weights_sha256", "?"))}</span>'),
        ("Labels", _e(_labels(model.get("labels")))),
        ("Computed in", _e(_precision_words(model.get("precision")))),
        ("Model loaded", _e("yes" if result.model_loaded else "no")),
    ])
    settings_rows = _rows([
        ("Chunk duration", _e(f"{s.chunk_duration_seconds:g} s")),
        ("Overlap", _e(f"{s.overlap_ratio:.0%}")),
        ("Decision threshold", _e(settings.get("threshold", 0.5))),
        ("Batch size", _e(settings.get("batch_size", "?"))),
        ("App", _e(f"{app.get('name', 'fAIk Desktop')} {app.get('version', '?')}")),
        ("Analysis started", _e(prov.get("started_at", "?"))),
        ("Analysis finished", _e(prov.get("finished_at", "?"))),
    ])
    chunk_rows = "".join(
        f"<tr><td class=n>{c.chunk_index}</td><td class=n>{format_time(c.start_time)}–{format_time(c.end_time)}</td>"
        f"<td class=n>{c.prob_ai:.3f}</td><td class=n>{c.prob_real:.3f}</td>"
        f'<td><span class="sw" style="background:{BAND_COLOUR[c.band]};'
        f'opacity:{_chunk_opacity(c)}"></span>{BAND_LABEL[c.band]}</td></tr>'
        for c in result.chunks
    )
    warn_html = "".join(f'<div class="warn">⚠ {_e(w)}</div>' for w in warnings)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    legend = (f'<span class="sw" style="background:{AI_COLOUR}"></span>AI-sounding chunk &nbsp; '
              f'<span class="sw" style="background:{UNSURE_COLOUR}"></span>unsure &nbsp; '
              f'<span class="sw" style="background:{REAL_COLOUR}"></span>real-sounding chunk &nbsp; '
              "(fainter = nearer the threshold; overlapping chunks are drawn on separate rows; "
              "dashed line = 0.5 threshold; spectrogram: darker = louder)")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{_e(app.get('name', 'fAIk Desktop'))} {_e(app.get('version', ''))}">
<title>fAIk report: {_e(name)}</title>
<style>{_CSS}</style></head>
<body>
<h1>AI-generated speech analysis</h1>
<p class="sub">{_e(name)} — SHA-256 <span class="mono">{_e(info.get("sha256", "?"))}</span></p>
<div class="banner" style="background:{colour}" data-verdict="{_e(result.verdict.value)}">
<div class="v">{_e(words.headline)}</div>
<div class="r">{_e(words.explanation)}</div>
{f'<div class="r">{_e(words.held_out)}</div>' if words.held_out else ""}
<div class="r">{_e(words.chunks)}</div>
</div>
{warn_html}
<h2>What this means</h2>
<p class="statement">{_e(statement)}</p>
<h2>How often this model is wrong</h2>
{reliability}
<h2>Result</h2>
<table class="kv">{summary_rows}</table>
<h2>Timeline</h2>
{render_svg(result, audio)}
<p class="sub">{legend}</p>
<h2>Recording</h2>
<table class="kv">{file_rows}</table>
<h2>Model and settings</h2>
<table class="kv">{model_rows}{settings_rows}</table>
<h2>Chunks</h2>
<table class="chunks"><thead><tr><th>#</th><th>Time (mm:ss.s)</th><th>P(AI)</th><th>P(real)</th><th>Sounds</th>
</tr></thead><tbody>{chunk_rows}</tbody></table>
<footer>Report generated {generated} by {_e(app.get('name', 'fAIk Desktop'))} {_e(app.get('version', ''))}.
A chunk is AI-sounding when P(AI) ≥ {CHUNK_AI_FROM:g}, real-sounding below {CHUNK_REAL_BELOW:g}, unsure between;
the outcome is the likelihood ratio of the file score (mean P(AI)) on the verbal scale above, from the model's
evidence map fitted on held-out recordings.</footer>
</body></html>
"""


def write_html_report(path: str | os.PathLike, result: AnalysisResult, audio: "DecodedAudio | None" = None) -> Path:
    """Write the report atomically; never over the analysed recording (raises ``FaikError``)."""
    protect: list[str] = []
    inp = result.provenance.get("input")
    if isinstance(inp, dict) and inp.get("path"):
        protect.append(str(inp["path"]))
    if audio is not None and getattr(audio.info, "path", None):
        protect.append(str(audio.info.path))
    return atomic_write_text(path, render_html_report(result, audio), protect=protect)
