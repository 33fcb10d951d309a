"""Exercises of chapter 01, a linear classifier from scratch (BCCD blood cells).

Used in ``solutions/01_linear_classifier.ipynb``::

    from cellcourse.exercises import ch01 as ex
    ex.q1.check(softmax)

The module also holds the course's own NumPy versions of the chapter's
functions (:func:`softmax`, :func:`cross_entropy`, :func:`gradients`,
:func:`numerical_gradient`). The notebook trains with them, so that it runs
to the end before the learner's answers are written.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._core import CodingExercise, FunctionExercise, Incorrect, describe

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "softmax",
    "cross_entropy",
    "gradients",
    "numerical_gradient",
]


# --- the course's versions ----------------------------------------------------------------------


def softmax(scores):
    """Class probabilities from class scores, row by row, without overflow.

    Parameters
    ----------
    scores : (S, K) array_like of float
        One row of K class scores per sample.

    Returns
    -------
    (S, K) ndarray of float
        Non-negative; every row sums to 1.

    Examples
    --------
    >>> softmax(np.array([[0.0, 0.0], [1000.0, 1000.0]]))
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"expected scores of shape (S, K); got shape {scores.shape}")
    # subtracting each row's maximum changes no probability but keeps exp() below 1
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def cross_entropy(probs, y):
    """Mean cross-entropy loss: the mean of ``-log(probability of the true class)``.

    Parameters
    ----------
    probs : (S, K) array_like of float
        Class probabilities, rows summing to 1.
    y : (S,) array_like of int
        True class of each sample, in ``0 .. K-1``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(cross_entropy(np.full((2, 4), 0.25), np.array([0, 3])), 4)  # log(4)
    1.3863
    """
    probs = np.asarray(probs, dtype=np.float64)
    y = np.asarray(y)
    if probs.ndim != 2 or y.shape != probs.shape[:1]:
        raise ValueError(
            f"expected probs (S, K) and y (S,); got shapes {probs.shape} and {y.shape}"
        )
    picked = probs[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.maximum(picked, 1e-12))))  # clip: log(0) is -inf


def gradients(x, probs, y):
    """Gradient of the mean cross-entropy with respect to the weights W and the biases b.

    For ``probs = softmax(x @ W + b)``, ``d loss / d scores = (probs - onehot(y)) / S``.

    Parameters
    ----------
    x : (S, D) array_like of float
        Feature vectors.
    probs : (S, K) array_like of float
        ``softmax(x @ W + b)``.
    y : (S,) array_like of int
        True classes.

    Returns
    -------
    dW : (D, K) ndarray of float
    db : (K,) ndarray of float

    Examples
    --------
    >>> dW, db = gradients(np.ones((2, 3)), np.full((2, 2), 0.5), np.array([0, 1]))
    >>> dW.shape, db
    ((3, 2), array([0., 0.]))
    """
    x = np.asarray(x, dtype=np.float64)
    probs = np.asarray(probs, dtype=np.float64)
    y = np.asarray(y)
    if x.ndim != 2 or probs.ndim != 2 or len(x) != len(probs) or y.shape != probs.shape[:1]:
        raise ValueError(
            f"expected x (S, D), probs (S, K) and y (S,); got shapes {x.shape}, "
            f"{probs.shape} and {y.shape}"
        )
    delta = probs.copy()
    delta[np.arange(len(y)), y] -= 1  # probs - onehot(y)
    delta /= len(y)
    return x.T @ delta, delta.sum(axis=0)


def numerical_gradient(f, w, eps=1e-5):
    """Gradient of ``f`` at ``w`` by central differences, one entry at a time.

    Parameters
    ----------
    f : callable
        ``f(w) -> float``.
    w : ndarray of float, any shape
        Where to take the gradient; changed during the call, restored after.
    eps : float
        Step size.

    Returns
    -------
    ndarray of float, shape of ``w``
        ``(f(w + eps e_i) - f(w - eps e_i)) / (2 eps)`` for each entry i.

    Examples
    --------
    >>> numerical_gradient(lambda w: float((w**2).sum()), np.array([1.0, -2.0]))
    array([ 2., -4.])
    """
    w = np.asarray(w)
    if w.dtype.kind != "f":
        raise TypeError(f"expected w as an array of floats; got dtype {w.dtype}")
    grad = np.zeros(w.shape, dtype=np.float64)
    for i in np.ndindex(w.shape):
        saved = w[i]
        w[i] = saved + eps
        f_plus = f(w)
        w[i] = saved - eps
        f_minus = f(w)
        w[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


# --- Exercise 1.1: softmax ---------------------------------------------------------------------


def _softmax_inputs():
    rng = np.random.default_rng(1)
    return [
        ((np.array([[0.0, 0.0, 0.0]]),), {}, "one sample whose three scores are all 0"),
        ((np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]]),), {}, "two samples of three scores"),
        ((rng.normal(0, 3, size=(6, 4)),), {}, "six samples of four random scores"),
        (
            (np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]]),),
            {},
            "scores as large as 1000 (np.exp(1000) is too large for a float)",
        ),
    ]


