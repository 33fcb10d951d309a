"""Tests of the checker framework (cellcourse.exercises._core).

The demo exercises below stand in for chapter modules. The property tests at the
end run on every exercise of ``cellcourse.exercises.registered()`` too, so they
cover each chapter module as soon as it exists.
"""

import json
import math
import sys
import textwrap
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cellcourse.exercises as exercises
from cellcourse.exercises import (
    CheckFailed,
    CheckResult,
    CodingExercise,
    EqualityExercise,
    Exercise,
    FunctionExercise,
    Incorrect,
    Outcome,
    ThoughtExercise,
    _core,
    describe,
    expect_equal,
    registered,
)

PREFIX = {
    Outcome.CORRECT: "Correct!",
    Outcome.INCORRECT: "Not yet:",
    Outcome.NOT_ATTEMPTED: "Not attempted yet:",
    Outcome.VIEWED: "Thought exercise:",
}

# --------------------------------------------------------------------------- demo exercises

# 3 nuclei (labels 1, 2, 3) on background 0
LABELS = np.array(
    [
        [0, 1, 1, 0, 0],
        [0, 1, 0, 0, 2],
        [3, 0, 0, 2, 2],
        [3, 3, 0, 0, 0],
    ],
    dtype=np.int32,
)
IMAGE = np.array([[10, 20, 30], [50, 90, 130]], dtype=np.uint8)
NORMALISED = (IMAGE - 10.0) / 120.0  # 0, 1/12, 1/6, 1/3, 2/3, 1
SIGNAL = np.array([2.0, 4.0, 6.0, 10.0])


def _n_nuclei():
    # the "context" a chapter module provides: computed from the chapter's data at check time
    return int(np.unique(LABELS[LABELS > 0]).size)


count = EqualityExercise(
    chapter="demo",
    name="q1",
    title="Count the nuclei in `labels`.",
    var="n_nuclei",
    expected=_n_nuclei,
    hints=["Each nucleus has its own label.", "Count the distinct labels above 0."],
    solution_code="n_nuclei = len(np.unique(labels[labels > 0]))",
    register=False,
)

normalised = EqualityExercise(
    chapter="demo",
    name="q2",
    title="Scale `image` to 0-1.",
    var="image_norm",
    expected=NORMALISED,
    hints=["Subtract the minimum first."],
    solution_code="image_norm = (image - image.min()) / (image.max() - image.min())",
    register=False,
)

split = EqualityExercise(
    chapter="demo",
    name="q3",
    title="Split 20 images 80/20.",
    var=("n_train", "n_val"),
    expected=(16, 4),
    hints=["80 % of 20 is 16."],
    solution_code="n_train, n_val = 16, 4",
    register=False,
)

normalise = FunctionExercise(
    chapter="demo",
    name="q4",
    title="Write `normalise(image)`.",
    var="normalise",
    test_cases=[
        ((IMAGE,), {}, NORMALISED),
        ((SIGNAL,), None, np.array([0.0, 0.25, 0.5, 1.0]), "a 1D float signal"),
    ],
    hints=["Use image.min() and image.max()."],
    solution_code=(
        "def normalise(image):\n    image = image.astype(float)\n"
        "    return (image - image.min()) / (image.max() - image.min())"
    ),
    register=False,
)

count_objects = FunctionExercise(
    chapter="demo",
    name="q5",
    title="Write `count_objects(labels)`.",
    var="count_objects",
    reference=lambda labels: int(np.unique(labels[labels > 0]).size),
    test_inputs=[
        ((LABELS,), {}),
        ((np.array([[0, 5], [9, 9]]),), {}),
        ((np.array([[1, 1], [2, 2]]),), {}, "labels without background"),
    ],
    hints=["Labels need not be consecutive."],
    solution_code="def count_objects(labels):\n    return len(np.unique(labels[labels > 0]))",
    register=False,
)


