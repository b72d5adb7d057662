#!/usr/bin/python3
"""Writes the whole-run training parity fixtures for tests/Recur.Tests/Training/TrainingParityTests.cs
(committed; the C# test does not need Python). Run from anywhere with Debian's torch 1.13 + numpy:

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tests/Recur.Tests/Fixtures/make_train_parity_fixtures.py

Each config trains the character LM of `recur train` in PyTorch for 200 iterations on parity/text.txt
(the first 6,000 characters of tiny-shakespeare; the script cuts it from src/Recur/Data/tinyshakespeare.txt
when it is missing), doing exactly what CharTrainer.Run does:

  * vocabulary = sorted set of the text's characters; tokens = their indices;
  * splits (DataSplits.Create): train = tokens[:floor(n (1 - val_frac))], val = the rest;
  * batches (StreamBatcher): K = floor((n_train - 1) / (B T)) per epoch, stream b = [b L, (b+1) L) with
    L = K T, batch k = inputs[t, b] = train[b L + k T + t], targets = the next character, time-major (T, B);
  * truncated BPTT: the state at the end of a chunk (detached) starts the next; zero state at every
    epoch start (batch 0);
  * loss = mean cross-entropy over the T*B predictions; backward; torch.nn.utils.clip_grad_norm_
    (coef = c / (||g|| + 1e-6), applied when < 1); optimizer step with the rate
    lr * lr_decay ^ floor(k / round(lr_decay_every * K)) for update k (0-based);
  * after the last iteration: the validation loss as CharTrainer.Evaluate computes it
    (SequentialBatcher: min(B, n-1) streams of floor((n-1)/B) steps, chunks of T, the last one shorter,
    zero state carried across chunks, mean over every scored prediction).

Model: nn.Embedding(V, E) -> nn.LSTM / nn.GRU (time-major, dropout 0) -> nn.Linear(H, V), attributes
named embedding / rnn / head, so the state-dict names are Recur's. Initial weights are PyTorch's own
default initialisation from torch.manual_seed(seed).

Files (safetensors, written by hand: u64 LE header length, JSON header, raw LE bytes):
  parity/text.txt                     the training text
  parity/<config>.safetensors         init.<name> (weights before iteration 1), final.<name> (after the
                                      last), losses (iters,) F32, norms (iters,) F32 (gradient norm
                                      before clipping), val_loss (1,) F32, tokens (n,) I64;
                                      __metadata__: every option (snake_case, as TrainOptions), torch version.
"""
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from make_training_fixtures import write_safetensors  # same folder: the one safetensors writer of the fixtures

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "parity")
TEXT = os.path.join(OUT, "text.txt")
SOURCE = os.path.join(HERE, "..", "..", "..", "src", "Recur", "Data", "tinyshakespeare.txt")
CHARS = 6000
ITERS = 200

# name, options (TrainOptions' meaning), torch seed of the initial weights.
# Widths are small so that the C# test runs in about a second; T, B and the text give K = 42 batches per
# epoch, so 200 iterations cross four epoch boundaries (state reset). The clipping thresholds sit inside
# the range of gradient norms each run sees, so some steps are clipped and others are not.
CONFIGS = [
    ("lstm_adam", dict(model="lstm", embed=16, hidden=32, layers=2, seq_length=16, batch_size=8,
                       optimizer="adam", lr=1e-2, lr_decay=1.0, lr_decay_every=1.0, grad_clip=0.4,
                       momentum=0.0, val_frac=0.1), 11),
    ("gru_sgd", dict(model="gru", embed=16, hidden=32, layers=2, seq_length=16, batch_size=8,
                     optimizer="sgd", lr=1.0, lr_decay=0.8, lr_decay_every=1.0, grad_clip=0.4,
                     momentum=0.0, val_frac=0.1), 12),
    ("gru_sgd_momentum", dict(model="gru", embed=16, hidden=32, layers=2, seq_length=16, batch_size=8,
                              optimizer="sgd", lr=0.1, lr_decay=1.0, lr_decay_every=1.0, grad_clip=0.4,
                              momentum=0.9, val_frac=0.1), 13),
]


class CharRNN(nn.Module):
    def __init__(self, cell, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](embed, hidden, layers)  # time-major, dropout 0
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state):
        out, state = self.rnn(self.embedding(x), state)
        return self.head(out.reshape(-1, out.shape[-1])), state


def detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def stream_batches(train, B, T):
    """StreamBatcher: K batches per epoch; batch k as (inputs, targets) of shape (T, B)."""
    K = (len(train) - 1) // (B * T)
    L = K * T
    out = []
    for k in range(K):
        x = np.empty((T, B), dtype=np.int64)
        y = np.empty((T, B), dtype=np.int64)
        for b in range(B):
            s = train[b * L + k * T: b * L + k * T + T + 1]
            x[:, b] = s[:-1]
            y[:, b] = s[1:]
        out.append((torch.from_numpy(x), torch.from_numpy(y)))
    return out


@torch.no_grad()
def evaluate(model, tokens, B, T):
    """CharTrainer.Evaluate: SequentialBatcher streams from a zero state, mean over all predictions."""
    n = len(tokens)
    b = min(B, n - 1)
    L = (n - 1) // b
    state, total = None, 0.0
    for start in range(0, L, T):
        steps = min(T, L - start)
        x = np.empty((steps, b), dtype=np.int64)
        y = np.empty((steps, b), dtype=np.int64)
        for s in range(b):
            seg = tokens[s * L + start: s * L + start + steps + 1]
            x[:, s] = seg[:-1]
            y[:, s] = seg[1:]
        logits, state = model(torch.from_numpy(x), state)
        total += float(F.cross_entropy(logits, torch.from_numpy(y).reshape(-1), reduction="sum"))
    return total / (b * L)


def run(name, o, seed, text):
    vocab = sorted(set(text))
    tokens = np.array([vocab.index(c) for c in text], dtype=np.int64)
    n = len(tokens)
    n_train = int(math.floor(n * (1.0 - o["val_frac"])))
    train, val = tokens[:n_train], tokens[n_train:]
    B, T = o["batch_size"], o["seq_length"]
    batches = stream_batches(train, B, T)
    K = len(batches)
    decay_every = max(1, int(round(o["lr_decay_every"] * K)))

    torch.manual_seed(seed)
    model = CharRNN(o["model"], len(vocab), o["embed"], o["hidden"], o["layers"])
    init = {f"init.{k}": v.detach().numpy().copy() for k, v in model.state_dict().items()}
    if o["optimizer"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=o["lr"])
    else:
        opt = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o["momentum"])

    losses, norms, state = [], [], None
    for it in range(ITERS):
        k = it % K
        if k == 0:
            state = None  # epoch start: the streams jump back, the carried state is reset to zero
        for g in opt.param_groups:
            g["lr"] = o["lr"] * o["lr_decay"] ** (it // decay_every)
        x, y = batches[k]
        logits, state = model(x, state)
        loss = F.cross_entropy(logits, y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), o["grad_clip"])
        opt.step()
        state = detach(state)
        losses.append(float(loss))
        norms.append(float(norm))

    val_loss = evaluate(model, val, B, T)
    final = {f"final.{k}": v.detach().numpy().copy() for k, v in model.state_dict().items()}
    clipped = sum(nm > o["grad_clip"] for nm in norms)
    print(f"{name}: V={len(vocab)} K={K} loss {losses[0]:.4f} -> {losses[-1]:.4f} "
          f"(min {min(losses):.4f}), val {val_loss:.4f}, norms {min(norms):.3f}..{max(norms):.3f}, "
          f"clipped {clipped}/{ITERS}")
    tensors = dict(init)
    tensors.update(final)
    tensors["losses"] = np.array(losses, dtype=np.float32)
    tensors["norms"] = np.array(norms, dtype=np.float32)
    tensors["val_loss"] = np.array([val_loss], dtype=np.float32)
    tensors["tokens"] = tokens
    md = {k: repr(v) if isinstance(v, float) else v for k, v in o.items()}
    md.update({"iters": ITERS, "seed": seed, "batches_per_epoch": K, "clipped_steps": clipped,
               "torch": torch.__version__})
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), tensors, md)


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(TEXT):
        with open(SOURCE, encoding="utf-8") as f:
            excerpt = f.read()[:CHARS]
        with open(TEXT, "w", encoding="utf-8", newline="") as f:
            f.write(excerpt)
    with open(TEXT, encoding="utf-8", newline="") as f:
        text = f.read()
    for name, o, seed in CONFIGS:
        run(name, o, seed, text)


if __name__ == "__main__":
    main()
