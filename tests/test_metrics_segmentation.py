"""Tests for cellcourse.metrics.segmentation: Dice and Jaccard per class, foreground Dice."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cellcourse.metrics.segmentation import dice, foreground_dice, jaccard


def test_identical_maps_score_one():
    y = np.array([[0, 1, 1], [2, 2, 0]])
    assert dice(y, y) == {0: 1.0, 1: 1.0, 2: 1.0}
    assert jaccard(y, y) == {0: 1.0, 1: 1.0, 2: 1.0}
    assert dice(y > 0, y > 0) == 1.0 and jaccard(y > 0, y > 0) == 1.0


def test_disjoint_maps_score_zero():
    y_true = np.array([[1, 1, 0, 0]])
    y_pred = np.array([[0, 0, 1, 1]])
    assert dice(y_true, y_pred) == {0: 0.0, 1: 0.0}
    assert jaccard(y_true, y_pred) == {0: 0.0, 1: 0.0}
    assert dice(y_true == 1, y_pred == 1) == 0.0


def test_partial_overlap_by_hand():
    # class 1: true has 4 pixels, predicted 3, 2 shared -> Dice 4/7, IoU 2/5
    y_true = np.array([[1, 1, 1, 1, 0, 0]])
    y_pred = np.array([[0, 0, 1, 1, 1, 0]])
    assert dice(y_true, y_pred, classes=1) == {1: pytest.approx(4 / 7)}
    assert jaccard(y_true, y_pred, classes=[1]) == {1: pytest.approx(2 / 5)}
    # class 0: true 2 pixels, predicted 3, 1 shared -> Dice 2/5, IoU 1/4
    assert dice(y_true, y_pred)[0] == pytest.approx(2 / 5)
    assert jaccard(y_true, y_pred)[0] == pytest.approx(1 / 4)
    # the same with boolean masks, and Dice and IoU related by D = 2J / (1 + J)
    d, j = dice(y_true == 1, y_pred == 1), jaccard(y_true == 1, y_pred == 1)
    assert d == pytest.approx(4 / 7) and d == pytest.approx(2 * j / (1 + j))


def test_stacks_pool_all_pixels():
    y_true = np.array([[[1, 1]], [[1, 0]]])  # (S, Y, X) = (2, 1, 2)
    y_pred = np.array([[[1, 0]], [[1, 0]]])
    # 3 true, 2 predicted, 2 shared -> 4/5 (not the mean of the per-image scores)
    assert dice(y_true, y_pred)[1] == pytest.approx(4 / 5)


def test_absent_classes_are_nan_and_one_sided_are_zero():
    y_true = np.array([[0, 0, 2]])
    y_pred = np.array([[0, 0, 0]])
    scores = dice(y_true, y_pred)
    assert list(scores) == [0, 1, 2]
    assert math.isnan(scores[1])  # in neither map
    assert scores[2] == 0.0  # missed entirely
    assert math.isnan(jaccard(y_true, y_pred, classes=[5])[5])
    empty = np.zeros((2, 2), bool)
    assert math.isnan(dice(empty, empty))


def test_foreground_dice_ignores_instance_ids():
    true_labels = np.array([[1, 1, 0, 2, 2, 0]])
    pred_labels = np.array([[7, 7, 7, 7, 0, 0]])  # merged and shifted
    assert foreground_dice(true_labels, pred_labels) == pytest.approx(2 * 3 / (4 + 4))
    assert foreground_dice(true_labels, true_labels + 3 * (true_labels > 0)) == 1.0
    assert foreground_dice(true_labels > 0, pred_labels) == pytest.approx(0.75)
    assert math.isnan(foreground_dice(np.zeros((2, 2), int), np.zeros((2, 2), int)))


def test_validation_errors_name_expected_and_received():
    y = np.array([[0, 1]])
    with pytest.raises(ValueError, match=r"same shape; got \(1, 2\) and \(2, 1\)"):
        dice(y, y.T)
    with pytest.raises(TypeError, match=r"got dtype float64 \(threshold probabilities"):
        dice(y, np.array([[0.2, 0.9]]))
    with pytest.raises(TypeError, match="both boolean masks or both integer.*bool and int64"):
        jaccard(y > 0, y.astype(np.int64))
    with pytest.raises(ValueError, match="class indices >= 0 in y_pred; got a minimum of -1"):
        dice(y, np.array([[0, -1]]))
    with pytest.raises(TypeError, match=r"classes=None for boolean masks \(.*\); got classes=1"):
        dice(y > 0, y > 0, classes=1)
    with pytest.raises(ValueError, match=r"ints >= 0, e.g. \[1, 2\]; got \[-1\]"):
        dice(y, y, classes=[-1])
    with pytest.raises(ValueError, match="non-empty y_true"):
        dice(np.zeros((0, 2), int), np.zeros((0, 2), int))
    with pytest.raises(ValueError, match=r"true_labels of shape \(Y, X\) or \(S, Y, X\); got"):
        foreground_dice(np.zeros(3, int), np.zeros(3, int))
    with pytest.raises(TypeError, match="pred_labels as an integer label image.*float32"):
        foreground_dice(y, y.astype(np.float32))
