"""What every exported train.py shares: workers (torchrun, DistributedDataParallel: gloo on CPU, nccl on GPU), the
optimizer with Recur's state, the learning-rate schedule at Recur's position, clipping, the weight average, and
the training-state file both ways.

train_state.safetensors holds Recur's state.safetensors entries (iteration, rng, optimizer.step, history.*,
elapsed_seconds, the task's position and carried state) with the arena-wide buffers cut per parameter:
optimizer.BUFFER.NAME (exp_avg, exp_avg_sq, square_avg, sum) and, for a run that averages its weights (--ema),
train_weights.NAME, the optimizer's own weights (weights.safetensors then holds their average).
"""

import json
import math
import os
import shutil
import sys
import time

import torch
import torch.distributed as dist

import recur_safetensors

BUFFERS = {"adam": ["exp_avg", "exp_avg_sq"], "adamw": ["exp_avg", "exp_avg_sq"], "rmsprop": ["square_avg"],
           "adagrad": ["sum"], "sgd": []}


def add_common_arguments(ap, folder):
    """The options every train.py takes: --iters, --max-iters, --out (default: the package `folder`), --threads."""
    ap.add_argument("--iters", type=int, default=100, help="updates to run (default 100)")
    ap.add_argument("--max-iters", type=int, default=None, help="the run's iteration limit (the cosine schedule's end); default: as recorded")
    ap.add_argument("--out", default=folder, help="where to write the result (default: this folder)")
    ap.add_argument("--threads", type=int, default=0)


def start(a, folder):
    """(rank, world, device, config, training, state, state_meta) of the package in `folder` under the parsed options `a`:
    the threads set, the workers started, the training options with --max-iters applied, Recur's training state read."""
    if a.threads:
        torch.set_num_threads(a.threads)
    rank, world, device = workers()
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    training = dict(config["training"])
    if a.max_iters is not None:
        training["max_iters"] = a.max_iters
    state, state_meta = read_state(folder)
    return rank, world, device, config, training, state, state_meta


def resume_weights(net, state, load_named):
    """The weight average to go on from (the package's weights as loaded) and, for a run that averages its weights, the
    optimizer's own weights (train_weights.* of the state) loaded into `net` with `load_named(net, tensors, source)`."""
    averaged = {n: t.clone() for n, t in net.state_dict().items()}
    if any(k.startswith("train_weights.") for k in state):
        load_named(net, {k[len("train_weights."):]: v for k, v in state.items() if k.startswith("train_weights.")}, "train_state")
    return averaged


def workers():
    """(rank, world, device): one process, or this worker of a torchrun group (its process group started)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if torch.cuda.is_available() and os.environ.get("RECUR_CPU") != "1":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


def finish(world):
    """Leaves the worker group: every worker meets the others, the group is destroyed, and the process ends at once
    (os._exit, its output flushed): torch 1.13's gloo group can otherwise hang in its teardown at interpreter exit
    once its peer has gone (one two-worker run in four or so on this machine)."""
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def mean_over_workers(value, world, device):
    if world == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.item() / world


def share_of_mean(total, count, world, device):
    """This worker's share of a batch's mean over items that differ in number between the workers (tokens, symbols):
    its sum over the batch's count (summed over the workers), times the worker count, since DistributedDataParallel
    averages the workers' gradients; the mean over the workers of the result is the batch's mean."""
    n = torch.tensor([count], dtype=torch.float64, device=device)
    if world > 1:
        dist.all_reduce(n)
    return total * (world / float(n.item()))


def make_optimizer(name, params, lr, weight_decay):
    """Recur's optimizers with the hyperparameters its registry fixes (src/Recur/Training/OptimizerRegistry.cs)."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.95, eps=1e-8, weight_decay=weight_decay)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    raise SystemExit(f"optimizer {name} has no PyTorch counterpart here")


def load_optimizer_state(opt, named, name, state):
    """Puts Recur's moments and step count into a torch optimizer's per-parameter state."""
    step = int(state["optimizer.step"].reshape(-1)[0]) if "optimizer.step" in state else 0
    if step == 0:
        return
    for pname, p in named:
        s = {"step": torch.tensor(float(step))}
        for buf in BUFFERS[name]:
            s[buf] = state[f"optimizer.{buf}.{pname}"].to(p.device, torch.float32).reshape(p.shape).clone()
        opt.state[p] = s


def optimizer_entries(opt, named, name):
    out, step = {}, 0
    for buf in BUFFERS[name]:
        for pname, p in named:
            s = opt.state.get(p, {})
            out[f"optimizer.{buf}.{pname}"] = s[buf].detach().cpu() if buf in s else torch.zeros(p.shape)
    for _, p in named:
        if "step" in opt.state.get(p, {}):
            step = int(float(opt.state[p]["step"]))
            break
    out["optimizer.step"] = torch.tensor([step], dtype=torch.int64)
    return out


