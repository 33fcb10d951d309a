"""Metrics for instance segmentation: match objects, then count (chapter 08).

A semantic score such as Dice looks at pixels; these scores look at objects.
Every function takes two label images of the same shape, ``true_labels`` (the
annotation) and ``pred_labels`` (a prediction): integer arrays where 0 is the
background and every other value is one object. Label values need not be
sequential and need not agree between the two images; only the pixels matter.

1. :func:`iou_matrix`: the intersection over union (IoU, Jaccard index) of
   every true object with every predicted object,
   ``IoU(t, p) = |t ∩ p| / |t ∪ p|``.
2. :func:`match_instances`: pair true and predicted objects one to one,
   keeping only pairs with ``IoU > threshold``. A matched pair is a true
   positive (TP), an unmatched predicted object a false positive (FP), an
   unmatched true object a false negative (FN). Then

   - precision = TP / (TP + FP): the fraction of predicted objects that are real;
   - recall = TP / (TP + FN): the fraction of real objects that were found;
   - F1 = 2 TP / (2 TP + FP + FN): their harmonic mean.

3. :func:`average_precision_dsb`: the 2018 Data Science Bowl score, the mean
   over IoU thresholds 0.5, 0.55, ..., 0.95 of TP / (TP + FP + FN).
4. :func:`panoptic_quality`: PQ = SQ x RQ, segmentation quality (mean IoU of
   the matches) times recognition quality (F1).
5. :func:`split_merge_counts`: which true objects were cut into pieces and
   which predicted objects swallowed several nuclei, for error analysis.

Empty images. A ratio with a zero denominator is 0.0 (as in
:mod:`cellcourse.metrics.classification`), except when both images are empty:
nothing to find and nothing found is a perfect result, and every score is 1.0.
So an empty prediction of a non-empty image has recall 0.0 and precision 0.0,
and predictions on an empty image have precision 0.0 and recall 0.0.

References
----------
.. [1] Caicedo, J. C. et al. (2019). Nucleus segmentation across imaging
   experiments: the 2018 Data Science Bowl. Nat Methods 16, 1247-1253.
   :doi:`10.1038/s41592-019-0612-7`
.. [2] Kirillov, A. et al. (2019). Panoptic segmentation. CVPR 2019, 9404-9413.
   arXiv:1801.00868. :doi:`10.1109/CVPR.2019.00963`
.. [3] Schmidt, U. et al. (2018). Cell detection with star-convex polygons.
   MICCAI 2018, 265-273. :doi:`10.1007/978-3-030-00934-2_30`
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from .._labels import check_label_image

__all__ = [
    "DsbScore",
    "InstanceMatch",
    "PanopticQuality",
    "SplitMerge",
    "average_precision_dsb",
    "iou_matrix",
    "match_instances",
    "panoptic_quality",
    "split_merge_counts",
]


# --- input checks -----------------------------------------------------------------------
def _check_labels(labels, name: str) -> np.ndarray:
    return check_label_image(labels, name, ndims=(2, 3), axes="(Y, X) or (Z, Y, X)")


def _check_pair(true_labels, pred_labels) -> tuple[np.ndarray, np.ndarray]:
    true_labels = _check_labels(true_labels, "true_labels")
    pred_labels = _check_labels(pred_labels, "pred_labels")
    if true_labels.shape != pred_labels.shape:
        raise ValueError(
            "expected true_labels and pred_labels of the same shape; "
            f"got {true_labels.shape} and {pred_labels.shape}"
        )
    return true_labels, pred_labels


def _check_threshold(threshold, name: str = "threshold") -> float:
    if (
        isinstance(threshold, bool | np.bool_)
        or not isinstance(threshold, int | float | np.integer | np.floating)
        or not 0.0 <= threshold < 1.0
    ):
        raise ValueError(f"expected {name} as a number in [0, 1) (an IoU); got {threshold!r}")
    return float(threshold)


# --- overlaps ---------------------------------------------------------------------------
def _compact(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat labels renumbered 0, 1..n (0 stays background), and the n original ids."""
    flat = labels.ravel().astype(np.int64, copy=False)
    largest = int(flat.max()) if flat.size else 0
    if largest <= 4 * flat.size + 1024:
        # a lookup table indexed by label value: linear time, no sort
        present = np.flatnonzero(np.bincount(flat, minlength=1)[1:]) + 1
        lut = np.zeros(largest + 1, dtype=np.int64)
        lut[present] = np.arange(1, len(present) + 1)
        return lut[flat], present
    # huge label values (e.g. hashed ids): a sort is cheaper than a giant table
    values, inverse = np.unique(flat, return_inverse=True)
    if values[0] == 0:
        return inverse.astype(np.int64), values[1:]
    return inverse.astype(np.int64) + 1, values


