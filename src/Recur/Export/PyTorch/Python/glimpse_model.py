"""The exported glimpse classifier (recur glimpse train) as torch modules with Recur's names: the recurrent attention
model (Mnih et al. 2014, src/Recur/Models/Glimpse/RecurrentAttentionModel.cs) or the CNN over the whole canvas
(--model cnn, classify's ConvNet on one grey channel).

The attention model, for images x (B, H, W) in [0, 1], with h_0 = c_0 = 0 and the first location l_1 given:
  rho_t = the retina at l_t: k square patches g 2^s pixels wide (s = 0..k-1) around the centre pixel
          (floor((l_x + 1) / 2 W), floor((l_y + 1) / 2 H)) from column/row centre - side // 2, zeros outside the image,
          each average-pooled by 2^s to g x g, scale 0 first;
  g_t = relu(fc_hg(relu(fc_g(rho_t))) + fc_hl(relu(fc_l(l_t))))   (`glimpse.*`; fc_hl has no bias);
  h_t = LSTMCell `core`(g_t, h_{t-1});
  t < T: mu_t = tanh(locator(h_t)) (with locator_hidden L > 0: tanh(locator(relu(locator_hidden(h_t))))), the draw
         s_t = mu_t + sigma eps_t, l_{t+1} = clamp(s_t, -1, 1), b_t = baseline(h_t);
  logits = classifier(h_T).
Recur's evaluation starts every image at the centre (0, 0) and follows the policy's mean (eps = 0): deterministic.
Training draws eps (T-1, B, 2) from Recur's stream (train.py: classify_data.RecurNoise) and minimises the hybrid loss
CE + mean (b_t - R)^2 - mean A_t log N(s_t; mu_t, sigma^2) (training_loss), as RecurrentAttentionModel.Loss: the reward
R = 1 where the class is right, the advantage A_t = R - b_t held constant, the baseline's gradient into its own weights
only, the locator's into the core only with reinforce_into_core.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import recur_load
from classify_model import ConvNet


def centres(loc, size):
    """The centre pixel along an axis of `size` pixels: floor((l + 1) / 2 size) in double, as Recur's GlimpseSensor."""
    c = 0.5 * (loc.double() + 1.0) * size
    return torch.floor(c.clamp(-(1 << 26), 1 << 26)).long()


