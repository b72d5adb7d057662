#!/usr/bin/env python3
"""Continues a Recur character-model run in PyTorch from the exported state: the same weights, optimizer moments and
step count, the learning-rate schedule at the run's position, clipping, dropout and the weight average, reading the
same batches from the same position with the carried hidden state. One process, or N under torchrun with
DistributedDataParallel (gloo on CPU, nccl on GPU), each reading B/N of the streams so that together they read the
batch one process would.

    python3 train.py --iters 50                                   # here, one process
    python3 -m torch.distributed.run --nproc_per_node 2 train.py --iters 50
    python3 train.py --iters 50 --out trained                     # leave the export as it was

Writes weights.safetensors and train_state.safetensors (in place, or into --out with the rest of the package), and
metrics.jsonl; `recur import DIR --into RUN` brings the result back. Prints one JSON line per iteration.
"""

import argparse
import json
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


def evaluate(net, tokens, batch, seq, device):
    net.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for x, y in data.eval_chunks(tokens, batch, seq):
            logits, state = net(x.to(device), state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.to(device).reshape(-1), reduction="sum").item()
            count += y.numel()
    net.train()
    return total / count


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    rt.add_common_arguments(ap, HERE)
    ap.add_argument("--text", default=None, help="the run's text, when neither the package nor the recorded path has it")
    ap.add_argument("--eval", action="store_true", help="score the validation split at the end")
    a = ap.parse_args()
    rank, world, device, config, tr, state, state_meta = rt.start(a, HERE)
    net = recur_model.build_model(config)
    recur_model.load_weights(net, os.path.join(HERE, "weights.safetensors"))
    averaged = rt.resume_weights(net, state, recur_model.load_named)
    net.to(device)
    named = list(net.named_parameters())
    ddp = DistributedDataParallel(net) if world > 1 else net

    tokens = data.load_tokens(HERE, config, a.text)
    sp = data.splits(tokens, tr["val_frac"], tr["test_frac"])
    B, T = tr["batch_size"], tr["seq_length"]
    first, count = data.shard(B, rank, world)
    batcher = data.StreamBatcher(sp["train"], B, T, first, count)
    if "position" in state:
        batcher.epoch, batcher.batch = (int(v) for v in state["position"].reshape(-1).tolist())
    carried = None
    if batcher.batch != 0 and "hidden.h" in state:
        carried = tuple(state[k][:, first:first + count].contiguous().to(device) for k in ("hidden.h", "hidden.c") if k in state)
    elif batcher.batch != 0 and net.is_blocks and rank == 0:
        print("note: a block model's carried state does not transfer; this epoch continues from a zero state", file=sys.stderr)

    opt = rt.make_optimizer(tr["optimizer"], [p for _, p in named], tr["learning_rate"], tr["weight_decay"])
    rt.load_optimizer_state(opt, named, tr["optimizer"], state)
    iteration = int(state["iteration"].reshape(-1)[0]) if "iteration" in state else 0
    history = rt.bits_to_doubles(state["history.train_loss"]) if "history.train_loss" in state else []
    clock = rt.Clock(rt.bits_to_doubles(state["elapsed_seconds"])[0] if "elapsed_seconds" in state else 0.0)
    schedule = rt.Schedule(tr, batcher.K)
    average = rt.Average(tr["ema"], {n: t.to(device) for n, t in averaged.items()}) if tr["ema"] > 0 else None
    lines = []
    for _ in range(a.iters):
        x, y, starts = batcher.next()
        if starts:
            carried = None
        lr = schedule.rate(iteration, clock.elapsed())
        for g in opt.param_groups:
            g["lr"] = lr
        logits, carried = ddp(x.to(device), carried)
        carried = recur_model.detach_state(carried)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.to(device).reshape(-1))
        iteration, norm = rt.step(loss, opt, named, tr, average, iteration)
        rt.record(loss.item(), iteration, batcher.epoch + batcher.batch / batcher.K, lr, norm, clock, world, device, rank, history, lines)

    # Gather the carried state of every worker's streams, in stream order.
    full = []
    for t in (carried if batcher.batch != 0 and carried is not None and not net.is_blocks else ()):
        parts = [torch.empty_like(t) for _ in range(world)] if world > 1 else [t]
        if world > 1:
            torch.distributed.all_gather(parts, t.contiguous())
        full.append(torch.cat(parts, 1).cpu())
    if rank == 0:
        out = {k: v for k, v in state.items() if not k.startswith(("optimizer.", "train_weights.", "hidden."))}
        out.update(rt.optimizer_entries(opt, named, tr["optimizer"]))
        raw = {n: p.detach().cpu() for n, p in named}
        if average is not None:
            out.update({f"train_weights.{n}": t for n, t in raw.items()})
        out["iteration"] = torch.tensor([iteration], dtype=torch.int64)
        out["history.train_loss"] = rt.doubles_to_bits(history)
        out["elapsed_seconds"] = rt.doubles_to_bits([clock.elapsed()])
        out["position"] = torch.tensor([batcher.epoch, batcher.batch], dtype=torch.int64)
        for name, t in zip(("hidden.h", "hidden.c"), full):
            out[name] = t
        weights = {n: t.detach().cpu() for n, t in average.values.items()} if average is not None else raw
        meta = dict(state_meta, optimizer=tr["optimizer"], trained_by="pytorch")
        rt.write_checkpoint(a.out, HERE, weights, out, meta, lines)
        if a.eval:
            if average is not None:
                recur_model.load_named(net, {n: t.to(device) for n, t in average.values.items()}, "average")
            print(json.dumps({"type": "val", "iter": iteration, "loss": evaluate(net, sp["validation"], B, T, device)}), flush=True)
    rt.finish(world)


if __name__ == "__main__":
    main()
