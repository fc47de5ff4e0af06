"""Extra training material (``--extra klettres-espeak``): real klettres clips vs espeak-ng reading them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from detector.train import Item, build_items, build_parser
from detector.training.extra import SR, klettres_espeak_items, klettres_sounds, plan

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def _fake_klettres(root: Path) -> None:
    """A two-language klettres tree of synthetic 'recordings' (0.6 s tones with silence around)."""
    import soundfile as sf

    for lang, names in {"fr": list("ABCDEFGHIJ"), "ru": list("АБВГДЕЖЗИК")}.items():
        (root / lang / "alpha").mkdir(parents=True)
        rows = []
        for i, n in enumerate(names):
            t = np.arange(int(0.6 * 22050)) / 22050
            x = np.concatenate([np.zeros(2000), 0.3 * np.sin(2 * np.pi * (150 + 20 * i) * t), np.zeros(4000)])
            sf.write(root / lang / "alpha" / f"a-{i}.wav", x.astype(np.float32), 22050)
            rows.append(f'<sound name="{n}" file="{lang}/alpha/a-{i}.wav" />')
        (root / lang / "sounds.xml").write_text(
            f'<!-- comment -->\n<klettres><language code="{lang}"><alphabet>{"".join(rows)}</alphabet></language></klettres>',
            encoding="utf-8")


def test_klettres_espeak_items_balanced_and_seeded(tmp_path):
    _fake_klettres(tmp_path)
    assert set(klettres_sounds(tmp_path)) == {"fr", "ru"}
    items = klettres_espeak_items(seed=0, per_lang=1, root=tmp_path)
    assert [k for k, *_ in items] == [k for k, *_ in klettres_espeak_items(seed=0, per_lang=1, root=tmp_path)]
    real = [(k, g, f()) for k, y, g, f in items if y == 1]
    fake = [(k, g, f()) for k, y, g, f in items if y == 0]
    assert len(real) == len(fake) == 2
    assert {k.split("/")[1] for k, *_ in real} == {k.split("/")[1] for k, *_ in fake} == {"fr", "ru"}
    assert {g for _, g, _ in real} == {"real:klettres"} and {g for _, g, _ in fake} == {"fake:espeak"}
    for _, _, x in real + fake:
        assert x.dtype == np.float32 and np.isfinite(x).all() and 0 < np.abs(x).max() <= 0.95 + 1e-6
        assert len(x) > 0.5 * SR
    secs = lambda xs: sum(len(x) for *_, x in xs) / SR  # noqa: E731
    assert 0.4 < secs(fake) / secs(real) < 2.5  # roughly as many seconds per class
    # trailing silence trimmed: items are built from ~0.6 s of sound per clip plus short pauses
    assert all(len(m) >= 2 for _, m, _ in plan(klettres_sounds(tmp_path), seed=0, per_lang=1))


def test_extra_is_opt_in_and_goes_to_training_only():
    assert build_parser().parse_args(["--data", "d", "--out", "o"]).extra == "none"
    items = build_items([], {}, [], {"extra-x": [("klettres/fr/0000", 1, "real:klettres"),
                                                 ("espeak/fr/0000", 0, "fake:espeak")]})
    assert [(i.store, i.y) for i in items] == [("extra-x", 1), ("extra-x", 0)]
    assert isinstance(items[0], Item)
