"""Helpers shared by the tests of the chapters' exercises (tests/test_exercises_chNN.py)."""

from __future__ import annotations

import numpy as np

import cellcourse as cc
from cellcourse.exercises import Outcome

# answers a learner might pass by mistake: each must get a "Not yet" with a reason, never a crash
ODD_OBJECTS = (None, "model", {"a": 1}, 3)


def run_solution(exercise, **namespace):
    """Execute an exercise's solution code; return the names it defines."""
    namespace = {"np": np, "cc": cc, **namespace}
    exec(exercise.solution_code, namespace)
    return namespace


def failed(exercise, *answers):
    """The "Not yet" message for these answers, checked to be whole (not cut at 300 characters)."""
    message = exercise.assert_check_failed(*answers).message
    assert not message.endswith("…"), message
    return message


def assert_odd_objects_get_feedback(exercise, *other_answers):
    """Each odd object as the first answer gets "Not yet" and a reason."""
    for odd in ODD_OBJECTS:
        result = exercise._evaluate((odd, *other_answers))
        assert result.outcome is Outcome.INCORRECT, (odd, result.message)
        assert len(result.message) > len("Not yet: ")
