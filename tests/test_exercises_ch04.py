"""Chapter 04 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import math

import numpy as np
import pytest
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution

import cellcourse as cc
from cellcourse.exercises import Outcome, ch04
from cellcourse.train import diagnose_history


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


# --- the course's generalization_gap ---------------------------------------------------------------


def test_generalization_gap_by_hand(keras):
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Softmax()(inputs))  # predicts the larger input
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], dtype="float32")
    # training: 4 of 4 right; validation: 1 of 4 right -> 1 - 0.25
    assert ch04.generalization_gap(model, x, [0, 1, 0, 1], x, [1, 1, 1, 0]) == pytest.approx(0.75)
    # better on validation than on training: a negative gap, not its absolute value
    assert ch04.generalization_gap(model, x, [1, 0, 1, 1], x, [0, 1, 0, 1]) == pytest.approx(-0.75)


def test_generalization_gap_uses_inference_mode(keras):
    model = ch04._gap_model()  # dropout 0.5: random answers in training mode
    (x_train, y_train, x_val, y_val), expected = ch04._gap_case(*ch04._GAP_CASES[0][0])
    gaps = [ch04.generalization_gap(model, x_train, y_train, x_val, y_val) for _ in range(3)]
    assert gaps == pytest.approx([expected] * 3)
    assert expected == pytest.approx(0.95 - 0.70)


def test_generalization_gap_rejects_mismatched_labels(keras):
    model = ch04._gap_model()
    x = np.zeros((4, 4, 4, 1), "float32")
    with pytest.raises(ValueError, match=r"y_val with one class per image of x_val \(4 images\)"):
        ch04.generalization_gap(model, x, [0, 1, 2, 0], x, [0, 1])


# --- Exercise 4.1 --------------------------------------------------------------------------------


def test_q1_solutions_pass(keras):
    ch04.q1.assert_check_passed(run_solution(ch04.q1)["generalization_gap"])
    ch04.q1.assert_check_passed(ch04.generalization_gap)

    def with_evaluate(model, x_train, y_train, x_val, y_val):
        _, train_accuracy = model.evaluate(x_train, y_train, verbose=0)
        _, val_accuracy = model.evaluate(x_val, y_val, verbose=0)
        return train_accuracy - val_accuracy

    ch04.q1.assert_check_passed(with_evaluate)


def _accuracies(model, x_train, y_train, x_val, y_val, training=False):
    import keras

    def accuracy(x, y):
        probs = keras.ops.convert_to_numpy(model(x, training=training))
        return float(np.mean(probs.argmax(axis=1) == y))

    return accuracy(x_train, y_train), accuracy(x_val, y_val)


def test_q1_mistakes(keras):
    def flipped(*args):
        train, val = _accuracies(*args)
        return val - train

    assert "sign is the wrong way round" in failed(ch04.q1, flipped)

    def percent(*args):
        train, val = _accuracies(*args)
        return 100 * train - 100 * val

    assert "percentages" in failed(ch04.q1, percent)

    def absolute(*args):
        train, val = _accuracies(*args)
        return abs(train - val)

    assert "keep the sign" in failed(ch04.q1, absolute)

    def in_training_mode(*args):
        train, val = _accuracies(*args, training=True)
        return train - val

    message = failed(ch04.q1, in_training_mode)
    assert "training mode" in message and "inference mode" in message

    def both(*args):
        return _accuracies(*args)

    assert "both accuracies" in failed(ch04.q1, both)

    def trains(model, x_train, y_train, x_val, y_val):
        model.fit(x_train, y_train, epochs=1, verbose=0)
        train, val = _accuracies(model, x_train, y_train, x_val, y_val)
        return train - val

    assert "changed the weights" in failed(ch04.q1, trains)

    def loss_gap(model, x_train, y_train, x_val, y_val):
        return (
            model.evaluate(x_train, y_train, verbose=0)[0]
            - model.evaluate(x_val, y_val, verbose=0)[0]
        )

    assert "not training minus validation accuracy" in failed(ch04.q1, loss_gap)

    def no_return(*args):
        _accuracies(*args)

    assert "return" in failed(ch04.q1, no_return)

    def broken(model, *args):
        raise RuntimeError("oops")

    assert "RuntimeError: oops" in failed(ch04.q1, broken)


def test_q1_not_attempted_and_odd_objects(keras):
    ch04.q1.assert_check_unattempted(...)

    def stub(model, x_train, y_train, x_val, y_val):
        return ...

    ch04.q1.assert_check_unattempted(stub)
    assert "function itself" in failed(ch04.q1, 0.25)
    assert_odd_objects_get_feedback(ch04.q1)


# --- Exercise 4.2 --------------------------------------------------------------------------------


def test_q2_mystery_histories_are_what_the_library_says():
    histories = ch04.mystery_histories()
    assert sorted(histories) == ["A", "B", "C", "D"]
    for key, history in histories.items():
        assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
        assert len({len(curve) for curve in history.values()}) == 1
        assert diagnose_history(history).verdict == ch04._MYSTERY_VERDICTS[key]
    assert set(ch04._MYSTERY_VERDICTS.values()) == set(ch04.VERDICTS)  # each word once
    assert sorted(ch04._MYSTERY_SOURCES) == sorted(histories)


def test_q2_mystery_histories_are_fresh_copies():
    first = ch04.mystery_histories()
    first["A"]["loss"][0] = 99.0
    del first["B"]
    second = ch04.mystery_histories()
    assert second["A"]["loss"][0] != 99.0 and "B" in second


def test_q2_solution_passes_and_case_is_forgiven():
    diagnoses = run_solution(ch04.q2)["diagnoses"]
    assert "diagnose_history" in ch04.q2.assert_check_passed(diagnoses).message
    shouted = {key: f"  {word.upper()} " for key, word in diagnoses.items()}
    ch04.q2.assert_check_passed(shouted)


def test_q2_mistakes_get_a_clue_without_the_answer():
    right = dict(ch04._MYSTERY_VERDICTS)
    for key, verdict in right.items():
        wrong_word = next(word for word in ch04.VERDICTS if word != verdict)
        message = failed(ch04.q2, {**right, key: wrong_word})
        assert "3 of 4 are right" in message and repr(key) in message
        assert verdict not in message  # the clue says where to look, not what to conclude
    all_healthy = {key: "healthy" for key in right}
    message = failed(ch04.q2, all_healthy)
    assert "1 of 4 are right" in message
    message = failed(ch04.q2, {**right, "A": "overfit"})
    assert "'A'" in message and '"overfitting"' in message  # lists the vocabulary
    assert "no entry for 'D'" in failed(ch04.q2, {k: v for k, v in right.items() if k != "D"})
    assert "'E'" in failed(ch04.q2, {**right, "E": "healthy"})
    assert "still `...`" in failed(ch04.q2, {**right, "C": ...})
    assert "expected a dict" in failed(ch04.q2, ["overfitting"] * 4)


def test_q2_not_attempted_and_odd_objects():
    ch04.q2.assert_check_unattempted(...)
    ch04.q2.assert_check_unattempted({"A": ..., "B": ..., "C": ..., "D": ...})
    assert_odd_objects_get_feedback(ch04.q2)


# --- Exercise 4.3 --------------------------------------------------------------------------------


def test_q3_solutions_pass(keras):
    regularized_cnn = run_solution(ch04.q3, keras=keras)["regularized_cnn"]
    message = ch04.q3.assert_check_passed(regularized_cnn).message
    assert "L2 on all 4 kernels" in message

    def with_small_cnn(image_shape, n_classes, l2=1e-3, dropout=0.5):
        return cc.models.small_cnn(
            image_shape,
            n_classes,
            filters=(32, 64),
            flatten=True,
            dense=256,
            batch_norm=False,
            l2=l2,
            dropout=dropout,
        )

    ch04.q3.assert_check_passed(with_small_cnn)


def _builder(keras, regularizer=None, dropout_rate=None, dropout_at="head", n_out=None):
    """A CNN builder with one thing changed; None keeps the arguments' values."""

    def build(image_shape, n_classes, l2=1e-3, dropout=0.5):
        def reg():
            return regularizer(l2) if callable(regularizer) else keras.regularizers.L2(l2)

        rate = dropout if dropout_rate is None else dropout_rate
        inputs = keras.Input(shape=image_shape)
        h = keras.layers.Conv2D(4, 3, activation="relu", kernel_regularizer=reg())(inputs)
        if dropout_at == "early":
            h = keras.layers.Dropout(rate)(h)
        h = keras.layers.MaxPooling2D(2)(h)
        h = keras.layers.Flatten()(h)
        if dropout_at == "head":
            h = keras.layers.Dropout(rate)(h)
        outputs = keras.layers.Dense(
            n_out or n_classes, activation="softmax", kernel_regularizer=reg()
        )(h)
        if dropout_at == "after":
            outputs = keras.layers.Dropout(rate)(outputs)
        return keras.Model(inputs, outputs)

    return build


