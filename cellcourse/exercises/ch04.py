"""Exercises of chapter 04, overfitting and regularisation (BCCD blood cells).

Used in ``solutions/04_overfitting_and_regularization.ipynb``::

    from cellcourse.exercises import ch04 as ex
    ex.q1.check(generalization_gap)

The module also holds the course's version of the chapter's function,
:func:`generalization_gap`, which the notebook uses after Exercise 4.1 so that
it runs to the end before the learner's answer is written, and
:func:`mystery_histories`, the four recorded training histories of Exercise 4.2.
"""

from __future__ import annotations

import copy
import math
import numbers

import numpy as np

from ._core import (
    CodingExercise,
    Incorrect,
    ThoughtExercise,
    _NotAttempted,
    describe,
)

__all__ = ["q1", "q2", "q3", "q4", "q5", "VERDICTS", "generalization_gap", "mystery_histories"]

VERDICTS = ("underfitting", "overfitting", "healthy", "diverging")
"""The words a learner chooses from in Exercise 4.2."""


# --- the course's versions ---------------------------------------------------------------------------


def generalization_gap(model, x_train, y_train, x_val, y_val):
    """Training minus validation accuracy of a trained classifier, measured in inference mode.

    Both accuracies come from :func:`cellcourse.train.predict_classes`, which
    runs the model as it will be used: dropout off, augmentation layers
    passing images through unchanged, batch normalisation with its running
    statistics. The ``accuracy`` that ``fit`` reports is different: a running
    average over the epoch's batches, measured while dropout and augmentation
    act and while the weights still change.

    Parameters
    ----------
    model : keras.Model
        A trained classifier with output ``(S, K)`` of class probabilities.
    x_train : (S, Y, X, C) ndarray
        The images the model was trained on.
    y_train : (S,) array_like of int
        Their classes, ``0 .. K-1``.
    x_val : (S_val, Y, X, C) ndarray
        Images the model has not been trained on.
    y_val : (S_val,) array_like of int
        Their classes.

    Returns
    -------
    float
        ``accuracy(train) - accuracy(validation)``, from -1 to 1: near 0 when the
        model does as well on new cells as on the ones it has seen, large and
        positive when it has memorised its training cells (overfitting).

    Raises
    ------
    TypeError, ValueError
        If the images do not fit the model, or the labels are not one class
        index per image.

    Notes
    -----
    Compare like with like: on a class-balanced training set, measure the
    validation accuracy on a class-balanced validation set too (or compare
    balanced accuracies), or the gap also measures the difference between the
    class proportions. See chapter 04.

    Examples
    --------
    >>> import keras
    >>> inputs = keras.Input((2,))
    >>> model = keras.Model(inputs, keras.layers.Softmax()(inputs))  # class = larger input
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], dtype="float32")
    >>> generalization_gap(model, x, [0, 1, 0, 1], x, [0, 1, 1, 1])  # 4/4 vs 3/4 right
    0.25
    """
    from ..train import predict_classes

    y_train = np.asarray(y_train)
    y_val = np.asarray(y_val)
    for label, images, labels in (("train", x_train, y_train), ("val", x_val, y_val)):
        if labels.ndim != 1 or len(labels) != len(images):
            raise ValueError(
                f"expected y_{label} with one class per image of x_{label} ({len(images)} "
                f"images); got shape {labels.shape}"
            )
    y_pred_train, _ = predict_classes(model, x_train)
    y_pred_val, _ = predict_classes(model, x_val)
    return float(np.mean(y_pred_train == y_train) - np.mean(y_pred_val == y_val))


_NAN = float("nan")

