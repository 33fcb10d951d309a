"""From raw microscopy arrays to what a Keras model eats.

Every chapter goes through this module (design section 4, data flow): raw
``uint16``/``uint8`` arrays from :mod:`cellcourse.datasets` become ``float32``
arrays, roughly in 0–1, channels last.

=============================  ===================================================
``normalize_percentile``       CSBDeep-style percentile normalisation
``to_float_image``             scale by the dtype's range (``uint8`` → /255)
``add_channel_axis``           ``(S, Y, X)`` → ``(S, Y, X, 1)``
``extract_patches``            random training patches (optionally with foreground)
``grid_patches``               all patches on a regular grid (to look at)
``tile_image``                 overlapping tiles covering a whole image
``stitch_tiles``               tiles (or predictions on them) back into one image
``predict_tiled``              predict a whole image of any size, tile by tile
``split_by_group``             train/validation/test split without leakage
``check_no_group_leakage``     prove that no group is in two splits
``sample_per_class``           the same number of samples of every class
=============================  ===================================================

Axes letters: S sample, Y, X, C channel (channels last).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "TileLayout",
    "add_channel_axis",
    "check_no_group_leakage",
    "extract_patches",
    "grid_patches",
    "normalize_percentile",
    "predict_tiled",
    "sample_per_class",
    "split_by_group",
    "stitch_tiles",
    "tile_image",
    "to_float_image",
]

# extract_patches(foreground_fraction=...) gives up after this many random tries per
# patch that must contain foreground (rejection sampling must stop somewhere).
_MAX_TRIES_PER_PATCH = 1000

_PAD_MODES = ("reflect", "symmetric", "edge", "constant", "wrap")


# ----------------------------------------------------------------------------------------
# private validation helpers
# ----------------------------------------------------------------------------------------


def _as_array(x, name: str) -> np.ndarray:
    """``np.asarray`` with a clear message for ragged lists."""
    try:
        return np.asarray(x)
    except ValueError as err:  # e.g. a list of images of different sizes
        raise ValueError(
            f"{name} must be one array (a list of images of different sizes cannot be "
            f"stacked); got {type(x).__name__}: {err}"
        ) from None


def _check_numeric(x: np.ndarray, name: str) -> None:
    if x.dtype.kind not in "uif":
        raise TypeError(f"{name} must be a numeric array (integer or float); got dtype={x.dtype}")
    if x.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {x.shape}")


def _as_pair(value, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints (Y, X), each >= minimum."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif (
        isinstance(value, Sequence | np.ndarray)
        and not isinstance(value, str)
        and len(value) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value)
    ):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{name} must be an int or a pair of ints (Y, X); got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum} along Y and X; got {pair}")
    return pair


def _as_rng(rng) -> np.random.Generator:
    if isinstance(rng, bool) or not (
        rng is None or isinstance(rng, int | np.integer | np.random.Generator)
    ):
        raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None; got {rng!r}")
    return np.random.default_rng(rng)


def _normalize_axis(axis, ndim: int) -> tuple[int, ...] | None:
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, int | np.integer) else axis
    if not (
        isinstance(axes, Sequence)
        and len(axes) > 0
        and all(isinstance(a, int | np.integer) and not isinstance(a, bool) for a in axes)
        and all(-ndim <= a < ndim for a in axes)
    ):
        raise ValueError(
            f"axis must be None, an int or a tuple of ints within the image's {ndim} "
            f"dimensions; got {axis!r}"
        )
    normalized = tuple(int(a) % ndim for a in axes)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"axis must not repeat an axis; got {axis!r}")
    return normalized


# ----------------------------------------------------------------------------------------
# intensities
# ----------------------------------------------------------------------------------------


def normalize_percentile(
    image,
    low: float = 1.0,
    high: float = 99.8,
    axis=None,
    clip: bool = False,
    eps: float = 1e-20,
    dtype=np.float32,
) -> np.ndarray:
    """Map the ``low`` percentile to 0 and the ``high`` percentile to 1.

    Computes ``(image - p_low) / (p_high - p_low + eps)``, the normalisation used by
    CSBDeep and StarDist. Unlike dividing by the maximum, a few very bright pixels
    (debris, hot pixels) do not squash the cells into a small range.

    Parameters
    ----------
    image : (...) ndarray of int or float
        Any numeric array, e.g. ``(Y, X)``, ``(Y, X, C)`` or a stack ``(S, Y, X)``.
    low, high : float
        Percentiles, ``0 <= low < high <= 100``.
    axis : int or tuple of int, optional
        Axes over which the percentiles are computed. None (default) uses the
        whole array; ``(0, 1)`` normalises each channel of a ``(Y, X, C)`` image
        on its own; ``(1, 2)`` each image of a ``(S, Y, X)`` stack.
    clip : bool
        Clip the result to [0, 1].
    eps : float
        Positive number added to the denominator, so a constant image becomes 0
        rather than NaN.
    dtype : numpy floating dtype
        Output dtype (float32 for Keras).

    Returns
    -------
    (...) ndarray of ``dtype``
        Same shape as ``image``; roughly 0–1 (outside when ``clip=False``:
        about ``low`` percent of the values are below 0).

    Raises
    ------
    TypeError
        If ``image`` is not numeric (bool, object, str, complex) or ``dtype`` is
        not a floating dtype.
    ValueError
        If the percentiles, ``axis`` or ``eps`` are invalid, or ``image`` is
        empty or contains NaN or infinite values.

    References
    ----------
    .. [1] Weigert, M. et al. Content-aware image restoration: pushing the limits
           of fluorescence microscopy. Nat Methods 15, 1090–1097 (2018).
           doi:10.1038/s41592-018-0216-7

    Examples
    --------
    >>> x = np.arange(101, dtype=np.uint16)
    >>> y = normalize_percentile(x, low=0, high=100)
    >>> float(y[0]), float(y[50]), float(y[100]), y.dtype
    (0.0, 0.5, 1.0, dtype('float32'))
    >>> rgb = np.stack([x, 10 * x], axis=-1)          # (X, C): second channel 10x brighter
    >>> per_channel = normalize_percentile(rgb, 0, 100, axis=0)
    >>> bool(np.allclose(per_channel[:, 0], per_channel[:, 1]))
    True
    """
    image = _as_array(image, "image")
    _check_numeric(image, "image")
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise TypeError(f"{name} must be a number (a percentile); got {value!r}")
    if not 0 <= low < high <= 100:
        raise ValueError(f"expected percentiles 0 <= low < high <= 100; got low={low}, high={high}")
    if isinstance(eps, bool) or not isinstance(eps, int | float | np.floating) or not eps > 0:
        raise ValueError(f"eps must be a positive number; got {eps!r}")
    try:
        out_dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"dtype must be a floating dtype such as np.float32; got {dtype!r}"
        ) from None
    if out_dtype.kind != "f":
        raise TypeError(f"dtype must be a floating dtype such as np.float32; got {out_dtype}")
    axes = _normalize_axis(axis, image.ndim)
    if image.dtype.kind == "f":
        n_nan = int(np.isnan(image).sum())
        n_inf = int(np.isinf(image).sum())
        if n_nan or n_inf:
            raise ValueError(
                f"expected finite values; image contains {n_nan} NaN and {n_inf} infinite "
                f"values (of {image.size}). Replace or mask them first, e.g. np.nan_to_num"
            )

    # percentiles in float64 (np.percentile's own precision), applied in float32 or
    # float64 (float16 would overflow for nearly constant images); float64 input beyond
    # float32's range is worked on in float64, since float32 would turn it into inf
    work = np.float64 if out_dtype == np.float64 else np.float32
    if image.dtype.itemsize > 4 and image.dtype.kind == "f" and image.size:
        if float(np.max(np.abs(image))) > float(np.finfo(np.float32).max):
            work = np.float64
    p_low, p_high = np.percentile(image, [low, high], axis=axes, keepdims=True)
    denominator = (p_high - p_low + eps).astype(work)
    out = (image.astype(work) - p_low.astype(work)) / denominator
    if clip:
        np.clip(out, 0, 1, out=out)
    return out.astype(out_dtype, copy=False)


def to_float_image(image, dtype=np.float32) -> np.ndarray:
    """Convert to float by the range of the dtype, e.g. ``uint8`` 0–255 → 0–1.

    Right for photographs and 8-bit RGB images (e.g. stained blood smears). For
    fluorescence, prefer :func:`normalize_percentile`: a 12-bit camera stored as
    ``uint16`` uses at most 4095 of 65535, so this function would give values
    below 0.07.

    Parameters
    ----------
    image : (...) ndarray of bool, int or float
        Unsigned integers map to [0, 1]; signed integers to [-1, 1]; bool to
        0 or 1; floats are only cast (not rescaled).
    dtype : np.float32 or np.float64
        Output dtype.

    Returns
    -------
    (...) ndarray of ``dtype``
        Same shape as ``image``.

    Raises
    ------
    TypeError
        If ``image`` is not bool or numeric, or ``dtype`` is not float32/float64.

    Examples
    --------
    >>> to_float_image(np.array([0, 255], dtype=np.uint8))
    array([0., 1.], dtype=float32)
    >>> to_float_image(np.array([0, 65535], dtype=np.uint16))
    array([0., 1.], dtype=float32)
    """
    from skimage.util import img_as_float32, img_as_float64

    image = _as_array(image, "image")
    if image.dtype.kind not in "buif":
        raise TypeError(f"image must be a bool or numeric array; got dtype={image.dtype}")
    converters = {np.dtype(np.float32): img_as_float32, np.dtype(np.float64): img_as_float64}
    try:
        convert = converters[np.dtype(dtype)]
    except (KeyError, TypeError):
        raise TypeError(f"dtype must be np.float32 or np.float64; got {dtype!r}") from None
    return convert(image)


def add_channel_axis(x, axes: str = "SYX") -> np.ndarray:
    """Append a channel axis of length 1: ``(S, Y, X)`` → ``(S, Y, X, 1)``.

    Keras layers expect channels last, even for a single channel.

    Parameters
    ----------
    x : ndarray
        An array whose axes are ``axes``, e.g. ``(S, Y, X)``.
    axes : str
        The axes letters of ``x`` (from S, T, Z, Y, X; no C), used to check that
        ``x`` has the dimensions you think it has.

    Returns
    -------
    ndarray
        A view of ``x`` with axes ``axes + "C"``, e.g. ``(S, Y, X, 1)``.

    Raises
    ------
    ValueError
        If ``axes`` is invalid (unknown or repeated letters, already has C) or
        ``x.ndim`` differs from ``len(axes)``.

    Examples
    --------
    >>> add_channel_axis(np.zeros((5, 64, 64))).shape
    (5, 64, 64, 1)
    >>> add_channel_axis(np.zeros((64, 64)), axes="YX").shape
    (64, 64, 1)
    """
    if not isinstance(axes, str) or not axes:
        raise ValueError(f"axes must be a string of axes letters such as 'SYX'; got {axes!r}")
    if "C" in axes.upper():
        raise ValueError(f"x already has a channel axis (axes={axes!r}); nothing to add")
    if set(axes.upper()) - set("STZYX") or len(set(axes.upper())) != len(axes):
        raise ValueError(f"axes must be distinct letters from 'STZYX' (no C); got {axes!r}")
    x = _as_array(x, "x")
    if x.ndim != len(axes):
        raise ValueError(
            f"expected x with axes {axes} ({len(axes)} dimensions); got shape {x.shape}"
        )
    return x[..., np.newaxis]


# ----------------------------------------------------------------------------------------
# patches
# ----------------------------------------------------------------------------------------


def _random_origins(rng, n, n_images, max_y, max_x) -> np.ndarray:
    """(n, 3) array of (s, y, x) top-left corners, uniform over the valid positions."""
    return np.stack(
        [
            rng.integers(0, n_images, size=n),
            rng.integers(0, max_y + 1, size=n),
            rng.integers(0, max_x + 1, size=n),
        ],
        axis=1,
    )


def extract_patches(
    images,
    labels=None,
    patch_shape=(128, 128),
    n_patches: int = 64,
    rng=None,
    foreground_fraction: float | None = None,
    return_positions: bool = False,
):
    """Cut random patches from a stack of images (and the same windows of labels).

    Training on patches lets a model see many cells per step, in little memory,
    from a handful of large fields of view.

    Parameters
    ----------
    images : (S, Y, X) or (S, Y, X, C) ndarray
        A stack of images; a single ``(Y, X)`` image is also accepted. For a
        single ``(Y, X, C)`` image pass ``image[np.newaxis]``.
    labels : (S, Y, X) ndarray, optional
        Label images (0 = background) with the same S, Y, X as ``images``; a
        trailing channel axis ``(S, Y, X, C')`` is allowed for paired target
        images. For a single ``(Y, X)`` image, ``(Y, X)`` or ``(Y, X, C')``.
    patch_shape : int or (int, int)
        ``(PY, PX)``, at most the image size.
    n_patches : int
        Number of patches N.
    rng : numpy.random.Generator or int or None
        Randomness; the same seed gives the same patches.
    foreground_fraction : float, optional
        Fraction (0–1) of the patches that must contain some ``labels > 0``;
        the rest are drawn uniformly. Needs ``labels``.
    return_positions : bool
        Also return the top-left corner of each patch.

    Returns
    -------
    patches : (N, PY, PX) or (N, PY, PX, C) ndarray
        Copies of the windows, same dtype as ``images``.
    label_patches : (N, PY, PX) or (N, PY, PX, C') ndarray
        Only when ``labels`` is given: the same windows of ``labels``.
    positions : (N, 3) ndarray of int
        Only when ``return_positions``: rows ``(s, y, x)`` with
        ``patches[i] == images[s, y:y + PY, x:x + PX]`` (``s = 0`` for a 2-D image).

    Raises
    ------
    ValueError
        If the shapes disagree, the patch is larger than the images, or not
        enough foreground patches are found (see Notes).
    TypeError
        If ``images`` or ``labels`` are not numeric.

    Notes
    -----
    Positions are uniform over all windows that fit inside an image. Foreground
    patches are found by *rejection sampling*: random windows are drawn and
    kept only if they contain a label > 0. This is simple and unbiased among
    foreground windows, but it must stop somewhere: after
    ``1000 × (number of foreground patches)`` tries without enough foreground
    windows, a ValueError says how many were found. Lower
    ``foreground_fraction`` or use a smaller patch when the foreground is very
    sparse. The foreground and the other patches are shuffled together.

    Examples
    --------
    >>> images = np.arange(2 * 6 * 8).reshape(2, 6, 8)
    >>> labels = (images % 5 == 0).astype(np.int32)
    >>> x, y, pos = extract_patches(images, labels, patch_shape=(3, 4), n_patches=5,
    ...                             rng=0, return_positions=True)
    >>> x.shape, y.shape, pos.shape
    ((5, 3, 4), (5, 3, 4), (5, 3))
    >>> s, r, c = pos[0]
    >>> bool(np.array_equal(x[0], images[s, r:r + 3, c:c + 4]))
    True
    """
    images = _as_array(images, "images")
    _check_numeric(images, "images")
    single = images.ndim == 2
    if images.ndim not in (2, 3, 4):
        raise ValueError(
            "expected images of shape (S, Y, X), (S, Y, X, C) or a single (Y, X); "
            f"got {images.shape}"
        )
    if single:
        images = images[np.newaxis]
    stack_shape = images.shape[:3]
    if labels is not None:
        labels = _as_array(labels, "labels")
        if labels.dtype.kind not in "buif":
            raise TypeError(f"labels must be a numeric or bool array; got dtype={labels.dtype}")
        if single and labels.ndim in (2, 3):
            labels = labels[np.newaxis]
        if labels.ndim not in (3, 4) or labels.shape[:3] != stack_shape:
            expected = stack_shape[1:] if single else stack_shape
            letters = "(Y, X)" if single else "(S, Y, X)"
            raise ValueError(
                f"labels must cover the same images: expected shape {letters} = {expected} "
                f"(optionally with a trailing channel axis), got "
                f"{labels.shape[1:] if single else labels.shape}"
            )
    py, px = _as_pair(patch_shape, "patch_shape")
    n_images, height, width = stack_shape
    if py > height or px > width:
        raise ValueError(
            f"patch_shape {(py, px)} is larger than the images (Y, X) = {(height, width)}; "
            f"expected a patch of at most {(height, width)}"
        )
    if isinstance(n_patches, bool) or not isinstance(n_patches, int | np.integer) or n_patches < 1:
        raise ValueError(f"n_patches must be a positive integer; got {n_patches!r}")
    n_foreground = 0
    if foreground_fraction is not None:
        if labels is None:
            raise ValueError(
                "foreground_fraction needs labels (which pixels are foreground); got labels=None"
            )
        if (
            isinstance(foreground_fraction, bool)
            or not isinstance(foreground_fraction, int | float | np.floating)
            or not 0 <= foreground_fraction <= 1
        ):
            raise ValueError(
                f"foreground_fraction must be a number between 0 and 1; got {foreground_fraction!r}"
            )
        # round() first so that e.g. 0.3 * 10 = 3.0000000000000004 asks for 3 patches, not 4
        n_foreground = math.ceil(round(foreground_fraction * n_patches, 9))
    rng = _as_rng(rng)

    found = []
    if n_foreground:
        foreground = labels > 0
        if foreground.ndim == 4:  # paired targets with channels: foreground in any channel
            foreground = foreground.any(axis=-1)
        if not foreground.any():
            raise ValueError(
                f"labels contain no foreground (no value > 0), so foreground_fraction="
                f"{foreground_fraction} cannot be honoured"
            )
        max_tries = _MAX_TRIES_PER_PATCH * n_foreground
        tries = 0
        while len(found) < n_foreground and tries < max_tries:
            chunk = min(max_tries - tries, max(64, 2 * (n_foreground - len(found))))
            for s, y, x in _random_origins(rng, chunk, n_images, height - py, width - px):
                tries += 1
                if foreground[s, y : y + py, x : x + px].any():
                    found.append((s, y, x))
                    if len(found) == n_foreground:
                        break
        if len(found) < n_foreground:
            raise ValueError(
                f"found only {len(found)} of {n_foreground} patches with foreground in "
                f"{tries} random tries (foreground covers {foreground.mean():.3%} of the "
                f"pixels); lower foreground_fraction={foreground_fraction} or use a smaller "
                f"patch_shape than {(py, px)}"
            )
    positions = np.asarray(found, dtype=np.int64).reshape(-1, 3)
    rest = _random_origins(rng, n_patches - n_foreground, n_images, height - py, width - px)
    positions = np.concatenate([positions, rest])[rng.permutation(n_patches)]

    patches = np.stack([images[s, y : y + py, x : x + px] for s, y, x in positions])
    out = [patches]
    if labels is not None:
        out.append(np.stack([labels[s, y : y + py, x : x + px] for s, y, x in positions]))
    if return_positions:
        out.append(positions)
    return out[0] if len(out) == 1 else tuple(out)


def grid_patches(image, patch_shape, stride=None) -> np.ndarray:
    """All patches of an image on a regular grid, row by row.

    Useful to show what a model trained on patches sees. Pixels at the bottom
    and right edges that do not fill a whole patch are left out (to cover a
    whole image, use :func:`tile_image`).

    Parameters
    ----------
    image : (Y, X) or (Y, X, C) ndarray
        One image.
    patch_shape : int or (int, int)
        ``(PY, PX)``, at most the image size.
    stride : int or (int, int), optional
        Step between patches ``(SY, SX)``; default ``patch_shape`` (patches touch
        but do not overlap). A smaller stride gives overlapping patches.

    Returns
    -------
    (N, PY, PX) or (N, PY, PX, C) ndarray
        ``N = NY * NX`` with ``NY = (Y - PY) // SY + 1`` (and likewise NX);
        patch ``k`` starts at ``y = (k // NX) * SY``, ``x = (k % NX) * SX``.

    Raises
    ------
    ValueError
        If ``image`` is not 2-D or 3-D, or the patch is larger than the image.

    Examples
    --------
    >>> image = np.arange(4 * 6).reshape(4, 6)
    >>> patches = grid_patches(image, (2, 3))
    >>> patches.shape
    (4, 2, 3)
    >>> patches[1]
    array([[ 3,  4,  5],
           [ 9, 10, 11]])
    """
    from skimage.util import view_as_windows

    image = _as_array(image, "image")
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"expected image of shape (Y, X) or (Y, X, C), got {image.shape}")
    py, px = _as_pair(patch_shape, "patch_shape")
    sy, sx = (py, px) if stride is None else _as_pair(stride, "stride")
    if py > image.shape[0] or px > image.shape[1]:
        raise ValueError(
            f"patch_shape {(py, px)} is larger than the image (Y, X) = {image.shape[:2]}; "
            f"expected a patch of at most {image.shape[:2]}"
        )
    channels = image.shape[2:]
    windows = view_as_windows(image, (py, px, *channels), step=(sy, sx, *channels))
    return windows.reshape(-1, py, px, *channels)


# ----------------------------------------------------------------------------------------
# tiling and stitching
# ----------------------------------------------------------------------------------------
#
# Why by hand: predicting a large image with a model trained on patches needs
# overlapping tiles, and stitching them seamlessly by keeping only each tile's
# centre (pixels near a tile border lack context and are less accurate). No
# well-kept library does this centre-crop stitching for an arbitrary callable in
# NumPy: skimage.util.view_as_windows cuts tiles but does not stitch,
# CSBDeep/StarDist tile inside their own model classes (TensorFlow only), and
# patchify-style packages average overlaps (which blurs seams in, not out).
# The scheme below (the U-Net paper's overlap-tile strategy) is short enough to
# read: tiles advance by step = tile - 2 * overlap; each output pixel comes from
# the one tile in whose central step × step block it lies.


@dataclass(frozen=True)
class TileLayout:
    """Where the tiles of :func:`tile_image` came from; :func:`stitch_tiles` needs it.

    Attributes
    ----------
    image_shape : tuple of int
        ``(Y, X)`` or ``(Y, X, C)`` of the original image.
    tile_shape : (int, int)
        ``(TY, TX)``.
    overlap : (int, int)
        Pixels dropped at each tile border when stitching, ``(OY, OX)``.
    padding : ((int, int), (int, int))
        ``((top, bottom), (left, right))`` padding added to the image.
    origins : tuple of (int, int)
        Top-left corner of each tile in the padded image, row by row.
    grid_shape : (int, int)
        Number of tiles ``(NY, NX)``; ``NY * NX == len(origins)``.
    """

    image_shape: tuple[int, ...]
    tile_shape: tuple[int, int]
    overlap: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]
    origins: tuple[tuple[int, int], ...]
    grid_shape: tuple[int, int]

    @property
    def step(self) -> tuple[int, int]:
        """Distance between tile origins, ``tile_shape - 2 * overlap``."""
        return tuple(t - 2 * o for t, o in zip(self.tile_shape, self.overlap, strict=True))

    @property
    def n_tiles(self) -> int:
        """Number of tiles N."""
        return len(self.origins)


def _check_tiling(tile_shape, overlap) -> tuple[tuple[int, int], tuple[int, int]]:
    tile = _as_pair(tile_shape, "tile_shape")
    over = _as_pair(overlap, "overlap", minimum=0)
    for t, o in zip(tile, over, strict=True):
        if 2 * o >= t:
            raise ValueError(
                f"overlap={over} is too large for tile_shape={tile}: each tile keeps only "
                f"its centre, tile - 2 * overlap pixels, so expected 0 <= 2 * overlap < tile; "
                f"got 2 * {o} = {2 * o} >= {t}"
            )
    return tile, over


def tile_image(image, tile_shape=(256, 256), overlap=32, pad_mode: str = "reflect"):
    """Cut an image of any size into overlapping tiles of one size.

    The image is padded by ``overlap`` on every side (and more at the bottom
    and right, to a whole number of steps), so that every pixel, even at the
    image edge, lies at least ``overlap`` pixels inside some tile.

    Parameters
    ----------
    image : (Y, X) or (Y, X, C) ndarray
        One image, of any size (also smaller than a tile).
    tile_shape : int or (int, int)
        ``(TY, TX)``. For a U-Net, a multiple of ``2 ** depth``.
    overlap : int or (int, int)
        Border of each tile that is dropped when stitching; ``0 <= 2 * overlap
        < tile``. Roughly the model's receptive-field radius.
    pad_mode : str
        How to fill the padding: ``"reflect"`` (default), ``"symmetric"``,
        ``"edge"``, ``"constant"`` (zeros) or ``"wrap"``; see :func:`numpy.pad`.

    Returns
    -------
    tiles : (N, TY, TX) or (N, TY, TX, C) ndarray
        Same dtype as ``image``; row by row.
    layout : TileLayout
        What :func:`stitch_tiles` needs to put the tiles back.

    Raises
    ------
    ValueError
        If ``image`` is not 2-D or 3-D, or the tile shape, overlap or
        ``pad_mode`` are invalid.

    References
    ----------
    .. [1] Ronneberger, O., Fischer, P. & Brox, T. U-Net: convolutional networks
           for biomedical image segmentation. MICCAI 2015, 234–241 (overlap-tile
           strategy). doi:10.1007/978-3-319-24574-4_28

    Examples
    --------
    >>> image = np.arange(48 * 70).reshape(48, 70)
    >>> tiles, layout = tile_image(image, tile_shape=32, overlap=4)
    >>> tiles.shape, layout.grid_shape, layout.step
    ((6, 32, 32), (2, 3), (24, 24))
    >>> bool(np.array_equal(stitch_tiles(tiles, layout), image))
    True
    """
    from skimage.util import view_as_windows

    image = _as_array(image, "image")
    if image.ndim not in (2, 3) or image.size == 0:
        hint = "; tile one image at a time, e.g. stack[0]" if image.ndim == 4 else ""
        raise ValueError(f"expected image of shape (Y, X) or (Y, X, C), got {image.shape}{hint}")
    if pad_mode not in _PAD_MODES:
        raise ValueError(f"pad_mode must be one of {_PAD_MODES}; got {pad_mode!r}")
    tile, over = _check_tiling(tile_shape, overlap)
    step = tuple(t - 2 * o for t, o in zip(tile, over, strict=True))
    grid = tuple(max(1, math.ceil(n / s)) for n, s in zip(image.shape[:2], step, strict=True))
    # padded length = (grid - 1) * step + tile = grid * step + 2 * overlap
    padding = tuple(
        (o, g * s + o - n) for n, s, o, g in zip(image.shape[:2], step, over, grid, strict=True)
    )
    channel_pad = ((0, 0),) * (image.ndim - 2)
    padded = np.pad(image, padding + channel_pad, mode=pad_mode)
    channels = image.shape[2:]
    windows = view_as_windows(padded, (*tile, *channels), step=(*step, *channels))
    tiles = windows.reshape(-1, *tile, *channels)
    origins = tuple((i * step[0], j * step[1]) for i in range(grid[0]) for j in range(grid[1]))
    layout = TileLayout(
        image_shape=tuple(int(n) for n in image.shape),
        tile_shape=tile,
        overlap=over,
        padding=padding,
        origins=origins,
        grid_shape=grid,
    )
    return tiles, layout


def stitch_tiles(tiles, layout: TileLayout) -> np.ndarray:
    """Put tiles (or per-tile predictions) back together into one image.

    Each output pixel is taken from the tile in which it lies furthest from the
    tile border: the central ``step × step`` block of every tile, where
    ``step = tile - 2 * overlap``. Then the padding is cropped. Tiles straight
    from :func:`tile_image` give back the image exactly.

    Parameters
    ----------
    tiles : (N, TY, TX) or (N, TY, TX, K) ndarray
        Tiles in the order of ``layout.origins``; K may differ from the input's
        channels (e.g. class probabilities).
    layout : TileLayout
        From :func:`tile_image`.

    Returns
    -------
    (Y, X) or (Y, X, K) ndarray
        Same dtype as ``tiles``; Y and X from ``layout.image_shape``.

    Raises
    ------
    TypeError
        If ``layout`` is not a TileLayout.
    ValueError
        If the number or size of the tiles does not match ``layout``.

    Examples
    --------
    >>> image = np.random.default_rng(0).random((40, 30))
    >>> tiles, layout = tile_image(image, tile_shape=16, overlap=3)
    >>> probabilities = np.stack([tiles, 1 - tiles], axis=-1)   # (N, 16, 16, 2)
    >>> stitch_tiles(probabilities, layout).shape
    (40, 30, 2)
    """
    if not isinstance(layout, TileLayout):
        raise TypeError(
            f"layout must be the TileLayout returned by tile_image; got {type(layout).__name__}"
        )
    tiles = _as_array(tiles, "tiles")
    expected = (layout.n_tiles, *layout.tile_shape)
    if tiles.ndim not in (3, 4) or tiles.shape[:3] != expected:
        raise ValueError(
            f"expected tiles of shape (N, TY, TX) or (N, TY, TX, K) = {expected}[+ (K,)] "
            f"for this layout; got {tiles.shape}"
        )
    (oy, ox), (sy, sx) = layout.overlap, layout.step
    (top, _), (left, _) = layout.padding
    height, width = layout.image_shape[:2]
    ny, nx = layout.grid_shape
    canvas = np.empty((ny * sy, nx * sx, *tiles.shape[3:]), dtype=tiles.dtype)
    for tile, (y0, x0) in zip(tiles, layout.origins, strict=True):
        # the tile's centre starts at y0 + oy in the padded image, y0 + oy - top in the image
        y, x = y0 + oy - top, x0 + ox - left
        canvas[y : y + sy, x : x + sx] = tile[oy : oy + sy, ox : ox + sx]
    return canvas[:height, :width]


def _to_numpy(y) -> np.ndarray:
    """A NumPy array from whatever a model returns (NumPy, or a Keras backend tensor)."""
    if isinstance(y, np.ndarray):
        return y
    if "keras" in sys.modules:  # a model called directly returns a backend tensor
        return np.asarray(sys.modules["keras"].ops.convert_to_numpy(y))
    return np.asarray(y)


def predict_tiled(
    predict_fn: Callable,
    image,
    tile_shape=(256, 256),
    overlap=32,
    batch_size: int = 8,
    pad_mode: str = "reflect",
) -> np.ndarray:
    """Predict a whole image of any size with a model trained on patches.

    The image is cut into overlapping tiles (:func:`tile_image`), the tiles are
    predicted ``batch_size`` at a time, and the predictions are stitched back by
    keeping each tile's centre (:func:`stitch_tiles`), so that no seams appear.

    Parameters
    ----------
    predict_fn : callable
        Maps a batch ``(B, TY, TX, C)`` of float32 to ``(B, TY, TX, K)``: e.g. a
        Keras model itself, ``lambda x: model.predict(x, verbose=0)``, or any
        function.
    image : (Y, X) or (Y, X, C) ndarray
        One image, already normalised (e.g. :func:`normalize_percentile`); cast
        to float32, a ``(Y, X)`` image gets a channel axis of 1.
    tile_shape : int or (int, int)
        ``(TY, TX)`` as the model expects (for a U-Net a multiple of ``2 ** depth``).
    overlap : int or (int, int)
        Border dropped from each tile; ``0 <= 2 * overlap < tile``.
    batch_size : int
        Tiles per call of ``predict_fn``.
    pad_mode : str
        See :func:`tile_image`.

    Returns
    -------
    (Y, X, K) ndarray
        The stitched prediction, dtype as returned by ``predict_fn``.

    Raises
    ------
    ValueError
        If the inputs are invalid or ``predict_fn`` returns the wrong shape.

    Examples
    --------
    >>> image = np.random.default_rng(0).random((100, 75)).astype(np.float32)
    >>> two_channels = lambda x: np.concatenate([x, 2 * x], axis=-1)
    >>> y_pred = predict_tiled(two_channels, image, tile_shape=32, overlap=8)
    >>> y_pred.shape, bool(np.array_equal(y_pred[..., 1], 2 * image))
    ((100, 75, 2), True)
    """
    if not callable(predict_fn):
        raise TypeError(f"predict_fn must be callable (a model or a function); got {predict_fn!r}")
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int | np.integer)
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    image = _as_array(image, "image")
    _check_numeric(image, "image")
    tiles, layout = tile_image(image.astype(np.float32, copy=False), tile_shape, overlap, pad_mode)
    if tiles.ndim == 3:
        tiles = tiles[..., np.newaxis]
    outputs = None
    for start in range(0, len(tiles), batch_size):
        batch = tiles[start : start + batch_size]
        y = _to_numpy(predict_fn(batch))
        if y.ndim != 4 or y.shape[:3] != batch.shape[:3]:
            raise ValueError(
                f"predict_fn returned shape {y.shape} for a batch of shape {batch.shape}; "
                f"expected {batch.shape[:3]} + (K,)"
            )
        if outputs is None:
            outputs = np.empty((len(tiles), *y.shape[1:]), dtype=y.dtype)
        elif y.shape[3] != outputs.shape[3]:
            raise ValueError(
                f"predict_fn returned {y.shape[3]} channels for this batch; expected "
                f"{outputs.shape[3]} as for the first batch"
            )
        outputs[start : start + len(y)] = y
    return stitch_tiles(outputs, layout)


# ----------------------------------------------------------------------------------------
# splits by group
# ----------------------------------------------------------------------------------------


def _as_groups(groups) -> np.ndarray:
    groups = _as_array(groups, "groups")
    if groups.ndim != 1 or groups.size == 0:
        raise ValueError(f"expected groups of shape (S,), one per sample; got {groups.shape}")
    if groups.dtype.kind not in "iuUSO":
        raise TypeError(
            f"groups must be integers or strings (a field-of-view, well or image id per "
            f"sample); got dtype={groups.dtype}"
        )
    return groups


def _unique_groups(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        return np.unique(groups, return_inverse=True)
    except TypeError:
        kinds = sorted({type(g).__name__ for g in groups})
        raise TypeError(
            f"groups must all be of one kind (all int or all str); got {kinds}"
        ) from None


def split_by_group(groups, fractions=(0.7, 0.15, 0.15), rng=None) -> tuple[np.ndarray, ...]:
    """Split samples into e.g. train/validation/test so that no group is in two splits.

    A group is whatever samples share: the field of view, well, plate, patient or
    source image that crops and patches come from.

    Parameters
    ----------
    groups : (S,) array-like of int or str
        The group of each sample.
    fractions : sequence of float
        Wanted fraction of the *samples* in each split; positive, summing to 1.
    rng : numpy.random.Generator or int or None
        Randomness; the same seed gives the same split.

    Returns
    -------
    tuple of (S_k,) ndarray of int
        One array of sample indices per fraction, sorted; together they hold
        every index exactly once.

    Raises
    ------
    ValueError
        If the fractions are invalid or there are fewer groups than splits.
    TypeError
        If ``groups`` are not integers or strings.

    Notes
    -----
    Why not split the samples themselves? Crops from one field of view share its
    illumination, focus, staining, cell density and even the same cells (patches
    overlap). Split by sample, the test set holds near-copies of training data:
    the model is partly tested on what it memorised and the test score is
    inflated (leakage), promising more than the model delivers on a new
    experiment. Splitting by group tests on unseen fields of view.

    The unique groups are shuffled, then each in turn goes to the split whose
    number of samples lies furthest below its target (``fraction × S``); the last
    groups are kept for splits that are still empty. With many groups of similar
    size the split sizes come within about one group of the targets; one huge
    group cannot be divided, so check the sizes.

    References
    ----------
    .. [1] Kapoor, S. & Narayanan, A. Leakage and the reproducibility crisis in
           machine-learning-based science. Patterns 4, 100804 (2023).
           doi:10.1016/j.patter.2023.100804

    Examples
    --------
    >>> groups = np.repeat(["fov1", "fov2", "fov3", "fov4", "fov5"], 4)   # 20 crops
    >>> train, test = split_by_group(groups, fractions=(0.8, 0.2), rng=0)
    >>> len(train), len(test)
    (16, 4)
    >>> check_no_group_leakage(groups, train, test)    # silent: no leakage
    """
    groups = _as_groups(groups)
    if isinstance(fractions, str) or not isinstance(fractions, Sequence | np.ndarray):
        raise ValueError(
            f"fractions must be a sequence such as (0.7, 0.15, 0.15); got {fractions!r}"
        )
    try:
        fractions = np.asarray(fractions, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"fractions must be numbers such as (0.7, 0.15, 0.15); got {fractions!r}"
        ) from None
    if (
        fractions.ndim != 1
        or len(fractions) < 2
        or not np.all(fractions > 0)
        or not math.isclose(fractions.sum(), 1.0, abs_tol=1e-6)
    ):
        raise ValueError(
            "expected two or more positive fractions summing to 1, e.g. (0.7, 0.15, 0.15); "
            f"got {tuple(fractions.tolist())} (sum {fractions.sum():.6g})"
        )
    rng = _as_rng(rng)
    unique, inverse = _unique_groups(groups)
    n_splits = len(fractions)
    if len(unique) < n_splits:
        raise ValueError(
            f"need at least {n_splits} groups for {n_splits} splits (each split gets whole "
            f"groups); got {len(unique)} group(s): {unique.tolist()}"
        )
    sizes = np.bincount(inverse, minlength=len(unique))
    targets = fractions * len(groups)
    counts = np.zeros(n_splits, dtype=np.int64)
    assignment = np.empty(len(unique), dtype=np.int64)
    order = rng.permutation(len(unique))
    for rank, group in enumerate(order):
        deficit = targets - counts
        empty = counts == 0
        # keep the last groups for splits that are still empty, so none ends up empty
        if empty.sum() >= len(order) - rank:
            deficit = np.where(empty, deficit, -np.inf)
        split = int(np.argmax(deficit))
        assignment[group] = split
        counts[split] += sizes[group]
    split_of_sample = assignment[inverse]
    return tuple(np.flatnonzero(split_of_sample == k) for k in range(n_splits))


def check_no_group_leakage(groups, *index_arrays, names: Sequence[str] | None = None) -> None:
    """Raise if any group has samples in more than one split.

    Parameters
    ----------
    groups : (S,) array-like of int or str
        The group of each sample (field of view, well, source image).
    *index_arrays : (S_k,) ndarray of int
        Two or more arrays of sample indices, e.g. ``train, val, test``.
    names : sequence of str, optional
        Names of the splits for the message, e.g. ``("train", "val", "test")``;
        default ``split 0``, ``split 1``, ...

    Returns
    -------
    None
        Returns quietly when every group is in at most one split.

    Raises
    ------
    ValueError
        Naming each leaking group and the splits that share it; also for
        indices out of range.

    Notes
    -----
    See :func:`split_by_group` for why leakage inflates test scores.

    Examples
    --------
    >>> groups = np.array(["a", "a", "b", "b", "c"])
    >>> check_no_group_leakage(groups, [0, 1, 2], [3, 4], names=["train", "test"])
    Traceback (most recent call last):
    ...
    ValueError: group leakage: group 'b' is in train and test. Expected every group in exactly one split; split with split_by_group(groups)
    """
    groups = _as_groups(groups)
    if len(index_arrays) < 2:
        raise ValueError(
            f"expected two or more index arrays (one per split); got {len(index_arrays)}"
        )
    if names is None:
        names = [f"split {k}" for k in range(len(index_arrays))]
    elif isinstance(names, str) or len(names) != len(index_arrays):
        raise ValueError(f"expected {len(index_arrays)} names, one per split; got {names!r}")
    splits_of_group: dict = {}
    for k, indices in enumerate(index_arrays):
        indices = _as_array(indices, f"index array {k}")
        if indices.size == 0:
            continue
        if indices.ndim != 1 or indices.dtype.kind not in "iu":
            raise ValueError(
                f"index array {k} must be a 1-D array of integer indices; got shape "
                f"{indices.shape}, dtype={indices.dtype}"
            )
        if indices.min() < -len(groups) or indices.max() >= len(groups):
            raise ValueError(
                f"index array {k} has indices from {indices.min()} to {indices.max()}; "
                f"expected indices into groups of length {len(groups)}"
            )
        for group in np.unique(groups[indices]):
            splits_of_group.setdefault(group.item(), []).append(k)
    leaks = {g: ks for g, ks in splits_of_group.items() if len(ks) > 1}
    if leaks:
        shown = [
            f"group {g!r} is in {' and '.join(names[k] for k in ks)}"
            for g, ks in list(leaks.items())[:10]
        ]
        more = f"; and {len(leaks) - 10} more groups" if len(leaks) > 10 else ""
        raise ValueError(
            "group leakage: "
            + "; ".join(shown)
            + more
            + ". Expected every group in exactly one split; split with split_by_group(groups)"
        )


# ----------------------------------------------------------------------------------------
# class-balanced subsets
# ----------------------------------------------------------------------------------------


def sample_per_class(y, n_per_class, rng=None, among=None) -> np.ndarray:
    """Indices of ``n_per_class`` randomly chosen samples of every class.

    For learning curves ("how good is the model with 5, 10, 50 labelled cells
    per class?") and for balanced subsets: the samples of each class are
    drawn without replacement from the indices ``among`` (e.g. the training
    split), so the validation and test sets stay untouched.

    Parameters
    ----------
    y : (S,) array_like of int
        Class label of each sample.
    n_per_class : int or None
        Samples to draw from each class (positive); None takes all of
        ``among``.
    rng : numpy.random.Generator or int or None
        Randomness; the same seed gives the same indices.
    among : (M,) array_like of int, optional
        Indices into ``y`` to draw from, without repeats; default all
        ``0 .. S-1``.

    Returns
    -------
    (K * n_per_class,) ndarray of int64
        Sorted indices into ``y`` (K = number of classes in ``y``); with
        ``n_per_class=None``, the sorted ``among``.

    Raises
    ------
    TypeError, ValueError
        If ``y`` is not 1-D integer labels, ``among`` not unique indices into
        ``y``, ``n_per_class`` not a positive int, or a class has fewer than
        ``n_per_class`` samples among the indices (the message names the class
        and how many samples it has).

    Notes
    -----
    Every class present anywhere in ``y`` must be represented in ``among``;
    a class missing from the training split is an error, not silently
    skipped. Drawing smaller subsets from the same seed gives unrelated
    subsets (not nested ones); repeat with several seeds to see the spread.
    See chapter 03.

    Examples
    --------
    >>> y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> idx = sample_per_class(y, 2, rng=0)
    >>> np.bincount(y[idx]).tolist()
    [2, 2, 2]
    >>> sample_per_class(y, 2, rng=0, among=[0, 1, 2, 3, 4, 6, 7]).size
    6
    """
    y = _as_array(y, "y")
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"expected y of shape (S,), one class label per sample; got {y.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"expected y as integer class labels; got dtype={y.dtype}")
    if among is None:
        among = np.arange(len(y), dtype=np.int64)
    else:
        among = _as_array(among, "among")
        if among.ndim != 1 or among.size == 0 or among.dtype.kind not in "iu":
            raise ValueError(
                f"expected among as a non-empty 1-D array of integer indices into y; got "
                f"shape {among.shape}, dtype={among.dtype}"
            )
        if among.min() < 0 or among.max() >= len(y):
            raise ValueError(
                f"expected among as indices 0..{len(y) - 1} into y of length {len(y)}; got "
                f"indices from {among.min()} to {among.max()}"
            )
        if len(np.unique(among)) != len(among):
            raise ValueError(
                f"expected among without repeated indices; got {len(among)} indices of which "
                f"{len(np.unique(among))} are distinct"
            )
        among = among.astype(np.int64)
    if n_per_class is not None and (
        isinstance(n_per_class, bool)
        or not isinstance(n_per_class, int | np.integer)
        or n_per_class < 1
    ):
        raise ValueError(f"expected n_per_class as a positive int or None; got {n_per_class!r}")
    rng = _as_rng(rng)
    among = np.sort(among)  # the order of among does not change the draw
    if n_per_class is None:
        return among
    chosen = []
    for label in np.unique(y):  # sorted classes: the same seed draws the same samples
        candidates = among[y[among] == label]
        if len(candidates) < n_per_class:
            raise ValueError(
                f"class {label.item()} has {len(candidates)} sample(s) among the given indices; "
                f"expected at least n_per_class={n_per_class}"
            )
        chosen.append(rng.choice(candidates, size=int(n_per_class), replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)
