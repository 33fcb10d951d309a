"""Exercises of chapter 03, transfer learning (BCCD blood cells, EfficientNet-Lite0).

Used in ``solutions/03_transfer_learning.ipynb``::

    from cellcourse.exercises import ch03 as ex
    ex.q1.check(to_backbone_input)

The course's versions of the chapter's functions live in the library:
:func:`cellcourse.backbones.preprocess_efficientnet_lite0` (Exercise 3.1) and
:func:`cellcourse.preprocess.sample_per_class` (Exercise 3.3).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..backbones import preprocess_efficientnet_lite0
from ._core import (
    CodingExercise,
    FunctionExercise,
    Incorrect,
    ThoughtExercise,
    _NotAttempted,
    as_index_array,
    describe,
)

__all__ = ["q1", "q2", "q3", "q4", "q5"]

_N_CLASSES = 3  # Platelets, RBC, WBC


# --- Exercise 3.1: the backbone's input scaling -------------------------------------------------------


def _crops(rng, shape) -> np.ndarray:
    crops = rng.integers(0, 256, size=shape, dtype=np.uint8)
    crops.flat[0], crops.flat[-1] = 0, 255  # the whole range, ends included
    return crops


def _backbone_inputs():
    rng = np.random.default_rng(31)
    return [
        (
            (_crops(rng, (2, 4, 4, 3)),),
            {},
            "a batch of 2 crops of 4 × 4 RGB pixels (uint8, 0 to 255)",
        ),
        ((_crops(rng, (1, 8, 6, 3)),), {}, "one crop of 8 × 6 RGB pixels (uint8, 0 to 255)"),
        (
            (np.full((3, 5, 5, 3), 127, dtype=np.uint8),),
            {},
            "3 crops whose pixels are all 127 (uint8)",
        ),
        ((_crops(rng, (5, 16, 16, 3)),), {}, "a batch of 5 crops of 16 × 16 RGB pixels (uint8)"),
    ]


_DIAGNOSTIC_CROPS = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1).repeat(3, axis=-1)


def _diagnose_backbone_input(function) -> str:
    """A specific hint for a typical mistake, from one extra call; "" if none is recognised."""
    try:
        out = np.asarray(function(_DIAGNOSTIC_CROPS.copy()))
        if out.shape != _DIAGNOSTIC_CROPS.shape or out.dtype.kind not in "biuf":
            return ""
        out_dtype = out.dtype
        out = out.astype(np.float64)
    except Exception:
        return ""
    x = _DIAGNOSTIC_CROPS.astype(np.float64)
    wrapped = ((x - 127) % 256) / 128  # uint8 arithmetic: 0 - 127 wraps round to 129
    if np.allclose(out, x / 255, atol=1e-3):
        return (
            "`to_backbone_input` returns values from 0 to 1. EfficientNet-Lite0 was trained "
            "on pixels scaled to about -1 to 1, centred on 0; the task says how."
        )
    if np.allclose(out, wrapped, atol=1e-3):
        return (
            "`to_backbone_input` turns dark pixels into large values: uint8 arithmetic wraps "
            "round (in uint8, 0 - 127 is 129, not -127). Convert the crops to float32 before "
            "subtracting."
        )
    if np.allclose(out, (x - 127) / 128, atol=1e-5):
        if out_dtype == np.float32:
            return ""  # right here: the failing test case says what went wrong
        return (
            f"`to_backbone_input` returns the right values, but of dtype {out_dtype}; the "
            "task asks for float32. Keras computes in float32, and float64 takes twice the "
            "memory."
        )
    if np.allclose(out, (x - 127) / 128, atol=0.02):
        return (
            "`to_backbone_input` returns values close to the expected ones, but not the exact "
            "scaling EfficientNet-Lite0 was trained with: look again at the two numbers in the "
            "task."
        )
    return ""


q1 = FunctionExercise(
    diagnose=_diagnose_backbone_input,
    chapter="03",
    name="q1",
    title="Scale the crops as EfficientNet-Lite0 expects",
    var="to_backbone_input",
    reference=preprocess_efficientnet_lite0,
    test_inputs=_backbone_inputs,
    check_dtype=True,
    rtol=1e-6,
    atol=1e-6,
    probe=lambda: (np.zeros((1, 2, 2, 3), dtype=np.uint8),),
    hints=[
        "A pretrained network expects its input scaled exactly as during its training. For "
        "EfficientNet-Lite0 that is (pixel - 127) / 128, for values from about -1 to 1.",
        "Convert first, then compute: `crops.astype(np.float32)`. In uint8, 0 - 127 wraps "
        "round to 129.",
    ],
    solution_code=(
        "def to_backbone_input(crops):\n"
        "    x = crops.astype(np.float32)  # before any arithmetic: uint8 wraps round\n"
        "    return (x - 127) / 128"
    ),
)


# --- Exercise 3.2: a linear head on the features -------------------------------------------------------


def _as_n_features(n_features) -> int:
    if (
        isinstance(n_features, bool)
        or not isinstance(n_features, numbers.Integral)
        or not 0 < n_features <= 100_000
    ):
        raise Incorrect(
            "pass the length of one feature vector as the second argument: `n_features` "
            f"(1280 for EfficientNet-Lite0); got {describe(n_features)}."
        )
    return int(n_features)


def _check_head(head, n_features) -> str | None:
    import keras

    n = _as_n_features(n_features)
    if not isinstance(head, keras.Model):
        raise Incorrect(
            f"`head` is {describe(head)}; expected a Keras model, e.g. "
            "`keras.Model(inputs, outputs)` or `keras.Sequential([...])`."
        )
    try:
        input_shape = tuple(head.input_shape)
        output_shape = tuple(head.output_shape)
    except Exception as exc:
        raise Incorrect(
            "`head` has no input shape yet: start it with `keras.Input(shape=(n_features,))`."
        ) from exc
    if input_shape != (None, n):
        extra = ""
        if len(input_shape) == 4:
            extra = " It takes images: the head works on the backbone's features, not on crops."
        raise Incorrect(
            f"`head` takes inputs of shape {input_shape}; the features are vectors of "
            f"{n} numbers, so it should take (None, {n}).{extra}"
        )
    if output_shape != (None, _N_CLASSES):
        raise Incorrect(
            f"`head` gives outputs of shape {output_shape}; expected (None, {_N_CLASSES}): one "
            "probability per class for every cell."
        )
    kinds = [type(layer).__name__ for layer in head.layers]
    conv = [kind for kind in kinds if "Conv" in kind]
    if conv:
        raise Incorrect(
            f"`head` has a {conv[0]} layer. The backbone has already done the convolutions: "
            "the head only maps each feature vector to class probabilities."
        )
    n_dense = sum(isinstance(layer, keras.layers.Dense) for layer in head.layers)
    if n_dense != 1:
        raise Incorrect(
            f"`head` has {n_dense} Dense layers; the task asks for exactly one: a linear "
            "classifier on the features, which few labelled cells are enough to train."
        )
    expected_params = n * _N_CLASSES + _N_CLASSES
    n_params = int(head.count_params())
    if n_params != expected_params:
        raise Incorrect(
            f"`head` has {n_params:,} parameters. A single Dense layer has one weight per "
            "feature and class, plus one bias per class (Dropout has none): work out how "
            "many that is, and which layer adds the others."
        )
    features = np.random.default_rng(0).normal(size=(2, n)).astype("float32")
    probs = keras.ops.convert_to_numpy(head(features, training=False))
    if not (np.all(probs >= 0) and np.allclose(probs.sum(axis=1), 1, atol=1e-4)):
        raise Incorrect(
            "the outputs of `head` are not probabilities (non-negative, summing to 1 for "
            "each cell). Look at the `activation` argument of the Dense layer."
        )
    return f"{n_params:,} parameters to train: {n * _N_CLASSES:,} weights and {_N_CLASSES} biases."


q2 = CodingExercise(
    chapter="03",
    name="q2",
    title="Build the classification head on the backbone's features",
    var=("head", "n_features"),
    checker=_check_head,
    hints=[
        "The head's input is one feature vector per cell: `keras.Input(shape=(n_features,))`. "
        "One Dense layer with one unit per class turns it into class probabilities.",
        "`keras.layers.Dropout(0.2)` before the Dense layer is allowed (it has no "
        'parameters); end with `keras.layers.Dense(3, activation="softmax")`.',
    ],
    solution_code=(
        "inputs = keras.Input(shape=(n_features,))\n"
        "x = keras.layers.Dropout(0.2)(inputs)\n"
        'outputs = keras.layers.Dense(3, activation="softmax")(x)\n'
        "head = keras.Model(inputs, outputs)"
    ),
)


# --- Exercise 3.3: a few labelled cells per class ---------------------------------------------------------

_SEEDS = (1, 2)
_N_PER_CLASS = (5, 10)


def _synthetic_labels() -> np.ndarray:
    """200 labels of 3 unbalanced classes (120, 60, 20), shuffled once with a fixed seed."""
    y = np.repeat(np.arange(3), [120, 60, 20])
    return np.random.default_rng(33).permutation(y)


def _call_sampler(function, y, n, seed):
    """``function(y, n, rng)`` with a Generator, else (if that raises) with an int seed."""
    try:
        return function(y.copy(), n, np.random.default_rng(seed))
    except Exception as generator_exc:
        try:
            return function(y.copy(), n, seed)
        except Exception:
            raise Incorrect(
                f"`sample_per_class(y, {n}, rng)` with 200 labels of 3 classes and "
                f"rng=np.random.default_rng({seed}) raised "
                f"{type(generator_exc).__name__}: {str(generator_exc)[:200]}"
            ) from generator_exc


def _as_indices(returned, y, n) -> np.ndarray:
    call = f"`sample_per_class(y, {n}, rng)`"
    idx = as_index_array(returned, call, len(y), "`y`")
    counts = np.bincount(y[idx], minlength=3)
    if not np.all(counts == n):
        raise Incorrect(
            f"{call} chose {counts.tolist()} samples of classes 0, 1, 2 (200 labels with "
            f"120, 60 and 20 of each); expected {n} of every class."
        )
    return np.sort(idx)


def _check_sampler(function) -> str | None:
    if not callable(function):
        raise Incorrect(
            f"`sample_per_class` should be a function, but it is {describe(function)}. Pass "
            "the function itself: ex.q3.check(sample_per_class)."
        )
    y = _synthetic_labels()
    for n in _N_PER_CLASS:
        chosen = [_as_indices(_call_sampler(function, y, n, seed), y, n) for seed in _SEEDS]
        again = _as_indices(_call_sampler(function, y, n, _SEEDS[0]), y, n)
        first_n = np.sort(np.concatenate([np.flatnonzero(y == k)[:n] for k in range(3)]))
        if all(np.array_equal(c, first_n) for c in chosen):
            raise Incorrect(
                f"`sample_per_class(y, {n}, rng)` chose the first {n} samples of every class. "
                "Choose them at random (with `rng`), so that the learning curve does not "
                "depend on the order of the files."
            )
        if not np.array_equal(chosen[0], again):
            raise Incorrect(
                f"`sample_per_class(y, {n}, rng)` chose different samples in two calls with "
                "the same seed. Draw only with the `rng` you are given (e.g. "
                "`rng.choice`), not with `np.random.*`, so that results can be repeated."
            )
        if np.array_equal(chosen[0], chosen[1]):
            raise Incorrect(
                f"`sample_per_class(y, {n}, rng)` chose the same samples with seeds "
                f"{_SEEDS[0]} and {_SEEDS[1]}: the choice should be random, drawn with `rng`."
            )
    return "exactly n random cells of every class, repeatable with the same seed."


q3 = CodingExercise(
    chapter="03",
    name="q3",
    title="Choose n random labelled cells of every class",
    var="sample_per_class",
    checker=_check_sampler,
    probe=lambda: (np.array([0, 0, 1, 1, 2, 2]), 1, np.random.default_rng(0)),
    hints=[
        "Work class by class: `np.flatnonzero(y == k)` gives the indices of the cells of "
        "class k. Choose n of them at random, without repeats, then put the classes together.",
        "`rng.choice(indices, size=n_per_class, replace=False)` chooses; "
        "`np.concatenate` joins the classes' choices. Use the `rng` you are given (turn a "
        "seed into one with `np.random.default_rng(rng)`).",
    ],
    solution_code=(
        "def sample_per_class(y, n_per_class, rng):\n"
        "    rng = np.random.default_rng(rng)  # a Generator, or a seed made into one\n"
        "    chosen = [\n"
        "        rng.choice(np.flatnonzero(y == k), size=n_per_class, replace=False)\n"
        "        for k in np.unique(y)\n"
        "    ]\n"
        "    return np.sort(np.concatenate(chosen))"
    ),
)


# --- Exercise 3.4: prepare fine-tuning ----------------------------------------------------------------------

_MAX_LEARNING_RATE = 1e-4


def _check_fine_tuning(model) -> str | None:
    import keras

    if not isinstance(model, keras.Model):
        raise Incorrect(
            f"`model` is {describe(model)}; expected the Keras model from "
            "`transfer_classifier`, prepared for fine-tuning."
        )
    names = [layer.name for layer in model.layers]
    if "backbone" not in names:
        raise Incorrect(
            f"`model` has no layer named 'backbone' (its layers are {names[:8]}); expected "
            "the model built by `transfer_classifier`."
        )
    backbone = model.get_layer("backbone")
    if not isinstance(backbone, keras.Model):
        raise Incorrect(
            f"the layer 'backbone' of `model` is {describe(backbone)}; expected the nested "
            "pretrained network (a Keras model) that `transfer_classifier` puts there."
        )
    weighted = [layer for layer in backbone.layers if layer.weights]
    convs = [
        layer
        for layer in weighted
        if isinstance(layer, keras.layers.Conv2D | keras.layers.DepthwiseConv2D)
    ]
    trainable_convs = [layer for layer in convs if layer.trainable]
    untouched = not backbone.trainable or not any(layer.trainable for layer in weighted)
    if untouched and getattr(model, "optimizer", None) is None:
        # the model as transfer_classifier returns it: the learner has not started yet
        raise _NotAttempted(
            "`model` is still as `transfer_classifier` built it: its backbone is frozen and "
            "it is not compiled. Unfreeze the top layers, compile it, then run this check again."
        )
    if not backbone.trainable or not trainable_convs:
        raise Incorrect(
            "no convolution layer of the backbone is trainable, so fine-tuning would still "
            "train only the head. Set `backbone.trainable = True`, then freeze again all "
            "but its last layers."
        )
    batch_norms = [
        layer for layer in weighted if isinstance(layer, keras.layers.BatchNormalization)
    ]
    trainable_bn = [layer.name for layer in batch_norms if layer.trainable]
    if trainable_bn:
        raise Incorrect(
            f"{len(trainable_bn)} BatchNormalization layer(s) of the backbone are trainable "
            f"(e.g. `{trainable_bn[0]}`). Keep them frozen: a frozen batch normalisation uses "
            "the mean and variance learnt on ImageNet, whereas a trainable one would adapt "
            "them to a few small batches of cells and upset every layer after it."
        )
    if weighted and weighted[0].trainable:
        raise Incorrect(
            f"the first layer of the backbone (`{weighted[0].name}`) is trainable. Unfreeze "
            "only the last layers: the early ones hold general detectors of edges and "
            "colours that suit cells as they are, and a few labelled cells cannot improve them."
        )
    outside = [layer for layer in model.layers if layer is not backbone and layer.weights]
    frozen_head = [layer.name for layer in outside if not layer.trainable]
    if frozen_head:
        raise Incorrect(
            f"the head `{frozen_head[0]}` is frozen. Fine-tuning trains the head together "
            "with the top of the backbone."
        )
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise Incorrect(
            "`model` is not compiled. Changes to `trainable` take effect when the model is "
            "compiled: call `model.compile(...)` after unfreezing, with the optimizer, loss "
            "and metrics, before training again."
        )
    try:
        learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except Exception as exc:
        raise Incorrect(
            f"the learning rate of the optimizer of `model` could not be read "
            f"({type(exc).__name__}); compile with an optimizer such as "
            "`keras.optimizers.Adam(learning_rate)`."
        ) from exc
    if not learning_rate <= _MAX_LEARNING_RATE * (1 + 1e-6):
        raise Incorrect(
            f"the optimizer's learning rate is {learning_rate:g}; for fine-tuning the task "
            f"asks for at most {_MAX_LEARNING_RATE:g} (compile again after unfreezing). Large "
            "steps would quickly destroy the pretrained features that made the model good "
            "with few labels."
        )
    tracked = getattr(optimizer, "_trainable_variables", None)  # filled at the first training step
    if getattr(optimizer, "built", False) and isinstance(tracked, list):
        if len(tracked) != len(model.trainable_variables):
            raise Incorrect(
                "the optimizer of `model` was set up (by training) for the weights that "
                "were trainable before the backbone was unfrozen, and would still update only "
                "those. Call `model.compile(...)` again, with a new optimizer, after changing "
                "`trainable`."
            )
    n_trainable = len([layer for layer in weighted if layer.trainable])
    return (
        f"{n_trainable} of the backbone's {len(weighted)} layers with weights will be "
        f"fine-tuned, with a learning rate of {learning_rate:g}."
    )


q4 = CodingExercise(
    chapter="03",
    name="q4",
    title="Prepare the transfer model for fine-tuning",
    var="model",
    checker=_check_fine_tuning,
    hints=[
        "Three steps: make the top of the backbone trainable (but not all of it), keep its "
        "BatchNormalization layers frozen, and compile the model again with a small "
        "learning rate.",
        '`backbone = model.get_layer("backbone")`, `backbone.trainable = True`; then loop '
        "over `backbone.layers`, freezing every layer except the last 20 with weights, and "
        "every BatchNormalization. Then `model.compile(optimizer=keras.optimizers.Adam(1e-4), "
        "...)`.",
    ],
    solution_code=(
        'backbone = model.get_layer("backbone")\n'
        "backbone.trainable = True\n"
        "weighted = [layer for layer in backbone.layers if layer.weights]\n"
        "top = weighted[-20:]  # the last 20 layers with weights\n"
        "for layer in backbone.layers:\n"
        "    is_batch_norm = isinstance(layer, keras.layers.BatchNormalization)\n"
        "    layer.trainable = layer in top and not is_batch_norm\n"
        "model.compile(\n"
        "    optimizer=keras.optimizers.Adam(1e-4),\n"
        '    loss="sparse_categorical_crossentropy",\n'
        '    metrics=["accuracy"],\n'
        ")"
    ),
)


# --- Exercise 3.5: why ImageNet features help -------------------------------------------------------------

q5 = ThoughtExercise(
    chapter="03",
    name="q5",
    title=(
        "ImageNet holds photographs of cats, cars and coffee cups, not blood cells. Why do its "
        "features help classify blood cells with only 10 labelled cells per class, and when "
        "would you expect them to help less?"
    ),
    hints=[
        "Look back at the feature maps of chapter 02: what do the first layers of a CNN "
        "respond to? Are those patterns specific to cats?",
        "With frozen features, how many parameters does the head learn, and what does it "
        "need from the feature space for 10 examples per class to be enough?",
    ],
    solution_code=(
        "The early and middle layers of a network trained on ImageNet respond to general "
        "patterns: edges, colours, textures, blobs and simple shapes. These describe a "
        "stained blood cell as well as a photograph (its size, its round outline, the "
        "granular or lobed purple nucleus of a white cell). In that feature space the classes "
        "already lie apart, so the linear head only has to draw boundaries between them: a "
        "few thousand parameters, which 10 examples per class can fit, instead of millions "
        "learnt from scratch. The features help less when the images look very different "
        "from photographs (a single fluorescence channel, 16-bit values, a very different "
        "scale or resolution, electron micrographs), or when the classes differ in subtle "
        "ways that ImageNet features do not capture (e.g. a faint change of texture or "
        "intensity). Then fine-tune the top of the backbone, or label more cells and train "
        "on them."
    ),
)
