"""Interactive viewers for the notebooks (ipywidgets), imported only when used.

Each function returns the widget to display; its drawing function is exposed
as ``widget.draw(...)`` so that tests and scripts can drive it without a
browser.
"""

from __future__ import annotations

import numpy as np

__all__ = ["contrast_explorer", "stack_viewer"]


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as err:  # pragma: no cover - ipywidgets is a dependency
        raise ImportError(
            "the interactive viewers need ipywidgets: pip install ipywidgets"
        ) from err
    return ipywidgets


def contrast_explorer(image, clim=None, figsize=(6, 4)):
    """A slider for the display range of an image, with its histogram.

    Dragging the range changes only what is shown: the image itself is not
    modified.

    Parameters
    ----------
    image : (Y, X) ndarray
        Grey-level image, any numeric dtype.
    clim : (float, float), optional
        Initial display range; default the 1st and 99.8th percentile.
    figsize : (float, float)
        Size of the figure in inches.

    Returns
    -------
    ipywidgets.VBox
        The slider above the plot; ``.draw(low, high)`` redraws for a range.
    """
    widgets = _ipywidgets()
    import matplotlib.pyplot as plt

    from .plot import show_image

    image = np.asarray(image)
    if image.ndim != 2 or image.dtype.kind not in "biuf":
        raise ValueError(
            f"expected a numeric grey-level image of shape (Y, X); got shape {image.shape}, "
            f"dtype {image.dtype}"
        )
    lo, hi = float(image.min()), float(image.max())
    if not hi > lo:
        hi = lo + 1.0
    start = tuple(np.percentile(image, (1, 99.8))) if clim is None else clim
    slider = widgets.FloatRangeSlider(
        value=(float(start[0]), float(start[1])),
        min=lo,
        max=hi,
        step=(hi - lo) / 500,
        description="display",
        continuous_update=False,
        layout=widgets.Layout(width="95%"),
        readout_format=".0f",
    )
    output = widgets.Output()

    def draw(low: float, high: float):
        with output:
            output.clear_output(wait=True)
            fig, axes = plt.subplots(1, 2, figsize=figsize, gridspec_kw={"width_ratios": [3, 2]})
            show_image(
                image, ax=axes[0], clim=(low, high), title=f"display range {low:.0f} - {high:.0f}"
            )
            axes[1].hist(image.ravel(), bins=256, color="0.3", log=True)
            axes[1].axvspan(low, high, color="tab:orange", alpha=0.25)
            axes[1].set_xlabel("pixel value")
            axes[1].set_title("shown range in orange", fontsize=9)
            fig.tight_layout()
            plt.show()
        return fig

    slider.observe(lambda change: draw(*change["new"]), names="value")
    box = widgets.VBox([slider, output])
    box.draw = draw
    draw(*slider.value)
    return box


def stack_viewer(images, labels=None, clim=None, axis_name="image", figsize=(5, 4)):
    """A slider through a stack of images (samples, time points or z-planes).

    Parameters
    ----------
    images : (S, Y, X) ndarray
        The stack; the slider moves along the first axis.
    labels : (S, Y, X) ndarray of int, optional
        Instance labels drawn over each image.
    clim : (float, float), optional
        Display range shared by all images (default the stack's 1st and 99.8th percentile).
    axis_name : str
        What the first axis is, for the slider ("frame", "z", "image").

    Returns
    -------
    ipywidgets.VBox
        The slider above the plot; ``.draw(index)`` redraws one image.
    """
    widgets = _ipywidgets()
    import matplotlib.pyplot as plt

    from .plot import overlay_labels, show_image

    images = np.asarray(images)
    if images.ndim != 3 or images.dtype.kind not in "biuf" or len(images) == 0:
        raise ValueError(
            f"expected a non-empty numeric stack of shape (S, Y, X); got shape {images.shape}, "
            f"dtype {images.dtype}"
        )
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != images.shape:
            raise ValueError(f"expected labels of shape {images.shape}; got {labels.shape}")
    clim = tuple(np.percentile(images, (1, 99.8))) if clim is None else clim
    slider = widgets.IntSlider(
        value=0, min=0, max=len(images) - 1, description=axis_name, continuous_update=False
    )
    output = widgets.Output()

    def draw(index: int):
        if not 0 <= index < len(images):
            raise IndexError(f"{axis_name} index must be in 0..{len(images) - 1}; got {index}")
        with output:
            output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=figsize)
            title = f"{axis_name} {index} of {len(images) - 1}"
            if labels is None:
                show_image(images[index], ax=ax, clim=clim, title=title)
            else:
                overlay_labels(images[index], labels[index], ax=ax, clim=clim, title=title)
            plt.show()
        return fig

    slider.observe(lambda change: draw(change["new"]), names="value")
    box = widgets.VBox([slider, output])
    box.draw = draw
    draw(0)
    return box
