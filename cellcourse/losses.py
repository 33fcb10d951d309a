"""Losses for semantic segmentation, written with ``keras.ops`` for every backend.

A segmentation network outputs, for every pixel, a probability per class
``(B, Y, X, K)``; its target is a map of class indices ``(B, Y, X)`` (or
``(B, Y, X, 1)``), e.g. from :func:`cellcourse.targets.boundary_classes`.
Background pixels usually outnumber everything else, so a plain
cross-entropy lets a network score well by predicting background everywhere.
The losses here counter that.

================================  ===================================================
``weighted_crossentropy``         cross-entropy with one weight per class
``soft_dice_loss``                1 - mean soft Dice over classes (overlap, not pixels)
``dice_crossentropy``             the sum of both, the usual choice for a U-Net
``class_weights_from_frequency``  median-frequency class weights (NumPy)
================================  ===================================================

The three loss functions return ``keras.losses.Loss`` objects for
``model.compile(loss=...)``. Their classes are registered with Keras under the
package name ``cellcourse``, so a model compiled with them can be saved and
loaded again (``keras.saving.load_model``) once this module has been imported.
Only ``keras.ops`` is used, so they run on TensorFlow, JAX and PyTorch alike.
Importing this module imports Keras: choose the backend first. See chapter 07.

A single output channel ``(B, Y, X, 1)`` (a sigmoid head) is read as the
probability of class 1 against class 0, i.e. as two classes. Target values
must lie in ``0..K-1``: they are not checked inside the graph, and a value
``>= K`` adds no loss on TensorFlow and JAX but raises on PyTorch (check the
targets in NumPy, e.g. with :func:`cellcourse.targets.one_hot`).
"""

from __future__ import annotations

import math
import numbers

import keras
import numpy as np
from keras import ops

__all__ = [
    "DiceCrossentropy",
    "SoftDiceLoss",
    "WeightedCrossentropy",
    "class_weights_from_frequency",
    "dice_crossentropy",
    "soft_dice_loss",
    "weighted_crossentropy",
]


# ----------------------------------------------------------------------------------------
# validation (plain Python, at construction time)
# ----------------------------------------------------------------------------------------


def _check_class_weights(class_weights) -> list[float]:
    if isinstance(class_weights, str | numbers.Number) or not hasattr(class_weights, "__len__"):
        raise TypeError(
            f"expected class_weights as a sequence of K numbers >= 0, one per class, e.g. "
            f"[1.0, 1.0, 5.0]; got {class_weights!r}"
        )
    values = np.asarray(class_weights)
    if values.ndim != 1 or values.size == 0 or values.dtype.kind not in "iuf":
        raise ValueError(
            f"expected class_weights as a flat sequence of K numbers, one per class; got "
            f"{class_weights!r}"
        )
    if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() == 0:
        raise ValueError(
            f"expected finite class_weights >= 0, at least one of them > 0; got {values.tolist()}"
        )
    return [float(v) for v in values]


def _check_smooth(smooth) -> float:
    if isinstance(smooth, bool) or not isinstance(smooth, numbers.Real):
        raise TypeError(f"expected smooth as a number > 0, e.g. 1.0; got {smooth!r}")
    if not 0 < smooth < math.inf:
        raise ValueError(
            f"expected smooth as a finite number > 0 (it keeps a class absent from an image "
            f"from dividing by zero); got {smooth}"
        )
    return float(smooth)


def _check_class_indices(class_indices) -> list[int] | None:
    if class_indices is None:
        return None
    if isinstance(class_indices, numbers.Integral) and not isinstance(class_indices, bool):
        class_indices = [class_indices]
    if isinstance(class_indices, str) or not hasattr(class_indices, "__len__"):
        raise TypeError(
            f"expected class_indices as None or a sequence of class indices, e.g. [1, 2]; "
            f"got {class_indices!r}"
        )
    indices = list(class_indices)
    if not indices or not all(
        isinstance(i, numbers.Integral) and not isinstance(i, bool) and i >= 0 for i in indices
    ):
        raise ValueError(
            f"expected class_indices as a non-empty sequence of ints >= 0, e.g. [1, 2]; "
            f"got {class_indices!r}"
        )
    if len(set(indices)) != len(indices):
        raise ValueError(f"expected each class index once in class_indices; got {indices}")
    return [int(i) for i in indices]


