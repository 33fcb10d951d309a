"""Tests for cellcourse.synthetic: exact ground truth for images and time-lapses."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage as ndi
from skimage.measure import label as connected_components
from skimage.measure import regionprops

from cellcourse.synthetic import (
    TimeLapse,
    nuclei_dataset,
    nuclei_image,
    paired_transmitted_fluorescence,
    time_lapse,
)


def _assert_valid_labels(labels, min_size=20):
    """Labels 1..n all present, each one connected component of >= min_size pixels."""
    n = int(labels.max())
    assert np.unique(labels).tolist() == list(range(n + 1))
    sizes = np.bincount(labels.ravel())[1:]
    assert (sizes >= min_size).all(), sizes.min()
    for label_id in range(1, n + 1):
        _, n_components = connected_components(labels == label_id, return_num=True)
        assert n_components == 1, f"label {label_id} has {n_components} components"


def _touching_pairs(labels, gap=1):
    """Pairs of labels that come within ``gap`` pixels of each other (8-neighbourhood)."""
    structure = np.ones((2 * gap + 1, 2 * gap + 1), dtype=bool)
    pairs = set()
    for label_id in range(1, int(labels.max()) + 1):
        grown = ndi.binary_dilation(labels == label_id, structure=structure)
        for other in np.unique(labels[grown]):
            if other not in (0, label_id):
                pairs.add(tuple(sorted((label_id, int(other)))))
    return pairs


# --- nuclei_image ---------------------------------------------------------------------------
def test_nuclei_image_dtypes_shapes_and_range():
    image, labels = nuclei_image((48, 80), n_nuclei=6, rng=0)
    assert image.shape == labels.shape == (48, 80)
    assert image.dtype == np.uint16 and labels.dtype == np.int32
    assert image.max() <= 4095
    assert labels.max() == 6


def test_nuclei_image_same_seed_same_output_other_seed_differs():
    first = nuclei_image((64, 64), n_nuclei=5, rng=7)
    again = nuclei_image((64, 64), n_nuclei=5, rng=np.random.default_rng(7))
    other = nuclei_image((64, 64), n_nuclei=5, rng=8)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("seed", range(4))
def test_nuclei_labels_consecutive_connected_and_large_enough(seed):
    # crowded on purpose, so that nuclei overlap and cut into each other
    _, labels = nuclei_image((96, 96), n_nuclei=40, radius=(5, 10), touching=True, rng=seed)
    assert labels.max() > 10
    _assert_valid_labels(labels)


def test_touching_allowed_gives_touching_nuclei_in_a_crowded_field():
    _, labels = nuclei_image((96, 96), n_nuclei=40, radius=(5, 10), touching=True, rng=0)
    assert len(_touching_pairs(labels)) > 0


@pytest.mark.parametrize("seed", range(3))
def test_not_touching_leaves_a_two_pixel_gap(seed):
    _, labels = nuclei_image((96, 96), n_nuclei=40, radius=(5, 10), touching=False, rng=seed)
    assert labels.max() > 5
    _assert_valid_labels(labels)
    assert _touching_pairs(labels, gap=1) == set()
    assert _touching_pairs(labels, gap=2) == set()


def test_overfull_request_returns_fewer_nuclei_quickly():
    _, labels = nuclei_image((40, 40), n_nuclei=300, radius=(6, 8), touching=False, rng=0)
    assert 0 < labels.max() < 300
    _assert_valid_labels(labels)


def test_no_nuclei_gives_a_flat_background():
    image, labels = nuclei_image((16, 20), n_nuclei=0, background=150, noise=False, rng=0)
    assert labels.max() == 0
    assert (image == 150).all()


def test_without_blur_and_noise_the_background_is_exact_and_nuclei_are_in_range():
    image, labels = nuclei_image(
        (64, 64), n_nuclei=5, intensity=(1000, 1000), background=100, blur_sigma=0,
        noise=False, rng=3,
    )  # fmt: skip
    assert (image[labels == 0] == 100).all()
    # brightness 1000 above background, modulated by a +-15 % texture (s.d.)
    inside = image[labels > 0].astype(float)
    assert abs(inside.mean() - 1100) < 60
    assert inside.min() > 100


def test_nuclei_are_brighter_than_the_background_with_noise():
    image, labels = nuclei_image((64, 64), n_nuclei=6, rng=1)
    assert image[labels > 0].mean() > 4 * image[labels == 0].mean()


def test_small_radius_still_gives_valid_labels():
    _, labels = nuclei_image((32, 32), n_nuclei=10, radius=(2, 3), rng=0)
    assert labels.max() > 0
    _assert_valid_labels(labels, min_size=6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shape": (0, 10)}, "shape must be 2 positive integers"),
        ({"shape": (10,)}, "got (10,)"),
        ({"shape": (10.0, 10)}, "shape must be 2 positive integers"),
        ({"shape": "64x64"}, "got '64x64'"),
        ({"n_nuclei": -1}, "n_nuclei must be a non-negative integer; got -1"),
        ({"n_nuclei": 2.5}, "got 2.5"),
        ({"radius": (0, 3)}, "radius must be a pair (low, high) with 0 < low"),
        ({"radius": (8, 3)}, "got (8, 3)"),
        ({"radius": 5}, "got 5"),
        ({"intensity": (3000, 800)}, "intensity must be a pair"),
        ({"intensity": (100, 5000)}, "<= 4095"),
        ({"background": -1}, "background must be a finite number in [0, 4095]; got -1"),
        ({"background": 5000}, "got 5000"),
        ({"blur_sigma": -0.5}, "blur_sigma must be a finite number >= 0; got -0.5"),
    ],
)
def test_nuclei_image_bad_inputs_say_what_was_expected_and_received(kwargs, message):
    with pytest.raises(ValueError) as info:
        nuclei_image(**kwargs)
    assert message in str(info.value)


def test_nuclei_image_flags_must_be_bool():
    with pytest.raises(TypeError, match="touching must be True or False; got 'no'"):
        nuclei_image((32, 32), touching="no")


# --- nuclei_dataset -------------------------------------------------------------------------
def test_nuclei_dataset_stacks_images_and_labels():
    images, labels = nuclei_dataset(3, shape=(32, 40), n_nuclei=3, rng=0)
    assert images.shape == labels.shape == (3, 32, 40)
    assert images.dtype == np.uint16 and labels.dtype == np.int32
    for sample in labels:
        _assert_valid_labels(sample)
    assert not np.array_equal(labels[0], labels[1])
    again = nuclei_dataset(3, shape=(32, 40), n_nuclei=3, rng=0)
    np.testing.assert_array_equal(images, again[0])
    np.testing.assert_array_equal(labels, again[1])


def test_nuclei_dataset_passes_keywords_and_allows_zero_images():
    images, labels = nuclei_dataset(2, shape=(8, 8), n_nuclei=0, noise=False, background=42)
    assert (labels == 0).all() and (images == 42).all()
    images, labels = nuclei_dataset(0, shape=(8, 9))
    assert images.shape == labels.shape == (0, 8, 9)


def test_nuclei_dataset_bad_inputs():
    with pytest.raises(ValueError, match="n_images must be a non-negative integer; got -2"):
        nuclei_dataset(-2)
    with pytest.raises(TypeError, match="unexpected keyword"):
        nuclei_dataset(1, n_nucleus=3)
    with pytest.raises(ValueError, match="radius must be a pair"):
        nuclei_dataset(0, radius=(3, 1))


# --- time_lapse -----------------------------------------------------------------------------
def _assert_consistent(movie: TimeLapse, radius: float):
    """Label images, track table and lineage all tell the same story."""
    n_frames = movie.labels.shape[0]
    tracks, lineage = movie.tracks, movie.lineage
    assert list(tracks.columns) == ["frame", "label", "y", "x", "track_id", "parent_id"]
    assert list(lineage.columns) == ["track_id", "start", "end", "parent_id"]
    assert (tracks["label"] == tracks["track_id"]).all()
    assert not tracks.duplicated(["frame", "track_id"]).any()
    for frame in range(n_frames):
        in_image = set(np.unique(movie.labels[frame]).tolist()) - {0}
        in_table = set(tracks.loc[tracks["frame"] == frame, "label"].tolist())
        assert in_image == in_table, frame
    # lineage start/end agree with the frames of each track, with no gaps
    spans = tracks.groupby("track_id")["frame"].agg(["min", "max", "count"])
    assert sorted(spans.index) == sorted(lineage["track_id"])
    by_label = lineage.set_index("track_id")
    np.testing.assert_array_equal(by_label.loc[spans.index, "start"], spans["min"])
    np.testing.assert_array_equal(by_label.loc[spans.index, "end"], spans["max"])
    np.testing.assert_array_equal(spans["count"], spans["max"] - spans["min"] + 1)
    # parent ids agree, and daughters begin right after their parent ends, in pairs
    parent_of = tracks.groupby("track_id")["parent_id"].agg(["min", "max"])
    assert (parent_of["min"] == parent_of["max"]).all()
    np.testing.assert_array_equal(by_label.loc[parent_of.index, "parent_id"], parent_of["min"])
    daughters = lineage[lineage["parent_id"] > 0]
    for parent, group in daughters.groupby("parent_id"):
        assert len(group) == 2
        assert parent in by_label.index
        assert (group["start"] == by_label.loc[parent, "end"] + 1).all()
    # every cell keeps its full disc, centred on the true position
    for frame in range(n_frames):
        rows = tracks[tracks["frame"] == frame].set_index("label")
        for region in regionprops(movie.labels[frame]):
            y, x = rows.loc[region.label, ["y", "x"]]
            assert np.hypot(region.centroid[0] - y, region.centroid[1] - x) < 0.5
            assert region.area >= 0.8 * np.pi * radius**2
    assert tracks["y"].between(radius, movie.labels.shape[1] - 1 - radius).all()
    assert tracks["x"].between(radius, movie.labels.shape[2] - 1 - radius).all()


def test_time_lapse_types_shapes_and_consistency():
    movie = time_lapse(n_frames=12, shape=(64, 80), n_cells=6, radius=4.0, rng=0)
    assert isinstance(movie, TimeLapse)
    assert movie.images.shape == movie.labels.shape == (12, 64, 80)
    assert movie.images.dtype == np.uint16 and movie.labels.dtype == np.int32
    assert movie.images.max() <= 4095
    assert (movie.tracks["frame"] == 0).sum() == 6
    _assert_consistent(movie, radius=4.0)


@pytest.mark.parametrize("seed", range(3))
def test_time_lapse_with_many_events_stays_consistent(seed):
    movie = time_lapse(
        n_frames=15, shape=(64, 64), n_cells=5, radius=3.0, speed=3.0,
        p_appear=0.5, p_disappear=0.1, p_divide=0.3, rng=seed,
    )  # fmt: skip
    assert (movie.lineage["parent_id"] > 0).sum() >= 4  # at least two divisions
    assert (movie.lineage["start"] > 0).any() and (movie.lineage["end"] < 14).any()
    _assert_consistent(movie, radius=3.0)


def test_time_lapse_same_seed_same_movie_other_seed_differs():
    first = time_lapse(n_frames=6, shape=(48, 48), n_cells=3, rng=5)
    again = time_lapse(n_frames=6, shape=(48, 48), n_cells=3, rng=np.random.default_rng(5))
    other = time_lapse(n_frames=6, shape=(48, 48), n_cells=3, rng=6)
    np.testing.assert_array_equal(first.images, again.images)
    np.testing.assert_array_equal(first.labels, again.labels)
    pd.testing.assert_frame_equal(first.tracks, again.tracks)
    pd.testing.assert_frame_equal(first.lineage, again.lineage)
    assert not first.tracks[["y", "x"]].equals(other.tracks[["y", "x"]])


def test_time_lapse_without_cells_is_empty():
    movie = time_lapse(n_frames=4, shape=(32, 32), n_cells=0, p_appear=0.0, rng=0)
    assert (movie.labels == 0).all()
    assert movie.tracks.empty and movie.lineage.empty
    assert list(movie.tracks.columns) == ["frame", "label", "y", "x", "track_id", "parent_id"]
    assert list(movie.lineage.columns) == ["track_id", "start", "end", "parent_id"]


def test_cells_appear_from_nothing():
    movie = time_lapse(n_frames=5, shape=(48, 48), n_cells=0, p_appear=1.0, rng=0)
    # one new cell per frame from frame 1 on, with no parent
    assert movie.lineage["start"].tolist() == [1, 2, 3, 4]
    assert (movie.lineage["parent_id"] == 0).all()
    _assert_consistent(movie, radius=5.0)


def test_all_cells_disappear_after_the_first_frame():
    movie = time_lapse(n_frames=3, shape=(48, 48), n_cells=4, p_appear=0, p_disappear=1.0, rng=0)
    assert (movie.lineage["end"] == 0).all() and len(movie.lineage) == 4
    assert (movie.labels[1:] == 0).all()


def test_division_makes_two_daughters_either_side_of_the_mother():
    movie = time_lapse(
        n_frames=2, shape=(64, 64), n_cells=1, radius=4.0, p_appear=0, p_disappear=0,
        p_divide=1.0, rng=0,
    )  # fmt: skip
    assert movie.lineage.values.tolist() == [[1, 0, 0, 0], [2, 1, 1, 1], [3, 1, 1, 1]]
    mother = movie.tracks.iloc[0][["y", "x"]].to_numpy(float)
    daughters = movie.tracks.iloc[1:][["y", "x"]].to_numpy(float)
    np.testing.assert_allclose(daughters.mean(axis=0), mother)  # opposite directions
    np.testing.assert_allclose(np.linalg.norm(daughters - mother, axis=1), 4.5)
    _assert_consistent(movie, radius=4.0)


def test_cells_move_about_speed_pixels_per_frame():
    movie = time_lapse(
        n_frames=10, shape=(128, 128), n_cells=4, speed=2.0, p_appear=0, p_disappear=0,
        p_divide=0, rng=0,
    )  # fmt: skip
    steps = movie.tracks.sort_values(["track_id", "frame"]).groupby("track_id")[["y", "x"]].diff()
    lengths = np.hypot(steps["y"], steps["x"]).dropna()
    assert 1.0 < lengths.median() <= 3.0
    assert lengths.max() <= 3.0 + 1e-9
    still = time_lapse(n_frames=5, shape=(64, 64), n_cells=3, speed=0.0, p_divide=0, rng=0)
    assert still.tracks.groupby("track_id")[["y", "x"]].nunique().max().max() == 1


def test_crowded_time_lapse_keeps_every_cell_whole():
    # more cells than fit: fewer start, and none overlaps another
    movie = time_lapse(n_frames=5, shape=(40, 40), n_cells=50, radius=4.0, p_divide=0.5, rng=0)
    assert 0 < (movie.tracks["frame"] == 0).sum() < 50
    _assert_consistent(movie, radius=4.0)


def test_time_lapse_is_frozen_and_has_a_short_repr():
    movie = time_lapse(n_frames=2, shape=(32, 32), n_cells=1, rng=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        movie.images = None
    assert repr(movie).startswith("TimeLapse(images=(2, 32, 32) uint16")
    assert len(repr(movie)) < 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_frames": 0}, "n_frames must be a positive integer; got 0"),
        ({"shape": (64, -1)}, "shape must be 2 positive integers (Y, X); got (64, -1)"),
        ({"shape": (8, 64)}, "at least 2 * radius + 1 = 11 pixels on each side"),
        ({"n_cells": -3}, "n_cells must be a non-negative integer; got -3"),
        ({"radius": 0}, "radius must be a finite number >= 1; got 0"),
        ({"radius": 0.5}, "got 0.5"),
        ({"speed": -1}, "speed must be a finite number >= 0; got -1"),
        ({"speed": float("inf")}, "got inf"),
        ({"p_appear": 1.5}, "p_appear must be a probability in [0, 1]; got 1.5"),
        ({"p_disappear": -0.1}, "p_disappear must be a probability in [0, 1]; got -0.1"),
        ({"p_divide": "often"}, "p_divide must be a probability in [0, 1]; got 'often'"),
    ],
)
def test_time_lapse_bad_inputs_say_what_was_expected_and_received(kwargs, message):
    with pytest.raises(ValueError) as info:
        time_lapse(**kwargs)
    assert message in str(info.value)


# --- paired_transmitted_fluorescence -------------------------------------------------------
def test_paired_images_shapes_determinism_and_contrast():
    transmitted, fluorescence = paired_transmitted_fluorescence((64, 64), 6, rng=0)
    assert transmitted.shape == fluorescence.shape == (64, 64)
    assert transmitted.dtype == fluorescence.dtype == np.float32
    again = paired_transmitted_fluorescence((64, 64), 6, rng=0)
    np.testing.assert_array_equal(transmitted, again[0])
    np.testing.assert_array_equal(fluorescence, again[1])
    other = paired_transmitted_fluorescence((64, 64), 6, rng=1)
    assert not np.array_equal(fluorescence, other[1])
    # without noise: the background is 0 in fluorescence and 1 in transmitted light,
    # and nuclei are bright in fluorescence but dark in transmitted light
    transmitted, fluorescence = paired_transmitted_fluorescence((64, 64), 4, noise=False, rng=0)
    nuclei = fluorescence > 0.25
    assert nuclei.any()
    assert np.isclose(fluorescence.min(), 0.0, atol=1e-6)
    assert np.isclose(np.median(transmitted[fluorescence < 1e-6]), 1.0, atol=0.05)
    assert transmitted[nuclei].mean() < transmitted[~nuclei].mean() - 0.1
    assert np.corrcoef(transmitted.ravel(), fluorescence.ravel())[0, 1] < -0.5


def test_paired_images_bad_inputs():
    with pytest.raises(ValueError, match="n_nuclei must be a non-negative integer; got -1"):
        paired_transmitted_fluorescence((32, 32), -1)
    with pytest.raises(ValueError, match=r"shape must be 2 positive integers \(Y, X\)"):
        paired_transmitted_fluorescence((32, 32, 3))


def test_lineage_is_the_one_tracking_derives_from_the_tracks():
    # one vocabulary for lineages across the library: synthetic movies, loaded data, linkers
    from cellcourse.tracking import lineage_from_tracks

    movie = time_lapse(n_frames=12, n_cells=4, p_divide=0.2, rng=3)
    assert (movie.lineage["parent_id"] > 0).any()  # the case worth checking: with divisions
    pd.testing.assert_frame_equal(
        lineage_from_tracks(movie.tracks), movie.lineage, check_dtype=False
    )
