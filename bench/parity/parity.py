#!/usr/bin/python3
"""The PyTorch side of docs/PARITY.md: Recur's `recur train FILE` defaults in PyTorch 1.13, and the tools
that compare initial weights and runs. Needs Debian's python3-torch and python3-numpy; run with
`OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/parity/parity.py COMMAND ...` (one thread).

  corpus OUT [--chars N] [--recursive]   ASCII-only Python 3.11 standard-library sources (sorted paths,
                                          top-level modules, or with --recursive every .py outside encodings/
                                          and test folders), cut to N characters
  stats CKPT...                           per-tensor statistics of initial weights (checkpoint folders) and of
                                          PyTorch's default initialisation (seeds 0, 1), KS tests
  variants SEED [--forget-only] INIT_DIR  from INIT_DIR/recur_s<SEED> (bench/parity/InitDump) make
                                          B_s<SEED>: Recur's init with PyTorch's forget-gate bias, and (not with
                                          --forget-only) C_s<SEED>: PyTorch's own init, D_s<SEED>: C with Recur's
                                          forget-gate bias (b_ih forget slice 1, b_hh forget slice 0)
  perturb SRC DST                         every weight of SRC moved by one float32 ulp (random direction)
  train CORPUS INIT ITERS OUT             the training run (INIT = checkpoint folder or torch:SEED); writes
                                          OUT/losses.npy, norms.npy, val.txt, model.safetensors
  score CORPUS MODEL.safetensors...       validation loss, computed as CharTrainer.Evaluate computes it
  compare RECUR_RUN TORCH_OUT             a Recur run folder (metrics.jsonl) against a `train` output
"""
import argparse
import glob
import json
import math
import os
import shutil
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Recur.Tests", "Fixtures"))
from make_training_fixtures import write_safetensors  # noqa: E402  (the fixtures' one safetensors writer)

torch.set_num_threads(1)
H, E, LAYERS, B, T, LR, CLIP, VAL_FRAC, EVAL_EVERY = 256, 64, 2, 32, 64, 2e-3, 5.0, 0.1, 1000


