#!/usr/bin/python3
"""PyTorch 1.13 reference for the video speed race (bench/Recur.Bench/VideoSpeedBench.cs): the same model as Recur's
VideoClassifier (src/Recur/Models/Video/VideoClassifier.cs; the equations of
tests/Recur.Tests/Fixtures/make_video_fixtures.py, here in float32 as an nn.Module):
  p_t = relu(proj(x_t));  o, h_T = LSTM(p) (zero initial state);  visible_t = Linear(o_t);  action = Linear(h_T)
or a baseline without recurrence ("average": the action from the frames' mean projection, "middle": from p[T // 2]; both
score each frame's classes from its own p_t). Loss = cross_entropy(action) + BCE-with-logits summed over the classes and
averaged over the T*B frames. Trained with Adam (2e-3) and gradient norm clipping (5) on random features (T, B, F),
actions and 0/1 visibility labels, for --iters steps after 3 warm-up steps.

Prints one JSON line: seconds, clips/s, threads, torch version, parameter count, the first and the last loss.

Run:  OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/video_ref.py --threads 1 --iters 50 --model lstm
"""

import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_timing import race_step, time_and_report


class VideoClassifier(nn.Module):
    def __init__(self, model, D, P, H, A, C):
        super().__init__()
        self.model = model
        self.proj = nn.Linear(D, P)
        W = H
        if model == "lstm":
            self.rnn = nn.LSTM(P, H)
        else:
            W = P
        self.visible = nn.Linear(W, C)
        self.action = nn.Linear(W, A)

    def forward(self, x, actions, visible):
        T, B, _ = x.shape
        p = torch.relu(self.proj(x))                                   # (T, B, P)
        if self.model == "lstm":
            per_frame, (h_n, _) = self.rnn(p)
            state = h_n[-1]
        elif self.model == "average":
            per_frame, state = p, p.mean(0)
        else:
            per_frame, state = p, p[T // 2]
        action_loss = F.cross_entropy(self.action(state), actions)
        visible_loss = F.binary_cross_entropy_with_logits(self.visible(per_frame), visible, reduction="sum") / (T * B)
        return action_loss + visible_loss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--features", type=int, default=250)
    ap.add_argument("--model", choices=["lstm", "average", "middle"], default="lstm")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    T, B, D, P, H, A, C = a.frames, a.batch, a.features, 256, 256, 6, 10
    model = VideoClassifier(a.model, D, P, H, A, C)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(1)
    data = [(torch.randn(T, B, D, generator=g), torch.randint(0, A, (B,), generator=g),
             (torch.rand(T, B, C, generator=g) < 0.5).float()) for _ in range(8)]
    step = race_step(model, opt, lambda i: model(*data[i % len(data)]))
    time_and_report(model, step, a.iters, a.batch, a.threads, "clips_per_s")


if __name__ == "__main__":
    main()
