"""Exercises of chapter 05, class imbalance (BCCD blood cells).

Used in ``solutions/05_class_imbalance.ipynb``::

    from cellcourse.exercises import ch05 as ex
    ex.q2.check(balanced_class_weights)

The course's versions of the chapter's functions live in the library:
``class_weight="balanced"`` of :func:`cellcourse.train.fit_classifier`
(Exercise 5.2), :func:`cellcourse.sampling.oversample_indices` (Exercise 5.3),
and :func:`cellcourse.metrics.prior_correction_weights` with
:func:`cellcourse.metrics.predict_with_thresholds` (Exercise 5.4).
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from ._core import (
    CodingExercise,
    FunctionExercise,
    Incorrect,
    ThoughtExercise,
    as_index_array,
    describe,
    expect_equal,
)

__all__ = ["q1", "q2", "q3", "q4", "q5"]

_RBC = 1  # class index of red blood cells in load_bccd_cells (Platelets, RBC, WBC)


# --- Exercise 5.1: the accuracy of always answering RBC ---------------------------------------------


@functools.cache
def _bccd_labels_and_split() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels of all BCCD crops, training and test indices of the course's split."""
    from ..datasets import load_bccd_cells
    from ..preprocess import split_by_group

    cells = load_bccd_cells(size=32, progress=False)
    train_idx, _, test_idx = split_by_group(cells.source, fractions=(0.7, 0.15, 0.15), rng=0)
    return cells.y, train_idx, test_idx


def _always_rbc_values() -> dict[str, float]:
    y, train_idx, test_idx = _bccd_labels_and_split()
    return {
        "test": float(np.mean(y[test_idx] == _RBC)),
        "train": float(np.mean(y[train_idx] == _RBC)),
        "all": float(np.mean(y == _RBC)),
    }


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0, abs_tol=1e-6)


def _check_always_rbc(always_rbc_accuracy) -> str | None:
    values = _always_rbc_values()
    expected = values["test"]
    number = always_rbc_accuracy
    if isinstance(number, np.ndarray) and number.ndim == 0:
        number = number.item()
    if isinstance(number, numbers.Real) and not isinstance(number, bool | np.bool_):
        value = float(number)
        if _close(value, 1 / 3):
            raise Incorrect(
                "1/3 is the *balanced* accuracy of always answering RBC (recalls 1, 0 and 0, "
                "averaged). The task asks for the plain accuracy: the fraction of test cells "
                "that the answer 'RBC' gets right."
            )
        if _close(value, 1 - expected):
            raise Incorrect(
                "`always_rbc_accuracy` is the fraction of test cells that are *not* red cells: "
                "the error rate of always answering RBC. The accuracy is the fraction it gets "
                "right."
            )
        if _close(value, 100 * expected):
            raise Incorrect(
                "`always_rbc_accuracy` looks like a percentage; give it as a fraction between "
                "0 and 1."
            )
        for where in ("train", "all"):
            if _close(value, values[where]) and not _close(value, expected):
                cells = "training cells" if where == "train" else "cells of the whole data set"
                raise Incorrect(
                    f"`always_rbc_accuracy` is the fraction of red cells among the {cells}. "
                    "A model is scored on the test photographs: use `y_test`."
                )
    expect_equal(always_rbc_accuracy, expected, "always_rbc_accuracy", rtol=0, atol=1e-6)
    return (
        f"always answering RBC is right for {expected:.1%} of the test cells, and finds no "
        "white cell and no platelet."
    )


q1 = CodingExercise(
    chapter="05",
    name="q1",
    title="The accuracy of a 'model' that always answers RBC",
    var="always_rbc_accuracy",
    checker=_check_always_rbc,
    hints=[
        "A model that always answers RBC is right exactly for the test cells that are red "
        "cells. What fraction of `y_test` is that?",
        "`class_names.index('RBC')` is the class index of red cells; the mean of a True/False "
        "array is the fraction of True values: `np.mean(y_test == rbc)`.",
    ],
    solution_code=(
        'rbc = class_names.index("RBC")\n'
        "always_rbc = np.full_like(y_test, rbc)  # the same answer for every test cell\n"
        "always_rbc_accuracy = cc.metrics.accuracy(y_test, always_rbc)  # = np.mean(y_test == rbc)"
    ),
)