# Recorded while writing chapter 04 with cellcourse.train.fit_classifier: 32 x 32 BCCD crops,
# training cells drawn with cellcourse.preprocess.sample_per_class from the training
# photographs, validation on the chapter's balanced validation set (54 cells of each class).
# Values rounded to 4 digits; _MYSTERY_SOURCES says how each run was made.
_MYSTERY: dict[str, dict[str, list[float]]] = {
    "A": {
        "loss": [
            1.7387,
            1.103,
            1.1171,
            1.106,
            1.089,
            1.0655,
            1.0269,
            0.967,
            0.8843,
            0.7732,
            0.6518,
            0.5376,
            0.4508,
            0.3889,
            0.3337,
            0.2892,
            0.2582,
            0.2258,
            0.1949,
            0.1687,
            0.1441,
            0.1199,
            0.0996,
            0.0815,
            0.0646,
            0.052,
            0.0413,
            0.0331,
            0.0269,
            0.0215,
            0.0174,
            0.0142,
            0.0114,
            0.0095,
            0.008,
            0.0068,
            0.0058,
            0.005,
            0.0043,
            0.0037,
            0.0032,
            0.0028,
            0.0024,
            0.0021,
            0.0019,
            0.0017,
            0.0014,
            0.0013,
            0.0012,
            0.001,
        ],
        "accuracy": [
            0.3333,
            0.4333,
            0.3333,
            0.3333,
            0.3333,
            0.4333,
            0.7333,
            0.7667,
            0.8667,
            0.8667,
            0.8667,
            0.9,
            0.9,
            0.9,
            0.9,
            0.9,
            0.9,
            0.9,
            0.9333,
            0.9667,
            0.9667,
            0.9667,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
        ],
        "val_loss": [
            1.1329,
            1.1113,
            1.0998,
            1.0872,
            1.07,
            1.0371,
            0.9831,
            0.9016,
            0.7917,
            0.6668,
            0.5429,
            0.4459,
            0.3712,
            0.3153,
            0.2766,
            0.2476,
            0.2258,
            0.2092,
            0.1949,
            0.1835,
            0.1741,
            0.1646,
            0.1559,
            0.1515,
            0.1461,
            0.1419,
            0.1388,
            0.1358,
            0.135,
            0.1333,
            0.1335,
            0.136,
            0.1366,
            0.1389,
            0.1402,
            0.1429,
            0.1429,
            0.1459,
            0.1456,
            0.1502,
            0.1475,
            0.1492,
            0.155,
            0.1481,
            0.1552,
            0.1524,
            0.1558,
            0.155,
            0.1558,
            0.159,
        ],
        "val_accuracy": [
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.7222,
            0.858,
            0.9136,
            0.9074,
            0.8951,
            0.9074,
            0.9136,
            0.9259,
            0.9259,
            0.9321,
            0.9321,
            0.9321,
            0.9321,
            0.9321,
            0.9321,
            0.9383,
            0.9444,
            0.9444,
            0.9444,
            0.9444,
            0.9444,
            0.9444,
            0.9506,
            0.9444,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9383,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
            0.9506,
        ],
    },
    "B": {
        "loss": [
            1.3179,
            1.1732,
            1.1285,
            1.1187,
            1.1169,
            1.1158,
            1.1146,
            1.1132,
            1.1118,
            1.1104,
            1.109,
            1.1076,
            1.1063,
            1.1049,
            1.1035,
            1.1022,
            1.1008,
            1.0995,
            1.0982,
            1.0968,
            1.0955,
            1.0941,
            1.0928,
            1.0915,
            1.0901,
            1.0888,
            1.0874,
            1.086,
            1.0846,
            1.0832,
        ],
        "accuracy": [
            0.3333,
            0.3333,
            0.3333,
            0.16,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3267,
            0.3133,
            0.2933,
            0.3067,
            0.34,
            0.3333,
            0.3333,
            0.36,
            0.3733,
            0.3933,
            0.4067,
            0.4333,
            0.4667,
            0.4733,
            0.4933,
        ],
        "val_loss": [
            1.2274,
            1.1446,
            1.1222,
            1.1167,
            1.1147,
            1.1133,
            1.1119,
            1.1106,
            1.1093,
            1.108,
            1.1067,
            1.1054,
            1.1041,
            1.1028,
            1.1016,
            1.1003,
            1.0991,
            1.0978,
            1.0966,
            1.0953,
            1.0941,
            1.0928,
            1.0915,
            1.0903,
            1.089,
            1.0877,
            1.0864,
            1.0851,
            1.0838,
            1.0825,
        ],
        "val_accuracy": [
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3519,
            0.3889,
            0.4691,
            0.5247,
            0.5617,
            0.5679,
            0.5741,
            0.5617,
            0.5617,
            0.5556,
        ],
    },
    "C": {
        "loss": [
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
        ],
        "accuracy": [
            0.4667,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
        ],
        "val_loss": [
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
            _NAN,
        ],
        "val_accuracy": [
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
            0.3333,
        ],
    },
    "D": {
        "loss": [
            1.1051,
            1.0752,
            1.0287,
            0.9097,
            0.7472,
            0.6364,
            0.5423,
            0.4782,
            0.4284,
            0.4069,
            0.3785,
            0.3797,
            0.3482,
            0.331,
            0.3136,
            0.3177,
            0.3061,
            0.2887,
            0.2757,
            0.2732,
            0.267,
            0.2515,
            0.2711,
            0.2798,
            0.2623,
        ],
        "accuracy": [
            0.35,
            0.4067,
            0.5533,
            0.6567,
            0.66,
            0.74,
            0.7767,
            0.8,
            0.83,
            0.8467,
            0.8433,
            0.8467,
            0.8767,
            0.8733,
            0.8867,
            0.8833,
            0.8833,
            0.9033,
            0.9033,
            0.91,
            0.9067,
            0.91,
            0.9033,
            0.9033,
            0.91,
        ],
        "val_loss": [
            1.0863,
            1.0509,
            0.9697,
            0.847,
            0.7426,
            0.6236,
            0.4475,
            0.3798,
            0.3247,
            0.3012,
            0.2808,
            0.2559,
            0.2414,
            0.2325,
            0.2351,
            0.2085,
            0.2002,
            0.1981,
            0.1869,
            0.1892,
            0.1747,
            0.1725,
            0.1707,
            0.1704,
            0.1659,
        ],
        "val_accuracy": [
            0.3519,
            0.5926,
            0.6235,
            0.5185,
            0.5247,
            0.679,
            0.9074,
            0.9198,
            0.8951,
            0.9198,
            0.9259,
            0.9136,
            0.9136,
            0.9259,
            0.9074,
            0.9259,
            0.9198,
            0.9259,
            0.9321,
            0.9321,
            0.9568,
            0.9321,
            0.9321,
            0.9383,
            0.963,
        ],
    },
}

