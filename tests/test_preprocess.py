"""Tests for cellcourse.preprocess: small inputs whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellcourse import preprocess
from cellcourse.preprocess import (
    TileLayout,
    add_channel_axis,
    check_no_group_leakage,
    extract_patches,
    grid_patches,
    normalize_percentile,
    predict_tiled,
    sample_per_class,
    split_by_group,
    stitch_tiles,
    tile_image,
    to_float_image,
)

# ----------------------------------------------------------------------------------------
# normalize_percentile
# ----------------------------------------------------------------------------------------


def test_normalize_0_to_100_maps_to_0_to_1():
    x = np.arange(101, dtype=np.uint16)
    y = normalize_percentile(x, low=0, high=100)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, np.arange(101) / 100, rtol=0, atol=1e-7)


def test_normalize_default_percentiles_by_hand():
    # 0..1000: the 1st percentile is 10, the 99th is 990 (linear interpolation)
    x = np.arange(1001, dtype=np.float64)
    y = normalize_percentile(x, low=1, high=99)
    np.testing.assert_allclose(y, (x - 10) / 980, rtol=1e-6)
    assert y[10] == 0 and y[990] == pytest.approx(1)
    assert y.min() < 0 and y.max() > 1  # no clipping by default


def test_normalize_clip():
    y = normalize_percentile(np.arange(1001), low=1, high=99, clip=True)
    assert y.min() == 0 and y.max() == 1
    assert np.all(y[:11] == 0) and np.all(y[990:] == 1)


def test_normalize_per_channel_and_per_image():
    base = np.arange(12, dtype=np.float64).reshape(3, 4)  # 0..11
    image = np.stack([base, 10 * base + 5], axis=-1)  # (Y, X, C)
    y = normalize_percentile(image, low=0, high=100, axis=(0, 1))
    np.testing.assert_allclose(y[..., 0], base / 11, atol=1e-7)
    np.testing.assert_allclose(y[..., 1], base / 11, atol=1e-7)
    # over the whole array the channels are NOT normalised separately
    y_all = normalize_percentile(image, low=0, high=100)
    np.testing.assert_allclose(y_all[..., 1], (10 * base + 5) / 115, atol=1e-7)
    assert not np.allclose(y_all[..., 0], y_all[..., 1])

    stack = np.stack([base, 2 * base, base + 100])  # (S, Y, X)
    y_stack = normalize_percentile(stack, low=0, high=100, axis=(1, 2))
    for s in range(3):
        np.testing.assert_allclose(y_stack[s], base / 11, atol=1e-6)
    # a negative axis means the same as its positive counterpart
    np.testing.assert_array_equal(normalize_percentile(stack, 0, 100, axis=(-2, -1)), y_stack)


def test_normalize_constant_image_is_finite_zero():
    for dtype in (np.uint8, np.float32, np.float64):
        y = normalize_percentile(np.full((4, 5), 7, dtype=dtype))
        assert np.all(np.isfinite(y)) and np.all(y == 0)
    # one constant channel among normal ones
    image = np.stack([np.full((3, 3), 5.0), np.arange(9.0).reshape(3, 3)], axis=-1)
    y = normalize_percentile(image, 0, 100, axis=(0, 1))
    assert np.all(np.isfinite(y)) and np.all(y[..., 0] == 0) and y[..., 1].max() == 1


def test_normalize_dtype_float64():
    y = normalize_percentile(np.arange(5), 0, 100, dtype=np.float64)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [0, 0.25, 0.5, 0.75, 1])


def test_normalize_float64_beyond_float32_range_stays_finite():
    # values this large turn into inf in float32; the work is then done in float64
    image = np.array([0.0, 1e38, 1e39, 1e300])
    y = normalize_percentile(image, 0, 100)
    assert y.dtype == np.float32 and np.isfinite(y).all()
    np.testing.assert_allclose(y, [0, 1e-262, 1e-261, 1], atol=1e-7)


def test_normalize_rejects_nan_and_inf_with_counts():
    x = np.arange(10, dtype=np.float32)
    x[[1, 2]] = np.nan
    x[5] = np.inf
    with pytest.raises(ValueError, match=r"2 NaN and 1 infinite"):
        normalize_percentile(x)


@pytest.mark.parametrize(
    "image, dtype_text",
    [
        (np.ones((3, 3), dtype=bool), "bool"),
        (np.array([[1, "a"]], dtype=object), "object"),
        (np.array(["a", "b"]), "<U1"),
        (np.ones(3, dtype=complex), "complex"),
    ],
)
def test_normalize_rejects_non_numeric_naming_dtype(image, dtype_text):
    with pytest.raises(TypeError, match=f"numeric.*dtype={dtype_text}"):
        normalize_percentile(image)


@pytest.mark.parametrize(
    "low, high",
    [(50, 50), (60, 40), (-1, 99), (1, 101)],
)
def test_normalize_rejects_bad_percentiles(low, high):
    with pytest.raises(ValueError, match=rf"0 <= low < high <= 100; got low={low}, high={high}"):
        normalize_percentile(np.arange(10), low=low, high=high)


def test_normalize_rejects_bad_axis_eps_dtype_and_empty():
    with pytest.raises(ValueError, match=r"within the image's 2 dimensions; got \(0, 2\)"):
        normalize_percentile(np.ones((3, 3)), axis=(0, 2))
    with pytest.raises(ValueError, match="repeat"):
        normalize_percentile(np.ones((3, 3)), axis=(0, -2))
    with pytest.raises(ValueError, match="eps must be a positive number; got 0"):
        normalize_percentile(np.ones((3, 3)), eps=0)
    with pytest.raises(TypeError, match="floating dtype.*int32"):
        normalize_percentile(np.ones((3, 3)), dtype=np.int32)
    with pytest.raises(ValueError, match=r"empty; got shape \(0, 3\)"):
        normalize_percentile(np.ones((0, 3)))


# ----------------------------------------------------------------------------------------
# to_float_image, add_channel_axis
# ----------------------------------------------------------------------------------------


def test_to_float_image_scales_by_dtype_range():
    np.testing.assert_array_equal(to_float_image(np.array([0, 255], np.uint8)), [0, 1])
    np.testing.assert_array_equal(to_float_image(np.array([0, 65535], np.uint16)), [0, 1])
    y = to_float_image(np.array([0.5, 3.0]))  # floats: cast only
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [0.5, 3.0])
    assert to_float_image(np.array([True, False]), dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="dtype=<U1"):
        to_float_image(np.array(["a"]))
    with pytest.raises(TypeError, match="float32 or np.float64; got"):
        to_float_image(np.zeros(3), dtype=np.float16)


def test_add_channel_axis():
    x = np.zeros((2, 5, 6))
    y = add_channel_axis(x)
    assert y.shape == (2, 5, 6, 1) and np.shares_memory(x, y)
    assert add_channel_axis(np.zeros((5, 6)), axes="YX").shape == (5, 6, 1)
    with pytest.raises(
        ValueError, match=r"expected x with axes SYX \(3 dimensions\); got shape \(5, 6\)"
    ):
        add_channel_axis(np.zeros((5, 6)))
    with pytest.raises(ValueError, match="already has a channel axis"):
        add_channel_axis(np.zeros((5, 6, 1)), axes="YXC")
    with pytest.raises(ValueError, match="distinct letters"):
        add_channel_axis(np.zeros((5, 6)), axes="YY")


# ----------------------------------------------------------------------------------------
# extract_patches, grid_patches
# ----------------------------------------------------------------------------------------


def _stack(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 60000, size=shape, dtype=np.uint16)


def test_patches_come_from_the_returned_positions():
    images = _stack((3, 20, 30))
    labels = np.arange(3 * 20 * 30, dtype=np.int32).reshape(3, 20, 30)  # every pixel unique
    x, y, pos = extract_patches(
        images, labels, patch_shape=(5, 7), n_patches=25, rng=1, return_positions=True
    )
    assert x.shape == (25, 5, 7) and y.shape == (25, 5, 7) and pos.shape == (25, 3)
    assert x.dtype == np.uint16 and y.dtype == np.int32
    for patch, label_patch, (s, r, c) in zip(x, y, pos, strict=True):
        assert 0 <= s < 3 and 0 <= r <= 20 - 5 and 0 <= c <= 30 - 7
        np.testing.assert_array_equal(patch, images[s, r : r + 5, c : c + 7])
        np.testing.assert_array_equal(label_patch, labels[s, r : r + 5, c : c + 7])
    # the unique label values prove each label patch is exactly that window
    assert np.all(y[:, 0, 0] == pos[:, 0] * 600 + pos[:, 1] * 30 + pos[:, 2])


def test_patches_with_channels_single_image_and_full_size():
    images = _stack((2, 10, 12, 3))
    x, pos = extract_patches(images, patch_shape=4, n_patches=6, rng=0, return_positions=True)
    assert x.shape == (6, 4, 4, 3)
    s, r, c = pos[3]
    np.testing.assert_array_equal(x[3], images[s, r : r + 4, c : c + 4])

    image = _stack((10, 12))
    x, y = extract_patches(image, image > 30000, patch_shape=(3, 3), n_patches=4, rng=0)
    assert x.shape == (4, 3, 3) and y.dtype == bool

    # a patch as large as the image can only come from position (s, 0, 0)
    x, pos = extract_patches(
        images, patch_shape=(10, 12), n_patches=3, rng=0, return_positions=True
    )
    assert np.all(pos[:, 1:] == 0)
    np.testing.assert_array_equal(x, images[pos[:, 0]])


def test_patches_are_deterministic_given_a_seed():
    images = _stack((4, 30, 30))
    a = extract_patches(images, patch_shape=8, n_patches=10, rng=123)
    b = extract_patches(images, patch_shape=8, n_patches=10, rng=np.random.default_rng(123))
    c = extract_patches(images, patch_shape=8, n_patches=10, rng=124)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def _sparse_labels():
    labels = np.zeros((2, 100, 100), dtype=np.int32)
    labels[1, 40:48, 60:68] = 7  # one 8x8 cell: ~7% of 16x16 windows touch it
    return labels


def test_foreground_fraction_is_honoured():
    labels = _sparse_labels()
    images = labels.astype(np.float32)
    x, y = extract_patches(images, labels, patch_shape=16, n_patches=40, rng=0)
    without = (y > 0).any(axis=(1, 2)).sum()
    assert without < 20  # without the option, foreground is rare
    for fraction, minimum in [(0.5, 20), (1.0, 40), (0.3, 12)]:
        x, y = extract_patches(
            images, labels, patch_shape=16, n_patches=40, rng=0, foreground_fraction=fraction
        )
        assert (y > 0).any(axis=(1, 2)).sum() >= minimum
    # foreground and other patches are shuffled together, not all first
    _, y = extract_patches(images, labels, 16, n_patches=40, rng=0, foreground_fraction=0.5)
    has_fg = (y > 0).any(axis=(1, 2))
    assert not np.all(has_fg[:20])


def test_foreground_fraction_errors(monkeypatch):
    images = np.zeros((2, 100, 100))
    with pytest.raises(ValueError, match="no foreground"):
        extract_patches(images, np.zeros((2, 100, 100), int), 16, 4, foreground_fraction=0.5)
    with pytest.raises(ValueError, match="needs labels"):
        extract_patches(images, None, 16, 4, foreground_fraction=0.5)
    with pytest.raises(ValueError, match="between 0 and 1; got 1.5"):
        extract_patches(images, _sparse_labels(), 16, 4, foreground_fraction=1.5)
    # the number of tries is bounded: with 1 try per patch, 10 foreground patches fail
    monkeypatch.setattr(preprocess, "_MAX_TRIES_PER_PATCH", 1)
    with pytest.raises(ValueError, match=r"found only \d of 10 patches with foreground in 10"):
        extract_patches(images, _sparse_labels(), 16, 10, rng=0, foreground_fraction=1.0)


def test_patch_errors_name_expected_and_received():
    images = np.zeros((4, 100, 120))
    with pytest.raises(ValueError, match=r"patch_shape \(128, 128\) is larger.*\(100, 120\)"):
        extract_patches(images, patch_shape=(128, 128), n_patches=2)
    with pytest.raises(
        ValueError, match=r"expected shape \(S, Y, X\) = \(4, 100, 120\).*got \(4, 100, 121\)"
    ):
        extract_patches(images, np.zeros((4, 100, 121)), patch_shape=8)
    with pytest.raises(ValueError, match=r"got \(2, 2, 2, 2, 2\)"):
        extract_patches(np.zeros((2,) * 5), patch_shape=1)
    with pytest.raises(TypeError, match="dtype=bool"):
        extract_patches(np.zeros((2, 8, 8), bool), patch_shape=2)
    with pytest.raises(ValueError, match="n_patches must be a positive integer; got 0"):
        extract_patches(images, patch_shape=8, n_patches=0)
    with pytest.raises(ValueError, match=r"patch_shape must be an int or a pair.*\(8, 8, 8\)"):
        extract_patches(images, patch_shape=(8, 8, 8))
    with pytest.raises(TypeError, match="rng must be"):
        extract_patches(images, patch_shape=8, rng=1.5)


def test_grid_patches():
    image = np.arange(4 * 6).reshape(4, 6)
    patches = grid_patches(image, (2, 3))
    assert patches.shape == (4, 2, 3)
    np.testing.assert_array_equal(patches[0], image[0:2, 0:3])
    np.testing.assert_array_equal(patches[1], image[0:2, 3:6])
    np.testing.assert_array_equal(patches[3], image[2:4, 3:6])
    # stride 1: (4-2+1) * (6-3+1) = 12 overlapping patches; patch 5 starts at (1, 1)
    overlapping = grid_patches(image, (2, 3), stride=1)
    assert overlapping.shape == (12, 2, 3)
    np.testing.assert_array_equal(overlapping[5], image[1:3, 1:4])
    rgb = np.stack([image, -image], axis=-1)
    assert grid_patches(rgb, 2).shape == (6, 2, 2, 2)
    np.testing.assert_array_equal(grid_patches(rgb, 2)[4], rgb[2:4, 2:4])  # row 1, column 1
    with pytest.raises(ValueError, match=r"larger than the image.*\(4, 6\)"):
        grid_patches(image, (5, 2))


# ----------------------------------------------------------------------------------------
# tile_image, stitch_tiles, predict_tiled
# ----------------------------------------------------------------------------------------


def test_tile_layout_by_hand():
    image = np.arange(48 * 70).reshape(48, 70)
    tiles, layout = tile_image(image, tile_shape=32, overlap=4)
    # step 24: ceil(48 / 24) = 2 rows, ceil(70 / 24) = 3 columns
    assert isinstance(layout, TileLayout)
    assert layout.grid_shape == (2, 3) and layout.step == (24, 24) and layout.n_tiles == 6
    assert layout.padding == ((4, 2 * 24 + 4 - 48), (4, 3 * 24 + 4 - 70))
    assert layout.origins == ((0, 0), (0, 24), (0, 48), (24, 0), (24, 24), (24, 48))
    assert tiles.shape == (6, 32, 32) and tiles.dtype == image.dtype
    # tile 4 starts at padded (24, 24) = image (20, 20); its inside is plain image
    np.testing.assert_array_equal(tiles[4][4:28, 4:28], image[24:48, 24:48])
    # reflect padding: padded row 0 is image row 4
    np.testing.assert_array_equal(tiles[0][0, 4:], image[4, :28])
    with pytest.raises(AttributeError):
        layout.overlap = (0, 0)  # frozen


@settings(max_examples=60, deadline=None, database=None)
@given(
    height=st.integers(1, 70),
    width=st.integers(1, 70),
    tile=st.tuples(st.integers(2, 24), st.integers(2, 24)),
    overlap_frac=st.tuples(st.floats(0, 0.99), st.floats(0, 0.99)),
    channels=st.sampled_from([None, 1, 3]),
    pad_mode=st.sampled_from(["reflect", "symmetric", "edge", "constant", "wrap"]),
)
def test_tile_then_stitch_is_exact(height, width, tile, overlap_frac, channels, pad_mode):
    overlap = tuple(int(f * ((t - 1) // 2 + 1)) for f, t in zip(overlap_frac, tile, strict=True))
    shape = (height, width) if channels is None else (height, width, channels)
    image = np.random.default_rng(height * 100 + width).random(shape).astype(np.float32)
    tiles, layout = tile_image(image, tile, overlap, pad_mode=pad_mode)
    assert tiles.shape[1:3] == tile
    np.testing.assert_array_equal(stitch_tiles(tiles, layout), image)


@pytest.mark.parametrize(
    "shape, tile, overlap",
    [
        ((5, 3), 16, 4),  # smaller than one tile
        ((1, 1), 8, 3),  # a single pixel
        ((33, 47), 16, 0),  # no overlap, sizes not divisible
        ((64, 64), 16, 0),  # exactly divisible
        ((101, 99, 2), (20, 12), (5, 2)),  # odd sizes, anisotropic tiles, channels
    ],
)
def test_tile_then_stitch_edge_cases(shape, tile, overlap):
    image = np.arange(np.prod(shape)).reshape(shape)
    tiles, layout = tile_image(image, tile, overlap)
    np.testing.assert_array_equal(stitch_tiles(tiles, layout), image)


def test_predict_tiled_identity_and_extra_channels():
    image = np.random.default_rng(0).random((70, 45)).astype(np.float32)
    y = predict_tiled(lambda x: x, image, tile_shape=16, overlap=3)
    assert y.shape == (70, 45, 1) and y.dtype == np.float32
    np.testing.assert_array_equal(y[..., 0], image)

    def two_channels(x):
        return np.concatenate([x, 2 * x], axis=-1)

    rgb = np.random.default_rng(1).random((30, 41, 3))
    y = predict_tiled(two_channels, rgb, tile_shape=(16, 12), overlap=(2, 1), batch_size=3)
    assert y.shape == (30, 41, 6)
    np.testing.assert_array_equal(y[..., :3], rgb.astype(np.float32))
    np.testing.assert_array_equal(y[..., 3:], 2 * rgb.astype(np.float32))


def test_predict_tiled_batches_and_input():
    seen = []

    def record(x):
        seen.append((x.shape, x.dtype))
        return x[..., :1] + 1

    image = np.ones((40, 40), dtype=np.uint16)
    y = predict_tiled(record, image, tile_shape=16, overlap=4, batch_size=4)
    # step 8: 5 x 5 = 25 tiles -> batches of 4, ..., 4, 1
    assert [s[0] for s, _ in seen] == [4] * 6 + [1]
    assert all(s[1:] == (16, 16, 1) and d == np.float32 for s, d in seen)
    np.testing.assert_array_equal(y, 2)


def _distance_to_tile_border(x):
    ty, tx = x.shape[1:3]
    yy, xx = np.meshgrid(np.arange(ty), np.arange(tx), indexing="ij")
    d = np.minimum.reduce([yy, xx, ty - 1 - yy, tx - 1 - xx])
    return np.broadcast_to(d[None, :, :, None], (len(x), ty, tx, 1)).astype(np.float32)


@pytest.mark.parametrize("shape, tile, overlap", [((61, 50), 20, 5), ((9, 70), (16, 24), (3, 7))])
def test_stitching_takes_each_pixel_furthest_from_the_tile_border(shape, tile, overlap):
    image = np.zeros(shape, dtype=np.float32)
    distance = predict_tiled(_distance_to_tile_border, image, tile, overlap)[..., 0]
    # every pixel, even at the image edges, comes from >= overlap inside its tile
    assert distance.min() >= min(np.broadcast_to(overlap, 2))

    # brute force: the best distance any tile offers for each pixel
    _, layout = tile_image(image, tile, overlap)
    (top, _), (left, _) = layout.padding
    ty, tx = layout.tile_shape
    best = np.full(shape, -1.0)
    rows, cols = np.arange(shape[0])[:, None], np.arange(shape[1])[None, :]
    for y0, x0 in layout.origins:
        ly, lx = rows + top - y0, cols + left - x0  # pixel position inside this tile
        inside = (ly >= 0) & (ly < ty) & (lx >= 0) & (lx < tx)
        d = np.minimum(np.minimum(ly, ty - 1 - ly), np.minimum(lx, tx - 1 - lx))
        best = np.where(inside, np.maximum(best, d), best)
    np.testing.assert_array_equal(distance, best)


def test_stitching_picks_the_tile_by_position():
    # a model that outputs its own row/column inside the tile: stitched, pixel p must
    # come from the tile whose centre holds it, at local position p % step + overlap
    def local_coordinates(x):
        n, ty, tx, _ = x.shape
        yy, xx = np.meshgrid(np.arange(ty), np.arange(tx), indexing="ij")
        return np.broadcast_to(np.stack([yy, xx], -1), (n, ty, tx, 2))

    y = predict_tiled(local_coordinates, np.zeros((50, 37)), tile_shape=16, overlap=4)
    step = 16 - 2 * 4
    np.testing.assert_array_equal(y[:, 0, 0], np.arange(50) % step + 4)
    np.testing.assert_array_equal(y[0, :, 1], np.arange(37) % step + 4)


def test_tiling_errors_name_expected_and_received():
    with pytest.raises(ValueError, match=r"2 \* overlap < tile; got 2 \* 8 = 16 >= 16"):
        tile_image(np.zeros((30, 30)), tile_shape=16, overlap=8)
    with pytest.raises(ValueError, match=r"overlap must be >= 0.*\(-1, -1\)"):
        tile_image(np.zeros((30, 30)), tile_shape=16, overlap=-1)
    with pytest.raises(ValueError, match=r"tile_shape must be >= 1.*\(0, 16\)"):
        tile_image(np.zeros((30, 30)), tile_shape=(0, 16), overlap=0)
    with pytest.raises(ValueError, match=r"\(Y, X\) or \(Y, X, C\), got \(2, 30, 30, 1\)"):
        tile_image(np.zeros((2, 30, 30, 1)))
    with pytest.raises(ValueError, match="pad_mode must be one of"):
        tile_image(np.zeros((30, 30)), 16, 2, pad_mode="mirror")
    tiles, layout = tile_image(np.zeros((30, 30)), 16, 2)
    with pytest.raises(ValueError, match=r"= \(9, 16, 16\).*got \(8, 16, 16\)"):
        stitch_tiles(tiles[:8], layout)
    with pytest.raises(TypeError, match="TileLayout"):
        stitch_tiles(tiles, {"tile_shape": (16, 16)})
    with pytest.raises(
        ValueError, match=r"returned shape \(2, 16, 16\) for a batch of shape \(2, 16, 16, 1\)"
    ):
        predict_tiled(lambda x: x[..., 0], np.zeros((20, 20)), 16, 2, batch_size=2)
    with pytest.raises(ValueError, match="batch_size must be a positive integer; got 0"):
        predict_tiled(lambda x: x, np.zeros((20, 20)), 16, 2, batch_size=0)


# ----------------------------------------------------------------------------------------
# split_by_group, check_no_group_leakage
# ----------------------------------------------------------------------------------------


def _assert_partition(groups, splits):
    all_indices = np.concatenate(splits)
    assert np.array_equal(np.sort(all_indices), np.arange(len(groups)))  # complete, disjoint
    seen = [set(np.asarray(groups)[s].tolist()) for s in splits]
    for i in range(len(seen)):
        for j in range(i + 1, len(seen)):
            assert not seen[i] & seen[j]


def test_split_by_group_is_complete_disjoint_and_balanced():
    groups = np.repeat([f"fov{i:02d}" for i in range(40)], 5)  # 200 samples, 40 groups
    train, val, test = split_by_group(groups, rng=0)
    _assert_partition(groups, (train, val, test))
    # equal groups of 5 samples: within one group of 140 / 30 / 30
    assert abs(len(train) - 140) <= 5 and abs(len(val) - 30) <= 5 and abs(len(test) - 30) <= 5
    assert all(np.all(np.diff(s) > 0) for s in (train, val, test))  # sorted
    check_no_group_leakage(groups, train, val, test)


def test_split_by_group_balances_samples_not_groups():
    # 10 big groups (10 samples) and 30 small ones (1 sample): 130 samples
    groups = np.concatenate([np.repeat(np.arange(10), 10), np.arange(10, 40)])
    for seed in range(5):
        train, test = split_by_group(groups, fractions=(0.5, 0.5), rng=seed)
        _assert_partition(groups, (train, test))
        assert abs(len(train) - 65) <= 10


def test_split_by_group_is_deterministic_and_depends_on_seed():
    groups = np.arange(30).repeat(2)
    a = split_by_group(groups, (0.6, 0.4), rng=7)
    b = split_by_group(groups, (0.6, 0.4), rng=np.random.default_rng(7))
    c = split_by_group(groups, (0.6, 0.4), rng=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_split_by_group_no_split_empty_with_few_groups():
    # one huge group and two tiny ones: every seed still gives 3 non-empty splits
    groups = np.array([0] * 98 + [1, 2])
    for seed in range(10):
        splits = split_by_group(groups, rng=seed)
        _assert_partition(groups, splits)
        assert all(len(s) > 0 for s in splits)
    # lists of strings work too
    splits = split_by_group(["a", "b", "b", "c"], rng=0)
    assert sorted(len(s) for s in splits) == [1, 1, 2]


def test_split_by_group_errors():
    with pytest.raises(
        ValueError, match=r"at least 3 groups for 3 splits.*got 2 group\(s\): \['a', 'b'\]"
    ):
        split_by_group(["a", "b", "a"])
    with pytest.raises(ValueError, match=r"summing to 1.*got \(0.5, 0.4\)"):
        split_by_group(np.arange(10), fractions=(0.5, 0.4))
    with pytest.raises(ValueError, match=r"positive fractions.*got \(1.2, -0.2\)"):
        split_by_group(np.arange(10), fractions=(1.2, -0.2))
    with pytest.raises(TypeError, match="dtype=float64"):
        split_by_group(np.array([0.5, 1.5, 2.5]))
    with pytest.raises(ValueError, match=r"shape \(S,\).*got \(2, 3\)"):
        split_by_group(np.zeros((2, 3), int))


def test_leak_check_names_the_leaking_group_and_splits():
    groups = np.array(["w1", "w1", "w2", "w2", "w3", "w3", "w4"])
    train, val, test = np.array([0, 1, 2]), np.array([3, 4]), np.array([5, 6])
    with pytest.raises(ValueError) as info:
        check_no_group_leakage(groups, train, val, test)
    message = str(info.value)
    assert "'w2' is in split 0 and split 1" in message
    assert "'w3' is in split 1 and split 2" in message
    assert "w1" not in message and "w4" not in message
    with pytest.raises(ValueError, match="group 3 is in train and test"):
        check_no_group_leakage([1, 2, 3, 3], [0, 2], [1, 3], names=["train", "test"])
    # an injected leak into a clean split is caught
    ints = np.arange(20).repeat(3)
    train, test = split_by_group(ints, (0.8, 0.2), rng=0)
    check_no_group_leakage(ints, train, test)
    leaked = np.append(test, train[0])
    with pytest.raises(ValueError, match=f"group {ints[train[0]]} is in split 0 and split 1"):
        check_no_group_leakage(ints, train, leaked)


def test_leak_check_validates_indices():
    with pytest.raises(ValueError, match="expected indices into groups of length 3"):
        check_no_group_leakage(["a", "b", "c"], [0, 1], [5])
    with pytest.raises(ValueError, match="two or more index arrays"):
        check_no_group_leakage(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="expected 2 names"):
        check_no_group_leakage(["a", "b"], [0], [1], names=["train"])


# ----------------------------------------------------------------------------------------
# sample_per_class
# ----------------------------------------------------------------------------------------

# 0 has 4 samples, 1 has 3, 2 has 5
Y_CLASSES = np.array([0, 1, 2, 0, 1, 2, 2, 0, 1, 2, 0, 2])


def test_sample_per_class_counts_and_sorted_int64():
    idx = sample_per_class(Y_CLASSES, 3, rng=0)
    assert idx.dtype == np.int64
    assert np.all(np.diff(idx) > 0)  # sorted, no repeats
    assert np.bincount(Y_CLASSES[idx]).tolist() == [3, 3, 3]
    # all samples of the smallest class are taken when it has exactly n_per_class
    assert set(np.flatnonzero(Y_CLASSES == 1)) <= set(idx.tolist())
    np.testing.assert_array_equal(sample_per_class(Y_CLASSES, None), np.arange(12))


def test_sample_per_class_draws_only_from_among():
    among = np.array(
        [11, 0, 1, 2, 3, 4, 5, 8]
    )  # class 0: 0, 3; class 1: 1, 4, 8; class 2: 2, 5, 11
    idx = sample_per_class(Y_CLASSES, 2, rng=1, among=among)
    assert set(idx.tolist()) <= set(among.tolist())
    assert np.bincount(Y_CLASSES[idx]).tolist() == [2, 2, 2]
    assert {0, 3} <= set(idx.tolist())  # the only two of class 0 among them
    np.testing.assert_array_equal(sample_per_class(Y_CLASSES, None, among=among), np.sort(among))
    # the order of among does not matter, only its content
    np.testing.assert_array_equal(idx, sample_per_class(Y_CLASSES, 2, rng=1, among=among[::-1]))


def test_sample_per_class_same_seed_same_indices():
    y = np.repeat([0, 1, 2], 20)
    first = sample_per_class(y, 5, rng=3)
    np.testing.assert_array_equal(first, sample_per_class(y, 5, rng=3))
    np.testing.assert_array_equal(first, sample_per_class(y, 5, rng=np.random.default_rng(3)))
    assert not np.array_equal(first, sample_per_class(y, 5, rng=4))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_per_class": 4}, ValueError, r"class 1 has 3 sample\(s\) .*at least n_per_class=4"),
        (
            {"n_per_class": 1, "among": [0, 1, 3]},
            ValueError,
            r"class 2 has 0 sample\(s\) among the given indices",
        ),
        ({"n_per_class": 0}, ValueError, "positive int or None; got 0"),
        ({"n_per_class": 2.0}, ValueError, "got 2.0"),
        ({"y": Y_CLASSES.astype(float)}, TypeError, "integer class labels; got dtype=float64"),
        ({"y": Y_CLASSES.reshape(3, 4)}, ValueError, r"shape \(S,\).*got \(3, 4\)"),
        ({"among": [0, 12]}, ValueError, r"indices 0\.\.11 into y of length 12; got .* to 12"),
        ({"among": [-1, 2]}, ValueError, "from -1 to 2"),
        ({"among": [0, 1, 1]}, ValueError, "without repeated indices; got 3 indices of which 2"),
        ({"among": [0.0, 1.0]}, ValueError, "integer indices"),
        ({"rng": "seed"}, TypeError, "rng must be"),
    ],
)
def test_sample_per_class_errors(kwargs, error, match):
    arguments = {"y": Y_CLASSES, "n_per_class": 1, **kwargs}
    with pytest.raises(error, match=match):
        sample_per_class(**arguments)
