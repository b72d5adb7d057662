#!/usr/bin/python3
"""PyTorch reference fixtures for highway connections between stacked recurrent layers
(Recur's Recurrent(highway: true), src/Recur/Nn/Recurrent.cs and src/Recur/Nn/Highway.cs).

The highway layer of Srivastava et al. 2015, as the CS231n 2017 slides write it between stacked layers:
a layer whose input x is as wide as its hidden state passes on

    y = g * h + (1 - g) * x,    g = sigmoid(W_g x + b_g)

instead of its recurrent output h (layers 1..L-1, and layer 0 when input_size = H). h stays the layer's
recurrent state, so h_n (and c_n) are the cells' own final states. Here each layer is its own one-layer
nn.LSTM in float64, and the gate is written out in torch; the references are the float64 results rounded
once to float32, in the layout of make_rnn_fixtures.py, with __metadata__ highway = "true". Parameters per
layer, in Recur's registration order: weight_ih_l{k}, weight_hh_l{k}, [bias_ih_l{k}, bias_hh_l{k}], then for a
layer with a highway highway_weight_l{k} (H, H) [and highway_bias_l{k} (H)].

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_highway_fixtures.py
Deterministic: the same torch/numpy produce byte-identical files.
"""

import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import OUT_DIR, f32, u32, write_safetensors  # noqa: E402


def highway_applies(k, I, H):
    return k > 0 or I == H


def make_params(rng, layers, bias, I, H):
    bound = 1.5 / np.sqrt(H)
    params = {}
    for k in range(layers):
        inl = I if k == 0 else H
        params[f"weight_ih_l{k}"] = u32(rng, bound, 4 * H, inl)
        params[f"weight_hh_l{k}"] = u32(rng, bound, 4 * H, H)
        if bias:
            params[f"bias_ih_l{k}"] = u32(rng, bound, 4 * H)
            params[f"bias_hh_l{k}"] = u32(rng, bound, 4 * H)
        if highway_applies(k, I, H):
            params[f"highway_weight_l{k}"] = u32(rng, bound, H, H)
            if bias:
                params[f"highway_bias_l{k}"] = u32(rng, 1.0, H) - 1.0  # around Recur's start of -1
    return params


def run_stack(x, h0, c0, params, layers, bias, batch_first, I, H):
    """Time-major: one nn.LSTM per layer, the highway gate in torch. Returns y, h_n, c_n."""
    inp = x.transpose(0, 1) if batch_first else x
    hns, cns = [], []
    for k in range(layers):
        inl = I if k == 0 else H
        lstm = torch.nn.LSTM(inl, H, 1, bias=bias).double()
        # The module's parameters are our leaves, so their gradients land where we read them.
        lstm.weight_ih_l0 = params[f"weight_ih_l{k}"]
        lstm.weight_hh_l0 = params[f"weight_hh_l{k}"]
        if bias:
            lstm.bias_ih_l0 = params[f"bias_ih_l{k}"]
            lstm.bias_hh_l0 = params[f"bias_hh_l{k}"]
        lstm.flatten_parameters()
        h, (hn, cn) = lstm(inp, (h0[k:k + 1], c0[k:k + 1]))
        hns.append(hn[0])
        cns.append(cn[0])
        if highway_applies(k, I, H):
            a = inp @ params[f"highway_weight_l{k}"].T
            if bias:
                a = a + params[f"highway_bias_l{k}"]
            g = torch.sigmoid(a)
            h = g * h + (1 - g) * inp
        inp = h
    y = inp.transpose(0, 1) if batch_first else inp
    return y, torch.stack(hns, 0), torch.stack(cns, 0)


def run_case(layers, batch_first, bias, dims, seed):
    T, B, I, H = dims
    rng = np.random.default_rng(seed)
    params = {n: torch.nn.Parameter(p) for n, p in make_params(rng, layers, bias, I, H).items()}
    xshape = (B, T, I) if batch_first else (T, B, I)
    x = f32(rng, 1.0, *xshape).requires_grad_()
    h0 = f32(rng, 0.5, layers, B, H).requires_grad_()
    c0 = f32(rng, 0.5, layers, B, H).requires_grad_()
    dy = f32(rng, 1.0, *xshape[:2], H)
    dhn = f32(rng, 1.0, layers, B, H)
    dcn = f32(rng, 1.0, layers, B, H)
    y, hn, cn = run_stack(x, h0, c0, params, layers, bias, batch_first, I, H)
    loss = (y * dy).sum() + (hn * dhn).sum() + (cn * dcn).sum()
    loss.backward()

    def np32(t):
        return t.detach().numpy().astype(np.float32)

    tensors = [("x", np32(x)), ("h0", np32(h0)), ("c0", np32(c0)), ("dy", np32(dy)), ("dhn", np32(dhn)), ("dcn", np32(dcn))]
    tensors += [(n, np32(p)) for n, p in params.items()]
    tensors += [("y", np32(y)), ("hn", np32(hn)), ("cn", np32(cn))]
    tensors += [("dx", np32(x.grad)), ("dh0", np32(h0.grad)), ("dc0", np32(c0.grad))]
    tensors += [("grad." + n, np32(p.grad)) for n, p in params.items()]
    meta = dict(kind="lstm", highway="true", num_layers=layers, batch_first=str(batch_first).lower(), bias=str(bias).lower(),
                input_size=I, hidden_size=H, seq_len=T, batch=B, seed=seed, torch=torch.__version__)
    return tensors, meta


def cases():
    """(layers, batch_first, bias, (T, B, I, H)): a narrow input (no highway on layer 0), an input as wide as
    the hidden state (a highway on every layer), one without biases, and one wide enough that Recur's GEMMs split."""
    return [
        (2, False, True, (7, 3, 5, 11)),
        (3, True, True, (7, 3, 11, 11)),
        (2, False, False, (6, 2, 11, 11)),
        (3, False, True, (16, 8, 40, 40)),
    ]


def file_name(layers, batch_first, bias, dims):
    T, B, I, H = dims
    return (f"lstm_highway_l{layers}{'_bf' if batch_first else ''}{'' if bias else '_nobias'}"
            f"{'_in_eq_h' if I == H else ''}{'_wide' if T * B > 64 else ''}.safetensors")


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    for i, (layers, bf, bias, dims) in enumerate(cases()):
        tensors, meta = run_case(layers, bf, bias, dims, seed=5000 + i)
        path = os.path.join(OUT_DIR, file_name(layers, bf, bias, dims))
        write_safetensors(path, tensors, meta)
        print(f"{os.path.basename(path):44s} {os.path.getsize(path):7d} bytes")


if __name__ == "__main__":
    main()
