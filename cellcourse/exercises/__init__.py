"""Exercises of the course: ``check``, ``hint`` and ``solution`` for each one.

One module per chapter (``ch00``, ``ch01``, ...) holds the chapter's exercises::

    from cellcourse.exercises import ch00 as ex

    ex.q1.check(n_nuclei)   # correct, not yet (with what to look at), or not attempted
    ex.q1.hint()            # the next hint each call
    ex.q1.solution()        # the solution code

The checker framework itself is in :mod:`cellcourse.exercises._core`.
"""

from __future__ import annotations

from ._core import (
    CheckFailed,
    CheckResult,
    CodingExercise,
    EqualityExercise,
    Exercise,
    FunctionExercise,
    Incorrect,
    Outcome,
    ThoughtExercise,
    describe,
    expect_equal,
    registered,
)

__all__ = [
    "Exercise",
    "EqualityExercise",
    "FunctionExercise",
    "CodingExercise",
    "ThoughtExercise",
    "Incorrect",
    "CheckFailed",
    "Outcome",
    "CheckResult",
    "registered",
    "describe",
    "expect_equal",
]
