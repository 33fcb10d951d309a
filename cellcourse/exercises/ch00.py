"""Exercises of chapter 00, microscopy images as arrays (BBBC039 nuclei).

Used in ``solutions/00_microscopy_images.ipynb``::

    from cellcourse.exercises import ch00 as ex
    ex.q1.check(bit_depth)
"""

from __future__ import annotations

import functools

import numpy as np

from ._core import CodingExercise, EqualityExercise, FunctionExercise, Incorrect

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]


@functools.cache
def _first_labels() -> np.ndarray:
    from ..datasets import load_bbbc039

    return load_bbbc039(n_images=1, progress=False).labels[0]


# --- Exercise 0.1: bit depth --------------------------------------------------------------


def _check_bit_depth(bit_depth) -> str | None:
    if isinstance(bit_depth, bool) or not isinstance(bit_depth, int | np.integer):
        raise Incorrect(
            f"`bit_depth` should be a whole number of bits (an int); got {type(bit_depth).__name__}."
        )
    if bit_depth == 12:
        return "12 bits: values from 0 to 4095, stored in 16-bit containers."
    if bit_depth == 16:
        raise Incorrect(
            "16 is the size of the container (the dtype uint16). The camera may use fewer "
            "bits: look at the largest value any image reaches."
        )
    if bit_depth == 8:
        raise Incorrect("8 bits hold values up to 255, and these images go much higher.")
    if bit_depth > 16:
        raise Incorrect(f"a uint16 array cannot hold more than 16 bits; you said {bit_depth}.")
    raise Incorrect(
        f"with {bit_depth} bits the values could reach 2**{bit_depth} - 1 = "
        f"{2 ** max(int(bit_depth), 0) - 1}. Compare that with the largest value in the images."
    )


q1 = CodingExercise(
    chapter="00",
    name="q1",
    title="Find the bit depth the camera recorded with",
    var="bit_depth",
    checker=_check_bit_depth,
    hints=[
        "The dtype tells you the container, not how many bits the camera used. "
        "What is the largest value in `data.images`?",
        "n bits store values from 0 to 2**n - 1. Which n makes 2**n - 1 equal the maximum?",
    ],
    solution_code=(
        "largest = int(data.images.max())          # 4095\n"
        "bit_depth = int(np.ceil(np.log2(largest + 1)))  # 2**12 - 1 = 4095"
    ),
)


# --- Exercise 0.3: count the nuclei ----------------------------------------------------------


def _n_nuclei_first_image() -> int:
    labels = _first_labels()
    return int(len(np.unique(labels)) - (1 if (labels == 0).any() else 0))


q3 = EqualityExercise(
    chapter="00",
    name="q3",
    title="Count the nuclei in the first image",
    var="n_nuclei",
    expected=_n_nuclei_first_image,
    hints=[
        "In `labels`, every nucleus has its own whole number and the background is 0.",
        "`np.unique(labels)` lists the numbers present; one of them is the background.",
    ],
    solution_code=(
        "labels = data.labels[0]\nn_nuclei = len(np.unique(labels)) - 1  # minus the background 0"
    ),
)


# --- Exercise 0.2: percentile normalisation -------------------------------------------------


def _reference_normalize(image, low=1.0, high=99.8):
    image = np.asarray(image, dtype=np.float64)
    p_low, p_high = np.percentile(image, (low, high))
    return (image - p_low) / (p_high - p_low)


def _normalize_inputs():
    rng = np.random.default_rng(0)
    camera = rng.poisson(300, size=(40, 50)).astype(np.uint16)
    camera[10:20, 10:30] += 2000  # a bright nucleus
    camera[0, 0] = 4095  # one saturated pixel: percentiles ignore it, min/max would not
    return [
        ((np.arange(101, dtype=np.uint16),), {"low": 0, "high": 100}, "the numbers 0 to 100"),
        ((camera,), {}, "a 12-bit image with one saturated pixel, default percentiles"),
        ((camera,), {"low": 5, "high": 95}, "the same image with low=5, high=95"),
        ((camera.astype(np.float32) / 7,), {"low": 2, "high": 98}, "a float32 image"),
    ]


q2 = FunctionExercise(
    chapter="00",
    name="q2",
    title="Write percentile normalisation",
    var="normalize",
    reference=_reference_normalize,
    test_inputs=_normalize_inputs,
    rtol=1e-4,
    atol=1e-5,
    probe=lambda: (np.arange(10, dtype=np.uint16),),
    hints=[
        "`np.percentile(image, (low, high))` gives both percentiles at once.",
        "Subtract the low percentile, then divide by the distance between the two "
        "percentiles. Convert to float first: uint16 arithmetic cannot go below 0.",
    ],
    solution_code=(
        "def normalize(image, low=1.0, high=99.8):\n"
        "    image = np.asarray(image, dtype=np.float32)\n"
        "    p_low, p_high = np.percentile(image, (low, high))\n"
        "    return (image - p_low) / (p_high - p_low)"
    ),
)


# --- Exercise 0.4: nucleus areas ---------------------------------------------------------------


def _mean_area_first_image() -> float:
    labels = _first_labels()
    counts = np.bincount(labels.ravel())[1:]
    return float(counts[counts > 0].mean())


