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
    "training_curves",
    "feature_maps",
    "learning_curve",
    "precision_recall_figure",
    "show_classes",
    "overlay_errors",
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


def _history_dict(history) -> dict:
    values = getattr(history, "history", history)  # a keras History holds its dict in .history
    if not isinstance(values, dict):
        raise TypeError(
            f"expected a keras History (from model.fit) or a dict of lists such as "
            f'{{"loss": [...], "val_loss": [...]}}; got {type(history).__name__}'
        )
    return values


def _curve(values, key: str) -> np.ndarray:
    try:
        curve = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"expected history[{key!r}] as a list of numbers; got {values!r}") from None
    if curve.ndim != 1 or curve.size == 0:
        raise ValueError(
            f"expected history[{key!r}] as a non-empty list, one value per epoch; "
            f"got shape {curve.shape}"
        )
    return curve


def training_curves(history, metrics=("loss", "accuracy"), baseline=None, title=None):
    """Training and validation curves, one panel per metric, against the epoch.

    Parameters
    ----------
    history : keras.callbacks.History or dict of str to list of float
        What ``model.fit`` returns (or its ``.history``): metric name → one
        value per epoch; validation values under ``"val_" + name``.
    metrics : str or sequence of str
        Metrics to draw, e.g. ``("loss", "accuracy")``; each must be a key of
        the history. Its ``val_`` curve is drawn when present.
    baseline : dict of str to float, optional
        Metric → a reference value drawn as a dashed line labelled
        "baseline", e.g. ``{"accuracy": 0.85}`` for the accuracy of a simpler
        model or of always predicting the commonest class.
    title : str, optional
        Title over all panels.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per metric; x axis epochs ``1 .. E``.

    Raises
    ------
    TypeError, ValueError
        If ``history`` is not a History or dict, a metric is missing (the
        message lists the keys there are) or a curve is not a list of numbers.

    Notes
    -----
    A validation curve that turns up while the training curve still falls is
    the sign of overfitting. See chapters 02 and 03.

    Examples
    --------
    >>> history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.9]}
    >>> fig = training_curves(history, metrics="loss")
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['training', 'validation']
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    values = _history_dict(history)
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, list | tuple) or not metrics:
        raise TypeError(f'expected metrics as a str or a list of str, e.g. "loss"; got {metrics!r}')
    available = ", ".join(map(repr, values)) or "none"
    for metric in metrics:
        if not isinstance(metric, str) or metric not in values:
            raise ValueError(
                f"the history has no metric {metric!r}; expected one of its keys: {available}"
            )
    if baseline is None:
        baseline = {}
    if not isinstance(baseline, dict):
        raise TypeError(
            f'expected baseline as a dict such as {{"accuracy": 0.85}}; got {baseline!r}'
        )
    for metric, value in baseline.items():
        if metric not in metrics:
            raise ValueError(
                f"baseline given for {metric!r}, which is not drawn; expected one of {list(metrics)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(f"expected a number as baseline for {metric!r}; got {value!r}")

    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        curve = _curve(values[metric], metric)
        ax.plot(np.arange(1, len(curve) + 1), curve, "o-", color="C0", ms=3, label="training")
        if f"val_{metric}" in values:
            val = _curve(values[f"val_{metric}"], f"val_{metric}")
            ax.plot(np.arange(1, len(val) + 1), val, "o-", color="C1", ms=3, label="validation")
        if metric in baseline:
            ax.axhline(float(baseline[metric]), color="0.4", linestyle="--", label="baseline")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _as_maps(maps: dict) -> dict[str, np.ndarray]:
    if not isinstance(maps, dict) or not maps:
        raise TypeError(
            f"expected maps as a non-empty dict layer name → (Y, X, F) array, e.g. from "
            f"cellcourse.models.layer_outputs; got {type(maps).__name__}"
        )
    out = {}
    for name, array in maps.items():
        array = np.asarray(array)
        if array.ndim == 4 and array.shape[0] == 1:
            array = array[0]
        if array.ndim != 3:
            raise ValueError(
                f"expected the maps of layer {name!r} for one image, of shape (Y, X, F) or "
                f"(1, Y, X, F); got {array.shape} (select one image: maps[name][i])"
            )
        if array.dtype.kind not in "biuf":
            raise TypeError(f"expected numeric maps for layer {name!r}; got dtype {array.dtype}")
        out[str(name)] = array
    return out


def _display_image(image) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 4 and image.shape[0] == 1:
        image = image[0]
    image = _as_2d_or_rgb(image)
    if image.ndim == 3 and image.dtype.kind == "f":
        # RGB floats must lie in 0..1 for imshow; a prepared input (e.g. -1..1) is stretched
        low, high = float(image.min()), float(image.max())
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return image


def feature_maps(maps, n_maps=8, image=None, title=None):
    """Feature maps of one image: one row per layer, its first channels side by side.

    Parameters
    ----------
    maps : dict of str to (Y, X, F) or (1, Y, X, F) ndarray
        Layer name → its output for one image, e.g. ``{name: out[i] for name,
        out in layer_outputs(model, x, names).items()}``. Y, X and F may differ
        between layers.
    n_maps : int
        Number of channels (feature maps) shown per layer: the first
        ``n_maps``, or all F if fewer.
    image : (Y, X), (Y, X, 1) or (Y, X, 3) ndarray, optional
        The input image, drawn in the first column of the first row.
    title : str, optional
        Title over the figure.

    Returns
    -------
    matplotlib.figure.Figure
        Rows = layers in the order given; each map is stretched to its own
        minimum and maximum (grey: dark = low, bright = high).

    Raises
    ------
    TypeError, ValueError
        If ``maps`` is not a non-empty dict of 3-D arrays, or ``n_maps`` not a
        positive int.

    Notes
    -----
    Early layers respond to edges and intensity; deeper layers are coarser
    (pooling) and harder to read. See chapter 02.

    Examples
    --------
    >>> maps = {"block1_relu": np.random.default_rng(0).random((16, 16, 4))}
    >>> fig = feature_maps(maps, n_maps=3)
    >>> len(fig.axes), fig.axes[0].get_title()
    (3, 'map 1')
    """
    import matplotlib.pyplot as plt

    maps = _as_maps(maps)
    if isinstance(n_maps, bool) or not isinstance(n_maps, int | np.integer) or n_maps < 1:
        raise ValueError(f"expected n_maps as a positive int; got {n_maps!r}")
    shown = image is not None
    if shown:
        image = _display_image(image)
    n_cols = min(int(n_maps), max(a.shape[-1] for a in maps.values())) + int(shown)
    fig, axes = plt.subplots(
        len(maps), n_cols, figsize=(1.6 * n_cols, 1.7 * len(maps) + 0.3), squeeze=False
    )
    for row, (name, array) in enumerate(maps.items()):
        if shown:
            if row == 0:
                show_image(image, ax=axes[row, 0], title="input")
            else:
                axes[row, 0].set_axis_off()
        n_drawn = min(int(n_maps), array.shape[-1])
        for j, ax in enumerate(axes[row, int(shown) :]):
            if j >= n_drawn:
                ax.set_axis_off()
                continue
            ax.imshow(array[..., j], cmap="gray", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"map {j + 1}", fontsize=8)
            if j == 0:
                ax.set_ylabel(f"{name}\n{array.shape[0]}×{array.shape[1]}", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def learning_curve(
    sizes,
    scores,
    ylabel="test macro-F1",
    xlabel="labelled cells per class",
    title=None,
    chance=None,
):
    """Score against the amount of training data, one line per method, log x axis.

    Parameters
    ----------
    sizes : sequence of float, length N
        Training set sizes (positive), e.g. ``[5, 10, 20, 50]`` labelled cells
        per class; drawn on a logarithmic axis.
    scores : dict of str to (N,) or (N, R) array_like
        Method name → its score at each size; with R repeats (e.g. seeds or
        resampled training sets) the mean is drawn with a band from the
        smallest to the largest repeat.
    ylabel, xlabel : str
        Axis labels.
    title : str, optional
    chance : float, optional
        Score of guessing, drawn as a dashed line labelled "chance".

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        If ``sizes`` are not positive numbers or a score array does not have
        N rows; the message names the shapes.

    Notes
    -----
    Pretrained features usually win when labels are few; the gap closes as
    the training set grows. See chapter 03.

    Examples
    --------
    >>> fig = learning_curve([5, 10, 20], {"transfer": [[0.6, 0.7], [0.8, 0.8], [0.9, 0.85]]},
    ...                      chance=1 / 3)
    >>> fig.axes[0].get_xscale(), [line.get_label() for line in fig.axes[0].get_lines()]
    ('log', ['transfer', 'chance'])
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    try:
        sizes = np.asarray(sizes, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"expected sizes as a sequence of numbers; got {sizes!r}") from None
    if sizes.ndim != 1 or sizes.size == 0 or not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise ValueError(
            f"expected sizes as a non-empty 1-D sequence of positive numbers (log axis); "
            f"got {sizes.tolist()}"
        )
    if not isinstance(scores, dict) or not scores:
        raise TypeError(
            f'expected scores as a non-empty dict name → (N,) or (N, R) array, e.g. {{"CNN": '
            f"[0.5, 0.7]}}; got {type(scores).__name__}"
        )
    curves = {}
    for name, values in scores.items():
        try:
            values = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"expected numbers as scores of {name!r}; got {values!r}") from None
        if values.ndim == 1:
            values = values[:, np.newaxis]
        if values.ndim != 2 or values.shape[0] != len(sizes) or values.shape[1] == 0:
            raise ValueError(
                f"expected scores of {name!r} of shape ({len(sizes)},) or ({len(sizes)}, R), "
                f"one row per size; got {np.shape(scores[name])}"
            )
        if not np.isfinite(values).all():
            raise ValueError(f"expected finite scores for {name!r}; got {values.tolist()}")
        curves[str(name)] = values
    if chance is not None and (
        isinstance(chance, bool) or not isinstance(chance, int | float | np.number)
    ):
        raise TypeError(f"expected chance as a number or None; got {chance!r}")

    order = np.argsort(sizes)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for i, (name, values) in enumerate(curves.items()):
        values = values[order]
        ax.plot(sizes[order], values.mean(axis=1), "o-", color=f"C{i}", label=name)
        if values.shape[1] > 1:
            ax.fill_between(
                sizes[order], values.min(axis=1), values.max(axis=1), color=f"C{i}", alpha=0.2
            )
    if chance is not None:
        ax.axhline(float(chance), color="0.4", linestyle="--", label="chance")
    ax.set_xscale("log")
    # tick exactly the sizes measured, written plainly (5, 10, 20, not 10^1)
    ax.set_xticks(sizes[order], labels=[f"{s:g}" for s in sizes[order]])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def precision_recall_figure(y_true, probs, class_names, ax=None, title=None):
    """Precision-recall curves, one per class against the rest, with average precision.

    Parameters
    ----------
    y_true : (S,) array_like of int
        True class indices ``0 .. K-1``.
    probs : (S, K) array_like of float
        Class probabilities, e.g. ``model.predict(x)``.
    class_names : sequence of str
        Name of each class, in index order (K names).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Recall on the x axis, precision on the y axis. Each class's curve is
        labelled with its average precision (AP) and prevalence; a dashed line
        in the same colour at the prevalence (the fraction of the class in
        ``y_true``) is what random scores would give. A class absent from
        ``y_true`` has no curve; its legend entry says so.

    Raises
    ------
    TypeError, ValueError
        If ``probs`` is not (S, K) with one row per label, ``class_names`` not
        K strings, or a label is not a column of ``probs``.

    See Also
    --------
    cellcourse.metrics.precision_recall_curve, cellcourse.metrics.average_precision

    Notes
    -----
    With unbalanced classes a rare class's curve can lie far below the common
    class's even when accuracy is high: compare each curve with its own
    baseline, not with the others. See chapter 05.

    Examples
    --------
    >>> probs = [[0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.25, 0.75]]
    >>> fig = precision_recall_figure([0, 0, 1, 0], probs, ["RBC", "WBC"])
    >>> fig.axes[0].get_legend_handles_labels()[1]  # a red cell ranks above the white one
    ['RBC: AP = 0.92, prevalence = 0.75', 'WBC: AP = 0.50, prevalence = 0.25']
    """
    from .metrics.classification import (
        _as_labels,
        _check_probs,
        average_precision,
        precision_recall_curve,
    )

    if isinstance(class_names, str) or not all(isinstance(c, str) for c in class_names):
        raise TypeError(f"expected class_names as a list of str; got {class_names!r}")
    names = list(class_names)
    y_true = _as_labels(y_true, "y_true")
    probs = _check_probs(probs)
    if probs.shape[1] != len(names):
        raise ValueError(
            f"expected one class name per column of probs {probs.shape}; got {len(names)} names"
        )
    if len(probs) != len(y_true):
        raise ValueError(
            f"expected one row of probs per label: y_true has {len(y_true)} labels, "
            f"probs has {len(probs)} rows"
        )
    if y_true.max() >= len(names):
        raise ValueError(
            f"y_true holds class index {y_true.max()}, but there are only {len(names)} "
            f"classes (columns of probs)"
        )
    fig, ax = _axes(ax, (5.5, 4.2))
    for k, name in enumerate(names):
        colour = f"C{k}"
        prevalence = float(np.mean(y_true == k))
        if prevalence == 0:
            ax.plot([], [], color=colour, label=f"{name}: absent from y_true, no curve")
            continue
        precision, recall, _ = precision_recall_curve(y_true, probs, positive=k)
        ap = average_precision(y_true, probs, positive=k)
        # steps, as the curve is: precision holds from one threshold to the next
        ax.plot(
            recall,
            precision,
            color=colour,
            drawstyle="steps-post",
            label=f"{name}: AP = {ap:.2f}, prevalence = {prevalence:.2f}",
        )
        # "_" hides the baseline from the legend; the curve's label states its value
        ax.axhline(prevalence, color=colour, linestyle="--", linewidth=1, label=f"_{name} chance")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.legend(fontsize=8, loc="lower left")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


