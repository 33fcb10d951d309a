"""Chapter 06 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution

import cellcourse as cc
from cellcourse.exercises import Outcome, ch06
from cellcourse.preprocess import split_by_group, to_float_image
from cellcourse.tuning import LRRangeResult


@pytest.fixture(scope="module")
def keras():
    pytest.importorskip("keras_tuner")
    return pytest.importorskip("keras")


# --- Exercise 6.1 --------------------------------------------------------------------------------


def _builder(keras, **changes):
    """The solution's build_model with one thing changed (a typical mistake)."""
    settings = {
        "filters": lambda hp: hp.Choice("filters", [8, 16, 32]),
        "batch_norm": lambda hp: True,
        "dropout": lambda hp: hp.Float("dropout", 0.0, 0.5),
        "learning_rate": lambda hp: hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"),
        "loss": "sparse_categorical_crossentropy",
        "compile": True,
    }
    settings.update(changes)

    def build_model(hp):
        filters = settings["filters"](hp)
        model = cc.models.small_cnn(
            (32, 32, 3),
            3,
            filters=(filters, 2 * filters, 4 * filters),
            batch_norm=settings["batch_norm"](hp),
            dropout=settings["dropout"](hp),
            augment=True,
        )
        rate = settings["learning_rate"](hp)
        if settings["compile"]:
            model.compile(optimizer=keras.optimizers.Adam(rate), loss=settings["loss"])
        return model

    return build_model


def test_q1_solutions_pass(keras):
    build_model = run_solution(ch06.q1, keras=keras, image_shape=(32, 32, 3), n_classes=3)[
        "build_model"
    ]
    assert "three hyperparameters" in ch06.q1.assert_check_passed(build_model).message
    ch06.q1.assert_check_passed(ch06.build_model)  # the course's version
    # a learning rate chosen among log-spaced values is a log scale too
    choice = _builder(
        keras, learning_rate=lambda hp: hp.Choice("learning_rate", [1e-4, 1e-3, 1e-2])
    )
    ch06.q1.assert_check_passed(choice)


def test_q1_search_space_mistakes(keras):
    linear = _builder(keras, learning_rate=lambda hp: hp.Float("learning_rate", 1e-4, 1e-2))
    assert 'sampling="log"' in failed(ch06.q1, linear)
    narrow = _builder(
        keras, learning_rate=lambda hp: hp.Float("learning_rate", 1e-3, 1e-2, sampling="log")
    )
    assert "goes from 0.001 to 0.01" in failed(ch06.q1, narrow)
    renamed = _builder(keras, dropout=lambda hp: hp.Float("rate", 0.0, 0.5))
    assert "no hyperparameter named 'dropout'" in failed(ch06.q1, renamed)
    # batch normalisation off is allowed: the task only fixes the three drawn values
    ch06.q1.assert_check_passed(_builder(keras, batch_norm=lambda hp: False))
    wide = _builder(keras, filters=lambda hp: hp.Int("filters", 8, 64, step=8))
    assert "8, 16 or 32" in failed(ch06.q1, wide)
    fixed = _builder(keras, filters=lambda hp: hp.Fixed("filters", 16))
    assert "several values" in failed(ch06.q1, fixed)
    too_much_dropout = _builder(keras, dropout=lambda hp: hp.Float("dropout", 0.0, 0.9))
    assert "0 to 0.5" in failed(ch06.q1, too_much_dropout)


def test_q1_values_must_reach_the_model(keras):
    def ignores_filters(hp):
        hp.Choice("filters", [8, 16, 32])
        return _builder(keras, filters=lambda hp: 16)(hp)

    assert "filters=8, the first convolution of your model has 16" in failed(
        ch06.q1, ignores_filters
    )

    def fixed_rate(hp):
        model = _builder(keras)(hp)
        model.compile(optimizer=keras.optimizers.Adam(3e-4), loss="sparse_categorical_crossentropy")
        return model

    assert "learning rate 0.0003" in failed(ch06.q1, fixed_rate)

    def no_dropout(hp):
        hp.Float("dropout", 0.0, 0.5)
        return _builder(keras, dropout=lambda hp: 0.0)(hp)

    assert "no Dropout layer of that rate" in failed(ch06.q1, no_dropout)


