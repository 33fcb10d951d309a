"""Tests for cellcourse.targets: three-class targets, distance maps, one-hot, validation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from cellcourse.synthetic import nuclei_image
from cellcourse.targets import boundary_classes, distance_map, one_hot


def _two_touching_squares():
    """Two 5 x 5 squares side by side (columns 1-5 and 6-10), touching along one line."""
    labels = np.zeros((7, 12), dtype=np.int32)
    labels[1:6, 1:6] = 1
    labels[1:6, 6:11] = 2
    return labels


def test_boundary_classes_by_hand():
    classes = boundary_classes(_two_touching_squares())
    # each square: a one-pixel ring (including the contact column) around a 3 x 3 interior
    expected_square = np.full((5, 5), 2, np.uint8)
    expected_square[1:4, 1:4] = 1
    expected = np.zeros((7, 12), np.uint8)
    expected[1:6, 1:6] = expected_square
    expected[1:6, 6:11] = expected_square
    np.testing.assert_array_equal(classes, expected)
    assert classes.dtype == np.uint8


def test_boundary_width_thickens_inwards_only():
    labels = np.zeros((11, 11), dtype=np.int32)
    labels[1:10, 1:10] = 7  # 9 x 9 square, any id
    classes = boundary_classes(labels, boundary_width=2)
    np.testing.assert_array_equal(classes == 0, labels == 0)  # background unchanged
    interior = np.zeros((11, 11), bool)
    interior[3:8, 3:8] = True  # two rings of boundary leave 5 x 5 interior
    np.testing.assert_array_equal(classes == 1, interior)
    assert (classes == 2).sum() == 81 - 25


@pytest.mark.parametrize("width", [1, 2, 3])
def test_interiors_of_touching_nuclei_never_touch(width):
    _, labels = nuclei_image((96, 96), n_nuclei=40, touching=True, noise=False, rng=3)
    touching_pairs = (ndi.maximum_filter(labels, size=3) != ndi.minimum_filter(labels, size=3)) & (
        ndi.minimum_filter(labels, size=3) > 0
    )
    assert touching_pairs.any()  # the fixture really has nuclei in contact
    classes = boundary_classes(labels, boundary_width=width)
    interior_ids = np.where(classes == 1, labels, 0)
    # in every 3 x 3 window of interior pixels there is only one nucleus id
    grown = ndi.maximum_filter(interior_ids, size=3)
    shrunk = ndi.minimum_filter(np.where(interior_ids > 0, interior_ids, labels.max() + 1), size=3)
    assert not np.any((interior_ids > 0) & (grown != shrunk))
    np.testing.assert_array_equal(classes > 0, labels > 0)


def test_boundary_classes_stack_matches_single_images():
    _, a = nuclei_image((32, 40), n_nuclei=5, noise=False, rng=0)
    _, b = nuclei_image((32, 40), n_nuclei=5, noise=False, rng=1)
    stack = boundary_classes(np.stack([a, b]))
    assert stack.shape == (2, 32, 40)
    # a stack is not a 3-D volume: each image as if it came alone
    np.testing.assert_array_equal(stack[0], boundary_classes(a))
    np.testing.assert_array_equal(stack[1], boundary_classes(b))


def test_distance_map_touching_objects_by_hand():
    labels = _two_touching_squares()
    raw = distance_map(labels, normalize=False)
    # the 5 x 5 square: 1 on the ring, 2 on the next ring, 3 at the centre,
    # also along the contact column (the other square counts as outside)
    expected_square = np.array(
        [[1, 1, 1, 1, 1], [1, 2, 2, 2, 1], [1, 2, 3, 2, 1], [1, 2, 2, 2, 1], [1, 1, 1, 1, 1]],
        np.float32,
    )
    np.testing.assert_array_equal(raw[1:6, 1:6], expected_square)
    np.testing.assert_array_equal(raw[1:6, 6:11], expected_square)
    assert raw[labels == 0].max() == 0
    normalised = distance_map(labels)
    assert normalised.dtype == np.float32
    np.testing.assert_allclose(normalised[1:6, 1:6], expected_square / 3)


def test_distance_map_each_object_peaks_at_one_and_image_edge_is_outside():
    labels = np.zeros((6, 9), dtype=np.int64)
    labels[:, :3] = 4  # cut by the image edge on three sides
    labels[2:4, 5:7] = 9  # 2 x 2: every pixel on the edge
    d = distance_map(labels)
    assert d[labels == 4].max() == pytest.approx(1) and d[labels == 9].max() == 1
    np.testing.assert_array_equal(d[labels == 9], 1)
    raw = distance_map(labels, normalize=False)
    assert raw[0, 0] == 1  # a corner pixel: the edge of the image bounds the object


def test_distance_map_skips_unused_ids_and_handles_empty_images():
    labels = np.zeros((2, 5, 5), dtype=np.int32)
    labels[0, 1:4, 1:4] = 5  # ids 1..4 unused
    d = distance_map(labels)
    assert d.shape == (2, 5, 5)
    assert d[0, 2, 2] == 1 and d[0, 1, 1] == 0.5
    assert not d[1].any()


def test_one_hot():
    encoded = one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert encoded.shape == (2, 2, 3) and encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded.argmax(-1), [[0, 2], [1, 1]])
    np.testing.assert_array_equal(encoded.sum(-1), 1)
    with pytest.raises(ValueError, match=r"from 0 to 1 for n_classes=2; got values from 0 to 2"):
        one_hot(np.array([0, 2]), 2)
    with pytest.raises(TypeError, match="integer class indices; got dtype float64"):
        one_hot(np.array([0.5]), 2)


@pytest.mark.parametrize("function", [boundary_classes, distance_map])
def test_validation_messages_say_expected_and_received(function):
    with pytest.raises(ValueError, match=r"expected non-negative labels.*got a minimum of -1"):
        function(np.array([[0, -1], [1, 1]]))
    with pytest.raises(TypeError, match=r"got dtype float64.*astype\(np.int32\)"):
        function(np.array([[0.0, 1.5], [1.0, 1.0]]))
    with pytest.raises(
        ValueError, match=r"shape \(Y, X\) or \(S, Y, X\); got an array of shape \(4,\)"
    ):
        function(np.arange(4))
    with pytest.raises(ValueError, match=r"got an array of shape \(1, 2, 3, 4\)"):
        function(np.zeros((1, 2, 3, 4), int))
    with pytest.raises(TypeError, match=r"got a boolean mask.*skimage.measure.label"):
        function(np.ones((3, 3), bool))
    with pytest.raises(TypeError, match="got dtype <U1"):
        function(np.array([["a"]]))
    # floats are refused even when whole: one rule with metrics and postprocess
    with pytest.raises(TypeError, match="got dtype float32"):
        function(_two_touching_squares().astype(np.float32))


def test_boundary_width_validation():
    labels = _two_touching_squares()
    with pytest.raises(ValueError, match="boundary_width >= 1.*got 0"):
        boundary_classes(labels, boundary_width=0)
    with pytest.raises(TypeError, match="boundary_width as an int >= 1; got 1.5"):
        boundary_classes(labels, boundary_width=1.5)
    with pytest.raises(TypeError, match="normalize as True or False; got 1"):
        distance_map(labels, normalize=1)
