"""Chapter 11 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution

import cellcourse as cc
from cellcourse.exercises import Outcome, ch11

# --- Exercise 11.1: the preprocessing fields of the card ------------------------------------------------


def test_q1_solutions_pass():
    ch11.q1.assert_check_passed(run_solution(ch11.q1)["card_fields"])
    ch11.q1.assert_check_passed(ch11.CARD_FIELDS)
    # other valid choices: larger tiles, more overlap, a list for the percentiles
    ch11.q1.assert_check_passed({"normalization": [1, 99.8], "tile_shape": 384, "overlap": 64})
    result = ch11.q1.assert_check_passed(ch11.CARD_FIELDS)
    assert "keeps its centre, 39%" in result.message  # (256 - 96)^2 / 256^2 by hand = 0.39


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"normalization": (0, 100), "tile_shape": 256, "overlap": 48}, "prepared as in training"),
        ({"normalization": (1, 99.8), "tile_shape": 250, "overlap": 48}, "multiple of 2 ** 3 = 8"),
        ({"normalization": (1, 99.8), "tile_shape": 256, "overlap": 16}, "seams"),
        ({"normalization": (1, 99.8), "tile_shape": 104, "overlap": 48}, "Take larger tiles"),
        ({"normalization": (1, 99.8), "tile_shape": 4096, "overlap": 48}, "memory"),
        ({"normalization": (1, 99.8), "tile_shape": 256.0, "overlap": 48}, "two ints"),
        ({"normalization": 99.8, "tile_shape": 256, "overlap": 48}, "two numbers (low, high)"),
        ({"normalization": (1, 99.8), "tile_shape": 256}, "missing ['overlap']"),
        ({"normalization": (1, 99.8), "tile": 256, "overlap": 48}, "not asked for: ['tile']"),
    ],
)
def test_q1_typical_mistakes(fields, words):
    assert words in failed(ch11.q1, fields)


def test_q1_not_attempted_and_odd_objects():
    ch11.q1.assert_check_unattempted(...)
    assert "expected a dict" in failed(ch11.q1, [1, 99.8, 256, 48])
    assert_odd_objects_get_feedback(ch11.q1)


def test_q1_course_fields_make_a_valid_card():
    card = cc.packaging.model_card("m", "nuclei", "bbbc039_nuclei", **ch11.CARD_FIELDS)
    assert card.tile_shape == (256, 256) and card.overlap == 48


# --- Exercise 11.2: load safely, or None --------------------------------------------------------------


def test_q2_solutions_pass():
    ch11.q2.assert_check_passed(run_solution(ch11.q2)["load_or_none"])
    ch11.q2.assert_check_passed(ch11.load_or_none)


def test_q2_typical_mistakes():
    import keras

    def trusting(path):  # loads everything: the Lambda's code runs
        return cc.packaging.load_model(path, trusted=True)

    def raising(path):  # forgets to catch the refusal
        return cc.packaging.load_model(path)

    def always_none(path):
        return None

    def plain_keras(path):  # Keras' own loader, safe mode on: raises ValueError, not caught
        return keras.saving.load_model(path)

    message = failed(ch11.q2, trusting)
    assert "code ran" in message and "trusted=True" in message
    assert "UnsafeModelError" in failed(ch11.q2, raising)
    assert "expected the Keras model" in failed(ch11.q2, always_none)
    assert "Catch the refusal" in failed(ch11.q2, plain_keras)
    assert "should be a function" in failed(ch11.q2, "model.keras")
    ch11.q2.assert_check_unattempted(...)
    ch11.q2.assert_check_unattempted(lambda path: ...)
    assert_odd_objects_get_feedback(ch11.q2)


# --- Exercise 11.3: outputs within a tolerance --------------------------------------------------------


def test_q3_course_version_by_hand():
    assert ch11.outputs_agree(np.zeros(3), np.full(3, 1e-4)) is True  # equal to atol
    assert ch11.outputs_agree(np.zeros(3), np.array([0, 0, 2e-4])) is False
    assert ch11.outputs_agree(np.zeros(3), np.array([0, np.nan, 0])) is False
    assert ch11.outputs_agree(np.zeros(3), np.zeros((1, 3))) is False
    assert ch11.outputs_agree([1000.0], [1000.05], atol=0.1) is True


def test_q3_solutions_pass():
    ch11.q3.assert_check_passed(run_solution(ch11.q3)["outputs_agree"])
    ch11.q3.assert_check_passed(ch11.outputs_agree)
    ch11.q3.assert_check_passed(
        lambda a, b, atol: a.shape == b.shape and not np.any(~(np.abs(a - b) <= atol))
    )


def test_q3_typical_mistakes():
    assert "relative tolerance" in failed(
        ch11.q3, lambda a, b, atol: np.allclose(a, b, atol=atol) if a.shape == b.shape else False
    )
    assert "broadcasting" in failed(ch11.q3, lambda a, b, atol: bool(np.all(np.abs(a - b) <= atol)))
    assert "the mean" in failed(
        ch11.q3, lambda a, b, atol: a.shape == b.shape and np.mean(np.abs(a - b)) <= atol
    )
    assert "NaN" in failed(
        ch11.q3, lambda a, b, atol: a.shape == b.shape and not np.max(np.abs(a - b)) > atol
    )
    assert "exactly equal to atol" in failed(
        ch11.q3, lambda a, b, atol: a.shape == b.shape and bool(np.all(np.abs(a - b) < atol))
    )
    assert "forget the `return`" in failed(ch11.q3, lambda a, b, atol: None)
    ch11.q3.assert_check_unattempted(...)
    ch11.q3.assert_check_unattempted(lambda a, b, atol: ...)
    assert_odd_objects_get_feedback(ch11.q3)


# --- Exercise 11.4: reproducibility (thought) ---------------------------------------------------------


def test_q4_is_a_thought_exercise_with_hints_and_an_answer():
    result = ch11.q4.assert_check_passed()
    assert result.outcome is Outcome.VIEWED
    assert len(ch11.q4.hints) >= 2
    assert "doctor" in ch11.q4.solution_code and "seed" in ch11.q4.solution_code
