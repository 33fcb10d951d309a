"""Active learning: spend a labelling budget on the cells a model is least sure about.

Labels cost an expert's time. **Active learning** trains a model on a few
labelled cells, asks it which unlabelled cells it is least sure about, has
those labelled, and repeats. **Uncertainty sampling** scores each unlabelled
cell from the model's predicted class probabilities; random sampling, the
baseline, ignores them. A simulated annotator reveals the true labels of a
real, fully labelled dataset one request at a time and counts the cost, so
both strategies can be compared on the same budget.

=========================  ==========================================================
``least_confidence``       1 - the largest probability of each cell
``margin_uncertainty``     1 - (largest - second largest probability)
``entropy``                Shannon entropy of each cell's probabilities (nats)
``uncertainty``            one of the three, by name
``query``                  the next batch of cells to label: most uncertain, or random
``SimulatedAnnotator``     reveals true labels on request, counts labels and time
``logistic_regression``    a fast ``fit_predict`` (scikit-learn) for the loop
``run_active_learning``    rounds of fit, score the pool, query, annotate
``ActiveLearningResult``   what a run returns: labels used, scores, cells asked for
``labels_to_reach``        the number of labels where a curve reaches its plateau
=========================  ==========================================================

Probabilities are ``(N, K)`` arrays (N cells, K classes; rows sum to 1). All
uncertainty scores are "higher = less sure". Randomness only through ``rng``
(same seed, same output). Importing this module does not import Keras. See
chapter 12.

Examples
--------
>>> import numpy as np
>>> probs = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.5, 0.5, 0.0]])
>>> least_confidence(probs).round(2)
array([0.1, 0.6, 0.5])
>>> query(np.array([10, 11, 12]), 1, probs=probs, method="margin")
array([12])

References
----------
.. [1] Lewis, D. D. & Gale, W. A. A sequential algorithm for training text
       classifiers. SIGIR '94, 3–12 (1994). doi:10.1007/978-1-4471-2099-5_1
.. [2] Settles, B. Active Learning. Synthesis Lectures on Artificial
       Intelligence and Machine Learning 6, 1–114 (2012).
       doi:10.2200/S00429ED1V01Y201207AIM018
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .metrics import macro_f1

__all__ = [
    "ActiveLearningResult",
    "SimulatedAnnotator",
    "entropy",
    "labels_to_reach",
    "least_confidence",
    "logistic_regression",
    "margin_uncertainty",
    "query",
    "run_active_learning",
    "uncertainty",
]

_METHODS = ("least_confidence", "margin", "entropy")
_STRATEGIES = ("uncertainty", "random")
_ROW_SUM_TOLERANCE = 1e-3  # float32 softmax outputs sum to 1 within ~1e-6; be generous


# ----------------------------------------------------------------------------------------
# private checks
# ----------------------------------------------------------------------------------------


def _check_probs(probs, what: str = "probs") -> np.ndarray:
    """``probs`` as a float64 ``(N, K)`` array of probabilities, or a clear error."""
    try:
        probs = np.asarray(probs, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"expected {what} as an (N, K) array of class probabilities; got {type(probs).__name__}"
        ) from None
    if probs.ndim != 2 or probs.shape[1] < 2:
        hint = " (one row per cell, one column per class)" if probs.ndim == 1 else ""
        raise ValueError(
            f"expected {what} of shape (N, K) with K >= 2 classes; got {probs.shape}{hint}"
        )
    if not np.isfinite(probs).all():
        raise ValueError(f"expected finite {what}; got {np.sum(~np.isfinite(probs))} NaN/inf")
    if probs.size and (probs.min() < 0 or probs.max() > 1 + _ROW_SUM_TOLERANCE):
        raise ValueError(
            f"expected {what} between 0 and 1; got values from {probs.min():.3g} to "
            f"{probs.max():.3g} (logits? apply a softmax first)"
        )
    sums = probs.sum(axis=1)
    bad = np.abs(sums - 1) > _ROW_SUM_TOLERANCE
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"expected every row of {what} to sum to 1 (class probabilities of one cell); "
            f"row {row} sums to {sums[row]:.4g} ({int(bad.sum())} of {len(sums)} rows do not)"
        )
    return probs


def _check_indices(indices, n_samples: int | None, what: str) -> np.ndarray:
    """Distinct non-negative int64 indices ``(P,)``, below ``n_samples`` if given."""
    indices = np.asarray(indices)
    if indices.ndim != 1:
        raise ValueError(f"expected {what} as a 1-D array of cell indices; got {indices.shape}")
    if indices.size and indices.dtype.kind not in "iu":
        raise TypeError(f"expected {what} as integer cell indices; got dtype {indices.dtype}")
    indices = indices.astype(np.int64)
    if indices.size and indices.min() < 0:
        raise ValueError(f"expected {what} >= 0; got a minimum of {indices.min()}")
    if n_samples is not None and indices.size and indices.max() >= n_samples:
        raise ValueError(
            f"expected {what} from 0 to {n_samples - 1} ({n_samples} cells); got a maximum of "
            f"{indices.max()}"
        )
    if np.unique(indices).size != indices.size:
        raise ValueError(
            f"expected distinct {what}; got {indices.size - np.unique(indices).size} repeated"
        )
    return indices


def _check_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"expected {name} as an int >= {minimum}; got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------------------
# uncertainty scores
# ----------------------------------------------------------------------------------------


def least_confidence(probs) -> np.ndarray:
    """One minus the largest class probability of each cell.

    Parameters
    ----------
    probs : (N, K) array_like of float
        Predicted class probabilities; every row sums to 1.

    Returns
    -------
    (N,) ndarray of float64
        From 0 (certain) to 1 - 1/K (all classes equally likely).

    Raises
    ------
    TypeError, ValueError
        If ``probs`` is not an (N, K) array of probabilities.

    Examples
    --------
    >>> least_confidence([[0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3]]).round(3)
    array([0.3  , 0.667])

    References
    ----------
    .. [1] Lewis, D. D. & Gale, W. A. SIGIR '94 (1994). doi:10.1007/978-1-4471-2099-5_1
    """
    probs = _check_probs(probs)
    return 1.0 - probs.max(axis=1)


def margin_uncertainty(probs) -> np.ndarray:
    """One minus the margin between the two most probable classes of each cell.

    Parameters
    ----------
    probs : (N, K) array_like of float
        Predicted class probabilities; every row sums to 1.

    Returns
    -------
    (N,) ndarray of float64
        ``1 - (p_first - p_second)``: 0 when one class has all the probability,
        1 when the top two are tied (the model hesitates between two classes).

    Raises
    ------
    TypeError, ValueError
        If ``probs`` is not an (N, K) array of probabilities.

    Examples
    --------
    >>> margin_uncertainty([[0.7, 0.2, 0.1], [0.45, 0.45, 0.1]]).round(3)
    array([0.5, 1. ])

    References
    ----------
    .. [1] Scheffer, T., Decomain, C. & Wrobel, S. Active hidden Markov models for
           information extraction. IDA 2001, 309–318 (2001). doi:10.1007/3-540-44816-0_31
    """
    probs = _check_probs(probs)
    top_two = np.sort(probs, axis=1)[:, -2:]  # (N, 2): second largest, largest
    return 1.0 - (top_two[:, 1] - top_two[:, 0])


def entropy(probs) -> np.ndarray:
    """Shannon entropy of each cell's class probabilities, in nats.

    Parameters
    ----------
    probs : (N, K) array_like of float
        Predicted class probabilities; every row sums to 1.

    Returns
    -------
    (N,) ndarray of float64
        ``-sum_k p_k ln p_k`` with ``0 ln 0 = 0``: from 0 (certain) to ln K
        (all classes equally likely).

    Raises
    ------
    TypeError, ValueError
        If ``probs`` is not an (N, K) array of probabilities.

    Examples
    --------
    >>> entropy([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]).round(4)
    array([0.    , 0.6931])

    References
    ----------
    .. [1] Shannon, C. E. A mathematical theory of communication. Bell Syst Tech J
           27, 379–423 (1948). doi:10.1002/j.1538-7305.1948.tb01338.x
    """
    probs = _check_probs(probs)
    terms = np.zeros_like(probs)
    positive = probs > 0
    terms[positive] = probs[positive] * np.log(probs[positive])  # 0 ln 0 = 0, no NaN
    return np.abs(terms.sum(axis=1))  # each term <= 0; abs() also turns -0.0 into 0.0


_SCORES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "least_confidence": least_confidence,
    "margin": margin_uncertainty,
    "entropy": entropy,
}


def _check_method(method) -> str:
    if method not in _SCORES:
        raise ValueError(f"expected method as one of {list(_METHODS)}; got {method!r}")
    return method


def uncertainty(probs, method="least_confidence") -> np.ndarray:
    """An uncertainty score of each cell, by name of the method.

    Parameters
    ----------
    probs : (N, K) array_like of float
        Predicted class probabilities; every row sums to 1.
    method : {"least_confidence", "margin", "entropy"}
        :func:`least_confidence`, :func:`margin_uncertainty` or :func:`entropy`.

    Returns
    -------
    (N,) ndarray of float64
        Higher means less sure.

    Raises
    ------
    TypeError, ValueError
        If ``probs`` is not an (N, K) array of probabilities or ``method`` is unknown.

    Examples
    --------
    >>> uncertainty([[0.6, 0.4]], method="margin").round(2)
    array([0.8])
    """
    return _SCORES[_check_method(method)](probs)


# ----------------------------------------------------------------------------------------
# choosing the next cells
# ----------------------------------------------------------------------------------------


def query(pool, n, probs=None, strategy="uncertainty", method="least_confidence", rng=None):
    """Choose the next ``n`` cells to label from the unlabelled pool.

    Parameters
    ----------
    pool : (P,) array_like of int
        Indices of the unlabelled cells (distinct).
    n : int
        How many to choose, 1 to P.
    probs : (P, K) array_like of float, optional
        The model's class probabilities for the cells of ``pool``, row by row;
        needed for ``strategy="uncertainty"``, ignored for ``"random"``.
    strategy : {"uncertainty", "random"}
        ``"uncertainty"``: the ``n`` cells with the highest uncertainty score
        (ties broken at random); ``"random"``: ``n`` cells drawn uniformly
        without replacement, the baseline.
    method : {"least_confidence", "margin", "entropy"}
        The uncertainty score (see :func:`uncertainty`).
    rng : numpy.random.Generator or int or None
        For the random draw and for breaking ties.

    Returns
    -------
    (n,) ndarray of int64
        Elements of ``pool``; for ``"uncertainty"``, the most uncertain first.

    Raises
    ------
    TypeError, ValueError
        If ``pool`` is not distinct integer indices, ``n`` is not between 1 and
        P, ``probs`` does not have one row per pool cell, or a name is unknown.

    Examples
    --------
    >>> probs = [[0.9, 0.1], [0.6, 0.4], [0.5, 0.5]]
    >>> query([7, 8, 9], 2, probs=probs)
    array([9, 8])
    >>> query([7, 8, 9], 2, strategy="random", rng=0).shape
    (2,)
    """
    pool = _check_indices(pool, None, "pool")
    if pool.size == 0:
        raise ValueError("expected a non-empty pool of unlabelled cells; got an empty one")
    n = _check_int(n, "n")
    if n > pool.size:
        raise ValueError(
            f"expected n at most the size of the pool ({pool.size} unlabelled cells); got {n}"
        )
    if strategy not in _STRATEGIES:
        raise ValueError(f"expected strategy as one of {list(_STRATEGIES)}; got {strategy!r}")
    _check_method(method)
    rng = np.random.default_rng(rng)
    if strategy == "random":
        return rng.choice(pool, size=n, replace=False)
    if probs is None:
        raise ValueError(
            'strategy="uncertainty" needs probs, the model\'s (P, K) class probabilities of '
            'the pool cells; got None (or use strategy="random")'
        )
    probs = _check_probs(probs)
    if probs.shape[0] != pool.size:
        raise ValueError(
            f"expected probs with one row per pool cell, ({pool.size}, K); got {probs.shape}"
        )
    scores = uncertainty(probs, method)
    # highest score first; a random key breaks ties, so equal scores do not favour the
    # cells that happen to come first in the pool (e.g. the first photographs)
    order = np.lexsort((rng.random(pool.size), -scores))
    return pool[order[:n]]


# ----------------------------------------------------------------------------------------
# the simulated annotator
# ----------------------------------------------------------------------------------------


class SimulatedAnnotator:
    """Reveals the true labels of a fully labelled dataset on request, and counts the cost.

    It stands in for an expert in an experiment: the strategies ask it for
    the labels of chosen cells, it answers with the dataset's labels, and it
    keeps the bill (labels given, annotation time). It refuses to label a
    cell twice and to go over its budget.

    Parameters
    ----------
    y : (S,) array_like of int
        The true class of every cell of the dataset (hidden until asked for).
    seconds_per_label : float
        The annotator's time per cell, e.g. 5 seconds to look at a crop and
        click its class.
    budget : int, optional
        The most labels it will give; None: no limit.

    Attributes
    ----------
    asked : (L,) ndarray of int64
        The cells labelled so far, in the order they were asked for.
    n_labelled : int
    seconds, minutes : float
        Annotation time spent so far.

    Raises
    ------
    TypeError, ValueError
        If ``y`` is not 1-D integer labels, ``seconds_per_label`` is not a
        positive number or ``budget`` not a positive int.

    Examples
    --------
    >>> annotator = SimulatedAnnotator([0, 1, 1, 2], seconds_per_label=6, budget=3)
    >>> annotator.annotate([3, 0])
    array([2, 0])
    >>> annotator.n_labelled, annotator.minutes, annotator.remaining
    (2, 0.2, 1)
    """

    def __init__(self, y, seconds_per_label=5.0, budget=None):
        y = np.asarray(y)
        if y.ndim != 1 or y.size == 0:
            raise ValueError(f"expected y of shape (S,) with S >= 1 labels; got {y.shape}")
        if y.dtype.kind not in "iu":
            raise TypeError(f"expected y as integer class indices; got dtype {y.dtype}")
        if (
            isinstance(seconds_per_label, bool)
            or not isinstance(seconds_per_label, numbers.Real)
            or not np.isfinite(seconds_per_label)
            or seconds_per_label <= 0
        ):
            raise ValueError(
                f"expected seconds_per_label as a positive number; got {seconds_per_label!r}"
            )
        if budget is not None:
            budget = _check_int(budget, "budget")
        self._y = y.astype(np.int64).copy()
        self._y.flags.writeable = False
        self.seconds_per_label = float(seconds_per_label)
        self.budget = budget
        self._asked: list[int] = []
        self._seen: set[int] = set()

    def __repr__(self) -> str:
        limit = "no budget" if self.budget is None else f"budget {self.budget}"
        return (
            f"SimulatedAnnotator({self.n_labelled} labels given, {self.minutes:.1f} min, {limit})"
        )

    @property
    def asked(self) -> np.ndarray:
        """(L,) int64 indices of the cells labelled so far, in order."""
        return np.array(self._asked, dtype=np.int64)

    @property
    def n_labelled(self) -> int:
        """Number of labels given so far."""
        return len(self._asked)

    @property
    def seconds(self) -> float:
        """Annotation time spent so far, in seconds."""
        return self.n_labelled * self.seconds_per_label

    @property
    def minutes(self) -> float:
        """Annotation time spent so far, in minutes."""
        return self.seconds / 60

    @property
    def remaining(self) -> int | None:
        """Labels left in the budget (None: no budget)."""
        return None if self.budget is None else self.budget - self.n_labelled

    def annotate(self, indices) -> np.ndarray:
        """The true labels of the cells ``indices``; they count against the budget.

        Parameters
        ----------
        indices : (n,) array_like of int
            Cells to label, distinct and never asked for before.

        Returns
        -------
        (n,) ndarray of int64
            Their true classes.

        Raises
        ------
        TypeError, ValueError
            If an index is out of range or repeated, a cell was labelled
            before, or the labels would exceed the budget.
        """
        indices = _check_indices(indices, self._y.size, "indices")
        again = [int(i) for i in indices if int(i) in self._seen]
        if again:
            raise ValueError(
                f"expected only cells not labelled yet; cell {again[0]} was labelled before "
                f"({len(again)} of the {indices.size} requested were): remove labelled cells "
                "from the pool"
            )
        if self.budget is not None and self.n_labelled + indices.size > self.budget:
            raise ValueError(
                f"expected at most {self.remaining} more labels (budget {self.budget}, "
                f"{self.n_labelled} given); got a request for {indices.size}"
            )
        self._asked.extend(int(i) for i in indices)
        self._seen.update(int(i) for i in indices)
        return self._y[indices].copy()


# ----------------------------------------------------------------------------------------
# a fast model for the loop
# ----------------------------------------------------------------------------------------


def logistic_regression(n_classes, c=1.0, class_weight=None, max_iter=500):
    """A ``fit_predict`` function: logistic regression (scikit-learn) on feature vectors.

    Fast enough to retrain from scratch in every round of active learning, on
    frozen features of a pretrained backbone
    (:func:`cellcourse.train.extract_features`).

    Parameters
    ----------
    n_classes : int
        Number of classes K (>= 2). The probabilities always have K columns,
        also when the labelled cells lack a class (early rounds): an unseen
        class gets probability 0.
    c : float
        Inverse strength of the L2 penalty (scikit-learn's ``C``); smaller is
        smoother, which helps with few labels.
    class_weight : None or "balanced"
        As in :func:`cellcourse.train.fit_classifier`: ``"balanced"`` makes
        every class count the same in the loss (chapter 05).
    max_iter : int
        Iterations of the L-BFGS solver.

    Returns
    -------
    callable
        ``fit_predict(x_labelled, y_labelled, x_eval) -> probs``, with
        ``x_labelled (L, F)``, ``y_labelled (L,)`` int, ``x_eval (N, F)`` and
        ``probs (N, K)`` float64, rows summing to 1. It trains a new model at
        each call.

    Raises
    ------
    TypeError, ValueError
        If the arguments are out of range; the returned function raises if
        its inputs do not match.

    Examples
    --------
    >>> fit_predict = logistic_regression(n_classes=3)
    >>> x = np.array([[0.0, 0.0], [0.1, 0.0], [3.0, 3.0], [3.1, 2.9]])
    >>> fit_predict(x, np.array([0, 0, 2, 2]), np.array([[0.0, 0.1], [3.0, 3.1]])).argmax(axis=1)
    array([0, 2])
    """
    n_classes = _check_int(n_classes, "n_classes", minimum=2)
    if isinstance(c, bool) or not isinstance(c, numbers.Real) or not c > 0:
        raise ValueError(f"expected c as a positive number; got {c!r}")
    if class_weight not in (None, "balanced"):
        raise ValueError(f'expected class_weight as None or "balanced"; got {class_weight!r}')
    max_iter = _check_int(max_iter, "max_iter")

    def fit_predict(x_labelled, y_labelled, x_eval):
        x_labelled = np.asarray(x_labelled, dtype=np.float64)
        x_eval = np.asarray(x_eval, dtype=np.float64)
        y_labelled = np.asarray(y_labelled)
        if x_labelled.ndim != 2 or x_eval.ndim != 2 or x_labelled.shape[1] != x_eval.shape[1]:
            raise ValueError(
                f"expected x_labelled (L, F) and x_eval (N, F) feature vectors; got "
                f"{x_labelled.shape} and {x_eval.shape}"
            )
        if y_labelled.shape != (len(x_labelled),) or y_labelled.dtype.kind not in "iu":
            raise ValueError(
                f"expected y_labelled as ({len(x_labelled)},) integer labels; got shape "
                f"{y_labelled.shape}, dtype {y_labelled.dtype}"
            )
        if y_labelled.size == 0 or y_labelled.min() < 0 or y_labelled.max() >= n_classes:
            raise ValueError(
                f"expected at least one label, each from 0 to {n_classes - 1}; got "
                f"{np.unique(y_labelled).tolist()}"
            )
        present = np.unique(y_labelled)
        probs = np.zeros((len(x_eval), n_classes))
        if present.size == 1:  # one class seen: nothing to separate yet
            probs[:, present[0]] = 1.0
            return probs
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=float(c), class_weight=class_weight, max_iter=max_iter)
        with warnings.catch_warnings():
            # with a few separable cells the optimum lies far out; the model it reaches in
            # max_iter steps predicts fine, and the warning would fire in every round
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x_labelled, y_labelled)
        probs[:, model.classes_] = model.predict_proba(x_eval)
        return probs

    return fit_predict


# ----------------------------------------------------------------------------------------
# the loop
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveLearningResult:
    """What :func:`run_active_learning` returns: one row per round.

    Attributes
    ----------
    strategy, method : str
        How the cells were chosen.
    n_labels : (R,) ndarray of int64
        Labelled cells the model of each round was trained on.
    scores : (R,) ndarray of float64
        Validation macro-F1 of the model of each round.
    queried : tuple of R arrays of int64
        The cells added to the labelled set just before each round: the
        random seed set for round 0, then the cells the model of the round
        before asked for.
    labelled : (L,) ndarray of int64
        All cells labelled, in the order they were asked for; the model of
        round r was trained on ``labelled[:n_labels[r]]``.
    minutes : (R,) ndarray of float64
        Annotation time spent by each round.
    """

    strategy: str
    method: str
    n_labels: np.ndarray
    scores: np.ndarray
    queried: tuple
    labelled: np.ndarray
    minutes: np.ndarray

    def table(self):
        """The rounds as a pandas DataFrame: labels, minutes, score, cells added before each."""
        import pandas as pd

        return pd.DataFrame(
            {
                "n_labels": self.n_labels,
                "minutes": self.minutes,
                "val_macro_f1": self.scores,
                "added": [np.asarray(q).tolist() for q in self.queried],
            },
            index=pd.RangeIndex(len(self.n_labels), name="round"),
        )


def run_active_learning(
    x,
    annotator,
    pool,
    fit_predict,
    x_val,
    y_val,
    budget,
    seed_size=10,
    batch_size=10,
    strategy="uncertainty",
    method="least_confidence",
    rng=None,
):
    """Rounds of active learning: fit, score the pool, query, annotate, until the budget.

    Round 0 trains on ``seed_size`` cells drawn at random from ``pool`` (a
    model needs labels before it can be uncertain). Each round then trains a
    new model on all cells labelled so far with ``fit_predict``, scores it on
    the validation cells (macro-F1), and, while labels are left in the budget,
    asks ``annotator`` for the next ``batch_size`` cells chosen by ``query``
    from the cells of ``pool`` not labelled yet.

    Parameters
    ----------
    x : (S, F) array_like
        Inputs of every cell of the dataset, e.g. frozen features; rows are
        indexed by ``pool``.
    annotator : SimulatedAnnotator
        Gives the labels; it must not have labelled any cell yet.
    pool : (P,) array_like of int
        Indices into ``x`` of the cells that may be labelled (the training
        split). Never the validation or test cells.
    fit_predict : callable
        ``fit_predict(x_labelled (L, F), y_labelled (L,), x_eval (N, F)) ->
        (N, K) probabilities``; a new model each call, e.g.
        :func:`logistic_regression`.
    x_val : (V, F) array_like
    y_val : (V,) array_like of int
        Validation cells, drawn at random (natural class frequencies), never
        from the pool.
    budget : int
        Total labels to spend, ``seed_size`` to P.
    seed_size, batch_size : int
        Labels of the random start, and labels asked for per round.
    strategy : {"uncertainty", "random"}
    method : {"least_confidence", "margin", "entropy"}
        See :func:`query`.
    rng : numpy.random.Generator or int or None
        For the seed set, random queries and ties.

    Returns
    -------
    ActiveLearningResult
        ``n_labels`` ``(R,)``, ``scores`` ``(R,)``, ``queried``, ``labelled``,
        ``minutes``; ``result.table()`` shows them as a table.

    Raises
    ------
    TypeError, ValueError
        If the sizes do not fit together (``budget`` larger than the pool,
        ``seed_size`` larger than ``budget``...), the annotator was used
        before, or ``fit_predict`` returns something else than (N, K)
        probabilities.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, (30, 2)), rng.normal(4, 1, (30, 2))])
    >>> y = np.repeat([0, 1], 30)
    >>> result = run_active_learning(x, SimulatedAnnotator(y), np.arange(0, 60, 2),
    ...                              logistic_regression(2), x[1::2], y[1::2], budget=8,
    ...                              seed_size=4, batch_size=2, rng=0)
    >>> result.n_labels.tolist(), len(result.labelled)
    ([4, 6, 8], 8)
    """
    x = np.asarray(x)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"expected x of shape (S, F) with one row per cell; got {x.shape}")
    if not isinstance(annotator, SimulatedAnnotator):
        raise TypeError(
            f"expected annotator as a SimulatedAnnotator; got {type(annotator).__name__}"
        )
    if annotator.n_labelled:
        raise ValueError(
            f"expected a fresh annotator; this one has labelled {annotator.n_labelled} cells "
            "already (make a new SimulatedAnnotator for every run)"
        )
    if annotator._y.size != x.shape[0]:
        raise ValueError(
            f"expected the annotator's labels for all {x.shape[0]} cells of x; it has "
            f"{annotator._y.size}"
        )
    pool = _check_indices(pool, x.shape[0], "pool")
    if not callable(fit_predict):
        raise TypeError(f"expected fit_predict as a function; got {type(fit_predict).__name__}")
    x_val = np.asarray(x_val)
    y_val = np.asarray(y_val)
    if x_val.shape[1:] != x.shape[1:] or x_val.shape[0] == 0:
        raise ValueError(
            f"expected x_val of shape (V, {', '.join(map(str, x.shape[1:]))}) like x; got "
            f"{x_val.shape}"
        )
    if y_val.shape != (x_val.shape[0],) or y_val.dtype.kind not in "iu":
        raise ValueError(
            f"expected y_val as ({x_val.shape[0]},) integer labels; got shape {y_val.shape}, "
            f"dtype {y_val.dtype}"
        )
    budget = _check_int(budget, "budget")
    seed_size = _check_int(seed_size, "seed_size")
    batch_size = _check_int(batch_size, "batch_size")
    if budget > pool.size:
        raise ValueError(f"expected budget at most the pool size ({pool.size}); got {budget}")
    if seed_size > budget:
        raise ValueError(f"expected seed_size at most the budget ({budget}); got {seed_size}")
    if strategy not in _STRATEGIES:
        raise ValueError(f"expected strategy as one of {list(_STRATEGIES)}; got {strategy!r}")
    _check_method(method)
    if annotator.budget is not None and annotator.budget < budget:
        raise ValueError(
            f"expected an annotator with a budget of at least {budget}; it has {annotator.budget}"
        )
    rng = np.random.default_rng(rng)

    seed = rng.choice(pool, size=seed_size, replace=False)
    queried = [seed]
    labels = [annotator.annotate(seed)]
    unlabelled = np.setdiff1d(pool, seed)  # sorted; the seed order does not matter here
    n_labels, scores, minutes = [], [], []
    while True:
        labelled = np.concatenate(queried)
        y_labelled = np.concatenate(labels)
        eval_x = np.concatenate([x_val, x[unlabelled]])
        probs = fit_predict(x[labelled], y_labelled, eval_x)
        probs = _check_probs(probs, "the probabilities returned by fit_predict")
        if probs.shape[0] != eval_x.shape[0]:
            raise ValueError(
                f"expected fit_predict to return one row per evaluated cell "
                f"({eval_x.shape[0]}, K); got {probs.shape}"
            )
        n_labels.append(labelled.size)
        scores.append(macro_f1(y_val, probs[: len(y_val)].argmax(axis=1)))
        minutes.append(annotator.minutes)
        n_next = min(batch_size, budget - labelled.size)
        if n_next == 0:
            break
        chosen = query(
            unlabelled,
            n_next,
            probs=probs[len(y_val) :],
            strategy=strategy,
            method=method,
            rng=rng,
        )
        queried.append(chosen)
        labels.append(annotator.annotate(chosen))
        unlabelled = np.setdiff1d(unlabelled, chosen)
    return ActiveLearningResult(
        strategy=strategy,
        method=method,
        n_labels=np.array(n_labels, dtype=np.int64),
        scores=np.array(scores, dtype=np.float64),
        queried=tuple(np.asarray(q, dtype=np.int64) for q in queried),
        labelled=np.concatenate(queried).astype(np.int64),
        minutes=np.array(minutes, dtype=np.float64),
    )


# ----------------------------------------------------------------------------------------
# reading the curve
# ----------------------------------------------------------------------------------------


def labels_to_reach(n_labels, scores, fraction=0.95, target=None):
    """The fewest labels at which a learning curve reaches its plateau (or a target).

    Parameters
    ----------
    n_labels : (R,) array_like of int
        Number of labels at each point of the curve, increasing.
    scores : (R,) array_like of float
        The score at each point (e.g. validation macro-F1; a mean over seeds).
    fraction : float
        Between 0 and 1: the plateau is reached at the first point whose score
        is at least ``fraction`` times the last score (the most labels).
    target : float, optional
        Instead, the first point whose score is at least ``target``.

    Returns
    -------
    int or None
        ``n_labels`` at that point; None if the curve never reaches ``target``.

    Raises
    ------
    TypeError, ValueError
        If the arrays differ in length, are empty, ``n_labels`` does not
        increase, or ``fraction`` is not in (0, 1].

    Notes
    -----
    A curve that jumps above the threshold once and falls back still counts
    at its first crossing; smooth it (a mean over seeds) first.

    Examples
    --------
    >>> labels_to_reach([10, 20, 40, 80], [0.5, 0.8, 0.9, 0.92])
    40
    >>> labels_to_reach([10, 20, 40, 80], [0.5, 0.8, 0.9, 0.92], target=0.85)
    40
    >>> labels_to_reach([10, 20], [0.5, 0.6], target=0.9) is None
    True
    """
    n_labels = np.asarray(n_labels)
    try:
        scores = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"expected scores as numbers; got {scores!r}") from None
    if n_labels.ndim != 1 or n_labels.size == 0 or scores.shape != n_labels.shape:
        raise ValueError(
            f"expected n_labels and scores as two 1-D arrays of the same, non-zero length; "
            f"got shapes {n_labels.shape} and {scores.shape}"
        )
    if n_labels.dtype.kind not in "iuf" or np.any(np.diff(n_labels) <= 0):
        raise ValueError(f"expected n_labels as increasing numbers; got {n_labels.tolist()}")
    if not np.isfinite(scores).all():
        raise ValueError(f"expected finite scores; got {scores.tolist()}")
    if target is None:
        if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
            raise TypeError(f"expected fraction as a number; got {fraction!r}")
        if not 0 < fraction <= 1:
            raise ValueError(f"expected fraction in (0, 1]; got {fraction}")
        threshold = fraction * scores[-1]
    else:
        if isinstance(target, bool) or not isinstance(target, numbers.Real):
            raise TypeError(f"expected target as a number or None; got {target!r}")
        threshold = float(target)
    reached = np.flatnonzero(scores >= threshold)
    if reached.size == 0:
        return None
    value = n_labels[reached[0]]
    return int(value) if float(value).is_integer() else float(value)
