"""Layer-normalised LSTM (Ba, Kiros & Hinton 2016, "Layer Normalization", section 3.1 and the
LSTM equations of its supplementary material), gate order i, f, g, o as PyTorch's LSTM.

lstm-ln  weight_ih (4H, in), weight_hh (4H, H), bias_ih, bias_hh (4H), and six layer-norm parameters:
         ln_ih_weight, ln_ih_bias (4H), ln_hh_weight, ln_hh_bias (4H), ln_c_weight, ln_c_bias (H)
         (gains start at 1, shifts at 0):
    a   = LN(W_ih x + b_ih; ln_ih) + LN(W_hh h_{t-1} + b_hh; ln_hh)       (4H, LN over the whole row)
    i, f, o = sigmoid(a_i, a_f, a_o);  g = tanh(a_g)
    c_t = f c_{t-1} + i g;             h_t = o tanh(LN(c_t; ln_c))
LN is torch.nn.functional.layer_norm (biased variance, eps 1e-5). Each side is PyTorch's Linear (weight and
bias) followed by a LayerNorm; the paper's single shift b is ln_ih_bias + ln_hh_bias. The state carried to
the next step is the unnormalised c_t, as in the paper.
"""

import torch
import torch.nn.functional as F

from make_zoo_fixtures import Cell

EPS = 1e-5


def ln(v, w, b):
    return F.layer_norm(v, (v.shape[-1],), w, b, EPS)


def lnlstm_step(x, state, p):
    h, c = state
    a = (ln(x @ p["weight_ih"].T + p["bias_ih"], p["ln_ih_weight"], p["ln_ih_bias"])
         + ln(h @ p["weight_hh"].T + p["bias_hh"], p["ln_hh_weight"], p["ln_hh_bias"]))
    ai, af, ag, ao = a.chunk(4, dim=1)
    i, f, g, o = torch.sigmoid(ai), torch.sigmoid(af), torch.tanh(ag), torch.sigmoid(ao)
    c = f * c + i * g
    h = o * torch.tanh(ln(c, p["ln_c_weight"], p["ln_c_bias"]))
    return h, c


def gates4(_, H):
    return (4 * H,)


def units(_, H):
    return (H,)


CELLS = {
    "lstm-ln": Cell(gates=4, rec_gates=4, step=lnlstm_step, has_c=True, extras=[
        ("ln_ih_weight", gates4, 1.0), ("ln_ih_bias", gates4, 0.0),
        ("ln_hh_weight", gates4, 1.0), ("ln_hh_bias", gates4, 0.0),
        ("ln_c_weight", units, 1.0), ("ln_c_bias", units, 0.0),
    ]),
}
