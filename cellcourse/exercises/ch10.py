"""Exercises of chapter 10, augmented microscopy (In silico labeling: phase contrast to DAPI).

Used in ``solutions/10_augmented_microscopy.ipynb``::

    from cellcourse.exercises import ch10 as ex
    ex.q1.check(pearson)

The course's versions of the chapter's functions live in the library:
:func:`cellcourse.metrics.pearson_r` (Exercise 10.1),
:func:`cellcourse.virtual_staining.fit_linear_baseline` (Exercise 10.2) and
:func:`cellcourse.models.unet` with ``head="linear"`` (Exercise 10.3).
"""

from __future__ import annotations

import functools

import numpy as np

from ._core import (
    CodingExercise,
    FunctionExercise,
    Incorrect,
    ThoughtExercise,
    describe,
    known_mistake,
)
from ._core import call_as_array as _call_as_array

__all__ = ["FIELD_SHAPE", "MARGIN", "TEST_QUADRANT", "q1", "q2", "q3", "q4", "q5"]

# the chapter's split of the field of view; the notebook uses these same values
FIELD_SHAPE = (1024, 1024)
TEST_QUADRANT = "bottom_right"
MARGIN = 32


# --- Exercise 10.1: Pearson's correlation coefficient -------------------------------------------------


def _pearson_reference(y_true, y_pred):
    from ..metrics import pearson_r

    return pearson_r(y_true, y_pred)


def _pearson_inputs():
    rng = np.random.default_rng(101)
    t = np.array([[0.0, 1.0], [2.0, 3.0]])
    image = rng.random((12, 10))
    noisy = 0.5 * image + 0.2 + rng.normal(0, 0.15, image.shape)
    return [
        ((t, np.array([[0.0, 1.0], [3.0, 2.0]])), {}, "two 2 × 2 images (r = 0.8 by hand)"),
        ((t, 3 * t - 7), {}, "a 2 × 2 image and 3 times it minus 7"),
        ((image, noisy), {}, "a 12 × 10 image and a noisy, dimmer copy with an offset"),
        ((image, -image + 5), {}, "a 12 × 10 image and its negative plus 5"),
        ((image + 10, rng.random((12, 10))), {}, "two unrelated 12 × 10 images, one bright"),
    ]


def _diagnose_pearson(function) -> str:
    rng = np.random.default_rng(7)
    t = rng.random((6, 5)) + 2.0
    p = 0.7 * t + rng.normal(0, 0.2, t.shape) + 1.0
    out = _call_as_array(function, t, p)
    if out is None:
        return ""
    if out.shape == (2, 2):
        return (
            "`pearson` returns a 2 × 2 matrix: `np.corrcoef` gives the correlations of every "
            "pair of its inputs. The number you want is its off-diagonal element, "
            "`np.corrcoef(a, b)[0, 1]` (on flattened images)."
        )
    if out.size != 1:
        return ""
    got = float(out.reshape(()))
    tc, pc = t - t.mean(), p - p.mean()
    r = np.sum(tc * pc) / np.sqrt(np.sum(tc**2) * np.sum(pc**2))
    n = t.size
    mistakes = {
        np.sum(t * p) / np.sqrt(np.sum(t**2) * np.sum(p**2)): (
            "`pearson` forgets to subtract the means: this is the cosine similarity, which a "
            "constant offset (a brighter background) changes. Centre both images first."
        ),
        r**2: "`pearson` returns r squared (the coefficient of determination); return r itself.",
        np.mean(tc * pc): (
            "`pearson` returns the covariance; divide it by both standard deviations, so that "
            "the score no longer depends on the brightness scale."
        ),
        r * n / (n - 1): (
            "`pearson` mixes two conventions: the covariance divides by n - 1 (`np.cov`) but "
            "the standard deviations by n (`np.std`). Use the same for both, e.g. `ddof=1` in "
            "`np.std`, or sums of products throughout."
        ),
    }
    return known_mistake(got, mistakes, rtol=1e-6, atol=0.0)


q1 = FunctionExercise(
    diagnose=_diagnose_pearson,
    chapter="10",
    name="q1",
    title="Compute Pearson's correlation coefficient between a true and a predicted image",
    var="pearson",
    reference=_pearson_reference,
    test_inputs=_pearson_inputs,
    probe=lambda: (np.arange(4.0), np.arange(4.0)),
    hints=[
        "Flatten both images, subtract each one's mean, then r = sum(t * p) / "
        "sqrt(sum(t * t) * sum(p * p)) for the centred values t and p.",
        "NumPy has it too: `np.corrcoef(y_true.ravel(), y_pred.ravel())` is a 2 × 2 matrix whose "
        "element `[0, 1]` is r.",
    ],
    solution_code=(
        "def pearson(y_true, y_pred):\n"
        "    t = y_true.ravel() - y_true.mean()\n"
        "    p = y_pred.ravel() - y_pred.mean()\n"
        "    return np.sum(t * p) / np.sqrt(np.sum(t * t) * np.sum(p * p))"
    ),
)


