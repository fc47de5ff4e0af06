"""``detector``'s declared public API (``__all__``): every name imports, lazily, and the README uses only those."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import detector

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_public_name_imports():
    assert "ModelService" in detector.__all__ and "analyze_file" in detector.__all__
    for name in detector.__all__:
        assert getattr(detector, name) is not None, name
    ns: dict = {}
    exec("from detector import *", ns)
    assert set(detector.__all__) <= set(ns)


def test_public_names_are_the_library_objects():
    from detector.analysis import analyze_file
    from detector.errors import FaikError

    assert detector.analyze_file is analyze_file and detector.FaikError is FaikError
    assert issubclass(detector.SettingsError, detector.FaikError)


def test_unknown_name_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError):
        detector.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec("from detector import train_whisper", {})


def test_import_detector_stays_cheap():
    # the names load on first use: importing the package pulls in neither torch nor PyAV
    code = "import sys, detector; print('torch' in sys.modules, 'av' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_python_example_uses_only_public_names():
    blocks = _python_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README has no ```python example"
    imported = []
    for block in blocks:
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom):
                assert node.module == "detector", f"README imports from {node.module}, not the public API"
                imported += [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                assert all(a.name != "detector" and not a.name.startswith("detector.") for a in node.names)
    assert imported and set(imported) <= set(detector.__all__)
