"""Robustness of cellcourse.tracking and cellcourse.metrics.tracking: random track tables.

Property-based (hypothesis, derandomized): linking the detections of a
perfect, well-separated track table (with gaps and divisions) gives back
exactly its tracks, compared as sets of links; the CTC files written by
``write_ctc_result`` read back as the same tracks; the tracking metrics of the
truth against itself are all 1.0, whatever the track ids; and linking random
detections never crashes and always gives a valid track table.
"""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import (
    LINK_MAX_DISTANCE,
    permute_track_ids,
    track_links,
    track_partition,
    track_tables,
)

from cellcourse.metrics.tracking import tracking_scores
from cellcourse.tracking import (
    detect,
    lineage_from_tracks,
    link,
    link_by_overlap,
    read_ctc,
    to_ctc,
    write_ctc_result,
)

SHAPE = (110, 110)  # (Y, X) that holds every position of track_tables()


def _assert_perfect(scores) -> None:
    for name, value in scores.to_dict().items():
        if name != "aogm":
            assert value == 1.0, name
    assert scores.tra.aogm == 0.0
    assert scores.complete.n_complete == scores.complete.n_true


def _assert_valid_track_table(tracks: pd.DataFrame, n_rows: int) -> None:
    """CTC conventions: ids from 1, one row per (frame, track), no gap inside a track."""
    assert len(tracks) == n_rows
    assert tracks["track_id"].dtype == np.int64 and tracks["parent_id"].dtype == np.int64
    if n_rows == 0:
        return
    assert tracks["track_id"].min() >= 1
    lineage = lineage_from_tracks(tracks)  # raises on a parent that does not end before
    counts = tracks.groupby("track_id").size().to_numpy()
    np.testing.assert_array_equal(counts, (lineage["end"] - lineage["start"] + 1).to_numpy())
    np.testing.assert_array_equal(lineage["track_id"], np.arange(1, len(lineage) + 1))


# --- linking the truth back ----------------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True)
@given(truth=track_tables(), seed=st.integers(0, 2**32 - 1))
def test_linking_a_perfect_track_table_returns_its_tracks(truth, seed):
    # the detections alone, in any order, without their track ids
    order = np.random.default_rng(seed).permutation(len(truth))
    detections = truth[["frame", "y", "x"]].iloc[order]
    result = link(detections, max_distance=LINK_MAX_DISTANCE, max_gap=2, divisions=True)
    _assert_valid_track_table(result.tracks, len(truth))
    pd.testing.assert_frame_equal(result.tracks[["frame", "y", "x"]], detections)
    assert track_links(result.tracks) == track_links(truth)
    assert track_partition(result.tracks) == track_partition(truth)
    assert len(result.lineage) == truth["track_id"].nunique()


@settings(max_examples=15, deadline=None, derandomize=True)
@given(truth=track_tables(gaps=False, divisions=False))
def test_linking_by_overlap_returns_the_tracks_of_drawn_cells(truth):
    masks, _ = to_ctc(
        truth, shape=(int(truth["frame"].to_numpy().max(initial=0)) + 1, *SHAPE), radius=3
    )
    result = link_by_overlap(masks, min_iou=0.3)
    _assert_valid_track_table(result.tracks, len(truth))
    # detect() labels each object by its track id in the drawn masks
    relabelled = result.tracks.rename(columns={"label": "true_track"})
    assert set(relabelled.groupby("track_id")["true_track"].nunique()) <= {1}
    assert relabelled["true_track"].nunique() == relabelled["track_id"].nunique()
    assert (result.lineage["parent_id"] == 0).all()


