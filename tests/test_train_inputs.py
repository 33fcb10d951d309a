"""Tests for the input checks of chapter 06's bug hunt: value range, and channels-first images."""

from __future__ import annotations

import numpy as np
import pytest

from cellcourse.train import check_classification_data, check_input_range

# ----------------------------------------------------------------------------------------
# check_input_range: values that fit
# ----------------------------------------------------------------------------------------


def _ramp(low, high, shape=(2, 4, 5, 3), dtype=np.float32):
    """Values evenly from low to high (ends included), in the given shape."""
    return np.linspace(low, high, int(np.prod(shape))).reshape(shape).astype(dtype)


@pytest.mark.parametrize(
    "x",
    [
        _ramp(0, 1),
        _ramp(-0.05, 1.3),  # percentile-normalised: a little outside 0-1 is fine
        np.zeros((3, 4, 4, 1)),  # constant and in range: nothing to tell
        _ramp(0, 1, shape=(4, 4)),  # one grey image: any shape
        _ramp(0.2, 0.6),  # a dim batch is not "squashed": 40 % of the range
    ],
    ids=["0-1", "percentile", "zeros", "one-image", "dim"],
)
def test_values_in_range_pass_quietly(x):
    assert check_input_range(x) is None


def test_a_few_hot_pixels_are_ignored():
    x = _ramp(0, 1, shape=(10, 20, 20, 3))  # 12,000 values
    x.flat[:5] = 255.0  # 5 hot pixels: 0.04 %, below the 99.9 percentile
    check_input_range(x)
    x.flat[:100] = 255.0  # 0.8 % of the values: not a few any more
    with pytest.raises(ValueError, match="far larger than in training"):
        check_input_range(x)


def test_other_expected_ranges():
    check_input_range(np.arange(256, dtype=np.uint8), expected=(0, 255))
    check_input_range(_ramp(0, 1), expected=(-1, 1))  # half the range of -1..1 is used
    with pytest.raises(ValueError, match="about -1 to 1.*raw 8-bit"):
        check_input_range(np.arange(256, dtype=np.uint8), expected=(-1, 1))
    # margin: how far out the bulk may lie, as a fraction of the range
    check_input_range(_ramp(0, 1.4))
    with pytest.raises(ValueError, match="far larger"):
        check_input_range(_ramp(0, 1.4), margin=0.2)


# ----------------------------------------------------------------------------------------
# check_input_range: what the values look like, in the message
# ----------------------------------------------------------------------------------------


def test_raw_8_bit_pixels_whole_message():
    raw = np.array([[0, 17], [128, 255]], dtype=np.uint8)
    with pytest.raises(ValueError) as error:
        check_input_range(raw)
    assert str(error.value) == (
        "expected values of about 0 to 1, as the model was trained on; got uint8 values 0 to "
        "255: raw 8-bit pixels? Scale them as the training images were, e.g. "
        "x.astype(np.float32) / 255"
    )


def test_raw_pixels_converted_to_float_are_still_raw():
    # astype(np.float32) alone: the usual bug
    x = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1).astype(np.float32)
    with pytest.raises(ValueError, match=r"float32 values 0 to 255 \(whole numbers\): raw 8-bit"):
        check_input_range(x)


@pytest.mark.parametrize(
    ("maximum", "match"),
    [(4095, r"uint16 values 0 to 4095: raw 12-bit"), (65535, r"0 to 65535: raw 16-bit")],
)
def test_raw_12_and_16_bit_pixels(maximum, match):
    x = np.linspace(0, maximum, 64).round().astype(np.uint16).reshape(1, 8, 8, 1)
    with pytest.raises(ValueError, match=match):
        check_input_range(x)
    with pytest.raises(ValueError, match="normalize_percentile"):
        check_input_range(x)


def test_large_values_that_are_not_pixels():
    with pytest.raises(ValueError, match=r"0 to 300\.5: values far larger"):
        check_input_range(_ramp(0, 300.5))


def test_values_for_another_network():
    with pytest.raises(ValueError, match=r"values -1 to 1: scaled for another network"):
        check_input_range(_ramp(-1, 1))


def test_values_scaled_twice():
    x = np.arange(256, dtype=np.float32) / 255 / 255  # 0 to 1/255
    with pytest.raises(ValueError, match=r"0 to 0\.003922: .*less than 5 %.*divided by 255 twice"):
        check_input_range(x)
    twelve_bit = np.linspace(0, 4095, 100) / 65535  # 0 to 0.0625: 6 % of the range
    check_input_range(twelve_bit)  # dim, but above the 5 % line


# ----------------------------------------------------------------------------------------
# check_input_range: bad arguments
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "kwargs", "error", "match"),
    [
        ([[0.0, 1.0]], {}, TypeError, "NumPy array; got list"),
        (np.array(["a", "b"]), {}, TypeError, "numbers.*dtype <U1"),
        (np.zeros((0, 4, 4, 3)), {}, ValueError, r"at least one value.*\(0, 4, 4, 3\)"),
        (np.array([0.0, np.nan, np.inf]), {}, ValueError, "got 1 NaN and 1 infinite"),
        (np.zeros(3), {"expected": (1, 0)}, ValueError, "low < high"),
        (np.zeros(3), {"expected": "01"}, TypeError, "pair of numbers"),
        (np.zeros(3), {"expected": (0, np.inf)}, TypeError, "pair of numbers"),
        (np.zeros(3), {"margin": -1}, TypeError, "margin as a number >= 0"),
    ],
    ids=["list", "strings", "empty", "nan", "reversed", "text", "infinite", "margin"],
)
def test_bad_arguments_are_explained(x, kwargs, error, match):
    with pytest.raises(error, match=match):
        check_input_range(x, **kwargs)


# ----------------------------------------------------------------------------------------
# check_classification_data: channels first
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def test_channels_first_images_are_named(keras):
    from cellcourse.models import linear_classifier

    model = linear_classifier((8, 6, 3), n_classes=3)
    with pytest.raises(ValueError) as error:
        check_classification_data(model, np.zeros((2, 3, 8, 6)))
    assert str(error.value) == (
        "expected images of shape (S, 8, 6, 3) for model 'linear', got (2, 3, 8, 6): channels "
        "first? The model takes the channel axis C last (S, Y, X, C); these have it second "
        "(S, C, Y, X), as PyTorch and many TIFF readers give it. Move it with "
        "np.moveaxis(x, 1, -1); x.reshape would scramble the pixels"
    )
    # the suggested fix fits
    check_classification_data(model, np.moveaxis(np.zeros((2, 3, 8, 6)), 1, -1))


def test_channels_first_with_free_sizes(keras):
    inputs = keras.Input((None, None, 3))
    outputs = keras.layers.Dense(2, activation="softmax")(
        keras.layers.GlobalAveragePooling2D()(inputs)
    )
    free = keras.Model(inputs, outputs, name="free")
    with pytest.raises(ValueError, match=r"got \(2, 3, 5, 7\): channels first\?"):
        check_classification_data(free, np.zeros((2, 3, 5, 7)))


def test_other_mismatches_are_not_called_channels_first(keras):
    from cellcourse.models import linear_classifier

    model = linear_classifier((8, 8, 3), n_classes=3)
    for shape in [(2, 3, 9, 8), (2, 8, 8, 1), (2, 1, 8, 8)]:
        with pytest.raises(ValueError) as error:
            check_classification_data(model, np.zeros(shape))
        assert "channels first" not in str(error.value), shape
