"""Exercises of chapter 02, convolutional networks (BCCD blood cells).

Used in ``solutions/02_convolutional_networks.ipynb``::

    from cellcourse.exercises import ch02 as ex
    ex.q1.check(convolve2d)

The module also holds the course's version of the chapter's function,
:func:`convolve2d`, which the notebook uses after Exercise 2.1 so that it runs
to the end before the learner's answer is written.
"""

from __future__ import annotations

import numpy as np

from ._core import (
    CodingExercise,
    FunctionExercise,
    Incorrect,
    ThoughtExercise,
    describe,
)
from .ch01 import _as_image_shape

__all__ = ["q1", "q2", "q3", "q4", "q5", "convolve2d"]

_N_CLASSES = 3  # Platelets, RBC, WBC


# --- the course's version -------------------------------------------------------------------------


def convolve2d(image, kernel):
    """Slide a kernel over an image: the 'valid' cross-correlation that ``Conv2D`` computes.

    Each output pixel is the sum of the products of the kernel with the patch
    of the image under it. The kernel is **not** flipped (a mathematician's
    convolution would flip it; deep-learning "convolutions" do not), and it
    only visits positions where it fits entirely inside the image (no padding,
    Keras' ``padding="valid"``).

    Parameters
    ----------
    image : (Y, X) array_like of float
        One channel of an image.
    kernel : (KY, KX) array_like of float
        The filter, no larger than the image along either axis.

    Returns
    -------
    (Y - KY + 1, X - KX + 1) ndarray of float64
        ``out[i, j] = sum(image[i:i + KY, j:j + KX] * kernel)``.

    Raises
    ------
    TypeError
        If ``image`` or ``kernel`` does not hold real numbers.
    ValueError
        If ``image`` or ``kernel`` is not 2-D, or the kernel is larger than
        the image.

    See Also
    --------
    scipy.signal.correlate2d : the same with ``mode="valid"``, and other border modes.

    Notes
    -----
    Written with two loops over the kernel's offsets (not over the pixels),
    because this is what the chapter teaches; ``scipy.signal.correlate2d``
    gives the same result. See chapter 02.

    References
    ----------
    .. [1] Goodfellow, I., Bengio, Y. & Courville, A. Deep Learning, chapter 9
           "Convolutional networks". MIT Press (2016). https://www.deeplearningbook.org

    Examples
    --------
    >>> image = np.arange(9.0).reshape(3, 3)
    >>> convolve2d(image, np.array([[1.0, -1.0]]))  # left minus right neighbour
    array([[-1., -1.],
           [-1., -1.],
           [-1., -1.]])
    """
    arrays = []
    for label, value, axes in (("image", image, "(Y, X)"), ("kernel", kernel, "(KY, KX)")):
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"expected {label} as an array of real numbers; got dtype {array.dtype}"
            )
        if array.ndim != 2:
            raise ValueError(f"expected {label} of shape {axes}; got shape {array.shape}")
        arrays.append(array.astype(np.float64))
    image, kernel = arrays
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(
            f"expected a kernel no larger than the image; got kernel {kernel.shape} "
            f"for image {image.shape}"
        )
    out_y = image.shape[0] - kernel.shape[0] + 1
    out_x = image.shape[1] - kernel.shape[1] + 1
    out = np.zeros((out_y, out_x), dtype=np.float64)
    # one shifted view of the image per kernel entry, weighted by that entry
    for dy in range(kernel.shape[0]):
        for dx in range(kernel.shape[1]):
            out += kernel[dy, dx] * image[dy : dy + out_y, dx : dx + out_x]
    return out


# --- Exercise 2.1: convolution by hand ---------------------------------------------------------------


def _correlate_valid(image, kernel):
    from scipy.signal import correlate2d

    return correlate2d(image, kernel, mode="valid")


