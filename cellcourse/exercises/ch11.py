"""Exercises of chapter 11, deployment: model cards, safe loading, exports, reproducibility.

Used in ``solutions/11_deployment.ipynb``::

    from cellcourse.exercises import ch11 as ex
    ex.q1.check(card_fields)

The course's versions of what the exercises ask for, used by the notebook after each exercise so
that it runs to the end before the learner's answers are written: :data:`CARD_FIELDS`
(Exercise 11.1), :func:`load_or_none` (Exercise 11.2) and :func:`outputs_agree` (Exercise 11.3).
"""

from __future__ import annotations

import numbers
import tempfile
from pathlib import Path

import numpy as np

from ._core import CodingExercise, FunctionExercise, Incorrect, ThoughtExercise, _NotAttempted

__all__ = ["q1", "q2", "q3", "q4", "CARD_FIELDS", "load_or_none", "outputs_agree"]

# --- Exercise 11.1: the preprocessing fields of the model card ----------------------------------------

_DEPTH = 3  # the chapter's U-Net: depth 3, so Y and X must be multiples of 2 ** 3
_RECEPTIVE_FIELD = 13 * 2**_DEPTH - 8  # 96 pixels (chapter 07, Exercise 7.2)
_PERCENTILES = (1.0, 99.8)  # how the chapter normalises every image

CARD_FIELDS = {
    "normalization": _PERCENTILES,
    "tile_shape": 256,
    "overlap": _RECEPTIVE_FIELD // 2,
}
"""The course's answer to Exercise 11.1: ``normalization``, ``tile_shape`` and ``overlap``."""


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_card_fields(card_fields) -> str | None:
    if not isinstance(card_fields, dict):
        raise Incorrect(
            f"`card_fields` is {_describe(card_fields)}; expected a dict with the keys "
            "'normalization', 'tile_shape' and 'overlap'."
        )
    wanted = {"normalization", "tile_shape", "overlap"}
    if set(card_fields) != wanted:
        missing, extra = sorted(wanted - set(card_fields)), sorted(set(card_fields) - wanted)
        raise Incorrect(
            f"`card_fields` has the keys {sorted(card_fields, key=str)}; expected exactly "
            f"{sorted(wanted)}"
            + (f" (missing {missing})" if missing else "")
            + (f" (not asked for: {extra})" if extra else "")
            + "."
        )
    norm = card_fields["normalization"]
    if (
        not isinstance(norm, tuple | list)
        or len(norm) != 2
        or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in norm)
    ):
        raise Incorrect(
            f"'normalization' is {_describe(norm)}; expected two numbers (low, high): the "
            "percentiles of `normalize_percentile`."
        )
    if not np.allclose(norm, _PERCENTILES):
        raise Incorrect(
            f"'normalization' is {tuple(norm)}, but the U-Net was trained on images whose "
            f"percentiles {_PERCENTILES[0]:g} and {_PERCENTILES[1]:g} were mapped to 0 and 1 "
            "(section 1). A model only works on images prepared as in training: with other "
            "percentiles every pixel value it sees would be off."
        )
    tile, overlap = card_fields["tile_shape"], card_fields["overlap"]
    if not _is_int(tile) or not _is_int(overlap):
        raise Incorrect(
            f"'tile_shape' is {_describe(tile)} and 'overlap' {_describe(overlap)}; expected "
            "two ints (pixels)."
        )
    if tile % 2**_DEPTH:
        raise Incorrect(
            f"'tile_shape' is {tile}, which the U-Net cannot take: it halves the tile "
            f"{_DEPTH} times, so the tile must be a multiple of 2 ** {_DEPTH} = {2**_DEPTH}."
        )
    if overlap < _RECEPTIVE_FIELD // 2:
        raise Incorrect(
            f"'overlap' is {overlap} pixels. The U-Net's receptive field is "
            f"{_RECEPTIVE_FIELD} pixels wide; a kept pixel needs its whole field inside the "
            f"tile, i.e. at least half of it ({_RECEPTIVE_FIELD // 2}) on every side, or the "
            "tile edges leave seams (chapter 07, section 7)."
        )
    if tile - 2 * overlap < tile / 2:
        raise Incorrect(
            f"with tiles of {tile} and an overlap of {overlap}, each tile keeps only the "
            f"{tile - 2 * overlap} pixels of its centre, less than half its side: most of "
            "every tile would be computed only to be thrown away. Take larger tiles (e.g. 256)."
        )
    if tile > 2048:
        raise Incorrect(
            f"'tile_shape' is {tile}: a tile of {tile} × {tile} may not fit in a GPU's memory. "
            "A few hundred pixels (e.g. 256) is plenty."
        )
    kept = (tile - 2 * overlap) ** 2 / tile**2
    return f"each tile keeps its centre, {kept:.0%} of its pixels."


