"""show_classes and overlay_errors: fixed class colours, and TP / FN / FP pixels over an image."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from cellcourse import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _drawn_rgb(fig) -> np.ndarray:
    """The RGB values of the image drawn in the figure's first axes, (Y, X, 3) in 0-1."""
    shown = fig.axes[0].images[0]
    array = np.asarray(shown.get_array())
    if array.ndim == 2:  # a colour-mapped class map: apply its colour map as drawn
        return shown.to_rgba(array)[..., :3]
    return array[..., :3]


def _legend(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


# --- show_classes ---------------------------------------------------------------------------------


def test_show_classes_gives_each_class_its_fixed_colour():
    classes = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    fig = plot.show_classes(classes, title="target")
    ax = fig.axes[0]
    assert ax.get_title() == "target"
    assert _legend(ax) == ["background", "interior", "boundary"]
    rgb = _drawn_rgb(fig)
    expected = [to_rgb("#1a1a1a"), to_rgb("#56b4e9"), to_rgb("#e69f00")]
    for (y, x), k in np.ndenumerate(classes):
        np.testing.assert_allclose(rgb[y, x], expected[k], atol=1e-6)


def test_show_classes_colours_do_not_depend_on_which_classes_occur():
    # a map with boundary pixels only must still draw them orange, not as "the largest value"
    only_boundary = np.full((2, 2), 2)
    rgb = _drawn_rgb(plot.show_classes(only_boundary, legend=False))
    np.testing.assert_allclose(rgb[0, 0], to_rgb("#e69f00"), atol=1e-6)
    assert plot.show_classes(only_boundary, legend=False).axes[0].get_legend() is None


def test_show_classes_other_names_bools_and_given_axes():
    fig, axes = plt.subplots(1, 2)
    out = plot.show_classes(np.eye(3, dtype=bool), ax=axes[1], class_names=["out", "in"])
    assert out is fig
    assert _legend(axes[1]) == ["out", "in"]
    assert not axes[0].images


@pytest.mark.parametrize(
    ("class_map", "kwargs", "error", "words"),
    [
        (np.zeros((2, 2)), {}, TypeError, "integer class indices"),
        (np.zeros((2, 2, 1), int), {}, ValueError, "(Y, X)"),
        (np.array([[0, 3]]), {}, ValueError, "from 0 to 2"),
        (np.array([[-1, 0]]), {}, ValueError, "from 0 to 2"),
        (np.zeros((2, 2), int), {"class_names": "background"}, TypeError, "sequence of str"),
        (np.zeros((2, 2), int), {"class_names": [str(i) for i in range(8)]}, ValueError, "1 to 7"),
    ],
)
def test_show_classes_refuses_bad_input(class_map, kwargs, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        plot.show_classes(class_map, **kwargs)


# --- overlay_errors -------------------------------------------------------------------------------


def test_overlay_errors_colours_tp_fn_fp_and_leaves_the_rest_grey():
    image = np.array([[0.0, 1.0], [0.5, 1.0]])
    true_mask = np.array([[1, 1], [0, 0]])  # an integer map: != 0 is the mask
    pred_mask = np.array([[True, False], [True, False]])
    fig = plot.overlay_errors(image, true_mask, pred_mask, clim=(0, 1), alpha=1.0, title="t")
    rgb = _drawn_rgb(fig)
    np.testing.assert_allclose(rgb[0, 0], (0.0, 0.62, 0.45))  # found
    np.testing.assert_allclose(rgb[0, 1], (0.84, 0.37, 0.0))  # missed
    np.testing.assert_allclose(rgb[1, 0], (0.34, 0.71, 0.91))  # extra
    np.testing.assert_allclose(rgb[1, 1], (1.0, 1.0, 1.0))  # neither: the grey image
    ax = fig.axes[0]
    assert ax.get_title() == "t"
    assert _legend(ax) == ["found (TP)", "missed (FN)", "extra (FP)"]


def test_overlay_errors_blends_with_alpha_and_uses_clim():
    image = np.array([[2.0, 4.0]])
    true_mask = np.array([[True, False]])
    fig = plot.overlay_errors(image, true_mask, true_mask, clim=(0, 4), alpha=0.5, legend=False)
    rgb = _drawn_rgb(fig)
    # grey 2 / 4 = 0.5, blended half and half with the green of a found pixel
    np.testing.assert_allclose(rgb[0, 0], 0.5 * 0.5 + 0.5 * np.array([0.0, 0.62, 0.45]))
    np.testing.assert_allclose(rgb[0, 1], (1.0, 1.0, 1.0))
    assert fig.axes[0].get_legend() is None


@pytest.mark.parametrize(
    ("image", "true_mask", "pred_mask", "kwargs", "error", "words"),
    [
        (np.zeros((2, 2, 3)), np.zeros((2, 2)), np.zeros((2, 2)), {}, ValueError, "grey-level"),
        (np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2), int), {}, TypeError, "true_mask"),
        (
            np.zeros((2, 2)),
            np.zeros((2, 2), int),
            np.zeros((2, 3), int),
            {},
            ValueError,
            "pred_mask",
        ),
        (
            np.zeros((2, 2)),
            np.zeros((2, 2), int),
            np.zeros((2, 2), int),
            {"alpha": 2},
            ValueError,
            "alpha",
        ),
    ],
)
def test_overlay_errors_refuses_bad_input(image, true_mask, pred_mask, kwargs, error, words):
    with pytest.raises(error, match=words):
        plot.overlay_errors(image, true_mask, pred_mask, **kwargs)
