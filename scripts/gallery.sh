#!/usr/bin/env bash
# Runs the jobs fig2, fig3a-c and fig4a-b in jobs/, which reproduce Figures 2,
# 3 and 4 of "When Online Algorithms Influence the Environment: A Dynamical
# Systems Analysis of the Unintended Consequences". Other jobs there, such as
# benchmark-sized ones, are left out. For each job it prints the summary, draws
# the figures with `loopmc plot`, and copies the one that matches the paper's
# figure into docs/figures/JOB.png. Takes about 3 minutes on two cores.
#
# Usage: scripts/gallery.sh [--reuse] [BUILD_DIR]
#   BUILD_DIR  CMake build folder that holds engine/loopmc (default: build)
#   --reuse    keep a job's result file when it is already complete
# Environment: LOOPMC (the program; default BUILD_DIR/engine/loopmc) and
# GALLERY_DIR (result files and all figures; default BUILD_DIR/gallery).
set -euo pipefail
cd "$(dirname "$0")/.."

reuse=0
if [ "${1:-}" = "--reuse" ]; then
  reuse=1
  shift
fi
build_dir="${1:-build}"
loopmc="${LOOPMC:-$build_dir/engine/loopmc}"
work_dir="${GALLERY_DIR:-$build_dir/gallery}"

if [ ! -x "$loopmc" ]; then
  echo "gallery: $loopmc not found. Build it first: cmake -S . -B $build_dir && cmake --build $build_dir" >&2
  exit 1
fi
mkdir -p "$work_dir" docs/figures

# The loopmc figure that shows what the paper's figure of the same name shows.
declare -A paper_figure=(
  [fig2]=user_states
  [fig3a]=simplex [fig3b]=simplex [fig3c]=simplex
  [fig4a]=preference_counts [fig4b]=preference_counts
)

is_complete() {
  [ -f "$1" ] && h5dump -a /complete "$1" 2>/dev/null | grep -q "(0): 1"
}

for name in $(printf '%s\n' "${!paper_figure[@]}" | sort); do
  job="jobs/$name.toml"
  if [ ! -f "$job" ]; then
    echo "gallery: $job not found; skipping it" >&2
    continue
  fi
  result="$work_dir/$name.h5"
  if [ "$reuse" -eq 1 ] && is_complete "$result"; then
    echo "gallery: $name: reusing $result"
  else
    echo "gallery: $name: running $job"
    "$loopmc" run "$job" --out "$result" --force
  fi
  "$loopmc" summary "$result"
  "$loopmc" plot "$result" --out "$work_dir" --format png
  cp "$work_dir/${name}_${paper_figure[$name]}.png" "docs/figures/$name.png"
  echo "gallery: $name: docs/figures/$name.png"
done
