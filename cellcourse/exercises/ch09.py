"""Exercises of chapter 09, cell tracking (synthetic time-lapses, CellMigration, C2C12).

Used in ``solutions/09_cell_tracking.ipynb``::

    from cellcourse.exercises import ch09 as ex
    ex.q1.check(gated_costs)

The course's versions of the chapter's functions are here too, so that the
notebook runs on whatever the learner wrote: :func:`gated_costs` (Exercise
9.1), :func:`link_two_frames` (9.2), :func:`count_links` (9.3) and
:func:`step_lengths` (9.4). The library's :func:`cellcourse.tracking.link`
links whole movies; :func:`cellcourse.metrics.tracking.link_scores` scores them.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ._core import (
    CodingExercise,
    FunctionExercise,
    Incorrect,
    ThoughtExercise,
    _CourseError,
    _NotAttempted,
    describe,
)

__all__ = [
    "count_links",
    "gated_costs",
    "link_two_frames",
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "step_lengths",
]


# --- the course's versions ----------------------------------------------------------------------
def gated_costs(points_a, points_b, max_distance):
    """Costs of linking every cell of one frame to every cell of the next.

    Parameters
    ----------
    points_a : (N, 2) ndarray
        ``(y, x)`` positions in frame t, pixels.
    points_b : (M, 2) ndarray
        ``(y, x)`` positions in frame t + 1.
    max_distance : float
        The gate: pairs further apart than this cannot be linked.

    Returns
    -------
    (N, M) ndarray of float64
        Squared distance of every pair; ``np.inf`` beyond the gate.

    Examples
    --------
    >>> gated_costs(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 9.0]]), 5)
    array([[25., inf]])
    """
    a = np.asarray(points_a, dtype=np.float64)
    b = np.asarray(points_b, dtype=np.float64)
    costs = np.sum((a[:, np.newaxis, :] - b[np.newaxis, :, :]) ** 2, axis=-1)  # (N, M)
    costs[costs > max_distance**2] = np.inf
    return costs


_FORBIDDEN = 1e12  # a finite stand-in for np.inf: linear_sum_assignment refuses infinite rows


def link_two_frames(points_a, points_b, max_distance):
    """The optimal links between two frames, by linear assignment within a distance gate.

    Parameters
    ----------
    points_a : (N, 2) ndarray
        ``(y, x)`` positions in frame t.
    points_b : (M, 2) ndarray
        ``(y, x)`` positions in frame t + 1.
    max_distance : float
        Largest distance of a link, in pixels.

    Returns
    -------
    (K, 2) ndarray of int64
        One row ``(i, j)`` per link, cell ``i`` of frame t to cell ``j`` of
        frame t + 1, sorted by ``i``; the sum of the squared distances is the
        smallest possible among the pairings with the most links.

    Examples
    --------
    >>> a = np.array([[0.0, 0.0], [0.0, 4.0]])
    >>> b = np.array([[0.0, 7.0], [0.0, 3.0]])
    >>> link_two_frames(a, b, max_distance=5).tolist()
    [[0, 1], [1, 0]]
    """
    costs = gated_costs(points_a, points_b, max_distance)
    rows, cols = linear_sum_assignment(np.where(np.isinf(costs), _FORBIDDEN, costs))
    keep = np.isfinite(costs[rows, cols])  # forbidden pairs were only stand-ins
    return np.stack([rows[keep], cols[keep]], axis=1).astype(np.int64)


def _links_of(tracks: pd.DataFrame) -> set:
    """The links of a track table as ``((frame, label), (frame, label))`` pairs."""
    table = tracks.sort_values(["track_id", "frame"], kind="stable")
    keys = list(zip(table["frame"].tolist(), table["label"].tolist(), strict=True))
    ids = table["track_id"].to_numpy()
    links = {(keys[k], keys[k + 1]) for k in range(len(keys) - 1) if ids[k] == ids[k + 1]}
    first = table.groupby("track_id").first()
    last = table.groupby("track_id").last()
    for row in first[first["parent_id"] > 0].itertuples():
        mother = last.loc[row.parent_id]
        links.add(((mother["frame"], mother["label"]), (row.frame, row.label)))
    return links


def count_links(true_tracks, pred_tracks):
    """True positive, false positive and false negative links of a result.

    Parameters
    ----------
    true_tracks, pred_tracks : pandas.DataFrame
        Track tables of the *same* detections, with ``frame, label, track_id,
        parent_id``; a detection is identified by its ``(frame, label)``.

    Returns
    -------
    (tp, fp, fn) : tuple of int
        Links in both tables; only in ``pred_tracks``; only in ``true_tracks``.
        A link joins consecutive detections of a track, and the last detection
        of a mother to the first of each daughter.

    Examples
    --------
    >>> true = pd.DataFrame({"frame": [0, 1, 0, 1], "label": [1, 2, 2, 1],
    ...                      "track_id": [1, 1, 2, 2], "parent_id": 0})
    >>> count_links(true, true.assign(track_id=[5, 6, 6, 5]))  # two cells swapped
    (0, 2, 2)
    """
    true, pred = _links_of(true_tracks), _links_of(pred_tracks)
    return len(true & pred), len(pred - true), len(true - pred)


def step_lengths(tracks):
    """How far each cell moves between consecutive frames of its track.

    Parameters
    ----------
    tracks : pandas.DataFrame
        Track table with ``frame, y, x, track_id``, rows in any order.

    Returns
    -------
    (S,) ndarray of float64
        One distance in pixels per pair of consecutive detections of a track
        (tracks sorted by frame); a track of n detections gives n - 1 steps.

    Examples
    --------
    >>> tracks = pd.DataFrame({"frame": [1, 0, 0, 1], "y": [3.0, 0.0, 5.0, 5.0],
    ...                        "x": [4.0, 0.0, 5.0, 6.0], "track_id": [1, 1, 2, 2]})
    >>> step_lengths(tracks).tolist()
    [5.0, 1.0]
    """
    table = tracks.sort_values(["track_id", "frame"], kind="stable")
    by_track = table.groupby("track_id")
    steps = np.hypot(by_track["y"].diff(), by_track["x"].diff())
    return steps.dropna().to_numpy(np.float64)


# --- Exercise 9.1: the cost matrix -----------------------------------------------------------------


def _cost_inputs():
    rng = np.random.default_rng(91)
    a = rng.uniform(0, 40, size=(4, 2)).round(1)
    b = np.concatenate([a[:3] + rng.normal(0, 2, size=(3, 2)).round(1), [[80.0, 80.0]]])
    return [
        (
            (np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 9.0]]), 5.0),
            {},
            "2 cells in each frame, one pair exactly 5 px apart, max_distance=5",
        ),
        ((a, b[[1, 0, 3, 2]], 6.0), {}, "4 cells in each frame (one far away), max_distance=6"),
        (
            (a[:3], np.concatenate([b, [[20.0, 20.0]]]), 10.0),
            {},
            "3 cells in frame t and 5 in frame t + 1, max_distance=10",
        ),
    ]


def _diagnose_costs(function) -> str:
    """A specific hint for a typical mistake, from one extra call; "" if none is recognised."""
    a = np.array([[0.0, 0.0], [0.0, 10.0], [6.0, 0.0]])
    b = np.array([[0.0, 2.0], [0.0, 30.0]])
    squared = np.array([[4.0, 900.0], [64.0, 400.0], [40.0, 936.0]])
    try:
        out = np.asarray(function(a.copy(), b.copy(), 7.0), dtype=np.float64)
    except Exception:
        return ""
    if out.shape == (2, 3):
        return (
            "`gated_costs` returns a matrix of shape (M, N); the task asks for (N, M): one "
            "row per cell of frame t (`points_a`), one column per cell of frame t + 1."
        )
    if out.shape != (3, 2):
        return ""
    gated = np.where(squared > 49, np.inf, squared)
    plain = np.sqrt(squared)
    if np.allclose(out, np.where(plain > 7, np.inf, plain)):
        return (
            "`gated_costs` returns distances; the cost of a link is the *squared* distance, "
            "which penalises long jumps more (as in Jaqaman et al. 2008)."
        )
    if np.allclose(out, squared):
        return (
            "`gated_costs` has no gate: pairs further apart than `max_distance` should cost "
            "`np.inf`, so that they can never be linked."
        )
    if np.allclose(out, np.where(squared > 7, np.inf, squared)):
        return (
            "`gated_costs` compares the squared distances with `max_distance` itself; "
            "compare them with `max_distance ** 2` (or the distances with `max_distance`)."
        )
    finite = np.isfinite(out)
    if finite.all() and np.allclose(out[np.isfinite(gated)], squared[np.isfinite(gated)]):
        return (
            "`gated_costs` marks the pairs beyond the gate with a finite number; the task asks "
            "for `np.inf` (we will replace it by a large number where a solver needs one)."
        )
    return ""


q1 = FunctionExercise(
    diagnose=_diagnose_costs,
    chapter="09",
    name="q1",
    title="The cost matrix of frame-to-frame linking, with a distance gate",
    var="gated_costs",
    reference=gated_costs,
    test_inputs=_cost_inputs,
    probe=lambda: (np.zeros((1, 2)), np.zeros((1, 2)), 1.0),
    hints=[
        "The cost of linking cell i of frame t to cell j of frame t + 1 is the squared "
        "distance (yi - yj)² + (xi - xj)². Beyond `max_distance` the link is forbidden: cost "
        "`np.inf`.",
        "Broadcasting gives all pairs at once: `diff = points_a[:, np.newaxis, :] - "
        "points_b[np.newaxis, :, :]` has shape (N, M, 2); sum its square over the last axis, "
        "then set `costs[costs > max_distance**2] = np.inf`.",
    ],
    solution_code=(
        "def gated_costs(points_a, points_b, max_distance):\n"
        "    diff = points_a[:, np.newaxis, :] - points_b[np.newaxis, :, :]  # (N, M, 2)\n"
        "    costs = np.sum(diff**2, axis=-1)  # squared distances, (N, M)\n"
        "    costs[costs > max_distance**2] = np.inf  # beyond the gate: forbidden\n"
        "    return costs"
    ),
)


# --- Exercise 9.2: linking two frames -----------------------------------------------------------

_LINK_CASES = [
    (
        np.array([[10.0, 10.0], [10.0, 30.0], [30.0, 20.0]]),
        np.array([[31.0, 22.0], [11.0, 11.0], [9.0, 32.0]]),
        5.0,
        "3 cells that moved a little, listed in another order in frame t + 1",
    ),
    (
        np.array([[0.0, 0.0], [0.0, 4.0]]),
        np.array([[0.0, 7.0], [0.0, 3.0]]),
        5.0,
        "2 cells in a row, where the closest pair is not part of the best pairing",
    ),
    (
        np.array([[10.0, 10.0], [50.0, 50.0], [10.0, 30.0]]),
        np.array([[12.0, 11.0], [11.0, 29.0], [90.0, 10.0]]),
        5.0,
        "a cell that leaves (nothing near it in frame t + 1) and one that appears",
    ),
    (
        np.array([[20.0, 20.0], [40.0, 20.0]]),
        np.array([[41.0, 21.0], [5.0, 5.0], [21.0, 18.0], [60.0, 60.0]]),
        4.0,
        "2 cells in frame t and 4 in frame t + 1",
    ),
]


def _as_pairs(returned, n_a, n_b, where) -> tuple[set, np.ndarray]:
    if returned is None:
        raise Incorrect(f"{where}, `link_two_frames` returned None: did you forget `return`?")
    if (
        isinstance(returned, tuple)
        and len(returned) == 2
        and all(isinstance(part, np.ndarray) and part.ndim == 1 for part in returned)
    ):
        raise Incorrect(
            f"{where}, `link_two_frames` returned two index arrays, as `linear_sum_assignment` "
            "does. Keep only the pairs within the gate, and return them as one array of shape "
            "(K, 2): `np.stack([rows, cols], axis=1)`."
        )
    try:
        pairs = np.asarray(returned)
    except Exception:
        pairs = None
    if pairs is not None and pairs.size == 0:
        pairs = pairs.reshape(0, 2)
    if pairs is None or pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.dtype.kind not in "iuf":
        raise Incorrect(
            f"{where}, `link_two_frames` returned {describe(returned)}; expected an integer "
            "array of shape (K, 2): one row (i, j) per link."
        )
    if pairs.dtype.kind == "f" and not np.array_equal(pairs, np.round(pairs)):
        raise Incorrect(f"{where}, `link_two_frames` returned pairs that are not whole numbers.")
    pairs = pairs.astype(np.int64)
    if pairs.size and (pairs[:, 0].min() < 0 or pairs[:, 0].max() >= n_a or pairs[:, 1].min() < 0):
        raise Incorrect(f"{where}, a pair (i, j) has an index outside the two frames.")
    if pairs.size and pairs[:, 1].max() >= n_b:
        raise Incorrect(f"{where}, a pair (i, j) has j beyond the cells of frame t + 1.")
    return {tuple(pair) for pair in pairs.tolist()}, pairs


def _check_link_two_frames(function) -> str | None:
    if not callable(function):
        raise Incorrect(
            f"`link_two_frames` should be a function, but it is {describe(function)}. Pass "
            "the function itself: ex.q2.check(link_two_frames)."
        )
    for number, (a, b, gate, description) in enumerate(_LINK_CASES, start=1):
        where = f"for {description} (test {number} of {len(_LINK_CASES)})"
        try:
            returned = function(a.copy(), b.copy(), gate)
        except ValueError as exc:
            if "infeasible" in str(exc) or "invalid" in str(exc):
                raise Incorrect(
                    f"{where}, `link_two_frames` raised ValueError: {str(exc)[:80]}. "
                    "`linear_sum_assignment` cannot work with a row or column of `np.inf` "
                    "only: give it a large finite number instead, and drop those pairs after."
                ) from exc
            raise Incorrect(f"{where}, `link_two_frames` raised ValueError: {exc}") from exc
        except Exception as exc:
            raise Incorrect(
                f"{where}, `link_two_frames` raised {type(exc).__name__}: {str(exc)[:150]}"
            ) from exc
        if returned is Ellipsis:
            raise _NotAttempted(
                "`link_two_frames` still returns `...`. Replace the `...` in its body with "
                "your code, run that cell, then run this check again."
            )
        got, pairs = _as_pairs(returned, len(a), len(b), where)
        if len(got) != len(pairs):
            raise Incorrect(f"{where}, `link_two_frames` returned the same pair twice.")
        if len(set(pairs[:, 0].tolist())) < len(pairs) or len(set(pairs[:, 1].tolist())) < len(
            pairs
        ):
            raise Incorrect(
                f"{where}, `link_two_frames` links one cell to two: each cell may have at most "
                "one partner in the other frame. Picking each cell's nearest neighbour does not "
                "ensure that; linear assignment does."
            )
        distance = np.hypot(*(a[pairs[:, 0]] - b[pairs[:, 1]]).T) if len(pairs) else np.zeros(0)
        if (distance > gate).any():
            raise Incorrect(
                f"{where}, `link_two_frames` returned a pair {distance.max():.1f} px apart, "
                f"beyond max_distance={gate:g}. Drop the pairs that the gate forbids after "
                "solving."
            )
        expected = {tuple(p) for p in link_two_frames(a, b, gate).tolist()}
        if got != expected:
            missing = len(expected - got)
            raise Incorrect(
                f"{where}, `link_two_frames` returned {len(got)} links; {missing} of the "
                f"{len(expected)} links of the best pairing are not among them. Let "
                "`linear_sum_assignment` choose the pairing of smallest total cost."
            )
    return "the pairing of smallest total cost, within the gate, in every test."


q2 = CodingExercise(
    chapter="09",
    name="q2",
    title="Link two frames with scipy.optimize.linear_sum_assignment",
    var="link_two_frames",
    checker=_check_link_two_frames,
    probe=lambda: (np.zeros((1, 2)), np.zeros((1, 2)), 1.0),
    hints=[
        "Build the cost matrix with your `gated_costs` (or `ex.gated_costs`), then let "
        "`linear_sum_assignment(costs)` pick the pairing with the smallest total cost. It "
        "returns two arrays: the rows and the columns of the chosen pairs.",
        "`linear_sum_assignment` refuses rows or columns that hold only `np.inf`: replace inf "
        "by a large number (`np.where(np.isinf(costs), 1e12, costs)`), solve, then keep only "
        "the pairs whose cost was finite and return `np.stack([rows, cols], axis=1)`.",
    ],
    solution_code=(
        "from scipy.optimize import linear_sum_assignment\n\n\n"
        "def link_two_frames(points_a, points_b, max_distance):\n"
        "    costs = gated_costs(points_a, points_b, max_distance)\n"
        "    # the solver needs finite costs: a large number stands in for 'forbidden'\n"
        "    rows, cols = linear_sum_assignment(np.where(np.isinf(costs), 1e12, costs))\n"
        "    keep = np.isfinite(costs[rows, cols])  # drop the forbidden pairs again\n"
        "    return np.stack([rows[keep], cols[keep]], axis=1)"
    ),
)


# --- Exercise 9.3: counting links ----------------------------------------------------------------


def _table(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["frame", "label", "track_id", "parent_id"])


def _link_count_cases():
    """(true, pred, description) with answers worked out by hand in the comments."""
    # two cells over 3 frames; labels per frame are arbitrary
    truth = _table(
        [(0, 1, 1, 0), (1, 2, 1, 0), (2, 1, 1, 0), (0, 2, 2, 0), (1, 1, 2, 0), (2, 2, 2, 0)]
    )
    renumbered = truth.assign(track_id=truth["track_id"].map({1: 7, 2: 3}))  # (4, 0, 0)
    swapped = truth.assign(track_id=[1, 1, 2, 2, 2, 1])  # the cells swap at frame 2: (2, 2, 2)
    broken = truth.assign(track_id=[1, 1, 4, 2, 2, 2])  # track 1 lost at frame 2: (3, 0, 1)
    # a mother (frames 0-1) and two daughters (frames 2-3): 1 + 2 + 1 + 1 = 5 links
    family = _table(
        [
            (0, 1, 1, 0),
            (1, 1, 1, 0),
            (2, 1, 2, 1),
            (3, 2, 2, 1),
            (2, 2, 3, 1),
            (3, 1, 3, 1),
        ]
    )
    family_found = family.assign(track_id=[5, 5, 9, 9, 8, 8], parent_id=[0, 0, 5, 5, 5, 5])
    # no division found: the mother goes on as one daughter, the other starts afresh: (4, 0, 1)
    family_missed = family.assign(track_id=[5, 5, 5, 5, 8, 8], parent_id=0)
    shuffled = swapped.sample(frac=1.0, random_state=3)  # rows in any order: (2, 2, 2)
    return [
        (truth, renumbered, (4, 0, 0), "the right tracks with other track ids"),
        (truth, swapped, (2, 2, 2), "two cells whose identities are swapped in the last frame"),
        (truth, broken, (3, 0, 1), "a track broken in two"),
        (family, family_found, (5, 0, 0), "a division found with other track ids"),
        (family, family_missed, (4, 0, 1), "a division missed"),
        (truth, shuffled, (2, 2, 2), "the swapped cells with the rows shuffled"),
    ]


def _as_counts(returned, where) -> tuple[int, int, int]:
    if returned is None:
        raise Incorrect(f"{where}, `count_links` returned None: did you forget `return`?")
    if isinstance(returned, np.ndarray):
        returned = returned.tolist()
    if (
        not isinstance(returned, tuple | list)
        or len(returned) != 3
        or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_) for v in returned
        )
    ):
        raise Incorrect(
            f"{where}, `count_links` returned {describe(returned)}; expected three whole "
            "numbers: `return tp, fp, fn`."
        )
    return tuple(int(v) for v in returned)


def _variant_links(tracks: pd.DataFrame, key: str, sort: bool, parents: bool) -> set:
    """The links as a typical mistake sees them (for specific feedback)."""
    table = tracks.sort_values(["track_id", "frame"], kind="stable") if sort else tracks
    if key == "label":
        keys = list(zip(table["frame"].tolist(), table["label"].tolist(), strict=True))
    else:  # detections named by their track id, as if ids were shared by the two tables
        keys = list(zip(table["track_id"].tolist(), table["frame"].tolist(), strict=True))
    ids = table["track_id"].to_numpy()
    links = {(keys[k], keys[k + 1]) for k in range(len(keys) - 1) if ids[k] == ids[k + 1]}
    if parents:
        first = {}
        last = {}
        for tid, k in zip(ids.tolist(), keys, strict=True):
            first.setdefault(tid, k)
            last[tid] = k
        parent = dict(zip(table["track_id"].tolist(), table["parent_id"].tolist(), strict=True))
        for tid, p in parent.items():
            if p > 0 and p in last:
                links.add((last[p], first[tid]))
    return links


def _counts(true: set, pred: set) -> tuple[int, int, int]:
    return len(true & pred), len(pred - true), len(true - pred)


def _diagnose_counts(got, expected, true, pred) -> str:
    tp, fp, fn = expected
    if got == (tp, fn, fp):
        return (
            "`count_links` returned (tp, fn, fp): a false positive is a link in the *result* "
            "that the truth does not have; a false negative is a true link the result missed."
        )

    def variant(**kwargs):
        options = {"key": "label", "sort": True, "parents": True, **kwargs}
        return _counts(_variant_links(true, **options), _variant_links(pred, **options))

    if got == variant(key="track_id"):
        return (
            "`count_links` compared links by track id. Track ids are arbitrary numbers, "
            "different in each table: name each detection by its (frame, label)."
        )
    if got == variant(parents=False):
        return (
            f"`count_links` returned {got}: it missed the links from the last detection of a "
            "mother (the track named by `parent_id`) to the first detection of each daughter."
        )
    if got == variant(sort=False) or got == variant(sort=False, parents=False):
        return (
            f"`count_links` returned {got}: with the rows in another order, consecutive rows "
            "of a track are not consecutive frames. Sort by track and frame first."
        )
    return (
        f"`count_links` returned {got}; that is not (tp, fp, fn) for these two small tables. "
        "Write out their links by hand and compare."
    )


def _check_count_links(function) -> str | None:
    if not callable(function):
        raise Incorrect(
            f"`count_links` should be a function, but it is {describe(function)}. Pass the "
            "function itself: ex.q3.check(count_links)."
        )
    cases = _link_count_cases()
    for number, (true, pred, expected, description) in enumerate(cases, start=1):
        where = f"for {description} (test {number} of {len(cases)})"
        try:
            returned = function(true.copy(), pred.copy())
        except Exception as exc:
            raise Incorrect(
                f"{where}, `count_links` raised {type(exc).__name__}: {str(exc)[:150]}"
            ) from exc
        if returned is Ellipsis:
            raise _NotAttempted(
                "`count_links` still returns `...`. Replace the `...` in its body with your "
                "code, run that cell, then run this check again."
            )
        got = _as_counts(returned, where)
        if got != expected:
            raise Incorrect(f"{where}, {_diagnose_counts(got, expected, true, pred)}")
    return "links compared by their detections, divisions included."


q3 = CodingExercise(
    chapter="09",
    name="q3",
    title="Count the true and false positive links of a tracking result",
    var="count_links",
    checker=_check_count_links,
    probe=lambda: (_table([(0, 1, 1, 0)]), _table([(0, 1, 1, 0)])),
    hints=[
        "Turn each table into a set of links, each a pair of detections `((frame, label), "
        "(frame, label))`. Then tp = links in both sets, fp = only in the result, fn = only "
        "in the truth (Python sets: `&` and `-`).",
        "Sort by `['track_id', 'frame']`; consecutive rows with the same `track_id` are a "
        "link. For every track with `parent_id > 0`, add a link from the last row of the "
        "parent track to its own first row (`groupby('track_id').first()` and `.last()`).",
    ],
    solution_code=(
        "def count_links(true_tracks, pred_tracks):\n"
        "    def links_of(tracks):  # the links of a table as pairs of detections\n"
        '        table = tracks.sort_values(["track_id", "frame"])\n'
        '        keys = list(zip(table["frame"], table["label"]))  # each detection\n'
        '        ids = table["track_id"].to_numpy()\n'
        "        links = {(keys[k], keys[k + 1]) for k in range(len(keys) - 1) "
        "if ids[k] == ids[k + 1]}\n"
        '        first, last = table.groupby("track_id").first(), '
        'table.groupby("track_id").last()\n'
        '        for row in first[first["parent_id"] > 0].itertuples():  # mother -> daughter\n'
        "            mother = last.loc[row.parent_id]\n"
        '            links.add(((mother["frame"], mother["label"]), (row.frame, row.label)))\n'
        "        return links\n\n"
        "    true, pred = links_of(true_tracks), links_of(pred_tracks)\n"
        "    return len(true & pred), len(pred - true), len(true - pred)"
    ),
)


# --- Exercise 9.4: the gate from the data -----------------------------------------------------------


@functools.cache
def _cellmigration_window() -> tuple[float, float]:
    """99th percentile of the true steps and 5th percentile of the neighbour distances (px)."""
    from scipy.spatial import cKDTree

    from ..tracking_data import load_cellmigration

    data = load_cellmigration(progress=False)
    steps = step_lengths(data.tracks)
    nearest = []
    for _, frame in data.detections.groupby("frame"):
        points = frame[["y", "x"]].to_numpy()
        nearest.append(cKDTree(points).query(points, k=2)[0][:, 1])
    return float(np.percentile(steps, 99)), float(np.percentile(np.concatenate(nearest), 5))


def _step_table(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["frame", "y", "x", "track_id"])


def _step_cases():
    # track 1: (0,0) -> (3,4) -> (3,10): steps 5 and 6; track 2: (20,20) -> (20,21): step 1
    rows = [(0, 0.0, 0.0, 1), (1, 3.0, 4.0, 1), (2, 3.0, 10.0, 1), (5, 20.0, 20.0, 2)]
    rows.append((6, 20.0, 21.0, 2))
    ordered = _step_table(rows)
    shuffled = ordered.iloc[[2, 4, 0, 3, 1]].reset_index(drop=True)
    one = _step_table([(3, 1.0, 1.0, 9)])  # a track of one detection has no step
    return [
        (ordered, [1.0, 5.0, 6.0], "2 tracks, rows sorted by track and frame"),
        (shuffled, [1.0, 5.0, 6.0], "the same 2 tracks, rows shuffled"),
        (pd.concat([ordered, one], ignore_index=True), [1.0, 5.0, 6.0], "plus a one-frame track"),
    ]


def _check_step_lengths(function) -> None:
    if not callable(function):
        raise Incorrect(
            f"`step_lengths` should be a function, but it is {describe(function)}. Pass the "
            "function itself: ex.q4.check(step_lengths, max_distance)."
        )
    cases = _step_cases()
    for number, (table, expected, description) in enumerate(cases, start=1):
        where = f"for {description} (test {number} of {len(cases)})"
        try:
            returned = function(table.copy())
        except Exception as exc:
            raise Incorrect(
                f"{where}, `step_lengths` raised {type(exc).__name__}: {str(exc)[:150]}"
            ) from exc
        if returned is Ellipsis:
            raise _NotAttempted(
                "`step_lengths` still returns `...`. Replace the `...` in its body with your "
                "code, run that cell, then run this check again."
            )
        try:
            steps = np.asarray(returned, dtype=np.float64)
        except Exception:
            steps = None
        if steps is None or steps.ndim != 1:
            raise Incorrect(
                f"{where}, `step_lengths` returned {describe(returned)}; expected a 1-D array "
                "with one distance per step."
            )
        if np.isnan(steps).any():
            raise Incorrect(
                f"{where}, `step_lengths` returned NaN values: the first detection of a track "
                "has no step before it. Drop them (`.dropna()`)."
            )
        if steps.size == len(table) - 1:
            raise Incorrect(
                f"{where}, `step_lengths` returned {steps.size} steps: it also measured jumps "
                "from the end of one track to the start of the next. Take differences within "
                "each track only (`groupby('track_id')`)."
            )
        if steps.size != len(expected):
            raise Incorrect(
                f"{where}, `step_lengths` returned {steps.size} steps; a track of n detections "
                "makes n - 1 steps."
            )
        if np.allclose(np.sort(steps), np.square(expected)):
            raise Incorrect(
                f"{where}, `step_lengths` returned squared distances; take the square root "
                "(`np.hypot(dy, dx)`)."
            )
        if not np.allclose(np.sort(steps), expected):
            extra = ""
            if number == 2:
                extra = " Sort each track by frame before taking differences."
            raise Incorrect(
                f"{where}, `step_lengths` returned steps that are not the distances between "
                f"consecutive detections of each track.{extra}"
            )


def _check_gate(step_lengths_function, max_distance) -> str:
    _check_step_lengths(step_lengths_function)
    if isinstance(max_distance, np.ndarray) and max_distance.size == 1:
        max_distance = max_distance.item()
    if isinstance(max_distance, bool) or not isinstance(max_distance, numbers.Real):
        raise Incorrect(
            f"`max_distance` is {describe(max_distance)}; expected one number, in pixels."
        )
    try:
        step_99, neighbour_5 = _cellmigration_window()
    except Exception as exc:
        raise _CourseError(f"the CellMigration data could not be loaded: {exc!r}") from exc
    gate = float(max_distance)
    if gate < step_99:
        raise Incorrect(
            f"`step_lengths` is right, but a gate of {gate:g} px is shorter than more than 1% of "
            "the true steps: those cells could not be linked and their tracks would break. "
            "Look at the upper percentiles of the steps."
        )
    if gate > neighbour_5:
        raise Incorrect(
            f"`step_lengths` is right, but a gate of {gate:g} px reaches beyond the nearest "
            "neighbour of more than 5% of the cells: the linker could then swap neighbours. "
            "Stay below the short neighbour distances."
        )
    return (
        f"a gate of {gate:g} px is longer than 99% of the steps ({step_99:.1f} px) and shorter "
        f"than the nearest-neighbour distance of 95% of the cells ({neighbour_5:.1f} px)."
    )


q4 = CodingExercise(
    chapter="09",
    name="q4",
    title="Measure how far cells move per frame, and choose the gate",
    var=("step_lengths", "max_distance"),
    checker=_check_gate,
    probe=lambda: (_step_table([(0, 0.0, 0.0, 1), (1, 0.0, 1.0, 1)]),),
    hints=[
        "Sort the table by `['track_id', 'frame']`, group it by `track_id`, and take the "
        "differences of `y` and of `x` within each group (`.diff()`); the step is "
        "`np.hypot(dy, dx)`. The first row of each track gives NaN: drop it.",
        "For the gate, compare `np.percentile(steps, [50, 99, 99.9])` with the nearest-"
        "neighbour distances: a gate a little above the 99th percentile of the steps, and "
        "below the short neighbour distances, keeps both kinds of error rare.",
    ],
    solution_code=(
        "def step_lengths(tracks):\n"
        '    table = tracks.sort_values(["track_id", "frame"])\n'
        '    by_track = table.groupby("track_id")\n'
        '    steps = np.hypot(by_track["y"].diff(), by_track["x"].diff())\n'
        "    return steps.dropna().to_numpy()  # the first detection of a track has no step\n\n\n"
        "steps = step_lengths(cellmigration.tracks)\n"
        'print("steps, 50/99/99.9th percentiles:", np.percentile(steps, [50, 99, 99.9]).round(1))\n'
        'print("neighbour distances, 1st/5th percentiles:",\n'
        "      np.percentile(neighbour_distances, [1, 5]).round(1))\n"
        "max_distance = 15.0  # above 99% of the steps, below most neighbour distances"
    ),
)


# --- Exercise 9.5: when gap closing goes wrong ------------------------------------------------------

q5 = ThoughtExercise(
    chapter="09",
    name="q5",
    title=(
        "Gap closing joins the end of one track to the start of another a few frames later. "
        "When does it create errors instead of fixing them, and how would you notice?"
    ),
    hints=[
        "Gap closing searches further in time, but with the same distance gate. What else "
        "can appear near the place where a track ended, a few frames later?",
        "Think of crowded fields, cells leaving and entering the field at the border, cells "
        "that die, and divisions where one daughter is missed for a frame.",
    ],
    solution_code=(
        "Gap closing assumes that a track which ends and another which starts nearby soon "
        "after are the same cell, missed by the detector for a few frames. It joins two "
        "different cells when that assumption fails: (1) in dense fields, where another cell "
        "is often within the gate after a few frames, so a lost track is continued by a "
        "neighbour (an identity switch); (2) at the border, where one cell leaves and "
        "another enters near the same place; (3) when a cell dies or is removed and a "
        "neighbour moves in; (4) around divisions, where a daughter missed for a frame can "
        "be attached to the wrong track instead of its mother. The risk grows with the gap "
        "length (max_gap) and the gate, since cells move further in more frames: the "
        "searched area grows while evidence stays weak. You notice such errors as wrong "
        "links in the score (precision drops as max_gap grows), as tracks that jump "
        "sideways in an overlay, and as cells whose intensity or size changes abruptly at "
        "the join. Keep max_gap small (1-2 frames), add a cost per missing frame, and check "
        "closed gaps by eye."
    ),
)
