"""The workshop: every recipe, experiment harness and data-generation step behind the models.

Nothing in the product (``detector/`` outside this package, ``desktop/``) imports it, and the
frozen app leaves it out (``build.spec``); it needs the training extras (``pip install -e
'.[train]'``). One entry point, ``python -m detector.training COMMAND [options]``: each module
here with a ``main(argv)`` is a command, named after the module with ``-`` for ``_``
(``train-whisper``, ``branch-scores``, ...); ``python -m detector.training`` lists them.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _summary(tree: ast.Module) -> str:
    doc = ast.get_docstring(tree) or ""
    return doc.strip().split("\n")[0].strip()


def commands(folder: Path = _HERE) -> dict[str, tuple[str, str]]:
    """Command name -> (module name, one-line summary), for every module here with a top-level ``main``.

    Found by reading the sources, so listing the commands imports none of them (they pull in torch).
    """
    out: dict[str, tuple[str, str]] = {}
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body):
            out[path.stem.replace("_", "-")] = (path.stem, _summary(tree))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m detector.training COMMAND [options]``: run one recipe or harness."""
    argv = list(sys.argv[1:] if argv is None else argv)
    known = commands()
    if not argv or argv[0] in ("-h", "--help"):
        width = max(map(len, known), default=0)
        print("usage: python -m detector.training COMMAND [options]   (COMMAND --help for its options)\n")
        print("commands:")
        for name, (_, summary) in known.items():
            print(f"  {name:<{width}}  {summary}")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in known:
        print(f"error: unknown command {name!r}; one of: {', '.join(known)}", file=sys.stderr)
        return 2
    module = import_module(f"{__name__}.{known[name][0]}")
    return int(module.main(rest) or 0)