_MYSTERY_SOURCES = {
    "A": "small_cnn(filters=(32, 64), flatten=True, dense=512), no dropout or batch norm; "
    "10 cells per class, batches of 8, Adam 1e-3, 50 epochs",
    "B": "small_cnn(filters=(4,)), no dropout or batch norm; 50 cells per class, batches of "
    "8, Adam 1e-3, 30 epochs",
    "C": "small_cnn(filters=(32, 64), flatten=True, dense=256) on pixel values 0-255 (not "
    "scaled to 0-1); 20 cells per class, batches of 8, plain SGD with learning rate 0.01",
    "D": "small_cnn(filters=(16, 32, 64), dropout=0.25, augment=True), no batch norm; 100 "
    "cells per class, batches of 16, Adam 1e-3, 25 epochs",
}
# the verdicts of cellcourse.train.diagnose_history on these histories (a test checks it)
_MYSTERY_VERDICTS = {"A": "overfitting", "B": "underfitting", "C": "diverging", "D": "healthy"}


def mystery_histories():
    """The four training histories of Exercise 4.2, recorded from real runs on blood cells.

    Returns
    -------
    dict of str to dict of str to list of float
        ``"A"`` … ``"D"`` → a history as ``model.fit(...).history`` holds it:
        ``"loss"``, ``"accuracy"``, ``"val_loss"``, ``"val_accuracy"``, one value
        per epoch. A fresh copy on every call.

    Examples
    --------
    >>> histories = mystery_histories()
    >>> sorted(histories), sorted(histories["A"])
    (['A', 'B', 'C', 'D'], ['accuracy', 'loss', 'val_accuracy', 'val_loss'])
    """
    return copy.deepcopy(_MYSTERY)


# --- Exercise 4.1: the generalisation gap ---------------------------------------------------------------

_GAP_SIZE = 4  # test images are 4 x 4 pixels, one channel


