"""Chapter 02 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution
from scipy import signal

from cellcourse.exercises import Outcome, ch02

# --- the course's convolve2d -----------------------------------------------------------------------


def test_course_convolve2d_by_hand():
    image = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    # kernel [[1, 0], [0, -1]]: top-left minus bottom-right of each 2 × 2 patch
    out = ch02.convolve2d(image, np.array([[1.0, 0.0], [0.0, -1.0]]))
    np.testing.assert_allclose(out, [[1 - 5, 2 - 6]])
    assert out.dtype == np.float64


def test_course_convolve2d_matches_scipy_correlate():
    rng = np.random.default_rng(0)
    for image_shape, kernel_shape in (((7, 9), (3, 2)), ((5, 5), (5, 5)), ((4, 6), (1, 1))):
        image, kernel = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
        np.testing.assert_allclose(
            ch02.convolve2d(image, kernel), signal.correlate2d(image, kernel, mode="valid")
        )
    # integer input is accepted and computed in float
    np.testing.assert_allclose(ch02.convolve2d(np.ones((3, 3), np.uint8), np.ones((2, 2))), 4)


@pytest.mark.parametrize(
    ("image", "kernel", "error", "words"),
    [
        (np.zeros((3, 3, 3)), np.ones((2, 2)), ValueError, "(Y, X)"),
        (np.zeros((3, 3)), np.ones(2), ValueError, "(KY, KX)"),
        (np.zeros((3, 3)), np.ones((4, 2)), ValueError, "no larger than the image"),
        (np.array([["a", "b"]]), np.ones((1, 1)), TypeError, "real numbers"),
    ],
)
def test_course_convolve2d_validates(image, kernel, error, words):
    with pytest.raises(error, match="got") as info:
        ch02.convolve2d(image, kernel)
    assert words in str(info.value)


# --- Exercise 2.1 --------------------------------------------------------------------------------


def test_q1_convolve2d():
    ch02.q1.assert_check_passed(run_solution(ch02.q1)["convolve2d"])
    ch02.q1.assert_check_passed(ch02.convolve2d)

    def flipped(image, kernel):
        return signal.convolve2d(image, kernel, mode="valid")

    def same_size(image, kernel):
        return signal.correlate2d(image, kernel, mode="same")

    def transposed(image, kernel):
        return signal.correlate2d(image, kernel, mode="valid").T

    message = failed(ch02.q1, flipped)
    assert "without flipping" in message and "scipy.signal.convolve2d" in message
    message = failed(ch02.q1, same_size)
    assert "(Y - KY + 1, X - KX + 1)" in message and "padding" in message
    message = failed(ch02.q1, transposed)
    assert "shape" in message and "flip" not in message
    ch02.q1.assert_check_unattempted(...)
    ch02.q1.assert_check_unattempted(lambda image, kernel: ...)
    assert "should be a function" in failed(ch02.q1, np.zeros((2, 2)))
    assert_odd_objects_get_feedback(ch02.q1)


# --- Exercise 2.2 --------------------------------------------------------------------------------


def test_q2_course_formula_matches_keras():
    keras = pytest.importorskip("keras")
    for kernel_size, in_channels, filters in ((3, 3, 16), (5, 16, 32), (1, 64, 10)):
        layer = keras.layers.Conv2D(filters, kernel_size)
        layer.build((None, 32, 32, in_channels))
        assert ch02._conv_params(kernel_size, in_channels, filters) == layer.count_params()
    assert ch02._conv_params(3, 3, 16) == 3 * 3 * 3 * 16 + 16 == 448


def test_q2_conv_params():
    ch02.q2.assert_check_passed(run_solution(ch02.q2)["conv_params"])
    ch02.q2.assert_check_passed(lambda k, c, f: float(k * k * c * f + f))  # 448.0 is fine

    message = failed(ch02.q2, lambda k, c, f: k * k * c * f)
    assert "bias" in message and "too few" in message
    assert "448" not in message  # the expected count is not given away
    message = failed(ch02.q2, lambda k, c, f: k * k * f + f)
    assert "input channel" in message
    assert "kernel_size weights" in failed(ch02.q2, lambda k, c, f: k * c * f + f)
    failed(ch02.q2, lambda k, c, f: (k * k * c + 1) * f * 2)
    ch02.q2.assert_check_unattempted(...)
    ch02.q2.assert_check_unattempted(lambda kernel_size, in_channels, filters: ...)
    assert_odd_objects_get_feedback(ch02.q2)


# --- Exercise 2.3 --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(2)  # the random layers of q4 draw from Keras' global seed
    return keras


def _cnn(keras, shape, blocks, pool=True, head=None, flatten=False, softmax=True):
    inputs = keras.Input(shape)
    x = inputs
    for filters in blocks:
        x = keras.layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        if pool:
            x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x) if flatten else keras.layers.GlobalAveragePooling2D()(x)
    if head:
        x = keras.layers.Dense(head, activation="relu")(x)
    outputs = keras.layers.Dense(3, activation="softmax" if softmax else None)(x)
    return keras.Model(inputs, outputs)


def test_q3_cnn_solutions_pass(keras):
    from cellcourse.models import small_cnn

    shape = (32, 32, 3)
    result = ch02.q3.assert_check_passed(
        run_solution(ch02.q3, keras=keras, image_shape=shape)["model"], shape
    )
    assert "2 convolution layers" in result.message and "parameters" in result.message
    ch02.q3.assert_check_passed(small_cnn(shape, 3, filters=(8, 16)), shape)
    # a Sequential with a nested block and Flatten also counts
    block = keras.Sequential([keras.layers.Conv2D(4, 3), keras.layers.Conv2D(4, 3)])
    nested = keras.Sequential(
        [keras.Input(shape), block, keras.layers.MaxPooling2D(4), keras.layers.Flatten(),
         keras.layers.Dense(3, activation="softmax")]
    )  # fmt: skip
    assert "2 convolution layers" in ch02.q3.assert_check_passed(nested, shape).message


def test_q3_cnn_mistakes(keras):
    shape = (32, 32, 3)

    def check(*answers):
        return failed(ch02.q3, *answers)

    assert "1 convolution layer " in check(_cnn(keras, shape, [8]), shape)
    assert "no pooling" in check(_cnn(keras, shape, [8, 8], pool=False, flatten=True), shape)
    too_big = _cnn(keras, (64, 64, 3), [8, 32], flatten=True, head=256)
    message = check(too_big, (64, 64, 3))
    assert "fewer than 1,000,000" in message and "2,1" in message  # 2,1xx,xxx parameters
    assert "probabilities" in check(_cnn(keras, shape, [8, 8], softmax=False), shape)
    assert "(None, 32, 32, 3)" in check(_cnn(keras, (24, 24, 3), [8, 8]), shape)

    inputs = keras.Input(shape)
    x = keras.layers.Conv2D(4, 3)(inputs)
    x = keras.layers.MaxPooling2D(2)(keras.layers.Conv2D(4, 3)(x))
    no_flatten = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    message = check(no_flatten, shape)
    assert "(None, 3)" in message and "GlobalAveragePooling2D" in message

    x = keras.layers.Dense(8)(inputs)  # Dense on each pixel first, then convolutions
    x = keras.layers.Conv2D(4, 3)(keras.layers.Conv2D(4, 3)(x))
    x = keras.layers.GlobalAveragePooling2D()(x)
    dense_first = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    assert "comes before the convolution" in check(dense_first, shape)

    assert "Keras model" in check("model", shape)
    assert "image_shape" in check(_cnn(keras, shape, [8, 8]), (32, 32))
    ch02.q3.assert_check_unattempted(..., shape)
    assert_odd_objects_get_feedback(ch02.q3, shape)


# --- Exercise 2.4 --------------------------------------------------------------------------------


def test_q4_test_images_are_asymmetric():
    x = ch02._augment_batch()
    assert x.shape == (8, 32, 32, 3) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 1
    for flipped in (x[:, ::-1], x[:, :, ::-1], np.rot90(x, axes=(1, 2))):
        assert not np.any(np.all(np.isclose(flipped, x), axis=(1, 2, 3)))


def test_q4_augmentations_that_pass(keras):
    augment = run_solution(ch02.q4, keras=keras)["augment"]
    for _ in range(3):  # random layers: the check must pass every time
        ch02.q4.assert_check_passed(augment)
    ch02.q4.assert_check_passed(keras.layers.RandomFlip("horizontal"))
    ch02.q4.assert_check_passed(keras.layers.RandomRotation(0.1, fill_mode="constant"))
    ch02.q4.assert_check_passed(keras.layers.RandomTranslation(0.1, 0.1))


def test_q4_augmentation_mistakes(keras):
    def check(*answers):
        return failed(ch02.q4, *answers)

    for _ in range(3):  # random layers: the check must fail every time
        message = check(keras.layers.RandomBrightness(0.2, value_range=(0, 1)))
        assert "mean intensity" in message and "brightness" in message
        assert "values from" in check(keras.layers.RandomContrast(0.5))
    for resizing in (keras.layers.RandomCrop(24, 24), keras.layers.Resizing(40, 40)):
        message = check(resizing)
        assert "(8, 32, 32, 3)" in message and "crop or a resize" in message
    assert "unchanged in 5 calls" in check(keras.layers.Identity())
    always = keras.layers.Lambda(lambda x: keras.ops.flip(x, axis=2))
    assert "training=False" in check(always)
    assert "contrast, added noise" in check(keras.layers.GaussianNoise(0.2))
    assert "Keras layer" in check(lambda images: images[:, ::-1])
    ch02.q4.assert_check_unattempted(...)
    ch02.q4.assert_check_unattempted(lambda images, training=None: ...)
    assert_odd_objects_get_feedback(ch02.q4)


# --- Exercise 2.5 and all ------------------------------------------------------------------------


def test_q5_is_a_thought_exercise():
    result = ch02.q5.assert_check_passed()
    assert result.outcome is Outcome.VIEWED
    solution = ch02.q5.solution_code.lower()
    assert "batch normalisation" in solution and "running averages" in solution
    assert "dropout" in solution and "augmentation" in solution


def test_exercises_have_hints_and_solutions():
    for exercise in (ch02.q1, ch02.q2, ch02.q3, ch02.q4, ch02.q5):
        assert exercise.chapter == "02" and exercise.title and exercise.solution_code
        assert 2 <= len(exercise.hints) <= 3