def test_q1_model_mistakes(keras):
    assert "not compiled" in failed(ch06.q1, _builder(keras, compile=False))
    one_hot_loss = _builder(keras, loss="categorical_crossentropy")
    assert "sparse_categorical_crossentropy" in failed(ch06.q1, one_hot_loss)

    def wrong_size(hp):
        model = cc.models.small_cnn((64, 64, 3), 3)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    assert "(None, 32, 32, 3)" in failed(ch06.q1, wrong_size)
    assert "forget `return model`" in failed(ch06.q1, lambda hp: None)
    assert "raised ZeroDivisionError" in failed(ch06.q1, lambda hp: 1 / 0)
    assert "compiled Keras model" in failed(ch06.q1, lambda hp: "model")
    assert "function of `hp`" in failed(ch06.q1, cc.models.small_cnn((32, 32, 3), 3))
    ch06.q1.assert_check_unattempted(...)
    ch06.q1.assert_check_unattempted(lambda hp: ...)
    assert_odd_objects_get_feedback(ch06.q1)


# --- Exercise 6.2 --------------------------------------------------------------------------------


def test_q2_is_a_thought_exercise():
    assert ch06.q2.assert_check_passed().outcome is Outcome.VIEWED
    assert "validation" in ch06.q2.solution_code and "once" in ch06.q2.solution_code


# --- Exercise 6.3 --------------------------------------------------------------------------------


def test_q3_prepare():
    ch06.q3.assert_check_passed(run_solution(ch06.q3)["prepare"])
    ch06.q3.assert_check_passed(to_float_image)  # the course version

    assert "raw pixel values" in failed(ch06.q3, lambda images: images.astype(np.float32))
    message = failed(ch06.q3, lambda images: images.astype(np.float32) / 255)
    assert "65535" in message and "np.iinfo" in message
    message = failed(
        ch06.q3,
        lambda images: ((images - images.min()) / (images.max() - images.min())).astype(np.float32),
    )
    assert "stretches each batch" in message
    assert "stretches" in failed(ch06.q3, lambda images: (images / images.max()).astype("float32"))
    message = failed(ch06.q3, lambda images: images / np.iinfo(images.dtype).max)
    assert "right values" in message and "float64" in message
    assert "twice" in failed(ch06.q3, lambda images: (images / 255 / 255).astype(np.float32))
    message = failed(ch06.q3, lambda images: images.astype(np.float32) / 128)
    assert "values differ" in message  # not recognised: the general message
    ch06.q3.assert_check_unattempted(...)
    ch06.q3.assert_check_unattempted(lambda images: ...)
    assert_odd_objects_get_feedback(ch06.q3)


# --- Exercise 6.4 --------------------------------------------------------------------------------


def _range_result():
    """A range-test curve by hand: a logistic fall in log10 of the rate, half way down at 1e-3
    (from about 1.1 to its lowest, 0.22 at 1e-1), then rising steeply."""
    rates = np.logspace(-6, 0, 61)  # 10 points per decade; 1e-3 is rates[30]
    log_rate = np.log10(rates)
    losses = 0.2 + 0.9 / (1 + np.exp(2 * (log_rate + 3))) + 3 * np.maximum(0, log_rate + 1)
    return LRRangeResult(rates, losses, suggested=1e-2, stopped_early=True)


def test_mid_fall_rate():
    assert ch06.mid_fall_rate(_range_result()) == pytest.approx(1e-3)
    # a bump in the valley after the fall does not move it (it would move the steepest slope)
    result = _range_result()
    bumped = result.losses.copy()
    bumped[45:48] = [0.7, 0.9, 0.25]  # around 3e-2
    bumped_result = LRRangeResult(result.learning_rates, bumped, 1e-2, True)
    assert ch06.mid_fall_rate(bumped_result) == pytest.approx(1e-3)
    with pytest.raises(TypeError, match="lr_range_test"):
        ch06.mid_fall_rate({"learning_rates": [1e-3]})
    with pytest.raises(ValueError, match="at least 5 points"):
        ch06.mid_fall_rate(LRRangeResult(np.ones(4), np.ones(4), 1.0, False))


def test_q4_learning_rate():
    result = _range_result()
    namespace = run_solution(ch06.q4, lr_bug=result, ex=ch06)
    message = ch06.q4.assert_check_passed(namespace["learning_rate"], result).message
    assert "0.001 lies in the steep part" in message and "half of the way by 0.001" in message
    ch06.q4.assert_check_passed(2.5e-3, result)
    ch06.q4.assert_check_passed(4e-3, result)
    assert "6 times" in failed(ch06.q4, 6e-3, result)
    ch06.q4.assert_check_passed(np.float32(2e-4), result)  # NumPy numbers are numbers too

    message = failed(ch06.q4, 1.0, result)
    assert "1,000 times the rate in the middle of the loss's fall" in message
    assert "past the steep part" in message and "diverging" in message
    assert "beyond the end" in failed(ch06.q4, 10.0, result)
    assert "10 times" in failed(ch06.q4, 1e-2, result)  # the "suggested" rate here: too high
    assert "crawl" in failed(ch06.q4, 1e-6, result)
    for bad in (0, -1e-3, float("nan"), "0.001", True):
        assert "positive number" in failed(ch06.q4, bad, result)
    assert "second argument" in failed(ch06.q4, 1e-3, {"suggested": 1e-3})
    assert "learning_rate, lr_bug" in failed(ch06.q4, 1e-3)  # one answer only: usage
    ch06.q4.assert_check_unattempted(..., result)


