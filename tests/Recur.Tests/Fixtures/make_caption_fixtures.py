#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's captioners (src/Recur/Models/Captioning): the vanilla RNN with the image
inside the recurrence, the LSTM with the image as its initial state, and Show, Attend and Tell, each written here from
its equations with torch modules and autograd in float64.

Teacher forcing on captions <START> w1 .. wn <END> <NULL>...: inputs are ids 0..T-1, targets ids 1..T with <NULL> (0)
ignored; the loss is the mean cross-entropy per word (+ for attention the doubly stochastic regulariser
lam/B sum_b sum_i (1 - sum_t alpha_bti)^2 over each caption's steps up to its <END>). Each file holds the features
(B, L, D), the captions (B, W) as floats, every parameter under its state-dict name, the references loss_ce, loss_reg,
grad.NAME, and for attention alpha (T, B, L).

The options of the attention captioner (CaptionerConfig), each in its own case, with the metadata key that sets it:
  attention_visual: visual words (singular_words, plural_words): a class word v's logit is W_head[v, H:] . z + b_v plus
    the offset o = noun_offset(h_t) (2, H) that h shares among the singular (o_0) or the plural (o_1) class words; the
    h columns of the class rows of head.weight are unused (their gradient is zero; the stored values are not zero).
  attention_entropy, attention_entropy_objects: the attention entropy gamma/B sum_b sum_t H(alpha_bt) added to the
    regulariser (attention_entropy; attention_entropy_on = objects counts only the steps whose target is a class word).
  attention_feature_dropout, lstm_feature_dropout: feature dropout p (feature_dropout) on every location's first
    D - coordinates features (coordinates), as CaptionTask.DropFeatures: x * keep / (1 - p), keep.features (B, L, D - c).
  attention_context_dropout: context dropout p (context_dropout): z_t = beta_t zhat_t * keep_t / (1 - p), read by the
    LSTM and the head (the attention scores the clean features), keep.context (T, B, D); with visual words.
  attention_smoothing_zero_state: label smoothing (label_smoothing, F.cross_entropy's) and h_0 = c_0 = 0
    (initial_state = zero; init_h and init_c get zero gradients).
  attention_hard*: Show, Attend and Tell's stochastic hard attention (attention = hard). Training reads, per caption, the
    expected context (hard.expected = 1) or at each step the features of the given location a_{s_t} (hard.locations
    (T, B), drawn here uniformly: any location has alpha > 0), gated by beta as the soft context is. With the reward
    r_b = log p(y_b | s_b) = -sum_t CE_bt (the training cross-entropy, label-smoothed when it is; hard.rewards) and W the
    batch's words, the loss adds the REINFORCE surrogate -(lambda_r / W) sum_b sg(r_b - b) sum_t log alpha_{t,s_t} over the
    sampled captions (none when the baseline has no updates yet) and the entropy bonus -(lambda_e / W) sum_b sum_t
    H(alpha_bt) over them, both over each caption's steps up to its <END>; loss_reg includes the bonus, the surrogate's
    value is not reported but its gradient is in grad.NAME. hard.baseline is the moving average after the step:
    d b + (1 - d) mean_sampled r_b, or that mean when it had no updates. Evaluation reads the argmax location's features
    (hard_decoding = argmax; attention_map (T, B, L) the one-hot maps the decoder shows) or the expected context.
The keep decisions (1 kept, 0 dropped) are drawn here and stored, for the C# test to hand to the model. loss_ce,
loss_reg, logits and alpha are the evaluation's (no dropout, the plain cross-entropy); where training differs (dropout,
label smoothing), train.loss_ce and train.loss_reg are the training step's, and grad.NAME is always the training step's.

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_caption_fixtures.py
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "caption")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def captions_for(rng, B, W, V, lengths):
    caps = np.zeros((B, W), dtype=np.int64)
    for b, n in enumerate(lengths):
        caps[b, 0] = 1
        caps[b, 1:n + 1] = rng.integers(4, V, n)
        caps[b, n + 1] = 2
    return torch.from_numpy(caps)


