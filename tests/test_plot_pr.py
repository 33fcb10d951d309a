"""precision_recall_figure: one curve per class with its AP, a dashed prevalence baseline."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from cellcourse.metrics import precision_recall_curve  # noqa: E402
from cellcourse.plot import precision_recall_figure  # noqa: E402

NAMES = ["Platelets", "RBC", "WBC"]
# six cells: one platelet, four red cells, one white cell
Y = np.array([0, 1, 1, 1, 1, 2])
PROBS = np.array(
    [
        [0.6, 0.3, 0.1],  # platelet, ranked first for class 0
        [0.1, 0.8, 0.1],
        [0.1, 0.7, 0.2],
        [0.3, 0.6, 0.1],
        [0.1, 0.5, 0.4],  # a red cell that looks white
        [0.1, 0.6, 0.3],  # white cell, ranked second for class 2
    ]
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _curves_and_baselines(ax):
    curves = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    baselines = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    return curves, baselines


def test_one_curve_per_class_with_ap_and_prevalence():
    fig = precision_recall_figure(Y, PROBS, NAMES)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    # Platelets: ranked first -> AP 1. RBC: scores 0.8, 0.7, 0.6 (tied with the WBC), 0.5,
    # each threshold finds 1/4 more at precision 1, 1, 3/4 (0.6 calls 4, 3 right), 4/5:
    # AP = 0.25 + 0.25 + 0.1875 + 0.2 = 0.8875. WBC: the red cell at 0.4 ranks above it,
    # found at rank 2: AP 1/2
    assert ax.get_legend_handles_labels()[1] == [
        "Platelets: AP = 1.00, prevalence = 0.17",
        "RBC: AP = 0.89, prevalence = 0.67",
        "WBC: AP = 0.50, prevalence = 0.17",
    ]
    curves, baselines = _curves_and_baselines(ax)
    assert len(curves) == len(baselines) == 3
    for k, (curve, base) in enumerate(zip(curves, baselines, strict=True)):
        assert to_rgba(curve.get_color()) == to_rgba(base.get_color()) == to_rgba(f"C{k}")
        np.testing.assert_allclose(base.get_ydata(), np.mean(Y == k))
        precision, recall, _ = precision_recall_curve(Y, PROBS, positive=k)
        np.testing.assert_allclose(curve.get_xdata(), recall)
        np.testing.assert_allclose(curve.get_ydata(), precision)
    assert ax.get_xlabel() == "recall" and ax.get_ylabel() == "precision"
    assert ax.get_xlim() == (0, 1)


def test_draws_into_a_given_axes_with_a_title():
    fig, axes = plt.subplots(1, 2)
    out = precision_recall_figure(Y, PROBS, NAMES, ax=axes[1], title="test set")
    assert out is fig
    assert axes[1].get_title() == "test set"
    assert len(axes[0].get_lines()) == 0 and len(axes[1].get_lines()) == 6


def test_a_class_absent_from_y_true_gets_no_curve():
    fig = precision_recall_figure(Y[:5], PROBS[:5], NAMES)  # no white cell
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels[2] == "WBC: absent from y_true, no curve"
    curves, baselines = _curves_and_baselines(ax)
    assert len(baselines) == 2
    assert len(curves[2].get_xdata()) == 0


def test_errors_say_what_was_expected():
    with pytest.raises(ValueError, match=r"one class name per column of probs \(6, 3\); got 2"):
        precision_recall_figure(Y, PROBS, NAMES[:2])
    with pytest.raises(ValueError, match="y_true has 5 labels, probs has 6 rows"):
        precision_recall_figure(Y[:5], PROBS, NAMES)
    with pytest.raises(ValueError, match=r"probs of shape \(S, K\)"):
        precision_recall_figure(Y, PROBS[:, 0], NAMES)
    with pytest.raises(ValueError, match="class index 3, but there are only 3"):
        precision_recall_figure(np.r_[Y[:5], 3], PROBS, NAMES)
    with pytest.raises(ValueError, match="logits"):
        precision_recall_figure(Y, PROBS - 0.5, NAMES)
    with pytest.raises(TypeError, match="class_names as a list of str"):
        precision_recall_figure(Y, PROBS, "abc")
    with pytest.raises(TypeError, match="class_names as a list of str"):
        precision_recall_figure(Y, PROBS, [0, 1, 2])
