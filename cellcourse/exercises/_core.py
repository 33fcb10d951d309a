"""The exercise checker framework: ``check``, ``hint`` and ``solution`` for every exercise.

Each chapter has one module, ``cellcourse.exercises.chNN``, holding one
:class:`Exercise` object per exercise. A notebook uses it like this::

    from cellcourse.exercises import ch00 as ex

    ex.q1.check(n_nuclei)   # one of three outcomes: correct, not yet, not attempted
    ex.q1.hint()            # the next hint each call ("Hint 1/2"), then the last one again
    ex.q1.solution()        # the solution code

Exercises are declarative, as in Kaggle's learntools: a chapter module states
what is expected and the base classes do the checking, the messages and the
display.

==========================  =====================================================
:class:`EqualityExercise`   the answer is a value (a count, an array, a tuple...)
:class:`FunctionExercise`   the answer is a function, run on test cases
:class:`CodingExercise`     any other check, written as a function or a method
:class:`ThoughtExercise`    a question to think about; nothing to check
==========================  =====================================================

How a check behaves
-------------------
* An answer that is still the stub's ``...`` (Ellipsis), or a function that
  still returns ``...``, is *not attempted*.
* A check never crashes on a learner's object: whatever it is given, and
  whatever that object raises, the learner gets a message that describes what
  was received (type, shape and dtype) and what is expected, without giving
  the answer away. Only ``KeyboardInterrupt`` and ``SystemExit`` get through.
* With ``CELLCOURSE_STRICT=1`` (:func:`cellcourse.config.is_strict`), an
  outcome that is not a pass raises :class:`CheckFailed`, so a solution
  notebook whose answers stop passing fails CI.
* Every check is recorded in the learner's progress file
  (:mod:`cellcourse.progress`).

How a result is shown (one approach, on purpose)
------------------------------------------------
``check()`` shows its outcome itself, at once: a coloured box in Jupyter
(green: correct, orange: not yet, grey: not attempted), plain text anywhere
else. This works wherever the call stands in a cell (not only on the last
line, and inside loops). It also returns the :class:`CheckResult`, for tests
and scripts. So that Jupyter does not show the outcome a second time when the
call is the last line of a cell, a ``CheckResult`` *echoes as nothing*: its
``_ipython_display_`` does nothing. Use ``result.show()`` to show it again, or
``print(result)`` for its message.
"""

from __future__ import annotations

import copy
import enum
import functools
import html
import importlib
import inspect
import math
import numbers
import pkgutil
import re
import sys
import types
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .. import config, progress

__all__ = [
    "Outcome",
    "CheckResult",
    "Incorrect",
    "CheckFailed",
    "Exercise",
    "EqualityExercise",
    "FunctionExercise",
    "CodingExercise",
    "ThoughtExercise",
    "registered",
    "describe",
    "expect_equal",
    "call_as_array",
    "known_mistake",
]

CORRECT_PREFIX = "Correct!"
INCORRECT_PREFIX = "Not yet:"
NOT_ATTEMPTED_PREFIX = "Not attempted yet:"
VIEWED_PREFIX = "Thought exercise:"


# --------------------------------------------------------------------------- outcomes


class Outcome(enum.Enum):
    """The outcome of a check.

    ``CORRECT``, ``INCORRECT`` ("not yet") and ``NOT_ATTEMPTED`` are the three
    outcomes of a checked exercise. ``VIEWED`` is the outcome of a
    :class:`ThoughtExercise`, which has nothing to check: the learner looked
    at the question and is pointed to the solution.
    """

    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not_attempted"
    VIEWED = "viewed"

    @property
    def passed(self) -> bool:
        """True for ``CORRECT`` and ``VIEWED``: outcomes that strict mode accepts."""
        return self in (Outcome.CORRECT, Outcome.VIEWED)


_PREFIX = {
    Outcome.CORRECT: CORRECT_PREFIX,
    Outcome.INCORRECT: INCORRECT_PREFIX,
    Outcome.NOT_ATTEMPTED: NOT_ATTEMPTED_PREFIX,
    Outcome.VIEWED: VIEWED_PREFIX,
}

# (background, accent) of the boxes shown in Jupyter
_COLOURS = {
    Outcome.CORRECT: ("#e6f4ea", "#137333"),  # green
    Outcome.INCORRECT: ("#fef0e0", "#c45500"),  # orange
    Outcome.NOT_ATTEMPTED: ("#eef1f5", "#4f6073"),  # grey-blue
    Outcome.VIEWED: ("#e8f0fe", "#1a56c4"),  # blue
    "hint": ("#e8f0fe", "#1a56c4"),
    "solution": ("#f6f8fa", "#57606a"),
}


class Incorrect(Exception):
    """Raised by a checker when an answer is not right yet.

    Its message says what was observed and what is expected, without giving
    the answer away; :meth:`Exercise.check` shows it after ``"Not yet: "``.

    Examples
    --------
    >>> def check_filters(filters):
    ...     if len(filters) != 4:
    ...         raise Incorrect(f"`filters` has {len(filters)} entries; the task asks for 4.")
    """

    @property
    def message(self) -> str:
        """The message, without the ``"Not yet:"`` prefix."""
        return _safe_text(self.args[0]) if self.args else ""


class CheckFailed(AssertionError):
    """A check did not pass where it had to.

    Raised by :meth:`Exercise.check` in strict mode (``CELLCOURSE_STRICT=1``)
    for an outcome that is not a pass, and by the ``assert_check_*`` helpers.
    """


class _NotAttempted(Exception):
    """Raised inside a checker when it finds the stub's ``...`` (e.g. a returned Ellipsis)."""


class _CourseError(Exception):
    """A failure of the checker itself (computing the expected value, building test cases)."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check, with the message shown to the learner.

    Attributes
    ----------
    outcome : Outcome
        Correct, incorrect ("not yet"), not attempted, or viewed.
    message : str
        What the learner sees; starts with ``"Correct!"``, ``"Not yet:"``,
        ``"Not attempted yet:"`` or ``"Thought exercise:"``.
    exercise : str
        The exercise id, e.g. ``"00.q1"``.
    error : BaseException or None
        The exception that made the check fail, if any (not compared, not shown).

    Notes
    -----
    :meth:`Exercise.check` shows the result itself. So that Jupyter does not
    show it twice, a ``CheckResult`` echoes as nothing in IPython; call
    :meth:`show` to show it again.
    """

    outcome: Outcome
    message: str
    exercise: str
    error: BaseException | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.outcome, Outcome):
            raise TypeError(f"outcome must be an Outcome; got {type(self.outcome).__name__}")
        if not isinstance(self.message, str) or not self.message:
            raise TypeError(f"message must be a non-empty str; got {self.message!r}")
        if not isinstance(self.exercise, str):
            raise TypeError(f"exercise must be a str id like '00.q1'; got {self.exercise!r}")

    @property
    def passed(self) -> bool:
        """True when the outcome is ``CORRECT`` (or ``VIEWED`` for a thought exercise)."""
        return self.outcome.passed

    def __str__(self) -> str:
        return self.message

    def to_html(self) -> str:
        """The coloured box shown in Jupyter, as an HTML string."""
        label, body = _split_prefix(self.message)
        return _box(label, _markup(body), _COLOURS[self.outcome], self.exercise)

    def show(self) -> None:
        """Show the result: a coloured box in Jupyter, plain text elsewhere."""
        _show(self.message, self.to_html())

    def _ipython_display_(self) -> None:
        # Deliberately empty: check() has already shown this result, and this
        # stops Jupyter from echoing it a second time (see the module docstring).
        return None