def _check_flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected {name} as True or False; got {value!r}")
    return value


# ----------------------------------------------------------------------------------------
# the maths, shared by the losses (keras.ops only)
# ----------------------------------------------------------------------------------------


def _targets_and_probabilities(y_true, y_pred, from_logits: bool):
    """One-hot targets, probabilities and log-probabilities, each ``(B, Y, X, K)``."""
    rank = len(y_pred.shape)
    if rank < 3:
        raise ValueError(
            f"expected y_pred of shape (B, Y, X, K) (class probabilities, channels last); "
            f"got shape {tuple(y_pred.shape)}"
        )
    if len(y_true.shape) == rank:
        if y_true.shape[-1] not in (1, None):
            raise ValueError(
                f"expected y_true of class indices, shape (B, Y, X) or (B, Y, X, 1); got shape "
                f"{tuple(y_true.shape)} for y_pred of shape {tuple(y_pred.shape)} (for one-hot "
                f"targets pass their argmax over the last axis)"
            )
        y_true = ops.squeeze(y_true, axis=-1)
    elif len(y_true.shape) != rank - 1:
        raise ValueError(
            f"expected y_true of shape (B, Y, X) or (B, Y, X, 1) for y_pred of shape "
            f"{tuple(y_pred.shape)}; got shape {tuple(y_true.shape)}"
        )
    if y_pred.shape[-1] == 1:
        # one sigmoid channel: p is the probability of class 1, 1 - p that of class 0
        if from_logits:
            log_probs = ops.concatenate(
                [ops.log_sigmoid(-y_pred), ops.log_sigmoid(y_pred)], axis=-1
            )
            probs = ops.exp(log_probs)
        else:
            p = ops.clip(y_pred, keras.config.epsilon(), 1.0 - keras.config.epsilon())
            probs = ops.concatenate([1.0 - p, p], axis=-1)
            log_probs = ops.log(probs)
    elif from_logits:
        log_probs = ops.log_softmax(y_pred, axis=-1)
        probs = ops.softmax(y_pred, axis=-1)
    else:
        # clipped as Keras' own cross-entropy does, so that log(0) never happens
        probs = ops.clip(y_pred, keras.config.epsilon(), 1.0 - keras.config.epsilon())
        log_probs = ops.log(probs)
    n_classes = probs.shape[-1]
    one_hot = ops.one_hot(ops.cast(y_true, "int32"), n_classes, dtype=probs.dtype)
    return one_hot, probs, log_probs


def _check_n_classes(n_classes, class_weights, class_indices) -> None:
    if n_classes is None:  # unknown until run time: nothing to compare
        return
    if class_weights is not None and len(class_weights) != n_classes:
        raise ValueError(
            f"expected {n_classes} class_weights, one per class of y_pred; got "
            f"{len(class_weights)}: {class_weights}"
        )
    if class_indices is not None and max(class_indices) >= n_classes:
        raise ValueError(
            f"expected class_indices below {n_classes}, the number of classes of y_pred; "
            f"got {class_indices}"
        )


def _pixel_crossentropy(one_hot, log_probs, class_weights):
    """Weighted cross-entropy of every pixel, ``(B, Y, X)``."""
    _check_n_classes(log_probs.shape[-1], class_weights, None)
    if class_weights is None:
        return -ops.sum(one_hot * log_probs, axis=-1)
    weights = ops.convert_to_tensor(class_weights, dtype=log_probs.dtype)
    return -ops.sum(one_hot * weights * log_probs, axis=-1)