def _check_filters(filters):
    if not isinstance(filters, list | tuple):
        raise Incorrect(f"`filters` is {describe(filters)}; expected a list of numbers.")
    if len(filters) != 4:
        raise Incorrect(f"`filters` has {len(filters)} entries; the task asks for 4 blocks.")
    if filters[0] != 16:
        raise Incorrect(
            f"`filters` starts with {describe(filters[0])}; the task says to start at 16."
        )
    if any(b != 2 * a for a, b in zip(filters, filters[1:], strict=False)):
        raise Incorrect("each block should have twice the filters of the block before.")


filters = CodingExercise(
    chapter="demo",
    name="q6",
    var="filters",
    checker=_check_filters,
    hints=["Double each time."],
    solution_code="filters = [16, 32, 64, 128]",
    register=False,
)


class _KernelExercise(CodingExercise):
    chapter = "demo"
    name = "q7"
    title = "Write `make_kernel()` returning a 3 x 3 mean filter."
    var = "make_kernel"
    probe = ()  # a stub `def make_kernel(): return ...` is "not attempted"
    hints = ["np.ones", "divide by the number of pixels"]
    solution_code = "def make_kernel():\n    return np.ones((3, 3)) / 9"

    def _check(self, make_kernel):
        if not callable(make_kernel):
            raise Incorrect(f"`make_kernel` should be a function; it is {describe(make_kernel)}.")
        kernel = np.asarray(make_kernel(), dtype=float)
        if kernel.shape != (3, 3):
            raise Incorrect(f"make_kernel() returned {describe(kernel)}; the task asks for 3 x 3.")
        if not np.isclose(kernel.sum(), 1):
            raise Incorrect(
                f"the kernel's values add up to {kernel.sum():.3g}; a mean filter's add up to 1."
            )
        return "A mean filter blurs."


kernel = _KernelExercise(register=False)

thought = ThoughtExercise(
    chapter="demo",
    name="q8",
    title="Why normalise before training?",
    solution_code="Inputs on one scale make training stable.",
    register=False,
)

DEMO = [count, normalised, split, normalise, count_objects, filters, kernel, thought]


def _copying_normalise(image):
    image = image.astype(float)
    return (image - image.min()) / (image.max() - image.min())


def _in_place_normalise(image):
    image -= image.min()  # changes the caller's array: the checker must pass copies
    return image / image.max()


def _raises(*args):
    raise ValueError("operands could not be broadcast together")


PASSING = [
    (count, (3,)),
    (count, (np.int64(3),)),
    (count, (3.0000001,)),
    (count, (np.array(3),)),
    (normalised, (NORMALISED,)),
    (normalised, (NORMALISED.astype(np.float32),)),
    (normalised, (NORMALISED.tolist(),)),
    (split, (16, 4)),
    (normalise, (_copying_normalise,)),
    (normalise, (lambda image: (image - image.min()) / (image.max() - image.min()),)),
    (count_objects, (lambda labels: len(np.unique(labels[labels > 0])),)),
    (filters, ([16, 32, 64, 128],)),
    (filters, ((16, 32, 64, 128),)),
    (kernel, (lambda: np.full((3, 3), 1 / 9),)),
]

