"""Instance matching and scores on hand-made label images, and against a brute-force matcher."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellcourse.metrics import instances
from cellcourse.metrics.instances import (
    average_precision_dsb,
    iou_matrix,
    match_instances,
    panoptic_quality,
    split_merge_counts,
)


def _three_objects() -> np.ndarray:
    labels = np.zeros((12, 12), dtype=np.int32)
    labels[1:4, 1:5] = 1  # 12 pixels
    labels[6:10, 2:6] = 2  # 16 pixels
    labels[2:8, 8:11] = 3  # 18 pixels
    return labels


# ----------------------------------------------------------------------------------------
# identity, shift, permutation, label values
# ----------------------------------------------------------------------------------------


def test_identity_scores_one():
    labels = _three_objects()
    np.testing.assert_array_equal(iou_matrix(labels, labels), np.eye(3))
    m = match_instances(labels, labels)
    assert (m.tp, m.fp, m.fn, m.n_true, m.n_pred) == (3, 0, 0, 3, 3)
    assert m.precision == m.recall == m.f1 == m.mean_matched_iou == 1.0
    assert m.pairs == [(1, 1, 1.0), (2, 2, 1.0), (3, 3, 1.0)]
    assert m.unmatched_true.size == 0 and m.unmatched_pred.size == 0
    score = average_precision_dsb(labels, labels)
    assert score.ap == 1.0
    np.testing.assert_array_equal(score.per_threshold, np.ones(10))
    assert panoptic_quality(labels, labels) == (1.0, 1.0, 1.0)
    errors = split_merge_counts(labels, labels)
    assert errors.n_splits == errors.n_merges == 0


def test_shifted_object_iou_by_hand():
    # a 10 x 10 square moved 2 columns: 80 shared pixels, 120 in the union, IoU 2/3
    true = np.zeros((12, 14), dtype=np.int32)
    true[1:11, 1:11] = 1
    pred = np.zeros_like(true)
    pred[1:11, 3:13] = 4
    iou, true_ids, pred_ids = iou_matrix(true, pred, return_labels=True)
    np.testing.assert_allclose(iou, [[80 / 120]])
    np.testing.assert_array_equal(true_ids, [1])
    np.testing.assert_array_equal(pred_ids, [4])
    hit = match_instances(true, pred, threshold=0.5)
    assert (hit.tp, hit.fp, hit.fn) == (1, 0, 0)
    assert hit.mean_matched_iou == pytest.approx(2 / 3)
    miss = match_instances(true, pred, threshold=0.7)
    assert (miss.tp, miss.fp, miss.fn) == (0, 1, 1)
    assert miss.precision == miss.recall == miss.f1 == 0.0
    assert math.isnan(miss.mean_matched_iou)
    np.testing.assert_array_equal(miss.unmatched_true, [1])
    np.testing.assert_array_equal(miss.unmatched_pred, [4])
    # thresholds 0.5, 0.55, 0.6, 0.65 are below 2/3: a hit; 0.7 ... 0.95 a miss
    score = average_precision_dsb(true, pred)
    np.testing.assert_array_equal(score.per_threshold, [1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert score.ap == pytest.approx(0.4)


def test_iou_is_strictly_above_the_threshold():
    # IoU exactly 0.5 (a half) does not match at threshold 0.5
    true = np.array([[1, 1, 1, 1]])
    pred = np.array([[1, 1, 0, 0]])
    assert match_instances(true, pred, threshold=0.5).tp == 0
    assert match_instances(true, pred, threshold=0.49).tp == 1


def test_permuted_label_ids_give_identical_scores():
    true = _three_objects()
    pred = np.roll(true, 1, axis=1)
    permuted = np.array([0, 30, 10, 20], dtype=np.int32)[pred]  # 1 -> 30, 2 -> 10, 3 -> 20
    a, b = match_instances(true, pred), match_instances(true, permuted)
    for name in ("tp", "fp", "fn", "precision", "recall", "f1", "mean_matched_iou"):
        assert getattr(a, name) == getattr(b, name), name
    mapping = {1: 30, 2: 10, 3: 20}
    assert [(t, mapping[p], v) for t, p, v in a.pairs] == b.pairs
    assert average_precision_dsb(true, pred).ap == average_precision_dsb(true, permuted).ap
    assert panoptic_quality(true, pred) == panoptic_quality(true, permuted)


@pytest.mark.parametrize("offset", [0, 1000, 10**9], ids=["small", "gaps", "huge"])
def test_non_sequential_labels(offset):
    true = _three_objects()
    values = np.array([0, 7 + offset, 3 + offset, 50 + offset], dtype=np.int64)
    relabelled = values[true]
    iou, true_ids, pred_ids = iou_matrix(relabelled, true, return_labels=True)
    # rows follow the sorted label values 3, 7, 50, i.e. objects 2, 1, 3
    np.testing.assert_array_equal(true_ids, np.sort(values[1:]))
    np.testing.assert_array_equal(iou, np.eye(3)[[1, 0, 2]])
    m = match_instances(relabelled, true)
    assert m.f1 == 1.0
    assert sorted(m.pairs) == sorted(
        [(7 + offset, 1, 1.0), (3 + offset, 2, 1.0), (50 + offset, 3, 1.0)]
    )


def test_unsigned_and_three_dimensional_labels():
    true = np.zeros((2, 4, 4), dtype=np.uint16)
    true[0, :2, :2] = 1
    true[1, 2:, 2:] = 2
    pred = true.astype(np.int64)
    pred[1, 3, 3] = 0  # 3 of 4 voxels of object 2
    np.testing.assert_allclose(iou_matrix(true, pred), [[1, 0], [0, 0.75]])


# ----------------------------------------------------------------------------------------
# splits, merges and assignment
# ----------------------------------------------------------------------------------------


def test_one_true_object_split_into_two():
    true = np.zeros((4, 8), dtype=np.int32)
    true[:, :] = 1  # 32 pixels
    pred = np.zeros_like(true)
    pred[:, :5] = 2  # 20 pixels: IoU 20/32 = 0.625
    pred[:, 5:] = 3  # 12 pixels: IoU 12/32 = 0.375
    np.testing.assert_allclose(iou_matrix(true, pred), [[0.625, 0.375]])
    m = match_instances(true, pred)
    assert (m.tp, m.fp, m.fn) == (1, 1, 0)
    assert m.pairs == [(1, 2, 0.625)]
    assert m.precision == 0.5 and m.recall == 1.0 and m.f1 == pytest.approx(2 / 3)
    errors = split_merge_counts(true, pred)
    assert errors.n_splits == 1 and errors.splits == {1: (2, 3)}
    assert errors.n_merges == 0
    # an even split: IoU 0.5 each, no match at 0.5 at all
    pred[:, :4], pred[:, 4:] = 2, 3
    m = match_instances(true, pred)
    assert (m.tp, m.fp, m.fn) == (0, 2, 1)


def test_two_true_objects_merged_into_one():
    true = np.zeros((4, 9), dtype=np.int32)
    true[:, :4] = 1  # 16 pixels
    true[:, 5:] = 2  # 16 pixels
    pred = np.zeros_like(true)
    pred[:, :] = 9  # 36 pixels covering both and the gap
    np.testing.assert_allclose(iou_matrix(true, pred), [[16 / 36], [16 / 36]])
    m = match_instances(true, pred)
    assert (m.tp, m.fp, m.fn) == (0, 1, 2)
    low = match_instances(true, pred, threshold=0.3)  # one to one even below 0.5
    assert (low.tp, low.fp, low.fn) == (1, 0, 1)
    errors = split_merge_counts(true, pred)
    assert errors.n_merges == 1 and errors.merges == {9: (1, 2)}
    assert errors.n_splits == 0
    assert split_merge_counts(true, pred, min_overlap=0.99).n_merges == 1
    # a prediction covering exactly half of each true object: not "more than half"
    half = np.zeros_like(true)
    half[:2, :] = 9
    assert split_merge_counts(true, half).n_merges == 0
    assert split_merge_counts(true, half, min_overlap=0.4).merges == {9: (1, 2)}


def test_below_one_half_the_assignment_beats_greedy_matching():
    #            pixels 0-9 are true object 1, pixels 10-19 true object 2
    # pred 5 = pixels 0-3:  IoU(1, 5) = 4/10 = 0.4
    # pred 6 = pixels 4-13: IoU(1, 6) = 6/14 = 0.43, IoU(2, 6) = 4/16 = 0.25
    # greedy (best IoU first) pairs 1-6 and leaves 2 and 5 alone; the optimum is 1-5, 2-6
    true = np.repeat([1, 2], 10)[None, :]
    pred = np.array([5] * 4 + [6] * 10 + [0] * 6)[None, :]
    np.testing.assert_allclose(iou_matrix(true, pred), [[0.4, 6 / 14], [0, 0.25]])
    m = match_instances(true, pred, threshold=0.2)
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)
    assert m.pairs == [(1, 5, pytest.approx(0.4)), (2, 6, pytest.approx(0.25))]


def _brute_force_iou(true, pred):
    true_ids = [v for v in np.unique(true) if v]
    pred_ids = [v for v in np.unique(pred) if v]
    iou = np.zeros((len(true_ids), len(pred_ids)))
    for i, t in enumerate(true_ids):
        for j, p in enumerate(pred_ids):
            both = np.sum((true == t) & (pred == p))
            either = np.sum((true == t) | (pred == p))
            iou[i, j] = both / either
    return iou


def _best_matching(iou, threshold):
    """Most pairs, then largest IoU sum, over every one-to-one matching (tiny inputs)."""
    n_true, n_pred = iou.shape
    best = (0, 0.0)
    for k in range(1, min(n_true, n_pred) + 1):
        for rows in itertools.combinations(range(n_true), k):
            for cols in itertools.permutations(range(n_pred), k):
                values = iou[list(rows), list(cols)]
                if np.all(values > threshold):
                    best = max(best, (k, float(values.sum())))
    return best


def _random_labels(rng, shape=(7, 7)):
    if rng.random() < 0.5:
        return rng.integers(0, rng.integers(1, 6), size=shape)  # scattered pixels
    labels = np.zeros(shape, dtype=np.int64)
    for value in range(1, rng.integers(1, 6)):  # overlapping rectangles
        y, x = rng.integers(0, shape[0], size=2)
        h, w = rng.integers(1, 5, size=2)
        labels[y : y + h, x : x + w] = value
    return labels


def test_matching_agrees_with_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(150):
        true, pred = _random_labels(rng), _random_labels(rng)
        iou = _brute_force_iou(true, pred)
        np.testing.assert_allclose(iou_matrix(true, pred), iou)
        for threshold in (0.0, 0.15, 0.3, 0.5, 0.7):
            m = match_instances(true, pred, threshold)
            n_pairs, iou_sum = _best_matching(iou, threshold)
            assert m.tp == n_pairs
            assert float(m.matched_iou.sum()) == pytest.approx(iou_sum)
            assert np.all(m.matched_iou > threshold)
            assert len(set(m.matched_true)) == len(set(m.matched_pred)) == m.tp  # one to one
            assert m.fp == iou.shape[1] - m.tp and m.fn == iou.shape[0] - m.tp


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), threshold=st.sampled_from([0.1, 0.3, 0.5, 0.8]))
def test_scores_do_not_depend_on_label_values(seed, threshold):
    rng = np.random.default_rng(seed)
    true, pred = _random_labels(rng, (9, 9)), _random_labels(rng, (9, 9))
    values = np.concatenate([[0], rng.permutation(np.arange(1, 6)) * 11 + 3])
    a = match_instances(true, pred, threshold)
    b = match_instances(values[true], values[pred], threshold)
    assert (a.tp, a.fp, a.fn, a.f1) == (b.tp, b.fp, b.fn, b.f1)
    assert a.matched_iou.sum() == pytest.approx(b.matched_iou.sum())


# ----------------------------------------------------------------------------------------
# summary scores
# ----------------------------------------------------------------------------------------


def test_panoptic_quality_by_hand():
    # object 1 matched with IoU 0.8 (8 of 10 pixels), object 2 missed, prediction 7 spurious:
    # SQ = 0.8, RQ = 1 / (1 + 1/2 + 1/2) = 0.5, PQ = 0.4
    true = np.zeros((5, 10), dtype=np.int32)
    true[0, :] = 1
    true[3, :3] = 2
    pred = np.zeros_like(true)
    pred[0, :8] = 5
    pred[4, 5:] = 7
    pq, sq, rq = panoptic_quality(true, pred)
    assert (pq, sq, rq) == pytest.approx((0.4, 0.8, 0.5))
    # the DSB score: TP / (TP + FP + FN) = 1/3 at thresholds up to 0.75, 0 from 0.8
    score = average_precision_dsb(true, pred, thresholds=[0.5, 0.75, 0.8])
    np.testing.assert_allclose(score.per_threshold, [1 / 3, 1 / 3, 0])
    assert score.ap == pytest.approx(2 / 9)


def test_panoptic_quality_with_no_match_is_zero():
    true = np.array([[1, 1, 0, 0]])
    pred = np.array([[0, 0, 2, 2]])
    assert panoptic_quality(true, pred) == (0.0, 0.0, 0.0)


# ----------------------------------------------------------------------------------------
# empty images
# ----------------------------------------------------------------------------------------


def test_both_empty_is_perfect():
    empty = np.zeros((5, 5), dtype=np.int32)
    assert iou_matrix(empty, empty).shape == (0, 0)
    m = match_instances(empty, empty)
    assert (m.tp, m.fp, m.fn) == (0, 0, 0)
    assert m.precision == m.recall == m.f1 == 1.0
    assert math.isnan(m.mean_matched_iou)
    assert average_precision_dsb(empty, empty).ap == 1.0
    assert panoptic_quality(empty, empty) == (1.0, 1.0, 1.0)
    assert split_merge_counts(empty, empty).n_splits == 0


def test_empty_prediction():
    true = _three_objects()
    empty = np.zeros_like(true)
    assert iou_matrix(true, empty).shape == (3, 0)
    m = match_instances(true, empty)
    assert (m.tp, m.fp, m.fn) == (0, 0, 3)
    assert m.recall == 0.0 and m.precision == 0.0 and m.f1 == 0.0
    np.testing.assert_array_equal(m.unmatched_true, [1, 2, 3])
    assert average_precision_dsb(true, empty).ap == 0.0
    assert panoptic_quality(true, empty) == (0.0, 0.0, 0.0)


def test_empty_ground_truth_with_predictions():
    pred = _three_objects()
    empty = np.zeros_like(pred)
    m = match_instances(empty, pred, threshold=0.1)
    assert (m.tp, m.fp, m.fn) == (0, 3, 0)
    assert m.precision == 0.0 and m.recall == 0.0 and m.f1 == 0.0
    np.testing.assert_array_equal(m.unmatched_pred, [1, 2, 3])
    assert average_precision_dsb(empty, pred).ap == 0.0


# ----------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------


def test_shapes_must_match():
    with pytest.raises(ValueError, match=r"same shape; got \(4, 5\) and \(5, 4\)"):
        match_instances(np.zeros((4, 5), int), np.zeros((5, 4), int))


@pytest.mark.parametrize(
    "function", [iou_matrix, match_instances, average_precision_dsb, panoptic_quality]
)
def test_bad_labels_are_named(function):
    good = np.zeros((4, 4), dtype=np.int32)
    with pytest.raises(TypeError, match="integer label image.*got dtype float64"):
        function(good.astype(float), good)
    with pytest.raises(TypeError, match="boolean mask"):
        function(good, good.astype(bool))
    negative = good.copy()
    negative[0, 0] = -1
    with pytest.raises(ValueError, match="non-negative labels in pred_labels.*minimum of -1"):
        function(good, negative)
    with pytest.raises(ValueError, match=r"shape \(Y, X\) or \(Z, Y, X\).*\(16,\)"):
        function(good.ravel(), good.ravel())


@pytest.mark.parametrize("threshold", [1.0, -0.1, "0.5", True, None])
def test_bad_threshold(threshold):
    labels = _three_objects()
    with pytest.raises(ValueError, match="threshold as a number in \\[0, 1\\)"):
        match_instances(labels, labels, threshold=threshold)


def test_bad_thresholds_and_min_overlap():
    labels = _three_objects()
    with pytest.raises(ValueError, match="every threshold.*1.0"):
        average_precision_dsb(labels, labels, thresholds=[0.5, 1.0])
    with pytest.raises(ValueError, match="sequence of IoU values.*'high'"):
        average_precision_dsb(labels, labels, thresholds=["high"])
    with pytest.raises(ValueError, match="at least one IoU threshold"):
        average_precision_dsb(labels, labels, thresholds=[])
    with pytest.raises(ValueError, match="min_overlap as a fraction in \\(0, 1\\); got 0"):
        split_merge_counts(labels, labels, min_overlap=0)


def test_public_names():
    assert set(instances.__all__) == {
        "DsbScore",
        "InstanceMatch",
        "PanopticQuality",
        "SplitMerge",
        "average_precision_dsb",
        "iou_matrix",
        "match_instances",
        "panoptic_quality",
        "split_merge_counts",
    }
