#!/usr/bin/env python3
"""Continues a Recur captioning run (recur caption train) in PyTorch from the exported state: the same captioner
weights, optimizer moments and step count, the learning-rate schedule at the run's position, clipping and the weight
average, the same shuffled batches of the same scenes from the same position; the frozen encoder computes the
features first, as Recur does before its clock starts. One process, or N under torchrun (gloo on CPU, nccl on GPU),
each taking B/N of every batch; the gradients are summed over the workers (all_reduce, as DistributedDataParallel
does), each worker's loss being its share of the batch's mean cross-entropy per word (its words' sum over the whole
batch's words) and of the regulariser (its captions' over the batch's), so N workers compute what one does.

    python3 train.py --iters 100 [--data FOLDER]
    python3 torchrun.py --nproc_per_node 2 train.py --iters 100      (or python3 -m torch.distributed.run ...)

Feature and context dropout draw from torch's random stream, not Recur's; hard attention is not continued here.
Writes weights.safetensors, train_state.safetensors (in place, or into --out) and metrics.jsonl; `recur import DIR
--into RUN` brings the result back. Prints one JSON line per iteration.
"""

import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import data  # noqa: E402
import model as recur_model  # noqa: E402
import recur_train as rt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    rt.add_common_arguments(ap, HERE)
    ap.add_argument("--data", default=None, help="the folder of Fashion-MNIST IDX files, when the recorded one is not here")
    a = ap.parse_args()
    rank, world, device, config, tr, state, state_meta = rt.start(a, HERE)
    m = config["model"]
    if m.get("attention") == "hard":
        raise SystemExit("hard attention (REINFORCE over sampled locations) is not continued in PyTorch; score it with eval.py")
    net = recur_model.build_model(config)
    recur_model.load_weights(net, os.path.join(HERE, "weights.safetensors"))
    for p in net.encoder.parameters():
        p.requires_grad_(False)
    feats, captions = data.split(HERE, config, "train", net.encoder, a.data)
    encoder_weights = {f"encoder.{n}": t.clone() for n, t in net.encoder.state_dict().items()}
    averaged = {n: p.detach().clone() for n, p in net.captioner_parameters()}
    if any(k.startswith("train_weights.") for k in state):
        own = {k[len("train_weights."):]: v for k, v in state.items() if k.startswith("train_weights.")}
        recur_model.load_named(net, own, "train_state", strict=False)
    net.to(device)
    net.train()
    named = net.captioner_parameters()
    B = tr["batch_size"]
    first, share = data.shard(B, rank, world)
    batches = data.EpochBatches(len(captions), B, tr["seed"])
    if "position" in state:
        batches.epoch, batches.batch = (int(v) for v in state["position"].reshape(-1).tolist())
    opt = rt.make_optimizer(tr["optimizer"], [p for _, p in named], tr["learning_rate"], tr["weight_decay"])
    rt.load_optimizer_state(opt, named, tr["optimizer"], state)
    iteration = int(state["iteration"].reshape(-1)[0]) if "iteration" in state else 0
    history = rt.bits_to_doubles(state["history.train_loss"]) if "history.train_loss" in state else []
    clock = rt.Clock(rt.bits_to_doubles(state["elapsed_seconds"])[0] if "elapsed_seconds" in state else 0.0)
    schedule = rt.Schedule(tr, batches.K)
    average = rt.Average(tr["ema"], {n: t.to(device) for n, t in averaged.items()}) if tr["ema"] > 0 else None
    coords = 2 if config.get("coordinates", False) else 0
    lines = []
    for _ in range(a.iters):
        whole = batches.next()
        idx = whole[first:first + share]
        x = feats[idx].to(device)
        if m.get("feature_dropout", 0) > 0:
            D = x.shape[2] - coords
            x = torch.cat([F.dropout(x[:, :, :D], m["feature_dropout"], True), x[:, :, D:]], 2)
        caps = captions[idx].to(device)
        words = int((captions[whole][:, 1:] != recur_model.NULL).sum())
        lr = schedule.rate(iteration, clock.elapsed())
        for g in opt.param_groups:
            g["lr"] = lr
        net.hold_visual_columns()
        ce, reg, _ = net.loss_sums(x, caps, m.get("label_smoothing", 0.0), m.get("context_dropout", 0.0))
        share_loss = ce / words + reg / B
        opt.zero_grad(set_to_none=True)
        share_loss.backward()
        for _, p in named:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            if world > 1:
                dist.all_reduce(p.grad)
        norm = rt.clip([p for _, p in named], tr)
        opt.step()
        iteration += 1
        net.hold_visual_columns()
        if average is not None:
            average.update(named, iteration)
        value = rt.mean_over_workers(share_loss.item() * world, world, device)
        history.append(value)
        line = {"type": "train", "iter": iteration, "epoch": batches.epoch + batches.batch / batches.K, "loss": value, "lr": lr,
                "grad_norm": norm, "elapsed_s": clock.elapsed()}
        lines.append(line)
        if rank == 0:
            print(json.dumps(line), flush=True)
    if rank == 0:
        out, raw = rt.state_entries(state, opt, named, tr["optimizer"], average, iteration, history, clock,
                                     [batches.epoch, batches.batch])
        weights = {n: t.detach().cpu() for n, t in average.values.items()} if average is not None else raw
        weights.update(encoder_weights)
        rt.write_checkpoint(a.out, HERE, weights, out, dict(state_meta, optimizer=tr["optimizer"], trained_by="pytorch"), lines)
        scenes = os.path.join(HERE, config.get("export", {}).get("scenes", "scenes.safetensors"))
        if os.path.abspath(a.out) != HERE and os.path.exists(scenes):
            shutil.copyfile(scenes, os.path.join(a.out, os.path.basename(scenes)))
    if world > 1:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
