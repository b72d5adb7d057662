#!/usr/bin/python3
"""For PyTorchClassifierTests: an exported classifier package's model.py over given images.

    classifier_logits.py IMAGES.safetensors PACKAGE OUT.safetensors [PACKAGE OUT.safetensors ...]

IMAGES holds `images`, int64 (B, rows, cols) bytes; pixels are byte / 255 as Recur reads them. Writes `logits` (B, K).
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
        images = st.load(inputs)[0]["images"].to(torch.float32) / 255.0
        _, net = model.load_package(package)
        net.eval()
        with torch.no_grad():
            st.save(out, {"logits": net(images)})
        sys.path.remove(package)


if __name__ == "__main__":
    main()
