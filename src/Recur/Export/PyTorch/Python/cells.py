"""Every recurrent cell of Recur's registry (src/Recur/Nn/Cells/CellRegistry.cs) as one time step in torch, and the
stack that runs them over layers and time with Recur's parameter names (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k},
bias_hh_l{k}, the cell's extras {name}_l{k}, highway_weight_l{k}, highway_bias_l{k}).

A cell is CellSpec(gates G, rec_gates R, step, extras, has_c): weight_ih is (G*H, in), weight_hh (R*H, H) (none when
R is 0), extras [(name, shape(in, H))]. step(x_t (B, in), state, p) -> state, where state is h (B, H) or (h, c) (fgr
adds its previous gates) and p maps the stems to this layer's tensors. The equations are the papers' (see the
Recur docs, docs/ZOO.md); the same steps built Recur's PyTorch fixtures.
"""

import math
import re

import torch
import torch.nn as nn
import torch.nn.functional as F


class CellSpec:
    def __init__(self, gates, rec_gates, step, extras=(), has_c=False, same_width=False):
        self.gates, self.rec_gates, self.step = gates, rec_gates, step
        self.extras, self.has_c, self.same_width = list(extras), has_c, same_width


def _pre(x, h, p):
    a = x @ p["weight_ih"].t() + p["bias_ih"]
    return a, h @ p["weight_hh"].t() + p["bias_hh"]


def lstm_step(x, state, p):
    h, c = state[0], state[1]
    a, r = _pre(x, h, p)
    i, f, g, o = (a + r).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def gru_step(x, h, p, reset_after=True):
    a = x @ p["weight_ih"].t() + p["bias_ih"]
    ar, az, an = a.chunk(3, dim=1)
    W_hr, W_hz, W_hn = p["weight_hh"].chunk(3, dim=0)
    b_hr, b_hz, b_hn = p["bias_hh"].chunk(3)
    r = torch.sigmoid(ar + h @ W_hr.t() + b_hr)
    z = torch.sigmoid(az + h @ W_hz.t() + b_hz)
    n = torch.tanh(an + r * (h @ W_hn.t() + b_hn)) if reset_after else torch.tanh(an + (r * h) @ W_hn.t() + b_hn)
    return (1 - z) * n + z * h


def rnn_step(x, h, p, relu=False):
    a, r = _pre(x, h, p)
    return torch.relu(a + r) if relu else torch.tanh(a + r)


# ------------------------------------------------------------------------------ MUT1-3 (Jozefowicz et al. 2015)

def mut1_step(x, h, p):
    W_xz, W_xr = p["weight_ih"].chunk(2, dim=0)
    W_hr, W_hh = p["weight_hh"].chunk(2, dim=0)
    b_iz, b_ir = p["bias_ih"].chunk(2)
    b_hr, b_hn = p["bias_hh"].chunk(2)
    z = torch.sigmoid(x @ W_xz.t() + b_iz)
    r = torch.sigmoid(x @ W_xr.t() + h @ W_hr.t() + b_ir + b_hr)
    return torch.tanh((r * h) @ W_hh.t() + torch.tanh(x) + b_hn) * z + h * (1 - z)


def mut2_step(x, h, p):
    W_xz, W_xh = p["weight_ih"].chunk(2, dim=0)
    W_hz, W_hr, W_hh = p["weight_hh"].chunk(3, dim=0)
    b_iz, b_in = p["bias_ih"].chunk(2)
    b_hz, b_hr, b_hn = p["bias_hh"].chunk(3)
    z = torch.sigmoid(x @ W_xz.t() + h @ W_hz.t() + b_iz + b_hz)
    r = torch.sigmoid(x + h @ W_hr.t() + b_hr)
    return torch.tanh((r * h) @ W_hh.t() + x @ W_xh.t() + b_in + b_hn) * z + h * (1 - z)


def mut3_step(x, h, p):
    W_xz, W_xr, W_xh = p["weight_ih"].chunk(3, dim=0)
    W_hz, W_hr, W_hh = p["weight_hh"].chunk(3, dim=0)
    b_iz, b_ir, b_in = p["bias_ih"].chunk(3)
    b_hz, b_hr, b_hn = p["bias_hh"].chunk(3)
    z = torch.sigmoid(x @ W_xz.t() + torch.tanh(h) @ W_hz.t() + b_iz + b_hz)
    r = torch.sigmoid(x @ W_xr.t() + h @ W_hr.t() + b_ir + b_hr)
    return torch.tanh((r * h) @ W_hh.t() + x @ W_xh.t() + b_in + b_hn) * z + h * (1 - z)


# ------------------------------------------------------------------------ layer-normalised LSTM (Ba et al. 2016)

def _ln(v, w, b):
    return F.layer_norm(v, (v.shape[-1],), w, b, 1e-5)


