"""Faults a laptop meets, injected one by one: a hostile file system, full or read-only disks,
interrupted batches, broken or missing models. Each fails cleanly with a message naming the
thing and what to do; nothing half-written is left, earlier outputs stay intact."""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from detector.cli import collect_inputs, main
from detector.errors import AudioDecodeError, ModelLoadError, OutputError
from detector.result import validate_result_dict

REPO = Path(__file__).resolve().parents[1]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def read_summary(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_text("utf-8-sig").splitlines()))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- 1. inputs that cannot be read

@pytest.fixture
def hostile_folder(tmp_path, write_audio):
    folder = tmp_path / "hostile"
    folder.mkdir()
    write_audio("hostile/good.wav", 4.0)
    (folder / "dangling-link.wav").symlink_to(tmp_path / "gone.wav")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_audio("elsewhere/inside.wav", 2.0)
    (folder / "linked-folder").symlink_to(elsewhere, target_is_directory=True)
    os.mkfifo(folder / "pipe.wav")
    (folder / "locked").mkdir()
    write_audio("hostile/locked/secret.wav", 2.0)
    return folder


def test_folder_scan_names_every_input_it_cannot_read(hostile_folder, monkeypatch):
    real_scandir = os.scandir
    locked = str(hostile_folder / "locked")

    def scandir(path="."):  # an unreadable sub-folder, as a non-root user meets it
        if str(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, problems = collect_inputs([str(hostile_folder)])
    assert [f.name for f in files] == ["good.wav"]
    why = {Path(p).name: reason for p, reason in problems}
    assert "broken link" in why["dangling-link.wav"] and "gone.wav" in why["dangling-link.wav"]
    assert "link to a folder" in why["linked-folder"] and "not followed" in why["linked-folder"]
    assert "not a regular file" in why["pipe.wav"]
    assert "permission denied" in why["locked"]


def test_cli_names_a_dangling_link_given_directly_or_in_a_folder(capsys, tmp_path, write_audio, tiny_model_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    write_audio("in/ok.wav", 3.0)
    (folder / "dangling-link.wav").symlink_to(tmp_path / "nowhere.wav")
    rc, _, err = run(capsys, "analyze", folder, folder / "dangling-link.wav", "--model", tiny_model_dir,
                     "--out", tmp_path / "o", "-q")
    assert rc == 1 and "Traceback" not in err
    lines = [line for line in err.splitlines() if "dangling-link.wav" in line]
    assert len(lines) == 2 and all("broken link" in line and "nowhere.wav" in line for line in lines)
    with pytest.raises(AudioDecodeError, match="broken link"):
        from detector.audio import load_audio

        load_audio(folder / "dangling-link.wav")


NON_ROOT_SCRIPT = r"""
import json, sys
from detector.cli import collect_inputs
from detector.audio import load_audio
from detector.errors import AudioDecodeError
folder = sys.argv[1]
files, problems = collect_inputs([folder])
try:
    load_audio(folder + "/unreadable.wav")
    decode = "read!"
except AudioDecodeError as exc:
    decode = str(exc)
print(json.dumps({"files": [str(f) for f in files], "problems": problems, "decode": decode}))
"""


def _as_nobody() -> list[str] | None:
    if not IS_ROOT:
        return []
    if shutil.which("setpriv") is None:
        return None
    probe = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                            "import detector"], cwd=REPO, capture_output=True, timeout=120)
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if probe.returncode == 0 else None