# (exercise, answers, words the message must contain, values it must not give away)
MISTAKES = [
    (count, (4,), ["`n_nuclei` is 4", "larger than expected"], ["3"]),
    (count, (2,), ["smaller than expected"], ["3"]),
    (count, ("3",), ["str", "remove the quotes"], []),
    (count, (np.array([3, 3]),), ["shape (2,)", "single number"], []),
    (count, ([3],), ["list of 1 item", "[0]"], []),
    (count, (float("nan"),), ["nan"], ["3"]),
    (count, (None,), ["None"], ["3"]),
    (count, (True,), ["bool"], []),
    (normalised, (IMAGE / 130,), ["the expected shape (2, 3)", "5 of 6 values differ"], ["0.083", "0.33", "0.66"]),
    (normalised, (NORMALISED.ravel(),), ["shape (6,)", "expected shape is (2, 3)"], ["0.083"]),
    (normalised, (NORMALISED.T,), ["shape (3, 2)", "order of the axes"], ["0.083"]),
    (normalised, (NORMALISED[None],), ["shape (1, 2, 3)", "np.squeeze"], ["0.083"]),
    (normalised, ([[0, 1], [2]],), ["cannot turn into an array"], []),
    (normalised, ("image",), ["str", "array of shape (2, 3)"], []),
    (normalised, (np.array([[None] * 3] * 2),), ["dtype object"], []),
    (split, (4, 16), ["`n_train` is 4", "smaller"], ["16"]),
    (split, (16, 5), ["`n_val` is 5", "larger"], []),
    (normalise, (lambda image: image / image.max(),), ["when called with an ndarray of shape (2, 3) and dtype uint8", "test 1 of 2", "differ"], ["0.083", "0.33"]),
    (normalise, (lambda image: image.ravel() / 255,), ["shape (6,)", "test 1 of 2"], []),
    (normalise, (lambda image: None,), ["returned None", "`return`"], []),
    (normalise, (_raises,), ["raised ValueError: operands could not be broadcast"], []),
    (normalise, (NORMALISED,), ["should be a function", "ndarray of shape (2, 3)", "without calling it"], []),
    (count_objects, (lambda labels: labels.max(),), ["test 2 of 3"], []),
    (count_objects, (lambda labels: len(np.unique(labels)) - 1,), ["labels without background", "test 3 of 3", "smaller"], []),
    (filters, ([16, 32, 64],), ["3 entries", "4 blocks"], ["128"]),
    (filters, ([16, 32, 48, 64],), ["twice"], ["128"]),
    (filters, ("16, 32",), ["str"], []),
    (kernel, (lambda: np.ones((3, 3)),), ["add up to 9"], []),
    (kernel, (lambda: np.ones((5, 5)) / 25,), ["shape (5, 5)", "3 x 3"], []),
    (kernel, (np.ones((3, 3)) / 9,), ["should be a function"], []),
]  # fmt: skip


# --------------------------------------------------------------------------- both directions


@pytest.mark.parametrize(("exercise", "answers"), PASSING, ids=lambda v: getattr(v, "id", ""))
def test_right_answers_pass(exercise, answers):
    result = exercise.check(*answers)
    assert result.outcome is Outcome.CORRECT
    assert result.message.startswith("Correct!")
    assert result.exercise == exercise.id
    assert exercise.assert_check_passed(*answers).passed


def test_correct_message_from_checker_is_shown():
    assert kernel.check(lambda: np.ones((3, 3)) / 9).message == "Correct! A mean filter blurs."


@pytest.mark.parametrize(
    ("exercise", "answers", "words", "secrets"), MISTAKES, ids=lambda v: getattr(v, "id", "")
)
def test_typical_mistakes_get_kind_feedback(exercise, answers, words, secrets):
    result = exercise.check(*answers)
    assert result.outcome is Outcome.INCORRECT
    assert result.message.startswith("Not yet: ")
    for word in words:
        assert word in result.message
    for secret in secrets:
        assert secret not in result.message, "the message gives the answer away"
    assert exercise.assert_check_failed(*answers) == result


@pytest.mark.parametrize("exercise", DEMO[:-1], ids=lambda e: e.id)
def test_ellipsis_is_not_attempted(exercise):
    answers = (...,) * exercise.n_answers
    result = exercise.check(*answers)
    assert result.outcome is Outcome.NOT_ATTEMPTED
    assert result.message.startswith("Not attempted yet: ")
    assert "`...`" in result.message


def test_one_ellipsis_among_several_answers_is_not_attempted():
    result = split.check(16, ...)
    assert result.outcome is Outcome.NOT_ATTEMPTED
    assert "`n_val` is still `...`" in result.message


@pytest.mark.parametrize("exercise", [normalise, count_objects, kernel], ids=lambda e: e.id)
def test_function_returning_ellipsis_is_not_attempted(exercise):
    def stub(*args, **kwargs):
        return ...

    result = exercise.check(stub)
    assert result.outcome is Outcome.NOT_ATTEMPTED
    assert "still returns `...`" in result.message
    exercise.assert_check_unattempted(stub)


