"""Diagonal state-space blocks: the LRU (Orvieto et al. 2023) and Mamba's selective SSM (Gu & Dao 2023).

Both are pre-norm residual blocks y = x + f(LN(x)) over a time-major chunk x (T, B, D), written here from
the papers' equations with a plain loop over time (no scan tricks), in float64 with autograd.

lru    N = D complex state units.  u = LN(x);  lambda = exp(-exp(nu_log) + i exp(theta_log));
       gamma = exp(gamma_log);  h_t = lambda * h_{t-1} + gamma * (B u_t),  B = B_re + i B_im  (N, D);
       out_t = Re(C h_t) + D * u_t,  C = C_re + i C_im  (D, N);  y = x + gelu_tanh(out) W_o^T + b_o.
mamba  E = expand, Di = E D, N = state_size, K = conv_width, R = ceil(D / 16).  u = LN(x);
       (x_in, z) = u W_in^T;  x_c = silu(causal depthwise conv1d_K(x_in) + b_conv);
       (d, B, C) = x_c W_x^T  (R, N, N);  delta = softplus(d W_dt^T + b_dt);  A = -exp(A_log)  (Di, N);
       h_t = exp(delta_t A) * h_{t-1} + delta_t B_t x_c,t  (per row (Di, N));
       y_t = C_t . h_t + D * x_c,t;  out = (y * silu(z)) W_out^T;  block output x + out.
"""

import math

import torch
import torch.nn.functional as F

from make_block_fixtures import Block


def layer_norm(x, p):
    return F.layer_norm(x, (x.shape[-1],), p["norm.weight"], p["norm.bias"], 1e-5)


# ----------------------------------------------------------------------------------------------- LRU

def lru_params(D, opts):
    N = D
    return [
        ("norm.weight", (D,), 1.0),
        ("norm.bias", (D,), 0.0),
        ("nu_log", (N,), ("uniform", -4.0, -1.5)),
        ("theta_log", (N,), ("uniform", -2.5, 0.5)),
        ("gamma_log", (N,), ("uniform", -2.0, -0.5)),
        ("B_re", (N, D), None),
        ("B_im", (N, D), None),
        ("C_re", (D, N), None),
        ("C_im", (D, N), None),
        ("D", (D,), ("uniform", -1.0, 1.0)),
        ("out_proj.weight", (D, D), None),
        ("out_proj.bias", (D,), None),
    ]


def lru_forward(x, p, opts):
    T, B, D = x.shape
    u = layer_norm(x, p)
    lam = torch.exp(torch.complex(-torch.exp(p["nu_log"]), torch.exp(p["theta_log"])))
    gamma = torch.exp(p["gamma_log"])
    Bc = torch.complex(p["B_re"], p["B_im"])
    Cc = torch.complex(p["C_re"], p["C_im"])
    h = torch.zeros(B, D, dtype=torch.complex128)
    outs = []
    for t in range(T):
        ut = u[t].to(torch.complex128)
        h = lam * h + gamma * (ut @ Bc.T)
        outs.append((h @ Cc.T).real + p["D"] * u[t])
    out = torch.stack(outs)
    return x + F.gelu(out, approximate="tanh") @ p["out_proj.weight"].T + p["out_proj.bias"]


# --------------------------------------------------------------------------------------------- Mamba

def mamba_dims(D, opts):
    return opts["expand"] * D, opts["state_size"], opts["conv_width"], math.ceil(D / 16)


def mamba_params(D, opts):
    Di, N, K, R = mamba_dims(D, opts)
    return [
        ("norm.weight", (D,), 1.0),
        ("norm.bias", (D,), 0.0),
        ("in_proj.weight", (2 * Di, D), None),
        ("conv1d.weight", (Di, 1, K), ("uniform", -0.6, 0.6)),
        ("conv1d.bias", (Di,), None),
        ("x_proj.weight", (R + 2 * N, Di), None),
        ("dt_proj.weight", (Di, R), ("uniform", -1.0, 1.0)),
        ("dt_proj.bias", (Di,), ("uniform", -3.0, 0.5)),
        ("A_log", (Di, N), ("uniform", -1.0, 1.5)),
        ("D", (Di,), 1.0),
        ("out_proj.weight", (D, Di), None),
    ]


def mamba_forward(x, p, opts):
    T, B, D = x.shape
    Di, N, K, R = mamba_dims(D, opts)
    u = layer_norm(x, p)
    x_in, z = (u @ p["in_proj.weight"].T).split(Di, dim=-1)
    conv = F.conv1d(x_in.permute(1, 2, 0), p["conv1d.weight"], p["conv1d.bias"], padding=K - 1, groups=Di)
    x_c = F.silu(conv[..., :T].permute(2, 0, 1))  # (T, B, Di)
    d, Bm, Cm = (x_c @ p["x_proj.weight"].T).split([R, N, N], dim=-1)
    delta = F.softplus(d @ p["dt_proj.weight"].T + p["dt_proj.bias"])  # (T, B, Di)
    A = -torch.exp(p["A_log"])  # (Di, N)
    h = torch.zeros(B, Di, N, dtype=x.dtype)
    ys = []
    for t in range(T):
        dt = delta[t].unsqueeze(-1)  # (B, Di, 1)
        h = torch.exp(dt * A) * h + dt * Bm[t].unsqueeze(1) * x_c[t].unsqueeze(-1)
        ys.append((h * Cm[t].unsqueeze(1)).sum(-1) + p["D"] * x_c[t])
    y = torch.stack(ys) * F.silu(z)
    return x + y @ p["out_proj.weight"].T


BLOCKS = {
    "lru": Block(params=lru_params, forward=lru_forward),
    "mamba": Block(params=mamba_params, forward=mamba_forward),
}
