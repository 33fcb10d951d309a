"""Thin helpers over ``model.fit`` for image classifiers: check the data, train, predict.

Keras trains on almost anything it is given and reports a shape mismatch or a
label out of range deep inside the backend, if at all. These helpers check the
images and labels against the model first, in words a learner can act on,
then call Keras: they hide nothing that ``compile``/``fit``/``predict`` do.
After training, :func:`diagnose_history` reads the history and says in words
whether the model under- or overfits, diverged or trained well (chapter 04).

=============================  ===================================================
``check_classification_data``  images and labels fit the model? (clear errors)
``check_input_range``          image values in the range the model was trained on?
``fit_classifier``             compile (Adam or SGD, cross-entropy) and fit
``predict_classes``            predicted classes and class probabilities
``extract_features``           feature vectors from a backbone or feature model
``diagnose_history``           verdict, evidence and advice from a training history
=============================  ===================================================

Labels are integer class indices ``0 .. K-1`` (sparse labels, not one-hot).
Seeding is the caller's job: :func:`cellcourse.set_seed` after importing Keras.
Axes letters: S sample, Y, X, C channel (channels last). See chapters 02 and 03.
"""

from __future__ import annotations

import contextlib
import logging
import numbers
import textwrap
from dataclasses import dataclass

import numpy as np

__all__ = [
    "HistoryDiagnosis",
    "check_classification_data",
    "check_input_range",
    "diagnose_history",
    "extract_features",
    "fit_classifier",
    "predict_classes",
]

_AXES_4D = ("S", "Y", "X", "C")
_MAX_SHOWN = 10  # offending label values listed in a message


# ----------------------------------------------------------------------------------------
# private checks, shared with cellcourse.models.layer_outputs
# ----------------------------------------------------------------------------------------


def _check_model(model) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, e.g. from cellcourse.models; got {type(model)}")


def _single(shape, what: str, model) -> tuple:
    """The one input or output shape of ``model`` (lists hold one per input/output)."""
    if isinstance(shape, list):
        if len(shape) != 1:
            raise ValueError(
                f"expected a model with one {what}; model {model.name!r} has {len(shape)}"
            )
        shape = shape[0]
    return tuple(shape)


def _shape_text(shape: tuple) -> str:
    """``(None, 32, 32, 3)`` → ``"(S, 32, 32, 3)"``: free sizes shown as axis letters."""
    letters = _AXES_4D if len(shape) == 4 else ("S",) + ("?",) * (len(shape) - 1)
    parts = [letter if n is None else str(n) for n, letter in zip(shape, letters, strict=True)]
    return "(" + ", ".join(parts) + ")"


def _fits(actual: tuple, expected: tuple) -> bool:
    return len(actual) == len(expected) and all(
        e is None or a == e for a, e in zip(actual, expected, strict=True)
    )


def _channels_first(shape: tuple, expected: tuple) -> bool:
    """True if ``shape`` is ``expected`` (S, Y, X, C) with C moved to the second axis."""
    return (
        len(shape) == 4
        and len(expected) == 4
        and expected[-1] is not None
        and shape[1] == expected[-1]
        and _fits(shape[2:], expected[1:3])
    )


def _check_images(model, x, what: str = "images") -> np.ndarray:
    """Raise unless ``x`` is a finite numeric batch that ``model`` takes; return it."""
    try:
        input_shape = model.input_shape
    except (AttributeError, ValueError):  # e.g. a Sequential model without keras.Input
        raise ValueError(
            f"model {model.name!r} has no input shape yet; start it with keras.Input(shape=...)"
        ) from None
    expected = _single(input_shape, "input", model)
    text = _shape_text(expected)
    if not isinstance(x, np.ndarray):
        hint = " (convert with np.asarray(x))" if isinstance(x, list | tuple) else ""
        raise TypeError(
            f"expected {what} as a NumPy array of shape {text}; got {type(x).__name__}{hint}"
        )
    if x.dtype.kind not in "uif":
        raise TypeError(f"expected {what} of numbers (integer or float); got dtype {x.dtype}")
    if x.ndim != len(expected):
        hint = ""
        if _fits(x.shape, expected[1:]):
            hint = ": one image without the sample axis S; make a batch of one with x[np.newaxis]"
        elif expected[-1] == 1 and _fits(x.shape, expected[:-1]):
            hint = ": no channel axis C; add it with x[..., np.newaxis]"
        raise ValueError(
            f"expected {what} of shape {text} for model {model.name!r}, got {x.shape}{hint}"
        )
    if x.shape[0] == 0:
        raise ValueError(f"expected at least one image in {what}; got shape {x.shape}")
    if not _fits(x.shape[1:], expected[1:]):
        if _channels_first(x.shape, expected):
            raise ValueError(
                f"expected {what} of shape {text} for model {model.name!r}, got {x.shape}: "
                "channels first? The model takes the channel axis C last (S, Y, X, C); these "
                "have it second (S, C, Y, X), as PyTorch and many TIFF readers give it. Move "
                "it with np.moveaxis(x, 1, -1); x.reshape would scramble the pixels"
            )
        reasons = []
        if len(expected) == 4 and not _fits(x.shape[1:3], expected[1:3]):
            want = " x ".join("any" if n is None else str(n) for n in expected[1:3])
            reasons.append(
                f"the model takes {want} pixel images, these are "
                f"{x.shape[1]} x {x.shape[2]} (resize or crop them)"
            )
        if expected[-1] is not None and x.shape[-1] != expected[-1]:
            reasons.append(
                f"the model takes {expected[-1]} channel{'s' * (expected[-1] != 1)}, "
                f"the images have {x.shape[-1]}"
            )
        raise ValueError(
            f"expected {what} of shape {text} for model {model.name!r}, got {x.shape}"
            + (": " + "; ".join(reasons) if reasons else "")
        )
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        n_nan, n_inf = int(np.isnan(x).sum()), int(np.isinf(x).sum())
        raise ValueError(
            f"expected finite values in {what}; got {n_nan} NaN and {n_inf} infinite value(s)"
        )
    return x


