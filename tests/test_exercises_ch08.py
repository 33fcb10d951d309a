"""Chapter 08 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution

import cellcourse as cc
from cellcourse.exercises import Outcome, ch08

# --- the course's versions, worked out by hand ---------------------------------------------------


def test_course_versions_by_hand():
    a = np.zeros((6, 6), bool)
    a[1:4, 1:4] = True  # 9 pixels
    b = np.zeros((6, 6), bool)
    b[2:5, 2:6] = True  # 12 pixels, 4 shared, union 17
    assert ch08.mask_iou(a, b) == 4 / 17
    assert ch08.f1_from_counts(8, 2, 2) == 0.8
    assert ch08.f1_from_counts(0, 3, 4) == 0.0
    iou = np.array([[0.9, 0.0], [0.3, 0.0], [0.0, 0.6]])
    assert ch08.count_matches(iou, 0.5) == (2, 0, 1)
    assert ch08.count_matches(iou, 0.7) == (1, 1, 2)


def test_count_matches_agrees_with_the_library():
    true = np.zeros((10, 20), dtype=np.int32)
    true[1:5, 1:5], true[1:5, 8:12], true[6:9, 14:19] = 1, 2, 3
    pred = np.zeros_like(true)
    pred[1:5, 2:6], pred[2:5, 8:12], pred[6:9, 1:4] = 5, 6, 7  # IoU 0.6, 0.75, 0
    iou = cc.metrics.iou_matrix(true, pred)
    for threshold in (0.5, 0.7, 0.8):
        m = cc.metrics.match_instances(true, pred, threshold=threshold)
        assert ch08.count_matches(iou, threshold) == (m.tp, m.fp, m.fn)
        assert ch08.f1_from_counts(m.tp, m.fp, m.fn) == m.f1


# --- Exercise 8.1 --------------------------------------------------------------------------------


def test_q1_mask_iou():
    ch08.q1.assert_check_passed(run_solution(ch08.q1)["mask_iou"])
    ch08.q1.assert_check_passed(ch08.mask_iou)
    ch08.q1.assert_check_passed(lambda a, b: (a & b).sum() / (a.sum() + b.sum() - (a & b).sum()))


def test_q1_typical_mistakes():
    assert "Dice coefficient" in failed(
        ch08.q1, lambda a, b: 2 * (a & b).sum() / (a.sum() + b.sum())
    )
    assert "number of shared pixels" in failed(ch08.q1, lambda a, b: (a & b).sum())
    assert "counts the shared pixels twice" in failed(
        ch08.q1, lambda a, b: (a & b).sum() / (a.sum() + b.sum())
    )
    assert "other way round" in failed(ch08.q1, lambda a, b: (a | b).sum() / (a & b).sum())
    assert "forget the `return`" in failed(ch08.q1, lambda a, b: None)
    ch08.q1.assert_check_unattempted(...)
    ch08.q1.assert_check_unattempted(lambda a, b: ...)
    assert_odd_objects_get_feedback(ch08.q1)


# --- Exercise 8.2 --------------------------------------------------------------------------------


def test_q2_f1_from_counts():
    ch08.q2.assert_check_passed(run_solution(ch08.q2)["f1_from_counts"])

    def harmonic(tp, fp, fn):  # the textbook form, careful about zero
        if tp == 0:
            return 0.0
        p, r = tp / (tp + fp), tp / (tp + fn)
        return 2 * p * r / (p + r)

    ch08.q2.assert_check_passed(harmonic)


def test_q2_typical_mistakes():
    assert "Data Science Bowl" in failed(ch08.q2, lambda tp, fp, fn: tp / (tp + fp + fn))
    assert "*harmonic* mean" in failed(
        ch08.q2, lambda tp, fp, fn: (tp / (tp + fp) + tp / (tp + fn)) / 2
    )
    assert "returns the precision" in failed(ch08.q2, lambda tp, fp, fn: tp / (tp + fp))
    assert "returns the recall" in failed(ch08.q2, lambda tp, fp, fn: tp / (tp + fn))
    # a zero division on the case with no match is named, not a crash
    message = failed(ch08.q2, lambda tp, fp, fn: 2 / (1 / (tp / (tp + fp)) + 1 / (tp / (tp + fn))))
    assert "no match at all" in message
    ch08.q2.assert_check_unattempted(...)
    assert_odd_objects_get_feedback(ch08.q2)


# --- Exercise 8.3 --------------------------------------------------------------------------------


def test_q3_count_matches():
    ch08.q3.assert_check_passed(run_solution(ch08.q3)["count_matches"])
    ch08.q3.assert_check_passed(lambda iou, t: np.array(ch08.count_matches(iou, t)))
    ch08.q3.assert_check_passed(lambda iou, t: list(ch08.count_matches(iou, t)))


def test_q3_typical_mistakes():
    def swapped(iou, threshold):
        tp, fp, fn = ch08.count_matches(iou, threshold)
        return tp, fn, fp

    assert "swaps FP and FN" in failed(ch08.q3, swapped)
    assert "*greater* than" in failed(ch08.q3, lambda iou, t: ch08.count_matches(iou, t - 1e-9))
    assert "every overlapping pair" in failed(ch08.q3, lambda iou, t: ch08.count_matches(iou, 0.0))
    assert "expected (tp, fp, fn)" in failed(ch08.q3, lambda iou, t: int(np.sum(iou > t)))
    assert "forget `return`" in failed(ch08.q3, lambda iou, t: None)
    ch08.q3.assert_check_unattempted(...)
    assert_odd_objects_get_feedback(ch08.q3)


# --- Exercise 8.4 --------------------------------------------------------------------------------

VAL = {0.3: 0.88, 0.5: 0.91, 0.7: 0.93, 0.9: 0.90}
TEST = {0.3: 0.87, 0.5: 0.94, 0.7: 0.92, 0.9: 0.89}


def test_q4_choose_threshold():
    solution = run_solution(ch08.q4, val_f1=VAL, test_f1=TEST)["best_threshold"]
    assert solution == 0.7
    ch08.q4.assert_check_passed(solution, VAL, TEST)
    ch08.q4.assert_check_passed(0.7000000001, VAL, TEST)


def test_q4_typical_mistakes():
    assert "best on the *test* images" in failed(ch08.q4, 0.5, VAL, TEST)
    assert "another threshold reaches 0.930" in failed(ch08.q4, 0.9, VAL, TEST)
    assert "not one of the thresholds tried" in failed(ch08.q4, 0.6, VAL, TEST)
    assert "should be a number" in failed(ch08.q4, "0.7", VAL, TEST)
    assert "pass the notebook's dictionaries" in failed(ch08.q4, 0.7, [0.9], TEST)
    ch08.q4.assert_check_unattempted(..., VAL, TEST)


# --- Exercise 8.5 --------------------------------------------------------------------------------


def test_q5_is_a_thought_exercise():
    result = ch08.q5.assert_check_passed()
    assert result.outcome is Outcome.VIEWED
    assert "false negative" in ch08.q5.solution_code and "merge" in ch08.q5.solution_code