def lnlstm_step(x, state, p):
    h, c = state[0], state[1]
    a = (_ln(x @ p["weight_ih"].t() + p["bias_ih"], p["ln_ih_weight"], p["ln_ih_bias"])
         + _ln(h @ p["weight_hh"].t() + p["bias_hh"], p["ln_hh_weight"], p["ln_hh_bias"]))
    ai, af, ag, ao = a.chunk(4, dim=1)
    c = torch.sigmoid(af) * c + torch.sigmoid(ai) * torch.tanh(ag)
    return torch.sigmoid(ao) * torch.tanh(_ln(c, p["ln_c_weight"], p["ln_c_bias"])), c


# ------------------------------------------------------------------- Greff et al. 2017: peephole LSTM and variants

GREFF = {  # name: (gate blocks, peepholed gates, coupled, linear input, linear output, full gate recurrence)
    "peephole": ("ifgo", "ifo", False, False, False, False), "nig": ("fgo", "fo", False, False, False, False),
    "nfg": ("igo", "io", False, False, False, False), "nog": ("ifg", "if", False, False, False, False),
    "niaf": ("ifgo", "ifo", False, True, False, False), "noaf": ("ifgo", "ifo", False, False, True, False),
    "np": ("ifgo", "", False, False, False, False), "cifg": ("igo", "io", True, False, False, False),
    "fgr": ("ifgo", "ifo", False, False, False, True),
}


def greff_step(variant):
    gates, peeps, coupled, linear_in, linear_out, fgr = variant

    def step(x, state, p):
        h, c = state[0], state[1]
        H = h.shape[1]
        pre = dict(zip(gates, (x @ p["weight_ih"].t() + p["bias_ih"] + h @ p["weight_hh"].t() + p["bias_hh"]).split(H, dim=1)))
        peep = dict(zip(peeps, p["weight_peep"].split(H))) if peeps else {}
        if fgr:
            prev = state[2] if len(state) > 2 else torch.zeros(h.shape[0], 3 * H, dtype=h.dtype, device=h.device)
            ri, rf, ro = (prev @ p["weight_gg"].t()).split(H, dim=1)
            pre["i"], pre["f"], pre["o"] = pre["i"] + ri, pre["f"] + rf, pre["o"] + ro
        one = torch.ones_like(c)
        i = torch.sigmoid(pre["i"] + (peep["i"] * c if "i" in peep else 0)) if "i" in pre else one
        if "f" in pre:
            f = torch.sigmoid(pre["f"] + (peep["f"] * c if "f" in peep else 0))
        else:
            f = 1 - i if coupled else one
        z = pre["g"] if linear_in else torch.tanh(pre["g"])
        c_new = z * i + c * f
        o = torch.sigmoid(pre["o"] + (peep["o"] * c_new if "o" in peep else 0)) if "o" in pre else one
        h_new = (c_new if linear_out else torch.tanh(c_new)) * o
        return (h_new, c_new, torch.cat([i, f, o], dim=1)) if fgr else (h_new, c_new)

    return step


def greff_spec(variant):
    gates, peeps, fgr = variant[0], variant[1], variant[5]
    extras = [("weight_peep", lambda i, H, n=len(peeps): (n * H,))] if peeps else []
    if fgr:
        extras.append(("weight_gg", lambda i, H: (3 * H, 3 * H)))
    return CellSpec(len(gates), len(gates), greff_step(variant), extras, has_c=True)


# ------------------------------------------------------------------------- minGRU, minLSTM (Feng et al. 2024)

def _g(x):
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def mingru_step(x, h, p):
    kz, kh = (x @ p["weight_ih"].t() + p["bias_ih"]).chunk(2, dim=1)
    z = torch.sigmoid(kz)
    return (1 - z) * h + z * _g(kh)


def minlstm_step(x, h, p):
    kf, ki, kh = (x @ p["weight_ih"].t() + p["bias_ih"]).chunk(3, dim=1)
    f, i = torch.sigmoid(kf), torch.sigmoid(ki)
    fp = f / (f + i)
    return fp * h + (1 - fp) * _g(kh)


# ---------------------------------------------------------------- Recurrent Highway Network (Zilly et al. 2017)

def rhn_step(depth):
    def step(x, s, p):
        W_H, W_T = p["weight_ih"].chunk(2, dim=0)
        b_iH, b_iT = p["bias_ih"].chunk(2)
        R, b = p["weight_hh"].chunk(2 * depth, dim=0), p["bias_hh"].chunk(2 * depth)
        for layer in range(depth):
            a_h, a_t = s @ R[2 * layer].t() + b[2 * layer], s @ R[2 * layer + 1].t() + b[2 * layer + 1]
            if layer == 0:
                a_h, a_t = a_h + x @ W_H.t() + b_iH, a_t + x @ W_T.t() + b_iT
            t = torch.sigmoid(a_t)
            s = torch.tanh(a_h) * t + s * (1 - t)
        return s

    return step


def _gates4(i, H):
    return (4 * H,)


def _units(i, H):
    return (H,)