def _n_classes(model) -> int:
    shape = _single(model.output_shape, "output", model)
    if len(shape) != 2 or shape[-1] is None:
        raise ValueError(
            f"expected a classifier whose output is (S, K) class probabilities; model "
            f"{model.name!r} outputs {_shape_text(shape)}"
        )
    return int(shape[-1])


def _check_labels(
    model, y, n_samples: int, what: str = "y", require_all_classes: bool = False
) -> np.ndarray:
    """Raise unless ``y`` holds one class index 0..K-1 per image; return it as int64."""
    n_classes = _n_classes(model)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == n_classes and n_classes > 1:
        raise ValueError(
            f"expected {what} as class indices of shape (S,), got shape {y.shape}: one-hot "
            f"labels? Use {what}.argmax(axis=1) (the loss is sparse_categorical_crossentropy)"
        )
    if y.ndim != 1:
        hint = f"; flatten with {what}.ravel()" if y.ndim == 2 and y.shape[1] == 1 else ""
        raise ValueError(f"expected {what} as class indices of shape (S,); got {y.shape}{hint}")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not np.array_equal(y, np.round(y)):
            odd = y[~np.isfinite(y) | (y != np.round(y))]
            raise TypeError(
                f"expected {what} as integer class indices; got floats such as {odd[0].item()!r}"
            )
    elif y.dtype.kind not in "iu":
        hint = " (map class names to indices first)" if y.dtype.kind in "USO" else ""
        raise TypeError(
            f"expected {what} as integer class indices 0..{n_classes - 1}; "
            f"got dtype {y.dtype}{hint}"
        )
    if len(y) != n_samples:
        raise ValueError(
            f"expected one label per image in {what}: {n_samples} images, got {len(y)} labels"
        )
    bad = np.unique(y[(y < 0) | (y >= n_classes)])
    if bad.size:
        shown = ", ".join(str(int(v)) for v in bad[:_MAX_SHOWN])
        more = f" and {bad.size - _MAX_SHOWN} more" if bad.size > _MAX_SHOWN else ""
        raise ValueError(
            f"labels out of range in {what}: expected 0..{n_classes - 1} for {n_classes} "
            f"classes (the outputs of model {model.name!r}), got values {shown}{more}"
        )
    y = y.astype(np.int64)
    if require_all_classes:
        counts = np.bincount(y, minlength=n_classes)
        missing = np.flatnonzero(counts == 0)
        if missing.size:
            which = (
                f"class {missing[0]} has"
                if missing.size == 1
                else "classes " + ", ".join(str(k) for k in missing) + " have"
            )
            raise ValueError(
                f"{which} no samples in {what}: expected every one of the {n_classes} classes "
                f"at least once to train on; samples per class: {counts.tolist()}"
            )
    return y


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"expected {name} as a positive int; got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------------


def check_classification_data(model, x, y=None, require_all_classes=False):
    """Raise a clear error unless images (and labels) fit a classifier.

    Parameters
    ----------
    model : keras.Model
        A model with one input ``(S, Y, X, C)`` (None = any size); with ``y``,
        also one output ``(S, K)`` of class probabilities.
    x : (S, Y, X, C) ndarray of int or float
        Images as the model takes them: same Y, X and C as
        ``model.input_shape[1:]`` wherever that is not None; finite values.
    y : (S,) array_like of int, optional
        Class index of each image, ``0 .. K-1`` with K = ``model.output_shape[-1]``.
        Floats that are whole numbers (``1.0``) are accepted.
    require_all_classes : bool
        Also require at least one image of every class in ``y`` (a training
        set must show the model every class).

    Returns
    -------
    None
        Returns quietly when the data fit.

    Raises
    ------
    TypeError
        If ``x`` is not a numeric NumPy array, or ``y`` not integer labels.
    ValueError
        If a shape does not match the model (a single image without the
        sample axis and one-hot labels get a hint), values are not finite,
        labels are out of range or (with ``require_all_classes``) a class has
        no samples. The message names what was expected and received.

    Examples
    --------
    >>> from cellcourse.models import linear_classifier
    >>> model = linear_classifier((8, 8, 3), n_classes=3)
    >>> check_classification_data(model, np.zeros((4, 8, 8, 3)), [0, 1, 2, 2])  # fits
    >>> check_classification_data(model, np.zeros((4, 8, 8, 1)))
    Traceback (most recent call last):
    ...
    ValueError: expected images of shape (S, 8, 8, 3) for model 'linear', got (4, 8, 8, 1): the model takes 3 channels, the images have 1
    """
    _check_model(model)
    if not isinstance(require_all_classes, bool):
        raise TypeError(f"expected require_all_classes True or False; got {require_all_classes!r}")
    x = _check_images(model, x)
    if y is not None:
        _check_labels(model, y, len(x), require_all_classes=require_all_classes)


def _whole_numbers(values: np.ndarray) -> bool:
    """True if every value is a whole number (as raw camera pixels are)."""
    return values.dtype.kind in "iu" or bool(np.all(values == np.round(values)))


