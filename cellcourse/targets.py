"""Training targets for semantic segmentation, made from instance label images.

A U-Net does not predict instance labels directly: it predicts, for every
pixel, a class or a number, and instances are recovered afterwards
(:mod:`cellcourse.postprocess`). This module turns the instance labels of a
dataset such as BBBC039 (``int32``, 0 = background, 1..n = nuclei) into such
per-pixel targets.

====================  ==========================================================
``boundary_classes``  0 = background, 1 = interior, 2 = boundary: the three-class
                      target that keeps touching nuclei apart (chapter 07)
``distance_map``      distance of each object pixel to the object's edge,
                      optionally scaled to 1 at each object's centre
``one_hot``           class indices ``(...)`` → one channel per class ``(..., K)``
====================  ==========================================================

``boundary_classes`` and ``distance_map`` take one label image ``(Y, X)`` or
a stack ``(S, Y, X)``; a stack is processed image by image. See chapter 07.

References
----------
.. [1] Caicedo, J. C. et al. Evaluation of deep learning strategies for nucleus
       segmentation in fluorescence images. Cytometry A 95, 952–965 (2019).
       doi:10.1002/cyto.a.23863
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import ndimage as ndi

from ._labels import check_label_image

__all__ = ["boundary_classes", "distance_map", "one_hot"]

_INTERIOR, _BOUNDARY = 1, 2  # class 0 is the background


def _check_labels(labels, name: str = "labels") -> np.ndarray:
    """Validated instance labels as an int64 array of shape (Y, X) or (S, Y, X)."""
    labels = check_label_image(labels, name, ndims=(2, 3))
    if labels.size == 0:
        raise ValueError(f"expected a non-empty {name} array; got shape {labels.shape}")
    return labels.astype(np.int64, copy=False)


def _check_width(boundary_width) -> int:
    if isinstance(boundary_width, bool) or not isinstance(boundary_width, numbers.Integral):
        raise TypeError(f"expected boundary_width as an int >= 1; got {boundary_width!r}")
    if boundary_width < 1:
        raise ValueError(f"expected boundary_width >= 1 (pixels); got {boundary_width}")
    return int(boundary_width)


def _boundary_classes_2d(labels: np.ndarray, width: int) -> np.ndarray:
    from skimage.segmentation import find_boundaries

    foreground = labels > 0
    # "inner": object pixels next to another label (background or a different object);
    # where two nuclei touch, both sides of the contact line are marked
    boundary = find_boundaries(labels, connectivity=1, mode="inner")
    if width > 1:
        # thicken inwards only (mask), so class 0 stays exactly labels == 0
        boundary = ndi.binary_dilation(boundary, iterations=width - 1, mask=foreground)
    classes = np.zeros(labels.shape, dtype=np.uint8)
    classes[foreground] = _INTERIOR
    classes[boundary] = _BOUNDARY
    return classes


def boundary_classes(labels, boundary_width=1):
    """Three-class target from instance labels: background, interior, boundary.

    Each object pixel that touches (4-connectivity) a pixel of another label,
    background or a different object, is a boundary pixel; the boundary is
    then thickened inwards to ``boundary_width`` pixels. The remaining object
    pixels are interior. Where two objects touch, both sides of the contact
    are boundary, so the interiors of different objects never touch (not even
    diagonally): labelling the interior class alone separates them again.

    Parameters
    ----------
    labels : (Y, X) or (S, Y, X) ndarray of int
        Instance labels, 0 = background, 1..n = objects (need not be
        consecutive). Floats are refused (convert with
        ``labels.astype(np.int32)``).
    boundary_width : int
        Thickness of the boundary in pixels, measured inwards from the edge
        (city-block distance), at least 1.

    Returns
    -------
    (Y, X) or (S, Y, X) ndarray of uint8
        Same shape as ``labels``: 0 = background (exactly ``labels == 0``),
        1 = interior, 2 = boundary.

    Raises
    ------
    TypeError
        If ``labels`` is boolean or not numeric, or ``boundary_width`` not an int.
    ValueError
        If ``labels`` has the wrong number of axes, negative or non-integer
        values, or ``boundary_width < 1``.

    See Also
    --------
    distance_map : a regression target from the same labels.
    cellcourse.losses.weighted_crossentropy : a loss for these classes.

    Notes
    -----
    The edge of the image is not a boundary: objects cut by it keep interior
    pixels up to the edge. An object thinner than ``2 * boundary_width``
    pixels may be boundary only. A stack is processed image by image. The
    three classes follow Caicedo et al. [1]_, whose boundary is thickened into
    the background as well; here it stays inside the objects so that the
    foreground of the target is exactly the foreground of ``labels``. See
    chapter 07.

    References
    ----------
    .. [1] Caicedo, J. C. et al. Evaluation of deep learning strategies for
           nucleus segmentation in fluorescence images. Cytometry A 95,
           952–965 (2019). doi:10.1002/cyto.a.23863

    Examples
    --------
    Two touching objects of 3 × 2 pixels on a background:

    >>> labels = np.array([[0, 0, 0, 0, 0, 0],
    ...                    [0, 1, 1, 2, 2, 0],
    ...                    [0, 1, 1, 2, 2, 0],
    ...                    [0, 1, 1, 2, 2, 0],
    ...                    [0, 0, 0, 0, 0, 0]])
    >>> boundary_classes(labels)
    array([[0, 0, 0, 0, 0, 0],
           [0, 2, 2, 2, 2, 0],
           [0, 2, 2, 2, 2, 0],
           [0, 2, 2, 2, 2, 0],
           [0, 0, 0, 0, 0, 0]], dtype=uint8)
    >>> big = np.zeros((7, 7), int)
    >>> big[1:6, 1:6] = 1
    >>> boundary_classes(big)[1:6, 1:6]
    array([[2, 2, 2, 2, 2],
           [2, 1, 1, 1, 2],
           [2, 1, 1, 1, 2],
           [2, 1, 1, 1, 2],
           [2, 2, 2, 2, 2]], dtype=uint8)
    """
    labels = _check_labels(labels)
    width = _check_width(boundary_width)
    if labels.ndim == 2:
        return _boundary_classes_2d(labels, width)
    return np.stack([_boundary_classes_2d(image, width) for image in labels])


def _distance_map_2d(labels: np.ndarray, normalize: bool) -> np.ndarray:
    out = np.zeros(labels.shape, dtype=np.float32)
    for index, box in enumerate(ndi.find_objects(labels), start=1):
        if box is None:  # a label id not in use
            continue
        # one object at a time, in its bounding box padded by one background pixel, so
        # that touching objects do not merge and the image edge counts as background
        mask = np.pad(labels[box] == index, 1)
        distance = ndi.distance_transform_edt(mask)[1:-1, 1:-1]
        inside = mask[1:-1, 1:-1]
        if normalize:
            distance = distance / distance[inside].max()
        out[box][inside] = distance[inside]
    return out


def distance_map(labels, normalize=True):
    """Distance of each object pixel to its object's edge, object by object.

    Every object pixel gets the Euclidean distance (in pixels) to the nearest
    pixel outside its own object, background or another object; pixels on the
    edge get 1 and the background 0. Each object is measured on its own, so
    touching objects do not merge into one blob.

    Parameters
    ----------
    labels : (Y, X) or (S, Y, X) ndarray of int
        Instance labels, 0 = background, 1..n = objects (need not be
        consecutive).
    normalize : bool
        Divide the distances of each object by their maximum, so that every
        object peaks at 1 whatever its size (edge pixels then get
        ``1 / max``).

    Returns
    -------
    (Y, X) or (S, Y, X) ndarray of float32
        Same shape as ``labels``; 0 on the background.

    Raises
    ------
    TypeError
        If ``labels`` is boolean or not numeric, or ``normalize`` not a bool.
    ValueError
        If ``labels`` has the wrong number of axes, or negative or non-integer
        values.

    See Also
    --------
    boundary_classes : a classification target from the same labels.

    Notes
    -----
    Pixels beyond the edge of the image count as outside every object, so an
    object cut by the edge is measured as if it ended there. Computed with
    ``scipy.ndimage.distance_transform_edt`` on each object's bounding box
    (``scipy.ndimage.find_objects``). A regression target such as this one
    suits a U-Net with ``head="linear"`` or ``"sigmoid"`` (normalised) and
    seeds for a watershed. See chapter 07.

    Examples
    --------
    >>> labels = np.zeros((5, 8), int)
    >>> labels[:, :5] = 1  # a 5 x 5 object
    >>> labels[1:4, 5:8] = 2  # a 3 x 3 object touching it
    >>> distance_map(labels, normalize=False)
    array([[1., 1., 1., 1., 1., 0., 0., 0.],
           [1., 2., 2., 2., 1., 1., 1., 1.],
           [1., 2., 3., 2., 1., 1., 2., 1.],
           [1., 2., 2., 2., 1., 1., 1., 1.],
           [1., 1., 1., 1., 1., 0., 0., 0.]], dtype=float32)
    >>> distance_map(labels)[2]
    array([0.33333334, 0.6666667 , 1.        , 0.6666667 , 0.33333334,
           0.5       , 1.        , 0.5       ], dtype=float32)
    """
    labels = _check_labels(labels)
    if not isinstance(normalize, bool):
        raise TypeError(f"expected normalize as True or False; got {normalize!r}")
    if labels.ndim == 2:
        return _distance_map_2d(labels, normalize)
    return np.stack([_distance_map_2d(image, normalize) for image in labels])


def one_hot(class_map, n_classes):
    """One channel per class: class indices ``(...)`` → indicators ``(..., K)``.

    Parameters
    ----------
    class_map : (...) ndarray of int
        Class indices ``0..K-1`` of any shape, e.g. ``(S, Y, X)`` from
        :func:`boundary_classes`.
    n_classes : int
        Number of classes K, at least 1.

    Returns
    -------
    (..., K) ndarray of float32
        ``out[..., k] == 1`` where ``class_map == k``, else 0; channels last.

    Raises
    ------
    TypeError
        If ``class_map`` is not integer (booleans are read as 0/1) or
        ``n_classes`` not an int.
    ValueError
        If ``class_map`` is empty, or holds a value outside ``0..K-1``.

    Notes
    -----
    Losses and metrics for probabilities ``(S, Y, X, K)`` can compare them
    with this array directly; the sparse losses of :mod:`cellcourse.losses`
    take the class map itself. See chapter 07.

    Examples
    --------
    >>> one_hot(np.array([[0, 2], [1, 0]]), 3)[0]
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    class_map = np.asarray(class_map)
    if class_map.dtype.kind == "b":
        class_map = class_map.astype(np.int64)
    if class_map.dtype.kind not in "iu":
        raise TypeError(f"expected class_map as integer class indices; got dtype {class_map.dtype}")
    if class_map.size == 0:
        raise ValueError(f"expected a non-empty class_map; got shape {class_map.shape}")
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral):
        raise TypeError(f"expected n_classes as an int >= 1; got {n_classes!r}")
    if n_classes < 1:
        raise ValueError(f"expected n_classes >= 1; got {n_classes}")
    low, high = int(class_map.min()), int(class_map.max())
    if low < 0 or high >= n_classes:
        raise ValueError(
            f"expected class indices from 0 to {n_classes - 1} for n_classes={n_classes}; "
            f"got values from {low} to {high}"
        )
    return np.eye(int(n_classes), dtype=np.float32)[class_map]
