#!/usr/bin/env bash
# The performance benchmark in one command (issue 6): builds the bench targets in Release, runs
#   1. keepsim_bench        Epstein Models I and II, both schedules, 1 and 2 threads, grid sizes 100 to 10000,
#                           each next to the plain reference of the same model and schedule
#                           (models/epstein/reference.hpp, up to 1000 x 1000)               -> DIR/epstein.json
#   2. keepsim_bench_peace  a peacekeeping day against a sync Epstein period, at sizes 100 to 3000
#                           (DIR/peace.json is the 300 x 300 one the targets use)          -> DIR/peace-N.json
#                           and the sync day at those sizes and 1200, on 1 and 2 threads  -> DIR/peace-sync-N-tT.json
#      and for both, how the cost per agent-update grows with the grid (issue 14)       -> DIR/growth.txt
#   3. small runs           a sweep of 200 runs of Epstein run 2 (40 x 40, 1000 periods, one HDF5 file each)
#                           by `keepsim sweep --jobs 2`: runs per second                   -> DIR/sweep.json
# and prints the issue's table of targets (case | measured | must | aim | met?)            -> DIR/summary.json
#
#   bash bench/run.sh [--quick] [--out DIR] [--max-size N] [--runs N] [--build-dir DIR]
#
# --quick: Epstein grid sizes 100, 300 and 1000 (the reference up to 300) and peacekeeping 100 and 300 only (the
# 10000 x 10000 rows are then reported as not measured).
# --max-size N: skip grid sizes above N (reported as skipped). --runs N: sweep size (default 200, the issue's).
# Default DIR: bench/results/<UTC date and time>-<commit>[-dirty]; build dir: build-bench (reused when present).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=0
OUT=""
MAX_SIZE=""
RUNS=200
BUILD="$ROOT/build-bench"
usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --out) OUT=$2; shift ;;
    --max-size) MAX_SIZE=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --build-dir) BUILD=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# What the benchmark was run on: the commit, and whether the working tree differed from it.