# --------------------------------------------------------------------------- display


def _split_prefix(message: str) -> tuple[str, str]:
    for prefix in _PREFIX.values():
        if message.startswith(prefix):
            return prefix, message[len(prefix) :].lstrip()
    return "", message


def _markup(text: str) -> str:
    """Escape text for HTML and show `backticked` parts as code."""
    escaped = html.escape(text)
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escaped)


def _box(label: str, body_html: str, colours: tuple[str, str], tag: str = "") -> str:
    background, accent = colours
    tag_html = (
        f'<span style="float:right;color:#777;font-size:85%">{html.escape(tag)}</span>'
        if tag
        else ""
    )
    return (
        f'<div class="cellcourse-check" style="border-left:6px solid {accent};'
        f"background:{background};padding:6px 10px;margin:4px 0;border-radius:3px;"
        f'color:#1f1f1f;line-height:1.45">{tag_html}'
        f'<strong style="color:{accent}">{html.escape(label)}</strong> '
        f'<span style="white-space:pre-wrap">{body_html}</span></div>'
    )


def _display_function():
    """IPython's ``display`` when running inside an IPython shell, else None."""
    ipython = sys.modules.get("IPython")  # only if IPython is already running or imported
    if ipython is None:
        return None
    try:
        shell = ipython.get_ipython()
    except Exception:
        return None
    if shell is None:
        return None
    from IPython.display import display

    return display


def _show(text: str, html_text: str) -> None:
    display = _display_function()
    if display is None:
        print(text)
    else:
        # one bundle: Jupyter renders the HTML, a terminal IPython prints the text
        display({"text/plain": text, "text/html": html_text}, raw=True)


# --------------------------------------------------------------------------- describing objects


def _safe_text(obj: Any, limit: int = 300) -> str:
    try:
        text = obj if isinstance(obj, str) else str(obj)
    except Exception:
        return ""
    return _shorten(text, limit)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _exception_text(exc: BaseException) -> str:
    name = type(exc).__name__
    text = _safe_text(exc)
    return f"{name}: {text}" if text else name


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" or word.startswith("nd") else "a"


def _int_text(value: int) -> str:
    try:
        return int.__repr__(value)
    except ValueError:  # more digits than Python converts to text (sys.set_int_max_str_digits)
        digits = int(int.bit_length(value) * math.log10(2)) + 1
        sign = "-" if value < 0 else ""
        return f"{sign}<a number with about {digits} digits>"


def _number_text(value: float) -> str:
    return float.__repr__(float(value))


def _array_range(array: np.ndarray) -> str:
    try:
        if array.size == 0 or array.dtype.kind not in "iuf":
            return ""
        with np.errstate(all="ignore"):
            finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
            n_nan = int(np.isnan(array).sum()) if array.dtype.kind == "f" else 0
            if finite.size == 0:
                return f" (all {array.size} values are NaN or infinite)"
            low, high = finite.min().item(), finite.max().item()
        text = f" (values {low:.4g} to {high:.4g}" if low != high else f" (all values {low:.4g}"
        if n_nan:
            text += f", {n_nan} NaN"
        return text + ")"
    except Exception:
        return ""


def _describe(obj: Any, limit: int) -> str:
    if obj is Ellipsis:
        return "`...` (the placeholder)"
    if obj is None:
        return "None"
    if isinstance(obj, bool | np.bool_):
        return f"the bool {bool(obj)}"
    if isinstance(obj, np.generic):
        return f"a NumPy scalar of dtype {obj.dtype}: {_shorten(repr(obj.item()), limit)}"
    if isinstance(obj, int):
        return f"the int {_int_text(obj)}"
    if isinstance(obj, float):
        return f"the float {_number_text(obj)}"
    if isinstance(obj, complex):
        return f"the complex number {complex.__repr__(obj)}"
    if isinstance(obj, str):
        if len(obj) <= limit:
            return f"the str {str.__repr__(obj)}"
        return f"a str of length {len(obj)} starting {str.__repr__(obj[:limit])}"
    if isinstance(obj, bytes | bytearray):
        return f"{_article(type(obj).__name__)} {type(obj).__name__} of length {len(obj)}"
    if isinstance(obj, np.ndarray):
        name = type(obj).__name__
        return (
            f"{_article(name)} {name} of shape {tuple(obj.shape)} and dtype {obj.dtype}"
            + _array_range(obj)
        )
    if isinstance(obj, types.GeneratorType):
        return "a generator (it makes its values one at a time; collect them with `list(...)`)"
    if isinstance(obj, types.FunctionType | types.BuiltinFunctionType | types.MethodType):
        return f"the function `{_safe_text(obj.__name__, limit)}`"
    if isinstance(obj, type):
        return f"the class `{_safe_text(obj.__name__, limit)}`"
    if isinstance(obj, types.ModuleType):
        return f"the module `{_safe_text(obj.__name__, limit)}`"
    name = type(obj).__name__
    if isinstance(obj, Mapping):
        n = len(obj)
        text = f"{_article(name)} {name} with {n} key{'s' if n != 1 else ''}"
        keys = list(obj)[:6] if len(obj) <= 6 else []
        if keys and all(isinstance(key, str) for key in keys):
            text += " (" + ", ".join(str.__repr__(key) for key in keys) + ")"
        return text
    if isinstance(obj, list | tuple | set | frozenset):
        n = len(obj)
        text = f"{_article(name)} {name} of {n} item{'s' if n != 1 else ''}"
        if 0 < n <= 6:
            text += " (" + ", ".join(type(item).__name__ for item in obj) + ")"
        return text
    # array-likes from other libraries (tensors, data frames): report shape and dtype
    shape = getattr(obj, "shape", None)
    if isinstance(shape, tuple) or type(shape).__name__ in ("TensorShape", "Size"):
        text = f"{_article(name)} {name} of shape {tuple(shape)}"
        dtype = getattr(obj, "dtype", None)
        if dtype is not None:
            text += f" and dtype {_safe_text(dtype, limit)}"
        return text
    if callable(obj):
        return f"a callable {name} object"
    return f"{_article(name)} {name} object"


