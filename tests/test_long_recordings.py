"""A long recording is decoded to a memory-mapped temporary file and every whole-file pass gives its
pages back as it goes, so a 3-hour file never sits in the process's memory as a whole (issue 34)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from detector import audio as A
from detector.analysis import AnalysisOptions, analyze_audio
from detector.audio import PageReleaser, is_mapped, load_audio, waveform_envelope
from detector.errors import AnalysisCancelled, AudioDecodeError

SR = 16000
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the file is removed at once only on POSIX")


@pytest.fixture
def spill(monkeypatch, tmp_path):
    """Every recording of a second or more counts as long; temporary files go to a folder of the test's."""
    folder = tmp_path / "spill"
    folder.mkdir()
    monkeypatch.setattr(A, "SPILL_AFTER_S", 1.0)
    monkeypatch.setenv("FAIK_TEMP_DIR", str(folder))
    return folder


def _resident_kib(samples: np.ndarray) -> int | None:
    """Resident KiB of the mapping that holds ``samples`` (Linux /proc/self/smaps); None elsewhere."""
    try:
        text = Path("/proc/self/smaps").read_text()
    except OSError:
        return None
    addr = int(samples.ctypes.data)
    current = None
    for line in text.splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5 and all(c in "0123456789abcdef-" for c in head[0]):
            lo, hi = (int(v, 16) for v in head[0].split("-"))
            current = lo <= addr < hi
        elif current and line.startswith("Rss:"):
            return int(head[1])
    return None


def test_a_long_recording_decodes_to_a_mapped_file_with_the_same_samples(write_audio, spill, monkeypatch):
    path = write_audio("long.flac", 12.0)
    mapped = load_audio(path)
    assert is_mapped(mapped.samples)
    monkeypatch.setattr(A, "SPILL_AFTER_S", 1e9)
    in_memory = load_audio(path)
    assert not is_mapped(in_memory.samples)
    assert np.array_equal(np.asarray(mapped.samples), in_memory.samples)
    for bins in (1, 7, 1000):
        for got, want in zip(waveform_envelope(mapped.samples, bins), waveform_envelope(in_memory.samples, bins)):
            assert np.array_equal(got, want)


@posix_only
def test_no_temporary_file_is_left_behind(write_audio, spill):
    path = write_audio("long.flac", 5.0)
    audio = load_audio(path)
    assert is_mapped(audio.samples)
    assert list(spill.iterdir()) == []  # unlinked as soon as it is mapped
    calls = iter([False, False, True])
    with pytest.raises(AnalysisCancelled):
        load_audio(path, cancel=lambda: next(calls, True))
    assert list(spill.iterdir()) == []


def test_a_full_temporary_folder_is_a_clear_error(write_audio, spill, monkeypatch):
    path = write_audio("long.flac", 5.0)
    made = A._SpillOutput.__init__

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(28, "No space left on device")

        def close(self):
            self.fh.close()

    def init(self, folder=None):
        made(self, folder)
        self.fh = Full(self.fh)

    monkeypatch.setattr(A._SpillOutput, "__init__", init)
    with pytest.raises(AudioDecodeError, match="temporary folder.*No space left"):
        load_audio(path)
    assert list(spill.iterdir()) == []


def test_short_recordings_stay_in_memory(write_audio):
    assert not is_mapped(load_audio(write_audio("short.flac", 3.0)).samples)