def test_function_without_probe_is_not_called_to_look_for_ellipsis():
    calls = []

    def spy():
        calls.append(1)
        return ...

    assert count.check(spy).outcome is Outcome.INCORRECT  # count has no probe
    assert calls == []


def test_thought_exercise_is_viewed_and_points_to_the_solution():
    result = thought.check()
    assert result.outcome is Outcome.VIEWED
    assert result.passed
    assert "ex.q8.solution()" in result.message
    assert thought.check("my answer").outcome is Outcome.VIEWED
    assert thought.check(answer="my answer").outcome is Outcome.VIEWED


def test_learner_function_gets_copies_of_the_test_inputs():
    before = IMAGE.copy()
    normalise.check(_in_place_normalise)
    np.testing.assert_array_equal(IMAGE, before)


def test_keyboard_interrupt_in_learner_code_is_not_swallowed():
    def interrupted(image):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        normalise.check(interrupted)


def test_wrong_number_of_answers_explains_the_call():
    result = split.check(16)
    assert result.outcome is Outcome.INCORRECT
    assert "ex.q3.check(n_train, n_val)" in result.message
    assert "you passed 1" in result.message
    assert "ex.q1.check(n_nuclei)" in count.check().message
    named = count.check(n_nuclei=3)
    assert named.outcome is Outcome.INCORRECT
    assert "without a name" in named.message


def test_coding_exercise_takes_as_many_answers_as_its_checker():
    assert filters.n_answers == 1
    assert kernel.n_answers == 1
    assert "you passed 2" in filters.check([16], [32]).message


def test_unexpected_exception_in_check_describes_the_answer():
    class Boom:
        def __len__(self):
            raise RuntimeError("no length here")

    result = filters.check(Boom())
    assert result.outcome is Outcome.INCORRECT
    assert "`filters` is a Boom object" in result.message  # from the checker's own message
    result = kernel.check(lambda: Boom())  # np.asarray(Boom()) raises inside _check
    assert result.outcome is Outcome.INCORRECT
    assert "raised" in result.message
    assert "`make_kernel` is the function `<lambda>`" in result.message
    assert isinstance(result.error, Exception)


def test_failure_of_the_checker_itself_is_reported_as_a_course_problem(monkeypatch):
    def broken():
        raise FileNotFoundError("labels.tif")

    exercise = EqualityExercise(
        chapter="demo", name="q9", var="x", expected=broken, solution_code="x = 1", register=False
    )
    result = exercise.check(1)
    assert result.outcome is Outcome.INCORRECT
    assert "problem in the course" in result.message
    monkeypatch.setenv("CELLCOURSE_STRICT", "1")
    with pytest.raises(CheckFailed) as info:
        exercise.check(1)
    assert isinstance(info.value.__cause__, FileNotFoundError)


# --------------------------------------------------------------------------- strict mode


@pytest.mark.parametrize(
    ("exercise", "answers"),
    [(count, (4,)), (count, (...,)), (normalise, (lambda image: ...,)), (split, (1,))],
    ids=["incorrect", "ellipsis", "stub-function", "wrong-arity"],
)
def test_strict_mode_raises_when_the_check_does_not_pass(monkeypatch, exercise, answers):
    monkeypatch.setenv("CELLCOURSE_STRICT", "1")
    with pytest.raises(CheckFailed, match=exercise.id) as info:
        exercise.check(*answers)
    assert isinstance(info.value, AssertionError)


def test_strict_mode_does_not_raise_for_correct_or_viewed(monkeypatch):
    monkeypatch.setenv("CELLCOURSE_STRICT", "1")
    assert count.check(3).outcome is Outcome.CORRECT
    assert thought.check().outcome is Outcome.VIEWED