def retina(images, loc, patch, scales):
    """images (B, H, W), loc (B, 2) -> glimpses (B, k g g)."""
    B, H, W = images.shape
    pad = patch << (scales - 1)
    padded = F.pad(images, (pad, pad, pad, pad))
    cx, cy = centres(loc[:, 0], W).tolist(), centres(loc[:, 1], H).tolist()
    out = []
    for s in range(scales):
        side = patch << s
        crops = []
        for b in range(B):
            r0 = min(max(cy[b] - side // 2 + pad, 0), H + 2 * pad - side)
            c0 = min(max(cx[b] - side // 2 + pad, 0), W + 2 * pad - side)
            crops.append(padded[b, r0:r0 + side, c0:c0 + side])
        out.append(F.avg_pool2d(torch.stack(crops).unsqueeze(1), 1 << s).reshape(B, -1))
    return torch.cat(out, 1)


class GlimpseNetwork(nn.Module):
    def __init__(self, S, Hg, Hl, G):
        super().__init__()
        self.fc_g = nn.Linear(S, Hg)
        self.fc_l = nn.Linear(2, Hl)
        self.fc_hg = nn.Linear(Hg, G)
        self.fc_hl = nn.Linear(Hl, G, bias=False)

    def forward(self, rho, loc):
        return torch.relu(self.fc_hg(torch.relu(self.fc_g(rho))) + self.fc_hl(torch.relu(self.fc_l(loc))))


class RecurrentAttentionModel(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        S = m["scales"] * m["patch"] * m["patch"]
        H = m["core_hidden"]
        self.glimpse = GlimpseNetwork(S, m["glimpse_hidden"], m["location_hidden"], m["glimpse_out"])
        self.core = nn.LSTMCell(m["glimpse_out"], H)
        L = m.get("locator_hidden", 0)
        self.locator_hidden = nn.Linear(H, L) if L > 0 else None
        self.locator = nn.Linear(L if L > 0 else H, 2)
        self.baseline = nn.Linear(H, 1)
        self.classifier = nn.Linear(H, m["classes"])

    def forward(self, images, first=None, eps=None, draws=None):
        """images (B, H W) or (B, H, W); first (B, 2) (None: the centre); eps (T-1, B, 2) noise (None: the policy's mean)
        or draws (T-1, B, 2) the draws s_t themselves. Returns logits (B, K), locations (T, B, 2), means (T-1, B, 2),
        baselines (T-1, B)."""
        m = self.m
        B = images.shape[0]
        x = images.reshape(B, m["height"], m["width"])
        loc = images.new_zeros(B, 2) if first is None else first
        h = c = images.new_zeros(B, m["core_hidden"])
        locations, means, baselines = [], [], []
        for t in range(m["steps"]):
            locations.append(loc)
            g = self.glimpse(retina(x, loc, m["patch"], m["scales"]), loc)
            h, c = self.core(g, (h, c))
            if t == m["steps"] - 1:
                break
            read = h if m.get("reinforce_into_core") else h.detach()
            if self.locator_hidden is not None:
                read = torch.relu(self.locator_hidden(read))
            mu = torch.tanh(self.locator(read))
            means.append(mu)
            baselines.append(self.baseline(h.detach())[:, 0])
            s = draws[t] if draws is not None else mu if eps is None else mu + m["sigma"] * eps[t]
            loc = torch.clamp(s.detach(), -1.0, 1.0)
        if not means:
            return self.classifier(h), torch.stack(locations), images.new_zeros(0, B, 2), images.new_zeros(0, B)
        return self.classifier(h), torch.stack(locations), torch.stack(means), torch.stack(baselines)


class CanvasCnn(ConvNet):
    """--model cnn: classify's ConvNet over the whole canvas, images (B, S S) -> (logits (B, K),)."""

    def __init__(self, m):
        super().__init__(m)
        self.side = m["rows"]

    def forward(self, images, *_, **__):
        return (super().forward(images.reshape(images.shape[0], self.side, self.side)),)


def build_model(config):
    return CanvasCnn(config["model"]) if config.get("architecture") == "cnn" else RecurrentAttentionModel(config["model"])


def load_package(folder, weights="weights.safetensors"):
    return recur_load.load_package(folder, build_model, weights)


def example_count(examples):
    return len(examples["labels"])


def noise_shape(config, batch):
    """The noise a training step draws for a batch: the attention model's eps (T-1, B, 2); none for the CNN."""
    return None if config.get("architecture") == "cnn" else (config["model"]["steps"] - 1, batch, 2)


def training_loss(net, examples, idx, eps=None):
    """Recur's training loss of the canvases idx: the cross-entropy (batch mean), and for the attention model along the
    draws mu + sigma eps the baseline's and REINFORCE's terms (means over the T-1 steps and the batch)."""
    images, labels = examples["images"][idx], examples["labels"][idx]
    if eps is None:
        return F.cross_entropy(net(images)[0], labels)
    logits, _, means, baselines = net(images, None, eps)
    loss = F.cross_entropy(logits, labels)
    if means.shape[0] == 0:
        return loss
    sigma = getattr(net, "module", net).m["sigma"]
    reward = (logits.argmax(1) == labels).to(logits.dtype)  # (B)
    advantage = (reward.unsqueeze(0) - baselines).detach()  # (T-1, B)
    z = (means.detach() + sigma * eps - means) / sigma
    log_pi = (-0.5 * z * z - math.log(sigma) - 0.5 * math.log(2 * math.pi)).sum(2)  # (T-1, B)
    return loss + ((baselines - reward.unsqueeze(0)) ** 2).mean() - (advantage * log_pi).mean()
