"""Cell tracking: detections, linking and track tables (chapter 09).

Tracking continues from label images. The pipeline is

1. :func:`detect`: one row per object per frame (``frame, label, y, x, area``)
   from a label time-lapse;
2. :func:`link`: join the detections into tracks by linear assignment
   (Jaqaman et al. 2008): frame to frame first, then gap closing and
   divisions; or :func:`link_by_overlap` for dense label images;
3. a *track table*: the detections with ``track_id`` and ``parent_id``
   columns, and a *lineage table* (``track_id, start, end, parent_id``), which
   is the content of a Cell Tracking Challenge (CTC) ``res_track.txt``;
4. :func:`to_ctc`, :func:`write_ctc_result` and :func:`read_ctc`: the CTC
   result format, read by the challenge's evaluation software and by
   :mod:`cellcourse.metrics.tracking`.

Conventions of every track table here, those of the CTC:

- ``track_id`` runs from 1; a track is one cell between two events, present
  in every frame from its ``start`` to its ``end`` (inclusive).
- A division ends the mother track; each daughter is a new track whose
  ``parent_id`` is the mother. ``parent_id`` 0 means no parent.
- A gap closed over missing frames also starts a new track, with the track
  before the gap as its parent (a parent with a single daughter). This is how
  the CTC stores gaps, and how the ground truth of the course data does.
- Frames are 0-based integers; positions are in pixels, ``y`` down the rows
  and ``x`` along the columns (scikit-image's ``centroid`` order).

References
----------
.. [1] Jaqaman, K. et al. (2008). Robust single-particle tracking in live-cell
   time-lapse sequences. Nat Methods 5, 695-702. :doi:`10.1038/nmeth.1237`
.. [2] Ulman, V. et al. (2017). An objective comparison of cell-tracking
   algorithms. Nat Methods 14, 1141-1152. :doi:`10.1038/nmeth.4473`
.. [3] Fukai, Y. T. & Kawaguchi, K. (2023). LapTrack: linear assignment particle
   tracking with tunable metrics. Bioinformatics 39, btac799.
   :doi:`10.1093/bioinformatics/btac799`
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = [
    "CtcData",
    "LinkResult",
    "detect",
    "lineage_from_tracks",
    "link",
    "link_by_overlap",
    "read_ctc",
    "to_ctc",
    "write_ctc_result",
]

_LINEAGE_COLUMNS = ["track_id", "start", "end", "parent_id"]
_DETECTION_COLUMNS = ["frame", "label", "y", "x", "area"]
_CTC_MAX_ID = np.iinfo(np.uint16).max  # CTC label images are 16-bit


class LinkResult(NamedTuple):
    """What :func:`link` and :func:`link_by_overlap` return.

    Attributes
    ----------
    tracks : pandas.DataFrame
        The detections, in their input order and with their index, plus
        ``track_id`` and ``parent_id`` (int64; ``parent_id`` 0 = none).
    lineage : pandas.DataFrame
        One row per track, columns ``track_id, start, end, parent_id``: the
        content of a CTC ``res_track.txt``.
    """

    tracks: pd.DataFrame
    lineage: pd.DataFrame


class CtcData(NamedTuple):
    """A sequence in the Cell Tracking Challenge format (returned by :func:`read_ctc`).

    Attributes
    ----------
    labels : (T, Y, X) ndarray of uint16
        Pixel value = track id, 0 = background.
    tracks : pandas.DataFrame
        ``frame, label, y, x, area, track_id, parent_id``, one row per object
        per frame; ``label`` equals ``track_id``.
    lineage : pandas.DataFrame
        ``track_id, start, end, parent_id`` as in the track file.
    """

    labels: np.ndarray
    tracks: pd.DataFrame
    lineage: pd.DataFrame


# --- input checks -----------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_real(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _check_positive(value, name: str) -> float:
    if not _is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return float(value)


def _check_nonnegative(value, name: str) -> float:
    if not _is_real(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _check_label_stack(labels, name: str = "labels") -> np.ndarray:
    if not isinstance(labels, np.ndarray):
        raise TypeError(f"{name} must be a numpy array (T, Y, X); got {type(labels).__name__}")
    if labels.ndim != 3:
        hint = " (add a time axis with labels[np.newaxis])" if labels.ndim == 2 else ""
        raise ValueError(f"expected {name} of shape (T, Y, X), got {labels.shape}{hint}")
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"{name} must be an integer array with 0 as background; got dtype={labels.dtype}"
        )
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name} must not hold negative values; got minimum {labels.min()}")
    return labels


def _check_frames(table: pd.DataFrame, name: str) -> np.ndarray:
    """The ``frame`` column as int64: integers >= 0 (floats are accepted if whole)."""
    column = table["frame"]
    if len(column) == 0:
        return np.zeros(0, dtype=np.int64)  # an empty table may have object columns
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        raise ValueError(f"{name}['frame'] must hold integers; got dtype {column.dtype}")
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        k = np.flatnonzero(bad)[0]
        raise ValueError(
            f"{name}['frame'] must hold whole numbers; got {column.iloc[k]} in row "
            f"{table.index[k]!r} ({int(bad.sum())} such rows)"
        )
    if (values < 0).any():
        k = np.flatnonzero(values < 0)[0]
        raise ValueError(
            f"{name}['frame'] must be >= 0 (frames are 0-based); got {column.iloc[k]} "
            f"in row {table.index[k]!r}"
        )
    return values.astype(np.int64)


def _check_positions(table: pd.DataFrame, columns: list[str], name: str) -> np.ndarray:
    if len(table) == 0:
        return np.zeros((0, len(columns)), dtype=np.float64)
    for col in columns:
        if pd.api.types.is_bool_dtype(table[col]) or not pd.api.types.is_numeric_dtype(table[col]):
            raise ValueError(f"{name}[{col!r}] must hold numbers; got dtype {table[col].dtype}")
    positions = table[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(positions).all(axis=1)
    if bad.any():
        k = np.flatnonzero(bad)[0]
        raise ValueError(
            f"{name} has a missing (NaN) or infinite position in {columns} in "
            f"{int(bad.sum())} row(s), e.g. row {table.index[k]!r}: {positions[k].tolist()}; "
            "drop or fix them first"
        )
    return positions


def _check_table(table, columns: list[str], name: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame; got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(
            f"{name} must have the columns {columns}; missing {missing}, "
            f"got columns {list(table.columns)}"
        )
    return table


def _check_unique(table: pd.DataFrame, keys: list[str], name: str) -> None:
    duplicated = table.duplicated(keys, keep=False)
    if duplicated.any():
        first = table.loc[duplicated, keys].iloc[0].tolist()
        raise ValueError(
            f"{name} must have one row per {tuple(keys)}; {int(duplicated.sum())} rows share "
            f"a key, e.g. {dict(zip(keys, first, strict=True))}"
        )


def _check_coordinates(coordinates) -> list[str]:
    if (
        not isinstance(coordinates, tuple | list)
        or not 1 <= len(coordinates) <= 3
        or not all(isinstance(c, str) for c in coordinates)
        or len(set(coordinates)) != len(coordinates)
    ):
        raise ValueError(
            f"coordinates must be 1 to 3 distinct column names such as ('y', 'x'); "
            f"got {coordinates!r}"
        )
    return list(coordinates)


# --- the linear assignment problem ------------------------------------------------------
def _solve_assignment(rows, cols, costs, row_alternative, col_alternative):
    """Solve a gated linear assignment problem with "no link" alternatives.

    ``rows``/``cols``/``costs`` list the allowed links (row i to column j at a
    cost); ``row_alternative[i]`` is the cost of leaving row i unlinked (a
    track end) and ``col_alternative[j]`` that of leaving column j unlinked (a
    track start). The problem is the augmented cost matrix of Jaqaman et al.
    (2008)::

        [ links (k x m)         | diag(row_alternative) (k x k) ]
        [ diag(col_alt) (m x m) | auxiliary block, 0    (m x k) ]

    whose optimal assignment minimises the sum of the chosen link costs plus
    the alternatives of everything left unlinked. The auxiliary block lets the
    dummy rows and columns pair up at no cost once a real link is made.

    The matrix is only ever built for one connected component of the graph of
    allowed links at a time: rows and columns that cannot compete for a link
    cannot change each other's assignment, so the components are independent
    problems. With a distance gate the components are small, which keeps this
    fast where one dense (n + m)^2 matrix per frame would not be. A component
    with a single allowed link needs no solver at all.

    Returns
    -------
    (rows, cols) : two int64 arrays of the chosen links.
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    costs = np.asarray(costs, dtype=np.float64)
    if rows.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    n_rows, n_cols = len(row_alternative), len(col_alternative)
    graph = coo_matrix(
        (np.ones(rows.size), (rows, n_rows + cols)), shape=(n_rows + n_cols, n_rows + n_cols)
    )
    _, component = connected_components(graph, directed=False)
    edge_component = component[rows]
    order = np.argsort(edge_component, kind="stable")
    rows, cols, costs, edge_component = (
        rows[order],
        cols[order],
        costs[order],
        edge_component[order],
    )
    bounds = np.flatnonzero(np.diff(edge_component)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [rows.size]])
    single = stops - starts == 1

    # one allowed link and nothing competing for it: take it if it is cheaper than both
    # alternatives together
    s = starts[single]
    take = costs[s] < row_alternative[rows[s]] + col_alternative[cols[s]]
    chosen_rows, chosen_cols = [rows[s][take]], [cols[s][take]]
    for start, stop in zip(starts[~single], stops[~single], strict=True):
        row_ids, r = np.unique(rows[start:stop], return_inverse=True)
        col_ids, c = np.unique(cols[start:stop], return_inverse=True)
        k, m = row_ids.size, col_ids.size
        matrix = np.full((k + m, m + k), np.inf)
        matrix[r, c] = costs[start:stop]
        matrix[np.arange(k), m + np.arange(k)] = row_alternative[row_ids]
        matrix[k + np.arange(m), np.arange(m)] = col_alternative[col_ids]
        matrix[k:, m:] = 0.0
        assigned_rows, assigned_cols = linear_sum_assignment(matrix)
        real = (assigned_rows < k) & (assigned_cols < m)
        chosen_rows.append(row_ids[assigned_rows[real]])
        chosen_cols.append(col_ids[assigned_cols[real]])
    return np.concatenate(chosen_rows), np.concatenate(chosen_cols)


