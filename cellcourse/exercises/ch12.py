"""Exercises of chapter 12, annotation and active learning (BCCD blood cells).

Used in ``solutions/12_annotation_and_active_learning.ipynb``::

    from cellcourse.exercises import ch12 as ex
    ex.q1.check(prediction_entropy)

The course's versions of the chapter's functions live in the library:
:func:`cellcourse.active_learning.entropy` (Exercise 12.1),
:func:`cellcourse.active_learning.query` with ``method="margin"`` (Exercise 12.2)
and :func:`cellcourse.active_learning.labels_to_reach` (Exercise 12.3).
"""

from __future__ import annotations

import numpy as np

from ..active_learning import entropy, labels_to_reach, margin_uncertainty
from ._core import (
    CodingExercise,
    FunctionExercise,
    Incorrect,
    ThoughtExercise,
    as_index_array,
    describe,
)

__all__ = ["q1", "q2", "q3", "q4", "q5"]


# --- Exercise 12.1: the entropy of a prediction ----------------------------------------------------------


def _random_probs(rng, n, k) -> np.ndarray:
    return rng.dirichlet(np.ones(k), size=n)


def _entropy_inputs():
    rng = np.random.default_rng(121)
    certain = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    return [
        ((np.array([[0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3]]),), {}, "2 cells of 3 classes"),
        ((certain,), {}, "3 cells with some probabilities exactly 0"),
        ((_random_probs(rng, 6, 3),), {}, "6 cells of 3 classes"),
        ((_random_probs(rng, 4, 2),), {}, "4 cells of 2 classes"),
        ((_random_probs(rng, 5, 5),), {}, "5 cells of 5 classes"),
    ]


_DIAGNOSTIC_PROBS = np.array([[0.5, 0.25, 0.25], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.7, 0.2]])


def _diagnose_entropy(function) -> str:
    """A specific hint for a typical mistake, from one or two extra calls; "" if none."""
    with_zero = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    try:
        out = np.asarray(function(with_zero.copy()), dtype=np.float64)
        if out.shape == (2,) and np.isnan(out).any():
            return (
                "`prediction_entropy` returns NaN for cells with a probability of exactly 0: "
                "np.log(0) is -inf, and 0 * -inf is NaN. By convention 0 ln 0 = 0: leave "
                "those terms out, e.g. with `np.where(probs > 0, probs * np.log(...), 0)`."
            )
    except Exception:
        pass
    try:
        out = np.asarray(function(_DIAGNOSTIC_PROBS.copy()), dtype=np.float64)
    except Exception:
        return ""
    p = _DIAGNOSTIC_PROBS
    right = entropy(p)
    if out.shape == right.shape:
        if np.allclose(out, -right):
            return "`prediction_entropy` returns negative values: entropy is -sum p ln p."
        if np.allclose(out, right / np.log(2)):
            return (
                "`prediction_entropy` uses the logarithm to base 2 (bits); the task asks for "
                "the natural logarithm, `np.log` (nats)."
            )
        if np.allclose(out, right / p.shape[1]):
            return "`prediction_entropy` averages over the classes; entropy is their sum."
    if out.shape == (p.shape[1],):
        return (
            "`prediction_entropy` returns one value per class; sum over the classes "
            "(`axis=1`) to get one value per cell."
        )
    if out.shape == ():
        return (
            "`prediction_entropy` returns a single number; return one entropy per cell "
            "(sum over the classes only, `axis=1`)."
        )
    return ""


q1 = FunctionExercise(
    diagnose=_diagnose_entropy,
    chapter="12",
    name="q1",
    title="The entropy of each cell's predicted probabilities",
    var="prediction_entropy",
    reference=entropy,
    test_inputs=_entropy_inputs,
    rtol=1e-6,
    atol=1e-9,
    probe=lambda: (np.array([[0.5, 0.5]]),),
    hints=[
        "For each cell (row), entropy is -sum over the classes of p * ln p: 0 when the model "
        "is certain, ln K when all K classes are equally likely.",
        "`-np.sum(probs * np.log(probs), axis=1)` is almost right, but a probability of "
        "exactly 0 gives 0 * -inf = NaN. Count those terms as 0: "
        "`np.where(probs > 0, probs * np.log(np.where(probs > 0, probs, 1)), 0)`.",
    ],
    solution_code=(
        "def prediction_entropy(probs):\n"
        "    safe = np.where(probs > 0, probs, 1)  # ln 1 = 0: the 0 ln 0 terms count as 0\n"
        "    return -np.sum(probs * np.log(safe), axis=1)"
    ),
)


