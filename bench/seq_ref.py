#!/usr/bin/python3
"""PyTorch 1.13 references for the sequence speed race (bench/Recur.Bench/SequenceSpeedBench.cs): the same models as
Recur's Tagger and Seq2SeqModel, trained with Adam and gradient norm clipping on random batches of the same shapes.

  --model tag: word embedding (5,000 x 64) + a packed character BiLSTM (16 -> 32 per direction) over each word's
               characters (3 to 10), a packed sentence BiLSTM (128 per direction) over sentences of 8 to 40 tokens,
               a linear layer to 12 tags. Tokens/s counts sentence tokens.
  --model g2p: letters (30) -> packed BiLSTM encoder (128 per direction) -> bridge -> LSTM decoder (256) with
               additive attention (128) over words of 3 to 12 letters, outputs of 3 to 12 phonemes (72 symbols).
               Tokens/s counts output phonemes (with the end symbol).
Prints one JSON line: seconds, tokens_per_s, threads.
"""

import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embed = nn.Embedding(5000, 64)
        self.char_embed = nn.Embedding(80, 16)
        self.char_rnn = nn.LSTM(16, 32, bidirectional=True)
        self.rnn = nn.LSTM(128, 128, bidirectional=True)
        self.head = nn.Linear(256, 12)

    def forward(self, words, lengths, chars, char_lengths, targets):
        c = self.char_embed(chars)  # (Tc, N, 16)
        _, (hn, _) = self.char_rnn(pack_padded_sequence(c, char_lengths, enforce_sorted=False))
        cv = torch.cat([hn[0], hn[1]], 1)  # (N, 64)
        T, B = words.shape
        x = torch.zeros(T, B, 128)
        mask = torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)
        x[mask] = torch.cat([self.word_embed(words[mask]), cv], 1)
        out, _ = self.rnn(pack_padded_sequence(x, lengths, enforce_sorted=False))
        out, _ = pad_packed_sequence(out, total_length=T)
        return F.cross_entropy(self.head(out).reshape(T * B, -1), targets.reshape(-1), ignore_index=-100)


class G2p(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_embed = nn.Embedding(30, 64)
        self.encoder = nn.LSTM(64, 128, bidirectional=True)
        self.bridge = nn.Linear(256, 256)
        self.tgt_embed = nn.Embedding(72, 64)
        self.att_feature = nn.Linear(256, 128)
        self.att_query = nn.Linear(256, 128, bias=False)
        self.att_score = nn.Linear(128, 1, bias=False)
        self.decoder = nn.LSTMCell(64 + 256, 256)
        self.head = nn.Linear(256 + 256, 72)

    def forward(self, src, lengths, inputs, targets):
        Ts, B = src.shape
        out, (hn, _) = self.encoder(pack_padded_sequence(self.src_embed(src), lengths, enforce_sorted=False))
        out, _ = pad_packed_sequence(out, total_length=Ts)
        ann = out.transpose(0, 1)
        mask = torch.arange(Ts).unsqueeze(0) >= lengths.unsqueeze(1)
        h = torch.tanh(self.bridge(torch.cat([hn[0], hn[1]], 1)))
        c = torch.zeros_like(h)
        u = self.att_feature(ann)
        emb = self.tgt_embed(inputs)
        outs = []
        for t in range(inputs.shape[0]):
            e = self.att_score(torch.tanh(u + self.att_query(h).unsqueeze(1))).squeeze(2)
            alpha = torch.softmax(e.masked_fill(mask, float("-inf")), 1)
            z = (alpha.unsqueeze(2) * ann).sum(1)
            h, c = self.decoder(torch.cat([emb[t], z], 1), (h, c))
            outs.append(torch.cat([h, z], 1))
        logits = self.head(torch.stack(outs))
        return F.cross_entropy(logits.reshape(-1, 72), targets.reshape(-1), ignore_index=-100)


def tag_batch(g, B):
    lengths = torch.randint(8, 41, (B,), generator=g)
    T = int(lengths.max())
    words = torch.randint(2, 5000, (T, B), generator=g)
    targets = torch.randint(0, 12, (T, B), generator=g)
    mask = torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)
    words[~mask] = 0
    targets[~mask] = -100
    N = int(lengths.sum())
    char_lengths = torch.randint(3, 11, (N,), generator=g)
    chars = torch.randint(2, 80, (int(char_lengths.max()), N), generator=g)
    chars[torch.arange(chars.shape[0]).unsqueeze(1) >= char_lengths.unsqueeze(0)] = 0
    return (words, lengths, chars, char_lengths, targets), N


def g2p_batch(g, B):
    lengths = torch.randint(3, 13, (B,), generator=g)
    src = torch.randint(2, 30, (int(lengths.max()), B), generator=g)
    src[torch.arange(src.shape[0]).unsqueeze(1) >= lengths.unsqueeze(0)] = 0
    tl = torch.randint(3, 13, (B,), generator=g)
    T = int(tl.max()) + 1
    inputs = torch.randint(3, 72, (T, B), generator=g)
    inputs[0] = 1
    targets = torch.randint(3, 72, (T, B), generator=g)
    for b in range(B):
        targets[tl[b], b] = 2
        targets[tl[b] + 1:, b] = -100
    return (src, lengths, inputs, targets), int((tl + 1).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["tag", "g2p"], required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Tagger() if a.model == "tag" else G2p()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(1)
    make = tag_batch if a.model == "tag" else g2p_batch
    data = [make(g, a.batch) for _ in range(8)]

    def step(i):
        args, n = data[i % len(data)]
        opt.zero_grad()
        loss = model(*args)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return n

    for i in range(3):
        step(i)
    t0 = time.perf_counter()
    tokens = sum(step(i) for i in range(a.iters))
    s = time.perf_counter() - t0
    print(json.dumps({"seconds": s, "tokens_per_s": tokens / s, "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
