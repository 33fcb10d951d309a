"""Metrics for semantic segmentation: Dice and Jaccard (IoU) per class, pixel by pixel.

Written with NumPy only. Each function compares a true and a predicted map of
the same shape, e.g. ``(Y, X)`` or ``(S, Y, X)``, pooling all pixels:

* integer class maps (0 = background, 1 = interior, 2 = boundary, ...) give a
  dict ``{class: score}``;
* boolean masks give one float, the score of the ``True`` pixels.

For a class absent from both maps the score is NaN: there was nothing to find
and nothing was found, so the score is undefined (use ``np.nanmean`` to
average). A class present in only one of the maps scores 0.

Instance label images (0 = background, 1..n = objects) are compared as
foreground against background by :func:`foreground_dice`; matching object to
object is done in :mod:`cellcourse.metrics.instances`. See chapter 07.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["dice", "foreground_dice", "jaccard"]


def _as_maps(y_true, y_pred) -> tuple[np.ndarray, np.ndarray, bool]:
    """Validated maps of the same shape, and whether they are boolean masks."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.dtype.kind not in "biu":
            hint = (
                " (threshold probabilities, e.g. y_pred > 0.5, or take the class with the "
                "highest probability, y_pred.argmax(axis=-1))"
                if y.dtype.kind == "f"
                else ""
            )
            raise TypeError(
                f"expected {name} as an integer class map or a boolean mask; got dtype "
                f"{y.dtype}{hint}"
            )
        if y.size == 0:
            raise ValueError(f"expected a non-empty {name}; got shape {y.shape}")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"expected y_true and y_pred of the same shape; got {y_true.shape} and {y_pred.shape}"
        )
    is_mask = y_true.dtype.kind == "b"
    if is_mask != (y_pred.dtype.kind == "b"):
        raise TypeError(
            f"expected y_true and y_pred both boolean masks or both integer class maps; got "
            f"dtypes {y_true.dtype} and {y_pred.dtype} (convert a label image to a mask with "
            f"labels > 0)"
        )
    if not is_mask:
        for name, y in (("y_true", y_true), ("y_pred", y_pred)):
            if y.min() < 0:
                raise ValueError(
                    f"expected class indices >= 0 in {name}; got a minimum of {y.min()}"
                )
    return y_true, y_pred, is_mask


def _check_classes(classes, is_mask: bool, largest: int) -> list[int]:
    if classes is None:
        return list(range(largest + 1))
    if is_mask:
        raise TypeError(
            f"expected classes=None for boolean masks (the score is that of the True pixels); "
            f"got classes={classes!r}"
        )
    if isinstance(classes, numbers.Integral) and not isinstance(classes, bool):
        classes = [classes]
    if isinstance(classes, str) or not hasattr(classes, "__iter__"):
        raise TypeError(
            f"expected classes as None, an int or a sequence of ints, e.g. [1, 2]; got {classes!r}"
        )
    classes = list(classes)
    if not classes or not all(
        isinstance(c, numbers.Integral) and not isinstance(c, bool) and c >= 0 for c in classes
    ):
        raise ValueError(
            f"expected classes as a non-empty sequence of ints >= 0, e.g. [1, 2]; got {classes!r}"
        )
    return [int(c) for c in classes]


def _overlaps(y_true, y_pred, classes):
    """Per class: pixels in both maps, in y_true, in y_pred; and whether input was a mask."""
    y_true, y_pred, is_mask = _as_maps(y_true, y_pred)
    if is_mask:
        y_true, y_pred = y_true.astype(np.int64), y_pred.astype(np.int64)
    largest = max(int(y_true.max()), int(y_pred.max()))
    classes = _check_classes(classes, is_mask, largest)
    if is_mask:
        classes = [1]
    n = max(largest, *classes) + 1
    y_true, y_pred = y_true.ravel(), y_pred.ravel()
    both = np.bincount(y_true[y_true == y_pred], minlength=n)[classes]
    in_true = np.bincount(y_true, minlength=n)[classes]
    in_pred = np.bincount(y_pred, minlength=n)[classes]
    return classes, both, in_true, in_pred, is_mask


def _result(classes, numerator, denominator, is_mask):
    # 0 / 0 (class absent from both maps) is NaN on purpose: the score is undefined
    with np.errstate(invalid="ignore"):
        scores = numerator / denominator.astype(np.float64)
    if is_mask:
        return float(scores[0])
    return {c: float(s) for c, s in zip(classes, scores, strict=True)}


