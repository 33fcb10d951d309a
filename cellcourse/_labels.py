"""One rule for label images across the package (targets, postprocess, metrics).

A label image is an integer array, 0 = background and 1..n = one object each.
Booleans (a mask), floats (usually a prediction or an intensity image) and
negative values are refused with a message that says how to fix them.
"""

from __future__ import annotations

import numpy as np

_AXES = {2: "(Y, X)", 3: "(S, Y, X)"}


def check_label_image(labels, name: str = "labels", ndims=(2, 3), axes=None) -> np.ndarray:
    """Validate a label image and return it as an array (not copied).

    Parameters
    ----------
    labels : array_like of int
        The label image.
    name : str
        The argument's name, for the messages.
    ndims : tuple of int
        Numbers of axes allowed.
    axes : str, optional
        How to describe the allowed shapes, e.g. ``"(Y, X) or (Z, Y, X)"``;
        default from ``ndims``.
    """
    labels = np.asarray(labels)
    if labels.ndim not in ndims:
        shapes = axes or " or ".join(_AXES.get(n, f"{n} axes") for n in ndims)
        raise ValueError(f"expected {name} of shape {shapes}; got an array of shape {labels.shape}")
    if labels.dtype.kind == "b":
        raise TypeError(
            f"expected {name} as an integer label image (0 = background, 1..n = objects); "
            f"got a boolean mask: label its objects first, e.g. skimage.measure.label({name})"
        )
    if labels.dtype.kind == "f":
        raise TypeError(
            f"expected {name} as an integer label image (0 = background, 1..n = objects); got "
            f"dtype {labels.dtype}. If these are object ids saved as floats, convert them with "
            f"{name}.astype(np.int32); if they are a prediction, make labels first "
            "(cc.postprocess)"
        )
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"expected {name} as an integer label image (0 = background, 1..n = objects); "
            f"got dtype {labels.dtype}"
        )
    if labels.size and labels.dtype.kind == "i" and labels.min() < 0:
        raise ValueError(
            f"expected non-negative labels in {name} (0 = background); "
            f"got a minimum of {labels.min()}"
        )
    if labels.size and labels.dtype == np.uint64 and labels.max() > np.iinfo(np.int64).max:
        raise ValueError(f"expected labels in {name} below 2**63; got a maximum of {labels.max()}")
    return labels