def _overlaps(true_labels: np.ndarray, pred_labels: np.ndarray):
    """Pixel counts of every (true, pred) intersection, object areas and ids.

    Returns ``intersection (n_true, n_pred)``, ``true_area (n_true,)``,
    ``pred_area (n_pred,)``, ``true_ids (n_true,)``, ``pred_ids (n_pred,)``.
    """
    t, true_ids = _compact(true_labels)
    p, pred_ids = _compact(pred_labels)
    n_true, n_pred = len(true_ids), len(pred_ids)
    # joint histogram of label pairs: pixel (t, p) lands in bin t * (n_pred + 1) + p,
    # so one bincount counts every intersection at once (row/column 0 = background)
    joint = np.bincount(t * (n_pred + 1) + p, minlength=(n_true + 1) * (n_pred + 1))
    joint = joint.reshape(n_true + 1, n_pred + 1)
    true_area = joint[1:, :].sum(axis=1)
    pred_area = joint[:, 1:].sum(axis=0)
    return joint[1:, 1:], true_area, pred_area, true_ids, pred_ids


def _iou(intersection, true_area, pred_area) -> np.ndarray:
    union = true_area[:, None] + pred_area[None, :] - intersection
    # every object has at least one pixel, so no union is zero
    return intersection / np.maximum(union, 1)


def iou_matrix(true_labels, pred_labels, return_labels: bool = False):
    """Intersection over union of every true object with every predicted object.

    Parameters
    ----------
    true_labels : (Y, X) or (Z, Y, X) ndarray of int
        Annotated objects, 0 = background. Label values may have gaps.
    pred_labels : ndarray of int, same shape as ``true_labels``
        Predicted objects, 0 = background.
    return_labels : bool
        Also return the label values that the rows and columns stand for.

    Returns
    -------
    iou : (n_true, n_pred) ndarray of float64
        ``iou[i, j] = |t_i ∩ p_j| / |t_i ∪ p_j|``, where ``t_i`` is the i-th
        smallest label value present in ``true_labels`` and ``p_j`` the j-th
        in ``pred_labels``. Zero for objects that do not touch.
    true_ids : (n_true,) ndarray of int64
        Only with ``return_labels=True``: the label value of each row.
    pred_ids : (n_pred,) ndarray of int64
        Only with ``return_labels=True``: the label value of each column.

    Raises
    ------
    ValueError
        If the shapes differ or are not 2-D or 3-D, or a label is negative.
    TypeError
        If the labels are not integers (floats, booleans).

    Notes
    -----
    Vectorised: one ``np.bincount`` over the pixels counts every intersection
    at once (a joint histogram of label pairs), so the cost grows with the
    number of pixels plus ``n_true * n_pred``, with no loop over objects.
    See chapter 08.

    Examples
    --------
    >>> true = np.array([[1, 1, 0, 0],
    ...                  [1, 1, 0, 2]])
    >>> pred = np.array([[5, 5, 5, 0],
    ...                  [5, 5, 0, 0]])
    >>> iou_matrix(true, pred)        # object 1: 4 shared pixels of 5 in the union
    array([[0.8],
           [0. ]])
    >>> iou, true_ids, pred_ids = iou_matrix(true, pred, return_labels=True)
    >>> pred_ids
    array([5])
    """
    true_labels, pred_labels = _check_pair(true_labels, pred_labels)
    intersection, true_area, pred_area, true_ids, pred_ids = _overlaps(true_labels, pred_labels)
    iou = _iou(intersection, true_area, pred_area)
    if return_labels:
        return iou, true_ids, pred_ids
    return iou


