#!/usr/bin/env bash
# Installs missing dependencies, builds loopmc with its tests, fuzzes the job
# parser for a bounded time, and runs the test suite with CTest. Used by CI
# (.ci/run) and by developers alike.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLOOPMC_BUILD_TESTS=ON
cmake --build build -j "$(nproc)"

# Fuzz the job-file parser and validator for 30 s; skipped with a message when
# clang++ is missing. It runs before CTest so that CTest's summary is the
# last thing printed.
fuzz/run.sh 30

ctest --test-dir build --output-on-failure -j "$(nproc)"