def test_page_releaser_follows_a_forward_pass(write_audio, spill):
    audio = load_audio(write_audio("long.flac", 30.0))
    x = audio.samples
    rel = PageReleaser(x)
    float(np.asarray(x).sum())  # every page read once
    rel.upto(len(x) // 2)
    assert 0 < len(x) // 2 - rel.released < 4096  # whole pages only, never past the mark
    rel.upto(len(x) // 4)  # backwards: nothing more
    assert len(x) // 2 - rel.released < 4096
    resident = _resident_kib(x)
    if resident is not None:
        assert resident * 1024 <= (len(x) - rel.released) * 4 + 8192
    # A slice is released at its own place in the mapping, not at the file's start.
    part = x[len(x) // 2:]
    r2 = PageReleaser(part)
    r2.upto(len(part))
    assert r2.released > len(part) - 4096
    # In memory: nothing to do.
    plain = np.zeros(10, np.float32)
    PageReleaser(plain).upto(10)


def test_the_analysis_never_holds_more_than_a_batch_of_a_mapped_recording(write_audio, spill, tiny_model_dir,
                                                                         monkeypatch):
    from detector.model_service import ModelService

    audio = load_audio(write_audio("long.flac", 30.0))
    assert is_mapped(audio.samples)
    svc = ModelService()
    svc.load(tiny_model_dir)
    held: list[int] = []
    released = {"to": 0}
    original = PageReleaser.upto

    def spy(self, i):
        original(self, i)
        released["to"] = max(released["to"], self.released)

    real_predict = svc.predict_proba

    def predict(chunks):
        # Samples read so far (the end of this batch) minus those given back: what is resident at most.
        end = int((chunks[-1].ctypes.data - audio.samples.ctypes.data) // 4) + len(chunks[-1])
        held.append(end - released["to"])
        return real_predict(chunks)

    monkeypatch.setattr(PageReleaser, "upto", spy)
    monkeypatch.setattr(svc, "predict_proba", predict)
    options = AnalysisOptions(batch_size=2, num_threads=1)
    analyze_audio(audio, svc, options)
    assert len(held) >= 5
    # One batch of two 5-s chunks (50 % overlap: 7.5 s) plus the part of a page not yet given back.
    assert max(held) <= int(7.5 * SR) + 1024


def test_the_spectrogram_overview_of_a_mapped_recording_reads_a_few_columns_at_a_time(write_audio, spill,
                                                                                     monkeypatch):
    from detector.spectrogram import spectrogram_image

    path = write_audio("long.flac", 60.0)
    mapped = load_audio(path)
    marks: list[int] = []
    original = PageReleaser.upto

    def spy(self, i):
        marks.append(int(i))
        original(self, i)

    monkeypatch.setattr(PageReleaser, "upto", spy)
    got = spectrogram_image(mapped.samples, SR, 0.0, 60.0, 300)
    monkeypatch.setattr(A, "SPILL_AFTER_S", 1e9)
    want = spectrogram_image(load_audio(path).samples, SR, 0.0, 60.0, 300)
    assert np.array_equal(got.db, want.db)
    # Pages are given back as the columns move on: many marks, in order, the last near the end.
    assert len(marks) >= 10 and marks == sorted(marks) and marks[-1] > 0.9 * len(mapped.samples)


@posix_only
def test_the_input_checks_leave_no_window_of_a_mapped_recording_resident(write_audio, spill):
    """The speech, reverberation and telephone-band checks sample windows all over the recording; each
    window's pages (and the kernel's read-around of them) go back once read, so that on a 3-hour file the
    checks after the analysis do not bring ~100 MB of it back into memory (the window's peak, issue 34)."""
    from detector.channel_check import high_band_fraction
    from detector.reverb_check import reverb_features
    from detector.speech_check import vad_frames

    audio = load_audio(write_audio("long.flac", 60.0))
    x = audio.samples
    assert is_mapped(x)
    if _resident_kib(x) is None:
        pytest.skip("no /proc/self/smaps here")
    size_kib = len(x) * 4 // 1024
    want = A.copy_windows(np.asarray(x), [(0, SR), (len(x) - SR, len(x))])
    for check in (lambda: high_band_fraction(x, SR), lambda: reverb_features(x, SR), lambda: vad_frames(x, SR),
                  lambda: A.copy_windows(x, [(0, SR), (len(x) - SR, len(x))])):
        got = check()
        resident = _resident_kib(x)
        assert resident is not None and resident <= 64, (resident, size_kib)
    # ...and the copies are the samples themselves.
    assert all(np.array_equal(a, b) for a, b in zip(got, want))
