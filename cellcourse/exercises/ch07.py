"""Exercises of chapter 07, U-Net semantic segmentation (BBBC039 nuclei).

Used in ``solutions/07_unet_segmentation.ipynb``::

    from cellcourse.exercises import ch07 as ex
    ex.q1.check(three_classes)

The course's versions of the chapter's functions live in the library where one
exists: :func:`cellcourse.targets.boundary_classes` (Exercise 7.1),
:func:`cellcourse.losses.weighted_crossentropy` (Exercise 7.3) and
:func:`cellcourse.metrics.dice` (Exercise 7.4). This module holds the other
two, :func:`receptive_field` and :func:`weighted_loss` (the NumPy version of
the loss), which the notebook uses after the exercises so that it runs to the
end before the learner's answers are written.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._core import FunctionExercise, ThoughtExercise, known_mistake
from ._core import call_as_array as _call_as_array

__all__ = ["q1", "q2", "q3", "q4", "q5", "receptive_field", "weighted_loss"]


def _call_as_number(function, *args) -> float | None:
    out = _call_as_array(function, *args)
    if out is None or out.size != 1:
        return None
    return float(out.reshape(()))


# --- Exercise 7.1: the three-class target ------------------------------------------------------------


def _boundary_classes(labels):
    from ..targets import boundary_classes

    return boundary_classes(labels)


def _square_pair() -> np.ndarray:
    """Two 4 × 3 nuclei side by side, touching along a column."""
    labels = np.zeros((6, 8), dtype=np.int32)
    labels[1:5, 1:4] = 1
    labels[1:5, 4:7] = 2
    return labels


def _disks(shape, centres_and_radii) -> np.ndarray:
    """Disks labelled 1, 2, ... in order; a later disk covers an earlier one where they overlap."""
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    labels = np.zeros(shape, dtype=np.int32)
    for index, (cy, cx, r) in enumerate(centres_and_radii, start=1):
        labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= r**2] = index
    return labels


# touching nuclei, one cut by the top edge and one by the left edge of the image
_DIAGNOSTIC_LABELS = _disks((24, 30), [(2, 8, 5), (10, 13, 5), (12, 22, 5), (16, 1, 4)])


def _three_classes_inputs():
    single = _disks((11, 11), [(5, 5, 4)])
    cut = _disks((10, 12), [(0, 5, 4), (6, 11, 3)])  # cut by the top and right edges
    renumbered = np.where(_square_pair() == 1, 7, np.where(_square_pair() == 2, 3, 0))
    return [
        ((single,), {}, "a single round nucleus (11 × 11 pixels)"),
        ((_square_pair(),), {}, "two square nuclei touching along a column"),
        ((cut,), {}, "two nuclei cut by the edge of the image"),
        ((renumbered.astype(np.int32),), {}, "two touching nuclei labelled 7 and 3"),
        ((_DIAGNOSTIC_LABELS.copy(),), {}, "four round nuclei, two of them touching"),
    ]


def _edge_of(shape) -> np.ndarray:
    edge = np.zeros(shape, dtype=bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    return edge


def _diagnose_three_classes(function) -> str:
    from skimage.segmentation import find_boundaries

    labels = _DIAGNOSTIC_LABELS
    out = _call_as_array(function, labels)
    if out is None or out.shape != labels.shape:
        return ""
    expected = _boundary_classes(labels).astype(np.float64)
    swapped = np.choose(expected.astype(int), [0.0, 2.0, 1.0])
    if np.array_equal(out, swapped):
        return (
            "`three_classes` gives the interior class 2 and the boundary class 1; the task "
            "numbers them the other way: 0 background, 1 interior, 2 boundary."
        )
    if np.any(out[labels == 0] != 0):
        return (
            "`three_classes` gives class 1 or 2 to some pixels whose label is 0: the boundary "
            "reaches into the background. Keep it inside the nuclei, so that class 0 is "
            'exactly `labels == 0` (with `find_boundaries`, use `mode="inner"`).'
        )
    if np.any(out[labels > 0] == 0):
        return (
            "`three_classes` gives class 0 to some pixels inside nuclei. Every pixel with a "
            "label > 0 is either interior (1) or boundary (2)."
        )
    foreground_only = _boundary_classes((labels > 0).astype(np.int32))
    if np.array_equal(out, foreground_only):
        return (
            "`three_classes` marks the edge of the foreground, but not the line where two "
            "nuclei touch: their interiors still touch, and would merge into one object. Find "
            "the boundaries of `labels` itself, not of `labels > 0`."
        )
    eight = np.where(labels > 0, 1, 0)
    eight[find_boundaries(labels, connectivity=2, mode="inner")] = 2
    if np.array_equal(out, eight):
        return (
            "`three_classes` also counts diagonal neighbours, which makes the boundary thicker "
            "at every corner. A boundary pixel touches another label above, below, left or "
            "right (4-connectivity: `connectivity=1` in `find_boundaries`)."
        )
    wrong = out != expected
    if wrong.any() and np.all(wrong <= _edge_of(labels.shape)):
        return (
            "`three_classes` differs only at the edge of the image. The edge is not a "
            "boundary: a nucleus cut by it keeps its interior up to the edge. (Do you shift "
            "the image with `np.roll`, which wraps around, or pad it with zeros?)"
        )
    return ""


q1 = FunctionExercise(
    diagnose=_diagnose_three_classes,
    chapter="07",
    name="q1",
    title="Build the three-class target (background, interior, boundary) from instance labels",
    var="three_classes",
    reference=_boundary_classes,
    test_inputs=_three_classes_inputs,
    probe=lambda: (_square_pair(),),
    hints=[
        "Start with 1 for every pixel with a label > 0, then overwrite the boundary pixels "
        "with 2: the pixels of a nucleus that touch (above, below, left or right) a pixel with "
        "a *different* label, whether background or another nucleus.",
        "scikit-image finds such pixels: `skimage.segmentation.find_boundaries(labels, "
        'connectivity=1, mode="inner")` is True on the boundary pixels inside the objects. '
        "Build `classes = np.zeros(labels.shape, np.uint8)`, set `classes[labels > 0] = 1`, "
        "then `classes[boundary] = 2`.",
    ],
    solution_code=(
        "from skimage.segmentation import find_boundaries\n\n\n"
        "def three_classes(labels):\n"
        "    classes = np.zeros(labels.shape, dtype=np.uint8)\n"
        "    classes[labels > 0] = 1  # interior, for now\n"
        '    boundary = find_boundaries(labels, connectivity=1, mode="inner")\n'
        "    classes[boundary] = 2\n"
        "    return classes"
    ),
)


# --- Exercise 7.2: the receptive field of a U-Net -----------------------------------------------------


def receptive_field(depth):
    """Width in pixels of the field of view of one output pixel of ``cc.models.unet``.

    Each layer widens the field of view by ``(kernel size - 1)`` pixels of
    the level it works at, and a pixel at level l (after l poolings) stands
    for ``2 ** l`` input pixels: a 3 × 3 convolution adds ``2 * 2 ** l``, a
    2 × 2 max pooling ``2 ** l``. The 2 × 2 transposed convolutions of the way
    up add nothing (each of their output pixels comes from one input pixel),
    nor do the 1 × 1 convolution of the head and the skip connections.

    Parameters
    ----------
    depth : int
        Number of pooling steps of the U-Net, ``>= 1``.

    Returns
    -------
    int
        ``13 * 2 ** depth - 8``: 18, 44, 96, 200 for depths 1 to 4.

    Raises
    ------
    TypeError, ValueError
        If ``depth`` is not an int ``>= 1``.

    Notes
    -----
    Two 3 × 3 convolutions on each level of the way down, on the bottom and
    on each level of the way up, and one pooling per level down. This is the
    usual count of a network's receptive field; because pooling and
    upsampling work on a grid of 2 × 2 blocks, the exact field of a pixel can
    be a few pixels narrower or wider, depending on where the pixel lies on
    that grid (chapter 07 measures it). See chapter 07.

    References
    ----------
    .. [1] Araujo, A., Norris, W. & Sim, J. Computing receptive fields of
           convolutional neural networks. Distill 4, e21 (2019).
           doi:10.23915/distill.00021

    Examples
    --------
    >>> receptive_field(3)
    96
    """
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral):
        raise TypeError(f"expected depth as an int >= 1; got {depth!r}")
    if depth < 1:
        raise ValueError(f"expected depth >= 1; got {depth}")
    size = 1
    for level in range(depth):  # the way down: two 3 x 3 convolutions, one 2 x 2 pooling
        size += 2 * 2 * 2**level + 1 * 2**level
    size += 2 * 2 * 2**depth  # the bottom block
    for level in range(depth):  # the way up: two 3 x 3 convolutions per level
        size += 2 * 2 * 2**level
    return size


def _receptive_field_cases():
    return [((d,), {}, receptive_field(d), f"depth={d}") for d in (1, 2, 3, 4, 5)]


def _diagnose_receptive_field(function) -> str:
    got = _call_as_number(function, 3)
    if got is None:
        return ""
    d = 3
    mistakes = {
        9 * 2**d - 4: (
            "`receptive_field` seems to stop at the bottom of the U: the convolutions of the "
            "way up widen the field of view too (two per level, each by 2 pixels of its level)."
        ),
        12 * 2**d - 7: (
            "`receptive_field` seems to leave out the poolings: a 2 × 2 max pooling at level l "
            "widens the field by 1 pixel of that level, i.e. 2 ** l input pixels."
        ),
        9 * d + 5: (
            "`receptive_field` counts every layer as if it worked on input pixels. After l "
            "poolings a pixel stands for 2 ** l input pixels, so a 3 × 3 convolution at level "
            "l widens the field by 2 * 2 ** l input pixels."
        ),
        7 * 2**d - 4: (
            "`receptive_field` seems to count one convolution per block; each block of the "
            "U-Net has two 3 × 3 convolutions."
        ),
        9 * 2**d - 8: (
            "`receptive_field` seems to leave out the bottom block: its two 3 × 3 convolutions "
            "work at level `depth`, where a pixel stands for 2 ** depth input pixels."
        ),
        19 * 2**d - 12: (
            "`receptive_field` adds 3 pixels (the kernel size) per 3 × 3 convolution; a 3 × 3 "
            "kernel widens the field by kernel size - 1 = 2 pixels of its level."
        ),
        14 * 2**d - 9: (
            "`receptive_field` adds 2 pixels of its level per pooling; a 2 × 2 pooling widens "
            "the field by 2 - 1 = 1 pixel of its level."
        ),
        (13 * 2**d - 8) / 2: (
            "`receptive_field` returns half the expected width: the radius? The task asks for "
            "the full width of the field of view, in pixels."
        ),
    }
    return known_mistake(got, mistakes)


q2 = FunctionExercise(
    diagnose=_diagnose_receptive_field,
    chapter="07",
    name="q2",
    title="Compute the receptive field of a U-Net",
    var="receptive_field",
    test_cases=_receptive_field_cases,
    probe=(1,),
    hints=[
        "Start from 1 pixel and add the widening of every layer, level by level. On the way "
        "down, level l = 0 .. depth - 1 has two 3 × 3 convolutions and one pooling; the bottom "
        "(level depth) has two convolutions; on the way up, level l = depth - 1 .. 0 has two "
        "convolutions.",
        "At level l a 3 × 3 convolution adds 2 * 2 ** l pixels and a pooling adds 2 ** l. "
        "Three loops or sums: `for level in range(depth): size += 2 * 2 * 2**level + 2**level`, "
        "then `size += 2 * 2 * 2**depth`, then `for level in range(depth): size += 2 * 2 * "
        "2**level`.",
    ],
    solution_code=(
        "def receptive_field(depth):\n"
        "    size = 1\n"
        "    for level in range(depth):  # the way down: two convolutions and a pooling\n"
        "        size += 2 * 2 * 2**level + 1 * 2**level\n"
        "    size += 2 * 2 * 2**depth  # the bottom: two convolutions\n"
        "    for level in range(depth):  # the way up: two convolutions\n"
        "        size += 2 * 2 * 2**level\n"
        "    return size"
    ),
)


# --- Exercise 7.3: the class-weighted cross-entropy --------------------------------------------------


def weighted_loss(y_true, probs, class_weights):
    """Class-weighted cross-entropy in NumPy: the mean over pixels of ``-w[c] * log p[c]``.

    The NumPy twin of :func:`cellcourse.losses.weighted_crossentropy`, for
    reading and checking (it has no gradient, so it cannot train a model).

    Parameters
    ----------
    y_true : (...) ndarray of int
        True class of each pixel, ``0 .. K-1``, e.g. ``(Y, X)`` or ``(S, Y, X)``.
    probs : (..., K) ndarray of float
        Predicted probability of each class at each pixel (softmax output),
        values in (0, 1].
    class_weights : (K,) array_like of float
        Weight of each class.

    Returns
    -------
    float
        The mean, over all pixels, of the weight of the pixel's true class
        times minus the log of the probability given to it.

    Raises
    ------
    ValueError
        If the shapes do not fit together, a class index is outside
        ``0 .. K-1`` or a probability is not in (0, 1].

    Notes
    -----
    Divides by the number of pixels, as the course's Keras loss does (not by
    the summed weights). See chapter 07.

    Examples
    --------
    >>> y_true = np.array([[0, 1]])
    >>> probs = np.array([[[0.5, 0.5], [0.5, 0.5]]])
    >>> round(weighted_loss(y_true, probs, [1.0, 2.0]), 4)  # (1 + 2) * log(2) / 2
    1.0397
    """
    y_true = np.asarray(y_true)
    probs = np.asarray(probs, dtype=np.float64)
    weights = np.asarray(class_weights, dtype=np.float64)
    if y_true.dtype.kind not in "iu":
        raise ValueError(f"expected y_true as integer class indices; got dtype {y_true.dtype}")
    if probs.shape != (*y_true.shape, len(weights)) or weights.ndim != 1:
        raise ValueError(
            f"expected probs of shape y_true.shape + (K,) = {(*y_true.shape, weights.size)} "
            f"for K = len(class_weights); got probs {probs.shape}"
        )
    if y_true.size and (y_true.min() < 0 or y_true.max() >= len(weights)):
        raise ValueError(f"expected class indices 0 to {len(weights) - 1} in y_true")
    if not np.all((probs > 0) & (probs <= 1)):
        raise ValueError("expected probabilities in (0, 1]")
    p_true = np.take_along_axis(probs, y_true[..., np.newaxis], axis=-1)[..., 0]
    return float(np.mean(-weights[y_true] * np.log(p_true)))


def _softmax_probs(rng, shape, n_classes) -> np.ndarray:
    scores = rng.normal(size=(*shape, n_classes))
    e = np.exp(scores)
    return e / e.sum(axis=-1, keepdims=True)


def _weighted_loss_inputs():
    rng = np.random.default_rng(73)
    two_by_two = np.array([[[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]], [[0.2, 0.3, 0.5], [0.8, 0.1, 0.1]]])
    return [
        (
            (np.array([[0, 1], [2, 0]]), two_by_two, np.array([1.0, 1.0, 1.0])),
            {},
            "a 2 × 2 image and equal weights (1, 1, 1)",
        ),
        (
            (np.array([[0, 1], [2, 2]]), two_by_two, np.array([0.2, 1.0, 7.0])),
            {},
            "a 2 × 2 image and weights (0.2, 1, 7)",
        ),
        (
            (
                rng.integers(0, 3, size=(4, 5)),
                _softmax_probs(rng, (4, 5), 3),
                np.array([0.5, 1.0, 3.0]),
            ),
            {},
            "a random 4 × 5 image, 3 classes, weights (0.5, 1, 3)",
        ),
        (
            (rng.integers(0, 2, size=(3, 6)), _softmax_probs(rng, (3, 6), 2), np.array([1.0, 4.0])),
            {},
            "a random 3 × 6 image, 2 classes, weights (1, 4)",
        ),
        (
            (
                rng.integers(0, 3, size=(2, 3, 4)),
                _softmax_probs(rng, (2, 3, 4), 3),
                np.array([0.3, 1.0, 5.0]),
            ),
            {},
            "a batch of 2 images of 3 × 4 pixels (S, Y, X), weights (0.3, 1, 5)",
        ),
    ]


# each pixel's true class differs from its most probable class somewhere, and the weights are
# all different, so that every typical mistake gives a different number
_DIAG_Y = np.array([[0, 1, 2], [2, 0, 1]])
_DIAG_P = np.array(
    [
        [[0.6, 0.3, 0.1], [0.5, 0.3, 0.2], [0.2, 0.1, 0.7]],
        [[0.4, 0.35, 0.25], [0.3, 0.3, 0.4], [0.1, 0.8, 0.1]],
    ]
)
_DIAG_W = np.array([0.5, 1.5, 4.0])


def _loss_variants() -> dict[str, float]:
    y, p, w = _DIAG_Y, _DIAG_P, _DIAG_W
    p_true = np.take_along_axis(p, y[..., np.newaxis], axis=-1)[..., 0]
    right = float(np.mean(-w[y] * np.log(p_true)))
    return {
        "unweighted": float(np.mean(-np.log(p_true))),
        "by_weights": float(np.sum(-w[y] * np.log(p_true)) / np.sum(w[y])),
        "predicted_weight": float(np.mean(-w[p.argmax(-1)] * np.log(p_true))),
        "all_classes": float(np.mean(np.sum(-w * np.log(p), axis=-1))),
        "no_minus": -right,
        "sum": right * y.size,
        "log10": right / np.log(10),
        "log2": right / np.log(2),
    }


def _diagnose_weighted_loss(function) -> str:
    got = _call_as_number(function, _DIAG_Y, _DIAG_P, _DIAG_W)
    if got is None:
        return ""
    messages = {
        "unweighted": (
            "`weighted_loss` gives the plain cross-entropy: the class weights change nothing. "
            "Multiply each pixel's -log p by the weight of its true class, "
            "`class_weights[y_true]`."
        ),
        "by_weights": (
            "`weighted_loss` divides by the sum of the pixels' weights (as Keras does with "
            "`sample_weight`). The task, like the course's loss, takes the plain mean over "
            "pixels: divide by the number of pixels."
        ),
        "predicted_weight": (
            "`weighted_loss` weights each pixel by the class it is *predicted* to be; the "
            "weight belongs to the pixel's *true* class, `class_weights[y_true]`."
        ),
        "all_classes": (
            "`weighted_loss` adds -w log p over all classes at each pixel. Only the true class "
            "of a pixel counts (its target is 1 there and 0 elsewhere): take the probability "
            "of the true class, e.g. `np.take_along_axis(probs, y_true[..., None], axis=-1)`."
        ),
        "no_minus": (
            "`weighted_loss` is negative. The log of a probability is at most 0, so the loss "
            "is minus the log: a loss is never negative, and 0 only for certain, right answers."
        ),
        "sum": (
            "`weighted_loss` adds up the pixels' losses; the task asks for their mean, so that "
            "the loss does not grow with the size of the image."
        ),
        "log10": "`weighted_loss` uses the base-10 logarithm; cross-entropy uses the natural one, `np.log`.",
        "log2": "`weighted_loss` uses the base-2 logarithm; cross-entropy uses the natural one, `np.log`.",
    }
    for name, value in _loss_variants().items():
        if abs(got - value) <= 1e-6 * max(1.0, abs(value)):
            return messages[name]
    return ""


q3 = FunctionExercise(
    diagnose=_diagnose_weighted_loss,
    chapter="07",
    name="q3",
    title="Write the class-weighted cross-entropy in NumPy",
    var="weighted_loss",
    reference=weighted_loss,
    test_inputs=_weighted_loss_inputs,
    rtol=1e-5,
    atol=1e-6,  # float32 arithmetic is fine
    probe=lambda: (np.array([[0, 1]]), np.full((1, 2, 2), 0.5), np.array([1.0, 1.0])),
    hints=[
        "For each pixel, find the probability that the network gave to the pixel's *true* "
        "class, take minus its log, and multiply by that class's weight. The loss is the mean "
        "of these numbers over all pixels.",
        "`np.take_along_axis(probs, y_true[..., None], axis=-1)[..., 0]` picks each pixel's "
        "probability of its true class (same shape as `y_true`); `class_weights[y_true]` "
        "picks each pixel's weight (an array indexed by an array). Then "
        "`np.mean(-weights * np.log(p_true))`.",
    ],
    solution_code=(
        "def weighted_loss(y_true, probs, class_weights):\n"
        "    class_weights = np.asarray(class_weights)\n"
        "    p_true = np.take_along_axis(probs, y_true[..., None], axis=-1)[..., 0]\n"
        "    weights = class_weights[y_true]  # the weight of each pixel's true class\n"
        "    return np.mean(-weights * np.log(p_true))"
    ),
)


# --- Exercise 7.4: the Dice coefficient of two masks ------------------------------------------------


def _dice_of_masks(mask_true, mask_pred) -> float:
    both = np.logical_and(mask_true, mask_pred).sum()
    return float(2 * both / (np.sum(mask_true) + np.sum(mask_pred)))


def _dice_cases():
    a = np.zeros((4, 4), dtype=bool)
    a[:2] = True  # 8 pixels
    b = np.zeros((4, 4), dtype=bool)
    b[1:3] = True  # 8 pixels, 4 shared with a
    c = np.zeros((4, 4), dtype=bool)
    c[:, :1] = True  # 4 pixels, 2 shared with a
    rng = np.random.default_rng(74)
    r1, r2 = rng.random((12, 15)) < 0.3, rng.random((12, 15)) < 0.4
    return [
        ((a, b), {}, _dice_of_masks(a, b), "two 4 × 4 masks of 8 pixels each, 4 of them shared"),
        ((a, c), {}, _dice_of_masks(a, c), "a mask of 8 pixels and one of 4, 2 of them shared"),
        ((a, a.copy()), {}, 1.0, "two identical masks"),
        ((a, ~a), {}, 0.0, "two masks that do not overlap"),
        ((r1, r2), {}, _dice_of_masks(r1, r2), "two random 12 × 15 masks"),
    ]


def _diagnose_dice(function) -> str:
    a = np.zeros((4, 5), dtype=bool)
    a[:2, :3] = True  # 6 pixels
    b = np.zeros((4, 5), dtype=bool)
    b[1:3, 1:5] = True  # 8 pixels, 2 shared with a
    got = _call_as_number(function, a, b)
    if got is None:
        return ""
    both, n_a, n_b = int(np.sum(a & b)), int(a.sum()), int(b.sum())  # 2, 6 and 8
    union = n_a + n_b - both
    mistakes = {
        both / union: (
            "`dice_coefficient` returns |T ∩ P| / |T ∪ P|: the Jaccard index (IoU). Dice "
            "counts the shared pixels twice and divides by the sizes of both masks: "
            "2 |T ∩ P| / (|T| + |P|)."
        ),
        both / (n_a + n_b): (
            "`dice_coefficient` returns half the Dice coefficient: the shared pixels count "
            "twice, once for each mask, 2 |T ∩ P| / (|T| + |P|). (Two identical masks must "
            "score 1.)"
        ),
        2 * both / union: (
            "the denominator of `dice_coefficient` counts the pixels in either mask once. "
            "Count the two masks separately, `mask_true.sum() + mask_pred.sum()` (adding two "
            "boolean arrays gives their union, not the sum of their sizes)."
        ),
        1 - 2 * both / (n_a + n_b): (
            "`dice_coefficient` returns 1 - Dice, a loss. Return the coefficient itself: 1 for "
            "a perfect match, 0 for no overlap."
        ),
        float(np.mean(a == b)): (
            "`dice_coefficient` returns the fraction of pixels on which the masks agree: the "
            "pixel accuracy, which also counts the background that both leave out. Dice counts "
            "only the pixels of the masks: 2 |T ∩ P| / (|T| + |P|)."
        ),
    }
    return known_mistake(got, mistakes)


q4 = FunctionExercise(
    diagnose=_diagnose_dice,
    chapter="07",
    name="q4",
    title="Write the Dice coefficient of two masks",
    var="dice_coefficient",
    test_cases=_dice_cases,
    probe=lambda: (np.ones((2, 2), dtype=bool), np.ones((2, 2), dtype=bool)),
    hints=[
        "Count three numbers: the pixels in both masks (|T ∩ P|), the pixels of the true mask "
        "(|T|) and those of the predicted mask (|P|). Dice = 2 |T ∩ P| / (|T| + |P|).",
        "For boolean arrays, `np.logical_and(mask_true, mask_pred).sum()` counts the shared "
        "pixels and `mask_true.sum()` the pixels of one mask.",
    ],
    solution_code=(
        "def dice_coefficient(mask_true, mask_pred):\n"
        "    both = np.logical_and(mask_true, mask_pred).sum()\n"
        "    return 2 * both / (mask_true.sum() + mask_pred.sum())"
    ),
)


# --- Exercise 7.5: why Dice and not accuracy --------------------------------------------------------

q5 = ThoughtExercise(
    chapter="07",
    name="q5",
    title=(
        "Why do we score nuclei with Dice or Jaccard rather than with the fraction of pixels "
        "classified correctly? And what can a high foreground Dice still hide?"
    ),
    hints=[
        "About 80 % of the pixels of a BBBC039 image are background. What pixel accuracy does a "
        "network get that finds no nucleus at all? What is its Dice?",
        "Two touching nuclei predicted as one blob: how many foreground pixels are wrong? How "
        "many nuclei would you count?",
    ],
    solution_code=(
        "Pixel accuracy counts the background, which is most of the image: a network that "
        "answers 'background' everywhere is about 80 % accurate on these images and finds no "
        "nucleus, and one that is 95 % accurate may still miss or smear a good share of them. "
        "Dice (2 |T ∩ P| / (|T| + |P|)) and Jaccard (|T ∩ P| / |T ∪ P|) count only the pixels "
        "of the class they score, so true negatives cannot inflate them: predicting no nucleus "
        "scores 0, whatever the share of background. They are computed for each class on its "
        "own, so the thin boundary class (2-3 % of the pixels) gets a score of its own instead "
        "of vanishing in an average. Jaccard is always lower than Dice (J = D / (2 - D)); "
        "both rank predictions the same way. What a pixel score hides: it does not know "
        "objects. Two touching nuclei merged into one blob lose only the few pixels of their "
        "contact line, so the foreground Dice stays high while the nucleus count is wrong; a "
        "few tiny false nuclei barely move it either. To count and measure nuclei, match "
        "predicted and true objects one to one (chapter 08)."
    ),
)
