#!/usr/bin/env python3
"""Scores the exported captioner as `recur caption eval` and the training's validation do: the mean cross-entropy per
word over the validation scenes (seen and held-out compositions) and the regulariser (per batch of 256, averaged),
the features from the package's encoder. With --greedy N, also the greedy captions of the first N scenes.

    python3 eval.py [--data FOLDER] [--weights weights.safetensors] [--greedy N]

Prints one JSON line: {"split", "loss", "regulariser", "words", "scenes"[, "greedy"]}. The exact-match rate (a caption
true of its scene, read back by Recur's grammar) is not computed here: `recur caption eval` gives it after import.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import data  # noqa: E402
import model as recur_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--weights", default="weights.safetensors")
    ap.add_argument("--greedy", type=int, default=0)
    a = ap.parse_args()
    config, net = recur_model.load_package(HERE, a.weights)
    net.eval()
    net.hold_visual_columns()
    feats, captions = data.split(HERE, config, "validation", net.encoder, a.data)
    ce, reg, words, batches = 0.0, 0.0, 0, 0
    with torch.no_grad():
        for s in range(0, len(captions), 256):
            c, r, w = net.loss_sums(feats[s:s + 256], captions[s:s + 256])
            ce += c.item()
            reg += r.item() / len(captions[s:s + 256])
            words += w
            batches += 1
        out = {"split": "validation", "loss": ce / words if words else float("nan"), "regulariser": reg / max(batches, 1),
               "words": words, "scenes": len(captions)}
        if a.greedy:
            out["greedy"] = net.greedy(feats[:a.greedy]).tolist()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
