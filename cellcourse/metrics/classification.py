"""Metrics for classification: confusion matrix, accuracy, precision, recall and F1.

Written with NumPy only, so that learners can read how each number is made.
Every function takes ``y_true``, a ``(N,)`` array of class indices, and
``y_pred``, either ``(N,)`` class indices or ``(N, K)`` scores (probabilities,
logits) for K classes, in which case the predicted class of each sample is the
column with the highest score (``argmax``; ties go to the lower class index).

A ratio whose denominator is zero (the precision of a class that is never
predicted, the recall of a class absent from ``y_true``) is defined as 0.0,
like scikit-learn's ``zero_division=0``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "accuracy",
    "balanced_accuracy",
    "classification_report",
    "confusion_matrix",
    "macro_f1",
    "precision_recall_f1",
]


def _as_labels(y, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        hint = (
            f"; if these are one-hot rows, pass {name}.argmax(axis=1)"
            if y.ndim == 2 and name == "y_true"
            else ""
        )
        raise ValueError(f"expected {name} of shape (N,) with class indices; got {y.shape}{hint}")
    if y.size == 0:
        raise ValueError(f"expected at least one sample in {name}; got an empty array")
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"expected {name} as integer class indices (0, 1, 2, ...); got dtype {y.dtype}"
        )
    if y.min() < 0:
        raise ValueError(
            f"expected non-negative class indices in {name}; got a minimum of {y.min()}"
        )
    return y.astype(np.int64)


def _check_n_classes(n_classes, largest: int, what: str) -> int:
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer):
        raise TypeError(f"n_classes must be an integer or None; got {type(n_classes).__name__}")
    if n_classes < largest + 1:
        raise ValueError(
            f"n_classes={n_classes} is too small: {what} holds class index {largest}, "
            f"so at least {largest + 1} classes are needed"
        )
    return int(n_classes)


def _labels_and_classes(y_true, y_pred, n_classes=None) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated ``(y_true, y_pred)`` as ``(N,)`` int64 class indices, and the number of classes."""
    y_true = _as_labels(y_true, "y_true")
    scores = np.asarray(y_pred)
    n_scores = None
    if scores.ndim == 2:
        if scores.dtype.kind not in "biuf":
            raise TypeError(f"expected numeric scores in y_pred; got dtype {scores.dtype}")
        if scores.shape[1] == 0:
            raise ValueError(
                f"expected y_pred scores of shape (N, K) with K >= 1; got {scores.shape}"
            )
        if scores.dtype.kind == "f" and not np.all(np.isfinite(scores)):
            raise ValueError("expected finite scores in y_pred; got NaN or infinite values")
        n_scores = scores.shape[1]
        y_pred = scores.argmax(axis=1)
    elif scores.ndim != 1:
        raise ValueError(
            f"expected y_pred of shape (N,) with class indices or (N, K) with scores; "
            f"got {scores.shape}"
        )
    y_pred = _as_labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"expected y_true and y_pred of the same length; got {len(y_true)} and {len(y_pred)}"
        )
    largest_true = int(y_true.max())
    if n_scores is not None:
        if n_classes is not None and n_classes != n_scores:
            raise ValueError(
                f"n_classes={n_classes} does not match the {n_scores} score columns of y_pred"
            )
        return y_true, y_pred, _check_n_classes(n_scores, largest_true, "y_true")
    largest = max(largest_true, int(y_pred.max()))
    if n_classes is None:
        return y_true, y_pred, largest + 1
    what = "y_true" if largest_true >= largest else "y_pred"
    return y_true, y_pred, _check_n_classes(n_classes, largest, what)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` element-wise, with 0/0 defined as 0.0."""
    out = np.zeros(len(numerator), dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def confusion_matrix(y_true, y_pred, n_classes=None) -> np.ndarray:
    """Count how often each true class is predicted as each class.

    Parameters
    ----------
    y_true : (N,) array_like of int
        True class indices, 0 to K - 1.
    y_pred : (N,) array_like of int, or (N, K) array_like of float
        Predicted class indices, or scores for K classes (the highest wins).
    n_classes : int, optional
        Number of classes K; default the largest class index seen plus one
        (or the number of score columns).

    Returns
    -------
    (K, K) ndarray of int64
        ``cm[i, j]`` = number of samples of true class ``i`` predicted as class
        ``j``. Rows are true classes, columns predicted classes; the diagonal
        holds the correct predictions, each row sums to that class's support.

    Raises
    ------
    ValueError, TypeError
        If the labels are not 1-D non-negative integers of the same length, or
        ``n_classes`` is smaller than a class index present.

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1])
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 1, 0]])
    """
    y_true, y_pred, k = _labels_and_classes(y_true, y_pred, n_classes)
    # each (true, pred) pair is one cell of a k x k table: flatten it to count with bincount
    return np.bincount(k * y_true + y_pred, minlength=k * k).reshape(k, k).astype(np.int64)


def accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose predicted class is the true class.

    Parameters
    ----------
    y_true : (N,) array_like of int
    y_pred : (N,) array_like of int, or (N, K) array_like of float

    Returns
    -------
    float
        Between 0 and 1. With unbalanced classes a high accuracy can hide a
        class that is never recognised: see :func:`balanced_accuracy`.

    Examples
    --------
    >>> accuracy([0, 0, 1, 2], [0, 1, 1, 1])
    0.5
    """
    y_true, y_pred, _ = _labels_and_classes(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def balanced_accuracy(y_true, y_pred) -> float:
    """Mean recall over the classes present in ``y_true``.

    Each class counts the same however many samples it has, so a classifier
    that always answers the majority class scores ``1 / K`` instead of the
    majority's share.

    Parameters
    ----------
    y_true : (N,) array_like of int
    y_pred : (N,) array_like of int, or (N, K) array_like of float

    Returns
    -------
    float
        Between 0 and 1. Classes absent from ``y_true`` have no recall and are
        left out of the mean (as in scikit-learn's ``balanced_accuracy_score``).

    References
    ----------
    .. [1] Brodersen et al., "The balanced accuracy and its posterior
       distribution", ICPR 2010, doi:10.1109/ICPR.2010.764

    Examples
    --------
    >>> balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0])  # recalls 1.0 and 0.0
    0.5
    """
    cm = confusion_matrix(y_true, y_pred)
    support = cm.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(cm)[present] / support[present]))


def precision_recall_f1(y_true, y_pred, n_classes=None) -> dict[str, np.ndarray]:
    """Precision, recall, F1 score and support of every class.

    Parameters
    ----------
    y_true : (N,) array_like of int
    y_pred : (N,) array_like of int, or (N, K) array_like of float
    n_classes : int, optional
        Number of classes K (see :func:`confusion_matrix`).

    Returns
    -------
    dict of str to (K,) ndarray
        ``precision`` (float64): of the samples predicted as the class, the
        fraction that truly are; ``recall`` (float64): of the samples of the
        class, the fraction found; ``f1`` (float64): their harmonic mean,
        computed as ``2 TP / (2 TP + FP + FN)``; ``support`` (int64): number of
        samples of the class in ``y_true``. A 0/0 is 0.0: the precision of a
        class never predicted, the recall of a class absent from ``y_true``,
        the F1 of a class in neither (scikit-learn's ``zero_division=0``).

    Examples
    --------
    >>> scores = precision_recall_f1([0, 0, 1, 2], [0, 1, 1, 1])
    >>> scores["precision"], scores["recall"]
    (array([1.        , 0.33333333, 0.        ]), array([0.5, 1. , 0. ]))
    """
    cm = confusion_matrix(y_true, y_pred, n_classes)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp  # predicted as the class, but of another class
    fn = cm.sum(axis=1) - tp  # of the class, but predicted as another
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "support": cm.sum(axis=1),
    }


def macro_f1(y_true, y_pred) -> float:
    """Unweighted mean of the per-class F1 scores.

    Parameters
    ----------
    y_true : (N,) array_like of int
    y_pred : (N,) array_like of int, or (N, K) array_like of float

    Returns
    -------
    float
        Mean F1 over the classes that occur in ``y_true`` or in ``y_pred``
        (a class in neither has no F1 to average; scikit-learn's
        ``f1_score(average="macro")`` does the same when ``labels`` is not given).
        With score input, only the predicted classes count, not every column.

    Examples
    --------
    >>> round(macro_f1([0, 0, 1, 2], [0, 1, 1, 1]), 4)  # F1 = 2/3, 1/2, 0
    0.3889
    """
    y_true, y_pred, k = _labels_and_classes(y_true, y_pred)
    f1 = precision_recall_f1(y_true, y_pred, k)["f1"]
    seen = np.union1d(y_true, y_pred)
    return float(np.mean(f1[seen]))


def classification_report(y_true, y_pred, class_names=None, digits: int = 3) -> str:
    """A printable table of precision, recall, F1 and support per class.

    Parameters
    ----------
    y_true : (N,) array_like of int
    y_pred : (N,) array_like of int, or (N, K) array_like of float
    class_names : sequence of str, optional
        Name of each class, in index order; their number is the number of
        classes K. Default ``"0"``, ``"1"``, ... up to the largest index seen.
    digits : int
        Decimals of the scores.

    Returns
    -------
    str
        One row per class, then accuracy, balanced accuracy and the macro
        averages of precision, recall and F1 (over classes present in
        ``y_true`` or ``y_pred``, as in :func:`macro_f1`).

    Examples
    --------
    >>> print(classification_report([0, 0, 1, 2], [0, 1, 1, 1], ["a", "b", "c"]))
                       precision  recall  f1-score  support
    a                      1.000   0.500     0.667        2
    b                      0.333   1.000     0.500        1
    c                      0.000   0.000     0.000        1
    <BLANKLINE>
    accuracy                                 0.500        4
    balanced accuracy                        0.500
    macro average          0.444   0.500     0.389        4
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
        raise ValueError(f"digits must be an integer from 0 to 10; got {digits!r}")
    n_classes = None
    if class_names is not None:
        if isinstance(class_names, str) or not all(isinstance(c, str) for c in class_names):
            raise TypeError(f"expected class_names as a list of str; got {class_names!r}")
        n_classes = len(class_names)
    y_true, y_pred, k = _labels_and_classes(y_true, y_pred, n_classes)
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    scores = precision_recall_f1(y_true, y_pred, k)
    seen = np.union1d(y_true, y_pred)
    width = max(len("balanced accuracy"), *(len(n) for n in names))
    col = max(digits + 2, 6)

    def row(label, p="", r="", f="", s=""):
        return f"{label:<{width}}  {p:>9}  {r:>{col}}  {f:>8}  {s:>7}".rstrip()

    def num(v):
        return f"{v:.{digits}f}"

    lines = [row("", "precision", "recall", "f1-score", "support")]
    for i, name in enumerate(names):
        lines.append(
            row(
                name,
                num(scores["precision"][i]),
                num(scores["recall"][i]),
                num(scores["f1"][i]),
                str(scores["support"][i]),
            )
        )
    n = str(len(y_true))
    lines += [
        "",
        row("accuracy", "", "", num(accuracy(y_true, y_pred)), n),
        row("balanced accuracy", "", "", num(balanced_accuracy(y_true, y_pred))),
        row(
            "macro average",
            num(scores["precision"][seen].mean()),
            num(scores["recall"][seen].mean()),
            num(scores["f1"][seen].mean()),
            n,
        ),
    ]
    return "\n".join(lines)
