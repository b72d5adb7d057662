#!/usr/bin/python3
"""PyTorch 1.13 reference for the glimpse speed race (bench/Recur.Bench/GlimpseSpeedBench.cs): the same recurrent attention
model as Recur's RecurrentAttentionModel (src/Recur/Models/Glimpse/RecurrentAttentionModel.cs; the equations of
tests/Recur.Tests/Fixtures/make_glimpse_fixtures.py, here in float32 as an nn.Module with a batched sensor), trained with
Adam and gradient norm clipping (5) on random images in [0, 1], labels and first locations, fresh location noise each
step, for --iters steps after 3 warm-up steps.

Sensor rho(x, l): centre pixel cx = floor((lx + 1) / 2 W), cy = floor((ly + 1) / 2 H) (in double); patch s = 0..k-1 of side
S = g 2^s from column cx - S // 2 and row cy - S // 2, zero outside the image, average-pooled by 2^s to g x g; scale 0 first.
  h_g = relu(fc_g(rho_t));  h_l = relu(fc_l(l_t));  g_t = relu(fc_hg(h_g) + fc_hl(h_l));  h_t = LSTMCell_core(g_t)
  t < T: mu_t = tanh(locator(h_t)) (h_t.detach() with --reinforce-into-core false);  s_t = mu_t + sigma eps_t (detached);  l_{t+1} = clamp(s_t, -1, 1)
         b_t = baseline(h_t.detach())
  logits = classifier(h_T);  R = (argmax logits == y)
  L = CE(logits, y) + mean (b_t - R)^2 - mean (R - b_t).detach() * sum_j log N(s_tj; mu_tj, sigma^2)

Prints one JSON line: seconds, images/s, threads, torch version, parameter count, the first and the last loss.

Run:  OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/glimpse_ref.py --threads 1 --iters 50
"""

import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_timing import race_step, time_and_report


class GlimpseNetwork(nn.Module):
    def __init__(self, S, Hg, Hl, G):
        super().__init__()
        self.fc_g = nn.Linear(S, Hg)
        self.fc_l = nn.Linear(2, Hl)
        self.fc_hg = nn.Linear(Hg, G)
        self.fc_hl = nn.Linear(Hl, G, bias=False)

    def forward(self, rho, loc):
        return F.relu(self.fc_hg(F.relu(self.fc_g(rho))) + self.fc_hl(F.relu(self.fc_l(loc))))


class Ram(nn.Module):
    def __init__(self, Hh, W, T, k, g, Hg, Hl, G, H, K, sigma, into_core=True):
        super().__init__()
        self.Hh, self.W, self.T, self.k, self.g, self.H, self.sigma = Hh, W, T, k, g, H, sigma
        self.into_core = into_core
        self.glimpse = GlimpseNetwork(k * g * g, Hg, Hl, G)
        self.core = nn.LSTMCell(G, H)
        self.locator = nn.Linear(H, 2)
        self.baseline = nn.Linear(H, 1)
        self.classifier = nn.Linear(H, K)

    def sensor(self, xp, loc, pad):
        """xp (B, H + 2 pad, W + 2 pad) zero padded, loc (B, 2) -> (B, k g g)."""
        B = xp.shape[0]
        l = loc.double()
        cx = torch.floor((l[:, 0] + 1) / 2 * self.W).long()
        cy = torch.floor((l[:, 1] + 1) / 2 * self.Hh).long()
        bi = torch.arange(B)[:, None, None]
        out = []
        for s in range(self.k):
            S = self.g << s
            ar = torch.arange(S)
            rows = (cy - S // 2 + pad)[:, None] + ar
            cols = (cx - S // 2 + pad)[:, None] + ar
            patch = xp[bi, rows[:, :, None], cols[:, None, :]]                     # (B, S, S)
            out.append(F.avg_pool2d(patch[:, None], 1 << s).reshape(B, -1) if s else patch.reshape(B, -1))
        return torch.cat(out, 1)

    def forward(self, x, y, first, eps):
        B = x.shape[0]
        pad = self.g << (self.k - 1)
        xp = F.pad(x, (pad, pad, pad, pad))
        h, c = x.new_zeros(B, self.H), x.new_zeros(B, self.H)
        loc = first
        draws, mus, baselines = [], [], []
        for t in range(self.T):
            h, c = self.core(self.glimpse(self.sensor(xp, loc, pad), loc), (h, c))
            if t == self.T - 1:
                break
            mu = torch.tanh(self.locator(h if self.into_core else h.detach()))
            s = (mu + self.sigma * eps[t]).detach()
            mus.append(mu)
            draws.append(s)
            baselines.append(self.baseline(h.detach())[:, 0])
            loc = torch.clamp(s, -1.0, 1.0)
        logits = self.classifier(h)
        R = (logits.argmax(1) == y).float()
        mu, s, bt = torch.stack(mus), torch.stack(draws), torch.stack(baselines)
        log_pi = (-(s - mu) ** 2 / (2 * self.sigma ** 2) - math.log(self.sigma) - 0.5 * math.log(2 * math.pi)).sum(2)
        return F.cross_entropy(logits, y) + ((bt - R[None, :]) ** 2).mean() - ((R[None, :] - bt).detach() * log_pi).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--glimpses", type=int, default=5)
    ap.add_argument("--scales", type=int, default=5)
    ap.add_argument("--patch", type=int, default=6)
    ap.add_argument("--reinforce-into-core", choices=["true", "false"], default="true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    Hh, W, T, k, g, Hg, Hl, G, H, K, sigma = a.size, a.size, a.glimpses, a.scales, a.patch, 128, 128, 256, 256, 10, 0.17
    model = Ram(Hh, W, T, k, g, Hg, Hl, G, H, K, sigma, a.reinforce_into_core == "true")
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    gen = torch.Generator().manual_seed(1)
    B = a.batch
    data = [(torch.rand(B, Hh, W, generator=gen), torch.randint(0, K, (B,), generator=gen)) for _ in range(8)]

    def loss_of(i):
        x, y = data[i % len(data)]
        first = torch.rand(B, 2, generator=gen) * 2 - 1
        return model(x, y, first, torch.randn(T - 1, B, 2, generator=gen))

    time_and_report(model, race_step(model, opt, loss_of), a.iters, B, a.threads, "images_per_s")


if __name__ == "__main__":
    main()