# the course's three pixel classes (chapter 07): background, interior, boundary
_CLASS_NAMES = ("background", "interior", "boundary")
# Okabe-Ito colours, distinguishable with the common colour-vision deficiencies
_CLASS_COLOURS = ("#1a1a1a", "#56b4e9", "#e69f00", "#009e73", "#cc79a7", "#f0e442", "#0072b2")
_ERROR_COLOURS = {
    "found (TP)": (0.0, 0.62, 0.45),  # bluish green
    "missed (FN)": (0.84, 0.37, 0.0),  # vermillion
    "extra (FP)": (0.34, 0.71, 0.91),  # sky blue
}


def _legend_below(ax, handles) -> None:
    """A one-row legend under the image, where it hides none of it."""
    ax.legend(
        handles=handles,
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=len(handles),
        frameon=False,
        handlelength=1.2,
        columnspacing=1.0,
    )


def show_classes(
    class_map, ax=None, class_names=_CLASS_NAMES, title=None, legend=True, figsize=(5, 4)
):
    """Draw a map of pixel classes, one fixed colour per class, with a legend.

    Unlike :func:`overlay_labels`, whose colours are arbitrary per object, a
    class always gets the same colour, so that a true and a predicted map
    drawn side by side can be compared at a glance.

    Parameters
    ----------
    class_map : (Y, X) ndarray of int
        Class indices ``0 .. K-1``, e.g. from
        :func:`cellcourse.targets.boundary_classes` or ``probs.argmax(axis=-1)``.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    class_names : sequence of str
        Name of each class, in index order (K names, at most 7); default
        background, interior, boundary.
    title : str, optional
    legend : bool
        Add a legend, under the image, naming the colour of each class.

    Returns
    -------
    matplotlib.figure.Figure
        Class 0 is drawn near-black, then sky blue, orange, green, ... (the
        Okabe-Ito palette).

    Raises
    ------
    TypeError
        If ``class_map`` is not integer (booleans are read as 0/1) or
        ``class_names`` not a sequence of str.
    ValueError
        If ``class_map`` is not 2-D, holds a value outside ``0 .. K-1``, or
        there are more than 7 classes.

    See Also
    --------
    overlay_errors : where a predicted mask is right and wrong.

    Notes
    -----
    See chapter 07.

    Examples
    --------
    >>> classes = np.array([[0, 1, 1], [0, 2, 2]])
    >>> fig = show_classes(classes, title="target")
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['background', 'interior', 'boundary']
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    class_map = np.asarray(class_map)
    if class_map.dtype.kind == "b":
        class_map = class_map.astype(np.int64)
    if class_map.dtype.kind not in "iu":
        raise TypeError(f"expected class_map as integer class indices; got dtype {class_map.dtype}")
    if class_map.ndim != 2 or class_map.size == 0:
        raise ValueError(
            f"expected a non-empty class_map of shape (Y, X); got shape {class_map.shape}"
        )
    if isinstance(class_names, str) or not all(isinstance(n, str) for n in class_names):
        raise TypeError(f"expected class_names as a sequence of str; got {class_names!r}")
    names = list(class_names)
    if not 1 <= len(names) <= len(_CLASS_COLOURS):
        raise ValueError(f"expected 1 to {len(_CLASS_COLOURS)} class names; got {len(names)}")
    low, high = int(class_map.min()), int(class_map.max())
    if low < 0 or high >= len(names):
        raise ValueError(
            f"expected class indices from 0 to {len(names) - 1} for {len(names)} class names; "
            f"got values from {low} to {high}"
        )
    colours = _CLASS_COLOURS[: len(names)]
    fig, ax = _axes(ax, figsize)
    ax.imshow(
        class_map,
        cmap=ListedColormap(colours),
        vmin=-0.5,
        vmax=len(names) - 0.5,
        interpolation="nearest",
    )
    ax.set_axis_off()
    if legend:
        handles = [Patch(color=c, label=n) for c, n in zip(colours, names, strict=True)]
        _legend_below(ax, handles)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def overlay_errors(
    image,
    true_mask,
    pred_mask,
    ax=None,
    clim=None,
    alpha=0.5,
    title=None,
    legend=True,
    figsize=(5, 4),
):
    """Draw where a predicted mask agrees with the truth, over the image.

    Pixels in both masks (true positives) are tinted green, pixels of the
    true mask that the prediction missed (false negatives) vermillion, and
    predicted pixels outside the true mask (false positives) sky blue; the
    rest shows the grey image.

    Parameters
    ----------
    image : (Y, X) ndarray
        Grey-level image.
    true_mask, pred_mask : (Y, X) ndarray of bool or int
        The true and the predicted mask; integers are read as ``!= 0`` (so a
        label image or a class map gives its foreground).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    clim : (float, float), optional
        Display range of the image (default its 1st and 99.8th percentile).
    alpha : float
        Opacity of the colours, in [0, 1].
    title : str, optional
    legend : bool
        Add a legend, under the image, naming the three colours.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If a mask is not boolean or integer.
    ValueError
        If the image is not 2-D, the masks do not have its shape, or
        ``alpha`` is outside [0, 1].

    See Also
    --------
    cellcourse.metrics.dice : the score that counts these pixels,
        ``2 TP / (2 TP + FN + FP)``.

    Notes
    -----
    See chapter 07.

    Examples
    --------
    >>> image = np.zeros((4, 4))
    >>> true_mask = np.zeros((4, 4), bool)
    >>> true_mask[:2] = True
    >>> fig = overlay_errors(image, true_mask, np.roll(true_mask, 1, axis=0))
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['found (TP)', 'missed (FN)', 'extra (FP)']
    """
    from matplotlib.patches import Patch

    image = _as_2d_or_rgb(image)
    if image.ndim != 2:
        raise ValueError(f"expected a grey-level image of shape (Y, X); got {image.shape}")
    masks = []
    for name, mask in (("true_mask", true_mask), ("pred_mask", pred_mask)):
        mask = np.asarray(mask)
        if mask.dtype.kind not in "biu":
            raise TypeError(f"expected {name} as a boolean or integer mask; got dtype {mask.dtype}")
        if mask.shape != image.shape:
            raise ValueError(
                f"expected {name} of the image's shape {image.shape}; got {mask.shape}"
            )
        masks.append(mask != 0)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number between 0 and 1; got {alpha!r}")
    true_mask, pred_mask = masks
    if clim is None:
        clim = np.percentile(image, (1, 99.8))
    low, high = float(clim[0]), float(clim[1])
    grey = np.clip((image.astype(np.float32) - low) / max(high - low, 1e-12), 0, 1)
    rgb = np.repeat(grey[..., np.newaxis], 3, axis=-1)
    regions = (true_mask & pred_mask, true_mask & ~pred_mask, ~true_mask & pred_mask)
    for region, colour in zip(regions, _ERROR_COLOURS.values(), strict=True):
        rgb[region] = (1 - alpha) * rgb[region] + alpha * np.asarray(colour)
    fig, ax = _axes(ax, figsize)
    ax.imshow(rgb, interpolation="nearest")
    ax.set_axis_off()
    if legend:
        handles = [Patch(color=c, label=n) for n, c in _ERROR_COLOURS.items()]
        _legend_below(ax, handles)
    if title:
        ax.set_title(title, fontsize=9)
    return fig
