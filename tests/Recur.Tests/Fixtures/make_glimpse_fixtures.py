#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's recurrent attention model (src/Recur/Models/Glimpse/RecurrentAttentionModel.cs),
written from the equations of Mnih et al. 2014, "Recurrent Models of Visual Attention", with autograd in float64.

Sensor rho(x, l): for l = (lx, ly) in [-1, 1]^2 the centre pixel is cx = floor((lx + 1) / 2 * W), cy = floor((ly + 1) / 2 * H);
patch s = 0..k-1 is S = g 2^s pixels wide from column cx - S // 2 and row cy - S // 2, zero outside the image (here: zero
padding, then slicing), average-pooled by 2^s to g x g (avg_pool2d); the k patches are concatenated, scale 0 first.
With h_0 = c_0 = 0, l_1 given, for t = 1..T:
  h_g = relu(fc_g(rho_t));  h_l = relu(fc_l(l_t));  g_t = relu(fc_hg(h_g) + fc_hl(h_l))   (fc_hl has no bias)
  h_t, c_t = LSTMCell_core(g_t, (h_{t-1}, c_{t-1}))
  t < T: mu_t = tanh(locator(h_t or h_t.detach()))  (locator_hidden.safetensors: tanh(locator(relu(locator_hidden(h_t)))));
         s_t = (mu_t + sigma eps_t).detach();  l_{t+1} = clamp(s_t, -1, 1)
         b_t = baseline(h_t.detach())
  logits = classifier(h_T);  R = (argmax logits == y)
  L = CE(logits, y) + mean_{t,b} (b_t - R)^2 - mean_{t,b} (R - b_t).detach() * sum_j log N(s_tj; mu_tj, sigma^2)
The locator reads h_t detached (REINFORCE trains the locator only) in detached.safetensors, and h_t itself (REINFORCE also
reaches the core and the glimpse network) in into_core.safetensors, and through a hidden ReLU layer of 5 in the location
network (into the core too) in locator_hidden.safetensors.

The image is 12 high and 10 wide, k = 2 scales of g = 3, T = 3, glimpse hidden 5, location hidden 4, glimpse out 7,
core hidden 6, batch 3, K = 4 classes, sigma 0.17. Labels are chosen after the forward so that images 0 and 2 are right
(R = 1) and image 1 is wrong (R = 0). Each file holds the inputs (images (B, H, W), first_location (B, 2), eps (T-1, B, 2),
labels (B) as floats), every parameter, the outputs (glimpses (T, B, k g g), locations (T, B, 2), draws and mu (T-1, B, 2),
baselines (T-1, B), logits (B, K), rewards (B)), the loss terms loss_ce, loss_baseline, loss_reinforce and grad.NAME of
every parameter.

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_glimpse_fixtures.py
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "glimpse")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def lstm_cell(p, name, x, h, c):
    g = F.linear(x, p[f"{name}.weight_ih"], p[f"{name}.bias_ih"]) + F.linear(h, p[f"{name}.weight_hh"], p[f"{name}.bias_hh"])
    i, f, gg, o = g.chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
    return torch.sigmoid(o) * torch.tanh(c), c


def centre(l, size):
    v = (l + 1.0) / 2.0 * size
    frac = v - math.floor(v)  # a clamped l = +-1 is exact in float32 too
    assert abs(l) == 1.0 or min(frac, 1 - frac) > 1e-4, f"location {l} too close to a pixel edge for float32 ({v})"
    return int(math.floor(v))


def sensor(x, loc, k, g):
    """x (H, W), loc (2,) -> (k g g): the patches of sides g 2^s centred at loc, zero padded, pooled to g x g."""
    H, W = x.shape
    pad = g << (k - 1)
    xp = F.pad(x, (pad, pad, pad, pad))
    cx, cy = centre(float(loc[0]), W), centre(float(loc[1]), H)
    out = []
    for s in range(k):
        S = g << s
        r0, c0 = cy - S // 2 + pad, cx - S // 2 + pad
        patch = xp[r0:r0 + S, c0:c0 + S]
        out.append(F.avg_pool2d(patch[None, None], 1 << s).reshape(-1))
    return torch.cat(out)


