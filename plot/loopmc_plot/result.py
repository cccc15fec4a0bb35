"""Read a loopmc result file (HDF5, layout in docs/output.md) into arrays."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import h5py
import numpy as np


class ResultError(Exception):
    """A result file that cannot be plotted; the message states why and what to do."""


@dataclass
class Result:
    path: Path
    name: str
    complete: bool
    a: float
    schedule: str
    W: np.ndarray  # [K, q], row k is w_k
    t: np.ndarray  # [T] checkpoint steps
    tau: np.ndarray  # [T] ODE time of each checkpoint
    replicas: int  # replicas in the means below (the finished ones)
    counts: Optional[np.ndarray]  # [replicas, T, K] preference counts
    y_mean: Optional[np.ndarray]  # [T, N, q] Monte Carlo mean of the user states
    y_var: Optional[np.ndarray]  # [T, N, q] sample variance (divisor replicas - 1)
    theta_mean: Optional[np.ndarray]  # [T, d]
    theta_var: Optional[np.ndarray]  # [T, d]
    ode_y: Optional[np.ndarray]  # [T, N, q] y(tau) at the checkpoints
    ode_theta: Optional[np.ndarray]  # [T, d]
    ode_counts: Optional[np.ndarray]  # [T, K]
    grid_tau: Optional[np.ndarray]  # [G] dense ODE grid, written by `loopmc ode`
    grid_y: Optional[np.ndarray]  # [G, N, q]
    users: int
    products: int

    def label(self) -> str:
        """Return the job's name and size for figure titles."""
        return f"{self.name} (N={_compact(self.users)}, K={_compact(self.products)}, a={self.a:g})"


def _compact(count: int) -> str:
    """Write counts of 100000 and more as powers of ten, e.g. 1e+06, to keep titles short."""
    return str(count) if count < 100_000 else f"{count:.2g}"


def _open(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError:
        # A file whose writer died mid-run still carries the single-writer mark.
        return h5py.File(path, "r", swmr=True)


def _optional(group: h5py.File, name: str) -> Optional[np.ndarray]:
    return group[name][()] if name in group else None


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample variance over the first axis (0 variance for one replica)."""
    if values.shape[0] < 2:
        return values.mean(axis=0), np.zeros(values.shape[1:])
    return values.mean(axis=0), values.var(axis=0, ddof=1)


def _replica_data(f: h5py.File, complete: bool) -> dict:
    """Per-replica counts and the moments of Y and theta over finished replicas."""
    if "replicas" not in f:
        return dict(replicas=0, counts=None, y_mean=None, y_var=None, theta_mean=None,
                    theta_var=None)
    finished = f["replicas/finished"][()] == 1
    if not finished.any():
        raise ResultError(f"{f.filename}: no replica has finished, so there is nothing to plot")
    data = dict(replicas=int(finished.sum()),
                counts=f["replicas/preference_counts"][()][finished])
    if complete and "summary/theta_mean" in f:
        data.update(y_mean=_optional(f, "summary/Y_mean"), y_var=_optional(f, "summary/Y_var"),
                    theta_mean=f["summary/theta_mean"][()], theta_var=f["summary/theta_var"][()])
        return data
    # An incomplete file has no summary: the finished replicas' records give it.
    data["theta_mean"], data["theta_var"] = _moments(f["replicas/theta"][()][finished])
    data["y_mean"] = data["y_var"] = None
    if "replicas/user_states" in f:
        data["y_mean"], data["y_var"] = _moments(f["replicas/user_states"][()][finished])
    return data


def read_result(path: Path, partial: bool) -> Result:
    """Read the file at `path`; raise ResultError for an incomplete file unless `partial`."""
    if not path.is_file():
        raise ResultError(f"result file not found: {path}")
    with _open(path) as f:
        complete = int(f.attrs.get("complete", 0)) == 1
        if not complete and not partial:
            raise ResultError(
                f"{path} is incomplete (root attribute 'complete' is not 1): its run is still "
                "going, was stopped or died. Pass --partial to plot its finished replicas.")
        if "inputs/W" not in f:
            raise ResultError(f"{path} is not a loopmc result file (it has no /inputs/W)")
        inputs = f["inputs"]
        t = _optional(f, "checkpoints/t")
        tau = f["checkpoints/tau"][()] if "checkpoints" in f else f["ode/tau"][()]
        return Result(
            path=path,
            name=_text(f["job"].attrs.get("name", path.stem)) if "job" in f else path.stem,
            complete=complete,
            a=float(inputs.attrs["a"]),
            schedule=_text(inputs.attrs.get("schedule", "")),
            W=inputs["W"][()],
            t=t if t is not None else np.zeros_like(tau, dtype=np.uint64),
            tau=tau,
            ode_y=_optional(f, "ode/y"),
            ode_theta=_optional(f, "ode/theta"),
            ode_counts=_optional(f, "ode/preference_counts"),
            grid_tau=_optional(f, "ode/grid/tau"),
            grid_y=_optional(f, "ode/grid/y"),
            users=int(inputs["V"].shape[0]),
            products=int(inputs["W"].shape[0]),
            **_replica_data(f, complete),
        )