class Schedule:
    """Recur's rate for the update after `iteration` updates (src/Recur/Training/Trainer.cs): step decay every
    round(lr_decay_every K) updates, or the cosine from lr to lr_min over the run's limit (the larger of the
    iterations done out of the iteration limit and the elapsed time out of --minutes)."""

    def __init__(self, training, batches_per_epoch):
        self.t = training
        K = batches_per_epoch
        limit = training["max_iters"] if training["max_iters"] > 0 else math.inf
        if training["max_epochs"] > 0:
            limit = min(limit, math.ceil(training["max_epochs"] * K))
        self.limit = limit
        self.decay_every = max(1, round(training["lr_decay_every"] * K))

    def rate(self, iteration, elapsed):
        t = self.t
        if t["lr_schedule"] == "cosine":
            p_iters = 0.0 if math.isinf(self.limit) else iteration / self.limit
            p_time = elapsed / (t["minutes"] * 60) if t["minutes"] > 0 else 0.0
            r = min(max(max(p_iters, p_time), 0.0), 1.0)
            return t["lr_min"] + 0.5 * (1 + math.cos(math.pi * r)) * (t["learning_rate"] - t["lr_min"])
        if t["lr_decay"] < 1:
            return t["learning_rate"] * t["lr_decay"] ** (iteration // self.decay_every)
        return t["learning_rate"]


def clip(params, training):
    """Recur's clipping: the global L2 norm (clip_grad_norm_) or each element; returns the norm before clipping."""
    params = [p for p in params if p.grad is not None]
    if training["grad_clip"] > 0 and training["clip_mode"] == "norm":
        return float(torch.nn.utils.clip_grad_norm_(params, training["grad_clip"]))
    norm = float(torch.norm(torch.stack([p.grad.norm() for p in params])))
    if training["grad_clip"] > 0:
        torch.nn.utils.clip_grad_value_(params, training["grad_clip"])
    return norm


class Average:
    """The moving average of the weights Recur keeps with --ema: decay min(ema, (1 + k) / (10 + k)) at update k."""

    def __init__(self, ema, start):
        self.ema = ema
        self.values = {n: t.detach().clone() for n, t in start.items()}

    def update(self, named, k):
        rate = 1 - min(self.ema, (1.0 + k) / (10.0 + k))
        with torch.no_grad():
            for n, p in named:
                self.values[n].add_(p.detach() - self.values[n], alpha=rate)


def step(loss, opt, named, training, average, iteration):
    """Recur's training step after its loss: backward, clipping, the optimizer's step and the weight average.
    Returns the next iteration and the gradient norm before clipping."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = clip([p for _, p in named], training)
    opt.step()
    iteration += 1
    if average is not None:
        average.update(named, iteration)
    return iteration, norm


def record(value, iteration, epoch, lr, norm, clock, world, device, rank, history, lines):
    """The step's train line as Recur's metrics.jsonl writes it: the loss averaged over the workers, kept in history and
    lines, printed by rank 0."""
    value = mean_over_workers(value, world, device)
    history.append(value)
    line = {"type": "train", "iter": iteration, "epoch": epoch, "loss": value, "lr": lr, "grad_norm": norm,
            "elapsed_s": clock.elapsed()}
    lines.append(line)
    if rank == 0:
        print(json.dumps(line), flush=True)


def state_entries(state, opt, named, optimizer, average, iteration, history, clock, position):
    """The training state a checkpoint holds after a continuation: the exported state's own entries (those this run does
    not replace), the optimizer's, the raw weights when a weight average is kept, the iteration, the losses, the clock and
    the batch position (epoch, batch). Returns the entries and the raw weights."""
    out = {k: v for k, v in state.items() if not k.startswith(("optimizer.", "train_weights."))}
    out.update(optimizer_entries(opt, named, optimizer))
    raw = {n: p.detach().cpu() for n, p in named}
    if average is not None:
        out.update({f"train_weights.{n}": t for n, t in raw.items()})
    out["iteration"] = torch.tensor([iteration], dtype=torch.int64)
    out["history.train_loss"] = doubles_to_bits(history)
    out["elapsed_seconds"] = doubles_to_bits([clock.elapsed()])
    out["position"] = torch.tensor(position, dtype=torch.int64)
    return out, raw


def doubles_to_bits(values):
    return torch.tensor(values, dtype=torch.float64).view(torch.int64)


def bits_to_doubles(t):
    return t.reshape(-1).view(torch.float64).tolist()


def read_state(folder):
    path = os.path.join(folder, "train_state.safetensors")
    if not os.path.exists(path):
        return {}, {}
    return recur_safetensors.load(path)


def write_checkpoint(out, folder, weights, state, meta, metrics_lines):
    """Writes weights.safetensors and train_state.safetensors into `out` (config and vocabulary copied when `out`
    is another folder), and appends the iterations to metrics.jsonl."""
    os.makedirs(out, exist_ok=True)
    if os.path.abspath(out) != os.path.abspath(folder):
        for name in os.listdir(folder):
            if name.endswith((".json", ".py", ".txt", ".md")) and not name.startswith("metrics"):
                shutil.copyfile(os.path.join(folder, name), os.path.join(out, name))
    recur_safetensors.save(os.path.join(out, "weights.safetensors"), weights)
    recur_safetensors.save(os.path.join(out, "train_state.safetensors"), state, meta)
    with open(os.path.join(out, "metrics.jsonl"), "a", encoding="utf-8") as f:
        for line in metrics_lines:
            f.write(json.dumps(line) + "\n")


class Clock:
    def __init__(self, before):
        self.before, self.start = before, time.perf_counter()

    def elapsed(self):
        return self.before + time.perf_counter() - self.start
