"""The LSTM search space of Greff et al. 2017 ("LSTM: A Search Space Odyssey"): their vanilla
peephole LSTM and its eight variants, one step each, written from the paper's equations.

Vanilla ("peephole"); peepholes p_i, p_f, p_o are diagonal (elementwise), sigma the logistic
sigmoid, g and h tanh:
    i   = sigma(W_i x + R_i h_{t-1} + p_i * c_{t-1} + b_i)
    f   = sigma(W_f x + R_f h_{t-1} + p_f * c_{t-1} + b_f)
    z   = g(W_z x + R_z h_{t-1} + b_z)
    c_t = z * i + c_{t-1} * f
    o   = sigma(W_o x + R_o h_{t-1} + p_o * c_t + b_o)
    h_t = h(c_t) * o

Variants: nig (i = 1), nfg (f = 1), nog (o = 1), niaf (g = identity), noaf (h = identity),
np (no peepholes), cifg (f = 1 - i), fgr (full gate recurrence: i, f and o each also receive
i_{t-1}, f_{t-1}, o_{t-1} through nine H x H matrices).

Parameters, in Recur's registration order: weight_ih (G*H, in) and weight_hh (G*H, H) with rows
for the gates that exist, in PyTorch's LSTM order i, f, g(=z), o; bias_ih, bias_hh (G*H); then
weight_peep (P*H), the peepholes of the peepholed gates that exist, in the order i, f, o; and
for fgr weight_gg (3H, 3H): rows are the receiving gate i, f, o, columns the sending gate
i_{t-1}, f_{t-1}, o_{t-1} (so R_fi, f_{t-1} -> i, is rows [0, H), columns [H, 2H)).

fgr's previous gate activations are zero at the first step of every sequence (chunk): the state
the driver passes in is (h, c), and the step returns (h, c, [i; f; o]) so the next step of the
same chunk sees them. Carrying them across chunks is not done (Recur does not either).
"""

import torch

from make_zoo_fixtures import Cell


class Variant:
    def __init__(self, gates="ifgo", peep="ifo", coupled=False, linear_in=False, linear_out=False, fgr=False):
        self.gates = gates        # blocks of weight_ih / weight_hh, in order
        self.peep = peep          # peepholed gates, in order (each must exist)
        self.coupled = coupled    # cifg: f = 1 - i
        self.linear_in = linear_in
        self.linear_out = linear_out
        self.fgr = fgr


VARIANTS = {
    "peephole": Variant(),
    "nig": Variant(gates="fgo", peep="fo"),
    "nfg": Variant(gates="igo", peep="io"),
    "nog": Variant(gates="ifg", peep="if"),
    "niaf": Variant(linear_in=True),
    "noaf": Variant(linear_out=True),
    "np": Variant(peep=""),
    "cifg": Variant(gates="igo", peep="io", coupled=True),
    "fgr": Variant(fgr=True),
}


def make_step(v):
    def step(x, state, p):
        h, c = state[0], state[1]
        H = h.shape[1]
        a = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
        pre = dict(zip(v.gates, a.split(H, dim=1)))
        peep = dict(zip(v.peep, p["weight_peep"].split(H))) if v.peep else {}
        if v.fgr:
            prev = state[2] if len(state) > 2 else torch.zeros(h.shape[0], 3 * H, dtype=h.dtype)
            ri, rf, ro = (prev @ p["weight_gg"].T).split(H, dim=1)
            pre["i"] = pre["i"] + ri
            pre["f"] = pre["f"] + rf
            pre["o"] = pre["o"] + ro

        def peephole(gate, cell):
            return peep[gate] * cell if gate in peep else 0

        one = torch.ones_like(c)
        i = torch.sigmoid(pre["i"] + peephole("i", c)) if "i" in pre else one
        if "f" in pre:
            f = torch.sigmoid(pre["f"] + peephole("f", c))
        else:
            f = 1 - i if v.coupled else one
        z = pre["g"] if v.linear_in else torch.tanh(pre["g"])
        c_new = z * i + c * f
        o = torch.sigmoid(pre["o"] + peephole("o", c_new)) if "o" in pre else one
        h_new = (c_new if v.linear_out else torch.tanh(c_new)) * o
        if v.fgr:
            return h_new, c_new, torch.cat([i, f, o], dim=1)
        return h_new, c_new

    return step


def make_cell(v):
    extras = []
    if v.peep:
        extras.append(("weight_peep", lambda i, H, n=len(v.peep): (n * H,), None))
    if v.fgr:
        extras.append(("weight_gg", lambda i, H: (3 * H, 3 * H), None))
    return Cell(gates=len(v.gates), rec_gates=len(v.gates), step=make_step(v), extras=extras, has_c=True)


CELLS = {name: make_cell(v) for name, v in VARIANTS.items()}
