"""Keras model builders for image classification: plain functions returning ``keras.Model``.

Every builder uses the functional API and Keras layers only, so the models run
on the TensorFlow, JAX and PyTorch backends alike. Choose the backend before
Keras is first imported (``os.environ["KERAS_BACKEND"] = "jax"``); importing
this module does not import Keras, the builders do.

=======================  ==========================================================
``linear_classifier``    Flatten → Dense with softmax: the review's Box 1 as one layer
``small_cnn``            a few convolution blocks, global pooling, softmax (chapter 02)
``transfer_classifier``  a frozen pretrained backbone + a new softmax head (chapter 03)
``unfreeze_backbone``    make the last layers of the backbone trainable (fine-tuning)
``layer_outputs``        what named layers output for a batch (feature maps)
=======================  ==========================================================

Inputs are batches of images ``(S, Y, X, C)`` of float32, channels last, scaled
to roughly 0–1 (or centred; a pretrained backbone wants its own scaling);
outputs are class probabilities ``(S, K)``. Weights start random (except a
pretrained backbone's): seed them with :func:`cellcourse.set_seed` after
importing Keras. See chapters 01, 02 and 03.

References
----------
.. [1] Moen, E. et al. Deep learning for cellular image analysis. Nat Methods 16,
       1233–1246 (2019). doi:10.1038/s41592-019-0403-1
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

__all__ = [
    "layer_outputs",
    "linear_classifier",
    "small_cnn",
    "transfer_classifier",
    "unfreeze_backbone",
]


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


def _check_dropout(dropout) -> float:
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
        raise TypeError(f"expected dropout as a number in [0, 1); got {dropout!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"expected dropout in [0, 1); got {dropout}")
    return float(dropout)


def transfer_classifier(
    input_shape,
    n_classes,
    backbone="efficientnet_lite0",
    weights="imagenet",
    dropout=0.2,
    name="transfer",
):
    """A classifier on a pretrained backbone: frozen features → dropout → new softmax head.

    The headless backbone (:func:`cellcourse.backbones.backbone` with
    ``pooling="avg"``) turns each image into one feature vector of F numbers
    (F = 1280 for EfficientNet-Lite0); a new Dense softmax layer maps the
    features to K class probabilities. The backbone starts **frozen**
    (``trainable=False``): training changes only the head, ``F * K + K``
    parameters. Call :func:`unfreeze_backbone` later to fine-tune its last
    layers.

    Parameters
    ----------
    input_shape : tuple of int
        ``(Y, X, C)`` of one image, channels last; C must be 3 (RGB) with
        ImageNet weights, and Y, X at least 32 for EfficientNet-Lite0.
    n_classes : int
        Number of classes K, at least 2.
    backbone : str
        Name for :func:`cellcourse.backbones.backbone`: ``"efficientnet_lite0"``
        (offline) or a ``keras.applications`` model such as ``"ResNet50"``
        (downloads its weights).
    weights : {"imagenet", None}
        Pretrained ImageNet weights, or a random initialisation (for tests and
        for comparing against training from scratch).
    dropout : float
        Dropout rate on the features before the head, in ``[0, 1)``; 0 adds no
        dropout layer.
    name : str
        Name of the model.

    Returns
    -------
    keras.Model
        Layers ``image`` (input), ``backbone`` (the whole pretrained network as
        one nested model), ``dropout`` (if ``dropout > 0``) and
        ``scores_softmax``. Input ``(S, Y, X, C)`` float32 images prepared as
        the backbone expects: for EfficientNet-Lite0 with
        :func:`cellcourse.backbones.preprocess_efficientnet_lite0` (``uint8``
        RGB → values in about -1..1), not scaled to 0–1. Output ``(S, K)``
        class probabilities.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or value (the message names both
        what was expected and what was received).
    ConnectionError
        If a ``keras.applications`` backbone cannot download its weights.

    See Also
    --------
    unfreeze_backbone : fine-tune the last layers of the backbone.
    cellcourse.backbones.preprocess_efficientnet_lite0 : prepare the input.

    Notes
    -----
    The backbone is called with ``training=False``, the fine-tuning recipe of
    the Keras guide on transfer learning [2]_: its batch normalisation layers
    must stay in inference mode (use the ImageNet mean and variance and never
    update them), even once unfrozen, because statistics of small, unfamiliar
    batches would wreck what the network has learnt. In Keras 3 an explicit
    ``training`` of the outer call overrides it (``fit`` calls the model with
    ``training=True``); what keeps batch normalisation in inference mode there
    is that a frozen ``BatchNormalization`` layer (``trainable=False``) always
    runs in inference mode, and :func:`unfreeze_backbone` never unfreezes
    them. The backbone's own dropout (stochastic depth in EfficientNet-Lite0)
    does act during ``fit``. See chapter 03.

    References
    ----------
    .. [1] Yosinski, J. et al. How transferable are features in deep neural
           networks? NeurIPS (2014). arXiv:1411.1792
    .. [2] Chollet, F. Transfer learning & fine-tuning. Keras developer guides
           (2020). https://keras.io/guides/transfer_learning/

    Examples
    --------
    >>> model = transfer_classifier((64, 64, 3), n_classes=3, weights=None)
    >>> model.output_shape, [layer.name for layer in model.layers]
    ((None, 3), ['image', 'backbone', 'dropout', 'scores_softmax'])
    >>> model.get_layer("backbone").trainable
    False
    """
    input_shape = _check_input_shape(input_shape)
    n_classes = _check_n_classes(n_classes)
    name = _check_name(name)
    if not isinstance(backbone, str) or not backbone:
        raise TypeError(
            f'expected backbone as the name of a network (str), e.g. "efficientnet_lite0"; '
            f"got {backbone!r}"
        )
    if weights not in ("imagenet", None):
        raise ValueError(f'expected weights "imagenet" or None; got {weights!r}')
    if weights == "imagenet" and input_shape[-1] != 3:
        raise ValueError(
            f"expected input_shape (Y, X, 3) with ImageNet weights, which were learnt on RGB "
            f"images; got {input_shape} with {input_shape[-1]} channel(s). Repeat a grey "
            "channel three times (np.repeat(x, 3, axis=-1)) or use weights=None"
        )
    dropout = _check_dropout(dropout)
    import keras

    from .backbones import backbone as build_backbone

    features_model = build_backbone(backbone, input_shape, weights=weights, pooling="avg")
    if len(features_model.output_shape) != 2:
        raise ValueError(
            f"expected the backbone to output feature vectors (S, F); "
            f"got {features_model.output_shape}"
        )
    # the same layers (and weights) under the name the course refers to: "backbone"
    features_model = keras.Model(features_model.input, features_model.output, name="backbone")
    features_model.trainable = False  # frozen: only the head trains at first

    inputs = keras.Input(shape=input_shape, name="image")
    # training=False, as in the Keras recipe; frozen batch norms do the real work (see Notes)
    x = features_model(inputs, training=False)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="scores_softmax")(x)
    return keras.Model(inputs, outputs, name=name)


def _count_weights(variables) -> int:
    return int(sum(math.prod(int(n) for n in v.shape) for v in variables))


def unfreeze_backbone(model, n_layers=None):
    """Make the backbone of a :func:`transfer_classifier` trainable, for fine-tuning.

    The last ``n_layers`` layers of the backbone that have weights (all of
    them when None) become trainable; every other backbone layer is frozen.
    Batch normalisation layers always stay frozen. The head is not touched.

    Parameters
    ----------
    model : keras.Model
        A model with a nested model layer named ``"backbone"``, as built by
        :func:`transfer_classifier`.
    n_layers : int, optional
        How many of the backbone's layers with weights, counted from the
        output end, to unfreeze. Batch normalisation layers count but stay
        frozen, so fewer layers than this may train. None unfreezes all.

    Returns
    -------
    int
        Number of trainable parameters of the whole model (head included).

    Raises
    ------
    TypeError, ValueError
        If ``model`` has no layer ``"backbone"`` with layers of its own, or
        ``n_layers`` is not a positive int no larger than the number of
        backbone layers with weights.

    Notes
    -----
    Changing ``trainable`` takes effect only when the model is compiled
    again: call ``model.compile(...)`` (or
    :func:`cellcourse.train.fit_classifier`, which compiles) after this
    function, and fine-tune with a low learning rate, e.g. 1e-4 with Adam,
    so that the pretrained weights change only a little. Train the head first
    (backbone frozen): a random head sends large gradients into the backbone.

    Batch normalisation stays frozen because its mean and variance were
    estimated on ImageNet: a frozen ``BatchNormalization`` layer runs in
    inference mode, also inside ``fit``, and its moving statistics never
    change (see the Notes of :func:`transfer_classifier`). See chapter 03.

    References
    ----------
    .. [1] Chollet, F. Transfer learning & fine-tuning. Keras developer guides
           (2020). https://keras.io/guides/transfer_learning/

    Examples
    --------
    >>> model = transfer_classifier((64, 64, 3), n_classes=3, weights=None)
    >>> unfreeze_backbone(model, n_layers=2)  # head_conv (1280 * 320 weights) + head
    413443
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model from transfer_classifier; got {type(model)}")
    names = [layer.name for layer in model.layers]
    if "backbone" not in names:
        raise ValueError(
            f"expected a model with a layer named 'backbone' (as built by transfer_classifier); "
            f"model {model.name!r} has layers {names}"
        )
    backbone = model.get_layer("backbone")
    if not isinstance(backbone, keras.Model):
        raise TypeError(
            f"expected the layer 'backbone' to be a nested keras.Model; "
            f"got {type(backbone).__name__}"
        )
    weighted = [layer for layer in backbone.layers if layer.weights]
    if n_layers is None:
        n_layers = len(weighted)
    if isinstance(n_layers, bool) or not isinstance(n_layers, numbers.Integral):
        raise TypeError(f"expected n_layers as a positive int or None; got {n_layers!r}")
    if not 1 <= n_layers <= len(weighted):
        raise ValueError(
            f"expected n_layers from 1 to {len(weighted)} (the backbone's layers with weights) "
            f"or None for all; got {n_layers}"
        )
    backbone.trainable = True  # sets every layer inside; then freeze all but the last ones
    for layer in backbone.layers:
        layer.trainable = False
    for layer in weighted[len(weighted) - int(n_layers) :]:
        if not isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = True
    return _count_weights(model.trainable_weights)


