#!/bin/bash
# The GPU check of issue 16, as one script for a GPU machine with PyTorch and timm but no Node and no
# network (the device tool's machines). Carried: bench/gpu/out/kit.tar.xz (`node bench/gpu/pack.mjs`);
# the rest is the repository's tracked files. Writes one "<label><TAB><JSON>" line per measurement to
# $OUT/gpu-check.jsonl, the GPU memory samples to $OUT/gpu-mem.csv and everything else to $OUT/gpu-check.log:
#   1. TensorFlow.js WebGPU through Dawn on Vulkan: the paper preset's forward and training step at
#      batch 8 (`dgiqa bench`: images/s, median of 5 steps after 2 warm-up steps, tfjs's GPU bytes), the
#      demo preset's training step (the course's unit of work), the paper-size parity against the
#      official model's scores (test/fixtures/parity-paper);
#   2. PyTorch on the same GPU: bench/pytorch/train_step.py, the same steps (--device cuda).
# GPU peak memory: torch.cuda.max_memory_allocated for PyTorch; for WebGPU, the highest nvidia-smi
# reading while its step ran (Dawn's allocations are invisible to tfjs's counters beyond its buffers).
# Usage (repository root): OUT=folder bash bench/gpu/run.sh [CONFIG]   (CONFIG default paper). A check of
# the script itself on a machine without a GPU: QUICK=1 bash bench/gpu/run.sh demo (the CONFIG rows only,
# batch 2, 2 timed steps, on SwiftShader: about ten minutes).
set -u
OUT=${OUT:-bench/gpu/measured/$(date -u +%F)}
CONFIG=${1:-paper}
B=8; EXTRA=(); T=150  # seconds one measurement may take, so that a hung one leaves time for the rest
[ -n "${QUICK:-}" ] && { B=2; EXTRA=(--steps 2 --warmup 1); T=600; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
ROOT=$(pwd)
LOG="$OUT/gpu-check.log"; JSONL="$OUT/gpu-check.jsonl"
: > "$LOG"; : > "$JSONL"
say() { echo "$*" | tee -a "$LOG"; }
record() { printf '%s\t%s\n' "$1" "$2" >> "$JSONL"; }

KIT=$(mktemp -d)
tar -xJf bench/gpu/out/kit.tar.xz -C "$KIT" || { say "no bench/gpu/out/kit.tar.xz: run node bench/gpu/pack.mjs here and carry bench/gpu/out"; exit 2; }
NODE="$KIT/node"
say "== $(date -u +%FT%TZ) node $($NODE --version), config $CONFIG"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$LOG"

# Vulkan: the loader from the payload when the system has none; the NVIDIA ICD manifest written when
# the driver's library (libGLX_nvidia, which holds its Vulkan driver) is there but no manifest names it.
/sbin/ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || export LD_LIBRARY_PATH="$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
  glx=$(/sbin/ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0/ {print $NF; exit}')
  if [ -n "$glx" ]; then
    mkdir -p "$KIT/icd"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" > "$KIT/icd/nvidia_icd.json"
    export VK_ICD_FILENAMES="$KIT/icd/nvidia_icd.json"
    say "Vulkan ICD manifest written for $glx"
  else
    say "no NVIDIA Vulkan driver library (libGLX_nvidia.so.0) found: WebGPU can only find a CPU adapter, if any"
  fi
fi

# GPU memory every 100 ms, with a timestamp, to attribute peaks to the steps below
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader,nounits -lms 100 > "$OUT/gpu-mem.csv" 2>/dev/null &
  SMI=$!
fi

kit() { # label, then dgiqa arguments; the bench's last line is its JSON
  local label=$1; shift
  local t0; t0=$(date -u +%FT%TZ)
  local line; line=$(cd "$KIT" && timeout $T env DGIQA_BACKEND=webgpu DGIQA_HOME="$KIT" "$NODE" dgiqa.mjs "$@" 2>>"$LOG" | tail -1)
  record "$label" "${line:-null}"
  say "$label ($t0 .. $(date -u +%FT%TZ)): ${line:-failed}"
}
pt() {
  local label=$1; shift
  local line; line=$(cd bench/pytorch && timeout $T python3 train_step.py "$@" 2>>"$LOG" | tail -1)
  record "$label" "${line:-null}"
  say "$label: ${line:-failed}"
}

# forceful about WebGPU: a CPU adapter is accepted only when asked for by name, and the bench says which ran
kit webgpu-$CONFIG-forward bench --config "$CONFIG" --batch $B "${EXTRA[@]}" --what forward --engine tfjs
kit webgpu-$CONFIG-train bench --config "$CONFIG" --batch $B "${EXTRA[@]}" --what train --engine tfjs
[ -n "${QUICK:-}" ] || {
kit webgpu-demo-train bench --config demo --batch 16 --what train --engine tfjs
line=$(cd "$KIT" && timeout $T env DGIQA_BACKEND=webgpu DGIQA_PARITY_PAPER="$ROOT/test/fixtures/parity-paper" "$NODE" parity-paper.mjs 2>>"$LOG" | tail -1)
record webgpu-parity-paper "${line:-null}"; say "webgpu-parity-paper: ${line:-failed}"
}

if python3 -c 'import torch; assert torch.cuda.is_available()' 2>>"$LOG"; then
  pt torch-$CONFIG-forward --config "$CONFIG" --batch $B "${EXTRA[@]}" --what forward --device cuda
  pt torch-$CONFIG-train --config "$CONFIG" --batch $B "${EXTRA[@]}" --what train --device cuda
  [ -n "${QUICK:-}" ] || pt torch-demo-train --config demo --batch 16 --what train --device cuda
else
  say "PyTorch with CUDA not available: no PyTorch rows"
fi
[ -n "${SMI:-}" ] && kill "$SMI" 2>/dev/null
say "== done $(date -u +%FT%TZ)"
rm -rf "$KIT"
