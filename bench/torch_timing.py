"""What the issue 29 reference scripts (draw_ref.py, video_ref.py, glimpse_ref.py) share: the timed loop and its JSON line."""

import json
import time

import torch


def race_step(model, opt, loss_of):
    """One training step: zero the gradients, the loss of batch i (loss_of(i)), backward, clip to norm 5, Adam."""

    def step(i):
        opt.zero_grad()
        loss = loss_of(i)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return loss.item()

    return step


def time_and_report(model, step, iters, batch, threads, rate_key):
    """Runs step(i) three times to warm up (the first loss is kept), then iters times timed; prints one JSON line."""
    first = step(0)
    for i in range(1, 3):
        step(i)
    t0 = time.perf_counter()
    loss = first
    for i in range(iters):
        loss = step(i)
    s = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"seconds": s, rate_key: iters * batch / s, "threads": threads, "torch": torch.__version__,
                      "params": params, "first_loss": first, "loss": loss}))
