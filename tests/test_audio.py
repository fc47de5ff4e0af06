"""detector.audio: decoding every format to 16 kHz mono, bad-input messages, envelope."""

from __future__ import annotations

import csv
import hashlib
import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from faik_testkit import SHARED_DATA, synth_speechlike
from detector import audio as audio_mod
from detector.audio import (
    SUPPORTED_EXTENSIONS,
    AudioInfo,
    DecodedAudio,
    file_sha256,
    load_audio,
    probe_audio,
    waveform_envelope,
)
from detector.errors import AnalysisCancelled, AudioDecodeError, FaikError

av = pytest.importorskip("av")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "sample" / "sample.flac"


# ----------------------------------------------------------------------------- helpers


def sine(seconds: float, sr: int, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def encode(path: Path, planar: np.ndarray, sr: int, codec: str, fmt: str | None = None,
           video: str | None = None, options: dict | None = None) -> Path:
    """Encode ``planar`` (channels, n) float32 with PyAV; optionally add a small video stream first."""
    channels = planar.shape[0]
    out = av.open(str(path), mode="w", format=fmt)
    try:
        vs = None
        if video:
            vs = out.add_stream(video, rate=10)
            vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream(codec, rate=sr, options=options or {})
        a.layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
        step = a.codec_context.frame_size or 1024
        for i in range(0, planar.shape[1], step):
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(planar[:, i:i + step]), format="fltp",
                                            layout=a.layout)
            fr.sample_rate, fr.pts = sr, i
            for pkt in a.encode(fr):
                out.mux(pkt)
        for pkt in a.encode(None):
            out.mux(pkt)
        if vs is not None:
            for k in range(int(planar.shape[1] / sr * 10)):
                vf = av.VideoFrame.from_ndarray(np.full((48, 64, 3), (k * 20) % 255, np.uint8), format="rgb24")
                vf.pts = k
                for pkt in vs.encode(vf):
                    out.mux(pkt)
            for pkt in vs.encode(None):
                out.mux(pkt)
    finally:
        out.close()
    return path


def assert_one_line(err: BaseException) -> str:
    msg = str(err)
    assert msg and "\n" not in msg and "Traceback" not in msg
    assert isinstance(err, FaikError)
    return msg


