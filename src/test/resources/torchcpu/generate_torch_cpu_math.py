"""Reference values of torch's CPU float32 pow, cos and sin, for TorchCpuPowTest and TorchScaledRowsTest.

Run with torch (CPU build for x86-64) installed:  python generate_torch_cpu_math.py
Writes, next to this script:
  pow-pairs.txt.gz    x y torch.pow(x, y) for random float32 pairs, as hex float32 bits; the tensors are a
                      multiple of 32 long, so every element goes through the vectorised kernel (SLEEF's powf)
  pow-ladders.txt.gz  base dim torch-values...: base ** (arange(0, dim, 2).float() / dim) as transformers forms
                      it, including lengths that leave a scalar remainder
  cos-sin.txt.gz      angle cos sin: torch.cos/torch.sin of float32 angles (MKL's vsCos/vsSin on x86-64)
  pow-remainder.txt.gz  x y torch.pow(x, y) for random pairs in tensors of 31 elements, fewer than one step of
                      the vectorised loop, so that every element takes the scalar path (the C library's powf)
The first line of each file names the torch version and the CPU capability it ran with.
"""
import gzip
import io
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = f"# torch {torch.__version__} cpu capability {torch.backends.cpu.get_cpu_capability()}\n"


def bits(a):
    return [f"{v:08x}" for v in np.asarray(a, dtype=np.float32).view(np.uint32)]


def write(name, rows):
    with gzip.GzipFile(os.path.join(HERE, name), "wb", mtime=0) as raw, io.TextIOWrapper(raw, "ascii") as out:
        out.write(HEADER)
        for row in rows:
            out.write(" ".join(row) + "\n")


def main():
    rng = np.random.default_rng(20261202)
    n = 32 * 500
    x = np.exp(rng.uniform(0, np.log(1e9), n)).astype(np.float32)
    y = rng.uniform(0, 1, n).astype(np.float32)
    x[: n // 8] = np.exp(rng.uniform(np.log(1e-3), np.log(1e30), n // 8)).astype(np.float32)
    y[: n // 16] = rng.uniform(-3, 3, n // 16).astype(np.float32)
    p = torch.pow(torch.from_numpy(x), torch.from_numpy(y)).numpy()
    write("pow-pairs.txt.gz", zip(bits(x), bits(y), bits(p)))

    ladders = []
    for base in (10000.0, 500000.0, 1000000.0, 2000000.0, 5000000.0, 10000000.0, 150000.0, 123456.7, 1e9):
        for dim in (16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 512, 40, 24, 72):
            e = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
            ladders.append([repr(base), str(dim)] + bits((base ** e).numpy()))
    write("pow-ladders.txt.gz", ladders)

    m = 32 * 400
    angles = np.concatenate([
        np.exp(rng.uniform(np.log(1e-4), np.log(4.2e6), m // 2)),
        rng.uniform(0, 1.1e6, m // 2),
    ]).astype(np.float32)
    t = torch.from_numpy(angles)
    write("cos-sin.txt.gz", zip(bits(angles), bits(torch.cos(t).numpy()), bits(torch.sin(t).numpy())))

    rows = []
    for _ in range(500):
        xs = np.exp(rng.uniform(0, np.log(1e9), 31)).astype(np.float32)
        ys = rng.uniform(0, 1, 31).astype(np.float32)
        ps = torch.pow(torch.from_numpy(xs), torch.from_numpy(ys)).numpy()
        rows.extend(zip(bits(xs), bits(ys), bits(ps)))
    write("pow-remainder.txt.gz", rows)


if __name__ == "__main__":
    main()
