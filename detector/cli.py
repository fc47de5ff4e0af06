"""``faik``: the command line over :mod:`detector`.

    faik analyze PATH... [--chunk-duration S] [--overlap R] [--model SRC] [--out DIR|-]
                         [--batch-size N] [--threads N] [--precision auto|float32|bfloat16]
                         [--report] [--summary CSV|-] [--skip-existing] [--quiet]
    faik model-info [--model SRC] [--json] [--precision ...]
    faik evaluate INDEX.csv [--root DIR] [--split val] [--channel clean|mp3-32k|phone-8k|...] [--json OUT]

Exit codes: 0 everything was done; 1 some (or all) inputs failed — the others
were still done — or the model could not be loaded; 2 bad usage (unknown
option, out-of-range setting); 130 / 143 interrupted by Ctrl-C / SIGTERM (every
JSON already written is complete, the --summary table lists what finished and
marks the rest "not-analysed"; ``--skip-existing`` then finishes the batch
without redoing what is done). A user's mistake prints one line
``faik: error: ...`` and never a traceback. Analysis reads local files only
and makes no network connection (a hub id given to ``--model`` uses the local
cache, see :mod:`detector.model_service`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Sequence, TextIO

import detector
from detector.errors import AnalysisCancelled, FaikError, ModelLoadError, OutputError, SettingsError
from detector.model_validation import describe as describe_validation
from detector.precision import PRECISIONS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 130, 143  # 128 + the signal's number, as shells report it
PROG = "faik"


class _UsageError(Exception):
    """Bad usage found after argparse (out-of-range values): exit 2."""


class _Interrupted(BaseException):
    """Ctrl-C or SIGTERM arrived: stop after cleaning up (a BaseException, like KeyboardInterrupt)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return EXIT_SIGTERM if self.signum == signal.SIGTERM else EXIT_SIGINT

    @property
    def what(self) -> str:
        return "SIGTERM" if self.signum == signal.SIGTERM else "Ctrl-C"


