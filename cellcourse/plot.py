"""Figures for the course. Every function returns the matplotlib Figure and never calls ``plt.show()``.

Images are drawn with explicit contrast limits (``clim``) so learners see
what the numbers are, not what an automatic stretch makes of them.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "image_grid",
    "show_image",
    "overlay_labels",
    "intensity_histogram",
    "confusion_matrix_figure",
]


def _as_2d_or_rgb(image, name: str = "image") -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim != 2 and not (image.ndim == 3 and image.shape[-1] in (3, 4)):
        raise ValueError(
            f"expected {name} of shape (Y, X), (Y, X, 1) or (Y, X, 3); got {image.shape}"
        )
    if image.dtype.kind not in "biuf":
        raise TypeError(f"expected a numeric {name}; got dtype {image.dtype}")
    return image


def _axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    return fig, ax


def show_image(image, ax=None, clim=None, cmap="gray", title=None, colorbar=False, figsize=(5, 4)):
    """Draw one image with stated contrast limits.

    Parameters
    ----------
    image : (Y, X) or (Y, X, 3) ndarray
        Grey-level or RGB image.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    clim : (float, float), optional
        Display range ``(low, high)``: values at or below ``low`` are black,
        at or above ``high`` white. Default the image's min and max.
    cmap : str
        Colour map for grey-level images.
    title : str, optional
    colorbar : bool
        Add a colour bar that shows the intensity scale.

    Returns
    -------
    matplotlib.figure.Figure
    """
    image = _as_2d_or_rgb(image)
    fig, ax = _axes(ax, figsize)
    kwargs = {}
    if image.ndim == 2:
        low, high = (float(image.min()), float(image.max())) if clim is None else clim
        if not low < high:
            high = low + 1
        kwargs = dict(cmap=cmap, vmin=low, vmax=high)
    mappable = ax.imshow(image, interpolation="nearest", **kwargs)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    if colorbar and image.ndim == 2:
        fig.colorbar(mappable, ax=ax, fraction=0.046, pad=0.04)
    return fig


def image_grid(images, titles=None, ncols=4, clim=None, cmap="gray", size=2.5):
    """Draw images side by side.

    Parameters
    ----------
    images : (S, Y, X) or (S, Y, X, C) ndarray, or a list of (Y, X[, C]) arrays
    titles : list of str, optional
        One per image.
    ncols : int
        Images per row.
    clim : (float, float) or "each", optional
        Shared display range; ``"each"`` stretches every image on its own;
        default the range of all images together.
    size : float
        Inches per panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    images = [_as_2d_or_rgb(im, "each image") for im in images]
    if not images:
        raise ValueError("expected at least one image; got none")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"expected one title per image ({len(images)}); got {len(titles)}")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer; got {ncols!r}")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    if clim is None:
        clim = (min(float(im.min()) for im in images), max(float(im.max()) for im in images))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(images):
            ax.set_axis_off()
            continue
        show_image(
            images[i],
            ax=ax,
            clim=None if clim == "each" else clim,
            cmap=cmap,
            title=None if titles is None else titles[i],
        )
    fig.tight_layout()
    return fig


