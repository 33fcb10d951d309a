"""Chapter 07 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution
from skimage.segmentation import find_boundaries

from cellcourse.exercises import Outcome, ch07
from cellcourse.metrics import dice, jaccard
from cellcourse.targets import boundary_classes

# --- Exercise 7.1: the three-class target ------------------------------------------------------------


def _with_boundary(labels, boundary):
    classes = np.where(labels > 0, 1, 0).astype(np.uint8)
    classes[boundary] = 2
    return classes


def test_q1_solutions_pass():
    ch07.q1.assert_check_passed(run_solution(ch07.q1)["three_classes"])
    ch07.q1.assert_check_passed(boundary_classes)
    # int64 or float classes with the right values are fine too
    ch07.q1.assert_check_passed(lambda labels: boundary_classes(labels).astype(float))


def test_q1_the_test_inputs_cover_touching_nuclei_and_the_image_edge():
    by_hand = np.array(
        [
            [0, 0, 0, 0, 0, 0, 0, 0],
            [0, 2, 2, 2, 2, 2, 2, 0],
            [0, 2, 1, 2, 2, 1, 2, 0],
            [0, 2, 1, 2, 2, 1, 2, 0],
            [0, 2, 2, 2, 2, 2, 2, 0],
            [0, 0, 0, 0, 0, 0, 0, 0],
        ]
    )  # two 4 x 3 nuclei touching along a column: both sides of the contact are boundary
    np.testing.assert_array_equal(boundary_classes(ch07._square_pair()), by_hand)
    labels = ch07._DIAGNOSTIC_LABELS
    assert labels[0].any() and labels[:, 0].any()  # nuclei cut by the top and left edges
    assert np.any((labels[:, :-1] == 2) & (labels[:, 1:] == 3))  # nuclei 2 and 3 touch


def test_q1_typical_mistakes():
    def thick(labels):
        return _with_boundary(labels, find_boundaries(labels, mode="thick"))

    def foreground_only(labels):
        return _with_boundary(labels, find_boundaries(labels > 0, mode="inner"))

    def swapped(labels):
        classes = boundary_classes(labels)
        return np.choose(classes, [0, 2, 1])

    def diagonal(labels):
        return _with_boundary(labels, find_boundaries(labels, connectivity=2, mode="inner"))

    def with_roll(labels):  # compare with the 4 neighbours by np.roll, which wraps around
        boundary = np.zeros(labels.shape, dtype=bool)
        for shift, axis in ((1, 0), (-1, 0), (1, 1), (-1, 1)):
            boundary |= (labels > 0) & (np.roll(labels, shift, axis=axis) != labels)
        return _with_boundary(labels, boundary)

    def holes(labels):
        classes = boundary_classes(labels)
        classes[classes == 1] = 0  # the interior forgotten
        return classes

    assert "reaches into the background" in failed(ch07.q1, thick)
    assert 'mode="inner"' in failed(ch07.q1, thick)
    assert "where two nuclei touch" in failed(ch07.q1, foreground_only)
    assert "the other way" in failed(ch07.q1, swapped)
    assert "diagonal neighbours" in failed(ch07.q1, diagonal)
    message = failed(ch07.q1, with_roll)
    assert "edge of the image" in message and "np.roll" in message
    assert "inside nuclei" in failed(ch07.q1, holes)
    # no diagnosis: the general message names the input and counts the wrong pixels
    message = failed(ch07.q1, lambda labels: (labels > 0).astype(np.uint8))
    assert "a single round nucleus" in message and "values differ" in message
    assert "has shape" in failed(ch07.q1, lambda labels: boundary_classes(labels)[1:])
    assert "forget the `return`" in failed(ch07.q1, lambda labels: None)
    assert "should be a function" in failed(ch07.q1, boundary_classes(ch07._square_pair()))
    ch07.q1.assert_check_unattempted(...)
    ch07.q1.assert_check_unattempted(lambda labels: ...)
    assert_odd_objects_get_feedback(ch07.q1)


# --- Exercise 7.2: the receptive field ---------------------------------------------------------------


def test_q2_course_version_counts_layer_by_layer():
    # depth 1 by hand: 1 + 2 + 2 (two convolutions) + 1 (pooling) + 4 + 4 (bottom, level 1)
    # + 2 + 2 (two convolutions on the way up) = 18
    assert ch07.receptive_field(1) == 18
    assert [ch07.receptive_field(d) for d in (2, 3, 4)] == [44, 96, 200]
    assert all(ch07.receptive_field(d) == 13 * 2**d - 8 for d in range(1, 8))
    with pytest.raises(ValueError, match="depth >= 1"):
        ch07.receptive_field(0)
    with pytest.raises(TypeError, match="int"):
        ch07.receptive_field(2.0)


def test_q2_solutions_pass():
    ch07.q2.assert_check_passed(run_solution(ch07.q2)["receptive_field"])
    ch07.q2.assert_check_passed(ch07.receptive_field)
    ch07.q2.assert_check_passed(lambda depth: 13 * 2**depth - 8)
    ch07.q2.assert_check_passed(lambda depth: float(13 * 2**depth - 8))


@pytest.mark.parametrize(
    ("formula", "words"),
    [
        (lambda d: 9 * 2**d - 4, "way up"),
        (lambda d: 12 * 2**d - 7, "poolings"),
        (lambda d: 9 * d + 5, "2 ** l input pixels"),
        (lambda d: 7 * 2**d - 4, "one convolution per block"),
        (lambda d: 9 * 2**d - 8, "bottom block"),
        (lambda d: 19 * 2**d - 12, "kernel size - 1"),
        (lambda d: 14 * 2**d - 9, "2 - 1 = 1"),
        (lambda d: (13 * 2**d - 8) // 2, "radius"),
    ],
)
def test_q2_typical_mistakes(formula, words):
    assert words in failed(ch07.q2, formula)


def test_q2_other_answers():
    message = failed(ch07.q2, lambda depth: 4 * depth)  # no diagnosis: the general message
    assert "depth=1" in message and "smaller than expected" in message
    assert "forget the `return`" in failed(ch07.q2, lambda depth: None)
    assert "should be a function" in failed(ch07.q2, 96)
    ch07.q2.assert_check_unattempted(...)
    ch07.q2.assert_check_unattempted(lambda depth: ...)
    assert_odd_objects_get_feedback(ch07.q2)


# --- Exercise 7.3: the class-weighted cross-entropy --------------------------------------------------


def test_q3_course_version_by_hand_and_like_the_keras_loss():
    from cellcourse.losses import weighted_crossentropy

    y_true = np.array([[0, 2]])
    probs = np.array([[[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]]])
    # pixel 1: 1 * -log 0.5; pixel 2: 4 * -log 0.5; mean (1 + 4) log 2 / 2
    expected = 2.5 * np.log(2)
    assert ch07.weighted_loss(y_true, probs, [1.0, 2.0, 4.0]) == pytest.approx(expected)
    for args, _, _ in ch07._weighted_loss_inputs():
        y, p, w = args
        keras_value = float(
            weighted_crossentropy(w)(y.reshape(-1, *y.shape[-2:]), p.reshape(-1, *p.shape[-3:]))
        )
        assert ch07.weighted_loss(y, p, w) == pytest.approx(keras_value, rel=1e-5)
    with pytest.raises(ValueError, match="probs of shape"):
        ch07.weighted_loss(y_true, probs[..., :2], [1.0, 2.0, 4.0])
    with pytest.raises(ValueError, match="integer"):
        ch07.weighted_loss(y_true.astype(float), probs, [1.0, 2.0, 4.0])


def test_q3_solutions_pass():
    ch07.q3.assert_check_passed(run_solution(ch07.q3)["weighted_loss"])
    ch07.q3.assert_check_passed(ch07.weighted_loss)

    def with_one_hot(y_true, probs, class_weights):  # another right way
        one_hot = np.eye(probs.shape[-1])[y_true]
        return np.mean(np.sum(-one_hot * np.asarray(class_weights) * np.log(probs), axis=-1))

    ch07.q3.assert_check_passed(with_one_hot)
    ch07.q3.assert_check_passed(
        lambda y, p, w: np.float32(ch07.weighted_loss(y, p.astype(np.float32), w))
    )


def _p_true(y_true, probs):
    return np.take_along_axis(probs, y_true[..., None], axis=-1)[..., 0]


def test_q3_typical_mistakes():
    def unweighted(y_true, probs, class_weights):
        return np.mean(-np.log(_p_true(y_true, probs)))

    def by_weights(y_true, probs, class_weights):
        w = np.asarray(class_weights)[y_true]
        return np.sum(-w * np.log(_p_true(y_true, probs))) / np.sum(w)

    def predicted_weight(y_true, probs, class_weights):
        w = np.asarray(class_weights)[probs.argmax(-1)]
        return np.mean(-w * np.log(_p_true(y_true, probs)))

    def all_classes(y_true, probs, class_weights):
        return np.mean(np.sum(-np.asarray(class_weights) * np.log(probs), axis=-1))

    def no_minus(y_true, probs, class_weights):
        return np.mean(np.asarray(class_weights)[y_true] * np.log(_p_true(y_true, probs)))

    def summed(y_true, probs, class_weights):
        return np.sum(-np.asarray(class_weights)[y_true] * np.log(_p_true(y_true, probs)))

    def base_10(y_true, probs, class_weights):
        return np.mean(-np.asarray(class_weights)[y_true] * np.log10(_p_true(y_true, probs)))

    assert "change nothing" in failed(ch07.q3, unweighted)
    assert "sample_weight" in failed(ch07.q3, by_weights)
    assert "*true* class" in failed(ch07.q3, predicted_weight)
    assert "only the true class" in failed(ch07.q3, all_classes).lower()
    assert "is negative" in failed(ch07.q3, no_minus)
    assert "mean" in failed(ch07.q3, summed)
    assert "base-10" in failed(ch07.q3, base_10)
    message = failed(ch07.q3, lambda y_true, probs, class_weights: 1.0)
    assert "equal weights (1, 1, 1)" in message and "larger than expected" in message
    assert "raised" in failed(ch07.q3, lambda y_true, probs, class_weights: probs[y_true])
    assert "should be a function" in failed(ch07.q3, 0.5)
    ch07.q3.assert_check_unattempted(...)
    ch07.q3.assert_check_unattempted(lambda y_true, probs, class_weights: ...)
    assert_odd_objects_get_feedback(ch07.q3)


# --- Exercise 7.4: the Dice coefficient --------------------------------------------------------------


def test_q4_cases_by_hand():
    cases = ch07._dice_cases()
    assert [case[2] for case in cases[:4]] == [pytest.approx(0.5), pytest.approx(1 / 3), 1.0, 0.0]
    (t, p), _, expected, _ = cases[4]
    assert expected == pytest.approx(dice(t, p))


def test_q4_solutions_pass():
    ch07.q4.assert_check_passed(run_solution(ch07.q4)["dice_coefficient"])
    ch07.q4.assert_check_passed(dice)  # the course's version, on boolean masks
    ch07.q4.assert_check_passed(lambda t, p: 2 * np.sum(t & p) / (np.sum(t) + np.sum(p)))


def test_q4_typical_mistakes():
    assert "Jaccard index" in failed(ch07.q4, jaccard)
    assert "half the Dice" in failed(ch07.q4, lambda t, p: np.sum(t & p) / (t.sum() + p.sum()))
    message = failed(ch07.q4, lambda t, p: 2 * np.sum(t & p) / np.sum(t + p))
    assert "union" in message
    assert "a loss" in failed(ch07.q4, lambda t, p: 1 - dice(t, p))
    assert "pixel accuracy" in failed(ch07.q4, lambda t, p: np.mean(t == p))
    message = failed(ch07.q4, lambda t, p: np.sum(t & p))
    assert "two 4 × 4 masks" in message
    assert "should be a function" in failed(ch07.q4, 0.5)
    ch07.q4.assert_check_unattempted(...)
    ch07.q4.assert_check_unattempted(lambda t, p: ...)
    assert_odd_objects_get_feedback(ch07.q4)


# --- Exercise 7.5 and all ----------------------------------------------------------------------------


def test_q5_is_a_thought_exercise():
    assert ch07.q5.assert_check_passed().outcome is Outcome.VIEWED
    solution = ch07.q5.solution_code
    assert "background" in solution and "touching" in solution and "chapter 08" in solution


def test_exercises_have_hints_and_solutions():
    for exercise in (ch07.q1, ch07.q2, ch07.q3, ch07.q4, ch07.q5):
        assert exercise.chapter == "07" and exercise.title and exercise.solution_code
        assert 2 <= len(exercise.hints) <= 3