def best_corr(a: np.ndarray, b: np.ndarray, max_lag: int = 2000) -> float:
    """Peak normalised cross-correlation over small lags (codecs add delay)."""
    n = min(len(a), len(b)) - max_lag
    a0 = a[max_lag:max_lag + n // 2]
    best = 0.0
    for lag in range(0, 2 * max_lag, 1):
        seg = b[lag:lag + len(a0)]
        if len(seg) < len(a0):
            break
        c = float(np.dot(a0, seg) / (np.linalg.norm(a0) * np.linalg.norm(seg) + 1e-12))
        best = max(best, c)
        if best > 0.99:
            break
    return best


# ----------------------------------------------------------------------------- lossless PCM


@pytest.mark.parametrize(
    "subtype, sr",
    [("PCM_16", 16000), ("PCM_U8", 16000), ("PCM_24", 44100), ("PCM_32", 22050), ("FLOAT", 48000),
     ("DOUBLE", 8000), ("PCM_24", 96000)],
)
def test_pcm_variants_decode_to_16k_with_correct_scale(write_audio, subtype, sr):
    path = write_audio(f"s_{subtype}_{sr}.wav", 2.0, sr=sr, subtype=subtype, signal=sine(2.0, sr))
    a = load_audio(path)
    assert isinstance(a, DecodedAudio)
    assert a.sample_rate == 16000 and a.samples.dtype == np.float32 and a.samples.ndim == 1
    assert abs(len(a.samples) - 32000) <= 2
    assert a.duration_s == pytest.approx(2.0, abs=1e-3)
    ref = sine(2.0, 16000)
    mid = slice(1000, 31000)  # resampler edges aside
    tol = 0.02 if subtype == "PCM_U8" else 2e-3
    assert np.max(np.abs(a.samples[mid] - ref[mid])) < tol
    assert a.info.sample_rate == sr and a.info.channels == 1
    assert a.info.container == "wav" and a.info.codec.startswith("pcm_")
    assert a.warnings == ()


def test_flac_and_info_fields(write_audio):
    path = write_audio("speech.flac", 1.5, sr=22050)
    a = load_audio(path)
    info = a.info
    assert isinstance(info, AudioInfo)
    assert (info.container, info.codec, info.sample_rate, info.channels) == ("flac", "flac", 22050, 1)
    assert info.duration_s == pytest.approx(1.5, abs=1e-3)
    assert info.name == "speech.flac" and info.path == str(path)
    assert info.size_bytes == path.stat().st_size
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(a.samples) == 24000


def test_sixteen_k_mono_passes_through_unchanged(write_audio):
    sig = synth_speechlike(1.0, 16000)
    path = write_audio("x.wav", 1.0, subtype="FLOAT", signal=sig)
    np.testing.assert_array_equal(load_audio(path).samples, sig)


def test_stereo_downmix_is_mean_of_channels(tmp_path):
    left = sine(1.0, 16000, amp=0.6)
    path = tmp_path / "st.wav"
    sf.write(str(path), np.stack([left, np.zeros_like(left)], axis=1), 16000, subtype="FLOAT")
    a = load_audio(path)
    assert a.info.channels == 2
    np.testing.assert_allclose(a.samples, left / 2, atol=1e-6)


def test_six_channels_96k_24bit_downmix_is_mean(tmp_path):
    sr = 96000
    base = sine(1.0, sr, freq=300, amp=0.9)
    weights = np.array([1.0, 0.5, 0.0, -0.25, 0.25, 0.5])  # LFE-like channel 3 included: a plain mean
    path = tmp_path / "six.wav"
    sf.write(str(path), np.stack([base * w for w in weights], axis=1), sr, subtype="PCM_24")
    a = load_audio(path)
    assert (a.info.channels, a.info.sample_rate) == (6, 96000)
    ref = sine(1.0, 16000, freq=300, amp=0.9) * weights.mean()
    assert np.max(np.abs(a.samples[500:-500] - ref[500:-500])) < 2e-3


# ----------------------------------------------------------------------------- lossy codecs, video containers


@pytest.mark.parametrize(
    "name, codec, fmt, sr, channels, video, container, codec_name",
    [
        ("a.mp3", "mp3", None, 44100, 2, None, "mp3", "mp3"),
        ("a.opus", "libopus", "ogg", 48000, 2, None, "ogg", "opus"),
        ("a.ogg", "vorbis", "ogg", 44100, 2, None, "ogg", "vorbis"),
        ("a.m4a", "aac", "mp4", 44100, 1, None, "m4a", "aac"),
        ("v.mp4", "aac", "mp4", 48000, 2, "mpeg4", "mp4", "aac"),
        ("v.mov", "aac", "mov", 44100, 2, "mpeg4", "mov", "aac"),
        ("v.webm", "libopus", "webm", 48000, 2, "libvpx", "webm", "opus"),
        ("v.mkv", "mp3", "matroska", 32000, 1, "mpeg4", "matroska", "mp3"),
        ("raw.aac", "aac", "adts", 22050, 1, None, "aac", "aac"),
    ],
)
def test_lossy_and_video_files(tmp_path, name, codec, fmt, sr, channels, video, container, codec_name):
    sig = synth_speechlike(2.0, sr, seed=3)
    opts = {"strict": "experimental"} if codec == "vorbis" else None
    path = encode(tmp_path / name, np.stack([sig] * channels), sr, codec, fmt, video, opts)
    a = load_audio(path)
    assert a.sample_rate == 16000
    assert a.duration_s == pytest.approx(2.0, abs=0.1)  # encoder priming/padding (raw ADTS keeps 2048)
    assert (a.info.container, a.info.codec) == (container, codec_name)
    assert (a.info.sample_rate, a.info.channels) == (sr, channels)
    assert np.isfinite(a.samples).all() and np.max(np.abs(a.samples)) <= 1.0
    # The decoded audio is the encoded signal (resampled), not noise.
    assert best_corr(synth_speechlike(2.0, 16000, seed=3), a.samples) > 0.9


def test_video_without_audio_track(tmp_path):
    path = tmp_path / "silent-film.mp4"
    out = av.open(str(path), "w")
    vs = out.add_stream("mpeg4", rate=10)
    vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
    for k in range(5):
        vf = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
        vf.pts = k
        for pkt in vs.encode(vf):
            out.mux(pkt)
    for pkt in vs.encode(None):
        out.mux(pkt)
    out.close()
    for fn in (load_audio, probe_audio):
        with pytest.raises(AudioDecodeError) as ei:
            fn(path)
        assert "no audio track" in assert_one_line(ei.value)


# ----------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path):
    with pytest.raises(AudioDecodeError) as ei:
        load_audio(tmp_path / "nope.wav")
    assert "file not found" in assert_one_line(ei.value)
    assert isinstance(ei.value.__cause__, FileNotFoundError)


def test_folder(tmp_path):
    with pytest.raises(AudioDecodeError) as ei:
        load_audio(tmp_path)
    assert "is a folder" in assert_one_line(ei.value)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(AudioDecodeError) as ei:
        load_audio(p)
    assert "is empty (0 bytes)" in assert_one_line(ei.value)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_real_permissions(write_audio):
    p = write_audio("locked.wav", 0.5)
    p.chmod(0)
    try:
        with pytest.raises(AudioDecodeError) as ei:
            load_audio(p)
        assert "permission denied" in assert_one_line(ei.value)
    finally:
        p.chmod(0o644)


def test_unreadable_file_message(write_audio, monkeypatch):
    """As root the chmod test skips; simulate the OS refusing the read instead."""
    p = write_audio("locked.wav", 0.5)

    def refuse(*_a, **_k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(audio_mod, "open", refuse, raising=False)
    with pytest.raises(AudioDecodeError) as ei:
        load_audio(p)
    assert "permission denied" in assert_one_line(ei.value)
    assert isinstance(ei.value.__cause__, PermissionError)


@pytest.mark.parametrize(
    "name, content",
    [
        ("notes.mp3", b"hello, this is a text file renamed to look like audio\n" * 40),
        ("report.mp3", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" * 30),
        ("tiny.wav", b"hi"),
        ("noise.wav", np.random.default_rng(0).bytes(5000)),
    ],
)
def test_not_audio(tmp_path, name, content):
    p = tmp_path / name
    p.write_bytes(content)
    for fn in (load_audio, probe_audio):
        with pytest.raises(AudioDecodeError) as ei:
            fn(p)
        assert "is not an audio or video file" in assert_one_line(ei.value)
        assert ei.value.__cause__ is not None


def test_zero_length_audio(tmp_path):
    p = tmp_path / "zero.wav"
    sf.write(str(p), np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioDecodeError) as ei:
        load_audio(p)
    assert "contains no audio (0 s)" in assert_one_line(ei.value)


@pytest.mark.parametrize("ext", ["wav", "flac"])
def test_silent_audio(write_audio, ext):
    p = write_audio(f"silence.{ext}", 1.0, signal=np.zeros(16000, np.float32))
    with pytest.raises(AudioDecodeError) as ei:
        load_audio(p)
    assert assert_one_line(ei.value).startswith("the recording is silent")


def test_very_quiet_is_silent_but_just_above_threshold_is_not(write_audio):
    quiet = write_audio("q.wav", 1.0, subtype="FLOAT", signal=sine(1.0, 16000, amp=10 ** (-65 / 20)))
    with pytest.raises(AudioDecodeError, match="silent"):
        load_audio(quiet)
    audible = write_audio("a.wav", 1.0, subtype="FLOAT", signal=sine(1.0, 16000, amp=10 ** (-55 / 20)))
    assert load_audio(audible).samples.size == 16000


def test_few_nan_samples_are_zeroed_with_warning(write_audio):
    sig = synth_speechlike(2.0)
    sig[::500] = np.nan
    sig[7] = np.inf
    a = load_audio(write_audio("nan.wav", 2.0, subtype="FLOAT", signal=sig))
    assert np.isfinite(a.samples).all()
    assert len(a.warnings) == 1 and "NaN/inf" in a.warnings[0] and "replaced by silence" in a.warnings[0]
    # Zeroed at the source, not smeared: the neighbours are untouched.
    assert a.samples[500] == 0.0 and a.samples[501] == sig[501]


def test_many_nan_samples_refused(write_audio):
    sig = synth_speechlike(2.0)
    sig[::50] = np.nan  # 2 %
    with pytest.raises(AudioDecodeError) as ei:
        load_audio(write_audio("nan.wav", 2.0, subtype="FLOAT", signal=sig))
    assert "not numbers (NaN/inf)" in assert_one_line(ei.value)


def test_over_full_scale_float_is_scaled_into_range(write_audio):
    sig = synth_speechlike(1.0) * 6  # peak 1.8
    a = load_audio(write_audio("loud.wav", 1.0, subtype="FLOAT", signal=sig))
    assert np.max(np.abs(a.samples)) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(a.samples, sig / np.max(np.abs(sig)), atol=1e-6)
    assert any("scaled down" in w for w in a.warnings)


# ----------------------------------------------------------------------------- truncation


def _cut(src: Path, dst: Path, keep: float | int) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
    return dst


@pytest.mark.parametrize("ext", ["wav", "flac"])
def test_truncated_lossless_keeps_what_decodes(write_audio, tmp_path, ext):
    full = write_audio(f"full.{ext}", 4.0)
    cut = _cut(full, tmp_path / f"cut.{ext}", 0.5)
    a = load_audio(cut)
    assert 1.0 < a.duration_s < 3.0
    assert len(a.warnings) == 1 and a.warnings[0].startswith("file appears truncated; analysed the first")
    assert f"{a.duration_s:.1f} s" in a.warnings[0]
    np.testing.assert_allclose(a.samples, load_audio(full).samples[: len(a.samples)], atol=1e-4)


def test_truncated_mp3_warns(tmp_path):
    full = encode(tmp_path / "full.mp3", synth_speechlike(4.0, 44100)[None, :], 44100, "mp3")
    a = load_audio(_cut(full, tmp_path / "cut.mp3", 0.5))
    assert a.duration_s < 3.0
    assert any(w.startswith("file appears truncated") for w in a.warnings)
    assert load_audio(full).warnings == ()


def test_sample_rate_change_mid_stream_and_damaged_joint(tmp_path):
    """Two mp3s glued together (44.1 kHz then 22.05 kHz): both parts decode, at the right speed."""
    a = encode(tmp_path / "a.mp3", sine(2.0, 44100, amp=0.5)[None, :], 44100, "mp3")
    b = encode(tmp_path / "b.mp3", sine(2.0, 22050, amp=0.25)[None, :], 22050, "mp3")
    glued = tmp_path / "glued.mp3"
    glued.write_bytes(a.read_bytes() + b.read_bytes())
    d = load_audio(glued)
    assert d.duration_s == pytest.approx(4.0, abs=0.15)  # the second part is neither lost nor time-stretched
    assert np.max(np.abs(d.samples[4000:28000])) == pytest.approx(0.5, abs=0.05)
    assert np.max(np.abs(d.samples[38000:60000])) == pytest.approx(0.25, abs=0.03)
    assert not any("truncated" in w for w in d.warnings)


def test_damaged_middle_is_skipped_not_fatal(tmp_path):
    full = encode(tmp_path / "full.mp3", synth_speechlike(4.0, 44100)[None, :], 44100, "mp3")
    data = bytearray(full.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 600] = np.random.default_rng(0).bytes(600)
    hurt = tmp_path / "hurt.mp3"
    hurt.write_bytes(bytes(data))
    d = load_audio(hurt)
    assert d.duration_s > 3.5  # the part after the damage is still analysed
    assert not any("truncated" in w for w in d.warnings)
    assert any("damaged block(s) could not be decoded and were skipped" in w for w in d.warnings)


def test_truncated_to_almost_nothing_is_an_error(write_audio, tmp_path):
    full = write_audio("full.wav", 3.0)
    cut = _cut(full, tmp_path / "cut.wav", 44 + 2000)  # header + 1000 samples = 0.06 s
    with pytest.raises(AudioDecodeError) as ei:
        load_audio(cut)
    assert "appears truncated or damaged" in assert_one_line(ei.value)


def test_truncated_flac_with_no_frames_is_an_error(write_audio, tmp_path):
    full = write_audio("full.flac", 3.0)
    cut = _cut(full, tmp_path / "cut.flac", 100)  # header only, a bit of the first frame
    with pytest.raises(AudioDecodeError) as ei:
        load_audio(cut)
    assert "appears truncated or damaged: no audio could be decoded" in assert_one_line(ei.value)
    assert ei.value.__cause__ is not None


def test_probe_reads_header_only(write_audio, tmp_path):
    """A cut FLAC still probes at its header's 4 s: probe does not decode."""
    cut = _cut(write_audio("full.flac", 4.0), tmp_path / "cut.flac", 0.5)
    info = probe_audio(cut)
    assert info.duration_s == pytest.approx(4.0, abs=1e-3)
    assert load_audio(cut).duration_s < 3.0


# ----------------------------------------------------------------------------- names, read-only, hashing


@pytest.mark.parametrize("name", ["Interview Zoë — 北京 ñ.flac", "запись.mp3", "emoji 🎙.wav"])
def test_non_ascii_names(tmp_path, name):
    path = tmp_path / name
    sig = synth_speechlike(1.0, 16000)
    if name.endswith(".mp3"):
        encode(path, sig[None, :], 16000, "mp3")
    else:
        sf.write(str(path), sig, 16000)
    a = load_audio(path)
    assert a.info.name == name and a.duration_s == pytest.approx(1.0, abs=0.06)
    assert probe_audio(str(path)).name == name


def test_input_file_is_never_modified(write_audio, tmp_path):
    paths = [write_audio("in.wav", 1.0), write_audio("in.flac", 1.0, sr=44100, channels=2),
             encode(tmp_path / "in.mp4", synth_speechlike(1.0, 44100)[None, :], 44100, "aac", None, "mpeg4")]
    for p in paths:
        before = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_size)
        load_audio(p)
        probe_audio(p)
        assert (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_size) == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["in.flac", "in.mp4", "in.wav"]  # no side files


def test_file_sha256_matches_hashlib(tmp_path):
    p = tmp_path / "blob.bin"
    data = np.random.default_rng(1).bytes(3 * (1 << 20) + 17)  # several read blocks
    p.write_bytes(data)
    assert file_sha256(p) == hashlib.sha256(data).hexdigest()


def test_supported_extensions():
    need = {".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a", ".aac", ".mp4", ".mov", ".webm", ".mkv"}
    assert need <= SUPPORTED_EXTENSIONS
    assert all(e.startswith(".") and e == e.lower() for e in SUPPORTED_EXTENSIONS)


# ----------------------------------------------------------------------------- progress, cancel


def test_progress_goes_from_zero_to_one(write_audio):
    seen: list[float] = []
    load_audio(write_audio("p.flac", 6.0, sr=44100), progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert len(seen) >= 10  # intermediate updates while decoding, not just start/end
    assert all(b >= a for a, b in zip(seen, seen[1:]))
    assert all(0.0 <= x <= 1.0 for x in seen)


def test_cancel_stops_decoding(write_audio):
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] >= 3

    with pytest.raises(AnalysisCancelled):
        load_audio(write_audio("c.flac", 6.0), cancel=cancel)
    assert calls["n"] == 3


def test_cancel_never_true_decodes_all(write_audio):
    a = load_audio(write_audio("c.flac", 2.0), cancel=lambda: False)
    assert len(a.samples) == 32000


# ----------------------------------------------------------------------------- envelope


def test_envelope_values_per_bin():
    x = np.array([0, 1, -2, 3, -4, 5, 6, -7, 8, 9], dtype=np.float32)
    mins, maxs = waveform_envelope(x, 5)
    assert mins.shape == maxs.shape == (5,)
    np.testing.assert_array_equal(mins, [0, -2, -4, -7, 8])
    np.testing.assert_array_equal(maxs, [1, 3, 5, 6, 9])


def test_envelope_uneven_bins_cover_every_sample():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1001).astype(np.float32)
    mins, maxs = waveform_envelope(x, 7)
    assert mins.min() == x.min() and maxs.max() == x.max()
    edges = (np.arange(8) * 1001) // 7
    for i in range(7):
        seg = x[edges[i]:edges[i + 1]]
        assert mins[i] == seg.min() and maxs[i] == seg.max()


def test_envelope_fewer_samples_than_bins_and_empty():
    mins, maxs = waveform_envelope(np.array([0.5, -0.5], np.float32), 4)
    assert mins.shape == (4,)
    np.testing.assert_array_equal(mins, [0.5, 0.5, -0.5, -0.5])
    mins, maxs = waveform_envelope(np.zeros(0, np.float32), 3)
    assert mins.tolist() == [0, 0, 0] and maxs.tolist() == [0, 0, 0]
    with pytest.raises(ValueError):
        waveform_envelope(np.zeros(10, np.float32), 0)


def test_envelope_is_vectorised_fast():
    x = np.random.default_rng(0).standard_normal(16_000 * 1800).astype(np.float32)  # 30 min at 16 kHz
    t = time.perf_counter()
    mins, maxs = waveform_envelope(x, 2000)
    assert time.perf_counter() - t < 1.0  # a Python loop over bins/samples takes far longer
    assert mins.shape == (2000,) and (mins <= maxs).all()


# ----------------------------------------------------------------------------- real data, the bundled sample


def _index_rows(n_per_label: int = 2) -> list[dict]:
    index = SHARED_DATA / "index.csv"
    if not index.exists():
        return []
    rows, seen = [], {"real": 0, "fake": 0}
    with open(index, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if seen[r["label"]] < n_per_label and (SHARED_DATA / r["file"]).exists():
                rows.append(r)
                seen[r["label"]] += 1
    return rows


def test_shared_data_clips_decode():
    rows = _index_rows()
    if not rows:
        pytest.skip("shared data not present")
    for r in rows:
        a = load_audio(SHARED_DATA / r["file"])
        assert a.info.container == "flac" and a.info.sample_rate == 16000
        assert a.duration_s == pytest.approx(float(r["duration_s"]), abs=0.01)


def test_bundled_sample():
    if not SAMPLE.exists():
        pytest.skip("bundled sample not built yet")
    assert SAMPLE.stat().st_size < 1_000_000
    a = load_audio(SAMPLE)
    assert (a.info.container, a.info.sample_rate, a.info.channels) == ("flac", 16000, 1)
    assert 20.0 <= a.duration_s <= 30.0
    assert a.warnings == ()


def test_out_of_memory_is_a_clear_message(write_audio, monkeypatch):
    class Boom:
        def __init__(self, capacity):
            raise MemoryError

    monkeypatch.setattr(audio_mod, "_Output", Boom)
    with pytest.raises(AudioDecodeError) as ei:
        load_audio(write_audio("long.wav", 0.5))
    assert "too long to decode in this computer's memory" in assert_one_line(ei.value)
    assert isinstance(ei.value.__cause__, MemoryError)


def test_output_buffer_grows_past_a_wrong_header_estimate():
    out = audio_mod._Output(1024)
    chunks = [np.full(700, i, np.float32) for i in range(10)]
    for c in chunks:
        out.append(c)
    np.testing.assert_array_equal(out.finish(), np.concatenate(chunks))


def test_rate_and_channels_changing_mid_stream_decode_whole(tmp_path):
    # Two MP3 files joined byte for byte (a common way podcasts and call recordings get stitched):
    # 2 s stereo at 44.1 kHz, then 3 s mono at 22.05 kHz. Both parts must come out, each in place.
    a = encode(tmp_path / "a.mp3", np.stack([sine(2.0, 44100, 440.0)] * 2), 44100, "mp3")
    b = encode(tmp_path / "b.mp3", sine(3.0, 22050, 880.0)[None], 22050, "mp3")
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    d = load_audio(joined)
    assert 4.8 <= d.duration_s <= 5.3

    def peak_hz(x: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        return float(np.argmax(spectrum) * 16000 / len(x))

    assert abs(peak_hz(d.samples[8000:24000]) - 440.0) < 5
    assert abs(peak_hz(d.samples[-40000:-8000]) - 880.0) < 5