def _value_text(value) -> str:
    """65535 → ``"65535"``, 0.00392 → ``"0.003922"``: whole numbers in full."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def check_input_range(x, expected=(0.0, 1.0), margin=0.5):
    """Raise a clear error unless image values lie in the range a model was trained on.

    A network trained on images scaled to 0–1 still runs on raw pixels
    (0–255 for 8 bits, up to 65535 for 16 bits), without any error, and
    answers nonsense. This check catches that before prediction or training,
    and says what the values look like: raw 8-, 12- or 16-bit pixels, values
    scaled for another network (−1 to 1), or values squashed by scaling twice.

    Parameters
    ----------
    x : (S, Y, X, C) or any shape ndarray of int or float
        Images (a batch, one image, or patches); only the values are checked.
    expected : tuple of 2 float
        ``(low, high)``: the range of the values the model was trained on,
        e.g. ``(0, 1)``, or ``(x_train.min(), x_train.max())``.
    margin : float
        How far outside ``expected`` the bulk of the values may lie, as a
        fraction of ``high - low``: with the default 0.5 and ``(0, 1)``, the
        0.1 and 99.9 percentiles must lie between −0.5 and 1.5 (percentile
        normalisation leaves some values a little outside 0–1, and a few
        extreme pixels are ignored).

    Returns
    -------
    None
        Returns quietly when the values fit.

    Raises
    ------
    TypeError
        If ``x`` is not a numeric NumPy array, or ``expected`` or ``margin``
        are not numbers.
    ValueError
        If ``x`` is empty or holds NaN or infinite values; if the bulk of its
        values lies outside ``expected`` (widened by ``margin``); or if the
        values vary over less than 5 % of the expected range (e.g. images
        divided by 255 twice, or 12-bit data divided by 65535). The message
        names the expected range, the values received and the likely cause.

    See Also
    --------
    check_classification_data : shapes and labels against a model.
    cellcourse.preprocess.normalize_percentile : scale raw images to about 0–1.

    Notes
    -----
    Constant images (e.g. all zeros) pass when their value lies in range:
    there is nothing to tell about their scaling. See chapter 06.

    Examples
    --------
    >>> check_input_range(np.array([[0.0, 0.4], [0.7, 1.0]]))  # fits: returns quietly
    >>> raw = np.array([[0, 17], [128, 255]], dtype=np.uint8)
    >>> check_input_range(raw)
    Traceback (most recent call last):
    ...
    ValueError: expected values of about 0 to 1, as the model was trained on; got uint8 values 0 to 255: raw 8-bit pixels? Scale them as the training images were, e.g. x.astype(np.float32) / 255
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"expected images as a NumPy array; got {type(x).__name__}")
    if x.dtype.kind not in "uif":
        raise TypeError(f"expected images of numbers (integer or float); got dtype {x.dtype}")
    if x.size == 0:
        raise ValueError(f"expected at least one value in the images; got shape {x.shape}")
    if (
        isinstance(expected, str)
        or not isinstance(expected, tuple | list)
        or len(expected) != 2
        or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v)
            for v in expected
        )
    ):
        raise TypeError(f"expected `expected` as a pair of numbers (low, high); got {expected!r}")
    low, high = float(expected[0]), float(expected[1])
    if not low < high:
        raise ValueError(f"expected low < high in `expected`; got {expected!r}")
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not 0 <= margin < np.inf:
        raise TypeError(f"expected margin as a number >= 0, e.g. 0.5; got {margin!r}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        n_nan, n_inf = int(np.isnan(x).sum()), int(np.isinf(x).sum())
        raise ValueError(
            f"expected finite values in the images; got {n_nan} NaN and {n_inf} infinite value(s)"
        )

    span = high - low
    # the 0.1 and 99.9 percentiles: a few hot pixels or outliers do not decide
    p_low, p_high = (float(v) for v in np.percentile(x, [0.1, 99.9]))
    smallest, largest = x.min().item(), x.max().item()
    whole = _whole_numbers(x)
    got = f"got {x.dtype} values {_value_text(smallest)} to {_value_text(largest)}"
    if whole and x.dtype.kind == "f":
        got += " (whole numbers)"
    want = f"expected values of about {low:g} to {high:g}, as the model was trained on"
    fix = "Scale them as the training images were"
    if p_high > high + margin * span:
        if whole and smallest >= 0 and largest <= 255:
            cause = f"raw 8-bit pixels? {fix}, e.g. x.astype(np.float32) / 255"
        elif whole and smallest >= 0 and largest <= 4095:
            cause = (
                f"raw 12-bit camera values (0 to 4095)? {fix}, e.g. "
                "cellcourse.preprocess.normalize_percentile(x) or x.astype(np.float32) / 4095"
            )
        elif whole and smallest >= 0 and largest <= 65535:
            cause = (
                f"raw 16-bit pixels? {fix}, e.g. cellcourse.preprocess.normalize_percentile(x) "
                "or x.astype(np.float32) / 65535"
            )
        else:
            cause = f"values far larger than in training: were these images scaled? {fix}"
        raise ValueError(f"{want}; {got}: {cause}")
    if p_low < low - margin * span:
        cause = (
            f"scaled for another network (e.g. -1 to 1), or centred by subtracting a mean? {fix}"
        )
        raise ValueError(f"{want}; {got}: {cause}")
    if 0 < p_high - p_low < 0.05 * span:
        cause = (
            "the values vary over less than 5 % of that range: scaled twice (e.g. divided by "
            "255 twice), or 12-bit data divided by 65535? "
            f"{fix}, e.g. with cellcourse.preprocess.normalize_percentile"
        )
        raise ValueError(f"{want}; {got}: {cause}")


def _optimizer(optimizer, learning_rate):
    import keras

    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer  # carries its own learning rate
    if optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=learning_rate)
    if optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate)
    raise ValueError(f'expected optimizer "adam", "sgd" or a keras optimizer; got {optimizer!r}')


def _class_weight(class_weight, y: np.ndarray, n_classes: int) -> dict[int, float] | None:
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f'expected class_weight None, "balanced" or a dict class → weight; '
                f"got {class_weight!r}"
            )
        # weight_k = S / (K * S_k): each class then counts as much as if all were equally common
        counts = np.bincount(y, minlength=n_classes)
        return {k: float(len(y) / (n_classes * counts[k])) for k in range(n_classes)}
    if not isinstance(class_weight, dict):
        raise TypeError(
            f'expected class_weight None, "balanced" or a dict class → weight; '
            f"got {type(class_weight).__name__}"
        )
    keys = list(class_weight)
    all_ints = all(isinstance(k, numbers.Integral) and not isinstance(k, bool) for k in keys)
    if not all_ints or sorted(keys) != list(range(n_classes)):
        raise ValueError(
            f"expected class_weight with one weight for each class 0..{n_classes - 1}; "
            f"got keys {keys}"
        )
    weights = {}
    for k, w in class_weight.items():
        if isinstance(w, bool) or not isinstance(w, numbers.Real) or not 0 < w < np.inf:
            raise ValueError(f"expected a positive weight for class {k}; got {w!r}")
        weights[int(k)] = float(w)
    return weights


