"""The task's evaluation set (and training set, for the packages that train) as Recur made it: eval_set.safetensors
(train_set.safetensors), written by `recur export --pytorch` from the run's
data folder (the scenes, dialogs, clips and cluttered canvases come from Recur's generators, the features from the
run's frozen encoder, DRAW's noise from Recur's stream; src/Recur/Export/PyTorch/TaskDataSets.cs lists what each
holds). Reimplementing those generators in Python is left undone: export again with --data FOLDER when the package
has no eval_set.safetensors. The sequence tasks (tag, g2p, translate) have a training set only, from the run's corpus.
"""

import argparse
import os
import sys

import recur_safetensors

FILE = "eval_set.safetensors"
TRAIN_FILE = "train_set.safetensors"


def load(folder, name=FILE):
    """(tensors, metadata) of the package's evaluation set (or, name=TRAIN_FILE, its training set); exits with the way
    to get one when it is missing."""
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        sys.exit(f"{path} is missing: the export did not find the run's data (its Fashion-MNIST folder, corpus or dictionary); "
                 "run `recur export RUN --pytorch DIR --data PATH` to write it")
    return recur_safetensors.load(path)


def parts(tensors, meta):
    """The scene tasks' parts, in order: name -> {field: tensor} (validation-seen, validation-heldout)."""
    return {p: {k[len(p) + 1:]: v for k, v in tensors.items() if k.startswith(p + ".")} for p in meta["parts"].split(",")}


def training_examples(folder):
    """The training set as one dict of tensors indexed by example: the scene tasks' part "train", or the clips."""
    tensors, meta = load(folder, TRAIN_FILE)
    return parts(tensors, meta)["train"] if "parts" in meta else tensors


def evaluated(folder, doc, model_module):
    """What every task package's eval.py starts with: its --weights option (described by the script's `doc`), the model of
    `model_module` loaded from `folder` in eval mode, and the evaluation set: (net, tensors, metadata)."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--weights", default="weights.safetensors")
    a = ap.parse_args()
    _, net = model_module.load_package(folder, a.weights)
    net.eval()
    return (net, *load(folder))
