"""Virtual staining: predict a fluorescence image from a label-free one (chapter 10).

*Augmented microscopy* (Moen et al. 2019) or *in silico labeling*
(Christiansen et al. 2018): a network learns, from pairs of images of the same
cells, to turn a transmitted-light image (here a phase-contrast z-stack) into
the fluorescence image of a stain, an image-to-image regression. This module
holds what such a project needs around the network:

============================  ===================================================
:func:`spatial_split`         one field of view cut into training, validation and
                              test regions, with an unused margin between them
:func:`sample_patches`        random training patches lying wholly in one region
:func:`region_box`            the slices of a rectangular region (e.g. the test
                              quadrant), to crop whole held-out images
:func:`normalize_from_region` percentile normalisation with percentiles taken
                              from the training region only
:func:`mean_baseline`         the constant prediction: the training mean
:func:`fit_linear_baseline`   per-pixel linear regression from the z-planes
:func:`predict_linear_baseline`  apply it
============================  ===================================================

The scores (Pearson r, SSIM, PSNR) are in :mod:`cellcourse.metrics.regression`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .preprocess import _as_rng

__all__ = [
    "REGION_NAMES",
    "SpatialSplit",
    "fit_linear_baseline",
    "mean_baseline",
    "normalize_from_region",
    "predict_linear_baseline",
    "region_box",
    "sample_patches",
    "spatial_split",
]

# value of each region in SpatialSplit.regions
REGION_NAMES = {0: "margin", 1: "train", 2: "validation", 3: "test"}
_REGION_VALUE = {name: value for value, name in REGION_NAMES.items()}
_QUADRANTS = ("top_left", "top_right", "bottom_left", "bottom_right")
_OPPOSITE = dict(zip(_QUADRANTS, reversed(_QUADRANTS), strict=True))


@dataclass(frozen=True, eq=False)
class SpatialSplit:
    """Regions of one field of view: training, validation, test and an unused margin.

    Attributes
    ----------
    regions : (Y, X) ndarray of uint8
        0 = margin (used by no one), 1 = training, 2 = validation, 3 = test
        (:data:`REGION_NAMES`).
    test_quadrant, validation_quadrant : str
        Which quadrants are held out (``"top_left"``, ``"top_right"``,
        ``"bottom_left"``, ``"bottom_right"``).
    margin : int
        Width in pixels of the unused band along every border between two
        different regions.
    """

    regions: np.ndarray
    test_quadrant: str
    validation_quadrant: str
    margin: int

    def mask(self, region: str) -> np.ndarray:
        """``(Y, X)`` bool mask of one region: ``"train"``, ``"validation"``, ``"test"`` or ``"margin"``."""
        return self.regions == _region_value(region)

    def __repr__(self) -> str:
        shares = ", ".join(
            f"{name} {np.mean(self.regions == value):.0%}" for value, name in REGION_NAMES.items()
        )
        return (
            f"SpatialSplit({self.regions.shape}: test {self.test_quadrant}, validation "
            f"{self.validation_quadrant}, margin {self.margin} px; {shares})"
        )


def _region_value(region) -> int:
    if region not in _REGION_VALUE:
        raise ValueError(f"expected a region in {list(_REGION_VALUE)}; got {region!r}")
    return _REGION_VALUE[region]


def _quadrant_slices(shape: tuple[int, int], quadrant: str) -> tuple[slice, slice]:
    half_y, half_x = shape[0] // 2, shape[1] // 2
    rows = slice(0, half_y) if quadrant.startswith("top") else slice(half_y, shape[0])
    cols = slice(0, half_x) if quadrant.endswith("left") else slice(half_x, shape[1])
    return rows, cols


def spatial_split(shape, test_quadrant="bottom_right", margin=32) -> SpatialSplit:
    """Cut one field of view into regions for training, validation and testing.

    With a single image, a random split of *pixels* or of small patches would
    put neighbouring, almost identical pixels (parts of the same nucleus) on
    both sides. Here whole quadrants are held out: ``test_quadrant`` for
    testing, the diagonally opposite quadrant for validation, the two others
    for training. Every border between two different regions is widened into
    an unused band of ``margin`` pixels on each side, so that a cell cut by
    the border is not seen in one region and scored in the other, and so that
    no output pixel of a training patch has test pixels in its receptive field
    (choose ``margin`` of at least half the network's receptive field).

    Parameters
    ----------
    shape : (int, int)
        ``(Y, X)`` of the field of view, each at least ``4 * margin + 2``.
    test_quadrant : {"bottom_right", "bottom_left", "top_right", "top_left"}
        The quadrant held out for testing.
    margin : int
        Half-width in pixels of the unused band along each inner border, ``>= 0``.

    Returns
    -------
    SpatialSplit
        ``regions (Y, X) uint8``: 0 margin, 1 training, 2 validation, 3 test;
        ``split.mask("train")`` gives one region as a bool mask.

    Raises
    ------
    ValueError, TypeError
        If the shape, quadrant or margin is invalid (the message lists the quadrants).

    Examples
    --------
    >>> split = spatial_split((8, 8), "bottom_right", margin=1)
    >>> split.regions  # 0 margin, 1 training, 2 validation, 3 test
    array([[2, 2, 2, 0, 0, 1, 1, 1],
           [2, 2, 2, 0, 0, 1, 1, 1],
           [2, 2, 2, 0, 0, 1, 1, 1],
           [0, 0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0, 0],
           [1, 1, 1, 0, 0, 3, 3, 3],
           [1, 1, 1, 0, 0, 3, 3, 3],
           [1, 1, 1, 0, 0, 3, 3, 3]], dtype=uint8)
    >>> split.validation_quadrant
    'top_left'
    """
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"expected shape as (Y, X) integers; got {shape!r}") from None
    if isinstance(margin, bool) or not isinstance(margin, int | np.integer):
        raise TypeError(f"expected margin as an integer number of pixels; got {margin!r}")
    if margin < 0:
        raise ValueError(f"expected margin >= 0 pixels; got {margin}")
    if len(shape) != 2 or min(shape) < 4 * margin + 2:
        raise ValueError(
            f"expected shape (Y, X) with Y and X >= 4 * margin + 2 = {4 * margin + 2}; got {shape}"
        )
    if test_quadrant not in _QUADRANTS:
        raise ValueError(f"expected test_quadrant in {list(_QUADRANTS)}; got {test_quadrant!r}")
    validation_quadrant = _OPPOSITE[test_quadrant]
    regions = np.full(shape, _REGION_VALUE["train"], dtype=np.uint8)
    regions[_quadrant_slices(shape, validation_quadrant)] = _REGION_VALUE["validation"]
    regions[_quadrant_slices(shape, test_quadrant)] = _REGION_VALUE["test"]
    # every quadrant touches two others of a different kind along the two centre lines
    half_y, half_x = shape[0] // 2, shape[1] // 2
    regions[half_y - margin : half_y + margin, :] = _REGION_VALUE["margin"]
    regions[:, half_x - margin : half_x + margin] = _REGION_VALUE["margin"]
    return SpatialSplit(regions, test_quadrant, validation_quadrant, int(margin))


def _check_split(split) -> SpatialSplit:
    if not isinstance(split, SpatialSplit):
        raise TypeError(f"expected a SpatialSplit from spatial_split(); got {type(split).__name__}")
    return split


def region_box(split, region="test") -> tuple[slice, slice]:
    """The bounding box of one region, as ``(rows, cols)`` slices.

    Parameters
    ----------
    split : SpatialSplit
        From :func:`spatial_split`.
    region : {"test", "validation", "train"}
        For ``"test"`` and ``"validation"`` the box is the quadrant without
        its margin; the training region is not a rectangle, so its box also
        holds other regions.

    Returns
    -------
    (slice, slice)
        Crop a ``(Y, X)`` or ``(Y, X, C)`` image with ``image[rows, cols]``.

    Examples
    --------
    >>> region_box(spatial_split((8, 8), "bottom_right", margin=1))
    (slice(5, 8, None), slice(5, 8, None))
    """
    split = _check_split(split)
    if region == "margin":
        raise ValueError("expected a region in ['train', 'validation', 'test']; got 'margin'")
    rows, cols = np.nonzero(split.mask(region))
    if rows.size == 0:
        raise ValueError(f"the split has no {region} pixels")
    return slice(int(rows.min()), int(rows.max()) + 1), slice(int(cols.min()), int(cols.max()) + 1)


def _check_image(image, name: str, ndims=(2, 3)) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim not in ndims or image.dtype.kind not in "iuf":
        want = " or ".join({2: "(Y, X)", 3: "(Y, X, C)"}[n] for n in ndims)
        raise ValueError(
            f"expected {name} as a numeric array of shape {want}; got shape {image.shape} "
            f"dtype {image.dtype}"
        )
    if image.dtype.kind == "f" and not np.all(np.isfinite(image)):
        raise ValueError(f"expected finite values in {name}; it holds NaN or infinity")
    return image


def _check_pair(inputs, target) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(Y, X, C)`` and a target ``(Y, X)`` or ``(Y, X, K)`` of the same field."""
    inputs = _check_image(inputs, "inputs", ndims=(3,))
    target = _check_image(target, "target")
    if inputs.shape[:2] != target.shape[:2]:
        raise ValueError(
            f"expected inputs (Y, X, C) and target (Y, X) of the same field, with the same Y "
            f"and X; got inputs {inputs.shape} and target {target.shape}. (A (Z, Y, X) stack "
            "goes channels last with np.moveaxis(stack, 0, -1).)"
        )
    return inputs, target


def _check_mask(mask, shape: tuple, name: str = "mask") -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.shape != tuple(shape):
        raise ValueError(
            f"expected {name} as a bool array of shape {tuple(shape)}; got shape "
            f"{mask.shape} dtype {mask.dtype}"
        )
    if not mask.any():
        raise ValueError(f"expected {name} to select at least one pixel; it is all False")
    return mask


def sample_patches(
    inputs,
    target,
    allowed,
    patch_shape=64,
    n_patches=256,
    rng=None,
    focus=None,
    focus_fraction=0.5,
    augment=False,
):
    """Random patches of an input image and its target, lying wholly inside a region.

    Parameters
    ----------
    inputs : (Y, X, C) ndarray
        The input channels, e.g. phase-contrast z-planes, channels last.
    target : (Y, X) or (Y, X, K) ndarray
        The image to predict, on the same grid.
    allowed : (Y, X) ndarray of bool
        Where patches may lie, e.g. ``split.mask("train")``: every pixel of
        every patch is in it.
    patch_shape : int or (int, int)
        ``(PY, PX)`` of a patch.
    n_patches : int
        How many patches (drawn with replacement among all allowed positions).
    rng : numpy.random.Generator, int or None
        Seed or generator; the same seed gives the same patches.
    focus : (Y, X) ndarray of bool, optional
        Pixels of interest, e.g. ``target > 0.5`` (bright nuclei). When given,
        ``round(focus_fraction * n_patches)`` of the patches are drawn among the
        allowed positions whose window holds at least one focus pixel, the rest
        among all allowed positions. A sparse stain then does not leave most
        patches empty.
    focus_fraction : float
        Share of the patches that must hold a focus pixel, in ``[0, 1]``.
    augment : bool
        Turn each patch (input and target alike) by a random multiple of 90°
        and mirror it at random: one of the 8 symmetries of a square, so the
        network sees each cell in 8 orientations. Needs square patches.

    Returns
    -------
    x : (N, PY, PX, C) ndarray of float32
    y : (N, PY, PX, K) ndarray of float32
        K = 1 for a ``(Y, X)`` target.

    Raises
    ------
    ValueError
        If the shapes disagree, or no patch of that size fits inside ``allowed``.

    Examples
    --------
    >>> inputs = np.arange(64.0).reshape(8, 8, 1)
    >>> allowed = np.zeros((8, 8), dtype=bool)
    >>> allowed[:3, :3] = True  # only one 3 x 3 patch fits
    >>> x, y = sample_patches(inputs, inputs[..., 0], allowed, patch_shape=3, n_patches=2, rng=0)
    >>> x.shape, y.shape, float(x[0, 0, 0, 0]), float(y[1, 2, 2, 0])
    ((2, 3, 3, 1), (2, 3, 3, 1), 0.0, 18.0)
    """
    from scipy.ndimage import maximum_filter, minimum_filter

    from .preprocess import _as_pair

    inputs, target = _check_pair(inputs, target)
    allowed = _check_mask(allowed, inputs.shape[:2], "allowed")
    py, px = _as_pair(patch_shape, "patch_shape")
    if isinstance(n_patches, bool) or not isinstance(n_patches, int | np.integer) or n_patches < 1:
        raise ValueError(f"expected n_patches as an integer >= 1; got {n_patches!r}")
    rng = _as_rng(rng)
    # a patch with top-left corner (r, c) is allowed if its whole window is: a minimum
    # filter over the window, anchored at the top-left corner (scipy centres it, so shift)
    window = minimum_filter(
        allowed.astype(np.uint8),
        size=(py, px),
        origin=(-(py // 2), -(px // 2)),
        mode="constant",
        cval=0,
    ).astype(bool)
    window[allowed.shape[0] - py + 1 :, :] = False
    window[:, allowed.shape[1] - px + 1 :] = False
    rows, cols = np.nonzero(window)
    if rows.size == 0:
        raise ValueError(
            f"no {py} x {px} patch fits wholly inside the allowed region; use smaller patches "
            "or a smaller margin"
        )
    n_focus = 0
    if focus is not None:
        focus = _check_mask(focus, inputs.shape[:2], "focus")
        if not 0 <= focus_fraction <= 1:
            raise ValueError(f"expected focus_fraction in [0, 1]; got {focus_fraction}")
        n_focus = int(round(focus_fraction * n_patches))
    pick = rng.integers(0, rows.size, size=int(n_patches) - n_focus)
    if n_focus:
        # windows (by top-left corner) that hold at least one focus pixel
        holds = maximum_filter(
            focus.astype(np.uint8),
            size=(py, px),
            origin=(-(py // 2), -(px // 2)),
            mode="constant",
            cval=0,
        ).astype(bool)[rows, cols]
        candidates = np.flatnonzero(holds)
        if candidates.size == 0:
            raise ValueError("no allowed patch holds a focus pixel; lower focus_fraction")
        pick = np.concatenate([pick, rng.choice(candidates, size=n_focus)])
        pick = pick[rng.permutation(pick.size)]
    target3 = target[..., np.newaxis] if target.ndim == 2 else target
    x = np.stack(
        [inputs[r : r + py, c : c + px] for r, c in zip(rows[pick], cols[pick], strict=True)]
    )
    y = np.stack(
        [target3[r : r + py, c : c + px] for r, c in zip(rows[pick], cols[pick], strict=True)]
    )
    if augment:
        if py != px:
            raise ValueError(f"augment needs square patches; got {py} x {px}")
        turns = rng.integers(0, 4, size=len(x))
        mirror = rng.random(len(x)) < 0.5
        for i in range(len(x)):
            x[i], y[i] = np.rot90(x[i], turns[i]), np.rot90(y[i], turns[i])
            if mirror[i]:
                x[i], y[i] = x[i][:, ::-1], y[i][:, ::-1]
    return x.astype(np.float32), y.astype(np.float32)


def normalize_from_region(image, region, low=1.0, high=99.8):
    """Percentile normalisation with the percentiles of one region, applied everywhere.

    The same mapping as :func:`cellcourse.preprocess.normalize_percentile`,
    ``(image - p_low) / (p_high - p_low)``, but ``p_low`` and ``p_high`` come
    only from the pixels in ``region`` (e.g. the training region), so that no
    statistic of the test pixels reaches the training data. Channels are
    normalised each on its own. Values are not clipped.

    Parameters
    ----------
    image : (Y, X) or (Y, X, C) ndarray
        Numeric image, channels last.
    region : (Y, X) ndarray of bool
        Pixels whose values set the percentiles.
    low, high : float
        Percentiles, ``0 <= low < high <= 100``.

    Returns
    -------
    (Y, X) or (Y, X, C) ndarray of float32
        Same shape as ``image``; about ``low`` percent of the region is below 0.

    Raises
    ------
    ValueError
        If the shapes disagree or the percentiles are invalid.

    References
    ----------
    .. [1] Weigert, M. et al. Content-aware image restoration: pushing the limits
           of fluorescence microscopy. Nat Methods 15, 1090–1097 (2018).
           doi:10.1038/s41592-018-0216-7

    Examples
    --------
    >>> image = np.array([[0.0, 10.0], [20.0, 1000.0]])
    >>> region = np.array([[True, True], [True, False]])
    >>> normalize_from_region(image, region, low=0, high=100)
    array([[ 0. ,  0.5],
           [ 1. , 50. ]], dtype=float32)
    """
    image = _check_image(image, "image")
    region = _check_mask(region, image.shape[:2], "region")
    if not (0 <= low < high <= 100):
        raise ValueError(f"expected percentiles 0 <= low < high <= 100; got low={low}, high={high}")
    values = image[region].astype(np.float64)  # (N,) or (N, C)
    p_low, p_high = np.percentile(values, [low, high], axis=0)
    out = (image.astype(np.float64) - p_low) / (p_high - p_low + 1e-20)
    return out.astype(np.float32)


def mean_baseline(target, train_mask):
    """The constant prediction: the mean of the target over the training pixels, everywhere.

    The floor every model must beat. Its Pearson correlation with the truth is
    undefined (a constant has no variance); its errors (MAE, PSNR) are not.

    Parameters
    ----------
    target : (Y, X) ndarray
        The true image.
    train_mask : (Y, X) ndarray of bool
        The training pixels.

    Returns
    -------
    (Y, X) ndarray of float32
        Every pixel the training mean.

    Examples
    --------
    >>> target = np.array([[1.0, 3.0], [100.0, 5.0]])
    >>> mean_baseline(target, target < 10)
    array([[3., 3.],
           [3., 3.]], dtype=float32)
    """
    target = _check_image(target, "target", ndims=(2,))
    train_mask = _check_mask(train_mask, target.shape, "train_mask")
    return np.full(target.shape, target[train_mask].mean(), dtype=np.float32)


def fit_linear_baseline(inputs, target, train_mask):
    """Per-pixel linear regression from the input channels, fitted on training pixels.

    Predicts each pixel from the values of the *same* pixel in the C input
    channels (e.g. the z-planes): ``y = w_1 x_1 + ... + w_C x_C + b``, by
    least squares (``numpy.linalg.lstsq``). It sees no neighbourhood, so it
    shows how much of the stain can be read from the local brightness of the
    z-stack alone; the gap to a U-Net is what context adds.

    Parameters
    ----------
    inputs : (Y, X, C) ndarray
        Input channels, channels last.
    target : (Y, X) ndarray
        The image to predict.
    train_mask : (Y, X) ndarray of bool
        The pixels used for fitting.

    Returns
    -------
    (C + 1,) ndarray of float64
        The weights of the C channels, then the intercept.

    Raises
    ------
    ValueError
        If the shapes disagree.

    See Also
    --------
    predict_linear_baseline

    Examples
    --------
    >>> inputs = np.random.default_rng(0).random((4, 5, 2))
    >>> target = 2 * inputs[..., 0] - inputs[..., 1] + 0.5
    >>> np.round(fit_linear_baseline(inputs, target, np.ones((4, 5), bool)), 6)
    array([ 2. , -1. ,  0.5])
    """
    inputs, target = _check_pair(inputs, target)
    if target.ndim != 2:
        raise ValueError(f"expected target of shape (Y, X); got {target.shape}")
    train_mask = _check_mask(train_mask, target.shape, "train_mask")
    design = np.column_stack([inputs[train_mask].astype(np.float64), np.ones(train_mask.sum())])
    coef, *_ = np.linalg.lstsq(design, target[train_mask].astype(np.float64), rcond=None)
    return coef


def predict_linear_baseline(inputs, coef):
    """Apply :func:`fit_linear_baseline`'s coefficients to every pixel.

    Parameters
    ----------
    inputs : (Y, X, C) ndarray
        Input channels, normalised as for fitting.
    coef : (C + 1,) ndarray
        Weights, then intercept.

    Returns
    -------
    (Y, X) ndarray of float32

    Examples
    --------
    >>> inputs = np.ones((2, 2, 2))
    >>> predict_linear_baseline(inputs, np.array([2.0, -1.0, 0.5]))
    array([[1.5, 1.5],
           [1.5, 1.5]], dtype=float32)
    """
    inputs = _check_image(inputs, "inputs", ndims=(3,))
    coef = np.asarray(coef, dtype=np.float64)
    if coef.shape != (inputs.shape[-1] + 1,):
        raise ValueError(
            f"expected coef of shape (C + 1,) = ({inputs.shape[-1] + 1},) for inputs with "
            f"C = {inputs.shape[-1]} channels; got {coef.shape}"
        )
    return (inputs.astype(np.float64) @ coef[:-1] + coef[-1]).astype(np.float32)
