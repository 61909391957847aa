#!/usr/bin/env bash
# Builds and runs the test suite (all but the benchmarks), as many tests at a time as the
# machine has cores (-j N after it overrides). In CI, warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build ${CI:+-DES_WERROR=ON} >/dev/null
cmake --build build -j2
ctest --test-dir build --output-on-failure -LE bench -j "$(nproc)" "$@"
