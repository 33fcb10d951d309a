"""Class-balanced sampling in the input pipeline: resample indices, or draw balanced batches.

A classifier trained on unbalanced data sees the common class most and learns
to answer it. Instead of weighting the loss (``class_weight`` in
:func:`cellcourse.train.fit_classifier`), these helpers change what the model
sees: every class equally often.

=========================  ==========================================================
``oversample_indices``     repeat samples of the smaller classes up to the largest
``undersample_indices``    cut every class down to the size of the smallest
``BalancedBatches``        a ``keras.utils.PyDataset``: batches drawn class first, then
                           a sample of it, for ``model.fit(BalancedBatches(x, y))``
=========================  ==========================================================

Labels are integer class indices ``(S,)``; the index functions return indices
into them, to apply to images and labels alike (``x[idx], y[idx]``). Resample
the training set only: validation and test sets keep their natural class
frequencies, or their scores stop describing the data the model will meet.
Randomness only through ``rng`` (same seed, same output).

Importing this module does not import Keras (so it does not fix the backend);
``BalancedBatches`` is built on first use. See chapter 05.

Examples
--------
>>> import numpy as np
>>> from cellcourse.models import linear_classifier
>>> from cellcourse.sampling import BalancedBatches  # imports Keras (and fixes the backend)
>>> x = np.zeros((6, 8, 8, 3), np.float32)
>>> y = np.array([0, 0, 0, 0, 1, 2])
>>> batches = BalancedBatches(x, y, batch_size=4, rng=0)
>>> len(batches), batches[0][0].shape, batches[0][1].shape
(2, (4, 8, 8, 3), (4,))
>>> model = linear_classifier((8, 8, 3), n_classes=3)
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
>>> history = model.fit(batches, epochs=1, verbose=0)

References
----------
.. [1] Buda, M., Maki, A. & Mazurowski, M. A. A systematic study of the class
       imbalance problem in convolutional neural networks. Neural Networks 106,
       249–259 (2018). doi:10.1016/j.neunet.2018.07.011
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

__all__ = [
    "BalancedBatches",  # noqa: F822 (defined on first use by the module __getattr__ below)
    "oversample_indices",
    "undersample_indices",
]


# ----------------------------------------------------------------------------------------
# private checks
# ----------------------------------------------------------------------------------------


def _check_labels(y, what: str = "y") -> np.ndarray:
    """``y`` as ``(S,)`` int64 class indices >= 0, or a clear error."""
    y = np.asarray(y)
    if y.ndim != 1:
        hint = f"; one-hot rows? Pass {what}.argmax(axis=1)" if y.ndim == 2 else ""
        raise ValueError(f"expected {what} of shape (S,) with class indices; got {y.shape}{hint}")
    if y.size == 0:
        raise ValueError(f"expected at least one sample in {what}; got an empty array")
    if y.dtype.kind not in "iu" or y.dtype.kind == "b":
        hint = " (map class names to indices first)" if y.dtype.kind in "USO" else ""
        raise TypeError(
            f"expected {what} as integer class indices (0, 1, 2, ...); got dtype {y.dtype}{hint}"
        )
    if y.min() < 0:
        raise ValueError(f"expected class indices >= 0 in {what}; got a minimum of {y.min()}")
    return y.astype(np.int64)


def _check_among(among, n_samples: int) -> np.ndarray:
    """The pool of sample indices to resample from: all of them, or the distinct ``among``."""
    if among is None:
        return np.arange(n_samples, dtype=np.int64)
    among = np.asarray(among)
    if among.ndim != 1 or among.size == 0:
        raise ValueError(
            f"expected among as a non-empty 1-D array of sample indices; got shape {among.shape}"
        )
    if among.dtype.kind not in "iu":
        raise TypeError(
            f"expected among as integer sample indices (e.g. the training indices); "
            f"got dtype {among.dtype}"
        )
    if among.min() < 0 or among.max() >= n_samples:
        raise ValueError(
            f"expected indices in among from 0 to {n_samples - 1} (y has {n_samples} samples); "
            f"got values from {among.min()} to {among.max()}"
        )
    if np.unique(among).size != among.size:
        raise ValueError(
            f"expected distinct indices in among; got {among.size - np.unique(among).size} "
            f"repeated (resampling repeats samples itself)"
        )
    return among.astype(np.int64)


def _members_by_class(y: np.ndarray, pool: np.ndarray) -> list[np.ndarray]:
    """The indices of ``pool`` of each class that occurs there, by class index."""
    labels = y[pool]
    return [pool[labels == k] for k in np.unique(labels)]


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"expected {name} as a positive int; got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------------------
# index functions
# ----------------------------------------------------------------------------------------


def oversample_indices(y, rng=None, among=None) -> np.ndarray:
    """Sample indices in which every class occurs as often as the largest one.

    Parameters
    ----------
    y : (S,) array_like of int
        Class index of every sample.
    rng : numpy.random.Generator or int or None
        Source of randomness (a seed gives the same indices every time).
    among : (M,) array_like of int, optional
        Resample only these sample indices, e.g. the training part of a split;
        default all ``S``. Distinct values from ``0`` to ``S - 1``.

    Returns
    -------
    (n_classes_present * N_max,) ndarray of int64
        Indices into ``y``, shuffled. Every sample of the largest class occurs
        once; a class of ``N_k`` samples has every sample ``N_max // N_k``
        times, plus ``N_max % N_k`` of them, chosen at random, once more. Only
        classes that occur (in ``y[among]``) are balanced.

    Raises
    ------
    ValueError, TypeError
        If ``y`` is not 1-D non-negative integers, or ``among`` not distinct
        indices into it.

    See Also
    --------
    undersample_indices : the other way round, discarding samples.
    BalancedBatches : the same balance, drawn batch by batch during training.

    Notes
    -----
    Every minority sample is repeated an equal number of times (give or take
    one), rather than drawn with replacement, so that none is left out by
    chance. Repeats add no new information: a model can memorise the few rare
    samples (overfitting), which augmentation softens [1]_. See chapter 05.

    References
    ----------
    .. [1] Buda, M., Maki, A. & Mazurowski, M. A. A systematic study of the
       class imbalance problem in convolutional neural networks. Neural Networks
       106, 249–259 (2018). doi:10.1016/j.neunet.2018.07.011

    Examples
    --------
    >>> y = np.array([0, 0, 0, 0, 1, 1, 2])
    >>> idx = oversample_indices(y, rng=0)
    >>> np.sort(idx)  # class 1: each sample twice; class 2: four times
    array([0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 6, 6])
    >>> np.bincount(y[idx])
    array([4, 4, 4])
    """
    y = _check_labels(y)
    pool = _check_among(among, len(y))
    rng = np.random.default_rng(rng)
    members = _members_by_class(y, pool)
    target = max(len(m) for m in members)
    parts = []
    for m in members:
        repeats, extra = divmod(target, len(m))
        parts.append(np.tile(m, repeats))
        parts.append(rng.choice(m, size=extra, replace=False))
    return rng.permutation(np.concatenate(parts)).astype(np.int64)


def undersample_indices(y, rng=None, among=None) -> np.ndarray:
    """Sample indices in which every class is cut to the size of the smallest one.

    Parameters
    ----------
    y : (S,) array_like of int
        Class index of every sample.
    rng : numpy.random.Generator or int or None
        Source of randomness (a seed gives the same indices every time).
    among : (M,) array_like of int, optional
        Resample only these sample indices, e.g. the training part of a split;
        default all ``S``. Distinct values from ``0`` to ``S - 1``.

    Returns
    -------
    (n_classes_present * N_min,) ndarray of int64
        Indices into ``y``, shuffled, each at most once: all samples of the
        smallest class and ``N_min`` samples of every other class, chosen at
        random without replacement. Only classes that occur are balanced.

    Raises
    ------
    ValueError, TypeError
        If ``y`` is not 1-D non-negative integers, or ``among`` not distinct
        indices into it.

    See Also
    --------
    oversample_indices : keeps every sample, repeating the rare ones.

    Notes
    -----
    Nothing is repeated, but most of the common class is thrown away: on the
    blood-cell set (RBC 4153, WBC 372, Platelets 361) 3792 of the 4153 red
    cells. See chapter 05.

    Examples
    --------
    >>> y = np.array([0, 0, 0, 0, 1, 1, 2])
    >>> idx = undersample_indices(y, rng=0)
    >>> len(idx), np.bincount(y[idx]).tolist(), 6 in idx  # the one sample of class 2 stays
    (3, [1, 1, 1], True)
    """
    y = _check_labels(y)
    pool = _check_among(among, len(y))
    rng = np.random.default_rng(rng)
    members = _members_by_class(y, pool)
    target = min(len(m) for m in members)
    parts = [rng.choice(m, size=target, replace=False) for m in members]
    return rng.permutation(np.concatenate(parts)).astype(np.int64)


# ----------------------------------------------------------------------------------------
# BalancedBatches: a keras.utils.PyDataset, built on first use
# ----------------------------------------------------------------------------------------

# BalancedBatches subclasses keras.utils.PyDataset, so defining it needs Keras, and the
# first `import keras` fixes the backend for the whole session. The class is therefore
# defined inside a function, run on the first look-up of `cellcourse.sampling.BalancedBatches`
# (module __getattr__, PEP 562), after the notebook has chosen its backend. The result is
# cached and stored in the module's namespace, so every look-up, `isinstance` and pickle
# (Keras's multiprocessing workers) finds the very same class.


@functools.cache
def _balanced_batches_class():
    import keras

    class BalancedBatches(keras.utils.PyDataset):
        """Batches in which every class is drawn equally often, for ``model.fit``.

        Each sample of a batch is drawn in two steps: a class, uniformly at
        random; then one sample of that class, uniformly at random (with
        replacement). Rare classes are therefore repeated and common ones
        seen in part, a new draw every epoch.

        Parameters
        ----------
        x : (S, ...) ndarray
            Samples, e.g. images ``(S, Y, X, C)`` of float32 as the model takes
            them; batches are taken from it as they are (no copy of the whole).
        y : (S,) array_like of int
            Class indices ``0 .. K-1``, K = ``y.max() + 1``; every class must
            occur.
        batch_size : int
            Samples per batch.
        rng : numpy.random.Generator or int or None
            Source of randomness: the same seed gives the same batches, epoch
            by epoch, in any order of access.
        steps_per_epoch : int, optional
            Batches per epoch; default ``ceil(S / batch_size)``, as many
            samples as one pass over the data.
        **kwargs
            ``workers``, ``use_multiprocessing``, ``max_queue_size`` of
            ``keras.utils.PyDataset``.

        Attributes
        ----------
        x, y : ndarray
            The samples and their labels (int64).
        batch_size, steps_per_epoch, n_classes : int
        class_counts : (K,) ndarray of int64
            Samples of each class in ``y``.

        Raises
        ------
        ValueError, TypeError
            If ``x`` is not a numeric array with one sample per label, ``y``
            not integer class indices with every class ``0 .. K-1`` present,
            or ``batch_size`` / ``steps_per_epoch`` not positive ints.

        Notes
        -----
        ``batch[i]`` returns ``(x_batch, y_batch)`` NumPy arrays of shapes
        ``(batch_size, ...)`` and ``(batch_size,)``, so it works on the
        TensorFlow, JAX and PyTorch backends. Batch ``i`` is drawn from its
        own generator, seeded by ``(seed, draw, i)``, so parallel workers give
        the same batches as a plain loop; ``on_epoch_end``, which
        ``model.fit`` calls after every epoch, advances ``draw`` so that each
        epoch sees new batches. (``fit`` also calls it once before the first
        epoch, after looking at a batch or two for their shapes.) Validate on the
        natural class frequencies (``validation_data=(x_val, y_val)``), never
        on balanced batches. See chapter 05.

        Examples
        --------
        >>> x = np.arange(6, dtype=np.float32)[:, None]  # (S, 1)
        >>> batches = BalancedBatches(x, [0, 0, 0, 0, 1, 2], batch_size=300, rng=0)
        >>> x_batch, y_batch = batches[0]
        >>> x_batch.shape, y_batch.shape, len(batches)
        ((300, 1), (300,), 1)
        >>> np.bincount(y_batch)  # about 100 each, though class 0 has 4 of the 6 samples
        array([115,  90,  95])
        """

        def __init__(self, x, y, batch_size=32, rng=None, steps_per_epoch=None, **kwargs):
            super().__init__(**kwargs)  # Keras requires it (workers, multiprocessing, queue)
            y = _check_labels(y)
            x = np.asarray(x)
            if x.ndim == 0 or x.dtype.kind not in "biuf":
                raise TypeError(
                    f"expected x as a numeric array with samples on the first axis, e.g. "
                    f"images (S, Y, X, C); got dtype {x.dtype}, shape {x.shape}"
                )
            if len(x) != len(y):
                raise ValueError(
                    f"expected one label per sample: x has {len(x)} samples (shape "
                    f"{x.shape}), y has {len(y)} labels"
                )
            counts = np.bincount(y)
            missing = np.flatnonzero(counts == 0)
            if missing.size:
                raise ValueError(
                    f"expected every class 0..{len(counts) - 1} in y to draw it; class(es) "
                    f"{missing.tolist()} have no samples; samples per class: {counts.tolist()}"
                )
            self.batch_size = _check_positive_int(batch_size, "batch_size")
            if steps_per_epoch is None:
                steps_per_epoch = math.ceil(len(y) / self.batch_size)
            self.steps_per_epoch = _check_positive_int(steps_per_epoch, "steps_per_epoch")
            self.x, self.y = x, y
            self.n_classes = len(counts)
            self.class_counts = counts.astype(np.int64)
            # sample indices grouped by class: class k occupies _by_class[_starts[k]:][:counts[k]]
            self._by_class = np.argsort(y, kind="stable")
            self._starts = np.r_[0, np.cumsum(counts)[:-1]]
            # one seed drawn from rng; each batch then gets its own generator (see Notes)
            self._seed = int(np.random.default_rng(rng).integers(2**63))
            self._draw = 0  # advanced by on_epoch_end: new batches every epoch

        def __len__(self):
            return self.steps_per_epoch

        def __getitem__(self, index):
            if isinstance(index, bool) or not isinstance(index, numbers.Integral):
                raise TypeError(f"expected a batch index as an int; got {index!r}")
            if not 0 <= index < self.steps_per_epoch:
                raise IndexError(
                    f"batch index {index} out of range: expected 0..{self.steps_per_epoch - 1}"
                )
            gen = np.random.default_rng([self._seed, self._draw, int(index)])
            classes = gen.integers(self.n_classes, size=self.batch_size)  # each class 1/K
            within = gen.integers(0, self.class_counts[classes])  # then a sample of it
            idx = self._by_class[self._starts[classes] + within]
            return self.x[idx], self.y[idx]

        def on_epoch_end(self):
            self._draw += 1

    BalancedBatches.__module__ = __name__
    BalancedBatches.__qualname__ = "BalancedBatches"
    return BalancedBatches


def __getattr__(name: str):
    # PEP 562: build BalancedBatches on first look-up (see the comment above the builder)
    if name == "BalancedBatches":
        cls = _balanced_batches_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"BalancedBatches"})
