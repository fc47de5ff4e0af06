"""The spliced-recording measurement: how the recordings are built and what is counted."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from detector.chunking import ChunkSettings
from detector.training.splice_eval import (SAMPLE_RATE, build_recordings, level, merge_section, score_recordings,
                                           summarise, validation_section)

SR = SAMPLE_RATE


def _rows():
    rows = [{"file": f"real/a{i}.flac", "label": "real", "family": "corpA"} for i in range(12)]
    rows += [{"file": f"real/b{i}.flac", "label": "real", "family": "corpB"} for i in range(3)]  # too little
    rows += [{"file": f"fake/x{i}.flac", "label": "fake", "family": "genX"} for i in range(4)]
    rows += [{"file": f"fake/y{i}.flac", "label": "fake", "family": "genY"} for i in range(4)]
    return rows


def _load(f: str) -> np.ndarray:
    # real clips are quiet-ish noise, fakes a tone: 4 s each; the amplitude differs per file (levelled later)
    rng = np.random.default_rng(zlib.crc32(f.encode()))
    if f.startswith("fake"):
        return (0.5 * np.sin(2 * np.pi * 300 * np.arange(4 * SR) / SR)).astype(np.float32)
    return (rng.uniform(0.01, 0.3) * rng.standard_normal(4 * SR)).astype(np.float32)


def test_hosts_come_from_sources_with_enough_audio_and_get_one_insert_per_family():
    recs = build_recordings(_rows(), _load, host_s=20.0, insert_s=6.0)
    controls = [r for r in recs if r.insert is None]
    spliced = [r for r in recs if r.insert is not None]
    assert [r.name for r in controls] == ["corpA-0", "corpA-1"]  # 12 clips of 4 s: two hosts of 20 s
    assert sorted(r.family for r in spliced) == ["genX", "genX", "genY", "genY"]
    for r in spliced:
        host = next(c for c in controls if r.name.startswith(c.name + "+"))
        a, b = r.insert
        assert b - a == 8 * SR  # two 4-s fake clips reach 6 s
        assert r.samples.size == host.samples.size + (b - a)
        assert a % (4 * SR) == 0 and 0 < a < host.samples.size  # at a joint, never first or last
        np.testing.assert_array_equal(r.samples[:a], host.samples[:a])
        np.testing.assert_array_equal(r.samples[b:], host.samples[a:])
    # every clip is levelled to the same loudness, so loudness cannot give the insert away
    assert np.sqrt(np.mean(level(_load("real/a0.flac")) ** 2)) == pytest.approx(10 ** (-26 / 20), rel=1e-3)
    assert build_recordings(_rows(), _load, host_s=20.0, insert_s=6.0)[3].name == recs[3].name  # deterministic


def test_summary_counts_inserts_found_and_false_stretches_on_controls():
    recs = build_recordings(_rows(), _load, host_s=20.0, insert_s=6.0)

    def predict(chunks):  # a chunk that holds any of the tone (the insert) is "AI"
        p = np.array([0.9 if np.abs(np.fft.rfft(c)[int(300 * c.size / SR)]) > 100 else 0.1 for c in chunks])
        return np.stack([p, 1 - p], axis=1)

    scored = score_recordings(recs, predict, ChunkSettings())
    s = summarise(scored)
    assert s["recordings"]["controls"] == 2 and s["recordings"]["spliced"] == 4
    assert s["chunks"]["inside_called_ai"] == 1.0 and s["chunks"]["control_called_ai"] == 0.0
    assert s["chunks"]["eer"] == 0.0
    # an 8-s insert covers 3 to 4 overlapping 5-s chunks, so runs of 3 find every insert
    assert s["runs"]["3"]["spliced_flag_on_insert"] == 1.0 and s["runs"]["3"]["controls_flagged"] == 0.0
    assert s["runs"]["3"]["control_stretches_per_hour"] == 0.0
    assert s["majority_verdict_ai"]["spliced"] == 0.0  # the majority vote misses every insert
    section = validation_section(s, ChunkSettings(), [0], 23)
    assert section["insert_found"] == 1.0 and section["min_chunks"] == 3 and section["chunk_duration"] == 5.0


def test_validation_keeps_one_entry_per_chunk_setting():
    entry = {"min_chunks": 3, "chunk_duration": 5.0, "overlap": 0.5, "insert_found": 0.6}
    merged = merge_section({"channels": {}, "stretches": entry}, {**entry, "chunk_duration": 3.0})
    assert [e["chunk_duration"] for e in merged["stretches"]] == [3.0, 5.0]  # a lone older entry is kept
    again = merge_section(merged, {**entry, "insert_found": 0.7})  # the same settings measured again: replaced
    assert [(e["chunk_duration"], e["insert_found"]) for e in again["stretches"]] == [(3.0, 0.6), (5.0, 0.7)]
    assert merged["channels"] == {}


def test_validation_is_refused_before_any_audio_is_read(tmp_path, capsys):
    from detector.model_service import BUILTIN_MODEL_DIR
    from detector.training.splice_eval import main

    (tmp_path / "index.csv").write_text("file,label,family,language,split\nnope.flac,real,x,en,val\n")
    other = tmp_path / "validation.json"
    other.write_text('{"weights_sha256": "00"}')
    base = ["--data", str(tmp_path), "--model", str(BUILTIN_MODEL_DIR), "--validation", str(other)]
    for extra, why in ((["--channel", "mp3-32k"], "clean-channel"), ([], "other weights")):
        with pytest.raises(SystemExit) as exc:  # nope.flac does not exist: reading it would fail otherwise
            main(base + extra)
        assert exc.value.code == 2 and why in capsys.readouterr().err
    assert other.read_text() == '{"weights_sha256": "00"}'
