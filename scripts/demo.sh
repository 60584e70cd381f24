#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the bundled default scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DKEEPSIM_TESTS=OFF > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j "$(nproc)" >> build.log 2>&1 || { tail -50 build.log; exit 1; }
mkdir -p out
# Until the peacekeeping scenario lands, the default scenario is Epstein's run 2 (punctuated equilibrium).
build/bin/keepsim run configs/epstein/run2.toml -o out/default.h5 --force "$@"
echo "open it in Python:  /usr/bin/python3 -c 'import xarray as xr; print(xr.open_dataset(\"out/default.h5\"))'"
