"""Metrics for cell tracking: detections, links, divisions, whole tracks, CTC TRA (chapter 09).

Every function compares two *track tables* (see :mod:`cellcourse.tracking`):
``true_tracks`` (the ground truth) and ``pred_tracks`` (a result), each with
one row per cell per frame and the columns ``frame, track_id, parent_id``,
plus the positions ``y, x`` or the per-frame ``label`` of each object.

1. **Matching.** First the detections of each frame are paired
   (:func:`match_detections`), in one of two ways:

   - *by distance* (``max_distance``): one-to-one pairs of true and predicted
     positions no further apart than ``max_distance`` pixels, chosen by linear
     assignment to minimise the summed distance (as traccuracy's
     ``PointMatcher``);
   - *by overlap* (``true_labels`` and ``pred_labels``): a true object is
     matched to the predicted object that covers more than half of its
     pixels, the rule of the Cell Tracking Challenge (CTC). One predicted
     object may then cover several true ones (a merge).

2. **Scores**, all from the same matching:

   - :func:`detection_scores`: precision, recall and F1 of the detections;
   - :func:`link_scores`: the same for the *links* (edges) of the track graph:
     each detection to the next one of its track, and the last detection of a
     mother to the first of each daughter. A predicted link is right when
     both its ends are matched to the two ends of a true link
     (``annotated_only=True`` for ground truth that covers only some cells);
   - :func:`division_scores`: the same for divisions (a track with two or more
     daughters), with a tolerance in frames;
   - :func:`complete_tracks`: the fraction of true tracks reconstructed
     entirely, and the CTC's complete-tracks measure CT;
   - :func:`tra_score`: the CTC tracking accuracy TRA, from the AOGM, the
     weighted number of graph edits that turn the result into the truth;
   - :func:`tracking_scores`: all of them at once.

Conventions: a predicted detection matched to several true ones (a merge)
counts for none of them in the detection, link and track scores; TRA charges
it as "non-split" vertices. A ratio with a zero denominator is 0.0, except when
there is nothing to find and nothing was found: then every score is 1.0 (as in
:mod:`cellcourse.metrics.instances`). traccuracy returns NaN there instead.

References
----------
.. [1] Matula, P. et al. (2015). Cell tracking accuracy measurement based on
   comparison of acyclic oriented graphs. PLoS ONE 10, e0144959.
   :doi:`10.1371/journal.pone.0144959`
.. [2] Ulman, V. et al. (2017). An objective comparison of cell-tracking
   algorithms. Nat Methods 14, 1141-1152. :doi:`10.1038/nmeth.4473`
.. [3] Gallusser, B. et al. traccuracy: evaluate cell tracking solutions.
   https://github.com/live-image-tracking-tools/traccuracy
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tracking import (
    _check_coordinates,
    _check_label_stack,
    _check_positions,
    _check_tracks,
    _is_int,
    _is_real,
    _overlaps,
    _pairs_within,
    _solve_assignment,
    lineage_from_tracks,
)

__all__ = [
    "AOGM_WEIGHTS",
    "CompleteTracks",
    "Scores",
    "TraScore",
    "TrackingScores",
    "complete_tracks",
    "detection_scores",
    "division_scores",
    "link_scores",
    "match_detections",
    "tra_score",
    "tracking_scores",
]

AOGM_WEIGHTS = {"NS": 5.0, "FN": 10.0, "FP": 1.0, "ED": 1.0, "EA": 1.5, "EC": 1.0}
"""Weights of the CTC's TRA measure (Matula et al. 2015; Ulman et al. 2017)."""


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 of one kind of event.

    Attributes
    ----------
    precision, recall, f1 : float
        ``tp / (tp + fp)``, ``tp / (tp + fn)`` and ``2 tp / (2 tp + fp + fn)``.
    tp, fp, fn : int
        True positives, false positives (predicted, not true) and false
        negatives (true, not predicted).
    """

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


@dataclass(frozen=True)
class CompleteTracks:
    """How many true tracks were reconstructed from their first to their last frame.

    Attributes
    ----------
    fraction : float
        ``n_complete / n_true``.
    ct : float
        The CTC's complete-tracks measure ``2 n_complete / (n_true + n_pred)``,
        which also charges for extra predicted tracks.
    n_complete, n_true, n_pred : int
        Complete tracks, true tracks and predicted tracks.
    """

    fraction: float
    ct: float
    n_complete: int
    n_true: int
    n_pred: int


@dataclass(frozen=True)
class TraScore:
    """The CTC tracking accuracy TRA and its graph edit counts.

    Attributes
    ----------
    tra : float
        ``1 - min(aogm, aogm0) / aogm0``, in [0, 1]; 1 = perfect.
    aogm : float
        Weighted sum of the edits (weights in :data:`AOGM_WEIGHTS`).
    aogm0 : float
        AOGM of an empty result: every true vertex and edge must be added.
    ns : int
        Non-split vertices: a predicted object matched to k > 1 true ones
        counts k - 1.
    fn, fp : int
        True vertices matched to nothing; predicted vertices matched to nothing.
    ed, ea, ec : int
        Edges to delete, edges to add, and edges of the wrong kind (a track
        link where the truth has a parent link, or the reverse).
    n_vertices, n_edges : int
        Vertices (detections) and edges (links) of the true graph.
    """

    tra: float
    aogm: float
    aogm0: float
    ns: int
    fn: int
    fp: int
    ed: int
    ea: int
    ec: int
    n_vertices: int
    n_edges: int


@dataclass(frozen=True)
class TrackingScores:
    """All tracking scores of one result (returned by :func:`tracking_scores`).

    Attributes
    ----------
    detection, link, division : Scores
    complete : CompleteTracks
    tra : TraScore
    """

    detection: Scores
    link: Scores
    division: Scores
    complete: CompleteTracks
    tra: TraScore

    def to_dict(self) -> dict[str, float]:
        """The main numbers as a flat dict (e.g. for :func:`cellcourse.report_metrics`)."""
        return {
            "detection_f1": self.detection.f1,
            "link_precision": self.link.precision,
            "link_recall": self.link.recall,
            "link_f1": self.link.f1,
            "division_precision": self.division.precision,
            "division_recall": self.division.recall,
            "division_f1": self.division.f1,
            "complete_tracks": self.complete.fraction,
            "ct": self.complete.ct,
            "tra": self.tra.tra,
            "aogm": self.tra.aogm,
        }

    def __str__(self) -> str:
        rows = [f"{k:<20s} {v:.4f}" for k, v in self.to_dict().items()]
        return "\n".join(rows)


def _ratio(numerator: float, denominator: float, both_empty: bool) -> float:
    if both_empty:
        return 1.0
    return float(numerator / denominator) if denominator else 0.0


def _scores(tp: int, n_true: int, n_pred: int) -> Scores:
    empty = n_true == 0 and n_pred == 0
    return Scores(
        precision=_ratio(tp, n_pred, empty),
        recall=_ratio(tp, n_true, empty),
        f1=_ratio(2 * tp, n_true + n_pred, empty),
        tp=int(tp),
        fp=int(n_pred - tp),
        fn=int(n_true - tp),
    )


# --- the track graph ----------------------------------------------------------------------
@dataclass
class _Graph:
    """A track table as a graph: vertices are rows (positions), edges are links."""

    frames: np.ndarray  # (n,) frame of each row
    track: np.ndarray  # (n,) track id of each row
    lineage: pd.DataFrame  # track_id, start, end, parent_id
    source: np.ndarray  # (e,) row positions
    target: np.ndarray  # (e,)
    kind: np.ndarray  # (e,) 0 = track link, 1 = parent link
    row_at: dict  # (track_id, frame) -> row position

    @property
    def n(self) -> int:
        return self.frames.size


def _graph(table: pd.DataFrame) -> _Graph:
    lineage = lineage_from_tracks(table)
    frames = table["frame"].to_numpy(np.float64).astype(np.int64)
    track = table["track_id"].to_numpy(np.int64)
    order = np.lexsort((frames, track))
    same = track[order][1:] == track[order][:-1]
    source, target = [order[:-1][same]], [order[1:][same]]
    kind = [np.zeros(int(same.sum()), np.int64)]
    row_at = dict(
        zip(zip(track.tolist(), frames.tolist(), strict=True), range(track.size), strict=True)
    )
    children = lineage[lineage["parent_id"] > 0]
    ends = dict(zip(lineage["track_id"].tolist(), lineage["end"].tolist(), strict=True))
    if len(children):
        source.append(
            np.array([row_at[(p, ends[p])] for p in children["parent_id"].tolist()], dtype=np.int64)
        )
        target.append(
            np.array(
                [row_at[(c, s)] for c, s in children[["track_id", "start"]].to_numpy().tolist()],
                dtype=np.int64,
            )
        )
        kind.append(np.ones(len(children), np.int64))
    return _Graph(
        frames=frames,
        track=track,
        lineage=lineage,
        source=np.concatenate(source),
        target=np.concatenate(target),
        kind=np.concatenate(kind),
        row_at=row_at,
    )


@dataclass
class _Matched:
    true: _Graph
    pred: _Graph
    pairs_true: np.ndarray  # all matched pairs (may be many true to one pred)
    pairs_pred: np.ndarray
    pred_to_true: np.ndarray  # (n_pred,) true row of a uniquely matched pred row, else -1
    true_to_pred: np.ndarray  # (n_true,) likewise


def _match_by_distance(true, pred, true_pos, pred_pos, max_distance):
    rows_t, rows_p = [], []
    true_order = np.argsort(true.frames, kind="stable")
    pred_order = np.argsort(pred.frames, kind="stable")
    t_frames, p_frames = true.frames[true_order], pred.frames[pred_order]
    for frame in np.intersect1d(t_frames, p_frames):
        ti = true_order[
            np.searchsorted(t_frames, frame) : np.searchsorted(t_frames, frame, "right")
        ]
        pi = pred_order[
            np.searchsorted(p_frames, frame) : np.searchsorted(p_frames, frame, "right")
        ]
        i, j, distance = _pairs_within(true_pos[ti], pred_pos[pi], max_distance)
        # minimise the summed distance; leaving a point unmatched costs max_distance, so
        # every pair within the gate is preferred to no pair. With max_distance 0 only
        # points at distance 0 are in the gate: a link of cost 0 must still beat leaving
        # both points unmatched (0 + 0), so leaving one costs 1 there
        unmatched = max_distance if max_distance > 0 else 1.0
        i, j = _solve_assignment(
            i, j, distance, np.full(ti.size, unmatched), np.full(pi.size, unmatched)
        )
        rows_t.append(ti[i])
        rows_p.append(pi[j])
    if not rows_t:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows_t), np.concatenate(rows_p)


def _label_rows(table, labels, name):
    """``{frame: (sorted labels, their rows)}``, checking every label is in the image."""
    frames = table["frame"].to_numpy(np.float64).astype(np.int64)
    values = table["label"].to_numpy()
    if not pd.api.types.is_integer_dtype(table["label"]):
        raise ValueError(f"{name}['label'] must hold integers; got dtype {table['label'].dtype}")
    if frames.size and frames.max() >= labels.shape[0]:
        raise ValueError(
            f"{name} reaches frame {frames.max()} but its label images have only "
            f"{labels.shape[0]} frames"
        )
    out = {}
    for frame in np.unique(frames):
        rows = np.flatnonzero(frames == frame)
        order = np.argsort(values[rows], kind="stable")
        present = np.unique(labels[frame])
        missing = np.setdiff1d(values[rows], present)
        if missing.size:
            raise ValueError(
                f"{name} has label {int(missing[0])} in frame {frame}, which its label image "
                "does not contain"
            )
        out[int(frame)] = (values[rows][order], rows[order])
    return out


def _match_by_overlap(true_table, pred_table, true_labels, pred_labels):
    true_rows = _label_rows(true_table, true_labels, "true_tracks")
    pred_rows = _label_rows(pred_table, pred_labels, "pred_tracks")
    rows_t, rows_p = [], []
    for frame in sorted(set(true_rows) & set(pred_rows)):
        t_ids, t_rows = true_rows[frame]
        p_ids, p_rows = pred_rows[frame]
        a, b, inter = _overlaps(true_labels[frame], pred_labels[frame])
        area = np.bincount(true_labels[frame].ravel().astype(np.int64))
        # the CTC rule: the predicted object covers more than half of the true object
        keep = (2 * inter > area[a]) & np.isin(a, t_ids) & np.isin(b, p_ids)
        rows_t.append(t_rows[np.searchsorted(t_ids, a[keep])])
        rows_p.append(p_rows[np.searchsorted(p_ids, b[keep])])
    if not rows_t:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows_t), np.concatenate(rows_p)


def _match(
    true_tracks, pred_tracks, max_distance, true_labels, pred_labels, coordinates
) -> _Matched:
    by_overlap = true_labels is not None or pred_labels is not None
    if by_overlap and max_distance is not None:
        raise ValueError(
            "match either by distance (max_distance) or by overlap (true_labels and "
            "pred_labels), not both"
        )
    if by_overlap and (true_labels is None or pred_labels is None):
        raise ValueError("matching by overlap needs both true_labels and pred_labels")
    if not by_overlap and max_distance is None:
        raise ValueError(
            "give max_distance (in pixels) to match detections by position, or true_labels "
            "and pred_labels to match them by overlap"
        )
    columns = ["label"] if by_overlap else _check_coordinates(coordinates)
    true_table = _check_tracks(true_tracks, columns, "true_tracks")
    pred_table = _check_tracks(pred_tracks, columns, "pred_tracks")
    true, pred = _graph(true_table), _graph(pred_table)
    if by_overlap:
        true_labels = _check_label_stack(true_labels, "true_labels")
        pred_labels = _check_label_stack(pred_labels, "pred_labels")
        if true_labels.shape != pred_labels.shape:
            raise ValueError(
                f"true_labels and pred_labels must have the same shape (T, Y, X); got "
                f"{true_labels.shape} and {pred_labels.shape}"
            )
        pairs_true, pairs_pred = _match_by_overlap(true_table, pred_table, true_labels, pred_labels)
    else:
        if not _is_real(max_distance) or not np.isfinite(max_distance) or max_distance < 0:
            raise ValueError(f"max_distance must be a finite number >= 0; got {max_distance!r}")
        true_pos = _check_positions(true_table, columns, "true_tracks")
        pred_pos = _check_positions(pred_table, columns, "pred_tracks")
        pairs_true, pairs_pred = _match_by_distance(
            true, pred, true_pos, pred_pos, float(max_distance)
        )
    per_pred = np.bincount(pairs_pred, minlength=pred.n)
    unique = per_pred[pairs_pred] == 1
    pred_to_true = np.full(pred.n, -1, dtype=np.int64)
    true_to_pred = np.full(true.n, -1, dtype=np.int64)
    pred_to_true[pairs_pred[unique]] = pairs_true[unique]
    true_to_pred[pairs_true[unique]] = pairs_pred[unique]
    return _Matched(true, pred, pairs_true, pairs_pred, pred_to_true, true_to_pred)


# --- public API ---------------------------------------------------------------------------
def match_detections(
    true_tracks,
    pred_tracks,
    max_distance=None,
    *,
    true_labels=None,
    pred_labels=None,
    coordinates=("y", "x"),
) -> pd.DataFrame:
    """Pair the true and predicted detections of each frame.

    Parameters
    ----------
    true_tracks, pred_tracks : pandas.DataFrame
        Track tables with ``frame, track_id, parent_id`` and the position
        ``coordinates`` (matching by distance) or ``label`` (matching by
        overlap). Each track must have one ``parent_id``; a parent must end
        before its daughters start.
    max_distance : float, optional
        Match detections by position: largest distance in pixels between a
        true and a predicted detection of the same cell.
    true_labels, pred_labels : (T, Y, X) ndarray of int, optional
        Match detections by overlap instead: the label images the tables'
        ``label`` column refers to (CTC rule: more than half of the true
        object covered).
    coordinates : tuple of str
        Position columns, ``("y", "x")`` by default.

    Returns
    -------
    pandas.DataFrame
        One row per matched pair, columns ``frame, true_row, pred_row``:
        the frame and the positions (``.iloc``) of the two rows in their
        tables, sorted by frame. Matching by distance is one-to-one; by
        overlap one predicted row may appear with several true rows.

    Raises
    ------
    TypeError, ValueError
        On malformed tables, or if neither or both matching modes are given.

    Examples
    --------
    >>> true = pd.DataFrame({"frame": [0, 0], "y": [0.0, 10.0], "x": [0.0, 0.0],
    ...                      "track_id": [1, 2], "parent_id": [0, 0]})
    >>> pred = pd.DataFrame({"frame": [0], "y": [9.0], "x": [1.0],
    ...                      "track_id": [7], "parent_id": [0]})
    >>> match_detections(true, pred, max_distance=3).to_numpy().tolist()
    [[0, 1, 0]]
    """
    matched = _match(true_tracks, pred_tracks, max_distance, true_labels, pred_labels, coordinates)
    order = np.lexsort((matched.pairs_true, matched.true.frames[matched.pairs_true]))
    return pd.DataFrame(
        {
            "frame": matched.true.frames[matched.pairs_true][order],
            "true_row": matched.pairs_true[order],
            "pred_row": matched.pairs_pred[order],
        }
    )


def _detection_scores(m: _Matched) -> Scores:
    return _scores(int((m.true_to_pred >= 0).sum()), m.true.n, m.pred.n)


def _edge_keys(graph_source, graph_target, n):
    return graph_source.astype(np.int64) * max(n, 1) + graph_target


def _mapped_edges(m: _Matched):
    """Predicted edges between uniquely matched vertices, expressed as true row pairs."""
    s, t = m.pred_to_true[m.pred.source], m.pred_to_true[m.pred.target]
    inside = (s >= 0) & (t >= 0)
    return inside, _edge_keys(s[inside], t[inside], m.true.n)


def _link_scores(m: _Matched, annotated_only: bool = False) -> Scores:
    true_keys = _edge_keys(m.true.source, m.true.target, m.true.n)
    _, mapped = _mapped_edges(m)
    tp = int(np.isin(mapped, true_keys).sum())
    n_pred = mapped.size if annotated_only else m.pred.source.size
    return _scores(tp, true_keys.size, n_pred)


def _division_list(graph: _Graph):
    """``[(mother, end frame, [(daughter, start frame), ...])]`` for tracks with >= 2 daughters."""
    lineage = graph.lineage
    children = lineage[lineage["parent_id"] > 0].groupby("parent_id")
    ends = dict(zip(lineage["track_id"].tolist(), lineage["end"].tolist(), strict=True))
    out = []
    for mother, group in children:
        if len(group) >= 2:
            daughters = list(zip(group["track_id"].tolist(), group["start"].tolist(), strict=True))
            out.append((int(mother), ends[int(mother)], daughters))
    return out


def _same_cell(m: _Matched, true_track, pred_track, frame) -> bool:
    """Is the true track's detection at ``frame`` uniquely matched to the predicted one's?"""
    t = m.true.row_at.get((true_track, frame))
    p = m.pred.row_at.get((pred_track, frame))
    return t is not None and p is not None and m.pred_to_true[p] == t


def _divisions_match(m: _Matched, true_div, pred_div, tolerance: int) -> bool:
    mother, t_end, daughters = true_div
    p_mother, p_end, p_daughters = pred_div
    if len(daughters) != len(p_daughters) or abs(t_end - p_end) > tolerance:
        return False
    if not _same_cell(m, mother, p_mother, min(t_end, p_end)):
        return False
    used = set()
    for daughter, start in daughters:
        for p_daughter, p_start in p_daughters:
            if p_daughter in used or abs(start - p_start) > tolerance:
                continue
            if _same_cell(m, daughter, p_daughter, max(start, p_start)):
                used.add(p_daughter)
                break
        else:
            return False
    return True


def _division_scores(m: _Matched, tolerance: int) -> Scores:
    true_divs, pred_divs = _division_list(m.true), _division_list(m.pred)
    rows, cols, costs = [], [], []
    for i, true_div in enumerate(true_divs):
        for j, pred_div in enumerate(pred_divs):
            if _divisions_match(m, true_div, pred_div, tolerance):
                rows.append(i)
                cols.append(j)
                costs.append(abs(true_div[1] - pred_div[1]))
    # one predicted division per true one: the most pairs, then the smallest time offsets
    alternative = float(tolerance + 1)
    i, _ = _solve_assignment(
        rows,
        cols,
        costs,
        np.full(len(true_divs), alternative),
        np.full(len(pred_divs), alternative),
    )
    return _scores(int(i.size), len(true_divs), len(pred_divs))


def _complete_tracks(m: _Matched) -> CompleteTracks:
    true_tracks = m.true.lineage["track_id"].to_numpy()
    pred_span = m.pred.lineage.set_index("track_id")[["start", "end"]]
    mapped_track = np.zeros(m.true.n, dtype=np.int64)
    found = m.true_to_pred >= 0
    mapped_track[found] = m.pred.track[m.true_to_pred[found]]
    table = pd.DataFrame({"track": m.true.track, "pred": mapped_track})
    grouped = table.groupby("track")["pred"].agg(["min", "max"])
    single = grouped[(grouped["min"] == grouped["max"]) & (grouped["min"] > 0)]
    true_span = m.true.lineage.set_index("track_id").loc[single.index, ["start", "end"]]
    spans = pred_span.loc[single["min"].to_numpy()].to_numpy()
    n_complete = int((true_span.to_numpy() == spans).all(axis=1).sum())
    n_true, n_pred = true_tracks.size, len(m.pred.lineage)
    empty = n_true == 0 and n_pred == 0
    return CompleteTracks(
        fraction=_ratio(n_complete, n_true, empty),
        ct=_ratio(2 * n_complete, n_true + n_pred, empty),
        n_complete=n_complete,
        n_true=int(n_true),
        n_pred=int(n_pred),
    )


def _tra(m: _Matched) -> TraScore:
    per_pred = np.bincount(m.pairs_pred, minlength=m.pred.n)
    ns = int(np.maximum(per_pred - 1, 0).sum())
    fn = int(m.true.n - np.unique(m.pairs_true).size)
    fp = int((per_pred == 0).sum())
    true_keys = _edge_keys(m.true.source, m.true.target, m.true.n)
    inside, mapped = _mapped_edges(m)
    found = np.isin(mapped, true_keys)
    ed = int((~found).sum())
    ea = int(true_keys.size - found.sum())
    true_kind = dict(zip(true_keys.tolist(), m.true.kind.tolist(), strict=True))
    pred_kind = m.pred.kind[inside][found]
    ec = int(
        sum(
            true_kind[k] != kind
            for k, kind in zip(mapped[found].tolist(), pred_kind.tolist(), strict=True)
        )
    )
    w = AOGM_WEIGHTS
    aogm = w["NS"] * ns + w["FN"] * fn + w["FP"] * fp + w["ED"] * ed + w["EA"] * ea + w["EC"] * ec
    aogm0 = w["FN"] * m.true.n + w["EA"] * true_keys.size
    if aogm0 == 0:
        tra = 1.0 if aogm == 0 else 0.0
    else:
        tra = 1.0 - min(aogm, aogm0) / aogm0
    return TraScore(
        tra=float(tra),
        aogm=float(aogm),
        aogm0=float(aogm0),
        ns=ns,
        fn=fn,
        fp=fp,
        ed=ed,
        ea=ea,
        ec=ec,
        n_vertices=int(m.true.n),
        n_edges=int(true_keys.size),
    )


def _check_flag(value, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _check_tolerance(tolerance) -> int:
    if not _is_int(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be an integer >= 0 (frames); got {tolerance!r}")
    return int(tolerance)


def detection_scores(
    true_tracks,
    pred_tracks,
    max_distance=None,
    *,
    true_labels=None,
    pred_labels=None,
    coordinates=("y", "x"),
) -> Scores:
    """Precision, recall and F1 of the detections.

    A true detection is found when it is matched (one to one) to a predicted
    detection of the same frame.

    Parameters
    ----------
    true_tracks, pred_tracks : pandas.DataFrame
        Track tables with ``frame, track_id, parent_id`` and the position
        ``coordinates`` (matching by distance) or ``label`` (matching by
        overlap). Each track must have one ``parent_id``; a parent must end
        before its daughters start.
    max_distance : float, optional
        Match detections by position: largest distance in pixels between a
        true and a predicted detection of the same cell.
    true_labels, pred_labels : (T, Y, X) ndarray of int, optional
        Match detections by overlap instead: the label images the tables'
        ``label`` column refers to (CTC rule: more than half of the true
        object covered).
    coordinates : tuple of str
        Position columns, ``("y", "x")`` by default.

    Returns
    -------
    Scores

    Examples
    --------
    >>> true = pd.DataFrame({"frame": [0, 1], "y": [0.0, 0.0], "x": [0.0, 1.0],
    ...                      "track_id": [1, 1], "parent_id": [0, 0]})
    >>> pred = true.iloc[:1]
    >>> detection_scores(true, pred, max_distance=2).recall
    0.5
    """
    m = _match(true_tracks, pred_tracks, max_distance, true_labels, pred_labels, coordinates)
    return _detection_scores(m)


def link_scores(
    true_tracks,
    pred_tracks,
    max_distance=None,
    *,
    annotated_only=False,
    true_labels=None,
    pred_labels=None,
    coordinates=("y", "x"),
) -> Scores:
    """Precision, recall and F1 of the links (edges) between detections.

    The links of a track table are the steps from each detection to the next
    detection of its track, plus one from the last detection of a mother to
    the first of each daughter. A predicted link is a true positive when both
    its ends are matched to the ends of a true link. Precision is then the
    fraction of predicted links that are right, recall the fraction of true
    links that were found (traccuracy's edge precision and recall).

    When the ground truth annotates only some of the cells, links between
    unannotated detections are neither right nor wrong: ``annotated_only=True``
    counts only the predicted links whose two ends are matched to true
    detections (precision among the annotated cells). Recall is unchanged.

    Parameters
    ----------
    true_tracks, pred_tracks : pandas.DataFrame
        Track tables with ``frame, track_id, parent_id`` and the position
        ``coordinates`` (matching by distance) or ``label`` (matching by
        overlap). Each track must have one ``parent_id``; a parent must end
        before its daughters start.
    max_distance : float, optional
        Match detections by position: largest distance in pixels between a
        true and a predicted detection of the same cell.
    true_labels, pred_labels : (T, Y, X) ndarray of int, optional
        Match detections by overlap instead: the label images the tables'
        ``label`` column refers to (CTC rule: more than half of the true
        object covered).
    coordinates : tuple of str
        Position columns, ``("y", "x")`` by default.
    annotated_only : bool
        Count only predicted links between matched detections (sparse ground
        truth).

    Returns
    -------
    Scores

    Examples
    --------
    One cell over three frames, linked as two tracks (one link missing):

    >>> true = pd.DataFrame({"frame": [0, 1, 2], "y": [0.0, 0.0, 0.0], "x": [0.0, 1.0, 2.0],
    ...                      "track_id": [1, 1, 1], "parent_id": [0, 0, 0]})
    >>> pred = true.assign(track_id=[1, 1, 2])
    >>> s = link_scores(true, pred, max_distance=0.5)
    >>> s.precision, s.recall, s.fn
    (1.0, 0.5, 1)
    """
    annotated_only = _check_flag(annotated_only, "annotated_only")
    m = _match(true_tracks, pred_tracks, max_distance, true_labels, pred_labels, coordinates)
    return _link_scores(m, annotated_only)


def division_scores(
    true_tracks,
    pred_tracks,
    max_distance=None,
    *,
    tolerance=0,
    true_labels=None,
    pred_labels=None,
    coordinates=("y", "x"),
) -> Scores:
    """Precision, recall and F1 of cell divisions.

    A division is a track with two or more daughters. A predicted division
    (mother P ending at frame s) matches a true one (mother M ending at t)
    when they have as many daughters, ``|s - t| <= tolerance``, P and M are
    the same cell at frame ``min(s, t)``, and each true daughter is the same
    cell as a different predicted daughter at the later of their two start
    frames, the starts being at most ``tolerance`` apart. Pairs are then made
    one to one. With ``tolerance=0`` this is traccuracy's division metric and
    the CTC's branching correctness BC(0); larger tolerances forgive a
    division found a frame early or late, as BC(i).

    Parameters
    ----------
    true_tracks, pred_tracks : pandas.DataFrame
        Track tables with ``frame, track_id, parent_id`` and the position
        ``coordinates`` (matching by distance) or ``label`` (matching by
        overlap). Each track must have one ``parent_id``; a parent must end
        before its daughters start.
    max_distance : float, optional
        Match detections by position: largest distance in pixels between a
        true and a predicted detection of the same cell.
    true_labels, pred_labels : (T, Y, X) ndarray of int, optional
        Match detections by overlap instead: the label images the tables'
        ``label`` column refers to (CTC rule: more than half of the true
        object covered).
    coordinates : tuple of str
        Position columns, ``("y", "x")`` by default.
    tolerance : int
        Frames by which a predicted division may be early or late.

    Returns
    -------
    Scores

    Examples
    --------
    A mother (track 1) divides into tracks 2 and 3; the prediction misses it:

    >>> true = pd.DataFrame({"frame": [0, 1, 1], "y": [5.0, 2.0, 8.0], "x": [5.0, 5.0, 5.0],
    ...                      "track_id": [1, 2, 3], "parent_id": [0, 1, 1]})
    >>> pred = true.assign(track_id=[1, 1, 2], parent_id=[0, 0, 0])
    >>> s = division_scores(true, pred, max_distance=1)
    >>> s.recall, s.fn
    (0.0, 1)
    """
    tolerance = _check_tolerance(tolerance)
    m = _match(true_tracks, pred_tracks, max_distance, true_labels, pred_labels, coordinates)
    return _division_scores(m, tolerance)


def complete_tracks(
    true_tracks,
    pred_tracks,
    max_distance=None,
    *,
    true_labels=None,
    pred_labels=None,
    coordinates=("y", "x"),
) -> CompleteTracks:
    """How many true tracks were reconstructed entirely.

    A true track is complete when every one of its detections is matched
    (one to one) to a detection of the same predicted track, and that
    predicted track starts and ends in the same frames (the CTC's definition
    behind CT). ``fraction`` ignores extra predicted tracks; CT charges them.

    Parameters
    ----------
    true_tracks, pred_tracks : pandas.DataFrame
        Track tables with ``frame, track_id, parent_id`` and the position
        ``coordinates`` (matching by distance) or ``label`` (matching by
        overlap). Each track must have one ``parent_id``; a parent must end
        before its daughters start.
    max_distance : float, optional
        Match detections by position: largest distance in pixels between a
        true and a predicted detection of the same cell.
    true_labels, pred_labels : (T, Y, X) ndarray of int, optional
        Match detections by overlap instead: the label images the tables'
        ``label`` column refers to (CTC rule: more than half of the true
        object covered).
    coordinates : tuple of str
        Position columns, ``("y", "x")`` by default.

    Returns
    -------
    CompleteTracks

    Examples
    --------
    >>> true = pd.DataFrame({"frame": [0, 1, 2], "y": [0.0, 0.0, 0.0], "x": [0.0, 1.0, 2.0],
    ...                      "track_id": [1, 1, 1], "parent_id": [0, 0, 0]})
    >>> complete_tracks(true, true, max_distance=0.5).fraction
    1.0
    >>> complete_tracks(true, true.assign(track_id=[1, 1, 2]), max_distance=0.5).fraction
    0.0
    """
    m = _match(true_tracks, pred_tracks, max_distance, true_labels, pred_labels, coordinates)
    return _complete_tracks(m)


def tra_score(
    true_tracks,
    pred_tracks,
    max_distance=None,
    *,
    true_labels=None,
    pred_labels=None,
    coordinates=("y", "x"),
) -> TraScore:
    """The Cell Tracking Challenge tracking accuracy TRA (Matula et al. 2015).

    Both results are acyclic oriented graphs: detections are vertices; links
    to the next detection of a track and from a mother to its daughters are
    edges of two kinds. The AOGM counts the edits that turn the predicted
    graph into the true one, each with its weight (:data:`AOGM_WEIGHTS`):
    splitting a merged vertex (NS, 5), adding a missed vertex (FN, 10),
    deleting a spurious one (FP, 1), deleting an edge (ED, 1), adding an edge
    (EA, 1.5) and changing an edge's kind (EC, 1). Edges are compared between
    uniquely matched vertices only. Then ``TRA = 1 - min(AOGM, AOGM0) /
    AOGM0``, where AOGM0 is the cost of building the true graph from nothing.

    Parameters
    ----------
    true_tracks, pred_tracks : pandas.DataFrame
        Track tables with ``frame, track_id, parent_id`` and the position
        ``coordinates`` (matching by distance) or ``label`` (matching by
        overlap). Each track must have one ``parent_id``; a parent must end
        before its daughters start.
    max_distance : float, optional
        Match detections by position: largest distance in pixels between a
        true and a predicted detection of the same cell.
    true_labels, pred_labels : (T, Y, X) ndarray of int, optional
        Match detections by overlap instead: the label images the tables'
        ``label`` column refers to (CTC rule: more than half of the true
        object covered).
    coordinates : tuple of str
        Position columns, ``("y", "x")`` by default.

    Returns
    -------
    TraScore

    Notes
    -----
    The CTC matches by overlap (its ground truth is markers inside cells); by
    distance every match is one to one, so NS is 0. The counts agree with
    the CTC's reference implementation py-ctcmetrics on CTC folders.

    References
    ----------
    .. [1] Matula, P. et al. (2015). Cell tracking accuracy measurement based
       on comparison of acyclic oriented graphs. PLoS ONE 10, e0144959.
       :doi:`10.1371/journal.pone.0144959`

    Examples
    --------
    >>> true = pd.DataFrame({"frame": [0, 1, 2], "y": [0.0, 0.0, 0.0], "x": [0.0, 1.0, 2.0],
    ...                      "track_id": [1, 1, 1], "parent_id": [0, 0, 0]})
    >>> tra_score(true, true, max_distance=0.5).tra
    1.0
    >>> score = tra_score(true, true.assign(track_id=[1, 1, 2]), max_distance=0.5)
    >>> score.ea, score.aogm, score.aogm0  # one edge to add, of 30 + 3
    (1, 1.5, 33.0)
    """
    m = _match(true_tracks, pred_tracks, max_distance, true_labels, pred_labels, coordinates)
    return _tra(m)


def tracking_scores(
    true_tracks,
    pred_tracks,
    max_distance=None,
    *,
    tolerance=0,
    annotated_only=False,
    true_labels=None,
    pred_labels=None,
    coordinates=("y", "x"),
) -> TrackingScores:
    """All tracking scores from one matching of the detections.

    Parameters
    ----------
    true_tracks, pred_tracks : pandas.DataFrame
        Track tables with ``frame, track_id, parent_id`` and the position
        ``coordinates`` (matching by distance) or ``label`` (matching by
        overlap). Each track must have one ``parent_id``; a parent must end
        before its daughters start.
    max_distance : float, optional
        Match detections by position: largest distance in pixels between a
        true and a predicted detection of the same cell.
    true_labels, pred_labels : (T, Y, X) ndarray of int, optional
        Match detections by overlap instead: the label images the tables'
        ``label`` column refers to (CTC rule: more than half of the true
        object covered).
    coordinates : tuple of str
        Position columns, ``("y", "x")`` by default.
    tolerance : int
        Frame tolerance of the division scores.
    annotated_only : bool
        Link precision among matched detections only (see :func:`link_scores`);
        the other scores are unchanged.

    Returns
    -------
    TrackingScores
        ``detection``, ``link``, ``division`` (:class:`Scores`), ``complete``
        (:class:`CompleteTracks`) and ``tra`` (:class:`TraScore`);
        ``to_dict()`` gives the main numbers.

    Notes
    -----
    See chapter 09.

    Examples
    --------
    >>> true = pd.DataFrame({"frame": [0, 1, 2], "y": [0.0, 0.0, 0.0], "x": [0.0, 1.0, 2.0],
    ...                      "track_id": [1, 1, 1], "parent_id": [0, 0, 0]})
    >>> scores = tracking_scores(true, true, max_distance=0.5)
    >>> scores.link.f1, scores.tra.tra, scores.complete.fraction
    (1.0, 1.0, 1.0)
    """
    tolerance = _check_tolerance(tolerance)
    annotated_only = _check_flag(annotated_only, "annotated_only")
    m = _match(true_tracks, pred_tracks, max_distance, true_labels, pred_labels, coordinates)
    return TrackingScores(
        detection=_detection_scores(m),
        link=_link_scores(m, annotated_only),
        division=_division_scores(m, tolerance),
        complete=_complete_tracks(m),
        tra=_tra(m),
    )
