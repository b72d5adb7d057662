#!/usr/bin/env python3
"""Continues a Recur DRAW run (recur draw train) in PyTorch from the exported state: the same weights, optimizer moments
and step count, the learning-rate schedule at the run's position, clipping and the weight average, over the binarised
training images (the run's Fashion-MNIST folder, the last val_frac held out; a pixel is 1 at grey level 128 and above)
in the order Recur's epochs shuffle them, from the same position; the loss the batch mean of L_x + L_z. The latent
noise eps (T, B, Z) of every step comes from Recur's own random stream (xoshiro256** and Box-Muller, carried in the
training state and written back), so the run continues as Recur's would; --noise torch draws it from torch instead
(faster, the same in distribution only). One process, or N under torchrun with DistributedDataParallel (gloo on CPU,
nccl on GPU), each taking B/N of every batch (and of its noise).

    python3 train.py --iters 100 [--max-iters N] [--out DIR] [--data FOLDER] [--noise recur|torch]
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
import model as recur_model  # noqa: E402
import recur_load  # noqa: E402
import recur_train as rt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--max-iters", type=int, default=None)
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--data", default=None, help="the folder of IDX files, when the recorded one is not here")
    ap.add_argument("--noise", default="recur", choices=["recur", "torch"])
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    rank, world, device = rt.workers()
    config = recur_load.read_config(HERE)
    tr = dict(config["training"])
    if a.max_iters is not None:
        tr["max_iters"] = a.max_iters
    state, state_meta = rt.read_state(HERE)
    _, net = recur_model.load_package(HERE)
    frozen = net.frozen
    averaged = {n: t.clone() for n, t in net.state_dict().items()}
    if any(k.startswith("train_weights.") for k in state):
        recur_load.load_named(net, {k[len("train_weights."):]: v for k, v in state.items() if k.startswith("train_weights.")}, "train_state")
    net.to(device)
    net.train()
    named = list(net.named_parameters())
    ddp = DistributedDataParallel(net) if world > 1 else net
    images = classify_data.splits(config, a.data)["train"][0]
    count, P = len(images), images.shape[1] * images.shape[2]
    B = tr["batch_size"]
    first, share = classify_data.shard(B, rank, world)
    batches = classify_data.EpochBatches(count, B, tr["seed"], first, share)
    if "position" in state:
        batches.epoch, batches.batch = (int(v) for v in state["position"].reshape(-1).tolist())
    m = config["model"]
    rng = classify_data.RecurNoise(state["rng"]) if a.noise == "recur" else None
    opt = rt.make_optimizer(tr["optimizer"], [p for _, p in named], tr["learning_rate"], tr["weight_decay"])
    rt.load_optimizer_state(opt, named, tr["optimizer"], state)
    iteration = int(state["iteration"].reshape(-1)[0]) if "iteration" in state else 0
    history = rt.bits_to_doubles(state["history.train_loss"]) if "history.train_loss" in state else []
    clock = rt.Clock(rt.bits_to_doubles(state["elapsed_seconds"])[0] if "elapsed_seconds" in state else 0.0)
    schedule = rt.Schedule(tr, batches.K)
    average = rt.Average(tr["ema"], {n: t.to(device) for n, t in averaged.items()}) if tr["ema"] > 0 else None
    lines = []
    for _ in range(a.iters):
        idx = batches.next()
        x = (images[idx].reshape(-1, P) >= 128).to(torch.float32).to(device)
        eps = (rng.normal((m["steps"], B, m["latent"])) if rng else torch.randn(m["steps"], B, m["latent"]))[:, first:first + share]
        lr = schedule.rate(iteration, clock.elapsed())
        for g in opt.param_groups:
            g["lr"] = lr
        lx, lz, _ = ddp(x, eps.to(device))
        loss = lx + lz  # float64, as Recur sums the bound
        iteration, norm = rt.step(loss, opt, named, tr, average, iteration)
        rt.record(loss.item(), iteration, batches.epoch + batches.batch / batches.K, lr, norm, clock, world, device, rank, history, lines)
    if rank == 0:
        out, raw = rt.state_entries(state, opt, named, tr["optimizer"], average, iteration, history, clock,
                                     [batches.epoch, batches.batch])
        if rng:
            out["rng"] = rng.state()
        weights = {n: t.detach().cpu() for n, t in average.values.items()} if average is not None else raw
        weights.update(frozen)
        rt.write_checkpoint(a.out, HERE, weights, out, dict(state_meta, optimizer=tr["optimizer"], trained_by="pytorch"), lines)
        if os.path.abspath(a.out) != HERE and os.path.exists(os.path.join(HERE, "eval_set.safetensors")):  # eval.py's set goes along
            shutil.copyfile(os.path.join(HERE, "eval_set.safetensors"), os.path.join(a.out, "eval_set.safetensors"))
    rt.finish(world)


if __name__ == "__main__":
    main()
