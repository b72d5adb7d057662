#!/usr/bin/env python3
"""Continues a Recur classifier run (recur classify) in PyTorch from the exported state: the same weights, optimizer
moments and step count, the learning-rate schedule at the run's position, clipping, dropout and the weight average,
the same shuffled batches from the same position. One process, or N under torchrun with DistributedDataParallel
(gloo on CPU, nccl on GPU), each taking B/N of every batch so that together they take the batch one process would.

    python3 train.py --iters 100 [--data FOLDER]
    python3 torchrun.py --nproc_per_node 2 train.py --iters 100      (or python3 -m torch.distributed.run ...)

The CNN's training flips and shifts (--flip, --shift) draw from torch's random stream, not Recur's. Writes
weights.safetensors, train_state.safetensors (in place, or into --out) and metrics.jsonl; `recur import DIR --into RUN`
brings the result back. Prints one JSON line per iteration.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.parallel import DistributedDataParallel  # noqa: E402

import data  # noqa: E402
import model as recur_model  # noqa: E402
import recur_train as rt  # noqa: E402


def augment(x, flip, shift):
    """Each image mirrored with probability 1/2 (flip), then moved by up to `shift` pixels each way, zeros coming in."""
    if flip:
        mirror = torch.rand(x.shape[0], device=x.device) < 0.5
        x = torch.where(mirror[:, None, None], x.flip(-1), x)
    if shift > 0:
        B, R, C = x.shape
        padded = F.pad(x, (shift, shift, shift, shift))
        dy, dx = (torch.randint(0, 2 * shift + 1, (B,)) for _ in range(2))
        x = torch.stack([padded[b, dy[b]:dy[b] + R, dx[b]:dx[b] + C] for b in range(B)])
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    rt.add_common_arguments(ap, HERE)
    ap.add_argument("--data", default=None, help="the folder of IDX files, when the recorded one is not here")
    a = ap.parse_args()
    rank, world, device, config, tr, state, state_meta = rt.start(a, HERE)
    net = recur_model.build_model(config)
    recur_model.load_weights(net, os.path.join(HERE, "weights.safetensors"))
    averaged = rt.resume_weights(net, state, recur_model.load_named)
    net.to(device)
    named = list(net.named_parameters())
    ddp = DistributedDataParallel(net) if world > 1 else net
    images, labels = data.splits(config, a.data)["train"]
    B = tr["batch_size"]
    first, share = data.shard(B, rank, world)
    batches = data.EpochBatches(len(images), B, tr["seed"], first, share)
    if "position" in state:
        batches.epoch, batches.batch = (int(v) for v in state["position"].reshape(-1).tolist())
    opt = rt.make_optimizer(tr["optimizer"], [p for _, p in named], tr["learning_rate"], tr["weight_decay"])
    rt.load_optimizer_state(opt, named, tr["optimizer"], state)
    iteration = int(state["iteration"].reshape(-1)[0]) if "iteration" in state else 0
    history = rt.bits_to_doubles(state["history.train_loss"]) if "history.train_loss" in state else []
    clock = rt.Clock(rt.bits_to_doubles(state["elapsed_seconds"])[0] if "elapsed_seconds" in state else 0.0)
    schedule = rt.Schedule(tr, batches.K)
    average = rt.Average(tr["ema"], {n: t.to(device) for n, t in averaged.items()}) if tr["ema"] > 0 else None
    m = config["model"]
    lines = []
    for _ in range(a.iters):
        idx = batches.next()
        x = data.pixels(images[idx]).to(device)
        if m.get("architecture") == "cnn":
            x = augment(x, m.get("flip", False), m.get("shift", 0))
        lr = schedule.rate(iteration, clock.elapsed())
        for g in opt.param_groups:
            g["lr"] = lr
        loss = F.cross_entropy(ddp(x), labels[idx].to(device))
        iteration, norm = rt.step(loss, opt, named, tr, average, iteration)
        rt.record(loss.item(), iteration, batches.epoch + batches.batch / batches.K, lr, norm, clock, world, device, rank, history, lines)
    if rank == 0:
        out, raw = rt.state_entries(state, opt, named, tr["optimizer"], average, iteration, history, clock,
                                     [batches.epoch, batches.batch])
        weights = {n: t.detach().cpu() for n, t in average.values.items()} if average is not None else raw
        rt.write_checkpoint(a.out, HERE, weights, out, dict(state_meta, optimizer=tr["optimizer"], trained_by="pytorch"), lines)
    rt.finish(world)


if __name__ == "__main__":
    main()