def test_q3_mistakes(keras):
    ch04.q3.assert_check_passed(_builder(keras))  # the helper itself is right
    message = failed(ch04.q3, _builder(keras, regularizer=lambda l2: None))
    assert "no kernel regularizer" in message and "L2(l2)" in message
    message = failed(ch04.q3, _builder(keras, regularizer=lambda l2: keras.regularizers.L1(l2)))
    assert "kind 'l1'" in message
    message = failed(ch04.q3, _builder(keras, regularizer=lambda l2: keras.regularizers.L2(0.01)))
    assert "L2 factor of 0.01" in message and "`l2` argument" in message
    message = failed(ch04.q3, _builder(keras, dropout_rate=0.5))  # ignores the argument
    assert "`dropout` argument (0.3" in message
    assert "not between the last convolution" in failed(
        ch04.q3, _builder(keras, dropout_at="early")
    )
    assert "not between the last convolution" in failed(
        ch04.q3, _builder(keras, dropout_at="after")
    )
    assert "no Dropout layer" in failed(ch04.q3, _builder(keras, dropout_at="none"))
    assert "(None, 3)" in failed(ch04.q3, _builder(keras, n_out=10))

    def dense_only(image_shape, n_classes, l2=1e-3, dropout=0.5):
        inputs = keras.Input(shape=image_shape)
        h = keras.layers.Dropout(dropout)(keras.layers.Flatten()(inputs))
        reg = keras.regularizers.L2(l2)
        outputs = keras.layers.Dense(n_classes, "softmax", kernel_regularizer=reg)(h)
        return keras.Model(inputs, outputs)

    assert "no Conv2D layer" in failed(ch04.q3, dense_only)

    def not_a_model(image_shape, n_classes, l2=1e-3, dropout=0.5):
        return [keras.layers.Dense(n_classes)]

    assert "expected a Keras model" in failed(ch04.q3, not_a_model)

    def no_return(image_shape, n_classes, l2=1e-3, dropout=0.5):
        _builder(keras)(image_shape, n_classes, l2, dropout)

    assert "return" in failed(ch04.q3, no_return)

    def fixed_shape(image_shape, n_classes, l2=1e-3, dropout=0.5):
        return _builder(keras)((32, 32, 3), n_classes, l2, dropout)

    assert "use the `image_shape` argument" in failed(ch04.q3, fixed_shape)


