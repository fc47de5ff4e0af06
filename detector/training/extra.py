"""Language-balanced extra training material (opt-in: ``--extra klettres-espeak``).

Why: real train speech is mostly English while many train fakes are Chinese, so language is a
cue the model can learn ("scripted non-English speech = synthetic"; see the model card). This
adds, for TRAINING only, the same languages on both sides of the label:

* **real**: the recordings of the Debian package ``klettres-data`` (KDE KLettres; letters and
  syllables read by native speakers in ~20 languages, GPL-2+; ``apt-get install klettres-data``,
  installed under ``/usr/share/klettres/<lang>/{alpha,syllab}/*.ogg``). Several short clips of one
  language and folder are joined with short pauses into 2-4 s items;
* **fake**: the same letters/syllables of the same items spoken by ``espeak-ng`` in that
  language (random rate and pitch per item), and by ``flite`` for half the English items.

Per language at most ``PER_LANG`` items per class, the fake side built from the same texts, so
both classes carry the same languages and roughly the same seconds. Everything is seeded.
"""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import numpy as np

SR = 16000
KLETTRES = Path("/usr/share/klettres")
PER_LANG = 12
# klettres language folder -> espeak-ng voice (Low German has no voice: Dutch is the closest).
VOICES = {"ar": "ar", "cs": "cs", "da": "da", "de": "de", "en": "en-us", "en_GB": "en-gb", "es": "es",
          "fr": "fr-fr", "he": "he", "hu": "hu", "it": "it", "lt": "lt", "ml": "ml", "nb": "nb",
          "nds": "nl", "nl": "nl", "pt_BR": "pt-br", "ru": "ru", "tn": "tn", "uk": "uk"}


def available() -> bool:
    return KLETTRES.is_dir() and shutil.which("espeak-ng") is not None


def klettres_sounds(root: Path = KLETTRES) -> dict[str, list[tuple[str, Path]]]:
    """{lang: [(text, ogg path), ...]} from each ``<lang>/sounds.xml`` (files that exist)."""
    out: dict[str, list[tuple[str, Path]]] = {}
    for lang in sorted(VOICES):
        xml = root / lang / "sounds.xml"
        if not xml.is_file():
            continue
        text = re.sub(r"<!--.*?-->", "", xml.read_text(encoding="utf-8"), flags=re.S)
        try:
            tree = ET.fromstring(text)
        except ET.ParseError:
            continue
        sounds = []
        for s in tree.iter("sound"):
            name, f = s.get("name"), s.get("file")
            if name and f and (root / f).is_file():
                sounds.append((name, root / f))
        if sounds:
            out[lang] = sounds
    return out


def _duration(path: Path) -> float:
    """Seconds of speech after trimming (some klettres files carry seconds of trailing silence)."""
    return len(_decode_cached(path)) / SR


@functools.lru_cache(maxsize=4096)
def _decode_cached(path: Path) -> np.ndarray:
    return _decode(path)


def _decode(path: Path) -> np.ndarray:
    from detector.training.data import decode_file

    x = decode_file(path)
    # trim leading/trailing near-silence so concatenation gives speech-dense items
    a = np.abs(x)
    idx = np.flatnonzero(a > max(1e-3, 0.02 * float(a.max(initial=0.0))))
    return x[idx[0]: idx[-1] + 1] if len(idx) else x


def plan(sounds: dict[str, list[tuple[str, Path]]], seed: int = 0, per_lang: int = PER_LANG,
         min_s: float = 2.0, max_s: float = 4.0) -> list[tuple[str, list[tuple[str, Path]], list[float]]]:
    """Group clips: [(lang, [(text, path), ...], gaps_s), ...], each group one 2-4 s item."""
    rng = np.random.default_rng(seed)
    groups = []
    for lang, snd in sounds.items():
        by_dir: dict[str, list[tuple[str, Path]]] = {}
        for t, p in snd:
            by_dir.setdefault(p.parent.name, []).append((t, p))
        pool = []
        for d in sorted(by_dir):
            lst = by_dir[d]
            for i in rng.permutation(len(lst)):
                pool.append(lst[int(i)])
        n_items = 0
        pos = 0
        while n_items < per_lang and pos < len(pool):
            target = rng.uniform(min_s, max_s)
            members, total = [], 0.0
            while pos < len(pool) and total < target and len(members) < 6:
                members.append(pool[pos])
                total += _duration(pool[pos][1]) + 0.2
                pos += 1
            if total < min_s / 2:
                break
            gaps = [float(g) for g in rng.uniform(0.1, 0.35, max(len(members) - 1, 0))]
            groups.append((lang, members, gaps))
            n_items += 1
    return groups