@contextlib.contextmanager
def _signals_deferred():
    """Hold SIGINT and SIGTERM back while the block runs (a result written is then also counted).

    Both at the OS level (the main thread's signal mask) and at Python's: a signal sent to the process
    may be delivered to another thread (torch's, the second model call's), which the main thread's mask
    does not cover, and Python then runs its handler in the main thread at once, inside the block. So
    the block's handlers only note the signal; it is raised again, to the handlers before, on the way out.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    old_handlers = {sig: signal.signal(sig, lambda signum, _frame: pending.append(signum))
                    for sig in (signal.SIGINT, signal.SIGTERM)}
    mask = getattr(signal, "pthread_sigmask", None)
    old = mask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) if mask is not None else None
    try:
        yield
    finally:
        try:
            for sig, handler in old_handlers.items():
                signal.signal(sig, handler)
        finally:
            if mask is not None:
                mask(signal.SIG_SETMASK, old)  # a signal the mask held reaches the restored handler here
        if pending:
            signal.raise_signal(pending[0])


@contextlib.contextmanager
def _signals_interrupt():
    """Turn SIGINT and SIGTERM into :class:`_Interrupted` while the block runs.

    SIGTERM would otherwise end the process at once, leaving a temporary file behind and no
    summary; raised as an exception it unwinds like Ctrl-C: the atomic writes remove their
    temporary files and the batch writes what it finished.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, _frame):
        raise _Interrupted(signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


# --------------------------------------------------------------------------- terminal output

class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream, self.enabled = stream, enabled
        self._last = 0.0
        self._shown = False

    def _draw(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < 0.1):
            return
        self._last = now
        width = 78
        self.stream.write("\r" + text[:width].ljust(width))
        self.stream.flush()
        self._shown = True

    def decoding(self, label: str, fraction: float) -> None:
        self._draw(f"{label}: decoding {fraction:4.0%}")

    def chunks(self, label: str, done: int, total: int) -> None:
        n = 24
        filled = int(n * done / total) if total else n
        self._draw(f"{label}: [{'#' * filled}{'.' * (n - filled)}] {done}/{total} chunks", force=done == total)

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()
            self._shown = False


def _one_line(text: str) -> str:
    """``text`` with control characters written as escapes (``\\n``, ``\\t``, ``\\x1b``...): a file name
    may hold a newline or a terminal escape, and one file's line must stay one line (scripts read them)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _short(name: str, n: int = 32) -> str:
    name = _one_line(name)
    return name if len(name) <= n else "…" + name[-(n - 1):]


def _err(msg: str) -> None:
    print(f"{PROG}: {msg}", file=sys.stderr)


# --------------------------------------------------------------------------- argument parsing

def _float_arg(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _int_arg(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from detector.chunking import DEFAULT_CHUNK_DURATION_S, DEFAULT_OVERLAP

    p = argparse.ArgumentParser(
        prog=PROG,
        description="fAIk: offline detector of AI-generated speech. "
        "A verdict is statistical evidence from one model, not proof.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {detector.__version__}")
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    model_help = ("model to use: a folder with config.json + model.safetensors, or a Hugging Face id "
                  "read from the local cache (default: the built-in model)")

    precision_help = ("number format the model computes in: auto (default) = bfloat16 for the built-in model on a "
                      "CPU with Intel AMX, about 1.5x faster, float32 otherwise; float32 gives the same scores on "
                      "every machine")

    a = sub.add_parser("analyze", help="analyse recordings and write one JSON result per input",
                       description="Analyse audio/video files and folders (recursively).")
    a.add_argument("paths", nargs="+", metavar="PATH", help="audio or video file, or a folder")
    a.add_argument("--chunk-duration", type=_float_arg, default=DEFAULT_CHUNK_DURATION_S, metavar="S",
                   help="seconds per chunk, 1-30 (default %(default)s)")
    a.add_argument("--overlap", type=_float_arg, default=DEFAULT_OVERLAP, metavar="R",
                   help="overlap ratio between chunks, 0-0.9 (default %(default)s)")
    a.add_argument("--model", default=None, metavar="SRC", help=model_help)
    a.add_argument("--out", default=".", metavar="DIR|-",
                   help="folder for <name>.faik.json files (created if missing; default: current folder); "
                        "'-' writes JSON lines to standard output")
    a.add_argument("--batch-size", type=_int_arg, default=None, metavar="N",
                   help="chunks per model call (default: about 80 s of audio, 16 chunks of 5 s)")
    a.add_argument("--threads", type=_int_arg, default=None, metavar="N", help="CPU threads for the model")
    a.add_argument("--precision", choices=PRECISIONS, default="auto", help=precision_help)
    a.add_argument("--report", action="store_true", help="also write <name>.faik.html, a printable report")
    a.add_argument("--summary", default=None, metavar="CSV",
                   help="also write one table of the whole batch: a row per input with its verdict, confidence, "
                        "AI-sounding stretches, warnings, SHA-256 and JSON path (failed inputs included); "
                        "'-' prints it to standard output")
    a.add_argument("--skip-existing", action="store_true",
                   help="keep a <name>.faik.json already in --out when it is the result of the same file "
                        "(same SHA-256), model and chunk settings, instead of analysing again; finishes an "
                        "interrupted batch")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary lines")

    m = sub.add_parser("model-info", help="load a model and describe it")
    m.add_argument("--model", default=None, metavar="SRC", help=model_help)
    m.add_argument("--json", action="store_true", help="print JSON")
    m.add_argument("--precision", choices=PRECISIONS, default="auto", help=precision_help)

    e = sub.add_parser("evaluate", help="score the detector on a labelled set (index.csv)",
                       description="Analyse every file of a labelled index (columns file, label real|fake, "
                                   "family; optional language, split) and print EER, ROC AUC, accuracy, "
                                   "calibration and per-family figures.")
    e.add_argument("index", metavar="INDEX.csv")
    e.add_argument("--root", default=None, metavar="DIR",
                   help="folder the index's file paths start from (default: the index's folder)")
    e.add_argument("--split", default=None, help="only rows with this split (e.g. val)")
    e.add_argument("--channel", default="clean",
                   help="simulate a channel before analysis: clean, mp3-32k, phone-8k, opus-24k, aac-32k, "
                        "noise-20db, reverb ... (default clean)")
    e.add_argument("--limit", type=_int_arg, default=None, metavar="N", help="only N files, spread over the index")
    e.add_argument("--model", default=None, metavar="SRC", help=model_help)
    e.add_argument("--chunk-duration", type=_float_arg, default=DEFAULT_CHUNK_DURATION_S, metavar="S")
    e.add_argument("--overlap", type=_float_arg, default=DEFAULT_OVERLAP, metavar="R")
    e.add_argument("--batch-size", type=_int_arg, default=None, metavar="N")
    e.add_argument("--threads", type=_int_arg, default=None, metavar="N")
    e.add_argument("--precision", choices=PRECISIONS, default="float32",
                   help="number format the model computes in (default float32 here, so a measurement is the same "
                        "on every machine; auto or bfloat16 to measure what a CPU with AMX computes)")
    e.add_argument("--json", default=None, metavar="OUT", help="also write the full report as JSON")
    e.add_argument("--tippett", default=None, metavar="PNG",
                   help="also draw a Tippett plot of the stated likelihood ratios (PNG, for a model card)")
    e.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def _options(args: argparse.Namespace):
    from detector.analysis import AnalysisOptions
    from detector.chunking import ChunkSettings

    try:
        return AnalysisOptions(ChunkSettings(args.chunk_duration, args.overlap), args.batch_size, args.threads)
    except SettingsError as exc:
        raise _UsageError(str(exc)) from None


def _load_model(source: str | None, quiet: bool, precision: str | None = None):
    from detector.model_service import ModelService

    svc = ModelService()
    info = svc.load(source, precision)
    if not quiet:
        print(f"model: {info.name} ({info.source_kind}, {info.architecture}, "
              f"{info.num_parameters:,} parameters, {info.precision}, loaded in {info.load_time_s:.1f} s)",
              file=sys.stderr)
    return svc


# --------------------------------------------------------------------------- analyze

def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied; check its permissions"
    return exc.strerror or str(exc)


def _scan_folder(root: Path, problems: list[tuple[str, str]]) -> list[Path]:
    """Supported files under ``root`` (recursively); anything that cannot be read is added to ``problems``.

    Nothing is skipped silently: a broken link, a link to a folder (not followed: no loops, no leaving
    the chosen folder), a pipe or device with an audio name, and a sub-folder that cannot be listed
    each get a line naming it and why. Hidden files and other extensions are left out on purpose.
    """
    from detector.audio import SUPPORTED_EXTENSIONS, broken_link_reason

    found: list[Path] = []

    def on_error(exc: OSError) -> None:
        problems.append((str(exc.filename or root), f"cannot list this folder: {_os_reason(exc)}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        here = Path(dirpath)
        for d in sorted(dirnames):
            if (here / d).is_symlink():
                problems.append((str(here / d), "a link to a folder: not followed; name the folder itself "
                                                "to analyse what is in it"))
        for name in sorted(filenames):
            f = here / name
            if name.startswith(".") or f.suffix.lower() not in SUPPORTED_EXTENSIONS:
                continue
            broken = broken_link_reason(f)
            if broken is not None:
                problems.append((str(f), broken))
                continue
            try:
                st = f.stat()
            except OSError as exc:
                problems.append((str(f), f"cannot read it: {_os_reason(exc)}"))
                continue
            if stat.S_ISREG(st.st_mode):
                found.append(f)
            else:
                problems.append((str(f), "not a regular file (a pipe, socket or device); choose an audio or "
                                         "video file"))
    return sorted(found, key=lambda f: str(f).lower())


def collect_inputs(paths: Sequence[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to analyse (folders expanded recursively to supported extensions) and (path, reason) problems."""
    from detector.audio import SUPPORTED_EXTENSIONS, broken_link_reason

    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        try:
            st = p.stat()
        except FileNotFoundError:
            problems.append((raw, broken_link_reason(p) or "no such file or folder"))
            continue
        except OSError as exc:
            problems.append((raw, f"cannot read it: {_os_reason(exc)}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            before = len(problems)
            candidates = _scan_folder(p, problems)
            if not candidates and len(problems) == before:
                problems.append((raw, "no supported audio or video files in this folder "
                                      f"({', '.join(sorted(SUPPORTED_EXTENSIONS))})"))
        else:
            candidates = [p]  # named explicitly: try it whatever its extension (decoding sniffs the content)
        for f in candidates:
            try:
                key = f.resolve()
            except (OSError, RuntimeError):
                key = f.absolute()
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files, problems


def _output_name(path: Path, used: set[str]) -> str:
    """``<stem>.faik`` unless another input of this run already took it (same stem, other folder)."""
    for base in (path.stem, path.name):
        if base not in used:
            used.add(base)
            return base
    i = 2
    while f"{path.stem}-{i}" in used:
        i += 1
    used.add(f"{path.stem}-{i}")
    return f"{path.stem}-{i}"


def _summary_line(name: str, result, target: str | None) -> str:
    from detector.wording import describe

    line = describe(result).cli_line(_one_line(name))  # the window's and the report's words
    return line + (f" -> {_one_line(target)}" if target else "")


def _reusable_result(json_path: Path, path: Path, model: dict, options):
    """The result in ``json_path`` when it is this file's (same SHA-256) with this model and chunk settings."""
    from detector.audio import file_sha256
    from detector.result import AnalysisResult

    try:
        d = json.loads(json_path.read_text("utf-8"))
        prov = d["provenance"]
        if (prov["model"].get("weights_sha256") != model.get("weights_sha256")
                or float(prov["settings"]["chunk_duration"]) != float(options.settings.chunk_duration)
                or float(prov["settings"]["overlap"]) != float(options.settings.overlap)):
            return None
        if prov["input"]["sha256"] != file_sha256(path):
            return None
        return AnalysisResult.from_dict(d)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def cmd_analyze(args: argparse.Namespace) -> int:
    from detector.batch_summary import pending_row

    options = _options(args)
    to_stdout = args.out == "-"
    if to_stdout and args.report:
        raise _UsageError("--report needs an output folder; use --out DIR with --report")
    if to_stdout and args.skip_existing:
        raise _UsageError("--skip-existing needs an output folder; use --out DIR with --skip-existing")
    out_dir = None if to_stdout else Path(args.out)
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            raise _UsageError(f"--out {out_dir} is a file; give a folder or '-'")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FaikError(f"cannot create output folder {out_dir}: {exc.strerror or exc}") from None

    summary_to_stdout = args.summary == "-"
    if summary_to_stdout and to_stdout:
        raise _UsageError("--summary - and --out - would both write to standard output; give one of them a file")
    summary_path = None if args.summary is None or summary_to_stdout else Path(args.summary)
    if summary_path is not None and summary_path.is_dir():
        raise _UsageError(f"--summary {summary_path} is a folder; give a file name such as results.csv")

    files, problems = collect_inputs(args.paths)
    if summary_path is not None and summary_path.exists() and any(_same_file(summary_path, f) for f in files):
        # Found now, not after an hour of analysis when the table is written.
        raise _UsageError(f"--summary {summary_path} is one of the inputs; choose another file name")
    from detector.batch_summary import failure_row

    rows: list[dict] = [failure_row(raw, why) for raw, why in problems]
    for raw, why in problems:
        _err(_one_line(f"{raw}: {why}"))
    if not files:
        _err("error: nothing to analyse")
        return EXIT_FAILED
    state = {"failed": len(problems), "done": 0}
    stop: str | None = None
    code = EXIT_OK
    with _signals_interrupt():
        try:
            _analyze_files(args, files, options, out_dir, rows, state)
        except _Interrupted as exc:
            stop = (f"interrupted by {exc.what}: the batch stopped before this file; "
                    "run the same command with --skip-existing to finish it")
            code = exc.exit_code
            _err(f"interrupted by {exc.what} after {state['done']} of {len(files)} files; every JSON written is "
                 "complete" + (f"; the table {summary_path} lists what finished" if summary_path else "")
                 + (f"; to finish, run the same command with --skip-existing" if out_dir is not None else ""))
        except OutputError as exc:
            stop = f"not analysed: the batch stopped because an output could not be written ({exc})"
            state["failed"] += 1
            _err(f"error: {exc}")
            _err(f"stopped after {state['done']} of {len(files)} files; the results written before are complete")
        if stop is not None:
            finished = {r["file"] for r in rows}
            rows.extend(pending_row(f, stop) for f in files if str(f) not in finished)
        try:
            if summary_path is not None:
                _write_summary(summary_path, rows, protect=files)
            elif summary_to_stdout:
                from detector.batch_summary import summary_csv

                sys.stdout.write(summary_csv(rows).lstrip("\ufeff"))  # the BOM is for spreadsheets, not pipes
                sys.stdout.flush()
        except OutputError as exc:
            _err(f"error: {exc}")
            summary_path = None
            state["failed"] += 1
    if (state["failed"] or len(rows) > 1 or stop) and not args.quiet:
        from detector.batch_summary import tally

        _err(tally(rows) + (f"; table: {summary_path}" if summary_path is not None else ""))
    if code != EXIT_OK:
        return code
    return EXIT_FAILED if state["failed"] or stop else EXIT_OK


def _analyze_files(args, files: list[Path], options, out_dir: Path | None, rows: list[dict], state: dict) -> None:
    """Analyse ``files`` in order, appending one summary row per file; OutputError and interruption propagate."""
    from detector.analysis import analyze_audio
    from detector.atomic import atomic_write_text
    from detector.audio import load_audio
    from detector.batch_summary import failure_row, result_row

    if options.num_threads is None:  # the thread count's first look spans the model's load
        from detector.analysis import THREADS

        THREADS.prime()
    svc = _load_model(args.model, args.quiet, args.precision)
    model = svc.info.to_dict()
    bar = Progress(sys.stderr, enabled=sys.stderr.isatty() and not args.quiet)
    used: set[str] = set()
    ahead = None
    if not args.skip_existing and len(files) > 1:
        # Short files are read a few ahead and their chunks classified together (detector.batching).
        from detector.analysis import thread_count
        from detector.batching import Lookahead, PrefetchingService
        from detector.parallel_calls import plan_calls
        from detector.threads import usable_cores

        svc = PrefetchingService(svc)
        ahead = Lookahead(files, lambda p, progress: load_audio(p, progress=progress), svc, options.settings,
                          options.chunks_per_call, threads=thread_count(options),
                          batches_ahead=plan_calls(options.num_threads or usable_cores()).calls)
    for i, path in enumerate(files, start=1):
        label = f"[{i}/{len(files)}] {_short(path.name)}"
        base = None if out_dir is None else _output_name(path, used)
        try:
            if args.skip_existing and out_dir is not None and (out_dir / f"{base}.faik.json").is_file():
                json_path = out_dir / f"{base}.faik.json"
                kept = _reusable_result(json_path, path, model, options)
                if kept is not None and args.report and not (out_dir / f"{base}.faik.html").is_file():
                    kept = None  # its report was never written (stopped by a full disk, say): write both again
                if kept is not None:
                    rows.append(result_row(path, kept, str(json_path)))
                    state["done"] += 1
                    if not args.quiet:
                        print(_one_line(f"{path.name}: skipped, {json_path} is its result with this model and settings"),
                              file=sys.stderr)
                    continue
                if not args.quiet:
                    print(_one_line(f"{path.name}: {json_path} is from another version of the file, model or settings; "
                                    "analysing again"), file=sys.stderr)
            decoding = lambda f: bar.decoding(label, f)  # noqa: E731
            audio = ahead.get(path, decoding) if ahead is not None else load_audio(path, progress=decoding)
            result = analyze_audio(audio, svc, options, progress=lambda d, t: bar.chunks(label, d, t))
            if out_dir is None:
                bar.clear()
                sys.stdout.write(result.to_json(indent=None) + "\n")
                sys.stdout.flush()
                target = None
                rows.append(result_row(path, result, None))
                state["done"] += 1
            else:
                # Written and counted together: an interruption lands before or after both.
                with _signals_deferred():
                    try:
                        target_path = atomic_write_text(out_dir / f"{base}.faik.json", result.to_json() + "\n",
                                                        protect=[path])
                        if args.report:
                            from detector.report import write_html_report

                            write_html_report(out_dir / f"{base}.faik.html", result, audio)
                    except OutputError as exc:
                        bar.clear()
                        rows.append(failure_row(path, str(exc)))
                        raise
                    target = str(target_path)
                    rows.append(result_row(path, result, target))
                    state["done"] += 1
            bar.clear()
            if not args.quiet:
                print(_summary_line(path.name, result, target), file=sys.stderr)
            for w in result.provenance.get("warnings", []):
                if not args.quiet:
                    print(f"  warning: {_one_line(w)}", file=sys.stderr)
        except OutputError:
            raise
        except FaikError as exc:
            bar.clear()
            state["failed"] += 1
            state["done"] += 1
            rows.append(failure_row(path, str(exc)))
            _err(_one_line(f"{path}: {exc}"))
        except (KeyboardInterrupt, _Interrupted, AnalysisCancelled, BrokenPipeError):
            bar.clear()
            raise
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop a batch
            if args.debug:
                raise
            bar.clear()
            state["failed"] += 1
            state["done"] += 1
            why = f"unexpected error ({type(exc).__name__}: {exc}); please report it"
            rows.append(failure_row(path, why))
            _err(_one_line(f"{path}: {why}"))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _write_summary(path: Path, rows: list[dict], protect: list[Path]) -> None:
    """Write the batch table in one piece (never a half file, never over an analysed input)."""
    from detector.atomic import atomic_write_text
    from detector.batch_summary import summary_csv

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FaikError(f"cannot create the folder of --summary {path}: {exc.strerror or exc}") from None
    atomic_write_text(path, summary_csv(rows), protect=protect)


# --------------------------------------------------------------------------- model-info

def cmd_model_info(args: argparse.Namespace) -> int:
    svc = _load_model(args.model, True, args.precision)
    info = svc.info
    if args.json:
        print(json.dumps(info.to_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    rows = [
        ("name", info.name), ("source", f"{info.source} ({info.source_kind})"),
        ("architecture", info.architecture), ("parameters", f"{info.num_parameters:,}"),
        ("sample rate", f"{info.sample_rate} Hz"),
        ("labels", ", ".join(f"{k}={v}" for k, v in sorted(info.labels.items()))),
        ("AI-generated class", f"{info.ai_index} ({info.labels[info.ai_index]})"),
        ("real class", f"{info.real_index} ({info.labels[info.real_index]})"),
        ("weights sha256", info.weights_sha256), ("load time", f"{info.load_time_s:.2f} s"),
        ("device", info.device), ("precision", info.precision),
    ]
    for k, v in rows:
        print(f"{k + ':':<20} {v}")
    print()
    print("\n".join(describe_validation(info.validation)))
    return EXIT_OK


# --------------------------------------------------------------------------- evaluate

def cmd_evaluate(args: argparse.Namespace) -> int:
    from detector.evaluate import evaluate_index, format_report

    options = _options(args)
    if args.limit is not None and args.limit < 1:
        raise _UsageError("--limit must be at least 1")
    index = Path(args.index)
    root = Path(args.root) if args.root else index.parent
    if args.channel != "clean":
        from detector.channels import CHANNEL_NAMES

        if args.channel not in CHANNEL_NAMES:
            raise _UsageError(f"unknown channel {args.channel!r}; choose one of: {', '.join(CHANNEL_NAMES)}")
    svc = _load_model(args.model, args.quiet, args.precision)
    bar = Progress(sys.stderr, enabled=sys.stderr.isatty() and not args.quiet)

    def progress(done: int, total: int, name: str) -> None:
        bar.chunks("evaluate", done, total)

    rep = evaluate_index(index, root, svc, options, split=args.split, channel=args.channel,
                         limit=args.limit, progress=progress)
    bar.clear()
    print(format_report(rep))
    if args.json:
        from detector.atomic import atomic_write_text

        atomic_write_text(args.json, json.dumps(rep.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    if args.tippett and rep.n_real and rep.n_fake:
        import math

        import numpy as np

        from detector.atomic import atomic_write_bytes
        from detector.evaluate import stated_llrs
        from detector.tippett import tippett_png

        llr, _ = stated_llrs(np.array([it.prob_ai for it in rep.items]), rep.model, rep.channel)
        title = f"{rep.model.get('name', '?')} {rep.split or ''} {rep.channel}: Cllr {rep.cllr:.2f}"
        atomic_write_bytes(args.tippett, tippett_png(llr / math.log(10), [it.label for it in rep.items], title))
    return EXIT_FAILED if rep.failed else EXIT_OK


# --------------------------------------------------------------------------- entry point

def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # odd file names never crash the output
        except (AttributeError, ValueError):
            pass
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on bad usage
    handler = {"analyze": cmd_analyze, "model-info": cmd_model_info, "evaluate": cmd_evaluate}[args.command]
    try:
        return handler(args)
    except _UsageError as exc:
        parser.exit(EXIT_USAGE, f"{PROG}: error: {exc}\n")
    except ModelLoadError as exc:
        _err(f"error: {exc}")
        return EXIT_FAILED
    except (KeyboardInterrupt, _Interrupted) as exc:
        _err("interrupted")
        return exc.exit_code if isinstance(exc, _Interrupted) else EXIT_SIGINT
    except BrokenPipeError:
        # The reader went away (e.g. `faik analyze --out - ... | head -1`): stop quietly.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            pass
        return EXIT_FAILED
    except FaikError as exc:
        _err(f"error: {exc}")
        return EXIT_FAILED
    return EXIT_OK  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
