#!/usr/bin/env bash
# The README's second command (and CI's): install what is missing, build with warnings as errors, and run the
# whole suite through CTest: unit tests, end-to-end CLI tests, Python reader tests, and the sanitizer builds
# (address+undefined, thread) and a short fuzzing run (clang, libFuzzer), which CTest builds and runs as tests
# of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Line tables only (-g1): failures and sanitizer reports still name file and line, and the three builds compile
# in about half the time they take with full debug information (-g).
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DKEEPSIM_WERROR=ON -DKEEPSIM_SANITIZER_TESTS=ON -DKEEPSIM_FUZZ_TESTS=ON > build-test.log 2>&1 || { cat build-test.log; exit 1; }
cmake --build build-test -j "$(nproc)" >> build-test.log 2>&1 || { tail -80 build-test.log; exit 1; }
cd build-test
# As many tests at once as there are cores: the sanitizer builds and the fuzzing run, which use every core
# themselves, run alone (RUN_SERIAL, tests/CMakeLists.txt); the other tests, which took about 10 of the suite's
# 47 minutes one after another on 2 cores, run around them.
ctest --output-on-failure --timeout 2400 --parallel "$(nproc)" "$@"
