"""A small safetensors reader and writer in plain Python and torch (Debian ships no `safetensors` package).

The format: [u64 little-endian N][N bytes of UTF-8 JSON header][data]. The header maps each name to
{"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data part) and may hold "__metadata__",
a map of strings. Recur writes F32 and I64; F64 and I32 are read as well.
"""

import json
import os
import struct

import torch

_DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}
_NAMES = {v: k for k, v in _DTYPES.items()}


def load(path):
    """(tensors, metadata): an ordered dict name -> tensor (in file order) and the metadata strings."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(raw)[8 + n:]
    tensors = {}
    for name, h in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dtype = _DTYPES.get(h["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {h['dtype']}; this reader knows {sorted(_DTYPES)}")
        begin, end = h["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(h["shape"])
    return tensors, meta


def save(path, tensors, metadata=None):
    """Writes an ordered dict name -> tensor (float32, float64, int64 or int32; little-endian) with string metadata."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype not in _NAMES:
            t = t.to(torch.float32)
        blob = t.numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)
