"""The exported DRAW model (recur draw train, Gregor et al. 2015, src/Recur/Models/Draw/DrawModel.cs) as torch modules
with Recur's names. With c_0 = 0, h_enc_0 = h_dec_0 = 0 and, for t = 1..T:
  x_hat = x - sigmoid(c_{t-1});  r_t = read(x, x_hat, h_dec_{t-1});  h_enc_t = LSTMCell `encoder`([r_t, h_dec_{t-1}])
  mu_t = `mu`(h_enc_t);  logsigma_t = `logsigma`(h_enc_t);  z_t = mu_t + exp(logsigma_t) eps_t
  h_dec_t = LSTMCell `decoder`(z_t);  c_t = c_{t-1} + write(h_dec_t)
The bound per image: L_x = the Bernoulli NLL of x under sigmoid(c_T) summed over the pixels, L_z = sum_t sum_j
0.5 (mu^2 + sigma^2 - 2 logsigma - 1). Without attention read = [x, x_hat] and write = `write`(h_dec) to every pixel;
with attention (section 3.2) (gx~, gy~, log var, log delta~, log gamma) = `read_attn`(h_dec_{t-1}) / `write_attn`(h_dec_t),
gX = (W+1)/2 (gx~+1), gY = (H+1)/2 (gy~+1), delta = (max(W,H)-1)/(N-1) delta~, mu^i = g + (i - N/2 - 0.5) delta,
F[i, a] = exp(-(a - mu^i)^2 / (2 var)) normalised (+1e-8) over pixels a = 1..W (or H); read = gamma [F_Y x F_X^T,
F_Y x_hat F_X^T], write = (1/gamma) F_Y^T w F_X with w = `write`(h_dec) an N x N patch.
Training (train.py) reads the binarised training images (the run's Fashion-MNIST folder, the last val_frac held out;
a pixel is 1 at grey level 128 and above) and minimises the batch mean of L_x + L_z along the noise eps (T, B, Z) that
Recur's stream draws (classify_data.RecurNoise), as DrawTask does.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

import classify_data
import recur_load


def filterbank(g, delta, var, n, size):
    """(B, N, size): row i the normalised Gaussian around g + (i - N/2 - 0.5) delta, i = 1..N, over pixels 1..size."""
    i = torch.arange(1, n + 1, dtype=g.dtype, device=g.device)
    mu = g[:, None] + (i - n / 2 - 0.5) * delta[:, None]
    a = torch.arange(1, size + 1, dtype=g.dtype, device=g.device)
    e = torch.exp(-(a[None, None, :] - mu[:, :, None]) ** 2 / (2 * var[:, None, None]))
    return e / (e.sum(2, keepdim=True) + 1e-8)


def window(raw, W, H, n):
    gx = (W + 1) / 2 * (raw[:, 0] + 1)
    gy = (H + 1) / 2 * (raw[:, 1] + 1)
    var = torch.exp(raw[:, 2])
    delta = (max(W, H) - 1) / max(n - 1, 1) * torch.exp(raw[:, 3])
    return filterbank(gx, delta, var, n, W), filterbank(gy, delta, var, n, H), torch.exp(raw[:, 4])


class DrawModel(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        W, H, He, Hd, Z = m["width"], m["height"], m["encoder_hidden"], m["decoder_hidden"], m["latent"]
        P = W * H
        read = 2 * m["read_n"] ** 2 if m["attention"] else 2 * P
        if m["attention"]:
            self.read_attn = nn.Linear(Hd, 5)
        self.encoder = nn.LSTMCell(read + Hd, He)
        self.mu = nn.Linear(He, Z)
        self.logsigma = nn.Linear(He, Z)
        self.decoder = nn.LSTMCell(Z, Hd)
        self.write = nn.Linear(Hd, m["write_n"] ** 2 if m["attention"] else P)
        if m["attention"]:
            self.write_attn = nn.Linear(Hd, 5)

    def forward(self, x, eps):
        """x (B, P) binarised images, eps (T, B, Z) -> the batch means (L_x, L_z) (float64, summed in double as Recur
        sums them) and the canvases sigmoid(c_t) (T, B, P)."""
        m = self.m
        W, H, B = m["width"], m["height"], x.shape[0]
        Nr, Nw = m["read_n"], m["write_n"]
        c = x.new_zeros(B, W * H)
        h_enc = c_enc = x.new_zeros(B, m["encoder_hidden"])
        h_dec = c_dec = x.new_zeros(B, m["decoder_hidden"])
        loss_z, canvases = 0.0, []
        for t in range(m["steps"]):
            x_hat = x - torch.sigmoid(c)
            if m["attention"]:
                fx, fy, gamma = window(self.read_attn(h_dec), W, H, Nr)
                r = gamma[:, None] * torch.cat([(fy @ img.view(B, H, W) @ fx.transpose(1, 2)).reshape(B, -1) for img in (x, x_hat)], 1)
            else:
                r = torch.cat([x, x_hat], 1)
            h_enc, c_enc = self.encoder(torch.cat([r, h_dec], 1), (h_enc, c_enc))
            mu, logsigma = self.mu(h_enc), self.logsigma(h_enc)
            h_dec, c_dec = self.decoder(mu + torch.exp(logsigma) * eps[t], (h_dec, c_dec))
            if m["attention"]:
                fx, fy, gamma = window(self.write_attn(h_dec), W, H, Nw)
                patch = self.write(h_dec).view(B, Nw, Nw)
                c = c + (fy.transpose(1, 2) @ patch @ fx / gamma[:, None, None]).reshape(B, -1)
            else:
                c = c + self.write(h_dec)
            mu, logsigma = mu.double(), logsigma.double()
            loss_z = loss_z + (0.5 * (mu ** 2 + torch.exp(2 * logsigma) - 2 * logsigma - 1)).sum()
            canvases.append(torch.sigmoid(c))
        loss_x = F.binary_cross_entropy_with_logits(c.double(), x.double(), reduction="sum")
        return loss_x / B, loss_z / B, torch.stack(canvases)


def build_model(config):
    return DrawModel(config["model"])


def load_package(folder, weights="weights.safetensors"):
    return recur_load.load_package(folder, build_model, weights)


def training_examples(folder, config, given=None):
    """The binarised training images (N, P) of the run's IDX files (its recorded folder, or `given`)."""
    images = classify_data.splits(config, given)["train"][0]
    return {"images": (images.reshape(len(images), -1) >= 128).to(torch.float32)}


def example_count(examples):
    return len(examples["images"])


def noise_shape(config, batch):
    """The latent noise a training step draws for a batch: eps (T, B, Z)."""
    return config["model"]["steps"], batch, config["model"]["latent"]


def training_loss(net, examples, idx, eps):
    """The batch mean of the bound L_x + L_z (float64, as Recur sums it) of the images idx along eps."""
    loss_x, loss_z, _ = net(examples["images"][idx], eps)
    return loss_x + loss_z