# --- matching ---------------------------------------------------------------------------
def _match(iou: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of a one-to-one matching that keeps only ``iou > threshold``.

    Maximises the number of pairs, then the sum of their IoU.
    """
    if threshold >= 0.5:
        # IoU > 0.5 is one-to-one by itself: if t had IoU > 0.5 with p1 and p2,
        # |t ∩ p1| > |t ∪ p1| / 2 >= |t| / 2 and the same for p2, so the disjoint
        # p1 and p2 would hold more than all of t. No assignment problem to solve.
        rows, cols = np.nonzero(iou > threshold)
        return rows, cols
    candidate = iou > threshold
    rows = np.flatnonzero(candidate.any(axis=1))
    cols = np.flatnonzero(candidate.any(axis=0))
    if len(rows) == 0:
        return rows, cols[:0]
    sub_iou = iou[np.ix_(rows, cols)]
    allowed = sub_iou > threshold
    # cost of a pair: -1 for being a match, minus a tie-breaker below 1/2 in total
    # (IoU / (2 n), n = most pairs possible), so the optimum has the most matches
    # first and, among those, the largest total IoU (as in StarDist's matching)
    n_max = min(sub_iou.shape)
    cost = -allowed.astype(np.float64) - np.where(allowed, sub_iou, 0.0) / (2 * n_max)
    r, c = linear_sum_assignment(cost)
    keep = allowed[r, c]
    return rows[r[keep]], cols[c[keep]]


def _ratio(numerator: float, denominator: float, both_empty: bool) -> float:
    if both_empty:
        return 1.0
    return numerator / denominator if denominator > 0 else 0.0


@dataclass(frozen=True, eq=False)
class InstanceMatch:
    """The one-to-one matching of true and predicted objects at one IoU threshold.

    Made by :func:`match_instances`; see that function and the module
    docstring for the definitions and the conventions for empty images.

    Attributes
    ----------
    threshold : float
        A pair matches when its IoU is greater than this.
    n_true, n_pred : int
        Number of true and predicted objects.
    tp, fp, fn : int
        Matched pairs; unmatched predicted objects; unmatched true objects.
    precision, recall, f1 : float
        ``TP / (TP + FP)``, ``TP / (TP + FN)``, ``2 TP / (2 TP + FP + FN)``.
    mean_matched_iou : float
        Mean IoU of the matched pairs; NaN when there is no pair.
    matched_true, matched_pred : (TP,) ndarray of int64
        Label values of the matched pairs, sorted by true label.
    matched_iou : (TP,) ndarray of float64
        IoU of each matched pair.
    unmatched_true : (FN,) ndarray of int64
        Labels of the true objects that were missed (false negatives).
    unmatched_pred : (FP,) ndarray of int64
        Labels of the predicted objects that match nothing (false positives).
    """

    threshold: float
    n_true: int
    n_pred: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    mean_matched_iou: float
    matched_true: np.ndarray = field(repr=False)
    matched_pred: np.ndarray = field(repr=False)
    matched_iou: np.ndarray = field(repr=False)
    unmatched_true: np.ndarray = field(repr=False)
    unmatched_pred: np.ndarray = field(repr=False)

    @property
    def pairs(self) -> list[tuple[int, int, float]]:
        """The matched pairs as ``(true label, predicted label, IoU)`` tuples."""
        return [
            (int(t), int(p), float(v))
            for t, p, v in zip(self.matched_true, self.matched_pred, self.matched_iou, strict=True)
        ]


def _instance_match(iou, true_ids, pred_ids, threshold: float) -> InstanceMatch:
    rows, cols = _match(iou, threshold)
    order = np.argsort(rows, kind="stable")
    rows, cols = rows[order], cols[order]
    n_true, n_pred = iou.shape
    tp = len(rows)
    fp, fn = n_pred - tp, n_true - tp
    both_empty = n_true == 0 and n_pred == 0
    matched_iou = iou[rows, cols].astype(np.float64)
    true_left = np.ones(n_true, dtype=bool)
    true_left[rows] = False
    pred_left = np.ones(n_pred, dtype=bool)
    pred_left[cols] = False
    return InstanceMatch(
        threshold=threshold,
        n_true=n_true,
        n_pred=n_pred,
        tp=tp,
        fp=fp,
        fn=fn,
        precision=_ratio(tp, tp + fp, both_empty),
        recall=_ratio(tp, tp + fn, both_empty),
        f1=_ratio(2 * tp, 2 * tp + fp + fn, both_empty),
        mean_matched_iou=float(matched_iou.mean()) if tp else math.nan,
        matched_true=true_ids[rows],
        matched_pred=pred_ids[cols],
        matched_iou=matched_iou,
        unmatched_true=true_ids[true_left],
        unmatched_pred=pred_ids[pred_left],
    )


def match_instances(true_labels, pred_labels, threshold=0.5) -> InstanceMatch:
    """Match true and predicted objects one to one, then count hits and misses.

    Parameters
    ----------
    true_labels : (Y, X) or (Z, Y, X) ndarray of int
        Annotated objects, 0 = background.
    pred_labels : ndarray of int, same shape as ``true_labels``
        Predicted objects, 0 = background.
    threshold : float
        A true and a predicted object can be matched only if their IoU is
        greater than this, in ``[0, 1)``. At 0.5 or more every object has at
        most one candidate partner; below 0.5 an object may overlap several,
        and the matching is still one to one.

    Returns
    -------
    InstanceMatch
        Counts (``tp``, ``fp``, ``fn``), ``precision``, ``recall``, ``f1``,
        ``mean_matched_iou``, and the label values of the matched and
        unmatched objects (``pairs`` lists ``(true, pred, IoU)``).

    Raises
    ------
    ValueError
        If the shapes differ, a label is negative or the threshold is outside
        ``[0, 1)``.
    TypeError
        If the labels are not integers.

    Notes
    -----
    Among all one-to-one pairings whose pairs have ``IoU > threshold``, the
    one with the most pairs is kept, and among those the one with the largest
    total IoU: an optimal assignment (``scipy.optimize.linear_sum_assignment``,
    the Hungarian method) as in StarDist [2]_. TP = pairs, FP = predicted
    objects left over, FN = true objects left over;
    precision = TP / (TP + FP), recall = TP / (TP + FN),
    F1 = 2 TP / (2 TP + FP + FN). A zero denominator gives 0.0, except when
    both images are empty: then precision, recall and F1 are 1.0 (nothing to
    find, nothing found). ``mean_matched_iou`` is NaN when no pair matched.
    See chapter 08.

    References
    ----------
    .. [1] Caicedo, J. C. et al. (2019). Nucleus segmentation across imaging
       experiments: the 2018 Data Science Bowl. Nat Methods 16, 1247-1253.
       :doi:`10.1038/s41592-019-0612-7`
    .. [2] Schmidt, U. et al. (2018). Cell detection with star-convex polygons.
       MICCAI 2018. :doi:`10.1007/978-3-030-00934-2_30`

    Examples
    --------
    >>> true = np.array([[1, 1, 0, 2, 2],
    ...                  [1, 1, 0, 2, 2]])
    >>> pred = np.array([[7, 7, 0, 0, 0],
    ...                  [7, 7, 0, 0, 3]])
    >>> m = match_instances(true, pred, threshold=0.5)
    >>> m.tp, m.fp, m.fn          # object 2 overlaps 3 with IoU 1/4 only
    (1, 1, 1)
    >>> m.precision, m.recall, m.f1
    (0.5, 0.5, 0.5)
    >>> m.pairs
    [(1, 7, 1.0)]
    >>> match_instances(true, pred, threshold=0.2).tp
    2
    """
    true_labels, pred_labels = _check_pair(true_labels, pred_labels)
    threshold = _check_threshold(threshold)
    intersection, true_area, pred_area, true_ids, pred_ids = _overlaps(true_labels, pred_labels)
    iou = _iou(intersection, true_area, pred_area)
    return _instance_match(iou, true_ids, pred_ids, threshold)


# --- summary scores ---------------------------------------------------------------------
class DsbScore(NamedTuple):
    """The 2018 Data Science Bowl score of one image (see :func:`average_precision_dsb`)."""

    ap: float
    """Mean of ``per_threshold``."""
    per_threshold: np.ndarray
    """(T,) ndarray of float64: ``TP / (TP + FP + FN)`` at each threshold."""


def average_precision_dsb(true_labels, pred_labels, thresholds=None) -> DsbScore:
    """The 2018 Data Science Bowl score: TP / (TP + FP + FN), averaged over IoU thresholds.

    Parameters
    ----------
    true_labels : (Y, X) or (Z, Y, X) ndarray of int
        Annotated objects, 0 = background.
    pred_labels : ndarray of int, same shape as ``true_labels``
        Predicted objects, 0 = background.
    thresholds : (T,) array_like of float, optional
        IoU thresholds in ``[0, 1)``; default ``0.5, 0.55, ..., 0.95``
        (``np.arange(0.5, 1.0, 0.05)``, ten values) as in the competition.

    Returns
    -------
    DsbScore
        A named tuple ``(ap, per_threshold)``: the mean score, and the
        ``(T,)`` scores ``TP(t) / (TP(t) + FP(t) + FN(t))`` at each threshold
        (matching as in :func:`match_instances`). Both images empty: 1.0.

    Raises
    ------
    ValueError
        If the shapes differ, a label is negative, or a threshold is outside
        ``[0, 1)``.
    TypeError
        If the labels are not integers.

    Notes
    -----
    The competition called ``TP / (TP + FP + FN)`` the "precision" at a
    threshold, and their mean "average precision"; it is not the area under a
    precision-recall curve (:func:`cellcourse.metrics.average_precision`),
    and it is stricter than F1 (StarDist calls it "accuracy"). Averaging over
    thresholds up to 0.95 rewards outlines that fit tightly. See chapter 08.

    References
    ----------
    .. [1] Caicedo, J. C. et al. (2019). Nucleus segmentation across imaging
       experiments: the 2018 Data Science Bowl. Nat Methods 16, 1247-1253.
       :doi:`10.1038/s41592-019-0612-7`

    Examples
    --------
    >>> true = np.zeros((10, 10), dtype=np.int32)
    >>> true[:, :5] = 1                      # one object of 50 pixels
    >>> pred = np.zeros_like(true)
    >>> pred[:, 1:6] = 1                     # shifted by one column: IoU 40 / 60
    >>> score = average_precision_dsb(true, pred)
    >>> score.per_threshold                  # a hit up to threshold 0.65
    array([1., 1., 1., 1., 0., 0., 0., 0., 0., 0.])
    >>> float(score.ap)
    0.4
    """
    true_labels, pred_labels = _check_pair(true_labels, pred_labels)
    if thresholds is None:
        thresholds = np.arange(0.5, 1.0, 0.05)
    try:
        thresholds = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(
            f"expected thresholds as a sequence of IoU values in [0, 1); got {thresholds!r}"
        ) from None
    if thresholds.size == 0:
        raise ValueError("expected at least one IoU threshold; got an empty thresholds array")
    for threshold in thresholds:
        _check_threshold(float(threshold), "every threshold")
    intersection, true_area, pred_area, true_ids, pred_ids = _overlaps(true_labels, pred_labels)
    iou = _iou(intersection, true_area, pred_area)
    per_threshold = np.empty(len(thresholds), dtype=np.float64)
    for i, threshold in enumerate(thresholds):  # a handful of thresholds, each vectorised
        m = _instance_match(iou, true_ids, pred_ids, float(threshold))
        per_threshold[i] = _ratio(m.tp, m.tp + m.fp + m.fn, m.n_true == m.n_pred == 0)
    return DsbScore(ap=float(per_threshold.mean()), per_threshold=per_threshold)


class PanopticQuality(NamedTuple):
    """Panoptic quality of one image (see :func:`panoptic_quality`)."""

    pq: float
    """``sq * rq``."""
    sq: float
    """Segmentation quality: mean IoU of the matched pairs."""
    rq: float
    """Recognition quality: ``TP / (TP + FP/2 + FN/2)``, that is F1."""


def panoptic_quality(true_labels, pred_labels, threshold=0.5) -> PanopticQuality:
    """Panoptic quality PQ = SQ x RQ: how well objects are found and outlined, in one number.

    Parameters
    ----------
    true_labels : (Y, X) or (Z, Y, X) ndarray of int
        Annotated objects, 0 = background.
    pred_labels : ndarray of int, same shape as ``true_labels``
        Predicted objects, 0 = background.
    threshold : float
        IoU above which a pair matches, in ``[0, 1)``; the paper uses 0.5.

    Returns
    -------
    PanopticQuality
        A named tuple ``(pq, sq, rq)``:
        ``SQ = sum of matched IoU / TP`` (how well matched objects are
        outlined), ``RQ = TP / (TP + FP/2 + FN/2)`` (the F1 of detection) and
        ``PQ = SQ * RQ = sum of matched IoU / (TP + FP/2 + FN/2)``. With no
        match SQ is 0.0 (and so is PQ); both images empty give 1.0 for all.

    Raises
    ------
    ValueError
        If the shapes differ, a label is negative or the threshold is outside
        ``[0, 1)``.
    TypeError
        If the labels are not integers.

    Notes
    -----
    Here for one class (nuclei) and one image; the paper averages over
    classes. See chapter 08.

    References
    ----------
    .. [1] Kirillov, A., He, K., Girshick, R., Rother, C. and Dollár, P.
       (2019). Panoptic segmentation. CVPR 2019, 9404-9413. arXiv:1801.00868.
       :doi:`10.1109/CVPR.2019.00963`

    Examples
    --------
    >>> true = np.zeros((10, 10), dtype=np.int32)
    >>> true[:, :5] = 1
    >>> pred = np.zeros_like(true)
    >>> pred[:, 1:6] = 1                     # IoU 2/3
    >>> pred[0, 9] = 2                       # a false positive
    >>> pq, sq, rq = panoptic_quality(true, pred)
    >>> round(sq, 4), round(rq, 4), round(pq, 4)   # rq = 1 / (1 + 1/2)
    (0.6667, 0.6667, 0.4444)
    """
    m = match_instances(true_labels, pred_labels, threshold)
    if m.n_true == 0 and m.n_pred == 0:
        return PanopticQuality(pq=1.0, sq=1.0, rq=1.0)
    sq = m.mean_matched_iou if m.tp else 0.0
    rq = m.f1
    return PanopticQuality(pq=sq * rq, sq=sq, rq=rq)


# --- error analysis ---------------------------------------------------------------------
@dataclass(frozen=True)
class SplitMerge:
    """Split and merge errors (see :func:`split_merge_counts`).

    Attributes
    ----------
    splits : dict of int to tuple of int
        Each true object cut into pieces: true label -> predicted labels of
        its pieces (sorted).
    merges : dict of int to tuple of int
        Each predicted object covering several nuclei: predicted label -> true
        labels it covers (sorted).
    """

    splits: dict[int, tuple[int, ...]]
    merges: dict[int, tuple[int, ...]]

    @property
    def n_splits(self) -> int:
        """Number of true objects split into two or more predicted objects."""
        return len(self.splits)

    @property
    def n_merges(self) -> int:
        """Number of predicted objects that merge two or more true objects."""
        return len(self.merges)


def _groups(part_of: np.ndarray, key_ids: np.ndarray, member_ids: np.ndarray) -> dict:
    """{key id: member ids} for each row of ``part_of`` (bool) with two or more members."""
    rows = np.flatnonzero(part_of.sum(axis=1) >= 2)
    return {
        int(key_ids[r]): tuple(int(i) for i in member_ids[np.flatnonzero(part_of[r])]) for r in rows
    }


def split_merge_counts(true_labels, pred_labels, min_overlap=0.5) -> SplitMerge:
    """Find over-segmentation (splits) and under-segmentation (merges).

    Parameters
    ----------
    true_labels : (Y, X) or (Z, Y, X) ndarray of int
        Annotated objects, 0 = background.
    pred_labels : ndarray of int, same shape as ``true_labels``
        Predicted objects, 0 = background.
    min_overlap : float
        In ``(0, 1)``. A predicted object is a piece of a true object when
        more than this fraction of the predicted object's pixels lie inside
        it; a true object is covered by a predicted object when more than this
        fraction of the true object's pixels lie inside it.

    Returns
    -------
    SplitMerge
        ``splits``: true objects with two or more pieces (true label ->
        predicted labels); ``merges``: predicted objects that cover two or
        more true objects (predicted label -> true labels); and their counts
        ``n_splits``, ``n_merges``.

    Raises
    ------
    ValueError
        If the shapes differ, a label is negative or ``min_overlap`` is
        outside ``(0, 1)``.
    TypeError
        If the labels are not integers.

    Notes
    -----
    With the default 0.5 ("more than half") every predicted object is a piece
    of at most one true object and every true object is covered by at most one
    predicted object. A split costs one false negative and usually one or more
    false positives at IoU 0.5; a merge costs false negatives. See chapter 08.

    Examples
    --------
    >>> true = np.array([[1, 1, 1, 1, 0, 2, 2, 0, 3, 3]])
    >>> pred = np.array([[4, 4, 5, 5, 0, 6, 6, 6, 6, 6]])
    >>> errors = split_merge_counts(true, pred)
    >>> errors.n_splits, errors.splits        # true 1 was cut into 4 and 5
    (1, {1: (4, 5)})
    >>> errors.n_merges, errors.merges        # pred 6 swallowed true 2 and 3
    (1, {6: (2, 3)})
    """
    true_labels, pred_labels = _check_pair(true_labels, pred_labels)
    if (
        isinstance(min_overlap, bool | np.bool_)
        or not isinstance(min_overlap, int | float | np.integer | np.floating)
        or not 0.0 < min_overlap < 1.0
    ):
        raise ValueError(f"expected min_overlap as a fraction in (0, 1); got {min_overlap!r}")
    intersection, true_area, pred_area, true_ids, pred_ids = _overlaps(true_labels, pred_labels)
    piece_of = intersection / np.maximum(pred_area, 1)[None, :] > min_overlap  # (n_true, n_pred)
    covered_by = intersection / np.maximum(true_area, 1)[:, None] > min_overlap
    return SplitMerge(
        splits=_groups(piece_of, true_ids, pred_ids),
        merges=_groups(covered_by.T, pred_ids, true_ids),
    )
