"""detector.parallel_calls: batches classified side by side, answers in order, stop and errors."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from detector.analysis import AnalysisOptions, analyze_audio
from detector.audio import AudioInfo, DecodedAudio
from detector.errors import AnalysisCancelled
from detector.parallel_calls import CallPlan, OrderedCalls, ThreadSpread, plan_calls
from faik_testkit import PeakService, synth_speechlike


class _Overlap:
    """Counts how many calls run at once (each call sleeps a little so that calls can meet)."""

    def __init__(self, delay: float = 0.02) -> None:
        self.delay, self.now, self.most = delay, 0, 0
        self._lock = threading.Lock()

    def __call__(self, item):
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.delay)
        with self._lock:
            self.now -= 1
        return item * 10


def test_threads_are_spread_over_calls_in_flight():
    assert plan_calls(1) == CallPlan(1, 1)
    assert plan_calls(2) == CallPlan(2, 1)
    assert plan_calls(3) == CallPlan(2, 1)  # never more threads than the count
    assert plan_calls(8) == CallPlan(2, 4)  # memory: at most two batches at once
    assert plan_calls(16, max_calls=4) == CallPlan(4, 4)
    with pytest.raises(ValueError):
        plan_calls(0)


def test_each_call_runs_with_the_plans_torch_threads_even_on_a_thread_that_already_existed():
    """torch's count is per thread: a change made elsewhere must still reach the next call (a governor that
    sees a neighbour start mid-file)."""
    count = {"threads": 8}
    spread = ThreadSpread(lambda: count["threads"])
    seen = []

    def fn(i):
        return i, torch.get_num_threads()

    with ThreadPoolExecutor(1) as pool:  # one long-lived worker thread, as OrderedCalls' pool has
        assert spread.width() == 2  # eight threads: two calls of four
        seen.append(pool.submit(spread.call, fn, 0).result())
        count["threads"] = 3  # three free cores now: two calls of one
        assert spread.width() == 2
        seen.append(pool.submit(spread.call, fn, 1).result())
        count["threads"] = 1
        assert spread.width() == 1
        seen.append(pool.submit(spread.call, fn, 2).result())
    assert seen == [(0, 4), (1, 1), (2, 1)]


def test_answers_come_in_order_even_when_later_calls_finish_first():
    def slow_first(i):
        time.sleep(0.05 if i % 2 == 0 else 0.0)
        return i * i

    out = list(OrderedCalls(slow_first, width=lambda: 2).run(range(7)))
    assert out == [(i, i * i) for i in range(7)]


@pytest.mark.parametrize("width", [1, 2, 3])
def test_no_more_calls_at_once_than_the_width(width):
    fn = _Overlap()
    out = list(OrderedCalls(fn, width=lambda: width, max_workers=3).run(range(12)))
    assert [r for _, r in out] == [i * 10 for i in range(12)]
    assert fn.most == width  # side by side when allowed, never more


def test_a_width_that_falls_mid_run_takes_effect():
    fn, asked = _Overlap(), {"n": 0}

    def width():
        asked["n"] += 1
        return 3 if asked["n"] <= 3 else 1  # a neighbour starts: one call at a time from then on

    calls = OrderedCalls(fn, width=width, max_workers=3)
    seen = []
    for _, r in calls.run(range(10)):
        seen.append((r, fn.now))
    assert [r for r, _ in seen] == [i * 10 for i in range(10)]
    assert all(now <= 1 for _, now in seen[4:])


def test_stop_lets_the_running_calls_finish_and_starts_no_more():
    started: list[int] = []

    def fn(i):
        started.append(i)
        return i

    polls = {"n": 0}

    def stop():
        polls["n"] += 1
        return polls["n"] > 3

    calls = OrderedCalls(fn, width=lambda: 2)
    out = [i for i, _ in calls.run(range(100), stop=stop)]
    assert calls.stopped and out == [0, 1, 2] and sorted(started) == [0, 1, 2]


def test_an_error_in_a_call_is_raised_in_order():
    def fn(i):
        if i == 3:
            raise RuntimeError("bad batch")
        return i

    got = []
    with pytest.raises(RuntimeError, match="bad batch"):
        for i, _ in OrderedCalls(fn, width=lambda: 2).run(range(6)):
            got.append(i)
    assert got == [0, 1, 2]


class _SlowPeakService(PeakService):
    """Known scores, a little time per call, and a count of calls at once."""

    def __init__(self) -> None:
        super().__init__()
        self.overlap = _Overlap(0.01)

    def predict_proba(self, chunks):
        self.overlap(0)
        return super().predict_proba(chunks)


def _audio(seconds: float) -> DecodedAudio:
    info = AudioInfo(path="/tmp/x.wav", name="x.wav", size_bytes=1, sha256="ab" * 32, container="wav",
                     codec="pcm_s16le", sample_rate=16000, channels=1, duration_s=seconds)
    return DecodedAudio(samples=synth_speechlike(seconds), sample_rate=16000, info=info)


def test_analysis_with_two_threads_runs_two_batches_at_once_with_the_same_answer():
    audio = _audio(60.0)
    one, two = _SlowPeakService(), _SlowPeakService()
    a = analyze_audio(audio, one, AnalysisOptions(batch_size=2, num_threads=1))
    b = analyze_audio(audio, two, AnalysisOptions(batch_size=2, num_threads=2))
    assert one.overlap.most == 1 and two.overlap.most == 2
    assert [c.to_dict() for c in a.chunks] == [c.to_dict() for c in b.chunks]
    assert a.to_dict()["is_deepfake"] == b.to_dict()["is_deepfake"]
    assert a.to_dict()["provenance"]["evidence"] == b.to_dict()["provenance"]["evidence"]


def test_cancel_with_batches_in_flight_keeps_every_finished_chunk_in_order():
    done: list = []
    polls = {"n": 0}

    def cancel():
        polls["n"] += 1
        return polls["n"] > 3

    with pytest.raises(AnalysisCancelled, match="cancelled after 6 of"):
        analyze_audio(_audio(60.0), _SlowPeakService(), AnalysisOptions(batch_size=2, num_threads=2),
                      cancel=cancel, on_chunk=done.append)
    assert [c.start_time for c in done] == sorted(c.start_time for c in done) and len(done) == 6
    assert np.all(np.diff([c.start_time for c in done]) > 0)


def test_the_checks_after_the_calls_run_on_the_threads_the_free_cores_allow(monkeypatch):
    """The VAD after the model calls is a torch model too: next to a busy neighbour (one free core) it must
    not run on torch's default two threads, which wait for each other (issue 34's collapse)."""
    import detector.analysis as analysis

    seen = []
    real_vad = analysis.vad_frames
    monkeypatch.setattr(analysis, "vad_frames", lambda *a, **k: seen.append(torch.get_num_threads()) or real_vad(*a, **k))
    monkeypatch.setattr(analysis.THREADS, "decide", lambda: 1)  # a neighbour holds the other core
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        analyze_audio(_audio(12.0), PeakService(), AnalysisOptions(batch_size=2))
    finally:
        torch.set_num_threads(before)
    assert seen == [1]