def call_as_array(function, *args) -> np.ndarray | None:
    """A learner's function called on copies of ``args``, its result as float64; None if it fails.

    The copies keep the checker's inputs safe from a function that changes its arguments in
    place; any exception means "no usable answer", which the caller turns into feedback.
    """
    try:
        out = function(*(np.array(a, copy=True) for a in args))
        return np.asarray(out, dtype=np.float64)
    except Exception:
        return None


def known_mistake(got: float, mistakes: dict, rtol: float = 0.0, atol: float = 1e-9) -> str:
    """The message of the first known mistake whose value ``got`` equals, else ``""``.

    ``mistakes`` maps the number a typical mistake produces to the hint for it;
    values count as equal within ``atol + rtol * max(1, |value|)``.
    """
    for value, message in mistakes.items():
        if abs(got - value) <= atol + rtol * max(1.0, abs(value)):
            return message
    return ""


def as_index_array(
    returned, call: str, n_items: int, into: str, count: int | None = None, unique: bool = True
) -> np.ndarray:
    """A learner's answer that should be row indices, checked; raises :class:`Incorrect` if not.

    Parameters
    ----------
    returned : object
        What the learner's function returned.
    call : str
        How to name the call in messages, e.g. ``"`most_uncertain(probs, 10)`"``.
    n_items : int
        Length of the array the indices point into; indices go from 0 to ``n_items - 1``.
    into : str
        Name of that array in messages, e.g. ``"`y`"``.
    count : int, optional
        How many indices there must be; None accepts any number.
    unique : bool
        Each index at most once (default); False allows repeats, as oversampling needs.

    Returns
    -------
    (N,) ndarray of int
        The indices.

    Raises
    ------
    Incorrect
        For None, a True/False mask, anything that is not a 1-D array of integers, a wrong
        count, indices out of range, or an index used twice; each message says how to fix it.
    """
    if returned is None:
        raise Incorrect(f"{call} returned None: did you forget the `return` statement?")
    try:
        idx = np.asarray(returned)
    except Exception:
        idx = None
    if idx is not None and idx.dtype == bool and idx.shape == (n_items,):
        raise Incorrect(
            f"{call} returned a True/False mask; return the indices it marks instead "
            "(`np.flatnonzero(mask)` turns a mask into indices)."
        )
    if idx is None or idx.ndim != 1 or idx.dtype.kind not in "iu":
        how_many = "" if count is None else f"{count} "
        raise Incorrect(
            f"{call} returned {describe(returned)}; expected a 1-D array of {how_many}integer "
            f"indices into {into}."
        )
    if count is not None and len(idx) != count:
        raise Incorrect(f"{call} returned {len(idx)} indices; expected exactly {count}.")
    if idx.size and (idx.min() < 0 or idx.max() >= n_items):
        raise Incorrect(
            f"{call} returned indices from {idx.min()} to {idx.max()}, but {into} has {n_items} "
            f"rows: indices go from 0 to {n_items - 1}."
        )
    n_repeated = len(idx) - len(np.unique(idx))
    if unique and n_repeated:
        raise Incorrect(
            f"{call} returned {n_repeated} repeated {'index' if n_repeated == 1 else 'indices'}: "
            "choose each row at most once (draw without replacement)."
        )
    return idx


def describe(obj: Any, max_chars: int = 60) -> str:
    """Describe any object in a few words, for feedback messages; never raises.

    Parameters
    ----------
    obj : object
        Anything a learner may pass to a check, however broken.
    max_chars : int
        Longest text shown for a value (longer strings are cut).

    Returns
    -------
    str
        Type, and shape, dtype and value range for arrays, e.g.
        ``"an ndarray of shape (2, 3) and dtype uint8 (values 0 to 255)"``.

    Examples
    --------
    >>> describe(3)
    'the int 3'
    >>> describe([1, 2.0])
    'a list of 2 items (int, float)'
    """
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 10:
        raise ValueError(f"max_chars must be an int of at least 10; got {max_chars!r}")
    try:
        return _describe(obj, max_chars)
    except Exception:
        pass
    try:
        name = type(obj).__name__
        return f"{_article(name)} {name} object"
    except Exception:
        return "an object"


def _name(what: str) -> str:
    """`x` for a variable name, plain text for a phrase such as 'your answer'."""
    return what if " " in what else f"`{what}`"


# --------------------------------------------------------------------------- comparing values


def _is_real_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def expect_equal(
    received: Any,
    expected: Any,
    what: str = "your answer",
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    check_dtype: bool = False,
) -> None:
    """Raise :class:`Incorrect` with a kind message unless ``received`` matches ``expected``.

    The message describes what was received and what is expected (type,
    shape, dtype, too large or too small) but never shows the expected values.

    Parameters
    ----------
    received : object
        The learner's value.
    expected : object
        The reference: a number (compared with a tolerance), bool, str, None,
        an ndarray (shape checked, then values with ``np.isclose``; exactly
        for integer and bool arrays), a list or tuple (item by item), a dict
        (keys, then values), a set, or anything comparable with ``==``.
    what : str
        How to name the value in messages: a variable name (shown as code)
        or a phrase like ``"your answer"``.
    rtol, atol : float
        Relative and absolute tolerance for floating-point values.
    check_dtype : bool
        Also require the array dtype of ``expected``.

    Raises
    ------
    Incorrect
        When the values differ.

    Examples
    --------
    >>> expect_equal(0.1 + 0.2, 0.3)
    >>> expect_equal(np.zeros((2, 3)), np.zeros((3, 2)), "y_pred")
    Traceback (most recent call last):
    ...
    cellcourse.exercises._core.Incorrect: `y_pred` has shape (2, 3); the expected shape is (3, 2) ...
    """
    if not isinstance(what, str) or not what:
        raise TypeError(f"what must be a non-empty str naming the value; got {what!r}")
    # the comparison's own NumPy warnings (overflow, NaN, mixed dtypes) say nothing to a learner
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _expect_equal(received, expected, what, rtol, atol, check_dtype)


def _expect_equal(received, expected, what, rtol, atol, check_dtype) -> None:
    name = _name(what)
    if expected is None:
        if received is not None:
            raise Incorrect(f"{name} is {describe(received)}; expected None.")
        return
    if isinstance(expected, bool | np.bool_):
        if not isinstance(received, bool | np.bool_):
            raise Incorrect(f"{name} is {describe(received)}; expected True or False.")
        if bool(received) != bool(expected):
            raise Incorrect(f"{name} is {bool(received)}, which is not right: think again.")
        return
    if _is_real_number(expected):
        _expect_number(received, expected, name, rtol, atol)
        return
    if isinstance(expected, str):
        _expect_text(received, expected, name)
        return
    if isinstance(expected, np.ndarray):
        _expect_array(received, expected, name, rtol, atol, check_dtype)
        return
    if isinstance(expected, list | tuple):
        if isinstance(received, np.ndarray) and all(
            _is_real_number(item) or isinstance(item, bool) for item in expected
        ):
            _expect_array(received, np.asarray(expected), name, rtol, atol, check_dtype)
            return
        _expect_sequence(received, expected, what, rtol, atol, check_dtype)
        return
    if isinstance(expected, Mapping):
        _expect_mapping(received, expected, what, rtol, atol, check_dtype)
        return
    if isinstance(expected, set | frozenset):
        _expect_set(received, expected, name)
        return
    if not bool(received == expected):
        raise Incorrect(f"{name} is {describe(received)}, which is not the expected value.")


