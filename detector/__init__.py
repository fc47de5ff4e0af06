"""fAIk detector: the Qt-free core of fAIk Desktop.

Decode audio (:mod:`detector.audio`), plan chunks (:mod:`detector.chunking`),
load a model (:mod:`detector.model_service`), classify chunks in batches
(:mod:`detector.analysis`) and aggregate them into a typed, schema-valid
result (:mod:`detector.result`).
"""

__version__ = "0.1.0"
