"""The exported captioner (recur caption) as torch modules with Recur's state-dict names, its frozen encoder included.

SceneEncoder (`encoder.`): the convolutional stages of a Fashion-MNIST ConvNet (conv{k} 3x3, ReLU, k x k max pooling)
over an 84 x 84 scene (pixels byte / 255), then either `conv` features (the last grid, max-pooled by grid_pool) or
`fc` features (the fully connected layer and ReLU over every non-overlapping window the size of one 28 x 28 image's
grid: one location per cell; `fc-probs`: those, then the classifier head's softmax over the classes); with coordinates
each location ends with its row and column scaled to [-1, 1].
Features (B, L, D), locations row-major. The encoder is frozen: train.py never updates it.

Captioners over the features a (B, L, D) and captions <START> w1 .. wn <END> <NULL>... (B, W), W = max_words + 2,
teacher-forced: inputs are ids 0..T-1, targets ids 1..T with <NULL> (0) ignored, T the batch's latest <END>.
  attention (Show, Attend and Tell): h_0, c_0 = init_h(mean a), init_c(mean a) (or zero); per step the additive attention
    alpha_t = softmax(score(tanh(feature(a) + query(h_{t-1})))), zhat_t = sum_i alpha_ti a_i, the gate
    beta_t = sigmoid(gate(h_{t-1})), z_t = beta_t zhat_t, an LSTMCell (`lstm.weight_ih` ...) on [embed(y_{t-1}) ; z_t],
    logits head([h_t ; z_t]); with visual words the class words' logits read z only (their h columns of head.weight
    are held at zero) plus noun_offset(h_t)[0] (singular) or [1] (plural). Hard attention reads, outside training, the
    argmax location's features (hard_decoding argmax) or the soft context.
  lstm: h_0, c_0 = init_h(a flat), init_c(a flat); nn.LSTM `rnn` over embed(y); head(h_t).
  rnn: h_t = tanh(W_ih [embed(y_t) ; image(a flat)] + W_hh h_{t-1} + b) (nn.RNN `rnn`), head(h_t).
Loss: the mean cross-entropy per word (label-smoothed in training) plus, for attention, the doubly stochastic
regulariser lam/B sum_b sum_i (1 - sum_t alpha_bti)^2 and the attention entropy gamma/B sum_b sum_t H(alpha_bt), over
each caption's steps up to its <END>.
"""

import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import recur_safetensors

NULL, START, END = 0, 1, 2