def _expect_number(received, expected, name, rtol, atol) -> None:
    value = received
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if not _is_real_number(value):
        extra = ""
        if isinstance(value, np.ndarray) and value.size == 1:
            extra = " (it holds a single value: take it out with `.item()`)"
        elif isinstance(value, list | tuple) and len(value) == 1:
            extra = " (take the value out with `[0]`)"
        elif isinstance(value, str):
            extra = " (this is text, not a number: remove the quotes)"
        raise Incorrect(f"{name} is {describe(received)}; expected a single number{extra}.")
    if isinstance(expected, numbers.Integral) and isinstance(value, numbers.Integral):
        got, want = int(value), int(expected)
        if got == want:
            return
        side = "larger" if got > want else "smaller"
        raise Incorrect(f"{name} is {_int_text(got)}, which is {side} than expected.")
    want = float(expected)
    try:
        got = float(value)
    except OverflowError:
        side = "larger" if value > 0 else "smaller"
        raise Incorrect(f"{name} is {describe(value)}, far {side} than expected.") from None
    if math.isnan(want) and math.isnan(got):
        return
    if math.isnan(got):
        raise Incorrect(
            f"{name} is nan (not a number). NaN usually comes from 0/0 or from an empty "
            "selection: check for divisions by zero and for empty arrays."
        )
    if math.isclose(got, want, rel_tol=rtol, abs_tol=atol):
        return
    if math.isinf(got):
        raise Incorrect(f"{name} is {got}; expected a finite number (a division by zero?).")
    side = "larger" if got > want else "smaller"
    raise Incorrect(f"{name} is {_number_text(got)}, which is {side} than expected.")


def _expect_text(received, expected, name) -> None:
    if not isinstance(received, str):
        raise Incorrect(f"{name} is {describe(received)}; expected text (a str).")
    if received == expected:
        return
    if received.strip().casefold() == expected.strip().casefold():
        raise Incorrect(f"{name} is almost right: check upper/lower case and spaces at the ends.")
    raise Incorrect(f"{name} is {describe(received)}, which is not the expected text.")


def _shape_hint(got: tuple, want: tuple) -> str:
    if sorted(got) == sorted(want):
        return " (the same lengths in another order: check the order of the axes, channels last)"
    if tuple(d for d in got if d != 1) == tuple(d for d in want if d != 1):
        return " (they differ only by axes of length 1: see `np.squeeze` and `np.expand_dims`)"
    return ""


def _expect_array(received, expected, name, rtol, atol, check_dtype) -> None:
    want_shape = tuple(expected.shape)
    if isinstance(received, np.ndarray):
        array = received
    else:
        not_array = isinstance(received, str | bytes | Mapping | set | frozenset) or (
            received is None
        )
        if expected.ndim > 0 and (not_array or isinstance(received, numbers.Number)):
            raise Incorrect(
                f"{name} is {describe(received)}; expected an array of shape {want_shape}."
            )
        try:
            array = np.asarray(received)
        except Exception as exc:
            raise Incorrect(
                f"{name} is {describe(received)}, which NumPy cannot turn into an array "
                f"({_exception_text(exc)}); expected an array of shape {want_shape}."
            ) from exc
    numeric = "biufc"
    if expected.dtype.kind in numeric and array.dtype.kind not in numeric:
        why = ""
        if array.dtype.kind == "O":
            why = (
                " (NumPy could not make an array of plain numbers from it: are all rows "
                "the same length and all items numbers?)"
            )
        raise Incorrect(
            f"{name} is {describe(received)}: its dtype is {array.dtype}{why}; "
            f"expected numbers, in an array of shape {want_shape}."
        )
    got_shape = tuple(array.shape)
    if got_shape != want_shape:
        raise Incorrect(
            f"{name} has shape {got_shape}; the expected shape is {want_shape}"
            f"{_shape_hint(got_shape, want_shape)}."
        )
    if check_dtype and array.dtype != expected.dtype:
        raise Incorrect(
            f"{name} has dtype {array.dtype}; the task asks for dtype {expected.dtype}."
        )
    if expected.dtype.kind in "biu" and array.dtype.kind in "biu":
        same = array == expected
    elif expected.dtype.kind in numeric:
        same = np.isclose(array, expected, rtol=rtol, atol=atol, equal_nan=True)
    else:
        same = array == expected
    wrong = ~np.asarray(same, dtype=bool)
    if wrong.shape != want_shape:  # a comparison that did not work element by element
        wrong = np.ones(want_shape, dtype=bool)
    n_wrong = int(wrong.sum())
    if n_wrong:
        first = tuple(int(i) for i in np.unravel_index(int(np.argmax(wrong)), want_shape))
        where = f" (the first at index {first})" if want_shape else ""
        raise Incorrect(
            f"{name} has the expected shape {want_shape}, but {n_wrong} of {wrong.size} "
            f"values differ from the expected ones{where}."
        )


def _expect_sequence(received, expected, what, rtol, atol, check_dtype) -> None:
    name = _name(what)
    kind = type(expected).__name__
    if isinstance(received, np.ndarray) and received.ndim >= 1:
        items = list(received)
    elif isinstance(received, list | tuple):
        items = received
    else:
        raise Incorrect(
            f"{name} is {describe(received)}; expected a {kind} of {len(expected)} items."
        )
    if len(items) != len(expected):
        raise Incorrect(f"{name} has {len(items)} items; expected {len(expected)}.")
    for index, (got, want) in enumerate(zip(items, expected, strict=True)):
        item = f"{what}[{index}]" if " " not in what else f"item {index} of {what}"
        _expect_equal(got, want, item, rtol, atol, check_dtype)


def _expect_mapping(received, expected, what, rtol, atol, check_dtype) -> None:
    name = _name(what)
    if not isinstance(received, Mapping):
        raise Incorrect(
            f"{name} is {describe(received)}; expected a dict with {len(expected)} keys."
        )
    for key in expected:
        if key not in received:
            raise Incorrect(f"{name} has no key {_shorten(repr(key), 40)}.")
    for key in received:
        if key not in expected:
            raise Incorrect(f"{name} has a key that is not expected: {describe(key)}.")
    for key in expected:
        key_text = _shorten(repr(key), 40)
        item = f"{what}[{key_text}]" if " " not in what else f"the value for {key_text} in {what}"
        _expect_equal(received[key], expected[key], item, rtol, atol, check_dtype)


