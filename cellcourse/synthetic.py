"""Synthetic microscopy data with exact ground truth.

Real data are the main lesson of every chapter; these generators complement them
where an exact answer is needed: in tests, and in exercises that compare a
result with the truth (see chapters 00, 09 and 10).

- :func:`nuclei_image` and :func:`nuclei_dataset`: fluorescence-like images of
  nuclei, ``uint16`` in a 12-bit range like BBBC039, with instance labels.
- :func:`time_lapse`: moving, appearing, disappearing and dividing cells, with
  label images in the Cell Tracking Challenge style (pixel value = track id),
  a track table and a lineage table (a :class:`TimeLapse`).
- :func:`paired_transmitted_fluorescence`: a phase-like transmitted image and
  the nuclear fluorescence it predicts, for label-free prediction.

Every generator takes ``rng`` (a :class:`numpy.random.Generator`, an integer
seed or None): the same seed gives identical output.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from skimage.draw import ellipse
from skimage.segmentation import expand_labels

__all__ = [
    "TimeLapse",
    "nuclei_dataset",
    "nuclei_image",
    "paired_transmitted_fluorescence",
    "time_lapse",
]

# --- constants of the image model (documented in the docstrings) ------------------------
_MAX_12BIT = 4095  # BBBC039 and many sCMOS/CCD cameras: 12-bit values stored in uint16
_READ_NOISE_SD = 10.0  # Gaussian camera read noise, in counts
_TEXTURE_AMPLITUDE = 0.15  # relative chromatin texture inside nuclei
_TEXTURE_SIGMA = 1.5  # spatial scale of the texture, in pixels
_MIN_NUCLEUS_PIXELS = 20  # smallest nucleus kept when nuclei may overlap
_MAX_OVERLAP = 0.25  # largest fraction of a nucleus another one may cover
_GAP = 2  # background pixels left between nuclei when touching=False
_ATTEMPTS_PER_NUCLEUS = 50  # placement attempts per requested nucleus (bounded loop)
_MAX_FAILURES_IN_A_ROW = 500  # ... and the field counts as full after this many misses

_TL_BACKGROUND = 100.0  # time-lapse background, in counts
_TL_BRIGHTNESS = (800.0, 2000.0)  # time-lapse cell brightness range, in counts
_TL_BLUR_SIGMA = 1.0
_TL_TURN_SD = math.pi / 4  # persistence: s.d. of the heading change per frame, radians
_TL_TRIES = 20  # tries to place, move or divide a cell before giving up for this frame

_TRACK_COLUMNS = ["frame", "label", "y", "x", "track_id", "parent_id"]
_LINEAGE_COLUMNS = ["track_id", "start", "end", "parent_id"]  # as tracking.lineage_from_tracks


# --- input checks -----------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_real(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _check_shape(shape) -> tuple[int, int]:
    if (
        not isinstance(shape, tuple | list)
        or len(shape) != 2
        or not all(_is_int(s) and s > 0 for s in shape)
    ):
        raise ValueError(f"shape must be 2 positive integers (Y, X); got {shape!r}")
    return int(shape[0]), int(shape[1])


def _check_count(value, name: str) -> int:
    if not _is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value!r}")
    return int(value)


def _check_number(value, name: str, minimum: float = 0.0, maximum: float = math.inf) -> float:
    if not _is_real(value) or not math.isfinite(value) or not minimum <= value <= maximum:
        expected = f"in [{minimum:g}, {maximum:g}]" if maximum < math.inf else f">= {minimum:g}"
        raise ValueError(f"{name} must be a finite number {expected}; got {value!r}")
    return float(value)


def _check_probability(value, name: str) -> float:
    if not _is_real(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1]; got {value!r}")
    return float(value)


def _check_interval(value, name: str, minimum: float, maximum: float = math.inf, strict=False):
    """Check a (low, high) pair with minimum <(=) low <= high <= maximum."""
    what = (
        f"{name} must be a pair (low, high) with {minimum:g} {'<' if strict else '<='} low <= high"
    )
    if maximum < math.inf:
        what += f" <= {maximum:g}"
    if not isinstance(value, tuple | list) or len(value) != 2 or not all(map(_is_real, value)):
        raise ValueError(f"{what}; got {value!r}")
    low, high = float(value[0]), float(value[1])
    too_low = low <= minimum if strict else low < minimum
    if not (math.isfinite(low) and math.isfinite(high)) or too_low or high < low or high > maximum:
        raise ValueError(f"{what}; got {value!r}")
    return low, high


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _nuclei_params(
    shape, n_nuclei, radius, touching, intensity, background, blur_sigma, noise
) -> dict:
    return {
        "shape": _check_shape(shape),
        "n_nuclei": _check_count(n_nuclei, "n_nuclei"),
        "radius": _check_interval(radius, "radius", 0.0, strict=True),
        "touching": _check_bool(touching, "touching"),
        "intensity": _check_interval(intensity, "intensity", 0.0, _MAX_12BIT),
        "background": _check_number(background, "background", 0.0, _MAX_12BIT),
        "blur_sigma": _check_number(blur_sigma, "blur_sigma"),
        "noise": _check_bool(noise, "noise"),
    }


# --- nuclei -----------------------------------------------------------------------------
def _one_component(mask: np.ndarray) -> bool:
    # ndimage.label's default structure is 4-connectivity, stricter than the
    # 8-connectivity that skimage.measure.label uses by default in 2D
    return ndi.label(mask)[1] == 1


def _overlap_allowed(window: np.ndarray, new: np.ndarray, min_size: int) -> bool:
    """Whether painting ``new`` over the labels in ``window`` keeps every label whole."""
    under = window[new]
    covered = under[under > 0]
    if covered.size > _MAX_OVERLAP * np.count_nonzero(new):
        return False
    for label_id, n_covered in zip(*np.unique(covered, return_counts=True), strict=True):
        own = window == label_id
        if n_covered > _MAX_OVERLAP * np.count_nonzero(own):
            return False
        rest = own & ~new
        if np.count_nonzero(rest) < min_size or not _one_component(rest):
            return False
    return True


def _place_nuclei(shape, n_nuclei, radius, touching, rng) -> np.ndarray:
    """Label image of up to ``n_nuclei`` random ellipses; see :func:`nuclei_image`."""
    labels = np.zeros(shape, dtype=np.int32)
    r_low, r_high = radius
    # tiny radii cannot reach 20 pixels: then half the smallest ellipse is the minimum
    min_size = max(1, min(_MIN_NUCLEUS_PIXELS, int(0.5 * math.pi * r_low**2)))
    pad = math.ceil(2 * r_high) + _GAP + 1  # any nucleus touching the new one lies within
    gap_structure = np.ones((2 * _GAP + 1, 2 * _GAP + 1), dtype=bool)
    count = failures = 0
    for _ in range(_ATTEMPTS_PER_NUCLEUS * n_nuclei):
        if count == n_nuclei or failures == _MAX_FAILURES_IN_A_ROW:
            break
        failures += 1  # reset below when the nucleus is accepted
        semi_axes = rng.uniform(r_low, r_high, size=2)
        rotation = rng.uniform(-math.pi / 2, math.pi / 2)
        centre = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        rr, cc = ellipse(*centre, *semi_axes, shape=shape, rotation=rotation)
        if rr.size < min_size:
            continue
        y0, x0 = max(rr.min() - pad, 0), max(cc.min() - pad, 0)
        window = labels[y0 : rr.max() + pad + 1, x0 : cc.max() + pad + 1]  # a view
        new = np.zeros(window.shape, dtype=bool)
        new[rr - y0, cc - x0] = True
        if not _one_component(new):
            continue
        if touching:
            if not _overlap_allowed(window, new, min_size):
                continue
        elif np.any(window[ndi.binary_dilation(new, structure=gap_structure)]):
            continue
        count += 1
        failures = 0
        window[new] = count
    return labels


def _texture(shape, rng) -> np.ndarray:
    """Smooth zero-mean, unit-variance noise: a stand-in for chromatin texture."""
    texture = ndi.gaussian_filter(rng.standard_normal(shape), sigma=_TEXTURE_SIGMA)
    std = texture.std()
    return texture / std if std > 0 else texture


def _camera(clean: np.ndarray, blur_sigma: float, noise: bool, rng) -> np.ndarray:
    """Blur, add Poisson (shot) and Gaussian (read) noise, clip to 12 bits as uint16."""
    if blur_sigma > 0:
        clean = ndi.gaussian_filter(clean, sigma=blur_sigma)
    if noise:
        clean = rng.poisson(np.clip(clean, 0, None)) + rng.normal(0.0, _READ_NOISE_SD, clean.shape)
    return np.clip(np.rint(clean), 0, _MAX_12BIT).astype(np.uint16)


def _render_nuclei(params: dict, rng) -> tuple[np.ndarray, np.ndarray]:
    shape = params["shape"]
    labels = _place_nuclei(shape, params["n_nuclei"], params["radius"], params["touching"], rng)
    n = int(labels.max())
    levels = np.zeros(n + 1)
    levels[1:] = rng.uniform(*params["intensity"], size=n)
    signal = levels[labels] * np.clip(1 + _TEXTURE_AMPLITUDE * _texture(shape, rng), 0, None)
    image = _camera(params["background"] + signal, params["blur_sigma"], params["noise"], rng)
    return image, labels


def nuclei_image(
    shape=(256, 256),
    n_nuclei=30,
    radius=(6.0, 12.0),
    touching=True,
    intensity=(800, 3000),
    background=150,
    blur_sigma=1.0,
    noise=True,
    rng=None,
):
    """A fluorescence-like image of nuclei and its exact instance labels.

    Nuclei are ellipses with random semi-axes and orientation, each with its own
    brightness and a smooth texture, on a flat background. The image is blurred
    (the optics), then receives Poisson shot noise and Gaussian read noise (the
    camera), and is rounded and clipped to 12 bits like the BBBC039 images.

    Parameters
    ----------
    shape : tuple of 2 int
        ``(Y, X)`` size of the image in pixels.
    n_nuclei : int
        Number of nuclei wanted (>= 0). Fewer are returned when they do not
        fit: placement stops after ``50 * n_nuclei`` random attempts, or after
        500 rejected attempts in a row, so the call always ends quickly.
    radius : tuple of 2 float
        ``(low, high)`` range of the semi-axes in pixels (``0 < low <= high``).
    touching : bool
        If True, a new nucleus may cover up to a quarter of earlier ones (and of
        itself), as in crowded fields; it is only accepted if every nucleus it
        covers stays one connected piece of at least 20 pixels (or half the
        area of the smallest possible ellipse, if that is less). If False,
        nuclei are at least 2 background pixels apart, also diagonally.
    intensity : tuple of 2 float
        ``(low, high)`` range, in counts, of the mean nucleus brightness above the
        background (within ``[0, 4095]``).
    background : float
        Background level in counts (within ``[0, 4095]``).
    blur_sigma : float
        Standard deviation of the Gaussian blur in pixels (0 = none).
    noise : bool
        Add Poisson noise and Gaussian read noise (s.d. 10 counts).
    rng : numpy.random.Generator or int or None
        Source of randomness; the same seed gives the same image.

    Returns
    -------
    image : (Y, X) ndarray of uint16
        Values in ``[0, 4095]``.
    labels : (Y, X) ndarray of int32
        Instance labels ``1..n`` (every id present, each one connected
        component), 0 = background; ``n <= n_nuclei``.

    Raises
    ------
    ValueError
        If a parameter is out of range.
    TypeError
        If ``touching`` or ``noise`` is not a bool.

    See Also
    --------
    nuclei_dataset : several images at once.

    Notes
    -----
    Where nuclei overlap, the one placed later owns the shared pixels. See
    chapter 00 (microscopy images) and chapter 08 (instance segmentation).

    References
    ----------
    .. [1] Caicedo, J. C. et al. (2019). Evaluation of deep learning strategies
       for nucleus segmentation in fluorescence images. Cytometry A 95, 952-965.
       :doi:`10.1002/cyto.a.23863`
    .. [2] Foi, A. et al. (2008). Practical Poissonian-Gaussian noise modeling and
       fitting for single-image raw-data. IEEE Trans. Image Process. 17,
       1737-1754. :doi:`10.1109/TIP.2008.2001399`

    Examples
    --------
    >>> image, labels = nuclei_image((64, 64), n_nuclei=4, rng=0)
    >>> image.dtype, labels.dtype, image.shape
    (dtype('uint16'), dtype('int32'), (64, 64))
    >>> sorted(set(labels.ravel().tolist()))
    [0, 1, 2, 3, 4]
    """
    params = _nuclei_params(
        shape, n_nuclei, radius, touching, intensity, background, blur_sigma, noise
    )
    return _render_nuclei(params, np.random.default_rng(rng))


def nuclei_dataset(n_images, shape=(256, 256), rng=None, **kwargs):
    """A stack of synthetic nuclei images with their labels.

    Parameters
    ----------
    n_images : int
        Number of images S (>= 0).
    shape : tuple of 2 int
        ``(Y, X)`` size of every image.
    rng : numpy.random.Generator or int or None
        Source of randomness; the same seed gives the same stack.
    **kwargs
        Passed to :func:`nuclei_image`: ``n_nuclei``, ``radius``, ``touching``,
        ``intensity``, ``background``, ``blur_sigma``, ``noise``.

    Returns
    -------
    images : (S, Y, X) ndarray of uint16
    labels : (S, Y, X) ndarray of int32
        Instance labels of each image, numbered from 1 in each image.

    Raises
    ------
    ValueError
        If a parameter is out of range.
    TypeError
        If a keyword is not a parameter of :func:`nuclei_image`.

    Examples
    --------
    >>> images, labels = nuclei_dataset(3, shape=(32, 48), n_nuclei=2, rng=1)
    >>> images.shape, labels.shape
    ((3, 32, 48), (3, 32, 48))
    """
    n_images = _check_count(n_images, "n_images")
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(nuclei_image).parameters.items()
        if name not in ("shape", "rng")
    }
    unknown = sorted(set(kwargs) - set(defaults))
    if unknown:
        raise TypeError(
            f"unexpected keyword(s) {unknown}; nuclei_dataset accepts {sorted(defaults)}"
        )
    params = _nuclei_params(shape=shape, **{**defaults, **kwargs})
    rng = np.random.default_rng(rng)
    images = np.zeros((n_images, *params["shape"]), dtype=np.uint16)
    labels = np.zeros((n_images, *params["shape"]), dtype=np.int32)
    for i in range(n_images):
        images[i], labels[i] = _render_nuclei(params, rng)
    return images, labels


# --- time-lapse -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class TimeLapse:
    """A synthetic time-lapse with its ground truth (returned by :func:`time_lapse`).

    Attributes
    ----------
    images : (T, Y, X) ndarray of uint16
        Fluorescence-like frames, values in ``[0, 4095]``.
    labels : (T, Y, X) ndarray of int32
        The pixel value is the TRACK ID (Cell Tracking Challenge TRA style),
        0 = background.
    tracks : pandas.DataFrame
        One row per cell per frame, columns ``frame, label, y, x, track_id,
        parent_id``: ``label`` is the value of the cell in that frame's label
        image (here equal to ``track_id``), ``y, x`` the true centre in pixels
        and ``parent_id`` the track it divided from (0 = none).
    lineage : pandas.DataFrame
        One row per track, columns ``track_id, start, end, parent_id``, as
        :func:`cellcourse.tracking.lineage_from_tracks` gives them (the Cell
        Tracking Challenge's ``man_track.txt`` calls them L, B, E, P): first and
        last frame (inclusive), parent track (0 = none). A daughter starts at its
        parent's ``end + 1``.
    """

    images: np.ndarray
    labels: np.ndarray
    tracks: pd.DataFrame
    lineage: pd.DataFrame

    def __repr__(self) -> str:
        n_divisions = int((self.lineage["parent_id"] > 0).sum()) // 2
        return (
            f"TimeLapse(images={self.images.shape} {self.images.dtype}, "
            f"labels={self.labels.shape} {self.labels.dtype}, tracks={len(self.tracks)} rows, "
            f"lineage={len(self.lineage)} tracks, {n_divisions} divisions)"
        )


@dataclass
class _Cell:
    track_id: int
    y: float
    x: float
    heading: float
    brightness: float


def _reflect(value: float, low: float, high: float) -> tuple[float, bool]:
    """Fold ``value`` into ``[low, high]`` as a ball bouncing off walls; True if it turned."""
    if low <= value <= high:
        return value, False
    span = high - low
    if span <= 0:
        return low, False
    folded = ((value - low) / span) % 2.0
    if folded <= 1.0:
        return low + folded * span, False
    return low + (2.0 - folded) * span, True


def _is_free(y: float, x: float, others: list[_Cell], min_distance: float) -> bool:
    if not others:
        return True
    ys = np.array([c.y for c in others])
    xs = np.array([c.x for c in others])
    return bool(np.all((ys - y) ** 2 + (xs - x) ** 2 >= min_distance**2))


def _render_discs(cells: list[_Cell], shape, radius: float):
    """Label image and clean signal of one frame; pixels of earlier labels win."""
    labels = np.zeros(shape, dtype=np.int32)
    signal = np.zeros(shape, dtype=np.float64)
    for cell in sorted(cells, key=lambda c: c.track_id):
        # written out rather than skimage.draw.disk so that the rule "a pixel belongs
        # to a cell when its distance to the centre is <= radius" is exact: with the
        # spacing kept by time_lapse, two discs can never share a pixel
        y0, y1 = max(math.floor(cell.y - radius), 0), min(math.ceil(cell.y + radius), shape[0] - 1)
        x0, x1 = max(math.floor(cell.x - radius), 0), min(math.ceil(cell.x + radius), shape[1] - 1)
        yy, xx = np.mgrid[y0 : y1 + 1, x0 : x1 + 1]
        d2 = (yy - cell.y) ** 2 + (xx - cell.x) ** 2
        window = labels[y0 : y1 + 1, x0 : x1 + 1]
        disc = (d2 <= radius**2) & (window == 0)
        window[disc] = cell.track_id
        # a dome: brightest in the middle, 30 % dimmer at the rim
        signal[y0 : y1 + 1, x0 : x1 + 1][disc] = cell.brightness * (1 - 0.3 * d2[disc] / radius**2)
    return labels, signal


def time_lapse(
    n_frames=20,
    shape=(128, 128),
    n_cells=8,
    radius=5.0,
    speed=2.0,
    p_appear=0.05,
    p_disappear=0.02,
    p_divide=0.03,
    rng=None,
):
    """A synthetic time-lapse of moving, appearing, vanishing and dividing cells.

    Each cell is a disc of ``radius`` pixels on a noisy background. Between
    frames every cell first may disappear (probability ``p_disappear``), else
    may divide (probability ``p_divide``), and otherwise moves; then one new
    cell may appear (probability ``p_appear`` per frame).

    - Motion is a persistent random walk: the heading turns by a normal angle
      (s.d. 45 degrees) and the step length is uniform in
      ``[0.5, 1.5] * speed`` pixels. Cells bounce off the borders (they reflect)
      and stay entirely in the field, so no disc is ever clipped.
    - Cells keep their centres at least ``2 * radius + 1`` pixels apart, so discs
      never overlap and every living cell keeps all its pixels. A move,
      appearance or division that would break this spacing is redrawn up to 20
      times and otherwise skipped for that frame (the cell stays put, the new
      cell does not appear, the division is postponed). Likewise, fewer than
      ``n_cells`` cells start when they do not fit.
    - A division ends the mother track; two daughters start in the next frame,
      ``radius + 0.5`` pixels either side of the mother's last position along a
      random axis, with ``parent_id`` set to the mother's track id.

    Parameters
    ----------
    n_frames : int
        Number of frames T (>= 1).
    shape : tuple of 2 int
        ``(Y, X)`` size of each frame; each side needs at least
        ``2 * radius + 1`` pixels.
    n_cells : int
        Number of cells in the first frame (>= 0).
    radius : float
        Cell radius in pixels (>= 1, so every cell covers at least one pixel).
    speed : float
        Typical step length in pixels per frame (>= 0).
    p_appear : float
        Probability, per frame, that one new cell (with no parent) appears.
    p_disappear : float
        Probability, per cell and frame, that the cell's track ends.
    p_divide : float
        Probability, per cell and frame, that a cell that did not disappear divides.
    rng : numpy.random.Generator or int or None
        Source of randomness; the same seed gives the same time-lapse.

    Returns
    -------
    TimeLapse
        ``images`` (T, Y, X) uint16, ``labels`` (T, Y, X) int32 holding track
        ids, ``tracks`` (``frame, label, y, x, track_id, parent_id``) and
        ``lineage`` (``track_id, start, end, parent_id``); see :class:`TimeLapse`. The tables agree
        exactly with the label images.

    Raises
    ------
    ValueError
        If a parameter is out of range.

    Notes
    -----
    See chapter 09 (cell tracking).

    References
    ----------
    .. [1] Ulman, V. et al. (2017). An objective comparison of cell-tracking
       algorithms. Nature Methods 14, 1141-1152. :doi:`10.1038/nmeth.4473`

    Examples
    --------
    >>> movie = time_lapse(n_frames=5, shape=(64, 64), n_cells=3, rng=0)
    >>> movie.images.shape, movie.labels.dtype
    ((5, 64, 64), dtype('int32'))
    >>> list(movie.tracks.columns)
    ['frame', 'label', 'y', 'x', 'track_id', 'parent_id']
    >>> list(movie.lineage.columns)
    ['track_id', 'start', 'end', 'parent_id']
    """
    if not _is_int(n_frames) or n_frames < 1:
        raise ValueError(f"n_frames must be a positive integer; got {n_frames!r}")
    shape = _check_shape(shape)
    n_cells = _check_count(n_cells, "n_cells")
    radius = _check_number(radius, "radius", minimum=1.0)
    speed = _check_number(speed, "speed")
    p_appear = _check_probability(p_appear, "p_appear")
    p_disappear = _check_probability(p_disappear, "p_disappear")
    p_divide = _check_probability(p_divide, "p_divide")
    if min(shape) < 2 * radius + 1:
        raise ValueError(
            f"shape must be at least 2 * radius + 1 = {2 * radius + 1:g} pixels on each side "
            f"for radius={radius:g}; got {shape!r}"
        )
    rng = np.random.default_rng(rng)
    n_frames = int(n_frames)
    low, high_y, high_x = radius, shape[0] - 1 - radius, shape[1] - 1 - radius
    spacing = 2 * radius + 1

    alive: list[_Cell] = []
    parents: dict[int, int] = {}
    begins: dict[int, int] = {}
    ends: dict[int, int] = {}
    next_id = 1

    def add_cell(y, x, frame, parent=0, brightness=None):
        nonlocal next_id
        if brightness is None:
            brightness = rng.uniform(*_TL_BRIGHTNESS)
        cell = _Cell(next_id, y, x, rng.uniform(-math.pi, math.pi), brightness)
        parents[next_id], begins[next_id] = parent, frame
        next_id += 1
        return cell

    def try_appear(frame):
        for _ in range(_TL_TRIES):
            y, x = rng.uniform(low, high_y), rng.uniform(low, high_x)
            if _is_free(y, x, alive, spacing):
                alive.append(add_cell(y, x, frame))
                return

    for _ in range(n_cells):
        try_appear(0)

    rows, label_frames, signal_frames = [], [], []
    for frame in range(n_frames):
        if frame > 0:
            # 1. disappearance and division, decided for the cells of the previous frame
            newborn: list[_Cell] = []
            for cell in sorted(alive, key=lambda c: c.track_id):
                vanish, divide = rng.random() < p_disappear, rng.random() < p_divide
                if vanish:
                    alive.remove(cell)
                    ends[cell.track_id] = frame - 1
                elif divide:
                    others = [c for c in alive if c is not cell] + newborn
                    for _ in range(_TL_TRIES):
                        angle = rng.uniform(0, math.pi)
                        dy, dx = spacing / 2 * math.sin(angle), spacing / 2 * math.cos(angle)
                        spots = [(cell.y + dy, cell.x + dx), (cell.y - dy, cell.x - dx)]
                        if all(
                            low <= y <= high_y
                            and low <= x <= high_x
                            and _is_free(y, x, others, spacing)
                            for y, x in spots
                        ):
                            alive.remove(cell)
                            ends[cell.track_id] = frame - 1
                            for y, x in spots:
                                b = cell.brightness * rng.uniform(0.9, 1.1)
                                newborn.append(add_cell(y, x, frame, cell.track_id, b))
                            break
            # 2. motion of the cells that carry on (daughters are born in place)
            movers = sorted(alive, key=lambda c: c.track_id)
            alive.extend(newborn)
            for cell in movers:
                others = [c for c in alive if c is not cell]
                heading = cell.heading + rng.normal(0.0, _TL_TURN_SD)
                step = speed * rng.uniform(0.5, 1.5)
                for _ in range(_TL_TRIES):
                    y, turned_y = _reflect(cell.y + step * math.sin(heading), low, high_y)
                    x, turned_x = _reflect(cell.x + step * math.cos(heading), low, high_x)
                    if _is_free(y, x, others, spacing):
                        heading = -heading if turned_y else heading
                        heading = math.pi - heading if turned_x else heading
                        cell.y, cell.x, cell.heading = y, x, heading
                        break
                    heading = rng.uniform(-math.pi, math.pi)
            # 3. appearance
            if rng.random() < p_appear:
                try_appear(frame)
        labels, signal = _render_discs(alive, shape, radius)
        label_frames.append(labels)
        signal_frames.append(signal)
        for cell in sorted(alive, key=lambda c: c.track_id):
            tid = cell.track_id
            rows.append((frame, tid, cell.y, cell.x, tid, parents[tid]))
    for cell in alive:
        ends[cell.track_id] = n_frames - 1

    images = np.stack(
        [_camera(_TL_BACKGROUND + s, _TL_BLUR_SIGMA, True, rng) for s in signal_frames]
    )
    tracks = pd.DataFrame(rows, columns=_TRACK_COLUMNS).astype(
        {
            "frame": "int64",
            "label": "int64",
            "y": "float64",
            "x": "float64",
            "track_id": "int64",
            "parent_id": "int64",
        }
    )
    lineage = pd.DataFrame(
        [(tid, begins[tid], ends[tid], parents[tid]) for tid in sorted(begins)],
        columns=_LINEAGE_COLUMNS,
    ).astype("int64")
    return TimeLapse(images=images, labels=np.stack(label_frames), tracks=tracks, lineage=lineage)


# --- paired transmitted / fluorescence -------------------------------------------------
def paired_transmitted_fluorescence(shape=(256, 256), n_nuclei=30, noise=True, rng=None):
    """A phase-like transmitted-light image and the nuclear fluorescence it predicts.

    A toy version of in-silico labelling: cells are nuclei (ellipses as in
    :func:`nuclei_image`) surrounded by 8 pixels of cytoplasm. Each nucleus has a
    random DNA content in ``[0.5, 1]`` that sets both its optical density and its
    fluorescence, so the fluorescence can be predicted from the transmitted image.

    - ``transmitted``: the optical path (cytoplasm 0.3, nucleus 0.3 + DNA
      content, both textured), blurred by 1 pixel, then shown the way phase
      contrast shows it: objects darker than the background, plus a
      difference-of-Gaussians term that brightens halos outside edges and
      darkens their inner rims. Background about 1.
    - ``fluorescence``: the DNA content of each nucleus with a chromatin
      texture, blurred by 1 pixel; background 0, nuclei about 0.5 to 1.

    Parameters
    ----------
    shape : tuple of 2 int
        ``(Y, X)`` size of the images.
    n_nuclei : int
        Number of nuclei wanted (fewer if they do not fit; see :func:`nuclei_image`).
    noise : bool
        Add Gaussian noise (s.d. 0.02) to both images.
    rng : numpy.random.Generator or int or None
        Source of randomness; the same seed gives the same pair.

    Returns
    -------
    transmitted : (Y, X) ndarray of float32
        The input of a label-free prediction model.
    fluorescence : (Y, X) ndarray of float32
        The target (a nuclear stain such as DAPI or Hoechst).

    Raises
    ------
    ValueError
        If a parameter is out of range.

    Notes
    -----
    Real phase contrast is not this simple (halos depend on the optics, and
    out-of-focus planes matter); the point is an exact, learnable pair. See
    chapter 10 (augmented microscopy).

    References
    ----------
    .. [1] Christiansen, E. M. et al. (2018). In silico labeling: predicting
       fluorescent labels in unlabeled images. Cell 173, 792-803.
       :doi:`10.1016/j.cell.2018.03.040`

    Examples
    --------
    >>> transmitted, fluorescence = paired_transmitted_fluorescence((64, 64), 5, rng=0)
    >>> transmitted.shape, fluorescence.dtype
    ((64, 64), dtype('float32'))
    """
    shape = _check_shape(shape)
    n_nuclei = _check_count(n_nuclei, "n_nuclei")
    noise = _check_bool(noise, "noise")
    rng = np.random.default_rng(rng)
    labels = _place_nuclei(shape, n_nuclei, (6.0, 12.0), True, rng)
    cells = expand_labels(labels, distance=8) > 0
    dna = np.zeros(int(labels.max()) + 1)
    dna[1:] = rng.uniform(0.5, 1.0, size=dna.size - 1)
    nuclear = dna[labels] * np.clip(1 + _TEXTURE_AMPLITUDE * _texture(shape, rng), 0, None)
    cytoplasm = 0.3 * cells * (1 + 0.1 * _texture(shape, rng))
    optical_path = ndi.gaussian_filter(cytoplasm + 0.3 * (labels > 0) + nuclear, sigma=1.0)
    halo = optical_path - ndi.gaussian_filter(optical_path, sigma=4.0)
    transmitted = 1.0 - 0.3 * optical_path - 0.6 * halo
    fluorescence = ndi.gaussian_filter(nuclear, sigma=1.0)
    if noise:
        transmitted = transmitted + rng.normal(0.0, 0.02, shape)
        fluorescence = fluorescence + rng.normal(0.0, 0.02, shape)
    return transmitted.astype(np.float32), fluorescence.astype(np.float32)
