"""Tests for cellcourse.models: shapes, parameter counts, learning, augmentation, validation."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cellcourse import backbones, set_seed  # noqa: E402
from cellcourse.models import (  # noqa: E402
    layer_outputs,
    linear_classifier,
    small_cnn,
    transfer_classifier,
    unfreeze_backbone,
)


def _separable(n_per_class=16, size=8, seed=0):
    """Two classes told apart by brightness: dark images are class 0, bright ones class 1."""
    rng = np.random.default_rng(seed)
    dark = rng.uniform(0.0, 0.3, size=(n_per_class, size, size, 1))
    bright = rng.uniform(0.7, 1.0, size=(n_per_class, size, size, 1))
    x = np.concatenate([dark, bright]).astype("float32")
    y = np.repeat([0, 1], n_per_class)
    return x, y


def test_linear_classifier_shapes_and_parameter_count():
    model = linear_classifier((5, 7, 3), n_classes=4)
    assert model.input_shape == (None, 5, 7, 3)
    assert model.output_shape == (None, 4)
    assert model.count_params() == 5 * 7 * 3 * 4 + 4  # one weight per value and class, + biases
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Flatten", "Dense"]
    probs = keras.ops.convert_to_numpy(model(np.zeros((2, 5, 7, 3), "float32")))
    np.testing.assert_allclose(probs, 0.25, atol=1e-6)  # zero input: scores = b = 0, uniform


def test_small_cnn_shapes_and_parameter_count():
    model = small_cnn((16, 16, 1), n_classes=2, filters=(4, 8), batch_norm=False, dropout=0)
    assert model.output_shape == (None, 2)
    # conv 3*3*1*4 + 4, conv 3*3*4*8 + 8, dense 8*2 + 2
    assert model.count_params() == (36 + 4) + (288 + 8) + (16 + 2)
    with_bn = small_cnn((16, 16, 1), n_classes=2, filters=(4, 8), batch_norm=True, dropout=0.5)
    # no conv biases; batch norm has 4 numbers per filter (2 trainable, 2 moving statistics)
    assert with_bn.count_params() == 36 + 288 + 4 * (4 + 8) + 18
    names = [type(layer).__name__ for layer in with_bn.layers]
    assert names.count("MaxPooling2D") == 2 and "Dropout" in names and "RandomFlip" not in names
    probs = keras.ops.convert_to_numpy(with_bn(np.random.default_rng(0).random((3, 16, 16, 1))))
    assert probs.shape == (3, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)


@pytest.mark.parametrize(
    "build",
    [
        lambda: linear_classifier((8, 8, 1), n_classes=2),
        lambda: small_cnn((8, 8, 1), n_classes=2, filters=(4,), batch_norm=False, dropout=0),
    ],
    ids=["linear", "small_cnn"],
)
def test_training_reduces_loss_on_separable_data(build):
    set_seed(0)
    x, y = _separable()
    model = build()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.05),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    predicted = keras.ops.convert_to_numpy(model.predict(x, verbose=0)).argmax(axis=1)
    assert np.mean(predicted == y) == 1.0


def test_augmentation_is_inactive_at_inference_and_active_in_training():
    set_seed(0)
    model = small_cnn((16, 16, 1), n_classes=3, filters=(4,), augment=True, dropout=0)
    names = [type(layer).__name__ for layer in model.layers]
    assert "RandomFlip" in names and "RandomRotation" in names
    # an image that is not symmetric: flips and rotations change it
    x = np.zeros((1, 16, 16, 1), "float32")
    x[0, 2:6, 1:12] = 1.0
    first = keras.ops.convert_to_numpy(model(x, training=False))
    second = keras.ops.convert_to_numpy(model.predict(x, verbose=0))
    np.testing.assert_allclose(first, second, rtol=1e-5, atol=1e-6)
    augmented = keras.models.Model(model.input, model.get_layer("random_rotation").output)
    outputs = [keras.ops.convert_to_numpy(augmented(x, training=True)) for _ in range(4)]
    assert any(not np.allclose(out, x) for out in outputs)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(augmented(x, training=False)), x)


def test_small_cnn_l2_defaults_to_no_regulariser():
    model = small_cnn((16, 16, 1), n_classes=2, filters=(4, 8), batch_norm=False, dropout=0)
    explicit = small_cnn(
        (16, 16, 1), n_classes=2, filters=(4, 8), batch_norm=False, dropout=0, l2=0.0
    )
    for built in (model, explicit):
        assert built.losses == []
        assert all(getattr(layer, "kernel_regularizer", None) is None for layer in built.layers)
    assert [layer.name for layer in model.layers] == [layer.name for layer in explicit.layers]
    assert model.count_params() == explicit.count_params()


def test_small_cnn_l2_penalty_is_l2_times_sum_of_squared_kernels():
    l2 = 0.01
    model = small_cnn((8, 8, 1), n_classes=2, filters=(2,), batch_norm=False, dropout=0, l2=l2)
    conv, dense = model.get_layer("block1_conv"), model.get_layer("scores_softmax")
    conv.kernel.assign(np.full((3, 3, 1, 2), 0.5, "float32"))  # 18 weights of 0.5: sum 4.5
    dense.kernel.assign(np.ones((2, 2), "float32"))  # 4 weights of 1: sum 4
    conv.bias.assign(np.full(2, 10.0, "float32"))  # biases carry no penalty
    penalties = sorted(float(keras.ops.convert_to_numpy(p)) for p in model.losses)
    np.testing.assert_allclose(penalties, [l2 * 4.0, l2 * 4.5], rtol=1e-6)


def test_small_cnn_flatten_and_hidden_dense():
    model = small_cnn(
        (8, 8, 1), n_classes=2, filters=(4,), batch_norm=False, dropout=0.5, flatten=True, dense=5
    )
    names = [layer.name for layer in model.layers]
    assert names[-4:] == ["flatten", "hidden_dense", "dropout", "scores_softmax"]
    assert "global_pool" not in names
    # conv 3*3*1*4 + 4; flatten 4*4*4 = 64 -> hidden 64*5 + 5; output 5*2 + 2
    assert model.count_params() == 40 + 325 + 12
    pooled = small_cnn((8, 8, 1), n_classes=2, filters=(4,), batch_norm=False, dense=5)
    # global pooling keeps 4 numbers: 4*5 + 5 for the hidden layer
    assert pooled.count_params() == 40 + 25 + 12
    regularised = small_cnn((8, 8, 1), 2, filters=(4,), flatten=True, dense=5, l2=1e-3)
    assert len(regularised.losses) == 3  # conv, hidden and output kernels
    probs = keras.ops.convert_to_numpy(model(np.zeros((3, 8, 8, 1), "float32")))
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"input_shape": (8, 8)}, ValueError, r"\(Y, X, C\).*got \(8, 8\)"),
        ({"input_shape": (8, 0, 3)}, ValueError, "positive ints"),
        ({"input_shape": (8.0, 8, 3)}, ValueError, "positive ints"),
        ({"input_shape": 8}, TypeError, "tuple"),
        ({"n_classes": 1}, ValueError, "n_classes >= 2.*got 1"),
        ({"n_classes": 2.0}, TypeError, "n_classes"),
        ({"name": ""}, TypeError, "name"),
    ],
)
def test_linear_classifier_validates_arguments(kwargs, error, match):
    arguments = {"input_shape": (8, 8, 3), "n_classes": 3, **kwargs}
    with pytest.raises(error, match=match):
        linear_classifier(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"filters": ()}, ValueError, "non-empty"),
        ({"filters": (8, -1)}, ValueError, r"positive ints.*got \(8, -1\)"),
        ({"filters": 16}, TypeError, "sequence"),
        ({"filters": (8, 8, 8, 8, 8)}, ValueError, r"at least 32 x 32.*got input_shape"),
        ({"dropout": 1.0}, ValueError, r"\[0, 1\).*got 1.0"),
        ({"dropout": "0.5"}, TypeError, "dropout"),
        ({"batch_norm": 1}, TypeError, "batch_norm"),
        ({"augment": "yes"}, TypeError, "augment"),
        ({"l2": -1e-3}, ValueError, r"l2 as a finite number >= 0.*got -0.001"),
        ({"l2": float("inf")}, ValueError, "l2 as a finite number"),
        ({"l2": "1e-3"}, TypeError, "l2 as a number"),
        ({"l2": True}, TypeError, "l2 as a number"),
        ({"flatten": 1}, TypeError, "flatten"),
        ({"dense": -4}, ValueError, r"dense as an int >= 0.*got -4"),
        ({"dense": 2.5}, ValueError, "dense as an int"),
        ({"n_classes": 0}, ValueError, "n_classes"),
        ({"input_shape": (16, 16, 3, 1)}, ValueError, r"\(Y, X, C\)"),
    ],
)
def test_small_cnn_validates_arguments(kwargs, error, match):
    arguments = {"input_shape": (16, 16, 3), "n_classes": 3, **kwargs}
    with pytest.raises(error, match=match):
        small_cnn(**arguments)


# ----------------------------------------------------------------------------------------
# transfer_classifier and unfreeze_backbone (random weights: fast; one ImageNet build)
# ----------------------------------------------------------------------------------------

FEATURES = 1280  # EfficientNet-Lite0 features per image


def _trainable_count(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_weights)


def _batch_norms(backbone):
    return [
        layer for layer in backbone.layers if isinstance(layer, keras.layers.BatchNormalization)
    ]


@pytest.fixture(scope="module")
def frozen():
    """A transfer classifier as built (never unfrozen, never trained: tests only read it)."""
    return transfer_classifier((64, 64, 3), n_classes=3, weights=None)


def test_transfer_classifier_is_a_frozen_backbone_with_a_new_head(frozen):
    assert [layer.name for layer in frozen.layers] == [
        "image",
        "backbone",
        "dropout",
        "scores_softmax",
    ]
    backbone = frozen.get_layer("backbone")
    assert isinstance(backbone, keras.Model) and backbone.output_shape == (None, FEATURES)
    assert backbone.trainable is False
    assert frozen.get_layer("dropout").rate == pytest.approx(0.2)
    assert frozen.output_shape == (None, 3)
    # only the head trains: one weight per feature and class, plus one bias per class
    assert _trainable_count(frozen) == FEATURES * 3 + 3
    assert frozen.count_params() == backbone.count_params() + FEATURES * 3 + 3
    probs = keras.ops.convert_to_numpy(frozen(np.zeros((2, 64, 64, 3), "float32")))
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)


def test_unfreeze_backbone_last_layers_keeps_batch_norm_frozen():
    set_seed(0)
    model = transfer_classifier((64, 64, 3), n_classes=3, weights=None, dropout=0)
    backbone = model.get_layer("backbone")
    head = FEATURES * 3 + 3
    # the last 5 layers with weights: block15_dwconv_bn, block15_project_conv,
    # block15_project_bn, head_conv, head_bn; only the two convolutions may train
    n_trainable = unfreeze_backbone(model, n_layers=5)
    trained = [layer.name for layer in backbone.layers if layer.trainable and layer.weights]
    assert trained == ["block15_project_conv", "head_conv"]
    assert n_trainable == head + 1152 * 320 + 320 * FEATURES  # 1 x 1 convolutions, no bias
    assert n_trainable == _trainable_count(model)
    assert not any(bn.trainable for bn in _batch_norms(backbone))

    everything = unfreeze_backbone(model)
    convolutions = [
        layer for layer in backbone.layers if layer.weights and layer not in _batch_norms(backbone)
    ]
    assert everything == head + sum(layer.count_params() for layer in convolutions)
    assert not any(bn.trainable for bn in _batch_norms(backbone))
    # unfreezing fewer layers again freezes the rest
    assert unfreeze_backbone(model, n_layers=5) == n_trainable

    # frozen batch norms keep their ImageNet statistics even in training mode
    x = np.random.default_rng(0).normal(size=(4, 64, 64, 3)).astype("float32")
    stem_bn = backbone.get_layer("stem_bn")
    before = keras.ops.convert_to_numpy(stem_bn.moving_mean)
    model(x, training=True)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(stem_bn.moving_mean), before)
    stem_bn.trainable = True  # the mistake unfreeze_backbone avoids: the statistics move
    model(x, training=True)
    assert not np.allclose(keras.ops.convert_to_numpy(stem_bn.moving_mean), before)


def test_unfreeze_backbone_validates(frozen):
    with pytest.raises(ValueError, match=r"layer named 'backbone'.*\['image', 'flatten', 'scores"):
        unfreeze_backbone(linear_classifier((8, 8, 3), n_classes=2))
    with pytest.raises(TypeError, match="keras.Model"):
        unfreeze_backbone("model")
    n_weighted = sum(1 for layer in frozen.get_layer("backbone").layers if layer.weights)
    for n_layers, error, match in [
        (0, ValueError, f"n_layers from 1 to {n_weighted} .*got 0"),
        (n_weighted + 1, ValueError, f"got {n_weighted + 1}"),
        (2.5, TypeError, "positive int or None; got 2.5"),
        (True, TypeError, "got True"),
    ]:
        with pytest.raises(error, match=match):
            unfreeze_backbone(frozen, n_layers=n_layers)
    assert frozen.get_layer("backbone").trainable is False  # left as it was


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"input_shape": (64, 64, 1)},
            ValueError,
            r"\(Y, X, 3\) with ImageNet weights.*got \(64, 64, 1\).*np\.repeat",
        ),
        ({"weights": "imagenet21k"}, ValueError, "\"imagenet\" or None; got 'imagenet21k'"),
        ({"dropout": 1.0}, ValueError, r"\[0, 1\); got 1.0"),
        ({"dropout": None}, TypeError, "dropout"),
        ({"backbone": 3}, TypeError, "name of a network.*got 3"),
        ({"backbone": "NoSuchNet", "weights": None}, ValueError, "got 'NoSuchNet'"),
        ({"n_classes": 1}, ValueError, "n_classes >= 2"),
        ({"input_shape": (64, 64)}, ValueError, r"\(Y, X, C\).*got \(64, 64\)"),
        ({"name": ""}, TypeError, "name"),
    ],
)
def test_transfer_classifier_validates_arguments(kwargs, error, match):
    arguments = {"input_shape": (64, 64, 3), "n_classes": 3, **kwargs}
    with pytest.raises(error, match=match):
        transfer_classifier(**arguments)


def test_transfer_classifier_with_imagenet_weights(data_env):
    model = transfer_classifier((64, 64, 3), n_classes=4, dropout=0)
    assert [layer.name for layer in model.layers] == ["image", "backbone", "scores_softmax"]
    assert _trainable_count(model) == FEATURES * 4 + 4
    cached = backbones._read_cache(backbones._cache_path())  # the converted ImageNet weights
    backbone = model.get_layer("backbone")
    for name in ("stem_conv", "block8_dwconv", "head_bn"):
        for got, expected in zip(backbone.get_layer(name).get_weights(), cached[name], strict=True):
            np.testing.assert_array_equal(got, expected)


# ----------------------------------------------------------------------------------------
# layer_outputs
# ----------------------------------------------------------------------------------------


def test_layer_outputs_of_a_small_cnn():
    set_seed(0)
    model = small_cnn((16, 16, 1), n_classes=2, filters=(4, 8), batch_norm=False, dropout=0)
    x = np.random.default_rng(0).random((2, 16, 16, 1)).astype("float32")
    maps = layer_outputs(model, x, ["block1_relu", "block2_pool", "global_pool"])
    assert list(maps) == ["block1_relu", "block2_pool", "global_pool"]
    assert maps["block1_relu"].shape == (2, 16, 16, 4)
    assert maps["block2_pool"].shape == (2, 4, 4, 8)
    assert maps["global_pool"].shape == (2, 8)
    assert maps["block1_relu"].min() >= 0  # after a ReLU
    # global average pooling is the mean of the last map over Y and X
    np.testing.assert_allclose(
        maps["global_pool"], maps["block2_pool"].mean(axis=(1, 2)), rtol=1e-5
    )
    one = layer_outputs(model, x, "block1_relu")
    np.testing.assert_allclose(one["block1_relu"], maps["block1_relu"], rtol=1e-6)


def test_layer_outputs_validates(frozen):
    model = small_cnn((16, 16, 1), n_classes=2, filters=(4,))
    x = np.zeros((1, 16, 16, 1), "float32")
    with pytest.raises(ValueError, match=r"unknown layer name\(s\) \['conv1'\].*'block1_conv'"):
        layer_outputs(model, x, ["conv1"])
    with pytest.raises(TypeError, match="non-empty list of str"):
        layer_outputs(model, x, [])
    with pytest.raises(
        ValueError, match=r"\(S, 16, 16, 1\) for model 'small_cnn', got \(16, 16, 1\)"
    ):
        layer_outputs(model, x[0], ["block1_conv"])
    with pytest.raises(ValueError, match=r"inside the nested model\(s\) \['backbone'\]"):
        layer_outputs(frozen, np.zeros((1, 64, 64, 3), "float32"), ["head_conv"])


def test_transfer_classifier_on_a_keras_applications_backbone():
    # offline: the architecture only; on a connected machine weights="imagenet" downloads weights
    model = transfer_classifier((96, 96, 3), 4, backbone="MobileNetV3Small", weights=None)
    backbone = model.get_layer("backbone")
    assert model.output_shape == (None, 4)
    assert not backbone.trainable
    n_features = backbone.output_shape[-1]
    assert n_features == 576  # MobileNetV3Small's last feature maps, not EfficientNet-Lite0's 1280
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == n_features * 4 + 4
