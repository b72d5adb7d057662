#!/usr/bin/python3
"""PyTorch 1.13 reference for the DRAW speed race (bench/Recur.Bench/DrawSpeedBench.cs): the same model as Recur's
DrawModel (src/Recur/Models/Draw/DrawModel.cs; the equations of tests/Recur.Tests/Fixtures/make_draw_fixtures.py, here in
float32 as an nn.Module), with or without attention, trained with Adam (1e-3) and gradient norm clipping (5) on random
binary images, fresh noise eps (T, B, Z) each step, for --iters steps after 3 warm-up steps.

With c_0 = 0, h_enc_0 = h_dec_0 = 0 and, for t = 1..T:
  x_hat = x - sigmoid(c_{t-1});  r_t = read(x, x_hat, h_dec_{t-1});  h_enc_t = LSTMCell_enc([r_t, h_dec_{t-1}])
  mu_t, logsigma_t = Linear(h_enc_t);  z_t = mu_t + exp(logsigma_t) eps_t;  h_dec_t = LSTMCell_dec(z_t)
  c_t = c_{t-1} + write(h_dec_t)
Loss: the batch mean of BCE-with-logits(c_T, x) summed over the pixels plus the KL summed over the steps and latents.
Without attention read = [x, x_hat] and write = Linear(h_dec); with it the Gaussian filterbank windows of the paper's
section 3.2 (read N x N glimpses scaled by gamma, write an N x N patch divided by gamma).

Prints one JSON line: seconds, images/s, threads, torch version, parameter count, the first and the last loss.

Run:  OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/draw_ref.py --threads 1 --iters 10 --attention true
"""

import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_timing import race_step, time_and_report


class Draw(nn.Module):
    def __init__(self, A, Bh, T, He, Hd, Z, attention, Nr, Nw):
        super().__init__()
        self.A, self.Bh, self.T, self.He, self.Hd, self.Z = A, Bh, T, He, Hd, Z
        self.attention, self.Nr, self.Nw = attention, Nr, Nw
        P = A * Bh
        R = 2 * Nr * Nr if attention else 2 * P
        if attention:
            self.read_attn = nn.Linear(Hd, 5)
        self.encoder = nn.LSTMCell(R + Hd, He)
        self.mu = nn.Linear(He, Z)
        self.logsigma = nn.Linear(He, Z)
        self.decoder = nn.LSTMCell(Z, Hd)
        self.write = nn.Linear(Hd, Nw * Nw if attention else P)
        if attention:
            self.write_attn = nn.Linear(Hd, 5)
        # Pixel coordinates 1..S and the filter offsets (i - N/2 - 0.5), i = 1..N, as constants.
        self.register_buffer("cols", torch.arange(1, A + 1, dtype=torch.float32))
        self.register_buffer("rows", torch.arange(1, Bh + 1, dtype=torch.float32))
        self.register_buffer("off_r", torch.arange(1, Nr + 1, dtype=torch.float32) - Nr / 2 - 0.5)
        self.register_buffer("off_w", torch.arange(1, Nw + 1, dtype=torch.float32) - Nw / 2 - 0.5)

    @staticmethod
    def filterbank(g, delta, var, offsets, coords):
        """(B, N, S): row i the normalised Gaussian around g + offsets[i] delta over the pixel coordinates."""
        mu = g[:, None] + offsets[None, :] * delta[:, None]
        e = torch.exp(-(coords[None, None, :] - mu[:, :, None]) ** 2 / (2 * var[:, None, None]))
        return e / (e.sum(2, keepdim=True) + 1e-8)

    def window(self, raw, n, offsets):
        A, Bh = self.A, self.Bh
        gx = (A + 1) / 2 * (raw[:, 0] + 1)
        gy = (Bh + 1) / 2 * (raw[:, 1] + 1)
        var = torch.exp(raw[:, 2])
        delta = (max(A, Bh) - 1) / max(n - 1, 1) * torch.exp(raw[:, 3])
        gamma = torch.exp(raw[:, 4])
        return self.filterbank(gx, delta, var, offsets, self.cols), self.filterbank(gy, delta, var, offsets, self.rows), gamma

    def forward(self, x, eps):
        B, A, Bh, P = x.shape[0], self.A, self.Bh, self.A * self.Bh
        c = x.new_zeros(B, P)
        h_enc, c_enc = x.new_zeros(B, self.He), x.new_zeros(B, self.He)
        h_dec, c_dec = x.new_zeros(B, self.Hd), x.new_zeros(B, self.Hd)
        mus, logsigmas = [], []
        for t in range(self.T):
            x_hat = x - torch.sigmoid(c)
            if self.attention:
                fx, fy, gamma = self.window(self.read_attn(h_dec), self.Nr, self.off_r)
                imgs = torch.stack([x, x_hat], 1).view(B, 2, Bh, A)
                glimpse = fy.unsqueeze(1) @ imgs @ fx.transpose(1, 2).unsqueeze(1)          # (B, 2, N, N)
                r = gamma[:, None] * glimpse.reshape(B, -1)
            else:
                r = torch.cat([x, x_hat], 1)
            h_enc, c_enc = self.encoder(torch.cat([r, h_dec], 1), (h_enc, c_enc))
            mu, logsigma = self.mu(h_enc), self.logsigma(h_enc)
            z = mu + torch.exp(logsigma) * eps[t]
            h_dec, c_dec = self.decoder(z, (h_dec, c_dec))
            if self.attention:
                fx, fy, gamma = self.window(self.write_attn(h_dec), self.Nw, self.off_w)
                w = self.write(h_dec).view(B, self.Nw, self.Nw)
                c = c + (fy.transpose(1, 2) @ w @ fx / gamma[:, None, None]).reshape(B, P)
            else:
                c = c + self.write(h_dec)
            mus.append(mu)
            logsigmas.append(logsigma)
        loss_x = F.binary_cross_entropy_with_logits(c, x, reduction="sum") / B
        mu, logsigma = torch.stack(mus), torch.stack(logsigmas)
        loss_z = (0.5 * (mu ** 2 + torch.exp(2 * logsigma) - 2 * logsigma - 1)).sum() / B
        return loss_x + loss_z


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--attention", choices=["true", "false"], default="true")
    ap.add_argument("--read-n", type=int, default=12)
    ap.add_argument("--write-n", type=int, default=12)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    A, Bh, T, He, Hd, Z, Nr, Nw = 28, 28, 32, 256, 256, 100, a.read_n, a.write_n
    model = Draw(A, Bh, T, He, Hd, Z, a.attention == "true", Nr, Nw)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    data = [(torch.rand(a.batch, A * Bh, generator=g) < 0.5).float() for _ in range(8)]
    step = race_step(model, opt, lambda i: model(data[i % len(data)], torch.randn(T, a.batch, Z, generator=g)))
    time_and_report(model, step, a.iters, a.batch, a.threads, "images_per_s")


if __name__ == "__main__":
    main()
