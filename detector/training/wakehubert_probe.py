"""WakeHuBERT-tiny as a detector front end: frame features, a small network on them, a fusion with v11.

Why: the model issue's ingredient 2 (low priority): WakeHuBERT-tiny, a 0.64 M-parameter causal student
of HuBERT-base (PyPI ``ovos-ww-plugin-wakeforge==0.3.0``, Apache-2.0, ``featurizers/wakehubert-tiny/
wakehubert.onnx``: 16 kHz waveform in, 128 features at 50 Hz out), is the only self-supervised speech
front end that installs here. Its pooled statistics with a logistic regression had given ~44-49 % EER;
the issue asked whether it does better as a frame-level input to a trained network. Measured (v11's
card): no — at chance on val (49-51 % EER, modern row too) while the networks fit train (4-13 % EER),
and every fusion weight makes v11 worse. Kept as the record of that measurement, not used by a recipe.

Steps (``--work`` caches features and scores; one core is enough, ~20 min in all):

    pip install --no-deps ovos-ww-plugin-wakeforge==0.3.0
    python -m detector.training wakehubert-probe extract --data ../shared/data --work DIR
    python -m detector.training wakehubert-probe pooled  --data ../shared/data --work DIR
    python -m detector.training wakehubert-probe dev     --data ../shared/data --work DIR --arch gru --epochs 15
    python -m detector.training wakehubert-probe final   --data ../shared/data --work DIR --arch gru --epochs 15
    python -m detector.training wakehubert-probe fusion  --data ../shared/data --work DIR --scores val-scores-gru-e15.json \\
        --v11 EVAL.json   # faik evaluate --json of v11 on val, clean

Selection is on three folds of train holding out whole families (``dev``), never on val; ``final`` fits on
all of train and scores val once; ``fusion`` z-scores both on val's own scores (label-free) and reports
each weight (post hoc: v11 has no held-out train scores to choose a weight on).
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CROP, BATCH = 200, 32  # 4-s training crops at 50 Hz


def onnx_path() -> Path:
    """The WakeHuBERT-tiny ONNX file inside the installed wheel."""
    import importlib.util

    spec = importlib.util.find_spec("ovos_ww_plugin_wakeforge")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install --no-deps ovos-ww-plugin-wakeforge==0.3.0 first")
    return Path(list(spec.submodule_search_locations)[0]) / "featurizers" / "wakehubert-tiny" / "wakehubert.onnx"


def extract(data: Path, work: Path, splits: Sequence[str]) -> None:
    """Frame features of every clip of ``splits`` -> ``work/feats-{split}.npz`` (float16, one call per clip)."""
    import onnxruntime as ort

    from detector.audio import load_audio

    so = ort.SessionOptions()
    so.intra_op_num_threads = so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path()), so, providers=["CPUExecutionProvider"])
    rows = list(csv.DictReader(open(data / "index.csv", encoding="utf-8")))
    for split in splits:
        files = [r["file"] for r in rows if r["split"] == split]
        feats, audio_s, model_s, t0 = [], 0.0, 0.0, time.time()
        for f in files:
            x = load_audio(data / f).samples.astype(np.float32)
            audio_s += len(x) / 16000
            t1 = time.time()
            feats.append(sess.run(["features"], {"waveform": x[None]})[0][0].astype(np.float16))
            model_s += time.time() - t1
        np.savez(work / f"feats-{split}.npz", feats=np.concatenate(feats), lens=np.array([len(a) for a in feats]),
                 files=np.array(files))
        print(f"{split}: {len(files)} clips, {audio_s:.0f} s of audio, {audio_s / model_s:.0f}x real time "
              f"(model only), {audio_s / (time.time() - t0):.0f}x with decoding", flush=True)


def load_split(data: Path, work: Path, split: str):
    """(sequences, labels 1 = fake, families, files) from the cached features."""
    z = np.load(work / f"feats-{split}.npz")
    offs = np.concatenate([[0], np.cumsum(z["lens"])])
    seqs = [z["feats"][offs[i]:offs[i + 1]] for i in range(len(z["lens"]))]
    files = list(z["files"])
    meta = {r["file"]: r for r in csv.DictReader(open(data / "index.csv", encoding="utf-8"))}
    y = np.array([1 if meta[f]["label"] == "fake" else 0 for f in files])
    return seqs, y, np.array([meta[f]["family"] for f in files]), files


def dev_folds(y: np.ndarray, fam: np.ndarray, k: int = 3, seed: int = 0) -> np.ndarray:
    """Whole families (fake and real separately) to ``k`` folds, roughly balanced by clip count."""
    rng = np.random.RandomState(seed)
    fold = np.zeros(len(y), int)
    for lab in (0, 1):
        fams = sorted(set(fam[y == lab]))
        rng.shuffle(fams)
        fams.sort(key=lambda f: -np.sum((fam == f) & (y == lab)))  # biggest first, shuffled ties
        load = np.zeros(k)
        for f in fams:
            j = int(np.argmin(load))
            load[j] += np.sum((fam == f) & (y == lab))
            fold[(fam == f) & (y == lab)] = j
    return fold


def report(y: np.ndarray, s: np.ndarray, fam: np.ndarray) -> dict:
    """Pooled EER, the modern row's EER (val's modern families against all real clips) and ROC AUC."""
    from sklearn.metrics import roc_auc_score

    from detector.evaluate import MODERN_FAMILIES
    from detector.training.metrics import eer

    m = np.isin(fam, list(MODERN_FAMILIES)) | (y == 0)
    return {"eer": float(eer(y, s)), "modern_eer": float(eer(y[m], s[m])), "auc": float(roc_auc_score(y, s)),
            "n_modern_fake": int(np.sum(m & (y == 1)))}


def _networks():
    import torch
    from torch import nn

    class AttnPool(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.a = nn.Linear(d, 1)

        def forward(self, h, m):  # h (B, T, D), m (B, T)
            w = self.a(h).squeeze(-1).masked_fill(~m, -1e4).softmax(-1)
            mu = (w.unsqueeze(-1) * h).sum(1)
            return torch.cat([mu, ((w.unsqueeze(-1) * (h - mu.unsqueeze(1)) ** 2).sum(1) + 1e-5).sqrt()], -1)

    class CNN(nn.Module):
        def __init__(self, d=128, c=96):
            super().__init__()
            self.inp = nn.Sequential(nn.Dropout(0.1), nn.Conv1d(d, c, 1))
            self.blocks = nn.ModuleList([nn.Sequential(nn.Conv1d(c, c, 5, padding=2 * dl, dilation=dl),
                                                       nn.BatchNorm1d(c), nn.GELU()) for dl in (1, 2, 4)])
            self.pool, self.out = AttnPool(c), nn.Sequential(nn.Dropout(0.3), nn.Linear(2 * c, 1))

        def forward(self, x, m):
            h = self.inp(x.transpose(1, 2))
            for b in self.blocks:
                h = h + b(h) * m.unsqueeze(1)
            return self.out(self.pool(h.transpose(1, 2), m)).squeeze(-1)

    class GRU(nn.Module):
        def __init__(self, d=128, c=64):
            super().__init__()
            self.inp = nn.Sequential(nn.Dropout(0.1), nn.Linear(d, c), nn.GELU())
            self.rnn = nn.GRU(c, c, num_layers=2, batch_first=True, bidirectional=True, dropout=0.1)
            self.pool, self.out = AttnPool(2 * c), nn.Sequential(nn.Dropout(0.3), nn.Linear(4 * c, 1))

        def forward(self, x, m):
            h, _ = self.rnn(self.inp(x))
            return self.out(self.pool(h, m)).squeeze(-1)

    return {"cnn": CNN, "gru": GRU}


def _batch(seqs, idx, crop, rng):
    import torch

    xs = []
    for i in idx:
        s = seqs[i]
        if crop and len(s) > crop:
            o = rng.randint(0, len(s) - crop + 1)
            s = s[o:o + crop]
        xs.append(s)
    t = max(len(s) for s in xs)
    x, m = np.zeros((len(xs), t, 128), np.float32), np.zeros((len(xs), t), bool)
    for j, s in enumerate(xs):
        x[j, :len(s)], m[j, :len(s)] = s, True
    return torch.from_numpy(x), torch.from_numpy(m)


def fit_predict(arch: str, epochs: int, tr_seqs, ytr, famtr, te_seqs, seed: int = 0):
    """Train ``arch`` on the train sequences (classes 50/50, families damped by 1/sqrt(count), 4-s crops,
    a time mask, AdamW one-cycle) and score the test sequences whole; returns (scores, parameters)."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    cat = np.concatenate(tr_seqs).astype(np.float32)
    mu, sd = cat.mean(0), cat.std(0) + 1e-5
    trn = [(s.astype(np.float32) - mu) / sd for s in tr_seqs]
    ten = [(s.astype(np.float32) - mu) / sd for s in te_seqs]
    w = np.zeros(len(ytr))
    for lab in (0, 1):
        for f in set(famtr[ytr == lab]):
            sel = (ytr == lab) & (famtr == f)
            w[sel] = 1.0 / np.sqrt(sel.sum())
        w[ytr == lab] *= 0.5 / w[ytr == lab].sum()
    net = _networks()[arch]()
    opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-2)
    steps = len(ytr) // BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=epochs * steps)
    for _ in range(epochs):
        net.train()
        for _ in range(steps):
            idx = rng.choice(len(ytr), BATCH, p=w)
            x, m = _batch(trn, idx, CROP, rng)
            for j in range(len(idx)):  # time masking
                t0 = rng.randint(0, max(1, m[j].sum().item() - 20))
                x[j, t0:t0 + rng.randint(0, 20)] = 0
            loss = F.binary_cross_entropy_with_logits(net(x, m), torch.from_numpy(ytr[idx]).float())
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    net.eval()
    with torch.no_grad():
        out = [net(*_batch([s], [0], None, rng)).item() for s in ten]
    return np.array(out), sum(p.numel() for p in net.parameters())