def _convolve_inputs():
    rng = np.random.default_rng(21)
    sobel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    return [
        (
            (np.arange(16.0).reshape(4, 4), np.ones((2, 2))),
            {},
            "a 4 × 4 image and a 2 × 2 kernel of ones",
        ),
        (
            (rng.integers(0, 10, size=(5, 5)).astype(float), sobel),
            {},
            "a 5 × 5 image and a 3 × 3 edge kernel that is not symmetric",
        ),
        (
            (np.arange(24.0).reshape(6, 4), np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])),
            {},
            "a 6 × 4 image (not square) and a 2 × 3 kernel (not square)",
        ),
        (
            (rng.normal(size=(7, 9)), rng.normal(size=(3, 2))),
            {},
            "a random 7 × 9 image and 3 × 2 kernel",
        ),
        (
            (rng.normal(size=(3, 4)), rng.normal(size=(3, 4))),
            {},
            "a 3 × 4 image and a kernel as large",
        ),
    ]


_DIAGNOSTIC_IMAGE = np.arange(30.0).reshape(5, 6) ** 1.5
_DIAGNOSTIC_KERNEL = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])  # (3, 2), not symmetric


def _diagnose_convolve(function) -> str:
    """A specific hint for a typical mistake, from one extra call; "" if none is recognised."""
    from scipy.signal import convolve2d as true_convolution

    try:
        out = np.asarray(function(_DIAGNOSTIC_IMAGE.copy(), _DIAGNOSTIC_KERNEL.copy()), dtype=float)
    except Exception:
        return ""
    valid_shape = (_DIAGNOSTIC_IMAGE.shape[0] - 2, _DIAGNOSTIC_IMAGE.shape[1] - 1)
    if out.shape == valid_shape and np.allclose(
        out, true_convolution(_DIAGNOSTIC_IMAGE, _DIAGNOSTIC_KERNEL, mode="valid")
    ):
        return (
            "`convolve2d` flips the kernel, like `scipy.signal.convolve2d` (a convolution in "
            "the mathematical sense). The 'convolutions' of deep learning, Conv2D among them, "
            "slide the kernel over the image without flipping it."
        )
    if out.shape == _DIAGNOSTIC_IMAGE.shape:
        return (
            "`convolve2d` returns an output as large as the image, as with padding ('same'). "
            "Without padding ('valid') the kernel only visits positions where it fits inside "
            "the image: an image (Y, X) and a kernel (KY, KX) give an output of shape "
            "(Y - KY + 1, X - KX + 1)."
        )
    return ""


q1 = FunctionExercise(
    diagnose=_diagnose_convolve,
    chapter="02",
    name="q1",
    title="Write a 2-D convolution (as Conv2D computes it) with NumPy",
    var="convolve2d",
    reference=_correlate_valid,
    test_inputs=_convolve_inputs,
    rtol=1e-5,  # float32 arithmetic is fine
    atol=1e-5,
    probe=lambda: (np.zeros((3, 3)), np.ones((2, 2))),
    hints=[
        "Each output pixel is the sum of the kernel multiplied, entry by entry, by the patch "
        "of the image under it. Work out first how many positions the kernel fits in along "
        "each axis: that is the output shape.",
        "Two loops over the output pixels work: `out[i, j] = np.sum(image[i:i + ky, "
        "j:j + kx] * kernel)`, with `ky, kx = kernel.shape` and an output of shape "
        "`(Y - ky + 1, X - kx + 1)`. Do not flip the kernel.",
    ],
    solution_code=(
        "def convolve2d(image, kernel):\n"
        "    ky, kx = kernel.shape\n"
        "    out = np.zeros((image.shape[0] - ky + 1, image.shape[1] - kx + 1))\n"
        "    for i in range(out.shape[0]):\n"
        "        for j in range(out.shape[1]):\n"
        "            out[i, j] = np.sum(image[i : i + ky, j : j + kx] * kernel)\n"
        "    return out"
    ),
)


# --- Exercise 2.2: parameters of a convolution layer ---------------------------------------------------


