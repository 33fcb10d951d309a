"""Chapter 10 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution

from cellcourse.exercises import Outcome, ch10
from cellcourse.metrics import pearson_r
from cellcourse.virtual_staining import fit_linear_baseline

# --- Exercise 10.1: Pearson r ------------------------------------------------------------------------


def test_q1_first_case_by_hand():
    (t, p), _, _ = ch10._pearson_inputs()[0]
    # centred: (-1.5, -0.5, 0.5, 1.5) and (-1.5, -0.5, 1.5, 0.5): 4 / sqrt(5 * 5)
    assert pearson_r(t, p) == pytest.approx(0.8)


def test_q1_solutions_pass():
    ch10.q1.assert_check_passed(run_solution(ch10.q1)["pearson"])
    ch10.q1.assert_check_passed(pearson_r)
    ch10.q1.assert_check_passed(lambda t, p: np.corrcoef(t.ravel(), p.ravel())[0, 1])


def test_q1_typical_mistakes():
    def cosine(t, p):
        return np.sum(t * p) / np.sqrt(np.sum(t * t) * np.sum(p * p))

    def mixed_ddof(t, p):
        return np.cov(t.ravel(), p.ravel())[0, 1] / (np.std(t) * np.std(p))

    assert "subtract the means" in failed(ch10.q1, cosine)
    assert "r squared" in failed(ch10.q1, lambda t, p: pearson_r(t, p) ** 2)
    assert "covariance" in failed(ch10.q1, lambda t, p: np.mean((t - t.mean()) * (p - p.mean())))
    assert "n - 1" in failed(ch10.q1, mixed_ddof)
    assert "[0, 1]" in failed(ch10.q1, lambda t, p: np.corrcoef(t.ravel(), p.ravel()))
    message = failed(ch10.q1, lambda t, p: np.mean(np.abs(t - p)))  # no diagnosis
    assert "two 2 × 2 images" in message
    assert "should be a function" in failed(ch10.q1, 0.8)
    ch10.q1.assert_check_unattempted(...)
    ch10.q1.assert_check_unattempted(lambda t, p: ...)
    assert_odd_objects_get_feedback(ch10.q1)


# --- Exercise 10.2: the linear baseline --------------------------------------------------------------


def test_q2_cases_have_the_known_answer():
    (inputs, target, train), _, _ = ch10._linear_inputs()[0]
    np.testing.assert_allclose(fit_linear_baseline(inputs, target, train), [2, -1, 0.5], atol=1e-9)
    (inputs, target, train), _, _ = ch10._linear_inputs()[2]
    assert target[~train].max() > 10  # the pixels outside the mask would spoil the fit


def test_q2_solutions_pass():
    ch10.q2.assert_check_passed(run_solution(ch10.q2)["fit_linear"])
    ch10.q2.assert_check_passed(fit_linear_baseline)

    def normal_equations(inputs, target, train_mask):  # another right way
        a = np.column_stack([inputs[train_mask], np.ones(train_mask.sum())])
        return np.linalg.solve(a.T @ a, a.T @ target[train_mask])

    ch10.q2.assert_check_passed(normal_equations)


def test_q2_typical_mistakes():
    def everywhere(inputs, target, train_mask):
        return fit_linear_baseline(inputs, target, np.ones_like(train_mask))

    def intercept_first(inputs, target, train_mask):
        return np.roll(fit_linear_baseline(inputs, target, train_mask), 1)

    def no_intercept(inputs, target, train_mask):
        return np.linalg.lstsq(inputs[train_mask], target[train_mask], rcond=None)[0]

    assert "test pixels included" in failed(ch10.q2, everywhere)
    assert "intercept first" in failed(ch10.q2, intercept_first)
    assert "no intercept" in failed(ch10.q2, no_intercept)
    assert "should be a function" in failed(ch10.q2, np.zeros(3))
    ch10.q2.assert_check_unattempted(...)
    ch10.q2.assert_check_unattempted(lambda inputs, target, train_mask: ...)
    assert_odd_objects_get_feedback(ch10.q2)


# --- Exercise 10.3: the regression U-Net -------------------------------------------------------------


def test_q3_solution_passes_and_mistakes_are_named():
    import cellcourse as cc

    namespace = run_solution(ch10.q3, z_planes=[2, 6, 10], base_filters=4)
    ch10.q3.assert_check_passed(namespace["model"])
    ch10.q3.assert_check_passed(
        cc.models.unet((None, None, 5), n_outputs=1, depth=1, base_filters=4, head="linear")
    )

    def unet(**kwargs):
        settings = dict(input_shape=(None, None, 3), n_outputs=1, depth=1, base_filters=4)
        return cc.models.unet(**(settings | kwargs))

    assert "linear head" in failed(ch10.q3, unet(head="sigmoid"))
    assert "sum to 1" in failed(ch10.q3, unet(n_outputs=2, head="softmax"))
    assert "several z-planes" in failed(ch10.q3, unet(input_shape=(None, None, 1), head="linear"))
    assert "n_outputs=1" in failed(ch10.q3, unet(n_outputs=3, head="linear"))
    assert "Keras model" in failed(ch10.q3, "unet")
    ch10.q3.assert_check_unattempted(...)
    assert_odd_objects_get_feedback(ch10.q3)


# --- Exercise 10.4: MAP2 ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def map2_truth(data_env):
    return ch10._truth_and_linear_r("MAP2")


def test_q4_a_good_prediction_passes_and_wrong_ones_are_named(map2_truth, data_env):
    from scipy.ndimage import gaussian_filter

    truth, linear_r = map2_truth
    assert truth.shape == (480, 480) and 0 < linear_r < 0.6
    good = gaussian_filter(truth, 2) + np.random.default_rng(0).normal(0, 0.02, truth.shape)
    result = ch10.q4.assert_check_passed(good.astype(np.float32))
    assert "linear baseline" in result.message
    dapi, _ = ch10._truth_and_linear_r("DAPI")
    assert "true DAPI" in failed(ch10.q4, dapi)
    assert "no better than" in failed(ch10.q4, np.full(truth.shape, 0.3))
    assert "drop the channel axis" in failed(ch10.q4, good[..., None])
    assert "whole field" in failed(ch10.q4, np.zeros((1024, 1024)))
    assert "expected the test quadrant" in failed(ch10.q4, good[:100])
    ch10.q4.assert_check_unattempted(...)
    assert_odd_objects_get_feedback(ch10.q4)


# --- Exercise 10.5 and all ---------------------------------------------------------------------------


def test_q5_is_a_thought_exercise():
    assert ch10.q5.assert_check_passed().outcome is Outcome.VIEWED
    assert "hallucinate" in ch10.q5.solution_code


def test_exercises_have_hints_and_solutions():
    for exercise in (ch10.q1, ch10.q2, ch10.q3, ch10.q4, ch10.q5):
        assert exercise.chapter == "10" and exercise.title and exercise.solution_code
        assert 2 <= len(exercise.hints) <= 3
