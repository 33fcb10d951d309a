"""Keras model builders for classification and segmentation: plain functions returning ``keras.Model``.

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
``unet``                 encoder-decoder with skip connections: a map per pixel
                         (class probabilities or a regression; chapters 07, 10)
=======================  ==========================================================

Inputs are batches of images ``(S, Y, X, C)`` of float32, channels last, scaled
to roughly 0–1 (or centred; a pretrained backbone wants its own scaling);
classifiers output class probabilities ``(S, K)``, the U-Net one value per pixel
and output ``(S, Y, X, K)``. Weights start random (except a
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
    "unet",
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
    l2=0.0,
    flatten=False,
    dense=0,
    name="small_cnn",
):
    """A small convolutional classifier: conv blocks with pooling, global pooling, softmax.

    Each block is a 3 × 3 convolution (``same`` padding), optional batch
    normalisation, ReLU, and 2 × 2 max pooling, which halves Y and X. After
    the last block, global average pooling keeps one number per filter, then
    dropout and a Dense softmax layer give the class probabilities. With
    ``flatten=True`` and ``dense > 0`` it becomes the classic, much larger
    design: all feature maps flattened into one vector, a hidden Dense layer,
    then dropout and the softmax layer.

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
    l2 : float
        Strength of L2 weight decay (``keras.regularizers.L2(l2)``) on the
        kernels of every convolution and of the last Dense layer, ``>= 0``:
        the loss gains ``l2 * sum(w ** 2)`` over those weights (biases and
        batch-normalisation parameters are left alone). 0, the default, adds
        no regulariser. With ``dense > 0`` the hidden Dense kernel gets it too.
    flatten : bool
        Flatten the last feature maps (Y', X', F) into one vector of
        ``Y' * X' * F`` numbers instead of averaging each map to one number:
        the model keeps where each feature was, and the next layer gets many
        more weights.
    dense : int
        Units of a hidden Dense layer with ReLU between the pooling (or
        flattening) and the dropout; 0, the default, adds none.
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
    means nothing. See chapter 02. Dropout, augmentation and L2 are the
    regularisers compared in chapter 04; with ``l2 > 0`` the loss that
    ``fit`` reports includes the L2 penalty (``model.losses``). Chapter 04
    also uses ``flatten=True, dense=256`` as the large end of a capacity
    sweep: on 32 × 32 crops with ``filters=(16, 32)`` that is 530,000
    parameters, against 24,000 for the default model.

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
    >>> regularised = small_cnn((32, 32, 3), n_classes=3, filters=(8, 16), l2=1e-3)
    >>> len(regularised.losses)  # one L2 penalty per convolution and for the Dense layer
    3
    >>> large = small_cnn((32, 32, 3), 3, filters=(32, 64), batch_norm=False, flatten=True,
    ...                   dense=256)
    >>> large.get_layer("flatten").output.shape, large.count_params()
    ((None, 4096), 1068995)
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
    for label, flag in (("batch_norm", batch_norm), ("augment", augment), ("flatten", flatten)):
        if not isinstance(flag, bool):
            raise TypeError(f"expected {label} as True or False; got {flag!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
        raise TypeError(f"expected dropout as a number in [0, 1); got {dropout!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"expected dropout in [0, 1); got {dropout}")
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real):
        raise TypeError(f"expected l2 as a number >= 0, e.g. 1e-4; got {l2!r}")
    if not 0 <= l2 < math.inf:
        raise ValueError(f"expected l2 as a finite number >= 0, e.g. 1e-4; got {l2}")
    if isinstance(dense, bool) or not isinstance(dense, numbers.Integral) or dense < 0:
        raise ValueError(f"expected dense as an int >= 0 (0 = no hidden layer); got {dense!r}")
    import keras

    def regularizer():
        # None for l2 == 0, so that the default model is exactly the one without L2
        return keras.regularizers.L2(float(l2)) if l2 > 0 else None

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if augment:
        # random layers are identity at inference; they only act when training=True
        x = keras.layers.RandomFlip("horizontal_and_vertical", name="random_flip")(x)
        x = keras.layers.RandomRotation(0.5, fill_mode="reflect", name="random_rotation")(x)
    for block, n_filters in enumerate(filters, start=1):
        x = keras.layers.Conv2D(
            int(n_filters),
            3,
            padding="same",
            use_bias=not batch_norm,
            kernel_regularizer=regularizer(),
            name=f"block{block}_conv",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"block{block}_bn")(x)
        x = keras.layers.Activation("relu", name=f"block{block}_relu")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    if flatten:
        x = keras.layers.Flatten(name="flatten")(x)
    else:
        x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    if dense > 0:
        x = keras.layers.Dense(
            int(dense), activation="relu", kernel_regularizer=regularizer(), name="hidden_dense"
        )(x)
    if dropout > 0:
        x = keras.layers.Dropout(float(dropout), name="dropout")(x)
    outputs = keras.layers.Dense(
        n_classes, activation="softmax", kernel_regularizer=regularizer(), name="scores_softmax"
    )(x)
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


_UNET_HEADS = {"softmax": "softmax", "sigmoid": "sigmoid", "linear": None}


def _check_positive_int(value, name: str, example: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"expected {name} as a positive int, e.g. {example}; got {value!r}")
    if value < 1:
        raise ValueError(f"expected {name} >= 1, e.g. {example}; got {value}")
    return int(value)


def _check_unet_input_shape(input_shape, depth: int) -> tuple:
    """``(Y, X, C)`` with Y, X None or multiples of ``2 ** depth``, and C a positive int."""
    if isinstance(input_shape, str) or not hasattr(input_shape, "__len__"):
        raise TypeError(
            f"expected input_shape as a tuple (Y, X, C), e.g. (None, None, 1) or (256, 256, 1); "
            f"got {input_shape!r}"
        )
    shape = tuple(input_shape)

    def positive(n):
        return isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0

    if (
        len(shape) != 3
        or not positive(shape[2])
        or not all(n is None or positive(n) for n in shape[:2])
    ):
        raise ValueError(
            f"expected input_shape (Y, X, C): Y and X positive ints or None (any size), C a "
            f"positive int, e.g. (None, None, 1) or (256, 256, 1); got {input_shape!r}"
        )
    multiple = 2**depth
    wrong = [
        (axis, n) for axis, n in zip("YX", shape[:2], strict=True) if n is not None and n % multiple
    ]
    if wrong:
        options = []
        for axis, n in wrong:
            lower, upper = n // multiple * multiple, (n // multiple + 1) * multiple
            options.append(f"{axis} = {lower} or {upper}" if lower else f"{axis} = {upper}")
        raise ValueError(
            f"expected Y and X divisible by 2 ** depth = {multiple} (depth={depth} pooling steps "
            f"halve them {depth} times, and the way up must give the same sizes back); got "
            f"input_shape {shape}: use {', '.join(options)}, or None for any multiple of "
            f"{multiple}. To predict whole images of any size, use cc.preprocess.predict_tiled "
            f"with a tile_shape divisible by {multiple}"
        )
    return (*(None if n is None else int(n) for n in shape[:2]), int(shape[2]))


def _unet_conv_block(x, filters: int, batch_norm: bool, name: str):
    """Two 3 × 3 convolutions ('same' padding), each with optional batch norm, then ReLU."""
    import keras

    for i in (1, 2):
        x = keras.layers.Conv2D(
            filters, 3, padding="same", use_bias=not batch_norm, name=f"{name}_conv{i}"
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = keras.layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def unet(
    input_shape=(None, None, 1),
    n_outputs=3,
    depth=3,
    base_filters=16,
    batch_norm=True,
    dropout=0.0,
    head="softmax",
    name="unet",
):
    """A U-Net for semantic segmentation: one prediction per pixel.

    The way down (encoder) repeats ``depth`` times: a convolution block (two
    3 × 3 convolutions, each with optional batch normalisation and ReLU), then
    2 × 2 max pooling, which halves Y and X; the number of filters starts at
    ``base_filters`` and doubles at each level. A block at the bottom has
    ``base_filters * 2 ** depth`` filters. The way up (decoder) repeats
    ``depth`` times: a 2 × 2 transposed convolution doubles Y and X (and
    halves the filters), the result is concatenated with the block output of
    the same level on the way down (the skip connection, which brings back
    fine detail), and a convolution block follows. A 1 × 1 convolution maps
    the last features to ``n_outputs`` channels.

    Parameters
    ----------
    input_shape : tuple
        ``(Y, X, C)`` of one image, channels last. Y and X may be None (any
        size, the default); given as ints they must be multiples of
        ``2 ** depth``.
    n_outputs : int
        Output channels K: e.g. 3 for background / interior / boundary
        (:func:`cellcourse.targets.boundary_classes`), 1 for a foreground
        probability or a distance map.
    depth : int
        Number of pooling steps, ``>= 1``. Each one doubles the field of view
        and requires Y and X to be divisible by another factor of 2.
    base_filters : int
        Filters of the first level; level i has ``base_filters * 2 ** i``.
    batch_norm : bool
        Batch normalisation after each 3 × 3 convolution (whose bias is then
        dropped).
    dropout : float
        Dropout rate after the bottom block, in ``[0, 1)``; 0 adds none.
    head : {"softmax", "sigmoid", "linear"}
        Activation of the last layer: ``"softmax"`` for K >= 2 exclusive
        classes (probabilities summing to 1 per pixel), ``"sigmoid"`` for
        independent probabilities per channel (one foreground channel),
        ``"linear"`` for regression (distance maps) or logits.
    name : str
        Name of the model.

    Returns
    -------
    keras.Model
        Input ``(S, Y, X, C)`` float32 images (normalised, e.g. with
        :func:`cellcourse.preprocess.normalize_percentile`); output
        ``(S, Y, X, K)``, the same Y and X. Layers are named ``down1_conv1``
        ... ``bottom_relu2``, ``up1_upconv`` ..., and ``head_<head>``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or value; for a fixed Y or X that is
        not a multiple of ``2 ** depth``, the message names the nearest valid
        sizes.

    See Also
    --------
    cellcourse.preprocess.predict_tiled : predict whole images of any size.
    cellcourse.losses.dice_crossentropy : a loss for the softmax head.

    Notes
    -----
    The convolutions use ``same`` padding, so the output has the size of the
    input (the original U-Net [1]_ used unpadded convolutions and an output
    smaller than its input). With Y and X None the model accepts any size
    that is a multiple of ``2 ** depth``; other sizes fail inside the model
    (the skip concatenation gets tensors of different sizes). Whole images of
    any size, such as 520 × 696 BBBC039 fields, go through
    :func:`cellcourse.preprocess.predict_tiled` with a ``tile_shape``
    divisible by ``2 ** depth`` (e.g. 256 for depth 3): the image is cut into
    overlapping tiles, predicted, and stitched back. The receptive field of a
    U-Net of depth d covers about ``2 ** (d + 2)`` pixels or more; nuclei
    should fit inside it. See chapter 07.

    References
    ----------
    .. [1] Ronneberger, O., Fischer, P. & Brox, T. U-Net: convolutional
           networks for biomedical image segmentation. MICCAI (2015), LNCS
           9351, 234–241. doi:10.1007/978-3-319-24574-4_28
    .. [2] Falk, T. et al. U-Net: deep learning for cell counting, detection,
           and morphometry. Nat Methods 16, 67–70 (2019).
           doi:10.1038/s41592-018-0261-2

    Examples
    --------
    >>> model = unet(depth=2, base_filters=8)
    >>> model.input_shape, model.output_shape
    ((None, None, None, 1), (None, None, None, 3))
    >>> unet((64, 96, 2), n_outputs=1, head="sigmoid").output_shape
    (None, 64, 96, 1)
    """
    depth = _check_positive_int(depth, "depth", 3)
    input_shape = _check_unet_input_shape(input_shape, depth)
    n_outputs = _check_positive_int(n_outputs, "n_outputs", 3)
    base_filters = _check_positive_int(base_filters, "base_filters", 16)
    if not isinstance(batch_norm, bool):
        raise TypeError(f"expected batch_norm as True or False; got {batch_norm!r}")
    dropout = _check_dropout(dropout)
    if not isinstance(head, str) or head not in _UNET_HEADS:
        raise ValueError(f'expected head "softmax", "sigmoid" or "linear"; got {head!r}')
    if head == "softmax" and n_outputs < 2:
        raise ValueError(
            f'expected n_outputs >= 2 for head="softmax" (a softmax over one channel is always '
            f'1); got n_outputs={n_outputs}. For one foreground channel use head="sigmoid"'
        )
    name = _check_name(name)
    import keras

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    skips = []
    for level in range(1, depth + 1):
        x = _unet_conv_block(x, base_filters * 2 ** (level - 1), batch_norm, f"down{level}")
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"down{level}_pool")(x)
    x = _unet_conv_block(x, base_filters * 2**depth, batch_norm, "bottom")
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="bottom_dropout")(x)
    for level in range(depth, 0, -1):
        filters = base_filters * 2 ** (level - 1)
        x = keras.layers.Conv2DTranspose(filters, 2, strides=2, name=f"up{level}_upconv")(x)
        x = keras.layers.Concatenate(name=f"up{level}_concat")([skips[level - 1], x])
        x = _unet_conv_block(x, filters, batch_norm, f"up{level}")
    activation = _UNET_HEADS[head]  # None: linear
    outputs = keras.layers.Conv2D(n_outputs, 1, activation=activation, name=f"head_{head}")(x)
    return keras.Model(inputs, outputs, name=name)