def _conv_params(kernel_size, in_channels, filters):
    # one (kernel_size × kernel_size × in_channels) kernel per filter, plus one bias per filter
    return kernel_size**2 * in_channels * filters + filters


def _conv_params_cases():
    cases = []
    for kernel_size, in_channels, filters, what in (
        (3, 3, 16, "an RGB image"),
        (3, 1, 8, "a grey image"),
        (5, 16, 32, "the 16 feature maps of a previous layer"),
        (1, 64, 10, "64 feature maps"),
        (3, 32, 64, "32 feature maps"),
    ):
        description = (
            f"kernel_size={kernel_size}, in_channels={in_channels}, filters={filters} "
            f"({kernel_size} × {kernel_size} kernels on {what})"
        )
        expected = _conv_params(kernel_size, in_channels, filters)
        cases.append(((kernel_size, in_channels, filters), {}, expected, description))
    return cases


def _diagnose_conv_params(function) -> str:
    k, c, f = 3, 4, 5
    try:
        got = function(k, c, f)
        got = float(got.item() if isinstance(got, np.ndarray | np.generic) else got)
    except Exception:
        return ""
    mistakes = {
        k * k * c * f: (
            "`conv_params` counts too few parameters: it looks as if the biases are missing. "
            "Besides its weights, each filter has one bias, added to every output pixel."
        ),
        k * k * f + f: (
            "`conv_params` counts too few parameters: it looks as if the input channels are "
            "missing. A filter has a kernel for every input channel (on an RGB image, one each "
            "for red, green and blue), and adds their results."
        ),
        k * k * f: (
            "`conv_params` counts too few parameters: it looks as if the input channels and "
            "the biases are missing. A filter has a kernel for every input channel, and one "
            "bias."
        ),
        k * c * f + f: (
            "`conv_params` counts too few parameters: it looks as if a kernel had "
            "kernel_size weights per input channel; a kernel_size × kernel_size kernel has "
            "more."
        ),
    }
    return mistakes.get(got, "")


q2 = FunctionExercise(
    diagnose=_diagnose_conv_params,
    chapter="02",
    name="q2",
    title="Count the parameters of a Conv2D layer",
    var="conv_params",
    test_cases=_conv_params_cases,
    probe=(3, 1, 1),
    hints=[
        "A Conv2D layer learns one kernel per filter. How many numbers does one kernel hold, "
        "when it covers kernel_size × kernel_size pixels of every input channel?",
        "Multiply the size of one kernel (kernel_size × kernel_size × in_channels) by the "
        "number of filters, then add one bias per filter. Check your answer with "
        "`keras.layers.Conv2D(filters, kernel_size)` and `model.count_params()`.",
    ],
    solution_code=(
        "def conv_params(kernel_size, in_channels, filters):\n"
        "    weights = kernel_size * kernel_size * in_channels * filters\n"
        "    biases = filters\n"
        "    return weights + biases"
    ),
)


# --- Exercise 2.3: a small CNN ----------------------------------------------------------------------------

_POOLING = ("MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D")
_MAX_PARAMS = 1_000_000


def _all_layers(model) -> list:
    """The layers of a model in order, with those of nested models listed in their place."""
    import keras

    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            layers.extend(_all_layers(layer))
        else:
            layers.append(layer)
    return layers


def _check_model_io(model, input_shape: tuple, what: str) -> tuple:
    """Check that ``model`` is a Keras model with this input shape; return its output shape."""
    import keras

    if not isinstance(model, keras.Model):
        raise Incorrect(
            f"`model` is {describe(model)}; expected a Keras model, e.g. "
            "`keras.Model(inputs, outputs)` or `keras.Sequential([...])`."
        )
    try:
        got_input = tuple(model.input_shape)
        output_shape = tuple(model.output_shape)
    except Exception as exc:
        raise Incorrect(
            "`model` has no input shape yet: start it with `keras.Input(shape=...)`."
        ) from exc
    if got_input[1:] != input_shape:
        raise Incorrect(
            f"`model` takes inputs of shape {got_input}; {what} have shape {input_shape}, "
            f"so it should take {(None, *input_shape)}."
        )
    return output_shape


