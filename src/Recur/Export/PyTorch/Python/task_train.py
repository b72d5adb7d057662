#!/usr/bin/env python3
"""Continues a Recur run of a task over a fixed training set (vqa, dialog, video, glimpse, draw; tag, g2p, translate) in
PyTorch from the exported state: the same weights, optimizer moments and step count, the learning-rate schedule at the
run's position, clipping and the weight average, over the training set Recur wrote (train_set.safetensors; DRAW: the
binarised images of the run's IDX files, --data FOLDER) in the order Recur's epochs shuffle it, from the same
position. One process, or N under torchrun with DistributedDataParallel (gloo on CPU, nccl on GPU), each taking B/N
of every batch so that together they take the batch one process would (with --bucket, batches of like length, as
Recur's; an ensemble whose members visit the examples in orders of their own, model.member_seeds, gets one batch per
member). The loss is the task's: model.training_loss, a mean over the examples, or, for a mean over tokens or
symbols (tag, g2p, translate), model.training_sums, each worker's sum taken over the whole batch's count.
Dropout (video with layers > 1, tag, g2p, translate) draws from torch's random stream, not Recur's. DRAW's latent
noise and the glimpse model's REINFORCE draws come from Recur's stream (xoshiro256** and Box-Muller, carried in the
training state and written back), so the run continues as Recur's would (--noise torch: from torch's, faster, the
same in distribution only); glimpse's package holds the training canvases of one epoch (Recur draws them afresh every
epoch): train.py stops at that epoch's end.

    python3 train.py --iters 100 [--max-iters N] [--out DIR] [--noise recur|torch] [--data FOLDER]
    python3 torchrun.py --nproc_per_node 2 train.py --iters 100      (or python3 -m torch.distributed.run ...)

Writes weights.safetensors, train_state.safetensors (in place, or into --out) and metrics.jsonl; `recur import DIR
--into RUN` brings the result back. Prints one JSON line per iteration.
"""

import argparse
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
from torch.nn.parallel import DistributedDataParallel  # noqa: E402

import classify_data  # noqa: E402
import data  # noqa: E402
import model as recur_model  # noqa: E402
import recur_load  # noqa: E402
import recur_train as rt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    rt.add_common_arguments(ap, HERE)
    ap.add_argument("--noise", default="recur", choices=["recur", "torch"], help="the stream of a model's noise (draw, glimpse)")
    ap.add_argument("--data", default=None, help="DRAW: the folder of IDX files, when the recorded one is not here")
    a = ap.parse_args()
    rank, world, device, config, tr, state, state_meta = rt.start(a, HERE)
    _, net = recur_model.load_package(HERE)
    frozen = net.frozen
    averaged = rt.resume_weights(net, state, recur_load.load_named)
    net.to(device)
    net.train()
    named = list(net.named_parameters())
    ddp = DistributedDataParallel(net) if world > 1 else net
    made = recur_model.training_examples(HERE, config, a.data) if hasattr(recur_model, "training_examples") else data.training_examples(HERE)
    examples = {k: v.to(device) for k, v in made.items()}
    only_epoch = int(examples.pop("epoch")[0]) if "epoch" in examples else None  # glimpse: one epoch's canvases
    count = recur_model.example_count(examples)
    B = tr["batch_size"]
    first, share = classify_data.shard(B, rank, world)
    lengths = examples["lengths"].tolist() if "lengths" in examples else None
    batches = classify_data.EpochBatches(count, B, tr["seed"], first, share, lengths, tr.get("bucket", 0))
    # an ensemble whose members each visit the examples in an order of their own (VQA): one order per member, in step
    seeds = recur_model.member_seeds(config, tr["seed"]) if hasattr(recur_model, "member_seeds") else []
    members = [classify_data.EpochBatches(count, B, s, first, share, lengths, tr.get("bucket", 0)) for s in seeds]
    if "position" in state:
        batches.epoch, batches.batch = (int(v) for v in state["position"].reshape(-1).tolist())
        for m in members:
            m.epoch, m.batch = batches.epoch, batches.batch
    opt = rt.make_optimizer(tr["optimizer"], [p for _, p in named], tr["learning_rate"], tr["weight_decay"])
    rt.load_optimizer_state(opt, named, tr["optimizer"], state)
    iteration = int(state["iteration"].reshape(-1)[0]) if "iteration" in state else 0
    history = rt.bits_to_doubles(state["history.train_loss"]) if "history.train_loss" in state else []
    clock = rt.Clock(rt.bits_to_doubles(state["elapsed_seconds"])[0] if "elapsed_seconds" in state else 0.0)
    schedule = rt.Schedule(tr, batches.K)
    average = rt.Average(tr["ema"], {n: t.to(device) for n, t in averaged.items()}) if tr["ema"] > 0 else None
    noise_shape = recur_model.noise_shape(config, B) if hasattr(recur_model, "noise_shape") else None
    noise = classify_data.RecurNoise(state["rng"]) if noise_shape and a.noise == "recur" else None
    lines = []
    for _ in range(a.iters):
        if only_epoch is not None and batches.epoch != only_epoch:
            if rank == 0:
                print(f"stopped at the end of epoch {only_epoch}, whose canvases the package holds: import the result, export it "
                      "again for the next epoch's", file=sys.stderr)
            break
        idx = batches.next().to(device)
        if members:
            idx = [idx] + [m.next().to(device) for m in members]
        drawn = []
        if noise_shape:
            eps = noise.normal(noise_shape) if noise else torch.randn(noise_shape)
            drawn = [eps[:, first:first + share].to(device)]
        lr = schedule.rate(iteration, clock.elapsed())
        for g in opt.param_groups:
            g["lr"] = lr
        if hasattr(recur_model, "training_sums"):
            loss = rt.share_of_mean(*recur_model.training_sums(ddp, examples, idx), world, device)
        else:
            loss = recur_model.training_loss(ddp, examples, idx, *drawn)
        iteration, norm = rt.step(loss, opt, named, tr, average, iteration)
        rt.record(loss.item(), iteration, batches.epoch + batches.batch / batches.K, lr, norm, clock, world, device, rank, history, lines)
    if rank == 0:
        out, raw = rt.state_entries(state, opt, named, tr["optimizer"], average, iteration, history, clock,
                                     [batches.epoch, batches.batch])
        if noise:
            out["rng"] = noise.state()
        weights = {n: t.detach().cpu() for n, t in average.values.items()} if average is not None else raw
        weights.update(frozen)
        rt.write_checkpoint(a.out, HERE, weights, out, dict(state_meta, optimizer=tr["optimizer"], trained_by="pytorch"), lines)
        if os.path.abspath(a.out) != HERE:  # the sets go along, so that eval.py and train.py run in the new folder too
            for name in (data.FILE, data.TRAIN_FILE):
                if os.path.exists(os.path.join(HERE, name)):
                    shutil.copyfile(os.path.join(HERE, name), os.path.join(a.out, name))
    rt.finish(world)


if __name__ == "__main__":
    main()
