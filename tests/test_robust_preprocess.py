"""Robustness of cellcourse.preprocess: random images, tilings and groups, invariants that must hold.

Property-based (hypothesis, derandomized): tiling then stitching gives the
image back for every size, tile, overlap and padding the API accepts;
percentile normalisation keeps the order of the values and its range;
patches have the shapes and contents promised; splits by group never leak.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cellcourse.preprocess import (
    check_no_group_leakage,
    extract_patches,
    grid_patches,
    normalize_percentile,
    sample_per_class,
    split_by_group,
    stitch_tiles,
    tile_image,
)

_PAD_MODES = st.sampled_from(["reflect", "symmetric", "edge", "constant", "wrap"])


@st.composite
def _tilings(draw):
    """A tile shape and an overlap the API accepts, as ints or (Y, X) pairs."""
    tile = (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    overlap = tuple(draw(st.integers(0, (t - 1) // 2)) for t in tile)
    if tile[0] == tile[1] and draw(st.booleans()):
        tile = tile[0]
    if overlap[0] == overlap[1] and draw(st.booleans()):
        overlap = overlap[0]
    return tile, overlap


_IMAGES = st.tuples(
    st.integers(1, 30), st.integers(1, 30), st.sampled_from([(), (1,), (3,)])
).flatmap(
    lambda s: hnp.arrays(
        st.sampled_from([np.uint8, np.uint16, np.float32, np.float64]), (s[0], s[1], *s[2])
    )
)


# --- tiling -------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None, derandomize=True)
@given(image=_IMAGES, tiling=_tilings(), pad_mode=_PAD_MODES)
def test_tiling_then_stitching_is_the_identity(image, tiling, pad_mode):
    tile_shape, overlap = tiling
    tiles, layout = tile_image(image, tile_shape=tile_shape, overlap=overlap, pad_mode=pad_mode)
    ty, tx = layout.tile_shape
    assert tiles.shape == (layout.n_tiles, ty, tx, *image.shape[2:])
    assert tiles.dtype == image.dtype
    assert layout.n_tiles == math.prod(layout.grid_shape)
    np.testing.assert_array_equal(stitch_tiles(tiles, layout), image)  # NaN-safe, bit-exact
    # per-tile predictions with another number of channels come back in place as well
    predictions = np.stack([tiles, tiles], axis=-1).reshape(layout.n_tiles, ty, tx, -1)
    stitched = stitch_tiles(predictions, layout)
    np.testing.assert_array_equal(
        stitched, np.stack([image, image], axis=-1).reshape(*image.shape[:2], -1)
    )


# --- intensities ---------------------------------------------------------------------------
_INTENSITIES = st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(1, 3)).flatmap(
    lambda s: st.one_of(
        hnp.arrays(np.uint16, s, elements=st.integers(0, 65535)),
        hnp.arrays(np.int16, s, elements=st.integers(-1000, 1000)),
        hnp.arrays(np.float64, s, elements=st.floats(-1e6, 1e6, allow_subnormal=False)),
    )
)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(
    image=_INTENSITIES,
    percentiles=st.tuples(st.floats(0, 50), st.floats(50.5, 100)),
    axis=st.sampled_from([None, (0, 1), 2]),
    clip=st.booleans(),
)
def test_normalize_percentile_keeps_order_and_range(image, percentiles, axis, clip):
    low, high = percentiles
    out = normalize_percentile(image, low, high, axis=axis, clip=clip)
    assert out.shape == image.shape and out.dtype == np.float32
    assert np.all(np.isfinite(out))
    if clip:
        assert out.min() >= 0.0 and out.max() <= 1.0
    # monotone: within each group of pixels normalised together, order is kept
    groups = [image.reshape(-1)] if axis is None else [image[..., c] for c in range(image.shape[2])]
    outs = [out.reshape(-1)] if axis is None else [out[..., c] for c in range(image.shape[2])]
    if axis == 2:  # percentiles over the channels of each pixel: each pixel is a group
        groups = list(image.reshape(-1, image.shape[2]))
        outs = list(out.reshape(-1, image.shape[2]))
    for values, normalised in zip(groups, outs, strict=True):
        order = np.argsort(values.reshape(-1), kind="stable")
        assert np.all(np.diff(normalised.reshape(-1)[order].astype(np.float64)) >= 0)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(image=_INTENSITIES)
def test_normalize_percentile_maps_the_extremes_to_zero_and_one(image):
    eps = 1e-20
    out = normalize_percentile(image, 0, 100, eps=eps, dtype=np.float64)
    spread = float(image.max()) - float(image.min())
    if spread == 0:
        np.testing.assert_array_equal(out, 0.0)  # eps keeps a constant image finite
    else:
        assert out.min() == 0.0
        # 1 up to eps: a spread far below eps (1e-191, say) stays near 0, as documented
        assert out.max() == pytest.approx(spread / (spread + eps), rel=1e-9)


# --- patches ---------------------------------------------------------------------------------
@settings(max_examples=80, deadline=None, derandomize=True)
@given(data=st.data(), n_patches=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_extract_patches_shapes_contents_and_foreground(data, n_patches, seed):
    n_images = data.draw(st.integers(1, 3))
    height, width = data.draw(st.integers(1, 10)), data.draw(st.integers(1, 10))
    channels = data.draw(st.sampled_from([(), (2,)]))
    images = data.draw(hnp.arrays(np.float32, (n_images, height, width, *channels)))
    labels = data.draw(hnp.arrays(np.int32, (n_images, height, width), elements=st.integers(0, 3)))
    py, px = data.draw(st.integers(1, height)), data.draw(st.integers(1, width))
    fraction = data.draw(st.sampled_from([None, 0.0, 0.5, 1.0])) if labels.any() else None

    x, y, positions = extract_patches(
        images,
        labels,
        patch_shape=(py, px),
        n_patches=n_patches,
        rng=seed,
        foreground_fraction=fraction,
        return_positions=True,
    )
    assert x.shape == (n_patches, py, px, *channels) and x.dtype == images.dtype
    assert y.shape == (n_patches, py, px) and y.dtype == labels.dtype
    assert positions.shape == (n_patches, 3)
    for k, (s, r, c) in enumerate(positions):
        assert 0 <= s < n_images and 0 <= r <= height - py and 0 <= c <= width - px
        np.testing.assert_array_equal(x[k], images[s, r : r + py, c : c + px])
        np.testing.assert_array_equal(y[k], labels[s, r : r + py, c : c + px])
    if fraction:
        assert (y > 0).any(axis=(1, 2)).sum() >= math.ceil(fraction * n_patches)
    again = extract_patches(
        images,
        labels,
        patch_shape=(py, px),
        n_patches=n_patches,
        rng=seed,
        foreground_fraction=fraction,
        return_positions=True,
    )
    np.testing.assert_array_equal(again[2], positions)  # same seed, same patches


@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=st.data())
def test_grid_patches_cover_the_grid_row_by_row(data):
    height, width = data.draw(st.integers(1, 15)), data.draw(st.integers(1, 15))
    image = np.arange(height * width).reshape(height, width)
    py, px = data.draw(st.integers(1, height)), data.draw(st.integers(1, width))
    sy, sx = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    patches = grid_patches(image, (py, px), stride=(sy, sx))
    ny, nx = (height - py) // sy + 1, (width - px) // sx + 1
    assert patches.shape == (ny * nx, py, px)
    for k, patch in enumerate(patches):
        r, c = (k // nx) * sy, (k % nx) * sx
        np.testing.assert_array_equal(patch, image[r : r + py, c : c + px])


# --- groups ---------------------------------------------------------------------------------
_GROUPS = st.one_of(
    st.lists(st.integers(0, 8), min_size=1, max_size=40),
    st.lists(st.sampled_from(["fov1", "fov2", "well B3", "x", "é"]), min_size=1, max_size=40),
)
_FRACTIONS = st.lists(st.integers(1, 20), min_size=2, max_size=4).map(
    lambda w: tuple(v / sum(w) for v in w)
)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(groups=_GROUPS, fractions=_FRACTIONS, seed=st.integers(0, 2**32 - 1))
def test_split_by_group_never_leaks_and_covers_every_sample_once(groups, fractions, seed):
    groups = np.asarray(groups)
    n_groups = len(np.unique(groups))
    if n_groups < len(fractions):
        with pytest.raises(ValueError, match="at least"):
            split_by_group(groups, fractions, rng=seed)
        return
    splits = split_by_group(groups, fractions, rng=seed)
    assert len(splits) == len(fractions)
    assert all(len(s) > 0 for s in splits)  # no split is left empty
    together = np.sort(np.concatenate(splits))
    np.testing.assert_array_equal(together, np.arange(len(groups)))
    for s in splits:
        np.testing.assert_array_equal(s, np.sort(s))
    check_no_group_leakage(groups, *splits)  # silent
    sets = [set(groups[s].tolist()) for s in splits]
    assert all(a.isdisjoint(b) for i, a in enumerate(sets) for b in sets[i + 1 :])
    again = split_by_group(groups, fractions, rng=seed)
    assert all(np.array_equal(a, b) for a, b in zip(splits, again, strict=True))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(groups=_GROUPS, data=st.data())
def test_check_no_group_leakage_finds_every_shared_group(groups, data):
    groups = np.asarray(groups)
    which = np.asarray(
        data.draw(st.lists(st.integers(0, 2), min_size=len(groups), max_size=len(groups)))
    )
    splits = [np.flatnonzero(which == k) for k in range(3)]
    shared = [g for g in np.unique(groups) if len({int(k) for k in which[groups == g]}) > 1]
    if shared:
        with pytest.raises(ValueError, match="group leakage") as err:
            check_no_group_leakage(groups, *splits)
        assert repr(shared[0].item()) in str(err.value)
    else:
        check_no_group_leakage(groups, *splits)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    y=st.lists(st.integers(0, 3), min_size=1, max_size=30),
    n_per_class=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_sample_per_class_draws_n_of_every_class(y, n_per_class, seed):
    y = np.asarray(y)
    counts = np.bincount(y)
    if counts[counts > 0].min() < n_per_class:
        with pytest.raises(ValueError, match="n_per_class"):
            sample_per_class(y, n_per_class, rng=seed)
        return
    idx = sample_per_class(y, n_per_class, rng=seed)
    assert len(np.unique(idx)) == idx.size
    np.testing.assert_array_equal(
        np.bincount(y[idx], minlength=counts.size), np.where(counts > 0, n_per_class, 0)
    )
