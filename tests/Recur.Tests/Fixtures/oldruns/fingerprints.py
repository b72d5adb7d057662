#!/usr/bin/env python3
"""Prints the weight fingerprints that OldTaskRunFolderTests asserts, read straight from each
model.safetensors (independently of Recur's loader): per file the number of floats, the sum, the sum
of squares and a weighted sum in which every tensor's j-th value counts 1 + ((fnv1a32(name) + j) % 13) / 13,
so that swapped or transposed tensors change it. Plain Python, no numpy.

    python3 tests/Recur.Tests/Fixtures/oldruns/fingerprints.py
"""
import array, json, os, struct, sys

def fnv1a32(s):
    h = 2166136261
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h

def fingerprint(path, prefix=None):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    count, s, sq, w = 0, 0.0, 0.0, 0.0
    for name in sorted(k for k in header if k != "__metadata__"):
        if prefix is not None and (name.startswith("encoder.") != (prefix == "encoder.")):
            continue
        t = header[name]
        assert t["dtype"] == "F32", (name, t["dtype"])
        a, b = t["data_offsets"]
        v = array.array("f")
        v.frombytes(body[a:b])
        if sys.byteorder != "little":
            v.byteswap()
        h = fnv1a32(name)
        for j, x in enumerate(v):
            x = float(x)
            s += x
            sq += x * x
            w += x * (1 + ((h + j) % 13) / 13.0)
        count += len(v)
    return count, s, sq, w

root = os.path.dirname(os.path.abspath(__file__))
for run in sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))):
    for kind in ("best", "latest"):
        path = os.path.join(root, run, kind, "model.safetensors")
        parts = [("model", None)] if run not in ("caption", "vqa") else [("model", ""), ("encoder", "encoder.")]
        for label, prefix in parts:
            c, s, sq, w = fingerprint(path, prefix)
            print(f"{run:13} {kind:6} {label:7} count {c:6}  sum {s!r:>24}  sumsq {sq!r:>22}  weighted {w!r:>24}")
