"""The workshop stays out of the product: nothing outside ``detector/training`` imports it.

The product (``detector/`` less ``detector/training``, and ``desktop/``) is what the frozen app
ships; the recipes need the training extras and are left out of the build (``build.spec``).
"""

from __future__ import annotations

from pathlib import Path

from test_import_graph import import_graph, module_files

TRAINING = "detector.training"


def _is_training(module: str) -> bool:
    return module == TRAINING or module.startswith(TRAINING + ".")


def product_imports_of_training(root: Path) -> dict[str, list[str]]:
    """Product module -> the training modules it imports (empty when the boundary holds)."""
    graph = import_graph(root)
    return {m: sorted(d for d in deps if _is_training(d))
            for m, deps in graph.items() if not _is_training(m) and any(map(_is_training, deps))}


def test_nothing_outside_training_imports_it():
    assert product_imports_of_training(Path(__file__).resolve().parents[1]) == {}


def test_recipes_live_under_training():
    modules = module_files()
    assert "detector.training.train_whisper" in modules and "detector.training.train" in modules
    assert "detector.train" not in modules and "detector.train_whisper" not in modules


def test_boundary_check_catches_a_product_import(tmp_path):
    for folder in ("detector/training", "desktop"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "detector/__init__.py").write_text("")
    (tmp_path / "detector/training/__init__.py").write_text("")
    (tmp_path / "detector/training/recipe.py").write_text("from detector import audio\n")
    (tmp_path / "detector/audio.py").write_text("def f():\n    from detector.training.recipe import x\n")
    (tmp_path / "desktop/window.py").write_text("import detector.training\n")
    assert product_imports_of_training(tmp_path) == {
        "desktop.window": ["detector.training"], "detector.audio": ["detector.training.recipe"]}


def test_one_entry_point_lists_every_recipe(capsys):
    from detector.training import commands, main

    names = commands()
    assert {"train", "train-whisper", "branch-scores", "compare", "splice-eval", "fit-reverb-check"} <= set(names)
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "train-whisper" in out and "python -m detector.training COMMAND" in out
    assert main(["no-such-recipe"]) == 2


def test_entry_point_passes_options_through(capsys):
    import pytest

    from detector.training import main

    with pytest.raises(SystemExit) as exit_:
        main(["train-whisper", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "python -m detector.training train-whisper" in out and "--tuned-runs" in out