def read_st(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    out = {}
    for k, v in h.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        dt = {"F32": "<f4", "I64": "<i8", "F64": "<f8", "I32": "<i4"}[v["dtype"]]
        out[k] = np.frombuffer(b[8 + n + s: 8 + n + e], dtype=dt).reshape(v["shape"]).copy()
    return out


def write_st(path, tensors):
    """F32 safetensors without metadata, with the fixtures' one writer."""
    write_safetensors(path, {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}, {})


class CharRNN(nn.Module):
    """Recur's CharModel: names embedding / rnn / head, so the state dict is a Recur checkpoint's."""

    def __init__(self, V):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.rnn = nn.LSTM(E, H, LAYERS)  # time-major
        self.head = nn.Linear(H, V)

    def forward(self, x, state):
        out, state = self.rnn(self.embedding(x), state)
        return self.head(out.reshape(-1, out.shape[-1])), state


def load_text(path):
    text = open(path, encoding="utf-8", newline="").read()
    vocab = sorted(set(text))
    idx = {c: i for i, c in enumerate(vocab)}
    tokens = np.array([idx[c] for c in text], dtype=np.int64)
    n_train = int(math.floor(len(tokens) * (1.0 - VAL_FRAC)))  # DataSplits.Create
    return vocab, tokens[:n_train], tokens[n_train:]


def load_model(V, path):
    m = CharRNN(V)
    m.load_state_dict({k: torch.from_numpy(v) for k, v in read_st(path).items()})
    return m


@torch.no_grad()
def evaluate(model, tokens):
    """CharTrainer.Evaluate: min(B, n-1) contiguous streams from a zero state, chunks of T, mean over all predictions."""
    n = len(tokens)
    b = min(B, n - 1)
    L = (n - 1) // b
    t = torch.from_numpy(tokens)
    X = torch.stack([t[s * L: s * L + L] for s in range(b)], 1)
    Y = torch.stack([t[s * L + 1: s * L + L + 1] for s in range(b)], 1)
    state, total = None, 0.0
    for start in range(0, L, T):
        logits, state = model(X[start:start + T], state)
        total += float(F.cross_entropy(logits, Y[start:start + T].reshape(-1), reduction="sum"))
    return total / (b * L)


def cmd_corpus(a):
    pattern = "/usr/lib/python3.11/**/*.py" if a.recursive else "/usr/lib/python3.11/*.py"
    out, n = [], 0
    for p in sorted(glob.glob(pattern, recursive=a.recursive)):
        if any(d in p for d in ("/encodings/", "/test/", "/tests/", "/idle_test/")):
            continue  # codec tables and test data: the validation tail would be tables, not code
        try:
            t = open(p, "rb").read().decode("ascii")
        except UnicodeDecodeError:
            continue
        if "\x00" in t or "\r" in t:
            continue
        out.append(t)
        n += len(t)
        if n >= a.chars:
            break
    text = "".join(out)[:a.chars]
    open(a.out, "w", newline="").write(text)
    print(f"{a.out}: {len(text)} characters, {len(set(text))} distinct")


def ks_p(d, n):
    lam = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
    return min(max(2 * sum((-1) ** (j - 1) * math.exp(-2 * j * j * lam * lam) for j in range(1, 101)), 0.0), 1.0)


def ks(x, cdf):
    x = np.sort(x.astype(np.float64))
    n = len(x)
    c = cdf(x)
    d = max(np.max(np.arange(1, n + 1) / n - c), np.max(c - np.arange(0, n) / n))
    return d, ks_p(d, n)


def cmd_stats(a):
    normal = np.vectorize(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))))
    k = 1 / math.sqrt(H)

    def describe(tag, sd):
        for name in sd:
            w = np.asarray(sd[name], dtype=np.float64).ravel()
            extra = ""
            if name == "embedding.weight":
                d, p = ks(w, normal)
                extra = (f"  KS vs N(0,1) D={d:.4f} p={p:.3f}, lag-1 corr {np.corrcoef(w[:-1], w[1:])[0, 1]:+.4f}, "
                         f"P(|x|>3) {np.mean(np.abs(w) > 3):.4f} (0.0027)")
            elif name.startswith("rnn.weight"):
                d, p = ks(w, lambda x: (x + k) / (2 * k))
                extra = f"  KS vs U(-k,k) D={d:.4f} p={p:.3f}"
            elif name.startswith("rnn.bias"):
                f = w[H:2 * H]
                extra = f"  forget slice mean {f.mean():+.4f} std {f.std():.4f}"
            print(f"{tag:12s} {name:18s} n={len(w):6d} mean {w.mean():+.5f} std {w.std():.5f} "
                  f"min {w.min():+.4f} max {w.max():+.4f}{extra}")

    V = None
    for path in a.ckpt:
        sd = read_st(os.path.join(path, "model.safetensors"))
        V = sd["head.bias"].shape[0]
        describe(os.path.basename(path.rstrip("/")), sd)
    for seed in (0, 1):
        torch.manual_seed(seed)
        describe(f"torch_s{seed}", {n: v.numpy() for n, v in CharRNN(V or 96).state_dict().items()})
    print(f"expected: rnn.* and head.* U(-{k:g}, {k:g}) (std {k / math.sqrt(3):.5f}), embedding N(0, 1)")


def cmd_variants(a):
    src = os.path.join(a.init_dir, f"recur_s{a.seed}")
    sd = read_st(os.path.join(src, "model.safetensors"))
    V = sd["head.bias"].shape[0]

    def save(name, weights):
        d = os.path.join(a.init_dir, name)
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(src, "config.json"), d)
        write_st(os.path.join(d, "model.safetensors"), weights)

    rng = np.random.default_rng(a.seed)
    for l in range(LAYERS):
        for b in ("bias_ih", "bias_hh"):
            sd[f"rnn.{b}_l{l}"][H:2 * H] = rng.uniform(-1 / math.sqrt(H), 1 / math.sqrt(H), H).astype(np.float32)
    save(f"B_s{a.seed}", sd)
    if a.forget_only:
        return
    torch.manual_seed(a.seed)
    sd = {k: v.numpy().copy() for k, v in CharRNN(V).state_dict().items()}
    save(f"C_s{a.seed}", sd)
    for l in range(LAYERS):
        sd[f"rnn.bias_ih_l{l}"][H:2 * H] = 1.0
        sd[f"rnn.bias_hh_l{l}"][H:2 * H] = 0.0
    save(f"D_s{a.seed}", sd)


def cmd_perturb(a):
    os.makedirs(a.dst, exist_ok=True)
    shutil.copy(os.path.join(a.src, "config.json"), a.dst)
    rng = np.random.default_rng(0)
    sd = read_st(os.path.join(a.src, "model.safetensors"))
    up, down = np.float32(np.inf), np.float32(-np.inf)
    write_st(os.path.join(a.dst, "model.safetensors"),
             {k: np.nextafter(v, np.where(rng.random(v.shape) < 0.5, up, down)).astype(np.float32) for k, v in sd.items()})


