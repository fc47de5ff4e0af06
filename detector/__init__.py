"""fAIk detector: the Qt-free core of fAIk Desktop, usable from a notebook.

Decode audio (:mod:`detector.audio`), plan chunks (:mod:`detector.chunking`),
load a model (:mod:`detector.model_service`), classify chunks in batches
(:mod:`detector.analysis`) and aggregate them into a typed, schema-valid
result (:mod:`detector.result`).

The public API is ``__all__``: what a notebook user may import from ``detector`` itself, e.g.::

    from detector import ModelService, analyze_file, write_html_report

    service = ModelService()
    service.load()                                  # the built-in model (or a folder / hub id)
    result = analyze_file("interview.m4a", service)
    print(result.verdict.value, result.overall_confidence)

Names are imported on first use (PEP 562), so ``import detector`` stays cheap and pulls in neither
torch nor PyAV until a name that needs them is used. Everything else (the submodules' own names, and
:mod:`detector.training`, the model recipes) may change without notice.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # load a model, analyse a file or decoded audio
    "ModelService": "detector.model_service",
    "ModelInfo": "detector.model_service",
    "analyze_file": "detector.analysis",
    "analyze_audio": "detector.analysis",
    "AnalysisOptions": "detector.analysis",
    "ChunkSettings": "detector.chunking",
    "load_audio": "detector.audio",
    "DecodedAudio": "detector.audio",
    # the result and what to do with it
    "AnalysisResult": "detector.result",
    "ChunkResult": "detector.result",
    "Verdict": "detector.result",
    "validate_result_dict": "detector.result",
    "write_html_report": "detector.report",
    # score a labelled set (as ``faik evaluate``)
    "evaluate_index": "detector.evaluate",
    "format_report": "detector.evaluate",
    # errors: every one a user can cause is a FaikError
    "FaikError": "detector.errors",
    "SettingsError": "detector.errors",
    "AudioDecodeError": "detector.errors",
    "ModelLoadError": "detector.errors",
    "ModelNotReadyError": "detector.errors",
    "AnalysisCancelled": "detector.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'detector' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and editors; at run time the names above load lazily
    from detector.analysis import AnalysisOptions, analyze_audio, analyze_file
    from detector.audio import DecodedAudio, load_audio
    from detector.chunking import ChunkSettings
    from detector.errors import (AnalysisCancelled, AudioDecodeError, FaikError, ModelLoadError, ModelNotReadyError,
                                 SettingsError)
    from detector.evaluate import evaluate_index, format_report
    from detector.model_service import ModelInfo, ModelService
    from detector.report import write_html_report
    from detector.result import AnalysisResult, ChunkResult, Verdict, validate_result_dict