def case(name, seed, into_core, Hh=12, W=10, k=2, g=3, T=3, Hg=5, Hl=4, G=7, H=6, B=3, K=4, sigma=0.17, L=0):
    rng = np.random.default_rng(seed)
    S = k * g * g
    p = {}
    p["glimpse.fc_g.weight"] = f32(rng, 0.5, Hg, S)
    p["glimpse.fc_g.bias"] = f32(rng, 0.3, Hg)
    p["glimpse.fc_l.weight"] = f32(rng, 0.8, Hl, 2)
    p["glimpse.fc_l.bias"] = f32(rng, 0.3, Hl)
    p["glimpse.fc_hg.weight"] = f32(rng, 0.6, G, Hg)
    p["glimpse.fc_hg.bias"] = f32(rng, 0.3, G)
    p["glimpse.fc_hl.weight"] = f32(rng, 0.6, G, Hl)
    p["core.weight_ih"] = f32(rng, 0.5, 4 * H, G)
    p["core.weight_hh"] = f32(rng, 0.5, 4 * H, H)
    p["core.bias_ih"] = f32(rng, 0.3, 4 * H)
    p["core.bias_hh"] = f32(rng, 0.3, 4 * H)
    if L > 0:
        p["locator_hidden.weight"] = f32(rng, 0.6, L, H)
        p["locator_hidden.bias"] = f32(rng, 0.3, L)
    p["locator.weight"] = f32(rng, 0.6, 2, L if L > 0 else H)
    p["locator.bias"] = f32(rng, 0.3, 2)
    p["baseline.weight"] = f32(rng, 0.5, 1, H)
    p["baseline.bias"] = f32(rng, 0.3, 1)
    p["classifier.weight"] = f32(rng, 0.8, K, H)
    p["classifier.bias"] = f32(rng, 0.3, K)
    for t in p.values():
        t.requires_grad_()
    x = torch.from_numpy(rng.random((B, Hh, W)).astype(np.float32).astype(np.float64))
    first = torch.from_numpy(rng.uniform(-0.9, 0.9, (B, 2)).astype(np.float32).astype(np.float64))
    eps = f32(rng, 3.0, T - 1, B, 2)

    h, c = torch.zeros(B, H), torch.zeros(B, H)
    loc = first
    glimpses, locations, draws, mus, baselines = [], [], [], [], []
    for t in range(T):
        locations.append(loc)
        rho = torch.stack([sensor(x[b], loc[b], k, g) for b in range(B)])
        glimpses.append(rho)
        hg = F.relu(F.linear(rho, p["glimpse.fc_g.weight"], p["glimpse.fc_g.bias"]))
        hl = F.relu(F.linear(loc, p["glimpse.fc_l.weight"], p["glimpse.fc_l.bias"]))
        gt = F.relu(F.linear(hg, p["glimpse.fc_hg.weight"], p["glimpse.fc_hg.bias"]) + F.linear(hl, p["glimpse.fc_hl.weight"]))
        h, c = lstm_cell(p, "core", gt, h, c)
        if t == T - 1:
            break
        read = h if into_core else h.detach()
        if L > 0:
            read = F.relu(F.linear(read, p["locator_hidden.weight"], p["locator_hidden.bias"]))
        mu = torch.tanh(F.linear(read, p["locator.weight"], p["locator.bias"]))
        s = (mu + sigma * eps[t]).detach()
        mus.append(mu)
        draws.append(s)
        baselines.append(F.linear(h.detach(), p["baseline.weight"], p["baseline.bias"])[:, 0])
        loc = torch.clamp(s, -1.0, 1.0)
    logits = F.linear(h, p["classifier.weight"], p["classifier.bias"])
    top = torch.topk(logits, 2, dim=1).values
    assert (top[:, 0] - top[:, 1]).min() > 1e-3, "argmax too close to call in float32"
    pred = logits.argmax(1)
    y = pred.clone()
    y[1] = (pred[1] + 1) % K
    R = (pred == y).double()
    mu, s, bt = torch.stack(mus), torch.stack(draws), torch.stack(baselines)   # (T-1, B, 2), (T-1, B, 2), (T-1, B)
    loss_ce = F.cross_entropy(logits, y)
    loss_baseline = ((bt - R[None, :]) ** 2).mean()
    log_pi = torch.distributions.Normal(mu, sigma).log_prob(s).sum(2)
    loss_reinforce = -((R[None, :] - bt).detach() * log_pi).mean()
    (loss_ce + loss_baseline + loss_reinforce).backward()

    tensors = [("images", np32(x)), ("first_location", np32(first)), ("eps", np32(eps)), ("labels", np32(y.double()))]
    tensors += [(n, np32(t)) for n, t in p.items()]
    tensors += [("glimpses", np32(torch.stack(glimpses))), ("locations", np32(torch.stack(locations))), ("draws", np32(s)),
                ("mu", np32(mu)), ("baselines", np32(bt)), ("logits", np32(logits)), ("rewards", np32(R)),
                ("loss_ce", np.array([loss_ce.item()], np.float32)), ("loss_baseline", np.array([loss_baseline.item()], np.float32)),
                ("loss_reinforce", np.array([loss_reinforce.item()], np.float32))]
    tensors += [(f"grad.{n}", np32(t.grad)) for n, t in p.items()]
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), tensors,
                      {"reinforce_into_core": str(into_core).lower(), "width": W, "height": Hh, "steps": T, "scales": k, "patch": g,
                       "glimpse_hidden": Hg, "location_hidden": Hl, "glimpse_out": G, "core_hidden": H, "classes": K,
                       "sigma": repr(sigma), "locator_hidden": L})
    clamped = int((s.abs() > 1).sum())
    print(name, "ce", loss_ce.item(), "baseline", loss_baseline.item(), "reinforce", loss_reinforce.item(), "clamped draws", clamped)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("detached", 1, False)
    case("into_core", 2, True)
    case("locator_hidden", 3, True, L=5)


if __name__ == "__main__":
    main()