def _expect_set(received, expected, name) -> None:
    if not isinstance(received, set | frozenset | list | tuple):
        raise Incorrect(f"{name} is {describe(received)}; expected a set of {len(expected)} items.")
    got = set(received)
    if len(got) != len(expected):
        raise Incorrect(f"{name} has {len(got)} distinct items; expected {len(expected)}.")
    n_wrong = len(got - set(expected))
    if n_wrong:
        raise Incorrect(f"{name} has the right number of items, but {n_wrong} are not expected.")


# --------------------------------------------------------------------------- exercises

_MISSING = object()
_REGISTRY: dict[str, Exercise] = {}
_CHAPTER_MODULE = re.compile(r"ch\d\d")
_SAFE_ID = re.compile(r"[A-Za-z0-9_]+")


def _copy(value: Any) -> Any:
    """A deep copy, so that a learner's function cannot change the next test's input."""
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


class Exercise:
    """One exercise: ``check``, ``hint`` and ``solution``, declared by attributes.

    Use a subclass (:class:`EqualityExercise`, :class:`FunctionExercise`,
    :class:`CodingExercise`, :class:`ThoughtExercise`). Attributes can be set
    as class attributes of a subclass or as keyword arguments.

    Attributes
    ----------
    chapter : str
        Chapter number as two digits, e.g. ``"00"``.
    name : str
        Name in the chapter module, e.g. ``"q1"``; the exercise id is ``"00.q1"``.
    title : str
        One line saying what to do.
    var : str or tuple of str or None
        Name(s) of the learner's variable(s) or function, used in messages.
    hints : list of str
        Hints from gentle to explicit.
    solution_code : str
        The solution, shown by :meth:`solution`.
    probe : tuple or callable or None
        Arguments to call a function answer with, to see whether it still
        returns ``...`` (not attempted); a callable returning that tuple is
        called at check time. None: function answers are not probed.
    correct_message : str
        Extra words shown after ``"Correct!"``.
    n_answers : int or None
        Number of answers :meth:`check` takes; None: any number.

    Parameters
    ----------
    register : bool
        Add the exercise to the registry (:func:`registered`). Default True.
    **attributes
        Any of the attributes above (and those of the subclass).

    Examples
    --------
    >>> q1 = EqualityExercise(chapter="00", name="q1", var="n_nuclei", expected=3,
    ...                       hints=["Count the labels."], solution_code="n_nuclei = 3",
    ...                       register=False)
    >>> q1.check(2).outcome
    Not yet: `n_nuclei` is 2, which is smaller than expected.
    <Outcome.INCORRECT: 'incorrect'>
    """

    _FIELDS: ClassVar[tuple[str, ...]] = (
        "chapter",
        "name",
        "title",
        "var",
        "hints",
        "solution_code",
        "probe",
        "correct_message",
        "n_answers",
    )
    _SOLUTION_IS_CODE: ClassVar[bool] = True

    chapter: str = ""
    name: str = ""
    title: str = ""
    var: str | tuple[str, ...] | None = None
    hints: tuple[str, ...] | list[str] = ()
    solution_code: str = ""
    probe: tuple | Callable[[], tuple] | None = None
    correct_message: str = ""
    n_answers: int | None = None

    def __init__(self, *, register: bool = True, **attributes: Any):
        allowed = self._field_names()
        for key, value in attributes.items():
            if key not in allowed:
                raise TypeError(
                    f"{type(self).__name__} has no attribute {key!r}; "
                    f"expected one of {sorted(allowed)}"
                )
            setattr(self, key, value)
        self._validate()
        self.hints = tuple(self.hints)
        self._hint_index = 0
        if register:
            _REGISTRY[self.id] = self

    @classmethod
    def _field_names(cls) -> set[str]:
        names: set[str] = set()
        for klass in cls.__mro__:
            names.update(getattr(klass, "_FIELDS", ()))
        return names

    def _validate(self) -> None:
        if type(self)._check is Exercise._check and type(self)._evaluate is Exercise._evaluate:
            raise TypeError(
                "Exercise is a base class: use EqualityExercise, FunctionExercise, "
                "CodingExercise or ThoughtExercise, or override _check"
            )
        for attribute in ("chapter", "name"):
            value = getattr(self, attribute)
            if not isinstance(value, str) or not _SAFE_ID.fullmatch(value):
                raise ValueError(
                    f"{attribute} must be a non-empty str of letters, digits and _ "
                    f"(e.g. '00', 'q1'); got {value!r}"
                )
        for attribute in ("title", "solution_code", "correct_message"):
            value = getattr(self, attribute)
            if not isinstance(value, str):
                raise TypeError(f"{attribute} must be a str; got {type(value).__name__}")
        if not self.solution_code.strip():
            raise ValueError(f"exercise {self.id} needs a solution_code; got an empty one")
        var = self.var
        if var is not None and not isinstance(var, str):
            if not isinstance(var, tuple) or not all(isinstance(v, str) and v for v in var):
                raise TypeError(f"var must be a str, a tuple of str or None; got {var!r}")
        if isinstance(var, str) and not var:
            raise ValueError("var must not be empty; use None when there is no variable name")
        if isinstance(self.hints, str) or not all(isinstance(h, str) for h in self.hints):
            raise TypeError(f"hints must be a list of str; got {self.hints!r}")
        probe = self.probe
        if probe is not None and not isinstance(probe, tuple) and not callable(probe):
            raise TypeError(
                f"probe must be None, a tuple of arguments or a callable returning one; "
                f"got {type(probe).__name__}"
            )
        n = self.n_answers
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise ValueError(f"n_answers must be None or a non-negative int; got {n!r}")

    # ------------------------------------------------------------------ identity

    @property
    def id(self) -> str:
        """The exercise id, ``"<chapter>.<name>"``, e.g. ``"00.q1"``."""
        return f"{self.chapter}.{self.name}"

    def __repr__(self) -> str:
        title = f": {self.title}" if self.title else ""
        return f"<{type(self).__name__} {self.id}{title}>"

    # ------------------------------------------------------------------ checking

    def check(self, *answers: Any, **named: Any) -> CheckResult:
        """Check the answer(s), show the outcome, record it, and return it.

        Parameters
        ----------
        *answers : object
            The learner's answer(s), e.g. ``ex.q1.check(n_nuclei)``.
        **named : object
            Not supported; answers are passed by position. Named answers get
            a message saying so.

        Returns
        -------
        CheckResult
            Correct, not yet (incorrect) or not attempted, with the message shown.

        Raises
        ------
        CheckFailed
            Only in strict mode (``CELLCOURSE_STRICT=1``), when the check did
            not pass. Outside strict mode ``check`` never raises.
        """
        strict = config.is_strict()
        result = self._evaluate(answers, named)
        result.show()
        progress.record(result)
        if strict and not result.passed:
            raise CheckFailed(f"exercise {self.id}: {result.message}") from result.error
        return result

    def _evaluate(self, answers: tuple, named: dict | None = None) -> CheckResult:
        """Work out the outcome without showing or recording it; never raises Exception."""
        if named:
            names = self._call_names()
            return self._result(
                Outcome.INCORRECT,
                f"pass your answer{'s' if len(names) > 1 else ''} without a name, "
                f"like this: ex.{self.name}.check({', '.join(names)})",
            )
        try:
            return self._evaluate_unguarded(answers)
        except Exception as exc:  # a last resort: even describing the failure failed
            return self._result(
                Outcome.INCORRECT,
                f"checking your answer raised {_exception_text(exc)}.",
                error=exc,
            )

    def _evaluate_unguarded(self, answers: tuple) -> CheckResult:
        n_expected = self.n_answers
        if n_expected is not None and len(answers) != n_expected:
            return self._result(Outcome.INCORRECT, self._usage_message(len(answers)))
        names = self._answer_names(len(answers))
        for name, answer in zip(names, answers, strict=True):
            if answer is Ellipsis:
                return self._result(
                    Outcome.NOT_ATTEMPTED,
                    f"{_name(name)} is still `...`. Replace the `...` with your code, "
                    "run that cell, then run this check again.",
                )
        try:
            self._probe_answers(names, answers)
            message = self._check(*answers)
        except Incorrect as exc:
            return self._result(Outcome.INCORRECT, exc.message or "this is not right yet.", exc)
        except _NotAttempted as exc:
            return self._result(Outcome.NOT_ATTEMPTED, _safe_text(exc), exc)
        except _CourseError as exc:
            cause = exc.__cause__ or exc
            return self._result(
                Outcome.INCORRECT,
                f"the checker itself failed ({_safe_text(exc)}). This is a problem in the "
                "course, not in your answer: please tell your instructor.",
                cause,
            )
        except Exception as exc:
            return self._result(Outcome.INCORRECT, self._crash_message(names, answers, exc), exc)
        extra = " ".join(part for part in (_safe_text(message or ""), self.correct_message) if part)
        return self._result(Outcome.CORRECT, extra)

    def _probe_answers(self, names: list[str], answers: tuple) -> None:
        if self.probe is None:
            return
        args = self.probe
        if not isinstance(args, tuple):
            try:
                args = self.probe()
            except Exception as exc:
                raise _CourseError(f"the probe input could not be made: {exc!r}") from exc
            if not isinstance(args, tuple):
                raise _CourseError(f"probe() must return a tuple; got {type(args).__name__}")
        for name, answer in zip(names, answers, strict=True):
            if not callable(answer):
                continue
            try:
                returned = answer(*_copy(args))
            except Exception:
                continue  # attempted, but broken: the check proper says what is wrong
            if returned is Ellipsis:
                raise _NotAttempted(
                    f"{_name(name)} still returns `...`. Replace the `...` in its body with "
                    "your code, run that cell, then run this check again."
                )

    def _check(self, *answers: Any) -> str | None:
        """Check the answers: return an optional message if right, raise Incorrect if not."""
        raise NotImplementedError

    def _answer_names(self, n: int) -> list[str]:
        if isinstance(self.var, tuple) and len(self.var) == n:
            return list(self.var)
        if isinstance(self.var, str) and n == 1:
            return [self.var]
        if n == 1:
            return ["your answer"]
        return [f"answer {i}" for i in range(1, n + 1)]

    def _call_names(self) -> list[str]:
        if isinstance(self.var, tuple):
            return list(self.var)
        if isinstance(self.var, str):
            return [self.var]
        n = self.n_answers if self.n_answers is not None else 1
        return ["answer"] if n == 1 else [f"answer{i}" for i in range(1, n + 1)]

    def _usage_message(self, n_given: int) -> str:
        call = f"ex.{self.name}.check({', '.join(self._call_names())})"
        n = self.n_answers
        if n_given == 0:
            return f"pass your answer to the check, like this: {call}"
        return (
            f"this check takes {n} answer{'s' if n != 1 else ''}, like this: {call}; "
            f"you passed {n_given}."
        )

    def _crash_message(self, names: list[str], answers: tuple, exc: Exception) -> str:
        subject = ", ".join(_name(name) for name in names[:3]) or "your answer"
        parts = [f"checking {subject} raised {_exception_text(exc)}."]
        for name, answer in list(zip(names, answers, strict=True))[:3]:
            parts.append(f"{_name(name)} is {describe(answer)}.")
        return " ".join(parts)

    def _result(self, outcome: Outcome, text: str, error: BaseException | None = None):
        prefix = _PREFIX[outcome]
        text = text.strip()
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
        message = f"{prefix} {text}" if text else prefix
        return CheckResult(outcome=outcome, message=message, exercise=self.id, error=error)

    # ------------------------------------------------------------------ helpers for tests

    def assert_check_passed(self, *answers: Any) -> CheckResult:
        """Assert that the answers pass; nothing is shown or recorded.

        Returns
        -------
        CheckResult

        Raises
        ------
        CheckFailed
            If the outcome is not a pass (the message says what it was).
        """
        return self._assert_outcome(answers, lambda r: r.passed, "the check to pass")

    def assert_check_failed(self, *answers: Any) -> CheckResult:
        """Assert that the answers get "Not yet" (incorrect); nothing is shown or recorded.

        Returns
        -------
        CheckResult

        Raises
        ------
        CheckFailed
            If the outcome is not ``INCORRECT``.
        """
        return self._assert_outcome(
            answers, lambda r: r.outcome is Outcome.INCORRECT, "the check to fail"
        )

    def assert_check_unattempted(self, *answers: Any) -> CheckResult:
        """Assert that the answers count as not attempted; nothing is shown or recorded.

        Returns
        -------
        CheckResult

        Raises
        ------
        CheckFailed
            If the outcome is not ``NOT_ATTEMPTED``.
        """
        return self._assert_outcome(
            answers, lambda r: r.outcome is Outcome.NOT_ATTEMPTED, "'not attempted'"
        )

    def _assert_outcome(self, answers: tuple, wanted: Callable, expected: str) -> CheckResult:
        """Evaluate without showing or recording; raise CheckFailed unless ``wanted(result)``."""
        result = self._evaluate(answers)
        if not wanted(result):
            raise CheckFailed(
                f"exercise {self.id}: expected {expected}, got: {result.message}"
            ) from result.error
        return result

    # ------------------------------------------------------------------ hints and solution

    def hint(self) -> None:
        """Show the next hint ("Hint 1/2", then "Hint 2/2"...), repeating the last one."""
        if not self.hints:
            text = (
                f"There is no hint for this exercise; ex.{self.name}.solution() shows a solution."
            )
            _show(text, _box("", _markup(text), _COLOURS["hint"], self.id))
            return
        index = min(self._hint_index, len(self.hints) - 1)
        self._hint_index += 1
        label = f"Hint {index + 1}/{len(self.hints)}:"
        hint = self.hints[index]
        _show(f"{label} {hint}", _box(label, _markup(hint), _COLOURS["hint"], self.id))

    def solution(self) -> None:
        """Show the solution (code, or text for a thought exercise)."""
        code = self.solution_code.strip("\n")
        if self._SOLUTION_IS_CODE:
            body = (
                '<pre style="margin:4px 0 0 0;padding:6px;background:#fff;'
                f'border:1px solid #ddd;white-space:pre-wrap">{html.escape(code)}</pre>'
            )
            text = "Solution:\n" + "\n".join("    " + line for line in code.splitlines())
        else:
            body = _markup(code)
            text = f"Solution: {code}"
        _show(text, _box("Solution:", body, _COLOURS["solution"], self.id))


