"""Chapter 12 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution

from cellcourse.active_learning import entropy, labels_to_reach, query
from cellcourse.exercises import Outcome, ch12

# --- Exercise 12.1 --------------------------------------------------------------------------------


def test_q1_entropy_solutions_pass():
    ch12.q1.assert_check_passed(run_solution(ch12.q1)["prediction_entropy"])
    ch12.q1.assert_check_passed(entropy)

    def with_errstate(probs):  # another correct way: silence log(0), then replace the NaN
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.nansum(probs * np.log(probs), axis=1)

    ch12.q1.assert_check_passed(with_errstate)


def test_q1_entropy_mistakes():
    def naive(probs):
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.sum(probs * np.log(probs), axis=1)

    def safe_log(probs):
        return np.log(np.where(probs > 0, probs, 1))

    assert "0 ln 0 = 0" in failed(ch12.q1, naive)
    assert "negative" in failed(ch12.q1, lambda p: np.sum(p * safe_log(p), axis=1))
    assert "base 2" in failed(ch12.q1, lambda p: -np.sum(p * safe_log(p), axis=1) / np.log(2))
    assert "averages" in failed(ch12.q1, lambda p: -np.mean(p * safe_log(p), axis=1))
    assert "one value per class" in failed(ch12.q1, lambda p: -np.sum(p * safe_log(p), axis=0))
    assert "single number" in failed(ch12.q1, lambda p: -np.sum(p * safe_log(p)))
    message = failed(ch12.q1, lambda p: 1 - p.max(axis=1))  # least confidence, not entropy
    assert "differ" in message
    ch12.q1.assert_check_unattempted(...)
    ch12.q1.assert_check_unattempted(lambda probs: ...)
    assert_odd_objects_get_feedback(ch12.q1)


# --- Exercise 12.2 --------------------------------------------------------------------------------


def test_q2_hand_probs_tell_the_scores_apart():
    assert set(np.argsort(1 - (ch12._HAND_PROBS.max(axis=1)))[: ch12._HAND_N]) != ch12._HAND_ANSWER
    chosen = query(np.arange(8), ch12._HAND_N, probs=ch12._HAND_PROBS, method="margin", rng=0)
    assert set(chosen.tolist()) == ch12._HAND_ANSWER


def test_q2_margin_solutions_pass():
    result = ch12.q2.assert_check_passed(run_solution(ch12.q2)["most_uncertain"])
    assert "hesitates" in result.message

    def course(probs, n):
        return query(np.arange(len(probs)), n, probs=probs, method="margin", rng=0)

    ch12.q2.assert_check_passed(course)
    ch12.q2.assert_check_passed(lambda probs, n: list(course(probs, n)[::-1]))  # any order


def test_q2_margin_mistakes():
    def margin(probs):
        top = np.sort(probs, axis=1)
        return top[:, -1] - top[:, -2]

    def by_entropy(probs, n):
        return np.argsort(-entropy(probs))[:n]

    assert "*largest* margin" in failed(ch12.q2, lambda p, n: np.argsort(-margin(p))[:n])
    assert "least confidence" in failed(ch12.q2, lambda p, n: np.argsort(p.max(axis=1))[:n])
    assert "entropy" in failed(ch12.q2, by_entropy)
    assert "left out cell" in failed(ch12.q2, lambda p, n: np.arange(n))
    assert "scores?" in failed(ch12.q2, lambda p, n: margin(p))
    mask = failed(ch12.q2, lambda p, n: np.isin(np.arange(len(p)), np.argsort(margin(p))[:n]))
    assert "np.flatnonzero" in mask
    assert "expected exactly 3" in failed(ch12.q2, lambda p, n: np.argsort(margin(p))[: n + 1])
    assert "repeated" in failed(ch12.q2, lambda p, n: np.full(n, np.argmin(margin(p))))
    assert "forget the `return`" in failed(ch12.q2, lambda p, n: None)
    assert "raised IndexError" in failed(ch12.q2, lambda p, n: p[:, 5])
    assert "should be a function" in failed(ch12.q2, np.arange(3))
    ch12.q2.assert_check_unattempted(...)
    ch12.q2.assert_check_unattempted(lambda probs, n: ...)
    assert_odd_objects_get_feedback(ch12.q2)


# --- Exercise 12.3 --------------------------------------------------------------------------------


def test_q3_plateau_solutions_pass():
    ch12.q3.assert_check_passed(run_solution(ch12.q3)["labels_to_reach"])
    ch12.q3.assert_check_passed(lambda n, s, f: labels_to_reach(n, s, fraction=f))

    def loop(n_labels, scores, fraction):
        for n, score in zip(n_labels, scores, strict=True):
            if score >= fraction * scores[-1]:
                return int(n)
        return None

    ch12.q3.assert_check_passed(loop)


def test_q3_plateau_mistakes():
    def position(n_labels, scores, fraction):
        return int(np.flatnonzero(scores >= fraction * scores[-1])[0])

    def best(n_labels, scores, fraction):
        return n_labels[np.flatnonzero(scores >= fraction * scores.max())[0]]

    def strictly(n_labels, scores, fraction):
        return n_labels[np.flatnonzero(scores > fraction * scores[-1])[0]]

    assert "position" in failed(ch12.q3, position)
    assert "best score" in failed(ch12.q3, best)
    assert "returned" in failed(ch12.q3, strictly)  # 0.4 >= 0.5 * 0.8: the general message
    ch12.q3.assert_check_unattempted(...)
    ch12.q3.assert_check_unattempted(lambda n, s, f: ...)
    assert_odd_objects_get_feedback(ch12.q3)


# --- Exercise 12.4 --------------------------------------------------------------------------------

SCORES = {"random": np.array([0.90, 0.85, 0.95]), "uncertainty": np.array([0.93, 0.97, 0.94])}


def test_q4_gain_solutions_pass():
    gain = run_solution(ch12.q4, test_scores=SCORES)["gain"]
    message = ch12.q4.assert_check_passed(gain, SCORES).message
    assert "2 of 3 seeds" in message
    ch12.q4.assert_check_passed([0.03, 0.12, -0.01], SCORES)


def test_q4_gain_mistakes():
    right = SCORES["uncertainty"] - SCORES["random"]
    assert "wrong sign" in failed(ch12.q4, -right, SCORES)
    assert "mean gain" in failed(ch12.q4, right.mean(), SCORES)
    assert "single number" in failed(ch12.q4, 0.5, SCORES)
    unpaired = np.sort(SCORES["uncertainty"]) - np.sort(SCORES["random"])
    assert "sorting" in failed(ch12.q4, unpaired, SCORES)
    assert "shape (2,)" in failed(ch12.q4, right[:2], SCORES)
    assert "seed by seed" in failed(ch12.q4, right + 0.1, SCORES)
    assert "keys" in failed(ch12.q4, right, {"a": right})
    assert "same length" in failed(ch12.q4, right, {"random": [0.1], "uncertainty": [0.2, 0.3]})
    ch12.q4.assert_check_unattempted(..., SCORES)
    assert_odd_objects_get_feedback(ch12.q4, SCORES)


# --- Exercise 12.5 and all ------------------------------------------------------------------------


def test_q5_is_a_thought_exercise():
    result = ch12.q5.assert_check_passed()
    assert result.outcome is Outcome.VIEWED
    assert "random" in ch12.q5.solution_code and "bias" in ch12.q5.solution_code


def test_exercises_have_hints_and_solutions():
    for exercise in (ch12.q1, ch12.q2, ch12.q3, ch12.q4, ch12.q5):
        assert exercise.chapter == "12" and exercise.title and exercise.solution_code
        assert 2 <= len(exercise.hints) <= 3
