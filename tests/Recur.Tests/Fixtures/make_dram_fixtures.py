#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's deep recurrent attention model (src/Recur/Models/Glimpse/DeepRecurrentAttentionModel.cs),
written from the equations of Ba, Mnih & Kavukcuoglu 2015, "Multiple Object Recognition with Visual Attention", with autograd in
float64. The sensor and the glimpse network are those of make_glimpse_fixtures.py (imported).

S = N + 1 slots of G glimpses, T = S G. With h1_0 = c1_0 = c2_0 = 0:
  h2_0 = tanh(context(avg_pool2d(x, f)))                                   (the context network)
  for t = 0..T-1:
    mu_t = tanh(emission(h2_t));  s_t = (mu_t + sigma eps_t).detach();  l_t = clamp(s_t, -1, 1);  b_t = baseline(h2_t.detach())
    g_t = glimpse(rho(x, l_t), l_t);  h1_{t+1}, c1_{t+1} = LSTMCell_r1(g_t, (h1_t, c1_t))
    t = (s+1) G - 1:  logits_s = classifier(h1_{t+1})   (K + 1 outputs, the last the end symbol)
    t < T-1:  h2_{t+1}, c2_{t+1} = LSTMCell_r2(h1_{t+1} or h1_{t+1}.detach(), (h2_t, c2_t))