class EqualityExercise(Exercise):
    """An exercise whose answer is a value, compared with an expected value.

    Attributes
    ----------
    expected : object or callable
        The expected value, or a function without arguments computing it at
        each check (a closure over the chapter's data; cache it with
        ``functools.cache`` if it is slow). Numbers are compared with a
        tolerance, arrays by shape and then values (see :func:`expect_equal`).
        With several answers (``var`` a tuple), a tuple of expected values.
    rtol, atol : float
        Tolerances for floating-point values.
    check_dtype : bool
        Also require the dtype of an expected array.

    Examples
    --------
    >>> q1 = EqualityExercise(chapter="00", name="q1", var="n_nuclei", expected=3,
    ...                       solution_code="n_nuclei = labels.max()", register=False)
    >>> q1.assert_check_passed(3).message
    'Correct!'
    """

    _FIELDS = ("expected", "rtol", "atol", "check_dtype")

    expected: Any = _MISSING
    rtol: float = 1e-5
    atol: float = 1e-8
    check_dtype: bool = False

    def _validate(self) -> None:
        super()._validate()
        if self.expected is _MISSING:
            raise TypeError(f"EqualityExercise {self.id} needs an expected value")
        if self.n_answers is None:
            self.n_answers = len(self.var) if isinstance(self.var, tuple) else 1
        _validate_tolerances(self.rtol, self.atol)

    def _expected_value(self) -> Any:
        if isinstance(self.expected, _FUNCTION_TYPES):
            try:
                return self.expected()
            except Exception as exc:
                raise _CourseError(f"computing the expected value raised {exc!r}") from exc
        return self.expected

    def _check(self, *answers: Any) -> None:
        expected = self._expected_value()
        names = self._answer_names(len(answers))
        if len(answers) == 1:
            expected = (expected,)
        elif not isinstance(expected, tuple | list) or len(expected) != len(answers):
            raise _CourseError(
                f"{len(answers)} answers need a tuple of {len(answers)} expected values"
            )
        for name, answer, want in zip(names, answers, expected, strict=True):
            expect_equal(
                answer, want, name, rtol=self.rtol, atol=self.atol, check_dtype=self.check_dtype
            )
        return None


