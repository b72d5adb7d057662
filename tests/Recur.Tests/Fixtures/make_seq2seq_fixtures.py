#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's sequence-to-sequence model (src/Recur/Models/Seq2Seq/Seq2SeqModel.cs), from
its equations in float64 with autograd: a bidirectional nn.LSTM encoder on a packed batch (pack_padded_sequence),
h0 = tanh(bridge([h_fwd ; h_bwd])), c0 = 0, and a decoder LSTM cell on [E y ; z] with attention from h_{t-1}:
additive (Bahdanau: w . tanh(W_a a_i + b + W_q h)) or multiplicative (Luong's general: h . (W a_i)), softmax masked to
each source's length, or no attention (cell on E y, head on h). Loss: mean cross-entropy per target symbol (padding
ignored). Files hold source (Ts, B) and targets (B, W) as floats, lengths, every parameter, loss, logits (T, B, V),
alpha (T, B, Ts) with attention, and grad.NAME.

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_seq2seq_fixtures.py
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "seq2seq")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def case(name, seed, attention, lengths, tlens, Vs=9, Vt=8, E=4, He=3, H=5, K=4, maxt=6):
    rng = np.random.default_rng(seed)
    B, Ts, W = len(lengths), max(lengths), maxt + 2
    D = 2 * He if attention != "none" else 0
    enc = torch.nn.LSTM(E, He, 1, bidirectional=True).double()
    p = {"src_embed.weight": f32(rng, 0.6, Vs, E)}
    with torch.no_grad():
        for n, q in enc.named_parameters():
            q.copy_(f32(rng, 0.4, *q.shape))
    p["bridge.weight"] = f32(rng, 0.4, H, 2 * He)
    p["bridge.bias"] = f32(rng, 0.3, H)
    p["tgt_embed.weight"] = f32(rng, 0.6, Vt, E)
    if attention == "bahdanau":
        p["att.feature.weight"] = f32(rng, 0.4, K, 2 * He)
        p["att.feature.bias"] = f32(rng, 0.3, K)
        p["att.query.weight"] = f32(rng, 0.4, K, H)
        p["att.score.weight"] = f32(rng, 1.0, 1, K)
    elif attention == "luong":
        p["att.proj.weight"] = f32(rng, 0.4, H, 2 * He)
    p["decoder.weight_ih"] = f32(rng, 0.4, 4 * H, E + D)
    p["decoder.weight_hh"] = f32(rng, 0.4, 4 * H, H)
    p["decoder.bias_ih"] = f32(rng, 0.3, 4 * H)
    p["decoder.bias_hh"] = f32(rng, 0.3, 4 * H)
    p["head.weight"] = f32(rng, 0.5, Vt, H + D)
    p["head.bias"] = f32(rng, 0.3, Vt)
    for q in p.values():
        q.requires_grad_()
    src = np.zeros((Ts, B), dtype=np.int64)
    for b, n in enumerate(lengths):
        src[:n, b] = rng.integers(1, Vs, n)
    tgt = np.zeros((B, W), dtype=np.int64)
    for b, n in enumerate(tlens):
        tgt[b, 0] = 1
        tgt[b, 1:n + 1] = rng.integers(3, Vt, n)
        tgt[b, n + 1] = 2
    x = p["src_embed.weight"][torch.from_numpy(src)]
    out, (hn, _) = enc(pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False))
    out, _ = pad_packed_sequence(out, total_length=Ts)  # (Ts, B, 2He)
    ann = out.transpose(0, 1)  # (B, Ts, 2He)
    mask = torch.arange(Ts).unsqueeze(0) >= torch.tensor(lengths).unsqueeze(1)
    h = torch.tanh(F.linear(torch.cat([hn[0], hn[1]], 1), p["bridge.weight"], p["bridge.bias"]))
    c = torch.zeros(B, H)
    T = max(tlens) + 1
    tg = torch.from_numpy(tgt)
    inputs, targets = tg[:, :T].T, tg[:, 1:T + 1].T.clone()
    targets[targets == 0] = -100
    outs, alphas = [], []
    for t in range(T):
        if attention == "bahdanau":
            s = torch.tanh(F.linear(ann, p["att.feature.weight"], p["att.feature.bias"]) + F.linear(h, p["att.query.weight"]).unsqueeze(1))
            e = F.linear(s, p["att.score.weight"]).squeeze(2)
        elif attention == "luong":
            e = (F.linear(ann, p["att.proj.weight"]) * h.unsqueeze(1)).sum(2)
        if attention != "none":
            alpha = torch.softmax(e.masked_fill(mask, float("-inf")), 1)
            z = (alpha.unsqueeze(2) * ann).sum(1)
            xt = torch.cat([p["tgt_embed.weight"][inputs[t]], z], 1)
            alphas.append(alpha)
        else:
            xt = p["tgt_embed.weight"][inputs[t]]
        g = F.linear(xt, p["decoder.weight_ih"], p["decoder.bias_ih"]) + F.linear(h, p["decoder.weight_hh"], p["decoder.bias_hh"])
        i, f, gg, o = g.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(torch.cat([h, z], 1) if attention != "none" else h)
    logits = F.linear(torch.stack(outs), p["head.weight"], p["head.bias"])
    loss = F.cross_entropy(logits.reshape(T * B, Vt), targets.reshape(-1), ignore_index=-100)
    loss.backward()
    params = dict(p)
    for n, q in enc.named_parameters():
        params["encoder." + n] = q
    t = [("source", src.astype(np.float32)), ("targets", tgt.astype(np.float32)), ("lengths", np.array(lengths, np.float32))]
    t += [(n, np32(q)) for n, q in params.items()]
    t += [("loss", np.array([loss.item()], np.float32)), ("logits", np32(logits))]
    if alphas:
        t.append(("alpha", np32(torch.stack(alphas))))
    t += [(f"grad.{n}", np32(q.grad)) for n, q in params.items()]
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), t,
                      {"attention": attention, "source_vocab": Vs, "target_vocab": Vt, "embed": E, "hidden": He, "decoder_hidden": H,
                       "attention_dim": K, "max_target": maxt})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("bahdanau", 1, "bahdanau", [5, 2, 4], [3, 6, 1])
    case("luong", 2, "luong", [3, 5, 5, 1], [2, 2, 5, 4])
    case("none", 3, "none", [4, 2], [5, 3])


if __name__ == "__main__":
    main()
