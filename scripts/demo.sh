#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the bundled default scenario under both
# doctrine presets with the same seed, then compare them side by side (table on screen, PNG of the series).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DKEEPSIM_TESTS=OFF > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j "$(nproc)" >> build.log 2>&1 || { tail -50 build.log; exit 1; }
mkdir -p out
for doctrine in complex_peacekeeping security_keeping; do
  build/bin/keepsim run configs/scenarios/default.toml "configs/doctrines/${doctrine}.toml" \
    -o "out/${doctrine}.h5" --force -q "$@"
done
MPLBACKEND=Agg /usr/bin/python3 tools/compare_runs.py out/complex_peacekeeping.h5 out/security_keeping.h5 \
  --png out/doctrines.png
echo
echo "wrote out/complex_peacekeeping.h5, out/security_keeping.h5 and out/doctrines.png"
echo "open a run in Python:  /usr/bin/python3 -c 'import xarray as xr; print(xr.open_dataset(\"out/security_keeping.h5\"))'"
