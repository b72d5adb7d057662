"""The exported video model (recur video train, src/Recur/Models/Video/VideoClassifier.cs) as torch modules with Recur's
names. Each frame's features x_t (B, D) are projected, p_t = relu(W_in x_t + b_in) (`proj`); a stack of cells (`rnn`:
torch's fused nn.LSTM / nn.GRU / nn.RNN, cells.py for every other cell) reads p_1 .. p_T from the zero state; every
step's output scores the classes visible in its frame (`visible`) and the top layer's last state the clip's action
(`action`). The baselines read no recurrence: "average" scores the action from the frames' mean projection, "middle"
from p_{T // 2}, and both score each frame's classes from its own p_t. The frozen frame encoder's weights
(`encoder.*`) ride along in model.frozen: the features come with the evaluation set.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

import recur_load
from cells import CellStack

FUSED = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN, "rnn-relu": nn.RNN}
BASELINES = ("average", "middle")


class VideoClassifier(nn.Module):
    def __init__(self, m):
        super().__init__()
        cell, P, H, L = m["model"], m["projection"], m["hidden"], m["layers"]
        self.kind = cell
        self.proj = nn.Linear(m["feature_dim"], P)
        if cell in FUSED:
            kw = dict(nonlinearity="relu" if cell == "rnn-relu" else "tanh") if cell.startswith("rnn") else {}
            self.rnn = FUSED[cell](P, H, L, dropout=m["dropout"] if L > 1 else 0.0, **kw)
        elif cell not in BASELINES:
            self.rnn = CellStack(cell, P, H, L, m["dropout"])
        W = P if cell in BASELINES else H
        self.visible = nn.Linear(W, m["classes"])
        self.action = nn.Linear(W, m["actions"])

    def forward(self, x):
        """x (T, B, D) -> action logits (B, A), visibility logits (T, B, C)."""
        p = torch.relu(self.proj(x))
        if self.kind in BASELINES:
            per_frame, state = p, (p.mean(0) if self.kind == "average" else p[p.shape[0] // 2])
        else:
            per_frame, s = self.rnn(p)
            h = s[0] if isinstance(s, tuple) else s
            state = h[-1]
        return self.action(state), self.visible(per_frame)


def build_model(config):
    return VideoClassifier(config["model"])


def load_package(folder, weights="weights.safetensors"):
    return recur_load.load_package(folder, build_model, weights, frozen=("encoder.",))


def example_count(examples):
    return len(examples["actions"])


def training_loss(net, examples, idx):
    """Recur's training loss of the clips idx: the action's cross-entropy (mean over the clips) plus the visibility's
    binary cross-entropy summed over the classes and averaged over the frames."""
    x = examples["x"][idx].transpose(0, 1)
    action, visible = net(x)
    labels = examples["visible"][idx].transpose(0, 1)
    return F.cross_entropy(action, examples["actions"][idx]) + \
        F.binary_cross_entropy_with_logits(visible, labels, reduction="sum") / (x.shape[0] * x.shape[1])
