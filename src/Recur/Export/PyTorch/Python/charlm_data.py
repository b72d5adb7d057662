"""The character-LM data pipeline exactly as `recur train` reads it (src/Recur/Data/Corpus.cs, Batchers.cs).

Text: strict UTF-8, a leading byte-order mark dropped, line ends kept as they are. Tokens: the index of each code
point in vocab.json (the run's vocabulary, never recomputed). Splits of n tokens: train = [0, floor(n (1 - val -
test))), validation up to floor(n (1 - test)) (n when test is 0), test the rest.

Training streams (StreamBatcher): K = floor((len - 1) / (B T)) batches per epoch; stream s of the B is
tokens[s L : (s + 1) L + 1], L = K T; batch k takes steps [k T, (k + 1) T) of every stream; the carried state
resets at every epoch start. With N workers, worker r reads streams [r B / N, (r + 1) B / N): together they read
exactly the batch one worker would.

Evaluation streams (SequentialBatcher): b = min(B, n - 1) streams of floor((n - 1) / b) steps, read T steps at a
time (the last chunk shorter) from a zero state carried across chunks; the loss is the mean over every target.
"""

import json
import math
import os

import torch


def read_text(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode("utf-8", errors="strict")


def text_path(folder, config, given=None):
    """The text to read: --text, else the package's copy, else the path the run recorded."""
    if given:
        return given
    copy = config.get("export", {}).get("text")
    if copy and os.path.exists(os.path.join(folder, copy)):
        return os.path.join(folder, copy)
    source = config.get("data", {}).get("source") or config.get("training", {}).get("data")
    if source and os.path.exists(source):
        return source
    raise SystemExit(f"the run's text ({source}) is not here; give it with --text FILE")


def load_tokens(folder, config, given=None):
    with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    index = {c: i for i, c in enumerate(vocab)}
    path = text_path(folder, config, given)
    text = read_text(path)
    try:
        tokens = torch.tensor([index[c] for c in text], dtype=torch.long)
    except KeyError as e:
        raise SystemExit(f"{path}: character {e.args[0]!r} is not in the model's vocabulary") from None
    want = config.get("data", {}).get("characters")
    if want is not None and want != len(tokens):
        raise SystemExit(f"{path}: {len(tokens)} characters, but the run was trained on {want}; give the same text with --text")
    return tokens


def splits(tokens, val_frac, test_frac):
    n = len(tokens)
    train_end = math.floor(n * (1.0 - val_frac - test_frac))
    val_end = n if test_frac == 0 else math.floor(n * (1.0 - test_frac))
    return {"train": tokens[:train_end], "validation": tokens[train_end:val_end], "test": tokens[val_end:]}


class StreamBatcher:
    """Recur's training batches for one worker: the streams [first, first + count) of B."""

    def __init__(self, tokens, batch, seq, first=0, count=None):
        self.B, self.T = batch, seq
        self.K = (len(tokens) - 1) // (batch * seq)
        if self.K < 1:
            raise SystemExit(f"the train split has {len(tokens)} tokens; batch {batch} x seq {seq} needs {batch * seq + 1}")
        L = self.K * seq
        count = batch if count is None else count
        rows = torch.arange(first, first + count)
        self.x = torch.stack([tokens[s * L:(s + 1) * L] for s in rows.tolist()], 1)          # (L, count)
        self.y = torch.stack([tokens[s * L + 1:(s + 1) * L + 1] for s in rows.tolist()], 1)  # (L, count)
        self.epoch, self.batch = 0, 0

    def next(self):
        """(inputs, targets (T, count), starts_epoch); advances the position."""
        k, T = self.batch, self.T
        out = (self.x[k * T:(k + 1) * T], self.y[k * T:(k + 1) * T], k == 0)
        self.batch += 1
        if self.batch == self.K:
            self.batch, self.epoch = 0, self.epoch + 1
        return out


def eval_chunks(tokens, batch, seq):
    """Recur's evaluation chunks: (inputs, targets) of (steps, b), in order."""
    b = min(batch, len(tokens) - 1)
    L = (len(tokens) - 1) // b
    x = torch.stack([tokens[s * L:(s + 1) * L] for s in range(b)], 1)
    y = torch.stack([tokens[s * L + 1:(s + 1) * L + 1] for s in range(b)], 1)
    for k in range(0, L, seq):
        yield x[k:k + seq], y[k:k + seq]


def shard(batch, rank, world):
    """(first stream, count) of this worker; the batch must divide evenly."""
    if batch % world:
        raise SystemExit(f"batch size {batch} does not divide among {world} workers; use a worker count that divides it")
    n = batch // world
    return rank * n, n