def lin(rng, params, name, out_f, in_f, bias=True, scale=0.3):
    params[f"{name}.weight"] = f32(rng, scale, out_f, in_f)
    if bias:
        params[f"{name}.bias"] = f32(rng, scale, out_f)


def linear(params, name, x, bias=True):
    return F.linear(x, params[f"{name}.weight"], params.get(f"{name}.bias") if bias else None)


def decode(kind, params, feats, inputs, opts, zkeep=None, hard=None):
    """Teacher-forced logits (T, B, V) and, for attention, alpha (T, B, L). zkeep (T, B, D): the context dropout mask
    already scaled (0 or 1/(1-p)), or None. hard: None (soft), "argmax" (each step reads its most probable location), or
    a dict with expected (B) bools and locs (T, B), the training choices."""
    B, L, D = feats.shape
    T = inputs.shape[0]
    H = params["head.weight"].shape[1] - (D if kind == "attention" else 0)
    emb = params["embed.weight"][inputs]  # (T, B, E)
    v = feats.reshape(B, L * D)
    if kind == "rnn":
        proj = linear(params, "image", v)
        x = torch.cat([emb, proj.unsqueeze(0).expand(T, B, H)], 2)
        h = torch.zeros(B, H)
        outs = []
        for t in range(T):
            h = torch.tanh(F.linear(x[t], params["rnn.weight_ih_l0"], params["rnn.bias_ih_l0"]) + F.linear(h, params["rnn.weight_hh_l0"], params["rnn.bias_hh_l0"]))
            outs.append(h)
        return linear(params, "head", torch.stack(outs)), None
    if kind == "lstm":
        h = linear(params, "init_h", v)
        c = linear(params, "init_c", v)
        outs = []
        for t in range(T):  # nn.LSTM's equations, gates i, f, g, o
            g = F.linear(emb[t], params["rnn.weight_ih_l0"], params["rnn.bias_ih_l0"]) + F.linear(h, params["rnn.weight_hh_l0"], params["rnn.bias_hh_l0"])
            i, f, gg, o = g.chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        return linear(params, "head", torch.stack(outs)), None
    if opts["initial"] == "zero":
        h = torch.zeros(B, H)
        c = torch.zeros(B, H)
    else:
        mean = feats.mean(1)
        h = linear(params, "init_h", mean)
        c = linear(params, "init_c", mean)
    u = linear(params, "att.feature", feats)  # (B, L, K)
    alist, hs, zs = [], [], []
    for t in range(T):
        s = torch.tanh(u + linear(params, "att.query", h, bias=False).unsqueeze(1))
        e = linear(params, "att.score", s, bias=False).squeeze(2)  # (B, L)
        alpha = torch.softmax(e, 1)
        zhat = (alpha.unsqueeze(2) * feats).sum(1)
        if hard is not None:
            idx = alpha.argmax(1) if hard == "argmax" else torch.from_numpy(hard["locs"][t])
            reads = torch.ones(B, dtype=torch.bool) if hard == "argmax" else torch.from_numpy(~hard["expected"])
            zhat = torch.where(reads.unsqueeze(1), feats[torch.arange(B), idx], zhat)
        beta = torch.sigmoid(linear(params, "gate", h))
        z = beta * zhat
        if zkeep is not None:
            z = z * zkeep[t]  # context dropout: the LSTM and the head read the dropped context
        xt = torch.cat([emb[t], z], 1)
        g = F.linear(xt, params["lstm.weight_ih"], params["lstm.bias_ih"]) + F.linear(h, params["lstm.weight_hh"], params["lstm.bias_hh"])
        i, f, gg, o = g.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h)
        zs.append(z)
        alist.append(alpha)
    hh, zz = torch.stack(hs), torch.stack(zs)
    logits = linear(params, "head", torch.cat([hh, zz], 2))
    singular, plural = opts["singular"], opts["plural"]
    if singular:
        # visual words: a class word's logit reads the context only, W[v, H:] . z + b_v, plus the offset that h shares
        # among the singular (row 0 of noun_offset) or the plural (row 1) class words
        off = linear(params, "noun_offset", hh)  # (T, B, 2)
        W, b = params["head.weight"], params["head.bias"]
        logits = logits.clone()
        for ids, k in ((singular, 0), (plural, 1)):
            if ids:
                idx = torch.tensor(ids)
                logits[:, :, idx] = F.linear(zz, W[idx, H:], b[idx]) + off[:, :, k:k + 1]
    return logits, torch.stack(alist)  # alpha (T, B, L)


