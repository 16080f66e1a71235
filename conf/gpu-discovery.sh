#!/usr/bin/env bash
# Spark resource discovery script for GPUs (spark.worker.resource.gpu.discoveryScript, or
# spark.executor.resource.gpu.discoveryScript where executors find their own). Prints the one JSON object
# Spark reads: {"name":"gpu","addresses":["0","1",...]}, the addresses being nvidia-smi's device indices,
# which are also the CUDA device ordinals the table kernel opens.
#
# ROPEFORGE_FAKE_GPUS="0,1" prints those addresses instead, without asking nvidia-smi: for machines
# without GPUs, where tests schedule the table stage as if they had some (tasks then fall back to the CPU).
# An empty value means no GPU. Exits 1 when nvidia-smi is missing or fails, so that a worker configured
# for GPUs does not start believing it has none.
set -euo pipefail

print_addresses() {
  local json='{"name":"gpu","addresses":['
  local first=1
  local address
  for address in "$@"; do
    if [[ ! "${address}" =~ ^[0-9]+$ ]]; then
      echo "gpu-discovery: invalid GPU address '${address}' (must be a device index)" >&2
      exit 1
    fi
    if (( first )); then
      first=0
    else
      json+=','
    fi
    json+="\"${address}\""
  done
  echo "${json}]}"
}

if [[ -n "${ROPEFORGE_FAKE_GPUS+set}" ]]; then
  IFS=',' read -r -a fake <<<"${ROPEFORGE_FAKE_GPUS// /}"
  print_addresses "${fake[@]+"${fake[@]}"}"
  exit 0
fi

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu-discovery: nvidia-smi not found; set ROPEFORGE_FAKE_GPUS to declare addresses by hand" >&2
  exit 1
fi
mapfile -t indices < <(nvidia-smi --query-gpu=index --format=csv,noheader)
print_addresses "${indices[@]+"${indices[@]}"}"