# --- Exercise 10.2: the per-pixel linear baseline ------------------------------------------------------


def _linear_reference(inputs, target, train_mask):
    from ..virtual_staining import fit_linear_baseline

    return fit_linear_baseline(inputs, target, train_mask)


def _linear_case(seed, shape, weights, intercept, noise, outliers):
    rng = np.random.default_rng(seed)
    inputs = rng.random((*shape, len(weights)))
    target = inputs @ np.asarray(weights) + intercept + rng.normal(0, noise, shape)
    train = np.zeros(shape, dtype=bool)
    train[: shape[0] // 2] = True
    if outliers:
        target[~train] = rng.random(int((~train).sum())) * 50  # test pixels unlike the rest
    return inputs, target, train


def _linear_inputs():
    return [
        (
            _linear_case(1, (6, 4), [2.0, -1.0], 0.5, 0.0, False),
            {},
            "a 6 × 4 image with 2 channels, target exactly 2 x1 - x2 + 0.5",
        ),
        (
            _linear_case(2, (10, 8), [0.3, 0.1, -0.4], 1.0, 0.05, False),
            {},
            "a 10 × 8 image with 3 channels and a noisy target",
        ),
        (
            _linear_case(3, (12, 6), [1.0, 2.0], -3.0, 0.01, True),
            {},
            "a 12 × 6 image whose pixels outside train_mask follow no rule",
        ),
    ]


def _diagnose_linear(function) -> str:
    inputs, target, train = _linear_case(3, (12, 6), [1.0, 2.0], -3.0, 0.01, True)
    out = _call_as_array(function, inputs, target, train)
    if out is None:
        return ""
    expected = _linear_reference(inputs, target, train)
    if out.shape == (2,):
        return (
            "`fit_linear` returns one weight per channel but no intercept: add a column of "
            "ones to the design matrix, and return the weights followed by the intercept, "
            "shape (C + 1,)."
        )
    if out.shape != expected.shape:
        return ""
    if np.allclose(out, np.roll(expected, 1), rtol=1e-4, atol=1e-6):
        return (
            "`fit_linear` returns the intercept first; the task (and the course's "
            "`predict_linear_baseline`) wants the C weights first and the intercept last."
        )
    everywhere = _linear_reference(inputs, target, np.ones(train.shape, dtype=bool))
    if np.allclose(out, everywhere, rtol=1e-4, atol=1e-6):
        return (
            "`fit_linear` fits on every pixel, test pixels included: use only the pixels where "
            "`train_mask` is True (`inputs[train_mask]`, `target[train_mask]`). A baseline that "
            "has seen the test pixels is no fair comparison."
        )
    return ""


q2 = FunctionExercise(
    diagnose=_diagnose_linear,
    chapter="10",
    name="q2",
    title="Fit the per-pixel linear regression from the z-planes, on training pixels only",
    var="fit_linear",
    reference=_linear_reference,
    test_inputs=_linear_inputs,
    rtol=1e-4,
    atol=1e-6,
    probe=lambda: _linear_case(1, (6, 4), [2.0, -1.0], 0.5, 0.0, False),
    hints=[
        "Take the training pixels only: `inputs[train_mask]` is an (N, C) table, one row per "
        "pixel, and `target[train_mask]` the N values to predict. Add a column of ones for the "
        "intercept: `np.column_stack([table, np.ones(len(table))])`.",
        "`np.linalg.lstsq(design, values, rcond=None)[0]` solves the least-squares problem; "
        "with the column of ones last, it returns the C weights and then the intercept.",
    ],
    solution_code=(
        "def fit_linear(inputs, target, train_mask):\n"
        "    table = inputs[train_mask]  # (N, C): one row per training pixel\n"
        "    design = np.column_stack([table, np.ones(len(table))])\n"
        "    coef, *_ = np.linalg.lstsq(design, target[train_mask], rcond=None)\n"
        "    return coef"
    ),
)


# --- Exercise 10.3: a U-Net for regression -------------------------------------------------------------


def _last_activation(model) -> str:
    import keras

    layer = model.layers[-1]
    activation = getattr(layer, "activation", None)
    if activation is None and isinstance(layer, keras.layers.Activation):
        activation = layer.activation
    return getattr(activation, "__name__", "") if activation is not None else "linear"


def _check_regression_unet(model) -> str | None:
    import keras

    if not isinstance(model, keras.Model):
        raise Incorrect(
            f"`model` is {describe(model)}; expected a Keras model, e.g. from `cc.models.unet(...)`."
        )
    try:
        input_shape = tuple(model.input_shape)
        output_shape = tuple(model.output_shape)
    except Exception as exc:
        raise Incorrect("`model` has no input shape yet; build it with an input shape.") from exc
    if len(input_shape) != 4:
        raise Incorrect(
            f"`model` takes inputs of shape {input_shape}; an image model takes (batch, Y, X, C)."
        )
    channels = input_shape[-1]
    if channels is None or channels < 2:
        raise Incorrect(
            f"`model` takes {channels} input channel(s); the task feeds it several z-planes at "
            "once, one per channel: `input_shape=(None, None, len(z_planes))`."
        )
    activation = _last_activation(model)
    if activation in ("softmax", "sigmoid"):
        what = "probabilities that sum to 1" if activation == "softmax" else "values in (0, 1)"
        raise Incorrect(
            f"the last layer of `model` has a {activation} activation, which gives {what}. A "
            "normalised fluorescence image is a brightness, which can go below 0 and above 1: "
            'use a linear head (`head="linear"`).'
        )
    if activation not in ("linear", ""):
        raise Incorrect(
            f"the last layer of `model` has a {activation} activation; for regression the "
            'head should be linear (`head="linear"`).'
        )
    if output_shape[-1] != 1:
        raise Incorrect(
            f"`model` gives {output_shape[-1]} output channels; one stain is one image: "
            "`n_outputs=1`."
        )
    size = 2**4 * 2  # 32 pixels: divisible by 2 ** depth up to depth 4
    try:
        out = keras.ops.convert_to_numpy(model(np.zeros((1, size, size, channels), np.float32)))
    except Exception as exc:
        raise Incorrect(
            f"`model` failed on a batch of one {size} × {size} image with {channels} channels: "
            f"{type(exc).__name__}. Leave Y and X as None in the input shape."
        ) from exc
    if out.shape != (1, size, size, 1):
        raise Incorrect(
            f"`model` turns a {size} × {size} image into an output of shape {out.shape[1:]}; an "
            f"image-to-image model keeps Y and X: expected ({size}, {size}, 1)."
        )
    return None


q3 = CodingExercise(
    chapter="10",
    name="q3",
    title="Build a U-Net for image-to-image regression: several z-planes in, one stain out",
    var="model",
    checker=_check_regression_unet,
    hints=[
        "Chapter 07's `cc.models.unet` builds it; three arguments change for regression: the "
        "number of input channels (one per z-plane), the number of outputs, and the `head`.",
        '`cc.models.unet(input_shape=(None, None, len(z_planes)), n_outputs=1, head="linear", '
        "depth=3, base_filters=base_filters, batch_norm=False)`.",
    ],
    solution_code=(
        "model = cc.models.unet(\n"
        '    input_shape=(None, None, len(z_planes)), n_outputs=1, head="linear",\n'
        "    depth=3, base_filters=base_filters, batch_norm=False,\n"
        ")"
    ),
)


# --- Exercise 10.4: predicting MAP2 ------------------------------------------------------------------


def _truth_and_linear_r(channel: str) -> tuple[np.ndarray, float]:
    """The raw target of the test quadrant, and the Pearson r of the 13-plane linear baseline."""
    from ..config import settings

    truth, linear_r = _truth_and_linear_r_cached(channel, str(settings().data_dir))
    return truth.copy(), linear_r


@functools.lru_cache(maxsize=4)
def _truth_and_linear_r_cached(channel: str, data_dir: str) -> tuple[np.ndarray, float]:
    from ..datasets import load_insilico_labeling
    from ..metrics import pearson_r
    from ..virtual_staining import (
        fit_linear_baseline,
        predict_linear_baseline,
        region_box,
        spatial_split,
    )

    data = load_insilico_labeling(channels=[channel], progress=False)
    split = spatial_split(FIELD_SHAPE, TEST_QUADRANT, margin=MARGIN)
    inputs = np.moveaxis(data.phase, 0, -1)
    target = data.targets[channel]
    coef = fit_linear_baseline(inputs, target, split.mask("train"))
    box = region_box(split, "test")
    linear = predict_linear_baseline(inputs[box], coef)
    return target[box], pearson_r(target[box], linear)


def _check_map2(map2_test) -> str | None:
    from ..metrics import pearson_r

    box_shape = (FIELD_SHAPE[0] // 2 - MARGIN, FIELD_SHAPE[1] // 2 - MARGIN)
    array = np.asarray(map2_test) if isinstance(map2_test, np.ndarray) else None
    if array is None or array.dtype.kind not in "iuf":
        raise Incorrect(
            f"`map2_test` is {describe(map2_test)}; expected a NumPy array of shape {box_shape}: "
            "the predicted MAP2 image of the test quadrant."
        )
    if array.shape == (*box_shape, 1):
        raise Incorrect(
            f"`map2_test` has shape {array.shape}; drop the channel axis (`[..., 0]`) to get "
            f"{box_shape}."
        )
    if array.shape == FIELD_SHAPE:
        raise Incorrect(
            f"`map2_test` covers the whole field {array.shape}; the score is on the test "
            "quadrant only: crop it with `prediction[test_box]`."
        )
    if array.shape != box_shape:
        raise Incorrect(
            f"`map2_test` has shape {array.shape}; expected the test quadrant, {box_shape} "
            f"(`test_box` of the split with margin {MARGIN})."
        )
    if not np.all(np.isfinite(array)):
        raise Incorrect("`map2_test` holds NaN or infinite values: did the training diverge?")
    truth, linear_r = _truth_and_linear_r("MAP2")
    r = pearson_r(truth, array)
    dapi_truth, _ = _truth_and_linear_r("DAPI")
    r_dapi = pearson_r(dapi_truth, array)
    if np.isfinite(r_dapi) and (not np.isfinite(r) or r_dapi > r + 0.1):
        raise Incorrect(
            f"`map2_test` correlates better with the true DAPI (r = {r_dapi:.2f}) than with "
            f"the true MAP2 (r = {r:.2f}): is it the DAPI prediction? Train on "
            '`data.targets["MAP2"]`.'
        )
    if not np.isfinite(r) or r <= linear_r:
        shown = "undefined (a constant image)" if not np.isfinite(r) else f"{r:.2f}"
        raise Incorrect(
            f"the Pearson r of `map2_test` with the true MAP2 is {shown}, no better than the "
            f"per-pixel linear baseline ({linear_r:.2f}). Train longer, or check the inputs "
            "and the target's normalisation."
        )
    return (
        f"Pearson r with the true MAP2 in the test quadrant: {r:.3f} (per-pixel linear "
        f"baseline from all 13 planes: {linear_r:.3f})."
    )


q4 = CodingExercise(
    chapter="10",
    name="q4",
    title="Predict MAP2 (dendrites and neuronal somata) from the same z-planes",
    var="map2_test",
    checker=_check_map2,
    hints=[
        "Everything but the target stays the same: the z-planes, the split, the U-Net, the "
        "training. `train_stain` from section 5 takes the name of the channel.",
        '`train_stain("MAP2")` returns the model, its training history and its prediction of '
        'the test quadrant: `map2_model, map2_history, map2_test = train_stain("MAP2")`.',
    ],
    solution_code='map2_model, map2_history, map2_test = train_stain("MAP2")',
)


# --- Exercise 10.5: trusting a virtual stain ---------------------------------------------------------

q5 = ThoughtExercise(
    chapter="10",
    name="q5",
    title=(
        "A colleague wants to replace the DAPI stain of a drug screen by this network's "
        "prediction. What could go wrong, and what would you check before agreeing?"
    ),
    hints=[
        "The network learned from one field of one culture on one day. What changes in a "
        "drug screen: the cells, their density, the focus, the microscope?",
        "A drug that changes nuclei (condensed, fragmented, enlarged) changes the DNA stain. "
        "Can the network see that in phase contrast, or will it paint a typical nucleus?",
    ],
    solution_code=(
        "A virtual stain is a prediction of what the stain would show, learned from examples; "
        "it is not a measurement. Trained on one field of one culture, the network has seen one "
        "cell density, one focus and one microscope: in new conditions it can fail without "
        "warning. Worse, it can hallucinate: paint a plausible, typical nucleus where the phase "
        "image is ambiguous, and miss what it never saw, such as the condensed or fragmented "
        "nuclei of dying cells that a drug may cause, which is precisely the effect a screen "
        "looks for. Pearson r and SSIM average over all pixels and hide such rare errors. Before "
        "agreeing: keep the real stain on a sample of wells of every plate and condition, and "
        "compare the measurements that matter (counts, sizes, intensities per condition) "
        "between real and virtual stain, not only pixel scores; look at the errors, "
        "especially in treated wells; retrain or fine-tune on the new conditions; and report "
        "the virtual stain as a prediction with its measured error."
    ),
)
