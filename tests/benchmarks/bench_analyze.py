"""Benchmark: x-real-time and peak memory of a whole analysis (decoding included).

Run by hand (not part of the test suite):

    python tests/benchmarks/bench_analyze.py [--model SRC] [--durations 60,10800] [--format mp3]

For each duration it writes a synthetic speech-like recording (44.1 kHz mono,
MP3 64 kbit/s by default — a typical podcast/interview file), then measures in
fresh processes, so each peak RSS is that job's alone:

* ``decode``  — :func:`detector.audio.load_audio` only (the reference: no torch imported);
* ``analyze`` — what ``faik analyze`` does: load the model, decode, chunk, classify, aggregate.

x-real-time = audio seconds / wall seconds. ``ratio`` = analyze wall time / decode wall time.
The model is ``--model`` if given, else the built-in model if installed, else the built-in
architecture with random weights (same compute, so the same speed; labelled as such).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from faik_testkit import synth_speechlike  # noqa: E402  (after the path set-up)
SR_SOURCE = 44100


def _speechlike_block(n: int, sr: int, seed: int) -> np.ndarray:
    """``n`` samples of the tests' speech-like signal (tests/faik_testkit.py)."""
    return synth_speechlike(n / sr, sr, seed)


def write_recording(path: Path, seconds: float, fmt: str) -> None:
    """Write ``seconds`` of audio block by block (a 3-hour file never sits in memory)."""
    block = 60 * SR_SOURCE
    total = int(seconds * SR_SOURCE)
    if fmt == "flac":
        import soundfile as sf

        with sf.SoundFile(str(path), "w", SR_SOURCE, 1, format="FLAC") as fh:
            for i, start in enumerate(range(0, total, block)):
                fh.write(_speechlike_block(min(block, total - start), SR_SOURCE, i))
        return
    import av

    with av.open(str(path), "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=SR_SOURCE, layout="mono")
        stream.bit_rate = 64000
        for i, start in enumerate(range(0, total, block)):
            x = _speechlike_block(min(block, total - start), SR_SOURCE, i)
            frame = av.AudioFrame.from_ndarray(x.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = SR_SOURCE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def _peak_rss_mib() -> float:
    """This process's peak resident memory. VmHWM belongs to the process image, so unlike
    ru_maxrss it does not inherit the parent's high-water mark across fork + exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def save_random_builtin(folder: Path) -> Path:
    """The built-in architecture with random weights: the same compute as the trained model."""
    import torch
    from transformers import Wav2Vec2FeatureExtractor

    from detector.faik_model import FaikDetectorConfig, FaikDetectorForAudioClassification

    torch.manual_seed(0)
    FaikDetectorForAudioClassification(FaikDetectorConfig()).eval().save_pretrained(folder, safe_serialization=True)
    Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True, return_attention_mask=True).save_pretrained(folder)
    return folder


def child(mode: str, file: str, model: str | None) -> dict:
    """Run one job in this (fresh) process and return its figures."""
    t0 = time.perf_counter()
    if mode == "decode":
        from detector.audio import load_audio

        audio = load_audio(file)
        wall = time.perf_counter() - t0
        return {"audio_s": audio.duration_s, "wall_s": wall, "peak_rss_mib": _peak_rss_mib()}
    from detector.analysis import AnalysisOptions, analyze_file
    from detector.model_service import ModelService

    svc = ModelService()
    info = svc.load(model)
    t_model = time.perf_counter() - t0
    rss_model = _peak_rss_mib()
    t1 = time.perf_counter()
    res = analyze_file(file, svc, AnalysisOptions())
    wall = time.perf_counter() - t1
    return {
        "audio_s": res.provenance["decoded"]["duration_s"], "wall_s": wall, "model_load_s": t_model,
        "peak_rss_mib": _peak_rss_mib(), "rss_after_model_load_mib": rss_model, "chunks": res.total_chunks,
        "model": info.name, "params": info.num_parameters, "torch_threads": __import__("torch").get_num_threads(),
    }


def _run_child(mode: str, file: Path, model: str | None) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--file", str(file)]
    if model:
        cmd += ["--model", model]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed on {file}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="model source (default: built-in, else a tiny test model)")
    ap.add_argument("--durations", default="60,10800", help="comma-separated seconds (default 60,10800)")
    ap.add_argument("--format", choices=("mp3", "flac"), default="mp3")
    ap.add_argument("--workdir", default=None, help="where to write the recordings (default: a temp folder)")
    ap.add_argument("--json", default=None, help="also write the figures as JSON here")
    ap.add_argument("--child", choices=("decode", "analyze"), help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.file, args.model)))
        return

    from detector.model_service import BUILTIN_MODEL_DIR, BUILTIN_MODEL_NAME

    work = Path(args.workdir or tempfile.mkdtemp(prefix="faik-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    model, model_label = args.model, None
    if model is None and (BUILTIN_MODEL_DIR / "config.json").is_file():
        model_label = f"built-in {BUILTIN_MODEL_NAME}"
    elif model is None:
        model = str(save_random_builtin(work / "random-builtin-arch"))
        model_label = ("built-in architecture with RANDOM weights (the trained model is not installed): "
                       "speed and memory only, not a detector")
    else:
        model_label = str(model)
    print(f"model: {model_label}", flush=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)

    rows = []
    for seconds in [float(s) for s in args.durations.split(",") if s.strip()]:
        f = work / f"bench-{int(seconds)}s.{args.format}"
        if not f.exists():
            t = time.perf_counter()
            write_recording(f, seconds, args.format)
            print(f"wrote {f.name} ({f.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - t:.0f} s", flush=True)
        dec = _run_child("decode", f, model)
        ana = _run_child("analyze", f, model)
        rows.append({"file": f.name, "seconds": seconds, "decode": dec, "analyze": ana})
        print(f"  {f.name}: decode {dec['wall_s']:.1f} s, analyze {ana['wall_s']:.1f} s", flush=True)

    print()
    print(f"{'file':<22} {'audio':>8} {'job':<8} {'wall s':>8} {'x real time':>12} {'peak RSS MiB':>13} {'ratio':>6}")
    for r in rows:
        d, a = r["decode"], r["analyze"]
        for name, m in (("decode", d), ("analyze", a)):
            ratio = m["wall_s"] / d["wall_s"] if d["wall_s"] > 0 else float("nan")
            print(f"{r['file']:<22} {m['audio_s']:>7.0f}s {name:<8} {m['wall_s']:>8.1f} "
                  f"{m['audio_s'] / m['wall_s']:>11.1f}x {m['peak_rss_mib']:>13.0f} {ratio:>6.2f}")
        print(f"{'':<22} {'':>8} {'':<8} chunks {a['chunks']}, model load {a['model_load_s']:.1f} s, "
              f"RSS after model load {a['rss_after_model_load_mib']:.0f} MiB, torch threads {a['torch_threads']}")
    print("x real time = audio seconds / wall seconds (decoding included for analyze; model load excluded);")
    print("ratio = wall time / decode-only wall time measured in the same run.")
    if args.json:
        Path(args.json).write_text(json.dumps({"model": model_label, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
