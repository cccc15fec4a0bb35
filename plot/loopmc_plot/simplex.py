"""Simplex plot for K = 3: each user's preference probabilities softmax(a W^T y)
as a point of the probability simplex, drawn as an equilateral triangle whose
corner k is the point where product k has probability 1."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from .result import Result
from .style import COLUMN_WIDTH_IN, figure, save

SQRT3_HALF = np.sqrt(3) / 2
CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, SQRT3_HALF]])


def preference_probabilities(W: np.ndarray, a: float, y: np.ndarray) -> np.ndarray:
    """softmax(a W^T y) over the last axis of y (..., q) -> (..., K), computed stably."""
    scores = a * (y @ W.T)
    scores -= scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True)


def to_plane(probabilities: np.ndarray) -> np.ndarray:
    """Barycentric coordinates (..., 3) -> points (..., 2) of the triangle."""
    return probabilities @ CORNERS


def _path_source(result: Result):
    """User-state path over tau, [G, N, q], and what it is, densest source first."""
    if result.grid_y is not None:
        return result.grid_y, r"ODE $y(\tau)$"
    if result.ode_y is not None:
        return result.ode_y, r"ODE $y(\tau)$"
    return result.y_mean, "Monte Carlo mean of $Y$"


def _draw_frame(ax, result: Result) -> None:
    ax.plot(*np.vstack([CORNERS, CORNERS[:1]]).T, color="0.2", lw=0.8)
    # Product k dominates where p_k is the largest. The borders between two
    # regions run from the centre (all p_k equal) to an edge's midpoint.
    centre = CORNERS.mean(axis=0)
    for i, j in [(0, 1), (1, 2), (2, 0)]:
        middle = (CORNERS[i] + CORNERS[j]) / 2
        ax.plot([centre[0], middle[0]], [centre[1], middle[1]], color="0.4", ls=":", lw=0.8)
    offsets = [(-0.04, -0.05), (0.04, -0.05), (0.0, 0.04)]
    alignments = ["right", "left", "center"]
    for k, (corner, offset, align) in enumerate(zip(CORNERS, offsets, alignments)):
        ax.text(corner[0] + offset[0], corner[1] + offset[1], f"product {k + 1}", ha=align,
                va="center")
    products = to_plane(preference_probabilities(result.W, result.a, result.W))
    ax.scatter(products[:, 0], products[:, 1], color="black", s=12, zorder=3)


def simplex(result: Result, path) -> bool:
    """Draw the simplex plot; False unless K = 3 and some user-state path exists."""
    states, source = _path_source(result)
    if result.products != 3 or states is None:
        return False
    fig, axes = figure(COLUMN_WIDTH_IN * 1.05)
    ax = axes[0, 0]
    ax.set_aspect("equal")
    ax.axis("off")
    _draw_frame(ax, result)

    points = to_plane(preference_probabilities(result.W, result.a, states))  # [G, N, 2]
    user_handles = []
    for n in range(result.users):
        color = f"C{n % 10}"
        ax.plot(points[:, n, 0], points[:, n, 1], color=color, lw=1.0)
        ax.plot(*points[0, n], marker="o", mfc="none", color=color, ms=5)
        ax.plot(*points[-1, n], marker="x", color=color, ms=6, mew=1.4)
        user_handles.append(Line2D([], [], color=color, label=f"user {n + 1}"))
    marker_handles = [
        Line2D([], [], color="0.3", marker="o", mfc="none", ls="none", label="start"),
        Line2D([], [], color="0.3", marker="x", ls="none", label=rf"end, $\tau$={result.tau[-1]:g}"),
        Line2D([], [], color="black", marker="o", ms=3, ls="none", label="$p(w_k)$"),
    ]
    if result.y_mean is not None and source.startswith("ODE"):
        ends = to_plane(preference_probabilities(result.W, result.a, result.y_mean[-1]))
        for n in range(result.users):
            ax.plot(*ends[n], marker="+", color=f"C{n % 10}", ms=8, mew=0.9)
        marker_handles.append(Line2D([], [], color="0.3", marker="+", ls="none",
                                     label="MC mean, end"))
    handles = (user_handles if result.users <= 10 else []) + marker_handles
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3,
              handlelength=1.2, columnspacing=1.0, borderaxespad=0)
    ax.set_xlim(-0.12, 1.12)
    ax.set_ylim(-0.08, SQRT3_HALF + 0.06)
    ax.set_title(f"{result.label()}: simplex plot\npath of {source}")
    save(fig, path)
    return True
