#!/usr/bin/env python3
"""PyTorch reference for one character-LSTM training step (the race in bench/Recur.Bench lstm-step).

embedding -> nn.LSTM stack -> nn.Linear head -> cross-entropy -> backward -> clip_grad_norm_(5) -> Adam.
Prints one JSON line: tokens/s (median over timed steps), threads, peak RSS.
Run: /usr/bin/python3 bench/lstm_step_ref.py --batch 32 --time 64 --hidden 128 --layers 2 --threads 1
"""
import argparse, json, resource, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=32)
p.add_argument("--time", type=int, default=64)
p.add_argument("--hidden", type=int, default=128)
p.add_argument("--layers", type=int, default=2)
p.add_argument("--embed", type=int, default=64)
p.add_argument("--vocab", type=int, default=65)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup", type=int, default=3)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


class CharLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(a.vocab, a.embed)
        self.rnn = nn.LSTM(a.embed, a.hidden, a.layers)
        self.head = nn.Linear(a.hidden, a.vocab)

    def forward(self, x, state):
        y, state = self.rnn(self.embedding(x), state)
        return self.head(y), state


m = CharLstm()
opt = torch.optim.Adam(m.parameters(), lr=2e-3)
loss_fn = nn.CrossEntropyLoss()
x = torch.randint(0, a.vocab, (a.time, a.batch))
y = torch.randint(0, a.vocab, (a.time, a.batch))
state = None
times = []
for i in range(a.warmup + a.steps):
    t0 = time.perf_counter()
    if state is not None:
        state = tuple(s.detach() for s in state)
    logits, state = m(x, state)
    loss = loss_fn(logits.reshape(-1, a.vocab), y.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 5.0)
    opt.step()
    if i >= a.warmup:
        times.append(time.perf_counter() - t0)
times.sort()
med = times[len(times) // 2]
print(json.dumps({
    "impl": "pytorch", "torch": torch.__version__, "threads": a.threads,
    "batch": a.batch, "time": a.time, "hidden": a.hidden, "layers": a.layers,
    "step_ms": med * 1e3, "tokens_per_s": a.batch * a.time / med,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
}))
