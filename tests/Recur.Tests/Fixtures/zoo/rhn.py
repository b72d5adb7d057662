"""Recurrent Highway Networks (Zilly, Srivastava, Koutnik and Schmidhuber 2017, "Recurrent Highway
Networks"), with recurrence depth D and the coupled carry gate c = 1 - t. One time step runs D
micro-layers l = 1..D from s_0 = h_{t-1}; only the first sees the input ([l == 1] is 1 for l = 1, else 0):

    h_l = tanh(W_H x [l == 1] + R_Hl s_{l-1} + b_Hl)
    t_l = sigmoid(W_T x [l == 1] + R_Tl s_{l-1} + b_Tl)
    s_l = h_l * t_l + s_{l-1} * (1 - t_l)
    h_t = s_D

Recur's layout holds exactly these matrices: weight_ih (2H, in) blocks W_H, W_T; weight_hh (2DH, H) blocks
R_H1, R_T1, ..., R_HD, R_TD; bias_ih (2H) blocks of weight_ih; bias_hh (2DH) blocks of weight_hh. The
first micro-layer's bias is b_ih + b_hh[:2H] (b_Hl, b_Tl for l > 1 are b_hh's blocks alone).
"""

import torch

from make_zoo_fixtures import Cell


def make_step(depth):
    def step(x, s, p):
        W_H, W_T = p["weight_ih"].chunk(2, dim=0)
        b_iH, b_iT = p["bias_ih"].chunk(2)
        R = p["weight_hh"].chunk(2 * depth, dim=0)
        b = p["bias_hh"].chunk(2 * depth)
        for l in range(depth):
            a_h = s @ R[2 * l].T + b[2 * l]
            a_t = s @ R[2 * l + 1].T + b[2 * l + 1]
            if l == 0:
                a_h = a_h + x @ W_H.T + b_iH
                a_t = a_t + x @ W_T.T + b_iT
            h = torch.tanh(a_h)
            t = torch.sigmoid(a_t)
            s = h * t + s * (1 - t)
        return s

    return step


CELLS = {
    "rhn": Cell(gates=2, rec_gates=2 * 3, step=make_step(3)),  # the registry's rhn is depth 3
    "rhn-d2": Cell(gates=2, rec_gates=2 * 2, step=make_step(2)),
}
