#!/usr/bin/python3
"""For PyTorchModelTests: runs exported packages' model.py over given tokens and writes the logits.

    package_logits.py INPUTS.safetensors PACKAGE OUT.safetensors [PACKAGE OUT.safetensors ...]

INPUTS holds tokens1 and tokens2, int64 (T, B): two chunks, the second from the state the first left. Each
package's own model.py is imported fresh (its folder first on sys.path), its weights.safetensors loaded with
strict names and shapes, and logits1, logits2 (T, B, V) written to OUT. One process for every package, so the
suite pays torch's import once.
"""

import importlib
import sys

import torch


def main():
    torch.set_num_threads(1)
    inputs, pairs = sys.argv[1], sys.argv[2:]
    for i in range(0, len(pairs), 2):
        package, out = pairs[i], pairs[i + 1]
        sys.path.insert(0, package)
        for name in ["recur_safetensors", "cells", "blocks", "model"]:
            sys.modules.pop(name, None)
        st = importlib.import_module("recur_safetensors")
        model = importlib.import_module("model")
        tensors, _ = st.load(inputs)
        _, net = model.load_package(package)
        net.eval()
        with torch.no_grad():
            l1, state = net(tensors["tokens1"], None)
            l2, _ = net(tensors["tokens2"], state)
        st.save(out, {"logits1": l1, "logits2": l2})
        sys.path.remove(package)


if __name__ == "__main__":
    main()
