"""Exercises of chapter 06, hyperparameter tuning and a bug hunt (BCCD blood cells).

Used in ``solutions/06_hyperparameter_tuning.ipynb``::

    from cellcourse.exercises import ch06 as ex
    ex.q1.check(build_model)

The module also holds the course's version of the chapter's search space,
:func:`build_model`, which the notebook uses after Exercise 6.1 so that it runs
to the end before the learner's answer is written, and :func:`mid_fall_rate`,
which reads a learning-rate range test (sections 2 and 6.2). The course's versions of
the bug-hunt fixes are in the library: :func:`cellcourse.preprocess.to_float_image`
(Exercise 6.3), ``np.moveaxis`` (Exercise 6.5) and
:func:`cellcourse.preprocess.split_by_group` (Exercise 6.6).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..preprocess import check_no_group_leakage, to_float_image
from ._core import (
    CodingExercise,
    FunctionExercise,
    Incorrect,
    ThoughtExercise,
    _NotAttempted,
    describe,
)

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "build_model", "mid_fall_rate"]

_N_CLASSES = 3  # Platelets, RBC, WBC
_IMAGE_SHAPE = (32, 32, 3)  # the chapter's crops
_FILTERS = (8, 16, 32)
_LEARNING_RATES = (1e-4, 1e-2)
_MAX_DROPOUT = 0.5


# --- the course's version ----------------------------------------------------------------------------


def build_model(hp, image_shape=_IMAGE_SHAPE, n_classes=_N_CLASSES):
    """The chapter's search space: a small CNN whose knobs are drawn from ``hp``.

    Parameters
    ----------
    hp : keras_tuner.HyperParameters
        Where the tuner's values come from. Three hyperparameters are drawn:
        ``filters`` (8, 16 or 32: filters of the first block; the second and
        third blocks have 2 and 4 times as many), ``dropout`` (0 to 0.5) and
        ``learning_rate`` (1e-4 to 1e-2, on a log scale). Batch normalisation
        and augmentation stay on, as in chapter 02.
    image_shape : tuple of int
        ``(Y, X, C)`` of one crop.
    n_classes : int
        Number of classes K.

    Returns
    -------
    keras.Model
        :func:`cellcourse.models.small_cnn` with batch normalisation and
        augmentation, compiled with
        Adam, sparse categorical cross-entropy and accuracy: input
        ``(S, Y, X, C)`` images scaled 0-1, output ``(S, K)`` probabilities.

    Examples
    --------
    >>> import keras_tuner as kt  # doctest: +SKIP
    >>> model = build_model(kt.HyperParameters())  # doctest: +SKIP
    >>> model.output_shape  # doctest: +SKIP
    (None, 3)
    """
    import keras

    from ..models import small_cnn

    filters = hp.Choice("filters", list(_FILTERS))
    model = small_cnn(
        image_shape,
        n_classes,
        filters=(filters, 2 * filters, 4 * filters),
        dropout=hp.Float("dropout", 0.0, _MAX_DROPOUT),
        augment=True,
    )
    learning_rate = hp.Float("learning_rate", *_LEARNING_RATES, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# --- Exercise 6.1: the search space --------------------------------------------------------------------


def _new_hp():
    import keras_tuner as kt

    return kt.HyperParameters()


def _call_builder(function, hp, when: str):
    import keras

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras' own warnings say nothing new here
            model = function(hp)
    except Exception as exc:
        raise Incorrect(
            f"`build_model(hp)` {when} raised {type(exc).__name__}: {str(exc)[:160]}"
        ) from exc
    if model is Ellipsis:
        raise _NotAttempted(
            "`build_model` still returns `...`. Replace the `...` with your code, run that "
            "cell, then run this check again."
        )
    if model is None:
        raise Incorrect("`build_model(hp)` returned None: did you forget `return model`?")
    if not isinstance(model, keras.Model):
        raise Incorrect(
            f"`build_model(hp)` returned {describe(model)}; expected a compiled Keras model."
        )
    return model


def _space(hp) -> dict:
    return {p.name: p for p in hp.space}


def _possible_values(parameter) -> list:
    """The values a Choice, Boolean or Int can take (None for a Float)."""
    kind = type(parameter).__name__
    if kind == "Choice":
        return list(parameter.values)
    if kind == "Boolean":
        return [False, True]
    if kind == "Int":
        step = parameter.step or 1
        return list(range(parameter.min_value, parameter.max_value + 1, step))
    if kind == "Fixed":
        return [parameter.value]
    return None


def _bounds(parameter) -> tuple[float, float]:
    values = _possible_values(parameter)
    if values is None:
        return float(parameter.min_value), float(parameter.max_value)
    numeric = [float(v) for v in values if isinstance(v, numbers.Real)]
    return (min(numeric), max(numeric)) if numeric else (math.nan, math.nan)


def _check_space(space: dict) -> None:
    missing = [name for name in ("filters", "dropout", "learning_rate")]
    missing = [name for name in missing if name not in space]
    if missing:
        drawn = ", ".join(repr(name) for name in space) or "none"
        raise Incorrect(
            f"`build_model` draws no hyperparameter named {missing[0]!r} (it draws {drawn}). "
            'Use the names of the task, e.g. `hp.Float("dropout", ...)`, so that the '
            "trials table can be read."
        )
    filters = _possible_values(space["filters"])
    if filters is None or len(set(filters)) < 2:
        raise Incorrect(
            "`filters` should be one of a few whole numbers, e.g. "
            '`hp.Choice("filters", [8, 16, 32])`; yours cannot take several values.'
        )
    if set(filters) != set(_FILTERS):
        raise Incorrect(
            f"`filters` can take the values {sorted(set(filters))}; the task asks for 8, 16 "
            "or 32 (more filters train more slowly on a CPU)."
        )
    low, high = _bounds(space["dropout"])
    if not (low >= 0 and high <= _MAX_DROPOUT + 1e-9 and high - low >= 0.2):
        raise Incorrect(
            f"`dropout` goes from {low:g} to {high:g}; the task asks for rates from 0 to 0.5."
        )
    rate = space["learning_rate"]
    low, high = _bounds(rate)
    if not (
        math.isclose(low, _LEARNING_RATES[0], rel_tol=0.05)
        and math.isclose(high, _LEARNING_RATES[1], rel_tol=0.05)
    ):
        raise Incorrect(
            f"`learning_rate` goes from {low:g} to {high:g}; the task asks for 1e-4 to 1e-2, "
            "where the range test shows the loss falling."
        )
    if type(rate).__name__ == "Float" and rate.sampling != "log":
        raise Incorrect(
            "`learning_rate` is drawn on a linear scale: then 9 of 10 trials fall between "
            "1e-3 and 1e-2, and hardly any near 1e-4. Draw it on a log scale: "
            '`hp.Float(..., sampling="log")`.'
        )


def _first_conv_filters(model):
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            return int(layer.filters)
    return None


def _learning_rate(model) -> float:
    import keras

    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def _check_compiled(model) -> None:
    import keras

    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise Incorrect(
            "the model is not compiled. The tuner calls `fit` on it directly: end "
            "`build_model` with `model.compile(optimizer=keras.optimizers.Adam(learning_rate), "
            'loss="sparse_categorical_crossentropy", metrics=["accuracy"])`.'
        )
    loss = model.loss
    name = loss if isinstance(loss, str) else getattr(loss, "name", getattr(loss, "__name__", ""))
    is_sparse = isinstance(loss, keras.losses.SparseCategoricalCrossentropy) or (
        isinstance(name, str) and "sparse_categorical_crossentropy" in name
    )
    if not is_sparse:
        raise Incorrect(
            f"the model is compiled with the loss {describe(loss)}; the labels are class "
            'indices 0, 1, 2, so use loss="sparse_categorical_crossentropy".'
        )


def _check_model_shape(model) -> None:
    try:
        input_shape = tuple(model.input_shape)
        output_shape = tuple(model.output_shape)
    except Exception as exc:
        raise Incorrect(
            "the model has no input shape: build it on `keras.Input(shape=image_shape)` "
            "(small_cnn does)."
        ) from exc
    if input_shape != (None, *_IMAGE_SHAPE):
        raise Incorrect(
            f"the model takes inputs of shape {input_shape}; the crops are "
            f"{_IMAGE_SHAPE}, so it should take (None, 32, 32, 3): build it with `image_shape`."
        )
    if output_shape != (None, _N_CLASSES):
        raise Incorrect(
            f"the model gives outputs of shape {output_shape}; expected (None, {_N_CLASSES}): "
            "one probability per class."
        )


def _check_builder(function) -> str | None:
    import keras

    if not callable(function) or isinstance(function, keras.Model):
        raise Incorrect(
            f"`build_model` should be a function of `hp`, but it is {describe(function)}. "
            "The tuner calls it once per trial to build a new model: pass the function "
            "itself, ex.q1.check(build_model)."
        )
    hp = _new_hp()
    model = _call_builder(function, hp, "with fresh hyperparameters")
    _check_model_shape(model)
    _check_compiled(model)
    space = _space(hp)
    _check_space(space)

    # build two opposite configurations and see that the model follows the drawn values
    low_rate, high_rate = _bounds(space["learning_rate"])
    rate_values = _possible_values(space["learning_rate"])
    dropout_low, dropout_high = _bounds(space["dropout"])
    configurations = [
        {
            "filters": min(_FILTERS),
            "dropout": dropout_low,
            "learning_rate": 1e-3 if rate_values is None else min(rate_values),
        },
        {
            "filters": max(_FILTERS),
            "dropout": dropout_high,
            "learning_rate": high_rate,
        },
    ]
    for values in configurations:
        hp = _new_hp()
        _call_builder(function, hp, "")  # registers the hyperparameters
        hp.values.update(values)
        shown = ", ".join(
            f"{k}={v:g}" if not isinstance(v, bool) else f"{k}={v}" for k, v in values.items()
        )
        model = _call_builder(function, hp, f"with {shown}")
        n_filters = _first_conv_filters(model)
        if n_filters != values["filters"]:
            raise Incorrect(
                f"with filters={values['filters']}, the first convolution of your model has "
                f"{n_filters} filters: pass the drawn value to the model builder."
            )
        rates = [
            float(layer.rate) for layer in model.layers if isinstance(layer, keras.layers.Dropout)
        ]
        wanted = values["dropout"]
        if wanted > 0 and not any(math.isclose(r, wanted, rel_tol=1e-6) for r in rates):
            raise Incorrect(
                f"with dropout={wanted:g}, your model has no Dropout layer of that rate "
                f"(rates {rates}): pass the drawn value to `small_cnn(dropout=...)`."
            )
        rate = _learning_rate(model)
        if not math.isclose(rate, values["learning_rate"], rel_tol=1e-4):
            raise Incorrect(
                f"with learning_rate={values['learning_rate']:g}, your model's optimizer has "
                f"the learning rate {rate:g}: give the drawn value to "
                "`keras.optimizers.Adam(...)`."
            )
        _check_compiled(model)
    return "three hyperparameters, and the model follows each of them."


q1 = CodingExercise(
    chapter="06",
    name="q1",
    title="Write the search space: a model builder drawing three hyperparameters from hp",
    var="build_model",
    checker=_check_builder,
    probe=lambda: (_new_hp(),),
    hints=[
        "Draw each value from `hp` where the model needs it: `hp.Choice(name, values)` for "
        "one of a few values, `hp.Float(name, low, high)` for a number in a range. Then build "
        "`cc.models.small_cnn(...)` with them, compile it and return it.",
        'The learning rate: `hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")`, given to '
        "`keras.optimizers.Adam(...)` in `model.compile(...)`. Filters: `filters = "
        'hp.Choice("filters", [8, 16, 32])`, then `filters=(filters, 2 * filters, 4 * filters)`.',
    ],
    solution_code=(
        "def build_model(hp):\n"
        '    filters = hp.Choice("filters", [8, 16, 32])\n'
        "    model = cc.models.small_cnn(\n"
        "        image_shape,\n"
        "        n_classes,\n"
        "        filters=(filters, 2 * filters, 4 * filters),\n"
        '        dropout=hp.Float("dropout", 0.0, 0.5),\n'
        "        augment=True,\n"
        "    )\n"
        '    learning_rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")\n'
        "    model.compile(\n"
        "        optimizer=keras.optimizers.Adam(learning_rate),\n"
        '        loss="sparse_categorical_crossentropy",\n'
        '        metrics=["accuracy"],\n'
        "    )\n"
        "    return model"
    ),
)


# --- Exercise 6.2: the validation protocol ----------------------------------------------------------------

q2 = ThoughtExercise(
    chapter="06",
    name="q2",
    title=(
        "A colleague trains 50 configurations, scores each on the test photographs, and "
        "reports the best test score. Why is that number too good, and what should they do "
        "instead?"
    ),
    hints=[
        "Think of 50 equally good models, each scored on the same few hundred cells: would "
        "they all get the same score? Which one would the colleague report?",
        "What is left to measure the chosen model on, once the test cells have been used to "
        "choose it?",
    ],
    solution_code=(
        "Every score measured on a finite set of cells is partly luck: which cells happen to "
        "be in the set, which borderline cells a model happens to get right. Choosing the "
        "best of 50 scores picks the model that was luckiest on these particular cells, so "
        "its score is biased upwards (the more configurations, the larger the bias), and the "
        "test set has become part of the training procedure: nothing unseen is left to "
        "measure the chosen model on. Instead: choose among configurations with the "
        "validation split only (or cross-validation on the training photographs), fix every "
        "choice, retrain the chosen configuration, and evaluate it once on the test "
        "photographs. Report that number, together with how many configurations were tried. "
        "If the test score is then disappointing, resist going back to tune on it; at most, "
        "collect a new test set."
    ),
)


# --- Exercise 6.3: scale images as the model was trained ----------------------------------------------------


def _pixels(rng, shape, dtype):
    top = np.iinfo(dtype).max
    images = rng.integers(0, top, size=shape, endpoint=True).astype(dtype)
    images.flat[0], images.flat[-1] = 0, top  # the whole range, ends included
    return images


def _prepare_inputs():
    rng = np.random.default_rng(63)
    dim = rng.integers(10, 60, size=(2, 4, 4, 3), endpoint=True).astype(np.uint8)
    return [
        (
            (_pixels(rng, (2, 4, 4, 3), np.uint8),),
            {},
            "2 RGB crops of 4 × 4 pixels (uint8, 0 to 255)",
        ),
        (
            (_pixels(rng, (1, 5, 6, 1), np.uint16),),
            {},
            "one 16-bit grey image (uint16, 0 to 65535)",
        ),
        ((dim,), {}, "2 dim RGB crops (uint8, values 10 to 60 only)"),
        ((np.full((3, 2, 2, 3), 255, dtype=np.uint8),), {}, "3 white crops (uint8, all 255)"),
        ((_pixels(rng, (4, 8, 8, 3), np.uint8),), {}, "4 RGB crops of 8 × 8 pixels (uint8)"),
    ]


_DIAGNOSTIC_8 = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
_DIAGNOSTIC_16 = (np.arange(256, dtype=np.uint16) * 257).reshape(1, 16, 16, 1)
_DIAGNOSTIC_DIM = (np.arange(256, dtype=np.uint8) // 8 + 10).reshape(1, 16, 16, 1)  # 10 to 41


def _as_float(out) -> np.ndarray | None:
    try:
        out = np.asarray(out)
    except Exception:
        return None
    if out.dtype.kind not in "biuf":
        return None
    return out.astype(np.float64)


def _diagnose_prepare(function) -> str:
    """A specific hint for a typical mistake, from extra calls; "" if none is recognised."""
    try:
        out8 = _as_float(function(_DIAGNOSTIC_8.copy()))
        out16 = _as_float(function(_DIAGNOSTIC_16.copy()))
        out_dim = _as_float(function(_DIAGNOSTIC_DIM.copy()))
        dtype = np.asarray(function(_DIAGNOSTIC_8.copy())).dtype
    except Exception:
        return ""
    if out8 is None or out16 is None or out_dim is None:
        return ""
    x8 = _DIAGNOSTIC_8.astype(np.float64)
    if out8.shape != x8.shape:
        return ""
    if np.allclose(out8, x8):
        return (
            "`prepare` returns the raw pixel values (0 to 255): converting the dtype does not "
            "scale them. The model was trained on values from 0 to 1."
        )
    if np.allclose(out8, x8 / 255, atol=1e-6) and np.allclose(
        out16, _DIAGNOSTIC_16 / 255, rtol=1e-6
    ):
        return (
            "`prepare` divides 16-bit images by 255 too, giving values up to 257. Divide by "
            "the largest value of the image's dtype: `np.iinfo(images.dtype).max` (255 for "
            "uint8, 65535 for uint16)."
        )
    dim = _DIAGNOSTIC_DIM.astype(np.float64)
    stretched = (dim - dim.min()) / (dim.max() - dim.min())
    if np.allclose(out_dim, stretched, atol=1e-3) or np.allclose(
        out_dim, dim / dim.max(), atol=1e-3
    ):
        return (
            "`prepare` stretches each batch to fill 0 to 1, so the same cell gets different "
            "values depending on the other images in its batch (a dim batch is brightened). "
            "Scale by a fixed number, the dtype's largest value, as in training."
        )
    if np.allclose(out8, x8 / 255, atol=1e-6) and dtype != np.float32:
        return (
            f"`prepare` returns the right values, but of dtype {dtype}; the task asks for "
            "float32, which Keras computes in (float64 takes twice the memory)."
        )
    if np.allclose(out8, x8 / 255 / 255, atol=1e-9):
        return "`prepare` divides by 255 twice: the values end up between 0 and 0.004."
    return ""


q3 = FunctionExercise(
    diagnose=_diagnose_prepare,
    chapter="06",
    name="q3",
    title="Fix `prepare`: images as float32 from 0 to 1, whatever their bit depth",
    var="prepare",
    reference=to_float_image,
    test_inputs=_prepare_inputs,
    check_dtype=True,
    rtol=1e-6,
    atol=1e-7,
    probe=lambda: (np.zeros((1, 2, 2, 3), dtype=np.uint8),),
    hints=[
        "The model was trained on crops divided by 255. `astype` changes the type of the "
        "values, not their size: 200 stays 200.0.",
        "Divide by the largest value the dtype can hold, the same for every batch: "
        "`images.astype(np.float32) / np.iinfo(images.dtype).max`.",
    ],
    solution_code=(
        "def prepare(images):\n"
        "    top = np.iinfo(images.dtype).max  # 255 for uint8, 65535 for uint16\n"
        "    return images.astype(np.float32) / top"
    ),
)


# --- Exercise 6.4: a learning rate that does not diverge ----------------------------------------------------


def _as_range_result(lr_result):
    from ..tuning import LRRangeResult

    if not isinstance(lr_result, LRRangeResult):
        raise Incorrect(
            "pass the result of the range test as the second argument: "
            f"ex.q4.check(learning_rate, lr_bug); got {describe(lr_result)}."
        )
    rates = np.asarray(lr_result.learning_rates, dtype=float)
    losses = np.asarray(lr_result.losses, dtype=float)
    if rates.ndim != 1 or rates.shape != losses.shape or len(rates) < 5:
        raise Incorrect(
            "the range test's result holds no curve: run `cc.tuning.lr_range_test` again."
        )
    return rates, losses


def _start(losses) -> float:
    return float(np.median(losses[:5]))


def _mid_fall(rates, losses) -> float:
    start, lowest = _start(losses), float(losses.min())
    halfway = start - 0.5 * (start - lowest)
    return float(rates[int(np.flatnonzero(losses <= halfway)[0])])


def mid_fall_rate(lr_result) -> float:
    """The learning rate in the middle of a range test's fall: a safe rate to train at.

    Parameters
    ----------
    lr_result : cellcourse.tuning.LRRangeResult
        From :func:`cellcourse.tuning.lr_range_test`.

    Returns
    -------
    float
        The first rate at which the smoothed loss has fallen half of the way
        from its starting value (the median of its first 5 points) to its
        lowest value.

    Raises
    ------
    TypeError
        If ``lr_result`` is not an ``LRRangeResult``.
    ValueError
        If it holds fewer than 5 points.

    Notes
    -----
    The steep part of the curve is where training makes fast progress; its
    middle is a rate with room on both sides. Unlike ``lr_result.suggested``
    (a tenth of the rate at the lowest loss) it does not depend on where a
    broad, noisy valley of the curve happens to be lowest, and unlike the
    point of steepest slope it is not thrown off by a bump in that valley.
    See chapter 06.

    References
    ----------
    .. [1] Smith, L. N. Cyclical learning rates for training neural networks.
           WACV 2017. doi:10.1109/WACV.2017.58

    Examples
    --------
    >>> from cellcourse.tuning import LRRangeResult
    >>> rates = np.logspace(-6, 0, 7)  # 1e-6 to 1
    >>> losses = np.array([1.1, 1.1, 1.1, 1.0, 0.6, 0.3, 0.9])  # half way: 0.7
    >>> mid_fall_rate(LRRangeResult(rates, losses, suggested=1e-2, stopped_early=False))
    0.01
    """
    from ..tuning import LRRangeResult

    if not isinstance(lr_result, LRRangeResult):
        raise TypeError(
            f"expected the result of cellcourse.tuning.lr_range_test; got {type(lr_result)}"
        )
    rates = np.asarray(lr_result.learning_rates, dtype=float)
    losses = np.asarray(lr_result.losses, dtype=float)
    if rates.ndim != 1 or rates.shape != losses.shape or len(rates) < 5:
        raise ValueError(
            f"expected a curve of at least 5 points; got rates {rates.shape}, losses {losses.shape}"
        )
    return _mid_fall(rates, losses)


def _falling_rate(rates, losses) -> float:
    """The smallest rate at which the smoothed loss is 5 % below its starting value."""
    below = np.flatnonzero(losses < 0.95 * _start(losses))
    return float(rates[below[0]]) if below.size else float(rates[int(np.argmin(losses))])


_ABOVE_MIDDLE = 5  # accepted: up to this many times the rate in the middle of the fall


def _check_learning_rate(learning_rate, lr_result) -> str | None:
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, numbers.Real)
        or not math.isfinite(learning_rate)
        or learning_rate <= 0
    ):
        raise Incorrect(
            f"`learning_rate` is {describe(learning_rate)}; expected a positive number such "
            "as 0.001."
        )
    rates, losses = _as_range_result(lr_result)
    middle = _mid_fall(rates, losses)
    falling = min(_falling_rate(rates, losses), middle)
    rate = float(learning_rate)
    if rate > _ABOVE_MIDDLE * middle:
        ratio = rate / middle
        times = f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.2g}"
        where = (
            "beyond the end of the range test's curve"
            if rate > rates[-1]
            else "past the steep part of the range test's curve"
        )
        raise Incorrect(
            f"{rate:g} is {times} times the rate in the middle of the loss's fall "
            f"({middle:.2g}): {where}, where the loss falls no further and a long training "
            "risks diverging. Take a rate in the steep part of the curve."
        )
    if rate < falling / 3:
        raise Incorrect(
            f"at {rate:g} the range test's loss had not started to fall yet (it fell from "
            f"about {falling:.2g} on, half of the way by {middle:.2g}): training would crawl."
        )
    return (
        f"{rate:g} lies in the steep part of the range test's curve (the loss falls from about "
        f"{falling:.2g} on, half of the way by {middle:.2g})."
    )


q4 = CodingExercise(
    chapter="06",
    name="q4",
    title="Choose a learning rate that trains the broken pipeline's model without diverging",
    var=("learning_rate", "lr_bug"),
    checker=_check_learning_rate,
    hints=[
        "Read the range test's curve: the loss barely moves at the smallest rates, falls "
        "steeply in the middle, then stops falling. The colleague's rate lies far to the right.",
        "Take a rate in the middle of the fall, where the loss has come half of the way down: "
        "`ex.mid_fall_rate(lr_bug)` finds it (the dotted line in the figure).",
    ],
    solution_code="learning_rate = ex.mid_fall_rate(lr_bug)  # the middle of the steep part",
)


# --- Exercise 6.5: channels last ----------------------------------------------------------------------------


def _channels_first_inputs():
    rng = np.random.default_rng(65)
    return [
        (
            (np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5),),
            {},
            "2 RGB images (S, C, Y, X) = (2, 3, 4, 5)",
        ),
        ((rng.random((1, 3, 6, 6)).astype(np.float32),), {}, "one square RGB image (1, 3, 6, 6)"),
        ((rng.random((3, 1, 5, 7)).astype(np.float32),), {}, "3 grey images (3, 1, 5, 7)"),
        (
            (rng.integers(0, 255, (2, 4, 3, 8)).astype(np.uint8),),
            {},
            "2 images of 4 channels (2, 4, 3, 8)",
        ),
    ]


def _diagnose_channels(function) -> str:
    x = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    try:
        out = np.asarray(function(x.copy()))
    except Exception:
        return ""
    if out.shape == (2, 4, 5, 3) and np.array_equal(out, x.reshape(2, 4, 5, 3)):
        return (
            "`to_channels_last` reshapes: the shape is right, but the pixels are scrambled. "
            "`reshape` keeps the values in memory order and only cuts them differently; moving "
            "an axis needs `np.moveaxis` (or `np.transpose`)."
        )
    if out.shape == (2, 5, 4, 3) and np.array_equal(out, np.transpose(x, (0, 3, 2, 1))):
        return (
            "`to_channels_last` also swaps Y and X, which turns every image by 90° and mirrors "
            "it: the axes should end in the order (S, Y, X, C)."
        )
    if out.ndim == 4 and out.shape[0] != x.shape[0]:
        return (
            "`to_channels_last` moved the sample axis S: it should stay first, and only the "
            "channel axis C (now second) should move to the end."
        )
    return ""


def _moveaxis(images):
    return np.moveaxis(np.asarray(images), 1, -1)


q5 = FunctionExercise(
    diagnose=_diagnose_channels,
    chapter="06",
    name="q5",
    title="Fix the shapes: channels-first images (S, C, Y, X) to channels last (S, Y, X, C)",
    var="to_channels_last",
    reference=_moveaxis,
    test_inputs=_channels_first_inputs,
    probe=lambda: (np.zeros((1, 3, 2, 2)),),
    hints=[
        "Only the order of the axes changes: the channel axis, now second, must go last. The "
        "values must stay where they belong: pixel (y, x) of channel c of image s ends up at "
        "`[s, y, x, c]`.",
        "`np.moveaxis(images, 1, -1)` moves axis 1 to the end. Not `reshape`: it gives the "
        "right shape with the pixels scrambled.",
    ],
    solution_code=(
        "def to_channels_last(images):\n"
        "    return np.moveaxis(images, 1, -1)  # (S, C, Y, X) -> (S, Y, X, C)"
    ),
)


# --- Exercise 6.6: a split without leakage ------------------------------------------------------------------


def _photographs() -> np.ndarray:
    """The photograph of each crop: 25 photographs of 2 to 14 crops, interleaved."""
    rng = np.random.default_rng(66)
    sizes = rng.integers(2, 15, size=25)
    groups = np.repeat([f"BloodImage_{k:05d}" for k in range(25)], sizes)
    return rng.permutation(groups)


def _call_split(function, groups, seed):
    try:
        return function(groups.copy(), np.random.default_rng(seed))
    except Exception as generator_exc:
        try:
            return function(groups.copy(), seed)
        except Exception:
            raise Incorrect(
                f"`leak_free_split(groups, rng)` with {len(groups)} crops of 25 photographs and "
                f"rng=np.random.default_rng({seed}) raised "
                f"{type(generator_exc).__name__}: {str(generator_exc)[:160]}"
            ) from generator_exc


def _as_split(returned, n: int) -> tuple[np.ndarray, np.ndarray]:
    call = "`leak_free_split(groups, rng)`"
    if returned is Ellipsis:
        raise _NotAttempted(
            "`leak_free_split` still returns `...`. Replace the `...` with your code, run that "
            "cell, then run this check again."
        )
    if returned is None:
        raise Incorrect(f"{call} returned None: did you forget the `return` statement?")
    if not isinstance(returned, tuple | list) or len(returned) != 2:
        raise Incorrect(
            f"{call} returned {describe(returned)}; expected two arrays of indices: "
            "`return train_idx, test_idx`."
        )
    parts = []
    for name, part in zip(("train_idx", "test_idx"), returned, strict=True):
        try:
            array = np.asarray(part)
        except Exception:
            array = None
        if array is None or array.ndim != 1 or array.dtype.kind not in "iu":
            raise Incorrect(
                f"`{name}` is {describe(part)}; expected a 1-D array of integer indices into "
                "`groups` (crops, not photographs)."
            )
        if array.size and (array.min() < 0 or array.max() >= n):
            raise Incorrect(
                f"`{name}` holds indices from {array.min()} to {array.max()}, but there are {n} "
                f"crops: indices go from 0 to {n - 1}."
            )
        parts.append(array)
    train, test = parts
    every = np.concatenate([train, test])
    if len(every) != n or len(np.unique(every)) != n:
        repeated = len(every) - len(np.unique(every))
        raise Incorrect(
            f"{call} returned {len(train)} + {len(test)} indices for {n} crops "
            f"({repeated} repeated): every crop should be in exactly one of the two splits."
        )
    return np.sort(train), np.sort(test)


def _check_leak_free_split(function) -> str | None:
    if not callable(function):
        raise Incorrect(
            f"`leak_free_split` should be a function, but it is {describe(function)}. Pass the "
            "function itself: ex.q6.check(leak_free_split)."
        )
    groups = _photographs()
    n = len(groups)
    splits = [_as_split(_call_split(function, groups, seed), n) for seed in (1, 2)]
    again = _as_split(_call_split(function, groups, 1), n)
    for train, test in splits:
        try:
            check_no_group_leakage(groups, train, test, names=("train", "test"))
        except ValueError as exc:
            shared = np.intersect1d(groups[train], groups[test])
            raise Incorrect(
                f"{len(shared)} of the 25 photographs have crops in both splits (e.g. "
                f"{shared[0]!r}): split the photographs, not the crops, so that every crop of "
                "a photograph lands on the same side."
            ) from exc
        fraction = len(test) / n
        if not 0.1 <= fraction <= 0.3:
            raise Incorrect(
                f"the test split holds {len(test)} of the {n} crops ({fraction:.0%}); the task "
                "asks for about 20 %."
            )
    if not np.array_equal(splits[0][1], again[1]):
        raise Incorrect(
            "two calls with the same seed gave different splits. Draw only with the `rng` you "
            "are given (e.g. `rng.permutation`), so that the split can be repeated."
        )
    if np.array_equal(splits[0][1], splits[1][1]):
        raise Incorrect(
            "seeds 1 and 2 gave the same split: choose the test photographs at random, with `rng`."
        )
    return "no photograph on both sides, about a fifth of the crops for testing, repeatable."


q6 = CodingExercise(
    chapter="06",
    name="q6",
    title="Fix the leak: split by photograph, before any oversampling",
    var="leak_free_split",
    checker=_check_leak_free_split,
    probe=lambda: (np.array(["a", "a", "b", "c", "d"]), np.random.default_rng(0)),
    hints=[
        "Split the photographs, not the crops: choose about a fifth of the photographs for "
        "testing, and put every crop of a photograph on its photograph's side.",
        "`cc.preprocess.split_by_group(groups, fractions=(0.8, 0.2), rng=rng)` does it, or by "
        "hand: `names = rng.permutation(np.unique(groups))`, take photographs until a fifth "
        "of the crops is reached, and `np.isin(groups, test_names)`.",
    ],
    solution_code=(
        "def leak_free_split(groups, rng):\n"
        "    # whole photographs to each side; oversample afterwards, training side only\n"
        "    train_idx, test_idx = cc.preprocess.split_by_group(groups, fractions=(0.8, 0.2), rng=rng)\n"
        "    return train_idx, test_idx"
    ),
)
