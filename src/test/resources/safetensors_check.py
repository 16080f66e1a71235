#!/usr/bin/env python3
"""Independent reader for ropeforge safetensors files: Python standard library and numpy only.

Usage: safetensors_check.py FILE...

Parses each file by the safetensors rules (8-byte little-endian header length of at most 100,000,000 bytes,
UTF-8 JSON header starting with '{', string metadata, known dtypes, data_offsets that tile the data section
exactly), decodes every tensor with numpy, and recomputes the cos/sin tables in float64 from the file's own
inv_freq tensor and metadata. Prints one JSON document on stdout:

  {"files": [{"path", "header_length", "metadata", "tensors": [{"name", "dtype", "shape", "data_offsets",
              "sha256"}], "max_error_units", "values_checked"}]}

max_error_units is the worst |stored - recomputed| over the tolerance: one ulp of the stored dtype at the
recomputed value plus 2^-44 * max(1, angle) (exact precision), or 2 * 2^-23 * max(1, angle) plus one ulp of the
dtype (torch precision). Exits 1 with a message on stderr when a file is invalid.
"""
import hashlib
import json
import struct
import sys

import numpy as np

MAX_HEADER = 100_000_000
DTYPES = {
    "BOOL": (1, np.dtype("?")), "U8": (1, np.dtype("u1")), "I8": (1, np.dtype("i1")),
    "I16": (2, np.dtype("<i2")), "U16": (2, np.dtype("<u2")), "F16": (2, np.dtype("<f2")),
    "BF16": (2, np.dtype("<u2")), "I32": (4, np.dtype("<i4")), "U32": (4, np.dtype("<u4")),
    "F32": (4, np.dtype("<f4")), "I64": (8, np.dtype("<i8")), "U64": (8, np.dtype("<u8")),
    "F64": (8, np.dtype("<f8")),
}


class Invalid(Exception):
    pass


def reject_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise Invalid("duplicate key in header")
    return dict(pairs)


