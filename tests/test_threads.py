"""The model's thread count follows the free cores: never more than exist, one on a loaded machine."""

from __future__ import annotations

import pytest

from detector import threads
from detector.threads import ThreadGovernor, _Look, choose_threads, free_cores_between


def test_choose_threads_rounds_the_free_cores_within_one_and_the_core_count():
    assert choose_threads(2, 2.0) == 2
    assert choose_threads(2, 1.6) == 2
    assert choose_threads(2, 1.4) == 1  # less than one and a half cores free: one thread
    assert choose_threads(2, 0.0) == 1  # a loaded machine still gets one
    assert choose_threads(2, -3.0) == 1
    assert choose_threads(8, 12.0) == 8  # never more threads than cores
    assert choose_threads(8, 5.2) == 5
    assert choose_threads(1, 4.0) == 1
    assert choose_threads(4, float("nan")) == 1
    with pytest.raises(ValueError):
        choose_threads(0, 1.0)


def test_free_cores_count_idle_cores_and_this_process_own_work():
    a = _Look(wall=0.0, own_cpu=0.0, ticks=(0, 0))
    # 2 CPUs, 10 s: 200 ticks per CPU-second -> 4000 ticks; none idle, and we used 1 CPU-second per second.
    busy_with_neighbour = _Look(wall=10.0, own_cpu=10.0, ticks=(0, 4000))
    assert free_cores_between(a, busy_with_neighbour, online=2, cores=2) == pytest.approx(1.0)
    # Alone on the machine with two threads: nothing idle, all of it ours.
    alone = _Look(wall=10.0, own_cpu=19.0, ticks=(100, 4000))
    assert free_cores_between(a, alone, online=2, cores=2) == pytest.approx(1.95)
    # Idle CPUs outside this process's affinity do not count.
    wide = _Look(wall=10.0, own_cpu=0.0, ticks=(4000 * 6 // 8, 4000))
    assert free_cores_between(a, wide, online=8, cores=2) == pytest.approx(0.0)
    assert free_cores_between(a, _Look(10.0, 0.0, None), online=2, cores=2) is None


def test_governor_counts_threads_from_the_free_cores_and_keeps_its_count_between_looks(monkeypatch):
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.setattr(threads, "free_cores_now", lambda look_s=0.1: 0.3)  # a neighbour holds both cores
    gov = ThreadGovernor(recheck_s=60.0)
    assert gov.decide() == 1
    monkeypatch.setattr(threads, "free_cores_now", lambda look_s=0.1: 2.0)
    assert gov.decide() == 1  # no new look before recheck_s
    assert ThreadGovernor().decide() == 2


def test_usable_cores_is_the_affinity():
    import os

    if hasattr(os, "sched_getaffinity"):
        assert threads.usable_cores() == len(os.sched_getaffinity(0))
    assert threads.usable_cores() >= 1


def test_an_analysis_keeps_numpy_blas_to_one_thread(tiny_model_dir, write_audio, monkeypatch):
    """OpenBLAS's spinning workers took a core from the model (a folder of 5-s files ran at half speed)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import numpy as np

    from detector.analysis import analyze_file
    from detector.model_service import ModelService

    np.ones((64, 64)) @ np.ones((64, 64))  # numpy's BLAS is loaded
    if not [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]:
        pytest.skip("no BLAS library that threadpoolctl can see")
    threadpoolctl.threadpool_limits(2, user_api="blas")
    monkeypatch.setattr(threads, "_blas_limited", False)
    svc = ModelService()
    svc.load(tiny_model_dir)
    analyze_file(write_audio("two-seconds.wav", 2.0), svc)
    assert {i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"} == {1}


def test_a_primed_governor_judges_from_the_time_since_instead_of_sleeping_to_look(monkeypatch):
    """The CLI primes the first look before loading the model: the first batch then does not wait 0.1 s."""
    import time

    if threads._cpu_ticks() is None:
        pytest.skip("no /proc/stat: the load average stands in")
    gov = ThreadGovernor()
    gov.prime()
    time.sleep(0.15)  # the model's load, say
    monkeypatch.setattr(threads, "free_cores_now", lambda *a, **k: pytest.fail("slept to take a look of its own"))
    assert 1 <= gov.decide() <= threads.usable_cores()
    # Primed too recently to judge: it looks for itself.
    fresh = ThreadGovernor()
    fresh.prime()
    looked = []
    monkeypatch.setattr(threads, "free_cores_now", lambda *a, **k: looked.append(1) or 1.0)
    assert fresh.decide() == 1 and looked == [1]
