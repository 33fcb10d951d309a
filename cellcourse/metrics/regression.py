"""Scores of image-to-image regression: a predicted image against the true one.

Used for virtual staining (chapter 10), where a network predicts a
fluorescence image: ``pearson_r`` (does the prediction go up and down with the
truth, whatever its scale?), ``ssim`` (do local structures match?) and
``psnr`` (how large are the errors, on a log scale?). SSIM and PSNR are
scikit-image's, with an explicit ``data_range``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pearson_r", "psnr", "ssim"]


def _check_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, a in (("y_true", y_true), ("y_pred", y_pred)):
        if a.dtype.kind not in "iuf":
            raise TypeError(f"expected {name} as a numeric array; got dtype {a.dtype}")
        if a.size == 0:
            raise ValueError(f"expected a non-empty {name}; got shape {a.shape}")
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise ValueError(f"expected finite values in {name}; it holds NaN or infinity")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"expected y_true and y_pred of the same shape; got {y_true.shape} and {y_pred.shape}"
        )
    return y_true.astype(np.float64), y_pred.astype(np.float64)


def _check_data_range(data_range) -> float:
    if isinstance(data_range, bool) or not isinstance(data_range, int | float | np.number):
        raise TypeError(
            f"expected data_range as a positive number (e.g. 1.0 for images normalised to "
            f"0-1); got {data_range!r}"
        )
    if not np.isfinite(data_range) or data_range <= 0:
        raise ValueError(f"expected data_range > 0; got {data_range}")
    return float(data_range)


def pearson_r(y_true, y_pred, mask=None) -> float:
    """Pearson correlation coefficient between the pixels of two images.

    ``r = cov(t, p) / (std(t) std(p))``, from -1 to 1. It ignores offset and
    scale: a prediction that is twice as bright as the truth, plus a constant,
    still scores 1. The score of the *In silico labeling* paper.

    Parameters
    ----------
    y_true, y_pred : (...) ndarray
        True and predicted image, same shape (e.g. ``(Y, X)``).
    mask : (...) ndarray of bool, optional
        Score only these pixels (same shape).

    Returns
    -------
    float
        NaN if either image is constant (no variance: correlation undefined).

    Raises
    ------
    ValueError, TypeError
        If the shapes differ, a value is not finite, or the inputs are not numeric.

    References
    ----------
    .. [1] Christiansen, E. M. et al. In silico labeling: predicting fluorescent
           labels in unlabeled images. Cell 173, 792–803 (2018).
           doi:10.1016/j.cell.2018.03.040

    Examples
    --------
    >>> t = np.array([[0.0, 1.0], [2.0, 3.0]])
    >>> pearson_r(t, 2 * t + 5)
    1.0
    >>> round(pearson_r(t, np.array([[0.0, 1.0], [3.0, 2.0]])), 3)
    0.8
    """
    t, p = _check_pair(y_true, y_pred)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != t.shape:
            raise ValueError(
                f"expected mask as a bool array of shape {t.shape}; got {mask.shape} {mask.dtype}"
            )
        t, p = t[mask], p[mask]
    t, p = t.ravel() - t.mean(), p.ravel() - p.mean()
    denominator = np.sqrt(np.sum(t * t) * np.sum(p * p))
    if denominator == 0:
        return float("nan")
    return float(np.clip(np.sum(t * p) / denominator, -1.0, 1.0))


def ssim(y_true, y_pred, data_range) -> float:
    """Structural similarity (SSIM) of two 2-D images, scikit-image's.

    Compares local means, contrasts and structure in 7 × 7 windows and
    averages over the image; 1 for identical images. Unlike Pearson r it
    depends on offset and scale, through ``data_range``.

    Parameters
    ----------
    y_true, y_pred : (Y, X) ndarray
        True and predicted image, same shape, at least 7 × 7.
    data_range : float
        The range of values the images can take (1.0 for images normalised to
        0-1). Given explicitly, because guessing it from a float image is
        unreliable.

    Returns
    -------
    float

    Raises
    ------
    ValueError, TypeError
        If the images are not 2-D, differ in shape, are smaller than 7 × 7, or
        ``data_range`` is not a positive number.

    References
    ----------
    .. [1] Wang, Z., Bovik, A. C., Sheikh, H. R. & Simoncelli, E. P. Image
           quality assessment: from error visibility to structural similarity.
           IEEE Trans. Image Process. 13, 600–612 (2004). doi:10.1109/TIP.2003.819861

    Examples
    --------
    >>> t = np.random.default_rng(0).random((16, 16))
    >>> ssim(t, t, data_range=1.0)
    1.0
    >>> ssim(t, t + 0.2, data_range=1.0) < 1.0
    True
    """
    from skimage.metrics import structural_similarity

    t, p = _check_pair(y_true, y_pred)
    data_range = _check_data_range(data_range)
    if t.ndim != 2 or min(t.shape) < 7:
        raise ValueError(f"expected 2-D images (Y, X) of at least 7 x 7 pixels; got {t.shape}")
    return float(structural_similarity(t, p, data_range=data_range))


def psnr(y_true, y_pred, data_range) -> float:
    """Peak signal-to-noise ratio in decibels, scikit-image's.

    ``10 log10(data_range ** 2 / MSE)``: every halving of the root mean
    squared error adds about 6 dB. Infinite for identical images.

    Parameters
    ----------
    y_true, y_pred : (...) ndarray
        True and predicted image, same shape.
    data_range : float
        The range of values the images can take (1.0 for images normalised to 0-1).

    Returns
    -------
    float

    Raises
    ------
    ValueError, TypeError
        If the shapes differ, a value is not finite or ``data_range`` is not positive.

    Examples
    --------
    >>> t = np.zeros((4, 4))
    >>> round(psnr(t, t + 0.1, data_range=1.0), 6)  # MSE 0.01: 10 log10(1 / 0.01)
    20.0
    """
    from skimage.metrics import peak_signal_noise_ratio

    t, p = _check_pair(y_true, y_pred)
    data_range = _check_data_range(data_range)
    if np.array_equal(t, p):
        return float("inf")  # skimage would divide by zero (and warn)
    return float(peak_signal_noise_ratio(t, p, data_range=data_range))