def cmd_train(a):
    vocab, train, val = load_text(a.corpus)
    K = (len(train) - 1) // (B * T)  # StreamBatcher
    L = K * T
    tt = torch.from_numpy(train)
    X = torch.stack([tt[b * L: b * L + L] for b in range(B)], 1)  # (L, B): stream b = [b L, (b+1) L)
    Y = torch.stack([tt[b * L + 1: b * L + L + 1] for b in range(B)], 1)
    if a.init.startswith("torch:"):
        torch.manual_seed(int(a.init[6:]))
        model = CharRNN(len(vocab))
    else:
        model = load_model(len(vocab), os.path.join(a.init, "model.safetensors"))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    os.makedirs(a.out, exist_ok=True)
    losses, norms, vals, state, t0 = [], [], [], None, time.time()
    for it in range(a.iters):
        k = it % K
        if k == 0:
            state = None  # epoch start: zero state
        logits, state = model(X[k * T:(k + 1) * T], state)
        loss = F.cross_entropy(logits, Y[k * T:(k + 1) * T].reshape(-1))
        opt.zero_grad()
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)))
        opt.step()
        state = tuple(s.detach() for s in state)  # truncated BPTT
        losses.append(float(loss))
        if (it + 1) % 100 == 0:
            print(f"iter {it + 1} loss {loss.item():.4f} {time.time() - t0:.0f}s", flush=True)
        if (it + 1) % EVAL_EVERY == 0 or it + 1 == a.iters:
            v = evaluate(model, val)
            vals.append((it + 1, v))
            print(f"iter {it + 1} val {v:.4f}", flush=True)
    np.save(os.path.join(a.out, "losses.npy"), np.array(losses))
    np.save(os.path.join(a.out, "norms.npy"), np.array(norms))
    open(os.path.join(a.out, "val.txt"), "w").write("".join(f"{i} {v:.6f}\n" for i, v in vals))
    write_st(os.path.join(a.out, "model.safetensors"), {k: v.detach().numpy() for k, v in model.state_dict().items()})


def cmd_score(a):
    vocab, _, val = load_text(a.corpus)
    for p in a.models:
        print(f"{evaluate(load_model(len(vocab), p), val):.6f} {p}", flush=True)


def cmd_compare(a):
    rows = [json.loads(l) for l in open(os.path.join(a.recur_run, "metrics.jsonl")) if '"train"' in l]
    r = np.array([x["loss"] for x in rows])
    t = np.load(os.path.join(a.torch_out, "losses.npy"))
    n = min(len(r), len(t)) // 100 * 100
    d = np.abs(r[:n] - t[:n])
    rel = d / np.abs(t[:n])
    for th in (1e-6, 1e-4, 1e-3, 1e-2):
        first = int(np.argmax(rel > th)) + 1 if np.any(rel > th) else None
        print(f"first iteration whose losses differ by more than {th:g} relative: {first}")
    print("max |loss difference| per 100 iterations:", " ".join(f"{x:.2g}" for x in d.reshape(-1, 100).max(1)))
    print("mean loss per 100, Recur:  ", " ".join(f"{x:.3f}" for x in r[:n].reshape(-1, 100).mean(1)))
    print("mean loss per 100, PyTorch:", " ".join(f"{x:.3f}" for x in t[:n].reshape(-1, 100).mean(1)))
    m = n // 500 * 500
    print("mean (Recur - PyTorch) per 500:", " ".join(f"{x:+.4f}" for x in (r[:m] - t[:m]).reshape(-1, 500).mean(1)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("corpus"); s.add_argument("out"); s.add_argument("--chars", type=int, default=1_000_000); s.add_argument("--recursive", action="store_true")
    s = sub.add_parser("stats"); s.add_argument("ckpt", nargs="+")
    s = sub.add_parser("variants"); s.add_argument("seed", type=int); s.add_argument("init_dir"); s.add_argument("--forget-only", action="store_true")
    s = sub.add_parser("perturb"); s.add_argument("src"); s.add_argument("dst")
    s = sub.add_parser("train"); s.add_argument("corpus"); s.add_argument("init"); s.add_argument("iters", type=int); s.add_argument("out")
    s = sub.add_parser("score"); s.add_argument("corpus"); s.add_argument("models", nargs="+")
    s = sub.add_parser("compare"); s.add_argument("recur_run"); s.add_argument("torch_out")
    a = p.parse_args()
    globals()["cmd_" + a.cmd](a)


if __name__ == "__main__":
    main()