def fit_classifier(
    model,
    x,
    y,
    validation_data=None,
    num_epochs=10,
    batch_size=32,
    learning_rate=1e-3,
    optimizer="adam",
    class_weight=None,
    callbacks=None,
    verbose=0,
):
    """Check the data, compile a classifier and train it: ``model.compile`` + ``model.fit``.

    Parameters
    ----------
    model : keras.Model
        A classifier with output ``(S, K)`` of class probabilities (softmax),
        e.g. from :mod:`cellcourse.models`. It is compiled again on every call,
        which also makes a change of ``trainable`` take effect (fine-tuning).
    x : (S, Y, X, C) ndarray
        Training images as the model takes them (see
        :func:`check_classification_data`).
    y : (S,) array_like of int
        Class indices ``0 .. K-1``; every class must occur.
    validation_data : tuple (x_val, y_val), optional
        Images ``(S_val, Y, X, C)`` and labels ``(S_val,)`` evaluated after
        every epoch (history keys ``val_loss``, ``val_accuracy``).
    num_epochs : int
        Passes over the training set.
    batch_size : int
        Images per gradient step.
    learning_rate : float
        Step size of ``"adam"`` or ``"sgd"``; ignored when ``optimizer`` is a
        Keras optimizer (it has its own).
    optimizer : {"adam", "sgd"} or keras.optimizers.Optimizer
        Adam, plain stochastic gradient descent (no momentum), or any Keras
        optimizer object.
    class_weight : None, "balanced" or dict of int to float
        Weight of each class in the loss: None = all 1; ``"balanced"`` =
        ``S / (K * S_k)`` for a class of ``S_k`` samples, so rare classes
        count as much as common ones; or one positive weight per class.
    callbacks : list of keras.callbacks.Callback, optional
        E.g. ``keras.callbacks.EarlyStopping(restore_best_weights=True)``.
    verbose : {0, 1, 2, "auto"}
        Keras's progress output; 0 = silent.

    Returns
    -------
    keras.callbacks.History
        ``history.history`` maps ``"loss"``, ``"accuracy"`` (and ``"val_loss"``,
        ``"val_accuracy"``) to one value per epoch; draw it with
        :func:`cellcourse.plot.training_curves`.

    Raises
    ------
    TypeError, ValueError
        If the data do not fit the model (see :func:`check_classification_data`)
        or an argument is invalid; nothing is trained then.

    Notes
    -----
    The loss is ``sparse_categorical_crossentropy`` (integer labels, softmax
    output) and the metric is accuracy. This function does not seed: call
    :func:`cellcourse.set_seed` first for a repeatable run. See chapters 02
    and 03.

    References
    ----------
    .. [1] Kingma, D. P. & Ba, J. Adam: a method for stochastic optimization.
           ICLR (2015). arXiv:1412.6980

    Examples
    --------
    >>> from cellcourse.models import linear_classifier
    >>> model = linear_classifier((8, 8, 3), n_classes=3)
    >>> x = np.random.default_rng(0).random((12, 8, 8, 3), dtype=np.float32)
    >>> y = np.arange(12) % 3
    >>> history = fit_classifier(model, x, y, num_epochs=2, batch_size=4)
    >>> sorted(history.history), len(history.history["loss"])
    (['accuracy', 'loss'], 2)
    """
    import keras

    _check_model(model)
    x = _check_images(model, x)
    y = _check_labels(model, y, len(x), require_all_classes=True)
    n_classes = _n_classes(model)
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise TypeError(
                f"expected validation_data as a tuple (x_val, y_val); got "
                f"{type(validation_data).__name__}"
                + (
                    f" of length {len(validation_data)}"
                    if hasattr(validation_data, "__len__")
                    else ""
                )
            )
        x_val = _check_images(model, validation_data[0], "validation images (x_val)")
        y_val = _check_labels(model, validation_data[1], len(x_val), what="y_val")
        validation_data = (x_val.astype(np.float32, copy=False), y_val)
    num_epochs = _check_positive_int(num_epochs, "num_epochs")
    batch_size = _check_positive_int(batch_size, "batch_size")
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, numbers.Real)
        or not 0 < learning_rate < np.inf
    ):
        raise ValueError(f"expected learning_rate as a positive number; got {learning_rate!r}")
    if callbacks is None:
        callbacks = []
    if not isinstance(callbacks, list | tuple) or not all(
        isinstance(c, keras.callbacks.Callback) for c in callbacks
    ):
        raise TypeError(
            f"expected callbacks as a list of keras.callbacks.Callback; got {callbacks!r}"
        )
    if verbose not in (0, 1, 2, "auto") or isinstance(verbose, bool):
        raise ValueError(f'expected verbose 0, 1, 2 or "auto"; got {verbose!r}')
    weights = _class_weight(class_weight, y, n_classes)

    model.compile(
        optimizer=_optimizer(optimizer, float(learning_rate)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model.fit(
        x.astype(np.float32, copy=False),
        y,
        validation_data=validation_data,
        epochs=num_epochs,
        batch_size=batch_size,
        class_weight=weights,
        callbacks=list(callbacks),
        verbose=verbose,
    )


@contextlib.contextmanager
def _quiet_retracing():
    # TensorFlow logs "N out of the last N calls ... triggered tf.function
    # retracing" when a notebook predicts with many small models in a loop (a
    # learning curve, repeated runs). Each new model needs its own trace, so the
    # warning is expected and harmless there, but it buries the lesson's output.
    # Only TensorFlow's Python logger is raised, and only for this call.
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


def _predict(model, x, batch_size: int) -> np.ndarray:
    import keras

    with _quiet_retracing():
        out = model.predict(x.astype(np.float32, copy=False), batch_size=batch_size, verbose=0)
    return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float32)


def predict_classes(model, x, batch_size=256):
    """Predicted class and class probabilities of each image.

    Parameters
    ----------
    model : keras.Model
        A classifier with output ``(S, K)`` of class probabilities.
    x : (S, Y, X, C) ndarray
        Images as the model takes them.
    batch_size : int
        Images per forward pass (memory, not results).

    Returns
    -------
    y_pred : (S,) ndarray of int64
        Index of the most probable class of each image.
    probs : (S, K) ndarray of float32
        Class probabilities (rows sum to 1 for a softmax output).

    Raises
    ------
    TypeError, ValueError
        If ``x`` does not fit the model or the model is not a classifier.

    Examples
    --------
    >>> from cellcourse.models import linear_classifier
    >>> model = linear_classifier((8, 8, 3), n_classes=3)
    >>> y_pred, probs = predict_classes(model, np.zeros((5, 8, 8, 3)))
    >>> y_pred.shape, y_pred.dtype, probs.shape, probs.dtype
    ((5,), dtype('int64'), (5, 3), dtype('float32'))
    """
    _check_model(model)
    x = _check_images(model, x)
    _n_classes(model)
    batch_size = _check_positive_int(batch_size, "batch_size")
    probs = _predict(model, x, batch_size)
    return probs.argmax(axis=1).astype(np.int64), probs


def extract_features(model, x, batch_size=128):
    """Feature vectors of images from a feature extractor, e.g. a pretrained backbone.

    Parameters
    ----------
    model : keras.Model
        A model whose output is one vector per image ``(S, F)``, e.g.
        :func:`cellcourse.backbones.backbone` (``pooling="avg"``) or
        ``model.get_layer("backbone")`` of a
        :func:`cellcourse.models.transfer_classifier`.
    x : (S, Y, X, C) ndarray
        Images as the model takes them (for a pretrained backbone, prepared
        with its preprocessing function).
    batch_size : int
        Images per forward pass (memory, not results).

    Returns
    -------
    (S, F) ndarray of float32
        One row of F features per image, e.g. for a scatter plot (PCA, UMAP)
        or a classical classifier.

    Raises
    ------
    TypeError, ValueError
        If ``x`` does not fit the model, or the model outputs feature maps
        rather than vectors.

    Examples
    --------
    >>> from cellcourse.backbones import backbone
    >>> features = extract_features(backbone(input_shape=(32, 32, 3), weights=None),
    ...                             np.zeros((2, 32, 32, 3), np.float32))
    >>> features.shape, features.dtype
    ((2, 1280), dtype('float32'))
    """
    _check_model(model)
    x = _check_images(model, x)
    output = _single(model.output_shape, "output", model)
    if len(output) != 2:
        raise ValueError(
            f"expected a model that outputs one feature vector per image (S, F); model "
            f"{model.name!r} outputs {_shape_text(output)}: pool the feature maps, e.g. "
            'backbone(..., pooling="avg")'
        )
    batch_size = _check_positive_int(batch_size, "batch_size")
    return _predict(model, x, batch_size)


# ----------------------------------------------------------------------------------------
# diagnosis of a training history (chapter 04)
# ----------------------------------------------------------------------------------------

# The thresholds of the rules in diagnose_history (its Notes section explains each one).
_MIN_EPOCHS = 3  # too short: fewer epochs show no trend
_EXPLODE = 0.10  # diverging: the training curve ends > 10 % above its first value
_RISE = 0.10  # overfitting: the validation curve ends > 10 % above its best value
_JUMP = 0.20  # unstable: an epoch-to-epoch rise of > 20 % of the validation median ...
_MIN_JUMPS = 2  # ... happening at least twice
_STILL_FALLING = 0.10  # underfitting: > 10 % lower over the last `patience` epochs
_LOW_ACCURACY = 0.9  # underfitting: training accuracy at the end below this
_BARELY = 0.10  # underfitting: the training curve ends < 10 % below its first value
_ACCURACY_KEYS = (
    "accuracy",
    "sparse_categorical_accuracy",
    "categorical_accuracy",
    "binary_accuracy",
    "acc",
)
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "iou", "io_u", "dice")


