#!/bin/sh
# The CUDA target on a real GPU: prepare the cases (needs node and a built sluice), then build,
# check, time against PyTorch and run compute-sanitizer (scripts/cuda-gpu-check.py).
#
#   scripts/cuda-gpu-check.sh [CASES_DIR] [options of cuda-gpu-check.py]
#
# CASES_DIR (default cuda-gpu-cases) is prepared here when it has no cases.json, so the same
# command works on a GPU machine with the repository, or with a folder prepared elsewhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cases=${1:-cuda-gpu-cases}
[ $# -gt 0 ] && shift
if [ ! -f "$cases/cases.json" ]; then
  [ -f "$root/dist/bench/cuda-gpu-cases.js" ] || (cd "$root" && npm run build >/dev/null)
  node "$root/dist/bench/cuda-gpu-cases.js" "$cases"
fi
exec python3 "$here/cuda-gpu-check.py" "$cases" "$@"