def losses(kind, logits, alphas, targets, valid, B, V, lam, opts, smoothing=0.0):
    """The mean cross-entropy per word (label-smoothed by `smoothing`) and the regularisers: the doubly stochastic one
    lam/B sum_b sum_i (1 - sum_t alpha_bti)^2 and the attention entropy gamma/B sum_b sum_t H(alpha_bt),
    H(a) = -sum_i a_i ln a_i, both over each caption's steps up to its <END> (the entropy on the steps whose target is
    a class word only with entropy_on = objects)."""
    T = logits.shape[0]
    ce = F.cross_entropy(logits.reshape(T * B, V), targets.reshape(-1), ignore_index=-100, label_smoothing=smoothing)
    reg = torch.zeros(())
    if kind == "attention":
        colsum = (alphas * valid.unsqueeze(2)).sum(0)  # (B, L)
        reg = lam / B * ((1 - colsum) ** 2).sum()
        if opts["entropy"]:
            counted = valid.clone()
            if opts["entropy_on"] == "objects":
                cls = torch.tensor(opts["singular"] + opts["plural"])
                counted = counted & (targets.unsqueeze(2) == cls).any(2)
            ent = -(alphas * torch.log(alphas)).sum(2)  # (T, B)
            reg = reg + opts["entropy"] / B * (ent * counted).sum()
    return ce, reg


def hard_terms(logits, alphas, targets, valid, hard, V, smoothing):
    """The REINFORCE surrogate, the entropy bonus, the rewards (B) and the baseline after the step (see the docstring)."""
    T, B = targets.shape
    tok = F.cross_entropy(logits.reshape(T * B, V), targets.reshape(-1), ignore_index=-100, label_smoothing=smoothing,
                          reduction="none").reshape(T, B)
    r = -(tok * valid).sum(0)
    W = valid.sum()
    sampled = torch.from_numpy(~hard["expected"]).double()
    locs = torch.from_numpy(hard["locs"])
    logp = (torch.log(alphas.gather(2, locs.unsqueeze(2)).squeeze(2)) * valid).sum(0)  # (B) log p(s_b | a)
    adv = (r - hard["baseline"]).detach() * sampled * (1.0 if hard["updates"] > 0 else 0.0)
    surrogate = -hard["reinforce"] / W * (adv * logp).sum()
    ent = -(alphas * torch.log(alphas)).sum(2)  # (T, B)
    bonus = -hard["entropy"] / W * (ent * valid * sampled).sum()
    mean = (r * sampled).sum() / sampled.sum()
    d = hard["decay"]
    after = mean if hard["updates"] == 0 else d * hard["baseline"] + (1 - d) * mean
    return surrogate, bonus, r, after


