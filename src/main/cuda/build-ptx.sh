#!/usr/bin/env bash
# Regenerates the committed PTX of the table kernels from rope.cu. Needs nvcc (CUDA 13.0 made the committed
# file); the test CommittedPtxTest checks the committed file against a fresh build wherever nvcc is found.
#
#   src/main/cuda/build-ptx.sh [OUTPUT]     (default: src/main/resources/org/ropeforge/gpu/rope.ptx)
#
# compute_90 PTX is JIT-compiled by the driver for Hopper and any later GPU. -fmad=false forbids contracting
# a product and a sum into an FMA: exact mode must perform the CPU kernel's operations and no others.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
OUTPUT="${1:-${ROOT}/src/main/resources/org/ropeforge/gpu/rope.ptx}"
NVCC="${NVCC:-nvcc}"

if ! command -v "${NVCC}" >/dev/null 2>&1; then
  echo "build-ptx: ${NVCC} not found (set NVCC to the CUDA compiler)" >&2
  exit 1
fi
"${NVCC}" -ptx -arch=compute_90 -fmad=false -O3 -o "${OUTPUT}" "${ROOT}/src/main/cuda/rope.cu"
