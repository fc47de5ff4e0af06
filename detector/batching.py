"""Many short files at the speed of one long one: their chunks go through the model together.

Why: a 5-s clip is one chunk, and one chunk costs the model almost what a batch of eight does (the
speaker encoder's LSTM walks its 160 steps one after the other, whatever the batch), so a folder of
1 000 clips ran at well under half the speed of the same audio in one file (issue 34).

:class:`Lookahead` decodes the files of a batch in order, a few ahead of the one being analysed
while they are short; :class:`PrefetchingService` stands in for the :class:`ModelService` and
classifies the chunks of all the decoded files in full batches before the first of them is analysed,
then answers each file's own call from what it already has. The analysis itself is unchanged
(:func:`detector.analysis.analyze_audio`); a chunk it was not given in advance goes to the model as
before. Memory stays small: only files of at most ``SHORT_S`` are read ahead, at most
``batch_size`` chunks' worth.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from detector.chunking import plan_chunks
from detector.parallel_calls import OrderedCalls, ThreadSpread

#: Files at most this long (decoded) are read ahead and classified together with their neighbours.
SHORT_S = 30.0


def _key(chunk: np.ndarray) -> tuple[int, int, int]:
    """Where a chunk's samples live (address, length, stride): a view of the same samples has the same key."""
    return int(chunk.__array_interface__["data"][0]), int(chunk.shape[0]), int(chunk.strides[0])


class PrefetchingService:
    """A :class:`~detector.model_service.ModelService` that can be handed chunks in advance.

    Everything but ``predict_proba`` is the wrapped service's. ``prefill(audios, settings,
    batch_size)`` classifies every chunk of ``audios`` in batches of ``batch_size``; a later
    ``predict_proba`` whose chunks were all prefilled (the same samples, not copies) is answered from
    them, each answer used once."""

    def __init__(self, service: Any) -> None:
        self._service = service
        self._ready: dict[tuple[int, int, int], np.ndarray] = {}
        self.model_calls = 0  # calls that reached the model (for tests)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)

    def prefill(self, audios: Sequence[Any], settings: Any, batch_size: int,
                threads: Callable[[], int] | None = None) -> None:
        """Classify every chunk of ``audios`` in batches of ``batch_size``; ``threads()`` (asked before each
        batch) is the thread count, spread over batches side by side (:mod:`detector.parallel_calls`);
        without it one batch at a time on torch's threads as they are."""
        self._ready.clear()  # addresses of freed files may be reused: never keep answers across groups
        chunks = [a.samples[s.start:s.end] for a in audios
                  for s in plan_chunks(int(a.samples.size), a.sample_rate, settings)]
        calls = (OrderedCalls(self._service.predict_proba, width=lambda: 1) if threads is None
                 else ThreadSpread(threads).calls(self._service.predict_proba))
        batches = (chunks[first:first + batch_size] for first in range(0, len(chunks), batch_size))
        for batch, probs in calls.run(batches):
            self.model_calls += 1
            for c, p in zip(batch, probs):
                self._ready[_key(c)] = p

    def predict_proba(self, chunks: Sequence[np.ndarray]) -> np.ndarray:
        keys = [_key(c) for c in chunks]
        if keys and all(k in self._ready for k in keys):
            return np.stack([self._ready.pop(k) for k in keys])
        self.model_calls += 1
        return self._service.predict_proba(chunks)


class Lookahead:
    """Decodes ``paths`` in order for a batch run, reading short files ahead and prefilling their chunks.

    ``get(path)`` returns the decoded audio of the next path (or raises what decoding it raised);
    paths must be asked for in order, each once, and ``skip(path)`` passes over one that will not be
    analysed. ``decode(path, progress)`` is the loader (:func:`detector.audio.load_audio`)."""

    def __init__(self, paths: Iterable[os.PathLike | str], decode: Callable[[Any], Any],
                 service: PrefetchingService, settings: Any, batch_size: int,
                 threads: Callable[[], int] | None = None, batches_ahead: int = 1) -> None:
        self._todo = list(paths)
        self._pos = 0
        self._decode = decode
        self._service = service
        self._settings = settings
        self._batch_size = batch_size
        self._threads = threads
        # Enough chunks for the batches that run side by side (detector.parallel_calls) to all be full.
        self._ahead_chunks = batch_size * max(1, int(batches_ahead))
        self._buffer: "OrderedDict[int, tuple[Any, BaseException | None]]" = OrderedDict()

    def skip(self, path: Any) -> None:
        self._take(path, decode=False)

    def get(self, path: Any, progress: Callable[[float], None] | None = None) -> Any:
        """The decoded audio of ``path``; ``progress`` is passed on when it is decoded now, not ahead."""
        audio, error = self._take(path, decode=True, progress=progress)
        if error is not None:
            raise error
        return audio

    def _take(self, path: Any, decode: bool,
              progress: Callable[[float], None] | None = None) -> tuple[Any, BaseException | None]:
        if self._pos >= len(self._todo) or os.fspath(self._todo[self._pos]) != os.fspath(path):
            raise ValueError(f"{path} asked for out of order")
        i = self._pos
        self._pos += 1
        if i in self._buffer:
            return self._buffer.pop(i)
        if not decode:
            return None, None
        first = self._load(i, progress)
        audio, error = first
        if error is not None or audio.duration_s > SHORT_S:
            return first
        # A short file: read on while the next ones are short too, up to a full batch of chunks.
        group, chunks, j = [audio], self._chunks(audio), self._pos
        while chunks < self._ahead_chunks and j < len(self._todo):
            nxt = self._load(j)
            self._buffer[j] = nxt
            j += 1
            if nxt[1] is not None or nxt[0].duration_s > SHORT_S:
                break
            group.append(nxt[0])
            chunks += self._chunks(nxt[0])
        if len(group) > 1:
            self._service.prefill(group, self._settings, self._batch_size, self._threads)
        return first

    def _chunks(self, audio: Any) -> int:
        return len(plan_chunks(int(audio.samples.size), audio.sample_rate, self._settings))

    def _load(self, i: int, progress: Callable[[float], None] | None = None) -> tuple[Any, BaseException | None]:
        try:
            return self._decode(self._todo[i], progress), None
        except Exception as exc:  # noqa: BLE001 - raised again when its file's turn comes
            return None, exc
