"""Extra training material (``--extra klettres-espeak``): real klettres clips vs espeak-ng reading them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from detector.training.train import Item, build_items, build_parser
from detector.training.extra import SR, klettres_espeak_items, klettres_sounds, plan

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


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


@needs_espeak
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


@needs_espeak
def test_extra_is_opt_in_and_goes_to_training_only():
    assert build_parser().parse_args(["--data", "d", "--out", "o"]).extra == "none"
    items = build_items([], {}, [], {"extra-x": [("klettres/fr/0000", 1, "real:klettres"),
                                                 ("espeak/fr/0000", 0, "fake:espeak")]})
    assert [(i.store, i.y) for i in items] == [("extra-x", 1), ("extra-x", 0)]
    assert isinstance(items[0], Item)


def _fake_fillets(root: Path) -> None:
    """A Fish Fillets NG sound tree: two levels, Czech and Dutch lines of the two main fish (m, v) and
    of a side character (x), as 1-s Ogg Vorbis tones at 22.05 kHz with silence around."""
    import soundfile as sf

    for level in ("city", "wreck"):
        for lang in ("cs", "nl", "en"):
            (root / level / lang).mkdir(parents=True)
            for char in ("m", "v", "x"):
                for i in range(6):
                    t = np.arange(22050) / 22050
                    x = np.concatenate([np.zeros(3000), 0.3 * np.sin(2 * np.pi * (120 + 15 * i) * t), np.zeros(3000)])
                    sf.write(root / level / lang / f"{level[:3]}-{char}-line{i}.ogg", x.astype(np.float32), 22050,
                             format="OGG", subtype="VORBIS")


def test_fillets_items_are_main_fish_lines_joined_into_seeded_real_items(tmp_path):
    from detector.training.extra import EXTRA_SETS, fillets_items, fillets_lines

    _fake_fillets(tmp_path)
    lines = fillets_lines(tmp_path)
    assert set(lines) == {("cs", "m"), ("cs", "v"), ("nl", "m"), ("nl", "v")}  # no side characters, no English
    assert all(len(v) == 12 for v in lines.values())
    items = fillets_items(seed=0, per_lang=4, root=tmp_path)
    assert [k for k, *_ in items] == [k for k, *_ in fillets_items(seed=0, per_lang=4, root=tmp_path)]
    assert len(items) == 8 and {y for _, y, _, _ in items} == {1}
    # keys name their lines: material made with other settings never passes for this (cache safety)
    others = fillets_items(seed=0, per_lang=4, root=tmp_path, characters=("x",))
    assert not {k for k, *_ in items} & {k for k, *_ in others}
    assert {g for _, _, g, _ in items} == {"real:fillets-cs", "real:fillets-nl"}
    for _, _, _, load in items:
        x = load()
        assert x.dtype == np.float32 and np.isfinite(x).all()
        assert 1.9 * SR < len(x) < 6.5 * SR  # two to four ~1-s lines with short pauses (silence trimmed)
    assert EXTRA_SETS["fillets"] is fillets_items


def test_fillets_missing_says_what_to_install(tmp_path):
    from detector.training.extra import fillets_items

    with pytest.raises(FileNotFoundError, match="apt-get install fillets-ng-data-cs"):
        fillets_items(root=tmp_path / "nowhere")


def test_extra_material_from_a_missing_package_is_a_clear_recipe_error(tmp_path, monkeypatch):
    import detector.training.extra as extra
    from detector.errors import SettingsError
    from detector.training.train import ensure_extra_stores

    monkeypatch.setattr(extra, "FILLETS", tmp_path / "nowhere")
    monkeypatch.setitem(extra.EXTRA_SETS, "fillets",
                        lambda seed: extra.fillets_items(seed=seed, root=extra.FILLETS))
    with pytest.raises(SettingsError, match="--extra fillets: .*apt-get install fillets-ng-data-cs"):
        ensure_extra_stores(["fillets"], tmp_path / "cache", 0, {}, print)


def test_words_items_join_native_readings_of_both_packages_as_real(tmp_path):
    import soundfile as sf

    from detector.training.extra import EXTRA_SETS, ktuberling_sounds, words_items

    _fake_klettres(tmp_path / "klettres")
    for lang in ("da", "uk"):
        (tmp_path / "kt" / lang).mkdir(parents=True)
        for i in range(8):
            t = np.arange(int(0.7 * 44100)) / 44100
            sf.write(tmp_path / "kt" / lang / f"w{i}.ogg", (0.3 * np.sin(2 * np.pi * (200 + 9 * i) * t)).astype(np.float32),
                     44100, format="OGG", subtype="VORBIS")
    (tmp_path / "kt" / "da.soundtheme").write_text("not a folder")
    assert set(ktuberling_sounds(tmp_path / "kt")) == {"da", "uk"}
    items = words_items(seed=0, per_lang=1, ktuberling=tmp_path / "kt", klettres=tmp_path / "klettres")
    assert [k for k, *_ in items] == [k for k, *_ in words_items(seed=0, per_lang=1, ktuberling=tmp_path / "kt",
                                                                 klettres=tmp_path / "klettres")]
    assert {k.split("/")[0] for k, *_ in items} == {"ktuberling", "klettres"} and {y for _, y, _, _ in items} == {1}
    assert {k.split("/")[1] for k, *_ in items} == {"da", "uk", "fr", "ru"}
    for _, _, _, load in items:
        x = load()
        assert x.dtype == np.float32 and 1.0 * SR < len(x) < 6 * SR
    assert EXTRA_SETS["words"] is words_items
    with pytest.raises(FileNotFoundError, match="apt-get install ktuberling-data"):
        words_items(ktuberling=tmp_path / "none", klettres=tmp_path / "klettres")
