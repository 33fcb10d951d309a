"""Figures: each function returns a Figure, validates its inputs, never shows."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cellcourse import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_show_image_uses_the_given_limits():
    image = np.arange(12, dtype=np.uint16).reshape(3, 4)
    fig = plot.show_image(image, clim=(2, 8), title="t", colorbar=True)
    shown = fig.axes[0].images[0]
    assert shown.get_clim() == (2, 8)
    assert fig.axes[0].get_title() == "t"


def test_image_grid_layout_and_titles():
    fig = plot.image_grid(np.zeros((5, 8, 8)), titles=list("abcde"), ncols=3)
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes[:5]] == list("abcde")
    with pytest.raises(ValueError, match="one title per image"):
        plot.image_grid(np.zeros((2, 8, 8)), titles=["a"])


def test_overlay_labels_outlines_objects():
    image = np.zeros((20, 20))
    labels = np.zeros((20, 20), dtype=np.int32)
    labels[5:10, 5:10] = 1
    fig = plot.overlay_labels(image, labels, alpha=0.0, clim=(0, 1))
    rgb = fig.axes[0].images[0].get_array()
    assert tuple(rgb[5, 7]) == (1.0, 1.0, 0.0)  # outline drawn in yellow
    assert tuple(rgb[0, 0]) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "image, labels, match",
    [
        (
            np.zeros((4, 4)),
            np.zeros((4, 5), dtype=int),
            r"expected labels of the image's shape \(4, 4\); got \(4, 5\)",
        ),
        (np.zeros((4, 4)), np.zeros((4, 4)), "integer labels"),
        (np.zeros((3, 4, 4)), np.zeros((4, 4), dtype=int), r"got \(3, 4, 4\)"),
    ],
)
def test_overlay_labels_validates(image, labels, match):
    with pytest.raises((ValueError, TypeError), match=match):
        plot.overlay_labels(image, labels)


def test_histogram_marks():
    fig = plot.intensity_histogram(np.arange(100), marks={"p1": 1.0, "p99": 98.0})
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(TypeError, match="numeric"):
        plot.intensity_histogram(np.array(["a"]))


# ----------------------------------------------------------------------------------------
# training_curves, feature_maps, learning_curve
# ----------------------------------------------------------------------------------------

HISTORY = {
    "loss": [1.0, 0.6, 0.4],
    "accuracy": [0.5, 0.7, 0.8],
    "val_loss": [1.1, 0.8, 0.9],
    "val_accuracy": [0.4, 0.6, 0.7],
}


class _History:
    """Stands in for keras.callbacks.History: the dict lives in .history."""

    history = {"loss": [0.9, 0.5]}


def test_training_curves_one_panel_per_metric_with_validation_and_baseline():
    fig = plot.training_curves(HISTORY, baseline={"accuracy": 0.85}, title="run 1")
    assert len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_ylabel() == "loss" and acc_ax.get_ylabel() == "accuracy"
    assert [line.get_label() for line in loss_ax.get_lines()] == ["training", "validation"]
    training, validation, baseline = acc_ax.get_lines()
    np.testing.assert_array_equal(training.get_xdata(), [1, 2, 3])  # epochs from 1
    np.testing.assert_array_equal(validation.get_ydata(), [0.4, 0.6, 0.7])
    assert baseline.get_label() == "baseline" and baseline.get_linestyle() == "--"
    np.testing.assert_array_equal(baseline.get_ydata(), [0.85, 0.85])
    assert fig._suptitle.get_text() == "run 1"
    # a History object, one metric by name, no validation curve
    fig = plot.training_curves(_History(), metrics="loss")
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["training"]


@pytest.mark.parametrize(
    ("history", "kwargs", "error", "match"),
    [
        (
            HISTORY,
            {"metrics": ("loss", "f1")},
            ValueError,
            "no metric 'f1'; expected one of its keys: 'loss', 'accuracy', 'val_loss'",
        ),
        ([1.0, 0.5], {}, TypeError, "keras History.*got list"),
        (HISTORY, {"metrics": []}, TypeError, "metrics as a str or a list"),
        (HISTORY, {"baseline": {"auc": 0.9}}, ValueError, "baseline given for 'auc'"),
        (HISTORY, {"baseline": {"loss": "low"}}, TypeError, "number as baseline for 'loss'"),
        ({"loss": []}, {"metrics": "loss"}, ValueError, r"history\['loss'\].*got shape \(0,\)"),
        ({"loss": ["a"]}, {"metrics": "loss"}, TypeError, "list of numbers"),
    ],
)
def test_training_curves_validates(history, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot.training_curves(history, **kwargs)


def test_feature_maps_rows_are_layers_and_columns_channels():
    rng = np.random.default_rng(0)
    maps = {"block1_relu": rng.random((1, 16, 16, 6)), "block2_relu": rng.random((8, 8, 2))}
    fig = plot.feature_maps(maps, n_maps=4, image=rng.random((16, 16, 3)) * 2 - 1, title="t")
    axes = np.array(fig.axes).reshape(2, 5)  # input column + 4 maps
    assert axes[0, 0].get_title() == "input"
    shown = axes[0, 0].images[0].get_array()
    assert shown.min() == 0 and shown.max() == 1  # a -1..1 RGB input is stretched for display
    assert [ax.get_title() for ax in axes[0, 1:]] == ["map 1", "map 2", "map 3", "map 4"]
    np.testing.assert_array_equal(axes[0, 3].images[0].get_array(), maps["block1_relu"][0, ..., 2])
    assert axes[1, 1].get_ylabel() == "block2_relu\n8×8"
    # block2_relu has 2 channels: the last two cells of its row stay empty, as does its input cell
    assert [len(ax.images) for ax in axes[1]] == [0, 1, 1, 0, 0]
    fig = plot.feature_maps({"a": np.zeros((4, 4, 3))})  # fewer channels than n_maps
    assert len(fig.axes) == 3


@pytest.mark.parametrize(
    ("maps", "kwargs", "error", "match"),
    [
        ({"a": np.zeros((2, 4, 4, 3))}, {}, ValueError, r"'a' for one image.*got \(2, 4, 4, 3\)"),
        ({"a": np.zeros((4, 4))}, {}, ValueError, r"\(Y, X, F\) or \(1, Y, X, F\); got \(4, 4\)"),
        ({}, {}, TypeError, "non-empty dict"),
        (np.zeros((4, 4, 3)), {}, TypeError, "got ndarray"),
        ({"a": np.zeros((4, 4, 3))}, {"n_maps": 0}, ValueError, "n_maps as a positive int"),
        (
            {"a": np.zeros((4, 4, 3))},
            {"image": np.zeros((2, 4, 5))},
            ValueError,
            r"image of shape.*\(2, 4, 5\)",
        ),
    ],
)
def test_feature_maps_validates(maps, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot.feature_maps(maps, **kwargs)


def test_learning_curve_mean_band_and_chance():
    sizes = [20, 5, 10]  # any order: drawn sorted
    scores = {
        "transfer": [[0.9, 0.7], [0.5, 0.7], [0.6, 0.8]],  # repeats: mean with min-max band
        "from scratch": [0.6, 0.3, 0.4],
    }
    fig = plot.learning_curve(sizes, scores, chance=0.25, title="BCCD")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    transfer, scratch, chance = ax.get_lines()
    np.testing.assert_array_equal(transfer.get_xdata(), [5, 10, 20])
    np.testing.assert_allclose(transfer.get_ydata(), [0.6, 0.7, 0.8])
    np.testing.assert_allclose(scratch.get_ydata(), [0.3, 0.4, 0.6])
    assert chance.get_label() == "chance" and chance.get_linestyle() == "--"
    assert len(ax.collections) == 1  # one band: only "transfer" has repeats
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.5) and band[:, 1].max() == pytest.approx(0.9)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["5", "10", "20"]
    assert ax.get_xlabel() == "labelled cells per class" and ax.get_ylabel() == "test macro-F1"


@pytest.mark.parametrize(
    ("sizes", "scores", "error", "match"),
    [
        ([5, 10], {"a": [0.5, 0.6, 0.7]}, ValueError, r"'a' of shape \(2,\) or \(2, R\).*\(3,\)"),
        ([5, 10], {"a": np.zeros((2, 3, 1))}, ValueError, r"got \(2, 3, 1\)"),
        ([0, 10], {"a": [0.5, 0.6]}, ValueError, r"positive numbers \(log axis\); got \[0\.0, 10"),
        ([], {"a": []}, ValueError, "non-empty"),
        ([5, 10], {}, TypeError, "non-empty dict"),
        ([5, 10], {"a": [0.5, np.nan]}, ValueError, "finite scores for 'a'"),
        (["a", "b"], {"a": [0.5, 0.6]}, TypeError, "sizes as a sequence of numbers"),
    ],
)
def test_learning_curve_validates(sizes, scores, error, match):
    with pytest.raises(error, match=match):
        plot.learning_curve(sizes, scores)
