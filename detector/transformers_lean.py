"""Import transformers without the scikit-learn and SciPy imports it does not need here (imported for
its side effect).

Why: librosa depends on scikit-learn and SciPy, so every installation has both, and transformers then
imports ``sklearn.metrics`` (for assisted text generation) and ``scipy.optimize`` (for object-detection
losses) while loading its model base classes — code an audio classifier never runs (1.1 s and 0.5 s in
``python -X importtime`` next to another job; loading the built-in model took 2.86 s of CPU with them and
2.22 s without, issue 34). Marking the
two unavailable *to transformers* skips them, as in the frozen app, which leaves SciPy and scikit-learn
out altogether (build.spec); no audio model's code in transformers uses either. Both stay importable for
everything else (the evaluation and training code use them).

Import this module before anything imports transformers' model code (the model modules and the model
service do); imported later it changes nothing and breaks nothing.
"""

from __future__ import annotations

import transformers.utils.import_utils as _import_utils

for _flag in ("_sklearn_available", "_scipy_available"):
    if hasattr(_import_utils, _flag):  # a transformers release without the flag: nothing to do
        setattr(_import_utils, _flag, False)
