"""The verdict banner at the top of the result area.

It shows the :class:`~detector.result.AnalysisResult` fields as they are
(verdict, reason, overall confidence, summary counts) and never re-derives a
number. Colour is always paired with an icon and text.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop import style
from detector.evidence import CHUNK_AI_FROM, CHUNK_REAL_BELOW, SCALE_TEXT
from detector.result import AnalysisResult, Verdict
from detector.wording import describe

_VERDICT_LOOK = {
    Verdict.AI_GENERATED: ("⚠", style.AI_COLOR),
    Verdict.REAL: ("✔", style.REAL_COLOR),
    Verdict.INCONCLUSIVE: ("?", style.INCONCLUSIVE_COLOR),
    Verdict.CANNOT_JUDGE: ("⊘", style.CANNOT_JUDGE_COLOR),
}


class VerdictBanner(QFrame):
    """Big headline + icon (:func:`detector.wording.describe`: the report's words), the likelihood ratio
    in words or why the recording cannot be judged, the held-out "N of M" sentence and the chunk counts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdictBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._icon = QLabel()
        self._icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._icon.setFixedWidth(56)
        self._title = QLabel()
        self._title.setObjectName("verdictTitle")
        self._title.setWordWrap(True)
        self._details = QLabel()
        self._details.setObjectName("verdictDetails")
        self._details.setWordWrap(True)
        self._evidence = QLabel()
        self._evidence.setObjectName("verdictEvidence")
        self._evidence.setWordWrap(True)
        self._source = QLabel()
        self._source.setObjectName("verdictSource")
        self._source.setWordWrap(True)
        self._source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text_col = QVBoxLayout()
        text_col.setSpacing(2)
        text_col.addWidget(self._title)
        text_col.addWidget(self._details)
        text_col.addWidget(self._evidence)
        text_col.addWidget(self._source)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 10, 8)
        row.addWidget(self._icon)
        row.addLayout(text_col, 1)
        self.verdict: Verdict | None = None
        self.words = None  # detector.wording.Wording of the result shown
        self.setToolTip(
            f"The headline says how strongly the file score (mean P(AI) over chunks) supports AI-generated or real "
            f"speech: {SCALE_TEXT}.\nA chunk is AI-sounding when P(AI) ≥ {CHUNK_AI_FROM:g}, real-sounding below "
            f"{CHUNK_REAL_BELOW:g}, unsure between.")
        self.show_message("No result yet", "Drop audio or video files here, or use File → Open.")

    # -- states -----------------------------------------------------------------------------------
    def _paint(self, color: str, icon: str) -> None:
        self._painted = (color, icon)
        r, g, b, _ = style.rgba(color, 1.0)
        # Text colours from the window's palette (light or dark theme), each readable on the banner's
        # tinted background: AA 4.5:1 for the small lines, 3:1 for the 22-pt title (large text).
        palette = self.window().palette()
        background = style.mix(palette.window().color().name(), color, 20 / 255)
        title = style.readable(color, background, 3.0)
        quiet = style.secondary_text(palette, background)
        self.text_colors = {"title": title, "evidence": quiet, "source": quiet, "background": background}
        self.setStyleSheet(
            f"#verdictBanner {{ border: 2px solid {color}; border-radius: 6px; background: rgba({r},{g},{b},20); }}"
            f"#verdictTitle {{ color: {title}; font-size: 22pt; font-weight: 600; }}"
            "#verdictDetails { font-size: 11pt; }"
            f"#verdictEvidence {{ color: {quiet}; }}"
            f"#verdictSource {{ color: {quiet}; font-size: 9pt; }}"
        )
        self._icon.setText(icon)
        self._icon.setStyleSheet(f"color: {title}; font-size: 30pt; font-weight: 700;")

    def apply_palette(self) -> None:
        """Repaint with the window's current palette (after a theme change)."""
        if getattr(self, "_painted", None):
            self._paint(*self._painted)

    def show_message(self, title: str, details: str = "", *, color: str = style.NEUTRAL_COLOR,
                     icon: str = "♪") -> None:
        """A neutral state (no result, analysing, error)."""
        self.verdict = None
        self.words = None
        self._paint(color, icon)
        self._title.setText(title)
        self._details.setText(details)
        self._details.setVisible(bool(details))
        self._evidence.setVisible(False)
        self._source.setVisible(False)

    def show_result(self, result: AnalysisResult, file_name: str = "") -> None:
        """Show a finished analysis exactly as the detector reported it."""
        icon, color = _VERDICT_LOOK[result.verdict]
        words = describe(result)
        self.verdict = result.verdict
        self.words = words
        self._paint(color, icon)
        self._title.setText(words.headline)
        self._details.setTextFormat(Qt.TextFormat.PlainText)
        self._details.setText(words.explanation)
        self._details.setVisible(True)
        self._evidence.setTextFormat(Qt.TextFormat.PlainText)
        self._evidence.setText("\n".join(t for t in (words.held_out, words.chunks) if t))
        self._evidence.setVisible(True)
        source = source_line(result.provenance)
        if file_name:
            source = f"{html.escape(file_name)} · {source}" if source else html.escape(file_name)
        self._source.setText(source)
        self._source.setVisible(bool(source))

    def source_text(self) -> str:
        return self._source.text()

    def title_text(self) -> str:
        return self._title.text()

    def details_text(self) -> str:
        return self._details.text()

    def evidence_text(self) -> str:
        return self._evidence.text()


def source_line(provenance: dict) -> str:
    """One line from the result's provenance: duration, format, file hash, model, warnings."""
    parts = []
    inp = provenance.get("input") or {}
    if inp.get("duration_s") is not None:
        parts.append(style.format_mmss(float(inp["duration_s"]), precise=True))
    names = [str(inp[k]) for k in ("container", "codec") if inp.get(k)]
    fmt = " ".join(dict.fromkeys(names))  # "flac flac" → "flac"
    if inp.get("sample_rate"):
        ch = {1: "mono", 2: "stereo"}.get(inp.get("channels"), f"{inp.get('channels')} channels")
        fmt = f"{fmt}, {int(inp['sample_rate']) / 1000:g} kHz {ch}".strip(", ")
    if fmt:
        parts.append(fmt)
    if inp.get("sha256"):
        parts.append(f"SHA-256 {inp['sha256'][:12]}…")
    model = provenance.get("model") or {}
    if model.get("name"):
        parts.append(f"model {model['name']}")
    text = " · ".join(parts)
    warnings = provenance.get("warnings") or []
    if warnings:
        text += ("<br>" if text else "") + "⚠ " + "; ".join(str(w) for w in warnings)
    return text
