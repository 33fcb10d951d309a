"""Exercises of chapter 08, instance segmentation of nuclei (BBBC039, DSB2018).

Used in ``solutions/08_instance_segmentation.ipynb``::

    from cellcourse.exercises import ch08 as ex
    ex.q1.check(mask_iou)

The course's versions of the chapter's small functions are here, so that the
notebook runs on whatever the learner wrote: :func:`mask_iou` (Exercise 8.1),
:func:`f1_from_counts` (8.2) and :func:`count_matches` (8.3). The library's
:func:`cellcourse.metrics.iou_matrix` and :func:`cellcourse.metrics.match_instances`
do the same for whole label images.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._core import CodingExercise, FunctionExercise, Incorrect, ThoughtExercise, describe

__all__ = ["count_matches", "f1_from_counts", "mask_iou", "q1", "q2", "q3", "q4", "q5"]


# --- the course's versions ----------------------------------------------------------------------
def mask_iou(mask_a, mask_b):
    """Intersection over union (Jaccard index) of two masks.

    Parameters
    ----------
    mask_a, mask_b : (Y, X) ndarray of bool
        Two masks of the same shape, not both empty.

    Returns
    -------
    float
        ``|A ∩ B| / |A ∪ B|``, in [0, 1].

    Examples
    --------
    >>> a = np.zeros((4, 4), bool)
    >>> a[:2] = True
    >>> float(mask_iou(a, np.roll(a, 1, axis=0)))  # 4 pixels shared of 12
    0.3333333333333333
    """
    a, b = np.asarray(mask_a, dtype=bool), np.asarray(mask_b, dtype=bool)
    return float(np.logical_and(a, b).sum() / np.logical_or(a, b).sum())


def f1_from_counts(tp, fp, fn):
    """F1 score of a detection from its counts.

    Parameters
    ----------
    tp, fp, fn : int
        Matched objects, predicted objects without a partner, true objects
        without a partner; ``tp + fp + fn > 0``.

    Returns
    -------
    float
        ``2 TP / (2 TP + FP + FN)``, the harmonic mean of precision
        ``TP / (TP + FP)`` and recall ``TP / (TP + FN)``.

    Examples
    --------
    >>> f1_from_counts(8, 2, 2)
    0.8
    """
    return 2 * tp / (2 * tp + fp + fn)


def count_matches(iou, threshold):
    """True positives, false positives and false negatives from an IoU matrix.

    Parameters
    ----------
    iou : (n_true, n_pred) ndarray of float
        IoU of every true object (rows) with every predicted object (columns).
    threshold : float
        A pair matches when its IoU is greater than this; at least 0.5, so
        that every object has at most one partner.

    Returns
    -------
    (tp, fp, fn) : tuple of int
        Matching pairs; predicted objects without a partner; true objects
        without a partner.

    Examples
    --------
    >>> count_matches(np.array([[0.9, 0.0], [0.3, 0.0], [0.0, 0.6]]), 0.5)
    (2, 0, 1)
    """
    iou = np.asarray(iou, dtype=np.float64)
    tp = int(np.sum(iou > threshold))
    return tp, iou.shape[1] - tp, iou.shape[0] - tp


# --- Exercise 8.1: IoU of two masks ---------------------------------------------------------------


def _iou_inputs():
    rng = np.random.default_rng(81)
    a = np.zeros((6, 6), bool)
    a[1:4, 1:4] = True
    b = np.zeros((6, 6), bool)
    b[2:5, 2:6] = True
    c = rng.random((20, 24)) < 0.4
    d = rng.random((20, 24)) < 0.4
    far = np.zeros((6, 6), bool)
    far[5, 5] = True
    return [
        ((a, b), {}, "a 3 x 3 and a 3 x 4 square that overlap in 4 pixels"),
        ((a, a.copy()), {}, "two identical squares"),
        ((a, far), {}, "two masks that do not touch"),
        ((c, d), {}, "two random (20, 24) masks"),
    ]


def _diagnose_iou(function) -> str:
    """A specific message for a typical mistake, from one extra call; "" if none is recognised."""
    a = np.zeros((6, 6), bool)
    a[1:4, 1:4] = True  # 9 pixels
    b = np.zeros((6, 6), bool)
    b[2:5, 2:6] = True  # 12 pixels, 4 shared: IoU 4 / 17, Dice 8 / 21
    try:
        out = float(function(a.copy(), b.copy()))
    except Exception:
        return ""
    if np.isclose(out, 8 / 21):
        return (
            "`mask_iou` returns the Dice coefficient, 2 |A ∩ B| / (|A| + |B|) (chapter 07). "
            "IoU divides the intersection by the *union*: |A ∩ B| / |A ∪ B|."
        )
    if np.isclose(out, 4):
        return "`mask_iou` returns the number of shared pixels; divide it by the union's."
    if np.isclose(out, 4 / 21):
        return (
            "`mask_iou` divides by |A| + |B|, which counts the shared pixels twice; the union "
            "|A ∪ B| is `np.logical_or(mask_a, mask_b).sum()` (or |A| + |B| - |A ∩ B|)."
        )
    if np.isclose(out, 17 / 4):
        return "`mask_iou` divides the union by the intersection; it is the other way round."
    return ""


q1 = FunctionExercise(
    diagnose=_diagnose_iou,
    chapter="08",
    name="q1",
    title="Intersection over union of two masks",
    var="mask_iou",
    reference=mask_iou,
    test_inputs=_iou_inputs,
    probe=lambda: (np.ones((2, 2), bool), np.ones((2, 2), bool)),
    hints=[
        "IoU = (pixels in both masks) / (pixels in at least one). For boolean arrays, "
        "`mask_a & mask_b` is the intersection and `mask_a | mask_b` the union.",
        "`np.logical_and(mask_a, mask_b).sum() / np.logical_or(mask_a, mask_b).sum()`.",
    ],
    solution_code=(
        "def mask_iou(mask_a, mask_b):\n"
        "    intersection = np.logical_and(mask_a, mask_b).sum()\n"
        "    union = np.logical_or(mask_a, mask_b).sum()\n"
        "    return intersection / union"
    ),
)


# --- Exercise 8.2: F1 from the counts -------------------------------------------------------------


def _diagnose_f1(function) -> str:
    tp, fp, fn = 6, 3, 1  # precision 2/3, recall 6/7
    try:
        out = float(function(tp, fp, fn))
    except Exception:
        return ""
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    if np.isclose(out, tp / (tp + fp + fn)):
        return (
            "`f1_from_counts` returns TP / (TP + FP + FN), the Data Science Bowl's score (section "
            "4); F1 counts every match twice: 2 TP / (2 TP + FP + FN)."
        )
    if np.isclose(out, (precision + recall) / 2):
        return (
            "`f1_from_counts` returns the arithmetic mean of precision and recall; F1 is their "
            "*harmonic* mean, 2 P R / (P + R), which is low when either of them is."
        )
    if np.isclose(out, precision):
        return "`f1_from_counts` returns the precision, TP / (TP + FP); F1 combines it with recall."
    if np.isclose(out, recall):
        return "`f1_from_counts` returns the recall, TP / (TP + FN); F1 combines it with precision."
    return ""


q2 = FunctionExercise(
    diagnose=_diagnose_f1,
    chapter="08",
    name="q2",
    title="F1 score from true positives, false positives and false negatives",
    var="f1_from_counts",
    reference=f1_from_counts,
    test_inputs=[
        ((8, 2, 2), {}, "tp=8, fp=2, fn=2"),
        ((6, 3, 1), {}, "tp=6, fp=3, fn=1"),
        ((0, 4, 5), {}, "no match at all: tp=0, fp=4, fn=5"),
        ((120, 0, 0), {}, "a perfect result: tp=120, fp=0, fn=0"),
        ((1, 0, 99), {}, "tp=1, fp=0, fn=99 (precise, but finds almost nothing)"),
    ],
    probe=lambda: (1, 1, 1),
    hints=[
        "Precision = TP / (TP + FP): the share of predicted nuclei that are real. Recall = TP / "
        "(TP + FN): the share of real nuclei found. F1 is their harmonic mean, 2 P R / (P + R).",
        "Written with the counts only, F1 = 2 TP / (2 TP + FP + FN); that form also works when "
        "TP = 0 (precision and recall are then 0 or undefined).",
    ],
    solution_code="def f1_from_counts(tp, fp, fn):\n    return 2 * tp / (2 * tp + fp + fn)",
)


# --- Exercise 8.3: matches at a threshold from an IoU matrix ------------------------------------


def _match_cases():
    rng = np.random.default_rng(83)
    big = np.zeros((9, 11))
    rows, cols = rng.permutation(9)[:7], rng.permutation(11)[:7]
    big[rows, cols] = np.round(rng.uniform(0.3, 0.98, size=7), 2)
    big[rows[:3], (cols[:3] + 1) % 11] = np.round(rng.uniform(0.0, 0.2, size=3), 2)
    square = np.array([[0.9, 0.05, 0.0], [0.1, 0.45, 0.0], [0.0, 0.3, 0.7]])
    wide = np.array([[0.8, 0.0, 0.1, 0.0], [0.0, 0.0, 0.0, 0.62]])
    at_threshold = np.array([[0.5, 0.0], [0.0, 0.75]])
    return [
        ((square, 0.5), {}, count_matches(square, 0.5), "a 3 x 3 IoU matrix, threshold 0.5"),
        ((wide, 0.5), {}, count_matches(wide, 0.5), "2 true and 4 predicted nuclei, threshold 0.5"),
        ((wide, 0.75), {}, count_matches(wide, 0.75), "the same nuclei at threshold 0.75"),
        ((at_threshold, 0.5), {}, count_matches(at_threshold, 0.5), "a pair with IoU exactly 0.5"),
        ((big, 0.6), {}, count_matches(big, 0.6), "9 true and 11 predicted nuclei, threshold 0.6"),
    ]


def _diagnose_matches(function) -> str:
    iou = np.array([[0.8, 0.0, 0.1, 0.0], [0.0, 0.0, 0.0, 0.5], [0.0, 0.0, 0.0, 0.0]])
    try:
        out = tuple(int(v) for v in function(iou.copy(), 0.5))
    except Exception:
        return ""
    if out == (1, 2, 3):  # fp and fn from the wrong axes: (1, 3, 2) is right
        return (
            "`count_matches` swaps FP and FN: rows are the *true* nuclei (a true nucleus without "
            "a partner is a false negative), columns the *predicted* ones."
        )
    if out == (2, 2, 1):
        return (
            "`count_matches` counts a pair whose IoU equals the threshold; a match needs an IoU "
            "*greater* than the threshold (`iou > threshold`)."
        )
    if out[0] == 3:  # 0.8, 0.5 and 0.1 all counted
        return (
            "`count_matches` counts every overlapping pair; only pairs above the threshold match."
        )
    return ""


def _check_counts(returned, where):
    if returned is None:
        raise Incorrect(f"{where}, `count_matches` returned None: did you forget `return`?")
    if not isinstance(returned, tuple | list | np.ndarray) or np.shape(returned) != (3,):
        raise Incorrect(
            f"{where}, `count_matches` returned {describe(returned)}; expected (tp, fp, fn)."
        )


class _MatchExercise(FunctionExercise):
    """Accepts any three numbers equal to (tp, fp, fn), after a clear message for other shapes."""

    def _check(self, function):
        if callable(function):
            for args, _, _, description in self._cases():
                try:
                    returned = function(*(np.array(a, copy=True) for a in args))
                except Exception:
                    break  # the general message describes the crash
                _check_counts(returned, f"for {description}")
        return super()._check(function)


q3 = _MatchExercise(
    diagnose=_diagnose_matches,
    chapter="08",
    name="q3",
    title="Count true positives, false positives and false negatives at an IoU threshold",
    var="count_matches",
    test_cases=_match_cases,
    probe=lambda: (np.zeros((1, 1)), 0.5),
    hints=[
        "Rows are true nuclei, columns predicted ones. At a threshold of 0.5 or more, a nucleus "
        "can have at most one partner above the threshold, so every entry above it is one match.",
        "`tp = np.sum(iou > threshold)`; the predicted nuclei left over are the false positives "
        "(`iou.shape[1] - tp`), the true nuclei left over the false negatives (`iou.shape[0] - tp`).",
    ],
    solution_code=(
        "def count_matches(iou, threshold):\n"
        "    tp = int(np.sum(iou > threshold))  # at >= 0.5, at most one partner each\n"
        "    fp = iou.shape[1] - tp  # predicted nuclei without a partner\n"
        "    fn = iou.shape[0] - tp  # true nuclei without a partner\n"
        "    return tp, fp, fn"
    ),
)


# --- Exercise 8.4: choose the interior threshold on validation images ---------------------------


def _check_threshold(best_threshold, val_f1, test_f1):
    if not isinstance(val_f1, dict) or not isinstance(test_f1, dict) or not val_f1:
        raise Incorrect(
            "pass the notebook's dictionaries: `ex.q4.check(best_threshold, val_f1, test_f1)`; got "
            f"{describe(val_f1)} and {describe(test_f1)}."
        )
    if isinstance(best_threshold, bool) or not isinstance(best_threshold, numbers.Real):
        raise Incorrect(f"`best_threshold` should be a number; got {describe(best_threshold)}.")
    keys = np.array(sorted(val_f1), dtype=np.float64)
    if not np.any(np.isclose(keys, best_threshold)):
        raise Incorrect(
            f"`best_threshold` is {best_threshold}, which is not one of the thresholds tried: "
            f"{', '.join(f'{k:g}' for k in keys)}."
        )
    chosen = float(keys[np.isclose(keys, best_threshold)][0])
    best_val = max(val_f1.values())
    if np.isclose(val_f1[chosen], best_val):
        return None
    best_test = max(test_f1.values()) if test_f1 else None
    if test_f1 and chosen in test_f1 and np.isclose(test_f1[chosen], best_test):
        raise Incorrect(
            "`best_threshold` is the best on the *test* images. Choosing with the test images "
            "makes their score an optimistic estimate; choose on the validation images (`val_f1`) "
            "and look at the test score only once, at the end."
        )
    raise Incorrect(
        f"the validation F1 at {chosen:g} is {val_f1[chosen]:.3f}, but another threshold reaches "
        f"{best_val:.3f}: take the threshold with the highest validation F1."
    )


q4 = CodingExercise(
    chapter="08",
    name="q4",
    title="Choose the interior threshold on the validation images",
    var=("best_threshold", "val_f1", "test_f1"),
    checker=_check_threshold,
    hints=[
        "`val_f1` maps each threshold tried to the F1 at IoU 0.5 on the validation images. Which "
        "images may you use to choose a setting, and which must you keep for the final score?",
        "`best_threshold = max(val_f1, key=val_f1.get)`: the key of `val_f1` with the largest "
        "value.",
    ],
    solution_code="best_threshold = max(val_f1, key=val_f1.get)  # chosen on validation images only",
)


# --- Exercise 8.5: splits and merges --------------------------------------------------------------

q5 = ThoughtExercise(
    chapter="08",
    name="q5",
    title=(
        "What does one split nucleus cost in TP, FP and FN at IoU 0.5, and what does one merge of "
        "two nuclei cost? Which way does raising the interior threshold push the errors?"
    ),
    hints=[
        "Draw a nucleus cut into two halves. Can either half have an IoU above 0.5 with the whole "
        "nucleus? Now draw two equal nuclei covered by one predicted blob.",
        "The seeds of the watershed are the pieces of interior whose probability is above the "
        "threshold. What happens to a narrow neck of interior between two nuclei as the threshold "
        "rises?",
    ],
    solution_code=(
        "A split nucleus cut into two pieces: if one piece holds most of it (IoU above 0.5) it "
        "still matches, and the other piece is one false positive (1 TP, 1 FP); if it is cut near "
        "the middle, no piece reaches IoU 0.5, so the nucleus is a false negative and both pieces "
        "false positives (0 TP, 2 FP, 1 FN). A merge of two equal nuclei into one blob: the blob "
        "has an IoU of about 0.5 or less with each, so both nuclei are false negatives and the "
        "blob a false positive (0 TP, 1 FP, 2 FN); if one nucleus is much larger, it may still "
        "match (1 TP, 1 FN). Either way an error of one object costs two or three counts in F1. "
        "Raising the interior threshold shrinks the seeds: necks between touching nuclei fall "
        "below it and the seeds come apart, so merges become rarer, but one nucleus with uneven "
        "interior probability can break into several seeds, so splits become commoner (and very "
        "faint nuclei lose their seed altogether and are missed). Lowering it does the opposite. "
        "Which error matters more depends on the biology: a merge hides a nucleus from a count "
        "and doubles a measured size; a split doubles a count and halves a size. That is why we "
        "look at the splits and merges themselves, not only at one score, and why the threshold "
        "is chosen on validation images."
    ),
)
