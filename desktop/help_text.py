"""The texts of Help (F1) and About: what a verdict means, its limits, the model card, versions, licences.

Plain functions returning HTML, so the window only shows them and the tests
read them without a dialog.
"""

from __future__ import annotations

import html
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from desktop import style

APP_LICENCE = "MIT"
# The libraries the app ships, with the licence each is distributed under.
LIBRARIES = (
    ("PySide6 (Qt for Python)", "PySide6", "LGPL-3.0"),
    ("PyTorch", "torch", "BSD-3-Clause"),
    ("Transformers", "transformers", "Apache-2.0"),
    ("pyqtgraph", "pyqtgraph", "MIT"),
    ("NumPy", "numpy", "BSD-3-Clause"),
    ("librosa", "librosa", "ISC"),
    ("soundfile (libsndfile)", "soundfile", "BSD-3-Clause (libsndfile: LGPL-2.1)"),
    ("PyAV (FFmpeg)", "av", "BSD-3-Clause (FFmpeg: LGPL-2.1)"),
    ("Silero VAD", "silero-vad", "MIT"),
)


_MODULE = {"PySide6": "PySide6", "torch": "torch", "transformers": "transformers", "pyqtgraph": "pyqtgraph",
           "numpy": "numpy", "librosa": "librosa", "soundfile": "soundfile", "av": "av", "silero-vad": "silero_vad"}


def _version(dist: str) -> str:
    """The installed version; in the frozen app (no package metadata) the loaded module's ``__version__``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        module = sys.modules.get(_MODULE.get(dist, dist))
        return str(getattr(module, "__version__", "bundled"))


def app_version() -> str:
    from detector import __version__

    return __version__


def model_card_path(info: Any | None) -> Path | None:
    """The MODEL_CARD.md of the loaded model (a folder or the built-in one), if there is one."""
    if info is None or getattr(info, "source_kind", "") == "hub":
        return None
    if info.source_kind == "built-in":
        from detector.model_service import BUILTIN_MODEL_DIR

        folder = Path(BUILTIN_MODEL_DIR)
    else:
        folder = Path(info.source)
    card = folder / "MODEL_CARD.md"
    return card if card.is_file() else None


def about_html(info: Any | None) -> str:
    """App and model versions, and the licences of the app and what it ships."""
    if info is not None:
        model = (f"<b>{html.escape(info.name)}</b> ({html.escape(info.source_kind)}), weights SHA-256 "
                 f"<code>{html.escape(info.weights_sha256[:16])}…</code>")
    else:
        model = "no model loaded yet"
    rows = "".join(f"<tr><td>{html.escape(label)}</td><td>{html.escape(_version(dist))}</td>"
                   f"<td>{html.escape(licence)}</td></tr>" for label, dist, licence in LIBRARIES)
    return (f"<h3>fAIk Desktop {html.escape(app_version())}</h3>"
            "<p>Offline detection of AI-generated speech, chunk by chunk.</p>"
            f"<p><b>Model:</b> {model}</p>"
            f"<p><b>Licence:</b> fAIk Desktop is released under the {APP_LICENCE} licence. "
            "It bundles:</p>"
            f"<table cellspacing='6'><tr><th align='left'>Library</th><th align='left'>Version</th>"
            f"<th align='left'>Licence</th></tr>{rows}</table>"
            "<p>The model's training data is for research use; see its model card.</p>")


def help_html(info: Any | None) -> str:
    """What a verdict means, its limits, the keys, and where the model card is."""
    card = model_card_path(info)
    where = (f"<code>{html.escape(str(card))}</code>" if card is not None
             else "in the model's folder (MODEL_CARD.md); Model → Choose… shows which model is loaded")
    return (
        "<h3>Reading a result</h3>"
        "<p>The recording is cut into chunks (Chunk settings: 1–30 s long, overlapping 0–90 %). The model "
        "gives each chunk a probability that it sounds AI-generated, P(AI); the plots show it per chunk, "
        "the table lists it. The verdict at the top sums the chunks up and says how strongly the file's "
        "score points one way. An AI-sounding stretch inside a mostly real recording is outlined on the "
        "waveform and can be played.</p>"
        f"<h3>Limits</h3><p>{html.escape(style.LIMITATION_STATEMENT)}</p>"
        "<p>The model's measured error rates on recordings it never saw are under Details… at the top "
        f"and in its model card, {where}.</p>"
        "<h3>Keys</h3><table cellspacing='4'>"
        "<tr><td><b>Space</b></td><td>play / stop the selected chunk</td></tr>"
        "<tr><td><b>Home</b></td><td>show the whole file</td></tr>"
        "<tr><td><b>Mouse wheel / drag</b></td><td>zoom / pan the timeline</td></tr>"
        "<tr><td><b>Delete</b></td><td>remove the selected files from the queue</td></tr>"
        "<tr><td><b>Ctrl+O</b></td><td>open files</td></tr>"
        "<tr><td><b>Ctrl+E / Ctrl+Shift+E</b></td><td>export JSON / HTML report</td></tr>"
        "<tr><td><b>Ctrl+Shift+S</b></td><td>export the summary of all files (CSV)</td></tr>"
        "<tr><td><b>F1</b></td><td>this help</td></tr></table>"
    )


def format_eta(elapsed_s: float, left_s: float | None) -> str:
    """'00:14 elapsed, about 00:41 left' (elapsed only while no estimate exists yet)."""
    text = f"{style.format_mmss(elapsed_s)} elapsed"
    if left_s is not None:
        text += f", about {style.format_mmss(left_s)} left"
    return text
