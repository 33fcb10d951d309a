"""Label images from predicted maps and the classical baseline, on images with exact answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.segmentation import find_boundaries

from cellcourse import postprocess
from cellcourse.metrics.instances import match_instances, split_merge_counts
from cellcourse.postprocess import (
    classical_labels,
    labels_from_classes,
    labels_from_distance,
    relabel,
    remove_small_objects,
)
from cellcourse.synthetic import nuclei_image


def _perfect_probabilities(labels: np.ndarray) -> np.ndarray:
    """One-hot (Y, X, 3) background / interior / boundary map made from true labels."""
    boundary = find_boundaries(labels, mode="inner")
    classes = np.where(labels > 0, np.where(boundary, 2, 1), 0)
    return np.eye(3)[classes]


def _soft(probabilities: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Blurred, renormalised probabilities: like a network's output, not one-hot."""
    soft = ndi.gaussian_filter(probabilities, sigma=(sigma, sigma, 0))
    return (soft / soft.sum(axis=-1, keepdims=True)).astype(np.float32)


def _touching_pairs(labels: np.ndarray) -> int:
    """Number of pixel edges between two different objects."""
    a, b = labels[:, :-1], labels[:, 1:]
    c, d = labels[:-1, :], labels[1:, :]
    return int(np.sum((a > 0) & (b > 0) & (a != b)) + np.sum((c > 0) & (d > 0) & (c != d)))


def _two_overlapping_discs():
    """Two discs of radius 10 whose centres are 16 pixels apart, and the true split."""
    yy, xx = np.mgrid[:32, :48]
    d1 = (yy - 16) ** 2 + (xx - 15) ** 2
    d2 = (yy - 16) ** 2 + (xx - 31) ** 2
    mask = (d1 < 100) | (d2 < 100)
    labels = np.where(mask, np.where(d1 <= d2, 1, 2), 0).astype(np.int32)
    return mask, labels


def _assert_sequential_int32(labels):
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(np.unique(labels), np.arange(labels.max() + 1))


# ----------------------------------------------------------------------------------------
# labels_from_classes
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classes_recover_touching_synthetic_nuclei(seed):
    _, true = nuclei_image((128, 128), n_nuclei=15, touching=True, rng=seed)
    assert _touching_pairs(true) > 0  # the test is about touching nuclei
    for probabilities in (_perfect_probabilities(true), _soft(_perfect_probabilities(true))):
        labels = labels_from_classes(probabilities)
        _assert_sequential_int32(labels)
        m = match_instances(true, labels)
        assert m.f1 >= 0.98, m
        assert m.mean_matched_iou > 0.95, m
        errors = split_merge_counts(true, labels)
        assert errors.n_merges == 0 and errors.n_splits == 0


def test_classes_without_boundary_merge_touching_nuclei():
    # the same map with the boundary class called interior: touching nuclei fuse
    _, true = nuclei_image((128, 128), n_nuclei=15, touching=True, rng=0)
    p = _perfect_probabilities(true)
    p[..., 1] += p[..., 2]
    p[..., 2] = 0
    assert split_merge_counts(true, labels_from_classes(p)).n_merges > 0


def test_classes_split_two_touching_squares_along_the_boundary():
    true = np.zeros((10, 20), dtype=np.int32)
    true[2:8, 2:10] = 1
    true[2:8, 10:18] = 2
    labels = labels_from_classes(_perfect_probabilities(true), min_size=0)
    np.testing.assert_array_equal(labels, true)


def test_classes_remove_specks_and_keep_seedless_objects():
    true = np.zeros((20, 20), dtype=np.int32)
    true[2:10, 2:10] = 1  # 64 pixels, with an interior
    true[15, 15:18] = 2  # 3 pixels: all boundary, no seed
    p = _perfect_probabilities(true)
    kept = labels_from_classes(p, min_size=0)
    np.testing.assert_array_equal(kept, true)  # the seedless piece is an object of its own
    removed = labels_from_classes(p, min_size=4)
    np.testing.assert_array_equal(removed, np.where(true == 1, 1, 0))