CELLS = {
    "lstm": CellSpec(4, 4, lstm_step, has_c=True),
    "gru": CellSpec(3, 3, gru_step),
    "gru-cho": CellSpec(3, 3, lambda x, h, p: gru_step(x, h, p, reset_after=False)),
    "mut1": CellSpec(2, 2, mut1_step, same_width=True),
    "mut2": CellSpec(2, 3, mut2_step, same_width=True),
    "mut3": CellSpec(3, 3, mut3_step),
    "rnn": CellSpec(1, 1, rnn_step),
    "rnn-relu": CellSpec(1, 1, lambda x, h, p: rnn_step(x, h, p, relu=True)),
    "lstm-ln": CellSpec(4, 4, lnlstm_step, has_c=True, extras=[
        ("ln_ih_weight", _gates4), ("ln_ih_bias", _gates4), ("ln_hh_weight", _gates4), ("ln_hh_bias", _gates4),
        ("ln_c_weight", _units), ("ln_c_bias", _units)]),
    "mingru": CellSpec(2, 0, mingru_step),
    "minlstm": CellSpec(3, 0, minlstm_step),
}
CELLS.update({name: greff_spec(v) for name, v in GREFF.items()})


def find_cell(name):
    """The cell of a registry name (rhn is rhn-d3; rhn-dN for N in 1..10)."""
    if name in CELLS:
        return CELLS[name]
    m = re.fullmatch(r"rhn(?:-d([1-9]|10))?", name)
    if m:
        depth = int(m.group(1) or 3)
        return CellSpec(2, 2 * depth, rhn_step(depth))
    raise ValueError(f"unknown cell '{name}'; the cells are {', '.join(sorted(CELLS))}, rhn, rhn-dN")


class CellStack(nn.Module):
    """Layers of one cell over a time-major sequence (T, B, in), Recur's Recurrent: dropout (inverted) on every
    layer's output but the last, in training; DropConnect on weight_hh (weight_drop) in training; with highway
    every layer whose input is H wide passes on g * h + (1 - g) * x, g = sigmoid(W_g x + b_g)."""

    def __init__(self, cell, input_size, hidden, layers, dropout=0.0, weight_drop=0.0, highway=False):
        super().__init__()
        self.spec = find_cell(cell)
        self.hidden, self.layers, self.dropout, self.weight_drop = hidden, layers, dropout, weight_drop
        self.highway_layers = []
        H, s = hidden, self.spec
        for k in range(layers):
            inl = input_size if k == 0 else H
            self._add(f"weight_ih_l{k}", (s.gates * H, inl))
            if s.rec_gates:
                self._add(f"weight_hh_l{k}", (s.rec_gates * H, H))
            self._add(f"bias_ih_l{k}", (s.gates * H,))
            if s.rec_gates:
                self._add(f"bias_hh_l{k}", (s.rec_gates * H,))
            for name, shape in s.extras:
                self._add(f"{name}_l{k}", shape(inl, H))
            if highway and (k > 0 or inl == H):
                self._add(f"highway_weight_l{k}", (H, H))
                self._add(f"highway_bias_l{k}", (H,))
                self.highway_layers.append(k)

    def _add(self, name, shape):
        bound = 1.0 / math.sqrt(self.hidden)
        self.register_parameter(name, nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

    def zero_state(self, batch, device):
        z = torch.zeros(self.layers, batch, self.hidden, device=device)
        return (z, z.clone()) if self.spec.has_c else (z,)

    def forward(self, x, state=None):
        """x (T, B, in); state: (h,) or (h, c), each (L, B, H), or None for zeros. Returns y (T, B, H), state."""
        T, B = x.shape[0], x.shape[1]
        if state is None:
            state = self.zero_state(B, x.device)
        hs, cs = [], []
        for k in range(self.layers):
            p = {stem: getattr(self, f"{stem}_l{k}") for stem in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
                 + [e[0] for e in self.spec.extras] if hasattr(self, f"{stem}_l{k}")}
            if self.training and self.weight_drop > 0 and "weight_hh" in p:
                p["weight_hh"] = F.dropout(p["weight_hh"], self.weight_drop, True)
            st = (state[0][k], state[1][k]) if self.spec.has_c else state[0][k]
            outs = []
            for t in range(T):
                st = self.spec.step(x[t], st, p)
                outs.append(st[0] if self.spec.has_c else st)
            y = torch.stack(outs, 0)
            if k in self.highway_layers:
                g = torch.sigmoid(x @ getattr(self, f"highway_weight_l{k}").t() + getattr(self, f"highway_bias_l{k}"))
                y = g * y + (1 - g) * x
            hs.append(st[0] if self.spec.has_c else st)
            if self.spec.has_c:
                cs.append(st[1])
            if k < self.layers - 1 and self.training and self.dropout > 0:
                y = F.dropout(y, self.dropout, True)
            x = y
        return x, ((torch.stack(hs), torch.stack(cs)) if self.spec.has_c else (torch.stack(hs),))