def _describe(obj) -> str:
    from ._core import describe

    return describe(obj)


q1 = CodingExercise(
    chapter="11",
    name="q1",
    title="Fill in the preprocessing fields of the model card",
    var="card_fields",
    checker=_check_card_fields,
    hints=[
        "Three questions: with which percentiles were the images normalised in section 1? "
        "Which tile sizes does a U-Net of depth 3 accept? How much overlap keeps the seams "
        "away (chapter 07, section 7)?",
        "`normalization` is `(1, 99.8)` as in `normalize_percentile(images, 1, 99.8, ...)`; "
        "`tile_shape` a multiple of 2 ** 3 = 8 such as 256; `overlap` at least half the "
        "receptive field, `ex.receptive_field`-style: 13 * 2 ** 3 - 8 = 96, so 48.",
    ],
    solution_code=('card_fields = {"normalization": (1, 99.8), "tile_shape": 256, "overlap": 48}'),
)


# --- Exercise 11.2: load safely, or refuse --------------------------------------------------------------


def load_or_none(path):
    """Load a saved model in safe mode; None if safe mode refuses it.

    Parameters
    ----------
    path : str or Path
        A model folder of :func:`cellcourse.packaging.save_model` or a ``.keras`` file.

    Returns
    -------
    keras.Model or None
        The model, or None when the file holds Python code (a ``Lambda`` layer) that safe
        mode will not run.

    Examples
    --------
    >>> model = load_or_none("models/from-a-colleague")  # doctest: +SKIP
    """
    from ..packaging import UnsafeModelError, load_model

    try:
        return load_model(path)
    except UnsafeModelError:
        return None