def _gap_model(dropout: float = 0.5):
    """A fixed classifier of 4 x 4 images: class k = the brightest of rows 0, 1, 2.

    Flatten → Dropout → Dense(3) whose weight sums the pixels of row k for
    class k (row 3 is ignored). In inference mode the dropout does nothing;
    in training mode it zeroes half the pixels at random and scrambles the
    answers, so a gap measured in training mode changes from call to call.
    """
    import keras

    inputs = keras.Input((_GAP_SIZE, _GAP_SIZE, 1))
    h = keras.layers.Flatten()(inputs)
    h = keras.layers.Dropout(dropout)(h)
    outputs = keras.layers.Dense(3, activation="softmax")(h)
    model = keras.Model(inputs, outputs, name="row_reader")
    kernel = np.zeros((_GAP_SIZE * _GAP_SIZE, 3), dtype="float32")
    for k in range(3):
        kernel[k * _GAP_SIZE : (k + 1) * _GAP_SIZE, k] = 4.0
    model.get_layer(index=-1).set_weights([kernel, np.zeros(3, dtype="float32")])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _row_images(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One image per entry of ``rows``: that row bright (1.0), the other rows dimmer (0.6-0.8)."""
    x = rng.uniform(0.6, 0.8, size=(len(rows), _GAP_SIZE, _GAP_SIZE, 1)).astype("float32")
    x[np.arange(len(rows)), rows, :, 0] = 1.0
    return x


def _gap_case(n_train, n_wrong_train, n_val, n_wrong_val, seed):
    """Images whose brightest row is the model's answer, and labels with some answers wrong."""
    rng = np.random.default_rng(seed)
    data = []
    for n, n_wrong in ((n_train, n_wrong_train), (n_val, n_wrong_val)):
        rows = rng.integers(0, 3, size=n)
        labels = rows.copy()
        wrong = rng.choice(n, size=n_wrong, replace=False)
        labels[wrong] = (rows[wrong] + rng.integers(1, 3, size=n_wrong)) % 3
        data += [_row_images(rows, rng), labels.astype(np.int64)]
    expected = (n_train - n_wrong_train) / n_train - (n_val - n_wrong_val) / n_val
    return data, expected


_GAP_CASES = (
    # (n_train, wrong, n_val, wrong, seed): training 38/40 = 0.95, validation 21/30 = 0.70
    (
        (40, 2, 30, 9, 41),
        "a model right on 95% of its training and 70% of its validation images",
    ),
    # validation better than training: the gap is negative
    (
        (20, 6, 25, 5, 42),
        "a model right on 70% of its training and 80% of its validation images",
    ),
)


def _as_number(returned, call: str) -> float:
    if returned is None:
        raise Incorrect(f"{call} returned None: did you forget the `return` statement?")
    value = returned
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # a backend tensor
        try:
            value = np.asarray(value).item()
        except Exception:
            pass
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        extra = ""
        if isinstance(returned, list | tuple) or (
            isinstance(returned, np.ndarray) and returned.size == 2
        ):
            extra = (
                " It looks like both accuracies: return their difference, training minus "
                "validation."
            )
        raise Incorrect(f"{call} returned {describe(returned)}; expected one number.{extra}")
    return float(value)


def _check_gap(function) -> str | None:
    if not callable(function):
        raise Incorrect(
            f"`generalization_gap` should be a function, but it is {describe(function)}. "
            "Pass the function itself: ex.q1.check(generalization_gap)."
        )
    call = "`generalization_gap`"
    for (args, what), number in zip(_GAP_CASES, (1, 2), strict=True):
        (x_train, y_train, x_val, y_val), expected = _gap_case(*args)
        model = _gap_model()
        weights = [w.copy() for w in model.get_weights()]
        where = f"for {what} (test {number})"
        try:
            returned = function(model, x_train.copy(), y_train.copy(), x_val.copy(), y_val.copy())
        except Exception as exc:
            raise Incorrect(
                f"{call} {where} raised {type(exc).__name__}: {str(exc)[:200]}"
            ) from exc
        if returned is Ellipsis:
            raise _NotAttempted(
                "`generalization_gap` still returns `...`. Replace the `...` in its body "
                "with your code, run that cell, then run this check again."
            )
        got = _as_number(returned, call)
        changed = any(
            not np.array_equal(before, after)
            for before, after in zip(weights, model.get_weights(), strict=True)
        )
        if changed:
            raise Incorrect(
                f"{call} changed the weights of the model it measured: it should only measure "
                "(predict or evaluate), not train (fit)."
            )
        if math.isclose(got, expected, abs_tol=1e-6):
            continue
        if expected < 0 and math.isclose(got, abs(expected), abs_tol=1e-6):
            raise Incorrect(
                f"{call} returned {got:.2f} {where}: keep the sign. The gap is negative when "
                "a model does better on validation images than on its training images "
                "(it happens with dropout or augmentation)."
            )
        if math.isclose(got, -expected, abs_tol=1e-6):
            raise Incorrect(
                f"{call} returned {got:.2f} {where}: the sign is the wrong way round. The gap "
                "is training minus validation accuracy, positive when the model does better "
                "on the cells it has seen."
            )
        if math.isclose(got, 100 * expected, abs_tol=1e-4):
            raise Incorrect(
                f"{call} returned {got:g} {where}: a difference of percentages. Return it as "
                "a difference of fractions (accuracies from 0 to 1)."
            )
        try:
            again = _as_number(
                function(_gap_model(), x_train.copy(), y_train.copy(), x_val.copy(), y_val.copy()),
                call,
            )
        except Exception:
            again = got
        if not math.isclose(again, got, abs_tol=1e-9):
            raise Incorrect(
                f"{call} gave {got:.3f}, then {again:.3f}, for the same model and images "
                f"(test {number}): it runs the model in training mode, where Dropout drops "
                "inputs at random. Predict in inference mode: `model.predict(x)` or "
                "`model(x, training=False)`."
            )
        raise Incorrect(
            f"{call} returned {got:.3f} {where}; that is not training minus validation "
            "accuracy. Predict the class of every image (the most probable one), compare "
            "with the labels, and take the fraction right, for each set."
        )
    return "training minus validation accuracy, measured in inference mode."


q1 = CodingExercise(
    chapter="04",
    name="q1",
    title="Measure the generalisation gap of a trained model",
    var="generalization_gap",
    checker=_check_gap,
    hints=[
        "Predict the class of every training image and every validation image with the "
        "trained model, in inference mode (dropout off). Accuracy is the fraction of "
        "predictions equal to the labels.",
        "`y_pred, _ = cc.train.predict_classes(model, x_train)` gives the predicted "
        "classes (so does `model.predict(x_train).argmax(axis=1)`); `np.mean(y_pred == "
        "y_train)` is the accuracy. Return training minus validation accuracy.",
    ],
    solution_code=(
        "def generalization_gap(model, x_train, y_train, x_val, y_val):\n"
        "    y_pred_train, _ = cc.train.predict_classes(model, x_train)  # inference mode\n"
        "    y_pred_val, _ = cc.train.predict_classes(model, x_val)\n"
        "    train_accuracy = np.mean(y_pred_train == y_train)\n"
        "    val_accuracy = np.mean(y_pred_val == y_val)\n"
        "    return float(train_accuracy - val_accuracy)"
    ),
)


# --- Exercise 4.2: read the curves ----------------------------------------------------------------------

# A clue for a wrong answer, by the right verdict: where to look, not what to conclude.
_CLUES = {
    "overfitting": (
        "find the epoch where {key}'s validation loss is lowest, and follow both loss curves "
        "after it."
    ),
    "underfitting": (
        "how well does {key}'s model do on its own training cells at the end? Compare its "
        "training accuracy with what a model that has learned them would reach."
    ),
    "diverging": "compare {key}'s training loss at the last epoch with its first.",
    "healthy": (
        "look at whether {key}'s training and validation curves stay close together and "
        "level off, and how high its accuracies end."
    ),
}


def _normalise_word(value):
    if isinstance(value, str):
        return value.strip().lower()
    return value


def _check_diagnoses(diagnoses) -> str | None:
    expected = _MYSTERY_VERDICTS
    keys = sorted(expected)
    if not isinstance(diagnoses, dict):
        raise Incorrect(
            f"`diagnoses` is {describe(diagnoses)}; expected a dict with one word for each "
            f"history: {{{', '.join(repr(k) + ': ...' for k in keys)}}}."
        )
    if diagnoses and all(value is Ellipsis for value in diagnoses.values()):
        raise _NotAttempted(
            "every diagnosis in `diagnoses` is still `...`. Replace each `...` with one of "
            + ", ".join(f'"{word}"' for word in VERDICTS)
            + ", then run this check again."
        )
    missing = [k for k in keys if k not in diagnoses]
    if missing:
        raise Incorrect(
            f"`diagnoses` has no entry for {', '.join(map(repr, missing))}; expected one for "
            f"each history {keys}."
        )
    extra = [k for k in diagnoses if k not in expected]
    if extra:
        raise Incorrect(
            f"`diagnoses` has key(s) {', '.join(map(repr, extra[:3]))} that name no history; "
            f"the histories are {keys}."
        )
    for key in keys:
        word = _normalise_word(diagnoses[key])
        if word is Ellipsis:
            raise Incorrect(
                f"the diagnosis of {key!r} is still `...`; choose one of "
                + ", ".join(f'"{w}"' for w in VERDICTS)
                + "."
            )
        if word not in VERDICTS:
            raise Incorrect(
                f"the diagnosis of {key!r} is {describe(diagnoses[key])}; choose one of the "
                "words " + ", ".join(f'"{w}"' for w in VERDICTS) + "."
            )
    wrong = [key for key in keys if _normalise_word(diagnoses[key]) != expected[key]]
    if wrong:
        first = wrong[0]
        n_right = len(keys) - len(wrong)
        right_part = f"{n_right} of {len(keys)} are right. " if n_right else ""
        raise Incorrect(
            f"{right_part}Look again at {', '.join(map(repr, wrong))}. For {first!r}, which "
            f"you called {_normalise_word(diagnoses[first])!r}: "
            + _CLUES[expected[first]].format(key=first)
        )
    return "all four diagnoses agree with ours (and with `cc.train.diagnose_history`)."


q2 = CodingExercise(
    chapter="04",
    name="q2",
    title="Diagnose four training histories from their curves",
    var="diagnoses",
    checker=_check_diagnoses,
    hints=[
        "Go through the histories one by one, and for each ask three questions: did the "
        "training loss fall (or rise)? Does the model fit its training cells well by the end? "
        "Does the validation loss follow the training loss, or turn up while it keeps falling?",
        "Training loss rising, or jumping to huge values: diverging. Training accuracy low at "
        "the end, both curves close together: underfitting. Training loss still falling while "
        "validation loss has turned up, with a gap between the accuracies: overfitting. Both "
        "losses low and levelled off, accuracies high and close: healthy.",
    ],
    solution_code=(
        "diagnoses = {\n"
        "    # the training loss falls to 0.001 and the training accuracy to 1.00, while the\n"
        "    # validation loss is lowest at epoch 30, then creeps up: memorising 10 cells per class\n"
        '    "A": "overfitting",\n'
        "    # both losses stay near 1.1 (chance for 3 classes); training accuracy ends below 0.5\n"
        '    "B": "underfitting",\n'
        "    # the loss is nan (not a number) from the first epoch; accuracy stays at 1/3\n"
        '    "C": "diverging",\n'
        "    # both losses fall and level off together, both accuracies end above 0.9\n"
        "    # (validation loss below training loss: dropout and augmentation act only in training)\n"
        '    "D": "healthy",\n'
        "}"
    ),
)


# --- Exercise 4.3: L2 and dropout in a model builder ---------------------------------------------------

_BUILD_SETTINGS = (
    ((32, 32, 3), 3, 1e-3, 0.5),
    ((16, 16, 1), 2, 1e-2, 0.3),
)


def _regularizer_factor(regularizer):
    """(kind, factor) of a kernel regularizer: ("l2", 1e-3), ("l1", ...), (None, 0)..."""
    if regularizer is None:
        return None, 0.0
    l1 = float(getattr(regularizer, "l1", 0.0) or 0.0)
    l2 = getattr(regularizer, "l2", None)
    if l2 is None:
        return ("l1" if l1 else type(regularizer).__name__), l1
    if l1:
        return "l1_l2", float(l2)
    return "l2", float(l2)


def _call_builder(function, setting):
    import keras

    image_shape, n_classes, l2, dropout = setting
    call = f"`regularized_cnn({image_shape}, {n_classes}, l2={l2:g}, dropout={dropout:g})`"
    try:
        model = function(image_shape, n_classes, l2=l2, dropout=dropout)
    except TypeError:
        try:
            model = function(image_shape, n_classes, l2, dropout)
        except Exception as exc:
            raise Incorrect(f"{call} raised {type(exc).__name__}: {str(exc)[:200]}") from exc
    except Exception as exc:
        raise Incorrect(f"{call} raised {type(exc).__name__}: {str(exc)[:200]}") from exc
    if model is Ellipsis:
        raise _NotAttempted(
            "`regularized_cnn` still returns `...`. Replace the `...` with your code, run "
            "that cell, then run this check again."
        )
    if model is None:
        raise Incorrect(f"{call} returned None: did you forget to `return` the model?")
    if not isinstance(model, keras.Model):
        raise Incorrect(f"{call} returned {describe(model)}; expected a Keras model.")
    return model, call


def _in_head(layers, i: int, last_dense: int) -> bool:
    """True if layer ``i`` comes before the output layer with no convolution or pooling after it."""
    import keras

    return i < last_dense and not any(
        isinstance(layer, keras.layers.Conv2D) or "Pooling" in type(layer).__name__
        for layer in layers[i + 1 : last_dense]
    )


def _check_builder(function) -> str | None:
    import keras

    from .ch02 import _all_layers

    if not callable(function):
        raise Incorrect(
            f"`regularized_cnn` should be a function, but it is {describe(function)}. Pass "
            "the function itself: ex.q3.check(regularized_cnn)."
        )
    summary = ""
    for setting in _BUILD_SETTINGS:
        image_shape, n_classes, l2, dropout = setting
        model, call = _call_builder(function, setting)
        try:
            got_input, got_output = tuple(model.input_shape), tuple(model.output_shape)
        except Exception as exc:
            raise Incorrect(
                f"the model from {call} has no input shape: start it with "
                "`keras.Input(shape=image_shape)`."
            ) from exc
        if got_input != (None, *image_shape):
            raise Incorrect(
                f"the model from {call} takes inputs of shape {got_input}; expected "
                f"{(None, *image_shape)}: use the `image_shape` argument."
            )
        if got_output != (None, n_classes):
            raise Incorrect(
                f"the model from {call} outputs shape {got_output}; expected "
                f"{(None, n_classes)}: one probability per class (the `n_classes` argument)."
            )
        layers = _all_layers(model)
        convs = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Conv2D)]
        denses = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Dense)]
        if not convs:
            raise Incorrect(
                f"the model from {call} has no Conv2D layer; the task asks for a CNN "
                "(convolution blocks, then Dense layers)."
            )
        for i in convs + denses:
            layer = layers[i]
            kind, factor = _regularizer_factor(getattr(layer, "kernel_regularizer", None))
            if kind is None:
                raise Incorrect(
                    f"the layer `{layer.name}` ({type(layer).__name__}) of the model from "
                    f"{call} has no kernel regularizer: pass "
                    "`kernel_regularizer=keras.regularizers.L2(l2)` to every Conv2D and Dense "
                    "layer."
                )
            if kind != "l2":
                raise Incorrect(
                    f"the layer `{layer.name}` has a regularizer of kind {kind!r}; the task "
                    "asks for L2 (weight decay): `keras.regularizers.L2(l2)`. L1 pushes "
                    "weights to exactly 0, a different effect."
                )
            if not math.isclose(factor, l2, rel_tol=1e-5):
                raise Incorrect(
                    f"the layer `{layer.name}` of the model from {call} has an L2 factor of "
                    f"{factor:g}; it should come from the `l2` argument ({l2:g} in this call)."
                )
        drops = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Dropout)]
        if not drops:
            raise Incorrect(
                f"the model from {call} has no Dropout layer: add "
                "`keras.layers.Dropout(dropout)` before the last Dense layer."
            )
        rates = [float(layers[i].rate) for i in drops]
        if not any(math.isclose(rate, dropout, rel_tol=1e-6) for rate in rates):
            raise Incorrect(
                f"the Dropout layer(s) of the model from {call} drop a fraction "
                f"{', '.join(f'{r:g}' for r in rates)}; it should come from the `dropout` "
                f"argument ({dropout:g} in this call)."
            )
        last_dense = denses[-1] if denses else None

        if last_dense is None or not any(_in_head(layers, i, last_dense) for i in drops):
            raise Incorrect(
                f"in the model from {call}, the Dropout layer is not between the last "
                "convolution or pooling layer and the output layer. Put it just before the "
                "output layer, on the features the classifier reads."
            )
        x = np.random.default_rng(0).random((2, *image_shape)).astype("float32")
        probs = keras.ops.convert_to_numpy(model(x, training=False))
        if not (np.all(probs >= 0) and np.allclose(probs.sum(axis=1), 1, atol=1e-4)):
            raise Incorrect(
                f"the outputs of the model from {call} are not probabilities (non-negative, "
                "summing to 1): end with `keras.layers.Dense(n_classes, "
                'activation="softmax")`.'
            )
        if not summary:
            n_penalties = len(convs) + len(denses)
            summary = (
                f"L2 on all {n_penalties} kernels and dropout before the output, both taken "
                "from the arguments."
            )
    return summary