q4 = EqualityExercise(
    chapter="00",
    name="q4",
    title="Mean nucleus area (in pixels) in the first image",
    var="mean_area",
    expected=_mean_area_first_image,
    rtol=1e-3,
    hints=[
        "The area of a nucleus is the number of pixels carrying its label.",
        "`skimage.measure.regionprops(labels)` gives each object's `.area`; or count with "
        "`np.bincount(labels.ravel())` and leave out the background (index 0).",
    ],
    solution_code=(
        "from skimage.measure import regionprops\n"
        "areas = [region.area for region in regionprops(data.labels[0])]\n"
        "mean_area = float(np.mean(areas))"
    ),
)


# --- Exercise 0.5: patches per image -------------------------------------------------------------


def _check_n_patches(n_patches) -> str | None:
    if isinstance(n_patches, bool) or not isinstance(n_patches, int | np.integer):
        raise Incorrect(f"`n_patches` should be a whole number; got {type(n_patches).__name__}.")
    if n_patches == 20:
        return "4 rows of 5 patches; the strips left at the bottom and right are not used."
    exact = 520 * 696 / (128 * 128)
    if abs(n_patches - exact) < 1.5:
        raise Incorrect(
            "dividing the areas counts pieces of patches too. Only whole patches count: "
            "how many fit along Y, and how many along X?"
        )
    raise Incorrect("count how many whole 128-pixel patches fit along each axis, then multiply.")


q5 = CodingExercise(
    chapter="00",
    name="q5",
    title="How many whole, non-overlapping 128 x 128 patches fit in one image?",
    var="n_patches",
    checker=_check_n_patches,
    hints=[
        "An image is 520 pixels along Y and 696 along X.",
        "Integer division `//` counts whole patches along one axis.",
    ],
    solution_code="n_patches = (520 // 128) * (696 // 128)  # 4 * 5",
)


# --- Exercise 0.7: split by well --------------------------------------------------------------------


def _as_index_array(value, name: str) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise Incorrect(
            f"`{name}` should be a 1-D array of image indices (integers); got "
            f"{'shape ' + str(array.shape) if array.ndim != 1 else 'dtype ' + str(array.dtype)}."
        )
    return array


def _check_split(train_idx, test_idx, wells) -> str | None:
    train = _as_index_array(train_idx, "train_idx")
    test = _as_index_array(test_idx, "test_idx")
    wells = np.asarray(wells)
    n = len(wells)
    if wells.ndim != 1 or n < 2:
        raise Incorrect("pass `data.wells` as the third argument: one well per image.")
    for name, index in (("train_idx", train), ("test_idx", test)):
        if len(index) == 0:
            raise Incorrect(f"`{name}` is empty; both splits need images.")
        if index.min() < 0 or index.max() >= n:
            raise Incorrect(f"`{name}` holds indices outside 0..{n - 1}.")
        if len(np.unique(index)) != len(index):
            raise Incorrect(f"`{name}` lists some images more than once.")
    both = np.intersect1d(train, test)
    if len(both):
        raise Incorrect(f"{len(both)} image(s) are in both splits; each image goes to one split.")
    if len(train) + len(test) != n:
        raise Incorrect(
            f"the two splits hold {len(train) + len(test)} images but there are {n}; "
            "every image should be used once."
        )
    shared = sorted(set(wells[train]) & set(wells[test]))
    if shared:
        raise Incorrect(
            f"{len(shared)} well(s) have images in both splits, for example {shared[0]}. "
            "Neighbouring fields of one well look alike: split the wells, not the images."
        )
    fraction = len(test) / n
    if not 0.1 <= fraction <= 0.35:
        raise Incorrect(f"the test split holds {fraction:.0%} of the images; aim for about 20%.")
    return f"{len(set(wells[train]))} wells for training, {len(set(wells[test]))} for testing, none shared."


q7 = CodingExercise(
    chapter="00",
    name="q7",
    title="Split the images into training and test sets by well",
    var=("train_idx", "test_idx", "wells"),
    checker=_check_split,
    hints=[
        "`cc.preprocess.split_by_group(groups, fractions=...)` returns one index array per "
        "fraction.",
        "Use the wells as groups and fractions=(0.8, 0.2).",
    ],
    solution_code=(
        "train_idx, test_idx = cc.preprocess.split_by_group(\n"
        "    data.wells, fractions=(0.8, 0.2), rng=0\n"
        ")"
    ),
)


# --- Exercise 0.6: channels last ----------------------------------------------------------------------


def _check_channels_last(image_yxc, image_cyx) -> str | None:
    original = np.asarray(image_cyx)
    if original.ndim != 3:
        raise Incorrect("pass the original (C, Y, X) array as the second argument.")
    answer = np.asarray(image_yxc)
    want_shape = original.shape[1:] + original.shape[:1]
    if answer.shape != want_shape:
        raise Incorrect(
            f"`image_yxc` has shape {answer.shape}; channels last means (Y, X, C) = {want_shape}."
        )
    if not np.array_equal(answer, np.moveaxis(original, 0, -1)):
        raise Incorrect(
            "the shape is right but the pixels are scrambled. `reshape` keeps the numbers in "
            "their memory order and only relabels the axes; you need to *move* the channel axis."
        )
    return "each pixel now holds its 3 channel values side by side, as Keras expects."


q6 = CodingExercise(
    chapter="00",
    name="q6",
    title="Move the channel axis of the Cell Painting image to the end",
    var=("image_yxc", "image_cyx"),
    checker=_check_channels_last,
    hints=[
        "Keras wants channels last: (Y, X, C). The file stores (C, Y, X).",
        "`np.moveaxis(array, source, destination)` moves one axis; `np.transpose` can too.",
    ],
    solution_code="image_yxc = np.moveaxis(image_cyx, 0, -1)  # (C, Y, X) -> (Y, X, C)",
)