@dataclass(frozen=True)
class HistoryDiagnosis:
    """What a training history says, in words: the result of :func:`diagnose_history`.

    ``print(diagnosis)`` shows the verdict as a headline, then the evidence
    and the advice as bullet lines.

    Attributes
    ----------
    verdict : str
        One of ``"healthy"``, ``"underfitting"``, ``"overfitting"``,
        ``"unstable"``, ``"diverging"`` or ``"too short"``.
    evidence : tuple of str
        The numbers behind the verdict, each with its epoch (1-based).
    advice : tuple of str
        What to try next for this verdict.
    best_epoch : int or None
        1-based epoch of the lowest validation value of the metric (the
        epoch that early stopping would keep); None without validation data.
    gap : float or None
        Training minus validation accuracy at ``best_epoch``; None without
        validation data or without accuracy in the history.

    Examples
    --------
    >>> diagnosis = HistoryDiagnosis("healthy", ("evidence",), ("keep it",), 3, 0.01)
    >>> print(diagnosis)
    Diagnosis: healthy
    Evidence:
      - evidence
    Advice:
      - keep it
    """

    verdict: str
    evidence: tuple[str, ...]
    advice: tuple[str, ...]
    best_epoch: int | None
    gap: float | None

    def __str__(self) -> str:
        def bullets(lines) -> list[str]:
            return [
                textwrap.fill(line, width=88, initial_indent="  - ", subsequent_indent="    ")
                for line in lines
            ]

        return "\n".join(
            [f"Diagnosis: {self.verdict}", "Evidence:"]
            + bullets(self.evidence)
            + ["Advice:"]
            + bullets(self.advice)
        )


