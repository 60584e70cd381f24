#!/usr/bin/env bash
# Sweep throughput (issue 4): the same N runs (Epstein run 2, 1000 periods, 40 x 40, distinct seeds) run one
# after another by `keepsim run` in a shell loop, then by `keepsim sweep --jobs 1` and `--jobs 2`. Prints the
# wall times and the speed-up of the 2-job sweep over the loop.
#   bash bench/sweep_bench.sh [build/bin/keepsim] [N]
set -euo pipefail
KEEPSIM=${1:-build/bin/keepsim}
N=${2:-16}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/sweep.toml" <<TOML
base = ["$ROOT/configs/epstein/run2.toml"]
[sweep]
replicates = $N
seed = 1
TOML
now() { date +%s.%N; }
# The loop runs the sweep's own seeds, so both do exactly the same work.
"$KEEPSIM" sweep "$WORK/sweep.toml" -o "$WORK/seeds" -q --task-index $((N + 1)) --task-count $((N + 2))
mapfile -t SEEDS < <(grep '^seed = ' "$WORK/seeds/manifest.toml" | tr -d '[],' | cut -d' ' -f3-| tr ' ' '\n')
t0=$(now)
for i in "${!SEEDS[@]}"; do
  "$KEEPSIM" run "$ROOT/configs/epstein/run2.toml" -o "$WORK/loop_$i.h5" --seed "${SEEDS[$i]}" --threads 1 -q
done
t1=$(now)
"$KEEPSIM" sweep "$WORK/sweep.toml" -o "$WORK/j1" -q --jobs 1
t2=$(now)
"$KEEPSIM" sweep "$WORK/sweep.toml" -o "$WORK/j2" -q --jobs 2
t3=$(now)
python3 - "$t0" "$t1" "$t2" "$t3" "$N" "$(nproc)" <<'PY'
import sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
n, cores = sys.argv[5], sys.argv[6]
loop, j1, j2 = t1 - t0, t2 - t1, t3 - t2
print(f"{n} runs of Epstein run 2 (1000 periods, 40x40) on {cores} cores")
print(f"  shell loop of keepsim run --threads 1: {loop:7.2f} s")
print(f"  keepsim sweep --jobs 1:                {j1:7.2f} s  ({loop / j1:.2f}x the loop)")
print(f"  keepsim sweep --jobs 2:                {j2:7.2f} s  ({loop / j2:.2f}x the loop)")
PY
