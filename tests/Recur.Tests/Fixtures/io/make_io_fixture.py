#!/usr/bin/env python3
"""Writes io_fixture.safetensors, the reference file the C# SafeTensors reader is checked against.

The python `safetensors` package is not available here, so the file is built by hand from the
format specification with struct + json + numpy (exactly what safetensors' serializer does:
u64 little-endian header size, JSON header padded with spaces to 8 bytes, tensors sorted by
dtype alignment (descending) then name, laid out contiguously, little-endian row-major).

Contents (mirrored by tests/Recur.Tests/IO/SafeTensorsFixtureTests.cs):
  weight  F32 (2, 3)  (i - 3) * 0.25 for i in 0..5
  scale   F64 (4,)    1 / (i + 3) for i in 0..3   (the C# reader rounds these to float32)
  state   I64 (2, 2)  [2**62 + 1, -7, 2**53 + 1, 0]  (not representable in float32/float64)
  ids     I32 (3,)    [-2147483648, 0, 2147483647]
  scalar  F32 ()      -1.5
  empty   F32 (0, 4)  no elements
  metadata {"format": "pt", "note": "h\u00e9llo \u2713"}

Run: /usr/bin/python3 make_io_fixture.py   (from this folder)
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def save(path, tensors, metadata):
    dtype_names = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i8"): "I64", np.dtype("<i4"): "I32"}
    # safetensors orders by alignment (itemsize) descending, then by name.
    order = sorted(tensors.items(), key=lambda kv: (-kv[1].dtype.itemsize, kv[0]))
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, arr in order:
        arr = np.array(arr, dtype=arr.dtype.newbyteorder("<"), order="C", copy=True)
        raw = arr.tobytes(order="C")
        header[name] = {"dtype": dtype_names[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hb = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def main():
    tensors = {
        "weight": (np.arange(6, dtype=np.float32) - 3) * np.float32(0.25),
        "scale": 1.0 / (np.arange(4, dtype=np.float64) + 3),
        "state": np.array([[2**62 + 1, -7], [2**53 + 1, 0]], dtype=np.int64),
        "ids": np.array([-2147483648, 0, 2147483647], dtype=np.int32),
        "scalar": np.array(-1.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }
    tensors["weight"] = tensors["weight"].reshape(2, 3)
    save(os.path.join(HERE, "io_fixture.safetensors"), tensors, {"format": "pt", "note": "h\u00e9llo \u2713"})

    # Self-check with an independent reader path: parse back with numpy.frombuffer.
    with open(os.path.join(HERE, "io_fixture.safetensors"), "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    hdr = json.loads(data[8:8 + n])
    buf = data[8 + n:]
    for name, arr in tensors.items():
        e = hdr[name]
        b0, b1 = e["data_offsets"]
        back = np.frombuffer(buf[b0:b1], dtype=arr.dtype).reshape(e["shape"])
        assert np.array_equal(back, arr), name
    print("wrote io_fixture.safetensors,", len(data), "bytes")


if __name__ == "__main__":
    main()