def dice(y_true, y_pred, classes=None):
    """Dice coefficient (F1 score of pixels) of each class.

    ``Dice = 2 |T ∩ P| / (|T| + |P|)``, with T the true and P the predicted
    pixels of a class: 1 for a perfect match, 0 for no overlap.

    Parameters
    ----------
    y_true, y_pred : (...) ndarray of int or bool
        True and predicted maps of the same shape, e.g. ``(Y, X)`` or
        ``(S, Y, X)``; both integer class maps (values ``>= 0``) or both
        boolean masks. Probabilities must be turned into classes first
        (``argmax`` or a threshold).
    classes : int or sequence of int, optional
        Classes to score; default every class from 0 to the largest value in
        either map. Not allowed for boolean masks.

    Returns
    -------
    dict of int to float, or float
        For class maps, ``{class: Dice}``; for boolean masks, the Dice of the
        ``True`` pixels. NaN for a class absent from both maps.

    Raises
    ------
    TypeError
        If a map is not integer or boolean, the two differ in kind, or
        ``classes`` is given for masks.
    ValueError
        If the shapes differ, a map is empty, or a class index is negative.

    See Also
    --------
    jaccard : intersection over union, ``J = D / (2 - D)``.
    foreground_dice : Dice of the foreground of two label images.

    Notes
    -----
    All pixels of all images are pooled before the ratio is taken. The same
    quantity, made differentiable, is :func:`cellcourse.losses.soft_dice_loss`.
    See chapter 07.

    References
    ----------
    .. [1] Dice, L. R. Measures of the amount of ecologic association between
           species. Ecology 26, 297–302 (1945). doi:10.2307/1932409

    Examples
    --------
    >>> y_true = np.array([[0, 0, 1, 1], [0, 0, 2, 2]])
    >>> y_pred = np.array([[0, 0, 1, 0], [0, 1, 2, 2]])
    >>> dice(y_true, y_pred)  # class 1: 2 * 1 / (2 + 2)
    {0: 0.75, 1: 0.5, 2: 1.0}
    >>> dice(y_true, y_pred, classes=[1, 3])  # class 3 is in neither map
    {1: 0.5, 3: nan}
    >>> dice(y_true > 0, y_pred > 0)  # boolean masks: one number
    0.75
    """
    classes, both, in_true, in_pred, is_mask = _overlaps(y_true, y_pred, classes)
    return _result(classes, 2 * both, in_true + in_pred, is_mask)


def jaccard(y_true, y_pred, classes=None):
    """Jaccard index (intersection over union, IoU) of each class.

    ``J = |T ∩ P| / |T ∪ P|``, with T the true and P the predicted pixels of a
    class: 1 for a perfect match, 0 for no overlap.

    Parameters
    ----------
    y_true, y_pred : (...) ndarray of int or bool
        True and predicted maps of the same shape; both integer class maps
        (values ``>= 0``) or both boolean masks.
    classes : int or sequence of int, optional
        Classes to score; default every class from 0 to the largest value in
        either map. Not allowed for boolean masks.

    Returns
    -------
    dict of int to float, or float
        For class maps, ``{class: IoU}``; for boolean masks, the IoU of the
        ``True`` pixels. NaN for a class absent from both maps.

    Raises
    ------
    TypeError, ValueError
        As for :func:`dice`.

    See Also
    --------
    dice : the Dice coefficient, ``D = 2 J / (1 + J)``.

    Notes
    -----
    All pixels of all images are pooled before the ratio is taken. See
    chapter 07.

    References
    ----------
    .. [1] Jaccard, P. The distribution of the flora in the alpine zone. New
           Phytologist 11, 37–50 (1912). doi:10.1111/j.1469-8137.1912.tb05611.x

    Examples
    --------
    >>> y_true = np.array([[0, 0, 1, 1], [0, 0, 2, 2]])
    >>> y_pred = np.array([[0, 0, 1, 0], [0, 1, 2, 2]])
    >>> jaccard(y_true, y_pred)  # class 1: 1 / 3
    {0: 0.6, 1: 0.3333333333333333, 2: 1.0}
    """
    classes, both, in_true, in_pred, is_mask = _overlaps(y_true, y_pred, classes)
    return _result(classes, both, in_true + in_pred - both, is_mask)


def foreground_dice(true_labels, pred_labels):
    """Dice of the foreground (``label > 0``) of two label images.

    Parameters
    ----------
    true_labels, pred_labels : (Y, X) or (S, Y, X) ndarray of int or bool
        Instance label images (0 = background) or masks of the same shape.
        Only whether a pixel is foreground matters, not which object it
        belongs to.

    Returns
    -------
    float
        Dice of the foreground pixels; NaN if neither image has any.

    Raises
    ------
    TypeError
        If an image is not integer or boolean.
    ValueError
        If the shapes differ, an image is empty or not 2-D or 3-D, or a
        label is negative.

    See Also
    --------
    dice : per-class Dice of class maps.

    Notes
    -----
    This scores the pixel classification only: two touching nuclei merged
    into one object score as well as two separate ones. Count objects with
    :mod:`cellcourse.metrics.instances`. See chapter 07.

    Examples
    --------
    >>> true_labels = np.array([[1, 1, 0, 2, 2]])
    >>> pred_labels = np.array([[5, 5, 5, 5, 0]])  # ids need not agree
    >>> foreground_dice(true_labels, pred_labels)  # 2 * 3 / (4 + 4)
    0.75
    """
    arrays = []
    for name, labels in (("true_labels", true_labels), ("pred_labels", pred_labels)):
        labels = np.asarray(labels)
        if labels.dtype.kind not in "biu":
            raise TypeError(
                f"expected {name} as an integer label image or a boolean mask; got dtype "
                f"{labels.dtype}"
            )
        if labels.ndim not in (2, 3):
            raise ValueError(
                f"expected {name} of shape (Y, X) or (S, Y, X); got shape {labels.shape}"
            )
        if labels.size and labels.min() < 0:
            raise ValueError(
                f"expected labels >= 0 in {name} (0 = background); got a minimum of {labels.min()}"
            )
        arrays.append(labels > 0)
    return dice(arrays[0], arrays[1])
