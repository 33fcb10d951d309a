"""Metrics for classification: confusion matrix, accuracy, precision, recall and F1.

Written with NumPy only, so that learners can read how each number is made.
Every function takes ``y_true``, a ``(N,)`` array of class indices, and
``y_pred``, either ``(N,)`` class indices or ``(N, K)`` scores (probabilities,
logits) for K classes, in which case the predicted class of each sample is the
column with the highest score (``argmax``; ties go to the lower class index).

A ratio whose denominator is zero (the precision of a class that is never
predicted, the recall of a class absent from ``y_true``) is defined as 0.0,
like scikit-learn's ``zero_division=0``; :func:`per_class_recall` is the
exception and says NaN for a class absent from ``y_true`` (it has no recall).

For unbalanced classes (chapter 05): :func:`per_class_recall` and
:func:`min_class_recall` (the worst class, which accuracy hides);
:func:`precision_recall_curve` and :func:`average_precision` for one class
against the rest over all thresholds; :func:`predict_with_thresholds` and
:func:`prior_correction_weights` for threshold moving. The curve and the
average precision are scikit-learn's (``sklearn.metrics``), with the course's
input checks and messages around them.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "accuracy",
    "average_precision",
    "balanced_accuracy",
    "classification_report",
    "confusion_matrix",
    "macro_f1",
    "min_class_recall",
    "per_class_recall",
    "precision_recall_curve",
    "precision_recall_f1",
    "predict_with_thresholds",
    "prior_correction_weights",
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


# ----------------------------------------------------------------------------------------
# unbalanced classes (chapter 05): the worst class, precision-recall curves, thresholds
# ----------------------------------------------------------------------------------------


def per_class_recall(y_true, y_pred, n_classes=None) -> np.ndarray:
    """Recall of every class: the fraction of its samples that are found.

    Parameters
    ----------
    y_true : (N,) array_like of int
        True class indices, 0 to K - 1.
    y_pred : (N,) array_like of int, or (N, K) array_like of float
        Predicted class indices, or scores for K classes (the highest wins).
    n_classes : int, optional
        Number of classes K (see :func:`confusion_matrix`).

    Returns
    -------
    (K,) ndarray of float64
        ``recall[k]`` = samples of class k predicted as k / samples of class k.
        NaN for a class absent from ``y_true``: it has no recall (unlike
        :func:`precision_recall_f1`, which reports 0.0 there), so
        ``np.nanmin`` and ``np.nanmean`` skip it.

    Raises
    ------
    ValueError, TypeError
        As :func:`confusion_matrix`.

    See Also
    --------
    min_class_recall : the smallest of these recalls.

    Examples
    --------
    >>> per_class_recall([0, 0, 0, 1], [0, 0, 1, 1], n_classes=3)  # class 2 absent
    array([0.66666667, 1.        ,        nan])
    """
    scores = precision_recall_f1(y_true, y_pred, n_classes)
    recall = scores["recall"].copy()
    recall[scores["support"] == 0] = np.nan
    return recall


def min_class_recall(y_true, y_pred) -> float:
    """Recall of the worst-recognised class: the number accuracy hides.

    Parameters
    ----------
    y_true : (N,) array_like of int
    y_pred : (N,) array_like of int, or (N, K) array_like of float

    Returns
    -------
    float
        The smallest recall over the classes present in ``y_true`` (classes
        absent from it have no recall and are skipped), between 0 and 1. A
        classifier that never predicts some class scores 0, however accurate
        it is overall (the accuracy paradox).

    Raises
    ------
    ValueError, TypeError
        As :func:`confusion_matrix`.

    Notes
    -----
    On the blood-cell set of chapter 05 (RBC 4153, WBC 372, Platelets 361
    crops), always answering "RBC" is 85 % accurate and has a minimum class
    recall of 0. See chapter 05.

    Examples
    --------
    >>> y_true = [0, 0, 0, 0, 0, 0, 0, 0, 1, 2]
    >>> always_majority = [0] * 10
    >>> accuracy(y_true, always_majority), min_class_recall(y_true, always_majority)
    (0.8, 0.0)
    """
    return float(np.nanmin(per_class_recall(y_true, y_pred)))


def _check_positive_class(positive) -> int:
    if isinstance(positive, bool) or not isinstance(positive, int | np.integer):
        raise TypeError(f"expected positive as an int class index; got {positive!r}")
    if positive < 0:
        raise ValueError(f"expected positive as a class index >= 0; got {positive}")
    return int(positive)


def _one_vs_rest(y_true, scores, positive) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(is_positive, score)``, both ``(N,)``: class ``positive`` against the rest."""
    y_true = _as_labels(y_true, "y_true")
    positive = _check_positive_class(positive)
    scores = np.asarray(scores)
    if scores.dtype.kind not in "biuf":
        raise TypeError(f"expected numeric scores; got dtype {scores.dtype}")
    if scores.ndim == 2:
        n_columns = scores.shape[1]
        if positive >= n_columns:
            raise ValueError(
                f"positive={positive} is not a column of the scores of shape {scores.shape}: "
                f"expected a class index 0..{n_columns - 1}"
            )
        if y_true.max() >= n_columns:
            raise ValueError(
                f"y_true holds class index {y_true.max()}, but the scores of shape "
                f"{scores.shape} have only {n_columns} class columns"
            )
        scores = scores[:, positive]
    elif scores.ndim != 1:
        raise ValueError(
            f"expected scores of shape (N,) for class {positive}, or (N, K) for all classes; "
            f"got {scores.shape}"
        )
    if len(scores) != len(y_true):
        raise ValueError(
            f"expected one score per sample: y_true has {len(y_true)} samples, "
            f"scores have {len(scores)}"
        )
    scores = scores.astype(np.float64)
    if not np.all(np.isfinite(scores)):
        raise ValueError("expected finite scores; got NaN or infinite values")
    is_positive = y_true == positive
    if not is_positive.any():
        raise ValueError(
            f"expected at least one sample of class {positive} in y_true; got none, so its "
            f"recall (found / present) is undefined. Classes present: "
            f"{np.unique(y_true).tolist()}"
        )
    return is_positive, scores


