#!/usr/bin/env python3
"""Independent safetensors reader for the job's tests (stdlib + numpy only).

usage: read_safetensors.py FILE=POSITIONS...
Prints one JSON object keyed by FILE: the header's __metadata__, and for every tensor its dtype, shape and the
rows at POSITIONS (comma-separated row indices; a 1-D tensor is one row) as float64 numbers. Shares no code
with the Java writer.
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "F64": np.dtype("<f8"), "I8": np.dtype("i1"), "BF16": None}


def rows(data, info, positions):
    begin, end = info["data_offsets"]
    shape = info["shape"]
    width = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    if info["dtype"] == "BF16":
        raw = np.frombuffer(data[begin:end], dtype="<u2").astype(np.uint32) << 16
        values = raw.view(np.float32).astype(np.float64)
    else:
        values = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).astype(np.float64)
    if values.size != int(np.prod(shape)):
        raise SystemExit("tensor size %d does not match shape %s" % (values.size, shape))
    if len(shape) == 1:
        return [values.tolist()]
    table = values.reshape(shape[0], width)
    return [table[p].tolist() for p in positions]


def read(path, positions):
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    data = blob[8 + header_len:]
    out = {"metadata": header.pop("__metadata__", {}), "tensors": {}}
    covered = 0
    for name, info in header.items():
        out["tensors"][name] = {"dtype": info["dtype"], "shape": info["shape"],
                                "rows": rows(data, info, positions)}
        covered += info["data_offsets"][1] - info["data_offsets"][0]
    if covered != len(data):
        raise SystemExit("tensors cover %d of %d data bytes" % (covered, len(data)))
    return out


def main():
    result = {}
    for arg in sys.argv[1:]:
        path, _, positions = arg.rpartition("=")
        result[path] = read(path, [int(p) for p in positions.split(",") if p])
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
