"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"), their sequential form.

Gates depend on x only, so training may run a scan over the sequence; these steps are the
definition the scan must reproduce. The candidate goes through g(x) = x + 1/2 for x >= 0,
sigmoid(x) otherwise (the paper's log-space version, which keeps h positive).

minGRU   weight_ih (2H, in), gate blocks z, h~:
         z = sigmoid(k_z);  h~ = g(k_h);  h_t = (1 - z) h_{t-1} + z h~
minLSTM  weight_ih (3H, in), gate blocks f, i, h~:
         f' = sigmoid(k_f) / (sigmoid(k_f) + sigmoid(k_i));  h_t = f' h_{t-1} + (1 - f') g(k_h)
"""

import torch

from make_zoo_fixtures import Cell


def g(x):
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def proj(x, p):
    return x @ p["weight_ih"].T + p["bias_ih"]


def mingru_step(x, h, p):
    kz, kh = proj(x, p).chunk(2, dim=1)
    z = torch.sigmoid(kz)
    return (1 - z) * h + z * g(kh)


def minlstm_step(x, h, p):
    kf, ki, kh = proj(x, p).chunk(3, dim=1)
    f, i = torch.sigmoid(kf), torch.sigmoid(ki)
    fp = f / (f + i)
    return fp * h + (1 - fp) * g(kh)


CELLS = {
    "mingru": Cell(gates=2, rec_gates=0, step=mingru_step),
    "minlstm": Cell(gates=3, rec_gates=0, step=minlstm_step),
}