def overlay_labels(
    image, labels, ax=None, clim=None, alpha=0.35, outline=True, title=None, figsize=(5, 4)
):
    """Draw instance labels over an image: coloured fill and outlines.

    Parameters
    ----------
    image : (Y, X) ndarray
        Grey-level image.
    labels : (Y, X) ndarray of int
        Instance labels, 0 = background.
    clim : (float, float), optional
        Display range of the image (default its 1st and 99.8th percentile).
    alpha : float
        Opacity of the colour fill (0 = outlines only).
    outline : bool
        Draw object outlines.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from skimage.color import label2rgb
    from skimage.segmentation import find_boundaries

    image = _as_2d_or_rgb(image)
    labels = np.asarray(labels)
    if image.ndim != 2:
        raise ValueError(f"expected a grey-level image of shape (Y, X); got {image.shape}")
    if labels.shape != image.shape:
        raise ValueError(f"expected labels of the image's shape {image.shape}; got {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"expected integer labels (0 = background); got dtype {labels.dtype}")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha}")
    if clim is None:
        clim = np.percentile(image, (1, 99.8))
    low, high = float(clim[0]), float(clim[1])
    grey = np.clip((image.astype(np.float32) - low) / max(high - low, 1e-12), 0, 1)
    rgb = label2rgb(labels, image=grey, alpha=alpha, bg_label=0, image_alpha=1.0)
    if outline:
        rgb[find_boundaries(labels, mode="inner")] = (1.0, 1.0, 0.0)
    fig, ax = _axes(ax, figsize)
    ax.imshow(np.clip(rgb, 0, 1), interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def intensity_histogram(image, ax=None, bins=256, log=True, marks=None, title=None, figsize=(5, 3)):
    """Histogram of pixel values, with optional vertical marks (e.g. percentiles).

    Parameters
    ----------
    image : ndarray
        Any numeric array; all values are counted.
    bins : int
    log : bool
        Logarithmic count axis: the few bright pixels stay visible.
    marks : dict of str to float, optional
        Labelled vertical lines, e.g. ``{"1st percentile": 120, "99.8th": 2400}``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    values = np.asarray(image)
    if values.dtype.kind not in "biuf" or values.size == 0:
        raise TypeError(
            f"expected a non-empty numeric array; got dtype {values.dtype}, size {values.size}"
        )
    fig, ax = _axes(ax, figsize)
    ax.hist(values.ravel(), bins=bins, color="0.3", log=log)
    for i, (name, value) in enumerate((marks or {}).items()):
        ax.axvline(value, color=f"C{i + 1}", linestyle="--", label=f"{name} = {value:.4g}")
    if marks:
        ax.legend(fontsize=8)
    ax.set_xlabel("pixel value")
    ax.set_ylabel("number of pixels")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def confusion_matrix_figure(
    cm_or_y_true, y_pred=None, class_names=None, normalize=None, ax=None, title=None, cmap="Blues"
):
    """Draw a confusion matrix with the count in every cell.

    Parameters
    ----------
    cm_or_y_true : (K, K) array_like of int, or (N,) array_like of int
        A confusion matrix of counts (rows = true class, columns = predicted
        class, as from :func:`cellcourse.metrics.confusion_matrix`) when
        ``y_pred`` is None; otherwise the true class indices.
    y_pred : (N,) array_like of int, or (N, K) array_like of float, optional
        Predicted class indices or scores; the matrix is computed from them.
    class_names : sequence of str, optional
        One name per class, in index order; default ``"0"``, ``"1"``, ...
    normalize : {None, "true", "pred"}
        ``"true"``: also show each row as fractions of the true class (the
        diagonal is then each class's recall); ``"pred"``: each column as
        fractions of the predicted class (the diagonal is the precision). The
        colours follow the fractions; with None they follow the counts.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    title : str, optional
    cmap : str
        Colour map.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = confusion_matrix_figure([0, 0, 1, 2], [0, 1, 1, 1], ["a", "b", "c"])
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['a', 'b', 'c']
    """
    from .metrics.classification import confusion_matrix

    if normalize not in (None, "true", "pred"):
        raise ValueError(f"normalize must be None, 'true' or 'pred'; got {normalize!r}")
    if class_names is not None:
        if isinstance(class_names, str) or not all(isinstance(c, str) for c in class_names):
            raise TypeError(f"expected class_names as a list of str; got {class_names!r}")
        class_names = list(class_names)
    if y_pred is None:
        cm = np.asarray(cm_or_y_true)
        if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
            raise ValueError(
                f"expected a square confusion matrix of shape (K, K), or y_true with y_pred; "
                f"got an array of shape {cm.shape} and no y_pred"
            )
        if cm.dtype.kind not in "iuf" or (cm.dtype.kind == "f" and not np.all(cm == np.round(cm))):
            raise TypeError(
                f"expected a confusion matrix of whole counts; got dtype {cm.dtype} with values "
                f"such as {cm.flat[0]!r} (pass counts and use normalize='true' for fractions)"
            )
        if cm.min() < 0:
            raise ValueError(f"expected non-negative counts; got a minimum of {cm.min()}")
        cm = cm.astype(np.int64)
        if class_names is not None and len(class_names) != len(cm):
            raise ValueError(
                f"expected one class name per row of the {cm.shape} matrix; "
                f"got {len(class_names)} names"
            )
    else:
        n_classes = None if class_names is None else len(class_names)
        cm = confusion_matrix(cm_or_y_true, y_pred, n_classes=n_classes)
    k = len(cm)
    names = class_names if class_names is not None else [str(i) for i in range(k)]

    shown, vmax, bar_label = cm.astype(np.float64), max(int(cm.max()), 1), "count"
    if normalize is not None:
        totals = cm.sum(axis=1, keepdims=True) if normalize == "true" else cm.sum(axis=0)
        totals = np.broadcast_to(totals, cm.shape)
        shown = np.zeros(cm.shape)
        np.divide(cm, totals, out=shown, where=totals > 0)  # an empty row/column stays 0
        vmax = 1.0
        bar_label = "fraction of true class" if normalize == "true" else "fraction of predicted"

    side = max(3.5, 0.9 * k + 2.0)
    fig, ax = _axes(ax, (side + 1.0, side))
    image = ax.imshow(shown, cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    for i in range(k):
        for j in range(k):
            text = str(cm[i, j]) if normalize is None else f"{cm[i, j]}\n{shown[i, j]:.2f}"
            colour = "white" if shown[i, j] > 0.6 * vmax else "black"
            ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=9)
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    rotate = max(len(n) for n in names) > 3
    ax.set_xticklabels(names, rotation=45 if rotate else 0, ha="right" if rotate else "center")
    ax.set_yticklabels(names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title:
        ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=bar_label)
    fig.tight_layout()
    return fig