def test_strict_mode_keeps_the_learner_exception_as_cause(monkeypatch):
    monkeypatch.setenv("CELLCOURSE_STRICT", "1")
    with pytest.raises(CheckFailed) as info:
        kernel.check(lambda: 1 / 0)
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_assert_helpers_ignore_strict_mode_and_report_the_outcome(monkeypatch):
    monkeypatch.setenv("CELLCOURSE_STRICT", "1")
    assert count.assert_check_failed(4).outcome is Outcome.INCORRECT
    with pytest.raises(CheckFailed, match="expected the check to pass"):
        count.assert_check_passed(4)
    with pytest.raises(CheckFailed, match="expected the check to fail"):
        count.assert_check_failed(3)
    with pytest.raises(CheckFailed, match="expected 'not attempted'"):
        count.assert_check_unattempted(4)


# --------------------------------------------------------------------------- display and progress


def test_check_shows_the_outcome_once_and_returns_it(capsys):
    result = count.check(4)
    out = capsys.readouterr().out
    assert out.count(result.message) == 1
    assert str(result) == result.message


def test_result_echoes_as_nothing_in_ipython(capsys):
    formatters = pytest.importorskip("IPython.core.formatters")
    result = count.check(4)
    capsys.readouterr()
    # what Jupyter does with the value of a cell's last line: nothing to show, nothing shown
    data, metadata = formatters.DisplayFormatter().format(result)
    assert data == {} and metadata == {}
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("answer", "outcome", "colour"),
    [(3, Outcome.CORRECT, "#137333"), (4, Outcome.INCORRECT, "#c45500"), (..., Outcome.NOT_ATTEMPTED, "#4f6073")],
)  # fmt: skip
def test_jupyter_gets_one_coloured_box(monkeypatch, capsys, answer, outcome, colour):
    shown = []
    monkeypatch.setattr(_core, "_display_function", lambda: lambda obj, raw: shown.append(obj))
    result = count.check(answer)
    assert result.outcome is outcome
    assert len(shown) == 1
    assert shown[0]["text/plain"] == result.message
    assert colour in shown[0]["text/html"]
    assert capsys.readouterr().out == ""


def test_html_box_escapes_the_learner_text():
    result = filters.check("<script>alert(1)</script>")
    box = result.to_html()
    assert "<script>" not in box
    assert "&lt;script&gt;" in box
    assert "<code>filters</code>" in box


def test_check_records_progress_but_assert_helpers_do_not(tmp_path):
    progress_file = tmp_path / "progress.json"  # set by tests/conftest.py
    count.assert_check_failed(4)
    assert not progress_file.exists()
    count.check(4)
    count.check(3)
    records = json.loads(progress_file.read_text())["records"]
    assert [(r["exercise"], r["outcome"]) for r in records] == [
        ("demo.q1", "incorrect"),
        ("demo.q1", "correct"),
    ]