q1 = FunctionExercise(
    chapter="01",
    name="q1",
    title="Write a numerically stable softmax",
    var="softmax",
    reference=softmax,
    test_inputs=_softmax_inputs,
    rtol=1e-6,
    atol=1e-9,
    probe=lambda: (np.zeros((1, 3)),),
    hints=[
        "Softmax takes exp() of every score, then divides each row by its own sum "
        "(`axis=1, keepdims=True`).",
        "exp(1000) overflows to inf. Subtracting the same number from every score of a row "
        "does not change the probabilities; which number keeps every exp() at most 1?",
    ],
    solution_code=(
        "def softmax(scores):\n"
        "    shifted = scores - scores.max(axis=1, keepdims=True)  # largest score becomes 0\n"
        "    exp = np.exp(shifted)\n"
        "    return exp / exp.sum(axis=1, keepdims=True)"
    ),
)


# --- Exercise 1.2: cross-entropy -----------------------------------------------------------------


def _cross_entropy_inputs():
    rng = np.random.default_rng(2)
    probs = softmax(rng.normal(0, 2, size=(8, 3)))
    return [
        ((np.full((3, 3), 1 / 3), np.array([0, 1, 2])), {}, "uniform probabilities (1/3 each)"),
        (
            (np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]), np.array([0, 1])),
            {},
            "two samples, one of them predicted badly",
        ),
        ((probs, rng.integers(0, 3, size=8)), {}, "eight samples with random probabilities"),
    ]


q2 = FunctionExercise(
    chapter="01",
    name="q2",
    title="Write the mean cross-entropy loss",
    var="cross_entropy",
    reference=cross_entropy,
    test_inputs=_cross_entropy_inputs,
    rtol=1e-6,
    atol=1e-9,
    probe=lambda: (np.full((2, 2), 0.5), np.array([0, 1])),
    hints=[
        "For each sample, take the probability the model gives to the *true* class, "
        "`probs[i, y[i]]`; fancy indexing does all samples at once.",
        "The loss is the mean over samples of minus the log of that probability.",
    ],
    solution_code=(
        "def cross_entropy(probs, y):\n"
        "    picked = probs[np.arange(len(y)), y]  # probability of the true class\n"
        "    return float(-np.mean(np.log(picked)))"
    ),
)


# --- Exercise 1.3: gradients ----------------------------------------------------------------------


def _gradients_inputs():
    cases = []
    for seed, (n, d, k) in enumerate(((4, 3, 2), (10, 5, 3), (7, 12, 4)), start=3):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n, d))
        probs = softmax(rng.normal(size=(n, k)))
        y = rng.integers(0, k, size=n)
        cases.append(((x, probs, y), {}, f"{n} samples of {d} features and {k} classes"))
    return cases


q3 = FunctionExercise(
    chapter="01",
    name="q3",
    title="Gradient of the loss with respect to W and b",
    var="gradients",
    reference=gradients,
    test_inputs=_gradients_inputs,
    rtol=1e-6,
    atol=1e-9,
    probe=lambda: (np.ones((2, 3)), np.full((2, 2), 0.5), np.array([0, 1])),
    hints=[
        "Start from the gradient with respect to the scores: `probs` minus the one-hot "
        "true classes, divided by the number of samples (the loss is a mean).",
        "scores = x @ W + b, so dW = x.T @ (that gradient), shape (D, K), and db sums it "
        "over the samples, shape (K,). Return both: `return dW, db`.",
    ],
    solution_code=(
        "def gradients(x, probs, y):\n"
        "    delta = probs.copy()\n"
        "    delta[np.arange(len(y)), y] -= 1  # probs - onehot(y)\n"
        "    delta /= len(y)                   # the loss is a mean over samples\n"
        "    return x.T @ delta, delta.sum(axis=0)"
    ),
)


# --- Exercise 1.4: numerical gradient -----------------------------------------------------------


def _cubic(w):
    return float(np.sum(w**3) + 2 * w.ravel()[0] * w.ravel()[-1])


def _numerical_inputs():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 4))
    y = np.array([0, 1, 2, 1, 0])

    def tiny_loss(W):
        return cross_entropy(softmax(x @ W), y)

    return [
        ((_cubic, np.array([1.0, -2.0, 0.5])), {}, "f(w) = sum(w**3) + 2 w[0] w[-1] at 3 points"),
        ((_cubic, np.array([[0.3, 1.5], [-1.0, 2.0]])), {}, "the same f with w of shape (2, 2)"),
        (
            (tiny_loss, rng.normal(size=(4, 3))),
            {},
            "the cross-entropy of a small linear classifier, w of shape (4, 3)",
        ),
    ]


