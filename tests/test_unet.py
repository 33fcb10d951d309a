"""Tests for cellcourse.models.unet: shapes, validation, learning, tiling, saving."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cellcourse import set_seed  # noqa: E402
from cellcourse.losses import dice_crossentropy  # noqa: E402
from cellcourse.models import unet  # noqa: E402
from cellcourse.preprocess import normalize_percentile, predict_tiled  # noqa: E402
from cellcourse.synthetic import nuclei_image  # noqa: E402
from cellcourse.targets import boundary_classes  # noqa: E402


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def test_parameter_count_by_hand():
    model = unet(depth=1, base_filters=2, batch_norm=False)
    # down1: 3*3*1*2 + 2, 3*3*2*2 + 2; bottom: 3*3*2*4 + 4, 3*3*4*4 + 4;
    # up1: transposed 2*2*4*2 + 2, then 3*3*(2 + 2)*2 + 2, 3*3*2*2 + 2; head 1*1*2*3 + 3
    assert model.count_params() == 20 + 38 + 76 + 148 + 34 + 74 + 38 + 9


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_output_shapes_for_several_depths(depth):
    model = unet((None, None, 2), n_outputs=4, depth=depth, base_filters=2)
    names = [type(layer).__name__ for layer in model.layers]
    assert names.count("MaxPooling2D") == depth and names.count("Conv2DTranspose") == depth
    assert names.count("Concatenate") == depth
    assert model.get_layer("bottom_conv2").filters == 2 * 2**depth
    size = 2**depth
    x = np.random.default_rng(0).random((2, 2 * size, 3 * size, 2)).astype("float32")
    y_pred = _numpy(model(x))
    assert y_pred.shape == (2, 2 * size, 3 * size, 4)
    np.testing.assert_allclose(y_pred.sum(axis=-1), 1, atol=1e-5)  # softmax per pixel
    fixed = unet((8 * size, 4 * size, 1), depth=depth, base_filters=2)
    assert fixed.output_shape == (None, 8 * size, 4 * size, 3)


def test_heads():
    x = np.random.default_rng(1).normal(size=(1, 16, 16, 1)).astype("float32")
    sigmoid = unet(n_outputs=1, depth=2, base_filters=2, head="sigmoid")
    assert sigmoid.layers[-1].name == "head_sigmoid"
    p = _numpy(sigmoid(x))
    assert p.shape == (1, 16, 16, 1) and p.min() > 0 and p.max() < 1
    set_seed(0)
    linear = unet(n_outputs=2, depth=2, base_filters=8, head="linear", batch_norm=False)
    assert linear.layers[-1].name == "head_linear"
    assert _numpy(linear(x)).min() < 0  # no activation squashes the output
    dropout = unet(depth=2, base_filters=2, dropout=0.5)
    assert type(dropout.get_layer("bottom_dropout")).__name__ == "Dropout"


def test_indivisible_sizes_name_the_nearest_valid_ones_and_predict_tiled():
    with pytest.raises(
        ValueError, match=r"divisible by 2 \*\* depth = 8.*Y = 96 or 104, X = 128 or 136"
    ) as info:
        unet((100, 130, 1), depth=3)
    assert "cc.preprocess.predict_tiled" in str(info.value)
    with pytest.raises(ValueError, match=r"= 4.*use X = 4 or 8,"):
        unet((None, 6, 1), depth=2)
    with pytest.raises(ValueError, match=r"use Y = 16,"):
        unet((12, 16, 1), depth=4)
    unet((None, 8, 1), depth=3, base_filters=2)  # None and a multiple of 8 are fine


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"input_shape": (64, 64)}, ValueError, r"\(Y, X, C\).*got \(64, 64\)"),
        ({"input_shape": (None, None, None)}, ValueError, "C a positive int"),
        ({"input_shape": "64x64"}, TypeError, "tuple"),
        ({"depth": 0}, ValueError, "depth >= 1.*got 0"),
        ({"depth": 2.0}, TypeError, "depth as a positive int.*got 2.0"),
        ({"n_outputs": 1}, ValueError, 'n_outputs >= 2 for head="softmax".*head="sigmoid"'),
        ({"head": "relu"}, ValueError, '"softmax", "sigmoid" or "linear"; got \'relu\''),
        ({"base_filters": -4}, ValueError, "base_filters >= 1.*got -4"),
        ({"dropout": 1.0}, ValueError, r"dropout in \[0, 1\); got 1.0"),
        ({"batch_norm": 1}, TypeError, "batch_norm as True or False; got 1"),
        ({"name": ""}, TypeError, "non-empty str"),
    ],
)
def test_invalid_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        unet(**kwargs)


def _tiny_task(n_images=4, size=32):
    images, targets = [], []
    for seed in range(n_images):
        image, labels = nuclei_image((size, size), n_nuclei=6, radius=(3.0, 6.0), rng=seed)
        images.append(normalize_percentile(image))
        targets.append(boundary_classes(labels))
    return np.stack(images)[..., np.newaxis].astype("float32"), np.stack(targets)


def test_trains_to_reduce_the_loss_on_synthetic_nuclei():
    set_seed(0)
    x, y = _tiny_task()
    model = unet(depth=2, base_filters=4, batch_norm=False)
    # eager steps: twenty of them cost less than tracing the training graph once. Each Keras
    # backend draws its own initial weights for the same seed; on JAX, seed 0 needs more than
    # ten steps for the first 10 % (the loss keeps falling: 0.91, then 0.84 of its start at 20)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-2), loss=dice_crossentropy([1, 1, 3]), run_eagerly=True
    )
    before = model.evaluate(x, y, verbose=0)
    for _ in range(20):
        model.train_on_batch(x, y)
    after = model.evaluate(x, y, verbose=0)
    assert after < 0.9 * before, (before, after)


def test_whole_image_of_any_size_through_predict_tiled():
    set_seed(0)
    model = unet(depth=2, base_filters=2)
    image = np.random.default_rng(0).random((100, 130)).astype("float32")
    y_pred = predict_tiled(model, image, tile_shape=32, overlap=8)
    assert y_pred.shape == (100, 130, 3)
    np.testing.assert_allclose(y_pred.sum(axis=-1), 1, atol=1e-5)
    assert np.ptp(y_pred[..., 0]) > 0  # a real prediction, not a constant fill


def test_save_and_load_a_compiled_model_with_course_losses(tmp_path):
    set_seed(0)
    x, y = _tiny_task(n_images=2, size=16)
    model = unet(depth=2, base_filters=2)
    loss = dice_crossentropy([1.0, 1.0, 4.0], class_indices=[1, 2], dice_weight=0.5)
    model.compile(optimizer="adam", loss=loss, run_eagerly=True)
    model.train_on_batch(x, y)  # a trained model, optimizer state included, as in practice
    path = tmp_path / "unet.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.loss.get_config() == loss.get_config()
    np.testing.assert_allclose(_numpy(restored(x)), _numpy(model(x)), atol=1e-6)
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
