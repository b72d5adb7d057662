#!/usr/bin/env python3
"""Independent check of a safetensors file written by Recur (used by SafeTensorsFixtureTests).

Usage: check_io_file.py FILE
Parses FILE with struct + json + numpy only and prints one line per entry:
  name dtype shape sum-as-float64 first-element
plus 'meta key=value' lines, so the C# side can compare against what it wrote.
"""
import json
import struct
import sys

import numpy as np

DT = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def main(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    assert 8 + n <= len(data), "header length past end of file"
    assert n % 8 == 0, "header not padded to 8 bytes"
    hdr = json.loads(data[8:8 + n].decode("utf-8"))
    buf = data[8 + n:]
    spans = []
    for name, e in hdr.items():
        if name == "__metadata__":
            for k, v in sorted(e.items()):
                print("meta", k + "=" + v)
            continue
        b0, b1 = e["data_offsets"]
        spans.append((b0, b1))
        arr = np.frombuffer(buf[b0:b1], dtype=DT[e["dtype"]]).reshape(e["shape"])
        first = arr.reshape(-1)[0].item() if arr.size else "none"
        total = repr(float(arr.astype(np.float64).sum())) if e["dtype"].startswith("F") else str(int(arr.astype(object).sum()))
        print(name, e["dtype"], "x".join(str(d) for d in arr.shape), total, repr(first))
    spans.sort()
    pos = 0
    for b0, b1 in spans:
        assert b0 == pos, "gap or overlap"
        pos = b1
    assert pos == len(buf), "buffer not fully covered"


if __name__ == "__main__":
    main(sys.argv[1])