def test_q3_not_attempted_and_odd_objects(keras):
    ch04.q3.assert_check_unattempted(...)

    def stub(image_shape, n_classes, l2=1e-3, dropout=0.5):
        return ...

    ch04.q3.assert_check_unattempted(stub)
    assert_odd_objects_get_feedback(ch04.q3)


# --- Exercise 4.4 --------------------------------------------------------------------------------


def test_q4_solution_passes(keras):
    early_stopping = run_solution(ch04.q4, keras=keras)["early_stopping"]
    message = ch04.q4.assert_check_passed(early_stopping).message
    assert "stops at epoch 22" in message and "epoch 12" in message
    five = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True, mode="min")
    assert "stops at epoch 17" in ch04.q4.assert_check_passed(five).message


def test_q4_mistakes(keras):
    def stopping(**kwargs):
        options = {"monitor": "val_loss", "patience": 10, "restore_best_weights": True}
        return keras.callbacks.EarlyStopping(**{**options, **kwargs})

    assert "training loss keeps falling" in failed(ch04.q4, stopping(monitor="loss"))
    assert "steps of one cell" in failed(ch04.q4, stopping(monitor="val_accuracy"))
    assert "largest validation loss" in failed(ch04.q4, stopping(mode="max"))
    assert "restore_best_weights=True" in failed(ch04.q4, stopping(restore_best_weights=False))
    assert "patience=0" in failed(ch04.q4, stopping(patience=0))
    assert "patience=100" in failed(ch04.q4, stopping(patience=100))
    assert "baseline" in failed(ch04.q4, stopping(baseline=0.5))
    assert "min_delta" in failed(ch04.q4, stopping(min_delta=0.1))
    assert "the class" in failed(ch04.q4, keras.callbacks.EarlyStopping)
    message = failed(ch04.q4, keras.callbacks.ModelCheckpoint("/tmp/unused.keras"))
    assert "EarlyStopping" in message


def test_q4_does_not_change_the_learners_callback(keras):
    early_stopping = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
    ch04.q4.assert_check_passed(early_stopping)
    assert early_stopping.model is None and early_stopping.best_weights is None


def test_q4_not_attempted_and_odd_objects(keras):
    ch04.q4.assert_check_unattempted(...)
    assert_odd_objects_get_feedback(ch04.q4)


# --- Exercise 4.5 --------------------------------------------------------------------------------


def test_q5_is_a_thought_exercise():
    result = ch04.q5.assert_check_passed()
    assert result.outcome is Outcome.VIEWED
    assert ch04.q5.hints and "learning curve" in ch04.q5.solution_code


def test_exercise_texts_are_complete():
    for exercise in (ch04.q1, ch04.q2, ch04.q3, ch04.q4, ch04.q5):
        assert len(exercise.hints) == 2 and exercise.solution_code.strip()
        assert exercise.id.startswith("04.")
    assert math.isclose(
        ch04._gap_case(*ch04._GAP_CASES[1][0])[1], 0.70 - 0.80
    )  # the second case really has a negative gap