q3 = CodingExercise(
    chapter="04",
    name="q3",
    title="Add L2 weight decay and dropout to a CNN builder",
    var="regularized_cnn",
    checker=_check_builder,
    probe=((16, 16, 1), 2, 1e-3, 0.5),
    hints=[
        "Both are arguments of layers. A Conv2D or Dense layer takes "
        "`kernel_regularizer=...`, which adds a penalty on its weights to the loss; dropout "
        "is a layer of its own, placed where it should act.",
        "Give every `keras.layers.Conv2D(...)` and `keras.layers.Dense(...)` the argument "
        "`kernel_regularizer=keras.regularizers.L2(l2)`, and put "
        "`keras.layers.Dropout(dropout)` after the pooling, just before the last Dense layer.",
    ],
    solution_code=(
        "def regularized_cnn(image_shape, n_classes, l2=1e-2, dropout=0.5):\n"
        "    inputs = keras.Input(shape=image_shape)\n"
        "    h = inputs\n"
        "    for filters in (16, 32):\n"
        '        h = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",\n'
        "                                kernel_regularizer=keras.regularizers.L2(l2))(h)\n"
        "        h = keras.layers.MaxPooling2D(2)(h)\n"
        "    h = keras.layers.Flatten()(h)\n"
        '    h = keras.layers.Dense(256, activation="relu",\n'
        "                           kernel_regularizer=keras.regularizers.L2(l2))(h)\n"
        "    h = keras.layers.Dropout(dropout)(h)\n"
        '    outputs = keras.layers.Dense(n_classes, activation="softmax",\n'
        "                                 kernel_regularizer=keras.regularizers.L2(l2))(h)\n"
        "    return keras.Model(inputs, outputs)"
    ),
)