def _soft_dice_per_image(one_hot, probs, smooth, class_indices):
    """``1 -`` the mean soft Dice over the chosen classes, for every image, ``(B,)``."""
    _check_n_classes(probs.shape[-1], None, class_indices)
    axes = tuple(range(1, len(probs.shape) - 1))  # all but the batch and class axes
    intersection = ops.sum(one_hot * probs, axis=axes)
    total = ops.sum(one_hot, axis=axes) + ops.sum(probs, axis=axes)
    dice = (2.0 * intersection + smooth) / (total + smooth)  # (B, K)
    if class_indices is not None:
        dice = ops.take(dice, ops.convert_to_tensor(class_indices, dtype="int32"), axis=-1)
    return 1.0 - ops.mean(dice, axis=-1)


# ----------------------------------------------------------------------------------------
# the losses
# ----------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="cellcourse")
class WeightedCrossentropy(keras.losses.Loss):
    """Sparse categorical cross-entropy with one weight per class.

    Built by :func:`weighted_crossentropy`; see there. ``call`` returns the
    loss of every pixel, ``(B, Y, X)``, which Keras averages.
    """

    def __init__(
        self,
        class_weights,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="weighted_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.class_weights = _check_class_weights(class_weights)
        self.from_logits = _check_flag(from_logits, "from_logits")

    def call(self, y_true, y_pred):
        one_hot, _, log_probs = _targets_and_probabilities(y_true, y_pred, self.from_logits)
        return _pixel_crossentropy(one_hot, log_probs, self.class_weights)

    def get_config(self):
        return {
            **super().get_config(),
            "class_weights": self.class_weights,
            "from_logits": self.from_logits,
        }


@keras.saving.register_keras_serializable(package="cellcourse")
class SoftDiceLoss(keras.losses.Loss):
    """``1 -`` the mean soft Dice coefficient over classes, image by image.

    Built by :func:`soft_dice_loss`; see there. ``call`` returns one value per
    image, ``(B,)``, which Keras averages.
    """

    def __init__(
        self,
        smooth=1.0,
        class_indices=None,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="soft_dice_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.smooth = _check_smooth(smooth)
        self.class_indices = _check_class_indices(class_indices)
        self.from_logits = _check_flag(from_logits, "from_logits")

    def call(self, y_true, y_pred):
        one_hot, probs, _ = _targets_and_probabilities(y_true, y_pred, self.from_logits)
        return _soft_dice_per_image(one_hot, probs, self.smooth, self.class_indices)

    def get_config(self):
        return {
            **super().get_config(),
            "smooth": self.smooth,
            "class_indices": self.class_indices,
            "from_logits": self.from_logits,
        }


@keras.saving.register_keras_serializable(package="cellcourse")
class DiceCrossentropy(keras.losses.Loss):
    """(Weighted) cross-entropy plus ``dice_weight`` times the soft Dice loss.

    Built by :func:`dice_crossentropy`; see there. ``call`` returns one value
    per image, ``(B,)``: its mean pixel cross-entropy plus its Dice loss.
    """

    def __init__(
        self,
        class_weights=None,
        smooth=1.0,
        class_indices=None,
        dice_weight=1.0,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="dice_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.class_weights = None if class_weights is None else _check_class_weights(class_weights)
        self.smooth = _check_smooth(smooth)
        self.class_indices = _check_class_indices(class_indices)
        if isinstance(dice_weight, bool) or not isinstance(dice_weight, numbers.Real):
            raise TypeError(f"expected dice_weight as a number >= 0; got {dice_weight!r}")
        if not 0 <= dice_weight < math.inf:
            raise ValueError(f"expected dice_weight as a finite number >= 0; got {dice_weight}")
        self.dice_weight = float(dice_weight)
        self.from_logits = _check_flag(from_logits, "from_logits")

    def call(self, y_true, y_pred):
        one_hot, probs, log_probs = _targets_and_probabilities(y_true, y_pred, self.from_logits)
        pixels = _pixel_crossentropy(one_hot, log_probs, self.class_weights)
        crossentropy = ops.mean(pixels, axis=tuple(range(1, len(pixels.shape))))
        dice = _soft_dice_per_image(one_hot, probs, self.smooth, self.class_indices)
        return crossentropy + self.dice_weight * dice

    def get_config(self):
        return {
            **super().get_config(),
            "class_weights": self.class_weights,
            "smooth": self.smooth,
            "class_indices": self.class_indices,
            "dice_weight": self.dice_weight,
            "from_logits": self.from_logits,
        }


def weighted_crossentropy(class_weights, from_logits=False):
    """Cross-entropy with one weight per class, for integer class targets.

    The loss of a pixel of true class c with predicted probability ``p_c`` is
    ``-w_c * log(p_c)``; the loss of a batch is the mean over all its pixels.
    With all weights 1 it is ``keras.losses.SparseCategoricalCrossentropy``.

    Parameters
    ----------
    class_weights : sequence of K float
        Weight of each class, ``>= 0``, at least one ``> 0``; e.g. from
        :func:`class_weights_from_frequency`. A rare class (the boundary
        between nuclei) gets a large weight so that its few pixels count.
    from_logits : bool
        If True, ``y_pred`` holds scores before the softmax (a U-Net with
        ``head="linear"``); else probabilities.

    Returns
    -------
    WeightedCrossentropy
        A ``keras.losses.Loss`` for ``model.compile(loss=...)``, called as
        ``loss(y_true, y_pred)`` with ``y_true`` ``(B, Y, X)`` or
        ``(B, Y, X, 1)`` class indices and ``y_pred`` ``(B, Y, X, K)``
        probabilities; returns a scalar.

    Raises
    ------
    TypeError, ValueError
        If ``class_weights`` is not a sequence of finite numbers ``>= 0`` with
        one ``> 0``; when called, if the number of weights is not K.

    See Also
    --------
    dice_crossentropy : adds the soft Dice loss.

    Notes
    -----
    The weighted mean divides by the number of pixels, not by the sum of the
    weights (as Keras does with ``sample_weight``; PyTorch's
    ``CrossEntropyLoss(weight=...)`` divides by the summed weights), so larger
    weights also mean a larger loss value. Probabilities are clipped to
    ``[eps, 1 - eps]`` (``keras.config.epsilon()``) before the logarithm.
    Pixel weights ``(B, Y, X)`` may also be given to ``fit`` as
    ``sample_weight``. See chapter 07.

    References
    ----------
    .. [1] Ronneberger, O., Fischer, P. & Brox, T. U-Net: convolutional
           networks for biomedical image segmentation. MICCAI (2015).
           doi:10.1007/978-3-319-24574-4_28

    Examples
    --------
    >>> loss = weighted_crossentropy([1.0, 2.0])
    >>> y_true = np.array([[[0, 1]]])  # (B, Y, X) = (1, 1, 2)
    >>> y_pred = np.array([[[[0.5, 0.5], [0.5, 0.5]]]])  # (1, 1, 2, K=2)
    >>> round(float(loss(y_true, y_pred)), 4)  # (1 + 2) * log(2) / 2 pixels
    1.0397
    """
    return WeightedCrossentropy(class_weights, from_logits=from_logits)


def soft_dice_loss(smooth=1.0, class_indices=None, from_logits=False):
    """``1 -`` the mean soft Dice coefficient over classes, image by image.

    For each image and class k, with ``p`` the predicted probabilities and
    ``g`` the one-hot target of class k over the pixels,
    ``Dice_k = (2 * sum(p * g) + smooth) / (sum(p) + sum(g) + smooth)``. The
    loss of an image is ``1 - mean_k Dice_k``; that of a batch, the mean over
    its images. Dice measures overlap relative to each class's size, so a
    small class counts as much as a large one.

    Parameters
    ----------
    smooth : float
        Added to the numerator and the denominator, ``> 0``: a class absent
        from both target and prediction scores 1 instead of 0 / 0, and the
        gradient stays finite.
    class_indices : sequence of int, optional
        Classes that enter the mean, e.g. ``[1, 2]`` to leave the background
        out; default all K classes.
    from_logits : bool
        If True, ``y_pred`` holds scores before the softmax (or sigmoid).

    Returns
    -------
    SoftDiceLoss
        A ``keras.losses.Loss`` for ``model.compile(loss=...)``, called as
        ``loss(y_true, y_pred)`` with ``y_true`` ``(B, Y, X)`` or
        ``(B, Y, X, 1)`` class indices and ``y_pred`` ``(B, Y, X, K)``
        probabilities; returns a scalar in ``[0, 1]``.

    Raises
    ------
    TypeError, ValueError
        If ``smooth`` is not a positive number or ``class_indices`` not
        distinct ints ``>= 0``; when called, if a class index is ``>= K``.

    See Also
    --------
    cellcourse.metrics.segmentation.dice : the hard Dice of class maps.

    Notes
    -----
    "Soft" because it uses the probabilities instead of a thresholded
    prediction, so that it has a gradient. It is computed per image, so a
    class missing from an image still counts in that image (with
    ``smooth=1`` a few stray probabilities there cost almost the whole
    class's share); combine it with cross-entropy (:func:`dice_crossentropy`)
    for stable training. See chapter 07.

    References
    ----------
    .. [1] Milletari, F., Navab, N. & Ahmadi, S.-A. V-Net: fully convolutional
           neural networks for volumetric medical image segmentation. 3DV
           (2016). doi:10.1109/3DV.2016.79

    Examples
    --------
    >>> loss = soft_dice_loss(smooth=1.0)
    >>> y_true = np.array([[[0, 1]]])  # (B, Y, X) = (1, 1, 2)
    >>> y_pred = np.array([[[[1.0, 0.0], [0.5, 0.5]]]])  # (1, 1, 2, K=2)
    >>> # class 0: (2 * 1 + 1) / (1.5 + 1 + 1) = 6/7; class 1: (2 * 0.5 + 1) / (0.5 + 1 + 1) = 4/5
    >>> round(float(loss(y_true, y_pred)), 4)  # 1 - (6/7 + 4/5) / 2
    0.1714
    """
    return SoftDiceLoss(smooth=smooth, class_indices=class_indices, from_logits=from_logits)


def dice_crossentropy(
    class_weights=None, smooth=1.0, class_indices=None, dice_weight=1.0, from_logits=False
):
    """Cross-entropy plus soft Dice loss, the usual loss for a segmentation U-Net.

    The loss of an image is its mean pixel cross-entropy (weighted per class
    when ``class_weights`` is given, as in :func:`weighted_crossentropy`) plus
    ``dice_weight`` times its soft Dice loss (:func:`soft_dice_loss`); the
    loss of a batch is the mean over its images. Cross-entropy gives every
    pixel a steady gradient, Dice keeps small classes from being ignored.

    Parameters
    ----------
    class_weights : sequence of K float, optional
        Weight of each class in the cross-entropy; default all 1.
    smooth : float
        Smoothing of the Dice term, ``> 0``.
    class_indices : sequence of int, optional
        Classes in the Dice term; default all.
    dice_weight : float
        Weight of the Dice term, ``>= 0`` (0 gives the cross-entropy alone).
    from_logits : bool
        If True, ``y_pred`` holds scores before the softmax (or sigmoid).

    Returns
    -------
    DiceCrossentropy
        A ``keras.losses.Loss`` for ``model.compile(loss=...)``, called as
        ``loss(y_true, y_pred)`` with ``y_true`` ``(B, Y, X)`` or
        ``(B, Y, X, 1)`` class indices and ``y_pred`` ``(B, Y, X, K)``
        probabilities; returns a scalar.

    Raises
    ------
    TypeError, ValueError
        If an argument is invalid (see :func:`weighted_crossentropy` and
        :func:`soft_dice_loss`), or ``dice_weight`` is not a number ``>= 0``.

    Notes
    -----
    See chapter 07.

    References
    ----------
    .. [1] Isensee, F. et al. nnU-Net: a self-configuring method for deep
           learning-based biomedical image segmentation. Nat Methods 18,
           203–211 (2021). doi:10.1038/s41592-020-01008-z

    Examples
    --------
    >>> loss = dice_crossentropy()
    >>> y_true = np.array([[[0, 1]]])
    >>> y_pred = np.array([[[[1.0, 0.0], [0.5, 0.5]]]])
    >>> # cross-entropy (0 + log 2) / 2 = 0.3466 (up to clipping) plus Dice loss 0.1714
    >>> round(float(loss(y_true, y_pred)), 4)
    0.518
    """
    return DiceCrossentropy(
        class_weights=class_weights,
        smooth=smooth,
        class_indices=class_indices,
        dice_weight=dice_weight,
        from_logits=from_logits,
    )


def class_weights_from_frequency(class_map, n_classes):
    """Class weights by median-frequency balancing.

    The frequency of class c is the number of its pixels divided by the
    number of pixels of the images in which c appears; its weight is the
    median of the frequencies divided by its own frequency. A class of median
    frequency gets weight 1, a rarer class more, a more common class less.

    Parameters
    ----------
    class_map : (Y, X) or (S, Y, X) ndarray of int
        Class indices ``0..K-1``, e.g. from
        :func:`cellcourse.targets.boundary_classes`; ``(Y, X)`` is one image.
    n_classes : int
        Number of classes K, at least 1.

    Returns
    -------
    (K,) ndarray of float64
        Weight of each class; 0 for a class that never appears (it has no
        pixel whose loss it could weigh). Pass to
        :func:`weighted_crossentropy` or :func:`dice_crossentropy`.

    Raises
    ------
    TypeError
        If ``class_map`` is not integer or ``n_classes`` not an int.
    ValueError
        If ``class_map`` is not 2-D or 3-D, or holds a value outside
        ``0..K-1``.

    Notes
    -----
    The median is taken over the classes that appear. Compute the weights on
    the training targets only. See chapter 07.

    References
    ----------
    .. [1] Eigen, D. & Fergus, R. Predicting depth, surface normals and
           semantic labels with a common multi-scale convolutional
           architecture. ICCV (2015). doi:10.1109/ICCV.2015.304

    Examples
    --------
    >>> class_map = np.array([[0, 0, 0, 0, 0], [0, 1, 1, 1, 2]])  # 6, 3 and 1 pixels
    >>> class_weights_from_frequency(class_map, 3)  # median 0.3 / (0.6, 0.3, 0.1)
    array([0.5, 1. , 3. ])
    """
    class_map = np.asarray(class_map)
    if class_map.dtype.kind == "b":
        class_map = class_map.astype(np.int64)
    if class_map.dtype.kind not in "iu":
        raise TypeError(f"expected class_map as integer class indices; got dtype {class_map.dtype}")
    if class_map.ndim not in (2, 3) or class_map.size == 0:
        raise ValueError(
            f"expected a non-empty class_map of shape (Y, X) or (S, Y, X); got shape "
            f"{class_map.shape}"
        )
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
    images = class_map[np.newaxis] if class_map.ndim == 2 else class_map  # (S, Y, X)
    counts = np.stack([np.bincount(image.ravel(), minlength=n_classes) for image in images])
    pixels_per_image = images[0].size
    present = counts > 0  # (S, K): does class k appear in image s?
    class_pixels = counts.sum(axis=0)
    image_pixels = present.sum(axis=0) * pixels_per_image
    weights = np.zeros(n_classes, dtype=np.float64)
    seen = class_pixels > 0
    frequency = class_pixels[seen] / image_pixels[seen]
    weights[seen] = np.median(frequency) / frequency
    return weights
