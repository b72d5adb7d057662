#!/usr/bin/env python3
"""PyTorch side of the equal-time race (bench/Recur.Bench race).

The same model and training as `recur train FILE` chose for the text (its width, layers and dropout are passed in):
characters of the text sorted by code point, train = first 90 %, validation = the next 5 % (the last 5 % is the
test split, not read here); the train split cut into --batch streams, each iteration the next --seq characters of
every stream, hidden state carried (detached) and reset each epoch; an LSTM (embedding 32, --hidden, --layers) with
--dropout between its layers and before the head, cross-entropy, clip_grad_norm_(5), Adam --lr annealed by a cosine
over the wall-clock budget, and a moving average of the weights (decay min(--ema, (1+k)/(10+k)) at update k, as
Recur's) that every evaluation scores; a full validation pass every --eval-every iterations and at the end.
Stops after --minutes of wall clock. Prints one JSON line per evaluation: {"iter", "elapsed_s", "val_loss"}.
"""
import argparse, copy, json, math, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--text", required=True)
p.add_argument("--minutes", type=float, default=5)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--seq", type=int, default=64)
p.add_argument("--hidden", type=int, default=256)
p.add_argument("--layers", type=int, default=2)
p.add_argument("--embed", type=int, default=32)
p.add_argument("--dropout", type=float, default=0.3)
p.add_argument("--lr", type=float, default=3e-3)
p.add_argument("--ema", type=float, default=0.999)
p.add_argument("--eval-every", type=int, default=400)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1234)

# Debian's torch calls whatever libblas.so.3 the alternatives system gives; the reference BLAS is ~20x slower than OpenBLAS.
_x = torch.randn(256, 256)
_x @ _x
_t = time.perf_counter()
for _ in range(20):
    _x @ _x
if 2 * 256 ** 3 * 20 / (time.perf_counter() - _t) < 10e9:
    raise SystemExit("PyTorch's matrix product runs below 10 GFLOP/s: libblas.so.3 is not OpenBLAS here "
                     "(apt-get install libopenblas0-pthread), so this would not be PyTorch in its best setting.")

# As Recur reads a corpus: strict UTF-8, a leading byte-order mark dropped, line ends kept as they are (no \r\n -> \n).
text = open(a.text, encoding="utf-8", newline="").read()
if text.startswith("\ufeff"):
    text = text[1:]
chars = sorted(set(text))
idx = {c: i for i, c in enumerate(chars)}
data = torch.tensor([idx[c] for c in text], dtype=torch.long)
n = len(data)  # Recur's split boundaries: floor(n (1 - val - test)) and floor(n (1 - test))
n_train, n_val_end = math.floor(n * (1.0 - 0.05 - 0.05)), math.floor(n * (1.0 - 0.05))
train, val = data[:n_train], data[n_train:n_val_end]
V = len(chars)


class CharLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, a.embed)
        self.rnn = nn.LSTM(a.embed, a.hidden, a.layers, dropout=a.dropout if a.layers > 1 else 0.0)
        self.drop = nn.Dropout(a.dropout)
        self.head = nn.Linear(a.hidden, V)

    def forward(self, x, state):
        y, state = self.rnn(self.embedding(x), state)
        return self.head(self.drop(y)), state


m = CharLstm()  # PyTorch's own initialisation, forget-gate biases included: recur train's --forget-bias 0 draws the same
opt = torch.optim.Adam(m.parameters(), lr=a.lr)
average = copy.deepcopy(m)
for q in average.parameters():
    q.requires_grad_(False)
loss_fn = nn.CrossEntropyLoss()

B, T = a.batch, a.seq
batches_per_epoch = (len(train) - 1) // (B * T)  # Recur's streams: B of K*T characters each, the tail dropped
stream_len = batches_per_epoch * T
xs = train[: B * stream_len].view(B, stream_len).t().contiguous()          # (L, B)
ys = train[1: B * stream_len + 1].view(B, stream_len).t().contiguous()


def evaluate():
    model = average if a.ema > 0 else m
    model.eval()
    total, count = 0.0, 0
    vl = (len(val) - 1) // B
    vx = val[: B * vl].view(B, vl).t().contiguous()
    vy = val[1: B * vl + 1].view(B, vl).t().contiguous()
    state = None
    with torch.no_grad():
        for s in range(0, vl, T):
            logits, state = model(vx[s:s + T], state)
            total += loss_fn(logits.reshape(-1, V), vy[s:s + T].reshape(-1)).item() * vy[s:s + T].numel()
            count += vy[s:s + T].numel()
    m.train()
    return total / count


start = time.perf_counter()
budget = a.minutes * 60
it, state = 0, None
while True:
    b = it % batches_per_epoch
    if b == 0:
        state = None
    if state is not None:
        state = tuple(s.detach() for s in state)
    logits, state = m(xs[b * T:(b + 1) * T], state)
    loss = loss_fn(logits.reshape(-1, V), ys[b * T:(b + 1) * T].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 5.0)
    progress = min(1.0, (time.perf_counter() - start) / budget)
    for g in opt.param_groups:
        g["lr"] = 0.5 * (1 + math.cos(math.pi * progress)) * a.lr
    opt.step()
    it += 1
    if a.ema > 0:
        decay = min(a.ema, (1.0 + it) / (10.0 + it))
        with torch.no_grad():
            for q, w in zip(average.parameters(), m.parameters()):
                q.mul_(decay).add_(w, alpha=1 - decay)
    done = time.perf_counter() - start >= budget
    if it % a.eval_every == 0 or done:
        v = evaluate()
        print(json.dumps({"iter": it, "elapsed_s": time.perf_counter() - start, "val_loss": v, "train_loss": loss.item()}), flush=True)
    if done:
        break
