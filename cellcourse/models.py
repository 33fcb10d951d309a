"""Keras model builders for image classification: plain functions returning ``keras.Model``.

Every builder uses the functional API and Keras layers only, so the models run
on the TensorFlow, JAX and PyTorch backends alike. Choose the backend before
Keras is first imported (``os.environ["KERAS_BACKEND"] = "jax"``); importing
this module does not import Keras, the builders do.

=======================  ==========================================================
``linear_classifier``    Flatten → Dense with softmax: the review's Box 1 as one layer
``small_cnn``            a few convolution blocks, global pooling, softmax (chapter 02)
=======================  ==========================================================

Inputs are batches of images ``(S, Y, X, C)`` of float32, channels last, scaled
to roughly 0–1 (or centred); outputs are class probabilities ``(S, K)``.
Weights start random: seed them with :func:`cellcourse.set_seed` after
importing Keras. See chapters 01 and 02.

References
----------
.. [1] Moen, E. et al. Deep learning for cellular image analysis. Nat Methods 16,
       1233–1246 (2019). doi:10.1038/s41592-019-0403-1
"""

from __future__ import annotations

import numbers

__all__ = ["linear_classifier", "small_cnn"]


def _check_input_shape(input_shape) -> tuple[int, int, int]:
    if isinstance(input_shape, str) or not hasattr(input_shape, "__len__"):
        raise TypeError(
            f"expected input_shape as a tuple (Y, X, C) of positive ints, e.g. (32, 32, 3); "
            f"got {input_shape!r}"
        )
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 for n in shape
    ):
        raise ValueError(
            f"expected input_shape (Y, X, C) of three positive ints, e.g. (32, 32, 3); "
            f"got {input_shape!r}"
        )
    return tuple(int(n) for n in shape)


def _check_n_classes(n_classes) -> int:
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral):
        raise TypeError(f"expected n_classes as an int >= 2; got {n_classes!r}")
    if n_classes < 2:
        raise ValueError(f"expected n_classes >= 2 (a softmax needs two classes); got {n_classes}")
    return int(n_classes)


def _check_name(name) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"expected name as a non-empty str; got {name!r}")
    return name


def linear_classifier(input_shape, n_classes, name="linear"):
    """A linear (softmax) classifier: Flatten → Dense(n_classes, softmax).

    Every pixel value of every channel gets one weight per class; the class
    scores are ``x W + b`` and the softmax turns them into probabilities. This
    is the classifier of the review's Box 1, written as one Keras layer.

    Parameters
    ----------
    input_shape : tuple of int
        ``(Y, X, C)`` of one image, channels last, e.g. ``(24, 24, 3)``.
    n_classes : int
        Number of classes K, at least 2.
    name : str
        Name of the model.

    Returns
    -------
    keras.Model
        Input ``(S, Y, X, C)`` float32 images; output ``(S, K)`` class
        probabilities (rows sum to 1). ``Y * X * C * K + K`` parameters.
        Train it with ``loss="sparse_categorical_crossentropy"`` on integer
        labels ``(S,)``.

    Raises
    ------
    TypeError, ValueError
        If ``input_shape`` is not three positive ints, ``n_classes`` not an int
        of at least 2, or ``name`` not a non-empty str.

    See Also
    --------
    small_cnn : the convolutional network of chapter 02.

    Notes
    -----
    See chapter 01, where the same model is first written from scratch in NumPy.

    References
    ----------
    .. [1] Moen, E. et al. Deep learning for cellular image analysis. Nat Methods
           16, 1233–1246 (2019), Box 1. doi:10.1038/s41592-019-0403-1

    Examples
    --------
    >>> model = linear_classifier((8, 8, 3), n_classes=3)
    >>> model.output_shape, model.count_params()
    ((None, 3), 579)
    """
    input_shape = _check_input_shape(input_shape)
    n_classes = _check_n_classes(n_classes)
    name = _check_name(name)
    import keras

    inputs = keras.Input(shape=input_shape, name="image")
    features = keras.layers.Flatten(name="flatten")(inputs)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="scores_softmax")(features)
    return keras.Model(inputs, outputs, name=name)