def _check_probabilities(model, x) -> None:
    import keras

    probs = keras.ops.convert_to_numpy(model(x, training=False))
    if not (np.all(probs >= 0) and np.allclose(probs.sum(axis=1), 1, atol=1e-4)):
        raise Incorrect(
            "the outputs of `model` are not probabilities (non-negative, summing to 1 for "
            "each image). Look at the `activation` argument of the last Dense layer."
        )


def _check_cnn(model, image_shape) -> str | None:
    import keras

    shape = _as_image_shape(image_shape)
    output_shape = _check_model_io(model, shape, "the images")
    if output_shape != (None, _N_CLASSES):
        extra = ""
        if len(output_shape) > 2:
            extra = (
                " The feature maps still have the axes (Y, X, C): turn each image's maps into "
                "one vector before the Dense layer (`Flatten`, or `GlobalAveragePooling2D`, "
                "which keeps one average per filter)."
            )
        raise Incorrect(
            f"`model` gives outputs of shape {output_shape}; expected (None, {_N_CLASSES}): "
            f"one probability per class for every image.{extra}"
        )
    layers = _all_layers(model)
    is_conv = [
        isinstance(layer, keras.layers.Conv2D | keras.layers.SeparableConv2D) for layer in layers
    ]
    n_conv = sum(is_conv)
    if n_conv < 2:
        raise Incorrect(
            f"`model` has {n_conv} convolution layer{'s' if n_conv != 1 else ''} (Conv2D); "
            "the task asks for at least two, so that the second can combine the patterns the "
            "first one finds into larger ones."
        )
    if not any(type(layer).__name__ in _POOLING for layer in layers):
        raise Incorrect(
            "`model` has no pooling layer. Pooling (e.g. `MaxPooling2D`) shrinks the feature "
            "maps, so that later filters see a larger part of the cell and the model stays small."
        )
    dense_at = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Dense)]
    last_conv = max(i for i, conv in enumerate(is_conv) if conv)
    if dense_at and dense_at[0] < last_conv:
        raise Incorrect(
            f"in `model`, the Dense layer `{layers[dense_at[0]].name}` comes before the "
            f"convolution `{layers[last_conv].name}`. Convolutions work on the image layout "
            "(Y, X, C) and come first; Dense layers go at the end, to turn features into "
            "class scores."
        )
    n_params = int(model.count_params())
    if n_params >= _MAX_PARAMS:
        raise Incorrect(
            f"`model` has {n_params:,} parameters; the task asks for fewer than "
            f"{_MAX_PARAMS:,}. Most of them are usually in the Dense layer after Flatten: pool "
            "more, or use `GlobalAveragePooling2D`, so that fewer numbers reach it."
        )
    x = np.random.default_rng(0).random((2, *shape)).astype("float32")
    _check_probabilities(model, x)
    return f"{n_conv} convolution layers, {n_params:,} parameters."


q3 = CodingExercise(
    chapter="02",
    name="q3",
    title="Build a small convolutional network",
    var=("model", "image_shape"),
    checker=_check_cnn,
    hints=[
        "A small CNN is a few convolution layers, each followed by a pooling layer that "
        "halves the feature maps; then one vector per image, and a Dense layer that gives one "
        "probability per class.",
        'Use `keras.layers.Conv2D(16, 3, activation="relu", padding="same")` and '
        "`keras.layers.MaxPooling2D(2)`, twice; then `keras.layers.GlobalAveragePooling2D()`, "
        "which keeps one number per filter (few parameters), and "
        '`keras.layers.Dense(3, activation="softmax")`. Finish with '
        "`keras.Model(inputs, outputs)`.",
    ],
    solution_code=(
        "inputs = keras.Input(shape=image_shape)\n"
        'x = keras.layers.Conv2D(16, 3, activation="relu", padding="same")(inputs)\n'
        "x = keras.layers.MaxPooling2D(2)(x)\n"
        'x = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(x)\n'
        "x = keras.layers.MaxPooling2D(2)(x)\n"
        "x = keras.layers.GlobalAveragePooling2D()(x)\n"
        'outputs = keras.layers.Dense(3, activation="softmax")(x)\n'
        "model = keras.Model(inputs, outputs)"
    ),
)


