#!/usr/bin/env python3
"""Scores the exported tagger as `recur tag eval` does: the mean cross-entropy per token, the token accuracy and the
accuracy on words never seen in training, over the run's validation sentences (or --split test), in batches of 64;
the sentences and their gold tags come from sentences.json (written by the export from the run's corpus). With
--tag WORD ..., tags those words as one sentence instead.

    python3 eval.py [--split validation|test] [--weights weights.safetensors] [--tag The cat sat .]

Prints one JSON line: {"split", "loss", "accuracy", "unseen_accuracy", "tokens", "unseen"} (or {"words", "tags"}).
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="validation", choices=["validation", "val", "test"])
    ap.add_argument("--weights", default="weights.safetensors")
    ap.add_argument("--tag", nargs="+", default=None)
    a = ap.parse_args()
    config, net = recur_model.load_package(HERE, a.weights)
    net.eval()
    if a.tag:
        with torch.no_grad():
            logits = net(*recur_model.encode([a.tag], config))
        print(json.dumps({"words": a.tag, "tags": [config["tags"][i] for i in logits[:, 0].argmax(1).tolist()]}))
        return
    path = os.path.join(HERE, config.get("export", {}).get("sentences", "sentences.json"))
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: export the run again where its corpus can be read (recur export RUN --pytorch DIR --data FOLDER)")
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    split = "validation" if a.split == "val" else a.split
    sentences, seen = data[split], set(data["seen"])
    loss, right, tokens, unseen, unseen_right = 0.0, 0, 0, 0, 0
    with torch.no_grad():
        for s in range(0, len(sentences), 64):
            batch = sentences[s:s + 64]
            logits = net(*recur_model.encode([x["words"] for x in batch], config))
            for b, x in enumerate(batch):
                n = len(x["words"])
                gold = torch.tensor(x["tags"])
                loss += F.cross_entropy(logits[:n, b].double(), gold, reduction="sum").item()
                ok = logits[:n, b].argmax(1) == gold
                right += int(ok.sum())
                tokens += n
                for w, good in zip(x["words"], ok.tolist()):
                    if w.lower() not in seen:
                        unseen += 1
                        unseen_right += int(good)
    nan = float("nan")
    print(json.dumps({"split": split, "loss": loss / tokens if tokens else nan, "accuracy": right / tokens if tokens else nan,
                      "unseen_accuracy": unseen_right / unseen if unseen else nan, "tokens": tokens, "unseen": unseen}))


if __name__ == "__main__":
    main()
