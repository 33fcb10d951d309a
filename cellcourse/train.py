"""Thin helpers over ``model.fit`` for image classifiers: check the data, train, predict.

Keras trains on almost anything it is given and reports a shape mismatch or a
label out of range deep inside the backend, if at all. These helpers check the
images and labels against the model first, in words a learner can act on,
then call Keras: they hide nothing that ``compile``/``fit``/``predict`` do.
Diagnosing a training history (under- and overfitting) joins them in
chapter 04.

=============================  ===================================================
``check_classification_data``  images and labels fit the model? (clear errors)
``fit_classifier``             compile (Adam or SGD, cross-entropy) and fit
``predict_classes``            predicted classes and class probabilities
``extract_features``           feature vectors from a backbone or feature model
=============================  ===================================================

Labels are integer class indices ``0 .. K-1`` (sparse labels, not one-hot).
Seeding is the caller's job: :func:`cellcourse.set_seed` after importing Keras.
Axes letters: S sample, Y, X, C channel (channels last). See chapters 02 and 03.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_classification_data",
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


def _predict(model, x, batch_size: int) -> np.ndarray:
    import keras

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