Targets y (B, S): a scene's classes in reading order, then K (end), then -100 (slots not scored); slot s of scene b is active when
s <= n_b, glimpse t when its slot t // G is. c_{b,s} = [argmax logits_{b,s} = y_{b,s}] on active slots; the return of glimpse t is
the reward to go R_t = sum_{s >= t // G, active} c_s.
  L = (1/B) sum_{active b,s} CE(logits_{b,s}, y_{b,s}) + (1/(B T)) sum_{active b,t} [(b_t - R_t)^2 - (R_t - b_t).detach() sum_j log N(s_tj; mu_tj, sigma^2)]
r2 reads h1 detached in detached.safetensors and h1 itself in into_lower.safetensors.

Sizes: the image is 12 high and 16 wide (context pool f = 4: 3x4), k = 2 scales of g = 3, N = 2 objects (S = 3), G = 2 (T = 6), glimpse
hidden 5, location hidden 4, glimpse out 7, r1 6, r2 5, batch 3 with 2, 0 and 1 objects, K = 4 classes (5 outputs), sigma 0.17. The
object targets are set after the forward so that some slots are right and some wrong. Each file holds the inputs (images (B, H, W),
eps (T, B, 2), targets (B, S) as floats), every parameter, the outputs (glimpses (T, B, k g g), locations, draws and mu (T, B, 2),
baselines (T, B), logits (S, B, K+1), correct (S, B), returns (T, B)), the loss terms and grad.NAME of every parameter.

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_dram_fixtures.py
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402
from make_glimpse_fixtures import lstm_cell, np32, sensor  # noqa: E402

OUT = os.path.join(HERE, "dram")
IGNORE = -100


def case(name, seed, into_lower, Hh=12, W=16, f=4, k=2, g=3, N=2, G=2, Hg=5, Hl=4, Gout=7, H1=6, H2=5, counts=(2, 0, 1), K=4, sigma=0.17):
    rng = np.random.default_rng(seed)
    B, S, T, R, C = len(counts), N + 1, (N + 1) * G, k * g * g, (Hh // f) * (W // f)
    p = {}
    p["glimpse.fc_g.weight"] = f32(rng, 0.5, Hg, R)
    p["glimpse.fc_g.bias"] = f32(rng, 0.3, Hg)
    p["glimpse.fc_l.weight"] = f32(rng, 0.8, Hl, 2)
    p["glimpse.fc_l.bias"] = f32(rng, 0.3, Hl)
    p["glimpse.fc_hg.weight"] = f32(rng, 0.6, Gout, Hg)
    p["glimpse.fc_hg.bias"] = f32(rng, 0.3, Gout)
    p["glimpse.fc_hl.weight"] = f32(rng, 0.6, Gout, Hl)
    for cell, i, h in (("r1", Gout, H1), ("r2", H1, H2)):
        p[f"{cell}.weight_ih"] = f32(rng, 0.5, 4 * h, i)
        p[f"{cell}.weight_hh"] = f32(rng, 0.5, 4 * h, h)
        p[f"{cell}.bias_ih"] = f32(rng, 0.3, 4 * h)
        p[f"{cell}.bias_hh"] = f32(rng, 0.3, 4 * h)
    p["context.weight"] = f32(rng, 0.8, H2, C)
    p["context.bias"] = f32(rng, 0.3, H2)
    p["emission.weight"] = f32(rng, 0.6, 2, H2)
    p["emission.bias"] = f32(rng, 0.3, 2)
    p["baseline.weight"] = f32(rng, 0.5, 1, H2)
    p["baseline.bias"] = f32(rng, 0.3, 1)
    p["classifier.weight"] = f32(rng, 0.8, K + 1, H1)
    p["classifier.bias"] = f32(rng, 0.3, K + 1)
    for t in p.values():
        t.requires_grad_()
    x = torch.from_numpy(rng.random((B, Hh, W)).astype(np.float32).astype(np.float64))
    eps = f32(rng, 3.0, T, B, 2)

    coarse = F.avg_pool2d(x[:, None], f).reshape(B, -1)
    h2 = torch.tanh(F.linear(coarse, p["context.weight"], p["context.bias"]))
    c2 = torch.zeros(B, H2)
    h1, c1 = torch.zeros(B, H1), torch.zeros(B, H1)
    glimpses, locations, draws, mus, baselines, logits = [], [], [], [], [], []
    for t in range(T):
        mu = torch.tanh(F.linear(h2, p["emission.weight"], p["emission.bias"]))
        s = (mu + sigma * eps[t]).detach()
        mus.append(mu)
        draws.append(s)
        baselines.append(F.linear(h2.detach(), p["baseline.weight"], p["baseline.bias"])[:, 0])
        loc = torch.clamp(s, -1.0, 1.0)
        locations.append(loc)
        rho = torch.stack([sensor(x[b], loc[b], k, g) for b in range(B)])
        glimpses.append(rho)
        hg = F.relu(F.linear(rho, p["glimpse.fc_g.weight"], p["glimpse.fc_g.bias"]))
        hl = F.relu(F.linear(loc, p["glimpse.fc_l.weight"], p["glimpse.fc_l.bias"]))
        gt = F.relu(F.linear(hg, p["glimpse.fc_hg.weight"], p["glimpse.fc_hg.bias"]) + F.linear(hl, p["glimpse.fc_hl.weight"]))
        h1, c1 = lstm_cell(p, "r1", gt, h1, c1)
        if t % G == G - 1:
            logits.append(F.linear(h1, p["classifier.weight"], p["classifier.bias"]))
        if t < T - 1:
            h2, c2 = lstm_cell(p, "r2", h1 if into_lower else h1.detach(), h2, c2)
    logits = torch.stack(logits)  # (S, B, K+1)
    top = torch.topk(logits, 2, dim=2).values
    assert (top[..., 0] - top[..., 1]).min() > 1e-3, "argmax too close to call in float32"
    pred = logits.argmax(2)  # (S, B)
    y = torch.full((S, B), IGNORE, dtype=torch.long)
    for b, n in enumerate(counts):
        for s in range(n):
            q = int(pred[s, b])
            y[s, b] = q if q < K and (b + s) % 2 == 0 else (q + 1) % K if q < K else 0
        y[n, b] = K
    on = y != IGNORE
    correct = ((pred == y) & on).double()
    assert 0 < correct.sum() < on.sum(), "want both right and wrong slots"
    active = torch.stack([on[t // G] for t in range(T)])  # (T, B)
    ret = torch.stack([(correct[t // G:]).sum(0) for t in range(T)]) * active  # (T, B)

    mu, s, bt = torch.stack(mus), torch.stack(draws), torch.stack(baselines)
    loss_ce = F.cross_entropy(logits.reshape(S * B, K + 1), y.reshape(-1), ignore_index=IGNORE, reduction="sum") / B
    mask = active.double()
    loss_baseline = (((bt - ret) ** 2) * mask).sum() / (B * T)
    log_pi = torch.distributions.Normal(mu, sigma).log_prob(s).sum(2)
    loss_reinforce = -((ret - bt).detach() * log_pi * mask).sum() / (B * T)
    (loss_ce + loss_baseline + loss_reinforce).backward()

    tensors = [("images", np32(x)), ("eps", np32(eps)), ("targets", np32(y.t().double()))]
    tensors += [(n, np32(t)) for n, t in p.items()]
    tensors += [("glimpses", np32(torch.stack(glimpses))), ("locations", np32(torch.stack(locations))), ("draws", np32(s)),
                ("mu", np32(mu)), ("baselines", np32(bt)), ("logits", np32(logits)), ("correct", np32(correct)), ("returns", np32(ret)),
                ("loss_ce", np.array([loss_ce.item()], np.float32)), ("loss_baseline", np.array([loss_baseline.item()], np.float32)),
                ("loss_reinforce", np.array([loss_reinforce.item()], np.float32))]
    tensors += [(f"grad.{n}", np32(t.grad)) for n, t in p.items()]
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), tensors,
                      {"reinforce_into_lower": str(into_lower).lower(), "width": W, "height": Hh, "context_pool": f, "scales": k,
                       "patch": g, "objects": N, "glimpses_per_object": G, "glimpse_hidden": Hg, "location_hidden": Hl,
                       "glimpse_out": Gout, "lower_hidden": H1, "upper_hidden": H2, "classes": K, "sigma": repr(sigma)})
    clamped = int((s.abs() > 1).sum())
    print(name, "ce", loss_ce.item(), "baseline", loss_baseline.item(), "reinforce", loss_reinforce.item(),
          "right", int(correct.sum()), "of", int(on.sum()), "clamped draws", clamped)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("detached", 1, False)
    case("into_lower", 2, True)


if __name__ == "__main__":
    main()