class SceneEncoder(nn.Module):
    def __init__(self, enc, grid_pool, coordinates, features):
        super().__init__()
        self.pool, self.grid_pool, self.coordinates, self.features = enc["pool"], grid_pool, coordinates, features
        cin, size = enc["in_channels"], (enc["rows"], enc["cols"])
        self.stages = len(enc["channels"])
        for k, c in enumerate(enc["channels"]):
            setattr(self, f"conv{k}", nn.Conv2d(cin, c, enc["kernel"], 1, enc["kernel"] // 2))
            cin, size = c, (size[0] // self.pool, size[1] // self.pool)
        self.window = size
        flat = cin * size[0] * size[1]
        if enc["fc"] > 0:
            self.fc = nn.Linear(flat, enc["fc"])
        self.head = nn.Linear(enc["fc"] if enc["fc"] > 0 else flat, enc["classes"])

    def forward(self, images):
        """images (N, H, W) in [0, 1] -> features (N, L, D)."""
        x = images.unsqueeze(1)
        for k in range(self.stages):
            x = F.max_pool2d(torch.relu(getattr(self, f"conv{k}")(x)), self.pool)
        if self.features in ("fc", "fc-probs"):
            gh, gw = self.window
            w = x.unfold(2, gh, gh).unfold(3, gw, gw)  # (N, C, R, Q, gh, gw)
            N, C, R, Q = w.shape[:4]
            rows = torch.relu(self.fc(w.permute(0, 2, 3, 1, 4, 5).reshape(N, R * Q, C * gh * gw)))
            if self.features == "fc-probs":  # the classifier's class probabilities of each window after its features
                rows = torch.cat([rows, torch.softmax(self.head(rows), 2)], 2)
            grid = (R, Q)
        elif self.features == "conv":
            if self.grid_pool > 1:
                x = F.max_pool2d(x, self.grid_pool)
            N, C, R, Q = x.shape
            rows, grid = x.reshape(N, C, R * Q).transpose(1, 2), (R, Q)
        else:
            raise SystemExit(f"encoder features '{self.features}' have no PyTorch counterpart here")
        if self.coordinates:
            R, Q = grid
            r = torch.arange(R * Q) // Q
            q = torch.arange(R * Q) % Q
            scaled = lambda k, n: (2.0 * k / (n - 1) - 1.0) if n > 1 else torch.zeros(k.shape)  # noqa: E731
            coords = torch.stack([scaled(r.double(), R), scaled(q.double(), Q)], 1).to(rows.dtype)
            rows = torch.cat([rows, coords.unsqueeze(0).expand(rows.shape[0], -1, -1)], 2)
        return rows


class AdditiveAttention(nn.Module):
    def __init__(self, D, H, K):
        super().__init__()
        self.feature = nn.Linear(D, K)
        self.query = nn.Linear(H, K, bias=False)
        self.score = nn.Linear(K, 1, bias=False)


class Captioner(nn.Module):
    def __init__(self, config):
        super().__init__()
        m = config["model"]
        self.m = m
        V, E, H, D, L = m["vocab"], m["embed"], m["hidden"], m["feature_dim"], m["grid_rows"] * m["grid_cols"]
        self.kind = m["kind"]
        self.embed = nn.Embedding(V, E)
        if self.kind == "attention":
            self.init_h = nn.Linear(D, H)
            self.init_c = nn.Linear(D, H)
            self.att = AdditiveAttention(D, H, m["attention_dim"])
            self.gate = nn.Linear(H, 1)
            self.lstm = nn.LSTMCell(E + D, H)
            self.head = nn.Linear(H + D, V)
            if m.get("singular_words"):
                self.noun_offset = nn.Linear(H, 2)
        elif self.kind == "lstm":
            self.init_h = nn.Linear(L * D, H)
            self.init_c = nn.Linear(L * D, H)
            self.rnn = nn.LSTM(E, H)
            self.head = nn.Linear(H, V)
        else:
            self.image = nn.Linear(L * D, H)
            self.rnn = nn.RNN(E + H, H)
            self.head = nn.Linear(H, V)
        self.encoder = SceneEncoder(config["encoder"], config["grid_pool"], config.get("coordinates", False), config.get("features", "conv"))

    def captioner_parameters(self):
        """The trained parameters (name, tensor): every one but the frozen encoder's."""
        return [(n, p) for n, p in self.named_parameters() if not n.startswith("encoder.")]

    def hold_visual_columns(self):
        """Recur holds the h columns of the class words' rows of head.weight at zero (VisualWords)."""
        ids = self.m.get("singular_words", []) + self.m.get("plural_words", [])
        if ids:
            with torch.no_grad():
                self.head.weight[torch.tensor(ids), :self.m["hidden"]] = 0

    def begin(self, a):
        """The initial state (h, c) of features a (B, L, D) and the attention's feature projection (B, L, K)."""
        B = a.shape[0]
        H = self.m["hidden"]
        if self.kind == "attention":
            if self.m.get("initial_state", "image") == "zero":
                h, c = a.new_zeros(B, H), a.new_zeros(B, H)
            else:
                mean = a.mean(1)
                h, c = self.init_h(mean), self.init_c(mean)
            return (h, c), self.att.feature(a)
        v = a.reshape(B, -1)
        if self.kind == "lstm":
            return (self.init_h(v), self.init_c(v)), None
        return a.new_zeros(B, H), self.image(v)

    def step(self, a, u, state, y, zkeep=None):
        """One step from tokens y (B): logits (B, V), the new state, alpha (B, L) or None."""
        e = self.embed(y)
        if self.kind == "lstm":
            out, (h, c) = self.rnn(e.unsqueeze(0), (state[0].unsqueeze(0), state[1].unsqueeze(0)))
            return self.head(out[0]), (h[0], c[0]), None
        if self.kind == "rnn":
            out, h = self.rnn(torch.cat([e, u], 1).unsqueeze(0), state.unsqueeze(0))
            return self.head(out[0]), h[0], None
        h, c = state
        alpha = torch.softmax(self.att.score(torch.tanh(u + self.att.query(h).unsqueeze(1))).squeeze(2), 1)
        zhat = (alpha.unsqueeze(2) * a).sum(1)
        if self.m.get("attention") == "hard" and not self.training and self.m.get("hard_decoding", "argmax") == "argmax":
            zhat = a[torch.arange(a.shape[0]), alpha.argmax(1)]
        z = torch.sigmoid(self.gate(h)) * zhat
        if zkeep is not None:
            z = z * zkeep
        h, c = self.lstm(torch.cat([e, z], 1), (h, c))
        logits = self.head(torch.cat([h, z], 1))
        singular, plural = self.m.get("singular_words", []), self.m.get("plural_words", [])
        if singular:
            Hd = self.m["hidden"]
            off = self.noun_offset(h)
            logits = logits.clone()
            for ids, k in ((singular, 0), (plural, 1)):
                if ids:
                    idx = torch.tensor(ids)
                    logits[:, idx] = F.linear(z, self.head.weight[idx, Hd:], self.head.bias[idx]) + off[:, k:k + 1]
        return logits, (h, c), alpha

    def forward(self, a, captions, context_dropout=0.0):
        """Teacher forcing: logits (T, B, V), targets (T, B) (-100 on <NULL>), alpha (T, B, L) or None."""
        B = captions.shape[0]
        T = int(max((row == END).nonzero()[0, 0].item() for row in captions))
        state, u = self.begin(a)
        logits, alphas = [], []
        for t in range(T):
            zkeep = None
            if context_dropout > 0 and self.training:
                zkeep = F.dropout(a.new_ones(B, a.shape[2]), context_dropout, True)
            lg, state, alpha = self.step(a, u, state, captions[:, t], zkeep)
            logits.append(lg)
            if alpha is not None:
                alphas.append(alpha)
        targets = captions[:, 1:T + 1].t().clone()
        targets[targets == NULL] = -100
        return torch.stack(logits), targets, (torch.stack(alphas) if alphas else None)

    def loss_sums(self, a, captions, smoothing=0.0, context_dropout=0.0):
        """(cross-entropy summed over the words, regulariser summed over the captions (not yet / B), words)."""
        logits, targets, alphas = self(a, captions, context_dropout)
        T, B, V = logits.shape
        ce = F.cross_entropy(logits.reshape(T * B, V), targets.reshape(-1), ignore_index=-100, label_smoothing=smoothing, reduction="sum")
        valid = targets != -100
        reg = logits.new_zeros(())
        if alphas is not None:
            m = self.m
            if m.get("doubly_stochastic", 0):
                colsum = (alphas * valid.unsqueeze(2)).sum(0)
                reg = reg + m["doubly_stochastic"] * ((1 - colsum) ** 2).sum()
            if m.get("attention_entropy", 0):
                counted = valid
                if m.get("attention_entropy_on", "all") == "objects":
                    cls = torch.tensor(m["singular_words"] + m["plural_words"])
                    counted = valid & (targets.unsqueeze(2) == cls).any(2)
                ent = -(alphas * torch.log(alphas.clamp_min(1e-30))).sum(2)
                reg = reg + m["attention_entropy"] * (ent * counted).sum()
        return ce, reg, int(valid.sum())

    def greedy(self, a, max_words=None):
        """Greedy captions (B, <= max_words) of features a, each ending at its <END> (ids, <END> excluded, -1 after)."""
        B = a.shape[0]
        n = max_words or self.m["max_words"]
        state, u = self.begin(a)
        y = torch.full((B,), START, dtype=torch.long)
        out = torch.full((B, n), -1, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        for t in range(n):
            logits, state, _ = self.step(a, u, state, y)
            y = logits.argmax(1)
            done = done | (y == END)
            out[:, t] = torch.where(done, torch.full_like(y, -1), y)
        return out


def build_model(config):
    return Captioner(config)


def load_named(model, tensors, source, strict=True):
    own = model.state_dict()
    missing = [n for n in own if n not in tensors] if strict else []
    extra = [n for n in tensors if n not in own]
    wrong = [n for n in own if n in tensors and tuple(tensors[n].shape) != tuple(own[n].shape)]
    if missing or extra or wrong:
        raise ValueError(f"{source}: does not fit the model: missing {missing}, unexpected {extra}, wrong shapes {wrong}")
    model.load_state_dict({n: t.to(torch.float32) for n, t in tensors.items()}, strict=strict)


def load_weights(model, path):
    load_named(model, recur_safetensors.load(path)[0], path)


def load_package(folder, weights="weights.safetensors"):
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    model = build_model(config)
    load_weights(model, os.path.join(folder, weights))
    return config, model
