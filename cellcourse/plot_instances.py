"""Pictures of instance-segmentation errors: which nuclei were found, missed, split or merged.

See chapter 08. :func:`instance_error_map` sorts every object of a prediction
into one kind of outcome; :func:`overlay_instance_errors` draws that map over
the image.
"""

from __future__ import annotations

import numpy as np

from .metrics import match_instances, split_merge_counts

__all__ = ["ERROR_COLOURS", "ERROR_KINDS", "instance_error_map", "overlay_instance_errors"]

#: The kinds of :func:`instance_error_map`, by their code (0 = background).
ERROR_KINDS = ("background", "matched", "missed", "spurious", "split", "merged")

#: Colour of each kind of outcome (Okabe-Ito: told apart with the common colour-vision deficiencies).
ERROR_COLOURS = {
    "matched": "#009e73",
    "missed": "#d55e00",
    "spurious": "#56b4e9",
    "split": "#f0e442",
    "merged": "#cc79a7",
}


def _check_labels(true_labels, pred_labels) -> tuple[np.ndarray, np.ndarray]:
    arrays = []
    for name, labels in (("true_labels", true_labels), ("pred_labels", pred_labels)):
        labels = np.asarray(labels)
        if labels.dtype.kind not in "iu":
            raise TypeError(f"expected {name} as an integer label image; got dtype {labels.dtype}")
        if labels.ndim != 2:
            raise ValueError(f"expected {name} of shape (Y, X); got {labels.shape}")
        arrays.append(labels)
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(
            f"expected label images of the same shape; got {arrays[0].shape} and {arrays[1].shape}"
        )
    return arrays[0], arrays[1]


def instance_error_map(true_labels, pred_labels, threshold=0.5):
    """Sort the objects of a prediction into matched, missed, spurious, split and merged.

    Parameters
    ----------
    true_labels : (Y, X) ndarray of int
        Annotated objects, 0 = background.
    pred_labels : (Y, X) ndarray of int
        Predicted objects, 0 = background.
    threshold : float
        IoU above which a true and a predicted object match, in ``[0.5, 1)``
        (as in :func:`cellcourse.metrics.match_instances`).

    Returns
    -------
    (Y, X) ndarray of uint8
        Codes of :data:`ERROR_KINDS`: 1 *matched* (pixels of a predicted
        object matched one to one), 2 *missed* (pixels of a true object
        without a partner that is not split or merged), 3 *spurious* (a
        predicted object without a partner, neither a piece of a split nor a
        merge), 4 *split* (the predicted pieces of a true object cut in two or
        more), 5 *merged* (a predicted object covering two or more true
        objects); 0 elsewhere. Split and merged win over matched: a split
        nucleus is shown as split even when one of its pieces matches it.

    Raises
    ------
    ValueError
        If the shapes differ or are not 2-D, or the threshold is outside
        ``[0.5, 1)``.
    TypeError
        If the labels are not integers.

    See Also
    --------
    cellcourse.metrics.split_merge_counts : how splits and merges are found.

    Examples
    --------
    >>> true = np.zeros((4, 8), int)
    >>> true[:, :4], true[:, 4:] = 1, 2
    >>> pred = (true > 0).astype(int)  # the two nuclei as one object
    >>> [ERROR_KINDS[k] for k in np.unique(instance_error_map(true, pred))]
    ['merged']
    """
    true_labels, pred_labels = _check_labels(true_labels, pred_labels)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise TypeError(f"expected threshold as a number; got {threshold!r}")
    if not 0.5 <= threshold < 1:
        raise ValueError(f"expected threshold in [0.5, 1); got {threshold}")
    match = match_instances(true_labels, pred_labels, threshold=threshold)
    errors = split_merge_counts(true_labels, pred_labels)
    split_pieces = {p for pieces in errors.splits.values() for p in pieces}
    merged = set(errors.merges)
    split_true = set(errors.splits)
    merged_true = {t for covered in errors.merges.values() for t in covered}
    matched_pred = {int(p) for _, p, _ in match.pairs}
    matched_true = {int(t) for t, _, _ in match.pairs}

    codes = np.zeros(true_labels.shape, dtype=np.uint8)
    # missed true objects first: predicted objects drawn afterwards lie on top
    for t in np.unique(true_labels[true_labels > 0]):
        t = int(t)
        if t not in matched_true and t not in split_true and t not in merged_true:
            codes[true_labels == t] = 2
    for p in np.unique(pred_labels[pred_labels > 0]):
        p = int(p)
        if p in merged:
            code = 5
        elif p in split_pieces:
            code = 4
        elif p in matched_pred:
            code = 1
        else:
            code = 3
        codes[pred_labels == p] = code
    return codes