def _conv_model(keras, lambda_source: str | None = None):
    inputs = keras.Input((None, None, 1))
    x = inputs
    if lambda_source is not None:
        x = keras.layers.Lambda(eval(lambda_source), name="suspect")(x)  # noqa: S307 - the test's own code
    outputs = keras.layers.Conv2D(3, 1, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def _check_load_or_none(function) -> str | None:
    import keras

    if not callable(function):
        raise Incorrect(
            f"`load_or_none` should be a function, but it is {_describe(function)}. Pass the "
            "function itself: ex.q2.check(load_or_none)."
        )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        marker = tmp / "the_code_in_the_file_ran.txt"
        safe_file, suspect_file = tmp / "safe.keras", tmp / "suspect.keras"
        _conv_model(keras).save(safe_file)
        # a Lambda whose code leaves a trace: it creates a file when it runs
        source = f"lambda t: (__import__('pathlib').Path({str(marker)!r}).touch(), t)[1]"
        _conv_model(keras, source).save(suspect_file)
        marker.unlink(missing_ok=True)  # building the model above ran the code once
        try:
            loaded = function(safe_file)
        except Exception as exc:
            raise Incorrect(
                f"`load_or_none` raised {type(exc).__name__} for a model made only of standard "
                "layers; expected the model back."
            ) from exc
        if loaded is Ellipsis:
            raise _NotAttempted(
                "`load_or_none` still returns `...`. Replace the `...` in its body with your "
                "code, run that cell, then run this check again."
            )
        if not isinstance(loaded, keras.Model):
            raise Incorrect(
                f"for a model made only of standard layers, `load_or_none` returned "
                f"{_describe(loaded)}; expected the Keras model."
            )
        try:
            refused = function(suspect_file)
        except Exception as exc:
            raise Incorrect(
                f"for a model with a Lambda layer, `load_or_none` raised {type(exc).__name__}. "
                "Catch the refusal (`except cc.packaging.UnsafeModelError:`) and return None."
            ) from exc
        if marker.exists():
            raise Incorrect(
                "the Lambda layer's code ran while `load_or_none` loaded the file: it left a "
                "file on the disk. Code from a file of unknown origin could do anything your "
                "account can. Load with safe mode on (`cc.packaging.load_model(path)` without "
                "`trusted=True`)."
            )
        if refused is not None:
            raise Incorrect(
                f"for a model with a Lambda layer, `load_or_none` returned {_describe(refused)}; "
                "expected None (safe mode refuses such files)."
            )
    return "safe mode loaded the plain model and refused the one that carries code."


q2 = CodingExercise(
    chapter="11",
    name="q2",
    title="Load a model file from an unknown source safely, or get None",
    var="load_or_none",
    checker=_check_load_or_none,
    hints=[
        "`cc.packaging.load_model(path)` uses safe mode unless you pass `trusted=True`; when "
        "safe mode refuses a file it raises `cc.packaging.UnsafeModelError`.",
        "Wrap the call in `try: ... except cc.packaging.UnsafeModelError: return None`, and "
        "never pass `trusted=True` here.",
    ],
    solution_code=(
        "def load_or_none(path):\n"
        "    try:\n"
        "        return cc.packaging.load_model(path)\n"
        "    except cc.packaging.UnsafeModelError:\n"
        "        return None"
    ),
)


# --- Exercise 11.3: do two outputs agree within a tolerance? ------------------------------------------


def outputs_agree(a, b, atol=1e-4) -> bool:
    """True when two outputs have the same shape and differ nowhere by more than ``atol``.

    Parameters
    ----------
    a, b : ndarray
        Outputs of two models on the same inputs, e.g. ``(S, Y, X, K)``.
    atol : float
        Largest absolute difference allowed, ``>= 0``.

    Returns
    -------
    bool
        ``max |a - b| <= atol`` and ``a.shape == b.shape``; False if either holds NaN.

    Examples
    --------
    >>> outputs_agree(np.zeros(3), np.full(3, 1e-5))
    True
    >>> outputs_agree(np.zeros(3), np.zeros((1, 3)))
    False
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    return bool(np.all(np.abs(a - b) <= atol))  # NaN compares False


def _agree_inputs():
    rng = np.random.default_rng(0)
    probs = rng.random((2, 4, 4, 3))
    big = 10_000 + 1000 * rng.random((3, 5))  # rtol=1e-5 of these is 0.1 to 0.11
    with_nan = probs.copy()
    with_nan[0, 1, 2, 0] = np.nan
    twice = np.concatenate([probs[:1], probs[:1]])  # two equal images: broadcasting would match
    one_off = probs.copy()
    one_off[1, 2, 3, 1] += 3e-3
    return [
        ((probs, probs.copy(), 1e-4), {}, "two equal arrays"),
        ((probs, probs + 5e-5, 1e-4), {}, "arrays that differ by 5e-5 everywhere, atol 1e-4"),
        ((probs, one_off, 1e-4), {}, "arrays that differ in one value, by 3e-3"),
        ((big, big + 0.05, 1e-4), {}, "large values (10000 to 11000) that differ by 0.05"),
        ((twice, twice[:1], 1e-4), {}, "arrays of shapes (2, 4, 4, 3) and (1, 4, 4, 3)"),
        ((probs, with_nan, 1e-4), {}, "an array and a copy with one NaN"),
        ((np.zeros(4), np.full(4, 0.5), 0.5), {}, "differences exactly equal to atol"),
    ]


def _diagnose_agree(function) -> str:
    rng = np.random.default_rng(1)
    big = 10_000 + 1000 * rng.random((3, 5))  # rtol=1e-5 of these is 0.1 to 0.11
    probs = rng.random((2, 4, 4, 3))

    def call(*args):
        try:
            out = function(*args)
        except Exception:
            return None
        return bool(out) if isinstance(out, bool | np.bool_) else None

    if call(big, big + 0.05, 1e-4) is True:
        return (
            "`outputs_agree` accepts values near 10000 that differ by 0.05 with atol=1e-4: a "
            "relative tolerance sneaks in (`np.allclose` and `np.isclose` add rtol=1e-5 times "
            "the value). Compare `np.abs(a - b)` with `atol` alone."
        )
    twice = np.concatenate([probs[:1], probs[:1]])
    if call(twice, twice[:1], 1e-4) is True:
        return (
            "`outputs_agree` says arrays of different shapes agree: NumPy broadcasting "
            "stretched one over the other. Compare the shapes first."
        )
    one_off = probs.copy()
    one_off[0, 1, 1, 2] += 3e-3
    if call(probs, one_off, 1e-4) is True:
        return (
            "`outputs_agree` misses a single large difference: it seems to average the "
            "differences. The "
            "largest difference must stay within atol, not the mean."
        )
    nan = probs.copy()
    nan[0, 0, 0, 0] = np.nan
    if call(probs, nan, 1e-4) is True:
        return (
            "`outputs_agree` says an array with a NaN agrees with one without: "
            "`np.max(np.abs(a - b))` is NaN there, and `not (nan > atol)` is True. Test "
            "`np.all(np.abs(a - b) <= atol)`, which is False for a NaN."
        )
    if call(np.zeros(4), np.full(4, 0.5), 0.5) is False:
        return "`outputs_agree` rejects differences exactly equal to atol; allow <= atol."
    return ""


q3 = FunctionExercise(
    chapter="11",
    name="q3",
    title="Decide whether two models' outputs agree within an absolute tolerance",
    var="outputs_agree",
    reference=outputs_agree,
    test_inputs=_agree_inputs,
    diagnose=_diagnose_agree,
    probe=lambda: (np.zeros(2), np.zeros(2), 1e-4),
    hints=[
        "Two checks: the shapes must be equal (or broadcasting will compare arrays of "
        "different sizes), and the largest absolute difference must be at most `atol`.",
        "`a.shape == b.shape and np.all(np.abs(a - b) <= atol)`; `np.allclose` would add a "
        "relative tolerance, and `np.max(...) > atol` lets a NaN through.",
    ],
    solution_code=(
        "def outputs_agree(a, b, atol=1e-4):\n"
        "    a, b = np.asarray(a), np.asarray(b)\n"
        "    if a.shape != b.shape:\n"
        "        return False\n"
        "    return bool(np.all(np.abs(a - b) <= atol))"
    ),
)


# --- Exercise 11.4: reproducibility ----------------------------------------------------------------------

q4 = ThoughtExercise(
    chapter="11",
    name="q4",
    title=(
        "A colleague retrains your U-Net from your notebook, with the same seed, and gets a test "
        "Dice that differs from yours in the third decimal. What can cause it, and what should "
        "you save with your results so that such differences can be tracked down?"
    ),
    hints=[
        "The seed fixes the random numbers. What else goes into the result: the data, the "
        "code, the library versions, the hardware?",
        "Section 6 trains twice on this machine and compares the weights. Would a GPU, another "
        "TensorFlow version or another number of CPU threads add the numbers in the same order?",
    ],
    solution_code=(
        "A seed fixes the random numbers (initial weights, patches, shuffling, dropout), not "
        "the arithmetic. Floating-point addition is not associative, so anything that changes "
        "the order of the sums changes the last bits, and training amplifies them: a GPU "
        "instead of a CPU, non-deterministic GPU kernels (atomic adds in convolutions), another "
        "number of threads, another version of TensorFlow, Keras, NumPy or cuDNN, another "
        "backend. Differences also come from the data (another download, another split, a "
        "different number of images in quick mode) and from the code (an edited cell, cells "
        "run out of order). Save with the results: the code version (a git commit), the "
        "budget (quick or full), the seed, the data set and split (names of the images), the "
        "`cellcourse doctor` report (Python, Keras, backend and their versions, GPU), and the "
        "model card with its metrics; use the same container image to rerun. Then judge a "
        "difference by its size: a few thousandths of Dice between runs is noise; compare "
        "models by the spread over several seeds, not by one run each."
    ),
)