# --- Exercise 2.4: data augmentation --------------------------------------------------------------------

_AUGMENT_SHAPE = (8, 32, 32, 3)
_N_AUGMENT_CALLS = 5
_VALUE_MARGIN = 0.05
_MEAN_TOLERANCE = 0.05


def _augment_batch() -> np.ndarray:
    """Asymmetric test images: a dark background and an off-centre 'L' and blob, float32 in [0, 1].

    The shapes stay inside the circle that a rotation keeps in the frame, and
    the background is 0, so a flip or a rotation (with any fill mode) keeps
    each image's mean intensity, while a brightness change does not.
    """
    n, size = _AUGMENT_SHAPE[0], _AUGMENT_SHAPE[1]
    yy, xx = np.mgrid[:size, :size]
    batch = np.zeros(_AUGMENT_SHAPE, dtype=np.float32)
    for s in range(n):
        image = np.zeros((size, size), dtype=np.float32)
        image[10:22, 11:14] = 0.9  # the upright stroke of an 'L'
        image[19:22, 11:19] = 0.9  # its foot, to the right
        cy, cx = 12 + s % 3, 19 + s % 2  # a small blob in the upper right
        image[(yy - cy) ** 2 + (xx - cx) ** 2 <= 4] = 0.5 + 0.05 * s
        for c, weight in enumerate((1.0, 0.7, 0.4)):  # a different colour per channel
            batch[s, :, :, c] = image * weight
    return batch


def _call_augment(augment, x, training: bool) -> np.ndarray:
    import keras

    mode = "training=True" if training else "training=False"
    try:
        out = augment(x.copy(), training=training)
    except Exception as exc:
        raise Incorrect(
            f"calling `augment(images, {mode})` on images of shape {x.shape} raised "
            f"{type(exc).__name__}: {str(exc)[:200]}"
        ) from exc
    try:
        out = np.asarray(keras.ops.convert_to_numpy(out))
    except Exception:
        out = None
    if out is None or out.dtype.kind not in "biuf":
        raise Incorrect(
            f"`augment(images, {mode})` returned {describe(out)}; expected a batch of images "
            f"of shape {x.shape}."
        )
    if out.shape != x.shape:
        raise Incorrect(
            f"`augment(images, {mode})` changed the shape of the batch from {x.shape} to "
            f"{out.shape}. Augmentation here must keep each image's size, since the model "
            "takes images of one fixed size: a crop or a resize changes it."
        )
    return out.astype(np.float64)


