#!/usr/bin/env bash
# The suite under NumPy 1.26 and NumPy 2.x (the video extra's detector needs numpy<2, the rest
# of the package runs on both). Each version gets its own virtual environment with the pinned
# torch; pass existing ones as NP1_VENV / NP2_VENV to skip the set-up.
#
#   scripts/test-numpy-versions.sh            # creates .venv-np1 and .venv-np2 beside the repo
#   NP1_VENV=/path/np1 NP2_VENV=/path/np2 scripts/test-numpy-versions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

run_with() {  # run_with VENV NUMPY_SPEC
    local venv=$1 spec=$2
    if [ ! -x "$venv/bin/python" ]; then
        python -m venv "$venv"
        "$venv/bin/pip" install -q torch==2.13.0 "$spec" torch-geometric networkx pyyaml tqdm \
            pytest scipy matplotlib
    fi
    echo "== $("$venv/bin/python" -c 'import numpy; print("numpy", numpy.__version__)')"
    (cd "$root" && PYTHONPATH="$root" "$venv/bin/python" -m pytest -q -p no:cacheprovider)
}

run_with "${NP1_VENV:-$root/.venv-np1}" 'numpy>=1.26,<2'
run_with "${NP2_VENV:-$root/.venv-np2}" 'numpy>=2,<3'
