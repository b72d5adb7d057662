"""The exported visual dialog model (recur dialog train, src/Recur/Models/Dialog/DialogModel.cs) as torch modules with
Recur's names. Rows are round-major inside, n = r B + b (round r of dialog b):

  q = the final state of an LSTM (`embed`, `rnn`) over the left-padded question, from the zero state;
  facts_n = [q_n ; answer_embed[answer_n]] (the dialog's true answers are its history);
  history "hre": an LSTM (`history`) over the facts of rounds 0 .. R-2, h_r its output after fact r-1, h_0 = 0;
  history "memory": g = tanh(W_g facts + b_g) (`memory`), h_r = sum_{j<r} softmax_j(q_r . g_j / sqrt(H)) g_j, h_0 = 0;
  e = tanh(W_q q + b_q + W_h h) (`fuse_q`, `fuse_h`; no W_h h without history);
  z1 = att(a, e); two hops: e2 = tanh(W_e e + b_e + W_z z1) (`hop_e`, `hop_z`), z = att2(a, e2); one hop: z = z1;
  f = tanh(W_f e + b_f + W_fz z) (`fuse_e`, `fuse_z`), scores head(f), the visual answers' visual(z) instead;
  blind: no attention, f = tanh(W_f e + b_f).
The frozen scene encoder's weights (`encoder.*`) ride along in model.frozen.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import recur_load
from answer_head import AdditiveAttention, AnswerHead


class DialogModel(nn.Module):
    def __init__(self, m):
        super().__init__()
        E, H, D, K = m["embed"], m["hidden"], m["feature_dim"], m["attention_dim"]
        self.history_kind, self.hops, self.blind, self.H = m["history"], m["hops"], m["blind"], H
        self.embed = nn.Embedding(m["vocab"], E)
        self.rnn = nn.LSTM(E, H, 1)
        if self.history_kind != "none":
            self.answer_embed = nn.Embedding(m["answers"], E)
            if self.history_kind == "hre":
                self.history = nn.LSTM(H + E, H, 1)
            else:
                self.memory = nn.Linear(H + E, H)
        self.fuse_q = nn.Linear(H, H)
        if self.history_kind != "none":
            self.fuse_h = nn.Linear(H, H, bias=False)
        if not self.blind:
            self.att = AdditiveAttention(D, H, K)
            if self.hops == 2:
                self.hop_e = nn.Linear(H, H)
                self.hop_z = nn.Linear(D, H, bias=False)
                self.att2 = AdditiveAttention(D, H, K)
        AnswerHead.build(self, "fuse_e", H, D, m["fusion"], m["answers"], m.get("visual_answers") or [], self.blind)

    def earlier_rounds(self, q, answers, B, R):
        """h (N, H): what the dialog's earlier rounds say, for every row (round-major)."""
        facts = torch.cat([q, self.answer_embed(answers.t().reshape(-1))], 1)  # (N, H + E)
        first = q.new_zeros(B, self.H)
        if self.history_kind == "hre":
            if R == 1:
                return first
            out, _ = self.history(facts.reshape(R, B, -1)[:R - 1])
            return torch.cat([first, out.reshape(-1, self.H)], 0)
        g = torch.tanh(self.memory(facts)).reshape(R, B, self.H)
        qr = q.reshape(R, B, self.H)
        hs = [first]
        for r in range(1, R):
            alpha = torch.softmax((qr[r].unsqueeze(0) * g[:r]).sum(2) / math.sqrt(self.H), 0)  # (r, B)
            hs.append((alpha.unsqueeze(2) * g[:r]).sum(0))
        return torch.cat(hs, 0)

    def forward(self, features, questions, answers):
        """features (B, L, D), questions (B, R, T) int64 left-padded, answers (B, R) the dialogs' answers -> scores (B, R, A)."""
        B, R, T = questions.shape
        rows = questions.transpose(0, 1).reshape(R * B, T)  # round-major
        _, (h, _) = self.rnn(self.embed(rows.t()))
        q = h[-1]
        pre = self.fuse_q(q)
        if self.history_kind != "none":
            pre = pre + self.fuse_h(self.earlier_rounds(q, answers, B, R))
        e = torch.tanh(pre)
        z = None
        if not self.blind:
            feats = features.repeat(R, 1, 1)  # row r B + b reads dialog b's image
            z = self.att(feats, e)[0]
            if self.hops == 2:
                z = self.att2(feats, torch.tanh(self.hop_e(e) + self.hop_z(z)))[0]
        scores = AnswerHead.scores(self, "fuse_e", e, z)
        return scores.reshape(R, B, -1).transpose(0, 1)


def build_model(config):
    return DialogModel(config["model"])


def load_package(folder, weights="weights.safetensors"):
    return recur_load.load_package(folder, build_model, weights, frozen=("encoder.",))


def example_count(examples):
    return len(examples["answers"])


def training_loss(net, examples, idx):
    """Recur's training loss of the dialogs idx: the mean cross-entropy of every round's answer among all answers."""
    answers = examples["answers"][idx]
    scores = net(examples["features"][examples["scene"][idx]], examples["questions"][idx], answers)
    return F.cross_entropy(scores.reshape(-1, scores.shape[-1]), answers.reshape(-1))
