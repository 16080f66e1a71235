#!/usr/bin/env python3
"""Adds mpmath inv_freq values that generate_references.py could not keep, for llama3 smoothing bands.

generate_references.py keeps an mpmath value only when it agrees with torch's float32 value within 16 ulps. In
a llama3 smoothing band torch's own float32 evaluation can lose more than that to cancellation (the weighted sum
(1 - s) w / f + s w with a large factor f), so no exact value was kept there and the conformance test could only
compare exact mode with torch's float32 value. This script computes those values with mpmath at 50 digits from
transformers' llama3 formula and keeps them only where every entry agrees with torch's value within the float32
evaluation's own error bound: 4 ulps outside the band, and in the band 4 ulps plus 8 ulps times the condition
number of the smoothing step, |w (1 - 1/f)| (L / wavelen) / ((high - low) |result|), where L is the original
context length.

usage: python3 exact_supplement.py        (needs numpy and mpmath, not torch or transformers)
Reads every transformers-VERSION/*.jsonl.gz beside it and writes transformers-VERSION/exact-supplement.jsonl:
one line per form, model type and layer type, with inv_freq_exact (base64 little-endian float64) and the worst
agreement found, in ulps and as a share of the bound.
"""
import base64
import glob
import gzip
import json
import os

import mpmath
import numpy as np

mpmath.mp.dps = 50
HERE = os.path.dirname(os.path.abspath(__file__))


def ulp32(x):
    x = np.float32(abs(x))
    return float(np.nextafter(x, np.float32(np.inf)) - x)


def floats(b64):
    return np.frombuffer(base64.b64decode(b64), dtype="<f4").astype(np.float64)


def llama3(theta, dim, n, rp):
    f = mpmath.mpf(repr(float(rp["factor"])))
    low = mpmath.mpf(repr(float(rp["low_freq_factor"])))
    high = mpmath.mpf(repr(float(rp["high_freq_factor"])))
    old = mpmath.mpf(int(rp["original_max_position_embeddings"]))
    out = []
    for i in range(n):
        w = 1 / mpmath.power(theta, mpmath.mpf(2 * i) / dim)
        wavelen = 2 * mpmath.pi / w
        if wavelen < old / high:
            out.append((w, 4))
        elif wavelen > old / low:
            out.append((w / f, 4))
        else:
            s = (old / wavelen - low) / (high - low)
            result = (1 - s) * w / f + s * w
            condition = abs(w * (1 - 1 / f)) * (old / wavelen) / ((high - low) * abs(result))
            out.append((result, 4 + 8 * float(condition)))
    return out


def rope_parameters(config):
    rp = config.get("rope_parameters")
    if isinstance(rp, dict) and rp.get("rope_type") == "llama3" and "rope_theta" in rp:
        return rp
    return None


def main():
    for folder in sorted(glob.glob(os.path.join(HERE, "transformers-*"))):
        lines = []
        for path in sorted(glob.glob(os.path.join(folder, "*.jsonl.gz"))):
            form = os.path.basename(path)[: -len(".jsonl.gz")]
            for line in gzip.open(path, "rt"):
                record = json.loads(line)
                rp = rope_parameters(json.loads(record["config"]))
                for layer in record["layers"]:
                    if layer["inv_freq_exact"] is not None or layer.get("rope_type") != "llama3" or rp is None:
                        continue
                    torch_values = floats(layer["inv_freq"])
                    n = len(torch_values)
                    theta = mpmath.mpf(repr(float(rp["rope_theta"])))
                    for dim in (2 * n, 2 * n - 1):
                        exact = llama3(theta, dim, n, rp)
                        shares = [abs(float(e) - t) / ulp32(t) / bound for (e, bound), t in zip(exact, torch_values)]
                        if max(shares) <= 1:
                            worst = max(abs(float(e) - t) / ulp32(t) for (e, _), t in zip(exact, torch_values))
                            values = np.asarray([float(e) for e, _ in exact], dtype="<f8")
                            lines.append({"form": form, "model_type": record["model_type"],
                                          "layer_type": layer["layer_type"], "dim": dim,
                                          "worst_float32_ulps": round(worst, 3),
                                          "worst_share_of_bound": round(max(shares), 3),
                                          "inv_freq_exact": base64.b64encode(values.tobytes()).decode()})
                            break
        out = os.path.join(folder, "exact-supplement.jsonl")
        with open(out, "w") as f:
            for entry in lines:
                f.write(json.dumps(entry, sort_keys=True) + "\n")
        print(os.path.basename(folder), len(lines), "supplemented")


if __name__ == "__main__":
    main()