# --- Exercise 4.4: early stopping --------------------------------------------------------------------

_PATIENCE_RANGE = (3, 20)


def _stopping_run(callback, val_loss) -> tuple[int, int]:
    """Feed a made-up validation curve to ``callback``: (epochs run, epoch whose weights are kept).

    A one-weight model stands in for the network; its weight is set to the
    epoch number before each epoch ends, so the weight left after training
    says which epoch's weights were kept (1-based).
    """
    import keras

    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1, use_bias=False)(inputs))
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin({})
    epochs_run = 0
    for epoch, value in enumerate(val_loss):
        model.set_weights([np.full((1, 1), epoch + 1, dtype="float32")])
        callback.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": float(value)})
        epochs_run = epoch + 1
        if model.stop_training:
            break
    callback.on_train_end({})
    kept = int(round(float(model.get_weights()[0].item())))
    return epochs_run, kept


def _check_early_stopping(early_stopping) -> str | None:
    import keras

    if not isinstance(early_stopping, keras.callbacks.EarlyStopping):
        raise Incorrect(
            f"`early_stopping` is {describe(early_stopping)}; expected a callback made with "
            "`keras.callbacks.EarlyStopping(...)` (the object, to pass in `callbacks=[...]`)."
        )
    monitor = early_stopping.monitor
    if monitor != "val_loss":
        why = ""
        if monitor == "loss":
            why = (
                " The training loss keeps falling while a model overfits, so it would never "
                "say stop: watch the validation loss."
            )
        elif isinstance(monitor, str) and monitor.startswith("val_"):
            why = (
                " Validation accuracy moves in steps of one cell and often stays flat for many "
                "epochs; the validation loss is smoother and turns up first."
            )
        raise Incorrect(
            f"`early_stopping` watches {monitor!r}; the task asks it to watch the validation "
            f"loss, 'val_loss'.{why}"
        )
    if early_stopping.mode not in ("auto", "min"):
        raise Incorrect(
            f"`early_stopping` has mode={early_stopping.mode!r}: it would look for the "
            "largest validation loss. Leave mode at 'auto' (or 'min': lower loss is better)."
        )
    if early_stopping.restore_best_weights is not True:
        raise Incorrect(
            "`early_stopping` does not restore the best weights: training would stop "
            "`patience` epochs after the best epoch and keep the last, already worse, "
            "weights. Set `restore_best_weights=True`."
        )
    patience = early_stopping.patience
    low, high = _PATIENCE_RANGE
    if isinstance(patience, bool) or not isinstance(patience, numbers.Integral):
        raise Incorrect(f"`patience` is {describe(patience)}; expected a whole number of epochs.")
    if patience < low:
        raise Incorrect(
            f"`early_stopping` has patience={patience}: it would stop at the first "
            f"{'epoch' if patience <= 1 else 'few epochs'} without improvement, but a "
            "validation loss measured on a few hundred cells wobbles up and down. Give it "
            f"about {low * 3} epochs of patience."
        )
    if patience > high:
        raise Incorrect(
            f"`early_stopping` has patience={patience}: in a run of 60 epochs it would rarely "
            f"stop. About 10 epochs is enough to tell a turn from a wobble (at most {high})."
        )
    if early_stopping.baseline is not None or early_stopping.start_from_epoch:
        raise Incorrect(
            "`early_stopping` sets `baseline` or `start_from_epoch`; the task needs neither: "
            "leave them at their defaults."
        )
    # behaviour: a validation loss lowest at epoch 12, rising afterwards, over 60 epochs
    curve = [1.0 - 0.06 * e for e in range(12)] + [0.34 + 0.02 * e for e in range(1, 49)]
    try:
        epochs_run, kept = _stopping_run(copy.copy(early_stopping), curve)
    except Exception as exc:
        raise Incorrect(
            f"running `early_stopping` on a made-up training run raised "
            f"{type(exc).__name__}: {str(exc)[:200]}"
        ) from exc
    if kept != 12 or epochs_run != 12 + patience:
        raise Incorrect(
            f"on a made-up run whose validation loss is lowest at epoch 12, `early_stopping` "
            f"ran {epochs_run} epochs and kept the weights of epoch {kept}; expected it to stop "
            f"{patience} epochs after epoch 12 and keep epoch 12. Check `min_delta` (leave it 0)."
        )
    return (
        f"on a run whose validation loss is lowest at epoch 12, it stops at epoch "
        f"{epochs_run} and keeps the weights of epoch 12."
    )


