"""Compact model status (dot + name + busy bar) with a Details… window, Retry and Choose….

The panel only displays :class:`detector.model_service.ModelInfo`; loading is
done by :class:`desktop.workers.ModelLoadWorker`.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QFrame,
                               QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QRadioButton,
                               QScrollArea, QVBoxLayout, QWidget)

from desktop import style
from detector.model_validation import describe as describe_validation


class ModelPanel(QFrame):
    """States: loading (busy), ready (green dot + info), failed (reason + Retry)."""

    retry_requested = Signal()
    choose_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.state = "not-loaded"
        self._ready_info: Any = None   # the model shown as ready last (kept after a failed switch)
        self._failure = ""
        self.dot = QLabel("●")
        self.dot.setFixedWidth(16)
        self.title = QLabel("Model: not loaded")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setFixedWidth(80)
        self.busy.setMaximumHeight(12)
        self.busy.setTextVisible(False)
        # The details (about 15 lines with the error rates) open in their own window, so they
        # never push the file list and the plots down on a small screen.
        self.details_button = QPushButton("Details…")
        self.details_button.setToolTip("The model's source, architecture, weights hash and measured error rates")
        self.retry_button = QPushButton("Retry")
        self.choose_button = QPushButton("Choose model…")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {style.FAIL_COLOR};")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = ModelDetailsDialog(self)
        self.form = self.details.form
        self._fields: dict[str, QLabel] = {}
        for key in ("Name", "Source", "Architecture", "Parameters", "Labels", "Sample rate", "Weights SHA-256",
                    "Load time", "Device", "Measured errors"):
            lab = QLabel("—")
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lab.setWordWrap(True)
            self.form.addRow(key + ":", lab)
            self._fields[key] = lab
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.dot)
        top.addWidget(self.title, 1)
        top.addWidget(self.busy)
        top.addWidget(self.details_button)
        top.addWidget(self.retry_button)
        top.addWidget(self.choose_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.error)
        self.details_button.clicked.connect(self.show_details)
        self.retry_button.clicked.connect(self.retry_requested)
        self.choose_button.clicked.connect(self.choose_requested)
        self._set_dot(style.NEUTRAL_COLOR)
        self.busy.setVisible(False)
        self.retry_button.setVisible(False)
        self.error.setVisible(False)

    def show_details(self) -> None:
        """Open (or bring forward) the details window; it does not block the main window."""
        if not self.details.isVisible():
            self.details.fit_to_screen()
        self.details.show()
        self.details.raise_()
        self.details.activateWindow()

    def _set_dot(self, color: str) -> None:
        self.dot.setStyleSheet(f"color: {color}; font-size: 14pt;")

    def set_loading(self, source: str) -> None:
        self.state = "loading"
        self._set_dot(style.BUSY_COLOR)
        self.title.setText(f"Loading model: {source}…")
        self.busy.setVisible(True)
        self.retry_button.setVisible(False)
        self.error.setVisible(False)

    def set_ready(self, info: Any) -> None:
        """Show ``info`` as the model in use; right after :meth:`set_failed` for a switch that failed
        (the worker's order), the failure stays on show under the kept model."""
        switch_failed = self.state == "failed" and info is getattr(self, "_ready_info", None)
        self.state = "ready"
        self._ready_info = info
        self._set_dot(style.OK_COLOR)
        self.title.setText(f"Model ready: <b>{html.escape(info.name)}</b> ({html.escape(info.source_kind)})")
        self.busy.setVisible(False)
        self.retry_button.setVisible(False)
        if switch_failed:
            self.error.setText(self._failure[:1].upper() + self._failure[1:]
                               + f". {info.name} is still loaded and in use.")
        self.error.setVisible(switch_failed)
        labels = ", ".join(f"{k}: {v}" for k, v in sorted(info.labels.items()))
        values = {
            "Name": info.name,
            "Source": f"{info.source} ({info.source_kind})",
            "Architecture": info.architecture,
            "Parameters": f"{info.num_parameters:,}".replace(",", " "),
            "Labels": f"{labels} (AI = {info.ai_index}, real = {info.real_index})",
            "Sample rate": f"{info.sample_rate} Hz",
            "Weights SHA-256": info.weights_sha256,
            "Load time": f"{info.load_time_s:.2f} s",
            "Device": f"{info.device}, computing in {info.precision}" + (
                " (the fast format of this CPU's AMX units; scores can differ from a float32 machine's "
                "by about 0.001, see the README's --precision)" if info.precision == "bfloat16" else ""),
            # The model's own error rates on unseen data, so nobody reads a verdict without them.
            # One paragraph per channel: the sentences are long, and run together they read as one block.
            "Measured errors": "\n\n".join(describe_validation(getattr(info, "validation", None))),
        }
        for k, v in values.items():
            self._fields[k].setText(str(v))

    def set_failed(self, reason: str) -> None:
        self.state = "failed"
        self._failure = reason
        self._set_dot(style.FAIL_COLOR)
        self.title.setText("Model failed to load")
        self.busy.setVisible(False)
        self.retry_button.setVisible(True)
        self.error.setText(reason)
        self.error.setVisible(True)
        for lab in self._fields.values():
            lab.setText("—")

    def field_text(self, key: str) -> str:
        return self._fields[key].text()


class ModelDetailsDialog(QDialog):
    """The loaded model's details in a window of their own (filled by :class:`ModelPanel`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model details")
        self.setModal(False)
        self.form = QFormLayout()
        # The measured error rates run to ~40 lines (eight channels, spliced-recording figures): taller
        # than a 768-pixel laptop screen, where the dialog was cut off with no way to read the rest.
        content = QWidget()
        content.setLayout(self.form)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(content)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.scroll, 1)
        lay.addWidget(self.buttons)

    def fit_to_screen(self) -> None:
        """As large as the details need, but never taller or wider than 85 % of the screen it opens on."""
        screen = (self.parentWidget().screen() if self.parentWidget() is not None else self.screen())
        avail = screen.availableGeometry()
        content = self.scroll.widget().sizeHint()
        margins = self.layout().contentsMargins()
        extra_h = self.buttons.sizeHint().height() + self.layout().spacing() + margins.top() + margins.bottom()
        width = min(int(0.85 * avail.width()), content.width() + self.scroll.verticalScrollBar().sizeHint().width()
                    + margins.left() + margins.right())
        height = min(int(0.85 * avail.height()), content.height() + extra_h)
        self.resize(max(width, 400), max(height, 200))


class ModelSourceDialog(QDialog):
    """Pick the built-in model, a local folder, or a Hugging Face hub id."""

    def __init__(self, parent: QWidget | None = None, current: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose model")
        self.builtin = QRadioButton("Built-in model (offline)")
        self.folder = QRadioButton("Local folder (config.json + model.safetensors + preprocessor_config.json)")
        self.hub = QRadioButton("Hugging Face hub id")
        group = QButtonGroup(self)
        for b in (self.builtin, self.folder, self.hub):
            group.addButton(b)
        self.folder_edit = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.hub_edit = QLineEdit()
        from detector.model_service import SEED_HUB_MODEL_ID

        self.hub_edit.setPlaceholderText(SEED_HUB_MODEL_ID)
        note = QLabel("A hub id needs network access the first time, or a copy already in the "
                      "Hugging Face cache; without either, loading fails with a message and you can choose again.")
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {style.secondary_text(self.palette())};")
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.builtin)
        lay.addWidget(self.folder)
        lay.addLayout(row)
        lay.addWidget(self.hub)
        lay.addWidget(self.hub_edit)
        lay.addWidget(note)
        lay.addWidget(buttons)
        self.builtin.setChecked(True)
        if current:
            from pathlib import Path

            if Path(current).exists():
                self.folder.setChecked(True)
                self.folder_edit.setText(current)
            else:
                self.hub.setChecked(True)
                self.hub_edit.setText(current)
        self.folder_edit.textEdited.connect(lambda _: self.folder.setChecked(True))
        self.hub_edit.textEdited.connect(lambda _: self.hub.setChecked(True))

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Model folder", self.folder_edit.text())
        if d:
            self.folder_edit.setText(d)
            self.folder.setChecked(True)

    def source(self) -> str | None:
        """None for the built-in model, else a folder path or hub id."""
        if self.folder.isChecked() and self.folder_edit.text().strip():
            return self.folder_edit.text().strip()
        if self.hub.isChecked():
            return self.hub_edit.text().strip() or self.hub_edit.placeholderText()
        return None