def case(name, kind, seed, B=3, V=11, E=5, H=6, R=2, C=3, D=4, K=5, lam=0.05, max_words=5, lengths=(2, 5, 3),
         singular=(), plural=(), entropy=0.0, entropy_on="all", feature_dropout=0.0, coordinates=0, context_dropout=0.0,
         smoothing=0.0, initial="image", hard=None):
    rng = np.random.default_rng(seed)
    L = R * C
    W = max_words + 2
    opts = {"singular": list(singular), "plural": list(plural), "entropy": entropy, "entropy_on": entropy_on, "initial": initial}
    params = {"embed.weight": f32(rng, 0.5, V, E)}
    if kind == "rnn":
        lin(rng, params, "image", H, L * D)
        params["rnn.weight_ih_l0"] = f32(rng, 0.3, H, E + H)
        params["rnn.weight_hh_l0"] = f32(rng, 0.3, H, H)
        params["rnn.bias_ih_l0"] = f32(rng, 0.3, H)
        params["rnn.bias_hh_l0"] = f32(rng, 0.3, H)
        lin(rng, params, "head", V, H)
    elif kind == "lstm":
        lin(rng, params, "init_h", H, L * D)
        lin(rng, params, "init_c", H, L * D)
        params["rnn.weight_ih_l0"] = f32(rng, 0.3, 4 * H, E)
        params["rnn.weight_hh_l0"] = f32(rng, 0.3, 4 * H, H)
        params["rnn.bias_ih_l0"] = f32(rng, 0.3, 4 * H)
        params["rnn.bias_hh_l0"] = f32(rng, 0.3, 4 * H)
        lin(rng, params, "head", V, H)
    else:
        lin(rng, params, "init_h", H, D)
        lin(rng, params, "init_c", H, D)
        lin(rng, params, "att.feature", K, D)
        lin(rng, params, "att.query", K, H, bias=False)
        lin(rng, params, "att.score", 1, K, bias=False, scale=1.0)
        lin(rng, params, "gate", 1, H)
        params["lstm.weight_ih"] = f32(rng, 0.3, 4 * H, E + D)
        params["lstm.weight_hh"] = f32(rng, 0.3, 4 * H, H)
        params["lstm.bias_ih"] = f32(rng, 0.3, 4 * H)
        params["lstm.bias_hh"] = f32(rng, 0.3, 4 * H)
        lin(rng, params, "head", V, H + D)
    feats = f32(rng, 1.0, B, L, D)
    caps = captions_for(rng, B, W, V, lengths)
    if singular:
        lin(rng, params, "noun_offset", 2, H)
    for p in params.values():
        p.requires_grad_()
    T = max(lengths) + 1
    inputs = caps[:, :T].T            # (T, B)
    targets = caps[:, 1:T + 1].T.clone()
    valid = targets != 0
    targets[~valid] = -100
    if hard is not None:
        hard = dict(hard, expected=np.array(hard["expected"], dtype=bool), locs=rng.integers(0, L, (T, B)))
    # evaluation: no dropout, the plain cross-entropy
    with torch.no_grad():
        logits, alphas = decode(kind, params, feats, inputs, opts, hard=None if hard is None else ("argmax" if hard["decoding"] == "argmax" else None))
        ce, reg = losses(kind, logits, alphas, targets, valid, B, V, lam, opts)
    # training: feature dropout on the first D - coordinates features of every location, context dropout on z_t,
    # label smoothing; the keep decisions (1 kept, 0 dropped) are drawn here and stored
    train_feats, keep_f, keep_z, zkeep = feats, None, None, None
    if feature_dropout:
        keep_f = (rng.random((B, L, D - coordinates)) >= feature_dropout).astype(np.float64)
        scale = torch.ones(B, L, D)
        scale[:, :, :D - coordinates] = torch.from_numpy(keep_f) / (1 - feature_dropout)
        train_feats = feats * scale
    if context_dropout:
        keep_z = (rng.random((T, B, D)) >= context_dropout).astype(np.float64)
        zkeep = torch.from_numpy(keep_z) / (1 - context_dropout)
    tlogits, talphas = decode(kind, params, train_feats, inputs, opts, zkeep, hard)
    tce, treg = losses(kind, tlogits, talphas, targets, valid, B, V, lam, opts, smoothing)
    surrogate = torch.zeros(())
    if hard is not None:
        surrogate, bonus, rewards, after = hard_terms(tlogits, talphas, targets, valid, hard, V, smoothing)
        treg = treg + bonus
    (tce + treg + surrogate).backward()
    tensors = [("features", np32(feats)), ("captions", caps.numpy().astype(np.float32))]
    tensors += [(n, np32(p)) for n, p in params.items()]
    tensors += [("loss_ce", np.array([ce.item()], np.float32)), ("loss_reg", np.array([reg.item()], np.float32)),
                ("logits", np32(logits))]
    if alphas is not None:
        tensors.append(("alpha", np32(alphas)))
    if hard is not None:
        maps = alphas
        if hard["decoding"] == "argmax":
            maps = F.one_hot(alphas.argmax(2), L).double()
        tensors += [("attention_map", np32(maps)), ("hard.expected", hard["expected"].astype(np.float32)),
                    ("hard.locations", hard["locs"].astype(np.float32)), ("hard.rewards", np32(rewards)),
                    ("hard.baseline", np.array([after.item()], np.float32))]
    trained = bool(feature_dropout or context_dropout or smoothing or hard is not None)
    if trained:
        tensors += [("train.loss_ce", np.array([tce.item()], np.float32)), ("train.loss_reg", np.array([treg.item()], np.float32))]
    if keep_f is not None:
        tensors.append(("keep.features", keep_f.astype(np.float32)))
    if keep_z is not None:
        tensors.append(("keep.context", keep_z.astype(np.float32)))
    tensors += [(f"grad.{n}", np32(p.grad if p.grad is not None else torch.zeros_like(p))) for n, p in params.items()]
    meta = {"kind": kind, "vocab": V, "embed": E, "hidden": H, "grid_rows": R, "grid_cols": C, "feature_dim": D,
            "attention_dim": K, "lambda": lam, "max_words": max_words}
    for key, value, default in (("singular_words", ",".join(map(str, singular)), ""), ("plural_words", ",".join(map(str, plural)), ""),
                                ("attention_entropy", entropy, 0.0), ("attention_entropy_on", entropy_on, "all"),
                                ("feature_dropout", feature_dropout, 0.0), ("coordinates", coordinates, 0),
                                ("context_dropout", context_dropout, 0.0), ("label_smoothing", smoothing, 0.0),
                                ("initial_state", initial, "image")):
        if value != default:
            meta[key] = value
    if hard is not None:
        meta.update({"attention": "hard", "reinforce_weight": hard["reinforce"], "hard_entropy": hard["entropy"], "baseline_decay": hard["decay"],
                     "baseline": hard["baseline"], "baseline_updates": hard["updates"], "hard_decoding": hard["decoding"]})
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), tensors, meta)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("rnn", "rnn", 1)
    case("lstm", "lstm", 2)
    case("attention", "attention", 3)
    case("attention_noreg", "attention", 4, B=4, lam=0.0, lengths=(4, 1, 5, 2))
    case("attention_wide", "attention", 5, B=2, H=9, D=7, K=3, R=3, C=3, lam=0.5, lengths=(3, 3))
    case("attention_visual", "attention", 6, singular=(4, 5, 6), plural=(7, 8))
    case("attention_entropy", "attention", 7, lam=0.0, entropy=0.3)
    case("attention_entropy_objects", "attention", 8, entropy=0.5, entropy_on="objects", singular=(4, 6, 8, 10), plural=(5, 9))
    case("attention_feature_dropout", "attention", 9, D=5, feature_dropout=0.3, coordinates=2)
    case("lstm_feature_dropout", "lstm", 10, feature_dropout=0.5)
    case("attention_context_dropout", "attention", 11, context_dropout=0.4, singular=(4, 5), plural=(6,))
    case("attention_smoothing_zero_state", "attention", 12, smoothing=0.1, initial="zero")
    case("attention_hard", "attention", 13, smoothing=0.1, hard={"expected": [False, True, False], "baseline": -9.5, "updates": 3,
                                                             "reinforce": 1.0, "entropy": 0.05, "decay": 0.9, "decoding": "argmax"})
    case("attention_hard_first", "attention", 14, B=4, lengths=(4, 1, 5, 2), singular=(4, 5, 6), plural=(7,),
         hard={"expected": [False, False, True, False], "baseline": 0.0, "updates": 0, "reinforce": 0.5, "entropy": 0.0, "decay": 0.9,
               "decoding": "argmax"})
    case("attention_hard_expected", "attention", 15, lam=0.0, context_dropout=0.3, initial="zero",
         hard={"expected": [False, False, False], "baseline": -4.25, "updates": 7, "reinforce": 0.7, "entropy": 0.02, "decay": 0.5,
               "decoding": "expected"})


if __name__ == "__main__":
    main()
