#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's DRAW (src/Recur/Models/Draw/DrawModel.cs), written from the paper's equations
(Gregor et al. 2015, "DRAW: A Recurrent Neural Network For Image Generation") with autograd in float64.

With c_0 = 0, h_enc_0 = h_dec_0 = 0 and, for t = 1..T:
  x_hat = x - sigmoid(c_{t-1});  r_t = read(x, x_hat, h_dec_{t-1});  h_enc_t = LSTMCell_enc([r_t, h_dec_{t-1}])
  mu_t = W_mu h_enc_t + b_mu;  logsigma_t = W_s h_enc_t + b_s;  z_t = mu_t + exp(logsigma_t) eps_t
  h_dec_t = LSTMCell_dec(z_t);  c_t = c_{t-1} + write(h_dec_t)
Loss per image: L_x = sum over pixels of BCE-with-logits(c_T, x), L_z = sum_t sum_j 0.5 (mu^2 + sigma^2 - 2 logsigma - 1);
the fixture's loss is the batch mean of each. Without attention read = [x, x_hat] and write = Linear(h_dec) to every pixel;
with attention (section 3.2) (gx~, gy~, log var, log delta~, log gamma) = Linear(h_dec) (read_attn from h_dec_{t-1},
write_attn from h_dec_t), gX = (A+1)/2 (gx~+1), gY = (B+1)/2 (gy~+1), delta = (max(A,B)-1)/(N-1) delta~,
mu^i = g + (i - N/2 - 0.5) delta for i = 1..N, F[i, a] = exp(-(a - mu^i)^2 / (2 var)) / (sum_a' ... + 1e-8) for
a = 1..A (pixel coordinates start at 1, so g~ = 0 is the centre); read = gamma [F_Y x F_X^T, F_Y x_hat F_X^T],
write = (1/gamma) F_Y^T w F_X with w = Linear(h_dec) as an N x N patch.

The image is 6 wide and 5 high (A != B), T = 3, both LSTM widths 7, latent 4, batch 3, read N 2, write N 3. Each file
holds the binarised images (B, P), the noise eps (T, B, Z), every parameter, loss_x, loss_z, the canvases
sigmoid(c_t) (T, B, H, W) and grad.NAME of every parameter.

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_draw_fixtures.py
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "draw")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def lstm_cell(p, name, x, h, c):
    g = F.linear(x, p[f"{name}.weight_ih"], p[f"{name}.bias_ih"]) + F.linear(h, p[f"{name}.weight_hh"], p[f"{name}.bias_hh"])
    i, f, gg, o = g.chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
    return torch.sigmoid(o) * torch.tanh(c), c


def filterbank(g, delta, var, n, size):
    """(B, N, S): row i is the normalised Gaussian around g + (i - N/2 - 0.5) delta, i = 1..N, over pixels a = 1..S."""
    i = torch.arange(1, n + 1, dtype=torch.float64)
    mu = g[:, None] + (i - n / 2 - 0.5) * delta[:, None]
    a = torch.arange(1, size + 1, dtype=torch.float64)
    e = torch.exp(-(a[None, None, :] - mu[:, :, None]) ** 2 / (2 * var[:, None, None]))
    return e / (e.sum(2, keepdim=True) + 1e-8)


def window(raw, A, Bh, n):
    gx = (A + 1) / 2 * (raw[:, 0] + 1)
    gy = (Bh + 1) / 2 * (raw[:, 1] + 1)
    var = torch.exp(raw[:, 2])
    delta = (max(A, Bh) - 1) / max(n - 1, 1) * torch.exp(raw[:, 3])
    gamma = torch.exp(raw[:, 4])
    return filterbank(gx, delta, var, n, A), filterbank(gy, delta, var, n, Bh), gamma