def small_cnn(
    input_shape,
    n_classes,
    filters=(16, 32, 64),
    batch_norm=True,
    dropout=0.25,
    augment=False,
    name="small_cnn",
):
    """A small convolutional classifier: conv blocks with pooling, global pooling, softmax.

    Each block is a 3 × 3 convolution (``same`` padding), optional batch
    normalisation, ReLU, and 2 × 2 max pooling, which halves Y and X. After
    the last block, global average pooling keeps one number per filter, then
    dropout and a Dense softmax layer give the class probabilities.

    Parameters
    ----------
    input_shape : tuple of int
        ``(Y, X, C)`` of one image, channels last; Y and X at least
        ``2 ** len(filters)`` so that every pooling step has pixels to pool.
    n_classes : int
        Number of classes K, at least 2.
    filters : sequence of int
        Number of filters of each block; one block per entry.
    batch_norm : bool
        Batch normalisation after each convolution.
    dropout : float
        Dropout rate before the last layer, in ``[0, 1)``; 0 adds no dropout.
    augment : bool
        Start with random flips (horizontal and vertical) and random rotations
        (up to a full turn). They act only while training (``fit``, or
        ``model(x, training=True)``); at inference images pass unchanged.
    name : str
        Name of the model.

    Returns
    -------
    keras.Model
        Input ``(S, Y, X, C)`` float32 images; output ``(S, K)`` class
        probabilities (rows sum to 1).

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or value (the message names both
        what was expected and what was received).

    See Also
    --------
    linear_classifier : the one-layer model of chapter 01.

    Notes
    -----
    Random flips and rotations suit cells, whose orientation on the slide
    means nothing. See chapter 02.

    References
    ----------
    .. [1] Moen, E. et al. Deep learning for cellular image analysis. Nat Methods
           16, 1233–1246 (2019). doi:10.1038/s41592-019-0403-1
    .. [2] Ioffe, S. & Szegedy, C. Batch normalization: accelerating deep network
           training by reducing internal covariate shift. ICML (2015).
           arXiv:1502.03167

    Examples
    --------
    >>> model = small_cnn((32, 32, 3), n_classes=3, filters=(8, 16))
    >>> model.output_shape
    (None, 3)
    """
    input_shape = _check_input_shape(input_shape)
    n_classes = _check_n_classes(n_classes)
    name = _check_name(name)
    if isinstance(filters, str | numbers.Number) or not hasattr(filters, "__len__"):
        raise TypeError(
            f"expected filters as a sequence of positive ints, e.g. (16, 32); got {filters!r}"
        )
    filters = tuple(filters)
    if not filters or not all(
        isinstance(f, numbers.Integral) and not isinstance(f, bool) and f > 0 for f in filters
    ):
        raise ValueError(
            f"expected filters as a non-empty sequence of positive ints, e.g. (16, 32); "
            f"got {filters!r}"
        )
    smallest = 2 ** len(filters)
    if min(input_shape[:2]) < smallest:
        raise ValueError(
            f"expected images of at least {smallest} x {smallest} pixels for {len(filters)} "
            f"pooling steps; got input_shape {input_shape}"
        )
    for label, flag in (("batch_norm", batch_norm), ("augment", augment)):
        if not isinstance(flag, bool):
            raise TypeError(f"expected {label} as True or False; got {flag!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
        raise TypeError(f"expected dropout as a number in [0, 1); got {dropout!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"expected dropout in [0, 1); got {dropout}")
    import keras

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if augment:
        # random layers are identity at inference; they only act when training=True
        x = keras.layers.RandomFlip("horizontal_and_vertical", name="random_flip")(x)
        x = keras.layers.RandomRotation(0.5, fill_mode="reflect", name="random_rotation")(x)
    for block, n_filters in enumerate(filters, start=1):
        x = keras.layers.Conv2D(
            int(n_filters), 3, padding="same", use_bias=not batch_norm, name=f"block{block}_conv"
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"block{block}_bn")(x)
        x = keras.layers.Activation("relu", name=f"block{block}_relu")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    if dropout > 0:
        x = keras.layers.Dropout(float(dropout), name="dropout")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="scores_softmax")(x)
    return keras.Model(inputs, outputs, name=name)
