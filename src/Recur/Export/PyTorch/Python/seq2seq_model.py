"""The exported sequence-to-sequence models (recur g2p, recur translate) as torch modules with Recur's state-dict names.

Source ids (Ts, B) time-major (0 on padding) with their lengths; targets <START> y1 .. yn <END> <NULL>... (B, W),
W = max_target + 2; teacher forcing reads ids 0..T-1 and predicts ids 1..T (<NULL> ignored), T the batch's latest <END>.

Seq2SeqModel (g2p --model lstm, translate --model rnn; Bahdanau et al. 2015, Luong et al. 2015): `src_embed`, a packed
bidirectional nn.LSTM `encoder` (dropout between layers), h_0 = tanh(bridge([h_fwd ; h_bwd])) of the top layer,
c_0 = 0; per step from h_{t-1} the attention over the annotations (masked to each source's length): additive
(`att.feature`, `att.query`, `att.score`: score . tanh(feature(a_i) + query(h))) or multiplicative (`att.proj`:
h . proj(a_i)) or none; an LSTMCell `decoder` on [tgt_embed(y_{t-1}) ; z_t]; logits head([h_t ; z_t]). Dropout in
training on the source embeddings and the head's input.

TransformerSeq2SeqModel (g2p --model transformer): nn.Transformer's pre-norm encoder and decoder (relu, batch_first,
final norms), embeddings scaled by sqrt(d_model) plus fixed sinusoids, the source padding mask on the encoder and
every cross-attention, the causal mask on the decoder; logits F.linear(z, head.weight or tgt_embed.weight (tied),
head.bias).

greedy(): the most probable symbol at every step until <END>, at most max_target symbols (then <END> is forced), as
Recur's GreedyDecoder.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import recur_load

PAD, START, END, IGNORE = 0, 1, 2, -100


class AdditiveAttention(nn.Module):
    def __init__(self, D, H, K):
        super().__init__()
        self.feature = nn.Linear(D, K)
        self.query = nn.Linear(H, K, bias=False)
        self.score = nn.Linear(K, 1, bias=False)

    def scores(self, ann, u, h):
        return self.score(torch.tanh(u + self.query(h).unsqueeze(1))).squeeze(2)


class MultiplicativeAttention(nn.Module):
    def __init__(self, D, H):
        super().__init__()
        self.proj = nn.Linear(D, H, bias=False)

    def scores(self, ann, u, h):
        return (u * h.unsqueeze(1)).sum(2)


class Seq2SeqModel(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        E, He, H = m["embed"], m["hidden"], m["decoder_hidden"]
        D = 2 * He if m["attention"] != "none" else 0
        self.src_embed = nn.Embedding(m["source_vocab"], E)
        self.encoder = nn.LSTM(E, He, m["layers"], bidirectional=True, dropout=m["dropout"] if m["layers"] > 1 else 0.0)
        self.bridge = nn.Linear(2 * He, H)
        self.tgt_embed = nn.Embedding(m["target_vocab"], E)
        if m["attention"] == "bahdanau":
            self.att = AdditiveAttention(2 * He, H, m["attention_dim"])
        elif m["attention"] == "luong":
            self.att = MultiplicativeAttention(2 * He, H)
        self.decoder = nn.LSTMCell(E + D, H)
        self.head = nn.Linear(H + D, m["target_vocab"])

    def begin(self, source, lengths):
        """The decoding state: annotations (B, Ts, 2He), their projection, the padding mask (B, Ts), (h_0, c_0)."""
        x = F.dropout(self.src_embed(source), self.m["dropout"], self.training)
        out, (hn, _) = self.encoder(pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False))
        ann = pad_packed_sequence(out, total_length=source.shape[0])[0].transpose(0, 1)
        h = torch.tanh(self.bridge(torch.cat([hn[-2], hn[-1]], 1)))
        mask = (torch.arange(source.shape[0]).unsqueeze(0) >= lengths.cpu().unsqueeze(1)).to(source.device)
        u = None
        if self.m["attention"] == "bahdanau":
            u = self.att.feature(ann)
        elif self.m["attention"] == "luong":
            u = self.att.proj(ann)
        return {"ann": ann, "u": u, "mask": mask, "h": h, "c": torch.zeros_like(h)}

    def step(self, s, y):
        """Logits (B, V) of the next symbol after y (B); moves the state s."""
        e = self.tgt_embed(y)
        if self.m["attention"] != "none":
            alpha = torch.softmax(self.att.scores(s["ann"], s["u"], s["h"]).masked_fill(s["mask"], float("-inf")), 1)
            z = (alpha.unsqueeze(2) * s["ann"]).sum(1)
            s["h"], s["c"] = self.decoder(torch.cat([e, z], 1), (s["h"], s["c"]))
            hz = torch.cat([s["h"], z], 1)
        else:
            s["h"], s["c"] = self.decoder(e, (s["h"], s["c"]))
            hz = s["h"]
        return self.head(F.dropout(hz, self.m["dropout"], self.training))

    def forward(self, source, lengths, inputs):
        """Teacher forcing: inputs (T, B) -> logits (T, B, V)."""
        s = self.begin(source, lengths)
        return torch.stack([self.step(s, inputs[t]) for t in range(inputs.shape[0])])


def sinusoids(positions, d):
    pe = torch.zeros(positions, d)
    p = torch.arange(positions, dtype=torch.float64).unsqueeze(1)
    rate = 10000.0 ** (-2.0 * torch.arange(d // 2, dtype=torch.float64) / d)
    pe[:, 0::2] = torch.sin(p * rate).float()
    pe[:, 1::2] = torch.cos(p * rate).float()
    return pe


class Head(nn.Module):
    def __init__(self, vocab, d, tied):
        super().__init__()
        if not tied:
            self.weight = nn.Parameter(torch.zeros(vocab, d))
        self.bias = nn.Parameter(torch.zeros(vocab))


class TransformerSeq2SeqModel(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        d = m["d_model"]
        self.src_embed = nn.Embedding(m["source_vocab"], d)
        self.tgt_embed = nn.Embedding(m["target_vocab"], d)
        t = nn.Transformer(d_model=d, nhead=m["heads"], num_encoder_layers=m["encoder_layers"], num_decoder_layers=m["decoder_layers"],
                           dim_feedforward=m["feed_forward"], dropout=m["dropout"], activation="relu", batch_first=True, norm_first=True)
        self.encoder, self.decoder = t.encoder, t.decoder
        self.head = Head(m["target_vocab"], d, m["tie_embeddings"])

    def begin(self, source, lengths):
        src = source.t()
        pad = (torch.arange(src.shape[1]).unsqueeze(0) >= lengths.cpu().unsqueeze(1)).to(source.device)
        pe = sinusoids(max(src.shape[1], self.m["max_target"] + 2), self.m["d_model"]).to(source.device)
        x = F.dropout(self.src_embed(src) * math.sqrt(self.m["d_model"]) + pe[:src.shape[1]], self.m["dropout"], self.training)
        return {"memory": self.encoder(x, src_key_padding_mask=pad), "pad": pad, "ys": []}

    def decode(self, s, inputs):
        """inputs (B, T) -> logits (B, T, V)."""
        T = inputs.shape[1]
        pe = sinusoids(max(T, 1), self.m["d_model"]).to(inputs.device)
        y = F.dropout(self.tgt_embed(inputs) * math.sqrt(self.m["d_model"]) + pe[:T], self.m["dropout"], self.training)
        causal = nn.Transformer.generate_square_subsequent_mask(T).to(inputs.device)
        z = self.decoder(y, s["memory"], tgt_mask=causal, memory_key_padding_mask=s["pad"])
        w = self.tgt_embed.weight if self.m["tie_embeddings"] else self.head.weight
        return F.linear(z, w, self.head.bias)

    def step(self, s, y):
        s["ys"].append(y)
        return self.decode(s, torch.stack(s["ys"], 1))[:, -1]

    def forward(self, source, lengths, inputs):
        return self.decode(self.begin(source, lengths), inputs.t()).transpose(0, 1)


def greedy(net, source, lengths, max_tokens):
    """Greedy outputs: a list of B symbol lists (without <START> and <END>)."""
    s = net.begin(source, lengths)
    B = source.shape[1]
    y = torch.full((B,), START, dtype=torch.long)
    out, done = [[] for _ in range(B)], [False] * B
    for step in range(max_tokens + 1):
        if all(done):
            break
        logits = net.step(s, y)
        nxt = logits.argmax(1) if step < max_tokens else torch.full((B,), END, dtype=torch.long)
        for b in range(B):
            if done[b]:
                nxt[b] = START
            elif int(nxt[b]) == END:
                done[b] = True
            else:
                out[b].append(int(nxt[b]))
        y = nxt
    return out


def family(config):
    """lstm (Seq2SeqModel) or transformer: g2p's model_kind, translate's architecture (rnn is the LSTM model)."""
    kind = config.get("model_kind") or config.get("architecture") or "lstm"
    return "transformer" if kind == "transformer" else "lstm"


def build_model(config):
    return TransformerSeq2SeqModel(config["model"]) if family(config) == "transformer" else Seq2SeqModel(config["model"])


def load_package(folder, weights="weights.safetensors"):
    return recur_load.load_package(folder, build_model, weights)


def teacher_forcing(targets):
    """targets (B, W) <START> y1 .. yn <END> <NULL>... -> the inputs (T, B), ids 0..T-1, and the symbols they predict
    (T, B), ids 1..T with <NULL> as -100 (ignored); T the batch's latest <END> (Recur's CaptionSteps)."""
    T = int(max((row == END).nonzero()[0, 0].item() for row in targets))
    gold = targets[:, 1:T + 1].t().clone()
    gold[gold == PAD] = IGNORE
    return targets[:, :T].t(), gold


def example_count(examples):
    return len(examples["source_offsets"]) - 1


def training_sums(net, examples, idx):
    """(the summed cross-entropy, label-smoothed as the run's, of the pairs idx's target symbols under teacher forcing,
    their number): Recur's loss is its mean per symbol. The pairs are train_set.safetensors' ragged `source` and
    `target` (y1 .. yn, without <START> and <END>) by `source_offsets` and `target_offsets`, ids as Recur encodes them."""
    src = recur_load.rows(examples["source"], examples["source_offsets"], idx)
    ends = torch.tensor([START, END], dtype=torch.long, device=src[0].device)
    tgt = [torch.cat([ends[:1], y, ends[1:]]) for y in recur_load.rows(examples["target"], examples["target_offsets"], idx)]
    inputs, gold = teacher_forcing(recur_load.padded(tgt, PAD))
    logits = net(recur_load.padded(src, PAD).t(), torch.tensor([len(s) for s in src]), inputs)
    smoothing = getattr(net, "module", net).m.get("label_smoothing", 0.0)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[2]), gold.reshape(-1), ignore_index=IGNORE, label_smoothing=smoothing,
                           reduction="sum")
    return loss, int((gold != IGNORE).sum())