# --- the CTC format ------------------------------------------------------------------------
@settings(max_examples=10, deadline=None, derandomize=True)
@given(truth=track_tables(), radius=st.sampled_from([0, 1, 3]), ground_truth=st.booleans())
def test_ctc_files_read_back_as_the_same_tracks(truth, radius, ground_truth):
    n_frames = int(truth["frame"].to_numpy().max(initial=0)) + 1
    masks, lineage = to_ctc(truth, shape=(n_frames, *SHAPE), radius=radius)
    pd.testing.assert_frame_equal(lineage, lineage_from_tracks(truth))
    with tempfile.TemporaryDirectory() as folder:
        data = read_ctc(
            write_ctc_result(
                folder, truth, shape=(n_frames, *SHAPE), radius=radius, ground_truth=ground_truth
            )
        )
    np.testing.assert_array_equal(data.labels, masks)
    pd.testing.assert_frame_equal(data.lineage, lineage)
    key = ["frame", "track_id", "parent_id"]
    back = data.tracks.sort_values(["frame", "track_id"]).reset_index(drop=True)
    expected = truth.sort_values(["frame", "track_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back[key], expected[key])
    # a marker is a disc around the rounded centre, so its centroid is the centre to 0.5 px
    np.testing.assert_allclose(back[["y", "x"]], expected[["y", "x"]], atol=0.5 + 1e-9)

    # and the masks repainted from the read-back label images are the same masks
    again, _ = to_ctc(data.tracks, labels=data.labels)
    np.testing.assert_array_equal(again, masks)


# --- metrics of the truth against itself ---------------------------------------------------
@settings(max_examples=25, deadline=None, derandomize=True)
@given(truth=track_tables(), data=st.data())
def test_tracking_metrics_of_the_truth_against_itself_are_one(truth, data):
    _assert_perfect(tracking_scores(truth, truth, max_distance=0.5))
    # the scores do not depend on the track ids of either table
    n_tracks = truth["track_id"].nunique()
    new_ids = data.draw(
        st.lists(st.integers(1, 10**6), min_size=n_tracks, max_size=n_tracks, unique=True)
    )
    renamed = permute_track_ids(truth, new_ids)
    _assert_perfect(tracking_scores(truth, renamed, max_distance=0.5))
    _assert_perfect(tracking_scores(renamed, truth, max_distance=0.5, tolerance=1))


@settings(max_examples=10, deadline=None, derandomize=True)
@given(truth=track_tables())
def test_tracking_metrics_by_overlap_of_the_truth_against_itself_are_one(truth):
    n_frames = int(truth["frame"].to_numpy().max(initial=0)) + 1
    masks, _ = to_ctc(truth, shape=(n_frames, *SHAPE), radius=2)
    tracks = truth.assign(label=truth["track_id"])
    _assert_perfect(tracking_scores(tracks, tracks, true_labels=masks, pred_labels=masks))


@settings(max_examples=20, deadline=None, derandomize=True)
@given(truth=track_tables(), data=st.data())
def test_tracking_metrics_stay_in_bounds_for_a_damaged_result(truth, data):
    if len(truth) == 0:
        return
    # drop some detections and cut some tracks: every score stays within [0, 1]
    keep = np.asarray(data.draw(st.lists(st.booleans(), min_size=len(truth), max_size=len(truth))))
    pred = link(truth.loc[keep, ["frame", "y", "x"]], max_distance=LINK_MAX_DISTANCE).tracks
    scores = tracking_scores(truth, pred, max_distance=0.5)
    for name, value in scores.to_dict().items():
        if name != "aogm":
            assert 0.0 <= value <= 1.0, name
    assert scores.detection.recall == pytest.approx(keep.mean())
    assert scores.detection.precision == (1.0 if keep.any() else 0.0)


# --- random detections ---------------------------------------------------------------------
_DETECTIONS = st.integers(0, 30).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.int64, n, elements=st.integers(0, 5)),
        hnp.arrays(np.float64, (n, 2), elements=st.floats(0, 30, allow_subnormal=False)),
    )
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    detections=_DETECTIONS,
    max_distance=st.floats(0.5, 20),
    max_gap=st.integers(0, 2),
    divisions=st.booleans(),
    costs=st.sampled_from([None, 1.0, 400.0]),
)
def test_linking_random_detections_gives_a_valid_track_table(
    detections, max_distance, max_gap, divisions, costs
):
    frames, points = detections
    table = pd.DataFrame({"frame": frames, "y": points[:, 0], "x": points[:, 1]})
    result = link(
        table,
        max_distance,
        birth_cost=costs,
        death_cost=costs,
        max_gap=max_gap,
        divisions=divisions,
    )
    _assert_valid_track_table(result.tracks, len(table))
    pd.testing.assert_frame_equal(result.tracks[["frame", "y", "x"]], table)
    # every link of the result is within max_distance
    for step in track_links(result.tracks):
        (f0, y0, x0), (f1, y1, x1) = step[0], step[1]
        assert f1 > f0 and np.hypot(y1 - y0, x1 - x0) <= max_distance + 1e-9
    if len(table) and not table.duplicated().any():  # two cells on one spot: ambiguous
        _assert_perfect(tracking_scores(result.tracks, result.tracks, max_distance=0.0))


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    labels=st.tuples(st.integers(1, 4), st.integers(1, 8), st.integers(1, 8)).flatmap(
        lambda shape: hnp.arrays(np.int32, shape, elements=st.integers(0, 3))
    ),
    min_iou=st.sampled_from([0.1, 0.3, 1.0]),
    divisions=st.booleans(),
)
def test_linking_random_label_stacks_by_overlap_gives_a_valid_track_table(
    labels, min_iou, divisions
):
    result = link_by_overlap(labels, min_iou=min_iou, divisions=divisions)
    _assert_valid_track_table(result.tracks, len(detect(labels)))
    masks, lineage = to_ctc(result.tracks, labels=labels)
    assert masks.shape == labels.shape
    np.testing.assert_array_equal(masks > 0, labels > 0)


def test_matching_with_max_distance_zero_pairs_identical_positions():
    # regression: with max_distance=0 the cost of a link (0) tied with leaving both points
    # unmatched (0 + 0), so even a table scored against itself got detection F1 0.0
    truth = pd.DataFrame(
        {
            "frame": [0, 1, 1],
            "y": [1.0, 1.0, 5.0],
            "x": [2.0, 2.5, 5.0],
            "track_id": [1, 1, 2],
            "parent_id": [0, 0, 0],
        }
    )
    _assert_perfect(tracking_scores(truth, truth, max_distance=0))
    moved = truth.assign(x=truth["x"] + 0.1)  # nothing is at distance 0 any more
    assert tracking_scores(truth, moved, max_distance=0).detection.tp == 0


def test_the_track_table_strategy_draws_gaps_and_divisions():
    # the linking properties above are only as good as the tables drawn: make sure that,
    # with the settings used there, many tables hold divisions and gaps (not just empty ones)
    drawn = []

    @settings(max_examples=40, deadline=None, derandomize=True)
    @given(truth=track_tables())
    def collect(truth):
        children = truth.groupby("track_id")["parent_id"].first().value_counts()
        children = children[children.index > 0]
        drawn.append((len(truth), int((children >= 2).sum()), int((children == 1).sum())))

    collect()
    rows, divisions, gaps = np.array(drawn).T
    assert (divisions > 0).sum() >= 5 and (gaps > 0).sum() >= 3 and (rows > 0).sum() >= 30