def _check_augment(augment) -> str | None:
    import keras

    if not isinstance(augment, keras.layers.Layer):
        raise Incorrect(
            f"`augment` is {describe(augment)}; expected a Keras layer, or several in "
            "`keras.Sequential([...])`, so that it can go inside a model and act only "
            "while training."
        )
    x = _augment_batch()
    first = _call_augment(augment, x, training=True)
    at_inference = _call_augment(augment, x, training=False)
    if not np.allclose(at_inference, x, atol=1e-5):
        raise Incorrect(
            "`augment(images, training=False)` changed the images. Augmentation should act "
            "only while training: at prediction time the model must see the real cell. Use "
            "Keras' random preprocessing layers, which pass images through unchanged when "
            "`training=False`."
        )
    # several calls: a layer may leave some images as they are in one call (e.g. no flip drawn)
    outputs = [first] + [
        _call_augment(augment, x, training=True) for _ in range(_N_AUGMENT_CALLS - 1)
    ]
    if all(np.allclose(out, x, atol=1e-3) for out in outputs):
        raise Incorrect(
            f"`augment(images, training=True)` returned the images unchanged in "
            f"{len(outputs)} calls on {x.shape[0]} asymmetric test images. While training it "
            "should change the images at random (e.g. mirror or turn them)."
        )
    low, high = float(x.min()), float(x.max())
    mean_in = x.mean(axis=(1, 2, 3))
    for out in outputs:
        shift = np.abs(out.mean(axis=(1, 2, 3)) - mean_in)
        if shift.max() > _MEAN_TOLERANCE:
            raise Incorrect(
                f"`augment(images, training=True)` changed the mean intensity of an image by "
                f"{shift.max():.3f} (the test images' means are about {mean_in.mean():.2f}). A "
                "flip or a rotation only moves pixels, so the mean stays; a change of "
                "brightness does not. Keep to geometric changes here."
            )
    for out in outputs:
        if out.min() < low - _VALUE_MARGIN or out.max() > high + _VALUE_MARGIN:
            raise Incorrect(
                f"the test images hold values from {low:.2g} to {high:.2g}, and "
                f"`augment(images, training=True)` returned values from {out.min():.3g} to "
                f"{out.max():.3g}. The task asks for geometric changes (the cell seen from "
                "another side), which move pixels around but keep their values; a change of "
                "contrast, added noise or dropout does not."
            )
    return "the images change while training and pass unchanged at prediction time."


q4 = CodingExercise(
    chapter="02",
    name="q4",
    title="Make a data-augmentation layer of random flips and rotations",
    var="augment",
    checker=_check_augment,
    probe=lambda: (_augment_batch(),),
    hints=[
        "Keras has preprocessing layers whose names start with `Random`; they change images "
        "only while training. Which changes leave a blood cell's class the same? A cell on a "
        "slide has no 'up' and no 'left'.",
        'Put `keras.layers.RandomFlip("horizontal_and_vertical")` and '
        '`keras.layers.RandomRotation(0.5, fill_mode="reflect")` (up to half a turn either '
        "way) in a `keras.Sequential([...])`.",
    ],
    solution_code=(
        "augment = keras.Sequential(\n"
        "    [\n"
        '        keras.layers.RandomFlip("horizontal_and_vertical"),\n'
        '        keras.layers.RandomRotation(0.5, fill_mode="reflect"),\n'
        "    ]\n"
        ")"
    ),
)


# --- Exercise 2.5: validation loss below training loss --------------------------------------------------

q5 = ThoughtExercise(
    chapter="02",
    name="q5",
    title=(
        "After the first epoch the training accuracy is already high, but the validation "
        "accuracy can be far lower, even below always answering RBC, before it catches up. "
        "Is the network overfitting?"
    ),
    hints=[
        "Which layers of the model behave differently during `fit` and during prediction?",
        "Batch normalisation divides by statistics of the batch while training. What does it "
        "use at prediction time, and how many steps does that take to settle?",
        "Also think about *when* each number is measured: the training values are averages "
        "over the batches of the epoch; the validation values are measured once, at its end.",
    ],
    solution_code=(
        "No. Overfitting is memorising the training cells, and it shows late: the validation "
        "loss turns up while the training loss keeps falling. A gap in the very first epoch "
        "has other causes. Batch normalisation scales each channel with the mean and variance "
        "of the current batch while training, but at prediction time it uses running averages "
        "of them, updated slowly (momentum 0.99: a few hundred steps to forget their starting "
        "values). After one epoch of about a hundred steps they are still off, so predictions "
        "on the validation set are distorted; a few epochs later they have settled and the "
        "curves meet. Dropout and augmentation also make the two numbers differ: they act "
        "only while training, making the training batches harder than the unchanged "
        "validation images (this can even put the validation loss *below* the training loss "
        "later on). And the training values are averaged over the epoch while the weights "
        "improve, whereas the validation values use the weights at its end."
    ),
)
