#!/usr/bin/python3
"""For PyTorchTaskModelTests: exported tagger and sequence-to-sequence packages' model.py on given inputs.

    task_outputs.py KIND PACKAGE INPUT OUT [KIND PACKAGE INPUT OUT ...]

tag: INPUT is a JSON list of sentences (lists of words), encoded by the package's own model.encode; OUT gets
`logits` (T, B, K). seq2seq: INPUT holds `source` (Ts, B), `lengths` (B) and `targets` (B, W) int64; OUT gets `loss`
(the mean cross-entropy per target symbol, float64), `first` (B, V) the first step's logits and `greedy`
(B, max_target + 1), the greedy symbols with -1 after the end. One process for every package.
"""

import importlib
import json
import sys

import torch
import torch.nn.functional as F


def main():
    torch.set_num_threads(1)
    args = sys.argv[1:]
    for i in range(0, len(args), 4):
        kind, package, given, out = args[i:i + 4]
        sys.path.insert(0, package)
        for name in ["recur_safetensors", "recur_load", "cells", "blocks", "model"]:
            sys.modules.pop(name, None)
        st = importlib.import_module("recur_safetensors")
        model = importlib.import_module("model")
        config, net = model.load_package(package)
        net.eval()
        with torch.no_grad():
            if kind == "tag":
                with open(given, encoding="utf-8") as f:
                    sentences = json.load(f)
                st.save(out, {"logits": net(*model.encode(sentences, config))})
            else:
                t = st.load(given)[0]
                source, lengths, targets = t["source"], t["lengths"], t["targets"]
                T = int(max((row == model.END).nonzero()[0, 0].item() for row in targets))
                logits = net(source, lengths, targets[:, :T].t())
                gold = targets[:, 1:T + 1].t().clone()
                gold[gold == model.PAD] = -100
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[2]).double(), gold.reshape(-1), ignore_index=-100)
                rows = model.greedy(net, source, lengths, config["model"]["max_target"])
                greedy = torch.full((len(rows), config["model"]["max_target"] + 1), -1, dtype=torch.int64)
                for b, r in enumerate(rows):
                    greedy[b, :len(r)] = torch.tensor(r, dtype=torch.int64)
                st.save(out, {"loss": torch.tensor([loss.item()], dtype=torch.float64), "first": logits[0], "greedy": greedy})
        sys.path.remove(package)


if __name__ == "__main__":
    main()