# --- Exercise 5.2: balanced class weights -------------------------------------------------------------


def _balanced_weights(y, n_classes) -> dict[int, float]:
    counts = np.bincount(np.asarray(y), minlength=n_classes)
    return {k: float(len(y) / (n_classes * counts[k])) for k in range(n_classes)}


def _unbalanced_labels(counts, seed) -> np.ndarray:
    """Labels with ``counts[k]`` samples of class k, shuffled with a fixed seed."""
    y = np.repeat(np.arange(len(counts)), counts)
    return np.random.default_rng(seed).permutation(y).astype(np.int64)


_WEIGHT_LABELS = (
    (np.array([0, 0, 0, 1]), 2, "y = [0, 0, 0, 1] and n_classes=2"),
    (_unbalanced_labels((120, 60, 20), 51), 3, "200 labels of 3 classes (120, 60, 20)"),
    (np.array([1, 1, 1, 1, 1, 0, 2, 2]), 3, "y = [1, 1, 1, 1, 1, 0, 2, 2] and n_classes=3"),
    (np.array([2, 0, 1, 1, 0, 2]), 3, "6 labels, 2 of each of 3 classes"),
    (_unbalanced_labels((15, 340, 45), 52), 3, "400 labels of 3 classes (15, 340, 45)"),
)


def _weight_cases():
    return [
        ((y.copy(), n), {}, _balanced_weights(y, n), description)
        for y, n, description in _WEIGHT_LABELS
    ]


def _weights_as_array(returned, n_classes) -> np.ndarray | None:
    """The returned weights as a (K,) float array, from a dict or a sequence; None if unclear."""
    try:
        if isinstance(returned, dict):
            values = [returned[k] for k in range(n_classes)]
        else:
            values = list(np.asarray(returned, dtype=float).ravel())
        array = np.asarray(values, dtype=float)
    except Exception:
        return None
    if array.shape != (n_classes,) or not np.all(np.isfinite(array)):
        return None
    return array


def _diagnose_class_weights(function) -> str:
    """A specific hint for a typical mistake, from one extra call; "" if none is recognised."""
    y, n = _WEIGHT_LABELS[1][0], _WEIGHT_LABELS[1][1]
    try:
        returned = function(y.copy(), n)
    except Exception:
        return ""
    got = _weights_as_array(returned, n)
    if got is None:
        return ""
    want = np.array(list(_balanced_weights(y, n).values()))
    counts = np.bincount(y, minlength=n)
    if not isinstance(returned, dict):
        if np.allclose(got, want):
            return (
                "`balanced_class_weights` returns the right weights, but not as a dict. Keras' "
                "`class_weight` takes a dict {class index: weight}: `dict(enumerate(weights))` "
                "makes one."
            )
        return ""
    if np.all(got > 0) and np.allclose(got / got[0], want / want[0]) and not np.allclose(got, want):
        mean = float(np.sum(got * counts) / counts.sum())
        return (
            "the weights are in the right proportions, but scaled differently: averaged over "
            f"the samples they give {mean:.3g} instead of 1. With S / (K * S_k) the loss keeps "
            "its usual size, so the learning rate keeps its meaning."
        )
    if np.allclose(got, got[0]):
        return (
            "every class gets the same weight, which changes nothing: the loss still counts "
            "each sample once, so the common class dominates it. A rare class should get a "
            "larger weight."
        )
    common = int(np.argmax(counts))
    if got[common] > np.delete(got, common).max():
        return (
            "the most common class gets the largest weight. Class weights should do the "
            "opposite: a rare class gets a large weight, so that its few samples count as "
            "much in the loss as the many samples of a common class."
        )
    return ""