q4 = CodingExercise(
    chapter="04",
    name="q4",
    title="Make an early-stopping callback that keeps the best epoch",
    var="early_stopping",
    checker=_check_early_stopping,
    hints=[
        "Keras has a callback for this, `keras.callbacks.EarlyStopping`. Three of its "
        "arguments matter here: what to watch, how many epochs to wait without improvement, "
        "and whether to go back to the best weights at the end.",
        '`keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, '
        "restore_best_weights=True)`.",
    ],
    solution_code=(
        "early_stopping = keras.callbacks.EarlyStopping(\n"
        '    monitor="val_loss",  # the validation loss turns up first when a model overfits\n'
        "    patience=10,  # epochs without improvement before stopping\n"
        "    restore_best_weights=True,  # go back to the best epoch's weights\n"
        ")"
    ),
)


# --- Exercise 4.5: the best regulariser ------------------------------------------------------------

q5 = ThoughtExercise(
    chapter="04",
    name="q5",
    title=(
        "Why is more training data the most reliable regulariser, and when is collecting it "
        "not the answer?"
    ),
    hints=[
        "What does a model need to memorise 60 cells, and what does it need to memorise "
        "600? What can a pattern that is true of all blood cells do that an accident of a "
        "few crops cannot?",
        "L2, dropout, augmentation and early stopping each limit the model in one particular "
        "way, chosen by you. What does a larger training set limit, and who chooses how?",
    ],
    solution_code=(
        "A model overfits when it can fit accidents of its training cells (a stain blotch, a "
        "neighbouring red cell, the exact orientation) as easily as what makes a white cell "
        "a white cell. With more cells, the accidents differ from cell to cell and cancel "
        "out, while the true features are shared by all of them: fitting the training set and "
        "generalising become the same task, so the gap shrinks without any knob to tune, as "
        "the learning curve shows. The other regularisers each bet on one assumption (small "
        "weights, redundant features, invariance to rotation, stopping early) and cost some "
        "fit when the bet is wrong; more data assumes nothing. It is not the answer when the "
        "model underfits (more data will not help a model too small to fit the cells it "
        "has), when the new cells are labelled badly or come from the same few slides (they "
        "add little new variation), or when the curve has already flattened: then a larger "
        "model, better labels or cells from new conditions help more."
    ),
)
