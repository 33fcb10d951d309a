"""Chapter 00 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cellcourse.exercises import Outcome, ch00
from cellcourse.preprocess import normalize_percentile, split_by_group

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mirror"
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")


@pytest.fixture(scope="module")
def bbbc039(data_env):
    from cellcourse.datasets import load_bbbc039

    ch00._first_labels.cache_clear()
    yield load_bbbc039(n_images=20, progress=False)
    ch00._first_labels.cache_clear()


def test_q1_bit_depth():
    ch00.q1.assert_check_passed(12)
    assert "container" in ch00.q1.assert_check_failed(16).message
    assert "255" in ch00.q1.assert_check_failed(8).message
    assert "int" in ch00.q1.assert_check_failed(12.0).message
    ch00.q1.assert_check_unattempted(...)


def test_q2_normalize_function():
    def solution(image, low=1.0, high=99.8):
        return normalize_percentile(image, low=low, high=high)

    def min_max(image, low=1.0, high=99.8):
        image = np.asarray(image, dtype=np.float64)
        return (image - image.min()) / (image.max() - image.min())

    def integer_maths(image, low=1.0, high=99.8):  # uint16 wraps around below 0
        p_low, p_high = np.percentile(image, (low, high))
        return (image - np.uint16(p_low)) / (p_high - p_low)

    ch00.q2.assert_check_passed(solution)
    message = ch00.q2.assert_check_failed(min_max).message
    assert "saturated pixel" in message  # the failing case is described, not its answer
    ch00.q2.assert_check_failed(integer_maths)
    ch00.q2.assert_check_failed(lambda image: image)  # ignores low/high
    ch00.q2.assert_check_unattempted(lambda image, low=1.0, high=99.8: ...)


def test_q5_patches():
    ch00.q5.assert_check_passed(20)
    assert "whole" in ch00.q5.assert_check_failed(22).message
    ch00.q5.assert_check_failed(30)
    ch00.q5.assert_check_unattempted(...)


def test_q6_channels_last():
    cyx = np.arange(3 * 4 * 5).reshape(3, 4, 5)
    ch00.q6.assert_check_passed(np.moveaxis(cyx, 0, -1), cyx)
    assert "scrambled" in ch00.q6.assert_check_failed(cyx.reshape(4, 5, 3), cyx).message
    assert "(4, 5, 3)" in ch00.q6.assert_check_failed(cyx.transpose(2, 1, 0), cyx).message
    ch00.q6.assert_check_unattempted(..., cyx)


def test_q7_split_by_well():
    wells = np.array(["A01", "A01", "A02", "A02", "B01", "B02", "B03", "B04", "C01", "C02"])
    train, test = split_by_group(wells, fractions=(0.8, 0.2), rng=0)
    ch00.q7.assert_check_passed(train, test, wells)
    # a random image split puts wells on both sides
    leaky = ch00.q7.assert_check_failed(np.array([0, 2, 4, 5, 6, 7, 8, 9]), np.array([1, 3]), wells)
    assert "well(s) have images in both splits" in leaky.message
    overlap = ch00.q7.assert_check_failed(np.arange(10), np.array([9]), wells)
    assert "both splits" in overlap.message
    missing = ch00.q7.assert_check_failed(np.array([0, 1, 2, 3]), np.array([8, 9]), wells)
    assert "every image should be used once" in missing.message
    ch00.q7.assert_check_unattempted(..., ..., wells)


@needs_mirror
def test_q3_q4_on_the_real_first_image(bbbc039):
    labels = bbbc039.labels[0]
    n = len(np.unique(labels)) - 1
    ch00.q3.assert_check_passed(n)
    ch00.q3.assert_check_failed(n + 1)  # counting the background
    ch00.q3.assert_check_failed(int(labels.max()) * 2)
    areas = np.bincount(labels.ravel())[1:]
    ch00.q4.assert_check_passed(float(areas.mean()))
    ch00.q4.assert_check_failed(float(np.bincount(labels.ravel()).mean()))  # background included
    ch00.q4.assert_check_unattempted(...)


def test_every_exercise_has_hints_and_solution():
    for exercise in (ch00.q1, ch00.q2, ch00.q3, ch00.q4, ch00.q5, ch00.q6, ch00.q7):
        assert exercise.hints and exercise.solution_code.strip()
        assert exercise.id.startswith("00.q")


def test_check_outcomes_are_recorded(tmp_path, monkeypatch):
    from cellcourse import progress

    monkeypatch.setenv("CELLCOURSE_PROGRESS", str(tmp_path / "p.json"))
    ch00.q5.check(19)
    ch00.q5.check(20)
    records = progress.load()
    assert [r["outcome"] for r in records][-2:] == [Outcome.INCORRECT.value, Outcome.CORRECT.value]
