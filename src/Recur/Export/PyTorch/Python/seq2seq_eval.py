#!/usr/bin/env python3
"""Runs the exported sequence-to-sequence model (recur g2p, recur translate) on given inputs: greedy decoding as
Recur's GreedyDecoder does it (`recur g2p eval`'s and `recur translate eval`'s greedy output) and, with targets, the
mean cross-entropy per target symbol as Recur's Loss computes it.

    python3 eval.py --inputs IN.safetensors [--out OUT.safetensors]   (source (Ts, B) and lengths (B) int64 ids;
                                                                         targets (B, max_target + 2) optional)
    python3 eval.py --words hello world                                (g2p: letters lower-cased, as Recur encodes them)

The validation and test splits (the lexicon's or the parallel corpus's, split by Recur) are not rebuilt here: score
them with `recur g2p eval` / `recur translate eval` after `recur import`. Prints one JSON line: {"greedy": [[ids]],
"loss"} or {"words", "phones"}; OUT gets `greedy` (B, max_target) (-1 after the end), `loss` and `logits` (T, B, V).
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import model as recur_model  # noqa: E402
import recur_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--words", nargs="+", default=None)
    ap.add_argument("--weights", default="weights.safetensors")
    a = ap.parse_args()
    config, net = recur_model.load_package(HERE, a.weights)
    net.eval()
    max_target = config["model"]["max_target"]
    if a.words:
        if "letters" not in config:
            raise SystemExit("--words is for pronunciation models (recur g2p); give --inputs with the source ids")
        letters = {c: i for i, c in enumerate(config["letters"]) if i >= 2}
        ids = [[letters.get(c, 1) for c in w.lower()] for w in a.words]
        source = torch.zeros(max(len(i) for i in ids), len(ids), dtype=torch.long)
        for b, i in enumerate(ids):
            source[:len(i), b] = torch.tensor(i)
        with torch.no_grad():
            out = recur_model.greedy(net, source, torch.tensor([len(i) for i in ids]), max_target)
        print(json.dumps({"words": a.words, "phones": [" ".join(config["phones"][k] for k in row) for row in out]}))
        return
    if a.inputs is None:
        raise SystemExit("give --inputs FILE.safetensors (source, lengths[, targets]) or --words")
    tensors = recur_safetensors.load(a.inputs)[0]
    source, lengths = tensors["source"].long(), tensors["lengths"].long()
    result, saved = {}, {}
    with torch.no_grad():
        rows = recur_model.greedy(net, source, lengths, max_target)
        result["greedy"] = rows
        g = torch.full((len(rows), max_target + 1), -1, dtype=torch.int64)
        for b, r in enumerate(rows):
            g[b, :len(r)] = torch.tensor(r, dtype=torch.int64)
        saved["greedy"] = g
        if "targets" in tensors:
            targets = tensors["targets"].long()
            inputs, gold = recur_model.teacher_forcing(targets)
            logits = net(source, lengths, inputs)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[2]).double(), gold.reshape(-1), ignore_index=-100)
            result["loss"] = loss.item()
            saved["loss"] = torch.tensor([loss.item()])
            saved["logits"] = logits
    if a.out:
        recur_safetensors.save(a.out, saved)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
