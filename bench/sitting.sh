#!/bin/bash
# One sitting for the README's "Measured here" table: every row's `dgiqa bench` command and the
# PyTorch reference (bench/pytorch/train_step.py, Debian's python3-torch) one after another on this
# machine, each result as one line "<label><TAB><JSON>" in OUT (default bench/sittings/<date>.jsonl).
# About 8 minutes on 2 cores. Run from the repository root after `npm run build`.
set -u
OUT=${1:-bench/sittings/$(date -u +%F).jsonl}
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$(dirname "$OUT")"; : > "$OUT"
kit() { local label=$1; shift; local line; line=$(node bin/dgiqa.js bench "$@" 2>&1 | tail -1); printf '%s\t%s\n' "$label" "$line" >> "$OUT"; }
pt() { local label=$1; shift; local line; line=$(cd bench/pytorch && "$PY" train_step.py "$@" 2>&1 | tail -1); printf '%s\t%s\n' "$label" "$line" >> "$OUT"; }
printf 'start\t{"utc":"%s"}\n' "$(date -u +%FT%TZ)" >> "$OUT"
for i in 1 2 3; do
  kit demo-train-auto --config demo --batch 8 --what train
  pt pt-demo-train-1 --config demo --batch 8 --threads 1
  pt pt-demo-train-2 --config demo --batch 8 --threads 2
done
for i in 1 2; do
  kit demo-train-onnx-t1 --config demo --batch 8 --what train --threads 1
  kit demo-train-tfjs --config demo --batch 8 --what train --engine tfjs
  kit demo-fwd-auto --config demo --batch 8 --what forward
  kit demo-fwd-tfjs --config demo --batch 8 --what forward --engine tfjs
  pt pt-demo-fwd-1 --config demo --batch 8 --threads 1 --what forward
  pt pt-demo-fwd-2 --config demo --batch 8 --threads 2 --what forward
done
kit demo-train-tfjs-profile --config demo --batch 8 --what train --engine tfjs --profile
kit paper-fwd-auto --config paper --batch 8 --what forward
kit paper-fwd-onnx-t1 --config paper --batch 8 --what forward --threads 1
kit paper-fwd-tfjs --config paper --batch 8 --what forward --engine tfjs
kit paper-fwd-tfjs-w2 --config paper --batch 8 --what forward --workers 2
kit paper-train --config paper --batch 8 --what train
pt pt-paper-fwd-1 --config paper --batch 8 --threads 1 --what forward --steps 3 --warmup 1
pt pt-paper-fwd-2 --config paper --batch 8 --threads 2 --what forward --steps 3 --warmup 1
pt pt-paper-train-2 --config paper --batch 8 --threads 2 --steps 3 --warmup 1
printf 'end\t{"utc":"%s"}\n' "$(date -u +%FT%TZ)" >> "$OUT"
