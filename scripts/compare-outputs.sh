#!/usr/bin/env bash
# Runs the reference jobs in bench/reference-jobs with a build of an earlier
# revision and with the current working tree, and compares their result files
# dataset by dataset, exactly (h5diff without tolerance). Speed work must leave
# every output bit unchanged; this is how that is checked.
#
#   scripts/compare-outputs.sh REVISION [JOB.toml ...]
#
# REVISION is any git revision (e.g. main, HEAD~3). Its source is checked out
# as a git worktree in build-compare/source-HASH (remove it with
# `git worktree remove`) and built in build-compare/base-HASH; the working tree
# is built in build-compare/now. Result files and logs go to
# build-compare/outputs. Exits 0 when all outputs are identical, 1 when any
# differs.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
  echo "usage: $0 REVISION [JOB.toml ...]" >&2
  exit 2
fi
revision=$(git rev-parse --short "$1")
shift
jobs=("$@")
[ ${#jobs[@]} -gt 0 ] || jobs=(bench/reference-jobs/*.toml)

root=build-compare
base_tree="$root/source-$revision"
mkdir -p "$root/outputs"
if [ ! -d "$base_tree" ]; then
  git worktree add --detach "$base_tree" "$revision" >/dev/null
fi

build() {  # SOURCE BUILD
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DLOOPMC_BUILD_TESTS=OFF >/dev/null
  cmake --build "$2" -j "$(nproc)" --target loopmc >/dev/null
}
build "$base_tree" "$root/base-$revision"
build . "$root/now"

# Everything but /job and /metadata, which hold file names and timings.
groups=(/checkpoints /inputs /ode /replicas /summary)
status=0
for job in "${jobs[@]}"; do
  name=$(basename "$job" .toml)
  for side in "base-$revision" now; do
    "$root/$side/engine/loopmc" run "$job" --out "$root/outputs/$name-$side.h5" --force \
      2>"$root/outputs/$name-$side.log"
  done
  base="$root/outputs/$name-base-$revision.h5"
  now="$root/outputs/$name-now.h5"
  differs=0
  for group in "${groups[@]}"; do
    in_base=0 in_now=0
    h5ls "$base$group" >/dev/null 2>&1 && in_base=1
    h5ls "$now$group" >/dev/null 2>&1 && in_now=1
    if [ "$in_base$in_now" = 00 ]; then continue; fi  # e.g. /ode when the job turns it off
    if [ "$in_base$in_now" != 11 ] || ! h5diff -q "$base" "$now" "$group" "$group" >/dev/null 2>&1; then
      echo "$name: $group differs"
      differs=1
    fi
  done
  if [ "$differs" = 0 ]; then echo "$name: identical"; else status=1; fi
done
exit "$status"
