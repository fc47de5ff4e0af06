"""desktop.verdict_banner: the verdict, its reasons and the source line."""

from __future__ import annotations

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


def test_banner_says_chunk_for_a_one_chunk_result(qtbot):
    from desktop.verdict_banner import VerdictBanner
    from detector.chunking import ChunkSettings, plan_chunks
    from detector.result import ChunkResult, aggregate

    span = plan_chunks(16000 * 3, 16000, ChunkSettings())[0]
    result = aggregate([ChunkResult.from_probabilities(span, 0.9, 0.1)], ChunkSettings())
    banner = VerdictBanner()
    qtbot.addWidget(banner)
    banner.show_result(result, "clip.wav")
    assert "1 of 1 chunk sounds AI-generated (100%), 0 sound real" in banner.details_text()
