"""Reporting a chapter's metrics: the one call every solution notebook makes.

``report_metrics`` shows the chapter's results in the notebook, checks them
against their floors (the minimum a working solution must reach; in strict
mode a miss raises so CI fails) and, when the notebook runs under
``cellcourse run``, writes them to the run's ``metrics.json``.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from .config import settings

__all__ = ["report_metrics", "MetricFloorError"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class MetricFloorError(AssertionError):
    """A reported metric is below its floor (raised in strict mode)."""


def _as_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
            value = value.item()
        else:
            raise TypeError(
                f"metric {name!r} must be a real number; got {type(value).__name__} {value!r:.60}"
            )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"metric {name!r} must be finite; got {value}")
    return value


def _merge_into(path: Path, metrics: dict[str, float]) -> None:
    current = {}
    if path.exists():
        try:
            current = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = {}
    current.update(metrics)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".metrics", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(current, f, indent=2, sort_keys=True)
    os.replace(tmp, path)


def report_metrics(metrics: dict, floors: dict | None = None) -> dict[str, float]:
    """Show, check and record a chapter's metrics.

    Parameters
    ----------
    metrics : dict of str to float
        Metric names (lower_snake_case, as in the chapter's issue and the README
        table) and values.
    floors : dict of str to float, optional
        Minimum value each named metric must reach (use ``cc.budget(full=...,
        quick=...)`` for mode-dependent floors). A metric below its floor raises
        :class:`MetricFloorError` in strict mode (CI) and prints a warning
        otherwise.

    Returns
    -------
    dict of str to float
        The metrics as plain floats.

    Examples
    --------
    >>> report_metrics({"test_dice": 0.91}, floors={"test_dice": 0.5})  # doctest: +ELLIPSIS
    test_dice ... 0.9100 ...
    {'test_dice': 0.91}
    """
    if not isinstance(metrics, dict) or not metrics:
        raise TypeError(f"metrics must be a non-empty dict of name -> number; got {metrics!r:.80}")
    clean = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"metric names must be lower_snake_case strings; got {name!r}")
        clean[name] = _as_float(name, value)
    floors = floors or {}
    unknown = sorted(set(floors) - set(clean))
    if unknown:
        raise ValueError(f"floors given for metrics that were not reported: {unknown}")
    lines, misses = [], []
    for name, value in clean.items():
        floor = floors.get(name)
        if floor is None:
            status = ""
        else:
            floor = _as_float(f"floor of {name}", floor)
            ok = value >= floor
            status = f"(floor {floor:.4f}: {'ok' if ok else 'BELOW'})"
            if not ok:
                misses.append(f"{name} = {value:.4f} is below its floor {floor:.4f}")
        lines.append(f"{name:<40} {value:>10.4f}  {status}".rstrip())
    print("\n".join(lines))
    s = settings()
    if s.metrics_file is not None:
        _merge_into(s.metrics_file, clean)
    if misses:
        message = "; ".join(misses)
        if s.strict:
            raise MetricFloorError(message)
        print(f"Warning: {message}. The model has not learned what this chapter expects.")
    return clean
