#!/usr/bin/env bash
# Builds keepsim's libFuzzer targets (fuzz/) with clang and runs them, then replays every regression input in
# tests/fuzz/regressions/TARGET/ (each once; a replay must pass).
#
#   tools/fuzz.sh [TARGET|all] [SECONDS] [LIBFUZZER_FLAGS...]
#
# TARGET: fuzz_config, fuzz_sweep, fuzz_design_csv, fuzz_raster, or all (default), each fuzzed for SECONDS
# (default 60; 0 only replays the regressions). The corpus persists in out/fuzz/corpus/TARGET (gitignored),
# findings land in out/fuzz/crashes/TARGET/; reproduce one with build-fuzz/bin/TARGET FILE and shrink it with
# build-fuzz/bin/TARGET -minimize_crash=1 -runs=100000 FILE. Extra flags go to libFuzzer (e.g. -fork=2 for two
# processes). Environment: KEEPSIM_FUZZ_BUILD (build directory, default build-fuzz), KEEPSIM_FUZZ_WORK
# (default out/fuzz), CC/CXX (default clang-14/clang++-14 or clang/clang++). The suite's "fuzz:" test runs
# all targets for a few seconds each through this script.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-all}"
seconds="${2:-60}"
shift $(($# < 2 ? $# : 2))
build="${KEEPSIM_FUZZ_BUILD:-$root/build-fuzz}"
work="${KEEPSIM_FUZZ_WORK:-$root/out/fuzz}"
all=(fuzz_config fuzz_sweep fuzz_design_csv fuzz_raster)
if [ "$target" = all ]; then
  targets=("${all[@]}")
elif [[ " ${all[*]} " == *" $target "* ]]; then
  targets=("$target")
else
  echo "fuzz.sh: unknown target '$target'; one of: ${all[*]} all" >&2
  exit 2
fi

cc="${CC:-$(command -v clang-14 || command -v clang || true)}"
cxx="${CXX:-$(command -v clang++-14 || command -v clang++ || true)}"
if [ -z "$cc" ] || [ -z "$cxx" ]; then
  echo "fuzz.sh: clang not found (bash scripts/install-deps.sh installs clang-14 and libclang-rt-14-dev)" >&2
  exit 1
fi
log="$work/build.log"
mkdir -p "$work"
echo "fuzz.sh: building ${targets[*]} in $build (log: $log)"
# -O1 without NDEBUG, as libFuzzer recommends, and line tables only: quick to build, symbolized stacks, and
# toml++'s assertions stay on.
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS_DEBUG="-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
  -DKEEPSIM_FUZZ=ON -DKEEPSIM_SANITIZE=address,undefined -DKEEPSIM_TESTS=OFF -DKEEPSIM_BENCH=OFF -DKEEPSIM_MPI=OFF \
  > "$log" 2>&1 || { tail -40 "$log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" fuzz_prepare >> "$log" 2>&1 ||
  { tail -60 "$log"; exit 1; }
"$build/bin/fuzz_prepare" "$work/prepared"

# The seed corpora: the repository's own files; libFuzzer writes new inputs to the first directory only.
seeds() {
  case "$1" in
    fuzz_config) echo "$root/configs/epstein $root/configs/scenarios $root/configs/doctrines $root/fuzz/seeds/fuzz_config" ;;
    fuzz_sweep) echo "$root/configs/sweeps $root/fuzz/seeds/fuzz_sweep" ;;
    fuzz_design_csv) echo "$root/fuzz/seeds/fuzz_design_csv" ;;
    fuzz_raster) echo "$work/prepared/raster" ;;
  esac
}

status=0
for t in "${targets[@]}"; do
  regressions=("$root/tests/fuzz/regressions/$t"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "fuzz.sh: $t: replaying ${#regressions[@]} regression input(s)"
    "$build/bin/$t" -rss_limit_mb=2048 -timeout=10 "${regressions[@]}" > "$work/$t.replay.log" 2>&1 ||
      { tail -60 "$work/$t.replay.log"; echo "fuzz.sh: $t: a regression input fails" >&2; status=1; }
  fi
  [ "$seconds" -gt 0 ] || continue
  mkdir -p "$work/corpus/$t" "$work/crashes/$t"
  echo "fuzz.sh: $t: fuzzing for ${seconds}s (corpus $work/corpus/$t)"
  # shellcheck disable=SC2046
  if ! "$build/bin/$t" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
      -dict="$work/prepared/keepsim.dict" -artifact_prefix="$work/crashes/$t/" "$@" \
      "$work/corpus/$t" $(seeds "$t") > "$work/$t.log" 2>&1; then
    tail -80 "$work/$t.log"
    echo "fuzz.sh: $t: finding in $work/crashes/$t/ (log: $work/$t.log)" >&2
    status=1
  else
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)" "$work/$t.log" | tr '\n' ' '
    echo
  fi
done
exit $status
