"""Decode speed and peak memory of :func:`detector.audio.load_audio` (not collected by pytest).

Run: ``python tests/benchmarks/bench_decode.py [--hours 3] [--mp3]``

Generates test files in /tmp with the system ``ffmpeg`` (speech-like harmonic
tone + noise; content does not matter for decoding speed), then decodes each in
a fresh subprocess so that the peak RSS (``ru_maxrss``) belongs to that decode
alone. Prints x-real-time, peak RSS and the size of the 16 kHz float32 output.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
import numpy as np
import av  # import cost outside the timing
from detector.audio import load_audio, waveform_envelope
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t, c = time.perf_counter(), time.process_time()
a = load_audio(sys.argv[1])
dt, cpu = time.perf_counter() - t, time.process_time() - c
t = time.perf_counter()
waveform_envelope(a.samples, 2000)
env = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"decode_s": dt, "cpu_s": cpu, "duration_s": a.duration_s, "rss_before_mb": base / 1024,
                  "peak_rss_mb": peak / 1024, "output_mb": a.samples.nbytes / 2**20, "envelope_s": env,
                  "source": f"{a.info.container}/{a.info.codec} {a.info.sample_rate} Hz x{a.info.channels}"}))
"""


def make(path: Path, seconds: float, rate: int, channels: int, codec_args: list[str]) -> Path:
    if path.exists():
        return path
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        sys.exit("needs the ffmpeg command to generate the test files")
    src = (f"aevalsrc='0.2*sin(2*PI*(140+30*sin(2*PI*0.7*t))*t)*(0.5+0.5*sin(2*PI*3*t))"
           f"+0.01*(random(0)-0.5)':s={rate}:d={seconds}")
    cmd = [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", src, "-ac", str(channels), *codec_args, str(path)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"made {path.name} in {time.perf_counter() - t:.0f} s", flush=True)
    return path


def measure(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(REPO)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hours", type=float, default=3.0)
    ap.add_argument("--mp3", action="store_true", help="also a 44.1 kHz stereo mp3 of the same length")
    ap.add_argument("--folder", default="/tmp/faik-bench")
    args = ap.parse_args()
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    long_s = args.hours * 3600
    files = [
        make(folder / "60s-44k-stereo.mp3", 60, 44100, 2, ["-c:a", "libmp3lame", "-b:a", "128k"]),
        make(folder / "60s-16k-mono.flac", 60, 16000, 1, ["-c:a", "flac"]),
        make(folder / f"{args.hours:g}h-16k-mono.flac", long_s, 16000, 1, ["-c:a", "flac"]),
    ]
    if args.mp3:
        files.append(make(folder / f"{args.hours:g}h-44k-stereo.mp3", long_s, 44100, 2,
                          ["-c:a", "libmp3lame", "-b:a", "128k"]))
    print("x-RT = audio seconds / wall seconds; CPU x-RT uses process CPU time (fairer on a shared machine)")
    print(f"{'file':28} {'source':34} {'audio':>9} {'decode':>8} {'x-RT':>7} {'CPU x-RT':>9} {'peak RSS':>9} "
          f"{'baseline':>9} {'output':>8} {'envelope':>8}")
    for f in files:
        r = measure(f)
        print(f"{f.name:28} {r['source']:34} {r['duration_s']:8.0f}s {r['decode_s']:7.1f}s "
              f"{r['duration_s'] / r['decode_s']:6.0f}x {r['duration_s'] / max(r['cpu_s'], 1e-9):8.0f}x "
              f"{r['peak_rss_mb']:7.0f}MB {r['rss_before_mb']:7.0f}MB "
              f"{r['output_mb']:6.0f}MB {r['envelope_s']:7.3f}s", flush=True)


if __name__ == "__main__":
    main()