q2 = FunctionExercise(
    diagnose=_diagnose_class_weights,
    chapter="05",
    name="q2",
    title="Compute balanced class weights from the training labels",
    var="balanced_class_weights",
    test_cases=_weight_cases,
    rtol=1e-6,
    probe=(np.array([0, 0, 1]), 2),
    hints=[
        "Count the samples of each class first: `np.bincount(y, minlength=n_classes)`. A "
        "class with few samples should get a large weight.",
        "weight_k = S / (K * S_k), with S = len(y) samples, K = n_classes and S_k samples of "
        "class k. Return a dict: `{k: ... for k in range(n_classes)}`.",
    ],
    solution_code=(
        "def balanced_class_weights(y, n_classes):\n"
        "    counts = np.bincount(y, minlength=n_classes)  # S_k\n"
        "    return {k: len(y) / (n_classes * counts[k]) for k in range(n_classes)}"
    ),
)


# --- Exercise 5.3: oversampling ---------------------------------------------------------------------

_OVERSAMPLE_LABELS = (
    (_unbalanced_labels((120, 50, 20), 53), "190 labels of 3 classes (120, 50, 20)"),
    (_unbalanced_labels((7, 30, 11), 54), "48 labels of 3 classes (7, 30, 11)"),
)
_OVERSAMPLE_SEEDS = (1, 2)
_MIN_DISTINCT = 0.5  # of a rare class's samples, at least this fraction must be drawn


def _call_oversample(function, y, seed, what):
    """``function(y, rng)`` with a Generator, else (if that raises) with an int seed."""
    try:
        return function(y.copy(), np.random.default_rng(seed))
    except Exception as generator_exc:
        try:
            return function(y.copy(), seed)
        except Exception:
            raise Incorrect(
                f"`oversample(y, rng)` with {what} and rng=np.random.default_rng({seed}) "
                f"raised {type(generator_exc).__name__}: {str(generator_exc)[:150]}"
            ) from generator_exc


def _oversampled_indices(returned, y, what) -> np.ndarray:
    call = f"`oversample(y, rng)` with {what}"
    if isinstance(returned, np.ndarray) and returned.dtype == bool:
        raise Incorrect(
            f"{call} returned a True/False mask, which cannot repeat a sample; return indices."
        )
    idx = as_index_array(returned, call, len(y), "`y` (to use as `x[idx], y[idx]`)", unique=False)
    counts = np.bincount(y, minlength=3)
    got = np.bincount(y[idx], minlength=3)
    if np.all(got == counts.min()):
        raise Incorrect(
            f"{call} gave {got.tolist()} samples of each class: that is *under*sampling, "
            "which throws most of the common class away. Keep every sample of the largest "
            "class and repeat those of the smaller ones."
        )
    if not np.all(got == counts.max()):
        raise Incorrect(
            f"{call} gave {got.tolist()} samples of classes 0, 1, 2 (`y` holds "
            f"{counts.tolist()}); expected every class as often as the largest one."
        )
    largest = int(np.argmax(counts))
    repeats = np.bincount(idx, minlength=len(y))[y == largest]
    if not np.all(repeats == 1):
        raise Incorrect(
            f"{call}: {int(np.sum(repeats != 1))} samples of the largest class (class "
            f"{largest}) do not appear exactly once. Keep each of them once, as they are; "
            "only the smaller classes are repeated."
        )
    for k in range(3):
        if k == largest:
            continue
        distinct = len(np.unique(idx[y[idx] == k]))
        if distinct < _MIN_DISTINCT * counts[k]:
            raise Incorrect(
                f"{call}: the {got[k]} samples of class {k} repeat only {distinct} of its "
                f"{counts[k]} cells. Draw from all the cells of the class (e.g. `rng.choice` "
                "over its indices), so that every rare cell has its chance."
            )
    return np.sort(idx)


