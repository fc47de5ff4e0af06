"""A retired model folder, fetched from git history: ``python -m detector.training retired --name faik-detector-v1``.

``resources/models/`` holds only what the app ships. Earlier models (v1-v11; their cards are in
``docs/model-history/``) live on in the repository's history: :func:`retired_model_dir` writes one
folder, exactly as it was committed, into a cache (``work_data/retired/<name>``) and returns it. A
recipe that needs one as an input (the v10 recipe's CNN branch is v1's network, unchanged) asks
for it here; ``--model`` of ``faik`` and the window's Model → Choose… load the written folder.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from detector.errors import SettingsError

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = REPO / "work_data" / "retired"
# The last commit with v1-v9 under resources/models/ (each folder as it was shipped or measured).
RETIRED_AT = "ea24de9c38db9af9912feb236820728e94ebd266"
# v10, the built-in model until v11 (2026-12-07), as it was last committed there (card, evidence map included).
V10_AT = "dd3cd44039bfc988c2751012d2f331789be57931"
# v11, the built-in model until v12 (2026-12-07), likewise.
V11_AT = "d110370c5997a6ec2bd160cbce3f939388b7c272"
RETIRED = (*(f"faik-detector-v{n}" for n in range(1, 10)), "faik-detector-v10", "faik-detector-v11")
_LAST_SHIPPED_AT = {"faik-detector-v10": V10_AT, "faik-detector-v11": V11_AT}


def retired_commit(name: str) -> str:
    """The commit a retired model is read from by default."""
    return _LAST_SHIPPED_AT.get(name, RETIRED_AT)
_STAMP = ".retired-from"


def _git(repo: Path, *args: str) -> bytes:
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise SettingsError("git is not installed: retired models are read from the repository's history") from exc
    if proc.returncode != 0:
        raise SettingsError(f"git {' '.join(args[:2])} failed in {repo}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def retired_model_dir(name: str, cache: str | Path = DEFAULT_CACHE, commit: str = RETIRED_AT,
                      repo: str | Path = REPO) -> Path:
    """The folder ``resources/models/<name>`` of ``commit``, written once under ``cache`` and reused."""
    repo, out = Path(repo), Path(cache) / name
    stamp = f"{commit}:{name}\n"
    if (out / _STAMP).is_file() and (out / _STAMP).read_text() == stamp:
        return out
    prefix = f"resources/models/{name}/"
    files = [f for f in _git(repo, "ls-tree", "-r", "--name-only", commit, prefix).decode().splitlines() if f]
    if not files:
        raise SettingsError(f"{name} is not in resources/models/ at commit {commit[:12]}")
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for f in files:
        (tmp / f[len(prefix):]).parent.mkdir(parents=True, exist_ok=True)
        (tmp / f[len(prefix):]).write_bytes(_git(repo, "show", f"{commit}:{f}"))
    (tmp / _STAMP).write_text(stamp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m detector.training retired", description=__doc__.split("\n")[0])
    p.add_argument("--name", required=True, help=f"one of {', '.join(RETIRED)} (or any folder name at --commit)")
    p.add_argument("--commit", default=None,
                   help="the commit to read it from (default: the last one with that model: v1-v9, v10 or v11)")
    p.add_argument("--cache", default=str(DEFAULT_CACHE), help="where to write it (a folder per model)")
    args = p.parse_args(argv)
    try:
        folder = retired_model_dir(args.name, args.cache, args.commit or retired_commit(args.name))
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    weights = folder / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16] if weights.is_file() else "-"
    print(f"{folder}  (model.safetensors sha256 {digest}…)")
    return 0