# --- Exercise 12.2: the cells with the smallest margin -----------------------------------------------

# rows chosen so that the margin {0, 1, 3}, least confidence {0, 2, 3}, entropy {0, 2, 6} and
# "most confident" pick different cells
_HAND_PROBS = np.array(
    [
        [0.34, 0.33, 0.33],  # 0: margin 0.01, least confidence 0.66
        [0.50, 0.50, 0.00],  # 1: margin 0 (a tie between two classes), least confidence 0.5
        [0.40, 0.30, 0.30],  # 2: margin 0.1, least confidence 0.6
        [0.45, 0.44, 0.11],  # 3: margin 0.01, least confidence 0.55
        [0.90, 0.05, 0.05],  # 4: confident
        [0.98, 0.01, 0.01],  # 5: very confident
        [0.50, 0.25, 0.25],  # 6: margin 0.25, least confidence 0.5, high entropy
        [0.55, 0.45, 0.00],  # 7: margin 0.1
    ]
)
_HAND_N = 3
_HAND_ANSWER = {0, 1, 3}


def _margin_cases():
    rng = np.random.default_rng(122)
    cases = [(_HAND_PROBS, _HAND_N, "8 cells of 3 classes (by hand)")]
    for n_cells, k, n in ((40, 3, 5), (25, 4, 1), (30, 2, 10)):
        probs = _random_probs(rng, n_cells, k)
        cases.append((probs, n, f"{n_cells} random cells of {k} classes"))
    return cases


def _as_choice(returned, probs, n) -> np.ndarray:
    call = f"`most_uncertain(probs, {n})` ({len(probs)} cells)"
    idx = np.asarray(returned) if isinstance(returned, np.ndarray | list | tuple) else None
    if idx is not None and idx.ndim == 1 and idx.dtype.kind == "f" and len(idx) == len(probs):
        raise Incorrect(
            f"{call} returned {len(idx)} numbers, one per cell: scores? Return the indices of "
            f"the {n} cells with the smallest margin (e.g. the first {n} of `np.argsort`)."
        )
    return as_index_array(returned, call, len(probs), "`probs`", count=n)


def _check_margin(function) -> str | None:
    if not callable(function):
        raise Incorrect(
            f"`most_uncertain` should be a function, but it is {describe(function)}. Pass the "
            "function itself: ex.q2.check(most_uncertain)."
        )
    for probs, n, description in _margin_cases():
        try:
            returned = function(probs.copy(), n)
        except Exception as exc:
            raise Incorrect(
                f"`most_uncertain(probs, {n})` with {description} raised "
                f"{type(exc).__name__}: {str(exc)[:200]}"
            ) from exc
        chosen = set(_as_choice(returned, probs, n).tolist())
        margin = 1 - margin_uncertainty(probs)  # p_first - p_second
        expected = set(np.argsort(margin, kind="stable")[:n].tolist())
        if chosen == expected:
            continue
        if chosen == set(np.argsort(-margin, kind="stable")[:n].tolist()):
            raise Incorrect(
                f"with {description}, `most_uncertain` chose the cells with the *largest* "
                "margin: those the model is surest about. Sort the other way (smallest margin "
                "first)."
            )
        if chosen == set(np.argsort(probs.max(axis=1), kind="stable")[:n].tolist()):
            raise Incorrect(
                f"with {description}, `most_uncertain` chose the cells with the smallest top "
                "probability (least confidence). The task asks for the margin: the largest "
                "minus the second-largest probability."
            )
        if chosen == set(np.argsort(-entropy(probs), kind="stable")[:n].tolist()):
            raise Incorrect(
                f"with {description}, `most_uncertain` chose the cells of highest entropy. "
                "The task asks for the margin: the largest minus the second-largest "
                "probability."
            )
        worst = min(expected - chosen, key=lambda i: margin[i])
        raise Incorrect(
            f"with {description}, `most_uncertain` left out cell {worst}, whose two most "
            f"probable classes differ by only {margin[worst]:.3f}, less than for some cells it "
            "chose. Sort each row to find its largest and second-largest probability."
        )
    return "the cells where the model hesitates most between two classes."


