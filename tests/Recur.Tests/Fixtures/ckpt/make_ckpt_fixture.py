#!/usr/bin/python3
"""PyTorch's predictions for checkpoints exported by `recur train` (committed; the C# test
CheckpointPyTorchTests needs no Python). Proves that a Recur model.safetensors loads with
load_state_dict into nn.Embedding / nn.LSTM|GRU|RNN / nn.Linear and predicts the same.

Each case folder (lstm/, gru/, rnn_relu_onehot/) holds model.safetensors + config.json copied from a
run's best/ folder, made from this checkout with (text = the first 4000 characters of tiny-shakespeare):

    head -c 4000 src/Recur/Data/tinyshakespeare.txt > /tmp/tiny.txt
    ./recur train /tmp/tiny.txt --hidden 24 --layers 2 --embed 8 --seq-length 16 --batch-size 4 \
        --max-iters 40 --eval-every 20 --sample-length 0 --out /tmp/ck-lstm
    ./recur train /tmp/tiny.txt --model gru --hidden 24 --layers 2 --embed 8 --seq-length 16 \
        --batch-size 4 --max-iters 40 --eval-every 20 --sample-length 0 --out /tmp/ck-gru
    ./recur train /tmp/tiny.txt --model rnn --nonlinearity relu --hidden 24 --layers 1 --embed 0 \
        --seq-length 16 --batch-size 4 --lr 1e-3 --max-iters 40 --eval-every 20 --sample-length 0 --out /tmp/ck-rnn
    for c in lstm:ck-lstm gru:ck-gru rnn_relu_onehot:ck-rnn; do
        cp /tmp/${c#*:}/best/{model.safetensors,config.json} tests/Recur.Tests/Fixtures/ckpt/${c%%:*}/; done
    /usr/bin/python3 tests/Recur.Tests/Fixtures/ckpt/make_ckpt_fixture.py

The safetensors files are parsed by hand (struct + json + numpy; Debian has no safetensors package),
exactly as safetensors.torch.load_file would. For each case this writes expected.safetensors:
  inputs  I64 (T, B)      token ids, time-major: ids[t, b] = (7 * (t * B + b) + 3) % V
  logits  F32 (T*B, V)    PyTorch's head(rnn(embedding(inputs)))   (one-hot input when embed = 0)
  h_n     F32 (L, B, H)   final hidden state (and c_n for LSTM)
from a zero initial state, in float32, evaluation mode.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ["lstm", "gru", "rnn_relu_onehot"]
T, B = 20, 3

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).astype(DTYPES[info["dtype"]]))
    return out


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[arr.dtype]
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class CharRNN(nn.Module):
    """The module whose state_dict Recur's CharModel mirrors: embedding / rnn / head."""

    def __init__(self, m):
        super().__init__()
        v, e, h, layers = m["vocab_size"], m["embed"], m["hidden"], m["layers"]
        self.vocab, self.onehot = v, e == 0
        if e > 0:
            self.embedding = nn.Embedding(v, e)
        inp = e if e > 0 else v
        cell = m["cell"]
        if cell == "lstm":
            self.rnn = nn.LSTM(inp, h, layers, dropout=m["dropout"])
        elif cell == "gru":
            self.rnn = nn.GRU(inp, h, layers, dropout=m["dropout"])
        elif cell == "rnn":
            self.rnn = nn.RNN(inp, h, layers, nonlinearity=m["nonlinearity"], dropout=m["dropout"])
        else:
            raise ValueError(f"no PyTorch module for cell {cell}")
        self.head = nn.Linear(h, v)

    def forward(self, ids):  # ids (T, B)
        x = nn.functional.one_hot(ids, self.vocab).float() if self.onehot else self.embedding(ids)
        out, state = self.rnn(x)
        return self.head(out.reshape(-1, out.shape[-1])), state


def main():
    torch.set_grad_enabled(False)
    for case in CASES:
        d = os.path.join(HERE, case)
        with open(os.path.join(d, "config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        assert cfg["format"] == "recur-char-model" and cfg["version"] == 1
        m = cfg["model"]
        assert len(cfg["vocabulary"]) == m["vocab_size"]
        model = CharRNN(m).eval()
        state = read_safetensors(os.path.join(d, "model.safetensors"))
        model.load_state_dict(state, strict=True)  # names and shapes must match exactly
        v = m["vocab_size"]
        ids = torch.tensor([(7 * i + 3) % v for i in range(T * B)], dtype=torch.int64).reshape(T, B)
        logits, st = model(ids)
        tensors = {"inputs": ids.numpy(), "logits": logits.numpy().astype(np.float32)}
        if isinstance(st, tuple):
            tensors["h_n"], tensors["c_n"] = st[0].numpy(), st[1].numpy()
        else:
            tensors["h_n"] = st.numpy()
        write_safetensors(os.path.join(d, "expected.safetensors"), tensors,
                          {"torch": torch.__version__, "cell": m["cell"], "T": str(T), "B": str(B)})
        print(f"{case}: {sum(p.numel() for p in model.parameters())} parameters, logits {tuple(logits.shape)}, "
              f"mean |logit| {logits.abs().mean():.4f}")


if __name__ == "__main__":
    main()