q4 = FunctionExercise(
    chapter="01",
    name="q4",
    title="Numerical gradient by central differences",
    var="numerical_gradient",
    reference=numerical_gradient,
    test_inputs=_numerical_inputs,
    rtol=1e-6,
    atol=1e-8,
    probe=lambda: (_cubic, np.array([1.0, 2.0])),
    hints=[
        "Loop over the entries of `w` (`np.ndindex(w.shape)` gives every index, whatever the "
        "shape). For each one, nudge it up by eps, evaluate f, nudge it down by eps, evaluate "
        "f again, and put it back.",
        "Central differences: (f(w + eps) - f(w - eps)) / (2 * eps). A one-sided step "
        "(f(w + eps) - f(w)) / eps is less accurate, and the check notices.",
    ],
    solution_code=(
        "def numerical_gradient(f, w, eps=1e-5):\n"
        "    grad = np.zeros_like(w)\n"
        "    for i in np.ndindex(w.shape):\n"
        "        saved = w[i]\n"
        "        w[i] = saved + eps\n"
        "        f_plus = f(w)\n"
        "        w[i] = saved - eps\n"
        "        f_minus = f(w)\n"
        "        w[i] = saved  # put it back\n"
        "        grad[i] = (f_plus - f_minus) / (2 * eps)\n"
        "    return grad"
    ),
)


# --- Exercise 1.5: the Keras linear model ------------------------------------------------------------


def _as_image_shape(image_shape) -> tuple[int, int, int]:
    usage = "pass the shape of one image, (Y, X, C), as the second argument: `image_shape`."
    try:
        n = len(image_shape)  # before iterating: a huge range or a generator must not be listed
    except Exception:
        n = None
    if n != 3 or isinstance(image_shape, str | bytes):
        raise Incorrect(usage)
    shape = tuple(image_shape)
    if not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and 0 < v <= 10_000
        for v in shape
    ):
        raise Incorrect(usage)
    return tuple(int(v) for v in shape)


def _check_keras_linear(model, image_shape) -> str | None:
    import keras

    shape = _as_image_shape(image_shape)
    if not isinstance(model, keras.Model):
        raise Incorrect(
            f"`model` is {describe(model)}; expected a Keras model, e.g. "
            "`keras.Model(inputs, outputs)` or `keras.Sequential([...])`."
        )
    try:
        input_shape = tuple(model.input_shape)
    except Exception as exc:
        raise Incorrect(
            "`model` has no input shape yet: start it with `keras.Input(shape=...)`."
        ) from exc
    if input_shape[1:] != shape:
        raise Incorrect(
            f"`model` takes inputs of shape {input_shape}; the images have shape "
            f"{shape}, so it should take (None, {shape[0]}, {shape[1]}, {shape[2]})."
        )
    n_classes = 3
    output_shape = tuple(model.output_shape)
    if output_shape != (None, n_classes):
        extra = ""
        if len(output_shape) > 2:
            extra = " Each image must become one long vector of numbers before the Dense layer."
        raise Incorrect(
            f"`model` gives outputs of shape {output_shape}; expected (None, {n_classes}): "
            f"one score per class for every image.{extra}"
        )
    kinds = {type(layer).__name__ for layer in model.layers}
    forbidden = kinds & {"Conv2D", "Conv1D", "DepthwiseConv2D", "SeparableConv2D"}
    if forbidden:
        raise Incorrect(
            f"`model` has a {sorted(forbidden)[0]} layer; a linear classifier has no "
            "convolutions, only one weight per pixel value and class."
        )
    n_dense = sum(isinstance(layer, keras.layers.Dense) for layer in model.layers)
    if n_dense != 1:
        raise Incorrect(
            f"`model` has {n_dense} Dense layers; a linear classifier is exactly one Dense "
            "layer: scores = x W + b."
        )
    expected_params = int(np.prod(shape)) * n_classes + n_classes
    n_params = int(model.count_params())
    if n_params != expected_params:
        raise Incorrect(
            f"`model` has {n_params:,} parameters. A linear classifier has one weight per "
            "pixel value and class, plus one bias per class: work out how many that is."
        )
    x = np.random.default_rng(0).random((2, *shape)).astype("float32")
    probs = keras.ops.convert_to_numpy(model(x, training=False))
    if not (np.all(probs >= 0) and np.allclose(probs.sum(axis=1), 1, atol=1e-4)):
        raise Incorrect(
            "the outputs of `model` are not probabilities (non-negative, summing to 1 for "
            "each image). The last layer should turn scores into probabilities, as in "
            "Exercise 1.1: look at the `activation` argument of the Dense layer."
        )
    return (
        f"{n_params:,} parameters: {expected_params - n_classes:,} weights and {n_classes} biases."
    )


q5 = CodingExercise(
    chapter="01",
    name="q5",
    title="Build the linear classifier in Keras",
    var=("model", "image_shape"),
    checker=_check_keras_linear,
    hints=[
        "Three steps with the functional API: `keras.Input(shape=image_shape)`, a layer "
        "that turns each image into one long vector, and one Dense layer with one unit per "
        "class. Then `keras.Model(inputs, outputs)`.",
        "`keras.layers.Flatten()` makes the vector; `keras.layers.Dense(3, "
        'activation="softmax")` gives probabilities.',
    ],
    solution_code=(
        "inputs = keras.Input(shape=image_shape)\n"
        "flat = keras.layers.Flatten()(inputs)\n"
        'outputs = keras.layers.Dense(3, activation="softmax")(flat)\n'
        "model = keras.Model(inputs, outputs)"
    ),
)
