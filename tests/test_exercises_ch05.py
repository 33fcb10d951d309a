"""Chapter 05 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution

from cellcourse.exercises import Outcome, ch05
from cellcourse.metrics import predict_with_thresholds, prior_correction_weights
from cellcourse.sampling import oversample_indices, undersample_indices

# --- Exercise 5.1 --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bccd(data_env):
    ch05._bccd_labels_and_split.cache_clear()  # load from this module's fresh cache
    yield ch05._bccd_labels_and_split()
    ch05._bccd_labels_and_split.cache_clear()


def test_q1_always_rbc_accuracy(bccd):
    y, train_idx, test_idx = bccd
    # the course's split: 728 test cells, 625 of them red cells (worked out once, by hand)
    assert len(test_idx) == 728 and int(np.sum(y[test_idx] == 1)) == 625
    solution = run_solution(
        ch05.q1,
        class_names=["Platelets", "RBC", "WBC"],
        y_test=y[test_idx],
        cc=pytest.importorskip("cellcourse"),
    )
    message = ch05.q1.assert_check_passed(solution["always_rbc_accuracy"]).message
    assert "85.9%" in message
    ch05.q1.assert_check_passed(np.float32(625 / 728))  # a NumPy scalar is fine
    ch05.q1.assert_check_passed(np.array(625 / 728))  # and a 0-d array

    assert "balanced" in failed(ch05.q1, 1 / 3)
    assert "*not* red cells" in failed(ch05.q1, 1 - 625 / 728)
    assert "percentage" in failed(ch05.q1, 100 * 625 / 728)
    assert "training cells" in failed(ch05.q1, float(np.mean(y[train_idx] == 1)))
    assert "whole data set" in failed(ch05.q1, float(np.mean(y == 1)))
    assert "larger than expected" in failed(ch05.q1, 0.9)
    assert "single number" in failed(ch05.q1, [0.5, 0.5])
    ch05.q1.assert_check_unattempted(...)
    assert_odd_objects_get_feedback(ch05.q1)


# --- Exercise 5.2 --------------------------------------------------------------------------------


def test_q2_course_weights_match_fit_classifier():
    from cellcourse.train import _class_weight

    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2])  # 9 samples: 6, 2, 1
    by_hand = {0: 9 / (3 * 6), 1: 9 / (3 * 2), 2: 9 / (3 * 1)}  # 0.5, 1.5, 3.0
    assert ch05._balanced_weights(y, 3) == pytest.approx(by_hand)
    assert _class_weight("balanced", y, 3) == pytest.approx(by_hand)
    # the weighted number of samples of each class is the same: S / K
    assert [by_hand[k] * n for k, n in enumerate((6, 2, 1))] == pytest.approx([3, 3, 3])


def test_q2_balanced_class_weights():
    ch05.q2.assert_check_passed(run_solution(ch05.q2)["balanced_class_weights"])

    def with_numpy_keys(y, n_classes):
        counts = np.bincount(y, minlength=n_classes)
        return {np.int64(k): np.float64(len(y) / (n_classes * c)) for k, c in enumerate(counts)}

    ch05.q2.assert_check_passed(with_numpy_keys)

    def inverse_counts(y, n_classes):
        return {k: 1 / c for k, c in enumerate(np.bincount(y, minlength=n_classes))}

    def frequencies(y, n_classes):
        return {k: c / len(y) for k, c in enumerate(np.bincount(y, minlength=n_classes))}

    def as_array(y, n_classes):
        return len(y) / (n_classes * np.bincount(y, minlength=n_classes))

    def without_k(y, n_classes):
        return {k: len(y) / c for k, c in enumerate(np.bincount(y, minlength=n_classes))}

    def without_minlength(y, n_classes):
        counts = np.bincount(y)  # a class missing at the end is not counted
        return {k: len(y) / (n_classes * counts[k]) for k in range(len(counts))}

    message = failed(ch05.q2, inverse_counts)
    assert "right proportions" in message and "instead of 1" in message
    assert "instead of 1" in failed(ch05.q2, without_k)
    assert "largest weight" in failed(ch05.q2, frequencies)
    assert "dict(enumerate(weights))" in failed(ch05.q2, as_array)
    assert "changes nothing" in failed(ch05.q2, lambda y, n: {k: 1.0 for k in range(n)})
    message = failed(ch05.q2, lambda y, n_classes: {k: k + 1.0 for k in range(n_classes)})
    assert "returned" in message and "test 1 of 5" in message  # no diagnosis: the general message
    assert "forget the `return`" in failed(ch05.q2, lambda y, n_classes: None)
    assert "should be a function" in failed(ch05.q2, {0: 1.0, 1: 1.0})
    ch05.q2.assert_check_passed(without_minlength)  # every class occurs in the test cases
    ch05.q2.assert_check_unattempted(...)
    ch05.q2.assert_check_unattempted(lambda y, n_classes: ...)
    assert_odd_objects_get_feedback(ch05.q2)


# --- Exercise 5.3 --------------------------------------------------------------------------------


def test_q3_oversample_solutions_pass():
    message = ch05.q3.assert_check_passed(run_solution(ch05.q3)["oversample"]).message
    assert "every rare cell used" in message
    ch05.q3.assert_check_passed(lambda y, rng: oversample_indices(y, rng=rng))

    def with_replacement(y, rng):  # the textbook way: accepted, with a remark
        n_max = np.bincount(y).max()
        return np.concatenate(
            [
                np.flatnonzero(y == k)
                if np.sum(y == k) == n_max
                else rng.choice(np.flatnonzero(y == k), size=n_max)
                for k in np.unique(y)
            ]
        )

    message = ch05.q3.assert_check_passed(with_replacement).message
    assert "never drawn" in message and "oversample_indices" in message


def test_q3_oversample_mistakes():
    def undersample(y, rng):
        return undersample_indices(y, rng=rng)

    def everything_drawn(y, rng):  # the largest class drawn with replacement too
        n_max = np.bincount(y).max()
        return np.concatenate([rng.choice(np.flatnonzero(y == k), n_max) for k in np.unique(y)])

    def first_cell_repeated(y, rng):
        n_max = np.bincount(y).max()
        parts = [np.flatnonzero(y == k) for k in np.unique(y)]
        return np.concatenate(
            [p if len(p) == n_max else np.full(n_max, p[rng.integers(2)]) for p in parts]
        )

    def global_random(y, rng):
        return oversample_indices(y, rng=np.random.default_rng())

    def fixed_seed(y, rng):
        return oversample_indices(y, rng=0)

    def doubled(y, rng):
        return np.concatenate([np.arange(len(y)), np.arange(len(y))])

    def as_mask(y, rng):
        return np.ones(len(y), dtype=bool)

    assert "*under*sampling" in failed(ch05.q3, undersample)
    message = failed(ch05.q3, everything_drawn)
    assert "largest class" in message and "exactly once" in message
    assert "repeat only" in failed(ch05.q3, first_cell_repeated)
    assert "same seed" in failed(ch05.q3, global_random)
    assert "seeds 1 and 2" in failed(ch05.q3, fixed_seed)
    assert "as often as the largest" in failed(ch05.q3, doubled)
    assert "mask" in failed(ch05.q3, as_mask)
    assert "from 0 to" in failed(ch05.q3, lambda y, rng: np.arange(len(y)) + 1)
    assert "forget the `return`" in failed(ch05.q3, lambda y, rng: None)
    assert "raised ValueError" in failed(ch05.q3, lambda y, rng: int("x"))
    assert "should be a function" in failed(ch05.q3, np.arange(5))
    ch05.q3.assert_check_unattempted(...)
    ch05.q3.assert_check_unattempted(lambda y, rng: ...)
    assert_odd_objects_get_feedback(ch05.q3)


# --- Exercise 5.4 --------------------------------------------------------------------------------


def test_q4_course_version_by_hand():
    # priors 0.1, 0.8, 0.1: a cell with probabilities (0.15, 0.8, 0.05) scores 1.5, 1.0, 0.5
    (probs, y_train), _, _ = ch05._threshold_inputs()[0]
    np.testing.assert_array_equal(ch05._move_thresholds(probs, y_train), [0, 1, 2, 0])
    np.testing.assert_array_equal(np.argmax(probs, axis=1), [1, 1, 1, 0])  # before: mostly 1
    # the library's two steps give the same decisions
    weights = prior_correction_weights(y_train, 3)
    np.testing.assert_array_equal(predict_with_thresholds(probs, weights), [0, 1, 2, 0])


def test_q4_move_thresholds():
    ch05.q4.assert_check_passed(run_solution(ch05.q4)["move_thresholds"])
    ch05.q4.assert_check_passed(
        lambda probs, y_train: predict_with_thresholds(
            probs, prior_correction_weights(y_train, probs.shape[1])
        )
    )

    def times_prior(probs, y_train):
        prior = np.bincount(y_train, minlength=probs.shape[1]) / len(y_train)
        return np.argmax(probs * prior, axis=1)

    def no_argmax(probs, y_train):
        return probs / (np.bincount(y_train, minlength=probs.shape[1]) / len(y_train))

    def wrong_axis(probs, y_train):
        prior = np.bincount(y_train, minlength=probs.shape[1]) / len(y_train)
        return np.argmax(probs / prior, axis=0)

    message = failed(ch05.q4, times_prior)
    assert "multiplies by the priors" in message and "Divide" in message
    assert "plain argmax" in failed(ch05.q4, lambda probs, y_train: np.argmax(probs, axis=1))
    assert "*and class*" in failed(ch05.q4, no_argmax)
    assert "has shape" in failed(ch05.q4, wrong_axis)  # no diagnosis: the general message
    assert "should be a function" in failed(ch05.q4, np.zeros(3))
    ch05.q4.assert_check_unattempted(...)
    ch05.q4.assert_check_unattempted(lambda probs, y_train: ...)
    assert_odd_objects_get_feedback(ch05.q4)


# --- Exercise 5.5 and all ------------------------------------------------------------------------


def test_q5_is_a_thought_exercise():
    result = ch05.q5.assert_check_passed()
    assert result.outcome is Outcome.VIEWED
    solution = ch05.q5.solution_code
    assert "recall" in solution and "precision" in solution and "natural frequencies" in solution


def test_exercises_have_hints_and_solutions():
    for exercise in (ch05.q1, ch05.q2, ch05.q3, ch05.q4, ch05.q5):
        assert exercise.chapter == "05" and exercise.title and exercise.solution_code
        assert 2 <= len(exercise.hints) <= 3
