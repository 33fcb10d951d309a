"""Chapter 01 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
import pytest

from cellcourse.exercises import ch01

# --- the course's versions, worked out by hand -----------------------------------------------------


def test_course_softmax_by_hand_and_without_overflow():
    probs = ch01.softmax(np.array([[0.0, np.log(3.0)], [1000.0, 1000.0]]))
    np.testing.assert_allclose(probs, [[0.25, 0.75], [0.5, 0.5]])


def test_course_cross_entropy_by_hand():
    probs = np.array([[0.5, 0.5], [0.25, 0.75]])
    assert ch01.cross_entropy(probs, np.array([0, 1])) == pytest.approx(
        -(np.log(0.5) + np.log(0.75)) / 2
    )


def test_course_gradients_by_hand_and_against_finite_differences():
    # one sample, x = [1, 2], probs = [0.25, 0.75], true class 0: delta = [-0.75, 0.75]
    dW, db = ch01.gradients(np.array([[1.0, 2.0]]), np.array([[0.25, 0.75]]), np.array([0]))
    np.testing.assert_allclose(dW, [[-0.75, 0.75], [-1.5, 1.5]])
    np.testing.assert_allclose(db, [-0.75, 0.75])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 4)), np.array([0, 1, 2, 2, 1, 0])
    W, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    dW, db = ch01.gradients(x, ch01.softmax(x @ W + b), y)
    numerical = ch01.numerical_gradient(lambda w: ch01.cross_entropy(ch01.softmax(x @ w + b), y), W)
    np.testing.assert_allclose(dW, numerical, rtol=1e-6, atol=1e-9)
    numerical_b = ch01.numerical_gradient(
        lambda v: ch01.cross_entropy(ch01.softmax(x @ W + v), y), b
    )
    np.testing.assert_allclose(db, numerical_b, rtol=1e-6, atol=1e-9)


def test_course_numerical_gradient_restores_w():
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    grad = ch01.numerical_gradient(lambda v: float(np.sum(v**2)), w)
    np.testing.assert_allclose(grad, 2 * w, atol=1e-8)
    np.testing.assert_array_equal(w, [[1.0, 2.0], [3.0, 4.0]])


# --- Exercise 1.1 --------------------------------------------------------------------------------


def test_q1_softmax():
    def solution(scores):
        shifted = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        return exp / exp.sum(axis=1, keepdims=True)

    def naive(scores):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)

    def whole_array(scores):  # normalises over all samples instead of each row
        shifted = scores - scores.max()
        return np.exp(shifted) / np.exp(shifted).sum()

    def no_keepdims(scores):  # (S,) sums broadcast along the wrong axis
        return np.exp(scores) / np.exp(scores).sum(axis=1)

    ch01.q1.assert_check_passed(solution)
    message = ch01.q1.assert_check_failed(naive).message
    assert "1000" in message  # the failing case is described, not its answer
    assert "0.0902" not in message
    ch01.q1.assert_check_failed(whole_array)
    ch01.q1.assert_check_failed(no_keepdims)
    assert "should be a function" in ch01.q1.assert_check_failed(np.zeros((2, 3))).message
    ch01.q1.assert_check_unattempted(lambda scores: ...)
    ch01.q1.assert_check_unattempted(...)


# --- Exercise 1.2 --------------------------------------------------------------------------------


def test_q2_cross_entropy():
    def solution(probs, y):
        return float(-np.mean(np.log(probs[np.arange(len(y)), y])))

    def summed(probs, y):
        return float(-np.sum(np.log(probs[np.arange(len(y)), y])))

    def no_minus(probs, y):
        return float(np.mean(np.log(probs[np.arange(len(y)), y])))

    def whole_columns(probs, y):  # probs[:, y] makes an (S, S) table
        return float(-np.mean(np.log(probs[:, y])))

    ch01.q2.assert_check_passed(solution)
    assert "larger than expected" in ch01.q2.assert_check_failed(summed).message
    assert "smaller than expected" in ch01.q2.assert_check_failed(no_minus).message
    ch01.q2.assert_check_failed(whole_columns)
    ch01.q2.assert_check_unattempted(lambda probs, y: ...)


# --- Exercise 1.3 --------------------------------------------------------------------------------


def test_q3_gradients():
    def solution(x, probs, y):
        delta = probs.copy()
        delta[np.arange(len(y)), y] -= 1
        delta /= len(y)
        return x.T @ delta, delta.sum(axis=0)

    def not_averaged(x, probs, y):
        delta = probs.copy()
        delta[np.arange(len(y)), y] -= 1
        return x.T @ delta, delta.sum(axis=0)

    def transposed(x, probs, y):
        dW, db = solution(x, probs, y)
        return dW.T, db

    def wrong_sign(x, probs, y):
        dW, db = solution(x, probs, y)
        return -dW, -db

    ch01.q3.assert_check_passed(solution)
    message = ch01.q3.assert_check_failed(not_averaged).message
    assert "values differ" in message and "samples of" in message
    assert "shape" in ch01.q3.assert_check_failed(transposed).message
    ch01.q3.assert_check_failed(wrong_sign)
    ch01.q3.assert_check_failed(lambda x, probs, y: solution(x, probs, y)[0])  # dW only
    ch01.q3.assert_check_unattempted(lambda x, probs, y: ...)


# --- Exercise 1.4 --------------------------------------------------------------------------------


def test_q4_numerical_gradient():
    solution = ch01.numerical_gradient  # the course implementation the notebook falls back on

    def forward_difference(f, w, eps=1e-5):
        grad = np.zeros_like(w)
        f_w = f(w)
        for i in np.ndindex(w.shape):
            saved = w[i]
            w[i] = saved + eps
            grad[i] = (f(w) - f_w) / eps
            w[i] = saved
        return grad

    def never_restored(f, w, eps=1e-5):
        grad = np.zeros_like(w)
        for i in np.ndindex(w.shape):
            w[i] += eps
            f_plus = f(w)
            w[i] -= eps  # back to w, then one more step: w[i] is never put back
            w[i] -= eps
            grad[i] = (f_plus - f(w)) / (2 * eps)
        return grad

    def one_d_only(f, w, eps=1e-5):
        grad = np.zeros(len(w))
        for i in range(len(w)):
            step = np.zeros(len(w))
            step[i] = eps
            grad[i] = (f(w + step) - f(w - step)) / (2 * eps)
        return grad

    ch01.q4.assert_check_passed(solution)
    ch01.q4.assert_check_failed(forward_difference)
    ch01.q4.assert_check_failed(never_restored)
    message = ch01.q4.assert_check_failed(one_d_only).message
    assert "(2, 2)" in message  # the case with a 2-D w is named
    ch01.q4.assert_check_unattempted(lambda f, w, eps=1e-5: ...)


# --- Exercise 1.5 --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def test_q5_keras_linear_model(keras):
    from cellcourse.models import linear_classifier

    shape = (6, 5, 3)
    ch01.q5.assert_check_passed(linear_classifier(shape, 3), shape)
    ch01.q5.assert_check_passed(
        keras.Sequential(
            [keras.Input(shape), keras.layers.Flatten(), keras.layers.Dense(3, "softmax")]
        ),
        shape,
    )

    inputs = keras.Input(shape)
    no_softmax = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))
    assert "probabilities" in ch01.q5.assert_check_failed(no_softmax, shape).message

    no_flatten = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    assert "one long vector" in ch01.q5.assert_check_failed(no_flatten, shape).message

    hidden = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(inputs))
    two_layers = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
    assert "2 Dense layers" in ch01.q5.assert_check_failed(two_layers, shape).message

    conv = keras.layers.Conv2D(2, 3)(inputs)
    with_conv = keras.Model(
        inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(conv))
    )
    assert "Conv2D" in ch01.q5.assert_check_failed(with_conv, shape).message

    wrong_input = linear_classifier((5, 6, 3), 3)
    assert "(None, 6, 5, 3)" in ch01.q5.assert_check_failed(wrong_input, shape).message

    four_classes = linear_classifier(shape, 4)
    assert "(None, 3)" in ch01.q5.assert_check_failed(four_classes, shape).message

    assert "Keras model" in ch01.q5.assert_check_failed("model", shape).message
    good = linear_classifier(shape, 3)
    for bad_shape in (range(10**18), (6, 5), "653", (6, 5, -3), (x for x in shape)):
        assert "image_shape" in ch01.q5.assert_check_failed(good, bad_shape).message
    ch01.q5.assert_check_unattempted(..., shape)


def test_q5_parameter_message_does_not_give_the_count(keras):
    shape = (6, 5, 3)
    inputs = keras.Input(shape)
    flat = keras.layers.Flatten()(inputs)
    no_bias = keras.Model(inputs, keras.layers.Dense(3, "softmax", use_bias=False)(flat))
    message = ch01.q5.assert_check_failed(no_bias, shape).message
    assert "270 parameters" in message and "273" not in message


def test_exercises_have_hints_and_solutions():
    for exercise in (ch01.q1, ch01.q2, ch01.q3, ch01.q4, ch01.q5):
        assert exercise.chapter == "01" and exercise.hints and exercise.solution_code
