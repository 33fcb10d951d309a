"""Interactive viewers: they build, redraw when driven, and validate their input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cellcourse import widgets  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_contrast_explorer_redraws_with_the_slider_range():
    image = np.arange(100 * 120, dtype=np.uint16).reshape(100, 120)
    box = widgets.contrast_explorer(image)
    slider = box.children[0]
    assert slider.min == 0 and slider.max == image.max()
    fig = box.draw(100.0, 200.0)
    assert fig.axes[0].images[0].get_clim() == (100.0, 200.0)


def test_stack_viewer_draws_each_image():
    stack = np.random.default_rng(0).integers(0, 4000, size=(3, 16, 16)).astype(np.uint16)
    labels = np.zeros((3, 16, 16), dtype=np.int32)
    labels[:, 4:8, 4:8] = 1
    box = widgets.stack_viewer(stack, labels, axis_name="frame")
    assert box.children[0].max == 2
    fig = box.draw(2)
    assert fig.axes[0].get_title() == "frame 2 of 2"
    with pytest.raises(IndexError, match=r"frame index must be in 0..2; got 3"):
        box.draw(3)


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: widgets.contrast_explorer(np.zeros((2, 3, 4))),
            r"shape \(Y, X\); got shape \(2, 3, 4\)",
        ),
        (lambda: widgets.stack_viewer(np.zeros((4, 4))), r"\(S, Y, X\); got shape \(4, 4\)"),
        (
            lambda: widgets.stack_viewer(np.zeros((2, 4, 4)), np.zeros((2, 4, 5), dtype=int)),
            r"labels of shape \(2, 4, 4\); got \(2, 4, 5\)",
        ),
    ],
)
def test_bad_input_is_explained(call, match):
    with pytest.raises(ValueError, match=match):
        call()
