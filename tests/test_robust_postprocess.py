"""Robustness of cellcourse.postprocess: random label images and predicted maps, invariants that must hold.

Property-based (hypothesis, derandomized): ``relabel`` numbers objects 1..n
and keeps the partition, ``remove_small_objects`` only ever removes whole
small objects, and the ``labels_from_*`` functions never crash on random maps
and always return valid label images that cover exactly their foreground.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import ndimage as ndi
from strategies import class_probabilities, label_images

from cellcourse.postprocess import (
    classical_labels,
    labels_from_classes,
    labels_from_distance,
    relabel,
    remove_small_objects,
)


def assert_valid_labels(labels, shape) -> int:
    """An int32 label image of ``shape`` with values exactly 0..n (0 maybe absent); returns n."""
    assert labels.dtype == np.int32
    assert labels.shape == shape
    values = np.unique(labels[labels > 0])
    n = values.size
    np.testing.assert_array_equal(values, np.arange(1, n + 1))
    return n


# --- clean-up ----------------------------------------------------------------------------
@settings(max_examples=100, deadline=None, derandomize=True)
@given(labels=label_images(max_side=16))
def test_relabel_numbers_objects_one_to_n_keeping_partition_and_order(labels):
    out = relabel(labels)
    old = np.unique(labels[labels > 0])
    assert assert_valid_labels(out, labels.shape) == old.size
    np.testing.assert_array_equal(out > 0, labels > 0)
    # the k-th smallest old value becomes k: same objects, same order
    expected = np.searchsorted(old, labels) + 1
    np.testing.assert_array_equal(out, np.where(labels > 0, expected, 0))
    np.testing.assert_array_equal(relabel(out), out)  # idempotent


@settings(max_examples=100, deadline=None, derandomize=True)
@given(labels=label_images(max_side=16), min_size=st.integers(0, 30))
def test_remove_small_objects_never_adds_pixels_and_drops_exactly_the_small(labels, min_size):
    out = remove_small_objects(labels, min_size)
    assert out.dtype == labels.dtype and out.shape == labels.shape
    kept = out > 0
    np.testing.assert_array_equal(out[kept], labels[kept])  # never a new or changed pixel
    values, sizes = np.unique(labels[labels > 0], return_counts=True)
    expected_kept = (
        set(values[sizes >= min_size].tolist()) if min_size > 1 else set(values.tolist())
    )
    assert set(np.unique(out[kept]).tolist()) == expected_kept
    # kept objects keep every one of their pixels
    np.testing.assert_array_equal(kept, np.isin(labels, list(expected_kept)) & (labels > 0))
    if min_size <= 1:
        np.testing.assert_array_equal(out, labels)


# --- from predicted maps -----------------------------------------------------------------
@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    probabilities=class_probabilities(),
    interior_threshold=st.sampled_from([0.0, 0.3, 0.5, 0.9]),
    min_size=st.integers(0, 6),
)
def test_labels_from_classes_gives_valid_labels_on_random_maps(
    probabilities, interior_threshold, min_size
):
    labels = labels_from_classes(probabilities, interior_threshold, min_size)
    assert_valid_labels(labels, probabilities.shape[:2])
    background, interior, boundary = np.moveaxis(probabilities, -1, 0)
    foreground = interior + boundary > background
    assert not np.any((labels > 0) & ~foreground)  # objects only on the foreground
    sizes = np.bincount(labels.ravel())[1:]
    assert np.all(sizes >= max(min_size, 1))
    if min_size <= 1:  # nothing removed: every foreground pixel belongs to an object
        np.testing.assert_array_equal(labels > 0, foreground)


_DISTANCE_MAPS = st.tuples(st.integers(1, 16), st.integers(1, 16)).flatmap(
    lambda shape: st.one_of(
        hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 10.0, allow_subnormal=False)),
        hnp.arrays(np.int32, shape, elements=st.integers(0, 5)),
    )
)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    distance=st.one_of(
        _DISTANCE_MAPS,
        label_images(max_side=16, big_labels=False).map(
            lambda labels: ndi.distance_transform_edt(labels > 0)
        ),
    ),
    threshold=st.sampled_from([0.0, 0.05, 0.5, 2.0]),
    min_distance=st.integers(1, 4),
    min_size=st.integers(0, 6),
)
def test_labels_from_distance_gives_valid_labels_on_random_maps(
    distance, threshold, min_distance, min_size
):
    labels = labels_from_distance(distance, threshold, min_distance, min_size)
    assert_valid_labels(labels, distance.shape)
    foreground = distance > threshold
    assert not np.any((labels > 0) & ~foreground)
    assert np.all(np.bincount(labels.ravel())[1:] >= max(min_size, 1))
    if min_size <= 1:
        np.testing.assert_array_equal(labels > 0, foreground)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    image=st.tuples(st.integers(1, 20), st.integers(1, 20)).flatmap(
        lambda shape: st.one_of(
            hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1000.0, allow_subnormal=False)),
            hnp.arrays(np.uint16, shape, elements=st.integers(0, 4095)),
            hnp.arrays(np.uint8, shape, elements=st.just(7)),  # constant: no objects
        )
    ),
    smoothing_sigma=st.sampled_from([0.0, 1.0]),
    min_size=st.integers(0, 6),
)
def test_classical_labels_gives_valid_labels_on_random_images(image, smoothing_sigma, min_size):
    labels = classical_labels(
        image, min_size=min_size, min_distance=2, smoothing_sigma=smoothing_sigma
    )
    n = assert_valid_labels(labels, image.shape)
    if image.min() == image.max():
        assert n == 0
    assert np.all(np.bincount(labels.ravel())[1:] >= max(min_size, 1))
