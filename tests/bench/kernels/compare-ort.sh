#!/usr/bin/env bash
# Interleaved rounds of `edgesoak bench` and the anchors' ONNX Runtime runner, pooled into the
# anchors' table (one column per runtime). Needs a prepared copy of /work/shared/anchors
# outside the repository (npm ci with ONNXRUNTIME_NODE_INSTALL=skip; models from
# onnxruntime/gen_models.py), see anchors/README.md.
# Usage: [MODELS="m1 m2"] compare-ort.sh ANCHORS_COPY EDGESOAK_BENCH_BINARY [ROUNDS] [LOG]
#   e.g. compare-ort.sh /work/anchors-run build/workloads/edgesoak_bench 6
set -euo pipefail
anchors=${1:?anchors copy}; es=$(realpath "${2:?edgesoak_bench binary}"); rounds=${3:-5}
log=${4:-$anchors/compare-$(date +%Y%m%d-%H%M%S).log}
cd "$anchors"
: > "$log"
for r in $(seq 1 "$rounds"); do
  echo "round $r $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> "$log"
  for m in ${MODELS:-mobilenet_v1 mobilenet_v2 resnet18 resnet50}; do
    for t in 1 2; do
      ort() { node onnxruntime/ortbench.js --model "$m" --threads "$t" --runs 30 --warmup 3 2>&1 | grep '^RESULT' >> "$log"; }
      own() { "$es" --model "$m" --threads "$t" --runs 30 --warmup 3 --no-verify 2>&1 | grep -E '^RESULT|% of peak' >> "$log"; }
      if (( r % 2 )); then ort; own; else own; ort; fi
    done
  done
done
/usr/bin/python3 common/summarize.py "$log"
