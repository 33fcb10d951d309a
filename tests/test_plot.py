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
