"""The classifier's data as `recur classify` reads it (src/Recur/Data/FashionMnist.cs, src/Recur/Tasks/EpochOrder.cs).

IDX files (raw or .gz) in the data folder: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-*. The last
round(n val_frac) training images are the validation split. Pixels are byte / 255. Each epoch visits the training
images in a Fisher-Yates order drawn from Recur's xoshiro256** stream seeded by seed ^ (0x9E3779B97F4A7C15 (epoch + 1)),
in batches of B (the last partial batch skipped); with --bucket K (tag, g2p, translate) each run of K batches of that
order is sorted by length and the epoch's batches are shuffled (EpochOrder.Bucketed). With N workers, worker r takes
the examples [r B / N, (r + 1) B / N) of every batch.
"""

import gzip
import math
import os
import struct

import torch

M = (1 << 64) - 1


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(raw[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def find(folder, name):
    for candidate in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
        if os.path.exists(candidate):
            return candidate
    raise SystemExit(f"{folder} has neither {name} nor {name}.gz; give the data folder with --data")


def data_folder(config, given=None):
    return given or config.get("export", {}).get("data") or config.get("data", {}).get("source")


def load(folder):
    """(train images, train labels, test images, test labels): uint8 (N, rows, cols) and int64 (N)."""
    tr = read_idx(find(folder, "train-images-idx3-ubyte")), read_idx(find(folder, "train-labels-idx1-ubyte")).long()
    te = read_idx(find(folder, "t10k-images-idx3-ubyte")), read_idx(find(folder, "t10k-labels-idx1-ubyte")).long()
    return tr[0], tr[1], te[0], te[1]


def splits(config, given=None):
    images, labels, test_images, test_labels = load(data_folder(config, given))
    n = len(images)
    n_train = n - round(n * config["training"]["val_frac"])
    return {"train": (images[:n_train], labels[:n_train]), "validation": (images[n_train:], labels[n_train:]),
            "test": (test_images, test_labels)}


def pixels(images):
    return images.to(torch.float32) / 255.0


class Rng:
    """Recur's random stream (src/Recur/Rng.cs): xoshiro256** seeded through SplitMix64."""

    def __init__(self, seed):
        x, self.s = seed & M, []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M
            z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
            self.s.append(z ^ (z >> 31))

    def next(self):
        s0, s1, s2, s3 = self.s
        result = ((((s1 * 5) & M) << 7 | ((s1 * 5) & M) >> 57) & M) * 9 & M
        t = (s1 << 17) & M
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & M
        self.s = [s0, s1, s2, s3]
        return result

    def next_int(self, n):
        return ((self.next() >> 33) * n) >> 31


class RecurNoise:
    """Recur's Rng.NextGaussian (src/Recur/Rng.cs) from a state (4 words): sqrt(-2 ln(1 - u1)) cos(2 pi u2) in double,
    u = 53-bit uniforms, rounded to float32; every draw in order, as DrawTask fills eps (T, B, Z) and
    the glimpse model its REINFORCE noise (T-1, B, 2)."""

    def __init__(self, words):
        self.rng = Rng(1)
        self.rng.s = [int(v) & M for v in words.reshape(-1).tolist()]

    def uniform(self):
        return (self.rng.next() >> 11) * (1.0 / (1 << 53))

    def normal(self, shape):
        n = shape[0] * shape[1] * shape[2]
        out = []
        for _ in range(n):
            u1 = 1.0 - self.uniform()
            out.append(math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * self.uniform()))
        return torch.tensor(out, dtype=torch.float32).reshape(shape)

    def state(self):
        return torch.tensor([v - (1 << 64) if v >= 1 << 63 else v for v in self.rng.s], dtype=torch.int64)


def fisher_yates(items, rng):
    for i in range(len(items) - 1, 0, -1):
        j = rng.next_int(i + 1)
        items[i], items[j] = items[j], items[i]
    return items


def order(count, seed, epoch):
    """The order epoch `epoch` visits `count` examples in (EpochOrder.Order)."""
    return fisher_yates(list(range(count)), Rng(seed ^ ((0x9E3779B97F4A7C15 * (epoch + 1)) & M)))


def bucketed(items, lengths, batch, bucket, seed, epoch):
    """EpochOrder.Bucketed: of the shuffled `items`, the whole batches cut into runs of `bucket` batches, each run sorted
    by length (stable), cut into batches, and the batches shuffled by a stream of their own; the tail stays as it was."""
    batches = len(items) // batch
    used, run = batches * batch, bucket * batch
    ranked = list(items)
    for start in range(0, used, run):
        ranked[start:min(start + run, used)] = sorted(ranked[start:min(start + run, used)], key=lambda i: lengths[i])
    perm = fisher_yates(list(range(batches)), Rng(seed ^ ((0xD1B54A32D192ED03 * (epoch + 1)) & M)))
    out = list(items)
    for k in range(batches):
        out[k * batch:(k + 1) * batch] = ranked[perm[k] * batch:(perm[k] + 1) * batch]
    return out


class EpochBatches:
    def __init__(self, count, batch, seed, first=0, share=None, lengths=None, bucket=0):
        self.count, self.B, self.seed = count, batch, seed
        self.first, self.share = first, batch if share is None else share
        self.lengths, self.bucket = lengths, bucket
        self.K = count // batch
        self.epoch, self.batch, self._order, self._order_epoch = 0, 0, None, -1

    def next(self):
        """This worker's example indices of the next batch; advances the position."""
        if self._order_epoch != self.epoch:
            self._order, self._order_epoch = order(self.count, self.seed, self.epoch), self.epoch
            if self.bucket > 0:
                self._order = bucketed(self._order, self.lengths, self.B, self.bucket, self.seed, self.epoch)
        start = self.batch * self.B + self.first
        out = torch.tensor(self._order[start:start + self.share])
        self.batch += 1
        if self.batch == self.K:
            self.batch, self.epoch = 0, self.epoch + 1
        return out


def shard(batch, rank, world):
    if batch % world:
        raise SystemExit(f"batch size {batch} does not divide among {world} workers; use a worker count that divides it")
    n = batch // world
    return rank * n, n
