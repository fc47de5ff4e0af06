"""analyze_audio / analyze_file: chunk coverage, batching, progress, cancel, streaming, provenance."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from faik_testkit import save_tiny_wav2vec2, synth_speechlike
from detector.analysis import STATEMENT, AnalysisOptions, analyze_audio, analyze_file
from detector.audio import AudioInfo, DecodedAudio
from detector.chunking import ChunkSettings, count_chunks
from detector.errors import AnalysisCancelled, AudioDecodeError, ModelNotReadyError, SettingsError
from detector.model_service import ModelService
from detector.result import AnalysisResult, Verdict, validate_result_dict

SR = 16000
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def decoded(seconds: float, name: str = "clip.wav", signal: np.ndarray | None = None) -> DecodedAudio:
    x = synth_speechlike(seconds) if signal is None else signal
    info = AudioInfo(path=f"/tmp/{name}", name=name, size_bytes=1234, sha256="ab" * 32, container="wav",
                     codec="pcm_s16le", sample_rate=44100, channels=2, duration_s=seconds)
    return DecodedAudio(samples=x, sample_rate=SR, info=info, warnings=("a warning from decoding",))


def save_fast_wav2vec2(folder: Path, id2label: dict[int, str] | None = None) -> Path:
    """The shared tiny wav2vec2 (seed's frame rate: one frame per 320 samples)."""
    return save_tiny_wav2vec2(folder, id2label)


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> ModelService:
    s = ModelService()
    s.load(save_fast_wav2vec2(tmp_path_factory.mktemp("fast-w2v2")))
    return s


def _biased_model(folder: Path, ai_logit: float) -> Path:
    """The tiny model with its classifier bias set so every chunk gets a chosen P(AI)."""
    import torch
    from transformers import Wav2Vec2ForSequenceClassification

    save_fast_wav2vec2(folder)
    m = Wav2Vec2ForSequenceClassification.from_pretrained(folder)
    with torch.no_grad():
        m.classifier.weight.zero_()
        m.classifier.bias.copy_(torch.tensor([ai_logit, 0.0]))
    m.save_pretrained(folder, safe_serialization=True)
    return folder


@pytest.mark.parametrize(
    "seconds, chunk, overlap, expected",
    [
        (2.0, 5.0, 0.5, 1),     # shorter than one chunk: one chunk
        (5.0, 5.0, 0.5, 1),     # exactly one chunk
        (12.0, 5.0, 0.5, 4),    # starts 0, 2.5, 5, 7 (tail aligned to the end)
        (12.5, 5.0, 0.5, 4),    # starts 0, 2.5, 5, 7.5: fits exactly, no extra tail chunk
        (30.0, 5.0, 0.0, 6),
        (31.0, 5.0, 0.0, 7),    # one-second tail gets its own end-aligned chunk
    ],
)
def test_chunk_count_and_full_coverage(service, seconds, chunk, overlap, expected):
    settings = ChunkSettings(chunk, overlap)
    res = analyze_audio(decoded(seconds), service, AnalysisOptions(settings, batch_size=3))
    assert res.total_chunks == expected == count_chunks(int(seconds * SR), SR, settings)
    assert res.chunks[0].start_time == 0.0
    assert res.chunks[-1].end_time == pytest.approx(seconds, abs=1 / SR)  # the tail is covered
    assert [c.chunk_index for c in res.chunks] == list(range(expected))
    if seconds < chunk:
        assert res.chunks[0].end_time == pytest.approx(seconds)


def test_json_validates_and_has_provenance(service):
    res = analyze_audio(decoded(7.0), service)
    d = res.to_dict()
    validate_result_dict(d)
    p = d["provenance"]
    assert set(p["input"]) == {"name", "path", "size_bytes", "sha256", "container", "codec", "sample_rate",
                               "channels", "duration_s"}
    assert p["input"]["sample_rate"] == 44100 and p["input"]["channels"] == 2
    assert p["decoded"] == {"sample_rate": 16000, "duration_s": 7.0, "num_samples": 7 * SR}
    assert p["model"]["architecture"] == "Wav2Vec2ForSequenceClassification" and p["model"]["labels"]["0"] == "fake"
    assert p["settings"] == {"chunk_duration": 5.0, "overlap": 0.5, "batch_size": 16, "num_threads": None,
                             "threshold": 0.5}  # the batch size in effect: about 80 s of audio per model call
    import detector

    assert p["app"] == {"name": "fAIk Desktop", "version": detector.__version__}
    assert ISO_Z.match(p["started_at"]) and ISO_Z.match(p["finished_at"]) and p["started_at"] <= p["finished_at"]
    # The synthetic test signal has no energy above 4 kHz, so the narrow-band note follows the decoder's;
    # its hiss between "syllables" is only ~7 dB below them, so the noise note comes last.
    assert p["warnings"][0] == "a warning from decoding" and "narrow-band" in p["warnings"][1]
    assert len(p["warnings"]) == 3 and "background noise" in p["warnings"][2]
    assert p["statement"] == STATEMENT and "not proof" in STATEMENT
    assert p["verdict"]["label"] in {"ai-generated", "real", "inconclusive", "cannot-judge"}
    assert p["evidence"]["outcome"] == p["verdict"]["label"] and p["evidence"]["headline"]
    # Round trip through JSON text.
    back = AnalysisResult.from_dict(__import__("json").loads(res.to_json()))
    assert back.total_chunks == res.total_chunks


def test_progress_reaches_total_and_on_chunk_streams(service):
    calls, streamed = [], []
    res = analyze_audio(decoded(20.0), service, AnalysisOptions(batch_size=2),
                        progress=lambda d, t: calls.append((d, t)), on_chunk=streamed.append)
    total = res.total_chunks
    assert total == 7
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert [d for d, _ in calls] == [0, 2, 4, 6, 7]
    assert streamed == list(res.chunks)


def test_cancel_stops_early(service):
    done = []
    polls = {"n": 0}

    def cancel():
        polls["n"] += 1
        return polls["n"] > 2  # allow two batches

    with pytest.raises(AnalysisCancelled, match="cancelled after 4 of"):
        analyze_audio(decoded(60.0), service, AnalysisOptions(batch_size=2),
                      cancel=cancel, on_chunk=done.append)
    assert len(done) == 4


def test_a_cancelled_run_resumes_where_it_stopped_and_gives_the_full_runs_answer(service, monkeypatch):
    audio = decoded(60.0)
    full = analyze_audio(audio, service, AnalysisOptions(batch_size=2))
    kept: list = []
    polls = {"n": 0}

    def cancel():
        polls["n"] += 1
        return polls["n"] > 3  # three batches, then Cancel

    with pytest.raises(AnalysisCancelled):
        analyze_audio(audio, service, AnalysisOptions(batch_size=2), cancel=cancel, on_chunk=kept.append)
    assert len(kept) == 6
    asked, predict = [], service.predict_proba
    monkeypatch.setattr(service, "predict_proba", lambda chunks: asked.append(len(chunks)) or predict(chunks))
    calls, streamed = [], []
    res = analyze_audio(audio, service, AnalysisOptions(batch_size=2), resume=kept,
                        progress=lambda d, t: calls.append(d), on_chunk=streamed.append)
    assert sum(asked) == full.total_chunks - 6  # only the chunks not classified before Cancel
    assert calls[0] == 6 and streamed == list(res.chunks)  # the kept ones are streamed first, as they were
    assert np.allclose([c.prob_ai for c in res.chunks], [c.prob_ai for c in full.chunks], atol=1e-5)
    d = res.to_dict()
    assert d["is_deepfake"] == full.to_dict()["is_deepfake"] and d["provenance"]["resumed_chunks"] == 6
    validate_result_dict(d)
    assert "resumed_chunks" not in full.to_dict()["provenance"]


def test_resuming_with_chunks_of_other_settings_is_refused(service):
    audio = decoded(30.0)
    other = analyze_audio(audio, service, AnalysisOptions(settings=ChunkSettings(3.0, 0.5))).chunks[:4]
    with pytest.raises(SettingsError, match="were the chunk settings changed"):
        analyze_audio(audio, service, AnalysisOptions(), resume=other)
    many = analyze_audio(decoded(60.0), service, AnalysisOptions()).chunks
    with pytest.raises(SettingsError, match="has only"):
        analyze_audio(audio, service, AnalysisOptions(), resume=many)


def test_default_batch_counts_audio_not_chunks(service):
    """16 chunks of 5 s per model call (faster in bfloat16, the same in float32), but 30-s chunks go three at a
    time: 16 of them held 1.08 GB. A batch size the user gives is kept as given."""
    from detector.analysis import default_batch_size

    assert [default_batch_size(d) for d in (1.0, 2.5, 5.0, 10.0, 30.0)] == [80, 32, 16, 8, 3]
    assert AnalysisOptions().chunks_per_call == 16
    assert AnalysisOptions(ChunkSettings(30.0, 0.5)).chunks_per_call == 3
    assert AnalysisOptions(ChunkSettings(30.0, 0.5), batch_size=8).chunks_per_call == 8
    sizes = []
    real = service.predict_proba
    service.predict_proba = lambda chunks: (sizes.append(len(chunks)), real(chunks))[1]
    try:
        analyze_audio(decoded(95.0), service, AnalysisOptions(ChunkSettings(10.0, 0.5)))
    finally:
        del service.predict_proba
    assert sizes == [8, 8, 2]  # 18 chunks of 10 s, 8 a call


def test_batching_does_not_change_answers(service):
    a = analyze_audio(decoded(15.0), service, AnalysisOptions(batch_size=1))
    b = analyze_audio(decoded(15.0), service, AnalysisOptions(batch_size=16))
    assert np.allclose([c.prob_ai for c in a.chunks], [c.prob_ai for c in b.chunks], atol=1e-5)


@pytest.mark.parametrize("ai_logit, verdict, deepfake", [(4.0, Verdict.AI_GENERATED, True), (-4.0, Verdict.REAL, False)])
def test_verdict_follows_the_model(tmp_path, ai_logit, verdict, deepfake):
    svc = ModelService()
    svc.load(_biased_model(tmp_path / "m", ai_logit))
    res = analyze_audio(decoded(11.0), svc)
    expected_p = 1 / (1 + np.exp(-ai_logit))
    assert all(c.prob_ai == pytest.approx(expected_p, abs=1e-5) for c in res.chunks)
    assert res.is_deepfake is deepfake and res.verdict is verdict
    assert res.overall_confidence == pytest.approx(max(expected_p, 1 - expected_p), abs=1e-5)


def test_swapped_label_model_reports_p_ai_from_its_column_1(tmp_path):
    # Bias favours class 1; with labels {0: real, 1: fake} that is the AI class.
    import torch
    from transformers import Wav2Vec2ForSequenceClassification

    folder = save_fast_wav2vec2(tmp_path / "sw", {0: "real", 1: "fake"})
    m = Wav2Vec2ForSequenceClassification.from_pretrained(folder)
    with torch.no_grad():
        m.classifier.weight.zero_()
        m.classifier.bias.copy_(torch.tensor([0.0, 3.0]))
    m.save_pretrained(folder, safe_serialization=True)
    svc = ModelService()
    svc.load(folder)
    res = analyze_audio(decoded(6.0), svc)
    assert res.is_deepfake and res.chunks[0].prob_ai == pytest.approx(1 / (1 + np.exp(-3.0)), abs=1e-5)


def test_errors(service):
    with pytest.raises(ModelNotReadyError):
        analyze_audio(decoded(3.0), ModelService())
    bad_sr = DecodedAudio(samples=synth_speechlike(1.0, 8000), sample_rate=8000, info=decoded(1.0).info)
    with pytest.raises(SettingsError, match="8000 Hz"):
        analyze_audio(bad_sr, service)
    empty = DecodedAudio(samples=np.zeros(0, np.float32), sample_rate=SR, info=decoded(1.0).info)
    with pytest.raises(AudioDecodeError):
        analyze_audio(empty, service)
    for bad in (0, -1, 1000, 2.5, True):
        with pytest.raises(SettingsError):
            AnalysisOptions(batch_size=bad)
    with pytest.raises(SettingsError):
        AnalysisOptions(num_threads=0)


def test_analyze_file_reads_and_never_writes(service, write_audio):
    path = write_audio("stéréo clip.flac", 6.5, sr=44100, channels=2)
    before = path.read_bytes()
    res = analyze_file(path, service)
    assert path.read_bytes() == before
    validate_result_dict(res.to_dict())
    p = res.provenance
    assert p["input"]["name"] == "stéréo clip.flac" and p["input"]["sample_rate"] == 44100
    assert p["input"]["channels"] == 2 and p["decoded"]["num_samples"] == pytest.approx(6.5 * SR, abs=2)
    assert res.total_chunks == count_chunks(p["decoded"]["num_samples"], SR, ChunkSettings())


def test_analyze_file_bad_input_message(service, tmp_path):
    fake = tmp_path / "report.mp3"
    fake.write_bytes(b"%PDF-1.4\n" + b"x" * 2000)
    with pytest.raises(AudioDecodeError) as e:
        analyze_file(fake, service)
    assert "\n" not in str(e.value) and "report.mp3" in str(e.value)


def test_speech_under_noise_carries_a_noise_warning_and_clean_speech_does_not(service):
    import soundfile as sf

    x = sf.read(Path(__file__).resolve().parents[1] / "resources" / "sample" / "sample.flac", dtype="float32")[0]
    clean = analyze_audio(decoded(len(x) / SR, signal=x), service).provenance["warnings"]
    assert not any("background noise" in w for w in clean)
    rms = float(np.sqrt(np.mean(x ** 2)))
    noisy_x = (x + np.random.default_rng(1).standard_normal(len(x)) * rms * 0.3).astype(np.float32)  # ~10 dB SNR
    noisy = analyze_audio(decoded(len(x) / SR, signal=noisy_x), service).provenance["warnings"]
    assert sum("background noise" in w for w in noisy) == 1
    assert noisy[0] == "a warning from decoding"  # the decoder's note stays first


def test_speech_in_a_room_carries_a_reverberation_warning_and_dry_speech_does_not(service):
    import soundfile as sf

    from detector.channels import reverb

    x = sf.read(Path(__file__).resolve().parents[1] / "resources" / "sample" / "sample.flac", dtype="float32")[0]
    dry = analyze_audio(decoded(len(x) / SR, signal=x), service).provenance["warnings"]
    assert not any("room echo" in w for w in dry)
    room_x = reverb(x, SR, 0.5, np.random.default_rng(0))
    room = analyze_audio(decoded(len(x) / SR, signal=room_x), service).provenance["warnings"]
    assert sum("room echo" in w for w in room) == 1
    # The echo fills the sample's pauses (the noise check alone reads ~18 dB "noise" there), but the
    # result names one cause, not two.
    assert not any("background noise" in w for w in room)


def test_a_recording_under_a_second_carries_a_too_short_warning(service):
    short = analyze_audio(decoded(0.3, signal=synth_speechlike(0.3, seed=2)), service).provenance["warnings"]
    assert sum("too little sound to judge" in w and "only 0.30 s long" in w for w in short) == 1
    longer = analyze_audio(decoded(1.5, signal=synth_speechlike(1.5, seed=2)), service).provenance["warnings"]
    assert not any("too little sound" in w for w in longer)


def test_the_telephone_band_is_measured_once_for_the_evidence_channel_and_its_warning(service, monkeypatch):
    """recording_channel and narrowband_warning both need the high-band share: one pass over the
    recording's 256 sampled seconds serves both (it used to run twice per file)."""
    import detector.analysis as analysis
    import detector.channel_check as channel_check

    calls = []
    real = channel_check.high_band_fraction

    def counted(samples, sample_rate, *args, **kwargs):
        calls.append(1)
        return real(samples, sample_rate, *args, **kwargs)

    monkeypatch.setattr(analysis, "high_band_fraction", counted)
    monkeypatch.setattr(channel_check, "high_band_fraction", counted)
    narrow = decoded(6.0, signal=np.sin(2 * np.pi * 300 * np.arange(6 * 16000) / 16000).astype(np.float32) * 0.3)
    res = analyze_audio(narrow, service)
    assert len(calls) == 1
    assert res.provenance["evidence"]["channel"] == "phone-8k"
    assert any("telephone" in w for w in res.provenance["warnings"])


def test_warm_up_answers_one_chunk_and_loads_the_speech_checks_vad(tiny_model_dir, monkeypatch):
    """'Model ready' in the window = loaded and a first chunk answered, as in the benchmark (issue 34)."""
    from detector import speech_check
    from detector.analysis import warm_up
    from detector.model_service import ModelService

    svc = ModelService()
    svc.load(tiny_model_dir)
    batches = []
    real = svc.predict_proba
    monkeypatch.setattr(svc, "predict_proba", lambda chunks: batches.append(len(chunks)) or real(chunks))
    monkeypatch.setattr(speech_check, "_model", None)  # as in a fresh process
    warm_up(svc)
    assert batches == [1]
    assert speech_check._model is not None  # loaded (False if silero-vad were missing)
