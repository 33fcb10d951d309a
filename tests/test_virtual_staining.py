"""The spatial split, patches, region normalisation and baselines of chapter 10."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import distance_transform_cdt

from cellcourse import virtual_staining as vs


def test_spatial_split_quadrants_and_margin_by_hand():
    split = vs.spatial_split((8, 8), "bottom_right", margin=1)
    expected = np.array(
        [
            [1, 1, 1, 0, 0, 2, 2, 2],
            [1, 1, 1, 0, 0, 2, 2, 2],
            [1, 1, 1, 0, 0, 2, 2, 2],
            [0, 0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 0],
            [2, 2, 2, 0, 0, 3, 3, 3],
            [2, 2, 2, 0, 0, 3, 3, 3],
            [2, 2, 2, 0, 0, 3, 3, 3],
        ]
    )
    # validation is the top-left quadrant (opposite the test), training the two others
    expected[:3, :3] = 2
    expected[:3, 5:] = 1
    expected[5:, :3] = 1
    np.testing.assert_array_equal(split.regions, expected)
    assert split.validation_quadrant == "top_left" and split.margin == 1
    assert vs.region_box(split, "test") == (slice(5, 8), slice(5, 8))
    assert vs.region_box(split, "validation") == (slice(0, 3), slice(0, 3))
    assert "test bottom_right" in repr(split)


@pytest.mark.parametrize("quadrant", ["top_left", "top_right", "bottom_left", "bottom_right"])
def test_training_pixels_keep_the_margin_from_the_test_region(quadrant):
    margin = 5
    split = vs.spatial_split((40, 50), quadrant, margin=margin)
    test, train = split.mask("test"), split.mask("train")
    assert test.sum() == 15 * 20 and train.sum() == 2 * 15 * 20
    # chessboard distance from every training pixel to the nearest test pixel
    distance = distance_transform_cdt(~test, metric="chessboard")
    assert distance[train].min() == 2 * margin + 1


def test_spatial_split_rejects_bad_arguments():
    with pytest.raises(ValueError, match="expected test_quadrant in .*'top_left'"):
        vs.spatial_split((256, 256), "centre")
    with pytest.raises(ValueError, match="4 \\* margin \\+ 2"):
        vs.spatial_split((20, 64), margin=8)
    with pytest.raises(TypeError, match="margin"):
        vs.spatial_split((256, 256), margin=2.5)
    split = vs.spatial_split((256, 256))
    with pytest.raises(ValueError, match="expected a region in"):
        split.mask("testing")
    with pytest.raises(TypeError, match="SpatialSplit"):
        vs.region_box(split.regions)


def test_sample_patches_stay_inside_the_allowed_region():
    rng = np.random.default_rng(0)
    inputs = rng.random((60, 70, 2)).astype(np.float32)
    split = vs.spatial_split((60, 70), "bottom_left", margin=3)
    coords = np.stack(np.mgrid[:60, :70], axis=-1).astype(np.float32)  # (Y, X, 2) row and column
    x, y = vs.sample_patches(
        inputs, coords, split.mask("train"), patch_shape=8, n_patches=200, rng=1
    )
    assert x.shape == (200, 8, 8, 2) and y.shape == (200, 8, 8, 2) and x.dtype == np.float32
    rows, cols = y[..., 0].astype(int), y[..., 1].astype(int)
    assert np.all(split.regions[rows, cols] == 1)  # every pixel of every patch is training
    # the patches are aligned: input and target come from the same place
    np.testing.assert_array_equal(x, inputs[rows, cols])
    # both training quadrants are used, and the same seed gives the same patches
    assert (cols[:, 0, 0] < 35).any() and (cols[:, 0, 0] >= 35).any()
    x2, _ = vs.sample_patches(inputs, coords, split.mask("train"), 8, 200, rng=1)
    np.testing.assert_array_equal(x, x2)


def test_sample_patches_errors_name_the_shapes():
    inputs = np.zeros((32, 32, 3))
    allowed = np.ones((32, 32), bool)
    with pytest.raises(ValueError, match=r"same Y and X; got inputs \(32, 32, 3\) and target"):
        vs.sample_patches(inputs, np.zeros((32, 30)), allowed)
    with pytest.raises(ValueError, match=r"\(Y, X, C\)"):
        vs.sample_patches(np.zeros((3, 32, 32, 1)), np.zeros((32, 32)), allowed)
    small = np.zeros((32, 32), bool)
    small[:4, :4] = True
    with pytest.raises(ValueError, match="no 8 x 8 patch fits"):
        vs.sample_patches(inputs, np.zeros((32, 32)), small, patch_shape=8)


def test_normalize_from_region_uses_only_the_region():
    image = np.array([[0.0, 10.0], [20.0, 1000.0]])
    region = np.array([[True, True], [True, False]])
    out = vs.normalize_from_region(image, region, low=0, high=100)
    np.testing.assert_allclose(out, [[0.0, 0.5], [1.0, 50.0]])
    two = np.stack([image, 2 * image + 4], axis=-1)  # each channel on its own
    out2 = vs.normalize_from_region(two, region, low=0, high=100)
    np.testing.assert_allclose(out2[..., 0], out2[..., 1], rtol=1e-6)
    with pytest.raises(ValueError, match="region as a bool array of shape"):
        vs.normalize_from_region(image, region[:1])
    with pytest.raises(ValueError, match="low < high"):
        vs.normalize_from_region(image, region, low=50, high=10)


def test_baselines_by_hand():
    target = np.array([[1.0, 3.0], [100.0, 5.0]])
    np.testing.assert_array_equal(vs.mean_baseline(target, target < 10), np.full((2, 2), 3.0))
    rng = np.random.default_rng(0)
    inputs = rng.random((20, 30, 3))
    target = inputs @ np.array([1.0, -2.0, 0.5]) + 4.0
    train = np.zeros((20, 30), bool)
    train[:10] = True
    target_with_outliers = target.copy()
    target_with_outliers[~train] = 1e6  # fitted on training pixels only: no effect
    coef = vs.fit_linear_baseline(inputs, target_with_outliers, train)
    np.testing.assert_allclose(coef, [1.0, -2.0, 0.5, 4.0], atol=1e-9)
    np.testing.assert_allclose(vs.predict_linear_baseline(inputs, coef), target, rtol=1e-5)
    with pytest.raises(ValueError, match=r"coef of shape \(C \+ 1,\) = \(4,\)"):
        vs.predict_linear_baseline(inputs, coef[:3])
    with pytest.raises(ValueError, match="all False"):
        vs.fit_linear_baseline(inputs, target, np.zeros((20, 30), bool))
    with pytest.raises(ValueError, match="same Y and X"):
        vs.fit_linear_baseline(inputs, target.T, train)


def test_sample_patches_with_a_focus_holds_it_in_the_requested_share():
    inputs = np.zeros((40, 40, 1))
    coords = np.stack(np.mgrid[:40, :40], axis=-1).astype(np.float32)
    allowed = np.ones((40, 40), bool)
    focus = np.zeros((40, 40), bool)
    focus[30, 30] = True  # one bright pixel
    x, y = vs.sample_patches(
        inputs, coords, allowed, patch_shape=6, n_patches=100, rng=0, focus=focus
    )
    holds = [bool(np.any((p[..., 0] == 30) & (p[..., 1] == 30))) for p in y]
    # 50 patches hold it by construction; a uniform draw hits it with chance 36 / 35**2
    assert 50 <= sum(holds) < 60
    with pytest.raises(ValueError, match="focus_fraction in"):
        vs.sample_patches(inputs, coords, allowed, 6, 10, focus=focus, focus_fraction=1.5)


def test_augmented_patches_stay_aligned_and_take_all_8_orientations():
    rng = np.random.default_rng(3)
    inputs = rng.random((30, 30, 2)).astype(np.float32)
    coords = np.stack(np.mgrid[:30, :30], axis=-1).astype(np.float32)
    allowed = np.ones((30, 30), bool)
    x, y = vs.sample_patches(inputs, coords, allowed, 5, 200, rng=0, augment=True)
    rows, cols = y[..., 0].astype(int), y[..., 1].astype(int)
    np.testing.assert_array_equal(x, inputs[rows, cols])  # input and target turned alike
    # the orientation of a patch: how its row and column coordinates run along its two axes
    steps = {
        (
            int(r[1, 0] - r[0, 0]),
            int(c[1, 0] - c[0, 0]),
            int(r[0, 1] - r[0, 0]),
            int(c[0, 1] - c[0, 0]),
        )
        for r, c in zip(rows, cols, strict=True)
    }
    assert len(steps) == 8
    with pytest.raises(ValueError, match="square"):
        vs.sample_patches(inputs, coords, allowed, (4, 6), 3, augment=True)
