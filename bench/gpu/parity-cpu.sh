#!/bin/bash
# The README's "GPU" correctness table, on a machine without a GPU: the tiny parity fixture through
# WebGPU in Node and through the scoring page on WebGL, WebGPU and wasm (SwiftShader where there is
# no GPU), each command's last line, its wall time and its largest score difference from PyTorch's
# (test/fixtures/parity-tiny/expected.json), one "<label><TAB><JSON>" line each in OUT (default
# bench/gpu/measured/<date>-parity.jsonl). About four minutes on 2 cores. Run from the repository
# root after `npm run build`.
set -u
OUT=${1:-bench/gpu/measured/$(date -u +%F)-parity.jsonl}
T=test/fixtures/parity-tiny
mkdir -p "$(dirname "$OUT")"; : > "$OUT"
printf 'start\t{"utc":"%s"}\n' "$(date -u +%FT%TZ)" >> "$OUT"
one() { # label, then the command
  local label=$1; shift
  local t0=$SECONDS line
  line=$("$@" 2>/dev/null | tail -1)
  local secs=$((SECONDS - t0))
  local diff
  diff=$(node -e '
    const got = JSON.parse(process.argv[1]).scores, want = require("./'"$T"'/expected.json").scores;
    process.stdout.write(String(Math.max(...got.map((s, i) => Math.abs(s - want[i])))));' "$line" 2>/dev/null || echo null)
  printf '%s\t{"wall_s":%s,"max_abs_diff":%s,"out":%s}\n' "$label" "$secs" "$diff" "${line:-null}" >> "$OUT"
}
one node-webgpu env DGIQA_BACKEND=webgpu node bin/dgiqa.js forward --config $T/config.json --weights $T/weights.safetensors --inputs $T/inputs.safetensors
for b in webgl webgpu wasm; do
  one page-$b node bin/dgiqa.js browser --config $T/config.json --weights $T/weights.pth --inputs $T/inputs.safetensors --backend $b
done
printf 'end\t{"utc":"%s"}\n' "$(date -u +%FT%TZ)" >> "$OUT"
cat "$OUT"
