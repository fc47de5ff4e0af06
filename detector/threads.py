"""How many CPU threads the model gets: the cores that are actually free, never more than exist.

Why: torch starts with one thread per core. When another program keeps those cores busy, the
threads wait for each other at every step and a run at the default slowed to 1.9x real time where
``--threads 1`` ran 11-16x (issue 34). So unless the user names a thread count, the analysis asks
:class:`ThreadGovernor` before each batch; it looks at what the machine did since it last looked:

* cores this process may use (``os.sched_getaffinity``, else ``os.cpu_count()``);
* cores that stood idle (Linux: ``/proc/stat``), plus the cores this process itself kept busy
  (its own work is no reason to step back); elsewhere the one-minute load average stands in;
* :func:`choose_threads` turns that into a count: ``floor(free + 0.5)``, at least 1, at most the cores.

The count is spread over model calls side by side, one torch thread each on a small machine
(:mod:`detector.parallel_calls`): two free cores mean two batches at once, one free core one batch.

The first decision of a run, before this process has done anything, takes a 0.1-s look.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

#: Seconds between two looks during an analysis (each look is two small file reads).
RECHECK_S = 5.0
#: Length of the first look, when there is no earlier one to compare with.
FIRST_LOOK_S = 0.1


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and ``taskset`` narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def choose_threads(cores: int, free_cores: float) -> int:
    """Threads for ``free_cores`` idle cores out of ``cores``: rounded, at least 1, at most ``cores``.

    A machine with less than one and a half cores free gets one thread: two threads on one free
    core take turns, and every step of the model waits for the slower one."""
    if cores < 1:
        raise ValueError(f"cores must be at least 1 (got {cores})")
    if not math.isfinite(free_cores):
        return 1
    return int(min(cores, max(1, math.floor(free_cores + 0.5))))


def _cpu_ticks() -> tuple[int, int] | None:
    """(idle ticks, total ticks) of all CPUs from ``/proc/stat``; None where there is none."""
    try:
        with open("/proc/stat", "rb") as fh:
            fields = fh.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != b"cpu":
        return None
    ticks = [int(v) for v in fields[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return idle, sum(ticks[:8])  # guest time is already inside user time


def _own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class _Look:
    wall: float
    own_cpu: float
    ticks: tuple[int, int] | None


def _look() -> _Look:
    return _Look(time.monotonic(), _own_cpu_s(), _cpu_ticks())


def free_cores_between(a: _Look, b: _Look, online: int, cores: int) -> float | None:
    """Cores (of this process's ``cores``) that were idle or ours between two looks; None if unknown.

    ``online`` is the number of CPUs ``/proc/stat`` counts (idle ticks are for all of them)."""
    if a.ticks is None or b.ticks is None:
        return None
    idle, total = b.ticks[0] - a.ticks[0], b.ticks[1] - a.ticks[1]
    wall = b.wall - a.wall
    if total <= 0 or wall <= 0:
        return None
    idle_cores = online * idle / total
    own_cores = max(0.0, (b.own_cpu - a.own_cpu) / wall)
    # Idle CPUs outside our affinity are no use to us.
    return min(float(cores), idle_cores - max(0, online - cores) + own_cores)


def _online_cpus() -> int:
    return max(1, os.cpu_count() or 1)


def free_cores_now(look_s: float = FIRST_LOOK_S) -> float:
    """Cores free for this process, from a ``look_s`` look (Linux) or the load average."""
    cores = usable_cores()
    a = _look()
    if a.ticks is not None:
        time.sleep(look_s)
        free = free_cores_between(a, _look(), _online_cpus(), cores)
        if free is not None:
            return free
    try:
        return max(0.0, cores - os.getloadavg()[0])
    except (AttributeError, OSError):
        return float(cores)  # Windows: no load average; torch's own default


_blas_limited = False


def limit_numpy_blas_threads() -> None:
    """One thread for numpy's BLAS (OpenBLAS in numpy's wheels) in this process, set once.

    Why: numpy's few matrix products here (the reverberation check's mel filterbank, per file) start
    OpenBLAS's worker threads, which then spin waiting for more work and take a core from torch's
    threads. On a folder of 5-s files the model's batches took 159 ms instead of 77 ms and the speech
    check 29-45 ms instead of 3 ms a file with two torch threads (issue 34: 200 files 13.9 s -> 6.1 s).
    Those products are tiny: one BLAS thread costs them nothing. Uses threadpoolctl (what scikit-learn
    uses for the same job), which limits an already loaded BLAS; without it, nothing changes."""
    global _blas_limited
    if _blas_limited:
        return
    _blas_limited = True
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency; an install without it only runs slower
        return
    threadpool_limits(1, user_api="blas")


class ThreadGovernor:
    """Picks the thread count from the free cores, again every ``RECHECK_S`` seconds of a run.

    ``decide()`` is cheap between looks; the analysis asks it before every batch and spreads the count
    over model calls (:class:`detector.parallel_calls.ThreadSpread`). ``threads`` is
    the count last decided (None before the first ``decide()``)."""

    def __init__(self, recheck_s: float = RECHECK_S) -> None:
        self.recheck_s = recheck_s
        self.threads: int | None = None
        self._last: _Look | None = None

    def prime(self) -> None:
        """Start the first look now (e.g. before loading the model), so that the first ``decide()`` can
        judge from what the machine did meanwhile instead of sleeping ``FIRST_LOOK_S`` to look: 7 % of a
        2-minute file's analysis next to a busy neighbour (issue 34's benchmark)."""
        if self._last is None:
            self._last = _look()

    def decide(self) -> int:
        """The thread count for the free cores now (looking again when the last look is ``recheck_s`` old);
        torch is left as it is (:mod:`detector.parallel_calls` spreads the count over calls in flight)."""
        now = time.monotonic()
        stale = self.threads is None or self._last is None or now - self._last.wall >= self.recheck_s
        if stale:
            cores = usable_cores()
            look = _look()
            free = None
            # After a long pause (a window waiting for the next file) the average says little about now;
            # a look shorter than the first look's own length says too little (the kernel counts in ticks).
            if self._last is not None and FIRST_LOOK_S <= now - self._last.wall <= 4 * self.recheck_s:
                free = free_cores_between(self._last, look, _online_cpus(), cores)
            if free is None:
                free = free_cores_now()
                look = _look()
            self._last = look
            self.threads = choose_threads(cores, free)
        return self.threads  # type: ignore[return-value]
