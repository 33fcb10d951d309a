"""Tests for cellcourse.losses: values by hand, agreement with Keras, training, serialisation."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cellcourse.losses import (  # noqa: E402
    DiceCrossentropy,
    SoftDiceLoss,
    WeightedCrossentropy,
    class_weights_from_frequency,
    dice_crossentropy,
    soft_dice_loss,
    weighted_crossentropy,
)


def _value(loss, y_true, y_pred, **kwargs) -> float:
    return float(keras.ops.convert_to_numpy(loss(y_true, y_pred, **kwargs)))


def _random_batch(shape=(2, 5, 6), n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, size=shape)
    logits = rng.normal(size=(*shape, n_classes)).astype("float32")
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    return y_true, logits, probs.astype("float32")


def test_weighted_crossentropy_by_hand():
    y_true = np.array([[[0, 1, 1]]])  # (B, Y, X) = (1, 1, 3)
    y_pred = np.array([[[[0.8, 0.2], [0.5, 0.5], [0.25, 0.75]]]], "float32")
    expected = -(1.0 * np.log(0.8) + 3.0 * np.log(0.5) + 3.0 * np.log(0.75)) / 3
    assert _value(weighted_crossentropy([1.0, 3.0]), y_true, y_pred) == pytest.approx(expected)
    # a weight of 0 removes a class from the loss
    only_class_0 = -np.log(0.8) / 3
    assert _value(weighted_crossentropy([1, 0]), y_true, y_pred) == pytest.approx(only_class_0)


@pytest.mark.parametrize("channel_axis", [False, True])
def test_equal_weights_match_sparse_categorical_crossentropy(channel_axis):
    y_true, _, probs = _random_batch()
    if channel_axis:
        y_true = y_true[..., np.newaxis]  # (B, Y, X, 1) as Keras pipelines often give
    reference = _value(keras.losses.SparseCategoricalCrossentropy(), y_true, probs)
    assert _value(weighted_crossentropy([1, 1, 1]), y_true, probs) == pytest.approx(reference)
    assert _value(weighted_crossentropy([2, 2, 2]), y_true, probs) == pytest.approx(2 * reference)


def test_from_logits_matches_probabilities():
    y_true, logits, probs = _random_batch(seed=1)
    weights = [0.5, 1.0, 4.0]
    with_logits = _value(weighted_crossentropy(weights, from_logits=True), y_true, logits)
    assert with_logits == pytest.approx(_value(weighted_crossentropy(weights), y_true, probs))
    dice_logits = _value(soft_dice_loss(from_logits=True), y_true, logits)
    assert dice_logits == pytest.approx(_value(soft_dice_loss(), y_true, probs), abs=1e-6)


def test_single_sigmoid_channel_is_binary_crossentropy():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 2, size=(3, 4, 4, 1))
    p = rng.uniform(0.05, 0.95, size=(3, 4, 4, 1)).astype("float32")
    reference = _value(keras.losses.BinaryCrossentropy(), y_true.astype("float32"), p)
    assert _value(weighted_crossentropy([1, 1]), y_true, p) == pytest.approx(reference, rel=1e-5)
    logits = np.log(p / (1 - p))
    from_logits = _value(weighted_crossentropy([1, 1], from_logits=True), y_true, logits)
    assert from_logits == pytest.approx(reference, rel=1e-4)


def test_soft_dice_by_hand():
    y_true = np.array([[[0, 0, 1, 1]]])  # (1, 1, 4)
    y_pred = np.array([[[[1, 0], [0.5, 0.5], [0.5, 0.5], [0, 1]]]], "float32")
    # class 0: intersection 1.5, sums 2 + 2 -> (3 + 1) / (4 + 1); class 1: the same by symmetry
    assert _value(soft_dice_loss(), y_true, y_pred) == pytest.approx(1 - 4 / 5, abs=1e-6)
    # smooth = 1e-6: the plain Dice 2 * 1.5 / 4
    assert _value(soft_dice_loss(smooth=1e-6), y_true, y_pred) == pytest.approx(0.25, abs=1e-5)
    # a perfect prediction scores 0; a class absent from both scores Dice 1 thanks to smooth
    perfect = np.array([[[[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0]]]], "float32")
    assert _value(soft_dice_loss(), y_true, perfect) == pytest.approx(0, abs=1e-5)


def test_soft_dice_class_indices_and_per_image_mean():
    y_true = np.array([[[0, 1]], [[0, 0]]])  # two images (2, 1, 2)
    y_pred = np.array([[[[1, 0], [1, 0]]], [[[1, 0], [1, 0]]]], "float32")
    # image 1: class 0 (2*1+1)/(2+1+1) = 3/4, class 1 (0+1)/(0+1+1) = 1/2; image 2: 1 and 1
    both = _value(soft_dice_loss(), y_true, y_pred)
    assert both == pytest.approx(((1 - (3 / 4 + 1 / 2) / 2) + 0) / 2, abs=1e-6)
    only_1 = _value(soft_dice_loss(class_indices=[1]), y_true, y_pred)
    assert only_1 == pytest.approx((1 / 2 + 0) / 2, abs=1e-6)
    assert _value(soft_dice_loss(class_indices=1), y_true, y_pred) == pytest.approx(only_1)


def test_dice_crossentropy_is_the_sum():
    y_true, _, probs = _random_batch(seed=3)
    weights = [1.0, 2.0, 3.0]
    ce = _value(weighted_crossentropy(weights), y_true, probs)
    dice = _value(soft_dice_loss(class_indices=[1, 2]), y_true, probs)
    combined = dice_crossentropy(weights, class_indices=[1, 2], dice_weight=0.5)
    assert _value(combined, y_true, probs) == pytest.approx(ce + 0.5 * dice, rel=1e-5)
    plain = _value(keras.losses.SparseCategoricalCrossentropy(), y_true, probs)
    assert _value(dice_crossentropy(dice_weight=0), y_true, probs) == pytest.approx(plain)


def test_pixel_sample_weights_reach_the_crossentropy():
    y_true = np.array([[[0, 1]]])
    y_pred = np.array([[[[0.5, 0.5], [0.25, 0.75]]]], "float32")
    pixel_weights = np.array([[[0.0, 2.0]]], "float32")  # (B, Y, X)
    value = _value(weighted_crossentropy([1, 1]), y_true, y_pred, sample_weight=pixel_weights)
    assert value == pytest.approx(-2 * np.log(0.75) / 2)


@pytest.mark.parametrize(
    "loss",
    [
        weighted_crossentropy([1.0, 5.0, 10.0]),
        soft_dice_loss(class_indices=[1, 2]),
        dice_crossentropy([1.0, 5.0, 10.0], dice_weight=2.0),
    ],
    ids=["crossentropy", "dice", "dice_crossentropy"],
)
def test_losses_train_a_model_and_serialise(loss):
    # any backend: compile, one step of training, and a round trip through the config
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Conv2D(3, 1, activation="softmax")]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    rng = np.random.default_rng(0)
    x = rng.random((2, 4, 4, 1)).astype("float32")
    y = rng.integers(0, 3, size=(2, 4, 4))
    before = model.evaluate(x, y, verbose=0)
    for _ in range(5):
        model.train_on_batch(x, y)
    assert np.isfinite(before) and model.evaluate(x, y, verbose=0) < before
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is type(loss) and restored.get_config() == loss.get_config()
    y_pred = keras.ops.convert_to_numpy(model(x))
    assert _value(restored, y, y_pred) == pytest.approx(_value(loss, y, y_pred))


def test_shape_and_class_count_errors_when_called():
    y_true, _, probs = _random_batch()
    with pytest.raises(ValueError, match=r"expected 3 class_weights.*got 2"):
        weighted_crossentropy([1, 2])(y_true, probs)
    with pytest.raises(ValueError, match=r"class_indices below 3.*got \[1, 3\]"):
        soft_dice_loss(class_indices=[1, 3])(y_true, probs)
    with pytest.raises(
        ValueError, match=r"\(B, Y, X\) or \(B, Y, X, 1\); got shape \(2, 5, 6, 3\)"
    ):
        weighted_crossentropy([1, 1, 1])(np.eye(3)[y_true], probs)
    with pytest.raises(ValueError, match=r"y_true of shape \(B, Y, X\).*got shape \(2, 5\)"):
        soft_dice_loss()(y_true[:, :, 0], probs)


def test_construction_errors():
    with pytest.raises(TypeError, match="sequence of K numbers >= 0.*got 1.0"):
        weighted_crossentropy(1.0)
    with pytest.raises(ValueError, match=r"at least one of them > 0; got \[1.0, -1.0\]"):
        weighted_crossentropy([1.0, -1.0])
    with pytest.raises(ValueError, match=r"at least one of them > 0; got \[0, 0\]"):
        WeightedCrossentropy([0, 0])
    with pytest.raises(ValueError, match="finite"):
        dice_crossentropy([1.0, np.nan])
    with pytest.raises(ValueError, match="smooth as a finite number > 0.*got 0"):
        soft_dice_loss(smooth=0)
    with pytest.raises(TypeError, match="smooth as a number > 0, e.g. 1.0; got '1'"):
        SoftDiceLoss(smooth="1")
    with pytest.raises(ValueError, match=r"each class index once.*got \[1, 1\]"):
        soft_dice_loss(class_indices=[1, 1])
    with pytest.raises(ValueError, match=r"ints >= 0.*got \[-1\]"):
        soft_dice_loss(class_indices=[-1])
    with pytest.raises(ValueError, match="dice_weight as a finite number >= 0; got -1"):
        DiceCrossentropy(dice_weight=-1)
    with pytest.raises(TypeError, match="from_logits as True or False; got 'yes'"):
        weighted_crossentropy([1, 1], from_logits="yes")


def test_class_weights_from_frequency_by_hand():
    one_image = np.array([[0, 0, 0, 0, 0], [0, 1, 1, 1, 2]])  # 6, 3, 1 of 10 pixels
    np.testing.assert_allclose(class_weights_from_frequency(one_image, 3), [0.5, 1, 3])
    # class 1 appears in one image of two: its frequency is 2 of that image's 4 pixels
    two_images = np.array([[[0, 0], [0, 0]], [[0, 0], [1, 1]]])
    frequency = np.array([6 / 8, 2 / 4])
    np.testing.assert_allclose(
        class_weights_from_frequency(two_images, 3), [*(np.median(frequency) / frequency), 0]
    )


def test_class_weights_from_frequency_errors():
    with pytest.raises(ValueError, match="from 0 to 1 for n_classes=2; got values from 0 to 2"):
        class_weights_from_frequency(np.array([[0, 2]]), 2)
    with pytest.raises(TypeError, match="integer class indices; got dtype float64"):
        class_weights_from_frequency(np.array([[0.0, 1.0]]), 2)
    with pytest.raises(ValueError, match=r"\(Y, X\) or \(S, Y, X\); got shape \(3,\)"):
        class_weights_from_frequency(np.array([0, 1, 1]), 2)
    with pytest.raises(TypeError, match="n_classes as an int >= 1; got 2.0"):
        class_weights_from_frequency(np.array([[0, 1]]), 2.0)