def test_interior_threshold_decides_the_seeds():
    # one blob of foreground with two candidate seeds, 0.6 and 0.8 likely interior,
    # apart by a column of boundary: two nuclei at threshold 0.5, one at 0.7
    p = np.zeros((12, 20, 3))
    p[..., 0] = 1
    p[2:10, 2:18] = (0.1, 0.2, 0.7)
    p[4:8, 4:9] = (0.1, 0.6, 0.3)
    p[4:8, 11:16] = (0.1, 0.8, 0.1)
    two = labels_from_classes(p, interior_threshold=0.5)
    assert two.max() == 2
    assert np.all(two[2:10, 2:10] == 1) and np.all(two[2:10, 11:18] == 2)
    one = labels_from_classes(p, interior_threshold=0.7)
    np.testing.assert_array_equal(one, np.where(p[..., 0] < 0.5, 1, 0))
    background = np.zeros((12, 12, 3))
    background[..., 0] = 1
    np.testing.assert_array_equal(labels_from_classes(background), np.zeros((12, 12)))


# ----------------------------------------------------------------------------------------
# labels_from_distance
# ----------------------------------------------------------------------------------------


def test_distance_cuts_two_overlapping_discs_at_the_neck():
    mask, true = _two_overlapping_discs()
    labels = labels_from_distance(ndi.distance_transform_edt(mask))
    _assert_sequential_int32(labels)
    m = match_instances(true, labels, threshold=0.9)
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)


def _object_distance(labels: np.ndarray, normalize: bool) -> np.ndarray:
    """Distance of each object pixel to its own object's edge, optionally 1 at the centre."""
    out = np.zeros(labels.shape)
    for value, box in enumerate(ndi.find_objects(labels), start=1):
        mask = np.pad(labels[box] == value, 1)
        inside = mask[1:-1, 1:-1]
        distance = ndi.distance_transform_edt(mask)[1:-1, 1:-1]
        out[box][inside] = (distance / distance.max() if normalize else distance)[inside]
    return out


@pytest.mark.parametrize("normalize", [False, True], ids=["pixels", "scaled"])
def test_distance_recovers_touching_synthetic_nuclei(normalize):
    f1 = []
    for seed in range(3):
        _, true = nuclei_image((128, 128), n_nuclei=15, touching=True, rng=seed)
        assert _touching_pairs(true) > 0
        labels = labels_from_distance(_object_distance(true, normalize), min_distance=7)
        f1.append(match_instances(true, labels).f1)
    assert min(f1) >= 0.95, f1


def test_distance_min_distance_controls_splitting():
    mask, _ = _two_overlapping_discs()
    distance = ndi.distance_transform_edt(mask)
    assert labels_from_distance(distance, min_distance=5).max() == 2
    assert labels_from_distance(distance, min_distance=20).max() == 1  # peaks 16 apart


def test_distance_threshold_and_empty_map():
    mask, _ = _two_overlapping_discs()
    distance = ndi.distance_transform_edt(mask)
    inner = labels_from_distance(distance, threshold=3)
    assert inner.max() == 2
    assert np.count_nonzero(inner) == np.count_nonzero(distance > 3)
    np.testing.assert_array_equal(labels_from_distance(np.zeros((8, 8))), np.zeros((8, 8)))


# ----------------------------------------------------------------------------------------
# classical baseline
# ----------------------------------------------------------------------------------------


def test_classical_recovers_separate_synthetic_nuclei():
    f1 = []
    for seed in range(4):
        image, true = nuclei_image(
            (128, 128), n_nuclei=12, touching=False, intensity=(1500, 3000), rng=seed
        )
        labels = classical_labels(image, min_distance=7)
        _assert_sequential_int32(labels)
        f1.append(match_instances(true, labels).f1)
    assert min(f1) >= 0.9 and np.mean(f1) >= 0.97, f1


def test_classical_splits_touching_nuclei():
    mask, true = _two_overlapping_discs()
    rng = np.random.default_rng(0)
    image = 150 + 2000 * ndi.gaussian_filter(mask.astype(float), 1) + rng.normal(0, 10, mask.shape)
    labels = classical_labels(image.astype(np.uint16))
    m = match_instances(true, labels, threshold=0.8)
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)
    assert classical_labels(image, min_distance=20).max() == 1  # the baseline's knob


def test_classical_constant_image_has_no_objects():
    np.testing.assert_array_equal(
        classical_labels(np.full((16, 16), 100, np.uint16)), np.zeros((16, 16))
    )


# ----------------------------------------------------------------------------------------
# clean-up helpers
# ----------------------------------------------------------------------------------------