q2 = CodingExercise(
    chapter="12",
    name="q2",
    title="Choose the n cells with the smallest margin",
    var="most_uncertain",
    checker=_check_margin,
    probe=lambda: (np.array([[0.6, 0.4], [0.5, 0.5]]), 1),
    hints=[
        "The margin of a cell is its largest probability minus its second largest: small "
        "when the model hesitates between two classes. `np.sort(probs, axis=1)` puts them in "
        "the last two columns.",
        "`top = np.sort(probs, axis=1)`, `margin = top[:, -1] - top[:, -2]`; then "
        "`np.argsort(margin)[:n]` gives the n cells with the smallest margin.",
    ],
    solution_code=(
        "def most_uncertain(probs, n):\n"
        "    top = np.sort(probs, axis=1)  # each row in increasing order\n"
        "    margin = top[:, -1] - top[:, -2]  # largest minus second largest\n"
        "    return np.argsort(margin)[:n]  # the n smallest margins"
    ),
)


# --- Exercise 12.3: where the curve reaches its plateau ----------------------------------------------


def _plateau_inputs():
    n = np.arange(10, 110, 10)
    smooth = np.array([0.40, 0.62, 0.75, 0.84, 0.89, 0.91, 0.92, 0.93, 0.93, 0.94])
    noisy = np.array([0.45, 0.70, 0.91, 0.86, 0.88, 0.90, 0.93, 0.92, 0.94, 0.93])
    rising_to_max = np.array([0.50, 0.60, 0.80, 0.95, 0.90, 0.88, 0.87, 0.86, 0.85, 0.84])
    return [
        ((n, smooth, 0.95), {}, "a smooth curve of 10 points, fraction 0.95"),
        ((n, noisy, 0.95), {}, "a noisy curve of 10 points, fraction 0.95"),
        ((n, smooth, 0.8), {}, "a smooth curve of 10 points, fraction 0.8"),
        ((np.array([20, 40, 80]), np.array([0.2, 0.4, 0.8]), 0.5), {}, "3 points, fraction 0.5"),
        ((n, rising_to_max, 0.95), {}, "a curve with a peak before its end, fraction 0.95"),
        ((np.array([5, 10]), np.array([0.9, 0.91]), 0.95), {}, "2 points, fraction 0.95"),
    ]


def _reference_plateau(n_labels, scores, fraction):
    return labels_to_reach(n_labels, scores, fraction=fraction)


def _diagnose_plateau(function) -> str:
    n = np.array([10, 20, 30, 40, 50])
    scores = np.array([0.2, 0.58, 0.7, 0.9, 0.6])  # right: 20 labels (0.58 >= 0.95 * 0.6)
    try:
        out = function(n.copy(), scores.copy(), 0.95)
    except Exception:
        return ""
    if out is not None and np.ndim(out) == 0 and np.isclose(out, 1):
        return (
            "`labels_to_reach` returns the position of the point (1), not its number of "
            "labels: index `n_labels` with it."
        )
    if out is not None and np.ndim(out) == 0 and np.isclose(out, 40):
        return (
            "`labels_to_reach` compares with the best score of the curve; the task compares "
            "with its last score (the most labels): `fraction * scores[-1]`."
        )
    return ""


q3 = FunctionExercise(
    diagnose=_diagnose_plateau,
    chapter="12",
    name="q3",
    title="The fewest labels at which the curve reaches its plateau",
    var="labels_to_reach",
    reference=_reference_plateau,
    test_inputs=_plateau_inputs,
    probe=lambda: (np.array([10, 20]), np.array([0.5, 0.6]), 0.95),
    hints=[
        "The threshold is `fraction * scores[-1]`: a fraction of the score with the most "
        "labels. Find the first point whose score is at least that.",
        "`np.flatnonzero(scores >= threshold)[0]` is the position of the first such point; "
        "return the number of labels there, `n_labels[...]`.",
    ],
    solution_code=(
        "def labels_to_reach(n_labels, scores, fraction):\n"
        "    threshold = fraction * scores[-1]  # a fraction of the score with the most labels\n"
        "    first = np.flatnonzero(scores >= threshold)[0]  # the first point at or above it\n"
        "    return n_labels[first]"
    ),
)


# --- Exercise 12.4: a paired comparison ---------------------------------------------------------------

_STRATEGIES = ("random", "uncertainty")