def _check_oversample(function) -> str | None:
    if not callable(function):
        raise Incorrect(
            f"`oversample` should be a function, but it is {describe(function)}. Pass the "
            "function itself: ex.q3.check(oversample)."
        )
    every_rare_cell = True
    for y, what in _OVERSAMPLE_LABELS:
        chosen = [
            _oversampled_indices(_call_oversample(function, y, seed, what), y, what)
            for seed in _OVERSAMPLE_SEEDS
        ]
        again = _oversampled_indices(
            _call_oversample(function, y, _OVERSAMPLE_SEEDS[0], what), y, what
        )
        if not np.array_equal(chosen[0], again):
            raise Incorrect(
                "`oversample(y, rng)` gave different indices in two calls with the same seed. "
                "Draw only with the `rng` you are given (e.g. `rng.choice`), not with "
                "`np.random.*`, so that results can be repeated."
            )
        if np.array_equal(chosen[0], chosen[1]):
            raise Incorrect(
                f"`oversample(y, rng)` with {what} gave the same indices with seeds "
                f"{_OVERSAMPLE_SEEDS[0]} and {_OVERSAMPLE_SEEDS[1]}: the extra samples of the "
                "rare classes should be drawn at random, with `rng`."
            )
        every_rare_cell &= all(len(np.unique(c)) == len(y) for c in chosen)
    if every_rare_cell:
        return "every class as often as the largest, and every rare cell used."
    return (
        "every class as often as the largest. Some rare cells were never drawn, though: "
        "repeating every cell n_max // n_k times, plus a few at random once more, uses them "
        "all (as `cc.sampling.oversample_indices` does)."
    )


q3 = CodingExercise(
    chapter="05",
    name="q3",
    title="Oversample: indices in which every class is as common as the largest",
    var="oversample",
    checker=_check_oversample,
    probe=lambda: (np.array([0, 0, 0, 1, 2]), np.random.default_rng(0)),
    hints=[
        "Work class by class: `np.flatnonzero(y == k)` are the indices of class k. The "
        "largest class keeps its indices as they are; every other class needs as many "
        "indices as the largest one has, so its cells must come twice or more.",
        "`n_max = np.bincount(y).max()`; for each class, `repeats, extra = divmod(n_max, "
        "len(members))`; `np.tile(members, repeats)` repeats every cell, and "
        "`rng.choice(members, size=extra, replace=False)` adds a few once more. Join the "
        "parts with `np.concatenate`.",
    ],
    solution_code=(
        "def oversample(y, rng):\n"
        "    rng = np.random.default_rng(rng)  # a Generator, or a seed made into one\n"
        "    n_max = np.bincount(y).max()\n"
        "    parts = []\n"
        "    for k in np.unique(y):\n"
        "        members = np.flatnonzero(y == k)\n"
        "        repeats, extra = divmod(n_max, len(members))\n"
        "        parts.append(np.tile(members, repeats))  # every cell of the class, repeats times\n"
        "        parts.append(rng.choice(members, size=extra, replace=False))  # a few once more\n"
        "    return rng.permutation(np.concatenate(parts))"
    ),
)


# --- Exercise 5.4: threshold moving ---------------------------------------------------------------------


def _move_thresholds(probs, y_train) -> np.ndarray:
    probs = np.asarray(probs, dtype=np.float64)
    prior = np.bincount(y_train, minlength=probs.shape[1]) / len(y_train)
    return np.argmax(probs / prior, axis=1).astype(np.int64)


def _threshold_inputs():
    rng = np.random.default_rng(54)
    y_train = _unbalanced_labels((10, 80, 10), 55)  # priors 0.1, 0.8, 0.1
    probs = np.array(
        [
            [0.15, 0.8, 0.05],  # 0.15 / 0.1 = 1.5 > 0.8 / 0.8 = 1: moves to class 0
            [0.05, 0.9, 0.05],  # stays RBC-like class 1
            [0.02, 0.7, 0.28],  # 0.28 / 0.1 = 2.8 > 0.875: moves to class 2
            [0.6, 0.3, 0.1],  # class 0 already
        ]
    )
    random_probs = rng.dirichlet((0.5, 3.0, 0.5), size=12)
    y_two = _unbalanced_labels((30, 10), 56)  # two classes, the second rare
    return [
        ((probs, y_train), {}, "4 cells of 3 classes and y_train with 10, 80 and 10 of each"),
        ((random_probs, y_train), {}, "12 cells of 3 classes, the same y_train"),
        ((np.array([[0.7, 0.3], [0.8, 0.2], [0.2, 0.8]]), y_two), {},
         "3 cells of 2 classes and y_train with 30 and 10 of each"),
    ]  # fmt: skip


