"""desktop.verdict_banner: the verdict, its reasons and the source line."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.timeout(120)


def test_banner_source_line_comes_from_provenance():
    from desktop.verdict_banner import source_line

    prov = {"input": {"duration_s": 75.25, "container": "ogg", "codec": "opus", "sample_rate": 44100,
                      "channels": 2, "sha256": "ab" * 32},
            "model": {"name": "faik-detector-v1"}, "warnings": ["audio is clipped in 3 % of samples"]}
    line = source_line(prov)
    assert line.startswith("01:15.2 · ogg opus, 44.1 kHz stereo · SHA-256 abababababab… · model faik-detector-v1")
    assert "⚠ audio is clipped" in line
    assert source_line({}) == ""
    assert "flac, 16 kHz mono ·" in source_line({"input": {"container": "flac", "codec": "flac",
                                                            "sample_rate": 16000, "channels": 1, "sha256": "0" * 64}})


# -- one wording everywhere: the four outcomes ----------------------------------------------------------

def _outcome_results():
    """Four analyses of real speech (the bundled sample, scaled so the stand-in model's P(AI) = peak level
    lands where each outcome needs it) with an evidence map: support for AI, support for real,
    inconclusive, and a sub-second clip that cannot be judged."""
    from pathlib import Path

    import soundfile as sf

    from faik_testkit import PeakService
    from detector.analysis import analyze_audio
    from detector.audio import AudioInfo, DecodedAudio
    from detector.evidence import AI, REAL, ChannelMap, EvidenceMap, HeldOutTable

    x = sf.read(Path(__file__).resolve().parents[2] / "resources" / "sample" / "sample.flac", dtype="float32")[0]
    x = x[: 16000 * 12] / np.max(np.abs(x[: 16000 * 12]))
    emap = EvidenceMap({"clean": ChannelMap(1.0, 0.0, 50, 50)}, {AI: "moderate", REAL: "moderate"},
                       {"clean": HeldOutTable.build(np.linspace(0.02, 0.98, 40), [0] * 20 + [1] * 20)},
                       weights_sha256="ab")
    svc = PeakService()
    svc.info.evidence = emap.to_dict()
    out = {}
    for name, peak, seconds in (("ai", 0.97, 12), ("real", 0.03, 12), ("inconclusive", 0.55, 12),
                                ("cannot", 0.97, 0.6)):
        sig = (x[: int(16000 * seconds)] * peak).astype(np.float32)
        info = AudioInfo(path=f"/tmp/{name}.wav", name=f"{name}.wav", size_bytes=1, sha256="ab" * 32,
                         container="wav", codec="pcm_s16le", sample_rate=16000, channels=1, duration_s=seconds)
        out[name] = analyze_audio(DecodedAudio(samples=sig, sample_rate=16000, info=info), svc)
    return out


def test_window_report_csv_cli_and_json_say_the_same_words_for_the_four_outcomes(qtbot):
    import html
    import json

    from desktop.file_queue import FileQueue, ItemState
    from desktop.verdict_banner import VerdictBanner
    from detector.batch_summary import result_row
    from detector.cli import _summary_line
    from detector.report import render_html_report
    from detector.result import AnalysisResult
    from detector.wording import describe

    results = _outcome_results()
    expected = {"ai": ("ai-generated", "Moderate support for AI-generated speech"),
                "real": ("real", "Moderate support for real speech"),
                "inconclusive": ("inconclusive", "Inconclusive: no support either way"),
                "cannot": ("cannot-judge", "Cannot judge")}
    banner = VerdictBanner()
    queue = FileQueue()
    qtbot.addWidget(banner)
    qtbot.addWidget(queue)
    for name, r in results.items():
        outcome, headline = expected[name]
        w = describe(r)
        assert (r.verdict.value, w.headline) == (outcome, headline), name
        # JSON: the words travel in provenance.evidence and come back the same.
        back = describe(AnalysisResult.from_dict(json.loads(r.to_json())))
        assert back == w and r.to_dict()["provenance"]["evidence"]["headline"] == headline
        # Window: the banner's headline, explanation, held-out sentence and chunk counts, verbatim.
        banner.show_result(r, f"{name}.wav")
        assert banner.title_text() == w.headline and banner.details_text() == w.explanation
        assert banner.evidence_text() == "\n".join(t for t in (w.held_out, w.chunks) if t)
        # Report: the same four lines in its banner.
        doc = render_html_report(r)
        for text in (w.headline, w.explanation, w.chunks) + ((w.held_out,) if w.held_out else ()):
            assert f'<div class="{"v" if text == w.headline else "r"}">{html.escape(text)}</div>' in doc, (name, text)
        # Batch table and CLI summary line.
        row = result_row(f"{name}.wav", r)
        assert (row["verdict"], row["evidence"], row["explanation"], row["held_out"]) == (
            outcome, w.headline, w.explanation, w.held_out)
        assert _summary_line(f"{name}.wav", r, None) == f"{name}.wav: {w.short} — {w.explanation}; {w.chunks}"
        # File list: the headline (and LR), never "Likely" or a confidence percentage.
        item = queue.add_paths([f"/tmp/{name}.wav"])[0]
        item.result = r
        queue.set_state(item, ItemState.DONE)
        assert queue.row_texts(item)[2].endswith(w.short)
        for text in (doc, banner.title_text(), banner.details_text(), queue.row_texts(item)[2], row["evidence"]):
            assert "Likely" not in text and " detected" not in text
    cannot = describe(results["cannot"])
    assert "Too little sound" in cannot.explanation and "0.60 s" in cannot.explanation
    assert describe(results["ai"]).held_out.startswith("On held-out recordings (clean audio")
    assert "AI-sounding" in describe(results["ai"]).chunks


def test_a_result_saved_before_evidence_existed_is_worded_without_a_strength(qtbot):
    from desktop.verdict_banner import VerdictBanner
    from detector.chunking import ChunkSettings, plan_chunks
    from detector.result import ChunkResult, aggregate

    span = plan_chunks(16000 * 3, 16000, ChunkSettings())[0]
    result = aggregate([ChunkResult.from_probabilities(span, 0.9, 0.1)], ChunkSettings())
    banner = VerdictBanner()
    qtbot.addWidget(banner)
    banner.show_result(result, "clip.wav")
    assert banner.title_text() == "Leans towards AI-generated speech"
    assert banner.details_text().startswith("Strength of evidence not stated for this model")
    assert "1 chunk: 1 AI-sounding, 0 unsure, 0 real-sounding" in banner.evidence_text()