def pooled_stats(seqs) -> np.ndarray:
    """Mean, std, 10/50/90th percentiles, mean |delta| and delta std per feature (896 numbers a clip)."""
    out = []
    for s in seqs:
        s = s.astype(np.float32)
        d = np.diff(s, axis=0) if len(s) > 1 else np.zeros_like(s)
        out.append(np.concatenate([s.mean(0), s.std(0), *np.percentile(s, [10, 50, 90], axis=0),
                                   np.abs(d).mean(0), d.std(0)]))
    return np.array(out)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m detector.training wakehubert-probe STEP --data DIR --work DIR`` (see the module docstring)."""
    import argparse

    from detector.training.metrics import eer

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("step", choices=["extract", "pooled", "dev", "final", "fusion"])
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--work", required=True, type=Path, help="folder for the features and scores")
    p.add_argument("--arch", choices=["gru", "cnn"], default="gru")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--scores", help="fusion: a val-scores-*.json written by 'final' (in --work)")
    p.add_argument("--v11", type=Path, help="fusion: faik evaluate --json of the model to fuse with (val, clean)")
    a = p.parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    if a.step == "extract":
        extract(a.data, a.work, ["train", "val"])
        return 0
    if a.step == "fusion":
        meta = {r["file"]: r for r in csv.DictReader(open(a.data / "index.csv", encoding="utf-8"))}
        prob = {it["file"]: it["prob_ai"] for it in json.loads(a.v11.read_text())["items"]}
        w = json.loads((a.work / a.scores).read_text())
        files, sw = w["files"], np.array(w["scores"])
        y = np.array([1 if meta[f]["label"] == "fake" else 0 for f in files])
        fam = np.array([meta[f]["family"] for f in files])
        pv = np.clip(np.array([prob[f] for f in files]), 1e-6, 1 - 1e-6)
        lv = np.log(pv / (1 - pv))
        z = lambda v: (v - v.mean()) / v.std()  # noqa: E731 - val's own score spread, no labels
        print("model alone", json.dumps(report(y, lv, fam)))
        print(a.scores, "alone", json.dumps(report(y, sw, fam)))
        for wt in (0.1, 0.2, 0.3):
            print(f"fusion w={wt}", json.dumps(report(y, (1 - wt) * z(lv) + wt * z(sw), fam)))
        return 0
    seqs, y, fam, _ = load_split(a.data, a.work, "train")
    fold = dev_folds(y, fam)
    if a.step == "pooled":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        sv, yv, fv, files_v = load_split(a.data, a.work, "val")
        xt, xv = pooled_stats(seqs), pooled_stats(sv)
        balance = lambda t: np.where(t == 1, 0.5 / t.mean(), 0.5 / (1 - t.mean()))  # noqa: E731
        dev = {}
        for c in (0.001, 0.01, 0.1, 1.0):
            errs = []
            for k in range(3):
                tr, de = fold != k, fold == k
                m = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000))
                m.fit(xt[tr], y[tr], logisticregression__sample_weight=balance(y[tr]))
                errs.append(eer(y[de], m.decision_function(xt[de])))
            dev[c] = float(np.mean(errs))
        c = min(dev, key=dev.get)
        m = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000))
        m.fit(xt, y, logisticregression__sample_weight=balance(y))
        s = m.decision_function(xv)
        r = {**report(yv, s, fv), "model": "pooled-logreg", "C": c, "dev": dev}
        print(json.dumps(r))
        (a.work / "val-scores-pooled.json").write_text(json.dumps({**r, "files": files_v, "scores": s.tolist()}))
        return 0
    t0 = time.time()
    if a.step == "dev":
        errs = []
        for k in range(3):
            tr, de = np.where(fold != k)[0], np.where(fold == k)[0]
            s, n = fit_predict(a.arch, a.epochs, [seqs[i] for i in tr], y[tr], fam[tr], [seqs[i] for i in de])
            errs.append(eer(y[de], s))
            print(f"{a.arch} {a.epochs} epochs, fold {k}: EER {errs[-1]:.4f} ({time.time() - t0:.0f} s)", flush=True)
        print(json.dumps({"arch": a.arch, "epochs": a.epochs, "params": n, "dev_eers": errs,
                          "dev_mean": float(np.mean(errs))}))
        return 0
    sv, yv, fv, files_v = load_split(a.data, a.work, "val")
    scores, n = fit_predict(a.arch, a.epochs, seqs, y, fam, list(sv) + list(seqs))
    s, s_train = scores[:len(sv)], scores[len(sv):]
    r = {**report(yv, s, fv), "model": f"{a.arch}-e{a.epochs}", "params": n, "secs": time.time() - t0,
         "train_insample_eer": float(eer(y, s_train))}
    print(json.dumps(r))
    (a.work / f"val-scores-{a.arch}-e{a.epochs}.json").write_text(json.dumps({**r, "files": files_v,
                                                                              "scores": s.tolist()}))
    return 0