def test_check_works_when_progress_cannot_be_written(monkeypatch, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("CELLCOURSE_PROGRESS", str(blocker / "progress.json"))
    assert count.check(3).outcome is Outcome.CORRECT


# --------------------------------------------------------------------------- hints and solutions


def test_hints_are_numbered_and_the_last_one_repeats(capsys):
    exercise = EqualityExercise(
        chapter="demo", name="h1", expected=1, hints=["first", "second"], solution_code="x = 1",
        register=False,
    )  # fmt: skip
    for _ in range(3):
        exercise.hint()
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["Hint 1/2: first", "Hint 2/2: second", "Hint 2/2: second"]


def test_no_hint_points_to_the_solution(capsys):
    exercise = EqualityExercise(
        chapter="demo", name="h2", expected=1, solution_code="x = 1", register=False
    )
    exercise.hint()
    assert "ex.h2.solution()" in capsys.readouterr().out


def test_solution_shows_the_code(capsys, monkeypatch):
    normalise.solution()
    out = capsys.readouterr().out
    assert out.startswith("Solution:")
    assert "return (image - image.min())" in out
    shown = []
    monkeypatch.setattr(_core, "_display_function", lambda: lambda obj, raw: shown.append(obj))
    normalise.solution()
    assert "<pre" in shown[0]["text/html"]
    assert "image.min()" in shown[0]["text/html"]


# --------------------------------------------------------------------------- definitions and registry


@pytest.mark.parametrize(
    ("cls", "attributes", "error"),
    [
        (EqualityExercise, {"chapter": "0 0", "name": "q1", "expected": 1}, ValueError),
        (EqualityExercise, {"chapter": "00", "name": "", "expected": 1}, ValueError),
        (EqualityExercise, {"chapter": "00", "name": "q1"}, TypeError),
        (EqualityExercise, {"chapter": "00", "name": "q1", "expected": 1, "hint": "x"}, TypeError),
        (EqualityExercise, {"chapter": "00", "name": "q1", "expected": 1, "hints": "one"}, TypeError),
        (EqualityExercise, {"chapter": "00", "name": "q1", "expected": 1, "rtol": -1}, ValueError),
        (FunctionExercise, {"chapter": "00", "name": "q1"}, TypeError),
        (FunctionExercise, {"chapter": "00", "name": "q1", "test_cases": [], "reference": abs}, TypeError),
        (CodingExercise, {"chapter": "00", "name": "q1"}, TypeError),
        (Exercise, {"chapter": "00", "name": "q1"}, TypeError),
    ],
)  # fmt: skip
def test_bad_definitions_are_refused(cls, attributes, error):
    with pytest.raises(error):
        cls(solution_code="x = 1", register=False, **attributes)


def test_a_solution_is_required():
    with pytest.raises(ValueError, match="solution_code"):
        EqualityExercise(chapter="00", name="q1", expected=1, register=False)


def test_exercises_register_themselves(monkeypatch):
    monkeypatch.setattr(_core, "_REGISTRY", {})
    q10 = EqualityExercise(chapter="97", name="q10", expected=1, solution_code="x = 1")
    q2 = EqualityExercise(chapter="97", name="q2", expected=1, solution_code="x = 1")
    EqualityExercise(chapter="97", name="q3", expected=1, solution_code="x = 1", register=False)
    assert registered("97") == [q2, q10]
    assert registered("96") == []
    assert repr(q2) == "<EqualityExercise 97.q2>"


def test_registered_imports_the_chapter_modules(monkeypatch, tmp_path):
    import importlib

    (tmp_path / "ch98.py").write_text(
        textwrap.dedent(
            """
            from cellcourse.exercises import EqualityExercise

            q1 = EqualityExercise(chapter="98", name="q1", var="x", expected=1,
                                  solution_code="x = 1")
            """
        )
    )
    (tmp_path / "helpers.py").write_text("raise RuntimeError('not a chapter module')\n")
    monkeypatch.setattr(exercises, "__path__", [*exercises.__path__, str(tmp_path)])
    monkeypatch.setattr(_core, "_REGISTRY", {})
    importlib.invalidate_caches()
    try:
        found = registered()
        assert [ex.id for ex in found] == ["98.q1"]
        assert found[0] is sys.modules["cellcourse.exercises.ch98"].q1
        assert found[0].check(1).outcome is Outcome.CORRECT
    finally:
        sys.modules.pop("cellcourse.exercises.ch98", None)


def test_check_result_is_frozen_and_validated():
    result = CheckResult(Outcome.CORRECT, "Correct!", "00.q1")
    with pytest.raises(AttributeError):
        result.message = "changed"
    with pytest.raises(TypeError):
        CheckResult("correct", "Correct!", "00.q1")
    with pytest.raises(TypeError):
        CheckResult(Outcome.CORRECT, "", "00.q1")


# --------------------------------------------------------------------------- describe and compare


@pytest.mark.parametrize(
    ("obj", "text"),
    [
        (3, "the int 3"),
        (True, "the bool True"),
        (0.5, "the float 0.5"),
        ("abc", "the str 'abc'"),
        (None, "None"),
        (..., "`...` (the placeholder)"),
        ([1, "a"], "a list of 2 items (int, str)"),
        ({"a": 1}, "a dict with 1 key ('a')"),
        (np.zeros((2, 3), np.uint8), "an ndarray of shape (2, 3) and dtype uint8 (all values 0)"),
        (np.array([0.0, np.nan, 2.0]), "an ndarray of shape (3,) and dtype float64 (values 0 to 2, 1 NaN)"),
        (10**5000, "the int <a number with about 5001 digits>"),
        (len, "the function `len`"),
        ((x for x in range(3)), "a generator (it makes its values one at a time; collect them with `list(...)`)"),
    ],
    ids=lambda value: None if isinstance(value, str) else type(value).__name__,
)  # fmt: skip
def test_describe(obj, text):
    assert describe(obj) == text


def test_expect_equal_compares_nested_values_without_giving_them_away():
    expect_equal({"n": 3, "sizes": [1.0, 2.0]}, {"n": 3, "sizes": (1.0, 2.0 + 1e-9)}, "stats")
    with pytest.raises(Incorrect, match=r"`stats\['sizes'\]\[1\]` is 2.5, which is larger") as info:
        expect_equal({"n": 3, "sizes": [1.0, 2.5]}, {"n": 3, "sizes": [1.0, 2.0]}, "stats")
    assert "2.0" not in info.value.message
    with pytest.raises(Incorrect, match="has no key 'sizes'"):
        expect_equal({"n": 3}, {"n": 3, "sizes": [1.0]}, "stats")
    with pytest.raises(Incorrect, match="almost right"):
        expect_equal("Nucleus ", "nucleus", "label")
    with pytest.raises(Incorrect, match="2 distinct items; expected 3"):
        expect_equal([1, 1, 2], {1, 2, 3}, "ids")
    with pytest.raises(Incorrect, match="dtype float64; the task asks for dtype uint8"):
        expect_equal(np.zeros(2), np.zeros(2, np.uint8), "mask", check_dtype=True)


# --------------------------------------------------------------------------- any object gets feedback


class _Raises:
    """Every special method raises."""

    def _fail(self, *args, **kwargs):
        raise RuntimeError("hostile object")

    __eq__ = __ne__ = __lt__ = __gt__ = __bool__ = __len__ = __iter__ = _fail
    __array__ = __float__ = __int__ = __index__ = __getitem__ = __contains__ = _fail
    __repr__ = __str__ = __format__ = __call__ = __abs__ = _fail
    __hash__ = object.__hash__


class _RaisingGetattr:
    def __getattr__(self, name):
        raise RuntimeError(f"no attribute {name} for you")


class _RaisingClass:
    @property
    def __class__(self):
        raise RuntimeError("no class for you")


class _EvilInt(int):
    def __eq__(self, other):
        raise RuntimeError("no equality")

    __hash__ = int.__hash__

    def __float__(self):
        raise RuntimeError("no float")

    def __repr__(self):
        raise RuntimeError("no repr")


class _EvilList(list):
    def __len__(self):
        raise RuntimeError("no len")

    def __iter__(self):
        raise RuntimeError("no iter")


class _EvilArray(np.ndarray):
    def __array_ufunc__(self, *args, **kwargs):
        raise RuntimeError("no ufuncs")

    def __eq__(self, other):
        raise RuntimeError("no equality")


class _BadMessage(Exception):
    def __str__(self):
        raise RuntimeError("no message")


def _raise_bad_message(*args, **kwargs):
    raise _BadMessage


def _recursive_list():
    items = [1, 2]
    items.append(items)
    return items


def _recursive_dict():
    mapping = {"a": 1}
    mapping["self"] = mapping
    return mapping


def _object_array():
    array = np.empty(3, dtype=object)
    for index, item in enumerate([_Raises(), None, "x"]):
        array[index] = item  # one by one: a slice assignment would call _Raises.__array__
    return array


HOSTILE_FACTORIES = [
    _Raises,
    _RaisingGetattr,
    _RaisingClass,
    lambda: _EvilInt(3),
    lambda: _EvilList([16, 32, 64, 128]),
    lambda: np.zeros((2, 3)).view(_EvilArray),
    lambda: 10**5000,
    lambda: -(10**5000),
    lambda: Fraction(10**400, 3),
    lambda: Decimal("NaN"),
    lambda: float("inf"),
    lambda: complex(1, 2),
    lambda: (x for x in range(3)),
    _recursive_list,
    _recursive_dict,
    _object_array,
    lambda: np.array(["a", "b"]),
    lambda: np.zeros((0, 3)),
    lambda: np.datetime64("2024-01-01"),
    lambda: range(10**18),
    lambda: memoryview(b"abc"),
    lambda: np,
    lambda: int,
    lambda: _raise_bad_message,
    lambda: lambda *args, **kwargs: _Raises(),
    lambda: lambda *args, **kwargs: 1 / 0,
    lambda: lambda *args, **kwargs: (x for x in args),
    lambda: lambda *args, **kwargs: ...,
]


def exercises_under_test():
    """Every exercise of every chapter module (via ``registered()``) plus the demo ones."""
    found = {exercise.id: exercise for exercise in registered()}
    for exercise in DEMO:
        found.setdefault(exercise.id, exercise)
    return list(found.values())


def assert_feedback_without_exception(exercise, answers):
    """check() returns a CheckResult with a non-empty message of the right kind; never raises."""
    result = exercise.check(*answers)
    assert isinstance(result, CheckResult)
    assert result.exercise == exercise.id
    assert result.message.startswith(PREFIX[result.outcome])
    assert result.message[len(PREFIX[result.outcome]) :].strip() or result.passed
    return result


def _answers_strategy(exercise, answer):
    n = exercise.n_answers
    return st.lists(answer, min_size=n if n is not None else 0, max_size=n if n is not None else 3)


_numbers = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**320),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(),
    st.fractions(),
    st.decimals(),
)
_arrays = hnp.arrays(
    dtype=st.one_of(
        hnp.scalar_dtypes(), hnp.unicode_string_dtypes(max_len=3), hnp.byte_string_dtypes(max_len=3)
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
_leaves = st.one_of(
    _numbers,
    st.text(max_size=10),
    st.binary(max_size=10),
    _arrays,
    st.one_of([st.builds(make) for make in HOSTILE_FACTORIES]),
)
ANY_ANSWER = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.text(max_size=4), children, max_size=3),
        st.frozensets(st.integers(), max_size=3),
    ),
    max_leaves=6,
)


