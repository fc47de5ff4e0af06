"""The batch table: rows from results as they serialise, failures kept, cells safe in a spreadsheet."""

from __future__ import annotations

import csv

from detector.batch_summary import COLUMNS, failure_row, result_row, summary_csv, tally
from detector.chunking import ChunkSettings, plan_chunks
from detector.result import ChunkResult, aggregate

SR = 16000


def _result(p_ai: list[float], warnings: list[str] | None = None):
    spans = plan_chunks(int((2.5 * len(p_ai) + 2.5) * SR), SR, ChunkSettings())
    chunks = [ChunkResult.from_probabilities(s, p, 1 - p) for s, p in zip(spans, p_ai)]
    prov = {"input": {"sha256": "ab" * 32}, "decoded": {"duration_s": 2.5 * len(p_ai) + 2.5},
            "model": {"name": "tiny"}, "warnings": warnings or [],
            "ai_stretches": [{"start_time": 5.0, "end_time": 15.0, "chunks": 3, "mean_prob_ai": 0.9}]}
    return aggregate(chunks, ChunkSettings(), provenance=prov)


def _read(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(text[1:].splitlines()))


def test_a_result_row_carries_what_the_result_says():
    r = _result([0.9, 0.9, 0.8, 0.9], warnings=["noisy", "narrow band"])
    row = result_row("in/a.wav", r, "out/a.faik.json")
    assert set(row) == set(COLUMNS)
    assert row["verdict"] == "ai-generated" and row["is_deepfake"] == "true"
    assert row["ai_sounding_chunks"] == 4 and row["unsure_chunks"] == 0 and row["total_chunks"] == 4
    assert row["evidence"] == "Leans towards AI-generated speech" and row["likelihood_ratio"] == ""
    assert row["ai_stretches"] == "00:05.0–00:15.0" and row["warnings"] == "noisy | narrow band"
    assert row["sha256"] == "ab" * 32 and row["model"] == "tiny" and row["duration_s"] == "12.50"
    assert row["chunk_duration_s"] == "5" and row["overlap"] == "0.5"
    assert row["result_json"] == "out/a.faik.json" and row["error"] == ""


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_kept_as_text():
    rows = _read(summary_csv([failure_row("=HYPERLINK(\"http://x\")", "@SUM(1)"), failure_row("-2+3.wav", "bad")]))
    assert rows[0]["file"] == "'=HYPERLINK(\"http://x\")" and rows[0]["error"] == "'@SUM(1)"
    assert rows[1]["file"] == "'-2+3.wav" and rows[1]["verdict"] == "failed"
    plain = _read(summary_csv([result_row("ça va.flac", _result([0.1, 0.2]))]))[0]
    assert plain["file"] == "ça va.flac" and plain["verdict"] == "real"


def test_tally_counts_every_verdict_and_failure():
    rows = [result_row("a", _result([0.9, 0.9])), result_row("b", _result([0.1, 0.1])),
            result_row("c", _result([0.1, 0.1])), result_row("d", _result([0.9, 0.1])), failure_row("e", "x")]
    assert tally(rows) == "5 files: 1 support AI-generated, 2 support real, 1 inconclusive, 0 cannot judge, 1 failed"
    assert tally(rows[:1]) == "1 file: 1 support AI-generated, 0 support real, 0 inconclusive, 0 cannot judge, 0 failed"