def test_remove_small_objects_and_relabel_by_hand():
    labels = np.array(
        [
            [5, 5, 0, 9],
            [5, 5, 0, 0],
            [0, 0, 2, 2],
        ],
        dtype=np.uint16,
    )
    cleaned = remove_small_objects(labels, min_size=2)  # 9 has 1 pixel
    np.testing.assert_array_equal(cleaned, [[5, 5, 0, 0], [5, 5, 0, 0], [0, 0, 2, 2]])
    assert cleaned.dtype == np.uint16
    assert labels[0, 3] == 9  # input untouched
    np.testing.assert_array_equal(remove_small_objects(labels, 0), labels)
    np.testing.assert_array_equal(remove_small_objects(labels, 5), np.zeros_like(labels))
    huge = labels.astype(np.int64) * 10**12  # label values too large for a lookup table
    np.testing.assert_array_equal(remove_small_objects(huge, 2), cleaned.astype(np.int64) * 10**12)
    out = relabel(cleaned)
    np.testing.assert_array_equal(out, [[2, 2, 0, 0], [2, 2, 0, 0], [0, 0, 1, 1]])
    assert out.dtype == np.int32


# ----------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((3, 8, 8), r"channels go last.*np.moveaxis"),
        ((1, 8, 8, 3), r"probabilities\[0\]"),
        ((8, 8), r"expected probabilities of shape \(Y, X, 3\).*got \(8, 8\)"),
        ((8, 8, 2), r"got \(8, 8, 2\)"),
    ],
)
def test_probability_shapes_are_named(shape, message):
    with pytest.raises(ValueError, match=message):
        labels_from_classes(np.full(shape, 1 / 3))


def test_probability_values_are_checked():
    p = _perfect_probabilities(np.pad(np.ones((4, 4), np.int32), 2))
    with pytest.raises(ValueError, match="logits"):
        labels_from_classes(p * 5 - 1)
    with pytest.raises(ValueError, match="sum to 1.*got sums from 0.5 to 0.5"):
        labels_from_classes(p / 2)
    with pytest.raises(TypeError, match="floats in \\[0, 1\\]; got dtype int64"):
        labels_from_classes(p.astype(np.int64))
    nan = p.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        labels_from_classes(nan)
    with pytest.raises(ValueError, match="interior_threshold as a number in \\[0, 1\\); got 1.0"):
        labels_from_classes(p, interior_threshold=1.0)
    with pytest.raises(ValueError, match="interior_threshold as a number in \\[0, 1\\]"):
        labels_from_classes(p, interior_threshold=-0.1)
    with pytest.raises(TypeError, match="min_size as an integer >= 0; got 2.5"):
        labels_from_classes(p, min_size=2.5)
    with pytest.raises(ValueError, match="min_size as an integer >= 0; got -1"):
        labels_from_classes(p, min_size=-1)


@pytest.mark.parametrize("function", [remove_small_objects, relabel])
def test_bad_labels_are_named(function):
    args = (1,) if function is remove_small_objects else ()
    good = np.zeros((4, 4), dtype=np.int32)
    with pytest.raises(TypeError, match="integer label image.*got dtype float32"):
        function(good.astype(np.float32), *args)
    with pytest.raises(TypeError, match="boolean mask.*skimage.measure.label"):
        function(good.astype(bool), *args)
    negative = good.copy()
    negative[1, 1] = -3
    with pytest.raises(ValueError, match="non-negative labels.*minimum of -3"):
        function(negative, *args)
    with pytest.raises(ValueError, match=r"shape \(Y, X\); got an array of shape \(2, 4, 4\)"):
        function(np.zeros((2, 4, 4), np.int32), *args)


def test_bad_maps_and_parameters_are_named():
    with pytest.raises(ValueError, match=r"distance of shape \(Y, X\); got \(8, 8, 1\).*squeeze"):
        labels_from_distance(np.zeros((8, 8, 1)))
    with pytest.raises(ValueError, match="finite values in distance"):
        labels_from_distance(np.full((4, 4), np.inf))
    with pytest.raises(ValueError, match="min_distance as an integer >= 1; got 0"):
        labels_from_distance(np.zeros((4, 4)), min_distance=0)
    with pytest.raises(ValueError, match=r"image of shape \(Y, X\); got \(2, 8, 8\)"):
        classical_labels(np.zeros((2, 8, 8)))
    with pytest.raises(TypeError, match="image as numbers; got dtype <U1"):
        classical_labels(np.full((4, 4), "a"))
    with pytest.raises(ValueError, match="smoothing_sigma as a number >= 0; got -1"):
        classical_labels(np.zeros((4, 4)), smoothing_sigma=-1)


def test_public_names():
    assert set(postprocess.__all__) == {
        "classical_labels",
        "labels_from_classes",
        "labels_from_distance",
        "relabel",
        "remove_small_objects",
    }
