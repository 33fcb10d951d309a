"""From predicted maps to label images: one object per nucleus (chapter 08).

A U-Net (chapter 07) says, for every pixel, how likely it is background,
nucleus interior or nucleus boundary. Counting and measuring nuclei needs more:
an instance label image, where 0 is the background and each nucleus has its own
value 1..n. This module turns predicted maps into such images with a seeded
watershed, the classic way to cut touching objects apart:

- :func:`labels_from_classes`: seeds from the interior class, grown over the
  foreground (interior + boundary).
- :func:`labels_from_distance`: seeds at the peaks of a predicted distance map.
- :func:`classical_labels`: the baseline with no learning at all: smoothing,
  Otsu threshold and a distance-transform watershed on the raw image.
- :func:`remove_small_objects` and :func:`relabel`: the clean-up steps.

Every function returns ``(Y, X)`` ``int32`` labels, 0 = background, objects
numbered 1..n without gaps, so results can be compared side by side with
:mod:`cellcourse.metrics.instances`.

References
----------
.. [1] Beucher, S. and Meyer, F. (1993). The morphological approach to
   segmentation: the watershed transformation. In Mathematical Morphology in
   Image Processing, 433-481. :doi:`10.1201/9781482277234-12`
.. [2] Caicedo, J. C. et al. (2019). Evaluation of deep learning strategies
   for nucleus segmentation in fluorescence images. Cytometry A 95, 952-965.
   :doi:`10.1002/cyto.a.23863`
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from ._labels import check_label_image

__all__ = [
    "classical_labels",
    "labels_from_classes",
    "labels_from_distance",
    "relabel",
    "remove_small_objects",
]

_SUM_TOLERANCE = 1e-3  # how far the class probabilities of a pixel may sum from 1
_CLASSES = ("background", "interior", "boundary")  # the order of the U-Net chapter


# --- input checks -----------------------------------------------------------------------
def _check_labels(labels, name: str = "labels") -> np.ndarray:
    return check_label_image(labels, name, ndims=(2,))


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise TypeError(f"expected {name} as an integer >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"expected {name} as an integer >= {minimum}; got {value}")
    return int(value)


def _check_real(value, name: str, low: float = -math.inf, high: float = math.inf) -> float:
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        where = f"in [{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"
        if not math.isfinite(low) and not math.isfinite(high):
            where = "(finite)"
        raise ValueError(f"expected {name} as a number {where}; got {value!r}")
    return float(value)


def _check_map(values, name: str) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim != 2:
        extra = ""
        if values.ndim == 3 and 1 in (values.shape[0], values.shape[-1]):
            extra = "; squeeze the length-1 axis, e.g. values[..., 0] or values[0]"
        raise ValueError(f"expected {name} of shape (Y, X); got {values.shape}{extra}")
    if values.dtype.kind not in "iuf":
        raise TypeError(f"expected {name} as numbers; got dtype {values.dtype}")
    values = values.astype(np.float64, copy=False)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"expected finite values in {name}; got NaN or infinite values")
    return values


def _check_probabilities(probabilities) -> np.ndarray:
    p = np.asarray(probabilities)
    n = len(_CLASSES)
    if p.ndim != 3 or p.shape[-1] != n:
        hint = ""
        if p.ndim == 4 and p.shape[0] == 1:
            hint = "; for one image of a batch pass probabilities[0]"
        elif p.ndim == 3 and p.shape[0] == n:
            hint = "; channels go last: np.moveaxis(probabilities, 0, -1)"
        raise ValueError(
            f"expected probabilities of shape (Y, X, {n}) with classes "
            f"{', '.join(_CLASSES)}; got {p.shape}{hint}"
        )
    if p.dtype.kind != "f":
        raise TypeError(f"expected probabilities as floats in [0, 1]; got dtype {p.dtype}")
    if not np.all(np.isfinite(p)):
        raise ValueError("expected finite probabilities; got NaN or infinite values")
    low, high = float(p.min()), float(p.max())
    if low < -_SUM_TOLERANCE or high > 1 + _SUM_TOLERANCE:
        raise ValueError(
            f"expected probabilities in [0, 1] (a softmax output); got values from {low:g} "
            f"to {high:g}: are these logits? apply a softmax over the last axis first"
        )
    sums = p.sum(axis=-1, dtype=np.float64)
    worst = float(np.abs(sums - 1).max())
    if worst > _SUM_TOLERANCE:
        raise ValueError(
            f"expected the {n} class probabilities of every pixel to sum to 1 (a softmax "
            f"over the last axis); got sums from {sums.min():g} to {sums.max():g}"
        )
    return p.astype(np.float64, copy=False)


# --- clean-up ---------------------------------------------------------------------------
def remove_small_objects(labels, min_size: int) -> np.ndarray:
    """Set objects with fewer than ``min_size`` pixels to background.

    Parameters
    ----------
    labels : (Y, X) ndarray of int
        Label image, 0 = background.
    min_size : int
        Smallest object kept, in pixels (>= 0); 0 and 1 keep everything.

    Returns
    -------
    (Y, X) ndarray
        A new label image of the same dtype; the kept objects keep their
        values (call :func:`relabel` to close the gaps).

    Raises
    ------
    ValueError
        If ``labels`` is not 2-D or has negative values, or ``min_size`` < 0.
    TypeError
        If ``labels`` is not an integer array or ``min_size`` not an integer.

    Notes
    -----
    Objects are label values, not connected components: an object in two
    pieces counts both. One ``np.bincount`` does the work; it is written here
    rather than calling ``skimage.morphology.remove_small_objects``, whose
    keyword changed in scikit-image 0.26 (``min_size`` became ``max_size``,
    counted differently) and which warns on images with a single object.
    See chapter 08.

    Examples
    --------
    >>> labels = np.array([[1, 1, 1, 0, 2],
    ...                    [1, 1, 0, 0, 0],
    ...                    [0, 0, 0, 3, 3]])
    >>> remove_small_objects(labels, min_size=2)
    array([[1, 1, 1, 0, 0],
           [1, 1, 0, 0, 0],
           [0, 0, 0, 3, 3]])
    """
    labels = _check_labels(labels)
    min_size = _check_int(min_size, "min_size", 0)
    out = labels.copy()
    if labels.size == 0 or min_size <= 1:
        return out
    flat = labels.ravel()
    if int(flat.max()) <= 4 * flat.size + 1024:
        sizes = np.bincount(flat.astype(np.intp, copy=False))
        too_small = sizes[flat] < min_size
    else:  # huge label values: count by sorting rather than with a giant table
        _, inverse, sizes = np.unique(flat, return_inverse=True, return_counts=True)
        too_small = sizes[inverse] < min_size
    out[(too_small & (flat > 0)).reshape(labels.shape)] = 0
    return out


def relabel(labels) -> np.ndarray:
    """Number the objects 1..n without gaps, keeping their order.

    Parameters
    ----------
    labels : (Y, X) ndarray of int
        Label image, 0 = background; values may have gaps (e.g. 2, 7, 9).

    Returns
    -------
    (Y, X) ndarray of int32
        The same objects labelled 1..n in the order of their old values;
        0 stays background.

    Raises
    ------
    ValueError
        If ``labels`` is not 2-D, has negative values, or has more objects
        than ``int32`` can number.
    TypeError
        If ``labels`` is not an integer array.

    Notes
    -----
    A thin wrapper over ``skimage.segmentation.relabel_sequential``. See
    chapter 08.

    Examples
    --------
    >>> relabel(np.array([[0, 7, 7], [2, 0, 9]]))
    array([[0, 2, 2],
           [1, 0, 3]], dtype=int32)
    """
    from skimage.segmentation import relabel_sequential

    labels = _check_labels(labels)
    sequential = relabel_sequential(labels)[0]
    if sequential.size and sequential.max() > np.iinfo(np.int32).max:
        raise ValueError(
            f"expected at most {np.iinfo(np.int32).max} objects; got {sequential.max()}"
        )
    return sequential.astype(np.int32)


def _finish(labels: np.ndarray, foreground: np.ndarray, min_size: int) -> np.ndarray:
    """Add unseeded foreground components as objects, drop small ones, number 1..n."""
    from skimage.measure import label

    orphans = foreground & (labels == 0)
    if orphans.any():
        # a piece of foreground that no seed reached (an object too small or too
        # thin to have an interior or a peak) is still an object of its own
        extra = label(orphans, connectivity=1)
        labels = np.where(extra > 0, extra + labels.max(), labels)
    return relabel(remove_small_objects(labels, min_size))


# --- from predicted maps ----------------------------------------------------------------
def labels_from_classes(probabilities, interior_threshold=0.5, min_size=10) -> np.ndarray:
    """Instance labels from a background / interior / boundary probability map.

    Parameters
    ----------
    probabilities : (Y, X, 3) ndarray of float
        Softmax output of a 3-class U-Net for one image, channels last in the
        order of chapter 07: background, interior, boundary. Every pixel's
        three values lie in [0, 1] and sum to 1.
    interior_threshold : float
        A pixel is a seed pixel when its interior probability is greater than
        this, in ``[0, 1)``. Raise it to split more, lower it to merge more.
    min_size : int
        Objects with fewer pixels are removed (>= 0). The default 10 drops
        specks; about 3 % of the annotated BBBC039 nuclei (cut by the image
        edge) have fewer than 20 pixels, so larger values cost recall there.

    Returns
    -------
    (Y, X) ndarray of int32
        Instance labels, 0 = background, objects 1..n.

    Raises
    ------
    ValueError
        If the shape is not ``(Y, X, 3)`` (channels first and batches are
        named), values are outside [0, 1] or do not sum to 1, or a parameter
        is out of range.
    TypeError
        If the probabilities are not floats or ``min_size`` not an integer.

    Notes
    -----
    1. Foreground: pixels where interior + boundary > background.
    2. Seeds: connected groups (4-connectivity) of foreground pixels with
       interior probability > ``interior_threshold``; the thin boundary
       class between touching nuclei keeps their seeds apart.
    3. A seeded watershed (``skimage.segmentation.watershed``) on
       ``1 - interior probability``, restricted to the foreground, grows each
       seed until it meets its neighbours, along the boundary ridge.
    4. Foreground pieces that no seed reached become objects of their own;
       objects smaller than ``min_size`` are removed; labels are renumbered.

    See chapter 08, and chapter 07 for the three-class U-Net.

    References
    ----------
    .. [1] Caicedo, J. C. et al. (2019). Evaluation of deep learning strategies
       for nucleus segmentation in fluorescence images. Cytometry A 95,
       952-965. :doi:`10.1002/cyto.a.23863`
    .. [2] Beucher, S. and Meyer, F. (1993). The morphological approach to
       segmentation: the watershed transformation. :doi:`10.1201/9781482277234-12`

    Examples
    --------
    >>> classes = np.zeros((6, 10), dtype=int)       # two touching squares
    >>> classes[1:5, 1:9] = 2                         # boundary ...
    >>> classes[2:4, 2:4] = classes[2:4, 6:8] = 1     # ... around two interiors
    >>> probabilities = np.eye(3)[classes]            # one-hot (Y, X, 3)
    >>> labels_from_classes(probabilities, min_size=0)
    array([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
           [0, 1, 1, 1, 1, 2, 2, 2, 2, 0],
           [0, 1, 1, 1, 1, 2, 2, 2, 2, 0],
           [0, 1, 1, 1, 1, 2, 2, 2, 2, 0],
           [0, 1, 1, 1, 1, 2, 2, 2, 2, 0],
           [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]], dtype=int32)
    """
    from skimage.measure import label
    from skimage.segmentation import watershed

    p = _check_probabilities(probabilities)
    interior_threshold = _check_real(interior_threshold, "interior_threshold", 0.0, 1.0)
    if interior_threshold == 1.0:  # 1.0 passes the check above but leaves no seed pixel
        raise ValueError("expected interior_threshold as a number in [0, 1); got 1.0")
    min_size = _check_int(min_size, "min_size", 0)
    background, interior, boundary = p[..., 0], p[..., 1], p[..., 2]
    foreground = interior + boundary > background
    seeds = label(foreground & (interior > interior_threshold), connectivity=1)
    grown = watershed(1.0 - interior, markers=seeds, mask=foreground)
    return _finish(grown, foreground, min_size)


def labels_from_distance(distance, threshold=0.05, min_distance=9, min_size=10) -> np.ndarray:
    """Instance labels from a distance map: one object per peak.

    Parameters
    ----------
    distance : (Y, X) ndarray of float
        For every pixel, (a prediction of) its distance to the edge of its
        object: high in the middle of a nucleus, 0 outside. For example the
        output of a U-Net regression head trained on
        :func:`cellcourse.targets.distance_map`, or
        ``scipy.ndimage.distance_transform_edt(mask)``.
    threshold : float
        Foreground = pixels where ``distance > threshold``, in the units of the
        map. The default 0.05 suits maps in pixels (every object pixel is at
        least 1) and maps scaled to 1 at each object's centre
        (``distance_map(labels, normalize=True)``, where an edge pixel of a
        nucleus of radius r gets about 1 / r). Raise it if a predicted map's
        background is not close to 0.
    min_distance : int
        Smallest distance in pixels between two peaks (>= 1), somewhat less
        than a typical nucleus radius; 9 suits BBBC039 (median nucleus area
        about 630 pixels, radius about 14). Smaller values split more nuclei,
        and elongated nuclei by mistake; larger values merge touching ones.
    min_size : int
        Objects with fewer pixels are removed (>= 0). The default 10 drops
        specks; about 3 % of the annotated BBBC039 nuclei (cut by the image
        edge) have fewer than 20 pixels, so larger values cost recall there.

    Returns
    -------
    (Y, X) ndarray of int32
        Instance labels, 0 = background, objects 1..n.

    Raises
    ------
    ValueError
        If ``distance`` is not 2-D or not finite, or a parameter is out of range.
    TypeError
        If ``distance`` is not numeric or an integer parameter is not an integer.

    Notes
    -----
    Markers are the local maxima found by ``skimage.feature.peak_local_max``
    in each foreground component (peaks closer than ``min_distance`` keep only
    the highest; touching peak pixels form one marker). The watershed of
    ``-distance`` then floods from the markers within the foreground, so two
    round nuclei that touch at a neck are cut at the neck. A noisy predicted
    map has many small peaks: smooth it first (``scipy.ndimage.gaussian_filter``)
    or raise ``min_distance``. See chapter 08.

    References
    ----------
    .. [1] Beucher, S. and Meyer, F. (1993). The morphological approach to
       segmentation: the watershed transformation. :doi:`10.1201/9781482277234-12`

    Examples
    --------
    >>> yy, xx = np.mgrid[:20, :40]
    >>> mask = ((yy - 10) ** 2 + (xx - 12) ** 2 < 64) | ((yy - 10) ** 2 + (xx - 26) ** 2 < 64)
    >>> distance = ndi.distance_transform_edt(mask)   # two overlapping discs
    >>> labels = labels_from_distance(distance, min_distance=4)
    >>> int(labels.max()), int(labels[10, 12]), int(labels[10, 26])
    (2, 1, 2)
    """
    distance = _check_map(distance, "distance")
    threshold = _check_real(threshold, "threshold")
    min_distance = _check_int(min_distance, "min_distance", 1)
    min_size = _check_int(min_size, "min_size", 0)
    return _watershed_from_peaks(distance, distance > threshold, min_distance, min_size)


def _watershed_from_peaks(distance, foreground, min_distance: int, min_size: int) -> np.ndarray:
    from skimage.feature import peak_local_max
    from skimage.measure import label
    from skimage.segmentation import watershed

    components = label(foreground, connectivity=1)
    if components.max() == 0:
        return np.zeros(distance.shape, dtype=np.int32)
    peaks = peak_local_max(
        distance, min_distance=min_distance, labels=components, exclude_border=False
    )
    peak_mask = np.zeros(distance.shape, dtype=bool)
    peak_mask[tuple(peaks.T)] = True
    markers = label(peak_mask, connectivity=2)  # neighbouring peak pixels: one marker
    grown = watershed(-distance, markers=markers, mask=foreground)
    return _finish(grown, foreground, min_size)


# --- the classical baseline ---------------------------------------------------------------
def classical_labels(image, min_size=10, min_distance=9, smoothing_sigma=1.0) -> np.ndarray:
    """Nuclei without deep learning: smooth, Otsu threshold, distance watershed.

    Parameters
    ----------
    image : (Y, X) ndarray
        One fluorescence image of nuclei (any numeric dtype), bright nuclei on
        a dark background, such as a BBBC039 image.
    min_size : int
        Objects with fewer pixels are removed (>= 0). The default 10 drops
        specks; about 3 % of the annotated BBBC039 nuclei (cut by the image
        edge) have fewer than 20 pixels, so larger values cost recall there.
    min_distance : int
        Smallest distance in pixels between two nucleus centres (>= 1),
        somewhat less than a typical nucleus radius. Smaller values split more
        nuclei, and elongated nuclei by mistake; larger values merge touching
        ones. 9 suits BBBC039 (radius about 14 pixels).
    smoothing_sigma : float
        Standard deviation in pixels of the Gaussian smoothing applied before
        thresholding (>= 0; 0 = none). Smoothing suppresses camera noise and
        chromatin texture.

    Returns
    -------
    (Y, X) ndarray of int32
        Instance labels, 0 = background, objects 1..n. A constant image gives
        no objects.

    Raises
    ------
    ValueError
        If ``image`` is not 2-D or not finite, or a parameter is out of range.
    TypeError
        If ``image`` is not numeric or an integer parameter not an integer.

    Notes
    -----
    1. Gaussian smoothing (``scipy.ndimage.gaussian_filter``).
    2. Otsu's threshold (``skimage.filters.threshold_otsu``): the grey level
       that best separates the histogram into two classes.
    3. Holes inside nuclei are filled (``scipy.ndimage.binary_fill_holes``).
    4. Touching nuclei are cut with :func:`labels_from_distance` on the
       Euclidean distance transform of the mask: one seed per distance peak.

    Otsu's threshold assumes two populations of grey levels; a field with no
    nuclei still gets a threshold, and its noise becomes objects. Dim nuclei
    next to bright ones are often lost, and irregular nuclei over-split: the
    errors the U-Net of chapter 07 learns to avoid. See chapter 08.

    References
    ----------
    .. [1] Otsu, N. (1979). A threshold selection method from gray-level
       histograms. IEEE Trans. Syst. Man Cybern. 9, 62-66.
       :doi:`10.1109/TSMC.1979.4310076`
    .. [2] Caicedo, J. C. et al. (2019). Evaluation of deep learning strategies
       for nucleus segmentation in fluorescence images. Cytometry A 95,
       952-965. :doi:`10.1002/cyto.a.23863`

    Examples
    --------
    >>> from cellcourse.synthetic import nuclei_image
    >>> image, true_labels = nuclei_image((64, 64), n_nuclei=3, touching=False, rng=1)
    >>> labels = classical_labels(image)
    >>> labels.dtype, int(labels.max()), int(true_labels.max())
    (dtype('int32'), 3, 3)
    """
    from skimage.filters import threshold_otsu

    image = _check_map(image, "image")
    min_size = _check_int(min_size, "min_size", 0)
    min_distance = _check_int(min_distance, "min_distance", 1)
    smoothing_sigma = _check_real(smoothing_sigma, "smoothing_sigma", 0.0)
    smooth = ndi.gaussian_filter(image, sigma=smoothing_sigma) if smoothing_sigma > 0 else image
    if smooth.max() == smooth.min():
        return np.zeros(image.shape, dtype=np.int32)
    mask = ndi.binary_fill_holes(smooth > threshold_otsu(smooth))
    distance = ndi.distance_transform_edt(mask)
    return _watershed_from_peaks(distance, mask, min_distance, min_size)
