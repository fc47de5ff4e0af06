"""detector.memory: the peak resident memory the window's log and the benchmark both report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# In a fresh interpreter, so that no earlier test's allocations set the peak.
_PROBE = """
import json, numpy as np
from detector.memory import peak_rss_mib
before = peak_rss_mib()
block = np.ones(128 * 1024 * 1024 // 8)  # 128 MiB, every page written
during = peak_rss_mib()
del block
print(json.dumps([before, during, peak_rss_mib()]))
"""


def test_peak_rss_rises_by_what_the_process_touched_and_never_falls():
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True, text=True, check=True)
    before, during, after = json.loads(out.stdout)
    assert 10 < before < during
    assert during - before > 120  # the 128-MiB block shows (within the page rounding)
    assert after > during - 2  # a peak, not the current size (the kernel syncs its counters lazily)