def test_unreadable_file_and_folder_named_for_a_non_root_user(write_audio):
    """Permissions are tested for real: as user 'nobody' when the tests run as root."""
    prefix = _as_nobody()
    if prefix is None:
        pytest.skip("no way to run as a non-root user here")
    base = Path(tempfile.mkdtemp(prefix="faik-perm-"))
    try:
        base.chmod(0o755)
        import soundfile as sf

        from faik_testkit import synth_speechlike

        for name in ("readable.wav", "unreadable.wav", "closed/inside.wav"):
            (base / name).parent.mkdir(exist_ok=True)
            sf.write(str(base / name), synth_speechlike(2.0), 16000)
            (base / name).chmod(0o644)
        (base / "unreadable.wav").chmod(0o000)
        (base / "closed").chmod(0o000)
        out = subprocess.run([*prefix, sys.executable, "-c", NON_ROOT_SCRIPT, str(base)], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        got = json.loads(out.stdout.strip().splitlines()[-1])
        assert "permission denied" in got["decode"] and "unreadable.wav" in got["decode"]
        problems = {Path(p).name: why for p, why in got["problems"]}
        assert "closed" in problems and "permission denied" in problems["closed"]
        assert sorted(Path(f).name for f in got["files"]) == ["readable.wav", "unreadable.wav"]
    finally:
        (base / "closed").chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_file_that_grows_while_decoded_fails_cleanly(write_audio):
    from detector.audio import load_audio

    path = write_audio("still-copying.wav", 6.0)

    def grow(fraction: float) -> None:
        if fraction == 0.0:
            with open(path, "ab") as fh:
                fh.write(b"\0" * 32000)

    with pytest.raises(AudioDecodeError, match="changed while it was being read"):
        load_audio(path, progress=grow)


def test_file_deleted_while_decoded_fails_cleanly(write_audio):
    from detector.audio import load_audio

    path = write_audio("vanishing.wav", 6.0)

    def vanish(fraction: float) -> None:
        if fraction == 0.0 and path.exists():
            path.unlink()

    with pytest.raises(AudioDecodeError, match="deleted or moved while it was being read"):
        load_audio(path, progress=vanish)


# --------------------------------------------------------------------------- 2. output faults

def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if not IS_ROOT or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "none", str(where)],
                          capture_output=True, timeout=30).returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB file system (a real full disk) where the machine allows mounting one, else None."""
    where = tmp_path / "small-disk"
    if not _mount_tmpfs(where, "size=64k"):
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], capture_output=True, timeout=30)


def _fail_fsync(monkeypatch, code: int, after: int = 0) -> None:
    """Simulate a device fault: the n-th and later ``fsync`` calls of an atomic write fail with ``code``."""
    import detector.atomic as atomic

    calls = {"n": 0}
    real = os.fsync

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(code, os.strerror(code))
        return real(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)


def test_full_disk_leaves_no_partial_file_and_keeps_the_earlier_one(small_disk, tmp_path, monkeypatch):
    from detector.atomic import atomic_write_bytes

    folder = small_disk or tmp_path / "disk"
    folder.mkdir(exist_ok=True)
    earlier = atomic_write_bytes(folder / "result.json", b'{"earlier": true}\n')
    if small_disk is None:
        _fail_fsync(monkeypatch, errno.ENOSPC)
    with pytest.raises(OutputError, match="disk is full") as info:
        atomic_write_bytes(folder / "result.json", b"x" * 200_000)  # over the 64 KiB disk
    assert "free some space" in str(info.value)
    assert earlier.read_bytes() == b'{"earlier": true}\n'
    assert sorted(p.name for p in folder.iterdir()) == ["result.json"]


def test_read_only_folder_is_a_clear_message(tmp_path, monkeypatch):
    from detector.atomic import atomic_write_text

    folder = tmp_path / "ro"
    real = _mount_tmpfs(folder, "ro,size=64k")
    try:
        if not real:
            import detector.atomic as atomic

            def refuse(*a, **k):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS))

            monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
        with pytest.raises(OutputError, match="read-only") as info:
            atomic_write_text(folder / "x.faik.json", "{}")
        assert "choose a folder you can write to" in str(info.value)
        assert list(folder.iterdir()) == []
    finally:
        if real:
            subprocess.run(["umount", str(folder)], capture_output=True, timeout=30)


def test_batch_stops_at_a_full_disk_with_complete_outputs_and_a_summary(capsys, tmp_path, write_audio,
                                                                         tiny_model_dir, monkeypatch):
    (tmp_path / "in").mkdir()
    inputs = [write_audio(f"in/{n}.wav", 3.0) for n in ("a", "b", "c")]
    out = tmp_path / "out"
    out.mkdir()
    summary = tmp_path / "summary.csv"
    import detector.atomic as atomic

    real_fsync, calls = os.fsync, {"n": 0}

    def fsync(fd):  # the first JSON fits, then the disk is full (the summary goes to another disk)
        calls["n"] += 1
        if 2 <= calls["n"] <= 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    rc, _, err = run(capsys, "analyze", *inputs, "--model", tiny_model_dir, "--out", out, "--summary", summary)
    assert rc == 1 and "Traceback" not in err and "unexpected error" not in err
    assert "disk is full" in err and "stopped after 1 of 3 files" in err
    assert sorted(p.name for p in out.iterdir()) == ["a.faik.json"]
    validate_result_dict(json.loads((out / "a.faik.json").read_text("utf-8")))
    rows = read_summary(summary)
    assert [r["verdict"] for r in rows][1:] == ["failed", "not-analysed"]
    assert rows[0]["result_json"].endswith("a.faik.json") and "disk is full" in rows[1]["error"]
    assert "3 files: " in err and "1 not analysed" in err


def test_report_on_a_read_only_folder_fails_cleanly(write_audio, tmp_path, monkeypatch):
    from detector.analysis import analyze_audio
    from detector.audio import load_audio
    from detector.report import write_html_report
    from faik_testkit import PeakService

    audio = load_audio(write_audio("r.wav", 3.0))
    result = analyze_audio(audio, PeakService())
    earlier = tmp_path / "r.faik.html"
    earlier.write_text("earlier report")
    _fail_fsync(monkeypatch, errno.EACCES)
    with pytest.raises(OutputError, match="permission denied"):
        write_html_report(earlier, result, audio)
    assert earlier.read_text() == "earlier report" and leftovers(tmp_path) == []


# --------------------------------------------------------------------------- 3. interrupted batches

SLOW_BATCH = r"""
import sys, time
import detector.analysis as analysis
real = analysis.analyze_audio
def slow(*a, **k):
    time.sleep(0.4)  # a long recording: time for the signal to land mid-batch
    return real(*a, **k)
