#!/usr/bin/python3
"""For PyTorchVisionTaskModelTests: runs exported vision task packages' model.py (vqa, dialog, video, glimpse, draw)
over given inputs and writes the outputs.

    vision_task_outputs.py PACKAGE INPUTS.safetensors OUT.safetensors [PACKAGE INPUTS OUT ...]

By the package's task (config.json's "task"):
  vqa      features (B, L, D), questions (B, T), choices (B, 4)       -> scores (B, 4)
  dialog   features (B, L, D), questions (B, R, T), answers (B, R)    -> scores (B, R, A)
  video    x (T, B, D)                                                -> action (B, A), visible (T, B, C)
  glimpse  images (B, H W), first (B, 2), eps (T-1, B, 2)             -> logits and locations with that noise, mean_logits
                                                                         from the centre along the policy's mean; cnn: logits
  draw     images (B, P), eps (T, B, Z)                               -> loss [L_x, L_z], canvases (T, B, P)
One process for every package, so the suite pays torch's import once.
"""

import importlib
import json
import os
import sys

import torch


def outputs(task, net, t, config):
    if task == "vqa":
        return {"scores": net(t["features"], t["questions"], t["choices"])}
    if task == "dialog":
        return {"scores": net(t["features"], t["questions"], t["answers"])}
    if task == "video":
        action, visible = net(t["x"])
        return {"action": action, "visible": visible}
    if task == "glimpse":
        if config.get("architecture") == "cnn":
            return {"logits": net(t["images"])[0]}
        logits, locations, _, _ = net(t["images"], t["first"], t["eps"])
        return {"logits": logits, "locations": locations, "mean_logits": net(t["images"])[0]}
    if task == "draw":
        lx, lz, canvases = net(t["images"], t["eps"])
        return {"loss": torch.tensor([lx.item(), lz.item()]), "canvases": canvases}
    raise SystemExit(f"no outputs for task {task}")


def main():
    torch.set_num_threads(1)
    args = sys.argv[1:]
    for i in range(0, len(args), 3):
        package, inputs, out = args[i:i + 3]
        sys.path.insert(0, package)
        for name in ["recur_safetensors", "recur_load", "answer_head", "cells", "blocks", "classify_model", "model"]:
            sys.modules.pop(name, None)
        st = importlib.import_module("recur_safetensors")
        model = importlib.import_module("model")
        with open(os.path.join(package, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        _, net = model.load_package(package)
        net.eval()
        with torch.no_grad():
            st.save(out, {k: v.to(torch.float32).contiguous() for k, v in outputs(config["task"], net, st.load(inputs)[0], config).items()})
        sys.path.remove(package)


if __name__ == "__main__":
    main()
