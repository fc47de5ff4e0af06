"""One table for a batch check: a row per input, analysed or failed, as CSV for a spreadsheet.

Why: ``faik analyze`` writes one JSON result per recording, which is what a report needs but not what
someone checking a folder of 300 voice notes reads first. The summary puts every verdict, its
confidence, where the AI-sounding stretches are and what the warnings say on one sheet, with the
SHA-256 that ties each row to its file and the path of its full JSON result; failed inputs get a row
too, so nothing drops out of the table silently.

The cells come from the :class:`~detector.result.AnalysisResult` as it serialises; nothing is
re-derived here.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from detector.result import AnalysisResult

COLUMNS: tuple[str, ...] = (
    "file", "verdict", "evidence", "likelihood_ratio", "explanation", "held_out", "is_deepfake", "mean_prob_ai",
    "ai_sounding_chunks", "unsure_chunks", "real_sounding_chunks", "total_chunks", "ai_stretches", "duration_s", "sha256", "model", "chunk_duration_s", "overlap", "warnings", "result_json", "error",
)

#: Verdict labels in the order the tally names them.
_TALLY_ORDER = ("ai-generated", "real", "inconclusive", "cannot-judge")

# A spreadsheet runs a cell that starts with one of these as a formula. File names and warnings come
# from the files under investigation, which may be hostile: such cells get a leading apostrophe
# (OWASP's advice for CSV injection), shown as text and never evaluated.
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def result_row(path: str | Path, result: "AnalysisResult", result_json: str | Path | None = None) -> dict[str, Any]:
    """The summary row of one analysed recording (``result_json``: where its full result was written)."""
    from detector.timeline import format_time

    from detector.evidence import chunk_band_counts
    from detector.wording import describe

    d = result.to_dict()
    prov = d.get("provenance", {})
    words = describe(result)  # the window's and the report's words
    bands = chunk_band_counts([c.prob_ai for c in result.chunks])
    stretches = "; ".join(f"{format_time(s['start_time'])}–{format_time(s['end_time'])}"
                          for s in prov.get("ai_stretches", []))
    return {
        "file": str(path),
        "verdict": prov.get("verdict", {}).get("label", ""),
        "is_deepfake": str(d["is_deepfake"]).lower(),
        "evidence": words.headline,
        "likelihood_ratio": "" if words.likelihood_ratio is None else f"{words.likelihood_ratio:.3g}",
        "explanation": words.explanation,
        "held_out": words.held_out,
        "mean_prob_ai": f"{result.mean_prob_ai:.3f}",
        "ai_sounding_chunks": bands["ai-sounding"],
        "unsure_chunks": bands["unsure"],
        "real_sounding_chunks": bands["real-sounding"],
        "total_chunks": d["summary"]["total_chunks"],
        "ai_stretches": stretches,
        "duration_s": f"{float(prov.get('decoded', {}).get('duration_s', 0.0)):.2f}",
        "sha256": prov.get("input", {}).get("sha256", ""),
        "model": prov.get("model", {}).get("name", ""),
        "chunk_duration_s": f"{d['summary']['chunk_duration_seconds']:g}",
        "overlap": f"{d['summary']['overlap_ratio']:g}",
        "warnings": " | ".join(prov.get("warnings", [])),
        "result_json": "" if result_json is None else str(result_json),
        "error": "",
    }


def failure_row(path: str | Path, error: str) -> dict[str, Any]:
    """The summary row of an input that could not be analysed (``verdict`` is ``failed``)."""
    return {**{c: "" for c in COLUMNS}, "file": str(path), "verdict": "failed", "error": error}


#: ``verdict`` of an input a batch never reached (interrupted, or stopped by an output fault).
NOT_ANALYSED = "not-analysed"


def pending_row(path: str | Path, why: str) -> dict[str, Any]:
    """The summary row of an input left out because the batch stopped early: the table is incomplete."""
    return {**{c: "" for c in COLUMNS}, "file": str(path), "verdict": NOT_ANALYSED, "error": why}


def _cell(value: Any) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_LEAD) else text


def summary_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The rows as CSV text (header first; numbers as written, text cells safe to open in a spreadsheet).

    Starts with a UTF-8 byte-order mark so that spreadsheet programs read non-ASCII file names right.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: _cell(row.get(c, "")) for c in COLUMNS})
    return "\ufeff" + buf.getvalue()


def tally(rows: Sequence[dict[str, Any]]) -> str:
    """One line counting the verdicts of a batch, e.g. ``12 files: 4 AI-generated, 7 real, 1 inconclusive, 0 failed``."""
    counts = Counter(r.get("verdict", "") for r in rows)
    names = {"ai-generated": "support AI-generated", "real": "support real", "inconclusive": "inconclusive",
             "cannot-judge": "cannot judge"}
    parts = [f"{counts.get(v, 0)} {names[v]}" for v in _TALLY_ORDER]
    n = len(rows)
    line = f"{n} file{'' if n == 1 else 's'}: " + ", ".join(parts) + f", {counts.get('failed', 0)} failed"
    if counts.get(NOT_ANALYSED):
        line += f", {counts[NOT_ANALYSED]} not analysed"
    return line
