"""The exported image classifier (recur classify) as torch modules with Recur's state-dict names.

Recurrent (SequenceClassifier): an image (B, rows, cols) read as `rows` steps of `cols` pixels, x (T, B, I), through
a stack of cells (`rnn`: torch's fused nn.LSTM / nn.GRU / nn.RNN for those cells, cells.py for every other); the top
layer's last hidden state, dropout, then the linear `head` to the class logits.
Convolutional (ConvNet, --model cnn): stages conv{k} (3x3, padding 1), ReLU, k x k max pooling; flatten, dropout, the
fully connected `fc` with ReLU and dropout (when fc > 0), then `head`. Input (B, 1, rows, cols).
Pixels are byte / 255.
"""

import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import recur_safetensors
from cells import CellStack

FUSED = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN, "rnn-relu": nn.RNN}


class SequenceClassifier(nn.Module):
    def __init__(self, m):
        super().__init__()
        cell, H, L = m["cell"], m["hidden"], m["layers"]
        if cell in FUSED:
            kw = dict(nonlinearity="relu" if cell == "rnn-relu" else "tanh") if cell.startswith("rnn") else {}
            self.rnn = FUSED[cell](m["input_size"], H, L, dropout=m["dropout"] if L > 1 else 0.0, **kw)
        else:
            self.rnn = CellStack(cell, m["input_size"], H, L, m["dropout"])
        self.drop = nn.Dropout(m["dropout"])
        self.head = nn.Linear(H, m["classes"])

    def forward(self, images):
        """images (B, rows, cols) in [0, 1] -> logits (B, K)."""
        x = images.permute(1, 0, 2)
        _, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state
        return self.head(self.drop(h[-1]))


class ConvNet(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.pool, self.dropout = m["pool"], m["dropout"]
        cin, size = m["in_channels"], (m["rows"], m["cols"])
        self.stages = len(m["channels"])
        for k, c in enumerate(m["channels"]):
            setattr(self, f"conv{k}", nn.Conv2d(cin, c, m["kernel"], 1, m["kernel"] // 2))
            cin, size = c, (size[0] // self.pool, size[1] // self.pool)
        flat = cin * size[0] * size[1]
        if m["fc"] > 0:
            self.fc = nn.Linear(flat, m["fc"])
        self.head = nn.Linear(m["fc"] if m["fc"] > 0 else flat, m["classes"])

    def forward(self, images):
        """images (B, rows, cols) in [0, 1] -> logits (B, K)."""
        x = images.unsqueeze(1)
        for k in range(self.stages):
            x = F.max_pool2d(torch.relu(getattr(self, f"conv{k}")(x)), self.pool)
        x = F.dropout(x.flatten(1), self.dropout, self.training)
        if hasattr(self, "fc"):
            x = F.dropout(torch.relu(self.fc(x)), self.dropout, self.training)
        return self.head(x)


def build_model(config):
    m = config["model"]
    return ConvNet(m) if m.get("architecture") == "cnn" else SequenceClassifier(m)


def load_named(model, tensors, source):
    own = model.state_dict()
    missing = [n for n in own if n not in tensors]
    extra = [n for n in tensors if n not in own]
    wrong = [n for n in own if n in tensors and tuple(tensors[n].shape) != tuple(own[n].shape)]
    if missing or extra or wrong:
        raise ValueError(f"{source}: does not fit the model: missing {missing}, unexpected {extra}, wrong shapes {wrong}")
    model.load_state_dict({n: t.to(torch.float32) for n, t in tensors.items()}, strict=True)


def load_weights(model, path):
    load_named(model, recur_safetensors.load(path)[0], path)


def load_package(folder, weights="weights.safetensors"):
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    model = build_model(config)
    load_weights(model, os.path.join(folder, weights))
    return config, model
