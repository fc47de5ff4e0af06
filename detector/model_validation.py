"""A model's measured error rates, shipped next to its weights so every report can quote them.

Why: a journalist filing a report needs to say how often the tool is wrong, not just what it said.
``validation.json`` in a model folder summarises ``faik evaluate --json`` reports (one per channel)
of that model on data it was never trained on. The model service reads it (optional; hub models and
other folders simply have none), it travels in the result's ``provenance.model.validation``, and the
HTML report, the window's model details and ``faik model-info`` show it.

Make it with::

    python -m detector.model_validation resources/models/NAME/validation.json EVAL_clean.json EVAL_mp3.json ...
    python -m detector.model_validation --add resources/models/NAME/validation.json EVAL_opus.json ...
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from detector.chunking import ChunkSettings

VALIDATION_FILE = "validation.json"

_CHANNEL_NAMES = {
    "clean": "clean audio",
    "mp3-32k": "after MP3 at 32 kbit/s",
    "phone-8k": "telephone band (8 kHz)",
    "noise-20db": "with noise at 20 dB SNR",
    "reverb": "with room reverberation",
    "opus-24k": "after Opus at 24 kbit/s",
    "mp3-64k": "after MP3 at 64 kbit/s",
    "aac-32k": "after AAC at 32 kbit/s",
    "phone-8k-mulaw": "telephone band with G.711 mu-law",
    "amr-12k": "mobile-phone codec (AMR-NB, 12.2 kbit/s)",
    "voip": "as a simulated messenger or meeting call",
    "call-neural": "as a simulated call through a neural noise suppressor (RNNoise)",
}


def summarise_reports(reports: Sequence[Mapping[str, Any]], note: str = "") -> dict[str, Any]:
    """One summary from ``faik evaluate --json`` reports of the same model and split (one per channel)."""
    from detector.wording import OUT_AI, OUT_REAL

    if not reports:
        raise ValueError("no evaluation reports given")
    first = reports[0]
    names = {r.get("model", {}).get("weights_sha256") for r in reports}
    if len(names) != 1:
        raise ValueError("the reports are of different models (weights differ)")
    channels = {}
    for r in reports:
        channels[str(r["channel"])] = {
            "eer": round(float(r["eer"]), 4),
            "false_alarm_rate": round(float(r["false_alarm_rate"]), 4),
            "miss_rate": round(float(r["miss_rate"]), 4),
            "ece": round(float(r["ece"]), 4),
        }
        headline = r.get("headline") or {}
        if "real" in headline and "fake" in headline:
            # what the user reads (faik evaluate's headline shares): a real recording whose verdict supports
            # AI-generated speech, an AI-generated one whose verdict supports real speech
            channels[str(r["channel"])].update(
                headline_false_alarm_rate=round(float(headline["real"][OUT_AI]), 4),
                headline_miss_rate=round(float(headline["fake"][OUT_REAL]), 4),
            )
    return {
        "split": first.get("split") or "all",
        "n": int(first["n"]), "n_real": int(first["n_real"]), "n_fake": int(first["n_fake"]),
        "threshold": 0.5,
        "channels": channels,
        "weights_sha256": next(iter(names)),
        "command": "faik evaluate INDEX --split {split} --channel CHANNEL --json OUT".format(
            split=first.get("split") or "all"),
        "note": note,
    }


def add_channels(validation: Mapping[str, Any], summary: Mapping[str, Any], replace: bool = False) -> dict[str, Any]:
    """``validation`` with the channels of ``summary`` (from :func:`summarise_reports`) added after its
    own; both must be of the same weights and the same files, and no channel may be measured twice —
    unless ``replace``: then a channel measured again (the app changed what the user reads, e.g. a new
    check) takes its new figures in its old place."""
    same = ("weights_sha256", "split", "n", "n_real", "n_fake")
    if any(validation.get(k) != summary.get(k) for k in same):
        raise ValueError("the new reports are of another model or another set of files than the validation file")
    twice = sorted(set(validation["channels"]) & set(summary["channels"]))
    if twice and not replace:
        raise ValueError(f"channels already in the validation file: {', '.join(twice)} (--replace to re-measure)")
    return {**validation, "channels": {**validation["channels"], **summary["channels"]}}


def load_validation(folder: str | Path) -> dict[str, Any] | None:
    """The folder's ``validation.json`` if it is present and readable, else ``None`` (never raises:
    a missing or damaged summary must not stop a model from loading)."""
    path = Path(folder) / VALIDATION_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("channels"), dict) or "clean" not in data["channels"]:
        return None
    return data


def channel_figures(validation: Mapping[str, Any] | None, channel: str) -> Mapping[str, Any] | None:
    """One channel's figures (eer, false_alarm_rate, miss_rate, ece; the seed's chunk vote's rates, and
    where measured headline_false_alarm_rate, headline_miss_rate: the verdict's) from a model's validation
    data, or ``None`` when the model ships none for that channel."""
    return ((validation or {}).get("channels") or {}).get(channel) or None


def describe(validation: Mapping[str, Any] | None, settings: ChunkSettings | None = None) -> list[str]:
    """Plain sentences for people: how often this model was wrong on unseen data, per channel.

    With ``settings`` (a result's chunk settings), the spliced-recording figures are given for those
    settings only — the ones that apply to that result — or said to be unmeasured at them.
    """
    if not validation:
        return ["No measured error rates ship with this model: its reliability on unseen audio is unknown."]
    lines = [
        f"Measured on {validation.get('n', '?')} recordings ({validation.get('n_real', '?')} real, "
        f"{validation.get('n_fake', '?')} AI-generated) from generators and speakers it was never trained on:"
    ]
    for ch, m in validation["channels"].items():
        name = _CHANNEL_NAMES.get(ch, ch)
        if "headline_false_alarm_rate" in m and "headline_miss_rate" in m:
            lines.append(
                f"{name}: the verdict pointed to AI-generated speech for "
                f"{m['headline_false_alarm_rate']:.0%} of real recordings and to real speech for "
                f"{m['headline_miss_rate']:.0%} of AI-generated ones (the rest: inconclusive or cannot judge). "
                f"The JSON's is_deepfake vote (a majority of chunks): {m['false_alarm_rate']:.0%} false alarms, "
                f"{m['miss_rate']:.0%} misses; equal error rate {m['eer']:.0%}."
            )
        else:  # a summary made before faik evaluate reported the headline: the vote's figures only
            lines.append(f"{name}: called {m['false_alarm_rate']:.0%} of real recordings AI-generated, "
                         f"missed {m['miss_rate']:.0%} of AI-generated ones (equal error rate {m['eer']:.0%}).")
    from detector.evidence import CHUNK_AI_FROM
    from detector.stretches import OWN_VOICE_CAVEAT, how_often, stretch_figures, stretch_sections

    sections = stretch_sections(validation)
    if settings is not None and sections:
        match = stretch_figures(validation, settings)
        if match is None:
            lines.append(f"How often a spliced-in AI passage shows as an AI-sounding stretch was not measured at "
                         f"these chunk settings ({settings.chunk_duration:g} s, {settings.overlap:.0%} overlap, "
                         f"AI-sounding from P(AI) {CHUNK_AI_FROM:g}).")
        sections = [match] if match is not None else []
    for st in sections:
        try:
            lines.append(
                f"Real recordings with about {float(st['mean_insert_s']):.0f} s of AI speech in another voice spliced "
                f"in: {int(st['min_chunks'])} or more AI-sounding chunks in a row marked the insert in "
                f"{float(st['insert_found']):.0%} of them; wholly real recordings showed such a stretch "
                f"{how_often(float(st['per_hour']))} an hour (chunks of {float(st['chunk_duration']):g} s, "
                f"{float(st['overlap']):.0%} overlap; {OWN_VOICE_CAVEAT})."
            )
        except (KeyError, TypeError, ValueError):
            pass  # a damaged optional section must not stop the rest from showing
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # --add: add channels to an existing file instead of writing a new one; --replace: also re-measure some
    mode = args[0] if args and args[0] in ("--add", "--replace") else ""
    add = bool(mode)
    args = args[1:] if add else args
    if len(args) < 2:
        print("usage: python -m detector.model_validation [--add | --replace] OUT.json REPORT.json [REPORT.json ...]",
              file=sys.stderr)
        return 2
    out, paths = Path(args[0]), args[1:]
    reports = [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]
    summary = summarise_reports(reports)
    if add:
        summary = add_channels(json.loads(out.read_text(encoding="utf-8")), summary, replace=mode == "--replace")
    from detector.atomic import atomic_write_text

    atomic_write_text(out, json.dumps(summary, indent=1) + "\n")
    print("\n".join(describe(summary)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
