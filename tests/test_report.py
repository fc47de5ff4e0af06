"""detector.report: a self-contained HTML report that reads (never recomputes) the result."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

from faik_testkit import synth_speechlike
from detector import report as report_mod
from detector.audio import load_audio
from detector.chunking import ChunkSettings, plan_chunks
from detector.errors import FaikError
from detector.report import (
    AI_COLOUR,
    DEFAULT_STATEMENT,
    REAL_COLOUR,
    UNSURE_COLOUR,
    format_time,
    render_html_report,
    render_svg,
    write_html_report,
)
from detector.result import AnalysisResult, ChunkResult, Verdict, aggregate

EVIL = 'Zoë <script>alert("x")</script> & \'quotes\'.wav'


def make_result(probs, settings=None, sr=16000, n=None, provenance=None) -> AnalysisResult:
    settings = settings or ChunkSettings()
    n = n if n is not None else int((len(probs) + 1) * settings.chunk_duration * (1 - settings.overlap) * sr)
    spans = plan_chunks(n, sr, settings)[: len(probs)]
    chunks = [ChunkResult.from_probabilities(s, p, 1 - p) for s, p in zip(spans, probs)]
    return aggregate(chunks, settings, provenance=provenance or {})


def provenance(path="/data/in.wav", name="in.wav", statement="Custom statement for the test."):
    return {
        "input": {"name": name, "path": path, "size_bytes": 123456, "sha256": "f" * 64, "container": "wav",
                  "codec": "pcm_s16le", "sample_rate": 44100, "channels": 2, "duration_s": 20.0},
        "decoded": {"sample_rate": 16000, "duration_s": 20.0, "num_samples": 320000},
        "model": {"name": "faik-detector-v1", "source": "resources/models/<x>", "source_kind": "built-in",
                  "architecture": "FaikDetector", "num_parameters": 1234567, "weights_sha256": "a" * 64,
                  "labels": {"0": "fake", "1": "real"}},
        "settings": {"chunk_duration": 5.0, "overlap": 0.5, "batch_size": 8, "threshold": 0.5},
        "app": {"name": "fAIk Desktop", "version": "9.8.7"},
        "started_at": "2026-11-25T10:00:00.000Z",
        "finished_at": "2026-11-25T10:00:02.500Z",
        "warnings": ["file appears truncated; analysed the first 20.0 s"],
        "statement": statement,
    }


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs


def test_format_time():
    assert format_time(0) == "00:00.0"
    assert format_time(5.04) == "00:05.0"
    assert format_time(62.46) == "01:02.5"
    assert format_time(3599.96) == "1:00:00.0"
    assert format_time(3 * 3600 + 61.2) == "3:01:01.2"


def test_report_contains_verdict_hash_settings_model_statement():
    r = make_result([0.9, 0.95, 0.8, 0.97, 0.2], provenance=provenance())
    assert r.verdict == Verdict.AI_GENERATED
    doc = render_html_report(r)
    assert 'data-verdict="ai-generated"' in doc and "Leans towards AI-generated speech" in doc
    assert "detected" not in doc and "Likely" not in doc
    assert report_mod.html.escape(r.verdict_reason) in doc
    assert f"{100 * r.overall_confidence:.1f} %: the mean probability of the voted class" in doc
    assert "f" * 64 in doc and "a" * 64 in doc  # file and weights hashes
    assert "Custom statement for the test." in doc and DEFAULT_STATEMENT not in doc
    assert "faik-detector-v1" in doc and "FaikDetector" in doc and "1,234,567" in doc
    assert "0 = fake, 1 = real" in doc
    assert "9.8.7" in doc and "2026-11-25T10:00:00.000Z" in doc and "2026-11-25T10:00:02.500Z" in doc
    assert "file appears truncated" in doc
    assert "123,456 bytes" in doc and "pcm_s16le" in doc and "44,100 Hz" in doc and "2 channels" in doc
    assert "5 chunks: 4 AI-sounding, 0 unsure, 1 real-sounding" in doc


def test_report_says_which_number_format_the_model_computed_in():
    """A colleague re-running the analysis on a laptop gets float32 scores: the report says when these
    were computed in bfloat16 and how to reproduce them exactly."""
    prov = provenance()
    prov["model"]["precision"] = "bfloat16"
    doc = render_html_report(make_result([0.9, 0.2], provenance=prov))
    assert re.search(r"Computed in</t[hd]>\s*<td>bfloat16 \(chosen on a CPU with Intel AMX", doc)
    assert "--precision float32" in doc
    doc = render_html_report(make_result([0.9, 0.2], provenance=provenance()))  # older results: float32
    assert re.search(r"Computed in</t[hd]>\s*<td>float32</td>", doc)


@pytest.mark.parametrize(
    "probs, verdict, text, colour",
    [([0.1, 0.05, 0.2, 0.1], "real", "Leans towards real speech", REAL_COLOUR),
     ([0.9, 0.1, 0.8, 0.2], "inconclusive", "Inconclusive: no support either way", "#5F5F5F"),
     ([0.9, 0.95, 0.99], "ai-generated", "Leans towards AI-generated speech", AI_COLOUR)],
)
def test_banner_per_verdict(probs, verdict, text, colour):
    r = make_result(probs)
    assert r.verdict.value == verdict
    doc = render_html_report(r)
    assert f'<div class="banner" style="background:{colour}" data-verdict="{verdict}">' in doc
    assert f'<div class="v">{text}</div>' in doc


def test_a_one_chunk_result_says_chunk():
    doc = render_html_report(make_result([0.9]))
    assert "1 chunk: 1 AI-sounding" in doc and "1 chunks" not in doc


def test_default_statement_when_absent():
    doc = render_html_report(make_result([0.1, 0.2]))
    assert report_mod.html.escape(DEFAULT_STATEMENT) in doc
    assert DEFAULT_STATEMENT.startswith("A verdict is statistical evidence from one model, not proof")


def test_numbers_are_read_not_recomputed():
    r = make_result([0.9, 0.95, 0.8])
    fake = dataclasses.replace(r, overall_confidence=0.4242, verdict_reason="reason from the result object",
                               summary=dataclasses.replace(r.summary, average_confidence=0.1357))
    doc = render_html_report(fake)
    assert "42.4 %" in doc and "reason from the result object" in doc


def test_user_strings_are_escaped():
    prov = provenance(path=f"/tmp/{EVIL}", name=EVIL)
    prov["warnings"] = ["<img src=x onerror=alert(1)>"]
    prov["model"]["source"] = '"><script>bad()</script>'
    doc = render_html_report(make_result([0.2, 0.3], provenance=prov))
    assert "<script" not in doc and "<img" not in doc
    assert "Zoë &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;.wav" in doc
    parser = _TagCollector()
    parser.feed(doc)
    assert "script" not in parser.tags and "img" not in parser.tags


def test_self_contained_no_external_assets_no_js():
    doc = render_html_report(make_result([0.2, 0.7, 0.9], provenance=provenance()))
    parser = _TagCollector()
    parser.feed(doc)
    assert not {"script", "link", "img", "iframe", "object"} & set(parser.tags)
    for name, value in parser.attrs:
        assert name != "src" and not (name.startswith("on"))
        if name == "href":
            assert not value or not value.startswith(("http", "//"))
    assert "http://" not in doc.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in doc
    assert "@import" not in doc and "url(" not in doc
    assert doc.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in doc
    assert "@page" in doc  # printable


def test_chunk_table_rows_and_times():
    r = make_result([0.9, 0.2, 0.7, 0.4], provenance=provenance())
    doc = render_html_report(r)
    body = doc.split('<table class="chunks">')[1]
    rows = re.findall(r"<tr><td class=n>(\d+)</td><td class=n>([^<]+)</td><td class=n>([\d.]+)</td>"
                      r"<td class=n>([\d.]+)</td><td>.*?</span>([^<]+)</td>", body)
    assert len(rows) == 4
    for (idx, times, pai, preal, label), c in zip(rows, r.chunks):
        assert int(idx) == c.chunk_index
        assert times == f"{format_time(c.start_time)}–{format_time(c.end_time)}"
        assert float(pai) == pytest.approx(c.prob_ai, abs=5e-4) and float(preal) == pytest.approx(c.prob_real, abs=5e-4)
        assert label == {"ai-sounding": "AI-sounding", "unsure": "unsure", "real-sounding": "real-sounding"}[c.band]
    assert rows[1][1] == "00:02.5–00:07.5"


def test_svg_regions_colours_opacity_and_lanes():
    r = make_result([0.99, 0.55, 0.1, 0.45, 0.9], provenance=provenance())
    svg = render_svg(r)
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    regions = [e for e in root.iter(f"{ns}rect") if e.find(f"{ns}title") is not None]
    assert len(regions) == len(r.chunks)
    by_index = {int(e.find(f"{ns}title").text.split(":")[0].split()[1]): e for e in regions}
    for c in r.chunks:
        e = by_index[c.chunk_index]
        assert e.get("fill") == {"ai-sounding": AI_COLOUR, "unsure": UNSURE_COLOUR, "real-sounding": REAL_COLOUR}[c.band]
    # 0.55 and 0.45 are unsure (grey, half-tone), never "AI" or "real"; further from 0.5 -> more opaque.
    assert by_index[1].get("fill") == by_index[3].get("fill") == UNSURE_COLOUR
    assert float(by_index[0].get("fill-opacity")) > float(by_index[4].get("fill-opacity"))
    # 50 % overlap: neighbours are on different rows, so no region hides another.
    ys = [float(by_index[i].get("y")) for i in range(5)]
    assert ys[0] != ys[1] and ys[0] == ys[2] and ys[1] == ys[3]
    # P(AI) line: one point per chunk; a 0.5 threshold line is drawn dashed.
    pts = root.find(f"{ns}polyline").get("points").split()
    assert len(pts) == len(r.chunks)
    assert any(e.get("stroke-dasharray") for e in root.iter(f"{ns}line"))


def test_lanes_never_overlap_including_end_aligned_tail():
    settings = ChunkSettings(chunk_duration=4.0, overlap=0.75)
    spans = plan_chunks(16000 * 23 + 9600, 16000, settings)  # a 0.6-s rest: a tail chunk added, aligned to the end
    chunks = [ChunkResult.from_probabilities(s, 0.3, 0.7) for s in spans]
    lanes = report_mod.assign_lanes(chunks)
    for lane in set(lanes):
        mine = sorted((c.start_time, c.end_time) for c, ln in zip(chunks, lanes) if ln == lane)
        assert all(a[1] <= b[0] + 1e-9 for a, b in zip(mine, mine[1:]))
    assert max(lanes) + 1 == 5  # 4 phases + the off-grid tail


def test_waveform_drawn_with_audio_and_absent_without(write_audio):
    a = load_audio(write_audio("w.wav", 3.0))
    spans = plan_chunks(len(a.samples), 16000, ChunkSettings(chunk_duration=1.0, overlap=0.5))
    r = aggregate([ChunkResult.from_probabilities(s, 0.8, 0.2) for s in spans], ChunkSettings(1.0, 0.5))
    with_audio = render_svg(r, a)
    without = render_svg(r)
    assert with_audio.count("<path") == 1 and without.count("<path") == 0
    path = ET.fromstring(with_audio).find("{http://www.w3.org/2000/svg}path").get("d")
    assert path.count("M") == 900  # one stroke per envelope bin
    # Report with audio uses the decoded file's facts when provenance has none.
    doc = render_html_report(r, a)
    assert a.info.sha256 in doc and "w.wav" in doc


def test_long_result_renders_fast():
    probs = np.random.default_rng(0).uniform(0, 1, 4320).tolist()  # 3 h at 5 s / 50 %
    r = make_result(probs, n=16000 * 3 * 3600)
    t = time.perf_counter()
    doc = render_html_report(r)
    assert time.perf_counter() - t < 3.0
    assert len(r.chunks) == 4319 and doc.count("<tr><td class=n>") == 4319


def test_write_report_atomically(tmp_path):
    r = make_result([0.9, 0.8], provenance=provenance())
    out = tmp_path / "report.html"
    got = write_html_report(out, r)
    assert got == out and out.read_text("utf-8") .startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_failed_write_leaves_previous_report_intact(tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("previous report", "utf-8")

    def broken_replace(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_html_report(out, make_result([0.9, 0.8]))
    assert out.read_text("utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temp file left


def test_refuses_to_overwrite_the_input(write_audio):
    wav = write_audio("evidence.wav", 1.0)
    before = hashlib.sha256(wav.read_bytes()).hexdigest()
    a = load_audio(wav)
    r = make_result([0.9], provenance=provenance(path=str(wav), name=wav.name))
    with pytest.raises(FaikError, match="refusing to overwrite the input"):
        write_html_report(wav, r)  # via provenance
    with pytest.raises(FaikError, match="refusing to overwrite the input"):
        write_html_report(wav, make_result([0.9]), a)  # via the decoded audio
    assert hashlib.sha256(wav.read_bytes()).hexdigest() == before


def test_report_for_real_analysis_of_generated_audio(write_audio):
    """End to end with a signal: the svg envelope follows the audio (silence then tone)."""
    sig = np.concatenate([np.zeros(16000, np.float32) + 1e-5, synth_speechlike(1.0)])
    a = load_audio(write_audio("half.wav", 2.0, subtype="FLOAT", signal=sig))
    one_s = ChunkSettings(1.0, 0.0)
    r = aggregate([ChunkResult.from_probabilities(s, 0.2, 0.8) for s in plan_chunks(32000, 16000, one_s)], one_s)
    d = ET.fromstring(render_svg(r, a)).find("{http://www.w3.org/2000/svg}path").get("d")
    strokes = re.findall(r"M([\d.]+) ([\d.]+)V([\d.]+)", d)
    heights = [float(v) - float(u) for _, u, v in strokes]
    first, second = np.mean(heights[: len(heights) // 2]), np.mean(heights[len(heights) // 2:])
    assert second > 20 * max(first, 0.01)


def test_report_says_how_often_the_model_is_wrong():
    validation = {"n": 757, "n_real": 345, "n_fake": 412,
                  "channels": {"clean": {"eer": 0.27, "false_alarm_rate": 0.223, "miss_rate": 0.318, "ece": 0.09},
                               "phone-8k": {"eer": 0.36, "false_alarm_rate": 0.478, "miss_rate": 0.284, "ece": 0.04}}}
    prov = provenance()
    prov["model"]["validation"] = validation
    doc = render_html_report(make_result([0.9, 0.2, 0.7], provenance=prov))
    assert "How often this model is wrong" in doc
    assert "clean audio: called 22% of real recordings AI-generated, missed 32% of AI-generated ones" in doc
    assert "telephone band (8 kHz): called 48%" in doc
    bare = render_html_report(make_result([0.9, 0.2, 0.7], provenance=provenance()))
    assert "No measured error rates ship with this model" in bare
    # Spliced-passage figures: only those measured at the result's own chunk settings are listed.
    entry = {"min_chunks": 3, "chunk_duration": 5.0, "overlap": 0.5, "mean_insert_s": 9.8, "insert_found": 0.675,
             "per_hour": 6.2, "threshold": 0.65}
    validation["stretches"] = [entry, {**entry, "chunk_duration": 3.0, "insert_found": 0.74}]
    at5 = render_html_report(make_result([0.9, 0.2, 0.7], provenance=prov))
    assert "68% of them" in at5 and "74% of them" not in at5
    at4 = render_html_report(make_result([0.9, 0.2, 0.7], settings=ChunkSettings(4.0, 0.5), provenance=prov))
    assert "68% of them" not in at4 and "was not measured at these chunk settings (4 s, 50% overlap, AI-sounding from P(AI) 0.65)" in at4


def test_ai_sounding_stretches_are_outlined_on_the_waveform(write_audio):
    a = load_audio(write_audio("w.wav", 10.0))
    spans = plan_chunks(len(a.samples), 16000, ChunkSettings(chunk_duration=2.0, overlap=0.5))
    stretch = {"start_time": 2.0, "end_time": 6.0, "chunks": 3, "mean_prob_ai": 0.8}
    r = aggregate([ChunkResult.from_probabilities(s, 0.2, 0.8) for s in spans], ChunkSettings(2.0, 0.5),
                  provenance={"ai_stretches": [stretch]})
    svg = ET.fromstring(render_svg(r, a))
    [rect] = [e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if e.get("class") == "stretch"]
    wave_bg = next(e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if e.get("fill") == "#f6f6f6")
    left, width = float(wave_bg.get("x")), float(wave_bg.get("width"))
    assert float(rect.get("x")) == pytest.approx(left + width * 2.0 / 10.0, abs=0.05)
    assert float(rect.get("width")) == pytest.approx(width * 4.0 / 10.0, abs=0.05)
    assert "00:02.0–00:06.0: 3 AI-sounding chunks in a row" in rect.find("{http://www.w3.org/2000/svg}title").text
    plain = aggregate([ChunkResult.from_probabilities(s, 0.2, 0.8) for s in spans], ChunkSettings(2.0, 0.5))
    assert 'class="stretch"' not in render_svg(plain, a)


def test_the_timeline_carries_the_recordings_spectrogram(write_audio):
    import base64

    from faik_testkit import read_png

    a = load_audio(write_audio("s.wav", 6.0))
    r = make_result([0.2, 0.8], n=len(a.samples))
    svg = ET.fromstring(render_svg(r, a))
    [image] = [e for e in svg.iter("{http://www.w3.org/2000/svg}image") if e.get("class") == "spectrogram"]
    href = image.get("href")
    assert href.startswith("data:image/png;base64,")
    pixels = read_png(base64.b64decode(href.split(",", 1)[1]))
    assert pixels.shape[0] == 96 and 0 < pixels.shape[1] <= 600
    assert pixels.min() < 128 < pixels.max()  # sound and silence both drawn
    # no audio (a result re-rendered from JSON), or too little of it: no picture, the rest still drawn
    assert "spectrogram" not in render_svg(r, None)  # neither the picture nor the title's word
    tiny = load_audio(write_audio("t.wav", 0.02))
    assert "spectrogram" not in render_svg(make_result([0.5], n=len(tiny.samples)), tiny)


def test_report_says_how_far_the_models_likelihood_ratios_held():
    prov = provenance()
    bare = render_html_report(make_result([0.9, 0.2, 0.7], provenance=prov))
    assert "No measured strength-of-evidence map ships with this model" in bare
    prov["model"]["evidence"] = {"max_band": {"ai-generated": "weak", "real": "weak"},
                                 "measured": {"channels": {"clean": {"cllr": 0.787}, "phone-8k": {"cllr": 0.878}}}}
    doc = render_html_report(make_result([0.9, 0.2, 0.7], provenance=prov))
    assert "Cllr clean 0.79, phone-8k 0.88" in doc and "strongest support it states is weak" in doc