analysis.analyze_audio = slow
from detector.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_batch_keeps_complete_results_and_resumes(signum, code, capsys, tmp_path, write_audio,
                                                              tiny_model_dir):
    (tmp_path / "in").mkdir()
    inputs = [write_audio(f"in/{i:02d}.wav", 3.0 + 0.1 * i) for i in range(12)]
    out, summary = tmp_path / "out", tmp_path / "batch.csv"
    argv = ["analyze", str(tmp_path / "in"), "--out", str(out), "--summary", str(summary),
            "--model", str(tiny_model_dir)]
    proc = subprocess.Popen([sys.executable, "-c", SLOW_BATCH, *argv], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not (out.is_dir() and any(p.suffix == ".json" for p in out.iterdir())):
            assert proc.poll() is None and time.monotonic() < deadline, "the batch never wrote a result"
            time.sleep(0.02)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert "Traceback" not in err and "interrupted by" in err and "--skip-existing" in err
    assert leftovers(out) == []
    done = sorted(out.glob("*.faik.json"))
    assert 1 <= len(done) < len(inputs)
    for p in done:
        validate_result_dict(json.loads(p.read_text("utf-8")))
    rows = read_summary(summary)
    assert len(rows) == len(inputs)
    finished = [r for r in rows if r["verdict"] != "not-analysed"]
    assert sorted(Path(r["result_json"]).name for r in finished) == [p.name for p in done]
    assert all("interrupted" in r["error"] for r in rows if r["verdict"] == "not-analysed")

    # The re-run skips what is done (same file, model, settings) and finishes the rest.
    stamps = {p.name: p.stat().st_mtime_ns for p in done}
    rc, _, err2 = run(capsys, *argv, "--skip-existing")
    assert rc == 0, err2
    assert err2.count(": skipped, ") == len(done)
    assert {p.name: p.stat().st_mtime_ns for p in done} == stamps
    assert len(list(out.glob("*.faik.json"))) == len(inputs)
    rows = read_summary(summary)
    assert len(rows) == len(inputs) and all(r["verdict"] not in ("not-analysed", "failed") for r in rows)
    # Other chunk settings are another analysis: nothing is skipped.
    rc, _, err3 = run(capsys, *argv, "--skip-existing", "--chunk-duration", "2")
    assert rc == 0 and ": skipped, " not in err3 and err3.count("analysing again") == len(inputs)


def test_skip_existing_redoes_a_result_of_a_changed_file(capsys, tmp_path, write_audio, tiny_model_dir):
    (tmp_path / "in").mkdir()
    src = write_audio("in/x.wav", 3.0)
    argv = ["analyze", src, "--out", tmp_path / "o", "--model", tiny_model_dir]
    assert run(capsys, *argv)[0] == 0
    write_audio("in/x.wav", 3.5)  # same name, other content
    rc, _, err = run(capsys, *argv, "--skip-existing")
    assert rc == 0 and "analysing again" in err and "skipped" not in err
    d = json.loads((tmp_path / "o" / "x.faik.json").read_text("utf-8"))
    from detector.audio import file_sha256

    assert d["provenance"]["input"]["sha256"] == file_sha256(src)


# --------------------------------------------------------------------------- 4. model faults

def _damaged(tmp_path: Path, tiny_model_dir: Path, how: str) -> Path:
    folder = tmp_path / f"model-{how}"
    shutil.copytree(tiny_model_dir, folder)
    weights, config = folder / "model.safetensors", folder / "config.json"
    if how == "truncated":
        data = weights.read_bytes()
        weights.write_bytes(data[: len(data) // 2])
    elif how == "corrupted":
        data = bytearray(weights.read_bytes())
        data[:64] = os.urandom(64)
        weights.write_bytes(bytes(data))
    elif how in ("unknown-type", "not-audio"):
        d = json.loads(config.read_text())
        d["model_type"] = "quantumnet" if how == "unknown-type" else "bert"
        config.write_text(json.dumps(d))
    elif how == "no-feature-extractor":
        (folder / "preprocessor_config.json").unlink()
    return folder


MODEL_FAULTS = {
    "truncated": ("damaged or incomplete", "copy the model folder again"),
    "corrupted": ("damaged or incomplete", "copy the model folder again"),
    "unknown-type": ("'quantumnet'", "or the built-in model"),
    "not-audio": ("not an audio classifier", "choose another model"),
    "no-feature-extractor": ("no preprocessor_config.json", "copy it from the model's source"),
}


@pytest.mark.parametrize("how", sorted(MODEL_FAULTS))
def test_broken_model_fails_with_what_to_do(how, capsys, tmp_path, tiny_model_dir, write_audio):
    folder = _damaged(tmp_path, tiny_model_dir, how)
    what, todo = MODEL_FAULTS[how]
    rc, out, err = run(capsys, "analyze", write_audio("a.wav", 2.0), "--model", folder, "--out", tmp_path / "o")
    assert rc == 1 and "Traceback" not in err and out == ""
    line = [x for x in err.splitlines() if x.startswith("faik: error: ")]
    assert len(line) == 1 and what in line[0] and todo in line[0], err


def test_hub_id_not_cached_offline_says_what_to_do(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    rc, _, err = run(capsys, "model-info", "--model", "someone/not-cached-anywhere")
    assert rc == 1 and "Traceback" not in err
    assert "not in the local Hugging Face cache" in err and "load a local model folder instead" in err


def test_failed_switch_keeps_the_working_model(tmp_path, tiny_model_dir):
    import numpy as np

    from detector.model_service import ModelService, ModelState

    svc = ModelService()
    good = svc.load(str(tiny_model_dir))
    with pytest.raises(ModelLoadError, match="damaged or incomplete"):
        svc.load(str(_damaged(tmp_path, tiny_model_dir, "truncated")))
    assert svc.state is ModelState.READY and svc.info is good
    assert "damaged or incomplete" in svc.error
    assert svc.predict_proba([np.zeros(16000, dtype=np.float32) + 0.1]).shape == (1, 2)
    # With nothing loaded before, a failure is a failure.
    fresh = ModelService()
    with pytest.raises(ModelLoadError):
        fresh.load(str(_damaged(tmp_path, tiny_model_dir, "unknown-type")))
    assert fresh.state is ModelState.FAILED and fresh.info is None


def test_odd_headers_and_tiny_files_fail_with_a_reason(tmp_path, write_audio):
    """Found by the bad-input corpus: each used to end as an 'unexpected error' or a wrong reason."""
    import struct

    from detector.audio import load_audio
    from faik_testkit import synth_speechlike

    pcm = (synth_speechlike(2.0) * 32767).astype("<i2").tobytes()

    def wav(name: str, rate: int = 16000, tag: int = 1) -> Path:
        fmt = struct.pack("<IHHIIHH", 16, tag, 1, rate, rate * 2, 2, 16)
        path = tmp_path / name
        path.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE" + b"fmt " + fmt
                         + b"data" + struct.pack("<I", len(pcm)) + pcm)
        return path

    with pytest.raises(AudioDecodeError, match="sample rate of 1 Hz"):
        load_audio(wav("rate-1hz.wav", rate=1))
    with pytest.raises(AudioDecodeError, match="codec this app cannot decode"):
        load_audio(wav("unknown-codec.wav", tag=0x1234))
    import numpy as np

    with pytest.raises(AudioDecodeError, match="too short to analyse"):
        load_audio(write_audio("one-sample.wav", 0.0, signal=np.array([0.5], dtype=np.float32)))


def test_skip_existing_writes_a_missing_report_again(capsys, tmp_path, write_audio, tiny_model_dir):
    src = write_audio("r.wav", 3.0)
    argv = ["analyze", src, "--out", tmp_path / "o", "--model", tiny_model_dir, "--report"]
    assert run(capsys, *argv)[0] == 0
    (tmp_path / "o" / "r.faik.html").unlink()  # as a full disk leaves it: the JSON written, the report not
    rc, _, err = run(capsys, *argv, "--skip-existing")
    assert rc == 0 and "skipped" not in err and (tmp_path / "o" / "r.faik.html").is_file()


# --------------------------------------------------------------------------- the bad-input corpus

def _corpus(folder: Path) -> None:
    """Bad and odd inputs a laptop holds: broken containers, cut-off files, odd rates and channel counts,
    NaN samples, huge headers, links, a FIFO, a folder with an audio name."""
    import struct

    import av
    import numpy as np
    import soundfile as sf

    from faik_testkit import synth_speechlike

    folder.mkdir()
    sig = synth_speechlike(3.0)
    pcm = (sig * 32767).astype("<i2").tobytes()

    def w(name, data, sr=16000, subtype=None, fmt=None):
        sf.write(str(folder / name), data, sr, subtype=subtype, format=fmt)

    def header(sr=16000, ch=1, tag=1, data_len=len(pcm)):
        fmt = struct.pack("<IHHIIHH", 16, tag, ch, sr, sr * max(ch, 1) * 2, max(ch, 1) * 2, 16)
        return (b"RIFF" + struct.pack("<I", min(36 + data_len, 0xFFFFFFFF)) + b"WAVE" + b"fmt " + fmt
                + b"data" + struct.pack("<I", data_len))

    def encode(name, codec, fmt):
        out = av.open(str(folder / name), "w", format=fmt)
        st = out.add_stream(codec, rate=16000)
        frame = av.AudioFrame.from_ndarray((sig * 32767).astype(np.int16)[None, :], format="s16", layout="mono")
        frame.sample_rate = 16000
        for packet in [*st.encode(frame), *st.encode(None)]:
            out.mux(packet)
        out.close()
        return (folder / name).read_bytes()

    w("good.wav", sig)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "text.wav").write_text("not audio\n" * 200)
    (folder / "pdf.mp3").write_bytes(b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 300)
    w("whole.flac", sig)
    flac = (folder / "whole.flac").read_bytes()
    (folder / "whole.flac").unlink()
    (folder / "truncated.flac").write_bytes(flac[: len(flac) // 3])
    (folder / "header-only.flac").write_bytes(flac[:200])
    damaged = bytearray(flac)
    damaged[len(flac) // 2: len(flac) // 2 + 1000] = bytes(1000)
    (folder / "damaged-middle.flac").write_bytes(bytes(damaged))
    mp3 = encode("whole.mp3", "mp3", "mp3")
    (folder / "whole.mp3").unlink()
    (folder / "truncated.mp3").write_bytes(mp3[: len(mp3) // 4])
    (folder / "huge-id3.mp3").write_bytes(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + bytes(1_000_000) + mp3)
    m4a = encode("whole.m4a", "aac", "mp4")
    (folder / "whole.m4a").unlink()
    (folder / "truncated.m4a").write_bytes(m4a[: len(m4a) // 2])
    w("nan.wav", np.full(32000, np.nan, dtype=np.float32), subtype="FLOAT")
    some = sig.copy()
    some[::40] = np.nan
    w("some-nan.wav", some, subtype="FLOAT")
    w("loud-float64.wav", sig.astype(np.float64) * 40, subtype="DOUBLE")
    (folder / "zero-channels.wav").write_bytes(header(ch=0) + pcm)
    w("eight-channels.wav", np.stack([sig] * 8, axis=1))
    (folder / "rate-1hz.wav").write_bytes(header(sr=1) + pcm)
    (folder / "rate-0.wav").write_bytes(header(sr=0) + pcm)
    w("rate-384k.wav", synth_speechlike(1.0, 384000), sr=384000)
    big = header()
    (folder / "huge-header.wav").write_bytes(big[:12] + b"LIST" + struct.pack("<I", 2_000_000) + bytes(2_000_000)
                                             + big[12:] + pcm)
    (folder / "claims-days.wav").write_bytes(header(data_len=0xFFFFFFF0) + pcm)
    (folder / "cut-off.wav").write_bytes(header(data_len=len(pcm) * 20) + pcm)
    (folder / "unknown-codec.wav").write_bytes(header(tag=0x1234) + pcm)
    w("silent.wav", np.zeros(32000, dtype=np.float32))
    w("one-sample.wav", sig[:1])
    w("u8.wav", sig, subtype="PCM_U8")
    w("flac-named.mp3", sig, fmt="FLAC")
    (folder / "random.ogg").write_bytes(np.random.default_rng(0).bytes(40_000))
    (folder / "zeros.wav").write_bytes(bytes(200_000))
    w("ça va 😀.wav", sig)
    w("-rf.wav", sig)
    (folder / "dangling-link.wav").symlink_to(folder.parent / "missing.wav")
    (folder / "loop-a.wav").symlink_to(folder / "loop-b.wav")
    (folder / "loop-b.wav").symlink_to(folder / "loop-a.wav")
    elsewhere = folder.parent / "elsewhere"
    elsewhere.mkdir()
    (folder / "link-to-folder.wav").symlink_to(elsewhere, target_is_directory=True)
    os.mkfifo(folder / "fifo.wav")
    (folder / "folder-named.wav").mkdir()
    w("folder-named.wav/inside.wav", sig)


def test_bad_input_corpus_each_named_no_traceback(capsys, tmp_path, tiny_model_dir):
    folder = tmp_path / "corpus"
    _corpus(folder)
    entries = sorted(p.name for p in folder.iterdir())
    out, summary = tmp_path / "out", tmp_path / "corpus.csv"
    rc, stdout, err = run(capsys, "analyze", folder, folder / "fifo.wav", "--model", tiny_model_dir,
                          "--out", out, "--summary", summary, "-q")
    assert rc == 1 and stdout == ""
    assert "Traceback" not in err and "unexpected error" not in err, err
    rows = {Path(r["file"]).name: r for r in read_summary(summary)}
    # Every entry (the folder with an audio name stands for the file inside it) has a row: a verdict or a reason.
    assert set(entries) - {"folder-named.wav"} | {"inside.wav"} == set(rows)
    for name, row in rows.items():
        assert row["verdict"] != "failed" or row["error"], name
        if row["verdict"] == "failed":
            assert any(name in line for line in err.splitlines() if line.startswith("faik: ")), name
    assert rows["good.wav"]["verdict"] != "failed" and rows["dangling-link.wav"]["verdict"] == "failed"


def test_a_signal_handled_inside_the_deferred_block_waits_until_the_result_is_counted():
    """A signal sent to the process may be delivered to another thread (torch's, the second model call's);
    the main thread's mask does not hold it back and Python runs its handler inside the block. There it
    must only be noted, and raised once the block (writing a result and counting it) has finished."""
    from detector import cli

    steps = []
    with pytest.raises(cli._Interrupted):
        with cli._signals_interrupt():
            with cli._signals_deferred():
                steps.append("written")
                signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # what Python does for a tripped signal
                steps.append("counted")
            steps.append("after")  # not reached: the held signal is raised on the way out of the block
    assert steps == ["written", "counted"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # every handler restored