def _check_scores_dict(test_scores) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(test_scores, dict) or set(test_scores) != set(_STRATEGIES):
        raise Incorrect(
            "pass the notebook's `test_scores` as the second argument: a dict with the keys "
            f"'random' and 'uncertainty'; got {describe(test_scores)}."
        )
    try:
        random = np.asarray(test_scores["random"], dtype=np.float64)
        uncertain = np.asarray(test_scores["uncertainty"], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise Incorrect("the values of `test_scores` should be arrays of scores.") from exc
    if random.ndim != 1 or random.shape != uncertain.shape or random.size < 2:
        raise Incorrect(
            "the values of `test_scores` should be 1-D arrays of the same length, one score "
            f"per seed; got shapes {random.shape} and {uncertain.shape}."
        )
    return random, uncertain


def _check_gain(gain, test_scores) -> str | None:
    random, uncertain = _check_scores_dict(test_scores)
    right = uncertain - random
    try:
        value = np.asarray(gain, dtype=np.float64)
    except (TypeError, ValueError):
        raise Incorrect(
            f"`gain` is {describe(gain)}; expected an array of numbers, one per seed."
        ) from None
    if value.ndim == 0:
        hint = " That is the mean gain;" if np.isclose(value, right.mean()) else ""
        raise Incorrect(
            f"`gain` is a single number.{hint} keep one difference per seed, an array of "
            f"{len(right)}: the pairs are what the comparison is about."
        )
    if value.shape != right.shape:
        raise Incorrect(
            f"`gain` has shape {value.shape}; expected ({len(right)},): one difference per seed."
        )
    if np.allclose(value, right, atol=1e-9):
        wins = int(np.sum(right > 0))
        return f"uncertainty sampling is ahead for {wins} of {len(right)} seeds."
    if np.allclose(value, -right, atol=1e-9):
        raise Incorrect(
            "`gain` has the wrong sign: it is random minus uncertainty; the task asks for "
            "uncertainty minus random (positive when uncertainty sampling is better)."
        )
    if np.allclose(value, np.sort(uncertain) - np.sort(random), atol=1e-9):
        raise Incorrect(
            "`gain` pairs the scores after sorting them: subtract the random run of the same "
            "seed, position by position, without sorting."
        )
    raise Incorrect(
        "`gain` differs from the difference of the two strategies seed by seed: "
        "`test_scores['uncertainty'] - test_scores['random']`, in the order of the seeds."
    )


q4 = CodingExercise(
    chapter="12",
    name="q4",
    title="Compare the strategies seed by seed",
    var=("gain", "test_scores"),
    checker=_check_gain,
    hints=[
        "The two runs of one seed start from the same random seed set: compare them with each "
        "other. One difference per seed: uncertainty minus random.",
        "NumPy subtracts arrays element by element: "
        "`test_scores['uncertainty'] - test_scores['random']`.",
    ],
    solution_code=(
        "gain = np.asarray(test_scores['uncertainty']) - np.asarray(test_scores['random'])"
    ),
)


# --- Exercise 12.5: sampling bias -------------------------------------------------------------------

q5 = ThoughtExercise(
    chapter="12",
    name="q5",
    title=(
        "Why must the validation and test cells be drawn at random, and not by the active "
        "learner? What goes wrong if you estimate the model's quality, or the frequency of "
        "each cell type, from the cells it asked for?"
    ),
    hints=[
        "Look at the class mix of the cells uncertainty sampling asked for, and compare it "
        "with the smears. What kind of cells did it ask for: typical ones, or hard ones?",
        "A score estimates how the model does on the cells it will meet. Which cells will it "
        "meet: those it asked for, or those in the next smear?",
    ],
    solution_code=(
        "The cells the active learner asks for are not a sample of the smears: it asks for "
        "the hard, ambiguous cells near its decision boundary, and (here) far more white "
        "cells and platelets than blood holds. Scored on them, a model looks worse than it "
        "is; scored on cells it was trained on, better. Either way the number does not "
        "describe the cells the model will meet. The same bias distorts anything estimated "
        "from the labelled set: the fraction of platelets among the asked cells says nothing "
        "about their fraction in blood, and a model that learns class priors from them "
        "predicts the rare classes too often (chapter 05's threshold moving in reverse). So "
        "draw the validation and test cells at random (from other photographs or patients), "
        "keep them fixed, never let the learner choose them, and report the labelled set's "
        "class mix as what it is: the result of the queries."
    ),
)
