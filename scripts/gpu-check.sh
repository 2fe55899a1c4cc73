#!/usr/bin/env bash
# The package on one NVIDIA GPU, without network access, in at most 8 minutes (docs/gpu.md):
#   1. the CUDA tests: python -m pytest -q -m cuda tests/test_cuda.py
#   2. the speed benchmark on CUDA: benchmarks/speed.py --gpu-check (the 27-frame 128-channel
#      model's training windows/s and inference frames/s in float32 and bfloat16, the GPU's
#      8192^3 GEMM rate as the bound, the training loop and the GPU's utilisation),
# printed as one Markdown table on stdout (progress on stderr). Needs only what the package
# needs (torch with CUDA, torch_geometric, pytest for the tests).
#
#   scripts/gpu-check.sh                 # PYTHON=python3.11 scripts/gpu-check.sh
#
# Exits 2 with one line on a machine where torch sees no GPU, 1 when a test or a measurement
# fails (the table is printed only when both ran).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python3}
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
cd "$root"

if ! "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' \
        >/dev/null 2>&1; then
    version=$("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null) \
        || version='(not importable)'
    echo "gpu-check.sh: error: no CUDA GPU visible to torch $version; this check runs on a" \
         "machine with an NVIDIA GPU" >&2
    exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
timeout 270 "$python" -m pytest -q -p no:cacheprovider -m cuda tests/test_cuda.py >"$log" 2>&1 \
    || status=$?
cat "$log" >&2
summary=$(grep -E '(passed|failed|error)' "$log" | tail -n 1 | sed -e 's/=//g' -e 's/^ *//;s/ *$//')
if [ "$status" -ne 0 ]; then
    echo "gpu-check.sh: error: the CUDA tests failed (exit $status): ${summary:-no summary}" >&2
    exit 1
fi
timeout 180 "$python" benchmarks/speed.py --gpu-check --device cuda --warmup 5 --repeats 20 \
    --frames 10000 --batch 128 --tests "$summary"