COMMIT=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DIRTY=false
if [ "$COMMIT" != unknown ] && [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  DIRTY=true
fi
STAMP=$(date -u +%Y%m%d-%H%M%S)
if [ -z "$OUT" ]; then
  OUT="$ROOT/bench/results/$STAMP-$COMMIT"
  [ "$DIRTY" = true ] && OUT="$OUT-dirty"
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# Build (Release, own build dir). Installing dependencies is scripts/install-deps.sh's job; call it only when
# the tools themselves are missing.
if ! command -v cmake >/dev/null || ! command -v g++ >/dev/null; then
  bash "$ROOT/scripts/install-deps.sh"
fi
echo "== building the bench targets in $BUILD (Release)"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DKEEPSIM_BENCH=ON >"$OUT/build.log" 2>&1 ||
  { tail -30 "$OUT/build.log" >&2; echo "run.sh: cmake configure failed (see $OUT/build.log)" >&2; exit 1; }
cmake --build "$BUILD" -j"$(nproc)" --target keepsim_bench keepsim_bench_peace keepsim >>"$OUT/build.log" 2>&1 ||
  { tail -30 "$OUT/build.log" >&2; echo "run.sh: build failed (see $OUT/build.log)" >&2; exit 1; }
BIN="$BUILD/bin"

STATUS=0
EP_ARGS=(--json "$OUT/epstein.json")
[ "$QUICK" = 1 ] && EP_ARGS+=(--quick)
[ -n "$MAX_SIZE" ] && EP_ARGS+=(--max-size "$MAX_SIZE")
echo "== keepsim_bench ${EP_ARGS[*]}"
"$BIN/keepsim_bench" "${EP_ARGS[@]}" 2>&1 | tee "$OUT/epstein.txt" || STATUS=1

echo
# The peacekeeping day at several sizes, over the same days at every size (days 2 to 11: a day's cost depends
# on which day it is, the first after the force arrives being the busiest), with more runs of other seeds on
# the smaller grids, whose days are short, to time them as long.
PEACE_SIZES="100 300 1000 3000"
[ "$QUICK" = 1 ] && PEACE_SIZES="100 300"
PEACE_DAYS=10
peace_runs() {  # runs of the same days at grid size $1
  if [ "$1" -ge 3000 ]; then echo 1; elif [ "$1" -ge 1000 ]; then echo 2; elif [ "$1" -ge 300 ]; then echo 20; else echo 100; fi
}
for n in $PEACE_SIZES; do
  if [ -n "$MAX_SIZE" ] && [ "$n" -gt "$MAX_SIZE" ]; then continue; fi
  runs=$(peace_runs "$n")
  echo "== keepsim_bench_peace --size $n --periods $PEACE_DAYS --repeats $runs"
  "$BIN/keepsim_bench_peace" --size "$n" --periods "$PEACE_DAYS" --repeats "$runs" --json "$OUT/peace-$n.json" 2>&1 |
    tee "$OUT/peace-$n.txt" || STATUS=1
done
[ -f "$OUT/peace-300.json" ] && cp "$OUT/peace-300.json" "$OUT/peace.json"
# The sync peacekeeping day (rules.schedule = "sync") at the same sizes and 1200 x 1200 (the size of issue 14's
# targets), on 1 and 2 threads.
SYNC_SIZES="$PEACE_SIZES 1200"
[ "$QUICK" = 1 ] && SYNC_SIZES="$PEACE_SIZES"
for n in $SYNC_SIZES; do
  if [ -n "$MAX_SIZE" ] && [ "$n" -gt "$MAX_SIZE" ]; then continue; fi
  runs=$(peace_runs "$n")
  for t in 1 2; do
    echo "== keepsim_bench_peace --schedule sync --size $n --periods $PEACE_DAYS --repeats $runs --threads $t"
    "$BIN/keepsim_bench_peace" --schedule sync --size "$n" --periods "$PEACE_DAYS" --repeats "$runs" --threads "$t" \
      --json "$OUT/peace-sync-$n-t$t.json" 2>&1 | tee "$OUT/peace-sync-$n-t$t.txt" || STATUS=1
  done
done

echo
echo "== small runs: a sweep of $RUNS runs of Epstein run 2 with --jobs 2"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/sweep.toml" <<TOML
base = ["$ROOT/configs/epstein/run2.toml"]
[sweep]
replicates = $RUNS
seed = 1
TOML
t0=$(date +%s.%N)
set +e
"$BIN/keepsim" sweep "$WORK/sweep.toml" -o "$WORK/sweep" -q --jobs 2
SWEEP_RC=$?
set -e
t1=$(date +%s.%N)
FILES=$(find "$WORK/sweep/runs" -name 'run_*.h5' 2>/dev/null | wc -l)
ERRORS=$(find "$WORK/sweep/runs" -name 'run_*.h5.error' 2>/dev/null | wc -l)
[ "$SWEEP_RC" = 0 ] || STATUS=1
"$PY" - "$OUT/sweep.json" "$t0" "$t1" "$RUNS" "$SWEEP_RC" "$FILES" "$ERRORS" "$(nproc)" "$COMMIT" <<'PY'
import json, sys
out, t0, t1, runs, rc, files, errors, cores, commit = sys.argv[1:]
seconds = float(t1) - float(t0)
r = {"benchmark": "sweep of Epstein run 2 (40x40, 1000 periods, HDF5 file per run)", "commit": commit,
     "runs": int(runs), "jobs": 2, "machine_cores": int(cores), "exit_code": int(rc), "run_files": int(files),
     "failed_runs": int(errors), "seconds": seconds, "runs_per_s": int(runs) / seconds}
json.dump(r, open(out, "w"), indent=1)
print(f"{runs} runs in {seconds:.2f} s with --jobs 2 on a {cores}-core machine: {r['runs_per_s']:.1f} runs/s"
      f" (exit code {rc}, {files} run files, {errors} failed)")
PY

echo
"$PY" "$ROOT/bench/summary.py" "$OUT" --growth | tee "$OUT/growth.txt"
echo
"$PY" "$ROOT/bench/summary.py" "$OUT" --commit "$COMMIT" --dirty "$DIRTY" | tee "$OUT/summary.txt"
echo "results: $OUT"
exit $STATUS