def overlay_instance_errors(
    image,
    true_labels,
    pred_labels,
    ax=None,
    threshold=0.5,
    clim=None,
    alpha=0.55,
    title=None,
    legend=True,
    figsize=(5, 4),
):
    """Draw the error map of an instance segmentation over the image.

    Colours (Okabe-Ito): matched green, missed vermillion, spurious sky blue,
    split yellow, merged pink. The outlines of the predicted objects are drawn
    in black and those of the true objects in white on top: a split shows
    black cuts inside one white outline, a merge white outlines inside one
    coloured object.

    Parameters
    ----------
    image : (Y, X) ndarray
        Grey-level image.
    true_labels, pred_labels : (Y, X) ndarray of int
        Annotated and predicted objects, 0 = background.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    threshold : float
        IoU threshold of a match, in ``[0.5, 1)``.
    clim : (float, float), optional
        Display range of the image (default its 1st and 99.8th percentile).
    alpha : float
        Opacity of the colours, in [0, 1].
    title : str, optional
    legend : bool
        Add a legend under the image, with the number of objects of each kind.
    figsize : (float, float)
        Size of a new figure, inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the image is not 2-D, the labels do not have its shape, or
        ``alpha`` or ``threshold`` is out of range.
    TypeError
        If the labels are not integers.

    Examples
    --------
    >>> true = np.zeros((4, 8), int)
    >>> true[:, :4], true[:, 4:] = 1, 2
    >>> fig = overlay_instance_errors(np.zeros((4, 8)), true, (true > 0).astype(int))
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['merged (1)']
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Patch
    from skimage.segmentation import find_boundaries

    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"expected a grey-level image of shape (Y, X); got {image.shape}")
    true_labels, pred_labels = _check_labels(true_labels, pred_labels)
    if true_labels.shape != image.shape:
        raise ValueError(
            f"expected labels of the image's shape {image.shape}; got {true_labels.shape}"
        )
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number between 0 and 1; got {alpha!r}")
    codes = instance_error_map(true_labels, pred_labels, threshold=threshold)

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    if clim is None:
        clim = tuple(np.percentile(image, [1, 99.8]).tolist())
    ax.imshow(image, cmap="gray", vmin=clim[0], vmax=clim[1], interpolation="nearest")
    rgba = np.zeros((*codes.shape, 4))
    handles = []
    for code, kind in enumerate(ERROR_KINDS):
        if kind not in ERROR_COLOURS or not np.any(codes == code):
            continue
        rgba[codes == code] = to_rgba(ERROR_COLOURS[kind], alpha)
        # count objects: predicted ones, or true ones for the missed kind
        source = true_labels if kind == "missed" else pred_labels
        n_objects = len(np.unique(source[(codes == code) & (source > 0)]))
        handles.append(Patch(color=ERROR_COLOURS[kind], label=f"{kind} ({n_objects})"))
    rgba[find_boundaries(pred_labels, mode="inner")] = (0.0, 0.0, 0.0, 0.9)  # predicted outlines
    rgba[find_boundaries(true_labels, mode="inner")] = (1.0, 1.0, 1.0, 0.9)  # true ones on top
    ax.imshow(rgba, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    if legend and handles:
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.02),
            ncol=min(len(handles), 3),
            fontsize=8,
            frameon=False,
        )
    return fig
