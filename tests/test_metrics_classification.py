"""Classification metrics against values worked out by hand; plot of the confusion matrix."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cellcourse import metrics  # noqa: E402
from cellcourse.metrics import (  # noqa: E402
    accuracy,
    balanced_accuracy,
    classification_report,
    confusion_matrix,
    macro_f1,
    precision_recall_f1,
)
from cellcourse.plot import confusion_matrix_figure  # noqa: E402

# Example A, three classes, nine samples:
#   true 0 0 0 1 1 2 2 2 2
#   pred 0 0 1 1 1 2 0 2 2
Y_TRUE_A = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
Y_PRED_A = np.array([0, 0, 1, 1, 1, 2, 0, 2, 2])

# Example B, four classes: class 1 is never predicted, class 2 is in neither,
# class 3 is predicted but absent from y_true.
#   true 0 0 1 1
#   pred 0 0 0 3
Y_TRUE_B = np.array([0, 0, 1, 1])
Y_PRED_B = np.array([0, 0, 0, 3])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ----------------------------------------------------------------------------------------
# confusion matrix
# ----------------------------------------------------------------------------------------


def test_confusion_matrix_by_hand():
    # row 0: true 0 predicted as 0, 0, 1     -> [2, 1, 0]
    # row 1: true 1 predicted as 1, 1        -> [0, 2, 0]
    # row 2: true 2 predicted as 2, 0, 2, 2  -> [1, 0, 3]
    cm = confusion_matrix(Y_TRUE_A, Y_PRED_A)
    np.testing.assert_array_equal(cm, [[2, 1, 0], [0, 2, 0], [1, 0, 3]])
    assert cm.dtype == np.int64


def test_confusion_matrix_rows_are_true_classes():
    # one sample of true class 0 predicted as 1: it sits in row 0, column 1
    np.testing.assert_array_equal(confusion_matrix([0], [1]), [[0, 1], [0, 0]])


def test_confusion_matrix_with_more_classes_than_seen():
    # classes 2 and 3 never occur: their rows and columns are zero
    cm = confusion_matrix([0, 1], [1, 1], n_classes=4)
    expected = np.zeros((4, 4), dtype=int)
    expected[0, 1] = expected[1, 1] = 1
    np.testing.assert_array_equal(cm, expected)


def test_confusion_matrix_example_b():
    # row 0: true 0 -> 0, 0 ; row 1: true 1 -> 0, 3 ; rows 2 and 3 empty
    cm = confusion_matrix(Y_TRUE_B, Y_PRED_B, n_classes=4)
    np.testing.assert_array_equal(cm, [[2, 0, 0, 0], [1, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]])


# ----------------------------------------------------------------------------------------
# accuracy, balanced accuracy, precision, recall, F1
# ----------------------------------------------------------------------------------------


def test_scores_example_a_by_hand():
    # accuracy = diagonal / N = (2 + 2 + 3) / 9
    assert accuracy(Y_TRUE_A, Y_PRED_A) == pytest.approx(7 / 9)
    # recall = diagonal / row sums = 2/3, 2/2, 3/4; mean = (8 + 12 + 9) / 36
    assert balanced_accuracy(Y_TRUE_A, Y_PRED_A) == pytest.approx(29 / 36)
    s = precision_recall_f1(Y_TRUE_A, Y_PRED_A)
    # precision = diagonal / column sums (3, 3, 3) = 2/3, 2/3, 3/3
    np.testing.assert_allclose(s["precision"], [2 / 3, 2 / 3, 1])
    np.testing.assert_allclose(s["recall"], [2 / 3, 1, 3 / 4])
    # F1 = 2TP / (2TP + FP + FN): class 0: 4/(4+1+1); class 1: 4/(4+1+0); class 2: 6/(6+0+1)
    np.testing.assert_allclose(s["f1"], [2 / 3, 4 / 5, 6 / 7])
    np.testing.assert_array_equal(s["support"], [3, 2, 4])
    assert s["support"].dtype == np.int64
    # macro F1 = (2/3 + 4/5 + 6/7) / 3 = (70 + 84 + 90) / 315
    assert macro_f1(Y_TRUE_A, Y_PRED_A) == pytest.approx(244 / 315)


def test_f1_is_the_harmonic_mean_of_precision_and_recall():
    s = precision_recall_f1(Y_TRUE_A, Y_PRED_A)
    p, r = s["precision"], s["recall"]
    np.testing.assert_allclose(s["f1"], 2 * p * r / (p + r))


def test_never_predicted_and_absent_classes_give_zero_not_nan():
    s = precision_recall_f1(Y_TRUE_B, Y_PRED_B, n_classes=4)
    # column sums (predicted) = 3, 0, 0, 1 -> precision 2/3, 0/0 -> 0, 0/0 -> 0, 0/1
    np.testing.assert_array_equal(s["precision"], [2 / 3, 0, 0, 0])
    # row sums (support) = 2, 2, 0, 0 -> recall 2/2, 0/2, 0/0 -> 0, 0/0 -> 0
    np.testing.assert_array_equal(s["recall"], [1, 0, 0, 0])
    # F1: class 0: 4/(4+1+0); class 1: 0/(0+0+2); class 2: 0/0 -> 0; class 3: 0/(0+1+0)
    np.testing.assert_allclose(s["f1"], [4 / 5, 0, 0, 0])
    np.testing.assert_array_equal(s["support"], [2, 2, 0, 0])
    for v in s.values():
        assert np.all(np.isfinite(v))


def test_macro_and_balanced_scores_skip_classes_that_do_not_occur():
    # macro F1 over classes in y_true or y_pred {0, 1, 3}: (4/5 + 0 + 0) / 3
    assert macro_f1(Y_TRUE_B, Y_PRED_B) == pytest.approx(4 / 15)
    # balanced accuracy over classes in y_true {0, 1}: (2/2 + 0/2) / 2
    assert balanced_accuracy(Y_TRUE_B, Y_PRED_B) == pytest.approx(0.5)
    assert accuracy(Y_TRUE_B, Y_PRED_B) == pytest.approx(2 / 4)


def test_majority_class_guesser_is_exposed_by_balanced_accuracy():
    # 9 of class 0, 1 of class 1, always answering 0: accuracy 0.9, balanced (1 + 0) / 2
    y_true = np.array([0] * 9 + [1])
    y_pred = np.zeros(10, dtype=int)
    assert accuracy(y_true, y_pred) == pytest.approx(0.9)
    assert balanced_accuracy(y_true, y_pred) == pytest.approx(0.5)
    # F1 of class 0: 18/(18+1+0); of class 1: 0 -> macro (18/19) / 2
    assert macro_f1(y_true, y_pred) == pytest.approx(9 / 19)


def test_perfect_predictions():
    y = np.array([0, 1, 2, 1, 0, 2])
    assert accuracy(y, y) == balanced_accuracy(y, y) == macro_f1(y, y) == 1.0
    np.testing.assert_array_equal(confusion_matrix(y, y), np.diag([2, 2, 2]))
    for key in ("precision", "recall", "f1"):
        np.testing.assert_array_equal(precision_recall_f1(y, y)[key], [1, 1, 1])


def test_all_wrong_predictions():
    y_true, y_pred = [0, 0, 1, 1], [1, 1, 0, 0]
    assert accuracy(y_true, y_pred) == balanced_accuracy(y_true, y_pred) == 0.0
    assert macro_f1(y_true, y_pred) == 0.0
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), [[0, 2], [2, 0]])
    s = precision_recall_f1(y_true, y_pred)
    for key in ("precision", "recall", "f1"):
        np.testing.assert_array_equal(s[key], [0, 0])


def test_probabilities_are_turned_into_classes_by_argmax():
    y_true = np.array([0, 1, 2, 1])
    probs = np.array(
        [
            [0.7, 0.2, 0.1],  # -> 0
            [0.3, 0.3, 0.4],  # -> 2
            [0.1, 0.1, 0.8],  # -> 2
            [0.5, 0.5, 0.0],  # a tie -> the lower index, 0
        ]
    )
    np.testing.assert_array_equal(
        confusion_matrix(y_true, probs), confusion_matrix(y_true, [0, 2, 2, 0])
    )
    assert accuracy(y_true, probs) == pytest.approx(2 / 4)
    # a class never predicted still gets its row: the K columns set the number of classes
    cm = confusion_matrix([0, 0], np.array([[0.9, 0.05, 0.05], [0.6, 0.3, 0.1]]))
    assert cm.shape == (3, 3)


def test_boolean_labels_are_binary_classes():
    np.testing.assert_array_equal(
        confusion_matrix(np.array([True, False, True]), np.array([True, True, True])),
        [[0, 1], [0, 2]],
    )


# ----------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "error", "match"),
    [
        ([0, 1, 2], [0, 1], {}, ValueError, r"same length; got 3 and 2"),
        ([[1, 0], [0, 1]], [0, 1], {}, ValueError, r"shape \(N,\).*\(2, 2\).*argmax"),
        ([0.0, 1.0], [0, 1], {}, TypeError, r"integer class indices.*float64"),
        ([0, 1], ["a", "b"], {}, TypeError, r"integer class indices"),
        ([0, -1], [0, 1], {}, ValueError, r"non-negative.*-1"),
        ([0, 3], [0, 1], {"n_classes": 3}, ValueError, r"n_classes=3 is too small.*y_true.*3"),
        ([0, 1], [0, 5], {"n_classes": 3}, ValueError, r"y_pred holds class index 5"),
        ([0, 1], [0, 1], {"n_classes": 2.0}, TypeError, r"n_classes must be an integer"),
        ([], [], {}, ValueError, r"at least one sample"),
        ([0, 1], np.zeros((2, 2, 2)), {}, ValueError, r"\(N, K\) with scores; got \(2, 2, 2\)"),
        ([0, 3], np.ones((2, 3)), {}, ValueError, r"holds class index 3"),
        ([0, 1], np.ones((2, 3)), {"n_classes": 4}, ValueError, r"n_classes=4 does not match"),
        ([0, 1], [[0.5, np.nan], [0.1, 0.9]], {}, ValueError, r"finite"),
    ],
)
def test_bad_input_says_what_was_expected_and_received(y_true, y_pred, kwargs, error, match):
    with pytest.raises(error, match=match):
        confusion_matrix(y_true, y_pred, **kwargs)


@pytest.mark.parametrize("func", [accuracy, balanced_accuracy, macro_f1, precision_recall_f1])
def test_every_metric_validates(func):
    with pytest.raises(ValueError, match="same length"):
        func([0, 1, 1], [0, 1])


# ----------------------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------------------


def test_classification_report_rows():
    text = classification_report(Y_TRUE_A, Y_PRED_A, ["Platelets", "RBC", "WBC"])
    lines = text.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    # Platelets: precision 2/3, recall 2/3, F1 2/3, support 3
    assert lines[1].split() == ["Platelets", "0.667", "0.667", "0.667", "3"]
    assert lines[2].split() == ["RBC", "0.667", "1.000", "0.800", "2"]
    assert lines[3].split() == ["WBC", "1.000", "0.750", "0.857", "4"]
    assert "accuracy                                 0.778        9" in text
    assert text.splitlines()[-2].split()[-1] == f"{29 / 36:.3f}"  # balanced accuracy
    # macro averages (2/3 + 2/3 + 1)/3, (2/3 + 1 + 3/4)/3, 244/315
    assert lines[-1].split() == ["macro", "average", "0.778", "0.806", "0.775", "9"]


def test_classification_report_lists_every_named_class():
    # class "c" occurs nowhere: it is listed with zeros but left out of the macro average
    text = classification_report([0, 1], [0, 1], ["a", "b", "c"], digits=2)
    assert "c" in [line.split()[0] for line in text.splitlines()[1:4]]
    assert text.splitlines()[3].split() == ["c", "0.00", "0.00", "0.00", "0"]
    assert text.splitlines()[-1].split()[-4:] == ["1.00", "1.00", "1.00", "2"]
    with pytest.raises(ValueError, match="n_classes=2 is too small"):
        classification_report([0, 2], [0, 1], ["a", "b"])
    with pytest.raises(TypeError, match="class_names"):
        classification_report([0, 1], [0, 1], "ab")


def test_metrics_package_exports():
    assert set(metrics.__all__) >= {
        "confusion_matrix",
        "accuracy",
        "balanced_accuracy",
        "precision_recall_f1",
        "macro_f1",
        "classification_report",
    }


# ----------------------------------------------------------------------------------------
# properties and scikit-learn
# ----------------------------------------------------------------------------------------


labels_pairs = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(labels_pairs)
def test_metrics_agree_with_each_other(pair):
    y_true, y_pred = map(np.array, pair)
    cm = confusion_matrix(y_true, y_pred, n_classes=5)
    assert cm.sum() == len(y_true)
    s = precision_recall_f1(y_true, y_pred, n_classes=5)
    np.testing.assert_array_equal(cm.sum(axis=1), s["support"])
    assert accuracy(y_true, y_pred) == pytest.approx(np.trace(cm) / len(y_true))
    for key in ("precision", "recall", "f1"):
        assert np.all((s[key] >= 0) & (s[key] <= 1))
    present = s["support"] > 0
    assert balanced_accuracy(y_true, y_pred) == pytest.approx(s["recall"][present].mean())


@pytest.mark.parametrize("seed", range(5))
def test_against_scikit_learn(seed):
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, size=50)
    y_pred = np.where(rng.random(50) < 0.6, y_true, rng.integers(0, 5, size=50))
    k = 5
    np.testing.assert_array_equal(
        confusion_matrix(y_true, y_pred, k), skm.confusion_matrix(y_true, y_pred, labels=range(k))
    )
    assert accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    with warnings.catch_warnings():  # "y_pred contains classes not in y_true"
        warnings.simplefilter("ignore", UserWarning)
        expected = skm.balanced_accuracy_score(y_true, y_pred)
    assert balanced_accuracy(y_true, y_pred) == pytest.approx(expected)
    p, r, f, s = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=range(k), zero_division=0
    )
    ours = precision_recall_f1(y_true, y_pred, k)
    np.testing.assert_allclose(ours["precision"], p)
    np.testing.assert_allclose(ours["recall"], r)
    np.testing.assert_allclose(ours["f1"], f)
    np.testing.assert_array_equal(ours["support"], s)
    assert macro_f1(y_true, y_pred) == pytest.approx(
        skm.f1_score(y_true, y_pred, average="macro", zero_division=0)
    )


# ----------------------------------------------------------------------------------------
# confusion_matrix_figure
# ----------------------------------------------------------------------------------------


def _cell_texts(ax):
    return [t.get_text() for t in ax.texts]


def test_figure_from_labels_has_names_and_counts(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() was called"))
    fig = confusion_matrix_figure(Y_TRUE_A, Y_PRED_A, class_names=["Platelets", "RBC", "WBC"])
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Platelets", "RBC", "WBC"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Platelets", "RBC", "WBC"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    # the texts go row by row: [[2, 1, 0], [0, 2, 0], [1, 0, 3]]
    assert _cell_texts(ax) == ["2", "1", "0", "0", "2", "0", "1", "0", "3"]


def test_figure_normalized_by_true_class_shows_fractions():
    fig = confusion_matrix_figure(np.array([[2, 1, 0], [0, 2, 0], [1, 0, 3]]), normalize="true")
    texts = _cell_texts(fig.axes[0])
    # row 0 sums to 3: 2/3, 1/3, 0; row 2 sums to 4: 1/4, 0, 3/4
    assert texts[:3] == ["2\n0.67", "1\n0.33", "0\n0.00"]
    assert texts[6:] == ["1\n0.25", "0\n0.00", "3\n0.75"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0", "1", "2"]
    # by predicted class: column 0 sums to 3 -> 2/3 and 1/3
    texts = _cell_texts(confusion_matrix_figure([[2, 0], [1, 0]], normalize="pred").axes[0])
    assert texts == ["2\n0.67", "0\n0.00", "1\n0.33", "0\n0.00"]


def test_figure_draws_into_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    out = confusion_matrix_figure([0, 1], [0, 0], class_names=["a", "b"], ax=axes[1])
    assert out is fig
    assert _cell_texts(axes[1]) == ["1", "0", "1", "0"]
    assert _cell_texts(axes[0]) == []


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (([[1, 2]],), {}, ValueError, r"square.*\(1, 2\)"),
        (([[1, 0], [0, 1]],), {"normalize": "all"}, ValueError, r"None, 'true' or 'pred'.*'all'"),
        (([[0.5, 0.5], [0, 1]],), {}, TypeError, r"whole counts"),
        (([[1, -1], [0, 1]],), {}, ValueError, r"non-negative"),
        (([[1, 0], [0, 1]],), {"class_names": ["a", "b", "c"]}, ValueError, r"got 3 names"),
        (([0, 2], [0, 1]), {"class_names": ["a", "b"]}, ValueError, r"n_classes=2 is too small"),
    ],
)
def test_figure_rejects_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        confusion_matrix_figure(*args, **kwargs)