@pytest.mark.parametrize("exercise", exercises_under_test(), ids=lambda e: e.id)
@hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_any_object_gets_feedback(exercise, data):
    answers = data.draw(_answers_strategy(exercise, ANY_ANSWER), label="answers")
    assert_feedback_without_exception(exercise, answers)


@pytest.mark.parametrize("exercise", exercises_under_test(), ids=lambda e: e.id)
def test_hostile_objects_get_feedback(exercise):
    n = exercise.n_answers if exercise.n_answers is not None else 1
    for make in HOSTILE_FACTORIES:
        assert_feedback_without_exception(exercise, [make() for _ in range(n)])


def test_hostile_objects_are_described_without_exception():
    for make in HOSTILE_FACTORIES:
        assert describe(make())
    assert describe(_RaisingClass()) == "a _RaisingClass object"
    assert math.isfinite(len(describe(10**5000)))


def test_function_exercise_diagnosis_replaces_the_general_message():
    def diagnose(function):
        if function(5) == 5 + 2:
            return "`double` adds 2 instead of multiplying by 2."
        if function(2) == 0:
            raise ZeroDivisionError("a diagnosis that fails says nothing")
        return ""

    q = FunctionExercise(
        chapter="demo",
        name="q9",
        title="Write `double(x)`.",
        var="double",
        test_cases=[((3,), {}, 6)],
        diagnose=diagnose,
        hints=["Multiply by 2."],
        solution_code="def double(x):\n    return 2 * x",
        register=False,
    )
    assert q.assert_check_failed(lambda x: x + 2).message == (
        "Not yet: `double` adds 2 instead of multiplying by 2."
    )
    general = q.assert_check_failed(lambda x: 0).message  # the diagnosis raised
    assert "returned 0" in general and "ZeroDivision" not in general
    assert "returned 9" in q.assert_check_failed(lambda x: x * x).message  # not recognised
    q.assert_check_passed(lambda x: 2 * x)