# --- Exercise 6.5 --------------------------------------------------------------------------------


def test_q5_to_channels_last():
    ch06.q5.assert_check_passed(run_solution(ch06.q5)["to_channels_last"])
    ch06.q5.assert_check_passed(lambda images: np.transpose(images, (0, 2, 3, 1)))

    def reshaped(images):
        s, c, y, x = images.shape
        return images.reshape(s, y, x, c)

    message = failed(ch06.q5, reshaped)
    assert "scrambled" in message and "np.moveaxis" in message
    assert "swaps Y and X" in failed(ch06.q5, lambda images: np.transpose(images, (0, 3, 2, 1)))
    assert "sample axis" in failed(ch06.q5, lambda images: np.moveaxis(images, 0, -1))
    assert "shape" in failed(ch06.q5, lambda images: images)  # unchanged: the general message
    ch06.q5.assert_check_unattempted(...)
    ch06.q5.assert_check_unattempted(lambda images: ...)
    assert_odd_objects_get_feedback(ch06.q5)


# --- Exercise 6.6 --------------------------------------------------------------------------------


def test_q6_photographs_are_unbalanced_and_interleaved():
    groups = ch06._photographs()
    assert groups.shape == (len(groups),) and len(groups) >= 100 and len(np.unique(groups)) == 25
    assert np.any(groups[:-1] != groups[1:])


def test_q6_leak_free_split():
    solution = run_solution(ch06.q6)["leak_free_split"]
    assert "no photograph on both sides" in ch06.q6.assert_check_passed(solution).message

    def by_hand(groups, rng):
        names = np.random.default_rng(rng).permutation(np.unique(groups))
        sizes = np.array([np.sum(groups == name) for name in names])
        test_names = names[: np.searchsorted(np.cumsum(sizes), 0.2 * len(groups)) + 1]
        test = np.isin(groups, test_names)
        return np.flatnonzero(~test), np.flatnonzero(test)

    ch06.q6.assert_check_passed(by_hand)


def test_q6_leak_free_split_mistakes():
    def by_crop(groups, rng):  # the broken pipeline's split
        order = rng.permutation(len(groups))
        return order[len(groups) // 5 :], order[: len(groups) // 5]

    message = failed(ch06.q6, by_crop)
    assert "photographs have crops in both splits" in message

    def three_way(groups, rng):
        return split_by_group(groups, fractions=(0.7, 0.15, 0.15), rng=rng)

    assert "two arrays" in failed(ch06.q6, three_way)

    def half(groups, rng):
        return split_by_group(groups, fractions=(0.5, 0.5), rng=rng)

    assert "about 20 %" in failed(ch06.q6, half)

    def fixed_seed(groups, rng):
        return split_by_group(groups, fractions=(0.8, 0.2), rng=0)

    assert "seeds 1 and 2" in failed(ch06.q6, fixed_seed)

    def unseeded(groups, rng):
        return split_by_group(groups, fractions=(0.8, 0.2), rng=None)

    assert "same seed gave different splits" in failed(ch06.q6, unseeded)

    def photographs(groups, rng):  # indices of the 25 photographs instead of the crops
        order = rng.permutation(len(np.unique(groups)))
        return order[:20], order[20:]

    assert "every crop should be in exactly one" in failed(ch06.q6, photographs)

    def as_names(groups, rng):
        train, test = split_by_group(groups, fractions=(0.8, 0.2), rng=rng)
        return groups[train], groups[test]

    assert "integer indices" in failed(ch06.q6, as_names)
    assert "forget the `return`" in failed(ch06.q6, lambda groups, rng: None)
    assert "raised ValueError" in failed(ch06.q6, lambda groups, rng: int("x"))
    assert "should be a function" in failed(ch06.q6, np.arange(5))
    ch06.q6.assert_check_unattempted(...)
    ch06.q6.assert_check_unattempted(lambda groups, rng: ...)
    assert_odd_objects_get_feedback(ch06.q6)


# --- all ---------------------------------------------------------------------------------------------


def test_exercises_have_hints_and_solutions():
    for exercise in (ch06.q1, ch06.q2, ch06.q3, ch06.q4, ch06.q5, ch06.q6):
        assert exercise.chapter == "06" and exercise.title and exercise.solution_code
        assert 2 <= len(exercise.hints) <= 3
