"""Retired models come back from git history, byte for byte (detector.training.retired)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from detector.errors import SettingsError
from detector.training.retired import retired_model_dir

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _repo(tmp_path: Path) -> tuple[Path, str]:
    repo = tmp_path / "repo"
    folder = repo / "resources" / "models" / "old-model"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "x"}')
    (folder / "model.safetensors").write_bytes(bytes(range(256)) * 4)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "old model"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([*git, "rm", "-q", "-r", "resources/models/old-model"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "retire it"], check=True)
    return repo, commit


def test_retired_folder_is_written_as_committed_and_reused(tmp_path):
    repo, commit = _repo(tmp_path)
    out = retired_model_dir("old-model", tmp_path / "cache", commit, repo)
    assert out == tmp_path / "cache" / "old-model"
    assert (out / "model.safetensors").read_bytes() == bytes(range(256)) * 4
    assert (out / "config.json").read_text() == '{"model_type": "x"}'
    (out / "config.json").write_text("touched")  # a second call reuses the folder, it does not rewrite it
    assert retired_model_dir("old-model", tmp_path / "cache", commit, repo) == out
    assert (out / "config.json").read_text() == "touched"


def test_a_name_absent_at_the_commit_is_a_settings_error(tmp_path):
    repo, commit = _repo(tmp_path)
    with pytest.raises(SettingsError, match="not in resources/models"):
        retired_model_dir("no-such-model", tmp_path / "cache", commit, repo)
    with pytest.raises(SettingsError, match="git"):
        retired_model_dir("old-model", tmp_path / "cache", "0" * 40, repo)
    assert not (tmp_path / "cache" / "no-such-model").exists()


def test_recipe_default_cnn_is_the_retired_v1():
    from detector.training.retired import RETIRED
    from detector.training.train_whisper import build_parser

    args = build_parser().parse_args(["--data", "d", "--out", "o"])
    assert args.cnn == "faik-detector-v1" and args.cnn in RETIRED


def test_resources_models_holds_only_what_the_app_ships():
    # build.spec bundles the built-in model folder and no other; retired ones are in docs/model-history/
    from detector.model_service import BUILTIN_MODEL_DIR

    models = BUILTIN_MODEL_DIR.parent
    assert sorted(p.name for p in models.iterdir() if p.is_dir()) == [BUILTIN_MODEL_DIR.name]
    history = models.parents[1] / "docs" / "model-history"
    for n in range(1, 10):
        assert (history / f"faik-detector-v{n}" / "MODEL_CARD.md").is_file()
        assert not (history / f"faik-detector-v{n}" / "model.safetensors").exists()  # weights: git history


@pytest.mark.parametrize("name", ["faik-detector-v9", "faik-detector-v10", "faik-detector-v11"])
def test_each_retired_model_is_read_from_a_commit_that_holds_its_weights(name):
    """v10 and v11 left resources/models/ later than v1-v9: each is read from its own last commit there."""
    from detector.training.retired import REPO, RETIRED, retired_commit

    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    assert name in RETIRED
    ref = f"{retired_commit(name)}:resources/models/{name}/model.safetensors"
    shallow = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--is-shallow-repository"],
                             capture_output=True, text=True).stdout.strip() == "true"
    if shallow:
        pytest.skip("a shallow clone lacks the history")
    proc = subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", ref], capture_output=True)
    assert proc.returncode == 0, proc.stderr
