"""The cache of prepared arrays: one ``.npz`` file per dataset, written atomically.

A loader prepares its arrays once from the verified raw files (see
:mod:`cellcourse.download`) and keeps them under ``<data_dir>/prepared/``. The file name
carries a version number, so a change in how a dataset is prepared builds a new cache
instead of reading a stale one. A file that cannot be read back (cut short, damaged) is
deleted and prepared again from the raw files; a preparation that fails writes nothing.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .download import data_dir

__all__ = ["cached_arrays", "load_arrays", "prepared_path", "save_arrays"]


def prepared_path(name: str, version: int, variant: str = "") -> Path:
    """Where the prepared arrays of a dataset are cached.

    Parameters
    ----------
    name : str
        Dataset name, e.g. ``"bbbc039_nuclei"``; letters, digits, ``_`` and ``-`` only.
    version : int
        Version of the preparation (≥ 1); bump it when the preparation changes.
    variant : str
        Optional suffix for one of several preparations of the same files, e.g. ``"s64"``.

    Returns
    -------
    pathlib.Path
        ``<data_dir>/prepared/<name>-v<version>[-<variant>].npz``.

    Examples
    --------
    >>> prepared_path("bbbc039_nuclei", 1).name
    'bbbc039_nuclei-v1.npz'
    >>> prepared_path("bccd_blood_cells", 1, "s64").name
    'bccd_blood_cells-v1-s64.npz'
    """
    for what, text in (("name", name), ("variant", variant)):
        if not isinstance(text, str) or not all(c.isalnum() or c in "_-" for c in text):
            raise ValueError(f"{what} must be letters, digits, '_' or '-'; got {text!r}")
    if not name:
        raise ValueError("name must not be empty")
    if isinstance(version, bool) or not isinstance(version, int | np.integer) or version < 1:
        raise ValueError(f"version must be an integer >= 1; got {version!r}")
    suffix = f"-{variant}" if variant else ""
    return data_dir() / "prepared" / f"{name}-v{int(version)}{suffix}.npz"


def save_arrays(path, **arrays) -> None:
    """Write arrays to ``path`` as ``.npz``, all or nothing.

    The file is written next to its destination under a temporary name and renamed at
    the end, so an interrupted write never leaves a partial cache behind.

    Parameters
    ----------
    path : str or pathlib.Path
        Destination ``.npz`` file; its folder is created if needed.
    **arrays : array_like
        The arrays, by name; no object arrays (they would need pickles to load).
    """
    path = Path(path)
    if not arrays:
        raise ValueError(f"expected at least one array to save to {path}; got none")
    for key, value in arrays.items():
        if np.asarray(value).dtype == object:
            raise TypeError(
                f"array {key!r} has dtype object, which would need pickles to load; convert it "
                "first (e.g. strings with .astype(str))"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_arrays(path) -> dict[str, np.ndarray] | None:
    """The arrays cached in ``path``; None if there is no file or it cannot be read.

    A damaged file is deleted, so the next call prepares it again from the verified
    raw files. Pickled objects are refused (``allow_pickle=False``).
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        # open the file ourselves so it is closed even when np.load rejects it
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        path.unlink(missing_ok=True)
        return None


def cached_arrays(path, prepare: Callable[[], dict]) -> dict[str, np.ndarray]:
    """The arrays in ``path``, prepared by ``prepare()`` and saved there the first time.

    Parameters
    ----------
    path : str or pathlib.Path
        The cache file, usually from :func:`prepared_path`.
    prepare : callable
        Called with no arguments when the cache is missing or damaged; returns a dict of
        arrays. If it raises, nothing is written.

    Returns
    -------
    dict of str to ndarray
    """
    if not callable(prepare):
        raise TypeError(f"prepare must be a function returning a dict of arrays; got {prepare!r}")
    arrays = load_arrays(path)
    if arrays is None:
        arrays = prepare()
        if not isinstance(arrays, dict):
            raise TypeError(f"prepare() must return a dict of arrays; got {type(arrays).__name__}")
        save_arrays(path, **arrays)
    return arrays
