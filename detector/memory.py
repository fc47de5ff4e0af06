"""This process's peak resident memory, for the ``--timings`` log and the benchmark (issue 34's 1-GB target).

One place for it because the window's log and the benchmark must measure the same thing: Linux's
``VmHWM`` (unlike ``ru_maxrss`` it is not inherited across fork + exec, so a benchmark job started
from a big parent reports its own peak).
"""

from __future__ import annotations

from pathlib import Path


def peak_rss_mib() -> float | None:
    """Peak resident memory of this process so far in MiB: ``VmHWM`` where /proc has it, else the
    ``getrusage`` maximum (other Unixes; kilobytes on Linux, bytes on macOS), else None (Windows)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
        import sys
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0