def parse(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise Invalid("shorter than the header length field")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER:
        raise Invalid("header too large: %d" % n)
    if 8 + n > len(data):
        raise Invalid("header length %d beyond the file" % n)
    raw = data[8:8 + n]
    text = raw.decode("utf-8")  # raises on invalid UTF-8
    if not text.startswith("{"):
        raise Invalid("header does not start with '{'")
    header = json.loads(text, object_pairs_hook=reject_duplicates)
    metadata = header.pop("__metadata__", {})
    if not all(isinstance(v, str) for v in metadata.values()):
        raise Invalid("non-string metadata value")
    buffer = data[8 + n:]
    tensors = []
    for name, info in header.items():
        dtype = info["dtype"]
        if dtype not in DTYPES:
            raise Invalid("unknown dtype %s" % dtype)
        shape = info["shape"]
        begin, end = info["data_offsets"]
        count = 1
        for dim in shape:
            count *= dim
        if count * DTYPES[dtype][0] != end - begin:
            raise Invalid("tensor %s: shape and offsets disagree" % name)
        tensors.append((begin, end, name, dtype, shape))
    tensors.sort()
    expected = 0
    for begin, end, name, _, _ in tensors:
        if begin != expected:
            raise Invalid("tensor %s does not start where the previous one ends" % name)
        expected = end
    if expected != len(buffer):
        raise Invalid("data section has %d bytes, tensors cover %d" % (len(buffer), expected))
    arrays = {}
    out = []
    for begin, end, name, dtype, shape in tensors:
        chunk = buffer[begin:end]
        array = np.frombuffer(chunk, dtype=DTYPES[dtype][1]).reshape(shape)
        if dtype == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        arrays[name] = array.astype(np.float64) if dtype.startswith(("F", "BF")) else array
        out.append({"name": name, "dtype": dtype, "shape": shape, "data_offsets": [begin, end],
                    "sha256": hashlib.sha256(chunk).hexdigest()})
    return n, metadata, out, arrays


def ulp(values, dtype):
    magnitude = np.abs(values)
    if dtype == "F16":
        return np.spacing(magnitude.astype(np.float16)).astype(np.float64)
    if dtype == "BF16":
        return np.spacing(magnitude.astype(np.float32)).astype(np.float64) * 65536.0
    if dtype == "F64":
        return np.spacing(magnitude)
    return np.spacing(magnitude.astype(np.float32)).astype(np.float64)


def check_tables(metadata, tensors, arrays):
    layout = metadata["layout"]
    precision = metadata["precision"]
    length = int(metadata["context_length"])
    layer_types = metadata["layer_types"].split(",") if "layer_types" in metadata else [None]
    dtype_of = {t["name"]: t["dtype"] for t in tensors}
    worst = 0.0
    checked = 0
    for layer in layer_types:
        prefix = "" if layer is None else layer + "."
        omega = arrays[prefix + "inv_freq"]
        half = omega.shape[0]
        factor = float(metadata[prefix + "attention_factor"])
        scale = float(metadata.get(prefix + "position_scale", "1.0"))
        offset = float(metadata.get(prefix + "position_offset", "0.0"))
        positions = (np.arange(length, dtype=np.float64) + offset) / scale
        angle = np.outer(positions, omega)
        expected = {"cos": np.cos(angle) * factor, "sin": np.sin(angle) * factor}
        if layout == "vllm":
            both = arrays[prefix + "cos_sin"]
            stored = {"cos": both[:, :half], "sin": both[:, half:]}
            dtype = dtype_of[prefix + "cos_sin"]
        elif layout == "pairs":
            pairs = arrays[prefix + "cos_sin"]
            if pairs.shape != (length, half, 2):
                raise Invalid("%scos_sin has shape %s" % (prefix, pairs.shape))
            stored = {"cos": pairs[:, :, 0], "sin": pairs[:, :, 1]}
            dtype = dtype_of[prefix + "cos_sin"]
            if dtype == "F32":
                # the promise of the layout: the bytes are complex64 cos + i sin, unchanged
                as_complex = np.ascontiguousarray(pairs, dtype=np.float32).view(np.complex64)[..., 0]
                if not (np.array_equal(as_complex.real, pairs[:, :, 0])
                        and np.array_equal(as_complex.imag, pairs[:, :, 1])):
                    raise Invalid("pairs do not read as complex64 in " + prefix)
        else:
            stored = {}
            for part in ("cos", "sin"):
                table = arrays[prefix + part]
                if layout == "neox":
                    if not np.array_equal(table[:, :half], table[:, half:]):
                        raise Invalid("neox halves differ in " + prefix + part)
                    table = table[:, :half]
                elif layout == "gptj":
                    if not np.array_equal(table[:, 0::2], table[:, 1::2]):
                        raise Invalid("gptj pairs differ in " + prefix + part)
                    table = table[:, 0::2]
                elif layout != "half":
                    raise Invalid("unknown layout " + layout)
                stored[part] = table
            dtype = dtype_of[prefix + "cos"]
        if precision == "exact":
            slack = 2.0 ** -44 * np.maximum(1.0, np.abs(angle))
        else:
            slack = 2 * 2.0 ** -23 * np.maximum(1.0, np.abs(angle))
        for part in ("cos", "sin"):
            if stored[part].shape != (length, half):
                raise Invalid("%s%s has shape %s" % (prefix, part, stored[part].shape))
            tolerance = ulp(expected[part], dtype) + slack
            units = np.abs(stored[part] - expected[part]) / tolerance
            worst = max(worst, float(units.max()))
            checked += units.size
    return worst, checked


def main(paths):
    files = []
    for path in paths:
        try:
            n, metadata, tensors, arrays = parse(path)
            worst, checked = check_tables(metadata, tensors, arrays)
        except (Invalid, UnicodeDecodeError, ValueError, KeyError) as e:
            print("invalid file %s: %s" % (path, e), file=sys.stderr)
            return 1
        files.append({"path": path, "header_length": n, "metadata": metadata, "tensors": tensors,
                      "max_error_units": worst, "values_checked": checked})
    json.dump({"files": files}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
