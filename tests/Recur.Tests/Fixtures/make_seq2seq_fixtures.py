#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's sequence-to-sequence model (src/Recur/Models/Seq2Seq/Seq2SeqModel.cs), from
its equations in float64 with autograd: a bidirectional nn.LSTM encoder on a packed batch (pack_padded_sequence),
h0 = tanh(bridge([h_fwd ; h_bwd])), c0 = 0, and a decoder LSTM cell on [E y ; z] with attention from h_{t-1}:
additive (Bahdanau: w . tanh(W_a a_i + b + W_q h)) or multiplicative (Luong's general: h . (W a_i)), softmax masked to
each source's length, or no attention (cell on E y, head on h). Loss: mean cross-entropy per target symbol (padding
ignored). With dropout p (cases *_dropout; the metadata's dropout, and layers for a stacked encoder, whose layers
are run here one bidirectional layer at a time), training drops the source embeddings, each encoder layer's output
below the top and the head's input [h ; z] (not the decoder's recurrence), keeping with the stored keep decisions
keep.source (Ts, B, E), keep.encoder (layers - 1, Ts, B, 2He), keep.head (T, B, H + D) and scaling by 1/(1-p): loss,
logits and alpha are then the evaluation's (no dropout), train.loss and grad.NAME the training step's. Files hold source (Ts, B) and targets (B, W) as floats, lengths, every parameter, loss, logits (T, B, V),
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


def case(name, seed, attention, lengths, tlens, Vs=9, Vt=8, E=4, He=3, H=5, K=4, maxt=6, layers=1, dropout=0.0):
    rng = np.random.default_rng(seed)
    B, Ts, W = len(lengths), max(lengths), maxt + 2
    D = 2 * He if attention != "none" else 0
    p = {"src_embed.weight": f32(rng, 0.6, Vs, E)}
    encs = []  # one bidirectional single-layer nn.LSTM per encoder layer, so that the dropout between them is ours
    for layer in range(layers):
        enc = torch.nn.LSTM(E if layer == 0 else 2 * He, He, 1, bidirectional=True).double()
        with torch.no_grad():
            for n, q in enc.named_parameters():
                q.copy_(f32(rng, 0.4, *q.shape))
        encs.append(enc)
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
    T = max(tlens) + 1
    # dropout's keep decisions (1 kept, 0 dropped), drawn here: source embeddings (Ts, B, E), each encoder layer's
    # output below the top (layers - 1, Ts, B, 2He), the head's input [h ; z] (T, B, H + D)
    keeps = {}
    if dropout:
        keeps["keep.source"] = (rng.random((Ts, B, E)) >= dropout).astype(np.float64)
        if layers > 1:
            keeps["keep.encoder"] = (rng.random((layers - 1, Ts, B, 2 * He)) >= dropout).astype(np.float64)
        keeps["keep.head"] = (rng.random((T, B, H + D)) >= dropout).astype(np.float64)

    def drop(x, key, train):
        return x * torch.from_numpy(keeps[key]) / (1 - dropout) if train and dropout else x

    tg = torch.from_numpy(tgt)
    inputs, targets = tg[:, :T].T, tg[:, 1:T + 1].T.clone()
    targets[targets == 0] = -100
    mask = torch.arange(Ts).unsqueeze(0) >= torch.tensor(lengths).unsqueeze(1)

    def run(train):
        x = drop(p["src_embed.weight"][torch.from_numpy(src)], "keep.source", train)
        for layer, enc in enumerate(encs):
            if layer > 0:
                x = x * torch.from_numpy(keeps["keep.encoder"][layer - 1]) / (1 - dropout) if train and dropout else x
            out, (hn, _) = enc(pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False))
            x, _ = pad_packed_sequence(out, total_length=Ts)  # (Ts, B, 2He)
        ann = x.transpose(0, 1)  # (B, Ts, 2He)
        h = torch.tanh(F.linear(torch.cat([hn[0], hn[1]], 1), p["bridge.weight"], p["bridge.bias"]))
        c = torch.zeros(B, H)
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
        logits = F.linear(drop(torch.stack(outs), "keep.head", train), p["head.weight"], p["head.bias"])
        loss = F.cross_entropy(logits.reshape(T * B, Vt), targets.reshape(-1), ignore_index=-100)
        return loss, logits, alphas

    with torch.no_grad():
        loss, logits, alphas = run(False)  # evaluation: no dropout
    tloss = run(True)[0]
    tloss.backward()
    params = dict(p)
    for layer, enc in enumerate(encs):
        for n, q in enc.named_parameters():
            params["encoder." + n.replace("_l0", f"_l{layer}")] = q
    t = [("source", src.astype(np.float32)), ("targets", tgt.astype(np.float32)), ("lengths", np.array(lengths, np.float32))]
    t += [(n, np32(q)) for n, q in params.items()]
    t += [("loss", np.array([loss.item()], np.float32)), ("logits", np32(logits))]
    if alphas:
        t.append(("alpha", np32(torch.stack(alphas))))
    if dropout:
        t.append(("train.loss", np.array([tloss.item()], np.float32)))
        t += [(k, v.astype(np.float32)) for k, v in keeps.items()]
    t += [(f"grad.{n}", np32(q.grad)) for n, q in params.items()]
    meta = {"attention": attention, "source_vocab": Vs, "target_vocab": Vt, "embed": E, "hidden": He, "decoder_hidden": H,
            "attention_dim": K, "max_target": maxt}
    if layers != 1:
        meta["layers"] = layers
    if dropout:
        meta["dropout"] = dropout
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), t, meta)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("bahdanau", 1, "bahdanau", [5, 2, 4], [3, 6, 1])
    case("luong", 2, "luong", [3, 5, 5, 1], [2, 2, 5, 4])
    case("none", 3, "none", [4, 2], [5, 3])
    case("bahdanau_dropout", 4, "bahdanau", [5, 2, 4], [3, 6, 1], layers=2, dropout=0.3)
    case("none_dropout", 5, "none", [3, 4], [4, 2], dropout=0.5)


if __name__ == "__main__":
    main()
