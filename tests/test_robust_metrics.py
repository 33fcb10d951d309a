"""Robustness of cellcourse.metrics: random label images and class maps, invariants that must hold.

Property-based (hypothesis, derandomized so CI is reproducible): a labelling
matched with itself scores 1.0 (both empty included, the documented
convention), scores do not change when the label values of either image are
permuted, swapping truth and prediction transposes what should transpose, and
Dice and Jaccard stay within their bounds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import BIG_LABEL, label_images, label_pairs, permute_labels

from cellcourse import metrics
from cellcourse.metrics import (
    average_precision_dsb,
    dice,
    foreground_dice,
    iou_matrix,
    jaccard,
    match_instances,
    panoptic_quality,
    split_merge_counts,
)

THRESHOLDS = st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.75, 0.9])


def _ids(labels) -> np.ndarray:
    return np.unique(np.asarray(labels)[np.asarray(labels) > 0]).astype(np.int64)


@st.composite
def _relabelled(draw, labels):
    """``labels`` with its values mapped to other distinct values, and the mapping."""
    ids = _ids(labels)
    base = draw(st.sampled_from([0, 2**40, BIG_LABEL - 400]))  # small, large, near 2**62
    new = draw(st.lists(st.integers(1, 300), min_size=ids.size, max_size=ids.size, unique=True))
    mapping = {i: base + n for i, n in zip(ids.tolist(), new, strict=True)}
    return permute_labels(labels, mapping), mapping


# --- a labelling matched with itself ------------------------------------------------------
@settings(max_examples=120, deadline=None, derandomize=True)
@given(labels=st.one_of(label_images(), label_images(max_side=5, ndim=3)), threshold=THRESHOLDS)
def test_a_labelling_matched_with_itself_is_perfect(labels, threshold):
    ids = _ids(labels)
    m = match_instances(labels, labels, threshold=threshold)
    assert (m.tp, m.fp, m.fn, m.n_true, m.n_pred) == (ids.size, 0, 0, ids.size, ids.size)
    assert m.precision == m.recall == m.f1 == 1.0  # also when both are empty
    assert m.pairs == [(int(i), int(i), 1.0) for i in ids]
    assert m.unmatched_true.size == m.unmatched_pred.size == 0
    if ids.size:
        assert m.mean_matched_iou == 1.0
    else:
        assert math.isnan(m.mean_matched_iou)

    score = average_precision_dsb(labels, labels)
    assert score.ap == 1.0
    np.testing.assert_array_equal(score.per_threshold, np.ones(10))
    assert tuple(panoptic_quality(labels, labels, threshold=threshold)) == (1.0, 1.0, 1.0)

    iou, true_ids, pred_ids = iou_matrix(labels, labels, return_labels=True)
    np.testing.assert_array_equal(iou, np.eye(ids.size))  # one label per pixel: disjoint
    np.testing.assert_array_equal(true_ids, ids)
    np.testing.assert_array_equal(pred_ids, ids)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(labels=label_images(), min_overlap=st.floats(0.01, 0.99))
def test_split_and_merge_counts_of_the_identity_are_zero(labels, min_overlap):
    errors = split_merge_counts(labels, labels, min_overlap=min_overlap)
    assert (errors.n_splits, errors.n_merges) == (0, 0)
    assert errors.splits == errors.merges == {}


# --- permuting label values ---------------------------------------------------------------
@settings(max_examples=120, deadline=None, derandomize=True)
@given(pair=label_pairs(), threshold=THRESHOLDS, data=st.data())
def test_scores_do_not_change_when_labels_are_permuted(pair, threshold, data):
    true, pred = pair
    true2, true_map = data.draw(_relabelled(true), label="true relabelled")
    pred2, pred_map = data.draw(_relabelled(pred), label="pred relabelled")
    for a, b in ((true2, pred), (true, pred2), (true2, pred2)):
        m, m2 = match_instances(true, pred, threshold), match_instances(a, b, threshold)
        assert (m2.tp, m2.fp, m2.fn, m2.n_true, m2.n_pred) == (m.tp, m.fp, m.fn, m.n_true, m.n_pred)
        assert (m2.precision, m2.recall, m2.f1) == (m.precision, m.recall, m.f1)
        # the matching maximises the total IoU: ties may pick other pairs, not another total
        np.testing.assert_allclose(
            m2.matched_iou.sum(), m.matched_iou.sum(), rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(
            average_precision_dsb(a, b).per_threshold,
            average_precision_dsb(true, pred).per_threshold,
        )
        np.testing.assert_allclose(
            tuple(panoptic_quality(a, b, threshold)), tuple(panoptic_quality(true, pred, threshold))
        )
        errors, errors2 = split_merge_counts(true, pred), split_merge_counts(a, b)
        assert (errors2.n_splits, errors2.n_merges) == (errors.n_splits, errors.n_merges)
        assert foreground_dice(a, b) == pytest.approx(foreground_dice(true, pred), nan_ok=True)
    # above 0.5 the matching is unique: the very same objects are paired, under their new names
    m, m2 = match_instances(true, pred, 0.5), match_instances(true2, pred2, 0.5)
    renamed = {(true_map[t], pred_map[p], v) for t, p, v in m.pairs}
    assert set(m2.pairs) == renamed


@settings(max_examples=60, deadline=None, derandomize=True)
@given(pair=label_pairs(), data=st.data())
def test_iou_matrix_follows_the_labels_when_they_are_permuted(pair, data):
    true, pred = pair
    true2, true_map = data.draw(_relabelled(true))
    iou, true_ids, pred_ids = iou_matrix(true, pred, return_labels=True)
    iou2, true_ids2, _ = iou_matrix(true2, pred, return_labels=True)
    row_of = {v: k for k, v in enumerate(true_ids2.tolist())}
    np.testing.assert_array_equal(iou2[[row_of[true_map[t]] for t in true_ids.tolist()]], iou)


# --- swapping truth and prediction --------------------------------------------------------
@settings(max_examples=120, deadline=None, derandomize=True)
@given(pair=st.one_of(label_pairs(), label_pairs(max_side=5, ndim=3)), threshold=THRESHOLDS)
def test_swapping_truth_and_prediction_transposes(pair, threshold):
    a, b = pair
    iou_ab, a_ids, b_ids = iou_matrix(a, b, return_labels=True)
    iou_ba, b_ids2, a_ids2 = iou_matrix(b, a, return_labels=True)
    np.testing.assert_array_equal(iou_ab, iou_ba.T)
    np.testing.assert_array_equal(a_ids, a_ids2)
    np.testing.assert_array_equal(b_ids, b_ids2)
    assert np.all((iou_ab >= 0) & (iou_ab <= 1))
    # each object's IoUs with disjoint objects cannot add up to more than 1
    assert np.all(iou_ab.sum(axis=1) <= 1 + 1e-12) and np.all(iou_ab.sum(axis=0) <= 1 + 1e-12)

    m_ab, m_ba = match_instances(a, b, threshold), match_instances(b, a, threshold)
    assert (m_ab.tp, m_ab.fp, m_ab.fn) == (m_ba.tp, m_ba.fn, m_ba.fp)
    assert (m_ab.precision, m_ab.recall, m_ab.f1) == (m_ba.recall, m_ba.precision, m_ba.f1)
    assert 0.0 <= m_ab.f1 <= 1.0 and 0.0 <= m_ab.precision <= 1.0 and 0.0 <= m_ab.recall <= 1.0
    np.testing.assert_allclose(m_ab.matched_iou.sum(), m_ba.matched_iou.sum(), atol=1e-12)
    np.testing.assert_allclose(
        average_precision_dsb(a, b).per_threshold, average_precision_dsb(b, a).per_threshold
    )
    pq_ab, pq_ba = panoptic_quality(a, b, threshold), panoptic_quality(b, a, threshold)
    np.testing.assert_allclose(tuple(pq_ab), tuple(pq_ba))
    assert 0.0 <= pq_ab.pq <= pq_ab.rq <= 1.0

    # a true object cut into pieces is, seen the other way round, a prediction that merges them
    assert split_merge_counts(a, b).splits == split_merge_counts(b, a).merges
    assert split_merge_counts(a, b).merges == split_merge_counts(b, a).splits


@settings(max_examples=80, deadline=None, derandomize=True)
@given(pair=label_pairs(), threshold=THRESHOLDS)
def test_matching_counts_are_consistent(pair, threshold):
    true, pred = pair
    m = match_instances(true, pred, threshold)
    assert m.tp + m.fn == m.n_true == _ids(true).size
    assert m.tp + m.fp == m.n_pred == _ids(pred).size
    assert np.all(m.matched_iou > threshold)
    assert len(set(m.matched_true.tolist())) == len(set(m.matched_pred.tolist())) == m.tp
    assert set(m.matched_true.tolist()) | set(m.unmatched_true.tolist()) == set(_ids(true).tolist())
    assert set(m.matched_pred.tolist()) | set(m.unmatched_pred.tolist()) == set(_ids(pred).tolist())
    # a stricter threshold never finds more matches
    assert match_instances(true, pred, min(0.95, threshold + 0.2)).tp <= m.tp


# --- Dice and Jaccard ----------------------------------------------------------------------
_CLASS_MAPS = st.integers(1, 10).flatmap(
    lambda n: st.tuples(
        *[
            hnp.arrays(
                st.sampled_from([np.uint8, np.int32, np.int64]),
                (n, m),
                elements=st.integers(0, 4),
            )
            for m in (3, 3)
        ]
    )
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(maps=_CLASS_MAPS)
def test_dice_and_jaccard_bounds_identity_and_symmetry(maps):
    y_true, y_pred = maps
    present = set(np.unique(y_true).tolist())
    d, j = dice(y_true, y_pred), jaccard(y_true, y_pred)
    assert set(d) == set(j) == set(range(max(y_true.max(), y_pred.max()) + 1))
    for c in d:
        if math.isnan(d[c]):  # undefined only when the class is in neither map
            assert c not in present and c not in set(np.unique(y_pred).tolist())
            assert math.isnan(j[c])
            continue
        assert 0.0 <= j[c] <= d[c] <= 1.0
        assert d[c] == pytest.approx(2 * j[c] / (1 + j[c]))
    assert dice(y_pred, y_true) == pytest.approx(d, nan_ok=True)
    assert jaccard(y_pred, y_true) == pytest.approx(j, nan_ok=True)

    same = dice(y_true, y_true)
    assert all(same[c] == 1.0 for c in present)
    assert all(math.isnan(same[c]) for c in same if c not in present)
    assert jaccard(y_true, y_true, classes=sorted(present)) == dict.fromkeys(sorted(present), 1.0)
    mask = y_true > 0
    expected = 1.0 if mask.any() else math.nan
    assert dice(mask, mask) == pytest.approx(expected, nan_ok=True)
    assert jaccard(mask, mask) == pytest.approx(expected, nan_ok=True)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(pair=label_pairs())
def test_foreground_dice_bounds_identity_and_symmetry(pair):
    a, b = pair
    value = foreground_dice(a, b)
    if not (a > 0).any() and not (b > 0).any():
        assert math.isnan(value)
    else:
        assert 0.0 <= value <= 1.0
    assert foreground_dice(b, a) == pytest.approx(value, nan_ok=True)
    assert foreground_dice(a, a) == pytest.approx(1.0 if (a > 0).any() else math.nan, nan_ok=True)
    assert value == pytest.approx(dice(a > 0, b > 0), nan_ok=True)


# --- classification ------------------------------------------------------------------------
_CLASS_LABELS = st.integers(1, 30).flatmap(
    lambda n: hnp.arrays(np.int64, n, elements=st.integers(0, 4))
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(y=_CLASS_LABELS, data=st.data())
def test_classification_scores_perfect_and_invariant_to_renaming_classes(y, data):
    y_pred = data.draw(hnp.arrays(np.int64, y.size, elements=st.integers(0, 4)), label="y_pred")
    assert (
        metrics.accuracy(y, y) == metrics.balanced_accuracy(y, y) == metrics.macro_f1(y, y) == 1.0
    )
    matrix = metrics.confusion_matrix(y, y_pred, n_classes=5)
    assert matrix.sum() == y.size and np.trace(matrix) == np.sum(y == y_pred)
    scores = metrics.precision_recall_f1(y, y, n_classes=5)
    present = np.bincount(y, minlength=5) > 0
    for name in ("precision", "recall", "f1"):
        np.testing.assert_array_equal(scores[name][present], 1.0)
    # renaming the classes (a permutation of 0..4, applied to both) changes no summary score
    perm = np.array(data.draw(st.permutations(range(5)), label="class permutation"))
    for score in (metrics.accuracy, metrics.balanced_accuracy, metrics.macro_f1):
        assert score(perm[y], perm[y_pred]) == pytest.approx(score(y, y_pred))
    assert metrics.min_class_recall(perm[y], perm[y_pred]) == pytest.approx(
        metrics.min_class_recall(y, y_pred)
    )
    # a score that ranks every sample of a class above the others is a perfect ranking
    positive = int(y[0])
    assert metrics.average_precision(y, (y == positive).astype(float), positive) == 1.0