def precision_recall_curve(y_true, scores, positive) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall of one class against the rest, at every threshold.

    A sample is called class ``positive`` when its score is at or above the
    threshold. Lowering the threshold finds more of the class (recall goes up)
    and usually lets in more of the others (precision goes down).

    Parameters
    ----------
    y_true : (N,) array_like of int
        True class indices.
    scores : (N,) array_like of float, or (N, K) array_like of float
        Probability (or any score; higher = more likely) that each sample is
        of class ``positive``; or the probabilities of all K classes, such as
        ``model.predict(x)``, of which column ``positive`` is used.
    positive : int
        The class index treated as positive; all other classes are negative
        (one-vs-rest). It must occur in ``y_true``.

    Returns
    -------
    precision : (T + 1,) ndarray of float64
        ``precision[i]`` of the samples scoring ``>= thresholds[i]``; the last
        value is 1 (no sample called positive; no threshold).
    recall : (T + 1,) ndarray of float64
        Decreasing from 1 (everything called positive at the lowest
        threshold) to a last value of 0.
    thresholds : (T,) ndarray of float64
        The T distinct scores, increasing.

    Raises
    ------
    ValueError, TypeError
        If shapes do not match, scores are not finite numbers, ``positive``
        is not a class index of the scores, or the class is absent from
        ``y_true``.

    See Also
    --------
    average_precision : the area under this curve, as one number.
    cellcourse.plot.precision_recall_figure : one curve per class.

    Notes
    -----
    Computed by ``sklearn.metrics.precision_recall_curve(y_true == positive,
    scores)``, after checking the inputs. With unbalanced classes
    this curve is more telling than the ROC curve: a chance classifier has
    precision equal to the class's prevalence, not 0.5 [1]_. See chapter 05.

    References
    ----------
    .. [1] Saito, T. & Rehmsmeier, M. The precision-recall plot is more
       informative than the ROC plot when evaluating binary classifiers on
       imbalanced datasets. PLoS ONE 10, e0118432 (2015).
       doi:10.1371/journal.pone.0118432

    Examples
    --------
    >>> precision, recall, thresholds = precision_recall_curve(
    ...     [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], positive=1)
    >>> precision
    array([0.5       , 0.66666667, 0.5       , 1.        , 1.        ])
    >>> recall
    array([1. , 1. , 0.5, 0.5, 0. ])
    >>> thresholds
    array([0.1 , 0.35, 0.4 , 0.8 ])
    """
    is_positive, scores = _one_vs_rest(y_true, scores, positive)
    from sklearn.metrics import precision_recall_curve as _sklearn_curve

    precision, recall, thresholds = _sklearn_curve(is_positive, scores)
    return precision.astype(np.float64), recall.astype(np.float64), thresholds.astype(np.float64)


def average_precision(y_true, scores, positive) -> float:
    """Average precision (AP) of one class against the rest: the precision-recall curve in one number.

    Parameters
    ----------
    y_true : (N,) array_like of int
    scores : (N,) array_like of float, or (N, K) array_like of float
        As in :func:`precision_recall_curve`.
    positive : int
        The class index treated as positive.

    Returns
    -------
    float
        ``AP = sum_i (R_i - R_(i-1)) P_i``: the precision at each threshold,
        weighted by the recall gained there. 1 for a perfect ranking; about
        the class's prevalence for random scores.

    Raises
    ------
    ValueError, TypeError
        As :func:`precision_recall_curve`.

    Notes
    -----
    Computed by ``sklearn.metrics.average_precision_score(y_true == positive,
    scores)``: a step-wise sum, without the interpolation of the PASCAL VOC
    detection AP. See chapter 05.

    Examples
    --------
    >>> round(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], positive=1), 4)
    0.8333
    """
    is_positive, scores = _one_vs_rest(y_true, scores, positive)
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(is_positive, scores))


def _check_probs(probs) -> np.ndarray:
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[0] == 0 or probs.shape[1] == 0:
        raise ValueError(
            f"expected probs of shape (S, K): class probabilities of S samples; got {probs.shape}"
        )
    if probs.dtype.kind not in "biuf":
        raise TypeError(f"expected numeric probs; got dtype {probs.dtype}")
    probs = probs.astype(np.float64)
    if not np.all(np.isfinite(probs)):
        raise ValueError("expected finite probs; got NaN or infinite values")
    if probs.min() < 0:
        raise ValueError(
            f"expected probabilities >= 0 (e.g. a softmax output); got a minimum of "
            f"{probs.min():.4g}: logits? Apply a softmax first"
        )
    return probs


def predict_with_thresholds(probs, weights) -> np.ndarray:
    """Predicted classes after threshold moving: the largest ``probs * weights`` wins.

    Parameters
    ----------
    probs : (S, K) array_like of float
        Class probabilities, e.g. ``model.predict(x)`` (non-negative).
    weights : (K,) array_like of float
        One positive weight per class. All equal gives the plain ``argmax``; a
        larger weight moves decisions towards that class. Use
        :func:`prior_correction_weights` for ``1 / training prior``.

    Returns
    -------
    (S,) ndarray of int64
        Predicted class of each sample (ties go to the lower class index).

    Raises
    ------
    ValueError, TypeError
        If ``probs`` is not a finite, non-negative (S, K) array or ``weights``
        not K positive finite numbers.

    Notes
    -----
    Threshold moving changes decisions, not the model: no retraining. For two
    classes, weights ``(1, w)`` call class 1 when its probability exceeds
    ``1 / (1 + w)`` instead of 0.5. See chapter 05.

    References
    ----------
    .. [1] Saerens, M., Latinne, P. & Decaestecker, C. Adjusting the outputs of a
       classifier to new a priori probabilities: a simple procedure. Neural
       Computation 14, 21–41 (2002). doi:10.1162/089976602753284446

    Examples
    --------
    >>> probs = [[0.7, 0.3], [0.9, 0.1]]
    >>> predict_with_thresholds(probs, [1.0, 1.0])  # plain argmax
    array([0, 0])
    >>> predict_with_thresholds(probs, [1.0, 3.0])  # 0.3 * 3 = 0.9 > 0.7; 0.1 * 3 < 0.9
    array([1, 0])
    """
    probs = _check_probs(probs)
    k = probs.shape[1]
    weights = np.asarray(weights)
    if weights.shape != (k,):
        raise ValueError(
            f"expected weights of shape ({k},), one per class of probs {probs.shape}; "
            f"got {weights.shape}"
        )
    if weights.dtype.kind not in "iuf":
        raise TypeError(f"expected numeric weights; got dtype {weights.dtype}")
    weights = weights.astype(np.float64)
    if not np.all(np.isfinite(weights) & (weights > 0)):
        raise ValueError(f"expected positive finite weights; got {weights.tolist()}")
    return np.argmax(probs * weights, axis=1).astype(np.int64)


def prior_correction_weights(y_train, n_classes) -> np.ndarray:
    """Class weights ``1 / prior`` for :func:`predict_with_thresholds`, normalised to mean 1.

    Parameters
    ----------
    y_train : (N,) array_like of int
        Class indices of the training set the model learnt its priors from.
    n_classes : int
        Number of classes K; every class must occur in ``y_train``.

    Returns
    -------
    (K,) ndarray of float64
        ``w_k`` proportional to ``N / N_k``, scaled so that the mean is 1 (the
        scale does not change any decision). Rare classes get weights above 1.

    Raises
    ------
    ValueError, TypeError
        If ``y_train`` is not 1-D non-negative integers, ``n_classes`` is
        smaller than a class index present, or a class has no samples (its
        weight would be infinite).

    Notes
    -----
    A classifier trained on unbalanced data learns ``p(k | x)`` in proportion
    to ``p(x | k) * prior_k``. Dividing by the prior gives the decision the
    model would make if all classes were equally common [1]_. Do not combine
    it with class weights or balanced batches in training: those already
    removed the prior, and it would be corrected twice. See chapter 05.

    References
    ----------
    .. [1] Saerens, M., Latinne, P. & Decaestecker, C. Adjusting the outputs of a
       classifier to new a priori probabilities: a simple procedure. Neural
       Computation 14, 21–41 (2002). doi:10.1162/089976602753284446

    Examples
    --------
    >>> prior_correction_weights([0, 0, 0, 1], n_classes=2)  # 1/0.75, 1/0.25 = 4/3, 4
    array([0.5, 1.5])
    """
    y_train = _as_labels(y_train, "y_train")
    if n_classes is None:
        raise TypeError("expected n_classes as an int (the number of classes K); got None")
    k = _check_n_classes(n_classes, int(y_train.max()), "y_train")
    counts = np.bincount(y_train, minlength=k)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise ValueError(
            f"expected every one of the {k} classes in y_train; class(es) "
            f"{missing.tolist()} have no samples (a prior of 0 gives an infinite weight); "
            f"samples per class: {counts.tolist()}"
        )
    weights = len(y_train) / counts
    return weights / weights.mean()
