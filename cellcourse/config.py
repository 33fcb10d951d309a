"""Course settings read from the environment, in one place.

Every switch the course reacts to is an environment variable read here and
nowhere else, so a notebook, the command line and the tests agree:

==========================  ==================================================
``CELLCOURSE_QUICK``        ``1`` = quick budget (CI, laptops); default full
``CELLCOURSE_STRICT``       ``1`` = a failed exercise check raises
``CELLCOURSE_DATA_DIR``     where datasets are downloaded and prepared
``CELLCOURSE_DATA_MIRROR``  local directory used instead of the network
``CELLCOURSE_PROGRESS``     file where exercise outcomes are recorded
``CELLCOURSE_METRICS_FILE`` set by ``cellcourse run``: where metrics go
``CELLCOURSE_OUTPUT_DIR``   where runs write outputs (tuner trials, models);
                            ``cellcourse run`` sets the run folder; default
                            ``<data_dir>/outputs``, never the source tree
``KERAS_BACKEND``           ``tensorflow`` (default), ``jax`` or ``torch``
==========================  ==================================================
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "Settings",
    "settings",
    "budget",
    "set_seed",
    "is_quick",
    "is_strict",
    "absolute_path_variables",
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"environment variable {name} must be 1 or 0 (also true/false, yes/no); got {value!r}"
    )


def _default_data_dir() -> Path:
    # pooch knows each platform's cache folder (~/.cache on Linux, ~/Library/Caches on macOS)
    import pooch

    return Path(pooch.os_cache("cellcourse"))


@dataclass(frozen=True)
class Settings:
    """A snapshot of the course settings (see the module docstring).

    Attributes
    ----------
    quick : bool
        Quick budget (``CELLCOURSE_QUICK=1``).
    strict : bool
        Failed checks raise (``CELLCOURSE_STRICT=1``).
    data_dir : pathlib.Path
        Download cache and prepared arrays.
    mirror : pathlib.Path or None
        Local mirror used instead of the network, or None.
    progress_file : pathlib.Path
        Where exercise outcomes are recorded.
    metrics_file : pathlib.Path or None
        Where :func:`cellcourse.report_metrics` writes (set by ``cellcourse run``).
    output_dir : pathlib.Path
        Where a run writes what it makes (tuner trials, saved models):
        ``CELLCOURSE_OUTPUT_DIR`` (``cellcourse run`` sets it to the run
        folder), else ``outputs`` in the data folder.
    backend : str
        The Keras backend that will be used.
    """

    quick: bool
    strict: bool
    data_dir: Path
    mirror: Path | None
    progress_file: Path
    metrics_file: Path | None
    output_dir: Path
    backend: str

    @property
    def mode(self) -> str:
        """``"quick"`` or ``"full"``."""
        return "quick" if self.quick else "full"


def settings() -> Settings:
    """Read the course settings from the environment now.

    Returns
    -------
    Settings
        Read afresh on every call, so a notebook that changes ``os.environ``
        sees the change.

    Examples
    --------
    >>> s = settings()
    >>> s.mode in ("quick", "full")
    True
    """
    data_dir = os.environ.get("CELLCOURSE_DATA_DIR", "").strip()
    mirror = os.environ.get("CELLCOURSE_DATA_MIRROR", "").strip()
    progress = os.environ.get("CELLCOURSE_PROGRESS", "").strip()
    metrics = os.environ.get("CELLCOURSE_METRICS_FILE", "").strip()
    output = os.environ.get("CELLCOURSE_OUTPUT_DIR", "").strip()
    data_path = Path(data_dir).expanduser() if data_dir else _default_data_dir()
    return Settings(
        quick=_flag("CELLCOURSE_QUICK"),
        strict=_flag("CELLCOURSE_STRICT"),
        data_dir=data_path,
        mirror=Path(mirror).expanduser() if mirror else None,
        progress_file=(
            Path(progress).expanduser()
            if progress
            else Path.home() / ".cellcourse" / "progress.json"
        ),
        metrics_file=Path(metrics).expanduser() if metrics else None,
        output_dir=Path(output).expanduser() if output else data_path / "outputs",
        backend=os.environ.get("KERAS_BACKEND", "tensorflow").strip() or "tensorflow",
    )


_PATH_VARIABLES = (
    "CELLCOURSE_DATA_DIR",
    "CELLCOURSE_DATA_MIRROR",
    "CELLCOURSE_PROGRESS",
    "CELLCOURSE_METRICS_FILE",
    "CELLCOURSE_OUTPUT_DIR",
)


def absolute_path_variables(environ=None) -> dict[str, str]:
    """Make the course's path variables absolute, in place.

    Notebooks run in kernels whose working directory is the notebook's folder,
    so ``CELLCOURSE_DATA_MIRROR=../shared/data/mirror`` would point elsewhere
    there. ``cellcourse run`` and the test suite call this before starting
    kernels, resolving such paths against the current directory.

    Parameters
    ----------
    environ : mutable mapping, optional
        Default ``os.environ``.

    Returns
    -------
    dict of str to str
        The variables that were changed, with their new values.
    """
    environ = os.environ if environ is None else environ
    changed = {}
    for name in _PATH_VARIABLES:
        value = environ.get(name, "").strip()
        if value and not Path(value).expanduser().is_absolute():
            changed[name] = environ[name] = str(Path(value).expanduser().resolve())
    return changed


def is_quick() -> bool:
    """True when the quick budget is on (``CELLCOURSE_QUICK=1``)."""
    return settings().quick


def is_strict() -> bool:
    """True when failed checks raise (``CELLCOURSE_STRICT=1``)."""
    return settings().strict


def budget(full, quick):
    """Choose a size for the current budget: the one helper for quick/full.

    Parameters
    ----------
    full : object
        Value in full mode (the real lesson, on a GPU): epochs, images, patches.
    quick : object
        Value in quick mode (CI and laptops; every chapter within 3 minutes).

    Returns
    -------
    object
        ``quick`` when ``CELLCOURSE_QUICK=1``, else ``full``.

    Examples
    --------
    >>> num_epochs = budget(full=40, quick=2)
    """
    return quick if is_quick() else full


def set_seed(seed: int = 0) -> np.random.Generator:
    """Seed Python, NumPy and Keras (and its backend) at once: the one seeding helper.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Returns
    -------
    numpy.random.Generator
        A generator seeded with ``seed``, to pass on as ``rng``.

    Notes
    -----
    Keras is only seeded if it has already been imported, so calling this
    function does not pick a backend behind the learner's back.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seed legacy code that learners may paste
    import sys

    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
    return np.random.default_rng(seed)
