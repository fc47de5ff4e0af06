"""A batch of short files: their chunks go through the model together, each file's result as if alone."""

from __future__ import annotations

import numpy as np
import pytest

from faik_testkit import synth_speechlike
from detector.analysis import AnalysisOptions, analyze_audio
from detector.audio import load_audio
from detector.batching import SHORT_S, Lookahead, PrefetchingService
from detector.errors import AudioDecodeError
from detector.model_service import ModelService


@pytest.fixture(scope="module")
def service(tiny_model_dir) -> ModelService:
    s = ModelService()
    s.load(tiny_model_dir)
    return s


def _clips(write_audio, n: int, seconds: float = 3.0) -> list:
    return [write_audio(f"clip-{i:02d}.flac", seconds, signal=synth_speechlike(seconds, 16000, seed=i))
            for i in range(n)]


def _decode(path, progress=None):
    return load_audio(path, progress=progress)


def test_short_files_share_model_calls_and_get_their_own_results(write_audio, service):
    files = _clips(write_audio, 10)
    options = AnalysisOptions(batch_size=8, num_threads=1)
    alone = [analyze_audio(load_audio(f), service, options) for f in files]

    fast = PrefetchingService(service)
    ahead = Lookahead(files, _decode, fast, options.settings, options.batch_size)
    together = [analyze_audio(ahead.get(f), fast, options) for f in files]

    assert fast.model_calls == 2  # ten one-chunk files in batches of eight, not ten calls
    for a, b in zip(alone, together):
        assert b.total_chunks == a.total_chunks == 1
        assert b.chunks[0].prob_ai == pytest.approx(a.chunks[0].prob_ai, abs=1e-5)
        assert b.verdict == a.verdict


def test_with_two_threads_two_full_batches_are_read_ahead_and_run_side_by_side(write_audio, service):
    import threading
    import time

    files = _clips(write_audio, 10)
    options = AnalysisOptions(batch_size=4, num_threads=2)
    alone = [analyze_audio(load_audio(f), service, options) for f in files]
    lock, now, most = threading.Lock(), [0], [0]
    predict = service.predict_proba

    class Counting:
        def __getattr__(self, name):
            return getattr(service, name)

        def predict_proba(self, chunks):
            with lock:
                now[0] += 1
                most[0] = max(most[0], now[0])
            time.sleep(0.02)
            try:
                return predict(chunks)
            finally:
                with lock:
                    now[0] -= 1

    fast = PrefetchingService(Counting())
    ahead = Lookahead(files, _decode, fast, options.settings, options.batch_size, threads=lambda: 2, batches_ahead=2)
    first = ahead.get(files[0])
    assert fast.model_calls == 2 and most[0] == 2  # eight files read ahead: two batches of four, at once
    together = [analyze_audio(first, fast, options)] + [analyze_audio(ahead.get(f), fast, options) for f in files[1:]]
    assert fast.model_calls == 3  # the last two files: one more batch
    for a, b in zip(alone, together):
        assert b.chunks[0].prob_ai == pytest.approx(a.chunks[0].prob_ai, abs=1e-5)


def test_a_file_that_fails_to_decode_fails_at_its_turn(write_audio, tmp_path, service):
    files = _clips(write_audio, 3)
    bad = tmp_path / "bad.flac"
    bad.write_bytes(b"not audio at all" * 100)
    order = [files[0], bad, files[1], files[2]]
    fast = PrefetchingService(service)
    ahead = Lookahead(order, _decode, fast, AnalysisOptions().settings, 8)
    assert ahead.get(files[0]).info.name == files[0].name
    with pytest.raises(AudioDecodeError):
        ahead.get(bad)
    assert ahead.get(files[1]).info.name == files[1].name
    ahead.skip(files[2])
    with pytest.raises(ValueError, match="out of order"):
        ahead.get(files[0])


def test_long_files_are_not_read_ahead(write_audio, service):
    long_file = write_audio("long.flac", SHORT_S + 5.0)
    short = _clips(write_audio, 2)
    decoded: list[str] = []

    def decode(path, progress=None):
        decoded.append(path.name)
        return load_audio(path, progress=progress)

    fast = PrefetchingService(service)
    ahead = Lookahead([long_file, *short], decode, fast, AnalysisOptions().settings, 8)
    ahead.get(long_file)
    assert decoded == ["long.flac"]  # nothing else decoded while the long one is analysed
    ahead.get(short[0])
    assert decoded == ["long.flac", "clip-00.flac", "clip-01.flac"]
    assert fast.model_calls == 1


def test_chunks_not_given_in_advance_go_to_the_model(service):
    fast = PrefetchingService(service)
    x = synth_speechlike(5.0)
    p = fast.predict_proba([x])
    assert fast.model_calls == 1 and p.shape == (1, 2)
    assert np.allclose(p, service.predict_proba([x]))
    assert fast.info is service.info  # everything else is the wrapped service's


def test_cli_batch_of_short_files_gives_the_per_file_results(write_audio, tmp_path, tiny_model_dir, capsys):
    import json

    from detector.cli import main

    files = _clips(write_audio, 3)
    out_batch, out_one = tmp_path / "batch", tmp_path / "one"
    assert main(["analyze", *map(str, files), "--model", str(tiny_model_dir), "--out", str(out_batch), "-q"]) == 0
    for f in files:
        assert main(["analyze", str(f), "--model", str(tiny_model_dir), "--out", str(out_one), "-q"]) == 0
    for f in files:
        a = json.loads((out_batch / f"{f.stem}.faik.json").read_text())
        b = json.loads((out_one / f"{f.stem}.faik.json").read_text())
        assert a["chunks"][0]["class_probabilities"]["ai_generated"] == pytest.approx(
            b["chunks"][0]["class_probabilities"]["ai_generated"], abs=1e-5)


def test_model_info_dict_is_made_once_and_each_caller_gets_its_own(service):
    info = service.info
    a = info.to_dict()
    a["labels"]["0"] = "changed"
    a["name"] = "changed"
    b = info.to_dict()
    assert b["name"] == info.name and b["labels"]["0"] == info.labels[0]
    assert b == info.to_dict() and b is not info.to_dict()