def layer_outputs(model, x, layer_names):
    """The outputs of named layers for a batch of images: feature maps to look at.

    Parameters
    ----------
    model : keras.Model
        A functional model, e.g. from :func:`small_cnn`.
    x : (S, Y, X, C) ndarray
        Images as the model takes them.
    layer_names : str or sequence of str
        Names of layers of ``model`` (``[layer.name for layer in
        model.layers]``), e.g. ``["block1_relu", "block2_relu"]``.

    Returns
    -------
    dict of str to ndarray
        Layer name → its output for ``x``, e.g. ``(S, Y', X', F)`` for a
        convolution layer (F filters) or ``(S, F)`` after global pooling.

    Raises
    ------
    TypeError, ValueError
        If ``x`` does not match the model's input, or a name is unknown (the
        message lists the layer names).

    See Also
    --------
    cellcourse.plot.feature_maps : draw the maps of one image.

    Notes
    -----
    Builds a second model that shares the layers (and weights) of ``model``
    and ends at the named layers; layers run in inference mode. See chapter 02.

    Examples
    --------
    >>> import numpy as np
    >>> model = small_cnn((16, 16, 1), n_classes=2, filters=(4, 8))
    >>> maps = layer_outputs(model, np.zeros((2, 16, 16, 1), "float32"), ["block1_relu"])
    >>> maps["block1_relu"].shape
    (2, 16, 16, 4)
    """
    import keras

    from .train import _check_images

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model; got {type(model)}")
    x = _check_images(model, x, "x")
    if isinstance(layer_names, str):
        layer_names = [layer_names]
    if not isinstance(layer_names, Sequence) or not layer_names:
        raise TypeError(
            f'expected layer_names as a str or a non-empty list of str, e.g. ["block1_relu"]; '
            f"got {layer_names!r}"
        )
    available = [layer.name for layer in model.layers]
    unknown = [n for n in layer_names if not isinstance(n, str) or n not in available]
    if unknown:
        nested = [layer.name for layer in model.layers if isinstance(layer, keras.Model)]
        hint = (
            f" (layers inside the nested model(s) {nested} are not listed: pass "
            f"model.get_layer({nested[0]!r}) as the model to reach them)"
            if nested
            else ""
        )
        raise ValueError(
            f"unknown layer name(s) {unknown} for model {model.name!r}; expected names from "
            f"{available}{hint}"
        )
    names = list(dict.fromkeys(layer_names))  # each once, in the order given
    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    outputs = probe.predict(x, verbose=0)
    if not isinstance(outputs, list | tuple):
        outputs = [outputs]
    return {n: keras.ops.convert_to_numpy(out) for n, out in zip(names, outputs, strict=True)}
