"""Command line: python3 -m loopmc_plot RESULT.h5 [--out DIR] [--format png|pdf|svg]."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import figures, simplex
from .result import ResultError, read_result
from .style import apply_style

# Exit status for an invalid or incomplete input file, as `loopmc` uses it.
EXIT_INVALID_INPUT = 2

# Figure name (the file name's suffix) and the function that draws it; each
# returns False when the file lacks what the figure needs.
FIGURES = [
    ("user_states", figures.user_states),
    ("simplex", simplex.simplex),
    ("preference_counts", figures.preference_counts),
    ("ode_distance", figures.ode_distance),
]


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="loopmc plot", description="Draw the figures of a loopmc result file.")
    parser.add_argument("result", type=Path, help="result file (HDF5) written by `loopmc run`")
    parser.add_argument("--out", type=Path, help="folder for the figures (default: the result "
                        "file's folder); created if missing")
    parser.add_argument("--format", choices=["png", "pdf", "svg"], default="png")
    parser.add_argument("--partial", action="store_true",
                        help="accept an incomplete file and plot its finished replicas")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    try:
        result = read_result(args.result, args.partial)
    except (ResultError, OSError, KeyError) as error:
        print(f"loopmc plot: {error}", file=sys.stderr)
        return EXIT_INVALID_INPUT

    out_dir = args.out if args.out is not None else args.result.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    apply_style()
    written = 0
    for name, draw in FIGURES:
        path = out_dir / f"{args.result.stem}_{name}.{args.format}"
        if draw(result, path):
            print(path)
            written += 1
    if written == 0:
        print(f"loopmc plot: {args.result} has none of the data that the figures need", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