def _pairs_within(a: np.ndarray, b: np.ndarray, max_distance: float):
    """All pairs (i, j) with ``|a[i] - b[j]| <= max_distance`` and their distances."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    found = cKDTree(a).sparse_distance_matrix(cKDTree(b), max_distance, output_type="ndarray")
    return found["i"].astype(np.int64), found["j"].astype(np.int64), found["v"]


def _frame_ranges(frames_sorted: np.ndarray) -> dict[int, tuple[int, int]]:
    """``{frame: (first, stop)}`` for the rows of each frame of a frame-sorted array."""
    if frames_sorted.size == 0:
        return {}
    values, first = np.unique(frames_sorted, return_index=True)
    stops = np.concatenate([first[1:], [frames_sorted.size]])
    return {int(v): (int(a), int(b)) for v, a, b in zip(values, first, stops, strict=True)}


def _assign_tracks(frames: np.ndarray, links: list[tuple[np.ndarray, np.ndarray]]):
    """Track and parent ids from the links between detections (CTC conventions).

    ``frames`` must be sorted. A detection continues the track of its
    predecessor when that predecessor is in the previous frame and has no
    other successor; otherwise it starts a new track whose parent is the
    predecessor's track (a division, or a closed gap).
    """
    n = frames.size
    predecessor = np.full(n, -1, dtype=np.int64)
    n_successors = np.zeros(n, dtype=np.int64)
    for source, target in links:
        predecessor[target] = source
        np.add.at(n_successors, source, 1)
    track = np.zeros(n, dtype=np.int64)
    parent_of_track = [0]  # index = track id
    for _, (a, b) in sorted(_frame_ranges(frames).items()):
        idx = np.arange(a, b)
        pred = predecessor[idx]
        has = pred >= 0
        safe = np.where(has, pred, 0)
        cont = has & (n_successors[safe] == 1) & (frames[safe] == frames[idx] - 1)
        track[idx[cont]] = track[pred[cont]]
        new = ~cont
        first_id = len(parent_of_track)
        track[idx[new]] = np.arange(first_id, first_id + int(new.sum()))
        parent_of_track.extend(np.where(has[new], track[safe[new]], 0).tolist())
    parent_of_track = np.asarray(parent_of_track, dtype=np.int64)
    return track, parent_of_track[track]


def _lineage(frames: np.ndarray, track: np.ndarray, parent: np.ndarray) -> pd.DataFrame:
    if track.size == 0:
        return pd.DataFrame({c: np.zeros(0, np.int64) for c in _LINEAGE_COLUMNS})
    table = pd.DataFrame({"track_id": track, "frame": frames, "parent_id": parent})
    grouped = table.groupby("track_id", sort=True)
    lineage = pd.DataFrame(
        {
            "track_id": grouped["frame"].min().index.to_numpy(np.int64),
            "start": grouped["frame"].min().to_numpy(np.int64),
            "end": grouped["frame"].max().to_numpy(np.int64),
            "parent_id": grouped["parent_id"].first().to_numpy(np.int64),
        }
    )
    return lineage


def _result(detections, order, track_sorted, parent_sorted, frames_sorted) -> LinkResult:
    track = np.empty_like(track_sorted)
    parent = np.empty_like(parent_sorted)
    track[order] = track_sorted
    parent[order] = parent_sorted
    tracks = detections.drop(columns=["track_id", "parent_id"], errors="ignore").copy()
    tracks["track_id"] = track
    tracks["parent_id"] = parent
    return LinkResult(tracks, _lineage(frames_sorted, track_sorted, parent_sorted))


# --- detection --------------------------------------------------------------------------
def detect(labels, image=None) -> pd.DataFrame:
    """One row per object per frame of a label time-lapse.

    Parameters
    ----------
    labels : (T, Y, X) ndarray of int
        Instance labels per frame, 0 = background. Label values need not agree
        between frames.
    image : (T, Y, X) ndarray, optional
        Intensities; adds a ``mean_intensity`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``frame, label, y, x, area`` (and ``mean_intensity``): the
        frame index, the object's value in that frame, its centroid in pixels
        (``y`` = row, ``x`` = column) and its area in pixels. Sorted by frame,
        then label. Frames without objects simply have no rows.

    Raises
    ------
    TypeError, ValueError
        If ``labels`` is not an integer (T, Y, X) array without negative
        values, or ``image`` does not have its shape.

    Notes
    -----
    Uses :func:`skimage.measure.regionprops_table` frame by frame. See chapter 09.

    Examples
    --------
    >>> labels = np.zeros((2, 5, 5), dtype=np.int32)
    >>> labels[0, 1:3, 1:3] = 1
    >>> labels[1, 2:4, 2:4] = 7
    >>> detect(labels)[["frame", "label", "y", "x", "area"]].to_numpy().tolist()
    [[0.0, 1.0, 1.5, 1.5, 4.0], [1.0, 7.0, 2.5, 2.5, 4.0]]
    """
    from skimage.measure import regionprops_table

    labels = _check_label_stack(labels)
    if image is not None:
        if not isinstance(image, np.ndarray):
            raise TypeError(f"image must be a numpy array (T, Y, X); got {type(image).__name__}")
        if image.shape != labels.shape:
            raise ValueError(
                f"expected image of the same shape as labels {labels.shape} (T, Y, X), "
                f"got {image.shape}"
            )
        if image.dtype.kind not in "uif":
            raise ValueError(f"image must hold numbers; got dtype={image.dtype}")
    properties = ("label", "centroid", "area") + (("intensity_mean",) if image is not None else ())
    parts = []
    for t in range(labels.shape[0]):
        props = regionprops_table(
            labels[t], None if image is None else image[t], properties=properties
        )
        part = {
            "frame": np.full(props["label"].size, t, dtype=np.int64),
            "label": props["label"].astype(np.int64),
            "y": props["centroid-0"].astype(np.float64),
            "x": props["centroid-1"].astype(np.float64),
            "area": props["area"].astype(np.int64),
        }
        if image is not None:
            part["mean_intensity"] = props["intensity_mean"].astype(np.float64)
        parts.append(pd.DataFrame(part))
    columns = _DETECTION_COLUMNS + (["mean_intensity"] if image is not None else [])
    if not parts:
        return pd.DataFrame(
            {c: np.zeros(0, np.float64 if c in "yx" else np.int64) for c in columns}
        )
    return pd.concat(parts, ignore_index=True)[columns]


# --- linking ----------------------------------------------------------------------------
def link(
    detections,
    max_distance,
    birth_cost=None,
    death_cost=None,
    max_gap=0,
    gap_cost=0.0,
    divisions=False,
    division_cost=0.0,
    coordinates=("y", "x"),
) -> LinkResult:
    """Link detections into tracks by linear assignment (Jaqaman et al. 2008).

    Two rounds of the linear assignment problem (LAP), each solved exactly with
    :func:`scipy.optimize.linear_sum_assignment`:

    1. **Frame to frame.** Every detection in frame t may link to one
       detection in frame t + 1 no further than ``max_distance`` away, at a
       cost of the squared distance. Leaving a detection of frame t unlinked
       (its track ends) costs ``death_cost``; leaving one of frame t + 1
       unlinked (a track starts) costs ``birth_cost``. The LAP picks the links
       with the smallest total cost, so a pair links when it is cheaper than
       ``death_cost + birth_cost`` and nothing nearer competes for it.
    2. **Segments** (only with ``max_gap > 0`` or ``divisions=True``). The
       track pieces of round 1 are joined in one more LAP:

       - *gap closing*: the end of a piece links to the start of another piece
         after 1 to ``max_gap`` frames without it (missed detections), within
         ``max_distance``, at a cost of the squared distance plus ``gap_cost``
         per missing frame; the alternatives cost ``death_cost`` (the end
         stays an end) and ``birth_cost`` (the start stays a start);
       - *division* (splitting): the start of a piece in frame t + 1 links to
         a detection in the *middle* of another piece in frame t (a mother
         whose track goes on), within ``max_distance``, at a cost of the
         squared distance plus ``division_cost``. Where that happens, the
         mother track ends at t and both pieces after it become daughters.

    Parameters
    ----------
    detections : pandas.DataFrame
        One row per detection, with an integer ``frame`` column (0-based) and
        the ``coordinates`` columns, in pixels. Rows may come in any order. If
        a ``label`` column is present, (frame, label) must be unique. Existing
        ``track_id``/``parent_id`` columns are replaced.
    max_distance : float
        Largest distance, in pixels, a cell may move between two frames (and
        across a closed gap). Set it from the data: a little more than the
        typical step, less than the typical distance between neighbours.
    birth_cost, death_cost : float, optional
        Cost of starting and ending a track. Default ``max_distance ** 2``, so
        that any allowed link is cheaper than leaving both ends unlinked.
    max_gap : int
        Largest number of consecutive frames in which a cell may be missed
        (0 = no gap closing).
    gap_cost : float
        Extra cost per missing frame of a closed gap (>= 0); larger values
        prefer shorter gaps.
    divisions : bool
        Look for divisions.
    division_cost : float
        Extra cost of a division (>= 0). A division is made when the squared
        distance plus this cost is below ``birth_cost``.
    coordinates : tuple of str
        Position columns, ``("y", "x")`` by default (``("z", "y", "x")`` in 3-D).

    Returns
    -------
    LinkResult
        ``tracks``: the detections in their input order and with their index,
        plus int64 ``track_id`` (1, 2, ...) and ``parent_id`` (0 = none);
        ``lineage``: ``track_id, start, end, parent_id``, one row per track
        (the content of a CTC ``res_track.txt``). Track ids are numbered in
        order of their first frame.

    Raises
    ------
    TypeError, ValueError
        On a missing column, a NaN or infinite position, a negative or
        fractional frame, a duplicate (frame, label), or a bad parameter.

    Notes
    -----
    Empty frames are allowed: nothing links across them in round 1, and gap
    closing (``max_gap >= 1``) bridges them. An empty table gives empty
    results; a single detection gives a single one-frame track.

    Gap-closed tracks follow the Cell Tracking Challenge convention: the part
    after the gap is a new track whose ``parent_id`` is the part before it
    (a parent with one daughter). Count divisions as parents with two or more
    daughters.

    Candidate links are found with a k-d tree (:class:`scipy.spatial.cKDTree`)
    within ``max_distance``, and each LAP is solved per connected group of
    competing detections, so a few hundred detections per frame link in
    milliseconds per frame. See chapter 09.

    References
    ----------
    .. [1] Jaqaman, K. et al. (2008). Robust single-particle tracking in
       live-cell time-lapse sequences. Nat Methods 5, 695-702.
       :doi:`10.1038/nmeth.1237`

    Examples
    --------
    Two cells moving right; the first one is missed in frame 2:

    >>> detections = pd.DataFrame({
    ...     "frame": [0, 0, 1, 1, 2, 3, 3],
    ...     "y": [10.0, 50.0, 10.0, 50.0, 50.0, 10.0, 50.0],
    ...     "x": [10.0, 10.0, 12.0, 12.0, 14.0, 16.0, 16.0],
    ... })
    >>> tracks, lineage = link(detections, max_distance=5)
    >>> tracks["track_id"].tolist()
    [1, 2, 1, 2, 2, 3, 2]
    >>> tracks, lineage = link(detections, max_distance=5, max_gap=1)
    >>> lineage.to_numpy().tolist()  # track 3 continues track 1 after the gap
    [[1, 0, 1, 0], [2, 0, 3, 0], [3, 3, 3, 1]]
    """
    columns = _check_coordinates(coordinates)
    table = _check_table(detections, ["frame", *columns], "detections")
    frames = _check_frames(table, "detections")
    positions = _check_positions(table, columns, "detections")
    if "label" in table.columns:
        _check_unique(table, ["frame", "label"], "detections")
    max_distance = _check_positive(max_distance, "max_distance")
    birth = max_distance**2 if birth_cost is None else _check_nonnegative(birth_cost, "birth_cost")
    death = max_distance**2 if death_cost is None else _check_nonnegative(death_cost, "death_cost")
    if not _is_int(max_gap) or max_gap < 0:
        raise ValueError(f"max_gap must be an integer >= 0 (frames); got {max_gap!r}")
    gap_cost = _check_nonnegative(gap_cost, "gap_cost")
    divisions = _check_bool(divisions, "divisions")
    division_cost = _check_nonnegative(division_cost, "division_cost")

    order = np.argsort(frames, kind="stable")
    frames_sorted, points = frames[order], positions[order]
    n = frames_sorted.size
    ranges = _frame_ranges(frames_sorted)

    # round 1: frame to frame
    successor = np.full(n, -1, dtype=np.int64)
    for frame, (a, b) in ranges.items():
        if frame + 1 not in ranges:
            continue
        c, d = ranges[frame + 1]
        i, j, distance = _pairs_within(points[a:b], points[c:d], max_distance)
        i, j = _solve_assignment(i, j, distance**2, np.full(b - a, death), np.full(d - c, birth))
        successor[a + i] = c + j
    links = [(np.flatnonzero(successor >= 0), successor[successor >= 0])]

    # round 2: gap closing and divisions between the pieces of round 1
    if max_gap > 0 or divisions:
        has_predecessor = np.zeros(n, dtype=bool)
        has_predecessor[successor[successor >= 0]] = True
        is_end = successor < 0
        rows, cols, costs = [], [], []
        for frame, (a, b) in ranges.items():
            starts = a + np.flatnonzero(~has_predecessor[a:b])
            if starts.size == 0:
                continue
            for gap in range(1, max_gap + 1):
                if frame - gap - 1 not in ranges:
                    continue
                c, d = ranges[frame - gap - 1]
                ends = c + np.flatnonzero(is_end[c:d])
                i, j, distance = _pairs_within(points[ends], points[starts], max_distance)
                rows.append(ends[i])
                cols.append(starts[j])
                costs.append(distance**2 + gap_cost * gap)
            if divisions and frame - 1 in ranges:
                c, d = ranges[frame - 1]
                middles = c + np.flatnonzero(~is_end[c:d])
                i, j, distance = _pairs_within(points[middles], points[starts], max_distance)
                rows.append(middles[i])
                cols.append(starts[j])
                costs.append(distance**2 + division_cost)
        if rows:
            rows, cols, costs = np.concatenate(rows), np.concatenate(cols), np.concatenate(costs)
            # an end left unlinked dies; a middle left unlinked simply does not divide
            row_alternative = np.where(is_end, death, 0.0)
            col_alternative = np.full(n, birth)
            source, target = _solve_assignment(rows, cols, costs, row_alternative, col_alternative)
            links.append((source, target))

    track, parent = _assign_tracks(frames_sorted, links)
    return _result(table, order, track, parent, frames_sorted)


def _overlaps(before: np.ndarray, after: np.ndarray):
    """Pixel counts of every pair of overlapping objects of two label images."""
    both = (before > 0) & (after > 0)
    a = before[both].astype(np.int64)
    b = after[both].astype(np.int64)
    if a.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    base = int(b.max()) + 1
    if int(a.max()) < np.iinfo(np.int64).max // base:
        # one integer key per pair of values: much faster than unique rows
        keys, counts = np.unique(a * base + b, return_counts=True)
        return keys // base, keys % base, counts
    pairs, counts = np.unique(np.stack([a, b]), axis=1, return_counts=True)
    return pairs[0], pairs[1], counts


def link_by_overlap(labels, min_iou=0.3, divisions=False, min_overlap=0.3) -> LinkResult:
    """Link the objects of a label time-lapse frame to frame by their overlap.

    For every pair of consecutive frames, the intersection over union (IoU)
    of every object in frame t with every object in frame t + 1 is computed;
    pairs with ``IoU >= min_iou`` are candidates, and the pairing with the
    largest total IoU is chosen by linear assignment
    (:func:`scipy.optimize.linear_sum_assignment`). This suits dense
    segmentations of cells that move less than their size between frames.

    With ``divisions=True``, an object of frame t + 1 that starts a track but
    lies largely (at least ``min_overlap`` of its pixels) on one object of frame
    t becomes its daughter; the mother then ends at t and its continuation, if
    it had one, becomes the second daughter. A mother needs at least two
    daughters; a lone candidate stays a track of its own.

    Parameters
    ----------
    labels : (T, Y, X) ndarray of int
        Instance labels per frame, 0 = background; values need not agree
        between frames.
    min_iou : float
        Smallest IoU, in (0, 1], for a link.
    divisions : bool
        Look for divisions.
    min_overlap : float
        Fraction, in (0, 1], of a new object's pixels that must lie on its
        mother in the previous frame.

    Returns
    -------
    LinkResult
        ``tracks``: :func:`detect` of ``labels`` plus ``track_id`` and
        ``parent_id``; ``lineage``: ``track_id, start, end, parent_id``.
        Same conventions as :func:`link`.

    Raises
    ------
    TypeError, ValueError
        If ``labels`` is not an integer (T, Y, X) array, or a parameter is out
        of range.

    Notes
    -----
    See chapter 09; the LapTrack documentation's ``overlap_tracking`` example
    does the same with laptrack.

    Examples
    --------
    >>> labels = np.zeros((3, 6, 8), dtype=np.int32)
    >>> labels[0, 1:4, 1:4] = 1
    >>> labels[1, 1:4, 2:5] = 5   # the same cell, moved one pixel right
    >>> labels[2, 1:4, 3:6] = 2
    >>> tracks, lineage = link_by_overlap(labels)
    >>> tracks["track_id"].tolist(), lineage.to_numpy().tolist()
    ([1, 1, 1], [[1, 0, 2, 0]])
    """
    labels = _check_label_stack(labels)
    if not _is_real(min_iou) or not 0 < min_iou <= 1:
        raise ValueError(f"min_iou must be a number in (0, 1]; got {min_iou!r}")
    divisions = _check_bool(divisions, "divisions")
    if not _is_real(min_overlap) or not 0 < min_overlap <= 1:
        raise ValueError(f"min_overlap must be a number in (0, 1]; got {min_overlap!r}")
    table = detect(labels)
    frames = table["frame"].to_numpy()
    area = table["area"].to_numpy(np.float64)
    ranges = _frame_ranges(frames)
    sources, targets = [], []
    for frame, (a, b) in ranges.items():
        if frame + 1 not in ranges:
            continue
        c, d = ranges[frame + 1]
        before_ids, after_ids, inter = _overlaps(labels[frame], labels[frame + 1])
        # rows of the detection table: labels are sorted within a frame
        i = np.searchsorted(table["label"].to_numpy()[a:b], before_ids)
        j = np.searchsorted(table["label"].to_numpy()[c:d], after_ids)
        iou = inter / (area[a + i] + area[c + j] - inter)
        keep = iou >= min_iou
        # maximise the total IoU: cost 1 - IoU per link against 1/2 + 1/2 for no link
        li, lj = _solve_assignment(
            i[keep], j[keep], 1.0 - iou[keep], np.full(b - a, 0.5), np.full(d - c, 0.5)
        )
        sources.append(a + li)
        targets.append(c + lj)
        if divisions:
            linked = np.zeros(d - c, dtype=bool)
            linked[lj] = True
            # the object of frame t holding most of each new object's pixels
            best = pd.DataFrame({"i": i, "j": j, "inter": inter}).sort_values(
                ["j", "inter"], ascending=[True, False], kind="stable"
            )
            best = best.drop_duplicates("j")
            best = best[~linked[best["j"].to_numpy()]]
            best = best[best["inter"].to_numpy() >= min_overlap * area[c + best["j"].to_numpy()]]
            continuation = dict(zip(li.tolist(), lj.tolist(), strict=True))
            for mother, group in best.groupby("i"):
                daughters = group["j"].tolist()
                if mother in continuation:
                    daughters.append(continuation[mother])
                if len(daughters) < 2:
                    continue
                # the continuation is already linked; with two successors the mother's
                # track ends and both become daughters (see _assign_tracks)
                new = group["j"].to_numpy(np.int64)
                sources.append(np.full(new.size, a + int(mother), dtype=np.int64))
                targets.append(c + new)
    links = [(np.concatenate(sources), np.concatenate(targets))] if sources else []
    track, parent = _assign_tracks(frames, links)
    order = np.arange(frames.size)
    return _result(table, order, track, parent, frames)


# --- track tables and the Cell Tracking Challenge format ----------------------------------
def _check_tracks(tracks, columns: list[str], name: str = "tracks") -> pd.DataFrame:
    table = _check_table(tracks, ["frame", "track_id", "parent_id", *columns], name)
    _check_frames(table, name)
    for col in ("track_id", "parent_id"):
        if not pd.api.types.is_integer_dtype(table[col]):
            raise ValueError(f"{name}[{col!r}] must hold integers; got dtype {table[col].dtype}")
    if (table["track_id"] < 1).any():
        raise ValueError(f"{name}['track_id'] must be >= 1; got {table['track_id'].min()}")
    if (table["parent_id"] < 0).any():
        raise ValueError(
            f"{name}['parent_id'] must be >= 0 (0 = no parent); got {table['parent_id'].min()}"
        )
    _check_unique(table, ["frame", "track_id"], name)
    return table


def lineage_from_tracks(tracks) -> pd.DataFrame:
    """The lineage table (CTC ``res_track.txt`` content) of a track table.

    Parameters
    ----------
    tracks : pandas.DataFrame
        Columns ``frame, track_id, parent_id``; ``parent_id`` must be the same
        on every row of a track.

    Returns
    -------
    pandas.DataFrame
        ``track_id, start, end, parent_id`` (int64), one row per track, sorted
        by ``track_id``; ``start`` and ``end`` are the first and last frame.

    Raises
    ------
    TypeError, ValueError
        On missing columns, a (frame, track_id) seen twice, a track whose rows
        disagree on ``parent_id``, an unknown parent, or a parent that does
        not end before its daughter starts.

    Examples
    --------
    >>> tracks = pd.DataFrame({"frame": [0, 1, 2, 2], "track_id": [1, 1, 2, 3],
    ...                        "parent_id": [0, 0, 1, 1]})
    >>> lineage_from_tracks(tracks).to_numpy().tolist()
    [[1, 0, 1, 0], [2, 2, 2, 1], [3, 2, 2, 1]]
    """
    table = _check_tracks(tracks, [])
    parents = table.groupby("track_id")["parent_id"].nunique()
    if (parents > 1).any():
        bad = int(parents.index[parents > 1][0])
        raise ValueError(
            f"every row of a track must have the same parent_id; track {bad} has "
            f"{sorted(table.loc[table['track_id'] == bad, 'parent_id'].unique().tolist())}"
        )
    lineage = _lineage(
        _check_frames(table, "tracks"),
        table["track_id"].to_numpy(np.int64),
        table["parent_id"].to_numpy(np.int64),
    )
    _check_lineage(lineage)
    return lineage


def _check_lineage(lineage: pd.DataFrame) -> None:
    ends = dict(zip(lineage["track_id"].tolist(), lineage["end"].tolist(), strict=True))
    for tid, start, parent in lineage[["track_id", "start", "parent_id"]].itertuples(index=False):
        if parent == 0:
            continue
        if parent not in ends:
            raise ValueError(f"track {tid} has parent_id {parent}, which is not a track")
        if ends[parent] >= start:
            raise ValueError(
                f"a parent must end before its daughter starts; track {tid} starts at frame "
                f"{start} but its parent {parent} ends at frame {ends[parent]}"
            )


def _ctc_lineage(tracks: pd.DataFrame) -> pd.DataFrame:
    """Lineage of a track table, refusing gaps (the CTC wants a new track after a gap)."""
    lineage = lineage_from_tracks(tracks)
    counts = tracks.groupby("track_id").size().to_numpy()
    span = (lineage["end"] - lineage["start"] + 1).to_numpy()
    if (counts != span).any():
        tid = int(lineage["track_id"].to_numpy()[np.flatnonzero(counts != span)[0]])
        frames = sorted(tracks.loc[tracks["track_id"] == tid, "frame"].tolist())
        raise ValueError(
            f"track {tid} has a gap (frames {frames}); the CTC format needs a track present "
            "in every frame from start to end: give the part after the gap a new track_id "
            f"with parent_id {tid} (link() does this)"
        )
    if lineage["track_id"].max() > _CTC_MAX_ID:
        raise ValueError(
            f"CTC label images are 16-bit: track ids must be <= {_CTC_MAX_ID}; "
            f"got {lineage['track_id'].max()}"
        )
    return lineage


def _check_shape(shape, n_frames: int) -> tuple[int, int, int]:
    if not isinstance(shape, tuple | list) or not all(_is_int(s) and s > 0 for s in shape):
        raise ValueError(f"shape must be (T, Y, X) or (Y, X) positive integers; got {shape!r}")
    if len(shape) == 2:
        return (n_frames, int(shape[0]), int(shape[1]))
    if len(shape) == 3:
        if shape[0] < n_frames:
            raise ValueError(
                f"shape has {shape[0]} frames but the tracks reach frame {n_frames - 1}"
            )
        return tuple(int(s) for s in shape)
    raise ValueError(f"shape must be (T, Y, X) or (Y, X); got {shape!r}")


def to_ctc(tracks, labels=None, shape=None, radius=3.0):
    """Label images and lineage of a track table in the Cell Tracking Challenge format.

    In a CTC result every frame is a label image whose pixel value is the
    track id, and the track file lists ``L B E P`` (track, first frame, last
    frame, parent) per track. Two ways to make the images:

    - from the per-frame ``labels`` the detections came from (``tracks`` must
      have the ``label`` column of :func:`detect`): every object is repainted
      with its track id; objects absent from ``tracks`` are erased;
    - from positions only (``shape`` given): a disc of ``radius`` pixels is
      drawn at each ``(y, x)``, a *marker* as in the CTC ``TRA`` ground truth.
      Where discs overlap the later track id wins, but every object keeps at
      least the pixel at its rounded centre.

    Parameters
    ----------
    tracks : pandas.DataFrame
        Track table with ``frame, track_id, parent_id`` and ``label`` (with
        ``labels``) or ``y, x`` (with ``shape``); every track present in every
        frame from its start to its end, as :func:`link` returns.
    labels : (T, Y, X) ndarray of int, optional
        The label images the detections were measured on.
    shape : tuple of int, optional
        ``(T, Y, X)`` or ``(Y, X)`` of the images to draw, when there are no
        ``labels``.
    radius : float
        Radius of the drawn markers, in pixels (>= 0; 0 = one pixel).

    Returns
    -------
    masks : (T, Y, X) ndarray of uint16
        Pixel value = track id, 0 = background.
    lineage : pandas.DataFrame
        ``track_id, start, end, parent_id``.

    Raises
    ------
    TypeError, ValueError
        If neither or both of ``labels`` and ``shape`` are given, a track has
        a gap, a track id exceeds 65535, a position lies outside the image, a
        (frame, label) is not in ``labels``, or two tracks claim one object.

    Examples
    --------
    >>> tracks = pd.DataFrame({"frame": [0, 1], "y": [2.0, 2.0], "x": [1.0, 3.0],
    ...                        "track_id": [1, 1], "parent_id": [0, 0]})
    >>> masks, lineage = to_ctc(tracks, shape=(5, 5), radius=0)
    >>> masks[1]
    array([[0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 0, 1, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0]], dtype=uint16)
    """
    if (labels is None) == (shape is None):
        raise ValueError(
            "give either labels (the label images of the detections) or shape (to draw "
            f"markers); got labels={'None' if labels is None else 'an array'}, shape={shape!r}"
        )
    radius = _check_nonnegative(radius, "radius")
    table = _check_tracks(tracks, ["label"] if labels is not None else ["y", "x"])
    lineage = _ctc_lineage(table)
    frames = table["frame"].to_numpy(np.int64)
    track_ids = table["track_id"].to_numpy(np.int64)
    n_frames = int(frames.max()) + 1 if frames.size else 0
    if labels is not None:
        labels = _check_label_stack(labels)
        if labels.shape[0] < n_frames:
            raise ValueError(
                f"labels has {labels.shape[0]} frames but the tracks reach frame {n_frames - 1}"
            )
        _check_unique(table, ["frame", "label"], "tracks")
        values = table["label"].to_numpy(np.int64)
        masks = np.zeros(labels.shape, dtype=np.uint16)
        for t in range(labels.shape[0]):
            here = frames == t
            lut = np.zeros(int(max(labels[t].max(), values[here].max(initial=0))) + 1, np.uint16)
            present = np.zeros(lut.size, dtype=bool)
            present[np.unique(labels[t])] = True
            missing = values[here][~present[values[here]]]
            if missing.size:
                raise ValueError(
                    f"tracks has label {int(missing[0])} in frame {t}, which labels[{t}] "
                    "does not contain"
                )
            lut[values[here]] = track_ids[here]
            masks[t] = lut[labels[t]]
        return masks, lineage
    shape = _check_shape(shape, n_frames)
    positions = _check_positions(table, ["y", "x"], "tracks")
    centre = np.round(positions).astype(np.int64)
    outside = (centre < 0).any(axis=1) | (centre[:, 0] >= shape[1]) | (centre[:, 1] >= shape[2])
    if outside.any():
        k = np.flatnonzero(outside)[0]
        raise ValueError(
            f"position (y={positions[k, 0]:g}, x={positions[k, 1]:g}) in frame {frames[k]} "
            f"lies outside the image of shape (Y, X) = {shape[1:]}"
        )
    masks = np.zeros(shape, dtype=np.uint16)
    r = int(math.floor(radius))
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    inside = dy**2 + dx**2 <= radius**2
    dy, dx = dy[inside], dx[inside]
    for k in np.argsort(track_ids, kind="stable"):
        yy, xx = positions[k, 0] + dy, positions[k, 1] + dx
        yy, xx = np.round(yy).astype(np.int64), np.round(xx).astype(np.int64)
        ok = (yy >= 0) & (yy < shape[1]) & (xx >= 0) & (xx < shape[2])
        masks[frames[k], yy[ok], xx[ok]] = track_ids[k]
    # every object keeps its centre pixel; two centres on one pixel cannot both be kept
    flat = (frames * shape[1] + centre[:, 0]) * shape[2] + centre[:, 1]
    unique, counts = np.unique(flat, return_counts=True)
    if (counts > 1).any():
        k = np.flatnonzero(flat == unique[counts > 1][0])
        raise ValueError(
            f"tracks {track_ids[k].tolist()} have their centre on the same pixel in frame "
            f"{frames[k[0]]}; they cannot both be drawn"
        )
    masks[frames, centre[:, 0], centre[:, 1]] = track_ids
    return masks, lineage


def _digits(n_frames: int) -> int:
    return max(3, len(str(max(n_frames - 1, 0))))


def write_ctc_result(
    folder, tracks, labels=None, shape=None, radius=3.0, ground_truth=False
) -> Path:
    """Write a track table in the Cell Tracking Challenge format.

    A result folder (``ground_truth=False``) holds ``mask000.tif``,
    ``mask001.tif``, ... and ``res_track.txt``; a ground-truth folder
    (``ground_truth=True``) holds ``TRA/man_track000.tif``, ... and
    ``TRA/man_track.txt``, as the CTC evaluation tools expect. Frame numbers
    have 3 digits (4 from 1001 frames on). The images are made by
    :func:`to_ctc`, from ``labels`` or as markers of ``radius`` in ``shape``.

    Parameters
    ----------
    folder : str or pathlib.Path
        Where to write; created if needed. Existing CTC files there are
        replaced.
    tracks : pandas.DataFrame
        Track table, as for :func:`to_ctc`.
    labels : (T, Y, X) ndarray of int, optional
        Label images of the detections (see :func:`to_ctc`).
    shape : tuple of int, optional
        ``(T, Y, X)`` or ``(Y, X)`` for drawn markers (see :func:`to_ctc`).
    radius : float
        Marker radius in pixels.
    ground_truth : bool
        Write the ``TRA`` ground-truth layout instead of a result.

    Returns
    -------
    pathlib.Path
        The folder holding the track file (``folder`` or ``folder/TRA``).

    Raises
    ------
    TypeError, ValueError
        As :func:`to_ctc`. Nothing is written when the input is invalid: the
        files are written to a temporary folder first and moved into place
        when all are complete.

    Examples
    --------
    >>> import tempfile
    >>> tracks = pd.DataFrame({"frame": [0, 1], "y": [2.0, 2.0], "x": [1.0, 3.0],
    ...                        "track_id": [1, 1], "parent_id": [0, 0]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_ctc_result(tmp, tracks, shape=(5, 5))
    ...     sorted(p.name for p in out.iterdir()), (out / "res_track.txt").read_text()
    (['mask000.tif', 'mask001.tif', 'res_track.txt'], '1 0 1 0\\n')
    """
    import tifffile

    ground_truth = _check_bool(ground_truth, "ground_truth")
    if not isinstance(folder, str | os.PathLike):
        raise TypeError(f"folder must be a path; got {type(folder).__name__}")
    masks, lineage = to_ctc(tracks, labels=labels, shape=shape, radius=radius)
    target = Path(folder) / "TRA" if ground_truth else Path(folder)
    prefix, track_file = (
        ("man_track", "man_track.txt") if ground_truth else ("mask", "res_track.txt")
    )
    target.mkdir(parents=True, exist_ok=True)
    digits = _digits(masks.shape[0])
    staging = Path(tempfile.mkdtemp(dir=target, prefix=".ctc-", suffix=".tmp"))
    try:
        names = []
        for t, mask in enumerate(masks):
            name = f"{prefix}{t:0{digits}d}.tif"
            tifffile.imwrite(staging / name, mask, compression="zlib")
            names.append(name)
        text = "".join(f"{a} {b} {c} {d}\n" for a, b, c, d in lineage.itertuples(index=False))
        (staging / track_file).write_text(text, encoding="ascii")
        names.append(track_file)
        for name in names:
            os.replace(staging / name, target / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _read_track_file(path) -> pd.DataFrame:
    """A CTC track file (``L B E P`` per line) as a lineage table, validated."""
    path = Path(path)
    rows = []
    for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 4 or not all(re.fullmatch(r"-?\d+", f) for f in fields):
            raise ValueError(
                f"{path}, line {number}: expected 4 integers 'L B E P', got {line.strip()!r}"
            )
        rows.append([int(f) for f in fields])
    lineage = pd.DataFrame(rows, columns=_LINEAGE_COLUMNS, dtype=np.int64)
    if len(rows) == 0:
        lineage = pd.DataFrame({c: np.zeros(0, np.int64) for c in _LINEAGE_COLUMNS})
    if (lineage["track_id"] < 1).any() or lineage["track_id"].duplicated().any():
        raise ValueError(f"{path}: track ids must be unique and >= 1")
    if (lineage["end"] < lineage["start"]).any() or (lineage["start"] < 0).any():
        bad = lineage[(lineage["end"] < lineage["start"]) | (lineage["start"] < 0)].iloc[0]
        raise ValueError(f"{path}: track {bad['track_id']} has start {bad['start']} > end")
    _check_lineage(lineage)
    return lineage


def _ctc_tables(labels: np.ndarray, lineage: pd.DataFrame, source: str) -> pd.DataFrame:
    """Track table of CTC label images (pixel = track id), checked against the lineage."""
    table = detect(labels)
    for t in range(labels.shape[0]):
        present = set(table.loc[table["frame"] == t, "label"].tolist())
        alive = set(
            lineage.loc[(lineage["start"] <= t) & (lineage["end"] >= t), "track_id"].tolist()
        )
        if present != alive:
            extra, absent = sorted(present - alive)[:5], sorted(alive - present)[:5]
            raise ValueError(
                f"{source}: frame {t} holds ids {extra} that the track file does not list "
                f"for that frame, and lacks ids {absent} that it does"
            )
    parent = dict(zip(lineage["track_id"].tolist(), lineage["parent_id"].tolist(), strict=True))
    table["track_id"] = table["label"].to_numpy(np.int64)
    table["parent_id"] = table["label"].map(parent).to_numpy(np.int64)
    return table


def _frame_number(path: Path) -> int:
    found = re.findall(r"\d+", path.stem)
    if not found:
        raise ValueError(f"cannot read a frame number from the file name {path.name!r}")
    return int(found[-1])


def read_ctc(folder) -> CtcData:
    """Read a sequence in the Cell Tracking Challenge format.

    Reads a result folder (``mask*.tif`` + ``res_track.txt``) or a ground-truth
    folder (``man_track*.tif`` + ``man_track.txt``, in ``folder`` or
    ``folder/TRA``). Frames are ordered by the number in their file name, so
    names need not be zero-padded.

    Parameters
    ----------
    folder : str or pathlib.Path

    Returns
    -------
    CtcData
        ``labels`` (T, Y, X) uint16, ``tracks`` and ``lineage``.

    Raises
    ------
    FileNotFoundError
        If the folder holds no track file or no images.
    ValueError
        If the frame numbers are not 0, 1, ..., T - 1, or the images and the
        track file disagree about which tracks are present in a frame.

    Examples
    --------
    >>> import tempfile
    >>> tracks = pd.DataFrame({"frame": [0, 1], "y": [2.0, 2.0], "x": [1.0, 3.0],
    ...                        "track_id": [1, 1], "parent_id": [0, 0]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     data = read_ctc(write_ctc_result(tmp, tracks, shape=(5, 5), radius=1))
    >>> data.labels.shape, data.lineage.to_numpy().tolist()
    ((2, 5, 5), [[1, 0, 1, 0]])
    """
    import tifffile

    if not isinstance(folder, str | os.PathLike):
        raise TypeError(f"folder must be a path; got {type(folder).__name__}")
    folder = Path(folder)
    candidates = [
        (folder / "res_track.txt", "mask"),
        (folder / "man_track.txt", "man_track"),
        (folder / "TRA" / "man_track.txt", "man_track"),
    ]
    found = [(f, p) for f, p in candidates if f.is_file()]
    if not found:
        raise FileNotFoundError(
            f"no CTC track file in {folder}: expected res_track.txt, man_track.txt or "
            "TRA/man_track.txt"
        )
    track_file, prefix = found[0]
    images = sorted(track_file.parent.glob(f"{prefix}*.tif"), key=_frame_number)
    if not images:
        raise FileNotFoundError(f"no {prefix}*.tif images beside {track_file}")
    numbers = [_frame_number(p) for p in images]
    if numbers != list(range(len(images))):
        raise ValueError(
            f"expected frames 0..{len(images) - 1} in {track_file.parent}, got numbers "
            f"{numbers[:10]}{'...' if len(numbers) > 10 else ''}"
        )
    labels = np.stack([tifffile.imread(p) for p in images])
    lineage = _read_track_file(track_file)
    return CtcData(labels, _ctc_tables(labels, lineage, str(track_file.parent)), lineage)
