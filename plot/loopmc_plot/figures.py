"""Line figures over time: user states, preference counts, Monte Carlo-ODE distance."""

from __future__ import annotations

from statistics import NormalDist
import numpy as np
from matplotlib.lines import Line2D

from .result import Result
from .style import figure, save

MAX_USERS_SHOWN = 3
MAX_PRODUCTS_SHOWN = 10  # more lines than this are unreadable at one column's width


def _tau_axis(ax, tau: np.ndarray) -> np.ndarray:
    """Set the tau axis and return the mask of checkpoints it can show.

    Checkpoints spaced evenly in log t crowd the start; a log axis spreads them,
    and it cannot show tau = 0.
    """
    log_scale = len(tau) > 2 and np.median(tau) < 0.1 * tau[-1]
    if log_scale:
        ax.set_xscale("log")
        return tau > 0
    return np.ones_like(tau, dtype=bool)


def user_states(result: Result, path) -> bool:
    """Draw each component of Y_n over tau for the first users; False without user states."""
    if result.y_mean is None and result.ode_y is None:
        return False
    shown = min(result.users, MAX_USERS_SHOWN)
    fig, axes = figure(0.6 + 1.15 * shown, rows=shown)
    q = result.W.shape[1]
    for n in range(shown):
        ax = axes[n, 0]
        visible = _tau_axis(ax, result.tau)
        tau = result.tau[visible]
        for j in range(q):
            color = f"C{j}"
            if result.y_mean is not None:
                mean = result.y_mean[visible, n, j]
                error = 2 * np.sqrt(result.y_var[visible, n, j] / max(result.replicas, 1))
                ax.fill_between(tau, mean - error, mean + error, color=color, alpha=0.25, lw=0)
                ax.plot(tau, mean, color=color)
            if result.ode_y is not None:
                ax.plot(tau, result.ode_y[visible, n, j], color=color, ls="--")
        ax.set_ylabel(f"user {n + 1}: $Y_{{{n + 1}}}$")
    axes[-1, 0].set_xlabel(r"ODE time $\tau$")
    fig.suptitle(f"{result.label()}: user states")
    axes[0, 0].legend(handles=_state_legend(result, q), ncol=2, loc="lower left",
                      bbox_to_anchor=(0, 1.0, 1, 0), mode="expand", handlelength=1.5)
    save(fig, path)
    return True


def _state_legend(result: Result, q: int) -> list:
    handles = [Line2D([], [], color=f"C{j}", label=f"component {j + 1}") for j in range(q)]
    if result.y_mean is not None:
        handles.append(Line2D([], [], color="0.3",
                              label=f"MC mean ±2 SE, R={result.replicas}"))
    if result.ode_y is not None:
        handles.append(Line2D([], [], color="0.3", ls="--", label=r"ODE $y(\tau)$"))
    return handles


def _most_preferred(mean: np.ndarray, count: int) -> list[int]:
    """Indices of the `count` products with the largest mean count at any checkpoint."""
    if mean.shape[1] <= count:
        return list(range(mean.shape[1]))
    return sorted(np.argsort(mean.max(axis=0))[::-1][:count].tolist())


