#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's Transformer encoder-decoder (src/Recur/Models/Seq2Seq/TransformerSeq2SeqModel.cs),
built from torch.nn pieces in float64 with autograd: nn.Embedding tables scaled by sqrt(D) plus the fixed sinusoidal
positions, the encoder and decoder of nn.Transformer(norm_first=True, activation="relu", batch_first=True, dropout=0)
(pre-norm layers, final encoder.norm and decoder.norm), a source key padding mask on the encoder's self-attention and
on every decoder cross-attention, the causal mask on the decoder's self-attention, and an output projection head
(its own head.weight, or tgt_embed.weight when tied, plus head.bias). Loss: mean cross-entropy per target symbol
(padding ignored), with label_smoothing in the training loss when the case smooths.

Every parameter (the state-dict names of this module, which are Recur's) is drawn at a generic point (LayerNorm gains
and shifts too). Files hold source (Ts, B) time-major and targets (B, MaxTarget + 2) as floats, lengths, every
parameter, loss (evaluation: plain cross-entropy), train.loss, logits (B, T, V), alpha (B, T, Ts): the last decoder
layer's cross-attention averaged over the heads, and grad.NAME of the training loss.

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_transformer_fixtures.py
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "transformer")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def sinusoids(positions, d):
    pe = torch.zeros(positions, d)
    for i in range(d // 2):
        rate = 10000.0 ** (-2.0 * i / d)
        for p in range(positions):
            pe[p, 2 * i] = math.sin(p * rate)
            pe[p, 2 * i + 1] = math.cos(p * rate)
    return pe


class Head(torch.nn.Module):
    def __init__(self, vocab, d, tied):
        super().__init__()
        self.weight = None if tied else torch.nn.Parameter(torch.zeros(vocab, d))
        self.bias = torch.nn.Parameter(torch.zeros(vocab))


class TransformerSeq2Seq(torch.nn.Module):
    def __init__(self, vs, vt, d, heads, enc_layers, dec_layers, ff, tied):
        super().__init__()
        self.src_embed = torch.nn.Embedding(vs, d)
        self.tgt_embed = torch.nn.Embedding(vt, d)
        t = torch.nn.Transformer(d_model=d, nhead=heads, num_encoder_layers=enc_layers, num_decoder_layers=dec_layers,
                                 dim_feedforward=ff, dropout=0.0, activation="relu", batch_first=True, norm_first=True)
        self.encoder = t.encoder
        self.decoder = t.decoder
        self.head = Head(vt, d, tied)
        self.tied = tied
        self.d = d

    def forward(self, src, src_pad, inputs):
        scale = math.sqrt(self.d)
        pe = sinusoids(max(src.shape[1], inputs.shape[1]), self.d)
        x = self.src_embed(src) * scale + pe[:src.shape[1]]
        memory = self.encoder(x, src_key_padding_mask=src_pad)
        T = inputs.shape[1]
        y = self.tgt_embed(inputs) * scale + pe[:T]
        causal = torch.nn.Transformer.generate_square_subsequent_mask(T)
        z = self.decoder(y, memory, tgt_mask=causal, memory_key_padding_mask=src_pad)
        w = self.tgt_embed.weight if self.tied else self.head.weight
        return F.linear(z, w, self.head.bias)


def case(name, seed, lengths, tlens, vs=9, vt=8, d=8, heads=2, enc_layers=2, dec_layers=2, ff=12, maxt=6, tied=False, smoothing=0.0):
    rng = np.random.default_rng(seed)
    B, Ts, W = len(lengths), max(lengths), maxt + 2
    model = TransformerSeq2Seq(vs, vt, d, heads, enc_layers, dec_layers, ff, tied).double()
    with torch.no_grad():
        for n, q in model.named_parameters():
            if n.endswith("norm1.weight") or n.endswith("norm2.weight") or n.endswith("norm3.weight") or n.endswith("norm.weight"):
                a = 1.0 + rng.uniform(-0.3, 0.3, q.shape)
            elif n.endswith("embed.weight"):
                a = rng.standard_normal(q.shape) * 0.6
            else:
                a = rng.standard_normal(q.shape) * (1.0 / math.sqrt(q.shape[-1]) if q.dim() == 2 else 0.2)
            q.copy_(torch.from_numpy(a.astype(np.float32).astype(np.float64)))
    src = np.zeros((B, Ts), dtype=np.int64)
    for b, n in enumerate(lengths):
        src[b, :n] = rng.integers(1, vs, n)
    tgt = np.zeros((B, W), dtype=np.int64)
    for b, n in enumerate(tlens):
        tgt[b, 0] = 1
        tgt[b, 1:n + 1] = rng.integers(3, vt, n)
        tgt[b, n + 1] = 2
    T = max(tlens) + 1
    tg = torch.from_numpy(tgt)
    inputs, targets = tg[:, :T], tg[:, 1:T + 1].clone()
    targets[targets == 0] = -100
    src_pad = torch.arange(Ts).unsqueeze(0) >= torch.tensor(lengths).unsqueeze(1)

    captured = {}
    last_cross = model.decoder.layers[-1].multihead_attn
    hook = last_cross.register_forward_pre_hook(lambda mod, args: captured.update(args=args))
    logits = model(torch.from_numpy(src), src_pad, inputs)  # (B, T, V)
    hook.remove()
    q, k, v = captured["args"]
    with torch.no_grad():
        alpha = last_cross(q, k, v, key_padding_mask=src_pad, need_weights=True, average_attn_weights=True)[1]  # (B, T, Ts)
    flat, tflat = logits.reshape(B * T, vt), targets.reshape(-1)
    loss = F.cross_entropy(flat, tflat, ignore_index=-100)
    tloss = F.cross_entropy(flat, tflat, ignore_index=-100, label_smoothing=smoothing)
    tloss.backward()
    params = dict(model.named_parameters())
    t = [("source", src.T.astype(np.float32)), ("targets", tgt.astype(np.float32)), ("lengths", np.array(lengths, np.float32))]
    t += [(n, np32(p)) for n, p in params.items()]
    t += [("loss", np.array([loss.item()], np.float32)), ("train.loss", np.array([tloss.item()], np.float32))]
    t += [("logits", np32(logits)), ("alpha", np32(alpha))]
    t += [(f"grad.{n}", np32(p.grad)) for n, p in params.items()]
    meta = {"source_vocab": vs, "target_vocab": vt, "d_model": d, "heads": heads, "encoder_layers": enc_layers,
            "decoder_layers": dec_layers, "feed_forward": ff, "max_target": maxt, "tie_embeddings": int(tied),
            "label_smoothing": smoothing}
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), t, meta)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("base", 1, [5, 2, 4], [3, 6, 1])
    case("tied_smoothed", 2, [3, 5, 5, 1], [2, 2, 5, 4], heads=4, enc_layers=1, dec_layers=2, tied=True, smoothing=0.1)


if __name__ == "__main__":
    main()