def _short_repr(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _history_curves(history) -> dict[str, np.ndarray]:
    """The curves of a History or dict as float64 arrays of one length; raise if malformed."""
    values = getattr(history, "history", history)  # a keras History holds its dict in .history
    if not isinstance(values, dict):
        raise TypeError(
            f"expected a keras History (from model.fit) or a dict of lists such as "
            f'{{"loss": [...], "val_loss": [...]}}; got {type(history).__name__}'
        )
    if not values:
        raise ValueError(
            'expected a history with at least one metric, e.g. {"loss": [...]}; got an empty '
            "dict (was the model trained?)"
        )
    curves = {}
    for key, value in values.items():
        if not isinstance(key, str):
            raise TypeError(f"expected metric names (str) as the history's keys; got {key!r}")
        try:
            curve = np.asarray(value)
        except ValueError:  # ragged nested lists
            curve = np.asarray(None)
        if curve.dtype.kind not in "iuf":
            raise TypeError(
                f"expected history[{key!r}] as a list of numbers, one per epoch; "
                f"got {_short_repr(value)}"
            )
        if curve.ndim != 1:
            what = f"a single value {value!r}" if curve.ndim == 0 else f"shape {curve.shape}"
            raise ValueError(
                f"expected history[{key!r}] as a flat list, one number per epoch; got {what}"
            )
        curves[key] = curve.astype(np.float64)
    lengths = {key: len(curve) for key, curve in curves.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            "expected one value per epoch in every list of the history (all of the same "
            "length); got lengths " + ", ".join(f"{k}: {n}" for k, n in lengths.items())
        )
    return curves


def _check_metric(metric, curves: dict) -> str:
    if not isinstance(metric, str):
        raise TypeError(f'expected metric as a str such as "loss"; got {metric!r}')
    if metric.startswith("val_"):
        raise ValueError(
            f"expected the name of the training metric, e.g. {metric[4:]!r}; got {metric!r} "
            "(its validation curve 'val_...' is read automatically)"
        )
    if metric not in curves:
        available = ", ".join(map(repr, curves))
        raise ValueError(
            f"the history has no metric {metric!r}; expected one of its keys: {available}"
        )
    name = metric.lower()
    if "loss" not in name and any(word in name for word in _HIGHER_IS_BETTER):
        raise ValueError(
            f'expected a loss or an error, where lower is better, such as "loss" or "mae"; '
            f"got {metric!r}, where higher is better (accuracy, when in the history, is read "
            "for the train-validation gap)"
        )
    return metric


def _fmt(value: float) -> str:
    """A value for a sentence: 0.214, 1.13e+04, nan."""
    if not np.isfinite(value):
        return str(float(value))  # "nan", "inf", "-inf"
    if value != 0 and not 1e-3 <= abs(value) < 1e3:
        return f"{value:.3g}"
    return f"{value:.3f}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _non_finite(curve: np.ndarray, label: str) -> str | None:
    """Where ``curve`` first holds nan or inf, in words; None if it is finite throughout."""
    bad = np.flatnonzero(~np.isfinite(curve))
    if bad.size == 0:
        return None
    k = int(bad[0])
    kind = _fmt(curve[k])
    if k == 0:
        return f"{label} was {kind} from epoch 1"
    return f"{label} became {kind} at epoch {k + 1} (last finite value {_fmt(curve[k - 1])} at epoch {k})"


def _relative(start: float, end: float) -> float:
    """Relative change from ``start`` to ``end`` (positive = up)."""
    if start == 0:
        return 0.0 if end == start else float(np.sign(end - start)) * np.inf
    return (end - start) / abs(start)


_ADVICE = {
    "too short": (
        "train for more epochs: at least 3 to see a trend, 10 or more to see over- or underfitting",
    ),
    "diverging": (
        "lower the learning rate 10× (e.g. 1e-3 → 1e-4) and train again from fresh weights",
        "check the input normalisation: float32 images roughly 0–1 (e.g. "
        "cellcourse.preprocess.normalize_percentile), with no nan or inf in them",
        "clip the gradients: keras.optimizers.Adam(learning_rate=1e-4, clipnorm=1.0)",
    ),
    "overfitting": (
        "more training data, or augment it (flips, 90° rotations, crops) so the model never "
        "sees the same image twice",
        "add dropout, e.g. keras.layers.Dropout(0.3) before the last Dense layer",
        "add L2 weight decay to the weights: kernel_regularizer=keras.regularizers.L2(1e-4)",
        # early stopping (with the best epoch) is added by diagnose_history
        "use a smaller model (fewer filters or layers)",
    ),
    "unstable": (
        "lower the learning rate (3–10×)",
        "use a larger batch (e.g. 64 or 128): each step then averages more images",
        "warm up: start with a small learning rate while batch normalisation settles, e.g. "
        "keras.optimizers.schedules.CosineDecay(1e-5, decay_steps, warmup_target=1e-3, "
        "warmup_steps=...)",
        "a larger validation set also gives a less noisy validation curve",
    ),
    "underfitting": (
        "train longer (more epochs)",
        "use a larger model (more filters or layers)",
        "raise the learning rate (e.g. 3×)",
        "use less regularisation: lower dropout and L2, milder augmentation",
        "check the input scaling: float32 images roughly 0–1, and labels that match the images",
    ),
    "healthy": ("keep it: nothing in this history calls for a change",),
}


def diagnose_history(history, metric="loss", patience=3, gap_tolerance=0.05):
    """Read a training history and say whether the model under- or overfits, in words.

    A few simple rules (listed under Notes) look at the training and
    validation curves of ``metric`` (and at accuracy, when the history has
    it) and return a verdict, the numbers behind it and what to try next.

    Parameters
    ----------
    history : keras.callbacks.History or dict of str to list of float
        What ``model.fit`` (or :func:`fit_classifier`) returns, or its
        ``.history``: metric name → one value per epoch, all lists of the
        same length; validation values under ``"val_" + name``.
    metric : str
        The curve to judge, where lower is better: ``"loss"`` or another loss
        or error in the history (``"mae"``). Its validation curve
        ``"val_" + metric`` is used when present; without it, only
        ``"diverging"``, ``"underfitting"`` and ``"healthy"`` can be told
        apart (the evidence says so).
    patience : int
        Epochs without improvement of the validation curve before its rise
        counts as overfitting; also the window ("the last epochs") in which a
        still-falling curve counts as underfitting.
    gap_tolerance : float
        Largest training minus validation accuracy, at the last epoch, that
        is not yet overfitting (0 to 1).

    Returns
    -------
    HistoryDiagnosis
        ``verdict``, ``evidence``, ``advice``, ``best_epoch`` and ``gap``;
        ``print()`` it for a short report.

    Raises
    ------
    TypeError
        If ``history`` is not a History or a dict, a curve is not a list of
        numbers, or ``metric`` is not a str.
    ValueError
        If the lists differ in length, ``metric`` is not in the history (the
        message lists its keys), names a validation curve or a metric where
        higher is better (accuracy), or ``patience`` or ``gap_tolerance`` is
        out of range.

    Notes
    -----
    The rules are tried in this order; the first that holds gives the
    verdict. E is the number of epochs, "val" the validation curve of
    ``metric``, epochs count from 1.

    1. **too short**: E < 3; no trend can be seen.
    2. **diverging**: the training or validation curve holds nan or inf, or
       the training curve ends more than 10 % above its first value
       (training made the model worse).
    3. **overfitting** (needs val): either val was lowest at epoch b, has
       not improved for at least ``patience`` epochs (E - b >= patience),
       ends more than 10 % above its lowest value, while the training curve
       fell from epoch b to E; or training minus validation accuracy at
       epoch E is above ``gap_tolerance``.
    4. **unstable** (needs val): val rose from one epoch to the next by more
       than 20 % of its median at least twice: it jumps up and down a lot
       relative to its level.
    5. **underfitting**, if any of these holds:

       - the curve is still falling: val (the training curve without
         validation data) is more than 10 % lower at epoch E than
         ``patience`` epochs earlier, so more epochs would still help;
       - the training curve barely fell: at epoch E it is less than 10 %
         below its value at epoch 1 (the model has hardly learned);
       - the training accuracy at epoch E is below 0.9: a model with enough
         capacity fits the images it is trained on almost perfectly.
    6. **healthy**: none of the above.

    These thresholds are rules of thumb for a first look, not tests: always
    look at the curves too (:func:`cellcourse.plot.training_curves`). See
    chapter 04.

    References
    ----------
    .. [1] Prechelt, L. Early stopping — but when? In Neural Networks: Tricks
           of the Trade, LNCS 1524, 55–69 (1998). doi:10.1007/3-540-49430-8_3
    .. [2] Moen, E. et al. Deep learning for cellular image analysis. Nat
           Methods 16, 1233–1246 (2019). doi:10.1038/s41592-019-0403-1

    Examples
    --------
    >>> history = {"loss": [1.0, 0.7, 0.5, 0.4, 0.3, 0.2],
    ...            "val_loss": [1.1, 0.8, 0.6, 0.7, 0.8, 0.9]}
    >>> diagnosis = diagnose_history(history)
    >>> diagnosis.verdict, diagnosis.best_epoch
    ('overfitting', 3)
    >>> print(diagnosis)  # doctest: +NORMALIZE_WHITESPACE
    Diagnosis: overfitting
    Evidence:
      - validation loss was lowest at epoch 3 (0.600) and rose to 0.900 by epoch 6 while
        training loss kept falling (0.500 → 0.200)
    Advice:
      - more training data, or augment it (flips, 90° rotations, crops) so the model never
        sees the same image twice
      - add dropout, e.g. keras.layers.Dropout(0.3) before the last Dense layer
      - add L2 weight decay to the weights: kernel_regularizer=keras.regularizers.L2(1e-4)
      - stop early at the best epoch (3): keras.callbacks.EarlyStopping(monitor="val_loss",
        patience=3, restore_best_weights=True)
      - use a smaller model (fewer filters or layers)

    Without validation data only the training curve can be judged:

    >>> diagnose_history({"loss": [2.0, 1.2, 0.9, 0.7, 0.55]}).verdict
    'underfitting'
    """
    curves = _history_curves(history)
    metric = _check_metric(metric, curves)
    patience = _check_positive_int(patience, "patience")
    if (
        isinstance(gap_tolerance, bool)
        or not isinstance(gap_tolerance, numbers.Real)
        or not 0 <= gap_tolerance <= 1
    ):
        raise ValueError(
            f"expected gap_tolerance as a number from 0 to 1 (a difference of accuracies); "
            f"got {gap_tolerance!r}"
        )

    train = curves[metric]
    val = curves.get(f"val_{metric}")
    acc_key = next((key for key in _ACCURACY_KEYS if key in curves), None)
    train_acc = curves[acc_key] if acc_key else None
    val_acc = curves.get(f"val_{acc_key}") if acc_key else None
    n_epochs = len(train)
    t_label, v_label = f"training {metric}", f"validation {metric}"

    best_epoch = None
    if val is not None and np.isfinite(val).any():
        best_epoch = int(np.nanargmin(np.where(np.isfinite(val), val, np.nan))) + 1
    gap = None
    if best_epoch is not None and train_acc is not None and val_acc is not None:
        gap = float(train_acc[best_epoch - 1] - val_acc[best_epoch - 1])

    note = None
    if val is None:
        note = (
            f"no 'val_{metric}' in the history: judged from the training curve alone; "
            "validation data (validation_data=(x_val, y_val) in fit) would also show "
            "overfitting and unstable training"
        )

    def result(verdict, evidence, advice=None):
        evidence = [line for line in evidence if line] + ([note] if note else [])
        advice = _ADVICE[verdict] if advice is None else advice
        return HistoryDiagnosis(verdict, tuple(evidence), tuple(advice), best_epoch, gap)

    non_finite = [
        _non_finite(curve, label)
        for curve, label in ((train, t_label), (val, v_label))
        if curve is not None
    ]
    non_finite = [line for line in non_finite if line]

    # 1. too short
    if n_epochs < _MIN_EPOCHS:
        evidence = [
            f"only {_plural(n_epochs, 'epoch')}: at least {_MIN_EPOCHS} are needed to see a trend"
        ]
        advice = _ADVICE["too short"] + (_ADVICE["diverging"][:1] if non_finite else ())
        return result("too short", evidence + non_finite, advice)

    # 2. diverging
    if non_finite:
        return result("diverging", non_finite)
    rise = _relative(train[0], train[-1])
    if rise > _EXPLODE:
        if train[0] > 0:
            ratio = train[-1] / train[0]
            times = f"{ratio:,.0f}" if 100 <= ratio < 1e6 else f"{ratio:.3g}"
            times += " times the first value"
        else:
            times = f"{rise:+.0%}"
        return result(
            "diverging",
            [
                f"{t_label} ended above its first value: {_fmt(train[0])} at epoch 1 → "
                f"{_fmt(train[-1])} at epoch {n_epochs} ({times})"
            ],
        )

    # context shared by the remaining verdicts
    end_gap = None
    gap_line = None
    if train_acc is not None and val_acc is not None:
        end_gap = float(train_acc[-1] - val_acc[-1])
        gap_line = (
            f"train minus validation accuracy at the end: {end_gap:.2f} (training "
            f"{train_acc[-1]:.3f}, validation {val_acc[-1]:.3f} at epoch {n_epochs}"
        )
        if best_epoch != n_epochs:
            gap_line += f"; {gap:.2f} at the best epoch {best_epoch}"
        within = "above" if end_gap > gap_tolerance else "within"
        gap_line += f"), {within} the tolerance {gap_tolerance:g}"
    best_line = None
    if val is not None:
        best_line = f"{v_label} was lowest at epoch {best_epoch} ({_fmt(val[best_epoch - 1])})"
        if best_epoch == n_epochs:
            best_line += ", the last epoch"
        else:
            best_line += f"; {_fmt(val[-1])} at epoch {n_epochs}"

    # 3. overfitting
    if val is not None:
        b = best_epoch
        turned_up = (
            n_epochs - b >= patience
            and _relative(val[b - 1], val[-1]) > _RISE
            and train[-1] < train[b - 1]
        )
        if turned_up or (end_gap is not None and end_gap > gap_tolerance):
            evidence = []
            if turned_up:
                evidence.append(
                    f"{v_label} was lowest at epoch {b} ({_fmt(val[b - 1])}) and rose to "
                    f"{_fmt(val[-1])} by epoch {n_epochs} while {t_label} kept falling "
                    f"({_fmt(train[b - 1])} → {_fmt(train[-1])})"
                )
            else:
                evidence.append(best_line)
            evidence.append(gap_line)
            advice = list(_ADVICE["overfitting"])
            advice.insert(
                3,
                f"stop early at the best epoch ({b}): keras.callbacks.EarlyStopping("
                f'monitor="val_{metric}", patience={patience}, restore_best_weights=True)',
            )
            return result("overfitting", evidence, advice)

    # 4. unstable
    if val is not None:
        level = abs(float(np.median(val)))
        steps = np.diff(val)
        jumps = np.flatnonzero(steps > _JUMP * level)
        if jumps.size >= _MIN_JUMPS:
            shown = ", ".join(
                f"epoch {i + 1} → {i + 2} ({_fmt(val[i])} → {_fmt(val[i + 1])})" for i in jumps[:4]
            )
            more = f" and {jumps.size - 4} more" if jumps.size > 4 else ""
            return result(
                "unstable",
                [
                    f"{v_label} jumped up by more than {_JUMP:.0%} of its median "
                    f"({_fmt(level)}) {jumps.size} times: {shown}{more}",
                    best_line,
                    gap_line,
                ],
            )

    # 5. underfitting
    curve, label = (train, t_label) if val is None else (val, v_label)
    window = min(patience, n_epochs - 1)
    start, end = curve[-1 - window], curve[-1]
    change = _relative(start, end)
    trend = (
        f"{_fmt(start)} at epoch {n_epochs - window} → {_fmt(end)} at epoch {n_epochs}, "
        f"{change:+.0%} over the last {_plural(window, 'epoch')}"
    )
    evidence = []
    if -change > _STILL_FALLING:
        evidence.append(f"{label} is still falling ({trend}): it has not levelled off")
    learned = -_relative(train[0], train[-1])
    if learned < _BARELY:
        evidence.append(
            f"{t_label} ended less than {_BARELY:.0%} below its first value ({_fmt(train[0])} "
            f"at epoch 1 → {_fmt(train[-1])} at epoch {n_epochs}, {-learned:+.0%}): the model "
            "has hardly learned"
        )
    if train_acc is not None and train_acc[-1] < _LOW_ACCURACY:
        evidence.append(
            f"training accuracy at the end is {train_acc[-1]:.3f} (below {_LOW_ACCURACY}): "
            "the model does not even fit the images it is trained on"
        )
    if evidence:
        return result("underfitting", evidence + [best_line, gap_line])

    # 6. healthy
    return result(
        "healthy",
        [
            f"{t_label} fell from {_fmt(train[0])} at epoch 1 to {_fmt(train[-1])} at epoch "
            f"{n_epochs}",
            f"{label} levelled off ({trend})",
            best_line,
            gap_line,
        ],
        _ADVICE["healthy"]
        if val is not None
        else ("keep it, and add validation data to check for overfitting",),
    )