def _join(parts: list[np.ndarray], gaps: list[float]) -> np.ndarray:
    out = [parts[0]]
    for g, p in zip(gaps, parts[1:]):
        out += [np.zeros(int(g * SR), np.float32), p]
    x = np.concatenate(out).astype(np.float32)
    peak = float(np.abs(x).max(initial=0.0))
    return x * (0.95 / peak) if peak > 0.95 else x


def _espeak(text: str, voice: str, rate: int, pitch: int, tmp: Path) -> np.ndarray:
    wav = tmp / "e.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-p", str(pitch), "-w", str(wav), text],
                   check=True, capture_output=True, timeout=60)
    return _decode(wav)


def _flite(text: str, tmp: Path) -> np.ndarray:
    wav = tmp / "f.wav"
    subprocess.run(["flite", "-t", text, "-o", str(wav)], check=True, capture_output=True, timeout=60)
    return _decode(wav)


def fake_for(lang: str, members: list[tuple[str, Path]], gaps: list[float], seed: int, idx: int,
             target_s: float = 0.0) -> np.ndarray:
    """The group's letters/syllables, one synthetic utterance per unit, same pauses; read again
    (another rate/pitch) until about ``target_s`` seconds, so both classes get similar seconds."""
    rng = np.random.default_rng([seed, idx, 7])
    use_flite = lang.startswith("en") and shutil.which("flite") is not None and idx % 2 == 1
    parts: list[np.ndarray] = []
    all_gaps: list[float] = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        for _ in range(4):
            rate, pitch = int(rng.integers(80, 150)), int(rng.integers(25, 75))
            if parts:
                all_gaps.append(float(rng.uniform(0.1, 0.35)))
            parts += [(_flite(t.lower(), tmp) if use_flite else _espeak(t.lower(), VOICES[lang], rate, pitch, tmp))
                      for t, _ in members]
            all_gaps += gaps
            if sum(map(len, parts)) / SR + sum(all_gaps) >= 0.9 * target_s:
                break
    return _join(parts, all_gaps)


def klettres_espeak_items(seed: int = 0, per_lang: int = PER_LANG, root: Path = KLETTRES
                          ) -> list[tuple[str, int, str, Callable[[], np.ndarray]]]:
    """[(key, y, group, loader)]: y 1 = real (klettres), 0 = fake (espeak-ng / flite)."""
    if not root.is_dir():
        raise FileNotFoundError(f"{root} missing: apt-get install klettres-data")
    if shutil.which("espeak-ng") is None:
        raise FileNotFoundError("espeak-ng missing: apt-get install espeak-ng")
    out = []
    for i, (lang, members, gaps) in enumerate(plan(klettres_sounds(root), seed, per_lang)):
        out.append((f"klettres/{lang}/{i:04d}", 1, "real:klettres",
                    (lambda m=members, g=gaps: _join([_decode(p) for _, p in m], g))))
        out.append((f"espeak/{lang}/{i:04d}", 0, "fake:espeak",
                    (lambda lg=lang, m=members, g=gaps, j=i:
                     fake_for(lg, m, g, seed, j, sum(_duration(p) for _, p in m) + sum(g)))))
    return out


def _item_key(prefix: str, index: int, paths: list[Path]) -> str:
    """``prefix/NNNN-digest``: the digest of the item's source file names makes the key name its
    content, so features cached for other settings (another grouping) are never reused for it."""
    digest = hashlib.sha1("|".join(p.name for p in paths).encode()).hexdigest()[:8]
    return f"{prefix}/{index:04d}-{digest}"


# --- Acted real speech: the Czech and Dutch dubbing of the game Fish Fillets NG --------------------

FILLETS = Path("/usr/share/games/fillets-ng/sound")
FILLETS_LANGS = ("cs", "nl")
FILLETS_PER_LANG = 150


def fillets_lines(root: Path = FILLETS, langs: tuple[str, ...] = FILLETS_LANGS,
                  characters: tuple[str, ...] | None = ("m", "v")) -> dict[tuple[str, str], list[Path]]:
    """{(lang, character): [ogg path, ...]} of the game's dialogue lines, in file-name order.

    File names are ``<level-speaker>-<character>-<line>.ogg``; ``m`` and ``v`` are the two main fish
    (one actor each per language), who speak most lines in a natural acted voice. Other characters
    are left out: some of them are voiced through effects (robots, echoes), which is not "real" in
    the sense our users need. ``characters=None`` takes every character."""
    out: dict[tuple[str, str], list[Path]] = {}
    for lang in langs:
        for path in sorted(root.glob(f"*/{lang}/*.ogg")):
            parts = path.stem.split("-")
            if len(parts) >= 3 and parts[1] and (characters is None or parts[1] in characters):
                out.setdefault((lang, parts[1]), []).append(path)
    return out


