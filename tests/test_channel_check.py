"""Narrow-band (telephone) recordings get a warning that quotes the model's measured false alarms."""

from __future__ import annotations

import math

import numpy as np

from detector.channel_check import high_band_fraction, lossy_codec_warning, narrowband_warning
from detector.channels import apply_channel
from faik_testkit import synth_speechlike

VALIDATION = {"channels": {"clean": {"false_alarm_rate": 0.22}, "phone-8k": {"false_alarm_rate": 0.478}}}


def _wideband(seconds: float = 4.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (synth_speechlike(seconds, seed=1) + 0.01 * rng.standard_normal(int(seconds * 16000))).astype(np.float32)


def test_wideband_audio_gets_no_warning():
    x = _wideband()
    assert high_band_fraction(x, 16000) > 1e-3
    assert narrowband_warning(x, 16000, VALIDATION) is None


def test_telephone_band_audio_is_flagged_with_the_measured_rate():
    x = apply_channel(_wideband(), 16000, "phone-8k")
    assert high_band_fraction(x, 16000) < 1e-4
    w = narrowband_warning(x, 16000, VALIDATION)
    assert w is not None and "48% of real telephone-band recordings" in w and "extra caution" in w
    assert "not measured" in narrowband_warning(x, 16000, None)


def test_a_telephone_codec_named_by_the_file_gets_its_own_measured_rate():
    x = apply_channel(_wideband(), 16000, "amr-12k")
    measured = {"channels": {**VALIDATION["channels"], "phone-8k-mulaw": {"false_alarm_rate": 0.38},
                             "amr-12k": {"false_alarm_rate": 0.41}}}
    assert "41% of real AMR mobile-phone recordings" in narrowband_warning(x, 16000, measured, "amrnb")
    assert "38% of real G.711 telephone recordings" in narrowband_warning(x, 16000, measured, "pcm_mulaw")
    assert "48% of real telephone-band recordings" in narrowband_warning(x, 16000, measured, "pcm_s16le")
    # A model measured on the plain band only: that figure, not silence.
    assert "48% of real telephone-band recordings" in narrowband_warning(x, 16000, VALIDATION, "amrnb")


def test_silence_short_and_low_rate_inputs_say_nothing():
    assert math.isnan(high_band_fraction(np.zeros(32000, np.float32), 16000))
    assert narrowband_warning(np.zeros(32000, np.float32), 16000, VALIDATION) is None
    assert narrowband_warning(np.zeros(0, np.float32), 16000, VALIDATION) is None
    assert narrowband_warning(_wideband(0.3), 8000, VALIDATION) is None  # no band above 4 kHz to judge


def test_long_recordings_are_sampled_not_transformed_whole():
    x = np.tile(_wideband(2.0), 900)  # 30 minutes
    assert high_band_fraction(x, 16000) > 1e-3


def test_analysis_puts_the_warning_next_to_the_verdict(tiny_model_dir):
    from detector.analysis import analyze_audio
    from detector.audio import AudioInfo, DecodedAudio
    from detector.model_service import ModelService

    svc = ModelService()
    svc.load(tiny_model_dir)
    x = apply_channel(_wideband(6.0), 16000, "phone-8k").astype(np.float32)
    info = AudioInfo(name="call.wav", path="/tmp/call.wav", size_bytes=1, sha256="0" * 64, container="wav",
                     codec="pcm_s16le", sample_rate=8000, channels=1, duration_s=6.0)
    res = analyze_audio(DecodedAudio(samples=x, sample_rate=16000, info=info), svc)
    assert any("narrow-band" in w for w in res.to_dict()["provenance"]["warnings"])
    wide = analyze_audio(DecodedAudio(samples=_wideband(6.0), sample_rate=16000, info=info), svc)
    assert not any("narrow-band" in w for w in wide.to_dict()["provenance"]["warnings"])


CODECS = {"channels": {"clean": {"false_alarm_rate": 0.122}, "opus-24k": {"false_alarm_rate": 0.235},
                       "mp3-32k": {"false_alarm_rate": 0.107}, "mp3-64k": {"false_alarm_rate": 0.194},
                       "aac-32k": {"false_alarm_rate": 0.128}}}


def test_a_lossy_codec_with_notably_more_false_alarms_gets_a_note_quoting_them():
    opus = lossy_codec_warning("opus", CODECS)
    assert opus is not None and opus.startswith("Opus-compressed audio") and "called 24% of real" in opus
    assert "(12% of uncompressed ones)" in opus
    assert "up to 19%" in lossy_codec_warning("mp3", CODECS)  # the worse of the two measured bit rates
    assert lossy_codec_warning("aac", CODECS) is None  # 12.8 % against 12.2 %: nothing to add
    for codec in ("flac", "pcm_s16le", "vorbis", "", None):
        assert lossy_codec_warning(codec, CODECS) is None
    assert lossy_codec_warning("opus", None) is None  # a model without measurements: nothing to quote
    assert lossy_codec_warning("opus", {"channels": {"clean": {"false_alarm_rate": 0.1}}}) is None


def test_analysis_of_an_opus_file_carries_the_codec_note(tiny_model_dir, tmp_path):
    import json
    import shutil

    from detector.analysis import analyze_audio
    from detector.audio import AudioInfo, DecodedAudio
    from detector.model_service import ModelService
    from detector.model_validation import VALIDATION_FILE

    folder = tmp_path / "measured"
    shutil.copytree(tiny_model_dir, folder)  # a model folder shipping these measurements
    sha = ModelService().load(folder).weights_sha256
    (folder / VALIDATION_FILE).write_text(json.dumps({**CODECS, "weights_sha256": sha}))
    svc = ModelService()
    svc.load(folder)
    x = _wideband(6.0)

    def warnings(codec: str) -> list[str]:
        info = AudioInfo(name="note.ogg", path="/tmp/note.ogg", size_bytes=1, sha256="0" * 64, container="ogg",
                         codec=codec, sample_rate=48000, channels=1, duration_s=6.0)
        return analyze_audio(DecodedAudio(samples=x, sample_rate=16000, info=info), svc).to_dict()["provenance"]["warnings"]

    assert any(w.startswith("Opus-compressed audio") for w in warnings("opus"))
    assert not any("compressed audio" in w for w in warnings("flac"))


def test_an_opus_note_also_quotes_the_simulated_call_figure_where_the_model_has_one():
    assert "messenger" not in lossy_codec_warning("opus", CODECS)  # not measured: not mentioned
    calls = {"channels": {**CODECS["channels"], "voip": {"false_alarm_rate": 0.244}}}
    opus = lossy_codec_warning("opus", calls)
    assert ("called 24% of real Opus-compressed recordings AI-generated, and 24% of real speech passed through a "
            "simulated messenger or meeting call (12% of uncompressed ones)") in opus
    assert "messenger" not in lossy_codec_warning("mp3", calls)  # calls are Opus; an MP3 note stays as it was


def test_an_opus_note_quotes_the_worse_simulated_call_the_neural_suppressor_where_measured():
    calls = {"channels": {**CODECS["channels"], "voip": {"false_alarm_rate": 0.188},
                          "call-neural": {"false_alarm_rate": 0.66}}}
    opus = lossy_codec_warning("opus", calls)
    assert ("and 66% of real speech passed through a simulated call through a neural noise suppressor "
            "(12% of uncompressed ones)") in opus
    assert "19%" not in opus
    # the codec alone would not be notable (13% against 9% clean): the neural-suppressor call still is
    quiet = {"channels": {"clean": {"false_alarm_rate": 0.09}, "opus-24k": {"false_alarm_rate": 0.13},
                          "call-neural": {"false_alarm_rate": 0.66}}}
    assert lossy_codec_warning("opus", {"channels": {k: v for k, v in quiet["channels"].items() if k != "call-neural"}}) is None
    assert "66% of real speech passed through a simulated call through a neural" in lossy_codec_warning("opus", quiet)
    only_gate = {"channels": {**calls["channels"], "call-neural": {"false_alarm_rate": 0.1}}}
    assert "19% of real speech passed through a simulated messenger or meeting call" in lossy_codec_warning("opus", only_gate)
