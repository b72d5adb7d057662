"""The three mutated GRUs of Jozefowicz, Zaremba and Sutskever 2015 ("An Empirical Exploration of
Recurrent Network Architectures"), as the CS231n 2017 slides write them (sigma = sigmoid, h = h_{t-1}):

MUT1  z = sigma(W_xz x + b_z)
      r = sigma(W_xr x + W_hr h + b_r)
      h' = tanh(W_hh (r * h) + tanh(x) + b_h) * z + h * (1 - z)
MUT2  z = sigma(W_xz x + W_hz h + b_z)
      r = sigma(x + W_hr h + b_r)
      h' = tanh(W_hh (r * h) + W_xh x + b_h) * z + h * (1 - z)
MUT3  z = sigma(W_xz x + W_hz tanh(h) + b_z)
      r = sigma(W_xr x + W_hr h + b_r)
      h' = tanh(W_hh (r * h) + W_xh x + b_h) * z + h * (1 - z)

Recur's layout holds exactly these matrices (no others): weight_ih stacks the W_x* blocks, weight_hh the
W_h* blocks, in the orders below. bias_ih and bias_hh have one block per block of their weight, as
PyTorch's GRU; a gate's bias is the sum of the blocks that exist for it.

      weight_ih blocks   weight_hh blocks   b_z              b_r              b_h
MUT1  z, r               r, n               b_iz             b_ir + b_hr      b_hn
MUT2  z, n               z, r, n            b_iz + b_hz      b_hr             b_in + b_hn
MUT3  z, r, n            z, r, n            b_iz + b_hz      b_ir + b_hr      b_in + b_hn

(n is the candidate's block: W_xh in weight_ih, W_hh in weight_hh.) MUT1 and MUT2 add the raw input
to hidden-sized quantities, so their input is as wide as the hidden state; MUT3 does not.
"""

import torch

from make_zoo_fixtures import Cell


def blocks(v, k):
    """The k equal blocks of the last dimension of v."""
    return v.chunk(k, dim=-1)


def mut1_step(x, h, p):
    W_xz, W_xr = p["weight_ih"].chunk(2, dim=0)
    W_hr, W_hh = p["weight_hh"].chunk(2, dim=0)
    b_iz, b_ir = blocks(p["bias_ih"], 2)
    b_hr, b_hn = blocks(p["bias_hh"], 2)
    z = torch.sigmoid(x @ W_xz.T + b_iz)
    r = torch.sigmoid(x @ W_xr.T + h @ W_hr.T + b_ir + b_hr)
    cand = torch.tanh((r * h) @ W_hh.T + torch.tanh(x) + b_hn)
    return cand * z + h * (1 - z)


def mut2_step(x, h, p):
    W_xz, W_xh = p["weight_ih"].chunk(2, dim=0)
    W_hz, W_hr, W_hh = p["weight_hh"].chunk(3, dim=0)
    b_iz, b_in = blocks(p["bias_ih"], 2)
    b_hz, b_hr, b_hn = blocks(p["bias_hh"], 3)
    z = torch.sigmoid(x @ W_xz.T + h @ W_hz.T + b_iz + b_hz)
    r = torch.sigmoid(x + h @ W_hr.T + b_hr)
    cand = torch.tanh((r * h) @ W_hh.T + x @ W_xh.T + b_in + b_hn)
    return cand * z + h * (1 - z)


def mut3_step(x, h, p):
    W_xz, W_xr, W_xh = p["weight_ih"].chunk(3, dim=0)
    W_hz, W_hr, W_hh = p["weight_hh"].chunk(3, dim=0)
    b_iz, b_ir, b_in = blocks(p["bias_ih"], 3)
    b_hz, b_hr, b_hn = blocks(p["bias_hh"], 3)
    z = torch.sigmoid(x @ W_xz.T + torch.tanh(h) @ W_hz.T + b_iz + b_hz)
    r = torch.sigmoid(x @ W_xr.T + h @ W_hr.T + b_ir + b_hr)
    cand = torch.tanh((r * h) @ W_hh.T + x @ W_xh.T + b_in + b_hn)
    return cand * z + h * (1 - z)


CELLS = {
    "mut1": Cell(gates=2, rec_gates=2, step=mut1_step, same_width=True),
    "mut2": Cell(gates=2, rec_gates=3, step=mut2_step, same_width=True),
    "mut3": Cell(gates=3, rec_gates=3, step=mut3_step),
}