_FUNCTION_TYPES = (
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    functools.partial,
)


def _validate_tolerances(rtol: Any, atol: Any) -> None:
    for label, value in (("rtol", rtol), ("atol", atol)):
        if not _is_real_number(value) or not value >= 0:
            raise ValueError(f"{label} must be a non-negative number; got {value!r}")


class FunctionExercise(Exercise):
    """An exercise whose answer is a function, run on test cases.

    Give either ``test_cases`` or ``reference`` with ``test_inputs``. The
    first failing case is reported by describing its input (shape, dtype),
    never the expected output.

    Attributes
    ----------
    test_cases : list of tuple, or callable returning one
        ``(args, kwargs, expected)`` or ``(args, kwargs, expected, description)``
        per case; ``description`` (e.g. ``"an image with touching nuclei"``)
        replaces the automatic description of the input.
    reference : callable or None
        A correct implementation; the expected outputs are its outputs on
        ``test_inputs``.
    test_inputs : list of tuple, or callable returning one
        ``(args, kwargs)`` or ``(args, kwargs, description)`` per case.
    rtol, atol, check_dtype
        As for :class:`EqualityExercise`.
    diagnose : callable or None
        ``diagnose(function) -> str``: when a test case fails, makes one extra
        call of the learner's function and returns a specific message for a
        typical mistake it recognises (a flipped kernel, a transposed matrix),
        or "" (the general message then stands). Its warnings and errors are
        swallowed: a diagnosis that fails says nothing.

    Examples
    --------
    >>> q2 = FunctionExercise(chapter="00", name="q2", var="double",
    ...                       test_cases=[((2,), {}, 4), ((0.5,), {}, 1.0)],
    ...                       solution_code="def double(x):\\n    return 2 * x",
    ...                       register=False)
    >>> q2.assert_check_failed(lambda x: x + 2).message
    'Not yet: when called with the float 0.5 (test 2 of 2), `double` returned 2.5, ...'
    """

    _FIELDS = ("test_cases", "reference", "test_inputs", "rtol", "atol", "check_dtype", "diagnose")

    test_cases: Any = None
    reference: Callable | None = None
    test_inputs: Any = None
    rtol: float = 1e-5
    atol: float = 1e-8
    check_dtype: bool = False
    diagnose: Callable | None = None

    def _validate(self) -> None:
        super()._validate()
        has_cases = self.test_cases is not None
        has_reference = self.reference is not None or self.test_inputs is not None
        if has_cases == has_reference:
            raise TypeError(
                f"FunctionExercise {self.id} needs either test_cases, or reference and "
                "test_inputs (not both)"
            )
        if has_reference and (not callable(self.reference) or self.test_inputs is None):
            raise TypeError(
                f"FunctionExercise {self.id}: reference must be a function and test_inputs "
                "a list of (args, kwargs) tuples"
            )
        if self.n_answers is None:
            self.n_answers = 1
        _validate_tolerances(self.rtol, self.atol)

    def _cases(self) -> list[tuple[tuple, dict, Any, str]]:
        """The test cases as (args, kwargs, expected, description); course errors wrapped."""
        source = self.test_cases if self.test_cases is not None else self.test_inputs
        try:
            items = list(source() if callable(source) else source)
        except Exception as exc:
            raise _CourseError(f"the test cases could not be made: {exc!r}") from exc
        cases = []
        for item in items:
            n_parts = (3, 4) if self.test_cases is not None else (2, 3)
            if not isinstance(item, tuple | list) or len(item) not in n_parts:
                raise _CourseError(f"a test case must be a tuple of {n_parts} parts; got {item!r}")
            args, kwargs = item[0], item[1] if item[1] is not None else {}
            if not isinstance(args, tuple | list) or not isinstance(kwargs, dict):
                raise _CourseError("a test case needs a tuple of args and a dict of kwargs")
            if self.test_cases is not None:
                expected = item[2]
                description = item[3] if len(item) == 4 else ""
            else:
                try:
                    expected = self.reference(*_copy(tuple(args)), **_copy(kwargs))
                except Exception as exc:
                    raise _CourseError(f"the reference function raised {exc!r}") from exc
                description = item[2] if len(item) == 3 else ""
            cases.append((tuple(args), kwargs, expected, str(description)))
        if not cases:
            raise _CourseError("there are no test cases")
        return cases

    def _check(self, function: Any) -> None:
        try:
            return self._run_cases(function)
        except Incorrect as exc:
            if self.diagnose is None or not callable(function):
                raise
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # the extra call's warnings say nothing new
                try:
                    diagnosis = self.diagnose(function)
                except Exception:
                    diagnosis = ""
            if not diagnosis:
                raise
            # the diagnosis replaces the general message: messages are cut at 300 characters
            raise Incorrect(diagnosis) from exc

    def _run_cases(self, function: Any) -> None:
        var = self.var if isinstance(self.var, str) else "your function"
        name = _name(var)
        if not callable(function):
            raise Incorrect(
                f"{name} should be a function, but it is {describe(function)}. Pass the "
                f"function itself, without calling it: ex.{self.name}.check({var}) "
                f"rather than ex.{self.name}.check({var}(...))."
            )
        cases = self._cases()
        for number, (args, kwargs, expected, description) in enumerate(cases, start=1):
            where = (
                f"when called with {description or _describe_call(args, kwargs)} "
                f"(test {number} of {len(cases)})"
            )
            try:
                returned = function(*_copy(args), **_copy(kwargs))
            except Exception as exc:
                raise Incorrect(f"{where}, {name} raised {_exception_text(exc)}.") from exc
            if returned is Ellipsis:
                raise _NotAttempted(
                    f"{name} still returns `...`. Replace the `...` in its body with your "
                    "code, run that cell, then run this check again."
                )
            if returned is None and expected is not None:
                raise Incorrect(
                    f"{where}, {name} returned None: did you forget the `return` statement?"
                )
            try:
                expect_equal(
                    returned,
                    expected,
                    "the returned value",
                    rtol=self.rtol,
                    atol=self.atol,
                    check_dtype=self.check_dtype,
                )
            except Incorrect as exc:
                detail = exc.message.replace("the returned value is", f"{name} returned", 1)
                raise Incorrect(f"{where}, {detail}") from None
        return None


