"""Tests for cellcourse.models: shapes, parameter counts, learning, augmentation, validation."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cellcourse import set_seed  # noqa: E402
from cellcourse.models import linear_classifier, small_cnn  # noqa: E402


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
        ({"n_classes": 0}, ValueError, "n_classes"),
        ({"input_shape": (16, 16, 3, 1)}, ValueError, r"\(Y, X, C\)"),
    ],
)
def test_small_cnn_validates_arguments(kwargs, error, match):
    arguments = {"input_shape": (16, 16, 3), "n_classes": 3, **kwargs}
    with pytest.raises(error, match=match):
        small_cnn(**arguments)
