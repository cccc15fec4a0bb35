"""Figure style sized for one column of a two-column paper."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

COLUMN_WIDTH_IN = 3.5
PNG_DPI = 200  # 3.5 in at 200 dpi is 700 pixels wide

STYLE = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": PNG_DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
}


def apply_style() -> None:
    plt.rcParams.update(STYLE)


def figure(height_in: float, rows: int = 1, sharex: bool = True):
    """Return a figure one column wide with `rows` stacked axes."""
    return plt.subplots(rows, 1, figsize=(COLUMN_WIDTH_IN, height_in), sharex=sharex,
                        squeeze=False, layout="constrained")


def save(fig, path) -> None:
    fig.savefig(path)
    plt.close(fig)