def _describe_call(args: tuple, kwargs: dict) -> str:
    parts = [describe(arg) for arg in args]
    parts += [f"{key}={describe(value)}" for key, value in kwargs.items()]
    if not parts:
        return "no arguments"
    return " and ".join(parts) if len(parts) <= 2 else ", ".join(parts)


class CodingExercise(Exercise):
    """An exercise with its own check: a ``checker`` function or an overridden ``_check``.

    The check tests behaviour (shapes, values on known inputs, a model's layer
    types and output shape), never the text of the code. It returns None (or
    a short message) when the answer is right, and raises :class:`Incorrect`
    with a kind message when it is not. Any other exception becomes a
    "Not yet" message describing the answer; it never reaches the learner.

    Attributes
    ----------
    checker : callable or None
        ``checker(*answers) -> str | None``; not needed when ``_check`` is overridden.

    Examples
    --------
    >>> def check_filters(filters):
    ...     if list(filters) != [16, 32, 64]:
    ...         raise Incorrect("each block should double the filters of the one before.")
    >>> q3 = CodingExercise(chapter="00", name="q3", var="filters", checker=check_filters,
    ...                     n_answers=1, solution_code="filters = [16, 32, 64]",
    ...                     register=False)
    >>> q3.assert_check_passed([16, 32, 64]).outcome
    <Outcome.CORRECT: 'correct'>
    """

    _FIELDS = ("checker",)

    checker: Callable[..., str | None] | None = None

    def _validate(self) -> None:
        super()._validate()
        overridden = type(self)._check is not CodingExercise._check
        if not overridden and not callable(self.checker):
            raise TypeError(
                f"CodingExercise {self.id} needs a checker function or an overridden "
                f"_check; got checker={self.checker!r}"
            )
        if self.n_answers is None:
            self.n_answers = _n_positional(self.checker if not overridden else self._check)

    def _check(self, *answers: Any) -> str | None:
        return self.checker(*answers)


def _n_positional(function: Callable) -> int | None:
    """How many positional arguments a checker takes; None if it takes *args or is unclear."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = [p.kind for p in parameters]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(kind in positional for kind in kinds)


class ThoughtExercise(Exercise):
    """A question to think about: there is nothing to check automatically.

    ``check()`` records the outcome ``VIEWED`` and points to the solution,
    which is shown as text rather than code. Strict mode accepts it.

    Examples
    --------
    >>> q4 = ThoughtExercise(chapter="00", name="q4", title="Why normalise?",
    ...                      solution_code="Because ...", register=False)
    >>> q4.assert_check_passed().outcome
    <Outcome.VIEWED: 'viewed'>
    """

    _SOLUTION_IS_CODE = False

    def _evaluate(self, answers: tuple, named: dict | None = None) -> CheckResult:
        return self._result(
            Outcome.VIEWED,
            "there is nothing to check automatically. Write down your answer, then "
            f"compare it with ours: ex.{self.name}.solution()",
        )


# --------------------------------------------------------------------------- registry


def registered(chapter: str | None = None) -> list[Exercise]:
    """All registered exercises, after importing every chapter module ``chNN``.

    Parameters
    ----------
    chapter : str or None
        Only the exercises of this chapter (e.g. ``"03"``); None: all.

    Returns
    -------
    list of Exercise
        Sorted by id (``"00.q1"``, ``"00.q2"``, ..., ``"00.q10"``). Exercises
        made elsewhere (e.g. in tests) are included unless they were made
        with ``register=False``.

    Examples
    --------
    >>> [ex.id for ex in registered("00")]  # doctest: +SKIP
    ['00.q1', '00.q2']
    """
    if chapter is not None and not isinstance(chapter, str):
        raise TypeError(f"chapter must be a str like '03' or None; got {chapter!r}")
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if _CHAPTER_MODULE.fullmatch(info.name):
            importlib.import_module(f"{package.__name__}.{info.name}")
    exercises = [ex for ex in _REGISTRY.values() if chapter is None or ex.chapter == chapter]
    return sorted(exercises, key=lambda ex: _natural_key(ex.id))


def _natural_key(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]
