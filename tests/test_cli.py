"""The ``faik`` command line: outputs, messages and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faik_testkit import unshare_works
from detector.cli import main
from detector.result import validate_result_dict

REPO = Path(__file__).resolve().parents[1]


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def mixed_folder(tmp_path, write_audio):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    write_audio("in/good.wav", 6.0)
    write_audio("in/sub/ça va.flac", 3.0, sr=44100, channels=2)
    (folder / "empty.mp3").write_bytes(b"")
    (folder / "report.mp3").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 200)
    (folder / "notes.txt").write_text("not considered: unsupported extension")
    return folder


def test_analyze_mixed_folder_exit_1_with_one_line_reasons(capsys, mixed_folder, tmp_path, tiny_model_dir):
    out = tmp_path / "out"
    before = {p: p.read_bytes() for p in mixed_folder.rglob("*") if p.is_file()}
    rc, stdout, err = run(capsys, "analyze", mixed_folder, "--model", tiny_model_dir, "--out", out)
    assert rc == 1
    assert "Traceback" not in err and stdout == ""
    lines = err.splitlines()
    assert any("empty.mp3" in line and line.startswith("faik: ") for line in lines)
    assert any("report.mp3" in line and line.startswith("faik: ") for line in lines)
    assert not any("notes.txt" in line for line in lines)
    assert any(line.startswith("good.wav: ") and "AI-sounding" in line for line in lines)
    assert "4 files: 0 support AI-generated, " in err and ", 2 failed" in err
    written = sorted(p.name for p in out.iterdir())
    assert written == ["good.faik.json", "ça va.faik.json"]  # atomic: no temp files left
    for name in written:
        d = json.loads((out / name).read_text("utf-8"))
        validate_result_dict(d)
        assert d["provenance"]["input"]["name"] in {"good.wav", "ça va.flac"}
    good = json.loads((out / "good.faik.json").read_text())
    assert good["total_chunks"] == 2 and good["provenance"]["settings"]["chunk_duration"] == 5.0
    # The inputs are never written.
    assert {p: p.read_bytes() for p in mixed_folder.rglob("*") if p.is_file()} == before


def test_summary_table_has_a_row_for_every_input(capsys, mixed_folder, tmp_path, tiny_model_dir):
    import csv

    out, table = tmp_path / "out", tmp_path / "tables" / "batch.csv"
    rc, _, err = run(capsys, "analyze", mixed_folder, tmp_path / "gone.wav", "--model", tiny_model_dir,
                     "--out", out, "--summary", table)
    assert rc == 1
    assert "5 files: " in err and f", 3 failed; table: {table}" in err
    text = table.read_text("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets then read the non-ASCII names right
    rows = {Path(r["file"]).name: r for r in csv.DictReader(text[1:].splitlines())}
    assert set(rows) == {"gone.wav", "empty.mp3", "report.mp3", "good.wav", "ça va.flac"}
    assert rows["gone.wav"]["verdict"] == "failed" and rows["gone.wav"]["error"] == "no such file or folder"
    assert rows["empty.mp3"]["verdict"] == "failed" and rows["empty.mp3"]["error"]
    for name in ("good.wav", "ça va.flac"):
        row, doc = rows[name], json.loads(Path(rows[name]["result_json"]).read_text("utf-8"))
        assert row["error"] == "" and row["verdict"] == doc["provenance"]["verdict"]["label"]
        assert row["sha256"] == doc["provenance"]["input"]["sha256"]
        assert row["evidence"] == doc["provenance"]["evidence"]["headline"]
        assert float(row["mean_prob_ai"]) == pytest.approx(doc["provenance"]["verdict"]["mean_probability_ai_generated"],
                                                           abs=5e-4)
        assert int(row["total_chunks"]) == doc["total_chunks"] and row["model"] == doc["provenance"]["model"]["name"]


def test_summary_must_be_a_new_file_not_an_input_or_folder(capsys, tmp_path, write_audio, tiny_model_dir):
    a = write_audio("a.wav", 2.0)
    before = a.read_bytes()
    rc, _, err = run(capsys, "analyze", a, "--model", tiny_model_dir, "--out", tmp_path / "o", "--summary", a)
    assert rc == 2 and "is one of the inputs" in err and a.read_bytes() == before
    assert not (tmp_path / "o" / "a.faik.json").exists()  # refused before any work
    rc, _, err = run(capsys, "analyze", a, "--model", tiny_model_dir, "--out", tmp_path / "o", "--summary", tmp_path)
    assert rc == 2 and "is a folder" in err
    rc, _, err = run(capsys, "analyze", a, "--model", tiny_model_dir, "--out", "-", "--summary", "-")
    assert rc == 2 and "both write to standard output" in err


def test_summary_dash_prints_the_table(capsys, tmp_path, write_audio, tiny_model_dir, monkeypatch):
    import csv

    monkeypatch.chdir(tmp_path)  # a file named '-' would land here
    a, b = write_audio("a.wav", 2.0), write_audio("b.wav", 3.0)
    rc, out, err = run(capsys, "analyze", a, b, "--model", tiny_model_dir, "--out", tmp_path / "o", "--summary", "-")
    assert rc == 0, err
    assert not out.startswith("\ufeff") and not (tmp_path / "-").exists()
    rows = list(csv.DictReader(out.splitlines()))
    assert [Path(r["file"]).name for r in rows] == ["a.wav", "b.wav"] and all(r["result_json"] for r in rows)


@pytest.fixture
def restore_torch_threads():
    import torch

    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_analyze_all_good_exit_0_and_settings(capsys, write_audio, tmp_path, tiny_model_dir, restore_torch_threads,
                                             monkeypatch):
    import torch

    from detector.model_service import ModelService

    threads_in_calls, predict = [], ModelService.predict_proba

    def counting(self, chunks):
        threads_in_calls.append(torch.get_num_threads())  # torch's count in the thread that runs the model
        return predict(self, chunks)

    monkeypatch.setattr(ModelService, "predict_proba", counting)
    a = write_audio("a.wav", 7.0)
    rc, _, err = run(capsys, "analyze", a, "--model", tiny_model_dir, "--out", tmp_path / "o",
                     "--chunk-duration", "2", "--overlap", "0", "--batch-size", "3", "--threads", "4")
    assert rc == 0, err
    d = json.loads((tmp_path / "o" / "a.faik.json").read_text())
    assert d["total_chunks"] == 4  # 0-2, 2-4, 4-6, and the tail 5-7
    assert d["summary"]["chunk_duration_seconds"] == 2.0 and d["summary"]["overlap_ratio"] == 0.0
    assert d["provenance"]["settings"]["batch_size"] == 3 and d["provenance"]["settings"]["num_threads"] == 4
    # the named count, whatever the machine: two calls side by side with two torch threads each
    assert threads_in_calls[-2:] == [2, 2]  # the file's two batches (before them: the warm-up)


def test_out_dash_writes_json_lines(capsys, write_audio, tiny_model_dir):
    a, b = write_audio("a.wav", 2.0), write_audio("b.flac", 9.0)
    rc, stdout, err = run(capsys, "analyze", a, b, "--model", tiny_model_dir, "--out", "-")
    assert rc == 0, err
    docs = [json.loads(line) for line in stdout.splitlines()]
    assert [d["provenance"]["input"]["name"] for d in docs] == ["a.wav", "b.flac"]
    for d in docs:
        validate_result_dict(d)


def test_report_and_same_stem_inputs(capsys, tmp_path, write_audio, tiny_model_dir):
    x1 = write_audio("x.wav", 2.0)
    (tmp_path / "other").mkdir()
    x2 = write_audio("other/x.wav", 3.0)
    out = tmp_path / "o"
    rc, _, err = run(capsys, "analyze", x1, x2, "--model", tiny_model_dir, "--out", out, "--report")
    assert rc == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["x.faik.html", "x.faik.json", "x.wav.faik.html", "x.wav.faik.json"]
    assert "<svg" in (out / "x.faik.html").read_text("utf-8")
    assert json.loads((out / "x.wav.faik.json").read_text())["provenance"]["decoded"]["duration_s"] == 3.0


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--chunk-duration", "0.5"], "chunk duration"),
        (["--chunk-duration", "31"], "chunk duration"),
        (["--overlap", "0.95"], "overlap"),
        (["--overlap", "abc"], "not a number"),
        (["--batch-size", "0"], "batch size"),
        (["--threads", "0"], "thread count"),
        (["--out", "-", "--report"], "--report"),
        (["--frobnicate"], "unrecognized"),
    ],
)
def test_bad_usage_exit_2(capsys, write_audio, tiny_model_dir, extra, needle):
    a = write_audio("a.wav", 1.0)
    rc, _, err = run(capsys, "analyze", a, "--model", tiny_model_dir, *extra)
    assert rc == 2 and needle in err and "Traceback" not in err


def test_no_command_or_paths_is_usage(capsys):
    assert run(capsys)[0] == 2
    assert run(capsys, "analyze")[0] == 2


def test_missing_path_and_empty_folder_exit_1(capsys, tmp_path, write_audio, tiny_model_dir):
    a = write_audio("a.wav", 2.0)
    (tmp_path / "empty-dir").mkdir()
    rc, _, err = run(capsys, "analyze", a, tmp_path / "nope.wav", tmp_path / "empty-dir",
                     "--model", tiny_model_dir, "--out", tmp_path / "o")
    assert rc == 1
    assert "nope.wav: no such file or folder" in err
    assert "no supported audio" in err
    assert (tmp_path / "o" / "a.faik.json").is_file()  # the good input was still done


def test_model_failure_is_one_line(capsys, tmp_path, write_audio):
    a = write_audio("a.wav", 2.0)
    rc, _, err = run(capsys, "analyze", a, "--model", tmp_path / "no-model", "--out", tmp_path)
    assert rc == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("faik: error: model folder")


def test_model_info(capsys, tiny_model_dir):
    rc, out, _ = run(capsys, "model-info", "--model", tiny_model_dir, "--json")
    assert rc == 0
    d = json.loads(out)
    assert d["architecture"] == "Wav2Vec2ForSequenceClassification" and d["ai_index"] == 0 and d["sample_rate"] == 16000
    rc, out, _ = run(capsys, "model-info", "--model", tiny_model_dir)
    assert rc == 0 and "weights sha256:" in out and "AI-generated class:  0 (fake)" in out


def test_evaluate_command(capsys, tmp_path, write_audio, tiny_model_dir):
    write_audio("r1.wav", 2.0)
    write_audio("f1.wav", 3.0)
    write_audio("f2.wav", 1.5)
    (tmp_path / "index.csv").write_text(
        "file,label,family,language,split\nr1.wav,real,corp,en,val\nf1.wav,fake,gen,en,val\n"
        "f2.wav,fake,gen,en,val\nmissing.wav,fake,gen,en,train\n"
    )
    out_json = tmp_path / "rep.json"
    rc, out, err = run(capsys, "evaluate", tmp_path / "index.csv", "--root", tmp_path, "--split", "val",
                       "--model", tiny_model_dir, "--json", out_json)
    assert rc == 0, err
    for needle in ("EER", "ROC AUC", "accuracy", "false alarms", "ECE", "corp", "gen"):
        assert needle in out
    rep = json.loads(out_json.read_text())
    assert rep["n"] == 3 and rep["n_real"] == 1 and rep["per_family"]["gen"]["n"] == 2
    # Without --split the missing file fails: reported, others scored, exit 1.
    rc, out, err = run(capsys, "evaluate", tmp_path / "index.csv", "--model", tiny_model_dir)
    assert rc == 1 and "missing.wav" in out
    rc, _, err = run(capsys, "evaluate", tmp_path / "index.csv", "--channel", "pigeon", "--model", tiny_model_dir)
    assert rc == 2 and "unknown channel" in err


@pytest.mark.skipif(not unshare_works(), reason="unshare -rn (network namespace) not available")
def test_analyze_works_without_network(tmp_path, write_audio, tiny_model_dir):
    """`faik analyze` runs in a namespace with no network at all (HF offline flags removed)."""
    a = write_audio("net.wav", 4.0)
    env = {k: v for k, v in os.environ.items() if k not in {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"}}
    out = subprocess.run(
        ["unshare", "-rn", sys.executable, "-m", "detector", "analyze", str(a), "--model", str(tiny_model_dir),
         "--out", str(tmp_path / "o")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    validate_result_dict(json.loads((tmp_path / "o" / "net.faik.json").read_text()))
    assert "net.wav: " in out.stderr and "Traceback" not in out.stderr


def test_version(capsys):
    rc, out, _ = run(capsys, "--version")
    import detector

    assert rc == 0 and detector.__version__ in out


def test_progress_bar_only_on_a_terminal(capsys, write_audio, tmp_path, tiny_model_dir):
    import io

    from detector.cli import Progress

    a = write_audio("a.wav", 2.0)
    rc, _, err = run(capsys, "analyze", a, "--model", tiny_model_dir, "--out", tmp_path / "o")
    assert rc == 0 and "\r" not in err and "AI-sounding" in err  # not a TTY: summary lines only
    buf = io.StringIO()
    bar = Progress(buf, enabled=True)
    bar.chunks("x.wav", 3, 6)
    bar.chunks("x.wav", 6, 6)
    bar.clear()
    assert "[############............] 3/6 chunks" in buf.getvalue() and "6/6 chunks" in buf.getvalue()
    quiet = io.StringIO()
    Progress(quiet, enabled=False).chunks("x.wav", 1, 2)
    assert quiet.getvalue() == ""


def test_closed_stdout_stops_quietly(monkeypatch, capsys, write_audio, tiny_model_dir):
    """`faik analyze --out - ... | head -1`: the reader leaving is not a crash."""
    a, b = write_audio("a.wav", 1.0), write_audio("b.wav", 1.0)

    class ClosedPipe:
        def write(self, s):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    rc = main(["analyze", str(a), str(b), "--model", str(tiny_model_dir), "--out", "-"])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err and "unexpected error" not in err


def test_a_file_name_with_a_newline_keeps_each_file_on_one_line(capsys, tmp_path, write_audio, tiny_model_dir):
    """One line per file on stderr (scripts read them): a newline or terminal escape in a name is shown escaped."""
    good = write_audio("two\nlines.wav", 2.0)
    bad = tmp_path / "not\x1baudio.wav"
    bad.write_bytes(b"not audio at all" * 100)
    rc, _, err = run(capsys, "analyze", good, bad, "--model", tiny_model_dir, "--out", tmp_path / "o")
    assert rc == 1
    lines = err.splitlines()
    assert any(line.startswith("two\\nlines.wav: ") for line in lines), err
    assert any("not\\x1baudio.wav: " in line for line in lines), err
    assert "\x1b" not in err
    assert (tmp_path / "o" / "two\nlines.faik.json").is_file()  # the file itself is named as it was
