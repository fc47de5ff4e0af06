"""A model's measured error rates: summarised from evaluations, shipped, loaded, shown in reports."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detector.model_service import BUILTIN_MODEL_DIR, ModelService
from detector.chunking import ChunkSettings
from detector.model_validation import VALIDATION_FILE, add_channels, describe, load_validation, main, summarise_reports


def _report(channel: str, eer: float, fa: float, miss: float, sha: str = "ab" * 32) -> dict:
    return {"split": "val", "channel": channel, "n": 10, "n_real": 4, "n_fake": 6, "eer": eer, "ece": 0.05,
            "false_alarm_rate": fa, "miss_rate": miss, "model": {"weights_sha256": sha}}


def test_summary_keeps_each_channel_and_refuses_mixed_models():
    s = summarise_reports([_report("clean", 0.2, 0.25, 0.125), _report("phone-8k", 0.4, 0.5, 0.3)])
    assert s["channels"]["clean"] == {"eer": 0.2, "false_alarm_rate": 0.25, "miss_rate": 0.125, "ece": 0.05}
    assert set(s["channels"]) == {"clean", "phone-8k"} and s["n"] == 10 and s["weights_sha256"] == "ab" * 32
    lines = describe(s)
    assert "4 real" in lines[0]
    assert any("clean audio: called 25% of real recordings AI-generated, missed 12%" in x for x in lines)
    assert any(x.startswith("telephone band (8 kHz): called 50%") for x in lines)
    with pytest.raises(ValueError):
        summarise_reports([_report("clean", 0.2, 0.2, 0.2), _report("mp3-32k", 0.2, 0.2, 0.2, sha="cd" * 32)])
    assert "unknown" in describe(None)[0]


def test_cli_writes_the_summary_atomically(tmp_path, capsys):
    paths = []
    for ch in ("clean", "mp3-32k"):
        p = tmp_path / f"{ch}.json"
        p.write_text(json.dumps(_report(ch, 0.3, 0.2, 0.4)))
        paths.append(str(p))
    assert main([str(tmp_path / "v.json"), *paths]) == 0
    assert json.loads((tmp_path / "v.json").read_text())["channels"]["mp3-32k"]["eer"] == 0.3
    assert "after MP3" in capsys.readouterr().out
    assert main([str(tmp_path / "w.json")]) == 2 and not (tmp_path / "w.json").exists()


def test_missing_or_damaged_summary_is_none(tmp_path):
    assert load_validation(tmp_path) is None
    (tmp_path / VALIDATION_FILE).write_text("{not json")
    assert load_validation(tmp_path) is None
    (tmp_path / VALIDATION_FILE).write_text(json.dumps({"channels": {}}))
    assert load_validation(tmp_path) is None


def test_service_quotes_figures_only_for_the_weights_they_were_measured_on(tmp_path, tiny_model_dir):
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(tiny_model_dir, folder)
    sha = ModelService().load(folder).weights_sha256
    (folder / VALIDATION_FILE).write_text(json.dumps(summarise_reports([_report("clean", 0.3, 0.2, 0.4, sha=sha)])))
    info = ModelService().load(folder)
    assert info.validation["channels"]["clean"]["false_alarm_rate"] == 0.2
    assert info.to_dict()["validation"]["n"] == 10
    (folder / VALIDATION_FILE).write_text(json.dumps(summarise_reports([_report("clean", 0.3, 0.2, 0.4)])))
    assert ModelService().load(folder).validation is None  # other weights: not quoted


def test_builtin_model_ships_its_error_rates_into_every_result():
    if not (BUILTIN_MODEL_DIR / VALIDATION_FILE).is_file():
        pytest.skip("built-in model has no validation summary")
    from detector.analysis import analyze_file
    from detector.result import validate_result_dict

    svc = ModelService()
    info = svc.load(None)
    assert info.validation is not None and {"clean", "mp3-32k", "phone-8k"} <= set(info.validation["channels"])
    result = analyze_file(BUILTIN_MODEL_DIR.parents[1] / "sample" / "sample.flac", svc)
    d = result.to_dict()
    validate_result_dict(d)
    assert d["provenance"]["model"]["validation"]["channels"]["clean"]["eer"] == info.validation["channels"]["clean"]["eer"]
    assert np.isfinite(d["provenance"]["model"]["validation"]["channels"]["phone-8k"]["false_alarm_rate"])
    # v11's spliced-recording figures were measured at the default settings with the AI-sounding band
    # (splice-eval --threshold 0.65): quoted there, and nowhere else
    from detector.chunking import ChunkSettings
    from detector.evidence import CHUNK_AI_FROM
    from detector.stretches import stretch_figures

    fig = stretch_figures(info.validation, ChunkSettings())
    assert fig is not None and fig["threshold"] == CHUNK_AI_FROM and 0 < fig["insert_found"] < 1
    assert fig["controls"] >= 50 and fig["spliced"] >= 1000
    assert stretch_figures(info.validation, ChunkSettings(4.0, 0.5)) is None  # not measured


def test_channel_figures_are_none_when_a_model_ships_none():
    from detector.model_validation import channel_figures

    v = {"channels": {"phone-8k": {"eer": 0.3, "false_alarm_rate": 0.37, "miss_rate": 0.29, "ece": 0.06}}}
    assert channel_figures(v, "phone-8k")["false_alarm_rate"] == 0.37
    assert channel_figures(v, "noise-20db") is None
    assert channel_figures(None, "phone-8k") is None and channel_figures({}, "phone-8k") is None


def test_more_channels_are_added_to_an_existing_file_of_the_same_model_only(tmp_path):
    base = summarise_reports([_report("clean", 0.2, 0.1, 0.3), _report("mp3-32k", 0.2, 0.1, 0.3)])
    (tmp_path / "v.json").write_text(json.dumps(base))
    (tmp_path / "opus.json").write_text(json.dumps(_report("opus-24k", 0.25, 0.24, 0.2)))
    assert main(["--add", str(tmp_path / "v.json"), str(tmp_path / "opus.json")]) == 0
    merged = json.loads((tmp_path / "v.json").read_text())
    assert list(merged["channels"]) == ["clean", "mp3-32k", "opus-24k"]  # the new one after the old
    assert merged["channels"]["clean"] == base["channels"]["clean"]
    assert any(x.startswith("after Opus at 24 kbit/s: called 24%") for x in describe(merged))
    with pytest.raises(ValueError, match="already in the validation file: opus-24k"):
        add_channels(merged, summarise_reports([_report("opus-24k", 0.2, 0.2, 0.2)]))
    with pytest.raises(ValueError, match="another model"):
        add_channels(merged, summarise_reports([_report("aac-32k", 0.2, 0.2, 0.2, sha="cd" * 32)]))
    # a re-measured channel replaces its figures in place with --replace, and only then
    (tmp_path / "clean2.json").write_text(json.dumps(_report("clean", 0.2, 0.05, 0.3)))
    assert main(["--replace", str(tmp_path / "v.json"), str(tmp_path / "clean2.json")]) == 0
    again = json.loads((tmp_path / "v.json").read_text())
    assert list(again["channels"]) == ["clean", "mp3-32k", "opus-24k"]
    assert again["channels"]["clean"] != merged["channels"]["clean"]
    assert again["channels"]["mp3-32k"] == merged["channels"]["mp3-32k"]


def test_spliced_recording_figures_are_described_and_a_damaged_section_is_skipped():
    s = summarise_reports([_report("clean", 0.2, 0.25, 0.125)])
    s["stretches"] = {"min_chunks": 3, "chunk_duration": 5.0, "overlap": 0.5, "threshold": 0.65, "mean_insert_s": 9.8,
                      "insert_found": 0.675, "controls_flagged": 0.05, "per_hour": 6.2}
    assert describe(s)[-1] == ("Real recordings with about 10 s of AI speech in another voice spliced in: 3 or more "
                               "AI-sounding chunks in a row marked the insert in 68% of them; wholly real recordings "
                               "showed such a stretch about 6 times an hour (chunks of 5 s, 50% overlap; a passage "
                               "converted into the speaker's own voice was found far less often).")
    s["stretches"] = [s["stretches"], {**s["stretches"], "chunk_duration": 3.0, "insert_found": 0.4}]
    assert describe(s)[-1].endswith("40% of them; wholly real recordings showed such a stretch about 6 times an hour "
                                    "(chunks of 3 s, 50% overlap; a passage converted into the speaker's own voice was "
                                    "found far less often).") and len(describe(s)) == 4
    # for one result: only the figures of its own chunk settings apply, or none were measured
    at5 = describe(s, ChunkSettings(5.0, 0.5))
    assert len(at5) == 3 and "68% of them" in at5[-1] and "chunks of 5 s" in at5[-1]
    assert "40% of them" in describe(s, ChunkSettings(3.0, 0.5))[-1]
    assert describe(s, ChunkSettings(4.0, 0.25))[-1] == (
        "How often a spliced-in AI passage shows as an AI-sounding stretch was not measured at these chunk settings "
        "(4 s, 25% overlap, AI-sounding from P(AI) 0.65).")
    s["stretches"] = {**s["stretches"][0], "per_hour": 1.35}  # v11's rate: words, not "about 1 times"
    assert "showed such a stretch about once an hour (chunks" in describe(s)[-1]
    s["stretches"] = {"min_chunks": 3}
    assert describe(s)[-1].startswith("clean audio:")


def test_headline_rates_are_summarised_and_described_beside_the_vote():
    """What the user reads (a verdict supporting the wrong class) is quoted next to the seed's vote."""
    r = _report("clean", 0.26, 0.125, 0.385)
    r["headline"] = {"real": {"ai-generated": 0.053, "inconclusive": 0.18, "cannot-judge": 0.18, "real": 0.587},
                     "fake": {"ai-generated": 0.458, "inconclusive": 0.279, "cannot-judge": 0.004, "real": 0.26}}
    s = summarise_reports([r, _report("mp3-32k", 0.25, 0.1, 0.4)])
    assert s["channels"]["clean"]["headline_false_alarm_rate"] == 0.053
    assert s["channels"]["clean"]["headline_miss_rate"] == 0.26
    assert "headline_false_alarm_rate" not in s["channels"]["mp3-32k"]  # an older report: vote only
    lines = describe(s)
    assert any(x.startswith("clean audio: the verdict pointed to AI-generated speech for 5% of real recordings "
                            "and to real speech for 26% of AI-generated ones")
               and "is_deepfake vote (a majority of chunks): 12% false alarms, 38% misses" in x for x in lines)
    assert any(x.startswith("after MP3 at 32 kbit/s: called 10% of real") for x in lines)
