#!/usr/bin/env bash
# Installs missing dependencies, builds loopmc with its tests, and runs the test
# suite with CTest. Used by CI (.ci/run) and by developers alike.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLOOPMC_BUILD_TESTS=ON
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure -j "$(nproc)"
# Fuzz the job-file parser and validator for a bounded time; skipped with a
# message when clang++ is missing.
fuzz/run.sh 30
