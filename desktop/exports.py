"""What File → Export writes: one result's JSON or HTML report, or the summary table of the whole queue.

No dialogs here (the window asks for the path): every file is written
atomically and never over an input.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from desktop.file_queue import ItemState, QueueItem
from detector.atomic import atomic_write_text
from detector.errors import FaikError

KINDS = {"json": (".faik.json", "JSON (*.json)"), "report": (".faik-report.html", "HTML report (*.html)")}


def _require_result(item: QueueItem | None) -> QueueItem:
    if item is None or item.result is None:
        raise FaikError("no result to export yet; analyse a file first")
    return item


def default_path(item: QueueItem, kind: str) -> Path:
    """``interview.faik.json`` / ``interview.faik-report.html`` beside the input."""
    return item.path.with_name(item.path.stem + KINDS[kind][0])


def write_json(item: QueueItem | None, path: str | os.PathLike) -> Path:
    """The result's JSON (the contract + provenance)."""
    item = _require_result(item)
    return atomic_write_text(path, item.result.to_json(), protect=[item.path])


def write_report(item: QueueItem | None, path: str | os.PathLike) -> Path:
    """The human-readable HTML report of the result."""
    from detector.report import write_html_report

    item = _require_result(item)
    return write_html_report(path, item.result, item.audio)


def write_summary(items: Iterable[QueueItem], path: str | os.PathLike) -> Path:
    """One CSV row per finished file (analysed, failed or cancelled): the table of ``faik analyze --summary``."""
    from detector.batch_summary import failure_row, result_row, summary_csv

    items = list(items)
    if not any(it.result is not None for it in items):
        raise FaikError("no results to export yet; analyse a file first")
    rows = []
    for it in items:
        if it.result is not None:
            rows.append(result_row(it.path, it.result))
        elif it.state in (ItemState.ERROR, ItemState.CANCELLED):
            rows.append(failure_row(it.path, it.message or it.state.value))
    return atomic_write_text(path, summary_csv(rows), protect=[it.path for it in items])
