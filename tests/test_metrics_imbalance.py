"""Metrics for unbalanced classes against values worked out by hand (chapter 05)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellcourse import metrics
from cellcourse.metrics import (
    accuracy,
    average_precision,
    balanced_accuracy,
    min_class_recall,
    per_class_recall,
    precision_recall_curve,
    predict_with_thresholds,
    prior_correction_weights,
)

# the blood-cell set of chapter 05: Platelets 361, RBC 4153, WBC 372 (alphabetical indices)
BCCD_COUNTS = (361, 4153, 372)
Y_BCCD = np.repeat(np.arange(3), BCCD_COUNTS)

# Example A, three classes, nine samples:
#   true 0 0 0 1 1 2 2 2 2
#   pred 0 0 1 1 1 2 0 2 2   -> recalls 2/3, 2/2, 3/4
Y_TRUE_A = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
Y_PRED_A = np.array([0, 0, 1, 1, 1, 2, 0, 2, 2])

# scikit-learn's documented example: precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
Y_SK = np.array([0, 0, 1, 1])
S_SK = np.array([0.1, 0.4, 0.35, 0.8])


def test_exports():
    assert set(metrics.__all__) >= {
        "per_class_recall",
        "min_class_recall",
        "precision_recall_curve",
        "average_precision",
        "predict_with_thresholds",
        "prior_correction_weights",
    }


# ----------------------------------------------------------------------------------------
# per-class and worst-class recall
# ----------------------------------------------------------------------------------------


def test_per_class_recall_by_hand():
    recall = per_class_recall(Y_TRUE_A, Y_PRED_A)
    np.testing.assert_allclose(recall, [2 / 3, 1.0, 3 / 4])
    assert recall.dtype == np.float64 and recall.shape == (3,)


def test_per_class_recall_is_nan_for_a_class_absent_from_y_true():
    # class 1 present and never found -> 0; class 2 in neither, class 3 only predicted -> NaN
    recall = per_class_recall([0, 0, 1, 1], [0, 0, 0, 3], n_classes=4)
    np.testing.assert_array_equal(np.isnan(recall), [False, False, True, True])
    np.testing.assert_array_equal(recall[:2], [1.0, 0.0])


def test_per_class_recall_from_scores():
    scores = np.eye(3)[Y_PRED_A] * 0.8 + 0.1  # argmax = Y_PRED_A
    np.testing.assert_allclose(per_class_recall(Y_TRUE_A, scores), [2 / 3, 1.0, 3 / 4])


def test_per_class_recall_keeps_the_shared_errors():
    with pytest.raises(ValueError, match="n_classes=2 is too small"):
        per_class_recall([0, 2], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="same length"):
        per_class_recall([0, 1], [0])


def test_min_class_recall_by_hand():
    assert min_class_recall(Y_TRUE_A, Y_PRED_A) == pytest.approx(2 / 3)
    # class 2 is only predicted, never true: it has no recall and does not count
    assert min_class_recall([0, 0, 1, 1], [0, 0, 1, 2]) == 0.5
    assert min_class_recall([0, 1, 2], [0, 1, 2]) == 1.0


def test_accuracy_paradox_always_majority():
    always_rbc = np.ones_like(Y_BCCD)  # RBC = 1 for every crop
    assert accuracy(Y_BCCD, always_rbc) == pytest.approx(4153 / 4886)
    assert accuracy(Y_BCCD, always_rbc) > 0.84
    assert min_class_recall(Y_BCCD, always_rbc) == 0.0
    assert balanced_accuracy(Y_BCCD, always_rbc) == pytest.approx(1 / 3)
    np.testing.assert_array_equal(per_class_recall(Y_BCCD, always_rbc), [0.0, 1.0, 0.0])
    # the same with probabilities that always favour RBC
    probs = np.tile([0.05, 0.9, 0.05], (len(Y_BCCD), 1))
    assert min_class_recall(Y_BCCD, probs) == 0.0


# ----------------------------------------------------------------------------------------
# precision-recall curve and average precision
# ----------------------------------------------------------------------------------------


def test_precision_recall_curve_by_hand():
    # sorted by score: 0.8 (pos), 0.4 (neg), 0.35 (pos), 0.1 (neg)
    # threshold 0.8: 1/1 correct, 1/2 found; 0.4: 1/2, 1/2; 0.35: 2/3, 2/2; 0.1: 2/4, 2/2
    precision, recall, thresholds = precision_recall_curve(Y_SK, S_SK, positive=1)
    np.testing.assert_allclose(precision, [0.5, 2 / 3, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(recall, [1.0, 1.0, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(thresholds, [0.1, 0.35, 0.4, 0.8])
    assert precision.dtype == recall.dtype == thresholds.dtype == np.float64


def test_precision_recall_curve_ties_are_one_threshold():
    # scores 0.9 (pos), 0.5 (pos), 0.5 (neg), 0.1 (neg): the two 0.5 are called together
    precision, recall, thresholds = precision_recall_curve(
        [1, 1, 0, 0], [0.5, 0.9, 0.5, 0.1], positive=1
    )
    np.testing.assert_allclose(thresholds, [0.1, 0.5, 0.9])
    np.testing.assert_allclose(precision, [0.5, 2 / 3, 1.0, 1.0])
    np.testing.assert_allclose(recall, [1.0, 1.0, 0.5, 0.0])


def test_precision_recall_curve_takes_the_column_of_positive():
    # three classes; column 2 holds the scores of the example above
    y = np.where(Y_SK == 1, 2, np.array([0, 1, 0, 1]))  # negatives of two other classes
    probs = np.column_stack([1 - S_SK, np.zeros(4), S_SK])
    for got, want in zip(
        precision_recall_curve(y, probs, positive=2),
        precision_recall_curve(Y_SK, S_SK, positive=1),
        strict=True,
    ):
        np.testing.assert_allclose(got, want)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 30).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 2), min_size=n, max_size=n),
            st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]), min_size=n, max_size=n),
        )
    )
)
def test_precision_recall_curve_matches_its_definition(pair):
    y, s = np.array(pair[0]), np.array(pair[1])
    if not np.any(y == 1):
        y[0] = 1
    precision, recall, thresholds = precision_recall_curve(y, s, positive=1)
    np.testing.assert_array_equal(thresholds, np.unique(s))
    for i, t in enumerate(thresholds):
        called = s >= t
        assert precision[i] == pytest.approx(np.mean(y[called] == 1))
        assert recall[i] == pytest.approx(np.sum(y[called] == 1) / np.sum(y == 1))
    assert (precision[-1], recall[-1]) == (1.0, 0.0)


def test_average_precision_by_hand():
    # recall steps 0 -> 0.5 at precision 1 and 0.5 -> 1 at precision 2/3: 0.5 + 1/3
    assert average_precision(Y_SK, S_SK, positive=1) == pytest.approx(5 / 6)
    assert average_precision([0, 1, 0, 1], [0.2, 0.9, 0.1, 0.8], positive=1) == 1.0
    # all scores equal: one threshold, every sample called -> the prevalence
    assert average_precision([0, 0, 0, 1], [0.5, 0.5, 0.5, 0.5], positive=1) == 0.25
    # the worst ranking: the one positive scored lowest -> precision 1/4 when it is found
    assert average_precision([0, 0, 0, 1], [0.9, 0.8, 0.7, 0.1], positive=1) == 0.25


def test_curve_and_ap_agree_with_scikit_learn():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    probs = rng.dirichlet(np.ones(3), 200).round(2)  # rounding makes ties
    for k in range(3):
        for got, want in zip(
            precision_recall_curve(y, probs, positive=k),
            skm.precision_recall_curve(y == k, probs[:, k]),
            strict=True,
        ):
            np.testing.assert_allclose(got, want)
        assert average_precision(y, probs, k) == pytest.approx(
            skm.average_precision_score(y == k, probs[:, k])
        )


def test_curve_errors_say_what_was_expected():
    with pytest.raises(ValueError, match="at least one sample of class 2 in y_true"):
        precision_recall_curve([0, 1], [0.1, 0.9], positive=2)
    with pytest.raises(ValueError, match=r"positive=3 is not a column .* 0\.\.2"):
        precision_recall_curve([0, 1], np.full((2, 3), 1 / 3), positive=3)
    with pytest.raises(ValueError, match="class index 3, but the scores"):
        precision_recall_curve([0, 3], np.full((2, 3), 1 / 3), positive=0)
    with pytest.raises(ValueError, match="y_true has 2 samples, scores have 3"):
        precision_recall_curve([0, 1], [0.1, 0.2, 0.3], positive=1)
    with pytest.raises(ValueError, match="finite"):
        average_precision([0, 1], [0.1, np.nan], positive=1)
    with pytest.raises(ValueError, match=r"\(N,\) for class 1, or \(N, K\)"):
        precision_recall_curve([0, 1], np.zeros((2, 2, 2)), positive=1)
    with pytest.raises(TypeError, match="positive as an int"):
        precision_recall_curve([0, 1], [0.1, 0.9], positive=True)
    with pytest.raises(TypeError, match="numeric scores"):
        precision_recall_curve([0, 1], ["a", "b"], positive=1)
    with pytest.raises(ValueError, match="one-hot"):
        precision_recall_curve(np.eye(2, dtype=int), [0.1, 0.9], positive=1)


# ----------------------------------------------------------------------------------------
# threshold moving
# ----------------------------------------------------------------------------------------


def test_predict_with_thresholds_by_hand():
    probs = np.array([[0.5, 0.3, 0.2], [0.6, 0.1, 0.3], [0.2, 0.2, 0.6]])
    np.testing.assert_array_equal(predict_with_thresholds(probs, [1, 1, 1]), [0, 0, 2])
    # x2 for class 1: 0.6 > 0.5 in row 0; 0.2 < 0.6 in row 1
    out = predict_with_thresholds(probs, [1.0, 2.0, 1.0])
    np.testing.assert_array_equal(out, [1, 0, 2])
    assert out.dtype == np.int64
    # x2 for class 2: row 1 0.6 = 0.6, a tie goes to the lower index
    np.testing.assert_array_equal(predict_with_thresholds(probs, [1, 1, 2]), [0, 0, 2])


def test_predict_with_thresholds_scale_does_not_matter():
    probs = np.random.default_rng(1).dirichlet(np.ones(3), 50)
    w = np.array([0.5, 1.0, 3.0])
    np.testing.assert_array_equal(
        predict_with_thresholds(probs, w), predict_with_thresholds(probs, 10 * w)
    )


def test_prior_correction_weights_by_hand():
    # priors 3/4, 1/4 -> 1/prior = 4/3, 4 -> divided by their mean 8/3 -> 0.5, 1.5
    np.testing.assert_allclose(prior_correction_weights([0, 0, 0, 1], 2), [0.5, 1.5])
    w = prior_correction_weights(Y_BCCD, 3)
    assert w.mean() == pytest.approx(1.0)
    inv = 1 / np.array(BCCD_COUNTS)
    np.testing.assert_allclose(w, inv / inv.mean())
    assert w[1] < 1 < w[0]  # RBC down, Platelets up


def test_threshold_moving_undoes_the_accuracy_paradox():
    # a model trained at priors 0.8 / 0.2 gives the rare class at most 0.4: argmax never picks it
    y_train = np.array([0] * 8 + [1] * 2)
    p1 = np.array([0.1] * 7 + [0.3, 0.35, 0.4])  # the last two are the rare class
    y_test = np.array([0] * 8 + [1] * 2)
    probs = np.column_stack([1 - p1, p1])
    assert min_class_recall(y_test, probs) == 0.0
    # weights 0.4, 1.6: class 1 wins where 1.6 p1 > 0.4 (1 - p1), i.e. p1 > 0.2
    w = prior_correction_weights(y_train, 2)
    np.testing.assert_allclose(w, [0.4, 1.6])
    y_pred = predict_with_thresholds(probs, w)
    np.testing.assert_array_equal(y_pred, [0] * 7 + [1, 1, 1])
    assert min_class_recall(y_test, y_pred) == pytest.approx(7 / 8)


def test_threshold_errors_say_what_was_expected():
    probs = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"weights of shape \(3,\).*got \(2,\)"):
        predict_with_thresholds(probs, [1, 1])
    with pytest.raises(ValueError, match="positive finite weights"):
        predict_with_thresholds(probs, [1, 0, 1])
    with pytest.raises(ValueError, match="positive finite weights"):
        predict_with_thresholds(probs, [1, np.inf, 1])
    with pytest.raises(ValueError, match="logits"):
        predict_with_thresholds([[2.0, -1.0, 0.5]], [1, 1, 1])
    with pytest.raises(ValueError, match=r"probs of shape \(S, K\).*got \(3,\)"):
        predict_with_thresholds([0.2, 0.3, 0.5], [1, 1, 1])
    with pytest.raises(TypeError, match="numeric weights"):
        predict_with_thresholds(probs, ["a", "b", "c"])
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] have no samples.*\[2, 0, 1\]"):
        prior_correction_weights([0, 0, 2], 3)
    with pytest.raises(ValueError, match="n_classes=2 is too small"):
        prior_correction_weights([0, 1, 2], 2)
    with pytest.raises(TypeError, match="n_classes as an int"):
        prior_correction_weights([0, 1], None)
    with pytest.raises(TypeError, match="integer class indices"):
        prior_correction_weights([0.0, 1.0], 2)