def fillets_plan(lines: dict[tuple[str, str], list[Path]], seed: int = 0, per_lang: int = FILLETS_PER_LANG,
                 min_s: float = 2.5, max_s: float = 6.0) -> list[tuple[str, list[Path], list[float]]]:
    """Group consecutive lines of one character into 2.5-6 s items (a random subset of the lines,
    ``per_lang`` items per language split evenly over its characters): [(lang, paths, gaps_s)]."""
    rng = np.random.default_rng([seed, 11])
    groups = []
    for (lang, _char), paths in sorted(lines.items()):
        n_chars = sum(1 for lg, _ in lines if lg == lang)
        want = per_lang // max(n_chars, 1)
        order = [paths[int(i)] for i in rng.permutation(len(paths))]
        pos, made = 0, 0
        while made < want and pos < len(order):
            target = rng.uniform(min_s, max_s)
            members, total = [], 0.0
            while pos < len(order) and total < target and len(members) < 4:
                members.append(order[pos])
                total += _duration(order[pos]) + 0.3
                pos += 1
            gaps = [float(g) for g in rng.uniform(0.2, 0.5, max(len(members) - 1, 0))]
            groups.append((lang, members, gaps))
            made += 1
    return groups


def fillets_items(seed: int = 0, per_lang: int = FILLETS_PER_LANG, root: Path = FILLETS,
                  langs: tuple[str, ...] = FILLETS_LANGS, characters: tuple[str, ...] | None = ("m", "v")
                  ) -> list[tuple[str, int, str, Callable[[], np.ndarray]]]:
    """[(key, 1, group, loader)]: real acted speech only (no fake side). The train split already
    holds 190 single lines of this dubbing (``fillets-dubbing``); this adds several hundred longer
    items from the same packages, so the real side gets more of the acted, expressive speech that
    most generators in the data imitate. Measured (v4 model card): the pooled val EER fell ~2 points,
    but only because Czech/Dutch real speech taught "non-English = real"; within English nothing
    improved and false alarms on English real speech rose (24 -> 33 %), so no shipped model uses it.
    Each key ends in a digest of its lines' file names, so a cached copy made with other settings
    is never taken for this one."""
    if not root.is_dir():
        raise FileNotFoundError(f"{root} missing: apt-get install fillets-ng-data-cs fillets-ng-data-nl")
    out = []
    for i, (lang, members, gaps) in enumerate(fillets_plan(fillets_lines(root, langs, characters), seed, per_lang)):
        out.append((_item_key(f"fillets/{lang}", i, members), 1, f"real:fillets-{lang}",
                    (lambda m=members, g=gaps: _join([_decode(p) for p in m], g))))
    return out


# --- Isolated words read by native speakers: KTuberling and KLettres (real only) ------------------

KTUBERLING = Path("/usr/share/ktuberling/sounds")


def ktuberling_sounds(root: Path = KTUBERLING) -> dict[str, list[tuple[str, Path]]]:
    """{lang: [(word, ogg path), ...]}: KTuberling's spoken object names (Debian ktuberling-data,
    GPL-2+), one folder per language, in file-name order."""
    out: dict[str, list[tuple[str, Path]]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(folder.glob("*.ogg"))
        if files:
            out[folder.name] = [(f.stem, f) for f in files]
    return out


def words_items(seed: int = 0, per_lang: int = PER_LANG, ktuberling: Path = KTUBERLING,
                klettres: Path = KLETTRES) -> list[tuple[str, int, str, Callable[[], np.ndarray]]]:
    """[(key, 1, group, loader)]: real speech only, words and letters read by native speakers in
    about 25 languages (KTuberling, KLettres), several joined with short pauses into 2-4 s items."""
    for root, package in ((ktuberling, "ktuberling-data"), (klettres, "klettres-data")):
        if not root.is_dir():
            raise FileNotFoundError(f"{root} missing: apt-get install {package}")
    out = []
    for name, sounds in (("ktuberling", ktuberling_sounds(ktuberling)), ("klettres", klettres_sounds(klettres))):
        for i, (lang, members, gaps) in enumerate(plan(sounds, seed, per_lang)):
            out.append((_item_key(f"{name}/{lang}", i, [p for _, p in members]), 1, f"real:{name}",
                        (lambda m=members, g=gaps: _join([_decode(p) for _, p in m], g))))
    return out


EXTRA_SETS = {"klettres-espeak": klettres_espeak_items, "fillets": fillets_items, "words": words_items}
