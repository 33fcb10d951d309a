"""Chapter 03 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution

from cellcourse.backbones import preprocess_efficientnet_lite0
from cellcourse.exercises import Outcome, ch03
from cellcourse.preprocess import sample_per_class


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


# --- Exercise 3.1 --------------------------------------------------------------------------------


def test_q1_to_backbone_input():
    ch03.q1.assert_check_passed(run_solution(ch03.q1)["to_backbone_input"])
    ch03.q1.assert_check_passed(preprocess_efficientnet_lite0)

    message = failed(ch03.q1, lambda crops: (crops / 255).astype(np.float32))
    assert "0 to 1" in message and "-1 to 1" in message
    assert "0 to 1" in failed(ch03.q1, lambda crops: crops / 255)  # float64 as well
    message = failed(ch03.q1, lambda crops: ((crops - 127) / 128).astype(np.float32))
    assert "wraps" in message and "float32 before" in message
    message = failed(ch03.q1, lambda crops: (crops - 127.0) / 128)
    assert "right values" in message and "float64" in message
    message = failed(ch03.q1, lambda crops: (crops / 127.5 - 1).astype(np.float32))
    assert "close" in message
    message = failed(ch03.q1, lambda crops: crops.astype(np.float32))
    assert "values differ" in message  # not recognised: the general message
    ch03.q1.assert_check_unattempted(...)
    ch03.q1.assert_check_unattempted(lambda crops: ...)
    assert_odd_objects_get_feedback(ch03.q1)


# --- Exercise 3.2 --------------------------------------------------------------------------------


def test_q2_head_solutions_pass(keras):
    head = run_solution(ch03.q2, keras=keras, n_features=1280)["head"]
    message = ch03.q2.assert_check_passed(head, 1280).message
    assert "3,843 parameters" in message  # 1280 * 3 + 3
    without_dropout = keras.Sequential([keras.Input((16,)), keras.layers.Dense(3, "softmax")])
    assert "51 parameters" in ch03.q2.assert_check_passed(without_dropout, 16).message


def test_q2_head_mistakes(keras):
    n = 16
    inputs = keras.Input((n,))
    no_softmax = keras.Model(inputs, keras.layers.Dense(3)(inputs))
    assert "probabilities" in failed(ch03.q2, no_softmax, n)
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    two_dense = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
    assert "2 Dense layers" in failed(ch03.q2, two_dense, n)
    with_norm = keras.Model(
        inputs, keras.layers.Dense(3, "softmax")(keras.layers.BatchNormalization()(inputs))
    )
    message = failed(ch03.q2, with_norm, n)
    assert "115 parameters" in message and "51" not in message  # the count is not given away
    x = keras.layers.Reshape((n, 1))(inputs)
    x = keras.layers.Flatten()(keras.layers.Conv1D(2, 3)(x))
    with_conv = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    assert "Conv1D" in failed(ch03.q2, with_conv, n)
    four = keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(inputs))
    assert "(None, 3)" in failed(ch03.q2, four, n)

    assert "(None, 1280)" in failed(ch03.q2, keras.Model(inputs, inputs), 1280)
    from cellcourse.models import small_cnn

    message = failed(ch03.q2, small_cnn((32, 32, 3), 3, filters=(4, 8)), n)
    assert "features, not on crops" in message
    good = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    for bad_n in (None, "16", -1, 16.0, True):
        assert "n_features" in failed(ch03.q2, good, bad_n)
    assert "Keras model" in failed(ch03.q2, "head", n)
    ch03.q2.assert_check_unattempted(..., n)
    assert_odd_objects_get_feedback(ch03.q2, n)


# --- Exercise 3.3 --------------------------------------------------------------------------------


def test_q3_synthetic_labels_are_unbalanced_and_shuffled():
    y = ch03._synthetic_labels()
    assert y.shape == (200,) and np.bincount(y).tolist() == [120, 60, 20]
    assert not np.all(np.diff(y) >= 0)


def test_q3_sample_per_class():
    result = ch03.q3.assert_check_passed(run_solution(ch03.q3)["sample_per_class"])
    assert "random" in result.message
    ch03.q3.assert_check_passed(sample_per_class)  # the course version (it also has among=)

    def seed_only(y, n_per_class, seed):  # np.random.seed rejects a Generator: given an int
        state = np.random.RandomState(seed)
        return np.concatenate(
            [state.choice(np.flatnonzero(y == k), n_per_class, replace=False) for k in range(3)]
        )

    ch03.q3.assert_check_passed(seed_only)


def test_q3_sample_per_class_mistakes():
    def first_n(y, n_per_class, rng):
        return np.concatenate([np.flatnonzero(y == k)[:n_per_class] for k in np.unique(y)])

    def global_random(y, n_per_class, rng):
        return np.concatenate(
            [
                np.random.choice(np.flatnonzero(y == k), n_per_class, replace=False)  # noqa: NPY002
                for k in np.unique(y)
            ]
        )

    def fixed_seed(y, n_per_class, rng):
        return sample_per_class(y, n_per_class, rng=0)

    def with_repeats(y, n_per_class, rng):
        return np.concatenate(
            [rng.choice(np.flatnonzero(y == k), n_per_class) for k in np.unique(y)]
        )

    def n_in_all(y, n_per_class, rng):
        return rng.choice(len(y), n_per_class, replace=False)

    def as_mask(y, n_per_class, rng):
        mask = np.zeros(len(y), dtype=bool)
        mask[sample_per_class(y, n_per_class, rng)] = True
        return mask

    def as_labels(y, n_per_class, rng):
        return y[sample_per_class(y, n_per_class, rng)].astype(float)

    assert "first 5 samples of every class" in failed(ch03.q3, first_n)
    assert "same seed" in failed(ch03.q3, global_random)
    assert "seeds 1 and 2" in failed(ch03.q3, fixed_seed)
    assert "repeated" in failed(ch03.q3, with_repeats)
    assert "expected 5 of every class" in failed(ch03.q3, n_in_all)
    assert "np.flatnonzero(mask)" in failed(ch03.q3, as_mask)
    assert "integer indices" in failed(ch03.q3, as_labels)
    assert "forget the `return`" in failed(ch03.q3, lambda y, n_per_class, rng: None)
    assert "raised ValueError" in failed(ch03.q3, lambda y, n_per_class, rng: int("x"))
    assert "should be a function" in failed(ch03.q3, np.arange(15))
    ch03.q3.assert_check_unattempted(...)
    ch03.q3.assert_check_unattempted(lambda y, n_per_class, rng: ...)
    assert_odd_objects_get_feedback(ch03.q3)


# --- Exercise 3.4 --------------------------------------------------------------------------------


@pytest.fixture
def transfer_model(keras):
    from cellcourse.models import transfer_classifier

    return transfer_classifier((64, 64, 3), 3, weights=None)


def _compile(keras, model, learning_rate=1e-4):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy"
    )


def test_q4_solutions_pass(keras, transfer_model):
    model = run_solution(ch03.q4, keras=keras, model=transfer_model)["model"]
    message = ch03.q4.assert_check_passed(model).message
    assert "of the backbone's 98 layers with weights" in message and "0.0001" in message

    from cellcourse.models import transfer_classifier, unfreeze_backbone

    course = transfer_classifier((64, 64, 3), 3, weights=None)
    unfreeze_backbone(course, n_layers=30)
    _compile(keras, course, learning_rate=1e-5)
    ch03.q4.assert_check_passed(course)


def test_q4_untouched_model_is_not_attempted(transfer_model):
    # what the exercise notebook holds before the learner writes anything
    ch03.q4.assert_check_unattempted(transfer_model)


def test_q4_nothing_unfrozen(keras, transfer_model):
    _compile(keras, transfer_model)
    assert "no convolution layer of the backbone" in failed(ch03.q4, transfer_model)


def test_q4_everything_unfrozen(keras, transfer_model):
    from cellcourse.models import unfreeze_backbone

    backbone = transfer_model.get_layer("backbone")
    backbone.trainable = True
    for layer in backbone.layers:  # batch normalisation too
        layer.trainable = True
    _compile(keras, transfer_model)
    message = failed(ch03.q4, transfer_model)
    assert "BatchNormalization" in message and "ImageNet" in message
    unfreeze_backbone(transfer_model)  # all but batch normalisation
    message = failed(ch03.q4, transfer_model)
    assert "`stem_conv`" in message and "edges" in message


def test_q4_compilation_mistakes(keras, transfer_model):
    from cellcourse.models import unfreeze_backbone

    unfreeze_backbone(transfer_model, n_layers=20)
    assert "not compiled" in failed(ch03.q4, transfer_model)
    _compile(keras, transfer_model, learning_rate=1e-3)
    message = failed(ch03.q4, transfer_model)
    assert "learning rate is 0.001" in message and "pretrained features" in message


def test_q4_compiled_and_trained_before_unfreezing(keras, transfer_model):
    from cellcourse.models import unfreeze_backbone

    _compile(keras, transfer_model)
    transfer_model.optimizer.build(transfer_model.trainable_variables)  # as training the head does
    unfreeze_backbone(transfer_model, n_layers=20)
    assert "compile(...)` again" in failed(ch03.q4, transfer_model)
    _compile(keras, transfer_model)
    ch03.q4.assert_check_passed(transfer_model)


def test_q4_other_mistakes(keras, transfer_model):
    from cellcourse.models import small_cnn, unfreeze_backbone

    unfreeze_backbone(transfer_model, n_layers=20)
    transfer_model.get_layer("scores_softmax").trainable = False
    _compile(keras, transfer_model)
    assert "the head `scores_softmax` is frozen" in failed(ch03.q4, transfer_model)
    assert "no layer named 'backbone'" in failed(ch03.q4, small_cnn((32, 32, 3), 3))
    assert "transfer_classifier" in failed(ch03.q4, "model")
    ch03.q4.assert_check_unattempted(...)
    assert_odd_objects_get_feedback(ch03.q4)


# --- Exercise 3.5 and all ------------------------------------------------------------------------


def test_q5_is_a_thought_exercise():
    result = ch03.q5.assert_check_passed()
    assert result.outcome is Outcome.VIEWED
    assert "edges" in ch03.q5.solution_code and "fine-tune" in ch03.q5.solution_code


def test_exercises_have_hints_and_solutions():
    for exercise in (ch03.q1, ch03.q2, ch03.q3, ch03.q4, ch03.q5):
        assert exercise.chapter == "03" and exercise.title and exercise.solution_code
        assert 2 <= len(exercise.hints) <= 3