def preference_counts(result: Result, path) -> bool:
    """Draw the users preferring each product against t (log axis); False without replicas."""
    if result.counts is None:
        return False
    K = result.products
    fig, axes = figure(2.5 + 0.17 * -(-min(K, MAX_PRODUCTS_SHOWN) // 5))
    ax = axes[0, 0]
    visible = result.t > 0
    t = result.t[visible].astype(float)
    mean = result.counts.mean(axis=0)[visible]
    std = result.counts.std(axis=0, ddof=1)[visible] if result.replicas > 1 else 0 * mean
    shown = _most_preferred(mean, MAX_PRODUCTS_SHOWN)

    for index, k in enumerate(shown):
        color = f"C{index % 10}"
        low = np.clip(mean[:, k] - std[:, k], 0, result.users)
        high = np.clip(mean[:, k] + std[:, k], 0, result.users)
        ax.fill_between(t, low, high, color=color, alpha=0.2, lw=0)
        ax.plot(t, mean[:, k], color=color, label=f"{k + 1}")
        if result.ode_counts is not None:
            ax.plot(t, result.ode_counts[visible, k], color=color, ls=":", drawstyle="steps-post")

    ax.set_xscale("log")
    # Counts near N keep the full range; a few users among many products get a closer view.
    top = min(result.users, 1.1 * float(np.max(mean[:, shown] + std[:, shown], initial=1.0)))
    ax.set_ylim(-0.02 * top, 1.02 * top)
    ax.set_xlabel("step $t$")
    ax.set_ylabel("users preferring the product")
    ax.set_title(f"{result.label()}: preference counts")
    _count_legends(ax, result, shown)
    save(fig, path)
    return True


def _count_legends(ax, result: Result, shown: list[int]) -> None:
    """Add the line styles inside the axes and the products' colours below them."""
    styles = [Line2D([], [], color="0.3", label=f"mean ±1 SD, R={result.replicas}")]
    if result.ode_counts is not None:
        styles.append(Line2D([], [], color="0.3", ls=":", label=r"ODE $y(\tau)$"))
    ax.add_artist(ax.legend(handles=styles, loc="best", handlelength=1.5))

    K = result.products
    title = "product" if len(shown) == K else f"product ({len(shown)} of {K} with most users)"
    ax.legend(title=title, loc="upper center", bbox_to_anchor=(0.5, -0.2),
              ncol=min(len(shown), 5), handlelength=1.2, columnspacing=0.8)


def _standard_errors(mean: np.ndarray, var: np.ndarray, ode: np.ndarray,
                     replicas: int) -> np.ndarray:
    """Largest |mean - ode| / sqrt(var / R) per checkpoint, over entries with var > 0."""
    mean = mean.reshape(len(mean), -1)
    var = var.reshape(len(var), -1)
    ode = ode.reshape(len(ode), -1)
    error = np.abs(mean - ode)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, error / np.sqrt(var / replicas), np.nan)
    largest = np.full(len(z), np.nan)
    has_values = ~np.all(np.isnan(z), axis=1)
    largest[has_values] = np.nanmax(z[has_values], axis=1)
    return largest


def _noise_level(count: int, probability: float = 0.95) -> float:
    """Level that the largest of `count` independent |standard normal| stays below."""
    return NormalDist().inv_cdf((1 + probability ** (1 / count)) / 2)


def ode_distance(result: Result, path) -> bool:
    """Draw the Monte Carlo-ODE distance in standard errors against tau; False without /ode."""
    pairs = []
    if result.y_mean is not None and result.ode_y is not None:
        pairs.append(("user states $Y$", result.y_mean, result.y_var, result.ode_y))
    if result.theta_mean is not None and result.ode_theta is not None:
        pairs.append((r"$\theta$", result.theta_mean, result.theta_var, result.ode_theta))
    if not pairs or result.replicas < 2:
        return False

    fig, axes = figure(2.8)
    ax = axes[0, 0]
    visible = _tau_axis(ax, result.tau)
    largest = []
    for index, (label, mean, var, ode) in enumerate(pairs):
        z = _standard_errors(mean, var, ode, result.replicas)[visible]
        largest.append(z)
        ax.plot(result.tau[visible], z, color=f"C{index}", marker=".", ms=3, label=label)
        ax.axhline(_noise_level(mean[0].size), color=f"C{index}", ls=":", lw=0.8)

    values = np.concatenate(largest)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and values.max() > 100 * values.min():
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    ax.set_xlabel(r"ODE time $\tau$")
    ax.set_ylabel(r"max $|\mathrm{mean} - \mathrm{ODE}|$ / SE")
    ax.set_title(f"{result.label()}: Monte Carlo vs ODE")
    handles = ax.get_legend_handles_labels()[0]
    handles.append(Line2D([], [], color="0.3", ls=":", label="95% level of noise alone (normal)"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2,
              handlelength=1.5)
    save(fig, path)
    return True