def case(name, seed, attention, A=6, Bh=5, T=3, He=7, Hd=7, Z=4, B=3, Nr=2, Nw=3):
    rng = np.random.default_rng(seed)
    P = A * Bh
    R = 2 * Nr * Nr if attention else 2 * P
    p = {}
    if attention:
        p["read_attn.weight"] = f32(rng, 0.5, 5, Hd)
        p["read_attn.bias"] = f32(rng, 0.3, 5)
    p["encoder.weight_ih"] = f32(rng, 0.4, 4 * He, R + Hd)
    p["encoder.weight_hh"] = f32(rng, 0.4, 4 * He, He)
    p["encoder.bias_ih"] = f32(rng, 0.3, 4 * He)
    p["encoder.bias_hh"] = f32(rng, 0.3, 4 * He)
    p["mu.weight"] = f32(rng, 0.5, Z, He)
    p["mu.bias"] = f32(rng, 0.3, Z)
    p["logsigma.weight"] = f32(rng, 0.5, Z, He)
    p["logsigma.bias"] = f32(rng, 0.3, Z)
    p["decoder.weight_ih"] = f32(rng, 0.4, 4 * Hd, Z)
    p["decoder.weight_hh"] = f32(rng, 0.4, 4 * Hd, Hd)
    p["decoder.bias_ih"] = f32(rng, 0.3, 4 * Hd)
    p["decoder.bias_hh"] = f32(rng, 0.3, 4 * Hd)
    p["write.weight"] = f32(rng, 0.8, Nw * Nw if attention else P, Hd)
    p["write.bias"] = f32(rng, 0.3, Nw * Nw if attention else P)
    if attention:
        p["write_attn.weight"] = f32(rng, 0.5, 5, Hd)
        p["write_attn.bias"] = f32(rng, 0.3, 5)
    for t in p.values():
        t.requires_grad_()
    x = torch.from_numpy((rng.random((B, P)) < 0.5).astype(np.float64))
    eps = f32(rng, 1.0, T, B, Z)

    c = torch.zeros(B, P)
    h_enc, c_enc = torch.zeros(B, He), torch.zeros(B, He)
    h_dec, c_dec = torch.zeros(B, Hd), torch.zeros(B, Hd)
    mus, logsigmas, canvases = [], [], []
    for t in range(T):
        x_hat = x - torch.sigmoid(c)
        if attention:
            fx, fy, gamma = window(F.linear(h_dec, p["read_attn.weight"], p["read_attn.bias"]), A, Bh, Nr)
            glimpse = [fy @ img.view(B, Bh, A) @ fx.transpose(1, 2) for img in (x, x_hat)]
            r = gamma[:, None] * torch.cat([gl.reshape(B, -1) for gl in glimpse], 1)
        else:
            r = torch.cat([x, x_hat], 1)
        h_enc, c_enc = lstm_cell(p, "encoder", torch.cat([r, h_dec], 1), h_enc, c_enc)
        mu = F.linear(h_enc, p["mu.weight"], p["mu.bias"])
        logsigma = F.linear(h_enc, p["logsigma.weight"], p["logsigma.bias"])
        z = mu + torch.exp(logsigma) * eps[t]
        h_dec, c_dec = lstm_cell(p, "decoder", z, h_dec, c_dec)
        if attention:
            fx, fy, gamma = window(F.linear(h_dec, p["write_attn.weight"], p["write_attn.bias"]), A, Bh, Nw)
            w = F.linear(h_dec, p["write.weight"], p["write.bias"]).view(B, Nw, Nw)
            c = c + (fy.transpose(1, 2) @ w @ fx / gamma[:, None, None]).reshape(B, P)
        else:
            c = c + F.linear(h_dec, p["write.weight"], p["write.bias"])
        mus.append(mu)
        logsigmas.append(logsigma)
        canvases.append(torch.sigmoid(c).view(B, Bh, A))
    loss_x = F.binary_cross_entropy_with_logits(c, x, reduction="sum") / B
    mu, logsigma = torch.stack(mus), torch.stack(logsigmas)
    loss_z = (0.5 * (mu ** 2 + torch.exp(2 * logsigma) - 2 * logsigma - 1)).sum() / B
    (loss_x + loss_z).backward()
    tensors = [("images", np32(x)), ("eps", np32(eps))]
    tensors += [(n, np32(t)) for n, t in p.items()]
    tensors += [("loss_x", np.array([loss_x.item()], np.float32)), ("loss_z", np.array([loss_z.item()], np.float32)),
                ("canvases", np32(torch.stack(canvases)))]
    tensors += [(f"grad.{n}", np32(t.grad)) for n, t in p.items()]
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), tensors,
                      {"attention": str(attention).lower(), "width": A, "height": Bh, "steps": T, "encoder_hidden": He,
                       "decoder_hidden": Hd, "latent": Z, "read_n": Nr, "write_n": Nw})
    print(name, "loss_x", loss_x.item(), "loss_z", loss_z.item())


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("attention", 1, True)
    case("plain", 2, False)


if __name__ == "__main__":
    main()
