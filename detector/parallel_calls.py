"""Model calls side by side: each batch on its own worker thread with one torch thread, answers in order.

Why: on two cores torch's own threading splits every operation of one batch in two, and the speaker
encoder's LSTM — 160 small steps, one after the other — keeps the second thread waiting at every
step. Two batches at once, each on one core, keep both cores busy instead (issue 34). Measured on
this project's 2-core machine with the built-in model, a 10-minute FLAC of real speech, the whole
analysis, one process, alternating rounds (medians of three): in bfloat16 431x real time against 334x
with two torch threads on one batch at a time; in float32 253x against 255x (no gain, no loss).

torch releases Python's lock inside its operations, so worker threads run truly in parallel; the
model holds no state between calls (inference mode and the bfloat16 autocast are set per call and per
thread by :meth:`~detector.model_service.ModelService.predict_proba`).

Memory grows with the batches in flight, so at most :data:`MAX_CALLS_IN_FLIGHT` run at once; on a
machine with more cores each call gets several torch threads (``threads // calls``, never more threads
than the count).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Most model calls running at once. Each holds one batch's activations (about 80 s of audio by default):
#: the second call raised a 3-hour file's peak by 60-160 MiB on this project's machine (the window's to
#: 932 MiB of issue 34's 1 GB), so more would break that bound on a laptop with more cores; two were measured.
MAX_CALLS_IN_FLIGHT = 2


@dataclass(frozen=True)
class CallPlan:
    """How ``threads`` CPU threads are used: ``calls`` batches at once, ``torch_threads`` torch threads each."""

    calls: int
    torch_threads: int


def plan_calls(threads: int, max_calls: int = MAX_CALLS_IN_FLIGHT) -> CallPlan:
    """Split ``threads`` (at least 1) into calls in flight and torch threads per call.

    >>> plan_calls(2)
    CallPlan(calls=2, torch_threads=1)
    >>> plan_calls(8)
    CallPlan(calls=2, torch_threads=4)
    """
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a whole number of at least 1 (got {threads!r})")
    calls = max(1, min(threads, max_calls))
    return CallPlan(calls, max(1, threads // calls))


class OrderedCalls(Generic[T, R]):
    """Runs ``fn(item)`` for a stream of items, up to ``width()`` at once, and yields the answers in order.

    ``width`` is asked before each item is handed out, so a thread count that changes mid-run (the
    :class:`~detector.threads.ThreadGovernor` looks again every few seconds) takes effect at once.
    ``stop`` is asked before each item too; once it says True no new call starts, the calls already
    running finish and are yielded, and ``stopped`` becomes True. An exception in a call is raised
    where its answer is taken; the calls still running are waited for before it propagates.
    """

    def __init__(self, fn: Callable[[T], R], width: Callable[[], int], max_workers: int = MAX_CALLS_IN_FLIGHT,
                 name: str = "faik-model") -> None:
        self._fn, self._width, self._max = fn, width, max(1, int(max_workers))
        self._name = name
        self.stopped = False

    def run(self, items: Iterable[T], stop: Callable[[], bool] | None = None) -> Iterator[tuple[T, R]]:
        """Yield ``(item, fn(item))`` in the order of ``items``."""
        self.stopped = False
        source = iter(items)
        pending: deque[tuple[T, Future[R]]] = deque()
        with ThreadPoolExecutor(max_workers=self._max, thread_name_prefix=self._name) as pool:
            exhausted = False
            while True:
                while not exhausted and len(pending) < min(self._max, max(1, int(self._width()))):
                    if stop is not None and stop():
                        self.stopped, exhausted = True, True
                        break
                    try:
                        item = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    pending.append((item, pool.submit(self._fn, item)))
                if not pending:
                    return
                item, future = pending.popleft()
                yield item, future.result()


class ThreadSpread:
    """A thread count, asked for again before each call, spread over calls side by side (:func:`plan_calls`).

    ``calls(fn)`` gives the :class:`OrderedCalls` that runs ``fn`` so: its width is the plan's calls, and
    each call first sets torch's thread count *in its own thread* to the plan's threads per call. Why
    there: torch's count is read per thread (OpenMP), so a count set on the analysis thread does not reach
    worker threads that already exist (checked: a pool thread kept 1 after the main thread set 2), and a
    change mid-run must reach the next call.
    """

    def __init__(self, threads: Callable[[], int]) -> None:
        self._threads = threads
        self._torch_threads = 1

    def width(self) -> int:
        """Plan from the thread count now; the calls to run at once."""
        plan = plan_calls(int(self._threads()))
        self._torch_threads = plan.torch_threads
        return plan.calls

    def _set_torch_threads(self) -> None:
        import torch

        if torch.get_num_threads() != self._torch_threads:
            torch.set_num_threads(self._torch_threads)

    def call(self, fn: Callable[..., R], *args: object) -> R:
        """``fn(*args)`` on the last plan's torch threads in the calling thread."""
        self._set_torch_threads()
        return fn(*args)

    def calls(self, fn: Callable[[T], R]) -> OrderedCalls[T, R]:
        """:class:`OrderedCalls` of ``fn``, as wide as the plan, each call on the plan's torch threads."""
        return OrderedCalls(lambda item: self.call(fn, item), width=self.width)

    def apply_here(self) -> None:
        """Plan from the thread count now and set torch's count in the calling thread to its threads per call
        (e.g. for the speech check's VAD after the calls: next to a busy neighbour it must not run on more
        threads than the free cores either)."""
        self.width()
        self._set_torch_threads()