def _diagnose_thresholds(function) -> str:
    """A specific hint for a typical mistake, from one extra call; "" if none is recognised."""
    (probs, y_train), _, _ = _threshold_inputs()[0]
    try:
        got = np.asarray(function(probs.copy(), y_train.copy()))
    except Exception:
        return ""
    prior = np.bincount(y_train, minlength=3) / len(y_train)
    if got.shape == probs.shape:
        return (
            "`move_thresholds` returns one value per cell *and class*. Return one predicted "
            "class per cell: the argmax of the rescaled probabilities over the classes (axis=1)."
        )
    if got.shape != (len(probs),):
        return ""
    if np.array_equal(got, np.argmax(probs, axis=1)):
        return (
            "`move_thresholds` gives the same classes as the plain argmax of `probs`. Divide "
            "each class's probability by its prior (its fraction in `y_train`) first."
        )
    if np.array_equal(got, np.argmax(probs * prior, axis=1)):
        return (
            "`move_thresholds` multiplies by the priors, which pushes decisions further "
            "towards the common class. Divide by them: a rare class then needs less "
            "probability to win."
        )
    return ""


q4 = FunctionExercise(
    diagnose=_diagnose_thresholds,
    chapter="05",
    name="q4",
    title="Move the thresholds: divide each class's probability by its prior",
    var="move_thresholds",
    reference=_move_thresholds,
    test_inputs=_threshold_inputs,
    probe=lambda: (np.array([[0.5, 0.5]]), np.array([0, 1])),
    hints=[
        "The prior of class k is its fraction in the training labels: "
        "`np.bincount(y_train, minlength=n_classes) / len(y_train)`, with `n_classes = "
        "probs.shape[1]`.",
        "Divide every column of `probs` by its class's prior (`probs / prior` broadcasts over "
        "the rows), then take `np.argmax(..., axis=1)`: one class per cell.",
    ],
    solution_code=(
        "def move_thresholds(probs, y_train):\n"
        "    n_classes = probs.shape[1]\n"
        "    prior = np.bincount(y_train, minlength=n_classes) / len(y_train)\n"
        "    return np.argmax(probs / prior, axis=1)"
    ),
)


# --- Exercise 5.5: what to report for a rare-cell screen ------------------------------------------------

q5 = ThoughtExercise(
    chapter="05",
    name="q5",
    title=(
        "You screen blood smears for a rare cell type, about 1 cell in 1,000. Which numbers do "
        "you report for your classifier, and why must the test set keep the natural "
        "frequencies even if you balanced the training set?"
    ),
    hints=[
        "What accuracy does a classifier get that never finds the rare cell? What would a "
        "reader of your paper learn from it?",
        "Precision is the fraction of the cells you flag that really are rare cells. How many "
        "false alarms come from 999 common cells compared with, say, 1 common cell per rare "
        "one? Which of the two situations will the classifier meet in the clinic?",
    ],
    solution_code=(
        "Not accuracy: a classifier that never finds the rare cell is 99.9 % accurate. Report "
        "the recall of the rare class (the fraction of rare cells found) together with its "
        "precision (the fraction of flagged cells that really are rare), or its "
        "precision-recall curve and average precision; and, to sum up all classes, balanced "
        "accuracy (the mean recall) or macro-F1, with the confusion matrix. Precision depends "
        "on how common the class is: on a balanced test set, each rare cell competes with one "
        "common cell instead of 999, so false alarms look 999 times rarer than they will be "
        "on real smears. A test set must look like the data the classifier will meet: "
        "balance the training set (or weight the loss) if you like, but validate and test at "
        "the natural frequencies, and choose thresholds on a validation set that has them "
        "too. Report how many rare cells the test set holds: with a few dozen, a recall is "
        "uncertain by several percentage points."
    ),
)
